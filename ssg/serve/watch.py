"""Watch the site's sources with watchdog and hand over each burst of changes as one batch.

An editor's save is several events (a temporary file written, renamed over the original, its
backup deleted), and `git checkout` of 500 files is a thousand; the dev server must rebuild
once for each, not hundreds of times. Events are collected until no new one has come for
`quiet` seconds, then returned together by `next_batch()`. Events that arrive while the
caller is busy (rebuilding) wait for its next call, so the last change always gets a rebuild.

Where the system says when a file written is closed (inotify, on Linux), a batch also waits
(up to MAX_WAIT) until every file written in it is closed: a save that truncates the file and
then writes it (most editors) is never built half-written.

A save after a pause (the usual case: a writer saves, reads, saves again) waits only `settled`
seconds once the file is closed after writing or renamed into place, the last event of a save;
within a burst of changes the full quiet time applies.
"""

from __future__ import annotations

import fnmatch
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

#: Seconds without a new event after which a burst of changes counts as finished.
QUIET = 0.05
#: Seconds to wait after a save's last event (a file closed after writing, or renamed into
#: place) when it follows a pause of IDLE seconds since the last batch.
SETTLED = 0.005
IDLE = 0.5
#: A stream of changes that never goes quiet is still handed over this often (seconds).
MAX_WAIT = 1.0

#: Folders whose contents are never sources (version control, caches).
_NOISE_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".ssg-cache", "node_modules"})
#: Editors' swap, backup, lock and temporary files (Vim, Emacs, JetBrains, downloads).
_NOISE_NAMES = ("*.swp", "*.swx", "*.swo", "*.swn", "*~", "4913", ".#*", "#*#", "*.tmp",
                "*___jb_tmp___", "*___jb_old___", ".DS_Store", "*.part", "*.crdownload")
#: The event types that can change what a build reads (attribute changes, opening a file
#: and closing it unwritten cannot; a folder's "modified" only repeats its entries' events).
_CHANGES = frozenset({EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED,
                      EVENT_TYPE_MOVED, EVENT_TYPE_CLOSED})


def is_noise(path: str) -> bool:
    """True for files no build reads: editor swap and backup files, version control folders."""
    parts = path.replace("\\", "/").split("/")
    if _NOISE_DIRS.intersection(parts[:-1]):
        return True
    name = parts[-1]
    return name in _NOISE_DIRS or any(fnmatch.fnmatchcase(name, pattern)
                                      for pattern in _NOISE_NAMES)


