"""Benchmark of campaigns (a script, not a test): the holdout_learning preset with 20 replicates.

    python -m benchmarks.bench_campaign                     # the preset, 20 replicates, every core
    python -m benchmarks.bench_campaign --replicates 2      # a quick look
    python -m benchmarks.bench_campaign --solves            # also: where a period-solve's time goes
    python -m benchmarks.bench_campaign -- campaign.periods=4   # any Hydra override after --

Prints wall time, cells, period-solves and the time per period-solve of each optimizing strategy
(``solve_s`` of periods.parquet: the optimizer's own time, CVXPY and HiGHS). With ``--solves``, one
replicate's campaign runs again in this process with every ``pair_program.solve`` timed: how often
the compiled-model cache hit, and the CVXPY compile (problem data) and HiGHS parts of each solve,
then the same problems solved by a model compiled ONCE for the replicate, whose values, bounds and
rows are CVXPY Parameters over every (customer slot, action) pair of the campaign (the
fixed-structure alternative), with and without warm starts from the previous period's plan.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd

import strategies.milp as milp_module
import strategies.pair_program as pair_program
from benchmarks.campaign import run_campaign_sweep
from benchmarks.campaign.loop import run_campaign
from benchmarks.config import build_section, compose, selected_strategies
from simcore.campaign import World
from simcore.diagnose import one_per_customer
from simcore.rng import child

PRESET = "holdout_learning"


def preset_run(directory: Path, overrides: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    cfg = compose(f"campaign={PRESET}", "tracking=off", "report=false", *overrides)
    start = time.perf_counter()
    result = run_campaign_sweep(cfg, directory)
    wall = time.perf_counter() - start
    periods = result.tables["periods"]
    solves = periods[periods["solve_s"].notna() & (periods["solve_s"] > 0)]
    settings = build_section(cfg, "campaign")
    rows = [("preset", f"{PRESET}: {settings.periods} periods x {settings.replicates} replicates x "
                       f"{periods['strategy'].nunique()} strategies"),
            ("cores / n_jobs", f"{os.cpu_count()} / {settings.n_jobs}"),
            ("wall time", f"{wall:.1f} s"),
            ("compute (cells, parallel)", f"{result.compute_s:.1f} s"),
            ("cells", f"{result.cells_run}"),
            ("period-solves (optimizing strategies)", f"{len(solves)}"),
            ("time per period-solve, mean / median / max",
             f"{solves['solve_s'].mean():.3f} / {solves['solve_s'].median():.3f} / {solves['solve_s'].max():.3f} s"),
            ("select time, all strategies, summed", f"{periods['runtime_s'].sum():.1f} s")]
    per = (solves.groupby("strategy", sort=False)["solve_s"].agg(["count", "mean", "max"])
           .rename(columns={"count": "period-solves", "mean": "mean s", "max": "max s"}))
    return pd.DataFrame(rows, columns=["measure", "value"]), per


class SolveLog:
    """Times every pair_program.solve: total, CVXPY's compile of the problem data, HiGHS, cache hit;
    keeps each MILP's program for the fixed-structure comparison."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.programs: list[tuple[pair_program.PairProgram, dict]] = []
        self.original = pair_program.solve

    def __call__(self, prog, options, relax=False, what="milp"):
        hit = len(prog.value) > 0 and prog.key(relax) in pair_program._CACHE
        start = time.perf_counter()
        sol = self.original(prog, options, relax, what)
        total = time.perf_counter() - start
        problem = next(reversed(pair_program._CACHE.values())).problem if pair_program._CACHE else None
        self.rows.append({"relax": relax, "cache_hit": hit, "total_s": total,
                          "compile_s": getattr(problem, "compilation_time", np.nan) or np.nan,
                          "highs_s": problem.solver_stats.solve_time if problem is not None else np.nan})
        if not relax:
            self.programs.append((prog, dict(options)))
        return sol


