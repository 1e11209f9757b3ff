"""Small pure helpers shared by the stages: slugs, URL paths, timing."""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from posixpath import normpath

_NON_WORD = re.compile(r"[^\w]+")
#: ASCII characters a URL path cannot carry as they are: controls, space, and those that would
#: start a query or fragment or an escape (`?`, `#`, `%`), or that RFC 3986 leaves out.
_URL_UNSAFE = re.compile(r'[\x00-\x20\x7f"#%<>?\[\\\]^`{|}]')


def slugify(text: str) -> str:
    """Lower-case a name into a URL segment, keeping Unicode letters as Hugo and Zola do."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _NON_WORD.sub("-", text).strip("-_")


def is_unsafe_segment(text: str) -> bool:
    """True when a user-given path could climb out of its folder or is not a valid path."""
    return "\\" in text or "\x00" in text or any(
        part in ("..", ".") for part in text.split("/")
    )


def normalize_url_path(path: str) -> str:
    """Give a site path one spelling: leading slash, no `//`, trailing slash unless a file."""
    path = "/" + path.strip("/")
    path = normpath(path) if path != "/" else "/"
    if path == "/":
        return "/"
    last = path.rsplit("/", 1)[-1]
    return path if "." in last else path + "/"


def quote_url_path(path: str) -> str:
    """Percent-encode a site path for use in a URL: `/my photo.png` -> `/my%20photo.png`.

    Only what a URL path cannot hold as is gets encoded; other Unicode stays readable, as in
    `/über/` (browsers and servers handle such IRIs).
    """
    return _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), path)


def dest_for_path(path: str) -> str:
    """The output file (relative, POSIX) for a site path: `/a/b/` -> `a/b/index.html`."""
    rel = path.lstrip("/")
    if rel == "" or rel.endswith("/"):
        return rel + "index.html"
    return rel


def pid_alive(pid: int) -> bool:
    """True when a process with this id runs (files named after it are still in use)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def to_datetime(value: date | datetime) -> datetime:
    """Make any date a timezone-aware datetime (naive values are taken as UTC)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def rfc3339(value: datetime) -> str:
    """Format a datetime the way Atom, sitemaps and <time> want it."""
    return to_datetime(value).isoformat()


class Timer:
    """Collects how long each named build step took."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the body of a `with` block under `name`."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - start


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 page`, `2 pages`, `1,200 pages`; `nouns` for irregular plurals."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"
