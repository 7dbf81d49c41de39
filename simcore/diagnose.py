"""Infeasibility diagnosis: which constraints conflict, and how far each would have to move.

Two steps. First, exact pairwise certificates that cost one pass over the pairs (so they work at a
million customers): a floor that needs b contacts can only be met by b distinct customers of its
group, each using at least the cheapest eligible contact it has; the sum of the b smallest of those
uses of a limit row (budget dollars, capacity contacts) is a lower bound on that row's use, and if it
exceeds the row's limit the two rows conflict ("coverage[high_risk] needs 58 contacts at >= $2 each
= $116; budget is $100"). Second, when no pair of rows explains it, the elastic MILP below.

Elastic formulation: rows may be given a slack s_r >= 0 (a '<=' row may exceed its limit by s_r, a
'>=' row may fall short by s_r). First every row is elastic and sum_r s_r / max(1, |rhs_r|) (the
smallest RELATIVE move of the limits) is minimized: the rows that move, and the rows tight at that
point, form the conflict. Then each row of the conflict is made the ONLY elastic one, which answers
"how far would this one constraint alone have to move": the fixes a user can choose from.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from simcore.constraints import Row, Rows
from simcore.scenario import ScenarioView

GRID_BLOCK = 65_536  # customers per block of the certificates' coefficient grid


@dataclass(frozen=True)
class Fix:
    """Moving ``row`` alone to ``needed`` makes the problem feasible."""

    row: Row
    needed: float

    def describe(self) -> str:
        money = self.row.unit == "$"
        verb = "rise" if self.row.sense == "<=" else "fall"
        fmt = (lambda v: f"${v:,.2f}") if money else (lambda v: f"{v:,.0f} {self.row.unit}")
        return f"{self.row.name} must {verb} from {fmt(self.row.rhs)} to {fmt(self.needed)}"


@dataclass(frozen=True)
class Certificate:
    """Floor row ``floor`` needs ``floor.rhs`` contacts; meeting it uses at least ``least`` of row
    ``limit`` (None: the floor alone, only ``reachable`` customers of its group can be contacted)."""

    floor: Row
    limit: Row | None
    least: float
    reachable: int
    candidates: int
    least_each: float = 0.0

    def describe(self) -> str:
        need = f"{self.floor.name} needs {self.floor.rhs:,.0f} contacts"
        if self.limit is None:
            return f"{need}, but only {self.candidates:,} of its customers have an eligible contact action"
        if self.limit.unit == "$":
            return (f"{need}; even at the cheapest eligible contact for each (>= ${self.least_each:,.2f}) "
                    f"that costs ${self.least:,.2f}; {self.limit.name} is ${self.limit.rhs:,.2f}")
        return (f"{need}, of which at least {self.least:,.0f} count against {self.limit.name} "
                f"(limit {self.limit.rhs:,.0f})")


@dataclass(frozen=True)
class Diagnosis:
    conflict: tuple[Row, ...]  # the rows that cannot hold together
    fixes: tuple[Fix, ...]  # single-row moves that would each restore feasibility
    certificates: tuple[Certificate, ...] = ()  # exact reasons, when a pair of rows explains it

    def message(self) -> str:
        if not self.conflict:
            return ("infeasible, and no move of the constraint limits restores feasibility "
                    "(check eligibility: some group has no eligible action)")
        rows = "; ".join(f"{r.name} ({r.description})" for r in self.conflict)
        text = f"infeasible: these constraints conflict: {rows}."
        if self.certificates:
            text += " Why: " + "; ".join(c.describe() for c in self.certificates) + "."
        if self.fixes:
            text += " Any one of these fixes it: " + "; ".join(f.describe() for f in self.fixes) + "."
        elif self.certificates:
            text += " Resolve each of these conflicts."
        else:
            text += " No single one of them can be moved alone to fix it; loosen several."
        return text + " Change them under scenario.constraints."


def one_per_customer(customers: np.ndarray, n_customers: int) -> sp.csr_matrix:
    """(n_customers, P) incidence matrix of pairs to their customer."""
    return sp.csr_matrix((np.ones(len(customers)), (customers, np.arange(len(customers)))),
                         shape=(n_customers, len(customers)))


def _elastic(A: sp.csr_matrix, rows: tuple[Row, ...], elastic: np.ndarray, view: ScenarioView,
             time_limit: float) -> np.ndarray | None:
    """Row usage A @ x at the least relative move of the elastic rows, or None if even that fails."""
    import cvxpy as cp  # here: only an infeasible problem past the certificates needs it (0.4 s, ~40 MB to import)

    sign = np.array([1.0 if r.sense == "<=" else -1.0 for r in rows])
    rhs = np.array([r.rhs for r in rows])
    x = cp.Variable(A.shape[1], boolean=True)
    s = cp.Variable(len(rows), nonneg=True)
    cons = [sp.diags(sign) @ A @ x - s <= sign * rhs,
            one_per_customer(view.pairs.customer, view.n_customers) @ x <= 1]
    if (~elastic).any():
        cons.append(s[np.flatnonzero(~elastic)] == 0)
    prob = cp.Problem(cp.Minimize(cp.sum(cp.multiply(1 / np.maximum(1.0, np.abs(rhs)), s))), cons)
    prob.solve(solver=cp.HIGHS, time_limit=time_limit)
    if x.value is None or prob.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.USER_LIMIT):
        return None
    return A @ np.round(x.value)


def certificates(view: ScenarioView) -> tuple[Certificate, ...]:
    """Exact pairwise conflicts between a contact-count floor and one limit row (or the floor alone).
    Computed on the dense (customer, action) grid of the customers a floor counts: the same products
    as ``Rows.coefficients``, in the same order, without gathering every pair's weights."""
    rows, compiled, eligible = view.rows.rows, view.rows, view.eligible
    out = []
    for f, floor in enumerate(rows):
        if floor.sense != ">=" or floor.rhs <= 0:
            continue
        found = _counting(compiled, f, eligible, view.cost)
        if found is None:
            continue  # only count floors have this simple certificate
        who, counts = found
        need = int(round(floor.rhs))
        candidates = len(who)
        if candidates < need:
            out.append(Certificate(floor, None, float(need), candidates, candidates))
            continue
        cost = view.cost[who]
        patterns, pattern = _patterns(counts)
        for r, limit in enumerate(rows):
            if limit.sense != "<=":
                continue
            cheapest = _cheapest(compiled, r, who, cost, counts, patterns, pattern)
            room = limit.rhs * (1 + 1e-9) + 1e-9
            if need < len(cheapest) and np.partition(cheapest, need)[:need].sum() < room * (1 - 1e-12):
                continue  # clearly within the limit: the sorted sum below (the one reported) is not needed
            cheapest = np.sort(cheapest)
            least = float(cheapest[:need].sum())
            if least > room:
                reachable = int(np.searchsorted(np.cumsum(cheapest), room, side="right"))
                out.append(Certificate(floor, limit, least, reachable, candidates, float(cheapest[0])))
    return tuple(out)


