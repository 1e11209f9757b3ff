"""Faults: builds killed at any moment, and outputs or caches that cannot be written.

A killed build leaves the previous output intact and complete (the very same files), and the
next build is correct (equal to a clean --no-cache build); a failure to write is one clear
error, and nothing half-written is left as the live output.

The SIGKILL test runs `python -m ssg build` and kills it (its whole process group) after a
random delay: KILLS times by default, many more with SSG_LONG_TESTS=1 (the long version takes
a few minutes). Kills at exact moments (in the middle of moving files in, of writing the
cache) are simulated in a forked child that leaves with os._exit, as SIGKILL would, without
running any clean-up. Disk full and read-only folders are simulated by making os and pathlib
functions raise ENOSPC or EROFS (the tests run as root, which ignores permission bits).
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ssg.cli
import ssg.incremental.state
import ssg.output.writer
from conftest import Site, write_files
from ssg.build import BuildOptions, build
from ssg.config import load_config
from ssg.errors import OutputError
from ssg.incremental.reuse import DiskCache
from ssg.incremental.state import cache_file, texts_file
from ssg.output.writer import MARKER

LONG = bool(os.environ.get("SSG_LONG_TESTS"))
#: Kills of a running build in the SIGKILL test.
KILLS = 200 if LONG else 15
REPO = Path(__file__).resolve().parent.parent


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root and its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def clean_tree(site: Path, scratch: Path) -> dict[str, bytes]:
    """What a clean --no-cache build of the site writes."""
    out = scratch / "clean"
    shutil.rmtree(out, ignore_errors=True)
    build(load_config(site, output_dir=out), BuildOptions(cache=False, jobs=1))
    return tree(out)


# --- a site that changes -----------------------------------------------------------------------

SECTIONS = ["", "posts", "docs", "docs/guide"]
PAGE_TEMPLATE = ('{% extends "base.html" %}{% block content %}<h1>{{ page.title }}</h1>'
                 '{{ page.content }}{% endblock %}')


def page(n: int, version: int = 0) -> str:
    return (f"---\ntitle: Page {n} v{version}\ndate: 2024-0{n % 9 + 1}-1{n % 9}\n"
            f"tags: [t{n % 4}, t{version % 3}]\n---\n# Page {n}\n\nVersion {version} of page "
            f"{n}, [a link](p{(n + 1) % 5}.md).\n\n<!-- more -->\n\nMore text.\n")


def base_site(pages: int) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "ssg.toml": 'title = "Faults"\npaginate = 5\nbase_url = "https://example.org/"\n',
        "content/_index.md": "Home page.\n",
        "content/posts/_index.md": "---\ntitle: Posts\n---\nAll the posts.\n",
        "content/posts/bundle/index.md": "---\ntitle: Bundle\n---\n![pic](pic.png)\n",
        "content/posts/bundle/pic.png": b"\x89PNG fake",
        "static/robots-extra.txt": "static\n",
    }
    for n in range(pages):
        files[f"content/{SECTIONS[n % len(SECTIONS)]}/p{n}.md".replace("//", "/")] = page(n)
    return files


def mutate(rng: random.Random, site: Path, counter: list[int]) -> str:
    """One random edit of the kind users make; returns what it did."""
    counter[0] += 1
    version = counter[0]
    pages = sorted((site / "content").rglob("p*.md"))
    choice = rng.choice(["edit", "edit", "edit", "add", "remove", "template", "static",
                         "config", "asset"])
    if choice == "edit" and pages:
        target = rng.choice(pages)
        target.write_text(page(int(target.stem[1:]), version))
    elif choice == "add":
        n = 100 + version
        write_files(site, {f"content/{rng.choice(SECTIONS)}/p{n}.md".replace("//", "/"):
                           page(n, version)})
    elif choice == "remove" and len(pages) > 3:
        rng.choice(pages).unlink()
    elif choice == "template":
        path = site / "templates/page.html"
        if path.exists():
            path.unlink()
        else:
            write_files(site, {"templates/page.html": PAGE_TEMPLATE})
    elif choice == "static":
        write_files(site, {"static/robots-extra.txt": f"static {version}\n"})
    elif choice == "config":
        write_files(site, {"ssg.toml": f'title = "Faults {version % 2}"\n'
                                       f'paginate = {4 + version % 3}\n'
                                       'base_url = "https://example.org/"\n'})
    else:
        path = site / "content/posts/bundle/extra.txt"
        if path.exists():
            path.unlink()
        else:
            write_files(site, {"content/posts/bundle/extra.txt": f"extra {version}\n"})
    return choice


# --- SIGKILL at random moments --------------------------------------------------------------

def _ssg(site: Path) -> list[str]:
    return [sys.executable, "-m", "ssg", "build", str(site), "-q"]


def _run_to_end(site: Path) -> None:
    proc = subprocess.run(_ssg(site), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_sigkill_at_any_moment_leaves_old_or_new_output(tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    site = tmp_path / "site"
    write_files(site, base_site(40))
    out = site / "output"
    started = time.perf_counter()
    _run_to_end(site)
    whole = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ssg", "--version"], cwd=REPO, check=True,
                   capture_output=True)
    startup = time.perf_counter() - started
    assert tree(out) == clean_tree(site, tmp_path), "the first build is not a clean build"
    previous = tree(out)
    counter = [0]
    outcomes = {"old": 0, "new": 0}
    for kill in range(KILLS):
        what = mutate(rng, site, counter)
        proc = subprocess.Popen(_ssg(site), cwd=REPO, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Half the kills anywhere in the build, half near its end, where files are written.
        time.sleep(rng.uniform(startup * 0.8, whole * 1.1) if rng.random() < 0.5
                   else rng.uniform(whole * 0.7, whole * 1.05))
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        now = tree(out)
        context = f"kill {kill} after '{what}' (seed {seed})"
        if now == previous:
            outcomes["old"] += 1
        else:
            assert now == clean_tree(site, tmp_path), f"a mixed or partial output: {context}"
            outcomes["new"] += 1
        previous = now
        if rng.random() < 0.25 or kill == KILLS - 1:
            _run_to_end(site)
            previous = tree(out)
            assert previous == clean_tree(site, tmp_path), f"a wrong rebuild: {context}"
    assert outcomes["old"] + outcomes["new"] == KILLS


# --- kills at exact moments (a forked child leaving with os._exit) --------------------------

def _killed_at(site: Site, target: Any, name: str, calls: int, **build_args: Any) -> int:
    """Build in a child that dies, like SIGKILL, at the `calls`-th call of target.name."""
    pid = os.fork()
    if pid == 0:  # the child: no exception may escape into pytest's own code
        try:
            real = getattr(target, name)
            count = [0]

            def dying(*args: Any, **kwargs: Any) -> Any:
                count[0] += 1
                if count[0] >= calls:
                    os._exit(9)
                return real(*args, **kwargs)

            setattr(target, name, dying)
            site.build(jobs=1, **build_args)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.fixture
def posts(make_site: Callable[..., Site]) -> Site:
    return make_site(base_site(12))


def test_kill_while_linking_the_stage_leaves_the_old_output(posts: Site, tmp_path: Path
                                                            ) -> None:
    before = posts.tree()
    posts.write({"content/posts/p1.md": page(1, 7)})
    assert _killed_at(posts, os, "link", 5) == 9
    assert posts.tree() == before
    assert list(posts.root.glob(".output.tmp-*")), "the dead build's stage is still there"
    posts.build()
    assert posts.tree() == clean_tree(posts.root, tmp_path)
    assert not [p for p in posts.root.glob(".output.tmp-*") if "-old" not in p.name
                and p.exists() and any(p.iterdir())]


def _spare(site: Site) -> Path:
    return site.root / ".output.spare"


def _links(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the hard links the writer makes."""
    made: list[str] = []
    real = os.link

    def counting(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        made.append(str(dst))
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr(ssg.output.writer.os, "link", counting)
    return made


def test_incremental_builds_cost_what_changed(posts: Site, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A full build keeps a tree of links to its files as the spare; each incremental build
    puts its files into the spare, swaps it in and keeps the tree it replaced as the next
    spare, which the build after catches up: each links what changed, not every file."""
    assert _spare(posts).is_dir()  # a full build leaves one, linked to its files
    links = _links(monkeypatch)
    posts.write({"content/posts/p1.md": page(1, 7)})
    first = posts.build()
    assert not first.full and len(links) == len(first.written)
    assert posts.tree() == clean_tree(posts.root, tmp_path)
    assert _spare(posts).is_dir()
    links.clear()
    posts.write({"content/docs/p2.md": page(2, 8)})
    (posts.root / "content/docs/guide/p3.md").unlink()
    second = posts.build()
    assert "docs/guide/p3/index.html" in second.removed
    assert len(links) == len(first.written) + len(second.written)
    assert posts.tree() == clean_tree(posts.root, tmp_path)
    assert not (posts.out / "docs/guide/p3").exists()


def _wait_for_spare(site: Site, timeout: float = 60.0) -> dict[str, Any]:
    """The journal of the spare a process of its own links, once it is there and that
    process is done (no tree of it left beside the output)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        marker = _spare(site) / MARKER
        if marker.is_file() and not list(site.root.glob(".output.tmp-*-spare")):
            journal: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8"))
            return journal
        time.sleep(0.05)
    raise AssertionError("no spare was linked")


def test_a_full_build_can_leave_its_spare_to_a_process_of_its_own(
    make_site: Callable[..., Site], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With spare_later (what `ssg build` does), the build links no tree itself: a process
    of its own links the spare after the build, and the next build catches it up, linking
    only what changed."""
    site = make_site(base_site(12), build=False)

    def linked_here(*args: Any) -> None:
        raise AssertionError("the build linked the spare itself")

    monkeypatch.setattr(ssg.output.writer, "_link_tree", linked_here)
    assert site.build(spare_later=True).full
    journal = _wait_for_spare(site)
    assert journal == {"live": ssg.output.writer._build_id(site.out), "changed": [],
                       "removed": []}
    live = {rel: (site.out / rel).stat().st_ino for rel in site.tree() if rel != MARKER}
    assert {rel: (_spare(site) / rel).stat().st_ino for rel in live} == live  # linked
    links = _links(monkeypatch)
    site.write({"content/posts/p1.md": page(1, 7)})
    edit = site.build(spare_later=True)
    assert not edit.full and len(links) == len(edit.written)
    monkeypatch.undo()  # the clean build links its own spare
    assert site.tree() == clean_tree(site.root, tmp_path)


def test_ssg_build_ends_before_its_spare_is_linked_and_the_spare_is_then_there(
    make_site: Callable[..., Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(base_site(4), build=False)
    asked: list[BuildOptions] = []

    def recording(config: Any, options: BuildOptions, *args: Any, **kwargs: Any) -> Any:
        asked.append(options)
        return build(config, replace(options, spare_later=False), *args, **kwargs)

    monkeypatch.setattr(ssg.cli, "build", recording)
    assert CliRunner().invoke(ssg.cli.main, ["build", "-q", str(site.root)]).exit_code == 0
    assert [options.spare_later for options in asked] == [True]
    shutil.rmtree(site.out)
    shutil.rmtree(_spare(site))
    shutil.rmtree(site.root / ".ssg-cache")
    done = subprocess.run([sys.executable, "-m", "ssg", "build", "-q", str(site.root)],
                          capture_output=True, text=True, check=False, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert _wait_for_spare(site)["live"] == ssg.output.writer._build_id(site.out)
    assert set(tree(_spare(site))) == set(site.tree())  # each file, and a marker


def test_a_spare_that_cannot_be_left_to_another_process_is_linked_by_the_build(
    make_site: Callable[..., Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build has succeeded when it starts the process: failing to start one (no
    interpreter to run, a fork refused) is no failure of the build, which links the spare."""
    site = make_site(base_site(4), build=False)
    real = subprocess.run

    def refused(args: Any, *rest: Any, **kwargs: Any) -> Any:
        if "ssg.output.spare" in args:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(ssg.output.writer.subprocess, "run", refused)
    assert site.build(spare_later=True).full
    journal = json.loads((_spare(site) / MARKER).read_text(encoding="utf-8"))  # at once
    assert journal["live"] == ssg.output.writer._build_id(site.out)
    assert set(tree(_spare(site))) == set(site.tree())


def test_a_spare_linked_later_is_not_kept_when_another_build_came_first(
    posts: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process that links a spare names the output it links by its build id: when a
    build replaced that output, before or while the tree was made, the tree is not kept and
    the spare that build kept stays as it is."""
    posts.write({"content/posts/p1.md": page(1, 7)})
    posts.build()
    kept = (_spare(posts) / MARKER).read_bytes()  # the incremental build's spare
    ssg.output.writer.link_spare(posts.out, "1:2")  # an output replaced before
    assert (_spare(posts) / MARKER).read_bytes() == kept
    real = ssg.output.writer._link_tree

    def replaced_meanwhile(source: Path, target: Path) -> None:
        real(source, target)
        ssg.output.writer._write_marker(posts.out, b"Written by ssg and replaced by each "
                                                   b"build.\n")  # another build's commit

    monkeypatch.setattr(ssg.output.writer, "_link_tree", replaced_meanwhile)
    ssg.output.writer.link_spare(posts.out, ssg.output.writer._build_id(posts.out))
    assert (_spare(posts) / MARKER).read_bytes() == kept
    deadline = time.monotonic() + 30
    while list(posts.root.glob(".output.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)  # the tree not kept is deleted in the background
    assert not list(posts.root.glob(".output.tmp-*"))


def test_kill_while_catching_up_the_spare_leaves_the_old_output(posts: Site, tmp_path: Path
                                                                ) -> None:
    posts.write({"content/posts/p1.md": page(1, 7)})
    posts.build()
    before = posts.tree()
    posts.write({"content/docs/p2.md": page(2, 8)})
    assert _killed_at(posts, ssg.output.writer.os, "link", 2) == 9
    assert posts.tree() == before and not _spare(posts).exists()
    posts.build()  # without a spare: links every file again
    assert posts.tree() == clean_tree(posts.root, tmp_path)
    assert _spare(posts).is_dir()


@pytest.mark.parametrize("tamper", ["journal", "full build"])
def test_a_spare_not_one_build_behind_is_not_used(posts: Site, tmp_path: Path, tamper: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    posts.write({"content/posts/p1.md": page(1, 7)})
    posts.build()
    if tamper == "full build":  # the spare of a full build, then left behind by another
        posts.write({"ssg.toml": 'title = "Full"\n'})
        assert posts.build().full and _spare(posts).is_dir()
        spare = _spare(posts).with_name("kept")
        _spare(posts).rename(spare)
        posts.write({"content/posts/p1.md": page(1, 8)})
        assert not posts.build().full
        shutil.rmtree(_spare(posts))
        spare.rename(_spare(posts))
    else:
        (_spare(posts) / MARKER).write_text('{"live": "1:2", "changed": [], "removed": []}')
    links = _links(monkeypatch)
    posts.write({"content/docs/p2.md": page(2, 8)})
    posts.build()
    assert len(links) > len(posts.tree()) // 2  # linked one by one, not from the spare
    assert posts.tree() == clean_tree(posts.root, tmp_path)


class _DyingConnection(sqlite3.Connection):
    """Dies in the middle of a transaction, after its first insert."""

    def executemany(self, *args: Any) -> sqlite3.Cursor:
        cursor = super().executemany(*args)
        os._exit(9)
        return cursor


_connect = sqlite3.connect


def _dying_connect(path: Any, **kwargs: Any) -> sqlite3.Connection:
    return _connect(path, factory=_DyingConnection, **kwargs)


@pytest.mark.parametrize(("target", "name"), [
    (ssg.incremental.state, "encode_state"),  # while writing the state
    (DiskCache, "finish"),  # after the output went live, before the state
    (ssg.incremental.state.sqlite3, "connect"),  # while storing rendered Markdown
])
def test_kill_while_writing_the_cache_never_makes_a_later_build_wrong(
    posts: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: Any, name: str
) -> None:
    posts.write({"content/posts/p1.md": page(1, 7)})
    if name == "connect":  # the connection dies by itself, in the middle of a transaction
        monkeypatch.setattr(target, name, _dying_connect)
        assert _killed_at(posts, target, name, 1_000_000) == 9
        monkeypatch.undo()
    else:
        assert _killed_at(posts, target, name, 1) == 9
    posts.write({"content/docs/p2.md": page(2, 8)})
    posts.build()
    assert posts.tree() == clean_tree(posts.root, tmp_path)
    assert not list(cache_file(posts.root).parent.glob("*.tmp-*"))
    posts.write({"content/posts/p1.md": page(1, 9)})
    assert not posts.build().full
    assert posts.tree() == clean_tree(posts.root, tmp_path)


def test_unchanged_files_keep_their_inode_and_mtime(posts: Site) -> None:
    untouched = posts.out / "docs/p2/index.html"
    before = untouched.stat()
    for version in (7, 8):  # without a spare, then with one
        time.sleep(0.01)
        posts.write({"content/posts/p1.md": page(1, version)})
        result = posts.build()
        assert not result.full and "posts/p1/index.html" in result.written
        after = untouched.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_stages_of_dead_builds_are_removed_and_live_ones_kept(posts: Site) -> None:
    dead = posts.root / ".output.tmp-999999999-abcd"
    (dead / "deep/er").mkdir(parents=True)
    (dead / "deep/er/x.html").write_text("junk")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = posts.root / f".output.tmp-{child.pid}-abcd"
        live.mkdir()
        posts.write({"content/posts/p1.md": page(1, 7)})
        posts.build()
        assert not dead.exists() and live.exists()
    finally:
        child.kill()
        child.wait()


def test_a_build_leaves_the_trees_its_own_rm_deletes_to_it(posts: Site,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    # The previous output goes to a background rm; the next build in the same process must
    # not delete it again itself (that waits seconds for ten thousand files), but one left by
    # a process that is gone is removed.
    import ssg.output.writer as writer
    started: list[str] = []
    monkeypatch.setattr(writer.subprocess, "run", lambda args, **kw: started.append(args[-1]))
    posts.build(drafts=True)  # other options: a full build, whose old output goes to rm
    ours = [Path(path) for path in started if Path(path).name.endswith("-removing")]
    assert ours and all(tree.is_dir() for tree in ours), started
    dead = posts.root / ".output.tmp-999999999-abcd-removing"
    (dead / "deep").mkdir(parents=True)
    posts.write({"content/posts/p1.md": page(1, 7)})
    posts.build()
    assert all(tree.is_dir() for tree in ours), "the build deleted what its rm deletes"
    assert not dead.exists()


# --- output that cannot be written ----------------------------------------------------------

# --- output and cache that cannot be written -------------------------------------------------

def _fail(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, code: int,
          when: Callable[..., bool] = lambda *args: True) -> None:
    """Make target.name raise OSError(code) whenever when(*args) is true."""
    real = getattr(target, name)

    def failing(*args: Any, **kwargs: Any) -> Any:
        if when(*args):
            raise OSError(code, os.strerror(code), str(args[0]) if args else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, failing)


def _in_stage(path: Any, *_args: Any) -> bool:
    return ".output.tmp-" in str(path)


def _stages(site: Site) -> list[Path]:
    return list(site.root.glob(".output.tmp-*"))


@pytest.mark.parametrize(("target", "name", "code", "when", "expected"), [
    (Path, "write_bytes", errno.ENOSPC, _in_stage, "cannot write posts/p1/index.html: No space"),
    (os, "link", errno.ENOSPC, lambda *a: True, "No space left on device"),
    (Path, "mkdir", errno.EROFS, lambda p, *a: p.name.startswith(".output.tmp-"),
     "cannot prepare the output folder: Read-only file system"),
    (Path, "write_bytes", errno.EDQUOT, lambda p, *a: p.name == ".ssg-output.tmp",
     "Disk quota exceeded"),
    (os, "rename", errno.EACCES, lambda *a: True, "Permission denied"),
])
def test_output_that_cannot_be_written_is_one_error_and_the_old_output_stays(
    posts: Site, monkeypatch: pytest.MonkeyPatch, target: Any, name: str, code: int,
    when: Callable[..., bool], expected: str
) -> None:
    before = posts.tree()
    posts.write({"content/posts/p1.md": page(1, 7)})
    # Take the two-rename path of systems without an atomic exchange.
    monkeypatch.setattr(ssg.output.writer, "rename_exchange", lambda a, b: False)
    _fail(monkeypatch, target, name, code, when)
    with pytest.raises(OutputError) as info:
        posts.build()
    monkeypatch.undo()
    assert expected in str(info.value) and str(posts.out) in str(info.value)
    assert posts.tree() == before
    assert not _stages(posts)
    posts.build()
    assert "v7" in posts.read("posts/p1/index.html")


def test_output_on_a_mount_point_says_so(posts: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    before = posts.tree()
    posts.write({"ssg.toml": 'title = "Changed"\n'})
    monkeypatch.setattr(ssg.output.writer, "rename_exchange", lambda a, b: False)
    _fail(monkeypatch, os, "rename", errno.EBUSY, lambda src, dst: Path(src) == posts.out)
    with pytest.raises(OutputError, match="mount point"):
        posts.build()
    assert posts.tree() == before and not _stages(posts)


def test_a_failed_second_rename_puts_the_old_output_back(posts: Site,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    before = posts.tree()
    posts.write({"ssg.toml": 'title = "Changed"\n'})
    monkeypatch.setattr(ssg.output.writer, "rename_exchange", lambda a, b: False)
    failed: list[str] = []

    def once(src: str, dst: str) -> bool:
        if Path(dst) != posts.out or failed:
            return False
        failed.append(src)
        return True

    _fail(monkeypatch, os, "rename", errno.EIO, once)
    with pytest.raises(OutputError, match="Input/output error"):
        posts.build()
    assert failed and posts.tree() == before


@pytest.mark.parametrize(("output", "expected"), [
    ("ssg.toml", "is a file, not a folder"),
    ("ssg.toml/out", "is a file, not a folder"),
    ("content/out", "is inside"),
    ("static", "it holds your own files"),
])
def test_bad_output_folders_are_refused_and_nothing_is_lost(
    make_site: Callable[..., Site], output: str, expected: str
) -> None:
    site = make_site({**base_site(3), "static/keep.txt": "mine"}, build=False)
    before = tree(site.root)
    with pytest.raises(OutputError) as info:
        build(load_config(site.root, output_dir=site.root / output))
    assert expected in str(info.value)
    assert str(site.root / output.split("/")[0]) in str(info.value)
    after = tree(site.root)
    assert {k: v for k, v in after.items() if not k.startswith(".ssg-cache/")} == before


def test_cache_that_cannot_be_written_only_warns(make_site: Callable[..., Site],
                                                 ssg_log: pytest.LogCaptureFixture,
                                                 tmp_path: Path) -> None:
    site = make_site({**base_site(6), ".ssg-cache": "a file where the cache folder goes"})
    assert "cache could not be written" in ssg_log.text
    assert site.tree() == clean_tree(site.root, tmp_path)
    site.write({"content/posts/p1.md": page(1, 7)})
    assert site.build().full
    assert site.tree() == clean_tree(site.root, tmp_path)


def test_disk_full_while_writing_the_cache_leaves_no_partial_file(
    posts: Site, monkeypatch: pytest.MonkeyPatch, ssg_log: pytest.LogCaptureFixture,
    tmp_path: Path
) -> None:
    real = ssg.incremental.state.encode_state
    pieces: list[int] = []

    def full(site_dir: Path, state: Any, write: Callable[[bytes], Any]) -> None:
        def filling(data: bytes) -> Any:
            if sum(pieces) > 1000:  # the disk fills up part-way through the state
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            pieces.append(len(data))
            return write(data)
        real(site_dir, state, filling)

    posts.write({"content/posts/p1.md": page(1, 7)})
    monkeypatch.setattr(ssg.incremental.state, "encode_state", full)
    posts.build()
    monkeypatch.undo()
    assert len(pieces) > 1, "nothing was written before the disk filled up"
    assert "cache could not be written (No space left on device)" in ssg_log.text
    assert not list(cache_file(posts.root).parent.glob("*.tmp-*"))
    posts.write({"content/docs/p2.md": page(2, 8)})
    posts.build()
    assert posts.tree() == clean_tree(posts.root, tmp_path)


class _FullConnection(sqlite3.Connection):
    def executemany(self, *args: Any) -> sqlite3.Cursor:
        raise sqlite3.OperationalError("database or disk is full")


def test_markdown_cache_that_cannot_be_written_or_read_only_warns(
    posts: Site, monkeypatch: pytest.MonkeyPatch, ssg_log: pytest.LogCaptureFixture,
    tmp_path: Path
) -> None:
    real_connect = sqlite3.connect
    monkeypatch.setattr(ssg.incremental.state.sqlite3, "connect",
                        lambda path, **kw: real_connect(path, factory=_FullConnection, **kw))
    posts.write({"content/posts/p1.md": page(1, 7)})
    posts.build()
    monkeypatch.undo()
    assert "database or disk is full" in ssg_log.text
    assert posts.tree() == clean_tree(posts.root, tmp_path)
    texts_file(posts.root).write_bytes(b"this is not an SQLite file" * 100)
    posts.write({"content/posts/p1.md": page(1, 8)})
    posts.build()
    assert "could not be read" in ssg_log.text
    assert posts.tree() == clean_tree(posts.root, tmp_path)
