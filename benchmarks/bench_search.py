#!/usr/bin/env python3
"""Search benchmark: Pagefind index time, index size and query time on the shared corpus.

    python benchmarks/bench_search.py                  # 10,000 pages, 3 runs
    python benchmarks/bench_search.py --pages 1000 --repeat 1

Builds the corpus (../shared/bench/gen_corpus.py) with the default theme in this process,
with search off and on, and reads the "search index" step's time from the build; then an
incremental build after a one-page edit. Query times are measured in headless Chromium
(/usr/bin/chromium) through Pagefind's JavaScript API against the built site on a loopback
port: the first query of a fresh page (loading Pagefind, its WebAssembly and the index chunks
the query needs) and the same query again once loaded. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
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

from ssg.build import BuildOptions, build  # noqa: E402
from ssg.config import load_config  # noqa: E402

SHARED = REPO.parent / "shared" / "bench"
WORK = Path(os.environ.get("SSG_BENCH_DIR", "/tmp/ssg-bench"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
QUERIES = ["python", "kubernetes deployment", "caching", "unicode", "release notes",
           "accessibility testing", "concurrency", "zzqxnothing"]
_QUERY_JS = """async (q) => {
  const loaded = () => performance.getEntriesByType("resource")
    .reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0);
  const before = loaded();
  const t0 = performance.now();
  if (!window.pf) {
    window.pf = await import("/pagefind/pagefind.js");
    await window.pf.init();
  }
  const search = await window.pf.search(q);
  const t1 = performance.now();
  await Promise.all(search.results.slice(0, 10).map((r) => r.data()));
  const t2 = performance.now();
  return [t1 - t0, t2 - t0, search.results.length, loaded() - before];
}"""


def corpus(pages: int) -> Path:
    """The shared corpus of that size (generated once), as an ssg site with the default theme."""
    site = WORK / f"search-{pages}"
    if not (site / "content").is_dir():
        subprocess.run([sys.executable, str(SHARED / "gen_corpus.py"), str(site),
                        "--pages", str(pages)], check=True, capture_output=True)
    return site


def configure(site: Path, *, search: bool) -> None:
    (site / "ssg.toml").write_text(f'title = "Bench"\nbase_url = "http://example.org/"\n'
                                   f"search = {'true' if search else 'false'}\n")


def tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def bench_builds(site: Path, repeat: int) -> dict[str, Any]:
    """Clean builds with search off and on, and a one-page edit; medians of `repeat` runs."""
    out = site / "output"
    times: dict[str, list[float]] = {}
    bundles = []
    for _ in range(repeat):
        for search in (False, True):
            configure(site, search=search)
            shutil.rmtree(out, ignore_errors=True)
            result = build(load_config(site), BuildOptions(cache=False))
            key = "on" if search else "off"
            times.setdefault(f"clean build, search {key}", []).append(result.seconds)
            if search:
                times.setdefault("search index step (clean)", []).append(
                    result.timings["search index"])
                bundles.append({p.relative_to(out).as_posix(): p.read_bytes()
                                for p in sorted((out / "pagefind").rglob("*")) if p.is_file()})
    configure(site, search=True)
    shutil.rmtree(site / ".ssg-cache", ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    build(load_config(site))
    page = sorted((site / "content/posts").glob("*.md"))[7]
    text = page.read_text()
    try:
        for i in range(repeat):
            page.write_text(text + f"\nSearchable edit number {i}.\n")
            result = build(load_config(site))
            times.setdefault("one-page edit rebuild, search on", []).append(result.seconds)
            times.setdefault("search index step (edit)", []).append(
                result.timings["search index"])
    finally:
        page.write_text(text)
    files, size = tree_size(out / "pagefind")
    data_files, data_size = 0, 0
    for sub in ("fragment", "index"):
        n, s = tree_size(out / "pagefind" / sub)
        data_files, data_size = data_files + n, data_size + s
    for meta in (out / "pagefind").glob("*.pf_meta"):
        data_files, data_size = data_files + 1, data_size + meta.stat().st_size
    site_files, site_size = tree_size(out)
    return {
        "times": {name: statistics.median(values) for name, values in times.items()},
        "deterministic": all(b == bundles[0] for b in bundles),
        "bundle": (files, size), "index data": (data_files, data_size),
        "site": (site_files - files, site_size - size),
        "pages": len(list((site / "content").rglob("*.md"))),
    }


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def bench_queries(out: Path) -> dict[str, tuple[float, float, float, int]] | None:
    """{query: (search ms, search + 10 results ms, KB loaded, hits)}: the first query of a
    fresh page (Pagefind's start-up included) and the same query again."""
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    results: dict[str, tuple[float, float, float, int]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=CHROMIUM_ARGS)
            for query in QUERIES:
                for warm in (False, True):
                    context = browser.new_context()
                    page = context.new_page()
                    page.goto(origin + "/")
                    if warm:
                        page.evaluate(_QUERY_JS, query)
                    search_ms, total_ms, hits, loaded = page.evaluate(_QUERY_JS, query)
                    results[f"{query!r} ({'again' if warm else 'first'})"] = (
                        search_ms, total_ms, loaded / 1024, hits)
                    context.close()
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    site = corpus(args.pages)
    started = time.perf_counter()
    builds = bench_builds(site, args.repeat)
    print(f"Search benchmark: {builds['pages']:,} Markdown files "
          f"(gen_corpus.py --pages {args.pages}), median of {args.repeat}\n")
    print("| measure | value |\n|---|---|")
    for name, seconds in builds["times"].items():
        print(f"| {name} | {seconds:.2f} s |")
    files, size = builds["bundle"]
    data_files, data_size = builds["index data"]
    site_files, site_size = builds["site"]
    print(f"| pagefind/ bundle | {files:,} files, {size / 2**20:.1f} MiB |")
    print(f"| of which index data (fragments, index chunks, meta) | {data_files:,} files, "
          f"{data_size / 2**20:.1f} MiB |")
    print(f"| rest of the site, for scale | {site_files:,} files, {site_size / 2**20:.1f} MiB |")
    print(f"| identical index across clean builds | {'yes' if builds['deterministic'] else 'NO'} |")
    queries = bench_queries(site / "output")
    if queries is None:
        print(f"\n(query times skipped: {CHROMIUM} is not installed)")
    else:
        print("\n| query (headless Chromium) | search | search + top 10 results | KB loaded "
              "| hits |\n|---|---|---|---|---|")
        for name, (search_ms, total_ms, kb, hits) in queries.items():
            print(f"| {name} | {search_ms:.0f} ms | {total_ms:.0f} ms | {kb:,.0f} | {hits:,} |")
    print(f"\n({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
