"""One contract over every conf/strategy/*.yaml x every world in conf/scenario/, through the main job's
own path (compose -> build the selected strategy -> pipeline.run_strategy). Nothing here names a
strategy or a world: a new YAML file is picked up, and a strategy that declines a world is skipped with
its reason, never passed silently.

For every plan: valid and eligible; within every hard ('<=') limit unless the strategy is a reference
that ignores limits by design (then flagged); an optimizer's plan (one with a solver report) also meets
every floor, reports the plan's own estimated value as its objective and a bound above it; the same seed
gives the same plan; and no leak of the truth: the same world with other true churn, CLV and effects
gives every strategy exactly the same plan."""
from __future__ import annotations

import functools

import numpy as np
import pytest

from benchmarks.config import build_section, selected_strategies
from benchmarks.pipeline import StrategyResult, run_strategy
from simcore.evaluate import EvaluationSettings
from simcore.population import Population
from simcore.results import Status
from simcore.scenario import Scenario
from tests.conftest import SCENARIOS, STRATEGIES, compose_config

SETTINGS = EvaluationSettings(replications=20)
# worlds too big for a unit test run at a published smaller size of the same data
SMALLER = {"cdnow": ("scenario.population.dataset=cdnow_sample",)}


@functools.cache
def world(name: str) -> Scenario:
    cfg = compose_config(f"scenario={name}", *SMALLER.get(name, ()))
    return build_section(cfg, "scenario").build(np.random.SeedSequence(3))


@functools.cache
def other_truth(name: str) -> Scenario:
    """The same world with every TRUE quantity redrawn: churn, CLV and each pair's true effect."""
    sc = world(name)
    rng = np.random.default_rng(99)
    table = sc.population.table.copy()
    table["churn_prob_true"] = rng.uniform(0, 1, len(table))
    table["clv_true"] = rng.uniform(0, 2, len(table)) * table["clv_true"].mean()
    population = Population(table, sc.population.high_risk_threshold)
    return Scenario.assemble(sc.name, population, sc.catalog, sc.constraints, sc.view.eligible,
                             effect_true=rng.uniform(0, 1, len(sc.pairs)))


@functools.cache
def strategy(name: str):
    return selected_strategies(compose_config(f"strategies=[{name}]"))[name]


def run(scenario: Scenario, name: str) -> StrategyResult:
    return run_strategy(scenario, name, strategy(name), np.random.SeedSequence(11), SETTINGS)


@pytest.mark.parametrize("scenario_name", SCENARIOS)
@pytest.mark.parametrize("strategy_name", STRATEGIES)
def test_strategy_contract(strategy_name, scenario_name):
    sc = world(scenario_name)
    result = run(sc, strategy_name)
    if result.status == Status.NOT_APPLICABLE:
        pytest.skip(f"{strategy_name} declines {scenario_name}: {result.record['reason']}")
    assert result.status == Status.OK, result.record.get("reason")
    plan, ev = result.plan, result.evaluation
    n, k = sc.view.eligible.shape
    assert plan.action.shape == (n,) and ((plan.action >= -1) & (plan.action < k)).all()
    customers, actions = plan.assignments()
    assert sc.view.eligible[customers, actions].all(), "every assignment must be eligible"

    broken_limits = [a.name for a in ev.audit if a.sense == "<=" and a.violation > 0]
    if strategy(strategy_name).ignores_limits:
        assert plan.note, "a reference that ignores the limits by design must flag its plan"
    else:
        assert not broken_limits, f"broke hard limits: {broken_limits}"
    if plan.solver is not None:
        assert not ev.violations, f"an optimizer meets every constraint, floors included: {ev.violations}"
        priced = [a for a in ev.audit if not np.isnan(a.shadow_price) and abs(a.shadow_price) > 1e-9]
        assert all(a.binding for a in priced), f"a row with a shadow price must bind: {priced}"
        assert plan.solver.objective == pytest.approx(ev.kpis_est.net_value, rel=1e-9, abs=1e-6)
        assert plan.solver.bound >= plan.solver.objective - 1e-6 * max(1.0, abs(plan.solver.objective))

    np.testing.assert_array_equal(plan.action, run(sc, strategy_name).plan.action, "same seed, same plan")
    np.testing.assert_array_equal(plan.action, run(other_truth(scenario_name), strategy_name).plan.action,
                                  "the plan changed with the hidden truth: a strategy sees more than the view")


@pytest.mark.parametrize("scenario_name", SCENARIOS)
def test_the_other_truth_really_differs_and_the_view_does_not(scenario_name):
    """Guards the no-leak check against passing vacuously: the truth moved, the view did not."""
    sc, twisted = world(scenario_name), other_truth(scenario_name)
    assert not np.allclose(sc.effect_true, twisted.effect_true)
    assert not np.allclose(sc.population.table["churn_prob_true"], twisted.population.table["churn_prob_true"])
    assert twisted.view.customers.equals(sc.view.customers)
    assert not set(sc.view.customers.columns) & {"churn_prob_true", "clv_true"}
    np.testing.assert_array_equal(twisted.view.pairs.value_est, sc.view.pairs.value_est)
