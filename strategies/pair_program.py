"""The one optimization model both exact strategies solve, handed to HiGHS directly (highspy).

    maximize   value @ x                              (estimated net value, dollars)
    subject to sum of x over each customer's pairs <= 1   (one action per customer)
               A[le] @ x <= rhs[le],  A[~le] @ x >= rhs[~le]   (the compiled constraint rows)
               x binary (or in [0, 1] for the LP relaxation)

over a list of (customer, action) pairs. ``milp`` passes every eligible pair; both strategies pass
the few customers their prices leave undecided, with the limits left after the settled ones
(``strategies.repair``).

Why HiGHS directly and not through CVXPY: the model is one sparse matrix, which HiGHS takes as it is;
CVXPY's compile step cost more than HiGHS's whole LP on the budget sweep's problems, and minutes and
gigabytes at a million customers (README, "Solver settings, measured"). Every solve starts from
scratch (a MILP may be given a starting plan): an LP re-solved from the previous basis can return
another of a degenerate LP's optimal duals (other shadow prices, even another plan), and a sweep's
results must not depend on which cells a worker happened to solve before.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from simcore.errors import ConfigError, SolverError
from simcore.scenario import ScenarioView

HighsOptions = dict[str, float | int | str | bool]

# Branch-and-bound settings for every MILP solved here (the caller's options override them). On this
# shape the integrality gap is tiny and HiGHS's root work dominates; its symmetry search and feasibility
# jump find nothing useful (measured over the budget sweep's problems: README, "Solver settings, measured").
MIP_TUNING: HighsOptions = {"mip_detect_symmetry": False, "mip_heuristic_effort": 0.0,
                            "mip_heuristic_run_feasibility_jump": False}

_LIMITS = {highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit,
           highspy.HighsModelStatus.kSolutionLimit, highspy.HighsModelStatus.kInterrupt,
           highspy.HighsModelStatus.kObjectiveBound, highspy.HighsModelStatus.kObjectiveTarget,
           highspy.HighsModelStatus.kMemoryLimit}
_INFEASIBLE = {highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible}


def check_highs_options(options: Mapping[str, object], where: str = "highs_options") -> dict:
    """``options`` as a dict, every key a HiGHS option and every value one HiGHS accepts (type and
    range), checked on a scratch solver when the config is built: a typo fails before any solve, not
    after the other strategies have run."""
    scratch = _highs()
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

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(R,) lower and upper bounds of the compiled rows, as HiGHS takes them."""
        inf = highspy.kHighsInf
        return np.where(self.le, -inf, self.rhs), np.where(self.le, self.rhs, inf)


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


def _highs() -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def _load(prog: PairProgram, relax: bool) -> highspy.Highs:
    """A HiGHS instance holding the model: the N one-per-customer rows first, then the R rows."""
    n_pairs, n, r = len(prog.value), prog.n_customers, len(prog.rhs)
    one = sp.csr_matrix((np.ones(n_pairs), (prog.customer, np.arange(n_pairs))), shape=(n, n_pairs))
    A = sp.vstack([one, sp.csr_matrix(prog.A)], format="csc")
    lo, hi = prog.row_bounds()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_pairs, n + r
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.asarray(prog.value, dtype=float)
    lp.col_lower_, lp.col_upper_ = np.zeros(n_pairs), np.ones(n_pairs)
    lp.row_lower_ = np.concatenate([np.full(n, -highspy.kHighsInf), lo])
    lp.row_upper_ = np.concatenate([np.ones(n), hi])
    matrix = lp.a_matrix_
    matrix.format_ = highspy.MatrixFormat.kColwise
    matrix.num_col_, matrix.num_row_ = n_pairs, n + r
    matrix.start_, matrix.index_, matrix.value_ = A.indptr, A.indices, A.data
    if not relax:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_pairs
    h = _highs()
    if h.passModel(lp) == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model")
    return h


