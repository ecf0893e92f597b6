r"""Capacitated siting: maximal covering and set covering when every TCM point serves a limited
number of residents, solved exactly with HiGHS.

spopt has capacitated LSCP and p-median but no capacitated MCLP; this module has both covering
models with capacities, written from the named blocks of
:func:`~tcm_coverage.siting.formulation.capacitated_formulation`.

Notation
--------
As in :mod:`tcm_coverage.siting.models`: rows ``i`` with weight :math:`w_i`, candidates ``j``
with cost :math:`c_j` and capacity :math:`C_j` (residents; ``capacity_per_site``),
:math:`N_i = \{j : t_{ij} \le T\}`. Existing TCM points ``e`` are open and serve up to
:math:`C_e` residents (their known capacity; an existing point of **unknown capacity serves
without limit**, as in the plain models, and the rows it covers count as served);
:math:`E_i` are the existing points within ``T`` of row ``i``. :math:`x_{ij}`, :math:`u_{ie}`
are the **shares** of row ``i`` served by site ``j`` / existing point ``e``: the assignment is
**fractional** (a village or raster cell may be split between two points; with integral
assignment a row of more residents than any capacity could never be served).

Capacitated maximal covering (:func:`capacitated_max_cover`)::

    maximise    sum_i w_i ( sum_{j in N_i} x_ij + sum_{e in E_i} u_ie )
    subject to  sum_{j in N_i} x_ij + sum_{e in E_i} u_ie <= 1   for every row i   [assign_once]
                x_ij <= y_j                       for every pair within T      [open_link]
                sum_i w_i x_ij <= C_j y_j         for every candidate j        [site_capacity]
                sum_i w_i u_ie <= C_e             for every existing point e   [existing_capacity]
                sum_j y_j <= p                    (when p is given)            [open_limit]
                sum_j c_j y_j <= B                (when a budget B)            [budget]
                y_j = 1 for forced j,  y_j in {0,1},  0 <= x_ij, u_ie <= 1

The objective counts every resident served within ``T`` and the capacities, existing points
included (``details["served_before"]`` is the same with no new site, so the new sites add
``objective - served_before``).

Capacitated set covering (:func:`capacitated_set_cover`): minimise :math:`\sum_j c_j y_j`
(or the number of sites) subject to the blocks above without ``open_limit``/``budget`` and::

    sum_i w_i ( sum_j x_ij + sum_e u_ie ) >= s * W                              [served_weight]

with ``W`` the total weight and ``s`` the target share; a target above what all candidates
together can serve is capped to that, with a message.

Evaluation of a plan (:func:`served_within_capacity`) is the same LP with ``y`` fixed: the
most residents the open points can serve (a transportation problem). The greedy warm start
adds, one at a time, the candidate that serves most of the residents still unserved within its
reach (capped at its capacity; per unit cost under a budget), removing what it serves in
proportion.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tcm_coverage._errors import InputError
from tcm_coverage.siting._highs import MipOutcome, SolveOptions, solve_mip
from tcm_coverage.siting.capacity_formulation import (
    CapacityData,
    capacitated_formulation,
    served_by_unlimited,
)
from tcm_coverage.siting.formulation import Formulation
from tcm_coverage.siting.greedy import GreedyResult, check_limits
from tcm_coverage.siting.instance import SitingInstance, bool_csr
from tcm_coverage.siting.reduction import ReducedInstance, row_groups, unreduced_median
from tcm_coverage.siting.result import SitingResult
from tcm_coverage.siting.skeleton import ModelSpec, Plan, finish

__all__ = ["CapacityData", "capacitated_max_cover", "capacitated_set_cover", "capacity_data",
           "served_within_capacity"]


def capacity_data(
    inst: SitingInstance, *, per_site: float | np.ndarray, existing: np.ndarray | None = None,
    existing_demand: np.ndarray | None = None, existing_facility: np.ndarray | None = None,
) -> CapacityData:
    """Check and assemble the capacities of a capacitated model.

    Parameters
    ----------
    inst
        The instance.
    per_site
        Residents each candidate serves (one number for all, or one per candidate; ``inf``: no
        limit).
    existing
        (E,) residents each existing TCM point serves; NaN (unknown) or ``inf``: no limit.
    existing_demand, existing_facility
        (q,) the (row, existing point) pairs within the threshold.

    Returns
    -------
    CapacityData

    Raises
    ------
    InputError
        Negative or NaN site capacities, pairs out of range.
    """
    site = np.broadcast_to(np.asarray(per_site, dtype=float), (inst.n_candidates,)).copy()
    if np.isnan(site).any() or (site < 0).any():
        raise InputError("capacity_per_site must be >= 0 residents (or inf)",
                         fix="e.g. capacity_per_site = 1613 (one TCM physician)")
    ex = np.zeros(0) if existing is None else np.asarray(existing, dtype=float)
    if (ex[np.isfinite(ex)] < 0).any():
        raise InputError("existing capacities must be >= 0", fix="fix the capacity column")
    ed = np.zeros(0, np.int64) if existing_demand is None else np.asarray(existing_demand, np.int64)
    ef = np.zeros(0, np.int64) if existing_facility is None else np.asarray(existing_facility, np.int64)
    if ed.shape != ef.shape or (ed.size and (ed.min() < 0 or ed.max() >= inst.n_demand
                                              or ef.min() < 0 or ef.max() >= ex.size)):
        raise InputError("existing pairs out of range", fix="index rows and existing points")
    return CapacityData(site=site, existing=np.where(np.isnan(ex), np.inf, ex),
                        existing_demand=ed, existing_facility=ef)


@dataclass(frozen=True, eq=False)
class _Model:
    red: ReducedInstance
    data: CapacityData
    form: Formulation
    constant: float


def _merge_rows(r: SitingInstance, data: CapacityData) -> tuple[SitingInstance, CapacityData, np.ndarray]:
    """Rows with the same candidates and existing points within the threshold merged into one
    (exact with fractional assignment); rows served by an unlimited existing point, of weight 0
    or with nothing in reach dropped. Returns the merged instance, its capacities and the
    merged row of each row (-1: dropped)."""
    k, n, n_e = r.n_demand, r.n_candidates, data.existing.shape[0]
    fixed = served_by_unlimited(data, k)
    cov = r.pair_minutes <= r.threshold
    pd_, pc = r.pair_demand[cov], r.pair_candidate[cov]
    fin = np.isfinite(data.existing)[data.existing_facility]
    ed, ef = data.existing_demand[fin], data.existing_facility[fin]
    rows, cols = np.r_[pd_, ed], np.r_[pc, n + ef]
    keep = ~fixed[rows] & (r.weight[rows] > 0)
    rows, cols = rows[keep], cols[keep]
    order = np.lexsort((cols, rows))
    rows, cols = rows[order], cols[order]
    once = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])] if rows.size else rows.astype(bool)
    rows, cols = rows[once], cols[once]
    sig = bool_csr(rows, cols, (k, n + n_e))
    live = np.diff(sig.indptr) > 0
    gid = np.full(k, -1, dtype=np.int64)
    groups = row_groups(sig[np.flatnonzero(live)])
    gid[live] = groups
    g = int(groups.max()) + 1 if groups.size else 0
    first = np.full(g, k, dtype=np.int64)
    np.minimum.at(first, groups, np.flatnonzero(live))
    rep = np.zeros(k, dtype=bool)
    rep[first] = True
    weight = np.bincount(gid[live], weights=r.weight[live], minlength=g)
    sel = np.flatnonzero(rep[pd_])
    sel = sel[np.lexsort((pc[sel], gid[pd_[sel]]))]  # pairs sorted by (merged row, candidate)
    merged = replace(r, weight=weight, pair_demand=gid[pd_[sel]], pair_candidate=pc[sel],
                     pair_minutes=r.pair_minutes[cov][sel], existing_minutes=np.full(g, np.inf))
    esel = rep[ed]
    return merged, replace(data, existing_demand=gid[ed[esel]], existing_facility=ef[esel]), gid


def _model(inst: SitingInstance, data: CapacityData, *, p: int | None, limit: float | None,
           need: float | None = None) -> _Model:
    red = unreduced_median(inst)
    d = replace(data, site=data.site[red.candidate_map])
    constant = float(inst.weight[served_by_unlimited(data, inst.n_demand)].sum())
    r, d, gid = _merge_rows(red.instance, d)
    form = capacitated_formulation(r, d, p=p, limit=limit,
                                   need=None if need is None else need - constant)
    fixed = served_by_unlimited(data, inst.n_demand)
    stats = replace(red.stats, n_demand_reduced=r.n_demand, n_already_covered=int(fixed.sum()),
                    already_covered_weight=constant,
                    n_merged=int((gid >= 0).sum()) - r.n_demand, n_pairs_reduced=r.n_pairs)
    return _Model(red=replace(red, instance=r, demand_map=gid, constant=constant, stats=stats),
                  data=d, form=form, constant=constant)


def _fixed_solve(model: _Model, y: np.ndarray) -> MipOutcome:
    """The LP of ``model`` with the sites fixed to ``y`` (0/1 over its candidates)."""
    prob = model.form.problem
    n = model.form.n_sites
    lo, hi = prob.col_lower.copy(), prob.col_upper.copy()
    lo[:n] = hi[:n] = y
    fixed = replace(prob, col_lower=lo, col_upper=hi, row_lower=prob.row_lower.copy(),
                    row_upper=prob.row_upper.copy())
    return solve_mip(problem=fixed, options=SolveOptions(warm_start=False))


def _y(model: _Model, chosen_reduced: np.ndarray) -> np.ndarray:
    y = model.red.instance.forced.astype(float)
    y[np.asarray(chosen_reduced, dtype=np.int64)] = 1.0
    return y


def served_within_capacity(inst: SitingInstance, data: CapacityData, chosen: Any) -> float:
    """The most residents the existing points and the ``chosen`` (original) candidates (plus
    the forced ones) serve within the threshold and the capacities.

    Parameters
    ----------
    inst
        The instance.
    data
        Capacities (:func:`capacity_data`).
    chosen
        Original candidate indices.

    Returns
    -------
    float
    """
    model = _model(inst, data, p=None, limit=None)
    out = _fixed_solve(model, _y(model, model.red.to_reduced(chosen)))
    served = model.form.problem.c @ out.x if out.x is not None else 0.0
    return model.constant + float(served)


def _greedy(model: _Model, *, p: int | None, limit: float | None, need: float | None,
            ) -> GreedyResult:
    """Add the candidate serving most unserved residents within reach (per cost under a
    budget) until ``p``, the budget or ``need`` (net of the constant) stops it."""
    t0 = time.perf_counter()
    r, cap = model.red.instance, model.data.site
    y = _y(model, np.zeros(0, np.int64))
    base = _fixed_solve(model, y)
    k, n = r.n_demand, r.n_candidates
    ncol = model.form.problem.n_columns
    share = np.zeros(k)
    if base.x is not None:  # served share per row by the forced and existing points
        share = np.asarray(model.form.problem.a[:k, :ncol] @ np.r_[np.zeros(n), base.x[n:]]).ravel()
    residual = r.weight * np.clip(1.0 - share, 0.0, 1.0)
    residual[served_by_unlimited(model.data, k)] = 0.0
    at = r.coverage().T.tocsr().astype(float)
    served = float(r.weight.sum() - residual.sum())
    chosen: list[int] = [int(v) for v in np.flatnonzero(y > 0)]
    spent = float(r.cost[y > 0].sum())
    while (p is None or len(chosen) < p) and (need is None or served < need):
        gain = np.minimum(np.asarray(at @ residual).ravel(), cap)
        afford = np.ones(n, bool) if limit is None else spent + r.cost <= limit + 1e-9
        gain[(y > 0) | ~afford] = 0.0
        score = gain / np.maximum(r.cost, 1e-12) if (limit is not None or need is not None) else gain
        j = int(np.argmax(score))
        if gain[j] <= 1e-9:
            break
        rows = at[j].indices
        reach = residual[rows].sum()
        residual[rows] *= 1.0 - min(1.0, cap[j] / reach)
        served += gain[j]
        y[j] = 1.0
        chosen.append(j)
        spent += float(r.cost[j])
    ok = need is None or served >= need - 1e-9 * max(1.0, need)
    return GreedyResult(chosen=np.sort(np.asarray(chosen, np.int64)), objective=served,
                        seconds=time.perf_counter() - t0, feasible=ok)


def _solve(inst: SitingInstance, spec: ModelSpec, model: _Model, solver: SolveOptions,
           t0: float) -> SitingResult:
    """Solve with the greedy plan's LP solution as start, then the shared :func:`finish`."""
    start = None
    if solver.warm_start and spec.greedy_ok:
        out = _fixed_solve(model, _y(model, spec.greedy.chosen))
        start = out.x
    outcome = solve_mip(problem=model.form.problem, start=start, options=solver)
    return finish(inst, spec, outcome, t0)


