"""One replicate's campaign: every strategy through T periods of the same world (the closed loop).

For each strategy, independently (each keeps its own state), period after period: the period's
scenario (simcore.campaign.World.period) -> its view (the stated uplifts plus the strategy's own
evidence; the truth for the oracle) -> the plan (timed; a strategy that fails keeps its status and
reason and contacts nobody that period: the campaign goes on) -> the holdout and the outcomes
(simcore.campaign_holdout) -> the evaluation of the plan and of what was carried out (simcore.evaluate,
the one pipeline) -> the pooled uplift estimates with their truth (simcore.campaign_uplift) -> the
off-policy estimates of other plans from this period's log (simcore.campaign_ope) -> the next state.

Seeds (named children of the replicate's seed): the world and its draws (simcore.campaign), the
strategy's rng per period ``("campaign", "strategy", name, t)``, a target's ``("campaign", "target",
logger, target, t)``, the bootstrap's ``("campaign", "ope", logger, t)`` and the Monte Carlo of the
evaluation ``("campaign", "evaluation", t)``: nothing depends on which other strategies run.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmarks.campaign.settings import CampaignSettings, SELF
from benchmarks.pipeline import EXPECTED
from simcore.campaign import Draws, Period, State, World
from simcore.campaign_holdout import Outcome, realize, without_holdout
from simcore.campaign_ope import off_policy, rewards
from simcore.campaign_uplift import Counts, Evidence, estimate
from simcore.campaign_views import CampaignView, TruthView
from simcore.evaluate import EvaluationSettings, evaluate
from simcore.plan import Plan
from simcore.results import REASON, RUNTIME, STATUS, STRATEGY, Status
from simcore.rng import child, generator
from simcore.scenario import ScenarioSpec, ScenarioView
from strategies.base import Strategy

log = logging.getLogger("retention-bench")
PERIOD = "period"
# the row of a period without a plannable customer (everyone active is resting after a contact)
IDLE = {STATUS: str(Status.OK), REASON: "no plannable customer", "plannable": 0, "net_value_true": 0.0,
        "planned_value_true": 0.0, "est_net_value": 0.0, "holdout_forgone": 0.0, "spend": 0.0, "treated": 0,
        "holdout": 0, "feasible": True, "n_violations": 0, RUNTIME: 0.0, "solve_s": float("nan")}


@dataclass(frozen=True)
class CampaignTables:
    """One replicate's campaign. periods: one row per period x strategy; uplift: the pooled
    estimates after each period (simcore.campaign_uplift); ope: off-policy estimates per period x
    logger x target x estimator; log: the logged propensities, one row per selected customer."""

    periods: pd.DataFrame
    uplift: pd.DataFrame
    ope: pd.DataFrame
    log: pd.DataFrame


@dataclass(frozen=True)
class Choice:
    """A period's plan, or why there is none (then nobody is contacted): status, reason, seconds."""

    plan: Plan
    status: Status
    reason: str
    seconds: float


def choose(strategy: Strategy, name: str, view: ScenarioView, rng: np.random.Generator) -> Choice:
    """The strategy's plan on ``view``, with the single-run pipeline's treatment of failures
    (benchmarks.pipeline.run_strategy): a known failure is the period's status and reason, any other
    exception status ``error`` with its traceback in the log."""
    start = time.perf_counter()
    try:
        reason = strategy.supports(view)
        if reason is not None:
            return Choice(Plan.empty(view.n_customers), Status.NOT_APPLICABLE, reason, 0.0)
        plan = strategy.select(view, rng)
        return Choice(plan, Status.OK, "", time.perf_counter() - start)
    except tuple(EXPECTED) as err:
        return Choice(Plan.empty(view.n_customers), EXPECTED[type(err)], str(err), time.perf_counter() - start)
    except Exception as err:  # noqa: BLE001 - one strategy's failure must not cost the others their campaign
        log.exception("%s failed in a campaign period", name)
        return Choice(Plan.empty(view.n_customers), Status.ERROR, f"{type(err).__name__}: {err}",
                      time.perf_counter() - start)


