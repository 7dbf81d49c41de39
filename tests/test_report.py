"""The report of a single run and of a sweep: every figure as PNG and PDF, a self-contained HTML,
a markdown file whose links resolve, provenance, non-ok rows never drawn as zeros, per-axis figures
with interval bands, a two-axis sweep reported per axis (never pooled), the HTML rendered from its
template with names escaped, the CLI's errors, and the report's command reproducing the run exactly."""
from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.text import Text

from benchmarks.figures.single import coverage_vs_floor, net_value_by_strategy
from benchmarks.figures.style import save
from benchmarks.figures.sweep import net_value_vs_axis, roi_vs_axis, treated_vs_axis
from benchmarks.frames import axis_summary, binding_shares, waterfall_frame
from benchmarks.report import write_report
from benchmarks.report.__main__ import main
from benchmarks.report.gallery import build_figures
from benchmarks.report.load import load_run, sweep_options
from benchmarks.report.tables import sweep_stats
from simcore.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
# small and fast, and with a not_applicable strategy (nba_rules needs actions playlistpro lacks)
RUN_ARGS = ["tracking=off", "strategies=[do_nothing,random,clv_top_n,nba_rules,milp]",
            "evaluation.replications=50", "scenario.population.n_customers=100"]
# frontier: added with the figures that show the finding (net value against spend, the budget's price as slope)
SINGLE_FIGURES = ["net_value", "binding", "frontier", "value_waterfall", "action_mix", "actions_by_segment",
                  "tier_heatmap", "churn_vs_clv", "coverage_vs_floor"]
SWEEP_FIGURES = ["net_value_vs_budget_limit", "roi_vs_budget_limit", "treated_vs_budget_limit", "binding_vs_budget_limit"]


def cli(*args: str) -> subprocess.CompletedProcess:
    """Run the real command line from the project root (Hydra writes .hydra/config.yaml only there)."""
    done = subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def single_run(tmp_path_factory) -> Path:
    """A tiny single run through the CLI: its last step (run() -> write_report) writes the report."""
    run_dir = tmp_path_factory.mktemp("single") / "run"
    cli("benchmarks.run", *RUN_ARGS, f"hydra.run.dir={run_dir}")
    return run_dir


def all_text(fig: Figure) -> str:
    """Every string drawn on a figure (titles, labels, footnotes)."""
    return " ".join(t.get_text() for t in fig.findobj(Text))


