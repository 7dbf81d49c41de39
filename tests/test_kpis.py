"""KPIs against hand computation on the 5-customer fixture; Monte Carlo against the expectation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simcore.evaluate import EvaluationSettings, audit, evaluate, realized_net_values
from simcore.plan import Plan
from simcore.results import VIOLATION, flagged, record

SEED = np.random.SeedSequence(7)


def test_kpis_equal_hand_computation(five):
    # c0 email, c2 call, c3 upsell, c1/c4 nothing
    plan = Plan(np.array([1, -1, 2, 3, -1]))
    ev = evaluate(five, plan, SEED, EvaluationSettings(replications=10))
    # costs: email 1; call 10 + 0.2 x 20 = 14; upsell 2  -> 17
    assert ev.kpis_true.spend == pytest.approx(17.0)
    # TRUE: effects are 1.2 x stated. c0: 0.5 x 0.12 x 1000 = 60; c2: 0.8 x 0.6 x 200 = 96
    assert ev.kpis_true.retained_clv == pytest.approx(60.0 + 96.0)
    # upsell gain: propensity 0.5 x 100 = 50 (same under truth and belief)
    assert ev.kpis_true.revenue_gain == pytest.approx(50.0)
    assert ev.kpis_true.net_value == pytest.approx(156.0 + 50.0 - 17.0)
    assert ev.kpis_true.roi == pytest.approx((156.0 + 50.0 - 17.0) / 17.0)
    assert ev.kpis_true.churn_reduction == pytest.approx(0.5 * 0.12 + 0.8 * 0.6)
    assert ev.kpis_true.treated == 3
    assert ev.kpis_true.budget_utilization == pytest.approx(17.0 / 30.0)
    # ESTIMATES: stated effects, estimated churn and CLV. c0: 0.6 x 0.1 x 900 = 54; c2: 0.7 x 0.5 x 250 = 87.5
    assert ev.kpis_est.retained_clv == pytest.approx(54.0 + 87.5)
    assert ev.kpis_est.net_value == pytest.approx(54.0 + 87.5 + 50.0 - 17.0)
    rec = record("five", "hand", 0, plan, ev, 0.0)
    assert rec["optimizer_curse"] == pytest.approx(ev.kpis_est.net_value - ev.kpis_true.net_value)
    # fairness: A = {c0, c1} -> 1/2 contacted; B = {c2, c3, c4} -> 2/3
    assert dict(ev.coverage) == pytest.approx({"A": 0.5, "B": 2 / 3})
    assert ev.coverage_ratio == pytest.approx(0.5 / (2 / 3))
    assert dict(ev.action_mix) == {"email": 1, "call": 1, "upsell": 1}


def test_audit_reports_deliberate_violations(five):
    # two calls (capacity 1), spend 14 + 10 + 0.2 x 300 = 84 > 30, segment A untreated (floor 40% of 2 = 1)
    plan = Plan(np.array([-1, -1, 2, 2, -1]))
    rows = {a.name: a for a in audit(five.view, plan)}
    assert rows["budget"].used == pytest.approx(84.0)
    assert rows["budget"].violation == pytest.approx(54.0)
    assert rows["capacity[call]"].used == 2 and rows["capacity[call]"].violation == 1
    assert rows["fairness[A]"].limit == 1 and rows["fairness[A]"].violation == 1
    assert rows["fairness[B]"].limit == 2 and rows["fairness[B]"].violation == 0
    assert rows["fairness[B]"].binding  # exactly at the floor
    assert rows["eligibility"].violation == 0
    ev = evaluate(five, plan, SEED, EvaluationSettings(replications=10))
    rec = record("five", "hand", 0, plan, ev, 0.0)
    assert not rec["feasible"] and rec["n_violations"] == 3
    assert flagged(rec, VIOLATION) == ["budget", "capacity[call]", "fairness[A]"]
    assert rec["violation.budget"] == pytest.approx(54.0) and rec["binding.fairness[B]"]


def test_ineligible_assignment_is_a_violation_and_earns_nothing(five):
    plan = Plan(np.array([0, -1, -1, -1, -1]))  # 'none' is never eligible as an assignment
    ev = evaluate(five, plan, SEED, EvaluationSettings(replications=10))
    assert {a.name: a.violation for a in ev.audit}["eligibility"] == 1
    assert ev.kpis_true.retained_clv == 0.0


def test_binding_budget_means_no_room_for_the_cheapest_action(five):
    # spend 14 (call c2) + 14 more? use email x4 = 4 -> 18; slack 12 >= 1 (cheapest) -> not binding
    plan = Plan(np.array([1, 1, 2, 1, 1]))
    assert not {a.name: a for a in audit(five.view, plan)}["budget"].binding


def test_monte_carlo_mean_converges_to_expected_value(five):
    plan = Plan(np.array([1, 3, 2, 3, 1]))
    ev = evaluate(five, plan, SEED, EvaluationSettings(replications=200_000))
    # standard error of the mean is below 1 dollar at this many draws
    assert ev.net_value_mc.mean == pytest.approx(ev.kpis_true.net_value, abs=3.0)
    assert ev.net_value_mc.lo < ev.kpis_true.net_value < ev.net_value_mc.hi


def test_common_random_numbers_across_plans(five):
    """Two plans that differ only in c4's email differ, replication by replication, only by c4's own
    realized outcome: -1 (the email's cost) or clv_true[4] - 1 (c4 saved)."""
    a = realized_net_values(five, Plan(np.array([1, 3, 2, -1, -1])), SEED, 5000)
    b = realized_net_values(five, Plan(np.array([1, 3, 2, -1, 1])), SEED, 5000)
    diff = np.round(b - a, 9)
    assert set(np.unique(diff)) == {-1.0, 99.0}
    # c4 is saved with probability churn x effect = 0.4 x 0.12
    assert np.mean(diff == 99.0) == pytest.approx(0.4 * 0.12, abs=0.01)


def test_an_incremental_clv_action_is_valued_by_hand():
    """Seed 001's value model: clv_lift 0.15 = 15% of the customer's CLV if targeted, whatever its churn
    risk (no Monte Carlo spread: it is an expectation already)."""
    from simcore.catalog import Action, Catalog
    from simcore.constraints import ConstraintSet
    from simcore.scenario import Scenario
    from tests.conftest import tiny_population

    population = tiny_population(churn_true=[0.1, 0.9], clv_true=[1000.0, 400.0], clv_est=[800.0, 500.0])
    catalog = Catalog(actions=[Action(id="offer", channel="mail", cost=10.0, clv_lift=0.15)])
    sc = Scenario.assemble("lift", population, catalog, ConstraintSet(), catalog.eligibility(population),
                           effect_true=np.zeros(2))
    np.testing.assert_allclose(sc.pairs.value_est, [0.15 * 800 - 10, 0.15 * 500 - 10])
    ev = evaluate(sc, Plan(np.array([0, 0])), SEED, EvaluationSettings(replications=50))
    assert ev.kpis_true.incremental_clv == pytest.approx(0.15 * 1400) and ev.kpis_true.retained_clv == 0
    assert ev.kpis_true.net_value == pytest.approx(0.15 * 1400 - 20)
    assert ev.kpis_est.net_value == pytest.approx(0.15 * 1300 - 20)
    assert ev.net_value_mc.lo == ev.net_value_mc.hi == pytest.approx(ev.kpis_true.net_value)


def test_a_budget_with_room_only_for_an_action_whose_channel_is_full_binds():
    """Slack of $0.40 is more than the cheapest contact ($0.10 push), but push is at its capacity and
    email ($2) does not fit: no single change can spend more, so the budget binds. With one more push
    slot it does not."""
    from simcore.catalog import Action, Catalog
    from simcore.constraints import Budget, ChannelCapacity, ConstraintSet
    from simcore.scenario import Scenario
    from tests.conftest import tiny_population

    population = tiny_population(churn_true=[0.5] * 3, clv_true=[100.0] * 3)
    catalog = Catalog(actions=[Action(id="email", channel="email", cost=2.0, uplift=0.1),
                               Action(id="push", channel="push", cost=0.1, uplift=0.02)])
    plan = Plan(np.array([0, 1, -1]))  # spend 2.10 of 2.50
    for slots, binds in ((1, True), (2, False)):
        constraints = ConstraintSet({"budget": Budget(limit=2.5), "push": ChannelCapacity(channels=["push"], limit=slots)})
        sc = Scenario.assemble("room", population, catalog, constraints, catalog.eligibility(population),
                               effect_true=np.zeros(6))
        rows = {a.name: a for a in audit(sc.view, plan)}
        assert rows["budget"].slack == pytest.approx(0.4)
        assert rows["budget"].binding is binds, slots
        assert rows["capacity[push]"].binding is (slots == 1)


def test_smallest_steps_are_the_same_when_the_pairs_are_taken_in_chunks(monkeypatch):
    """A row's smallest step (what binding compares the slack with) over every pair, computed a chunk
    of pairs at a time to bound memory at millions of pairs, equals the whole-array minimum."""
    import simcore.constraints.rows as rows_module
    from benchmarks.config import build_section
    from tests.conftest import compose_config

    view = build_section(compose_config(), "scenario").build(np.random.SeedSequence(3)).view
    p, rows = view.pairs, view.rows
    whole = np.array([min((c for c in rows.row_coefficients(r, rows.weights[p.customer], p.action, p.cost) if c > 0),
                          default=np.inf) for r in range(len(rows.rows))])
    monkeypatch.setattr(rows_module, "STEP_CHUNK", 97)  # 1,750 pairs: 19 chunks, the last one short
    assert np.array_equal(rows.smallest_steps(p.customer, p.action, p.cost), whole)
    assert np.isfinite(whole).all() and (whole > 0).all()


def test_pairs_built_in_blocks_equal_the_whole_array_formulas(monkeypatch):
    """Pairs are built a block of customers at a time and keep only customer, action and value_est;
    cost, gain, uplift and lift are gathered when asked. Against np.nonzero and the value formula on
    whole arrays, with an action of its own upsell propensity, a CLV lift and blocks that end mid-way."""
    import simcore.effects as effects_module
    import simcore.scenario as scenario_module
    from simcore.catalog import Action, Catalog
    from simcore.constraints import Budget, ConstraintSet
    from simcore.effects import EffectModel, pair_value
    from simcore.scenario import Scenario
    from tests.conftest import tiny_population

    rng = np.random.default_rng(11)
    n = 23
    population = tiny_population(churn_true=rng.uniform(0, 1, n), clv_true=rng.uniform(10, 900, n),
                                 revenue=list(rng.uniform(10, 300, n)))
    catalog = Catalog(actions=[
        Action(id="none", channel="none"),
        Action(id="email", channel="email", cost=1.0, uplift=0.1, clv_lift=0.02),
        Action(id="call", channel="call", cost=10.0, revenue_share=0.2, uplift=0.5),
        Action(id="upsell", channel="sales", cost=2.0, revenue_gain=100.0),
        Action(id="bundle", channel="sales", cost=3.0, uplift=0.05, revenue_gain=40.0, gain_propensity=0.3),
    ])
    eligible = rng.uniform(size=(n, 5)) < 0.7
    eligible[:, 0] = False
    constraints = ConstraintSet({"budget": Budget(limit=50.0)})

    def build() -> Scenario:
        return Scenario.assemble("blocks", population, catalog, constraints, eligible.copy(),
                                 effects=EffectModel(heterogeneity_sd=0.4), rng=np.random.default_rng(5))

    whole = build()
    monkeypatch.setattr(scenario_module, "PAIR_BLOCK", 4)  # 23 customers: 6 blocks, the last one short
    monkeypatch.setattr(effects_module, "EFFECT_BLOCK", 7)
    blocks = build()
    p, t = blocks.pairs, population.table
    customers, actions = np.nonzero(eligible)
    assert np.array_equal(p.customer, customers) and np.array_equal(p.action, actions)
    assert p.customer.dtype == np.int32 and p.action.dtype == np.int32
    cost = blocks.view.cost[customers, actions]
    uplift = np.array([a.uplift for a in catalog.actions])[actions]
    lift = np.array([a.clv_lift for a in catalog.actions])[actions]
    propensity = np.where(actions == 4, 0.3, t["upsell_propensity"].to_numpy()[customers])
    gain = propensity * np.array([a.revenue_gain for a in catalog.actions])[actions]
    value = pair_value(t["churn_prob_est"].to_numpy()[customers], uplift, t["clv_est"].to_numpy()[customers],
                       lift, gain, cost)
    effect = EffectModel(heterogeneity_sd=0.4).true_effect(uplift, np.random.default_rng(5))
    for got, want in ((p.cost, cost), (p.uplift, uplift), (p.lift, lift), (p.gain, gain), (p.value_est, value),
                      (blocks.effect_true, effect),
                      (p.cost_at(np.array([3, 0])), cost[[3, 0]]), (p.gain_at(slice(2, 9)), gain[2:9])):
        assert np.array_equal(got, want)
    for name in ("customer", "action", "value_est"):
        assert np.array_equal(getattr(blocks.pairs, name), getattr(whole.pairs, name))
    assert np.array_equal(blocks.effect_true, whole.effect_true)
    assert (gain[actions == 4] == 0.3 * 40.0).all() and (lift[actions == 1] == 0.02).all()  # the case is exercised


def test_tiers_are_the_thresholds_and_tertiles_of_the_estimates():
    """risk_tier: churn_prob_est above the threshold; value_tier: clv_est above the 2/3 quantile high,
    above the 1/3 quantile mid, else low (ties at a quantile go down), as text columns."""
    from simcore.population import derive_tiers

    clv = np.array([5.0, 1.0, 3.0, 3.0, 9.0, 2.0, 4.0])  # sorted 1 2 3 3 4 5 9: quantiles 3.0 and 4.0
    churn = np.array([0.5, 0.51, 0.0, 1.0, 0.2, 0.5000001, 0.49])
    table = derive_tiers(pd.DataFrame({"churn_prob_est": churn, "clv_est": clv}), 0.5)
    assert list(table["risk_tier"]) == ["low", "high", "low", "high", "low", "high", "low"]
    assert list(table["value_tier"]) == ["high", "low", "low", "low", "high", "low", "mid"]
    assert table["risk_tier"].dtype == table["value_tier"].dtype == pd.Series(["x"]).dtype
