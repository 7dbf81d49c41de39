"""What a world and its evaluation will cost, estimated before anything big is allocated, so an absurd
size ends in a one-line error with the numbers instead of a numpy MemoryError, an overflow or minutes
of silence.

The per-customer and per-pair byte counts are an upper bound of what was measured (``python -m
benchmarks.scale``: 0.81 GB at 1,000,000 customers x 8 actions, scenario, lagrangian and audit
included; 1.23 GB before pairs were stored compactly), kept generous: evaluation and strategies
other than lagrangian use more.
"""
from __future__ import annotations

import logging
import os

from simcore.errors import ConfigError

log = logging.getLogger("retention-bench")

BYTES_PER_CUSTOMER = 400  # the customer table (ids as Python strings) and per-customer arrays
BYTES_PER_CUSTOMER_ACTION = 100  # eligibility, cost and value matrices, the pair arrays, solver copies
UNIFORMS_PER_SECOND = 5e7  # Monte Carlo: drawing and indexing uniforms, measured order of magnitude


def available_memory() -> int | None:
    """Bytes this machine can still give (Linux MemAvailable), None where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def gigabytes(n: float) -> str:
    return f"{n / 1e9:,.1f} GB"


def check_world(n_customers: int, n_actions: int, where: str) -> None:
    """Refuse a world that cannot fit in this machine's memory (with the numbers)."""
    need = n_customers * (BYTES_PER_CUSTOMER + BYTES_PER_CUSTOMER_ACTION * n_actions)
    have = available_memory()
    if have is not None and need > have:
        raise ConfigError(f"{where} = {n_customers:,}: a world of {n_customers:,} customers x {n_actions} actions needs "
                          f"about {gigabytes(need)} of memory and this machine has {gigabytes(have)} available; "
                          "use fewer customers, or build the population in shards on a Dask cluster (README, Scale)")


def check_evaluation(n_customers: int, replications: int, strategies: int) -> None:
    """Refuse a Monte Carlo whose samples cannot fit; say how long a long one will take."""
    need = replications * 8 * 3  # the realized values of one plan, and their sorted copy for the interval
    have = available_memory()
    if have is not None and need > have:
        raise ConfigError(f"evaluation.replications = {replications:,}: the Monte Carlo of one plan needs about "
                          f"{gigabytes(need)} of memory and this machine has {gigabytes(have)} available")
    seconds = 2.0 * n_customers * replications * strategies / UNIFORMS_PER_SECOND
    if seconds > 60:
        log.warning("the Monte Carlo evaluation will take about %.0f minutes (%s customers x %s replications x %d "
                    "strategies); lower evaluation.replications for a quicker look", seconds / 60,
                    f"{n_customers:,}", f"{replications:,}", strategies)
