"""An exported scenario: the exact problem of a run as files anyone can rebuild it from, and the
loader that does (``scenario=from_dir``). The files are untrusted input when they come back:

- ``manifest.json`` holds the SHA-256 of every file, written at export and checked at load, so a
  damaged or edited file is named (delete the manifest to load a hand-written scenario: every value is
  still validated, and the load says it was not checked for damage);
- every value is validated like a config value: customers (finite, in range, unique non-empty ids
  read as strings, tiers consistent with the estimates), every id in eligibility.parquet known, each
  pair once, true effects in [0, 1], and the derived columns (cost, uplift, gain, est_value) equal to
  what the scenario's own data give;
- the constraints in constraints.json are built through the one gate (trusted targets only).
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simcore.build import build, check_plugins
from simcore.checks import check_identifier, prefix_errors
from simcore.constraints import Constraint, ConstraintSet
from simcore.errors import ConfigError
from simcore.files import write_csv, write_parquet, write_text
from simcore.population import Population, derive_tiers, read_table, validate_numbers
from simcore.scenario import Scenario

log = logging.getLogger("retention-bench")
FILES = ("customers.parquet", "actions.csv", "eligibility.parquet", "constraints.json", "scenario.json")
MANIFEST = "manifest.json"
WHERE = "scenario.path"


def export(scenario: Scenario, directory: Path) -> None:
    """Write customers.parquet, actions.csv, eligibility.parquet, constraints.json, scenario.json and
    manifest.json (their checksums) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    write_parquet(scenario.population.table, directory / "customers.parquet")
    write_csv(scenario.catalog.to_frame(), directory / "actions.csv")
    p = scenario.pairs
    write_parquet(pd.DataFrame({
        "customer_id": scenario.population.table["customer_id"].to_numpy()[p.customer],
        "action_id": np.array(scenario.catalog.ids)[p.action],
        "cost": p.cost, "uplift": p.uplift, "lift": p.lift, "gain": p.gain, "est_value": p.value_est,
        "effect_true": scenario.effect_true,
    }), directory / "eligibility.parquet")
    write_text(directory / "constraints.json", json.dumps({
        "spec": scenario.constraints.to_json(),
        "resolved": [r.to_json() for r in scenario.rows.rows],
    }, indent=2))
    write_text(directory / "scenario.json", json.dumps({
        "name": scenario.name, "high_risk_threshold": scenario.population.high_risk_threshold,
        "catalog": [asdict(a) for a in scenario.catalog.actions],
    }, indent=2))
    write_text(directory / MANIFEST, json.dumps({"format": 1, "sha256": {  # last: a complete export only
        name: _sha256(directory / name) for name in FILES}}, indent=2))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(directory: Path) -> None:
    """Every file the manifest lists has the checksum written at export."""
    manifest = directory / MANIFEST
    if not manifest.exists():
        log.warning("%s has no %s: loaded as a hand-written scenario, not checked for damage (its values "
                    "are still validated)", directory, MANIFEST)
        return
    sums = _read_json(manifest, ("sha256",))["sha256"]
    for name in FILES:
        if name not in sums:
            raise ConfigError(f"{WHERE}/{MANIFEST}: has no checksum for {name}")
        if not (directory / name).exists():
            raise ConfigError(f"{WHERE}/{name}: not found in {str(directory)!r} (is this an exported scenario?)")
        if _sha256(directory / name) != sums[name]:
            raise ConfigError(f"{WHERE}/{name}: its content does not match the checksum written at export "
                              f"(damaged or edited since); export it again, or delete {MANIFEST} to load it "
                              "as a hand-written scenario")


@dataclass(frozen=True)
class ScenarioDir:
    """A scenario exported by :func:`export` (or written by hand in that format).

    The seed is not used: every random quantity of the scenario (population, true effects) is in the
    files. plugins: module prefixes trusted for constraint classes of your own in constraints.json."""

    path: str | None = None
    plugins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "plugins", check_plugins(self.plugins))
        if not self.path:
            raise ConfigError("scenario.path = None: give the exported scenario directory, "
                              "e.g. scenario.path=outputs/<date>/<time>/scenario")

    def build(self, seed: np.random.SeedSequence | None = None) -> Scenario:
        d = Path(self.path)
        if not d.is_dir():
            raise ConfigError(f"scenario.path = {self.path!r}: not a directory")
        verify(d)
        meta = _read_json(d / "scenario.json", ("name", "high_risk_threshold", "catalog"))
        name = check_identifier(meta["name"], f"{WHERE}/scenario.json.name")
        catalog = build({"_target_": "simcore.catalog.Catalog", "actions": meta["catalog"]},
                        f"{WHERE}/scenario.json.catalog")
        population = _customers(d, meta["high_risk_threshold"])
        spec = _read_json(d / "constraints.json", ("spec",))["spec"]
        if not isinstance(spec, dict):
            raise ConfigError(f"{WHERE}/constraints.json.spec = {spec!r}: must be a mapping of constraints")
        built = {key: build(node, f"{WHERE}/constraints.json.spec.{key}", self.plugins, expect=Constraint)
                 for key, node in spec.items()}
        with prefix_errors(f"{WHERE}/constraints.json.spec"):
            constraints = ConstraintSet(built)
        pairs, rows, cols = _pairs(d, population, catalog.ids)
        eligible = np.zeros((population.n, len(catalog.actions)), dtype=bool)
        eligible[rows, cols] = True
        effect = np.zeros(eligible.shape)
        effect[rows, cols] = pairs["effect_true"].to_numpy(float)
        scenario = Scenario.assemble(name, population, catalog, constraints, eligible, effect_true=effect[eligible])
        _check_derived(pairs, rows, cols, scenario)
        return scenario


