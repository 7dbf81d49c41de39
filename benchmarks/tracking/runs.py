"""What a run, a sweep or a campaign logs to MLflow: the parent's params (the resolved config,
flattened) and tags (run directory, git commit, command), and the children (one per strategy of a
single run, one per cell of a sweep) with their headline metrics."""
from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from benchmarks.tracking.logger import Child, RunLogger
from benchmarks.tracking.settings import TrackingSettings, flatten, numbers
from simcore.results import REASON, SHADOW, STATUS, STRATEGY, Status

# A child's headline metrics: every column of every row is in the parent's results.parquet artifact;
# logging them all would triple the MLflow time (SQLite costs ~50 ms per run plus ~0.45 ms per
# metric, measured with benchmarks/bench_sweep.py's store)
CHILD_METRICS = ("net_value", "est_net_value", "optimizer_curse", "roi", "treated", "spend", "retained_clv",
                 "incremental_clv", "churn_reduction", "budget_utilization", "net_value_mc_mean", "net_value_mc_lo",
                 "net_value_mc_hi", "n_violations", "coverage_min_max_ratio", "high_risk_coverage", "gap",
                 "share_of_attainable", "runtime_s")
REPO = Path(__file__).resolve().parents[2]


def parent_params(cfg: DictConfig) -> dict[str, str]:
    """The resolved config, flattened (``scenario.constraints.budget.limit``, ``seed``,
    ``strategy.milp.mip_rel_gap``, ...): two runs differ exactly where their params do."""
    return flatten(OmegaConf.to_container(cfg, resolve=True))


def parent_tags(run_dir: Path, kind: str) -> dict[str, str]:
    """Where the run's files are, what code made it, and the command that started it."""
    from benchmarks.report.provenance import git_state  # here: the report pulls in matplotlib

    commit, dirty, _ = git_state(REPO)
    return {"run_dir": str(run_dir.resolve()), "kind": kind, "git_commit": commit,
            "git_dirty": "unknown" if dirty is None else str(dirty).lower(),
            "command": " ".join(["python -m benchmarks.run", *sys.argv[1:]]),
            "mlflow.note.content": f"{kind} in {run_dir.resolve()}; the resolved config is the artifact config.yaml "
                                   "and every result row is in results.parquet"}


def start(settings: TrackingSettings, cfg: DictConfig, experiment: str, run_dir: Path, run_name: str,
          kind: str) -> RunLogger:
    """The parent run of a single run, a sweep or a campaign, opened in the background at once."""
    return RunLogger(settings, experiment, run_dir, run_name, parent_params(cfg) if settings.enabled else {},
                     parent_tags(run_dir, kind) if settings.enabled else {})


def strategy_children(table: pd.DataFrame, strategy_params: Mapping[str, Mapping[str, str]],
                      run_dir: Path) -> list[Child]:
    """A single run: one child per strategy with its headline metrics (and its shadow prices), its
    settings as params, its status (and reason) as tags, its plan as artifact."""
    out = []
    for rec in table.to_dict("records"):
        name = str(rec[STRATEGY])
        values = numbers({k: v for k, v in rec.items() if k in CHILD_METRICS or k.startswith(SHADOW)})
        tags = {"status": str(rec[STATUS]), "strategy": name}
        if rec[STATUS] != Status.OK:
            tags["reason"] = str(rec.get(REASON) or "")
        out.append(Child(name, name, dict(strategy_params.get(name, {})),
                         tuple((k, v, 0) for k, v in values.items()), tags,
                         (run_dir / "plans" / f"{name}.csv",)))
    return out


def cell_children(records: Sequence[Mapping[str, object]],
                  strategy_params: Mapping[str, Mapping[str, str]]) -> list[Child]:
    """A sweep: one child per cell. Params: the axis values, replicate, scenario, seed and every
    strategy's config (``<strategy>.<key>``); metrics: each strategy's headline columns
    (``<strategy>/<column>``); tags: each strategy's status and, if not ok, its reason."""
    cells: dict[str, list[Mapping[str, object]]] = {}
    for rec in records:
        cells.setdefault(str(rec["cell"]), []).append(rec)
    out = []
    for cell, rows in cells.items():
        first = rows[0]
        tags = {"cell": cell, "replicate": str(first["replicate"])}
        params = {k: str(v) for k, v in first.items() if k.startswith("axis.")}
        params.update({"replicate": str(first["replicate"]), "scenario": str(first["scenario"]),
                       "seed": str(first["seed"])})
        metrics = []
        for rec in rows:
            name = str(rec[STRATEGY])
            tags[f"status.{name}"] = str(rec[STATUS])
            if rec[STATUS] != Status.OK:
                tags[f"reason.{name}"] = str(rec.get(REASON) or "")
            params.update({f"{name}.{k}": v for k, v in strategy_params.get(name, {}).items()})
            metrics += [(f"{name}/{k}", v, 0) for k, v in numbers({k: rec[k] for k in CHILD_METRICS if k in rec}).items()]
        out.append(Child(cell, cell, params, tuple(metrics), tags))
    return out
