"""Turning composed Hydra config into typed objects, with errors that name the config key."""
from __future__ import annotations

import dataclasses
from typing import Any

import hydra.utils
from hydra.errors import InstantiationException
from omegaconf import DictConfig, OmegaConf

from simcore.errors import ConfigError, RetentionBenchError


def instantiate(node: Any, where: str) -> Any:
    """hydra.utils.instantiate, with Hydra's wrapped exceptions turned back into one clear ConfigError."""
    try:
        return hydra.utils.instantiate(node)
    except InstantiationException as err:
        cause = err.__cause__
        while cause is not None and not isinstance(cause, RetentionBenchError):
            cause = cause.__cause__
        if cause is not None:
            raise cause from None
        detail = str(err.__cause__ or err).splitlines()[0]
        if "unexpected keyword argument" in detail:
            field = detail.split("unexpected keyword argument")[-1].strip(" '")
            raise ConfigError(f"{where}.{field}: unknown field; allowed: {', '.join(_fields(node))}") from None
        raise ConfigError(f"{where}: {detail}") from None
    except RetentionBenchError:
        raise
    except Exception as err:  # noqa: BLE001 - anything else from a bad node is still the user's input
        raise ConfigError(f"{where}: {err}") from None


def _fields(node: Any) -> list[str]:
    """The init fields of a node's ``_target_`` dataclass (for 'allowed: ...' messages)."""
    try:
        target = hydra.utils.get_class(node["_target_"])
        return [f.name for f in dataclasses.fields(target) if f.init]
    except Exception:  # noqa: BLE001 - only used to enrich a message
        return ["(see the class docstring)"]


def selected_strategies(cfg: DictConfig) -> dict[str, Any]:
    """The strategies to run, in config order: all of ``cfg.strategy`` or those named in ``cfg.strategies``."""
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
    # every loaded config is validated, not only the selected ones: a typo never waits for its day
    built = {name: instantiate(cfg.strategy[name], f"strategy.{name}") for name in loaded}
    return {name: built[name] for name in names}


def strategy_params(cfg: DictConfig, name: str) -> dict[str, str]:
    """A strategy's config as flat string params (for tracking)."""
    node = OmegaConf.to_container(cfg.strategy[name], resolve=True)
    return {k: str(v) for k, v in node.items()}
