"""The publishable report of a run or a sweep: ``report.html`` (self-contained: figures inlined as
base64 PNG, no external CSS/JS) and ``report.md`` (figures as relative ``figures/*.png``), with the
comparison tables, binding constraints, fairness, figures and provenance (git commit, package
versions, Python, platform, the saved config, seeds and the command that reproduces the numbers).

    python -m benchmarks.report RUN_DIR

A single run's directory is what ``python -m benchmarks.run`` writes; a sweep's directory has
``axis.*`` columns in its results and a ``showcase/`` single-run directory for per-customer figures.
"""
from __future__ import annotations

import argparse
import base64
import html
import importlib.metadata
import json
import platform
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from omegaconf import OmegaConf

from benchmarks.figures.plans import actions_by_segment, churn_clv_scatter, tier_heatmap
from benchmarks.figures.single import action_mix, binding_heatmap, coverage_vs_floor, net_value_by_strategy, value_waterfall
from benchmarks.figures.style import METRIC_LABELS, save
from benchmarks.figures.sweep import binding_vs_axis, metric_vs_axis
from benchmarks.frames import axis_columns, binding_share_matrix, level_text, split_ok, strategy_order, treatment_frame
from benchmarks import stats
from benchmarks.outputs import comparison_table, money
from simcore.errors import ConfigError, RetentionBenchError
from simcore.results import AXIS, BINDING, VIOLATION, Status, flagged

PACKAGES = ("numpy", "pandas", "cvxpy", "highspy", "mlflow", "seaborn", "matplotlib", "hydra-core", "joblib",
            "pyarrow")
REPO = Path(__file__).resolve().parents[1]
REFERENCE = "milp"  # the paired differences' reference strategy when the run has it
MAX_SCATTER_POINTS = 3000  # per-customer scatter samples beyond this, to keep a run's report fast


# ---------------------------------------------------------------------------------------------
# loading


@dataclass(frozen=True)
class Floors:
    """Coverage floors as shares 0..1: ``fairness`` (every segment; None when the scenario has
    none) and ``by_segment`` (segment -> the strictest floor that applies to it)."""

    fairness: float | None
    by_segment: dict[str, float]


@dataclass(frozen=True)
class PlanData:
    """One single-run directory's per-customer material: its results (one row per strategy),
    customers, catalog (actions.csv), plans (strategy -> plans/<strategy>.csv), floors (from
    constraints.json) and the constraint audit."""

    directory: Path
    results: pd.DataFrame
    customers: pd.DataFrame
    actions: pd.DataFrame
    plans: dict[str, pd.DataFrame]
    floors: Floors
    audit: pd.DataFrame


@dataclass(frozen=True)
class RunData:
    """kind: a single run or a sweep. plan_data: the run itself (single) or its showcase (sweep),
    None when that directory or its scenario export is missing."""

    run_dir: Path
    kind: Literal["single", "sweep"]
    results: pd.DataFrame
    plan_data: PlanData | None
    axes: list[str] = field(default_factory=list)


def read_results(directory: Path) -> pd.DataFrame:
    """``results.parquet`` (preferred: exact dtypes) or ``results.csv`` of a run directory."""
    if (directory / "results.parquet").exists():
        return pd.read_parquet(directory / "results.parquet")
    if (directory / "results.csv").exists():
        return pd.read_csv(directory / "results.csv")
    raise ConfigError(f"RUN_DIR = {str(directory)!r}: holds no results.parquet or results.csv; "
                      "give a directory written by python -m benchmarks.run")


def load_plan_data(directory: Path, results: pd.DataFrame | None = None) -> PlanData | None:
    """The per-customer material of a single-run directory, None when its scenario export is missing.
    results: that directory's results table, if the caller has read it already."""
    scenario = directory / "scenario"
    if not (scenario / "customers.parquet").exists() or not (scenario / "actions.csv").exists():
        return None
    results = read_results(directory) if results is None else results
    plans = {}
    for strategy in results.loc[results["status"] == Status.OK, "strategy"]:
        path = directory / "plans" / f"{strategy}.csv"
        if path.exists():
            plans[strategy] = pd.read_csv(path, dtype={"customer_id": str})
    spec_path = scenario / "constraints.json"
    spec = json.loads(spec_path.read_text()).get("spec", {}) if spec_path.exists() else {}
    audit = pd.read_csv(directory / "audit.csv") if (directory / "audit.csv").exists() else pd.DataFrame()
    customers = pd.read_parquet(scenario / "customers.parquet")
    customers["customer_id"] = customers["customer_id"].astype(str)
    floors = segment_floors(spec, sorted(customers["segment"].astype(str).unique()))
    return PlanData(directory, results, customers, pd.read_csv(scenario / "actions.csv"), plans, floors, audit)


