"""The report's figures: which figures a run's data allows, their file names and captions, and
saving them as PNG + PDF under ``<run dir>/figures``.

A single run gets the single-run figures (with ``frontier``: a point per strategy) and the
per-customer ones; a sweep gets ``frontier`` (along its budget axis) and, for EVERY swept axis,
``net_value_vs_<axis>``, ``roi_vs_<axis>``, ``treated_vs_<axis>``, ``optimizers_curse_vs_<axis>``,
``shadow_prices_vs_<axis>`` and ``binding_vs_<axis>`` (the other axes as facets; <axis>: the axis's
short name, :func:`benchmarks.frames.axis_names`), plus the per-customer figures of its showcase.
Results without the estimated value (older runs) or without any shadow price skip those figures
with a note. Captions say what to read, with the run's own numbers where a trend is the point.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

import pandas as pd

from benchmarks.figures.frontier import frontier, frontier_axis, shadow_prices_vs_axis
from benchmarks.figures.plans import actions_by_segment, churn_clv_scatter, tier_heatmap
from benchmarks.figures.single import (action_mix, binding_heatmap, coverage_vs_floor, net_value_by_strategy,
                                       value_waterfall)
from benchmarks.figures.style import METRIC_LABELS, save
from benchmarks.figures.sweep import binding_vs_axis, metric_vs_axis
from benchmarks.frames import (axis_names, axis_path, flagged_references, frontier_frame, level_text, priced_rows,
                               split_ok, treatment_frame)
from benchmarks.report.load import RunData, showcase_point
from benchmarks.report.tables import SweepStats, dollars
from simcore.results import STRATEGY

MAX_SCATTER_POINTS = 3000  # per-customer scatter samples beyond this, to keep a run's report fast
AXIS_METRICS = ("net_value", "roi", "treated")  # one figure each per swept axis


@dataclass(frozen=True)
class Drawn:
    """A figure built for the report: its file name (no extension), caption and the figure."""

    name: str
    caption: str
    figure: Figure


@dataclass(frozen=True)
class FigureFile:
    """A figure saved for the report: name, caption and the PNG and PDF paths."""

    name: str
    caption: str
    png: Path
    pdf: Path


def file_name(short_name: str) -> str:
    """An axis's short name made file-safe: ``channel_capacities[0].limit`` -> ``channel_capacities_0_limit``."""
    return re.sub(r"[^A-Za-z0-9_]+", "_", short_name).strip("_")


def sweep_figures(data: RunData, sweep: SweepStats) -> tuple[list[Drawn], list[str]]:
    """The frontier, then per swept axis: the metrics along it, the optimizer's curse, the shadow
    prices and the binding shares, the other axes as facets; notes on the figures the results do not
    allow."""
    out, notes = [], []
    results, level = data.results, sweep.level
    n_rep = int(sweep.summary["n_rows"].max())
    has_est = {"est_net_value", "optimizer_curse"} <= set(results.columns)
    priced = priced_rows(results)
    if has_est:
        out.append(Drawn("frontier", frontier_caption(data, sweep), frontier(results, level, sweep.reference)))
    else:
        notes.append("frontier and optimizer's-curse figures skipped: the results have no est_net_value / "
                     "optimizer_curse column (written before they were recorded)")
    if not priced:
        notes.append("shadow-price figures skipped: no strategy reports a nonzero shadow price (milp and "
                     "lagrangian do)")
    audit = data.plan_data.audit if data.plan_data is not None else pd.DataFrame()
    units = dict(zip(audit["name"], audit["unit"])) if len(audit) else None
    apart = flagged_references(results)
    strip = f" {', '.join(apart)} ignores the budget by design: drawn below, on its own scale." if apart else ""
    for axis, name in axis_names(data.axes).items():
        others = [axis_path(a) for a in data.axes if a != axis]
        facet = f" One panel per level of {' x '.join(others)}." if others else ""
        slug = file_name(name)
        for metric in AXIS_METRICS:
            label = METRIC_LABELS[metric]
            out.append(Drawn(f"{metric}_vs_{slug}", f"{label[:1].upper()}{label[1:]} per strategy along {name}: mean "
                             f"across replicates (up to {n_rep}) with its {level:.0%} interval band; each strategy its "
                             f"own marker and dashes, {sweep.reference} on top (hollow circles), and the title names "
                             f"lines that coincide.{strip}{facet}",
                             metric_vs_axis(results, metric, axis, level, sweep.summary, sweep.reference)))
        if has_est:
            out.append(Drawn(f"optimizers_curse_vs_{slug}", curse_caption(data, sweep, axis) + facet,
                             metric_vs_axis(results, "optimizer_curse", axis, level, sweep.summary, sweep.reference)))
        if priced:
            out.append(Drawn(f"shadow_prices_vs_{slug}", SHADOW_CAPTION.format(name=name, level=level) + facet,
                             shadow_prices_vs_axis(results, axis, level, sweep.reference, units)))
        out.append(Drawn(f"binding_vs_{slug}", f"Share of replicates in which each constraint binds, per {name} "
                         f"level.{facet.replace('One panel', 'One block of panels')}",
                         binding_vs_axis(results, axis)))
    return out, notes


