"""The build's own link warnings: missing pages, images, files and #fragments, with lines."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Site, tiny_png
from ssg.build import BuildOptions, Session, build
from ssg.config import load_config
from ssg.errors import SsgError

GOOD = {
    "ssg.toml": 'title = "T"\nbase_url = "https://example.org/"\n',
    "content/_index.md": "[posts](posts/) [b's part](b.md#part-two) [feed](/feed.xml)\n",
    "content/a.md": "---\ntitle: A\n---\n# Intro\n\n"
                    "[b](b.md#part-two) [custom](b.md#custom) [raw](b.md#raw) "
                    "[url form](/b/#part-two)\n\n"
                    "[self](#intro) [top](#top) [skip](#main) [fn](#fn:1)[^1]\n\n"
                    "![logo](/img/logo.png) [pdf](files/a.pdf) [trip](trip/index.md#day-1)\n\n"
                    "[^1]: A footnote.\n",
    "content/b.md": "---\ntitle: B\n---\n## Part two\n\n## Other {#custom}\n\n"
                    '<div id="raw">x</div>\n',
    "content/posts/_index.md": "Posts.\n",
    "content/posts/p.md": "P.\n",
    "content/files/a.pdf": b"%PDF-1.4\n",
    "content/trip/index.md": "---\ntitle: Trip\n---\n## Day 1\n\n![photo](photo.png)\n",
    "content/trip/photo.png": tiny_png(),
    "static/img/logo.png": tiny_png(),
}


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return sorted(r.getMessage() for r in caplog.records if r.levelname == "WARNING")


def test_good_links_give_no_warnings(make_site: Callable[..., Site],
                                     ssg_log: pytest.LogCaptureFixture) -> None:
    make_site(GOOD)
    assert warnings(ssg_log) == []


BROKEN = {
    "content/c.md": "---\ntitle: C\n---\n## Here\n\n"  # lines 1-5
                    "[gone](gone.md) [b](b.md#nope)\n\n"  # line 6
                    "![cat](cat.png)\n"  # line 8
                    "[file](/files/gone.pdf)\n\n"  # line 9
                    "[self](#there) [url](/b/#nope2) [page](/nowhere/)\n"  # line 11
                    "[again](gone.md)\n",  # line 12
}


def test_broken_links_warn_with_file_and_line(make_site: Callable[..., Site],
                                              ssg_log: pytest.LogCaptureFixture) -> None:
    make_site({**GOOD, **BROKEN})
    assert warnings(ssg_log) == [
        "content/c.md:11: link to '#there': no heading or id 'there' on this page",
        "content/c.md:11: link to '/b/#nope2': no heading or id 'nope2' on content/b.md",
        "content/c.md:11: link to missing page '/nowhere/'",
        "content/c.md:12: link to missing page 'gone.md'",
        "content/c.md:6: link to 'b.md#nope': no heading or id 'nope' on content/b.md",
        "content/c.md:6: link to missing page 'gone.md'",
        "content/c.md:8: link to missing image 'cat.png' (no /c/cat.png in the site)",
        "content/c.md:9: link to missing file '/files/gone.pdf'",
    ]


def test_strict_fails_on_each_and_keeps_the_output(make_site: Callable[..., Site]) -> None:
    site = make_site(GOOD)
    before = site.tree()
    site.write(BROKEN)
    with pytest.raises(SsgError) as info:
        site.build(strict=True)
    assert site.tree() == before, "a failed build changed the output"
    assert str(info.value).splitlines() == [
        "content/c.md:6: link to missing page 'gone.md'",
        "content/c.md:6: link to 'b.md#nope': no heading or id 'nope' on content/b.md",
        "content/c.md:8: link to missing image 'cat.png' (no /c/cat.png in the site)",
        "content/c.md:9: link to missing file '/files/gone.pdf'",
        "content/c.md:11: link to '#there': no heading or id 'there' on this page",
        "content/c.md:11: link to '/b/#nope2': no heading or id 'nope2' on content/b.md",
        "content/c.md:11: link to missing page '/nowhere/'",
        "content/c.md:12: link to missing page 'gone.md'",
    ]
    with pytest.raises(SsgError, match=r"^content/c.md:1: link to missing image 'x.png'"):
        make_site({"content/c.md": "![x](x.png)\n"}, strict=True)


def test_fragment_warnings_follow_the_target_page_on_incremental_builds(
    make_site: Callable[..., Site], ssg_log: pytest.LogCaptureFixture
) -> None:
    site = make_site({**GOOD, "content/b.md": "---\ntitle: B\n---\n## Part 2\n"})
    expected = ["content/_index.md:1: link to 'b.md#part-two': no heading or id 'part-two' "
                "on content/b.md",
                "content/a.md:6: link to '/b/#part-two': no heading or id 'part-two' on "
                "content/b.md",
                "content/a.md:6: link to 'b.md#custom': no heading or id 'custom' on "
                "content/b.md",
                "content/a.md:6: link to 'b.md#part-two': no heading or id 'part-two' on "
                "content/b.md",
                "content/a.md:6: link to 'b.md#raw': no heading or id 'raw' on content/b.md"]
    assert warnings(ssg_log) == expected
    ssg_log.clear()
    site.write({"content/b.md": GOOD["content/b.md"]})  # only the target page changes
    assert not site.build().full
    assert warnings(ssg_log) == []
    ssg_log.clear()
    site.write({"content/b.md": "---\ntitle: B\n---\n## Part 2\n"})
    site.build()
    assert warnings(ssg_log) == expected


def test_fragment_warnings_follow_the_target_page_in_quick_rebuilds(
    make_site: Callable[..., Site], ssg_log: pytest.LogCaptureFixture
) -> None:
    """The dev server's path: in-memory state, told which file changed."""
    site = make_site(GOOD, build=False)
    config = load_config(site.root)
    session, options = Session(), BuildOptions()
    build(config, options, session)
    assert warnings(ssg_log) == []
    target = site.root / "content/b.md"
    site.write({"content/b.md": GOOD["content/b.md"].replace("## Part two", "## Part 2")})
    result = build(config, options, session, changed=[target])
    assert not result.full
    assert "content/a.md:6: link to 'b.md#part-two': no heading or id 'part-two' on " \
           "content/b.md" in warnings(ssg_log)
    ssg_log.clear()
    site.write({"content/b.md": GOOD["content/b.md"]})
    build(config, options, session, changed=[target])
    assert warnings(ssg_log) == []


