"""Dependency tracking: what each output was made from, as keys with fingerprints."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: A dependency: ("meta", src), ("body", src), ("tpl", name), ("seclist", key), ...
Key = tuple[str, ...]

_current: ContextVar[set[Key] | None] = ContextVar("ssg_deps", default=None)


def record(*key: str) -> None:
    """Note that the output being rendered read the thing named by key."""
    deps = _current.get()
    if deps is not None:
        deps.add(key)


@contextmanager
def tracking() -> Iterator[set[Key]]:
    """Collect every key recorded inside the block."""
    deps: set[Key] = set()
    token = _current.set(deps)
    try:
        yield deps
    finally:
        _current.reset(token)


def digest(*parts: object) -> str:
    """A short stable hash of values with a deterministic repr."""
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=12).hexdigest()


def digest_bytes(data: bytes) -> str:
    """A short stable hash of bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
