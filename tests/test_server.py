"""`ssg serve` over HTTP: a real server in a subprocess on a loopback port, no browser.

Covers what a request may read, the injected LiveReload client, the WebSocket's Origin check,
rebuilds after edits (and none after editor noise), build and config errors, ports in use and
Ctrl-C. The pure helpers of ssg.serve.http, ssg.serve.reload and ssg.serve.watch are tested
directly first.
"""

from __future__ import annotations

import base64
import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ssg.build import BuildOptions, BuildResult, Session, build, static_dest, watched_folders
from ssg.config import load_config
from ssg.errors import BuildErrors, ContentError
from ssg.serve.http import VERSION_HEADER, inject, origin_allowed, overlay_html, resolve
from ssg.serve.reload import ReloadPlan, ServedFiles, dest_for_url, plan_reload
from ssg.serve.watch import is_noise

REPO = Path(__file__).resolve().parent.parent
#: Longest wait for anything the server does (a rebuild takes well under a second here).
TIMEOUT = 15.0

SITE: dict[str, str] = {
    "ssg.toml": 'title = "Live Site"\n',
    "content/posts/first.md":
        "---\ntitle: First Post\ndate: 2024-01-01\ntags: [news]\n---\nFirst body text.\n",
    "content/posts/second.md":
        "---\ntitle: Second Post\ndate: 2024-01-02\ntags: [news]\n---\nSecond body.\n",
    "content/about.md": "---\ntitle: About\n---\nAbout this site.\n",
    "static/css/style.css": "body { color: rgb(0, 0, 0); }\n",
}


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write {path: text} under root (dedented)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


class Served:
    """A `python -m ssg serve` subprocess and what it printed."""

    def __init__(self, site: Path, args: list[str], tmp: Path):
        env = dict(os.environ, PYTHONPATH=str(REPO), TMPDIR=str(tmp))
        self.site = site
        self.tmp = tmp
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ssg", "serve", str(site), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, cwd=REPO, env=env,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = ""

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, pattern: str, timeout: float = TIMEOUT) -> re.Match[str]:
        """The first printed line (old or new) matching the regex."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                match = re.search(pattern, line)
                if match:
                    return match
            seen = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and self._queue.empty()
                             and not self._reader.is_alive()):
                raise AssertionError(f"no line matching {pattern!r} in:\n{self.output}")
            try:
                self._queue.get(timeout=min(left, 0.2))
            except queue.Empty:
                pass

    def started(self, *, built: bool = True) -> Served:
        """Wait until it serves (with `built`, until its first build is done or failed: it
        answers at once, with a page saying that the site is being built)."""
        match = self.wait_for_line(r"Serving .* at (http://\S+)")
        self.url = match.group(1)
        if built:
            path = "/" + self.url.split("/", 3)[3]
            wait_until(lambda: self.get(path)[0] != 503, "the first build", timeout=120)
        return self

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    def count(self, pattern: str) -> int:
        return sum(1 for line in self.lines if re.search(pattern, line))

    def stop(self) -> int:
        """Ctrl-C the server; its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._reader.join(timeout=TIMEOUT)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return code

    def get(self, path: str, headers: dict[str, str] | None = None
            ) -> tuple[int, dict[str, str], str]:
        """GET a raw path (sent as is: no normalisation); (status, headers, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace")
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            conn.close()


def wait_until(check: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    """Poll `check` until it holds; fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def serving(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Body of a fixture: start `ssg serve` on a site written from a {path: text} dict
    (SITE by default); every server started is stopped at the end."""
    servers: list[Served] = []

    def start(files: dict[str, str] | None = None, *args: str, wait: bool = True,
              any_port: bool = True) -> Served:
        site = tmp_path / f"site{len(servers)}"
        write_files(site, SITE if files is None else files)
        tmp = tmp_path / f"tmp{len(servers)}"
        tmp.mkdir()
        if any_port and "--port" not in args:
            args = (*args, "--port", "0")
        served = Served(site, list(args), tmp)
        servers.append(served)
        return served.started() if wait else served

    yield start
    for served in servers:
        served.stop()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `ssg serve` on a test site: serve(files, *args)."""
    yield from serving(tmp_path)


# --- helpers, tested directly ------------------------------------------------------------------

def test_resolve_refuses_paths_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "posts" / "a").mkdir(parents=True)
    (root / "posts" / "a" / "index.html").write_text("a")
    (root / "style.css").write_text("css")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "inside.txt").symlink_to(root / "style.css")
    assert resolve(root, "/", "/posts/a/").path == root / "posts" / "a" / "index.html"
    assert resolve(root, "/", "/posts/a") == resolve(root, "/", "/posts/a")
    assert resolve(root, "/", "/posts/a").location == "/posts/a/"
    assert resolve(root, "/", "//posts/a").location == "/posts/a/"  # never `//host/`
    assert resolve(root, "/", "/style.css").status == 200
    assert resolve(root, "/", "/inside.txt").status == 200
    for bad in ("/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%5c..%5csecret.txt",
                "/posts/%2E%2E/%2E%2E/secret.txt", "/link.txt", "/a%00b"):
        assert resolve(root, "/", bad).status == 403, bad
    assert resolve(root, "/", "//etc/passwd").status == 404
    assert resolve(root, "/", "/%ff").status == 404
    assert resolve(root, "/", "/nothing/").status == 404


