"""The one evaluation pipeline: a strategy selects a plan on the view, and the plan is evaluated under
the truth with the outcome draws every strategy shares; the result is one flat record."""
from __future__ import annotations

import logging
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

log = logging.getLogger("retention-bench")


@dataclass(frozen=True)
class StrategyResult:
    """record: one flat row (simcore.results.record or failed)."""

    strategy: str
    status: Status
    record: Record
    plan: Plan | None
    evaluation: Evaluation | None


EXPECTED = {InfeasibleError: Status.INFEASIBLE, SolverError: Status.SOLVER_ERROR,
            NotApplicableError: Status.NOT_APPLICABLE}


def run_strategy(scenario: Scenario, name: str, strategy: Strategy, seed: np.random.SeedSequence,
                 settings: EvaluationSettings) -> StrategyResult:
    """Select (timed) and evaluate. Outcomes are drawn from the same child seed for every strategy.

    A failure stays with its strategy: an infeasible problem, a solver failure or a world the strategy
    does not support is its row's status and reason; any other exception (a bug, a plan of the wrong
    shape) is status ``error`` with the exception as the reason, its traceback in the run's log, and
    the other strategies, their plans and the report are written as usual."""
    seed_value = int(seed.entropy)
    start = time.perf_counter()
    try:
        reason = strategy.supports(scenario.view)
        if reason is not None:
            return StrategyResult(name, Status.NOT_APPLICABLE,
                                  failed(scenario.name, name, seed_value, Status.NOT_APPLICABLE, reason), None, None)
        plan = strategy.select(scenario.view, generator(seed, "strategy", name))
        runtime = time.perf_counter() - start
        evaluation = evaluate(scenario, plan, child(seed, "outcomes"), settings)
    except tuple(EXPECTED) as err:
        status = EXPECTED[type(err)]
        return StrategyResult(name, status, failed(scenario.name, name, seed_value, status, str(err),
                                                   time.perf_counter() - start), None, None)
    except Exception as err:  # noqa: BLE001 - one strategy's failure must not cost the others their results
        log.exception("%s failed on %s", name, scenario.name)
        reason = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else 'no message'}"
        return StrategyResult(name, Status.ERROR, failed(scenario.name, name, seed_value, Status.ERROR, reason,
                                                         time.perf_counter() - start), None, None)
    return StrategyResult(name, Status.OK, record(scenario.name, name, seed_value, plan, evaluation, runtime),
                          plan, evaluation)
