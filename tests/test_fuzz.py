"""Property-based tests and a fuzz run of the whole build: whatever the input, ssg either
builds or raises an SsgError with a message; it never crashes with another exception, and it
never writes outside the output folder.

By default each property runs a few dozen examples so the suite stays fast; SSG_LONG_TESTS=1
runs many more (see FUZZ_EXAMPLES and PROPERTY_EXAMPLES).
"""

from __future__ import annotations

import functools
import os
import posixpath
import shutil
import tempfile
import unicodedata
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import tiny_png, write_files
from ssg.build import BuildOptions, build
from ssg.config import Config, load_config
from ssg.errors import BuildErrors, ContentError, OutputError, SsgError
from ssg.output.writer import check_dests
from ssg.stages.assemble import assemble
from ssg.stages.discover import SourceFile, Sources
from ssg.stages.markdown import resolve_link
from ssg.stages.parse import Document, FrontMatter, check_front_matter, parse, split_front_matter
from ssg.stages.plan import plan
from ssg.utils import _slug_of, dest_for_path, normalize_url_path, quote_url_path, slugify

LONG = bool(os.environ.get("SSG_LONG_TESTS"))
PROPERTY_EXAMPLES = 2000 if LONG else 150
FUZZ_EXAMPLES = 600 if LONG else 25

properties = settings(max_examples=PROPERTY_EXAMPLES, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])

# --- strategies ------------------------------------------------------------------------------

#: Characters that break naive code: path separators, dots, URL syntax, quotes, controls,
#: Unicode that changes under normalisation, YAML and TOML syntax.
TRICKY = "/\\.:#?%&=+ \t\n\r\x00\x7f\"'`<>[]{}|*!@$^~-_éß\u0130\ufb01\u212a\u200b\U0001f600"
tricky_text = st.text(st.sampled_from(TRICKY) | st.characters(), max_size=24)
name_text = st.text(st.sampled_from(TRICKY.replace("/", "").replace("\x00", "") + "abc1"),
                    min_size=1, max_size=12)

YAML_SCALARS = [
    "x", "'quoted'", '"esc\\n"', "2024-01-02", "2024-02-30", "2024-13-01", "2024-01-01 10:00",
    "1e400", "-.inf", ".nan", "0x1F", "0o17", "1_000", "99999999999999999999999", "true", "no",
    "~", "null", "[]", "{}", "[a, b]", "{a: 1}", "[a, [b, [c]]]", "&a x", "*a", "*nope",
    "!!binary aGk=", "!!python/object:os.system", "!!int x", "!!float y", "!!set {a}",
    "!!timestamp 2024-99-99", "|\n  block", ">\n  folded", "- a", ": x", "[", "{", "'",
    "../../x", "/abs/path", "a\\\\b", "'\\0'", "\"\\0\"", "\"a\\u0000b\"", "..", ".", "?", "#",
]
TOML_VALUES = [
    '"x"', "'x'", "1", "1.5", "nan", "inf", "true", "2024-01-02", "2024-02-30",
    "1979-05-27T07:32:00Z", "07:32:00", "[1, 2]", "[[1], [2]]", "{a = 1}", "[", '"\\u0000"',
    '"../x"', "'..'",
]
KEYS = ["title", "date", "updated", "expires", "draft", "slug", "url", "template", "summary",
        "weight", "aliases", "extra", "tags", "categories", "unknown", "", "'q k'"]


@st.composite
def front_matter_text(draw: st.DrawFn) -> str:
    """A front matter block in YAML or TOML, valid or not, with or without its closing fence."""
    if draw(st.booleans()):
        lines = [f"{draw(st.sampled_from(KEYS))}: {draw(st.sampled_from(YAML_SCALARS))}"
                 for _ in range(draw(st.integers(0, 5)))]
        fence = "---"
    else:
        lines = [f"{draw(st.sampled_from(KEYS)) or 'k'} = {draw(st.sampled_from(TOML_VALUES))}"
                 for _ in range(draw(st.integers(0, 5)))]
        fence = "+++"
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(tricky_text))
    closing = draw(st.sampled_from([fence, fence + "  ", "", fence[:2]]))
    return "\n".join([fence, *lines, closing, ""])


