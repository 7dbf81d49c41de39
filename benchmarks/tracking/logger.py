"""MLflow from the parent process only: one parent run per run, sweep or campaign, with nested child
runs, every call in ONE background thread. A tracking failure never loses results: it warns, and
everything stays on disk."""
from __future__ import annotations

import json
import math
import queue
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.tracking.settings import TrackingSettings, key
from simcore.files import write_text

# MLflow 3 opens an experiment on its GenAI overview unless the experiment says what kind it is;
# this kind opens it on its training runs, where these runs are
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}


@dataclass(frozen=True)
class Child:
    """One nested run. key: unique within its parent (tag ``child``: a resumed run skips the keys it
    has); metrics: (name, value, step) triples; artifacts: files to attach."""

    key: str
    name: str
    params: Mapping[str, str]
    metrics: tuple[tuple[str, float, int], ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    artifacts: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Tracked:
    """What the logging did. run_id: the parent run (None when tracking is off or failed); children:
    child runs logged by this process; busy_s: seconds in MLflow calls (a background thread,
    overlapping the computation); wait_s: seconds the run waited for it at the end (the logging's own
    cost to the wall time); error: why tracking stopped, if it did."""

    run_id: str | None
    children: int
    busy_s: float
    wait_s: float
    error: str | None


class RunLogger:
    """One parent run (params, tags, artifacts, metrics) and its nested children (tag
    ``mlflow.parentRunId``), logged with as few ``log_batch`` calls as MLflow's limits allow.

    Every MLflow call runs in ONE background thread fed by a queue, so logging overlaps the
    computation and there is a single writer (no races on a fresh store). The experiment is looked up
    or created once. The parent run's id is kept in ``<run_dir>/mlflow_run.json``: a rerun into the
    same directory (a resumed sweep) reopens the same parent and skips the children it has. A store
    that has not answered ``OPEN_TIMEOUT`` seconds after the work is given up on, with a warning: an
    unreachable server never holds a run for minutes of client retries."""

    STATE = "mlflow_run.json"
    OPEN_TIMEOUT = 30.0

    def __init__(self, settings: TrackingSettings, experiment: str, run_dir: Path, run_name: str,
                 params: Mapping[str, str], tags: Mapping[str, str]) -> None:
        self.settings = settings
        self.uri = settings.resolved_uri()
        self.experiment = settings.experiment or experiment
        self.run_dir = run_dir
        self.run_name = run_name
        self.params = dict(params)
        self.tags = dict(tags)
        self.run_id: str | None = None
        self.children = 0
        self.busy = 0.0
        self.error: str | None = None
        self.client = None  # an MlflowClient, created (like every MLflow call) in the logging thread
        self.exp_id = ""
        self._done: set[str] = set()
        self._queue: queue.Queue = queue.Queue()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mlflow-logger", daemon=True)
        if settings.enabled:
            self._thread.start()

    def log_children(self, children: Sequence[Child]) -> None:
        if self.settings.enabled and children:
            self._queue.put(("children", list(children)))

    def log_metrics(self, metrics: Sequence[tuple[str, float, int]]) -> None:
        """(name, value, step) on the parent run, e.g. a campaign's metrics per period."""
        if self.settings.enabled and metrics:
            self._queue.put(("metrics", list(metrics)))

    def finish(self, artifacts: Sequence[Path], metrics: Mapping[str, float]) -> Tracked:
        """Attach the parent's artifacts (files or directories) and metrics, end the parent run, and
        wait for the queue to drain (at most OPEN_TIMEOUT for a store that never answered)."""
        if not self.settings.enabled:
            return Tracked(None, 0, 0.0, 0.0, None)
        start = time.perf_counter()
        self._queue.put(("finish", (list(artifacts), dict(metrics))))
        if self._opened.wait(self.OPEN_TIMEOUT):
            self._thread.join()
        else:  # the thread is a daemon: it ends with the process
            self.error = f"no answer within {self.OPEN_TIMEOUT:.0f} s"
        wait = time.perf_counter() - start
        if self.error is not None:
            warnings.warn(f"MLflow tracking at {self.uri!r} failed ({self.error}); every result is on disk in "
                          f"{self.run_dir}", stacklevel=2)
        return Tracked(self.run_id if self.error is None else None, self.children, self.busy, wait, self.error)

    def abandon(self) -> None:
        """The run stopped (an error, an interrupt): log what is queued and mark the parent FAILED,
        without waiting. A rerun into the same directory reopens it."""
        if self.settings.enabled:
            self._queue.put(("fail", None))

    # -- the logging thread ------------------------------------------------------------------

    def _loop(self) -> None:
        self._call(self._open)  # at once: creating a fresh store takes seconds, overlapping the work
        self._opened.set()
        while True:
            kind, payload = self._queue.get()
            if kind == "children":
                self._call(self._log_children, payload)
            elif kind == "metrics":
                self._call(self._log_parent_metrics, payload)
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
        except Exception as err:  # noqa: BLE001 - any tracking failure must not lose the run
            self.error = f"{type(err).__name__}: {err}"
        self.busy += time.perf_counter() - start

    def _open(self) -> None:
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=self.uri)
        found = self.client.get_experiment_by_name(self.experiment)
        if found is None:
            self.exp_id = self.client.create_experiment(self.experiment, tags=EXPERIMENT_KIND)
        else:
            self.exp_id = found.experiment_id
            if not set(EXPERIMENT_KIND) & set(found.tags):
                for name, value in EXPERIMENT_KIND.items():
                    self.client.set_experiment_tag(self.exp_id, name, value)
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
        from mlflow.entities import Param, RunTag

        run = self.client.create_run(self.exp_id, run_name=self.run_name)
        self.run_id = run.info.run_id
        _log_batch(self.client, self.run_id, [], [Param(key(k), str(v)[:6000]) for k, v in self.params.items()],
                   [RunTag(k, str(v)[:5000]) for k, v in self.tags.items()])
        write_text(state, json.dumps({"tracking_uri": self.uri, "experiment_id": self.exp_id, "run_id": self.run_id}))

    def _logged_children(self) -> set[str]:
        done, token = set(), None
        while True:
            page = self.client.search_runs([self.exp_id], f"tags.`mlflow.parentRunId` = '{self.run_id}'",
                                           max_results=1000, page_token=token)
            done |= {r.data.tags.get("child", "") for r in page}
            token = page.token
            if not token:
                return done

    def _log_children(self, children: list[Child]) -> None:
        from mlflow.entities import Metric, Param, RunTag

        now = int(time.time() * 1000)
        for child in children:
            if child.key in self._done:
                continue
            run = self.client.create_run(self.exp_id, run_name=child.name, tags={"mlflow.parentRunId": self.run_id})
            _log_batch(self.client, run.info.run_id,
                       [Metric(key(n), float(v), now, step) for n, v, step in child.metrics if math.isfinite(v)],
                       [Param(key(k), str(v)[:6000]) for k, v in child.params.items()],
                       [RunTag(k, str(v)[:5000]) for k, v in {**child.tags, "child": child.key}.items()])
            for path in child.artifacts:
                if path.exists():
                    self.client.log_artifact(run.info.run_id, str(path))
            self.client.set_terminated(run.info.run_id)
            self._done.add(child.key)
            self.children += 1

    def _log_parent_metrics(self, metrics: list[tuple[str, float, int]]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        _log_batch(self.client, self.run_id, [Metric(key(n), float(v), now, s) for n, v, s in metrics
                                              if math.isfinite(v)], [], [])

    def _close(self, artifacts: list[Path], metrics: dict[str, float]) -> None:
        self._log_parent_metrics([(k, v, 0) for k, v in metrics.items()])
        for path in artifacts:
            if path.is_dir():
                self.client.log_artifacts(self.run_id, str(path), artifact_path=path.name)
            elif path.exists():
                self.client.log_artifact(self.run_id, str(path))
        self.client.set_terminated(self.run_id)


def _log_batch(client, run_id: str, metrics: list, params: list, tags: list) -> None:
    """``log_batch`` within MLflow's limits per call (1,000 metrics, 100 params, 100 tags, 1,000 in all)."""
    while metrics or params or tags:
        p, t = params[:100], tags[:100]
        m = metrics[:1000 - len(p) - len(t)]
        client.log_batch(run_id, metrics=m, params=p, tags=t)
        metrics, params, tags = metrics[len(m):], params[len(p):], tags[len(t):]
