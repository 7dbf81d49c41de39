"""The one way to get a Dask cluster: connect to a scheduler, or start a local one for the duration.

Used by the sweep's Dask backend (worker processes, joblib on top) and by the chunked Lagrangian's
chunk store (``processes=False``: threads in this process, so scattering chunks costs no pickling).
``distributed`` is imported here, lazily, because dask is an optional extra (``pip install -e '.[dask]'``).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from simcore.errors import ConfigError

if TYPE_CHECKING:
    import distributed


@contextmanager
def dask_client(address: str | None, where: str, n_workers: int = 2, processes: bool = True,
                timeout: float = 30.0) -> Iterator[distributed.Client]:
    """A ``distributed.Client``, closed on exit (with the cluster, if this started one).

    address: a scheduler's ``tcp://host:port`` to connect to within ``timeout`` seconds, or None to
    start a LocalCluster of ``n_workers`` single-threaded workers (processes, or threads of this
    process with ``processes=False``; no dashboard). where: the config key of ``address``, named in
    the errors. The client becomes Dask's default, so ``joblib.parallel_config(backend="dask")``
    finds it.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(f"{where}: a Dask cluster needs dask and distributed "
                          "(pip install -e '.[dask]')") from None
    logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO lines would drown ours
    with ExitStack() as stack:  # on exit: the client, then the cluster this started
        if address is None:
            cluster = stack.enter_context(LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                                       processes=processes, dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout=timeout))
            except OSError as err:  # refused, unknown host or timed out (distributed retries until then)
                raise ConfigError(f"{where} = {address!r}: cannot reach the Dask scheduler ({err}); "
                                  "give its tcp://host:port, or null to start a local cluster") from None
        yield client
