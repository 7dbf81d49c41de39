"""The cells of a sweep and where finished ones are kept.

A CELL is one replicate at one combination of axis values. Its id holds a hash of everything that
determines its rows (the config without the execution keys, the replicate, the axis values), so a
rerun into the same directory finds exactly the finished cells of THIS config in the store
(``cells/<cell id>.parquet``, each written atomically), and the results table is always assembled
from those files in the planned order: however and whenever they were written, the table is the same.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmarks.outputs import write_run
from benchmarks.pipeline import StrategyResult
from benchmarks.sweep.settings import Axis, Scalar, SweepSettings
from simcore.scenario import Scenario

# the columns a sweep puts before run_strategy's record (then one axis.<path> per axis)
CELL, REPLICATE = "cell", "replicate"


@dataclass(frozen=True)
class Cell:
    """One point of the sweep: a replicate at one combination of axis values (one per axis, in axis
    order). id: stable and file-name safe, ``r<replicate>-<values>-<hash of the cell's config>``."""

    id: str
    replicate: int
    values: tuple[Scalar, ...]


def _digest(data: object) -> str:
    return hashlib.blake2b(json.dumps(data, sort_keys=True, default=str).encode(), digest_size=8).hexdigest()


def _slug(value: Scalar) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", str(value)).strip("-")[:24] or "x"


def plan_cells(config: dict, settings: SweepSettings) -> list[Cell]:
    """Every cell, in the table's order: axis values (product, first axis outermost), then replicate.
    config: the plain config without execution keys (``settings.plain_config``)."""
    base = _digest(config)
    cells = []
    for values in itertools.product(*(a.values for a in settings.grid)):
        for r in range(settings.replicates):
            key = _digest([base, r, [[a.path, v] for a, v in zip(settings.grid, values)]])
            cells.append(Cell(f"r{r:03d}-{'_'.join(map(_slug, values))}-{key}", r, tuple(values)))
    return cells


def cell_frame(cell: Cell, axes: tuple[Axis, ...], results: Sequence[StrategyResult]) -> pd.DataFrame:
    """A finished cell's rows, one per strategy: cell, replicate, axis.<path> per axis, then the record."""
    lead = {CELL: cell.id, REPLICATE: cell.replicate, **{a.column: v for a, v in zip(axes, cell.values)}}
    return pd.DataFrame([{**lead, **r.record} for r in results])


@dataclass(frozen=True)
class CellStore:
    """Finished cells, one parquet file each in ``directory``. A file either exists complete or not
    at all, so an interrupted sweep leaves only cells it can skip on the rerun."""

    directory: Path

    def path(self, cell_id: str) -> Path:
        return self.directory / f"{cell_id}.parquet"

    def has(self, cell_id: str) -> bool:
        return self.path(cell_id).exists()

    def write(self, table: pd.DataFrame, cell_id: str) -> None:
        """Atomically: a tmp file (named by process, so concurrent writers never share one) + rename."""
        path = self.path(cell_id)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        table.to_parquet(tmp, index=False)
        os.replace(tmp, path)

    def read(self, cell_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.path(cell_id))

    def assemble(self, cells: Sequence[Cell]) -> pd.DataFrame:
        """The results table from the cell files, in the given (the sweep's) cell order, strategies in
        config order within a cell: the same files give the same table however they were written."""
        with warnings.catch_warnings():  # cells without some optional column (e.g. only one has shadow prices)
            warnings.filterwarnings("ignore", category=FutureWarning)
            return pd.concat([self.read(c.id) for c in cells], ignore_index=True)


@dataclass(frozen=True)
class Showcase:
    """The first cell's scenario and full strategy results, for write_run (plans, audit, scenario/)."""

    scenario: Scenario
    results: tuple[StrategyResult, ...]


def write_showcase(directory: Path, showcase: Showcase) -> None:
    """The showcase's single-run outputs into ``directory``, replaced as a whole (a tmp directory +
    rename), so a present showcase/ is always complete and a rerun can trust its existence."""
    tmp = directory.with_name(f".{directory.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    write_run(tmp, showcase.scenario, list(showcase.results))
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(tmp, directory)
