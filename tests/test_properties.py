"""Property-based tests: every drawn input ends in a correct run or in a one-line error.

Three kinds of input are drawn with hypothesis, valid values more often than invalid ones:

1. Hydra override lists for the main job on small worlds: constraint, catalog, population, seed and
   strategy fields; constraints added with trusted and untrusted targets; removed constraints;
   unknown fields;
2. customer tables (CSV, parquet) for ``scenario=from_file`` under user column names, and byte
   corruption of a valid parquet file;
3. cell edits to an exported scenario's ``eligibility.parquet``, with and without its manifest.

Each draw carries the verdict its author knows: RUN (every value valid), ERROR (at least one value
invalid) or EITHER (the draw cannot tell, e.g. a bad parameter of a strategy that is not selected).
The draws live in ``tests/drawn_inputs.py``. The property is two-sided: a valid input must run and
give sane numbers, an invalid one must end in a one-line ConfigError (or a composition error the CLI
prints on one line) that names the config path; never a traceback, an ``error`` row or a silent wrong
number. ``event`` labels each outcome, so ``pytest --hypothesis-show-statistics`` shows the mix.
"""
from __future__ import annotations

import dataclasses
import math
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra.errors import ConfigCompositionException, OverrideParseException
from hypothesis import event, example, given, note, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from benchmarks.run import composition_error, run
from simcore.effects import EffectModel
from simcore.errors import ConfigError
from simcore.exported import ScenarioDir
from simcore.results import Status
from tests.conftest import compose_config
from tests.drawn_inputs import (EITHER, ERROR, RUN, Table, configs, customer_tables, edit_pairs, pair_edits,
                                still_valid, write_csv, write_parquet)

PATHS = ("scenario", "strategy", "strategies", "seed", "evaluation", "plugins")
# CI runs these deterministically; none of the draws is slow to generate, so no health check is off
CI = settings(deadline=None, derandomize=True, print_blob=False)


# ------------------------------------------------------------------------------------------------
# checks shared by the properties
# ------------------------------------------------------------------------------------------------

def one_line(message: str, starts: tuple[str, ...] = PATHS) -> None:
    """A ConfigError the CLI prints as ``error: <message>``: one line, a config path first, then
    ``=`` or ``:`` and what is allowed."""
    assert "\n" not in message and message == message.strip(), repr(message)
    assert message.startswith(starts), f"does not start with a config path: {message!r}"
    assert "=" in message or ":" in message, message


def names_key(message: str, overrides: list[str]) -> bool:
    """The composition error names (a prefix or an extension of) one of the keys overridden."""
    head = message.split(" ", 1)[0].split("=", 1)[0].rstrip(":").replace("[", ".").replace("]", "")
    keys = [o.lstrip("+~").split("=", 1)[0] for o in overrides]
    return bool(head) and any(head == k or head.startswith(k + ".") or k.startswith(head + ".") for k in keys)


def names_path(message: str, cfg, overrides: list[str]) -> bool:
    """The message starts with a path the config has (scenario.catalog.actions[2].segments) or one the
    user wrote (a typo: strategy.milp.time_limt), not the name of a computed column."""
    head = re.split(r"[ =:,]", message, maxsplit=1)[0]
    dotted = head.replace("[", ".").replace("]", "")
    return names_key(head, overrides) or OmegaConf.select(cfg, dotted, default=_ABSENT) is not _ABSENT


_ABSENT = object()


def attempt(overrides: list[str], run_dir: Path) -> tuple[str, object]:
    """('composition', message), ('config', message) or ('run', results table). Anything else raises."""
    try:
        cfg = compose_config(*overrides)
    except (ConfigCompositionException, OverrideParseException) as err:  # what the CLI catches
        message = composition_error(err)
        one_line(message, starts=("",))
        assert names_key(message, overrides), f"names no overridden key: {message!r}"
        return "composition", message
    try:
        return "run", run(cfg, run_dir)
    except ConfigError as err:
        one_line(str(err))
        assert names_path(str(err), cfg, overrides), f"names no config path: {err}"
        return "config", str(err)