MARKDOWN_BITS = [
    "# Title", "## Sub", "text *em* **strong**", "[link](other.md)", "[up](../up.md#x)",
    "[q](other.md?x=1)", "[abs](/posts/)", "[ext](https://example.org)", "![img](pic.png)",
    "[enc](my%20photo.png)", "<!-- more -->", "```\ncode\n```", "```python\nprint(1)\n",
    "> quote", "- item\n    - nested", "1. one", "| a | b |\n|---|---|\n| 1 | 2 |",
    "Term\n: Definition", "[^1]\n\n[^1]: Note", "*[HTML]: Hyper", "!!! note\n    Admonition",
    "{: #id .class }", "<div>raw</div>", "<script>x</script>", "&amp; &#0; &#xFFFFFF;",
    "{{< nope >}}", "{{< /close >}}", "{{</* escaped */>}}", "`{{< in code >}}`", "\\",
    '{{< note title="T" >}}inner *md*{{< /note >}}', "{{< note 1 2.5 true x=y >}}",
    '{{< note a="unclosed >}}', "{{< note >}}{{< note >}}",
    "[broken](", "<", "\x00", "\ufeff",
]
markdown_text = st.lists(st.sampled_from(MARKDOWN_BITS) | tricky_text, max_size=6).map(
    "\n\n".join)


@st.composite
def page_source(draw: st.DrawFn) -> bytes:
    """A content file: front matter (or none) and a body, sometimes not UTF-8."""
    text = (draw(front_matter_text()) if draw(st.booleans()) else "") + draw(markdown_text)
    data = text.encode("utf-8", "surrogatepass")
    kind = draw(st.sampled_from(["plain", "plain", "plain", "bom", "crlf", "latin1", "raw"]))
    if kind == "bom":
        data = b"\xef\xbb\xbf" + data
    elif kind == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif kind == "latin1":
        data += b"caf\xe9"
    elif kind == "raw":
        data = draw(st.binary(max_size=64))
    return data


# --- front matter ----------------------------------------------------------------------------

@properties
@given(st.text(max_size=200))
def test_split_front_matter_keeps_every_character(text: str) -> None:
    try:
        kind, front, body, body_line = split_front_matter(text, "content/x.md")
    except ContentError as exc:
        assert exc.path == "content/x.md" and exc.line == 1
        assert text.startswith(("---", "+++"))
        return
    if kind == "":
        assert (front, body, body_line) == ("", text, 1)
        return
    assert text.startswith({"yaml": "---", "toml": "+++"}[kind])
    assert front in text and text.endswith(body)
    if body:
        assert body_line == text.count("\n", 0, len(text) - len(body)) + 1


@properties
@given(st.sampled_from(["---", "+++"]),
       st.lists(st.text(st.characters(exclude_characters="\n\r"), max_size=20), max_size=5),
       st.text(max_size=50))
def test_split_front_matter_round_trips(fence: str, lines: list[str], body: str) -> None:
    assume(all(line.rstrip(" \t") != fence for line in lines))
    front = "".join(line + "\n" for line in lines)
    kind, got_front, got_body, body_line = split_front_matter(
        f"{fence}\n{front}{fence}\n{body}", "content/x.md")
    assert (kind, got_front, got_body) == ({"---": "yaml", "+++": "toml"}[fence], front, body)
    assert body_line == len(lines) + 3


@properties
@given(page_source())
def test_parsing_any_file_gives_a_document_or_a_content_error(data: bytes) -> None:
    source = SourceFile(Path("/site/content/posts/x.md"), PurePosixPath("posts/x.md"))
    try:
        doc = parse(source, ("tags", "categories"), data)
    except BuildErrors as exc:
        assert exc.errors and all(e.path == "content/posts/x.md" for e in exc.errors)
        return
    except ContentError as exc:
        assert exc.path == "content/posts/x.md" and exc.message
        return
    assert isinstance(doc.front, FrontMatter) and doc.body is not None
    assert "\r" not in doc.body
    for name in doc.front.terms.get("tags", ()):
        assert slugify(name) or ("/" not in name and name not in (".", ".."))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
    | st.dates() | st.datetimes() | st.times() | st.binary(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8,
)


