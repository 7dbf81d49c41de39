"""One cell: every chosen strategy on one scenario and seed, through the one evaluation pipeline."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from simcore.errors import InfeasibleError, NotApplicableError, SolverError
from simcore.evaluate import Evaluation, EvaluationSettings, evaluate
from simcore.plan import Plan
from simcore.rng import child, generator
from simcore.scenario import Scenario
from strategies.base import Strategy


@dataclass(frozen=True)
class StrategyResult:
    """status: ok | not_applicable | infeasible | solver_error. record: one flat row."""

    strategy: str
    status: str
    record: dict
    plan: Plan | None
    evaluation: Evaluation | None


def run_strategy(scenario: Scenario, name: str, strategy: Strategy, seed: np.random.SeedSequence,
                 settings: EvaluationSettings) -> StrategyResult:
    """Select (timed) and evaluate. Outcomes are drawn from the same child seed for every strategy."""
    base = {"scenario": scenario.name, "strategy": name, "seed": int(seed.entropy)}
    reason = strategy.supports(scenario.view)
    if reason is not None:
        return StrategyResult(name, "not_applicable", {**base, "status": "not_applicable", "reason": reason}, None, None)
    start = time.perf_counter()
    try:
        plan = strategy.select(scenario.view, generator(seed, "strategy", name))
    except (InfeasibleError, SolverError, NotApplicableError) as err:
        status = {InfeasibleError: "infeasible", SolverError: "solver_error",
                  NotApplicableError: "not_applicable"}[type(err)]
        return StrategyResult(name, status, {**base, "status": status, "reason": str(err),
                                             "runtime_s": time.perf_counter() - start}, None, None)
    runtime = time.perf_counter() - start
    evaluation = evaluate(scenario, plan, child(seed, "outcomes"), settings)
    record = {**base, "status": "ok", "reason": "", "note": plan.note, **evaluation.record(), "runtime_s": runtime}
    if plan.solver is not None:
        s = plan.solver
        record.update({"solver_status": s.status, "objective": s.objective, "bound": s.bound, "gap": s.gap,
                       "solve_time_s": s.solve_seconds, "time_limited": s.time_limited,
                       **{f"shadow.{p.row}": p.value for p in s.shadow_prices}})
    return StrategyResult(name, "ok", record, plan, evaluation)
