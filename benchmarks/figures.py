"""Figures of a run or a sweep: pure functions from data frames to matplotlib Figures, styled with seaborn.

Inputs are the frames a run writes (see ``benchmarks/outputs.py``):

- ``results``: one row per strategy (single run) or per cell x strategy (sweep, with ``replicate``
  and one ``axis.<config path>`` column per swept axis); money columns in dollars.
- ``treatments``: one row per customer x strategy (:func:`treatment_frame`), from
  ``scenario/customers.parquet`` and ``plans/<strategy>.csv``.

Rows whose ``status`` is not ``ok`` (infeasible, not_applicable, solver_error) have no plan and no
KPIs: they are never drawn (never as zeros) and every figure that skips rows says so in a footnote.

Figures are ``matplotlib.figure.Figure`` objects on the non-interactive Agg canvas, built without
pyplot: nothing is registered in pyplot's global figure list (no leaks, no ``plt.close``, no
``plt.show``), no window can open, and the caller's pyplot backend is left alone (a notebook keeps
its inline backend).
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import cm, colors, lines, ticker
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from benchmarks import stats
from simcore.results import BINDING, Status
from simcore.errors import ConfigError

AXIS_PREFIX = "axis."
OK = Status.OK
TREATED_COLOURS = {"treated": "#d95f02", "not treated": "#b3b3b3"}
TIER_ORDER = ("high", "mid", "low")
METRIC_LABELS = {
    "net_value": "true net value ($)",
    "roi": "ROI (true net value per $ spent)",
    "treated": "customers treated",
    "spend": "spend ($)",
}


def new_figure(width: float, height: float, constrained: bool = True) -> Figure:
    """An empty figure (inches) on the Agg canvas; ``constrained``: let matplotlib's constrained
    layout place titles, labels and outside legends."""
    fig = Figure(figsize=(width, height), layout="constrained" if constrained else None)
    FigureCanvasAgg(fig)
    return fig


@contextmanager
def _theme() -> Iterator[None]:
    """seaborn's look for the figure built inside, without changing the caller's global rcParams.
    Mathtext is off: dollar signs in labels ("net value ($) vs budget ($)") are currency, not math."""
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85), \
            matplotlib.rc_context({"text.parse_math": False}):
        yield


# ---------------------------------------------------------------------------------------------
# data preparation (pure, testable: the figures draw exactly these frames)


def axis_columns(results: pd.DataFrame) -> list[str]:
    """The ``axis.<config path>`` columns of a sweep's results, in column order ([] for a single run)."""
    return [c for c in results.columns if c.startswith(AXIS_PREFIX)]


def axis_label(axis: str) -> str:
    """An axis column as an x label with its unit: ``axis.scenario.constraints.budget`` -> ``budget ($)``."""
    name = axis[len(AXIS_PREFIX):] if axis.startswith(AXIS_PREFIX) else axis
    leaf = name.split(".")[-1]
    unit = " ($)" if leaf in ("budget", "cost") or leaf.endswith("_cost") else ""
    return f"{leaf}{unit}  [{name}]" if leaf != name else f"{leaf}{unit}"


