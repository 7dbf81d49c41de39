"""The one evaluation pipeline: plan -> KPIs (truth and belief), Monte Carlo outcomes, constraint
audit, fairness, action mix -> one flat record. It never asks which strategy made the plan."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from simcore.checks import check_scalar
from simcore.metrics import Interval, Kpis, coverage, interval, kpis, min_max_ratio, realized_net_value
from simcore.plan import Plan
from simcore.rng import generator
from simcore.scenario import Scenario, ScenarioView


@dataclass(frozen=True)
class EvaluationSettings:
    """replications: Monte Carlo draws of realized outcomes; level: width of the reported interval."""

    replications: int = 1000
    level: float = 0.95

    def __post_init__(self) -> None:
        check_scalar(self.replications, "replications", int, 1)
        check_scalar(self.level, "level", float, 0.0, 1.0, min_inclusive=False, max_inclusive=False)


@dataclass(frozen=True)
class AuditRow:
    """slack = limit - used for '<=', used - limit for '>='; violation = max(0, -slack).

    binding: the plan leaves the row no room. A '<=' row binds when no single change of the plan (an
    eligible action for an untreated customer, or another eligible action for a treated one) would use
    more of it while every '<=' row still holds; a '>=' row binds when it is met with less than one
    unit to spare (a floor at its minimum). A row whose shadow price is nonzero binds too (one more unit
    is worth something only if the row is in the way), so binding and prices never contradict.
    shadow_price: $ per unit of the row's limit, NaN for a plan that prices no rows."""

    name: str
    kind: str
    sense: str
    limit: float
    used: float
    slack: float
    binding: bool
    violation: float
    unit: str
    shadow_price: float = float("nan")


ROOM_CHUNK = 200_000  # pairs per pass of the room check (bounded memory at millions of pairs)


def room(view: ScenarioView, plan: Plan, slack: np.ndarray) -> np.ndarray:
    """(R,) True for each '<=' row that some single feasible change of the plan could use more of
    (see AuditRow.binding); False for '>=' rows. slack: (R,) of the plan."""
    rows, pairs = view.rows, view.pairs
    le = rows.le
    out = np.zeros(len(rows), dtype=bool)
    if not le.any():
        return out
    limits = rows.subset(le)
    tol = 1e-9 * np.maximum(1.0, np.abs(limits.rhs))
    free = slack[le][:, None] + tol[:, None]
    for start in range(0, len(pairs), ROOM_CHUNK):
        part = slice(start, start + ROOM_CHUNK)
        c, a = pairs.customer[part], pairs.action[part]
        current = plan.action[c]
        change = current != a
        # what the change to a adds: its use minus what the customer's current action uses (0 if none)
        delta = limits.pair_coefficients(c, a, pairs.cost_at(part))
        held = np.flatnonzero(current >= 0)
        if len(held):
            who, now = c[held], current[held]
            delta[:, held] -= limits.pair_coefficients(who, now, view.cost[who, now])
        admissible = change & np.all(delta <= free, axis=0)
        out[np.flatnonzero(le)] |= np.any((delta > tol[:, None]) & admissible[None, :], axis=1)
    return out


def audit(view: ScenarioView, plan: Plan) -> tuple[AuditRow, ...]:
    """Check a plan against every compiled row, plus eligibility. Ineligible assignments count in
    every row (their cost is spent) and earn no effect."""
    customers, actions = plan.assignments()
    used = view.rows.use(customers, actions, view.cost[customers, actions])
    rhs, le = view.rows.rhs, view.rows.le
    slack = np.where(le, rhs - used, used - rhs)
    tol = 1e-9 * np.maximum(1.0, np.abs(rhs))
    can_use_more = room(view, plan, slack)
    prices = {p.row: p.value for p in plan.solver.shadow_prices} if plan.solver is not None else {}
    out = []
    for r, row in enumerate(view.rows.rows):
        price = prices.get(row.name, float("nan"))
        at_limit = (not can_use_more[r]) if le[r] else bool(-tol[r] <= slack[r] < view.steps[r] - tol[r])
        priced = not np.isnan(price) and abs(price) > 1e-9
        out.append(AuditRow(row.name, row.kind, row.sense, row.rhs, float(used[r]), float(slack[r]),
                            bool(slack[r] >= -tol[r] and (at_limit or priced or abs(slack[r]) <= tol[r])),
                            max(0.0, -float(slack[r])) if slack[r] < -tol[r] else 0.0, row.unit, price))
    ineligible = int((~view.eligible[customers, actions]).sum())
    out.append(AuditRow("eligibility", "eligibility", "<=", 0.0, float(ineligible), -float(ineligible),
                        False, float(ineligible), "assignments"))
    return tuple(out)


@dataclass(frozen=True)
class Evaluation:
    kpis_true: Kpis
    kpis_est: Kpis
    net_value_mc: Interval
    roi_mc: Interval
    audit: tuple[AuditRow, ...]
    coverage: tuple[tuple[str, float], ...]  # (segment, share contacted)
    coverage_ratio: float
    high_risk_coverage: float
    action_mix: tuple[tuple[str, int], ...]  # (action id, customers)
    replications: int

    @property
    def violations(self) -> tuple[AuditRow, ...]:
        return tuple(a for a in self.audit if a.violation > 0)


