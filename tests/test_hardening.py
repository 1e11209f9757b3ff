"""The catalogue of bad input: each gets one clear error naming the file (and line where there
is one), and the previous output stays as it was; input that merely looks odd simply works.

tests/test_errors.py has the everyday mistakes; this module has the rest of the catalogue
(content/docs/errors.md lists what ssg promises). The 50 MB Markdown file is built only with
SSG_LONG_TESTS=1 (it takes about a minute); by default a 5 MB one is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import Site, error_after_good_build
from ssg.cli import main
from ssg.errors import BuildErrors, SsgError

LONG = bool(os.environ.get("SSG_LONG_TESTS"))
SITES = Path(__file__).resolve().parent / "sites"
REPO = SITES.parent.parent
GOOD: dict[str, str | bytes] = {"content/ok.md": "---\ntitle: OK\n---\nfine\n",
                                "ssg.toml": "search = false\n"}


def _error_after_good_build(make_site: Callable[..., Site],
                            files: dict[str, str | bytes]) -> str:
    return error_after_good_build(make_site, GOOD, files)


DEEP_LIST = "".join("    " * i + "- item\n" for i in range(300))

BAD_INPUT = {
    # front matter
    "scalar front matter": ({"content/s.md": "---\njust text\n---\n"},
                            "content/s.md:2: front matter must be a mapping of keys to values, "
                            "not str"),
    "unclosed TOML": ({"content/t.md": "+++\ntitle = 'x'\n"},
                      "content/t.md:1: front matter opened with '+++' is never closed"),
    "impossible date": ({"content/d.md": "---\ntitle: x\ndate: 2024-02-30\n---\n"},
                        "content/d.md:3: 'date' must be a date like 2024-05-01 or "
                        "2024-05-01T10:30:00Z, not '2024-02-30'"),
    "impossible month": ({"content/d.md": "---\nupdated: 2024-13-01\n---\n"},
                         "content/d.md:2: 'updated' must be a date"),
    "impossible TOML date": ({"content/d.md": "+++\ndate = 2024-02-30\n+++\n"},
                             "content/d.md:2: invalid TOML front matter: Invalid date"),
    "title list": ({"content/w.md": "---\ntitle: [a]\n---\n"},
                   "content/w.md:2: 'title' must be text, not list"),
    "weight bool": ({"content/w.md": "---\nweight: true\n---\n"},
                    "content/w.md:2: 'weight' must be a whole number, not True"),
    "nested tags": ({"content/w.md": "---\ntags: [[a]]\n---\n"},
                    "content/w.md:2: 'tags' must be a list of text"),
    "bad YAML tag": ({"content/w.md": "---\ntitle: !!int x\n---\n"},
                     "content/w.md: invalid YAML front matter: cannot read a value"),
    "python YAML tag": ({"content/w.md": "---\nx: !!python/object:os.system\n---\n"},
                        "content/w.md:2: invalid YAML front matter: could not determine a "
                        "constructor"),
    "deep YAML": ({"content/n.md": "---\nextra: " + "[" * 200 + "]" * 200 + "\n---\n"},
                  "content/n.md:2: front matter is nested more than 100 levels deep"),
    "deep TOML": ({"content/n.md": "+++\nx = " + "[" * 3000 + "]" * 3000 + "\n+++\n"},
                  "content/n.md:2: front matter is nested more than 100 levels deep"),
    "tag not a URL": ({"content/t.md": "---\ntags: [ok, '..']\n---\n"},
                      "content/t.md:2: 'tags' value '..' cannot be made into a URL"),
    # Markdown
    # URLs
    "absolute slug": ({"content/p.md": "---\nslug: /etc/passwd\n---\n"},
                      "content/p.md: 'slug' must be one URL segment"),
    "url with NUL": ({"content/p.md": '---\nurl: "/a\\0b/"\n---\n'},
                     "content/p.md: 'url' must be a path starting with '/' without"),
    "url with backslash": ({"content/p.md": "---\nurl: '/a\\b/'\n---\n"},
                           "content/p.md: 'url' must be a path"),
    "alias with ..": ({"content/p.md": "---\naliases: [a/../../x]\n---\n"},
                      "content/p.md: alias 'a/../../x' must not contain '..'"),
    "alias to a host": ({"content/p.md": "---\naliases: ['//evil.example/x']\n---\n"},
                        "content/p.md: alias '//evil.example/x' must not contain"),
    "alias with backslash": ({"content/p.md": "---\naliases: ['a\\b']\n---\n"},
                             "content/p.md: alias 'a\\\\b' must not contain"),
    "alias with NUL": ({"content/p.md": '---\naliases: ["/a\\0b"]\n---\n'},
                       "content/p.md: alias '/a\\x00b' must not contain"),
    "name too long": ({"content/p.md": f"---\nslug: {'a' * 300}\n---\n"},
                      "content/p.md: output path 'aaaa"),
    # two claims on one place
    "page and alias": ({"content/a.md": "---\naliases: [/ok/]\n---\n"},
                       "alias in content/a.md and content/ok.md would both write ok/index.html"),
    "page and static file": ({"content/a.md": "---\nurl: /robots.txt\n---\n"},
                             "would both write robots.txt"),
    "file where a folder goes": ({"static/ok": "a file"},
                                 "static/ok would write the file ok, where content/ok.md needs "
                                 "a folder (for ok/index.html)"),
    "page file over page folder": ({"content/a.md": "---\nurl: /x.html\n---\n",
                                    "content/b.md": "---\nurl: /x.html/y.html\n---\n"},
                                   "content/a.md would write the file x.html, where content/b.md "
                                   "needs a folder"),
    # templates
    "template outside": ({"content/ok.md": "---\ntemplate: ../../../etc/passwd\n---\n"},
                         "content/ok.md: template '../../../etc/passwd' not found"),
    "absolute template": ({"content/ok.md": "---\ntemplate: /etc/passwd\n---\n"},
                          "content/ok.md: template '/etc/passwd' not found"),
    "template not UTF-8": ({"templates/page.html": b"caf\xe9 {{ page.title }}"},
                           "templates/page.html: not UTF-8 text"),
    "recursive macro": ({"templates/page.html":
                         "{% macro f(n) %}{{ f(n) }}{% endmacro %}\n{{ f(1) }}"},
                        "templates/page.html:1: templates call each other without end"),
    "error in an include": ({"templates/page.html": '{% include "part.html" %}',
                             "templates/part.html": "a\n{{ page.title.nope() }}\n"},
                            "templates/part.html:2: 'str object' has no attribute 'nope'"),
    # configuration
    "taxonomy not a URL": ({"ssg.toml": 'taxonomies = [".."]\n'},
                           "ssg.toml: taxonomies: name '..' cannot be a URL segment"),
    "taxonomy not text": ({"ssg.toml": "taxonomies = [1]\n"},
                          "ssg.toml: 'taxonomies' must be a list of non-empty strings"),
    "deep ssg.toml": ({"ssg.toml": "x = " + "[" * 3000 + "]" * 3000 + "\n"},
                      "ssg.toml: invalid TOML: nested too deeply"),
    "ssg.toml not UTF-8": ({"ssg.toml": b"title = 'caf\xe9'\n"}, "ssg.toml: not UTF-8 text"),
    # data files
    "deep data": ({"data/d.json": "[" * 150 + "]" * 150}, "data/d.json: nested more than 100"),
    "very deep data": ({"data/d.json": "[" * 100_000 + "]" * 100_000},
                       "data/d.json: nested more than 100"),
    "bad data tag": ({"data/d.yaml": "x: !!int y\n"}, "data/d.yaml: invalid YAML: cannot read"),
}


def test_deeply_nested_markdown_builds_whole_or_is_one_clear_error(
    make_site: Callable[..., Site]
) -> None:
    """A list nested 300 deep: Python-Markdown 3.11 and later stop nesting short of the
    interpreter's limit and render every item; earlier versions run out of stack, which is
    one error naming the file, with the output left as it was."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # as `ssg build` runs (Hypothesis may leave it raised)
    try:
        site = make_site(GOOD)
        before = site.tree()
        site.write({"content/deep.md": DEEP_LIST})
        try:
            site.build()
        except SsgError as exc:
            assert str(exc).startswith("content/deep.md: Markdown nested too deeply to render")
            assert site.tree() == before
            return
    finally:
        sys.setrecursionlimit(limit)
    html = site.read("deep/index.html")
    assert html.count("item") == 300 and "<ul>" in html
    assert "fine" in site.read("ok/index.html")


