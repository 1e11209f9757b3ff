"""Write the finished site; only this module touches the output folder.

Every build that changes anything writes a complete new output folder beside the live one and
swaps the two in one step (Linux renameat2 RENAME_EXCHANGE, `rename_exchange`; elsewhere two
renames), so the
output folder always holds one whole build, and a build killed at any moment leaves the
previous one as it was (the next build deletes what the killed one left beside it).

A full build renders every file into the new folder. An incremental build renders only the
files that changed, and needs the others in the new folder too. After each swap ssg keeps the
folder that was just replaced as the *spare* (`.output.spare`), with a note of the files it
lacks: the next incremental build catches the spare up with hard links to those live files,
adds its own, and swaps it in, at a cost in proportion to what changed. A full build keeps a
tree of hard links to its files as the spare (the tree it replaced differs by an unknown
amount). Without a usable spare (one tampered with, or a file system without hard links), the
unchanged files are hard-linked one by one instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ssg.config import Config
from ssg.errors import OutputError, SsgError, raise_all
from ssg.stages.discover import walk
from ssg.utils import pid_alive

#: Marks a folder as ssg's output and names the build that wrote it.
MARKER = ".ssg-output"
_MARKER_TEXT = b"Written by ssg and replaced by each build.\n"
_RENAME_EXCHANGE = 2
#: The spare beside the output `out` is `.out.spare`; its marker file holds the journal.
_SPARE = ".spare"
#: The suffix of a tree this process's background `rm` is deleting (see _remove_later).
_REMOVING = "-removing"
#: Longest file or folder name most file systems allow, in bytes.
_NAME_MAX = 255
#: Path segments that would leave or blur the output folder.
_BAD_PARTS = frozenset(("..", ".", ""))


def static_files(config: Config) -> list[tuple[str, str, Path]]:
    """(dest, origin, source) of the theme's and the site's static files; the site wins over
    the theme, a theme over the one it extends."""
    chosen: dict[str, tuple[str, str, Path]] = {}
    for root, label, boundary in (*((theme / "static", theme_static_label(config, theme), theme)
                                    for theme in reversed(config.themes)),
                                  (config.site_dir / "static", "static", config.site_dir)):
        if not root.is_dir():
            continue
        for rel_dir, here, filenames in walk(root, label, boundary, lambda _name, _rel: False):
            for name in filenames:
                rel = f"{rel_dir}/{name}" if rel_dir else name
                chosen[rel] = (rel, f"{label}/{rel}", here / name)
    return [chosen[k] for k in sorted(chosen)]


def theme_static_label(config: Config, theme: Path) -> str:
    """The origin of a theme's static files: `theme static`, or for a theme the site's theme
    extends `theme static (NAME)`."""
    return "theme static" if theme == config.theme_dir else f"theme static ({theme.name})"


def check_dests(dests: Iterable[tuple[str, str]]) -> None:
    """Every (dest, origin) stays inside the output folder, no two share a dest, and no dest
    is a file where another needs a folder. All problems are reported at once, each clash
    naming every source that would write the file."""
    errors: list[SsgError] = []
    groups: dict[str, list[str]] = {}
    for dest, origin in dests:
        parts = dest.split("/")
        if (not dest or dest.startswith("/") or "\\" in dest or "\x00" in dest
                or not _BAD_PARTS.isdisjoint(parts) or parts[0] == MARKER):
            errors.append(OutputError(f"{origin}: output path {dest!r} would leave the output "
                                      "folder"))
        # A character is at most 4 bytes (a lone surrogate 1): short paths need no encoding.
        elif len(dest) > _NAME_MAX // 4 and any(len(p) > _NAME_MAX // 4
                                                 and len(os.fsencode(p)) > _NAME_MAX
                                                 for p in parts):
            errors.append(OutputError(f"{origin}: output path {dest!r} has a name longer than "
                                      f"{_NAME_MAX} bytes, more than file systems allow"))
        else:
            groups.setdefault(dest, []).append(origin)
    for dest, origins in groups.items():
        if len(origins) > 1:
            names = ", ".join(origins[:-1]) + " and " + origins[-1]
            both = "both" if len(origins) == 2 else "all"
            hint = ("; set another 'slug' or 'url' in all but one of them"
                    if all(o.startswith("content/") for o in origins) else "")
            errors.append(OutputError(f"{names} would {both} write {dest}{hint}"))
    folders: dict[str, str] = {}  # folder -> a dest inside it
    for dest in groups:
        cut = dest.rfind("/")
        while cut > 0 and dest[:cut] not in folders:
            folders[dest[:cut]] = dest
            cut = dest.rfind("/", 0, cut)
    for folder, inside in folders.items():
        if folder in groups:
            errors.append(OutputError(f"{groups[folder][0]} would write the file {folder}, "
                                      f"where {groups[inside][0]} needs a folder (for {inside})"))
    raise_all(errors)


def check_output_dir(config: Config) -> None:
    """Refuse an output folder whose replacement would lose the user's files."""
    out = config.output_dir
    site = config.site_dir
    for protected in (site, config.content_dir, site / "templates", site / "static",
                      *config.themes, Path.home(), Path(out.anchor)):
        if out == protected or protected.is_relative_to(out):
            raise OutputError(f"refusing to write the site into {out}: it holds your own files")
    for source in (config.content_dir, site / "templates", site / "static", site / "data",
                   *config.themes):
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
    return _build_id(config.output_dir)