def load_run(run_dir: Path) -> RunData:
    """Everything the report needs from ``run_dir``; a sweep is recognized by ``axis.*`` columns."""
    if not run_dir.is_dir():
        raise ConfigError(f"RUN_DIR = {str(run_dir)!r}: not a directory; give the output directory of a run or sweep")
    results = read_results(run_dir)
    if results.empty or "strategy" not in results.columns or "status" not in results.columns:
        raise ConfigError(f"RUN_DIR = {str(run_dir)!r}: its results table has no rows with strategy and status")
    axes = axis_columns(results)
    if axes:
        showcase = run_dir / "showcase"
        return RunData(run_dir, "sweep", results, load_plan_data(showcase) if showcase.is_dir() else None, axes)
    return RunData(run_dir, "single", results, load_plan_data(run_dir, results))


# ---------------------------------------------------------------------------------------------
# tables (pure: frames in, display frames out)


def segment_floors(spec: Mapping[str, object], segments: list[str]) -> Floors:
    """The floors of constraints.json's ``spec`` (the ConstraintSet as exported): the fairness floor
    and the coverage floors defined on segments only (a floor on a risk or value tier is about
    another group of customers and is not a segment floor)."""
    fairness = spec.get("fairness_floor")
    floors = {s: float(fairness) for s in segments} if fairness is not None else {}
    for floor in spec.get("coverage_floors") or []:
        if floor.get("segments") and not floor.get("risk_tiers") and not floor.get("value_tiers"):
            for segment in floor["segments"]:
                floors[segment] = max(floors.get(segment, 0.0), float(floor["min_share"]))
    return Floors(None if fairness is None else float(fairness), floors)


def fairness_table(results: pd.DataFrame, floors: dict[str, float]) -> pd.DataFrame:
    """Coverage per segment (share contacted) per status-ok strategy, with the required floor as the
    first row; a cell below its floor is marked 'below'."""
    ok, _ = split_ok(results)
    segments = [c[len("coverage."):] for c in results.columns if c.startswith("coverage.")]
    rows = [{"strategy": "required floor", **{s: _pct(floors.get(s)) if s in floors else "none" for s in segments},
             "min/max ratio": ""}]
    for rec in ok.to_dict("records"):
        row = {"strategy": rec["strategy"]}
        for s in segments:
            share = rec[f"coverage.{s}"]
            below = s in floors and not pd.isna(share) and share < floors[s] - 1e-12
            row[s] = _pct(share) + (" below" if below else "")
        row["min/max ratio"] = _num(rec.get("coverage_min_max_ratio"), 2)
        rows.append(row)
    return pd.DataFrame(rows)


def binding_table(results: pd.DataFrame, audit: pd.DataFrame) -> pd.DataFrame:
    """Single run: each status-ok strategy's binding constraints with used / limit from the audit."""
    ok, _ = split_ok(results)
    rows = []
    for rec in ok.to_dict("records"):
        names = flagged(rec, BINDING)
        if not names:
            rows.append({"strategy": rec["strategy"], "constraint": "none binds", "used": "", "limit": "",
                         "unit": ""})
        for name in names:
            hit = audit[(audit["strategy"] == rec["strategy"]) & (audit["name"] == name)] if len(audit) else audit
            first = hit.iloc[0] if len(hit) else None  # no audit file: the name alone
            rows.append({"strategy": rec["strategy"], "constraint": name,
                         "used": _num(first["used"], 2) if first is not None else "",
                         "limit": f"{first['sense']} {_num(first['limit'], 2)}" if first is not None else "",
                         "unit": first["unit"] if first is not None else ""})
    return pd.DataFrame(rows, columns=["strategy", "constraint", "used", "limit", "unit"])


