"""Write the finished site; only this module touches the output folder.

A full build writes a fresh folder and swaps it in when every file is written. An incremental
build renders the changed files into a staging folder, then moves each into place with an atomic
rename and deletes the files of pages that are gone; the marker file says "dirty" meanwhile, so a
build killed half-way is noticed and followed by a full one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from ssg.config import Config
from ssg.errors import OutputError

#: Marks a folder as ssg's output and names the build that wrote it.
MARKER = ".ssg-output"
_MARKER_TEXT = b"Written by ssg and replaced by each build.\n"
_DIRTY_TEXT = b"Being updated by ssg.\n"
_RENAME_EXCHANGE = 2


def static_files(config: Config) -> list[tuple[str, str, Path]]:
    """(dest, origin, source) of the theme's and the site's static files; the site wins."""
    chosen: dict[str, tuple[str, str, Path]] = {}
    for root, label in ((config.theme_dir / "static", "theme static"),
                        (config.site_dir / "static", "static")):
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in filenames:
                path = Path(dirpath, name)
                rel = path.relative_to(root).as_posix()
                chosen[rel] = (rel, f"{label}/{rel}", path)
    return [chosen[k] for k in sorted(chosen)]


def check_dests(dests: Iterable[tuple[str, str]]) -> None:
    """Every (dest, origin) stays inside the output folder, and no two share a dest."""
    origins: dict[str, str] = {}
    for dest, origin in dests:
        parts = dest.split("/")
        if (not dest or dest.startswith("/") or "\\" in dest or "\x00" in dest
                or any(p in ("..", ".", "") for p in parts) or parts[0] == MARKER):
            raise OutputError(f"{origin}: output path {dest!r} would leave the output folder")
        clash = origins.get(dest)
        if clash is not None:
            raise OutputError(f"{clash} and {origin} would both write {dest}")
        origins[dest] = origin


def check_output_dir(config: Config) -> None:
    """Refuse an output folder whose replacement would lose the user's files."""
    out = config.output_dir
    site = config.site_dir
    for protected in (site, config.content_dir, site / "templates", site / "static",
                      config.theme_dir, Path.home(), Path(out.anchor)):
        if out == protected or protected.is_relative_to(out):
            raise OutputError(f"refusing to write the site into {out}: it holds your own files")
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
    """A folder beside the output where a build writes its files before they go live."""

    def __init__(self, config: Config):
        check_output_dir(config)
        self.out = config.output_dir
        self.out.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.out.parent.glob(f".{self.out.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a build that was killed
        self.root = self.out.parent / f".{self.out.name}.tmp-{os.getpid()}"
        self.root.mkdir()
        self._made: set[Path] = {self.root}

    def write(self, dest: str, data: bytes) -> None:
        """Write one file of the new site into the stage."""
        target = self.root / dest
        parent = target.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)
        target.write_bytes(data)

    def commit_full(self) -> None:
        """The stage holds the whole site: swap it in for the old output."""
        _write_marker(self.root, _MARKER_TEXT)
        _swap(self.root, self.out)

    def commit_patch(self, changed: Iterable[str], removed: Iterable[str]) -> None:
        """Move the changed files into the live output one by one, then delete removed ones."""
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

    def discard(self) -> None:
        """Drop the stage (after a failure, or once its files are live)."""
        shutil.rmtree(self.root, ignore_errors=True)


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
    old = out.parent / f".{out.name}.tmp-old-{os.getpid()}"
    os.rename(out, old)
    os.rename(new, out)
    _remove_later(old)


def _remove_later(tree: Path) -> None:
    """Delete the previous output in the background: the new one is already live, and
    deleting ten thousand files takes seconds. A build that finds one left over removes it."""
    if shutil.which("sh") is None or shutil.which("rm") is None:
        shutil.rmtree(tree, ignore_errors=True)
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