@properties
@given(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), json_values, max_size=6))
def test_checking_any_values_gives_front_matter_or_errors(data: dict[str, Any]) -> None:
    try:
        front = check_front_matter(data, ("tags",), "content/x.md", "")
    except SsgError as exc:
        errors = exc.errors if isinstance(exc, BuildErrors) else [exc]
        assert all(e.path == "content/x.md" and e.message for e in errors)
        return
    assert front.title is None or isinstance(front.title, str)
    for moment in (front.date, front.updated, front.expires):
        assert moment is None or (isinstance(moment, datetime) and moment.tzinfo is not None)
    assert isinstance(front.draft, bool) and isinstance(front.weight, int)
    assert all(isinstance(alias, str) for alias in front.aliases)
    assert not isinstance(front.weight, bool)
    assert front.date is None or not isinstance(data.get("date"), time)
    assert not isinstance(data.get("date"), date) or front.date is not None


# --- URLs and output paths -------------------------------------------------------------------

_CONFIG_DIR = tempfile.TemporaryDirectory(prefix="ssg-fuzz-config-")  # removed at exit


@functools.cache
def _config() -> Config:
    root = Path(_CONFIG_DIR.name)
    (root / "content").mkdir()
    return load_config(root)


def _inside_output(dest: str) -> bool:
    out = "/srv/output"
    full = posixpath.normpath(posixpath.join(out, dest))
    return (full.startswith(out + "/") and "\x00" not in dest and "\\" not in dest
            and not dest.startswith("/"))


@properties
@given(st.lists(st.tuples(
    st.lists(name_text, min_size=1, max_size=3),
    st.one_of(st.none(), tricky_text), st.one_of(st.none(), tricky_text),
    st.lists(tricky_text, max_size=2), st.lists(tricky_text, max_size=2),
), min_size=1, max_size=4))
def test_every_output_path_stays_inside_the_output_folder(pages: list[Any]) -> None:
    config = _config()
    docs = []
    for parts, slug, url, aliases, tags in pages:
        rel = PurePosixPath(*parts[:-1], parts[-1] + ".md")
        source = SourceFile(config.content_dir / rel, rel)
        front = FrontMatter(slug=slug, url=url, aliases=tuple(aliases),
                            terms={"tags": tuple(t for t in tags
                                                 if slugify(t) or "/" not in t)})
        docs.append(Document(source, front, "", 1))
    assume(len({d.source.rel for d in docs}) == len(docs))
    sources = Sources(pages=tuple(d.source for d in docs), section_files=(),
                      section_dirs=("",), assets=())
    try:
        site = assemble(sources, docs, [], config)
    except SsgError as exc:
        assert all(e.path and e.path.startswith("content/")
                   for e in (exc.errors if isinstance(exc, BuildErrors) else [exc]))
        return
    tasks = plan(site, [])
    try:
        check_dests((task.dest_path, task.origin) for task in tasks)
    except (OutputError, BuildErrors) as exc:  # several problems come together
        assert all(isinstance(e, OutputError) and e.message
                   for e in (exc.errors if isinstance(exc, BuildErrors) else [exc]))
        return
    for task in tasks:
        assert _inside_output(task.dest_path), task
    for page in site.pages.values():
        url = site.url(page.path)
        assert unquote(url) == page.path
        assert not any(c in url for c in ' "#%<>?\\^`{|}\x00\n') or "%" in url


@properties
@given(st.text(max_size=40))
def test_quoted_url_paths_are_safe_and_reversible(path: str) -> None:
    quoted = quote_url_path(path)
    assert unquote(quoted) == path
    assert not any(c in quoted for c in ' "#<>?[\\]^`{|}') and "\x00" not in quoted
    assert all(ord(c) > 0x20 and c != "\x7f" for c in quoted)


