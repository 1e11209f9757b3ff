"""Small pure helpers shared by the stages: slugs, URL paths, timing."""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from posixpath import normpath

#: Punctuation a slug keeps: what a URL path carries as is and file systems accept (Hugo keeps
#: the same, less `#`, which would start a fragment).
_SLUG_PUNCTUATION = frozenset(".-_~+@")
#: ASCII characters a URL path cannot carry as they are: controls, space, and those that would
#: start a query or fragment or an escape (`?`, `#`, `%`), or that RFC 3986 leaves out.
_URL_UNSAFE = re.compile(r'[\x00-\x20\x7f"#%<>?\[\\\]^`{|}]')


# A site asks for the same few names again and again (each page's section, every term of every
# page): 50,000 calls for a site of 10,000 pages. The cache is bounded for long dev sessions.
@lru_cache(maxsize=1 << 16)
def slugify(text: str) -> str:
    """Lower-case a name into a URL segment: `C++ Notes` -> `c++-notes`, `中文` -> `中文`.

    Unicode letters, digits and marks are kept, and `. - _ ~ +  @`; every run of other
    characters (spaces, `?`, `#`, `/`, `'`, ...) becomes one `-`; `-`, `_` and `.` are trimmed
    from the ends. A name with nothing left (`[`, `%`, `((`) keeps its own characters, NFKC
    normalised and lower-cased (the URL percent-encodes what it must: `/%5B/`); only one
    that is still unusable as a path segment (with `/` or a backslash, or `..`) gives "".
    """
    if text.isascii():  # most names: file stems, tags; NFKC leaves ASCII as it is
        text = text.lower()
        if _PLAIN_SLUG.fullmatch(text) and (slug := text.strip("-_.")):
            return slug  # what the loop below gives for it, in one regular expression
    else:
        text = unicodedata.normalize("NFKC", text).lower()
    return _slug_of(text)


#: A lower-case ASCII name the slug loop keeps as it is but for its ends: runs of characters it
#: keeps, joined by single hyphens.
_PLAIN_SLUG = re.compile(r"[a-z0-9._~+@]+(?:-[a-z0-9._~+@]+)*")


def _slug_of(text: str) -> str:
    """slugify of a name already NFKC normalised and lower-cased."""
    parts: list[str] = []
    gap = False
    for char in text:
        if char == "-" or not (char in _SLUG_PUNCTUATION
                               or unicodedata.category(char)[0] in "LNM"):
            gap = True
            continue
        if gap and parts:
            parts.append("-")
        gap = False
        parts.append(char)
    slug = "".join(parts).strip("-_.")
    if slug:
        return slug
    whole = "-".join(text.split())
    if not whole or "/" in whole or is_unsafe_segment(whole):
        return ""
    return whole


def is_unsafe_segment(text: str) -> bool:
    """True when a user-given path could climb out of its folder or is not a valid path."""
    return "\\" in text or "\x00" in text or any(
        part in ("..", ".") for part in text.split("/")
    )


def normalize_url_path(path: str) -> str:
    """Give a site path one spelling: leading slash, no `//`, trailing slash unless a file.

    A path written with a trailing slash is a folder even when its last name has a dot
    (`/notes/mqtt_check.py/`); without one, a dot in the last name makes it a file.
    """
    folder = path.endswith("/")
    path = "/" + path.strip("/")
    path = normpath(path) if path != "/" else "/"
    if path == "/":
        return "/"
    last = path.rsplit("/", 1)[-1]
    return path if "." in last and not folder else path + "/"


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
