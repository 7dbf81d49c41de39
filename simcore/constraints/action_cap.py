"""A per-group cap on some actions, e.g. "at most 30% of Premium customers get a discount".

This kind is the README's worked example of adding a constraint kind: this one class, and one entry
in a scenario's ``constraints:`` mapping,

    premium_discounts: {_target_: simcore.constraints.action_cap.ActionCap,
                        actions: [discount_20], segments: [Premium], max_share: 0.3}

and ``milp``, ``lagrangian``, every heuristic (through ``greedy_fill``), the audit and the
infeasibility diagnosis respect and report it; nothing else changed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.checks import as_str_tuple, check_scalar, check_share
from simcore.constraints.base import Constraint, Context, at_most
from simcore.constraints.rows import LE, Row, RowSpec
from simcore.errors import ConfigError
from simcore.groups import normalize_filters


@dataclass(frozen=True, kw_only=True)
class ActionCap(Constraint):
    """At most ``limit`` customers, or ``max_share`` of the group, get one of ``actions``; the group is
    the customers matching every given filter (null = all customers). Give exactly one of ``limit``
    and ``max_share``. Row ``cap[<key>]``."""

    actions: tuple[str, ...]
    limit: int | None = None
    max_share: float | None = None
    segments: tuple[str, ...] | None = None
    risk_tiers: tuple[str, ...] | None = None
    value_tiers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "actions", as_str_tuple(self.actions, "actions"))
        if (self.limit is None) == (self.max_share is None):
            raise ConfigError(f"limit = {self.limit!r}, max_share = {self.max_share!r}: give exactly one of them")
        if self.limit is not None:
            check_scalar(self.limit, "limit", int, 0)
        if self.max_share is not None:
            check_share(self.max_share, "max_share")
        normalize_filters(self)

    def compile(self, key: str, ctx: Context) -> list[RowSpec]:
        group = ctx.group(self.segments, self.risk_tiers, self.value_tiers)
        which = np.array([ctx.catalog.index(a, f"actions[{i}]") for i, a in enumerate(self.actions)])
        limit = self.limit if self.limit is not None else at_most(self.max_share, int(group.sum()))
        what = ", ".join(self.actions)
        return [RowSpec(Row(f"cap[{key}]", "action_cap", LE, float(limit), "contacts",
                            f"{what} to <= {limit} of {key} ({group.sum()} customers)"),
                        customer_weight=group.astype(float),
                        action_weight=np.isin(np.arange(len(ctx.catalog.actions)), which).astype(float))]
