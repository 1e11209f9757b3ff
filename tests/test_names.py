"""Real content builds as it is: file names, URLs and folder layouts as people write them."""

from __future__ import annotations

import re
from collections.abc import Callable

import feedparser
import pytest

from conftest import Site
from ssg.errors import SsgError
from ssg.utils import slugify

H1 = re.compile(r"<h1[\s>]")


@pytest.mark.parametrize(("name", "slug"), [
    ("hello", "hello"), ("My Notes", "my-notes"), ("Über Café", "über-café"), ("中文", "中文"),
    ("c++", "c++"), ("clang++", "clang++"), ("mqtt_check.py", "mqtt_check.py"),
    ("what's new?", "what-s-new"), ("a - b", "a-b"), ("a@b", "a@b"), ("x~y", "x~y"),
    ("[", "["), ("%", "%"), ("((", "(("), ("~", "~"), ("[x]", "x"), ("..", ""), ("a\\", "a"),
    ("\\", ""),
])
def test_slug_rule(name: str, slug: str) -> None:
    # The table in content/docs/content.md (#slugs) shows these.
    assert slugify(name) == slug


PUNCTUATION = {"[": "%5B", "%": "%25", "$": "$", "!": "!", "((": "((", ",": ",", "^": "%5E",
               "{": "%7B", "}": "%7D", "~": "~"}


def test_names_of_only_punctuation_build_with_their_characters(
        make_site: Callable[..., Site]) -> None:
    files: dict[str, str | bytes] = {f"content/common/{n}.md": f"page {n}\n" for n in PUNCTUATION}
    links = " ".join(f"[{i}](<{n}.md>)" for i, n in enumerate(PUNCTUATION))
    files["content/common/links.md"] = links + "\n"
    files["content/common/backup.md~"] = "an editor's backup\n"
    site = make_site(files)
    assert site.result is not None and site.result.pages == len(PUNCTUATION) + 1
    html = site.read("common/links/index.html")
    for name, encoded in PUNCTUATION.items():
        assert f"page {name}" in site.read(f"common/{name}/index.html")
        assert f'href="/common/{encoded}/"' in html
    assert not site.exists("common/backup.md~") and not site.exists("common/backup")


def test_url_safe_characters_stay_in_urls(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": '[permalinks]\nposts = "/:year/:slug/"\n',
        "content/common/c++.md": "---\ntags: [c++]\n---\nC++ page\n",
        "content/common/clang++.md": "clang++ page\n",
        "content/common/clang.md": "clang page\n",
        "content/common/mqtt_check.py.md": "a check\n",
        "content/common/中文.md": "Chinese\n",
        "content/common/links.md": "[a](c++.md) [b](clang++.md) [c](mqtt_check.py.md) "
                                   "[d](中文.md) [e](%E4%B8%AD%E6%96%87.md)\n",
        "content/posts/v1.2.md": "---\ndate: 2024-01-02\n---\nrelease\n",
    })
    assert "C++ page" in site.read("common/c++/index.html")
    assert "clang++ page" in site.read("common/clang++/index.html")
    assert "clang page" in site.read("common/clang/index.html")
    assert "a check" in site.read("common/mqtt_check.py/index.html")
    assert "Chinese" in site.read("common/中文/index.html")
    html = site.read("common/links/index.html")
    for url in ("/common/c++/", "/common/clang++/", "/common/mqtt_check.py/", "/common/中文/"):
        assert f'href="{url}"' in html
    body = html[html.index("data-search-body"):]  # the page's text, not the section's tree
    assert body.count('href="/common/中文/"') == 2
    assert site.exists("tags/c++/index.html")
    # A permalink pattern with a dotted slug is still a page, not a file named v1.2.
    assert "release" in site.read("2024/v1.2/index.html")


