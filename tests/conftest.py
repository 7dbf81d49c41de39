"""Shared fixtures: a hand-made 5-customer scenario whose KPIs are computed by hand in the tests,
and the one helper that composes the real Hydra configs the way the main job does."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.config import compose
from simcore.catalog import Action, Catalog
from simcore.constraints import Budget, ChannelCapacity, ConstraintSet, FairnessFloor
from simcore.population import Population, derive_tiers
from simcore.scenario import Scenario

CONF = Path(__file__).resolve().parents[1] / "conf"
# every world a user can run without giving a path (from_dir and from_file need one)
SCENARIOS = sorted(p.stem for p in (CONF / "scenario").glob("*.yaml") if p.stem not in ("from_dir", "from_file"))
STRATEGIES = sorted(p.stem for p in (CONF / "strategy").glob("*.yaml"))


def compose_config(*overrides: str):
    """The project's config with these overrides (benchmarks.config.compose, as the main job composes
    it), with tracking and the report off unless an override turns them on."""
    return compose("tracking=off", "report=false", *overrides)


def tiny_population(churn_true, clv_true, churn_est=None, clv_est=None, segments=None, revenue=None) -> Population:
    n = len(churn_true)
    table = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)],
        "segment": segments or ["A"] * n,
        "churn_prob_true": churn_true, "clv_true": clv_true,
        "churn_prob_est": churn_est if churn_est is not None else churn_true,
        "clv_est": clv_est if clv_est is not None else clv_true,
        "engagement": 50.0, "purchase_frequency": np.arange(n, 0, -1, dtype=float),
        "annual_revenue": revenue if revenue is not None else [100.0] * n,
        "tenure_months": 12.0, "upsell_propensity": 0.5,
    })
    return Population(derive_tiers(table, 0.5))


@pytest.fixture
def five() -> Scenario:
    """5 customers x (none, email $1 uplift 0.1, call $10 uplift 0.5 + 20% revenue, upsell $2 gaining $100).

    Truth differs from estimates so 'true' and 'est' KPIs differ; true effects are given explicitly.
    """
    population = tiny_population(
        churn_true=[0.5, 0.2, 0.8, 0.1, 0.4], clv_true=[1000.0, 500.0, 200.0, 3000.0, 100.0],
        churn_est=[0.6, 0.2, 0.7, 0.1, 0.3], clv_est=[900.0, 500.0, 250.0, 2500.0, 100.0],
        segments=["A", "A", "B", "B", "B"], revenue=[100.0, 50.0, 20.0, 300.0, 10.0])
    catalog = Catalog(actions=[
        Action(id="none", channel="none"),
        Action(id="email", channel="email", cost=1.0, uplift=0.1),
        Action(id="call", channel="call", cost=10.0, revenue_share=0.2, uplift=0.5),
        Action(id="upsell", channel="sales", cost=2.0, revenue_gain=100.0),
    ])
    constraints = ConstraintSet({"budget": Budget(limit=30.0),
                                 "calls": ChannelCapacity(channels=["call"], limit=1),
                                 "fairness": FairnessFloor(min_share=0.4)})
    eligible = catalog.eligibility(population)
    n_pairs = int(eligible.sum())
    # true effect = stated uplift x 1.2 for every pair (deterministic heterogeneity)
    uplift = np.array([a.uplift for a in catalog.actions])[np.nonzero(eligible)[1]]
    assert n_pairs == 15
    return Scenario.assemble("five", population, catalog, constraints, eligible, effect_true=uplift * 1.2)