def split_ok(results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows with status ok, the other rows). Non-ok rows carry no KPIs and must never be drawn."""
    _require(results, ("strategy", "status"), "results")
    ok = results["status"] == OK
    return results[ok], results[~ok]


def skipped_note(skipped: pd.DataFrame, what: str = "rows") -> str:
    """One line naming the strategies whose rows were left out and why, e.g.
    ``not plotted (no plan, never drawn as zero): nba_rules not_applicable (1 rows)``; '' when
    nothing was skipped."""
    if skipped.empty:
        return ""
    parts = []
    for (strategy, status), group in skipped.groupby(["strategy", "status"], sort=False):
        parts.append(f"{strategy} {status} ({len(group)} {what})")
    return "not plotted (no plan, never drawn as zero): " + "; ".join(parts)


def strategy_order(results: pd.DataFrame) -> list[str]:
    """Strategies in order of first appearance (the config order of the run)."""
    return list(dict.fromkeys(results["strategy"]))


def strategy_palette(strategies: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """One stable colour per strategy, shared by every figure of a report."""
    colours = sns.color_palette("tab10" if len(strategies) <= 10 else "husl", len(strategies))
    return dict(zip(strategies, colours))


def axis_summary(results: pd.DataFrame, axis: str, metric: str, level: float = 0.95) -> pd.DataFrame:
    """Mean and ``level`` Student-t interval of ``metric`` across replicates, per level of ``axis`` x
    strategy (x every level of any other swept axis), from :func:`benchmarks.stats.summarize`.

    Only status-ok rows with a finite metric enter; ``n`` counts them and ``n_skipped`` the rows
    left out (infeasible, not applicable, solver error, or metric undefined such as ROI without spend).
    Returns columns: the axis columns, strategy, n, n_skipped, mean, lo, hi (units of ``metric``).
    """
    _require(results, (axis, metric, "strategy", "status"), "results")
    axes = [axis] + [c for c in axis_columns(results) if c != axis]
    summary = stats.summarize(results, axes, metrics=[metric], level=level)
    out = summary[[*axes, "strategy"]].copy()
    out["n"] = summary[f"{metric}_n"].astype(int)
    out["n_skipped"] = summary["n_rows"].astype(int) - out["n"]
    for part in ("mean", "lo", "hi"):
        out[part] = summary[f"{metric}_{part}"].astype(float)
    return out.reset_index(drop=True)


def binding_shares(results: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Share of status-ok rows in which each constraint binds, per ``by`` level x strategy
    (per strategy only when ``by`` is None, i.e. a single run: the share is then 0 or 1).

    Read from the ``binding.<row>`` columns. Returns columns [by,] strategy, constraint, share
    (0..1), n (ok rows behind the share); a constraint that never binds for a strategy is omitted."""
    _require(results, (by,) if by else (), "results")
    ok, _ = split_ok(results)
    keys = [by, "strategy"] if by else ["strategy"]
    columns = [c for c in ok.columns if c.startswith(BINDING)]
    rows = []
    for key, group in ok.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        flags = group[columns].fillna(False).astype(bool)
        for column in sorted(columns):
            share = float(flags[column].mean())
            if share > 0:
                rows.append({**dict(zip(keys, key)), "constraint": column[len(BINDING):], "share": share,
                             "n": len(group)})
    return pd.DataFrame(rows, columns=[*keys, "constraint", "share", "n"])


def binding_share_matrix(results: pd.DataFrame, axis: str) -> pd.DataFrame:
    """Sweep: :func:`binding_shares` as a matrix. Rows (strategy, constraint): every constraint that
    binds somewhere for a strategy, strategies in config order, constraints sorted; columns: the axis
    levels, sorted. 0 where the strategy has ok replicates and the constraint never binds; NaN where
    the strategy has no ok replicate at that level (no plan, which is not "never binds")."""
    shares = binding_shares(results, axis)
    levels = sorted(results[axis].dropna().unique())
    ok_levels = split_ok(results)[0].groupby("strategy")[axis].unique()
    parts = {}
    for strategy in [s for s in strategy_order(results) if s in set(shares["strategy"])]:
        part = (shares[shares["strategy"] == strategy]
                .pivot_table(index="constraint", columns=axis, values="share", fill_value=0.0)
                .reindex(columns=levels).fillna(0.0))
        part.loc[:, [v for v in levels if v not in set(ok_levels[strategy])]] = np.nan
        parts[strategy] = part.sort_index()
    if not parts:
        return pd.DataFrame(columns=levels, index=pd.MultiIndex.from_arrays([[], []], names=["strategy", "constraint"]))
    return pd.concat(parts, names=["strategy", "constraint"])


def treatment_frame(customers: pd.DataFrame, plans: Mapping[str, pd.DataFrame],
                    actions: pd.DataFrame) -> pd.DataFrame:
    """One row per customer x strategy: the customer's attributes, ``action_id`` (the catalog's
    no-contact action id or 'none' when the plan leaves the customer out) and ``treated`` (contacted:
    an action on a channel other than 'none').

    customers: ``scenario/customers.parquet``; plans: strategy -> ``plans/<strategy>.csv``;
    actions: ``scenario/actions.csv`` (action_id, name, channel, ...)."""
    _require(customers, ("customer_id", "segment", "churn_prob_est", "clv_est", "risk_tier", "value_tier"),
             "customers")
    _require(actions, ("action_id", "name", "channel"), "actions")
    contact = dict(zip(actions["action_id"], actions["channel"] != "none"))
    frames = []
    for strategy, plan in plans.items():
        _require(plan, ("customer_id", "action_id"), f"plans/{strategy}.csv")
        chosen = customers.merge(plan[["customer_id", "action_id"]], on="customer_id", how="left")
        chosen["action_id"] = chosen["action_id"].fillna("none").astype(str)
        chosen["treated"] = chosen["action_id"].map(contact).fillna(False).astype(bool)
        frames.append(chosen.assign(strategy=strategy))
    if not frames:
        return customers.iloc[:0].assign(strategy=pd.Series(dtype=str), action_id=pd.Series(dtype=str),
                                         treated=pd.Series(dtype=bool))
    return pd.concat(frames, ignore_index=True)


