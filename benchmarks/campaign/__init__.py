"""Campaigns over time: T periods of one world, random holdouts, uplift learned from them, regret
against an oracle, off-policy evaluation; run as sweep cells.

    python -m benchmarks.run campaign=holdout_learning

The simulator side (the world's periods and dynamics, the holdout, the estimates, the off-policy
estimators, the views a strategy gets) is in ``simcore.campaign*``; the strategies that learn are
``strategies.learning``, ``strategies.thompson`` and ``strategies.oracle``. Here: ``settings`` (the
``campaign`` config node), ``loop`` (one replicate's campaign of every strategy), ``cells`` (a campaign
as a sweep cell, and the worker), ``run`` (the parent: directory, resume, tables, report, MLflow),
``tables``, ``console``, ``figures``, ``report`` and ``tracking``.
"""
from __future__ import annotations

from benchmarks.campaign.run import CampaignResult, run_campaign_sweep

__all__ = ["CampaignResult", "run_campaign_sweep"]
