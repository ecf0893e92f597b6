"""network.extent: the segments meeting an area, from arrays, equal a shapely STRtree query
with the ``intersects`` predicate over every segment's LineString (the province cut before
issue 16), on the demo roads and on real Shenzhen OSM (curved osmnx edges too)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from tcm_coverage.demo import demo_inputs
from tcm_coverage.network import read_network, segment_boxes, segments_meeting


def _areas(net, seed: int) -> list:
    """Areas of every kind the cut meets: discs, a square with a hole, a thin strip (segments
    cross it with both ends outside), a polygon through nodes, one outside everything."""
    rng = np.random.default_rng(seed)
    x, y = net.node_xy_m()
    cx, cy = float(np.median(x)), float(np.median(y))
    span = float(np.ptp(x))
    out = [shapely.Point(cx + rng.uniform(-0.2, 0.2) * span, cy + rng.uniform(-0.2, 0.2) * span)
           .buffer(rng.uniform(0.05, 0.3) * span) for _ in range(3)]
    outer = shapely.box(cx - 0.3 * span, cy - 0.3 * span, cx + 0.3 * span, cy + 0.3 * span)
    out.append(outer.difference(shapely.box(cx - 0.1 * span, cy - 0.1 * span, cx + 0.1 * span, cy + 0.1 * span)))
    out.append(shapely.box(cx - 0.4 * span, cy - 1.0, cx + 0.4 * span, cy + 1.0))  # 2 m strip
    k = rng.choice(len(x), 3, replace=False)  # a triangle whose corners are nodes
    out.append(shapely.Polygon(np.column_stack([x[k], y[k]])).buffer(0))
    out.append(shapely.box(cx + 10 * span, cy, cx + 11 * span, cy + span))
    return [a for a in out if not a.is_empty]


def _check(net, seed: int) -> None:
    lines = net.lines_m()
    tree = shapely.STRtree(lines)
    boxes = segment_boxes(net)
    for area in _areas(net, seed):
        expected = np.sort(tree.query(area, predicate="intersects"))
        got = segments_meeting(net, boxes, area)
        assert np.array_equal(got, expected), (area.geom_type, got.size, expected.size)
    assert boxes.xmin.size == net.n_segments


def test_segments_meeting_equals_strtree_on_demo_roads():
    net = read_network(demo_inputs()["network"])
    _check(net, 0)
    # a wrong rule (ends only, no crossing test) misses the strip's crossing segments
    x, y = net.node_xy_m()
    strip = shapely.box(float(np.min(x)), float(np.median(y)) - 1.0, float(np.max(x)), float(np.median(y)) + 1.0)
    met = segments_meeting(net, segment_boxes(net), strip)
    ends_in = shapely.contains_xy(strip, x[net.u[met]], y[net.u[met]]) | shapely.contains_xy(
        strip, x[net.v[met]], y[net.v[met]])
    assert (~ends_in).sum() > 10  # most segments meeting a 2 m strip have no end inside it


@pytest.mark.parametrize("name", ["nanshan_overpass_20210317.osm", "futian_osmnx.graphml"])
def test_segments_meeting_equals_strtree_on_shenzhen(shared_data, name):
    net = read_network(shared_data / "osm-shenzhen" / name)
    if name.endswith(".graphml"):
        assert (~shapely.is_missing(np.asarray(net.geometry_m, dtype=object))).any()  # curved edges
    _check(net, 1)