def test_url_clashes_are_all_reported_at_once_before_rendering(
        make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/a#b.md": "x\n",
        "content/a?b.md": "x\n",
        "content/a b.md": "x\n",
        "content/Notes.md": "x\n",
        "content/notes.md": "x\n",
        "content/fine.md": "a shortcode that does not exist {{< nope >}}\n",
    }, build=False)
    with pytest.raises(SsgError) as info:
        site.build()
    lines = str(info.value).splitlines()
    assert len(lines) == 2, lines  # the unknown shortcode is never reached
    group = next(line for line in lines if "a-b/index.html" in line)
    assert all(f"content/{n}" in group for n in ("a#b.md", "a?b.md", "a b.md"))
    pair = next(line for line in lines if "notes/index.html" in line)
    assert "content/Notes.md" in pair and "content/notes.md" in pair
    assert not site.out.exists()


def test_title_heading_shows_once(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/_index.md": "# Welcome home\n\nHome text.\n",
        "content/posts/from-heading.md": (
            "---\ndate: 2024-01-01\n---\n# The Heading Title\n\nFirst paragraph.\n\n"
            "## Part one\n\n## Part two\n\n[top](#the-heading-title)\n"),
        "content/posts/same.md": "---\ntitle: Same Title\n---\n# Same  title\n\nBody.\n",
        "content/posts/other.md": "---\ntitle: Front Title\n---\n# Another heading\n\nBody.\n",
        "content/posts/fenced.md": "```sh\n# a shell comment\n```\n\n# Real Title\n\ntext\n",
        "content/posts/link.md": "[to it](from-heading.md#the-heading-title)\n",
    })
    page = site.read("posts/from-heading/index.html")
    assert len(H1.findall(page)) == 1 and "The Heading Title</h1>" in page
    assert 'id="the-heading-title"' in page and 'href="#the-heading-title"' in page
    assert 'href="#part-one"' in page and 'href="#part-two"' in page  # the table of contents
    assert 'href="/posts/from-heading/#the-heading-title"' in site.read("posts/link/index.html")
    entry = next(e for e in feedparser.parse(site.read("feed.xml")).entries
                 if e.link.endswith("/posts/from-heading/"))
    assert "First paragraph." in entry.content[0].value
    assert "The Heading Title" not in entry.content[0].value
    same = site.read("posts/same/index.html")
    assert len(H1.findall(same)) == 1 and "Body." in same
    other = site.read("posts/other/index.html")
    assert len(H1.findall(other)) == 2 and "Another heading</h1>" in other
    fenced = site.read("posts/fenced/index.html")
    assert "<title>Real Title" in fenced and len(H1.findall(fenced)) == 1
    assert "a shell comment" in fenced
    assert "Welcome home</h1>" in site.read("index.html")  # the home page shows the site title


@pytest.mark.parametrize("name", ["index.md", "README.md", "_index.md"])
def test_front_file_at_the_root_is_the_home_page(make_site: Callable[..., Site],
                                                 name: str) -> None:
    site = make_site({f"content/{name}": "Home text.\n", "content/about.md": "About.\n"})
    assert "Home text." in site.read("index.html")
    assert "About." in site.read("about/index.html")
    assert site.result is not None and site.result.pages == 1


def test_readme_is_a_folders_index_page(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/guide/README.md": "# The Guide\n\nGuide intro.\n",
        "content/guide/install.md": "Install it.\n",
        "content/tool/README.md": "The tool ![shot](shot.png)\n",
        "content/tool/shot.png": b"PNG",
        "content/both/index.md": "The index.\n",
        "content/both/README.md": "The readme.\n",
        "content/links.md": "[g](guide/README.md) [t](tool/README.md) [b](both/README.md)\n",
    })
    guide = site.read("guide/index.html")
    assert "Guide intro." in guide and "The Guide" in guide and 'href="/guide/install/"' in guide
    assert "The tool" in site.read("tool/index.html")
    assert site.read("tool/shot.png") == "PNG"
    assert "The index." in site.read("both/index.html")
    assert "The readme." in site.read("both/readme/index.html")
    links = site.read("links/index.html")
    for url in ("/guide/", "/tool/", "/both/readme/"):
        assert f'href="{url}"' in links


