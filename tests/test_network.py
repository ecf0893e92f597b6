"""Tests of tcm_coverage.network: loading, profiles, routing graphs, snapping, summary."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import osmnx
import pandas as pd
import pyproj
import pytest
import shapely

from tcm_coverage import vocab
from tcm_coverage._errors import InputError, NetworkError
from tcm_coverage.network import (
    ACCEPTED_EXTENSIONS,
    MODES,
    PROFILES,
    ROAD_CLASSES,
    ZERO_TIME_MIN,
    RoadNetwork,
    build_routing_graph,
    from_networkx,
    get_profile,
    nearest_pieces,
    network_pieces,
    network_summary,
    parse_maxspeed,
    piece_index,
    read_network,
    snap_points,
)

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny_village.osm"
REPO = Path(__file__).resolve().parents[1]
TUNLIU = REPO / "tcm_coverage" / "demo_data" / "boundaries" / "tunliu_140405_county_wgs84.geojson"

CRS_M = "EPSG:32649"
_TO_M = pyproj.Transformer.from_crs("EPSG:4326", CRS_M, always_xy=True)
_TO_LL = pyproj.Transformer.from_crs(CRS_M, "EPSG:4326", always_xy=True)
X0, Y0 = _TO_M.transform(112.9, 36.3)
GEOD = pyproj.Geod(ellps="WGS84")


def ll(x, y):
    lon, lat = _TO_LL.transform(X0 + np.atleast_1d(np.asarray(x, float)),
                                Y0 + np.atleast_1d(np.asarray(y, float)))
    return np.asarray(lon), np.asarray(lat)


def make_net(xy, segs, *, highway="residential", oneway=False, maxspeed=np.nan):
    xy = np.asarray(xy, dtype=float)
    m = len(segs)
    u = np.array([a for a, _ in segs], dtype=np.int64)
    v = np.array([b for _, b in segs], dtype=np.int64)
    lon, lat = ll(xy[:, 0], xy[:, 1])
    geoms = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1) + [X0, Y0])

    def arr(val, dtype):
        return np.full(m, val, dtype=dtype) if np.ndim(val) == 0 else np.asarray(val, dtype)

    return RoadNetwork(
        node_id=np.arange(len(xy), dtype=np.int64), lon=lon, lat=lat, u=u, v=v,
        length_m=shapely.length(geoms), highway=arr(highway, object), oneway=arr(oneway, bool),
        maxspeed_kmh=arr(maxspeed, float), geometry_m=geoms, crs_m=CRS_M, source="test",
    )


def seg_by_ids(net):
    """{(u OSM id, v OSM id): segment index}."""
    return {(int(net.node_id[a]), int(net.node_id[b])): i
            for i, (a, b) in enumerate(zip(net.u, net.v, strict=True))}


def geodesic(lonlat):
    lon, lat = zip(*lonlat, strict=True)
    return GEOD.line_length(lon, lat)


# --------------------------------------------------------------------------------------
# maxspeed
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("60", 60.0), ("60 km/h", 60.0), (" 80 ", 80.0), ("30 mph", 48.28032),
        ("10 knots", 18.52), ("50;60", 50.0), ("60; 40 km/h", 40.0), (["50", "40"], 40.0),
        (70, 70.0), ("CN:urban", math.nan), ("none", math.nan), ("walk", math.nan),
        ("fast", math.nan), ("0", math.nan), (None, math.nan), (float("nan"), math.nan),
        ("CN:urban;60", 60.0),
    ],
)
def test_parse_maxspeed(value, expected):
    got = parse_maxspeed(value)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=1e-9)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
def test_read_osm_xml_fixture():
    before = copy.deepcopy({k: getattr(osmnx.settings, k) for k in
                            ("useful_tags_way", "useful_tags_node", "all_oneway", "log_console")})
    net = read_network(TINY)
    after = {k: getattr(osmnx.settings, k) for k in before}
    assert after == before  # global osmnx settings untouched

    assert net.source == str(TINY)
    assert net.crs_m == "EPSG:32649"
    # one straight segment per pair of consecutive way nodes (pyosmium reader, like the PBF)
    assert net.n_nodes == 12 and net.n_segments == 11
    assert sorted(net.node_id.tolist()) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 20, 21]
    s = seg_by_ids(net)
    # two-way ways keep their drawing direction; oneway=-1 (4-5 drawn) becomes 5 -> 4
    assert set(s) == {(1, 2), (2, 3), (3, 4), (5, 4), (5, 6), (6, 7), (7, 5), (3, 8), (8, 9),
                      (1, 14), (20, 21)}
    by_pair = {frozenset(k): i for k, i in s.items()}
    hw = {k: net.highway[i] for k, i in by_pair.items()}
    assert hw[frozenset({1, 2})] == hw[frozenset({2, 3})] == "residential"
    assert hw[frozenset({3, 4})] == "primary"
    assert hw[frozenset({4, 5})] == "tertiary"
    assert hw[frozenset({5, 6})] == hw[frozenset({6, 7})] == hw[frozenset({5, 7})] == "unclassified"
    assert hw[frozenset({3, 8})] == "track"
    assert hw[frozenset({8, 9})] == "footway"
    assert hw[frozenset({1, 14})] == "service"
    # one-way: primary 3->4 as drawn; tertiary oneway=-1 drawn 4->5 becomes 5->4;
    # the roundabout 5-6-7-5 one-way round; everything else two-way
    assert net.oneway[s[(3, 4)]]
    assert (5, 4) in s and net.oneway[s[(5, 4)]] and (4, 5) not in s
    assert net.oneway[s[(5, 6)]] and net.oneway[s[(6, 7)]] and net.oneway[s[(7, 5)]]
    assert int(net.oneway.sum()) == 5
    # maxspeed
    assert net.maxspeed_kmh[s[(3, 4)]] == 60.0
    assert net.maxspeed_kmh[s[(5, 4)]] == pytest.approx(48.28032)
    assert net.maxspeed_kmh[by_pair[frozenset({8, 9})]] == 50.0
    assert math.isnan(net.maxspeed_kmh[by_pair[frozenset({3, 8})]])  # CN:rural
    # lengths: UTM length within 0.01 % of the geodesic (scale factor ~0.99996 here)
    w1 = net.length_m[s[(1, 2)]] + net.length_m[s[(2, 3)]]
    assert w1 == pytest.approx(geodesic([(112.90, 36.3), (112.91, 36.3)]), rel=1e-4)
    # straight: no stored geometry (issue 16), its line is its two nodes
    assert all(g is None for g in net.geometry_m)
    assert all(len(g.coords) == 2 for g in net.lines_m())
    ring = [(112.915, 36.305), (112.917, 36.3065), (112.917, 36.3035), (112.915, 36.305)]
    loop = sum(net.length_m[s[k]] for k in ((5, 6), (6, 7), (7, 5)))
    assert loop == pytest.approx(geodesic(ring), rel=1e-4)
    # geometry runs from u to v
    for k in range(net.n_segments):
        x, y = _TO_M.transform(net.lon[net.u[k]], net.lat[net.u[k]])
        assert shapely.Point(net.lines_m()[k].coords[0]).distance(shapely.Point(x, y)) < 1e-6


def test_graphml_round_trip(tmp_path):
    net = read_network(TINY)
    G = osmnx.graph_from_xml(TINY, bidirectional=False, simplify=False, retain_all=True)
    G = osmnx.simplify_graph(G, edge_attrs_differ=["highway", "maxspeed", "oneway"],
                             remove_rings=False)
    out = tmp_path / "tiny.graphml"
    osmnx.save_graphml(G, out)
    net2 = read_network(out)
    # osmnx merges the chains (8 segments between 9 nodes); the same roads, the same lengths
    assert (net2.n_segments, net2.n_nodes, net.n_segments) == (8, 9, 11)
    assert int(net2.oneway.sum()) == 3
    for attr in ("highway", "oneway", "maxspeed_kmh"):  # the same length per class, rule, speed
        a = pd.Series(net.length_m).groupby(pd.Series(getattr(net, attr)).fillna(-1)).sum()
        b = pd.Series(net2.length_m).groupby(pd.Series(getattr(net2, attr)).fillna(-1)).sum()
        pd.testing.assert_series_equal(a, b, rtol=1e-9)


def test_from_networkx_default_simplify_lists():
    """osmnx's default simplification merges classes into lists; two-way pairs dedupe."""
    G = osmnx.graph_from_xml(TINY, bidirectional=False, simplify=True, retain_all=True)
    # (3,14)+(14,3) residential+service, (3,10)+(10,3) track+construction+footway,
    # 3->4, 5->4, 5->5 one-way, (20,21)+(21,20) residential
    assert G.number_of_edges() == 9
    net = from_networkx(G)
    assert net.source == "networkx"
    assert net.n_segments == 6
    by_pair = {frozenset((int(net.node_id[a]), int(net.node_id[b]))): i
               for i, (a, b) in enumerate(zip(net.u, net.v, strict=True))}
    assert net.highway[by_pair[frozenset({3, 14})]] == "residential"  # the more major class
    assert net.highway[by_pair[frozenset({3, 10})]] == "track"
    assert net.maxspeed_kmh[by_pair[frozenset({3, 10})]] == 50.0  # min of [50;60, CN:rural]
    assert int(net.oneway.sum()) == 3


