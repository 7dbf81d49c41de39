"""A Scenario holds the truth; a ScenarioView is what a strategy may see.

ScenarioSpec (synthetic or file population) and ScenarioDir (an exported scenario, simcore.exported) both turn a
SeedSequence into a Scenario, and every Scenario can be exported so anyone can rebuild it exactly.
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simcore.catalog import Catalog
from simcore.checks import check_identifier, check_instance, prefix_errors
from simcore.sizes import check_world
from simcore.constraints import Constraint, ConstraintSet, Rows
from simcore.effects import EffectModel, pair_value
from simcore.errors import ConfigError
from simcore.population import FilePopulation, Population, SyntheticPopulation
from simcore.rng import generator

TRUTH = ("churn_prob_true", "clv_true")
PAIR_BLOCK = 65_536  # customers per block when pairs are built (~4 MB temporaries at 8 actions)


@dataclass(frozen=True)
class ActionTerms:
    """What each of the K actions brings to a pair's value, (K,) arrays from the catalog: uplift (the
    stated relative churn reduction), lift (incremental CLV share, clv_lift), revenue_gain (dollars)
    and propensity (the action's own upsell propensity; NaN: the customer's)."""

    uplift: np.ndarray
    lift: np.ndarray
    revenue_gain: np.ndarray
    propensity: np.ndarray

    @classmethod
    def of(cls, catalog: Catalog) -> "ActionTerms":
        acts = catalog.actions
        return cls(np.array([a.uplift for a in acts], float), np.array([a.clv_lift for a in acts], float),
                   np.array([a.revenue_gain for a in acts], float),
                   np.array([np.nan if a.gain_propensity is None else a.gain_propensity for a in acts], float))


@dataclass(frozen=True)
class Pairs:
    """The eligible (customer, action) pairs, sorted by customer then action: customer, action (P,)
    int32 indices and value_est (P,) the ESTIMATED net value a strategy sees, dollars (churn_prob_est x
    uplift x clv_est + lift x clv_est + gain - cost, simcore.effects.pair_value).

    The other per-pair quantities are gathered when asked (``cost``, ``gain``, ``uplift``, ``lift``, or
    ``*_at(idx)`` for some pairs) from what they depend on: cost_matrix (N, K) dollars (the view's
    cost), propensity (N,) each customer's upsell propensity, and the action terms; gain = propensity
    (the action's own, else the customer's) x revenue_gain. pair_uplift (P,) replaces the stated uplift
    where it differs by pair (the campaign oracle's true effects, a learner's estimates). At 1,000,000 x 8
    this holds 107 MB where seven float64/int64 pair arrays held 392 MB, and the build writes 3 arrays
    of every pair instead of 7 (at millions of pairs every fresh array is paid in page faults).
    """

    customer: np.ndarray
    action: np.ndarray
    value_est: np.ndarray
    cost_matrix: np.ndarray = field(repr=False)
    propensity: np.ndarray = field(repr=False)
    terms: ActionTerms = field(repr=False)
    pair_uplift: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.customer)

    @property
    def cost(self) -> np.ndarray:
        """(P,) dollars."""
        return self.cost_at(slice(None))

    @property
    def gain(self) -> np.ndarray:
        """(P,) expected revenue gain, dollars."""
        return self.gain_at(slice(None))

    @property
    def uplift(self) -> np.ndarray:
        """(P,) relative churn reduction."""
        return self.uplift_at(slice(None))

    @property
    def lift(self) -> np.ndarray:
        """(P,) incremental CLV share."""
        return self.lift_at(slice(None))

    def cost_at(self, idx: np.ndarray | slice) -> np.ndarray:
        return self.cost_matrix[self.customer[idx], self.action[idx]]

    def gain_at(self, idx: np.ndarray | slice) -> np.ndarray:
        a, own = self.action[idx], self.terms.propensity
        p = self.propensity[self.customer[idx]]
        if not np.isnan(own).all():  # the action's own propensity where it has one
            p = np.where(np.isnan(own)[a], p, own[a])
        p *= self.terms.revenue_gain[a]
        return p

    def uplift_at(self, idx: np.ndarray | slice) -> np.ndarray:
        return self.terms.uplift[self.action[idx]] if self.pair_uplift is None else self.pair_uplift[idx]

    def lift_at(self, idx: np.ndarray | slice) -> np.ndarray:
        return self.terms.lift[self.action[idx]]

    def with_uplift(self, uplift: np.ndarray, value_est: np.ndarray) -> "Pairs":
        """The same pairs with a per-pair uplift (P,) and the value_est (P,) it gives."""
        return dataclasses.replace(self, pair_uplift=uplift, value_est=value_est)

    @classmethod
    def of(cls, table: pd.DataFrame, catalog: Catalog, cost: np.ndarray, eligible: np.ndarray) -> "Pairs":
        """The pairs of ``eligible`` (N, K) bool, customer-major as np.nonzero gives them, and their
        estimated values (``cost``: (N, K) dollars). Computed in blocks of customers written into the
        final arrays: no pair-sized temporary."""
        n, k = eligible.shape
        if n >= np.iinfo(np.int32).max:  # check_world refuses this much sooner
            raise ConfigError(f"scenario: {n:,} customers: at most {np.iinfo(np.int32).max:,} are supported")
        churn, clv = table["churn_prob_est"].to_numpy(float), table["clv_est"].to_numpy(float)
        per_customer = np.count_nonzero(eligible, axis=1)
        first = np.concatenate(([0], np.cumsum(per_customer)))
        customer = np.repeat(np.arange(n, dtype=np.int32), per_customer)
        pairs = cls(customer, np.empty(len(customer), np.int32), np.empty(len(customer)), cost,
                    table["upsell_propensity"].to_numpy(float), ActionTerms.of(catalog))
        every_action = np.tile(np.arange(k, dtype=np.int32), PAIR_BLOCK)
        for s in range(0, n, PAIR_BLOCK):
            e = min(n, s + PAIR_BLOCK)
            part = slice(first[s], first[e])
            pairs.action[part] = every_action[:(e - s) * k][eligible[s:e].ravel()]
            c = customer[part]
            pair_value(churn[c], pairs.uplift_at(part), clv[c], pairs.lift_at(part), pairs.gain_at(part),
                       pairs.cost_at(part), out=pairs.value_est[part])
        return pairs

    def lookup(self, customers: np.ndarray, actions: np.ndarray, n_actions: int) -> np.ndarray:
        """Pair index of each (customer, action), -1 where the pair is not eligible."""
        keys = self.customer.astype(np.int64) * n_actions + self.action
        want = customers.astype(np.int64) * n_actions + actions
        pos = np.searchsorted(keys, want)
        pos = np.minimum(pos, max(len(keys) - 1, 0))
        found = (len(keys) > 0) & (keys[pos] == want) if len(keys) else np.zeros(len(want), bool)
        return np.where(found, pos, -1)


@dataclass(frozen=True)
class ScenarioView:
    """What a strategy may see: customers WITHOUT truth columns, the catalog, the constraints and
    their compiled rows."""

    name: str
    customers: pd.DataFrame
    catalog: Catalog
    constraints: ConstraintSet
    rows: Rows
    pairs: Pairs
    eligible: np.ndarray  # (n_customers, n_actions) bool
    cost: np.ndarray  # (n_customers, n_actions) dollars

    @property
    def n_customers(self) -> int:
        return len(self.customers)

    @functools.cached_property
    def steps(self) -> np.ndarray:
        """(R,) each row's smallest positive coefficient among the eligible pairs: the least one more
        assignment can add to it (what "binding" compares the slack with)."""
        return self.rows.smallest_steps(self.pairs.customer, self.pairs.action, self.pairs.cost)


@dataclass(frozen=True)
class Scenario:
    name: str
    population: Population
    catalog: Catalog
    constraints: ConstraintSet
    effect_true: np.ndarray  # (P,) true relative churn reduction of each eligible pair
    view: ScenarioView = field(repr=False)

    @property
    def pairs(self) -> Pairs:
        return self.view.pairs

    @property
    def rows(self) -> Rows:
        return self.view.rows

    @classmethod
    def assemble(cls, name: str, population: Population, catalog: Catalog, constraints: ConstraintSet,
                 eligible: np.ndarray, effect_true: np.ndarray | None = None,
                 effects: EffectModel | None = None, rng: np.random.Generator | None = None) -> "Scenario":
        """Build pairs and compiled constraints; draw true effects unless they are given."""
        t = population.table
        cost = catalog.cost_matrix(population)
        pairs = Pairs.of(t, catalog, cost, eligible)
        if effect_true is None:
            effect_true = (effects or EffectModel()).pair_effect(pairs.terms.uplift, pairs.action, rng)
        view = ScenarioView(name, t.drop(columns=list(TRUTH)), catalog, constraints,
                            constraints.compile(population, catalog), pairs, eligible, cost)
        return cls(name, population, catalog, constraints, np.asarray(effect_true, float), view)

    def export(self, directory: Path) -> None:
        """Write the exact problem into ``directory`` (see :mod:`simcore.exported`)."""
        from simcore.exported import export  # the file format lives there, next to its loader

        export(self, directory)


@dataclass(frozen=True)
class ScenarioSpec:
    """A scenario declared in config: population + catalog + constraints + effect heterogeneity.

    population: any population source with ``build(rng) -> Population`` (SyntheticPopulation,
    FilePopulation, ...); constraints: {key: constraint object} (see simcore.constraints)."""

    name: str
    population: SyntheticPopulation | FilePopulation
    catalog: Catalog
    constraints: Mapping[str, Constraint] = field(default_factory=dict)
    effects: EffectModel = field(default_factory=EffectModel)
    constraint_set: ConstraintSet = field(init=False, repr=False)

    def __post_init__(self) -> None:
        check_identifier(self.name, "name")  # it names files and MLflow experiments
        if not callable(getattr(self.population, "build", None)):
            raise ConfigError(f"population = {self.population!r}: must be a population source with a "
                              "_target_ (simcore.population.SyntheticPopulation or FilePopulation)")
        check_instance(self.catalog, "catalog", Catalog)
        check_instance(self.effects, "effects", EffectModel)
        with prefix_errors("constraints"):  # its messages name keys (budget, extra: more than one Budget)
            object.__setattr__(self, "constraint_set", ConstraintSet(self.constraints))

    def build(self, seed: np.random.SeedSequence) -> Scenario:
        n_actions = len(self.catalog.actions)
        planned = getattr(self.population, "n_customers", None)
        if isinstance(planned, int):  # before anything is drawn
            check_world(planned, n_actions, "scenario.population.n_customers")
        population = self.population.build(generator(seed, "scenario", "population"))
        check_world(population.n, n_actions, "scenario.population (customers)")
        eligible = self.catalog.eligibility(population)
        return Scenario.assemble(self.name, population, self.catalog, self.constraint_set, eligible,
                                 effects=self.effects, rng=generator(seed, "scenario", "effects"))
