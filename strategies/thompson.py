"""Thompson sampling over the action uplifts, with the budget and every other constraint.

Each period it draws every action's correction factor from its posterior (the same posterior as
``strategies.learning``: prior N(1, prior_sd^2), updated by the action's pooled holdout estimate) and
plans with its planner on the stated uplifts times the draw. An action whose uplift is still
uncertain gets planned as if it were better (or worse) than believed in proportion to the chance that
it is, so uncertain actions are tried, and certain ones are exploited; the planner (milp by default in
the presets) keeps the budget, capacities and floors whatever the draw. Its randomness comes only
from the rng a campaign names for it and the period, so a replicate is reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.campaign_uplift import Evidence
from simcore.campaign_views import evidence_of
from simcore.checks import check_instance, check_scalar
from simcore.plan import Plan
from simcore.scenario import ScenarioView
from strategies.base import Strategy
from strategies.learning import correction_posterior, pair_factor, planned_with


@dataclass(frozen=True)
class Thompson(Strategy):
    """planner: any strategy (in a config: a mapping with _target_); prior_sd: the prior's sd of each
    action's correction factor. Outside a campaign it draws from the prior."""

    planner: Strategy
    prior_sd: float = 0.5

    def __post_init__(self) -> None:
        check_instance(self.planner, "planner", Strategy)
        check_scalar(self.prior_sd, "prior_sd", float, 0.0, min_inclusive=False)

    def supports(self, view: ScenarioView) -> str | None:
        return self.planner.supports(view)

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        k = len(view.catalog.actions)
        evidence = evidence_of(view) or Evidence.none(k, ())
        mean, sd = correction_posterior(evidence, self.prior_sd, by_segment=False)
        draw = np.maximum(rng.normal(mean, sd), 0.0)
        return planned_with(self.planner, view, view.pairs.uplift * pair_factor(view, (), draw), rng)