def test_boundary_clip_and_buffer():
    # a small box around nodes 1..9 (not the isolated road at 112.930-112.935)
    box = shapely.box(112.899, 36.289, 112.918, 36.307)
    clipped = read_network(TINY, boundary=box, buffer_m=0)
    assert clipped.n_segments == 10 and clipped.n_nodes == 10
    assert 20 not in clipped.node_id
    # 1.5 km buffer reaches the isolated road (1.07 km east of the box)
    assert read_network(TINY, boundary=box, buffer_m=1500).n_segments == 11
    gpd = pytest.importorskip("geopandas")
    frame = gpd.GeoDataFrame(geometry=[box], crs="EPSG:4326").to_crs(CRS_M)
    assert read_network(TINY, boundary=frame, buffer_m=0).n_segments == 10


def test_no_roads_in_boundary_says_both_extents():
    far = shapely.box(100.0, 30.0, 100.1, 30.1)
    with pytest.raises(NetworkError) as exc:
        read_network(TINY, boundary=far, buffer_m=0)
    msg = str(exc.value)
    assert "lon 100.0000..100.1000, lat 30.0000..30.1000" in msg
    assert "lon 112.9000..112.9350, lat 36.2900..36.3065" in msg


def test_pbf_outside_boundary_says_both_extents():
    pyrosm = pytest.importorskip("pyrosm")
    gpd = pytest.importorskip("geopandas")
    county = gpd.read_file(TUNLIU)
    with pytest.raises(NetworkError) as exc:
        read_network(pyrosm.get_data("helsinki_pbf"), boundary=county, buffer_m=1000)
    msg = str(exc.value)
    assert "no roads inside the boundary" in msg
    assert "lon 24.9352..24.9534, lat 60.1642..60.1791" in msg  # the PBF header's box
    assert "lon 112." in msg


