"""ssg.parallel.map_ranges: results in order, each chunk's passed through `each` in the parent
as soon as it is done, in worker processes and in this one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ssg.parallel import map_ranges


def _chunk(shared: Any, start: int, end: int) -> tuple[int, list[int]]:
    return os.getpid(), [shared * i for i in range(start, end)]


def _check_each(jobs: int) -> None:
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


def test_each_chunk_is_kept_as_each_makes_it_in_this_process() -> None:
    _check_each(1)


def test_each_chunk_is_kept_as_each_makes_it_with_worker_processes() -> None:
    # ssg forks only in a process without other threads; pytest's may have some, so the
    # check runs in a process of its own, as `ssg build` does.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from ssg.parallel import can_fork; assert can_fork(), 'no fork'; "
            "import test_parallel; test_parallel._check_each(2)")
    proc = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_results_come_back_whole_without_each() -> None:
    results = map_ranges(_chunk, 2, 10, jobs=2, chunk=4)
    assert [v for _pid, values in results for v in values] == [2 * i for i in range(10)]
