"""The one Strategy interface, and the greedy filler every heuristic shares.

Heuristics propose (customer, ordered candidate actions) in their own priority order; ``greedy_fill``
accepts the first candidate that keeps every upper-limit row of the constraint set (budget,
capacities, contact cap, saturation caps) satisfied. The limits come from the same compiled rows the
optimizer and the audit use; floors are not enforced here, so the audit shows where they are missed.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from simcore.constraints import RowSpec
from simcore.plan import Plan
from simcore.scenario import ScenarioView


class Strategy(ABC):
    """select(view, rng) -> Plan. ``supports`` returns None, or the reason the strategy does not apply.

    ignores_limits: True only for a reference that breaks the hard limits BY DESIGN (it must flag
    its plans with a note); every other strategy's plan keeps every '<=' row."""

    ignores_limits: ClassVar[bool] = False

    def supports(self, view: ScenarioView) -> str | None:
        return None

    @abstractmethod
    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan: ...


def stated_effect(view: ScenarioView) -> np.ndarray:
    """(n_actions,) what each action is said to do to a customer's CLV: the churn uplift plus the
    incremental CLV share (both are fractions of CLV once churn is ignored)."""
    return np.array([a.uplift + a.clv_lift for a in view.catalog.actions])


def best_stated_action(view: ScenarioView) -> np.ndarray:
    """(n_customers,) the eligible contact action with the highest STATED effect (ties: cheaper,
    then catalog order); -1 where none is eligible. Uses no customer-level estimate."""
    score = np.where(view.eligible, stated_effect(view)[None, :] * 1e9 - view.cost, -np.inf)
    best = np.argmax(score, axis=1)
    return np.where(np.isfinite(score[np.arange(len(best)), best]), best, -1)


def missing_action(view: ScenarioView, action: str | None) -> str | None:
    """Why a strategy configured with ``action`` cannot run on this catalog (None: it can)."""
    if action is not None and action not in view.catalog.ids:
        return f"action {action!r} is not in the catalog ({', '.join(view.catalog.ids)})"
    return None


def one_action_each(view: ScenarioView, action: str | None) -> np.ndarray:
    """(n_customers,) the configured action for everyone, or the best stated one when ``action`` is None."""
    if action is None:
        return best_stated_action(view)
    return np.full(view.n_customers, view.catalog.index(action), dtype=np.int64)


def greedy_fill(view: ScenarioView, order: np.ndarray, candidates: Sequence[Sequence[int]] | np.ndarray,
                limit: int | None = None, extra_rows: Sequence[RowSpec] = ()) -> np.ndarray:
    """Walk customers in ``order``; give each the first of its candidate actions that is eligible
    and fits every '<=' row (plus ``extra_rows``, a strategy's own operating limits). candidates[j]
    lists actions for customer order[j] (-1 entries skipped). Stops after ``limit`` customers.
    Returns (n_customers,) actions, -1 = none."""
    rows = view.rows.extended(extra_rows) if extra_rows else view.rows
    rows = rows.subset(rows.le)
    n = view.n_customers
    remaining = rows.rhs
    tol = 1e-9 * np.maximum(1.0, np.abs(remaining))
    action = np.full(n, -1, dtype=np.int64)
    accepted = 0
    for customer, options in zip(order, candidates):
        if limit is not None and accepted >= limit:
            break
        for a in options:
            if a < 0 or not view.eligible[customer, a]:
                continue
            use = rows.coefficients(rows.weights[[customer]], np.array([a]), view.cost[[customer], [a]])[:, 0]
            if np.all(use <= remaining + tol):
                remaining -= use
                action[customer] = a
                accepted += 1
                break
    return action
