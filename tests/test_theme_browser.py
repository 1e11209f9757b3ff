"""The default theme in a real browser: valid HTML, no serious axe findings, no sideways scroll.

Builds the repository's own docs site (content/, the docs family) and the site `ssg new site`
makes (the blog family) once, serves them on loopback ports and checks a home page, a section
list, a page with a code block, a docs page, a tag page and the starter's home and post in
headless Chromium.
Outside CI the module skips when Chromium or Java is missing; in CI (CI set) it fails instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conftest import assert_valid_html, missing

PAGES = ["home", "section", "code", "docs", "tag", "starter home", "starter post"]
#: The starter's pages under test (the others are found in the docs site).
STARTER = {"starter home": "/", "starter post": "/posts/second-post/"}
SCHEMES = ["light", "dark"]


@pytest.fixture(scope="module")
def urls(docs_site: Path) -> dict[str, str]:
    """The URL path of each kind of page under test, found in the built site."""
    home = (docs_site / "index.html").read_text(encoding="utf-8")
    nav = re.search(r'<nav class="site-nav".*?</nav>', home, re.DOTALL)
    assert nav, "the home page has no site navigation"
    section = re.search(r'href="(/[^"]+/)"', nav.group(0))
    assert section, "the site navigation lists no section"
    code = next((p for p in sorted(docs_site.rglob("index.html"))
                 if '<article class="page' in (text := p.read_text(encoding="utf-8"))
                 and '<div class="highlight"' in text), None)
    assert code, "no page with a code block in the docs site"
    tags = sorted((docs_site / "tags").glob("*/index.html"))
    assert tags, "no tag pages in the docs site"
    docs = re.search(r'<ul class="docs-tree">.*?<a href="[^"]+">.*?<a href="([^"]+)"',
                     (docs_site / "docs/index.html").read_text(encoding="utf-8"), re.DOTALL)
    assert docs, "the docs section has no navigation tree"
    return {
        "home": "/",
        "docs": docs.group(1),
        "section": section.group(1),
        "code": "/" + code.parent.relative_to(docs_site).as_posix() + "/",
        "tag": "/" + tags[0].parent.relative_to(docs_site).as_posix() + "/",
    }


@pytest.fixture(scope="module")
def axe() -> Any:
    """axe-core, injected into pages by axe-playwright-python."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        missing("axe-playwright-python is not installed")
    return Axe()


def open_page(browser: Any, url: str, *, scheme: str = "light", width: int = 1280) -> Any:
    """A new page in its own context with the given colour scheme and viewport width."""
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.ok, url
    return page


@pytest.fixture(scope="module")
def serve(docs_server: str, starter_server: str, urls: dict[str, str]) -> dict[str, str]:
    """The full URL of each kind of page under test."""
    return {kind: (starter_server + STARTER[kind] if kind in STARTER else docs_server + path)
            for kind, path in {**urls, **STARTER}.items()}


@pytest.mark.parametrize("which", ["docs", "starter"])
def test_html_is_valid(docs_site: Path, starter_site: Path, which: str) -> None:
    """Every HTML file passes the Nu HTML Checker without errors."""
    root = docs_site if which == "docs" else starter_site
    assert_valid_html(root, timeout=120)


def serious_violations(axe: Any, page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    violations = axe.run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in violations if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("kind", PAGES)
def test_no_serious_accessibility_violations(browser: Any, axe: Any, serve: dict[str, str],
                                             kind: str, scheme: str) -> None:
    """axe-core finds nothing serious or critical, in the light and the dark scheme, also with
    the search dialog open."""
    page = open_page(browser, serve[kind], scheme=scheme)
    try:
        bad = serious_violations(axe, page)
        if kind in ("home", "starter post"):
            page.locator("body").press("/")
            page.evaluate("""() => document.getElementById("site-search").addEventListener(
                "ssg-search-results", (event) => { window.shownQuery = event.detail.query; })""")
            page.keyboard.type("page")
            page.wait_for_function("window.shownQuery === 'page'", timeout=15_000)
            bad += [f"(search open) {line}" for line in serious_violations(axe, page)]
    finally:
        page.context.close()
    assert not bad, f"{serve[kind]} [{scheme}]\n" + "\n".join(bad)


@pytest.mark.parametrize("kind", PAGES)
def test_phone_width_has_no_sideways_scroll(browser: Any, axe: Any, serve: dict[str, str],
                                            kind: str) -> None:
    """At 360 px, code and tables scroll inside their own keyboard-reachable box, not the page."""
    page = open_page(browser, serve[kind], width=360)
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        bad = serious_violations(axe, page)
    finally:
        page.context.close()
    assert width <= 360, f"{serve[kind]} is {width} px wide at a 360 px viewport"
    assert not bad, f"{serve[kind]} [360 px]\n" + "\n".join(bad)


def test_dark_scheme_changes_colours(browser: Any, docs_server: str, urls: dict[str, str]) -> None:
    """prefers-color-scheme: dark gives a dark background and light text."""
    colours = {}
    for scheme in SCHEMES:
        page = open_page(browser, docs_server + urls["code"], scheme=scheme)
        try:
            colours[scheme] = page.evaluate(
                "[getComputedStyle(document.body).backgroundColor,"
                " getComputedStyle(document.body).color]")
        finally:
            page.context.close()
    assert colours["light"] != colours["dark"]
    assert colours["dark"][0] != "rgb(255, 255, 255)"


def test_skip_link_shows_on_focus(browser: Any, docs_server: str, urls: dict[str, str]) -> None:
    """The first Tab focuses a visible "skip to content" link that targets the main landmark."""
    page = open_page(browser, docs_server + urls["code"])
    try:
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const a = document.activeElement, r = a.getBoundingClientRect();"
            " return [a.getAttribute('href'),"
            " r.top >= 0 && r.bottom <= innerHeight && r.height > 0,"
            " !!document.querySelector('main#main')]; })()")
    finally:
        page.context.close()
    assert focused == ["#main", True, True]
