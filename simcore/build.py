"""The one way a config node becomes an object.

A config (a Hydra composition, a saved config rerun with ``--config-path``, an exported scenario's
``constraints.json``) is untrusted input: it names classes to build with ``_target_``. ``build``

1. admits only trusted targets, checked as TEXT before anything is imported: classes of this project
   (``simcore.``, ``strategies.``, ``benchmarks.``) and of the module prefixes the user lists in
   ``plugins`` (their own package); the target must be a dataclass (our config classes are; a
   function such as ``builtins.open`` or ``numpy.savetxt`` never is); ``_args_``/``_partial_`` are
   refused;
2. checks the node against the schema of its class (:func:`schema`, generated from the dataclass's
   own fields, so defaults are stated once): unknown keys, wrong types and missing values are
   reported with the config path, ``strategy.milp.time_limt: unknown field; allowed: ...``;
3. builds it with ``hydra.utils.instantiate``; a ``ConfigError`` a class raises while validating
   itself gets the node's config path in front.

The same schemas are registered in Hydra's ConfigStore (``benchmarks.schemas``) so the project's YAML
files extend them and Hydra checks types at composition too.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import re
import types
import typing
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Optional

import hydra.utils
from hydra.errors import InstantiationException
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException, ValidationError

from simcore.checks import show, target_of
from simcore.errors import ConfigError, RetentionBenchError

PROJECT = ("simcore", "strategies", "benchmarks")
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
_PREFIX = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
ALLOWED_SPECIAL = ("_target_", "_convert_")


def check_plugins(plugins: Any) -> tuple[str, ...]:
    """The user's trusted module prefixes (``plugins: [mypkg]``): plain dotted module names."""
    if plugins is None:
        return ()
    if isinstance(plugins, str) or not isinstance(plugins, (Sequence, ListConfig)):
        raise ConfigError(f"plugins = {show(plugins)}: must be a list of module prefixes, e.g. [mypkg]")
    out = tuple(plugins)
    for i, p in enumerate(out):
        if not isinstance(p, str) or not _PREFIX.fullmatch(p):
            raise ConfigError(f"plugins[{i}] = {show(p)}: must be a module prefix like mypkg or mypkg.strategies")
    return out


def resolve(target: Any, where: str, plugins: Sequence[str] = ()) -> type:
    """The class a ``_target_`` names, if it is trusted (see the module docstring)."""
    if not isinstance(target, str) or not _DOTTED.fullmatch(target):
        raise ConfigError(f"{where}._target_ = {show(target)}: must be a dotted class path like "
                          "strategies.milp.Milp")
    module = target.rsplit(".", 1)[0]
    trusted = (*PROJECT, *plugins)
    if not any(module == p or module.startswith(p + ".") for p in trusted):
        raise ConfigError(f"{where}._target_ = {target!r}: not a trusted class; configs may build only this "
                          f"project's classes ({', '.join(p + '.' for p in PROJECT)}) and those of module prefixes "
                          "listed in plugins (e.g. plugins=[mypkg])")
    try:
        cls = hydra.utils.get_object(target)
    except Exception as err:  # noqa: BLE001 - a trusted but wrong path: say which
        raise ConfigError(f"{where}._target_ = {target!r}: cannot be imported ({str(err).splitlines()[0]})") from None
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ConfigError(f"{where}._target_ = {target!r}: must name a config class (a dataclass)")
    return cls


@functools.cache
def schema(cls: type) -> type:
    """A structured-config dataclass for ``cls``: ``_target_`` plus every init field with an
    OmegaConf type and the same default (required fields are MISSING)."""
    hints = typing.get_type_hints(cls)
    fields = [("_target_", str, dataclasses.field(default=target_of(cls)))]
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        kind = _omegaconf_type(hints[f.name])
        if f.default is not dataclasses.MISSING:
            default = _schema_value(f.default)
            spec = (dataclasses.field(default_factory=lambda d=default: d)
                    if isinstance(default, (list, dict)) or dataclasses.is_dataclass(default)
                    else dataclasses.field(default=default))
        elif f.default_factory is not dataclasses.MISSING:
            spec = dataclasses.field(default_factory=lambda fac=f.default_factory: _schema_value(fac()))
        else:
            spec = dataclasses.field(default=MISSING)
        fields.append((f.name, kind, spec))
    return dataclasses.make_dataclass(f"{cls.__name__}Schema", fields)