def test_read_pbf_helsinki():
    pyrosm = pytest.importorskip("pyrosm")
    path = pyrosm.get_data("helsinki_pbf")
    net = read_network(path)
    assert net.n_segments == 6727 and net.n_nodes == 5649
    assert net.crs_m == "EPSG:32635"
    assert int(net.oneway.sum()) == 1210
    assert set(net.highway) <= set(ROAD_CLASSES)
    assert not ({"elevator", "trail"} & set(net.highway))
    assert net.length_m.sum() == pytest.approx(92223.03, abs=0.1)
    # clipped to a small circle: every kept segment intersects it, fewer segments
    circle = shapely.Point(24.945, 60.17).buffer(0.003)
    small = read_network(path, boundary=circle, buffer_m=100)
    assert 0 < small.n_segments < net.n_segments
    area_m = shapely.transform(
        circle, lambda xy: np.column_stack(
            pyproj.Transformer.from_crs(4326, small.crs_m, always_xy=True).transform(
                xy[:, 0], xy[:, 1]))).buffer(99)
    assert shapely.intersects(small.lines_m(), area_m.buffer(2)).all()


def test_file_errors(tmp_path):
    with pytest.raises(InputError, match=r"\.osm\.pbf, \.pbf, \.osm, \.xml, \.graphml"):
        read_network(tmp_path / "roads.shp")
    with pytest.raises(InputError, match="not found"):
        read_network(tmp_path / "missing.osm.pbf")
    bad = tmp_path / "bad.osm"
    bad.write_text("this is not xml")
    with pytest.raises(InputError, match="could not read"):
        read_network(bad)
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6">'
                     '<node id="1" lat="36.3" lon="112.9"/><node id="2" lat="36.31" lon="112.9"/>'
                     '<way id="5"><nd ref="1"/><nd ref="2"/><tag k="waterway" v="river"/></way>'
                     "</osm>")
    with pytest.raises(NetworkError, match="no road segments"):
        read_network(empty)
    assert ACCEPTED_EXTENSIONS == (".osm.pbf", ".pbf", ".osm", ".xml", ".graphml")


