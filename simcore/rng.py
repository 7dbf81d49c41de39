"""Seeds: one integer at the top becomes a SeedSequence; components get NAMED children.

Children are keyed by name, not by spawn order, so adding a component never shifts another's draws,
and the same (seed, names) gives the same stream in any process (what makes n_jobs irrelevant).
"""
from __future__ import annotations

import hashlib

import numpy as np


def _key(name: str | int) -> int:
    if isinstance(name, int):
        return name
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


def child(parent: np.random.SeedSequence, *names: str | int) -> np.random.SeedSequence:
    """The child of ``parent`` at the path ``names`` (e.g. ``child(root, "scenario", "population")``)."""
    return np.random.SeedSequence(parent.entropy, spawn_key=(*parent.spawn_key, *map(_key, names)))


def generator(parent: np.random.SeedSequence, *names: str | int) -> np.random.Generator:
    return np.random.default_rng(child(parent, *names))
