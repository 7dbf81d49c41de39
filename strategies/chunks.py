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
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
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
