"""Benchmark of the sweep engine (a script, not a test): the full playlistpro budget sweep, 12 budgets x
every strategy x 20 replicate seeds, with MLflow logging on to a fresh temporary SQLite store.

    python -m benchmarks.bench_sweep                       # the full benchmark
    python -m benchmarks.bench_sweep --replicates 2        # a quick look
    python -m benchmarks.bench_sweep --compare-off         # also run with tracking off: logging's true cost
    python -m benchmarks.bench_sweep -- strategy.milp.mip_rel_gap=1e-4   # any Hydra override after --

Prints wall time, cells, cells per second, the time spent logging and its share, and where the
compute time went (the sum of each strategy's select time over all cells, from runtime_s).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from benchmarks.config import compose
from benchmarks.sweep import SweepResult, run_sweep


def sweep_once(directory: Path, overrides: list[str]) -> tuple[SweepResult, float]:
    cfg = compose("sweep=budget_sensitivity", *overrides)
    start = time.perf_counter()
    result = run_sweep(cfg, directory / "run")
    return result, time.perf_counter() - start


def table(result: SweepResult, wall: float, label: str) -> pd.DataFrame:
    cells = result.cells_run + result.cells_skipped
    t = result.tracking
    rows = [
        ("sweep", label),
        ("wall time", f"{wall:.1f} s"),
        ("cells (x strategies = rows)", f"{cells} ({len(result.results)} rows)"),
        ("cells per second", f"{cells / wall:.2f}"),
        ("compute (cells, parallel)", f"{result.compute_s:.1f} s"),
        ("report (figures + html/md)", f"{result.report_s:.1f} s"),
        ("MLflow child runs", f"{t.children}"),
        ("MLflow time (logging thread busy)", f"{t.busy_s:.1f} s ({t.busy_s / wall:.0%} of wall, overlaps compute)"),
        ("MLflow wait after compute", f"{t.wait_s:.1f} s ({t.wait_s / wall:.0%} of wall)"),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--no-report", action="store_true", help="skip the figures and report")
    parser.add_argument("--compare-off", action="store_true", help="run again with tracking off and compare")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and print it")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, after --")
    args = parser.parse_args(argv)
    os.environ.setdefault("CI", "1")  # no progress bar in a benchmark's output
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    common = [f"sweep.replicates={args.replicates}", f"sweep.n_jobs={args.n_jobs}", *args.overrides]
    if args.no_report:
        common.append("report=false")
    try:
        on, wall_on = sweep_once(tmp / "on", [*common, "tracking=mlflow", f"tracking.uri=sqlite:///{tmp / 'mlflow.db'}"])
        out = table(on, wall_on, "tracking on (fresh SQLite store)")
        if args.compare_off:
            off, wall_off = sweep_once(tmp / "off", [*common, "tracking=off"])
            out["tracking off"] = table(off, wall_off, "tracking off")["value"]
            extra = pd.DataFrame([("logging cost to wall time (on - off)",
                                   f"{wall_on - wall_off:.1f} s ({(wall_on - wall_off) / wall_on:.0%})", "")],
                                 columns=out.columns)
            out = pd.concat([out, extra], ignore_index=True)
        per_strategy = (on.results.groupby("strategy", sort=False)["runtime_s"].agg(["sum", "mean", "max"])
                        .rename(columns={"sum": "total s", "mean": "mean s", "max": "max s"}))
        print(f"\nbudget sweep benchmark: {os.cpu_count()} cores, n_jobs={args.n_jobs}, "
              f"{args.replicates} replicates\n")
        print(out.to_string(index=False))
        print("\nselect time per strategy, summed over cells (runtime_s; the workers run in parallel):\n")
        print(per_strategy.round(3).to_string())
        if args.keep:
            print(f"\noutputs kept in {tmp}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
