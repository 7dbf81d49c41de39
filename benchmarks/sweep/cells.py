"""The cells of a sweep and where finished ones are kept.

A CELL is one replicate at one combination of axis values. Its id holds a hash of everything that
determines its rows (the config without the execution keys, the replicate, the axis values), so a
rerun into the same directory finds exactly the finished cells of THIS config in the store
(``cells/<cell id>.parquet``), and the results table is always assembled from those files in the
planned order: however and whenever they were written, the table is the same.

A cell file describes itself and is never trusted blindly: it is written atomically with a checksum
per data page and records ``{"cell": <its id>, "config": <the sweep's config hash>, "format": 1}``
in its parquet metadata (``simcore.files``). Before a sweep resumes, :meth:`CellStore.check` reads
every file with its checksums verified; one that is truncated, corrupt, written by another version,
copied over another cell's name or computed from another config is moved to ``cells/rejected/`` with
a warning that names it and why, and its cell is computed again.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmarks.outputs import write_run
from benchmarks.pipeline import StrategyResult
from benchmarks.sweep.settings import Axis, Scalar, SweepSettings
from simcore.files import (
    UnreadableFile,
    atomic_write,
    read_parquet_checked,
    write_parquet,
    writing,
)
from simcore.results import with_attainable
from simcore.scenario import Scenario

# the columns a sweep puts before run_strategy's record (then one axis.<path> per axis)
CELL, REPLICATE = "cell", "replicate"
# the version of what a cell file records about itself; a file of another format is recomputed
FORMAT = 1
# where check() moves the cell files it does not trust (inside the store's directory)
REJECTED = "rejected"


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


def config_hash(config: dict) -> str:
    """The hash of the plain config (without execution keys): part of every cell id, recorded in
    every cell file and in the directory's ``sweep.json``."""
    return _digest(config)


def plan_cells(config: dict, settings: SweepSettings) -> list[Cell]:
    """Every cell, in the table's order: axis values (product, first axis outermost), then replicate.
    config: the plain config without execution keys (``settings.plain_config``)."""
    base = config_hash(config)
    cells = []
    for values in itertools.product(*(a.values for a in settings.grid)):
        for r in range(settings.replicates):
            key = _digest([base, r, [[a.path, v] for a, v in zip(settings.grid, values)]])
            cells.append(Cell(f"r{r:03d}-{'_'.join(map(_slug, values))}-{key}", r, tuple(values)))
    return cells


def cell_frame(cell: Cell, axes: tuple[Axis, ...], results: Sequence[StrategyResult]) -> pd.DataFrame:
    """A finished cell's rows, one per strategy: cell, replicate, axis.<path> per axis, then the record
    (with each row's share of the cell's attainable value)."""
    lead = {CELL: cell.id, REPLICATE: cell.replicate, **{a.column: v for a, v in zip(axes, cell.values)}}
    return pd.DataFrame([{**lead, **rec} for rec in with_attainable([r.record for r in results])])


@dataclass(frozen=True)
class CellStore:
    """Finished cells, one parquet file each in ``directory``, of the sweep whose plain config hashes
    to ``config``. A file either exists complete or not at all (``simcore.files.atomic_write``), and
    records which cell of which config it holds, so a file that is not what its name says is caught.
    The store is handed to workers: it holds no tables, only where they go."""

    directory: Path
    config: str

    def path(self, cell_id: str) -> Path:
        return self.directory / f"{cell_id}.parquet"

    def has(self, cell_id: str) -> bool:
        return self.path(cell_id).exists()

    def write(self, table: pd.DataFrame, cell_id: str) -> None:
        """Atomically, with page checksums and the record {cell, config, format}."""
        write_parquet(table, self.path(cell_id), {"cell": cell_id, "config": self.config, "format": FORMAT})

    def read(self, cell_id: str) -> pd.DataFrame:
        """A cell's rows, only if its file passes every check (else UnreadableFile saying why)."""
        path = self.path(cell_id)
        frame, why = self._open(path)
        if frame is None:
            raise UnreadableFile(f"{path}: {why}; rerun the same command: the file is moved aside and its "
                                 "cell computed again")
        return frame

    def check(self, cells: Sequence[Cell]) -> dict[str, pd.DataFrame]:
        """Verify EVERY cell file in the store (not only those of ``cells``); move each one that fails
        to ``rejected/`` with a warning naming it and why. Returns {cell id: rows} of the ``cells``
        whose files passed, i.e. the cells a resumed sweep may skip."""
        wanted = {c.id for c in cells}
        found = {}
        for path in sorted(self.directory.glob("*.parquet")):
            frame, why = self._open(path)
            if frame is None:
                self._reject(path, why)
            elif path.stem in wanted:
                found[path.stem] = frame
        return found

    def assemble(self, cells: Sequence[Cell]) -> pd.DataFrame:
        """The results table from the cell files, in the given (the sweep's) cell order, strategies in
        config order within a cell: the same files give the same table however they were written."""
        with warnings.catch_warnings():  # cells without some optional column (e.g. only one has shadow prices)
            warnings.filterwarnings("ignore", category=FutureWarning)
            return pd.concat([self.read(c.id) for c in cells], ignore_index=True)

    def _open(self, path: Path) -> tuple[pd.DataFrame | None, str]:
        """(rows, "") for a file that is what its name says, else (None, why not)."""
        try:
            frame, record = read_parquet_checked(path)
        except UnreadableFile as err:
            return None, str(err).removeprefix(f"{path}: ")
        cell = path.stem
        if not record:
            return None, "it records no cell id and config (written by an older version or another program)"
        if record.get("format") != FORMAT:
            return None, f"cell file format {record.get('format')!r}, this version reads {FORMAT}"
        if record.get("cell") != cell:
            return None, f"it holds cell {record.get('cell')}, not {cell} (copied over another cell's file?)"
        if record.get("config") != self.config:
            return None, (f"it was computed from another config (hash {record.get('config')}, this sweep's "
                          f"is {self.config})")
        if frame.empty or CELL not in frame or not frame[CELL].eq(cell).all():
            return None, f"its rows are not the rows of cell {cell}"
        return frame, ""

    def _reject(self, path: Path, why: str) -> None:
        target = self.directory / REJECTED / path.name
        n = 1
        while target.exists():  # a cell rejected before: keep every rejected file
            target = target.with_name(f"{path.stem}.{n}.parquet")
            n += 1
        with writing(target):
            target.parent.mkdir(exist_ok=True)
            os.replace(path, target)
        warnings.warn(f"{path}: {why}; moved to {target.parent}/, its cell is computed again", stacklevel=3)


@dataclass(frozen=True)
class Showcase:
    """The first cell's scenario and full strategy results, for write_run (plans, audit, scenario/)."""

    scenario: Scenario
    results: tuple[StrategyResult, ...]


def write_showcase(directory: Path, showcase: Showcase) -> None:
    """The showcase's single-run outputs into ``directory``, replaced as a whole (a temporary
    directory + rename, ``simcore.files.atomic_write``), so a present showcase/ is always complete and
    a rerun can trust its existence."""
    atomic_write(directory, lambda tmp: write_run(tmp, showcase.scenario, list(showcase.results)))
