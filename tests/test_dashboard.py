"""The dashboard's logic without a browser: finding runs, the comparison tables, the what-if solve
against the main job (and the downloaded config rerunning to the same plan), the charts, and the
command line's errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hydra import compose as hydra_compose
from hydra import initialize_config_dir

from benchmarks.dashboard import charts, views
from benchmarks.dashboard.__main__ import main, streamlit_args
from benchmarks.dashboard.discover import find_runs, recorded_commit
from benchmarks.dashboard.whatif import WhatIf, solve, world, worlds
from benchmarks.frames import binding_share_matrix
from benchmarks.report.load import load_run
from benchmarks.run import run
from benchmarks.schemas import register
from tests.conftest import compose_config
from tests.dashboard_runs import BUDGET, files_of, made_runs

KPIS = ("treated", "spend", "net_value", "est_net_value", "roi")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return made_runs(tmp_path_factory)


def test_finds_every_run_sweep_and_campaign_and_nothing_inside_them(runs):
    found = {e.path.name: e for e in find_runs([runs.root])}
    assert set(found) == {"single", "sweep_a", "sweep_b", "campaign"}  # not showcase/, cells/, scenario/
    single, sweep, campaign = found["single"], found["sweep_a"], found["campaign"]
    assert (single.kind, single.world, single.seeds) == ("single", "playlistpro", "42")
    assert single.strategies == ("do_nothing", "random", "clv_top_n", "milp") and single.axes == ()
    assert (sweep.kind, sweep.replicates, sweep.axes) == ("sweep", 2, ("scenario.constraints.budget.limit",))
    assert sweep.seeds == "42 (2 replicates)" and sweep.strategies == ("random", "clv_top_n", "milp")
    assert (campaign.kind, campaign.world) == ("campaign", "playlistpro")
    assert single.commit == ""  # made without a report: no recorded commit, never today's HEAD
    assert find_runs([runs.single_dir])[0].path == runs.single_dir  # a run directory itself works too


def test_a_damaged_run_is_skipped_and_the_others_are_listed(runs, tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "results.parquet").write_bytes(b"PAR1 cut short")
    assert [e.path for e in find_runs([tmp_path, runs.single_dir])] == [runs.single_dir]


def test_the_commit_is_the_one_the_report_recorded(tmp_path):
    (tmp_path / "report.md").write_text("## Provenance\n\n- git commit: 0123456789abcdef\n- dirty: yes (2 changed)\n")
    assert recorded_commit(tmp_path) == "0123456789+dirty"
    (tmp_path / "report.md").write_text("- git commit: 0123456789abcdef\n- dirty: no\n")
    assert recorded_commit(tmp_path) == "0123456789"


def test_two_sweeps_are_compared_paired_within_replicate(runs):
    a, b = load_run(runs.sweep_a).results, load_run(runs.sweep_b).results
    table = views.compare_sweeps(a, b)
    assert set(table["strategy"]) == {"random", "clv_top_n", "milp"} and len(table) == 3 * 2
    # by hand: milp at budget 160, B - A per replicate, mean of the 2 replicates
    pick = lambda r: r[(r["strategy"] == "milp") & (r[BUDGET] == 160) & (r["status"] == "ok")] \
        .set_index("replicate")["net_value"]  # noqa: E731
    diff = (pick(b) - pick(a)).dropna()
    row = table[(table["strategy"] == "milp") & (table["scenario.constraints.budget.limit"] == "160")].iloc[0]
    assert row["pairs"] == len(diff) == 2 and row["B - A $"] == f"{diff.mean():,.0f}"
    with pytest.raises(ValueError, match="cannot be paired"):
        views.compare_sweeps(a, runs.single)


def test_two_single_runs_side_by_side(runs):
    table = views.compare_singles(runs.single, runs.single.iloc[:3]).set_index("strategy")
    milp = runs.single.set_index("strategy").loc["milp"]
    assert table.loc["milp", "net value (true) $ A"] == f"{milp['net_value']:,.0f}"
    assert table.loc["milp", "net value (true) $ B"] == "no plan" and table.loc["milp", "net value (true) $ B - A"] == ""
    assert table.loc["random", "net value (true) $ B - A"] == "0"


def test_sweep_views_and_charts_draw_only_ok_rows(runs):
    data = load_run(runs.sweep_a)
    summary = views.sweep_summary(data.results, data.axes, 0.95)
    table = views.metric_along(data.results, summary, BUDGET, "net_value", 0.95)
    grid = views.grid(table, BUDGET, ["random", "milp"])
    ok = data.results[(data.results["status"] == "ok") & (data.results["strategy"] == "random")]
    assert grid.loc["160", "random"].startswith(f"{ok[ok[BUDGET] == 160]['net_value'].mean():,.0f} [")
    fig = charts.along_axis(table, BUDGET, "net value $", ["random", "milp"], charts.colors(["random", "milp"]), 0.95)
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["random", "milp"]
    points = views.frontier(summary, ["random", "milp"])
    assert len(charts.frontier(points, {}).data) == 4  # true and estimated line per strategy
    assert len(charts.binding(binding_share_matrix(data.results, BUDGET), BUDGET).data) == 1
    single = load_run(runs.single_dir)
    assert list(charts.net_value(single.results).data[0].x) == ["do_nothing", "random", "clv_top_n", "milp"]
    assert charts.action_mix(views.action_mix(single.plan_data)).data
    audit = views.binding_audit(single.plan_data)
    assert "budget" in set(audit.loc[audit["strategy"] == "milp", "constraint"])


def test_every_world_gets_widgets_for_its_own_constraints():
    assert "playlistpro" in worlds() and "from_dir" not in worlds()
    paths = {k.path: k for k in world("playlistpro").knobs}
    assert {"scenario.constraints.budget.limit", "scenario.constraints.email_capacity.limit",
            "scenario.constraints.high_risk.min_share", "scenario.constraints.saturation.max_share",
            "scenario.constraints.fairness.min_share"} <= set(paths)
    assert paths["scenario.constraints.email_capacity.limit"].integer
    assert paths["scenario.constraints.fairness.min_share"].share
    nba = world("nba_engine")
    assert {k.path for k in nba.group("capacities")} == {"scenario.constraints.call_capacity.limit",
                                                          "scenario.constraints.max_contacts.limit"}
    assert dict(nba.time_limits) == {"milp": 600.0, "lagrangian": 600.0}


def test_the_downloaded_config_and_overrides_rerun_to_the_same_plan(runs, tmp_path):
    before = files_of(runs.root)
    request = WhatIf("playlistpro", "milp", 42, (("scenario.constraints.budget.limit", 300),
                                                 ("scenario.constraints.email_capacity.limit", 90)), ("fairness",))
    outcome = solve(request)
    assert outcome.ok and outcome.value("spend") <= 300 + 1e-6 and outcome.value("treated") > 0
    assert request.overrides() == ["scenario=playlistpro", "strategies=[milp]", "seed=42",
                                   "~scenario.constraints.fairness", "scenario.constraints.budget.limit=300",
                                   "scenario.constraints.email_capacity.limit=90"]
    by_overrides = run(compose_config(*request.overrides()), tmp_path / "overrides").iloc[0]
    (tmp_path / "whatif.yaml").write_text(outcome.config_yaml)
    register()
    with initialize_config_dir(config_dir=str(tmp_path), version_base="1.3"):  # what --config-path does
        saved = hydra_compose("whatif", overrides=["tracking.enabled=false", "report=false"])
    by_yaml = run(saved, tmp_path / "yaml").iloc[0]
    for kpi in KPIS:
        assert outcome.value(kpi) == pytest.approx(by_overrides[kpi], rel=1e-9) == pytest.approx(by_yaml[kpi], rel=1e-9)
    plan = pd.read_csv(tmp_path / "yaml" / "plans" / "milp.csv")
    assert list(plan["customer_id"]) == list(outcome.plan["customer_id"])
    assert list(plan["action_id"]) == list(outcome.plan["action_id"])
    assert "fairness" not in saved.scenario.constraints
    assert files_of(runs.root) == before  # a what-if writes nothing anywhere


def test_an_infeasible_what_if_says_why_and_a_bad_edit_is_a_config_error():
    outcome = solve(WhatIf("playlistpro", "lagrangian", 42, (("scenario.constraints.budget.limit", 1),)))
    assert outcome.status == "infeasible" and outcome.plan is None and outcome.audit.empty
    assert "these constraints conflict" in outcome.reason and "budget is $1.00" in outcome.reason
    assert np.isnan(outcome.value("net_value"))
    with pytest.raises(Exception, match="must be >= 0"):
        solve(WhatIf("playlistpro", "random", 42, (("scenario.constraints.budget.limit", -5),)))


def test_the_command_line_refuses_a_missing_directory(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: RUN_DIR = ") and "not a directory" in err
    args = streamlit_args([str(tmp_path)], 8599, True)
    assert args[:2] == ["streamlit", "run"] and args[2].endswith("benchmarks/dashboard/app.py")
    assert args[args.index("--server.port") + 1] == "8599" and args[-2:] == ["--", str(tmp_path)]
