"""Is access fair? Population-weighted Gini of travel time, the Lorenz curve, the 街道/乡镇
(urban/rural) gap and where the uncovered live.

Definitions
-----------
Gini
    Of the travel time (headline mode, nearest TCM service point) over residents, each demand
    point weighted by its population: ``G = Σ_i Σ_j w_i w_j |x_i - x_j| / (2 W² μ)`` (``W`` the
    total weight, ``μ`` the weighted mean), computed from the sorted times in O(n log n) as
    ``1 - Σ_k (p_k - p_{k-1}) (L_k + L_{k-1})``, the trapezoids under the Lorenz curve (``p``
    cumulative population share, ``L`` cumulative share of total minutes, residents sorted by
    time): the two are equal for weighted discrete data. 0: everyone equally far; near 1: a
    few carry all the travel time. NaN (no data) when no resident is reached or all times are 0.
Unreached residents
    Residents who reach no TCM service point have no travel time: they are **left out** of the
    Gini, the Lorenz curve and the mean (no invented minutes), and counted beside them
    (``unreachable_population``). Unknown is not zero.
街道/乡镇 gap
    The township kind comes from the name's suffix (:data:`~tcm_coverage.vocab.TOWNSHIP_KINDS`:
    街道 subdistrict, 镇 town, 乡 township); 街道 are urban (:data:`~tcm_coverage.vocab.URBAN_KINDS`),
    镇 and 乡 rural. The gap is the urban minus the rural share within the threshold (share
    points) and the rural minus the urban mean minutes; NaN when either side has no residents.
Uncovered in the three worst townships
    Of the residents beyond the threshold (the unreached included), the share who live in the
    three townships of lowest share within the threshold.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from tcm_coverage.access.grouped import Groups, group_codes, group_sums, sort_in_groups
from tcm_coverage.vocab import TOWNSHIP_KINDS, URBAN_KINDS

__all__ = ["fairness_table", "gini_by_group", "lorenz_curve", "lorenz_points", "township_kind", "weighted_gini"]


def _reached(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, float)
    w = np.asarray(weights, float)
    ok = np.isfinite(v) & (w > 0)
    order = np.argsort(v[ok], kind="stable")
    return v[ok][order], w[ok][order]


def lorenz_curve(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve of ``values`` weighted by ``weights`` (unreached ``inf`` left out).

    Parameters
    ----------
    values
        Travel minutes per demand point (``inf``: unreached).
    weights
        Population per demand point.

    Returns
    -------
    p, L : numpy.ndarray
        Cumulative population share and cumulative share of the minutes, from (0, 0) to
        (1, 1), residents sorted by time; empty arrays when no one is reached or the total
        time is 0.
    """
    v, w = _reached(values, weights)
    total_w, total_vw = w.sum(), (v * w).sum()
    if v.size == 0 or total_vw <= 0:
        return np.zeros(0), np.zeros(0)
    p = np.concatenate([[0.0], np.cumsum(w) / total_w])
    lor = np.concatenate([[0.0], np.cumsum(v * w) / total_vw])
    return p, lor


