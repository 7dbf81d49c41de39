"""A campaign on the Sweep / campaign page, interactive (the campaign report's figures, drawn with plotly).

Answers: how do each strategy's true net value and its regret against the oracle grow over the
periods (mean and interval across replicates), and how does that compare with what the strategy
believed; how close are a learner's uplift estimates to the truth, period by period; what did the
holdout cost against what was learned (the campaign's summary table)?
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from benchmarks.campaign.loop import PERIOD
from benchmarks.campaign.tables import action_rows, period_bands
from benchmarks.dashboard import charts
from benchmarks.frames import axis_columns, axis_path, level_text, strategy_order
from benchmarks.outputs import money
from benchmarks.report.tables import interval
from benchmarks.sweep.cells import CELL
from simcore.results import STATUS, STRATEGY, Status

LEVEL = 0.95
# label -> (column under the truth, column under the estimates; None: there is no estimated version)
METRICS = {"cumulative net value $": ("cum_net_value", "cum_est_net_value"),
           "net value per period $": ("net_value_true", "est_net_value"),
           "cumulative regret vs the oracle $": ("cum_regret", None)}
SUMMARY = {"cum_net_value": "cumulative value $", "cum_regret": "regret $", "cum_forgone": "holdout forgone $",
           "info_value": "learned, vs baseline $"}


def render(directory: Path) -> None:
    periods = pd.read_parquet(directory / "periods.parquet")
    if not {"cum_net_value", "cum_regret", "est_net_value"} <= set(periods.columns):
        st.dataframe(periods)
        st.caption("A periods table without the campaign runner's cumulative columns: shown as it is.")
        return
    periods = periods.sort_values([CELL, STRATEGY, PERIOD], kind="stable")
    periods["cum_est_net_value"] = periods.groupby([CELL, STRATEGY], sort=False)["est_net_value"].cumsum()
    axes = axis_columns(periods)
    everyone = strategy_order(periods)
    planned = [s for s in everyone if (periods.loc[periods[STRATEGY] == s, STATUS] == Status.OK).any()]
    c1, c2, c3 = st.columns([3, 1, 2])
    strategies = c1.multiselect("Strategies", planned, default=planned, key="campaign:strategies")
    under = c2.radio("Values under", ["truth", "estimates"], key="campaign:under",
                     help="truth: the hidden true effects; estimates: what the strategies believed")
    label = c3.selectbox("Show", list(METRICS), key="campaign:metric")
    for axis in axes:  # one level of each campaign axis at a time (the report's facets)
        levels = sorted(periods[axis].dropna().unique())
        chosen = (st.select_slider(f"at {axis_path(axis)}", levels, format_func=level_text, key=f"campaign:{axis}")
                  if len(levels) > 1 else levels[0])
        periods = periods[periods[axis] == chosen]
    true, estimated = METRICS[label]
    column = estimated if under == "estimates" and estimated else true
    shown = f"{label} ({'estimated' if column == estimated else 'true'})"
    bands = period_bands(periods, column, [], LEVEL)
    figure = charts.along_axis(bands, PERIOD, shown, strategies, charts.colors(everyone), LEVEL, log_x=False)
    st.plotly_chart(figure.update_xaxes(dtick=1), key="campaign:chart")
    if estimated is None and under == "estimates":
        st.caption("Regret is measured under the truth only (the oracle's value is a true value).")
    summary_table(directory, axes, periods)
    uplift(directory, axes, periods)


def summary_table(directory: Path, axes: list[str], periods: pd.DataFrame) -> None:
    """campaign_summary.csv at the chosen axis levels: mean [interval] across replicates."""
    path = directory / "campaign_summary.csv"
    if not path.is_file():
        return
    summary = pd.read_csv(path)
    for axis in axes:
        summary = summary[summary[axis] == periods[axis].iloc[0]]
    table = pd.DataFrame({STRATEGY: summary[STRATEGY]})
    for column, title in SUMMARY.items():
        if f"{column}_mean" in summary:
            table[title] = [f"{money(m)} {interval(lo, hi)}".strip()
                            for m, lo, hi in summary[[f"{column}_mean", f"{column}_lo", f"{column}_hi"]].to_numpy()]
    if "baseline" in summary:
        table["baseline"] = summary["baseline"].fillna("")
    st.subheader(f"The whole campaign per strategy: mean [{LEVEL:.0%} interval] across replicates")
    st.table(table.set_index(STRATEGY))


def uplift(directory: Path, axes: list[str], periods: pd.DataFrame) -> None:
    """One strategy's action-level uplift estimates against the truth, in one replicate."""
    path = directory / "uplift_estimates.parquet"
    if not path.is_file():
        return
    rows = action_rows(pd.read_parquet(path))
    for axis in axes:
        rows = rows[rows[axis] == periods[axis].iloc[0]]
    learners = list(dict.fromkeys(rows[STRATEGY]))
    if not learners:
        return
    st.subheader("Uplift learned from the holdout, against the truth")
    c1, c2 = st.columns(2)
    strategy = c1.selectbox("Strategy", learners, key="campaign:learner")
    replicates = sorted(rows.loc[rows[STRATEGY] == strategy, "replicate"].unique())
    replicate = c2.selectbox("Replicate", replicates, key="campaign:replicate")
    mine = rows[(rows[STRATEGY] == strategy) & (rows["replicate"] == replicate)]
    st.plotly_chart(charts.uplift_vs_truth(mine, strategy), key="campaign:uplift")
    covered = rows[rows[STRATEGY] == strategy]["covered"].astype(float)
    st.caption(f"The estimand: the average reduction of churn probability among the customers {strategy} gave the "
               f"action, pooled over the periods so far. Over every replicate its intervals covered the truth in "
               f"{covered.mean():.0%} of {len(covered)} cases.")
