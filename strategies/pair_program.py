"""The one optimization model both exact strategies solve, in CVXPY with HiGHS.

    maximize   value @ x                              (estimated net value, dollars)
    subject to sum of x over each customer's pairs <= 1   (one action per customer)
               A[le] @ x <= rhs[le],  A[~le] @ x >= rhs[~le]   (the compiled constraint rows)
               x binary (or in [0, 1] for the LP relaxation)

over a list of (customer, action) pairs. ``milp`` passes every eligible pair; ``lagrangian`` passes
the few customers its dual prices leave undecided, with the limits left after the settled ones.

The right-hand sides are CVXPY Parameters and compiled problems are cached per process (keyed by
everything except the right-hand sides): along a sweep axis that only moves limits (budget,
capacities, floors), a re-solve skips CVXPY's compile step and starts HiGHS from the previous plan
(``warm_start``: HiGHS setSolution), which is usually still feasible when a limit is relaxed.
"""
from __future__ import annotations

import hashlib
import time
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import cvxpy as cp
import highspy
import numpy as np
import scipy.sparse as sp

from simcore.diagnose import one_per_customer
from simcore.errors import ConfigError, SolverError
from simcore.scenario import ScenarioView

HighsOptions = dict[str, float | int | str | bool]

# Branch-and-bound settings for every MILP solved here (the caller's options override them). On this
# shape the integrality gap is tiny and HiGHS's root work dominates; its symmetry search and feasibility
# jump find nothing useful (measured over the budget sweep's problems: README, "Solver settings, measured").
MIP_TUNING: HighsOptions = {"mip_detect_symmetry": False, "mip_heuristic_effort": 0.0,
                            "mip_heuristic_run_feasibility_jump": False}


def check_highs_options(options: Mapping[str, object], where: str = "highs_options") -> dict:
    """``options`` as a dict, every key a HiGHS option and every value one HiGHS accepts (type and
    range), checked on a scratch solver when the config is built: a typo fails before any solve, not
    after the other strategies have run."""
    scratch = highspy.Highs()
    scratch.setOptionValue("output_flag", False)
    for key, value in options.items():
        if scratch.getOptionType(str(key))[0] != highspy.HighsStatus.kOk:
            raise ConfigError(f"{where}.{key}: not a HiGHS option (the list: "
                              "https://ergo-code.github.io/HiGHS/stable/options/definitions/)")
        if scratch.setOptionValue(str(key), value) != highspy.HighsStatus.kOk:
            raise ConfigError(f"{where}.{key} = {value!r}: HiGHS does not accept this value (wrong type or range)")
    return dict(options)


@dataclass(frozen=True)
class PairProgram:
    """customer: (P,) index in 0..n_customers-1 of each pair's customer; value: (P,) dollars;
    A: (R, P) coefficients of the rows; le: (R,) True for '<=' rows; rhs: (R,) their limits."""

    customer: np.ndarray
    n_customers: int
    value: np.ndarray
    A: sp.csr_matrix
    le: np.ndarray
    rhs: np.ndarray

    @classmethod
    def of(cls, view: ScenarioView) -> "PairProgram":
        """The whole problem of a scenario: every eligible pair, every compiled row."""
        p, rows = view.pairs, view.rows
        return cls(p.customer, view.n_customers, p.value_est, rows.matrix(p.customer, p.action, p.cost), rows.le, rows.rhs)

    def key(self, relax: bool) -> str:
        """Everything that fixes the compiled problem, but not the right-hand sides."""
        h = hashlib.blake2b(digest_size=16)
        A = self.A.tocsr()
        for arr in (self.customer, self.value, A.data, A.indices, A.indptr, self.le):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update(f"{self.n_customers}|{A.shape}|{relax}".encode())
        return h.hexdigest()


@dataclass(frozen=True)
class PairSolution:
    """status: optimal | stopped_at_limit | infeasible. x: (P,) in [0, 1] (0/1 unless relaxed), None
    when infeasible. bound: HiGHS's proven upper bound on value @ x. duals: (R,) for a relaxation,
    the marginal objective value of one more unit of each row's rhs (>= 0 for a '<=' row, <= 0 for a
    '>=' row); None for a MILP."""

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    duals: np.ndarray | None
    seconds: float


@dataclass
class _Compiled:
    problem: cp.Problem
    x: cp.Variable
    rhs_le: cp.Parameter | None
    rhs_ge: cp.Parameter | None
    con_le: cp.Constraint | None
    con_ge: cp.Constraint | None


_CACHE: OrderedDict[str, _Compiled] = OrderedDict()
_CACHE_SIZE = 2  # one population's MILP plus its LP relaxation; compiled problems can be large


def _compile(prog: PairProgram, relax: bool) -> _Compiled:
    x = cp.Variable(len(prog.value), nonneg=relax, boolean=not relax)
    cons = [one_per_customer(prog.customer, prog.n_customers) @ x <= 1]
    if relax:
        cons.append(x <= 1)
    out = _Compiled(None, x, None, None, None, None)  # type: ignore[arg-type]
    le = prog.le
    if le.any():
        out.rhs_le = cp.Parameter(int(le.sum()))
        out.con_le = prog.A[le] @ x <= out.rhs_le
        cons.append(out.con_le)
    if (~le).any():
        out.rhs_ge = cp.Parameter(int((~le).sum()))
        out.con_ge = prog.A[~le] @ x >= out.rhs_ge
        cons.append(out.con_ge)
    out.problem = cp.Problem(cp.Maximize(prog.value @ x), cons)
    return out