@properties
@given(tricky_text)
def test_slugs_are_one_safe_segment(text: str) -> None:
    slug = slugify(text)
    assert "/" not in slug and "\\" not in slug and "\x00" not in slug
    assert slug not in (".", "..")
    assert slugify(slug) == slug


@properties
@given(st.one_of(st.text(alphabet="aZ09._~+@-_ /?#%", max_size=12), tricky_text))
def test_the_plain_ascii_slug_path_gives_what_the_general_one_does(text: str) -> None:
    assert slugify(text) == _slug_of(unicodedata.normalize("NFKC", text).lower())


@properties
@given(tricky_text)
def test_normalized_url_paths_are_stable(path: str) -> None:
    assume("\x00" not in path)
    once = normalize_url_path(path)
    assert once.startswith("/") and "//" not in once
    assert normalize_url_path(once) == once
    assert ".." not in PurePosixPath(dest_for_path(once)).parts


# --- link resolution -------------------------------------------------------------------------

LINKS = {"posts/a.md": "/posts/a/", "posts/my photo.png": "/posts/my%20photo.png",
         "index-x.md": "/x/", "posts/100%.md": "/posts/100/"}


@properties
@given(st.text(max_size=30), st.sampled_from(["", "posts", "posts/deep"]),
       st.sampled_from(["/", "/docs/"]))
def test_resolve_link_never_fails(href: str, src_dir: str, base: str) -> None:
    url, missing = resolve_link(href, src_dir, LINKS.get, base)
    assert isinstance(url, str)
    path = href.partition("#")[0].partition("?")[0]
    if missing:
        assert path.endswith(".md") and url == href
    if href.startswith(("#", "//", "http:", "https:", "mailto:")) or not href:
        assert (url, missing) == (href, False)


@properties
@given(st.sampled_from(sorted(LINKS)), st.sampled_from(["", "#frag", "?q=1", "?q#f"]),
       st.booleans(), st.booleans())
def test_resolve_link_finds_content_files_however_written(target: str, tail: str,
                                                         absolute: bool, encode: bool) -> None:
    path = quote(target) if encode else target
    href = ("/" + path if absolute else posixpath.relpath(path, "posts")) + tail
    assert resolve_link(href, "posts", LINKS.get, "/") == (LINKS[target] + tail, False)


# --- the whole build -------------------------------------------------------------------------

SITE_NAMES = ["a.md", "b c.md", "ü.md", "x#y.md", "q?.md", "100%.md", "_index.md", "index.md",
              "pic.png", "my photo.png", "#.png", "..md", "-.md"]
folders = st.lists(st.sampled_from(["posts", "docs", "deep", "sp ace", "ünï", "#", "a.b"]),
                   max_size=3).map("/".join)
site_files = st.dictionaries(
    st.tuples(folders, st.sampled_from(SITE_NAMES)).map(
        lambda pair: "/".join(p for p in ("content", *pair) if p)),
    page_source(), min_size=1, max_size=6)
CONFIGS = ["", "paginate = 1\n", 'permalinks = {posts = "/:year/:slug/"}\n',
           'taxonomies = ["tags", "series"]\n', 'base_url = "https://example.org/sub/"\n',
           "paginate = 0\n", 'theme = "missing"\n', "[markdown]\nextensions = {smarty = true}\n",
           "title = \n", 'exclude = ["deep/*"]\n']
TEMPLATES = [None, "{{ page.title }}{{ page.content }}", "{{ page.nope.deeper }}",
             "{% include 'page.html' %}", "{% if %}", "{{ 1 // 0 }}",
             "{% extends 'base.html' %}{% block content %}{{ page.toc }}{% endblock %}"]


def _snapshot(root: Path) -> set[str]:
    """Every path under root, but those of old outputs being deleted in the background."""
    paths = set()
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".output.tmp-")]
        for name in dirnames + filenames:
            paths.add(Path(folder, name).relative_to(root).as_posix())
    return paths


SHORTCODES = ["{{ title }}{{ body }}", "{{ args.positional[0] }}", "{{ nope.x }}", "{% if %}",
              "{% include 'shortcodes/note.html' %}"]
