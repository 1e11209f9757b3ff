#!/usr/bin/env python3
"""Lighthouse performance of two builds of the docs site, run after run in turn.

    python benchmarks/bench_lighthouse.py BASE_OUT BRANCH_OUT --runs 5

BASE_OUT and BRANCH_OUT are output folders of `python3 -m ssg build . -o DIR` (say, of the main
branch from `git archive` and of a branch). Each is served by `python3 -m http.server` on its own
loopback port; Lighthouse (npm's `lighthouse`, performance only, its default mobile profile, on
Debian's Chromium) runs on each page of PAGES, the two builds alternating (which one goes first
flips every round), and the load average is noted before each run. Prints, for each page and
build, the median and range of the performance score and of the main timings, and the bytes the
page transferred. Needs CHROME_PATH or /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

PAGES = ["/", "/docs/images/"]
FLAGS = ("--headless --no-sandbox --disable-gpu --disable-background-networking "
         "--disable-component-update --no-first-run")
METRICS = {"first-contentful-paint": "FCP ms", "largest-contentful-paint": "LCP ms",
           "total-blocking-time": "TBT ms", "speed-index": "SI ms",
           "total-byte-weight": "bytes"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(folder: Path, stack: ExitStack) -> str:
    """Serve a folder on a loopback port until the stack closes; returns its origin."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(server.wait)
    stack.callback(server.terminate)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return f"http://127.0.0.1:{port}"


def lighthouse(url: str) -> dict[str, float]:
    """One Lighthouse run: the performance score (0-100), the METRICS and benchmarkIndex."""
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    result = subprocess.run(
        ["lighthouse", url, "--quiet", "--output=json", "--output-path=stdout",
         "--only-categories=performance", f"--chrome-flags={FLAGS}"],
        capture_output=True, text=True, timeout=300, env=env, check=True)
    report = json.loads(result.stdout)
    values = {"score": report["categories"]["performance"]["score"] * 100,
              "benchmarkIndex": report["environment"]["benchmarkIndex"]}
    values |= {name: report["audits"][audit]["numericValue"] for audit, name in METRICS.items()}
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("branch", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write every run here")
    args = parser.parse_args()
    runs: list[dict[str, object]] = []
    with ExitStack() as stack:
        origins = {"base": serve(args.base, stack), "branch": serve(args.branch, stack)}
        for round_ in range(args.runs):
            order = ["base", "branch"] if round_ % 2 == 0 else ["branch", "base"]
            for page in PAGES:
                for build in order:
                    load = os.getloadavg()[0]
                    values = lighthouse(origins[build] + page)
                    runs.append({"build": build, "page": page, "load": load, **values})
                    print(f"round {round_ + 1} {page} {build}: score {values['score']:.0f} "
                          f"load {load:.2f}", file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    names = ["score", *METRICS.values()]
    print(f"| page | build | {' | '.join(names)} |")
    print("|---|---|" + "---:|" * len(names))
    for page in PAGES:
        for build in ("base", "branch"):
            mine = [run for run in runs if run["page"] == page and run["build"] == build]
            cells = []
            for name in names:
                values = [float(run[name]) for run in mine]  # type: ignore[arg-type]
                cells.append(f"{statistics.median(values):,.0f} ({min(values):,.0f}-"
                             f"{max(values):,.0f})")
            print(f"| {page} | {build} | {' | '.join(cells)} |")
    loads = [float(run["load"]) for run in runs]  # type: ignore[arg-type]
    marks = [float(run["benchmarkIndex"]) for run in runs]  # type: ignore[arg-type]
    print(f"\nload average (1 min) before the runs: median {statistics.median(loads):.2f}, "
          f"{min(loads):.2f} to {max(loads):.2f}; benchmarkIndex median "
          f"{statistics.median(marks):.0f} ({min(marks):.0f} to {max(marks):.0f})")


if __name__ == "__main__":
    main()
