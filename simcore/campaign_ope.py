"""Off-policy evaluation: the value of ANOTHER policy's plan, estimated from one strategy's logged
period (its plan, the random holdout and what happened), beside the true value the simulator knows.

THE LOG. In a period a strategy plans action a_i for each selected customer; the holdout then gives
it with probability 1 - h and withholds it with probability h (``campaign.holdout_share``, exactly,
see simcore.campaign_holdout); a customer it did not select gets no action with probability 1. These
are the logged propensities: the holdout is the only randomization given the plan (a Thompson
strategy's plan is random too, but its propensity over plans would need the distribution of a
constrained optimum over posterior draws; conditioning on the drawn plan is exact and is all the
estimators below need). The reward of customer i is ``-churned x clv_true + (if contacted) clv_lift x
clv_true + expected revenue gain - cost``: the period's value relative to keeping everyone, so a
policy's value minus doing nothing is its net value (the campaign's ``net_value_true``), with no
large baseline to add variance.

THE ESTIMAND: the target plan's true net value on the logger's customers this period,
sum over the customers it treats of p_true x effect_true x clv_true + lift + gain - cost (evaluated
by simcore.evaluate, the one pipeline). For each customer the target treats with action b_i:

- supported when the log could have given b_i (i selected with a_i = b_i: propensity 1 - h);
- ipw: sum over SUPPORTED customers of (1{given b_i} / (1 - h) - 1{given nothing} / h) x reward;
  unbiased for the supported part of the target, blind to the rest (biased toward zero by it);
- dm (direct method): sum of q(i, b_i) - q(i, none), the logger's model q(i, a) = -p_est (1 -
  stated uplift of a) clv_est + lift + gain - cost: what the strategy believed;
- dr (doubly robust): dm plus, for supported customers, the ipw term of the model's residuals;
  for unsupported ones only the model.

``support`` (the share of the target's treated customers that are supported) says how far the
unbiased part reaches: OPE of a plan that treats customers or actions the log never tried rests on
the model. Intervals: the percentile bootstrap over the target's customers (``bootstrap`` resamples).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.campaign_holdout import Outcome
from simcore.scenario import Scenario, ScenarioView

ESTIMATORS = ("ipw", "dr", "dm")


@dataclass(frozen=True)
class OpeEstimate:
    """estimator: ipw | dr | dm; estimate, lo, hi: dollars; support: share of the target's treated
    customers the log supports; treated: how many the target treats."""

    estimator: str
    estimate: float
    lo: float
    hi: float
    support: float
    treated: int


def rewards(scenario: Scenario, outcome: Outcome) -> np.ndarray:
    """(n,) each customer's logged reward, dollars (module docstring)."""
    clv = scenario.population.table["clv_true"].to_numpy(float)
    n_actions = len(scenario.catalog.actions)
    out = -(outcome.churned * clv)
    customers = np.flatnonzero(outcome.given >= 0)
    pair = scenario.pairs.lookup(customers, outcome.given[customers], n_actions)
    p, idx = scenario.pairs, np.maximum(pair, 0)
    extra = np.where(pair >= 0, p.lift_at(idx) * clv[customers] + p.gain_at(idx), 0.0)
    out[customers] += extra - scenario.view.cost[customers, outcome.given[customers]]
    return out


def model(view: ScenarioView, customers: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """(m,) the logger's predicted reward of giving actions[j] to customers[j] (-1 = none), dollars."""
    churn = view.customers["churn_prob_est"].to_numpy(float)[customers]
    clv = view.customers["clv_est"].to_numpy(float)[customers]
    out = -churn * clv
    treat = actions >= 0
    pair = view.pairs.lookup(customers[treat], actions[treat], len(view.catalog.actions))
    ok, idx = pair >= 0, np.maximum(pair, 0)
    p = view.pairs
    out[treat] = np.where(ok, -churn[treat] * (1 - p.uplift_at(idx)) * clv[treat] + p.lift_at(idx) * clv[treat]
                          + p.gain_at(idx), -churn[treat] * clv[treat]) - view.cost[customers[treat], actions[treat]]
    return out


def off_policy(view: ScenarioView, outcome: Outcome, reward: np.ndarray, target: np.ndarray, share: float,
               rng: np.random.Generator, bootstrap: int, level: float) -> list[OpeEstimate]:
    """ipw, dr and dm estimates of the target plan's net value from the log (module docstring).
    view: the logger's view (its model); reward: (n,) from :func:`rewards`; target: (n,) the target's
    action per customer (-1 none); share: the holdout share h, in (0, 1)."""
    who = np.flatnonzero(target >= 0)
    b = target[who]
    supported = (outcome.planned[who] == b)
    got_b, got_none = outcome.given[who] == b, outcome.given[who] < 0
    p_none = np.where(outcome.planned[who] >= 0, share, 1.0)
    r = reward[who]
    q_b, q_none = model(view, who, b), model(view, who, np.full(len(who), -1))
    weight_b = np.where(supported & got_b, 1 / (1 - share), 0.0)
    weight_none = np.where(supported & got_none, 1 / p_none, 0.0)
    parts = {"ipw": weight_b * r - weight_none * r,
             "dm": q_b - q_none,
             "dr": q_b - q_none + weight_b * (r - q_b) - weight_none * (r - q_none)}
    support = float(supported.mean()) if len(who) else float("nan")
    draws = rng.integers(0, max(len(who), 1), (bootstrap, len(who)))
    tail = (1 - level) / 2
    out = []
    for name in ESTIMATORS:
        c = parts[name]
        sums = c[draws].sum(axis=1) if len(who) else np.zeros(bootstrap)
        lo, hi = np.quantile(sums, [tail, 1 - tail])
        out.append(OpeEstimate(name, float(c.sum()), float(lo), float(hi), support, len(who)))
    return out
