"""Campaigns over time, the simulator side: T periods (weeks) of one world, its dynamics, and the
state each strategy carries from one period to the next.

A campaign's customers are SLOTS in a fixed universe: the replicate's population (the same customers a
single run of this replicate sees, drawn from the same named seed) followed by one cohort of
``arrivals`` new customers per later period. Everything exogenous is drawn once per replicate over
the whole universe, in a fixed layout, from named children of the replicate's seed, and shared by
every strategy (common random numbers): the churn drift, the true effects, the outcome uniforms and
the holdout uniforms (:class:`Draws`). Only what a strategy causes differs between strategies: who is
still active, who was contacted when (:class:`State`).

A period of one strategy (:meth:`World.period`):

1. the PLANNABLE customers are the active ones not resting after a contact (``cooloff``); they form
   the period's :class:`~simcore.scenario.Scenario`, with this period's true and estimated churn and
   CLV (drift, accrual), the catalog's eligibility and the world's constraints compiled on them
   (shares resolve over the plannable customers, so a floor never counts a customer the cool-off
   forbids contacting: the cool-off is a constraint of its own, kept by construction), the budget
   capped by what is left of the campaign budget, and the period's TRUE effect of every eligible pair:
   the world's effect times ``(1 - fatigue) ** contacts in the last fatigue_window periods``;
2. the strategy plans on a view of it (``simcore.campaign_views``); a random holdout of its selected
   customers gets no action (``simcore.campaign_holdout``);
3. outcomes are realized from the truth: active customer i churns when ``U[t, i] < p_t(i) x (1 -
   effect)`` with one uniform per slot and period shared by every strategy (the convention of
   ``simcore.evaluate``: saved when p(1 - effect) <= U < p); churned customers leave, the next cohort
   arrives (:meth:`State.advance`).

Units: a period is one horizon of the world's churn model (``churn_prob_true`` is the probability of
churning within the period); CLV in dollars, the value kept if the customer stays.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from simcore.catalog import Catalog
from simcore.checks import check_choice, check_instance, check_mapping, check_scalar, check_share
from simcore.constraints import Budget, ConstraintSet
from simcore.population import COLUMNS, Population, derive_tiers
from simcore.rng import generator
from simcore.scenario import Scenario, ScenarioSpec

CI_METHODS = ("newcomb", "agresti-caffo", "wald")  # statsmodels confint_proportions_2indep, compare="diff"


@dataclass(frozen=True)
class Dynamics:
    """How the world moves between periods; every part is off at its default.

    fatigue: share of the TRUE effect a customer loses per contact in the last ``fatigue_window``
    periods (0.3: one recent contact leaves 70% of the effect, two 49%); cooloff: a customer contacted
    in the last ``cooloff`` periods is not offered to the planner (0 = no rule); churn_drift: shift of
    every customer's logit churn probability per period; churn_volatility: sd of each customer's logit
    random-walk step per period (the churn model's estimate moves with the truth: its error per
    customer persists); clv_growth: share by which CLV (true and estimated) grows per period a customer
    stays; arrivals: new customers joining at the start of every period after the first, drawn from the
    scenario's population source (a synthetic one draws new customers)."""

    fatigue: float = 0.0
    fatigue_window: int = 2
    cooloff: int = 0
    churn_drift: float = 0.0
    churn_volatility: float = 0.0
    clv_growth: float = 0.0
    arrivals: int = 0

    def __post_init__(self) -> None:
        check_share(self.fatigue, "fatigue")
        check_scalar(self.fatigue_window, "fatigue_window", int, 1)
        check_scalar(self.cooloff, "cooloff", int, 0)
        check_scalar(self.churn_drift, "churn_drift", float, -5.0, 5.0)
        check_scalar(self.churn_volatility, "churn_volatility", float, 0.0, 5.0)
        check_scalar(self.clv_growth, "clv_growth", float, -0.5, 1.0)
        check_scalar(self.arrivals, "arrivals", int, 0)


