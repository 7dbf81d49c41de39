"""What a finished campaign prints, and the display tables its report shares: per axis level, each
strategy's cumulative true value, regret and holdout cost with intervals across replicates; how
well the uplift intervals did period by period; how far off-policy estimates were from the truth."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmarks.frames import axis_path
from benchmarks.campaign.settings import CampaignSettings
from simcore.results import STRATEGY

if TYPE_CHECKING:
    from benchmarks.campaign.run import CampaignResult


def _money(mean: float, lo: float, hi: float) -> str:
    if not np.isfinite(mean):
        return ""
    return f"{mean:,.0f}" + (f" [{lo:,.0f}, {hi:,.0f}]" if np.isfinite(lo) else "")


def summary_display(summary: pd.DataFrame, axes: Sequence[str]) -> pd.DataFrame:
    """One display row per axis level and strategy: cumulative true value, regret, value forgone by
    the holdout and value of what was learned (against its baseline), mean [interval]."""
    rows = []
    for rec in summary.to_dict("records"):
        row = {axis_path(a): rec[a] for a in axes}
        row.update({"strategy": rec[STRATEGY], "replicates": int(rec["n_ok"]),
                    "cumulative value $": _money(rec["cum_net_value_mean"], rec["cum_net_value_lo"],
                                                 rec["cum_net_value_hi"]),
                    "regret $": _money(rec["cum_regret_mean"], rec["cum_regret_lo"], rec["cum_regret_hi"]),
                    "holdout forgone $": _money(rec["cum_forgone_mean"], rec["cum_forgone_lo"], rec["cum_forgone_hi"]),
                    "learned (vs baseline) $": "" if pd.isna(rec.get("baseline")) else
                    f"{_money(rec['info_value_mean'], rec['info_value_lo'], rec['info_value_hi'])} vs {rec['baseline']}",
                    "treated": f"{rec['cum_treated_mean']:,.0f}", "held out": f"{rec['cum_holdout_mean']:,.0f}",
                    "spend $": f"{rec['cum_spend_mean']:,.0f}"})
        rows.append(row)
    return pd.DataFrame(rows)


def accuracy_display(accuracy: pd.DataFrame, axes: Sequence[str]) -> pd.DataFrame:
    """Per axis level and period: action-level intervals, their coverage of the truth, mean absolute
    error, mean width and mean held-out customers behind an estimate."""
    if accuracy.empty:
        return accuracy
    out = accuracy.rename(columns={a: axis_path(a) for a in axes})
    return out.assign(coverage=out["coverage"].map("{:.1%}".format),
                      mean_abs_error=out["mean_abs_error"].map("{:.3f}".format),
                      mean_width=out["mean_width"].map("{:.3f}".format),
                      mean_holdout=out["mean_holdout"].map("{:.1f}".format))


def ope_display(ope: pd.DataFrame, axes: Sequence[str]) -> pd.DataFrame:
    """Per axis level, target and estimator: support, mean estimate vs mean truth, bias, RMSE,
    interval coverage (dollars per period)."""
    if ope.empty:
        return ope
    out = ope.rename(columns={a: axis_path(a) for a in axes})
    money = ("estimate", "truth", "bias", "rmse")
    return out.assign(support=out["support"].map("{:.0%}".format), coverage=out["coverage"].map("{:.0%}".format),
                      **{m: out[m].map("{:,.0f}".format) for m in money})


def print_campaign(result: CampaignResult, settings: CampaignSettings, report: Path | None) -> None:
    axes = [a.column for a in settings.grid]
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 60):
        print(f"\ncampaign {settings.name}: {settings.periods} periods x {settings.replicates} replicates; "
              f"true values in $, mean [{settings.level:.0%} interval] across replicates; "
              f"regret against {settings.reference}")
        print(summary_display(result.summary, axes).to_string(index=False))
        if not result.accuracy.empty:
            print(f"\nuplift intervals ({settings.ci_level:.0%}, {settings.ci_method}) by period, action level, "
                  "all strategies and replicates:")
            print(accuracy_display(result.accuracy, axes).to_string(index=False))
        if not result.ope_summary.empty:
            print("\noff-policy estimates of each target's net value per period, against the truth:")
            print(ope_display(result.ope_summary, axes).to_string(index=False))
    print(f"\n{result.cells_run} cells run, {result.cells_skipped} already on disk; compute {result.compute_s:.1f} s, "
          f"report {result.report_s:.1f} s, wall {result.wall_s:.1f} s")
    print(f"periods.parquet, uplift_estimates.parquet, ope.parquet and summaries in {result.run_dir}"
          + (f"; report {report}" if report else ""))