@pytest.mark.parametrize(("files", "expected"), list(BAD_INPUT.values()), ids=list(BAD_INPUT))
def test_bad_input_is_one_clear_error_and_the_output_stays(
    make_site: Callable[..., Site], files: dict[str, str | bytes], expected: str
) -> None:
    # With Python's default recursion limit, as `ssg build` runs (Hypothesis, run by other
    # tests in this process, may leave it raised).
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        message = _error_after_good_build(make_site, files)
    finally:
        sys.setrecursionlimit(limit)
    assert expected in message
    assert "Traceback" not in message


def test_file_names_that_are_not_utf8_are_errors(make_site: Callable[..., Site]) -> None:
    site = make_site(GOOD)
    before = site.tree()
    content = os.fsencode(site.root / "content")
    os.mkdir(os.path.join(content, b"caf\xe9"))
    Path(os.fsdecode(os.path.join(content, b"caf\xe9", b"p.md"))).write_text("x")
    Path(os.fsdecode(os.path.join(content, b"img\xff.png"))).write_bytes(b"x")
    with pytest.raises(BuildErrors) as info:
        site.build()
    assert [str(e) for e in info.value.errors] == [
        "content/caf\\xe9: file name is not UTF-8; rename it",
        "content/img\\xff.png: file name is not UTF-8; rename it",
    ]
    assert site.tree() == before


