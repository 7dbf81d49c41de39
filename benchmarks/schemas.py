"""Structured-config schemas of every config group, registered with Hydra's ConfigStore so the YAML
files in ``conf/`` extend them (``defaults: [/schema/strategy/milp@milp]``) and Hydra checks their
types when it composes. Each schema is generated from the class itself (:func:`simcore.build.schema`):
its fields and defaults are stated once, in the class."""
from __future__ import annotations

import re

from hydra.core.config_store import ConfigStore

from benchmarks.campaign.settings import CampaignSettings
from benchmarks.sweep.settings import SweepSettings
from benchmarks.tracking import TrackingSettings
from simcore.build import schema
from simcore.evaluate import EvaluationSettings
from simcore.population import FilePopulation, SyntheticPopulation
from simcore.exported import ScenarioDir
from simcore.scenario import ScenarioSpec
from simcore.transactions import TransactionPopulation
from strategies.baselines import DoNothing, FrequencyOnly, RandomTargeting, TreatEveryone
from strategies.clv_top_n import ClvTopN
from strategies.lagrangian import Lagrangian
from strategies.learning import Learning
from strategies.milp import Milp
from strategies.nba_rules import NbaRules
from strategies.oracle import Oracle
from strategies.thompson import Thompson

# schema/strategy/<snake_case class name>
STRATEGIES = (DoNothing, TreatEveryone, RandomTargeting, FrequencyOnly, ClvTopN, NbaRules, Milp, Lagrangian,
              Learning, Thompson, Oracle)
GROUPS = {
    "schema/scenario": {"spec": ScenarioSpec, "dir": ScenarioDir},
    "schema/population": {"synthetic": SyntheticPopulation, "file": FilePopulation,
                          "transactions": TransactionPopulation},
    "schema": {"evaluation": EvaluationSettings, "tracking": TrackingSettings, "sweep": SweepSettings,
               "campaign": CampaignSettings},
}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def register() -> None:
    """Store every schema in Hydra's ConfigStore (idempotent; call before composing)."""
    store = ConfigStore.instance()
    for group, classes in GROUPS.items():
        for name, cls in classes.items():
            store.store(group=group, name=name, node=schema(cls))
    for cls in STRATEGIES:
        store.store(group="schema/strategy", name=snake(cls.__name__), node=schema(cls))
