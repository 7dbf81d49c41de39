"""The one evaluation pipeline: plan -> KPIs (truth and belief), Monte Carlo outcomes, constraint
audit, fairness, action mix -> one flat record. It never asks which strategy made the plan."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from simcore.checks import check_scalar
from simcore.constraints import LinearSystem
from simcore.metrics import Interval, Kpis, coverage, interval, kpis, min_max_ratio, realized_net_value
from simcore.plan import Plan
from simcore.rng import generator
from simcore.scenario import Scenario, ScenarioView


@dataclass(frozen=True)
class EvaluationSettings:
    """replications: Monte Carlo draws of realized outcomes; level: width of the reported interval."""

    replications: int = 500
    level: float = 0.95

    def __post_init__(self) -> None:
        check_scalar(self.replications, "evaluation.replications", int, 1)
        check_scalar(self.level, "evaluation.level", float, 0.0, 1.0, min_inclusive=False, max_inclusive=False)


@dataclass(frozen=True)
class AuditRow:
    """slack = limit - used for '<=', used - limit for '>='; binding: no room for one more unit
    (slack below the row's smallest coefficient); violation = max(0, -slack)."""

    name: str
    kind: str
    sense: str
    limit: float
    used: float
    slack: float
    binding: bool
    violation: float
    unit: str


def audit(view: ScenarioView, plan: Plan) -> tuple[AuditRow, ...]:
    """Check a plan against every compiled row, plus eligibility. Ineligible assignments count in
    every row (their cost is spent) and earn no effect."""
    customers, actions = plan.assignments()
    cost = view.cost[customers, actions]
    pairs = view.pairs
    out = []
    for row in view.system.rows:
        used = float(row.coefficients(customers, actions, cost).sum())
        slack = row.rhs - used if row.sense == "<=" else used - row.rhs
        eligible_coef = row.coefficients(pairs.customer, pairs.action, pairs.cost)
        positive = eligible_coef[eligible_coef > 0]
        step = float(positive.min()) if len(positive) else np.inf
        tol = 1e-9 * max(1.0, abs(row.rhs))
        out.append(AuditRow(row.name, row.kind, row.sense, row.rhs, used, slack,
                            bool(-tol <= slack < step - tol) or abs(slack) <= tol,
                            max(0.0, -slack) if slack < -tol else 0.0, row.unit))
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

    def record(self) -> dict[str, float | int | str | bool]:
        """One flat row of results (column name -> scalar)."""
        rec: dict[str, float | int | str | bool] = {}
        for prefix, k in (("", self.kpis_true), ("est_", self.kpis_est)):
            for name, value in asdict(k).items():
                if prefix and name in ("treated", "spend", "budget_utilization"):
                    continue
                rec[f"{prefix}{name}"] = value
        rec["optimizer_curse"] = self.kpis_est.net_value - self.kpis_true.net_value
        for name, iv in (("net_value_mc", self.net_value_mc), ("roi_mc", self.roi_mc)):
            rec[f"{name}_mean"], rec[f"{name}_lo"], rec[f"{name}_hi"] = iv.mean, iv.lo, iv.hi
        rec["mc_replications"] = self.replications
        rec["feasible"] = not self.violations
        rec["n_violations"] = len(self.violations)
        rec["violations"] = "; ".join(f"{a.name} by {a.violation:,.2f} {a.unit}" for a in self.violations)
        rec["binding"] = "; ".join(a.name for a in self.audit if a.binding)
        for seg, share in self.coverage:
            rec[f"coverage.{seg}"] = share
        rec["coverage_min_max_ratio"] = self.coverage_ratio
        rec["high_risk_coverage"] = self.high_risk_coverage
        for action, count in self.action_mix:
            rec[f"mix.{action}"] = count
        return rec


def evaluate(scenario: Scenario, plan: Plan, outcome_seed: np.random.SeedSequence,
             settings: EvaluationSettings = EvaluationSettings()) -> Evaluation:
    """Score a plan under the TRUE effects and under the ESTIMATES, with Monte Carlo outcomes drawn
    from ``outcome_seed`` (the same seed for every strategy: common random numbers)."""
    view, t = scenario.view, scenario.population.table
    n = scenario.population.n
    if plan.action.shape != (n,):
        raise ValueError(f"plan.action has shape {plan.action.shape}, scenario has {n} customers")
    customers, actions = plan.assignments()
    pair = scenario.pairs.lookup(customers, actions, len(scenario.catalog.actions))
    eligible = pair >= 0
    idx = np.where(eligible, pair, 0)
    cost = view.cost[customers, actions]
    gain = np.where(eligible, scenario.pairs.gain[idx], 0.0)
    contact = np.array([a.is_contact for a in scenario.catalog.actions])[actions]
    effect_true = np.where(eligible, scenario.effect_true[idx], 0.0)
    effect_est = np.where(eligible, scenario.pairs.uplift[idx], 0.0)
    col = {c: t[c].to_numpy(float)[customers] for c in
           ("churn_prob_true", "clv_true", "churn_prob_est", "clv_est", "upsell_propensity")}
    budget = scenario.constraints.budget
    k_true = kpis(col["churn_prob_true"], effect_true, col["clv_true"], gain, cost, contact, budget)
    k_est = kpis(col["churn_prob_est"], effect_est, col["clv_est"], gain, cost, contact, budget)

    revenue_gain = np.array([a.revenue_gain for a in scenario.catalog.actions], float)[actions]
    propensity = np.divide(gain, revenue_gain, out=np.zeros_like(gain), where=revenue_gain > 0)
    samples = _monte_carlo(col["churn_prob_true"], effect_true, col["clv_true"], propensity,
                           np.where(eligible, revenue_gain, 0.0), cost, customers, n, outcome_seed,
                           settings.replications)
    roi_samples = samples / k_true.spend if k_true.spend > 0 else np.full_like(samples, np.nan)

    treated = np.zeros(n, dtype=bool)
    treated[customers[contact]] = True
    segments = scenario.population.segments()
    cov = coverage(treated, t["segment"].to_numpy(), segments)
    high = t["risk_tier"].to_numpy() == "high"
    mix = np.bincount(actions, minlength=len(scenario.catalog.actions))
    return Evaluation(
        kpis_true=k_true, kpis_est=k_est,
        net_value_mc=interval(samples, settings.level),
        roi_mc=interval(roi_samples, settings.level) if k_true.spend > 0 else Interval(*[float("nan")] * 3),
        audit=audit(view, plan), coverage=tuple(cov.items()), coverage_ratio=min_max_ratio(list(cov.values())),
        high_risk_coverage=float(treated[high].mean()) if high.any() else float("nan"),
        action_mix=tuple((a.id, int(c)) for a, c in zip(scenario.catalog.actions, mix) if a.is_contact),
        replications=settings.replications,
    )


def _monte_carlo(churn, effect, clv, propensity, revenue_gain, cost, customers, n, seed, replications):
    """Realized net value per replication (R,). Uniforms are drawn for ALL n customers in a fixed
    order, then the plan's customers are picked, so every strategy sees the same draws."""
    rng_churn, rng_gain = generator(seed, "churn"), generator(seed, "gain")
    chunk = max(1, min(replications, 4_000_000 // max(n, 1)))
    out = []
    for start in range(0, replications, chunk):
        size = min(chunk, replications - start)
        u_churn = rng_churn.random((size, n))[:, customers]
        u_gain = rng_gain.random((size, n))[:, customers]
        out.append(realized_net_value(churn, effect, clv, propensity, revenue_gain, cost, u_churn, u_gain))
    return np.concatenate(out)


def audit_frame(evaluation: Evaluation) -> pd.DataFrame:
    return pd.DataFrame([asdict(a) for a in evaluation.audit])
