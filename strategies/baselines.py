"""Reference baselines: do nothing, treat everyone, random, frequency only."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from simcore.plan import Plan
from simcore.scenario import ScenarioView
from strategies.base import Strategy, greedy_fill, missing_action, one_action_each


@dataclass(frozen=True)
class DoNothing(Strategy):
    """Nobody is contacted: the zero line every other strategy is measured from."""

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        return Plan.empty(view.n_customers)


@dataclass(frozen=True)
class TreatEveryone(Strategy):
    """The cheapest eligible contact for every customer, ignoring budget and capacities BY DESIGN:
    an infeasible but informative upper reference. Its audit shows what it breaks."""

    ignores_limits: ClassVar[bool] = True

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        cost = np.where(view.eligible, view.cost, np.inf)
        best = np.argmin(cost, axis=1)
        has = np.isfinite(cost[np.arange(view.n_customers), best])
        return Plan(np.where(has, best, -1), note="reference: ignores budget and capacities by design")


@dataclass(frozen=True)
class RandomTargeting(Strategy):
    """Random eligible customers, each with a random eligible contact, until no limit admits more."""

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        order = rng.permutation(view.n_customers)
        choice = np.full(view.n_customers, -1, dtype=np.int64)
        for i in order:
            options = np.flatnonzero(view.eligible[i])
            if len(options):
                choice[i] = rng.choice(options)
        return Plan(greedy_fill(view, order, choice[order, None]))


@dataclass(frozen=True)
class FrequencyOnly(Strategy):
    """Highest purchase frequency first until no limit admits more. Action: ``action`` if given, else
    the eligible contact with the highest stated uplift."""

    action: str | None = None

    def supports(self, view: ScenarioView) -> str | None:
        if not (view.customers["purchase_frequency"] > 0).any():
            return "the population has no purchase_frequency (all zero)"
        return missing_action(view, self.action)

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        freq = view.customers["purchase_frequency"].to_numpy(float)
        order = np.argsort(-freq, kind="stable")
        return Plan(greedy_fill(view, order, one_action_each(view, self.action)[order, None]))
