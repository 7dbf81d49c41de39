"""The one evaluation pipeline: a strategy selects a plan on the view, and the plan is evaluated under
the truth with the outcome draws every strategy shares; the result is one flat record."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from simcore.errors import InfeasibleError, NotApplicableError, SolverError
from simcore.evaluate import Evaluation, EvaluationSettings, evaluate
from simcore.plan import Plan
from simcore.results import Record, Status, failed, record
from simcore.rng import child, generator
from simcore.scenario import Scenario
from strategies.base import Strategy


@dataclass(frozen=True)
class StrategyResult:
    """record: one flat row (simcore.results.record or failed)."""

    strategy: str
    status: Status
    record: Record
    plan: Plan | None
    evaluation: Evaluation | None


def run_strategy(scenario: Scenario, name: str, strategy: Strategy, seed: np.random.SeedSequence,
                 settings: EvaluationSettings) -> StrategyResult:
    """Select (timed) and evaluate. Outcomes are drawn from the same child seed for every strategy."""
    seed_value = int(seed.entropy)
    reason = strategy.supports(scenario.view)
    if reason is not None:
        return StrategyResult(name, Status.NOT_APPLICABLE,
                              failed(scenario.name, name, seed_value, Status.NOT_APPLICABLE, reason), None, None)
    start = time.perf_counter()
    try:
        plan = strategy.select(scenario.view, generator(seed, "strategy", name))
    except (InfeasibleError, SolverError, NotApplicableError) as err:
        status = {InfeasibleError: Status.INFEASIBLE, SolverError: Status.SOLVER_ERROR,
                  NotApplicableError: Status.NOT_APPLICABLE}[type(err)]
        return StrategyResult(name, status, failed(scenario.name, name, seed_value, status, str(err),
                                                   time.perf_counter() - start), None, None)
    runtime = time.perf_counter() - start
    evaluation = evaluate(scenario, plan, child(seed, "outcomes"), settings)
    return StrategyResult(name, Status.OK, record(scenario.name, name, seed_value, plan, evaluation, runtime),
                          plan, evaluation)