def _counting(rows: Rows, f: int, eligible: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The customers with an eligible pair that row f counts, and which of their pairs count ((n,) ids,
    (n, K) bool); None unless every eligible coefficient of row f is 0 or 1 (a count). In blocks of
    customers: the whole (N, K) grid of coefficients is 64 MB at a million customers x 8 actions, and
    fresh memory is paid in page faults."""
    who, counts = [], []
    for s in range(0, len(eligible), GRID_BLOCK):
        part = slice(s, s + GRID_BLOCK)
        coef, ok = _grid(rows, f, part, cost[part]), eligible[part]
        if not np.all((coef == 0) | (coef == 1) | ~ok):
            return None
        block = (coef > 0) & ok
        mine = np.flatnonzero(block.any(axis=1))
        who.append(mine + s)
        counts.append(block[mine])
    k = eligible.shape[1]
    return (np.concatenate(who) if who else np.empty(0, np.int64),
            np.concatenate(counts) if counts else np.empty((0, k), bool))


def _patterns(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of counts (n, K) bool, as (P, K), and each customer's index into them."""
    k = counts.shape[1]
    if k > 24:
        return np.unique(counts, axis=0, return_inverse=True)[:2]
    code = np.zeros(len(counts), dtype=np.int64)
    for j in range(k):
        code |= counts[:, j].astype(np.int64) << j
    present = np.flatnonzero(np.bincount(code, minlength=1 << k))
    index = np.zeros(1 << k, dtype=np.int64)
    index[present] = np.arange(len(present))
    return (present[:, None] >> np.arange(k)) & 1 == 1, index[code]


def _cheapest(rows: Rows, r: int, who: np.ndarray, cost: np.ndarray, counts: np.ndarray, patterns: np.ndarray,
              pattern: np.ndarray) -> np.ndarray:
    """(n,) each customer's least row-r coefficient over the actions that count (counts: (n, K)).
    A row without cost weights has coefficient w[c] * a[k]: its least value is w[c] times the least (w >= 0)
    or the largest (w < 0) a[k] over the customer's pattern of counting actions, the same float, since
    rounding a product by a fixed w is monotone; so only the few distinct patterns are reduced."""
    if rows.cost_weighted[r]:
        return np.where(counts, _grid(rows, r, who, cost), np.inf).min(axis=1)
    a = rows.action_weight[r]
    w = rows.weights[who, rows.column[r]]
    least = w * np.where(patterns, a, np.inf).min(axis=1)[pattern]
    negative = w < 0
    if negative.any():  # weights are counts or shares, so almost never: then the largest a[k] is the least
        most = np.where(patterns, a, -np.inf).max(axis=1)[pattern]
        least = np.where(negative, w * most, least)
    return least


def _grid(rows: Rows, r: int, customers: slice | np.ndarray, cost: np.ndarray) -> np.ndarray:
    """(n, K) row r's coefficient of every (customer, action) of the given customers (cost: theirs)."""
    coef = rows.weights[customers, rows.column[r]][:, None] * rows.action_weight[r][None, :]
    return coef * cost if rows.cost_weighted[r] else coef


def diagnose(view: ScenarioView, time_limit: float = 60.0, max_candidates: int = 8) -> Diagnosis:
    pairs, rows = view.pairs, view.rows.rows
    found = certificates(view)
    if found:
        named = {r.name: r for c in found for r in (c.floor, c.limit) if r is not None}
        fixes = ()
        if len(found) == 1:  # with several conflicts no single move is known to fix them all
            c = found[0]
            fixes = (Fix(c.floor, float(c.reachable)),) + (() if c.limit is None else (Fix(c.limit, c.least),))
        return Diagnosis(tuple(named.values()), fixes, found)
    if not rows or len(pairs) == 0:
        return Diagnosis(tuple(r for r in rows if r.sense == ">=" and r.rhs > 0), ())
    A = view.rows.matrix(pairs.customer, pairs.action, pairs.cost)
    used = _elastic(A, rows, np.ones(len(rows), bool), view, time_limit)
    if used is None:
        return Diagnosis((), ())
    rhs = np.array([r.rhs for r in rows])
    over = np.array([(u - r.rhs if r.sense == "<=" else r.rhs - u) for u, r in zip(used, rows)])
    moved = over > 1e-6 * np.maximum(1.0, np.abs(rhs))
    step = np.where(np.isfinite(view.steps), view.steps, 1.0)  # a row no pair touches: one unit
    tight = ~moved & (np.abs(used - rhs) < step)
    conflict = [i for i in range(len(rows)) if moved[i]] + [i for i in range(len(rows)) if tight[i]]
    fixes = []
    for i in conflict[:max_candidates]:
        only = np.zeros(len(rows), bool)
        only[i] = True
        alone = _elastic(A, rows, only, view, time_limit)
        if alone is not None:
            fixes.append(Fix(rows[i], float(alone[i])))
    return Diagnosis(tuple(rows[i] for i in conflict), tuple(fixes))
