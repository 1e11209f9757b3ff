#!/usr/bin/env python3
"""Search benchmark: what the search index costs a build, and what a query costs a browser.

    python benchmarks/bench_search.py                  # 10,000 pages, 2 rounds
    python benchmarks/bench_search.py --pages 1000 --repeat 1

On a copy of the shared corpus (../shared/bench/gen_corpus.py) with the default theme:

- cold builds (`ssg build --no-cache`, each in a fresh process) with search off and on,
  interleaved, with the peak memory of the largest process;
- one-page edits with the cache: a line appended to a page, and a paragraph of a page replaced;
  the "search index" step's time is the index work (records are made while pages render);
- queries in headless Chromium (/usr/bin/chromium) on a loopback port, through the default
  theme's search box: from the input event to the results shown, and the bytes fetched, for the
  first query of a fresh page and for the same query typed again.

Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from ssg.build import build  # noqa: E402
from ssg.config import load_config  # noqa: E402

SHARED = REPO.parent / "shared" / "bench"
WORK = Path(os.environ.get("SSG_BENCH_DIR", "/tmp/ssg-bench"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
QUERIES = ["python", "kubernetes deployment", "caching", "unicode", "release notes",
           "template", "pipeline", "rend", "zzqxnothing"]
_QUERY_JS = """async (query) => {
  const box = document.getElementById("site-search");
  const input = document.getElementById("site-search-input");
  const fetched = () => performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/search/") && !e.name.endsWith("search.js"))
    .reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0);
  const before = fetched();
  const shown = new Promise((done) => box.addEventListener("ssg-search-results", (e) => {
    if (e.detail.query === query) done(e.detail.count);
  }));
  input.value = "";
  const t0 = performance.now();
  input.focus();  // as a click on the box would (the client starts loading meta.json)
  input.value = query;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  const count = await shown;
  const ms = performance.now() - t0;
  await new Promise((done) => setTimeout(done, 50));  // late entries of the same query
  return [ms, fetched() - before, count];
}"""


def corpus(pages: int) -> Path:
    """A fresh copy of the shared corpus of that size, as an ssg site with the default theme."""
    site = WORK / f"search-bench-{pages}"
    ready = WORK / f"corpus-{pages}"
    shutil.rmtree(site, ignore_errors=True)
    if (ready / "content").is_dir():
        shutil.copytree(ready / "content", site / "content")
        if (ready / "templates").is_dir():
            shutil.copytree(ready / "templates", site / "templates")
    else:
        subprocess.run([sys.executable, str(SHARED / "gen_corpus.py"), str(site),
                        "--pages", str(pages)], check=True, capture_output=True)
        shutil.rmtree(site / "output", ignore_errors=True)
    return site


def configure(site: Path, *, search: bool) -> None:
    (site / "ssg.toml").write_text(f'title = "Bench"\nbase_url = "http://example.org/"\n'
                                   f"search = {'true' if search else 'false'}\n")


def tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def cold_build(site: Path) -> tuple[float, float, int]:
    """(wall s, search index step s, peak KB of the largest process) of `ssg build --no-cache`
    in a fresh process."""
    shutil.rmtree(site / "output", ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "maxrss=%M", sys.executable, "-m", "ssg",
                           "build", str(site), "--no-cache", "-v"],
                          capture_output=True, text=True, cwd=REPO, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    wall = time.perf_counter() - start
    text = proc.stdout + proc.stderr
    step = re.search(r"search index\s+([\d.]+) s", text)
    rss = re.search(r"maxrss=(\d+)", text)
    assert rss is not None, text
    return wall, float(step.group(1)) if step else 0.0, int(rss.group(1))


def bench_builds(site: Path, repeat: int) -> dict[str, Any]:
    """Interleaved cold builds with search off and on; then one-page edits with the cache."""
    walls: dict[bool, list[float]] = {False: [], True: []}
    steps, peaks = [], {False: 0, True: 0}
    for _ in range(repeat):
        for search in (False, True):
            configure(site, search=search)
            wall, step, rss = cold_build(site)
            walls[search].append(wall)
            peaks[search] = max(peaks[search], rss)
            if search:
                steps.append(step)
    out = site / "output"
    index = {p.relative_to(out).as_posix(): p.read_bytes()
             for p in sorted((out / "search").rglob("*")) if p.is_file()}
    configure(site, search=True)
    shutil.rmtree(site / ".ssg-cache", ignore_errors=True)
    build(load_config(site))
    deterministic = index == {p.relative_to(out).as_posix(): p.read_bytes()
                              for p in sorted((out / "search").rglob("*")) if p.is_file()}
    edits: dict[str, list[tuple[float, float, int]]] = {"line appended": [],
                                                         "paragraph replaced": []}
    page = sorted((site / "content").rglob("*.md"))[7]
    text = page.read_text()
    try:
        for i in range(repeat + 1):  # the first edit also catches up the spare tree
            for name in edits:
                if name == "line appended":
                    page.write_text(text + f"\nSearchable edit number {i}.\n")
                else:
                    paragraphs = text.split("\n\n")
                    paragraphs[2] = (f"Replaced paragraph {i}: a zebra crossing the savanna "
                                     "meets a kubernetes deployment, caching unicode release "
                                     "notes in a python pipeline near the river.")
                    page.write_text("\n\n".join(paragraphs))
                result = build(load_config(site))
                index_files = sum(d.startswith("search/") for d in result.written)
                if i:
                    edits[name].append((result.seconds, result.timings["search index"],
                                        index_files))
    finally:
        page.write_text(text)
        build(load_config(site))
    return {
        "cold": {search: statistics.median(v) for search, v in walls.items()},
        "ratio": statistics.median(on / off for off, on in zip(walls[False], walls[True],
                                                                 strict=True)),
        "step": statistics.median(steps), "peaks": peaks, "deterministic": deterministic,
        "edits": {name: (statistics.median(r[0] for r in rows),
                         statistics.median(r[1] for r in rows), max(r[2] for r in rows))
                  for name, rows in edits.items()},
        "index": tree_size(out / "search"), "site": tree_size(out),
        "pages": len(list((site / "content").rglob("*.md"))),
    }


def _pagefind_worker(site: Path, out: Path) -> None:
    """Index the records' pages with the Pagefind binary, each page given as a minimal HTML
    file of its title and the text of its article: what feeding Pagefind our records would
    cost (its Python API takes a round trip per record, much slower). Prints the seconds."""
    import html
    import tempfile

    from pagefind.service import get_executable

    from ssg.incremental.state import load_state
    from ssg.stages.search_text import html_text

    output = next(iter(load_state(site).outputs.values()))
    pages = []
    for dest, record in sorted(output.search.items()):
        page = (site / "output" / dest).read_text(encoding="utf-8")
        article = page[page.find("<article"): page.rfind("</article>")]
        pages.append((dest, record, html_text(article)))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for dest, record, text in pages:
            path = Path(tmp, dest)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"<html lang=en><body><h1>{html.escape(str(record['title']))}</h1>"
                            f"<p>{html.escape(text)}</p></body></html>", encoding="utf-8")
        subprocess.run([str(get_executable()), "--site", tmp, "--output-path", str(out),
                        "--silent"], check=True)
    print(f"seconds={time.perf_counter() - start:.3f} pages={len(pages)}")


def bench_pagefind(site: Path) -> dict[str, Any] | None:
    """Pagefind fed our records against our index made from the same records: seconds, peak
    memory, files and bytes of each (None without the pagefind package)."""
    try:
        import pagefind  # noqa: F401
    except ImportError:
        return None
    from ssg.incremental.state import load_state
    from ssg.stages.search import index_files

    out = WORK / "pagefind-out"
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run(["/usr/bin/time", "-f", "maxrss=%M", sys.executable, __file__,
                           "--pagefind-worker", str(site), str(out)],
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    text = proc.stdout + proc.stderr
    seconds = float(re.search(r"seconds=([\d.]+)", text).group(1))  # type: ignore[union-attr]
    rss = int(re.search(r"maxrss=(\d+)", text).group(1))  # type: ignore[union-attr]
    records = next(iter(load_state(site).outputs.values())).search
    start = time.perf_counter()
    files, _complete = index_files(records, None, lambda dest: b"")
    ours = time.perf_counter() - start
    return {"pagefind": (seconds, rss, *tree_size(out)),
            "ours": (ours, sum(len(data) for data in files.values()), len(files))}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def bench_queries(out: Path) -> dict[str, tuple[float, float, int]] | None:
    """{query (first / again): (ms from typing to results shown, KB fetched, hits)}."""
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    results: dict[str, tuple[float, float, int]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=CHROMIUM_ARGS)
            for query in QUERIES:
                context = browser.new_context()
                page = context.new_page()
                page.goto(origin + "/")
                page.wait_for_load_state("load")
                for label in ("first", "again"):
                    ms, fetched, hits = page.evaluate(_QUERY_JS, query)
                    results[f"{query!r} ({label})"] = (ms, fetched / 1024, hits)
                context.close()
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-builds", action="store_true",
                        help="only Pagefind and the queries, on the site the last run left")
    parser.add_argument("--pagefind-worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pagefind_worker:
        _pagefind_worker(*args.pagefind_worker)
        return
    started = time.perf_counter()
    if args.no_builds:
        site = WORK / f"search-bench-{args.pages}"
    else:
        site = corpus(args.pages)
        builds = bench_builds(site, args.repeat)
        print(f"Search benchmark: {builds['pages']:,} Markdown files "
              f"(gen_corpus.py --pages {args.pages}), medians of {args.repeat}\n")
        print("| measure | value |\n|---|---|")
        cold, peaks = builds["cold"], builds["peaks"]
        for search in (False, True):
            print(f"| cold build, search {'on' if search else 'off'} | {cold[search]:.2f} s, "
                  f"peak {peaks[search] / 1024:,.0f} MB |")
        print(f"| search on / search off (interleaved pairs) | {builds['ratio']:.3f}x |")
        print(f"| search index step (cold) | {builds['step']:.2f} s |")
        for name, (seconds, step, files) in builds["edits"].items():
            print(f"| one-page edit ({name}): build / index step / index files written | "
                  f"{seconds:.2f} s / {step * 1000:.0f} ms / {files} |")
        files, size = builds["index"]
        site_files, site_size = builds["site"]
        print(f"| search/ folder | {files:,} files, {size / 2**20:.1f} MiB |")
        print(f"| whole site, for scale | {site_files:,} files, {site_size / 2**20:.1f} MiB |")
        print(f"| identical index across clean and cached builds | "
              f"{'yes' if builds['deterministic'] else 'NO'} |")
    compared = bench_pagefind(site)
    if compared is None:
        print("\n(Pagefind comparison skipped: the pagefind package is not installed)")
    else:
        seconds, rss, files, size = compared["pagefind"]
        ours, our_size, our_files = compared["ours"]
        print("\n| index made from the same records | seconds | peak memory | files | size |"
              "\n|---|---|---|---|---|")
        print(f"| Pagefind 1.x binary, fed one small HTML file per record | {seconds:.2f} s | "
              f"{rss / 1024:,.0f} MB | {files:,} | {size / 2**20:.1f} MiB |")
        print(f"| ours (index_files, in the build's process) | {ours:.2f} s | (in the build) "
              f"| {our_files:,} | {our_size / 2**20:.1f} MiB |")
    meta = json.loads((site / "output/search/meta.json").read_text())
    queries = bench_queries(site / "output")
    if queries is None:
        print(f"\n(query times skipped: {CHROMIUM} is not installed)")
    else:
        print(f"\n| query (headless Chromium, {meta['docs']:,} documents) | typing to results "
              "shown | KB fetched | hits |\n|---|---|---|---|")
        for name, (ms, kb, hits) in queries.items():
            print(f"| {name} | {ms:.0f} ms | {kb:,.1f} | {hits:,} |")
    print(f"\n({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
