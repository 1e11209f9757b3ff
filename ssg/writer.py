"""Write the finished site; only this module touches the output folder.

A build that changes anything writes its files into a staging folder beside the output and
then swaps the two in one step (Linux renameat2 RENAME_EXCHANGE; elsewhere two renames), so
the output folder always holds one whole build. A full build renders every file into the
stage; an incremental build renders the changed ones and fills in the rest with hard links
to the live output's files, which costs one link per file, not a copy. A build killed at any
moment leaves the previous output as it was, and its stage is deleted by the next build.

Only where linking would cost more than it is worth (outputs of more than `LINK_LIMIT`
files) does an incremental build patch the live output instead: it moves each changed file in
with an atomic rename and deletes the files of pages that are gone, with the marker saying
"dirty" meanwhile, so that a build killed half-way is noticed and followed by a full one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ssg.config import Config
from ssg.content import walk
from ssg.errors import OutputError
from ssg.utils import pid_alive

#: Marks a folder as ssg's output and names the build that wrote it.
MARKER = ".ssg-output"
_MARKER_TEXT = b"Written by ssg and replaced by each build.\n"
_DIRTY_TEXT = b"Being updated by ssg.\n"
_RENAME_EXCHANGE = 2
#: Up to this many output files, an incremental build stages a whole copy (hard links) and
#: swaps it in; past it, it patches the live output in place (about 25 us a link: 0.12 s).
LINK_LIMIT = 5_000
#: Longest file or folder name most file systems allow, in bytes.
_NAME_MAX = 255


def static_files(config: Config) -> list[tuple[str, str, Path]]:
    """(dest, origin, source) of the theme's and the site's static files; the site wins."""
    chosen: dict[str, tuple[str, str, Path]] = {}
    for root, label, boundary in ((config.theme_dir / "static", "theme static",
                                   config.theme_dir),
                                  (config.site_dir / "static", "static", config.site_dir)):
        if not root.is_dir():
            continue
        for rel_dir, here, filenames in walk(root, label, boundary, lambda _name, _rel: False):
            for name in filenames:
                rel = f"{rel_dir}/{name}" if rel_dir else name
                chosen[rel] = (rel, f"{label}/{rel}", here / name)
    return [chosen[k] for k in sorted(chosen)]


def check_dests(dests: Iterable[tuple[str, str]]) -> None:
    """Every (dest, origin) stays inside the output folder, no two share a dest, and no dest
    is a file where another needs a folder."""
    origins: dict[str, str] = {}
    for dest, origin in dests:
        parts = dest.split("/")
        if (not dest or dest.startswith("/") or "\\" in dest or "\x00" in dest
                or any(p in ("..", ".", "") for p in parts) or parts[0] == MARKER):
            raise OutputError(f"{origin}: output path {dest!r} would leave the output folder")
        if any(len(os.fsencode(p)) > _NAME_MAX for p in parts):
            raise OutputError(f"{origin}: output path {dest!r} has a name longer than "
                              f"{_NAME_MAX} bytes, more than file systems allow")
        clash = origins.get(dest)
        if clash is not None:
            raise OutputError(f"{clash} and {origin} would both write {dest}")
        origins[dest] = origin
    folders: dict[str, str] = {}  # folder -> a dest inside it
    for dest in origins:
        cut = dest.rfind("/")
        while cut > 0 and dest[:cut] not in folders:
            folders[dest[:cut]] = dest
            cut = dest.rfind("/", 0, cut)
    for folder, inside in folders.items():
        if folder in origins:
            raise OutputError(f"{origins[folder]} would write the file {folder}, where "
                              f"{origins[inside]} needs a folder (for {inside})")


def check_output_dir(config: Config) -> None:
    """Refuse an output folder whose replacement would lose the user's files."""
    out = config.output_dir
    site = config.site_dir
    for protected in (site, config.content_dir, site / "templates", site / "static",
                      config.theme_dir, Path.home(), Path(out.anchor)):
        if out == protected or protected.is_relative_to(out):
            raise OutputError(f"refusing to write the site into {out}: it holds your own files")
    for source in (config.content_dir, site / "templates", site / "static", site / "data",
                   config.theme_dir):
        if out.is_relative_to(source):
            raise OutputError(f"refusing to write the site into {out}: it is inside {source}, "
                              "which ssg reads; choose an output folder outside it")
    for folder in (out, *out.parents):
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"{folder} is a file, not a folder; choose another output folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise OutputError(
            f"{out} is not empty and was not written by ssg; choose another output folder "
            "or empty it"
        )


def output_build_id(config: Config) -> str:
    """Identifies the build the output folder holds ("" if none or half-written).

    The marker's content is the same for every build (the output stays byte-identical); its
    inode and mtime change with each commit, so they name the build that wrote it.
    """
    marker = config.output_dir / MARKER
    try:
        st = marker.stat()
        if marker.read_bytes() != _MARKER_TEXT:
            return ""
    except OSError:
        return ""
    return f"{st.st_ino}:{st.st_mtime_ns}"


