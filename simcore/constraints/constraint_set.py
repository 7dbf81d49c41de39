"""A scenario's constraints: named constraint objects compiled, in order, into one Rows matrix."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from simcore.catalog import Catalog
from simcore.checks import check_name, prefix_errors, target_of
from simcore.constraints.base import Constraint, Context
from simcore.constraints.kinds import Budget
from simcore.constraints.rows import Rows
from simcore.errors import ConfigError
from simcore.groups import Groups
from simcore.population import Population


@dataclass(frozen=True)
class ConstraintSet:
    """constraints: {key: constraint}; the key is the constraint's name in ``scenario.constraints``
    (override ``scenario.constraints.<key>.<field>``, remove with ``~scenario.constraints.<key>``).
    One action per customer is structural (a plan maps each customer to one action), not a row."""

    constraints: Mapping[str, Constraint] = field(default_factory=dict)

    def __post_init__(self) -> None:
        items = dict(self.constraints or {})
        for key, c in items.items():
            check_name(key, "constraints key")
            if not isinstance(c, Constraint):
                raise ConfigError(f"{key} = {c!r}: must be a constraint (a mapping with _target_: "
                                  "simcore.constraints.Budget, ChannelCapacity, CoverageFloor, ...)")
        budgets = [k for k, c in items.items() if isinstance(c, Budget)]
        if len(budgets) > 1:
            raise ConfigError(f"{', '.join(budgets)}: more than one Budget; a scenario has one total budget")
        object.__setattr__(self, "constraints", items)

    @property
    def budget(self) -> float | None:
        """The total budget in dollars, None without a Budget constraint."""
        return next((float(c.limit) for c in self.constraints.values() if isinstance(c, Budget)), None)

    def compile(self, population: Population | Groups, catalog: Catalog) -> Rows:
        """Every constraint's rows against this population and catalog (shares resolved into counts)."""
        ctx = Context(population, catalog)
        specs = []
        for key, c in self.constraints.items():
            with prefix_errors(f"scenario.constraints.{key}"):
                specs += c.compile(key, ctx)
        names = [s.row.name for s in specs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"scenario.constraints: rows {dup} are defined twice; each row name must be unique")
        return Rows.stack(specs, population.n, len(catalog.actions))

    def to_json(self) -> dict[str, dict]:
        """{key: {_target_, fields}}: what ``scenario.constraints`` would say to rebuild this set."""
        return {key: {"_target_": target_of(type(c)), **_plain(dataclasses.asdict(c))}
                for key, c in self.constraints.items()}


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