def waterfall_frame(results: pd.DataFrame) -> pd.DataFrame:
    """Per status-ok strategy the steps from zero to net value, dollars under the TRUTH:
    retained CLV (+), revenue gain (+), cost (- spend), net value (the total bar).

    Returns columns strategy, step, start, end (bar from start to end), value."""
    _require(results, ("retained_clv", "revenue_gain", "spend", "net_value"), "results")
    ok, _ = split_ok(results)
    rows = []
    for rec in ok.to_dict("records"):
        clv, gain, spend = float(rec["retained_clv"]), float(rec["revenue_gain"]), float(rec["spend"])
        rows += [
            {"strategy": rec["strategy"], "step": "retained CLV", "start": 0.0, "end": clv, "value": clv},
            {"strategy": rec["strategy"], "step": "revenue gain", "start": clv, "end": clv + gain, "value": gain},
            {"strategy": rec["strategy"], "step": "cost", "start": clv + gain, "end": clv + gain - spend,
             "value": -spend},
            {"strategy": rec["strategy"], "step": "net value", "start": 0.0, "end": float(rec["net_value"]),
             "value": float(rec["net_value"])},
        ]
    return pd.DataFrame(rows, columns=["strategy", "step", "start", "end", "value"])


def mix_frame(results: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Customers per contact action per status-ok strategy from the ``mix.<action_id>`` columns.

    Returns columns strategy, action_id, action (display name), customers."""
    _require(actions, ("action_id", "name"), "actions")
    ok, _ = split_ok(results)
    names = dict(zip(actions["action_id"], actions["name"]))
    mix_cols = [c for c in results.columns if c.startswith("mix.")]
    rows = []
    for rec in ok.to_dict("records"):
        for col in mix_cols:
            action_id = col[len("mix."):]
            count = rec[col]
            rows.append({"strategy": rec["strategy"], "action_id": action_id,
                         "action": names.get(action_id, action_id),
                         "customers": 0.0 if pd.isna(count) else float(count)})
    return pd.DataFrame(rows, columns=["strategy", "action_id", "action", "customers"])


# ---------------------------------------------------------------------------------------------
# figures


def metric_vs_axis(results: pd.DataFrame, metric: str, axis: str | None = None, level: float = 0.95) -> Figure:
    """Mean ``metric`` per strategy along a swept axis with its ``level`` interval band across
    replicates (Student-t, :func:`axis_summary`). x = the axis column (log scale if its positive
    levels span more than 10x); one panel per level of any other swept axis.

    results: a sweep's results (``axis.*`` columns, several replicates). ``axis`` defaults to the
    first axis column. Non-ok rows and undefined values (ROI without spend) are left out and named."""
    axis = axis or _first_axis(results)
    summary = axis_summary(results, axis, metric, level)
    others = [c for c in axis_columns(results) if c != axis]
    panels = _panel_keys(summary, others)
    strategies = strategy_order(results)
    palette = strategy_palette(strategies)
    levels = pd.to_numeric(summary[axis], errors="coerce")
    log_x = bool((levels > 0).all() and levels.max() / levels.min() > 10)
    with _theme():
        fig, axs = _grid(len(panels), width=7.5, height=4.2, max_cols=2)
        for ax, (title, part) in zip(axs, panels):
            for strategy in strategies:
                line = part[(part["strategy"] == strategy) & (part["n"] > 0)].sort_values(axis)
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
            label = METRIC_LABELS.get(metric, metric)
            ax.set_ylabel(label)
            heading = f"{label[:1].upper()}{label[1:]} vs {axis_label(axis).split('  ')[0]}"
            subtitle = f"mean and {level:.0%} interval across replicates" + (f"; {title}" if title else "")
            ax.set_title(f"{heading}\n{subtitle}")
            if metric in ("net_value", "spend"):
                ax.yaxis.set_major_formatter(_money_formatter())
        _legend_right(fig, axs)
        _footnote(fig, _sweep_skips(results, metric, axis))
    return fig


def net_value_vs_axis(results: pd.DataFrame, axis: str | None = None, level: float = 0.95) -> Figure:
    """True net value ($) per strategy along the swept axis, with interval bands (see :func:`metric_vs_axis`)."""
    return metric_vs_axis(results, "net_value", axis, level)


def roi_vs_axis(results: pd.DataFrame, axis: str | None = None, level: float = 0.95) -> Figure:
    """ROI (true net value per $ spent) per strategy along the swept axis, with interval bands."""
    return metric_vs_axis(results, "roi", axis, level)


def treated_vs_axis(results: pd.DataFrame, axis: str | None = None, level: float = 0.95) -> Figure:
    """Customers treated (contacted) per strategy along the swept axis, with interval bands."""
    return metric_vs_axis(results, "treated", axis, level)


def net_value_by_strategy(results: pd.DataFrame) -> Figure:
    """Single run: true expected net value ($) per strategy (dot) with the Monte Carlo interval of the
    REALIZED net value (``net_value_mc_lo``..``net_value_mc_hi``) and the estimated net value the
    strategy believed (hollow diamond): the gap between them is the optimizer's curse."""
    _require(results, ("net_value", "net_value_mc_lo", "net_value_mc_hi", "est_net_value"), "results")
    ok, skipped = split_ok(results)
    strategies = strategy_order(ok)
    palette = strategy_palette(strategy_order(results))
    with _theme():
        fig = new_figure(9.0, 0.5 * max(len(strategies), 2) + 1.6)
        ax = fig.add_subplot()
        for y, rec in enumerate(ok.to_dict("records")):
            colour = palette[rec["strategy"]]
            ax.plot([rec["net_value_mc_lo"], rec["net_value_mc_hi"]], [y, y], color=colour, linewidth=3, alpha=0.45)
            ax.plot(rec["net_value"], y, "o", color=colour, markersize=8)
            ax.plot(rec["est_net_value"], y, "D", markerfacecolor="none", markeredgecolor="black", markersize=6)
        ax.set_yticks(range(len(strategies)), strategies)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.8)
        ax.xaxis.set_major_formatter(_money_formatter())
        ax.set_xlabel("net value ($)")
        fig.legend(handles=[
            lines.Line2D([], [], marker="o", color="grey", linestyle="", label="true expected"),
            lines.Line2D([], [], color="grey", linewidth=3, alpha=0.45,
                         label="interval of realized outcomes\n(Monte Carlo, evaluation.level)"),
            lines.Line2D([], [], marker="D", markerfacecolor="none", markeredgecolor="black",
                         linestyle="", label="estimated (what the strategy saw)"),
        ], loc="outside right upper", frameon=False, fontsize="small")
        ax.set_title("Net value per strategy under the true effects")
        _footnote(fig, skipped_note(skipped))
    return fig