# --------------------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------------------
def test_profiles_numbers():
    # the profile order (error messages and --help list modes in it); vocab.MODES is the
    # display order of the tables and reports, over the same modes
    assert MODES == ("walk", "walk_elderly", "ebike", "bicycle", "car")
    assert sorted(MODES) == sorted(vocab.MODES)
    walk = PROFILES["walk"]
    assert walk.speeds_kmh["trunk"] == 4.8 and walk.speeds_kmh["footway"] == 4.8
    assert not ({"motorway", "motorway_link", "trunk_link"} & set(walk.speeds_kmh))
    assert walk.offroad_kmh == 3.6 and not walk.respect_oneway
    eld = PROFILES["walk_elderly"]
    assert set(eld.speeds_kmh.values()) == {3.6} and eld.offroad_kmh == 2.7
    eb = PROFILES["ebike"]
    assert eb.speeds_kmh["trunk"] == 18 and eb.speeds_kmh["tertiary"] == 18
    assert eb.speeds_kmh["residential"] == 15 and eb.speeds_kmh["track"] == 10
    assert eb.speeds_kmh["steps"] == 6 and "motorway" not in eb.speeds_kmh
    assert eb.offroad_kmh == 4 and eb.respect_oneway
    bike = PROFILES["bicycle"]
    assert bike.speeds_kmh["primary"] == 12 and bike.speeds_kmh["track"] == 8
    assert bike.speeds_kmh["path"] == 5 and bike.respect_oneway
    car = PROFILES["car"]
    assert dict(car.speeds_kmh) == {
        "motorway": 90, "motorway_link": 40, "trunk": 60, "trunk_link": 35, "primary": 50,
        "primary_link": 30, "secondary": 40, "secondary_link": 25, "tertiary": 35,
        "tertiary_link": 20, "unclassified": 25, "residential": 20, "living_street": 10,
        "service": 15, "track": 15, "road": 25}
    assert car.use_maxspeed and car.respect_oneway and car.offroad_kmh == 4
    assert all(p.default_kmh is None for p in PROFILES.values())


