"""What the figures that show the finding DRAW, read back from their artists (hand-made results, no
run): coinciding lines stay distinguishable and are named, a reference that ignores the budget never
sets the y scale, the frontier plots spend against true and estimated value with the shadow price as
its slope, the curse figure plots estimated minus true, the shadow prices are the recorded ones; and
the report's tables: shadow prices with what one more unit is worth, the share of the attainable value."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from benchmarks.figures.frontier import frontier, shadow_prices_vs_axis
from benchmarks.figures.sweep import net_value_vs_axis, optimizers_curse_vs_axis, roi_vs_axis
from benchmarks.report.gallery import build_figures
from benchmarks.report.load import load_run, sweep_options
from benchmarks.report.sections import attainable_lines
from benchmarks.report.tables import (binding_share_table, binding_table, price_lines, report_comparison,
                                      sweep_stats, sweep_summary)

AXIS = "axis.scenario.constraints.budget.limit"
LEVELS = (100.0, 200.0, 400.0)
REFERENCE_NOTE = "reference: ignores budget and capacities by design"


def sweep(replicates: int = 3) -> pd.DataFrame:
    """A budget sweep: milp and lagrangian give the same plans (their lines coincide); treat_everyone
    ignores the budget (spend $5,000, ROI ~50, far above everyone else); milp and lagrangian price the
    budget (falling with it) and the email capacity (only at $400, where it starts to bind)."""
    rng = np.random.default_rng(7)
    rows = []
    for rep in range(replicates):
        for cell, budget in enumerate(LEVELS):
            base = float(rng.normal(0, 20))
            for strategy in ("do_nothing", "treat_everyone", "clv_top_n", "milp", "lagrangian"):
                optimizer = strategy in ("milp", "lagrangian")
                spend = {"do_nothing": 0.0, "treat_everyone": 5000.0}.get(strategy, budget)
                true = {"do_nothing": 0.0, "treat_everyone": 250_000.0 + 1000 * rep,
                        "clv_top_n": 1.5 * budget + base}.get(strategy, 2000 * np.log(budget / 50) + base)
                est = true + (0.3 * budget if optimizer else 10.0 * (strategy != "do_nothing"))
                rows.append({
                    "scenario": "synthetic", "strategy": strategy, "seed": rep, "replicate": rep,
                    "cell": cell, AXIS: budget, "status": "ok", "reason": "",
                    "note": REFERENCE_NOTE if strategy == "treat_everyone" else "",
                    "net_value": true, "est_net_value": est, "optimizer_curse": est - true, "spend": spend,
                    "roi": true / spend if spend else np.nan, "treated": spend / 10,
                    "binding.budget": strategy != "do_nothing", "binding.capacity[email]": optimizer and budget == 400,
                    "shadow.budget": 2000 / budget + 0.01 * rep if optimizer else np.nan,
                    "shadow.capacity[email]": (3.0 if budget == 400 else 0.0) if optimizer else np.nan,
                    "attainable": 2000 * np.log(budget / 50) + 0.3 * budget + base,
                    "share_of_attainable": est / (2000 * np.log(budget / 50) + 0.3 * budget + base),
                })
    return pd.DataFrame(rows)


def line(ax, label: str):
    return next(li for li in ax.get_lines() if li.get_label() == label)


def gid(fig: Figure, name: str) -> list:
    return [a for ax in fig.axes for a in ax.get_lines() if a.get_gid() == name]


def texts(fig: Figure) -> str:
    return " ".join(t.get_text() for t in fig.findobj(Text))


def means(data: pd.DataFrame, strategy: str, column: str) -> np.ndarray:
    return data[data["strategy"] == strategy].groupby(AXIS)[column].mean().to_numpy()


def test_coinciding_lines_have_their_own_markers_and_dashes_and_are_named():
    data = sweep()
    fig = net_value_vs_axis(data)
    ax = fig.axes[0]
    milp, lagrangian, clv = line(ax, "milp"), line(ax, "lagrangian"), line(ax, "clv_top_n")
    np.testing.assert_allclose(milp.get_ydata(), lagrangian.get_ydata())  # they do coincide
    assert milp.get_marker() != lagrangian.get_marker() != clv.get_marker()
    # get_linestyle() says '--' for any dash pattern; the pattern itself tells them apart
    assert len({(li.get_linestyle(), str(li._unscaled_dash_pattern)) for li in (milp, lagrangian, clv)}) == 3
    assert milp.get_linestyle() == "-" and lagrangian.get_linestyle() != "-"
    assert milp.get_markerfacecolor() == "none"  # hollow circles around the other's markers
    assert milp.get_zorder() > lagrangian.get_zorder() and milp.get_zorder() > clv.get_zorder()  # on top
    title = ax.get_title()
    assert "milp and lagrangian coincide" in title and "clv_top_n" not in title
    np.testing.assert_allclose(milp.get_ydata(), means(data, "milp", "net_value"))


def test_a_reference_that_ignores_the_budget_never_sets_the_y_scale():
    data = sweep()
    fig = roi_vs_axis(data)
    main, strip = fig.axes[0], fig.axes[1]
    assert "treat_everyone" not in [li.get_label() for li in main.get_lines()]
    others = data[(data["strategy"] != "treat_everyone") & data["roi"].notna()]
    everyone = line(strip, "treat_everyone")
    np.testing.assert_allclose(everyone.get_ydata(), means(data, "treat_everyone", "roi"))
    top = main.get_ylim()[1]
    assert others.groupby(["strategy", AXIS])["roi"].mean().max() <= top < 0.5 * everyone.get_ydata().min()
    assert "treat_everyone" in strip.get_title() and "ignores the budget" in strip.get_title()
    assert strip.get_shared_x_axes().joined(main, strip)


def test_frontier_plots_spend_against_true_and_estimated_value_with_the_price_as_slope():
    data = sweep()
    fig = frontier(data)
    ax = fig.axes[0]
    for strategy in ("do_nothing", "clv_top_n", "milp", "lagrangian"):
        (true,), (est,) = gid(fig, f"{strategy}:true"), gid(fig, f"{strategy}:estimated")
        np.testing.assert_allclose(true.get_xdata(), means(data, strategy, "spend"))
        np.testing.assert_allclose(true.get_ydata(), means(data, strategy, "net_value"))
        np.testing.assert_allclose(est.get_xdata(), means(data, strategy, "spend"))
        np.testing.assert_allclose(est.get_ydata(), means(data, strategy, "est_net_value"))
    tangents = gid(fig, "milp:tangent")
    assert len(tangents) == len(LEVELS) and not gid(fig, "clv_top_n:tangent")  # only where a price exists
    for seg, price, spend, est in zip(tangents, means(data, "milp", "shadow.budget"), means(data, "milp", "spend"),
                                      means(data, "milp", "est_net_value")):
        x, y = seg.get_xdata(), seg.get_ydata()
        assert (y[1] - y[0]) / (x[1] - x[0]) == pytest.approx(price)
        assert np.mean(x) == pytest.approx(spend) and np.mean(y) == pytest.approx(est)  # through the estimate
    # treat_everyone ($5,000 spent, $250,000) sets neither limit and is named where it is
    assert ax.get_xlim()[1] < 1000 and ax.get_ylim()[1] < 20_000
    assert "treat_everyone (ignores the budget) is off the axes: spends $5,000" in texts(fig)
    assert "milp and lagrangian coincide" in ax.get_title()


def test_single_run_frontier_is_a_point_per_strategy_with_its_tangent():
    one = sweep(1)
    single = one[one[AXIS] == 200.0].drop(columns=[AXIS, "cell", "replicate"]).assign(
        net_value_mc_lo=lambda d: d["net_value"] - 50, net_value_mc_hi=lambda d: d["net_value"] + 80)
    fig = frontier(single)
    for rec in single[single["strategy"] != "treat_everyone"].to_dict("records"):
        (true,), (est,) = gid(fig, f"{rec['strategy']}:true"), gid(fig, f"{rec['strategy']}:estimated")
        assert list(true.get_xdata()) == [rec["spend"]] and list(true.get_ydata()) == [rec["net_value"]]
        assert list(est.get_ydata()) == [rec["est_net_value"]]
    (seg,) = gid(fig, "milp:tangent")
    x, y = seg.get_xdata(), seg.get_ydata()
    assert (y[1] - y[0]) / (x[1] - x[0]) == pytest.approx(single.set_index("strategy").loc["milp", "shadow.budget"])
    assert "10.00 $/$" in texts(fig)  # the price is written beside it


def test_curse_figure_draws_estimated_minus_true_value():
    data = sweep()
    fig = optimizers_curse_vs_axis(data)
    ax = fig.axes[0]
    for strategy in ("do_nothing", "clv_top_n", "milp"):
        expected = (data["est_net_value"] - data["net_value"])[data["strategy"] == strategy].groupby(
            data[AXIS]).mean()
        np.testing.assert_allclose(line(ax, strategy).get_ydata(), expected.to_numpy())
        np.testing.assert_allclose(line(ax, strategy).get_xdata(), LEVELS)
    assert any(list(li.get_ydata()) == [0, 0] for li in ax.get_lines())  # the zero line
    assert ax.get_ylabel().startswith("optimizer's curse: estimated - true")


def test_shadow_prices_figure_draws_each_rows_recorded_price_along_the_axis():
    data = sweep()
    fig = shadow_prices_vs_axis(data, units={"budget": "$", "capacity[email]": "contacts"})
    budget, email = fig.axes[:2]
    assert budget.get_title().startswith("budget") and email.get_title().startswith("capacity[email]")
    assert {li.get_label() for li in budget.get_lines()} >= {"milp", "lagrangian"}
    assert "clv_top_n" not in {li.get_label() for li in budget.get_lines()}  # prices no rows
    np.testing.assert_allclose(line(budget, "milp").get_ydata(), means(data, "milp", "shadow.budget"))
    np.testing.assert_allclose(line(email, "milp").get_ydata(), [0.0, 0.0, 3.0])  # appears where it binds
    assert budget.get_ylabel() == "$ per $ of the limit" and email.get_ylabel() == "$ per contact of the limit"


def single_run() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per strategy and its audit: milp prices the budget at 0.71 $/$, a capacity at 2.5 $
    per contact and a floor at -4.10 $ per contact; clv_top_n reaches 41% of the attainable value."""
    results = pd.DataFrame({
        "scenario": "synthetic", "strategy": ["clv_top_n", "milp"], "seed": 1, "status": "ok", "reason": "",
        "note": "", "net_value": [380.0, 900.0], "net_value_mc_lo": [0.0, 500.0], "net_value_mc_hi": [700.0, 1300.0],
        "est_net_value": [410.0, 1000.0], "roi": [2.5, 6.0], "treated": [15, 40], "spend": [150.0, 150.0],
        "coverage_min_max_ratio": [0.5, 0.9], "runtime_s": [0.01, 0.2], "attainable": [1000.0, 1000.0],
        "share_of_attainable": [0.41, 1.0], "binding.budget": [True, True], "binding.capacity[email]": [False, True],
        "binding.coverage[premium]": [False, True], "binding.saturation[call]": [False, True],
        "violation.budget": 0.0, "shadow.budget": [np.nan, 0.71], "shadow.capacity[email]": [np.nan, 2.5],
        "shadow.coverage[premium]": [np.nan, -4.10], "shadow.saturation[call]": [np.nan, 0.0],
    })
    audit = pd.DataFrame([
        {"strategy": s, "name": n, "sense": sense, "limit": lim, "used": used, "slack": slack, "unit": unit}
        for s in ("clv_top_n", "milp")
        for n, sense, lim, used, slack, unit in (("budget", "<=", 150.0, 150.0, 0.0, "$"),
                                                 ("capacity[email]", "<=", 40.0, 40.0, 0.0, "contacts"),
                                                 ("coverage[premium]", ">=", 25.0, 25.0, 0.0, "contacts"),
                                                 ("saturation[call]", "<=", 125.0, 0.0, 125.0, "contacts"))])
    return results, audit


