"""Every page of the dashboard driven in-process by Streamlit's AppTest: widgets changed, a re-solve
triggered and awaited on the worker thread, and what the page shows read back and checked against
the run directory and against ``benchmarks.run.run`` on the same config."""
from __future__ import annotations

import base64
import dataclasses
import json
import time
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.dashboard import jobs
from benchmarks.dashboard.page_whatif import JOB
from benchmarks.outputs import money
from benchmarks.report.load import load_run
from tests.dashboard_runs import BUDGET, budget_300, files_of, made_runs

APP = Path(__file__).resolve().parents[1] / "benchmarks" / "dashboard" / "app.py"
BUDGET_KNOB = "whatif:playlistpro:scenario.constraints.budget.limit"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return made_runs(tmp_path_factory)


@pytest.fixture
def app(runs):
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["run_dirs"] = [str(runs.root)]
    before = files_of(runs.root)
    yield at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert files_of(runs.root) == before, "the dashboard wrote into a run directory"


def page(at: AppTest, name: str) -> AppTest:
    return at.sidebar.radio(key="page").set_value(name).run()


def test_runs_page_shows_a_run_and_compares_two(app, runs):
    single = next(o for o in app.multiselect(key="runs:picked").options if o.endswith("/single"))
    app.multiselect(key="runs:picked").set_value([single]).run()
    kpis = app.table[0].value
    for rec in runs.single.to_dict("records"):
        assert kpis.loc[rec["strategy"], "net value (true)"] == money(rec["net_value"])
        assert kpis.loc[rec["strategy"], "est. net value"] == money(rec["est_net_value"])
    assert any("single · world playlistpro · seed 42" in c.value for c in app.caption)
    binding = next(d.value for d in app.dataframe if "shadow price $/unit" in d.value.columns)
    audit = pd.read_csv(runs.single_dir / "audit.csv")
    milp_budget = audit[(audit["strategy"] == "milp") & (audit["name"] == "budget")].iloc[0]
    shown = binding[(binding["strategy"] == "milp") & (binding["constraint"] == "budget")].iloc[0]
    assert shown["shadow price $/unit"] == f"{milp_budget['shadow_price']:,.3f}"

    sweeps = [o for o in app.multiselect(key="runs:picked").options if "/sweep_" in o]
    app.multiselect(key="runs:picked").set_value(sorted(sweeps)).run()
    paired = app.table[-1].value
    a, b = load_run(runs.sweep_a).results, load_run(runs.sweep_b).results
    ok = lambda r: r[(r["strategy"] == "clv_top_n") & (r[BUDGET] == 160)].set_index("replicate")["net_value"]  # noqa: E731
    row = paired[(paired["strategy"] == "clv_top_n") & (paired["scenario.constraints.budget.limit"] == "160")]
    assert row.iloc[0]["B - A $"] == money((ok(b) - ok(a)).mean()) and row.iloc[0]["pairs"] == 2

    app.multiselect(key="runs:picked").set_value([single, sweeps[0]]).run()
    assert any("paired differences need two replicated sweeps" in i.value for i in app.info)


def test_sweep_page_draws_the_chosen_strategies_under_truth_or_estimates(app, runs):
    page(app, "Sweep / campaign")
    sweep = next(o for o in app.selectbox(key="sweep:picked").options if o.endswith("/sweep_a"))
    app.selectbox(key="sweep:picked").set_value(sweep).run()
    results = load_run(runs.sweep_a).results
    ok = results[results["status"] == "ok"]
    mean = lambda s, b, m: ok[(ok["strategy"] == s) & (ok[BUDGET] == b)][m].mean()  # noqa: E731
    grid = app.table[0].value
    assert list(grid.columns) == ["random", "clv_top_n", "milp"]
    assert grid.loc["160", "milp"].startswith(f"{mean('milp', 160, 'net_value'):,.0f} [")
    assert len(app.get("plotly_chart")) == 5  # net value, ROI, treated, frontier, binding

    app.radio(key="sweep:under").set_value("estimates")
    app.multiselect(key="sweep:strategies").set_value(["clv_top_n", "milp"]).run()
    grid = app.table[0].value
    assert list(grid.columns) == ["clv_top_n", "milp"]
    assert grid.loc["160", "clv_top_n"].startswith(f"{mean('clv_top_n', 160, 'est_net_value'):,.0f} [")
    assert any("estimated net value" in h.value for h in app.subheader)



def plotted(at: AppTest, key: str) -> list[tuple[str, list[float]]]:
    """(name, y values) of each trace of the plotly chart with this widget key, as the browser gets
    them (plotly sends numeric arrays as base64 typed arrays)."""
    chart = next(c for c in at.get("plotly_chart") if key in c.proto.id)
    out = []
    for t in json.loads(chart.proto.spec)["data"]:
        y = t.get("y", [])
        if isinstance(y, dict):
            y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
        out.append((t.get("name", ""), y))
    return out


def traces(at: AppTest, key: str) -> dict[str, list[float]]:
    """The y values of the chart's named lines (the bands are unnamed)."""
    return {name: y for name, y in plotted(at, key) if name}


