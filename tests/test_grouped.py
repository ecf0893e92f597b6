"""The grouped statistics engine (access/grouped.py) against brute force, one group at a time."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tcm_coverage.access import assign_areas
from tcm_coverage.access.fairness import gini_by_group, weighted_gini
from tcm_coverage.access.grouped import (
    Groups,
    column_summary,
    group_codes,
    group_max,
    group_median,
    group_sums,
    sort_in_groups,
    value_order,
    weighted_quantile,
)


def _brute_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The lower weighted quantile of one group: sort, walk the cumulative weight."""
    order = sorted(range(len(values)), key=lambda i: (values[i], i))
    total = float(np.sum(weights))
    if total <= 0:
        return float("nan")
    acc = 0.0
    for i in order:
        acc += float(weights[i])
        if acc >= q * total:
            return float(values[i]) if np.isfinite(values[i]) else float("nan")
    return float("nan")


def _random(seed: int, n: int = 400, c: int = 3):
    rng = np.random.default_rng(seed)
    codes = rng.choice(np.array(["b", "a", "", "d", "c"], dtype=object), size=n)
    minutes = rng.exponential(12.0, size=(n, c)).round(1)  # rounding makes ties
    minutes[rng.random((n, c)) < 0.08] = np.inf
    weights = rng.exponential(30.0, size=n)
    weights[rng.random(n) < 0.05] = 0.0
    return codes, minutes, weights


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("q", [0.0, 0.5, 0.9, 1.0])
def test_weighted_quantile_matches_brute_force(seed, q):
    codes, minutes, weights = _random(seed)
    groups = group_codes(codes)
    assert list(groups.labels) == ["a", "b", "c", "d"]
    got = weighted_quantile(groups, minutes, weights, q)
    for g, label in enumerate(groups.labels):
        here = codes == label
        for j in range(minutes.shape[1]):
            want = _brute_quantile(minutes[here, j], weights[here], q)
            np.testing.assert_equal(got[g, j], want)
    one = weighted_quantile(groups, minutes[:, 1], weights, q)
    np.testing.assert_array_equal(one, got[:, 1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sort_in_groups_is_one_lexicographic_sort(seed):
    """Sorted by value then by group (stable), with or without a value order computed once,
    equals one sort by (group, value, point) of the kept points: ties, inf and NaN included."""
    codes, minutes, weights = _random(seed)
    minutes[::7, 0] = np.inf
    minutes[::11, 1] = np.nan
    one_area = np.where(codes == "", "", "a").astype(object)  # one group (a county level), some left out
    for code_set, drop in ((codes, ""), (codes, None), (one_area, ""), (one_area, None)):
        groups = group_codes(code_set, drop=drop)
        kept = np.flatnonzero(groups.kept)
        order = value_order(minutes)
        for s in (sort_in_groups(groups, minutes, weights), sort_in_groups(groups, minutes, weights, order=order)):
            for j in range(minutes.shape[1]):
                ref = kept[np.lexsort((kept, minutes[kept, j], groups.index[kept]))]
                assert np.array_equal(s.values[j], minutes[ref, j], equal_nan=True)
                assert np.array_equal(s.weights[j], weights[ref])
            assert np.array_equal(s.group, np.sort(groups.index[kept]))


def test_weighted_quantile_group_of_zero_weight_is_nan():
    groups = group_codes(np.array(["x", "x", "y"], dtype=object))
    got = weighted_quantile(groups, np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 5.0]), 0.9)
    assert np.isnan(got[0]) and got[1] == 3.0


def test_sums_and_max_match_brute_force():
    codes, minutes, weights = _random(7)
    groups = group_codes(codes)
    sums = group_sums(groups, np.where(np.isfinite(minutes), minutes, 0.0) * weights[:, None])
    mx = group_max(groups, minutes)
    for g, label in enumerate(groups.labels):
        here = codes == label
        for j in range(minutes.shape[1]):
            col = minutes[here, j]
            fin = np.isfinite(col)
            assert sums[g, j] == pytest.approx(float(np.sum(col[fin] * weights[here][fin])), rel=1e-12)
            np.testing.assert_equal(mx[g, j], col[fin].max() if fin.any() else np.nan)


