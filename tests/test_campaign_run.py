"""The campaign preset end to end on a tiny world, through the command line's own path: every output
(both tables with the issue's columns, the summaries, figures and report, MLflow with per-period
steps), resume after an interruption and n_jobs invariance, the Dask backend, and config errors."""
from __future__ import annotations

import pandas as pd
import pytest

import benchmarks.campaign.cells as cells_module
from benchmarks.campaign import run_campaign_sweep
from simcore.errors import ConfigError
from tests.conftest import compose_config

TINY = ("campaign=holdout_learning", "scenario.population.n_customers=60", "campaign.periods=3",
        "campaign.replicates=2", "campaign.dynamics.arrivals=10", "campaign.ope_targets=[clv_top_n]",
        "strategies=[do_nothing,clv_top_n,learning_clv_top_n,learning_milp,thompson,oracle]",
        "evaluation.replications=20")
PERIODS = ("period", "strategy", "replicate", "net_value_true", "spend", "treated", "holdout", "churned",
           "active_customers", "cum_net_value", "regret", "cum_regret")
UPLIFT = ("period", "strategy", "action_id", "segment", "estimate", "ci_lo", "ci_hi", "truth", "n_treated", "n_holdout")


def timeless(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in table.columns if c.endswith("_s")]).reset_index(drop=True)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    out = tmp_path_factory.mktemp("campaign")
    uri = f"sqlite:///{out / 'mlflow.db'}"
    cfg = compose_config(*TINY, "campaign.n_jobs=2", "tracking=mlflow", f"tracking.uri={uri}", "report=true")
    return run_campaign_sweep(cfg, out / "run"), uri


def test_campaign_writes_both_tables_summaries_report_and_figures(campaign):
    result, _ = campaign
    run_dir = result.run_dir
    for name in ("periods.parquet", "periods.csv", "uplift_estimates.parquet", "ope.parquet", "propensity_log.parquet",
                 "campaign_summary.csv", "uplift_accuracy.csv", "ope_summary.csv", "config.yaml", "sweep.json",
                 "report.html", "report.md", "figures/cumulative_value.png", "figures/uplift_vs_truth.png",
                 "figures/uplift_error.png", "figures/holdout_value.png", "figures/ope_vs_truth.png"):
        assert (run_dir / name).exists(), name
    periods = pd.read_parquet(run_dir / "periods.parquet")
    assert set(PERIODS) <= set(periods.columns) and len(periods) == 2 * 3 * 6
    assert set(UPLIFT) <= set(pd.read_parquet(run_dir / "uplift_estimates.parquet").columns)
    oracle = periods[periods["strategy"] == "oracle"]
    assert (oracle["regret"] == 0).all() and (oracle["holdout"] == 0).all()
    learner = periods[periods["strategy"] == "learning_milp"].sort_values(["replicate", "period"])
    assert learner["holdout"].sum() > 0
    first = learner[learner["replicate"] == 0]
    assert first["cum_regret"].to_numpy() == pytest.approx(first["regret"].cumsum().to_numpy())
    assert list(first["active_customers"])[0] == 60  # then churn leaves and 10 arrive each period
    summary = pd.read_csv(run_dir / "campaign_summary.csv")
    assert {"cum_net_value_mean", "cum_regret_mean", "cum_forgone_mean", "info_value_mean"} <= set(summary.columns)
    assert summary.set_index("strategy").loc["learning_milp", "baseline"] != summary.set_index("strategy").loc[
        "learning_clv_top_n", "baseline"]
    report = (run_dir / "report.md").read_text()
    assert "Uplift learned from the holdouts" in report and "Off-policy evaluation" in report
    log = pd.read_parquet(run_dir / "propensity_log.parquet")
    assert set(log["propensity"].round(6)) == {0.1, 0.9}


def test_mlflow_parent_and_children_with_per_period_steps(campaign):
    from mlflow.tracking import MlflowClient

    result, uri = campaign
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("playlistpro")
    runs = client.search_runs([exp.experiment_id])
    parent = next(r for r in runs if r.info.run_id == result.run_id)
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == result.run_id]
    assert len(children) == 2 and parent.data.params["campaign.periods"] == "3"
    history = client.get_metric_history(result.run_id, "learning_milp/cum_regret")
    assert sorted(m.step for m in history) == [1, 2, 3]
    periods = result.tables["periods"]
    means = periods[periods["strategy"] == "learning_milp"].groupby("period")["cum_regret"].mean()
    assert [m.value for m in sorted(history, key=lambda m: m.step)] == pytest.approx(list(means))
    child = children[0]
    assert sorted(m.step for m in client.get_metric_history(child.info.run_id, "thompson/net_value_true")) == [1, 2, 3]


def test_interrupted_campaign_resumes_to_the_same_tables_in_one_process(campaign, tmp_path, monkeypatch):
    reference = {k: timeless(v) for k, v in campaign[0].tables.items()}
    cfg = compose_config(*TINY, "campaign.n_jobs=1")
    original, calls = cells_module.run_campaign, {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated interruption")
        return original(*args, **kwargs)

    monkeypatch.setattr(cells_module, "run_campaign", failing)
    with pytest.raises(KeyboardInterrupt):
        run_campaign_sweep(cfg, tmp_path / "run")
    assert len(list((tmp_path / "run" / "cells").glob("*.parquet"))) == 1
    monkeypatch.setattr(cells_module, "run_campaign", original)
    resumed = run_campaign_sweep(cfg, tmp_path / "run")
    assert (resumed.cells_run, resumed.cells_skipped) == (1, 1)
    for kind, table in resumed.tables.items():
        pd.testing.assert_frame_equal(timeless(table), reference[kind], check_dtype=False)


def test_dask_backend_gives_the_loky_tables(campaign, tmp_path):
    distributed = pytest.importorskip("distributed")
    # one in-process worker thread: the Dask path (client, scatter, joblib backend) without paying for
    # worker processes to start and import the project (the sweep tests cover those)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        cfg = compose_config(*TINY, "campaign.backend=dask", f"campaign.address={cluster.scheduler_address}")
        result = run_campaign_sweep(cfg, tmp_path / "run")
    pd.testing.assert_frame_equal(timeless(result.tables["periods"]), timeless(campaign[0].tables["periods"]),
                                  check_dtype=False)


@pytest.mark.parametrize("override, message", [
    ("++campaign.axes={campaign.n_jobs:[1,2]}", r"axes.campaign.n_jobs: only what a campaign is can be an axis"),
    ("campaign.oracle=milp", r"campaign.oracle = 'milp': not among the strategies of this campaign"),
    ("campaign.ope_targets=[nope]", r"campaign.ope_targets\[0\] = 'nope': must name a loaded strategy config"),
    ("campaign.holdout_share=1.0", r"holdout_share = 1: must be < 1"),
    ("++campaign.true_uplift={nope:0.1}", r"campaign.true_uplift.nope = 'nope': not in the catalog"),
    ("++campaign.axes={campaign.holdout_share:[0.1,2]}", r"holdout_share = 2: must be < 1"),
])
def test_invalid_campaigns_are_clear_errors(override, message, tmp_path):
    run_dir = tmp_path / "run"
    with pytest.raises(ConfigError, match=message):
        run_campaign_sweep(compose_config(*TINY, override), run_dir)
    assert not run_dir.exists(), "nothing is written before the campaign is validated"
