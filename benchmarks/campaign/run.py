"""A campaign run as a sweep: the parent process (``python -m benchmarks.run campaign=holdout_learning``).

The directory, its lock and its record (``sweep.json``: which config it holds; ``campaign.fresh=true``
moves another config's outputs into ``superseded/``), the cell store (``cells/``, verified before a
resume), the tasks and their executor (loky or Dask) are the sweep's own
(benchmarks.sweep.{directory,cells,execute}); a cell is one replicate's whole campaign
(benchmarks.campaign.cells). A resumed campaign recomputes exactly the missing cells, and the tables
are assembled from the cell files in a fixed order (axis levels, then replicates), so neither the
interruption nor ``n_jobs`` changes them.

Outputs in the run directory (or ``campaign.resume_dir``): periods.parquet/.csv (one row per period x
strategy x replicate, with the cumulative value and the regret against ``campaign.reference``),
uplift_estimates.parquet, ope.parquet, propensity_log.parquet, campaign_summary.csv,
uplift_accuracy.csv, ope_summary.csv, config.yaml, sweep.json, cells/, the report (report.html/.md,
figures/; ``report=false`` skips it) and, with tracking on, MLflow: one parent run (per-period means
as metrics with ``step`` = period) and one child run per cell (``benchmarks.campaign.tracking``).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from benchmarks.campaign.cells import run_campaign_task, split
from benchmarks.campaign.settings import CampaignSettings, cell_config, check_campaign
from benchmarks.campaign.tables import (campaign_summary, final_rows, ope_summary, uplift_accuracy,
                                        with_cumulative)
from benchmarks.campaign.tracking import log_cell, period_metrics
from benchmarks.config import build_section, strategy_params
from benchmarks.sweep.cells import Cell, CellStore, plan_cells
from benchmarks.sweep.directory import Identity, claim, locked, supersede
from benchmarks.sweep.execute import TaskResult, run_tasks, tasks_for
from benchmarks.sweep.settings import plain_config
from benchmarks.tracking import RunLogger, start
from simcore.checks import check_seed
from simcore.files import OutputError, remove_temporaries, write_csv, write_parquet, write_text, writing

log = logging.getLogger("retention-bench")
# what a campaign writes besides what the sweep's directory record moves on a fresh start
OUTPUTS = ("periods.parquet", "periods.csv", "uplift_estimates.parquet", "ope.parquet", "propensity_log.parquet",
           "campaign_summary.csv", "uplift_accuracy.csv", "ope_summary.csv")
FILES = {"periods": "periods.parquet", "uplift": "uplift_estimates.parquet", "ope": "ope.parquet",
         "log": "propensity_log.parquet"}


@dataclass(frozen=True)
class CampaignResult:
    """tables: periods (with the cumulative columns), uplift, ope, log; summary, accuracy, ope_summary:
    the written summaries; cells_run / cells_skipped; seconds: compute, report, wall; run_id: the
    MLflow parent run (None when tracking is off or failed)."""

    run_dir: Path
    tables: dict[str, pd.DataFrame]
    summary: pd.DataFrame
    accuracy: pd.DataFrame
    ope_summary: pd.DataFrame
    cells_run: int
    cells_skipped: int
    compute_s: float
    report_s: float
    wall_s: float
    run_id: str | None


def run_campaign_sweep(cfg: DictConfig, run_dir: Path) -> CampaignResult:
    """Run (or resume) the campaign ``cfg.campaign`` into ``run_dir`` (module docstring). Raises
    ConfigError for an invalid campaign or a directory held by another run or config, OutputError
    when the disk fills up (the finished cells are kept: the same command resumes)."""
    wall = time.perf_counter()
    settings: CampaignSettings = build_section(cfg, "campaign")
    tracking = build_section(cfg, "tracking")
    check_seed(cfg.seed)
    names = check_campaign(cfg, settings)
    scenario = build_section(cfg, "scenario").name
    run_dir = Path(settings.resume_dir) if settings.resume_dir else run_dir
    config = plain_config(cfg)  # what the workers rebuild everything from
    identity = Identity.of(cell_config(config), settings)
    cells = plan_cells(identity.plain, settings)
    with writing(run_dir):
        run_dir.mkdir(parents=True, exist_ok=True)
    with locked(run_dir):
        moved = claim(run_dir, identity, settings.fresh)
        mine = [n for n in OUTPUTS if (run_dir / n).exists()]
        if settings.fresh and mine:
            moved = supersede(run_dir, mine) if moved is None else _move_into(run_dir, mine, moved)
        if moved is not None:
            log.warning("campaign.fresh: the previous outputs of %s are now in %s", run_dir, moved)
        store = CellStore(run_dir / "cells", identity.config)
        try:
            _prepare(store, cfg)
            logger = start(tracking, cfg, scenario, run_dir, settings.name, "campaign")
            params = {n: strategy_params(cfg, n) for n in names}
            return _run(cfg, settings, config, cells, store, logger, params, wall)
        except OutputError as err:
            remove_temporaries(store.directory)
            kept = sum(store.has(c.id) for c in cells)
            raise OutputError(f"{err} to resume ({kept} of {len(cells)} cells are finished and kept in "
                              f"{store.directory})") from None


def _prepare(store: CellStore, cfg: DictConfig) -> None:
    """In a directory this process holds: the store's directory, without what a killed writer left
    in it or in the run directory, and the resolved config."""
    run_dir = store.directory.parent
    for directory in (run_dir, store.directory):
        with writing(directory):
            directory.mkdir(parents=True, exist_ok=True)
        remove_temporaries(directory)
    write_text(run_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))


def _move_into(run_dir: Path, names: list[str], target: Path) -> Path:
    for name in names:
        (run_dir / name).replace(target / name)
    return target


def _run(cfg: DictConfig, settings: CampaignSettings, config: dict, cells: list[Cell], store: CellStore,
         logger: RunLogger, params: dict[str, dict[str, str]], wall: float) -> CampaignResult:
    run_dir = store.directory.parent
    found = store.check(cells)
    pending = [c for c in cells if c.id not in found]
    log.info("campaign %s: %d cells (%d replicates) of %d periods; %d already on disk in %s", settings.name,
             len(cells), settings.replicates, settings.periods, len(cells) - len(pending), run_dir)
    try:
        for cell_id in (c.id for c in cells if c.id in found):
            log_cell(logger, found[cell_id], settings.reference, params)
        start = time.perf_counter()

        def keep(output: TaskResult) -> None:
            for result in output.cells:
                if not store.has(result.cell.id):  # a worker that could not see the run directory
                    store.write(result.table, result.cell.id)
                log_cell(logger, result.table, settings.reference, params)

        run_tasks(tasks_for(pending, config, settings, store, None), settings, keep, work=run_campaign_task)
        compute = time.perf_counter() - start
        tables, summary, accuracy, ope = write_tables(run_dir, store, cells, settings)
        start = time.perf_counter()
        report = _write_report(run_dir) if cfg.get("report", True) else None
        report_s = time.perf_counter() - start
    except BaseException:
        logger.abandon()
        raise
    logger.log_metrics(period_metrics(tables["periods"], [a.column for a in settings.grid]))
    tracked = logger.finish([run_dir / f for f in (*OUTPUTS, "config.yaml", "sweep.json", "report.html", "report.md",
                                                   "figures")],
                            {"cells": len(cells), "rows": len(tables["periods"]), "compute_s": compute})
    result = CampaignResult(run_dir, tables, summary, accuracy, ope, len(pending), len(cells) - len(pending), compute,
                            report_s, time.perf_counter() - wall, tracked.run_id)
    from benchmarks.campaign.console import print_campaign  # printing only

    print_campaign(result, settings, report)
    return result


def write_tables(run_dir: Path, store: CellStore, cells: list[Cell], settings: CampaignSettings
                 ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every table, assembled from the cell files in the campaign's cell order and written atomically;
    returns (tables, summary, accuracy, ope summary)."""
    tables = split(store.assemble(cells))
    axes = [a.column for a in settings.grid]
    tables["periods"] = with_cumulative(tables["periods"], settings.reference)
    meta = {"config": store.config, "cells": len(cells), "format": 1}
    for kind, name in FILES.items():
        tables[kind] = pd.read_parquet(write_parquet(tables[kind], run_dir / name, {**meta, "table": kind}))
    write_csv(tables["periods"], run_dir / "periods.csv")
    summary = campaign_summary(final_rows(tables["periods"]), axes, settings.baselines, settings.level)
    accuracy = uplift_accuracy(tables["uplift"], axes) if not tables["uplift"].empty else pd.DataFrame()
    ope = ope_summary(tables["ope"], axes)
    for frame, name in ((summary, "campaign_summary.csv"), (accuracy, "uplift_accuracy.csv"), (ope, "ope_summary.csv")):
        write_csv(frame, run_dir / name)
    return tables, summary, accuracy, ope


def _write_report(run_dir: Path) -> Path | None:
    """The campaign's report; a failure warns (every table is on disk; ``python -m benchmarks.report
    RUN_DIR`` redoes it)."""
    import warnings

    from benchmarks.campaign.report import write_campaign_report  # keeps matplotlib out of the workers

    try:
        return write_campaign_report(run_dir)[0]
    except Exception as err:  # noqa: BLE001 - the campaign's tables are complete without the report
        warnings.warn(f"the report could not be written ({type(err).__name__}: {err}); the tables are in "
                      f"{run_dir}; retry with python -m benchmarks.report {run_dir}", stacklevel=2)
        return None
