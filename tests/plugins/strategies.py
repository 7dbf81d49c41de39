"""Strategies of a user's own package (trusted with plugins=[tests.plugins])."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.plan import Plan
from simcore.scenario import ScenarioView
from strategies.base import Strategy, greedy_fill


@dataclass(frozen=True)
class Broken(Strategy):
    """Fails with an unexpected exception (a bug in someone's strategy)."""

    message: str = "index 7 is out of bounds"

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        raise IndexError(self.message)


@dataclass(frozen=True)
class HighestChurnFirst(Strategy):
    """Contact the customers with the highest estimated churn probability first, with the first
    eligible contact action, until no limit admits more."""

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        order = np.argsort(-view.customers["churn_prob_est"].to_numpy(float), kind="stable")
        first = np.argmax(view.eligible, axis=1)
        first = np.where(view.eligible.any(axis=1), first, -1)
        return Plan(greedy_fill(view, order, first[order, None]))
