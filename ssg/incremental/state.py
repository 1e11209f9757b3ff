"""The build cache that outlives the process: parsed pages, rendered Markdown, output records.

Everything is keyed by content hashes, so a cache can only ever save work, never change a result:
a cache written by another ssg version or library version, or one that cannot be read, is
discarded with one line saying so.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import pickle
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

import jinja2
import markdown
import pygments

from ssg import __version__
from ssg.incremental.fingerprints import OutputState
from ssg.stages.keys import digest_bytes
from ssg.stages.markdown import Content
from ssg.stages.parse import FrontMatter
from ssg.utils import pid_alive

log = logging.getLogger("ssg")

CACHE_DIR = ".ssg-cache"
_FILE = "state.pickle"
_KEY_BYTES = 32
#: Files changed this close to the last cache write are hashed even when their stat matches.
_RACY_NS = 2_000_000_000
#: Bumped whenever the layout of BuildState, or what its parts mean, changes.
_FORMAT = 7
VERSION = (
    f"format {_FORMAT}; ssg {__version__}; markdown {markdown.__version__}; "
    f"jinja2 {jinja2.__version__}; pygments {pygments.__version__}; "
    f"pickle {pickle.HIGHEST_PROTOCOL}"
)


@dataclass
class BuildState:
    """What one build leaves for the next."""

    version: str = VERSION
    #: When the build that saved this state started (ns), for the racy-stat rule: a file whose
    #: mtime is well before it cannot have changed without changing its stat.
    started_ns: int = 0
    #: path -> ((mtime_ns, size, inode), content hash).
    files: dict[str, tuple[tuple[int, int, int], str]] = field(default_factory=dict)
    #: Fingerprint of the settings that parsing depends on (taxonomies).
    parse_key: str = ""
    #: src -> (file hash, front matter, body's first line, first heading) of each source;
    #: bodies are not kept: a source whose Markdown must be rendered again is read again.
    docs: dict[str, tuple[str, FrontMatter, int, str | None]] = field(default_factory=dict)
    #: Fingerprint of the settings that Markdown rendering depends on.
    markdown_key: str = ""
    #: src -> (file hash, rendered content without its texts; those are in ContentStore).
    contents: dict[str, tuple[str, Content]] = field(default_factory=dict)
    #: Output folder -> what it holds.
    outputs: dict[str, OutputState] = field(default_factory=dict)


class FileHashes:
    """Content hashes of files, trusting an unchanged stat only for files not changed lately."""

    def __init__(self, state: BuildState):
        self.old = state.files
        self.trust_before = state.started_ns - _RACY_NS
        self.now: dict[str, tuple[tuple[int, int, int], str]] = {}

    def hash(self, path: str, data: bytes | None = None) -> str:
        """The content hash of a file (reads it only when it may have changed)."""
        known = self.now.get(path)
        if known is not None and data is None:
            return known[1]
        try:
            st = os.stat(path)
        except OSError:
            return "missing"
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


class ContentStore(Mapping[str, Content]):
    """Rendered Markdown by source path: new results in memory, older ones fetched on demand.

    The texts (HTML, summary, table of contents) of earlier builds live in an SQLite file
    beside the state, so a rebuild reads only the texts of the pages it renders again.
    """

    def __init__(self, path: Path | None):
        self.path = path
        self.fresh: dict[str, Content] = {}
        self.stubs: dict[str, Content] = {}
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
            self._connection = sqlite3.connect(self.path, isolation_level=None)
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS texts (src TEXT PRIMARY KEY, fp TEXT, html TEXT, "
                "summary TEXT, toc TEXT)")
            self._pid = os.getpid()
        return self._connection

    def stored(self) -> dict[str, str]:
        """src -> fingerprint of every text on disk (what a stub may be completed with)."""
        if self.path is None or not self.path.exists():
            return {}
        try:
            return dict(self._db().execute("SELECT src, fp FROM texts").fetchall())
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
        stub = self.stubs[src]
        try:
            row = self._db().execute("SELECT fp, html, summary, toc FROM texts WHERE src = ?",
                                     (src,)).fetchone()
        except (sqlite3.Error, OSError):
            row = None
        if row is not None and row[0] == text_fp(stub):
            content = replace(stub, html=row[1], summary=row[2], toc=row[3])
        elif self.recompute is not None:
            content = self.recompute(src)
        else:
            raise KeyError(src)
        self.fresh[src] = content
        return content

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

    def save(self, rendered: dict[str, Content], gone: set[str]) -> None:
        """Store the texts of newly rendered contents; forget those of removed sources."""
        if self.path is None:
            return
        try:
            db = self._db()
            db.execute("BEGIN")
            try:
                db.executemany("INSERT OR REPLACE INTO texts VALUES (?, ?, ?, ?, ?)",
                               [(src, text_fp(c), c.html, c.summary, c.toc)
                                for src, c in rendered.items()])
                db.executemany("DELETE FROM texts WHERE src = ?", [(src,) for src in gone])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OSError) as exc:
            # Texts missing from the file are rendered again next time: nothing goes wrong.
            log.warning("cache %s could not be written (%s)", self.path, exc)

    def close(self) -> None:
        """Close the database connection (the store stays usable: it reopens on demand)."""
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None


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


def _signing_key() -> bytes | None:
    """This user's secret for signing caches, made on first use (None if it cannot be kept).

    A cache is a pickle, and unpickling runs code: a `.ssg-cache/` that came with a cloned
    repository must never be loaded. Only caches signed with this key are.
    """
    root = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "ssg"
    path = root / "cache-key"
    try:
        key = path.read_bytes()
        if len(key) == _KEY_BYTES:
            return key
    except OSError:
        pass
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f"cache-key.tmp-{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as stream:
            stream.write(secrets.token_bytes(_KEY_BYTES))
        os.link(tmp, path)  # the first of two racing builds wins; both then read its key
        tmp.unlink()
        return path.read_bytes()
    except FileExistsError:
        tmp.unlink(missing_ok=True)
        return path.read_bytes()
    except OSError:
        return None


def _sign(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _write_state(stream: BinaryIO, key: bytes, data: bytes) -> None:
    """The signature, then the pickled state."""
    stream.write(_sign(key, data))
    stream.write(data)


def load_state(site_dir: Path) -> BuildState:
    """The saved state, or an empty one (saying why when a cache was there but unusable)."""
    path = cache_file(site_dir)
    key = _signing_key()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return BuildState()
    except OSError as exc:
        log.warning("cache %s could not be read (%s); discarded, doing a full build",
                    path, exc.strerror)
        return BuildState()
    signature, data = raw[: hashlib.sha256().digest_size], raw[hashlib.sha256().digest_size :]
    if key is None or not hmac.compare_digest(signature, _sign(key, data)):
        log.warning("cache %s was not written by ssg for this user; discarded, doing a full "
                    "build", path)
        return BuildState()
    try:
        state = pickle.loads(data)  # noqa: S301 - signed by this user's ssg, see _signing_key
    except Exception as exc:  # a truncated or corrupted file can fail in many ways
        log.warning("cache %s could not be read (%s); discarded, doing a full build",
                    path, type(exc).__name__)
        return BuildState()
    if not isinstance(state, BuildState) or state.version != VERSION:
        log.warning("cache %s is from another ssg version; discarded, doing a full build", path)
        return BuildState()
    return state


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
        key = _signing_key()
        if key is None:
            log.warning("cache not written: no place for ssg's key in %s", Path.home())
            return
        data = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        with tmp.open("wb") as stream:
            _write_state(stream, key, data)
        os.replace(tmp, path)
    except (OSError, RecursionError) as exc:
        log.warning("cache could not be written (%s); the next build will be a full one",
                    getattr(exc, "strerror", None) or exc)
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
