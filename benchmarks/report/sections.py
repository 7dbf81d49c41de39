"""The report's text: its title and its sections (tables and lists) in order, for a single run or a
sweep. Rendering them is :mod:`benchmarks.report.render`'s job."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from benchmarks.frames import axis_path, split_ok
from benchmarks.report.load import RunData, showcase_point
from benchmarks.report.tables import (SweepStats, binding_share_table, binding_table, dollars, fairness_table,
                                      paired_table, price_lines, report_comparison, status_notes, sweep_summary,
                                      violation_lines)
from simcore.results import ATTAINABLE, SCENARIO, SHARE, STRATEGY

ATTAINABLE_TEXT = ("share of attainable: the plan's estimated net value over the tightest certified upper bound "
                   "(from milp or lagrangian) of the same constrained problem, so how close it comes to the best "
                   "possible plan under the estimates (above 100% only for a plan that breaks a constraint).")
BINDING_TEXT = ("A limit binds when no single feasible change of the plan can use more of it (a budget spent to "
                "within its cheapest step, or whose loose change no open channel can use); a floor binds at its "
                "minimum; a row with a nonzero shadow price binds too, so binding and prices never disagree. "
                "Shadow price: the estimated net value of one more unit of the limit (LP duals for milp, row prices "
                "for lagrangian); negative for a floor, what one more required contact costs.")


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
                "replicates of the expected net value under the true effects; only status-ok replicates enter; "
                f"{ATTAINABLE_TEXT.replace('the plan', 'the mean over replicates of the plan')}",
                sweep_summary(data.results, sweep)),
        Section(f"Paired differences against {sweep.reference}", "Within each replicate all strategies face the same "
                "customers and outcome draws (common random numbers), so differences are paired; 'better' / "
                "'worse': the interval excludes zero.", paired_table(data.results, sweep)),
        Section("Binding constraints", f"Share of ok replicates in which each constraint binds, with the mean "
                f"shadow price where the strategy prices the row.{columns} {BINDING_TEXT}",
                binding_share_table(data.results, axis)),
    ]
    if data.plan_data is not None:
        sections.append(Section(f"Showcase comparison (replicate 0, {showcase_point(data)})", "",
                                report_comparison(data.plan_data.results)))
    return sections


def single_sections(data: RunData) -> list[Section]:
    """Comparison with each strategy's share of the attainable value, binding constraints with used /
    limit and shadow prices (and what one more unit is worth), and violations."""
    audit = data.plan_data.audit if data.plan_data is not None else pd.DataFrame()
    return [
        Section("Comparison", "Net value (true): expected under the hidden true effects; 95% interval: realized "
                "outcomes over the Monte Carlo draws; gap: the optimizer's proven relative gap; " + ATTAINABLE_TEXT,
                report_comparison(data.results), tuple(attainable_lines(data.results))),
        Section("Binding constraints", BINDING_TEXT, binding_table(data.results, audit),
                tuple(price_lines(data.results, audit))),
        Section("Constraint violations", "Every constraint a plan breaks, and by how much (the heuristics do not "
                "enforce floors).", None, tuple(violation_lines(data.results, audit))),
    ]


def attainable_lines(results: pd.DataFrame) -> list[str]:
    """'clv_top_n reaches 14% of the attainable value ($489 of $3,485)' per status-ok strategy, when
    the results carry the attainable value."""
    if SHARE not in results.columns:
        return []
    ok, _ = split_ok(results)
    return [f"{rec[STRATEGY]} reaches {rec[SHARE]:.0%} of the attainable value ({dollars(rec['est_net_value'])} "
            f"of {dollars(rec[ATTAINABLE])}, estimated)" + ("; its plan breaks a constraint" if rec[SHARE] > 1 else "")
            for rec in ok.to_dict("records") if not pd.isna(rec[SHARE])]


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
