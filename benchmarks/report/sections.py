"""The report's text: its title and its sections (tables and lists) in order, for a single run or a
sweep. Rendering them is :mod:`benchmarks.report.render`'s job."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from benchmarks.frames import axis_path
from benchmarks.outputs import comparison_table
from benchmarks.report.load import RunData, showcase_point
from benchmarks.report.tables import (SweepStats, binding_share_table, binding_table, fairness_table, paired_table,
                                      status_notes, sweep_summary, violation_lines)
from simcore.results import SCENARIO


@dataclass(frozen=True)
class Section:
    """A titled part of the report: an intro sentence, then a table (display strings) and/or lines."""

    title: str
    intro: str
    table: pd.DataFrame | None = None
    lines: tuple[str, ...] = ()


def title(data: RunData) -> str:
    """The report's heading: the scenario and what was run (customers, or the swept axes and levels)."""
    scenario = ", ".join(dict.fromkeys(data.results[SCENARIO].astype(str))) if SCENARIO in data.results else "?"
    if data.kind == "sweep":
        swept = " x ".join(f"{axis_path(a)} ({data.results[a].nunique()} levels)" for a in data.axes)
        return f"{scenario}: sweep over {swept}"
    n = len(data.plan_data.customers) if data.plan_data is not None else "?"
    return f"{scenario}: {n} customers, single run"


def sweep_sections(data: RunData, sweep: SweepStats) -> list[Section]:
    """Summary, paired differences and binding shares, every axis kept as a column."""
    axis, others = data.axes[0], [axis_path(a) for a in data.axes[1:]]
    columns = f" One column per {axis_path(axis)} level, one block of rows per level of {' x '.join(others)}." \
        if others else ""
    sections = [
        Section("Summary across replicates", f"True net value: mean and {sweep.level:.0%} Student-t interval across "
                "replicates of the expected net value under the true effects; only status-ok replicates enter.",
                sweep_summary(data.results, sweep)),
        Section(f"Paired differences against {sweep.reference}", "Within each replicate all strategies face the same "
                "customers and outcome draws (common random numbers), so differences are paired; 'better' / "
                "'worse': the interval excludes zero.", paired_table(data.results, sweep)),
        Section("Binding constraints", f"Share of ok replicates in which each constraint binds.{columns}",
                binding_share_table(data.results, axis)),
    ]
    if data.plan_data is not None:
        sections.append(Section(f"Showcase comparison (replicate 0, {showcase_point(data)})", "",
                                comparison_table(data.plan_data.results)))
    return sections


def single_sections(data: RunData) -> list[Section]:
    """Comparison, binding constraints with used / limit, and violations."""
    audit = data.plan_data.audit if data.plan_data is not None else pd.DataFrame()
    return [
        Section("Comparison", "Net value (true): expected under the hidden true effects; 95% interval: realized "
                "outcomes over the Monte Carlo draws; gap: the optimizer's proven relative gap.",
                comparison_table(data.results)),
        Section("Binding constraints", "Rows with no room for one more unit.", binding_table(data.results, audit)),
        Section("Constraint violations", "Every constraint a plan breaks, and by how much (the heuristics do not "
                "enforce floors).", None, tuple(violation_lines(data.results, audit))),
    ]


def report_sections(data: RunData, sweep: SweepStats | None) -> list[Section]:
    """The sections of the report, in order; sweep: the sweep's statistics (None for a single run)."""
    sections = sweep_sections(data, sweep) if sweep is not None else single_sections(data)
    if data.plan_data is not None:
        sections.append(Section("Fairness: coverage per segment", "Share of each segment contacted; the first row "
                                "is the required floor (fairness floor or a stricter segment floor).",
                                fairness_table(data.plan_data.results, data.plan_data.floors.by_segment)))
    notes = status_notes(data.results)
    if notes:
        sections.append(Section("Skipped and flagged strategies", "", None, tuple(notes)))
    return sections