def action_mix(results: pd.DataFrame, actions: pd.DataFrame) -> Figure:
    """Customers per contact action per strategy (horizontal stacked bars), from ``mix.*`` columns.
    One row per strategy: filter a sweep's results to one cell first (the mix differs per cell)."""
    _one_row_per_strategy(results, "action_mix")
    ok, skipped = split_ok(results)
    mix = mix_frame(ok, actions)
    strategies = strategy_order(ok)
    colours = action_palette(actions)
    with _theme():
        fig = new_figure(9.0, 0.45 * max(len(strategies), 2) + 1.8)
        ax = fig.add_subplot()
        left = np.zeros(len(strategies))
        table = mix.pivot_table(index="strategy", columns="action_id", values="customers", aggfunc="sum",
                                sort=False).reindex(strategies).fillna(0.0)
        for action_id in [a for a in colours if a in table.columns]:
            widths = table[action_id].to_numpy()
            ax.barh(strategies, widths, left=left, color=colours[action_id], label=_action_name(actions, action_id))
            left += widths
        ax.invert_yaxis()
        ax.set_xlabel("customers contacted")
        ax.set_title("Action mix per strategy")
        fig.legend(loc="outside right upper", frameon=False, fontsize="small", title="action")
        _footnote(fig, skipped_note(skipped))
    return fig


