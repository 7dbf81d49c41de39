"""The campaign's world and strategies: the replicate's population and common draws, the dynamics
(drift, accrual, arrivals, fatigue, cool-off, the campaign budget), no strategy beating the oracle's
expected value from the same state, and strategies that plan with what they learned and never with
the truth (the oracle apart, which only a campaign can serve)."""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from benchmarks.config import build_section, selected_strategies
from benchmarks.campaign.loop import choose
from benchmarks.pipeline import run_strategy
from simcore.campaign import CampaignDesign, Dynamics, World
from simcore.campaign_holdout import realize
from simcore.campaign_uplift import Counts, estimate
from simcore.campaign_views import CampaignView, TruthView
from simcore.evaluate import EvaluationSettings, evaluate
from simcore.results import Status
from simcore.rng import child
from strategies.learning import correction_posterior
from tests.conftest import CONF, compose_config

N = 120
SEED = child(np.random.SeedSequence(42), "replicate", 0)
CAMPAIGN_STRATEGIES = sorted(p.stem for p in (CONF / "campaign_strategy").glob("*.yaml"))
ONE_DRAW = EvaluationSettings(replications=1)


@functools.cache
def spec(n: int = N):
    return build_section(compose_config(f"scenario.population.n_customers={n}"), "scenario")


@functools.cache
def strategies() -> dict:
    cfg = compose_config("campaign=holdout_learning", "strategies=[do_nothing,random,clv_top_n,learning_clv_top_n,"
                         "milp,learning_milp,lagrangian,learning_lagrangian,thompson,oracle]")
    return selected_strategies(cfg)


def test_the_world_is_the_replicates_population_and_its_draws_are_common():
    design = CampaignDesign(periods=3, dynamics=Dynamics(arrivals=10))
    world = World.build(spec(), design, SEED)
    single = spec().build(SEED).population.table  # what a single run of this replicate sees
    assert list(world.table["customer_id"][:N]) == list(single["customer_id"])
    assert np.allclose(world.churn_true[0, :N], single["churn_prob_true"])
    assert world.slots == N + 2 * 10 and list(np.bincount(world.arrival)[1:]) == [N, 10, 10]
    assert world.table["customer_id"].is_unique
    again = World.build(spec(), design, SEED)
    for a, b in zip(dataclasses.astuple(world.draws(SEED)), dataclasses.astuple(again.draws(SEED))):
        assert np.array_equal(a, b)
    assert (world.churn_true == world.churn_true[0]).all()  # no drift configured


def test_drift_and_accrual_move_truth_and_estimate_together():
    design = CampaignDesign(periods=4, dynamics=Dynamics(churn_drift=0.2, churn_volatility=0.3, clv_growth=0.05))
    world = World.build(spec(), design, SEED)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    step_true = logit(world.churn_true[1:]) - logit(world.churn_true[:-1])
    step_est = logit(world.churn_est[1:]) - logit(world.churn_est[:-1])
    assert np.allclose(step_true, step_est, atol=1e-6) and abs(step_true.mean() - 0.2) < 0.05
    assert np.allclose(world.clv_true[3] / world.clv_true[0], 1.05 ** 3)


def test_fatigue_cooloff_and_the_campaign_budget():
    design = CampaignDesign(periods=4, campaign_budget=200.0, dynamics=Dynamics(fatigue=0.5, fatigue_window=2, cooloff=1))
    world = World.build(spec(), design, SEED)
    state = world.start()
    history = state.contacted.copy()
    history[0, :10] = True  # contacted in period 1
    history[1, 5:10] = True  # and again in period 2
    history[1, 10:20] = True  # only in period 2
    state = dataclasses.replace(state, contacted=history, spent=120.0)
    period = world.period(state, 3)
    assert set(period.slots) == set(range(N)) - set(range(5, 20))  # resting after a contact in period 2
    sc = period.scenario
    assert sc.constraints.budget == pytest.approx(80.0)  # what is left of $200
    slots = period.slots[sc.pairs.customer]
    factor = np.where(slots < 5, 0.5, 1.0)  # one contact in the last two periods (the others rest or were never)
    assert np.allclose(sc.effect_true, world.effect[slots, sc.pairs.action] * factor)


def _learned(world: World, period, plan, share: float = 0.3):
    """The evidence of one period's holdout, as a campaign would give it."""
    outcome = realize(world, world.draws(SEED), world.start(), period, plan, share)
    counts = Counts.empty(len(world.catalog.actions), len(world.segments)).add(world, period, outcome)
    return outcome, estimate(counts, world.design, world.catalog.ids, world.segments).evidence


