"""A period's random holdout, and the outcome it leads to.

The holdout is the experiment: of the customers a strategy selects, a random ``share`` gets no action,
STRATIFIED by (action, segment). In a stratum of m selected customers, ``floor(share x m)`` plus one
more with probability ``frac(share x m)`` (randomized rounding) are held out: those with the smallest
holdout uniforms. So every selected customer is held out with probability exactly ``share`` (the
propensity the off-policy log records), the treated and held-out shares of every stratum match, and
the estimate of a stratum's uplift is a difference of two random samples of the same customers.

Why the draws are named by period and not by strategy: every uniform comes from the replicate's
``("campaign", "holdout")`` child in a fixed layout over the universe of customer slots
(``simcore.campaign.Draws``), so they are common random numbers. A customer has the same holdout
uniform whichever strategy selects it, two strategies that select the same stratum hold out the same
customers, and adding a strategy changes no other strategy's draws.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.campaign import Draws, Period, State, World
from simcore.plan import Plan


def hold_out(action: np.ndarray, segment: np.ndarray, u_hold: np.ndarray, u_round: np.ndarray,
             share: float) -> np.ndarray:
    """(n,) bool: held out. action: (n,) planned action index per customer, -1 = none (never held
    out); segment: (n,) segment index; u_hold: (n,) the customers' holdout uniforms this period;
    u_round: (K, S) the strata's rounding uniforms; share: in [0, 1)."""
    held = np.zeros(len(action), dtype=bool)
    chosen = np.flatnonzero(action >= 0)
    if share == 0.0 or len(chosen) == 0:
        return held
    stratum = action[chosen] * u_round.shape[1] + segment[chosen]
    order = np.lexsort((u_hold[chosen], stratum))  # by stratum, then by uniform within it
    sorted_stratum = stratum[order]
    keys, start, size = np.unique(sorted_stratum, return_index=True, return_counts=True)
    exact = share * size
    count = np.floor(exact).astype(np.int64) + (u_round.ravel()[keys] < exact - np.floor(exact))
    rank = np.arange(len(order)) - np.repeat(start, size)
    held[chosen[order]] = rank < np.repeat(count, size)
    return held


@dataclass(frozen=True)
class Outcome:
    """What happened in one strategy's period, per customer of the period's scenario (n,): planned
    (the plan's action, -1 none), held (held out), given (the action received: planned unless held
    out), effect (the TRUE effect of the planned action this period, fatigue included; 0 for none or an
    ineligible assignment), churned; and for the state, per universe slot (U,): contacted and
    churned_all (every active customer, planned or resting)."""

    planned: np.ndarray
    held: np.ndarray
    given: np.ndarray
    effect: np.ndarray
    churned: np.ndarray
    contacted: np.ndarray
    churned_all: np.ndarray

    @property
    def selected(self) -> np.ndarray:
        return self.planned >= 0


def realize(world: World, draws: Draws, state: State, period: Period, plan: Plan, share: float) -> Outcome:
    """Hold out ``share`` of the plan's customers, then draw who churns from the truth: active slot u
    churns when ``u_churn[t, u] < p_t(u) x (1 - effect of the action it received)``."""
    t, slots, sc = period.t, period.slots, period.scenario
    planned = plan.action
    held = hold_out(planned, world.segment[slots], draws.u_hold[t - 1, slots], draws.u_round[t - 1], share)
    given = np.where(held, -1, planned)
    customers = np.flatnonzero(planned >= 0)
    pair = sc.pairs.lookup(customers, planned[customers], len(sc.catalog.actions))
    effect = np.zeros(len(planned))
    effect[customers] = np.where(pair >= 0, sc.effect_true[np.maximum(pair, 0)], 0.0)
    received = np.zeros(world.slots)
    received[slots] = np.where(held, 0.0, effect)
    churned_all = state.active & (draws.u_churn[t - 1] < world.churn_true[t - 1] * (1 - received))
    contact = np.array([a.is_contact for a in sc.catalog.actions], bool)
    contacted = np.zeros(world.slots, dtype=bool)
    contacted[slots] = (given >= 0) & contact[np.maximum(given, 0)]
    return Outcome(planned, held, given, effect, churned_all[slots], contacted, churned_all)


def without_holdout(plan: Plan, outcome: Outcome) -> Plan:
    """The plan as it was carried out: the held-out customers get no action."""
    return Plan(outcome.given, plan.solver, plan.note)
