"""A table of user mistakes and the exact error each must produce.

Every row is an invalid input a user can write (a dataclass built in Python, a Hydra override, an input
file). Each must raise :class:`ConfigError` whose message names the field (with its config path), the
bad value and what is allowed; ``match`` checks those parts with a regex.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.run import run
from simcore.build import build
from simcore.catalog import Action, Catalog
from simcore.constraints import ActionCap, Budget, ChannelCapacity, ConstraintSet, CoverageFloor, FairnessFloor, SaturationCap
from simcore.effects import EffectModel
from simcore.errors import ConfigError, RetentionBenchError
from simcore.evaluate import EvaluationSettings
from simcore.population import EstimateError, FilePopulation, SegmentSpec, SyntheticPopulation
from tests.conftest import compose_config
from simcore.exported import ScenarioDir
from strategies.clv_top_n import ClvTopN
from strategies.lagrangian import Lagrangian
from strategies.milp import Milp

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"


def seg(name: str, share: float) -> SegmentSpec:
    return SegmentSpec(name=name, share=share)


def test_config_error_is_a_retention_bench_error():
    assert issubclass(ConfigError, RetentionBenchError)


# --------------------------------------------------------------------------------------------------
# 1. Direct construction of the config dataclasses
# --------------------------------------------------------------------------------------------------

DIRECT = [
    # catalog: one action
    pytest.param(lambda: Action(id="a", cost=-5), r"cost = -5: must be >= 0", id="action-negative-cost"),
    pytest.param(lambda: Action(id="a", uplift=1.5), r"uplift = 1\.5: must be <= 1", id="action-uplift-above-1"),
    pytest.param(lambda: Action(id="a", channel="fax"),
                 r"channel = 'fax': must be one of none, email, in_app, push, sms, call, mail, sales",
                 id="action-unknown-channel"),
    pytest.param(lambda: Action(id="a", revenue_share=-0.1), r"revenue_share = -0\.1: must be >= 0",
                 id="action-negative-revenue-share"),
    pytest.param(lambda: Action(id="nothing", channel="none", cost=2),
                 r"channel = 'none' \(action 'nothing'\): a no-action row must have zero cost and effect",
                 id="action-none-channel-with-cost"),
    # catalog: the list of actions, built from a config node (nested paths prefixed)
    pytest.param(lambda: build({"_target_": "simcore.catalog.Catalog", "actions": [{"id": "a", "cost": -5}]},
                               "scenario.catalog"),
                 r"scenario\.catalog\.actions\[0\]\.cost = -5: must be >= 0", id="catalog-nested-negative-cost"),
    pytest.param(lambda: Catalog(actions=[Action(id="email"), Action(id="sms", channel="sms"), Action(id="email")]),
                 r"actions\[\*\]\.id = \['email'\]: action ids must be unique", id="catalog-duplicate-ids"),
    pytest.param(lambda: Catalog(actions=[]), r"actions = \[\]: the catalog needs at least one action",
                 id="catalog-empty"),
    pytest.param(lambda: build({"_target_": "simcore.catalog.Catalog", "actions": [{"id": "a", "cots": 5}]},
                               "scenario.catalog"),
                 r"scenario\.catalog\.actions\[0\]\.cots: unknown field; allowed: id, name, cost, ",
                 id="catalog-unknown-field"),
    pytest.param(lambda: Catalog(actions=[{"id": "a"}]), r"actions\[0\] = \{'id': 'a'\}: must be a Action",
                 id="catalog-dict-not-object"),
    # population
    pytest.param(lambda: SegmentSpec(name="Premium", share=1.5), r"share = 1\.5: must be <= 1",
                 id="segment-share-above-1"),
    pytest.param(lambda: SyntheticPopulation(n_customers=10, segments=[seg("A", 0.5), seg("B", 0.3)]),
                 r"segments\[\*\]\.share sum = 0\.8: shares must sum to 1", id="population-shares-sum"),
    pytest.param(lambda: SyntheticPopulation(n_customers=0, segments=[seg("A", 1.0)]),
                 r"n_customers = 0: must be >= 1", id="population-zero-customers"),
    pytest.param(lambda: SyntheticPopulation(n_customers=10, segments=[seg("A", 0.5), seg("A", 0.5)]),
                 r"segments = \['A', 'A'\]: segment names must be unique", id="population-duplicate-segments"),
    pytest.param(lambda: EstimateError(churn_noise=-0.5), r"churn_noise = -0\.5: must be >= 0",
                 id="estimate-error-negative-noise"),
    # found with tests/test_properties.py: clv_noise**2 overflowed (OverflowError)
    pytest.param(lambda: EstimateError(clv_noise=1e300), r"clv_noise = 1e\+300: must be <= 10",
                 id="estimate-error-clv-noise-huge"),
    # found by tests/test_properties.py: 1e200 overflowed the Gamma's shape (OverflowError)
    pytest.param(lambda: EffectModel(heterogeneity_sd=1e200), r"heterogeneity_sd = 1e\+200: must be <= 100",
                 id="effects-heterogeneity-huge"),
    # constraints
    pytest.param(lambda: Budget(limit=-1), r"limit = -1: must be >= 0", id="constraints-negative-budget"),
    pytest.param(lambda: FairnessFloor(min_share=1.5), r"min_share = 1\.5: must be <= 1",
                 id="constraints-fairness-above-1"),
    pytest.param(lambda: SaturationCap(max_share=-0.1), r"max_share = -0\.1: must be >= 0",
                 id="constraints-negative-saturation"),
    pytest.param(lambda: build({"vip": {"_target_": "simcore.constraints.CoverageFloor", "min_share": 2}},
                               "scenario.constraints"),
                 r"scenario\.constraints\.vip\.min_share = 2: must be <= 1", id="coverage-floor-share-2"),
    pytest.param(lambda: ChannelCapacity(channels=["push", "fax"], limit=5),
                 r"channels\[1\] = 'fax': must be one of email, in_app, push, ", id="capacity-unknown-channel"),
    pytest.param(lambda: CoverageFloor(min_share=0.2, risk_tiers=["medium"]),
                 r"risk_tiers\[0\] = 'medium': must be one of high, low", id="coverage-floor-unknown-risk-tier"),
    pytest.param(lambda: ConstraintSet({"a": Budget(limit=1), "b": Budget(limit=2)}),
                 r"a, b: more than one Budget", id="constraints-two-budgets"),
    pytest.param(lambda: ConstraintSet({"budget": 150}), r"budget = 150: must be a constraint",
                 id="constraints-scalar-not-object"),
    pytest.param(lambda: ActionCap(actions=["discount"], limit=3, max_share=0.2),
                 r"give exactly one of them", id="action-cap-limit-and-share"),
    pytest.param(lambda: build({"_target_": "simcore.constraints.Budget"}, "scenario.constraints.budget"),
                 r"scenario\.constraints\.budget\.limit: missing; Budget needs a value", id="budget-without-limit"),
    # evaluation, strategies, tracking
    pytest.param(lambda: EvaluationSettings(replications=0), r"replications = 0: must be >= 1",
                 id="evaluation-zero-replications"),
    pytest.param(lambda: Milp(presolve="maybe"), r"presolve = 'maybe': must be one of auto, off, choose, on",
                 id="milp-presolve-maybe"),
    pytest.param(lambda: Milp(large_pairs=-5), r"large_pairs = -5: must be >= 0",
                 id="milp-large-pairs-negative"),
    pytest.param(lambda: ClvTopN(cap_quantile=1.5), r"cap_quantile = 1\.5: must be <= 1",
                 id="clv-top-n-cap-quantile"),
    pytest.param(lambda: build({"_target_": "strategies.nba_rules.NbaRules",
                                "candidates": {"critical_save": ["call", "fax_blast"]}}, "strategy.nba_rules"),
                 r"strategy\.nba_rules\.candidates\.critical_save\[1\] = 'fax_blast': must be one of call, discount, upsell",
                 id="nba-rules-unknown-role"),
    pytest.param(lambda: build({"_target_": "benchmarks.tracking.TrackingSettings", "enabled": "maybe"}, "tracking"),
                 r"tracking\.enabled = 'maybe': must be true or false",
                 id="tracking-enabled-not-bool"),
    pytest.param(lambda: Milp(highs_options=5), r"highs_options = 5: must be a mapping",
                 id="milp-highs-options-not-mapping"),
    pytest.param(lambda: Lagrangian(tau_stages=[]), r"tau_stages = \[\]: give at least one",
                 id="lagrangian-no-temperature"),
    pytest.param(lambda: Lagrangian(tau_stages=[0.1, -1]), r"tau_stages\[1\] = -1",
                 id="lagrangian-negative-temperature"),
    pytest.param(lambda: Lagrangian(backend="spark"),
                 r"backend = 'spark': must be one of local, dask", id="lagrangian-backend"),
    pytest.param(lambda: Lagrangian(working_set=0), r"working_set = 0: must be >= 1",
                 id="lagrangian-working-set-zero"),
    pytest.param(lambda: Lagrangian(gap=2.0), r"gap = 2(\.0)?: must be <= 1",
                 id="lagrangian-gap-above-one"),
    pytest.param(lambda: Milp(hand_over="yes"), r"hand_over = 'yes': must be true or false",
                 id="milp-hand-over-not-bool"),
]


@pytest.mark.parametrize(("make", "message"), DIRECT)
def test_direct_construction_is_rejected(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


# --------------------------------------------------------------------------------------------------
# 2. Hydra overrides, composed from conf/ the way `python -m benchmarks.run ...` composes them
# --------------------------------------------------------------------------------------------------

HYDRA = [
    pytest.param(["scenario.constraints.budget.limit=-1"], r"scenario\.constraints\.budget\.limit = -1: must be >= 0",
                 id="budget-negative"),
    pytest.param(["scenario.constraints.fairness.min_share=1.5"],
                 r"scenario\.constraints\.fairness\.min_share = 1\.5: must be <= 1", id="fairness-floor-1.5"),
    pytest.param(["+scenario.constraints.budget.limt=5"],
                 r"scenario\.constraints\.budget\.limt: unknown field; allowed: limit", id="constraint-typo-field"),
    pytest.param(["+scenario.constraints.vip={_target_:simcore.constraints.CoverageFloor,segments:[VIP],min_share:0.5}"],
                 r"scenario\.constraints\.vip\.segments = \['VIP'\]: not in the population; segments are \['Family', ",
                 id="floor-on-unknown-segment"),
    # Hydra addresses list items by index with a dot (actions.1); actions[1] is an override syntax error
    pytest.param(["scenario.catalog.actions.1.cost=-5"], r"scenario\.catalog\.actions\[1\]\.cost = -5: must be >= 0",
                 id="catalog-action-1-negative-cost"),
    pytest.param(["scenario.population.n_customers=0"], r"scenario\.population\.n_customers = 0: must be >= 1",
                 id="population-zero-customers"),
    # found by tests/test_properties.py: the empty segment was reported as a typo in the catalog
    # (scenario.catalog.actions[2].segments = ['Family', 'Student']: not in the population)
    pytest.param(["scenario.population.n_customers=3"],
                 r"^scenario\.population\.n_customers = 3: too few for the segments; 'Free' \(share 0\.248\) gets "
                 r"no customer; use more customers$", id="population-segment-left-empty"),
    # found by tests/test_properties.py: these read 'scenario.extra = 5: ...' and 'scenario.budget, extra: ...'
    # (the ConstraintSet's messages were prefixed with 'scenario.' only), and 'Incompatible value 'None' ...'
    pytest.param(["+scenario.constraints.extra=5"], r"^scenario\.constraints\.extra = 5: must be a constraint",
                 id="constraint-not-a-mapping"),
    pytest.param(["+scenario.constraints.extra={_target_:simcore.constraints.Budget,limit:5}"],
                 r"^scenario\.constraints\.budget, extra: more than one Budget", id="two-budgets"),
    pytest.param(["scenario.constraints.budget.limit=null"],
                 r"^scenario\.constraints\.budget\.limit = None: must not be null$", id="budget-null"),
    # found by tests/test_properties.py: an overflowing parameter was reported as a customer's computed CLV
    # ("scenario.population.clv_est = inf (customer 'C0000000')"), not as the parameter to lower
    pytest.param(["scenario.population.estimate_error.clv_bias=1e308"],
                 r"^scenario\.population\.estimate_error\.clv_bias = 1e\+308: must be <= 1e\+06$", id="clv-bias-huge"),
    pytest.param(["scenario.population.segments.0.revenue_median=1e308"],
                 r"^scenario\.population\.segments\[0\]\.revenue_median = 1e\+308: must be <= 1e\+12$",
                 id="revenue-median-huge"),
    pytest.param(["scenario.population.horizon_years=1e308"],
                 r"^scenario\.population\.horizon_years = 1e\+308: must be <= 1000$", id="horizon-huge"),
    # found by tests/test_properties.py: ran silently with the default seed
    pytest.param(["+seeed=5"], r"^seeed: unknown top-level key; allowed: evaluation, plugins, report, scenario, seed, ",
                 id="unknown-top-level-key"),
    pytest.param(["strategies=[nope]"],
                 r"strategies\[0\] = 'nope': unknown strategy; available: do_nothing, .*milp", id="unknown-strategy"),
    pytest.param(["seed=-1"], r"seed = -1: must be >= 0", id="seed-negative"),
    pytest.param(["evaluation.replications=0"], r"evaluation\.replications = 0: must be >= 1",
                 id="evaluation-zero-replications"),
    pytest.param(["strategy.milp.presolve=maybe"], r"strategy\.milp\.presolve = 'maybe': must be one of auto, off, choose, on",
                 id="milp-presolve-maybe"),
    pytest.param(["+strategy.milp.time_limt=5"], r"strategy\.milp\.time_limt: unknown field", id="milp-typo-field"),
    pytest.param(["+strategy.milp.time_limt=5"], r"strategy\.milp\.time_limt: unknown field.*allowed: .*time_limit",
                 id="milp-typo-field-lists-allowed"),
    pytest.param(["scenario=from_dir"], r"scenario\.path = None: give the exported scenario directory",
                 id="from-dir-without-path"),
    pytest.param(["scenario=from_file", "scenario.population.path={tmp}/missing.csv"],
                 r"population\.path = '.*missing\.csv': file not found", id="from-file-missing"),
    pytest.param(["scenario=from_file"], r"scenario\.population\.path = None: give your customer table",
                 id="from-file-without-path"),
    pytest.param(["scenario=retail_example", "scenario.population.default_segment="],
                 r"scenario\.population\.default_segment = '': must be a non-empty string", id="empty-default-segment"),
    pytest.param(["scenario.name=../../x"], r"scenario\.name = '\.\./\.\./x': must be a plain name",
                 id="scenario-name-with-path"),
    pytest.param(["seed=18446744073709551616"], r"seed = 18446744073709551616: must be <= 9223372036854775807",
                 id="seed-too-large"),
    pytest.param(["scenario.population.n_customers=100000000000"],
                 r"scenario\.population\.n_customers = 100,000,000,000: a world of 100,000,000,000 customers x 8 "
                 r"actions needs about [\d,.]+ GB of memory and this machine has [\d,.]+ GB available",
                 id="world-too-large"),
    pytest.param(["evaluation.replications=100000000000", "strategies=[do_nothing]"],
                 r"evaluation\.replications = 100,000,000,000: the Monte Carlo of one plan needs about [\d,.]+ GB",
                 id="monte-carlo-too-large"),
    pytest.param(["+strategy.milp.highs_options.mip_rel_gapp=1e-4"],
                 r"strategy\.milp\.highs_options\.mip_rel_gapp: not a HiGHS option", id="unknown-highs-option"),
    pytest.param(["+strategy.lagrangian.highs_options.time_limit=-1"],
                 r"strategy\.lagrangian\.highs_options\.time_limit = -1: HiGHS does not accept this value",
                 id="highs-option-out-of-range"),
    # a config names what to build: only this project's classes (and plugins) are ever imported or built
    pytest.param(["+strategy.evil={_target_:builtins.open,file:{tmp}/victim.txt,mode:w}", "strategies=[evil]"],
                 r"strategy\.evil\._target_ = 'builtins\.open': not a trusted class", id="foreign-target-refused"),
    pytest.param(["+strategy.evil={_target_:strategies.milp.solve}", "strategies=[evil]"],
                 r"strategy\.evil\._target_ = 'strategies\.milp\.solve': must name a config class",
                 id="project-function-refused"),
    pytest.param(["+strategy.evil={_target_:simcore.catalog.Action,id:x}", "strategies=[evil]"],
                 r"strategy\.evil\._target_ = 'simcore\.catalog\.Action': must be a Strategy", id="not-a-strategy"),
    pytest.param(["+scenario.constraints.x={_target_:simcore.constraints.Budget,limit:1,_args_:[1]}"],
                 r"scenario\.constraints\.x\._args_: not allowed in a config", id="args-refused"),
]


def test_an_unselected_strategy_config_is_never_built(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    cfg = compose_config(f"+strategy.evil={{_target_:builtins.open,file:{victim},mode:w}}",
                         "strategies=[do_nothing]", "evaluation.replications=5")
    run(cfg, tmp_path / "run")
    assert victim.read_text() == "precious"


@pytest.mark.parametrize(("overrides", "message"), HYDRA)
def test_hydra_override_is_rejected(overrides, message, tmp_path):
    cfg = compose_config(*[o.replace("{tmp}", str(tmp_path)) for o in overrides])
    with pytest.raises(ConfigError, match=message):
        run(cfg, tmp_path / "run")


CLI = [
    pytest.param("scenario.constraints.budget.limit=-1", "scenario.constraints.budget.limit = -1", id="budget-negative"),
    # composition errors (Hydra checks the schemas) end the same way: one line, exit code 2
    pytest.param("strategy.milp.time_limit=abc", "strategy.milp.time_limit = 'abc': must be a float",
                 id="type-error-at-composition"),
    pytest.param("scenario.constraints.budgte.limit=5", "scenario.constraints.budgte: no such config value",
                 id="unknown-key-at-composition"),
    pytest.param("strategy.milp.highs_options=5", "strategy.milp.highs_options = 5: must be a mapping",
                 id="milp-highs-options-not-mapping"),
    # found with tests/test_properties.py: these read "... = {}: Invalid type assigned: dict is not a subclass
    # of ActionSchema. value: {}" and "...: field '...' is not Optional"
    pytest.param("scenario.catalog.actions.9.cost=1",
                 "scenario.catalog.actions[9]: no such item (the index is past the end of the list)",
                 id="list-index-past-the-end"),
    pytest.param("scenario.population.estimate_error.clv_bias=null",
                 "scenario.population.estimate_error.clv_bias: must not be null", id="null-for-a-number"),
    pytest.param("scenario=nope", "scenario=nope: no such scenario; available: cdnow, clv_retail, ", id="unknown-scenario"),
    pytest.param("strategies=[nope]", "strategies[0] = 'nope': unknown strategy", id="unknown-strategy"),
    pytest.param("+strategy.milp.time_limt=5", "strategy.milp.time_limt: unknown field", id="milp-typo-field"),
]


@pytest.mark.parametrize(("override", "expected"), CLI)
def test_cli_reports_error_and_exits_2(override, expected, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", override, "tracking=off", f"hydra.run.dir={tmp_path}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"error: {expected}" in proc.stderr


# --------------------------------------------------------------------------------------------------
# 3. Input files: FilePopulation (CSV / parquet) and ScenarioDir
# --------------------------------------------------------------------------------------------------

# churn = the churn model's estimate, mapped as from_file.yaml documents
ESTIMATES = {"churn_prob_est": "churn", "annual_revenue": "revenue"}


def write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text)
    return str(path)


def population(tmp: Path, name: str, text: str, columns: dict | None = None) -> FilePopulation:
    return FilePopulation(path=write(tmp, name, text), columns=columns or {})


FILES = [
    pytest.param(lambda tmp: FilePopulation(path=str(tmp / "nope.csv")).build(),
                 r"population\.path = '.*nope\.csv': file not found", id="missing-file"),
    pytest.param(lambda tmp: population(tmp, "customers.txt", "customer_id,annual_revenue\nc1,10\n").build(),
                 r"population\.path = '.*customers\.txt': must end in \.csv or \.parquet", id="wrong-suffix"),
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,churn,revenue\nc1,0.2,100\n",
                                        {"churn_prob_est": "churn_score"}).build(),
                 r"population\.columns: column\(s\) 'churn_score' not in .*c\.csv; "
                 r"the file has 'customer_id', 'churn', 'revenue'", id="mapped-column-absent"),
    # found with tests/test_properties.py: Hydra reads clv_est:123 as a number, which matched no column
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,123\nc1,100\n", {"clv_est": 123}).build(),
                 r"columns\.clv_est = 123: must be the file's column name as text \(quote a numeric name: '123'\)",
                 id="numeric-column-name"),
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,churn_prob_true,annual_revenue\n"
                                                      "c1,,100\nc2,0.5,50\n").build(),
                 r"population\.churn_prob_true = .*nan.* \(customer 'c1'\): must be a finite number",
                 id="nan-churn-prob"),
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,churn_prob_true,annual_revenue\n"
                                                      "c1,0.2,100\nc2,1.2,50\n").build(),
                 r"population\.churn_prob_true = .*1\.2.* \(customer 'c2'\): must be in \[0, 1\]",
                 id="churn-prob-1.2"),
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,churn,revenue\nc1,,100\nc2,0.5,50\n",
                                        ESTIMATES).build(),
                 r"population\.churn_prob_est \(column 'churn'\) = .*nan.* \(customer 'c1'\): must be a finite number",
                 id="nan-churn-estimate"),
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,churn,revenue\nc1,0.2,100\nc2,1.2,50\n",
                                        ESTIMATES).build(),
                 r"population\.churn_prob_est \(column 'churn'\) = 1\.2 \(customer 'c2'\): must be in \[0, 1\]",
                 id="churn-estimate-1.2"),
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,annual_revenue\nc1,-100\nc2,50\n").build(),
                 r"population\.annual_revenue = .*-100.* \(customer 'c1'\): must be >= 0",
                 id="negative-revenue"),
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,churn,revenue\nc1,abc,100\nc2,0.5,50\n",
                                        ESTIMATES).build(),
                 r"population\.churn_prob_est \(column 'churn'\) = 'abc' \(customer 'c1'\): must be a finite number",
                 id="text-in-numeric-column"),
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,annual_revenue\nc1,100\nc1,50\n").build(),
                 r"population\.customer_id = 'c1': duplicated; customer ids must be unique", id="duplicate-ids"),
    pytest.param(lambda tmp: population(tmp, "c.csv", "id,annual_revenue\nc1,100\nc2,50\n").build(),
                 r"^scenario\.population\.path = '.*c\.csv': no customer_id column; map yours with "
                 r"\+scenario\.population\.columns\.customer_id=", id="no-customer-id-column"),
    # found by tests/test_properties.py: these two messages lacked the 'scenario.' of the config path
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,segment\nc1,A\n").build(),
                 r"^scenario\.population\.path = '.*c\.csv': needs clv_est or annual_revenue \(map yours with "
                 r"\+scenario\.population\.columns\.clv_est=", id="no-clv-and-no-revenue"),
    # found with tests/test_properties.py: with one field more per row than the header, pandas took the ids
    # as the index and read every value one column left (ids '100', '200' and clv 5, 6), silently
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,clv_est\na,100,5\nb,200,6\n").build(),
                 r"^scenario\.population\.path = '.*c\.csv': a row has more fields than the header has names",
                 id="rows-longer-than-header"),
    pytest.param(lambda tmp: population(tmp, "c.csv", "").build(),
                 r"population\.path = '.*c\.csv': cannot be read as csv \(EmptyDataError",
                 id="empty-file"),
    pytest.param(lambda tmp: population(tmp, "c.csv", "customer_id,annual_revenue\n").build(),
                 r"population\.path = '.*c\.csv': the file has no customers \(0 rows\)",
                 id="header-only-file"),
    pytest.param(lambda tmp: population(tmp, "c.parquet", "not a parquet file").build(),
                 r"population\.path = '.*c\.parquet': .*parquet",
                 id="corrupt-parquet"),
    pytest.param(lambda tmp: ScenarioDir(path=str(tmp / "does_not_exist")).build(),
                 r"scenario\.path = '.*does_not_exist': not a directory", id="scenario-dir-missing"),
    pytest.param(lambda tmp: ScenarioDir(path=str(tmp)).build(),
                 r"scenario\.path/scenario\.json: not found in '.*' \(is this an exported scenario\?\)", id="scenario-dir-not-exported"),
    pytest.param(lambda tmp: (write(tmp, "scenario.json", "{}"), ScenarioDir(path=str(tmp)).build()),
                 r"scenario\.path/scenario\.json: missing key\(s\) name, high_risk_threshold, catalog",
                 id="scenario-json-incomplete"),
]


@pytest.mark.parametrize(("load", "message"), FILES)
def test_file_input_is_rejected(load, message, tmp_path):
    with pytest.raises(ConfigError, match=message):
        load(tmp_path)
