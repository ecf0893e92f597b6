"""Thin wrapper around HiGHS: pass a MILP in matrix form, a start, read the bound.

Kept private: :mod:`tcm_coverage.siting.formulation` builds the matrices (a
:class:`MipProblem`), this module only talks to the solver.

``highspy`` is used when installed (it accepts a starting solution); otherwise the HiGHS
bundled with SciPy (:func:`scipy.optimize.milp`) solves the same model without the start.

Workaround: in HiGHS 1.16.0 a MIP start combined with presolve can lose the objective offset
of columns that presolve fixes ("MIP start solution is feasible in the reduced space:
objective value is 14" for a start worth 20), prune the tree with the wrong cutoff and report
the start as *optimal* (seen on a set-covering model: 20 reported optimal with bound 14, true
optimum 17). So presolve is switched off whenever a start is passed (unless the caller sets
``presolve`` explicitly), and a solution whose objective disagrees with ``c·x`` triggers a
re-solve without the start.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

_HIGHSPY: Any
try:  # the solver of choice; without it SciPy's bundled HiGHS solves the same model
    import highspy as _HIGHSPY
except ImportError:  # pragma: no cover - highspy is a dependency, but may be missing
    _HIGHSPY = None

logger = logging.getLogger(__name__)

#: SciPy ``milp`` status codes as the status texts of :class:`MipOutcome`.
_SCIPY_STATUS: dict[int, str] = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}


@dataclass(frozen=True, eq=False)
class MipProblem:
    """``opt c·x  s.t. row_lower <= A x <= row_upper, col_lower <= x <= col_upper, x_j integer``.

    Attributes
    ----------
    c : numpy.ndarray
        (ncol,) objective coefficients.
    a : scipy.sparse.spmatrix
        (nrow, ncol) constraint matrix.
    row_lower, row_upper : numpy.ndarray
        (nrow,) row bounds, infinite as ``±inf``.
    col_lower, col_upper : numpy.ndarray
        (ncol,) column bounds, infinite as ``±inf``.
    integer : numpy.ndarray
        (ncol,) bool: the column is integer.
    maximize : bool
        Maximise instead of minimise.
    """

    c: np.ndarray
    a: sp.spmatrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    maximize: bool

    @property
    def n_columns(self) -> int:
        """Number of columns."""
        return int(self.c.shape[0])


@dataclass(frozen=True)
class SolveOptions:
    """How the exact solver runs (the keyword arguments every siting model takes).

    Attributes
    ----------
    warm_start : bool
        The models pass their greedy plan to HiGHS as a starting solution.
    time_limit : float or None
        Seconds; the best solution found so far is returned when it runs out.
    mip_gap : float
        Relative gap at which HiGHS stops (``mip_rel_gap``).
    options : Mapping or None
        More HiGHS options by name (e.g. ``{"threads": 1}``).
    """

    warm_start: bool = True
    time_limit: float | None = None
    mip_gap: float = 1e-6
    options: Mapping[str, Any] | None = None


@dataclass(frozen=True, eq=False)
class MipOutcome:
    """What came back from the solver.

    Attributes
    ----------
    x : numpy.ndarray or None
        Column values of the best solution found (None when there is none).
    status : str
        ``"optimal"``, ``"time_limit"``, ``"infeasible"`` or HiGHS's own status text.
    objective : float
        Objective of ``x`` as HiGHS computed it (nan without a solution).
    bound : float
        Dual bound (nan when unknown).
    seconds : float
        Wall time of the solve.
    """

    x: np.ndarray | None
    status: str
    objective: float
    bound: float
    seconds: float


def _quiet_highs(highspy: Any) -> Any:
    """``highspy.Highs()`` without its copyright banner on stdout (it prints before any option
    can be set, and would land in the middle of the CLI's output)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no real stdout (e.g. captured): nothing to hide
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            h = highspy.Highs()
    finally:
        os.dup2(saved, fd)
        os.close(saved)
    return h


def _highspy() -> Any:
    """The ``highspy`` module, or None when it is not installed."""
    return _HIGHSPY


def highs_available() -> bool:
    """True when ``highspy`` can be imported (otherwise SciPy's HiGHS is used, without starts)."""
    return _highspy() is not None


def _solve_scipy(problem: MipProblem, options: SolveOptions) -> MipOutcome:
    t0 = time.perf_counter()
    sign = -1.0 if problem.maximize else 1.0
    opts: dict[str, Any] = {"disp": False, "mip_rel_gap": float(options.mip_gap)}
    if options.time_limit is not None:
        opts["time_limit"] = float(options.time_limit)
    res = milp(sign * np.asarray(problem.c, dtype=np.float64),
               constraints=LinearConstraint(sp.csr_matrix(problem.a), problem.row_lower,
                                            problem.row_upper),
               integrality=np.asarray(problem.integer, dtype=np.int8),
               bounds=Bounds(problem.col_lower, problem.col_upper), options=opts)
    seconds = time.perf_counter() - t0
    text = _SCIPY_STATUS.get(res.status, "error")
    x = None if res.x is None else np.asarray(res.x, dtype=np.float64)
    objective = float(sign * res.fun) if x is not None else np.nan
    bound = getattr(res, "mip_dual_bound", None)
    bound = float(sign * bound) if bound is not None and np.isfinite(bound) else np.nan
    if text == "optimal" and not np.isfinite(bound):
        bound = objective
    return MipOutcome(x=x, status=text, objective=objective, bound=bound, seconds=seconds)


def _finite_or(values: np.ndarray, inf: float) -> np.ndarray:
    """Bounds for HiGHS: ``±inf`` as HiGHS's own infinity."""
    return np.where(np.isfinite(values), values, inf).astype(np.float64)


def _highs_lp(highspy: Any, problem: MipProblem) -> Any:
    """The problem as a ``highspy.HighsLp`` (column-wise matrix)."""
    inf = highspy.kHighsInf
    ncol = problem.n_columns
    csc = sp.csc_matrix(problem.a, dtype=np.float64)
    csc.sum_duplicates()
    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = int(csc.shape[0])
    lp.col_cost_ = np.asarray(problem.c, dtype=np.float64)
    lp.col_lower_ = _finite_or(problem.col_lower, -inf)
    lp.col_upper_ = _finite_or(problem.col_upper, inf)
    lp.row_lower_ = _finite_or(problem.row_lower, -inf)
    lp.row_upper_ = _finite_or(problem.row_upper, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = int(csc.shape[0])
    kint, kcont = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    lp.integrality_ = [kint if flag else kcont for flag in np.asarray(problem.integer, dtype=bool)]
    lp.sense_ = highspy.ObjSense.kMaximize if problem.maximize else highspy.ObjSense.kMinimize
    return lp


def _highs_status(highspy: Any, h: Any) -> str:
    """HiGHS's model status as the status text of :class:`MipOutcome`."""
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if status == highspy.HighsModelStatus.kTimeLimit:
        return "time_limit"
    if status == highspy.HighsModelStatus.kInfeasible:
        return "infeasible"
    return str(h.modelStatusToString(status)).lower().replace(" ", "_")


def _run_highs(highspy: Any, problem: MipProblem, start: np.ndarray | None,
               options: SolveOptions) -> MipOutcome:
    """One HiGHS run: pass the model, set the options and the start, read the outcome."""
    t0 = time.perf_counter()
    h = _quiet_highs(highspy)
    h.setOptionValue("output_flag", False)
    h.passModel(_highs_lp(highspy, problem))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    if start is not None:
        h.setOptionValue("presolve", "off")  # HiGHS 1.16.0 start + presolve bug (see above)
    for key, value in (options.options or {}).items():
        h.setOptionValue(key, value)
    if start is not None:
        ncol = problem.n_columns
        h.setSolution(ncol, np.arange(ncol, dtype=np.int32), np.asarray(start, dtype=np.float64))
    h.run()
    seconds = time.perf_counter() - t0
    text = _highs_status(highspy, h)
    info = h.getInfo()
    has_x = int(info.primal_solution_status) == int(highspy.SolutionStatus.kSolutionStatusFeasible)
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_x else None
    objective = float(info.objective_function_value) if has_x else np.nan
    bound = float(info.mip_dual_bound)
    if not np.isfinite(bound) or abs(bound) >= highspy.kHighsInf:
        bound = np.nan
    logger.debug("HiGHS %s in %.2fs: objective %s, bound %s, %d nodes", text, seconds,
                 objective, bound, int(info.mip_node_count))
    return MipOutcome(x=x, status=text, objective=objective, bound=bound, seconds=seconds)


def solve_mip(
    *,
    problem: MipProblem,
    start: np.ndarray | None = None,
    options: SolveOptions | None = None,
) -> MipOutcome:
    """Solve a :class:`MipProblem` with HiGHS (SciPy's HiGHS, without the start, as fallback).

    Parameters
    ----------
    problem
        The model; infinite bounds as ``±inf``.
    start
        A full feasible column vector passed to HiGHS as a starting solution.
    options
        Time limit, relative gap and more HiGHS options (default :class:`SolveOptions`;
        ``warm_start`` is the models' business: they pass ``start`` or not).

    Returns
    -------
    MipOutcome
    """
    options = SolveOptions() if options is None else options
    highspy = _highspy()
    if highspy is None:
        return _solve_scipy(problem, options)
    outcome = _run_highs(highspy, problem, start, options)
    if outcome.x is None or start is None:
        return outcome
    cx = float(np.dot(problem.c, outcome.x))
    if abs(cx - outcome.objective) <= 1e-6 * max(1.0, abs(cx)):
        return outcome
    logger.warning("HiGHS reported objective %s for a solution worth %s; solving again "
                   "without the starting solution", outcome.objective, cx)
    again = solve_mip(problem=problem, start=None, options=options)
    return MipOutcome(x=again.x, status=again.status, objective=again.objective,
                      bound=again.bound, seconds=outcome.seconds + again.seconds)
