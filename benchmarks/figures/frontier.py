"""What a dollar buys: the value-vs-spend frontier of every strategy with the shadow price of the
budget as its slope, and the shadow prices of every constraint row along a swept axis.

A shadow price (``shadow.<row>`` of ``milp`` and ``lagrangian``) is the change of the ESTIMATED net
value per unit of the row's limit ($ per $ of budget, $ per contact of a capacity; <= 0 for a floor:
one more required contact costs that much). It is therefore the slope of the estimated frontier.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import lines
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from benchmarks import stats
from benchmarks.figures.style import (StrategyStyle, axis_label, footnote, grid, legend_right, money_formatter,
                                      skipped_note, strategy_styles, theme)
from benchmarks.figures.sweep import REFERENCE, coincide_notes, format_levels, plot_means
from benchmarks.frames import (axis_columns, axis_names, axis_summary, facets, flagged_references, frontier_frame,
                               priced_rows, row_unit, split_ok, strategy_order)
from simcore.errors import ConfigError
from simcore.results import SHADOW, STRATEGY

TANGENT = 0.06  # length of a shadow-price tangent, as a share of the panel's diagonal


def frontier_axis(axes: list[str]) -> str | None:
    """The axis a frontier is drawn along: the first swept axis whose path names the budget, else
    the first axis; None for a single run. The other axes become panels."""
    budget = [a for a in axes if "budget" in a.split(".")]
    return (budget or axes or [None])[0]


def frontier(results: pd.DataFrame, level: float = 0.95, reference: str | None = REFERENCE) -> Figure:
    """True (solid, filled markers) and estimated (dotted, hollow markers) net value against actual
    spend, dollars, per strategy: in a sweep one point per level of :func:`frontier_axis` (mean
    across replicates, bars: the ``level`` Student-t interval), one panel per level of the other
    axes; in a single run one point per strategy (bars: the Monte Carlo range of realized outcomes).

    Where a strategy reports ``shadow.budget``, a short black segment through its estimated point has
    that slope: the estimated value of one more dollar of budget; where it nears 0 the frontier
    flattens. Strategies flagged as references that ignore the budget are drawn without setting the
    axis limits, and named in a box in the panel when they fall outside. The points are
    :func:`benchmarks.frames.frontier_frame`'s. Artists carry gids ``<strategy>:true``,
    ``<strategy>:estimated`` and ``<strategy>:tangent``."""
    frame = frontier_frame(results, level)
    axes = axis_columns(results)
    along = frontier_axis(axes)
    panels = facets(frame, [a for a in axes if a != along], axes)
    strategies = strategy_order(results)
    styles = strategy_styles(strategies, reference)
    apart = flagged_references(results)
    _, skipped = split_ok(results)
    with theme():
        fig, axs = grid(len(panels), width=9.0, height=5.2, max_cols=2)
        for ax, (title, part) in zip(axs, panels):
            x = along or "point"  # a single run: every strategy at the same (only) point
            part = part.assign(point=0.0)
            kept = part[~part[STRATEGY].isin(apart)]
            for strategy in [s for s in styles if s not in apart]:
                _draw_values(ax, part[part[STRATEGY] == strategy].sort_values(x), strategy, styles[strategy], False)
            ax.axhline(0, color="black", linewidth=0.8)
            # the limits are those of the strategies that respect the budget; the rest is drawn into them
            ax.set_xlim(ax.get_xlim())
            ax.set_ylim(ax.get_ylim())
            _draw_tangents(ax, kept, styles, reference)
            for strategy in apart:
                _draw_values(ax, part[part[STRATEGY] == strategy], strategy, styles[strategy], True)
            where = f"each point a level of {axis_label(along, with_path=False)}" if along else "a point per strategy"
            ax.set_title("\n".join([f"Net value against spend ({where})" + (f"; {title}" if title else ""),
                                    *_coincide(ax, kept, x)]))
            outside = _outside(ax, part[part[STRATEGY].isin(apart)])
            if outside:
                ax.text(0.02, 0.98, "\n".join(outside), transform=ax.transAxes, ha="left", va="top",
                        fontsize="x-small", bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "#999999"})
            ax.set_xlabel("actual spend ($)")
            ax.set_ylabel("net value ($)")
            ax.xaxis.set_major_formatter(money_formatter())
            ax.yaxis.set_major_formatter(money_formatter())
        bars = (f"{level:.0%} interval of the mean across replicates" if axes
                else "range of realized outcomes (Monte Carlo)")
        legend_right(fig, axs, extra=[
            lines.Line2D([], [], color="grey", marker="o", label="true (expected, hidden effects)"),
            lines.Line2D([], [], color="grey", marker="o", markerfacecolor="none", linestyle=":",
                         label="estimated (what the strategy believed)"),
            lines.Line2D([], [], color="grey", linewidth=3, alpha=0.4, label=f"bars: {bars}"),
            lines.Line2D([], [], color="black", linewidth=1.8, label="slope: shadow price of the budget"),
        ])
        footnote(fig, skipped_note(skipped))
    return fig


def _draw_values(ax: Axes, mine: pd.DataFrame, strategy: str, style: StrategyStyle, apart: bool) -> None:
    """One strategy's true (solid, filled) and estimated (dotted, hollow) points, and their interval
    bars unless ``apart`` (a reference, drawn into limits already fixed). The reference strategy
    (hollow style) is drawn larger and UNDER the others, so a strategy that coincides with it shows
    inside its markers and over its wider line."""
    if mine.empty:
        return
    size, width, zorder = (9.0, 2.8, 1.5) if style.hollow else (5.0, 1.4, style.zorder)
    kw = {"color": style.colour, "marker": style.marker, "markersize": size, "markeredgecolor": style.colour,
          "zorder": zorder}
    true = ax.plot(mine["spend"], mine["net_value"], linestyle="-", linewidth=width, label=strategy, **kw)[0]
    true.set_gid(f"{strategy}:true")
    est = ax.plot(mine["spend"], mine["est_net_value"], linestyle=":", linewidth=width * 0.7,
                  markerfacecolor="none", **kw)[0]
    est.set_gid(f"{strategy}:estimated")
    if apart:
        return
    for lo, hi, bar in (("net_value_lo", "net_value_hi", 3.0), ("est_lo", "est_hi", 1.2)):
        span = mine.dropna(subset=[lo, hi])
        if len(span):
            ax.vlines(span["spend"], span[lo], span[hi], color=style.colour, alpha=0.35, linewidth=bar,
                      zorder=zorder - 0.5)


def _draw_tangents(ax: Axes, part: pd.DataFrame, styles: dict[str, StrategyStyle], reference: str | None) -> None:
    """A short segment through each estimated point with a finite ``price`` (shadow.budget), of
    that slope; the same length on screen whatever the slope, in the panel's fixed limits. The
    prices are written beside the points of one strategy (the reference when it has them)."""
    priced = part[np.isfinite(part["price"].to_numpy(float))]
    if priced.empty:
        return
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    xs, ys = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    named = reference if reference in set(priced[STRATEGY]) else priced[STRATEGY].iloc[0]
    last = (-1.0, -1.0)
    for rec in priced.to_dict("records"):
        price = float(rec["price"])
        half = TANGENT / 2 / math.hypot(1 / xs, price / ys)
        x = np.array([rec["spend"] - half, rec["spend"] + half])
        y = rec["est_net_value"] + price * (x - rec["spend"])
        seg = ax.plot(x, y, color="black", linewidth=1.8, solid_capstyle="butt",
                      zorder=styles[rec[STRATEGY]].zorder + 1)[0]
        seg.set_gid(f"{rec[STRATEGY]}:tangent")
        screen = ((rec["spend"] - x0) / xs, (rec["est_net_value"] - y0) / ys)
        if rec[STRATEGY] == named and math.dist(screen, last) > 0.07:  # labels never pile up
            last = screen
            ax.annotate(f"{price:,.2f} $/$", (x[1], y[1]), fontsize="x-small", xytext=(3, -2),
                        textcoords="offset points", annotation_clip=True)


def _coincide(ax: Axes, part: pd.DataFrame, x: str) -> list[str]:
    """'milp and lagrangian coincide' for strategies whose spend, true and estimated values are
    within 1% of the panel's ranges at every point."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    tx, ty = 0.01 * (x1 - x0), 0.01 * (y1 - y0)
    return coincide_notes(part, x, {"spend": tx, "net_value": ty, "est_net_value": ty})


