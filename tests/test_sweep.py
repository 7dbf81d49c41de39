"""The sweep engine end to end on a tiny world: outputs, infeasible points kept with their reason,
replicate seeds, n_jobs invariance, resume after an interruption, nested MLflow runs (and their
resume), an unreachable tracking store, the Dask backend, and config errors."""
from __future__ import annotations

import pandas as pd
import pytest

import benchmarks.sweep.execute as execute_module
from benchmarks.config import build_section
from benchmarks.sweep import run_sweep
from benchmarks.sweep.cells import plan_cells
from benchmarks.sweep.settings import plain_config
from simcore.errors import ConfigError
from tests.conftest import compose_config

# 40 customers, budgets $0.05 (the floors cannot be met: milp is infeasible), $60, $150; 2 replicates
TINY = ("sweep=budget_sensitivity", "scenario.population.n_customers=40", "evaluation.replications=50",
        "strategies=[do_nothing,treat_everyone,random,clv_top_n,milp]", "sweep.replicates=2",
        "sweep.axes={scenario.constraints.budget.limit:[0.05,60,150]}", "report=false")
BUDGET = "axis.scenario.constraints.budget.limit"


def timeless(table: pd.DataFrame) -> pd.DataFrame:
    """Everything but wall-clock timings (runtime_s, solve_time_s)."""
    return table.drop(columns=[c for c in table.columns if c.endswith("_s")])


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    uri = f"sqlite:///{out / 'mlflow.db'}"
    cfg = compose_config(*TINY, "sweep.n_jobs=2", "tracking=mlflow", f"tracking.uri={uri}")
    return out / "run", run_sweep(cfg, out / "run"), uri


def test_sweep_writes_every_output(swept):
    run_dir, result, _ = swept
    for name in ("results.parquet", "results.csv", "summary.csv", "paired.csv", "config.yaml",
                 "showcase/results.csv", "showcase/audit.csv", "showcase/plans/random.csv",
                 "showcase/scenario/customers.parquet"):
        assert (run_dir / name).exists(), name
    table = pd.read_parquet(run_dir / "results.parquet")
    assert len(table) == 3 * 2 * 5 and len(list((run_dir / "cells").glob("*.parquet"))) == 6
    assert list(table.columns[:4]) == ["cell", "replicate", BUDGET, "scenario"]
    assert {"strategy", "status", "reason", "net_value", "net_value_mc_mean", "runtime_s"} <= set(table.columns)
    assert list(table[BUDGET].drop_duplicates()) == [0.05, 60, 150]
    # the showcase is replicate 0 at the first budget
    showcase = pd.read_csv(run_dir / "showcase" / "results.csv")
    first = table[table["cell"] == table["cell"].iloc[0]]
    assert first["replicate"].eq(0).all() and first[BUDGET].eq(0.05).all()
    pd.testing.assert_series_equal(showcase["net_value"], first["net_value"].reset_index(drop=True))
    config = (run_dir / "config.yaml").read_text()
    assert "n_customers: 40" in config and "- 0.05" in config
    summary = pd.read_csv(run_dir / "summary.csv")
    assert len(summary) == 3 * 5 and {"net_value_mean", "net_value_lo", "net_value_hi", "n_ok", "n_infeasible"} <= set(summary)
    paired = pd.read_csv(run_dir / "paired.csv")
    assert set(paired["strategy"]) == {"do_nothing", "treat_everyone", "random", "clv_top_n"}
    assert (paired["reference"] == "milp").all()


def test_infeasible_point_is_recorded_with_its_reason_never_as_zero(swept):
    run_dir, result, _ = swept
    t = result.results
    milp = t[(t["strategy"] == "milp") & (t[BUDGET] == 0.05)]
    assert list(milp["status"]) == ["infeasible", "infeasible"]
    assert milp["reason"].str.contains("infeasible").all() and milp["reason"].str.contains("budget").all()
    assert milp["net_value"].isna().all()
    s = pd.read_csv(run_dir / "summary.csv").set_index([BUDGET, "strategy"])
    assert (s.loc[(0.05, "milp"), "n_ok"], s.loc[(0.05, "milp"), "n_infeasible"]) == (0, 2)
    assert pd.isna(s.loc[(0.05, "milp"), "net_value_mean"])
    assert s.loc[(60, "milp"), "n_ok"] == 2
    p = pd.read_csv(run_dir / "paired.csv").set_index([BUDGET, "strategy"])
    assert p.loc[(0.05, "random"), "n_pairs"] == 0 and p.loc[(60, "random"), "n_pairs"] == 2


