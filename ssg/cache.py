"""The build cache that outlives the process: parsed pages, rendered Markdown, output records.

Everything is keyed by content hashes, so a cache can only ever save work, never change a result:
a cache written by another ssg version or library version, or one that cannot be read, is
discarded with one line saying so.
"""

from __future__ import annotations

import logging
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import markdown
import pygments

from ssg import __version__
from ssg.content import FrontMatter
from ssg.deps import digest_bytes
from ssg.incremental import OutputState
from ssg.markup import Content

log = logging.getLogger("ssg")

CACHE_DIR = ".ssg-cache"
_FILE = "state.pickle"
#: Files changed this close to the last cache write are hashed even when their stat matches.
_RACY_NS = 2_000_000_000
#: Bumped whenever the layout of BuildState changes.
_FORMAT = 2
VERSION = (
    f"format {_FORMAT}; ssg {__version__}; markdown {markdown.__version__}; jinja2 {jinja2.__version__}; "
    f"pygments {pygments.__version__}; pickle {pickle.HIGHEST_PROTOCOL}"
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
    #: src -> (file hash, front matter, body, body's first line) of each parsed source.
    docs: dict[str, tuple[str, FrontMatter, str, int]] = field(default_factory=dict)
    #: Fingerprint of the settings that Markdown rendering depends on.
    markdown_key: str = ""
    #: src -> (file hash, rendered content).
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


def cache_file(site_dir: Path) -> Path:
    """Where a site's cache lives."""
    return site_dir / CACHE_DIR / _FILE


def load_state(site_dir: Path) -> BuildState:
    """The saved state, or an empty one (saying why when a cache was there but unusable)."""
    path = cache_file(site_dir)
    try:
        with path.open("rb") as stream:
            state = pickle.load(stream)
    except FileNotFoundError:
        return BuildState()
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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{_FILE}.tmp-{os.getpid()}")
        with tmp.open("wb") as stream:
            pickle.dump(state, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cache could not be written (%s); the next build will be a full one",
                    exc.strerror or exc)
