"""A campaign cell in the sweep machinery: what a worker does with one, and the one file it leaves.

A cell is one replicate's whole campaign at one combination of axis values. Its four tables
(periods, uplift estimates, off-policy estimates, the propensity log) are stacked into ONE frame with
a ``table`` column saying which is which, so the sweep's :class:`~benchmarks.sweep.cells.CellStore`
writes a cell atomically, with its checksums and its record of cell id and config, and a resume
trusts it or recomputes it as a whole (never a cell with three of its four tables). The parent splits
them again (:func:`split`).

Tasks are the sweep's (:func:`benchmarks.sweep.execute.tasks_for`: one replicate's cells in axis
order, or ``chunk`` of them) and run through the sweep's executor (loky or Dask, parent checks,
progress bar) with :func:`run_campaign_task` as the work.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from benchmarks.campaign.loop import CampaignTables, run_campaign
from benchmarks.campaign.settings import ope_targets
from benchmarks.config import build_section, selected_strategies
from benchmarks.sweep.cells import CELL, REPLICATE, Cell
from benchmarks.sweep.execute import CellResult, Task, TaskResult
from benchmarks.sweep.settings import Axis
from simcore.checks import check_seed
from simcore.results import SCENARIO, SEED
from simcore.rng import child

TABLE = "table"
TABLES = ("periods", "uplift", "ope", "log")


def cell_frame(cell: Cell, axes: tuple[Axis, ...], tables: CampaignTables, scenario: str, seed: int) -> pd.DataFrame:
    """The cell's four tables stacked: cell, replicate, axis.<path> per axis, scenario, seed, table,
    then each table's own columns (NaN where another table's)."""
    lead = {CELL: cell.id, REPLICATE: cell.replicate, **{a.column: v for a, v in zip(axes, cell.values)},
            SCENARIO: scenario, SEED: seed}
    parts = []
    for kind in TABLES:
        frame = getattr(tables, kind)
        if not frame.empty:  # booleans as pandas' nullable boolean: stacked, the other tables' rows are NA
            frame = frame.astype({c: "boolean" for c in frame.columns if frame[c].dtype == bool})
            parts.append(pd.concat([pd.DataFrame({**lead, TABLE: kind}, index=frame.index), frame], axis=1))
    return pd.concat(parts, ignore_index=True)


def split(stacked: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The four tables of stacked cell frames, each with only its own columns (and the lead ones)."""
    out = {}
    for kind in TABLES:
        part = stacked[stacked[TABLE] == kind].drop(columns=TABLE)
        out[kind] = part.dropna(axis=1, how="all").reset_index(drop=True) if not part.empty else part
    return out


def run_campaign_task(task: Task) -> TaskResult:
    """The worker: a task's cells in order, each a whole campaign (benchmarks.campaign.loop), written
    to the store as soon as it is done when the worker sees the run directory. Stops early, returning
    the cells done so far, when the sweep's process is gone (before a cell and before its write)."""
    cfg = OmegaConf.create(task.config)
    out = []
    for cell in task.cells:
        if not task.parent.alive():
            break
        for axis, value in zip(task.axes, cell.values):
            OmegaConf.update(cfg, axis.path, value, merge=False)
        settings = build_section(cfg, "campaign")
        spec = build_section(cfg, "scenario")
        seed = check_seed(cfg.seed)
        tables = run_campaign(spec, settings, selected_strategies(cfg), ope_targets(cfg, settings),
                              build_section(cfg, "evaluation"),
                              child(np.random.SeedSequence(seed), "replicate", cell.replicate))
        frame = cell_frame(cell, task.axes, tables, spec.name, seed)
        if not task.parent.alive():  # the directory may belong to another sweep by now
            break
        if task.store.directory.is_dir():
            task.store.write(frame, cell.id)
        out.append(CellResult(cell, frame))
    return TaskResult(tuple(out), None)
