"""Reading what a run left on disk: the results table, the per-customer material of a single-run
directory (a run's own, or a sweep's ``showcase/``), the coverage floors and the saved config.

A single run's directory is what ``python -m benchmarks.run`` writes; a sweep's directory has
``axis.*`` columns in its results and a ``showcase/`` single-run directory for per-customer figures.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from benchmarks.frames import axis_columns, strategy_order
from simcore.errors import ConfigError
from simcore.results import STATUS, STRATEGY, Status

REFERENCE = "milp"  # the paired differences' reference strategy when the sweep's config names none


@dataclass(frozen=True)
class Floors:
    """Coverage floors as shares 0..1: ``fairness`` (every segment; None when the scenario has
    none) and ``by_segment`` (segment -> the strictest floor that applies to it)."""

    fairness: float | None
    by_segment: dict[str, float]


@dataclass(frozen=True)
class PlanData:
    """One single-run directory's per-customer material: its results (one row per strategy),
    customers, catalog (actions.csv), plans (strategy -> plans/<strategy>.csv), floors (from
    constraints.json) and the constraint audit (audit.csv; empty when missing)."""

    directory: Path
    results: pd.DataFrame
    customers: pd.DataFrame
    actions: pd.DataFrame
    plans: dict[str, pd.DataFrame]
    floors: Floors
    audit: pd.DataFrame


@dataclass(frozen=True)
class SavedConfig:
    """The config a run was made from, read and parsed once: ``path`` (a sweep's resolved
    ``config.yaml`` or Hydra's ``.hydra/config.yaml``), its ``text`` as saved and its ``node``."""

    path: Path
    text: str
    node: DictConfig

    def select(self, key: str) -> object:
        """The value at ``key`` (OmegaConf syntax, ``sweep.level``), None when absent."""
        return OmegaConf.select(self.node, key, default=None)


@dataclass(frozen=True)
class RunData:
    """kind: a single run or a sweep. plan_data: the run itself (single) or its showcase (sweep),
    None when that directory or its scenario export is missing. axes: the sweep's ``axis.*`` columns
    in results order. config: None when the run was started without saving one (run() in-process)."""

    run_dir: Path
    kind: Literal["single", "sweep"]
    results: pd.DataFrame
    plan_data: PlanData | None
    config: SavedConfig | None
    axes: list[str] = field(default_factory=list)


def read_results(directory: Path) -> pd.DataFrame:
    """``results.parquet`` (preferred: exact dtypes) or ``results.csv`` of a run directory."""
    if (directory / "results.parquet").exists():
        return pd.read_parquet(directory / "results.parquet")
    if (directory / "results.csv").exists():
        return pd.read_csv(directory / "results.csv")
    raise ConfigError(f"RUN_DIR = {str(directory)!r}: holds no results.parquet or results.csv; "
                      "give a directory written by python -m benchmarks.run")


def read_config(run_dir: Path) -> SavedConfig | None:
    """The config a run was made from: ``config.yaml`` (a sweep's resolved config) or Hydra's
    ``.hydra/config.yaml`` (a single run); None when the run was started without either (run() called
    in-process)."""
    for path in (run_dir / "config.yaml", run_dir / ".hydra" / "config.yaml"):
        if path.exists():
            text = path.read_text()
            return SavedConfig(path, text, OmegaConf.create(text))
    return None


def segment_floors(spec: Mapping[str, object], segments: list[str]) -> Floors:
    """The floors of constraints.json's ``spec`` ({key: {_target_, fields}}, the ConstraintSet as
    exported): the fairness floor (FairnessFloor) and the coverage floors (CoverageFloor) defined on
    segments only (a floor on a risk or value tier is about another group of customers)."""
    kinds = {key: str(c.get("_target_", "")).rsplit(".", 1)[-1] for key, c in spec.items()}
    shares = [float(spec[k]["min_share"]) for k, kind in kinds.items() if kind == "FairnessFloor"]
    fairness = max(shares) if shares else None
    floors = {s: fairness for s in segments} if fairness is not None else {}
    for key, kind in kinds.items():
        floor = spec[key]
        if kind == "CoverageFloor" and floor.get("segments") and not floor.get("risk_tiers") \
                and not floor.get("value_tiers"):
            for segment in floor["segments"]:
                floors[segment] = max(floors.get(segment, 0.0), float(floor["min_share"]))
    return Floors(fairness, floors)


def load_plan_data(directory: Path, results: pd.DataFrame | None = None) -> PlanData | None:
    """The per-customer material of a single-run directory, None when its scenario export is missing.
    results: that directory's results table, if the caller has read it already."""
    scenario = directory / "scenario"
    if not (scenario / "customers.parquet").exists() or not (scenario / "actions.csv").exists():
        return None
    results = read_results(directory) if results is None else results
    plans = {}
    for strategy in results.loc[results[STATUS] == Status.OK, STRATEGY]:
        path = directory / "plans" / f"{strategy}.csv"
        if path.exists():
            plans[strategy] = pd.read_csv(path, dtype={"customer_id": str})
    spec_path = scenario / "constraints.json"
    spec = json.loads(spec_path.read_text()).get("spec", {}) if spec_path.exists() else {}
    audit = pd.read_csv(directory / "audit.csv") if (directory / "audit.csv").exists() else pd.DataFrame()
    customers = pd.read_parquet(scenario / "customers.parquet")
    customers["customer_id"] = customers["customer_id"].astype(str)
    floors = segment_floors(spec, sorted(customers["segment"].astype(str).unique()))
    return PlanData(directory, results, customers, pd.read_csv(scenario / "actions.csv"), plans, floors, audit)


def load_run(run_dir: Path) -> RunData:
    """Everything the report needs from ``run_dir``; a sweep is recognized by ``axis.*`` columns."""
    if not run_dir.is_dir():
        raise ConfigError(f"RUN_DIR = {str(run_dir)!r}: not a directory; give the output directory of a run or sweep")
    results = read_results(run_dir)
    if results.empty or STRATEGY not in results.columns or STATUS not in results.columns:
        raise ConfigError(f"RUN_DIR = {str(run_dir)!r}: its results table has no rows with strategy and status")
    config = read_config(run_dir)
    axes = axis_columns(results)
    if axes:
        showcase = run_dir / "showcase"
        return RunData(run_dir, "sweep", results, load_plan_data(showcase) if showcase.is_dir() else None,
                       config, axes)
    return RunData(run_dir, "single", results, load_plan_data(run_dir, results), config)


def sweep_options(data: RunData) -> tuple[str, float]:
    """(reference strategy, interval level) of a sweep: ``sweep.reference`` and ``sweep.level`` of
    its saved config when present; else milp (or the first strategy) and 0.95."""
    strategies = strategy_order(data.results)
    reference = data.config.select("sweep.reference") if data.config is not None else None
    if reference not in strategies:
        reference = REFERENCE if REFERENCE in strategies else strategies[0]
    level = data.config.select("sweep.level") if data.config is not None else None
    return str(reference), float(level) if isinstance(level, (int, float)) else 0.95


def showcase_point(data: RunData) -> str:
    """Where a sweep's showcase (replicate 0 of its first cell) sits along its axes."""
    return "first axis level" if len(data.axes) == 1 else "first level of every axis"
