"""What a finished sweep prints: the grid of mean true net value (axis levels x strategies), where
a point without a value says why, then the counts, timings and where the outputs are."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from benchmarks.stats import count_column
from benchmarks.sweep.settings import SweepSettings
from simcore.results import STRATEGY, Status

if TYPE_CHECKING:
    from benchmarks.sweep import SweepResult

OK, INFEASIBLE = count_column(Status.OK), count_column(Status.INFEASIBLE)


def _shown(row: pd.Series) -> str:
    """One grid entry from a summary row: the mean, or why there is none (never a zero)."""
    if row[OK] == 0:
        return "infeasible" if row[INFEASIBLE] else "no result"
    text = f"{row['net_value_mean']:,.0f}"
    return text + (f" ({row[INFEASIBLE]} infeasible)" if row[INFEASIBLE] else "")


def print_sweep(out: SweepResult, settings: SweepSettings, scenario: str, report: Path | None) -> None:
    axes = [a.column for a in settings.grid]
    s = out.summary
    table = s.assign(value=s.apply(_shown, axis=1)).pivot_table(index=axes, columns=STRATEGY, values="value",
                                                                 aggfunc="first", sort=False)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(f"\n{scenario} sweep {settings.name}: mean true net value ($) over {settings.replicates} replicates")
        print(table.rename_axis(index=[a.path for a in settings.grid]).to_string())
    print(f"\n{out.cells_run} cells run, {out.cells_skipped} already on disk; compute {out.compute_s:.1f} s, "
          f"report {out.report_s:.1f} s, MLflow wait {out.tracking.wait_s:.1f} s, wall {out.wall_s:.1f} s")
    print(f"results, summary.csv, paired.csv and showcase/ in {out.run_dir}" + (f"; report {report}" if report else ""))
