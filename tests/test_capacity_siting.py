"""Capacitated siting (siting/capacitated.py) against brute force: every subset of candidates,
each served by an independent transportation LP (scipy.optimize.linprog)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from tcm_coverage._errors import InputError
from tcm_coverage.siting import (
    capacitated_max_cover,
    capacitated_set_cover,
    capacity_data,
    make_instance,
    served_within_capacity,
)
from tcm_coverage.workflows import load_scenario


def lp_served(w, site_pairs, site_cap, open_sites, ex_pairs, ex_cap) -> float:
    """Most residents served by the open sites and the existing points (fractional)."""
    arcs = ([("s", i, j) for i, j in site_pairs if j in open_sites]
            + [("e", i, e) for i, e in ex_pairs])
    if not arcs:
        return 0.0
    a, b = [], []
    for i in range(len(w)):
        a.append([1.0 if arc[1] == i else 0.0 for arc in arcs])
        b.append(1.0)
    for j in open_sites:
        if np.isfinite(site_cap[j]):
            a.append([w[i] if (k == "s" and jj == j) else 0.0 for k, i, jj in arcs])
            b.append(site_cap[j])
    for e, cap in enumerate(ex_cap):
        if np.isfinite(cap):
            a.append([w[i] if (k == "e" and ee == e) else 0.0 for k, i, ee in arcs])
            b.append(cap)
    res = linprog([-w[arc[1]] for arc in arcs], A_ub=np.array(a), b_ub=np.array(b),
                  bounds=(0, 1), method="highs")
    return float(-res.fun)


def random_case(rng, *, n=5, k=8, e=2):
    w = rng.integers(1, 60, k).astype(float)
    pairs = {(int(rng.integers(k)), int(rng.integers(n))): float(rng.integers(0, 25))
             for _ in range(int(rng.integers(k, 3 * k)))}
    d, c = zip(*pairs, strict=True)
    t = list(pairs.values())
    site_pairs = [(i, j) for (i, j), m in pairs.items() if m <= 15]
    site_cap = rng.integers(10, 120, n).astype(float)
    ex_pairs = sorted({(int(rng.integers(k)), int(rng.integers(e))) for _ in range(k // 2)})
    ex_cap = rng.integers(5, 60, e).astype(float)
    if rng.random() < 0.4:
        ex_cap[0] = np.nan  # unknown: no limit
    cost = rng.integers(1, 5, n).astype(float)
    inst = make_instance(w, np.array(d), np.array(c), np.array(t), n_candidates=n, threshold=15.0,
                         cost=cost)
    data = capacity_data(inst, per_site=site_cap, existing=ex_cap,
                         existing_demand=np.array([i for i, _ in ex_pairs], dtype=np.int64),
                         existing_facility=np.array([x for _, x in ex_pairs], dtype=np.int64))
    ref = {"w": w, "site_pairs": site_pairs, "site_cap": site_cap, "ex_pairs": ex_pairs,
           "ex_cap": np.where(np.isnan(ex_cap), np.inf, ex_cap), "cost": cost}
    return inst, data, ref


def served(ref, subset) -> float:
    return lp_served(ref["w"], ref["site_pairs"], ref["site_cap"], set(subset), ref["ex_pairs"],
                     ref["ex_cap"])


def test_hand_case() -> None:
    # two villages of 100 and 50; one candidate reaching both with capacity 120:
    # serves 120 of 150 (fractional), the plain model would count all 150
    inst = make_instance(np.array([100.0, 50.0]), np.array([0, 1]), np.array([0, 0]),
                         np.array([5.0, 8.0]), n_candidates=1, threshold=15.0)
    data = capacity_data(inst, per_site=120.0)
    res = capacitated_max_cover(inst, data, p=1)
    assert res.optimal and res.objective == pytest.approx(120.0)
    assert list(res.chosen) == [0]
    # an existing point of capacity 40 beside village 1 adds 40 -> 150 served with the site
    data2 = capacity_data(inst, per_site=120.0, existing=np.array([40.0]),
                          existing_demand=np.array([1]), existing_facility=np.array([0]))
    assert served_within_capacity(inst, data2, [0]) == pytest.approx(150.0)
    assert served_within_capacity(inst, data2, []) == pytest.approx(40.0)
    # unknown existing capacity serves without limit
    data3 = capacity_data(inst, per_site=120.0, existing=np.array([np.nan]),
                          existing_demand=np.array([0]), existing_facility=np.array([0]))
    assert served_within_capacity(inst, data3, []) == pytest.approx(100.0)


def test_max_cover_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    for _ in range(8):
        inst, data, ref = random_case(rng)
        for p in (1, 2, 3):
            best = max(served(ref, s) for s in itertools.combinations(range(5), p))
            res = capacitated_max_cover(inst, data, p=p)
            assert res.optimal
            assert res.objective == pytest.approx(best, abs=1e-6)
            assert served(ref, res.chosen) == pytest.approx(res.objective, abs=1e-6)
            assert res.details["served_before"] == pytest.approx(served(ref, ()), abs=1e-6)
            assert res.greedy_objective <= res.objective + 1e-6
        budget = 4.0
        feasible = [s for r in range(6) for s in itertools.combinations(range(5), r)
                    if ref["cost"][list(s)].sum() <= budget]
        best = max(served(ref, s) for s in feasible)
        res = capacitated_max_cover(inst, data, budget=budget)
        assert res.objective == pytest.approx(best, abs=1e-6) and res.cost <= budget + 1e-9


def test_set_cover_matches_brute_force() -> None:
    rng = np.random.default_rng(11)
    for _ in range(8):
        inst, data, ref = random_case(rng)
        total = ref["w"].sum()
        subsets = [s for r in range(6) for s in itertools.combinations(range(5), r)]
        most = served(ref, range(5))
        for share in (0.3, 0.6, 1.0):
            need = min(share * total, most)
            ok = [s for s in subsets if served(ref, s) >= need - 1e-6]
            best = min(ref["cost"][list(s)].sum() for s in ok)
            res = capacitated_set_cover(inst, data, share=share)
            assert res.objective == pytest.approx(best, abs=1e-6)
            assert served(ref, res.chosen) >= need - 1e-5
            assert res.details["target_reached"] == (share * total <= most + 1e-6)
            count = capacitated_set_cover(inst, data, share=share, minimize="count")
            assert count.objective == min(len(s) for s in ok)


def test_bad_capacity() -> None:
    inst = make_instance(np.array([1.0]), np.array([0]), np.array([0]), np.array([1.0]),
                         n_candidates=1, threshold=15.0)
    with pytest.raises(InputError):
        capacity_data(inst, per_site=-1.0)
    with pytest.raises(InputError):
        capacity_data(inst, per_site=1.0, existing=np.array([5.0]), existing_demand=np.array([3]),
                      existing_facility=np.array([0]))


SCENARIO = """
[scenario]
name = "t"
[data]
demo = true
[candidates]
kinds = ["upgrade"]
[model]
type = "max_cover"
p = 3
"""


def test_scenario_capacity_keys(tmp_path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    plain = load_scenario(path)
    assert plain.capacity is False
    path.write_text(SCENARIO + "capacity = true\ncapacity_per_site = 2000\n", encoding="utf-8")
    scn = load_scenario(path)
    assert scn.capacity is True and scn.capacity_per_site == 2000.0
    for extra, needle in (("capacity = 1\n", "[model.capacity] must be true or false"),
                          ("capacity = true\ncapacity_per_site = -5\n", "[model.capacity_per_site]")):
        path.write_text(SCENARIO + extra, encoding="utf-8")
        with pytest.raises(InputError, match=needle.replace("[", r"\[").replace("]", r"\]")):
            load_scenario(path)
    path.write_text(SCENARIO.replace('type = "max_cover"', 'type = "p_median"') + "capacity = true\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="p_median has no capacitated form"):
        load_scenario(path)


def test_identical_rows_merge_exactly() -> None:
    """Rows reaching the same points are merged; the optimum is that of one row of their total."""
    split = make_instance(np.array([60.0, 50.0, 40.0]), np.array([0, 1, 2, 0, 2]),
                          np.array([0, 0, 0, 1, 1]), np.array([5.0, 8.0, 9.0, 3.0, 4.0]),
                          n_candidates=2, threshold=15.0)
    whole = make_instance(np.array([100.0, 50.0]), np.array([0, 1, 0]), np.array([0, 0, 1]),
                          np.array([5.0, 8.0, 3.0]), n_candidates=2, threshold=15.0)
    for p in (1, 2):
        a = capacitated_max_cover(split, capacity_data(split, per_site=[70.0, 30.0]), p=p)
        b = capacitated_max_cover(whole, capacity_data(whole, per_site=[70.0, 30.0]), p=p)
        assert a.objective == pytest.approx(b.objective)
    assert a.objective == pytest.approx(100.0)  # 70 + 30 with both open
