#!/usr/bin/env python3
"""Instructions a cold build executes, counted by Valgrind: a measure the machine's load does
not move.

    python benchmarks/bench_instructions.py                    # 200 pages, this checkout
    python benchmarks/bench_instructions.py --against HEAD~3   # and another revision beside it
    python benchmarks/bench_instructions.py --pages 1000 --no-search --repeat 2

On a shared 2-core machine the same build's time moves by up to 40% from one minute to the next,
more than most changes to the render step or the cache make. The number of instructions a build
executes moves by under 0.01% between runs (with the hash seed fixed), so a change of one or two
percent that timings cannot show is measured here. The same code counted from two folders (this
checkout and an exported copy) differs by up to 0.15%: a smaller change is measured by
switching it on and off in one folder. Each count is one process (`ssg build -j1
--no-cache`, search on unless --no-search, the default theme) under Valgrind's cachegrind
without cache simulation, the interpreter's start-up and imports included (ssg's bytecode
compiled beforehand for each revision); it runs about 20 times slower than the build (some
20 s at 200 pages). A revision given with --against is
exported with `git archive` and run from there, with its own theme.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_build import REPO, WORK, configure, corpus


def environment(code: Path, pycache: Path) -> dict[str, str]:
    """What the counted build runs with: ssg from `code`, its bytecode compiled beforehand
    into `pycache` (else one revision would count compiling it and another not)."""
    return {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(code), "PYTHONHASHSEED": "0",
            "PYTHONPYCACHEPREFIX": str(pycache), "HOME": str(WORK), "LANG": "C.UTF-8"}


def warm_up(site: Path, code: Path, pycache: Path) -> None:
    """One build outside Valgrind: every module it imports gets its bytecode in `pycache`
    (the prefix holds the libraries' bytecode too, not only ssg's)."""
    subprocess.run([sys.executable, "-m", "ssg", "build", "-j1", "--no-cache", "-q", str(site)],
                   env=environment(code, pycache), cwd=site, check=True, capture_output=True)


def count(site: Path, code: Path, pycache: Path) -> int:
    """Instructions of a cold one-process build of `site` with ssg from `code`."""
    for leftover in ("output", ".ssg-cache"):
        shutil.rmtree(site / leftover, ignore_errors=True)
    env = environment(code, pycache)
    proc = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-m", "ssg", "build", "-j1", "--no-cache", "-q", str(site)],
        capture_output=True, text=True, env=env, cwd=site)
    found = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr)
    if proc.returncode != 0 or found is None:
        raise RuntimeError(f"the build under valgrind failed:\n{proc.stderr[-3000:]}")
    return int(found.group(1).replace(",", ""))


def site_for(pages: int, label: str, code: Path, search: bool) -> Path:
    """A copy of the corpus of that size for one revision, its page template from that
    revision's theme (the corpus's own page template replaced, as bench_build does)."""
    site = WORK / f"instructions-{pages}-{label}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(corpus(pages), site, ignore=shutil.ignore_patterns(
        "output", ".ssg-cache", ".output*"))
    configure(site, search=search)
    shutil.copy(code / "themes/default/templates/page.html", site / "templates/page.html")
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--against", metavar="REV", help="a git revision to count beside")
    parser.add_argument("--no-search", action="store_true", help="search = false")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="ssg-rev-") as scratch:
        codes = {"this checkout": REPO}
        if args.against:
            exported = Path(scratch) / "rev"
            exported.mkdir()
            archive = subprocess.run(["git", "-C", str(REPO), "archive", args.against],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(exported)], input=archive, check=True)
            codes[args.against] = exported
        caches = {label: Path(scratch) / f"pycache-{n}" for n, label in enumerate(codes)}
        results: dict[str, list[int]] = {label: [] for label in codes}
        sites = {label: site_for(args.pages, f"r{n}", code, not args.no_search)
                 for n, (label, code) in enumerate(codes.items())}
        for label, code in codes.items():
            warm_up(sites[label], code, caches[label])
        for _ in range(args.repeat):  # alternating, like the timed benchmarks
            for label, code in codes.items():
                results[label].append(count(sites[label], code, caches[label]))
                print(f"{label}: {results[label][-1]:,}", file=sys.stderr)
        for site in sites.values():
            shutil.rmtree(site, ignore_errors=True)
    first = min(results["this checkout"])
    print(f"| ssg build -j1 --no-cache, {args.pages:,} pages"
          f"{', search off' if args.no_search else ''} | instructions (millions) | "
          "against this checkout |")
    print("|---|---:|---:|")
    for label, counts in results.items():
        spread = " - ".join(f"{c / 1e6:,.1f}" for c in sorted(set(counts)))
        print(f"| {label} | {spread} | {min(counts) / first:.4f}x |")


if __name__ == "__main__":
    main()
