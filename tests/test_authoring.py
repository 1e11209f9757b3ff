"""Data files, shortcodes, future and expired pages, config environments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from conftest import Site, html_tags, html_text
from ssg.cli import main
from ssg.errors import SsgError

PAGE_WITH_DATA = """
    {% extends "base.html" %}
    {% block content %}{% for a in site.data.authors.list %}<i>{{ a.name }}</i>{% endfor %}
    <b>{{ site.data.settings.colour }}</b> <u>{{ site.data.team.lead.name }}</u>{% endblock %}
    """


def test_data_files_are_available_to_templates(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "data/authors.yaml": "list:\n  - name: Ada\n  - name: Grace\n",
        "data/settings.toml": 'colour = "teal"\n',
        "data/team/lead.json": '{"name": "Linus"}',
        "templates/page.html": PAGE_WITH_DATA,
        "content/a.md": "x\n",
    })
    html = site.read("a/index.html")
    assert "<i>Ada</i><i>Grace</i>" in html and "<b>teal</b>" in html
    assert "<u>Linus</u>" in html
    site.write({"data/settings.toml": 'colour = "plum"\n'})
    result = site.build()
    assert "a/index.html" in result.written and "<b>plum</b>" in site.read("a/index.html")


@pytest.mark.parametrize(("files", "expected"), [
    ({"data/bad.yaml": "a: [1, 2\nb: 3\n"}, "data/bad.yaml:2: invalid YAML"),
    ({"data/bad.json": '{\n  "a": 1,\n}\n'}, "data/bad.json:3: invalid JSON"),
    ({"data/bad.toml": "a = 1\nb = \n"}, "data/bad.toml:2: invalid TOML"),
])
def test_data_file_errors_name_file_and_line(make_site: Callable[..., Site],
                                             files: dict[str, str], expected: str) -> None:
    site = make_site({"content/a.md": "x\n", **files}, build=False)
    with pytest.raises(SsgError, match=expected):
        site.build()


SHORTCODES = {
    "templates/shortcodes/figure.html":
        '<figure><img src="{{ src }}" alt="{{ alt }}">'
        "{% if caption is defined %}<figcaption>{{ caption }}</figcaption>{% endif %}</figure>",
    "templates/shortcodes/note.html":
        '<aside class="note" data-n="{{ args.positional | length }}">{{ body }}</aside>',
    "templates/shortcodes/video.html": '<video controls src="{{ args.positional[0] }}"></video>',
}


def test_shortcodes(make_site: Callable[..., Site]) -> None:
    site = make_site({**SHORTCODES, "content/p.md": """
        ---
        title: P
        ---
        Intro with {{< video "/clip.mp4" >}} inline.

        {{< figure src="cat.jpg" alt="A cat" caption="Cat & co" >}}

        {{< note 1 2 >}}
        Some **bold** [link](other.md).
        {{< /note >}}

        ```
        {{< figure src="not-expanded.jpg" >}}
        ```

        Literal: {{</* figure src="x" */>}} and `{{< figure src="in-code" >}}`
        """, "content/other.md": "o\n"})
    html = site.read("p/index.html")
    assert '<video controls src="/clip.mp4"></video>' in html
    assert '<figure><img src="cat.jpg" alt="A cat"><figcaption>Cat &amp; co</figcaption>' in html
    assert '<aside class="note" data-n="2"><p>Some <strong>bold</strong> ' \
           '<a href="/other/">link</a>.</p></aside>' in html
    # Inside code and after {{</* */>}} a shortcode is shown as written, never called.
    text = html_text(html)
    assert '{{< figure src="not-expanded.jpg" >}}' in text
    assert '{{< figure src="x" >}}' in text
    assert '{{< figure src="in-code" >}}' in text
    assert [img["src"] for img in html_tags(html, "img")] == ["cat.jpg"]


def test_shortcode_template_change_rerenders_pages_using_it(
    make_site: Callable[..., Site]
) -> None:
    site = make_site({**SHORTCODES, "content/p.md": '{{< video "a.mp4" >}}\n',
                      "content/q.md": "plain\n"})
    site.write({"templates/shortcodes/video.html": '<video src="{{ args.positional[0] }}" '
                'muted></video>'})
    result = site.build()
    assert "muted" in site.read("p/index.html")
    assert "q/index.html" not in result.written


@pytest.mark.parametrize(("body", "expected"), [
    ("line one\n\n{{< nope x=1 >}}\n", "content/p.md:7: unknown shortcode 'nope'"),
    ("{{< video >}}\n", "templates/shortcodes/video.html:1: list object has no element 0"),
    ('ok\n{{< figure src="x" alt= >}}\n', "content/p.md:6: cannot read shortcode arguments"),
])
def test_shortcode_errors_name_page_and_line(make_site: Callable[..., Site], body: str,
                                             expected: str) -> None:
    site = make_site({**SHORTCODES, "content/p.md": f"---\ntitle: t\n---\n\n{body}"},
                     build=False)
    with pytest.raises(SsgError) as info:
        site.build()
    assert expected in str(info.value)
    if "video" in expected:
        assert "content/p.md:5" in str(info.value)


NOW = datetime(2025, 6, 1, tzinfo=UTC)


def test_future_and_expired_pages(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "content/past.md": "---\ndate: 2025-01-01\n---\nx\n",
        "content/future.md": "---\ndate: 2025-12-01\n---\nx\n",
        "content/gone.md": "---\ndate: 2024-01-01\nexpires: 2025-03-01\n---\nx\n",
        "content/lasting.md": "---\nexpires: 2026-01-01\n---\nx\n",
    }, now=NOW)
    assert site.exists("past/index.html") and site.exists("lasting/index.html")
    assert not site.exists("future/index.html") and not site.exists("gone/index.html")
    site.build(now=NOW, future=True, expired=True)
    assert site.exists("future/index.html") and site.exists("gone/index.html")


def test_config_environment_overlay(make_site: Callable[..., Site]) -> None:
    site = make_site({
        "ssg.toml": 'title = "Base"\nbase_url = "http://localhost:8000/"\n'
                    '[extra]\nanalytics = false\nkeep = "yes"\n',
        "ssg.production.toml": 'base_url = "https://example.org/"\n[extra]\nanalytics = true\n',
        "templates/page.html": "{{ site.title }}|{{ site.extra.analytics }}|"
                               "{{ site.extra.keep }}|{{ page.permalink }}",
        "content/a.md": "x\n",
    }, build=False)
    runner = CliRunner()
    result = runner.invoke(main, ["build", str(site.root), "--env", "production"])
    assert result.exit_code == 0, result.output
    assert site.read("a/index.html") == "Base|True|yes|https://example.org/a/"
    assert runner.invoke(main, ["build", str(site.root)]).exit_code == 0
    assert site.read("a/index.html") == "Base|False|yes|http://localhost:8000/a/"
    missing = runner.invoke(main, ["build", str(site.root), "--env", "staging"])
    assert missing.exit_code == 1 and "no ssg.staging.toml" in missing.output
    site.write({"ssg.production.toml": "paginate = 0\n"})
    bad = runner.invoke(main, ["build", str(site.root), "--env", "production"])
    assert bad.exit_code == 1 and "ssg.production.toml: 'paginate' must be at least 1" in bad.output