class Watcher:
    """Watches folders (and their subfolders) and queues the relevant paths that change.

    `relevant(path)` decides which paths count; noise (see `is_noise`) never does. With
    `poll`, watchdog's PollingObserver replaces the native one (for network and container
    file systems that send no events).
    """

    def __init__(self, relevant: Callable[[Path], bool], *, poll: bool = False,
                 quiet: float = QUIET, max_wait: float = MAX_WAIT):
        self._relevant = relevant
        self._quiet = quiet
        self._max_wait = max_wait
        self._observer: BaseObserver = PollingObserver() if poll else Observer()
        self._reports_closes = type(self._observer).__name__ == "InotifyObserver"
        #: Files written whose closing has not been reported yet.
        self._writing: set[Path] = set()
        self._handler = _Handler(self._add)
        self._watches: dict[tuple[Path, bool], tuple[ObservedWatch, int]] = {}
        self._cond = threading.Condition()
        self._pending: set[Path] = set()
        self._first = 0.0
        self._last = 0.0
        self._handed = 0.0
        self._saved = False
        self._started = False

    def start(self) -> None:
        """Start the observer thread."""
        self._observer.start()
        self._started = True

    def stop(self) -> None:
        """Stop the observer and wait for its threads to end."""
        if self._started:
            self._observer.stop()
            self._observer.join()
            self._started = False

    def watch(self, recursive: Iterable[Path], shallow: Iterable[Path] = ()) -> None:
        """Watch exactly these folders from now on: `recursive` ones with all their
        subfolders, `shallow` ones for their own entries. Missing folders are skipped (watch
        their parent to notice them appear)."""
        wanted = {(path, True) for path in recursive} | {(path, False) for path in shallow}
        for key, (handle, inode) in list(self._watches.items()):
            if key not in wanted or _inode(key[0]) != inode:  # gone, or deleted and made anew
                del self._watches[key]
                try:
                    self._observer.unschedule(handle)
                except KeyError:
                    pass  # its emitter already stopped with the folder
        for key in sorted(wanted - set(self._watches)):
            path, deep = key
            found = _inode(path)
            if found is None:
                continue
            try:
                handle = self._observer.schedule(self._handler, str(path), recursive=deep)
            except OSError:
                continue  # gone meanwhile: its parent's watch reports it if it returns
            self._watches[key] = (handle, found)

    @property
    def folders(self) -> list[Path]:
        """The folders being watched."""
        return sorted(path for path, _deep in self._watches)

    def next_batch(self, timeout: float | None = None) -> set[Path] | None:
        """Wait for changes, then for a quiet moment; return the paths changed meanwhile
        (None when `timeout` seconds pass without any)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._cond.wait(left)
            while True:
                now = time.monotonic()
                quiet = (SETTLED if self._saved and self._first - self._handed >= IDLE
                         else self._quiet)
                settle = self._last + quiet
                if self._writing & self._pending:
                    settle = max(settle, self._first + self._max_wait)
                settle = min(settle, self._first + self._max_wait)
                if now >= settle:
                    break
                self._cond.wait(settle - now)
            batch, self._pending = self._pending, set()
            self._handed = time.monotonic()
            return batch

    def changed_since(self, moment: float) -> bool:
        """True when a relevant change has come since `moment` (time.monotonic()) and is
        waiting for the next batch."""
        with self._cond:
            return bool(self._pending) and self._last >= moment

    def add(self, paths: Iterable[Path]) -> None:
        """Queue paths as changed (used for changes found without an event)."""
        for path in paths:
            self._add(path, force=True)

    def _add(self, path: Path, *, force: bool = False, kind: str = "") -> None:
        if not force and (is_noise(str(path)) or not self._relevant(path)):
            return
        # A save's last event: its file closed after writing, or renamed into place.
        saved = kind in (EVENT_TYPE_CLOSED, EVENT_TYPE_MOVED)
        with self._cond:
            if kind == EVENT_TYPE_MODIFIED and self._reports_closes:
                self._writing.add(path)
            elif kind:
                self._writing.discard(path)
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._pending.add(path)
            self._last = now
            self._saved = saved
            self._cond.notify_all()


def _inode(path: Path) -> int | None:
    """The folder's inode, None if it is not a folder."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino if path.is_dir() else None


class _Handler(FileSystemEventHandler):
    """Turns watchdog events into changed paths (both ends of a move)."""

    def __init__(self, add: Callable[..., None]):
        super().__init__()
        self._add = add

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGES:
            return
        if event.is_directory and event.event_type in (EVENT_TYPE_MODIFIED, EVENT_TYPE_CLOSED):
            return
        for raw in (event.src_path, event.dest_path):
            if raw:
                self._add(Path(os.fsdecode(raw)), kind=event.event_type)


def modified_since(started_ns: int, files: Iterable[Path], folders: Iterable[Path]
                   ) -> list[Path]:
    """The `files`, and the files in `folders`, modified at or after `started_ns` (changes
    made before a watcher ran)."""
    candidates = list(files)
    for root in folders:
        for folder, dirnames, filenames in os.walk(root):
            dirnames.sort()
            candidates.extend(Path(folder) / name for name in filenames)
    found = []
    for path in candidates:
        try:
            if path.stat().st_mtime_ns >= started_ns:
                found.append(path)
        except OSError:
            continue
    return found
