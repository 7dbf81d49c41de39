"""Sweep statistics against hand computation: t-intervals, per-level summaries that count infeasible
rows instead of averaging them as zeros, and paired differences within replicate."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from benchmarks.stats import paired_differences, summarize, t_interval
from simcore.errors import ConfigError
from simcore.results import Status

# Student t quantiles t_{0.975, df} from a printed table
T975 = {1: 12.706204736, 2: 4.302652730, 3: 3.182446305}


def test_t_interval_by_hand():
    # [1, 2, 3, 4]: mean 2.5, sd sqrt(5/3), se sd/2
    iv = t_interval([1.0, 2.0, 3.0, 4.0])
    half = T975[3] * math.sqrt(5 / 3) / 2
    assert (iv.mean, iv.n) == (2.5, 4)
    assert iv.lo == pytest.approx(2.5 - half, rel=1e-9) and iv.hi == pytest.approx(2.5 + half, rel=1e-9)


def test_t_interval_drops_nan_and_needs_two_values():
    iv = t_interval([np.nan, 5.0, np.inf])
    assert (iv.mean, iv.n) == (5.0, 1) and math.isnan(iv.lo) and math.isnan(iv.hi)
    empty = t_interval([])
    assert empty.n == 0 and math.isnan(empty.mean)
    assert t_interval([3.0, 3.0, 3.0]).lo == 3.0  # no spread: a zero-width interval


def _results() -> pd.DataFrame:
    """2 budget levels x 3 replicates x strategies a (reference) and b; a is infeasible at level 1
    in replicate 2, b is infeasible in every replicate at level 2."""
    rows = []
    a = {1: [10.0, 12.0, 11.0], 2: [20.0, 22.0, 21.0]}
    b = {1: [11.0, 15.0, 11.0], 2: [0.0, 0.0, 0.0]}
    for level in (1, 2):
        for r in range(3):
            a_ok = not (level == 1 and r == 2)
            rows.append({"axis.budget": level, "replicate": r, "strategy": "a",
                         "status": "ok" if a_ok else "infeasible", "net_value": a[level][r] if a_ok else np.nan,
                         "spend": 1.0 * level})
            b_ok = level == 1
            rows.append({"axis.budget": level, "replicate": r, "strategy": "b",
                         "status": "ok" if b_ok else "infeasible", "net_value": b[level][r] if b_ok else np.nan,
                         "spend": 2.0 if b_ok else np.nan})
    return pd.DataFrame(rows)


def test_summary_counts_infeasible_and_averages_only_ok_rows():
    s = summarize(_results(), ["axis.budget"], metrics=("net_value", "spend")).set_index(["axis.budget", "strategy"])
    a1 = s.loc[(1, "a")]
    assert (a1["n_rows"], a1["n_ok"], a1["n_infeasible"]) == (3, 2, 1)
    # a at level 1: [10, 12]: mean 11, sd sqrt(2), se 1
    assert a1["net_value_mean"] == 11.0 and a1["net_value_n"] == 2
    assert a1["net_value_hi"] == pytest.approx(11.0 + T975[1] * 1.0, rel=1e-9)
    b2 = s.loc[(2, "b")]
    assert (b2["n_ok"], b2["n_infeasible"], b2["net_value_n"]) == (0, 3, 0)
    assert math.isnan(b2["net_value_mean"]), "an all-infeasible point has no value, not a zero"
    assert list(s.index) == [(1, "a"), (1, "b"), (2, "a"), (2, "b")]



def test_summary_has_a_count_for_every_status():
    """One n_<status> column per Status, in Status order; a row of any status but ok is counted,
    never averaged in."""
    rows = [{"axis.x": 0, "replicate": r, "strategy": "a", "status": str(status),
             "net_value": 5.0 if status == Status.OK else np.nan} for r, status in enumerate(Status)]
    s = summarize(pd.DataFrame(rows), ["axis.x"], metrics=("net_value",)).iloc[0]
    assert [c for c in s.index if c.startswith("n_") and c != "n_rows"] == [
        "n_ok", "n_infeasible", "n_not_applicable", "n_solver_error", "n_error"]
    assert s["n_rows"] == len(Status) and (s["n_ok"], s["n_error"], s["n_solver_error"]) == (1, 1, 1)
    assert (s["net_value_mean"], s["net_value_n"]) == (5.0, 1)

def test_paired_difference_within_replicate_by_hand():
    p = paired_differences(_results(), ["axis.budget"], reference="a", metrics=("net_value",))
    p = p.set_index(["axis.budget", "strategy"])
    b1 = p.loc[(1, "b")]
    # pairs where both are ok: replicates 0 and 1, differences 11-10=1 and 15-12=3: mean 2, sd sqrt(2), se 1
    assert (b1["reference"], b1["n_pairs"]) == ("a", 2)
    assert b1["net_value_diff_mean"] == 2.0
    assert b1["net_value_diff_lo"] == pytest.approx(2.0 - T975[1], rel=1e-9)
    assert b1["net_value_diff_hi"] == pytest.approx(2.0 + T975[1], rel=1e-9)
    b2 = p.loc[(2, "b")]
    assert b2["n_pairs"] == 0 and math.isnan(b2["net_value_diff_mean"])


def test_paired_difference_three_pairs_by_hand():
    rows = [{"axis.x": 0, "replicate": r, "strategy": s, "status": "ok", "net_value": v}
            for r, (ref, other) in enumerate([(10.0, 11.0), (12.0, 15.0), (11.0, 11.0)])
            for s, v in (("ref", ref), ("other", other))]
    p = paired_differences(pd.DataFrame(rows), ["axis.x"], reference="ref", metrics=("net_value",)).iloc[0]
    diffs = np.array([1.0, 3.0, 0.0])
    half = T975[2] * diffs.std(ddof=1) / math.sqrt(3)
    assert p["net_value_diff_mean"] == pytest.approx(4 / 3)
    assert (p["net_value_diff_lo"], p["net_value_diff_hi"]) == pytest.approx((4 / 3 - half, 4 / 3 + half))
    # paired is much tighter than the unpaired spread of 'other' alone
    assert p["net_value_diff_hi"] - p["net_value_diff_lo"] < 2 * T975[2] * np.std([11, 15, 11], ddof=1) / math.sqrt(3)


def test_unknown_reference_or_metric_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"sweep.reference = 'milp': not a strategy of this sweep; allowed: a, b"):
        paired_differences(_results(), ["axis.budget"], reference="milp", metrics=("net_value",))
    with pytest.raises(ConfigError, match="no column.*roi"):
        summarize(_results(), ["axis.budget"], metrics=("roi",))