def _build_id(folder: Path) -> str:
    marker = folder / MARKER
    try:
        st = marker.stat()
        if marker.read_bytes() != _MARKER_TEXT:
            return ""
    except OSError:
        return ""
    return f"{st.st_ino}:{st.st_mtime_ns}"


def output_files(config: Config) -> Iterator[tuple[str, Path]]:
    """(dest, path) of every file of the live output folder but its marker (none if absent)."""
    if not config.output_dir.is_dir():
        return
    for dest, path in _files(config.output_dir):
        if dest != MARKER:
            yield dest, path


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
        self._taken: Path | None = None

    def write(self, dest: str, data: bytes) -> None:
        """Write one file of the new site into the stage."""
        target = self.root / dest
        parent = target.parent
        with _writing(self.out, f"write {dest}"):
            if parent not in self._made:
                parent.mkdir(parents=True, exist_ok=True)
                self._made.add(parent)
            target.write_bytes(data)

    def commit_full(self, *, spare_later: bool = False) -> None:
        """The stage holds the whole site: swap it in for the old output. With
        `spare_later`, the spare is linked by a process of its own once this one has
        swapped, so the build ends before it (a build that comes sooner does without)."""
        with _writing(self.out, "write the output folder"):
            _write_marker(self.root, _MARKER_TEXT)
            old = _swap(self.root, self.out)
        if old is not None:
            _remove_later(old)
        # The old spare is behind by an unknown difference now.
        if not (spare_later and _link_spare_later(self.out)):
            link_spare(self.out)

    def commit_patch(self, changed: Iterable[str], removed: Iterable[str]) -> None:
        """The stage holds the files this build changed: put them and the unchanged ones in
        a complete tree (the caught-up spare, or else the stage filled with links), swap it
        in, and keep the replaced tree as the next spare."""
        changed, removed = sorted(changed), sorted(removed)
        with _writing(self.out, "write the output folder"):
            tree = self._take_spare()
            if tree is None:
                self._link_unchanged(set(changed), set(removed))
                tree = self.root
            else:
                _update(tree, removed, changed, self.root)
            _write_marker(tree, _MARKER_TEXT)
            old = _swap(tree, self.out)
        if old is not None:
            _keep_spare(old, self.out, changed, removed)
        self.discard()

    def _take_spare(self) -> Path | None:
        """The spare, moved beside the stage and caught up with the live output; None when
        there is none, or it is not one build behind the live output."""
        spare = self.out.parent / f".{self.out.name}{_SPARE}"
        journal = _read_journal(spare)
        if journal is None or journal[0] != _build_id(self.out):
            return None
        taken = self.root.with_name(self.root.name + "-spare")
        try:
            os.rename(spare, taken)
        except OSError:
            return None  # another build took it
        self._taken = taken
        try:
            _update(taken, journal[2], journal[1], self.out)
        except OSError:
            _rmtree(taken)  # not what its journal said: do without
            return None
        return taken

    def _link_unchanged(self, changed: set[str], removed: set[str]) -> None:
        """Hard-link every live file that is neither changed nor removed into the stage
        (over a staged copy with the same bytes: the file keeps its inode and mtime). With
        plain strings for paths: at 14,500 files pathlib's objects cost half the time."""
        made = {str(folder) for folder in self._made}
        root = str(self.root)
        for rel, path in _file_paths(str(self.out)):
            if rel in changed or rel in removed or rel == MARKER:
                continue
            target = os.path.join(root, rel)
            parent = os.path.dirname(target)
            if parent not in made:
                try:
                    os.makedirs(parent, exist_ok=True)
                except (FileExistsError, NotADirectoryError):
                    continue  # a file of the new site stands where this folder was
                made.add(parent)
            try:
                _link(path, target)
            except FileExistsError:
                if os.path.isdir(target):
                    continue  # a folder of the new site stands where this file was
                os.unlink(target)
                _link(path, target)

    def discard(self) -> None:
        """Drop the stage (after a failure, or once its files are live)."""
        _rmtree(self.root)
        if self._taken is not None and self._taken.exists():
            _rmtree(self._taken)

    def read(self, dest: str) -> bytes:
        """The bytes `dest` has once committed: staged by this build, else the live file."""
        staged = self.root / dest
        return staged.read_bytes() if staged.is_file() else (self.out / dest).read_bytes()

    def live_files(self, folder: str) -> list[str]:
        """The files under `folder` in the live output, as sorted dests."""
        root = self.out / folder
        return sorted(f"{folder}/{rel}" for rel, _path in _files(root)) if root.is_dir() else []

    def write_folder(self, folder: str, files: Mapping[str, bytes], *, full: bool
                     ) -> tuple[list[str], list[str]]:
        """Make `folder` hold exactly `files` (dest -> bytes): (files new or changed, live files
        to delete).

        A full build stages every file; an incremental one only those that differ from the
        live output (the search index names most files by their content, so few do).
        """
        live = [] if full else self.live_files(folder)
        present = set(live)
        changed = []
        for dest, data in files.items():
            if full or dest not in present or self.read(dest) != data:
                self.write(dest, data)
                changed.append(dest)
        removed = [dest for dest in live if dest not in files]
        return changed, removed


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


