"""Multilingual sites in a real browser: the dev server reloads the open pages of every
language whose output changed (and only those), and Arabic pages run right to left."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_server import Served, serving
from test_server_browser import WAIT_MS, open_live, shows

SITE = {
    "ssg.toml": 'title = "Site"\nlanguage = "en"\n[languages.en]\n'
                '[languages.fr]\ntitle = "Site FR"\nweight = 1\n'
                '[languages.ar]\ntitle = "موقع"\nweight = 2\n',
    "templates/page.html": '{% extends "base.html" %}{% block content %}'
                           '<p id="greeting">{{ t("greeting") }}</p>{{ page.content }}'
                           '{% endblock %}',
    "i18n/en.toml": 'greeting = "Hello"\n',
    "i18n/fr.toml": 'greeting = "Bonjour"\n',
    "content/about.md": "---\ntitle: About\n---\nEnglish text.\n",
    "content/about.fr.md": "---\ntitle: À propos\n---\nTexte français.\n",
    "content/about.ar.md": "---\ntitle: حول\n---\nنص عربي للتجربة.\n",
}


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    yield from serving(tmp_path)


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    made = browser.new_context()
    made.set_default_timeout(WAIT_MS)
    yield made
    made.close()


def test_pages_of_each_language_whose_output_changed_reload(serve: Callable[..., Served],
                                                             context: Any) -> None:
    served = serve(SITE)
    pages = {lang: context.new_page() for lang in ("en", "fr", "ar")}
    for lang, path in (("en", "/about/"), ("fr", "/fr/about/"), ("ar", "/ar/about/")):
        open_live(pages[lang], served, path)
        pages[lang].evaluate("window.__marker = 1")
    # English strings are also Arabic's (it has no file of its own); French has its own.
    (served.site / "i18n/en.toml").write_text('greeting = "Hi there"\n')
    shows(pages["en"], "Hi there")
    shows(pages["ar"], "Hi there")
    served.wait_for_line(r"^Built ")
    assert pages["fr"].evaluate("window.__marker") == 1, "French did not change, yet reloaded"
    assert "Bonjour" in pages["fr"].inner_text("#greeting")
    (served.site / "i18n/fr.toml").write_text('greeting = "Salut"\n')
    shows(pages["fr"], "Salut")


def test_an_arabic_page_runs_right_to_left(serve: Callable[..., Served], context: Any) -> None:
    served = serve(SITE)
    page = context.new_page()
    page.goto(served.url.rstrip("/") + "/ar/about/")
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('main') || document.body)"
                         ".direction") == "rtl"
    english = context.new_page()
    english.goto(served.url.rstrip("/") + "/about/")
    assert english.evaluate("getComputedStyle(document.documentElement).direction") == "ltr"


def test_search_stays_in_the_page_language(serve: Callable[..., Served], context: Any) -> None:
    served = serve({**SITE, "content/about.fr.md": "---\ntitle: À propos\n---\nLicorne bleue.\n",
                    "content/about.md": "---\ntitle: About\n---\nLicorne is French.\n"})
    page = context.new_page()
    page.goto(served.url.rstrip("/") + "/fr/about/")
    page.locator("body").press("/")
    box = page.locator("#site-search-input")
    box.fill("licorne")
    page.wait_for_function("() => document.querySelectorAll('#site-search-results a').length")
    hrefs = page.eval_on_selector_all("#site-search-results a", "els => els.map(e => e.href)")
    assert hrefs and all("/fr/" in href for href in hrefs), hrefs
    arabic = context.new_page()
    arabic.goto(served.url.rstrip("/") + "/ar/about/")
    arabic.locator("body").press("/")
    arabic.locator("#site-search-input").fill("zzzz")
    arabic.wait_for_function("() => document.getElementById('site-search-status').textContent")
    assert "لا توجد نتائج" in arabic.inner_text("#site-search-status")
