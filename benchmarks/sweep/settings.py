"""What a sweep is asked to do: the ``sweep`` config node (axes, replicates, execution) and its
validation, down to checking that every axis value gives a valid config before any cell runs."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from omegaconf import DictConfig, OmegaConf

from benchmarks.config import build_section, selected_strategies
from simcore.checks import check_bool, check_choice, check_identifier, check_mapping, check_name, check_scalar, show
from simcore.errors import ConfigError
from simcore.results import AXIS

Scalar = int | float | str | bool | None
# config nodes that say HOW a sweep runs, not WHAT it computes: never axes, never in a cell's id
EXECUTION_KEYS = ("sweep", "tracking", "hydra", "report")


@dataclass(frozen=True)
class Axis:
    """One swept config value: ``path`` in OmegaConf syntax (``scenario.constraints.budget.limit``,
    ``scenario.catalog.actions[1].cost``) and the values it takes, in order."""

    path: str
    values: tuple[Scalar, ...]

    @property
    def column(self) -> str:
        return f"{AXIS}{self.path}"


@dataclass(frozen=True)
class SweepSettings:
    """The ``sweep`` config node.

    axes: {config path: [values]} (the cells are their product, first axis outermost; parsed into
    ``grid``, one Axis each); replicates:
    seeds per cell; reference: the strategy others are differenced against (paired.csv); level: the
    intervals' confidence level; n_jobs: joblib workers (-1 = all cores; 1 = in this process);
    backend: loky | dask; address: a Dask scheduler (tcp://host:8786), null = start a LocalCluster;
    chunk: cells per task (null = all of a replicate's cells, the most reuse between re-solves);
    resume_dir: write into this directory instead of Hydra's run directory (rerun to resume);
    showcase: write the full single-run outputs of the first cell to showcase/; fresh: start this
    directory over: move every previous output (cells/, the tables, showcase/, the report,
    mlflow_run.json, sweep.json, config.yaml) into ``superseded/<UTC time>/``, nothing deleted, and
    compute every cell under a new MLflow parent run. Without it, a directory holding another
    config's sweep is refused (a ConfigError naming the keys that differ); execution-only changes
    (n_jobs, backend, address, chunk, tracking, more replicates or axis values) always resume.
    """

    axes: Mapping[str, Sequence[Scalar]]
    replicates: int = 1
    name: str = "sweep"
    reference: str = "milp"
    level: float = 0.95
    n_jobs: int = -1
    backend: str = "loky"
    address: str | None = None
    chunk: int | None = None
    resume_dir: str | None = None
    showcase: bool = True
    fresh: bool = False
    grid: tuple[Axis, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "grid", _axes(self.axes))
        check_scalar(self.replicates, "replicates", int, 1)
        check_identifier(self.name, "name")  # it names the MLflow run and may name files
        check_name(self.reference, "reference")
        check_scalar(self.level, "level", float, 0.0, 1.0, min_inclusive=False, max_inclusive=False)
        check_scalar(self.n_jobs, "n_jobs", int)
        if self.n_jobs == 0:
            raise ConfigError("n_jobs = 0: must be >= 1, or negative (-1 = all cores, -2 = all but one)")
        check_choice(self.backend, "backend", ("loky", "dask"))
        if self.address is not None:
            check_name(self.address, "address")
        if self.chunk is not None:
            check_scalar(self.chunk, "chunk", int, 1)
        if self.resume_dir is not None:
            check_name(self.resume_dir, "resume_dir")
        check_bool(self.showcase, "showcase")
        check_bool(self.fresh, "fresh")


def _axes(value: object) -> tuple[Axis, ...]:
    axes = check_mapping(value, "axes")
    if not axes:
        raise ConfigError("axes = {}: declare at least one axis, e.g. {scenario.constraints.budget.limit: [100, 200]}")
    out = []
    for path, values in axes.items():
        where = f"axes.{path}"
        check_name(path, "axes key")
        if isinstance(values, Mapping):
            raise ConfigError(f"{where} = {show(values)}: must be a list of values; write the whole config path "
                              "as ONE key, e.g. 'sweep.axes={scenario.constraints.budget.limit:[100,200]}'")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ConfigError(f"{where} = {show(values)}: must be a non-empty list of values")
        values = list(values)
        for i, v in enumerate(values):
            if v is not None and not isinstance(v, (int, float, str, bool)):
                raise ConfigError(f"{where}[{i}] = {show(v)}: must be a number, string, boolean or null")
        if len({json.dumps(v) for v in values}) != len(values):
            raise ConfigError(f"{where} = {show(list(values))}: values must be distinct")
        out.append(Axis(str(path), tuple(values)))
    return tuple(out)


def plain_config(cfg: DictConfig) -> dict:
    """The resolved config as plain data, without the execution keys: what determines the results."""
    data = OmegaConf.to_container(cfg, resolve=True)
    return {k: v for k, v in data.items() if k not in EXECUTION_KEYS}


def check_axes(cfg: DictConfig, settings: SweepSettings) -> None:
    """Every axis path exists and is a value; every axis value gives a valid config (checked by
    instantiating the scenario, evaluation and strategies with it, before any cell runs)."""
    missing = object()
    for axis in settings.grid:
        if axis.path.split(".")[0].split("[")[0] in EXECUTION_KEYS:
            raise ConfigError(f"sweep.axes.{axis.path}: sweeps over {', '.join(EXECUTION_KEYS)} are not allowed "
                              "(they say how a sweep runs, not what it computes)")
        node = OmegaConf.select(cfg, axis.path, default=missing)
        if node is missing:
            raise ConfigError(f"sweep.axes.{axis.path}: no such config value; an axis must name an existing "
                              "value, e.g. scenario.constraints.budget.limit or scenario.population.n_customers "
                              "(see the composed config with --cfg job)")
        if OmegaConf.is_config(node):
            raise ConfigError(f"sweep.axes.{axis.path}: is a whole config node, not a value; sweep one of its "
                              f"values (e.g. {axis.path}.<field>)")
    plain = OmegaConf.create(plain_config(cfg))
    for axis in settings.grid:
        for value in axis.values:
            trial = plain.copy()
            OmegaConf.update(trial, axis.path, value, merge=False)
            build_section(trial, "scenario")
            build_section(trial, "evaluation")
            selected_strategies(trial)