@dataclass
class _Campaign:
    """The running campaign of one strategy (its state, counts and evidence), and the rows it wrote."""

    world: World
    draws: Draws
    settings: CampaignSettings
    evaluation: EvaluationSettings
    seed: np.random.SeedSequence
    name: str
    sees_truth: bool
    state: State
    counts: Counts
    evidence: Evidence
    periods: list[dict]
    uplift: list[pd.DataFrame]
    ope: list[dict]
    log: list[pd.DataFrame]

    @property
    def share(self) -> float:
        """The oracle holds nothing out: it has nothing to learn."""
        return 0.0 if self.sees_truth else self.settings.holdout_share

    def step(self, t: int, strategy: Strategy, targets: Mapping[str, Strategy]) -> None:
        world, state = self.world, self.state
        period = world.period(state, t)
        row = {PERIOD: t, STRATEGY: self.name, "active_customers": int(state.active.sum())}
        if period is None:  # nobody to plan for: the resting customers churn untreated
            churned = state.active & (self.draws.u_churn[t - 1] < world.churn_true[t - 1])
            self.periods.append({**row, **IDLE, "churned": int(churned.sum())})
            self.state = state.advance(world, t, np.zeros(world.slots, bool), churned, 0.0)
            return
        sc = period.scenario
        view = TruthView.of(sc) if self.sees_truth else CampaignView.of(sc.view, self.evidence, t)
        choice = choose(strategy, self.name, view, generator(self.seed, "campaign", "strategy", self.name, t))
        outcome = realize(world, self.draws, state, period, choice.plan, self.share)
        seed = child(self.seed, "campaign", "evaluation", t)
        planned = evaluate(sc, choice.plan, seed, self.evaluation)
        done = evaluate(sc, without_holdout(choice.plan, outcome), seed, self.evaluation)
        solver = choice.plan.solver
        self.periods.append({
            **row, STATUS: str(choice.status), REASON: choice.reason, "plannable": sc.population.n,
            "net_value_true": done.kpis_true.net_value, "planned_value_true": planned.kpis_true.net_value,
            "est_net_value": planned.kpis_est.net_value,
            "holdout_forgone": planned.kpis_true.net_value - done.kpis_true.net_value,
            "spend": done.kpis_true.spend, "treated": done.kpis_true.treated, "holdout": int(outcome.held.sum()),
            "churned": int(outcome.churned_all.sum()), "feasible": not planned.violations,
            "n_violations": len(planned.violations), RUNTIME: choice.seconds,
            "solve_s": solver.solve_seconds if solver is not None else float("nan")})
        self.counts = self.counts.add(world, period, outcome)
        found = estimate(self.counts, self.settings, world.catalog.ids, world.segments)
        self.evidence = found.evidence
        self.uplift.append(found.table.assign(**{PERIOD: t, STRATEGY: self.name}))
        if self.share > 0 and outcome.selected.any():
            self._off_policy(period, view, outcome, choice.plan, targets)
        self.state = state.advance(world, t, outcome.contacted, outcome.churned_all, done.kpis_true.spend)

    def _off_policy(self, period: Period, view: ScenarioView, outcome: Outcome, plan: Plan,
                    targets: Mapping[str, Strategy]) -> None:
        """Log this period's propensities; estimate each target's value from the log (simcore.campaign_ope)."""
        t, sc = period.t, period.scenario
        reward = rewards(sc, outcome)
        sel = np.flatnonzero(outcome.selected)
        ids = np.array(sc.catalog.ids, dtype=object)
        self.log.append(pd.DataFrame({
            PERIOD: t, STRATEGY: self.name, "customer_id": sc.population.table["customer_id"].to_numpy()[sel],
            "planned_action": ids[outcome.planned[sel]],
            "logged_action": np.where(outcome.held[sel], "", ids[np.maximum(outcome.given[sel], 0)]),
            "propensity": np.where(outcome.held[sel], self.share, 1 - self.share),
            "churned": outcome.churned[sel].astype(np.int64), "reward": reward[sel]}))
        plans = {SELF: plan}
        for target, strategy in targets.items():
            rng = generator(self.seed, "campaign", "target", self.name, target, t)
            tried = choose(strategy, target, sc.view, rng)
            if tried.status == Status.OK:
                plans[target] = tried.plan
        rng = generator(self.seed, "campaign", "ope", self.name, t)
        seed = child(self.seed, "campaign", "evaluation", t)
        for target, target_plan in plans.items():
            truth = evaluate(sc, target_plan, seed, self.evaluation).kpis_true.net_value
            for e in off_policy(view, outcome, reward, target_plan.action, self.share, rng,
                                self.settings.bootstrap, self.settings.ci_level):
                self.ope.append({PERIOD: t, STRATEGY: self.name, "target": target, "estimator": e.estimator,
                                 "estimate": e.estimate, "ci_lo": e.lo, "ci_hi": e.hi, "truth": truth,
                                 "support": e.support, "target_treated": e.treated,
                                 "covered": bool(e.lo <= truth <= e.hi)})


def run_campaign(spec: ScenarioSpec, settings: CampaignSettings, strategies: Mapping[str, Strategy],
                 targets: Mapping[str, Strategy], evaluation: EvaluationSettings,
                 seed: np.random.SeedSequence) -> CampaignTables:
    """Every strategy's campaign in the world of the replicate seeded ``seed`` (module docstring)."""
    world = World.build(spec, settings, seed)
    draws = world.draws(seed)
    k = len(world.catalog.actions)
    parts: dict[str, list] = {"periods": [], "uplift": [], "ope": [], "log": []}
    for name, strategy in strategies.items():
        run = _Campaign(world, draws, settings, evaluation, seed, name, name == settings.oracle, world.start(),
                        Counts.empty(k, len(world.segments)), Evidence.none(k, world.segments), [], [], [], [])
        for t in range(1, settings.periods + 1):
            run.step(t, strategy, targets)
        parts["periods"] += run.periods
        parts["uplift"] += run.uplift
        parts["ope"] += run.ope
        parts["log"] += run.log
    return CampaignTables(pd.DataFrame(parts["periods"]), _frames(parts["uplift"]), pd.DataFrame(parts["ope"]),
                          _frames(parts["log"]))


def _frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [f for f in frames if not f.empty]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