def violation_lines(results: pd.DataFrame, audit: pd.DataFrame) -> list[str]:
    """Single run: one line per status-ok strategy, every constraint it breaks with the amount and
    unit (from the ``violation.<row>`` columns and the audit's units), or 'feasible'."""
    ok, _ = split_ok(results)
    units = dict(zip(audit["name"], audit["unit"])) if len(audit) else {}
    lines = []
    for rec in ok.to_dict("records"):
        broken = [f"{row} by {float(rec[VIOLATION + row]):,.2f} {units.get(row, '')}".rstrip()
                  for row in flagged(rec, VIOLATION)]
        lines.append(f"{rec['strategy']}: " + ("; ".join(broken) if broken else "feasible (meets every constraint)"))
    return lines


def binding_share_table(results: pd.DataFrame, axis: str) -> pd.DataFrame:
    """Sweep: share of ok replicates in which each constraint binds, strategy x constraint rows, one
    column per axis level; 'no plan' where the strategy has no ok replicate at that level."""
    matrix = binding_share_matrix(results, axis)
    if matrix.empty:
        return pd.DataFrame({"strategy": [], "constraint": []})
    shown = matrix.map(lambda v: "no plan" if pd.isna(v) else _pct(v))
    return shown.rename(columns=level_text).rename_axis(columns=None).reset_index()


def sweep_summary(results: pd.DataFrame, axes: list[str], level: float = 0.95) -> pd.DataFrame:
    """Per axis level x strategy (:func:`benchmarks.stats.summarize`): ok replicates of all run, mean
    true net value ($) with its Student-t interval across replicates, mean ROI, treated and spend, and
    the share of ok replicates whose plan meets every constraint (when results have ``feasible``)."""
    summary = stats.summarize(results, axes, metrics=("net_value", "roi", "treated", "spend"), level=level)
    keys = [*axes, "strategy"]
    feasible = (results[results["status"] == Status.OK].assign(feasible=lambda d: d["feasible"].astype(bool))
                .groupby(keys, sort=False)["feasible"].mean() if "feasible" in results.columns else None)
    rows = []
    for rec in summary.to_dict("records"):
        skipped = ", ".join(f"{rec[f'n_{s}']} {s}" for s in stats.STATUSES if s != "ok" and rec[f"n_{s}"])
        rows.append({**{a[len(AXIS):]: level_text(rec[a]) for a in axes}, "strategy": rec["strategy"],
                     "ok / replicates": f"{rec['n_ok']} / {rec['n_rows']}" + (f" ({skipped})" if skipped else ""),
                     "net value (true) $": money(rec["net_value_mean"]),
                     f"{level:.0%} interval $": _interval(rec["net_value_lo"], rec["net_value_hi"]),
                     "ROI": _num(rec["roi_mean"], 2), "treated": _num(rec["treated_mean"], 1),
                     "spend $": money(rec["spend_mean"]),
                     **({"feasible": _pct(feasible.get(tuple(rec[k] for k in keys)))} if feasible is not None else {})})
    return pd.DataFrame(rows)


def paired_table(results: pd.DataFrame, axes: list[str], reference: str, level: float = 0.95) -> pd.DataFrame:
    """Paired difference of true net value ($) against ``reference`` within each replicate, mean and
    Student-t interval across replicates per axis level (:func:`benchmarks.stats.paired_differences`;
    only replicates where both rows are status ok are pairs)."""
    pair_on = "replicate" if "replicate" in results.columns else "seed"
    diffs = stats.paired_differences(results, axes, reference, metrics=("net_value",), level=level,
                                     pair_on=pair_on)
    rows = []
    for rec in diffs.to_dict("records"):
        lo, hi = rec["net_value_diff_lo"], rec["net_value_diff_hi"]
        verdict = ("no pairs: a row is not ok" if rec["n_pairs"] == 0 else "too few pairs" if pd.isna(lo)
                   else "better" if lo > 0 else "worse" if hi < 0 else "no clear difference")
        rows.append({**{a[len(AXIS):]: level_text(rec[a]) for a in axes}, "strategy": rec["strategy"],
                     "pairs": int(rec["n_pairs"]), f"net value - {reference} $": money(rec["net_value_diff_mean"]),
                     f"{level:.0%} interval $": _interval(lo, hi), "verdict": verdict})
    return pd.DataFrame(rows)


