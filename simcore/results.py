"""The results table's vocabulary: the Status of a row, the column names, and the ONE function that
builds a flat record from an evaluation.

A record is one row per (scenario, strategy[, cell]): scalars only, so a sweep is a DataFrame of
them and a parquet file holds it exactly. Lists stay structured as one column per item: a
constraint row ``r`` gives ``binding.<r>`` (bool), ``violation.<r>`` (amount in the row's unit,
0 when met) and, for optimizers that price rows, ``shadow.<r>`` ($ per unit of the row's limit).
Nothing downstream parses a joined string back.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simcore.evaluate import Evaluation
    from simcore.plan import Plan

Scalar = float | int | str | bool
Record = dict[str, Scalar]


class Status(StrEnum):
    """What happened to one strategy on one scenario. Only OK rows carry KPIs; the others carry the
    reason, and are counted, never averaged in as zeros."""

    OK = "ok"
    INFEASIBLE = "infeasible"  # the constraint set cannot be met (reason: the diagnosis)
    NOT_APPLICABLE = "not_applicable"  # the strategy needs something this scenario lacks
    SOLVER_ERROR = "solver_error"  # the solver failed (reason: how)
    ERROR = "error"  # an unexpected failure inside the strategy (reason: the exception)


# identity columns, in the order every record starts with
SCENARIO, STRATEGY, SEED, STATUS, REASON, NOTE = "scenario", "strategy", "seed", "status", "reason", "note"
RUNTIME = "runtime_s"
# one column per item of a structured list: <prefix><item>
BINDING, VIOLATION, SHADOW = "binding.", "violation.", "shadow."
COVERAGE, MIX, AXIS = "coverage.", "mix.", "axis."


def items(columns: Iterable[str], prefix: str) -> list[str]:
    """The item names of the columns ``<prefix><item>``, in column order."""
    return [c[len(prefix):] for c in columns if c.startswith(prefix)]


def flagged(record: Mapping[str, object], prefix: str) -> list[str]:
    """Items whose ``<prefix><item>`` value is true / nonzero (binding rows, violated rows)."""
    out = []
    for key, value in record.items():
        if key.startswith(prefix) and isinstance(value, (bool, int, float, np.bool_, np.number)) \
                and not (isinstance(value, float) and np.isnan(value)) and value:
            out.append(key[len(prefix):])
    return out


ATTAINABLE, SHARE = "attainable", "share_of_attainable"


def with_attainable(records: list[Record]) -> list[Record]:
    """The records of one world (a run, or a sweep cell), each ok row with ``attainable``: the tightest
    certified upper bound an optimizer proved for this constrained problem (estimated net value,
    dollars), and ``share_of_attainable``: the row's estimated net value over it ("clv_top_n reaches
    41% of the attainable value"; above 100% only for a plan that breaks a constraint). NaN without an
    ok optimizer row or when the bound is not positive."""
    bounds = [float(r["bound"]) for r in records
              if r.get(STATUS) == Status.OK and isinstance(r.get("bound"), float) and np.isfinite(r["bound"])]
    best = min(bounds) if bounds else float("nan")
    out = []
    for rec in records:
        if rec.get(STATUS) == Status.OK:
            share = float(rec["est_net_value"]) / best if best > 0 else float("nan")
            rec = {**rec, ATTAINABLE: best, SHARE: share}
        out.append(rec)
    return out


def failed(scenario: str, strategy: str, seed: int, status: Status, reason: str,
           runtime_s: float | None = None) -> Record:
    """The record of a strategy that produced no plan: identity, status and the reason."""
    rec: Record = {SCENARIO: scenario, STRATEGY: strategy, SEED: seed, STATUS: str(status), REASON: reason}
    if runtime_s is not None:
        rec[RUNTIME] = runtime_s
    return rec


def record(scenario: str, strategy: str, seed: int, plan: Plan, evaluation: Evaluation, runtime_s: float) -> Record:
    """The flat row of a plan that was evaluated: KPIs under truth and under the estimates, Monte
    Carlo outcomes, the audit (feasibility, binding and violated rows), fairness, the action mix,
    runtime, and what an optimizer reports (status, objective, bound, gap, shadow prices)."""
    e = evaluation
    rec: Record = {SCENARIO: scenario, STRATEGY: strategy, SEED: seed, STATUS: str(Status.OK), REASON: "",
                   NOTE: plan.note}
    for prefix, k in (("", e.kpis_true), ("est_", e.kpis_est)):
        for name, value in asdict(k).items():
            if prefix and name in ("treated", "spend", "budget_utilization"):
                continue  # the same under truth and belief
            rec[f"{prefix}{name}"] = value
    rec["optimizer_curse"] = e.kpis_est.net_value - e.kpis_true.net_value
    for name, iv in (("net_value_mc", e.net_value_mc), ("roi_mc", e.roi_mc)):
        rec[f"{name}_mean"], rec[f"{name}_lo"], rec[f"{name}_hi"] = iv.mean, iv.lo, iv.hi
    rec["mc_replications"] = e.replications
    rec["feasible"] = not e.violations
    rec["n_violations"] = len(e.violations)
    for row in e.audit:
        rec[f"{BINDING}{row.name}"] = row.binding
    for row in e.audit:
        rec[f"{VIOLATION}{row.name}"] = row.violation
    for segment, share in e.coverage:
        rec[f"{COVERAGE}{segment}"] = share
    rec["coverage_min_max_ratio"] = e.coverage_ratio
    rec["high_risk_coverage"] = e.high_risk_coverage
    for action, count in e.action_mix:
        rec[f"{MIX}{action}"] = count
    rec[RUNTIME] = runtime_s
    if plan.solver is not None:
        s = plan.solver
        rec.update({"solver_status": s.status, "objective": s.objective, "bound": s.bound, "gap": s.gap,
                    "solve_time_s": s.solve_seconds, "time_limited": s.time_limited})
        rec.update({f"{SHADOW}{p.row}": p.value for p in s.shadow_prices})
    return rec