def _omegaconf_type(hint: Any) -> Any:
    """An annotation OmegaConf can check: nested config classes become their schemas, tuples and
    sequences lists, mappings dicts of anything; unions of several classes stay untyped (Any)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in (bool, int, float, str):
        return hint
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        inner = _omegaconf_type(rest[0]) if len(rest) == 1 else Any
        return Optional[inner] if len(rest) < len(args) and inner is not Any else inner
    if origin in (tuple, list) or origin in (Sequence, typing.Sequence):
        item = args[0] if args and args[0] is not Ellipsis else Any
        return list[_omegaconf_type(item)]
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return dict[str, Any]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return schema(hint)
    return Any


def _schema_value(value: Any) -> Any:
    """A default as the schema holds it: config objects as schema instances, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return schema(type(value))(**{f.name: _schema_value(getattr(value, f.name))
                                      for f in dataclasses.fields(value) if f.init})
    if isinstance(value, (tuple, list)):
        return [_schema_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _schema_value(v) for k, v in value.items()}
    return value


def typed(node: Any, where: str, plugins: Sequence[str] = ()) -> Any:
    """The node checked against the schemas of every ``_target_`` in it (children first) and merged
    onto them, so defaults and nested ``_target_`` are filled in. Raises ConfigError with the path."""
    if isinstance(node, (DictConfig, ListConfig)):
        node = OmegaConf.to_container(node, resolve=True)
    if isinstance(node, Mapping):
        special = [k for k in node if isinstance(k, str) and k.startswith("_") and k.endswith("_")
                   and k not in ALLOWED_SPECIAL]
        if special:
            raise ConfigError(f"{where}.{special[0]}: not allowed in a config (only _target_ names what to build)")
        cls = resolve(node["_target_"], where, plugins) if "_target_" in node else None
        node = _nested_targets(node, cls) if cls is not None else node
        children = {k: typed(v, f"{where}.{k}", plugins) for k, v in node.items() if k != "_convert_"}
        if cls is None:
            return children
        try:
            merged = OmegaConf.merge(OmegaConf.structured(schema(cls)), children)
        except ConfigKeyError as err:
            owner = getattr(err, "object_type", None)
            owner = owner if dataclasses.is_dataclass(owner) else schema(cls)
            allowed = [f.name for f in dataclasses.fields(owner) if f.name != "_target_"]
            raise ConfigError(f"{_path(where, err)}: unknown field; allowed: {', '.join(allowed)}") from None
        except ValidationError as err:
            raise ConfigError(f"{_path(where, err)} = {show(_value(children, err))}: {must_be(err)}") from None
        except OmegaConfBaseException as err:
            raise ConfigError(f"{_path(where, err)}: {str(err).splitlines()[0]}") from None
        missing = sorted(OmegaConf.missing_keys(merged))
        if missing:
            raise ConfigError(f"{where}.{missing[0]}: missing; {cls.__name__} needs a value for it")
        return merged
    if isinstance(node, (list, tuple)):
        return [typed(v, f"{where}[{i}]", plugins) for i, v in enumerate(node)]
    return node


def build(node: Any, where: str, plugins: Sequence[str] = (), expect: type | None = None) -> Any:
    """The object a config node describes (see the module docstring); ``expect``: the class it must
    be an instance of (e.g. Strategy for a ``strategy.*`` node).

    Memoized per process on the node's plain value: a sweep builds the same scenario and strategy
    configs in every cell and replicate, and checking a node against its schemas (OmegaConf merges)
    costs ~0.3 s, two thirds of a budget-sweep cell's CPU time. Only frozen dataclasses are shared
    (immutable, and every config class is one); errors are never cached."""
    key = _memo_key(node, where, plugins, expect)
    if key is not None and key in _BUILT:
        _BUILT.move_to_end(key)
        return _BUILT[key]
    obj = _build(node, where, plugins, expect)
    if key is not None and dataclasses.is_dataclass(obj) and type(obj).__dataclass_params__.frozen:
        _BUILT[key] = obj
        while len(_BUILT) > _BUILT_SIZE:
            _BUILT.popitem(last=False)
    return obj


_BUILT: OrderedDict[str, Any] = OrderedDict()
_BUILT_SIZE = 128  # a sweep's distinct configs per worker (12 budgets x a few sections) fit


