#!/usr/bin/env python3
"""Dev server latency: from a file being saved to a real browser showing the change.

    python benchmarks/serve_latency.py                       # 10,000 pages, with Hugo
    python benchmarks/serve_latency.py --sizes 1000 --repeat 3 --no-hugo
    python benchmarks/serve_latency.py --trace               # where ssg's time goes

For each size it generates the shared corpus (plus an empty ssg.toml, a copy of the default
theme's page template in templates/ and of its stylesheet in static/css/), starts
`python -m ssg serve` on a free loopback port and opens one page in headless Chromium; with
Hugo (the default), it also runs `hugo server` on the same corpus (the ready Hugo site
/tmp/ssg-bench/hugo-corpus-N when there is one, else the shared adapter's) and opens the same
page there. Then, --repeat times each, interleaved:

- text: one page's Markdown with a new sentence appended (ssg updates the page in place; Hugo
  reloads it), for ssg and Hugo in turn;
- then, for ssg only, template: templates/page.html with a new element (every page is rendered
  again), and css: static/css/style.css with a new custom property (swapped in place).

Latency is from just before the write (the system clock) to the first animation frame in which
the browser shows the change (the page's own clock, `performance.timeOrigin + now()`: the
same system clock, so no round trip to the browser is counted). "build" is ssg's rebuild time
from its `Built ... in X s` line. Prints a Markdown table of medians; with --trace, also the
median time of each step of ssg's text edits (watchdog's event, the batch handed over after
the quiet time, the build, its commit, the reload message, the page's fetch and morph).
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared" / "bench"
WORK = Path(os.environ.get("SSG_BENCH_DIR", "/tmp/ssg-bench"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
HUGO = "/usr/bin/hugo"
THEME = REPO / "themes" / "default"

#: Evaluated on every animation frame: the page clock's epoch milliseconds once `t` shows.
SHOWS = ("t => document.body && document.body.innerText.includes(t)"
         " && performance.timeOrigin + performance.now()")
#: Records, in the page, when the client fetched the page again and when it morphed it.
PAGE_TRACE = """() => {
  const clock = () => performance.timeOrigin + performance.now();
  window.__trace = {};
  const fetch0 = window.fetch;
  window.fetch = (...args) => {
    window.__trace.fetch = clock();
    return fetch0(...args).then(r => { window.__trace.response = clock(); return r; });
  };
  document.addEventListener("ssg:updated", () => { window.__trace.morphed = clock(); });
}"""


def make_site(pages: int) -> Path:
    """The corpus of `pages` pages, generated once and reset to its pristine state."""
    site = WORK / f"serve-{pages}"
    if not (site / "content").is_dir():
        ready = WORK / f"corpus-{pages}"
        if (ready / "content").is_dir():
            shutil.copytree(ready / "content", site / "content")
        else:
            subprocess.run([sys.executable, str(SHARED / "gen_corpus.py"), str(site),
                            "--pages", str(pages)], check=True)
    (site / "ssg.toml").write_text("search = false\n")
    (site / "templates").mkdir(exist_ok=True)
    shutil.copy(THEME / "templates" / "page.html", site / "templates" / "page.html")
    (site / "static" / "css").mkdir(parents=True, exist_ok=True)
    shutil.copy(THEME / "static" / "css" / "style.css", site / "static" / "css" / "style.css")
    shutil.rmtree(site / "output", ignore_errors=True)
    return site


def make_hugo_site(pages: int, ssg_site: Path) -> Path:
    """A copy of the ready Hugo site of `pages` pages (or the adapter's), pristine."""
    site = WORK / f"hugo-serve-{pages}"
    if not (site / "content").is_dir():
        ready = WORK / f"hugo-corpus-{pages}"
        if (ready / "content").is_dir():
            shutil.copytree(ready, site, ignore=shutil.ignore_patterns("public", "resources"))
        else:
            subprocess.run(["sh", str(SHARED / "peers" / "adapt_hugo.sh"),
                            str(ssg_site), str(site)], check=True)
    return site


def first_page(site: Path) -> tuple[Path, str]:
    """A page of the posts section that is not a draft, and its URL path."""
    for path in sorted((site / "content" / "posts").glob("*.md")):
        if path.name != "_index.md" and "draft: true" not in path.read_text(encoding="utf-8"):
            return path, f"/posts/{path.stem}/"
    raise SystemExit("no published page in content/posts")


class Server:
    """A dev server subprocess and the lines it prints."""

    def __init__(self, argv: list[str], ready: str, env: dict[str, str] | None = None, *,
                 built: bool = False):
        """Waits until the server prints `ready` and, with `built`, its first `Built` line
        (`ssg serve` answers at once, from the last build, before its own build is done)."""
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, cwd=REPO,
                                     env=env or dict(os.environ))
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""
        self.first_build = 0.0
        deadline = time.monotonic() + 900
        seen_build = False
        while not self.url or (built and not seen_build):
            line = self.lines.get(timeout=max(1.0, deadline - time.monotonic()))
            if match := re.search(r"Built .* in ([\d.]+) s", line):
                self.first_build = float(match.group(1))
                seen_build = True
            if match := re.search(ready, line):
                self.url = match.group(1).rstrip("/")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def drain(self) -> tuple[list[float], dict[str, list[float]]]:
        """(rebuild times, trace step -> epoch seconds) printed since the last call."""
        times: list[float] = []
        steps: dict[str, list[float]] = {}
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return times, steps
            if match := re.search(r"^Built .* in ([\d.]+) s", line):
                times.append(float(match.group(1)))
            elif match := re.match(r"^trace (\S+) ([\d.]+)$", line):
                steps.setdefault(match.group(1), []).append(float(match.group(2)))
            elif line.startswith("error") or "Traceback" in line:
                print(line, file=sys.stderr)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def ssg_server(site: Path, *, trace: bool, repo: Path = REPO) -> Server:
    env = dict(os.environ, PYTHONPATH=str(repo))
    argv = ([sys.executable, str(Path(__file__).resolve()), "--traced-server", str(site)]
            if trace else [sys.executable, "-m", "ssg", "serve", str(site), "--port", "0"])
    return Server(argv, r"Serving .* at (http://\S+)", env, built=True)