DATA = {"data/d.yaml": YAML_SCALARS, "data/d.json": ['{"a": [1, 2]}', "[", '"x"', "[" * 3000],
        "data/d.toml": TOML_VALUES}


def _build(root: Path) -> None:
    """Build; any failure must be an SsgError whose every line has a message."""
    try:
        build(load_config(root), BuildOptions(jobs=1))
    except SsgError as exc:
        errors = exc.errors if isinstance(exc, BuildErrors) else [exc]
        assert errors and all(str(e).strip() for e in errors)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(site_files, st.sampled_from(CONFIGS), st.sampled_from(TEMPLATES),
       st.sampled_from(SHORTCODES), st.sampled_from(sorted(DATA)), st.data())
def test_fuzzed_sites_build_or_fail_with_a_message(
    files: dict[str, bytes], config_text: str, template: str | None, shortcode: str,
    data_file: str, data: st.DataObject
) -> None:
    top = Path(tempfile.mkdtemp(prefix="ssg-fuzz-"))
    try:
        root = top / "site"
        extra: dict[str, str | bytes] = {
            "ssg.toml": "search = false\n" + config_text,
            "templates/shortcodes/note.html": shortcode,
            data_file: "x: " + data.draw(st.sampled_from(DATA[data_file]))
            if data_file.endswith(".yaml") else data.draw(st.sampled_from(DATA[data_file])),
        }
        if data_file.endswith(".toml"):
            extra[data_file] = "x = " + str(extra[data_file])
        if template is not None:
            extra["templates/page.html"] = template
        write_files(root, {**files, **extra})
        before = _snapshot(top)
        _build(root)
        # Again after an edit, with the cache of the first build.
        write_files(root, {data.draw(st.sampled_from(sorted(files))): data.draw(page_source())})
        _build(root)
        after = _snapshot(top)
        assert {p for p in after - before if not p.startswith(
            ("site/output", "site/.output.spare", "site/.ssg-cache"))} == set()
        for out in (root / "output", root / ".output.spare"):
            real = out.resolve()
            for path in out.rglob("*"):
                assert path.resolve().is_relative_to(real)
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.parametrize("seed", range(3))
def test_tricky_names_rebuild_like_clean_builds(seed: int, tmp_path: Path) -> None:
    """Names with spaces, #, ?, % and Unicode as folders, pages and assets, linked to each
    other by name and percent-encoded: every link resolves (strict), and the rebuild after an
    edit equals a clean build."""
    names = ["b c", "x#y", "q?", "100%", "ü", "my photo"]
    files: dict[str, str | bytes] = {"ssg.toml": "search = false\n"}
    where = {name: names[(i + seed) % len(names)] for i, name in enumerate(names)}
    for i, name in enumerate(names):
        other = names[(i + 1) % len(names)]
        files[f"content/{where[name]}/{name}.md"] = (
            f"---\ntitle: {name!r}\ntags: [{name!r}, common]\ndate: 2024-01-0{i + 1}\n---\n"
            f"[next](<../{where[other]}/{other}.md>) ![p](<{name}.png>) "
            f"[enc]({quote(name)}.png)\n")
        files[f"content/{where[name]}/{name}.png"] = tiny_png(width=i + 1)
    site = tmp_path / "site"
    write_files(site, files)
    build(load_config(site), BuildOptions(jobs=1, strict=True))
    write_files(site, {f"content/{where[names[seed]]}/{names[seed]}.md": "---\ntitle: e\n---\n"})
    build(load_config(site), BuildOptions(jobs=1, strict=True))
    build(load_config(site, output_dir=tmp_path / "clean"), BuildOptions(jobs=1, cache=False))

    def tree(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes()
                for p in root.rglob("*") if p.is_file()}

    assert tree(site / "output") == tree(tmp_path / "clean")
    page = names[(seed + 1) % len(names)]
    html = (site / "output" / slugify(where[page]) / slugify(page) / "index.html").read_text()
    asset = quote_url_path(f"/{slugify(where[page])}/{page}.png")
    assert html.count(f'"{asset}"') == 2
