"""Benchmark of campaigns (a script, not a test): the holdout_learning preset with 20 replicates.

    python -m benchmarks.bench_campaign                     # the preset, 20 replicates, every core
    python -m benchmarks.bench_campaign --replicates 2      # a quick look
    python -m benchmarks.bench_campaign --solves            # also: where a period-solve's time goes
    python -m benchmarks.bench_campaign -- campaign.periods=4   # any Hydra override after --

Prints wall time, cells, period-solves and the time per period-solve of each optimizing strategy
(``solve_s`` of periods.parquet: the optimizer's own time in HiGHS). With ``--solves``, one
replicate's learning_milp campaign runs again in this process with every ``pair_program.solve``
timed (the whole-problem LP, the hand-over of the model to HiGHS, the repair MILPs), then each
period's LP is solved again on ONE HiGHS model kept for the replicate over every (customer slot,
action) pair of the campaign, changed in place each period and started from the previous period's
basis: the "compile once, warm-start" alternative, measured against building each period's model
from scratch.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

import strategies.milp as milp_module
import strategies.pair_program as pair_program
import strategies.repair as repair_module
from benchmarks.campaign import run_campaign_sweep
from benchmarks.campaign.loop import run_campaign
from benchmarks.config import build_section, compose, selected_strategies
from simcore.campaign import World
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
    """Times every pair_program.solve (total, and the model's hand-over to HiGHS: building the matrix
    and passModel) and keeps each period's whole-problem LP for the fixed-structure comparison."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.lps: list[tuple[pair_program.PairProgram, dict]] = []
        self.original, self.original_load = pair_program.solve, pair_program._load
        self.load_s = 0.0

    def load(self, prog, relax):
        start = time.perf_counter()
        h = self.original_load(prog, relax)
        self.load_s += time.perf_counter() - start
        return h

    def __call__(self, prog, options, relax=False, what="milp", start=None):
        self.load_s, begin = 0.0, time.perf_counter()
        sol = self.original(prog, options, relax, what, start)
        self.rows.append({"relax": relax, "pairs": len(prog.value), "total_s": time.perf_counter() - begin,
                          "load_s": self.load_s})
        if relax:
            self.lps.append((prog, dict(options)))
        return sol


def fixed_structure(lps: list, places: list[tuple[np.ndarray, np.ndarray]], n_slots: int, k: int
                    ) -> tuple[list[float], list[int], float]:
    """Each period's LP solved by ONE HiGHS model over every (slot, action) pair of the campaign, kept
    for the replicate: a period changes costs, column bounds (0 for a pair not in it), row bounds and
    the coefficients that differ, and HiGHS starts from the previous period's basis. Returns the time
    per period (changes and solve), the coefficients changed per period and the largest difference
    from the cold LP's optimum."""
    n_rows = len(lps[0][0].rhs)
    columns = n_slots * k
    held = np.zeros((n_rows, columns))
    h = None  # loaded with the first period
    times, changed, worst = [], [], 0.0
    for (prog, options), (slot, action) in zip(lps, places):
        index = slot[prog.customer] * k + action
        start = time.perf_counter()
        cost, upper = np.zeros(columns), np.zeros(columns)
        cost[index], upper[index] = prog.value, 1.0
        lo, hi = prog.row_bounds()
        if not times:  # the first period loads the model
            model = pair_program.PairProgram(np.repeat(np.arange(n_slots), k), n_slots, cost,
                                             sp.csr_matrix(held), prog.le, prog.rhs)
            h = pair_program._load(model, relax=True)
            for key, value in options.items():
                if not key.startswith("mip_"):
                    h.setOptionValue(key, value)
        want = held.copy()
        want[:, index] = prog.A.toarray()
        rows, cols = np.nonzero(want != held)
        for r, c in zip(rows, cols):
            h.changeCoeff(int(n_slots + r), int(c), float(want[r, c]))
        held = want
        h.changeColsCost(columns, np.arange(columns), cost)
        h.changeColsBounds(columns, np.arange(columns), np.zeros(columns), upper)
        h.changeRowsBounds(n_rows, np.arange(n_slots, n_slots + n_rows), lo, hi)
        h.run()
        times.append(time.perf_counter() - start)
        changed.append(len(rows))
        cold = pair_program.solve(prog, options, relax=True).objective
        worst = max(worst, abs(h.getInfo().objective_function_value - cold) / max(1.0, abs(cold)))
    return times, changed, worst


def solve_profile(overrides: list[str]) -> pd.DataFrame:
    """One replicate's learning_milp campaign with every solve timed, then its LPs on one kept model."""
    cfg = compose(f"campaign={PRESET}", "tracking=off", *overrides, "strategies=[learning_milp]")
    log = SolveLog()
    places: list[tuple[np.ndarray, np.ndarray]] = []  # each period's slots and pair actions
    original = World.period

    def period(world, state, t):
        found = original(world, state, t)
        if found is not None:
            places.append((found.slots, found.scenario.pairs.action))
        return found

    World.period, pair_program._load = period, log.load
    for module in (milp_module, repair_module):
        module.solve = log
    try:  # one strategy, so that its periods and its whole-problem LPs pair up one to one
        world_seed = child(np.random.SeedSequence(int(cfg.seed)), "replicate", 0)
        run_campaign(build_section(cfg, "scenario"), build_section(cfg, "campaign"), selected_strategies(cfg), {},
                     build_section(cfg, "evaluation"), world_seed)
    finally:
        World.period, pair_program._load = original, log.original_load
        for module in (milp_module, repair_module):
            module.solve = log.original
    solves = pd.DataFrame(log.rows)
    lps, milps = solves[solves["relax"]], solves[~solves["relax"]]
    k = len(build_section(cfg, "scenario").catalog.actions)
    n_slots = max(int(slot.max()) for slot, _ in places) + 1
    kept, changed, worst = fixed_structure(log.lps, places, n_slots, k)
    per_period = solves["total_s"].sum() / len(places)
    rows = [("periods planned (learning_milp, replicate 0)", f"{len(places)}"),
            ("HiGHS solves per period: LP / repair MILPs", f"1 / {len(milps) / len(places):.1f}"),
            ("solve time per period (all its solves)", f"{per_period:.4f} s"),
            ("  whole-problem LP, from scratch", f"{lps['total_s'].mean():.4f} s ({lps['pairs'].mean():.0f} pairs)"),
            ("    of which handing the model to HiGHS", f"{lps['load_s'].mean():.4f} s "
                                                        f"({lps['load_s'].sum() / lps['total_s'].sum():.0%})"),
            ("  repair MILPs (the few open customers)", f"{milps['total_s'].sum() / len(places):.4f} s "
                                                        f"({milps['pairs'].mean():.0f} pairs each)"),
            ("the LP on one model kept across periods, warm basis", f"{np.mean(kept[1:]):.4f} s per period "
                                                                     f"(first, loading: {kept[0]:.4f} s)"),
            ("  coefficients changed per period", f"{np.mean(changed[1:]):.0f}"),
            ("  largest relative difference from the cold LP's optimum", f"{worst:.1e}")]
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
