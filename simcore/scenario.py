"""A Scenario holds the truth; a ScenarioView is what a strategy may see.

ScenarioSpec (synthetic or file population) and ScenarioDir (an exported scenario) both turn a
SeedSequence into a Scenario, and every Scenario can be exported so anyone can rebuild it exactly.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simcore.build import build, check_plugins
from simcore.catalog import Catalog
from simcore.checks import check_instance, check_name
from simcore.constraints import Constraint, ConstraintSet, Rows
from simcore.effects import EffectModel, pair_value
from simcore.errors import ConfigError
from simcore.population import FilePopulation, Population, SyntheticPopulation, read_table
from simcore.rng import generator

TRUTH = ("churn_prob_true", "clv_true")


@dataclass(frozen=True)
class Pairs:
    """The eligible (customer, action) pairs, sorted by customer then action. All arrays are (P,).

    gain: expected revenue gain (propensity x revenue_gain), dollars; value_est: the ESTIMATED net
    value a strategy sees (churn_prob_est x uplift x clv_est + gain - cost), dollars.
    """

    customer: np.ndarray
    action: np.ndarray
    cost: np.ndarray
    uplift: np.ndarray
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
        upsell = t["upsell_propensity"].to_numpy(dtype=float)
        prop = np.array([np.nan if a.gain_propensity is None else a.gain_propensity for a in acts])[actions]
        prop = np.where(np.isnan(prop), upsell[customers], prop)
        gain = prop * np.array([a.revenue_gain for a in acts])[actions]
        pair_cost = cost[customers, actions]
        value_est = pair_value(t["churn_prob_est"].to_numpy(float)[customers], uplift,
                               t["clv_est"].to_numpy(float)[customers], gain, pair_cost)
        pairs = Pairs(customers.astype(np.int64), actions.astype(np.int64), pair_cost, uplift, gain, value_est)
        if effect_true is None:
            effect_true = (effects or EffectModel()).true_effect(uplift, rng)
        view = ScenarioView(name, t.drop(columns=list(TRUTH)), catalog, constraints,
                            constraints.compile(population, catalog), pairs, eligible, cost)
        return cls(name, population, catalog, constraints, np.asarray(effect_true, float), view)

    def export(self, directory: Path) -> None:
        """Write customers.parquet, actions.csv, eligibility.parquet, constraints.json, scenario.json."""
        directory.mkdir(parents=True, exist_ok=True)
        self.population.table.to_parquet(directory / "customers.parquet", index=False)
        self.catalog.to_frame().to_csv(directory / "actions.csv", index=False)
        p = self.pairs
        pd.DataFrame({
            "customer_id": self.population.table["customer_id"].to_numpy()[p.customer],
            "action_id": np.array(self.catalog.ids)[p.action],
            "cost": p.cost, "uplift": p.uplift, "gain": p.gain, "est_value": p.value_est,
            "effect_true": self.effect_true,
        }).to_parquet(directory / "eligibility.parquet", index=False)
        (directory / "constraints.json").write_text(json.dumps({
            "spec": self.constraints.to_json(),
            "resolved": [r.to_json() for r in self.rows.rows],
        }, indent=2))
        (directory / "scenario.json").write_text(json.dumps({
            "name": self.name, "high_risk_threshold": self.population.high_risk_threshold,
            "catalog": [asdict(a) for a in self.catalog.actions],
        }, indent=2))


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
        check_name(self.name, "name")
        if not callable(getattr(self.population, "build", None)):
            raise ConfigError(f"population = {self.population!r}: must be a population source with a "
                              "_target_ (simcore.population.SyntheticPopulation or FilePopulation)")
        check_instance(self.catalog, "catalog", Catalog)
        check_instance(self.effects, "effects", EffectModel)
        object.__setattr__(self, "constraint_set", ConstraintSet(self.constraints))

    def build(self, seed: np.random.SeedSequence) -> Scenario:
        population = self.population.build(generator(seed, "scenario", "population"))
        eligible = self.catalog.eligibility(population)
        return Scenario.assemble(self.name, population, self.catalog, self.constraint_set, eligible,
                                 effects=self.effects, rng=generator(seed, "scenario", "effects"))


@dataclass(frozen=True)
class ScenarioDir:
    """A scenario exported by :meth:`Scenario.export` (or written by hand in that format).

    The seed is not used: every random quantity of the scenario (population, true effects) is in the files.
    """

    path: str | None = None
    plugins: tuple[str, ...] = ()  # module prefixes trusted for the constraint classes in constraints.json

    def __post_init__(self) -> None:
        object.__setattr__(self, "plugins", check_plugins(self.plugins))
        if not self.path:
            raise ConfigError("scenario.path = None: give the exported scenario directory, "
                              "e.g. scenario.path=outputs/<date>/<time>/scenario")

    def build(self, seed: np.random.SeedSequence | None = None) -> Scenario:
        d = Path(self.path)
        if not d.is_dir():
            raise ConfigError(f"scenario.path = {self.path!r}: not a directory")
        meta = _read_json(d / "scenario.json", ("name", "high_risk_threshold", "catalog"))
        catalog = build({"_target_": "simcore.catalog.Catalog", "actions": meta["catalog"]},
                        "scenario.path/scenario.json.catalog")
        table = read_table(d / "customers.parquet", "scenario.path/customers.parquet")
        population = Population(table, meta["high_risk_threshold"])
        spec = _read_json(d / "constraints.json", ("spec",))["spec"]
        if not isinstance(spec, dict):
            raise ConfigError(f"scenario.path/constraints.json.spec = {spec!r}: must be a mapping of constraints")
        constraints = ConstraintSet({key: build(node, f"scenario.path/constraints.json.spec.{key}", self.plugins,
                                                expect=Constraint) for key, node in spec.items()})
        pairs = read_table(d / "eligibility.parquet", "scenario.path/eligibility.parquet")
        missing = {"customer_id", "action_id", "effect_true"} - set(pairs.columns)
        if missing:
            raise ConfigError(f"scenario.path/eligibility.parquet: missing column(s) {', '.join(sorted(missing))}")
        rows = pd.Index(table["customer_id"]).get_indexer(pairs["customer_id"])
        cols = pd.Index(catalog.ids).get_indexer(pairs["action_id"])
        if (rows < 0).any() or (cols < 0).any():
            raise ConfigError(f"scenario.path = {self.path!r}: eligibility.parquet names customers or "
                              "actions that are not in customers.parquet / scenario.json")
        eligible = np.zeros((population.n, len(catalog.actions)), dtype=bool)
        eligible[rows, cols] = True
        effect = np.zeros(eligible.shape)
        effect[rows, cols] = pairs["effect_true"].to_numpy(float)
        return Scenario.assemble(meta["name"], population, catalog, constraints, eligible,
                                 effect_true=effect[eligible])


def _read_json(path: Path, keys: tuple[str, ...]) -> dict:
    """An exported scenario's JSON file, with the keys it must have."""
    where = f"scenario.path/{path.name}"
    if not path.exists():
        raise ConfigError(f"{where}: not found in {str(path.parent)!r} (is this an exported scenario?)")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ConfigError(f"{where}: not valid JSON ({err})") from None
    missing = [k for k in keys if not isinstance(data, dict) or k not in data]
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}")
    return data
