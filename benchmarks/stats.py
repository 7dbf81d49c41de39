"""Statistics of a sweep across replicates: pure functions, results table in, tables out.

A replicate is one population and one set of outcome draws shared by every strategy (common random
numbers), so strategies are compared PAIRED within a replicate: the difference of two strategies'
values in the same replicate has far less variance than the difference of two independent means.

Intervals are Student-t intervals across replicates: mean +- t_{(1+level)/2, n-1} * sd / sqrt(n),
sd with ddof=1. With one replicate there is no spread to estimate and the bounds are NaN.

Only rows with status ``ok`` carry values; every other :class:`simcore.results.Status` (infeasible,
not applicable, solver error, error) is counted (``n_infeasible`` ...), never averaged in as zeros.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats

from simcore.checks import check_scalar
from simcore.errors import ConfigError
from simcore.results import STATUS, STRATEGY, Status

# the per-row metrics summarized by default: dollars (net_value, spend, net_value_mc_mean,
# est_net_value), a ratio (roi) and a count of customers contacted (treated)
METRICS = ("net_value", "roi", "treated", "spend", "net_value_mc_mean", "est_net_value")
# every status, in Status order: summarize counts each in a column n_<status>
STATUSES = tuple(str(s) for s in Status)


def count_column(status: str) -> str:
    """The summary column counting rows of ``status``: ``n_ok``, ``n_infeasible``, ..."""
    return f"n_{status}"


@dataclass(frozen=True)
class MeanInterval:
    """Mean of the finite values and its two-sided Student-t interval; n = number of finite values."""

    mean: float
    lo: float
    hi: float
    n: int


def t_interval(values: Sequence[float] | np.ndarray, level: float = 0.95) -> MeanInterval:
    """Mean and ``level`` t-interval of the finite entries of ``values`` (NaN and inf are dropped)."""
    check_scalar(level, "level", float, 0.0, 1.0, min_inclusive=False, max_inclusive=False)
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return MeanInterval(float("nan"), float("nan"), float("nan"), 0)
    mean = float(x.mean())
    if n == 1:
        return MeanInterval(mean, float("nan"), float("nan"), 1)
    half = float(scipy.stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return MeanInterval(mean, mean - half, mean + half, n)


def _check_columns(results: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in results.columns]
    if missing:
        raise ConfigError(f"{what}: results have no column(s) {', '.join(missing)}; "
                          f"allowed: {', '.join(map(str, results.columns))}")


def _groups(results: pd.DataFrame, keys: list[str]) -> list[tuple[tuple, pd.DataFrame]]:
    """Groups in order of first appearance (the sweep's axis order, then the config's strategy order)."""
    return [((k if isinstance(k, tuple) else (k,)), g) for k, g in results.groupby(keys, sort=False, dropna=False)]


def summarize(results: pd.DataFrame, axes: Sequence[str], metrics: Sequence[str] = METRICS,
              level: float = 0.95) -> pd.DataFrame:
    """One row per (axis columns..., strategy): ``n_rows`` (replicates run), ``n_<status>`` for every
    status, and ``<metric>_mean, _lo, _hi, _n`` over the ok rows (n = replicates with a finite value;
    ROI is NaN when nothing is spent, so its n can be smaller)."""
    keys = [*axes, STRATEGY]
    _check_columns(results, [*keys, STATUS, *metrics], "summarize")
    rows = []
    for key, group in _groups(results, keys):
        row: dict[str, object] = dict(zip(keys, key))
        row["n_rows"] = len(group)
        for status in STATUSES:
            row[count_column(status)] = int((group[STATUS] == status).sum())
        ok = group[group[STATUS] == Status.OK]
        for m in metrics:
            iv = t_interval(pd.to_numeric(ok[m], errors="coerce").to_numpy(float), level)
            row.update({f"{m}_mean": iv.mean, f"{m}_lo": iv.lo, f"{m}_hi": iv.hi, f"{m}_n": iv.n})
        rows.append(row)
    return pd.DataFrame(rows)


def paired_differences(results: pd.DataFrame, axes: Sequence[str], reference: str = "milp",
                       metrics: Sequence[str] = METRICS, level: float = 0.95,
                       pair_on: str = "replicate") -> pd.DataFrame:
    """The paired difference ``metric(strategy) - metric(reference)`` within each replicate, per axis
    level: one row per (axis columns..., strategy != reference) with ``n_pairs`` (replicates where both
    rows are ok) and ``<metric>_diff_mean, _lo, _hi, _n``. A positive mean: the strategy beats the
    reference; an interval excluding 0: it does so beyond replicate noise."""
    _check_columns(results, [*axes, pair_on, STRATEGY, STATUS, *metrics], "paired_differences")
    strategies = list(dict.fromkeys(results[STRATEGY]))
    if reference not in strategies:
        raise ConfigError(f"sweep.reference = {reference!r}: not a strategy of this sweep; "
                          f"allowed: {', '.join(map(str, strategies))}")
    ok = results[results[STATUS] == Status.OK]
    index = [*axes, pair_on]
    ref = ok[ok[STRATEGY] == reference].set_index(index)[list(metrics)].apply(pd.to_numeric, errors="coerce")
    rows = []
    for key, group in _groups(results[results[STRATEGY] != reference], [*axes, STRATEGY]):
        row: dict[str, object] = dict(zip([*axes, STRATEGY], key))
        row["reference"] = reference
        mine = group[group[STATUS] == Status.OK].set_index(index)[list(metrics)].apply(pd.to_numeric, errors="coerce")
        both = mine.join(ref.add_suffix("_ref"), how="inner")
        row["n_pairs"] = len(both)
        for m in metrics:
            iv = t_interval((both[m] - both[f"{m}_ref"]).to_numpy(float), level)
            row.update({f"{m}_diff_mean": iv.mean, f"{m}_diff_lo": iv.lo, f"{m}_diff_hi": iv.hi, f"{m}_diff_n": iv.n})
        rows.append(row)
    return pd.DataFrame(rows)
