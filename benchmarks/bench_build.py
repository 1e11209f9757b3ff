#!/usr/bin/env python3
"""Build benchmarks: ssg against Hugo, Pelican and MkDocs on the shared corpus, in one run.

    python benchmarks/bench_build.py                 # 1,000 and 10,000 pages
    python benchmarks/bench_build.py --sizes 1000    # a quick run
    python benchmarks/bench_build.py --huge          # adds 100,000 pages (ssg only)
    python benchmarks/bench_build.py --write-readme  # also records the table in README.md

For ssg it measures, as medians of --repeat runs in fresh processes: a cold build (no output,
no cache), a no-change rebuild, a one-page edit and a one-template edit; the build's own time
("work", from its closing line) next to the wall time (start-up included); and peak memory (the
largest process's maximum RSS). It does so twice: with the defaults (search on), then with
`search = false`, which is what the peers build (no search index). Peers build the same corpus
through ../shared/bench/peers/ adapters, when their tools are installed (Debian's hugo; PyPI
pelican and mkdocs).

The "Markdown floor" row is Python-Markdown alone converting every document of the corpus once,
with the extensions and settings ssg uses, divided by the number of worker processes: what a
cold build would take if everything but Markdown were free.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared" / "bench"
WORK = Path(os.environ.get("SSG_BENCH_DIR", "/tmp/ssg-bench"))
_MEASURE = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "p = subprocess.run(sys.argv[2:], cwd=sys.argv[1], capture_output=True, text=True); "
            "w = time.perf_counter() - t; r = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(p.returncode, w, r.ru_maxrss, r.ru_utime + r.ru_stime); "
            "print(p.stdout + p.stderr)")

#: CPU seconds (user + system, the command and all its processes) of the last `measure`: on
#: a shared machine they move much less with the load than wall time.
LAST_CPU: list[float] = [0.0]


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run a command; (wall seconds, peak RSS in MB of its largest process, output). Its CPU
    seconds are left in LAST_CPU."""
    proc = subprocess.run([sys.executable, "-c", _MEASURE, str(cwd), *cmd],
                          capture_output=True, text=True, check=True)
    first, _, output = proc.stdout.partition("\n")
    code, wall, rss, cpu = first.split()
    if code != "0":
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{output}")
    LAST_CPU[0] = float(cpu)
    return float(wall), int(rss) / 1024, output


def corpus(pages: int) -> Path:
    """The shared corpus of that size (generated once), as an ssg site."""
    site = WORK / f"corpus-{pages}"
    if not (site / "content").is_dir():
        subprocess.run([sys.executable, str(SHARED / "gen_corpus.py"), str(site),
                        "--pages", str(pages)], check=True, capture_output=True)
    configure(site, search=True)
    templates = site / "templates"
    templates.mkdir(exist_ok=True)
    shutil.copy(REPO / "themes/default/templates/page.html", templates / "page.html")
    return site


def configure(site: Path, *, search: bool) -> None:
    """Write the corpus's ssg.toml: the defaults, or with the search index turned off."""
    (site / "ssg.toml").write_text('title = "Bench"\nbase_url = "http://example.org/"\n'
                                   + ("" if search else "search = false\n"))


#: Python-Markdown alone over the corpus's documents, as ssg sets it up (argv: site, jobs).
_FLOOR = """
import sys, time
from pathlib import Path
import markdown
from ssg.config import load_config
from ssg.stages.discover import discover
from ssg.markdown_extensions import markdown_options
from ssg.stages.parse import decode, read_bytes, split_front_matter
config = load_config(Path(sys.argv[1]))
sources = discover(config)
bodies = []
for source in [*sources.pages, *sources.section_files]:
    bodies.append(split_front_matter(decode(source, read_bytes(source)), source.display)[2])
extensions = config.markdown.extensions
configs = markdown_options(config.markdown, config.site_dir)
md = markdown.Markdown(extensions=list(extensions), output_format="html",
                       extension_configs={k: v for k, v in configs.items() if k in extensions})
start = time.process_time()  # CPU time: the machine may be shared
for body in bodies:
    md.reset()
    md.convert(body)
print(len(bodies), time.process_time() - start)
"""


