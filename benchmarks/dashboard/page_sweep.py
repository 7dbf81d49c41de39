"""The Sweep / campaign page: a sweep's figures, interactive.

Answers: how does each strategy's net value, ROI and reach move along a swept axis (mean and interval
across replicates, under the truth or under the estimates), which constraints bind where, what does
the axis x strategy grid look like, and how much value does each strategy buy with what it actually
spends (the frontier)? A campaign: see :mod:`benchmarks.dashboard.page_campaign`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from benchmarks.dashboard import charts, page_campaign, views
from benchmarks.dashboard.discover import RunEntry
from benchmarks.frames import axis_path, binding_share_matrix, level_text, strategy_order
from benchmarks.report.load import RunData, sweep_options
from simcore.results import STRATEGY, Status

Loader = Callable[[RunEntry], RunData | None]  # None: unreadable, and the loader said why


def render(entries: Sequence[RunEntry], load: Loader) -> None:
    st.title("Sweep / campaign")
    found = [e for e in entries if e.kind in ("sweep", "campaign")]
    if not found:
        st.info("No sweep or campaign found. Run one with `python -m benchmarks.run sweep=budget_sensitivity`.")
        return
    labels = {e.label: e for e in found}
    entry = labels[st.selectbox("Sweep or campaign", list(labels), key="sweep:picked")]
    st.caption(f"world {entry.world} · seed {entry.seeds} · {entry.date} · commit {entry.commit or 'unknown'}")
    if entry.kind == "campaign":
        page_campaign.render(entry.path)
        return
    data = load(entry)
    if data is not None:
        sweep(data)


def sweep(data: RunData) -> None:
    results, axes = data.results, data.axes
    _, level = sweep_options(data)
    everyone = strategy_order(results)
    planned = [s for s in everyone if (results.loc[results[STRATEGY] == s, "status"] == Status.OK).any()]
    c1, c2, c3 = st.columns([3, 1, 2])
    strategies = c1.multiselect("Strategies", planned, default=planned, key="sweep:strategies")
    under = c2.radio("Values under", ["truth", "estimates"], key="sweep:under",
                     help="truth: the hidden true effects; estimates: what the strategies believed")
    axis = c3.selectbox("Along", axes, format_func=axis_path, key="sweep:axis") if len(axes) > 1 else axes[0]
    fixed = {}
    for other in [a for a in axes if a != axis]:  # the report's facets: one combination at a time
        levels = sorted(results[other].dropna().unique())
        fixed[other] = st.select_slider(f"at {axis_path(other)}", levels, format_func=level_text, key=f"sweep:{other}")
    palette = charts.colors(everyone)
    summary = _at(views.sweep_summary(results, axes, level), fixed)
    estimates = under == "estimates"

    left, right = st.columns(2)
    for i, (label, (true, est)) in enumerate(views.METRICS.items()):
        table = _at(views.metric_along(results, summary, axis, est if estimates else true, level), fixed)
        shown = f"{label} ({'estimated' if estimates and est != true else 'true'})" if est != true else label
        with (left if i % 2 == 0 else right):
            st.plotly_chart(charts.along_axis(table, axis, shown, strategies, palette, level), key=f"sweep:chart{i}")
    with (right if len(views.METRICS) % 2 else left):
        points = views.frontier(summary, strategies)
        st.plotly_chart(charts.frontier(points, palette), key="sweep:frontier")

    metric = views.METRICS["net value $"][1 if estimates else 0]
    st.subheader(f"Grid: {axis_path(axis)} x strategy, mean {'estimated' if estimates else 'true'} net value $ "
                 f"[{level:.0%} interval]")
    grid_table = _at(views.metric_along(results, summary, axis, metric, level), fixed)
    st.table(views.grid(grid_table, axis, strategies))

    st.subheader("Binding constraints")
    matrix = binding_share_matrix(results, axis)
    st.plotly_chart(charts.binding(_matrix_at(matrix, fixed, strategies), axis), key="sweep:binding")
    skipped = views.not_ok(results)
    if not skipped.empty:
        st.subheader("Rows without a plan (left out of every chart, never counted as zero)")
        st.dataframe(skipped, hide_index=True)


def _at(table: pd.DataFrame, fixed: dict[str, object]) -> pd.DataFrame:
    """The rows of ``table`` at the chosen level of every other axis."""
    for column, value in fixed.items():
        table = table[table[column] == value]
    return table


def _matrix_at(matrix: pd.DataFrame, fixed: dict[str, object], strategies: Sequence[str]) -> pd.DataFrame:
    """The binding-share matrix at the chosen levels of the other axes, for the chosen strategies,
    indexed (strategy, constraint)."""
    if matrix.empty:
        return matrix
    flat = _at(matrix.reset_index(), fixed)
    flat = flat[flat[STRATEGY].isin(strategies)]
    return flat.drop(columns=list(fixed)).set_index([STRATEGY, "constraint"])
