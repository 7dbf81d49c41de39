"""Running a sweep's cells: tasks for the workers, what a worker does with one, and the parallel
execution (joblib on loky, or on Dask through ``simcore.cluster``) with its progress bar.

The joblib task is one replicate's cells in axis order (or ``chunk`` of them), run consecutively in
one process, so a solver can reuse its compiled model between re-solves of the same population along
the axis. Seeds: replicate r uses ``child(SeedSequence(seed), "replicate", r)``, a named child, so a
replicate has the same population and outcome draws at every axis level and whatever the cell order,
worker or n_jobs; inside a cell every strategy shares the outcome draws (see run_strategy).

A worker outlives nothing: each task carries its parent's pid, host and start time, and a worker on
the parent's host checks before each cell, and again before writing it, that the parent is still
there. When it is gone (``kill -9``, a crash) the task returns at once and writes nothing more: the
directory's lock died with the parent, so the directory may already belong to another sweep. A loky
worker also ends its process within a second of the parent's death, busy or idle (``watch_parent``,
its initializer): loky's own idle timeout would keep an orphan for five minutes, then half a minute
more waiting for an exit handshake with the dead parent. A Dask worker is the cluster's: on another
host it cannot see the parent at all, and the cluster cancels or ends its work.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from omegaconf import OmegaConf
from tqdm.auto import tqdm

from benchmarks.config import build_section, selected_strategies
from benchmarks.pipeline import run_strategy
from benchmarks.sweep.cells import Cell, CellStore, Showcase, cell_frame
from benchmarks.sweep.settings import Axis, SweepSettings
from simcore.checks import check_seed
from simcore.cluster import dask_client
from simcore.rng import child
from simcore.sizes import check_evaluation


@dataclass(frozen=True)
class Parent:
    """The process running the sweep: pid, host name, and start time (clock ticks since boot, from
    /proc; None without /proc), so a pid reused by another process does not count as the parent."""

    pid: int
    host: str
    started: str | None

    @classmethod
    def current(cls) -> Parent:
        pid = os.getpid()
        stat = _stat(pid)
        return cls(pid, socket.gethostname(), stat[1] if stat else None)

    def alive(self) -> bool:
        """Whether the parent is still running, as far as this process can tell: a process on another
        host cannot tell, and says True."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # it exists, under another user: only the start time can tell
            pass
        stat = _stat(self.pid)
        if stat is None:
            return True
        state, started = stat
        # Z: killed but not yet reaped by its own parent; another start time: the pid was reused
        return state not in ("Z", "X") and (self.started is None or started == self.started)


def _stat(pid: int) -> tuple[str, str] | None:
    """(state letter, start time) of a process from /proc/<pid>/stat, None where there is no /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()  # after the command name, which may hold spaces
    return fields[0], fields[19]  # fields 3 (state) and 22 (starttime) of proc(5)


WATCH_S = 1.0  # how often a loky worker looks for its parent


def watch_parent(parent: int) -> None:
    """loky's worker initializer: end this worker process within ``WATCH_S`` of the death of its
    parent, pid ``parent`` (the kernel then gives the orphan another parent pid), busy or idle, or at
    once if the parent died while the worker was starting. Nothing else ends it soon, and it could
    not deliver a result to anyone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_S)
        os._exit(0)  # an orphan; a half-written .tmp is removed by the next sweep into the directory

    threading.Thread(target=watch, name="sweep-parent-watch", daemon=True).start()


@dataclass(frozen=True)
class Task:
    """The joblib unit: consecutive cells of ONE replicate, run in order in one process.
    config: the plain resolved config without execution keys; store: where a worker writes finished
    cells if it can see that directory; showcase: the id of the cell whose plans to return; parent:
    the sweep's process, whose death stops the task."""

    config: dict
    axes: tuple[Axis, ...]
    cells: tuple[Cell, ...]
    store: CellStore
    showcase: str | None
    parent: Parent


@dataclass(frozen=True)
class CellResult:
    """A finished cell: table has one row per strategy (the cell's columns, then run_strategy's record)."""

    cell: Cell
    table: pd.DataFrame