def test_get_profile_overrides_and_errors():
    p = get_profile(" Car ", overrides={"primary": 45, "track": None, "footway": 5},
                    offroad_kmh=3)
    assert p.speeds_kmh["primary"] == 45.0 and "track" not in p.speeds_kmh
    assert p.speeds_kmh["footway"] == 5.0 and p.offroad_kmh == 3.0
    assert PROFILES["car"].speeds_kmh["primary"] == 50  # built-ins untouched
    assert "footway" not in PROFILES["car"].speeds_kmh
    with pytest.raises(InputError, match="walk, walk_elderly, ebike, bicycle, car"):
        get_profile("horse")
    with pytest.raises(InputError, match="Unknown highway class 'highway'") as exc:
        get_profile("walk", overrides={"highway": 5})
    assert "living_street" in str(exc.value)
    with pytest.raises(InputError, match="positive"):
        get_profile("walk", overrides={"primary": 0})
    with pytest.raises(InputError, match="positive"):
        get_profile("walk", offroad_kmh=-1)


# --------------------------------------------------------------------------------------
# Routing graph
# --------------------------------------------------------------------------------------
def test_build_routing_graph_times():
    # 0-1 primary 1 km one-way maxspeed 30; 0-1 again footway; 1-2 residential 500 m;
    # 2-3 zero length; 4-5 residential 1 km (separate piece)
    net = make_net([(0, 0), (1000, 0), (1500, 0), (1500, 0), (0, 5000), (1000, 5000)],
                   [(0, 1), (0, 1), (1, 2), (2, 3), (4, 5)],
                   highway=["primary", "footway", "residential", "residential", "residential"],
                   oneway=[True, False, False, False, False],
                   maxspeed=[30, np.nan, 60, np.nan, np.nan])
    car = build_routing_graph(net, get_profile("car"))
    # primary: min(50, 30) = 30 km/h -> 2 min/km; residential min(20, 60) = 20 -> 1.5 min/500 m
    np.testing.assert_allclose(car.edge_fwd_min[[0, 2, 4]], [2.0, 1.5, 3.0], rtol=1e-12)
    assert car.edge_bwd_min[0] == np.inf and car.edge_bwd_min[2] == 1.5
    assert car.edge_fwd_min[3] == ZERO_TIME_MIN
    assert not car.usable[1] and np.isinf(car.edge_fwd_min[1])
    assert car.csr[0, 1] == pytest.approx(2.0) and car.csr[1, 0] == 0  # no arc back
    assert car.csr.nnz == 1 + 2 + 2 + 2
    assert car.component[0] == car.component[3] != car.component[4]
    assert car.main_component == car.component[0]
    walk = build_routing_graph(net, get_profile("walk"))
    # parallel primary + footway, both 12.5 min: the csr keeps one arc each way of 12.5
    assert walk.csr[0, 1] == pytest.approx(12.5) and walk.csr[1, 0] == pytest.approx(12.5)
    assert walk.csr.nnz == 8
    with pytest.raises(NetworkError, match="usable by mode 'car'"):
        build_routing_graph(make_net([(0, 0), (10, 0)], [(0, 1)], highway="footway"),
                            get_profile("car"))


def test_parallel_segments_keep_minimum_not_sum():
    net = make_net([(0, 0), (1000, 0)], [(0, 1), (1, 0), (0, 1)],
                   highway=["primary", "track", "residential"])
    car = build_routing_graph(net, get_profile("car"))  # 1.2, 4.0, 3.0 min
    assert car.csr[0, 1] == pytest.approx(1.2) and car.csr[1, 0] == pytest.approx(1.2)
    assert car.csr.nnz == 2


