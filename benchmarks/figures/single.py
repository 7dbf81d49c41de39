"""Single-run figures drawn from a results table (one row per strategy): net value per strategy,
binding constraints, the value waterfall, the action mix and coverage against the floors.

Rows whose ``status`` is not ok (infeasible, not_applicable, solver_error) have no plan and no
KPIs: they are never drawn (never as zeros) and every figure that skips rows says so in a footnote.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import lines, ticker
from matplotlib.figure import Figure

from benchmarks.figures.style import (action_name, action_palette, footnote, money_formatter, new_figure,
                                      skipped_note, strategy_palette, theme)
from benchmarks.frames import binding_shares, mix_frame, require_columns, split_ok, strategy_order, waterfall_frame
from simcore.errors import ConfigError
from simcore.results import COVERAGE, SHADOW, STRATEGY, items


def net_value_by_strategy(results: pd.DataFrame) -> Figure:
    """Single run: true expected net value ($) per strategy (dot) with the Monte Carlo interval of the
    REALIZED net value (``net_value_mc_lo``..``net_value_mc_hi``) and the estimated net value the
    strategy believed (hollow diamond): the gap between them is the optimizer's curse."""
    require_columns(results, ("net_value", "net_value_mc_lo", "net_value_mc_hi", "est_net_value"), "results")
    ok, skipped = split_ok(results)
    strategies = strategy_order(ok)
    palette = strategy_palette(strategy_order(results))
    with theme():
        fig = new_figure(9.0, 0.5 * max(len(strategies), 2) + 1.6)
        ax = fig.add_subplot()
        for y, rec in enumerate(ok.to_dict("records")):
            colour = palette[rec[STRATEGY]]
            ax.plot([rec["net_value_mc_lo"], rec["net_value_mc_hi"]], [y, y], color=colour, linewidth=3, alpha=0.45)
            ax.plot(rec["net_value"], y, "o", color=colour, markersize=8)
            ax.plot(rec["est_net_value"], y, "D", markerfacecolor="none", markeredgecolor="black", markersize=6)
        ax.set_yticks(range(len(strategies)), strategies)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.8)
        ax.xaxis.set_major_formatter(money_formatter())
        ax.set_xlabel("net value ($)")
        fig.legend(handles=[
            lines.Line2D([], [], marker="o", color="grey", linestyle="", label="true expected"),
            lines.Line2D([], [], color="grey", linewidth=3, alpha=0.45,
                         label="interval of realized outcomes\n(Monte Carlo, evaluation.level)"),
            lines.Line2D([], [], marker="D", markerfacecolor="none", markeredgecolor="black",
                         linestyle="", label="estimated (what the strategy saw)"),
        ], loc="outside right upper", frameon=False, fontsize="small")
        ax.set_title("Net value per strategy under the true effects")
        footnote(fig, skipped_note(skipped))
    return fig


def action_mix(results: pd.DataFrame, actions: pd.DataFrame) -> Figure:
    """Customers per contact action per strategy (horizontal stacked bars), from ``mix.*`` columns.
    One row per strategy: filter a sweep's results to one cell first (the mix differs per cell)."""
    _one_row_per_strategy(results, "action_mix")
    ok, skipped = split_ok(results)
    mix = mix_frame(ok, actions)
    strategies = strategy_order(ok)
    colours = action_palette(actions)
    with theme():
        fig = new_figure(9.0, 0.45 * max(len(strategies), 2) + 1.8)
        ax = fig.add_subplot()
        left = np.zeros(len(strategies))
        table = mix.pivot_table(index=STRATEGY, columns="action_id", values="customers", aggfunc="sum",
                                sort=False).reindex(strategies).fillna(0.0)
        for action_id in [a for a in colours if a in table.columns]:
            widths = table[action_id].to_numpy()
            ax.barh(strategies, widths, left=left, color=colours[action_id], label=action_name(actions, action_id))
            left += widths
        ax.invert_yaxis()
        ax.set_xlabel("customers contacted")
        ax.set_title("Action mix per strategy")
        fig.legend(loc="outside right upper", frameon=False, fontsize="small", title="action")
        footnote(fig, skipped_note(skipped))
    return fig


def value_waterfall(results: pd.DataFrame) -> Figure:
    """Retained CLV (+ incremental CLV) + revenue gain - cost = net value ($, expected under the truth):
    one small waterfall per status-ok strategy side by side on one axis. See :func:`waterfall_frame`."""
    steps = waterfall_frame(results)
    _, skipped = split_ok(results)
    strategies = strategy_order(steps) if len(steps) else []
    colours = {"retained CLV": "#1b9e77", "incremental CLV": "#66a61e", "revenue gain": "#7570b3", "cost": "#d95f02",
               "net value": "#555555"}
    order = [step for step in colours if step in set(steps["step"])]  # incremental CLV only where it exists
    with theme():
        fig = new_figure(max(7.0, 1.15 * len(strategies) + 3.0), 4.4)
        ax = fig.add_subplot()
        width = 0.2
        for i, strategy in enumerate(strategies):
            part = steps[steps[STRATEGY] == strategy].set_index("step").reindex(order)
            for j, step in enumerate(order):
                low, high = sorted((part.loc[step, "start"], part.loc[step, "end"]))
                ax.bar(i + (j - (len(order) - 1) / 2) * width, high - low, bottom=low, width=width * 0.92,
                       color=colours[step],
                       label=step if i == 0 else None)
        # the net value goes into the tick label: an annotation over the bars would collide with them
        nets = [float(steps[(steps[STRATEGY] == st) & (steps["step"] == "net value")]["value"].iloc[0])
                for st in strategies]
        ax.set_xticks(range(len(strategies)), [f"{st}\nnet {'-' if v < 0 else ''}${abs(v):,.0f}"
                                               for st, v in zip(strategies, nets)])
        ax.use_sticky_edges = False  # a zero-height step would pin the y limit exactly at a bar's end
        ax.margins(y=0.1)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.grid(axis="x", visible=False)
        ax.yaxis.set_major_formatter(money_formatter())
        ax.set_ylabel("dollars ($, expected, true effects)")
        # an axes title, not a suptitle: the layout engine can put a figure-level title under an
        # outside legend
        ax.set_title("Value waterfall: retained CLV + revenue gain - cost = net value")
        fig.legend(loc="outside right upper", frameon=False, fontsize="small")
        footnote(fig, skipped_note(skipped))
    return fig


