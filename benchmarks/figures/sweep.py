"""Sweep figures: a metric or the binding constraints along one swept axis, with the other axes as
facets (one panel per combination of their levels, titled), never pooled over them.

results: a sweep's results (one row per cell x strategy, ``replicate``, one ``axis.<config path>``
column per swept axis). Rows whose status is not ok, and undefined values (ROI without spend), are
left out, never drawn as zeros, and named in a footnote.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import cm, colors, ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from benchmarks.figures.style import (DOLLAR_METRICS, METRIC_LABELS, StrategyStyle, axis_label, footnote, grid,
                                      grid_with_strips, legend_right, money_formatter, skipped_note, strategy_styles,
                                      theme)
from benchmarks.frames import (axis_columns, axis_summary, binding_share_matrix, coinciding, facets,
                               flagged_references, level_text, split_ok, strategy_order)
from simcore.errors import ConfigError
from simcore.results import STATUS, STRATEGY, Status

REFERENCE = "milp"  # drawn on top when the caller names no reference strategy
SIGNED_METRICS = ("net_value", "optimizer_curse")  # drawn with the zero line


def metric_vs_axis(results: pd.DataFrame, metric: str, axis: str | None = None, level: float = 0.95,
                   summary: pd.DataFrame | None = None, reference: str | None = REFERENCE) -> Figure:
    """Mean ``metric`` per strategy along a swept axis with its ``level`` interval band across
    replicates (Student-t, :func:`benchmarks.frames.axis_summary`). x = the axis column (log scale
    if its positive levels span more than 10x); one panel per combination of the other swept axes'
    levels, titled with them.

    Every strategy has its own marker and dash pattern, the ``reference`` strategy is drawn on top
    (:func:`benchmarks.figures.style.strategy_styles`), and a panel's title names the strategies whose
    lines coincide (means within 1% of the panel's y range at every level). Strategies flagged as
    references that ignore the budget (:func:`benchmarks.frames.flagged_references`) are drawn in a
    small panel of their own under each panel, so their values (treat_everyone's ROI) never set the
    scale of the others.

    ``axis`` defaults to the first axis column. summary: ``stats.summarize`` over every axis column
    with ``metric`` at ``level``, when the caller has computed it (see ``axis_summary``)."""
    axis = axis or _first_axis(results)
    table = axis_summary(results, axis, metric, level, summary)
    axes = axis_columns(results)
    panels = facets(table, [c for c in axes if c != axis], axes)
    strategies = strategy_order(results)
    styles = strategy_styles(strategies, reference)
    apart = [s for s in flagged_references(results) if (table[(table[STRATEGY] == s)]["n"] > 0).any()]
    levels = pd.to_numeric(table[axis], errors="coerce")
    label = METRIC_LABELS.get(metric, metric)
    with theme():
        fig, axs, strips = grid_with_strips(len(panels), width=7.5, height=4.2, max_cols=2, strip=bool(apart))
        for ax, strip, (title, part) in zip(axs, strips, panels):
            mine = part[~part[STRATEGY].isin(apart)]
            plot_means(ax, mine, axis, styles)
            heading = f"{label[:1].upper()}{label[1:]} vs {axis_label(axis, with_path=False)}"
            subtitle = f"mean and {level:.0%} interval across replicates" + (f"; {title}" if title else "")
            ax.set_title("\n".join([heading, subtitle, *coincide_notes(mine, axis)]))
            ax.set_ylabel(label)
            if metric in SIGNED_METRICS:
                ax.axhline(0, color="black", linewidth=0.8)
            if metric in DOLLAR_METRICS:
                ax.yaxis.set_major_formatter(money_formatter())
            shown = [ax]
            if strip is not None:
                plot_means(strip, part[part[STRATEGY].isin(apart)], axis, styles)
                strip.set_title(f"{', '.join(apart)}: ignores the budget by design, on its own scale",
                                fontsize="small")
                if metric in DOLLAR_METRICS:
                    strip.yaxis.set_major_formatter(money_formatter())
                ax.tick_params(labelbottom=False)
                shown.append(strip)
            format_levels(shown[-1], levels, axis)
        legend_right(fig, [*axs, *(s for s in strips if s is not None)])
        footnote(fig, _sweep_skips(results, metric, axis))
    return fig


def plot_means(ax: Axes, part: pd.DataFrame, x: str, styles: dict[str, StrategyStyle]) -> None:
    """One line per strategy of ``part`` (columns ``x``, strategy, n, mean, lo, hi): its mean where
    n > 0, in its :class:`StrategyStyle`, labelled with its name, and its interval as a band."""
    for strategy, style in styles.items():
        line = part[(part[STRATEGY] == strategy) & (part["n"] > 0)].sort_values(x)
        if line.empty:
            continue
        ax.plot(line[x], line["mean"], label=strategy, **style.line())
        ax.fill_between(line[x], line["lo"], line["hi"], color=style.colour, alpha=0.15, linewidth=0,
                        zorder=style.zorder - 1)


def coincide_notes(part: pd.DataFrame, x: str, tolerances: dict[str, float] | None = None) -> list[str]:
    """'milp and lagrangian coincide' for every group of lines of ``part`` that coincide
    (:func:`benchmarks.frames.coinciding`); tolerances: column -> tolerance, by default the ``mean``
    within 1% of the panel's range (of means and bands) at every level of ``x``."""
    if tolerances is None:
        spread = pd.concat([part[c] for c in ("mean", "lo", "hi") if c in part.columns]).dropna()
        span = float(spread.max() - spread.min()) if len(spread) else 0.0
        tolerances = {"mean": 0.01 * span if span > 0 else 1e-9}
    groups = coinciding(part[part["n"] > 0] if "n" in part.columns else part, x, tolerances)
    return [f"{', '.join(g[:-1])} and {g[-1]} coincide" for g in groups]


def format_levels(ax: Axes, levels: pd.Series, axis: str) -> None:
    """The x axis of a panel along ``axis``: log scale with the swept levels as ticks when the
    positive ``levels`` span more than 10x, and the axis's label."""
    if bool((levels > 0).all() and levels.max() / levels.min() > 10):
        ax.set_xscale("log")
        ax.set_xticks(sorted(levels.unique()))  # the swept levels themselves, not powers of 10
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: level_text(v)))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xlabel(axis_label(axis))


