"""The build cache that outlives the process: parsed pages, rendered Markdown, output records.

The cache is data only (`state.json`, and in an SQLite file of plain text columns the texts of
rendered Markdown and of search records), written and checked by ssg.incremental.records:
reading it runs no code, so a cache restored in CI, by another user or into another folder is
used. It holds paths relative to the site, and file contents are known by their hashes: a
file's stat is only a shortcut on the machine that wrote the cache; when the stat differs, the
file is hashed and compared. A cache can only ever save work, never change a result: one
written by another ssg version or library version, or one that cannot be read, is discarded
with one line saying so.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
import markdown
import orjson
import pygments

from ssg import __version__
from ssg.incremental.checked import Invalid
from ssg.incremental.pieces import write_json
from ssg.incremental.records import (
    FORMAT,
    BuildState,
    FileRecord,
    Paths,
    state_from_data,
    state_to_data,
    stored_version,
)
from ssg.stages.keys import digest_bytes
from ssg.stages.markdown import Content, Contents
from ssg.stages.search_text import (
    ALPHABET,
    TEXT_FIELDS,
    RecordLost,
    SearchRecord,
    StoredRecord,
    record_fp,
)
from ssg.utils import pid_alive

__all__ = ["CACHE_DIR", "VERSION", "BuildState", "ContentStore", "FileHashes", "SearchTexts",
           "cache_file", "load_state", "save_state", "stub", "text_fp", "texts_file"]

log = logging.getLogger("ssg")

#: Texts a store that does not `keep` them holds after reading (the most recent): an output
#: reads its page's body several times (table of contents, word count, HTML, search record).
_RECENT = 64

CACHE_DIR = ".ssg-cache"
_FILE = "state.json"
#: Files changed this close to the last cache write are hashed even when their stat matches.
_RACY_NS = 2_000_000_000
#: What the cached products depend on besides the inputs: a change discards the cache.
VERSION = (
    f"ssg {__version__}; markdown {markdown.__version__}; jinja2 {jinja2.__version__}; "
    f"pygments {pygments.__version__}"
)


class FileHashes:
    """Content hashes of files, trusting an unchanged stat only for files not changed lately."""

    def __init__(self, state: BuildState):
        self.old = state.files
        self.trust_before = state.started_ns - _RACY_NS
        self.now: dict[str, FileRecord] = {}

    def hash(self, path: str, data: bytes | None = None) -> str:
        """The content hash of a file (reads it only when it may have changed)."""
        known = self.now.get(path)
        if known is not None and data is None:
            return known[1]
        try:
            st = os.stat(path)
        except OSError:
            return "missing"
        if not stat.S_ISREG(st.st_mode):
            return "missing"  # a pipe or a device (named by a hostile cache) is never read
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        old = self.old.get(path)
        if data is None and old is not None and old[0] == sig and sig[0] < self.trust_before:
            value = old[1]
        else:
            if data is None:
                try:
                    data = Path(path).read_bytes()
                except OSError:
                    return "missing"
            value = digest_bytes(data)
        self.now[path] = (sig, value)
        return value

    def unchanged(self, path: str) -> str | None:
        """The hash of a file whose stat is trusted unchanged, without reading it; else None."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        old = self.old.get(path)
        if old is not None and old[0] == sig and sig[0] < self.trust_before:
            self.now[path] = old
            return old[1]
        return None


