"""Finding what was run: every single run, sweep and campaign under the dashboard's directories, with
the facts a list needs (world, seeds, date, commit, strategies), read without loading whole runs.

A directory is
- a **sweep** when its results table has ``axis.*`` columns (``benchmarks.run sweep=...``),
- a **single run** when it has a results table without them (``benchmarks.run``),
- a **campaign** when it has ``periods.parquet`` (the campaign runner's table of periods).
A run's own sub-directories (a sweep's ``showcase/`` and ``cells/``, a run's ``scenario/``, ...) are
part of it and never listed on their own. Nothing here writes anything.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow.parquet as pq

from benchmarks.report.load import read_config
from simcore.results import AXIS, SCENARIO, SEED, STRATEGY

log = logging.getLogger("retention-bench")
Kind = Literal["single", "sweep", "campaign"]
RESULTS = ("results.parquet", "results.csv")
CAMPAIGN = "periods.parquet"
# the report writes its provenance as "- git commit: <sha>" (benchmarks/report/templates/report.md.j2)
COMMIT = re.compile(r"^- git commit: (\S+)", re.MULTILINE)
DIRTY = re.compile(r"^- dirty: yes", re.MULTILINE)


@dataclass(frozen=True)
class RunEntry:
    """One run found on disk. world: the scenario name(s); seeds: as text ("42", "42 (3 replicates)");
    date: when its table was written (local time, minutes); commit: the git commit its report recorded
    ("" when it has no report), with "+dirty" when the tree had changes; axes: a sweep's axis config
    paths; table: the file the run's rows come from."""

    path: Path
    kind: Kind
    world: str
    seeds: str
    date: str
    commit: str
    strategies: tuple[str, ...]
    axes: tuple[str, ...]
    replicates: int
    table: Path

    @property
    def label(self) -> str:
        """How pickers name it: kind, world and where it is."""
        return f"{self.kind}: {self.world} - {self.path}"


def find_runs(roots: list[Path]) -> list[RunEntry]:
    """Every run under ``roots`` (each a run directory itself or a tree of them), newest first."""
    found: dict[Path, RunEntry] = {}
    for root in roots:
        for directory, subdirs, files in os.walk(root):
            try:
                entry = describe(Path(directory), set(files))
            except (OSError, ValueError) as err:  # a truncated table, a half-written run: list the others
                log.warning("dashboard: skipping %s: %s", directory, err)
                subdirs.clear()
                continue
            if entry is not None:
                found[entry.path.resolve()] = entry
                subdirs.clear()  # a run's own sub-directories belong to it
            else:
                subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
    return sorted(found.values(), key=lambda e: (e.date, str(e.path)), reverse=True)


def describe(directory: Path, files: set[str] | None = None) -> RunEntry | None:
    """The entry of ``directory``, None when it holds no run (files: its file names, if known)."""
    files = set(os.listdir(directory)) if files is None else files
    if CAMPAIGN in files:
        table, kind = directory / CAMPAIGN, "campaign"
    else:
        table = next((directory / name for name in RESULTS if name in files), None)
        if table is None:
            return None
        kind = "sweep" if any(c.startswith(AXIS) for c in _columns(table)) else "single"
    rows = _read(table, (SCENARIO, SEED, STRATEGY, "replicate"))
    config = read_config(directory)
    world = _joined(rows, SCENARIO) or (str(config.select("scenario.name")) if config else "") or "?"
    seeds = _joined(rows, SEED) or (str(config.select("seed")) if config else "") or "?"
    replicates = int(rows["replicate"].nunique()) if "replicate" in rows else 0
    if replicates:
        seeds += f" ({replicates} replicates)"
    return RunEntry(directory, kind, world, seeds, _date(table), recorded_commit(directory),
                    tuple(dict.fromkeys(rows[STRATEGY].astype(str))) if STRATEGY in rows else (),
                    tuple(c[len(AXIS):] for c in _columns(table) if c.startswith(AXIS)), replicates, table)


def recorded_commit(directory: Path) -> str:
    """The commit the run's report recorded (short, "+dirty" when the tree had changes); "" without a
    report. The report records it when the run ends, so it is the code that made the numbers."""
    report = directory / "report.md"
    if not report.exists():
        return ""
    text = report.read_text(errors="replace")
    match = COMMIT.search(text)
    if match is None:
        return ""
    return match.group(1)[:10] + ("+dirty" if DIRTY.search(text) else "")


def _columns(table: Path) -> list[str]:
    if table.suffix == ".parquet":
        return list(pq.read_schema(table).names)
    return list(pd.read_csv(table, nrows=0).columns)


def _read(table: Path, wanted: tuple[str, ...]) -> pd.DataFrame:
    """Only the identity columns of a run's table (a sweep's can have thousands of rows x 100 columns)."""
    columns = [c for c in wanted if c in _columns(table)]
    if table.suffix == ".parquet":
        return pd.read_parquet(table, columns=columns)
    return pd.read_csv(table, usecols=columns)


def _joined(rows: pd.DataFrame, column: str) -> str:
    if column not in rows:
        return ""
    values = list(dict.fromkeys(rows[column].dropna().astype(str)))
    return ", ".join(values[:3]) + (f", ... ({len(values)})" if len(values) > 3 else "")


def _date(table: Path) -> str:
    return datetime.fromtimestamp(table.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
