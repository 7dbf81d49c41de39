"""A synthetic world too big for one machine: generated in shards on Dask workers, solved there.

A ``ShardedWorld`` is a scenario preset (its SyntheticPopulation's n_customers is the total) cut into
shards of ``shard_size`` customers. Shard i is the same preset at the shard's size, built from its
own seed ``SeedSequence(seed, spawn_key=(i,))``, its customer ids prefixed by the shard number; the
world is the union of its shards in shard order. So a shard is the same array bit for bit wherever
it is built, and ``union()`` (every shard built here) is the single-machine world the sharded solve
is checked against (tests/test_shards.py). Value tiers are tertiles of the estimated CLV within
each shard (a shard is a random sample of the world; at a shard size of 10^5 or more the cut points
agree with the whole world's to well under 1%).

``solve_sharded`` runs ``lagrangian`` with the customers on the workers:

1. each worker builds its shards (population, eligibility, pair values, the shard's rows) and keeps
   only the arrays the passes need; it sends back three categorical columns (segment, risk tier,
   value tier: ~3 bytes a customer), from which the driver compiles the world's rows (limits that
   are shares of a group need the group's size in the whole world);
2. each worker re-lays its customer weights in the world's row layout: a ``Chunk`` per shard;
3. ``Lagrangian.solve`` on a ``DaskChunks`` store: prices go out, row sums and the few open
   customers come back, and at the end the plan (one int64 a customer).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from simcore.checks import check_scalar
from simcore.constraints import Rows
from simcore.errors import ConfigError, InfeasibleError
from simcore.plan import Plan
from simcore.groups import GROUP_COLUMNS, Groups
from simcore.population import Population, SyntheticPopulation
from simcore.scenario import Scenario, ScenarioSpec
from strategies.chunks import Chunk, DaskChunks, one_blas_thread
from strategies.lagrangian import Lagrangian
from strategies.repair import Coupled

if TYPE_CHECKING:
    import distributed



@dataclass(frozen=True)
class ShardedWorld:
    """spec: a scenario with a SyntheticPopulation (its n_customers: the whole world); seed: the
    world's seed; shard_size: customers per shard (the last shard takes the remainder)."""

    spec: ScenarioSpec
    seed: int
    shard_size: int

    def __post_init__(self) -> None:
        if not isinstance(self.spec.population, SyntheticPopulation):
            raise ConfigError(f"scenario.population = {type(self.spec.population).__name__}: a sharded world "
                              "needs simcore.population.SyntheticPopulation (its generator is seeded per shard)")
        check_scalar(self.seed, "seed", int, 0)
        check_scalar(self.shard_size, "shard_size", int, 1)

    @property
    def n_customers(self) -> int:
        return self.spec.population.n_customers

    def shards(self) -> list[tuple[int, int]]:
        """(first global customer, size) of each shard."""
        n = self.n_customers
        return [(first, min(self.shard_size, n - first)) for first in range(0, n, self.shard_size)]

    def shard(self, i: int) -> Scenario:
        """Shard i, built from its own seed (the same arrays on any machine)."""
        first, size = self.shards()[i]
        pop = self.spec.population
        spec = dataclasses.replace(self.spec, population=dataclasses.replace(
            pop, n_customers=size, id_prefix=f"{pop.id_prefix}{i:05d}-"))
        return spec.build(np.random.SeedSequence(self.seed, spawn_key=(i,)))

    def union(self) -> Scenario:
        """The whole world in this process: every shard, concatenated in shard order."""
        parts = [self.shard(i) for i in range(len(self.shards()))]
        table = pd.concat([p.population.table for p in parts], ignore_index=True)
        population = Population(table, self.spec.population.high_risk_threshold)
        return Scenario.assemble(self.spec.name, population, self.spec.catalog, self.spec.constraint_set,
                                 np.vstack([p.view.eligible for p in parts]),
                                 effect_true=np.concatenate([p.effect_true for p in parts]))


