"""Per-customer figures of one plan set: who each strategy contacts, by segment, by risk x value
tier, and on the estimated churn x CLV plane.

treatments: :func:`benchmarks.frames.treatment_frame`, one row per customer x strategy with the
customer's attributes, ``action_id`` and ``treated``; only strategies that produced a plan appear.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from benchmarks.figures.style import (TREATED_COLOURS, action_name, action_palette, fixed_grid, money_formatter,
                                      new_figure, theme)
from benchmarks.frames import require_columns, strategy_order, tier_levels
from simcore.errors import ConfigError
from simcore.results import STRATEGY


def actions_by_segment(treatments: pd.DataFrame, actions: pd.DataFrame) -> Figure:
    """Customers contacted per segment, stacked by action: one group of segment bars per strategy,
    on one shared axis (one panel keeps the figure fast and the heights comparable).

    treatments: :func:`treatment_frame` (one row per customer x strategy)."""
    require_columns(treatments, (STRATEGY, "segment", "action_id", "treated"), "treatments")
    strategies = strategy_order(treatments)
    segments = sorted(treatments["segment"].astype(str).unique())
    colours = action_palette(actions)
    treated = treatments[treatments["treated"]].astype({"segment": str})
    counts = (treated.groupby([STRATEGY, "segment", "action_id"]).size().unstack(fill_value=0)
              .reindex(pd.MultiIndex.from_product([strategies, segments]), fill_value=0))
    step = len(segments) + 1  # one empty slot between strategy groups
    with theme():
        fig = new_figure(max(7.0, 0.32 * step * len(strategies) + 3.0), 4.6)
        ax = fig.add_subplot()
        positions = {(st, sg): i * step + j for i, st in enumerate(strategies) for j, sg in enumerate(segments)}
        x = np.array(list(positions.values()), float)
        bottom = np.zeros(len(x))
        for action_id in colours:
            heights = (counts[action_id].to_numpy(float) if action_id in counts.columns
                       else np.zeros(len(x)))  # counts rows are in the positions' order
            if heights.any():
                ax.bar(x, heights, bottom=bottom, width=0.85, color=colours[action_id],
                       label=action_name(actions, action_id))
            bottom += heights
        ax.set_xticks(x, [sg for _, sg in positions], rotation=90, fontsize="small")
        top = max(float(bottom.max()), 1.0) * 1.12
        ax.set_ylim(0, top)
        for i, strategy in enumerate(strategies):
            centre = i * step + (len(segments) - 1) / 2
            ax.text(centre, top * 0.985, strategy, ha="center", va="top", fontsize="small", fontweight="bold")
            if i:
                ax.axvline(i * step - 1, color="#cccccc", linewidth=0.8)
        ax.set_xlim(-1, len(strategies) * step - 1)
        ax.grid(axis="x", visible=False)
        ax.set_ylabel("customers contacted")
        ax.set_title("Actions by segment: customers contacted per segment and strategy, by action")
        handles = [Patch(color=c, label=action_name(actions, a)) for a, c in colours.items()]
        fig.legend(handles=handles, loc="outside right upper", frameon=False, fontsize="small", title="action")
    return fig


def tier_heatmap(treatments: pd.DataFrame) -> Figure:
    """Share of customers treated in each estimated risk tier x value tier cell, one block of rows
    (risk tiers) per strategy, value tiers as columns, all on one heatmap.
    treatments: :func:`treatment_frame`."""
    require_columns(treatments, (STRATEGY, "risk_tier", "value_tier", "treated"), "treatments")
    strategies = strategy_order(treatments)
    risk = tier_levels(treatments["risk_tier"])
    value = tier_levels(treatments["value_tier"])[::-1]  # low -> high, left to right
    share = (treatments[treatments[STRATEGY].isin(strategies)]
             .pivot_table(index=[STRATEGY, "risk_tier"], columns="value_tier", values="treated", aggfunc="mean"))
    index = pd.MultiIndex.from_product([strategies, risk], names=[STRATEGY, "risk_tier"])
    share = share.reindex(index=index, columns=value).astype(float)
    size = (treatments[treatments[STRATEGY] == strategies[0]].groupby(["risk_tier", "value_tier"]).size()
            if strategies else pd.Series(dtype=float))
    with theme():
        # seaborn draws the whole figure once inside heatmap() (to test label overlap); without a
        # layout engine that draw is cheap, and the constrained layout is switched on afterwards
        fig = new_figure(6.2, 0.42 * len(share) + 1.6, constrained=False)
        ax = fig.add_subplot()
        counts = [int(size[:, v].sum()) if v in size.index.get_level_values(1) else 0 for v in value]
        sns.heatmap(share, ax=ax, vmin=0, vmax=1, cmap="Blues", annot=True, fmt=".0%", linewidths=0.5,
                    cbar=False, annot_kws={"fontsize": "small"},
                    xticklabels=[f"{v}\n({n} cust.)" for v, n in zip(value, counts)],
                    yticklabels=[f"{st} | {rk} risk" for st, rk in share.index])
        for i in range(1, len(strategies)):
            ax.axhline(i * len(risk), color="white", linewidth=3)
        fig.set_layout_engine("constrained")  # before the colorbar, which the layout then places
        fig.colorbar(ax.collections[0], ax=ax, label="share treated", shrink=0.6,
                     format=ticker.PercentFormatter(1.0))
        ax.tick_params(axis="y", labelrotation=0)
        ax.set_xlabel("value tier (estimated CLV tertile)")
        ax.set_ylabel("strategy | risk tier (est. churn)")
        ax.set_title("Share of customers treated by risk tier x value tier")
    return fig


def churn_clv_scatter(treatments: pd.DataFrame, max_points: int = 3000, seed: int = 0) -> Figure:
    """Estimated churn probability vs estimated CLV ($), coloured treated / not treated, one panel
    per strategy. Large populations are drawn from a sample of ``max_points`` customers (the SAME
    customers in every panel; ``seed`` fixes the sample so the figure is reproducible) to keep
    figures fast and readable; the title says when it is a sample."""
    require_columns(treatments, (STRATEGY, "customer_id", "churn_prob_est", "clv_est", "treated"), "treatments")
    if max_points < 1:
        raise ConfigError(f"max_points = {max_points!r}: must be >= 1")
    strategies = strategy_order(treatments)
    ids = treatments["customer_id"].drop_duplicates()
    total = len(ids)
    if total > max_points:
        keep = set(ids.sample(max_points, random_state=np.random.default_rng(seed)))
        treatments = treatments[treatments["customer_id"].isin(keep)]
    clv = treatments["clv_est"].to_numpy(float)
    log_y = bool(len(clv) and (clv > 0).all() and clv.max() / clv.min() > 100)
    # thousands of vector markers make a slow, heavy PDF; below that, vectors are cheaper than an image
    raster = treatments["customer_id"].nunique() > 1000
    with theme():
        fig, axs = fixed_grid(len(strategies), width=3.4, height=2.7, max_cols=3)
        for ax, strategy in zip(axs, strategies):
            part = treatments[treatments[STRATEGY] == strategy]
            for label, flag in (("not treated", False), ("treated", True)):  # treated drawn on top
                dots = part[part["treated"] == flag]
                ax.scatter(dots["churn_prob_est"], dots["clv_est"], s=6, alpha=0.6, linewidths=0,
                           color=TREATED_COLOURS[label], rasterized=raster)
            if log_y:
                ax.set_yscale("log")
            ax.set_title(f"{strategy} ({int(part['treated'].sum())} treated)", fontsize="medium")
            ax.yaxis.set_major_formatter(money_formatter())
            ax.label_outer()  # shared axes: tick labels on the outer panels only (readable, faster)
        fig.supxlabel("churn probability (estimated)", y=0.02, va="bottom")
        fig.supylabel("CLV (estimated, $)" + (", log scale" if log_y else ""), x=0.01, ha="left")
        handles = [Patch(color=c, label=n) for n, c in TREATED_COLOURS.items()]
        fig.legend(handles=handles, loc="upper left", frameon=False, fontsize="small",
                   bbox_to_anchor=(fig.subplotpars.right + 0.01, fig.subplotpars.top))
        sample = f" (random sample of {max_points:,} of {total:,} customers)" if total > max_points else ""
        fig.suptitle(f"Who is treated: estimated churn vs estimated CLV{sample}")
    return fig
