"""Benchmark of the CDNOW world (a script, not a test): what each step costs and how far the estimates
a strategy sees are from the truth, for both ways of making them (the numbers in the docstring of
simcore/transactions.py come from here).

    python -m benchmarks.bench_cdnow                          # cdnow, BG/NBD, 365 days
    python -m benchmarks.bench_cdnow --model mbgnbd --dataset cdnow_sample --horizon-days 182

Each run starts from cold caches (one process). "value" is churn x CLV, the ranking an optimizer uses;
"top-10% overlap" is the share of the estimated top decile that is in the true top decile, and
"top-10% true value" is the true value of the estimated top decile over that of the true top decile.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from simcore.btyd import MODELS
from simcore.transactions import DATASETS, TransactionPopulation, _load, fit_period, load_transactions, rfm_summary


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def agreement(true: np.ndarray, est: np.ndarray) -> dict[str, float]:
    k = max(len(true) // 10, 1)
    top_true = np.argsort(-true, kind="stable")[:k]
    top_est = np.argsort(-est, kind="stable")[:k]
    return {
        "pearson": float(np.corrcoef(true, est)[0, 1]),
        "spearman": float(spearmanr(true, est)[0]),
        "mean est/true": float(est.mean() / true.mean()),
        "top-10% overlap": len(np.intersect1d(top_true, top_est)) / k,
        "top-10% true value": float(true[top_est].sum() / true[top_true].sum()),
    }


def compare(pop: TransactionPopulation) -> pd.DataFrame:
    t = pop.build().table
    rows = {}
    for name, true, est in (("churn", t["churn_prob_true"], t["churn_prob_est"]),
                            ("clv", t["clv_true"], t["clv_est"]),
                            ("value", t["churn_prob_true"] * t["clv_true"], t["churn_prob_est"] * t["clv_est"])):
        rows[name] = agreement(true.to_numpy(float), est.to_numpy(float))
    return pd.DataFrame(rows).T


def describe(pop: TransactionPopulation) -> pd.DataFrame:
    t = pop.build().table
    rows = {}
    for col in ("churn_prob_true", "churn_prob_est", "clv_true", "clv_est", "annual_revenue", "engagement"):
        v = t[col].to_numpy(float)
        rows[col] = {"mean": v.mean(), "median": np.median(v), "p90": np.quantile(v, 0.9), "max": v.max()}
    by_segment = t.groupby("segment")[["churn_prob_true", "churn_prob_est", "clv_true", "clv_est"]].mean()
    by_segment.insert(0, "customers", t.groupby("segment").size())
    print(by_segment.round(3).to_string(), "\n")
    print("risk tiers (from estimates):", t["risk_tier"].value_counts().to_dict(),
          "| true churn > threshold:", int((t["churn_prob_true"] > pop.high_risk_threshold).sum()), "\n")
    return pd.DataFrame(rows).T


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_cdnow", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cdnow", choices=sorted(DATASETS))
    parser.add_argument("--model", default="bgnbd", choices=MODELS)
    parser.add_argument("--horizon-days", type=int, default=365)
    parser.add_argument("--calibration-end", default="0.5", help="a fraction in (0, 1) or an ISO date")
    args = parser.parse_args(argv)
    cal: float | str = args.calibration_end if "-" in args.calibration_end else float(args.calibration_end)
    pop = TransactionPopulation(dataset=args.dataset, model=args.model, horizon_days=args.horizon_days,
                                calibration_end=cal)

    tx, load_s = timed(lambda: _load(args.dataset))
    _, rfm_s = timed(lambda: rfm_summary(tx, pop.decision_date))
    full, fit_full_s = timed(lambda: fit_period(args.dataset, pop.decision_date, args.model, 0.0, 0.0))
    calib, fit_cal_s = timed(lambda: fit_period(args.dataset, pop.calibration_date, args.model, 0.0, 0.0))
    _, first_build_s = timed(pop.build)
    _, cached_build_s = timed(pop.build)
    tx = load_transactions(args.dataset)
    print(f"{args.dataset}: {len(tx):,} transactions, {tx['customer_id'].nunique():,} customers, "
          f"{tx['date'].min().date()} .. {tx['date'].max().date()}; calibration to {pop.calibration_date.date()}, "
          f"model {args.model}, horizon {args.horizon_days} days\n")
    timings = pd.Series({
        "load (importlib.resources + parse)": load_s, "RFM summary": rfm_s,
        f"{args.model} fit, whole period": full.seconds[0], "Gamma-Gamma fit, whole period": full.seconds[1],
        f"{args.model} fit, calibration": calib.seconds[0], "Gamma-Gamma fit, calibration": calib.seconds[1],
        "both fits with summaries, whole": fit_full_s, "both fits with summaries, calibration": fit_cal_s,
        "build, fits cached (forecasts)": first_build_s, "build, world cached": cached_build_s,
    }, name="seconds")
    print(timings.round(3).to_string(), "\n")
    params = pd.DataFrame({"whole period (truth)": full.params, "calibration (estimates)": calib.params})
    print(params.round(4).to_string(), "\n")
    print(describe(pop).round(3).to_string(), "\n")
    for estimate_data in ("current", "calibration"):
        other = TransactionPopulation(dataset=args.dataset, model=args.model, horizon_days=args.horizon_days,
                                      calibration_end=cal, estimate_data=estimate_data)
        print(f"estimate_data = {estimate_data}")
        print(compare(other).round(3).to_string(), "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