def test_heading_ids_are_those_of_the_toc_extension(make_site: Callable[..., Site],
                                                    ssg_log: pytest.LogCaptureFixture) -> None:
    """Unicode slugs, duplicates numbered: the ids the HTML really has."""
    site = make_site({"content/u.md": "## Café crème\n\n## Twice\n\n## Twice\n\n"
                                      "[a](#café-crème) [b](#caf%C3%A9-cr%C3%A8me) "
                                      "[c](#twice_1) [d](#twice_2)\n"})
    assert warnings(ssg_log) == [
        "content/u.md:7: link to '#twice_2': no heading or id 'twice_2' on this page"]
    html = site.read("u/index.html")
    assert 'id="café-crème"' in html and 'id="twice_1"' in html


LINKED = {
    **GOOD,
    "content/c.md": "---\ntitle: C\n---\n## Here\n\n[d](d.md#two) [d's url](/d/#one) "
                    "[pdf](/files/c.pdf) [here](#here) [static](/extra.pdf)\n",
    "content/d.md": "---\ntitle: D\n---\n## One\n\n## Two\n",
}

#: Edits in turn, each followed by an incremental build whose report must be a clean one's.
EDITS: list[tuple[dict[str, str | bytes], tuple[str, ...]]] = [
    ({"content/c.md": LINKED["content/c.md"] + "\n[gone](gone.md) [no](#nowhere)\n"}, ()),
    ({"content/c.md": LINKED["content/c.md"]}, ()),  # fixed again
    ({}, ("content/d.md",)),  # the target page removed
    ({"content/d.md": "---\ntitle: D\n---\n## One\n"}, ()),  # back, one heading short
    ({"content/files/c.pdf": b"%PDF-1.4\n"}, ()),  # the missing file added
    ({"static/extra.pdf": b"%PDF-1.4\n"}, ()),  # a missing static file added
    ({"content/a.md": GOOD["content/a.md"] + "\n[c](c.md#here) [c2](c.md#gone)\n"}, ()),
    ({"content/c.md": "---\ntitle: C\n---\n## There\n\n[d](d.md#one)\n"}, ()),
]


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings in the order given (the report's order is part of what it gives)."""
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def _clean_report(root: Path, copy: Path, caplog: pytest.LogCaptureFixture) -> list[str]:
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".ssg-cache", "output", ".output*"))
    caplog.clear()
    build(load_config(copy), BuildOptions(cache=False))
    return _messages(caplog)


@pytest.mark.parametrize("how", ["disk cache", "session"])
def test_incremental_link_report_is_a_clean_builds(make_site: Callable[..., Site],
                                                  ssg_log: pytest.LogCaptureFixture,
                                                  tmp_path: Path, how: str) -> None:
    """Links broken, fixed, their target removed and restored, a missing file added: each
    build that checks only what changed reports what a clean build of the same files does."""
    site = make_site(LINKED, build=False)
    session = Session() if how == "session" else None
    for files, removed in [({}, ()), *EDITS]:
        site.write(files)
        for rel in removed:
            (site.root / rel).unlink()
        expected = _clean_report(site.root, tmp_path / "clean", ssg_log)
        ssg_log.clear()
        result = build(load_config(site.root), BuildOptions(), session)
        assert _messages(ssg_log) == expected, (files, removed)
        if files or removed:
            assert not result.full
    assert expected  # the edits leave broken links, or the comparison says little
