"""Search in a real browser: the docs site's search box finds a page and its link leads there.

Builds the repository's docs site (content/) with its Pagefind index, serves it on a loopback
port and drives headless Chromium. Outside CI the module skips when Chromium is missing; in CI
(CI set) it fails instead.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def site_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs site built by the CLI, with base path "/" so a local server can host it."""
    out = tmp_path_factory.mktemp("docs-search")
    result = subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(REPO), "-o", str(out),
         "--base-url", "https://example.org/", "--no-cache"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / "pagefind/pagefind-ui.js").is_file(), "no search index: is pagefind installed?"
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(site_out: Path) -> Iterator[str]:
    """The built site on a free loopback port; yields the origin."""
    handler = functools.partial(_QuietHandler, directory=str(site_out))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Playwright."""
    if not CHROMIUM.exists() and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM) if CHROMIUM.exists() else None, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_search_finds_a_page_and_leads_to_it(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda request: request.url.startswith(server)
            or request.url.startswith("data:") or outside.append(request.url))
    try:
        response = page.goto(server + "/blog/")
        assert response is not None and response.ok
        box = page.get_by_role("textbox", name="Search this site")
        assert box.get_attribute("id") == "site-search-input"
        assert page.locator('label[for="site-search-input"]').text_content() == "Search this site"
        box.fill("archetype")
        link = page.locator(".pagefind-ui__result-title .pagefind-ui__result-link").first
        link.wait_for(timeout=15_000)
        assert link.text_content() == "Authoring tools"
        assert link.get_attribute("href") == "/docs/authoring-tools/"
        link.click()
        page.wait_for_url(server + "/docs/authoring-tools/", timeout=15_000)
        assert page.locator("h1").first.text_content() == "Authoring tools"
    finally:
        context.close()
    assert outside == [], "the search box made requests outside the site"


def test_search_box_is_keyboard_reachable_and_labelled(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(server + "/docs/")
        for _ in range(12):  # skip link, title, navigation, then the search box
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "site-search-input":
                break
        assert page.evaluate("document.activeElement.id") == "site-search-input"
        page.keyboard.type("Pagefind")
        page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
