"""MkDocs sites build as they are: mkdocs.yml read safely, mapped onto ssg's settings, and
`ssg import mkdocs` writing the equivalent ssg.toml."""

from __future__ import annotations

import html
import logging
import os
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import tiny_png
from ssg.cli import main
from ssg.config import load_config
from ssg.errors import SsgError
from ssg.mkdocs import call_factory, import_name, mkdocs_settings, read_mkdocs, to_toml

#: Lists what the templates see of a section: its title, its pages, its subsections, in order.
LISTING = {
    "templates/section.html":
        "{{ section.title }}:{% for p in section.pages %}{{ p.title }}|{% endfor %}"
        "/{% for s in section.subsections %}{{ s.title }}|{% endfor %}",
    "templates/index.html":
        "{% for s in section.subsections %}{{ s.title }}|{% endfor %}",
}

#: A small MkDocs site shaped like real ones: nested nav sections, README.md and index.md
#: section pages, exclude_docs, draft_docs, not_in_nav, extra_css and extra_javascript.
MKDOCS_SITE: dict[str, str | bytes] = {
    "mkdocs.yml": """
        site_name: Handbook
        site_url: https://example.org/handbook/
        repo_url: https://github.com/example/handbook
        theme:
          name: material
          features:
            - navigation.tabs
          palette:
            scheme: slate
        plugins:
          - search
          - blog
        nav:
          - Home: index.md
          - User guide:
            - user-guide/README.md
            - Installing: user-guide/installing.md
            - Configuring: user-guide/configuring.md
            - Advanced:
              - user-guide/advanced/index.md
              - Plugins: user-guide/advanced/plugins.md
              - Hooks: user-guide/advanced/hooks.md
          - About:
            - License: about/license.md
            - Changes: about/changes.md
          - Issues: https://github.com/example/handbook/issues
        exclude_docs: |
          *.py
          /drafts-archive/
        draft_docs: |
          wip-*.md
        not_in_nav: |
          /hidden.md
        extra_css:
          - css/extra.css
        extra_javascript:
          - js/extra.js
        markdown_extensions:
          - toc:
              permalink: true
          - admonition
          - attr_list
    """,
    "docs/index.md": "# Welcome\n\nStart with [installing](user-guide/installing.md#steps).\n",
    "docs/hidden.md": "# Hidden\n\nNot in the nav, still built.\n",
    "docs/wip-ideas.md": "# Ideas\n",
    "docs/hooks.py": "print('never copied')\n",
    "docs/drafts-archive/old.md": "# Old\n",
    "docs/css/extra.css": "body { color: teal; }\n",
    "docs/js/extra.js": "console.log('extra');\n",
    "docs/user-guide/README.md": "# The user guide\n",
    "docs/user-guide/installing.md":
        "# Installing\n\n## Steps\n\nSee [configuring](configuring.md).\n",
    "docs/user-guide/configuring.md":
        "# Configuring\n\n!!! note\n    Back to [home](../index.md).\n",
    "docs/user-guide/advanced/index.md": "# Advanced topics\n",
    "docs/user-guide/advanced/plugins.md": "# Plugins\n",
    "docs/user-guide/advanced/hooks.md": "# Hooks\n",
    "docs/about/license.md": "# License\n",
    "docs/about/changes.md": "# Changes\n",
}


def test_nav_gives_the_order_and_titles_of_pages_and_sections(make_site) -> None:
    site = make_site({**MKDOCS_SITE, **LISTING})
    # Pages in nav order, not by title (Installing before Configuring, Plugins before Hooks),
    # with the nav's titles; a nav section that is a folder gets the nav's title.
    assert site.read("user-guide/index.html") == (
        "User guide:Installing|Configuring|/Advanced|")
    assert site.read("user-guide/advanced/index.html") == "Advanced:Plugins|Hooks|/"
    assert site.read("about/index.html") == "About:License|Changes|/"
    # Top-level sections in nav order: User guide (2nd entry) before About (5th entry, a
    # folder without an index page, placed by its first page); folders of files only (css/,
    # js/) are no sections, as in MkDocs.
    assert site.read("index.html") == "User guide|About|"
    assert not site.exists("css/index.html") and site.exists("css/extra.css")


