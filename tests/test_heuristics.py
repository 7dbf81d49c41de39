"""What particular heuristics promise beyond the generic contract (tests/test_contract.py)."""
from __future__ import annotations

import numpy as np

from simcore.rng import generator
from tests.test_contract import strategy, world
from benchmarks.config import build_section
from tests.conftest import compose_config


def test_random_depends_on_its_seed():
    sc, strat = world("clv_retail"), strategy("random")
    a = strat.select(sc.view, generator(np.random.SeedSequence(1), "strategy", "random"))
    b = strat.select(sc.view, generator(np.random.SeedSequence(2), "strategy", "random"))
    assert (a.action != b.action).any()


def test_nba_rules_downgrades_calls_beyond_capacity_by_rank():
    # a budget large enough that only the call capacity limits the critical accounts
    cfg = compose_config("scenario=nba_engine", "scenario.constraints.budget.limit=1e9",
                         "scenario.constraints.max_contacts.limit=2000")
    sc, strat = build_section(cfg, "scenario").build(np.random.SeedSequence(3)), strategy("nba_rules")
    plan = strat.select(sc.view, np.random.default_rng(0))
    call = sc.catalog.index("account_call")
    assert (plan.action == call).sum() <= strat.weekly_call_capacity
    ev = strat.expected_values(sc.view)
    segments = strat.rule_segments(sc.view)
    critical = np.flatnonzero((segments == "critical_save") & (ev["call"] > ev["discount"]) & (ev["call"] > 0))
    assert len(critical) > strat.weekly_call_capacity, "fixture must oversubscribe calls"
    called = critical[plan.action[critical] == call]
    downgraded = critical[plan.action[critical] == sc.catalog.index("discount_email")]
    assert len(downgraded) > 0
    # calls go to the highest-EV critical accounts: every called one outranks every downgraded one
    assert ev["call"][called].min() >= ev["call"][downgraded].max()


def test_clv_top_n_takes_budget_over_cost_customers_in_clv_retail():
    sc, strat = world("clv_retail"), strategy("clv_top_n")
    plan = strat.select(sc.view, np.random.default_rng(0))
    assert (plan.action >= 0).sum() == 50_000 // 100
