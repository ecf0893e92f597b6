"""OSM access rules per mode (issue 10): hand-made OSM data read by all three readers.

The network is small and written here as OSM XML; the PBF copy is written from it with
pyosmium and the GraphML copies with osmnx, so the three readers see the same ways.
"""

from __future__ import annotations

import logging
import math

import networkx as nx
import numpy as np
import pytest
import shapely
from _frame import X0, Y0, ll

from tcm_coverage.access.traveltime import nearest_facility_times
from tcm_coverage.network import (
    ACCESS_CHAINS,
    access_from_tags,
    build_routing_graph,
    get_profile,
    read_network,
    snap_points,
)

#: spur x position -> (tags, open to walk, open to e-bike/bicycle, open to car)
SPURS: dict[int, tuple[dict[str, str], bool, bool, bool]] = {
    250: ({"foot": "no"}, False, True, True),
    500: ({"access": "private"}, False, False, False),
    750: ({"access": "no", "foot": "yes"}, True, False, False),
    1000: ({"vehicle": "no"}, True, False, False),
    1250: ({"motorcar": "no"}, True, True, False),
    1500: ({"bicycle": "no"}, True, False, True),
    1750: ({"access": "destination"}, True, True, True),
    2250: ({"foot": "unknown", "motor_vehicle": "agricultural"}, True, True, False),
    2500: ({"motor_vehicle": "no"}, True, True, False),  # e-bikes are non-motor vehicles
    2750: ({"access": "no", "motor_vehicle": "yes"}, False, False, True),
}
ONEWAY_BIKE_X = 2000  # oneway=yes, oneway:bicycle=no


