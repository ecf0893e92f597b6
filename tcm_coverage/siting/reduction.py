"""Shrink a :class:`~tcm_coverage.siting.instance.SitingInstance` without changing a model's optimum.

:func:`reduce_covering` (MCLP, LSCP): rows already covered and rows no candidate can cover are
dropped (their weight is constant), rows with the same set of covering candidates are merged
into one weighted row, and dominated candidates (covering a subset of another candidate's rows
at no lower cost) are dropped. :func:`reduce_median` does the same job for the p-median model;
:func:`unreduced_median` is its ``reduce=False`` counterpart (only excluded candidates go).

Every reduction returns a :class:`ReducedInstance`: the smaller instance, the maps back to the
original rows and candidates, and :class:`ReductionStats`. Nothing here loops in Python over
demand rows or pairs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from tcm_coverage.siting.instance import SitingInstance, bool_csr

logger = logging.getLogger(__name__)

__all__ = [
    "ReducedInstance",
    "ReductionStats",
    "reduce_covering",
    "reduce_median",
    "row_groups",
    "unreduced_median",
]


@dataclass(frozen=True)
class ReductionStats:
    """How much a reduction shrank an instance.

    Attributes
    ----------
    n_demand, n_demand_reduced : int
        Demand rows before and after.
    n_already_covered : int
        Rows dropped because an existing facility covers them (p-median: rows no
        candidate can improve on their existing facility).
    already_covered_weight : float
        Their weight.
    n_uncoverable : int
        Rows dropped because nothing (existing or candidate) covers them.
    uncoverable_weight : float
        Their weight.
    n_merged : int
        Rows removed by merging rows with identical covering candidates.
    n_candidates, n_candidates_reduced : int
        Candidates before and after.
    n_excluded : int
        Excluded candidates removed.
    n_useless : int
        Candidates (not forced) that serve no remaining row.
    n_dominated : int
        Candidates (not forced) dominated by another one.
    n_pairs, n_pairs_reduced : int
        Pairs before and after.
    """

    n_demand: int
    n_demand_reduced: int
    n_already_covered: int
    already_covered_weight: float
    n_uncoverable: int
    uncoverable_weight: float
    n_merged: int
    n_candidates: int
    n_candidates_reduced: int
    n_excluded: int
    n_useless: int
    n_dominated: int
    n_pairs: int
    n_pairs_reduced: int

    def summary(self) -> str:
        """One line for logs and reports."""
        return (
            f"demand {self.n_demand} -> {self.n_demand_reduced} rows "
            f"({self.n_already_covered} already covered, {self.n_uncoverable} uncoverable, "
            f"{self.n_merged} merged); candidates {self.n_candidates} -> "
            f"{self.n_candidates_reduced} ({self.n_excluded} excluded, {self.n_useless} useless, "
            f"{self.n_dominated} dominated); pairs {self.n_pairs} -> {self.n_pairs_reduced}"
        )


@dataclass(frozen=True, eq=False)
class ReducedInstance:
    """A reduced instance and the maps back to the original one.

    Attributes
    ----------
    instance : SitingInstance
        The reduced instance (rows are merged groups, candidates a subset).
    demand_map : numpy.ndarray
        (k_original,) int64 reduced row of each original row, ``-1`` when dropped.
    candidate_map : numpy.ndarray
        (n_reduced,) int64 original index of each reduced candidate.
    uncoverable : numpy.ndarray
        (k_original,) bool rows that neither an existing facility nor any non-excluded
        candidate can reach within the threshold (covering) / at all (p-median).
    constant : float
        Objective contribution of the dropped rows (p-median: weighted minutes of rows no
        candidate can improve; covering models: 0).
    stats : ReductionStats
    """

    instance: SitingInstance
    demand_map: np.ndarray
    candidate_map: np.ndarray
    uncoverable: np.ndarray
    constant: float
    stats: ReductionStats

    def to_original(self, chosen: Any) -> np.ndarray:
        """Map reduced candidate indices back to the original ones (sorted).

        Parameters
        ----------
        chosen
            Reduced candidate indices.

        Returns
        -------
        numpy.ndarray
            Original candidate indices.
        """
        idx = np.asarray(chosen, dtype=np.int64).ravel()
        return np.sort(self.candidate_map[idx])

    def to_reduced(self, chosen: Any) -> np.ndarray:
        """Map original candidate indices to reduced ones, dropping removed candidates.

        Parameters
        ----------
        chosen
            Original candidate indices.

        Returns
        -------
        numpy.ndarray
            Reduced candidate indices (sorted).
        """
        inv = np.full(self.stats.n_candidates, -1, dtype=np.int64)
        inv[self.candidate_map] = np.arange(self.candidate_map.shape[0])
        idx = inv[np.asarray(chosen, dtype=np.int64).ravel()]
        return np.sort(idx[idx >= 0])


_HASH_SEED = 20240915


def _row_groups(mat: sp.csr_matrix) -> np.ndarray:
    """Group id per row of a sorted boolean CSR: rows with identical column sets share an id.

    Rows are hashed (length and two random 64-bit column sums) and rows sharing a hash are
    then compared exactly, so a hash collision can only prevent a merge, never cause one.
    """
    k, n = mat.shape
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(_HASH_SEED)
    r1 = rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)
    r2 = rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)
    lengths = np.diff(mat.indptr).astype(np.int64)
    row_of = np.repeat(np.arange(k), lengths)
    h1 = np.zeros(k, dtype=np.uint64)
    h2 = np.zeros(k, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.add.at(h1, row_of, r1[mat.indices])
        np.add.at(h2, row_of, r2[mat.indices])
    order = np.lexsort((h2, h1, lengths))
    lo, a, b = lengths[order], h1[order], h2[order]
    same_key = np.zeros(k, dtype=bool)
    same_key[1:] = (lo[1:] == lo[:-1]) & (a[1:] == a[:-1]) & (b[1:] == b[:-1])
    # exact check of each row against its predecessor in the same hash group
    pos = np.flatnonzero(same_key)
    if pos.size:
        prev_rows, rows = order[pos - 1], order[pos]
        ln = lengths[rows]
        tot = int(ln.sum())
        if tot:
            pair_id = np.repeat(np.arange(pos.size), ln)
            offs = np.arange(tot) - np.repeat(np.cumsum(ln) - ln, ln)
            ia = mat.indices[np.repeat(mat.indptr[prev_rows], ln) + offs]
            ib = mat.indices[np.repeat(mat.indptr[rows], ln) + offs]
            mismatch = np.bincount(pair_id, weights=(ia != ib), minlength=pos.size) > 0
            same_key[pos[mismatch]] = False
    gid_sorted = np.cumsum(~same_key) - 1
    gid = np.empty(k, dtype=np.int64)
    gid[order] = gid_sorted
    return gid


def row_groups(mat: sp.csr_matrix) -> np.ndarray:
    """Group id per row of a sorted boolean CSR: rows with identical column sets share an id
    (hashed, then compared exactly; used by the merges here and in ``capacitated``).

    Parameters
    ----------
    mat
        (k, n) boolean CSR with sorted indices.

    Returns
    -------
    numpy.ndarray
        (k,) int64 group ids 0..g-1.
    """
    return _row_groups(mat)


def _dominated(cov: sp.csr_matrix, cost: np.ndarray, forced: np.ndarray) -> np.ndarray:
    """(n,) bool: candidate dominated by another (subset of rows, cost not lower).

    The relation "j is dominated by j2" is: rows(j) ⊆ rows(j2), cost_j >= cost_j2, and
    strictly better on (rows, cost, lower index) — a strict order, so every dropped
    candidate keeps an undominated dominator. Forced candidates are never dropped.
    """
    n = cov.shape[1]
    a = cov.astype(np.int32).tocsc()
    size = np.diff(a.indptr)
    inter = (a.T @ a).tocoo()  # inter[j, j2] = |rows(j) ∩ rows(j2)|
    j, j2, cnt = inter.row, inter.col, inter.data
    sub = (j != j2) & (cnt == size[j]) & (size[j] > 0) & (cost[j] >= cost[j2])
    j, j2 = j[sub], j2[sub]
    strict = (size[j2] > size[j]) | (cost[j] > cost[j2]) | (j2 < j)
    out = np.zeros(n, dtype=bool)
    out[j[strict]] = True
    return out & ~forced


def _subset_candidates(inst: SitingInstance, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cmap = np.flatnonzero(keep).astype(np.int64)
    inv = np.full(inst.n_candidates, -1, dtype=np.int64)
    inv[cmap] = np.arange(cmap.shape[0])
    return cmap, inv


def reduce_covering(
    inst: SitingInstance,
    *,
    merge: bool = True,
    drop_dominated: bool = True,
    use_cost: bool = True,
    keep_candidates: bool = False,
) -> ReducedInstance:
    """Shrink an instance for the covering models (MCLP, LSCP) without changing the optimum.

    Steps: drop excluded candidates and non-covering pairs; drop rows already covered by
    existing facilities and rows no candidate covers (both are constants for the covering
    objectives and are reported); merge rows with identical sets of covering candidates
    into one row carrying the summed weight; drop candidates that cover no remaining row
    and candidates dominated by another (covered rows ⊆ the other's, cost >= the other's;
    of identical ones the first is kept). Forced candidates are always kept.

    Parameters
    ----------
    inst
        The instance.
    merge
        Merge identical rows.
    drop_dominated
        Drop dominated candidates.
    use_cost
        Compare costs when judging dominance. Pass False for models where every site counts
        the same (MCLP with only a number of sites ``p``): then covering a subset is enough.
    keep_candidates
        Keep every candidate that is not excluded, even one serving no remaining row and
        dominated ones (per-township quotas count sites, not people: such a site may be the
        one a township's quota needs).

    Returns
    -------
    ReducedInstance
        The reduced instance has ``existing_minutes = inf`` (no row is already covered) and
        pair minutes equal to the smallest time within each merged group.
    """
    k, n = inst.n_demand, inst.n_candidates
    covered = inst.already_covered
    coverable = inst.coverable()
    uncoverable = ~covered & ~coverable
    keep_rows = ~covered & coverable

    sel = (inst.pair_minutes <= inst.threshold) & ~inst.excluded[inst.pair_candidate]
    sel &= keep_rows[inst.pair_demand]
    row_ids = np.flatnonzero(keep_rows)
    new_row = np.full(k, -1, dtype=np.int64)
    new_row[row_ids] = np.arange(row_ids.shape[0])
    pd_, pc, pt = new_row[inst.pair_demand[sel]], inst.pair_candidate[sel], inst.pair_minutes[sel]
    cov = bool_csr(pd_, pc, (row_ids.shape[0], n))

    if merge and row_ids.size:
        gid = _row_groups(cov)
    else:
        gid = np.arange(row_ids.shape[0], dtype=np.int64)
    n_groups = int(gid.max()) + 1 if gid.size else 0
    weight = np.bincount(gid, weights=inst.weight[row_ids], minlength=n_groups)
    # pairs of the merged rows: (group, candidate), minutes = min within group
    gd = gid[pd_]
    order = np.lexsort((pt, pc, gd))
    gd, gc, gt = gd[order], pc[order], pt[order]
    if gd.size:
        first = np.ones(gd.size, dtype=bool)
        first[1:] = (gd[1:] != gd[:-1]) | (gc[1:] != gc[:-1])
        gd, gc, gt = gd[first], gc[first], gt[first]
    gcov = bool_csr(gd, gc, (n_groups, n))

    keep_c = ~inst.excluded
    col_count = np.diff(gcov.tocsc().indptr)
    useless = keep_c & (col_count == 0) & ~inst.forced & (not keep_candidates)
    keep_c &= ~useless
    n_dom = 0
    if drop_dominated and n and not keep_candidates:
        cst = inst.cost if use_cost else np.zeros(n)
        dom = _dominated(gcov, cst, inst.forced) & keep_c
        n_dom = int(dom.sum())
        keep_c &= ~dom
    cmap, inv = _subset_candidates(inst, keep_c)
    psel = keep_c[gc]
    red = SitingInstance(
        weight=weight,
        pair_demand=gd[psel],
        pair_candidate=inv[gc[psel]],
        pair_minutes=gt[psel],
        n_candidates=int(cmap.shape[0]),
        threshold=inst.threshold,
        cost=inst.cost[cmap],
        forced=inst.forced[cmap],
        excluded=np.zeros(cmap.shape[0], dtype=bool),
        existing_minutes=np.full(n_groups, np.inf),
        kind=inst.kind[cmap],
    )
    demand_map = np.full(k, -1, dtype=np.int64)
    demand_map[row_ids] = gid
    stats = ReductionStats(
        n_demand=k, n_demand_reduced=n_groups,
        n_already_covered=int(covered.sum()),
        already_covered_weight=float(inst.weight[covered].sum()),
        n_uncoverable=int(uncoverable.sum()),
        uncoverable_weight=float(inst.weight[uncoverable].sum()),
        n_merged=int(row_ids.shape[0] - n_groups),
        n_candidates=n, n_candidates_reduced=int(cmap.shape[0]),
        n_excluded=int(inst.excluded.sum()), n_useless=int(useless.sum()), n_dominated=n_dom,
        n_pairs=inst.n_pairs, n_pairs_reduced=red.n_pairs,
    )
    logger.debug("covering reduction: %s", stats.summary())
    return ReducedInstance(instance=red, demand_map=demand_map, candidate_map=cmap,
                           uncoverable=uncoverable, constant=0.0, stats=stats)


def reduce_median(inst: SitingInstance, *, unreached_minutes: float) -> ReducedInstance:
    """Shrink an instance for the p-median model without changing the optimum.

    Only pairs faster than the row's existing facility matter (otherwise the resident keeps
    going to the existing one). Rows without such a pair are constants (their weighted
    existing time, or ``unreached_minutes`` when nothing reaches them) and are dropped;
    candidates (not forced, not excluded) that improve no row are dropped. Rows are not
    merged (identical time vectors are rare with real travel times).

    Parameters
    ----------
    inst
        The instance.
    unreached_minutes
        Minutes charged to a row that no open facility reaches.

    Returns
    -------
    ReducedInstance
        ``uncoverable`` marks rows with no existing facility and no pair at all; their
        penalty is part of ``constant``. The reduced instance keeps ``existing_minutes``.
    """
    k, n = inst.n_demand, inst.n_candidates
    base = np.where(np.isfinite(inst.existing_minutes), inst.existing_minutes, unreached_minutes)
    sel = ~inst.excluded[inst.pair_candidate] & (inst.pair_minutes < base[inst.pair_demand])
    improvable = np.zeros(k, dtype=bool)
    improvable[inst.pair_demand[sel]] = True
    has_pair = np.zeros(k, dtype=bool)
    has_pair[inst.pair_demand[~inst.excluded[inst.pair_candidate]]] = True
    uncoverable = ~np.isfinite(inst.existing_minutes) & ~has_pair
    constant = float((inst.weight[~improvable] * base[~improvable]).sum())
    row_ids = np.flatnonzero(improvable)
    new_row = np.full(k, -1, dtype=np.int64)
    new_row[row_ids] = np.arange(row_ids.shape[0])
    used = np.zeros(n, dtype=bool)
    used[inst.pair_candidate[sel]] = True
    keep_c = ~inst.excluded & (used | inst.forced)
    cmap, inv = _subset_candidates(inst, keep_c)
    psel = sel & keep_c[inst.pair_candidate]
    red = replace(
        inst,
        weight=inst.weight[row_ids],
        pair_demand=new_row[inst.pair_demand[psel]],
        pair_candidate=inv[inst.pair_candidate[psel]],
        pair_minutes=inst.pair_minutes[psel],
        n_candidates=int(cmap.shape[0]),
        cost=inst.cost[cmap],
        forced=inst.forced[cmap],
        excluded=np.zeros(cmap.shape[0], dtype=bool),
        existing_minutes=inst.existing_minutes[row_ids],
        kind=inst.kind[cmap],
    )
    stats = ReductionStats(
        n_demand=k, n_demand_reduced=int(row_ids.shape[0]),
        n_already_covered=int((~improvable & ~uncoverable).sum()),
        already_covered_weight=float(inst.weight[~improvable & ~uncoverable].sum()),
        n_uncoverable=int(uncoverable.sum()),
        uncoverable_weight=float(inst.weight[uncoverable].sum()),
        n_merged=0,
        n_candidates=n, n_candidates_reduced=int(cmap.shape[0]),
        n_excluded=int(inst.excluded.sum()),
        n_useless=int((~inst.excluded & ~keep_c).sum()), n_dominated=0,
        n_pairs=inst.n_pairs, n_pairs_reduced=red.n_pairs,
    )
    logger.debug("p-median reduction: %s", stats.summary())
    return ReducedInstance(instance=red, demand_map=new_row, candidate_map=cmap,
                           uncoverable=uncoverable, constant=constant, stats=stats)


def unreduced_median(inst: SitingInstance) -> ReducedInstance:
    """No reduction for p-median (``reduce=False``): all rows and pairs, excluded candidates removed.

    Parameters
    ----------
    inst
        The instance.

    Returns
    -------
    ReducedInstance
        ``uncoverable`` marks rows with no existing facility and no pair to a non-excluded
        candidate; ``constant`` is 0.
    """
    keep = ~inst.excluded
    cmap, inv = _subset_candidates(inst, keep)
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
