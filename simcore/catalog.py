"""The action catalog: what each action costs, what it does, through which channel, and to whom.

Stated effects are what strategies see. The TRUE per-customer effect is the stated uplift times a
heterogeneity factor (see :mod:`simcore.effects`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simcore.checks import check_choice, check_name, check_scalar, check_share, prefix_errors, tuple_of
from simcore.errors import ConfigError
from simcore.groups import members, normalize_filters
from simcore.population import Population, read_table

CHANNELS = ("none", "email", "in_app", "push", "sms", "call", "mail", "sales")


@dataclass(frozen=True)
class Action:
    """One retention action.

    cost = ``cost`` + ``revenue_share`` x annual revenue (dollars per customer contacted).
    uplift: relative churn reduction (0.2 = churn probability falls by 20%).
    clv_lift: incremental CLV if targeted, as a share of the customer's CLV, whatever its churn risk
    (seed 001's value model: "15% incremental CLV if targeted" is clv_lift 0.15, uplift 0).
    revenue_gain: dollars earned if the offer succeeds; success probability is ``gain_propensity``
    or, when that is null, the customer's ``upsell_propensity``.
    Eligibility: lists of segments / risk tiers / value tiers (null = all).
    An action on channel ``none`` is the explicit "no action" row: it costs and does nothing.
    """

    id: str
    name: str = ""
    cost: float = 0.0
    revenue_share: float = 0.0
    uplift: float = 0.0
    clv_lift: float = 0.0
    revenue_gain: float = 0.0
    gain_propensity: float | None = None
    channel: str = "email"
    segments: tuple[str, ...] | None = None
    risk_tiers: tuple[str, ...] | None = None
    value_tiers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_name(self.id, "id")
        if not self.name:
            object.__setattr__(self, "name", self.id)
        check_scalar(self.cost, "cost", float, 0.0)
        check_share(self.revenue_share, "revenue_share")
        check_share(self.uplift, "uplift")
        check_share(self.clv_lift, "clv_lift")
        check_scalar(self.revenue_gain, "revenue_gain", float, 0.0)
        if self.gain_propensity is not None:
            check_share(self.gain_propensity, "gain_propensity")
        check_choice(self.channel, "channel", CHANNELS)
        normalize_filters(self)
        if self.channel == "none" and (self.cost or self.revenue_share or self.uplift or self.clv_lift
                                       or self.revenue_gain):
            raise ConfigError(f"channel = 'none' (action {self.id!r}): a no-action row must have zero cost and effect")

    @property
    def is_contact(self) -> bool:
        return self.channel != "none"


@dataclass(frozen=True)
class Catalog:
    """The actions, plus an optional explicit eligibility table (CSV/parquet of customer_id, action_id)
    that replaces the per-action rules when given."""

    actions: tuple[Action, ...]
    eligibility_table: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "actions", tuple_of(self.actions, "actions", Action))
        if not self.actions:
            raise ConfigError("actions = []: the catalog needs at least one action")
        ids = [a.id for a in self.actions]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ConfigError(f"actions[*].id = {sorted(dup)}: action ids must be unique")
        if not any(a.is_contact for a in self.actions):
            raise ConfigError("actions: every action has channel 'none'; add at least one contact action")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actions)

    def index(self, action_id: str, where: str = "action") -> int:
        try:
            return self.ids.index(action_id)
        except ValueError:
            raise ConfigError(f"{where} = {action_id!r}: not in the catalog; allowed: {', '.join(self.ids)}") from None

    def eligibility(self, population: Population) -> np.ndarray:
        """(n_customers, n_actions) bool. Channel-'none' actions are never eligible: they equal no action."""
        table = population.table
        if self.eligibility_table is not None:
            return self._eligibility_from_table(population)
        out = np.zeros((population.n, len(self.actions)), dtype=bool)
        for k, a in enumerate(self.actions):
            if a.is_contact:
                with prefix_errors(f"scenario.catalog.actions[{k}]"):
                    out[:, k] = members(table, a.segments, a.risk_tiers, a.value_tiers)
        return out

    def _eligibility_from_table(self, population: Population) -> np.ndarray:
        pairs = read_table(Path(self.eligibility_table), "scenario.catalog.eligibility_table",
                           text=("customer_id", "action_id"))
        for col in ("customer_id", "action_id"):
            if col not in pairs.columns:
                raise ConfigError(f"scenario.catalog.eligibility_table: missing column {col!r}")
        rows = pd.Index(population.table["customer_id"]).get_indexer(pairs["customer_id"])
        cols = pd.Index(self.ids).get_indexer(pairs["action_id"])
        if (rows < 0).any():
            bad = pairs["customer_id"].iloc[int(np.flatnonzero(rows < 0)[0])]
            raise ConfigError(f"scenario.catalog.eligibility_table.customer_id = {bad!r}: not in the population")
        if (cols < 0).any():
            bad = pairs["action_id"].iloc[int(np.flatnonzero(cols < 0)[0])]
            raise ConfigError(f"scenario.catalog.eligibility_table.action_id = {bad!r}: not in the catalog; "
                              f"allowed: {', '.join(self.ids)}")
        out = np.zeros((population.n, len(self.actions)), dtype=bool)
        out[rows, cols] = True
        out[:, [not a.is_contact for a in self.actions]] = False
        return out

    def cost_matrix(self, population: Population) -> np.ndarray:
        """(n_customers, n_actions) dollars, stored action-major (Fortran order), so that a block of
        customers' costs of one action is contiguous: the Lagrangian's chunks read their costs from
        it instead of copying them (61 MB at 1,000,000 x 8)."""
        revenue = population.table["annual_revenue"].to_numpy(dtype=float)
        fixed = np.array([a.cost for a in self.actions])
        share = np.array([a.revenue_share for a in self.actions])
        out = np.multiply(revenue[:, None], share[None, :], order="F")
        out += fixed[None, :]
        return out

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "action_id": a.id, "name": a.name, "cost": a.cost, "uplift": a.uplift, "channel": a.channel,
            "revenue_share": a.revenue_share, "clv_lift": a.clv_lift, "revenue_gain": a.revenue_gain,
            "gain_propensity": np.nan if a.gain_propensity is None else a.gain_propensity,
        } for a in self.actions])
