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

from tcm_coverage.vocab import TOWNSHIP_KINDS, URBAN_KINDS

__all__ = ["fairness_table", "lorenz_curve", "lorenz_points", "township_kind", "weighted_gini"]


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
    town_rows = []
    kinds = np.full(len(t), "", dtype=object)
    if townships is not None and tcode is not None:
        tkind = dict(zip(townships["code"].astype(str), township_kind(townships["name"]), strict=True))
        kinds = np.array([tkind.get(c, "") for c in tcode], dtype=object)
        for code, name in zip(townships["code"].astype(str), townships["name"], strict=True):
            here = tcode == code
            parent = pd.Series(ccode[here]).mode()
            town_rows.append({"level": "township", "code": code, "name": name,
                              "parent_code": parent.iloc[0] if len(parent) else None,
                              "kind": tkind[code], **_stats(t[here], w[here], threshold),
                              "uncovered_population": float((w[here] * ~(t[here] <= threshold)).sum())})
    town = pd.DataFrame(town_rows)
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