def write_osm(path):
    """Street S1 (y=0, 0..3000 m, nodes every 250 m), street S2 (y=600), a west connector,
    an east 'delivery tunnel' (service, motor_vehicle=no), 500 m spurs south of S1 with the
    tags of SPURS, and a pedestrian square (area=yes) that must be dropped."""
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []

    def node(x, y):
        key = len(nodes) + 1
        nodes[key] = (x, y)
        return key

    s1 = [node(x, 0) for x in range(0, 3001, 250)]
    s2 = [node(x, 600) for x in range(0, 3001, 1000)]
    ways.append((100, s1, {"highway": "residential"}))
    ways.append((101, s2, {"highway": "residential"}))
    ways.append((102, [s1[0], s2[0]], {"highway": "residential"}))
    ways.append((103, [s1[-1], s2[-1]], {"highway": "service", "motor_vehicle": "no",
                                         "tunnel": "yes"}))
    for k, (x, (tags, *_)) in enumerate(SPURS.items()):
        ways.append((200 + k, [s1[x // 250], node(x, -500)], {"highway": "residential", **tags}))
    ways.append((300, [s1[ONEWAY_BIKE_X // 250], node(ONEWAY_BIKE_X, -500)],
                 {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}))
    ways.append((500, [s2[1], node(1000, 1100)], {"highway": "service", "tunnel": "yes",
                                                  "layer": "-1"}))
    ways.append((501, [s2[2], node(2000, 1100)], {"highway": "footway",
                                                  "tunnel": "building_passage"}))
    ways.append((502, [s2[3], node(3000, 1100)], {"highway": "residential", "bridge": "yes"}))
    sq = [node(x, y) for x, y in ((1100, 100), (1300, 100), (1300, 300), (1100, 300))]
    ways.append((400, [*sq, sq[0]], {"highway": "pedestrian", "area": "yes"}))
    ways.append((401, [s1[4], sq[0]], {"highway": "footway"}))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for key, (x, y) in nodes.items():
        (lon,), (lat,) = ll(x, y)
        lines.append(f' <node id="{key}" version="1" lat="{float(lat):.9f}" lon="{float(lon):.9f}"/>')
    for wid, refs, tags in ways:
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f' <way id="{wid}" version="1">{body}</way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def osm_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("access")
    xml = write_osm(d / "access.osm")
    files = {"xml": xml}
    osmium = pytest.importorskip("osmium")
    pbf = d / "access.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    files["pbf"] = pbf
    import osmnx

    extra = ["area", "foot", "bicycle", "vehicle", "motor_vehicle", "motorcar", "oneway:bicycle"]
    before = osmnx.settings.useful_tags_way
    osmnx.settings.useful_tags_way = list(dict.fromkeys([*before, *extra]))
    try:
        G = osmnx.graph_from_xml(xml, simplify=False, retain_all=True)
    finally:
        osmnx.settings.useful_tags_way = before
    assert osmnx.settings.useful_tags_way == before
    osmnx.save_graphml(G, d / "full.graphml")
    files["graphml"] = d / "full.graphml"
    G_plain = osmnx.graph_from_xml(xml, simplify=False, retain_all=True)  # osmnx defaults
    osmnx.save_graphml(G_plain, d / "plain.graphml")
    files["graphml_plain"] = d / "plain.graphml"
    return files


def _segment_at(net, x, y):
    """Indices of the segments whose midpoint is within 1 m of local (x, y)."""
    mid = shapely.get_coordinates(shapely.line_interpolate_point(net.lines_m(), 0.5,
                                                                 normalized=True))
    return np.flatnonzero(np.hypot(mid[:, 0] - (X0 + x), mid[:, 1] - (Y0 + y)) < 1.0)


@pytest.mark.parametrize("reader", ["xml", "pbf", "graphml"])
def test_access_per_mode_in_every_reader(osm_files, reader):
    net = read_network(osm_files[reader])
    assert net.access is not None and net.access.tags_missing == ()
    graphs = {m: build_routing_graph(net, get_profile(m))
              for m in ("walk", "walk_elderly", "ebike", "bicycle", "car")}
    for x, (tags, walk_ok, bike_ok, car_ok) in SPURS.items():
        seg = _segment_at(net, x, -250)
        assert seg.size == 1, (reader, x)
        for mode, want in (("walk", walk_ok), ("walk_elderly", walk_ok), ("ebike", bike_ok),
                           ("bicycle", bike_ok), ("car", car_ok)):
            assert bool(graphs[mode].usable[seg[0]]) is want, (reader, tags, mode)
    # oneway=yes + oneway:bicycle=no: cars one way, bicycles and e-bikes both ways
    seg = _segment_at(net, ONEWAY_BIKE_X, -250)[0]
    assert math.isfinite(graphs["car"].edge_fwd_min[seg]) != math.isfinite(graphs["car"].edge_bwd_min[seg])
    for mode in ("ebike", "bicycle", "walk"):
        assert np.isfinite([graphs[mode].edge_fwd_min[seg], graphs[mode].edge_bwd_min[seg]]).all()
    # the pedestrian square (area=yes) is not a way: none of its outline is kept
    for x, y in ((1200, 100), (1300, 200), (1200, 300), (1100, 200)):
        assert _segment_at(net, x, y).size == 0, (reader, x, y)
    assert _segment_at(net, 1050, 50).size == 1  # the footway leading to it stays


@pytest.mark.parametrize("reader", ["xml", "pbf", "graphml"])
def test_delivery_tunnel_closed_to_cars_by_hand(osm_files, reader):
    """Resident 50 m south of S1's east end, facility 50 m north of S2's east end; the 600 m
    east link is a service tunnel with motor_vehicle=no."""
    net = read_network(osm_files[reader])
    expect = {
        # 2 x 50 m at 4 km/h + around by the west: 3000 + 600 + 3000 m at 20 km/h (3 min/km)
        "car": 2 * 50 / (4000 / 60) + 6.6 * 3.0,
        # the tunnel is open to e-bikes: 2 x 50 m at 4 km/h + 600 m service at 15 km/h
        "ebike": 2 * 50 / (4000 / 60) + 0.6 * 4.0,
        # walking: 2 x 50 m at 3.6 km/h + 600 m at 4.8 km/h
        "walk": 2 * 50 / 60 + 0.6 * 12.5,
    }
    for mode, minutes in expect.items():
        rg = build_routing_graph(net, get_profile(mode))
        dem = snap_points(rg, *ll([3000], [-50]))
        fac = snap_points(rg, *ll([3000], [650]))
        res = nearest_facility_times(rg, dem, fac)
        assert res.minutes[0] == pytest.approx(minutes, abs=1e-3), (reader, mode)
        # networkx on the usable segments gives the same road time
        G = nx.Graph() if not rg.profile.respect_oneway else nx.DiGraph()
        for e in np.flatnonzero(rg.usable):
            G.add_edge(int(net.u[e]), int(net.v[e]), weight=float(rg.edge_fwd_min[e]))
            if rg.profile.respect_oneway and np.isfinite(rg.edge_bwd_min[e]):
                G.add_edge(int(net.v[e]), int(net.u[e]), weight=float(rg.edge_bwd_min[e]))
        a = int(net.u[dem.edge[0]] if dem.frac[0] < 0.5 else net.v[dem.edge[0]])
        b = int(net.u[fac.edge[0]] if fac.frac[0] < 0.5 else net.v[fac.edge[0]])
        road = nx.shortest_path_length(G, a, b, weight="weight")
        assert road + dem.offroad_min[0] + fac.offroad_min[0] == pytest.approx(minutes, abs=1e-3)


@pytest.mark.parametrize("reader", ["xml", "pbf", "graphml"])
def test_points_never_snap_into_a_tunnel_or_onto_a_bridge(osm_files, reader):
    """A point 10 m beside a service tunnel or a bridge attaches to the nearest road at ground
    level; a building passage (tunnel=building_passage) is at ground level."""
    net = read_network(osm_files[reader])
    tunnel, passage, bridge = (_segment_at(net, x, 850)[0] for x in (1000, 2000, 3000))
    assert net.grade_separated[[tunnel, passage, bridge]].tolist() == [True, False, True]
    rg = build_routing_graph(net, get_profile("walk"))
    assert rg.routable[[tunnel, passage, bridge]].all()  # routed along, only not snapped to
    snap = snap_points(rg, *ll([1010, 2010, 3010], [900, 900, 900]))
    assert snap.edge[1] == passage and snap.offroad_m[1] == pytest.approx(10, abs=0.01)
    for k, seg in ((0, tunnel), (2, bridge)):
        assert snap.edge[k] != seg
        # nearest ground-level road: S2 (y=600), 300 m below the point
        assert snap.offroad_m[k] == pytest.approx(300, abs=0.5)


def test_graphml_without_access_keys_says_so(osm_files, caplog):
    """osmnx's default GraphML keeps `access` but not foot/bicycle/...: the reader applies
    what it sees and names what it cannot."""
    with caplog.at_level(logging.WARNING, logger="tcm_coverage.network.readers"):
        net = read_network(osm_files["graphml_plain"])
    missing = set(net.access.tags_missing)
    assert {"foot", "bicycle", "vehicle", "motor_vehicle", "motorcar"} <= missing
    assert "access" not in missing
    text = caplog.text
    assert "foot" in text and "cannot be applied" in text
    walk = build_routing_graph(net, get_profile("walk"))
    assert not walk.usable[_segment_at(net, 500, -250)[0]]  # access=private still seen
    assert walk.usable[_segment_at(net, 250, -250)[0]]  # foot=no unseen: open


def test_access_from_tags_rules():
    tags = {
        "access": np.array(["no", "no", None, "yes", "private", "", "permissive"], dtype=object),
        "foot": np.array(["yes", None, "no", None, None, "designated", None], dtype=object),
        "motor_vehicle": np.array([None, "destination", None, "no", None, None, None],
                                  dtype=object),
        "motorcar": np.array([None, None, None, None, "yes", None, ["yes", "no"]], dtype=object),
    }
    acc = access_from_tags(tags, oneway=np.zeros(7, bool))
    assert acc.foot.tolist() == [True, False, False, True, False, True, True]
    assert acc.motorcar.tolist() == [False, True, True, False, True, True, False]
    assert acc.bicycle.tolist() == [False, False, True, True, False, True, True]
    assert set(ACCESS_CHAINS) == {"foot", "bicycle", "motorcar"}