def sweep_options(data: RunData) -> tuple[str, float]:
    """(reference strategy, interval level) of a sweep: ``sweep.reference`` and ``sweep.level`` of
    its saved config when present; else milp (or the first strategy) and 0.95."""
    strategies = strategy_order(data.results)
    config = saved_config(data.run_dir)
    saved = OmegaConf.load(config) if config is not None else OmegaConf.create()
    reference = OmegaConf.select(saved, "sweep.reference", default=None)
    if reference not in strategies:
        reference = REFERENCE if REFERENCE in strategies else strategies[0]
    level = OmegaConf.select(saved, "sweep.level", default=None)
    return str(reference), float(level) if isinstance(level, (int, float)) else 0.95


def status_notes(results: pd.DataFrame) -> list[str]:
    """One line per strategy that was skipped or flagged: its status, where, and the full reason."""
    lines = []
    for (strategy, status), group in results.groupby(["strategy", "status"], sort=False):
        if status == Status.OK:
            notes = {n for n in group.get("note", pd.Series(dtype=str)) if isinstance(n, str) and n}
            lines += [f"{strategy}: {n}" for n in sorted(notes)]
            continue
        reasons = [r for r in group["reason"] if isinstance(r, str) and r]
        lines.append(f"{strategy}: {status} in {len(group)} of {int((results['strategy'] == strategy).sum())} rows, "
                     f"not plotted and not counted as zero: {reasons[0] if reasons else 'no reason recorded'}")
    return lines


# ---------------------------------------------------------------------------------------------
# provenance


@dataclass(frozen=True)
class Provenance:
    commit: str
    dirty: bool | None
    changed: list[str]
    versions: dict[str, str]
    python: str
    platform: str
    config_path: Path | None
    config_text: str
    overrides: list[str]
    seeds: str
    command: str


def git_state(repo: Path) -> tuple[str, bool | None, list[str]]:
    """(commit, dirty, changed files) of the project's repository; 'unknown' and None when git or the
    repository is missing (an installed copy, a tarball)."""
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return f"unknown (no git repository at {repo})", None, []
    return commit, bool(status), [line[3:] for line in status]


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def saved_config(run_dir: Path) -> Path | None:
    """The config a run was made from: ``config.yaml`` (a sweep's resolved config) or Hydra's
    ``.hydra/config.yaml`` (a single run); None when the run was started without either (run() called
    in-process)."""
    for path in (run_dir / "config.yaml", run_dir / ".hydra" / "config.yaml"):
        if path.exists():
            return path
    return None


def reproduce_command(config: Path | None, run_dir: Path) -> str:
    """The command that reruns a saved config, from the project root. ``--config-path`` (not
    ``--config-dir``) makes the saved file the primary config: with ``--config-dir`` the project's own
    conf/config.yaml would win the name lookup and the rerun would silently use the defaults."""
    if config is None:
        return ""
    rerun = run_dir.resolve().parent / f"{run_dir.resolve().name}-rerun"
    command = (f"python -m benchmarks.run --config-path {config.parent.resolve()} --config-name {config.stem} "
               f"hydra.run.dir={rerun}")
    # a sweep saved with resume_dir would resume into the ORIGINAL directory and recompute nothing
    if OmegaConf.select(OmegaConf.load(config), "sweep.resume_dir", default=None) is not None:
        command += f" sweep.resume_dir={rerun}"
    return command


def provenance(data: RunData) -> Provenance:
    commit, dirty, changed = git_state(REPO)
    config = saved_config(data.run_dir)
    overrides_file = data.run_dir / ".hydra" / "overrides.yaml"
    overrides = [line[2:] for line in overrides_file.read_text().splitlines() if line.startswith("- ")] \
        if overrides_file.exists() else []
    seeds = sorted({int(s) for s in data.results["seed"].dropna()}) if "seed" in data.results else []
    seed_text = ", ".join(map(str, seeds[:20])) + (f", ... ({len(seeds)} seeds)" if len(seeds) > 20 else "")
    if "replicate" in data.results.columns:
        seed_text += f" (replicates {int(data.results['replicate'].nunique())})"
    return Provenance(commit, dirty, changed, package_versions(), sys.version.split()[0],
                      platform.platform(), config, config.read_text() if config else "", overrides,
                      seed_text or "unknown", reproduce_command(config, data.run_dir))