def test_resolve_serves_under_the_base_path(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("home")
    assert resolve(root, "/docs/", "/").location == "/docs/"
    assert resolve(root, "/docs/", "/docs").location == "/docs/"
    assert resolve(root, "/docs/", "/docs/").path == root / "index.html"
    assert resolve(root, "/docs/", "/index.html").status == 404


def test_inject_puts_the_script_in_the_head_and_the_overlay_first_in_the_body() -> None:
    page = b"<html><head><title>t</title></head><body class='x'><p>hi</p></body></html>"
    assert inject(page, b"<S>") == page.replace(b"</head>", b"<S></head>")
    both = inject(page, b"<S>", b"<O>")
    assert both.index(b"<S>") < both.index(b"</head>")
    assert b"<body class='x'><O><p>hi</p>" in both
    assert inject(b"<p>bare</p>", b"<S>", b"<O>") == b"<p>bare</p><S><O>"


def test_overlay_names_each_file_line_and_message_escaped() -> None:
    error = BuildErrors([ContentError("bad <yaml>", path="content/a.md", line=3),
                         ContentError("no title", path="content/b.md")])
    text = overlay_html(error).decode()
    assert 'id="ssg-error-overlay" role="alert"' in text
    assert "content/a.md:3" in text and "bad &lt;yaml&gt;" in text
    assert "content/b.md" in text and "no title" in text


def test_plan_reload_reloads_changed_pages_and_swaps_stylesheets() -> None:
    css_only = plan_reload(["css/style.css", "search/t/3.json", "feed.xml"], "/d/")
    assert css_only == ReloadPlan(swaps=("/d/css/style.css",))
    pages = plan_reload(["posts/a/index.html", "css/style.css"], "/")
    assert pages.pages == {"posts/a/index.html"} and not pages.everything
    assert plan_reload(["js/app.js"], "/").everything
    assert not plan_reload(["sitemap.xml", "robots.txt", ".ssg-output"], "/")


def test_dest_for_url() -> None:
    assert dest_for_url("http://127.0.0.1:8000/posts/a/?q#f", "/") == "posts/a/index.html"
    assert dest_for_url("http://127.0.0.1:8000/docs/", "/docs/") == "index.html"
    assert dest_for_url("http://127.0.0.1:8000/x.html", "/") == "x.html"
    assert dest_for_url("http://127.0.0.1:8000/other/", "/docs/") is None


def test_static_dest_names_only_files_the_last_build_copied_as_is(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_files(site, {"ssg.toml": 'title = "S"\n', "content/a.md": "A.\n",
                       "static/files/doc.txt": "doc"})
    config = replace(load_config(site), output_dir=tmp_path / "out")
    theme_css = config.theme_dir / "static/css/style.css"
    session, options = Session(), BuildOptions(cache=False)
    result = build(config, options, session)
    assert static_dest(config, site / "static/files/doc.txt", result) == "files/doc.txt"
    # The theme's stylesheet is copied, and read by asset() for its fingerprinted name.
    assert static_dest(config, theme_css, result) is None
    for not_copied in (site / "content/a.md", site / "static/files", site / "ssg.toml"):
        assert static_dest(config, not_copied, result) is None, not_copied
    write_files(site, {"static/new.txt": "new", "static/files/doc.txt": "doc 2"})
    assert static_dest(config, site / "static/new.txt", result) is None, "not built yet"
    result = build(config, options, session, changed=[site / "static/new.txt"])
    assert static_dest(config, site / "static/new.txt", result) == "new.txt"
    assert static_dest(config, site / "static/files/doc.txt", result) == "files/doc.txt"
    assert set(watched_folders(config)) >= {site / "content", site / "static",
                                            site / "templates", config.theme_dir}


def test_served_files_after_a_full_build_are_the_ones_whose_bytes_changed(
        tmp_path: Path) -> None:
    def result(full: bool, written: tuple[str, ...] = (), removed: tuple[str, ...] = ()
               ) -> BuildResult:
        return BuildResult(pages=0, files=0, rendered=0, written=written, removed=removed,
                           full=full, seconds=0.0)

    write_files(tmp_path, {"a.html": "a", "b/index.html": "b", "c.css": "c",
                           ".ssg-output": "marker"})
    served = ServedFiles()
    assert served.changed_by(result(True), tmp_path) == {"a.html", "b/index.html", "c.css"}
    write_files(tmp_path, {"a.html": "a2", "c.css": "c"})
    (tmp_path / "b/index.html").unlink()
    assert served.changed_by(result(True), tmp_path) == {"a.html", "b/index.html"}
    assert served.changed_by(result(False, ("c.css",), ("x.html",)), tmp_path) == {
        "c.css", "x.html"}
    assert not served.note("c.css", b"c"), "the bytes it has"
    assert served.note("c.css", b"c2")


def test_origin_check() -> None:
    assert origin_allowed("http://127.0.0.1:8000", "127.0.0.1", 8000)
    assert origin_allowed("http://localhost:8000", "127.0.0.1", 8000)
    assert not origin_allowed("http://127.0.0.1:8001", "127.0.0.1", 8000)
    assert not origin_allowed("http://evil.example:8000", "127.0.0.1", 8000)
    assert not origin_allowed("https://127.0.0.1:8000", "127.0.0.1", 8000)
    assert not origin_allowed("null", "127.0.0.1", 8000)
    assert not origin_allowed(None, "127.0.0.1", 8000)
    assert origin_allowed("http://192.168.1.20:8000", "0.0.0.0", 8000)
    assert not origin_allowed("http://rebound.example:8000", "0.0.0.0", 8000)


def test_editor_noise() -> None:
    for noise in ("content/.a.md.swp", "content/a.md.swx", "content/a.md~", "content/4913",
                  "content/.#a.md", "content/#a.md#", ".git/index", "content/.git/HEAD"):
        assert is_noise(noise), noise
    for real in ("content/a.md", "static/.htaccess", "content/swp.md", "templates/page.html"):
        assert not is_noise(real), real


# --- the server over HTTP ----------------------------------------------------------------------

def test_serves_pages_with_the_client_that_built_files_never_hold(
        serve: Callable[..., Served], tmp_path: Path) -> None:
    served = serve()
    status, headers, body = served.get("/posts/first/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "First body text." in body
    assert body.count('<script id="ssg-livereload"') == 1
    assert body.index('id="ssg-livereload"') < body.index("</head>")
    assert f'data-version="{headers[VERSION_HEADER.lower()]}"' in body
    assert f'href="http://127.0.0.1:{served.port}/posts/first/"' in body  # canonical: local
    status, _, css = served.get("/css/style.css")
    assert status == 200 and "livereload" not in css
    status, _, _ = served.get(f"/livereload.js?port={served.port}")
    assert status == 200
    # The build of the same site has no trace of the server, and the server wrote nothing
    # into the site's own output folder.
    assert not (served.site / "output").exists()
    result = subprocess.run([sys.executable, "-m", "ssg", "build", str(served.site), "-q"],
                            cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    built = [p for p in (served.site / "output").rglob("*.html")]
    assert built
    for page in built:
        text = page.read_text(encoding="utf-8")
        assert "livereload" not in text and "ssg-error-overlay" not in text, page


def test_requests_cannot_leave_the_served_build(serve: Callable[..., Served],
                                                tmp_path: Path) -> None:
    served = serve()
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    roots = [served.site / ".ssg-cache/serve/site"]
    assert roots[0].is_dir(), "the served build is in the site's cache"
    (roots[0] / "leak.txt").symlink_to(secret)
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
                 "/..%5csecret.txt", "/%5c..%5c..%5csecret.txt", "//etc/passwd",
                 "/posts/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/leak.txt",
                 "/../../../../../../etc/passwd"):
        status, _, body = served.get(path)
        assert status in (403, 404), path
        assert "top secret" not in body and "root:" not in body, path
    assert served.get("/leak.txt")[0] == 403


def test_missing_page_is_404_with_the_sites_404_page(serve: Callable[..., Served]) -> None:
    served = serve()
    status, _, body = served.get("/no/such/page/")
    assert status == 404
    assert "Page not found" in body and 'id="ssg-livereload"' in body


def test_base_url_path_is_kept(serve: Callable[..., Served]) -> None:
    served = serve({**SITE, "ssg.toml": 'title = "Docs"\nbase_url = "https://x.org/docs/"\n'})
    assert served.url == f"http://127.0.0.1:{served.port}/docs/"
    status, headers, _ = served.get("/")
    assert status == 302 and headers["location"] == "/docs/"
    status, _, body = served.get("/docs/posts/first/")
    assert status == 200
    assert re.search(r'href="/docs/css/style\.[0-9a-f]{10}\.css"', body)
    assert f"http://127.0.0.1:{served.port}/docs/posts/first/" in body
    assert served.get("/posts/first/")[0] == 404


def _handshake(port: int, origin: str | None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()}
    if origin is not None:
        headers["Origin"] = origin
    try:
        conn.request("GET", "/livereload", headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_websocket_accepts_only_this_servers_pages(serve: Callable[..., Served]) -> None:
    served = serve()
    port = served.port
    assert _handshake(port, f"http://127.0.0.1:{port}") == 101
    assert _handshake(port, "http://evil.example") == 403
    assert _handshake(port, f"http://evil.example:{port}") == 403
    assert _handshake(port, f"http://127.0.0.1:{port + 1}") == 403
    assert _handshake(port, "null") == 403


def test_edits_rebuild_and_noise_does_not(serve: Callable[..., Served]) -> None:
    served = serve()
    page = served.site / "content/posts/first.md"
    content = served.site / "content"
    builds = served.count(r"^Built ")
    (content / ".first.md.swp").write_text("swap")
    (content / "posts/first.md~").write_text("backup")
    (content / "4913").write_text("")
    (content / ".#first.md").write_text("lock")
    (content / ".git").mkdir()
    (content / ".git/index").write_text("git")
    (served.site / "output").mkdir()
    (served.site / "output/index.html").write_text("other build")
    page.chmod(0o600)
    os.utime(content)  # the folder's own "modified" event
    page.open("rb").close()  # opened and closed unwritten
    time.sleep(1.0)
    assert served.count(r"^Built ") == builds, served.output
    page.write_text(SITE["content/posts/first.md"].replace("First Post", "Edited Title"))
    wait_until(lambda: "Edited Title" in served.get("/posts/first/")[2], "the edit")
    served.wait_for_line(r"^Built ")
    for listing in ("/posts/", "/tags/news/", "/feed.xml", "/"):
        body = served.get(listing)[2]
        assert "Edited Title" in body and "First Post" not in body, listing


def test_a_burst_of_changes_gives_one_rebuild(serve: Callable[..., Served]) -> None:
    served = serve()
    builds = served.count(r"^Built ")
    for n in range(300):  # like `git checkout` of many files
        (served.site / f"content/posts/burst-{n:03}.md").write_text(
            f"---\ntitle: Burst {n}\n---\nBody {n}.\n")
    wait_until(lambda: served.get("/posts/burst-299/")[0] == 200, "the new pages")
    time.sleep(0.5)
    assert served.count(r"^Built ") - builds <= 2, served.output
    assert served.get("/tags/news/")[0] == 200


def test_static_change_is_copied_without_a_build(serve: Callable[..., Served]) -> None:
    served = serve({**SITE, "static/css/print.css": "body { color: rgb(0, 0, 0); }\n"})
    builds = served.count(r"^Built ")
    css = served.site / "static/css/print.css"  # no template reads it: it is only copied
    css.write_text("body { color: rgb(255, 0, 0); }\n")
    wait_until(lambda: "255, 0, 0" in served.get("/css/print.css")[2], "the new stylesheet")
    served.wait_for_line(r"^Copied css/print\.css")
    assert served.count(r"^Built ") == builds
    # An editor's atomic save: write a temporary file, rename it over the original.
    tmp = css.with_name("print.css.tmp")
    tmp.write_text("body { color: rgb(0, 0, 255); }\n")
    os.replace(tmp, css)
    wait_until(lambda: "0, 0, 255" in served.get("/css/print.css")[2], "the renamed stylesheet")
    assert served.count(r"^Built ") == builds


def test_theme_static_edits_are_copied_unless_the_site_has_the_file(
        serve: Callable[..., Served]) -> None:
    theme = REPO / "themes/default"
    files = {f"themes/mine/{path.relative_to(theme).as_posix()}": path.read_text()
             for path in theme.rglob("*") if path.is_file()}
    files.update({
        "ssg.toml": 'title = "Themed"\ntheme = "mine"\n',
        "content/about.md": "---\ntitle: About\n---\nAbout.\n",
        "themes/mine/static/theme.css": "/* theme v1 */\n",
        "static/css/style.css": "/* the site's own */\n",
    })
    served = serve(files)
    builds = served.count(r"^Built ")
    (served.site / "themes/mine/static/theme.css").write_text("/* theme v2 */\n")
    wait_until(lambda: "theme v2" in served.get("/theme.css")[2], "the theme's file")
    served.wait_for_line(r"^Copied theme\.css")
    assert served.count(r"^Built ") == builds
    (served.site / "themes/mine/static/css/style.css").write_text("/* hidden edit */\n")
    (served.site / "content/about.md").write_text("---\ntitle: About\n---\nEdited.\n")
    wait_until(lambda: "Edited." in served.get("/about/")[2], "the edit")
    assert "the site's own" in served.get("/css/style.css")[2]


def test_deleted_and_renamed_pages(serve: Callable[..., Served]) -> None:
    served = serve()
    (served.site / "content/about.md").unlink()
    wait_until(lambda: served.get("/about/")[0] == 404, "the deleted page to go")
    assert "Page not found" in served.get("/about/")[2]
    posts = served.site / "content/posts"
    (posts / "second.md").rename(posts / "renamed.md")
    wait_until(lambda: served.get("/posts/renamed/")[0] == 200, "the renamed page")
    assert served.get("/posts/second/")[0] == 404
    assert "/posts/renamed/" in served.get("/posts/")[2]
    assert "/posts/second/" not in served.get("/tags/news/")[2]
    assert "/posts/renamed/" in served.get("/feed.xml")[2]


def _shows(served: Served, path: str, text: str) -> bool:
    """The page has the text and no error overlay (cleared just after the output goes live)."""
    body = served.get(path)[2]
    return text in body and "ssg-error-overlay" not in body


def test_build_error_keeps_the_last_site_and_shows_the_overlay(
        serve: Callable[..., Served]) -> None:
    served = serve()
    page = served.site / "content/posts/first.md"
    page.write_text("---\ntitle: [unclosed\n---\nBroken.\n")
    served.wait_for_line(r"^error: content/posts/first\.md:\d+: ")
    status, _, body = served.get("/posts/first/")
    assert status == 200 and "First body text." in body  # the last good build
    assert 'id="ssg-error-overlay"' in body and "content/posts/first.md" in body
    assert 'id="ssg-error-overlay"' in served.get("/nowhere/")[2]
    page.write_text("---\ntitle: First Post\n---\nFixed body.\n")
    wait_until(lambda: _shows(served, "/posts/first/", "Fixed body."), "the fix")


def test_broken_config_is_shown_and_a_fixed_one_reloaded(serve: Callable[..., Served]) -> None:
    served = serve()
    config = served.site / "ssg.toml"
    config.write_text('title = "Unclosed\n')
    served.wait_for_line(r"^error: .*ssg\.toml:1: invalid TOML")
    wait_until(lambda: "ssg-error-overlay" in served.get("/posts/first/")[2], "the overlay")
    assert "Live Site" in served.get("/posts/first/")[2]
    config.write_text('title = "Renamed Site"\n')
    wait_until(lambda: _shows(served, "/posts/first/", "Renamed Site"), "the new config")


def test_drafts_only_with_the_flag(serve: Callable[..., Served]) -> None:
    files = {**SITE, "content/posts/wip.md": "---\ntitle: WIP\ndraft: true\n---\nDraft.\n"}
    assert serve(files).get("/posts/wip/")[0] == 404
    assert serve(files, "--drafts").get("/posts/wip/")[0] == 200


def test_port_in_use(serve: Callable[..., Served]) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        served = serve(None, "--port", str(port), wait=False)
        assert served.proc.wait(timeout=TIMEOUT) == 1
        served.wait_for_line(rf"^error: port {port} on 127\.0\.0\.1 is already in use")
        assert "Traceback" not in served.output


def test_default_port_in_use_moves_to_the_next(serve: Callable[..., Served]) -> None:
    with socket.socket() as blocker:
        try:
            blocker.bind(("127.0.0.1", 8000))
            blocker.listen()
        except OSError:
            pass  # something else holds it: in use all the same
        assert serve(None, "--port", "8000", wait=False).proc.wait(timeout=TIMEOUT) == 1
        served = serve(None, any_port=False)
        assert served.port != 8000
        served.wait_for_line(r"^Port 8000 is in use; using port \d+ instead")
        assert served.get("/posts/first/")[0] == 200


def test_ctrl_c_stops_cleanly(serve: Callable[..., Served]) -> None:
    served = serve()
    served.get("/posts/first/")
    owner = served.site / ".ssg-cache/serve/owner.pid"
    assert owner.read_text() == str(served.proc.pid)
    assert served.stop() == 0
    assert "Traceback" not in served.output and "Aborted" not in served.output
    assert served.output.rstrip().endswith("Stopped.")
    assert not owner.exists(), "the served build is given up for the next server"


@pytest.mark.parametrize("signals", [
    [signal.SIGTERM],  # docker stop, systemd, IDEs
    [signal.SIGTERM] * 5 + [signal.SIGINT] * 5,  # impatient: more while it shuts down
    [signal.SIGINT] * 10,
], ids=["sigterm", "sigterm-repeated", "ctrl-c-repeated"])
def test_sigterm_and_repeated_signals_stop_cleanly(serve: Callable[..., Served],
                                                   signals: list[signal.Signals]) -> None:
    served = serve()
    assert served.get("/posts/first/")[0] == 200
    owner = served.site / ".ssg-cache/serve/owner.pid"
    assert owner.exists()
    for signum in signals:
        if served.proc.poll() is None:
            served.proc.send_signal(signum)
            time.sleep(0.01)
    assert served.proc.wait(timeout=5) == 0
    served.stop()
    assert "Traceback" not in served.output and "Aborted" not in served.output
    assert served.output.rstrip().endswith("Stopped.")
    assert not owner.exists(), "the served build is given up for the next server"
    assert (served.site / ".ssg-cache/state.json").exists(), "the session is saved"


def test_other_hosts_get_a_warning(serve: Callable[..., Served]) -> None:
    served = serve(None, "--host", "0.0.0.0")
    served.wait_for_line(r"^warning: listening on 0\.0\.0\.0: .*drafts included")
    assert served.get("/posts/first/")[0] == 200


def test_poll_watches_without_native_events(serve: Callable[..., Served]) -> None:
    served = serve(None, "--poll")
    page = served.site / "content/posts/first.md"
    page.write_text(SITE["content/posts/first.md"].replace("First body", "Polled body"))
    wait_until(lambda: "Polled body" in served.get("/posts/first/")[2], "the polled edit")


def test_static_file_replacing_a_generated_one(serve: Callable[..., Served]) -> None:
    """The dev server shows what a clean build makes: the site's own highlight.css wins over
    the generated one, and the generated one is back when it is deleted."""
    served = serve()
    assert ".highlight" in served.get("/highlight.css")[2]
    mine = served.site / "static/highlight.css"
    mine.write_text("/* my own palette */\n")
    wait_until(lambda: "my own palette" in served.get("/highlight.css")[2], "the site's file")
    (served.site / "content/about.md").write_text("---\ntitle: About\n---\nEdited.\n")
    wait_until(lambda: "Edited." in served.get("/about/")[2], "the edit")
    assert "my own palette" in served.get("/highlight.css")[2]
    mine.unlink()
    wait_until(lambda: ".highlight" in served.get("/highlight.css")[2], "the generated file")
    assert "would both write" not in served.output
