"""Learning: a planner that plans with the uplifts it learned from its own holdouts.

In a campaign every strategy holds out a random share of the customers it selects
(simcore.campaign_holdout) and gets, each period, the estimates pooled over its past periods
(simcore.campaign_uplift: per action and segment, the absolute churn reduction realized in its
holdouts and what the stated uplift predicted for the same customers). A learning strategy turns them
into the uplift it plans with; the planner (milp, lagrangian, a heuristic) then plans on a view whose
stated uplifts are replaced (simcore.campaign_views.with_uplift). It never sees the truth: only its own
customers' outcomes.

The rule. The correction factor c = realized / predicted (the optimizer's-curse correction of
simcore.campaign_uplift) has the prior N(1, prior_sd^2) ("the stated uplift is right, give or take
prior_sd of itself"); the holdout gives c_hat = estimate / predicted with standard error se /
predicted; the posterior is normal with precision 1 / prior_sd^2 + 1 / se_c^2 and mean
(1 / prior_sd^2 + c_hat / se_c^2) / precision. A pair's uplift is its stated uplift times the posterior
mean of its action's correction (by_segment: of its action and segment, from the segment's shrunk
estimate). Early, noisy holdouts barely move it; a few hundred held-out customers decide it.
Outside a campaign (a single run, a sweep) there is no evidence, and it is exactly its planner.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.campaign_uplift import Evidence
from simcore.campaign_views import evidence_of, with_uplift
from simcore.checks import check_bool, check_instance, check_scalar
from simcore.plan import Plan
from simcore.scenario import ScenarioView
from strategies.base import Strategy


def correction_posterior(evidence: Evidence, prior_sd: float, by_segment: bool) -> tuple[np.ndarray, np.ndarray]:
    """(mean, sd) of the correction factor's posterior (module docstring): (K, S) by segment, else
    (K, 1). The prior where there is no evidence (or no positive prediction)."""
    if by_segment:
        estimate, se, predicted = evidence.estimate, evidence.se, evidence.predicted
    else:
        estimate, se, predicted = (x[:, None] for x in (evidence.action_estimate, evidence.action_se,
                                                         evidence.action_predicted))
    usable = np.isfinite(estimate) & np.isfinite(se) & (se > 0) & np.isfinite(predicted) & (predicted > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        c_hat = np.where(usable, estimate / predicted, 1.0)
        precision = np.where(usable, (predicted / se) ** 2, 0.0)
    total = 1 / prior_sd**2 + precision
    return (1 / prior_sd**2 + c_hat * precision) / total, 1 / np.sqrt(total)


def pair_factor(view: ScenarioView, segments: tuple[str, ...], factor: np.ndarray) -> np.ndarray:
    """(P,) the factor of each pair's action (and customer's segment, when ``factor`` has a column
    per segment). factor: (K, S) or (K, 1)."""
    pairs = view.pairs
    if factor.shape[1] == 1:
        return factor[pairs.action, 0]
    column = {s: j for j, s in enumerate(segments)}
    segment = np.array([column[s] for s in view.customers["segment"].astype(str)], dtype=np.int64)
    return factor[pairs.action, segment[pairs.customer]]


def planned_with(planner: Strategy, view: ScenarioView, uplift: np.ndarray, rng: np.random.Generator) -> Plan:
    """The planner's plan on the view whose pairs have ``uplift`` (P,) instead of the stated one."""
    return planner.select(with_uplift(view, uplift), rng)


@dataclass(frozen=True)
class Learning(Strategy):
    """planner: any strategy (in a config: a mapping with _target_); prior_sd: the prior's sd of the
    correction factor (module docstring); by_segment: learn a correction per action and segment
    (shrunk toward the action's), else per action."""

    planner: Strategy
    prior_sd: float = 0.5
    by_segment: bool = True

    def __post_init__(self) -> None:
        check_instance(self.planner, "planner", Strategy)
        check_scalar(self.prior_sd, "prior_sd", float, 0.0, min_inclusive=False)
        check_bool(self.by_segment, "by_segment")

    def supports(self, view: ScenarioView) -> str | None:
        return self.planner.supports(view)

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        evidence = evidence_of(view)
        if evidence is None:
            return self.planner.select(view, rng)
        mean, _ = correction_posterior(evidence, self.prior_sd, self.by_segment)
        factor = np.maximum(mean, 0.0)
        return planned_with(self.planner, view, view.pairs.uplift * pair_factor(view, evidence.segments, factor), rng)
