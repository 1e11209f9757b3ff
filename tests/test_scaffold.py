"""`ssg new site` and `ssg new page`: a site that builds at once, pages from archetypes."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import html_text, write_files
from ssg.build import build
from ssg.cli import main
from ssg.config import load_config
from ssg.tools.check import check_site


def new(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["new", *args])
    return result.exit_code, result.output


def today_choices() -> set[str]:
    now = datetime.now(UTC).date()
    return {now.isoformat(), date.fromordinal(now.toordinal() + 1).isoformat()}


def test_new_site_builds_at_once_and_is_clean(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "blog"
    code, output = new("site", str(root))
    assert code == 0, output
    assert f"Created a site in {root}" in output
    toml = (root / "ssg.toml").read_text()
    assert 'theme = "default"' in toml
    assert not (root / "themes").exists(), "the theme is referenced, not copied"
    config = load_config(root)
    assert config.theme_dir.name == "default"
    result = build(config)
    assert result.pages == 4
    assert (root / "output/posts/hello-world/index.html").is_file()
    assert (root / "output/docs/getting-started/index.html").is_file()
    report = check_site(config)
    assert report.problems == [] and report.fragments >= 1


def test_new_site_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    code, output = new("site", str(tmp_path))
    assert code == 1
    assert output == f"error: {tmp_path} is not empty; choose a new or empty folder for the site\n"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert new("site", str(tmp_path / "notes.txt"))[0] == 1


def test_new_site_into_an_empty_folder(tmp_path: Path) -> None:
    assert new("site", str(tmp_path))[0] == 0
    assert (tmp_path / "content/_index.md").is_file()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site folder made by `ssg new site`, and the current folder."""
    root = tmp_path / "site"
    assert new("site", str(root))[0] == 0
    monkeypatch.chdir(root)
    return root


def test_new_page_from_the_section_archetype(site: Path) -> None:
    code, output = new("page", "content/posts/my-post.md")
    assert code == 0, output
    assert output == "Created content/posts/my-post.md (archetype: archetypes/posts.md)\n"
    text = (site / "content/posts/my-post.md").read_text()
    head = text.split("---")[1]
    assert 'title: "My post"' in head and "tags: []" in head
    assert head.split("date: ")[1].split()[0] in today_choices()
    result = build(load_config(site))
    assert "posts/my-post/index.html" in result.written
    assert "<h1>My post</h1>" in (site / "output/posts/my-post/index.html").read_text()


def test_archetype_lookup_and_values(site: Path) -> None:
    write_files(site, {
        "archetypes/docs.md": "---\ntitle: {{ title | quote }}\n---\n"
                              "section={{ section }} slug={{ slug }} date={{ date }}\n",
    })
    assert new("page", "content/docs/guide/install_notes.md")[0] == 0
    text = (site / "content/docs/guide/install_notes.md").read_text()
    assert text.startswith('---\ntitle: "Install notes"\n---\nsection=docs/guide '
                           "slug=install_notes date=")
    (site / "archetypes/default.md").unlink()
    code, output = new("page", "about")
    assert code == 0 and "(archetype: built-in)" in output
    about = (site / "content/about.md").read_text()
    assert about.startswith('---\ntitle: "About"\ndate: ')
    code, output = new("page", "content/trips/rome/index.md")
    assert code == 0 and 'title: "Rome"' in (site / "content/trips/rome/index.md").read_text()


def test_titles_are_quoted_for_front_matter(site: Path) -> None:
    assert new("page", 'content/a-"quoted":-title.md')[0] == 0
    config = load_config(site)
    build(config)
    html = (site / 'output/a-quoted-title/index.html').read_text()
    h1 = html[html.index("<h1"):html.index("</h1>")]
    assert html_text(h1 + "</h1>") == 'A "quoted": title'


def test_new_page_refuses_to_overwrite(site: Path) -> None:
    page = site / "content/posts/hello-world.md"
    before = page.read_text()
    code, output = new("page", "content/posts/hello-world.md")
    assert code == 1
    assert output == "error: content/posts/hello-world.md: already exists; choose another name\n"
    assert page.read_text() == before


def test_new_page_with_site_option_and_bad_paths(tmp_path: Path, site: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = new("page", "content/notes/n.md", "--site", str(site))
    assert code == 0, output
    assert (site / "content/notes/n.md").is_file()
    code, output = new("page", "content/x.md")
    assert code == 1 and "is not a site folder" in output and "--site" in output
    for bad in ("content/../x.md", "content/x.txt", "/elsewhere/x.md"):
        code, output = new("page", bad, "--site", str(site))
        assert code == 1 and output.startswith("error: "), (bad, output)


def test_archetype_errors_name_the_file_and_line(site: Path) -> None:
    write_files(site, {"archetypes/posts.md": "---\ntitle: {{ title }}\n{{ nope }}\n---\n"})
    code, output = new("page", "content/posts/x.md")
    assert code == 1
    assert output.startswith("error: archetypes/posts.md:3: archetype error: ")
    assert not (site / "content/posts/x.md").exists()


def test_new_site_end_to_end_as_a_subprocess(tmp_path: Path) -> None:
    root = tmp_path / "s"
    for args in (["new", "site", str(root)], ["new", "page", "posts/third.md", "--site", str(root)],
                 ["build", str(root), "-q"], ["check", str(root)]):
        proc = subprocess.run([sys.executable, "-m", "ssg", *args], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, (args, proc.stdout + proc.stderr)
    assert (root / "output/posts/third/index.html").is_file()
    assert "no problems" in proc.stdout


def test_new_site_serves_at_once(tmp_path: Path) -> None:
    root = tmp_path / "s"
    assert new("site", str(root))[0] == 0
    proc = subprocess.Popen([sys.executable, "-m", "ssg", "serve", str(root), "--port", "0"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        url, lines, deadline = None, [], time.monotonic() + 60
        assert proc.stdout is not None
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"Serving .* at (http://127\.0\.0\.1:\d+/)", line)
            url = match.group(1) if match else None
        assert url, "".join(lines)
        # The server answers at once; until its first build is done, with a 503 "building"
        # page (Retry-After), then with the site.
        while True:
            try:
                urllib.request.urlopen(url, timeout=10).close()
                break
            except urllib.error.HTTPError as exc:
                assert exc.code == 503 and exc.headers["Retry-After"], exc
                assert time.monotonic() < deadline + 60, "the first build never finished"
                time.sleep(0.2)
        for path, expected in (("", b"Hello, world"), ("docs/writing/", b"Writing pages"),
                               ("search/search.js", b"ssg-search-results")):
            with urllib.request.urlopen(url + path, timeout=10) as response:
                assert expected in response.read(), path
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
