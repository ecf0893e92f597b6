"""Capacity-aware coverage (access/capacity.py): a hand case, an independent plain-Python
implementation of the same rule, the transportation-LP bound and the facility capacities."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from test_accessibility import POP, _facilities, _points, road  # noqa: F401 (the road fixture)

from tcm_coverage._errors import InputError
from tcm_coverage.access.capacity import (
    DEFAULT_RESIDENTS_PER_PHYSICIAN,
    CapacityRule,
    CapacityServed,
    allocate_capacity,
    allocate_capacity_by_threshold,
    capacity_columns,
    capacity_served,
    facility_capacity,
)
from tcm_coverage.access.compute import compute_access
from tcm_coverage.outputs.report_html import ReportOptions, capacity_section
from tcm_coverage.outputs.tables import column_label


def reference(pairs: list[tuple[int, int, float]], pop: list[float], cap: list[float],
              threshold: float) -> list[float]:
    """The documented rule written the slow obvious way: facilities by (capacity, index),
    each walks its pairs by (minutes, demand) and takes what is left."""
    left = list(pop)
    best: dict[tuple[int, int], float] = {}
    for i, j, t in pairs:
        if t <= threshold:
            best[i, j] = min(t, best.get((i, j), np.inf))
    for j in sorted(range(len(cap)), key=lambda j: (cap[j], j)):
        room = cap[j]
        for (i, _), _t in sorted(((k, v) for k, v in best.items() if k[1] == j),
                                 key=lambda kv: (kv[1], kv[0][0])):
            take = min(room, left[i])
            left[i] -= take
            room -= take
    return [p - r for p, r in zip(pop, left, strict=True)]


def lp_bound(pairs: list[tuple[int, int, float]], pop: np.ndarray, cap: np.ndarray,
             threshold: float) -> float:
    """The most residents servable within the threshold and capacities (transportation LP)."""
    use = [(i, j) for i, j, t in pairs if t <= threshold]
    if not use:
        return 0.0
    n = len(use)
    a, b = [], []
    for i in range(len(pop)):
        a.append([1.0 if p[0] == i else 0.0 for p in use])
        b.append(pop[i])
    for j in range(len(cap)):
        if np.isfinite(cap[j]):
            a.append([1.0 if p[1] == j else 0.0 for p in use])
            b.append(cap[j])
    res = linprog(-np.ones(n), A_ub=np.array(a), b_ub=np.array(b), bounds=(0, None), method="highs")
    return float(-res.fun)


def _call(pairs, pop, cap, threshold):
    d, f, t = (np.array([p[k] for p in pairs]) for k in range(3)) if pairs else (
        np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    return allocate_capacity(d, f, t, np.asarray(pop, float), np.asarray(cap, float),
                             threshold=threshold)


def test_hand_case() -> None:
    # A (cap 60) 2 min from village 0 (100 people); B (cap 80) 5 min from village 0 and 3 min
    # from village 1 (50 people); village 2 (30 people) 20 min from B (beyond 15).
    # A first (smaller): serves 60 of village 0. B: village 1 first (3 min) 50, then village 0
    # (5 min) 30 of its remaining 40. Village 2: out of reach.
    pairs = [(0, 0, 2.0), (0, 1, 5.0), (1, 1, 3.0), (2, 1, 20.0)]
    served = _call(pairs, [100, 50, 30], [60, 80], 15)
    np.testing.assert_allclose(served, [90, 50, 0])
    # with the threshold at 4 min B reaches only village 1
    np.testing.assert_allclose(_call(pairs, [100, 50, 30], [60, 80], 4), [60, 50, 0])
    # unlimited B serves all it reaches; capacity 0 serves nobody
    np.testing.assert_allclose(_call(pairs, [100, 50, 30], [60, np.inf], 15), [100, 50, 0])
    np.testing.assert_allclose(_call(pairs, [100, 50, 30], [0, 0], 15), [0, 0, 0])


def test_matches_reference_and_lp_bound() -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        nd, nf = int(rng.integers(1, 9)), int(rng.integers(1, 5))
        pop = rng.integers(0, 100, nd).astype(float)
        cap = rng.integers(0, 150, nf).astype(float)
        if rng.random() < 0.3:
            cap[rng.integers(nf)] = np.inf
        m = int(rng.integers(0, nd * nf + 3))
        pairs = [(int(rng.integers(nd)), int(rng.integers(nf)), float(rng.integers(0, 25)))
                 for _ in range(m)]  # duplicates on purpose
        got = _call(pairs, pop, cap, 15.0)
        np.testing.assert_allclose(got, reference(pairs, list(pop), list(cap), 15.0), atol=1e-9)
        assert (got >= -1e-9).all() and (got <= pop + 1e-9).all()
        assert got.sum() <= lp_bound(pairs, pop, cap, 15.0) + 1e-6
        # never more than the plain coverage (anyone within the threshold)
        within = {i for i, _, t in pairs if t <= 15 and cap[_] > 0}
        assert got.sum() <= sum(pop[i] for i in within) + 1e-9


def test_all_thresholds_in_one_pass_equal_the_reference_per_threshold() -> None:
    rng = np.random.default_rng(11)
    thresholds = (5.0, 10.0, 15.0, 20.0)
    for _ in range(40):
        nd, nf = int(rng.integers(1, 12)), int(rng.integers(1, 6))
        pop = rng.exponential(50.0, nd)
        cap = rng.exponential(80.0, nf)
        cap[rng.random(nf) < 0.2] = np.inf
        cap[rng.random(nf) < 0.1] = 0.0
        m = int(rng.integers(0, nd * nf + 3))
        pairs = [(int(rng.integers(nd)), int(rng.integers(nf)), float(rng.integers(0, 25)))
                 for _ in range(m)]
        d, f, t = (np.array([p[k] for p in pairs]) for k in range(3)) if pairs else (
            np.zeros(0, int), np.zeros(0, int), np.zeros(0))
        got = allocate_capacity_by_threshold(d, f, t, pop, cap, thresholds=thresholds)
        assert got.shape == (nd, len(thresholds))
        for k, th in enumerate(thresholds):
            np.testing.assert_allclose(got[:, k], reference(pairs, list(pop), list(cap), th), rtol=1e-12,
                                       atol=1e-9)
            np.testing.assert_array_equal(got[:, k], _call(pairs, pop, cap, th))


def test_sorted_unique_pairs_equal_the_same_pairs_shuffled() -> None:
    """Pairs as od_pairs_within gives them (sorted, each once) skip the dedup sort; shuffled with
    slower duplicates they take it: the same residents served, to the bit."""
    rng = np.random.default_rng(3)
    keys = np.unique(rng.integers(0, 80 * 6, 300))
    d, f = keys // 6, keys % 6
    t = rng.integers(0, 25, keys.size).astype(float)
    pop, cap = rng.exponential(50.0, 80), rng.exponential(400.0, 6)
    cap[1] = np.inf
    fast = allocate_capacity_by_threshold(d, f, t, pop, cap, thresholds=(10.0, 15.0))
    shuffle = rng.permutation(keys.size)
    dd, ff, tt = (np.r_[a[shuffle], a[:7]] for a in (d, f, t))
    tt[-7:] += 2.0
    slow = allocate_capacity_by_threshold(dd, ff, tt, pop, cap, thresholds=(10.0, 15.0))
    assert np.array_equal(fast, slow)


def test_bad_input() -> None:
    with pytest.raises(InputError):
        _call([(0, 0, 1.0)], [10], [np.nan], 15)
    with pytest.raises(InputError):
        _call([(0, 3, 1.0)], [10], [5], 15)


def test_facility_capacity() -> None:
    fac = pd.DataFrame({"capacity": [5000, np.nan, np.nan, np.nan],
                        "tcm_physicians": [1, 3, 0, np.nan], "tcm_gps": [0, 1, 0, 2]})
    cap = facility_capacity(fac)
    np.testing.assert_allclose(cap[:3], [5000, 3 * DEFAULT_RESIDENTS_PER_PHYSICIAN, 0])
    assert np.isnan(cap[3])  # unknown stays unknown
    assert DEFAULT_RESIDENTS_PER_PHYSICIAN == pytest.approx(1612.9, abs=0.1)
    gp = facility_capacity(fac, CapacityRule(staff="tcm_gps", residents_per_staff=12_500))
    np.testing.assert_allclose(gp, [5000, 12_500, 0, 25_000])
    no_column = facility_capacity(fac.drop(columns="capacity"))
    assert no_column[0] == pytest.approx(DEFAULT_RESIDENTS_PER_PHYSICIAN)
    with pytest.raises(InputError):
        facility_capacity(fac, CapacityRule(residents_per_staff=0))


def test_capacity_columns_per_area() -> None:
    table = pd.DataFrame({"code": ["a", "b", "a", "b"], "mode": ["walk", "walk", "car", "car"],
                          "population": [150.0, 30.0, 150.0, 30.0], "share_within_15": [1, 0, 1, 1.0],
                          "mean_min": [1, 2, 3, 4.0]})
    served = CapacityServed(
        served={("walk", 15.0): np.array([90.0, 50, 0]), ("car", 15.0): np.array([100.0, 50, 30])},
        served_upper={}, n_points=2, n_known=2, n_unknown=0, capacity_total=140, rule=CapacityRule())
    out = capacity_columns(table, served, np.array(["a", "a", "b"]), np.array([100.0, 50, 30]))
    assert list(out.columns) == ["code", "mode", "population", "share_within_15",
                                 "pop_within_capacity_15", "share_within_capacity_15", "mean_min"]
    np.testing.assert_allclose(out["pop_within_capacity_15"], [140, 0, 150, 30])
    np.testing.assert_allclose(out["share_within_capacity_15"], [140 / 150, 0, 1, 1])


def test_column_labels_both_languages() -> None:
    assert column_label("share_within_capacity_15", "zh") == "考虑服务能力的15分钟覆盖率"
    assert column_label("share_within_capacity_15", "en") == "share within 15 min and capacity"
    assert "上限" in column_label("share_within_capacity_15_upper", "zh")
    assert column_label("share_within_15", "zh") == "15分钟覆盖率"  # the plain label unchanged


def test_network_capacity_by_hand(road) -> None:  # noqa: F811 (the fixture)
    """On the 3 km test road (walk: d0-f0 0, d1-f0 3.75, d1-f1 8.75, d0-f1 and d2-f1 12.5 min,
    d2-f0 25): F1 (100 residents) first serves d0; F2 (300) then d1 (200, 8.75 min) and 100 of
    d2 (12.5 min; d0 at the same time is already served)."""
    demand = _points([0.0, 300.0, 2000.0], population=POP)
    fac = _facilities([1.0, 3.0])
    access = compute_access(demand, fac, road, modes=("walk",), facility_sets=("tcm_any",), progress=False)
    rule = CapacityRule(residents_per_staff=100.0)
    got = capacity_served(demand, fac, access.routing, thresholds=(10, 15), rule=rule)
    assert got is not None and got.n_known == 2 and not got.served_upper
    np.testing.assert_allclose(got.served["walk", 15.0], [100, 200, 100])
    np.testing.assert_allclose(got.served["walk", 10.0], [100, 200, 0])
    # F1's capacity unknown: left out (lower) or unlimited (upper)
    fac2 = _facilities([np.nan, 3.0])
    low_up = capacity_served(demand, fac2, access.routing, thresholds=(15,), rule=rule)
    assert low_up is not None and low_up.n_unknown == 1
    np.testing.assert_allclose(low_up.served["walk", 15.0], [100, 200, 0])
    fac3 = _facilities([np.nan, 0.5])  # F2 serves 50: lower d1 50; upper F1 takes d0 and d1 too
    b = capacity_served(demand, fac3, access.routing, thresholds=(15,), rule=rule)
    assert b is not None
    np.testing.assert_allclose(b.served["walk", 15.0], [0, 50, 0])
    np.testing.assert_allclose(b.served_upper["walk", 15.0], [100, 200, 0])
    # no capacity known anywhere: no figure at all
    assert capacity_served(demand, _facilities([np.nan, np.nan]), access.routing, thresholds=(15,)) is None
    # per area: all in one county
    table = pd.DataFrame({"code": ["A"], "mode": ["walk"], "population": [600.0],
                          "share_within_15": [1.0]})
    out = capacity_columns(table, got, np.array(["A"] * 3), POP)
    assert out["share_within_capacity_15"].iloc[0] == pytest.approx(400 / 600)


def test_report_section() -> None:
    ctab = pd.DataFrame({"code": ["A"], "mode": ["ebike"], "population": [100.0],
                         "share_within_15": [0.8], "pop_within_15": [80.0]})
    opts = ReportOptions(modes=("ebike",), thresholds=(15.0,), headline_threshold=15.0,
                         headline_mode="ebike", capacity_notes=())
    assert "无数据" in capacity_section(ctab, opts)  # asked for, no capacity known
    assert capacity_section(ctab, replace(opts, capacity_notes=None)) == ""  # not asked for
    with_cap = ctab.assign(share_within_capacity_15=[0.5], pop_within_capacity_15=[50.0],
                           share_within_capacity_15_upper=[0.7])
    html = capacity_section(with_cap, replace(opts, capacity_notes=("rule <b>",)))
    assert "考虑服务能力" in html and "80.0%" in html and "50.0%–70.0%" in html
    assert "rule &lt;b&gt;" in html  # notes are escaped
