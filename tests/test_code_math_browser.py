"""Code, math and diagrams in headless Chromium: the copy button copies, highlighted lines are
marked, long lines scroll inside their block, math is MathML that takes room, Mermaid draws an
SVG (again when the colour scheme changes), and the page passes the Nu HTML Checker.

Outside CI the module skips when Chromium or Java is missing; in CI (CI set) it fails instead.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import _QuietHandler, assert_valid_html, missing, serve_http, write_files
from ssg.build import BuildOptions, build
from ssg.config import load_config

LONG = "x = '" + "a very long line " * 20 + "'"

PAGE = f'''---
title: Code, math and diagrams
---
Some code:

```python linenums="1" hl_lines="2"
first = 1
second = 2
{LONG}
```

Inline math $a^2 + b^2 = c^2$, a price of $5, and display math:

$$
\\sum_{{i=1}}^n i = \\frac{{n(n+1)}}{{2}}
$$

```mermaid
graph TD
  Start-->Stop
```
'''

EXTENSIONS = '''
[markdown.extensions."pymdownx.tabbed"]
[markdown.extensions."pymdownx.details"]
[markdown.extensions."pymdownx.tasklist"]
'''

EXTRA = '''

=== "One"

    First tab.

=== "Two"

    Second tab.

??? note "Folded"

    Inside.

- [x] done
- [ ] to do
'''


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site with one page of everything; pymdown's blocks too when it is installed."""
    root = tmp_path_factory.mktemp("code-math")
    try:
        import pymdownx  # noqa: F401
        files = {"ssg.toml": 'title = "Code"\n' + EXTENSIONS, "content/all.md": PAGE + EXTRA}
    except ImportError:
        files = {"ssg.toml": 'title = "Code"\n', "content/all.md": PAGE}
    write_files(root, files)
    build(load_config(root), BuildOptions())
    return root / "output"


@pytest.fixture(scope="module")
def origin(built: Path) -> Iterator[str]:
    with serve_http(functools.partial(_QuietHandler, directory=str(built))) as url:
        yield url


def open_page(browser: Any, url: str, **context: Any) -> Any:
    context.setdefault("viewport", {"width": 1280, "height": 900})
    page = browser.new_context(**context).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    response = page.goto(url)
    assert response is not None and response.ok, url
    return page


def test_copy_button_copies_the_code_without_line_numbers(browser: Any, origin: str) -> None:
    page = open_page(browser, origin + "/all/", permissions=["clipboard-read", "clipboard-write"])
    button = page.locator(".highlight .code-copy").first
    button.click()
    page.wait_for_function("document.querySelector('.code-copy').textContent === 'Copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"first = 1\nsecond = 2\n{LONG}"
    assert page.locator(".code-copy-status").text_content() == "Code copied"
    assert page.errors == []


def test_without_javascript_there_is_no_button_and_the_code_shows(browser: Any, origin: str
                                                                  ) -> None:
    page = open_page(browser, origin + "/all/", java_script_enabled=False)
    assert page.locator(".code-copy").count() == 0
    assert page.locator(".highlight pre").first.is_visible()
    assert "Start-->Stop" in page.locator("pre.mermaid").text_content()  # the source, readable
    # the language is shown without JavaScript too
    label = page.evaluate("getComputedStyle(document.querySelector('.highlight'), '::before')"
                          ".content")
    assert label == '"Python"'


def test_highlighted_lines_are_marked_across_the_block(browser: Any, origin: str) -> None:
    page = open_page(browser, origin + "/all/")
    marked = page.locator(".highlight .hll")
    assert marked.count() == 1 and "second = 2" in marked.text_content()
    style = page.evaluate("""() => {
        const line = document.querySelector('.highlight .hll');
        const pre = line.closest('pre');
        return {background: getComputedStyle(line).backgroundColor,
                width: line.getBoundingClientRect().width, pre: pre.clientWidth};
    }""")
    assert style["background"] not in ("rgba(0, 0, 0, 0)", "transparent")
    assert style["width"] >= style["pre"] - 1  # the whole line, not just its text


def test_long_lines_scroll_inside_the_block(browser: Any, origin: str) -> None:
    page = open_page(browser, origin + "/all/", viewport={"width": 375, "height": 800})
    sizes = page.evaluate("""() => {
        const pre = document.querySelector('.highlight pre');
        return {scroll: pre.scrollWidth, client: pre.clientWidth, focusable: pre.tabIndex,
                page: document.documentElement.scrollWidth, view: window.innerWidth};
    }""")
    assert sizes["scroll"] > sizes["client"] and sizes["focusable"] == 0
    assert sizes["page"] <= sizes["view"]


def test_math_is_mathml_with_a_size(browser: Any, origin: str) -> None:
    page = open_page(browser, origin + "/all/")
    found = page.evaluate("""() => [...document.querySelectorAll('math')].map(m => {
        const box = m.getBoundingClientRect();
        return {mathml: m instanceof MathMLElement, display: m.getAttribute('display'),
                width: box.width, height: box.height};
    })""")
    assert [m["display"] for m in found] == ["inline", "block"]
    assert all(m["mathml"] and m["width"] > 0 and m["height"] > 0 for m in found)


def test_mermaid_draws_an_svg_and_follows_the_colour_scheme(browser: Any, origin: str) -> None:
    page = open_page(browser, origin + "/all/", color_scheme="light")
    page.wait_for_selector("pre.mermaid.is-drawn svg", timeout=20000)
    light = page.evaluate("""() => {
        const svg = document.querySelector('pre.mermaid svg');
        const box = svg.getBoundingClientRect();
        return {width: box.width, height: box.height, text: svg.textContent,
                fill: getComputedStyle(svg.querySelector('.node rect, .node polygon')).fill};
    }""")
    assert light["width"] > 0 and light["height"] > 0
    assert "Start" in light["text"] and "Stop" in light["text"]
    page.emulate_media(color_scheme="dark")
    page.wait_for_function("""fill => {
        const shape = document.querySelector('pre.mermaid svg .node rect, '
                                             + 'pre.mermaid svg .node polygon');
        return shape && getComputedStyle(shape).fill !== fill;
    }""", arg=light["fill"], timeout=20000)
    assert page.errors == []


def test_mermaid_is_loaded_only_where_there_is_a_diagram(browser: Any, origin: str) -> None:
    page = open_page(browser, origin + "/")
    assert page.evaluate("typeof window.mermaid") == "undefined"


def test_pymdown_blocks_work_in_the_browser(browser: Any, origin: str, built: Path) -> None:
    if "tabbed-set" not in (built / "all/index.html").read_text(encoding="utf-8"):
        missing("pymdown-extensions is not installed")
    page = open_page(browser, origin + "/all/")
    assert page.get_by_text("First tab.").is_visible()
    assert not page.get_by_text("Second tab.").is_visible()
    page.locator(".tabbed-labels label", has_text="Two").click()
    assert page.get_by_text("Second tab.").is_visible()
    assert not page.get_by_text("First tab.").is_visible()
    assert not page.get_by_text("Inside.").is_visible()
    page.locator("details summary").click()
    assert page.get_by_text("Inside.").is_visible()
    assert page.locator(".task-list-item input[type=checkbox]").count() == 2


def test_the_page_passes_the_nu_html_checker(built: Path) -> None:
    assert_valid_html(built, timeout=120)
