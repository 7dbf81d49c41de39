"""The frames behind a report's figures and tables: pure functions from a run's tables to tidy
frames, shared by :mod:`benchmarks.figures` (which draws exactly these frames) and
:mod:`benchmarks.report` (which prints them).

Inputs are the tables a run writes (see ``benchmarks/outputs.py``):

- ``results``: one row per strategy (single run) or per cell x strategy (sweep, with ``replicate``
  and one ``axis.<config path>`` column per swept axis); money columns in dollars; the column names
  and status words are those of :mod:`simcore.results`.
- ``customers`` (``scenario/customers.parquet``), ``actions`` (``scenario/actions.csv``) and the
  plans (``plans/<strategy>.csv``) of a single-run directory.

Rows whose status is not ok (infeasible, not_applicable, solver_error, error) carry no KPIs: every
function here leaves them out, never counts them as zeros.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from benchmarks import stats
from simcore.groups import VALUE_TIERS
from simcore.errors import ConfigError
from simcore.results import AXIS, BINDING, MIX, NOTE, SHADOW, STATUS, STRATEGY, Status, items


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a ConfigError naming the missing columns of ``frame`` (``what``: how the caller calls it)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        has = ", ".join(map(str, frame.columns[:12])) + (", ..." if len(frame.columns) > 12 else "")
        raise ConfigError(f"{what}: missing column(s) {', '.join(missing)}; it has {has}")


def axis_columns(results: pd.DataFrame) -> list[str]:
    """The ``axis.<config path>`` columns of a sweep's results, in column order ([] for a single run)."""
    return [c for c in results.columns if c.startswith(AXIS)]


def axis_path(axis: str) -> str:
    """An axis column's config path: ``axis.scenario.constraints.budget`` -> ``scenario.constraints.budget``."""
    return axis[len(AXIS):] if axis.startswith(AXIS) else axis


# a field name that says nothing without the constraint it belongs to (budget.limit, not limit)
GENERIC_LEAVES = ("limit", "min_share", "max_share")


def axis_names(axes: Sequence[str]) -> dict[str, str]:
    """axis column -> its short name: the last part of its config path (``churn_noise``), two parts
    when the last is a generic field (``budget.limit``), or as many trailing parts as it takes to tell
    it from the other ``axes``."""
    parts = {a: axis_path(a).split(".") for a in axes}
    names = {}
    for axis, mine in parts.items():
        for k in range(2 if mine[-1] in GENERIC_LEAVES and len(mine) > 1 else 1, len(mine) + 1):
            name = ".".join(mine[-k:])
            if all(".".join(theirs[-k:]) != name for other, theirs in parts.items() if other != axis):
                break
        names[axis] = name
    return names


def level_text(value: object) -> str:
    """An axis level as a label: 1,000 for whole numbers, the value itself otherwise."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return str(value)


def split_ok(results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows with status ok, the other rows). Non-ok rows carry no KPIs and must never be drawn."""
    require_columns(results, (STRATEGY, STATUS), "results")
    ok = results[STATUS] == Status.OK
    return results[ok], results[~ok]


def strategy_order(results: pd.DataFrame) -> list[str]:
    """Strategies in order of first appearance (the config order of the run)."""
    return list(dict.fromkeys(results[STRATEGY]))


def flagged_references(results: pd.DataFrame) -> list[str]:
    """Strategies flagged as references that ignore the constraints by design (a status-ok row whose
    ``note`` starts with "reference:", such as treat_everyone): figures keep them out of the axis
    scaling of the strategies that respect the budget."""
    if NOTE not in results.columns:
        return []
    ok, _ = split_ok(results)
    flagged = ok[ok[NOTE].map(lambda n: isinstance(n, str) and n.startswith("reference:"))]
    return [s for s in strategy_order(results) if s in set(flagged[STRATEGY])]