def _check_magnitudes(prog: PairProgram, options: HighsOptions, what: str) -> None:
    """HiGHS treats an objective coefficient from ``infinite_cost`` (1e20) up as infinite and refuses
    matrix values from ``large_matrix_value`` (1e15) up; CVXPY then fails with a message that says
    nothing about the input. Say which input is too large instead."""
    cost_limit = float(options.get("infinite_cost", 1e20))
    value = float(np.abs(prog.value).max(initial=0.0))
    if value >= cost_limit:
        raise SolverError(f"{what}: a pair's estimated value is ${value:.3g}, beyond what HiGHS can optimize "
                          f"(its infinite_cost, {cost_limit:.0e}); check the CLV, revenue_gain and cost inputs, or "
                          "state money in thousands")
    matrix_limit = float(options.get("large_matrix_value", 1e15))
    coefficient = float(np.abs(prog.A.data).max(initial=0.0))
    if coefficient >= matrix_limit:
        raise SolverError(f"{what}: a constraint coefficient (a pair's cost in a budget row) is {coefficient:.3g}, "
                          f"beyond what HiGHS accepts (its large_matrix_value, {matrix_limit:.0e}); check the "
                          "cost inputs, or state money in thousands")


def solve(prog: PairProgram, options: HighsOptions, relax: bool = False, what: str = "milp") -> PairSolution:
    """Solve with HiGHS; ``what`` names the caller in errors. Raises SolverError when HiGHS fails or
    stops at a limit before finding any feasible plan."""
    start = time.perf_counter()
    if len(prog.value) == 0:  # nothing left to choose (CVXPY cannot hand HiGHS an empty problem)
        holds = bool(np.all(np.where(prog.le, prog.rhs >= -1e-9, prog.rhs <= 1e-9)))
        if not holds:
            return PairSolution("infeasible", None, -np.inf, -np.inf, None, time.perf_counter() - start)
        return PairSolution("optimal", np.zeros(0), 0.0, 0.0, np.zeros(len(prog.rhs)) if relax else None,
                            time.perf_counter() - start)
    _check_magnitudes(prog, options, what)
    key = prog.key(relax)
    compiled = _CACHE.pop(key, None)
    warm = compiled is not None
    if compiled is None:
        compiled = _compile(prog, relax)
    _CACHE[key] = compiled
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    if compiled.rhs_le is not None:
        compiled.rhs_le.value = prog.rhs[prog.le]
    if compiled.rhs_ge is not None:
        compiled.rhs_ge.value = prog.rhs[~prog.le]
    if relax:  # MIP-only options would make HiGHS reject the LP
        options = {k: v for k, v in options.items() if not k.startswith("mip_")}
    else:
        options = {**MIP_TUNING, **options}
    try:
        with warnings.catch_warnings():  # "may be inaccurate" at a limit: we report the proven gap instead
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            compiled.problem.solve(solver=cp.HIGHS, warm_start=warm and not relax, **options)
    except cp.error.SolverError as err:
        raise SolverError(f"{what}: HiGHS failed: {err}") from err
    except ValueError as err:  # CVXPY, on a HiGHS status it cannot read a solution from
        if "Cannot unpack invalid solution" not in str(err):
            raise
        raise SolverError(f"{what}: HiGHS ended without a usable solution (model status unknown)") from err
    seconds = time.perf_counter() - start
    status = compiled.problem.status
    if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE, "infeasible_or_unbounded"):
        return PairSolution("infeasible", None, -np.inf, -np.inf, None, seconds)
    x = compiled.x.value
    info = compiled.problem.solver_stats.extra_stats
    has_solution = x is not None and (relax or getattr(info, "primal_solution_status", 2) == 2)
    if not has_solution:
        if status == cp.USER_LIMIT:
            raise SolverError(f"{what}: a solver limit (time_limit={options.get('time_limit')} s or a highs_options "
                              "limit) was reached before any feasible plan was found; raise it, or use the "
                              "lagrangian strategy")
        raise SolverError(f"{what}: HiGHS ended with status {status!r} and no plan")
    x = np.asarray(x, dtype=float)
    if relax:
        x = np.clip(x, 0.0, 1.0)
        objective = float(prog.value @ x)
        duals = np.zeros(len(prog.rhs))
        if compiled.con_le is not None:
            duals[prog.le] = np.asarray(compiled.con_le.dual_value, float)
        if compiled.con_ge is not None:
            duals[~prog.le] = -np.asarray(compiled.con_ge.dual_value, float)
        return PairSolution("optimal", x, objective, objective, duals, seconds)
    x = (x > 0.5).astype(float)
    objective = float(prog.value @ x)
    # CVXPY hands HiGHS min(-value); HiGHS's dual bound of that is minus our upper bound
    dual_bound = getattr(info, "mip_dual_bound", np.nan)
    limited = status == cp.USER_LIMIT
    # no finite dual bound: proven optimal, the plan is its own bound; stopped at a limit before HiGHS
    # proved any bound, there is none (inf), never the plan's own value (a "proven gap" of 0)
    bound = -float(dual_bound) if np.isfinite(dual_bound) else np.inf if limited else objective
    return PairSolution("stopped_at_limit" if limited else "optimal", x, objective, max(bound, objective),
                        None, seconds)


def relative_gap(objective: float, bound: float) -> float:
    """(bound - objective) / max(1, |objective|): the certified distance to optimal."""
    return max(0.0, bound - objective) / max(1.0, abs(objective))