@dataclass(frozen=True)
class Assigned:
    """Per-assignment arrays (M,) of a plan: who gets what, at which cost, with which effect.
    Ineligible assignments keep their cost and get zero effect and gain."""

    customers: np.ndarray
    actions: np.ndarray
    cost: np.ndarray
    contact: np.ndarray
    effect_true: np.ndarray
    effect_est: np.ndarray
    gain: np.ndarray  # expected revenue gain, dollars
    revenue_gain: np.ndarray  # revenue if the offer succeeds, dollars
    propensity: np.ndarray
    lift: np.ndarray  # incremental CLV share (clv_lift)

    @classmethod
    def of(cls, scenario: Scenario, plan: Plan) -> "Assigned":
        n = scenario.population.n
        if plan.action.shape != (n,):
            raise ValueError(f"plan.action has shape {plan.action.shape}, scenario has {n} customers")
        customers, actions = plan.assignments()
        acts = scenario.catalog.actions
        pair = scenario.pairs.lookup(customers, actions, len(acts))
        eligible = pair >= 0
        idx = np.maximum(pair, 0)
        gain = np.where(eligible, scenario.pairs.gain_at(idx), 0.0)
        revenue_gain = np.where(eligible, np.array([a.revenue_gain for a in acts], float)[actions], 0.0)
        return cls(customers, actions, scenario.view.cost[customers, actions],
                   np.array([a.is_contact for a in acts], bool)[actions],
                   np.where(eligible, scenario.effect_true[idx], 0.0),
                   np.where(eligible, scenario.pairs.uplift_at(idx), 0.0), gain, revenue_gain,
                   np.divide(gain, revenue_gain, out=np.zeros_like(gain), where=revenue_gain > 0),
                   np.where(eligible, scenario.pairs.lift_at(idx), 0.0))


def evaluate(scenario: Scenario, plan: Plan, outcome_seed: np.random.SeedSequence,
             settings: EvaluationSettings = EvaluationSettings()) -> Evaluation:
    """Score a plan under the TRUE effects and under the ESTIMATES, with Monte Carlo outcomes drawn
    from ``outcome_seed`` (the same seed for every strategy: common random numbers)."""
    t = scenario.population.table
    a = Assigned.of(scenario, plan)
    col = {c: t[c].to_numpy(float)[a.customers] for c in ("churn_prob_true", "clv_true", "churn_prob_est", "clv_est")}
    budget = scenario.constraints.budget
    k_true = kpis(col["churn_prob_true"], a.effect_true, col["clv_true"], a.lift, a.gain, a.cost, a.contact, budget)
    k_est = kpis(col["churn_prob_est"], a.effect_est, col["clv_est"], a.lift, a.gain, a.cost, a.contact, budget)
    samples = realized_net_values(scenario, plan, outcome_seed, settings.replications, a)
    nan = Interval(float("nan"), float("nan"), float("nan"))

    treated = np.zeros(scenario.population.n, dtype=bool)
    treated[a.customers[a.contact]] = True
    cov = coverage(treated, t["segment"].to_numpy(), scenario.population.segments())
    high = t["risk_tier"].to_numpy() == "high"
    mix = np.bincount(a.actions, minlength=len(scenario.catalog.actions))
    return Evaluation(
        kpis_true=k_true, kpis_est=k_est,
        net_value_mc=interval(samples, settings.level),
        roi_mc=interval(samples / k_true.spend, settings.level) if k_true.spend > 0 else nan,
        audit=audit(scenario.view, plan), coverage=tuple(cov.items()),
        coverage_ratio=min_max_ratio(list(cov.values())),
        high_risk_coverage=float(treated[high].mean()) if high.any() else float("nan"),
        action_mix=tuple((act.id, int(c)) for act, c in zip(scenario.catalog.actions, mix) if act.is_contact),
        replications=settings.replications,
    )


def realized_net_values(scenario: Scenario, plan: Plan, outcome_seed: np.random.SeedSequence,
                        replications: int, assigned: Assigned | None = None) -> np.ndarray:
    """Realized net value of the plan in each of R replications, (R,) dollars, under the TRUTH.

    Uniforms are drawn for ALL customers in a fixed order and then the plan's customers are picked,
    so every strategy sees the same draws (common random numbers)."""
    a = assigned or Assigned.of(scenario, plan)
    n = scenario.population.n
    t = scenario.population.table
    churn = t["churn_prob_true"].to_numpy(float)[a.customers]
    clv = t["clv_true"].to_numpy(float)[a.customers]
    rng_churn, rng_gain = generator(outcome_seed, "churn"), generator(outcome_seed, "gain")
    chunk = max(1, min(replications, 4_000_000 // max(n, 1)))
    out = []
    for start in range(0, replications, chunk):
        size = min(chunk, replications - start)
        u_churn = rng_churn.random((size, n))[:, a.customers]
        u_gain = rng_gain.random((size, n))[:, a.customers]
        out.append(realized_net_value(churn, a.effect_true, clv, a.lift, a.propensity, a.revenue_gain, a.cost,
                                      u_churn, u_gain))
    return np.concatenate(out)


def audit_frame(evaluation: Evaluation) -> pd.DataFrame:
    return pd.DataFrame([asdict(a) for a in evaluation.audit])
