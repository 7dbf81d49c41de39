"""Where runs are tracked, and how values become MLflow keys."""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from simcore.checks import check_bool, check_name

DEFAULT_URI = "sqlite:///mlflow.db"


@dataclass(frozen=True)
class TrackingSettings:
    """uri: None = $MLFLOW_TRACKING_URI, else a local SQLite file (MLflow 3's default store);
    experiment: None = the scenario's name (runs of one world share an experiment)."""

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


def key(name: str) -> str:
    """A metric or param key as MLflow allows it (letters, digits, _ - . space /)."""
    return "".join(c if c.isalnum() or c in "_-. /" else "_" for c in str(name))[:250]


def numbers(record: Mapping[str, object]) -> dict[str, float]:
    """The finite numeric (not boolean) values of a flat record, keyed as MLflow allows."""
    return {key(k): float(v) for k, v in record.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def flatten(data: object, prefix: str = "") -> dict[str, str]:
    """A nested config as dotted keys -> text (``scenario.constraints.budget.limit`` -> ``150.0``):
    the params that tell two runs apart in MLflow. List items get their index (``actions.1.cost``)."""
    if isinstance(data, Mapping):
        items = [(str(k), v) for k, v in data.items()]
    elif isinstance(data, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(data)]
    else:
        return {prefix: str(data)} if prefix else {}
    if not items:
        return {prefix: "{}" if isinstance(data, Mapping) else "[]"} if prefix else {}
    out: dict[str, str] = {}
    for k, v in items:
        out.update(flatten(v, f"{prefix}.{k}" if prefix else k))
    return out
