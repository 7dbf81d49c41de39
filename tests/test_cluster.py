"""simcore.cluster.dask_client: a local cluster starts, computes and is closed on exit; an unreachable
scheduler is a ConfigError that names the config key, within the connect timeout."""
from __future__ import annotations

import time

import pytest

from simcore.errors import ConfigError

pytest.importorskip("distributed")
from simcore.cluster import dask_client  # noqa: E402 - after the skip: dask is an optional extra


def _square(x: int) -> int:
    return x * x


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_local_cluster_runs_a_function_and_closes(processes):
    with dask_client(None, "test.address", n_workers=2, processes=processes) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        assert client.gather(client.map(_square, [1, 2, 3])) == [1, 4, 9]
        cluster = client.cluster
    assert client.status == "closed" and cluster.status.name == "closed"


def test_unreachable_scheduler_is_a_config_error_naming_the_key():
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"^sweep\.address = 'tcp://127.0.0.1:9': cannot reach the Dask "
                                          r"scheduler .*or null to start a local cluster"):
        with dask_client("tcp://127.0.0.1:9", "sweep.address", timeout=2):
            pytest.fail("connected to a port nothing listens on")
    assert time.perf_counter() - start < 15
