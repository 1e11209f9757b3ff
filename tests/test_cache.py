"""The on-disk cache travels: it is data only, names files relative to the site, and trusts
content hashes, so a cache copied or restored into another folder, by another user, with new
mtimes, is used; a broken or hostile one is discarded with one warning and a full build."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import Site, write_files
from ssg.build import BuildOptions, Session, build
from ssg.config import load_config
from ssg.incremental.checked import Invalid
from ssg.incremental.pieces import plain
from ssg.incremental.records import (
    BuildState,
    Paths,
    content_from_data,
    content_to_data,
    front_from_data,
    front_to_data,
    state_from_data,
    state_to_data,
    unstored_content_fields,
    value_from_data,
    value_to_data,
)
from ssg.incremental.state import (
    VERSION,
    ContentStore,
    SearchTexts,
    cache_file,
    stub,
    texts_file,
)
from ssg.stages.bodies import PARALLEL_MIN
from ssg.stages.markdown import Content, Ref
from ssg.stages.parse import FrontMatter, parse_yaml

REPO = Path(__file__).resolve().parent.parent


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def clean(site: Path, scratch: Path) -> dict[str, bytes]:
    """What a clean --no-cache build of the site writes."""
    out = scratch / "clean-out"
    shutil.rmtree(out, ignore_errors=True)
    build(load_config(site, output_dir=out), BuildOptions(cache=False, jobs=1))
    return tree(out)


def page(n: int, tail: str = "More text.") -> str:
    return (f"---\ntitle: Page {n}\ndate: 2024-01-{n + 1:02d}\ntags: [t{n % 3}]\n"
            f"extra:\n  when: 2024-02-03T04:05:06+02:00\n  day: 2024-02-03\n  n: {n}\n---\n"
            f"Summary of {n}, [next](p{(n + 1) % 6}.md).\n\n<!-- more -->\n\n{tail}\n")


SITE: dict[str, str | bytes] = {
    "ssg.toml": 'title = "Travel"\nbase_url = "https://example.org/"\n',
    "content/_index.md": "Home.\n",
    "content/posts/_index.md": "---\ntitle: Posts\n---\nAll posts.\n",
    "content/posts/bundle/index.md": "---\ntitle: Bundle\n---\n![pic](pic.png)\n",
    "content/posts/bundle/pic.png": b"\x89PNG fake",
    "static/style.css": "body { color: red }\n",
    "templates/shortcodes/note.html": "<aside>{{ body }}</aside>",
    **{f"content/posts/p{n}.md": page(n) for n in range(6)},
}


#: The site without feeds (they hold whole bodies) and search: an edited body changes one file.
QUIET = {**SITE, "ssg.toml": 'title = "Travel"\nfeeds = []\nsearch = false\n'}


def copy_with_new_mtimes(source: Path, target: Path) -> None:
    """Copy a folder as a fresh clone or a restore would leave it: new inodes and mtimes."""
    shutil.copytree(source, target, copy_function=shutil.copyfile, symlinks=True)
    later = time.time_ns() + 5_000_000_000
    for path in target.rglob("*"):
        os.utime(path, ns=(later, later), follow_symlinks=False)


def _ssg_build(site: Path, home: Path) -> str:
    """`ssg build -v` as a subprocess of another user's account (another HOME)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), HOME=str(home),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"))
    home.mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, "-m", "ssg", "build", str(site), "-v"],
                          capture_output=True, text=True, env=env, timeout=300, check=True)
    return done.stdout + done.stderr


def _report(text: str) -> tuple[int, int, int]:
    """(files rendered, files changed, files in the site) from `ssg build -v`'s report."""
    match = re.search(r"\((\d+) of ([\d,]+) files rendered, (\d+) changed", text)
    assert match, text
    return int(match[1]), int(match[3]), int(match[2].replace(",", ""))