def test_snap_points_exact():
    net = make_net([(0, 0), (1000, 0), (1000, 1000)], [(0, 1), (1, 2)],
                   highway=["footway", "residential"])
    walk = build_routing_graph(net, get_profile("walk"))
    s = snap_points(walk, *ll([250, 1100, 980], [-30, 600, 50]))
    assert s.edge.tolist() == [0, 1, 1]
    np.testing.assert_allclose(s.frac, [0.25, 0.6, 0.05], atol=1e-9)
    np.testing.assert_allclose(s.offroad_m, [30, 100, 20], atol=1e-6)
    np.testing.assert_allclose(s.offroad_min, [0.5, 100 / 60, 20 / 60], atol=1e-9)
    np.testing.assert_allclose(s.x_m - X0, [250, 1100, 980], atol=1e-6)
    # by car the footway is not usable: the first point goes to the residential road
    car = build_routing_graph(net, get_profile("car"))
    c = snap_points(car, *ll([250], [-30]))
    assert c.edge.tolist() == [1] and c.frac[0] == pytest.approx(0.0, abs=1e-12)
    assert c.offroad_m[0] == pytest.approx(math.hypot(750, 30), abs=1e-6)
    assert c.offroad_min[0] == pytest.approx(math.hypot(750, 30) / (4000 / 60), abs=1e-9)
    assert len(snap_points(car, [], [])) == 0
    with pytest.raises(InputError, match="non-finite"):
        snap_points(car, [112.9, np.nan], [36.3, 36.3])


def test_network_summary():
    net = make_net([(0, 0), (1000, 0), (3000, 0), (0, 5000), (500, 5000)],
                   [(0, 1), (1, 2), (3, 4)], highway=["primary", "footway", "residential"])
    car = build_routing_graph(net, get_profile("car"))
    s = network_summary(car)
    assert s["mode"] == "car" and s["nodes"] == 5 and s["segments"] == 3
    assert s["usable_segments"] == 2 and s["usable_nodes"] == 4
    assert s["km_total"] == pytest.approx(3.5) and s["km_usable"] == pytest.approx(1.5)
    assert s["km_by_class"] == pytest.approx({"footway": 2.0, "primary": 1.0,
                                              "residential": 0.5})
    assert s["usable_km_by_class"] == pytest.approx({"primary": 1.0, "residential": 0.5})
    assert s["components"] == 2
    assert s["main_component_nodes"] == 2 and s["main_component_share"] == 0.5
    assert s["nodes_outside_main"] == 2
    assert s["km_outside_main"] == pytest.approx(0.5)  # tie: the first label wins
    walk = network_summary(build_routing_graph(net, get_profile("walk")))
    assert walk["components"] == 2 and walk["main_component_nodes"] == 3
    assert walk["main_component_share"] == pytest.approx(0.6)
    assert walk["km_outside_main"] == pytest.approx(0.5)


# --------------------------------------------------------------------------------------
# Spatial node numbering (issue 6)
# --------------------------------------------------------------------------------------
def test_spatial_node_order_is_a_morton_curve():
    from tcm_coverage.network import spatial_node_order

    # a 4x4 grid given in random order comes back in Z order: (0,0) (1,0) (0,1) (1,1) (2,0) ...
    gx, gy = np.meshgrid(np.arange(4.0), np.arange(4.0))
    x, y = gx.ravel(), gy.ravel()
    rng = np.random.default_rng(1)
    shuffle = rng.permutation(16)
    order = spatial_node_order(x[shuffle] * 100, y[shuffle] * 100, bits=2)
    got = list(zip(x[shuffle][order].astype(int).tolist(), y[shuffle][order].astype(int).tolist(),
                   strict=True))
    assert got[:8] == [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (3, 0), (2, 1), (3, 1)]
    assert sorted(order.tolist()) == list(range(16))
    assert spatial_node_order(np.zeros(0), np.zeros(0)).size == 0
    assert spatial_node_order(np.ones(3), np.ones(3)).tolist() == [0, 1, 2]  # ties: stable