@pytest.mark.parametrize("replicate", [0, 1])
def test_no_strategy_beats_the_oracle_from_the_same_state(replicate):
    """Period 2 of a campaign (after a first period of milp with a holdout, so there is fatigue and
    evidence): every strategy plans from the same state; no plan that keeps every constraint has a
    higher true expected value than the oracle's."""
    seed = child(np.random.SeedSequence(42), "replicate", replicate)
    design = CampaignDesign(periods=2, true_uplift={"personalized_email": 0.04, "winback_email": 0.2},
                            dynamics=Dynamics(fatigue=0.3, churn_volatility=0.2))
    world = World.build(spec(), design, seed)
    first = world.period(world.start(), 1)
    plan = strategies()["milp"].select(first.scenario.view, np.random.default_rng(0))
    outcome, evidence = _learned(world, first, plan)
    state = world.start().advance(world, 1, outcome.contacted, outcome.churned_all, 100.0)
    sc = world.period(state, 2).scenario
    values = {}
    for name, strategy in strategies().items():
        view = TruthView.of(sc) if name == "oracle" else CampaignView.of(sc.view, evidence, 2)
        choice = choose(strategy, name, view, np.random.default_rng(1))
        assert choice.status == Status.OK, (name, choice.reason)
        ev = evaluate(sc, choice.plan, np.random.SeedSequence(0), ONE_DRAW)
        values[name] = (ev.kpis_true.net_value, not ev.violations)
    best, feasible = values["oracle"]
    assert feasible
    for name, (value, ok) in values.items():
        if ok:
            assert value <= best + 1e-6 * max(1.0, abs(best)), (name, value, best)
    assert all(values[n][1] for n in ("milp", "learning_milp", "lagrangian", "thompson"))


def test_learners_plan_with_their_evidence_and_never_the_truth():
    world = World.build(spec(), CampaignDesign(periods=1), SEED)
    period = world.period(world.start(), 1)
    sc, s = period.scenario, strategies()
    milp_plan = s["milp"].select(sc.view, np.random.default_rng(0))
    email = sc.catalog.index("personalized_email")
    assert (milp_plan.action == email).sum() > 10
    k, g = len(world.catalog.actions), len(world.segments)
    # evidence that the email does nothing: it takes tens of thousands of held-out customers to show
    # that an effect predicted at 4 points of churn is 0 (with 4,000 the correction is still 0.23 +- 0.24)
    counts = Counts.empty(k, g)
    fields = {f.name: getattr(counts, f.name).copy() for f in dataclasses.fields(Counts)}
    for name, value in (("n_treated", 40_000), ("y_treated", 16_000), ("n_holdout", 40_000), ("y_holdout", 16_000),
                        ("n_selected", 80_000), ("predicted", 80_000 * 0.04), ("truth", 0.0)):
        fields[name][email] = value / g
    evidence = estimate(Counts(**fields), world.design, world.catalog.ids, world.segments).evidence
    view = CampaignView.of(sc.view, evidence, 2)
    mean, sd = correction_posterior(evidence, 0.5, by_segment=True)
    assert np.allclose(mean[email], 0.0, atol=0.05) and (sd[email] < 0.1).all()  # "the email does nothing"
    learned = s["learning_milp"].select(view, np.random.default_rng(0))
    # only as a cheap contact toward the floors now, not for its (believed) effect
    assert (learned.action == email).sum() < (milp_plan.action == email).sum()
    assert np.array_equal(s["learning_milp"].select(sc.view, np.random.default_rng(0)).action, milp_plan.action)
    # another truth, the same evidence: the same plans (a learner sees only its view)
    table = sc.population.table.copy()
    table["churn_prob_true"] = np.random.default_rng(9).uniform(0, 1, len(table))
    other = dataclasses.replace(sc, effect_true=np.random.default_rng(8).uniform(0, 1, len(sc.pairs)),
                                population=dataclasses.replace(sc.population, table=table))
    again = CampaignView.of(other.view, evidence, 2)
    assert np.array_equal(s["learning_milp"].select(again, np.random.default_rng(0)).action, learned.action)
    draws = [s["thompson"].select(view, np.random.default_rng(5)).action for _ in range(2)]
    assert np.array_equal(*draws)  # the same rng, the same draw


def test_the_oracle_needs_a_campaign():
    sc = spec().build(SEED)
    result = run_strategy(sc, "oracle", strategies()["oracle"], SEED, ONE_DRAW)
    assert result.status == Status.NOT_APPLICABLE and "campaign" in result.record["reason"]
    truth = TruthView.of(sc)
    assert np.allclose(truth.pairs.uplift, sc.effect_true)
    assert np.allclose(truth.customers["churn_prob_est"], sc.population.table["churn_prob_true"])


@pytest.mark.parametrize("name", CAMPAIGN_STRATEGIES)
def test_every_campaign_strategy_config_builds(name):
    cfg = compose_config("campaign=holdout_learning", f"strategies=[{name}]")
    assert list(selected_strategies(cfg)) == [name]
