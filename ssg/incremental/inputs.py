"""The no-change shortcut: a build whose inputs are all as the last build read them does nothing.

After each successful build with the on-disk cache, `save_inputs` writes a small manifest
(`.ssg-cache/inputs.json`, data only) of every file under the folders a build reads (content,
templates, static, data, assets, the theme, ssg's built-in templates): its path relative to
the site, its stat signature and its content hash, with the settings' fingerprint, the output
folder's marker, the window of time in which no page's `date` or `expires` changes what is
published, and the warnings the build gave. The next build first asks `unchanged_build`: when
the settings, the marker and the set of files are the same, the time is inside the window and
every file's bytes are the same (by stat where that is trusted, else by hash, so a `git
checkout` that only touched mtimes still counts as no change), the output folder is already
what a build would write, and the build stops there, repeating the warnings. Anything else
(or a manifest that cannot be read) takes the normal build, which checks everything.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from ssg.config import Config
from ssg.incremental.checked import (
    Invalid,
    as_dict,
    as_int,
    as_list,
    as_opt_int,
    as_text,
    texts,
)
from ssg.incremental.records import FileRecord, Paths
from ssg.incremental.state import CACHE_DIR, VERSION, cache_file, texts_file
from ssg.output.writer import output_build_id
from ssg.stages.data import DATA_DIR
from ssg.stages.keys import digest_bytes
from ssg.stages.languages import I18N_DIR
from ssg.stages.lookup import template_dirs
from ssg.stages.parse import FrontMatter

log = logging.getLogger("ssg")

_FILE = "inputs.json"
#: Bumped whenever what the manifest holds, or what it means, changes.
_FORMAT = 1
#: Files changed this close to the build's start are hashed even when their stat matches.
_RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class Unchanged:
    """What the last build made, when nothing it read has changed since."""

    pages: int
    files: int
    #: The warnings that build gave, to be given again.
    warnings: tuple[str, ...]
    #: dest -> origin of every file of the site.
    origins: dict[str, str]


def input_roots(config: Config) -> list[Path]:
    """The folders whose files a build may read."""
    site = config.site_dir
    roots = [config.content_dir, *template_dirs(config), site / "static", site / DATA_DIR,
             site / "assets", site / I18N_DIR, *config.themes, site / "content"]
    unique: list[Path] = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def _walk(roots: Iterable[Path]) -> dict[str, os.stat_result] | None:
    """path -> stat of every file under the roots; None when a folder is a symlink (what it
    holds could change unseen) or a folder cannot be read."""
    found: dict[str, os.stat_result] = {}
    stack = [str(root) for root in roots if root.is_dir()]
    seen: set[str] = set()
    try:
        while stack:
            folder = stack.pop()
            if folder in seen:
                continue  # one root inside another
            seen.add(folder)
            with os.scandir(folder) as scan:
                for entry in scan:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_symlink():
                        if os.path.isdir(entry.path):
                            return None
                        found[entry.path] = os.stat(entry.path)
                    else:
                        found[entry.path] = entry.stat(follow_symlinks=False)
    except OSError:
        return None
    return found


def visibility_window(fronts: Iterable[FrontMatter], now: datetime
                      ) -> tuple[int | None, int | None]:
    """(lo, hi) in ns: while lo <= now < hi, no page's `date` or `expires` falls between the
    build's `now` and the current one, so the same pages are published (None: no bound)."""
    at = _ns(now)
    lo: int | None = None
    hi: int | None = None
    for front in fronts:
        for moment in (front.date, front.expires):
            if moment is None:
                continue
            t = _ns(moment)
            if t <= at:
                lo = t if lo is None else max(lo, t)
            else:
                hi = t if hi is None else min(hi, t)
    return lo, hi


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _cache_stats(site_dir: Path) -> list[list[int] | None]:
    """The stat signatures of the cache's other files: a cache changed since the manifest
    was written (corrupted, replaced) takes the normal build, which checks it."""
    stats: list[list[int] | None] = []
    for path in (cache_file(site_dir), texts_file(site_dir)):
        try:
            st = path.stat()
        except OSError:
            stats.append(None)
            continue
        stats.append([st.st_mtime_ns, st.st_size, st.st_ino])
    return stats


def manifest_file(site_dir: Path) -> Path:
    """Where the manifest of a site's inputs lives."""
    return site_dir / CACHE_DIR / _FILE


def discard_inputs(site_dir: Path) -> None:
    """Forget the manifest (a build that cannot vouch for its inputs)."""
    try:
        manifest_file(site_dir).unlink(missing_ok=True)
    except OSError:
        pass


