"""The rule-based next-best-action engine of seed 000, as teams write it in practice.

Rule segments (first match wins; risk = estimated churn probability, CLV = annual revenue x
(1 - risk) x horizon_years):
  critical_save        risk > critical_risk and CLV > high_clv
  automated_retention  risk > critical_risk
  upsell_opportunity   risk < upsell_max_risk and CLV > high_clv and engagement > upsell_min_engagement
  monitor_only         risk < monitor_max_risk and CLV > high_clv
  standard_service     everyone else
Each rule segment lists candidate roles (call, discount, upsell). Expected value per role:
  call      call_value_share x CLV - call_cost                       (0.7 x CLV - 500)
  discount  discount_effect x discount_redemption x CLV - discount_share x annual revenue
  upsell    upsell_propensity x upsell_value - upsell_cost           (p x 10,000 - 200)
Rule segments without candidates (monitor_only, standard_service) get no action, as in the seed.
Every customer is ranked by its recommendation's EV (no action counts as EV 0, as the seed's table
does), only the ``top_k`` first rows are kept (the seed's ``head(500)``: a no-action row takes a place,
and a negative-EV action can only make it when fewer than ``top_k`` customers have EV >= 0); walking
that ranking, calls beyond ``weekly_call_capacity`` downgrade to the next candidate (the discount).
These EVs are the engine's own belief; the evaluator scores the plan on the same model as every other
strategy.

Two defects of the seed are fixed, not options: calls beyond capacity are downgraded by RANK (the
seed compared the DataFrame index, the customer's row in the input file, so which calls survived
depended on file order), and the scenario's limits (its $100,000 budget, which the seed never
enforced) hold, through ``greedy_fill``. One deliberate improvement is an option, off by default (the
seed's behaviour): ``positive_ev_only`` drops candidates whose EV is not positive, so no customer is
downgraded to a discount that loses money.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from simcore.checks import as_str_tuple, check_bool, check_choice, check_scalar
from simcore.constraints import LE, Row, RowSpec
from simcore.plan import Plan
from simcore.scenario import ScenarioView
from strategies.base import Strategy, greedy_fill

ROLES = ("call", "discount", "upsell")
RULE_SEGMENTS = ("critical_save", "automated_retention", "upsell_opportunity", "monitor_only", "standard_service")
DEFAULT_CANDIDATES = {
    "critical_save": ("call", "discount"),
    "automated_retention": ("discount",),
    "upsell_opportunity": ("upsell",),
    "monitor_only": (),
    "standard_service": (),
}


@dataclass(frozen=True)
class NbaRules(Strategy):
    call_action: str = "account_call"
    discount_action: str = "discount_email"
    upsell_action: str = "upsell"
    horizon_years: float = 3.0
    critical_risk: float = 0.6
    high_clv: float = 50_000.0
    upsell_max_risk: float = 0.2
    upsell_min_engagement: float = 75.0
    monitor_max_risk: float = 0.3
    call_value_share: float = 0.7
    call_cost: float = 500.0
    discount_effect: float = 0.4
    discount_redemption: float = 0.8
    discount_share: float = 0.2
    upsell_value: float = 10_000.0
    upsell_cost: float = 200.0
    weekly_call_capacity: int | None = 50
    top_k: int | None = 500
    positive_ev_only: bool = False
    candidates: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_CANDIDATES))

    def __post_init__(self) -> None:
        for name in ("critical_risk", "upsell_max_risk", "monitor_max_risk", "call_value_share",
                     "discount_effect", "discount_redemption", "discount_share"):
            check_scalar(getattr(self, name), f"{name}", float, 0.0, 1.0)
        for name in ("horizon_years", "high_clv", "upsell_min_engagement", "call_cost", "upsell_value", "upsell_cost"):
            check_scalar(getattr(self, name), f"{name}", float, 0.0)
        check_bool(self.positive_ev_only, "positive_ev_only")
        for name in ("weekly_call_capacity", "top_k"):
            if getattr(self, name) is not None:
                check_scalar(getattr(self, name), f"{name}", int, 0)
        merged = dict(DEFAULT_CANDIDATES)
        for seg, roles in dict(self.candidates or {}).items():
            check_choice(seg, f"candidates.{seg}", RULE_SEGMENTS)
            roles = as_str_tuple(roles, f"candidates.{seg}") if roles else ()
            for i, r in enumerate(roles):
                check_choice(r, f"candidates.{seg}[{i}]", ROLES)
            merged[seg] = roles
        object.__setattr__(self, "candidates", merged)

    def _role_actions(self) -> dict[str, str]:
        return {"call": self.call_action, "discount": self.discount_action, "upsell": self.upsell_action}

    def supports(self, view: ScenarioView) -> str | None:
        missing = [a for a in self._role_actions().values() if a not in view.catalog.ids]
        if missing:
            return (f"the catalog has no {', '.join(map(repr, missing))} (nba_rules maps its rule segments to "
                    f"call/discount/upsell actions; set strategy.nba_rules.call_action etc.)")
        if not (view.customers["engagement"] > 0).any():
            return "the population has no engagement score"
        return None

    def rule_segments(self, view: ScenarioView) -> np.ndarray:
        c = view.customers
        risk = c["churn_prob_est"].to_numpy(float)
        clv = self.clv(view)
        engagement = c["engagement"].to_numpy(float)
        return np.select(
            [(risk > self.critical_risk) & (clv > self.high_clv),
             risk > self.critical_risk,
             (risk < self.upsell_max_risk) & (clv > self.high_clv) & (engagement > self.upsell_min_engagement),
             (risk < self.monitor_max_risk) & (clv > self.high_clv)],
            list(RULE_SEGMENTS[:4]), RULE_SEGMENTS[4])

    def clv(self, view: ScenarioView) -> np.ndarray:
        c = view.customers
        return c["annual_revenue"].to_numpy(float) * (1 - c["churn_prob_est"].to_numpy(float)) * self.horizon_years

    def expected_values(self, view: ScenarioView) -> dict[str, np.ndarray]:
        """EV per role, (n_customers,) dollars each, as the engine computes them."""
        c = view.customers
        clv = self.clv(view)
        return {
            "call": self.call_value_share * clv - self.call_cost,
            "discount": self.discount_effect * self.discount_redemption * clv
            - self.discount_share * c["annual_revenue"].to_numpy(float),
            "upsell": c["upsell_propensity"].to_numpy(float) * self.upsell_value - self.upsell_cost,
        }

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        n = view.n_customers
        ev = self.expected_values(view)
        action_of = {role: view.catalog.index(a) for role, a in self._role_actions().items()}
        segment = self.rule_segments(view)
        # (n, 3) EV per role, -inf where the rule segment does not list the role (or, with
        # positive_ev_only, where the EV is not positive)
        table = np.full((n, len(ROLES)), -np.inf)
        for seg, roles in self.candidates.items():
            rows = segment == seg
            for role in roles:
                j = ROLES.index(role)
                table[rows, j] = ev[role][rows]
        if self.positive_ev_only:
            table[table <= 0] = -np.inf
        ranked_roles = np.argsort(-table, axis=1, kind="stable")
        best = table[np.arange(n), ranked_roles[:, 0]]
        rank = np.where(np.isfinite(best), best, 0.0)  # no action is a row with EV 0, as in the seed
        order = np.argsort(-rank, kind="stable")
        if self.top_k is not None:
            order = order[:self.top_k]  # the seed's head(top_k), no-action rows included
        order = order[np.isfinite(best[order])]
        role_action = np.array([action_of[r] for r in ROLES])
        candidates = [[role_action[j] for j in ranked_roles[i] if np.isfinite(table[i, j])] for i in order]
        extra = []
        if self.weekly_call_capacity is not None:
            weight = np.zeros(len(view.catalog.actions))
            weight[action_of["call"]] = 1.0
            extra.append(RowSpec(Row("nba_call_capacity", "capacity", LE, float(self.weekly_call_capacity), "contacts",
                                     "weekly call capacity of the NBA engine"), action_weight=weight))
        return Plan(greedy_fill(view, order, candidates, extra_rows=extra))
