"""Search with Pagefind: the index is built with the pages, deterministic, incremental-safe."""

from __future__ import annotations

import gzip
import json
import logging
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Site
from ssg.build import BuildOptions, build
from ssg.config import load_config
from ssg.errors import ConfigError, OutputError, SsgError
from ssg.stages import search

pytestmark = pytest.mark.skipif(search.find_engine() is None,
                                reason="pagefind[bin] is not installed")

FILES: dict[str, str | bytes] = {
    "ssg.toml": 'title = "Zoo"\n',
    "content/_index.md": "Welcome to the zoo.\n",
    "content/animals/_index.md": "All the animals.\n",
    "content/animals/elephant.md": "---\ntitle: Elephants\n---\nElephants are large grey "
                                   "mammals.\n\n## Trunks\n\nA trunk is a long nose.\n",
    "content/animals/zebra.md": "---\ntitle: Zebras\n---\nZebras have black and white "
                                "stripes.\n",
    "content/about.md": "---\ntitle: About\n---\nThe zoo opens at nine.\n",
}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def fragments(out: Path) -> dict[str, str]:
    """url -> indexed text, decoded from Pagefind's fragment files."""
    found = {}
    for path in sorted((out / "pagefind/fragment").iterdir()):
        data = json.loads(gzip.decompress(path.read_bytes()).removeprefix(b"pagefind_dcd"))
        found[data["url"]] = data["content"]
    return found


def clean_tree(site: Site) -> dict[str, bytes]:
    """The output of a clean build of the same site into another folder."""
    out = site.root.parent / "clean-out"
    build(load_config(site.root, output_dir=out), BuildOptions(cache=False))
    return tree(out)


def test_pages_are_indexed_with_the_search_ui(make_site: Callable[..., Site]) -> None:
    site = make_site(FILES)
    for name in ("pagefind-ui.js", "pagefind-ui.css", "pagefind.js", "pagefind-entry.json"):
        assert site.exists(f"pagefind/{name}"), name
    entry = json.loads(site.read("pagefind/pagefind-entry.json"))
    assert entry["languages"]["en"]["page_count"] == 3
    texts = fragments(site.out)
    assert sorted(texts) == ["/about/", "/animals/elephant/", "/animals/zebra/"]
    assert "A trunk is a long nose." in texts["/animals/elephant/"]
    assert "Skip to content" not in texts["/animals/elephant/"], "only the article is indexed"
    html = site.read("animals/zebra/index.html")
    assert '<link rel="stylesheet" href="/pagefind/pagefind-ui.css">' in html
    assert '<script src="/pagefind/pagefind-ui.js"></script>' in html
    assert '<div class="site-search" id="site-search" data-base-url="/"></div>' in html
    assert "data-pagefind-body" in html
    assert 'label.textContent = "Search this site"' in html


def test_base_path_reaches_the_ui(make_site: Callable[..., Site]) -> None:
    site = make_site(FILES, base_url="https://example.org/zoo/")
    html = site.read("about/index.html")
    assert 'src="/zoo/pagefind/pagefind-ui.js"' in html and 'data-base-url="/zoo/"' in html
    assert "/about/" in fragments(site.out), "Pagefind's URLs are site paths; the UI adds /zoo/"


def test_index_is_deterministic(make_site: Callable[..., Site]) -> None:
    site = make_site(FILES, cache=False)
    assert tree(site.out) == clean_tree(site)


def test_incremental_builds_rebuild_the_index_and_match_a_clean_build(
        make_site: Callable[..., Site]) -> None:
    site = make_site(FILES)
    first = tree(site.out)
    site.write({"content/animals/zebra.md": "---\ntitle: Zebras\n---\nZebras gallop across "
                                            "the savanna.\n"})
    result = site.build()
    assert "search index" in result.timings
    assert any(dest.startswith("pagefind/fragment/") for dest in result.written)
    assert tree(site.out) == clean_tree(site)
    assert "savanna" in fragments(site.out)["/animals/zebra/"]
    assert tree(site.out) != first

    site.write({"static/robots-extra.txt": "x\n"})  # no HTML changed: the index is kept
    result = site.build()
    assert "search index" not in result.timings and result.written == ("robots-extra.txt",)

    (site.root / "content/about.md").unlink()
    site.write({"content/animals/lion.md": "---\ntitle: Lions\n---\nLions roar.\n"})
    result = site.build()
    assert any(dest.startswith("pagefind/") for dest in result.removed)
    assert sorted(fragments(site.out)) == ["/animals/elephant/", "/animals/lion/",
                                           "/animals/zebra/"]
    assert tree(site.out) == clean_tree(site)


def test_search_off(make_site: Callable[..., Site]) -> None:
    site = make_site({**FILES, "ssg.toml": 'title = "Zoo"\nsearch = false\n'})
    assert not site.exists("pagefind")
    html = site.read("animals/zebra/index.html")
    assert "pagefind" not in html and 'id="site-search"' not in html
    site.write({"ssg.toml": 'title = "Zoo"\n'})  # turning it on rebuilds everything
    result = site.build()
    assert result.full and site.exists("pagefind/pagefind-ui.js")
    assert "pagefind-ui.js" in site.read("animals/zebra/index.html")


def test_search_must_be_a_boolean(make_site: Callable[..., Site]) -> None:
    site = make_site({**FILES, "ssg.toml": 'search = "yes"\n'}, build=False)
    with pytest.raises(ConfigError, match="'search' must be a boolean"):
        site.build()


def test_missing_pagefind_warns_once_and_builds(make_site: Callable[..., Site],
                                                monkeypatch: pytest.MonkeyPatch,
                                                ssg_log: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(search, "find_engine", lambda: None)
    site = make_site(FILES)
    warnings = [r.getMessage() for r in ssg_log.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Pagefind is not installed" in warnings[0]
    assert site.exists("animals/zebra/index.html") and not site.exists("pagefind")
    assert "pagefind" not in site.read("animals/zebra/index.html")


def test_the_bundle_folder_is_reserved(make_site: Callable[..., Site]) -> None:
    site = make_site({**FILES, "static/pagefind/mine.js": "x"}, build=False)
    with pytest.raises(OutputError, match="static/pagefind/mine.js: output path "
                                          "'pagefind/mine.js' is reserved for the search"):
        site.build()
    site.write({"ssg.toml": "search = false\n"})
    site.build()
    assert site.exists("pagefind/mine.js")


def test_a_failing_pagefind_fails_the_build_and_keeps_the_output(
        make_site: Callable[..., Site], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    site = make_site(FILES)
    before = tree(site.out)
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\necho 'Error: disk on fire' >&2\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(broken))
    site.write({"content/about.md": "---\ntitle: About\n---\nOpen at ten.\n"})
    with pytest.raises(SsgError, match="search index: Pagefind failed: Error: disk on fire"):
        site.build()
    assert tree(site.out) == before


def test_no_pages_give_no_index(make_site: Callable[..., Site]) -> None:
    site = make_site({"content/_index.md": "Only a home page.\n"})
    assert site.exists("index.html") and not site.exists("pagefind")


def test_a_page_deleted_from_the_output_is_named(make_site: Callable[..., Site]) -> None:
    site = make_site(FILES)
    (site.out / "about/index.html").unlink()
    site.write({"content/animals/zebra.md": "---\ntitle: Zebras\n---\nStripes.\n"})
    with pytest.raises(OutputError, match="cannot read about/index.html for the search index"):
        site.build()
    site.build(cache=False)
    assert "/about/" in fragments(site.out)
