"""The constraint set. Each constraint compiles into linear ROWS over (customer, action) pairs; that
single definition gives the optimizer its matrix, the heuristics their limits and the audit its numbers.

A row's coefficient for pair (i, k) is ``customer_weight[i] * action_weight[k] * (cost[i, k] if
cost_weighted else 1)``; a missing weight is 1. Floors count CONTACTS (actions on a channel other
than ``none``) among the group's customers.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from simcore.catalog import CHANNELS, RISK_TIERS, VALUE_TIERS, Catalog
from simcore.checks import as_str_tuple, build_tuple, check_choice, check_name, check_scalar, check_share
from simcore.errors import ConfigError
from simcore.population import Population


@dataclass(frozen=True)
class Row:
    """One linear constraint: sum over chosen pairs of coefficient(pair) <sense> rhs."""

    name: str
    kind: str
    sense: str  # "<=" or ">="
    rhs: float
    unit: str  # "$" or "contacts"
    description: str
    customer_weight: np.ndarray | None = None  # (n_customers,)
    action_weight: np.ndarray | None = None  # (n_actions,)
    cost_weighted: bool = False

    def coefficients(self, customers: np.ndarray, actions: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """Coefficients (M,) of the pairs (customers[m], actions[m]) whose costs are cost (M,), dollars."""
        coef = cost.astype(float) if self.cost_weighted else np.ones(len(customers))
        if self.customer_weight is not None:
            coef = coef * self.customer_weight[customers]
        if self.action_weight is not None:
            coef = coef * self.action_weight[actions]
        return coef

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "sense": self.sense, "rhs": self.rhs,
                "unit": self.unit, "description": self.description}


@dataclass(frozen=True)
class ChannelCapacity:
    """At most ``limit`` contacts through the given channel(s) (a channel group shares one limit)."""

    channels: tuple[str, ...]
    limit: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", as_str_tuple(self.channels, "channels"))
        for i, c in enumerate(self.channels):
            check_choice(c, f"channels[{i}]", [ch for ch in CHANNELS if ch != "none"])
        check_scalar(self.limit, "limit", int, 0)


@dataclass(frozen=True)
class CoverageFloor:
    """At least ``min_share`` of a customer group must be contacted. The group is the customers
    matching every given filter (segments, risk tiers, value tiers)."""

    name: str
    min_share: float
    segments: tuple[str, ...] | None = None
    risk_tiers: tuple[str, ...] | None = None
    value_tiers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_name(self.name, "name")
        check_share(self.min_share, "min_share")
        for attr, allowed in (("segments", None), ("risk_tiers", RISK_TIERS), ("value_tiers", VALUE_TIERS)):
            value = getattr(self, attr)
            if value is None:
                continue
            values = as_str_tuple(value, attr)
            for i, v in enumerate(values):
                if allowed:
                    check_choice(v, f"{attr}[{i}]", allowed)
            object.__setattr__(self, attr, values)

    def members(self, population: Population, where: str) -> np.ndarray:
        t = population.table
        mask = np.ones(population.n, dtype=bool)
        if self.segments is not None:
            unknown = sorted(set(self.segments) - set(t["segment"]))
            if unknown:
                raise ConfigError(f"{where}.segments: {unknown} not in the population; "
                                  f"segments are {sorted(set(t['segment']))}")
            mask &= t["segment"].isin(self.segments).to_numpy()
        if self.risk_tiers is not None:
            mask &= t["risk_tier"].isin(self.risk_tiers).to_numpy()
        if self.value_tiers is not None:
            mask &= t["value_tier"].isin(self.value_tiers).to_numpy()
        return mask


@dataclass(frozen=True)
class ConstraintSet:
    """Every part is optional (null / empty = absent).

    budget: dollars; channel_capacities: contacts per channel group; max_contacts: total contacts;
    coverage_floors: minimum contacted share of a group; saturation_cap: no action to more than this
    share of all customers; fairness_floor: every segment at least this share contacted.
    At most one action per customer is structural (a plan maps each customer to one action;
    multi-touch campaigns are bundles in the catalog).
    """

    budget: float | None = None
    channel_capacities: tuple[ChannelCapacity, ...] = ()
    max_contacts: int | None = None
    coverage_floors: tuple[CoverageFloor, ...] = ()
    saturation_cap: float | None = None
    fairness_floor: float | None = None

    def __post_init__(self) -> None:
        if self.budget is not None:
            check_scalar(self.budget, "budget", float, 0.0)
        object.__setattr__(self, "channel_capacities",
                           build_tuple(ChannelCapacity, self.channel_capacities, "channel_capacities"))
        if self.max_contacts is not None:
            check_scalar(self.max_contacts, "max_contacts", int, 0)
        object.__setattr__(self, "coverage_floors",
                           build_tuple(CoverageFloor, self.coverage_floors, "coverage_floors"))
        names = [f.name for f in self.coverage_floors]
        if len(set(names)) != len(names):
            raise ConfigError(f"coverage_floors[*].name = {names}: names must be unique")
        if self.saturation_cap is not None:
            check_share(self.saturation_cap, "saturation_cap")
        if self.fairness_floor is not None:
            check_share(self.fairness_floor, "fairness_floor")

    def to_json(self) -> dict:
        return asdict(self)

    def compile(self, population: Population, catalog: Catalog) -> LinearSystem:
        """Resolve shares into counts against this population and catalog."""
        where = "scenario.constraints"
        n = population.n
        contact = np.array([a.is_contact for a in catalog.actions], dtype=float)
        channel = np.array([a.channel for a in catalog.actions])
        rows: list[Row] = []
        if self.budget is not None:
            rows.append(Row("budget", "budget", "<=", float(self.budget), "$",
                            f"spend <= ${self.budget:,.2f}", cost_weighted=True))
        for i, cap in enumerate(self.channel_capacities):
            label = "+".join(cap.channels)
            rows.append(Row(f"capacity[{label}]", "capacity", "<=", float(cap.limit), "contacts",
                            f"{label} contacts <= {cap.limit}",
                            action_weight=np.isin(channel, cap.channels).astype(float)))
        if self.max_contacts is not None:
            rows.append(Row("max_contacts", "max_contacts", "<=", float(self.max_contacts), "contacts",
                            f"contacts <= {self.max_contacts}", action_weight=contact))
        for i, floor in enumerate(self.coverage_floors):
            members = floor.members(population, f"{where}.coverage_floors[{i}]")
            need = math.ceil(floor.min_share * members.sum() - 1e-9)
            rows.append(Row(f"coverage[{floor.name}]", "coverage_floor", ">=", float(need), "contacts",
                            f">= {floor.min_share:.0%} of {floor.name} contacted ({need} of {members.sum()})",
                            customer_weight=members.astype(float), action_weight=contact))
        if self.saturation_cap is not None:
            limit = math.floor(self.saturation_cap * n + 1e-9)
            for k, a in enumerate(catalog.actions):
                if a.is_contact:
                    rows.append(Row(f"saturation[{a.id}]", "saturation_cap", "<=", float(limit), "contacts",
                                    f"{a.id} to <= {self.saturation_cap:.0%} of customers ({limit})",
                                    action_weight=(np.arange(len(catalog.actions)) == k).astype(float)))
        if self.fairness_floor is not None:
            segment = population.table["segment"].to_numpy()
            for s in population.segments():
                members = segment == s
                need = math.ceil(self.fairness_floor * members.sum() - 1e-9)
                rows.append(Row(f"fairness[{s}]", "fairness_floor", ">=", float(need), "contacts",
                                f">= {self.fairness_floor:.0%} of {s} contacted ({need} of {members.sum()})",
                                customer_weight=members.astype(float), action_weight=contact))
        return LinearSystem(tuple(rows))


@dataclass(frozen=True)
class LinearSystem:
    """The compiled rows of a constraint set."""

    rows: tuple[Row, ...] = field(default_factory=tuple)

    def matrix(self, customers: np.ndarray, actions: np.ndarray, cost: np.ndarray):
        """scipy.sparse CSR (n_rows, M) of the coefficients of the given pairs."""
        import scipy.sparse as sp

        data, row_idx, col_idx = [], [], []
        for r, row in enumerate(self.rows):
            coef = row.coefficients(customers, actions, cost)
            nz = np.flatnonzero(coef)
            data.append(coef[nz])
            row_idx.append(np.full(len(nz), r))
            col_idx.append(nz)
        if not self.rows:
            return sp.csr_matrix((0, len(customers)))
        return sp.csr_matrix((np.concatenate(data), (np.concatenate(row_idx), np.concatenate(col_idx))),
                             shape=(len(self.rows), len(customers)))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.to_json() for r in self.rows],
                            columns=["name", "kind", "sense", "rhs", "unit", "description"])
