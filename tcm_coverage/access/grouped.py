"""Population-weighted statistics of many columns over many areas at once (the tables' engine).

The coverage, residents-65+, capacity, fairness, referral and sensitivity tables all ask the
same questions of the demand points grouped by area: sums of weights, sums within thresholds,
weighted quantiles, maxima. Here the area codes are turned into integer groups **once**
(:func:`group_codes`, one :func:`pandas.factorize`) and every statistic of every column is one
numpy pass: :func:`numpy.bincount` for sums, one :func:`numpy.lexsort` of (group, value) per
column matrix for quantiles and maxima. No per-group DataFrame slicing, no loop over points,
areas or facilities.

Groups are in sorted code order (as :meth:`pandas.DataFrame.groupby` with ``sort=True``) and
contain only codes that occur among the points kept; points whose code is the ``drop`` code
(``""``: outside every area) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["GroupSorted", "Groups", "column_summary", "group_codes", "group_max", "group_median", "group_sums",
           "sort_in_groups", "value_order", "weighted_quantile"]


@dataclass(frozen=True, eq=False)
class Groups:
    """Points grouped by area code.

    Attributes
    ----------
    index
        (n,) int64 group of each point; -1 for a point left out.
    labels
        (g,) the area codes, sorted; ``labels[index[i]]`` is point ``i``'s code.
    """

    index: np.ndarray
    labels: np.ndarray

    @property
    def n(self) -> int:
        """Number of groups."""
        return len(self.labels)

    @property
    def kept(self) -> np.ndarray:
        """(n,) bool: the points in some group."""
        return self.index >= 0


def group_codes(codes: np.ndarray, *, drop: object | None = "") -> Groups:
    """Integer groups of area codes (one :func:`pandas.factorize`, codes sorted).

    Parameters
    ----------
    codes
        (n,) area code per point.
    drop
        The code of points to leave out (default ``""``: outside every area; ``None``: keep
        every code); missing codes (NaN) are left out too.

    Returns
    -------
    Groups
    """
    arr = np.asarray(codes)
    keep = np.ones(len(arr), bool) if drop is None else np.asarray(arr != drop, bool).reshape(len(arr))
    index = np.full(len(arr), -1, dtype=np.int64)
    sub, labels = pd.factorize(arr[keep], sort=True)
    index[keep] = sub
    return Groups(index=index, labels=np.asarray(labels))


def _as_matrix(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, float)
    return v[:, None] if v.ndim == 1 else v


def group_sums(groups: Groups, values: np.ndarray) -> np.ndarray:
    """Sum per group of each column of ``values``.

    One sparse (groups × points) indicator matrix times the values: each group's sum adds its
    points in point order, as :func:`numpy.bincount` does (the same numbers to the bit).

    Parameters
    ----------
    groups
        From :func:`group_codes`.
    values
        (n,) or (n, c) numbers per point (points left out are ignored).

    Returns
    -------
    numpy.ndarray
        (g,) or (g, c) float64 sums (0 for a group whose values are all 0).
    """
    import scipy.sparse as sp  # noqa: PLC0415 - a redraw that sums nothing imports no scipy (0.3 s)

    v = _as_matrix(values)
    keep = groups.kept
    points = np.flatnonzero(keep)
    indicator = sp.csr_matrix((np.ones(points.size), (groups.index[points], points)),
                              shape=(groups.n, len(keep)))
    sums = np.asarray(indicator @ v, dtype=float).reshape(groups.n, v.shape[1])
    return sums[:, 0] if np.ndim(values) == 1 else sums


@dataclass(frozen=True, eq=False)
class GroupSorted:
    """The kept points sorted by (group, value) per column (:func:`sort_in_groups`).

    Attributes
    ----------
    values
        (c, m) each column's values, sorted by group then value (ties in point order; ``inf``
        then NaN last within a group).
    weights
        (c, m) the weights in that order.
    group
        (m,) the group of each position (the same for every column).
    starts, counts
        (g,) first position and number of points of each group (0 for an empty group).
    """

    values: np.ndarray
    weights: np.ndarray
    group: np.ndarray
    starts: np.ndarray
    counts: np.ndarray

    def count(self, mask: np.ndarray) -> np.ndarray:
        """(c, g) number of true entries of a (c, m) mask per group."""
        c, g = self.values.shape[0], len(self.starts)
        flat = (np.arange(c)[:, None] * g + self.group[None, :]).ravel()
        return np.bincount(flat, weights=np.asarray(mask, float).ravel(), minlength=c * g).reshape(c, g)


def value_order(values: np.ndarray) -> np.ndarray:
    """(c, n) the points of each column of ``values`` by value (ties in point order; ``inf``
    then NaN last): one stable sort per column, which :func:`sort_in_groups` of any grouping
    of the same points reuses (the county and township levels sort their times once).

    Parameters
    ----------
    values
        (n,) or (n, c).

    Returns
    -------
    numpy.ndarray
        (c, n) int64 point indices.
    """
    return np.argsort(_as_matrix(values).T, axis=1, kind="stable")


def sort_in_groups(groups: Groups, values: np.ndarray, weights: np.ndarray, *,
                   order: np.ndarray | None = None) -> GroupSorted:
    """Sort the kept points by (group, value), every column at once.

    The points sorted by value (:func:`value_order`, or ``order`` when given), then by group
    with a stable integer sort: the order of one lexicographic sort by (group, value, point).

    Parameters
    ----------
    groups
        From :func:`group_codes`.
    values
        (n,) or (n, c).
    weights
        (n,) weights carried along.
    order
        :func:`value_order` of ``values``, when already computed.

    Returns
    -------
    GroupSorted
    """
    v = _as_matrix(values)
    c = v.shape[1]
    keep = groups.kept
    by_value = value_order(v) if order is None else np.asarray(order)
    if not keep.all():  # every column keeps the same points, so the rows stay equally long
        by_value = by_value[keep[by_value]].reshape(c, int(keep.sum()))
    if groups.n <= 1:  # one area (a county level): the stable sort by group keeps the value order
        pos = by_value
    else:
        gi = groups.index.astype(np.int16) if groups.n < 2**15 else groups.index  # int16: a radix sort
        pos = np.take_along_axis(by_value, np.argsort(gi[by_value], axis=1, kind="stable"), axis=1)
    counts = np.bincount(groups.index[keep], minlength=groups.n)
    starts = (np.cumsum(counts) - counts).astype(np.int64)
    w = np.asarray(weights, float)
    group = np.repeat(np.arange(groups.n, dtype=np.int64), counts)
    return GroupSorted(values=np.take_along_axis(np.ascontiguousarray(v.T), pos, axis=1), weights=w[pos], group=group,
                       starts=starts, counts=counts)


def _quantile_of(s: GroupSorted, q: float) -> np.ndarray:
    """(c, g) lower weighted quantile from the sorted points (see :func:`weighted_quantile`)."""
    c, m = s.values.shape
    if m == 0:
        return np.full((c, len(s.starts)), np.nan)
    cum = np.cumsum(s.weights, axis=1)
    empty = s.counts == 0
    ends = np.where(empty, 0, s.starts + s.counts - 1)
    before = np.where(s.starts > 0, cum[:, np.clip(s.starts - 1, 0, m - 1)], 0.0)  # (c, g)
    total = np.where(empty, 0.0, cum[:, ends] - before)
    hit = (cum - before[:, s.group]) >= q * total[:, s.group]  # monotone within a group
    first = s.starts + s.count(~hit).astype(np.int64)  # (c, g): the first position reaching q
    found = (first < s.starts + s.counts) & (total > 0)
    picked = np.take_along_axis(s.values, np.clip(first, 0, m - 1), axis=1)
    return np.where(found & np.isfinite(picked), picked, np.nan)


def _max_of(s: GroupSorted) -> np.ndarray:
    """(c, g) largest finite value per group from the sorted points (inf and NaN sort last)."""
    c, m = s.values.shape
    if m == 0:
        return np.full((c, len(s.starts)), np.nan)
    finite = s.count(np.isfinite(s.values)).astype(np.int64)
    picked = np.take_along_axis(s.values, np.clip(s.starts + finite - 1, 0, m - 1), axis=1)
    return np.where(finite > 0, picked, np.nan)


def group_median(groups: Groups, values: np.ndarray) -> np.ndarray:
    """Median of the finite values per group of each column (as :func:`numpy.median`: the mean
    of the two middle values of an even count); NaN where a group has none.

    Parameters
    ----------
    groups
        From :func:`group_codes`.
    values
        (n,) or (n, c).

    Returns
    -------
    numpy.ndarray
        (g,) or (g, c).
    """
    s = sort_in_groups(groups, values, np.zeros(len(groups.index)))
    c, m = s.values.shape
    if m == 0:
        return _shaped(np.full((c, groups.n), np.nan), values)
    finite = s.count(np.isfinite(s.values)).astype(np.int64)
    lo = np.take_along_axis(s.values, np.clip(s.starts + (finite - 1) // 2, 0, m - 1), axis=1)
    hi = np.take_along_axis(s.values, np.clip(s.starts + finite // 2, 0, m - 1), axis=1)
    return _shaped(np.where(finite > 0, (lo + hi) / 2.0, np.nan), values)


def _shaped(out: np.ndarray, values: np.ndarray) -> np.ndarray:
    return out.T[:, 0] if np.ndim(values) == 1 else out.T


def weighted_quantile(groups: Groups, values: np.ndarray, weights: np.ndarray, q: float) -> np.ndarray:
    """The weighted (lower) ``q``-quantile per group of each column.

    Per group the smallest value whose cumulative weight (values ascending, ties in point
    order) reaches ``q`` × the group's total weight; NaN when the total weight is 0 or that
    value is not finite (e.g. more than ``1 - q`` of the weight is unreachable, ``inf``).

    Parameters
    ----------
    groups
        From :func:`group_codes`.
    values
        (n,) or (n, c).
    weights
        (n,) weights >= 0.
    q
        In [0, 1].

    Returns
    -------
    numpy.ndarray
        (g,) or (g, c).
    """
    return _shaped(_quantile_of(sort_in_groups(groups, values, weights), q), values)


def group_max(groups: Groups, values: np.ndarray) -> np.ndarray:
    """Largest finite value per group of each column; NaN where a group has none.

    Parameters
    ----------
    groups
        From :func:`group_codes`.
    values
        (n,) or (n, c).

    Returns
    -------
    numpy.ndarray
        (g,) or (g, c).
    """
    return _shaped(_max_of(sort_in_groups(groups, values, np.zeros(len(groups.index)))), values)


def column_summary(groups: Groups, minutes: np.ndarray, weights: np.ndarray, *,
                   thresholds: Sequence[float], quantile: float = 0.9,
                   order: np.ndarray | None = None, ranked: bool = True) -> dict[str, np.ndarray]:
    """The statistics of :func:`~tcm_coverage.access.coverage.access_summary` for every column
    of ``minutes`` and every group, in one pass.

    Parameters
    ----------
    groups
        From :func:`group_codes`.
    minutes
        (n, c) travel minutes (``inf`` unreachable).
    weights
        (n,) population per point.
    thresholds
        Minutes.
    quantile
        The quantile reported as ``p90_min``.
    order
        :func:`value_order` of ``minutes``, when already computed (another grouping of the
        same points).
    ranked
        Also the statistics that need the times sorted (``p90_min``, ``max_min``); false:
        only the sums (no sort: e.g. the residents-65+ columns, which are counts and shares).

    Returns
    -------
    dict of str to numpy.ndarray
        Each (g, c): ``population``, ``pop_within_{T:g}`` per threshold, ``mean_min``,
        ``p90_min``, ``max_min`` (when ``ranked``), ``unreachable_population``.
    """
    t = _as_matrix(minutes)
    w = np.asarray(weights, float)
    reach = np.isfinite(t)
    stacked = np.concatenate([w[:, None], w[:, None] * reach, np.where(reach, w[:, None] * t, 0.0)]
                             + [w[:, None] * (t <= th) for th in thresholds], axis=1)
    sums = group_sums(groups, stacked)  # one bincount for every sum of every column
    c = t.shape[1]
    pop = np.repeat(sums[:, :1], c, axis=1)
    reach_w, wt = sums[:, 1:1 + c], sums[:, 1 + c:1 + 2 * c]
    out = {"population": pop}
    for k, th in enumerate(thresholds):
        out[f"pop_within_{th:g}"] = sums[:, 1 + (2 + k) * c:1 + (3 + k) * c]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_min"] = np.where(reach_w > 0, wt / np.where(reach_w > 0, reach_w, 1.0), np.nan)
    if ranked:
        ordered = sort_in_groups(groups, t, w, order=order)
        out["p90_min"] = _quantile_of(ordered, quantile).T
        out["max_min"] = _max_of(ordered).T
    out["unreachable_population"] = pop - reach_w
    return out