def test_index_md_beside_other_pages_makes_a_section(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/guide/index.md": "---\ntitle: Guide\n---\nStart here.\n",
        "content/guide/cli.md": "The CLI.\n",
        "content/guide/deep/more.md": "Deeper.\n",
        "content/trip/index.md": "The trip.\n",
        "content/trip/notes/_index.md": "Trip notes.\n",
        "content/bundle/index.md": "A bundle ![p](p.png)\n",
        "content/bundle/p.png": b"PNG",
        "content/links.md": "[g](guide/index.md) [c](guide/cli.md)\n",
    })
    assert site.result is not None and site.result.pages == 4  # cli, more, bundle, links
    guide = site.read("guide/index.html")
    assert "Start here." in guide and 'href="/guide/cli/"' in guide
    assert "The CLI." in site.read("guide/cli/index.html")
    assert "Deeper." in site.read("guide/deep/more/index.html")
    assert "The trip." in site.read("trip/index.html")
    assert "Trip notes." in site.read("trip/notes/index.html")
    assert 'src="/bundle/p.png"' in site.read("bundle/index.html")
    assert not any(p.suffix == ".md" for p in site.out.rglob("*"))
    links = site.read("links/index.html")
    assert 'href="/guide/"' in links and 'href="/guide/cli/"' in links


@pytest.mark.parametrize("ending", [".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".MD"])
def test_other_markdown_endings_are_pages(make_site: Callable[..., Site], ending: str) -> None:
    site = make_site({
        f"content/notes/page{ending}": "# Other ending\n\n*emphasis*\n",
        "content/notes/links.md": f"[it](page{ending})\n",
    }, strict=True)
    assert "<em>emphasis</em>" in site.read("notes/page/index.html")
    assert 'href="/notes/page/"' in site.read("notes/links/index.html")
    assert not site.exists(f"notes/page{ending}")


def test_missing_link_to_other_markdown_ending_is_reported(
        make_site: Callable[..., Site]) -> None:
    site = make_site({"content/a.md": "[gone](gone.markdown)\n"}, build=False)
    with pytest.raises(SsgError, match="gone.markdown"):
        site.build(strict=True)


def test_date_in_file_name(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/posts/2021-03-04-dated.md": "Dated text.\n",
        "content/posts/2021-05-06_under.md": "x\n",
        "content/posts/2021-07-08-trip/index.md": "Trip ![p](p.png)\n",
        "content/posts/2021-07-08-trip/p.png": b"PNG",
        "content/posts/2021-01-01-front.md": "---\ndate: 2020-12-31\n---\nx\n",
        "content/posts/2021-01-02-slugged.md": "---\nslug: chosen\n---\nx\n",
        "content/posts/2021-02-30-no-such-day.md": "x\n",
        "content/posts/links.md": "[d](2021-03-04-dated.md)\n",
    })
    dated = site.read("posts/dated/index.html")
    assert "Dated text." in dated and 'datetime="2021-03-04' in dated
    assert "<title>Dated ·" in dated
    assert 'datetime="2021-05-06' in site.read("posts/under/index.html")
    assert 'src="/posts/trip/p.png"' in site.read("posts/trip/index.html")
    assert site.read("posts/trip/p.png") == "PNG"
    assert 'datetime="2020-12-31' in site.read("posts/front/index.html")
    assert 'datetime="2021-01-02' in site.read("posts/chosen/index.html")
    assert "datetime=" not in site.read("posts/2021-02-30-no-such-day/index.html")
    assert 'href="/posts/dated/"' in site.read("posts/links/index.html")


def test_hidden_markdown_files_are_named_in_a_warning(make_site: Callable[..., Site],
                                                      ssg_log: pytest.LogCaptureFixture) -> None:
    """tldr's `..md` (the `.` command) starts with a dot: it is hidden, so it is not published,
    but the build says so instead of losing it silently; editors' own files stay quiet."""
    site = make_site({"content/common/..md": "# . (source)\n", "content/a.md": "a\n",
                      "content/.#a.md": "lock\n", "content/.hidden.txt": "x"})
    assert site.exists("a/index.html")
    assert "content/common/..md: skipped: a name starting with '.' is hidden" in ssg_log.text
    assert ".#a.md" not in ssg_log.text and ".hidden.txt" not in ssg_log.text
