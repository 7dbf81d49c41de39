"""The sweep store cannot be fooled: damaged or foreign cell files are moved aside and recomputed, a
directory holds one config's sweep (another is refused with the keys that differ, sweep.fresh=true
archives and starts over, execution-only changes resume), one running sweep holds a directory (an
flock that a killed holder never leaves behind), workers stop when their parent is killed, and a
full disk ends in one clear error with every written file intact and a rerun that resumes."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.config import build_section
from benchmarks.sweep import run_sweep
from benchmarks.sweep.cells import CellStore, config_hash, plan_cells
from benchmarks.sweep.directory import LOCK, locked
from benchmarks.sweep.execute import Parent, run_task, tasks_for
from benchmarks.sweep.settings import plain_config
from simcore.errors import ConfigError
from simcore.files import (OutputError, UnreadableFile, atomic_write, read_parquet_checked, remove_temporaries,
                           temporary, write_parquet, write_text)
from tests.conftest import compose_config
from tests.test_sweep import timeless

ROOT = Path(__file__).resolve().parents[1]
# 3 budgets x 3 replicates = 9 cells of 20 customers, ~0.5 s each (mostly building the scenario: each
# axis value costs as much again when the sweep is validated)
BASE = ("sweep=budget_sensitivity", "scenario.population.n_customers=20", "evaluation.replications=20",
        "strategies=[do_nothing,random,milp]", "sweep.replicates=3", "sweep.n_jobs=2",
        "sweep.axes={scenario.constraints.budget.limit:[40,80,150]}")
N_CELLS = 9
BUDGET = "axis.scenario.constraints.budget.limit"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """An uninterrupted sweep of BASE: its directory (copy it before changing anything) and table."""
    run = tmp_path_factory.mktemp("base") / "run"
    return run, timeless(run_sweep(compose_config(*BASE), run).results)


def copy_of(base: tuple[Path, pd.DataFrame], tmp_path: Path) -> Path:
    return Path(shutil.copytree(base[0], tmp_path / "run"))


def cell_files(run: Path) -> list[Path]:
    return sorted((run / "cells").glob("*.parquet"))


def fingerprint(run: Path) -> dict[str, str]:
    """Every file below ``run`` and a hash of its bytes."""
    return {str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(run.rglob("*")) if p.is_file()}


# -- 1. self-describing cells ------------------------------------------------------------------


def truncate(path: Path, other: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def corrupt(path: Path, other: Path) -> None:
    """Flip one byte inside the first column's data pages (not a header): only the checksum sees it."""
    import pyarrow.parquet as pq

    column = pq.ParquetFile(path).metadata.row_group(0).column(0)
    data = bytearray(path.read_bytes())
    data[(column.dictionary_page_offset or column.data_page_offset) + column.total_compressed_size - 3] ^= 0xFF
    path.write_bytes(bytes(data))


def copy_over(path: Path, other: Path) -> None:
    shutil.copyfile(other, path)


def other_config(path: Path, other: Path) -> None:
    frame, record = read_parquet_checked(path)
    write_parquet(frame, path, {**record, "config": "0123456789abcdef"})


def no_record(path: Path, other: Path) -> None:
    read_parquet_checked(path)[0].to_parquet(path, index=False)  # as the store wrote cells before


DAMAGES = [(truncate, r"unreadable: truncated or not a parquet file"),
           (corrupt, r"unreadable: .*CRC checksum verification failed"),
           (copy_over, r"it holds cell {other}, not {cell} \(copied over another cell's file\?\)"),
           (other_config, r"it was computed from another config \(hash 0123456789abcdef, this sweep's is \w+\)"),
           (no_record, r"it records no cell id and config")]


def test_damaged_or_foreign_cell_files_are_moved_aside_and_recomputed(base, tmp_path):
    run = copy_of(base, tmp_path)
    files = cell_files(run)
    other = files[-1]
    victims = files[:len(DAMAGES)]
    for path, (damage, _) in zip(victims, DAMAGES):
        damage(path, other)
    with pytest.warns(UserWarning) as caught:
        result = run_sweep(compose_config(*BASE, "sweep.n_jobs=1"), run)
    messages = [str(w.message) for w in caught]
    for path, (damage, why) in zip(victims, DAMAGES):
        why = why.format(cell=path.stem, other=other.stem)
        expected = rf"{re.escape(str(path))}: {why}.*; moved to .*rejected/, its cell is computed again"
        assert any(re.fullmatch(expected, m) for m in messages), (damage.__name__, "\n".join(messages))
    assert sorted(p.name for p in (run / "cells" / "rejected").iterdir()) == sorted(p.name for p in victims)
    assert (result.cells_run, result.cells_skipped) == (len(DAMAGES), N_CELLS - len(DAMAGES))
    pd.testing.assert_frame_equal(timeless(result.results), base[1])
    for path in cell_files(run):  # every file the store holds now is what its name says
        frame, record = read_parquet_checked(path)
        assert record["cell"] == path.stem and set(frame["cell"]) == {path.stem}


def test_a_file_that_went_bad_after_the_check_is_an_error_not_a_table(base, tmp_path):
    run = copy_of(base, tmp_path)
    cfg = compose_config(*BASE)
    store = CellStore(run / "cells", config_hash(plain_config(cfg)))
    truncate(cell_files(run)[0], cell_files(run)[1])
    with pytest.raises(UnreadableFile, match=r"unreadable: truncated .*; rerun the same command: the file is moved"):
        store.assemble(plan_cells(plain_config(cfg), build_section(cfg, "sweep")))


# -- 2. one config per directory ---------------------------------------------------------------


@pytest.mark.parametrize("overrides, message", [
    (("seed=7", "evaluation.replications=30"),
     (r"holds the sweep of another config: evaluation\.replications 20 -> 30; seed 42 -> 7; rerun with "
      r"sweep\.fresh=true to move its outputs into .*superseded/ and start over, or write into another directory")),
    (("++sweep.axes={scenario.population.n_customers:[20,30]}",),
     (r'another config: sweep\.axes \["scenario\.constraints\.budget\.limit"\] -> '
      r'\["scenario\.constraints\.budget\.limit", "scenario\.population\.n_customers"\]; '
      r'rerun with sweep\.fresh=true')),
])
def test_another_config_is_refused_naming_the_keys_that_differ(base, tmp_path, overrides, message):
    run = copy_of(base, tmp_path)
    before = fingerprint(run)
    with pytest.raises(ConfigError, match=message):
        run_sweep(compose_config(*BASE, *overrides), run)
    assert fingerprint(run) == before, "a refused sweep writes nothing"


@pytest.mark.parametrize("damage, message", [
    (lambda run: (run / "sweep.json").unlink(),
     (r"holds cells, config\.yaml, paired\.csv, results\.csv, results\.parquet, showcase, summary\.csv but no "
      r"sweep\.json .*rerun with sweep\.fresh=true")),
    (lambda run: (run / "sweep.json").write_text("{not json"),
     r"sweep\.json: unreadable \(JSONDecodeError: .*\), so this directory's sweep cannot be matched"),
])
def test_a_directory_without_a_readable_record_is_refused(base, tmp_path, damage, message):
    run = copy_of(base, tmp_path)
    damage(run)
    with pytest.raises(ConfigError, match=message):
        run_sweep(compose_config(*BASE), run)


def test_fresh_moves_the_previous_outputs_aside_and_starts_over(base, tmp_path):
    run = copy_of(base, tmp_path)
    (run / "mlflow_run.json").write_text(json.dumps({"run_id": "the old parent"}))
    old = fingerprint(run)
    new = (*BASE, "seed=7", "sweep.replicates=1", "sweep.axes={scenario.constraints.budget.limit:[60]}")
    result = run_sweep(compose_config(*new, "sweep.fresh=true"), run)
    (archive,) = (run / "superseded").iterdir()
    assert re.fullmatch(r"\d{8}T\d{6}Z", archive.name)
    moved = {"cells", "results.parquet", "results.csv", "summary.csv", "paired.csv", "showcase", "sweep.json",
             "config.yaml", "mlflow_run.json"}
    assert {p.name for p in archive.iterdir()} == moved
    assert fingerprint(archive) == {k: v for k, v in old.items() if k.split("/")[0] in moved}, "nothing deleted"
    assert not (run / "mlflow_run.json").exists(), "the next tracked run starts a new MLflow parent"
    assert (result.cells_run, result.cells_skipped, len(cell_files(run))) == (1, 0, 1)
    assert not set(result.results["cell"]) & set(base[1]["cell"])
    assert json.loads((run / "sweep.json").read_text())["plain"]["seed"] == 7
    again = run_sweep(compose_config(*new), run)  # the same config again, without fresh: resumes
    assert (again.cells_run, again.cells_skipped) == (0, 1)


def test_execution_only_changes_resume(base, tmp_path):
    run = copy_of(base, tmp_path)
    result = run_sweep(compose_config(*BASE, "sweep.n_jobs=2", "sweep.chunk=1", "sweep.replicates=4",
                                      "sweep.axes={scenario.constraints.budget.limit:[150,200]}",
                                      "sweep.name=renamed", "sweep.level=0.9", "sweep.showcase=false",
                                      "tracking.experiment=elsewhere"), run)
    assert (result.cells_run, result.cells_skipped) == (2 * 4 - 3, 3)  # 150 x replicates 0, 1, 2 were on disk
    kept = timeless(result.results).merge(base[1][["cell"]].drop_duplicates(), on="cell")
    pd.testing.assert_frame_equal(kept, base[1][base[1]["cell"].isin(kept["cell"])].reset_index(drop=True))
    assert set(kept["cell"]) == set(base[1].loc[base[1][BUDGET] == 150, "cell"])


# -- 3. the lock -------------------------------------------------------------------------------


def test_a_second_sweep_is_refused_while_the_first_holds_the_directory(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    cfg = compose_config(*BASE, "sweep.replicates=1", "sweep.axes={scenario.constraints.budget.limit:[60]}")
    with locked(run):  # another open file description: flock conflicts as with another process
        since = json.loads((run / LOCK).read_text())["since"]
        holder = rf"pid {os.getpid()} on {re.escape(socket.gethostname())}, since {re.escape(since)}"
        with pytest.raises(ConfigError, match=rf"{re.escape(str(run))} is in use by another sweep \({holder}\); wait"):
            run_sweep(cfg, run)
    assert not (run / "cells").exists()
    assert run_sweep(cfg, run).cells_run == 1, "released when the holder is done"


def test_a_lock_file_left_by_a_dead_process_blocks_nothing(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / LOCK).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "since": "earlier"}))
    with locked(tmp_path):
        assert json.loads((tmp_path / LOCK).read_text())["pid"] == os.getpid()


# -- 4. atomic outputs -------------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = write_text(tmp_path / "summary.csv", "old\n")

    def half_then(err: BaseException):
        def write(tmp: Path) -> None:
            tmp.write_text("half")
            raise err
        return write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, half_then(KeyboardInterrupt()))
    with pytest.raises(OutputError) as full:
        atomic_write(path, half_then(OSError(errno.EDQUOT, os.strerror(errno.EDQUOT))))
    assert str(full.value) == f"cannot write {path}: disk quota exceeded; free space and rerun the same command"
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["summary.csv"]
    showcase = atomic_write(tmp_path / "showcase", lambda tmp: (tmp.mkdir(), (tmp / "a.csv").write_text("1")))
    atomic_write(showcase, lambda tmp: (tmp.mkdir(), (tmp / "b.csv").write_text("2")))  # replaced as a whole
    assert [p.name for p in showcase.iterdir()] == ["b.csv"] and len(list(tmp_path.iterdir())) == 2
    temporary(path).write_text("left by a killed writer")
    (tmp_path / ".notes.tmp").write_text("not ours")
    remove_temporaries(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.tmp", "showcase", "summary.csv"]


# -- 5. workers stop when the parent dies ------------------------------------------------------


def test_a_worker_whose_parent_is_gone_runs_and_writes_nothing(tmp_path):
    zombie = subprocess.Popen(["true"])
    os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: os.kill(pid, 0) still succeeds
    gone = Parent(zombie.pid, socket.gethostname(), None)
    assert Parent.current().alive()
    if Path("/proc/self/stat").exists():  # the zombie's state is read from /proc
        assert not gone.alive()
    assert Parent(zombie.pid, "another-host", None).alive(), "another host's process cannot be seen: assume alive"
    zombie.wait()
    assert not gone.alive()
    cfg = compose_config(*BASE)
    cells = plan_cells(plain_config(cfg), build_section(cfg, "sweep"))
    (tmp_path / "cells").mkdir()
    task = tasks_for(cells[:1], plain_config(cfg), build_section(cfg, "sweep"), CellStore(tmp_path / "cells", "x"),
                     None)[0]
    assert run_task(replace(task, parent=gone)).cells == () and not list((tmp_path / "cells").iterdir())


def test_kill_9_of_the_parent_stops_its_workers_and_a_rerun_resumes(base, tmp_path):
    psutil = pytest.importorskip("psutil")
    run = tmp_path / "run"
    fast = ("sweep.showcase=false",)  # else the first cell runs again for its showcase
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.run", *BASE, *fast, "tracking=off", "report=false",
                             f"hydra.run.dir={run}"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "CI": "1"})
    try:
        deadline = time.monotonic() + 120
        while not cell_files(run):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no cell within 120 s"
            time.sleep(0.05)
        with pytest.raises(ConfigError, match=rf"is in use by another sweep \(pid {proc.pid} on "), locked(run):
            pass  # another process holds it
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert workers
    finally:
        proc.kill()  # SIGKILL
        proc.wait()
    time.sleep(0.5)  # a write already past its parent check may land
    written = cell_files(run)
    assert len(written) < N_CELLS, "the sweep finished before it was killed: make its cells slower"
    time.sleep(3)  # each worker had several cells of ~0.5 s left
    assert cell_files(run) == written, "no cell is written after the parent died"
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive, f"workers left running: {[' '.join(p.cmdline()) for p in alive]}"
    assert json.loads((run / LOCK).read_text())["pid"] == proc.pid, "the dead holder's lock file is still there"
    resumed = run_sweep(compose_config(*BASE, *fast, f"sweep.resume_dir={run}"), tmp_path / "elsewhere")
    assert resumed.cells_skipped == len(written)
    pd.testing.assert_frame_equal(timeless(resumed.results), base[1])


