"""Declarative sweeps: axes over any config value x replicate seeds x the chosen strategies.

    python -m benchmarks.run sweep=budget_sensitivity
    python -m benchmarks.run sweep=budget_sensitivity sweep.replicates=5 sweep.n_jobs=2

A sweep (``conf/sweep/*.yaml``, the ``sweep`` config node) declares ``axes: {config path: [values]}``.
A CELL is one combination of axis values and one replicate; in a cell every strategy runs on the
same scenario through ``benchmarks.pipeline.run_strategy`` (one flat row per strategy).

The package, one job a module: ``settings`` (the sweep node, its validation), ``cells`` (planning
the cells, their ids, the store of finished cells and its checks, the showcase), ``directory`` (the
run directory's lock and its record of which config it holds), ``execute`` (tasks, the worker and
its parent check, loky / Dask execution; seeds are explained there), ``console`` (the printed grid),
and here ``run_sweep``, which ties them together in the parent.

Nothing is lost and nothing is trusted blindly. Each finished cell is written atomically to
``cells/<cell id>.parquet`` (by the worker when it sees the run directory, else by the parent when
the task returns), with page checksums and a record of its cell id and config hash. The cell id
holds a hash of everything that determines the cell's rows (the config without the execution keys
``sweep``, ``tracking``, ``hydra``, ``report``; the replicate; the axis values), so rerunning into the
same directory skips exactly the finished cells of THIS config; every cell file is verified first,
and one that fails is moved to ``cells/rejected/`` with a warning and computed again. The results
table is always assembled from the cell files in a fixed order: a resumed sweep's table is identical
to an uninterrupted one, and n_jobs cannot change it. A directory holds one config's sweep
(``sweep.json``; ``sweep.fresh=true`` moves another one's outputs into ``superseded/``) and one
running sweep (an ``flock`` on ``.sweep.lock``). Workers stop when the parent dies (``execute``).
Every output is written atomically (``simcore.files``); a full disk ends in one OutputError line,
and the same command then resumes.

Outputs in the run directory: results.parquet/.csv (one row per cell x strategy: ``cell``,
``replicate``, ``axis.<path>`` per axis, then every column of run_strategy's record), summary.csv
and paired.csv (``benchmarks.stats``), config.yaml (resolved), sweep.json (what the directory
holds), showcase/ (the full single-run outputs of replicate 0 at the first level of every axis),
cells/ (and cells/rejected/), the report (``report=false`` skips it), .sweep.lock, and superseded/
after a ``sweep.fresh`` start. MLflow: ``benchmarks.tracking.SweepLogger``.
"""
from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from benchmarks.config import build_section, check_top_level, selected_strategies, strategy_names, strategy_params
from benchmarks.stats import paired_differences, summarize
from benchmarks.sweep.cells import Cell, CellStore, plan_cells, write_showcase
from benchmarks.sweep.console import print_sweep
from benchmarks.sweep.directory import Identity, claim, locked
from benchmarks.sweep.execute import TaskResult, run_tasks, tasks_for
from benchmarks.sweep.settings import SweepSettings, check_axes, plain_config
from benchmarks.tracking import RunLogger, Tracked, TrackingSettings, cell_children
from benchmarks.tracking import start as start_tracking
from simcore.checks import check_seed
from simcore.errors import ConfigError
from simcore.files import OutputError, remove_temporaries, write_csv, write_parquet, write_text, writing
from simcore.results import STATUS, Status

log = logging.getLogger("retention-bench")


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
    tracking: Tracked


