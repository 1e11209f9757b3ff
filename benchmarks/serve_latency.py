#!/usr/bin/env python3
"""Dev server latency: from a file being saved to a real browser showing the change.

    python benchmarks/serve_latency.py                      # 1,000 and 10,000 pages
    python benchmarks/serve_latency.py --sizes 1000 --repeat 3

For each size it generates the shared corpus (plus an empty ssg.toml, a copy of the default
theme's page template in templates/ and of its stylesheet in static/css/), starts
`python -m ssg serve` on a free loopback port and opens one page in headless Chromium. Then,
--repeat times each, it saves:

- text: one page's Markdown with a new sentence appended (the page reloads);
- template: templates/page.html with a new element (every page is rendered again);
- css: static/css/style.css with a new custom property (swapped in place, no reload);

and measures the time from just before the write to the moment the browser shows it (polled on
every animation frame). "build" is the server's own rebuild time from its `Built ... in X s`
line (the CSS edit copies one file and builds nothing). Prints a Markdown table of medians.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared" / "bench"
WORK = Path(os.environ.get("SSG_BENCH_DIR", "/tmp/ssg-bench"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
THEME = REPO / "themes" / "default"


def make_site(pages: int) -> Path:
    """The corpus of `pages` pages, generated once and reset to its pristine state."""
    site = WORK / f"serve-{pages}"
    if not (site / "content").is_dir():
        subprocess.run([sys.executable, str(SHARED / "gen_corpus.py"), str(site),
                        "--pages", str(pages)], check=True)
    (site / "ssg.toml").write_text("")
    (site / "templates").mkdir(exist_ok=True)
    shutil.copy(THEME / "templates" / "page.html", site / "templates" / "page.html")
    (site / "static" / "css").mkdir(parents=True, exist_ok=True)
    shutil.copy(THEME / "static" / "css" / "style.css", site / "static" / "css" / "style.css")
    shutil.rmtree(site / "output", ignore_errors=True)
    return site


def first_page(site: Path) -> tuple[Path, str]:
    """A page of the posts section that is not a draft, and its URL path."""
    for path in sorted((site / "content" / "posts").glob("*.md")):
        if path.name != "_index.md" and "draft: true" not in path.read_text(encoding="utf-8"):
            return path, f"/posts/{path.stem}/"
    raise SystemExit("no published page in content/posts")


class Server:
    """`python -m ssg serve SITE --port 0` and the lines it prints."""

    def __init__(self, site: Path):
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ssg", "serve", str(site), "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, cwd=REPO, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""
        self.first_build = 0.0
        deadline = time.monotonic() + 900
        while not self.url:
            line = self.lines.get(timeout=max(1.0, deadline - time.monotonic()))
            if match := re.search(r"Built .* in ([\d.]+) s", line):
                self.first_build = float(match.group(1))
            if match := re.search(r"Serving .* at (http://\S+)", line):
                self.url = match.group(1).rstrip("/")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def build_times(self) -> list[float]:
        """The rebuild times printed since the last call."""
        times = []
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return times
            if match := re.search(r"^Built .* in ([\d.]+) s", line):
                times.append(float(match.group(1)))
            elif line.startswith("error"):
                print(line, file=sys.stderr)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)


def wait_connected(page: Any) -> None:
    page.wait_for_function("() => window.LiveReload && window.LiveReload.connector"
                           " && window.LiveReload.connector.protocol >= 7", timeout=120_000)
    time.sleep(0.2)


def timed(page: Any, write: Any, condition: str, arg: str) -> float:
    """Seconds from calling write() to `condition(arg)` holding in the page."""
    start = time.perf_counter()
    write()
    page.wait_for_function(condition, arg=arg, polling="raf", timeout=300_000)
    return time.perf_counter() - start


def measure(pages: int, repeat: int, browser: Any) -> list[dict[str, Any]]:
    site = make_site(pages)
    page_file, url_path = first_page(site)
    text = page_file.read_text(encoding="utf-8")
    template = site / "templates" / "page.html"
    template_text = template.read_text(encoding="utf-8")
    css = site / "static" / "css" / "style.css"
    css_text = css.read_text(encoding="utf-8")
    server = Server(site)
    print(f"{pages:,} pages: first build {server.first_build:.2f} s", file=sys.stderr)
    rows = []
    try:
        page = browser.new_page()
        page.goto(server.url + url_path)
        wait_connected(page)
        results: dict[str, tuple[list[float], list[float]]] = {}
        for run in range(repeat):
            marker = f"Latency marker {run} {time.time_ns()}"
            edits = {
                "text": (lambda m=marker: page_file.write_text(text + f"\n{m}\n"),
                         "t => document.body && document.body.innerText.includes(t)", marker),
                "template": (lambda m=marker: template.write_text(template_text.replace(
                    "{% block content %}", f"{{% block content %}}<p>{m} tpl</p>", 1)),
                    "t => document.body && document.body.innerText.includes(t)",
                    f"{marker} tpl"),
                "css": (lambda r=run: css.write_text(css_text + f"\n:root {{ --bench: {r}; }}\n"),
                        "v => getComputedStyle(document.documentElement)"
                        ".getPropertyValue('--bench').trim() === v", str(run)),
            }
            for name, (write, condition, arg) in edits.items():
                server.build_times()
                seconds = timed(page, write, condition, arg)
                time.sleep(0.5)  # let a second, late rebuild (if any) finish and print
                wait_connected(page)
                latencies, builds = results.setdefault(name, ([], []))
                latencies.append(seconds)
                builds.extend(server.build_times())
                print(f"  {name:<8} run {run + 1}: {seconds * 1000:7.0f} ms", file=sys.stderr)
        for name, (latencies, builds) in results.items():
            rows.append({"pages": pages, "edit": name,
                         "latency": statistics.median(latencies),
                         "min": min(latencies), "max": max(latencies),
                         "build": statistics.median(builds) if builds else None})
        page.close()
    finally:
        server.stop()
        page_file.write_text(text)
        template.write_text(template_text)
        css.write_text(css_text)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| pages | edit | save to browser (median) | min | max | server rebuild |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        build = "-" if row["build"] is None else f"{row['build'] * 1000:.0f} ms"
        lines.append(f"| {row['pages']:,} | {row['edit']} | {row['latency'] * 1000:.0f} ms | "
                     f"{row['min'] * 1000:.0f} ms | {row['max'] * 1000:.0f} ms | {build} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for size in args.sizes:
                rows += measure(size, args.repeat, browser)
        finally:
            browser.close()
    print(table(rows))


if __name__ == "__main__":
    main()