def net_value_vs_axis(results: pd.DataFrame, axis: str | None = None, level: float = 0.95,
                      summary: pd.DataFrame | None = None, reference: str | None = REFERENCE) -> Figure:
    """True net value ($) per strategy along the swept axis, with interval bands (see :func:`metric_vs_axis`)."""
    return metric_vs_axis(results, "net_value", axis, level, summary, reference)


def roi_vs_axis(results: pd.DataFrame, axis: str | None = None, level: float = 0.95,
                summary: pd.DataFrame | None = None, reference: str | None = REFERENCE) -> Figure:
    """ROI (true net value per $ spent) per strategy along the swept axis, with interval bands."""
    return metric_vs_axis(results, "roi", axis, level, summary, reference)


def optimizers_curse_vs_axis(results: pd.DataFrame, axis: str | None = None, level: float = 0.95,
                             summary: pd.DataFrame | None = None, reference: str | None = REFERENCE) -> Figure:
    """The optimizer's curse per strategy along the swept axis: estimated minus true net value ($,
    ``optimizer_curse``), mean and interval band across replicates, with the zero line (a strategy on
    it promised what it delivers)."""
    return metric_vs_axis(results, "optimizer_curse", axis, level, summary, reference)


def treated_vs_axis(results: pd.DataFrame, axis: str | None = None, level: float = 0.95,
                    summary: pd.DataFrame | None = None, reference: str | None = REFERENCE) -> Figure:
    """Customers treated (contacted) per strategy along the swept axis, with interval bands."""
    return metric_vs_axis(results, "treated", axis, level, summary, reference)


