"""Top risk: contact the customers most likely to churn, with the cheapest action they are eligible for.

A template for a strategy that lives in your own package: a frozen dataclass subclassing
``Strategy`` (its fields are its config parameters), validated in ``__post_init__``, planning from
the ``view`` (estimates only, never the truth) and ``rng``, and leaving the hard limits to
``greedy_fill``. Run it with ``plugins=[retention_plugin]`` and this directory on ``PYTHONPATH``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.checks import check_scalar
from simcore.plan import Plan
from simcore.scenario import ScenarioView
from strategies.base import Strategy, greedy_fill


@dataclass(frozen=True)
class TopRisk(Strategy):
    """Customers by estimated churn probability, highest first, above ``min_churn_prob``; each gets
    the cheapest action eligible for them; taken until no limit admits more."""

    min_churn_prob: float = 0.0

    def __post_init__(self) -> None:
        check_scalar(self.min_churn_prob, "min_churn_prob", float, 0.0, 1.0)

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        risk = view.customers["churn_prob_est"].to_numpy(float)
        cost = np.where(view.eligible, view.cost, np.inf)
        cheapest = np.where(view.eligible.any(axis=1), np.argmin(cost, axis=1), -1)
        order = np.argsort(-risk, kind="stable")
        order = order[(risk[order] >= self.min_churn_prob) & (cheapest[order] >= 0)]
        return Plan(greedy_fill(view, order, cheapest[order, None]))
