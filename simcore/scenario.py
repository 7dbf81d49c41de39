"""A Scenario holds the truth; a ScenarioView is what a strategy may see.

ScenarioSpec (synthetic or file population) and ScenarioDir (an exported scenario, simcore.exported) both turn a
SeedSequence into a Scenario, and every Scenario can be exported so anyone can rebuild it exactly.
"""
from __future__ import annotations

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


@dataclass(frozen=True)
class Pairs:
    """The eligible (customer, action) pairs, sorted by customer then action. All arrays are (P,).

    lift: the action's incremental CLV share (clv_lift); gain: expected revenue gain (propensity x
    revenue_gain), dollars; value_est: the ESTIMATED net
    value a strategy sees (churn_prob_est x uplift x clv_est + gain - cost), dollars.
    """

    customer: np.ndarray
    action: np.ndarray
    cost: np.ndarray
    uplift: np.ndarray
    lift: np.ndarray
    gain: np.ndarray
    value_est: np.ndarray

    def __len__(self) -> int:
        return len(self.customer)

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
        customers, actions = np.nonzero(eligible)
        acts = catalog.actions
        uplift = np.array([a.uplift for a in acts])[actions]
        lift = np.array([a.clv_lift for a in acts])[actions]
        # each pair's upsell propensity: the action's own, else the customer's
        prop = t["upsell_propensity"].to_numpy(dtype=float)[customers]
        fixed = np.array([np.nan if a.gain_propensity is None else a.gain_propensity for a in acts])
        if not np.isnan(fixed).all():
            own = ~np.isnan(fixed)[actions]
            prop[own] = fixed[actions[own]]
        gain = np.multiply(prop, np.array([a.revenue_gain for a in acts])[actions], out=prop)
        pair_cost = cost[customers, actions]
        value_est = pair_value(t["churn_prob_est"].to_numpy(float)[customers], uplift,
                               t["clv_est"].to_numpy(float)[customers], lift, gain, pair_cost)
        pairs = Pairs(customers.astype(np.int64, copy=False), actions.astype(np.int64, copy=False), pair_cost, uplift,
                      lift, gain, value_est)
        if effect_true is None:
            effect_true = (effects or EffectModel()).true_effect(uplift, rng)
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