SHADOW_CAPTION = ("Shadow price of every priced constraint row along {name} for the strategies that report them "
                  "(mean, {level:.0%} band): the estimated net value of one more unit of the limit ($ per $ of "
                  "budget, $ per contact of a capacity). Read: a limit's price falls as more of it is given and "
                  "appears where it starts to bind (a channel's capacity once the budget is large); a floor's price "
                  "is negative, what one more required contact costs; a row binds wherever its price is nonzero.")


def _trend(frame: pd.DataFrame, x: str, value: str, strategy: str, fmt: Callable[[float], str],
           peak: bool = False) -> str:
    """'milp: $26.83 at 150 -> $1.44 at 1,000', the first and last level with a value, and with
    ``peak`` the largest one between them when it is neither ('' without any value)."""
    line = frame[frame[STRATEGY] == strategy].dropna(subset=[value]).sort_values(x).reset_index(drop=True)
    if line.empty:
        return ""
    points = [line.iloc[0], *([line.loc[line[value].idxmax()]] if peak and 0 < line[value].idxmax() < len(line) - 1
                              else []), line.iloc[-1]]
    return f"{strategy}: " + " -> ".join(f"{fmt(p[value])} at {level_text(p[x])}" for p in points)


def frontier_caption(data: RunData, sweep: SweepStats) -> str:
    """What to read from a sweep's frontier, with the reference's shadow price at both ends (one-axis sweeps)."""
    along = frontier_axis(data.axes)
    others = " (one panel per level of the other axes)" if len(data.axes) > 1 else ""
    trend = "" if others else _trend(frontier_frame(data.results, sweep.level), along, "price", sweep.reference,
                                     lambda v: f"${v:,.2f}")
    return (f"Net value against actual spend per strategy, a point per {axis_names(data.axes)[along]} level"
            f"{others}: true (solid, filled) and estimated (dotted, hollow), means across replicates with "
            f"{sweep.level:.0%} interval bars. Read: the black segments have the slope of the shadow price of the "
            "budget, what one more dollar of budget is worth in estimated net value"
            + (f" ({trend} per $)" if trend else "") + "; where the slope nears zero the frontier flattens and more "
            "budget buys little. The gap between a strategy's dotted and solid lines is its optimizer's curse.")


