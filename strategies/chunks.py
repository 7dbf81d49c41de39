"""The population in chunks, and where the chunks live: every pass over customers is a map over
chunks and a sum of small vectors, so the passes are written once and run in this process
(``LocalChunks``) or on the workers of a Dask cluster (``DaskChunks``), where each worker keeps its
chunks and only price vectors and row sums travel.

A pass at row prices z (R,) needs, per customer i and action k, the reduced value
v_ik - price of (i, k); ``Rows.price_matrices`` turns z into two (U, K) matrices, so a chunk's reduced
values are two small matrix products (simcore.constraints.rows has the one coefficient formula).
"""
from __future__ import annotations

import functools
import operator
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import threadpoolctl

from simcore.constraints import Rows
from simcore.scenario import ScenarioView

if TYPE_CHECKING:
    import distributed

T = TypeVar("T")


@functools.cache
def _controller() -> threadpoolctl.ThreadpoolController:
    return threadpoolctl.ThreadpoolController()


def one_blas_thread() -> AbstractContextManager:
    """BLAS limited to one thread for the passes: their products are (N, ~6) x (~6, K), where threads
    only add overhead (README, "Solver settings, measured"). The libraries are looked up once per
    process: ``threadpool_limits`` scans every loaded library on each call (8 ms in a sweep worker)."""
    return _controller().limit(limits=1, user_api="blas")


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
class Chunk:
    """A block of n customers, stored action-major so that every reduction over the K actions is K
    vectorized steps over customers rather than n tiny reductions (a max over actions at 75,000 x 8:
    9 ms row-major, 0.3 ms action-major). value: (K, n) estimated net value, dollars, -inf where not
    eligible; cost: (K, n) dollars; weights: (U, n) customer weights (``Rows.weights`` transposed);
    first: the global index of customer 0. The choices at the last prices asked are remembered (the
    repair asks for them several times at the same prices)."""

    value: np.ndarray
    cost: np.ndarray
    weights: np.ndarray
    first: int
    _last: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n(self) -> int:
        return self.value.shape[1]

    def reduced(self, rows: Rows, z: np.ndarray) -> np.ndarray:
        """(K, n) value minus the price of each pair at row prices z (R,), dollars."""
        plain, per_dollar = rows.price_matrices(z)
        r = plain.T @ self.weights
        t = per_dollar.T @ self.weights
        t *= self.cost
        r += t
        return np.subtract(self.value, r, out=r)

    def sums(self, rows: Rows, z: np.ndarray, tau: float) -> Sums:
        if tau <= 0:
            choice, _, best = self._choices(rows, z)
            exact = float(best.sum())
            return Sums(exact, exact, self._use(rows, self._one_hot(choice)))
        r = self.reduced(rows, z)
        best = r.max(axis=0)
        np.maximum(best, 0.0, out=best)  # "none" is always an option, worth 0
        exact = float(best.sum())
        r -= best
        r *= 1.0 / tau
        np.exp(r, out=r)  # -inf (ineligible) -> 0
        denom = r.sum(axis=0)
        denom += np.exp(-best / tau)
        smooth = exact + tau * float(np.log(denom).sum())
        r /= denom  # the softmax choice probabilities
        return Sums(exact, smooth, self._use(rows, r))

    def choices(self, rows: Rows, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n,) best action (-1 = none; on a tie, none, then the lowest action) at prices z, and its
        margin over the runner-up (dollars)."""
        return self._choices(rows, z)[:2]

    def _choices(self, rows: Rows, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """choices(), and the best reduced value (>= 0: none is worth 0), remembered for two price vectors."""
        key = np.asarray(z, dtype=float).tobytes()
        if key not in self._last:
            r = self.reduced(rows, z)
            first, second = np.zeros(self.n), np.full(self.n, -np.inf)
            choice = np.full(self.n, -1, dtype=np.int64)
            for k, rk in enumerate(r):
                better = rk > first
                np.copyto(second, np.where(better, first, np.maximum(second, rk)))
                np.copyto(first, rk, where=better)
                choice[better] = k
            if len(self._last) >= 2:
                del self._last[next(iter(self._last))]
            self._last[key] = (choice, first - second, first)
        return self._last[key]

    def settle(self, rows: Rows, z: np.ndarray, margin_below: float, keep_open: np.ndarray) -> Settled:
        """Settle customers whose margin is >= margin_below and who are not in keep_open (global ids)."""
        choice, margin = self.choices(rows, z)
        ids = self.first + np.arange(self.n)
        is_open = (margin < margin_below) | np.isin(ids, keep_open)
        settled = np.where(is_open, -1, choice)
        return Settled(ids[is_open], self._value_of(settled), self._use(rows, self._one_hot(settled)))

    def smallest_margins(self, rows: Rows, z: np.ndarray, count: int) -> np.ndarray:
        """The ``count`` smallest margins at prices z (all of them if the chunk has fewer)."""
        margin = self.choices(rows, z)[1]
        return margin if count >= self.n else np.partition(margin, count)[:count]

    def sample(self, step: int) -> "Chunk":
        """Every customer whose global index is a multiple of ``step`` (a systematic sample)."""
        local = np.arange((-self.first) % step, self.n, step)
        return Chunk(self.value[:, local], self.cost[:, local], self.weights[:, local], 0)

    def _value_of(self, choice: np.ndarray) -> float:
        who = np.flatnonzero(choice >= 0)
        return float(self.value[choice[who], who].sum())

    def _one_hot(self, choice: np.ndarray) -> np.ndarray:
        p = np.zeros(self.value.shape)
        who = np.flatnonzero(choice >= 0)
        p[choice[who], who] = 1.0
        return p

    def _use(self, rows: Rows, p: np.ndarray) -> np.ndarray:
        """(R,) row use of choice weights p (K, n)."""
        return rows.use_from_sums((p @ self.weights.T).T, ((p * self.cost) @ self.weights.T).T)


def chunks_of(view: ScenarioView, weights: np.ndarray, size: int) -> list[Chunk]:
    """Split the population into chunks of ``size`` customers (weights: (N, U), ``Rows.weights``).
    Each chunk's value matrix is filled from its own pairs; its costs and weights are views of the
    column-major cost matrix and weights (``Catalog.cost_matrix``, ``Rows.stack``): no copy of either."""
    pairs, n = view.pairs, view.n_customers
    starts = np.arange(0, n, size)
    first_pair = np.searchsorted(pairs.customer, np.append(starts, n))
    out = []
    for j, s in enumerate(starts):
        e, part = min(s + size, n), slice(first_pair[j], first_pair[j + 1])
        value = np.full((view.eligible.shape[1], e - s), -np.inf)
        value[pairs.action[part], pairs.customer[part] - s] = pairs.value_est[part]
        out.append(Chunk(value, _columns(view.cost, s, e), _columns(weights, s, e), int(s)))
    return out


def _columns(matrix: np.ndarray, start: int, end: int) -> np.ndarray:
    """matrix[start:end].T (columns, customers): a view where each column is contiguous in memory
    (column-major storage), else a contiguous copy."""
    part = matrix[start:end].T
    return part if part.strides[1] == part.itemsize else np.ascontiguousarray(part)


class ChunkStore:
    """Where the chunks live. Every pass over customers is ``_map(fn)``, fn applied to each chunk,
    so the passes are written once; stores differ only in where fn runs. What comes back is small
    (sums, a few customers, order statistics), except ``choices``: the plan itself."""

    def _map(self, fn: Callable[[Chunk], T]) -> list[T]:
        raise NotImplementedError

    def map_sum(self, fn: Callable[[Chunk], Sums | Settled]) -> Sums | Settled:
        return functools.reduce(operator.add, self._map(fn))

    def choices(self, rows: Rows, z: np.ndarray) -> np.ndarray:
        """(N,) best action of every customer at prices z (-1 = none)."""
        return np.concatenate(self._map(lambda c: c.choices(rows, z)[0]))

    def sample(self, step: int) -> list[Chunk]:
        """Every ``step``-th customer of the population, brought here."""
        return self._map(lambda c: c.sample(step))

    def mean_positive_value(self) -> float:
        """The mean estimated value of the pairs worth more than nothing, dollars (1.0 if none is)."""
        parts = self._map(lambda c: (float(c.value[c.value > 0].sum()), int((c.value > 0).sum())))
        count = sum(p[1] for p in parts)
        return sum(p[0] for p in parts) / count if count else 1.0

    def margin_of_width(self, rows: Rows, z: np.ndarray, width: int) -> float:
        """The margin below which exactly the ``width`` closest customers fall (inf: all of them):
        the width-th smallest margin is among every chunk's width + 1 smallest."""
        smallest = np.concatenate(self._map(lambda c: c.smallest_margins(rows, z, width + 1)))
        return np.inf if width >= len(smallest) else float(np.partition(smallest, width)[width])

    def count_below(self, rows: Rows, z: np.ndarray, cut: float) -> int:
        """How many customers have a margin below ``cut`` at prices z."""
        return int(sum(self._map(lambda c: int((c.choices(rows, z)[1] < cut).sum()))))

    def moved(self, rows: Rows, z: np.ndarray, other: np.ndarray) -> np.ndarray:
        """Global ids of the customers whose best choice differs at prices z and other."""
        return np.concatenate(self._map(
            lambda c: c.first + np.flatnonzero(c.choices(rows, z)[0] != c.choices(rows, other)[0])))

    def customers(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """value, cost (len(ids), K) and weights (len(ids), U) of the given customers (sorted ids)."""
        def take(c: Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            local = ids[(ids >= c.first) & (ids < c.first + c.n)] - c.first
            return c.value[:, local].T, c.cost[:, local].T, c.weights[:, local].T

        parts = self._map(take)
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]


class LocalChunks(ChunkStore):
    """Chunks in this process, passed over by ``threads`` threads (numpy releases the GIL in the
    passes' array work). The answers come back in chunk order whatever the threads, so every sum is
    the same float."""

    def __init__(self, chunks: list[Chunk], threads: int = 1) -> None:
        self.chunks = chunks
        self.threads = threads

    def _map(self, fn: Callable[[Chunk], T]) -> list[T]:
        if self.threads < 2 or len(self.chunks) < 2:
            return [fn(c) for c in self.chunks]
        return list(_pool(self.threads, os.getpid()).map(fn, self.chunks))


@functools.cache
def _pool(threads: int, pid: int) -> ThreadPoolExecutor:
    """One pool per thread count, for the process's life (idle threads cost nothing); per process id,
    since a forked child does not inherit its parent's threads."""
    return ThreadPoolExecutor(threads, thread_name_prefix="chunks")


def default_threads() -> int:
    """Threads for the passes over chunks: $OMP_NUM_THREADS when set (joblib and Dask set it in their
    workers to the cores each worker has, so a sweep is not oversubscribed), else every core this
    process may use."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class DaskChunks(ChunkStore):
    """Chunks held by the workers of a Dask cluster, scattered once: each pass sends a small
    function (prices inside) and gathers small answers (sums, or the rows of a few customers)."""

    def __init__(self, futures: list[distributed.Future], client: distributed.Client) -> None:
        """A store of chunks already on the workers (``futures``: one a chunk, e.g. built there by
        ``strategies.shards``)."""
        self.client = client
        self.futures = list(futures)
        self.passes = 0  # maps over every chunk so far (what a model of a bigger cluster multiplies)

    @classmethod
    def scatter(cls, chunks: list[Chunk], client: distributed.Client) -> "DaskChunks":
        """Send chunks built here to the workers."""
        return cls(client.scatter(chunks, broadcast=False), client)

    def _map(self, fn: Callable[[Chunk], T]) -> list[T]:
        self.passes += 1
        return self.client.gather(self.client.map(fn, self.futures, pure=False))
