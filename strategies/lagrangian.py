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
   scored with L on the WHOLE population: the reported bound is the smallest of them.
3. Integer plan: a MILP (CVXPY + HiGHS) over the open customers with the settled ones fixed. A basic
   LP solution has at most as many fractional customers as rows, so the plan is within a hair of
   the bound; the reported gap says how close. A plan is never returned if it breaks a row.
4. Reduced-cost fixing: any plan x is worth at most L(z) minus the margins its customers give up,
   so in every plan better than the one found, customers whose margin exceeds L(z) - objective keep
   their best choice. When few customers remain (``exact_set``), a MILP over them proves a bound for
   the whole problem and often finds the optimum (small worlds: the exact optimum, certified).

The per-customer step only needs sums over customers, so the population is held in chunks and every
pass is a map over chunks and a sum: locally (one process) or on a Dask cluster (``backend: dask``),
where each worker keeps its chunks and only price vectors and row sums travel.
"""
from __future__ import annotations

import functools
import operator
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from simcore.checks import check_choice, check_mapping, check_scalar
from simcore.cluster import dask_client
from simcore.diagnose import certificates, diagnose
from simcore.errors import ConfigError, InfeasibleError
from simcore.plan import Plan, ShadowPrice, SolverReport
from simcore.constraints import Rows
from simcore.scenario import ScenarioView
from strategies.base import Strategy
from strategies.pair_program import PairProgram, check_highs_options, relative_gap, solve

if TYPE_CHECKING:
    import distributed

T = TypeVar("T")


@dataclass(frozen=True)
class Sums:
    """Sums over customers at one price vector. exact: sum_i max(0, best reduced value), dollars;
    smooth: its entropy-smoothed version; use: (R,) row use of the (smoothed) choices."""

    exact: float
    smooth: float
    use: np.ndarray

    def __add__(self, other: "Sums") -> "Sums":
        return Sums(self.exact + other.exact, self.smooth + other.smooth, self.use + other.use)


@dataclass(frozen=True)
class Settled:
    """The settled customers of a chunk at given prices: global ids of the OPEN ones, and the value
    (dollars) and row use (R,) of the settled ones' choices."""

    open_ids: np.ndarray
    value: float
    use: np.ndarray

    def __add__(self, other: "Settled") -> "Settled":
        return Settled(np.concatenate([self.open_ids, other.open_ids]), self.value + other.value,
                       self.use + other.use)


@dataclass(frozen=True)
class Restricted:
    """The program over the open customers ``ids`` (sorted global ids); pair p of ``program`` is
    customer ids[customer[p]] with action action[p]. settled: what the others contribute."""

    settled: Settled
    program: PairProgram
    ids: np.ndarray
    customer: np.ndarray
    action: np.ndarray


