"""Compiled constraint rows: the ONE row-matrix type the MILP, the Lagrangian, the heuristics'
greedy filler, the audit and the infeasibility diagnosis all read.

Every constraint kind compiles into linear rows over (customer i, action k) pairs. A row's
coefficient is a product of three factors, and this module holds the only formula for it:

    coef(r, i, k) = weights[i, column[r]] x action_weight[r, k] x (cost[i, k] if cost_weighted[r] else 1)

``weights`` (N, U) stores each distinct customer-weight vector once (column 0 is all ones), so
prices of every pair are two small matrix products (what makes the Lagrangian pass over a million
customers cheap) and the sparse matrix for the MILP is built row by row.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

STEP_CHUNK = 500_000  # pairs per pass of smallest_steps (bounded memory at millions of pairs)

LE, GE = "<=", ">="


@dataclass(frozen=True)
class Row:
    """One linear constraint: sum over the chosen pairs of coef(pair) <sense> rhs.

    kind: the constraint kind that made it (budget, capacity, coverage_floor, ...); unit: "$" or
    "contacts" (what rhs and the row's use count); description: a sentence for people."""

    name: str
    kind: str
    sense: str
    rhs: float
    unit: str
    description: str

    def to_json(self) -> dict[str, str | float]:
        return {"name": self.name, "kind": self.kind, "sense": self.sense, "rhs": self.rhs, "unit": self.unit,
                "description": self.description}


@dataclass(frozen=True)
class RowSpec:
    """What a constraint kind compiles to: a Row and its coefficient factors.

    customer_weight: (N,) per customer (None = 1 for everyone); action_weight: (K,) per action
    (None = 1); cost_weighted: the coefficient is multiplied by the pair's cost (dollars)."""

    row: Row
    customer_weight: np.ndarray | None = None
    action_weight: np.ndarray | None = None
    cost_weighted: bool = False


@dataclass(frozen=True)
class Rows:
    """R compiled rows over N customers x K actions (see the module docstring for the formula).

    rows: (R,) Row; weights: (N, U) float, column-major; column: (R,) int index into weights; action_weight:
    (R, K) float; cost_weighted: (R,) bool."""

    rows: tuple[Row, ...]
    weights: np.ndarray
    column: np.ndarray
    action_weight: np.ndarray
    cost_weighted: np.ndarray

    @classmethod
    def stack(cls, specs: Sequence[RowSpec], n_customers: int, n_actions: int) -> "Rows":
        """Factor the specs: each distinct customer-weight vector becomes one column of ``weights``."""
        columns: list[np.ndarray] = []  # after column 0, every customer weighing 1 (made once, below)
        index = []
        for spec in specs:
            w = None if spec.customer_weight is None else np.asarray(spec.customer_weight, float)
            if w is None or (w == 1.0).all():
                index.append(0)
                continue
            for j, c in enumerate(columns):
                if np.array_equal(c, w):
                    index.append(j + 1)
                    break
            else:
                index.append(len(columns) + 1)
                columns.append(w)
        weights = np.empty((len(columns) + 1, n_customers))
        weights[0] = 1.0
        for j, c in enumerate(columns):
            weights[j + 1] = c
        action_weight = np.array([np.ones(n_actions) if s.action_weight is None else s.action_weight for s in specs],
                                 dtype=float).reshape(len(specs), n_actions)
        # (N, U) stored column-major: a block of customers' weights in one column is contiguous, so the
        # Lagrangian's chunks are views of it, not copies (48 MB at 1,000,000 customers x 6 weights)
        return cls(tuple(s.row for s in specs), weights.T, np.array(index, dtype=np.int64),
                   action_weight, np.array([s.cost_weighted for s in specs], dtype=bool))

    def extended(self, specs: Sequence[RowSpec]) -> "Rows":
        """These rows plus more (e.g. a strategy's own operating limit), re-factored."""
        return Rows.stack([*self.specs(), *specs], *self.shape)

    def specs(self) -> list[RowSpec]:
        return [RowSpec(row, self.weights[:, self.column[r]], self.action_weight[r], bool(self.cost_weighted[r]))
                for r, row in enumerate(self.rows)]

    def subset(self, keep: np.ndarray) -> "Rows":
        """The rows where ``keep`` (R,) bool is true."""
        return Rows(tuple(r for r, k in zip(self.rows, keep) if k), self.weights, self.column[keep],
                    self.action_weight[keep], self.cost_weighted[keep])

    # -- what every reader needs --------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def shape(self) -> tuple[int, int]:
        """(N customers, K actions)."""
        return self.weights.shape[0], self.action_weight.shape[1]

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rows)

    @functools.cached_property
    def le(self) -> np.ndarray:
        """(R,) True for '<=' rows (limits), False for '>=' rows (floors)."""
        return np.array([r.sense == LE for r in self.rows], dtype=bool)

    @functools.cached_property
    def rhs(self) -> np.ndarray:
        return np.array([r.rhs for r in self.rows], dtype=float)

    def index(self, name: str) -> int:
        return self.names.index(name)

    # -- the coefficient formula --------------------------------------------------------------

    def coefficients(self, weights: np.ndarray, actions: np.ndarray, cost: np.ndarray,
                     rows: int | np.ndarray | None = None) -> np.ndarray:
        """(R', M) coefficients of M pairs given by their customers' weight rows (M, U), their actions
        (M,) and their costs (M,) dollars, for the rows ``rows`` (an index or indices; None = all).
        The only place the formula is written."""
        r = np.arange(len(self.rows)) if rows is None else np.atleast_1d(rows)
        coef = weights[:, self.column[r]].T * self.action_weight[r][:, actions]
        return np.where(self.cost_weighted[r, None], coef * cost[None, :], coef)

    def row_coefficients(self, r: int, weights: np.ndarray, actions: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """(M,) coefficients of row r (one row at a time keeps memory at M floats for huge M)."""
        return self.coefficients(weights, actions, cost, r)[0]

    def pair_coefficients(self, customers: np.ndarray, actions: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """(R, M) coefficients of the pairs (customers[m], actions[m]) costing cost[m] dollars."""
        return self.coefficients(self.weights[customers], actions, cost)

    def use(self, customers: np.ndarray, actions: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """(R,) how much of each row the assignments (customers[m], actions[m]) use."""
        w = self.weights[customers]
        return np.array([float(self.row_coefficients(r, w, actions, cost).sum()) for r in range(len(self.rows))])

    def matrix(self, customers: np.ndarray, actions: np.ndarray, cost: np.ndarray) -> sp.csr_matrix:
        """scipy.sparse CSR (R, M) of the coefficients of M pairs, built row by row (bounded memory)."""
        w = self.weights[customers]
        data, row_idx, col_idx = [], [], []
        for r in range(len(self.rows)):
            coef = self.row_coefficients(r, w, actions, cost)
            nz = np.flatnonzero(coef)
            data.append(coef[nz])
            row_idx.append(np.full(len(nz), r))
            col_idx.append(nz)
        if not self.rows:
            return sp.csr_matrix((0, len(customers)))
        return sp.csr_matrix((np.concatenate(data), (np.concatenate(row_idx), np.concatenate(col_idx))),
                             shape=(len(self.rows), len(customers)))

    def smallest_steps(self, customers: np.ndarray, actions: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """(R,) the smallest positive coefficient of each row among the given pairs (inf where none):
        one unit of that row, the least a single assignment can add to it."""
        out = np.full(len(self.rows), np.inf)
        for start in range(0, len(customers), STEP_CHUNK):  # (chunk, U) weights, not (pairs, U): 336 MB at 7M pairs
            part = slice(start, start + STEP_CHUNK)
            w = self.weights[customers[part]]
            for r in range(len(self.rows)):
                coef = self.row_coefficients(r, w, actions[part], cost[part])
                positive = coef[coef > 0]
                if len(positive):
                    out[r] = min(out[r], float(positive.min()))
        return out

    # -- the same formula, summed over customers at prices z (the Lagrangian's passes) ----------

    def price_matrices(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(U, K) price per unit of customer weight at row prices z (R,): for count rows, and per dollar
        for cost-weighted rows. The price of pair (i, k) is weights[i] @ plain[:, k] + weights[i] @
        per_dollar[:, k] x cost[i, k]."""
        k = self.action_weight.shape[1]
        plain, per_dollar = np.zeros((self.weights.shape[1], k)), np.zeros((self.weights.shape[1], k))
        counts, dollars = ~self.cost_weighted, self.cost_weighted
        np.add.at(plain, self.column[counts], z[counts, None] * self.action_weight[counts])
        np.add.at(per_dollar, self.column[dollars], z[dollars, None] * self.action_weight[dollars])
        return plain, per_dollar

    def use_from_sums(self, weighted: np.ndarray, weighted_cost: np.ndarray) -> np.ndarray:
        """(R,) row use from (U, K) sums over customers of weight x choice (and x cost)."""
        source = np.where(self.cost_weighted[:, None], weighted_cost[self.column], weighted[self.column])
        return (source * self.action_weight).sum(axis=1)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.to_json() for r in self.rows],
                            columns=["name", "kind", "sense", "rhs", "unit", "description"])
