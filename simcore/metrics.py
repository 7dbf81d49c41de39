"""Pure metric functions. Arrays are per assignment (M,) unless said otherwise; money in dollars."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Kpis:
    treated: int
    spend: float
    retained_clv: float
    incremental_clv: float
    revenue_gain: float
    net_value: float
    roi: float
    churn_reduction: float  # expected number of churners prevented
    budget_utilization: float


def ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def kpis(churn: np.ndarray, effect: np.ndarray, clv: np.ndarray, lift: np.ndarray, gain: np.ndarray,
         cost: np.ndarray, contact: np.ndarray, budget: float | None) -> Kpis:
    """Expected KPIs of a plan given per-assignment churn probability, effect, CLV, CLV lift, expected
    gain, cost and whether the action is a contact."""
    retained = float(np.sum(churn * effect * clv))
    incremental = float(np.sum(lift * clv))
    revenue = float(np.sum(gain))
    spend = float(np.sum(cost))
    net = retained + incremental + revenue - spend
    return Kpis(
        treated=int(np.sum(contact)), spend=spend, retained_clv=retained, incremental_clv=incremental,
        revenue_gain=revenue,
        net_value=net, roi=ratio(net, spend), churn_reduction=float(np.sum(churn * effect)),
        budget_utilization=ratio(spend, budget) if budget is not None else float("nan"),
    )


def realized_net_value(churn: np.ndarray, effect: np.ndarray, clv: np.ndarray, lift: np.ndarray,
                       propensity: np.ndarray, revenue_gain: np.ndarray, cost: np.ndarray, u_churn: np.ndarray,
                       u_gain: np.ndarray) -> np.ndarray:
    """Realized net value per replication, (R,). The incremental CLV of a lift is the expectation over
    the horizon the CLV already stands for, so it is added as it is, with no draw.

    A customer is SAVED in a replication when p(1 - effect) <= U < p: without the action they would
    have churned, with it they stay (U is one uniform per customer and replication, shared by every
    strategy). An upsell succeeds when V < propensity. u_churn, u_gain: (R, M).
    """
    saved = (u_churn >= churn * (1 - effect)) & (u_churn < churn)
    won = u_gain < propensity
    return saved @ clv + won @ revenue_gain + float(lift @ clv) - cost.sum()


@dataclass(frozen=True)
class Interval:
    mean: float
    lo: float
    hi: float


def interval(samples: np.ndarray, level: float = 0.95) -> Interval:
    """Mean and the central ``level`` percentile interval of the samples."""
    if len(samples) == 0:
        return Interval(float("nan"), float("nan"), float("nan"))
    a = (1 - level) / 2
    lo, hi = np.quantile(samples, [a, 1 - a])
    return Interval(float(np.mean(samples)), float(lo), float(hi))


def coverage(treated: np.ndarray, groups: np.ndarray, labels: tuple[str, ...]) -> dict[str, float]:
    """Share of customers contacted per group label. treated, groups: (n_customers,)."""
    return {g: ratio(float(treated[groups == g].sum()), float((groups == g).sum())) for g in labels}


def min_max_ratio(rates: list[float]) -> float:
    rates = [r for r in rates if not np.isnan(r)]
    return ratio(min(rates), max(rates)) if rates else float("nan")
