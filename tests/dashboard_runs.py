"""The small runs the dashboard's tests browse, made once per test session: a single run on
playlistpro, two replicated sweeps over the same budgets (the second with a tighter email capacity,
so their paired differences are not all zero) and a small campaign (3 periods, 2 replicates)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.campaign import run_campaign_sweep
from benchmarks.run import run
from benchmarks.sweep import run_sweep
from tests.conftest import compose_config

SINGLE = ("strategies=[do_nothing,random,clv_top_n,milp]", "evaluation.replications=200")
# 60 customers keep milp at a few tens of milliseconds; budget 40 is infeasible in some replicates
SWEEP = ("sweep=budget_sensitivity", "scenario.population.n_customers=60", "evaluation.replications=50",
         "strategies=[random,clv_top_n,milp]", "sweep.replicates=2", "sweep.n_jobs=1",
         "sweep.axes={scenario.constraints.budget.limit:[40,160]}")
BUDGET = "axis.scenario.constraints.budget.limit"
CAMPAIGN = ("campaign=holdout_learning", "scenario.population.n_customers=60", "campaign.periods=3",
            "campaign.replicates=2", "campaign.dynamics.arrivals=10", "campaign.ope_targets=[clv_top_n]",
            "strategies=[clv_top_n,milp,learning_milp,oracle]", "evaluation.replications=20", "campaign.n_jobs=1")


@dataclass(frozen=True)
class Runs:
    """root holds them all; single: its results table as run() returned it."""

    root: Path
    single_dir: Path
    single: pd.DataFrame
    sweep_a: Path
    sweep_b: Path
    campaign: Path


_MADE: list[Runs] = []
_BUDGET_300: list[Path] = []


def made_runs(factory: pytest.TempPathFactory) -> Runs:
    """The runs, made on first use and shared by every dashboard test module."""
    if not _MADE:
        root = factory.mktemp("dashboard_runs")
        single = run(compose_config(*SINGLE), root / "single")
        run_sweep(compose_config(*SWEEP), root / "sweep_a")
        run_sweep(compose_config(*SWEEP, "scenario.constraints.email_capacity.limit=10"), root / "sweep_b")
        run_campaign_sweep(compose_config(*CAMPAIGN), root / "campaign")
        _MADE.append(Runs(root, root / "single", single, root / "sweep_a", root / "sweep_b", root / "campaign"))
    return _MADE[0]


def files_of(root: Path) -> dict[str, float]:
    """Every file under ``root`` with its modification time: what "wrote nothing" is checked against."""
    return {str(p.relative_to(root)): p.stat().st_mtime for p in root.rglob("*") if p.is_file()}


def budget_300(factory: pytest.TempPathFactory) -> Path:
    """The directory of ``benchmarks.run`` with milp on playlistpro at a budget of $300: what the
    what-if page must show after setting the budget to 300 (in AppTest and in the browser)."""
    if not _BUDGET_300:
        out = factory.mktemp("budget_300") / "run"
        run(compose_config("strategies=[milp]", "scenario.constraints.budget.limit=300"), out)
        _BUDGET_300.append(out)
    return _BUDGET_300[0]
