"""What if: one world and one strategy, with edited constraint limits, solved through the same path as
``python -m benchmarks.run`` (the composed config -> build -> :func:`benchmarks.pipeline.run_strategy`),
so a what-if plan and its KPIs are exactly those of a run with the same overrides.

A request (:class:`WhatIf`) is a list of Hydra overrides; its downloads are the plan (the CSV a run
writes to ``plans/<strategy>.csv``) and the composed config as YAML, which
``python -m benchmarks.run --config-path <its folder> --config-name <its name>`` reruns. Nothing here
writes a file: a solve keeps its plan and audit in memory.
"""
from __future__ import annotations

import functools
import shlex
import threading
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from benchmarks.config import CONF, build_section, compose, selected_strategies
from benchmarks.outputs import plan_frame, results_frame
from benchmarks.pipeline import run_strategy
from simcore.checks import check_seed
from simcore.evaluate import audit_frame
from simcore.results import REASON, STATUS, Record, Status
from simcore.sizes import check_evaluation

# worlds a user picks by name; from_dir and from_file need a path first
NEEDS_PATH = ("from_dir", "from_file")
CONSTRAINTS = "scenario.constraints"
# Hydra keeps one global composition state per process, so two sessions (or a session and a solve)
# must not compose at the same time
_COMPOSE = threading.Lock()


def locked_compose(*overrides: str) -> DictConfig:
    """:func:`benchmarks.config.compose`, one caller at a time (the dashboard serves many sessions)."""
    with _COMPOSE:
        return compose(*overrides)


def worlds() -> list[str]:
    """The scenario presets of ``conf/scenario`` that run without a path."""
    return sorted(p.stem for p in (CONF / "scenario").glob("*.yaml") if p.stem not in NEEDS_PATH)


@dataclass(frozen=True)
class Knob:
    """One editable number of a world: ``scenario.constraints.<key>.<field>`` of a constraint of class
    ``kind``; default: the world's value; integer: an int field (contacts), else a float (dollars or a
    share); share: a field that is a share 0..1 (min_share, max_share)."""

    key: str
    field: str
    kind: str
    default: float
    integer: bool

    @property
    def path(self) -> str:
        return f"{CONSTRAINTS}.{self.key}.{self.field}"

    @property
    def share(self) -> bool:
        return self.field.endswith("_share")

    @property
    def label(self) -> str:
        return f"{self.key} · {self.field}"


# how the page groups knobs, by constraint class; any other kind (a plugin's) goes under "other"
GROUPS = {"Budget": "budget", "ChannelCapacity": "capacities", "MaxContacts": "capacities",
          "ActionCap": "capacities", "CoverageFloor": "floors", "SaturationCap": "saturation",
          "FairnessFloor": "fairness"}


@dataclass(frozen=True)
class World:
    """What the what-if page offers for one world: its constraint knobs (config order), the strategies
    of the config (config order), each strategy's default ``time_limit`` (optimizers only) and the seed."""

    name: str
    knobs: tuple[Knob, ...]
    strategies: tuple[str, ...]
    time_limits: tuple[tuple[str, float], ...]
    seed: int

    def time_limit(self, strategy: str) -> float | None:
        return dict(self.time_limits).get(strategy)

    def group(self, group: str) -> list[Knob]:
        return [k for k in self.knobs if GROUPS.get(k.kind, "other") == group]


@functools.lru_cache(maxsize=32)
def world(name: str) -> World:
    """The knobs of world ``name``, read from its composed config: every numeric field of every
    constraint, so a world with other constraints (or a plugin's kind) gets its own widgets."""
    cfg = locked_compose(f"scenario={name}")
    knobs = []
    for key, node in (OmegaConf.select(cfg, CONSTRAINTS) or {}).items():
        kind = str(node.get("_target_", "")).rsplit(".", 1)[-1]
        for field, value in node.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or str(field).startswith("_"):
                continue  # lists (channels, segments), null options and switches are not limits
            knobs.append(Knob(str(key), str(field), kind, value, isinstance(value, int)))
    limits = tuple((str(s), float(node.time_limit)) for s, node in cfg.strategy.items() if "time_limit" in node)
    return World(name, tuple(knobs), tuple(str(s) for s in cfg.strategy), limits, int(cfg.seed))