def capacitated_max_cover(
    inst: SitingInstance,
    data: CapacityData,
    *,
    p: int | None = None,
    budget: float | None = None,
    warm_start: bool = True,
    time_limit: float | None = None,
    mip_gap: float = 1e-6,
    options: Mapping[str, Any] | None = None,
) -> SitingResult:
    """Capacitated maximal covering: serve the most residents within ``T`` and the capacities.

    See the module docstring for the formulation (fractional assignment).

    Parameters
    ----------
    inst
        The instance (pairs within the threshold are the covering ones).
    data
        Capacities of the candidates and the existing points (:func:`capacity_data`).
    p, budget
        Maximum number of new sites and total cost (forced ones included); give one or both.
    warm_start, time_limit, mip_gap, options
        As in :func:`tcm_coverage.siting.models.maximal_covering`.

    Returns
    -------
    SitingResult
        ``objective`` = residents served within the threshold and capacities (existing points
        included); ``details`` has ``served_before`` (no new site), ``served_after``,
        ``share_before``/``share_after`` of all residents and ``capacitated: True``.
    """
    t0 = time.perf_counter()
    check_limits(inst, p, budget)
    model = _model(inst, data, p=p, limit=budget)
    total = inst.total_weight
    before = served_within_capacity(inst, data, np.zeros(0, np.int64))

    def report(plan: Plan) -> tuple[dict[str, Any], list[str]]:
        details = {"p": p, "budget": budget, "capacitated": True, "served_before": before,
                   "served_after": plan.objective, "total_weight": total,
                   "share_before": before / total if total else np.nan,
                   "share_after": plan.objective / total if total else np.nan}
        return details, []

    greedy = _greedy(model, p=p, limit=budget, need=None)
    spec = ModelSpec(name="mclp_capacitated", maximize=True, reduced=model.red, greedy=greedy,
                     formulation=model.form,
                     evaluate=lambda chosen: served_within_capacity(inst, data, chosen),
                     report=report)
    return _solve(inst, spec, model, SolveOptions(warm_start, time_limit, mip_gap, options), t0)