@dataclass(frozen=True)
class CampaignDesign:
    """What a campaign is (the simulator's part of the ``campaign`` config node).

    periods: T; holdout_share: the share of each strategy's selected customers held out, stratified by
    action and segment (simcore.campaign_holdout); campaign_budget: dollars over all periods, None =
    only the world's per-period budget; true_uplift: {action id: its TRUE mean relative uplift} where
    the catalog's stated one is wrong (the truth the holdout has to find; others: as stated);
    dynamics: fatigue, cool-off, drift, accrual, arrivals; ci_level / ci_method: the uplift intervals
    (statsmodels ``confint_proportions_2indep``, compare="diff": newcomb = Newcomb's hybrid score
    interval, statsmodels' default); min_holdout: held-out AND treated customers a segment needs for an
    estimate of its own (else it takes its action's); bootstrap: resamples of the off-policy intervals."""

    periods: int = 8
    holdout_share: float = 0.1
    campaign_budget: float | None = None
    true_uplift: Mapping[str, float] = field(default_factory=dict)
    dynamics: Dynamics = field(default_factory=Dynamics)
    ci_level: float = 0.95
    ci_method: str = "newcomb"
    min_holdout: int = 5
    bootstrap: int = 200

    def __post_init__(self) -> None:
        check_scalar(self.periods, "periods", int, 1, 520)
        check_scalar(self.holdout_share, "holdout_share", float, 0.0, 1.0, max_inclusive=False)
        if self.campaign_budget is not None:
            check_scalar(self.campaign_budget, "campaign_budget", float, 0.0)
        uplift = check_mapping(self.true_uplift, "true_uplift")
        for key, value in uplift.items():
            check_share(value, f"true_uplift.{key}")
        object.__setattr__(self, "true_uplift", uplift)
        check_instance(self.dynamics, "dynamics", Dynamics)
        check_scalar(self.ci_level, "ci_level", float, 0.0, 1.0, min_inclusive=False, max_inclusive=False)
        check_choice(self.ci_method, "ci_method", CI_METHODS)
        check_scalar(self.min_holdout, "min_holdout", int, 1)
        check_scalar(self.bootstrap, "bootstrap", int, 10)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Draws:
    """The campaign's random numbers, common to every strategy. u_churn, u_hold: (T, U) one uniform
    per period and slot (outcomes; the holdout's order within a stratum); u_round: (T, K, S) one
    uniform per period and stratum (the holdout count's randomized rounding)."""

    u_churn: np.ndarray
    u_hold: np.ndarray
    u_round: np.ndarray

    @classmethod
    def of(cls, seed: np.random.SeedSequence, periods: int, slots: int, actions: int, segments: int) -> Draws:
        hold = generator(seed, "campaign", "holdout")
        return cls(generator(seed, "campaign", "outcomes").random((periods, slots)),
                   hold.random((periods, slots)), hold.random((periods, actions, segments)))


@dataclass(frozen=True)
class Period:
    """One period of one strategy: t (1-based), the period's scenario (the truth of its plannable
    customers) and slots (n,) the universe slot of each of its customers, in scenario order."""

    t: int
    scenario: Scenario
    slots: np.ndarray


