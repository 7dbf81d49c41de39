"""The tables the dashboard's pages show: pure functions from what a run left on disk (results,
audit, plans; see :mod:`benchmarks.report.load`) to display frames. The report's own tables
(:mod:`benchmarks.report.tables`, :func:`benchmarks.outputs.comparison_table`) are reused as they are,
so a page and the report never disagree; what is new here is comparing two runs.

Only status-ok rows carry values: the others are named, never counted as zeros.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from benchmarks import stats
from benchmarks.dashboard.discover import RunEntry
from benchmarks.frames import axis_path, axis_summary, level_text, mix_frame, split_ok, strategy_order
from benchmarks.outputs import money
from benchmarks.report.load import PlanData
from benchmarks.report.tables import interval, number
from simcore.results import STATUS, STRATEGY, Status

# the metrics of a sweep the pages summarize (every one in results.parquet): dollars, a ratio, a count
SWEEP_METRICS = ("net_value", "est_net_value", "roi", "est_roi", "treated", "spend")
# (label, column under the truth, column under the estimates): the truth / estimate toggle
METRICS = {"net value $": ("net_value", "est_net_value"), "ROI": ("roi", "est_roi"),
           "customers treated": ("treated", "treated")}


def runs_table(entries: Sequence[RunEntry]) -> pd.DataFrame:
    """One row per run found: kind, world, seeds, date, commit, strategies, axes and where it is."""
    return pd.DataFrame([{"kind": e.kind, "world": e.world, "seeds": e.seeds, "date": e.date,
                          "commit": e.commit or "no report", "strategies": ", ".join(e.strategies),
                          "axes": ", ".join(e.axes), "directory": str(e.path)} for e in entries],
                        columns=["kind", "world", "seeds", "date", "commit", "strategies", "axes", "directory"])


def binding_audit(plan: PlanData) -> pd.DataFrame:
    """Per strategy, the rows of its audit that bind, are broken, or carry a shadow price: used,
    sense and limit, slack, violation and the shadow price ($ per unit of the limit; blank for a
    strategy that prices no rows). From the run's audit.csv."""
    audit = plan.audit
    if audit.empty:
        return pd.DataFrame(columns=["strategy", "constraint", "used", "limit", "slack", "binding", "violation",
                                     "shadow price $/unit"])
    price = audit["shadow_price"] if "shadow_price" in audit else pd.Series(float("nan"), index=audit.index)
    keep = audit["binding"].astype(bool) | (audit["violation"] > 0) | (price.fillna(0).abs() > 1e-9)
    rows = audit[keep & (audit["name"] != "eligibility") | (audit["violation"] > 0)]
    return pd.DataFrame({
        "strategy": rows[STRATEGY], "constraint": rows["name"], "used": rows["used"].map(lambda v: number(v, 2)),
        "limit": [f"{s} {number(v, 2)} {u}" for s, v, u in zip(rows["sense"], rows["limit"], rows["unit"])],
        "slack": rows["slack"].map(lambda v: number(v, 2)), "binding": rows["binding"].map(bool),
        "violation": rows["violation"].map(lambda v: number(v, 2)),
        "shadow price $/unit": price[rows.index].map(lambda v: number(v, 3)),
    }).reset_index(drop=True)


def action_mix(plan: PlanData) -> pd.DataFrame:
    """Customers per action (rows) and status-ok strategy (columns), from the ``mix.*`` columns."""
    mix = mix_frame(plan.results, plan.actions)
    if mix.empty:
        return pd.DataFrame()
    table = mix.pivot_table(index="action", columns=STRATEGY, values="customers", aggfunc="sum", sort=False)
    return table[[s for s in strategy_order(mix) if s in table.columns]].astype(int)


