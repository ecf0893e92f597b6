"""Thin wrapper around HiGHS: pass a MILP in matrix form, a start, read the bound.

Kept private: the models in :mod:`tcm_coverage.siting.models` build the matrices, this
module only talks to the solver.

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
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)


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
    import os
    import sys

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
    try:
        import highspy
    except ImportError:
        return None
    return highspy


def highs_available() -> bool:
    """True when ``highspy`` can be imported (otherwise SciPy's HiGHS is used, without starts)."""
    return _highspy() is not None


def _solve_scipy(
    *, c: np.ndarray, a: sp.spmatrix, row_lower: np.ndarray, row_upper: np.ndarray,
    col_lower: np.ndarray, col_upper: np.ndarray, integer: np.ndarray, maximize: bool,
    time_limit: float | None, mip_gap: float,
) -> MipOutcome:
    from scipy.optimize import Bounds, LinearConstraint, milp

    t0 = time.perf_counter()
    sign = -1.0 if maximize else 1.0
    opts: dict[str, Any] = {"disp": False, "mip_rel_gap": float(mip_gap)}
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    res = milp(sign * np.asarray(c, dtype=np.float64),
               constraints=LinearConstraint(sp.csr_matrix(a), row_lower, row_upper),
               integrality=np.asarray(integer, dtype=np.int8),
               bounds=Bounds(col_lower, col_upper), options=opts)
    seconds = time.perf_counter() - t0
    text = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}.get(res.status, "error")
    x = None if res.x is None else np.asarray(res.x, dtype=np.float64)
    objective = float(sign * res.fun) if x is not None else np.nan
    bound = getattr(res, "mip_dual_bound", None)
    bound = float(sign * bound) if bound is not None and np.isfinite(bound) else np.nan
    if text == "optimal" and not np.isfinite(bound):
        bound = objective
    return MipOutcome(x=x, status=text, objective=objective, bound=bound, seconds=seconds)


def solve_mip(
    *,
    c: np.ndarray,
    a: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    maximize: bool,
    start: np.ndarray | None = None,
    time_limit: float | None = None,
    mip_gap: float = 1e-6,
    options: Mapping[str, Any] | None = None,
) -> MipOutcome:
    """Solve ``opt c·x  s.t. row_lower <= A x <= row_upper, col bounds, x_j integer``.

    Parameters
    ----------
    c, a, row_lower, row_upper, col_lower, col_upper, integer
        The model; infinite bounds as ``±inf``.
    maximize
        Maximise instead of minimise.
    start
        A full feasible column vector passed to HiGHS as a starting solution.
    time_limit
        Seconds; the best solution found so far is returned when it runs out.
    mip_gap
        Relative gap at which HiGHS stops (``mip_rel_gap``).
    options
        More HiGHS options by name (e.g. ``{"threads": 1}``).

    Returns
    -------
    MipOutcome
    """
    highspy = _highspy()
    if highspy is None:
        return _solve_scipy(c=c, a=a, row_lower=row_lower, row_upper=row_upper,
                            col_lower=col_lower, col_upper=col_upper, integer=integer,
                            maximize=maximize, time_limit=time_limit, mip_gap=mip_gap)
    t0 = time.perf_counter()
    inf = highspy.kHighsInf
    ncol = int(c.shape[0])
    csc = sp.csc_matrix(a, dtype=np.float64)
    csc.sum_duplicates()
    h = _quiet_highs(highspy)
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = int(csc.shape[0])
    lp.col_cost_ = np.asarray(c, dtype=np.float64)
    lp.col_lower_ = np.where(np.isfinite(col_lower), col_lower, -inf).astype(np.float64)
    lp.col_upper_ = np.where(np.isfinite(col_upper), col_upper, inf).astype(np.float64)
    lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -inf).astype(np.float64)
    lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, inf).astype(np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = int(csc.shape[0])
    kint, kcont = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    lp.integrality_ = [kint if flag else kcont for flag in np.asarray(integer, dtype=bool)]
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    h.passModel(lp)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if start is not None:
        h.setOptionValue("presolve", "off")  # HiGHS 1.16.0 start + presolve bug (see above)
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    if start is not None:
        idx = np.arange(ncol, dtype=np.int32)
        h.setSolution(ncol, idx, np.asarray(start, dtype=np.float64))
    h.run()
    seconds = time.perf_counter() - t0
    status = h.getModelStatus()
    info = h.getInfo()
    has_x = int(info.primal_solution_status) == int(highspy.SolutionStatus.kSolutionStatusFeasible)
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_x else None
    if status == highspy.HighsModelStatus.kOptimal:
        text = "optimal"
    elif status == highspy.HighsModelStatus.kTimeLimit:
        text = "time_limit"
    elif status == highspy.HighsModelStatus.kInfeasible:
        text = "infeasible"
    else:
        text = h.modelStatusToString(status).lower().replace(" ", "_")
    objective = float(info.objective_function_value) if has_x else np.nan
    bound = float(info.mip_dual_bound)
    if not np.isfinite(bound) or abs(bound) >= inf:
        bound = np.nan
    logger.debug("HiGHS %s in %.2fs: objective %s, bound %s, %d nodes", text, seconds,
                 objective, bound, int(info.mip_node_count))
    if x is not None and start is not None:
        cx = float(np.dot(c, x))
        if abs(cx - objective) > 1e-6 * max(1.0, abs(cx)):
            logger.warning("HiGHS reported objective %s for a solution worth %s; solving again "
                           "without the starting solution", objective, cx)
            again = solve_mip(c=c, a=a, row_lower=row_lower, row_upper=row_upper,
                              col_lower=col_lower, col_upper=col_upper, integer=integer,
                              maximize=maximize, start=None, time_limit=time_limit,
                              mip_gap=mip_gap, options=options)
            return MipOutcome(x=again.x, status=again.status, objective=again.objective,
                              bound=again.bound, seconds=seconds + again.seconds)
    return MipOutcome(x=x, status=text, objective=objective, bound=bound, seconds=seconds)
