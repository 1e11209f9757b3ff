"""Search in a real browser: the docs site's search box finds a page and its link leads there.

Builds the repository's docs site (content/) with its Pagefind index, serves it on a loopback
port and drives headless Chromium. Outside CI the module skips when Chromium is missing; in CI
(CI set) it fails instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_index_is_built(docs_site: Path) -> None:
    assert (docs_site / "pagefind/pagefind-ui.js").is_file(), "no search index"


def test_search_finds_a_page_and_leads_to_it(browser: Any, docs_server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda request: request.url.startswith(docs_server)
            or request.url.startswith("data:") or outside.append(request.url))
    try:
        response = page.goto(docs_server + "/blog/")
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
        page.wait_for_url(docs_server + "/docs/authoring-tools/", timeout=15_000)
        assert page.locator("h1").first.text_content() == "Authoring tools"
    finally:
        context.close()
    assert outside == [], "the search box made requests outside the site"


def test_search_box_is_keyboard_reachable_and_labelled(browser: Any, docs_server: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(docs_server + "/docs/")
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
