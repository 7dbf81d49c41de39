"""The ``campaign`` config node: what a campaign is, and how it runs as a sweep.

``CampaignSettings`` inherits both halves rather than copying either: the simulator's
:class:`simcore.campaign.CampaignDesign` (periods, holdout share, dynamics, estimation) and the sweep's
:class:`benchmarks.sweep.settings.SweepSettings` (axes, replicates, n_jobs, backend, address, chunk,
resume_dir, fresh, level, name, reference; ``showcase`` has no use here). A campaign is a sweep whose
cell is one replicate's whole campaign at one combination of axis values; without axes of its own it
sweeps its holdout share at one level, so every row says which share it ran with.

What determines a cell's rows (and so its id and the directory's config hash) is the config without
the execution keys, and of the campaign node only the design's fields, ``oracle`` and
``ope_targets``: changing n_jobs, the backend, the replicates, the report's ``baselines`` or
``focus``, or the regret ``reference`` resumes the same cells.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from omegaconf import DictConfig, OmegaConf

from benchmarks.config import build_section, selected_strategies, strategy_names
from benchmarks.sweep.settings import SweepSettings, check_axes
from simcore.campaign import CampaignDesign
from simcore.checks import as_str_tuple, check_identifier, check_mapping
from simcore.errors import ConfigError

SELF = "self"  # the off-policy target that is the logging strategy's own plan
HOLDOUT_AXIS = "campaign.holdout_share"
# the campaign node's keys that decide a cell's rows (with the rest of the config minus execution keys)
CELL_KEYS = (*(f.name for f in dataclasses.fields(CampaignDesign)), "oracle", "ope_targets")


@dataclass(frozen=True)
class CampaignSettings(SweepSettings, CampaignDesign):
    """The ``campaign`` node (module docstring); besides the inherited fields:

    oracle: the strategy handed the truth each period (simcore.campaign_views.TruthView; null = none);
    reference: the strategy regret is measured against (the oracle by default); ope_targets: strategies
    whose plans are evaluated off-policy from every other strategy's log, planned on the logger's view
    each period (the logger's own plan, ``self``, always is); baselines: {learner: its static
    counterpart}, the value of what a learner learned being its cumulative value minus the
    counterpart's within each replicate (report only); focus: the strategy whose uplift estimates the
    report draws period by period (null: the one with the most held-out customers)."""

    axes: Mapping[str, Sequence[int | float | str | bool | None]] = field(default_factory=dict)
    name: str = "campaign"
    reference: str = "oracle"
    oracle: str | None = "oracle"
    ope_targets: tuple[str, ...] = ()
    baselines: Mapping[str, str] = field(default_factory=dict)
    focus: str | None = None

    def __post_init__(self) -> None:
        CampaignDesign.__post_init__(self)
        if not self.axes:
            object.__setattr__(self, "axes", {HOLDOUT_AXIS: [self.holdout_share]})
        SweepSettings.__post_init__(self)
        execution = {f.name for f in dataclasses.fields(SweepSettings)}
        for path in self.axes:
            head, _, key = str(path).partition(".")
            if head == "campaign" and key.split(".")[0] not in CELL_KEYS:
                raise ConfigError(f"axes.{path}: only what a campaign is can be an axis "
                                  f"({', '.join(CELL_KEYS)}), not how it runs"
                                  + (" (an execution key)" if key in execution else ""))
        if self.oracle is not None:
            check_identifier(self.oracle, "oracle")
        object.__setattr__(self, "ope_targets", as_str_tuple(self.ope_targets, "ope_targets"))
        baselines = check_mapping(self.baselines, "baselines")
        for learner, base in baselines.items():
            check_identifier(learner, "baselines key")
            check_identifier(base, f"baselines.{learner}")
        object.__setattr__(self, "baselines", baselines)
        if self.focus is not None:
            check_identifier(self.focus, "focus")


def cell_config(plain: dict) -> dict:
    """The plain config (benchmarks.sweep.settings.plain_config) restricted to what decides a cell:
    the campaign node keeps only CELL_KEYS."""
    node = plain.get("campaign") or {}
    return {**plain, "campaign": {k: v for k, v in node.items() if k in CELL_KEYS}}


def check_campaign(cfg: DictConfig, settings: CampaignSettings) -> list[str]:
    """Every name the campaign node uses is a strategy of the run, every target a loaded strategy
    config, and every axis value a valid config (the sweep's checks, then the campaign node rebuilt
    with each value). Returns the strategy names in config order."""
    names = strategy_names(cfg)
    for key in ("oracle", "reference", "focus"):
        value = getattr(settings, key)
        if value is not None and value not in names:
            raise ConfigError(f"campaign.{key} = {value!r}: not among the strategies of this campaign; "
                              f"allowed: {', '.join(names)}")
    loaded = list((cfg.get("strategy") or {}).keys())
    for learner, base in settings.baselines.items():  # a pair whose strategies do not both run is left out
        for where, value in ((f"campaign.baselines key {learner!r}", learner), (f"campaign.baselines.{learner}", base)):
            if value not in loaded:
                raise ConfigError(f"{where}: not a loaded strategy config; allowed: {', '.join(loaded)}")
    for i, target in enumerate(settings.ope_targets):
        if target == SELF or target not in loaded:
            raise ConfigError(f"campaign.ope_targets[{i}] = {target!r}: must name a loaded strategy config "
                              f"({', '.join(loaded)}); the logger's own plan ({SELF!r}) is always a target")
    catalog = build_section(cfg, "scenario").catalog
    for key in settings.true_uplift:
        catalog.index(key, f"campaign.true_uplift.{key}")
    check_axes(cfg, settings)
    plain = OmegaConf.create(OmegaConf.to_container(cfg, resolve=True))
    for axis in settings.grid:
        for value in axis.values:
            trial = plain.copy()
            OmegaConf.update(trial, axis.path, value, merge=False)
            build_section(trial, "campaign")
    return names


def ope_targets(cfg: DictConfig, settings: CampaignSettings) -> dict:
    """The target strategies, built (only those named)."""
    if not settings.ope_targets:
        return {}
    chosen = OmegaConf.merge(cfg, {"strategies": list(settings.ope_targets)})
    return selected_strategies(chosen)