def test_binding_table_has_shadow_prices_and_what_one_more_unit_is_worth():
    results, audit = single_run()
    table = binding_table(results, audit).set_index(["strategy", "constraint"])
    assert table.loc[("milp", "budget"), "shadow price"] == "$0.71/$"
    assert table.loc[("milp", "coverage[premium]"), "shadow price"] == "-$4.10/contact"
    assert table.loc[("milp", "coverage[premium]"), "why it binds"] == "floor at its minimum"
    assert table.loc[("milp", "saturation[call]"), "why it binds"] == "no feasible change uses more"
    assert table.loc[("clv_top_n", "budget"), "shadow price"] == ""  # a heuristic prices nothing
    assert price_lines(results, audit) == [
        "milp: +$50 of budget is worth about $35.50 of estimated net value ($0.71/$)",
        "milp: +10 contacts of capacity[email] are worth about $25.00 of estimated net value ($2.50/contact)",
        "milp: one more required contact of coverage[premium] costs about $4.10 of estimated net value "
        "(-$4.10/contact)"]  # saturation[call] binds at price 0: no sentence


def test_tables_show_the_share_of_the_attainable_value():
    results, _ = single_run()
    assert report_comparison(results)["share of attainable"].tolist() == ["41%", "100%"]
    assert list(report_comparison(results).columns).index("share of attainable") == \
        list(report_comparison(results).columns).index("est. net value") + 1
    assert attainable_lines(results)[0] == "clv_top_n reaches 41% of the attainable value ($410 of $1,000, estimated)"
    data = sweep()
    stats = sweep_stats(data, [AXIS], "milp", 0.95)
    summary = sweep_summary(data, stats).set_index(["scenario.constraints.budget.limit", "strategy"])
    expected = data[(data["strategy"] == "clv_top_n") & (data[AXIS] == 200.0)]["share_of_attainable"].mean()
    assert summary.loc[("200", "clv_top_n"), "share of attainable"] == f"{expected:.0%}"


