"""What-if solves off the UI thread: one worker thread for the whole server, so a page stays
interactive (and shows progress) while HiGHS works, and two sessions never solve at once (the
optimizers keep a cache of compiled programs per process, and two solves would only share 2 cores).

A thread, not a process: a solve is a second or two, its result (a plan and a record) is needed in the
server's memory, and a process would first pay the imports (cvxpy, scipy, hydra: several seconds).
"""
from __future__ import annotations

import functools
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from benchmarks.dashboard.whatif import Outcome, WhatIf, solve


@dataclass(frozen=True)
class Job:
    """A submitted solve: the request, its future, when it started (time.monotonic, seconds) and the
    time limit the strategy was given (None: a strategy without one, a heuristic)."""

    request: WhatIf
    future: Future[Outcome]
    started: float
    time_limit: float | None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def progress(self) -> float:
        """The share of its time limit the solve has used, 0..0.99 (10 s stand in for a strategy
        without one); the bar's text says the seconds, which is what moves in a quick solve."""
        horizon = self.time_limit if self.time_limit else 10.0
        return min(0.99, self.elapsed / horizon)


@functools.cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="what-if")


def submit(request: WhatIf, time_limit: float | None) -> Job:
    """Queue ``request`` on the worker thread; the page polls the returned job."""
    return Job(request, _executor().submit(solve, request), time.monotonic(), time_limit)


def wait(job: Job, timeout: float) -> bool:
    """Block up to ``timeout`` seconds for the job (tests and scripts); True when it is done."""
    deadline = time.monotonic() + timeout
    while not job.future.done() and time.monotonic() < deadline:
        time.sleep(0.05)
    return job.future.done()
