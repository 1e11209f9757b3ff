"""The cache's JSON written piece by piece reads back as the whole data would."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from ssg.incremental import pieces
from ssg.incremental.pieces import Fields, Later, Members, plain, write_json


def written(value: Any) -> bytes:
    out = io.BytesIO()
    write_json(value, out.write)
    return out.getvalue()


def nested(count: int) -> Fields:
    made: list[int] = []

    def later() -> list[int]:
        return list(made)  # what the members before it left

    def members() -> Any:
        for n in range(count):
            made.append(n)
            yield f"k{n}", [n, {"x": n}] if n % 7 else Fields({"deep": Members(iter([("a", n)]))})

    return Fields({"first": 1, "big": Members(members()), "after": Later(later),
                   "empty": Members(iter(())), "text": "\u4e2d\u6587 \"q\""})


@pytest.mark.parametrize("count", [0, 1, pieces.BATCH - 1, pieces.BATCH, 2 * pieces.BATCH + 3])
def test_pieces_write_the_bytes_of_the_whole_data(count: int) -> None:
    data = written(nested(count))
    whole = plain(nested(count))
    assert data == orjson.dumps(whole)
    read = orjson.loads(data)
    assert len(read["big"]) == count and read["after"] == list(range(count))
    assert read["empty"] == {}
    if count > 7:
        assert read["big"]["k7"] == {"deep": {"a": 7}} and read["big"]["k8"] == [8, {"x": 8}]


def test_a_value_json_cannot_hold_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        written(Fields({"a": Members(iter([("b", 1), ("c", object())]))}))