def _update(tree: Path, removed: Iterable[str], changed: Iterable[str], source: Path) -> None:
    """Make `tree` lack the removed files and hold hard links to source's changed ones
    (removed first: where a file was, a folder may now be, and the other way round)."""
    for dest in removed:
        target = tree / dest
        target.unlink(missing_ok=True)
        _prune_empty_dirs(target.parent, tree)
    made: set[Path] = set()
    for dest in changed:
        target = tree / dest
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.unlink(missing_ok=True)
        _link(source / dest, target)


def _link(source: str | Path, target: str | Path) -> None:
    """Hard-link a file; copy it where the file system has no hard links."""
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(source, target)


def _read_journal(spare: Path) -> tuple[str, list[str], list[str]] | None:
    """(live build id, files changed since, files removed since) noted in a spare."""
    try:
        note = json.loads((spare / MARKER).read_text(encoding="utf-8"))
        live, changed, removed = note["live"], note["changed"], note["removed"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    lists_ok = all(isinstance(d, str) for group in (changed, removed) for d in group)
    if not isinstance(live, str) or not lists_ok:
        return None
    return live, changed, removed


def _keep_spare(old: Path, out: Path, changed: list[str], removed: list[str]) -> None:
    """Keep the tree just replaced as the spare, noting what it lacks of the live output.
    The build has succeeded already: a spare that cannot be kept is simply not kept."""
    spare = out.parent / f".{out.name}{_SPARE}"
    note = {"live": _build_id(out), "changed": changed, "removed": removed}
    try:
        _write_marker(old, json.dumps(note).encode())
        _drop_spare(out)
        os.rename(old, spare)
    except OSError:
        _remove_later(old)


def link_spare(out: Path, live: str | None = None) -> None:
    """Keep a tree of hard links to every live file as the spare (nothing to catch up), so
    that the first incremental build after a full one costs what it changed too. The build
    has succeeded already: where the file system has no hard links, no spare is kept.

    With `live` (in a process of its own, `_link_spare_later`): the build id of the output to
    link; when another build replaced that output before the tree is complete, the tree is
    not kept, and a spare that build kept is left alone.
    """
    tree = out.parent / f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}-spare"
    ours = live is None
    try:
        if live is None:
            live = _build_id(out)
        elif _build_id(out) != live:
            return
        _link_tree(out, tree)
        if _build_id(out) != live:
            raise OSError("the output was replaced while its spare was made")
        ours = True
        _write_marker(tree, json.dumps({"live": live, "changed": [],
                                        "removed": []}).encode())
        _drop_spare(out)
        os.rename(tree, out.parent / f".{out.name}{_SPARE}")
    except OSError:
        if ours:
            _drop_spare(out)
        _remove_later(tree)


