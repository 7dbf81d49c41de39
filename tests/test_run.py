"""The main job end to end: files written, MLflow runs logged, the exported scenario reloads to the
same results, and the exported milp plan is optimal when re-solved independently from the files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from benchmarks.config import build_section, selected_strategies
from benchmarks.run import run
from tests.conftest import CONF, SCENARIOS, compose_config

FAST = ["strategies=[do_nothing,treat_everyone,random,clv_top_n,milp]", "evaluation.replications=200"]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, pd.DataFrame, str]:
    out = tmp_path_factory.mktemp("run")
    uri = f"sqlite:///{out / 'mlflow.db'}"
    cfg = compose_config("scenario=playlistpro", *FAST, "tracking=mlflow", f"tracking.uri={uri}")
    return out, run(cfg, out / "run"), uri


def test_every_yaml_composes_and_instantiates():
    for scenario in SCENARIOS:
        cfg = compose_config(f"scenario={scenario}")
        assert build_section(cfg, "scenario").name == scenario
        assert list(selected_strategies(cfg)) == list(cfg.strategy)
        build_section(cfg, "evaluation")
        build_section(cfg, "tracking")
    assert {p.stem for p in (CONF / "scenario").glob("*.yaml")} >= {"from_dir", "from_file"}


def test_run_writes_results_plans_and_scenario(first_run):
    out, table, _ = first_run
    run_dir = out / "run"
    for f in ("results.csv", "results.parquet", "audit.csv", "scenario/customers.parquet", "scenario/actions.csv",
              "scenario/eligibility.parquet", "scenario/constraints.json"):
        assert (run_dir / f).exists(), f
    assert list(table["strategy"]) == ["do_nothing", "treat_everyone", "random", "clv_top_n", "milp"]
    plan = pd.read_csv(run_dir / "plans" / "milp.csv")
    assert list(plan.columns)[:6] == ["customer_id", "action_id", "action_name", "channel", "cost", "expected_value"]
    customers = pd.read_parquet(run_dir / "scenario" / "customers.parquet")
    assert {"customer_id", "segment", "churn_prob_true", "clv_true", "churn_prob_est", "clv_est"} <= set(customers)
    actions = pd.read_csv(run_dir / "scenario" / "actions.csv")
    assert {"action_id", "name", "cost", "uplift", "channel"} <= set(actions)
    resolved = json.loads((run_dir / "scenario" / "constraints.json").read_text())["resolved"]
    assert {r["name"] for r in resolved} >= {"budget", "capacity[email]", "coverage[high_risk]", "fairness[Free]"}
    ref = table.set_index("strategy").loc["treat_everyone"]
    assert not ref["feasible"] and "reference" in ref["note"]


def test_a_run_is_one_mlflow_parent_with_a_child_per_strategy(first_run):
    from mlflow.tracking import MlflowClient

    out, table, uri = first_run
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("playlistpro")
    assert exp.tags["mlflow.experimentKind"] == "custom_model_development"  # MLflow 3 opens its training runs
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and parents[0].info.run_name == "playlistpro seed 42"
    parent = parents[0]
    assert parent.data.params["scenario.constraints.budget.limit"] == "150"
    assert parent.data.params["strategy.milp.mip_rel_gap"] == "1e-06" and parent.data.params["seed"] == "42"
    assert parent.data.tags["run_dir"] == str((out / "run").resolve()) and parent.data.tags["git_commit"]
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"config.yaml", "results.parquet", "results.csv", "scenario"} <= artifacts
    assert sorted(r.info.run_name for r in children) == sorted(table["strategy"])
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parent.info.run_id}
    milp_run = next(r for r in children if r.info.run_name == "milp")
    expected = table.set_index("strategy").loc["milp"]
    assert milp_run.data.metrics["net_value"] == pytest.approx(expected["net_value"])
    assert milp_run.data.metrics["shadow.budget"] == pytest.approx(expected["shadow.budget"])
    assert milp_run.data.params["presolve"] == "auto" and milp_run.data.tags["status"] == "ok"
    assert [a.path for a in client.list_artifacts(milp_run.info.run_id)] == ["milp.csv"]


def test_two_runs_at_different_budgets_differ_in_their_mlflow_params(tmp_path):
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    for budget in (150, 300):
        run(compose_config("strategies=[do_nothing,milp]", "evaluation.replications=20", "tracking=mlflow",
                           f"tracking.uri={uri}", f"scenario.constraints.budget.limit={budget}"), tmp_path / str(budget))
    mlflow.set_tracking_uri(uri)
    parents = mlflow.search_runs(experiment_names=["playlistpro"],
                                 filter_string="tags.kind = 'run'", order_by=["params.`scenario.constraints.budget.limit`"])
    assert list(parents["params.scenario.constraints.budget.limit"]) == ["150", "300"]
    differ = [c for c in parents.columns if c.startswith("params.") and parents[c].nunique() > 1]
    assert differ == ["params.scenario.constraints.budget.limit"]


def test_unreachable_tracking_store_warns_and_keeps_results(tmp_path):
    cfg = compose_config("strategies=[do_nothing]", "evaluation.replications=10", "tracking=mlflow",
                         "tracking.uri=postgresql://nobody@127.0.0.1:1/none")
    with pytest.warns(UserWarning, match="MLflow tracking .* failed"):
        run(cfg, tmp_path / "run")
    assert (tmp_path / "run" / "results.parquet").exists()


def test_exported_scenario_loads_back_to_identical_results(first_run, tmp_path):
    out, table, _ = first_run
    cfg = compose_config("scenario=from_dir", f"scenario.path={out / 'run' / 'scenario'}", *FAST)
    again = run(cfg, tmp_path / "again")
    volatile = [c for c in table.columns if c.endswith("_s")]
    pd.testing.assert_frame_equal(table.drop(columns=volatile), again.drop(columns=volatile))


def test_same_seed_same_table_different_seed_different_population(tmp_path):
    a = run(compose_config(*FAST, "seed=5"), tmp_path / "a")
    b = run(compose_config(*FAST, "seed=5"), tmp_path / "b")
    c = run(compose_config(*FAST, "seed=6"), tmp_path / "c")
    volatile = [col for col in a.columns if col.endswith("_s")]
    pd.testing.assert_frame_equal(a.drop(columns=volatile), b.drop(columns=volatile))
    assert a["net_value"].iloc[-1] != c["net_value"].iloc[-1]


def test_exported_milp_plan_is_optimal_when_resolved_independently(first_run):
    """Rebuild the problem from the exported files alone, with scipy's MILP interface (not CVXPY,
    not our constraint compiler), and compare objectives; check the exported plan is feasible."""
    out, _, _ = first_run
    d = out / "run" / "scenario"
    customers = pd.read_parquet(d / "customers.parquet")
    actions = pd.read_csv(d / "actions.csv").set_index("action_id")
    pairs = pd.read_parquet(d / "eligibility.parquet")
    spec = json.loads((d / "constraints.json").read_text())["spec"]
    cust = customers.set_index("customer_id").loc[pairs["customer_id"]]
    channel = actions.loc[pairs["action_id"], "channel"].to_numpy()
    rows, lo, hi = [], [], []

    def add(coef, lower=-np.inf, upper=np.inf):
        rows.append(np.asarray(coef, float)); lo.append(lower); hi.append(upper)

    kind = {key: c["_target_"].rsplit(".", 1)[1] for key, c in spec.items()}
    assert sorted(kind.values()) == sorted(["Budget", "ChannelCapacity", "ChannelCapacity", "CoverageFloor",
                                            "CoverageFloor", "SaturationCap", "FairnessFloor"])
    for key, c in spec.items():
        if kind[key] == "Budget":
            add(pairs["cost"], upper=c["limit"])
        elif kind[key] == "ChannelCapacity":
            add(np.isin(channel, c["channels"]), upper=c["limit"])
        elif kind[key] == "CoverageFloor":
            member = np.ones(len(customers), bool)
            if c["segments"]:
                member &= customers["segment"].isin(c["segments"]).to_numpy()
            if c["risk_tiers"]:
                member &= customers["risk_tier"].isin(c["risk_tiers"]).to_numpy()
            ids = set(customers["customer_id"][member])
            add(pairs["customer_id"].isin(ids), lower=np.ceil(c["min_share"] * member.sum() - 1e-9))
        elif kind[key] == "SaturationCap":
            for a in actions.index:
                add(pairs["action_id"] == a, upper=np.floor(c["max_share"] * len(customers) + 1e-9))
        else:
            for seg, size in customers["segment"].value_counts().items():
                add(cust["segment"].to_numpy() == seg, lower=np.ceil(c["min_share"] * size - 1e-9))
    for _, idx in pairs.groupby("customer_id").indices.items():
        one = np.zeros(len(pairs)); one[idx] = 1
        add(one, upper=1)
    A = np.vstack(rows)
    res = milp(-pairs["est_value"].to_numpy(), constraints=LinearConstraint(A, lo, hi),
               integrality=np.ones(len(pairs)), bounds=Bounds(0, 1), options={"mip_rel_gap": 1e-9})
    assert res.success
    plan = pd.read_csv(out / "run" / "plans" / "milp.csv")
    chosen = pairs.merge(plan[["customer_id", "action_id"]], on=["customer_id", "action_id"], how="left", indicator=True)
    x = (chosen["_merge"] == "both").to_numpy(float)
    assert x.sum() == len(plan), "every exported assignment is an eligible pair"
    usage = A @ x
    assert (usage >= np.array(lo) - 1e-6).all() and (usage <= np.array(hi) + 1e-6).all()
    assert plan["expected_value"].sum() == pytest.approx(-res.fun, rel=1e-6)


def test_bring_your_own_csv_with_only_id_and_clv(tmp_path):
    """The shipped example has only 'Customer ID, expected_clv, frequency': defaults fill the rest."""
    table = run(compose_config("scenario=retail_example", "strategies=[clv_top_n,milp,nba_rules]",
                               "evaluation.replications=50"), tmp_path / "run").set_index("strategy")
    assert table.loc["milp", "treated"] == 5000 // 100
    assert table.loc["milp", "net_value"] >= table.loc["clv_top_n", "net_value"] - 1e-6
    assert table.loc["nba_rules", "status"] == "not_applicable"
    customers = pd.read_parquet(tmp_path / "run" / "scenario" / "customers.parquet")
    assert (customers["churn_prob_est"] == 0.2).all()
    assert customers["customer_id"].iloc[0] == "12346"


@pytest.mark.parametrize("overrides", [("scenario=playlistpro", "scenario.constraints.budget.limit=600"),
                                       ("scenario=nba_engine",)], ids=["playlistpro-600", "nba_engine"])
def test_binding_and_shadow_prices_never_contradict(tmp_path, overrides):
    """Every row the optimizers price (a nonzero shadow price) is reported binding, in audit.csv and in
    the results' binding column; and the budget that milp spends to the cent binds."""
    cfg = compose_config(*overrides, "strategies=[milp,lagrangian]", "evaluation.replications=20", "tracking=off",
                         "report=false")
    table = run(cfg, tmp_path).set_index("strategy")
    audit = pd.read_csv(tmp_path / "audit.csv")
    priced = audit[audit["shadow_price"].abs() > 1e-9]
    assert len(priced) > 0 and priced["binding"].all(), priced
    for row in priced.itertuples():  # the results table says the same, and carries the same price
        assert table.loc[row.strategy, f"binding.{row.name}"]
        assert table.loc[row.strategy, f"shadow.{row.name}"] == pytest.approx(row.shadow_price)
    budget = audit[(audit["name"] == "budget") & (audit["strategy"] == "milp")].iloc[0]
    if budget["slack"] < 1.0:
        assert budget["binding"]
