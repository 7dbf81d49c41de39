"""The built-in constraint kinds. Each is configured in a scenario's ``constraints:`` mapping by
``_target_`` and its fields; floors and caps count CONTACTS (actions on a channel other than
``none``) unless they say otherwise."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.catalog import CHANNELS
from simcore.checks import as_str_tuple, check_choice, check_scalar, check_share
from simcore.constraints.base import Constraint, Context, at_least, at_most
from simcore.constraints.rows import GE, LE, Row, RowSpec
from simcore.groups import normalize_filters


@dataclass(frozen=True, kw_only=True)
class Budget(Constraint):
    """Total spend at most ``limit`` dollars. Row ``budget``."""

    limit: float

    def __post_init__(self) -> None:
        check_scalar(self.limit, "limit", float, 0.0)

    def compile(self, key: str, ctx: Context) -> list[RowSpec]:
        return [RowSpec(Row("budget", "budget", LE, float(self.limit), "$", f"spend <= ${self.limit:,.2f}"),
                        cost_weighted=True)]


@dataclass(frozen=True, kw_only=True)
class ChannelCapacity(Constraint):
    """At most ``limit`` contacts through the given channel(s); a channel group shares one limit.
    Row ``capacity[<channels joined by +>]``."""

    channels: tuple[str, ...]
    limit: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", as_str_tuple(self.channels, "channels"))
        for i, c in enumerate(self.channels):
            check_choice(c, f"channels[{i}]", [ch for ch in CHANNELS if ch != "none"])
        check_scalar(self.limit, "limit", int, 0)

    def compile(self, key: str, ctx: Context) -> list[RowSpec]:
        label = "+".join(self.channels)
        return [RowSpec(Row(f"capacity[{label}]", "capacity", LE, float(self.limit), "contacts",
                            f"{label} contacts <= {self.limit}"),
                        action_weight=np.isin(ctx.channels, self.channels).astype(float))]


@dataclass(frozen=True, kw_only=True)
class MaxContacts(Constraint):
    """At most ``limit`` customers contacted in all. Row ``max_contacts``."""

    limit: int

    def __post_init__(self) -> None:
        check_scalar(self.limit, "limit", int, 0)

    def compile(self, key: str, ctx: Context) -> list[RowSpec]:
        return [RowSpec(Row("max_contacts", "max_contacts", LE, float(self.limit), "contacts",
                            f"contacts <= {self.limit}"), action_weight=ctx.contact)]


@dataclass(frozen=True, kw_only=True)
class CoverageFloor(Constraint):
    """At least ``min_share`` of a customer group contacted; the group is the customers matching every
    given filter (segments, risk tiers, value tiers; null = all). Row ``coverage[<key>]``."""

    min_share: float
    segments: tuple[str, ...] | None = None
    risk_tiers: tuple[str, ...] | None = None
    value_tiers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_share(self.min_share, "min_share")
        normalize_filters(self)

    def compile(self, key: str, ctx: Context) -> list[RowSpec]:
        group = ctx.group(self.segments, self.risk_tiers, self.value_tiers)
        need = at_least(self.min_share, int(group.sum()))
        return [RowSpec(Row(f"coverage[{key}]", "coverage_floor", GE, float(need), "contacts",
                            f">= {self.min_share:.0%} of {key} contacted ({need} of {group.sum()})"),
                        customer_weight=group.astype(float), action_weight=ctx.contact)]


@dataclass(frozen=True, kw_only=True)
class SaturationCap(Constraint):
    """No single contact action to more than ``max_share`` of all customers. Rows ``saturation[<action id>]``."""

    max_share: float

    def __post_init__(self) -> None:
        check_share(self.max_share, "max_share")

    def compile(self, key: str, ctx: Context) -> list[RowSpec]:
        limit = at_most(self.max_share, ctx.n_customers)
        k = len(ctx.catalog.actions)
        return [RowSpec(Row(f"saturation[{a.id}]", "saturation_cap", LE, float(limit), "contacts",
                            f"{a.id} to <= {self.max_share:.0%} of customers ({limit})"),
                        action_weight=(np.arange(k) == j).astype(float))
                for j, a in enumerate(ctx.catalog.actions) if a.is_contact]


@dataclass(frozen=True, kw_only=True)
class FairnessFloor(Constraint):
    """Every segment at least ``min_share`` contacted. Rows ``fairness[<segment>]``."""

    min_share: float

    def __post_init__(self) -> None:
        check_share(self.min_share, "min_share")

    def compile(self, key: str, ctx: Context) -> list[RowSpec]:
        segment = ctx.population.table["segment"]
        out = []
        for s in ctx.population.segments():
            group = (segment == s).to_numpy(bool)  # as text: to_numpy() first would make N Python strings
            need = at_least(self.min_share, int(group.sum()))
            out.append(RowSpec(Row(f"fairness[{s}]", "fairness_floor", GE, float(need), "contacts",
                                   f">= {self.min_share:.0%} of {s} contacted ({need} of {group.sum()})"),
                               customer_weight=group.astype(float), action_weight=ctx.contact))
        return out
