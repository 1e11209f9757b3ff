"""ssg.parallel.map_ranges: results in order, each chunk's passed through `each` in the parent
as soon as it is done, in worker processes and in this one."""

from __future__ import annotations

import os
from typing import Any

import pytest

from ssg.parallel import can_fork, map_ranges


def _chunk(shared: Any, start: int, end: int) -> tuple[int, list[int]]:
    return os.getpid(), [shared * i for i in range(start, end)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_chunk_is_kept_as_each_makes_it_in_this_process(jobs: int) -> None:
    if jobs > 1 and not can_fork():
        pytest.skip("no fork here")
    seen: list[int] = []

    def each(result: tuple[int, list[int]]) -> tuple[int, list[int]]:
        seen.append(os.getpid())  # called in the parent, never in a worker
        pid, values = result
        return pid, values[:1]  # what the caller keeps of the chunk

    results = map_ranges(_chunk, 3, 100, jobs=jobs, chunk=7, each=each)
    assert [values for _pid, values in results] == [[3 * start] for start in range(0, 100, 7)]
    assert seen == [os.getpid()] * len(results)
    workers = {pid for pid, _values in results}
    assert (workers == {os.getpid()}) == (jobs == 1)


def test_results_come_back_whole_without_each() -> None:
    results = map_ranges(_chunk, 2, 10, jobs=2, chunk=4)
    assert [v for _pid, values in results for v in values] == [2 * i for i in range(10)]
