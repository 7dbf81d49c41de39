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
from matplotlib.figure import Figure

from benchmarks.figures.style import (METRIC_LABELS, axis_label, footnote, grid, legend_right, money_formatter,
                                      skipped_note, strategy_palette, theme)
from benchmarks.frames import (axis_columns, axis_summary, binding_share_matrix, facets, level_text, split_ok,
                               strategy_order)
from simcore.errors import ConfigError
from simcore.results import STATUS, STRATEGY, Status


def metric_vs_axis(results: pd.DataFrame, metric: str, axis: str | None = None, level: float = 0.95,
                   summary: pd.DataFrame | None = None) -> Figure:
    """Mean ``metric`` per strategy along a swept axis with its ``level`` interval band across
    replicates (Student-t, :func:`benchmarks.frames.axis_summary`). x = the axis column (log scale
    if its positive levels span more than 10x); one panel per combination of the other swept axes'
    levels, titled with them.

    ``axis`` defaults to the first axis column. summary: ``stats.summarize`` over every axis column
    with ``metric`` at ``level``, when the caller has computed it (see ``axis_summary``)."""
    axis = axis or _first_axis(results)
    table = axis_summary(results, axis, metric, level, summary)
    axes = axis_columns(results)
    panels = facets(table, [c for c in axes if c != axis], axes)
    strategies = strategy_order(results)
    palette = strategy_palette(strategies)
    levels = pd.to_numeric(table[axis], errors="coerce")
    log_x = bool((levels > 0).all() and levels.max() / levels.min() > 10)
    label = METRIC_LABELS.get(metric, metric)
    with theme():
        fig, axs = grid(len(panels), width=7.5, height=4.2, max_cols=2)
        for ax, (title, part) in zip(axs, panels):
            for strategy in strategies:
                line = part[(part[STRATEGY] == strategy) & (part["n"] > 0)].sort_values(axis)
                if line.empty:
                    continue
                colour = palette[strategy]
                ax.plot(line[axis], line["mean"], marker="o", markersize=3.5, color=colour, label=strategy)
                ax.fill_between(line[axis], line["lo"], line["hi"], color=colour, alpha=0.18, linewidth=0)
            if log_x:
                ax.set_xscale("log")
                ax.set_xticks(sorted(levels.unique()))  # the swept levels themselves, not powers of 10
                ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: level_text(v)))
                ax.xaxis.set_minor_formatter(ticker.NullFormatter())
            ax.set_xlabel(axis_label(axis))
            ax.set_ylabel(label)
            heading = f"{label[:1].upper()}{label[1:]} vs {axis_label(axis, with_path=False)}"
            subtitle = f"mean and {level:.0%} interval across replicates" + (f"; {title}" if title else "")
            ax.set_title(f"{heading}\n{subtitle}")
            if metric in ("net_value", "spend"):
                ax.yaxis.set_major_formatter(money_formatter())
        legend_right(fig, axs)
        footnote(fig, _sweep_skips(results, metric, axis))
    return fig


def net_value_vs_axis(results: pd.DataFrame, axis: str | None = None, level: float = 0.95,
                      summary: pd.DataFrame | None = None) -> Figure:
    """True net value ($) per strategy along the swept axis, with interval bands (see :func:`metric_vs_axis`)."""
    return metric_vs_axis(results, "net_value", axis, level, summary)


def roi_vs_axis(results: pd.DataFrame, axis: str | None = None, level: float = 0.95,
                summary: pd.DataFrame | None = None) -> Figure:
    """ROI (true net value per $ spent) per strategy along the swept axis, with interval bands."""
    return metric_vs_axis(results, "roi", axis, level, summary)


def treated_vs_axis(results: pd.DataFrame, axis: str | None = None, level: float = 0.95,
                    summary: pd.DataFrame | None = None) -> Figure:
    """Customers treated (contacted) per strategy along the swept axis, with interval bands."""
    return metric_vs_axis(results, "treated", axis, level, summary)


def binding_vs_axis(results: pd.DataFrame, axis: str | None = None) -> Figure:
    """Share of replicates in which each constraint binds (no room for one more unit), constraint x
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