def markdown_floor(site: Path, jobs: int) -> tuple[int, float]:
    """(documents, seconds): Python-Markdown converting each document once, in one process,
    divided by `jobs`."""
    proc = subprocess.run([sys.executable, "-c", _FLOOR, str(site)], cwd=REPO,
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    docs, seconds = proc.stdout.split()
    return int(docs), float(seconds) / jobs


#: The row of the seconds `ssg build`'s spare tree took after a cold build.
SPARE_ROW = "cold build, spare linked after"


def wait_for_spare(site: Path, timeout: float = 600.0) -> float:
    """Seconds until the spare output tree that `ssg build` leaves to a process of its own
    is complete (ssg.output.writer)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if (site / ".output.spare" / ".ssg-output").is_file() and not list(
                site.glob(".output.tmp-*-spare")):
            return time.perf_counter() - start
        time.sleep(0.02)
    raise RuntimeError(f"no spare output tree in {site} after {timeout:.0f} s")


def ssg_work_seconds(output: str) -> float:
    match = re.search(r"in ([0-9.]+) s", output)
    return float(match.group(1)) if match else float("nan")


def bench_ssg(site: Path, repeat: int, between: Callable[[], object] = lambda: None
              ) -> dict[str, tuple[float, float, float, float]]:
    """{scenario: (median wall s, median work s, max peak MB, median CPU s)}; `between` runs
    before each repeat (a peer's build, so that both see the same load)."""
    cmd = [sys.executable, "-m", "ssg", "build", str(site)]
    page = sorted((site / "content/posts").glob("*.md"))[len(list((site / "content/posts")
                                                              .glob("*.md"))) // 2]
    template = site / "templates/page.html"
    page_text, template_text = page.read_text(), template.read_text()
    runs: dict[str, list[tuple[float, float, float, float]]] = {}
    try:
        for i in range(repeat):
            between()
            shutil.rmtree(site / "output", ignore_errors=True)
            shutil.rmtree(site / ".ssg-cache", ignore_errors=True)
            for name, change in (
                ("cold build", None),
                ("no-change rebuild", None),
                ("one-page edit", lambda i=i: page.write_text(page_text + f"\nEdit {i}.\n")),
                ("one-template edit",
                 lambda i=i: template.write_text(template_text + f"\n{{# edit {i} #}}\n")),
            ):
                if change is not None:
                    change()
                wall, rss, out = measure(cmd, REPO)
                runs.setdefault(name, []).append((wall, ssg_work_seconds(out), rss,
                                                  LAST_CPU[0]))
                if name == "cold build":
                    # The spare tree is linked by a process of its own after the build: the
                    # next step starts once it is there, and how long it took is a row.
                    runs.setdefault(SPARE_ROW, []).append(
                        (wait_for_spare(site), float("nan"), 0.0, float("nan")))
    finally:
        page.write_text(page_text)
        template.write_text(template_text)
    return {name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs),
                   max(r[2] for r in rs), statistics.median(r[3] for r in rs))
            for name, rs in runs.items()}


class Peer:
    """A peer's cold builds of one corpus, collected as they run (interleaved with ssg's)."""

    def __init__(self, name: str, corpus_site: Path):
        self.name, self.corpus_site = name, corpus_site
        self.runs: list[tuple[float, float, float]] = []

    def run(self) -> None:
        """One cold build (nothing when the tool is not installed)."""
        result = bench_peer(self.name, self.corpus_site, 1)
        if result is not None:
            self.runs.append((*result, LAST_CPU[0]))

    def result(self) -> tuple[float, float, float] | None:
        """(median wall s, peak MB, median CPU s), or None without runs."""
        if not self.runs:
            return None
        return (statistics.median(r[0] for r in self.runs), max(r[1] for r in self.runs),
                statistics.median(r[2] for r in self.runs))


def bench_peer(name: str, corpus_site: Path, repeat: int) -> tuple[float, float] | None:
    """(median wall s, peak MB) of a peer's cold build, or None when it is not installed."""
    peers = SHARED / "peers"
    site = WORK / f"{name}-{corpus_site.name}"
    if name == "hugo" and shutil.which("hugo"):
        adapt = ["sh", str(peers / "adapt_hugo.sh")]
        build, out = ["hugo", "--quiet"], ["public", "resources"]
    elif name == "pelican" and shutil.which("pelican"):
        adapt = [sys.executable, str(peers / "adapt_pelican.py")]
        build, out = ["pelican", "-q", "content", "-s", "pelicanconf.py", "-o", "output"], \
            ["output"]
    elif name == "mkdocs" and shutil.which("mkdocs"):
        adapt = ["sh", str(peers / "adapt_mkdocs.sh")]
        build, out = ["mkdocs", "build", "-q"], ["site"]
    else:
        return None
    subprocess.run([*adapt, str(corpus_site), str(site)], check=True, capture_output=True)
    results = []
    for _ in range(repeat):
        for folder in out:
            shutil.rmtree(site / folder, ignore_errors=True)
        wall, rss, _out = measure(build, site)
        results.append((wall, rss))
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--huge", action="store_true", help="also 100,000 pages (ssg only)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peers", nargs="*", default=["hugo", "pelican", "mkdocs"])
    parser.add_argument("--no-search-off", action="store_true",
                        help="only the defaults (search on), not the search-off set")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    sizes = args.sizes + ([100_000] if args.huge else [])
    WORK.mkdir(parents=True, exist_ok=True)
    lines = [f"Measured {dt.date.today().isoformat()} on {machine()}, load average "
             f"{os.getloadavg()[0]:.1f} at the start.", "",
             "| pages | build | wall | work | CPU | peak memory | ratio to Hugo's cold build "
             "(wall) |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for pages in sizes:
        site = corpus(pages)
        # Hugo builds once before each of ssg's repeats, so both see the same load.
        hugo = Peer("hugo", site) if "hugo" in args.peers and pages <= 10_000 else None
        others = [Peer(name, site) for name in args.peers if name != "hugo"] \
            if pages <= 10_000 else []
        first = len(lines)
        rows = []
        modes = (("", True),) if args.no_search_off else (("", True), (" (search off)", False))
        for label, search in modes:
            configure(site, search=search)
            ssg = bench_ssg(site, args.repeat if pages <= 10_000 else 1,
                            hugo.run if hugo else lambda: None)
            rows.append((label, ssg))
        hugo_result = hugo.result() if hugo else None

        def ratio(seconds: float, hugo_result: tuple[float, float, float] | None = hugo_result
                  ) -> str:
            return f"{seconds / hugo_result[0]:.2f}x" if hugo_result else "n/a"

        for label, ssg in rows:
            for scenario, (wall, work, rss, cpu) in ssg.items():
                if scenario == SPARE_ROW:  # seconds after the build
                    lines.append(f"| {pages:,} | ssg {scenario}{label} | {wall:.2f} s | | | "
                                 "| |")
                    continue
                lines.append(f"| {pages:,} | ssg {scenario}{label} | {wall:.2f} s | "
                             f"{work:.2f} s | {cpu:.2f} s | {rss:,.0f} MB | {ratio(wall)} |")
            per_page = ssg["cold build"][0] / pages
            lines.append(f"| {pages:,} | ssg cold build per page{label} | "
                         f"{per_page * 1000:.2f} ms | | | | |")
        configure(site, search=True)
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
        docs, floor = markdown_floor(site, jobs)
        lines.append(f"| {pages:,} | Markdown floor ({docs:,} documents, CPU / {jobs} processes) "
                     f"| {floor:.2f} s | | {floor * jobs:.2f} s | | {ratio(floor)} |")
        for peer in others:
            peer.run()
        for peer in ([hugo] if hugo else []) + others:
            result = peer.result()
            if result is not None:
                runs = f", median of {len(peer.runs)}" if len(peer.runs) > 1 else ""
                lines.append(f"| {pages:,} | {peer.name} cold build{runs} | {result[0]:.2f} s | "
                             f"| {result[2]:.2f} s | {result[1]:,.0f} MB | "
                             f"{ratio(result[0])} |")
        print("\n".join(lines[first:]), flush=True)
    table = "\n".join(lines)
    print("\n" + table)
    if args.write_readme:
        readme = HERE / "README.md"
        text = readme.read_text() if readme.exists() else ""
        start, end = "<!-- build-table -->", "<!-- /build-table -->"
        block = f"{start}\n{table}\n{end}"
        if start in text:
            text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _m: block, text,
                          flags=re.DOTALL)
        else:
            text += f"\n## Builds\n\n{block}\n"
        readme.write_text(text)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