def actions_by_segment(treatments: pd.DataFrame, actions: pd.DataFrame) -> Figure:
    """Customers contacted per segment, stacked by action: one group of segment bars per strategy,
    on one shared axis (one panel keeps the figure fast and the heights comparable).

    treatments: :func:`treatment_frame` (one row per customer x strategy)."""
    _require(treatments, ("strategy", "segment", "action_id", "treated"), "treatments")
    strategies = strategy_order(treatments)
    segments = sorted(treatments["segment"].astype(str).unique())
    colours = action_palette(actions)
    treated = treatments[treatments["treated"]].astype({"segment": str})
    counts = (treated.groupby(["strategy", "segment", "action_id"]).size().unstack(fill_value=0)
              .reindex(pd.MultiIndex.from_product([strategies, segments]), fill_value=0))
    step = len(segments) + 1  # one empty slot between strategy groups
    with _theme():
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
                       label=_action_name(actions, action_id))
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
        handles = [Patch(color=c, label=_action_name(actions, a)) for a, c in colours.items()]
        fig.legend(handles=handles, loc="outside right upper", frameon=False, fontsize="small", title="action")
    return fig


def tier_heatmap(treatments: pd.DataFrame) -> Figure:
    """Share of customers treated in each estimated risk tier x value tier cell, one block of rows
    (risk tiers) per strategy, value tiers as columns, all on one heatmap.
    treatments: :func:`treatment_frame`."""
    _require(treatments, ("strategy", "risk_tier", "value_tier", "treated"), "treatments")
    strategies = strategy_order(treatments)
    risk = _tier_levels(treatments["risk_tier"])
    value = _tier_levels(treatments["value_tier"])[::-1]  # low -> high, left to right
    share = (treatments[treatments["strategy"].isin(strategies)]
             .pivot_table(index=["strategy", "risk_tier"], columns="value_tier", values="treated", aggfunc="mean"))
    index = pd.MultiIndex.from_product([strategies, risk], names=["strategy", "risk_tier"])
    share = share.reindex(index=index, columns=value).astype(float)
    size = (treatments[treatments["strategy"] == strategies[0]].groupby(["risk_tier", "value_tier"]).size()
            if strategies else pd.Series(dtype=float))
    with _theme():
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


def value_waterfall(results: pd.DataFrame) -> Figure:
    """Retained CLV + revenue gain - cost = net value ($, expected under the truth): one small
    waterfall per status-ok strategy side by side on one axis. See :func:`waterfall_frame`."""
    steps = waterfall_frame(results)
    _, skipped = split_ok(results)
    strategies = strategy_order(steps) if len(steps) else []
    colours = {"retained CLV": "#1b9e77", "revenue gain": "#7570b3", "cost": "#d95f02", "net value": "#555555"}
    order = list(colours)
    with _theme():
        fig = new_figure(max(7.0, 1.15 * len(strategies) + 3.0), 4.4)
        ax = fig.add_subplot()
        width = 0.2
        for i, strategy in enumerate(strategies):
            part = steps[steps["strategy"] == strategy].set_index("step").reindex(order)
            for j, step in enumerate(order):
                low, high = sorted((part.loc[step, "start"], part.loc[step, "end"]))
                ax.bar(i + (j - 1.5) * width, high - low, bottom=low, width=width * 0.92, color=colours[step],
                       label=step if i == 0 else None)
        # the net value goes into the tick label: an annotation over the bars would collide with them
        nets = [float(steps[(steps["strategy"] == st) & (steps["step"] == "net value")]["value"].iloc[0])
                for st in strategies]
        ax.set_xticks(range(len(strategies)), [f"{st}\nnet {'-' if v < 0 else ''}${abs(v):,.0f}"
                                               for st, v in zip(strategies, nets)])
        ax.use_sticky_edges = False  # a zero-height step would pin the y limit exactly at a bar's end
        ax.margins(y=0.1)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.grid(axis="x", visible=False)
        ax.yaxis.set_major_formatter(_money_formatter())
        ax.set_ylabel("dollars ($, expected, true effects)")
        # an axes title, not a suptitle: the layout engine can put a figure-level title under an
        # outside legend
        ax.set_title("Value waterfall: retained CLV + revenue gain - cost = net value")
        fig.legend(loc="outside right upper", frameon=False, fontsize="small")
        _footnote(fig, skipped_note(skipped))
    return fig