def compare_singles(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Two single runs' results side by side per strategy: true and estimated net value, treated and
    spend in A and B, and B - A (dollars). A strategy without an ok row in a run shows its status."""
    rows = []
    for strategy in dict.fromkeys([*strategy_order(a), *strategy_order(b)]):
        ra, rb = _row(a, strategy), _row(b, strategy)
        row = {"strategy": strategy}
        for label, column in (("net value (true) $", "net_value"), ("est. net value $", "est_net_value"),
                              ("treated", "treated"), ("spend $", "spend")):
            va, vb = _value(ra, column), _value(rb, column)
            row[f"{label} A"], row[f"{label} B"] = _shown(ra, va), _shown(rb, vb)
            if column != "treated":
                row[f"{label} B - A"] = money(vb - va) if ra is not None and rb is not None else ""
        rows.append(row)
    return pd.DataFrame(rows)


def compare_sweeps(a: pd.DataFrame, b: pd.DataFrame, level: float = 0.95,
                   metric: str = "net_value") -> pd.DataFrame:
    """Two replicated sweeps over the same axes: per strategy of both and per axis level, the paired
    difference B - A of ``metric`` within each replicate (the same replicate index is the same seeded
    world and outcome draws when both sweeps share the seed), its mean and Student-t interval across
    replicates (:func:`benchmarks.stats.paired_differences`), and a verdict. Raises ValueError when the
    sweeps have different axes or no replicates."""
    axes = [c for c in a.columns if c.startswith("axis.")]
    if axes != [c for c in b.columns if c.startswith("axis.")] or "replicate" not in a or "replicate" not in b:
        raise ValueError("the two sweeps do not share their axes and replicates, so they cannot be paired")
    rows = []
    for strategy in [s for s in strategy_order(a) if s in set(b[STRATEGY])]:
        both = pd.concat([a[a[STRATEGY] == strategy].assign(**{STRATEGY: "A"}),
                          b[b[STRATEGY] == strategy].assign(**{STRATEGY: "B"})], ignore_index=True)
        diffs = stats.paired_differences(both, axes, reference="A", metrics=(metric,), level=level)
        for rec in diffs.to_dict("records"):
            lo, hi = rec[f"{metric}_diff_lo"], rec[f"{metric}_diff_hi"]
            verdict = ("no pairs" if rec["n_pairs"] == 0 else "too few pairs" if pd.isna(lo)
                       else "B higher" if lo > 0 else "B lower" if hi < 0 else "no clear difference")
            rows.append({**{axis_path(x): level_text(rec[x]) for x in axes}, "strategy": strategy,
                         "pairs": int(rec["n_pairs"]), "B - A $": money(rec[f"{metric}_diff_mean"]),
                         f"{level:.0%} interval $": interval(lo, hi), "verdict": verdict})
    return pd.DataFrame(rows)


def sweep_summary(results: pd.DataFrame, axes: Sequence[str], level: float) -> pd.DataFrame:
    """:func:`benchmarks.stats.summarize` of :data:`SWEEP_METRICS` (those the table has) over every axis."""
    metrics = [m for m in SWEEP_METRICS if m in results.columns]
    return stats.summarize(results, list(axes), metrics=metrics, level=level)


def metric_along(results: pd.DataFrame, summary: pd.DataFrame, axis: str, metric: str,
                 level: float) -> pd.DataFrame:
    """Mean and interval of ``metric`` per level of ``axis`` x strategy x other axes' levels
    (:func:`benchmarks.frames.axis_summary`, from the page's one ``summary``)."""
    return axis_summary(results, axis, metric, level, summary)


def grid(table: pd.DataFrame, axis: str, strategies: Sequence[str], digits: int = 0) -> pd.DataFrame:
    """The axis x strategy grid of one metric: rows the levels of ``axis``, columns the strategies,
    cells "mean [lo, hi]" (n ok replicates where fewer than all); ``table`` from :func:`metric_along`
    restricted to one combination of the other axes."""
    out = pd.DataFrame(index=[level_text(v) for v in sorted(table[axis].unique())])
    for strategy in strategies:
        mine = table[table[STRATEGY] == strategy].sort_values(axis)
        out[strategy] = [_cell(r, digits) for r in mine.to_dict("records")] if len(mine) else ""
    return out.rename_axis(axis_path(axis))


def frontier(summary: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """Per strategy and grid point: mean actual spend, mean true and mean estimated net value
    (dollars, ok replicates only): the value each strategy buys with what it really spends."""
    needed = {"spend_mean", "net_value_mean", "est_net_value_mean"}
    if not needed <= set(summary.columns):
        return pd.DataFrame(columns=[STRATEGY, "spend", "net value (true)", "net value (estimate)"])
    mine = summary[summary[STRATEGY].isin(strategies) & summary["n_ok"].gt(0)]
    out = pd.DataFrame({STRATEGY: mine[STRATEGY], "spend": mine["spend_mean"],
                        "net value (true)": mine["net_value_mean"],
                        "net value (estimate)": mine["est_net_value_mean"]})
    order = {s: i for i, s in enumerate(strategies)}  # the legend keeps the run's strategy order
    return out.sort_values([STRATEGY, "spend"], key=lambda c: c.map(order) if c.name == STRATEGY else c)


def not_ok(results: pd.DataFrame) -> pd.DataFrame:
    """Rows without a plan (infeasible, not applicable, errors), counted per strategy and status with
    the first reason: what every chart leaves out."""
    _, rest = split_ok(results)
    if rest.empty:
        return pd.DataFrame(columns=["strategy", "status", "rows", "reason"])
    return (rest.groupby([STRATEGY, STATUS], sort=False)
            .agg(rows=(STATUS, "size"), reason=("reason", "first")).reset_index())


def _row(results: pd.DataFrame, strategy: str) -> dict[str, object] | None:
    hit = results[(results[STRATEGY] == strategy) & (results[STATUS] == Status.OK)]
    return hit.iloc[0].to_dict() if len(hit) else None


def _value(row: dict[str, object] | None, column: str) -> float:
    return float(row[column]) if row is not None and column in row and not pd.isna(row[column]) else float("nan")


def _shown(row: dict[str, object] | None, value: float) -> str:
    return "no plan" if row is None else money(value)


def _cell(rec: dict[str, object], digits: int) -> str:
    if not rec["n"]:
        return "no plan"
    text = number(rec["mean"], digits)
    if not pd.isna(rec["lo"]):
        text += f" [{number(rec['lo'], digits)}, {number(rec['hi'], digits)}]"
    return text + (f" (n={rec['n']})" if rec["n_skipped"] else "")