def coverage_vs_floor(results: pd.DataFrame, floors: Mapping[str, float] | None = None,
                      fairness_floor: float | None = None) -> Figure:
    """Share of each segment contacted per strategy (``coverage.<segment>`` columns, 0..1) as grouped
    bars, with the fairness floor (every segment) as a dashed horizontal line and any stricter
    per-segment floor (``floors``: segment -> share) as a black tick over that segment."""
    ok, skipped = split_ok(results)
    segments = items(results.columns, COVERAGE)
    if not segments:
        raise ConfigError("results: no coverage.<segment> column; allowed input is a run's results table")
    strategies = strategy_order(ok)
    palette = strategy_palette(strategy_order(results))
    width = 0.8 / max(len(strategies), 1)
    with theme():
        fig = new_figure(max(6.0, 1.3 * len(segments) + 4.0), 4.2)
        ax = fig.add_subplot()
        x = np.arange(len(segments), dtype=float)
        for i, strategy in enumerate(strategies):
            rec = ok[ok[STRATEGY] == strategy].iloc[0]
            shares = [float(rec[COVERAGE + s]) for s in segments]
            ax.bar(x + (i - (len(strategies) - 1) / 2) * width, shares, width=width * 0.95,
                   color=palette[strategy], label=strategy)
        if fairness_floor is not None:
            ax.axhline(fairness_floor, color="black", linestyle="--", linewidth=1.2,
                       label=f"fairness floor {fairness_floor:.0%}")
        labelled = False
        for i, segment in enumerate(segments):
            floor = (floors or {}).get(segment)
            if floor is not None and (fairness_floor is None or floor > fairness_floor):
                ax.plot([i - 0.45, i + 0.45], [floor, floor], color="black", linewidth=2.2,
                        label=None if labelled else "segment coverage floor")
                labelled = True
        ax.set_xticks(x, segments)
        ax.grid(axis="x", visible=False)
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0))
        ax.set_xlabel("segment")
        ax.set_ylabel("share of segment contacted")
        has_floor = fairness_floor is not None or bool(floors)
        ax.set_title("Coverage by segment against the floors" if has_floor
                     else "Coverage by segment (this scenario sets no coverage floor)")
        fig.legend(loc="outside right upper", frameon=False, fontsize="small")
        footnote(fig, skipped_note(skipped))
    return fig


def binding_heatmap(results: pd.DataFrame) -> Figure:
    """Single run: the constraints that bind, constraint x strategy (1 = binds), one column per
    strategy with a plan; a cell of a strategy that prices the row shows its shadow price ($ per unit
    of the limit). A limit binds when no feasible change of the plan can use more of it, a floor at
    its minimum, and any row with a nonzero price (simcore.evaluate.AuditRow), so the two agree. A
    sweep's shares along an axis are :func:`benchmarks.figures.sweep.binding_vs_axis`."""
    ok, skipped = split_ok(results)
    with theme():
        table = binding_shares(results).pivot_table(index="constraint", columns=STRATEGY, values="share",
                                                    fill_value=0.0)
        # every strategy with a plan gets a column, so "binds nowhere" is visible, not missing
        table = table.reindex(columns=strategy_order(ok)).fillna(0.0)
        fig = new_figure(max(5.0, 0.9 * table.shape[1] + 3.5), 0.35 * max(table.shape[0], 2) + 2.2,
                         constrained=False)  # see tier_heatmap: layout engine after seaborn's draw
        ax = fig.add_subplot()
        if table.empty or not len(table.index):
            ax.text(0.5, 0.5, "no constraint binds for any strategy", ha="center", va="center")
            ax.set_axis_off()
        else:
            prices = ok.set_index(STRATEGY)
            labels = pd.DataFrame([[_cell(table.loc[row, st], prices.loc[st].get(SHADOW + row, np.nan))
                                    for st in table.columns] for row in table.index],
                                  index=table.index, columns=table.columns)
            sns.heatmap(table, ax=ax, vmin=0, vmax=1, cmap="Reds", cbar=False, linewidths=0.5,
                        annot=labels, fmt="", annot_kws={"fontsize": "x-small"})
            ax.set_xlabel("")
            ax.tick_params(axis="x", labelrotation=30)
            ax.tick_params(axis="y", labelrotation=0)
        fig.set_layout_engine("constrained")
        ax.set_title("Binding constraints, with the shadow price where the strategy prices the row ($ per unit)")
        footnote(fig, skipped_note(skipped))
    return fig


def _cell(share: float, price: float) -> str:
    """A binding heatmap cell: 'binds', with the shadow price on a second line where there is one."""
    if share <= 0:
        return ""
    return "binds" if pd.isna(price) else f"binds\n{price:,.2f}"


def _one_row_per_strategy(results: pd.DataFrame, what: str) -> None:
    repeated = results[STRATEGY][results[STRATEGY].duplicated()].unique()
    if len(repeated):
        raise ConfigError(f"{what}: results have several rows for strategy {repeated[0]!r}; allowed: one row per "
                          "strategy (a single run, or one cell of a sweep)")
