"""The constraint interface: a kind is a small frozen dataclass configured by ``_target_`` whose
``compile`` turns it into rows over (customer, action) pairs for one population and catalog.

Adding a kind means writing one such class (in this package or in your own, see the README) and
naming it in a scenario's ``constraints:`` mapping; nothing in the optimizers, heuristics, audit or
diagnosis changes, because they all read the compiled :class:`~simcore.constraints.rows.Rows`.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from simcore.catalog import Catalog
from simcore.constraints.rows import RowSpec
from simcore.groups import Groups, members
from simcore.population import Population


@dataclass(frozen=True)
class Context:
    """What a constraint compiles against: a population, or only its groups (a sharded world, whose
    customers live on Dask workers: a constraint may read segment, risk_tier and value_tier)."""

    population: Population | Groups
    catalog: Catalog

    @property
    def n_customers(self) -> int:
        return self.population.n

    @property
    def contact(self) -> np.ndarray:
        """(K,) 1.0 for actions on a real channel (a contact), 0.0 for the explicit no-action row."""
        return np.array([a.is_contact for a in self.catalog.actions], dtype=float)

    @property
    def channels(self) -> np.ndarray:
        """(K,) each action's channel."""
        return np.array([a.channel for a in self.catalog.actions])

    def group(self, segments: tuple[str, ...] | None, risk_tiers: tuple[str, ...] | None,
              value_tiers: tuple[str, ...] | None) -> np.ndarray:
        """(N,) bool: the customers matching every given filter (None = no filter)."""
        return members(self.population.table, segments, risk_tiers, value_tiers)


class Constraint(ABC):
    """One constraint kind. ``key`` is its name in the scenario's ``constraints`` mapping; each kind
    documents how it names its rows (row names must be unique within a scenario)."""

    @abstractmethod
    def compile(self, key: str, ctx: Context) -> list[RowSpec]:
        """The rows this constraint adds for ``ctx``'s population and catalog (shares resolved into
        counts)."""


def at_least(share: float, members: int) -> int:
    """Contacts a floor of ``share`` of ``members`` customers needs (rounded up; 1e-9 absorbs float noise
    so 0.6 x 100 needs 60, not 61)."""
    return math.ceil(share * members - 1e-9)


def at_most(share: float, members: int) -> int:
    """Contacts a cap of ``share`` of ``members`` customers allows (rounded down)."""
    return math.floor(share * members + 1e-9)