# --- input that looks odd but is fine --------------------------------------------------------

def test_odd_but_valid_files_simply_work(make_site: Callable[..., Site]) -> None:
    site = make_site({
        **GOOD,
        "content/cr.md": b"---\rtitle: Old Mac\r---\rLine one\rLine two\r",
        "content/bomtoml.md": "\ufeff+++\r\ntitle = 'Bom TOML'\r\n+++\r\nBody\r\n".encode(),
        "content/blank.md": "   \n\n\t\n",
        "content/only.md": "---\ntitle: Front only\n---",
        "content/nofront.md": "---\n---\nAfter an empty block.\n",
        "content/nul.md": "a\x00b\n",
        "content/s/_index.md": b"",
        "content/_index.md": b"\xef\xbb\xbf",
    })
    cr = site.read("cr/index.html")
    assert "Old Mac" in cr and "Line one\nLine two" in cr and "\r" not in cr
    assert "Bom TOML" in site.read("bomtoml/index.html")
    assert site.exists("blank/index.html") and "Front only" in site.read("only/index.html")
    assert "After an empty block." in site.read("nofront/index.html")
    assert site.exists("nul/index.html") and site.exists("s/index.html")


def test_file_names_with_spaces_unicode_and_url_syntax(make_site: Callable[..., Site]) -> None:
    site = make_site({
        **GOOD,
        "content/a b.md": ("[u](ünï.md) [s](<my photo.png>) [e](my%20photo.png) [h](<x#1.png>) "
                           "[h2](x%231.png) [q](q%3F.png) [p](100%25.png) [lit](x%2520y.png)\n"),
        "content/ünï.md": "unicode\n",
        "content/c#.md": "hash\n",
        "content/d?.md": "question\n",
        "content/100%.md": "percent\n",
        "content/my photo.png": b"1", "content/x#1.png": b"2", "content/q?.png": b"3",
        "content/100%.png": b"4", "content/x%20y.png": b"5",
        "content/sp ace/#/q?/deep.md": "deep\n",
    }, strict=True)
    for dest in ("a-b/index.html", "ünï/index.html", "c/index.html", "d/index.html",
                 "100/index.html", "my photo.png", "x#1.png", "q?.png", "100%.png",
                 "x%20y.png", "sp-ace/#/q/deep/index.html"):
        assert site.exists(dest), dest
    html = site.read("a-b/index.html")
    for href in ('href="/ünï/"', 'href="/my%20photo.png"', 'href="/x%231.png"',
                 'href="/q%3F.png"', 'href="/100%25.png"', 'href="/x%2520y.png"'):
        assert href in html, href
    assert html.count('href="/my%20photo.png"') == 2 and html.count('href="/x%231.png"') == 2
    assert 'href="/sp-ace/%23/q/deep/"' in site.read("sp-ace/#/q/index.html")


