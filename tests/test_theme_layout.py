"""The default theme's layout and navigation: the two page families (blog and docs), a header
and content column that stay put across page kinds, the search dialog and its shortcuts, the
table of contents, menus, meta tags, dates and tables.

The browser tests drive headless Chromium on the repository's docs site (the docs family) and
on the site `ssg new site` makes (the blog family), both served on a loopback port. Outside CI
they skip when Chromium is missing; in CI (CI set) they fail instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import Site, html_tags, html_text
from ssg.errors import SsgError
from ssg.stages.templates import format_date

# --- the site model and the HTML (no browser) ---------------------------------------------

BLOG_AND_DOCS: dict[str, str | bytes] = {
    "ssg.toml": 'title = "Mixed"\ndescription = "A site of both kinds."\n'
                'base_url = "https://example.org/"\n',
    "content/_index.md": "---\ntitle: Hello there\n---\nThe landing text.\n",
    "content/blog/_index.md": "---\ntitle: Blog\n---\n",
    "content/blog/old.md": "---\ntitle: Old post\ndate: 2026-03-01\ntags: [a]\n---\nOld.\n",
    "content/blog/new.md": "---\ntitle: New post\ndate: 2026-12-01\ntags: [a, b]\n---\n"
                           "New body.\n\n![A cat](/img/cat.png)\n",
    "content/guide/_index.md": "---\ntitle: Guide\n---\n",
    "content/guide/one.md": "---\ntitle: One\nweight: 1\n---\n## Part\n\ntext\n\n## More\n\nx\n",
    "content/guide/two.md": "---\ntitle: Two\nweight: 2\nsummary: The second page.\n---\nx\n",
    "content/guide/deep/_index.md": "---\ntitle: Deep\n---\n",
    "content/guide/deep/three.md": "---\ntitle: Three\nweight: 1\n---\nx\n",
    "content/notes/n1.md": "---\ntitle: A note\ndate: 2025-01-05\n---\nNote.\n",
}


def _main_links(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.DOTALL)
    assert nav, "no main menu"
    return [(html_text(m.group(2)).strip(), m.group(1))
            for m in re.finditer(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav.group(0))]


def test_home_lists_the_main_sections_posts_and_honours_its_index(
        make_site: Callable[..., Site]) -> None:
    site = make_site(BLOG_AND_DOCS)
    home = site.read("index.html")
    assert "<title>Hello there · Mixed</title>" in home
    assert "Hello there</h1>" in home and "The landing text." in home
    listed = re.findall(r'class="post-title"><a href="([^"]+)"', home)
    # Every section with dates is a main section by default; the guide has none.
    assert listed[:3] == ["/blog/new/", "/blog/old/", "/notes/n1/"]
    assert "/guide/one/" not in listed
    assert 'href="/guide/"' in home  # the other sections are offered below the posts

    site.write({"ssg.toml": BLOG_AND_DOCS["ssg.toml"] + 'main_sections = ["blog"]\n'})
    site.build()
    listed = re.findall(r'class="post-title"><a href="([^"]+)"', site.read("index.html"))
    assert listed[:2] == ["/blog/new/", "/blog/old/"] and "/notes/n1/" not in listed
    # The site's feed still has every dated page.
    assert "/notes/n1/" in site.read("feed.xml")


def test_a_home_titled_like_the_site_keeps_its_h1_for_readers_only(
        make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": 'title = "Brand"\n', "content/a.md": "x\n"})
    home = site.read("index.html")
    assert '<h1 class="visually-hidden">Brand</h1>' in home
    assert "<title>Brand</title>" in home


def test_docs_pages_get_a_tree_of_their_section_and_reading_order(
        make_site: Callable[..., Site]) -> None:
    site = make_site(BLOG_AND_DOCS)
    one = site.read("guide/one/index.html")
    tree = re.search(r'<nav class="docs-nav".*?</nav>', one, re.DOTALL)
    assert tree, "a docs page has no navigation tree"
    links = re.findall(r'<a href="([^"]+)"', tree.group(0))
    assert links == ["/guide/", "/guide/one/", "/guide/two/", "/guide/deep/", "/guide/deep/three/"]
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', tree.group(0)) == ["/guide/one/"]
    # Previous and next follow the tree into the subsection.
    two = site.read("guide/two/index.html")
    assert 'rel="prev" href="/guide/one/"' in two and 'rel="next" href="/guide/deep/three/"' in two
    three = site.read("guide/deep/three/index.html")
    assert 'rel="prev" href="/guide/two/"' in three and 'rel="next"' not in three
    # The section's own list has the tree too, with itself marked; blog pages have none.
    section = site.read("guide/index.html")
    assert '<a href="/guide/" aria-current="page">' in section
    assert 'class="docs-nav"' not in site.read("blog/new/index.html")
    assert "min read" not in one and "min read" in site.read("blog/new/index.html")


def test_default_menu_has_sections_and_only_taxonomies_with_terms(
        make_site: Callable[..., Site]) -> None:
    files = {**BLOG_AND_DOCS, "ssg.toml": 'title = "Mixed"\n'}
    site = make_site(files)
    links = _main_links(site.read("guide/one/index.html"))
    assert ("Tags", "/tags/") in links
    assert "/categories/" not in dict(links).values(), "a taxonomy without terms is in the menu"
    assert {"/blog/", "/guide/", "/notes/"} <= set(dict(links).values())
    assert 'href="/guide/" aria-current="true"' in site.read("guide/one/index.html")


def test_menu_from_settings_and_front_matter(make_site: Callable[..., Site]) -> None:
    files = {
        **BLOG_AND_DOCS,
        "ssg.toml": 'title = "Mixed"\nbase_url = "/sub/"\n'
                    '[[menu.main]]\nname = "Start"\npage = "guide/one.md"\nweight = 1\n'
                    '[[menu.main]]\nname = "Code"\nurl = "https://example.com/code"\nweight = 9\n'
                    '[[menu.main]]\nname = "Writing"\nurl = "/blog/"\nweight = 2\n',
        "content/about.md": "---\ntitle: About us\nmenu: main\nweight: 5\n---\nAbout.\n",
        "content/notes/_index.md": "---\ntitle: Notes\nmenu: [main]\nweight: 7\n---\n",
    }
    site = make_site(files)
    page = site.read("about/index.html")
    assert _main_links(page) == [("Start", "/sub/guide/one/"), ("Writing", "/sub/blog/"),
                                 ("About us", "/sub/about/"), ("Notes", "/sub/notes/"),
                                 ("Code", "https://example.com/code")]
    assert 'href="/sub/about/" aria-current="page"' in page
    assert 'href="/sub/blog/" aria-current="true"' in site.read("blog/new/index.html")


@pytest.mark.parametrize(("toml", "message"), [
    ('[[menu.main]]\nname = "A"\n', "menu: menu.main entry 1 needs either 'url' or 'page'"),
    ('[[menu.main]]\nurl = "/a/"\n', "menu: menu.main entry 1 needs a 'name'"),
    ('[[menu.main]]\nname = "A"\nurl = "/a/"\nweight = "x"\n', "'weight' must be a whole number"),
    ('menu = { main = "x" }\n', "menu.main must be a list of tables"),
    ('[[menu.main]]\nname = "A"\npage = "nope.md"\n',
     "menu.main entry 1 ('A'): no page or section 'nope.md' under content/"),
    ('main_sections = "blog"\n', "'main_sections' must be a list"),
    ('main_sections = ["blog/2024"]\n',
     "main_sections: 'blog/2024' is not the name of a top-level"),
    ('date_format = "%Q"\n', "date_format: unknown directive '%Q'"),
    ("date_format = 3\n", "'date_format' must be a string"),
])
def test_bad_theme_settings_are_clear_errors(make_site: Callable[..., Site], toml: str,
                                             message: str) -> None:
    site = make_site({"ssg.toml": toml, "content/a.md": "x\n"}, build=False)
    with pytest.raises(SsgError) as info:
        site.build()
    assert "ssg.toml" in str(info.value) and message in str(info.value), str(info.value)


def test_dates_are_not_zero_padded_and_follow_date_format(make_site: Callable[..., Site]) -> None:
    files: dict[str, str | bytes] = {
        "content/p.md": "---\ntitle: P\ndate: 2026-12-01\n---\nx\n"}
    site = make_site(files)
    assert ">December 1, 2026</time>" in site.read("p/index.html")
    site.write({"ssg.toml": 'date_format = "%-d.%-m.%Y (%d)"\n'})
    site.build()
    assert ">1.12.2026 (01)</time>" in site.read("p/index.html")


@pytest.mark.parametrize(("value", "fmt", "text"), [
    (datetime(2026, 3, 2, 9, 5, 7), "%-d/%-m/%-y %-H:%-M:%-S", "2/3/26 9:5:7"),
    (datetime(2026, 3, 2, 0, 30), "%-I %p, day %-j", "12 AM, day 61"),
    (datetime(2026, 3, 2, 12, 30), "%-I:%M %p", "12:30 PM"),
    (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "%B %-d, %Y (%-H h)", "December 31, 2026 (23 h)"),
    (date(2026, 1, 9), "%-d.%-m. %-H:%-M %-I", "9.1. 0:0 12"),
    (datetime(2026, 1, 9), "100%% on %-d", "100% on 9"),
    (None, "%-d", ""),
])
def test_unpadded_date_codes(value: date | None, fmt: str, text: str) -> None:
    assert format_date(value, fmt) == text  # type: ignore[arg-type]


def _meta(html: str) -> dict[str, str]:
    found = {}
    for attrs in html_tags(html, "meta"):
        key = attrs.get("name") or attrs.get("property")
        if key and attrs.get("content") is not None:
            found[key] = attrs["content"] or ""
    return found


def test_every_page_has_description_canonical_and_link_preview_tags(
        make_site: Callable[..., Site]) -> None:
    site = make_site({**BLOG_AND_DOCS, "content/guide/two.md":
                      "---\ntitle: Two\nweight: 2\nsummary: The second page.\n"
                      "image: card.png\n---\nx\n"})
    for rel in ("index.html", "blog/index.html", "blog/new/index.html", "guide/two/index.html",
                "tags/index.html", "tags/a/index.html", "404.html"):
        html = site.read(rel)
        meta = _meta(html)
        assert meta.get("description"), f"{rel} has no meta description"
        assert meta.get("og:title") and meta.get("twitter:card"), rel
        canonical = [a["href"] for a in html_tags(html, "link") if a.get("rel") == "canonical"]
        if rel == "404.html":
            assert canonical == []
        else:
            want = "https://example.org/" + rel.removesuffix("index.html")
            assert canonical == [want] and meta["og:url"] == want, rel
        icons = [a["href"] for a in html_tags(html, "link") if a.get("rel") == "icon"]
        assert icons == ["/favicon.svg"], rel
        assert meta.get("theme-color"), rel
    two = _meta(site.read("guide/two/index.html"))
    assert two["description"] == "The second page." == two["og:description"]
    assert two["og:image"] == "https://example.org/guide/two/card.png"
    assert two["twitter:card"] == "summary_large_image"
    new = _meta(site.read("blog/new/index.html"))
    assert new["og:image"] == "https://example.org/img/cat.png", "the first image of the page"
    assert new["og:type"] == "article" and new["article:published_time"].startswith("2026-12-01")
    assert _meta(site.read("blog/old/index.html"))["twitter:card"] == "summary"
    assert _meta(site.read("index.html"))["description"] == "The landing text."
    assert _meta(site.read("tags/index.html"))["description"] == "A site of both kinds."
    assert site.exists("favicon.svg")


def test_a_site_replaces_the_favicon(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/a.md": "x\n", "static/favicon.svg": "<svg>mine</svg>"})
    assert site.read("favicon.svg") == "<svg>mine</svg>"


def test_words_people_use_in_lists(make_site: Callable[..., Site]) -> None:
    site = make_site(BLOG_AND_DOCS)
    assert "2 tags" in html_text(site.read("tags/index.html"))
    assert "2 posts" in html_text(site.read("tags/a/index.html"))
    assert "1 post" in html_text(site.read("tags/b/index.html"))
    assert "2 posts" in html_text(site.read("blog/index.html"))
    assert "terms" not in html_text(site.read("tags/index.html"))


def test_search_records_have_the_page_text_only(make_site: Callable[..., Site]) -> None:
    import json

    site = make_site(BLOG_AND_DOCS)
    docs = [doc for path in sorted((site.out / "search/d").glob("*.json"))
            for doc in json.loads(path.read_text())]
    excerpts = {doc[0]: doc[2] for doc in docs}
    assert excerpts["/blog/new/"] == "New body."
    for text in excerpts.values():
        assert "min read" not in text and "Tags" not in text and "On this page" not in text


# --- in the browser -------------------------------------------------------------------------

KINDS = {  # page kind -> (site, path)
    "home": ("docs", "/"),
    "docs section": ("docs", "/docs/"),
    "docs page": ("docs", "/docs/cli/"),
    "blog section": ("docs", "/blog/"),
    "post": ("docs", "/blog/atomic-builds/"),
    "tags": ("docs", "/tags/"),
    "tag": ("docs", "/tags/design/"),
    "404": ("docs", "/404.html"),
    "starter home": ("starter", "/"),
    "starter post": ("starter", "/posts/hello-world/"),
    "starter guide": ("starter", "/docs/getting-started/"),
}

BOXES = """() => {
    const box = (s) => { const e = document.querySelector(s);
        if (!e) return null; const r = e.getBoundingClientRect();
        return [r.left, r.top, r.width, r.height].map(Math.round); };
    const head = document.querySelector(".page-header, .list-header, .not-found");
    const r = head.getBoundingClientRect();
    return {header: box(".site-header"), brand: box(".brand"), search: box("#site-search-open"),
            column: [Math.round(r.left), Math.round(r.width)]};
}"""


@pytest.fixture(scope="module")
def servers(docs_server: str, starter_server: str) -> dict[str, str]:
    return {"docs": docs_server, "starter": starter_server}


def open_page(browser: Any, url: str, *, width: int = 1280, scheme: str = "light",
              problems: list[str] | None = None) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    if problems is not None:
        page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/404.html")
                and problems.append(f"{r.status} {r.url}"))
    response = page.goto(url)
    assert response is not None and (response.ok or url.endswith("/404.html")), url
    return page


@pytest.mark.parametrize("width", [1280, 375])
def test_header_and_content_column_stay_put_across_page_kinds(
        browser: Any, servers: dict[str, str], width: int) -> None:
    """The brand, the search button and the content column have the same box on every kind of
    page, with or without side navigation and table of contents."""
    seen: dict[str, dict[str, Any]] = {}
    for kind, (which, path) in KINDS.items():
        page = open_page(browser, servers[which] + path, width=width)
        try:
            seen[kind] = page.evaluate(BOXES)
        finally:
            page.context.close()
    first = seen["home"]
    for kind, boxes in seen.items():
        assert boxes["brand"][:2] == first["brand"][:2], (kind, boxes, first)
        assert boxes["search"][0] + boxes["search"][2] == first["search"][0] + first["search"][2]
        assert boxes["header"][3] == first["header"][3], (kind, "header height")
        assert boxes["column"] == first["column"], (kind, boxes["column"], first["column"])
    assert first["header"][3] <= (60 if width > 400 else 100), "the header is too tall"


def test_docs_tree_marks_the_current_page_and_folds_on_a_phone(
        browser: Any, docs_server: str) -> None:
    page = open_page(browser, docs_server + "/docs/cli/")
    try:
        current = page.locator('.docs-nav a[aria-current="page"]')
        assert current.count() == 1 and current.get_attribute("href") == "/docs/cli/"
        assert current.is_visible(), "the tree is not shown on a wide screen"
        summary = page.locator(".docs-nav summary").bounding_box()
        assert summary is None or summary["width"] <= 1, "the fold button shows on a wide screen"
        assert page.locator(".docs-nav a").count() >= 10
    finally:
        page.context.close()
    page = open_page(browser, docs_server + "/docs/cli/", width=375)
    try:
        link = page.locator('.docs-nav a[aria-current="page"]')
        assert link.is_hidden(), "the tree is not folded on a phone"
        page.locator(".docs-nav summary").click()
        assert link.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        page.context.close()


@pytest.mark.parametrize("keys", ["/", "Control+k"])
def test_search_shortcut_opens_an_overlay_that_does_not_move_the_page(
        browser: Any, docs_server: str, keys: str) -> None:
    page = open_page(browser, docs_server + "/docs/cli/")
    try:
        before = page.evaluate(BOXES)
        main = page.locator("main").bounding_box()
        assert page.locator("#site-search-dialog").is_hidden()
        placeholder = page.locator("#site-search-input").get_attribute("placeholder")
        assert placeholder
        page.locator("body").press(keys)
        page.wait_for_function("document.activeElement.id === 'site-search-input'")
        assert page.locator("#site-search-dialog").is_visible()
        # Typing key by key may show results for "ar" first: wait for those of the whole word.
        page.evaluate("""() => document.getElementById("site-search").addEventListener(
            "ssg-search-results", (event) => { window.shownQuery = event.detail.query; })""")
        page.keyboard.type("archetype")
        page.wait_for_function("window.shownQuery === 'archetype'", timeout=15_000)
        assert page.locator("#site-search-results li a").first.text_content() == "Authoring tools"
        assert page.locator("main").bounding_box() == main, "the results pushed the page"
        assert page.evaluate(BOXES) == before
        # The placeholder is readable: its colour differs from the box's background.
        colours = page.evaluate("""() => { const i = document.getElementById('site-search-input');
            return [getComputedStyle(i, '::placeholder').color, getComputedStyle(i).backgroundColor,
                    getComputedStyle(i, '::placeholder').opacity]; }""")
        assert colours[0] != colours[1] and colours[2] == "1"
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
        assert page.locator("#site-search-dialog").is_hidden()
        # Focus goes back to the button with the dialog's close event, which comes after it.
        page.wait_for_function("document.activeElement.id === 'site-search-open'",
                               timeout=5_000)
    finally:
        page.context.close()


def test_slash_in_a_text_field_is_typed_not_a_shortcut(browser: Any, docs_server: str) -> None:
    page = open_page(browser, docs_server + "/docs/cli/")
    try:
        page.locator("body").press("/")
        page.wait_for_function("document.activeElement.id === 'site-search-input'")
        page.keyboard.type("a/b")
        assert page.locator("#site-search-input").input_value() == "a/b"
    finally:
        page.context.close()


def test_table_of_contents_marks_the_heading_being_read(browser: Any, docs_server: str) -> None:
    page = open_page(browser, docs_server + "/docs/cli/")
    try:
        toc = page.locator(".page-toc")
        assert toc.is_visible()
        column = toc.bounding_box()
        prose = page.locator(".prose").bounding_box()
        assert column and prose and column["x"] >= prose["x"] + prose["width"], \
            "the table of contents is not in a column of its own"
        ids = page.evaluate("Array.from(document.querySelectorAll('.page-toc a'))"
                            ".map(a => a.getAttribute('href').slice(1))")
        assert len(ids) >= 3
        for target in (ids[-2], ids[1]):
            page.evaluate("(id) => document.getElementById(id).scrollIntoView()", target)
            page.wait_for_function(
                """(id) => { const on = document.querySelectorAll('.page-toc a[aria-current]');
                   return on.length === 1 && on[0].getAttribute('href') === '#' + id; }""",
                arg=target, timeout=5_000)
    finally:
        page.context.close()


@pytest.mark.parametrize("kind", ["home", "docs page", "post", "tag", "starter home",
                                  "starter post"])
def test_pages_load_without_missing_files(browser: Any, servers: dict[str, str],
                                          kind: str) -> None:
    """No request of a page fails: the favicon, the styles and the scripts are all there."""
    which, path = KINDS[kind]
    problems: list[str] = []
    page = open_page(browser, servers[which] + path, problems=problems)
    try:
        page.wait_for_load_state("networkidle")
        page.locator("body").press("/")  # the search client loads on first use
        page.wait_for_function("document.querySelector('#site-search[data-started]')")
    finally:
        page.context.close()
    assert problems == []


def test_wide_tables_scroll_in_their_own_box_on_a_phone(browser: Any,
                                                        make_site: Callable[..., Site]) -> None:
    import functools

    from conftest import _QuietHandler, serve_http

    header = "| " + " | ".join(f"Column {i}" for i in range(6)) + " |\n"
    rule = "|" + "---|" * 6 + "\n"
    row = "| " + " | ".join("several words in each cell here" for _ in range(6)) + " |\n"
    site = make_site({"content/t.md": "---\ntitle: T\n---\n" + header + rule + row})
    with serve_http(functools.partial(_QuietHandler, directory=str(site.out))) as origin:
        page = open_page(browser, origin + "/t/", width=375)
        try:
            sizes = page.evaluate("""() => { const w = document.querySelector('.table-wrap');
                const cells = Array.from(document.querySelectorAll('td'));
                return [w.scrollWidth > w.clientWidth, document.documentElement.scrollWidth,
                        Math.min(...cells.map(c => c.getBoundingClientRect().width)),
                        w.getAttribute('tabindex')]; }""")
        finally:
            page.context.close()
    scrolls, page_width, narrowest, tabindex = sizes
    assert scrolls and page_width <= 375 and tabindex == "0"
    assert narrowest >= 100, f"a column was squeezed to {narrowest} px"


def test_titles_are_not_balanced_short(browser: Any, docs_server: str) -> None:
    page = open_page(browser, docs_server + "/blog/atomic-builds/")
    try:
        wrap = page.evaluate("getComputedStyle(document.querySelector('h1')).textWrap")
    finally:
        page.context.close()
    assert "balance" not in wrap


def test_print_styles_hide_the_chrome(browser: Any, docs_server: str) -> None:
    page = open_page(browser, docs_server + "/docs/cli/")
    try:
        page.emulate_media(media="print")
        hidden = page.evaluate("""() => ['.site-header', '.docs-nav', '.page-toc', '.site-footer']
            .map(s => getComputedStyle(document.querySelector(s)).display)""")
        shown = page.locator(".prose").is_visible()
    finally:
        page.context.close()
    assert hidden == ["none"] * 4 and shown


def test_screenshots_in_the_readme_exist() -> None:
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    shots = re.findall(r"\((docs/screenshots/[^)]+\.png)\)", readme)
    assert len(shots) >= 8, shots
    for shot in shots:
        data = (root / shot).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 400_000, shot