def capacitated_set_cover(
    inst: SitingInstance,
    data: CapacityData,
    *,
    share: float = 1.0,
    minimize: str = "cost",
    warm_start: bool = True,
    time_limit: float | None = None,
    mip_gap: float = 1e-6,
    options: Mapping[str, Any] | None = None,
) -> SitingResult:
    """Capacitated set covering: the cheapest sites serving ``share`` of all residents within
    ``T`` and the capacities (see the module docstring).

    Parameters
    ----------
    inst
        The instance.
    data
        Capacities (:func:`capacity_data`).
    share
        Target share of all residents, in (0, 1]; capped (with a message) at what all
        candidates together can serve.
    minimize
        ``"cost"`` or ``"count"``.
    warm_start, time_limit, mip_gap, options
        As in :func:`tcm_coverage.siting.models.set_covering`.

    Returns
    -------
    SitingResult
        ``objective`` = total cost (or number of sites); ``details`` has the target, the
        shares served before and after, the most that can be served and ``target_reached``.
    """
    t0 = time.perf_counter()
    if not 0 < share <= 1:
        raise InputError(f"the target share must be in (0, 1], got {share}.")
    if minimize not in ("cost", "count"):
        raise InputError(f"minimize must be 'cost' or 'count', got {minimize!r}.")
    work = inst if minimize == "cost" else replace(inst, cost=np.ones(inst.n_candidates))
    total = inst.total_weight
    most = served_within_capacity(work, data, np.flatnonzero(~inst.excluded))
    before = served_within_capacity(work, data, np.zeros(0, np.int64))
    need = share * total
    messages = []
    if need > most + 1e-9 * max(1.0, most):
        messages.append(f"the target {share:.1%} cannot be served within the capacities; the most "
                        f"all candidates serve is {most / total:.1%}, which is the target used")
        need = most
    model = _model(work, data, p=None, limit=None, need=need)
    greedy = _greedy(model, p=None, limit=None, need=need)

    def report(plan: Plan) -> tuple[dict[str, Any], list[str]]:
        after = served_within_capacity(work, data, plan.chosen)
        details = {"share_target": share, "minimize": minimize, "capacitated": True,
                   "n_sites": int(plan.chosen.size), "served_before": before, "served_after": after,
                   "share_before": before / total if total else np.nan,
                   "share_after": after / total if total else np.nan,
                   "share_reachable": most / total if total else np.nan,
                   "target_reached": not messages}
        return details, list(messages)

    spec = ModelSpec(name="lscp_capacitated", maximize=False, reduced=model.red, greedy=greedy,
                     formulation=model.form, evaluate=lambda chosen: float(work.cost[chosen].sum()),
                     report=report, greedy_ok=greedy.feasible)
    return _solve(inst, spec, model, SolveOptions(warm_start, time_limit, mip_gap, options), t0)
