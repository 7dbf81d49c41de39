"""Customer groups by segment, risk tier and value tier: who an action is for (catalog eligibility)
and whom a constraint counts (floors, caps). One definition for both. ``Groups``: only these columns
of a population, what the rows of a sharded world are compiled against on its driver."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcore.checks import as_str_tuple, check_choice
from simcore.errors import ConfigError

RISK_TIERS = ("high", "low")  # from the ESTIMATED churn probability vs the high-risk threshold
VALUE_TIERS = ("high", "mid", "low")  # tertiles of the ESTIMATED CLV
FILTERS = ("segments", "risk_tiers", "value_tiers")
ALLOWED = {"segments": None, "risk_tiers": RISK_TIERS, "value_tiers": VALUE_TIERS}
GROUP_COLUMNS = ("segment", "risk_tier", "value_tier")


def normalize_filters(obj: object) -> None:
    """Validate and freeze (as tuples) the ``segments``, ``risk_tiers`` and ``value_tiers`` fields of
    a frozen dataclass ``obj``; None means "every customer"."""
    for attr in FILTERS:
        value = getattr(obj, attr)
        if value is None:
            continue
        values = as_str_tuple(value, attr)
        if ALLOWED[attr]:
            for i, v in enumerate(values):
                check_choice(v, f"{attr}[{i}]", ALLOWED[attr])
        object.__setattr__(obj, attr, values)


def members(table: pd.DataFrame, segments: Sequence[str] | None, risk_tiers: Sequence[str] | None,
            value_tiers: Sequence[str] | None) -> np.ndarray:
    """(n_customers,) bool: the customers matching every given filter. A segment the population does
    not have is an error (a typo would otherwise select nobody)."""
    mask = np.ones(len(table), dtype=bool)
    if segments is not None:
        known = set(table["segment"].unique())  # not set(column): that iterates every customer in Python
        unknown = sorted(set(segments) - known)
        if unknown:
            raise ConfigError(f"segments = {unknown}: not in the population; segments are {sorted(known)}")
        mask &= table["segment"].isin(segments).to_numpy()
    if risk_tiers is not None:
        mask &= table["risk_tier"].isin(risk_tiers).to_numpy()
    if value_tiers is not None:
        mask &= table["value_tier"].isin(value_tiers).to_numpy()
    return mask


@dataclass(frozen=True)
class Groups:
    """What constraints compile against when the customers themselves are elsewhere (a sharded world,
    ``strategies.shards``): every customer's segment, risk tier and value tier, in customer order.
    table: (N, 3) columns segment, risk_tier, value_tier (categoricals keep it at ~3 bytes a customer)."""

    table: pd.DataFrame

    def __post_init__(self) -> None:
        missing = [c for c in GROUP_COLUMNS if c not in self.table.columns]
        if missing:
            raise ConfigError(f"groups: missing column(s) {', '.join(missing)}")

    @property
    def n(self) -> int:
        return len(self.table)

    def segments(self) -> tuple[str, ...]:
        return tuple(sorted(self.table["segment"].unique()))
