"""Greedy heuristics for the siting models: warm starts for the exact solver and fallbacks.

Each pick is one sparse matrix-vector product (or one ``bincount`` over the pairs) over all
candidates at once; the only Python loop is over the picks themselves.

* :func:`greedy_max_cover` — maximal covering with ``p`` sites and/or a budget: pick the
  candidate with the largest newly covered weight (per unit cost when there is a budget).
  With a budget the better of that and the best single affordable site is returned (the
  classic guarantee for budgeted maximum coverage).
* :func:`greedy_set_cover` — set covering (full or a target share): pick the largest newly
  covered number of rows (full) or weight (partial) per unit cost until the target is met,
  then drop sites that became redundant, most expensive first.
* :func:`greedy_median` — p-median with existing facilities kept open: pick the largest
  reduction of population-weighted minutes.

Forced candidates are opened first and count toward ``p`` and the budget; excluded ones are
never opened.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tcm_coverage._errors import InputError
from tcm_coverage.siting.instance import SitingInstance

__all__ = ["GreedyResult", "check_limits", "greedy_max_cover", "greedy_median", "greedy_set_cover"]

_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class GreedyResult:
    """A greedy plan.

    Attributes
    ----------
    chosen : numpy.ndarray
        Sorted int64 candidate indices (forced ones included).
    objective : float
        The model's objective on the instance given: newly covered weight (max cover),
        total cost or number of sites (set cover), weighted minutes (p-median).
    seconds : float
        Wall time.
    feasible : bool
        False when the target (set cover) could not be met.
    """

    chosen: np.ndarray
    objective: float
    seconds: float
    feasible: bool = True


def check_limits(inst: SitingInstance, p: int | None, budget: float | None) -> None:
    """Refuse (:class:`InputError`) a site count ``p`` or ``budget`` the forced candidates break,
    or neither given; shared by the greedy heuristics and the MIP models."""
    if p is None and budget is None:
        raise InputError("give the number of new sites p, a budget, or both.")
    n_forced = int(inst.forced.sum())
    if p is not None and p < n_forced:
        raise InputError(
            f"{n_forced} candidates are forced but only p={p} sites may be opened.",
            fix="Raise p or clear some 'force' flags.",
        )
    if budget is not None and float(inst.cost[inst.forced].sum()) > budget + _EPS:
        raise InputError(
            f"the forced candidates cost {float(inst.cost[inst.forced].sum()):g}, more than "
            f"the budget {budget:g}.",
            fix="Raise the budget or clear some 'force' flags.",
        )


def _cover_transpose(inst: SitingInstance) -> sp.csr_matrix:
    """(n, k) CSR: row j lists the demand rows candidate j covers (as float)."""
    return inst.coverage().T.tocsr().astype(np.float64)


def _pick_loop(
    at: sp.csr_matrix,
    residual: np.ndarray,
    cost: np.ndarray,
    available: np.ndarray,
    *,
    p_left: float,
    budget_left: float,
    per_cost: bool,
) -> list[int]:
    picks: list[int] = []
    while p_left >= 1:
        gain = at @ residual
        ok = available & (cost <= budget_left + _EPS) & (gain > _EPS)
        if not ok.any():
            break
        if per_cost:
            with np.errstate(divide="ignore", invalid="ignore"):
                score = np.where(cost > 0, gain / np.maximum(cost, _EPS), np.inf)
        else:
            score = gain.copy()
        score[~ok] = -np.inf
        j = int(np.argmax(score))
        picks.append(j)
        residual[at.indices[at.indptr[j]:at.indptr[j + 1]]] = 0.0
        available[j] = False
        budget_left -= cost[j]
        p_left -= 1
    return picks


def greedy_max_cover(
    inst: SitingInstance, *, p: int | None = None, budget: float | None = None
) -> GreedyResult:
    """Greedy maximal covering: at most ``p`` new sites and/or total cost within ``budget``.

    Parameters
    ----------
    inst
        The instance; rows already covered by existing facilities count as covered.
    p
        Maximum number of sites opened (forced ones included).
    budget
        Maximum total cost (forced ones included).

    Returns
    -------
    GreedyResult
        ``objective`` is the newly covered weight.
    """
    t0 = time.perf_counter()
    check_limits(inst, p, budget)
    at = _cover_transpose(inst)
    base = inst.weight * ~inst.already_covered
    residual = base.copy()
    forced = np.flatnonzero(inst.forced)
    for f in forced:
        residual[at.indices[at.indptr[f]:at.indptr[f + 1]]] = 0.0
    available = ~inst.excluded & ~inst.forced
    p_left = np.inf if p is None else p - forced.size
    b_left = np.inf if budget is None else budget - float(inst.cost[forced].sum())
    picks = _pick_loop(at, residual.copy(), inst.cost, available.copy(),
                       p_left=p_left, budget_left=b_left, per_cost=budget is not None)
    chosen = np.concatenate([forced, np.asarray(picks, dtype=np.int64)])
    best = float(base.sum() - _residual_after(at, base, chosen).sum())
    if budget is not None and p_left >= 1:
        # compare with the best single affordable site on top of the forced ones
        gain = at @ residual
        ok = available & (inst.cost <= b_left + _EPS)
        if ok.any():
            gain[~ok] = -np.inf
            j = int(np.argmax(gain))
            alt = np.concatenate([forced, [j]]).astype(np.int64)
            val = float(base.sum() - _residual_after(at, base, alt).sum())
            if val > best + _EPS:
                chosen, best = alt, val
    return GreedyResult(chosen=np.sort(chosen.astype(np.int64)), objective=best,
                        seconds=time.perf_counter() - t0)


def _residual_after(at: sp.csr_matrix, base: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    res = base.copy()
    if chosen.size:
        rows = at[chosen].indices
        res[rows] = 0.0
    return res


def greedy_set_cover(
    inst: SitingInstance, *, share: float = 1.0, minimize: str = "cost"
) -> GreedyResult:
    """Greedy set covering: cover every coverable row (``share=1``) or a population share.

    Rows nobody can cover are ignored for ``share=1``; for a partial share the target is
    ``share * total weight`` (rows already covered by existing facilities count), capped at
    what the candidates can reach.

    Parameters
    ----------
    inst
        The instance.
    share
        Target share of the total weight, in (0, 1].
    minimize
        ``"cost"`` (sum of candidate costs) or ``"count"`` (number of sites).

    Returns
    -------
    GreedyResult
        ``objective`` is the total cost (or number) of the chosen sites; ``feasible`` is
        False only if the (capped) target was not met, which cannot happen.
    """
    t0 = time.perf_counter()
    if not 0 < share <= 1:
        raise InputError(f"the target share must be in (0, 1], got {share}.")
    if minimize not in ("cost", "count"):
        raise InputError(f"minimize must be 'cost' or 'count', got {minimize!r}.")
    cost = inst.cost if minimize == "cost" else np.ones(inst.n_candidates)
    at = _cover_transpose(inst)
    open_rows = ~inst.already_covered & inst.coverable()
    full = share >= 1.0
    base = open_rows.astype(np.float64) if full else inst.weight * open_rows
    need = float(base.sum()) if full else min(
        share * inst.total_weight - float(inst.weight[inst.already_covered].sum()),
        float(base.sum()),
    )
    forced = np.flatnonzero(inst.forced)
    residual = _residual_after(at, base, forced)
    available = ~inst.excluded & ~inst.forced
    picks: list[int] = []
    got = float(base.sum() - residual.sum())
    while got < need - _EPS * max(1.0, need):
        gain = at @ residual
        ok = available & (gain > _EPS)
        if not ok.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(cost > 0, gain / np.maximum(cost, _EPS), np.inf)
        score[~ok] = -np.inf
        j = int(np.argmax(score))
        picks.append(j)
        residual[at.indices[at.indptr[j]:at.indptr[j + 1]]] = 0.0
        available[j] = False
        got = float(base.sum() - residual.sum())
    feasible = got >= need - _EPS * max(1.0, need)
    # drop redundant picks, most expensive first
    chosen = list(picks)
    for j in sorted(picks, key=lambda c: (-cost[c], c)):
        trial = np.asarray(forced.tolist() + [c for c in chosen if c != j], dtype=np.int64)
        val = float(base.sum() - _residual_after(at, base, trial).sum())
        if val >= need - _EPS * max(1.0, need):
            chosen.remove(j)
    out = np.sort(np.concatenate([forced, np.asarray(chosen, dtype=np.int64)]))
    return GreedyResult(chosen=out, objective=float(cost[out].sum()),
                        seconds=time.perf_counter() - t0, feasible=feasible)


def median_objective(inst: SitingInstance, chosen: np.ndarray, unreached_minutes: float) -> float:
    """Population-weighted minutes to the nearest open facility (existing or chosen).

    Parameters
    ----------
    inst
        The instance.
    chosen
        Candidate indices opened.
    unreached_minutes
        Minutes charged to rows no open facility reaches.

    Returns
    -------
    float
    """
    best = np.where(np.isfinite(inst.existing_minutes), inst.existing_minutes, unreached_minutes)
    open_ = np.zeros(inst.n_candidates, dtype=bool)
    open_[np.asarray(chosen, dtype=np.int64)] = True
    hit = open_[inst.pair_candidate]
    np.minimum.at(best, inst.pair_demand[hit], inst.pair_minutes[hit])
    return float((inst.weight * best).sum())


def greedy_median(inst: SitingInstance, *, p: int, unreached_minutes: float) -> GreedyResult:
    """Greedy p-median with existing facilities open: add the site saving the most minutes.

    Parameters
    ----------
    inst
        The instance.
    p
        Maximum number of sites opened (forced ones included).
    unreached_minutes
        Minutes charged to rows no open facility reaches.

    Returns
    -------
    GreedyResult
        ``objective`` is the population-weighted minutes.
    """
    t0 = time.perf_counter()
    check_limits(inst, p, None)
    best = np.where(np.isfinite(inst.existing_minutes), inst.existing_minutes, unreached_minutes)
    order = np.argsort(inst.pair_candidate, kind="stable")
    pc, pd_, pt = inst.pair_candidate[order], inst.pair_demand[order], inst.pair_minutes[order]
    start = np.searchsorted(pc, np.arange(inst.n_candidates + 1))
    forced = np.flatnonzero(inst.forced)
    for f in forced:
        sl = slice(start[f], start[f + 1])
        np.minimum.at(best, pd_[sl], pt[sl])
    available = ~inst.excluded & ~inst.forced
    picks: list[int] = []
    usable = available[pc]
    for _ in range(p - forced.size):
        saving = np.maximum(best[pd_] - pt, 0.0) * inst.weight[pd_]
        gain = np.bincount(pc[usable], weights=saving[usable], minlength=inst.n_candidates)
        gain[~available] = -np.inf
        j = int(np.argmax(gain)) if inst.n_candidates else -1
        if j < 0 or gain[j] <= _EPS:
            break
        picks.append(j)
        available[j] = False
        usable = available[pc]
        sl = slice(start[j], start[j + 1])
        np.minimum.at(best, pd_[sl], pt[sl])
    chosen = np.sort(np.concatenate([forced, np.asarray(picks, dtype=np.int64)]))
    return GreedyResult(chosen=chosen, objective=float((inst.weight * best).sum()),
                        seconds=time.perf_counter() - t0)