def test_a_cache_copied_elsewhere_with_new_mtimes_rebuilds_only_the_edited_page(
    make_site: Callable[..., Site], tmp_path: Path
) -> None:
    site = make_site(QUIET)
    moved = tmp_path / "elsewhere" / "clone"
    copy_with_new_mtimes(site.root, moved)
    edit = {"content/posts/p2.md": page(2, tail="Edited after the summary.")}
    site.write(edit)
    in_place = _report(_ssg_build(site.root, tmp_path / "user"))
    shutil.rmtree(site.root)  # nothing may still point at the first folder

    write_files(moved, edit)
    report = _ssg_build(moved, tmp_path / "other-user")
    assert "discarded" not in report
    rendered, changed, files = _report(report)
    # The page, and the lists that show its reading time (their bytes stay the same): the
    # very work the same edit costs where the cache was written.
    assert (rendered, changed) == in_place[:2]
    assert changed == 1 and rendered <= 4 and files > 15
    assert "Edited after the summary." in (moved / "output/posts/p2/index.html").read_text()
    assert tree(moved / "output") == clean(moved, tmp_path)


def test_a_restored_cache_is_used_and_a_tampered_output_is_repaired(
    make_site: Callable[..., Site], tmp_path: Path
) -> None:
    site = make_site(SITE)
    moved = tmp_path / "restored"
    copy_with_new_mtimes(site.root, moved)
    (moved / "output/posts/p1/index.html").write_text("changed by hand")
    (moved / "output/posts/p4/index.html").unlink()
    (moved / "output/stray.html").write_text("left by someone")
    result = build(load_config(moved), BuildOptions(jobs=1))
    assert not result.full
    assert sorted(result.written) == ["posts/p1/index.html", "posts/p4/index.html"]
    assert result.removed == ("stray.html",)
    assert tree(moved / "output") == clean(moved, tmp_path)
    assert build(load_config(moved), BuildOptions(jobs=1)).rendered == 0


def test_a_restored_outputs_fingerprinted_files_are_checked_and_rewritten(
    make_site: Callable[..., Site], tmp_path: Path
) -> None:
    site = make_site(QUIET)
    (styles,) = (site.root / "output/css").glob("style.*.css")  # the theme's fingerprinted CSS
    for spoil in ("keep", "edit", "delete"):
        moved = tmp_path / f"restored-{spoil}"
        copy_with_new_mtimes(site.root, moved)
        copy = moved / "output/css" / styles.name
        if spoil == "edit":
            copy.write_text("changed by hand")
        elif spoil == "delete":
            copy.unlink()
        result = build(load_config(moved), BuildOptions(jobs=1))
        assert not result.full
        assert (f"css/{styles.name}" in result.written) == (spoil != "keep")
        assert f"css/{styles.name}" not in result.removed
        assert tree(moved / "output") == clean(moved, tmp_path / f"clean-{spoil}")


def test_the_cache_names_no_absolute_path_of_the_site(make_site: Callable[..., Site]) -> None:
    site = make_site(SITE)
    text = cache_file(site.root).read_text(encoding="utf-8")
    assert str(site.root) not in text
    data = json.loads(text)
    assert "output" in data["outputs"] and "content/posts/p1.md" in data["files"]


def _state(site: Site) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cache_file(site.root).read_text(encoding="utf-8"))
    return data


def _spoil(data: dict[str, Any], how: str) -> None:
    doc = data["docs"]["posts/p1.md"]
    output = data["outputs"]["output"]
    if how == "line as text":
        doc[2] = "three"
    elif how == "title as number":
        doc[1]["title"] = 7
    elif how == "date without zone":
        doc[1]["date"] = "2024-01-01T00:00:00"
    elif how == "unknown tag":
        doc[1]["extra"] = {"$exec": "rm -rf /"}
    elif how == "unknown key kind":
        output["keys"].append(["exec", "x"])
    elif how == "key with extra arguments":
        output["keys"][0] = [*output["keys"][0], "more", "args", "here"]
    elif how == "record names no key":
        next(iter(output["outputs"].values()))[1].append(10**6)
    elif how == "word count as list":
        data["contents"]["posts/p1.md"][1]["word_count"] = [1]
    elif how == "output outside the output folder":
        output["outputs"]["../../victim.txt"] = next(iter(output["outputs"].values()))
    elif how == "files as list":
        data["files"] = []
    elif how == "link target as number":
        data["contents"]["posts/p1.md"][1]["link_deps"] = [["posts/p2.md", None], [5, None]]
    elif how == "link of three parts":
        data["contents"]["posts/p1.md"][1]["link_deps"] = [["posts/p2.md", "/p2/", "x"]]
    elif how == "warning line as true":
        data["contents"]["posts/p1.md"][1]["warnings"] = [[True, "a warning"]]
    elif how == "template pair as text":
        data["contents"]["posts/p1.md"][1]["template_deps"] = ["page.html"]
    elif how == "absolute output path":
        output["outputs"]["/tmp/victim.txt"] = next(iter(output["outputs"].values()))
    elif how == "missing field":
        del data["markdown_key"]
    elif how == "search record length as text":
        record = next(iter(output["search"].values()))
        record[1] = str(record[1])
    elif how == "search record of four parts":
        next(iter(output["search"].values())).append("title")


