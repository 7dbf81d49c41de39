"""Certified large-scale optimizer: the same objective and constraint set as ``milp``, solved through
the Lagrangian dual of the few rows that couple customers.

Only the compiled rows (budget, capacities, floors, caps: ~20) couple customers; "one action per
customer" does not. With a price z_r on each row, the problem splits into one tiny choice per
customer, "the best eligible action at these prices, or none", a vectorized numpy argmax:

    L(z) = sum_i max(0, max_k v_ik - sum_r z_r a_r(i,k)) + sum_r z_r b_r,
    z_r >= 0 on '<=' rows, z_r <= 0 on '>=' rows.

Every such L(z) is an upper bound on the optimum (weak duality), so the bound is CERTIFIED whatever
the dual method does; min_z L(z) equals the LP relaxation. Steps:

1. Dual: minimize the entropy-smoothed L_tau (softmax instead of max per customer) with L-BFGS-B,
   lowering tau in stages. Why this method: L is polyhedral with ~N*K kinks, so at scale it is
   nearly smooth; smoothing makes it exactly smooth with gradient b - (expected row use), L-BFGS-B
   handles the sign bounds natively, and in ~20 dimensions quasi-Newton converges in tens of oracle
   calls, each one pass over the population. Cutting planes (Kelley) need many more calls to model
   a curved function to 1e-6. The dual only has to be close: step 2 makes it exact.
2. Working set: customers whose best choice wins by a wide margin at these prices are settled; the
   closest ``working_set`` customers are kept open. The LP over the open customers, with the limits
   left after the settled ones, gives exact prices (its row duals). If no settled customer changes
   its choice at those prices, they are the exact LP dual of the whole problem (complementary
   slackness); otherwise the changed customers join and it repeats. Every price vector tried is
   scored with L on the WHOLE population: the reported bound is the smallest of them. With at most
   ``working_set`` customers in all, steps 1 and 2 are one LP: HiGHS solves the whole relaxation.
3. Integer plan: a MILP (HiGHS) over the ``repair_set`` customers closest to indifference with the
   settled ones fixed. A basic LP solution has at most as many fractional customers as rows, so the
   plan is within a hair of the bound; the reported gap says how close. A plan is never returned if
   it breaks a row.
4. Reduced-cost fixing: any plan x is worth at most L(z) minus the margins its customers give up,
   so in every plan better than the one found, customers whose margin exceeds L(z) - objective keep
   their best choice. When few customers remain (``exact_set``), a MILP over them proves a bound for
   the whole problem and often finds the optimum (small worlds: the exact optimum, certified).

Steps 3 and 4 are ``strategies.repair``, shared with ``milp``. The per-customer step only needs sums
over customers, so the population is held in chunks (``strategies.chunks``) and every pass is a map
over chunks and a sum: locally (one process) or on a Dask cluster (``backend: dask``), where each
worker keeps its chunks and only price vectors and row sums travel.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from simcore.checks import check_choice, check_mapping, check_scalar
from simcore.cluster import dask_client
from simcore.diagnose import certificates, diagnose
from simcore.errors import ConfigError, InfeasibleError
from simcore.plan import Plan, ShadowPrice, SolverReport
from simcore.constraints import Rows
from simcore.scenario import ScenarioView
from strategies.base import Strategy
from strategies.chunks import ChunkStore, DaskChunks, LocalChunks, chunks_of, default_threads, one_blas_thread
from strategies.pair_program import PairProgram, check_highs_options, relative_gap, solve
from strategies.repair import Coupled, certified_plan, infeasible, restricted, widen


@dataclass(frozen=True)
class Lagrangian(Strategy):
    """gap: the certified relative gap the integer repair aims for (HiGHS stops within half of it);
    working_set: customers kept open for the exact LP (at most this many customers: the whole LP is
    solved directly instead of the dual); repair_set: customers open in the first integer repair (at
    most working_set); exact_set: the most customers the reduced-cost-fixing step re-solves (0 = never); rounds: working-set rounds
    before giving up on an exact LP dual (the bound stays certified either way);
    tau_stages: smoothing temperatures of the dual, as fractions of the mean positive pair value;
    sample: customers in the dual's warm-start sample, used above 4 x sample customers (0 = never);
    chunk_size: customers per chunk; threads: threads passing over the chunks in this process (0 = as
    many as chunks.default_threads says: $OMP_NUM_THREADS, else the cores; the plan is the same whatever
    the threads); backend: local | dask (address: a scheduler, null = a local
    cluster); highs_options: passed to HiGHS for the restricted LP and MILP."""

    working_set: int = 300
    repair_set: int = 16
    exact_set: int = 400
    rounds: int = 8
    # two stages: over 4 seeds at 1,000 to 75,000 customers (and at 1,000,000) the same plans, bounds and
    # gaps as (0.1, 0.01, 0.001), with ~25% fewer passes over customers (README, "Scale")
    tau_stages: tuple[float, ...] = (0.03, 0.003)
    dual_iterations: int = 200
    sample: int = 5_000
    # 50,000: at 75,000 customers two chunks for two threads; sequentially 8,000 to 250,000 measured alike
    chunk_size: int = 50_000
    threads: int = 0
    backend: str = "local"
    address: str | None = None
    gap: float = 1e-5
    time_limit: float = 600.0
    highs_options: Mapping[str, float | int | str | bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_scalar(self.working_set, "working_set", int, 1)
        check_scalar(self.repair_set, "repair_set", int, 1)
        check_scalar(self.exact_set, "exact_set", int, 0)
        check_scalar(self.rounds, "rounds", int, 1)
        stages = tuple(self.tau_stages)
        if not stages:
            raise ConfigError("tau_stages = []: give at least one temperature, e.g. [0.03, 0.003]")
        for i, t in enumerate(stages):
            check_scalar(t, f"tau_stages[{i}]", float, 0.0, min_inclusive=False)
        object.__setattr__(self, "tau_stages", tuple(float(t) for t in stages))
        check_scalar(self.dual_iterations, "dual_iterations", int, 1)
        check_scalar(self.sample, "sample", int, 0)
        check_scalar(self.chunk_size, "chunk_size", int, 1)
        check_scalar(self.threads, "threads", int, 0)
        check_choice(self.backend, "backend", ("local", "dask"))
        check_scalar(self.gap, "gap", float, 0.0, 1.0)
        check_scalar(self.time_limit, "time_limit", float, 0.0, min_inclusive=False)
        object.__setattr__(self, "highs_options", check_highs_options(check_mapping(self.highs_options,
                                                                                    "highs_options")))

    def options(self, bound: float) -> dict[str, float | int | str | bool]:
        """HiGHS options for the restricted programs. The MILP only covers the open customers, so its
        stopping rule is an ABSOLUTE gap: half the certified gap target of the whole plan's value.
        HiGHS's default presolve is kept: the pathology measured for milp is at 75,000 customers, and on
        these few-hundred-customer programs presolve was faster (README, "Solver settings, measured")."""
        return {"mip_rel_gap": 0.0,
                "mip_abs_gap": 0.5 * self.gap * max(1.0, abs(bound)),
                "time_limit": float(self.time_limit), **self.highs_options}

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        start = time.perf_counter()
        found = certificates(view)
        if found:  # exact and cheap at any size: no need to search for prices that cannot exist
            raise infeasible(view, "lagrangian")
        rows = view.rows
        chunks = chunks_of(view, rows.weights, self.chunk_size)
        with ExitStack() as stack:
            if self.backend == "dask":  # a local cluster runs in threads here: scattering costs no pickling
                client = stack.enter_context(dask_client(self.address, "strategy.lagrangian.address", processes=False))
                store: ChunkStore = DaskChunks.scatter(chunks, client)
            else:
                store = LocalChunks(chunks, self.threads or default_threads())
            # the products here are (N, ~6) x (~6, K): multi-threaded BLAS only adds overhead to
            # them (README, "Solver settings, measured")
            with one_blas_thread():
                return self.solve(Coupled.of(view), store, start, view)

    def solve(self, problem: Coupled, store: ChunkStore, start: float, view: ScenarioView | None = None) -> Plan:
        """The certified plan of the problem whose customers ``store`` holds (``view``: the same problem
        in this process, if it is here: then a problem of at most working_set customers is one LP)."""
        rows, n = problem.rows, problem.n_customers
        if view is not None and n <= self.working_set:  # the working-set LP would be the whole LP: solve it
            z, bound = self._exact_dual(view, store)
        else:
            z, bound = self._dual(rows, store, n)
        width = min(n, self.working_set)
        keep = np.empty(0, dtype=np.int64)
        for _ in range(self.rounds if n > self.working_set else 0):
            part = restricted(rows, store, z, store.margin_of_width(rows, z, width), keep)
            lp = solve(part.program, self.options(bound), relax=True, what="lagrangian")
            if lp.status == "infeasible":
                width = widen(problem, part, width, "lagrangian")  # the settled choices leave the open ones too little room
                continue
            candidate = self._bound(rows, store, lp.duals)
            if candidate > bound:
                break  # too few customers open to price the whole population: keep the better prices
            moved = np.setdiff1d(store.moved(rows, z, lp.duals), part.ids)
            z, bound = lp.duals, candidate
            if len(moved) == 0 or len(moved) > 4 * width:
                break  # exact LP duals (no settled customer changes its mind), or a jump too wide to chase
            keep = np.union1d(keep, moved)
        plan = certified_plan(problem, store, z, bound, min(width, self.repair_set), lambda _: self.options(bound),
                              self.exact_set, lambda _: {**self.options(bound), "time_limit": min(self.time_limit, 60.0)},
                              self.gap, "lagrangian")
        gap = relative_gap(plan.objective, plan.bound)
        prices = tuple(ShadowPrice(row.name, row.unit, float(p)) for row, p in zip(rows.rows, z))
        limited = plan.mip.status == "stopped_at_limit"
        report = SolverReport(plan.mip.status, plan.objective, plan.bound, gap, time.perf_counter() - start, limited,
                              prices)
        note = f"stopped at a solver limit: best plan found, certified gap {gap:.2e}" if limited else ""
        return Plan(plan.action, solver=report, note=note)

    def _exact_dual(self, view: ScenarioView, store: ChunkStore) -> tuple[np.ndarray, float]:
        """The exact LP duals of the whole problem (HiGHS), and their dual value: a certified bound."""
        lp = solve(PairProgram.of(view), self.options(0.0), relax=True, what="lagrangian")
        if lp.status == "infeasible":
            raise infeasible(view, "lagrangian")
        z = np.where(view.rows.le, np.maximum(lp.duals, 0.0), np.minimum(lp.duals, 0.0))
        return z, self._bound(view.rows, store, z)

    def _dual(self, rows: Rows, store: ChunkStore, n: int) -> tuple[np.ndarray, float]:
        """Approximately minimize L: smoothed L-BFGS-B in temperature stages. Returns prices and the
        best (smallest) exact L seen on the whole population: a certified upper bound. Above
        4 x ``sample`` customers the stages run on every (n // sample)-th customer first, against
        limits scaled to the sample's share, and only the last stage on everyone, from the sample's
        prices (a pass over the sample costs a fraction of one over everyone; the prices of a large
        random sample are close to the whole's)."""
        scale = store.mean_positive_value()
        z = np.zeros(len(rows.rhs))
        best = [np.inf, z]
        stages = self.tau_stages
        if self.sample and n > 4 * self.sample:
            part = LocalChunks(store.sample(n // self.sample))
            share = sum(c.n for c in part.chunks) / n
            z = self._minimize(rows, part, rows.rhs * share, z, stages, scale, [np.inf, z])
            stages = stages[-1:]
        self._minimize(rows, store, rows.rhs, z, stages, scale, best)
        return best[1], best[0]

    def _minimize(self, rows: Rows, store: ChunkStore, rhs: np.ndarray, z: np.ndarray, stages: tuple[float, ...],
                  scale: float, best: list) -> np.ndarray:
        """L-BFGS-B on the smoothed dual at each temperature (fractions of ``scale`` dollars) from z,
        with row limits ``rhs``; best: [smallest exact dual value seen, its prices], updated."""
        bounds = [(0.0, None) if le else (None, 0.0) for le in rows.le]
        for fraction in stages:
            tau = fraction * scale

            def f(zz: np.ndarray) -> tuple[float, np.ndarray]:
                s = store.map_sum(lambda c: c.sums(rows, zz, tau))
                exact = s.exact + float(zz @ rhs)
                if exact < best[0]:
                    best[0], best[1] = exact, zz.copy()
                return s.smooth + float(zz @ rhs), rhs - s.use

            res = scipy.optimize.minimize(f, z, jac=True, method="L-BFGS-B", bounds=bounds,
                                          options={"maxiter": self.dual_iterations, "ftol": 1e-13, "gtol": 1e-10})
            z = res.x
        return z

    @staticmethod
    def _bound(rows: Rows, store: ChunkStore, z: np.ndarray) -> float:
        s = store.map_sum(lambda c: c.sums(rows, z, 0.0))
        return s.exact + float(z @ rows.rhs)
