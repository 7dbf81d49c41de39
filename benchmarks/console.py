"""What a run and a sweep print: tables that fit 120 columns, with reasons and notes as numbered
footnotes, and labels that say which interval is which (the spread of simulated outcomes of one run
is not the confidence interval of a mean across replicates)."""
from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import pandas as pd

from simcore.results import NOTE, REASON, STATUS, STRATEGY, VIOLATION, Status, flagged

WIDTH = 120


def money(value: object) -> str:
    """Dollars compactly: 3,129 / -150 / 456k / 6.19M ("" when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    v = float(value)
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.2f}M"
    if abs(v) >= 1e5:
        return f"{v / 1e3:,.0f}k"
    return f"{v:,.0f}"


def _number(value: object, fmt: str) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else format(float(value), fmt)


def _wrap(lines: Sequence[str]) -> str:
    return "\n".join(textwrap.fill(line, WIDTH, subsequent_indent="     ") for line in lines)


def run_table(table: pd.DataFrame, title: str) -> str:
    """One line per strategy of a single run: the true net value, the spread of its simulated
    outcomes, what the strategy believed, ROI, customers, spend, its share of the attainable value,
    the limits it breaks and the optimizer's gap; anything longer goes to a numbered footnote."""
    notes: list[str] = []

    def footnote(text: str) -> str:
        notes.append(text)
        return f"[{len(notes)}]"

    rows = []
    for rec in table.to_dict("records"):
        name = str(rec[STRATEGY])
        flag = rec.get(NOTE) if isinstance(rec.get(NOTE), str) and rec.get(NOTE) else ""
        if rec[STATUS] != Status.OK:
            rows.append({"strategy": name, "net value": str(rec[STATUS]).replace("_", " "),
                         "broken": footnote(f"{name}: {rec.get(REASON) or 'no reason recorded'}")})
            continue
        broken = flagged(rec, VIOLATION)
        rows.append({
            "strategy": name + ("*" if flag else ""),
            "net value": money(rec["net_value"]),
            "outcome 95% range": f"[{money(rec['net_value_mc_lo'])}, {money(rec['net_value_mc_hi'])}]",
            "believed": money(rec["est_net_value"]),
            "ROI": _number(rec.get("roi"), ".2f"),
            "treated": f"{int(rec['treated']):,}",
            "spend": money(rec["spend"]),
            "of best": _number(100 * rec["share_of_attainable"], ".0f") + "%" if isinstance(
                rec.get("share_of_attainable"), float) and not math.isnan(rec["share_of_attainable"]) else "",
            "broken": "none" if not broken and not flag else (
                f"{len(broken)} " if broken else "") + footnote(
                f"{name}{'*' if flag else ''}: " + "; ".join(
                    ([flag] if flag else []) + ([f"breaks {', '.join(broken)}"] if broken else []))),
            "gap": _number(rec.get("gap"), ".0e"),
            "time s": _number(rec.get("runtime_s"), ".2f"),
        })
    frame = pd.DataFrame(rows).fillna("")
    width = max(len("strategy"), *(len(s) for s in frame["strategy"]))
    frame["strategy"] = frame["strategy"].str.ljust(width)  # names read left-aligned, numbers right-aligned
    frame = frame.rename(columns={"strategy": "strategy".ljust(width)})
    text = frame.to_string(index=False, justify="right")
    legend = ("net value: expected under the hidden true effects ($); outcome 95% range: 2.5th-97.5th percentile "
              "of the realized net value over the simulated outcomes (the same draws for every strategy); believed: "
              "the net value the strategy's own estimates promise; of best: believed value / the tightest certified "
              "upper bound of this constrained problem; broken: constraints the plan breaks; * flagged (see note); "
              "gap: the optimizer's proven relative gap")
    return "\n".join(["", title, text, "", _wrap([f"[{i}] {n}" for i, n in enumerate(notes, 1)] + [legend])])


def sweep_grid(summary: pd.DataFrame, axes: Sequence[str], metric: str, label: str, level: float) -> str:
    """A sweep's grid: one row per combination of axis levels, one column per strategy, each cell
    "mean ±half-width" of the Student-t confidence interval across replicates ("n/k ok" when only n
    of k replicates had a plan). Strategies with no ok replicate anywhere are left out, with a line
    saying which and why."""
    never = [s for s, g in summary.groupby(STRATEGY, sort=False) if g["n_ok"].sum() == 0]
    shown = summary[~summary[STRATEGY].isin(never)]

    def cell(rec: dict) -> str:
        if rec["n_ok"] == 0:
            return "infeasible" if rec.get("n_infeasible", 0) else "no plan"
        mean, lo, hi = rec[f"{metric}_mean"], rec[f"{metric}_lo"], rec[f"{metric}_hi"]
        text = money(mean) + ("" if math.isnan(hi) else f" ±{money((hi - lo) / 2)}")
        return text + ("" if rec["n_ok"] == rec["n_rows"] else f" ({rec['n_ok']}/{rec['n_rows']} ok)")

    grid = (shown.assign(value=[cell(r) for r in shown.to_dict("records")])
            .pivot_table(index=list(axes), columns=STRATEGY, values="value", aggfunc="first", sort=False))
    grid = grid.rename_axis(index=[a.split(".", 1)[1] if a.startswith("axis.") else a for a in axes], columns=None)
    lines = [f"{label}: mean ± half-width of the {level:.0%} CI across replicates", grid.to_string()]
    if never:
        reasons = summary[summary[STRATEGY].isin(never)]
        lines.append(_wrap([f"not shown (no plan in any replicate): {', '.join(never)}" + (
            "; see results.csv's reason column" if len(reasons) else "")]))
    return "\n".join(lines)
