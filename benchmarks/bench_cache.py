#!/usr/bin/env python3
"""The cache that travels, and `ssg serve` starting from it: timings in one run.

    python benchmarks/bench_cache.py                       # 10,000 pages
    python benchmarks/bench_cache.py --pages 1000          # a quick run

On copies of the shared corpus (never the corpus itself), in fresh processes:

- ssg clean build: no output, no cache;
- ssg restored cache, one-page edit: the built site copied with `cp -r` (no -p: new inodes and
  mtimes, as a fresh clone plus a restored cache leave them), one page's body edited, built;
  the build's own report says how many files it rendered;
- Hugo cold build of the same corpus (through ../shared/bench/peers/adapt_hugo.sh);
- `ssg serve` until the home page answers over HTTP: cold (no cache, nothing built), after
  `ssg build` only (the cache has the Markdown; the served build, whose URLs name the server,
  is made for the first time), and warm (the server ran and stopped before on the same port).

Ratios are to Hugo's cold build, measured in the same run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench_build import wait_for_spare

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared" / "bench"
CORPORA = Path(os.environ.get("SSG_BENCH_DIR", "/tmp/ssg-bench"))
ENV = dict(os.environ, PYTHONPATH=str(REPO))


def copy_site(source: Path, target: Path, *, keep_built: bool) -> None:
    """`cp -r` (new inodes and mtimes); without `keep_built`, no output and no cache."""
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["cp", "-r", str(source), str(target)], check=True)
    if not keep_built:
        for name in ("output", "public", ".ssg-cache", ".output.spare", "resources"):
            path = target / name
            if path.is_dir():
                shutil.rmtree(path)


def timed(args: list[str], cwd: Path = REPO) -> tuple[float, str]:
    """Wall seconds of a command, and what it printed."""
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return seconds, done.stdout + done.stderr


def ssg_build(site: Path, *extra: str) -> tuple[float, str]:
    return timed([sys.executable, "-m", "ssg", "build", str(site), *extra])


def edit_one_page(site: Path) -> str:
    pages = sorted((site / "content").rglob("*.md"))
    page = pages[len(pages) // 2]
    with page.open("a", encoding="utf-8") as stream:
        stream.write("\nA line added by bench_cache.\n")
    return page.relative_to(site).as_posix()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def serve_until_first_page(site: Path, port: int) -> tuple[float, float, str]:
    """(seconds until / answers, seconds to stop and save, output) of one `ssg serve`."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ssg", "serve", str(site), "--port",
                             str(port)], cwd=REPO, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        while not answers(port):
            if proc.poll() is not None:
                raise SystemExit("ssg serve exited:\n" + "".join(lines))
            time.sleep(0.02)
        first = time.perf_counter() - start
        # A warm start answers before its start-up build is done: wait for it, then stop.
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline and not any(x.startswith("Built ") for x in lines):
            time.sleep(0.1)
    finally:
        stopping = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=600)
        reader.join(timeout=10)
    return first, time.perf_counter() - stopping, "".join(lines)


def rendered(report: str) -> str:
    match = re.search(r"\((\d[\d,]*) of ([\d,]+) files rendered, (\d[\d,]*) changed", report)
    return f"{match[1]} of {match[2]} rendered, {match[3]} changed" if match else "full build"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/ssg-bench-cache"))
    args = parser.parse_args()
    corpus = CORPORA / f"corpus-{args.pages}"
    hugo_corpus = CORPORA / f"hugo-corpus-{args.pages}"
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, float, str]] = []

    hugo = work / "hugo"
    if shutil.which("hugo") and hugo_corpus.is_dir():
        copy_site(hugo_corpus, hugo, keep_built=False)
        seconds, _ = timed(["hugo", "--quiet", "-s", str(hugo)])
        rows.append(("Hugo cold build", seconds, ""))

    a = work / "a"
    copy_site(corpus, a, keep_built=False)
    seconds, report = ssg_build(a, "-v")
    rows.append(("ssg clean build (no cache, no output)", seconds, rendered(report)))
    rows.append(("  its spare output tree, linked after it by a process of its own",
                 wait_for_spare(a), "seconds after the build"))

    b = work / "b"
    copy_site(a, b, keep_built=True)
    page = edit_one_page(b)
    seconds, report = ssg_build(b, "-v")
    rows.append((f"ssg restored cache (cp -r), one-page edit ({page})", seconds,
                 rendered(report)))
    if "discarded" in report:
        rows.append(("  (the cache was discarded!)", 0.0, ""))

    port = free_port()
    c = work / "c"
    copy_site(corpus, c, keep_built=False)
    first, stop, _ = serve_until_first_page(c, port)
    rows.append(("ssg serve, cold: first page answers", first, f"stop and save {stop:.1f} s"))
    first, stop, out = serve_until_first_page(c, port)
    rows.append(("ssg serve, warm (served before): first page answers", first,
                 f"stop and save {stop:.1f} s"))
    built = re.findall(r"^Built .*$", out, re.MULTILINE)
    if built:
        rows.append(("  its start-up build: " + built[0], 0.0, ""))
    first, stop, _ = serve_until_first_page(b, port)
    rows.append(("ssg serve after `ssg build` only: first page answers", first,
                 f"stop and save {stop:.1f} s"))

    hugo_time = next((s for name, s, _ in rows if name == "Hugo cold build"), None)
    print(f"{args.pages:,} pages, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M')}")
    print("| what | wall | ratio to Hugo cold | note |\n|---|---:|---:|---|")
    for name, seconds, note in rows:
        if not seconds:
            print(f"| {name} | | | |")
            continue
        # An indented row says something about the row above it: no ratio of its own.
        ratio = f"{seconds / hugo_time:.2f}x" if hugo_time and name[0] != " " else ""
        print(f"| {name} | {seconds:.2f} s | {ratio} | {note} |")


if __name__ == "__main__":
    main()