def binding_vs_axis(results: pd.DataFrame, axis: str | None = None) -> Figure:
    """Share of replicates in which each constraint binds (see simcore.evaluate.AuditRow), constraint x
    level of ``axis`` (default: the first axis column), one panel per strategy and combination of
    the other axes' levels (:func:`benchmarks.frames.binding_share_matrix`); each combination starts
    a new row of panels, titled ``<strategy>`` and the other axes' levels. Grey: no ok replicate."""
    axis = axis or _first_axis(results)
    _, skipped = split_ok(results)
    matrix = binding_share_matrix(results, axis)
    axes = axis_columns(results)
    # nothing binds anywhere: no rows to facet, one empty block that says so
    blocks = facets(matrix.reset_index(), [c for c in axes if c != axis], axes) or [("", matrix.reset_index())]
    strategies = list(dict.fromkeys(matrix.index.get_level_values(STRATEGY)))
    constraints = sorted(matrix.index.get_level_values("constraint").unique())
    levels = list(matrix.columns)
    short = axis_label(axis, with_path=False)
    with theme():
        fig, axs = grid(max(len(strategies), 1) * len(blocks), width=4.2,
                        height=0.32 * max(len(constraints), 2) + 1.6 + 0.2 * (len(blocks) > 1), max_cols=3,
                        sharey=True, blocks=len(blocks))
        panels = iter(axs)
        for title, block in blocks:
            for strategy in strategies:
                ax = next(panels)
                # every constraint on every panel; a level without any ok replicate stays grey (NaN)
                mine = block[block[STRATEGY] == strategy].set_index("constraint")[levels]
                table = mine.reindex(index=constraints, fill_value=0.0)
                table.loc[:, mine.columns[mine.isna().all()]] = np.nan
                ax.set_facecolor("#bdbdbd")
                ax.grid(False)
                sns.heatmap(table, ax=ax, vmin=0, vmax=1, cmap="Reds", cbar=False, linewidths=0.3,
                            xticklabels=[level_text(v) for v in levels])
                ax.tick_params(axis="x", labelrotation=90)  # seaborn rotates per panel; 12 levels overlap flat
                ax.tick_params(axis="y", labelrotation=0)
                ax.set_title(f"{strategy}\n{title}" if title else strategy, fontsize="medium")
                ax.set_xlabel(short)
                ax.set_ylabel("")
        if not strategies:
            axs[0].text(0.5, 0.5, "no constraint binds for any strategy", ha="center", va="center")
            axs[0].set_axis_off()
        mappable = cm.ScalarMappable(colors.Normalize(0, 1), "Reds")
        fig.colorbar(mappable, ax=list(axs), label="share of replicates binding", shrink=0.6,
                     format=ticker.PercentFormatter(1.0))
        fig.suptitle(f"Binding constraints along {short} (grey: no ok replicate at that level)")
        footnote(fig, skipped_note(skipped))
    return fig


def _first_axis(results: pd.DataFrame) -> str:
    axes = axis_columns(results)
    if not axes:
        raise ConfigError("results: no axis.<config path> column; per-axis figures need a sweep's results")
    return axes[0]


def _sweep_skips(results: pd.DataFrame, metric: str, axis: str) -> str:
    """Footnote for a per-axis figure: which strategies lost rows, how many and at which levels."""
    bad = results[(results[STATUS] != Status.OK) | ~np.isfinite(pd.to_numeric(results[metric], errors="coerce"))]
    if bad.empty:
        return ""
    parts = []
    for strategy, group in bad.groupby(STRATEGY, sort=False):
        why = ", ".join(f"{s} x{n}" for s, n in group[STATUS].where(group[STATUS] != Status.OK,
                                                                     f"{metric} undefined").value_counts().items())
        levels = sorted(group[axis].dropna().unique())
        where = f" at {level_text(levels[0])}" + (f"..{level_text(levels[-1])}" if len(levels) > 1 else "")
        parts.append(f"{strategy} ({why}{where})")
    return "left out (never drawn as zero): " + "; ".join(parts)
