"""The oracle: plans with the TRUE churn, CLV and effects, under the same constraints as everyone.

It is the upper reference of a campaign: no strategy's plan that keeps the world's constraints can
have a higher true expected value in the same state (its planner is exact), so the gap to it is the
regret. Only a campaign can give it the truth (a ``simcore.campaign_views.TruthView``, to the strategy
named by ``campaign.oracle``); on any other view (a single run, a sweep) it does not apply and says
so, rather than planning on estimates under its name.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.campaign_views import TruthView
from simcore.checks import check_instance
from simcore.errors import NotApplicableError
from simcore.plan import Plan
from simcore.scenario import ScenarioView
from strategies.base import Strategy

NEEDS_TRUTH = ("the oracle plans with the true effects, which only a campaign gives it "
               "(python -m benchmarks.run campaign=holdout_learning)")


@dataclass(frozen=True)
class Oracle(Strategy):
    """planner: the strategy that plans on the truth (an exact one, milp, for a true upper reference)."""

    planner: Strategy

    def __post_init__(self) -> None:
        check_instance(self.planner, "planner", Strategy)

    def supports(self, view: ScenarioView) -> str | None:
        return NEEDS_TRUTH if not isinstance(view, TruthView) else self.planner.supports(view)

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        if not isinstance(view, TruthView):
            raise NotApplicableError(NEEDS_TRUTH)
        return self.planner.select(view, rng)
