"""Exact MILP solved by HiGHS, LP relaxation first.

x[p] binary over ELIGIBLE pairs only; maximize sum_p value_est[p] x[p] (estimated net value,
dollars) subject to every compiled row of the constraint set and one action per customer.

How: the LP relaxation (HiGHS) gives a bound and the row duals (the shadow prices); at those prices
every customer but a few has a clear best choice. A MILP over the ``repair_set`` customers closest to
indifference, the rest settled, gives a plan; reduced-cost fixing then proves, from the LP bound and
that plan, which customers keep their best choice in every better plan, and a MILP over all the
others (the whole problem if need be) finds the optimum to ``mip_rel_gap`` with its proven bound
(``strategies.repair``). On the budget sweep's problems this is ~10 ms instead of HiGHS's ~0.2 s
branch and bound over the whole problem, with the same optima (README, "Solver settings, measured").

Solver options are chosen deliberately, not left at defaults; the measurements behind each choice are
in the README ("Solver settings, measured"), the one place the timings live:
- presolve and mip_lp_solver "auto" depend on size: from ``large_pairs`` eligible pairs up, presolve is
  off and the LP solver is ipm (HiGHS's MIP presolve is pathological at scale); below it, HiGHS chooses.
- every MILP also gets the branch-and-bound settings in ``pair_program.MIP_TUNING``.
- mip_rel_gap defaults to 1e-6 (HiGHS: 1e-4) so the reported plan is optimal to a gap users can
  compare against.
"""
from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from simcore.checks import check_bool, check_choice, check_mapping, check_scalar
from simcore.errors import InfeasibleError
from simcore.plan import Plan, ShadowPrice, SolverReport
from simcore.scenario import ScenarioView
from strategies.base import Strategy
from strategies.chunks import LocalChunks, chunks_of, one_blas_thread
from strategies.pair_program import PairProgram, check_highs_options, relative_gap, solve
from strategies.repair import Coupled, certified_plan, infeasible