def curse_caption(data: RunData, sweep: SweepStats, axis: str) -> str:
    """What to read from the optimizer's-curse figure, with the reference's curse at both ends and its
    peak (one-axis sweeps)."""
    trend = "" if len(data.axes) > 1 else _trend(sweep.summary, axis, "optimizer_curse_mean", sweep.reference,
                                                 lambda v: f"+{dollars(v)}" if v > 0 else dollars(v), peak=True)
    return (f"Optimizer's curse along {axis_names(data.axes)[axis]}: estimated minus true net value per strategy "
            f"(mean, {sweep.level:.0%} band). Read: above zero a strategy promised more than its plan delivers. An "
            "optimizer picks the customers whose estimates look best, so its curse is positive; it grows with the "
            "budget while more budget buys more customers picked on optimistic estimates, and shrinks once the "
            "budget reaches customers it would pick on any estimate" + (f" (here {trend})" if trend else "")
            + "; a strategy that does not rank on the estimates stays near zero.")


def build_figures(data: RunData, sweep: SweepStats | None) -> tuple[list[Drawn], list[str]]:
    """Every figure the run's data allows, and notes on those it does not. sweep: the sweep's
    statistics (None for a single run)."""
    if sweep is not None:
        out, notes = sweep_figures(data, sweep)
    else:
        out, notes = [Drawn("net_value", "True expected net value per strategy, the interval of realized outcomes "
                            "(Monte Carlo) and the value the strategy estimated.", net_value_by_strategy(data.results)),
                      Drawn("binding", "Constraints that bind per strategy, with the shadow price where the "
                            "strategy prices the row: a limit no feasible change can use more of, a floor at its "
                            "minimum, a row with a nonzero price.", binding_heatmap(data.results))], []
        if "est_net_value" in data.results.columns:
            out.append(Drawn("frontier", SINGLE_FRONTIER, frontier(data.results)))
    plan = data.plan_data
    if plan is None:
        return out, [*notes, "per-customer figures skipped: no scenario export (scenario/customers.parquet) in "
                     + ("the sweep's showcase/ directory" if sweep is not None else "the run directory")]
    if split_ok(plan.results)[0].empty:
        return out, [*notes, "per-customer figures skipped: no strategy produced a plan"]
    where = f" (showcase: replicate 0 at the {showcase_point(data)})" if sweep is not None else ""
    treatments = treatment_frame(plan.customers, plan.plans, plan.actions)
    out += [
        Drawn("value_waterfall", f"Retained CLV + revenue gain - cost = net value per strategy{where}.",
              value_waterfall(plan.results)),
        Drawn("action_mix", f"Customers per action per strategy{where}.", action_mix(plan.results, plan.actions)),
        Drawn("actions_by_segment", f"Customers contacted per segment, stacked by action{where}.",
              actions_by_segment(treatments, plan.actions)),
        Drawn("tier_heatmap", f"Share treated in each estimated risk tier x value tier{where}.",
              tier_heatmap(treatments)),
        Drawn("churn_vs_clv", f"Estimated churn probability vs estimated CLV, treated customers highlighted{where}.",
              churn_clv_scatter(treatments, max_points=MAX_SCATTER_POINTS)),
        Drawn("coverage_vs_floor", f"Share of each segment contacted against the fairness floor (dashed) and "
              f"segment floors (black ticks){where}.",
              coverage_vs_floor(plan.results, plan.floors.by_segment, plan.floors.fairness)),
    ]
    return out, notes


SINGLE_FRONTIER = ("Net value against actual spend, a point per strategy: true (filled; bar: the range of realized "
                   "outcomes) and estimated (hollow). Read: the black segment through an optimizer's estimated point "
                   "has the slope of its shadow price of the budget, what one more dollar of budget would add to the "
                   "estimated net value; the gap between hollow and filled is the optimizer's curse. References that "
                   "ignore the budget never set the axes (named in the title when off them).")


def write_figures(data: RunData, sweep: SweepStats | None) -> tuple[list[FigureFile], list[str]]:
    """Build and save every figure under ``run_dir/figures`` (PNG and PDF); notes on those skipped."""
    built, notes = build_figures(data, sweep)
    files = []
    for drawn in built:
        png, pdf = save(drawn.figure, data.run_dir / "figures", drawn.name)
        files.append(FigureFile(drawn.name, drawn.caption, png, pdf))
    return files, notes