def test_sweep_binding_table_shows_the_mean_shadow_price_per_level():
    data = sweep()
    table = binding_share_table(data, AXIS).set_index(["strategy", "constraint"])
    price = data[(data["strategy"] == "milp") & (data[AXIS] == 100.0)]["shadow.budget"].mean()
    assert table.loc[("milp", "budget"), "100"] == f"100%, ${price:,.2f}/$"
    assert table.loc[("milp", "capacity[email]"), "100"] == "0%"  # priced 0 where it does not bind
    assert table.loc[("milp", "capacity[email]"), "400"] == "100%, $3.00/contact"
    assert table.loc[("clv_top_n", "budget"), "100"] == "100%"


def test_a_sweep_report_draws_the_frontier_curse_and_shadow_price_figures(tmp_path):
    sweep().to_parquet(tmp_path / "results.parquet", index=False)
    data = load_run(tmp_path)
    drawn, _ = build_figures(data, sweep_stats(data.results, data.axes, *sweep_options(data)))
    captions = {d.name: d.caption for d in drawn}
    assert list(captions)[:1] == ["frontier"]
    for name in ("frontier", "optimizers_curse_vs_budget_limit", "shadow_prices_vs_budget_limit"):
        assert "Read:" in captions[name], name
    assert "milp: $20.01 at 100 -> $5.01 at 400 per $" in captions["frontier"]
    curse = data.results.query("strategy == 'milp'").groupby(AXIS)["optimizer_curse"].mean()
    assert "grows with the budget" in captions["optimizers_curse_vs_budget_limit"]
    assert f"(here milp: +${curse[100.0]:,.0f} at 100 -> +${curse[400.0]:,.0f} at 400)" in \
        captions["optimizers_curse_vs_budget_limit"]  # no peak between: it grows at every level here
    assert "treat_everyone ignores the budget by design" in captions["roi_vs_budget_limit"]
