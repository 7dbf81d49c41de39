"""One contract over every conf/strategy/*.yaml x every scenario preset: a valid plan, hard limits
respected (the treat_everyone reference excepted, by design), same seed -> identical plan."""
from __future__ import annotations

import functools

import numpy as np
import pytest

from benchmarks.config import instantiate
from simcore.evaluate import audit
from simcore.rng import generator
from tests.conftest import SCENARIOS, STRATEGIES, compose_config

HARD = ("budget", "capacity", "max_contacts", "saturation_cap")


@functools.cache
def scenario(name: str, *overrides: str):
    cfg = compose_config(f"scenario={name}", *overrides)
    return instantiate(cfg.scenario, "scenario").build(np.random.SeedSequence(3))


@functools.cache
def strategy(name: str):
    cfg = compose_config(f"strategy=[{name}]")
    return instantiate(cfg.strategy[name], f"strategy.{name}")


def test_every_preset_and_strategy_is_covered():
    assert set(SCENARIOS) == {"playlistpro", "nba_engine", "clv_retail"}
    assert {"do_nothing", "treat_everyone", "random", "frequency_only", "clv_top_n", "nba_rules", "milp"} <= set(STRATEGIES)


@pytest.mark.parametrize("scenario_name", SCENARIOS)
@pytest.mark.parametrize("strategy_name", STRATEGIES)
def test_strategy_contract(strategy_name, scenario_name):
    sc, strat = scenario(scenario_name), strategy(strategy_name)
    reason = strat.supports(sc.view)
    if reason is not None:
        assert isinstance(reason, str) and len(reason) > 10  # it says why
        return
    root = np.random.SeedSequence(11)
    plan = strat.select(sc.view, generator(root, "strategy", strategy_name))
    n, k = sc.view.eligible.shape
    assert plan.action.shape == (n,)
    assert ((plan.action >= -1) & (plan.action < k)).all()
    customers, actions = plan.assignments()
    assert sc.view.eligible[customers, actions].all(), "every assignment must be eligible"
    rows = audit(sc.view, plan)
    broken = [a for a in rows if a.violation > 0 and a.kind in HARD]
    if strategy_name == "treat_everyone":
        assert plan.note, "the reference strategy must be flagged"
    else:
        assert not broken, f"{strategy_name} broke hard limits: {broken}"
    if strategy_name == "milp":
        assert not [a for a in rows if a.violation > 0], "the exact optimizer meets every constraint"
    again = strat.select(sc.view, generator(root, "strategy", strategy_name))
    np.testing.assert_array_equal(plan.action, again.action)


def test_random_depends_on_its_seed():
    sc, strat = scenario("clv_retail"), strategy("random")
    a = strat.select(sc.view, generator(np.random.SeedSequence(1), "strategy", "random"))
    b = strat.select(sc.view, generator(np.random.SeedSequence(2), "strategy", "random"))
    assert (a.action != b.action).any()


def test_nba_rules_downgrades_calls_beyond_capacity_by_rank():
    # a budget large enough that only the call capacity limits the critical accounts
    sc, strat = scenario("nba_engine", "scenario.constraints.budget=1e9", "scenario.constraints.max_contacts=2000"), strategy("nba_rules")
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
    sc, strat = scenario("clv_retail"), strategy("clv_top_n")
    plan = strat.select(sc.view, np.random.default_rng(0))
    assert (plan.action >= 0).sum() == 50_000 // 100