def hugo_server(site: Path) -> Server:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return Server([HUGO, "server", "-s", str(site), "--bind", "127.0.0.1", "--port", str(port),
                   "--baseURL", f"http://127.0.0.1:{port}/"],
                  r"Web Server is available at (http://\S+)")


def wait_connected(page: Any) -> None:
    page.wait_for_function("() => window.LiveReload && window.LiveReload.connector"
                           " && window.LiveReload.connector.protocol >= 7", timeout=120_000)
    time.sleep(0.3)


def timed(page: Any, write: Callable[[], Any], condition: str, arg: str) -> float:
    """Seconds from just before write() to the first frame in which `condition(arg)` holds."""
    start = time.time()
    write()
    shown = page.wait_for_function(condition, arg=arg, polling="raf", timeout=300_000)
    return float(shown.json_value()) / 1000 - start


class Edits:
    """The files of one site that the benchmark edits, restored at the end."""

    def __init__(self, page_file: Path, *others: Path):
        self.files = [page_file, *others]
        self.texts = {path: path.read_text(encoding="utf-8") for path in self.files}
        self.page_file = page_file

    def append(self, marker: str) -> None:
        self.page_file.write_text(self.texts[self.page_file] + f"\n{marker}\n")

    def restore(self) -> None:
        for path, text in self.texts.items():
            path.write_text(text)


def settle(site: Path) -> float:
    """Wait until the server's background rm has deleted the output its first build replaced
    (a full build's old tree, named *-removing); the seconds waited."""
    start = time.monotonic()
    while any((site / ".ssg-cache" / "serve").glob("*-removing")):
        if time.monotonic() - start > 600:
            break
        time.sleep(0.2)
    return time.monotonic() - start