def test_spatial_numbering_keeps_travel_times(monkeypatch):
    """Travel times are identical with and without the spatial renumbering of nodes."""
    import tcm_coverage.network.model as model
    from tcm_coverage.access.traveltime import nearest_facility_times, node_times_to_nearest

    roads = REPO / "tcm_coverage" / "demo_data" / "roads" / "demo_roads.osm"
    spatial = read_network(roads)
    monkeypatch.setattr(model, "spatial_node_order",
                        lambda x, y, **_kw: np.arange(np.asarray(x).size, dtype=np.int64))
    plain = read_network(roads)
    monkeypatch.undo()
    # same nodes and segments, different numbering; segments keep their order
    assert sorted(spatial.node_id.tolist()) == sorted(plain.node_id.tolist())
    assert not np.array_equal(spatial.node_id, plain.node_id)
    np.testing.assert_array_equal(spatial.node_id[spatial.u], plain.node_id[plain.u])
    np.testing.assert_array_equal(spatial.node_id[spatial.v], plain.node_id[plain.v])
    np.testing.assert_array_equal(spatial.length_m, plain.length_m)
    # the spatial network is in Z order of its projected coordinates
    tr = pyproj.Transformer.from_crs("EPSG:4326", spatial.crs_m, always_xy=True)
    x, y = tr.transform(spatial.lon, spatial.lat)
    assert np.array_equal(model.spatial_node_order(np.asarray(x), np.asarray(y)),
                          np.arange(spatial.n_nodes))

    rng = np.random.default_rng(6)
    lon0, lat0, lon1, lat1 = (spatial.lon.min(), spatial.lat.min(), spatial.lon.max(),
                              spatial.lat.max())
    dlon, dlat = rng.uniform(lon0, lon1, 400), rng.uniform(lat0, lat1, 400)
    flon, flat = rng.uniform(lon0, lon1, 25), rng.uniform(lat0, lat1, 25)
    for mode in ("walk", "car"):
        results = []
        for net in (spatial, plain):
            rg = build_routing_graph(net, get_profile(mode))
            fs = snap_points(rg, flon, flat)
            ds = snap_points(rg, dlon, dlat)
            node_min = node_times_to_nearest(rg, fs)
            by_id = dict(zip(net.node_id.tolist(), node_min.tolist(), strict=True))
            results.append((by_id, nearest_facility_times(rg, ds, fs)))
        (ids_a, near_a), (ids_b, near_b) = results
        assert ids_a == ids_b  # exactly equal minutes per OSM node
        np.testing.assert_array_equal(near_a.minutes, near_b.minutes)
        unique = np.isfinite(near_a.minutes)
        assert (near_a.facility[unique] == near_b.facility[unique]).mean() > 0.99


def test_snap_points_same_as_unordered_query():
    """Snapping searches in Z order for speed; the answers are those of input order, exactly
    (ties too: they go to the lowest segment whatever the order; test_nearest.py compares
    snapping with the former STRtree query and with brute force)."""
    net = read_network(REPO / "tcm_coverage" / "demo_data" / "roads" / "demo_roads.osm")
    rg = build_routing_graph(net, get_profile("ebike"))
    rng = np.random.default_rng(3)
    lon = rng.uniform(net.lon.min(), net.lon.max(), 5000)
    lat = rng.uniform(net.lat.min(), net.lat.max(), 5000)
    lon[:200] = net.lon[:200]  # points exactly at nodes: ties between segments
    lat[:200] = net.lat[:200]
    s = snap_points(rg, lon, lat)
    pieces = network_pieces(net)
    x, y = pyproj.Transformer.from_crs("EPSG:4326", net.crs_m, always_xy=True).transform(lon, lat)
    near = nearest_pieces(piece_index(pieces, rg.routable & ~net.grade_separated), pieces,
                          np.asarray(x), np.asarray(y))
    np.testing.assert_array_equal(s.offroad_m, near.dist_m)
    np.testing.assert_array_equal(s.edge, pieces.seg[near.piece])
