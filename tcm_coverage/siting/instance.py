"""Matrix-first description of a site-selection problem, its evaluation and its reduction.

A :class:`SitingInstance` is what every model in :mod:`tcm_coverage.siting` reads:

* ``k`` demand rows (residents, villages, raster cells) with a weight ``w_i`` (population);
* ``n`` candidate sites with a cost ``c_j``, a *kind* (``"upgrade"``: an existing village
  clinic gains a 中医阁; ``"new"``: a new village clinic) and ``forced`` / ``excluded`` flags;
* a sparse list of *pairs* ``(i, j, t_ij)``: resident ``i`` reaches candidate ``j`` in
  ``t_ij`` minutes. Only pairs within some cutoff are listed; a pair is *covering* when
  ``t_ij <= threshold`` (the 15-minute service radius). Pairs beyond the threshold are
  kept for the p-median model, which uses the times themselves;
* ``existing_minutes``: each row's time to the nearest **existing** TCM service point
  (``inf`` when none can be reached). Existing facilities count as already open: a row with
  ``existing_minutes <= threshold`` is *already covered*.

:func:`reduce_covering` shrinks an instance for the covering models without changing their
optimum: rows already covered and rows no candidate can cover are dropped (their weight is
constant), rows with the same set of covering candidates are merged into one weighted row,
and dominated candidates (covering a subset of another candidate's rows at no lower cost)
are dropped. :func:`reduce_median` does the same job for the p-median model.

Nothing here loops in Python over demand rows or pairs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tcm_coverage._errors import InputError

logger = logging.getLogger(__name__)

__all__ = [
    "ReducedInstance",
    "ReductionStats",
    "SitingInstance",
    "coverage_after",
    "instance_from_matrix",
    "instance_from_od",
    "make_instance",
    "minutes_after",
    "reduce_covering",
    "reduce_median",
]

#: Candidate kinds understood by the adapters and the upgrade-versus-build reporting.
KINDS: tuple[str, ...] = ("upgrade", "new")


# --------------------------------------------------------------------------------------
# The instance
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SitingInstance:
    """A site-selection problem in matrix form (see the module docstring).

    Build it with :func:`make_instance`, :func:`instance_from_matrix` or
    :func:`instance_from_od` (they validate); the fields are plain arrays.

    Attributes
    ----------
    weight : numpy.ndarray
        (k,) float64 demand weights (population), >= 0.
    pair_demand, pair_candidate : numpy.ndarray
        (m,) int64 demand row and candidate of each pair, sorted by (demand, candidate),
        no duplicates.
    pair_minutes : numpy.ndarray
        (m,) float64 travel minutes of each pair (finite, >= 0).
    n_candidates : int
        Number of candidates ``n``.
    threshold : float
        Coverage threshold in minutes: a pair covers when ``pair_minutes <= threshold``.
    cost : numpy.ndarray
        (n,) float64 cost of opening each candidate, >= 0.
    forced, excluded : numpy.ndarray
        (n,) bool: the candidate must be / must not be chosen.
    existing_minutes : numpy.ndarray
        (k,) float64 minutes to the nearest existing facility, ``inf`` when none.
    kind : numpy.ndarray
        (n,) object array of candidate kinds (``"upgrade"``, ``"new"`` or ``""``).
    """

    weight: np.ndarray
    pair_demand: np.ndarray
    pair_candidate: np.ndarray
    pair_minutes: np.ndarray
    n_candidates: int
    threshold: float
    cost: np.ndarray
    forced: np.ndarray
    excluded: np.ndarray
    existing_minutes: np.ndarray
    kind: np.ndarray

    @property
    def n_demand(self) -> int:
        """Number of demand rows ``k``."""
        return int(self.weight.shape[0])

    @property
    def n_pairs(self) -> int:
        """Number of listed pairs ``m``."""
        return int(self.pair_demand.shape[0])

    @property
    def already_covered(self) -> np.ndarray:
        """(k,) bool: covered by an existing facility within the threshold."""
        return self.existing_minutes <= self.threshold

    @property
    def total_weight(self) -> float:
        """Sum of all demand weights."""
        return float(self.weight.sum())

    def coverage(self) -> sp.csr_matrix:
        """Covering pairs as a (k, n) boolean CSR matrix (excluded candidates left out).

        Returns
        -------
        scipy.sparse.csr_matrix
            ``A[i, j]`` is True when candidate ``j`` (not excluded) reaches row ``i`` within
            the threshold. Indices are sorted within rows.
        """
        keep = (self.pair_minutes <= self.threshold) & ~self.excluded[self.pair_candidate]
        return _bool_csr(self.pair_demand[keep], self.pair_candidate[keep],
                         (self.n_demand, self.n_candidates))

    def coverable(self) -> np.ndarray:
        """(k,) bool: some non-excluded candidate covers the row."""
        keep = (self.pair_minutes <= self.threshold) & ~self.excluded[self.pair_candidate]
        out = np.zeros(self.n_demand, dtype=bool)
        out[self.pair_demand[keep]] = True
        return out


def _bool_csr(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """Boolean CSR with sorted indices from (row, col) lists without duplicates."""
    mat = sp.csr_matrix((np.ones(rows.shape[0], dtype=bool), (rows, cols)), shape=shape)
    mat.sum_duplicates()
    mat.sort_indices()
    return mat


# --------------------------------------------------------------------------------------
# Constructors (validate everything once)
# --------------------------------------------------------------------------------------
def _flag(values: Any, n: int, what: str) -> np.ndarray:
    if values is None:
        return np.zeros(n, dtype=bool)
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise InputError(f"'{what}' has shape {arr.shape}, expected ({n},) (one per candidate).")
    if arr.dtype == bool:
        return arr.copy()
    try:
        num = np.asarray(pd.to_numeric(pd.Series(arr), errors="raise"), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"'{what}' must be True/False or 1/0 per candidate.",
                         column=what, fix="Use booleans or 0/1.") from exc
    return np.nan_to_num(num, nan=0.0) != 0


def _positions(mask: np.ndarray) -> list[int]:
    return np.flatnonzero(mask).tolist()


def make_instance(
    weight: Any,
    demand: Any,
    candidate: Any,
    minutes: Any,
    *,
    n_candidates: int,
    threshold: float,
    cost: Any = None,
    forced: Any = None,
    excluded: Any = None,
    existing_minutes: Any = None,
    kind: Sequence[str] | np.ndarray | None = None,
) -> SitingInstance:
    """Build and validate a :class:`SitingInstance` from pair lists.

    Parameters
    ----------
    weight
        (k,) demand weights (population), finite and >= 0.
    demand, candidate, minutes
        (m,) pairs: demand row, candidate index and travel minutes. Pairs with non-finite
        minutes are dropped; duplicated pairs keep the smallest time.
    n_candidates
        Number of candidates ``n`` (candidates without any pair are allowed).
    threshold
        Coverage threshold in minutes (> 0).
    cost
        (n,) costs, >= 0; default 1 for every candidate.
    forced, excluded
        (n,) flags; a candidate cannot be both.
    existing_minutes
        (k,) minutes to the nearest existing facility (``inf``/NaN: none); default none.
    kind
        (n,) candidate kinds (``"upgrade"``, ``"new"``); default empty strings.

    Returns
    -------
    SitingInstance

    Raises
    ------
    InputError
        Shapes differ, weights or costs are negative or missing, pair indices are out of
        range, minutes are negative, or a candidate is both forced and excluded.
    """
    w = np.atleast_1d(np.asarray(weight, dtype=np.float64))
    if w.ndim != 1:
        raise InputError(f"demand weights must be one-dimensional, got shape {w.shape}.")
    k = w.shape[0]
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} demand weight(s) are negative or missing "
            f"(first at demand position {int(np.flatnonzero(bad)[0])}).",
            fix="Give every demand point a population >= 0.",
        )
    n = int(n_candidates)
    if n < 0:
        raise InputError(f"n_candidates must be >= 0, got {n}.")
    thr = float(threshold)
    if not np.isfinite(thr) or thr <= 0:
        raise InputError(f"the coverage threshold must be a positive number of minutes, got {threshold}.")
    d = np.atleast_1d(np.asarray(demand, dtype=np.int64))
    c = np.atleast_1d(np.asarray(candidate, dtype=np.int64))
    t = np.atleast_1d(np.asarray(minutes, dtype=np.float64))
    if not (d.shape == c.shape == t.shape) or d.ndim != 1:
        raise InputError(
            f"pair arrays differ in shape: demand {d.shape}, candidate {c.shape}, minutes {t.shape}."
        )
    if d.size and (d.min() < 0 or d.max() >= k):
        raise InputError(f"pair demand indices must lie in 0..{k - 1}.")
    if c.size and (c.min() < 0 or c.max() >= n):
        raise InputError(f"pair candidate indices must lie in 0..{n - 1}.")
    if (t < 0).any():
        raise InputError(
            f"{int((t < 0).sum())} pair(s) have negative travel minutes.",
            fix="Travel times must be >= 0.",
        )
    finite = np.isfinite(t)
    d, c, t = d[finite], c[finite], t[finite]
    # sort by (demand, candidate, minutes) and keep the first (fastest) of duplicates
    order = np.lexsort((t, c, d))
    d, c, t = d[order], c[order], t[order]
    if d.size:
        first = np.ones(d.size, dtype=bool)
        first[1:] = (d[1:] != d[:-1]) | (c[1:] != c[:-1])
        d, c, t = d[first], c[first], t[first]

    if cost is None:
        cst = np.ones(n)
    else:
        cst = np.atleast_1d(np.asarray(cost, dtype=np.float64))
        if cst.shape != (n,):
            raise InputError(f"'cost' has shape {cst.shape}, expected ({n},) (one per candidate).")
        badc = ~np.isfinite(cst) | (cst < 0)
        if badc.any():
            raise InputError(
                f"{int(badc.sum())} candidate cost(s) are negative or missing "
                f"(candidate positions {_positions(badc)[:10]}).",
                column="cost", fix="Give every candidate a cost >= 0.",
            )
    fo = _flag(forced, n, "forced")
    ex = _flag(excluded, n, "excluded")
    both = fo & ex
    if both.any():
        raise InputError(
            f"{int(both.sum())} candidate(s) are both forced and excluded "
            f"(candidate positions {_positions(both)[:10]}).",
            fix="Clear one of the two flags.",
        )
    if existing_minutes is None:
        ex_min = np.full(k, np.inf)
    else:
        ex_min = np.atleast_1d(np.asarray(existing_minutes, dtype=np.float64)).copy()
        if ex_min.shape != (k,):
            raise InputError(f"existing_minutes has shape {ex_min.shape}, expected ({k},).")
        ex_min[np.isnan(ex_min)] = np.inf
        if (ex_min < 0).any():
            raise InputError("existing_minutes must be >= 0 (inf when no facility is reachable).")
    if kind is None:
        knd = np.full(n, "", dtype=object)
    else:
        knd = np.asarray(kind, dtype=object)
        if knd.shape != (n,):
            raise InputError(f"'kind' has shape {knd.shape}, expected ({n},).")
    return SitingInstance(
        weight=w, pair_demand=d, pair_candidate=c, pair_minutes=t, n_candidates=n,
        threshold=thr, cost=cst, forced=fo, excluded=ex, existing_minutes=ex_min, kind=knd,
    )


def instance_from_matrix(
    minutes: Any,
    weight: Any,
    *,
    threshold: float,
    cutoff: float | None = None,
    **kwargs: Any,
) -> SitingInstance:
    """Build an instance from a dense (k, n) matrix of minutes (or any distance unit).

    Parameters
    ----------
    minutes
        (k, n) travel times; ``inf`` or NaN where there is no path.
    weight
        (k,) demand weights.
    threshold
        Coverage threshold, same unit as ``minutes``.
    cutoff
        Keep only pairs with time <= ``cutoff`` (default: keep every finite pair, which the
        p-median model needs to reproduce an unrestricted matrix).
    **kwargs
        Passed on to :func:`make_instance` (``cost``, ``forced``, ``excluded``,
        ``existing_minutes``, ``kind``).

    Returns
    -------
    SitingInstance
    """
    mat = np.asarray(minutes, dtype=np.float64)
    if mat.ndim != 2:
        raise InputError(f"the travel-time matrix must be two-dimensional, got shape {mat.shape}.")
    keep = np.isfinite(mat)
    if cutoff is not None:
        keep &= mat <= cutoff
    d, c = np.nonzero(keep)
    return make_instance(weight, d, c, mat[d, c], n_candidates=mat.shape[1],
                         threshold=threshold, **kwargs)


def instance_from_od(od: Any, weight: Any, *, threshold: float, **kwargs: Any) -> SitingInstance:
    """Build an instance from an ``ODPairs`` object (:func:`tcm_coverage.access.traveltime.od_pairs_within`).

    Parameters
    ----------
    od
        Anything with ``demand``, ``facility``, ``minutes``, ``n_demand`` and ``n_facility``
        attributes (the candidates are the "facilities" of the OD pairs).
    weight
        (n_demand,) demand weights.
    threshold
        Coverage threshold in minutes (pairs up to the OD cutoff are kept for p-median).
    **kwargs
        Passed on to :func:`make_instance`.

    Returns
    -------
    SitingInstance
    """
    w = np.atleast_1d(np.asarray(weight, dtype=np.float64))
    if w.shape != (int(od.n_demand),):
        raise InputError(f"{w.shape[0]} weights for {int(od.n_demand)} demand points in the OD pairs.")
    return make_instance(w, od.demand, od.facility, od.minutes, n_candidates=int(od.n_facility),
                         threshold=threshold, **kwargs)


# --------------------------------------------------------------------------------------
# Evaluation of a plan
# --------------------------------------------------------------------------------------
def _chosen_mask(inst: SitingInstance, chosen: Any) -> np.ndarray:
    mask = np.zeros(inst.n_candidates, dtype=bool)
    idx = np.asarray(chosen, dtype=np.int64).ravel()
    if idx.size:
        if idx.min() < 0 or idx.max() >= inst.n_candidates:
            raise InputError(f"chosen candidates must lie in 0..{inst.n_candidates - 1}.")
        mask[idx] = True
    return mask


def coverage_after(inst: SitingInstance, chosen: Any) -> np.ndarray:
    """Which demand rows are covered once ``chosen`` candidates open (existing stay open).

    Parameters
    ----------
    inst
        The instance.
    chosen
        Candidate indices.

    Returns
    -------
    numpy.ndarray
        (k,) bool.
    """
    open_ = _chosen_mask(inst, chosen)
    hit = open_[inst.pair_candidate] & (inst.pair_minutes <= inst.threshold)
    out = inst.already_covered.copy()
    out[inst.pair_demand[hit]] = True
    return out


def minutes_after(inst: SitingInstance, chosen: Any) -> np.ndarray:
    """Minutes to the nearest open facility (existing or chosen) as far as the pairs know.

    Parameters
    ----------
    inst
        The instance.
    chosen
        Candidate indices.

    Returns
    -------
    numpy.ndarray
        (k,) float64; ``inf`` when neither an existing facility nor a listed pair to a
        chosen candidate reaches the row.
    """
    open_ = _chosen_mask(inst, chosen)
    hit = open_[inst.pair_candidate]
    out = inst.existing_minutes.copy()
    np.minimum.at(out, inst.pair_demand[hit], inst.pair_minutes[hit])
    return out


# --------------------------------------------------------------------------------------
# Reduction
# --------------------------------------------------------------------------------------
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
    cov = _bool_csr(pd_, pc, (row_ids.shape[0], n))

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
    gcov = _bool_csr(gd, gc, (n_groups, n))

    keep_c = ~inst.excluded
    col_count = np.diff(gcov.tocsc().indptr)
    useless = keep_c & (col_count == 0) & ~inst.forced
    keep_c &= ~useless
    n_dom = 0
    if drop_dominated and n:
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