class ContentStore(Contents):
    """Rendered Markdown by source path: new results in memory, older ones fetched on demand.

    The texts (HTML, summary, table of contents) of earlier builds live in an SQLite file
    beside the state, so a rebuild reads only the texts of the pages it renders again.
    """

    def __init__(self, path: Path | None, *, keep: bool = True):
        self.path = path
        #: Keep texts in memory once saved or read; else (a one-off build, whose texts would
        #: be most of its memory) a text saved to the file is read from it when needed.
        self.keep = keep or path is None
        #: Sources whose texts `take` saved already.
        self.saved: set[str] = set()
        self.fresh: dict[str, Content] = {}
        self.stubs: dict[str, Content] = {}
        #: Without `keep`: the last contents read from the file, oldest first.
        self.recent: dict[str, Content] = {}
        #: Renders a content again when its texts vanished from the file (another build
        #: sharing the cache may have replaced them meanwhile).
        self.recompute: Callable[[str], Content] | None = None
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    def _db(self) -> sqlite3.Connection:
        # A connection must not cross a fork: each worker process opens its own.
        if self._connection is None or self._pid != os.getpid():
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = _connect(self.path, _TEXTS_TABLE)
            self._pid = os.getpid()
        return self._connection

    def stored(self) -> dict[str, str]:
        """src -> fingerprint of every text on disk (what a stub may be completed with)."""
        if self.path is None or not self.path.exists():
            return {}
        try:
            rows = self._db().execute("SELECT src, fp FROM texts").fetchall()
            return {src: fp for src, fp in rows if isinstance(src, str) and isinstance(fp, str)}
        except (sqlite3.Error, OSError) as exc:
            log.warning("cache %s could not be read (%s); discarded", self.path, exc)
            self.close()
            try:
                self.path.unlink(missing_ok=True)
            except OSError:
                pass
            return {}

    def __getitem__(self, src: str) -> Content:
        content = self.fresh.get(src)
        if content is not None:
            return content
        content = self.recent.get(src)
        if content is not None:
            return content
        stub = self.stubs[src]
        try:
            row = self._db().execute("SELECT fp, html, summary, toc FROM texts WHERE src = ?",
                                     (src,)).fetchone()
        except (sqlite3.Error, OSError):
            row = None
        if (row is not None and row[0] == text_fp(stub)
                and all(isinstance(text, str) for text in row[1:])):
            content = replace(stub, html=row[1], summary=row[2], toc=row[3])
        elif self.recompute is not None:
            content = self.recompute(src)
        else:
            raise KeyError(src)
        if self.keep:
            self.fresh[src] = content
        else:
            if len(self.recent) >= _RECENT:
                del self.recent[next(iter(self.recent))]
            self.recent[src] = content
        return content

    def fields(self, src: str) -> Content:
        """src's content without reading its texts when they are not in memory (html and toc
        may then be empty; the summary is there when this build rendered src)."""
        content = self.fresh.get(src) or self.recent.get(src)
        if content is not None:
            return content
        stub = self.stubs.get(src)
        return stub if stub is not None else self[src]

    def summary(self, src: str) -> str:
        """src's summary: kept in memory for what this build rendered, else read."""
        if src in self.saved and src not in self.fresh:
            return self.stubs[src].summary
        return self[src].summary

    def get(self, src: str, default: Any = None) -> Any:
        """The content of src, or default when there is none."""
        try:
            return self[src]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(set(self.fresh) | set(self.stubs))

    def __len__(self) -> int:
        return len(set(self.fresh) | set(self.stubs))

    def take(self, rendered: list[tuple[str, Content]]) -> list[tuple[str, Content, bool]]:
        """Where a batch was rendered: (src, content, taken) for each; not `keep`, its texts
        are saved to the file at once and the contents come without them but the summary,
        which is small and read by every list that shows the page (taken)."""
        if not self.keep and self._write(rendered, ()):
            return [(src, replace(content, html="", toc=""), True) for src, content in rendered]
        return [(src, content, False) for src, content in rendered]

    def taken(self, batch: list[tuple[str, Content, bool]]) -> list[tuple[str, Content, bool]]:
        """In the build's process: note the contents whose texts `take` saved (`saved`)."""
        for src, content, was_taken in batch:
            if was_taken:
                self.recent.pop(src, None)
                self.stubs[src] = content
                self.saved.add(src)
        return batch

    def save(self, rendered: dict[str, Content], gone: set[str]) -> None:
        """Store the texts of newly rendered contents (those `take` saved already are
        skipped); forget those of removed sources."""
        if self.path is not None:
            self._write([(src, c) for src, c in rendered.items() if src not in self.saved],
                        gone)

    def _write(self, rendered: list[tuple[str, Content]], gone: Iterable[str]) -> bool:
        try:
            db = self._db()
            db.execute("BEGIN")
            try:
                db.executemany("INSERT OR REPLACE INTO texts VALUES (?, ?, ?, ?, ?)",
                               [(src, text_fp(c), c.html, c.summary, c.toc)
                                for src, c in rendered])
                db.executemany("DELETE FROM texts WHERE src = ?", [(src,) for src in gone])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OSError) as exc:
            # Texts missing from the file are rendered again next time: nothing goes wrong.
            log.warning("cache %s could not be written (%s)", self.path, exc)
            return False
        return True

    def close(self) -> None:
        """Close the database connection (the store stays usable: it reopens on demand)."""
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None