@dataclass(frozen=True)
class Milp(Strategy):
    time_limit: float = 600.0
    mip_rel_gap: float = 1e-6
    presolve: str = "auto"
    mip_lp_solver: str = "auto"
    large_pairs: int = 10_000  # "auto": presolve off and ipm from this many eligible pairs up
    highs_options: Mapping[str, float | int | str | bool] = field(default_factory=dict)
    warn_above_pairs: int = 1_000_000
    hand_over: bool = False  # past warn_above_pairs, solve with the lagrangian strategy instead
    # customers open in the first integer repair at the LP's prices (a basic LP optimum has at most one
    # fractional customer per row)
    repair_set: int = 16

    def __post_init__(self) -> None:
        check_scalar(self.time_limit, "time_limit", float, 0.0, min_inclusive=False)
        check_scalar(self.mip_rel_gap, "mip_rel_gap", float, 0.0, 1.0)
        check_choice(self.presolve, "presolve", ("auto", "off", "choose", "on"))
        check_choice(self.mip_lp_solver, "mip_lp_solver", ("auto", "choose", "simplex", "ipm", "pdlp"))
        check_scalar(self.large_pairs, "large_pairs", int, 0)
        check_scalar(self.warn_above_pairs, "warn_above_pairs", int, 1)
        check_bool(self.hand_over, "hand_over")
        check_scalar(self.repair_set, "repair_set", int, 1)
        object.__setattr__(self, "highs_options", check_highs_options(check_mapping(self.highs_options,
                                                                                    "highs_options")))

    def options(self, n_pairs: int) -> dict[str, float | int | str | bool]:
        """HiGHS options for a problem with n_pairs eligible pairs ("auto" resolved by size)."""
        large = n_pairs >= self.large_pairs
        presolve = ("off" if large else "choose") if self.presolve == "auto" else self.presolve
        lp_solver = ("ipm" if large else "choose") if self.mip_lp_solver == "auto" else self.mip_lp_solver
        return {"time_limit": float(self.time_limit), "mip_rel_gap": float(self.mip_rel_gap),
                "presolve": presolve, "mip_lp_solver": lp_solver, **self.highs_options}

    def select(self, view: ScenarioView, rng: np.random.Generator) -> Plan:
        pairs = view.pairs
        if len(pairs) > self.warn_above_pairs:
            if self.hand_over:
                from strategies.lagrangian import Lagrangian

                plan = Lagrangian(highs_options=dict(self.highs_options)).select(view, rng)
                return Plan(plan.action, plan.solver, _join(
                    f"handed over to lagrangian: {len(pairs):,} eligible pairs > "
                    f"warn_above_pairs={self.warn_above_pairs:,}", plan.note))
            warnings.warn(f"milp: {len(pairs):,} eligible pairs is past strategy.milp.warn_above_pairs="
                          f"{self.warn_above_pairs:,}; the exact MILP may take very long at this size. "
                          "The lagrangian strategy solves the same problem with a certified gap at scale "
                          "(strategies=[lagrangian], or strategy.milp.hand_over=true)", stacklevel=2)
        start = time.perf_counter()
        if len(pairs) == 0:
            return self._empty(view, start)
        program = PairProgram.of(view)
        lp = solve(program, self.options(len(pairs)), relax=True)
        if lp.status == "infeasible":
            raise infeasible(view, "milp")
        # shadow prices: the row duals of the LP relaxation (what one more unit of a limit is worth);
        # as row prices they also settle every customer the LP does not leave close to indifference
        z = np.where(view.rows.le, np.maximum(lp.duals, 0.0), np.minimum(lp.duals, 0.0))
        store = LocalChunks(chunks_of(view, view.rows.weights, view.n_customers))
        bound = store.map_sum(lambda c: c.sums(view.rows, z, 0.0)).exact + float(z @ view.rows.rhs)
        with one_blas_thread():
            options = functools.partial(self._restricted_options, bound, start)
            plan = certified_plan(Coupled.of(view), store, z, bound, self.repair_set, options, view.n_customers, options,
                                  self.mip_rel_gap, "milp")
        gap = relative_gap(plan.objective, plan.bound)
        limited = plan.mip.status == "stopped_at_limit"
        prices = tuple(ShadowPrice(row.name, row.unit, float(d)) for row, d in zip(view.rows.rows, z))
        report = SolverReport(plan.mip.status, plan.objective, plan.bound, gap, time.perf_counter() - start, limited,
                              prices)
        proven = f"proven gap {gap:.2e}" if np.isfinite(gap) else "no bound proven yet"
        note = (f"stopped at a solver limit (time_limit={self.time_limit:g} s or a highs_options limit): "
                f"best plan found, {proven}") if limited else ""
        return Plan(plan.action, solver=report, note=note)

    def _restricted_options(self, bound: float, start: float, n_pairs: int) -> dict[str, float | int | str | bool]:
        """HiGHS options for a MILP over part of the customers (the rest settled), n_pairs of its pairs:
        the gap target of the whole plan as an ABSOLUTE gap (half of mip_rel_gap x the bound), the
        time left."""
        left = max(1e-3, self.time_limit - (time.perf_counter() - start))
        return {**self.options(n_pairs), "mip_rel_gap": 0.0, "mip_abs_gap": 0.5 * self.mip_rel_gap * max(1.0, abs(bound)),
                "time_limit": left, **self.highs_options}

    def _empty(self, view: ScenarioView, start: float) -> Plan:
        short = [r for r in view.rows.rows if r.sense == ">=" and r.rhs > 0]
        if short:
            raise InfeasibleError(f"milp: no customer has an eligible action, but {short[0].name} "
                                  f"needs {short[0].rhs:g} contacts")
        return Plan(
            np.full(view.n_customers, -1, dtype=np.int64),
            solver=SolverReport("optimal", 0.0, 0.0, 0.0, time.perf_counter() - start))


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)