@pytest.mark.parametrize("how", [
    "line as text", "title as number", "date without zone", "unknown tag", "unknown key kind",
    "key with extra arguments", "record names no key", "word count as list",
    "output outside the output folder", "files as list", "missing field",
    "link target as number", "link of three parts", "warning line as true",
    "template pair as text", "absolute output path", "search record length as text",
    "search record of four parts",
])
def test_a_cache_with_wrong_types_is_discarded_with_one_warning(
    make_site: Callable[..., Site], ssg_log: pytest.LogCaptureFixture, tmp_path: Path, how: str
) -> None:
    site = make_site(SITE)
    data = _state(site)
    _spoil(data, how)
    cache_file(site.root).write_text(json.dumps(data), encoding="utf-8")
    ssg_log.clear()
    site.write({"content/posts/p3.md": page(3, tail="Changed.")})
    result = site.build()
    warnings = [r for r in ssg_log.records if "cache" in r.getMessage()]
    assert len(warnings) == 1 and "discarded, doing a full build" in warnings[0].getMessage()
    assert result.full
    assert site.tree() == clean(site.root, tmp_path)
    assert not site.build().full  # the cache written by that build is good again


@pytest.mark.parametrize("text", [
    b"", b"{", b"\xff\xfe not text", b"[1, 2, 3]", b'{"format": NaN}', b"[" * 100_000,
    json.dumps({"format": 1, "version": "ssg 0.0.1"}).encode(),
    json.dumps({"format": 7, "version": VERSION + " (another build)"}).encode(),
])
def test_corrupt_truncated_or_foreign_caches_are_discarded(
    make_site: Callable[..., Site], ssg_log: pytest.LogCaptureFixture, text: bytes
) -> None:
    site = make_site(SITE)
    cache_file(site.root).write_bytes(text)
    ssg_log.clear()
    result = site.build()
    assert result.full
    assert sum("discarded" in r.getMessage() for r in ssg_log.records) == 1


def test_a_hostile_cache_cannot_make_the_build_read_a_pipe(
    make_site: Callable[..., Site], tmp_path: Path
) -> None:
    """A key naming a FIFO (or /dev/zero) would hang or exhaust memory if it were read."""
    site = make_site(SITE)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    data = _state(site)
    output = data["outputs"]["output"]
    output["keys"] += [["file", str(fifo)], ["file", "/dev/zero"]]
    output["key_fps"] += [[len(output["keys"]) - 2, "x"], [len(output["keys"]) - 1, "x"]]
    cache_file(site.root).write_text(json.dumps(data), encoding="utf-8")
    report = _ssg_build(site.root, tmp_path / "home")  # a hang fails on the timeout
    assert "0 of" in report