def run_sweep(cfg: DictConfig, run_dir: Path) -> SweepResult:
    """Run (or resume) the sweep ``cfg.sweep`` and write its outputs into ``run_dir`` (or
    ``sweep.resume_dir``). Returns the tables and timings. Raises ConfigError for an invalid sweep, for
    a directory another running sweep holds, or one holding another config's sweep (``directory``);
    OutputError when the disk fills up (the finished cells are kept: the same command resumes)."""
    wall = time.perf_counter()
    check_top_level(cfg)
    settings = build_section(cfg, "sweep")
    tracking = build_section(cfg, "tracking")
    check_seed(cfg.seed)
    strategies = selected_strategies(cfg)
    if settings.reference not in strategies:
        raise ConfigError(f"sweep.reference = {settings.reference!r}: not among the strategies of this sweep; "
                          f"allowed: {', '.join(strategies)}")
    check_axes(cfg, settings)
    scenario_name = build_section(cfg, "scenario").name
    run_dir = Path(settings.resume_dir) if settings.resume_dir else run_dir
    config = plain_config(cfg)
    identity = Identity.of(config, settings)
    cells = plan_cells(config, settings)
    with writing(run_dir):
        run_dir.mkdir(parents=True, exist_ok=True)
    with locked(run_dir):  # held to the end: no other sweep writes here meanwhile
        moved = claim(run_dir, identity, settings.fresh)
        if moved is not None:
            log.warning("sweep.fresh: the previous outputs of %s are now in %s", run_dir, moved)
        store = CellStore(run_dir / "cells", identity.config)
        try:
            with writing(store.directory):
                store.directory.mkdir(exist_ok=True)
            for directory in (run_dir, store.directory):  # what a killed writer left (no one writes here now)
                remove_temporaries(directory)
            write_text(run_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
            return _run(cfg, settings, tracking, scenario_name, config, cells, store, wall)
        except OutputError as err:  # a full disk, here or in a worker
            remove_temporaries(store.directory)  # of workers joblib stopped in the middle of a write
            kept = sum(store.has(c.id) for c in cells)
            raise OutputError(f"{err} to resume ({kept} of {len(cells)} cells are finished and kept in "
                              f"{store.directory})") from None


def _run(cfg: DictConfig, settings: SweepSettings, tracking: TrackingSettings, scenario_name: str, config: dict,
         cells: list[Cell], store: CellStore, wall: float) -> SweepResult:
    """The sweep, in a directory it holds: verify the cells on disk, run the others, then the tables,
    the report and MLflow. config: the plain config (no execution keys)."""
    run_dir = store.directory.parent
    strategies = strategy_names(cfg)
    found = store.check(cells)  # every cell file verified; one that fails is moved aside, with a warning
    showcase_dir = run_dir / "showcase"
    showcase_id = cells[0].id if settings.showcase and not showcase_dir.exists() else None
    pending = [c for c in cells if c.id == showcase_id or c.id not in found]
    pending_ids = {c.id for c in pending}
    done = [c for c in cells if c.id not in pending_ids]
    log.info("sweep %s: %d cells (%d axis points x %d replicates) x %d strategies; %d already on disk in %s",
             settings.name, len(cells), len(cells) // settings.replicates, settings.replicates, len(strategies),
             len(done), run_dir)

    logger = start_tracking(tracking, cfg, scenario_name, run_dir, settings.name, "sweep")
    params = {n: strategy_params(cfg, n) for n in strategies}
    try:
        for cell in done:  # a resumed sweep's parent run gets every cell (already logged ones are skipped)
            logger.log_children(cell_children(found[cell.id].to_dict("records"), params))
        start = time.perf_counter()
        run_tasks(tasks_for(pending, config, settings, store, showcase_id), settings,
                  lambda output: _keep(output, store, logger, params, showcase_dir))
        compute = time.perf_counter() - start
        results, summary, paired = _write_tables(store, cells, settings)
        start = time.perf_counter()
        report = _write_report(run_dir) if cfg.get("report", True) else None  # report=false: no figures/report
        report_s = time.perf_counter() - start
    except BaseException:  # finished cells are on disk; the parent run is marked FAILED until a rerun
        logger.abandon()
        raise
    artifacts = [run_dir / f for f in ("results.parquet", "results.csv", "summary.csv", "paired.csv", "config.yaml",
                                       "sweep.json", "report.html", "report.md", "figures", "showcase")]
    status = results[STATUS]
    tracked = logger.finish(artifacts, {"cells": len(cells), "rows": len(results),
                                        "rows_ok": int((status == Status.OK).sum()),
                                        "rows_infeasible": int((status == Status.INFEASIBLE).sum()),
                                        "compute_s": compute})
    out = SweepResult(run_dir, results, summary, paired, len(pending), len(done), compute, report_s,
                      time.perf_counter() - wall, tracked)
    print_sweep(out, settings, scenario_name, report)
    return out


def _write_tables(store: CellStore, cells: list[Cell],
                  settings: SweepSettings) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """results.parquet/.csv assembled from the cell files, summary.csv and paired.csv, each written
    atomically; returns (results, summary, paired). The results table is what its file holds (the
    parquet round trip also makes missing values uniform)."""
    run_dir = store.directory.parent
    path = write_parquet(store.assemble(cells), run_dir / "results.parquet",
                         {"config": store.config, "cells": len(cells), "format": 1})
    results = pd.read_parquet(path)
    write_csv(results, run_dir / "results.csv")
    axes = [a.column for a in settings.grid]
    summary = summarize(results, axes, level=settings.level)
    paired = paired_differences(results, axes, settings.reference, level=settings.level)
    write_csv(summary, run_dir / "summary.csv")
    write_csv(paired, run_dir / "paired.csv")
    return results, summary, paired


def _keep(output: TaskResult, store: CellStore, logger: RunLogger, params: dict[str, dict[str, str]],
          showcase_dir: Path) -> None:
    """A returned task, in the parent: save its cells (if the worker could not), queue them for
    MLflow, and write the showcase if the task carries it."""
    for result in output.cells:
        if not store.has(result.cell.id):  # the worker could not see the run directory (a remote cluster)
            store.write(result.table, result.cell.id)
        logger.log_children(cell_children(result.table.to_dict("records"), params))
    if output.showcase is not None:
        write_showcase(showcase_dir, output.showcase)


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
