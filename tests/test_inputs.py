"""The no-change shortcut (ssg.incremental.inputs): a build whose inputs are all as the last
build read them keeps the output and gives the same warnings; any change to what a build
reads, to the time that decides what is published, to the output or to the cache takes the
normal build."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import Site
from ssg.build import BuildOptions, build
from ssg.config import load_config
from ssg.errors import SsgError
from ssg.incremental.inputs import manifest_file
from ssg.incremental.state import cache_file

NOW = datetime(2025, 6, 1, tzinfo=UTC)

SITE: dict[str, str | bytes] = {
    "ssg.toml": 'title = "Shortcut"\n',
    "content/_index.md": "Home.\n",
    "content/posts/a.md": "---\ntitle: A\ndate: 2025-01-01\n---\nSee [gone](missing.md).\n",
    "content/posts/b.md": "---\ntitle: B\ndate: 2025-02-01\n---\nBody of B.\n",
    "content/posts/later.md": "---\ntitle: Later\ndate: 2025-07-01\n---\nNot yet.\n",
}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def age(root: Path) -> None:
    """Give every file an mtime well in the past, as files not edited lately have (a stat
    is trusted only for files older than the build that recorded it)."""
    past = time.time_ns() - 3600 * 1_000_000_000
    for path in root.rglob("*"):
        if not path.is_relative_to(root / "output") and path.is_file():
            os.utime(path, ns=(past, past))


def shortcut_site(make_site: Callable[..., Site], **options: object) -> Site:
    site = make_site(SITE, build=False)
    age(site.root)
    site.build(now=NOW, **options)
    return site


def took_shortcut(site: Site) -> bool:
    assert site.result is not None
    return list(site.result.timings) == ["inputs"]


def test_a_no_change_rebuild_keeps_the_output_and_repeats_the_warnings(
    make_site: Callable[..., Site], ssg_log: pytest.LogCaptureFixture
) -> None:
    site = shortcut_site(make_site)
    first = [r.getMessage() for r in ssg_log.records if "missing" in r.getMessage()]
    assert first, "the site's broken link gives a warning"
    before, last = tree(site.out), site.result
    assert last is not None
    ssg_log.clear()
    result = site.build(now=NOW)
    assert took_shortcut(site)
    assert (result.pages, result.files, result.rendered) == (last.pages, last.files, 0)
    assert result.origins == last.origins
    assert [r.getMessage() for r in ssg_log.records] == first
    assert tree(site.out) == before
    assert result.origins["posts/a/index.html"] == "content/posts/a.md"


def test_new_mtimes_with_the_same_bytes_still_count_as_no_change(
    make_site: Callable[..., Site]
) -> None:
    site = shortcut_site(make_site)
    later = time.time_ns() + 5_000_000_000
    for path in (site.root / "content").rglob("*.md"):
        os.utime(path, ns=(later, later))  # a git checkout
    site.build(now=NOW)
    assert took_shortcut(site)


@pytest.mark.parametrize("change", [
    {"content/posts/b.md": "---\ntitle: B\ndate: 2025-02-01\n---\nBody of b.\n"},  # same size
    {"content/posts/c.md": "---\ntitle: C\n---\nNew.\n"},
    {"templates/page.html": "<p>{{ page.title }}</p>"},  # shadows the theme's
    {"static/robots.txt": "mine"},
    {"data/menu.yaml": "a: 1"},
    {"ssg.toml": 'title = "Renamed"\n'},
])
def test_any_change_to_what_a_build_reads_takes_the_normal_build(
    make_site: Callable[..., Site], change: dict[str, str | bytes]
) -> None:
    site = shortcut_site(make_site)
    site.write(change)
    site.build(now=NOW)
    assert not took_shortcut(site)
    expected = site.root / "clean"
    build(load_config(site.root, output_dir=expected), BuildOptions(cache=False, now=NOW))
    assert tree(site.out) == tree(expected)


def test_a_deleted_page_takes_the_normal_build(make_site: Callable[..., Site]) -> None:
    site = shortcut_site(make_site)
    (site.root / "content/posts/b.md").unlink()
    site.build(now=NOW)
    assert not took_shortcut(site)
    assert not site.exists("posts/b/index.html")


def test_a_page_whose_date_comes_is_published(make_site: Callable[..., Site]) -> None:
    site = shortcut_site(make_site)
    assert not site.exists("posts/later/index.html")
    site.build(now=datetime(2025, 6, 15, tzinfo=UTC))  # nothing published or expired between
    assert took_shortcut(site)
    site.build(now=datetime(2025, 7, 2, tzinfo=UTC))
    assert not took_shortcut(site)
    assert site.exists("posts/later/index.html")
    site.build(now=NOW)  # the clock set back: the page goes again
    assert not site.exists("posts/later/index.html")


def test_other_settings_take_the_normal_build(make_site: Callable[..., Site]) -> None:
    site = shortcut_site(make_site)
    site.build(now=NOW, future=True)
    assert not took_shortcut(site)
    assert site.exists("posts/later/index.html")


def test_strict_after_warnings_fails_as_the_normal_build_does(
    make_site: Callable[..., Site]
) -> None:
    site = shortcut_site(make_site)
    with pytest.raises(SsgError, match="missing"):
        site.build(now=NOW, strict=True)


def test_a_changed_output_or_cache_takes_the_normal_build(
    make_site: Callable[..., Site], ssg_log: pytest.LogCaptureFixture
) -> None:
    site = shortcut_site(make_site)
    shutil.rmtree(site.out)
    site.build(now=NOW)
    assert not took_shortcut(site)
    assert site.exists("posts/b/index.html")
    cache_file(site.root).write_bytes(b"{")
    ssg_log.clear()
    site.build(now=NOW)
    assert not took_shortcut(site)
    assert any("discarded" in r.getMessage() for r in ssg_log.records)


@pytest.mark.parametrize("text", [b"", b"{", b"[1]", b'{"format": 1}', b"\xff"])
def test_a_broken_or_hostile_manifest_takes_the_normal_build(
    make_site: Callable[..., Site], text: bytes
) -> None:
    site = shortcut_site(make_site)
    manifest_file(site.root).write_bytes(text)
    site.build(now=NOW)
    assert not took_shortcut(site)
    assert json.loads(manifest_file(site.root).read_bytes())["pages"] == 2  # written anew


def test_a_manifest_with_wrong_types_takes_the_normal_build(
    make_site: Callable[..., Site]
) -> None:
    site = shortcut_site(make_site)
    data = json.loads(manifest_file(site.root).read_bytes())
    data["files"][0][1] = "not a number"
    manifest_file(site.root).write_text(json.dumps(data))
    site.build(now=NOW)
    assert not took_shortcut(site)


def test_no_cache_never_takes_the_shortcut(make_site: Callable[..., Site]) -> None:
    site = shortcut_site(make_site)
    site.build(now=NOW, cache=False)
    assert not took_shortcut(site)
