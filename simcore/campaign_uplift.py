"""Uplift learned from the holdouts: the estimand, its estimate with an interval, shrinkage, the
optimizer's-curse correction, and the truth beside every estimate.

THE ESTIMAND of a strategy s, an action k (and a segment g) after period t: the average reduction of
churn probability among the customers s gave k in the periods up to t (treated and held out alike):

    truth = mean over those customer-periods of  p_true x effect_true

with p_true the period's true churn probability and effect_true the period's true relative effect of
k on that customer (fatigue included): an absolute difference of churn probabilities, the churn rate
the action removed. Its ESTIMATE is the churn rate of the held-out customers minus the churn rate of
the treated ones, counts pooled over the periods; since the holdout is a stratified random sample of
the selected customers in every period and stratum with the same share (simcore.campaign_holdout),
both rates estimate the same customers' churn, without and with the action. The interval is
statsmodels' ``confint_proportions_2indep`` (compare="diff", the method of ``CampaignDesign.ci_method``;
newcomb by default: Newcomb's hybrid score interval, Wilson intervals of the two rates combined)
on the pooled counts.

SHRINKAGE: a segment gets an estimate of its own only with at least ``min_holdout`` held-out and
treated customers; it is then shrunk toward its action's estimate by empirical Bayes: shrunk = action
+ B (segment - action), B = tau^2 / (tau^2 + se^2), tau^2 the between-segment variance of the action's
segments (DerSimonian-Laird: max(0, (Q - (m - 1)) / (sum w - sum w^2 / sum w)), w = 1 / se^2, over the
m segments with data; m < 2 gives tau^2 = 0, all the way to the action). A segment without enough data
takes its action's estimate.

THE OPTIMIZER'S-CURSE CORRECTION per action: realized / predicted, where predicted = mean over the same
customer-periods of p_est x stated uplift (what the catalog's uplift and the churn model promised).
It is below 1 when the stated uplift is too high, and also when the optimizer picked customers whose
churn estimate is too high (it selects on estimation noise). A learning strategy plans with the
stated uplift times this correction (strategies/learning.py: with a prior, since early corrections are
noisy).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from simcore.campaign import CampaignDesign, Period, World
from simcore.campaign_holdout import Outcome

ALL = "all"  # the segment column of an action's own (pooled over segments) row
FIELDS = ("n_treated", "y_treated", "n_holdout", "y_holdout", "n_selected", "predicted", "truth")


@dataclass(frozen=True)
class Counts:
    """One strategy's holdout evidence pooled over the periods so far; every field is (K, S), per
    action and segment: n_treated / y_treated (customers treated / of them churned), n_holdout /
    y_holdout (held out / churned), n_selected (treated + held out), predicted (sum of p_est x stated
    uplift over the selected), truth (sum of p_true x true effect over the selected)."""

    n_treated: np.ndarray
    y_treated: np.ndarray
    n_holdout: np.ndarray
    y_holdout: np.ndarray
    n_selected: np.ndarray
    predicted: np.ndarray
    truth: np.ndarray

    @classmethod
    def empty(cls, actions: int, segments: int) -> Counts:
        return cls(*(np.zeros((actions, segments)) for _ in FIELDS))

    def add(self, world: World, period: Period, outcome: Outcome) -> Counts:
        """These counts plus the selected customers of one period."""
        sel = np.flatnonzero(outcome.selected)
        slots = period.slots[sel]
        k, g = outcome.planned[sel], world.segment[slots]
        held, churned = outcome.held[sel], outcome.churned[sel]
        p_true, p_est = world.churn_true[period.t - 1, slots], world.churn_est[period.t - 1, slots]
        parts = (~held, ~held & churned, held, held & churned, np.ones(len(sel), bool),
                 p_est * world.stated[k], p_true * outcome.effect[sel])
        out = []
        for total, weight in zip((getattr(self, f) for f in FIELDS), parts):
            total = total.copy()
            np.add.at(total, (k, g), weight.astype(float))
            out.append(total)
        return Counts(*out)

    def by_action(self) -> Counts:
        """The same counts pooled over segments: every field (K, 1)."""
        return Counts(*(getattr(self, f).sum(axis=1, keepdims=True) for f in FIELDS))


@dataclass(frozen=True)
class Evidence:
    """What a strategy has learned from its own holdouts, for planning. Per action k and segment g,
    (K, S): estimate (the segment's shrunk estimate of the absolute churn reduction, its action's where
    the segment lacks data, NaN where the action has none), se (its standard error), predicted (mean
    p_est x stated uplift over those customers); action: the same three pooled over segments, (K,).
    segments: the segment names, in the order of the columns."""

    segments: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    predicted: np.ndarray
    action_estimate: np.ndarray
    action_se: np.ndarray
    action_predicted: np.ndarray

    @classmethod
    def none(cls, actions: int, segments: tuple[str, ...]) -> Evidence:
        """Before any holdout has been observed: nothing learned."""
        nan2, nan1 = np.full((actions, len(segments)), np.nan), np.full(actions, np.nan)
        return cls(segments, nan2, nan2, nan2, nan1, nan1, nan1)


@dataclass(frozen=True)
class Estimates:
    """table: one row per action (segment 'all') and per segment with enough data (see FIELDS of the
    module docstring: estimate, ci_lo, ci_hi, truth, counts, predicted, correction, shrunk, covered);
    evidence: the same for a strategy to plan with."""

    table: pd.DataFrame
    evidence: Evidence


def _rates(c: Counts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ok, estimate, se): both arms observed; holdout minus treated churn rate; its standard error
    (each rate with half a churner and half a stayer added, so a rate of 0 or 1 has a positive se)."""
    ok = (c.n_holdout > 0) & (c.n_treated > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(ok, c.y_holdout / c.n_holdout - c.y_treated / c.n_treated, np.nan)
        ph, pt = (c.y_holdout + 0.5) / (c.n_holdout + 1), (c.y_treated + 0.5) / (c.n_treated + 1)
        se = np.where(ok, np.sqrt(ph * (1 - ph) / c.n_holdout + pt * (1 - pt) / c.n_treated), np.nan)
    return ok, estimate, se


def shrink(action: np.ndarray, action_se: np.ndarray, estimate: np.ndarray, se: np.ndarray,
           own: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical-Bayes shrinkage of segment estimates toward their action's (module docstring).
    action, action_se: (K,); estimate, se: (K, S); own: (K, S) bool, the segments with enough data.
    Returns (shrunk estimate, its se), (K, S): se = sqrt(B se^2 + (1 - B)^2 action_se^2), the
    segment's part and the action's (tau^2 taken as known); segments without their own data get the
    action's estimate and NaN se (the caller fills the action's)."""
    shrunk, shrunk_se = np.full(estimate.shape, np.nan), np.full(estimate.shape, np.nan)
    for k in range(estimate.shape[0]):
        g = np.flatnonzero(own[k])
        shrunk[k] = action[k]
        if len(g) == 0:
            continue
        w = 1 / se[k, g] ** 2
        tau2 = 0.0
        if len(g) >= 2:
            center = np.sum(w * estimate[k, g]) / np.sum(w)
            q = np.sum(w * (estimate[k, g] - center) ** 2)
            tau2 = max(0.0, (q - (len(g) - 1)) / (np.sum(w) - np.sum(w ** 2) / np.sum(w)))
        b = tau2 / (tau2 + se[k, g] ** 2)
        shrunk[k, g] = action[k] + b * (estimate[k, g] - action[k])
        shrunk_se[k, g] = np.sqrt(b * se[k, g] ** 2 + (1 - b) ** 2 * action_se[k] ** 2)
    return shrunk, shrunk_se


def estimate(counts: Counts, design: CampaignDesign, actions: tuple[str, ...], segments: tuple[str, ...]) -> Estimates:
    """The estimates, intervals, truths and evidence of pooled ``counts`` (module docstring)."""
    pooled = counts.by_action()
    a_ok, a_est, a_se = (x[:, 0] for x in _rates(pooled))
    s_ok, s_est, s_se = _rates(counts)
    own = s_ok & (counts.n_holdout >= design.min_holdout) & (counts.n_treated >= design.min_holdout)
    shrunk, shrunk_se = shrink(a_est, a_se, s_est, s_se, own)
    with np.errstate(invalid="ignore", divide="ignore"):
        a_pred = pooled.predicted[:, 0] / pooled.n_selected[:, 0]
        s_pred = counts.predicted / counts.n_selected
    evidence = Evidence(segments, shrunk, np.where(own, shrunk_se, a_se[:, None]),
                        np.where(own, s_pred, a_pred[:, None]), a_est, a_se, a_pred)
    parts = [_rows(pooled, a_ok[:, None], a_est[:, None], a_est[:, None], design, actions, (ALL,)),
             _rows(counts, own, s_est, shrunk, design, actions, segments)]
    table = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in COLUMNS}, columns=list(COLUMNS))
    return Estimates(table, evidence)


COLUMNS = ("action_id", "segment", "estimate", "ci_lo", "ci_hi", "truth", "n_treated", "n_holdout",
           "churned_treated", "churned_holdout", "predicted", "correction", "shrunk", "covered")


def _rows(c: Counts, keep: np.ndarray, est: np.ndarray, shrunk: np.ndarray, design: CampaignDesign,
          actions: tuple[str, ...], segments: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The COLUMNS of one row per kept (action, segment) cell of (K, S') arrays."""
    k, g = np.nonzero(keep)
    if len(k):
        lo, hi = confint_proportions_2indep(c.y_holdout[k, g], c.n_holdout[k, g], c.y_treated[k, g],
                                            c.n_treated[k, g], method=design.ci_method, compare="diff",
                                            alpha=1 - design.ci_level)
    else:
        lo = hi = np.zeros(0)
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    truth = c.truth[k, g] / c.n_selected[k, g]
    predicted = c.predicted[k, g] / c.n_selected[k, g]
    with np.errstate(invalid="ignore", divide="ignore"):
        correction = np.where(predicted > 0, est[k, g] / predicted, np.nan)
    counts = {name: getattr(c, field)[k, g].astype(np.int64) for name, field in
              (("n_treated", "n_treated"), ("n_holdout", "n_holdout"), ("churned_treated", "y_treated"),
               ("churned_holdout", "y_holdout"))}
    return {"action_id": np.array(actions, dtype=object)[k], "segment": np.array(segments, dtype=object)[g],
            "estimate": est[k, g], "ci_lo": lo, "ci_hi": hi, "truth": truth, **counts, "predicted": predicted,
            "correction": correction, "shrunk": shrunk[k, g], "covered": (lo <= truth) & (truth <= hi)}