def test_url_with_an_absolute_file_path_stays_inside_the_output(
    make_site: Callable[..., Site], tmp_path: Path
) -> None:
    site = make_site({**GOOD, "content/p.md": f"---\nurl: {tmp_path}/escaped.html\n---\nx\n"})
    assert not (tmp_path / "escaped.html").exists()
    assert site.exists(f"{tmp_path.relative_to('/')}/escaped.html")


def _deep_tree(root: Path, depth: int, name: str) -> None:
    """content/NAME/NAME/.../deep.md, made through folder handles: the path may be longer
    than the system allows in one piece."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        page = os.open("deep.md", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(page, b"---\ntitle: Deep\n---\nAt the bottom.\n")
        os.close(page)
    finally:
        os.close(fd)


def test_deeply_nested_folders(make_site: Callable[..., Site]) -> None:
    site = make_site(GOOD, build=False)
    _deep_tree(site.root / "content", 60, "level")
    site.build()
    assert "At the bottom." in site.read("level/" * 60 + "deep/index.html")


def test_folders_nested_past_the_path_limit_are_one_error(make_site: Callable[..., Site]
                                                          ) -> None:
    site = make_site(GOOD)
    before = site.tree()
    try:
        _deep_tree(site.root / "content", 2100, "d")
        with pytest.raises(SsgError, match="cannot read folder: File name too long") as info:
            site.build()
        assert str(info.value).startswith("content/d/d/")
        assert site.tree() == before
    finally:  # too deep for shutil.rmtree, which pytest would use
        subprocess.run(["rm", "-rf", str(site.root / "content/d")], check=True)


def test_symlinks_outside_the_site_broken_or_looping_are_skipped_with_a_warning(
    make_site: Callable[..., Site], ssg_log: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.md").write_text("SECRET\n")
    site = make_site({**GOOD, "content/real/inside.md": "inside\n", "static/s.txt": "s"},
                     build=False)
    content = site.root / "content"
    (content / "out-dir").symlink_to(secret)
    (content / "out-file.md").symlink_to(secret / "key.md")
    (content / "broken.md").symlink_to(tmp_path / "nowhere.md")
    (content / "loop-a.md").symlink_to("loop-b.md")
    (content / "loop-b.md").symlink_to("loop-a.md")
    (content / "self").symlink_to(".")
    (content / "real" / "up").symlink_to("..")
    (content / "alias").symlink_to("real")
    (site.root / "static" / "out.txt").symlink_to(secret / "key.md")
    os.mkfifo(content / "pipe.md")  # reading it would wait forever
    site.build()
    for message in ("content/out-dir: symlink points outside the site",
                    "content/out-file.md: symlink points outside the site",
                    "content/broken.md: broken or looping symlink, skipped",
                    "content/loop-a.md: broken or looping symlink, skipped",
                    "content/self: symlink to a folder it is in (a loop), skipped",
                    "content/real/up: symlink to a folder it is in (a loop), skipped",
                    "static/out.txt: symlink points outside the site",
                    "content/pipe.md: not a regular file or folder, skipped"):
        assert message in ssg_log.text, message
    assert "SECRET" not in "".join(v.decode(errors="replace") for v in site.tree().values())
    assert "inside" in site.read("real/inside/index.html")
    assert "inside" in site.read("alias/inside/index.html")  # a link inside the site is followed


def _markdown_file(megabytes: float) -> str:
    """A long book: chapters of paragraphs with emphasis, links and lists, and some code.

    Python-Markdown takes time in proportion to the code blocks times the length of the page
    (its fenced code preprocessor copies the text for each block), so code blocks are few.
    """
    paragraph = ("Lorem ipsum dolor sit amet, *consectetur* adipiscing elit, sed do eiusmod "
                 "tempor incididunt ut labore et dolore magna aliqua, with a [link](other.md) "
                 "and `some code`. Duis aute irure dolor in reprehenderit in voluptate velit "
                 "esse cillum dolore eu fugiat nulla pariatur; excepteur sint **occaecat**.\n\n")
    chapter = paragraph * 8 + "- one\n- two\n- three\n\n"
    code = "```python\nprint('code')\n```\n\n"
    count = int(megabytes * 1_000_000 / len(chapter)) + 1
    return "---\ntitle: Big\n---\n" + "".join(
        f"## Chapter {i}\n\n{chapter}{code if i % 100 == 0 else ''}" for i in range(count))


@pytest.mark.parametrize("megabytes", [50 if LONG else 5])
def test_a_huge_markdown_file_builds_with_bounded_memory(tmp_path: Path, megabytes: int
                                                         ) -> None:
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "ssg.toml").write_text("search = false\n")
    (site / "content/big.md").write_text(_markdown_file(megabytes))
    (site / "content/other.md").write_text("other\n")
    # Measured in a child of a child: the peak is the build's own, not pytest's.
    measure = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
               "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "ssg", "build",
                           str(site), "-q"], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    seconds = time.perf_counter() - started
    code, peak_kb = proc.stdout.split()
    assert code == "0", proc.stderr
    html = (site / "output/big/index.html").read_text()
    assert html.count("<h2 id=\"chapter-") > 1000 and 'href="/other/"' in html
    peak_mb = int(peak_kb) / 1024
    assert peak_mb < 300 + 30 * megabytes, f"peak memory {peak_mb:.0f} MB"  # 50 MB: 1.8 GB
    assert seconds < 20 * megabytes, f"{seconds:.0f} s"


# --- the sample sites of bad input -----------------------------------------------------------

INVALID = sorted(p.name for p in SITES.glob("invalid_*"))


@pytest.mark.parametrize("name", INVALID)
def test_invalid_sample_site_leaves_the_previous_output(tmp_path: Path, name: str) -> None:
    site = tmp_path / name
    shutil.copytree(SITES / name, site)
    previous = site / "output"
    previous.mkdir()
    (previous / ".ssg-output").write_bytes(b"Written by ssg and replaced by each build.\n")
    (previous / "index.html").write_text("the previous build\n")
    expected = (site / "expected-error.txt").read_text().strip()
    result = CliRunner().invoke(main, ["build", str(site)])
    assert result.exit_code == 1
    assert expected in result.output
    assert "The previous output is unchanged." in result.output or "errors;" in result.output
    assert sorted(p.name for p in previous.iterdir()) == [".ssg-output", "index.html"]
    assert (previous / "index.html").read_text() == "the previous build\n"
    assert not list(tmp_path.glob(".output.tmp-*")) and not list(site.glob(".output.tmp-*"))