def churn_clv_scatter(treatments: pd.DataFrame, max_points: int = 3000, seed: int = 0) -> Figure:
    """Estimated churn probability vs estimated CLV ($), coloured treated / not treated, one panel
    per strategy. Large populations are drawn from a sample of ``max_points`` customers (the SAME
    customers in every panel; ``seed`` fixes the sample so the figure is reproducible) to keep
    figures fast and readable; the title says when it is a sample."""
    _require(treatments, ("strategy", "customer_id", "churn_prob_est", "clv_est", "treated"), "treatments")
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
    with _theme():
        fig, axs = _fixed_grid(len(strategies), width=3.4, height=2.7, max_cols=3)
        for ax, strategy in zip(axs, strategies):
            part = treatments[treatments["strategy"] == strategy]
            for label, flag in (("not treated", False), ("treated", True)):  # treated drawn on top
                dots = part[part["treated"] == flag]
                ax.scatter(dots["churn_prob_est"], dots["clv_est"], s=6, alpha=0.6, linewidths=0,
                           color=TREATED_COLOURS[label], rasterized=raster)
            if log_y:
                ax.set_yscale("log")
            ax.set_title(f"{strategy} ({int(part['treated'].sum())} treated)", fontsize="medium")
            ax.yaxis.set_major_formatter(_money_formatter())
            ax.label_outer()  # shared axes: tick labels on the outer panels only (readable, faster)
        fig.supxlabel("churn probability (estimated)", y=0.02, va="bottom")
        fig.supylabel("CLV (estimated, $)" + (", log scale" if log_y else ""), x=0.01, ha="left")
        handles = [Patch(color=c, label=n) for n, c in TREATED_COLOURS.items()]
        fig.legend(handles=handles, loc="upper left", frameon=False, fontsize="small",
                   bbox_to_anchor=(fig.subplotpars.right + 0.01, fig.subplotpars.top))
        sample = f" (random sample of {max_points:,} of {total:,} customers)" if total > max_points else ""
        fig.suptitle(f"Who is treated: estimated churn vs estimated CLV{sample}")
    return fig


def coverage_vs_floor(results: pd.DataFrame, floors: Mapping[str, float] | None = None,
                      fairness_floor: float | None = None) -> Figure:
    """Share of each segment contacted per strategy (``coverage.<segment>`` columns, 0..1) as grouped
    bars, with the fairness floor (every segment) as a dashed horizontal line and any stricter
    per-segment floor (``floors``: segment -> share) as a black tick over that segment."""
    ok, skipped = split_ok(results)
    segments = [c[len("coverage."):] for c in results.columns if c.startswith("coverage.")]
    if not segments:
        raise ConfigError("results: no coverage.<segment> column; allowed input is a run's results table")
    strategies = strategy_order(ok)
    palette = strategy_palette(strategy_order(results))
    width = 0.8 / max(len(strategies), 1)
    with _theme():
        fig = new_figure(max(6.0, 1.3 * len(segments) + 4.0), 4.2)
        ax = fig.add_subplot()
        x = np.arange(len(segments), dtype=float)
        for i, strategy in enumerate(strategies):
            rec = ok[ok["strategy"] == strategy].iloc[0]
            shares = [float(rec[f"coverage.{s}"]) for s in segments]
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
        _footnote(fig, skipped_note(skipped))
    return fig


