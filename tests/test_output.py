"""What the build writes: lists, taxonomies, feeds, sitemap, aliases, static files."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from xml.etree import ElementTree

import feedparser
import pytest

from conftest import Site
from ssg.build import BuildOptions, build
from ssg.config import load_config
from ssg.errors import SsgError


def _posts(n: int) -> dict[str, str | bytes]:
    return {
        f"content/posts/p{i:02d}.md":
            f"---\ntitle: Post {i:02d}\ndate: 2024-01-{i + 1:02d}\ntags: [t{i % 2}]\n---\n"
            f"Body of post {i:02d}.\n"
        for i in range(n)
    }


def test_section_lists_paginate_newest_first(make_site: Callable[..., Site]) -> None:
    site = make_site({"ssg.toml": "paginate = 4\n", **_posts(10)})
    first = site.read("posts/index.html")
    titles = re.findall(r"Post (\d\d)", first)
    assert titles[:4] == ["09", "08", "07", "06"]
    assert "Post 05" not in first
    assert "Post 05" in site.read("posts/page/2/index.html")
    assert "Post 00" in site.read("posts/page/3/index.html")
    assert not site.exists("posts/page/4/index.html")
    assert 'href="/posts/page/2/"' in first


def test_sort_by_date_then_weight_then_title(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/docs/b.md": "---\ntitle: Bravo\nweight: 1\n---\nx\n",
        "content/docs/a.md": "---\ntitle: Alpha\nweight: 2\n---\nx\n",
        "content/docs/c.md": "---\ntitle: Charlie\nweight: 1\n---\nx\n",
        "content/docs/d.md": "---\ntitle: Dated\ndate: 2020-01-01\n---\nx\n",
    })
    listing = site.read("docs/index.html")
    order = [m for m in re.findall(r"(Dated|Bravo|Charlie|Alpha)", listing)]
    assert order.index("Dated") < order.index("Bravo") < order.index("Charlie")
    assert order.index("Charlie") < order.index("Alpha")
    page = site.read("docs/b/index.html")  # neighbours follow the listing
    assert 'href="/docs/d/"' in page and 'href="/docs/c/"' in page


def test_taxonomies(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": "paginate = 2\n",
        **_posts(5),
        "content/x.md": "---\ntitle: Cat page\ncategories: [Big News]\n---\nx\n",
    })
    tags = site.read("tags/index.html")
    assert 'href="/tags/t0/"' in tags and 'href="/tags/t1/"' in tags
    assert "Post 04" in site.read("tags/t0/index.html")
    assert "Post 00" in site.read("tags/t0/page/2/index.html")
    assert "Cat page" in site.read("categories/big-news/index.html")


def test_site_and_section_feeds_are_valid_atom(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": 'title = "Feedy"\nbase_url = "https://example.org/blog/"\nfeed_limit = 3\n',
        **_posts(5),
        "content/other/o.md": "---\ntitle: Other\ndate: 2023-01-01\n---\nx\n",
    })
    feed = feedparser.parse(site.read("feed.xml"))
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Feedy"
    assert [e.title for e in feed.entries] == ["Post 04", "Post 03", "Post 02"]
    assert feed.entries[0].link == "https://example.org/blog/posts/p04/"
    assert "Body of post 04." in feed.entries[0].content[0].value
    section = feedparser.parse(site.read("posts/feed.xml"))
    assert not section.bozo
    assert all(e.link.startswith("https://example.org/blog/posts/") for e in section.entries)
    assert "Other" in [e.title for e in feedparser.parse(site.read("other/feed.xml")).entries]


def test_sitemap_robots_404_and_aliases(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": 'base_url = "https://example.org/"\n',
        "content/a.md": "---\ntitle: A\ndate: 2024-03-04\naliases: [/old/a/, /older.html]\n---\n",
    })
    root = ElementTree.fromstring(site.read("sitemap.xml"))
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns)
            for u in root.findall("s:url", ns)}
    assert locs["https://example.org/a/"] == "2024-03-04T00:00:00+00:00"
    assert "https://example.org/" in locs
    assert "Sitemap: https://example.org/sitemap.xml" in site.read("robots.txt")
    assert "<html" in site.read("404.html")
    redirect = site.read("old/a/index.html")
    assert 'http-equiv="refresh"' in redirect and "url=/a/" in redirect
    assert "url=/a/" in site.read("older.html")


def test_static_files_site_wins_over_theme(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/a.md": "x\n",
        "static/css/style.css": "body { color: red }",
        "static/files/doc.txt": "doc",
    })
    assert site.read("css/style.css") == "body { color: red }"
    assert site.read("files/doc.txt") == "doc"
    assert ".highlight" in site.read("highlight.css")
    assert "prefers-color-scheme: dark" in site.read("highlight.css")


def test_base_url_path_is_carried_by_every_internal_link(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": 'base_url = "https://example.org/docs/"\n',
        **_posts(3),
    })
    for rel in ("index.html", "posts/index.html", "posts/p01/index.html", "tags/t0/index.html"):
        html = site.read(rel)
        for url in re.findall(r'(?:href|src)="(/[^"]*)"', html):
            assert url.startswith("/docs/"), (rel, url)


def test_output_is_deterministic(make_site: Callable[..., Site]) -> None:
    site = make_site({**_posts(6), "content/_index.md": "home\n", "static/a.txt": "a"})
    first = site.tree()
    site.build()
    assert site.tree() == first


def test_failed_build_leaves_previous_output(make_site: Callable[..., Site]) -> None:
    site = make_site({**_posts(2)})
    before = site.tree()
    site.write({"content/posts/broken.md": "---\ntitle: [unclosed\n---\n"})
    with pytest.raises(SsgError):
        site.build()
    assert site.tree() == before
    assert not list(site.root.glob(".output.tmp-*"))


def test_removed_pages_do_not_linger(make_site: Callable[..., Site]) -> None:
    site = make_site({**_posts(2)})
    assert site.exists("posts/p01/index.html")
    (site.root / "content/posts/p01.md").unlink()
    site.build()
    assert not site.exists("posts/p01/index.html")
    assert "Post 01" not in site.read("posts/index.html")


def test_output_folder_with_foreign_files_is_refused(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/a.md": "x\n", "output/precious.txt": "mine"}, build=False)
    with pytest.raises(SsgError, match="not written by ssg"):
        site.build()
    assert (site.out / "precious.txt").read_text() == "mine"


def test_page_template_key_and_site_template_override(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "templates/special.html": """
            {% extends "base.html" %}
            {% block content %}<p id="special">{{ page.title }} / {{ page.reading_time }} min
            / {{ page.date | date("%Y") }} / {{ site.title }}</p>{% endblock %}
            """,
        "content/s.md": "---\ntitle: Spec\ndate: 2022-02-02\ntemplate: special.html\n---\nx\n",
        "content/n.md": "---\ntitle: Normal\n---\nx\n",
    })
    special = site.read("s/index.html")
    assert '<p id="special">Spec / 1 min\n/ 2022 / My Site</p>' in special
    assert "<html" in special  # base.html from the theme wraps it
    assert 'id="special"' not in site.read("n/index.html")


def test_titles_are_escaped(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/x.md": "---\ntitle: <script>alert(1)</script>\n---\nx\n"})
    html = site.read("x/index.html")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_site_static_file_replaces_a_generated_one(make_site: Callable[..., Site],
                                                   ssg_log: pytest.LogCaptureFixture) -> None:
    """static/highlight.css (or robots.txt, 404.html, feed.xml) is the site's own choice: it
    wins over what ssg generates, in full and incremental builds, and the generated file comes
    back when the static one goes."""
    ssg_log.set_level(logging.DEBUG, logger="ssg")
    site = make_site({"content/a.md": "```python\nx = 1\n```\n",
                      "static/highlight.css": "/* mine */", "static/robots.txt": "User-agent: x"})
    assert site.read("highlight.css") == "/* mine */"
    assert site.read("robots.txt") == "User-agent: x"
    assert "highlight.css replaces the code highlighting styles" in ssg_log.text
    site.write({"static/404.html": "<p>lost</p>"})
    site.build()
    assert site.read("404.html") == "<p>lost</p>"
    (site.root / "static/highlight.css").unlink()
    site.build()
    assert ".highlight" in site.read("highlight.css")
    clean = load_config(site.root, output_dir=site.root / "clean")
    build(clean, BuildOptions(cache=False))
    assert site.tree() == {p.relative_to(clean.output_dir).as_posix(): p.read_bytes()
                           for p in sorted(clean.output_dir.rglob("*")) if p.is_file()}