def test_a_replicate_has_the_same_world_at_every_level(swept):
    """treat_everyone ignores the budget: within a replicate its plan and outcomes cannot move along
    the budget axis; between replicates (different populations) they do."""
    t = swept[1].results
    ref = t[t["strategy"] == "treat_everyone"]
    per_rep = ref.groupby("replicate")[["net_value", "net_value_mc_mean"]].nunique()
    assert (per_rep == 1).all().all()
    assert ref.groupby("replicate")["net_value"].first().nunique() == 2


def test_cell_ids_are_stable_and_follow_the_config():
    cfg = compose_config(*TINY)
    settings = build_section(cfg, "sweep")
    ids = [c.id for c in plan_cells(plain_config(cfg), settings)]
    assert ids == [c.id for c in plan_cells(plain_config(compose_config(*TINY, "sweep.n_jobs=1")), settings)]
    assert len(set(ids)) == 6 and ids[0].startswith("r000-0.05-")
    other = plain_config(compose_config(*TINY, "evaluation.replications=51"))
    assert not set(ids) & {c.id for c in plan_cells(other, settings)}, "another config never reuses a cell"


def test_n_jobs_and_interruption_do_not_change_the_table(swept, tmp_path, monkeypatch):
    """A sweep in one process, interrupted in its third cell, then resumed, gives the same table as
    the uninterrupted two-worker sweep; so does deleting finished cells and rerunning."""
    reference = timeless(swept[1].results)
    cfg = compose_config(*TINY, "sweep.n_jobs=1")
    calls = {"n": 0}
    original = execute_module.run_strategy

    def failing(scenario, name, strategy, seed, settings):
        calls["n"] += 1
        if calls["n"] == 2 * 5 + 3:  # third cell, third strategy
            raise KeyboardInterrupt("simulated interruption")
        return original(scenario, name, strategy, seed, settings)

    monkeypatch.setattr(execute_module, "run_strategy", failing)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(cfg, tmp_path / "run")
    assert len(list((tmp_path / "run" / "cells").glob("*.parquet"))) == 2
    assert not (tmp_path / "run" / "results.parquet").exists()
    monkeypatch.setattr(execute_module, "run_strategy", original)

    resumed = run_sweep(cfg, tmp_path / "run")
    assert resumed.cells_skipped == 1  # the first cell runs again: its showcase was never written
    pd.testing.assert_frame_equal(timeless(resumed.results), reference)
    pd.testing.assert_frame_equal(timeless(pd.read_parquet(tmp_path / "run" / "results.parquet")), reference)

    for path in sorted((tmp_path / "run" / "cells").glob("*.parquet"))[1::2]:
        path.unlink()
    again = run_sweep(cfg, tmp_path / "run")
    assert (again.cells_run, again.cells_skipped) == (3, 3)
    pd.testing.assert_frame_equal(timeless(again.results), reference)


