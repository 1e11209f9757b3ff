"""Feeds every reader accepts: Atom, RSS 2.0 and JSON Feed for the site and each section."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree

import feedparser
import pytest

from conftest import Site
from ssg import __version__
from ssg.errors import ConfigError

ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = ("feed.xml", "rss.xml", "feed.json")
#: RFC 3339 date-time with a time zone, as JSON Feed and Atom require.
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
#: Characters XML 1.0 forbids.
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

#: What broke the feeds: void elements (`<img>`, `<br>`, `<hr>`), raw HTML blocks, the summary
#: marker, text that looks like CDATA, HTML entities XML does not know, control characters.
HOSTILE_BODY = (
    "Intro ![a pic](p.png) line<br>break\n\n<hr>\n\n<!-- more -->\n\n"
    "Text with ]]> and <![CDATA[ fake ]]> and &nbsp; &copy; and \x01\x0b controls.\n\n"
    '<div class="raw">\n<img src="raw.png" alt="raw">\n</div>\n'
)
HOSTILE = {
    "ssg.toml": 'title = "Hostile\\u0001 & <Site>"\nbase_url = "https://example.org/"\n'
                'description = "About\\u000b <things>"\nauthor = "A\\u0002uthor"\n',
    "content/posts/pic/index.md":
        '---\ntitle: "Pic \\x01 & <b>bold</b>\\x0b"\ndate: 2024-03-02\ntags: ["c&d", "x\\x02"]\n'
        "---\n" + HOSTILE_BODY,
    "content/posts/pic/p.png": b"\x89PNG",
    "content/posts/plain.md": "---\ntitle: Plain\ndate: 2024-01-01\n---\nJust text.\n",
}


def _strict(site: Site, rel: str) -> ElementTree.Element:
    """Parse with a strict XML parser: raises on anything not well-formed."""
    return ElementTree.fromstring(site.read(rel))


def _all_feeds_and_sitemap(site: Site) -> list[str]:
    return sorted(p.relative_to(site.out).as_posix() for pattern in ("*.xml", "*.json")
                  for p in site.out.rglob(pattern) if "search" not in p.parts)


def test_every_feed_and_the_sitemap_parse_strictly_with_hostile_html(
        make_site: Callable[..., Site]) -> None:
    site = make_site(HOSTILE)
    outputs = _all_feeds_and_sitemap(site)
    for rel in outputs:
        text = site.read(rel)
        assert not CONTROLS.search(text), f"{rel} holds a control character XML forbids"
        if rel.endswith(".json"):
            json.loads(text)
        else:
            ElementTree.fromstring(text)
    assert {"feed.xml", "rss.xml", "feed.json", "posts/feed.xml", "posts/rss.xml",
            "posts/feed.json", "sitemap.xml"} <= set(outputs)
    # The HTML arrives whole as the text of the elements, for readers to render.
    entry = _strict(site, "posts/feed.xml").find(f"{ATOM}entry")
    assert entry is not None
    content = entry.findtext(f"{ATOM}content") or ""
    for html in ('<img alt="a pic" src="/posts/pic/p.png">', "<br>", "<hr>", "]]&gt;",
                 "<![CDATA[ fake ]]>", "&nbsp; &copy;", '<div class="raw">', '<img src="raw.png"'):
        assert html in content, html
    summary = entry.findtext(f"{ATOM}summary") or ""
    assert '<img alt="a pic" src="/posts/pic/p.png">' in summary and "raw" not in summary
    assert entry.findtext(f"{ATOM}title") == "Pic  & <b>bold</b>"
    item = _strict(site, "posts/rss.xml").find("channel/item")
    assert item is not None
    assert "<hr" in (item.findtext("description") or "")
    assert item.findtext("title") == "Pic  & <b>bold</b>"


def test_atom_feed_is_valid_and_relative_links_resolve_against_the_page(
        make_site: Callable[..., Site]) -> None:
    site = make_site(HOSTILE)
    feed = feedparser.parse(site.read("posts/feed.xml"))
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.title for e in feed.entries] == ["Pic  & <b>bold</b>", "Plain"]
    # A relative link in raw HTML is relative to the page's URL, not to the site's root.
    content = feed.entries[0].content[0].value
    assert 'src="https://example.org/posts/pic/raw.png"' in content
    assert 'src="https://example.org/posts/pic/p.png"' in content
    assert [t.term for t in feed.entries[0].tags] == ["c&d", "x"]
    assert feed.feed.title == "Posts"
    assert feed.feed.author == "Author"


def test_rss_feed_has_the_required_channel_and_item_fields(
        make_site: Callable[..., Site]) -> None:
    site = make_site(HOSTILE)
    channel = _strict(site, "rss.xml").find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Hostile & <Site>"
    assert channel.findtext("link") == "https://example.org/"
    assert channel.findtext("description") == "About <things>"
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None and self_link.get("href") == "https://example.org/rss.xml"
    items = channel.findall("item")
    assert [i.findtext("link") for i in items] == ["https://example.org/posts/pic/",
                                                   "https://example.org/posts/plain/"]
    for item in items:
        guid = item.find("guid")
        assert guid is not None and guid.text == item.findtext("link")
    pub = parsedate_to_datetime(items[0].findtext("pubDate") or "")
    assert pub == datetime(2024, 3, 2, tzinfo=UTC)
    assert parsedate_to_datetime(channel.findtext("lastBuildDate") or "") == pub
    assert "Intro" in (items[0].findtext("description") or "")
    assert not feedparser.parse(site.read("posts/rss.xml")).bozo


def test_json_feed_follows_the_spec(make_site: Callable[..., Site]) -> None:
    site = make_site({**HOSTILE, "content/posts/plain.md":
                      "---\ntitle: Plain\ndate: 2024-01-01\nupdated: 2024-02-01T10:00:00+02:00\n"
                      "---\nJust text.\n"})
    for rel, home in (("feed.json", "https://example.org/"),
                      ("posts/feed.json", "https://example.org/posts/")):
        feed = json.loads(site.read(rel))
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert isinstance(feed["title"], str) and feed["title"]
        assert feed["home_page_url"] == home
        assert feed["feed_url"] == "https://example.org/" + rel
        assert feed["items"], rel
        for item in feed["items"]:
            assert isinstance(item["id"], str) and item["id"]
            assert isinstance(item.get("content_html") or item.get("content_text"), str)
            for key in ("date_published", "date_modified"):
                if key in item:
                    assert RFC3339.fullmatch(item[key]), item[key]
    feed = json.loads(site.read("posts/feed.json"))
    pic, plain = feed["items"]
    assert pic["url"] == "https://example.org/posts/pic/"
    assert pic["title"] == "Pic  & <b>bold</b>" and pic["tags"] == ["c&d", "x"]
    assert '<img alt="a pic" src="/posts/pic/p.png">' in pic["content_html"]
    assert datetime.fromisoformat(pic["date_published"]) == datetime(2024, 3, 2, tzinfo=UTC)
    assert "date_modified" not in pic
    assert datetime.fromisoformat(plain["date_modified"]) == datetime(2024, 2, 1, 8, tzinfo=UTC)
    assert feed["authors"] == [{"name": "Author"}]


def test_feeds_of_undated_pages_take_the_newest_date_of_the_site(
        make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": 'base_url = "https://example.org/"\n',
        "content/docs/a.md": "---\ntitle: Undated\n---\nx\n",
        "content/posts/old.md": "---\ntitle: Old\ndate: 2023-05-01\n---\nx\n",
        "content/posts/new.md": "---\ntitle: New\ndate: 2024-06-01\n"
                                "updated: 2024-07-01\n---\nx\n",
    })
    newest = datetime(2024, 7, 1, tzinfo=UTC)
    for rel in ("docs/feed.xml", "feed.xml", "posts/feed.xml"):
        updated = _strict(site, rel).findtext(f"{ATOM}updated") or ""
        assert datetime.fromisoformat(updated) == newest, rel
    docs = _strict(site, "docs/rss.xml").find("channel")
    assert docs is not None and docs.findall("item") == []  # undated pages are not news
    assert parsedate_to_datetime(docs.findtext("lastBuildDate") or "") == newest
    assert json.loads(site.read("docs/feed.json"))["items"] == []


def test_a_site_without_dates_has_the_documented_fixed_feed_date(
        make_site: Callable[..., Site]) -> None:
    site = make_site({"content/docs/a.md": "x\n"})
    for rel in ("feed.xml", "docs/feed.xml"):
        updated = _strict(site, rel).findtext(f"{ATOM}updated") or ""
        assert datetime.fromisoformat(updated) == datetime(1970, 1, 1, tzinfo=UTC)


def test_generator_names_ssg_and_its_version(make_site: Callable[..., Site]) -> None:
    site = make_site(HOSTILE)
    generator = _strict(site, "feed.xml").find(f"{ATOM}generator")
    assert generator is not None and generator.text == "ssg"
    assert generator.get("version") == __version__
    # No project home page exists yet: no made-up URI.
    assert generator.get("uri") is None
    channel = _strict(site, "rss.xml").find("channel")
    assert channel is not None and channel.findtext("generator") == f"ssg {__version__}"


def _alternates(html: str) -> list[tuple[str, str]]:
    links = re.findall(r'<link rel="alternate" type="([^"]+)" href="([^"]+)"', html)
    return [(kind, href) for kind, href in links]


def test_theme_links_every_feed_of_the_site_and_the_section(
        make_site: Callable[..., Site]) -> None:
    site = make_site({**HOSTILE, "ssg.toml": 'base_url = "https://example.org/blog/"\n'})
    page = site.read("posts/plain/index.html")
    assert _alternates(page) == [
        ("application/atom+xml", "/blog/feed.xml"),
        ("application/rss+xml", "/blog/rss.xml"),
        ("application/feed+json", "/blog/feed.json"),
        ("application/atom+xml", "/blog/posts/feed.xml"),
        ("application/rss+xml", "/blog/posts/rss.xml"),
        ("application/feed+json", "/blog/posts/feed.json"),
    ]
    for _kind, href in _alternates(page):
        assert site.exists(href.removeprefix("/blog/")), href
    assert _alternates(site.read("index.html"))[3:] == []  # the home is the site's feed


def test_feeds_setting_chooses_the_formats(make_site: Callable[..., Site]) -> None:
    site = make_site({**HOSTILE, "ssg.toml": 'feeds = ["rss"]\n'})
    assert site.exists("rss.xml") and site.exists("posts/rss.xml")
    for rel in ("feed.xml", "feed.json", "posts/feed.xml", "posts/feed.json"):
        assert not site.exists(rel), rel
    page = site.read("posts/plain/index.html")
    assert _alternates(page) == [("application/rss+xml", "/rss.xml"),
                                 ("application/rss+xml", "/posts/rss.xml")]
    assert '<a href="/rss.xml">RSS feed</a>' in page


def test_feeds_can_be_turned_off(make_site: Callable[..., Site]) -> None:
    site = make_site({**HOSTILE, "ssg.toml": "feeds = []\n"})
    assert not [p for p in site.tree() if p.rsplit("/", 1)[-1] in FEEDS]
    page = site.read("posts/plain/index.html")
    assert _alternates(page) == []
    assert not re.search(r'href="[^"]*(feed\.xml|rss\.xml|feed\.json)"', page)
    assert "Subscribe" not in site.read("posts/index.html")


@pytest.mark.parametrize(("value", "message"), [
    ('["atom", "rdf"]', "feeds: unknown feed format 'rdf' (known: atom, rss, json)"),
    ('["jsno"]', "did you mean 'json'?"),
    ("[1]", "feeds must be a list of feed format names"),
    ('"atom"', "'feeds' must be a list"),
])
def test_unknown_feed_formats_are_config_errors(make_site: Callable[..., Site], value: str,
                                                message: str) -> None:
    site = make_site({"ssg.toml": f"feeds = {value}\n", "content/a.md": "x\n"}, build=False)
    with pytest.raises(ConfigError) as info:
        site.build()
    assert message in str(info.value)
    assert "ssg.toml" in str(info.value)
