"""The campaign's statistics against their definitions: the holdout's design, the uplift estimate and
its interval by hand, the shrinkage rule, the interval coverage over many replicates (with the error
shrinking as periods accumulate), and the off-policy estimators' bias on a large simulated log.

Cheap by construction: one small world, periods whose customers stay (the state is not advanced, so
the period scenarios are built once), random plans, and many replicates of the holdout, the outcomes
and the estimator, all through the campaign's own functions."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from benchmarks.config import build_section
from simcore.campaign import CampaignDesign, Period, World
from simcore.campaign_holdout import hold_out, realize
from simcore.campaign_ope import off_policy, rewards
from simcore.campaign_uplift import ALL, Counts, estimate, shrink
from simcore.evaluate import EvaluationSettings, evaluate
from simcore.plan import Plan
from simcore.rng import child, generator
from tests.conftest import compose_config

DESIGN = CampaignDesign(periods=5, holdout_share=0.1, true_uplift={"personalized_email": 0.04, "winback_email": 0.2})


@functools.cache
def small_world(n: int = 160) -> tuple[World, tuple[Period, ...]]:
    spec = build_section(compose_config(f"scenario.population.n_customers={n}"), "scenario")
    world = World.build(spec, DESIGN, np.random.SeedSequence(5))
    state = world.start()
    return world, tuple(world.period(state, t) for t in range(1, DESIGN.periods + 1))


def random_plan(period: Period, rng: np.random.Generator, share: float = 0.5) -> Plan:
    """About ``share`` of the customers, each with a random eligible action."""
    eligible = period.scenario.view.eligible
    score = np.where(eligible, rng.random(eligible.shape), -1.0)
    action = np.argmax(score, axis=1)
    return Plan(np.where((rng.random(len(action)) < share) & eligible.any(axis=1), action, -1))


def test_holdout_is_stratified_with_the_exact_expected_share_and_common_draws():
    rng = np.random.default_rng(0)
    action = rng.choice([-1, 1, 2, 3], 900)
    segment = rng.integers(0, 3, 900)
    held_share = []
    for _ in range(400):
        u_hold, u_round = rng.random(900), rng.random((4, 3))
        held = hold_out(action, segment, u_hold, u_round, 0.1)
        assert not held[action < 0].any()
        for a in (1, 2, 3):
            for s in range(3):
                stratum = (action == a) & (segment == s)
                assert held[stratum].sum() in (np.floor(0.1 * stratum.sum()), np.ceil(0.1 * stratum.sum()))
                # within a stratum the held-out customers are those with the smallest uniforms
                if held[stratum].any() and (~held & stratum).any():
                    assert u_hold[held & stratum].max() < u_hold[~held & stratum].min()
        held_share.append(held[action >= 0].mean())
    assert np.mean(held_share) == pytest.approx(0.1, abs=0.002)
    # common random numbers: another plan with the same strata holds out the same customers
    other = np.where(action == 3, 3, action)
    assert (hold_out(other, segment, u_hold, u_round, 0.1) == held).all()
    assert not hold_out(action, segment, u_hold, u_round, 0.0).any()


def test_estimate_interval_truth_and_correction_by_hand():
    counts = Counts(*(np.array(v, float).reshape(2, 1) for v in (
        [0, 40], [0, 10], [0, 10], [0, 5], [0, 50], [0, 2.0], [0, 1.5])))  # action 0 unused
    table = estimate(counts, DESIGN, ("none", "email"), ("A",)).table
    row = table[table["segment"] == ALL].iloc[0]
    assert row["action_id"] == "email" and row["estimate"] == pytest.approx(5 / 10 - 10 / 40)
    lo, hi = confint_proportions_2indep(5, 10, 10, 40, method="newcomb", compare="diff", alpha=0.05)
    assert (row["ci_lo"], row["ci_hi"]) == pytest.approx((lo, hi))
    assert row["truth"] == pytest.approx(1.5 / 50) and row["predicted"] == pytest.approx(2.0 / 50)
    assert row["correction"] == pytest.approx(0.25 / 0.04) and row["covered"] == (lo <= 0.03 <= hi)
    assert (row["n_treated"], row["n_holdout"], row["churned_treated"], row["churned_holdout"]) == (40, 10, 10, 5)


def test_segment_shrinkage_follows_the_stated_rule():
    est = np.array([[0.10, 0.30, 0.50]])
    se = np.array([[0.05, 0.10, 0.20]])
    own = np.array([[True, True, False]])
    shrunk, shrunk_se = shrink(np.array([0.2]), np.array([0.04]), est, se, own)
    w = 1 / se[0, :2] ** 2
    center = np.sum(w * est[0, :2]) / w.sum()
    q = np.sum(w * (est[0, :2] - center) ** 2)
    tau2 = max(0.0, (q - 1) / (w.sum() - np.sum(w ** 2) / w.sum()))
    b = tau2 / (tau2 + se[0, :2] ** 2)
    assert shrunk[0, :2] == pytest.approx(0.2 + b * (est[0, :2] - 0.2))
    assert shrunk_se[0, :2] == pytest.approx(np.sqrt(b * se[0, :2] ** 2 + (1 - b) ** 2 * 0.04 ** 2))
    assert shrunk[0, 2] == 0.2 and np.isnan(shrunk_se[0, 2])  # not enough data: the action's estimate
    one, one_se = shrink(np.array([0.2]), np.array([0.04]), est, se, np.array([[True, False, False]]))
    assert one[0, 0] == 0.2 and one_se[0, 0] == pytest.approx(0.04)  # one segment: all the way to the action


def test_uplift_intervals_reach_their_nominal_coverage_and_the_error_shrinks():
    """Over 150 replicates of the holdout, the outcomes and the estimator on the same customers, the
    pooled 95% intervals of every action cover the true estimand at (at least about) 95% in every
    period, and the mean absolute error falls roughly as 1 / sqrt(periods)."""
    world, periods = small_world()
    k, s = len(world.catalog.actions), len(world.segments)
    state = world.start()
    covered: dict[int, list[np.ndarray]] = {p.t: [] for p in periods}
    error: dict[int, list[np.ndarray]] = {p.t: [] for p in periods}
    for r in range(150):
        seed = child(np.random.SeedSequence(17), r)
        draws, rng, counts = world.draws(seed), generator(seed, "plan"), Counts.empty(k, s)
        for period in periods:
            outcome = realize(world, draws, state, period, random_plan(period, rng), DESIGN.holdout_share)
            counts = counts.add(world, period, outcome)
            rows = estimate(counts, DESIGN, world.catalog.ids, world.segments).table
            rows = rows[rows["segment"] == ALL]
            covered[period.t].append(rows["covered"].to_numpy(bool))
            error[period.t].append((rows["estimate"] - rows["truth"]).abs().to_numpy())
    coverage = {t: np.concatenate(c).mean() for t, c in covered.items()}
    mae = {t: np.concatenate(e).mean() for t, e in error.items()}
    # at least nominal up to Monte Carlo error (about 0.005 here), and never absurdly wide: with a few
    # held-out customers per action Newcomb's interval is a little conservative (about 0.97)
    assert all(0.935 <= c <= 0.985 for c in coverage.values()), coverage
    assert all(mae[t + 1] < mae[t] for t in range(1, 5)) and mae[5] < 0.6 * mae[1], mae


def test_off_policy_estimators_on_a_large_log():
    """ipw and dr are unbiased for a target the log supports (the logger's own plan); for a target
    the log cannot support, ipw sees only the supported part and dr falls back on the model."""
    world, periods = small_world()
    period, sc = periods[0], periods[0].scenario
    rng = np.random.default_rng(3)
    plan = random_plan(period, rng, 0.6)
    other = random_plan(period, rng, 0.6)  # a different random plan: partly supported
    settings = EvaluationSettings(replications=1)
    truth = {name: evaluate(sc, p, np.random.SeedSequence(1), settings).kpis_true.net_value
             for name, p in (("self", plan), ("other", other))}
    supported = Plan(np.where(other.action == plan.action, other.action, -1))
    truth_supported = evaluate(sc, supported, np.random.SeedSequence(1), settings).kpis_true.net_value
    found = {name: {"ipw": [], "dr": [], "dm": []} for name in truth}
    state = world.start()
    for r in range(300):
        seed = child(np.random.SeedSequence(23), r)
        outcome = realize(world, world.draws(seed), state, period, plan, 0.3)
        reward = rewards(sc, outcome)
        for name, target in (("self", plan), ("other", other)):
            for e in off_policy(sc.view, outcome, reward, target.action, 0.3, generator(seed, "b"), 50, 0.95):
                found[name][e.estimator].append(e.estimate)
    mean = {n: {e: np.mean(v) for e, v in by.items()} for n, by in found.items()}
    sem = {n: {e: np.std(v) / np.sqrt(len(v)) for e, v in by.items()} for n, by in found.items()}
    assert abs(mean["self"]["ipw"] - truth["self"]) < 4 * sem["self"]["ipw"]
    assert abs(mean["self"]["dr"] - truth["self"]) < 4 * sem["self"]["dr"]
    assert abs(mean["other"]["ipw"] - truth_supported) < 4 * sem["other"]["ipw"]
    assert np.std(found["self"]["dm"]) < 1e-6  # the model does not look at outcomes