def save_inputs(config: Config, settings: str, *, started_ns: int, read: Mapping[str, FileRecord],
                fronts: Iterable[FrontMatter], now: datetime, warnings: Iterable[str],
                pages: int, origins: Mapping[str, str]) -> None:
    """Write the manifest of what a build that just succeeded read (`read`: the files it
    hashed, by path). A file it did not hash is recorded only when it is older than the build;
    one changed while the build ran leaves no manifest (the next build checks everything)."""
    path = manifest_file(config.site_dir)
    roots = input_roots(config)
    walked = _walk(roots)
    build_id = output_build_id(config)
    if walked is None or not build_id:
        discard_inputs(config.site_dir)
        return
    trust_before = started_ns - _RACY_NS
    files: dict[str, FileRecord] = {}
    for name, st in walked.items():
        known = read.get(name)
        if known is not None:
            files[name] = known
            continue
        if not stat.S_ISREG(st.st_mode) or st.st_mtime_ns >= trust_before:
            discard_inputs(config.site_dir)
            return
        try:
            data = Path(name).read_bytes()
        except OSError:
            discard_inputs(config.site_dir)
            return
        files[name] = ((st.st_mtime_ns, st.st_size, st.st_ino), digest_bytes(data))
    for name, known in read.items():  # read by the build, gone from the folders since
        files.setdefault(name, known)
    paths = Paths(config.site_dir)
    lo, hi = visibility_window(fronts, now)
    data_out = {
        "format": _FORMAT, "version": VERSION, "settings": settings,
        "output": paths.to_data(str(config.output_dir)), "build_id": build_id,
        "started_ns": started_ns, "window": [lo, hi],
        "roots": [paths.to_data(str(root)) for root in roots],
        "files": [[paths.to_data(name), *sig, file_hash]
                  for name, (sig, file_hash) in sorted(files.items())],
        "warnings": list(warnings), "pages": pages, "origins": dict(origins),
        "cache": _cache_stats(config.site_dir),
    }
    tmp = path.with_name(f"{_FILE}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(orjson.dumps(data_out))
        os.replace(tmp, path)
    except (OSError, TypeError):  # orjson.JSONEncodeError is a TypeError
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def unchanged_build(config: Config, settings: str, now: datetime) -> Unchanged | None:
    """What the last build made, when every input is as it read them and the output folder
    is as it left it; else None (the normal build follows)."""
    try:
        raw = manifest_file(config.site_dir).read_bytes()
    except OSError:
        return None
    try:
        data = as_dict(orjson.loads(raw))
        if data.get("format") != _FORMAT or data.get("version") != VERSION:
            return None
        return _check(data, config, settings, now)
    except (Invalid, ValueError, KeyError, TypeError, RecursionError):
        return None  # not what ssg writes: the normal build checks everything


def _check(data: dict[str, Any], config: Config, settings: str, now: datetime
           ) -> Unchanged | None:
    paths = Paths(config.site_dir)
    if (as_text(data["settings"]) != settings
            or paths.from_data(data["output"]) != str(config.output_dir)):
        return None
    build_id = as_text(data["build_id"])
    if not build_id or build_id != output_build_id(config):
        return None
    if as_list(data["cache"]) != _cache_stats(config.site_dir):
        return None
    lo, hi = (as_opt_int(v) for v in as_list(data["window"], 2))
    at = _ns(now)
    if (lo is not None and at < lo) or (hi is not None and at >= hi):
        return None
    roots = input_roots(config)
    if [paths.from_data(r) for r in as_list(data["roots"])] != [str(r) for r in roots]:
        return None
    walked = _walk(roots)
    if walked is None:
        return None
    trust_before = as_int(data["started_ns"]) - _RACY_NS
    stored = as_list(data["files"])
    inside = 0
    for item in stored:
        rel, mtime, size, ino, file_hash = as_list(item, 5)
        name = paths.from_data(rel)
        st = walked.get(name)
        if st is None:
            if _under(name, roots):
                return None  # deleted
            try:
                st = os.stat(name)
            except OSError:
                return None
        else:
            inside += 1
        if not _same(name, st, (as_int(mtime), as_int(size), as_int(ino)), as_text(file_hash),
                     trust_before):
            return None
    if inside != len(walked):
        return None  # a file was added
    origins = as_dict(data["origins"])
    for dest, origin in origins.items():
        as_text(dest), as_text(origin)
    return Unchanged(pages=as_int(data["pages"]), files=len(origins),
                     warnings=tuple(texts(data["warnings"])), origins=origins)


def _under(name: str, roots: list[Path]) -> bool:
    return any(name.startswith(str(root) + os.sep) for root in roots)


def _same(name: str, st: os.stat_result, sig: tuple[int, int, int], file_hash: str,
          trust_before: int) -> bool:
    """True when the file still has the recorded bytes: by its stat when the stat is the
    recorded one and older than the racy window, else by hashing it."""
    if not stat.S_ISREG(st.st_mode):
        return False
    if (st.st_mtime_ns, st.st_size, st.st_ino) == sig and sig[0] < trust_before:
        return True
    if st.st_size != sig[1]:
        return False
    try:
        return digest_bytes(Path(name).read_bytes()) == file_hash
    except OSError:
        return False


def replay(warnings: Iterator[str] | tuple[str, ...]) -> None:
    """Give the warnings of the build whose output is kept again."""
    for message in warnings:
        log.warning("%s", message)
