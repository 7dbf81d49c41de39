"""The report's tables: pure functions from a run's frames to display frames (every cell a
string, formatted for reading), and the sweep statistics they and the figures share.

Only status-ok rows carry values; the other rows are counted and named, never averaged in as zeros.
A sweep's tables keep every swept axis as a column: nothing is averaged across an axis.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

import numpy as np

from benchmarks import stats
from benchmarks.frames import axis_path, binding_share_matrix, level_text, row_unit, split_ok
from benchmarks.outputs import comparison_table, money
from simcore.results import (BINDING, COVERAGE, NOTE, REASON, SEED, SHADOW, SHARE, STATUS, STRATEGY, VIOLATION,
                             Status, flagged, items)

# the metrics a sweep report summarizes: dollars (net_value, spend), a ratio (roi) and a count of
# customers contacted (treated); its figures draw the first three. Results written since the
# attainable value and the curse exist also give the OPTIONAL ones (the curse figure, the share column).
SUMMARY_METRICS = ("net_value", "roi", "treated", "spend")
OPTIONAL_METRICS = ("est_net_value", "optimizer_curse", SHARE)
ATTAINABLE_COLUMN = "share of attainable"
# what the binding table prices: +$50 of a $ limit, +10 contacts of a count limit
PRICE_STEPS = {"$": 50.0, "contacts": 10.0}


@dataclass(frozen=True)
class SweepStats:
    """A sweep's statistics, computed once per report and shared by its tables and figures.

    summary: :func:`benchmarks.stats.summarize` of SUMMARY_METRICS over every axis column, one row
    per (axis levels..., strategy), Student-t intervals at ``level``; reference: the strategy the
    paired differences are taken against."""

    axes: list[str]
    reference: str
    level: float
    summary: pd.DataFrame


def sweep_stats(results: pd.DataFrame, axes: list[str], reference: str, level: float) -> SweepStats:
    """The one ``stats.summarize`` of a sweep report (see :class:`SweepStats`): SUMMARY_METRICS and
    the OPTIONAL_METRICS the results have."""
    metrics = [*SUMMARY_METRICS, *(m for m in OPTIONAL_METRICS if m in results.columns)]
    return SweepStats(axes, reference, level, stats.summarize(results, axes, metrics=metrics, level=level))


def sweep_summary(results: pd.DataFrame, sweep: SweepStats) -> pd.DataFrame:
    """Per axis levels x strategy: ok replicates of all run, mean true net value ($) with its
    Student-t interval across replicates, mean ROI, treated and spend, the share of ok replicates
    whose plan meets every constraint (when results have ``feasible``) and the mean share of the
    attainable value (estimated net value / the certified bound of the same problem, when results
    have ``share_of_attainable``)."""
    keys = [*sweep.axes, STRATEGY]
    feasible = (results[results[STATUS] == Status.OK].assign(feasible=lambda d: d["feasible"].astype(bool))
                .groupby(keys, sort=False)["feasible"].mean() if "feasible" in results.columns else None)
    rows = []
    for rec in sweep.summary.to_dict("records"):
        skipped = ", ".join(f"{rec[f'n_{s}']} {s}" for s in stats.STATUSES if s != Status.OK and rec[f"n_{s}"])
        rows.append({**_axis_cells(rec, sweep.axes), "strategy": rec[STRATEGY],
                     "ok / replicates": f"{rec['n_ok']} / {rec['n_rows']}" + (f" ({skipped})" if skipped else ""),
                     "net value (true) $": money(rec["net_value_mean"]),
                     f"{sweep.level:.0%} interval $": interval(rec["net_value_lo"], rec["net_value_hi"]),
                     "ROI": number(rec["roi_mean"], 2), "treated": number(rec["treated_mean"], 1),
                     "spend $": money(rec["spend_mean"]),
                     **({"feasible": percent(feasible.get(tuple(rec[k] for k in keys)))}
                        if feasible is not None else {}),
                     **({ATTAINABLE_COLUMN: percent(rec[f"{SHARE}_mean"])} if f"{SHARE}_mean" in rec else {})})
    return pd.DataFrame(rows)


def report_comparison(results: pd.DataFrame) -> pd.DataFrame:
    """The single run's comparison (:func:`benchmarks.outputs.comparison_table`, one row per strategy in
    results order) with the share of the attainable value after the estimated net value: each plan's
    estimated net value over the tightest certified upper bound of the same constrained problem
    (``share_of_attainable``; above 100% only for a plan that breaks a constraint)."""
    table = comparison_table(results)
    if SHARE not in results.columns:
        return table
    shares = [percent(v) if s == Status.OK else "" for v, s in zip(results[SHARE], results[STATUS])]
    after = list(table.columns).index("est. net value") + 1 if "est. net value" in table.columns else len(table.columns)
    table.insert(after, ATTAINABLE_COLUMN, shares)
    return table


def paired_table(results: pd.DataFrame, sweep: SweepStats) -> pd.DataFrame:
    """Paired difference of true net value ($) against the reference within each replicate, mean
    and Student-t interval across replicates per axis levels (:func:`benchmarks.stats.paired_differences`;
    only replicates where both rows are status ok are pairs)."""
    pair_on = "replicate" if "replicate" in results.columns else SEED
    diffs = stats.paired_differences(results, sweep.axes, sweep.reference, metrics=("net_value",),
                                     level=sweep.level, pair_on=pair_on)
    rows = []
    for rec in diffs.to_dict("records"):
        lo, hi = rec["net_value_diff_lo"], rec["net_value_diff_hi"]
        verdict = ("no pairs: a row is not ok" if rec["n_pairs"] == 0 else "too few pairs" if pd.isna(lo)
                   else "better" if lo > 0 else "worse" if hi < 0 else "no clear difference")
        rows.append({**_axis_cells(rec, sweep.axes), "strategy": rec[STRATEGY], "pairs": int(rec["n_pairs"]),
                     f"net value - {sweep.reference} $": money(rec["net_value_diff_mean"]),
                     f"{sweep.level:.0%} interval $": interval(lo, hi), "verdict": verdict})
    return pd.DataFrame(rows)


def binding_share_table(results: pd.DataFrame, axis: str) -> pd.DataFrame:
    """Sweep: share of ok replicates in which each constraint binds; rows (other axes' levels...,
    strategy, constraint), one column per level of ``axis``; 'no plan' where the strategy has no ok
    replicate there (:func:`benchmarks.frames.binding_share_matrix`). Where the strategy prices the
    row (``shadow.<row>``) at a nonzero mean price across those replicates, the cell adds it: "100%, $26.83/$"."""
    matrix = binding_share_matrix(results, axis)
    others = list(matrix.index.names[:-2])
    if matrix.empty:
        return pd.DataFrame(columns=[*map(axis_path, others), "strategy", "constraint"])
    ok, _ = split_ok(results)
    keys = [*others, STRATEGY]
    shown = matrix.map(lambda v: "no plan" if pd.isna(v) else percent(v))
    for row in {c for c in matrix.index.get_level_values("constraint") if SHADOW + c in ok.columns}:
        prices = ok.groupby([*keys, axis])[SHADOW + row].mean()
        for index in [i for i in matrix.index if i[-1] == row]:
            for lv in matrix.columns:
                price = prices.get((*index[:-1], lv), np.nan)
                if not pd.isna(price) and abs(price) > 1e-9 and not pd.isna(matrix.loc[index, lv]):
                    shown.loc[index, lv] += f", {price_text(price, row_unit(row))}"
    table = shown.rename(columns=level_text).rename_axis(columns=None).reset_index()
    for other in others:
        table[other] = table[other].map(level_text)
    return table.rename(columns={o: axis_path(o) for o in others})


def fairness_table(results: pd.DataFrame, floors: dict[str, float]) -> pd.DataFrame:
    """Coverage per segment (share contacted) per status-ok strategy, with the required floor as the
    first row; a cell below its floor is marked 'below'."""
    ok, _ = split_ok(results)
    segments = items(results.columns, COVERAGE)
    rows = [{"strategy": "required floor", **{s: percent(floors.get(s)) if s in floors else "none" for s in segments},
             "min/max ratio": ""}]
    for rec in ok.to_dict("records"):
        row = {"strategy": rec[STRATEGY]}
        for s in segments:
            share = rec[COVERAGE + s]
            below = s in floors and not pd.isna(share) and share < floors[s] - 1e-12
            row[s] = percent(share) + (" below" if below else "")
        row["min/max ratio"] = number(rec.get("coverage_min_max_ratio"), 2)
        rows.append(row)
    return pd.DataFrame(rows)


def binding_table(results: pd.DataFrame, audit: pd.DataFrame) -> pd.DataFrame:
    """Single run: each status-ok strategy's binding constraints with used / limit from the audit,
    why the row binds and its shadow price (``shadow.<row>``, $ per unit of the limit; '' for a
    strategy that prices no rows)."""
    ok, _ = split_ok(results)
    columns = ["strategy", "constraint", "used", "limit", "unit", "why it binds", "shadow price"]
    rows = []
    for rec in ok.to_dict("records"):
        names = flagged(rec, BINDING)
        if not names:
            rows.append(dict.fromkeys(columns, "") | {"strategy": rec[STRATEGY], "constraint": "none binds"})
        for name in names:
            hit = audit[(audit[STRATEGY] == rec[STRATEGY]) & (audit["name"] == name)] if len(audit) else audit
            first = hit.iloc[0] if len(hit) else None  # no audit file: the name alone
            price = rec.get(SHADOW + name, np.nan)
            unit = first["unit"] if first is not None else row_unit(name)
            rows.append({"strategy": rec[STRATEGY], "constraint": name,
                         "used": number(first["used"], 2) if first is not None else "",
                         "limit": f"{first['sense']} {number(first['limit'], 2)}" if first is not None else "",
                         "unit": unit if first is not None else "", "why it binds": _why(first, price),
                         "shadow price": "" if pd.isna(price) else price_text(price, unit)})
    return pd.DataFrame(rows, columns=columns)


def _why(audit_row: pd.Series | None, price: float) -> str:
    """Why a row binds (see simcore.evaluate.AuditRow): a floor at its minimum, a limit used up, a
    limit no single feasible change of the plan can use more of, or only its nonzero price."""
    if audit_row is None:
        return "priced" if not pd.isna(price) and abs(price) > 1e-9 else ""
    if audit_row["sense"] == ">=":
        return "floor at its minimum"
    if abs(float(audit_row["slack"])) <= 1e-9 * max(1.0, abs(float(audit_row["limit"]))):
        return "used up"
    return "no feasible change uses more"


def dollars(value: float, cents: bool = False) -> str:
    """An amount for a sentence: ``$1,342``, ``-$3``; with ``cents`` below $100: ``$7.25``."""
    digits = 2 if cents and abs(value) < 100 else 0
    return f"{'-' if value < 0 else ''}${abs(value):,.{digits}f}"


def _about(value: float) -> str:
    return f"{dollars(value, cents=True)} of estimated net value"


def price_text(price: float, unit: str) -> str:
    """A shadow price with its unit: ``$26.83/$`` (per dollar of a budget), ``-$4.10/contact``."""
    per = "$" if unit == "$" else unit.rstrip("s")
    return f"{'-' if price < 0 else ''}${abs(price):,.2f}/{per}"


def price_lines(results: pd.DataFrame, audit: pd.DataFrame) -> list[str]:
    """Single run: one sentence per status-ok strategy and binding row it prices (``shadow.<row>``):
    "milp: +$50 of budget is worth about $1,342 of estimated net value", "+10 contacts of
    capacity[email] are worth about $X", a floor: "one more required contact of coverage[premium]
    costs about $Y". A binding row priced at 0 gets no sentence (more of it alone is worth nothing). The
    price is the marginal value, so a step is worth about step x price while the same rows bind."""
    ok, _ = split_ok(results)
    units = dict(zip(audit["name"], audit["unit"])) if len(audit) else {}
    senses = dict(zip(audit["name"], audit["sense"])) if len(audit) else {}
    lines = []
    for rec in ok.to_dict("records"):
        for row in flagged(rec, BINDING):
            price = rec.get(SHADOW + row, np.nan)
            if pd.isna(price) or abs(price) <= 1e-9:
                continue  # binding at price 0: more of it alone adds nothing (another row is in the way)
            unit = row_unit(row, units)
            floor = senses.get(row) == ">=" or price < 0
            step = PRICE_STEPS.get(unit, 1.0)
            if floor:
                text = f"one more required {unit.rstrip('s')} of {row} costs about {_about(-price)}"
            elif unit == "$":
                text = f"+${step:,.0f} of {row} is worth about {_about(step * price)}"
            else:
                text = f"+{step:,.0f} {unit} of {row} are worth about {_about(step * price)}"
            lines.append(f"{rec[STRATEGY]}: {text} ({price_text(price, unit)})")
    return lines


def violation_lines(results: pd.DataFrame, audit: pd.DataFrame) -> list[str]:
    """Single run: one line per status-ok strategy, every constraint it breaks with the amount and
    unit (from the ``violation.<row>`` columns and the audit's units), or 'feasible'."""
    ok, _ = split_ok(results)
    units = dict(zip(audit["name"], audit["unit"])) if len(audit) else {}
    lines = []
    for rec in ok.to_dict("records"):
        broken = [f"{row} by " + (f"${amount:,.2f}" if units.get(row) == "$" else f"{amount:,.2f} {units.get(row, '')}")
                  .rstrip() for row in flagged(rec, VIOLATION) for amount in [float(rec[VIOLATION + row])]]
        lines.append(f"{rec[STRATEGY]}: " + ("; ".join(broken) if broken else "feasible (meets every constraint)"))
    return lines


def status_notes(results: pd.DataFrame) -> list[str]:
    """One line per strategy that was skipped or flagged: its status, where, and the full reason."""
    lines = []
    for (strategy, status), group in results.groupby([STRATEGY, STATUS], sort=False):
        if status == Status.OK:
            notes = {n for n in group.get(NOTE, pd.Series(dtype=str)) if isinstance(n, str) and n}
            lines += [f"{strategy}: {n}" for n in sorted(notes)]
            continue
        reasons = [r for r in group[REASON] if isinstance(r, str) and r]
        lines.append(f"{strategy}: {status} in {len(group)} of {int((results[STRATEGY] == strategy).sum())} rows, "
                     f"not plotted and not counted as zero: {reasons[0] if reasons else 'no reason recorded'}")
    return lines


def number(value: object, digits: int) -> str:
    """``value`` with thousands separators and ``digits`` decimals; "" for a missing value (dollars
    are :func:`benchmarks.outputs.money`)."""
    return "" if value is None or pd.isna(value) else f"{float(value):,.{digits}f}"


def percent(value: object) -> str:
    """A share 0..1 as a whole percentage; "" for a missing value."""
    return "" if value is None or pd.isna(value) else f"{float(value):.0%}"


def interval(lo: object, hi: object) -> str:
    """A dollar interval ``[lo, hi]`` (:func:`benchmarks.outputs.money`); "" when a bound is missing."""
    return "" if pd.isna(lo) or pd.isna(hi) else f"[{money(lo)}, {money(hi)}]"


def _axis_cells(rec: dict[str, object], axes: Sequence[str]) -> dict[str, str]:
    """A table row's axis columns: config path -> level text, in axis order."""
    return {axis_path(a): level_text(rec[a]) for a in axes}