@dataclass(frozen=True)
class Shard:
    """What a worker keeps of a built shard: value, cost (K, n) dollars (value -inf where not
    eligible), the shard's own compiled rows (its weights), its customers' groups (GROUP_COLUMNS,
    categorical) and its first global customer."""

    value: np.ndarray
    cost: np.ndarray
    rows: Rows
    groups: pd.DataFrame
    first: int


@dataclass(frozen=True)
class ShardedRun:
    """A sharded solve: the plan (one action a customer, -1 = none), the seconds spent building the
    shards and the world's rows, and solving; the solve's passes over every shard; peak resident
    memory (MB) of each worker and the driver."""

    plan: Plan
    build_s: float
    solve_s: float
    passes: int
    worker_peak_mb: tuple[float, ...]
    driver_peak_mb: float


def _build_shard(world: ShardedWorld, i: int) -> Shard:
    view = world.shard(i).view
    k, n = len(view.catalog.actions), view.n_customers
    value = np.full((k, n), -np.inf)
    value[view.pairs.action, view.pairs.customer] = view.pairs.value_est
    return Shard(value, np.ascontiguousarray(view.cost.T), view.rows,
                 view.customers[list(GROUP_COLUMNS)].astype("category"), world.shards()[i][0])


def _groups(shard: Shard) -> pd.DataFrame:
    return shard.groups


def _chunk(shard: Shard, rows: Rows) -> Chunk:
    """The shard as a Chunk whose weights follow the world's layout: column j is the customer weight
    of the first world row that reads column j (column 0 is all ones)."""
    u = rows.weights.shape[1]
    weights = np.ones((u, shard.value.shape[1]))
    for j in range(1, u):
        name = rows.rows[int(np.flatnonzero(rows.column == j)[0])].name
        if name not in shard.rows.names:
            raise ConfigError(f"row {name}: shard at customer {shard.first:,} has no such row (a shard too small "
                              "to hold every segment); raise shard_size")
        weights[j] = shard.rows.weights[:, shard.rows.column[shard.rows.index(name)]]
    return Chunk(shard.value, shard.cost, weights, shard.first)


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def solve_sharded(world: ShardedWorld, strategy: Lagrangian, client: distributed.Client) -> ShardedRun:
    """Build the world's shards on the client's workers and solve it there (module docstring)."""
    import distributed  # an optional extra: only here

    start = time.perf_counter()
    count = len(world.shards())
    shards = [client.submit(_build_shard, world, i, pure=False) for i in range(count)]
    parts = client.gather([client.submit(_groups, s, pure=False) for s in shards])
    # each shard has its own categories: unite them without expanding N labels into Python strings
    table = pd.DataFrame({c: union_categoricals([p[c] for p in parts]) for c in GROUP_COLUMNS})
    del parts
    whole = world.spec.constraint_set.compile(Groups(table), world.spec.catalog)
    # the world's rows without its (N, U) weights: the customers' weights stay on the workers
    rows = Rows(whole.rows, whole.weights[:0], whole.column, whole.action_weight, whole.cost_weighted)
    del table, whole
    chunks = [client.submit(_chunk, s, rows, pure=False) for s in shards]
    distributed.wait(chunks)
    del shards  # the workers drop the shards: only the chunks stay
    store = DaskChunks(chunks, client)
    built = time.perf_counter() - start

    def fail(what: str) -> InfeasibleError:
        return InfeasibleError(f"{what}: the constraints of this sharded world cannot all hold (diagnose "
                               "its union() on one machine to see which)")

    start = time.perf_counter()
    with one_blas_thread():
        plan = strategy.solve(Coupled(rows, world.n_customers, fail), store, start)
    solved = time.perf_counter() - start
    peaks = tuple(float(v) for v in client.run(_peak_mb).values())
    return ShardedRun(plan, built, solved, store.passes, peaks, _peak_mb())
