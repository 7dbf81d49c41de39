"""What a run writes: results table, CRM-ready plans, audits, and the scenario itself."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.pipeline import StrategyResult
from simcore.evaluate import audit_frame
from simcore.files import write_csv, write_parquet
from simcore.plan import Plan
from simcore.results import VIOLATION, Status, flagged, with_attainable
from simcore.scenario import Scenario


def plan_frame(scenario: Scenario, plan: Plan) -> pd.DataFrame:
    """customer_id, action_id, action_name, channel, cost, expected_value (the ESTIMATED net value a
    strategy could know, dollars) for every customer who gets an action."""
    customers, actions = plan.assignments()
    pair = scenario.pairs.lookup(customers, actions, len(scenario.catalog.actions))
    acts = scenario.catalog.actions
    return pd.DataFrame({
        "customer_id": scenario.population.table["customer_id"].to_numpy()[customers],
        "action_id": [acts[a].id for a in actions],
        "action_name": [acts[a].name for a in actions],
        "channel": [acts[a].channel for a in actions],
        "cost": scenario.view.cost[customers, actions],
        "expected_value": np.where(pair >= 0, scenario.pairs.value_est[np.maximum(pair, 0)], np.nan),
    })


def results_frame(results: list[StrategyResult]) -> pd.DataFrame:
    """One row per strategy of one world, with each row's share of the attainable value."""
    return pd.DataFrame(with_attainable([r.record for r in results]))


def write_run(directory: Path, scenario: Scenario, results: list[StrategyResult]) -> pd.DataFrame:
    """Every file of a run, each written atomically (a full disk is one OutputError, never half a file)."""
    directory.mkdir(parents=True, exist_ok=True)
    table = results_frame(results)
    write_csv(table, directory / "results.csv")
    write_parquet(table, directory / "results.parquet")
    (directory / "plans").mkdir(exist_ok=True)
    audits = []
    for r in results:
        if r.plan is not None:
            write_csv(plan_frame(scenario, r.plan), directory / "plans" / f"{r.strategy}.csv")
            audits.append(audit_frame(r.evaluation).assign(strategy=r.strategy))
    if audits:
        write_csv(pd.concat(audits, ignore_index=True), directory / "audit.csv")
    scenario.export(directory / "scenario")
    return table


def comparison_table(table: pd.DataFrame) -> pd.DataFrame:
    """The printed summary: one line per strategy, true net value with its Monte Carlo interval."""
    rows = []
    for rec in table.to_dict("records"):
        ok = rec.get("status") == Status.OK
        rows.append({
            "strategy": rec["strategy"] + (" *" if _text(rec.get("note")) else ""),
            "net value (true)": money(rec.get("net_value")) if ok else rec["status"],
            "95% interval": f"[{money(rec['net_value_mc_lo'])}, {money(rec['net_value_mc_hi'])}]" if ok else "",
            "est. net value": money(rec.get("est_net_value")) if ok else "",
            "ROI": f"{rec['roi']:.2f}" if ok and not pd.isna(rec.get("roi")) else "",
            "treated": int(rec["treated"]) if ok else "",
            "spend": money(rec.get("spend")) if ok else "",
            "coverage min/max": f"{rec['coverage_min_max_ratio']:.2f}" if ok and not pd.isna(rec.get("coverage_min_max_ratio")) else "",
            "violations": _short(flagged(rec, VIOLATION)) if ok else _text(rec.get("reason"))[:70],
            "gap": f"{rec['gap']:.1e}" if ok and not pd.isna(rec.get("gap", np.nan)) else "",
            "runtime s": f"{rec['runtime_s']:.2f}" if not pd.isna(rec.get("runtime_s", np.nan)) else "",
        })
    return pd.DataFrame(rows)


def money(value: object) -> str:
    """Whole dollars with thousands separators; "" for a missing value."""
    return "" if value is None or pd.isna(value) else f"{float(value):,.0f}"


def _text(value: object) -> str:
    """A string cell that may be missing (NaN) in a mixed table."""
    return value if isinstance(value, str) else ""


def _short(names: list[str]) -> str:
    if not names:
        return "none"
    return f"{len(names)}: " + ", ".join(names[:2]) + (f", +{len(names) - 2}" if len(names) > 2 else "")