def measure(pages: int, repeat: int, browser: Any, *, hugo: bool, trace: bool, text_only: bool,
            baseline: Path | None = None, settled: bool = False
            ) -> tuple[list[dict[str, Any]], dict[str, list[float]]]:
    site = make_site(pages)
    page_file, url_path = first_page(site)
    template = site / "templates" / "page.html"
    css = site / "static" / "css" / "style.css"
    edits = Edits(page_file, template, css)
    servers = [("ssg", ssg_server(site, trace=trace))]
    print(f"{pages:,} pages: ssg's first build {servers[0][1].first_build:.2f} s",
          file=sys.stderr)
    if settled:
        print(f"  waited {settle(site):.1f} s for the replaced output to be deleted",
              file=sys.stderr)
    hugo_edits = None
    if baseline is not None:  # another checkout of ssg, serving a copy of the same site
        copy = WORK / f"serve-{pages}-baseline"
        if not (copy / "content").is_dir():
            shutil.copytree(site / "content", copy / "content")
        for rel in ("ssg.toml", "templates/page.html", "static/css/style.css"):
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(site / rel, copy / rel)
        servers.append(("baseline", ssg_server(copy, trace=False, repo=baseline)))
    if hugo:
        hugo_site = make_hugo_site(pages, site)
        hugo_file = hugo_site / page_file.relative_to(site)
        hugo_edits = Edits(hugo_file)
        servers.append(("hugo", hugo_server(hugo_site)))
    baseline_edits = Edits(WORK / f"serve-{pages}-baseline" / page_file.relative_to(site)) \
        if baseline is not None else edits
    results: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    steps: dict[str, list[float]] = {}
    try:
        tabs = {}
        for name, server in servers:
            tab = browser.new_page()
            tab.goto(server.url + url_path)
            wait_connected(tab)
            tabs[name] = tab
        for run in range(repeat):
            for name, server in servers:
                tab = tabs[name]
                target = {"ssg": edits, "hugo": hugo_edits}.get(name)
                if target is None:
                    target = baseline_edits
                marker = f"Latency marker {run} {time.time_ns()}"
                server.drain()
                if trace and name == "ssg":
                    tab.evaluate(PAGE_TRACE)
                start = time.time()
                seconds = timed(tab, lambda m=marker, t=target: t.append(m), SHOWS, marker)
                time.sleep(0.5)  # let a second, late rebuild (if any) finish and print
                wait_connected(tab)
                builds, traced = server.drain()
                if trace and name == "ssg":
                    for step, value in _steps(start, traced, tab.evaluate("window.__trace"),
                                              seconds).items():
                        steps.setdefault(step, []).append(value)
                latencies, build_times = results.setdefault((name, "text"), ([], []))
                latencies.append(seconds)
                build_times.extend(builds)
                print(f"  {name:<4} text     run {run + 1}: {seconds * 1000:7.0f} ms",
                      file=sys.stderr)
        ssg, tab = servers[0][1], tabs["ssg"]
        for run in range(0 if text_only else repeat):
            marker = f"Template marker {run} {time.time_ns()}"
            scenarios = {
                "template": (lambda m=marker: template.write_text(edits.texts[template].replace(
                    "{% block content %}", f"{{% block content %}}<p>{m}</p>", 1)),
                    SHOWS, marker),
                "css": (lambda r=run: css.write_text(edits.texts[css]
                                                     + f"\n:root {{ --bench: {r}; }}\n"),
                        "v => getComputedStyle(document.documentElement)"
                        ".getPropertyValue('--bench').trim() === v"
                        " && performance.timeOrigin + performance.now()", str(run)),
            }
            for scenario, (write, condition, arg) in scenarios.items():
                ssg.drain()
                seconds = timed(tab, write, condition, arg)
                time.sleep(0.5)
                wait_connected(tab)
                latencies, build_times = results.setdefault(("ssg", scenario), ([], []))
                latencies.append(seconds)
                build_times.extend(ssg.drain()[0])
                print(f"  ssg  {scenario:<8} run {run + 1}: {seconds * 1000:7.0f} ms",
                      file=sys.stderr)
        for tab in tabs.values():
            tab.close()
    finally:
        for _name, server in servers:
            server.stop()
        edits.restore()
        if hugo_edits is not None:
            hugo_edits.restore()
        baseline_edits.restore()
    rows = [{"pages": pages, "server": name, "edit": edit,
             "latency": statistics.median(latencies), "min": min(latencies),
             "max": max(latencies),
             "build": statistics.median(builds) if builds else None}
            for (name, edit), (latencies, builds) in results.items()]
    return rows, steps