def weighted_gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Population-weighted Gini of travel time (unreached left out; see the module docstring).

    Parameters
    ----------
    values
        Minutes per demand point (``inf``: unreached).
    weights
        Population per demand point.

    Returns
    -------
    float
        In [0, 1); NaN when no one is reached or all times are 0.
    """
    p, lor = lorenz_curve(values, weights)
    if p.size == 0:
        return float("nan")
    return float(1.0 - np.sum(np.diff(p) * (lor[1:] + lor[:-1])))


def lorenz_points(values: np.ndarray, weights: np.ndarray, *, n: int = 51) -> pd.DataFrame:
    """The Lorenz curve at ``n`` evenly spaced population shares (for a chart).

    The curve is piecewise linear between residents, so the interpolated points lie on it.

    Returns
    -------
    pandas.DataFrame
        ``p`` and ``lorenz`` (empty when :func:`lorenz_curve` is).
    """
    p, lor = lorenz_curve(values, weights)
    if p.size == 0:
        return pd.DataFrame({"p": [], "lorenz": []})
    grid = np.linspace(0.0, 1.0, n)
    return pd.DataFrame({"p": grid, "lorenz": np.interp(grid, p, lor)})


def township_kind(names: Iterable[object]) -> np.ndarray:
    """The kind of each township from its name's suffix (``""`` when none matches).

    >>> township_kind(["麟绛街道", "路村乡", "余吾镇", "开发区"]).tolist()
    ['subdistrict', 'township', 'town', '']
    """
    values = ["" if n is None or (isinstance(n, float) and np.isnan(n)) else str(n)
              for n in names]
    s = pd.Series(values, dtype=str).str.strip()
    kind = np.full(len(s), "", dtype=object)
    for name, suffix in reversed(TOWNSHIP_KINDS):  # the first listed wins
        kind[s.str.endswith(suffix).to_numpy(bool)] = name
    return kind


def _stats(minutes: np.ndarray, w: np.ndarray, threshold: float) -> dict[str, float]:
    total = float(w.sum())
    reach = np.isfinite(minutes)
    reached = float(w[reach].sum())
    return {"population": total, "unreachable_population": total - reached,
            "share_within": float(w[minutes <= threshold].sum() / total) if total > 0 else float("nan"),
            "mean_min": float((minutes[reach] * w[reach]).sum() / reached) if reached > 0 else float("nan"),
            "gini": weighted_gini(minutes, w)}


def gini_by_group(groups: Groups, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """:func:`weighted_gini` of every group at once (one sort; unreached left out).

    Parameters
    ----------
    groups
        From :func:`~tcm_coverage.access.grouped.group_codes`.
    values
        (n,) minutes per point (``inf``: unreached).
    weights
        (n,) population per point.

    Returns
    -------
    numpy.ndarray
        (g,) Gini per group; NaN where no one is reached or all times are 0.
    """
    v, w = np.asarray(values, float), np.asarray(weights, float)
    ok = np.isfinite(v) & (w > 0)
    reached = Groups(index=np.where(ok, groups.index, -1), labels=groups.labels)
    s = sort_in_groups(reached, v, w)
    x, wx, grp = s.values[0], s.weights[0], s.group
    if x.size == 0:
        return np.full(groups.n, np.nan)
    total_w = np.bincount(grp, weights=wx, minlength=groups.n)
    total_vw = np.bincount(grp, weights=x * wx, minlength=groups.n)
    first = np.r_[True, grp[1:] != grp[:-1]]

    def within(cum: np.ndarray) -> np.ndarray:  # cumulative sums restarted at each group
        start = np.maximum.accumulate(np.where(first, np.arange(len(cum)), 0))
        return cum - np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)

    with np.errstate(invalid="ignore", divide="ignore"):
        p = within(np.cumsum(wx)) / total_w[grp]
        lor = within(np.cumsum(x * wx)) / total_vw[grp]
    p_prev = np.where(first, 0.0, np.r_[0.0, p[:-1]])
    l_prev = np.where(first, 0.0, np.r_[0.0, lor[:-1]])
    area = np.bincount(grp, weights=(p - p_prev) * (lor + l_prev), minlength=groups.n)
    return np.where((s.counts > 0) & (total_vw > 0), 1.0 - area, np.nan)


def _group_table(groups: Groups, minutes: np.ndarray, w: np.ndarray, threshold: float) -> pd.DataFrame:
    """:func:`_stats` and the uncovered residents of every group (indexed by code)."""
    reach = np.isfinite(minutes)
    sums = group_sums(groups, np.column_stack([w, w * reach, w * (minutes <= threshold),
                                               np.where(reach, minutes * w, 0.0)]))
    total, reached, within, wt = sums.T
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, within / np.where(total > 0, total, 1.0), np.nan)
        mean = np.where(reached > 0, wt / np.where(reached > 0, reached, 1.0), np.nan)
    return pd.DataFrame({"population": total, "unreachable_population": total - reached, "share_within": share,
                         "mean_min": mean, "gini": gini_by_group(groups, minutes, w),
                         "uncovered_population": total - within}, index=pd.Index(groups.labels, dtype=object))


def _county_extras(town: pd.DataFrame, minutes: np.ndarray, w: np.ndarray, kinds: np.ndarray,
                   threshold: float) -> dict[str, object]:
    """The 街道/乡镇 gap and the uncovered in the three worst townships of one county."""
    urban = np.isin(kinds, URBAN_KINDS)
    rural = (kinds != "") & ~urban
    u, r = _stats(minutes[urban], w[urban], threshold), _stats(minutes[rural], w[rural], threshold)
    uncovered = w * ~(minutes <= threshold)
    worst = town[town["population"] > 0].sort_values(["share_within", "code"]).head(3)
    in_worst = town.index.isin(worst.index)
    total_uncovered = float(uncovered.sum())
    worst_uncovered = float(town.loc[in_worst, "uncovered_population"].sum())
    return {
        "urban_population": u["population"], "rural_population": r["population"],
        "urban_share_within": u["share_within"], "rural_share_within": r["share_within"],
        "gap_share_within": u["share_within"] - r["share_within"],
        "urban_mean_min": u["mean_min"], "rural_mean_min": r["mean_min"],
        "gap_mean_min": r["mean_min"] - u["mean_min"],
        "uncovered_population": total_uncovered,
        "worst_townships": "、".join(worst["name"].astype(str)),
        "uncovered_share_worst3": worst_uncovered / total_uncovered if total_uncovered > 0 else float("nan"),
    }


def _township_rows(t: np.ndarray, w: np.ndarray, ccode: np.ndarray, tcode: np.ndarray, townships: pd.DataFrame,
                   threshold: float) -> pd.DataFrame:
    """The township rows of :func:`fairness_table`, every township in one grouped pass."""
    codes = townships["code"].astype(str).to_numpy(dtype=object)
    groups = group_codes(tcode, drop=None)
    stats = _group_table(groups, t, w, threshold).reindex(codes)
    empty = stats["population"].isna().to_numpy()  # a township with no demand point
    fill = {"population": 0.0, "unreachable_population": 0.0, "uncovered_population": 0.0}
    stats = stats.fillna(fill)
    # parent county: the most frequent county code of the township's points (ties: the smallest)
    county = group_codes(ccode, drop=None)
    both = groups.kept & county.kept
    pair = groups.index[both] * max(county.n, 1) + county.index[both]
    counts = np.bincount(pair, minlength=groups.n * county.n).reshape(groups.n, county.n)
    at = pd.Index(groups.labels, dtype=object).get_indexer(codes)
    parent = np.full(len(codes), None, dtype=object)
    has = (at >= 0) & ~empty
    if county.n and has.any():
        best = counts[at[has]].argmax(axis=1)
        parent[has] = county.labels[best]
    out = pd.DataFrame({"level": "township", "code": codes, "name": townships["name"].to_numpy(),
                        "parent_code": parent, "kind": township_kind(townships["name"])})
    for col in ("population", "unreachable_population", "share_within", "mean_min", "gini"):
        out[col] = stats[col].to_numpy(float)
    out["uncovered_population"] = stats["uncovered_population"].to_numpy(float)
    return out


def fairness_table(minutes: np.ndarray, population: np.ndarray, *, county_codes: np.ndarray,
                   counties: pd.DataFrame, threshold: float, township_codes: np.ndarray | None = None,
                   townships: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per county and township: Gini, mean, share within the threshold; per county also the
    街道/乡镇 gap and the uncovered in the three worst townships.

    Parameters
    ----------
    minutes
        (k,) headline travel minutes per demand point (``inf`` unreached).
    population
        (k,) population per demand point.
    county_codes, township_codes
        (k,) area code of each demand point.
    counties, townships
        ``code`` and ``name`` of the areas (townships may carry ``parent_code``).
    threshold
        The headline threshold in minutes.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``code``, ``name``, ``parent_code``, ``kind`` (townships), ``population``,
        ``unreachable_population``, ``share_within``, ``mean_min``, ``gini``,
        ``uncovered_population`` and on county rows the gap and worst-three columns of the
        module docstring (NaN: no data).
    """
    t = np.asarray(minutes, float)
    w = np.asarray(population, float)
    ccode = np.asarray(county_codes).astype(str)
    tcode = None if township_codes is None else np.asarray(township_codes).astype(str)
    kinds = np.full(len(t), "", dtype=object)
    town = pd.DataFrame()
    if townships is not None and tcode is not None:
        town = _township_rows(t, w, ccode, tcode, townships, threshold)
        kind_of = dict(zip(town["code"], town["kind"], strict=True))
        kinds = pd.Series(tcode, dtype=object).map(kind_of).fillna("").to_numpy(dtype=object)
    rows = []
    for code, name in zip(counties["code"].astype(str), counties["name"], strict=True):
        here = ccode == code
        row = {"level": "county", "code": code, "name": name, "parent_code": None, "kind": "",
               **_stats(t[here], w[here], threshold)}
        if len(town):
            row.update(_county_extras(town[town["parent_code"] == code], t[here], w[here], kinds[here],
                                      threshold))
        else:
            row["uncovered_population"] = float((w[here] * ~(t[here] <= threshold)).sum())
        rows.append(row)
    return pd.concat([pd.DataFrame(rows), town], ignore_index=True)