def _outside(ax: Axes, refs: pd.DataFrame) -> list[str]:
    """Lines naming the reference points that fall outside the panel (they never set its limits)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    out = []
    for rec in refs.to_dict("records"):
        if not (x0 <= rec["spend"] <= x1 and y0 <= rec["net_value"] <= y1):
            out.append(f"{rec[STRATEGY]} (ignores the budget) is off the axes: spends ${rec['spend']:,.0f},\n"
                       f"true ${rec['net_value']:,.0f}, estimated ${rec['est_net_value']:,.0f}")
    return list(dict.fromkeys(out))[:3]


def shadow_prices_vs_axis(results: pd.DataFrame, axis: str | None = None, level: float = 0.95,
                          reference: str | None = REFERENCE, units: dict[str, str] | None = None) -> Figure:
    """The shadow price of every priced row (:func:`benchmarks.frames.priced_rows`) along a swept
    axis: mean across replicates per strategy that reports prices, with its ``level`` interval band;
    one panel per row (its own unit: $ per $ of budget, $ per contact) and combination of the other
    axes' levels. A limit's price falls as more of it is given and appears where it starts to bind; a
    floor's is negative (what one more required contact costs). units: row -> unit (the audit's),
    else :func:`benchmarks.frames.row_unit`."""
    axes = axis_columns(results)
    if not axes:
        raise ConfigError("results: no axis.<config path> column; shadow prices along an axis need a sweep")
    axis = axis or axes[0]
    rows = priced_rows(results)
    if not rows:
        raise ConfigError("results: no shadow.<row> column with a nonzero price; only milp and lagrangian "
                          "report shadow prices")
    priced = [s for s in strategy_order(results) if results.loc[results[STRATEGY] == s, [SHADOW + r for r in rows]]
              .notna().to_numpy().any()]
    part = results[results[STRATEGY].isin(priced)]
    summary = stats.summarize(part, axes, metrics=[SHADOW + r for r in rows], level=level)
    others = [a for a in axes if a != axis]
    blocks = [(row, facets(axis_summary(part, axis, SHADOW + row, level, summary), others, axes)) for row in rows]
    styles = {s: style for s, style in strategy_styles(strategy_order(results), reference).items() if s in priced}
    short = axis_names(axes)[axis]
    levels = pd.to_numeric(part[axis], errors="coerce")
    with theme():
        n_facets = len(blocks[0][1])
        fig, axs = grid(len(rows) * n_facets, width=5.2, height=3.6, max_cols=3, blocks=n_facets)
        panels = iter(axs)
        for k in range(n_facets):  # one block of panels (a row of the figure) per level of the other axes
            for row, panel_facets in blocks:
                ax = next(panels)
                title, table = panel_facets[k]
                plot_means(ax, table, axis, styles)
                unit = row_unit(row, units)
                ax.axhline(0, color="black", linewidth=0.8)
                ax.set_title("\n".join([f"{row}" + (f"; {title}" if title else ""),
                                        *coincide_notes(table, axis)]), fontsize="medium")
                ax.set_ylabel(f"$ per {'$' if unit == '$' else unit.rstrip('s')} of the limit")
                format_levels(ax, levels, axis)
        legend_right(fig, axs)
        fig.suptitle(f"Shadow prices along {short}: estimated net value of one more unit of each limit "
                     "(negative: what one more required contact of a floor costs)")
    return fig
