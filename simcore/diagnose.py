"""Infeasibility diagnosis: which constraints conflict, and how far each would have to move.

Elastic formulation: every row gets a slack s_r >= 0 (a '<=' row may exceed its limit by s_r, a '>='
row may fall short by s_r); minimize sum_r s_r / max(1, |rhs_r|), i.e. the smallest RELATIVE move of
the limits that makes the problem feasible. The rows with positive slack are the ones to move; the
rows tight at that solution are what they conflict with.
"""
from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from simcore.constraints import Row
from simcore.scenario import ScenarioView


@dataclass(frozen=True)
class Relaxation:
    row: Row
    needed: float  # the limit that would make the problem feasible

    def describe(self) -> str:
        unit = "$" if self.row.unit == "$" else ""
        verb = "rise" if self.row.sense == "<=" else "fall"
        what = "" if self.row.unit == "$" else f" {self.row.unit}"
        return (f"{self.row.name} ({self.row.description}) would have to {verb} from {unit}{self.row.rhs:,.2f} "
                f"to {unit}{self.needed:,.2f}{what}")


@dataclass(frozen=True)
class Diagnosis:
    relaxations: tuple[Relaxation, ...]
    tight: tuple[Row, ...]

    def message(self) -> str:
        if not self.relaxations:
            return "infeasible, but no single set of limit moves was found (check eligibility)"
        moves = "; ".join(r.describe() for r in self.relaxations)
        tight = ", ".join(f"{r.name} ({r.description})" for r in self.tight)
        return (f"infeasible: the constraints cannot all hold. Smallest relaxation: {moves}"
                + (f". It conflicts with: {tight}" if tight else "")
                + ". Loosen one of these in scenario.constraints.")


def one_per_customer(customers: np.ndarray, n_customers: int) -> sp.csr_matrix:
    """(n_customers, P) incidence matrix of pairs to their customer."""
    return sp.csr_matrix((np.ones(len(customers)), (customers, np.arange(len(customers)))),
                         shape=(n_customers, len(customers)))


def diagnose(view: ScenarioView, time_limit: float = 60.0) -> Diagnosis:
    pairs, rows = view.pairs, view.system.rows
    if not rows:
        return Diagnosis((), ())
    A = view.system.matrix(pairs.customer, pairs.action, pairs.cost)
    sign = np.array([1.0 if r.sense == "<=" else -1.0 for r in rows])
    rhs = np.array([r.rhs for r in rows])
    x = cp.Variable(len(pairs), boolean=True) if len(pairs) else None
    s = cp.Variable(len(rows), nonneg=True)
    lhs = sp.diags(sign) @ A @ x if x is not None else np.zeros(len(rows))
    cons = [lhs - s <= sign * rhs]
    if x is not None:
        cons.append(one_per_customer(pairs.customer, view.n_customers) @ x <= 1)
    prob = cp.Problem(cp.Minimize(cp.sum(cp.multiply(1 / np.maximum(1.0, np.abs(rhs)), s))), cons)
    prob.solve(solver=cp.HIGHS, time_limit=time_limit)
    if s.value is None:
        return Diagnosis((), ())
    slack = np.asarray(s.value)
    used = A @ (np.round(x.value) if x is not None else np.zeros(0)) if x is not None else np.zeros(len(rows))
    moved = slack > 1e-6 * np.maximum(1.0, np.abs(rhs))
    relax = tuple(Relaxation(rows[i], float(used[i])) for i in np.flatnonzero(moved))
    tight = tuple(rows[i] for i in np.flatnonzero(~moved) if abs(used[i] - rows[i].rhs) <= 1e-6 * max(1, abs(rows[i].rhs)))
    return Diagnosis(relax, tight)