def _link_spare_later(out: Path) -> bool:
    """Start `link_spare` for the live output in a process of its own, which outlives this
    one (`python -m ssg.output.spare`); False where it cannot be started so."""
    if not sys.executable:
        return False
    _drop_spare(out)  # a build that comes before the new spare must not take the old one
    package_root = str(Path(__file__).resolve().parent.parent.parent)
    path = os.environ.get("PYTHONPATH")
    env = dict(os.environ, PYTHONPATH=package_root + (os.pathsep + path if path else ""))
    return _in_background([sys.executable, "-m", "ssg.output.spare", str(out), _build_id(out)],
                          env=env)


def _in_background(command: list[str], env: Mapping[str, str] | None = None) -> bool:
    """Start `command` in the background through sh, which exits at once: nothing is left
    to wait for. False where it could not be started (no sh, a fork refused)."""
    if shutil.which("sh") is None:
        return False
    try:
        subprocess.run(["sh", "-c", '"$@" </dev/null >/dev/null 2>&1 &', "sh", *command],
                       stdin=subprocess.DEVNULL, env=env, check=False)
    except OSError:
        return False
    return True


def _link_tree(source: Path, target: Path) -> None:
    """Make `target` a tree of hard links to the files under `source`."""
    os.mkdir(target)
    stack = [(str(source), str(target))]
    while stack:
        folder, copy = stack.pop()
        with os.scandir(folder) as scan:
            for entry in scan:
                made = os.path.join(copy, entry.name)
                if entry.is_dir(follow_symlinks=False):
                    os.mkdir(made)
                    stack.append((entry.path, made))
                else:
                    os.link(entry.path, made, follow_symlinks=False)


def _drop_spare(out: Path) -> None:
    """Delete the spare in the background (first moved aside, so a new one can be kept)."""
    spare = out.parent / f".{out.name}{_SPARE}"
    if spare.exists():
        aside = out.parent / f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}-old"
        try:
            os.rename(spare, aside)
        except OSError:
            return
        _remove_later(aside)


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    """(path relative to root, path) of every file under root, at any depth."""
    for rel, path in _file_paths(str(root)):
        yield rel, Path(path)


def _file_paths(root: str) -> Iterator[tuple[str, str]]:
    """`_files` with the paths as strings."""
    stack = [("", root)]
    while stack:
        rel_dir, folder = stack.pop()
        with os.scandir(folder) as scan:
            for entry in scan:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((rel, entry.path))
                else:
                    yield rel, entry.path


def _remove_stale(out: Path) -> None:
    """Delete the stages and old trees that builds no longer running left beside `out`."""
    prefix = f".{out.name}.tmp-"
    for stale in out.parent.glob(f"{prefix}*"):
        pid = stale.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and pid_alive(int(pid)):
            continue  # another build at work
        if pid.isdigit() and int(pid) == os.getpid() and stale.name.endswith(_REMOVING):
            continue  # our own rm is at work on it: deleting it here too would wait for it
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


def _swap(new: Path, out: Path) -> Path | None:
    """Put `new` where `out` is, in one step where the system allows; returns where the old
    tree is now (None when there was none)."""
    if not out.exists():
        os.rename(new, out)
        return None
    if rename_exchange(new, out):
        return new
    old = new.with_name(new.name + "-old")
    os.rename(out, old)
    try:
        os.rename(new, out)
    except OSError:
        os.rename(old, out)
        raise
    return old


def _remove_later(tree: Path) -> None:
    """Delete the previous output in the background: the new one is already live, and
    deleting ten thousand files takes seconds. A build that finds one left over removes it."""
    if shutil.which("sh") is None or shutil.which("rm") is None:
        _rmtree(tree)
        return
    removing = tree.with_name(tree.name + _REMOVING)
    try:
        os.rename(tree, removing)
        tree = removing
    except OSError:
        pass  # removed under its own name, by rm and by the next build
    if not _in_background(["rm", "-rf", "--", str(tree)]):
        _rmtree(tree)


def rename_exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported.

    Where it returns False the output is swapped with two renames instead (tests replace it
    with `lambda a, b: False` to take that path on Linux too).
    """
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