def test_front_matter_values_come_back_equal_with_the_same_repr() -> None:
    values = [
        parse_yaml("a: 2024-01-01T10:00:00Z\nb: 2024-01-01T10:00:00+02:00\nc: 2024-01-01\n"
                   "d: !!binary aGVsbG8=\ne: [1, 2.5, -0.0, null, true, x]\n"
                   "f: {1: one, null: none, 2.5: x, 2024-01-01: day}\ng: .nan\nh: .inf\n"
                   "i: !!omap [a: 1, b: 2]\n$j: {$k: 1}\n"),
        tomllib.loads('a = 1979-05-27T07:32:00\nb = 07:32:00\nc = 1979-05-27\n'
                      'd = 1979-05-27T00:32:00.999999-07:00\ne = [[1, 2], ["x"]]\n'),
        {"tuple": (1, ("a",)), "frozen": frozenset({"x"}), "set": {3}},
        parse_yaml("big: 123456789012345678901234567890\nsmall: -9223372036854775809\n"),
    ]
    for value in values:
        back = value_from_data(orjson.loads(orjson.dumps(value_to_data(value))))
        assert repr(back) == repr(value)


def test_every_stored_product_round_trips() -> None:
    content = Content("<p>x</p>", "<p>s</p>", "", 3,
                      (Ref(4, "a", "b.md#x", "b.md", "x"), Ref(None, "img", "y.png", None, "")),
                      link_deps=(("b.md", "/b/"), ("gone.md", None)), body_fp="b",
                      summary_fp="s", template_deps=(("shortcodes/note.html", "fp"),),
                      ids=frozenset({"x", "y"}))
    _hash, back = content_from_data(json.loads(json.dumps(content_to_data(("h", content)))))
    assert back == Content("", "", "", *(getattr(content, f.name) for f in fields(Content)
                                        if f.name not in ("html", "summary", "toc")))
    front = FrontMatter(title="T", date=datetime(2024, 1, 2, tzinfo=UTC), draft=True,
                        weight=2, aliases=("/a/",), terms={"tags": ("x",)}, extra={"k": [1]})
    assert front_from_data(json.loads(json.dumps(front_to_data(front)))) == front


def test_every_field_of_content_is_stored() -> None:
    """A field added to Content must be added to records.content_to_data/_from_data."""
    assert unstored_content_fields() == set()


def test_paths_inside_the_site_are_stored_relative(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "site")
    inside = str(tmp_path / "site" / "content" / "a.md")
    assert paths.to_data(inside) == "content/a.md"
    assert paths.from_data("content/a.md") == inside
    assert paths.to_data("/usr/lib/ssg/page.html") == "/usr/lib/ssg/page.html"
    assert Paths(tmp_path / "moved").from_data("content/a.md") == str(
        tmp_path / "moved" / "content" / "a.md")
    with pytest.raises(Invalid):
        state_from_data({"started_ns": True}, paths, SearchTexts(tmp_path / "texts.sqlite"))
    assert isinstance(BuildState(), BuildState)


# --- a session (the dev server) starts from the cache and leaves it -------------------------