def test_pages_have_directory_urls_and_links_resolve(make_site) -> None:
    site = make_site(MKDOCS_SITE)
    home = site.read("index.html")
    assert 'href="/handbook/user-guide/installing/#steps"' in home
    assert site.exists("user-guide/configuring/index.html")
    configuring = site.read("user-guide/configuring/index.html")
    assert 'href="/handbook/"' in configuring  # ../index.md
    assert 'class="admonition note"' in configuring
    # `toc` is on: headings have ids that links can name
    assert 'id="steps"' in site.read("user-guide/installing/index.html")


def test_the_top_level_of_nav_is_the_main_menu(make_site) -> None:
    site = make_site(MKDOCS_SITE)
    html = site.read("user-guide/installing/index.html")
    menu = html[html.index('class="site-nav"'):]
    menu = menu[:menu.index("</nav>")]
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', menu)
    assert links == [("/handbook/", "Home"), ("/handbook/user-guide/", "User guide"),
                     ("/handbook/about/", "About"),
                     ("https://github.com/example/handbook/issues", "Issues")]


def test_exclude_drafts_and_not_in_nav(make_site) -> None:
    site = make_site(MKDOCS_SITE)
    assert not site.exists("hooks.py")  # exclude_docs: *.py
    assert not site.exists("drafts-archive/old/index.html")  # exclude_docs: a folder
    assert not site.exists("wip-ideas/index.html")  # draft_docs: left out of a build
    assert site.exists("hidden/index.html")  # not_in_nav: built, only not listed by the nav
    site.build(drafts=True)
    assert site.exists("wip-ideas/index.html")  # ... and built with drafts, as `mkdocs serve`
    assert not site.exists("drafts-archive/old/index.html")


def test_extra_css_and_javascript_are_linked_from_every_page(make_site) -> None:
    site = make_site(MKDOCS_SITE)
    for page in ("index.html", "user-guide/installing/index.html"):
        html = site.read(page)
        assert '<link rel="stylesheet" href="/handbook/css/extra.css">' in html
        assert '<script src="/handbook/js/extra.js"></script>' in html
    assert site.read("css/extra.css") == "body { color: teal; }\n"


def test_settings_ssg_cannot_carry_over_are_named_in_one_warning(make_site, ssg_log) -> None:
    make_site(MKDOCS_SITE)
    ignored = [r.getMessage() for r in ssg_log.records if "ignored:" in r.getMessage()]
    assert ignored == ["mkdocs.yml: ignored: repo_url, theme.name, theme.features, "
                       "theme.palette, plugins.blog"]  # the search plugin is ssg's own
    assert not any(r.levelno >= logging.WARNING and "unknown" in r.getMessage()
                   for r in ssg_log.records)


def test_mkdocs_tags_are_data_and_never_run_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "mkdocs.yml").write_text(f"""\
site_name: !ENV [SSG_TEST_UNSET_NAME, "Fallback name"]
markdown_extensions:
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
  - pymdownx.tabbed:
      slugify: !!python/object/apply:pymdownx.slugs.slugify
        kwds:
          case: lower
  - pymdownx.snippets:
      base_path: !relative $config_dir
extra:
  evil: !!python/object/apply:os.system ["touch {marker}"]
""")
    data, _lines = read_mkdocs(tmp_path / "mkdocs.yml")
    assert not marker.exists()  # os.system was not called: the tag is only data
    assert data["site_name"] == "Fallback name"
    assert data["extra"]["evil"] == {"!!python/object/apply:os.system": {
        "args": [f"touch {marker}"]}}
    emoji = data["markdown_extensions"][0]["pymdownx.emoji"]
    assert emoji["emoji_index"] == "!!python/name:material.extensions.emoji.twemoji"
    fence = data["markdown_extensions"][1]["pymdownx.superfences"]["custom_fences"][0]
    assert fence["format"] == "!!python/name:pymdownx.superfences.fence_code_format"
    assert data["markdown_extensions"][3]["pymdownx.snippets"]["base_path"] == str(tmp_path)
    # Resolved only when an extension takes the option, as an import of an installed module.
    pytest.importorskip("pymdownx")
    from pymdownx.superfences import fence_code_format

    assert import_name("pymdownx.superfences.fence_code_format") is fence_code_format
    slugify = call_factory(data["markdown_extensions"][2]["pymdownx.tabbed"]["slugify"])
    assert slugify("Hello World", "-") == "hello-world"
    with pytest.raises(ValueError, match="cannot import no_such_module"):
        import_name("no_such_module.function")