def synthetic_sweep(levels=(100.0, 1000.0, 10000.0), replicates: int = 3) -> pd.DataFrame:
    """A sweep-shaped results table: one axis, replicates, milp infeasible at the lowest level
    (recorded with zeros on purpose: it must still never be drawn)."""
    rng = np.random.default_rng(0)
    rows = []
    for cell, level in enumerate(levels):
        for rep in range(replicates):
            for k, strategy in enumerate(["do_nothing", "random", "milp"]):
                value = 0.0 if strategy == "do_nothing" else float(np.log(level) * (k + 1) * 100 + rng.normal(0, 20))
                spend = 0.0 if strategy == "do_nothing" else min(level, 500.0)
                infeasible = strategy == "milp" and level == levels[0]
                rows.append({
                    "scenario": "synthetic", "strategy": strategy, "seed": 100 + rep, "replicate": rep, "cell": cell,
                    "axis.scenario.constraints.budget.limit": level,
                    "status": "infeasible" if infeasible else "ok",
                    "reason": "budget too small for the floors" if infeasible else "",
                    "net_value": 0.0 if infeasible else value, "spend": 0.0 if infeasible else spend,
                    "roi": np.nan if spend == 0 or infeasible else value / spend,
                    "treated": 0.0 if infeasible else float(spend // 10),
                    "binding.budget": not (infeasible or strategy == "do_nothing") and level < 5000,
                    "binding.capacity[email]": not (infeasible or strategy == "do_nothing") and level >= 5000,
                })
    return pd.DataFrame(rows)


def test_single_run_writes_every_figure_as_png_and_pdf(single_run):
    for name in SINGLE_FIGURES:
        png, pdf = single_run / "figures" / f"{name}.png", single_run / "figures" / f"{name}.pdf"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000, png
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 2000, pdf


def test_html_is_self_contained(single_run):
    text = (single_run / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "nothing may be fetched from elsewhere"
    assert "<script" not in text and "<link" not in text
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == len(SINGLE_FIGURES)
    assert all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    assert "<table" in text and "not_applicable" in text


def test_markdown_references_existing_files_and_has_the_tables(single_run):
    text = (single_run / "report.md").read_text()
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert len(links) == 2 * len(SINGLE_FIGURES)
    for link in links:
        assert not Path(link).is_absolute() and (single_run / link).is_file(), link
    for heading in ("## Comparison", "## Binding constraints", "## Fairness: coverage per segment", "## Provenance"):
        assert heading in text
    # the fairness table's first row is the floor from constraints.json: 15% for every segment, 40% Premium
    floor_row = next(line for line in text.splitlines() if line.startswith("| required floor"))
    assert "15%" in floor_row and "40%" in floor_row
    # the binding table prices the budget and says what more of it is worth; every plan's share of the best
    assert "| why it binds | shadow price |" in text
    assert re.search(r"- milp: \+\$50 of budget is worth about \$[\d,.]+ of estimated net value \(\$[\d.]+/\$\)", text)
    assert "- milp reaches 100% of the attainable value" in text and "| share of attainable |" in text


def test_provenance_has_commit_versions_config_seeds_and_command(single_run):
    text = (single_run / "report.md").read_text()
    git = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    commit = git.stdout.strip() if git.returncode == 0 else ""
    assert f"git commit: {commit or 'unknown'}" in text
    assert re.search(r"- dirty: (yes|no|unknown)", text)
    for package in ("numpy", "pandas", "cvxpy", "highspy", "mlflow", "seaborn", "hydra-core", "joblib", "pyarrow"):
        assert re.search(rf"{package} \d", text), package
    assert "- python: 3." in text and "- seeds: 42" in text
    assert "n_customers: 100" in text and "replications: 50" in text  # the saved config, overrides applied
    assert f"--config-path {single_run.resolve()} --config-name config" in text  # the run's resolved config.yaml


def test_rerunning_the_reports_command_reproduces_its_numbers(single_run):
    text = (single_run / "report.md").read_text()
    command = re.search(r"```bash\n(python -m benchmarks\.run [^\n]+)\n```", text).group(1)
    rerun = Path(re.search(r"hydra\.run\.dir=(\S+)", command).group(1))
    # exactly the report's command; report=false only skips the second report (it changes no number)
    cli(*command.split()[2:], "report=false")
    first, again = pd.read_parquet(single_run / "results.parquet"), pd.read_parquet(rerun / "results.parquet")
    timings = [c for c in first.columns if c.endswith("_s")]
    pd.testing.assert_frame_equal(first.drop(columns=timings), again.drop(columns=timings))
    saved_again = (rerun / "config.yaml").read_text().replace("report: false\n", "report: true\n")
    assert saved_again == (single_run / "config.yaml").read_text()
    shutil.rmtree(rerun)


def test_non_ok_rows_are_never_drawn_as_zeros():
    results = pd.DataFrame({
        "strategy": ["do_nothing", "random", "milp"], "status": ["ok", "ok", "infeasible"],
        "reason": ["", "", "milp: infeasible: budget and coverage conflict"],
        "net_value": [0.0, 50.0, 0.0], "net_value_mc_lo": [0.0, -10.0, 0.0], "net_value_mc_hi": [0.0, 90.0, 0.0],
        "est_net_value": [0.0, 60.0, 0.0], "retained_clv": [0.0, 80.0, 0.0], "revenue_gain": [0.0, 0.0, 0.0],
        "spend": [0.0, 30.0, 0.0], "binding.budget": [False, True, False], "coverage.A": [0.0, 0.5, 0.0],
    })
    fig = net_value_by_strategy(results)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["do_nothing", "random"]
    assert "milp infeasible" in all_text(fig)
    assert list(waterfall_frame(results)["strategy"].unique()) == ["do_nothing", "random"]
    assert "milp" not in set(binding_shares(results)["strategy"])
    coverage = coverage_vs_floor(results, {"A": 0.2}, 0.1)
    assert "milp" not in [t.get_text() for t in coverage.legends[0].get_texts()]
    # sweep: milp is infeasible at the lowest level -> no point there, 3 replicates elsewhere
    sweep = synthetic_sweep()
    summary = axis_summary(sweep, "axis.scenario.constraints.budget.limit", "net_value")
    milp = summary[summary["strategy"] == "milp"].set_index("axis.scenario.constraints.budget.limit")
    assert milp.loc[100.0, "n"] == 0 and np.isnan(milp.loc[100.0, "mean"]) and milp.loc[100.0, "n_skipped"] == 3
    line = next(li for li in net_value_vs_axis(sweep).axes[0].get_lines() if li.get_label() == "milp")
    assert list(line.get_xdata()) == [1000.0, 10000.0]
    assert "milp (infeasible x3 at 100)" in all_text(net_value_vs_axis(sweep))


def test_sweep_figures_have_interval_bands_and_log_axis():
    sweep = synthetic_sweep()
    summary = axis_summary(sweep, "axis.scenario.constraints.budget.limit", "net_value")
    ok = summary[(summary["n"] >= 2) & (summary["strategy"] != "do_nothing")]  # do_nothing: no spread
    assert (ok["lo"] < ok["mean"]).all() and (ok["mean"] < ok["hi"]).all()
    fig = net_value_vs_axis(sweep)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"  # the levels span 100x
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 3  # one band per strategy
    assert roi_vs_axis(sweep).axes[0].get_ylabel().startswith("ROI")
    narrow = sweep.assign(**{"axis.scenario.constraints.budget.limit": sweep["axis.scenario.constraints.budget.limit"] / 1000 + 10})
    assert treated_vs_axis(narrow).axes[0].get_xscale() == "linear"  # levels 10.1, 11, 20: within 10x
    shares = binding_shares(sweep, "axis.scenario.constraints.budget.limit")
    random_low = shares[(shares["strategy"] == "random") & (shares["axis.scenario.constraints.budget.limit"] == 100.0)]
    assert random_low.set_index("constraint")["share"].to_dict() == {"budget": 1.0}


def test_sweep_report_has_summary_paired_table_and_axis_figures(single_run, tmp_path):
    """A sweep directory: results with an axis column and replicates. Its showcase here has results
    but no scenario export (the per-customer figures are covered by the single run, and skipping them
    keeps this test fast): the report says so instead of failing."""
    sweep_dir = tmp_path / "sweep"
    (sweep_dir / "showcase").mkdir(parents=True)
    synthetic_sweep().to_parquet(sweep_dir / "results.parquet", index=False)
    shutil.copy(single_run / "results.parquet", sweep_dir / "showcase" / "results.parquet")
    html_path, md_path = write_report(sweep_dir)
    text = md_path.read_text()
    for heading in ("## Summary across replicates", "## Paired differences against milp", "## Binding constraints"):
        assert heading in text
    assert "| 100 | milp | 0 / 3 (3 infeasible) |" in text  # counted, never averaged in as zero
    assert "| 100 | random | 0 |  |  | no pairs: a row is not ok |" in text
    assert "| milp | budget | no plan | 100% | 0% |" in text
    assert "per-customer figures skipped: no scenario export" in text
    for name in SWEEP_FIGURES:
        assert (sweep_dir / "figures" / f"{name}.png").stat().st_size > 0
        assert (sweep_dir / "figures" / f"{name}.pdf").stat().st_size > 0
    assert html_path.read_text().count("data:image/png;base64,") == len(SWEEP_FIGURES)


def test_cli_errors_name_the_directory_and_exit_2(tmp_path, capsys):
    assert main([str(tmp_path / "missing")]) == 2
    assert "missing': not a directory" in capsys.readouterr().err
    assert main([str(tmp_path)]) == 2
    assert "holds no results.parquet or results.csv" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="name = 'a/b': must be a plain file name"):
        save(net_value_by_strategy(synthetic_sweep().iloc[:0].assign(net_value_mc_lo=[], net_value_mc_hi=[],
                                                                         est_net_value=[])), tmp_path, "a/b")


BUDGET, LIMIT = "axis.scenario.constraints.budget.limit", "axis.scenario.constraints.email_capacity.limit"


def two_axis_sweep(replicates: int = 3) -> pd.DataFrame:
    """A two-axis sweep (budget x email capacity) whose values and binding rows depend on BOTH axes,
    so pooling either one would show numbers that appear nowhere in the data: net value = budget /
    10 + limit (+ noise, milp 2x), the budget binds only at budget 100 and the email capacity only
    at limit 60."""
    rng = np.random.default_rng(1)
    rows = []
    for cell, (budget, limit) in enumerate([(b, c) for b in (100.0, 1000.0) for c in (60, 120)]):
        for rep in range(replicates):
            for k, strategy in enumerate(["do_nothing", "random", "milp"]):
                value = 0.0 if strategy == "do_nothing" else k * (budget / 10 + limit) + float(rng.normal(0, 5))
                spend = 0.0 if strategy == "do_nothing" else budget
                rows.append({
                    "scenario": "synthetic", "strategy": strategy, "seed": 100 + rep, "replicate": rep, "cell": cell,
                    BUDGET: budget, LIMIT: limit, "status": "ok", "reason": "",
                    "net_value": value, "spend": spend, "roi": value / spend if spend else np.nan,
                    "treated": spend / 10, "binding.budget": strategy == "milp" and budget == 100.0,
                    "binding.capacity[email]": strategy != "do_nothing" and limit == 60,
                })
    return pd.DataFrame(rows)


def test_two_axis_sweep_is_reported_per_axis_never_pooled(tmp_path):
    sweep = two_axis_sweep()
    (tmp_path / "sweep").mkdir()
    sweep.to_parquet(tmp_path / "sweep" / "results.parquet", index=False)
    html_path, md_path = write_report(tmp_path / "sweep")
    names = [f"{m}_vs_{axis}" for axis in ("budget_limit", "email_capacity_limit") for m in ("net_value", "roi", "treated", "binding")]
    for name in names:
        assert (tmp_path / "sweep" / "figures" / f"{name}.png").stat().st_size > 0, name
        assert (tmp_path / "sweep" / "figures" / f"{name}.pdf").stat().st_size > 0, name
    assert html_path.read_text().count("data:image/png;base64,") == len(names)

    # what the report draws: the other axis as titled panels, each with its own values
    data = load_run(tmp_path / "sweep")
    drawn, _ = build_figures(data, sweep_stats(data.results, data.axes, *sweep_options(data)))
    figures = {d.name: d.figure for d in drawn}
    assert sorted(figures) == sorted(names)
    panels = figures["net_value_vs_email_capacity_limit"].axes
    assert [ax.get_title().split("\n")[1] for ax in panels] == [
        "mean and 95% interval across replicates; budget.limit = 100",
        "mean and 95% interval across replicates; budget.limit = 1,000"]
    ok = sweep[sweep["strategy"] == "milp"]
    for ax, budget in zip(panels, (100.0, 1000.0)):
        line = next(li for li in ax.get_lines() if li.get_label() == "milp")
        expected = ok[ok[BUDGET] == budget].groupby(LIMIT)["net_value"].mean()
        assert list(line.get_xdata()) == [60, 120]
        np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())  # this budget's mean, not pooled
    heatmaps = [ax for ax in figures["binding_vs_budget_limit"].axes if ax.get_title()]  # the colorbar has no title
    assert [ax.get_title() for ax in heatmaps] == ["random\nemail_capacity.limit = 60", "milp\nemail_capacity.limit = 60",
                                                  "random\nemail_capacity.limit = 120", "milp\nemail_capacity.limit = 120"]
    assert [t.get_text() for t in heatmaps[0].get_xticklabels()] == ["100", "1,000"]
    assert [t.get_text() for t in heatmaps[0].get_yticklabels()] == ["budget", "capacity[email]"]

    # the tables keep every axis as a column: shares are 0% or 100% here, pooling would give 50%
    text = md_path.read_text()
    assert text.startswith("# synthetic: sweep over scenario.constraints.budget.limit (2 levels) x "
                           "scenario.constraints.email_capacity.limit (2 levels)\n")
    assert ("| scenario.constraints.budget.limit | scenario.constraints.email_capacity.limit | strategy | "
            "ok / replicates |") in text
    binding = text.split("## Binding constraints")[1].split("## Figures")[0]
    assert "| scenario.constraints.email_capacity.limit | strategy | constraint | 100 | 1,000 |" in binding
    assert "| 60 | milp | capacity[email] | 100% | 100% |" in binding
    assert "| 120 | milp | capacity[email] | 0% | 0% |" in binding
    assert "| 120 | milp | budget | 100% | 0% |" in binding
    assert "50%" not in binding


