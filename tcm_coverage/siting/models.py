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

One skeleton (:func:`_run_model`)
---------------------------------
Every model validates its limits, reduces the instance
(:func:`~tcm_coverage.siting.reduction.reduce_covering` or
:func:`~tcm_coverage.siting.reduction.reduce_median`; ``reduce=False`` skips row merging and
dominance), runs the matching greedy heuristic and writes its formulation from the named
constraint blocks of :mod:`tcm_coverage.siting.formulation` (the ``[block]`` tags in the
docstrings below), all in a :class:`~tcm_coverage.siting.skeleton.ModelSpec`. The shared
skeleton then passes the greedy plan to HiGHS as a starting solution (``warm_start=True``),
solves (or, with nothing to optimise, keeps the forced candidates), and
:func:`~tcm_coverage.siting.skeleton.finish` maps the plan back to the original rows and
candidates, re-evaluates the objective there, never reports a plan worse than the greedy
one, and fills the :class:`~tcm_coverage.siting.result.SitingResult`.

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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from tcm_coverage._errors import InputError
from tcm_coverage.siting._highs import SolveOptions, solve_mip
from tcm_coverage.siting.formulation import (
    max_cover_formulation,
    median_formulation,
    set_cover_formulation,
)
from tcm_coverage.siting.greedy import (
    GreedyResult,
    check_limits,
    greedy_max_cover,
    greedy_median,
    greedy_set_cover,
    median_objective,
)
from tcm_coverage.siting.instance import KINDS, SitingInstance, coverage_after
from tcm_coverage.siting.quotas import (
    QUOTA_INFEASIBLE,
    TownshipQuotas,
    check_quotas,
    quota_greedy_ok,
    quota_notes,
)
from tcm_coverage.siting.reduction import (
    ReducedInstance,
    reduce_covering,
    reduce_median,
    unreduced_median,
)
from tcm_coverage.siting.result import SitingResult, uncoverable_message
from tcm_coverage.siting.skeleton import (
    NOTHING_TO_SOLVE,
    ModelSpec,
    Plan,
    SolverKeywords,
    finish,
    solve_options,
    warm_start,
)

if TYPE_CHECKING:  # typing.Unpack is Python 3.11+; the package runs on 3.10
    from typing_extensions import Unpack

logger = logging.getLogger(__name__)

__all__ = [
    "SitingResult",
    "SolverKeywords",
    "default_unreached_minutes",
    "maximal_covering",
    "p_median",
    "set_covering",
    "upgrade_or_build",
]


# --------------------------------------------------------------------------------------
# The skeleton
# --------------------------------------------------------------------------------------
def _run_model(inst: SitingInstance, spec: ModelSpec, solver: SolveOptions,
               t0: float) -> SitingResult:
    """The skeleton every model shares: solve (the greedy plan as start), then finish."""
    outcome = NOTHING_TO_SOLVE if spec.formulation is None else solve_mip(
        problem=spec.formulation.problem, start=warm_start(spec, solver), options=solver)
    if outcome.status == "infeasible" and spec.infeasible:
        raise InputError(spec.infeasible, fix="lower the township quotas or raise p / the budget")
    result = finish(inst, spec, outcome, t0)
    logger.info(result.summary())
    return result


