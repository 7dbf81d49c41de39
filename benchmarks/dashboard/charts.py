"""The dashboard's interactive figures (plotly: hover for the numbers, click a legend entry to hide a
strategy): the same content as the report's seaborn figures (:mod:`benchmarks.figures`), drawn from the
same frames (:mod:`benchmarks.frames`), plus the frontier. Rows without a plan are never drawn.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from benchmarks.frames import axis_path, level_text, split_ok
from simcore.results import STRATEGY

PALETTE = qualitative.D3


def colors(strategies: Sequence[str]) -> dict[str, str]:
    """One color per strategy, fixed by its position in the run's strategy order."""
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(strategies)}


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 380) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, height=height, hovermode="closest",
                      margin={"l": 60, "r": 20, "t": 50, "b": 50}, legend_title_text="strategy")
    return fig


def net_value(results: pd.DataFrame) -> go.Figure:
    """Single run: per strategy the true expected net value (dot) with the interval of realized
    outcomes (bar), and the value the strategy estimated (diamond): the gap is the optimizer's curse."""
    ok, _ = split_ok(results)
    fig = go.Figure()
    fig.add_scatter(x=ok[STRATEGY], y=ok["net_value"], mode="markers", name="true (expected)",
                    marker={"size": 11}, error_y={"type": "data", "symmetric": False,
                                                  "array": ok["net_value_mc_hi"] - ok["net_value"],
                                                  "arrayminus": ok["net_value"] - ok["net_value_mc_lo"]},
                    hovertemplate="%{x}: $%{y:,.0f} (true)<extra></extra>")
    fig.add_scatter(x=ok[STRATEGY], y=ok["est_net_value"], mode="markers", name="estimated",
                    marker={"symbol": "diamond-open", "size": 11},
                    hovertemplate="%{x}: $%{y:,.0f} (estimated)<extra></extra>")
    fig.update_layout(legend_title_text="")
    return _layout(fig, "Net value: true, realized interval, estimated", "strategy", "net value ($)")


def action_mix(mix: pd.DataFrame) -> go.Figure:
    """Customers per action (stacked) per strategy; ``mix``: actions x strategies (views.action_mix)."""
    fig = go.Figure()
    for action, row in mix.iterrows():
        fig.add_bar(x=list(mix.columns), y=list(row), name=str(action),
                    hovertemplate=f"{action}: %{{y}} customers<extra>%{{x}}</extra>")
    fig.update_layout(barmode="stack", legend_title_text="action")
    return _layout(fig, "Action mix", "strategy", "customers")


def along_axis(table: pd.DataFrame, axis: str, label: str, strategies: Sequence[str],
               palette: dict[str, str], level: float, log_x: bool = True) -> go.Figure:
    """Mean of a metric per strategy along a swept axis (or a campaign's periods) with its ``level``
    interval band across replicates; ``table``: columns strategy, axis, mean, lo, hi, n (views.metric_along
    restricted to one combination of the other axes, or campaign.tables.period_bands). Log x when
    ``log_x`` and the positive levels span more than 10x (as the report's figure)."""
    fig = go.Figure()
    for strategy in strategies:
        mine = table[(table[STRATEGY] == strategy) & (table["n"] > 0)].sort_values(axis)
        if mine.empty:
            continue
        color = palette[strategy]
        band = mine.dropna(subset=["lo", "hi"])
        if len(band):
            fig.add_scatter(x=list(band[axis]) + list(band[axis])[::-1], y=list(band["hi"]) + list(band["lo"])[::-1],
                            mode="lines", fill="toself", fillcolor=color, opacity=0.18, line={"width": 0},
                            hoverinfo="skip",
                            legendgroup=strategy, showlegend=False)
        fig.add_scatter(x=mine[axis], y=mine["mean"], mode="lines+markers", name=strategy, legendgroup=strategy,
                        line={"color": color}, customdata=mine[["lo", "hi", "n"]].to_numpy(),
                        hovertemplate=(f"{strategy}<br>{axis_path(axis)} = %{{x}}<br>mean %{{y:,.2f}}"
                                       f"<br>{level:.0%} interval [%{{customdata[0]:,.2f}}, %{{customdata[1]:,.2f}}]"
                                       "<br>%{customdata[2]} ok replicates<extra></extra>"))
    levels = pd.to_numeric(table[axis], errors="coerce")
    if log_x and bool((levels > 0).all()) and levels.max() / levels.min() > 10:
        fig.update_xaxes(type="log")
    return _layout(fig, f"{label} vs {axis_path(axis)}", axis_path(axis), label)