def coinciding(table: pd.DataFrame, x: str, tolerances: Mapping[str, float]) -> list[list[str]]:
    """Groups of strategies whose lines coincide: the same levels of ``x`` and, at every one of them,
    each column of ``tolerances`` within its tolerance (units of that column). table: one panel's
    rows, one per level x strategy (:func:`axis_summary` with {"mean": tol}, or
    :func:`frontier_frame`); a row with a missing value in any of those columns is no point of the
    line. Groups of two or more, in config order."""
    columns = list(tolerances)
    lines = {s: part.dropna(subset=columns).set_index(x)[columns].sort_index()
             for s, part in table.groupby(STRATEGY, sort=False)}
    lines = {s: line for s, line in lines.items() if len(line)}
    groups: list[list[str]] = []
    for strategy, line in lines.items():
        for group in groups:
            first = lines[group[0]]
            if list(first.index) == list(line.index) and all(
                    bool((first[c] - line[c]).abs().le(tol).all()) for c, tol in tolerances.items()):
                group.append(strategy)
                break
        else:
            groups.append([strategy])
    return [g for g in groups if len(g) > 1]


def priced_rows(results: pd.DataFrame) -> list[str]:
    """The rows with a nonzero shadow price in some status-ok row (``shadow.<row>`` columns, $ per
    unit of the row's limit), in column order: the limits worth more to some optimizer."""
    ok, _ = split_ok(results)
    out = []
    for row in items(results.columns, SHADOW):
        prices = pd.to_numeric(ok[SHADOW + row], errors="coerce")
        if bool((prices.abs() > 1e-9).any()):
            out.append(row)
    return out


def row_unit(row: str, units: Mapping[str, str] | None = None) -> str:
    """The unit of a constraint row's limit: from ``units`` (the audit's row -> unit) when it names
    the row, else "$" for the budget and "contacts" for every other row (the units the constraint
    kinds compile to, simcore/constraints/kinds.py)."""
    if units and row in units:
        return str(units[row])
    return "$" if row == "budget" else "contacts"


