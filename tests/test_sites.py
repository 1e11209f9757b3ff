"""The sample sites under tests/sites: one that builds, and one per kind of bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from ssg.cli import main

SITES = Path(__file__).resolve().parent / "sites"
INVALID = sorted(p.name for p in SITES.glob("invalid_*"))


def test_blog_sample_site(tmp_path: Path) -> None:
    site = tmp_path / "blog"
    shutil.copytree(SITES / "blog", site)
    result = CliRunner().invoke(main, ["build", str(site), "--strict"])
    assert result.exit_code == 0, result.output
    out = site / "output"
    post = (out / "2025/02/post-2/index.html").read_text()
    assert 'class="custom-page"' in post and "Write it down." in post
    assert 'href="/2025/01/post-1/"' in post
    assert (out / "about-me/index.html").exists()
    assert (out / "hello.txt").read_text() == "hello\n"
    assert (out / "tags/writing/page/2/index.html").exists()
    assert "Post number 1" in (out / "categories/notes/page/2/index.html").read_text()
    feed = feedparser.parse((out / "feed.xml").read_text())
    assert not feed.bozo and len(feed.entries) == 3
    assert feed.entries[0].link == "https://blog.example.org/2025/03/post-3/"


@pytest.mark.parametrize("name", INVALID)
def test_invalid_sample_site(tmp_path: Path, name: str) -> None:
    site = tmp_path / name
    shutil.copytree(SITES / name, site)
    expected = (site / "expected-error.txt").read_text().strip()
    result = CliRunner().invoke(main, ["build", str(site)])
    assert result.exit_code == 1
    assert expected in result.output
    assert not (site / "output").exists()
    assert not (tmp_path / "tmp").exists()
