"""The run directory of a sweep holds one config's sweep, and one sweep at a time.

- **The lock**: a running sweep holds an advisory ``fcntl.flock`` on ``<dir>/.sweep.lock`` (which
  also says who holds it: pid, host, since when). A second sweep into the directory is refused at
  once with a ConfigError naming the holder. The kernel drops the lock when its holder's process
  ends, however it ends, so a ``kill -9``'d sweep never leaves a stale lock: a leftover lock file
  blocks nothing.
- **The record**: ``<dir>/sweep.json`` says what the directory holds: the hash of the plain config
  (the config without the execution keys, as in the cell ids), the axis paths, and that plain
  config. A rerun with the same config and axis paths resumes; execution-only changes (n_jobs,
  backend, chunk, tracking, the report, more replicates or axis values) are the same config. Any
  other change is refused with a ConfigError listing the keys that differ (``seed 42 -> 7; ...``),
  unless ``sweep.fresh=true``: then every previous output is moved into
  ``superseded/<UTC time>/`` (nothing is deleted) and the sweep starts clean. A directory holding
  outputs but no record (another version's sweep, a single run) is refused the same way.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.sweep.cells import config_hash
from benchmarks.sweep.settings import SweepSettings
from simcore.errors import ConfigError
from simcore.files import write_text, writing

RECORD, LOCK, SUPERSEDED = "sweep.json", ".sweep.lock", "superseded"
FORMAT = 1
# what a sweep (and its report and tracking) writes into its directory; sweep.fresh moves all of it
OUTPUTS = ("cells", "results.parquet", "results.csv", "summary.csv", "paired.csv", "showcase", "report.html",
           "report.md", "figures", "mlflow_run.json", RECORD, "config.yaml")
SHOWN = 6  # differences named in a refusal (then "+N more")
ELSEWHERE = "or write into another directory (hydra.run.dir=... or sweep.resume_dir=...)"


@dataclass(frozen=True)
class Identity:
    """What a sweep directory holds: config, the hash of ``plain`` (the resolved config without the
    execution keys); axes, the axis paths in order (their values may grow); plain itself, to name
    the keys that differ when another config comes along."""

    config: str
    axes: tuple[str, ...]
    plain: dict

    @classmethod
    def of(cls, plain: dict, settings: SweepSettings) -> Identity:
        return cls(config_hash(plain), tuple(a.path for a in settings.grid), plain)

    def flat(self) -> dict[str, str]:
        """Every value as ``dotted.path -> JSON text``, the axis paths as ``sweep.axes``."""
        return {**_flat(self.plain, ""), "sweep.axes": json.dumps(list(self.axes))}


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the directory's lock for the block; raise ConfigError at once if another process holds it."""
    path = directory / LOCK
    with writing(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            raise ConfigError(f"{directory} is in use by another sweep ({_holder(fd)}); wait for it to end, "
                              f"{ELSEWHERE}") from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(),
                  "since": datetime.now(UTC).isoformat(timespec="seconds")}
        with writing(path):
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(holder).encode(), 0)
        try:
            yield
        finally:
            with suppress(OSError):  # a sweep refused just before the next holder writes sees no stale pid
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0))
        return f"pid {holder['pid']} on {holder['host']}, since {holder['since']}"
    except (ValueError, KeyError, TypeError, OSError):
        return "it is just starting"


def claim(directory: Path, identity: Identity, fresh: bool) -> Path | None:
    """Make ``directory`` hold ``identity``'s sweep (call while holding its lock): resume its own
    sweep, refuse another one (ConfigError naming the differences), or with ``fresh`` move every
    previous output into ``superseded/<UTC time>/``. Writes ``sweep.json`` when it is new. Returns
    where the previous outputs went (None if nothing moved)."""
    present = sorted({p.name for p in directory.glob("results*")} | {n for n in OUTPUTS if (directory / n).exists()})
    moved = None
    if fresh and present:
        moved = supersede(directory, present)
    elif (directory / RECORD).exists():
        old = _read(directory / RECORD)
        if old.config == identity.config and old.axes == identity.axes:
            return None
        raise ConfigError(f"{directory} holds the sweep of another config: {differences(old, identity)}; rerun "
                          f"with sweep.fresh=true to move its outputs into {directory / SUPERSEDED}/ and start "
                          f"over, {ELSEWHERE}")
    elif present:
        raise ConfigError(f"{directory} holds {', '.join(present)} but no {RECORD} (not a sweep of this version, "
                          "so nothing there can be matched to this config); rerun with sweep.fresh=true to move "
                          f"them into {directory / SUPERSEDED}/ and start over, {ELSEWHERE}")
    record = {"format": FORMAT, "config": identity.config, "axes": list(identity.axes),
              "created": datetime.now(UTC).isoformat(timespec="seconds"), "plain": identity.plain}
    write_text(directory / RECORD, json.dumps(record, indent=1, sort_keys=True, default=str) + "\n")
    return moved


def supersede(directory: Path, names: Sequence[str]) -> Path:
    """Move ``names`` (in ``directory``) into a new ``superseded/<UTC time>/``; returns that folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target, n = directory / SUPERSEDED / stamp, 1
    while target.exists():  # two fresh starts within a second
        target, n = directory / SUPERSEDED / f"{stamp}-{n}", n + 1
    with writing(target):
        target.mkdir(parents=True)
        for name in names:
            os.replace(directory / name, target / name)
    return target


def differences(old: Identity, new: Identity) -> str:
    """``key old -> new`` for every flattened key that differs (``(absent)`` where a side has none)."""
    a, b = old.flat(), new.flat()
    keys = [k for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]
    if not keys:
        return f"config hash {old.config} -> {new.config}, though no value differs (another version's hash?)"
    shown = [f"{k} {_short(a.get(k))} -> {_short(b.get(k))}" for k in keys[:SHOWN]]
    return "; ".join(shown) + (f"; +{len(keys) - SHOWN} more" if len(keys) > SHOWN else "")


def _short(text: str | None) -> str:
    if text is None:
        return "(absent)"
    return text if len(text) <= 120 else text[:117] + "..."


def _flat(value: object, prefix: str) -> dict[str, str]:
    """Nested dicts as dotted keys; lists holding dicts as ``key[i]``; every other value as JSON text."""
    if isinstance(value, dict) and value:
        out: dict[str, str] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(_flat(item, f"{prefix}[{i}]"))
        return out
    return {prefix: json.dumps(value, sort_keys=True, default=str)}


def _read(path: Path) -> Identity:
    """The record in ``path``; a damaged one is refused, never guessed at."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Identity(str(data["config"]), tuple(data["axes"]), dict(data["plain"]))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{path}: unreadable ({type(err).__name__}: {err}), so this directory's sweep cannot be "
                          f"matched to this config; rerun with sweep.fresh=true to move its outputs into "
                          f"{path.parent / SUPERSEDED}/ and start over, {ELSEWHERE}") from None