@dataclass(frozen=True)
class World:
    """One replicate's campaign world. table: (U,) the customers' attributes at arrival (population
    columns); arrival: (U,) the period each slot joins (1 = the initial population); churn_true,
    churn_est, clv_true, clv_est: (T, U) each period's values; effect: (U, K) the true relative churn
    reduction of each action before fatigue (zero for actions a customer is never offered);
    segment: (U,) index into ``segments``; stated: (K,) the catalog's stated uplifts."""

    name: str
    design: CampaignDesign
    catalog: Catalog
    constraints: ConstraintSet
    high_risk_threshold: float
    table: pd.DataFrame
    arrival: np.ndarray
    churn_true: np.ndarray
    churn_est: np.ndarray
    clv_true: np.ndarray
    clv_est: np.ndarray
    effect: np.ndarray
    segments: tuple[str, ...]
    segment: np.ndarray
    stated: np.ndarray

    @property
    def slots(self) -> int:
        return len(self.table)

    @classmethod
    def build(cls, spec: ScenarioSpec, design: CampaignDesign, seed: np.random.SeedSequence) -> World:
        """The world of the replicate whose seed is ``seed``: its population (the one a single run of
        this replicate draws), the arrival cohorts, the drift of churn and CLV, and the true effects."""
        catalog, dyn, periods = spec.catalog, design.dynamics, design.periods
        for key in design.true_uplift:
            catalog.index(key, f"campaign.true_uplift.{key}")
        first = spec.population.build(generator(seed, "scenario", "population"))
        cohorts = [first.table.assign(arrival=1)]
        for t in range(2, periods + 1):
            if dyn.arrivals == 0:
                break
            fresh = spec.population.build(generator(seed, "campaign", "arrivals", t)).table
            pick = generator(seed, "campaign", "arrivals", t, "pick").choice(
                len(fresh), min(dyn.arrivals, len(fresh)), replace=False)
            cohort = fresh.iloc[np.sort(pick)].assign(arrival=t)
            cohorts.append(cohort.assign(customer_id=[f"t{t:02d}.{c}" for c in cohort["customer_id"]]))
        table = pd.concat(cohorts, ignore_index=True)
        arrival = table.pop("arrival").to_numpy(np.int64)
        n, k = len(table), len(catalog.actions)
        # per-period logit steps, the same for truth and estimate; a slot drifts from its arrival on
        steps = dyn.churn_drift + dyn.churn_volatility * generator(seed, "campaign", "drift").standard_normal(
            (periods, n))
        steps[0] = 0.0
        walk = np.cumsum(steps, axis=0)
        since = walk - walk[arrival - 1, np.arange(n)][None, :]
        growth = (1 + dyn.clv_growth) ** np.maximum(0, np.arange(1, periods + 1)[:, None] - arrival[None, :])

        def drifted(column: str) -> np.ndarray:
            return 1 / (1 + np.exp(-(_logit(table[column].to_numpy(float))[None, :] + since)))

        stated = np.array([a.uplift for a in catalog.actions], float)
        true_mean = np.array([design.true_uplift.get(a.id, a.uplift) for a in catalog.actions], float)
        effect = spec.effects.true_effect(np.tile(true_mean, n), generator(seed, "campaign", "effects")).reshape(n, k)
        segments = tuple(sorted(table["segment"].astype(str).unique()))
        return cls(spec.name, design, catalog, spec.constraint_set, first.high_risk_threshold, table, arrival,
                   drifted("churn_prob_true"), drifted("churn_prob_est"),
                   table["clv_true"].to_numpy(float)[None, :] * growth,
                   table["clv_est"].to_numpy(float)[None, :] * growth, effect, segments,
                   np.searchsorted(segments, table["segment"].astype(str).to_numpy()), stated)

    def draws(self, seed: np.random.SeedSequence) -> Draws:
        return Draws.of(seed, self.design.periods, self.slots, len(self.catalog.actions), len(self.segments))

    def start(self) -> State:
        """Every strategy's state before period 1: the initial population active, nobody contacted."""
        return State(self.arrival == 1, np.zeros((self.design.periods, self.slots), bool), 0.0)

    def period(self, state: State, t: int) -> Period | None:
        """The scenario of period ``t`` for a strategy in ``state`` (see the module docstring); None
        when no customer is plannable."""
        dyn = self.design.dynamics
        slots = np.flatnonzero(state.active & ~state.contacted_within(t, dyn.cooloff))
        if len(slots) == 0:
            return None
        table = self.table.iloc[slots].copy()
        for column, values in (("churn_prob_true", self.churn_true), ("churn_prob_est", self.churn_est),
                               ("clv_true", self.clv_true), ("clv_est", self.clv_est)):
            table[column] = values[t - 1, slots]
        population = Population(derive_tiers(table.reset_index(drop=True), self.high_risk_threshold)[list(COLUMNS)],
                                self.high_risk_threshold)
        eligible = self.catalog.eligibility(population)
        customers, actions = np.nonzero(eligible)
        recent = state.contacted_within(t, dyn.fatigue_window, count=True)[slots]
        effect = self.effect[slots[customers], actions] * (1 - dyn.fatigue) ** recent[customers]
        scenario = Scenario.assemble(self.name, population, self.catalog, self.period_constraints(state),
                                     eligible, effect_true=effect)
        return Period(t, scenario, slots)

    def period_constraints(self, state: State) -> ConstraintSet:
        """The world's constraints with the budget capped by what is left of the campaign budget."""
        if self.design.campaign_budget is None:
            return self.constraints
        left = max(0.0, self.design.campaign_budget - state.spent)
        items = dict(self.constraints.constraints)
        keys = [k for k, c in items.items() if isinstance(c, Budget)]
        if keys:
            items[keys[0]] = replace(items[keys[0]], limit=min(float(items[keys[0]].limit), left))
        else:
            items["budget"] = Budget(limit=left)
        return ConstraintSet(items)


@dataclass(frozen=True)
class State:
    """What one strategy's campaign has done to the world. active: (U,) still a customer (arrived and
    not churned); contacted: (T, U) contacted in period t (row t - 1; a held-out customer was not);
    spent: dollars so far."""

    active: np.ndarray
    contacted: np.ndarray
    spent: float

    def contacted_within(self, t: int, periods: int, count: bool = False) -> np.ndarray:
        """(U,) contacted in the ``periods`` periods before t (bool), or how often (``count``)."""
        window = self.contacted[max(0, t - 1 - periods):t - 1]
        return window.sum(axis=0) if count else window.any(axis=0)

    def advance(self, world: World, t: int, contacted: np.ndarray, churned: np.ndarray, spend: float) -> State:
        """The state after period t: contacted and churned are (U,) bool; the next cohort arrives."""
        history = self.contacted.copy()
        history[t - 1] = contacted
        return State((self.active & ~churned) | (world.arrival == t + 1), history, self.spent + spend)