def test_html_is_rendered_from_the_template_and_escapes_names(tmp_path):
    evil = "<script>alert('x')</script>"
    results = pd.DataFrame({
        "scenario": "synthetic", "strategy": ["do_nothing", evil], "seed": 1, "status": "ok", "reason": "",
        "note": ["", "chosen <b>by hand</b>"], "net_value": [0.0, 50.0], "net_value_mc_lo": [0.0, -10.0],
        "net_value_mc_hi": [0.0, 90.0], "est_net_value": [0.0, 60.0], "roi": [np.nan, 1.5], "treated": [0, 3],
        "spend": [0.0, 30.0], "coverage_min_max_ratio": [np.nan, 1.0], "runtime_s": [0.01, 0.02],
        "binding.budget": [False, True], "violation.budget": [0.0, 0.0],
    })
    results.to_parquet(tmp_path / "results.parquet", index=False)
    html_path, md_path = write_report(tmp_path)
    text = html_path.read_text()
    assert '<meta name="generator" content="retention-bench benchmarks/report/templates/report.html.j2">' in text
    assert "<script" not in text and "<b>by hand" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text and "&lt;b&gt;by hand" in text
    # net value, binding and the frontier (added with the figures that show the finding): no scenario export here
    assert text.count("data:image/png;base64,") == 3
    assert f"| {evil} * |" in md_path.read_text()  # markdown keeps the name as it is