def _customers(d: Path, threshold: object) -> Population:
    where = f"{WHERE}/customers.parquet"
    table = read_table(d / "customers.parquet", where)
    if "customer_id" in table.columns:
        table["customer_id"] = table["customer_id"].astype(str)
    population = Population(table, threshold)
    derived = derive_tiers(table, population.high_risk_threshold)
    for tier in ("risk_tier", "value_tier"):
        differ = (derived[tier].astype(str) != table[tier].astype(str)).to_numpy()
        if differ.any():
            i = int(np.flatnonzero(differ)[0])
            raise ConfigError(f"{where}.{tier} = {table[tier].iloc[i]!r} (customer {table['customer_id'].iloc[i]!r}): "
                              f"the customers' estimates make it {derived[tier].iloc[i]!r}")
    return population


def _pairs(d: Path, population: Population, action_ids: tuple[str, ...]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    where = f"{WHERE}/eligibility.parquet"
    pairs = read_table(d / "eligibility.parquet", where)
    missing = {"customer_id", "action_id", "effect_true"} - set(pairs.columns)
    if missing:
        raise ConfigError(f"{where}: missing column(s) {', '.join(sorted(missing))}")
    pairs["customer_id"] = pairs["customer_id"].astype(str)
    pairs["action_id"] = pairs["action_id"].astype(str)
    rows = pd.Index(population.table["customer_id"]).get_indexer(pairs["customer_id"])
    cols = pd.Index(action_ids).get_indexer(pairs["action_id"])
    for column, index, known in (("customer_id", rows, "customers.parquet"), ("action_id", cols, "scenario.json")):
        if (index < 0).any():
            bad = pairs[column].iloc[int(np.flatnonzero(index < 0)[0])]
            raise ConfigError(f"{where}.{column} = {bad!r}: not in {known}")
    twice = pd.Series(rows * len(action_ids) + cols).duplicated().to_numpy()
    if twice.any():
        i = int(np.flatnonzero(twice)[0])
        raise ConfigError(f"{where}: the pair ({pairs['customer_id'].iloc[i]!r}, {pairs['action_id'].iloc[i]!r}) "
                          "is listed twice; each eligible pair once")
    # est_value too (a net value: any sign): a text cell would otherwise reach the comparison below
    numeric = [c for c in ("effect_true", "cost", "uplift", "lift", "gain", "est_value") if c in pairs.columns]
    validate_numbers(pairs, where, numeric, signed=("est_value",))
    for column in numeric:  # numbers written as text ('0.15') are numbers from here on
        pairs[column] = pd.to_numeric(pairs[column]).astype(float)
    effect = pairs["effect_true"].to_numpy(float)
    if (effect > 1).any():
        i = int(np.flatnonzero(effect > 1)[0])
        raise ConfigError(f"{where}.effect_true = {effect[i]:g} (customer {pairs['customer_id'].iloc[i]!r}): "
                          "must be in [0, 1] (a relative churn reduction)")
    return pairs, rows, cols


def _check_derived(pairs: pd.DataFrame, rows: np.ndarray, cols: np.ndarray, scenario: Scenario) -> None:
    """The file's cost, uplift, gain and est_value columns (when present) equal what the customers and
    the catalog give: a hand-edited value would otherwise mislead whoever reads the file."""
    order = np.lexsort((cols, rows))  # the scenario's pairs are sorted by customer, then action
    p = scenario.pairs
    for column, ours in (("cost", p.cost), ("uplift", p.uplift), ("lift", p.lift), ("gain", p.gain),
                         ("est_value", p.value_est)):
        if column not in pairs.columns:
            continue
        theirs = pairs[column].to_numpy(float)[order]
        differ = ~np.isclose(theirs, ours, rtol=1e-9, atol=1e-9)
        if differ.any():
            i = order[int(np.flatnonzero(differ)[0])]
            raise ConfigError(f"{WHERE}/eligibility.parquet.{column} = {pairs[column].iloc[i]:g} (customer "
                              f"{pairs['customer_id'].iloc[i]!r}, action {pairs['action_id'].iloc[i]!r}): the "
                              f"scenario's customers and catalog give {ours[np.flatnonzero(differ)[0]]:g}")


def _read_json(path: Path, keys: tuple[str, ...]) -> dict:
    """An exported scenario's JSON file, with the keys it must have."""
    where = f"{WHERE}/{path.name}"
    if not path.exists():
        raise ConfigError(f"{where}: not found in {str(path.parent)!r} (is this an exported scenario?)")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{where}: not valid JSON ({err})") from None
    missing = [k for k in keys if not isinstance(data, dict) or k not in data]
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}")
    return data