def _check_magnitudes(prog: PairProgram, options: HighsOptions, what: str) -> None:
    """HiGHS treats an objective coefficient from ``infinite_cost`` (1e20) up as infinite and refuses
    matrix values from ``large_matrix_value`` (1e15) up, with a status that says nothing about the
    input. Say which input is too large instead."""
    cost_limit = float(options.get("infinite_cost", 1e20))
    value = float(np.abs(prog.value).max(initial=0.0))
    if value >= cost_limit:
        raise SolverError(f"{what}: a pair's estimated value is ${value:.3g}, beyond what HiGHS can optimize "
                          f"(its infinite_cost, {cost_limit:.0e}); check the CLV, revenue_gain and cost inputs, or "
                          "state money in thousands")
    matrix_limit = float(options.get("large_matrix_value", 1e15))
    coefficient = float(np.abs(sp.csr_matrix(prog.A).data).max(initial=0.0))
    if coefficient >= matrix_limit:
        raise SolverError(f"{what}: a constraint coefficient (a pair's cost in a budget row) is {coefficient:.3g}, "
                          f"beyond what HiGHS accepts (its large_matrix_value, {matrix_limit:.0e}); check the "
                          "cost inputs, or state money in thousands")


def solve(prog: PairProgram, options: HighsOptions, relax: bool = False, what: str = "milp",
          start: np.ndarray | None = None) -> PairSolution:
    """Solve with HiGHS; ``what`` names the caller in errors; ``start``: (P,) a feasible 0/1 plan to
    start a MILP from. Raises SolverError when HiGHS fails or stops at a limit before finding any
    feasible plan."""
    begin = time.perf_counter()
    if len(prog.value) == 0:  # nothing left to choose
        holds = bool(np.all(np.where(prog.le, prog.rhs >= -1e-9, prog.rhs <= 1e-9)))
        if not holds:
            return PairSolution("infeasible", None, -np.inf, -np.inf, None, time.perf_counter() - begin)
        return PairSolution("optimal", np.zeros(0), 0.0, 0.0, np.zeros(len(prog.rhs)) if relax else None,
                            time.perf_counter() - begin)
    _check_magnitudes(prog, options, what)
    h = _load(prog, relax)
    if relax:  # MIP-only options would make HiGHS reject the LP
        options = {k: v for k, v in options.items() if not k.startswith("mip_")}
    else:
        options = {**MIP_TUNING, **options}
    for key, value in options.items():
        if h.setOptionValue(key, value) != highspy.HighsStatus.kOk:
            raise SolverError(f"{what}: HiGHS does not accept option {key} = {value!r}")
    if not relax and start is not None:
        guess = highspy.HighsSolution()
        guess.col_value = np.asarray(start, dtype=float)
        guess.value_valid = True
        h.setSolution(guess)
    if h.run() == highspy.HighsStatus.kError:
        raise SolverError(f"{what}: HiGHS failed (status {h.modelStatusToString(h.getModelStatus())})")
    seconds = time.perf_counter() - begin
    status, info = h.getModelStatus(), h.getInfo()
    if status in _INFEASIBLE:
        return PairSolution("infeasible", None, -np.inf, -np.inf, None, seconds)
    limited = status in _LIMITS
    if status != highspy.HighsModelStatus.kOptimal and not limited:
        raise SolverError(f"{what}: HiGHS ended with status {h.modelStatusToString(status)!r} and no plan")
    if info.primal_solution_status != 2 or (relax and limited):  # 2: feasible
        raise SolverError(f"{what}: a solver limit (time_limit={options.get('time_limit')} s or a highs_options "
                          "limit) was reached before any feasible plan was found; raise it, or use the "
                          "lagrangian strategy")
    solution = h.getSolution()
    x = np.clip(np.asarray(solution.col_value, dtype=float), 0.0, 1.0)
    if relax:
        objective = float(prog.value @ x)
        duals = np.asarray(solution.row_dual, dtype=float)[prog.n_customers:]
        return PairSolution("optimal", x, objective, objective, duals, seconds)
    x = (x > 0.5).astype(float)
    objective = float(prog.value @ x)
    bound = float(info.mip_dual_bound)
    # no finite dual bound: proven optimal, the plan is its own bound; stopped at a limit before HiGHS
    # proved any bound, there is none (inf), never the plan's own value (a "proven gap" of 0)
    bound = bound if np.isfinite(bound) else np.inf if limited else objective
    return PairSolution("stopped_at_limit" if limited else "optimal", x, objective, max(bound, objective),
                        None, seconds)


def relative_gap(objective: float, bound: float) -> float:
    """(bound - objective) / max(1, |objective|): the certified distance to optimal."""
    return max(0.0, bound - objective) / max(1.0, abs(objective))