def _steps(start: float, server: dict[str, list[float]], page: dict[str, float] | None,
           shown: float) -> dict[str, float]:
    """Milliseconds from the write to each traced step of one edit."""
    found = {step: (times[0] - start) * 1000 for step, times in server.items()}
    for step, value in (page or {}).items():
        found[f"page {step}"] = value - start * 1000
    found["painted"] = shown * 1000
    return found


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| pages | server | edit | save to browser (median) | min | max | ssg rebuild |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        build = "-" if row["build"] is None else f"{row['build'] * 1000:.0f} ms"
        lines.append(f"| {row['pages']:,} | {row['server']} | {row['edit']} | "
                     f"{row['latency'] * 1000:.0f} ms | {row['min'] * 1000:.0f} ms | "
                     f"{row['max'] * 1000:.0f} ms | {build} |")
    return "\n".join(lines)


def step_table(pages: int, steps: dict[str, list[float]]) -> str:
    lines = [f"| step of a text edit ({pages:,} pages) | ms after the write (median) |",
             "|---|---|"]
    for step, values in sorted(steps.items(), key=lambda item: statistics.median(item[1])):
        lines.append(f"| {step} | {statistics.median(values):.1f} |")
    return "\n".join(lines)


def traced_server(site: str) -> None:
    """Run `ssg serve SITE --port 0`, printing `trace STEP EPOCH` as each step of a rebuild
    starts or ends (the benchmark's --trace)."""
    import ssg.serve.devserver as devserver
    import ssg.serve.watch as watch
    from ssg.cli import main as cli_main
    from ssg.output import writer

    def say(step: str) -> None:
        print(f"trace {step} {time.time():.6f}", flush=True)

    def wrap(owner: Any, name: str, before: str | None, after: str | None) -> None:
        inner = getattr(owner, name)

        def traced(*args: Any, **kwargs: Any) -> Any:
            if before:
                say(before)
            try:
                return inner(*args, **kwargs)
            finally:
                if after:
                    say(after)
        setattr(owner, name, traced)

    handler_event = watch._Handler.on_any_event

    def on_event(self: Any, event: Any) -> None:
        say("event")
        handler_event(self, event)
    watch._Handler.on_any_event = on_event  # type: ignore[method-assign]
    wrap(watch.Watcher, "next_batch", None, "batch")
    wrap(devserver, "run_build", "build-start", "build-end")
    wrap(writer.Stage, "commit_patch", "commit-start", "commit-end")
    wrap(devserver, "send_reloads", "sent", None)
    sys.argv = ["ssg", "serve", site, "--port", "0"]
    cli_main()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-hugo", action="store_true", help="measure ssg alone")
    parser.add_argument("--trace", action="store_true", help="time each step of ssg's edits")
    parser.add_argument("--baseline", type=Path, metavar="REPO",
                        help="also serve the site with the ssg of another checkout")
    parser.add_argument("--text-only", action="store_true", help="skip the template and CSS edits")
    parser.add_argument("--settled", action="store_true",
                        help="edit only once the server has deleted the output its first "
                             "build replaced (its background rm competes for the disk)")
    parser.add_argument("--traced-server", metavar="SITE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.traced_server:
        traced_server(args.traced_server)
        return
    WORK.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    rows = []
    traces = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for size in args.sizes:
                found, steps = measure(size, args.repeat, browser, hugo=not args.no_hugo,
                                       trace=args.trace, text_only=args.text_only,
                                       baseline=args.baseline, settled=args.settled)
                rows += found
                if steps:
                    traces.append(step_table(size, steps))
        finally:
            browser.close()
    print(table(rows))
    for trace in traces:
        print()
        print(trace)


if __name__ == "__main__":
    main()