def check_results(table: pd.DataFrame, run_dir: Path) -> None:
    """Every row a legal status, no ``error`` row, and the numbers of every ok row agree with its
    plan file and respect the hard limits (except the flagged reference)."""
    customers = pd.read_parquet(run_dir / "scenario" / "customers.parquet")
    rows = pd.read_json(run_dir / "scenario" / "constraints.json", typ="series")["resolved"]
    budget = next((r["rhs"] for r in rows if r["name"] == "budget"), math.inf)
    audit = pd.read_csv(run_dir / "audit.csv") if (run_dir / "audit.csv").exists() else pd.DataFrame()
    for rec in table.to_dict("records"):
        name, status, reason = rec["strategy"], rec["status"], rec.get("reason")
        assert status in set(Status), rec
        assert status != Status.ERROR, f"{name} ended in an error row: {reason}"
        if status != Status.OK:
            assert isinstance(reason, str) and reason.strip() and "\n" not in reason, f"{name}: {status}: {reason!r}"
            continue
        assert math.isfinite(rec["net_value"]) and math.isfinite(rec["est_net_value"]), rec
        assert rec["spend"] >= 0 and 0 <= rec["treated"] <= len(customers), rec
        assert rec["net_value_mc_lo"] <= rec["net_value_mc_hi"] + 1e-6 * (1 + abs(rec["net_value_mc_hi"])), rec
        plan = pd.read_csv(run_dir / "plans" / f"{name}.csv", dtype=str, keep_default_na=False)
        assert set(plan["customer_id"]) <= set(customers["customer_id"]), name
        assert plan["cost"].astype(float).sum() == pytest.approx(rec["spend"], rel=1e-9, abs=1e-9), name
        assert (plan["channel"] != "none").sum() == rec["treated"], name
        if name == "treat_everyone":  # the one reference that ignores limits by design: it says so
            assert isinstance(rec["note"], str) and rec["note"], rec
            continue
        assert rec["spend"] <= budget + 1e-6 + 1e-9 * budget, f"{name} spends {rec['spend']} over the budget {budget}"
        mine = audit[(audit["strategy"] == name) & (audit["sense"] == "<=")]
        assert not (mine["violation"] > 0).any(), f"{name} breaks {mine[mine['violation'] > 0]['name'].tolist()}"
        if name == "milp":
            assert rec["n_violations"] == 0, f"milp ok with violations: {rec}"
            assert not rec["time_limited"] or rec["gap"] > 0, f"stopped at a limit, yet a proven gap of 0: {rec}"
    optimal = table[(table["strategy"] == "milp") & (table["status"] == Status.OK)]
    for milp in optimal.to_dict("records"):  # its objective is the plan's estimated value, and no plan that
        close = 1e-6 * (1 + abs(milp["bound"]))  # keeps every row is worth more than its proven bound
        assert abs(milp["objective"] - milp["est_net_value"]) <= close, milp
        feasible = table[(table["status"] == Status.OK) & (table["n_violations"] == 0)]
        assert (feasible["est_net_value"] <= milp["bound"] + close).all(), feasible[["strategy", "est_net_value"]]


def stays_inside(root: Path, run_dir: Path, before: set[Path], cwd_before: set[Path]) -> None:
    """Nothing written next to the run directory or in the working directory; no file in the run
    directory resolves outside it."""
    assert set(root.iterdir()) - before <= {run_dir}, sorted(set(root.iterdir()) - before)
    assert set(Path.cwd().iterdir()) == cwd_before, sorted(set(Path.cwd().iterdir()) ^ cwd_before)
    for path in run_dir.rglob("*"):
        assert path.resolve().is_relative_to(run_dir.resolve()), path


