"""The main job: every chosen strategy on one scenario, compared honestly; or, with a ``sweep``
node in the config, a sweep of such runs (benchmarks/sweep.py).

    python -m benchmarks.run scenario=nba_engine seed=7 strategies=[milp,random]
    python -m benchmarks.run sweep=budget_sensitivity
    python -m benchmarks.run --help          # usage, examples, the worlds, strategies and sweep presets
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

from benchmarks import schemas
from benchmarks.config import build_section, check_top_level, plain_choices, selected_strategies, strategy_params
from benchmarks.pipeline import run_strategy
from benchmarks.console import run_table
from benchmarks.outputs import write_run
from benchmarks.sweep import run_sweep
from benchmarks.report import write_report
from benchmarks.tracking import start, strategy_children
from simcore.build import must_be
from simcore.checks import check_seed
from simcore.files import write_text
from simcore.results import STATUS, Status
from simcore.sizes import check_evaluation
from simcore.errors import RetentionBenchError

log = logging.getLogger("retention-bench")


# a single run's parent MLflow run carries these files (directories as folders)
ARTIFACTS = ("config.yaml", "results.parquet", "results.csv", "audit.csv", "report.html", "report.md", "figures",
             "scenario")


def run(cfg: DictConfig, run_dir: Path) -> pd.DataFrame:
    """Every selected strategy on one world: results, plans, audit, the exported scenario, the
    resolved config (config.yaml), the report, and one MLflow parent run with a child per strategy."""
    check_top_level(cfg)
    seed = check_seed(cfg.seed)
    spec = build_section(cfg, "scenario")
    settings = build_section(cfg, "evaluation")
    tracking = build_section(cfg, "tracking")
    strategies = selected_strategies(cfg)
    root = np.random.SeedSequence(seed)
    scenario = spec.build(root)
    check_evaluation(scenario.population.n, settings.replications, len(strategies))
    log.info("scenario %s: %d customers, %d actions, %d eligible pairs, %d constraint rows",
             scenario.name, scenario.population.n, len(scenario.catalog.actions), len(scenario.pairs),
             len(scenario.rows))
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text(run_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    logger = start(tracking, cfg, scenario.name, run_dir, f"{scenario.name} seed {seed}", "run")
    try:
        results = []
        for name, strategy in strategies.items():
            result = run_strategy(scenario, name, strategy, root, settings)
            log.info("%-15s %s", name, result.status)
            results.append(result)
        table = write_run(run_dir, scenario, results)
        logger.log_children(strategy_children(table, {n: strategy_params(cfg, n) for n in strategies}, run_dir))
        print(run_table(table, f"{scenario.name}: {scenario.population.n:,} customers, seed {seed}"))
        print(f"\nresults, plans and scenario written to {run_dir}")
        if cfg.get("report", True):  # report=false skips the figures and report.html (a few seconds)
            print(f"report: {write_report(run_dir)[0]}")
    except BaseException:  # everything written so far stays; the MLflow run is marked FAILED
        logger.abandon()
        raise
    tracked = logger.finish([run_dir / f for f in ARTIFACTS], {"strategies": len(table),
                                                               "strategies_ok": int((table[STATUS] == Status.OK).sum())})
    if tracked.run_id is not None:
        print(f"MLflow: run {tracked.run_id} in experiment {logger.experiment!r} at {logger.uri}")
    return table


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def _job(cfg: DictConfig) -> None:
    try:
        run_dir = Path(HydraConfig.get().runtime.output_dir)
        check_top_level(cfg)
        if cfg.get("sweep") is not None:
            run_sweep(cfg, run_dir)
        else:
            run(cfg, run_dir)
    except RetentionBenchError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def main() -> None:
    """The command line. Hydra composes the config against the registered schemas; a composition
    error (a type error, a key that does not exist, a group option that does not exist) ends like
    every other config error: one line on stderr and exit code 2."""
    schemas.register()
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra then raises composition errors instead of printing them
    if not {"--config-path", "-cp", "--config-name", "-cn"} & {a.partition("=")[0] for a in sys.argv}:
        sys.argv[1:] = plain_choices(sys.argv[1:])  # the project's config: +sweep=NAME means sweep=NAME
    try:
        _job()
    except (ConfigCompositionException, OverrideParseException) as err:
        print(f"error: {composition_error(err)}", file=sys.stderr)
        sys.exit(2)


def composition_error(err: Exception) -> str:
    """Hydra's and OmegaConf's multi-line composition messages as one line that names the key."""
    if isinstance(err, MissingConfigException) and err.missing_cfg_file:
        group, _, name = err.missing_cfg_file.rpartition("/")
        return f"{group}={name}: no such {group}; available: {', '.join(err.options or [])}"
    cause = err.__cause__
    key = getattr(cause, "full_key", None)
    if isinstance(cause, ValidationError) and key:
        value = getattr(cause, "value", None)
        if key.endswith("]") and value == {} and "Invalid type assigned" in str(cause):  # actions.9.cost=1
            return f"{key}: no such item (the index is past the end of the list)"
        return f"{key} = {value!r}: {must_be(cause)}" if value is not None else f"{key}: {must_be(cause)}"
    if isinstance(cause, (ConfigAttributeError, ConfigKeyError)) and key:
        return f"{key}: no such config value (to add a new key write +{key}=...)"
    if "No match in the defaults list" in str(err):  # a group chosen on a saved config.yaml
        return (f"{str(err).splitlines()[0]} A saved config.yaml is already composed: set values on it "
                f"(scenario.constraints.budget.limit=300), or start from the project's config to choose groups")
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return "; ".join(lines[:1] + [line for line in lines[1:] if not line.startswith("Set the environment")][:3])


if __name__ == "__main__":
    main()
