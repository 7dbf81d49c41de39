"""A campaign's tables: pure functions from the rows the cells hold to what is written and reported.

- :func:`with_cumulative`: periods.parquet's running columns, per cell and strategy in period order:
  ``cum_net_value`` (the sum of ``net_value_true``, the true expected net value of what was carried
  out), ``cum_forgone`` (the sum of ``holdout_forgone``, the true value of the held-out customers'
  planned actions), ``regret`` (the reference's net value this period minus the strategy's; each in its
  own state: the oracle's campaign has its own customers) and ``cum_regret``.
- :func:`final_rows`: one row per cell and strategy at the last period, with the campaign's status:
  ok unless no period was (then the first period's status), and ``periods_<status>`` counts. A
  period a strategy could not plan (say, infeasible) is a period in which it contacted nobody, which
  the cumulative value includes: that is what happened to that campaign.
- :func:`campaign_summary`: per axis level and strategy, mean and Student-t interval across
  replicates of the final cumulative value, regret and holdout cost, and for each learner in
  ``campaign.baselines`` the value of what it learned: its cumulative value minus its static
  counterpart's, paired within replicate (benchmarks.stats).
- :func:`uplift_accuracy`: per axis level and period, over strategies and replicates, the action-level
  estimates: how many, the share of intervals covering the truth, mean absolute error, mean width.
- :func:`ope_summary`: per axis level, target and estimator, over loggers, periods and replicates:
  mean support, estimate and truth, bias, RMSE and interval coverage.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from benchmarks.campaign.loop import PERIOD
from benchmarks.stats import STATUSES, paired_differences, summarize, t_interval
from benchmarks.sweep.cells import CELL, REPLICATE
from simcore.campaign_uplift import ALL
from simcore.results import STATUS, STRATEGY, Status

FINAL_METRICS = ("cum_net_value", "cum_regret", "cum_forgone", "cum_spend", "cum_treated", "cum_holdout")


def with_cumulative(periods: pd.DataFrame, reference: str) -> pd.DataFrame:
    """periods with cum_net_value, cum_forgone, cum_spend, cum_treated, cum_holdout, regret and
    cum_regret (module docstring); regret is NaN in a cell without the reference."""
    out = periods.sort_values([CELL, STRATEGY, PERIOD], kind="stable").copy()
    group = out.groupby([CELL, STRATEGY], sort=False)
    for column, total in (("net_value_true", "cum_net_value"), ("holdout_forgone", "cum_forgone"),
                          ("spend", "cum_spend"), ("treated", "cum_treated"), ("holdout", "cum_holdout")):
        out[total] = group[column].cumsum()
    ref = out[out[STRATEGY] == reference].set_index([CELL, PERIOD])["net_value_true"]
    out["regret"] = ref.reindex(pd.MultiIndex.from_frame(out[[CELL, PERIOD]])).to_numpy() - out["net_value_true"]
    out["cum_regret"] = out.groupby([CELL, STRATEGY], sort=False)["regret"].cumsum()
    return out.loc[periods.index]


def final_rows(periods: pd.DataFrame) -> pd.DataFrame:
    """One row per (cell, strategy): the last period's row with the campaign's status and the count
    of periods in each status (module docstring). ``periods`` holds the cumulative columns."""
    ordered = periods.sort_values(PERIOD, kind="stable")
    last = ordered.groupby([CELL, STRATEGY], sort=False).tail(1).set_index([CELL, STRATEGY])
    counts = pd.crosstab([periods[CELL], periods[STRATEGY]], periods[STATUS]).reindex(columns=STATUSES, fill_value=0)
    first = ordered.groupby([CELL, STRATEGY], sort=False)[STATUS].first()
    out = last.join(counts.add_prefix("periods_"))
    out[STATUS] = np.where(out[f"periods_{Status.OK}"] > 0, str(Status.OK), first.reindex(out.index))
    order = periods[[CELL, STRATEGY]].drop_duplicates()
    return out.reindex(pd.MultiIndex.from_frame(order)).reset_index()


def campaign_summary(final: pd.DataFrame, axes: Sequence[str], baselines: Mapping[str, str],
                     level: float) -> pd.DataFrame:
    """Per axis level and strategy: the summary of FINAL_METRICS across replicates, and
    ``info_value_mean/_lo/_hi/_n`` for the learners of ``baselines`` (module docstring)."""
    summary = summarize(final, axes, FINAL_METRICS, level)
    for learner, base in baselines.items():
        if not (final[STRATEGY] == base).any() or not (final[STRATEGY] == learner).any():
            continue
        paired = paired_differences(final[final[STRATEGY].isin([learner, base])], axes, base, ("cum_net_value",),
                                    level, pair_on=REPLICATE)
        paired = paired[paired[STRATEGY] == learner]
        for _, row in paired.iterrows():
            mask = summary[STRATEGY] == learner
            for axis in axes:
                mask &= summary[axis] == row[axis]
            for part in ("mean", "lo", "hi", "n"):
                summary.loc[mask, f"info_value_{part}"] = row[f"cum_net_value_diff_{part}"]
            summary.loc[mask, "baseline"] = base
    return summary


def action_rows(uplift: pd.DataFrame) -> pd.DataFrame:
    """The action-level estimates (segment 'all')."""
    return uplift[uplift["segment"] == ALL]


def uplift_accuracy(uplift: pd.DataFrame, axes: Sequence[str]) -> pd.DataFrame:
    """Per (axes..., period): n intervals, coverage, mean |estimate - truth|, mean interval width."""
    rows = action_rows(uplift).assign(error=lambda d: (d["estimate"] - d["truth"]).abs(),
                                      width=lambda d: d["ci_hi"] - d["ci_lo"],
                                      covered=lambda d: d["covered"].astype(float))
    out = rows.groupby([*axes, PERIOD], sort=True).agg(
        intervals=("covered", "size"), coverage=("covered", "mean"), mean_abs_error=("error", "mean"),
        mean_width=("width", "mean"), mean_holdout=("n_holdout", "mean"))
    return out.reset_index()


def ope_summary(ope: pd.DataFrame, axes: Sequence[str]) -> pd.DataFrame:
    """Per (axes..., target, estimator): rows, mean support, mean estimate and truth, bias, RMSE and
    the share of bootstrap intervals covering the truth."""
    if ope.empty:
        return pd.DataFrame()
    d = ope.assign(error=ope["estimate"] - ope["truth"], covered=ope["covered"].astype(float))
    out = d.groupby([*axes, "target", "estimator"], sort=False).agg(
        rows=("error", "size"), support=("support", "mean"), estimate=("estimate", "mean"),
        truth=("truth", "mean"), bias=("error", "mean"), rmse=("error", lambda e: float(np.sqrt(np.mean(e ** 2)))),
        coverage=("covered", "mean"))
    return out.reset_index()


def focus_strategy(uplift: pd.DataFrame, focus: str | None, exclude: str | None) -> str | None:
    """The strategy whose estimates the report draws: ``focus``, else the one (not ``exclude``, the
    oracle) with the most held-out customers at the last period; None without estimates."""
    if focus is not None:
        return focus
    rows = action_rows(uplift)
    rows = rows[(rows[STRATEGY] != exclude) & (rows[PERIOD] == rows[PERIOD].max())]
    if rows.empty:
        return None
    return str(rows.groupby(STRATEGY)["n_holdout"].sum().idxmax())


def period_means(periods: pd.DataFrame, axes: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """Per (axes..., strategy, period): the mean over replicates of ``columns`` (the series the
    figures and MLflow's parent run show)."""
    return periods.groupby([*axes, STRATEGY, PERIOD], sort=False)[list(columns)].mean().reset_index()


def period_bands(periods: pd.DataFrame, column: str, keys: Sequence[str], level: float) -> pd.DataFrame:
    """Per (keys..., strategy, period): mean, lo, hi and n of ``column`` across replicates (Student t)."""
    rows = []
    for key, group in periods.groupby([*keys, STRATEGY, PERIOD], sort=False):
        iv = t_interval(group[column].to_numpy(float), level)
        rows.append({**dict(zip([*keys, STRATEGY, PERIOD], key)), "mean": iv.mean, "lo": iv.lo, "hi": iv.hi, "n": iv.n})
    return pd.DataFrame(rows)