#: Where the texts of rendered Markdown are kept, by source.
_TEXTS_TABLE = ("CREATE TABLE IF NOT EXISTS texts (src TEXT PRIMARY KEY, fp TEXT, html TEXT, "
                "summary TEXT, toc TEXT)")
#: Where the texts of search records are kept, by record fp.
_SEARCH_TABLE = ("CREATE TABLE IF NOT EXISTS search (fp TEXT PRIMARY KEY, title TEXT, "
                 "excerpt TEXT, terms TEXT, weights TEXT)")
#: Records fetched one by one before the rest of the table is read at once (an index made
#: whole needs every record; an edit needs those of a few pages).
_ONE_BY_ONE = 32
#: Deletes every letter a weight may be: what is left is not a weight.
_NOT_WEIGHTS = str.maketrans("", "", ALPHABET)


class SearchTexts:
    """The texts of the search records of the on-disk cache (the `search` table of its SQLite
    file), read for StoredRecords when the index needs them."""

    def __init__(self, path: Path):
        self.path = path
        self._rows: dict[str, tuple[Any, ...]] | None = None
        self._fetched = 0
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    def _db(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            self._connection = _connect(self.path, _SEARCH_TABLE)
            self._pid = os.getpid()
        return self._connection

    def fetch(self, record: StoredRecord) -> dict[str, str]:
        fp = record["fp"]
        try:
            if self._rows is None and self._fetched >= _ONE_BY_ONE:
                self._rows = {row[0]: row[1:] for row in self._db().execute(
                    "SELECT fp, title, excerpt, terms, weights FROM search")}
            if self._rows is not None:
                row = self._rows.get(str(fp))
            else:
                self._fetched += 1
                found = self._db().execute(
                    "SELECT title, excerpt, terms, weights FROM search WHERE fp = ?",
                    (fp,)).fetchone()
                row = tuple(found) if found is not None else None
        except (sqlite3.Error, OSError) as exc:
            raise RecordLost(str(exc)) from exc
        if row is None or not all(type(text) is str for text in row):
            raise RecordLost(f"no texts for the search record of {record['url']}")
        texts = dict(zip(TEXT_FIELDS, row, strict=True))
        terms, weights = texts["terms"], texts["weights"]
        if ((terms.count(" ") + 1 if terms else 0) != len(weights)
                or weights.translate(_NOT_WEIGHTS)
                or record_fp({**record, **texts}) != fp):
            raise RecordLost(f"the search record of {record['url']} is not what was stored")
        return texts


def save_search_texts(path: Path, records: list[SearchRecord]) -> bool:
    """Store the texts of the records made since the cache was read (a StoredRecord's are
    there already); False when the file cannot be written."""
    fresh = {str(record["fp"]): record for record in records
             if not isinstance(record, StoredRecord)}
    try:
        db = _connect(path, _SEARCH_TABLE)
        try:
            db.execute("BEGIN")
            db.executemany("INSERT OR REPLACE INTO search VALUES (?, ?, ?, ?, ?)",
                           [(fp, *(record[name] for name in TEXT_FIELDS))
                            for fp, record in fresh.items()])
            db.execute("COMMIT")
        finally:
            db.close()
    except (sqlite3.Error, OSError) as exc:
        log.warning("cache %s could not be written (%s)", path, exc)
        return False
    return True


def forget_search_texts(path: Path, records: list[SearchRecord]) -> None:
    """Delete the texts no record of the state names any more."""
    keep = {record["fp"] for record in records}
    try:
        db = _connect(path, _SEARCH_TABLE)
        try:
            gone = [(fp,) for (fp,) in db.execute("SELECT fp FROM search") if fp not in keep]
            if gone:
                db.executemany("DELETE FROM search WHERE fp = ?", gone)
        finally:
            db.close()
    except (sqlite3.Error, OSError):
        pass  # rows left over cost only room


def _connect(path: Path, schema: str) -> sqlite3.Connection:
    """A connection to the cache's SQLite file (autocommit), with the table `schema` makes."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(schema)
    return connection


def stub(content: Content) -> Content:
    """A content without its texts, as kept in the state."""
    return replace(content, html="", summary="", toc="")


def text_fp(content: Content) -> str:
    """Identifies a content's texts (kept with them in the store)."""
    return f"{content.body_fp}:{content.summary_fp}"


def cache_file(site_dir: Path) -> Path:
    """Where a site's cache lives."""
    return site_dir / CACHE_DIR / _FILE


def texts_file(site_dir: Path) -> Path:
    """Where a site's cached Markdown texts live."""
    return site_dir / CACHE_DIR / "texts.sqlite"


def load_state(site_dir: Path) -> BuildState:
    """The saved state, or an empty one (saying why when a cache was there but unusable)."""
    path = cache_file(site_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return BuildState()
    except OSError as exc:
        log.warning("cache %s could not be read (%s); discarded, doing a full build",
                    path, exc.strerror)
        return BuildState()
    try:
        # orjson rejects NaN and Infinity, and reads no code: data only, 2x as fast as json.
        data = orjson.loads(raw)
    except (ValueError, RecursionError) as exc:  # orjson.JSONDecodeError is a ValueError
        log.warning("cache %s could not be read (%s); discarded, doing a full build",
                    path, type(exc).__name__)
        return BuildState()
    if stored_version(data) != (FORMAT, VERSION):
        log.warning("cache %s is from another ssg version or format; discarded, doing a "
                    "full build", path)
        return BuildState()
    try:
        return state_from_data(data, Paths(site_dir), SearchTexts(texts_file(site_dir)))
    except (Invalid, KeyError, ValueError, TypeError, RecursionError) as exc:
        log.warning("cache %s holds data ssg did not write (%s); discarded, doing a full "
                    "build", path, exc)
        return BuildState()


def encode_state(site_dir: Path, state: BuildState, write: Callable[[bytes], Any]) -> None:
    """Write the state as the bytes of state.json, piece by piece (ValueError: a value JSON
    cannot hold)."""
    write_json(state_to_data(state, Paths(site_dir), VERSION), write)


def save_state(site_dir: Path, state: BuildState) -> None:
    """Write the state atomically (a killed write leaves the old cache or none)."""
    path = cache_file(site_dir)
    tmp = path.with_name(f"{_FILE}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f"{_FILE}.tmp-*"):
            pid = stale.name.rsplit("-", 1)[-1]
            if not (pid.isdigit() and pid_alive(int(pid))):
                stale.unlink(missing_ok=True)  # left by a build killed while saving
        records = [record for output in state.outputs.values()
                   for record in output.search.values()]
        # The texts first: a state on disk never names records whose texts are not there.
        if not save_search_texts(texts_file(site_dir), records):
            state = replace(state, outputs={})  # the next build renders every output again
        with tmp.open("wb") as out:
            encode_state(site_dir, state, out.write)
        os.replace(tmp, path)
        forget_search_texts(texts_file(site_dir), records)
        (path.parent / "state.pickle").unlink(missing_ok=True)  # ssg 0.1's signed pickle
    except (OSError, RecursionError, ValueError) as exc:
        log.warning("cache could not be written (%s); the next build will be a full one",
                    getattr(exc, "strerror", None) or exc)
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