@dataclass(frozen=True)
class Chunk:
    """A block of customers. value: (n, K) estimated net value, -inf where not eligible; cost: (n, K)
    dollars; weights: (n, U) customer weights; first: the global index of row 0."""

    value: np.ndarray
    cost: np.ndarray
    weights: np.ndarray
    first: int

    def reduced(self, rows: Rows, z: np.ndarray) -> np.ndarray:
        plain, per_dollar = rows.price_matrices(z)
        return self.value - self.weights @ plain - self.cost * (self.weights @ per_dollar)

    def sums(self, rows: Rows, z: np.ndarray, tau: float) -> Sums:
        r = self.reduced(rows, z)
        best = np.maximum(0.0, r.max(axis=1))  # "none" is always an option, worth 0
        if tau > 0:
            e = np.exp((r - best[:, None]) / tau)  # -inf (ineligible) -> 0
            rest = np.exp(-best / tau)
            denom = rest + e.sum(axis=1)
            smooth = float((best + tau * np.log(denom)).sum())
            p = e / denom[:, None]
        else:
            smooth = float(best.sum())
            p = self._one_hot(r, best)
        return Sums(float(best.sum()), smooth, rows.use_from_sums(self.weights.T @ p, self.weights.T @ (p * self.cost)))

    def choices(self, rows: Rows, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n,) best action (-1 = none) at prices z, and its margin over the runner-up (dollars)."""
        r = np.concatenate([np.zeros((len(self.value), 1)), self.reduced(rows, z)], axis=1)
        top2 = -np.partition(-r, 1, axis=1)[:, :2]
        return np.argmax(r, axis=1) - 1, top2[:, 0] - top2[:, 1]

    def settle(self, rows: Rows, z: np.ndarray, margin_below: float, keep_open: np.ndarray) -> Settled:
        """Settle customers whose margin is >= margin_below and who are not in keep_open (global ids)."""
        choice, margin = self.choices(rows, z)
        ids = self.first + np.arange(len(choice))
        is_open = (margin < margin_below) | np.isin(ids, keep_open)
        settled = ~is_open & (choice >= 0)
        who, acts = np.flatnonzero(settled), choice[settled]
        p = np.zeros(self.value.shape)
        p[who, acts] = 1.0
        return Settled(ids[is_open], float(self.value[who, acts].sum()),
                       rows.use_from_sums(self.weights.T @ p, self.weights.T @ (p * self.cost)))

    @staticmethod
    def _one_hot(r: np.ndarray, best: np.ndarray) -> np.ndarray:
        p = np.zeros(r.shape)
        take = best > 0
        p[np.flatnonzero(take), np.argmax(r[take], axis=1)] = 1.0
        return p


def chunks_of(view: ScenarioView, weights: np.ndarray, size: int) -> list[Chunk]:
    """Split the population into chunks of ``size`` customers."""
    value = np.full(view.eligible.shape, -np.inf)
    value[view.pairs.customer, view.pairs.action] = view.pairs.value_est
    return [Chunk(value[s:s + size], view.cost[s:s + size], weights[s:s + size], s)
            for s in range(0, view.n_customers, size)]


class ChunkStore:
    """Where the chunks live. Every pass over customers is ``_map(fn)``, fn applied to each chunk,
    so the passes are written once; stores differ only in where fn runs."""

    def _map(self, fn: Callable[[Chunk], T]) -> list[T]:
        raise NotImplementedError

    def map_sum(self, fn: Callable[[Chunk], Sums | Settled]) -> Sums | Settled:
        return functools.reduce(operator.add, self._map(fn))

    def choices(self, rows: Rows, z: np.ndarray, margin: bool = False) -> np.ndarray:
        """(N,) best action of every customer at prices z (or, with margin=True, its margin)."""
        return np.concatenate(self._map(lambda c: c.choices(rows, z)[int(margin)]))

    def customers(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """value, cost (len(ids), K) and weights (len(ids), U) of the given customers (sorted ids)."""
        def take(c: Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            local = ids[(ids >= c.first) & (ids < c.first + len(c.value))] - c.first
            return c.value[local], c.cost[local], c.weights[local]

        parts = self._map(take)
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]


class LocalChunks(ChunkStore):
    """Chunks in this process."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks

    def _map(self, fn: Callable[[Chunk], T]) -> list[T]:
        return [fn(c) for c in self.chunks]


class DaskChunks(ChunkStore):
    """Chunks held by the workers of a Dask cluster, scattered once: each pass sends a small
    function (prices inside) and gathers small answers (sums, or the rows of a few customers)."""

    def __init__(self, chunks: list[Chunk], client: distributed.Client) -> None:
        self.client = client
        self.futures = client.scatter(chunks, broadcast=False)

    def _map(self, fn: Callable[[Chunk], T]) -> list[T]:
        return self.client.gather(self.client.map(fn, self.futures, pure=False))


