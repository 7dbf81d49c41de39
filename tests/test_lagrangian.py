"""The lagrangian strategy against brute force, against milp, and its own certificates."""
from __future__ import annotations

import numpy as np
import pytest

from simcore.errors import InfeasibleError
from simcore.evaluate import audit
from strategies.lagrangian import Lagrangian
from strategies.milp import Milp
from strategies.pair_program import PairProgram, solve
from tests.test_contract import world as scenario
from tests.test_milp import brute_force, random_instance

RNG = np.random.default_rng(0)


def feasible(view, plan) -> bool:
    return not [a for a in audit(view, plan) if a.violation > 1e-9]


@pytest.mark.parametrize("working_set", [2, 300])
@pytest.mark.parametrize("seed", range(12))
def test_equals_brute_force_within_its_certified_gap(seed, working_set):
    """working_set=2 settles most customers by price and repairs the rest: the path used at scale."""
    sc = random_instance(seed)
    expected = brute_force(sc)
    strategy = Lagrangian(working_set=working_set)
    if expected is None:
        with pytest.raises(InfeasibleError, match="infeasible"):
            strategy.select(sc.view, RNG)
        return
    plan = strategy.select(sc.view, RNG)
    s = plan.solver
    assert feasible(sc.view, plan)
    assert s.bound >= expected - 1e-6, "the bound must be an upper bound on the true optimum"
    assert s.objective <= expected + 1e-6
    assert expected - s.objective <= s.gap * max(1.0, abs(s.objective)) + 1e-6
    assert s.gap <= 1e-5, "reduced-cost fixing leaves few customers open: the repair is exact here"


def test_reduced_cost_fixing_certifies_a_loose_first_repair():
    """Four of 300 customers open: the first plan is loose; fixing the rest by their margins proves
    (and usually finds) the optimum. Without the step the same run stays loose."""
    from tests.test_milp import knapsack_like

    view = knapsack_like().view
    loose = Lagrangian(working_set=4, exact_set=0).select(view, RNG)
    sharp = Lagrangian(working_set=4).select(view, RNG)
    assert loose.solver.gap > 1e-4
    assert sharp.solver.gap <= 1e-5
    assert feasible(view, sharp)


@pytest.mark.parametrize("name", ["playlistpro", "nba_engine", "clv_retail"])
def test_matches_milp_on_every_preset(name):
    """Each strategy's objective lies under the other's certified bound; the plans are feasible."""
    view = scenario(name).view
    lag = Lagrangian(working_set=40).select(view, RNG)
    milp = Milp().select(view, RNG)
    assert feasible(view, lag)
    tol = 1e-9 * max(1.0, abs(milp.solver.objective))
    assert lag.solver.objective <= milp.solver.bound + tol
    assert milp.solver.objective <= lag.solver.bound + tol
    assert lag.solver.gap <= 1e-2  # 40 of 250 open: a loose repair at this size (LP-IP gap ~1e-3), still certified
    full = Lagrangian().select(view, RNG)
    assert full.solver.objective == pytest.approx(milp.solver.objective, rel=1e-5, abs=1e-6)


def dual_value(view, z: np.ndarray) -> float:
    """The Lagrangian dual function of the whole problem at row prices z, computed here from scratch:
    sum over customers of max(0, best reduced value) + z . rhs."""
    p, rows = view.pairs, view.rows
    reduced = p.value_est - z @ rows.pair_coefficients(p.customer, p.action, p.cost)
    best = np.zeros(view.n_customers)
    np.maximum.at(best, p.customer, reduced)
    return float(best.sum() + z @ rows.rhs)


def assert_optimal_duals(view, prices: dict[str, float]) -> None:
    """Prices are an optimal dual solution of the whole LP relaxation: right signs, and (strong duality)
    their dual value equals the LP optimum. A degenerate LP has many optimal duals; any one will do."""
    assert list(prices) == [r.name for r in view.rows.rows]
    for row in view.rows.rows:
        assert prices[row.name] >= -1e-9 if row.sense == "<=" else prices[row.name] <= 1e-9
    lp = solve(PairProgram.of(view), {}, relax=True)
    z = np.array(list(prices.values()))
    assert dual_value(view, z) == pytest.approx(lp.objective, rel=1e-9, abs=1e-6)
    assert dual_value(view, lp.duals) == pytest.approx(lp.objective, rel=1e-9, abs=1e-6)  # the check itself


