"""Adding a constraint kind touches no core module: the README's worked example (ActionCap, a cap on
money-off offers for Premium subscribers) added as one YAML entry is respected by milp, lagrangian and
the heuristics, and audited, like every built-in kind."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.config import build_section, selected_strategies
from simcore.evaluate import audit
from simcore.plan import Plan
from tests.conftest import compose_config

OFFERS = ("discount_20", "in_app_offer")
STRATEGIES = "strategies=[milp,lagrangian,random,clv_top_n]"
BUDGET = "scenario.constraints.budget.limit=600"  # where milp spends on offers


def premium_offers(scenario, plan: Plan) -> int:
    offer = np.isin(plan.action, [scenario.catalog.index(a) for a in OFFERS])
    return int((offer & (scenario.population.table["segment"] == "Premium").to_numpy()).sum())


def world(*overrides: str):
    cfg = compose_config(STRATEGIES, BUDGET, *overrides)
    return build_section(cfg, "scenario").build(np.random.SeedSequence(42)), selected_strategies(cfg)


def test_a_new_kind_from_one_yaml_entry_binds_every_strategy_and_the_audit():
    free, strategies = world()
    uncapped = premium_offers(free, strategies["milp"].select(free.view, np.random.default_rng(0)))
    limit = uncapped // 2
    assert limit >= 1, "the example must cut what milp would otherwise do"
    capped, strategies = world("+scenario.constraints.premium_offers={_target_:simcore.constraints.ActionCap,"
                               f"actions:[{','.join(OFFERS)}],segments:[Premium],limit:{limit}}}")
    row = capped.rows.index("cap[premium_offers]")
    for name, strategy in strategies.items():
        plan = strategy.select(capped.view, np.random.default_rng(0))
        assert premium_offers(capped, plan) <= limit, name
        checked = {a.name: a for a in audit(capped.view, plan)}["cap[premium_offers]"]
        assert checked.used == premium_offers(capped, plan) and checked.violation == 0, name
        if plan.solver is not None:  # the optimizers price the new row like any other
            assert plan.solver.shadow_prices == () or plan.solver.shadow_prices[row].row == "cap[premium_offers]"
    milp = strategies["milp"].select(capped.view, np.random.default_rng(0))
    assert premium_offers(capped, milp) == limit, "milp uses all of the cap it is given (it wanted more)"


def test_a_plan_that_breaks_the_new_kind_is_shown_breaking_it():
    capped, _ = world("+scenario.constraints.premium_offers={_target_:simcore.constraints.ActionCap,"
                      "actions:[discount_20],segments:[Premium],limit:1}")
    premium = np.flatnonzero((capped.population.table["segment"] == "Premium").to_numpy())[:3]
    action = np.full(capped.population.n, -1)
    action[premium] = capped.catalog.index("discount_20")
    row = {a.name: a for a in audit(capped.view, Plan(action))}["cap[premium_offers]"]
    assert (row.used, row.limit, row.violation) == (3, 1, 2)


def test_the_new_kind_validates_like_the_others(tmp_path):
    from benchmarks.run import run
    from simcore.errors import ConfigError

    cfg = compose_config(STRATEGIES, "+scenario.constraints.x={_target_:simcore.constraints.ActionCap,"
                         "actions:[fax],limit:3}")
    with pytest.raises(ConfigError, match=r"scenario\.constraints\.x\.actions\[0\] = 'fax': not in the catalog"):
        run(cfg, tmp_path)