@dataclass(frozen=True)
class TaskResult:
    cells: tuple[CellResult, ...]
    showcase: Showcase | None


def tasks_for(cells: list[Cell], config: dict, settings: SweepSettings, store: CellStore,
              showcase: str | None) -> list[Task]:
    """Group pending cells by replicate (axis order kept), then split into ``chunk``-sized tasks."""
    parent = Parent.current()
    by_rep: dict[int, list[Cell]] = {}
    for cell in cells:
        by_rep.setdefault(cell.replicate, []).append(cell)
    tasks = []
    for rep in sorted(by_rep):
        todo = by_rep[rep]
        size = settings.chunk or len(todo)
        for i in range(0, len(todo), size):
            tasks.append(Task(config, settings.grid, tuple(todo[i:i + size]), store, showcase, parent))
    return tasks


def run_task(task: Task) -> TaskResult:
    """Run a task's cells in order (in a worker). The config is updated in place along the axes (every
    cell sets every axis), and strategies / evaluation settings are rebuilt only when an axis touches them.
    Stops early, returning the cells done so far, when the parent is gone (before a cell or its write)."""
    cfg = OmegaConf.create(task.config)
    paths = [a.path for a in task.axes]
    rebuild_strategies = any(p.startswith(("strategy", "strategies")) for p in paths)
    rebuild_evaluation = any(p.startswith("evaluation") for p in paths)
    strategies = settings = None
    out, showcase = [], None
    for cell in task.cells:
        if not task.parent.alive():
            break
        for path, value in zip(paths, cell.values):
            OmegaConf.update(cfg, path, value, merge=False)
        if strategies is None or rebuild_strategies:
            strategies = selected_strategies(cfg)
        if settings is None or rebuild_evaluation:
            settings = build_section(cfg, "evaluation")
        root = np.random.SeedSequence(check_seed(cfg.seed))
        seed = child(root, "replicate", cell.replicate)
        scenario = build_section(cfg, "scenario").build(seed)
        check_evaluation(scenario.population.n, settings.replications, len(strategies))
        results = [run_strategy(scenario, name, strategy, seed, settings) for name, strategy in strategies.items()]
        table = cell_frame(cell, task.axes, results)
        if not task.parent.alive():  # the directory may belong to another sweep by now
            break
        if task.store.directory.is_dir():  # a worker that shares the run directory saves the cell right away
            task.store.write(table, cell.id)
        out.append(CellResult(cell, table))
        if cell.id == task.showcase:
            showcase = Showcase(scenario, tuple(results))
    return TaskResult(tuple(out), showcase)


@contextmanager
def backend(settings: SweepSettings) -> Iterator[None]:
    """joblib's backend for the sweep: loky as configured, or Dask through a distributed Client
    (``address``, or a LocalCluster of n_jobs single-threaded worker processes)."""
    if settings.backend == "loky":
        yield
        return
    workers = settings.n_jobs if settings.n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + settings.n_jobs)
    with dask_client(settings.address, "sweep.address", n_workers=workers), joblib.parallel_config(backend="dask"):
        yield


def run_tasks(tasks: list[Task], settings: SweepSettings, on_result: Callable[[TaskResult], None],
              work: Callable[[Task], TaskResult] = run_task) -> None:
    """Run the tasks in parallel (each with ``work``: a sweep's cells by default, a campaign's with
    benchmarks.campaign) and hand each result to ``on_result`` in the parent as soon as it returns (in
    completion order, not task order), moving the progress bar by its cells."""
    if not tasks:
        return
    cells = sum(len(t.cells) for t in tasks)
    bar = tqdm(total=cells, unit="cell", desc=f"sweep {settings.name}", smoothing=0.05,
               disable=True if os.environ.get("CI") else None)  # None: off when not a terminal
    with bar, backend(settings):
        workers = {"initializer": watch_parent, "initargs": (os.getpid(),)} if settings.backend == "loky" else {}
        outputs = joblib.Parallel(n_jobs=settings.n_jobs, return_as="generator_unordered", **workers)(
            joblib.delayed(work)(t) for t in tasks)
        for output in outputs:
            on_result(output)
            bar.update(len(output.cells))
