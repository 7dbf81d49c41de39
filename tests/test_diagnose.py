"""The infeasibility diagnosis, for milp and lagrangian alike: a table of constraint sets that cannot
be met, each with the conflict and the exact moves the error message must name."""
from __future__ import annotations

import numpy as np
import pytest

import dataclasses
from types import SimpleNamespace

from simcore.catalog import Action, Catalog
from simcore.constraints import (Budget, ChannelCapacity, ConstraintSet, CoverageFloor, FairnessFloor, MaxContacts,
                                 SaturationCap)
from simcore.diagnose import _cheapest, _grid, _patterns, certificates
from simcore.errors import InfeasibleError
from simcore.scenario import Scenario
from strategies.lagrangian import Lagrangian
from strategies.milp import Milp
from tests.conftest import tiny_population

EMAIL = Action(id="email", channel="email", cost=2.0, uplift=0.1)
PUSH = Action(id="push", channel="push", cost=0.5, uplift=0.05)
ONLY_B = Action(id="call", channel="call", cost=1.0, uplift=0.2, segments=["B"])
HIGH_RISK_60 = CoverageFloor(risk_tiers=["high"], min_share=0.6)


def world(actions, segments=None, **constraints) -> Scenario:
    """10 high-risk customers (segments A and B, 5 each unless given), CLV $100."""
    population = tiny_population(churn_true=[0.8] * 10, clv_true=[100.0] * 10,
                                 segments=segments or ["A"] * 5 + ["B"] * 5)
    catalog = Catalog(actions=actions)
    return Scenario.assemble("diag", population, catalog, ConstraintSet(constraints),
                             catalog.eligibility(population), effect_true=None, rng=np.random.default_rng(0))


CASES = {
    # a floor needs 6 contacts at $2 = $12; the budget is $7
    "budget vs floor": (
        dict(actions=[EMAIL], budget=Budget(limit=7.0), high_risk=HIGH_RISK_60),
        ["coverage[high_risk] needs 6 contacts", "costs $12.00; budget is $7.00",
         "budget must rise from $7.00 to $12.00", "coverage[high_risk] must fall from 6 contacts to 3 contacts"]),
    # email is the only contact and is capped at 4
    "capacity vs floor": (
        dict(actions=[EMAIL], email=ChannelCapacity(channels=["email"], limit=4), high_risk=HIGH_RISK_60),
        ["at least 6 count against capacity[email] (limit 4)",
         "capacity[email] must rise from 4 contacts to 6 contacts",
         "coverage[high_risk] must fall from 6 contacts to 4 contacts"]),
    "contact cap vs fairness floor": (
        dict(actions=[EMAIL, PUSH], max_contacts=MaxContacts(limit=5), fairness=FairnessFloor(min_share=0.8)),
        ["max_contacts", "fairness[A]", "fairness[B]"]),
    "saturation cap vs floor": (
        dict(actions=[PUSH], saturation=SaturationCap(max_share=0.2), high_risk=HIGH_RISK_60),
        ["saturation[push] must rise from 2 contacts to 6 contacts"]),
    # only segment B can be called, and the floor is on segment A
    "floor with no eligible action": (
        dict(actions=[ONLY_B], a_group=CoverageFloor(segments=["A"], min_share=0.4)),
        ["coverage[a_group] needs 2 contacts, but only 0 of its customers have an eligible contact action"]),
    # each floor alone fits the budget ($6 each); together they need $12 > $10: no pair of rows explains it,
    # the elastic MILP finds the three-row conflict
    "two floors and a budget": (
        dict(actions=[EMAIL], budget=Budget(limit=10.0), a=CoverageFloor(segments=["A"], min_share=0.6),
             b=CoverageFloor(segments=["B"], min_share=0.6)),
        ["budget (spend <= $10.00)", "coverage[a]", "coverage[b]", "budget must rise from $10.00 to $12.00"]),
}


@pytest.mark.parametrize("strategy", [Milp(), Lagrangian()], ids=["milp", "lagrangian"])
@pytest.mark.parametrize("case", CASES)
def test_infeasible_constraint_sets_name_the_conflict_and_the_moves(case, strategy):
    spec, expected = CASES[case]
    sc = world(**spec)
    with pytest.raises(InfeasibleError) as err:
        strategy.select(sc.view, np.random.default_rng(0))
    message = str(err.value)
    assert message.startswith(("milp: infeasible", "lagrangian: infeasible"))
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in: {message}"


def test_the_elastic_step_only_runs_when_no_pair_of_rows_explains_it():
    assert certificates(world(**CASES["budget vs floor"][0]).view)
    assert not certificates(world(**CASES["two floors and a budget"][0]).view)


@pytest.mark.parametrize("case", CASES)
def test_each_suggested_move_makes_the_problem_feasible(case):
    """A fix the message offers must really work: apply it and solve."""
    from simcore.diagnose import diagnose

    spec, _ = CASES[case]
    diagnosis = diagnose(world(**spec).view)
    assert diagnosis.fixes or len(diagnosis.certificates) > 1, "one conflict always comes with its moves"
    for fix in diagnosis.fixes:
        sc = world(**spec)
        rows = tuple(r if r.name != fix.row.name else dataclasses.replace(r, rhs=fix.needed) for r in sc.rows.rows)
        view = dataclasses.replace(sc.view, rows=dataclasses.replace(sc.rows, rows=rows))
        plan = Milp().select(view, np.random.default_rng(0))
        assert plan.solver.status == "optimal", fix.describe()


@pytest.mark.parametrize("seed", range(5))
def test_cheapest_by_pattern_equals_the_grid_bit_for_bit(seed):
    """The certificate's per-customer least coefficient, reduced over the distinct patterns of counting
    actions, is the same float as the minimum over the whole (customer, action) grid, for weights of
    either sign and fractional action weights."""
    rng = np.random.default_rng(seed)
    n, k = 500, 6
    rows = SimpleNamespace(weights=rng.choice([-2.5, -1.0, 0.0, 0.3, 1.0, 7.0], size=(n, 2)),
                           column=np.array([0, 1]), action_weight=rng.choice([0.0, 0.5, 1.0, 3.0], size=(2, k)),
                           cost_weighted=np.array([False, True]))
    counts = rng.random((n, k)) < 0.4
    counts[~counts.any(axis=1), 0] = True
    who, cost = np.arange(n), rng.uniform(1, 30, (n, k))
    patterns, pattern = _patterns(counts)
    assert np.array_equal(patterns[pattern], counts)
    for r in (0, 1):
        grid = np.where(counts, _grid(rows, r, who, cost), np.inf).min(axis=1)
        assert np.array_equal(_cheapest(rows, r, who, cost, counts, patterns, pattern), grid)


@pytest.mark.parametrize("case", ["budget vs floor", "capacity vs floor", "saturation cap vs floor",
                                  "floor with no eligible action"])  # the cases a pair of rows explains
def test_certificates_are_the_same_when_the_grid_is_taken_in_blocks(case, monkeypatch):
    """certificates() reads a floor's coefficients a block of customers at a time (no (N, K) grid at a
    million customers); blocks of 3 customers, the last one short, find the same certificates."""
    import simcore.diagnose as diagnose_module

    view = world(**CASES[case][0]).view
    whole = certificates(view)
    monkeypatch.setattr(diagnose_module, "GRID_BLOCK", 3)
    assert whole and certificates(view) == whole
