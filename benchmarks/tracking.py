"""MLflow logging from the parent process only, in batches. A tracking failure never loses results:
it warns, and everything stays on disk."""
from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simcore.checks import check_bool, check_name

DEFAULT_URI = "sqlite:///mlflow.db"


@dataclass(frozen=True)
class TrackingSettings:
    """uri: None = $MLFLOW_TRACKING_URI, else a local SQLite file (MLflow 3's default store)."""

    enabled: bool = True
    uri: str | None = None
    experiment: str | None = None

    def __post_init__(self) -> None:
        check_bool(self.enabled, "enabled")
        for name in ("uri", "experiment"):
            if getattr(self, name) is not None:
                check_name(getattr(self, name), name)

    def resolved_uri(self) -> str:
        return self.uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI


def _metric_key(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-. /" else "_" for c in name)


def log_strategy_runs(settings: TrackingSettings, experiment: str, table: pd.DataFrame,
                      params: dict[str, dict[str, str]], run_dir: Path) -> str | None:
    """One MLflow run per strategy row (params, metrics, its plan as artifact). Returns the
    experiment id, or None (with a warning) if tracking is off or the store cannot be used."""
    if not settings.enabled:
        return None
    try:
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=settings.resolved_uri())
        name = settings.experiment or experiment
        found = client.get_experiment_by_name(name)
        exp_id = found.experiment_id if found else client.create_experiment(name)
        for rec in table.to_dict("records"):
            run = client.create_run(exp_id, run_name=str(rec["strategy"]))
            metrics = [Metric(_metric_key(k), float(v), 0, 0) for k, v in rec.items()
                       if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
            p = {"scenario": str(rec["scenario"]), "seed": str(rec["seed"]), "status": str(rec["status"]),
                 **params.get(str(rec["strategy"]), {})}
            client.log_batch(run.info.run_id, metrics=metrics,
                             params=[Param(_metric_key(k), v[:6000]) for k, v in p.items()],
                             tags=[RunTag("reason", str(rec.get("reason") or "")[:5000])])
            plan = run_dir / "plans" / f"{rec['strategy']}.csv"
            if plan.exists():
                client.log_artifact(run.info.run_id, str(plan))
            client.set_terminated(run.info.run_id)
        return exp_id
    except Exception as err:  # noqa: BLE001 - any tracking failure must not lose the run
        warnings.warn(f"MLflow tracking at {settings.resolved_uri()!r} failed ({type(err).__name__}: {err}); "
                      f"results are on disk in {run_dir}", stacklevel=2)
        return None