def outcome(overrides: list[str], expected: str, root: Path) -> str:
    """Run the main job on ``overrides`` in ``root``, check the property, return the outcome."""
    run_dir, before, cwd_before = root / "run", set(root.iterdir()), set(Path.cwd().iterdir())
    note(f"overrides: {overrides} (expected: {expected})")
    kind, result = attempt(overrides, run_dir)
    note(f"{kind}: {result if kind != 'run' else 'ran'}")
    stays_inside(root, run_dir, before, cwd_before)
    if kind == "run":
        check_results(result, run_dir)
        assert expected != ERROR, f"an invalid config ran: {overrides}"
    else:
        assert expected != RUN, f"a valid config was refused: {result}"
    event(f"expected {expected} -> {kind}")
    return kind


# ------------------------------------------------------------------------------------------------
# 1. configs
# ------------------------------------------------------------------------------------------------

@settings(CI, max_examples=40)
@given(configs())
# found by this property: a ZeroDivisionError (a subnormal heterogeneity_sd), an error row (CVXPY's
# 'Cannot unpack invalid solution' on a pair value past HiGHS's infinite cost)
@example((["scenario=playlistpro", "strategies=[do_nothing]", "scenario.population.n_customers=4",
           "evaluation.replications=1", "scenario.effects.heterogeneity_sd=7.355163773728363e-264"], RUN))
@example((["scenario=playlistpro", "strategies=[milp]", "scenario.population.n_customers=20",
           "evaluation.replications=5", "scenario.catalog.actions.1.revenue_gain=1e308"], RUN))
def test_a_drawn_config_runs_correctly_or_fails_in_one_line(case):
    overrides, expected = case
    with tempfile.TemporaryDirectory(prefix="props-") as tmp:
        outcome([o.replace("{tmp}", tmp) for o in overrides], expected, Path(tmp))


@pytest.mark.parametrize("sd", [1e-9, 1e-155, 7.4e-264])
def test_a_negligible_heterogeneity_is_none(sd):
    """Near 1e-155 numpy's Gamma(1/sd^2, sd^2) gave h = inf, silently making every true effect 1."""
    uplift = np.array([0.0, 0.02, 0.35, 1.0])
    assert (EffectModel(heterogeneity_sd=sd).true_effect(uplift, np.random.default_rng(0)) == uplift).all()


# ------------------------------------------------------------------------------------------------
# 2. customer files for scenario=from_file
# ------------------------------------------------------------------------------------------------

def from_file(path: Path, mapping: dict[str, str]) -> list[str]:
    columns = ",".join(f"{ours}:'{theirs}'" for ours, theirs in mapping.items())
    return ["scenario=from_file", f"scenario.population.path={path}", "evaluation.replications=5",
            "strategies=[do_nothing,random,frequency_only,clv_top_n,milp]",
            *([f"+scenario.population.columns={{{columns}}}"] if columns else [])]


def file_property(table: Table, suffix: str, write) -> None:
    with tempfile.TemporaryDirectory(prefix="props-") as tmp:
        path = Path(tmp) / f"customers{suffix}"
        write(path, table)
        if outcome(from_file(path, table.mapping), table.expected, Path(tmp)) == "run" and table.expected == RUN:
            # every value arrives as written: ids are text (00123 stays 00123, ' 7' keeps its space, NA is
            # an id), each of our columns comes from the file column mapped to it, numbers unchanged
            run_dir = Path(tmp) / "run"
            customers = pd.read_parquet(run_dir / "scenario" / "customers.parquet")
            for column, cells in table.given.items():
                got = customers[column].tolist()
                if column in ("customer_id", "segment"):
                    assert got == cells, column
                else:
                    assert np.allclose(got, [float(v) for v in cells], rtol=1e-12, atol=0), column
            for plan in (run_dir / "plans").glob("*.csv"):
                ids = pd.read_csv(plan, dtype=str, keep_default_na=False)["customer_id"]
                assert set(ids) <= set(table.given["customer_id"]), plan.name


LEADING_ZEROS = Table({"id": ["00123", "0789", "42"], "clv_est": ["1e5", "2e5", "5e4"]}, frozenset({"clv_est"}),
                      {"customer_id": "id"}, {"customer_id": ["00123", "0789", "42"], "clv_est": ["1e5", "2e5", "5e4"]},
                      RUN)
