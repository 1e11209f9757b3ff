"""Spread work over processes: forked workers share the parent's site model for free."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, TypeVar

R = TypeVar("R")

#: What forked workers read: set in the parent just before the pool forks.
_SHARED: Any = None


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def can_fork() -> bool:
    """Fork is safe only where it exists and no other thread could hold a lock."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def map_ranges(fn: Callable[[Any, int, int], R], shared: Any, count: int, *, jobs: int,
               chunk: int, progress: Callable[[int], None] | None = None,
               each: Callable[[R], R] | None = None) -> list[R]:
    """Call fn(shared, start, end) over [0, count) in chunks, in parallel when it pays.

    Results come back in order, each passed through `each` (in this process) as soon as its
    chunk is done, so that only what `each` keeps of a chunk stays in memory. With one job,
    few items, or where fork is unsafe, everything runs in this process.
    """
    keep: Callable[[R], R] = each or (lambda result: result)
    ranges = [(start, min(start + chunk, count)) for start in range(0, count, chunk)]
    if jobs <= 1 or len(ranges) <= 1 or not can_fork():
        results = []
        for start, end in ranges:
            results.append(keep(fn(shared, start, end)))
            if progress is not None:
                progress(end)
        return results
    global _SHARED
    _SHARED = shared
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {pool.submit(_run, fn, start, end): n
                       for n, (start, end) in enumerate(ranges)}
            made: dict[int, R] = {}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    if future.exception() is not None:
                        for other in pending:
                            other.cancel()
                        raise future.exception()  # type: ignore[misc]
                for future in done:  # the raw result goes with its future
                    made[futures.pop(future)] = keep(future.result())
                if progress is not None:
                    progress(min(count, len(made) * chunk))
            return [made[n] for n in range(len(ranges))]
    finally:
        _SHARED = None


def _run(fn: Callable[[Any, int, int], R], start: int, end: int) -> R:
    return fn(_SHARED, start, end)