def test_all_unreachable_group_has_no_max_and_no_mean():
    groups = group_codes(np.array(["x", "x", "y"], dtype=object))
    out = column_summary(groups, np.array([[np.inf], [np.inf], [4.0]]), np.array([1.0, 2.0, 3.0]),
                         thresholds=(5.0,))
    assert np.isnan(out["max_min"][0, 0]) and np.isnan(out["mean_min"][0, 0])
    assert out["unreachable_population"][0, 0] == 3.0 and out["pop_within_5"][1, 0] == 3.0
    assert out["max_min"][1, 0] == 4.0 and out["mean_min"][1, 0] == 4.0


def test_nothing_kept():
    groups = group_codes(np.array(["", ""], dtype=object))
    assert groups.n == 0
    out = column_summary(groups, np.ones((2, 2)), np.ones(2), thresholds=(5.0,))
    assert out["p90_min"].shape == (0, 2) and out["population"].shape == (0, 2)


def test_empty_groups_give_nan_not_a_neighbour_value():
    base = group_codes(np.array(["a", "b", "c", "d"], dtype=object))
    # leave out b and d (the last group): empty groups in the middle and at the end
    groups = Groups(index=np.array([0, -1, 2, -1]), labels=base.labels)
    v, w = np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4)
    np.testing.assert_array_equal(weighted_quantile(groups, v, w, 0.9), [1.0, np.nan, 3.0, np.nan])
    np.testing.assert_array_equal(group_max(groups, v), [1.0, np.nan, 3.0, np.nan])
    np.testing.assert_array_equal(group_median(groups, v), [1.0, np.nan, 3.0, np.nan])


@pytest.mark.parametrize("seed", [0, 5])
def test_group_median_matches_numpy_median(seed):
    codes, minutes, _ = _random(seed)
    groups = group_codes(codes)
    got = group_median(groups, minutes)
    for g, label in enumerate(groups.labels):
        for j in range(minutes.shape[1]):
            col = minutes[codes == label, j]
            col = col[np.isfinite(col)]
            np.testing.assert_equal(got[g, j], np.median(col) if col.size else np.nan)


@pytest.mark.parametrize("seed", [0, 3])
def test_gini_of_every_group_equals_weighted_gini_of_each(seed):
    codes, minutes, weights = _random(seed)
    minutes[codes == "d", 0] = np.inf  # a group nobody reaches: no data
    groups = group_codes(codes)
    got = gini_by_group(groups, minutes[:, 0], weights)
    for g, label in enumerate(groups.labels):
        here = codes == label
        want = weighted_gini(minutes[here, 0], weights[here])
        np.testing.assert_allclose(got[g], want, rtol=1e-12, atol=1e-14, equal_nan=True)
    assert np.isnan(got[list(groups.labels).index("d")])


def test_assign_areas_equals_a_geopandas_spatial_join():
    rng = np.random.default_rng(4)
    boxes = [shapely.box(x, y, x + 0.1, y + 0.1) for x in (112.0, 112.1, 112.2) for y in (36.0, 36.1)]
    areas = gpd.GeoDataFrame({"code": [f"a{k}" for k in range(len(boxes))]}, geometry=boxes, crs=4326)
    lon, lat = rng.uniform(111.95, 112.35, 500), rng.uniform(35.95, 36.25, 500)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    got = assign_areas(pts, areas, max_distance_m=1e-6)  # no nearest fallback to speak of
    joined = gpd.sjoin(pts, areas, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    want = joined["code"].fillna("").to_numpy(dtype=object)
    assert (got == want).all() and (got != "").sum() > 200
