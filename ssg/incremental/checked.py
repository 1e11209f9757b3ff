"""Checks for stored data: each gives the value when it has the type this version of ssg
writes, or raises Invalid (a cache is then discarded, never trusted)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from typing import Any, TypeVar

T = TypeVar("T")


class Invalid(ValueError):
    """Stored data that is not what this version of ssg writes."""


def as_text(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"expected text, found {type(value).__name__}")
    return value


def as_opt_text(value: Any) -> str | None:
    return None if value is None else as_text(value)


def as_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"expected a whole number, found {type(value).__name__}")
    return value


def as_opt_int(value: Any) -> int | None:
    return None if value is None else as_int(value)


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, found {type(value).__name__}")
    return value


def as_list(value: Any, length: int | None = None) -> list[Any]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise Invalid("expected a list" + (f" of {length}" if length is not None else ""))
    return value


def as_dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"expected a mapping, found {type(value).__name__}")
    return value


def as_dest(value: Any) -> str:
    """An output file's path: relative, POSIX, inside the output folder (a hostile cache
    must not make the writer touch anything outside it)."""
    text = as_text(value)
    parts = text.split("/")
    if not text or "\0" in text or "" in parts or "." in parts or ".." in parts:
        raise Invalid(f"unsafe output path {text!r}")  # "" also where it starts with "/"
    return text


def texts(value: Any) -> list[str]:
    """A list of texts (`each(value, as_text)`, checked in one pass)."""
    items = as_list(value)
    if not all(map(isinstance, items, repeat(str))):
        raise Invalid("expected texts")
    return items


def each(value: Any, item: Callable[[Any], T]) -> list[T]:
    return [item(v) for v in as_list(value)]


def mapping(value: Any, item: Callable[[Any], T]) -> dict[str, T]:
    return {as_text(k): item(v) for k, v in as_dict(value).items()}