def binding_heatmap(results: pd.DataFrame, axis: str | None = None) -> Figure:
    """Share of replicates in which each constraint binds (no room for one more unit), constraint x
    axis level, one panel per strategy; for a single run (``axis`` None and no axis column)
    one panel, constraint x strategy (1 = binds)."""
    axis = axis if axis is not None else (axis_columns(results)[0] if axis_columns(results) else None)
    ok, skipped = split_ok(results)
    with _theme():
        if axis is None:
            table = binding_shares(results).pivot_table(index="constraint", columns="strategy", values="share", fill_value=0.0)
            # every strategy with a plan gets a column, so "binds nowhere" is visible, not missing
            table = table.reindex(columns=strategy_order(ok)).fillna(0.0)
            fig = new_figure(max(5.0, 0.9 * table.shape[1] + 3.5), 0.35 * max(table.shape[0], 2) + 2.2,
                             constrained=False)  # see tier_heatmap: layout engine after seaborn's draw
            ax = fig.add_subplot()
            if table.empty or not len(table.index):
                ax.text(0.5, 0.5, "no constraint binds for any strategy", ha="center", va="center")
                ax.set_axis_off()
            else:
                sns.heatmap(table, ax=ax, vmin=0, vmax=1, cmap="Reds", cbar=False, linewidths=0.5,
                            annot=table.map(lambda v: "binds" if v > 0 else ""), fmt="")
                ax.set_xlabel("")
                ax.tick_params(axis="x", labelrotation=30)
                ax.tick_params(axis="y", labelrotation=0)
            fig.set_layout_engine("constrained")
            ax.set_title("Binding constraints (no room for one more unit)")
        else:
            matrix = binding_share_matrix(results, axis)
            strategies = list(matrix.index.get_level_values("strategy").unique())
            constraints = sorted(matrix.index.get_level_values("constraint").unique())
            levels = list(matrix.columns)
            fig, axs = _grid(max(len(strategies), 1), width=4.2, height=0.32 * max(len(constraints), 2) + 1.6,
                             max_cols=3, sharey=True)
            for ax, strategy in zip(axs, strategies):
                # every constraint on every panel; a level without any ok replicate stays grey (NaN)
                mine = matrix.loc[strategy]
                table = mine.reindex(index=constraints, fill_value=0.0)
                table.loc[:, mine.columns[mine.isna().all()]] = np.nan
                ax.set_facecolor("#bdbdbd")
                ax.grid(False)
                sns.heatmap(table, ax=ax, vmin=0, vmax=1, cmap="Reds", cbar=False, linewidths=0.3,
                            xticklabels=[level_text(v) for v in levels])
                ax.tick_params(axis="x", labelrotation=90)  # seaborn rotates per panel; 12 levels overlap flat
                ax.tick_params(axis="y", labelrotation=0)
                ax.set_title(strategy, fontsize="medium")
                ax.set_xlabel(axis_label(axis).split("  ")[0])
                ax.set_ylabel("")
            if not strategies:
                axs[0].text(0.5, 0.5, "no constraint binds for any strategy", ha="center", va="center")
                axs[0].set_axis_off()
            mappable = cm.ScalarMappable(colors.Normalize(0, 1), "Reds")
            fig.colorbar(mappable, ax=list(axs), label="share of replicates binding", shrink=0.6,
                         format=ticker.PercentFormatter(1.0))
            fig.suptitle(f"Binding constraints along {axis_label(axis).split('  ')[0]} "
                         "(grey: no ok replicate at that level)")
        _footnote(fig, skipped_note(skipped))
    return fig


def save(fig: Figure, directory: Path, name: str, dpi: int = 110) -> tuple[Path, Path]:
    """Write ``<directory>/<name>.png`` (``dpi``) and ``<name>.pdf``; returns both paths. The
    figure's layout is frozen by the first write (its layout engine is switched off)."""
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ConfigError(f"name = {name!r}: must be a plain file name without a directory or extension")
    directory.mkdir(parents=True, exist_ok=True)
    png, pdf = directory / f"{name}.png", directory / f"{name}.pdf"
    fig.savefig(png, dpi=dpi)
    # the layout computed for the PNG holds for the PDF (positions are in figure fractions);
    # recomputing it would cost up to a third of a many-panel figure's render time
    fig.set_layout_engine("none")
    fig.savefig(pdf)
    return png, pdf


