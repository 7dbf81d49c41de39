"""MLflow for a campaign, from the parent process only: the sweep's logger
(:class:`benchmarks.tracking.SweepLogger`: one background thread, one parent run reopened on a resume,
one nested child run per cell, failures warn and lose nothing) with a campaign's metrics.

- each CHILD run (one cell: one replicate at one axis level) gets, per strategy and period,
  ``<strategy>/<metric>`` at ``step`` = period for the metrics in ``CAMPAIGN_METRICS``, so MLflow's
  charts draw each strategy's campaign over time;
- the PARENT run gets the same metrics averaged over the replicates, per period (``step``), keyed
  ``<strategy>/<metric>`` (prefixed by the axis level, ``<axis>_<value>/``, when there are several),
  and the campaign's counts and timings.
"""
from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from benchmarks.campaign.cells import split
from benchmarks.campaign.loop import PERIOD
from benchmarks.campaign.settings import CampaignSettings
from benchmarks.campaign.tables import period_means, with_cumulative
from benchmarks.frames import axis_names
from benchmarks.tracking import SweepLogger, TrackingSettings, _log_batch, _metric_key
from simcore.results import STRATEGY

CAMPAIGN_METRICS = ("net_value_true", "cum_net_value", "cum_regret", "holdout_forgone", "cum_forgone", "spend",
                    "treated", "holdout", "churned", "active_customers", "runtime_s")


class CampaignLogger(SweepLogger):
    """The sweep's logger with a campaign's parameters and per-period metrics (module docstring)."""

    metrics = CAMPAIGN_METRICS

    def __init__(self, settings: TrackingSettings, experiment: str, run_dir: Path, campaign: CampaignSettings,
                 strategy_params: Mapping[str, Mapping[str, str]], seed: str) -> None:
        params = {"campaign": campaign.name, "scenario": experiment, "seed": seed,
                  "replicates": str(campaign.replicates), "periods": str(campaign.periods),
                  "holdout_share": str(campaign.holdout_share), "reference": campaign.reference,
                  "oracle": str(campaign.oracle), "strategies": ",".join(strategy_params),
                  "axes": json.dumps({a.path: list(a.values) for a in campaign.grid})}
        super().__init__(settings, experiment, run_dir, campaign.name, params, strategy_params)
        self.reference = campaign.reference

    def log_cell(self, stacked: pd.DataFrame) -> None:
        """Queue one cell's periods (with their cumulative columns) as its child run."""
        if self.settings.enabled:
            self.log_rows(with_cumulative(split(stacked)["periods"], self.reference))

    def close(self, artifacts: Sequence[Path], metrics: Mapping[str, float], periods: pd.DataFrame,
              axes: Sequence[str]) -> str | None:
        """End the runs (SweepLogger.finish), then log the parent's per-period means; returns the
        parent run's id (None when tracking is off or failed)."""
        tracked = self.finish(artifacts, metrics)
        if tracked.run_id is None:
            return None
        try:
            from mlflow.entities import Metric
            from mlflow.tracking import MlflowClient

            now = int(time.time() * 1000)
            means = period_means(periods, axes, [m for m in CAMPAIGN_METRICS if m in periods])
            names = axis_names(list(axes))
            several = len(means[list(axes)].drop_duplicates()) > 1 if axes else False
            batch = []
            for rec in means.to_dict("records"):
                prefix = "".join(f"{names[a]}_{rec[a]}/" for a in axes) if several else ""
                for m in CAMPAIGN_METRICS:
                    value = rec.get(m)
                    if isinstance(value, (int, float)) and math.isfinite(value):
                        batch.append(Metric(_metric_key(f"{prefix}{rec[STRATEGY]}/{m}"), float(value), now,
                                            int(rec[PERIOD])))
            _log_batch(MlflowClient(tracking_uri=self.uri), tracked.run_id, batch, [], [])
        except Exception as err:  # noqa: BLE001 - tracking never loses a campaign
            warnings.warn(f"MLflow tracking at {self.uri!r} failed while logging the per-period means "
                          f"({type(err).__name__}: {err}); every result is on disk in {self.run_dir}", stacklevel=2)
        return tracked.run_id
