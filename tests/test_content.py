"""Front matter, URLs, sections, bundles and Markdown features."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from conftest import Site
from ssg.errors import SsgError


def test_yaml_and_toml_front_matter(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/a.md": """
            ---
            title: From YAML
            date: 2024-05-01
            tags: [python, web]
            ---
            Body A
            """,
        "content/b.md": """
            +++
            title = "From TOML"
            date = 2024-06-01T10:30:00Z
            tags = ["python"]
            +++
            Body B
            """,
    })
    a = site.read("a/index.html")
    b = site.read("b/index.html")
    assert "From YAML" in a and "Body A" in a
    assert "From TOML" in b and "Body B" in b
    python = site.read("tags/python/index.html")
    assert "From YAML" in python and "From TOML" in python
    assert "From TOML" not in site.read("tags/web/index.html")


def test_title_defaults_to_first_heading_then_file_name(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/with-heading.md": "Intro\n\n# The Real Title\n\ntext\n",
        "content/no-heading.md": "just text\n",
    })
    assert "<title>The Real Title" in site.read("with-heading/index.html")
    assert "No heading" in site.read("no-heading/index.html")


def test_pretty_urls_and_slugs(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/posts/hello.md": "---\ntitle: Hello\n---\nhi\n",
        "content/posts/Über Café.md": "x\n",
        "content/posts/custom.md": "---\nslug: my-slug\n---\nx\n",
        "content/posts/moved.md": "---\nurl: /elsewhere/page/\n---\nx\n",
        "content/Mixed Case/Some File.md": "x\n",
    })
    assert site.exists("posts/hello/index.html")
    assert site.exists("posts/über-café/index.html")
    assert site.exists("posts/my-slug/index.html") and not site.exists("posts/custom")
    assert site.exists("elsewhere/page/index.html") and not site.exists("posts/moved")
    assert site.exists("mixed-case/some-file/index.html")


def test_permalink_patterns(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": '[permalinks]\nposts = "/:year/:month/:slug/"\n',
        "content/posts/hello.md": "---\ndate: 2023-02-09\n---\nx\n",
        "content/notes/n.md": "x\n",
    })
    assert site.exists("2023/02/hello/index.html")
    assert site.exists("notes/n/index.html")


def test_two_pages_on_one_url_is_an_error_naming_both(make_site: Callable[..., Site]) -> None:
    with pytest.raises(SsgError) as info:
        make_site({
            "content/a.md": "---\nslug: same\n---\nx\n",
            "content/same.md": "x\n",
        })
    message = str(info.value)
    assert "content/a.md" in message and "content/same.md" in message


@pytest.mark.parametrize("front", [
    "slug: ../../etc", "url: /../../outside/", "url: ../x", "slug: a\\\\b",
    "aliases: [/../../x/]", 'slug: "a\\0b"',
])
def test_paths_that_escape_the_output_are_errors(
    make_site: Callable[..., Site], front: str
) -> None:
    site = make_site({"content/p.md": f"---\n{front}\n---\nx\n"}, build=False)
    with pytest.raises(SsgError) as info:
        site.build()
    assert "content/p.md" in str(info.value)
    assert not (site.root.parent / "outside").exists()
    assert not (site.root / "etc").exists()


def test_sections_home_and_bundles(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/_index.md": "---\ntitle: Welcome home\n---\nHome text here.\n",
        "content/docs/_index.md": "---\ntitle: The Docs\n---\nSection intro text.\n",
        "content/docs/guide.md": "---\ntitle: Guide\n---\nx\n",
        "content/docs/deep/inner.md": "---\ntitle: Inner\n---\nx\n",
        "content/trip/index.md": "---\ntitle: Trip\n---\n![photo](photo.png)\n",
        "content/trip/photo.png": b"\x89PNG fake",
        "content/trip/more/map.txt": "map",
    })
    home = site.read("index.html")
    assert "Home text here." in home
    docs = site.read("docs/index.html")
    assert "The Docs" in docs and "Section intro text." in docs and "Guide" in docs
    assert "Inner" in site.read("docs/deep/index.html")
    assert site.read("trip/index.html").count('src="/trip/photo.png"') == 1
    assert (site.out / "trip/photo.png").read_bytes() == b"\x89PNG fake"
    assert site.read("trip/more/map.txt") == "map"


def test_links_between_pages_resolve(make_site: Callable[..., Site], ssg_log: object) -> None:
    site = make_site({
        "ssg.toml": 'base_url = "https://example.org/sub/"\n[permalinks]\ndocs = "/d/:slug/"\n',
        "content/posts/a.md": """
            [sibling](b.md) [guide](../docs/guide.md#install) [sec](../docs/_index.md)
            [missing](nope.md) [ext](https://x.org/a.md) [abs](/about/)
            """,
        "content/posts/b.md": "b\n",
        "content/docs/guide.md": "## Install\n",
    })
    html = site.read("posts/a/index.html")
    assert 'href="/sub/posts/b/"' in html
    assert 'href="/sub/d/guide/#install"' in html
    assert 'href="/sub/docs/"' in html
    assert 'href="https://x.org/a.md"' in html
    assert 'href="/sub/about/"' in html
    warnings = [r.getMessage() for r in ssg_log.records]  # type: ignore[attr-defined]
    assert any("content/posts/a.md" in w and "nope.md" in w for w in warnings)


def test_strict_makes_missing_links_errors(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/a.md": "---\ntitle: A\n---\nText.\n\n[x](gone.md)\n"},
                     build=False)
    with pytest.raises(SsgError, match=r"content/a.md:6: link to missing page 'gone.md'"):
        site.build(strict=True)


def test_markdown_extensions(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/m.md": """
        ---
        title: M
        ---
        ## First Heading

        | a | b |
        |---|---|
        | 1 | 2 |

        ```python
        def f(): return 1
        ```

        Text with a note.[^1]

        [^1]: The footnote.

        Term
        : Definition

        The HTML spec.

        *[HTML]: Hyper Text Markup Language

        !!! warning "Careful"
            Admonition body.

        ## Second Heading {#custom-id .klass}
        """})
    html = site.read("m/index.html")
    assert "<table" in html and "<td>1</td>" in html
    assert '<div class="highlight"' in html and '<span class="k">def</span>' in html
    assert 'class="footnote"' in html and "The footnote." in html
    assert "<dl>" in html and "<dd>Definition</dd>" in html
    assert '<abbr title="Hyper Text Markup Language">HTML</abbr>' in html
    assert 'class="admonition warning"' in html and "Careful" in html
    assert 'id="first-heading"' in html and 'id="custom-id"' in html
    assert 'href="#first-heading"' in html  # table of contents


def test_markdown_extension_switch(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": "[markdown.extensions]\ntables = false\n",
        "content/m.md": "| a | b |\n|---|---|\n| 1 | 2 |\n",
    })
    assert "<table" not in site.read("m/index.html")


def test_summaries(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/posts/more.md": "---\ndate: 2024-01-03\n---\nBefore marker.\n\n"
                                 "<!-- more -->\n\nAfter marker.\n",
        "content/posts/front.md": "---\ndate: 2024-01-02\nsummary: From *front* matter\n---\n"
                                  "Body paragraph.\n",
        "content/posts/first.md": "---\ndate: 2024-01-01\n---\nFirst para.\n\nSecond para.\n",
    })
    listing = site.read("posts/index.html")
    assert "Before marker." in listing and "After marker." not in listing
    assert "From <em>front</em> matter" in listing and "Body paragraph." not in listing
    assert "First para." in listing and "Second para." not in listing


def test_drafts_left_out_unless_asked(make_site: Callable[..., Site]) -> None:
    files = {"content/d.md": "---\ntitle: Drafty\ndraft: true\n---\nx\n", "content/p.md": "x\n"}
    site = make_site(files)
    assert not site.exists("d/index.html")
    assert "Drafty" not in site.read("index.html")
    site.build(drafts=True)
    assert site.exists("d/index.html")


def test_bom_crlf_and_empty_files_work(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/bom.md": "\ufeff---\r\ntitle: Bommed\r\n---\r\nLine one\r\n".encode(),
        "content/empty.md": b"",
    })
    assert "Bommed" in site.read("bom/index.html")
    assert "\r" not in site.read("bom/index.html")
    assert site.exists("empty/index.html")


def test_exclude_globs(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": 'exclude = ["private/*", "*.tmp.md"]\n',
        "content/private/secret.md": "x\n",
        "content/keep.md": "x\n",
        "content/scratch.tmp.md": "x\n",
    })
    assert site.exists("keep/index.html")
    assert not site.exists("private/secret/index.html")
    assert not site.exists("scratch.tmp/index.html")


def test_heading_ids_keep_unicode(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/u.md": "## Über uns\n\n## 東京\n"})
    html = site.read("u/index.html")
    assert re.search(r'id="über-uns"', html) and 'id="東京"' in html


def test_plain_front_matter_summaries_match_python_markdown() -> None:
    """Plain-text summaries skip the second Markdown pass: the HTML must be the same."""
    import random

    from ssg.config import DEFAULT_EXTENSIONS, OPTIONAL_EXTENSIONS, MarkdownConfig
    from ssg.stages.markdown import MarkdownRenderer

    extensions = tuple(e for e in (*DEFAULT_EXTENSIONS, *OPTIONAL_EXTENSIONS) if e != "smarty")
    config = MarkdownConfig(extensions=extensions)
    fast = MarkdownRenderer(config, {}, "/")
    slow = MarkdownRenderer(config, {}, "/")
    slow._plain_summaries = False
    alphabet = "aZé中1 ,.;:!?'\"()-_*#>[]{}<&\\~`|=+^\n\t"
    rng = random.Random(7)
    texts = ["Plain words, with (some) punctuation: ok!", "1. a list", "# heading", "a  b ",
             "Tom's \"quoted\" -- text...", "x{{< s >}}", "*[HTML]: Hyper"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
              for _ in range(5000)]
    for text in texts:
        assert fast._summary(text, "") == slow._summary(text, ""), text


def test_simple_front_matter_reads_as_the_yaml_loader_reads_it() -> None:
    """The fast path for plain `key: value` front matter gives what the YAML loader gives."""
    import random

    from ssg.stages import parse

    rng = random.Random(3)
    keys = ["title", "date", "tags", "on", "Yes", "k-1", "x_y", "1a"]
    values = ['"Quoted, with: # marks"', '"back\\\\slash"', '"é 中 \u2028"', '""', "[a, b-c]",
              "[yes, x]", "[]", "[a,b]", "2024-01-02", "2024-02-30", "2016-05-15T20:16:16Z",
              "2024-13-01T00:00:00Z", "plain", '"x" # c', "[Null]", "~", "true", "false",
              "False", "0", "12", "012", "1_000", '"a \\"q\\" b"', '"\\\\"', '"x\\"', "-3"]
    for _ in range(3000):
        text = "".join(f"{rng.choice(keys)}: {rng.choice(values)}\n"
                       for _ in range(rng.randint(1, 4)))
        fast = parse._simple_yaml(text)
        if fast is not None:
            assert fast == parse.yaml.load(text, Loader=parse._YamlLoader), text
    corpus = 'title: "A"\ndate: 2016-05-15T20:16:16Z\ntags: [databases, roadmap]\n'
    assert parse._simple_yaml(corpus) == parse.yaml.load(corpus, Loader=parse._YamlLoader)
