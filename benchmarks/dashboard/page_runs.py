"""The Runs page: what was run, and how two runs compare.

Answers: which runs, sweeps and campaigns are there (world, seeds, date, commit)? For one: its KPIs
under truth and estimates with intervals, its plans' action mix, binding rows and shadow prices, and
how to rerun it. For two: the same side by side, their differences, and when both are replicated
sweeps over the same axes, paired differences with intervals.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from benchmarks.dashboard import charts, views
from benchmarks.dashboard.discover import RunEntry
from benchmarks.outputs import comparison_table
from benchmarks.report.load import RunData, sweep_options
from benchmarks.report.provenance import reproduce_command
from benchmarks.report.tables import paired_table, status_notes, sweep_stats, sweep_summary

Loader = Callable[[RunEntry], RunData | None]  # None: unreadable, and the loader said why


def render(entries: Sequence[RunEntry], load: Loader) -> None:
    st.title("Runs")
    if not entries:
        st.info("No runs found. Make one with `python -m benchmarks.run` (or a sweep with "
                "`python -m benchmarks.run sweep=budget_sensitivity`), or start the dashboard on a run directory.")
        return
    st.dataframe(views.runs_table(entries), hide_index=True)
    labels = {e.label: e for e in entries}
    # the newest single run first: its KPI table is the page's answer to "what did my last run give"
    first = next((e for e in entries if e.kind == "single"), entries[0])
    picked = st.multiselect("Show one run, or two to compare", list(labels), default=[first.label],
                            max_selections=2, key="runs:picked")
    chosen = [labels[p] for p in picked]
    if len(chosen) == 1:
        show(chosen[0], load)
    elif len(chosen) == 2:
        left, right = st.columns(2)
        for column, entry, name in ((left, chosen[0], "A"), (right, chosen[1], "B")):
            with column:
                st.subheader(f"{name}: {entry.world}")
                show(entry, load, compact=True)
        compare(chosen[0], chosen[1], load)


def show(entry: RunEntry, load: Loader, compact: bool = False) -> None:
    """One run: facts, KPIs (table and chart), action mix, binding rows and shadow prices, notes."""
    st.caption(f"{entry.kind} · world {entry.world} · seed {entry.seeds} · {entry.date} · "
               f"commit {entry.commit or 'unknown (no report)'} · {entry.path}")
    if entry.kind == "campaign":
        summary = entry.path / "campaign_summary.csv"
        st.dataframe(pd.read_csv(summary) if summary.is_file() else pd.read_parquet(entry.table), hide_index=True)
        st.caption("A campaign: its summary per strategy; its figures are on the Sweep / campaign page.")
        return
    data = load(entry)
    if data is None:
        return
    if data.kind == "sweep":
        reference, level = sweep_options(data)
        stats = sweep_stats(data.results, data.axes, reference, level)
        st.markdown(f"**Summary across {entry.replicates} replicates** (mean and {level:.0%} interval)")
        st.dataframe(sweep_summary(data.results, stats), hide_index=True)
        st.markdown(f"**Paired differences against {reference}** (within replicate)")
        st.dataframe(paired_table(data.results, stats), hide_index=True)
    else:
        st.markdown("**KPIs** (net value under the truth with the interval of realized outcomes; "
                    "est.: what the strategy believed)")
        st.table(comparison_table(data.results).set_index("strategy"))
        st.plotly_chart(charts.net_value(data.results), key=f"nv:{entry.path}")
    plan = data.plan_data
    if plan is not None:
        where = " (the sweep's showcase: replicate 0, first grid point)" if data.kind == "sweep" else ""
        mix = views.action_mix(plan)
        if not mix.empty:
            st.markdown(f"**Action mix**{where}")
            if compact:
                st.table(mix)
            else:
                st.plotly_chart(charts.action_mix(mix), key=f"mix:{entry.path}")
        st.markdown(f"**Binding rows and shadow prices**{where}")
        st.dataframe(views.binding_audit(plan), hide_index=True)
    for note in status_notes(data.results):
        st.caption(note)
    command = reproduce_command(data.config, data.run_dir)
    if command:
        st.code(command, language="bash")


def compare(a: RunEntry, b: RunEntry, load: Loader) -> None:
    """Differences B - A: per strategy for two single runs; paired within replicate, with intervals,
    for two replicated sweeps over the same axes."""
    st.header("B - A")
    if "campaign" in (a.kind, b.kind):
        st.info("Campaigns are not differenced here: each one's summary is above and its figures are on the "
                "Sweep / campaign page. To compare campaign settings paired within replicate, make them levels "
                "of one campaign's axis (campaign.axes), whose summary holds every level.")
        return
    da, db = load(a), load(b)
    if da is None or db is None:
        return
    if da.kind == "single" and db.kind == "single":
        st.table(views.compare_singles(da.results, db.results).set_index("strategy"))
        return
    if da.kind == "sweep" and db.kind == "sweep":
        level = sweep_options(da)[1]
        try:
            table = views.compare_sweeps(da.results, db.results, level)
        except ValueError as err:
            st.info(f"No paired differences: {err}.")
            return
        if a.seeds != b.seeds:
            st.warning(f"The sweeps ran with different seeds ({a.seeds} vs {b.seeds}): replicate r is not the "
                       "same world in both, so pairs are not common random numbers.")
        st.markdown(f"**Paired difference of true net value, B - A, within replicate** ({level:.0%} interval)")
        st.table(table)
        return
    st.info("A single run and a sweep: compare their KPIs side by side above (paired differences need two "
            "replicated sweeps over the same axes).")