def test_a_session_starts_from_the_cache_and_saves_it_for_the_next_build(
    make_site: Callable[..., Site], tmp_path: Path
) -> None:
    site = make_site(QUIET)
    session = Session.from_cache(site.root)
    served = session.output_dir()
    assert served is not None and served.is_relative_to(site.root / ".ssg-cache")
    config = load_config(site.root, output_dir=served)
    first = build(config, BuildOptions(jobs=1, cache=False), session)
    assert first.full  # another output folder; its Markdown comes from the cache
    again = build(config, BuildOptions(jobs=1, cache=False), session)
    assert again.rendered == 0
    site.write({"content/posts/p2.md": page(2, tail="Edited while serving.")})
    edited = build(config, BuildOptions(jobs=1, cache=False), session,
                   changed=[site.root / "content/posts/p2.md"])
    assert edited.written == ("posts/p2/index.html",)
    assert "Edited while serving." in (served / "posts/p2/index.html").read_text()
    session.save()
    with sqlite3.connect(texts_file(site.root)) as db:
        html = db.execute("SELECT html FROM texts WHERE src = 'posts/p2.md'").fetchone()[0]
    assert "Edited while serving." in html

    restarted = Session.from_cache(site.root)
    assert restarted.output_dir() == served
    assert build(config, BuildOptions(jobs=1, cache=False), restarted).rendered == 0
    result = site.build(jobs=1)
    assert not result.full and result.written == ("posts/p2/index.html",)
    assert site.tree() == clean(site.root, tmp_path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(site: Path, tmp: Path, port: int) -> Any:
    """`ssg serve` on a loopback port, started (see test_server.Served). The port is part
    of every URL the served build holds: a restart is incremental on the same port."""
    from test_server import Served

    tmp.mkdir(exist_ok=True)
    return Served(site, ["--port", str(port)], tmp).started()


def _wait(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_starts_from_the_cache_and_leaves_it_for_the_next_build(
    make_site: Callable[..., Site], tmp_path: Path, stop: signal.Signals
) -> None:
    site = make_site(QUIET)
    port = _free_port()
    first = _serve(site.root, tmp_path / "tmp1", port)
    try:
        assert "Summary of 2" in first.get("/posts/p2/")[2]
        write_files(site.root, {"content/posts/p2.md": page(2, tail="Edited while serving.")})
        _wait(lambda: "Edited while serving." in first.get("/posts/p2/")[2], "the rebuild")
        # The edited page may show before its build is done (the open page comes first):
        # stopped before the end, the server would rightly leave that build to the next one.
        _wait(lambda: first.count(r"^Built [\d,]+ pages") >= 2, "the rebuild to finish")
    finally:
        first.proc.send_signal(stop)
        assert first.stop() == 0
    assert first.output.rstrip().endswith("Stopped."), first.output

    # The next `ssg build` is incremental: the server left what it learnt in the cache.
    report = _report(_ssg_build(site.root, tmp_path / "home"))
    assert report[1] == 1 and report[0] <= 4, report
    assert "Edited while serving." in site.read("posts/p2/index.html")
    assert site.tree() == clean(site.root, tmp_path)

    # A second server starts with a no-change build of the folder the first one left.
    served_page = site.root / ".ssg-cache/serve/site/posts/p2/index.html"
    before = served_page.stat()
    second = _serve(site.root, tmp_path / "tmp2", port)
    try:
        second.wait_for_line(r"^Built [\d,]+ pages in [\d.]+ s \(0 files changed\)")
        assert "Edited while serving." in second.get("/posts/p2/")[2]
        after = served_page.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    finally:
        assert second.stop() == 0


# --- records read from the cache are written back as read while unchanged ------------------

def test_a_state_read_from_the_cache_is_saved_as_a_clean_encoding_would_save_it(
    make_site: Callable[..., Site], tmp_path: Path
) -> None:
    """Unchanged records are written back as the data they were read from (no encoding
    again); every record a build changed, added or removed is encoded anew. Either way the
    saved state reads back equal to the state in memory."""
    site = make_site(SITE)
    build(load_config(site.root), BuildOptions(jobs=1))
    site.write({"content/posts/p2.md": page(2, tail="Edited.").replace("Page 2", "Second")})
    (site.root / "content/posts/p5.md").unlink()
    build(load_config(site.root), BuildOptions(jobs=1))
    paths, texts = Paths(site.root), SearchTexts(texts_file(site.root))
    state = state_from_data(orjson.loads(cache_file(site.root).read_bytes()), paths, texts)
    assert state.stored is not None
    src = {Path(name).name: name for name in state.docs}
    p0, p1, p2 = src["p0.md"], src["p1.md"], src["p2.md"]
    assert "p5.md" not in src
    assert state.docs[p2][1].title == "Second"
    folder = next(iter(state.outputs))
    output = state.outputs[folder]
    # A build changes some records: a document, a content, an output's record and its keys.
    file_hash, front, body_line, heading = state.docs[p2]
    state.docs[p2] = (file_hash, replace(front, title="Third"), body_line, heading)
    del state.docs[p0]
    state.contents[p2] = (state.contents[p2][0], replace(state.contents[p2][1], word_count=99))
    added_key = ("file", str(site.root / "data" / "never-seen.toml"))
    output.key_fps[added_key] = "fp"
    dest = "posts/p2/index.html"
    output.outputs[dest] = ("new-hash", (*output.outputs[dest][1], added_key))
    data = plain(state_to_data(state, paths, VERSION))
    # Unchanged records are the very data read; changed ones are new.
    assert data["docs"][p1] is state.stored.docs[p1][1]
    assert data["contents"][p1] is state.stored.contents[p1][1]
    assert data["docs"][p2] is not state.stored.docs[p2][1]
    stored_output = state.stored.outputs[folder]
    assert data["outputs"][paths.to_data(folder)]["outputs"]["posts/p1/index.html"] is (
        stored_output.records["posts/p1/index.html"][1])
    # And what is saved reads back as the state in memory, exactly as without the shortcut.
    again = state_from_data(orjson.loads(orjson.dumps(data)), paths, texts)
    plain_state = replace(state, stored=None)
    plain_again = state_from_data(orjson.loads(orjson.dumps(
        plain(state_to_data(plain_state, paths, VERSION)))), paths, texts)
    assert again == plain_again == state
    assert again.docs[p2][1].title == "Third" and p0 not in again.docs
    assert again.contents[p2][1].word_count == 99
    assert again.outputs[folder].outputs[dest] == ("new-hash", output.outputs[dest][1])
    assert again.outputs[folder].key_fps[added_key] == "fp"


def test_records_are_encoded_anew_when_the_keys_read_changed_places(
    make_site: Callable[..., Site]
) -> None:
    """An output's stored record names its keys by their places in the stored list: when the
    keys in memory are no longer that list's start, no stored record is reused."""
    site = make_site(SITE)
    build(load_config(site.root), BuildOptions(jobs=1))
    paths, texts = Paths(site.root), SearchTexts(texts_file(site.root))
    state = state_from_data(orjson.loads(cache_file(site.root).read_bytes()), paths, texts)
    folder = next(iter(state.outputs))
    output = state.outputs[folder]
    output.key_fps = dict(reversed(output.key_fps.items()))
    data = plain(state_to_data(state, paths, VERSION))
    stored = state.stored.outputs[folder] if state.stored else None
    assert stored is not None
    records = data["outputs"][paths.to_data(folder)]["outputs"]
    assert all(records[dest] is not stored.records[dest][1] for dest in records)
    again = state_from_data(orjson.loads(orjson.dumps(data)), paths, texts)
    assert again.outputs[folder].outputs == output.outputs


# --- a one-off build keeps the texts of its Markdown on disk, not in memory ------------------

def test_a_store_that_does_not_keep_texts_saves_them_where_rendered_and_reads_them_back(
    tmp_path: Path
) -> None:
    store = ContentStore(tmp_path / "texts.sqlite", keep=False)
    content = Content(html="<p>\u4e2d\u6587 body</p>", summary="<p>sum</p>", toc="<ul></ul>",
                      word_count=3, refs=(), body_fp="b1", summary_fp="s1")
    taken = store.take([("a.md", content)])
    # Neither the body nor the table of contents travels back; the small summary does.
    assert taken == [("a.md", replace(stub(content), summary="<p>sum</p>"), True)]
    assert store.taken(taken) == taken
    assert store["a.md"] == content  # read from the file
    assert not store.fresh, "a text read back was kept in memory"
    kept = ContentStore(tmp_path / "texts.sqlite")
    assert kept.take([("a.md", content)]) == [("a.md", content, False)]


def _trace_text_reads(db: sqlite3.Connection, reads: list[str]) -> None:
    """Append to `reads` each SQL statement of `db` that reads a text, from now on."""
    db.set_trace_callback(
        lambda sql: reads.append(sql) if sql.startswith("SELECT fp, html") else None)


def _text_reads(store: ContentStore) -> list[str]:
    """The SQL statements that read a text from the store's file, from now on."""
    reads: list[str] = []
    _trace_text_reads(store._db(), reads)
    return reads


def test_a_store_that_does_not_keep_texts_reads_each_one_once_while_it_is_recent(
    tmp_path: Path
) -> None:
    """An output reads its page's body several times (toc, word count, HTML, search record):
    the file is read once; the store holds only the last few texts read, not all of them."""
    store = ContentStore(tmp_path / "texts.sqlite", keep=False)
    made = [(f"p{n}.md", Content(html=f"<p>body {n}</p>", summary=f"<p>sum {n}</p>",
                                 toc="", word_count=n, refs=(), body_fp=f"b{n}",
                                 summary_fp=f"s{n}"))
            for n in range(200)]
    store.taken(store.take(made))
    reads = _text_reads(store)
    for _ in range(4):
        assert store["p7.md"].html == "<p>body 7</p>"
    assert len(reads) == 1
    for src, _content in made:
        assert store[src].html.startswith("<p>body")
    assert len(reads) == 200
    assert 0 < len(store.recent) < 200, "every text read was kept in memory"
    assert store["p199.md"].html == "<p>body 199</p>" and len(reads) == 200
    assert store["p0.md"].html == "<p>body 0</p>" and len(reads) == 201  # long gone: read


def test_summaries_and_word_counts_come_without_reading_the_texts(tmp_path: Path) -> None:
    """What a list shows of each page (its summary, its reading time) is in memory for
    the pages the build rendered; the body and table of contents are not."""
    store = ContentStore(tmp_path / "texts.sqlite", keep=False)
    content = Content(html="<p>long body</p>", summary="<p>short</p>", toc="<ul></ul>",
                      word_count=42, refs=(), body_fp="b", summary_fp="s")
    store.taken(store.take([("a.md", content)]))
    reads = _text_reads(store)
    assert store.summary("a.md") == "<p>short</p>"
    assert store.fields("a.md").word_count == 42
    assert reads == []
    assert store["a.md"].toc == "<ul></ul>" and len(reads) == 1
    # A stub known from an earlier build has no summary in memory: it is read.
    later = ContentStore(tmp_path / "texts.sqlite", keep=False)
    later.stubs["a.md"] = stub(content)
    reads = _text_reads(later)
    assert later.summary("a.md") == "<p>short</p>" and len(reads) == 1


def test_a_build_reads_each_rendered_text_back_at_most_once_per_page(
    make_site: Callable[..., Site], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lists show the summary and reading time of every page of a section, and each page's
    own output reads its body several times: a cold build reads a text back from the file
    at most once for each document, and writes what a clean build writes."""
    count = 30
    site = make_site({
        "ssg.toml": 'title = "T"\nbase_url = "https://example.org/"\n',
        "content/_index.md": "Home.\n",
        "content/posts/_index.md": "---\ntitle: Posts\n---\nAll posts.\n",
        **{f"content/posts/p{n}.md": page(n, tail=f"Body {n} \u6f22\u5b57.")
           for n in range(count)},
    }, build=False)
    reads: list[str] = []
    connect = ContentStore._db

    def traced(store: ContentStore) -> sqlite3.Connection:
        db = connect(store)
        _trace_text_reads(db, reads)
        return db

    monkeypatch.setattr(ContentStore, "_db", traced)
    build(load_config(site.root), BuildOptions(jobs=1))
    assert 0 < len(reads) <= count + 2  # the pages, the section and the home page
    assert "Summary of 29," in site.read("posts/index.html")  # the newest page, listed
    assert "Body 3 \u6f22\u5b57." in site.read("posts/p3/index.html")
    assert site.tree() == clean(site.root, tmp_path)


def test_a_parallel_build_stores_every_text_and_rebuilds_like_a_clean_build(
    make_site: Callable[..., Site], tmp_path: Path
) -> None:
    """Above PARALLEL_MIN documents the workers save the texts themselves; the next build
    reads those it needs, and a one-page edit still gives a clean build's output."""
    count = PARALLEL_MIN + 10
    site = make_site({f"content/posts/p{n}.md": page(n % 28, tail=f"Body {n} \u6f22\u5b57.")
                      for n in range(count)})
    build(load_config(site.root), BuildOptions(jobs=2))
    with sqlite3.connect(texts_file(site.root)) as db:
        rows = dict(db.execute("SELECT src, html FROM texts").fetchall())
    assert sum(1 for src, html in rows.items()
               if src.startswith("posts/p") and "\u6f22\u5b57" in html) == count
    site.write({"content/posts/p3.md": page(3, tail="Edited body.")})  # p3: page(3)
    build(load_config(site.root), BuildOptions(jobs=2))
    assert "Edited body." in site.read("posts/p3/index.html")
    assert "Summary of 4" in site.read("posts/p4/index.html")
    assert site.tree() == clean(site.root, tmp_path)