def test_env_tag_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSG_TEST_SITE_URL", "https://docs.example.org/")
    (tmp_path / "mkdocs.yml").write_text("site_name: Env\nsite_url: !ENV SSG_TEST_SITE_URL\n")
    (tmp_path / "docs").mkdir()
    config = load_config(tmp_path)
    assert config.base_url == "https://docs.example.org/"
    assert config.title == "Env"
    assert config.content_dir == tmp_path.resolve() / "docs"


@pytest.mark.parametrize(("text", "line", "words"), [
    ("site_name: A\nnav:\n  - Home: index.md\n   - bad: indent\n", 4, "invalid YAML"),
    ("site_name: [unclosed\n", 2, "invalid YAML"),
    ("site_name: A\nnav: index.md\n", 2, "nav: must be a list"),
    ("site_name: A\ndocs_dir: 3\n", 2, "docs_dir: must be a folder name"),
    ("site_name: A\nmarkdown_extensions:\n  - toc: [1, 2]\n", 2, "toc: options must be"),
    ("- just\n- a list\n", 1, "must be a mapping"),
])
def test_bad_mkdocs_yml_is_an_error_naming_the_file_and_line(make_site, text: str, line: int,
                                                             words: str) -> None:
    site = make_site({"mkdocs.yml": text, "docs/index.md": "# Home\n"}, build=False)
    with pytest.raises(SsgError) as caught:
        site.build()
    errors = getattr(caught.value, "errors", [caught.value])
    assert any(e.path is not None and Path(str(e.path)).name == "mkdocs.yml"
               and e.line == line and words in str(e) for e in errors), [str(e) for e in errors]
    assert not site.out.exists()  # nothing written


