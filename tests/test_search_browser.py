"""Search in a real browser: typing a word shows the pages that have it, links lead there,
Chinese and Japanese words are found, and `ssg serve` keeps the index current after an edit.

Builds sites with their /search/ index, serves them on a loopback port and drives headless
Chromium. Outside CI the module skips when Chromium is missing; in CI (CI set) it fails instead.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from test_server import TIMEOUT, Served, serving

from conftest import Site, _QuietHandler, html_tags, serve_http

RESULTS = "#site-search-results li a"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `ssg serve` on a test site: serve(files, *args)."""
    yield from serving(tmp_path)


def results(page: Any, query: str) -> list[tuple[str, str]]:
    """Open the search dialog (with `/`) unless it is open, type `query` into its box; (title,
    href) of the results the client shows for it (it announces each shown query with an
    `ssg-search-results` event)."""
    if not page.locator("#site-search-input").is_visible():
        page.locator("body").press("/")
    page.evaluate("""(query) => {
        window.shownQuery = null;
        document.getElementById("site-search").addEventListener("ssg-search-results",
            (event) => { window.shownQuery = event.detail.query; });
    }""", query)
    page.get_by_role("searchbox", name="Search this site").fill(query)
    page.wait_for_function("(q) => window.shownQuery === q", arg=query, timeout=15_000)
    links = page.locator(RESULTS)
    return [(links.nth(i).text_content() or "", links.nth(i).get_attribute("href") or "")
            for i in range(links.count())]


#: The search client by its fingerprinted name.
CLIENT = re.compile(r"/search/search\.[0-9a-f]{10}\.js")


def test_index_is_built(docs_site: Path) -> None:
    (dialog,) = html_tags((docs_site / "index.html").read_text(), "dialog")
    client = dialog["data-client"] or ""
    assert CLIENT.fullmatch(client), client
    assert (docs_site / client.lstrip("/")).is_file(), "no search client"
    assert (docs_site / "search/meta.json").is_file(), "no search index"


def test_search_finds_a_page_and_leads_to_it(browser: Any, docs_server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda request: request.url.startswith(docs_server)
            or request.url.startswith("data:") or outside.append(request.url))
    scripts: list[str] = []
    page.on("response", lambda response: response.request.resource_type == "script"
            and scripts.append(urlsplit(response.url).path))
    try:
        response = page.goto(docs_server + "/blog/")
        assert response is not None and response.ok
        page.get_by_role("button", name="Search", exact=True).click()
        box = page.get_by_role("searchbox", name="Search this site")
        assert box.get_attribute("id") == "site-search-input"
        assert page.locator('label[for="site-search-input"]').text_content() == "Search this site"
        found = results(page, "archetype")
        assert found[0] == ("Authoring tools", "/docs/authoring-tools/"), found
        status = page.locator("#site-search-status")
        assert status.get_attribute("aria-live") == "polite"
        assert (status.text_content() or "").endswith(("1 result", " results"))
        assert page.locator("#site-search-results li p").first.text_content(), "no excerpt"
        page.locator(RESULTS).first.click()
        page.wait_for_url(docs_server + "/docs/authoring-tools/", timeout=15_000)
        assert page.locator("h1").first.text_content() == "Authoring tools"
        assert results(page, "zzqxnothing") == []
        assert "No results" in (page.locator("#site-search-status").text_content() or "")
    finally:
        context.close()
    assert outside == [], "the search box made requests outside the site"
    # The client came by its fingerprinted name (and ran: its SRI hash matched).
    assert [path for path in scripts if "/search/" in path and CLIENT.fullmatch(path)], scripts


def test_prefix_matching_as_you_type(browser: Any, docs_server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(docs_server + "/docs/")
        typed = results(page, "archety")
        assert ("Authoring tools", "/docs/authoring-tools/") in typed
    finally:
        context.close()


def test_search_box_is_keyboard_reachable_and_labelled(browser: Any, docs_server: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(docs_server + "/docs/")
        for _ in range(12):  # skip link, title, navigation, then the search button
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "site-search-open":
                break
        assert page.evaluate("document.activeElement.id") == "site-search-open"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "site-search-input"
        assert results(page, "shortcode")
        page.keyboard.press("ArrowDown")
        first = page.locator(RESULTS).first.get_attribute("href")
        assert page.evaluate("document.activeElement.getAttribute('href')") == first
        page.keyboard.press("Escape")  # empties the box
        assert page.evaluate("document.activeElement.id") == "site-search-input"
        assert page.locator("#site-search-results").is_hidden()
        assert page.locator("#site-search-dialog").is_visible()
        page.keyboard.press("Escape")  # closes the dialog, back to its button
        assert page.locator("#site-search-dialog").is_hidden()
        assert page.evaluate("document.activeElement.id") == "site-search-open"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


def test_chinese_and_japanese_words_are_found(browser: Any,
                                              make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": 'title = "多言語"\n',
        "content/zh.md": "---\ntitle: 北京大学\n---\n北京大学是中国的一所大学，位于海淀区。\n",
        "content/ja.md": "---\ntitle: 東京の塔\n---\n東京タワーは日本の電波塔です。\n",
        "content/en.md": "---\ntitle: English\n---\nTokyo and Beijing.\n",
    })
    handler = functools.partial(_QuietHandler, directory=str(site.out))
    with serve_http(handler) as origin:
        context = browser.new_context()
        page = context.new_page()
        try:
            page.goto(origin + "/en/")
            assert results(page, "大学") == [("北京大学", "/zh/")]
            assert results(page, "海淀") == [("北京大学", "/zh/")]
            assert results(page, "東京タワー") == [("東京の塔", "/ja/")]
            assert results(page, "電波塔") == [("東京の塔", "/ja/")]
            assert results(page, "ｔｏｋｙｏ") == [("English", "/en/")]  # full-width: NFKC
            assert sorted(results(page, "京")) == [("北京大学", "/zh/"), ("東京の塔", "/ja/")]
        finally:
            context.close()


def test_a_page_edited_in_ssg_serve_is_found_by_its_new_word(
        browser: Any, serve: Callable[..., Served]) -> None:
    served = serve({
        "ssg.toml": 'title = "Live"\n',
        "content/posts/first.md": "---\ntitle: First Post\n---\nThe first body.\n",
        "content/about.md": "---\ntitle: About\n---\nAbout this site.\n",
    })
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(served.url + "about/")
        assert results(page, "zanzibar") == []
        builds = served.count(r"^Built ")
        (served.site / "content/posts/first.md").write_text(
            "---\ntitle: First Post\n---\nThe first body, now about Zanzibar.\n")
        deadline = time.monotonic() + TIMEOUT
        while served.count(r"^Built ") == builds and time.monotonic() < deadline:
            time.sleep(0.05)
        assert served.count(r"^Built ") > builds, served.output
        page.goto(served.url + "about/")
        assert results(page, "zanzibar") == [("First Post", "/posts/first/")]
    finally:
        context.close()

