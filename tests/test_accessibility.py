"""Tests of tcm_coverage.access.catchments: hand-computed 2SFCA family and PySAL access agreement."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from tcm_coverage._errors import InputError
from tcm_coverage.access.catchment_areas import FCAMeasure, area_fca, network_fca
from tcm_coverage.access.catchments import (
    DEFAULT_STEPS,
    Catchment,
    fca_weights,
    two_step_fca,
)
from tcm_coverage.access.compute import compute_access
from tcm_coverage.network import RoadNetwork, Routing

# Two facilities (supply 2 and 1), three demand points (100, 200, 300 residents).
# Pairs within reach; demand 2 -> facility 0 takes 20 min, beyond the 15-minute catchment.
POP = np.array([100.0, 200.0, 300.0])
SUPPLY = np.array([2.0, 1.0])
D = np.array([0, 1, 1, 2, 2])
F = np.array([0, 0, 1, 1, 0])
T = np.array([3.0, 8.0, 4.0, 12.0, 20.0])


def test_2sfca_by_hand():
    res = two_step_fca(D, F, T, POP, SUPPLY, method="2sfca", catchment=Catchment(max_minutes=15))
    # R0 = 2 / (100 + 200), R1 = 1 / (200 + 300)
    r0, r1 = 2 / 300, 1 / 500
    np.testing.assert_allclose(res.access, 1e4 * np.array([r0, r0 + r1, r1]), rtol=1e-12)
    np.testing.assert_allclose(res.ratio, 1e4 * np.array([r0, r1]), rtol=1e-12)
    np.testing.assert_allclose(res.catchment_population, [300, 500])
    # classic 2SFCA hands out all supply: sum_i P_i A_i / per = sum_j S_j
    assert (POP * res.access).sum() / 1e4 == pytest.approx(SUPPLY.sum())


def test_e2sfca_by_hand():
    res = two_step_fca(D, F, T, POP, SUPPLY)  # default: E2SFCA 0-5/5-10/10-15 -> 1/.68/.22
    # weights: (0,0,3) 1, (1,0,8) .68, (1,1,4) 1, (2,1,12) .22
    c0, c1 = 100 * 1 + 200 * 0.68, 200 * 1 + 300 * 0.22  # 236, 266
    r0, r1 = 2 / c0, 1 / c1
    want = 1e4 * np.array([r0, 0.68 * r0 + r1, 0.22 * r1])
    np.testing.assert_allclose(res.access, want, rtol=1e-12)
    np.testing.assert_allclose(res.catchment_population, [236, 266])
    assert res.max_minutes == 15 and res.steps == DEFAULT_STEPS


def test_gaussian_by_hand():
    res = two_step_fca(D, F, T, POP, SUPPLY, method="gaussian",
                       catchment=Catchment(max_minutes=15, sigma=6, per=1))

    def g(t):
        return np.exp(-t * t / 72)

    c0, c1 = 100 * g(3) + 200 * g(8), 200 * g(4) + 300 * g(12)
    r0, r1 = 2 / c0, 1 / c1
    want = [g(3) * r0, g(8) * r0 + g(4) * r1, g(12) * r1]
    np.testing.assert_allclose(res.access, want, rtol=1e-12)
    assert res.sigma == 6


def test_catchment_bounds_are_inclusive():
    t = np.array([0.0, 5.0, 5.000001, 10.0, 10.5, 15.0, 15.000001])
    np.testing.assert_allclose(fca_weights(t, "e2sfca"), [1, 1, 0.68, 0.68, 0.22, 0.22, 0])
    np.testing.assert_allclose(fca_weights(t, "2sfca", max_minutes=15), [1] * 6 + [0])
    g = fca_weights(t, "gaussian", max_minutes=15)  # sigma = 7.5 by default
    assert g[0] == 1 and g[5] == pytest.approx(np.exp(-2)) and g[6] == 0
    # custom zones, e.g. walking 0-10/10-20/20-30
    steps = ((10, 1.0), (20, 0.6), (30, 0.1))
    np.testing.assert_allclose(fca_weights([10, 20, 30, 31], "e2sfca", steps=steps), [1, .6, .1, 0])


@pytest.mark.parametrize("method", ["2sfca", "e2sfca", "gaussian"])
def test_sorted_unique_pairs_equal_the_same_pairs_shuffled(method):
    """Pairs as od_pairs_within gives them (sorted, each once) take the fast path; shuffled and
    with a slower duplicate they take the sorting path: the same numbers to the bit."""
    rng = np.random.default_rng(5)
    keys = np.unique(rng.integers(0, 60 * 9, 250))
    d, f = keys // 9, keys % 9
    t = rng.uniform(0, 20, keys.size).round(1)
    pop, supply = rng.uniform(0, 50, 60), rng.uniform(0, 3, 9)
    fast = two_step_fca(d, f, t, pop, supply, method=method)
    shuffle = rng.permutation(keys.size)
    dd, ff, tt = (np.r_[a[shuffle], a[:5]] for a in (d, f, t))
    tt[-5:] += 1.0  # the duplicates are slower: the shortest time is kept
    slow = two_step_fca(dd, ff, tt, pop, supply, method=method)
    for name in ("access", "ratio", "catchment_population"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name))


def test_unreached_points_get_zero_and_duplicates_keep_the_shortest():
    res = two_step_fca([0, 0], [0, 0], [14.0, 2.0], [10.0, 5.0], [1.0], method="e2sfca")
    assert res.access[1] == 0.0  # nothing within reach: 0, not NaN
    assert res.catchment_population[0] == pytest.approx(10.0)  # 2 min -> weight 1
    empty = two_step_fca([], [], [], [1.0, 2.0], [3.0])
    np.testing.assert_array_equal(empty.access, [0.0, 0.0])
    # a facility with nobody in its catchment supplies nothing (no division by zero)
    lonely = two_step_fca([0], [0], [1.0], [0.0], [5.0], method="2sfca")
    assert lonely.ratio[0] == 0 and lonely.access[0] == 0


def test_bad_inputs():
    with pytest.raises(InputError, match="supply must be finite"):
        two_step_fca(D, F, T, POP, [2.0, np.nan])
    with pytest.raises(InputError, match="population must be finite"):
        two_step_fca(D, F, T, [1.0, -2.0, 3.0], SUPPLY)
    with pytest.raises(InputError, match="out of range"):
        two_step_fca([0, 3], [0, 0], [1.0, 1.0], POP, SUPPLY)
    with pytest.raises(InputError, match="finite"):
        two_step_fca([0], [0], [np.inf], POP, SUPPLY)
    with pytest.raises(InputError, match="one length"):
        two_step_fca([0, 1], [0], [1.0], POP, SUPPLY)
    with pytest.raises(InputError, match="increasing"):
        two_step_fca(D, F, T, POP, SUPPLY, catchment=Catchment(steps=((10, 1), (5, 0.5))))
    with pytest.raises(InputError, match="unknown accessibility method"):
        two_step_fca(D, F, T, POP, SUPPLY, method="3sfca")
    with pytest.raises(InputError, match="sigma"):
        two_step_fca(D, F, T, POP, SUPPLY, method="gaussian", catchment=Catchment(sigma=0))


def test_agrees_with_pysal_access():
    access = pytest.importorskip("access")
    from access import weights

    rng = np.random.default_rng(1)
    nd, nf = 40, 12
    pop = rng.integers(50, 3000, nd).astype(float)
    sup = rng.integers(1, 20, nf).astype(float)
    dd, ff = np.meshgrid(np.arange(nd), np.arange(nf), indexing="ij")
    # whole minutes, so many pairs sit exactly on 5/10/15 (tests the inclusive bounds)
    tt = np.round(rng.uniform(0, 25, (nd, nf)))
    tt[-3:, :] += 16  # three demand points reach nothing within 15 minutes
    d, f, t = dd.ravel(), ff.ravel(), tt.ravel()
    assert np.isin([5.0, 10.0, 15.0], t).all()
    demand_df = pd.DataFrame({"pop": pop},
                             index=pd.Index([f"d{i}" for i in range(nd)], name="geoid"))
    supply_df = pd.DataFrame({"doc": sup},
                             index=pd.Index([f"f{j}" for j in range(nf)], name="geoid"))
    cost_df = pd.DataFrame({"origin": [f"d{i}" for i in d], "dest": [f"f{j}" for j in f],
                            "cost": t})
    a = access.Access(demand_df=demand_df, demand_value="pop", supply_df=supply_df,
                      supply_value="doc", cost_df=cost_df, cost_origin="origin",
                      cost_dest="dest", cost_name="cost")
    ref = {
        "2sfca": a.two_stage_fca(name="s", max_cost=15)["s_doc"],
        "e2sfca": a.enhanced_two_stage_fca(
            name="e", weight_fn=weights.step_fn({5: 1.0, 10: 0.68, 15: 0.22}))["e_doc"],
        "gaussian": a.two_stage_fca(name="g", max_cost=15,
                                    weight_fn=weights.gaussian(7.5))["g_doc"],
    }
    for method, series in ref.items():
        want = series.reindex(demand_df.index).to_numpy(float)
        got = two_step_fca(d, f, t, pop, sup, method=method,
                           catchment=Catchment(max_minutes=15, sigma=7.5, per=1)).access
        reached = np.isfinite(want)
        # access leaves them out (NaN) when max_cost cuts the pairs (2SFCA, Gaussian); its
        # E2SFCA has no max_cost, the step function weighs them 0, so it says 0 like we do
        assert (~reached).sum() == (0 if method == "e2sfca" else 3)
        assert (got[-3:] == 0).all()
        np.testing.assert_allclose(got[reached], want[reached], rtol=1e-12, atol=0)
        assert (got[~reached] == 0).all()


def test_area_fca_population_weighted_mean():
    areas = gpd.GeoDataFrame({"code": ["A", "B", "C"], "name": ["甲", "乙", "丙"]},
                             geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1),
                                       shapely.box(2, 0, 3, 1)], crs=4326)
    demand = gpd.GeoDataFrame({"population": [100.0, 300.0, 50.0],
                               "fca_e2sfca_walk": [4.0, 8.0, 1.0]},
                              geometry=gpd.points_from_xy([0.2, 0.7, 1.5], [0.5] * 3), crs=4326)
    out = area_fca(demand, areas)
    assert isinstance(out, gpd.GeoDataFrame) and list(out["code"]) == ["A", "B", "C"]
    assert out["fca_e2sfca_walk"].iloc[0] == pytest.approx((100 * 4 + 300 * 8) / 400)
    assert out["fca_e2sfca_walk"].iloc[1] == pytest.approx(1.0)
    assert np.isnan(out["fca_e2sfca_walk"].iloc[2]) and out["population"].iloc[2] == 0


# --------------------------------------------------------------------------------------
# Network adapter on a straight 3 km residential road (walking 4.8 km/h = 80 m/min)
# --------------------------------------------------------------------------------------
CRS_M = "EPSG:32649"
_TO_M = pyproj.Transformer.from_crs("EPSG:4326", CRS_M, always_xy=True)
_TO_LL = pyproj.Transformer.from_crs(CRS_M, "EPSG:4326", always_xy=True)
X0, Y0 = _TO_M.transform(112.9, 36.3)


def ll(x, y):
    lon, lat = _TO_LL.transform(X0 + np.asarray(x, float), Y0 + np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


@pytest.fixture
def road():
    xs = np.array([0.0, 1000.0, 2000.0, 3000.0])
    lon, lat = ll(xs, np.zeros(4))
    u, v = np.array([0, 1, 2]), np.array([1, 2, 3])
    geoms = shapely.linestrings(np.stack([np.c_[xs[u], [0] * 3], np.c_[xs[v], [0] * 3]], axis=1)
                                + [X0, Y0])
    return RoadNetwork(node_id=np.arange(4), lon=lon, lat=lat, u=u, v=v,
                       length_m=shapely.length(geoms), highway=np.full(3, "residential", object),
                       oneway=np.zeros(3, bool), maxspeed_kmh=np.full(3, np.nan),
                       geometry_m=np.asarray(geoms, dtype=object), crs_m=CRS_M, source="test")


def _points(xs, **cols):
    lon, lat = ll(xs, np.zeros(len(xs)))
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def _facilities(physicians):
    fac = _points([0.0, 1000.0], facility_id=["F1", "F2"], name=["甲", "乙"],
                  tier=["township_centre"] * 2, zhongyiguan=[True, True],
                  zhongyige=[False, False], is_tcm_clinic=[False, False],
                  tcm_physicians=physicians, source_row=[2, 3])
    return fac


def test_network_fca_by_hand(road):
    demand = _points([0.0, 300.0, 2000.0], population=POP)
    out = network_fca(demand, _facilities([2.0, 1.0]), road, mode="walk")
    # minutes: d0-f0 0, d0-f1 12.5, d1-f0 3.75, d1-f1 8.75, d2-f1 12.5 (d2-f0 25: beyond 15)
    w = {(0, 0): 1, (0, 1): 0.22, (1, 0): 1, (1, 1): 0.68, (2, 1): 0.22}
    c0 = 100 * w[0, 0] + 200 * w[1, 0]
    c1 = 100 * w[0, 1] + 200 * w[1, 1] + 300 * w[2, 1]
    r0, r1 = 2 / c0, 1 / c1
    want = 1e4 * np.array([r0 + 0.22 * r1, r0 + 0.68 * r1, 0.22 * r1])
    np.testing.assert_allclose(out["fca_e2sfca_walk"], want, rtol=1e-6)
    want2 = 1e4 * np.array([2 / 300 + 1 / 600] * 2 + [1 / 600])
    np.testing.assert_allclose(out["fca_2sfca_walk"], want2, rtol=1e-9)
    assert out.attrs["supply"] == "tcm_physicians" and out.attrs["facilities"] == 2
    assert "fca_gaussian_walk" in out and len(out) == 3


def test_network_fca_reuses_the_coverage_routing(road):
    """Given compute_access's graph and snaps it gives the same numbers without re-snapping."""
    demand = _points([0.0, 300.0, 2000.0], population=POP)
    fac = _facilities([2.0, 1.0])
    access = compute_access(demand, fac, road, modes=("walk",), facility_sets=("tcm_any",), progress=False)
    fresh = network_fca(demand, fac, road, mode="walk")
    routing = access.routing["walk"]
    assert isinstance(routing, Routing)
    assert (len(routing.demand), len(routing.facilities)) == (len(demand), len(fac))
    assert routing.graph.profile.mode == "walk"
    reused = network_fca(demand, fac, None, mode="walk", routing=routing)
    for col in ("fca_2sfca_walk", "fca_e2sfca_walk", "fca_gaussian_walk"):
        np.testing.assert_array_equal(reused[col], fresh[col])
    with pytest.raises(InputError, match="does not match"):
        network_fca(demand.iloc[:2], fac, None, mode="walk", routing=access.routing["walk"])


def test_network_fca_supply_fallback_and_partial_counts(road):
    demand = _points([0.0, 300.0, 2000.0], population=POP)
    out = network_fca(demand, _facilities([np.nan, np.nan]), road, mode="walk",
                      measure=FCAMeasure(methods=("2sfca",)))
    assert "1 each" in out.attrs["supply"]
    np.testing.assert_allclose(out["fca_2sfca_walk"], 1e4 * np.array([1 / 300 + 1 / 600] * 2
                                                                      + [1 / 600]))
    with pytest.raises(InputError, match="row 3.*tcm_physicians|tcm_physicians.*row 3") as info:
        network_fca(demand, _facilities([2.0, np.nan]), road, mode="walk")
    assert "supply=None" in str(info.value)
    none = network_fca(demand, _facilities([2.0, 1.0]).assign(zhongyiguan=False), road,
                       mode="walk", measure=FCAMeasure(methods=("e2sfca",)))
    assert (none["fca_e2sfca_walk"] == 0).all()