def test_bad_mkdocs_yml_fails_the_command_with_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: A\nnav:\n  - [broken\n")
    (tmp_path / "docs").mkdir()
    result = CliRunner().invoke(main, ["build", str(tmp_path)])
    assert result.exit_code == 1
    assert "mkdocs.yml:4" in result.output and "invalid YAML" in result.output


def test_inherit_merges_the_parent_config(make_site) -> None:
    site = make_site({
        "base.yml": "site_name: Base\nsite_url: https://example.org/\nextra_css: [a.css]\n",
        "mkdocs.yml": "INHERIT: base.yml\nsite_name: Child\n",
        "docs/index.md": "# Home\n",
        "docs/a.css": "a {}\n",
        "templates/index.html": "{{ site.title }}|{{ site.config.stylesheets | join(',') }}",
    })
    assert site.read("index.html") == "Child|a.css"


def test_ssg_toml_wins_over_mkdocs_yml(make_site) -> None:
    site = make_site({"ssg.toml": 'title = "From TOML"\n', "mkdocs.yml": "site_name: From YAML\n",
                      "content/index.md": "# Home\n", "templates/index.html": "{{ site.title }}"})
    assert site.read("index.html") == "From TOML"


def test_import_writes_an_ssg_toml_that_builds_the_same_site(make_site, tmp_path: Path) -> None:
    site = make_site(MKDOCS_SITE)
    from_mkdocs = site.tree()
    result = CliRunner().invoke(main, ["import", "mkdocs", str(site.root)])
    assert result.exit_code == 0, result.output
    written = (site.root / "ssg.toml").read_text()
    settings = tomllib.loads(written)
    assert settings["content_dir"] == "docs" and settings["title"] == "Handbook"
    assert (site.root / "mkdocs.yml").exists()  # nothing lost
    (site.root / "output").rename(tmp_path / "first-output")
    site.build()
    assert site.tree() == from_mkdocs
    # An existing ssg.toml is never overwritten.
    again = CliRunner().invoke(main, ["import", "mkdocs", str(site.root)])
    assert again.exit_code == 1 and "exists already" in again.output
    assert (site.root / "ssg.toml").read_text() == written


def test_import_without_mkdocs_yml_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", "mkdocs", str(tmp_path)])
    assert result.exit_code == 1 and "no mkdocs.yml" in result.output
    assert not (tmp_path / "ssg.toml").exists()


def test_markdown_extensions_keep_their_order_and_options(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("""\
site_name: X
markdown_extensions:
  - markdown.extensions.toc:
      permalink: "#"
      toc_depth: 3
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
  - abbr
""")
    data, _lines = read_mkdocs(tmp_path / "mkdocs.yml")
    from ssg.mkdocs import _extensions

    found = _extensions(data["markdown_extensions"], lambda key, message: None)
    assert list(found) == ["toc", "pymdownx.superfences", "abbr"]
    assert found["toc"] == {"permalink": "#", "toc_depth": 3}
    assert found["abbr"] is True
    fences = found["pymdownx.superfences"]["custom_fences"]
    assert fences == [{"name": "mermaid", "class": "mermaid",
                       "format": "!!python/name:pymdownx.superfences.fence_code_format"}]


def test_to_toml_round_trips_every_kind_of_value() -> None:
    settings = {
        "title": 'Quotes " and \\ and ünïcode', "n": 3, "on": False, "ratio": 0.5,
        "lines": "a\nb\n", "list": ["x", 1], "empty": [],
        "markdown": {"extensions": {"toc": {"permalink": True}, "pymdownx.superfences": {
            "custom_fences": [{"name": "mermaid", "format": "a.b"}]}, "abbr": True}},
        "front_matter": [{"paths": "/a.md", "weight": 1}, {"paths": "b/*", "draft": True}],
    }
    assert tomllib.loads(to_toml(settings)) == settings


def test_real_tags_in_settings_become_plain_values(tmp_path: Path) -> None:
    path = tmp_path / "mkdocs.yml"
    path.write_text("site_name: T\nnav:\n  - Home: index.md\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# T\n")
    settings = mkdocs_settings(path)
    assert tomllib.loads(to_toml(settings)) == settings
    assert os.environ.get("SSG_TEST_UNSET_NAME") is None


def test_other_python_tags_are_refused_with_their_line(make_site) -> None:
    site = make_site({"mkdocs.yml": "site_name: A\nextra:\n  x: !!python/object:os.Popen {}\n",
                      "docs/index.md": "# Home\n"}, build=False)
    with pytest.raises(SsgError) as caught:
        site.build()
    assert caught.value.line == 3 and "python/object:os.Popen" in str(caught.value)


def test_mkdocs_page_meta_is_free_form(make_site, ssg_log) -> None:
    # Material for MkDocs' front matter: `template` of its theme, icons, a blog post's dates.
    site = make_site({
        "mkdocs.yml": "site_name: Meta\n",
        "templates/page.html": "{{ page.title }}|{{ page.extra.icon }}|{{ page.extra.template }}"
                               "|{{ page.date.date() }}|{{ page.updated.date() }}",
        "docs/index.md": "---\ntemplate: home.html\nhide: [navigation]\n---\n# Home\n",
        "docs/post.md": "---\nicon: material/star\ntemplate: blog-post.html\n"
                        "date:\n  created: 2024-01-02\n  updated: 2024-03-04\n---\n# Post\n",
    })
    assert site.read("post/index.html") == "Post|material/star|blog-post.html|2024-01-02|2024-03-04"
    assert not [r for r in ssg_log.records if "front matter" in r.getMessage()]


def test_theme_custom_dir_inside_docs_is_no_content(make_site, ssg_log) -> None:
    site = make_site({
        "mkdocs.yml": "site_name: T\ntheme:\n  name: material\n  custom_dir: docs/overrides\n",
        "docs/index.md": "# Home\n",
        "docs/overrides/main.html": "{% extends 'base.html' %}\n",
        "docs/overrides/partials/nav.html": "<a href=\"{{ nav.homepage.url }}\">x</a>\n",
    })
    assert site.exists("index.html")
    assert not site.exists("overrides/main.html") and not site.exists("overrides")
    assert any("theme.custom_dir" in r.getMessage() for r in ssg_log.records)


def test_pymdown_extensions_of_mkdocs_yml_render(make_site) -> None:
    pytest.importorskip("pymdownx")
    site = make_site({
        "mkdocs.yml": """
            site_name: Pymdown
            markdown_extensions:
              - toc:
                  permalink: true
              - admonition
              - pymdownx.details
              - pymdownx.superfences:
                  custom_fences:
                    - name: mermaid
                      class: mermaid
                      format: !!python/name:pymdownx.superfences.fence_code_format
              - pymdownx.tabbed:
                  alternate_style: true
                  slugify: !!python/object/apply:pymdownx.slugs.slugify
                    kwds:
                      case: lower
              - pymdownx.tasklist:
                  custom_checkbox: true
              - pymdownx.emoji:
                  emoji_index: !!python/name:pymdownx.emoji.twemoji
                  emoji_generator: !!python/name:pymdownx.emoji.to_alt
        """,
        "docs/index.md": """
            # Home

            === "First Tab"

                Inside the tab.

            ??? note "Folded"
                Hidden text.

            - [x] done
            - [ ] to do

            ```mermaid
            graph LR; A-->B
            ```

            :smile:
        """,
    })
    html = site.read("index.html")
    assert 'class="tabbed-set tabbed-alternate"' in html
    assert 'id="first-tab"' in html  # the tab's slug from the called slugify factory (lower)
    assert "<details" in html and "Hidden text." in html
    assert 'class="task-list-item"' in html
    assert 'class="mermaid"' in html
    assert "\U0001f604" in html  # :smile: as the Unicode character (to_alt)
    assert 'class="headerlink"' in html  # toc permalink: true


def test_a_factory_that_cannot_be_imported_is_a_config_error(make_site) -> None:
    pytest.importorskip("pymdownx")
    site = make_site({"mkdocs.yml": """
        site_name: Bad
        markdown_extensions:
          - pymdownx.tabbed:
              slugify: !!python/object/apply:no_such_module.slugify
                kwds: {case: lower}
    """, "docs/index.md": "# Home\n"}, build=False)
    with pytest.raises(SsgError, match="no_such_module"):
        site.build()


def test_tags_are_terms_only_with_a_tags_plugin(make_site) -> None:
    page = "---\ntags: [setup]\n---\n# Page\n"
    site = make_site({"mkdocs.yml": "site_name: T\n", "docs/index.md": "# Home\n",
                      "docs/page.md": page})
    assert not site.exists("tags/setup/index.html") and site.exists("page/index.html")
    site.write({"mkdocs.yml": "site_name: T\nplugins:\n  - search\n  - tags\n"})
    site.build()
    assert site.exists("tags/setup/index.html")


def test_fragment_links_of_a_summary_name_their_page_on_list_pages(make_site) -> None:
    site = make_site({
        "mkdocs.yml": "site_name: S\n",
        "templates/section.html": "{% for p in section.pages %}{{ p.summary }}{% endfor %}",
        "docs/guide/index.md": "# Guide\n",
        "docs/guide/setup.md": "# Setup\n\nRead [the tabs](#tabs) first.\n\n## Tabs\n",
    })
    assert 'href="/guide/setup/#tabs"' in site.read("guide/index.html")
    assert 'id="tabs"' in site.read("guide/setup/index.html")


# --- validation: how each kind of broken link counts, as MkDocs' `validation:` says ---------

#: Shaped like encode/httpx's docs: a link to a heading another page does not have, a
#: #fragment of the page itself that is gone, a relative link without a file ending that
#: MkDocs leaves as it is (`../advanced/transports#...`) and an absolute one (`/...`).
BROKEN_KINDS: dict[str, str | bytes] = {
    "docs/index.md": "# Home\n\nSee [client instances](advanced/clients.md#client-instances).\n",
    "docs/advanced/clients.md": "# Clients\n\n## Instances\n\nAs [merging](#merging) says.\n",
    "docs/advanced/transports.md": "# Transports\n\n## ASGI transport\n",
    "docs/async.md": "# Async\n\nUse [the ASGI transport](../advanced/transports#asgitransport)"
                     " or [proxies](/advanced/proxies/#routing).\n",
}
#: What `ssg check` notes about BROKEN_KINDS, kind by kind.
NOTES = [
    "note: docs/advanced/clients.md -> #merging: no heading or element with id 'merging' on "
    "that page (anchors: info)",
    "note: docs/async.md -> ../advanced/transports#asgitransport: no heading or element with id "
    "'asgitransport' on that page (unrecognized_links: info)",
    "note: docs/async.md -> /advanced/proxies/#routing: no such page (absolute_links: info)",
    "note: docs/index.md -> /advanced/clients/#client-instances: no heading or element with id "
    "'client-instances' on that page (anchors: info)",
]


def _check(root: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["check", str(root)])
    return result.exit_code, [line for line in result.output.splitlines()
                              if not line.startswith("warning:")]


def test_broken_links_mkdocs_reports_at_info_level_are_notes(make_site) -> None:
    site = make_site({"mkdocs.yml": "site_name: Kinds\n", **BROKEN_KINDS}, build=False)
    code, lines = _check(site.root)
    # As `mkdocs build --strict` passes this site, so does `ssg check`: every broken link
    # here is of a kind MkDocs reports at info level; each is shown as a note.
    assert code == 0, lines
    assert lines[:-1] == NOTES
    assert lines[-1].endswith(": no problems (4 notes at info level).")
    # ... and so does the strict build, which notes them too.
    built = CliRunner().invoke(main, ["build", "--strict", str(site.root)])
    assert built.exit_code == 0, built.output


def test_validation_can_make_a_kind_strict(make_site) -> None:
    site = make_site({"mkdocs.yml": "site_name: Kinds\nvalidation:\n  anchors: warn\n",
                      **BROKEN_KINDS}, build=False)
    code, lines = _check(site.root)
    assert code == 1
    # The anchors of recognized links are problems now; the links MkDocs leaves as they are
    # (relative without a file ending, absolute) still count at their own levels.
    assert lines[:-1] == [
        "docs/advanced/clients.md -> #merging: no heading or element with id 'merging' on that "
        "page",
        "docs/index.md -> /advanced/clients/#client-instances: no heading or element with id "
        "'client-instances' on that page",
        NOTES[1], NOTES[2]]
    assert lines[-1].endswith(": 2 problems (2 notes at info level).")
    built = CliRunner().invoke(main, ["build", "--strict", str(site.root)])
    assert built.exit_code == 1
    assert "docs/index.md:3: link to 'advanced/clients.md#client-instances'" in built.output


def test_validation_of_links_and_at_the_top_and_ignore(make_site) -> None:
    # `links:` sets the links' levels; a key at the top sets both nav and links (MkDocs'
    # propagation), the more precise one winning; "ignore" is not shown at all.
    site = make_site({"mkdocs.yml": """
        site_name: Kinds
        validation:
          absolute_links: warn
          unrecognized_links: warn
          links:
            anchors: ignore
            unrecognized_links: ignore
    """, **BROKEN_KINDS}, build=False)
    code, lines = _check(site.root)
    assert code == 1
    assert lines == ["docs/async.md -> /advanced/proxies/#routing: no such page",
                     lines[-1]]
    assert lines[-1].endswith(": 1 problem.")


@pytest.mark.parametrize(("validation", "words"), [
    ("validation:\n  anchors: loud\n", "anchors must be one of warn, info, ignore, not 'loud'"),
    ("validation:\n  links:\n    anchor: warn\n", "links: unknown setting 'anchor'"),
    ("validation: strict\n", "must be a mapping"),
])
def test_bad_validation_is_an_error_with_its_line(make_site, validation: str,
                                                  words: str) -> None:
    site = make_site({"mkdocs.yml": "site_name: A\n" + validation, "docs/index.md": "# A\n"},
                     build=False)
    with pytest.raises(SsgError) as caught:
        site.build()
    errors = getattr(caught.value, "errors", [caught.value])
    assert [(Path(str(e.path)).name, e.line) for e in errors] == [("mkdocs.yml", 2)]
    assert words in str(errors[0])


def test_nav_validation_levels_grade_the_nav_warnings(make_site, ssg_log) -> None:
    site = make_site({"mkdocs.yml": """
        site_name: Nav
        nav:
          - index.md
          - gone.md
          - Guide: guide/
        validation:
          nav:
            omitted_files: warn
    """, "docs/index.md": "# Home\n", "docs/extra.md": "# Extra\n",
        "docs/guide/a.md": "# A\n"})  # a folder the nav names holds no omitted page
    warnings = [r.getMessage() for r in ssg_log.records if r.levelno == logging.WARNING]
    assert "mkdocs.yml: nav: no page gone.md in docs/ (validation.nav.not_found)" in warnings
    assert ("mkdocs.yml: nav: these pages are not in it (validation.nav.omitted_files): "
            "extra.md") in warnings
    assert site.exists("extra/index.html")  # still built, as in MkDocs


def test_import_writes_the_validation_levels(make_site) -> None:
    site = make_site({"mkdocs.yml": "site_name: K\nvalidation:\n  links:\n    anchors: warn\n",
                      **BROKEN_KINDS}, build=False)
    result = CliRunner().invoke(main, ["import", "mkdocs", str(site.root)])
    assert result.exit_code == 0, result.output
    settings = tomllib.loads((site.root / "ssg.toml").read_text())
    assert settings["check"] == {"not_found": "warn", "anchors": "warn",
                                 "absolute_links": "info", "unrecognized_links": "info"}
    assert settings["theme"] == "mkdocs"
    code, lines = _check(site.root)  # built from ssg.toml now: the same verdict
    assert code == 1 and lines[-1].endswith(": 2 problems (2 notes at info level).")


# --- the favicon MkDocs' theme publishes ---------------------------------------------------

def test_mkdocs_favicon_is_published_where_sites_link_to_it(make_site) -> None:
    # MkDocs' own docs link to the theme's icon: `[MkDocs favicon]: img/favicon.ico`.
    site = make_site({
        "mkdocs.yml": "site_name: Icons\n",
        "docs/index.md": "# Home\n",
        "docs/getting-started.md": "# Start\n\nBy default, the [MkDocs favicon] is used.\n\n"
                                   "[MkDocs favicon]: img/favicon.ico\n",
    })
    from PIL import Image

    with Image.open(site.out / "img/favicon.ico") as icon:
        assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]
    page = site.read("getting-started/index.html")
    assert 'href="/img/favicon.ico"' in page  # resolved, not left relative to the page
    code, lines = _check(site.root)
    assert code == 0 and lines[-1].endswith(": no problems."), lines


def test_a_site_favicon_of_its_own_wins(make_site) -> None:
    site = make_site({
        "mkdocs.yml": "site_name: Icons\ntheme:\n  name: material\n  favicon: assets/icon.png\n",
        "docs/index.md": "# Home\n\n![icon](img/favicon.ico)\n",
        "docs/img/favicon.ico": b"own icon",
        "docs/assets/icon.png": tiny_png(),
    })
    assert (site.out / "img/favicon.ico").read_bytes() == b"own icon"
    # theme.favicon is the icon the pages show (and is understood, so not named as ignored)
    assert re.search(r'<link rel="icon" href="/assets/icon.png">', site.read("index.html"))
    code, lines = _check(site.root)
    assert code == 0 and lines[-1].endswith(": no problems."), lines


# --- Python-Markdown's own docs: a heading whose id is "id" ---------------------------------

def _old_serializer(root) -> str:
    """Python-Markdown's HTML serializer before 3.11, which writes `id="id"` as `id`."""
    from markdown.serializers import to_html_string

    return re.sub(r' (\w+)="\1"', r" \1", to_html_string(root))


def test_an_attribute_whose_value_is_its_name_keeps_it(make_site, monkeypatch) -> None:
    import markdown

    monkeypatch.setitem(markdown.Markdown.output_formats, "html", _old_serializer)
    site = make_site({
        "mkdocs.yml": "site_name: PM\nmarkdown_extensions:\n  - toc:\n      permalink: true\n",
        "docs/index.md": "# Fenced code blocks\n\n#### ID\n\nAn id for a code block.\n\n"
                         "<details open markdown>x</details>\n",
    }, build=False)
    site.build(jobs=1)
    ids = re.findall(r'<h4 id="([^"]*)"', html.unescape(site.read("index.html")))
    assert ids == ["id"]  # not `<h4 id>`, an empty id the table of contents' #id misses
    assert "<details open" in site.read("index.html")  # a real boolean attribute stays one
    code, lines = _check(site.root)
    assert code == 0 and lines[-1].endswith(": no problems."), lines


def test_an_email_autolink_is_no_broken_link(make_site) -> None:
    # Python-Markdown hides the `mailto:` of `<me@example.org>` in entities; MkDocs skips it.
    site = make_site({"mkdocs.yml": "site_name: PM\nvalidation:\n  unrecognized_links: warn\n",
                      "docs/index.md": "# Contributing\n\nWrite to <pm@example.org>.\n"},
                     build=False)
    built = CliRunner().invoke(main, ["build", "--strict", str(site.root)])
    assert built.exit_code == 0, built.output
    assert "link" not in built.output
    assert "&#109;&#97;&#105;&#108;&#116;&#111;&#58;" in site.read("index.html")  # mailto:
