"""What a finished sweep prints: the grid of mean true net value with its confidence interval (axis
levels x strategies; a point without a value says why), then the counts, timings and where the
outputs are."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.console import sweep_grid
from benchmarks.sweep.settings import SweepSettings

if TYPE_CHECKING:
    from benchmarks.sweep import SweepResult


def print_sweep(out: SweepResult, settings: SweepSettings, scenario: str, report: Path | None) -> None:
    print(f"\n{scenario} sweep {settings.name}, {settings.replicates} replicates")
    print(sweep_grid(out.summary, [a.column for a in settings.grid], "net_value", "true net value ($)",
                     settings.level))
    print(f"\n{out.cells_run} cells run, {out.cells_skipped} already on disk; compute {out.compute_s:.1f} s, "
          f"report {out.report_s:.1f} s, MLflow wait {out.tracking.wait_s:.1f} s, wall {out.wall_s:.1f} s")
    print(f"results, summary.csv, paired.csv and showcase/ in {out.run_dir}" + (f"; report {report}" if report else ""))