def fixed_structure(programs: list, places: list[tuple[np.ndarray, np.ndarray]], n_slots: int, k: int,
                    warm: bool) -> list[float]:
    """Each program re-solved by ONE model over every (slot, action) pair, compiled once: values,
    upper bounds (0 for a pair not in this period's program) and coefficient rows are Parameters."""
    p_all = n_slots * k
    x = cp.Variable(p_all, boolean=True)
    value, ub = cp.Parameter(p_all), cp.Parameter(p_all, nonneg=True)
    first = programs[0][0]
    n_le, n_ge = int(first.le.sum()), int((~first.le).sum())
    a_le, a_ge = cp.Parameter((n_le, p_all)), cp.Parameter((n_ge, p_all))
    b_le, b_ge = cp.Parameter(n_le), cp.Parameter(n_ge)
    customer = np.repeat(np.arange(n_slots), k)
    problem = cp.Problem(cp.Maximize(value @ x), [one_per_customer(customer, n_slots) @ x <= 1, x <= ub,
                                                  a_le @ x <= b_le, a_ge @ x >= b_ge])
    times = []
    for (prog, options), (slot, action) in zip(programs, places):
        index = slot[prog.customer] * k + action
        v, u, a = np.zeros(p_all), np.zeros(p_all), np.zeros((len(prog.le), p_all))
        v[index], u[index], a[:, index] = prog.value, 1.0, prog.A.toarray()
        value.value, ub.value, a_le.value, a_ge.value = v, u, a[prog.le], a[~prog.le]
        b_le.value, b_ge.value = prog.rhs[prog.le], prog.rhs[~prog.le]
        if warm and x.value is not None:
            x.value = np.where(u > 0, np.round(x.value), 0.0)
        start = time.perf_counter()
        problem.solve(solver=cp.HIGHS, warm_start=warm, **{**pair_program.MIP_TUNING, **options})
        times.append(time.perf_counter() - start)
    return times


def solve_profile(overrides: list[str]) -> pd.DataFrame:
    """One replicate's campaign with every solve timed, then the fixed-structure alternative."""
    cfg = compose(f"campaign={PRESET}", "tracking=off", *overrides)
    settings = build_section(cfg, "campaign")
    log = SolveLog()
    places: list[tuple[np.ndarray, np.ndarray]] = []  # each period's slots and pair actions
    original = World.period

    def period(world, state, t):
        found = original(world, state, t)
        if found is not None:
            places.append((found.slots, found.scenario.pairs.action))
        return found

    World.period = period
    for module in (pair_program, milp_module):
        module.solve = log
    try:
        # one strategy, so that its periods and its MILPs pair up one to one
        cfg = compose(f"campaign={PRESET}", "tracking=off", *overrides, "strategies=[learning_milp]")
        world_seed = child(np.random.SeedSequence(int(cfg.seed)), "replicate", 0)
        run_campaign(build_section(cfg, "scenario"), settings, selected_strategies(cfg), {},
                     build_section(cfg, "evaluation"), world_seed)
    finally:
        World.period = original
        for module in (pair_program, milp_module):
            module.solve = log.original
    solves = pd.DataFrame(log.rows)
    milps = solves[~solves["relax"]]
    spec = build_section(cfg, "scenario")
    n_slots = max(int(slot.max()) for slot, _ in places) + 1
    k = len(spec.catalog.actions)
    cold = fixed_structure(log.programs, places, n_slots, k, warm=False)
    warm = fixed_structure(log.programs, places, n_slots, k, warm=True)
    rows = [("MILP period-solves (learning_milp, replicate 0)", f"{len(milps)}"),
            ("compiled-model cache hits", f"{int(milps['cache_hit'].sum())} of {len(milps)}"),
            ("per period-solve: total", f"{milps['total_s'].mean():.3f} s"),
            ("  of which CVXPY compile (problem data)", f"{milps['compile_s'].mean():.3f} s "
                                                        f"({milps['compile_s'].mean() / milps['total_s'].mean():.0%})"),
            ("  of which HiGHS", f"{milps['highs_s'].mean():.3f} s"),
            ("LP relaxation for shadow prices (milp's second solve)", f"{solves[solves['relax']]['total_s'].mean():.3f} s"),
            ("fixed structure compiled once, per period-solve (first solve: compile)",
             f"{np.mean(cold):.3f} s (first {cold[0]:.3f} s)"),
            ("  the same, warm-started from the previous period's plan", f"{np.mean(warm):.3f} s")]
    return pd.DataFrame(rows, columns=["measure", "value"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_campaign", description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--solves", action="store_true", help="also profile one replicate's period-solves")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, after --")
    args = parser.parse_args(argv)
    os.environ.setdefault("CI", "1")  # no progress bar in a benchmark's output
    tmp = Path(tempfile.mkdtemp(prefix="bench_campaign_"))
    try:
        table, per = preset_run(tmp / "run", [f"campaign.replicates={args.replicates}",
                                              f"campaign.n_jobs={args.n_jobs}", *args.overrides])
        print(f"\ncampaign benchmark ({PRESET}); timings are wall-clock on a machine that may be shared\n")
        print(table.to_string(index=False))
        print("\ntime per period-solve by strategy (solve_s):\n")
        print(per.round(3).to_string())
        if args.solves:
            print("\nwhere a period-solve's time goes (one replicate, in this process):\n")
            print(solve_profile(args.overrides).to_string(index=False))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