def test_campaign_page_draws_value_regret_and_learned_uplift_over_the_periods(app, runs):
    page(app, "Sweep / campaign")
    campaign = next(o for o in app.selectbox(key="sweep:picked").options if o.endswith("/campaign"))
    app.selectbox(key="sweep:picked").set_value(campaign).run()
    periods = pd.read_parquet(runs.campaign / "periods.parquet")
    last = periods[periods["period"] == periods["period"].max()]
    drawn = traces(app, "campaign:chart")
    assert set(drawn) == {"clv_top_n", "milp", "learning_milp", "oracle"}
    for strategy, line in drawn.items():  # cumulative true value: the mean over replicates per period
        assert line[-1] == pytest.approx(last.loc[last["strategy"] == strategy, "cum_net_value"].mean())

    app.radio(key="campaign:under").set_value("estimates")
    app.selectbox(key="campaign:metric").set_value("net value per period $").run()
    believed = periods[periods["strategy"] == "learning_milp"].groupby("period")["est_net_value"].mean()
    assert traces(app, "campaign:chart")["learning_milp"] == pytest.approx(list(believed))
    app.selectbox(key="campaign:metric").set_value("cumulative regret vs the oracle $").run()
    assert traces(app, "campaign:chart")["oracle"] == pytest.approx([0.0] * 3)
    assert any("under the truth only" in c.value for c in app.caption)

    summary = pd.read_csv(runs.campaign / "campaign_summary.csv").set_index("strategy")
    table = app.table[0].value
    assert table.loc["learning_milp", "cumulative value $"].startswith(money(summary.loc["learning_milp", "cum_net_value_mean"]))
    assert table.loc["learning_milp", "baseline"] == "milp"

    uplift = pd.read_parquet(runs.campaign / "uplift_estimates.parquet")
    mine = uplift[(uplift["strategy"] == "learning_milp") & (uplift["segment"] == "all") & (uplift["replicate"] == 0)]
    app.selectbox(key="campaign:learner").set_value("learning_milp").run()
    truth = [y for name, ys in plotted(app, "campaign:uplift") if name == "truth" for y in ys]
    assert sorted(truth) == pytest.approx(sorted(mine["truth"]))


def solved(at: AppTest, timeout: float = 90) -> AppTest:
    """Rerun the page until the worker thread's solve is shown (the browser's fragment polls alike)."""
    at.button(key="whatif:solve").click().run()
    assert jobs.wait(at.session_state[JOB], timeout), "the what-if solve did not finish"
    return at.run()


def test_what_if_resolves_off_the_ui_thread_to_the_runs_kpis(app, tmp_path_factory):
    page(app, "What if")
    assert app.info[0].value.startswith("Set the limits")
    assert {n.label for n in app.number_input} >= {"budget · limit", "email_capacity · limit",
                                                   "push_in_app_capacity · limit", "high_risk · min_share",
                                                   "saturation · max_share", "fairness · min_share", "Time limit (s)"}
    app.number_input(key=BUDGET_KNOB).set_value(300).run()
    app.button(key="whatif:solve").click().run()
    job = app.session_state[JOB]
    assert job.request.overrides()[-1] == "scenario.constraints.budget.limit=300"
    assert jobs.wait(job, 90)
    app.run()
    expected = budget_300(tmp_path_factory)  # python -m benchmarks.run strategies=[milp] ...budget.limit=300
    rec = pd.read_parquet(expected / "results.parquet").iloc[0]
    shown = {m.label: m.value for m in app.metric}
    assert shown["net value (true)"] == f"${rec['net_value']:,.2f}"
    assert shown["net value (estimate)"] == f"${rec['est_net_value']:,.2f}"
    assert shown["customers treated"] == f"{int(rec['treated']):,}" and shown["spend"] == f"${rec['spend']:,.2f}"
    kpis = app.table[0].value
    assert kpis.loc["spend $", "truth"] == f"{rec['spend']:,.2f}"
    binding = next(d.value for d in app.dataframe if "shadow price $/unit" in d.value.columns)
    audit = pd.read_csv(expected / "audit.csv").set_index("name")
    budget = binding.set_index("constraint").loc["budget"]
    assert bool(budget["binding"]) == bool(audit.loc["budget", "binding"])
    assert budget["shadow price $/unit"] == pytest.approx(audit.loc["budget", "shadow_price"], rel=1e-6)
    plan = next(d.value for d in app.dataframe if "action_id" in d.value.columns)
    assert list(plan["customer_id"]) == list(pd.read_csv(expected / "plans" / "milp.csv")["customer_id"])
    assert len(app.get("download_button")) == 2  # the plan (CSV) and the config (YAML)
    assert "python -m benchmarks.run scenario=playlistpro 'strategies=[milp]' seed=42 " \
           "scenario.constraints.budget.limit=300" in [c.value for c in app.code]


def test_what_if_shows_the_diagnosis_and_a_time_limited_incumbent(app):
    page(app, "What if")
    app.selectbox(key="whatif:playlistpro:strategy").set_value("lagrangian")
    app.number_input(key=BUDGET_KNOB).set_value(100)
    solved(app)
    assert "infeasible" in app.subheader[0].value
    assert "these constraints conflict" in app.error[0].value and "budget must rise from $100.00 to $124.00" in app.error[0].value
    assert not app.metric

    app.multiselect(key="whatif:playlistpro:dropped").set_value(["high_risk", "premium", "fairness"]).run()
    assert app.info[0].value.startswith("The inputs changed since this solve")
    solved(app)
    assert not app.error and app.metric[3].label == "customers treated"

    # a solve stopped at its time limit shows its incumbent and gap (the strategy's side: test_milp.py)
    done = app.session_state[JOB].future.result()
    limited = dataclasses.replace(done, record={**done.record, "time_limited": True, "gap": 1.25e-3})
    future: Future = Future()
    future.set_result(limited)
    app.session_state[JOB] = jobs.Job(limited.request, future, time.monotonic(), 1.0)
    app.run()
    assert "incumbent" in app.warning[0].value and "1.25e-03" in app.warning[0].value


def test_what_if_offers_each_worlds_own_constraints(app):
    page(app, "What if")
    app.selectbox(key="whatif:world").set_value("nba_engine").run()
    labels = {n.label for n in app.number_input}
    assert {"budget · limit", "call_capacity · limit", "max_contacts · limit"} <= labels
    assert "fairness · min_share" not in labels
