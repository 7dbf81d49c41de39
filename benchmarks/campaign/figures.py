"""A campaign's figures (matplotlib Figures on the Agg canvas, the report's style: benchmarks.figures.style).

- :func:`cumulative_value`: per strategy, cumulative true net value and cumulative regret over the
  periods, mean across replicates with its Student-t band; one row of panels per axis level;
- :func:`uplift_vs_truth`: one strategy's pooled uplift estimate with its interval, period by period,
  beside the true value of the same estimand, one panel per action (replicate 0, first axis level);
- :func:`uplift_error`: per strategy, mean absolute error of the action-level estimates and the share
  of intervals covering the truth, per period (all replicates);
- :func:`holdout_value`: per strategy, the value forgone by the holdout against the value of what it
  learned (a learner's cumulative value minus its baseline's), with intervals;
- :func:`ope_vs_truth`: off-policy estimates against the true value, per target, by estimator.
Rows of periods a strategy could not plan are part of its campaign (nobody contacted); strategies
without any ok period are left out and named in a footnote.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from benchmarks.campaign.loop import PERIOD
from benchmarks.campaign.tables import action_rows, period_bands
from benchmarks.figures.style import footnote, grid, legend_right, money_formatter, strategy_palette, theme
from benchmarks.frames import facets, strategy_order
from simcore.results import STATUS, STRATEGY, Status


def cumulative_value(periods: pd.DataFrame, axes: Sequence[str], reference: str, level: float = 0.95) -> Figure:
    """Cumulative true net value and cumulative regret per strategy over the periods (module docstring)."""
    strategies = strategy_order(periods)
    palette = strategy_palette(strategies)
    active = periods.groupby(STRATEGY)[STATUS].apply(lambda s: (s == Status.OK).any())
    levels = facets(periods, list(axes), list(axes))
    with theme():
        fig, axs = grid(2 * len(levels), width=6.5, height=4.0, max_cols=2)
        for i, (title, part) in enumerate(levels):
            for ax, column, label in ((axs[2 * i], "cum_net_value", "cumulative true net value ($)"),
                                      (axs[2 * i + 1], "cum_regret", f"cumulative regret vs {reference} ($)")):
                bands = period_bands(part, column, [], level)
                for strategy in strategies:
                    line = bands[bands[STRATEGY] == strategy].sort_values(PERIOD)
                    if line.empty or not active.get(strategy, False) or line["mean"].isna().all():
                        continue
                    ax.plot(line[PERIOD], line["mean"], marker="o", markersize=3, color=palette[strategy], label=strategy)
                    ax.fill_between(line[PERIOD], line["lo"], line["hi"], color=palette[strategy], alpha=0.15, linewidth=0)
                ax.set_xlabel("period")
                ax.set_ylabel(label)
                ax.yaxis.set_major_formatter(money_formatter())
                ax.set_title(f"{label[:1].upper()}{label[1:]}\nmean and {level:.0%} interval across replicates"
                             + (f"; {title}" if title else ""))
        legend_right(fig, axs)
        skipped = [s for s in strategies if not active.get(s, False)]
        footnote(fig, f"not drawn (no period with a plan): {', '.join(skipped)}" if skipped else "")
    return fig


def uplift_vs_truth(uplift: pd.DataFrame, strategy: str, axes: Sequence[str]) -> Figure:
    """One strategy's action-level estimates with intervals and the truth, per period (replicate 0 at
    the first axis level)."""
    rows = action_rows(uplift)
    rows = rows[(rows[STRATEGY] == strategy) & (rows["replicate"] == rows["replicate"].min())]
    for axis in axes:
        rows = rows[rows[axis] == rows[axis].iloc[0]] if not rows.empty else rows
    actions = list(dict.fromkeys(rows["action_id"]))
    with theme():
        fig, axs = grid(max(len(actions), 1), width=4.2, height=3.4, max_cols=3, sharey=True)
        for ax, action in zip(axs, actions):
            line = rows[rows["action_id"] == action].sort_values(PERIOD)
            ax.fill_between(line[PERIOD], line["ci_lo"], line["ci_hi"], color="#4c72b0", alpha=0.2, linewidth=0,
                            label="interval")
            ax.plot(line[PERIOD], line["estimate"], marker="o", markersize=3, color="#4c72b0", label="estimate")
            ax.plot(line[PERIOD], line["truth"], linestyle="--", color="black", label="truth")
            ax.axhline(0, color="#999999", linewidth=0.6)
            ax.set_title(f"{action}\n(held out: {int(line['n_holdout'].iloc[-1])} by the last period)")
            ax.set_xlabel("period")
            ax.set_ylabel("churn reduction (holdout - treated)")
        legend_right(fig, axs)
        footnote(fig, f"{strategy}, replicate 0: the pooled estimate after each period of the average reduction of "
                 "churn probability among the customers it gave the action, with its interval, beside the true value "
                 "of that estimand." if actions else f"{strategy} has no estimate to draw")
    return fig


def uplift_error(accuracy_rows: pd.DataFrame, level: float) -> Figure:
    """Per strategy and period over replicates (action-level rows of every axis level): mean absolute
    error and the interval coverage."""
    rows = action_rows(accuracy_rows).assign(error=lambda d: (d["estimate"] - d["truth"]).abs(),
                                              covered=lambda d: d["covered"].astype(float))
    per = rows.groupby([STRATEGY, PERIOD], sort=False)[["error", "covered"]].mean().reset_index()
    strategies = strategy_order(rows)
    palette = strategy_palette(strategies)
    with theme():
        fig, axs = grid(2, width=6.0, height=3.8, max_cols=2)
        for strategy in strategies:
            line = per[per[STRATEGY] == strategy].sort_values(PERIOD)
            axs[0].plot(line[PERIOD], line["error"], marker="o", markersize=3, color=palette[strategy], label=strategy)
            axs[1].plot(line[PERIOD], line["covered"], marker="o", markersize=3, color=palette[strategy], label=strategy)
        axs[1].axhline(level, linestyle="--", color="black", linewidth=0.8)
        axs[0].set_ylabel("mean |estimate - truth|")
        axs[1].set_ylabel("share of intervals covering the truth")
        axs[1].set_ylim(0, 1.02)
        for ax, title in zip(axs, ("Error of the pooled uplift estimates", f"Coverage (dashed: nominal {level:.0%})")):
            ax.set_xlabel("period")
            ax.set_title(f"{title}\naction level, mean over actions and replicates")
        legend_right(fig, axs)
    return fig


def holdout_value(summary: pd.DataFrame, axes: Sequence[str]) -> Figure:
    """Per strategy (one panel per axis level): value forgone by the holdout vs value of what it learned."""
    levels = facets(summary, list(axes), list(axes))
    with theme():
        fig, axs = grid(len(levels), width=8.0, height=4.0, max_cols=1)
        for ax, (title, part) in zip(axs, levels):
            x = np.arange(len(part))
            forgone, info = part["cum_forgone_mean"].to_numpy(float), part.get("info_value_mean")
            err = np.abs(np.vstack([forgone - part["cum_forgone_lo"], part["cum_forgone_hi"] - forgone]))
            ax.bar(x - 0.2, forgone, 0.4, yerr=np.nan_to_num(err), color="#dd8452", label="value forgone by the holdout")
            if info is not None:
                info = info.to_numpy(float)
                err = np.abs(np.vstack([info - part["info_value_lo"], part["info_value_hi"] - info]))
                ax.bar(x + 0.2, np.nan_to_num(info), 0.4, yerr=np.nan_to_num(err), color="#55a868",
                       label="value of what it learned (vs its baseline)")
            ax.axhline(0, color="black", linewidth=0.6)
            ax.set_xticks(x, part[STRATEGY], rotation=30, ha="right")
            ax.set_ylabel("cumulative true value ($)")
            ax.yaxis.set_major_formatter(money_formatter())
            ax.set_title("What the holdout costs and what it earns\nmean and interval across replicates"
                         + (f"; {title}" if title else ""))
            ax.legend(loc="best", fontsize="small")
    return fig


def ope_vs_truth(ope: pd.DataFrame) -> Figure:
    """Off-policy estimate against the true value per (logger, period, replicate), one panel per
    target, coloured by estimator, with the diagonal."""
    targets = list(dict.fromkeys(ope["target"]))
    colours = {"ipw": "#4c72b0", "dr": "#55a868", "dm": "#c44e52"}
    with theme():
        fig, axs = grid(len(targets), width=4.5, height=4.0, max_cols=3)
        for ax, target in zip(axs, targets):
            part = ope[ope["target"] == target]
            for estimator, colour in colours.items():
                mine = part[part["estimator"] == estimator]
                ax.scatter(mine["truth"], mine["estimate"], s=6, alpha=0.4, color=colour, label=estimator)
            lo, hi = np.nanmin(part[["truth"]].to_numpy()), np.nanmax(part[["truth"]].to_numpy())
            ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.8)
            ax.set_title(f"target {target}\nsupport {part['support'].mean():.0%} of its treated customers")
            ax.set_xlabel("true net value ($)")
            ax.set_ylabel("off-policy estimate ($)")
        legend_right(fig, axs)
        footnote(fig, "One point per logging strategy, period and replicate; 'self' is the logger's own plan. "
                 "The diagonal is a perfect estimate.")
    return fig