class Stage:
    """A folder beside the output where a build writes its files before they go live.

    Every failure to write becomes an OutputError; the live output is left as it was.
    """

    def __init__(self, config: Config):
        check_output_dir(config)
        self.out = config.output_dir
        with _writing(self.out, "prepare the output folder"):
            self.out.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale(self.out)
            self.root = self.out.parent / (
                f".{self.out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
            self.root.mkdir()
        self._made: set[Path] = {self.root}

    def write(self, dest: str, data: bytes) -> None:
        """Write one file of the new site into the stage."""
        target = self.root / dest
        parent = target.parent
        with _writing(self.out, f"write {dest}"):
            if parent not in self._made:
                parent.mkdir(parents=True, exist_ok=True)
                self._made.add(parent)
            target.write_bytes(data)

    def commit_full(self) -> None:
        """The stage holds the whole site: swap it in for the old output."""
        with _writing(self.out, "write the output folder"):
            _write_marker(self.root, _MARKER_TEXT)
            _swap(self.root, self.out)

    def commit_patch(self, changed: Iterable[str], removed: Iterable[str], *,
                     files: int | None = None) -> None:
        """The stage holds the changed files: complete it with links to the unchanged ones
        and swap it in; or, for an output of more than LINK_LIMIT `files`, move the changed
        files into the live output one by one and delete the removed ones."""
        if files is None or files <= LINK_LIMIT:
            with _writing(self.out, "write the output folder"):
                self._link_unchanged(set(changed), set(removed))
            self.commit_full()
            return
        with _writing(self.out, "update the output folder"):
            _write_marker(self.out, _DIRTY_TEXT)
            made: set[Path] = set()
            for dest in changed:
                target = self.out / dest
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                os.replace(self.root / dest, target)
            for dest in removed:
                target = self.out / dest
                target.unlink(missing_ok=True)
                _prune_empty_dirs(target.parent, self.out)
            _write_marker(self.out, _MARKER_TEXT)
        self.discard()

    def _link_unchanged(self, changed: set[str], removed: set[str]) -> None:
        """Hard-link every live file that is neither changed nor removed into the stage
        (over a staged copy with the same bytes: the file keeps its inode and mtime)."""
        made = set(self._made)
        for rel, path in _files(self.out):
            if rel in changed or rel in removed or rel == MARKER:
                continue
            target = self.root / rel
            if target.parent not in made:
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                except (FileExistsError, NotADirectoryError):
                    continue  # a file of the new site stands where this folder was
                made.add(target.parent)
            try:
                os.link(path, target)
            except FileExistsError:
                if target.is_dir():
                    continue  # a folder of the new site stands where this file was
                target.unlink()
                os.link(path, target)
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP):
                    raise
                shutil.copy2(path, target)  # a file system without hard links

    def discard(self) -> None:
        """Drop the stage (after a failure, or once its files are live)."""
        _rmtree(self.root)

    def read(self, dest: str) -> bytes:
        """The bytes `dest` has once committed: staged by this build, else the live file."""
        staged = self.root / dest
        return staged.read_bytes() if staged.is_file() else (self.out / dest).read_bytes()

    def live_files(self, folder: str) -> list[str]:
        """The files under `folder` in the live output, as sorted dests."""
        root = self.out / folder
        return sorted(f"{folder}/{rel}" for rel, _path in _files(root)) if root.is_dir() else []


@contextmanager
def _writing(out: Path, what: str) -> Iterator[None]:
    """Turn a failure to write into an OutputError saying what could not be done and why."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.EBUSY, errno.EXDEV):
            reason += " (is the output folder a mount point? use a folder inside it)"
        raise OutputError(f"cannot {what}: {reason}", path=out) from exc


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    """(path relative to root, path) of every file under root, at any depth."""
    stack = [("", root)]
    while stack:
        rel_dir, folder = stack.pop()
        with os.scandir(folder) as scan:
            for entry in scan:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((rel, Path(entry.path)))
                else:
                    yield rel, Path(entry.path)


def _remove_stale(out: Path) -> None:
    """Delete the stages and old trees that builds no longer running left beside `out`."""
    prefix = f".{out.name}.tmp-"
    for stale in out.parent.glob(f"{prefix}*"):
        pid = stale.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and pid_alive(int(pid)):
            continue  # another build at work
        _rmtree(stale)


def _rmtree(tree: Path) -> None:
    try:
        shutil.rmtree(tree, ignore_errors=True)
    except RecursionError:  # folders nested deeper than Python's stack
        if shutil.which("rm") is not None:
            subprocess.run(["rm", "-rf", "--", str(tree)], check=False)


def _write_marker(folder: Path, text: bytes) -> None:
    tmp = folder / f"{MARKER}.tmp"
    tmp.write_bytes(text)
    # Random low digits make (inode, mtime) unique per build even on coarse clocks.
    stamp = time.time_ns() // 1_000_000 * 1_000_000 + secrets.randbelow(1_000_000)
    os.utime(tmp, ns=(stamp, stamp))
    os.replace(tmp, folder / MARKER)


def _prune_empty_dirs(folder: Path, root: Path) -> None:
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _swap(new: Path, out: Path) -> None:
    """Put `new` where `out` is in one step where the system allows, then drop the old tree."""
    if not out.exists():
        os.rename(new, out)
        return
    if _exchange(new, out):
        _remove_later(new)
        return
    old = new.with_name(new.name + "-old")
    os.rename(out, old)
    try:
        os.rename(new, out)
    except OSError:
        os.rename(old, out)
        raise
    _remove_later(old)


def _remove_later(tree: Path) -> None:
    """Delete the previous output in the background: the new one is already live, and
    deleting ten thousand files takes seconds. A build that finds one left over removes it."""
    if shutil.which("sh") is None or shutil.which("rm") is None:
        _rmtree(tree)
        return
    # The shell starts rm in the background and exits at once: nothing is left to wait for.
    subprocess.run(["sh", "-c", 'rm -rf -- "$1" >/dev/null 2>&1 &', "sh", str(tree)],
                   stdin=subprocess.DEVNULL, check=False)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)
