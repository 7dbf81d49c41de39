"""MLflow tracking: a parent run per run, sweep or campaign (params: the resolved config flattened;
tags: run directory, git commit, command; artifacts: the config, the results, the report) with nested
children, logged from the parent process only (README, "MLflow")."""
from benchmarks.tracking.logger import Child, RunLogger, Tracked
from benchmarks.tracking.runs import CHILD_METRICS, cell_children, parent_params, start, strategy_children
from benchmarks.tracking.settings import DEFAULT_URI, TrackingSettings

__all__ = ["CHILD_METRICS", "Child", "DEFAULT_URI", "RunLogger", "Tracked", "TrackingSettings", "cell_children",
           "parent_params", "start", "strategy_children"]
