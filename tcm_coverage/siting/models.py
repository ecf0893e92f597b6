r"""Exact site-selection models solved with HiGHS, with the greedy plan as warm start.

Notation (all models)
---------------------
``i`` demand rows with weight :math:`w_i` (population); ``j`` candidate sites with cost
:math:`c_j`; :math:`N_i = \{j : t_{ij} \le T\}` the candidates covering row ``i`` within the
threshold ``T``; :math:`y_j \in \{0,1\}` open candidate ``j``. Existing TCM facilities are
already open: rows they cover within ``T`` are *already covered*, and each row keeps its
time :math:`e_i` to the nearest existing facility (``inf`` when none). Forced candidates have
:math:`y_j = 1`, excluded ones are removed. Forced candidates count toward ``p`` and the
budget.

Every model first reduces the instance (:func:`~tcm_coverage.siting.instance.reduce_covering`
or :func:`~tcm_coverage.siting.instance.reduce_median`; ``reduce=False`` skips row merging
and dominance), runs the matching greedy heuristic, passes it to HiGHS as a starting
solution (``warm_start=True``), and maps the result back to the original rows and
candidates. The objective reported is re-evaluated on the original instance.

Results
-------
Every model returns a :class:`SitingResult`: objective, dual bound, relative gap
``|bound - objective| / max(|objective|, |bound|)``, solver status, seconds, chosen
candidates, whether optimality was proven (within ``mip_gap``), and the greedy objective
with its gap to the same bound. When HiGHS is missing or stops without a solution the
greedy plan is returned with status ``"greedy_fallback"``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from tcm_coverage._errors import InputError
from tcm_coverage.siting._highs import MipOutcome, solve_mip
from tcm_coverage.siting.greedy import (
    GreedyResult,
    check_limits,
    greedy_max_cover,
    greedy_median,
    greedy_set_cover,
    median_objective,
)
from tcm_coverage.siting.instance import (
    KINDS,
    ReducedInstance,
    ReductionStats,
    SitingInstance,
    coverage_after,
    minutes_after,
    reduce_covering,
    reduce_median,
)

logger = logging.getLogger(__name__)

__all__ = [
    "SitingResult",
    "maximal_covering",
    "p_median",
    "set_covering",
    "upgrade_or_build",
]


@dataclass(frozen=True, eq=False)
class SitingResult:
    """Outcome of a siting model, in the indices of the original instance.

    Attributes
    ----------
    model : str
        ``"mclp"``, ``"lscp"``, ``"p_median"`` or ``"upgrade_or_build"``.
    status : str
        ``"optimal"``, ``"time_limit"`` (best plan found, gap open), ``"greedy_fallback"``
        (no exact solution: the greedy plan) or another solver status.
    optimal : bool
        Optimality proven within ``mip_gap``.
    objective : float
        Model objective of ``chosen`` on the original instance: newly covered weight (MCLP),
        total cost or number of sites (LSCP), population-weighted minutes (p-median).
    bound : float
        Best bound on the objective the solver proved (nan when unknown).
    gap : float
        ``|bound - objective| / max(|objective|, |bound|)`` (0 when proven optimal).
    seconds : float
        Wall time of the whole call (reduction, greedy, solve).
    chosen : numpy.ndarray
        Sorted int64 indices of the chosen candidates (forced ones included).
    greedy_objective : float
        Objective of the greedy plan.
    greedy_gap : float
        Gap of the greedy plan to ``bound``, same formula as ``gap``.
    greedy_chosen : numpy.ndarray
        The greedy plan.
    cost : float
        Total cost of ``chosen``.
    covered : numpy.ndarray
        (k,) bool: row within the threshold of an existing or chosen site.
    minutes : numpy.ndarray
        (k,) float64 minutes to the nearest open site as far as the pairs know (``inf``:
        none listed).
    uncoverable : numpy.ndarray
        (k,) bool rows that no existing facility and no candidate can cover (p-median: reach).
    uncoverable_weight : float
        Their total weight (people).
    reduction : ReductionStats or None
        What the reduction removed.
    details : Mapping
        Model-specific numbers (shares before/after, spend by kind, mean minutes ...).
    messages : tuple of str
        Plain-language notes for the planner (uncoverable people, capped targets ...).
    """

    model: str
    status: str
    optimal: bool
    objective: float
    bound: float
    gap: float
    seconds: float
    chosen: np.ndarray
    greedy_objective: float
    greedy_gap: float
    greedy_chosen: np.ndarray
    cost: float
    covered: np.ndarray
    minutes: np.ndarray
    uncoverable: np.ndarray
    uncoverable_weight: float
    reduction: ReductionStats | None
    details: Mapping[str, Any] = field(default_factory=dict)
    messages: tuple[str, ...] = ()

    @property
    def n_chosen(self) -> int:
        """Number of chosen candidates."""
        return int(self.chosen.shape[0])

    def summary(self) -> str:
        """One line for logs."""
        return (
            f"{self.model}: {self.status}, objective {self.objective:,.6g} (bound "
            f"{self.bound:,.6g}, gap {self.gap:.2%}), {self.n_chosen} sites, cost "
            f"{self.cost:,.6g}, {self.seconds:.2f}s; greedy {self.greedy_objective:,.6g} "
            f"(gap {self.greedy_gap:.2%})"
        )


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _gap(value: float, bound: float) -> float:
    if not (np.isfinite(value) and np.isfinite(bound)):
        return np.nan
    den = max(abs(value), abs(bound))
    return 0.0 if den == 0 else abs(bound - value) / den


def _clean_gap(value: float, bound: float, *, maximize: bool, tol: float = 1e-9) -> float:
    """Gap that is 0 when the plan reaches the bound within rounding."""
    if not (np.isfinite(value) and np.isfinite(bound)):
        return np.nan
    beyond = value >= bound - tol * max(1.0, abs(bound)) if maximize else \
        value <= bound + tol * max(1.0, abs(bound))
    return 0.0 if beyond else _gap(value, bound)


def _cover_rows(red: SitingInstance) -> sp.csr_matrix:
    return red.coverage().astype(np.float64)


def _identity_median(inst: SitingInstance, unreached: float) -> ReducedInstance:
    """No reduction for p-median: all rows and pairs, excluded candidates removed."""
    keep = ~inst.excluded
    cmap = np.flatnonzero(keep).astype(np.int64)
    inv = np.full(inst.n_candidates, -1, dtype=np.int64)
    inv[cmap] = np.arange(cmap.shape[0])
    psel = keep[inst.pair_candidate]
    red = replace(inst, pair_demand=inst.pair_demand[psel],
                  pair_candidate=inv[inst.pair_candidate[psel]],
                  pair_minutes=inst.pair_minutes[psel], n_candidates=int(cmap.shape[0]),
                  cost=inst.cost[cmap], forced=inst.forced[cmap],
                  excluded=np.zeros(cmap.shape[0], dtype=bool), kind=inst.kind[cmap])
    has_pair = np.zeros(inst.n_demand, dtype=bool)
    has_pair[red.pair_demand] = True
    unc = ~np.isfinite(inst.existing_minutes) & ~has_pair
    stats = ReductionStats(
        n_demand=inst.n_demand, n_demand_reduced=inst.n_demand, n_already_covered=0,
        already_covered_weight=0.0, n_uncoverable=int(unc.sum()),
        uncoverable_weight=float(inst.weight[unc].sum()), n_merged=0,
        n_candidates=inst.n_candidates, n_candidates_reduced=int(cmap.shape[0]),
        n_excluded=int(inst.excluded.sum()), n_useless=0, n_dominated=0,
        n_pairs=inst.n_pairs, n_pairs_reduced=red.n_pairs,
    )
    return ReducedInstance(instance=red, demand_map=np.arange(inst.n_demand, dtype=np.int64),
                           candidate_map=cmap, uncoverable=unc, constant=0.0, stats=stats)


def _solve_or_trivial(
    *, ncol_int: int, build: Any, start: np.ndarray | None, time_limit: float | None,
    mip_gap: float, options: Mapping[str, Any] | None, maximize: bool,
) -> MipOutcome:
    if ncol_int == 0:
        return MipOutcome(x=None, status="optimal", objective=np.nan, bound=np.nan, seconds=0.0)
    c, a, rl, ru, cl, cu, integer = build()
    return solve_mip(c=c, a=a, row_lower=rl, row_upper=ru, col_lower=cl, col_upper=cu,
                     integer=integer, maximize=maximize, start=start, time_limit=time_limit,
                     mip_gap=mip_gap, options=options)


def _pick(outcome: MipOutcome, n: int, greedy_red: np.ndarray, forced: np.ndarray) -> tuple[
        np.ndarray, str, list[str]]:
    """Chosen reduced candidates from the solver outcome, or the greedy plan."""
    notes: list[str] = []
    if n == 0:
        return np.zeros(0, dtype=np.int64), "optimal", notes
    if outcome.x is None:
        notes.append(f"the exact solver returned no plan ({outcome.status}); "
                     "the greedy plan is reported instead")
        return greedy_red, "greedy_fallback", notes
    y = np.flatnonzero((outcome.x[:n] > 0.5) | forced).astype(np.int64)
    return y, outcome.status, notes


def _keep_better(
    chosen: np.ndarray, objective: float, greedy_chosen: np.ndarray, g_obj: float,
    status: str, notes: list[str], *, maximize: bool, greedy_ok: bool = True,
) -> tuple[np.ndarray, float]:
    """After an early stop, never report a plan worse than the greedy one."""
    if status in ("optimal", "greedy_fallback") or not greedy_ok:
        return chosen, objective
    if (g_obj > objective) if maximize else (g_obj < objective):
        notes.append(f"the solver stopped early ({status}) with a plan worse than the greedy "
                     "one; the greedy plan is reported")
        return greedy_chosen, g_obj
    return chosen, objective


def _kind_details(inst: SitingInstance, chosen: np.ndarray) -> dict[str, Any]:
    kinds = inst.kind[chosen]
    out: dict[str, Any] = {}
    for kind in sorted({str(k) for k in kinds} | set(KINDS)):
        sel = kinds == kind
        if kind == "" and not sel.any():
            continue
        out[f"n_{kind or 'unspecified'}"] = int(sel.sum())
        out[f"cost_{kind or 'unspecified'}"] = float(inst.cost[chosen][sel].sum())
    return out


def _uncoverable_message(inst: SitingInstance, unc: np.ndarray, *, what: str) -> list[str]:
    if not unc.any():
        return []
    rows = np.flatnonzero(unc)
    shown = ", ".join(str(r) for r in rows[:10]) + (" …" if rows.size > 10 else "")
    return [
        f"{inst.weight[unc].sum():,.0f} people in {rows.size} demand rows cannot be {what} "
        f"by any existing facility or candidate within {inst.threshold:g} minutes "
        f"(rows {shown}); they are left out of the optimisation"
    ]


# --------------------------------------------------------------------------------------
# Maximal covering (MCLP)
# --------------------------------------------------------------------------------------
def maximal_covering(
    inst: SitingInstance,
    *,
    p: int | None = None,
    budget: float | None = None,
    reduce: bool = True,
    warm_start: bool = True,
    time_limit: float | None = None,
    mip_gap: float = 1e-6,
    options: Mapping[str, Any] | None = None,
) -> SitingResult:
    r"""Maximal covering location problem: cover the most people not yet covered.

    Formulation (rows already covered by existing facilities and rows no candidate covers
    are constants and left out; :math:`z_i` = row ``i`` newly covered)::

        maximise    sum_i w_i z_i
        subject to  z_i <= sum_{j in N_i} y_j          for every row i
                    sum_j y_j <= p                     (when p is given)
                    sum_j c_j y_j <= B                 (when a budget B is given)
                    y_j = 1 for forced j,  y_j in {0,1},  0 <= z_i <= 1

    (``z`` may be continuous: for integer ``y`` an optimal ``z`` is 0/1.)

    Parameters
    ----------
    inst
        The instance (existing facilities as ``existing_minutes``).
    p
        Maximum number of new sites (forced ones included).
    budget
        Maximum total cost (forced ones included). Give ``p``, ``budget`` or both.
    reduce
        Merge identical rows and drop dominated candidates first.
    warm_start
        Pass the greedy plan to HiGHS as a starting solution.
    time_limit
        Seconds for HiGHS; the best plan found so far is returned (status ``"time_limit"``).
    mip_gap
        Relative gap at which the solver stops and calls the plan optimal.
    options
        More HiGHS options.

    Returns
    -------
    SitingResult
        ``objective`` = people newly covered; ``details`` has the shares covered before and
        after, the people already covered, and counts and spend per candidate kind.
    """
    t0 = time.perf_counter()
    check_limits(inst, p, budget)
    red = reduce_covering(inst, merge=reduce, drop_dominated=reduce, use_cost=budget is not None)
    r = red.instance
    n, k = r.n_candidates, r.n_demand
    g_red = greedy_max_cover(r, p=p, budget=budget)
    a_cov = _cover_rows(r)

    def build() -> tuple:
        blocks = [sp.hstack([-a_cov, sp.identity(k, format="csr")], format="csr")]
        rl, ru = [np.full(k, -np.inf)], [np.zeros(k)]
        if p is not None:
            blocks.append(sp.csr_matrix(np.concatenate([np.ones(n), np.zeros(k)])[None, :]))
            rl.append([-np.inf])
            ru.append([float(p)])
        if budget is not None:
            blocks.append(sp.csr_matrix(np.concatenate([r.cost, np.zeros(k)])[None, :]))
            rl.append([-np.inf])
            ru.append([float(budget)])
        c = np.concatenate([np.zeros(n), r.weight])
        cl = np.concatenate([r.forced.astype(np.float64), np.zeros(k)])
        cu = np.ones(n + k)
        integer = np.concatenate([np.ones(n, dtype=bool), np.zeros(k, dtype=bool)])
        return (c, sp.vstack(blocks, format="csr"), np.concatenate(rl), np.concatenate(ru),
                cl, cu, integer)

    start = None
    if warm_start and n:
        y0 = np.zeros(n)
        y0[g_red.chosen] = 1.0
        z0 = np.minimum(a_cov @ y0, 1.0)
        start = np.concatenate([y0, z0])
    outcome = _solve_or_trivial(ncol_int=n, build=build, start=start, time_limit=time_limit,
                                mip_gap=mip_gap, options=options, maximize=True)
    chosen_red, status, notes = _pick(outcome, n, g_red.chosen, r.forced)
    chosen = red.to_original(chosen_red)
    greedy_chosen = red.to_original(g_red.chosen)

    already = inst.already_covered
    objective = float(inst.weight[coverage_after(inst, chosen) & ~already].sum())
    g_obj = float(inst.weight[coverage_after(inst, greedy_chosen) & ~already].sum())
    chosen, objective = _keep_better(chosen, objective, greedy_chosen, g_obj, status, notes,
                                     maximize=True)
    covered = coverage_after(inst, chosen)
    if n == 0 or k == 0:
        bound = objective
    else:
        bound = outcome.bound if np.isfinite(outcome.bound) else np.nan
    optimal = status == "optimal"
    total = inst.total_weight
    details: dict[str, Any] = {
        "p": p, "budget": budget,
        "already_covered_weight": float(inst.weight[already].sum()),
        "covered_weight": float(inst.weight[covered].sum()),
        "total_weight": total,
        "share_before": float(inst.weight[already].sum() / total) if total else np.nan,
        "share_after": float(inst.weight[covered].sum() / total) if total else np.nan,
        "solver_seconds": outcome.seconds, "greedy_seconds": g_red.seconds,
        **_kind_details(inst, chosen),
    }
    messages = notes + _uncoverable_message(inst, red.uncoverable, what="covered")
    result = SitingResult(
        model="mclp", status=status, optimal=optimal, objective=objective, bound=bound,
        gap=_clean_gap(objective, bound, maximize=True),
        seconds=time.perf_counter() - t0, chosen=chosen,
        greedy_objective=g_obj, greedy_gap=_clean_gap(g_obj, bound, maximize=True),
        greedy_chosen=greedy_chosen, cost=float(inst.cost[chosen].sum()), covered=covered,
        minutes=minutes_after(inst, chosen), uncoverable=red.uncoverable,
        uncoverable_weight=float(inst.weight[red.uncoverable].sum()), reduction=red.stats,
        details=details, messages=tuple(messages),
    )
    logger.info(result.summary())
    return result


def upgrade_or_build(
    inst: SitingInstance,
    *,
    budget: float,
    p: int | None = None,
    **kwargs: Any,
) -> SitingResult:
    r"""Budgeted upgrade-versus-build: cheap 中医阁 upgrades and costly new clinics, one budget.

    The maximal covering model with a budget over candidates of mixed kinds (``"upgrade"``:
    an existing village clinic gains a 中医阁; ``"new"``: a new village clinic with a
    中医阁), each with its own cost::

        maximise    sum_i w_i z_i
        subject to  z_i <= sum_{j in N_i} y_j                       for every row i
                    sum_{j upgrade} c_j y_j + sum_{j new} c_j y_j <= B
                    sum_j y_j <= p                                  (optional)
                    y_j = 1 for forced j,  y_j in {0,1},  0 <= z_i <= 1

    Parameters
    ----------
    inst
        The instance; ``inst.kind`` says which candidates are upgrades and which new builds,
        ``inst.cost`` their per-row costs.
    budget
        Total budget (same unit as the costs).
    p
        Optional cap on the number of sites.
    **kwargs
        Passed on to :func:`maximal_covering` (``reduce``, ``warm_start``, ``time_limit``,
        ``mip_gap``, ``options``).

    Returns
    -------
    SitingResult
        ``details`` has ``n_upgrade``, ``n_new``, ``cost_upgrade``, ``cost_new``.
    """
    kinds = {str(k) for k in inst.kind}
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise InputError(f"unknown candidate kind(s) {unknown}",
                         column="kind", fix=f"use {list(KINDS)}")
    result = maximal_covering(inst, p=p, budget=budget, **kwargs)
    return replace(result, model="upgrade_or_build")


# --------------------------------------------------------------------------------------
# Set covering (LSCP), full or partial
# --------------------------------------------------------------------------------------
def set_covering(
    inst: SitingInstance,
    *,
    share: float = 1.0,
    minimize: str = "cost",
    reduce: bool = True,
    warm_start: bool = True,
    time_limit: float | None = None,
    mip_gap: float = 1e-6,
    options: Mapping[str, Any] | None = None,
) -> SitingResult:
    r"""Location set covering: the cheapest (or fewest) sites covering a share of the people.

    Full cover (``share = 1``), over the rows not yet covered that some candidate covers::

        minimise    sum_j c_j y_j            (c_j = 1 with minimize="count")
        subject to  sum_{j in N_i} y_j >= 1  for every such row i
                    y_j = 1 for forced j,  y_j in {0,1}

    Partial cover (``share < 1``), with ``W`` the total weight and ``W0`` the weight already
    covered by existing facilities::

        minimise    sum_j c_j y_j
        subject to  z_i <= sum_{j in N_i} y_j      for every row i
                    sum_i w_i z_i >= share * W - W0
                    y_j = 1 for forced j,  y_j in {0,1},  0 <= z_i <= 1

    Rows that no existing facility and no candidate can cover are never "infeasible": they
    are reported (``uncoverable``, ``uncoverable_weight`` and a message naming the rows)
    and everything coverable is covered. A partial target above what can be reached is
    capped to the reachable share, with a message.

    Parameters
    ----------
    inst
        The instance.
    share
        Target share of all people, in (0, 1].
    minimize
        ``"cost"`` or ``"count"``.
    reduce, warm_start, time_limit, mip_gap, options
        As in :func:`maximal_covering`.

    Returns
    -------
    SitingResult
        ``objective`` = total cost (or number of sites); ``details`` has the target and
        reached shares and ``target_reached``.
    """
    t0 = time.perf_counter()
    if not 0 < share <= 1:
        raise InputError(f"the target share must be in (0, 1], got {share}.")
    if minimize not in ("cost", "count"):
        raise InputError(f"minimize must be 'cost' or 'count', got {minimize!r}.")
    work = inst if minimize == "cost" else replace(inst, cost=np.ones(inst.n_candidates))
    red = reduce_covering(work, merge=reduce, drop_dominated=reduce, use_cost=True)
    r = red.instance
    n, k = r.n_candidates, r.n_demand
    full = share >= 1.0
    total = inst.total_weight
    w_already = float(inst.weight[inst.already_covered].sum())
    reachable = float(r.weight.sum())
    messages = _uncoverable_message(inst, red.uncoverable, what="covered")
    need = reachable if full else share * total - w_already
    target_reached = True
    if not full and need > reachable * (1 + 1e-12):
        target_reached = False
        messages.append(
            f"the target of {share:.1%} of the people cannot be reached: at most "
            f"{(w_already + reachable) / total:.1%} can be covered; the plan covers all of them"
        )
        need = reachable
    if full and red.uncoverable.any():
        target_reached = False
    need = max(need, 0.0)
    if full:
        g_red = greedy_set_cover(r, share=1.0)
    elif need > 0 and r.total_weight > 0:
        g_red = greedy_set_cover(r, share=min(1.0, need / r.total_weight))
    else:
        forced_red = np.flatnonzero(r.forced).astype(np.int64)
        g_red = GreedyResult(chosen=forced_red, objective=float(r.cost[forced_red].sum()),
                             seconds=0.0)
    a_cov = _cover_rows(r)
    tol = 1e-9 * max(1.0, need)

    def build() -> tuple:
        if full:
            c = r.cost.copy()
            return (c, a_cov, np.ones(k), np.full(k, np.inf), r.forced.astype(np.float64),
                    np.ones(n), np.ones(n, dtype=bool))
        blocks = [sp.hstack([-a_cov, sp.identity(k, format="csr")], format="csr"),
                  sp.csr_matrix(np.concatenate([np.zeros(n), r.weight])[None, :])]
        rl = np.concatenate([np.full(k, -np.inf), [need - tol]])
        ru = np.concatenate([np.zeros(k), [np.inf]])
        c = np.concatenate([r.cost, np.zeros(k)])
        cl = np.concatenate([r.forced.astype(np.float64), np.zeros(k)])
        integer = np.concatenate([np.ones(n, dtype=bool), np.zeros(k, dtype=bool)])
        return c, sp.vstack(blocks, format="csr"), rl, ru, cl, np.ones(n + k), integer

    start = None
    if warm_start and n:
        y0 = np.zeros(n)
        y0[g_red.chosen] = 1.0
        start = y0 if full else np.concatenate([y0, np.minimum(a_cov @ y0, 1.0)])
    trivial = n == 0 or k == 0 or need <= 0
    outcome = _solve_or_trivial(ncol_int=0 if trivial else n, build=build, start=start,
                                time_limit=time_limit, mip_gap=mip_gap, options=options,
                                maximize=False)
    if trivial:
        chosen_red, status, notes = np.flatnonzero(r.forced).astype(np.int64), "optimal", []
    else:
        chosen_red, status, notes = _pick(outcome, n, g_red.chosen, r.forced)
    chosen = red.to_original(chosen_red)
    greedy_chosen = red.to_original(np.flatnonzero(r.forced) if trivial else g_red.chosen)
    objective = float(work.cost[chosen].sum())
    g_obj = float(work.cost[greedy_chosen].sum())
    chosen, objective = _keep_better(chosen, objective, greedy_chosen, g_obj, status, notes,
                                     maximize=False, greedy_ok=g_red.feasible)
    bound = objective if trivial else outcome.bound
    covered = coverage_after(inst, chosen)
    details: dict[str, Any] = {
        "share_target": share, "minimize": minimize, "n_sites": int(chosen.size),
        "share_before": w_already / total if total else np.nan,
        "share_after": float(inst.weight[covered].sum()) / total if total else np.nan,
        "share_reachable": (w_already + reachable) / total if total else np.nan,
        "target_reached": target_reached,
        "solver_seconds": outcome.seconds, "greedy_seconds": g_red.seconds,
        **_kind_details(inst, chosen),
    }
    result = SitingResult(
        model="lscp", status=status, optimal=status == "optimal", objective=objective,
        bound=bound, gap=_clean_gap(objective, bound, maximize=False),
        seconds=time.perf_counter() - t0, chosen=chosen, greedy_objective=g_obj,
        greedy_gap=_clean_gap(g_obj, bound, maximize=False), greedy_chosen=greedy_chosen,
        cost=float(inst.cost[chosen].sum()), covered=covered,
        minutes=minutes_after(inst, chosen), uncoverable=red.uncoverable,
        uncoverable_weight=float(inst.weight[red.uncoverable].sum()), reduction=red.stats,
        details=details, messages=tuple(notes + messages),
    )
    logger.info(result.summary())
    return result


# --------------------------------------------------------------------------------------
# p-median with existing facilities
# --------------------------------------------------------------------------------------
def default_unreached_minutes(inst: SitingInstance) -> float:
    """Penalty for rows no open facility reaches: twice the longest known time (>= threshold).

    Parameters
    ----------
    inst
        The instance.

    Returns
    -------
    float
    """
    finite = inst.existing_minutes[np.isfinite(inst.existing_minutes)]
    longest = max(
        float(inst.pair_minutes.max()) if inst.n_pairs else 0.0,
        float(finite.max()) if finite.size else 0.0,
        inst.threshold,
    )
    return 2.0 * longest


def p_median(
    inst: SitingInstance,
    *,
    p: int,
    unreached_minutes: float | None = None,
    reduce: bool = True,
    warm_start: bool = True,
    time_limit: float | None = None,
    mip_gap: float = 1e-6,
    options: Mapping[str, Any] | None = None,
) -> SitingResult:
    r"""p-median: add up to ``p`` sites to minimise population-weighted travel minutes.

    Existing facilities stay open: each row may *stay* with its nearest existing facility
    at :math:`e_i` minutes (or, when it has none, pay ``unreached_minutes`` = :math:`U`).
    Only listed pairs :math:`(i, j, t_{ij})` can be assigned::

        minimise    sum_i w_i ( sum_j t_ij x_ij + b_i s_i ),   b_i = e_i if finite else U
        subject to  sum_j x_ij + s_i = 1       for every row i
                    x_ij <= y_j                for every listed pair (i, j)
                    sum_j y_j <= p
                    y_j = 1 for forced j,  y_j in {0,1},  x_ij, s_i >= 0

    Residents go to the nearest open site (the minimisation assigns them there). With the
    reduction, only pairs faster than the row's existing facility are kept and rows without
    one are constants.

    Parameters
    ----------
    inst
        The instance; pairs up to a generous cutoff (not just the coverage threshold) make
        the model meaningful.
    p
        Maximum number of new sites (forced ones included).
    unreached_minutes
        Minutes charged to a resident no open facility reaches (default
        :func:`default_unreached_minutes`). Those residents are reported.
    reduce, warm_start, time_limit, mip_gap, options
        As in :func:`maximal_covering`.

    Returns
    -------
    SitingResult
        ``objective`` = population-weighted minutes; ``details`` has the weighted mean
        minutes before and after and the people still unreached.
    """
    t0 = time.perf_counter()
    check_limits(inst, p, None)
    unreached = default_unreached_minutes(inst) if unreached_minutes is None \
        else float(unreached_minutes)
    red = reduce_median(inst, unreached_minutes=unreached) if reduce \
        else _identity_median(inst, unreached)
    r = red.instance
    n, k, m = r.n_candidates, r.n_demand, r.n_pairs
    g_red = greedy_median(r, p=p, unreached_minutes=unreached)
    base = np.where(np.isfinite(r.existing_minutes), r.existing_minutes, unreached)

    def build() -> tuple:
        # columns: y (n) | x (m pairs) | s (k)
        ar_m = np.arange(m)
        assign = sp.csr_matrix(
            (np.ones(m + k), (np.concatenate([r.pair_demand, np.arange(k)]),
                              np.concatenate([n + ar_m, n + m + np.arange(k)]))),
            shape=(k, n + m + k))
        link = sp.csr_matrix(
            (np.concatenate([np.ones(m), -np.ones(m)]),
             (np.concatenate([ar_m, ar_m]), np.concatenate([n + ar_m, r.pair_candidate]))),
            shape=(m, n + m + k))
        count = sp.csr_matrix(np.concatenate([np.ones(n), np.zeros(m + k)])[None, :])
        a = sp.vstack([assign, link, count], format="csr")
        rl = np.concatenate([np.ones(k), np.full(m, -np.inf), [-np.inf]])
        ru = np.concatenate([np.ones(k), np.zeros(m), [float(p)]])
        c = np.concatenate([np.zeros(n), r.weight[r.pair_demand] * r.pair_minutes,
                            r.weight * base])
        cl = np.concatenate([r.forced.astype(np.float64), np.zeros(m + k)])
        cu = np.ones(n + m + k)
        integer = np.concatenate([np.ones(n, dtype=bool), np.zeros(m + k, dtype=bool)])
        return c, a, rl, ru, cl, cu, integer

    start = None
    if warm_start and n:
        start = _median_start(r, g_red, base)
    outcome = _solve_or_trivial(ncol_int=n if k else 0, build=build, start=start,
                                time_limit=time_limit, mip_gap=mip_gap, options=options,
                                maximize=False)
    if n == 0 or k == 0:
        chosen_red, status, notes = np.flatnonzero(r.forced).astype(np.int64), "optimal", []
    else:
        chosen_red, status, notes = _pick(outcome, n, g_red.chosen, r.forced)
    chosen = red.to_original(chosen_red)
    greedy_chosen = red.to_original(g_red.chosen)
    objective = median_objective(inst, chosen, unreached)
    g_obj = median_objective(inst, greedy_chosen, unreached)
    chosen, objective = _keep_better(chosen, objective, greedy_chosen, g_obj, status, notes,
                                     maximize=False)
    bound = objective if (n == 0 or k == 0) else outcome.bound + red.constant
    minutes = minutes_after(inst, chosen)
    total = inst.total_weight
    unreached_after = ~np.isfinite(minutes)
    before = median_objective(inst, np.zeros(0, dtype=np.int64), unreached)
    details: dict[str, Any] = {
        "p": p, "unreached_minutes": unreached,
        "weighted_minutes_before": before,
        "mean_minutes_before": before / total if total else np.nan,
        "mean_minutes_after": objective / total if total else np.nan,
        "unreached_weight_after": float(inst.weight[unreached_after].sum()),
        "n_unreached_after": int(unreached_after.sum()),
        "solver_seconds": outcome.seconds, "greedy_seconds": g_red.seconds,
        **_kind_details(inst, chosen),
    }
    messages = list(notes)
    if unreached_after.any():
        messages.append(
            f"{inst.weight[unreached_after].sum():,.0f} people in {int(unreached_after.sum())} "
            f"demand rows reach no open facility; each is counted at {unreached:g} minutes"
        )
    result = SitingResult(
        model="p_median", status=status, optimal=status == "optimal", objective=objective,
        bound=bound, gap=_clean_gap(objective, bound, maximize=False),
        seconds=time.perf_counter() - t0, chosen=chosen, greedy_objective=g_obj,
        greedy_gap=_clean_gap(g_obj, bound, maximize=False), greedy_chosen=greedy_chosen,
        cost=float(inst.cost[chosen].sum()),
        covered=minutes <= inst.threshold, minutes=minutes, uncoverable=red.uncoverable,
        uncoverable_weight=float(inst.weight[red.uncoverable].sum()), reduction=red.stats,
        details=details, messages=tuple(messages),
    )
    logger.info(result.summary())
    return result


def _median_start(r: SitingInstance, g: GreedyResult, base: np.ndarray) -> np.ndarray:
    """Full start vector (y | x | s) for the greedy plan: each row to its nearest open site."""
    n, k, m = r.n_candidates, r.n_demand, r.n_pairs
    y = np.zeros(n)
    y[g.chosen] = 1.0
    x = np.zeros(m)
    s = np.ones(k)
    open_pair = np.flatnonzero(y[r.pair_candidate] > 0)
    if open_pair.size:
        t = r.pair_minutes[open_pair]
        d = r.pair_demand[open_pair]
        order = np.lexsort((t, d))
        first = np.ones(order.size, dtype=bool)
        first[1:] = d[order][1:] != d[order][:-1]
        best_pair = open_pair[order[first]]
        better = r.pair_minutes[best_pair] < base[r.pair_demand[best_pair]]
        best_pair = best_pair[better]
        x[best_pair] = 1.0
        s[r.pair_demand[best_pair]] = 0.0
    return np.concatenate([y, x, s])