@dataclass(frozen=True)
class Lagrangian(Strategy):
    """gap: the certified relative gap the integer repair aims for (HiGHS stops within half of it);
    working_set: customers kept open for the exact LP and the first integer repair; exact_set: the
    most customers the reduced-cost-fixing step re-solves (0 = never); rounds: working-set rounds
    before giving up on an exact LP dual (the bound stays certified either way);
    tau_stages: smoothing temperatures of the dual, as fractions of the mean positive pair value;
    chunk_size: customers per chunk; backend: local | dask (address: a scheduler, null = a local
    cluster); highs_options: passed to HiGHS for the restricted LP and MILP."""

    working_set: int = 300
    exact_set: int = 400
    rounds: int = 8
    tau_stages: tuple[float, ...] = (0.1, 0.01, 0.001)
    dual_iterations: int = 200
    chunk_size: int = 250_000
    backend: str = "local"
    address: str | None = None
    gap: float = 1e-5
    time_limit: float = 600.0
    highs_options: Mapping[str, float | int | str | bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_scalar(self.working_set, "working_set", int, 1)
        check_scalar(self.exact_set, "exact_set", int, 0)
        check_scalar(self.rounds, "rounds", int, 1)
        stages = tuple(self.tau_stages)
        if not stages:
            raise ConfigError("tau_stages = []: give at least one temperature, e.g. [0.1, 0.01, 0.001]")
        for i, t in enumerate(stages):
            check_scalar(t, f"tau_stages[{i}]", float, 0.0, min_inclusive=False)
        object.__setattr__(self, "tau_stages", tuple(float(t) for t in stages))
        check_scalar(self.dual_iterations, "dual_iterations", int, 1)
        check_scalar(self.chunk_size, "chunk_size", int, 1)
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
            raise InfeasibleError(f"lagrangian: {diagnose(view).message()}")
        rows = view.rows
        chunks = chunks_of(view, rows.weights, self.chunk_size)
        with ExitStack() as stack:
            if self.backend == "dask":  # a local cluster runs in threads here: scattering costs no pickling
                client = stack.enter_context(dask_client(self.address, "strategy.lagrangian.address", processes=False))
                store: ChunkStore = DaskChunks(chunks, client)
            else:
                store = LocalChunks(chunks)
            # the products here are (N, ~6) x (~6, K): multi-threaded BLAS only adds overhead to
            # them (README, "Solver settings, measured")
            with threadpool_limits(limits=1, user_api="blas"):
                return self._solve(view, rows, store, start)

    def _solve(self, view: ScenarioView, rows: Rows, store: ChunkStore, start: float) -> Plan:
        n = view.n_customers
        z, bound = self._dual(view, rows, store)
        width = min(n, self.working_set)
        keep = np.empty(0, dtype=np.int64)
        for _ in range(self.rounds):
            part = self._restricted(rows, store, z, self._margin_of_width(rows, store, z, width), keep)
            lp = solve(part.program, self.options(bound), relax=True, what="lagrangian")
            if lp.status == "infeasible":
                width = self._widen(view, part, width)  # the settled choices leave the open ones too little room
                continue
            candidate = self._bound(rows, store, lp.duals)
            if candidate > bound:
                break  # too few customers open to price the whole population: keep the better prices
            moved = store.choices(rows, z) != store.choices(rows, lp.duals)
            moved[part.ids] = False
            z, bound = lp.duals, candidate
            if not moved.any() or moved.sum() > 4 * width:
                break  # exact LP duals (no settled customer changes its mind), or a jump too wide to chase
            keep = np.union1d(keep, np.flatnonzero(moved))
        none = np.empty(0, dtype=np.int64)
        while True:  # a first integer plan, over the customers closest to indifference at these prices
            part = self._restricted(rows, store, z, self._margin_of_width(rows, store, z, width), none)
            mip = solve(part.program, self.options(bound), relax=False, what="lagrangian")
            if mip.status != "infeasible":
                break
            width = self._widen(view, part, width)
        objective = part.settled.value + mip.objective
        if len(part.ids) >= n:  # nothing was settled: HiGHS's own bound is a bound on the whole problem
            bound = min(bound, mip.bound)
        # Reduced-cost fixing. For any feasible plan x, value(x) <= L(z) - sum_i loss_i, where loss_i is
        # what customer i gives up against its best choice at prices z. So in every plan better than
        # this one, each customer whose margin exceeds L(z) - objective keeps its best choice: the MILP
        # over the others, with those fixed, finds the optimum and proves a bound for the whole problem.
        cut = (bound - objective) * (1 + 1e-9) + 1e-9
        if len(part.ids) < n and bound - objective > self.gap * 1e-3 * max(1.0, abs(bound)):
            free = int((store.choices(rows, z, margin=True) < cut).sum())
            if free <= len(part.ids):  # those customers were all open in the MILP just solved: its bound holds
                bound = min(bound, max(objective, part.settled.value + mip.bound))
            elif free <= self.exact_set:
                exact = self._restricted(rows, store, z, cut, none)
                sharp = solve(exact.program, {**self.options(bound), "time_limit": min(self.time_limit, 60.0)},
                              relax=False, what="lagrangian")
                if sharp.status == "infeasible":  # no plan keeps those choices, so none beats this one
                    bound = objective
                else:
                    bound = min(bound, max(objective, exact.settled.value + sharp.bound))
                    if exact.settled.value + sharp.objective > objective:
                        part, mip, objective = exact, sharp, exact.settled.value + sharp.objective
        action = store.choices(rows, z)
        action[part.ids] = -1
        chosen = mip.x > 0.5
        action[part.ids[part.customer[chosen]]] = part.action[chosen]
        bound = max(bound, objective)
        gap = relative_gap(objective, bound)
        prices = tuple(ShadowPrice(row.name, row.unit, float(p)) for row, p in zip(rows.rows, z))
        limited = mip.status == "stopped_at_limit"
        report = SolverReport(mip.status, objective, bound, gap, time.perf_counter() - start, limited, prices)
        note = f"stopped at a solver limit: best plan found, certified gap {gap:.2e}" if limited else ""
        return Plan(action, solver=report, note=note)

    @staticmethod
    def _widen(view: ScenarioView, part: Restricted, width: int) -> int:
        if len(part.ids) >= view.n_customers:
            raise InfeasibleError(f"lagrangian: {diagnose(view).message()}")
        return min(view.n_customers, 4 * width)

    def _dual(self, view: ScenarioView, rows: Rows, store: ChunkStore) -> tuple[np.ndarray, float]:
        """Approximately minimize L: smoothed L-BFGS-B in temperature stages. Returns prices and the
        best (smallest) exact L seen: a certified upper bound."""
        positive = view.pairs.value_est[view.pairs.value_est > 0]
        scale = float(positive.mean()) if len(positive) else 1.0
        bounds = [(0.0, None) if le else (None, 0.0) for le in rows.le]
        z = np.zeros(len(rows.rhs))
        best = [np.inf, z]

        for fraction in self.tau_stages:
            tau = fraction * scale

            def f(zz: np.ndarray) -> tuple[float, np.ndarray]:
                s = store.map_sum(lambda c: c.sums(rows, zz, tau))
                exact = s.exact + float(zz @ rows.rhs)
                if exact < best[0]:
                    best[0], best[1] = exact, zz.copy()
                return s.smooth + float(zz @ rows.rhs), rows.rhs - s.use

            res = scipy.optimize.minimize(f, z, jac=True, method="L-BFGS-B", bounds=bounds,
                                          options={"maxiter": self.dual_iterations, "ftol": 1e-13, "gtol": 1e-10})
            z = res.x
        return best[1], best[0]

    @staticmethod
    def _bound(rows: Rows, store: ChunkStore, z: np.ndarray) -> float:
        s = store.map_sum(lambda c: c.sums(rows, z, 0.0))
        return s.exact + float(z @ rows.rhs)

    @staticmethod
    def _margin_of_width(rows: Rows, store: ChunkStore, z: np.ndarray, width: int) -> float:
        """The margin below which exactly the ``width`` closest customers fall (inf: all of them)."""
        margins = store.choices(rows, z, margin=True)
        return np.inf if width >= len(margins) else float(np.partition(margins, width)[width])

    @staticmethod
    def _restricted(rows: Rows, store: ChunkStore, z: np.ndarray, cut: float,
                    keep: np.ndarray) -> Restricted:
        """Settle every customer whose margin at prices z is >= cut (and not in ``keep``) at its best
        choice; the program over the open ones with the limits the settled ones leave."""
        settled = store.map_sum(lambda c: c.settle(rows, z, cut, keep))
        ids = np.sort(settled.open_ids)
        value, cost, w = store.customers(ids)
        cust, act = np.nonzero(np.isfinite(value))
        coef = rows.coefficients(w[cust], act, cost[cust, act])
        prog = PairProgram(cust, len(ids), value[cust, act], sp.csr_matrix(coef), rows.le,
                           rows.rhs - settled.use)
        return Restricted(settled, prog, ids, cust, act)
