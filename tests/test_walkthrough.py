"""The README's "Bring your own data and code" walkthrough, run as written (its bash blocks, from the
project root), plus the report's rerun command of the own-strategy run; help and discovery:
``--help`` with examples and the lists, ``python -m benchmarks.list``, a sweep preset with and without
``+``, and overrides on a saved config that end in a one-line error instead of a traceback."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import list as listing
from benchmarks.config import compose

REPO = Path(__file__).resolve().parents[1]
SECTION = re.search(r"## Bring your own data and code\n(.*?)\n## ", (REPO / "README.md").read_text(), re.S).group(1)
COMMANDS = re.findall(r"```bash\n(.*?)\n```", SECTION, re.S)
FAST = ("tracking=off", "evaluation.replications=50")


def shell(command: str, *extra: str, ok: bool = True) -> subprocess.CompletedProcess:
    """``command`` (a README line: environment assignments, then python -m ...) with ``extra``
    arguments, through bash from the project root, as a user would paste it."""
    line = command.replace("python -m", f"{shlex.quote(sys.executable)} -m", 1) + " " + " ".join(map(shlex.quote, extra))
    done = subprocess.run(["bash", "-c", line], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert (done.returncode == 0) == ok, done.stderr[-3000:]
    return done


def results(run_dir: Path) -> pd.DataFrame:
    table = pd.read_parquet(run_dir / "results.parquet")
    return table.drop(columns=[c for c in table.columns if c.endswith("_s")])


def test_the_readme_has_the_three_steps():
    assert len(COMMANDS) == 3, COMMANDS


def test_own_customer_table_with_own_mapping(tmp_path):
    shell(COMMANDS[0], *FAST, "report=false", f"hydra.run.dir={tmp_path}")
    plan = pd.read_csv(tmp_path / "plans" / "milp.csv", dtype=str)
    ids = set(pd.read_csv(REPO / "examples" / "retail_customers.csv", dtype=str)["Customer ID"])
    assert len(plan) > 0 and set(plan["customer_id"]) <= ids  # the file's own ids, as text
    assert set(results(tmp_path)["scenario"]) == {"from_file"}


def test_own_world_from_a_config_dir(tmp_path):
    shell(COMMANDS[1], *FAST, "report=false", f"hydra.run.dir={tmp_path}")
    table = results(tmp_path).set_index("strategy")
    assert list(table.index) == ["milp", "random", "clv_top_n"]
    assert (table["scenario"] == "my_world").all() and (table["status"] == "ok").all()
    assert table["spend"].max() <= 2000 + 1e-6  # the world's own budget
    assert table.loc["milp", "est_net_value"] >= table["est_net_value"].max() - 1e-6


def test_own_strategy_and_the_reports_rerun_command(tmp_path):
    run_dir = tmp_path / "run"
    shell(COMMANDS[2], *FAST, f"hydra.run.dir={run_dir}")
    first = results(run_dir)
    assert list(first["strategy"]) == ["milp", "random", "top_risk"] and (first["status"] == "ok").all()
    command = re.search(r"```bash\n(PYTHONPATH=\S+ python -m benchmarks\.run [^\n]+)\n```",
                        (run_dir / "report.md").read_text()).group(1)
    assert command.startswith("PYTHONPATH=examples/plugin ") and "--config-dir" not in command
    rerun = Path(re.search(r"hydra\.run\.dir=(\S+)", command).group(1))
    shell(command, "report=false")  # exactly the report's command: the same numbers
    pd.testing.assert_frame_equal(first, results(rerun))
    # any value override on the saved config is clean, tracking included
    shell(command, "report=false", "seed=7", "tracking.enabled=false", f"hydra.run.dir={tmp_path / 'seed7'}")
    assert set(results(tmp_path / "seed7")["seed"]) == {7}
    # choosing a group by name there is refused in one line (exit 2), never a traceback
    for override, message in (("tracking=off", r"^error: tracking = 'off': must be a config node"),
                              ("scenario=nba_engine", r"^error: Could not override 'scenario'.*A saved config")):
        done = shell(command, override, f"hydra.run.dir={tmp_path / 'refused'}", ok=False)
        assert done.returncode == 2 and re.match(message, done.stderr) and "Traceback" not in done.stderr


def test_help_shows_usage_examples_and_the_lists():
    done = subprocess.run([sys.executable, "-m", "benchmarks.run", "--help"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    for text in ("Usage: python -m benchmarks.run", "sweep=budget_sensitivity", "--multirun",
                 "scenario=from_file", "plugins=[retention_plugin]", "python -m benchmarks.list"):
        assert text in done.stdout, text
    worlds = re.search(r"^scenario: (.*)$", done.stdout, re.M).group(1).split(", ")
    assert {"playlistpro", "nba_engine", "clv_retail", "cdnow"} <= set(worlds)
    assert "budget_sensitivity" in re.search(r"^sweep: (.*)$", done.stdout, re.M).group(1)
    assert len(done.stdout.splitlines()) < 60  # no config dump


def test_list_shows_every_group_with_descriptions_and_own_config_dirs(capsys):
    assert listing.main(["--config-dir", str(REPO / "examples" / "plugin" / "conf")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  playlistpro +PlaylistPro \(seed 002\)", out, re.M)
    assert re.search(r"^  milp +Exact MILP", out, re.M)
    assert re.search(r"^  budget_sensitivity +Budget sensitivity", out, re.M)
    assert re.search(r"^  my_world +Your own world", out, re.M) and re.search(r"^  top_risk ", out, re.M)
    with pytest.raises(SystemExit):
        listing.main(["scenarios"])
    assert "no such group: scenarios; groups: " in capsys.readouterr().err


def test_a_sweep_or_campaign_preset_is_chosen_with_or_without_plus():
    plain, plus = compose("sweep=budget_sensitivity"), compose("+sweep=budget_sensitivity")
    assert plain == plus and plain.sweep.axes is not None
    plain, plus = compose("campaign=holdout_learning"), compose("+campaign=holdout_learning")
    assert plain == plus and plain.campaign.periods == 8 and plain.strategies[-1] == "oracle"  # the preset's list
    assert compose().get("sweep") is None and compose().get("campaign") is None  # none unless chosen
