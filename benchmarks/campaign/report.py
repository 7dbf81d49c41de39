"""The report of a campaign directory: its campaign sections, figures and provenance, rendered with the
report's own templates (benchmarks.report.render) into ``report.html`` (self-contained) and
``report.md``. ``python -m benchmarks.report RUN_DIR`` writes it for a directory holding
``periods.parquet``."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.campaign.console import accuracy_display, ope_display, summary_display
from benchmarks.campaign.figures import cumulative_value, holdout_value, ope_vs_truth, uplift_error, uplift_vs_truth
from benchmarks.campaign.loop import PERIOD
from benchmarks.campaign.tables import (action_rows, campaign_summary, final_rows, focus_strategy, ope_summary,
                                        uplift_accuracy)
from benchmarks.figures.style import save
from benchmarks.frames import axis_columns
from benchmarks.report.gallery import FigureFile
from benchmarks.report.load import RunData, read_config
from benchmarks.report.provenance import provenance
from benchmarks.report.render import render
from benchmarks.report.sections import Section
from simcore.errors import ConfigError
from simcore.files import write_text
from simcore.results import REASON, SCENARIO, STATUS, STRATEGY, Status

# the full statement is simcore.campaign_uplift's docstring
ESTIMAND = ("The estimand: the average reduction of churn probability among the customers this strategy gave "
            "this action (treated and held out alike), pooled over the periods so far: the mean of p_true x "
            "effect_true, its truth computed from the hidden truth beside every estimate. The estimate: churn rate "
            "of the held-out customers minus that of the treated ones.")


def _setting(config, key: str, default: object) -> object:
    value = config.select(f"campaign.{key}") if config is not None else None
    return default if value is None else value


def _frame(run_dir: Path, name: str) -> pd.DataFrame:
    path = run_dir / name
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def _status_lines(periods: pd.DataFrame) -> list[str]:
    """One line per strategy with periods that were not ok: how many, and the first reason."""
    lines = []
    bad = periods[periods[STATUS] != Status.OK]
    for strategy, group in bad.groupby(STRATEGY, sort=False):
        first = group.sort_values(PERIOD).iloc[0]
        lines.append(f"{strategy}: {len(group)} of {int((periods[STRATEGY] == strategy).sum())} periods "
                     f"{', '.join(sorted(group[STATUS].unique()))} (contacted nobody then); first, period "
                     f"{int(first[PERIOD])}: {str(first[REASON])[:300]}")
    return lines


def write_campaign_report(run_dir: Path) -> tuple[Path, Path]:
    """Write ``report.html``, ``report.md`` and ``figures/`` for the campaign in ``run_dir``."""
    run_dir = Path(run_dir)
    periods = _frame(run_dir, "periods.parquet")
    if periods.empty:
        raise ConfigError(f"RUN_DIR = {str(run_dir)!r}: its periods.parquet has no rows")
    uplift, ope = _frame(run_dir, "uplift_estimates.parquet"), _frame(run_dir, "ope.parquet")
    config = read_config(run_dir)
    axes = axis_columns(periods)
    reference = str(_setting(config, "reference", "oracle"))
    level = float(_setting(config, "level", 0.95))
    ci_level = float(_setting(config, "ci_level", 0.95))
    baselines = dict(_setting(config, "baselines", {}))
    oracle = _setting(config, "oracle", None)
    summary = campaign_summary(final_rows(periods), axes, baselines, level)
    sections = [Section("Campaign: cumulative value, regret and what the holdout costs",
                        f"Per strategy, summed over {int(periods[PERIOD].max())} periods: the true expected net value "
                        f"of what was carried out, the regret against {reference} (each strategy in its own state), "
                        "the true value of the held-out customers' planned actions, and for a learner the value of "
                        "what it learned (its cumulative value minus its baseline's, paired within replicate). Mean "
                        f"[{level:.0%} Student-t interval] across replicates, dollars.", summary_display(summary, axes))]
    files, notes = [], []
    drawn = [("cumulative_value", "Cumulative true net value and regret per strategy, mean across replicates with "
              "its interval band.", cumulative_value(periods, axes, reference, level)),
             ("holdout_value", "Value forgone by the holdout against the value of what was learned, per strategy.",
              holdout_value(summary, axes))]
    if not uplift.empty:
        sections.append(Section("Uplift learned from the holdouts", ESTIMAND + f" Intervals: {ci_level:.0%}; per "
                                "period, over every strategy, action and replicate: how many, the share covering the "
                                "truth, the mean absolute error, width and held-out customers behind an estimate.",
                                accuracy_display(uplift_accuracy(uplift, axes), axes)))
        focus = focus_strategy(uplift, _setting(config, "focus", None), oracle)
        last = action_rows(uplift)
        last = last[(last[STRATEGY] == focus) & (last[PERIOD] == last[PERIOD].max())
                    & (last["replicate"] == last["replicate"].min())]
        shown = last[["action_id", "estimate", "ci_lo", "ci_hi", "truth", "n_treated", "n_holdout", "predicted",
                      "correction"]].round(4)
        sections.append(Section(f"Estimates of {focus} after the last period (replicate 0)", "correction = estimate / "
                                "predicted, the optimizer's-curse correction (predicted: p_est x stated uplift over the "
                                "same customers).", shown))
        drawn += [("uplift_vs_truth", f"{focus}'s pooled uplift estimates and intervals per period against the truth.",
                   uplift_vs_truth(uplift, focus, axes)),
                  ("uplift_error", "Error and coverage of the uplift estimates per period, every strategy.",
                   uplift_error(uplift, ci_level))]
    if not ope.empty:
        sections.append(Section("Off-policy evaluation", "Each target's net value per period estimated from each "
                                "logging strategy's log (its plan, the random holdout, the outcomes) beside the true "
                                "value: support is the share of the target's treated customers the log could have "
                                "treated the same way; ipw is unbiased on that part only, dm is the logger's belief, dr "
                                "corrects dm where the log supports it.", ope_display(ope_summary(ope, axes), axes)))
        drawn.append(("ope_vs_truth", "Off-policy estimates against the true value, per target and estimator.",
                      ope_vs_truth(ope)))
    lines = _status_lines(periods)
    if lines:
        sections.append(Section("Periods without a plan", "", None, tuple(lines)))
    for name, caption, figure in drawn:
        png, pdf = save(figure, run_dir / "figures", name)
        files.append(FigureFile(name, caption, png, pdf))
    data = RunData(run_dir, "sweep", periods, None, config, axes)
    scenario = ", ".join(dict.fromkeys(periods[SCENARIO].astype(str)))
    title = (f"{scenario}: campaign {_setting(config, 'name', 'campaign')}, {int(periods[PERIOD].max())} periods x "
             f"{periods['replicate'].nunique()} replicates")
    prov = provenance(data)
    html, md = run_dir / "report.html", run_dir / "report.md"
    write_text(html, render("report.html.j2", title, sections, files, notes, prov))
    write_text(md, render("report.md.j2", title, sections, files, notes, prov))
    return html, md
