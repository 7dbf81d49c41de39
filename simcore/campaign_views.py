"""What a strategy sees in a campaign period.

- :class:`CampaignView`: the period scenario's own view (estimates only, the catalog's STATED
  uplifts) plus what this strategy has learned from its own holdouts so far (``evidence``, pooled over
  the periods before this one). A strategy that does not learn just plans on it as on any view; a
  learning one replaces the stated uplifts by what it learned (:func:`with_uplift`). It never holds
  the truth.
- :class:`TruthView`: the same scenario seen through the truth (true churn, CLV and per-pair effects
  in place of the estimates). Only the campaign's oracle gets one (``campaign.oracle``): the best plan
  possible under the world's constraints, the reference for regret. ``strategies.oracle.Oracle``
  refuses any other view, so it cannot run where there is no truth to give it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from simcore.campaign_uplift import Evidence
from simcore.effects import pair_value
from simcore.scenario import Pairs, Scenario, ScenarioView


def _fields(view: ScenarioView) -> dict:
    return {f.name: getattr(view, f.name) for f in dataclasses.fields(ScenarioView)}


@dataclass(frozen=True)
class CampaignView(ScenarioView):
    """A ScenarioView plus ``evidence`` (the strategy's own holdout estimates so far) and ``period``
    (1-based)."""

    evidence: Evidence
    period: int

    @classmethod
    def of(cls, view: ScenarioView, evidence: Evidence, period: int) -> CampaignView:
        return cls(**_fields(view), evidence=evidence, period=period)


@dataclass(frozen=True)
class TruthView(ScenarioView):
    """A ScenarioView whose estimates ARE the truth (see the module docstring)."""

    @classmethod
    def of(cls, scenario: Scenario) -> TruthView:
        """The scenario seen through the truth: churn_prob_est and clv_est replaced by the true
        values, each pair's uplift by its true effect and its value by its true value. Tiers and the
        compiled constraint rows stay as they are: the world's rules are stated on the estimated
        tiers, and the oracle keeps the same rules as everyone else."""
        view = scenario.view
        truth = scenario.population.table
        customers = view.customers.copy()
        customers["churn_prob_est"] = truth["churn_prob_true"].to_numpy(float)
        customers["clv_est"] = truth["clv_true"].to_numpy(float)
        fields = _fields(view)
        fields["customers"] = customers
        fields["pairs"] = _repriced(view.pairs, customers, scenario.effect_true)
        return cls(**fields)


def _repriced(pairs: Pairs, customers, uplift: np.ndarray) -> Pairs:
    """The pairs with ``uplift`` (P,) as their effect and their value recomputed from the customers'
    churn_prob_est and clv_est (the one value formula, simcore.effects.pair_value)."""
    churn = customers["churn_prob_est"].to_numpy(float)[pairs.customer]
    clv = customers["clv_est"].to_numpy(float)[pairs.customer]
    return pairs.with_uplift(uplift, pair_value(churn, uplift, clv, pairs.lift, pairs.gain, pairs.cost))


def with_uplift(view: ScenarioView, uplift: np.ndarray) -> ScenarioView:
    """The same view (of the same class) with the pairs' uplift replaced by ``uplift`` (P,), relative
    churn reduction in [0, 1], and their estimated value recomputed: what a learning strategy plans on.
    The catalog's stated uplift of each action becomes the mean of its pairs' new uplift (unchanged
    for an action without eligible pairs), for the heuristics that rank by the catalog's uplift."""
    uplift = np.clip(np.asarray(uplift, float), 0.0, 1.0)
    pairs = view.pairs
    actions = []
    for k, action in enumerate(view.catalog.actions):
        mine = pairs.action == k
        actions.append(dataclasses.replace(action, uplift=float(uplift[mine].mean())) if mine.any() else action)
    catalog = dataclasses.replace(view.catalog, actions=tuple(actions))
    return dataclasses.replace(view, catalog=catalog, pairs=_repriced(pairs, view.customers, uplift))


def evidence_of(view: ScenarioView) -> Evidence | None:
    """The evidence a campaign gave this view; None outside a campaign (a single run, a sweep)."""
    return view.evidence if isinstance(view, CampaignView) else None