def _memo_key(node: Any, where: str, plugins: Sequence[str], expect: type | None) -> str | None:
    """The node's plain value and the build's arguments as text, or None when it has no plain value."""
    try:
        plain = OmegaConf.to_container(node, resolve=True) if isinstance(node, (DictConfig, ListConfig)) else node
        return json.dumps([plain, where, list(plugins), target_of(expect) if expect else None], sort_keys=True)
    except Exception:  # noqa: BLE001 - not plain data, or a broken interpolation: _build reports it
        return None


def _build(node: Any, where: str, plugins: Sequence[str], expect: type | None) -> Any:
    tree = typed(node, where, plugins)
    try:
        obj = hydra.utils.instantiate(tree, _convert_="all")
    except InstantiationException as err:
        raise _located(tree, where, err) from None
    except RetentionBenchError as err:
        raise ConfigError(_prefixed(where, str(err))) from None
    if expect is not None and not isinstance(obj, expect):
        raise ConfigError(f"{where}._target_ = {target_of(type(obj))!r}: must be a {expect.__name__}")
    return obj


def _located(tree: Any, where: str, err: InstantiationException) -> ConfigError:
    """The error of the deepest node that fails to build, prefixed with its config path (Hydra's own
    ``full_key`` drops list brackets: actions[0] comes out as actions0). Only runs on the error path:
    rebuilding children is free of side effects (config classes only validate)."""
    is_list = isinstance(tree, (ListConfig, list))
    children = enumerate(tree) if is_list else tree.items() if isinstance(tree, (DictConfig, Mapping)) else ()
    for key, child in children:
        if not isinstance(child, (DictConfig, ListConfig, Mapping, list)):
            continue
        path = f"{where}[{key}]" if is_list else f"{where}.{key}"
        try:
            hydra.utils.instantiate(child, _convert_="all")
        except InstantiationException as inner:
            return _located(child, path, inner)
        except Exception:  # noqa: BLE001 - this child builds alone; keep looking
            continue
    cause = err.__cause__
    while cause is not None and not isinstance(cause, RetentionBenchError):
        cause = cause.__cause__
    if cause is not None:
        return ConfigError(_prefixed(where, str(cause)))
    return ConfigError(f"{where}: {str(err.__cause__ or err).splitlines()[0]}")


def _prefixed(prefix: str, text: str) -> str:
    return text if text.startswith(prefix.split(".")[0] + ".") or text.startswith(prefix) else f"{prefix}.{text}"


def _path(where: str, err: OmegaConfBaseException) -> str:
    key = getattr(err, "full_key", None) or getattr(err, "key", None)
    return f"{where}.{key}" if key else where


def _value(children: Mapping, err: OmegaConfBaseException) -> Any:
    value: Any = children
    for part in str(getattr(err, "full_key", "") or "").split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return getattr(err, "value", None)
    return value


def must_be(err: ValidationError) -> str:
    """OmegaConf's type error as what the value must be."""
    text = str(err).splitlines()[0]
    if "is not a valid bool" in text:
        return "must be true or false"
    if re.search(r"Cannot assign \w+ to Dict", text):
        return "must be a mapping (e.g. {key: value})"
    if re.search(r"Cannot assign \w+ to List|is not a ListConfig", text):
        return "must be a list"
    if "is not Optional" in text or "Incompatible value 'None'" in text:
        return "must not be null"
    match = re.search(r"could not be converted to (\w+)", text)
    return f"must be {'an' if match.group(1)[0] in 'AEIOU' else 'a'} {match.group(1).lower()}" if match else text


def _nested_targets(node: Mapping, cls: type) -> dict:
    """The node with ``_target_`` filled in for children whose field is a config class (or a list of
    them) and that do not name one, so each child is checked with its own config path."""
    hints = typing.get_type_hints(cls)
    out = dict(node)
    for f in dataclasses.fields(cls):
        value, item = out.get(f.name), _config_class(hints.get(f.name))
        if item is None or value is None:
            continue
        if isinstance(value, Mapping) and "_target_" not in value:
            out[f.name] = {"_target_": target_of(item), **value}
        elif isinstance(value, (list, tuple)):
            out[f.name] = [{"_target_": target_of(item), **v} if isinstance(v, Mapping) and "_target_" not in v else v
                           for v in value]
    return out


def _config_class(hint: Any) -> type | None:
    """The config class a field holds (itself, optional, or as list items), else None."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return hint
    args = [a for a in typing.get_args(hint) if a is not type(None) and a is not Ellipsis]
    return _config_class(args[0]) if len(args) == 1 else None