def frontier_frame(results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Value against spend per strategy, status-ok rows only, dollars: one row per (axis levels...,
    strategy) of a sweep with the mean across replicates and its ``level`` Student-t interval, or one
    row per strategy of a single run with the Monte Carlo range of realized outcomes as the true
    value's interval (``net_value_mc_lo``/``_hi``) and none for the estimate.

    Returns columns [axis columns...,] strategy, spend, net_value, net_value_lo, net_value_hi,
    est_net_value, est_lo, est_hi, price (mean ``shadow.budget``, $ of estimated net value per $ of
    budget; NaN for a strategy that prices no rows)."""
    require_columns(results, ("spend", "net_value", "est_net_value"), "results")
    axes = axis_columns(results)
    price = SHADOW + "budget"
    columns = [*axes, STRATEGY, "spend", "net_value", "net_value_lo", "net_value_hi", "est_net_value", "est_lo",
               "est_hi", "price"]
    ok, _ = split_ok(results)
    if not axes:
        rows = [{STRATEGY: r[STRATEGY], "spend": r["spend"], "net_value": r["net_value"],
                 "net_value_lo": r.get("net_value_mc_lo", np.nan), "net_value_hi": r.get("net_value_mc_hi", np.nan),
                 "est_net_value": r["est_net_value"], "est_lo": np.nan, "est_hi": np.nan,
                 "price": r.get(price, np.nan)} for r in ok.to_dict("records")]
        return pd.DataFrame(rows, columns=columns).astype({c: float for c in columns[1:]})
    metrics = ["spend", "net_value", "est_net_value", *([price] if price in results.columns else [])]
    summary = stats.summarize(ok, axes, metrics=metrics, level=level)
    out = summary[[*axes, STRATEGY]].copy()
    for name, metric in (("spend", "spend_mean"), ("net_value", "net_value_mean"), ("net_value_lo", "net_value_lo"),
                         ("net_value_hi", "net_value_hi"), ("est_net_value", "est_net_value_mean"),
                         ("est_lo", "est_net_value_lo"), ("est_hi", "est_net_value_hi"),
                         ("price", f"{price}_mean")):
        out[name] = summary[metric].astype(float) if metric in summary.columns else np.nan
    return out[out["spend"].notna()].reset_index(drop=True)[columns]


def facets(frame: pd.DataFrame, others: Sequence[str], axes: Sequence[str]) -> list[tuple[str, pd.DataFrame]]:
    """(title, rows) per combination of the levels of the axis columns ``others``, in sorted order,
    titled ``<short name> = <level>, ...`` (:func:`axis_names` among ``axes``, every axis column of
    the sweep); one untitled facet holding every row when ``others`` is empty."""
    if not others:
        return [("", frame)]
    names = axis_names(axes)
    out = []
    for key, part in frame.groupby(list(others), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        out.append((", ".join(f"{names[c]} = {level_text(v)}" for c, v in zip(others, key)), part))
    return out


def axis_summary(results: pd.DataFrame, axis: str, metric: str, level: float = 0.95,
                 summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean and ``level`` Student-t interval of ``metric`` across replicates, per level of ``axis`` x
    strategy x every level of any other swept axis (never pooled over one), from
    :func:`benchmarks.stats.summarize`.

    Only status-ok rows with a finite metric enter; ``n`` counts them and ``n_skipped`` the rows
    left out (infeasible, not applicable, solver error, or metric undefined such as ROI without spend).
    summary: ``stats.summarize(results, axis_columns(results), metrics including metric, level)`` when
    the caller has it (a report computes it once for all its figures and tables).
    Returns columns: ``axis``, the other axis columns, strategy, n, n_skipped, mean, lo, hi (units of
    ``metric``)."""
    require_columns(results, (axis, metric, STRATEGY, STATUS), "results")
    axes = axis_columns(results)
    if summary is None:
        summary = stats.summarize(results, axes, metrics=[metric], level=level)
    require_columns(summary, (*axes, STRATEGY, "n_rows", f"{metric}_n", f"{metric}_mean"), "summary")
    out = summary[[axis, *(c for c in axes if c != axis), STRATEGY]].copy()
    out["n"] = summary[f"{metric}_n"].astype(int)
    out["n_skipped"] = summary["n_rows"].astype(int) - out["n"]
    for part in ("mean", "lo", "hi"):
        out[part] = summary[f"{metric}_{part}"].astype(float)
    return out.reset_index(drop=True)


def binding_shares(results: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Share of status-ok rows in which each constraint binds, per level of the ``by`` columns x
    strategy (per strategy only when ``by`` is None, i.e. a single run: the share is then 0 or 1).

    Read from the ``binding.<row>`` columns. Returns columns [by...,] strategy, constraint, share
    (0..1), n (ok rows behind the share); a constraint that never binds for a strategy is omitted."""
    by = [by] if isinstance(by, str) else list(by or ())
    require_columns(results, by, "results")
    ok, _ = split_ok(results)
    keys = [*by, STRATEGY]
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
    """Sweep: :func:`binding_shares` as a matrix along ``axis``, never pooled over another axis.

    Rows (other axis columns..., strategy, constraint): for every combination of the other axes'
    levels (sorted), every constraint that binds somewhere in the sweep for a strategy (strategies
    in config order, constraints sorted), so each combination is one block of the same rows; a
    single-axis sweep's index is (strategy, constraint). Columns: the levels of ``axis``, sorted.
    0 where the strategy has ok replicates there and the constraint never binds; NaN where it has
    no ok replicate there (no plan, which is not "never binds")."""
    others = [c for c in axis_columns(results) if c != axis]
    keys = [*others, STRATEGY]
    shares = binding_shares(results, [*others, axis])
    levels = sorted(results[axis].dropna().unique())
    ok, _ = split_ok(results)
    planned = set(ok[[*keys, axis]].itertuples(index=False, name=None))
    share = {(*key, constraint): value for *key, constraint, value
             in shares[[*keys, axis, "constraint", "share"]].itertuples(index=False, name=None)}
    combos = sorted(set(results[others].itertuples(index=False, name=None))) if others else [()]
    binds = shares.groupby(STRATEGY)["constraint"].unique()
    index, rows = [], []
    for combo in combos:
        for strategy in [s for s in strategy_order(results) if s in binds.index]:
            for constraint in sorted(binds[strategy]):
                index.append((*combo, strategy, constraint))
                rows.append([share.get((*combo, strategy, lv, constraint), 0.0)
                             if (*combo, strategy, lv) in planned else np.nan for lv in levels])
    names = [*others, STRATEGY, "constraint"]
    return pd.DataFrame(rows, columns=levels, dtype=float,
                        index=pd.MultiIndex.from_tuples(index, names=names) if index
                        else pd.MultiIndex.from_arrays([[] for _ in names], names=names))


def treatment_frame(customers: pd.DataFrame, plans: Mapping[str, pd.DataFrame],
                    actions: pd.DataFrame) -> pd.DataFrame:
    """One row per customer x strategy: the customer's attributes, ``action_id`` (the catalog's
    no-contact action id or 'none' when the plan leaves the customer out) and ``treated`` (contacted:
    an action on a channel other than 'none').

    customers: ``scenario/customers.parquet``; plans: strategy -> ``plans/<strategy>.csv``;
    actions: ``scenario/actions.csv`` (action_id, name, channel, ...)."""
    require_columns(customers, ("customer_id", "segment", "churn_prob_est", "clv_est", "risk_tier", "value_tier"),
                    "customers")
    require_columns(actions, ("action_id", "name", "channel"), "actions")
    contact = dict(zip(actions["action_id"], actions["channel"] != "none"))
    frames = []
    for strategy, plan in plans.items():
        require_columns(plan, ("customer_id", "action_id"), f"plans/{strategy}.csv")
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
    retained CLV (+), incremental CLV (+, when a result has it), revenue gain (+), cost (- spend), net
    value (the total bar).

    Returns columns strategy, step, start, end (bar from start to end), value."""
    require_columns(results, ("retained_clv", "revenue_gain", "spend", "net_value"), "results")
    ok, _ = split_ok(results)
    rows = []
    for rec in ok.to_dict("records"):
        steps = [("retained CLV", float(rec["retained_clv"])),
                 ("incremental CLV", float(rec.get("incremental_clv", 0.0) or 0.0)),
                 ("revenue gain", float(rec["revenue_gain"])), ("cost", -float(rec["spend"]))]
        level = 0.0
        for step, value in steps:
            if step == "incremental CLV" and value == 0.0:
                continue  # a world without lift actions keeps its four bars
            rows.append({STRATEGY: rec[STRATEGY], "step": step, "start": level, "end": level + value, "value": value})
            level += value
        rows.append({STRATEGY: rec[STRATEGY], "step": "net value", "start": 0.0, "end": float(rec["net_value"]),
                     "value": float(rec["net_value"])})
    return pd.DataFrame(rows, columns=[STRATEGY, "step", "start", "end", "value"])


def mix_frame(results: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Customers per contact action per status-ok strategy from the ``mix.<action_id>`` columns.

    Returns columns strategy, action_id, action (display name), customers."""
    require_columns(actions, ("action_id", "name"), "actions")
    ok, _ = split_ok(results)
    names = dict(zip(actions["action_id"], actions["name"]))
    rows = []
    for rec in ok.to_dict("records"):
        for action_id in items(results.columns, MIX):
            count = rec[MIX + action_id]
            rows.append({STRATEGY: rec[STRATEGY], "action_id": action_id,
                         "action": names.get(action_id, action_id),
                         "customers": 0.0 if pd.isna(count) else float(count)})
    return pd.DataFrame(rows, columns=[STRATEGY, "action_id", "action", "customers"])


def tier_levels(values: pd.Series) -> list[str]:
    """Tier labels in a readable order (high, mid, low first), any unknown label after them. The
    catalog's value tiers give the order; its risk tiers (high, low) are a subsequence of them."""
    present = [str(v) for v in values.dropna().unique()]
    return [t for t in VALUE_TIERS if t in present] + sorted(t for t in present if t not in VALUE_TIERS)