# --------------------------------------------------------------------------------------
# Maximal covering (MCLP)
# --------------------------------------------------------------------------------------
def maximal_covering(
    inst: SitingInstance,
    *,
    p: int | None = None,
    budget: float | None = None,
    quotas: TownshipQuotas | None = None,
    reduce: bool = True,
    **solver: Unpack[SolverKeywords],
) -> SitingResult:
    r"""Maximal covering location problem: cover the most people not yet covered.

    Formulation (rows already covered by existing facilities and rows no candidate covers
    are constants and left out; :math:`z_i` = row ``i`` newly covered)::

        maximise    sum_i w_i z_i
        subject to  z_i <= sum_{j in N_i} y_j          for every row i     [cover_rows]
                    sum_j y_j <= p                     (when p is given)   [open_limit]
                    sum_j c_j y_j <= B                 (when a budget B)   [budget]
                    per-township quotas               (when given)        [township_quota]
                    y_j = 1 for forced j,  y_j in {0,1},  0 <= z_i <= 1

    (``z`` may be continuous: for integer ``y`` an optimal ``z`` is 0/1. The quota rows are
    those of :mod:`tcm_coverage.siting.quotas`.)

    Parameters
    ----------
    inst
        The instance (existing facilities as ``existing_minutes``).
    p
        Maximum number of new sites (forced ones included).
    budget
        Maximum total cost (forced ones included). Give ``p``, ``budget`` or both.
    quotas
        Per-township quotas (:func:`~tcm_coverage.siting.quotas.township_quotas`): at least /
        at most so many sites, a share of village clinics with a 中医阁. Impossible ones are
        named township by township before the solve (:class:`InputError`); with quotas no
        candidate is dropped as dominated (rows are still merged).
    reduce
        Merge identical rows and drop dominated candidates first.
    **solver
        The solver's keywords (:class:`SolverKeywords`): ``warm_start`` (pass the greedy plan
        to HiGHS as a starting solution, default True), ``time_limit`` (seconds for HiGHS; the
        best plan found so far is returned with status ``"time_limit"``), ``mip_gap`` (relative
        gap at which the solver stops and calls the plan optimal, default 1e-6) and
        ``options`` (more HiGHS options).

    Returns
    -------
    SitingResult
        ``objective`` = people newly covered; ``details`` has the shares covered before and
        after, the people already covered, and counts and spend per candidate kind.
    """
    t0 = time.perf_counter()
    check_limits(inst, p, budget)
    if quotas is not None:
        check_quotas(inst, quotas, p=p, budget=budget)
    red = reduce_covering(inst, merge=reduce, drop_dominated=reduce, use_cost=budget is not None,
                          keep_candidates=quotas is not None)
    r = red.instance
    already = inst.already_covered
    total = inst.total_weight

    def newly_covered(chosen: np.ndarray) -> float:
        return float(inst.weight[coverage_after(inst, chosen) & ~already].sum())

    def report(plan: Plan) -> tuple[dict[str, Any], list[str]]:
        details = {
            "p": p, "budget": budget,
            "already_covered_weight": float(inst.weight[already].sum()),
            "covered_weight": float(inst.weight[plan.covered].sum()),
            "total_weight": total,
            "share_before": float(inst.weight[already].sum() / total) if total else np.nan,
            "share_after": float(inst.weight[plan.covered].sum() / total) if total else np.nan,
        }
        q_details, q_notes = quota_notes(inst, quotas, plan.chosen)
        return {**details, **q_details}, uncoverable_message(inst, red.uncoverable,
                                                             what="covered") + q_notes

    trivial = r.n_candidates == 0 or (r.n_demand == 0 and quotas is None)
    greedy = greedy_max_cover(r, p=p, budget=budget)
    rq = None if quotas is None else quotas.restricted(red.candidate_map)
    spec = ModelSpec(
        name="mclp", maximize=True, reduced=red, greedy=greedy,
        formulation=None if trivial else max_cover_formulation(r, p=p, limit=budget, quotas=rq),
        evaluate=newly_covered, report=report, greedy_ok=quota_greedy_ok(red, quotas, greedy),
        infeasible="" if quotas is None else QUOTA_INFEASIBLE,
    )
    return _run_model(inst, spec, solve_options(solver), t0)


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
        subject to  z_i <= sum_{j in N_i} y_j                       for every row i  [cover_rows]
                    sum_{j upgrade} c_j y_j + sum_{j new} c_j y_j <= B               [budget]
                    sum_j y_j <= p                                  (optional)       [open_limit]
                    per-township quotas                             (optional)       [township_quota]
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
        Passed on to :func:`maximal_covering` (``quotas``, ``reduce``, ``warm_start``,
        ``time_limit``, ``mip_gap``, ``options``).

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
@dataclass(frozen=True)
class _CoverGoal:
    """What a set-covering plan must cover, in weight of the reduced rows."""

    need: float
    reached: bool
    messages: tuple[str, ...]


def _cover_goal(inst: SitingInstance, red: ReducedInstance, share: float) -> _CoverGoal:
    """The weight the new sites must cover for ``share``, capped at what can be reached."""
    full = share >= 1.0
    total = inst.total_weight
    w_already = float(inst.weight[inst.already_covered].sum())
    reachable = float(red.instance.weight.sum())
    messages = uncoverable_message(inst, red.uncoverable, what="covered")
    need = reachable if full else share * total - w_already
    reached = True
    if not full and need > reachable * (1 + 1e-12):
        reached = False
        messages.append(
            f"the target of {share:.1%} of the people cannot be reached: at most "
            f"{(w_already + reachable) / total:.1%} can be covered; the plan covers all of them"
        )
        need = reachable
    if full and red.uncoverable.any():
        reached = False
    return _CoverGoal(need=max(need, 0.0), reached=reached, messages=tuple(messages))