# ---------------------------------------------------------------------------------------------
# figures


@dataclass(frozen=True)
class FigureFile:
    name: str
    caption: str
    png: Path
    pdf: Path


def build_figures(data: RunData) -> tuple[list[tuple[str, str, Figure]], list[str]]:
    """(name, caption, figure) for every figure the run's data allows, and notes on those it does not."""
    out: list[tuple[str, str, Figure]] = []
    notes: list[str] = []
    if data.kind == "sweep":
        axis = data.axes[0]
        leaf = axis.split(".")[-1]
        _, level = sweep_options(data)
        n_rep = data.results.groupby([*data.axes, "strategy"]).size().max()
        for metric in ("net_value", "roi", "treated"):
            label = METRIC_LABELS[metric]
            out.append((f"{metric}_vs_{leaf}", f"{label[:1].upper()}{label[1:]} per strategy along {leaf}: mean "
                        f"across replicates (up to {n_rep}) with its {level:.0%} interval band.",
                        metric_vs_axis(data.results, metric, axis, level)))
        out.append((f"binding_vs_{leaf}", f"Share of replicates in which each constraint binds, per {leaf} level.",
                    binding_vs_axis(data.results, axis)))
    else:
        out.append(("net_value", "True expected net value per strategy, the interval of realized outcomes "
                    "(Monte Carlo) and the value the strategy estimated.", net_value_by_strategy(data.results)))
        out.append(("binding", "Constraints that bind (no room for one more unit) per strategy.",
                    binding_heatmap(data.results)))
    plan = data.plan_data
    if plan is None:
        notes.append("per-customer figures skipped: no scenario export (scenario/customers.parquet) in "
                     + ("the sweep's showcase/ directory" if data.kind == "sweep" else "the run directory"))
        return out, notes
    where = " (showcase: replicate 0 at the first axis level)" if data.kind == "sweep" else ""
    ok, _ = split_ok(plan.results)
    if ok.empty:
        notes.append("per-customer figures skipped: no strategy produced a plan")
        return out, notes
    treatments = treatment_frame(plan.customers, plan.plans, plan.actions)
    out += [
        ("value_waterfall", f"Retained CLV + revenue gain - cost = net value per strategy{where}.",
         value_waterfall(plan.results)),
        ("action_mix", f"Customers per action per strategy{where}.", action_mix(plan.results, plan.actions)),
        ("actions_by_segment", f"Customers contacted per segment, stacked by action{where}.",
         actions_by_segment(treatments, plan.actions)),
        ("tier_heatmap", f"Share treated in each estimated risk tier x value tier{where}.",
         tier_heatmap(treatments)),
        ("churn_vs_clv", f"Estimated churn probability vs estimated CLV, treated customers highlighted{where}.",
         churn_clv_scatter(treatments, max_points=MAX_SCATTER_POINTS)),
        ("coverage_vs_floor", f"Share of each segment contacted against the fairness floor (dashed) and "
         f"segment floors (black ticks){where}.",
         coverage_vs_floor(plan.results, plan.floors.by_segment, plan.floors.fairness)),
    ]
    return out, notes


def write_figures(data: RunData) -> tuple[list[FigureFile], list[str]]:
    """Build and save every figure under ``run_dir/figures`` (PNG and PDF)."""
    built, notes = build_figures(data)
    files = []
    for name, caption, fig in built:
        png, pdf = save(fig, data.run_dir / "figures", name)
        files.append(FigureFile(name, caption, png, pdf))
    return files, notes


# ---------------------------------------------------------------------------------------------
# rendering


@dataclass(frozen=True)
class Section:
    title: str
    intro: str
    table: pd.DataFrame | None = None
    lines: tuple[str, ...] = ()


