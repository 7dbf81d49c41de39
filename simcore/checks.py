"""Small validation helpers used by every config dataclass.

Each raises :class:`ConfigError` with ``<field> = <value>: <what is allowed>``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from simcore.errors import ConfigError

T = TypeVar("T")


def show(value: Any) -> str:
    """A value as a user wrote it: 1.2, not np.float64(1.2)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    return repr(value)


def number(value: float) -> str:
    """A number as a person writes it: -5, not -5.0 (configs turn 5 into 5.0 for a float field)."""
    return f"{value:g}" if isinstance(value, float) and value.is_integer() and abs(value) < 1e15 else show(value)


@contextmanager
def prefix_errors(prefix: str) -> Iterator[None]:
    """Prefix the field path of any ConfigError raised inside (``n = 0`` -> ``scenario.population.n = 0``)."""
    try:
        yield
    except ConfigError as err:
        text = str(err)
        raise ConfigError(text if text.startswith(prefix) else f"{prefix}.{text}") from None


def check_scalar(
    value: Any,
    name: str,
    kind: type | tuple[type, ...] = float,
    min_val: float | None = None,
    max_val: float | None = None,
    *,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
) -> Any:
    """Check type and range of one number; ints are accepted where floats are expected."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds:
        kinds = (*kinds, int)
    if isinstance(value, bool) or not isinstance(value, kinds):
        names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
        allowed = " or ".join(names.get(k, k.__name__) for k in kinds if k is not int or float not in kinds)
        raise ConfigError(f"{name} = {show(value)}: must be {allowed}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name} = {show(value)}: must be a finite number")
    if min_val is not None and (value < min_val if min_inclusive else value <= min_val):
        raise ConfigError(f"{name} = {number(value)}: must be {'>=' if min_inclusive else '>'} {number(min_val)}")
    if max_val is not None and (value > max_val if max_inclusive else value >= max_val):
        raise ConfigError(f"{name} = {number(value)}: must be {'<=' if max_inclusive else '<'} {number(max_val)}")
    return value


def check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} = {show(value)}: must be true or false")
    return value


def check_mapping(value: Any, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name} = {show(value)}: must be a mapping (e.g. {{key: value}})")
    return dict(value)


def check_share(value: Any, name: str) -> float:
    """A fraction in [0, 1] (a probability, a floor, a cap)."""
    return float(check_scalar(value, name, float, 0.0, 1.0))


def check_choice(value: Any, name: str, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ConfigError(f"{name} = {value!r}: must be one of {', '.join(map(str, allowed))}")
    return value


IDENTIFIER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
SEED_MAX = 2**63 - 1  # seeds are stored in int64 columns


def check_identifier(value: Any, name: str) -> str:
    """A name that becomes part of a file or run name (a strategy, a scenario, a sweep): letters,
    digits, _ and -, at most 64, so it can never leave its directory (no /, no ..)."""
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
        raise ConfigError(f"{name} = {value!r}: must be a plain name (letters, digits, _ and -; at most 64 "
                          "characters)")
    return value


def check_seed(value: Any, name: str = "seed") -> int:
    return check_scalar(value, name, int, 0, SEED_MAX)


def check_name(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} = {value!r}: must be a non-empty string")
    return value


def as_str_tuple(value: Any, name: str) -> tuple[str, ...]:
    """Accept a string or a list of strings (YAML lists arrive as ListConfig or list)."""
    if isinstance(value, str):
        return (value,)
    if value is None or isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ConfigError(f"{name} = {value!r}: must be a string or a list of strings")
    out = tuple(value)
    for i, item in enumerate(out):
        check_name(item, f"{name}[{i}]")
    return out


def tuple_of(value: Any, name: str, cls: type[T]) -> tuple[T, ...]:
    """A list of ``cls`` objects as a tuple (None -> ()). Configs build the objects (one way:
    ``simcore.build``); here we only check that they are what they must be."""
    if value is None:
        return ()
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise ConfigError(f"{name} = {show(value)}: must be a list of {cls.__name__}")
    out = tuple(value)
    for i, item in enumerate(out):
        check_instance(item, f"{name}[{i}]", cls)
    return out


def check_instance(value: Any, name: str, cls: type[T]) -> T:
    if not isinstance(value, cls):
        raise ConfigError(f"{name} = {show(value)}: must be a {cls.__name__} (in a config: a mapping with "
                          f"_target_: {target_of(cls)})")
    return value


def target_of(cls: type) -> str:
    """The ``_target_`` string that names ``cls``."""
    return f"{cls.__module__}.{cls.__qualname__}"