# -- 6. a full disk ----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs mounted at tmp_path/disk (root only), unmounted afterwards."""
    point = tmp_path / "disk"
    point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(point)], capture_output=True,
                             text=True, check=False) if os.geteuid() == 0 and shutil.which("mount") else None
    if mounted is None or mounted.returncode:
        pytest.skip("the full-disk test mounts a small tmpfs, which needs root and a system that allows it"
                    + (f" ({mounted.stderr.strip()})" if mounted else ""))
    yield point
    subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_full_disk_is_one_clear_error_and_the_rerun_resumes(base, small_disk):
    """The sweep at one budget (3 of BASE's cells, the same ids) into a disk with room for 2.5 cells."""
    page = os.statvfs(small_disk).f_frsize

    def pages(size: int) -> int:  # what a file of ``size`` bytes occupies
        return -(-size // page) * page

    small = sum(pages((base[0] / name).stat().st_size) for name in ("sweep.json", "config.yaml"))
    cell = max(pages(p.stat().st_size) for p in cell_files(base[0]))
    free = os.statvfs(small_disk).f_bavail * page
    with open(small_disk / "filler", "wb") as filler:
        filler.write(b"\0" * (free - small - int(2.5 * cell)))
    one_budget = (*BASE, "sweep.showcase=false", "sweep.axes={scenario.constraints.budget.limit:[40]}",
                  f"sweep.resume_dir={small_disk}")
    cfg = compose_config(*one_budget)
    with pytest.raises(OutputError) as full:
        run_sweep(cfg, small_disk / "unused")
    disk = re.escape(str(small_disk))
    assert re.fullmatch(rf"cannot write {disk}/\S+: no space left on device; free space and rerun the same command "
                        rf"to resume \(\d of 3 cells are finished and kept in {disk}/cells\)", str(full.value))
    assert not [p for p in small_disk.rglob("*") if p.name.endswith(".tmp")], "no temporary left behind"
    kept = cell_files(small_disk)
    assert 1 <= len(kept) < 3 and not (small_disk / "results.parquet").exists()
    store = CellStore(small_disk / "cells", config_hash(plain_config(cfg)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a rejected file would warn
        assert len(store.check(plan_cells(plain_config(cfg), build_section(cfg, "sweep")))) == len(kept)

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    # n_jobs=1: the error stopped loky's workers, and starting new ones costs more than the cell left
    resumed = run_sweep(compose_config(*one_budget, "sweep.n_jobs=1"), small_disk / "unused")
    assert resumed.cells_skipped == len(kept)
    reference = base[1][base[1][BUDGET] == 40].reset_index(drop=True)
    pd.testing.assert_frame_equal(timeless(resumed.results), reference)