def report_sections(data: RunData) -> list[Section]:
    """The tables of the report, in order, for a single run or a sweep."""
    sections = []
    results = data.results
    if data.kind == "sweep":
        axis = data.axes[0]
        reference, level = sweep_options(data)
        sections.append(Section("Summary across replicates",
                                f"True net value: mean and {level:.0%} Student-t interval across replicates of the "
                                "expected net value under the true effects; only status-ok replicates enter.",
                                sweep_summary(results, data.axes, level)))
        sections.append(Section(f"Paired differences against {reference}",
                                "Within each replicate all strategies face the same customers and outcome draws "
                                "(common random numbers), so differences are paired; 'better' / 'worse': the "
                                "interval excludes zero.", paired_table(results, data.axes, reference, level)))
        sections.append(Section("Binding constraints", "Share of ok replicates in which each constraint binds.",
                                binding_share_table(results, axis)))
        if data.plan_data is not None:
            sections.append(Section("Showcase comparison (replicate 0, first axis level)", "",
                                    comparison_table(data.plan_data.results)))
    else:
        sections.append(Section("Comparison", "Net value (true): expected under the hidden true effects; "
                                "95% interval: realized outcomes over the Monte Carlo draws; gap: the "
                                "optimizer's proven relative gap.", comparison_table(results)))
        audit = data.plan_data.audit if data.plan_data is not None else pd.DataFrame()
        sections.append(Section("Binding constraints", "Rows with no room for one more unit.",
                                binding_table(results, audit)))
        sections.append(Section("Constraint violations", "Every constraint a plan breaks, and by how much (the "
                                "heuristics do not enforce floors).", None,
                                tuple(violation_lines(results, audit))))
    if data.plan_data is not None:
        sections.append(Section("Fairness: coverage per segment", "Share of each segment contacted; the "
                                "first row is the required floor (fairness floor or a stricter segment floor).",
                                fairness_table(data.plan_data.results, data.plan_data.floors.by_segment)))
    notes = status_notes(results)
    if notes:
        sections.append(Section("Skipped and flagged strategies", "", None, tuple(notes)))
    return sections


def _title(data: RunData) -> str:
    scenario = ", ".join(dict.fromkeys(data.results["scenario"].astype(str))) if "scenario" in data.results else "?"
    if data.kind == "sweep":
        levels = data.results[data.axes[0]].nunique()
        return f"{scenario}: sweep over {data.axes[0][len(AXIS):]} ({levels} levels)"
    n = len(data.plan_data.customers) if data.plan_data is not None else "?"
    return f"{scenario}: {n} customers, single run"


def render_markdown(data: RunData, sections: list[Section], files: list[FigureFile], figure_notes: list[str],
                    prov: Provenance) -> str:
    out = [f"# {_title(data)}", ""]
    for s in sections:
        out += [f"## {s.title}", ""] + ([s.intro, ""] if s.intro else [])
        if s.table is not None:
            out += [markdown_table(s.table), ""]
        out += [f"- {line}" for line in s.lines] + ([""] if s.lines else [])
    out += ["## Figures", ""]
    for f in files:
        out += [f"### {f.name}", "", f.caption, "", f"![{f.name}](figures/{f.png.name})",
                f"([PDF](figures/{f.pdf.name}))", ""]
    out += [f"- {n}" for n in figure_notes] + ([""] if figure_notes else [])
    out += ["## Provenance", ""] + [f"- {k}: {v}" for k, v in provenance_items(prov)] + [""]
    out += ["### Reproduce", "", reproduce_text(prov), ""]
    if prov.command:
        out += ["```bash", prov.command, "```", ""]
    out += ["### Config", ""] + (["```yaml", prov.config_text.rstrip(), "```"] if prov.config_text
                                 else ["(no saved config in this run directory)"]) + [""]
    return "\n".join(out)


