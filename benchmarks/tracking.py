"""MLflow logging from the parent process only, in batches. A tracking failure never loses results:
it warns, and everything stays on disk."""
from __future__ import annotations

import json
import math
import os
import queue
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simcore.checks import check_bool, check_name
from simcore.files import write_text

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


def _numbers(rec: Mapping[str, object]) -> dict[str, float]:
    """The finite numeric (not boolean) values of a flat record, keyed as MLflow allows."""
    return {_metric_key(k): float(v) for k, v in rec.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


# A sweep child's metrics per strategy: the headline columns. Every column of every row is in the
# parent's results.parquet artifact; logging them all would triple the MLflow time (SQLite costs
# ~50 ms per run plus ~0.45 ms per metric, measured with benchmarks/bench_sweep.py's store).
CHILD_METRICS = ("net_value", "est_net_value", "optimizer_curse", "roi", "treated", "spend", "retained_clv",
                 "churn_reduction", "budget_utilization", "net_value_mc_mean", "net_value_mc_lo", "net_value_mc_hi",
                 "n_violations", "coverage_min_max_ratio", "high_risk_coverage", "gap", "runtime_s")


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
            metrics = [Metric(k, v, 0, 0) for k, v in _numbers(rec).items()]
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


def _log_batch(client, run_id: str, metrics: list, params: list, tags: list) -> None:
    """``log_batch`` within MLflow's limits per call (1,000 metrics, 100 params, 100 tags, 1,000 in all)."""
    while metrics or params or tags:
        p, t = params[:100], tags[:100]
        m = metrics[:1000 - len(p) - len(t)]
        client.log_batch(run_id, metrics=m, params=p, tags=t)
        metrics, params, tags = metrics[len(m):], params[len(p):], tags[len(t):]


@dataclass(frozen=True)
class SweepTracking:
    """What a sweep's MLflow logging did. run_id: the parent run (None when tracking is off or failed);
    children: child runs logged by this process; busy_s: seconds spent in MLflow calls (a background
    thread, overlapping the cells' computation); wait_s: seconds the sweep waited for it at the end
    (the logging's own cost to the sweep's wall time); error: why tracking stopped, if it did."""

    run_id: str | None
    children: int
    busy_s: float
    wait_s: float
    error: str | None


class SweepLogger:
    """MLflow for a sweep, from the parent process only: one parent run, one nested child run per
    cell (tag ``mlflow.parentRunId``; see ``_log_children`` for its params, metrics and tags), logged
    with as few ``log_batch`` calls as MLflow's batch limits allow.

    Every MLflow call runs in ONE background thread fed by a queue: the parent is otherwise idle
    while workers compute, so logging overlaps the computation, and one thread means one writer (no
    races on a fresh store). The experiment is looked up or created once. The parent run's id is kept
    in ``<run_dir>/mlflow_run.json``: a resumed sweep reopens the same parent run and skips the
    children it already has. Any failure stops tracking with a warning; results stay on disk.
    """

    STATE = "mlflow_run.json"
    # a child run's metrics per row (a row with a ``period`` logs them at that step: a campaign's rows)
    metrics: tuple[str, ...] = CHILD_METRICS
    # a store that has not answered by the end of the sweep gets this much longer (seconds); an
    # unreachable HTTP server otherwise holds the sweep for minutes of client retries
    OPEN_TIMEOUT = 30.0

    def __init__(self, settings: TrackingSettings, experiment: str, run_dir: Path, run_name: str,
                 params: Mapping[str, str], strategy_params: Mapping[str, Mapping[str, str]]) -> None:
        self.settings = settings
        self.uri = settings.resolved_uri()
        self.experiment = settings.experiment or experiment
        self.run_dir = run_dir
        self.run_name = run_name
        self.params = dict(params)
        self.strategy_params = {k: dict(v) for k, v in strategy_params.items()}
        self.run_id: str | None = None
        self.children = 0
        self.busy = 0.0
        self.error: str | None = None
        self.client = None  # an MlflowClient, created (like every MLflow call) in the logging thread
        self.exp_id = ""
        self._done: set[str] = set()
        self._queue: queue.Queue = queue.Queue()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mlflow-sweep-logger", daemon=True)
        if settings.enabled:
            self._thread.start()

    def log_rows(self, table: pd.DataFrame) -> None:
        """Queue result rows (one per cell x strategy: columns cell, replicate, strategy, status, ...);
        each cell becomes one child run."""
        if self.settings.enabled:
            self._queue.put(("rows", table.to_dict("records")))

    def finish(self, artifacts: Sequence[Path], metrics: Mapping[str, float]) -> SweepTracking:
        """Log the parent's artifacts (files or directories) and metrics, end the parent run, and
        wait for the queue to drain. Warns if tracking failed at any point."""
        if not self.settings.enabled:
            return SweepTracking(None, 0, 0.0, 0.0, None)
        start = time.perf_counter()
        self._queue.put(("finish", (list(artifacts), dict(metrics))))
        if self._opened.wait(self.OPEN_TIMEOUT):
            self._thread.join()
        else:  # the thread is a daemon: it ends with the process
            self.error = f"no answer within {self.OPEN_TIMEOUT:.0f} s after the sweep"
        wait = time.perf_counter() - start
        if self.error is not None:
            warnings.warn(f"MLflow tracking at {self.uri!r} failed ({self.error}); every result is on disk in "
                          f"{self.run_dir}", stacklevel=2)
        return SweepTracking(self.run_id if self.error is None else None, self.children, self.busy, wait, self.error)

    def abandon(self) -> None:
        """The sweep stopped (an error, an interrupt): log what is queued, mark the parent run
        FAILED, without waiting. A rerun into the same directory reopens it."""
        if self.settings.enabled:
            self._queue.put(("fail", None))

    # -- the logging thread ------------------------------------------------------------------

    def _loop(self) -> None:
        self._call(self._open)  # at once: creating a fresh store takes seconds, overlapping the first cells
        self._opened.set()
        while True:
            kind, payload = self._queue.get()
            if kind == "rows":
                self._call(self._log_children, payload)
            elif kind == "finish":
                self._call(self._close, *payload)
                return
            else:
                self._call(lambda: self.client.set_terminated(self.run_id, status="FAILED"))
                return

    def _call(self, method: Callable[..., None], *args: object) -> None:
        if self.error is not None:
            return
        start = time.perf_counter()
        try:
            method(*args)
        except Exception as err:  # noqa: BLE001 - any tracking failure must not lose the sweep
            self.error = f"{type(err).__name__}: {err}"
        self.busy += time.perf_counter() - start

    def _open(self) -> None:
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=self.uri)
        found = self.client.get_experiment_by_name(self.experiment)
        self.exp_id = found.experiment_id if found else self.client.create_experiment(self.experiment)
        state = self.run_dir / self.STATE
        previous = json.loads(state.read_text()) if state.exists() else {}
        if previous.get("tracking_uri") == self.uri and previous.get("experiment_id") == self.exp_id:
            from mlflow.exceptions import MlflowException

            try:
                self.client.update_run(previous["run_id"], status="RUNNING")
                self.run_id = previous["run_id"]
                self._done = self._logged_children()
                return
            except MlflowException:  # that run was deleted from the store: start a new parent
                pass
        from mlflow.entities import Param

        run = self.client.create_run(self.exp_id, run_name=self.run_name, tags={"sweep": self.run_name,
                                                                                "run_dir": str(self.run_dir)})
        self.run_id = run.info.run_id
        self.client.log_batch(self.run_id, params=[Param(_metric_key(k), v[:6000]) for k, v in self.params.items()])
        write_text(state, json.dumps({"tracking_uri": self.uri, "experiment_id": self.exp_id, "run_id": self.run_id}))

    def _logged_children(self) -> set[str]:
        done, token = set(), None
        while True:
            page = self.client.search_runs([self.exp_id], f"tags.`mlflow.parentRunId` = '{self.run_id}'",
                                           max_results=1000, page_token=token)
            done |= {r.data.tags.get("cell", "") for r in page}
            token = page.token
            if not token:
                return done

    def _log_children(self, records: list[dict]) -> None:
        """One child run per cell. Params: the axis values, replicate, scenario, seed and every
        strategy's config (``<strategy>.<key>``); metrics: each strategy's CHILD_METRICS
        (``<strategy>/<column>``); tags: each strategy's status and, if not ok, its reason."""
        from mlflow.entities import Metric, Param, RunTag

        now = int(time.time() * 1000)
        cells: dict[str, list[dict]] = {}
        for rec in records:
            cells.setdefault(str(rec["cell"]), []).append(rec)
        for cell, rows in cells.items():
            if cell in self._done:
                continue
            first = rows[0]
            tags = {"cell": cell, "replicate": str(first["replicate"])}
            params = {k: str(v) for k, v in first.items() if k.startswith("axis.")}
            params.update({"replicate": str(first["replicate"]), "scenario": str(first["scenario"]),
                           "seed": str(first["seed"])})
            metrics: list[Metric] = []
            for rec in rows:
                name = str(rec["strategy"])
                tags[f"status.{name}"] = str(rec["status"])
                if rec["status"] != "ok":
                    tags[f"reason.{name}"] = str(rec.get("reason") or "")[:5000]
                params.update({f"{name}.{k}": v for k, v in self.strategy_params.get(name, {}).items()})
                values = _numbers({k: rec[k] for k in self.metrics if k in rec})
                metrics += [Metric(f"{name}/{k}", v, now, int(rec.get("period", 0))) for k, v in values.items()]
            run = self.client.create_run(self.exp_id, run_name=cell, tags={"mlflow.parentRunId": self.run_id})
            _log_batch(self.client, run.info.run_id, metrics, [Param(_metric_key(k), v[:6000]) for k, v in params.items()],
                       [RunTag(k, v) for k, v in tags.items()])
            self.client.set_terminated(run.info.run_id)
            self._done.add(cell)
            self.children += 1

    def _close(self, artifacts: list[Path], metrics: dict[str, float]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[Metric(_metric_key(k), float(v), now, 0)
                                                    for k, v in metrics.items() if math.isfinite(v)])
        for path in artifacts:
            if path.is_dir():
                self.client.log_artifacts(self.run_id, str(path), artifact_path=path.name)
            elif path.exists():
                self.client.log_artifact(self.run_id, str(path))
        self.client.set_terminated(self.run_id)