@dataclass(frozen=True)
class WhatIf:
    """One what-if question: ``strategy`` on ``world`` with ``seed``, the knobs in ``edits`` set to new
    values ((config path, value), only those that differ from the world), the constraints in
    ``dropped`` switched off, the strategy's ``time_limit`` (None: its default), and ``extra``: any
    other overrides in Hydra syntax (``scenario.population.n_customers=1000``), applied last."""

    world: str
    strategy: str
    seed: int = 42
    edits: tuple[tuple[str, float], ...] = ()
    dropped: tuple[str, ...] = ()
    time_limit: float | None = None
    extra: tuple[str, ...] = ()

    def overrides(self) -> list[str]:
        """The Hydra overrides of ``python -m benchmarks.run`` that ask the same question."""
        out = [f"scenario={self.world}", f"strategies=[{self.strategy}]", f"seed={self.seed}"]
        out += [f"~{CONSTRAINTS}.{key}" for key in self.dropped]
        out += [f"{path}={value!r}" for path, value in self.edits
                if path.split(".")[2] not in self.dropped]
        if self.time_limit is not None:
            out.append(f"strategy.{self.strategy}.time_limit={float(self.time_limit)!r}")
        return out + list(self.extra)

    def command(self) -> str:
        return "python -m benchmarks.run " + " ".join(shlex.quote(o) for o in self.overrides())


@dataclass(frozen=True)
class Outcome:
    """A solved what-if. record: the run's flat row for the strategy (simcore.results; status, reason,
    KPIs under truth and estimates, solver report); plan: the plan as ``plans/<strategy>.csv`` (None
    without a plan); audit: every constraint row (limit, used, slack, binding, violation, shadow price;
    empty without a plan); config_yaml: the composed config that reruns it; seconds: wall time."""

    request: WhatIf
    record: Record
    plan: pd.DataFrame | None
    audit: pd.DataFrame
    config_yaml: str
    seconds: float

    @property
    def status(self) -> str:
        return str(self.record[STATUS])

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    @property
    def reason(self) -> str:
        return str(self.record.get(REASON) or "")

    @property
    def time_limited(self) -> bool:
        return bool(self.record.get("time_limited", False))

    def value(self, column: str) -> float:
        """A numeric column of the record, NaN when it has none (a row without a plan)."""
        value = self.record.get(column)
        return float(value) if isinstance(value, (int, float, np.number)) else float("nan")


def solve(request: WhatIf) -> Outcome:
    """Compose, build and run the request's strategy exactly as :func:`benchmarks.run.run` does (same
    seeds, same evaluation), without writing anything. Raises ConfigError for an invalid edit; an
    infeasible problem is an Outcome with status infeasible and the diagnosis as its reason."""
    start = time.perf_counter()
    cfg = locked_compose(*request.overrides())
    root = np.random.SeedSequence(check_seed(cfg.seed))
    spec = build_section(cfg, "scenario")
    settings = build_section(cfg, "evaluation")
    (name, strategy), = selected_strategies(cfg).items()
    scenario = spec.build(root)
    check_evaluation(scenario.population.n, settings.replications, 1)
    result = run_strategy(scenario, name, strategy, root, settings)
    record = results_frame([result]).to_dict("records")[0]
    plan = plan_frame(scenario, result.plan) if result.plan is not None else None
    audit = audit_frame(result.evaluation) if result.evaluation is not None else pd.DataFrame()
    return Outcome(request, record, plan, audit, config_yaml(request, cfg), time.perf_counter() - start)


def config_yaml(request: WhatIf, cfg: DictConfig) -> str:
    """The composed config of ``request`` as YAML, headed by how to rerun it."""
    return (f"# what-if config from the retention-bench dashboard: {request.strategy} on {request.world}.\n"
            "# Save it as whatif.yaml; from the project root this reruns it (same plan and KPIs):\n"
            "#   python -m benchmarks.run --config-path <folder of whatif.yaml> --config-name whatif\n"
            "# the same run from the project's config:\n"
            f"#   {request.command()}\n" + OmegaConf.to_yaml(cfg, resolve=True))


def kpi_rows(outcome: Outcome) -> pd.DataFrame:
    """The KPIs of a solved what-if under the truth and under the estimates (what the strategy
    believes): net value, retained CLV and ROI differ; treated and spend are the same plan's."""
    rows = [("net value $", "net_value", "est_net_value"), ("retained CLV $", "retained_clv", "est_retained_clv"),
            ("ROI", "roi", "est_roi"), ("churn reduction (customers)", "churn_reduction", "est_churn_reduction"),
            ("customers treated", "treated", "treated"), ("spend $", "spend", "spend")]
    return pd.DataFrame([{"KPI": label, "truth": outcome.value(true), "estimate": outcome.value(est)}
                         for label, true, est in rows])


def binding_rows(outcome: Outcome) -> pd.DataFrame:
    """The audit of the plan, binding rows first: constraint, used, sense and limit, slack, binding,
    violation and the shadow price ($ per unit of the limit; NaN when the strategy prices no rows)."""
    if outcome.audit.empty:
        return outcome.audit
    audit = outcome.audit.rename(columns={"name": "constraint", "shadow_price": "shadow price $/unit"})
    columns = ["constraint", "kind", "sense", "limit", "used", "slack", "unit", "binding", "violation",
               "shadow price $/unit"]
    return audit.sort_values("binding", ascending=False, kind="stable")[columns].reset_index(drop=True)
