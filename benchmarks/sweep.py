"""Declarative sweeps: axes over any config value x replicate seeds x the chosen strategies.

    python -m benchmarks.run +sweep=budget_sensitivity
    python -m benchmarks.run +sweep=budget_sensitivity sweep.replicates=5 sweep.n_jobs=2

A sweep (``conf/sweep/*.yaml``, the ``sweep`` config node) declares ``axes: {config path: [values]}``.
A CELL is one combination of axis values and one replicate; in a cell every strategy runs on the
same scenario through ``benchmarks.pipeline.run_strategy`` (one flat row per strategy).

Seeds: replicate r uses ``child(SeedSequence(seed), "replicate", r)``, a named child, so a replicate
has the same population and outcome draws at every axis level (the axis is the only thing that
changes along it) and whatever the cell order, worker or n_jobs; inside a cell every strategy shares
the outcome draws (common random numbers, see run_strategy).

Execution: the joblib task is one replicate's cells in axis order (or ``chunk`` of them), run
consecutively in one process, so a solver can reuse its compiled model between re-solves of the same
population along the axis. Backends: loky (default) or Dask (``backend: dask``, ``address``).

Nothing is lost: each finished cell is written atomically to ``cells/<cell id>.parquet`` (by the
worker when it sees the run directory, else by the parent when the task returns). The cell id holds
a hash of everything that determines the cell's rows (the config without ``sweep`` and ``tracking``,
the replicate, the axis values), so rerunning into the same directory skips exactly the finished
cells of THIS config, and the results table is always assembled from the cell files in a fixed
order: a resumed sweep's table is identical to an uninterrupted one, and n_jobs cannot change it.

Outputs in the run directory: results.parquet/.csv (one row per cell x strategy: ``cell``,
``replicate``, ``axis.<path>`` per axis, then every column of run_strategy's record), summary.csv
and paired.csv (``benchmarks.stats``), config.yaml (resolved), showcase/ (the full single-run
outputs of replicate 0 at the first level of every axis), cells/, and the report
(``report=false`` skips it). MLflow: ``benchmarks.tracking.SweepLogger``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from benchmarks.pipeline import StrategyResult, run_strategy
from benchmarks.config import build_section, selected_strategies, strategy_params
from benchmarks.outputs import write_run
from benchmarks.stats import paired_differences, summarize
from benchmarks.tracking import SweepLogger, SweepTracking, TrackingSettings
from simcore.checks import check_bool, check_choice, check_mapping, check_name, check_scalar, prefix_errors, show
from simcore.errors import ConfigError
from simcore.rng import child
from simcore.scenario import Scenario

log = logging.getLogger("retention-bench")

Scalar = int | float | str | bool | None
# config nodes that say HOW a sweep runs, not WHAT it computes: never axes, never in a cell's id
EXECUTION_KEYS = ("sweep", "tracking", "hydra", "report")


@dataclass(frozen=True)
class Axis:
    """One swept config value: ``path`` in OmegaConf syntax (``scenario.constraints.budget``,
    ``scenario.constraints.channel_capacities[0].limit``) and the values it takes, in order."""

    path: str
    values: tuple[Scalar, ...]

    @property
    def column(self) -> str:
        return f"axis.{self.path}"


@dataclass(frozen=True)
class SweepSettings:
    """The ``sweep`` config node.

    axes: {config path: [values]} (the cells are their product, first axis outermost); replicates:
    seeds per cell; reference: the strategy others are differenced against (paired.csv); level: the
    intervals' confidence level; n_jobs: joblib workers (-1 = all cores; 1 = in this process);
    backend: loky | dask; address: a Dask scheduler (tcp://host:8786), null = start a LocalCluster;
    chunk: cells per task (null = all of a replicate's cells, the most reuse between re-solves);
    resume_dir: write into this directory instead of Hydra's run directory (rerun to resume);
    showcase: write the full single-run outputs of the first cell to showcase/.
    """

    axes: tuple[Axis, ...]
    replicates: int = 1
    name: str = "sweep"
    reference: str = "milp"
    level: float = 0.95
    n_jobs: int = -1
    backend: str = "loky"
    address: str | None = None
    chunk: int | None = None
    resume_dir: str | None = None
    showcase: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "axes", _axes(self.axes))
        check_scalar(self.replicates, "replicates", int, 1)
        check_name(self.name, "name")
        check_name(self.reference, "reference")
        check_scalar(self.level, "level", float, 0.0, 1.0, min_inclusive=False, max_inclusive=False)
        check_scalar(self.n_jobs, "n_jobs", int)
        if self.n_jobs == 0:
            raise ConfigError("n_jobs = 0: must be >= 1, or negative (-1 = all cores, -2 = all but one)")
        check_choice(self.backend, "backend", ("loky", "dask"))
        if self.address is not None:
            check_name(self.address, "address")
        if self.chunk is not None:
            check_scalar(self.chunk, "chunk", int, 1)
        if self.resume_dir is not None:
            check_name(self.resume_dir, "resume_dir")
        check_bool(self.showcase, "showcase")


def _axes(value: object) -> tuple[Axis, ...]:
    if isinstance(value, tuple) and all(isinstance(a, Axis) for a in value):
        return value
    axes = check_mapping(value, "axes")
    if not axes:
        raise ConfigError("axes = {}: declare at least one axis, e.g. {scenario.constraints.budget: [100, 200]}")
    out = []
    for path, values in axes.items():
        where = f"axes.{path}"
        check_name(path, "axes key")
        if isinstance(values, Mapping):
            raise ConfigError(f"{where} = {show(values)}: must be a list of values; write the whole config path "
                              "as ONE key, e.g. 'sweep.axes={scenario.constraints.budget:[100,200]}'")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ConfigError(f"{where} = {show(values)}: must be a non-empty list of values")
        values = list(values)
        for i, v in enumerate(values):
            if v is not None and not isinstance(v, (int, float, str, bool)):
                raise ConfigError(f"{where}[{i}] = {show(v)}: must be a number, string, boolean or null")
        if len({json.dumps(v) for v in values}) != len(values):
            raise ConfigError(f"{where} = {show(list(values))}: values must be distinct")
        out.append(Axis(str(path), tuple(values)))
    return tuple(out)


@dataclass(frozen=True)
class Cell:
    """One point of the sweep: a replicate at one combination of axis values (one per axis, in axis
    order). id: stable and file-name safe, ``r<replicate>-<values>-<hash of the cell's config>``."""

    id: str
    replicate: int
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class Task:
    """The joblib unit: consecutive cells of ONE replicate, run in order in one process.
    config: the plain resolved config without execution keys; cells_dir: where a worker writes
    finished cells if it can see that directory; showcase: the id of the cell whose plans to return."""

    config: dict
    axes: tuple[Axis, ...]
    cells: tuple[Cell, ...]
    cells_dir: str
    showcase: str | None


@dataclass(frozen=True)
class CellResult:
    """A finished cell: table has one row per strategy (the cell's columns, then run_strategy's record)."""

    cell: Cell
    table: pd.DataFrame


@dataclass(frozen=True)
class Showcase:
    """The first cell's scenario and full strategy results, for write_run (plans, audit, scenario/)."""

    scenario: Scenario
    results: tuple[StrategyResult, ...]


@dataclass(frozen=True)
class TaskResult:
    cells: tuple[CellResult, ...]
    showcase: Showcase | None


@dataclass(frozen=True)
class SweepResult:
    """run_dir: where everything is; results / summary / paired: the three tables; cells_run and
    cells_skipped (already on disk); seconds: compute (cells), report, wall (the whole sweep)."""

    run_dir: Path
    results: pd.DataFrame
    summary: pd.DataFrame
    paired: pd.DataFrame
    cells_run: int
    cells_skipped: int
    compute_s: float
    report_s: float
    wall_s: float
    tracking: SweepTracking


# ---------------------------------------------------------------------------------------------
# planning the cells


def plain_config(cfg: DictConfig) -> dict:
    """The resolved config as plain data, without the execution keys: what determines the results."""
    data = OmegaConf.to_container(cfg, resolve=True)
    return {k: v for k, v in data.items() if k not in EXECUTION_KEYS}


def _digest(data: object) -> str:
    return hashlib.blake2b(json.dumps(data, sort_keys=True, default=str).encode(), digest_size=8).hexdigest()


def _slug(value: Scalar) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", str(value)).strip("-")[:24] or "x"


def plan_cells(config: dict, settings: SweepSettings) -> list[Cell]:
    """Every cell, in the table's order: axis values (product, first axis outermost), then replicate."""
    base = _digest(config)
    cells = []
    for values in itertools.product(*(a.values for a in settings.axes)):
        for r in range(settings.replicates):
            key = _digest([base, r, [[a.path, v] for a, v in zip(settings.axes, values)]])
            cells.append(Cell(f"r{r:03d}-{'_'.join(map(_slug, values))}-{key}", r, tuple(values)))
    return cells


def check_axes(cfg: DictConfig, settings: SweepSettings) -> None:
    """Every axis path exists and is a value; every axis value gives a valid config (checked by
    instantiating the scenario, evaluation and strategies with it, before any cell runs)."""
    missing = object()
    for axis in settings.axes:
        if axis.path.split(".")[0].split("[")[0] in EXECUTION_KEYS:
            raise ConfigError(f"sweep.axes.{axis.path}: sweeps over {', '.join(EXECUTION_KEYS)} are not allowed "
                              "(they say how a sweep runs, not what it computes)")
        node = OmegaConf.select(cfg, axis.path, default=missing)
        if node is missing:
            raise ConfigError(f"sweep.axes.{axis.path}: no such config value; an axis must name an existing "
                              "value, e.g. scenario.constraints.budget, scenario.population.n_customers or "
                              "scenario.constraints.channel_capacities[0].limit (see the composed config with --cfg job)")
        if OmegaConf.is_config(node):
            raise ConfigError(f"sweep.axes.{axis.path}: is a whole config node, not a value; sweep one of its "
                              f"values (e.g. {axis.path}.<field>)")
    plain = OmegaConf.create(plain_config(cfg))
    for axis in settings.axes:
        for value in axis.values:
            trial = plain.copy()
            OmegaConf.update(trial, axis.path, value, merge=False)
            build_section(trial, "scenario")
            build_section(trial, "evaluation")
            selected_strategies(trial)


def tasks_for(cells: list[Cell], config: dict, settings: SweepSettings, cells_dir: Path,
              showcase: str | None) -> list[Task]:
    """Group pending cells by replicate (axis order kept), then split into ``chunk``-sized tasks."""
    by_rep: dict[int, list[Cell]] = {}
    for cell in cells:
        by_rep.setdefault(cell.replicate, []).append(cell)
    tasks = []
    for rep in sorted(by_rep):
        todo = by_rep[rep]
        size = settings.chunk or len(todo)
        for i in range(0, len(todo), size):
            tasks.append(Task(config, settings.axes, tuple(todo[i:i + size]), str(cells_dir), showcase))
    return tasks


# ---------------------------------------------------------------------------------------------
# running cells (in a worker)


def cell_path(cells_dir: Path, cell_id: str) -> Path:
    return cells_dir / f"{cell_id}.parquet"


def write_atomic(table: pd.DataFrame, path: Path) -> None:
    """Write a parquet file so that it either exists complete or not at all (tmp file + rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def cell_frame(cell: Cell, axes: tuple[Axis, ...], results: list[StrategyResult]) -> pd.DataFrame:
    lead = {"cell": cell.id, "replicate": cell.replicate, **{a.column: v for a, v in zip(axes, cell.values)}}
    return pd.DataFrame([{**lead, **r.record} for r in results])


def run_task(task: Task) -> TaskResult:
    """Run a task's cells in order. The config is updated in place along the axes (every cell sets
    every axis), and strategies / evaluation settings are rebuilt only when an axis touches them."""
    cfg = OmegaConf.create(task.config)
    paths = [a.path for a in task.axes]
    rebuild_strategies = any(p.startswith(("strategy", "strategies")) for p in paths)
    rebuild_evaluation = any(p.startswith("evaluation") for p in paths)
    cells_dir = Path(task.cells_dir)
    strategies = settings = None
    out, showcase = [], None
    for cell in task.cells:
        for path, value in zip(paths, cell.values):
            OmegaConf.update(cfg, path, value, merge=False)
        if strategies is None or rebuild_strategies:
            strategies = selected_strategies(cfg)
        if settings is None or rebuild_evaluation:
            settings = build_section(cfg, "evaluation")
        root = np.random.SeedSequence(check_scalar(cfg.seed, "seed", int, 0))
        seed = child(root, "replicate", cell.replicate)
        scenario = build_section(cfg, "scenario").build(seed)
        results = [run_strategy(scenario, name, strategy, seed, settings) for name, strategy in strategies.items()]
        table = cell_frame(cell, task.axes, results)
        if cells_dir.is_dir():  # a worker that shares the run directory saves the cell right away
            write_atomic(table, cell_path(cells_dir, cell.id))
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
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("sweep.backend = 'dask': needs dask and distributed (pip install -e '.[dask]')") from None
    cluster = None
    logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO lines would drown the sweep's
    try:
        if settings.address is None:
            workers = settings.n_jobs if settings.n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + settings.n_jobs)
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(settings.address, timeout=30)
    except OSError as err:
        raise ConfigError(f"sweep.address = {settings.address!r}: cannot reach the Dask scheduler ({err}); "
                          "give its tcp://host:port, or null to start a local cluster") from None
    try:
        with joblib.parallel_config(backend="dask"):
            yield
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------------------------------------
# the sweep (in the parent)


def _sweep_settings(cfg: DictConfig) -> SweepSettings:
    with prefix_errors("sweep"):
        data = dict(OmegaConf.to_container(cfg.sweep, resolve=True))
        allowed = [f.name for f in dataclasses.fields(SweepSettings)]
        unknown = [k for k in data if k not in allowed]
        if unknown:
            raise ConfigError(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
        return SweepSettings(**data)


def run_sweep(cfg: DictConfig, run_dir: Path) -> SweepResult:
    """Run (or resume) the sweep ``cfg.sweep`` and write its outputs into ``run_dir`` (or
    ``sweep.resume_dir``). Returns the tables and timings."""
    wall = time.perf_counter()
    settings = _sweep_settings(cfg)
    tracking = build_section(cfg, "tracking")
    check_scalar(cfg.seed, "seed", int, 0)
    strategies = selected_strategies(cfg)
    if settings.reference not in strategies:
        raise ConfigError(f"sweep.reference = {settings.reference!r}: not among the strategies of this sweep; "
                          f"allowed: {', '.join(strategies)}")
    check_axes(cfg, settings)
    scenario_name = build_section(cfg, "scenario").name
    run_dir = Path(settings.resume_dir) if settings.resume_dir else run_dir
    cells_dir = run_dir / "cells"
    cells_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))

    config = plain_config(cfg)
    cells = plan_cells(config, settings)
    showcase_dir = run_dir / "showcase"
    showcase_id = cells[0].id if settings.showcase and not showcase_dir.exists() else None
    pending = [c for c in cells if c.id == showcase_id or not cell_path(cells_dir, c.id).exists()]
    pending_ids = {c.id for c in pending}
    done = [c for c in cells if c.id not in pending_ids]
    log.info("sweep %s: %d cells (%d axis points x %d replicates) x %d strategies; %d already on disk in %s",
             settings.name, len(cells), len(cells) // settings.replicates, settings.replicates, len(strategies),
             len(done), run_dir)

    logger = SweepLogger(tracking, scenario_name, run_dir, settings.name,
                         {"sweep": settings.name, "scenario": scenario_name, "seed": str(cfg.seed),
                          "replicates": str(settings.replicates), "reference": settings.reference,
                          "strategies": ",".join(strategies),
                          "axes": json.dumps({a.path: list(a.values) for a in settings.axes})},
                         {n: strategy_params(cfg, n) for n in strategies})
    try:
        for cell in done:  # a resumed sweep's parent run gets every cell (already logged ones are skipped)
            logger.log_rows(pd.read_parquet(cell_path(cells_dir, cell.id)))
        start = time.perf_counter()
        _compute(tasks_for(pending, config, settings, cells_dir, showcase_id), settings, logger, showcase_dir)
        compute = time.perf_counter() - start

        # the table is what the file holds (a parquet round trip also makes missing values uniform)
        assemble(cells_dir, cells).to_parquet(run_dir / "results.parquet", index=False)
        results = pd.read_parquet(run_dir / "results.parquet")
        results.to_csv(run_dir / "results.csv", index=False)
        axes = [a.column for a in settings.axes]
        summary = summarize(results, axes, level=settings.level)
        paired = paired_differences(results, axes, settings.reference, level=settings.level)
        summary.to_csv(run_dir / "summary.csv", index=False)
        paired.to_csv(run_dir / "paired.csv", index=False)

        start = time.perf_counter()
        report = _write_report(run_dir) if cfg.get("report", True) else None  # report=false: no figures/report
        report_s = time.perf_counter() - start
    except BaseException:  # finished cells are on disk; the parent run is marked FAILED until a rerun
        logger.abandon()
        raise
    artifacts = [run_dir / f for f in ("results.parquet", "results.csv", "summary.csv", "paired.csv", "config.yaml",
                                       "report.html", "report.md", "figures", "showcase")]
    status = results["status"]
    tracked = logger.finish(artifacts, {"cells": len(cells), "rows": len(results), "rows_ok": int((status == "ok").sum()),
                                        "rows_infeasible": int((status == "infeasible").sum()),
                                        "compute_s": compute})
    out = SweepResult(run_dir, results, summary, paired, len(pending), len(done), compute, report_s,
                      time.perf_counter() - wall, tracked)
    _print(out, settings, scenario_name, report)
    return out


def _compute(tasks: list[Task], settings: SweepSettings, logger: SweepLogger, showcase_dir: Path) -> None:
    """Run the tasks in parallel; as each returns, save its cells (if the worker could not), queue
    them for MLflow, write the showcase, and move the progress bar."""
    if not tasks:
        return
    cells = sum(len(t.cells) for t in tasks)
    bar = tqdm(total=cells, unit="cell", desc=f"sweep {settings.name}", smoothing=0.05,
               disable=True if os.environ.get("CI") else None)  # None: off when not a terminal
    with bar, backend(settings):
        outputs = joblib.Parallel(n_jobs=settings.n_jobs, return_as="generator_unordered")(
            joblib.delayed(run_task)(t) for t in tasks)
        for output in outputs:
            for result in output.cells:
                path = cell_path(Path(tasks[0].cells_dir), result.cell.id)
                if not path.exists():  # the worker could not see the run directory (a remote cluster)
                    write_atomic(result.table, path)
                logger.log_rows(result.table)
            if output.showcase is not None:
                _write_showcase(showcase_dir, output.showcase)
            bar.update(len(output.cells))


def assemble(cells_dir: Path, cells: list[Cell]) -> pd.DataFrame:
    """The results table from the cell files, in the sweep's cell order (strategies in config order
    within a cell): the same files give the same table however and whenever they were written."""
    with warnings.catch_warnings():  # cells without some optional column (e.g. only one has shadow prices)
        warnings.filterwarnings("ignore", category=FutureWarning)
        return pd.concat([pd.read_parquet(cell_path(cells_dir, c.id)) for c in cells], ignore_index=True)


def _write_showcase(directory: Path, showcase: Showcase) -> None:
    tmp = directory.with_name(f".{directory.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    write_run(tmp, showcase.scenario, list(showcase.results))
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(tmp, directory)


def _write_report(run_dir: Path) -> Path | None:
    """The report (benchmarks.report); a failure there warns, since every table is already on disk
    and ``python -m benchmarks.report RUN_DIR`` can redo it."""
    from benchmarks.report import write_report  # here, not at the top: keeps matplotlib out of the workers

    try:
        html, _ = write_report(run_dir)
        return html
    except Exception as err:  # noqa: BLE001 - the sweep's results are complete without the report
        warnings.warn(f"the report could not be written ({type(err).__name__}: {err}); the tables are in "
                      f"{run_dir}; retry with python -m benchmarks.report {run_dir}", stacklevel=2)
        return None


def _print(out: SweepResult, settings: SweepSettings, scenario: str, report: Path | None) -> None:
    def shown(row: pd.Series) -> str:
        if row["n_ok"] == 0:  # never a zero: say why there is no value
            return "infeasible" if row["n_infeasible"] else "no result"
        text = f"{row['net_value_mean']:,.0f}"
        return text + (f" ({row['n_infeasible']} infeasible)" if row["n_infeasible"] else "")

    axes = [a.column for a in settings.axes]
    s = out.summary
    table = s.assign(value=s.apply(shown, axis=1)).pivot_table(index=axes, columns="strategy", values="value",
                                                                aggfunc="first", sort=False)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(f"\n{scenario} sweep {settings.name}: mean true net value ($) over {settings.replicates} replicates")
        print(table.rename_axis(index=[a[len("axis."):] for a in axes]).to_string())
    print(f"\n{out.cells_run} cells run, {out.cells_skipped} already on disk; compute {out.compute_s:.1f} s, "
          f"report {out.report_s:.1f} s, MLflow wait {out.tracking.wait_s:.1f} s, wall {out.wall_s:.1f} s")
    print(f"results, summary.csv, paired.csv and showcase/ in {out.run_dir}" + (f"; report {report}" if report else ""))