def action_palette(actions: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    """One colour per CONTACT action (channel != 'none'), in catalog order."""
    _require(actions, ("action_id", "channel"), "actions")
    ids = [a for a, c in zip(actions["action_id"], actions["channel"]) if c != "none"]
    return dict(zip(ids, sns.color_palette("Set2" if len(ids) <= 8 else "husl", len(ids))))


# ---------------------------------------------------------------------------------------------
# helpers


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        has = ", ".join(map(str, frame.columns[:12])) + (", ..." if len(frame.columns) > 12 else "")
        raise ConfigError(f"{what}: missing column(s) {', '.join(missing)}; it has {has}")


def _one_row_per_strategy(results: pd.DataFrame, what: str) -> None:
    repeated = results["strategy"][results["strategy"].duplicated()].unique()
    if len(repeated):
        raise ConfigError(f"{what}: results have several rows for strategy {repeated[0]!r}; allowed: one row per "
                          "strategy (a single run, or one cell of a sweep)")


def _first_axis(results: pd.DataFrame) -> str:
    axes = axis_columns(results)
    if not axes:
        raise ConfigError("results: no axis.<config path> column; per-axis figures need a sweep's results")
    return axes[0]


def _panel_keys(summary: pd.DataFrame, others: Sequence[str]) -> list[tuple[str, pd.DataFrame]]:
    """(title, rows) per combination of the other swept axes; one untitled panel when there are none."""
    if not others:
        return [("", summary)]
    panels = []
    for key, part in summary.groupby(list(others), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        panels.append((", ".join(f"{c[len(AXIS_PREFIX):]} = {level_text(v)}" for c, v in zip(others, key)), part))
    return panels


def _grid(n: int, width: float, height: float, max_cols: int, sharey: bool = False) -> tuple[Figure, list[Axes]]:
    """A figure with n panels in rows of at most ``max_cols``; unused cells are removed."""
    cols = min(max(n, 1), max_cols)
    rows = math.ceil(max(n, 1) / cols)
    fig = new_figure(width * cols, height * rows + 0.6)
    grid = fig.subplots(rows, cols, squeeze=False, sharey=sharey)
    axs = list(grid.ravel())
    for ax in axs[max(n, 1):]:
        fig.delaxes(ax)
    return fig, axs[:max(n, 1)]


def _fixed_grid(n: int, width: float, height: float, max_cols: int, margins: tuple[float, float, float, float]
                = (1.0, 1.3, 0.65, 0.75)) -> tuple[Figure, list[Axes]]:
    """Like :func:`_grid` (shared x and y) but with fixed margins in inches (left, right, top,
    bottom) and no layout engine: for many panels a constrained layout is about a third of the time
    a figure takes to render, and the margins a shared-axis grid needs are known in advance."""
    cols = min(max(n, 1), max_cols)
    rows = math.ceil(max(n, 1) / cols)
    left, right, top, bottom = margins
    fig_w, fig_h = width * cols + left + right, height * rows + top + bottom
    fig = new_figure(fig_w, fig_h, constrained=False)
    fig.subplots_adjust(left=left / fig_w, right=1 - right / fig_w, top=1 - top / fig_h, bottom=bottom / fig_h,
                        wspace=0.08, hspace=0.25)
    grid = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    axs = list(grid.ravel())
    for ax in axs[max(n, 1):]:
        fig.delaxes(ax)
    return fig, axs[:max(n, 1)]


def _legend_right(fig: Figure, axs: Sequence[Axes]) -> None:
    """One legend for all panels, outside the plotting area so it never covers data."""
    found: dict[str, object] = {}
    for ax in axs:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            found.setdefault(label, handle)
    handles, labels = list(found.values()), list(found)
    if handles:
        fig.legend(handles, labels, loc="outside right upper", frameon=False,
                   fontsize="small", title="strategy")


def _footnote(fig: Figure, text: str) -> None:
    """A note under the panels. Placed as the figure's supxlabel so the constrained layout makes room
    for it (a plain fig.text would overlap the axes or fall off the canvas)."""
    if text:
        width = int(fig.get_figwidth() * 15)  # about the characters per line at x-small
        fig.supxlabel(_wrap(text, width), x=0.01, ha="left", fontsize="x-small", color="#444444")


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


def _sweep_skips(results: pd.DataFrame, metric: str, axis: str) -> str:
    """Footnote for a per-axis figure: which strategies lost rows, how many and at which levels."""
    bad = results[(results["status"] != OK) | ~np.isfinite(pd.to_numeric(results[metric], errors="coerce"))]
    if bad.empty:
        return ""
    parts = []
    for strategy, group in bad.groupby("strategy", sort=False):
        why = ", ".join(f"{s} x{n}" for s, n in group["status"].where(group["status"] != OK,
                                                                       f"{metric} undefined").value_counts().items())
        levels = sorted(group[axis].dropna().unique())
        where = f" at {level_text(levels[0])}" + (f"..{level_text(levels[-1])}" if len(levels) > 1 else "")
        parts.append(f"{strategy} ({why}{where})")
    return "left out (never drawn as zero): " + "; ".join(parts)


def _money_formatter() -> ticker.Formatter:
    """Dollar tick labels: $1,500 and -$250 (one instance per axis: a formatter belongs to its axis)."""
    return ticker.FuncFormatter(lambda v, _: f"-${-v:,.0f}" if v < 0 else f"${v:,.0f}")


def level_text(value: object) -> str:
    """An axis level as a label: 1,000 for whole numbers, the value itself otherwise."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return str(value)


def _action_name(actions: pd.DataFrame, action_id: str) -> str:
    names = dict(zip(actions["action_id"], actions["name"]))
    return str(names.get(action_id, action_id))


def _tier_levels(values: pd.Series) -> list[str]:
    """Tier labels in a readable order (high, mid, low first), any unknown label after them."""
    present = [str(v) for v in values.dropna().unique()]
    return [t for t in TIER_ORDER if t in present] + sorted(t for t in present if t not in TIER_ORDER)