def set_covering(
    inst: SitingInstance,
    *,
    share: float = 1.0,
    minimize: str = "cost",
    quotas: TownshipQuotas | None = None,
    reduce: bool = True,
    **solver: Unpack[SolverKeywords],
) -> SitingResult:
    r"""Location set covering: the cheapest (or fewest) sites covering a share of the people.

    Full cover (``share = 1``), over the rows not yet covered that some candidate covers::

        minimise    sum_j c_j y_j            (c_j = 1 with minimize="count")
        subject to  sum_{j in N_i} y_j >= 1  for every such row i       [cover_every_row]
                    per-township quotas  (when given)                  [township_quota]
                    y_j = 1 for forced j,  y_j in {0,1}

    Partial cover (``share < 1``), with ``W`` the total weight and ``W0`` the weight already
    covered by existing facilities::

        minimise    sum_j c_j y_j
        subject to  z_i <= sum_{j in N_i} y_j      for every row i      [cover_rows]
                    sum_i w_i z_i >= share * W - W0                     [covered_weight]
                    per-township quotas  (when given)                  [township_quota]
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
    quotas
        Per-township quotas, as in :func:`maximal_covering`.
    reduce, **solver
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
    if quotas is not None:
        check_quotas(work, quotas)
    red = reduce_covering(work, merge=reduce, drop_dominated=reduce, use_cost=True,
                          keep_candidates=quotas is not None)
    r = red.instance
    full = share >= 1.0
    goal = _cover_goal(inst, red, share)
    total = inst.total_weight
    w_already = float(inst.weight[inst.already_covered].sum())
    reachable = float(r.weight.sum())
    nothing = r.n_demand == 0 or goal.need <= 0
    trivial = r.n_candidates == 0 or (quotas is None and nothing)
    if trivial or nothing:
        forced = np.flatnonzero(r.forced).astype(np.int64)
        greedy = GreedyResult(chosen=forced, objective=float(r.cost[forced].sum()), seconds=0.0)
    else:
        greedy = greedy_set_cover(r, share=1.0 if full else min(1.0, goal.need / r.total_weight))

    def report(plan: Plan) -> tuple[dict[str, Any], list[str]]:
        details = {
            "share_target": share, "minimize": minimize, "n_sites": int(plan.chosen.size),
            "share_before": w_already / total if total else np.nan,
            "share_after": float(inst.weight[plan.covered].sum()) / total if total else np.nan,
            "share_reachable": (w_already + reachable) / total if total else np.nan,
            "target_reached": goal.reached,
        }
        q_details, q_notes = quota_notes(inst, quotas, plan.chosen)
        return {**details, **q_details}, list(goal.messages) + q_notes

    rq = None if quotas is None else quotas.restricted(red.candidate_map)
    need = None if full else goal.need
    if need is not None and need <= 0:
        need = None if r.n_demand == 0 else 0.0
    spec = ModelSpec(
        name="lscp", maximize=False, reduced=red, greedy=greedy,
        formulation=None if trivial else set_cover_formulation(r, need=need, quotas=rq),
        evaluate=lambda chosen: float(work.cost[chosen].sum()), report=report,
        greedy_ok=quota_greedy_ok(red, quotas, greedy),
        infeasible="" if quotas is None else QUOTA_INFEASIBLE,
    )
    return _run_model(inst, spec, solve_options(solver), t0)


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
        subject to  sum_j x_ij + s_i = 1       for every row i             [assignment]
                    x_ij <= y_j                for every listed pair (i, j) [open_link]
                    sum_j y_j <= p                                          [open_limit]
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
    red = reduce_median(inst, unreached_minutes=unreached) if reduce else unreduced_median(inst)
    r = red.instance
    base = np.where(np.isfinite(r.existing_minutes), r.existing_minutes, unreached)
    total = inst.total_weight

    def weighted_minutes(chosen: np.ndarray) -> float:
        return median_objective(inst, chosen, unreached)

    def report(plan: Plan) -> tuple[dict[str, Any], list[str]]:
        unreached_after = ~np.isfinite(plan.minutes)
        before = weighted_minutes(np.zeros(0, dtype=np.int64))
        details = {
            "p": p, "unreached_minutes": unreached,
            "weighted_minutes_before": before,
            "mean_minutes_before": before / total if total else np.nan,
            "mean_minutes_after": plan.objective / total if total else np.nan,
            "unreached_weight_after": float(inst.weight[unreached_after].sum()),
            "n_unreached_after": int(unreached_after.sum()),
        }
        messages = []
        if unreached_after.any():
            messages.append(
                f"{inst.weight[unreached_after].sum():,.0f} people in "
                f"{int(unreached_after.sum())} demand rows reach no open facility; each is "
                f"counted at {unreached:g} minutes")
        return details, messages

    trivial = r.n_candidates == 0 or r.n_demand == 0
    spec = ModelSpec(
        name="p_median", maximize=False, reduced=red,
        greedy=greedy_median(r, p=p, unreached_minutes=unreached),
        formulation=None if trivial else median_formulation(r, p=p, base=base),
        evaluate=weighted_minutes, report=report,
    )
    return _run_model(inst, spec, SolveOptions(warm_start, time_limit, mip_gap, options), t0)
