"""strategies.shards: a world generated in shards on Dask workers is, bit for bit, the world built
shard by shard in one process; lagrangian solved on the workers gives that world's plan and bound."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from simcore.errors import ConfigError
from strategies.lagrangian import Lagrangian

pytest.importorskip("distributed")
from simcore.cluster import dask_client  # noqa: E402 - after the skip: dask is an optional extra
from strategies.shards import ShardedWorld, solve_sharded  # noqa: E402


def world(n: int = 1_200, shard_size: int = 500) -> ShardedWorld:
    from benchmarks.config import build_section
    from tests.conftest import compose_config

    f = n / 250  # playlistpro's limits scaled like benchmarks.scale
    cfg = compose_config("scenario=playlistpro", f"scenario.population.n_customers={n}",
                         f"scenario.constraints.budget.limit={150 * f}",
                         f"scenario.constraints.email_capacity.limit={round(120 * f)}",
                         f"scenario.constraints.push_in_app_capacity.limit={round(100 * f)}")
    return ShardedWorld(build_section(cfg, "scenario"), 42, shard_size)


def _table(w: ShardedWorld, i: int) -> pd.DataFrame:
    return w.shard(i).population.table


def test_shards_built_on_workers_are_the_single_machine_world_bit_for_bit():
    w = world()
    assert w.shards() == [(0, 500), (500, 500), (1000, 200)]
    union = w.union()
    with dask_client(None, "test.address", n_workers=2, processes=True) as client:
        parts = client.gather([client.submit(_table, w, i, pure=False) for i in range(3)])
    remote = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(remote, union.population.table, check_exact=True)
    assert remote["customer_id"].is_unique and len(remote) == 1_200


def test_sharded_lagrangian_gives_the_union_s_plan_and_bound():
    w = world()
    strategy = Lagrangian(chunk_size=500)  # one chunk a shard here too: the same sums in the same order
    local = strategy.select(w.union().view, np.random.default_rng(0))
    with dask_client(None, "test.address", n_workers=2, processes=True) as client:
        run = solve_sharded(w, strategy, client)
    np.testing.assert_array_equal(run.plan.action, local.action)
    assert run.plan.solver.objective == pytest.approx(local.solver.objective, rel=1e-12)
    assert run.plan.solver.bound == pytest.approx(local.solver.bound, rel=1e-9)
    assert run.plan.solver.gap == pytest.approx(local.solver.gap, abs=1e-12) and len(run.worker_peak_mb) == 2


@pytest.mark.parametrize("field, value, message", [("seed", -1, r"^seed = -1: "),
                                                   ("shard_size", 0, r"^shard_size = 0: ")])
def test_bad_sharding_is_a_one_line_config_error(field, value, message):
    with pytest.raises(ConfigError, match=message):
        dataclasses.replace(world(), **{field: value})
