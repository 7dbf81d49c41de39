"""CLV top-N: rank by incremental CLV = stated effect x estimated CLV, capped at a quantile."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.checks import check_scalar
from simcore.plan import Plan
from simcore.scenario import ScenarioView
from strategies.base import Strategy, greedy_fill, missing_action, one_action_each, stated_effect


@dataclass(frozen=True)
class ClvTopN(Strategy):
    """score = stated effect (uplift + clv_lift) x min(clv_est, quantile_q(clv_est)); the cap limits how much a few
    heavy-tailed CLV estimates dominate the list (risk control). Top N = budget // action cost:
    customers are taken by score until the budget (and every other limit) admits no more, or
    ``top_n`` if given. Churn probability is ignored: that is this rule's blind spot."""

    cap_quantile: float = 0.95
    action: str | None = None
    top_n: int | None = None

    def __post_init__(self) -> None:
        check_scalar(self.cap_quantile, "cap_quantile", float, 0.0, 1.0)
        if self.top_n is not None:
            check_scalar(self.top_n, "top_n", int, 0)

    def supports(self, view: ScenarioView) -> str | None:
        if self.top_n is None and view.constraints.budget is None:
            return "no budget and no top_n: nothing sizes the list"
        return missing_action(view, self.action)

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        clv = view.customers["clv_est"].to_numpy(float)
        capped = np.minimum(clv, np.quantile(clv, self.cap_quantile))
        action = one_action_each(view, self.action)
        effect = stated_effect(view)
        score = np.where(action >= 0, effect[action] * capped, -np.inf)
        order = np.argsort(-score, kind="stable")
        order = order[np.isfinite(score[order])]
        return Plan(greedy_fill(view, order, action[order, None], limit=self.top_n))
