"""From row prices to a certified integer plan: the step both exact strategies share.

At prices z (R,) every customer has a best choice (an action, or none) and a margin: how much better
it is than the runner-up, in dollars of reduced value. Any L(z) = sum_i max(0, best reduced value) +
z . rhs is an upper bound on the optimum (weak duality), so:

1. Repair: the customers closest to indifference stay open, the rest are settled at their best
   choice, and a MILP (HiGHS) over the open ones with the limits the settled ones leave gives a plan.
   If the settled choices leave it infeasible, the open set grows x4, up to the whole problem (then
   the infeasibility diagnosis runs).
2. Reduced-cost fixing: any plan x is worth at most L(z) minus the margins its customers give up, so
   in every plan better than the one found, each customer whose margin exceeds L(z) - objective keeps
   its best choice. If those were all open in step 1, its MILP bound holds for the whole problem;
   otherwise, when at most ``exact_set`` of them remain, a MILP over them (the rest fixed) finds the
   optimum and proves a bound for the whole problem.

``milp`` calls this with the exact LP duals and an exact set of the whole problem (so it is always
exact to its gap); ``lagrangian`` with the prices of its dual.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from simcore.constraints import Rows
from simcore.diagnose import diagnose
from simcore.errors import InfeasibleError
from simcore.scenario import ScenarioView
from strategies.chunks import ChunkStore, Settled
from strategies.pair_program import HighsOptions, PairProgram, PairSolution, solve


@dataclass(frozen=True)
class Restricted:
    """The program over the open customers ``ids`` (sorted global ids); pair p of ``program`` is
    customer ids[customer[p]] with action action[p]. settled: what the others contribute."""

    settled: Settled
    program: PairProgram
    ids: np.ndarray
    customer: np.ndarray
    action: np.ndarray


@dataclass(frozen=True)
class Repaired:
    """A certified plan: action (N,) per customer (-1 = none); objective and bound in dollars; mip:
    the last MILP solved (its status says whether a limit stopped it)."""

    action: np.ndarray
    objective: float
    bound: float
    mip: PairSolution


@dataclass(frozen=True)
class Coupled:
    """What the repair needs of a problem: its compiled rows, its number of customers, and the error
    for constraints that cannot all hold (``fail(what)``). A sharded problem has no ScenarioView on
    the driver (``strategies.shards``), so the repair does not ask for one."""

    rows: Rows
    n_customers: int
    fail: Callable[[str], InfeasibleError]

    @classmethod
    def of(cls, view: ScenarioView) -> "Coupled":
        return cls(view.rows, view.n_customers, lambda what: infeasible(view, what))


def restricted(rows: Rows, store: ChunkStore, z: np.ndarray, cut: float, keep: np.ndarray) -> Restricted:
    """Settle every customer whose margin at prices z is >= cut (and not in ``keep``) at its best
    choice; the program over the open ones with the limits the settled ones leave."""
    settled = store.map_sum(lambda c: c.settle(rows, z, cut, keep))
    ids = np.sort(settled.open_ids)
    value, cost, w = store.customers(ids)
    cust, act = np.nonzero(np.isfinite(value))
    coef = rows.coefficients(w[cust], act, cost[cust, act])
    prog = PairProgram(cust, len(ids), value[cust, act], sp.csr_matrix(coef), rows.le, rows.rhs - settled.use)
    return Restricted(settled, prog, ids, cust, act)


def widen(problem: Coupled, part: Restricted, width: int, what: str) -> int:
    """The next open-set width after the settled choices left the open ones infeasible."""
    if len(part.ids) >= problem.n_customers:
        raise problem.fail(what)
    return min(problem.n_customers, 4 * width)


_DIAGNOSED: dict[int, tuple[weakref.ref, str]] = {}


def infeasible(view: ScenarioView, what: str) -> InfeasibleError:
    """The error for a view whose constraints cannot all hold, with its diagnosis (simcore.diagnose).
    A diagnosis may solve several elastic MILPs (~0.5 s on playlistpro) and both exact strategies
    run on the same view in a sweep's cell, so it is kept while the view lives."""
    for key in [k for k, (ref, _) in _DIAGNOSED.items() if ref() is None]:
        del _DIAGNOSED[key]
    known = _DIAGNOSED.get(id(view))
    if known is None or known[0]() is not view:
        known = (weakref.ref(view), diagnose(view).message())
        _DIAGNOSED[id(view)] = known
    return InfeasibleError(f"{what}: {known[1]}")


def certified_plan(problem: Coupled, store: ChunkStore, z: np.ndarray, bound: float, width: int,
                   options: Callable[[int], HighsOptions], exact_set: int,
                   exact_options: Callable[[int], HighsOptions], gap: float, what: str) -> Repaired:
    """Steps 1 and 2 of the module docstring at prices z whose dual value is ``bound`` (a certified
    upper bound). width: customers open in the repair; options(pairs) and exact_options(pairs):
    HiGHS's options for the repair's MILP and the reduced-cost-fixing one, given its number of pairs
    (called when it runs, so a time limit can count what is left); gap: the relative gap below which
    step 2 is skipped."""
    rows, n = problem.rows, problem.n_customers
    none = np.empty(0, dtype=np.int64)
    while True:
        part = restricted(rows, store, z, store.margin_of_width(rows, z, width), none)
        mip = solve(part.program, options(len(part.program.value)), relax=False, what=what)
        if mip.status != "infeasible":
            break
        width = widen(problem, part, width, what)
    objective = part.settled.value + mip.objective
    if len(part.ids) >= n:  # nothing was settled: HiGHS's own bound is a bound on the whole problem
        bound = min(bound, mip.bound)
    cut = (bound - objective) * (1 + 1e-9) + 1e-9
    if len(part.ids) < n and bound - objective > gap * 1e-3 * max(1.0, abs(bound)):
        free = store.count_below(rows, z, cut)
        if free <= len(part.ids):  # those customers were all open in the MILP just solved: its bound holds
            bound = min(bound, max(objective, part.settled.value + mip.bound))
        elif free <= exact_set:
            exact = restricted(rows, store, z, cut, none)
            found = _plan(store.choices(rows, z), part, mip)  # a feasible start: the repaired plan
            start = (found[exact.ids[exact.customer]] == exact.action).astype(float)
            sharp = solve(exact.program, exact_options(len(exact.program.value)), relax=False, what=what,
                          start=start)
            if sharp.status == "infeasible":  # no plan keeps those choices, so none beats this one
                bound = objective
            else:
                bound = min(bound, max(objective, exact.settled.value + sharp.bound))
                if exact.settled.value + sharp.objective > objective:
                    part, mip, objective = exact, sharp, exact.settled.value + sharp.objective
    return Repaired(_plan(store.choices(rows, z), part, mip), objective, max(bound, objective), mip)


def _plan(best: np.ndarray, part: Restricted, mip: PairSolution) -> np.ndarray:
    """(N,) the settled customers at their best choice, the open ones as the MILP chose."""
    action = best.copy()
    action[part.ids] = -1
    chosen = mip.x > 0.5
    action[part.ids[part.customer[chosen]]] = part.action[chosen]
    return action
