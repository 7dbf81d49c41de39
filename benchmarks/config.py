"""From the composed config to typed objects. Every node goes through :func:`simcore.build.build`
(trusted targets only, checked against its class's schema, then ``hydra.utils.instantiate``), and
only the strategies a run selects are built."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from simcore.build import build, check_plugins
from simcore.checks import check_identifier
from simcore.errors import ConfigError
from strategies.base import Strategy


CONF = Path(__file__).resolve().parents[1] / "conf"


def compose(*overrides: str, config_dir: Path = CONF) -> DictConfig:
    """The config ``python -m benchmarks.run <overrides>`` would run, composed in-process (scripts,
    tests, the dashboard): the schemas are registered first, as the command line does."""
    from benchmarks import schemas  # here: schemas imports every strategy, config.py must stay light

    schemas.register()
    with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
        return hydra_compose("config", overrides=plain_choices(list(overrides), config_dir))


def optional_groups(config_dir: Path = CONF) -> tuple[str, ...]:
    """The groups conf/config.yaml lists with no default (``- sweep: null``): chosen as ``sweep=NAME``."""
    defaults = OmegaConf.load(config_dir / "config.yaml").get("defaults") or []
    return tuple(k for d in defaults if isinstance(d, DictConfig) for k, v in d.items() if v is None)


def plain_choices(overrides: list[str], config_dir: Path = CONF) -> list[str]:
    """``+sweep=NAME`` as ``sweep=NAME`` for the optional groups: the group is in the defaults list, so
    Hydra would refuse the appending ``+`` that earlier versions (and muscle memory) use."""
    groups = optional_groups(config_dir)
    return [o[1:] if o.startswith("+") and o[1:].partition("=")[0] in groups else o for o in overrides]


def check_top_level(cfg: DictConfig, config_dir: Path = CONF) -> None:
    """Every top-level key is one conf/config.yaml has or a config group (a directory of conf/): the top
    level has no schema, so '+seeed=5' would otherwise run silently with the default seed."""
    groups = (p.name for p in config_dir.iterdir() if p.is_dir())
    allowed = {*OmegaConf.load(config_dir / "config.yaml").keys(), *groups} - {"defaults", "hydra"}
    for key in cfg:
        if key not in allowed and key != "hydra":
            raise ConfigError(f"{key}: unknown top-level key; allowed: {', '.join(sorted(allowed))}")


def plugins(cfg: DictConfig) -> tuple[str, ...]:
    """The module prefixes the user trusts besides this project (``plugins: [mypkg]``)."""
    return check_plugins(cfg.get("plugins"))


def build_section(cfg: DictConfig, key: str, expect: type | None = None) -> Any:
    """The object of the top-level config node ``key`` (scenario, evaluation, tracking, sweep)."""
    if cfg.get(key) is None:
        raise ConfigError(f"{key}: missing from the config")
    if not isinstance(cfg[key], DictConfig):  # 'tracking=off' on a saved config.yaml, which has no groups
        raise ConfigError(f"{key} = {cfg[key]!r}: must be a config node; choosing a {key} by name works on the "
                          f"project's config only; on a saved config.yaml set its fields ({key}.<field>=...)")
    return build(cfg[key], key, plugins(cfg), expect)


def strategy_names(cfg: DictConfig) -> list[str]:
    """The strategies to run, in config order: every loaded ``strategy.*`` config, or those named in
    ``strategies``."""
    loaded = list((cfg.get("strategy") or {}).keys())
    wanted = cfg.get("strategies")
    if wanted is None:
        names = loaded
    else:
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        for i, name in enumerate(names):
            if name not in loaded:
                raise ConfigError(f"strategies[{i}] = {name!r}: unknown strategy; available: {', '.join(loaded)} "
                                  "(a new one needs conf/strategy/<name>.yaml and a line in conf/config.yaml)")
    if not names:
        raise ConfigError("strategies = []: choose at least one strategy")
    for name in names:  # a strategy's name becomes a file name (plans/<name>.csv)
        check_identifier(name, f"strategy.{name}")
    return names


def selected_strategies(cfg: DictConfig) -> dict[str, Strategy]:
    """name -> strategy object, for the selected strategies only (a config that is not run is not
    built: nothing it names is imported)."""
    trusted = plugins(cfg)
    return {name: build(cfg.strategy[name], f"strategy.{name}", trusted, expect=Strategy)
            for name in strategy_names(cfg)}


def strategy_params(cfg: DictConfig, name: str) -> dict[str, str]:
    """A strategy's config as flat string params (for tracking)."""
    node = OmegaConf.to_container(cfg.strategy[name], resolve=True)
    return {k: str(v) for k, v in node.items()}
