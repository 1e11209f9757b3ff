"""`ssg check`: links, fragments, images and assets; external links on a loopback server."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import Site, serve_http, tiny_png
from ssg.cli import main
from ssg.config import load_config
from ssg.tools.check import check_external, check_site

CLEAN = {
    "ssg.toml": 'title = "T"\nbase_url = "https://example.org/"\n',
    "content/_index.md": "Home: [a](a.md) and [b's second part](b.md#section-two).\n",
    "content/a.md": "---\ntitle: A\n---\n[b](b.md) [mail](mailto:x@example.org) [top](#top)\n"
                    '<a id="anchor"></a> [self](#anchor) [b no slash](/b) '
                    "[home](https://example.org/) [own b](https://example.org/b/#section-two)\n",
    "content/b.md": "---\ntitle: B\n---\n## Section two\n\n[out](https://www.example.com/x)\n",
    "content/trip/index.md": "---\ntitle: Trip\n---\n![photo](photo.png)\n",
    "content/trip/photo.png": tiny_png(),
}


def test_clean_site_exits_0_with_summary(make_site: Callable[..., Site]) -> None:
    site = make_site(CLEAN, build=False)
    result = CliRunner().invoke(main, ["check", str(site.root)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Checked 7 HTML files: ") and "no problems." in result.output
    assert not site.out.exists(), "check must not write the site's output folder"


def test_each_broken_reference_is_reported(make_site: Callable[..., Site]) -> None:
    site = make_site({
        **CLEAN,
        "content/posts/a.md": "---\ntitle: PA\n---\nSummary.\n\n<!-- more -->\n\n"
                              "[gone](/nope/) [frag](../b.md#missing)\n"
                              "![cat](/img/cat.png) ![dog](dog.jpg) [file](/files/x.pdf)\n"
                              '<img alt="" srcset="/s1.png 1x, /trip/photo.png 2x">\n'
                              "[far](https://example.org/far/) [up](../../../x/)\n",
        "templates/404.html": '{% extends "base.html" %}{% block content %}'
                              '<script src="/js/missing.js"></script>'
                              '<a href="/b/#section-two">ok</a>{% endblock %}',
    }, build=False)
    result = CliRunner().invoke(main, ["check", str(site.root)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[:-1] == [
        "404.html (404 page) -> /js/missing.js: no such file",
        "content/posts/a.md -> ../../../x/: outside the site (its base path is /)",
        "content/posts/a.md -> /b/#missing: no heading or element with id 'missing' on that page",
        "content/posts/a.md -> /files/x.pdf: no such file",
        "content/posts/a.md -> /img/cat.png: no such file",
        "content/posts/a.md -> /nope/: no such page",
        "content/posts/a.md -> /s1.png: no such file",
        "content/posts/a.md -> dog.jpg: no such file (looked for /posts/a/dog.jpg)",
        "content/posts/a.md -> https://example.org/far/: no such page",
    ]
    assert lines[-1].startswith("Checked 9 HTML files") and lines[-1].endswith(": 9 problems.")


def test_base_path_is_respected(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": 'base_url = "https://example.org/docs/"\n',
        "content/a.md": 'Summary.\n\n<!-- more -->\n\n[b](b.md#h) <a href="/other/">o</a>\n',
        "content/b.md": "## H\n",
    }, build=False)
    report = check_site(load_config(site.root))
    assert [str(p) for p in report.problems] == [
        "content/a.md -> /other/: outside the site (its base path is /docs/)"]


def test_the_docs_site_is_clean() -> None:
    report = check_site(load_config(Path(__file__).resolve().parent.parent))
    assert report.problems == [] and report.pages > 10 and report.fragments > 0


# --- external links, against a loopback server only ------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    active = 0
    peak = 0
    lock = threading.Lock()
    methods: list[tuple[str, str]] = []

    def _answer(self, body: bool) -> None:
        cls = type(self)
        with cls.lock:
            cls.active += 1
            cls.peak = max(cls.peak, cls.active)
            cls.methods.append((self.command, self.path))
        try:
            if self.path.startswith("/slow"):
                time.sleep(1.5)
            elif self.path.startswith("/busy"):
                time.sleep(0.2)
        finally:
            # Counted as active only while it waits: once the answer is on its way the client
            # may already send its next request.
            with cls.lock:
                cls.active -= 1
        try:
            status = 200
            if self.path == "/gone":
                status = 404
            elif self.path == "/nohead" and self.command == "HEAD":
                status = 405
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            if body:
                self.wfile.write(b"ok")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_HEAD(self) -> None:  # noqa: N802 - the stdlib's naming
        self._answer(body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(body=True)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[str]:
    """A small HTTP server on a free 127.0.0.1 port; yields its origin."""
    _Handler.active = _Handler.peak = 0
    _Handler.methods = []
    with serve_http(_Handler) as origin:
        yield origin


def test_external_links_head_then_get_with_time_out(make_site: Callable[..., Site],
                                                    loopback: str) -> None:
    site = make_site({
        "content/a.md": f"[ok]({loopback}/ok) [gone]({loopback}/gone) "
                        f"[nohead]({loopback}/nohead) [slow]({loopback}/slow) "
                        f"[frag]({loopback}/ok#x)\n",
        "content/b.md": f"[gone again]({loopback}/gone)\n",
    }, build=False)
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(site.root)]).exit_code == 0, "external is opt-in"
    result = runner.invoke(main, ["check", str(site.root), "--external", "--timeout", "0.5"])
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[:-1] == [
        f"content/a.md -> {loopback}/gone: HTTP 404 Not Found",
        f"content/a.md -> {loopback}/slow: timed out after 0.5 s",
        f"content/b.md -> {loopback}/gone: HTTP 404 Not Found",
    ]
    assert "4 external links: 3 problems." in result.output
    assert ("HEAD", "/nohead") in _Handler.methods and ("GET", "/nohead") in _Handler.methods
    assert ("GET", "/ok") not in _Handler.methods, "a successful HEAD needs no GET"
    assert ("GET", "/slow") not in _Handler.methods, "a time-out is not tried again"


def test_external_checks_are_bounded_in_concurrency(loopback: str) -> None:
    urls = [f"{loopback}/busy/{i}" for i in range(24)]
    assert check_external(urls, workers=4, timeout=5) == []
    assert 1 < _Handler.peak <= 4


def test_malformed_urls_are_problems_never_crashes(make_site: Callable[..., Site],
                                                   loopback: str) -> None:
    bad = ["http://localhost:port", "http://[::1", "http://exa mple.com", "https://",
           "http://a:99999/"]
    site = make_site({
        "content/a.md": "".join(f'<a href="{url}">x</a>\n' for url in bad)
                        + f"[ok]({loopback}/ok) [space]({loopback}/a b/)\n",
        "content/b.md": "<http://localhost:port>\n",
    }, build=False)
    for args in ([], ["--external", "--timeout", "2"]):
        result = CliRunner().invoke(main, ["check", str(site.root), *args])
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception  # no crash
        problems = result.stdout.splitlines()[:-1]
        assert [p.split(": ", 1)[0] for p in problems] == [
            "content/a.md -> http://[::1",
            "content/a.md -> http://a:99999/",
            "content/a.md -> http://exa mple.com",
            "content/a.md -> http://localhost:port",
            "content/a.md -> https://",
            "content/b.md -> http://localhost:port",
        ], result.output
        assert all("malformed URL" in p for p in problems)
    assert ("HEAD", "/a%20b/") in _Handler.methods, "a space in a path is sent encoded"


def test_check_levels_make_a_kind_of_broken_link_a_note(make_site: Callable[..., Site]) -> None:
    files = {
        "ssg.toml": 'title = "T"\n[check]\nanchors = "info"\n',
        "content/a.md": "---\ntitle: A\n---\n[gone heading](b.md#nope) [gone page](/nope/)\n",
        "content/b.md": "---\ntitle: B\n---\n## There\n",
    }
    site = make_site(files, build=False)
    result = CliRunner().invoke(main, ["check", str(site.root)])
    assert result.exit_code == 1  # the missing page still counts
    assert result.output.splitlines() == [
        "content/a.md -> /nope/: no such page",
        "note: content/a.md -> /b/#nope: no heading or element with id 'nope' on that page "
        "(anchors: info)",
        result.output.splitlines()[-1]]
    assert result.output.splitlines()[-1].endswith(": 1 problem (1 note at info level).")
    # "ignore" hides a kind; the default of a site of ssg's own counts every kind.
    site.write({"ssg.toml": 'title = "T"\n[check]\nanchors = "ignore"\nabsolute_links = '
                '"info"\n'})
    report = check_site(load_config(site.root))
    assert report.problems == [] and [str(n) for n in report.notes] == [
        "content/a.md -> /nope/: no such page"]
    site.write({"ssg.toml": 'title = "T"\n'})
    assert len(check_site(load_config(site.root)).problems) == 2


def test_bad_check_level_is_a_config_error(make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": '[check]\nanchors = "error"\n', "content/a.md": "A\n"},
                     build=False)
    result = CliRunner().invoke(main, ["check", str(site.root)])
    assert result.exit_code == 1
    assert ("error: ssg.toml: check.anchors must be one of 'warn', 'info', 'ignore', not "
            "'error'") in result.output


def test_markdown_links_may_name_static_files(make_site: Callable[..., Site]) -> None:
    # A static file (the site's static/ or the theme's) is named by its place in the output,
    # as if it were in the content folder, from a page in any folder.
    site = make_site({
        "ssg.toml": 'base_url = "https://example.org/docs/"\n',
        "content/posts/a.md": "[icon](../favicon.svg) [logo](../img/logo.png) [own](/img/logo.png)",
        "static/img/logo.png": tiny_png(),
    })
    page = site.read("posts/a/index.html")
    assert page.count('href="/docs/img/logo.png"') == 2 and 'href="/docs/favicon.svg"' in page
    assert check_site(load_config(site.root)).problems == []
