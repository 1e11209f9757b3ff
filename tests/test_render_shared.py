"""What every page shares is worked out once per build, and still follows the site.

The render stage keeps, for one build in one process, what many pages read alike: the menu,
the assets, the search dialog, each page's list item, each page's HTML. These tests check
that the Markdown runs once per document, that a site's own partials win over the theme's
saved fragments, and that an incremental build still sees a change to what was shared.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import markdown
import pytest

from tests.conftest import Site

SITE = {
    "ssg.toml": 'title = "Shared"\nbase_url = "https://example.org/"\n',
    "content/_index.md": "---\ntitle: Home\n---\nWelcome.\n",
    "content/blog/_index.md": "---\ntitle: Blog\n---\nPosts.\n",
    "content/blog/one.md": ("---\ntitle: One\ndate: 2026-01-02\ntags: [red]\n---\n"
                            "First post, about [two](two.md).\n"),
    "content/blog/two.md": ("---\ntitle: Two\ndate: 2026-01-03\ntags: [red, blue]\n"
                            "summary: Second summary\n---\nSecond post.\n"),
    "content/docs/_index.md": "---\ntitle: Docs\n---\n",
    "content/docs/intro.md": "---\ntitle: Intro\nweight: 1\nmenu: main\n---\nRead me.\n",
    "content/docs/usage.md": "---\ntitle: Usage\nweight: 2\n---\nUse it.\n",
}

PAGES = ["blog/one/index.html", "blog/two/index.html", "docs/intro/index.html",
         "docs/usage/index.html", "index.html", "blog/index.html", "tags/red/index.html"]


def _nav(html: str) -> str:
    found = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert found, "no main menu"
    return found.group(0)


def test_each_document_is_converted_once(make_site: Callable[..., Site],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    convert = markdown.Markdown.convert

    def counted(self: markdown.Markdown, source: str) -> str:
        calls.append(source)
        return convert(self, source)

    monkeypatch.setattr(markdown.Markdown, "convert", counted)
    site = make_site(SITE, jobs=1, cache=False)
    documents = [name for name in SITE if name.startswith("content/")]
    assert len(calls) == len(documents) == 7
    assert site.exists("blog/two/index.html")


def test_the_menu_lists_a_menu_page_on_every_page_and_follows_its_title(
        make_site: Callable[..., Site]) -> None:
    site = make_site(SITE)
    for page in PAGES:
        assert '>Intro</a>' in _nav(site.read(page)), page
    site.write({"content/docs/intro.md":
                "---\ntitle: Getting started\nweight: 1\nmenu: main\n---\nRead me.\n"})
    site.build()  # incremental: the menu was saved once and replayed for every page
    for page in PAGES:
        nav = _nav(site.read(page))
        assert ">Getting started</a>" in nav and ">Intro</a>" not in nav, page


def test_the_current_page_is_marked_in_the_shared_menu(make_site: Callable[..., Site]) -> None:
    site = make_site(SITE)
    assert 'href="/docs/intro/" aria-current="page"' in _nav(site.read("docs/intro/index.html"))
    assert "aria-current" not in _nav(site.read("blog/one/index.html"))


def test_the_default_menu_follows_a_retitled_section_and_a_first_term(
        make_site: Callable[..., Site]) -> None:
    files = {**SITE, "content/docs/intro.md": "---\ntitle: Intro\nweight: 1\n---\nRead me.\n"}
    site = make_site(files)  # no menu entries: the sections and the taxonomies with terms
    for page in PAGES:
        nav = _nav(site.read(page))
        assert ">Docs</a>" in nav and ">Tags</a>" in nav and ">Categories</a>" not in nav, page
    site.write({"content/docs/_index.md": "---\ntitle: Manual\n---\n",
                "content/docs/usage.md": "---\ntitle: Usage\nweight: 2\ncategories: [how]\n"
                                         "---\nUse it.\n"})
    site.build()  # incremental: the menu was worked out once and its keys replayed per page
    for page in PAGES:
        nav = _nav(site.read(page))
        assert ">Manual</a>" in nav and ">Docs</a>" not in nav, page
        assert ">Categories</a>" in nav, page


def test_a_template_reads_the_menu_with_its_fallback_and_places_a_url(
        make_site: Callable[..., Site]) -> None:
    site = make_site({
        **SITE,
        "content/docs/intro.md": "---\ntitle: Intro\nweight: 1\n---\nRead me.\n",
        "templates/page.html": (
            "{% set m = site.menu('main') %}{% set f = site.menu('main', fallback=true) %}"
            "[{{ m | length }}|{% for e in f %}{{ e.name }}={{ e.url }};{% endfor %}|"
            "{{ current_url | place(f, '/blog/') | join(',') }}|"
            "{{ current_url | place(['/', '/docs/', current_url]) | join(',') }}]\n"),
    })
    assert site.read("docs/usage/index.html").strip() == (
        "[0|Blog=/blog/;Docs=/docs/;Tags=/tags/;|1,0|1,1,2]")


def test_a_list_item_follows_its_page_on_every_list(make_site: Callable[..., Site]) -> None:
    site = make_site(SITE)
    lists = ["blog/index.html", "tags/red/index.html", "tags/blue/index.html", "index.html"]
    for page in lists:
        assert "Second summary" in site.read(page), page
    site.write({"content/blog/two.md": ("---\ntitle: Two\ndate: 2026-01-03\n"
                                        "tags: [red, blue]\nsummary: Changed summary\n---\n"
                                        "Second post.\n")})
    site.build()
    for page in lists:
        html = site.read(page)
        assert "Changed summary" in html and "Second summary" not in html, page


def test_a_sites_own_partials_replace_the_shared_fragments(
        make_site: Callable[..., Site]) -> None:
    site = make_site({
        **SITE,
        "templates/partials/search.html": '<div class="my-search">{{ site.title }}</div>\n',
        "templates/partials/nav.html": '<nav class="my-nav">{{ current_url }}</nav>\n',
    })
    for page in PAGES:
        html = site.read(page)
        assert '<div class="my-search">Shared</div>' in html, page
        assert "site-search-dialog" not in html and 'class="site-nav"' not in html, page
    assert '<nav class="my-nav">/docs/usage/</nav>' in site.read("docs/usage/index.html")


def test_a_sites_macros_replace_the_shared_list_items(make_site: Callable[..., Site]) -> None:
    theme = (Path(__file__).resolve().parent.parent
             / "themes/default/templates/partials/macros.html").read_text(encoding="utf-8")
    ours = theme.replace('<article class="post-item">', '<article class="post-item mine">')
    assert ours != theme
    site = make_site({**SITE, "templates/partials/macros.html": ours})
    assert site.read("blog/index.html").count('class="post-item mine"') == 2
    assert site.read("tags/blue/index.html").count('class="post-item mine"') == 1


def test_a_base_template_that_imports_doc_title_from_meta_still_works(
        make_site: Callable[..., Site]) -> None:
    site = make_site({
        **SITE,
        "templates/base.html": ('{% from "partials/meta.html" import doc_title with context %}'
                                "<title>[{{ doc_title() | trim }}]</title>"
                                "{% block content %}{% endblock %}\n"),
    })
    assert "<title>[Usage]</title>" in site.read("docs/usage/index.html")
    assert "<title>[Blog]</title>" in site.read("blog/index.html")


def test_a_base_template_of_its_own_includes_the_meta_tags_with_the_page_title(
        make_site: Callable[..., Site]) -> None:
    site = make_site({
        **SITE,
        "templates/base.html": ('<head>{% include "partials/meta.html" %}</head>'
                                "{% block content %}{% endblock %}\n"),
    })
    assert '<meta property="og:title" content="Usage">' in site.read("docs/usage/index.html")
    assert '<meta property="og:title" content="Blog">' in site.read("blog/index.html")


def test_an_asset_edit_reaches_every_page(make_site: Callable[..., Site]) -> None:
    site = make_site({**SITE, "static/css/style.css": "body { color: red }\n"})

    def style_hrefs() -> set[str]:
        found = set()
        for page in PAGES:
            match = re.search(r'href="(/css/style\.[0-9a-f]+\.css)"', site.read(page))
            assert match, page
            found.add(match.group(1))
        return found

    before = style_hrefs()
    assert len(before) == 1
    site.write({"static/css/style.css": "body { color: blue }\n"})
    site.build()
    after = style_hrefs()
    assert len(after) == 1 and after != before
    assert "blue" in (site.out / next(iter(after)).lstrip("/")).read_text()


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The names of the templates Jinja compiles while the test runs, in order."""
    names: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: Any, name: str | None = None,
                filename: str | None = None, raw: bool = False, defer_init: bool = False
                ) -> Any:
        names.append(name)
        return compile_(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def test_templates_are_compiled_once_per_source_in_a_process(
        make_site: Callable[..., Site], compiled: list[str | None]) -> None:
    """A long-running process (the dev server) builds again and again, each build with a new
    environment: a template is compiled again only when its source changed."""
    site = make_site({**SITE, "templates/page.html": (
        '{% extends "base.html" %}{% block content %}<p class="mark">MarkAlpha</p>'
        '{{ page.content }}{% endblock %}')}, jobs=1, cache=False)
    assert "page.html" in compiled  # (the theme's templates may be compiled already)
    compiled.clear()
    site.build(jobs=1, cache=False)
    assert compiled == []
    assert "MarkAlpha" in site.read("blog/one/index.html")
    site.write({"templates/page.html": (
        '{% extends "base.html" %}{% block content %}<p class="mark">MarkBeta</p>'
        '{{ page.content }}{% endblock %}')})
    site.build(jobs=1, cache=False)
    assert compiled == ["page.html"]
    html = site.read("blog/one/index.html")
    assert "MarkBeta" in html and "MarkAlpha" not in html


def test_the_compiled_templates_a_process_keeps_are_the_last_ones_used(
        compiled: list[str | None]) -> None:
    """Each save of a template in a dev server compiles a new version: the process keeps only
    the versions used last, and those it still uses stay compiled."""
    from ssg.stages.templates import _Compiled

    cache = _Compiled(limit=3)
    for version in range(1, 8):  # seven saves of page.html, each built with a new environment
        env = jinja2.Environment(loader=jinja2.DictLoader({"keep.html": "kept",
                                                           "page.html": f"v{version}"}),
                                 bytecode_cache=cache, auto_reload=False)
        assert env.get_template("page.html").render() == f"v{version}"
        assert env.get_template("keep.html").render() == "kept"
        assert len(cache) <= 3
    assert compiled.count("keep.html") == 1  # used by every build: never dropped
    assert compiled.count("page.html") == 7