def binding(matrix: pd.DataFrame, axis: str) -> go.Figure:
    """Share of ok replicates in which each constraint binds, (strategy, constraint) x level of
    ``axis`` (frames.binding_share_matrix for one combination of the other axes); grey: no plan."""
    if matrix.empty:
        return _layout(go.Figure(), "No constraint binds for any strategy", axis_path(axis), "")
    rows = [f"{s} · {c}" for s, c in zip(matrix.index.get_level_values(STRATEGY),
                                          matrix.index.get_level_values("constraint"))]
    fig = go.Figure(go.Heatmap(z=matrix.to_numpy(), x=[level_text(v) for v in matrix.columns], y=rows,
                               zmin=0, zmax=1, colorscale="Blues", colorbar={"title": "binds"},
                               hovertemplate="%{y}<br>level %{x}: binds in %{z:.0%}<extra></extra>"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(plot_bgcolor="lightgrey")  # NaN cells (no plan) stay grey
    return _layout(fig, f"Binding constraints vs {axis_path(axis)}", axis_path(axis), "",
                   height=max(300, 22 * len(rows) + 120))


def frontier(points: pd.DataFrame, palette: dict[str, str]) -> go.Figure:
    """True (solid) and estimated (dashed) net value against actual spend per strategy, one point per
    grid point (views.frontier): how much value a strategy buys with what it spends, and how much of
    it is only believed."""
    fig = go.Figure()
    for strategy, mine in points.groupby(STRATEGY, sort=False):
        for column, dash, what in (("net value (true)", "solid", "true"), ("net value (estimate)", "dash", "estimated")):
            fig.add_scatter(x=mine["spend"], y=mine[column], mode="lines+markers", name=f"{strategy} ({what})",
                            legendgroup=strategy, line={"color": palette.get(strategy), "dash": dash},
                            hovertemplate=f"{strategy}<br>spend $%{{x:,.0f}}<br>{what} net value $%{{y:,.0f}}"
                                          "<extra></extra>")
    return _layout(fig, "Frontier: net value vs actual spend", "mean spend ($)", "mean net value ($)")


def plan_mix(plan: pd.DataFrame) -> go.Figure:
    """A what-if plan: customers per action, colored by channel."""
    counts = plan.groupby(["action_name", "channel"], sort=False).size().reset_index(name="customers")
    fig = go.Figure()
    for channel, part in counts.groupby("channel", sort=False):
        fig.add_bar(x=part["action_name"], y=part["customers"], name=str(channel),
                    hovertemplate="%{x}: %{y} customers<extra></extra>")
    fig.update_layout(legend_title_text="channel")
    return _layout(fig, "The plan: customers per action", "action", "customers", height=320)


def uplift_vs_truth(rows: pd.DataFrame, strategy: str) -> go.Figure:
    """One strategy's action-level uplift estimates over the periods, one panel per action: the
    estimate with its interval (band) and the true value of the same estimand (dashed)."""
    actions = list(dict.fromkeys(rows["action_id"]))
    fig = make_subplots(rows=1, cols=max(len(actions), 1), shared_yaxes=True, subplot_titles=actions)
    for i, action in enumerate(actions, start=1):
        line = rows[rows["action_id"] == action].sort_values("period")
        first = i == 1
        fig.add_scatter(x=list(line["period"]) + list(line["period"])[::-1],
                        y=list(line["ci_hi"]) + list(line["ci_lo"])[::-1], mode="lines", fill="toself",
                        fillcolor=PALETTE[0], opacity=0.2, line={"width": 0}, hoverinfo="skip", name="interval",
                        legendgroup="interval", showlegend=first, row=1, col=i)
        fig.add_scatter(x=line["period"], y=line["estimate"], mode="lines+markers", name="estimate",
                        line={"color": PALETTE[0]}, legendgroup="estimate", showlegend=first, row=1, col=i,
                        customdata=line[["ci_lo", "ci_hi", "n_treated", "n_holdout"]].to_numpy(),
                        hovertemplate=(f"{action}, period %{{x}}<br>estimate %{{y:.3f}} [%{{customdata[0]:.3f}}, "
                                       "%{customdata[1]:.3f}]<br>%{customdata[2]} treated, %{customdata[3]} held out"
                                       "<extra></extra>"))
        fig.add_scatter(x=line["period"], y=line["truth"], mode="lines", name="truth", line={"color": "black", "dash": "dash"},
                        legendgroup="truth", showlegend=first, row=1, col=i,
                        hovertemplate=f"{action}, period %{{x}}<br>truth %{{y:.3f}}<extra></extra>")
    fig.update_xaxes(title_text="period", dtick=1)
    return _layout(fig, f"{strategy}: uplift estimate with its interval, and the truth", "period",
                   "churn reduction (holdout - treated)", height=360)
