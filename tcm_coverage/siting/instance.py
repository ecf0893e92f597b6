"""Matrix-first description of a site-selection problem and the evaluation of a plan.

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

:mod:`tcm_coverage.siting.reduction` shrinks an instance for a model without changing its
optimum.

Nothing here loops in Python over demand rows or pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tcm_coverage._errors import InputError

if TYPE_CHECKING:  # typing.Unpack is Python 3.11+; the package runs on 3.10
    from typing_extensions import Unpack

__all__ = [
    "KINDS",
    "CandidateColumns",
    "SitingInstance",
    "bool_csr",
    "coverage_after",
    "instance_from_matrix",
    "instance_from_od",
    "make_instance",
    "minutes_after",
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
        return bool_csr(self.pair_demand[keep], self.pair_candidate[keep],
                         (self.n_demand, self.n_candidates))

    def coverable(self) -> np.ndarray:
        """(k,) bool: some non-excluded candidate covers the row."""
        keep = (self.pair_minutes <= self.threshold) & ~self.excluded[self.pair_candidate]
        out = np.zeros(self.n_demand, dtype=bool)
        out[self.pair_demand[keep]] = True
        return out


def bool_csr(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
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


class CandidateColumns(TypedDict, total=False):
    """The per-candidate keyword arguments of :func:`make_instance` (each (n,), all optional).

    Attributes
    ----------
    cost
        Costs, >= 0; default 1 for every candidate.
    forced, excluded
        Flags (booleans or 0/1); a candidate cannot be both.
    kind
        Candidate kinds (``"upgrade"``, ``"new"``); default empty strings.
    """

    cost: Any
    forced: Any
    excluded: Any
    kind: Sequence[str] | np.ndarray | None


def _weights(weight: Any) -> np.ndarray:
    w = np.atleast_1d(np.asarray(weight, dtype=np.float64))
    if w.ndim != 1:
        raise InputError(f"demand weights must be one-dimensional, got shape {w.shape}.")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} demand weight(s) are negative or missing "
            f"(first at demand position {int(np.flatnonzero(bad)[0])}).",
            fix="Give every demand point a population >= 0.",
        )
    return w


def _sizes(n_candidates: int, threshold: float) -> tuple[int, float]:
    n = int(n_candidates)
    if n < 0:
        raise InputError(f"n_candidates must be >= 0, got {n}.")
    thr = float(threshold)
    if not np.isfinite(thr) or thr <= 0:
        raise InputError(f"the coverage threshold must be a positive number of minutes, got {threshold}.")
    return n, thr


def _pairs(demand: Any, candidate: Any, minutes: Any, k: int,
           n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated pairs sorted by (demand, candidate), non-finite dropped, fastest duplicate kept."""
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
    return d, c, t


def _costs(cost: Any, n: int) -> np.ndarray:
    if cost is None:
        return np.ones(n)
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
    return cst


def _forced_excluded(forced: Any, excluded: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    fo = _flag(forced, n, "forced")
    ex = _flag(excluded, n, "excluded")
    both = fo & ex
    if both.any():
        raise InputError(
            f"{int(both.sum())} candidate(s) are both forced and excluded "
            f"(candidate positions {_positions(both)[:10]}).",
            fix="Clear one of the two flags.",
        )
    return fo, ex


def _existing(existing_minutes: Any, k: int) -> np.ndarray:
    if existing_minutes is None:
        return np.full(k, np.inf)
    ex_min = np.atleast_1d(np.asarray(existing_minutes, dtype=np.float64)).copy()
    if ex_min.shape != (k,):
        raise InputError(f"existing_minutes has shape {ex_min.shape}, expected ({k},).")
    ex_min[np.isnan(ex_min)] = np.inf
    if (ex_min < 0).any():
        raise InputError("existing_minutes must be >= 0 (inf when no facility is reachable).")
    return ex_min


def _kinds(kind: Any, n: int) -> np.ndarray:
    if kind is None:
        return np.full(n, "", dtype=object)
    knd = np.asarray(kind, dtype=object)
    if knd.shape != (n,):
        raise InputError(f"'kind' has shape {knd.shape}, expected ({n},).")
    return knd


def make_instance(
    weight: Any,
    demand: Any,
    candidate: Any,
    minutes: Any,
    *,
    n_candidates: int,
    threshold: float,
    existing_minutes: Any = None,
    **candidates: Unpack[CandidateColumns],
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
    existing_minutes
        (k,) minutes to the nearest existing facility (``inf``/NaN: none); default none.
    **candidates
        The per-candidate columns of :class:`CandidateColumns`: ``cost`` ((n,) costs >= 0,
        default 1), ``forced`` and ``excluded`` ((n,) flags; a candidate cannot be both),
        ``kind`` ((n,) ``"upgrade"``/``"new"``, default empty strings).

    Returns
    -------
    SitingInstance

    Raises
    ------
    InputError
        Shapes differ, weights or costs are negative or missing, pair indices are out of
        range, minutes are negative, or a candidate is both forced and excluded.
    TypeError
        An unknown keyword argument.
    """
    unknown = sorted(set(candidates) - set(CandidateColumns.__annotations__))
    if unknown:
        raise TypeError(f"make_instance() got unexpected keyword argument(s) {unknown}")
    w = _weights(weight)
    k = w.shape[0]
    n, thr = _sizes(n_candidates, threshold)
    d, c, t = _pairs(demand, candidate, minutes, k, n)
    cst = _costs(candidates.get("cost"), n)
    fo, ex = _forced_excluded(candidates.get("forced"), candidates.get("excluded"), n)
    ex_min = _existing(existing_minutes, k)
    knd = _kinds(candidates.get("kind"), n)
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
