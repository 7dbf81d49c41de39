"""MLflow for a campaign, from the parent process only, through the one logger every run uses
(:class:`benchmarks.tracking.RunLogger`: one background thread, one parent run reopened on a resume,
failures warn and lose nothing), with a campaign's metrics over time:

- the PARENT run (params: the resolved config, flattened; tags: run directory, commit, command) gets,
  per strategy and period, the metrics of ``CAMPAIGN_METRICS`` averaged over the replicates at
  ``step`` = period, keyed ``<strategy>/<metric>`` (prefixed by the axis level, ``<axis>_<value>/``,
  when there are several), and the campaign's counts and timings;
- each CHILD run (one cell: one replicate at one axis level) gets the same metrics of its own
  campaign, ``<strategy>/<metric>`` at ``step`` = period (:func:`benchmarks.tracking.cell_children`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from benchmarks.campaign.cells import split
from benchmarks.campaign.loop import PERIOD
from benchmarks.campaign.tables import period_means, with_cumulative
from benchmarks.frames import axis_names
from benchmarks.tracking import RunLogger, cell_children
from benchmarks.tracking.settings import numbers
from simcore.results import STRATEGY

CAMPAIGN_METRICS = ("net_value_true", "cum_net_value", "cum_regret", "holdout_forgone", "cum_forgone", "spend",
                    "treated", "holdout", "churned", "active_customers", "runtime_s")


def log_cell(logger: RunLogger, stacked: pd.DataFrame, reference: str,
             strategy_params: Mapping[str, Mapping[str, str]]) -> None:
    """Queue one cell (its stacked tables) as a child run: its periods with their cumulative columns."""
    if logger.settings.enabled:
        periods = with_cumulative(split(stacked)["periods"], reference)
        logger.log_children(cell_children(periods.to_dict("records"), strategy_params, CAMPAIGN_METRICS))


def period_metrics(periods: pd.DataFrame, axes: Sequence[str]) -> list[tuple[str, float, int]]:
    """The parent's (name, value, step) triples: per (axis level, strategy, period) the mean over the
    replicates of each CAMPAIGN_METRICS column (module docstring)."""
    means = period_means(periods, axes, [m for m in CAMPAIGN_METRICS if m in periods])
    names = axis_names(list(axes))
    several = bool(axes) and len(means[list(axes)].drop_duplicates()) > 1
    out = []
    for rec in means.to_dict("records"):
        prefix = "".join(f"{names[a]}_{rec[a]}/" for a in axes) if several else ""
        values = numbers({m: rec[m] for m in CAMPAIGN_METRICS if m in rec})
        out += [(f"{prefix}{rec[STRATEGY]}/{m}", v, int(rec[PERIOD])) for m, v in values.items()]
    return out
