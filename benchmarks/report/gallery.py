"""The report's figures: which figures a run's data allows, their file names and captions, and
saving them as PNG + PDF under ``<run dir>/figures``.

A single run gets the single-run and per-customer figures; a sweep gets, for EVERY swept axis,
``net_value_vs_<axis>``, ``roi_vs_<axis>``, ``treated_vs_<axis>`` and ``binding_vs_<axis>`` (the
other axes as facets; <axis>: the axis's short name, :func:`benchmarks.frames.axis_names`), plus the
per-customer figures of its showcase.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from benchmarks.figures.plans import actions_by_segment, churn_clv_scatter, tier_heatmap
from benchmarks.figures.single import (action_mix, binding_heatmap, coverage_vs_floor, net_value_by_strategy,
                                       value_waterfall)
from benchmarks.figures.style import METRIC_LABELS, save
from benchmarks.figures.sweep import binding_vs_axis, metric_vs_axis
from benchmarks.frames import axis_names, axis_path, split_ok, treatment_frame
from benchmarks.report.load import RunData, showcase_point
from benchmarks.report.tables import SweepStats

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


def sweep_figures(data: RunData, sweep: SweepStats) -> list[Drawn]:
    """Per swept axis: the metrics along it and its binding shares, the other axes as facets."""
    out = []
    n_rep = int(sweep.summary["n_rows"].max())
    for axis, name in axis_names(data.axes).items():
        others = [axis_path(a) for a in data.axes if a != axis]
        facet = f" One panel per level of {' x '.join(others)}." if others else ""
        slug = file_name(name)
        for metric in AXIS_METRICS:
            label = METRIC_LABELS[metric]
            out.append(Drawn(f"{metric}_vs_{slug}", f"{label[:1].upper()}{label[1:]} per strategy along {name}: mean "
                             f"across replicates (up to {n_rep}) with its {sweep.level:.0%} interval band.{facet}",
                             metric_vs_axis(data.results, metric, axis, sweep.level, sweep.summary)))
        out.append(Drawn(f"binding_vs_{slug}", f"Share of replicates in which each constraint binds, per {name} "
                         f"level.{facet.replace('One panel', 'One block of panels')}",
                         binding_vs_axis(data.results, axis)))
    return out


def build_figures(data: RunData, sweep: SweepStats | None) -> tuple[list[Drawn], list[str]]:
    """Every figure the run's data allows, and notes on those it does not. sweep: the sweep's
    statistics (None for a single run)."""
    if sweep is not None:
        out = sweep_figures(data, sweep)
    else:
        out = [Drawn("net_value", "True expected net value per strategy, the interval of realized outcomes "
                     "(Monte Carlo) and the value the strategy estimated.", net_value_by_strategy(data.results)),
               Drawn("binding", "Constraints that bind (no room for one more unit) per strategy.",
                     binding_heatmap(data.results))]
    plan = data.plan_data
    if plan is None:
        return out, ["per-customer figures skipped: no scenario export (scenario/customers.parquet) in "
                     + ("the sweep's showcase/ directory" if sweep is not None else "the run directory")]
    if split_ok(plan.results)[0].empty:
        return out, ["per-customer figures skipped: no strategy produced a plan"]
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
    return out, []


def write_figures(data: RunData, sweep: SweepStats | None) -> tuple[list[FigureFile], list[str]]:
    """Build and save every figure under ``run_dir/figures`` (PNG and PDF); notes on those skipped."""
    built, notes = build_figures(data, sweep)
    files = []
    for drawn in built:
        png, pdf = save(drawn.figure, data.run_dir / "figures", drawn.name)
        files.append(FigureFile(drawn.name, drawn.caption, png, pdf))
    return files, notes