def test_shadow_prices_are_optimal_lp_duals_of_the_whole_problem():
    view = scenario("playlistpro").view
    plan = Lagrangian(working_set=40).select(view, RNG)
    prices = {p.row: p.value for p in plan.solver.shadow_prices}
    assert_optimal_duals(view, prices)
    assert prices["budget"] > 0, "the playlistpro budget binds: one more dollar is worth something"
    assert dual_value(view, np.array(list(prices.values())) * 0.5) > dual_value(view, np.array(list(prices.values())))


def test_a_binding_floor_has_a_negative_price():
    """Raise the high-risk floor to 100% (and the budget so it fits): it binds, and its price says what
    one more required contact costs."""
    from benchmarks.config import build_section

    from tests.conftest import compose_config

    cfg = compose_config("scenario=playlistpro", "scenario.constraints.high_risk.min_share=1.0",
                         "scenario.constraints.budget.limit=400")
    view = build_section(cfg, "scenario").build(np.random.SeedSequence(42)).view
    plan = Lagrangian().select(view, RNG)
    prices = {p.row: p.value for p in plan.solver.shadow_prices}
    assert prices["coverage[high_risk]"] < 0
    assert_optimal_duals(view, prices)


def test_chunked_passes_give_the_same_plan():
    view = scenario("clv_retail").view
    one = Lagrangian(working_set=50).select(view, RNG)
    many = Lagrangian(working_set=50, chunk_size=700).select(view, RNG)
    np.testing.assert_array_equal(one.action, many.action)
    assert one.solver.bound == pytest.approx(many.solver.bound, rel=1e-12)


def test_chunks_read_the_costs_and_weights_in_place():
    """A chunk's value matrix is its own; its costs and weights are views of the scenario's column-major
    cost matrix and row weights (at a million customers a copy of both was ~110 MB), and hold the
    same numbers as the customer-major layout did."""
    from strategies.chunks import chunks_of

    view = scenario("clv_retail").view
    weights = view.rows.weights
    chunks = chunks_of(view, weights, 700)
    assert len(chunks) > 2 and chunks[-1].n < 700
    for c in chunks:
        assert np.shares_memory(c.cost, view.cost) and np.shares_memory(c.weights, weights)
        assert np.array_equal(c.cost, view.cost[c.first:c.first + c.n].T)
        assert np.array_equal(c.weights, weights[c.first:c.first + c.n].T)
        mine = (view.pairs.customer >= c.first) & (view.pairs.customer < c.first + c.n)
        value = np.full((view.eligible.shape[1], c.n), -np.inf)
        value[view.pairs.action[mine], view.pairs.customer[mine] - c.first] = view.pairs.value_est[mine]
        assert np.array_equal(c.value, value)


def test_threads_give_the_same_plan_bit_for_bit():
    """Two threads over the chunks add the chunks' sums in the same order as one: the same floats."""
    view = scenario("clv_retail").view
    one = Lagrangian(working_set=50, chunk_size=300, threads=1).select(view, RNG)
    two = Lagrangian(working_set=50, chunk_size=300, threads=2).select(view, RNG)
    np.testing.assert_array_equal(one.action, two.action)
    assert (one.solver.objective, one.solver.bound) == (two.solver.objective, two.solver.bound)
    assert one.solver.shadow_prices == two.solver.shadow_prices


def test_runs_on_a_local_dask_cluster_with_the_same_result():
    view = scenario("playlistpro").view
    local = Lagrangian(working_set=40, chunk_size=60).select(view, RNG)
    dask = Lagrangian(working_set=40, chunk_size=60, backend="dask").select(view, RNG)
    np.testing.assert_array_equal(local.action, dask.action)
    assert dask.solver.bound == pytest.approx(local.solver.bound, rel=1e-9)


def test_milp_past_its_size_warns_or_hands_over():
    view = scenario("clv_retail").view
    with pytest.warns(UserWarning, match="lagrangian"):
        Milp(warn_above_pairs=100).select(view, RNG)
    plan = Milp(warn_above_pairs=100, hand_over=True).select(view, RNG)
    assert "handed over to lagrangian" in plan.note
    assert plan.solver.shadow_prices, "the lagrangian's report comes with the plan"