def test_mlflow_parent_with_nested_children_and_resume(swept):
    from mlflow.tracking import MlflowClient

    run_dir, result, uri = swept
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("playlistpro")
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1 and parents[0].info.run_id == result.tracking.run_id
    parent = parents[0]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(children) == result.results["cell"].nunique() == result.tracking.children  # one per cell
    assert {r.info.status for r in children} == {"FINISHED"} and parent.info.status == "FINISHED"
    child = next(r for r in children if r.data.params[BUDGET] == "60")
    rows = result.results.set_index(["cell", "strategy"])
    assert child.data.metrics["milp/net_value"] == pytest.approx(rows.loc[(child.data.tags["cell"], "milp"), "net_value"])
    assert child.data.metrics["random/net_value"] == pytest.approx(rows.loc[(child.data.tags["cell"], "random"), "net_value"])
    assert child.data.params["milp.presolve"] == "auto" and child.data.tags["status.milp"] == "ok"
    infeasible = [r for r in children if r.data.tags.get("status.milp") == "infeasible"]
    assert len(infeasible) == 2 and "milp/net_value" not in infeasible[0].data.metrics
    assert "infeasible" in infeasible[0].data.tags["reason.milp"]
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"results.parquet", "summary.csv", "paired.csv", "config.yaml", "showcase"} <= artifacts

    # rerunning into the same directory: nothing to compute, the same parent, no duplicate children
    cfg = compose_config(*TINY, "sweep.n_jobs=2", "tracking=mlflow", f"tracking.uri={uri}")
    again = run_sweep(cfg, run_dir)
    assert (again.cells_run, again.cells_skipped, again.tracking.children) == (0, 6, 0)
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    assert len(runs) == len(children) + 1 and again.tracking.run_id == parent.info.run_id


def test_unreachable_tracking_store_warns_and_keeps_results(tmp_path):
    cfg = compose_config(*TINY, "sweep.n_jobs=1", "sweep.replicates=1", "sweep.axes={scenario.constraints.budget.limit:[60]}",
                         "strategies=[do_nothing,milp]", "tracking=mlflow",
                         "tracking.uri=postgresql://nobody@127.0.0.1:1/none")
    with pytest.warns(UserWarning, match="MLflow tracking .* failed"):
        result = run_sweep(cfg, tmp_path / "run")
    assert result.tracking.run_id is None and result.tracking.error
    assert len(pd.read_parquet(tmp_path / "run" / "results.parquet")) == 2


def test_dask_backend_gives_the_loky_table(swept, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        cfg = compose_config(*TINY, "sweep.backend=dask", f"sweep.address={cluster.scheduler_address}",
                             "sweep.showcase=false")
        result = run_sweep(cfg, tmp_path / "run")
    pd.testing.assert_frame_equal(timeless(result.results), timeless(swept[1].results))


@pytest.mark.parametrize("override, message", [
    ("++sweep.axes={scenario.constraints.nope:[1,2]}",  # ++ adds an axis to the preset's
     r"sweep.axes.scenario.constraints.nope: no such config value"),
    ("++sweep.axes={tracking.enabled:[true,false]}", r"sweep.axes.tracking.enabled: sweeps over sweep, tracking"),
    ("++sweep.axes={scenario.constraints:[1]}", r"sweep.axes.scenario.constraints: is a whole config node"),
    ("sweep.axes={scenario.constraints.budget.limit:[-5]}", r"scenario.constraints.budget.limit = -5: must be >= 0"),
    ("sweep.axes={scenario.constraints.budget.limit:[1,1]}", r"sweep.axes.scenario.constraints.budget.limit = \[1, 1\]: values must be distinct"),
    ("sweep.replicates=0", r"sweep.replicates = 0: must be >= 1"),
    ("sweep.backend=spark", r"sweep.backend = 'spark': must be one of loky, dask"),
    ("strategies=[random]", r"sweep.reference = 'milp': not among the strategies of this sweep; allowed: random"),
])
def test_invalid_sweeps_are_clear_errors(override, message, tmp_path):
    cfg = compose_config(*TINY, override)
    with pytest.raises(ConfigError, match=message):
        run_sweep(cfg, tmp_path / "run")
    assert not (tmp_path / "run" / "cells").exists(), "nothing runs before the sweep is validated"


def test_an_axis_path_must_be_one_key(tmp_path):
    # +sweep.axes.scenario.constraints.budget.limit=[...] nests the path instead of naming it
    cfg = compose_config("sweep=custom", "+sweep.axes.scenario.constraints.budget.limit=[1,2]")
    with pytest.raises(ConfigError, match=r"sweep.axes.scenario = .*write the whole config path as ONE key"):
        run_sweep(cfg, tmp_path / "run")
