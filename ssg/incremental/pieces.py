"""JSON written piece by piece: the cache of a large site is never whole in memory.

A value to write is plain data, or holds these in its objects' places: `Fields` (an object
whose members may themselves be pieces), `Members` (an object whose members are made while it
is written, a batch at a time) and `Later` (a value made when its turn to be written comes, after
what precedes it). `write_json` writes such a value as the bytes `orjson.dumps` would give the
plain data (`plain` makes that data, for tests and small uses), so at any time only one batch of
members and its bytes are alive, not the whole cache and its encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

import orjson

#: Members encoded at once: big enough for orjson's speed, small against a site's size.
BATCH = 500


class Fields(dict[str, Any]):
    """A JSON object some of whose values are pieces."""


class Members:
    """A JSON object whose (key, value) members are made while it is written (once only)."""

    def __init__(self, items: Iterable[tuple[str, Any]]):
        self.items = items


class Later:
    """A value made only when it is written (after everything before it)."""

    def __init__(self, make: Callable[[], Any]):
        self.make = make


def plain(value: Any) -> Any:
    """The plain data a value with pieces stands for."""
    if isinstance(value, Later):
        value = value.make()
    if isinstance(value, Members):
        return {key: plain(item) for key, item in value.items}
    if isinstance(value, Fields):
        return {key: plain(item) for key, item in value.items()}
    return value


def write_json(value: Any, write: Callable[[bytes], Any]) -> None:
    """Write `value` as JSON through `write`; ValueError for a value JSON cannot hold."""
    for piece in _pieces(value):
        write(piece)


def _pieces(value: Any) -> Iterator[bytes]:
    if isinstance(value, Later):
        value = value.make()
    if isinstance(value, Fields):
        items: Iterable[tuple[str, Any]] = value.items()
    elif isinstance(value, Members):
        items = value.items
    else:
        yield _dumps(value)
        return
    yield b"{"
    first = True
    it = iter(items)
    while batch := list(islice(it, BATCH)):
        flat: dict[str, Any] = {}
        for key, item in batch:
            if isinstance(item, Fields | Members | Later):
                if flat:
                    yield from _flat(flat, first)
                    first, flat = False, {}
                yield (b"" if first else b",") + _dumps(key) + b":"
                first = False
                yield from _pieces(item)
            else:
                flat[key] = item
        if flat:
            yield from _flat(flat, first)
            first = False
    yield b"}"


def _flat(members: dict[str, Any], first: bool) -> Iterator[bytes]:
    encoded = _dumps(members)  # b'{...}': its members go inside the object being written
    yield encoded[1:-1] if first else b"," + encoded[1:-1]


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError as exc:  # orjson.JSONEncodeError: a value JSON cannot hold
        raise ValueError(str(exc)) from exc