# found by this property: a file column named like one of ours but mapped elsewhere crashed the loader
# (TypeError), and two of ours mapped to one file column silently lost one of them
SHADOWED = Table({"id": ["a", "b"], "clv_est": ["junk", "junk"], "clv_v2": ["5000", "6000"]}, frozenset({"clv_v2"}),
                 {"customer_id": "id", "clv_est": "clv_v2"}, {"customer_id": ["a", "b"], "clv_est": ["5000", "6000"]},
                 RUN)
SHARED = Table({"id": ["a", "b"], "v": ["100", "200"]}, frozenset({"v"}), {"customer_id": "id", "clv_est": "v",
               "annual_revenue": "v"}, {"customer_id": ["a", "b"], "clv_est": ["100", "200"],
                                        "annual_revenue": ["100", "200"]}, RUN)


@settings(CI, max_examples=30)
@given(customer_tables(), st.sampled_from([None, None, None, "", "5"]))
@example(LEADING_ZEROS, None)
@example(SHADOWED, None)
@example(SHARED, None)
@example(LEADING_ZEROS, "5")  # was read one column left, silently: ids '1e5', '2e5', '5e4'
@example(LEADING_ZEROS, "")  # a trailing comma: was read one column left too
def test_a_drawn_csv_runs_correctly_or_fails_in_one_line(table, extra):
    """``extra``: a field added to every row. Empty (a trailing comma) it is dropped; a stray value is an
    error when there are rows."""
    if extra and any(table.file.values()):
        table = dataclasses.replace(table, expected=ERROR)
    file_property(table, ".csv", lambda path, t: write_csv(path, t, extra))


@settings(CI, max_examples=15)
@given(customer_tables())
@example(SHADOWED)
def test_a_drawn_parquet_runs_correctly_or_fails_in_one_line(table):
    file_property(table, ".parquet", write_parquet)


@settings(CI, max_examples=10)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4))
def test_a_corrupted_parquet_runs_correctly_or_fails_in_one_line(edits):
    with tempfile.TemporaryDirectory(prefix="props-") as tmp:
        path = Path(tmp) / "customers.parquet"
        write_parquet(path, LEADING_ZEROS)
        data = bytearray(path.read_bytes())
        for offset, byte in edits:
            data[offset % len(data)] = byte
        path.write_bytes(bytes(data))
        outcome(from_file(path, LEADING_ZEROS.mapping), EITHER, Path(tmp))


# ------------------------------------------------------------------------------------------------
# 3. edits to an exported scenario
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "run"
    run(compose_config("scenario.population.n_customers=30", "evaluation.replications=5", "strategies=[do_nothing]"),
        out)
    return out / "scenario"



@settings(CI, max_examples=40)
@given(pair_edits())
@example(edit=("cost", 0, 0.0, True, True))  # was a ValueError: a text cost formatted with ':g'
@example(edit=("est_value", 0, "abc", True, True))  # was a ValueError: text in est_value to float
def test_an_edited_export_loads_only_when_still_valid(exported, edit):
    column, row, value, as_text, no_manifest = edit
    with tempfile.TemporaryDirectory(prefix="props-") as tmp:
        copy = Path(tmp) / "scenario"
        shutil.copytree(exported, copy)
        old, new = edit_pairs(copy, column, row, value, as_text)
        if no_manifest:
            (copy / "manifest.json").unlink()
        valid = still_valid(column, old, new)
        expected = (RUN if valid else ERROR) if no_manifest else EITHER if valid else ERROR
        note(f"{column}[{row}]: {old!r} -> {new!r} (text: {as_text}, manifest removed: {no_manifest}), {expected}")
        try:
            ScenarioDir(path=str(copy)).build()
            kind = "run"
        except ConfigError as err:
            one_line(str(err), starts=("scenario.path",))
            assert "eligibility.parquet" in str(err), str(err)
            kind = "config"
        assert (kind, expected) not in (("run", ERROR), ("config", RUN)), f"{kind}, expected {expected}"
        event(f"expected {expected} -> {kind}")