def render_html(data: RunData, sections: list[Section], files: list[FigureFile], figure_notes: list[str],
                prov: Provenance) -> str:
    e = html.escape
    body = [f"<h1>{e(_title(data))}</h1>"]
    for s in sections:
        body.append(f"<h2>{e(s.title)}</h2>")
        if s.intro:
            body.append(f"<p>{e(s.intro)}</p>")
        if s.table is not None:
            body.append(s.table.to_html(index=False, escape=True, na_rep="", border=0))
        if s.lines:
            body.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in s.lines) + "</ul>")
    body.append("<h2>Figures</h2>")
    for f in files:
        data_uri = base64.b64encode(f.png.read_bytes()).decode("ascii")
        body.append(f'<figure><img alt="{e(f.name)}" src="data:image/png;base64,{data_uri}">'
                    f"<figcaption>{e(f.caption)} (PDF: figures/{e(f.pdf.name)})</figcaption></figure>")
    if figure_notes:
        body.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in figure_notes) + "</ul>")
    body.append('<h2 id="provenance">Provenance</h2><ul>'
                + "".join(f"<li><b>{e(k)}</b>: {e(str(v))}</li>" for k, v in provenance_items(prov)) + "</ul>")
    body.append(f"<h3>Reproduce</h3><p>{e(reproduce_text(prov))}</p>")
    if prov.command:
        body.append(f"<pre>{e(prov.command)}</pre>")
    body.append("<h3>Config</h3><pre>" + (e(prov.config_text) if prov.config_text
                                           else "(no saved config in this run directory)") + "</pre>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "table{border-collapse:collapse;font-size:13px;margin:0.5em 0}"
             "th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}"
             "th:first-child,td:first-child{text-align:left}thead th{background:#f3f3f3}"
             "img{max-width:100%}figure{margin:1.5em 0}figcaption{font-size:13px;color:#555}"
             "pre{background:#f6f6f6;padding:0.8em;overflow-x:auto;font-size:12px}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(_title(data))}</title><style>{style}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def provenance_items(prov: Provenance) -> list[tuple[str, str]]:
    dirty = "unknown" if prov.dirty is None else ("yes" if prov.dirty else "no")
    if prov.changed:
        dirty += f" ({len(prov.changed)} changed or untracked: {', '.join(prov.changed[:8])}" \
                 + (", ..." if len(prov.changed) > 8 else "") + ")"
    return [("git commit", prov.commit), ("dirty", dirty),
            ("packages", ", ".join(f"{k} {v}" for k, v in prov.versions.items())),
            ("python", prov.python), ("platform", prov.platform), ("seeds", prov.seeds),
            ("config", str(prov.config_path) if prov.config_path else "not saved"),
            ("command-line overrides", " ".join(prov.overrides) if prov.overrides else "none")]


def reproduce_text(prov: Provenance) -> str:
    if not prov.command:
        return ("This run was started without a saved config (run() called in-process), so the exact "
                "command is unknown; rerun with python -m benchmarks.run to get one.")
    warning = " The working tree was dirty: check out the commit AND the changes listed above." if prov.dirty else ""
    return ("From the project root, at the commit above with the package versions above, this reruns the "
            "saved config (the YAML below) and reproduces every number of this report (runtimes aside)."
            + warning)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table (pipes and newlines in cells escaped)."""
    def cell(v: object) -> str:
        text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
        return text.replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in rec) + " |" for rec in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows]) if len(frame.columns) else "(empty)"


def write_report(run_dir: Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` (and ``figures/*.png|pdf``) into ``run_dir``, a single
    run's or a sweep's output directory; returns (html path, md path)."""
    run_dir = Path(run_dir)
    data = load_run(run_dir)
    files, figure_notes = write_figures(data)
    sections = report_sections(data)
    prov = provenance(data)
    html_path, md_path = run_dir / "report.html", run_dir / "report.md"
    html_path.write_text(render_html(data, sections, files, figure_notes, prov), encoding="utf-8")
    md_path.write_text(render_markdown(data, sections, files, figure_notes, prov), encoding="utf-8")
    return html_path, md_path


# ---------------------------------------------------------------------------------------------
# formatting


def _num(value: object, digits: int) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):,.{digits}f}"


def _pct(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.0%}"


def _interval(lo: float, hi: float) -> str:
    return "" if pd.isna(lo) or pd.isna(hi) else f"[{lo:,.0f}, {hi:,.0f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report",
                                     description="Write report.html and report.md for a run or sweep directory.")
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="output directory of benchmarks.run")
    args = parser.parse_args(argv)
    try:
        html_path, md_path = write_report(args.run_dir)
    except RetentionBenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"report written to {html_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
