"""A Plan: which action each customer gets, plus what an optimizer reports about it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ShadowPrice:
    """The marginal estimated net value (dollars) of moving one constraint row's limit by one unit
    (one dollar of budget, one contact of capacity, one more required contact of a floor): >= 0 for
    a '<=' row, <= 0 for a '>=' row (a floor costs value)."""

    row: str
    unit: str
    value: float


@dataclass(frozen=True)
class SolverReport:
    """status: optimal | stopped_at_limit (time or node limit: the plan is the best found); objective and bound in dollars of estimated net value;
    gap = (bound - objective) / max(1, |objective|)."""

    status: str
    objective: float
    bound: float
    gap: float
    solve_seconds: float
    time_limited: bool = False
    shadow_prices: tuple[ShadowPrice, ...] = ()


@dataclass(frozen=True)
class Plan:
    """action: (n_customers,) int, the catalog index per customer, -1 = no action.

    note: a flag the results table shows next to the strategy (e.g. "reference: ignores the budget").
    """

    action: np.ndarray
    solver: SolverReport | None = None
    note: str = ""

    def __post_init__(self) -> None:
        action = np.asarray(self.action)
        if action.ndim != 1 or not np.issubdtype(action.dtype, np.integer):
            raise TypeError(f"Plan.action must be a 1-d integer array, got {action.dtype} {action.shape}")
        object.__setattr__(self, "action", action.astype(np.int64))

    @classmethod
    def empty(cls, n_customers: int, note: str = "") -> "Plan":
        return cls(np.full(n_customers, -1, dtype=np.int64), note=note)

    def assignments(self) -> tuple[np.ndarray, np.ndarray]:
        """(customers, actions) of the customers that get an action."""
        customers = np.flatnonzero(self.action >= 0)
        return customers, self.action[customers]
