"""The HiGHS wrapper: SciPy fallback, and the HiGHS 1.16 start-plus-presolve workaround."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from scipy.spatial import cKDTree

import tcm_coverage.siting._highs as highs_mod
from tcm_coverage.siting import make_instance, maximal_covering, p_median, set_covering


def county(seed=0, n_demand=5000, n_cand=500, speed_kmh=24.0):
    """The benchmark's synthetic county (benchmarks/bench_siting.py) at e-bike-ish speed."""
    rng = np.random.default_rng(seed)
    villages = rng.uniform(0, 40, size=(300, 2))
    n_cl = int(0.7 * n_demand)
    dem = np.vstack([villages[rng.integers(0, 300, n_cl)] + rng.normal(0, 0.3, (n_cl, 2)),
                     rng.uniform(0, 40, (n_demand - n_cl, 2))])
    dem = np.clip(dem, 0, 40)
    weight = np.round(rng.lognormal(4.0, 1.0, n_demand))
    n_up = int(0.6 * n_cand)
    cand = np.vstack([villages[rng.choice(300, n_up, replace=n_up > 300)]
                      + rng.normal(0, 0.05, (n_up, 2)),
                      rng.uniform(0, 40, (n_cand - n_up, 2))])
    kind = np.array(["upgrade"] * n_up + ["new"] * (n_cand - n_up), dtype=object)
    cost = np.where(kind == "upgrade", rng.uniform(0.8, 1.2, n_cand), rng.uniform(4, 6, n_cand))
    sdm = cKDTree(dem).sparse_distance_matrix(cKDTree(cand), 30 / 60 * speed_kmh,
                                              output_type="coo_matrix")
    minutes = sdm.data * rng.uniform(1.0, 1.4, sdm.nnz) / speed_kmh * 60.0
    dd, _ = cKDTree(rng.uniform(0, 40, (30, 2))).query(dem)
    return make_instance(weight, sdm.row, sdm.col, minutes, n_candidates=n_cand,
                         threshold=15.0, cost=cost, existing_minutes=dd * 1.2 / speed_kmh * 60,
                         kind=kind)


def test_start_with_presolve_gives_the_true_optimum(caplog):
    """HiGHS 1.16.0 reported a warm-started set cover of 20 sites as optimal (bound 14, true 17).

    With the start and presolve forced on, the wrapper must notice the inconsistent objective
    and solve again; by default (presolve off with a start) the answer is right directly.
    """
    inst = county()
    cold = set_covering(inst, minimize="count", reduce=False, warm_start=False)
    assert cold.optimal and cold.objective == 17
    with caplog.at_level(logging.WARNING, logger=highs_mod.__name__):
        hot = set_covering(inst, minimize="count", reduce=False, warm_start=True,
                           options={"presolve": "on"})
    assert hot.objective == cold.objective and hot.bound == pytest.approx(17)
    default = set_covering(inst, minimize="count", reduce=False)
    assert default.objective == 17 and default.optimal


@pytest.fixture
def scipy_only(monkeypatch):
    monkeypatch.setattr(highs_mod, "_highspy", lambda: None)
    assert not highs_mod.highs_available()


@pytest.mark.parametrize("seed", [0, 1])
def test_scipy_fallback_solves_the_same_models(scipy_only, seed):
    rng = np.random.default_rng(seed)
    k, n = 60, 12
    minutes = rng.uniform(0, 40, size=(k, n))
    d, c = np.nonzero(minutes <= 30)
    inst = make_instance(rng.integers(1, 100, k), d, c, minutes[d, c], n_candidates=n,
                         threshold=12.0, cost=rng.uniform(1, 3, n),
                         existing_minutes=rng.uniform(5, 60, k))
    import itertools

    from tcm_coverage.siting import coverage_after
    from tcm_coverage.siting.greedy import median_objective

    best_cover = max(
        inst.weight[coverage_after(inst, s) & ~inst.already_covered].sum()
        for s in itertools.combinations(range(n), 3))
    res = maximal_covering(inst, p=3)
    assert res.optimal and res.objective == pytest.approx(best_cover)
    best_med = min(median_objective(inst, np.array(s), 100.0)
                   for s in itertools.combinations(range(n), 2))
    res = p_median(inst, p=2, unreached_minutes=100.0)
    assert res.optimal and res.objective == pytest.approx(best_med)
    assert res.bound == pytest.approx(best_med, rel=1e-6)
    res = set_covering(inst, minimize="count")
    assert res.optimal and res.covered[inst.coverable()].all()
