"""The sample sites under tests/sites: one that builds, and one per kind of bad input."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from ssg.build import BuildOptions, build
from ssg.cli import main
from ssg.config import load_config
from ssg.stages.discover import is_markdown

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


#: Markdown files of tests/sites/real_world that are section front files, not pages.
REAL_WORLD_FRONT_FILES = {"index.md", "guide/README.md", "manual/index.md"}


def test_real_world_sample_site(tmp_path: Path) -> None:
    # Names and layouts as people write them (tldr pages, GitHub READMEs, Jekyll dates): every
    # Markdown file builds, unedited, into a page of its own, with links between them resolved.
    site = tmp_path / "real_world"
    shutil.copytree(SITES / "real_world", site)
    result = build(load_config(site), BuildOptions(strict=True))
    content = site / "content"
    markdown = sorted(p.relative_to(content).as_posix() for p in content.rglob("*")
                      if p.is_file() and is_markdown(p.name))
    assert len(markdown) == 31
    assert result.pages == len(markdown) - len(REAL_WORLD_FRONT_FILES)
    made_html = {origin for dest, origin in result.origins.items() if dest.endswith(".html")}
    assert {f"content/{rel}" for rel in markdown} <= made_html
    assert not [p for p in (site / "output").rglob("*") if is_markdown(p.name)]
    out = site / "output"
    for page in ("common/[", "common/%", "common/$", "common/!", "common/((", "common/,",
                 "common/^", "common/{", "common/}", "common/~", "common/c++", "common/clang++",
                 "common/clang", "common/mqtt_check.py", "common/c", "common/中文",
                 "common/git-commit", "common/tar", "guide", "guide/install", "tool",
                 "manual", "manual/usage", "manual/reference", "posts/dated", "posts/trip",
                 "notes/old", "notes/list", "notes/x", "notes/shout"):
        assert (out / page / "index.html").is_file(), page
    assert "Files named the way people name them." in (out / "index.html").read_text()
    install = (out / "guide/install/index.html").read_text()
    for url in ("/guide/", "/common/c++/", "/common/clang++/", "/common/中文/", "/common/%5B/"):
        assert f'href="{url}"' in install
    assert 'src="/tool/screenshot.png"' in (out / "tool/index.html").read_text()
    assert (out / "posts/trip/harbour.png").is_file()
    assert 'datetime="2021-03-04' in (out / "posts/dated/index.html").read_text()
    assert '<strong>HTML</strong>' in (out / "manual/reference/index.html").read_text()
    tar = (out / "common/tar/index.html").read_text()
    assert "{{path/to/target.tar}}" in tar and len(re.findall(r"<h1[\s>]", tar)) == 1


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
