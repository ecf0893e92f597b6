"""The array snapping core (issue 16): the KD-tree + exact refinement of
``network/nearest.py`` against a brute-force all-pairs distance on small random networks, and
``snap_points`` against the former shapely ``STRtree.query_nearest`` implementation on the demo
network and on the real Shenzhen OSM extracts.

Ties: ``nearest.py`` takes the lowest segment among those within ``TIE_M`` of the nearest; the
STRtree took one in tree order. Where the two differ, the test requires the same distance and
that the other's segment is just as near (a tie), never a nearer segment missed.
"""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely

from tcm_coverage._geo import WGS84
from tcm_coverage.demo import demo_inputs
from tcm_coverage.network import build_routing_graph, get_profile, read_network, snap_points
from tcm_coverage.network.nearest import (
    TIE_M,
    may_lie_within,
    nearest_pieces,
    piece_index,
    pieces_from_geometry,
    reuse_nearest,
    segment_pieces,
)
from tcm_coverage.network.snapping import _snap_targets


def _random_lines(rng: np.random.Generator, m: int) -> np.ndarray:
    """``m`` lines in a 2 km square: mostly straight (some very long, some zero-length, some
    sharing ends), a few curved with 3-6 vertices."""
    lines = []
    ends = rng.uniform(0, 2000, (m // 3 + 2, 2))
    for i in range(m):
        kind = rng.random()
        if kind < 0.15:  # curved
            lines.append(shapely.LineString(rng.uniform(0, 2000, (int(rng.integers(3, 7)), 2))))
        elif kind < 0.2:  # zero length
            p = rng.uniform(0, 2000, 2)
            lines.append(shapely.LineString([p, p]))
        elif kind < 0.5:  # between shared ends (ties at the nodes)
            a, b = rng.choice(ends.shape[0], 2, replace=False)
            lines.append(shapely.LineString([ends[a], ends[b]]))
        else:
            p = rng.uniform(0, 2000, 2)
            q = p + rng.normal(0, 600 if i % 7 else 3000, 2)
            lines.append(shapely.LineString([p, q]))
    return np.asarray(lines, dtype=object)


@pytest.mark.parametrize("seed", range(6))
def test_nearest_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    geoms = _random_lines(rng, int(rng.integers(5, 150)))
    mask = rng.random(geoms.shape[0]) < 0.7
    mask[0] = True
    pieces = pieces_from_geometry(geoms)
    index = piece_index(pieces, mask)
    # points inside, far outside, and exactly on the nodes (ties)
    x = np.concatenate([rng.uniform(-500, 2500, 300), rng.uniform(-2e4, 2e4, 30), pieces.x0[:20]])
    y = np.concatenate([rng.uniform(-500, 2500, 300), rng.uniform(-2e4, 2e4, 30), pieces.y0[:20]])
    near = nearest_pieces(index, pieces, x, y, order=rng.permutation(x.size))
    cand = np.flatnonzero(mask)
    d_all = shapely.distance(shapely.points(x, y)[:, None], geoms[cand][None, :])  # (k, m)
    best = d_all.min(axis=1)
    np.testing.assert_allclose(near.dist_m, best, rtol=0, atol=1e-7)
    seg = pieces.seg[near.piece]
    # the lowest segment among those tied with the nearest
    lowest = cand[np.argmax(d_all <= (best + TIE_M)[:, None], axis=1)]
    np.testing.assert_array_equal(seg, lowest)
    assert mask[seg].all()
    # the projection point lies on the chosen segment, at the measured distance
    px = pieces.x0[near.piece] + near.t * (pieces.x1[near.piece] - pieces.x0[near.piece])
    py = pieces.y0[near.piece] + near.t * (pieces.y1[near.piece] - pieces.y0[near.piece])
    np.testing.assert_allclose(np.hypot(px - x, py - y), best, atol=1e-7)
    assert (shapely.distance(shapely.points(px, py), geoms[seg]) < 1e-6).all()


def _points(rng, pieces, n=300):
    """Points inside, far outside, and exactly on the nodes (ties)."""
    x = np.concatenate([rng.uniform(-500, 2500, n), rng.uniform(-2e4, 2e4, 30), pieces.x0[:20]])
    y = np.concatenate([rng.uniform(-500, 2500, n), rng.uniform(-2e4, 2e4, 30), pieces.y0[:20]])
    return x, y


@pytest.mark.parametrize("seed", range(6))
def test_may_lie_within_never_rules_out_a_piece_within_the_bound(seed):
    """False proves no piece within the bound: checked at the brute-force distance itself (the
    nearest sample is farther, by up to the slack) and just beyond; far below it, True is rare."""
    rng = np.random.default_rng(seed)
    geoms = _random_lines(rng, int(rng.integers(5, 150)))
    mask = rng.random(geoms.shape[0]) < 0.5
    mask[0] = True
    pieces = pieces_from_geometry(geoms)
    index = piece_index(pieces, mask)
    x, y = _points(rng, pieces)
    best = shapely.distance(shapely.points(x, y)[:, None], geoms[mask][None, :]).min(axis=1)
    assert may_lie_within(index, x, y, best).all()
    assert may_lie_within(index, x, y, best + 1.0).all()
    below = best - index.slack_m - 1.0
    ok = below >= 0
    assert not may_lie_within(index, x[ok], y[ok], below[ok]).any()
    empty = piece_index(pieces, np.zeros(geoms.shape[0], dtype=bool))
    assert not may_lie_within(empty, x, y, best).any()


@pytest.mark.parametrize("seed", range(8))
def test_reuse_nearest_equals_the_own_search(seed):
    """Another mode's nearest pieces, reused where they provably hold, give bit for bit what
    the search over the mode's own segments gives: segments added (nearer ones must be
    found), removed (the reused piece may no longer count) and both; ties at the nodes."""
    rng = np.random.default_rng(100 + seed)
    geoms = _random_lines(rng, int(rng.integers(20, 150)))
    m = geoms.shape[0]
    pieces = pieces_from_geometry(geoms)
    base_mask = rng.random(m) < 0.8
    base_mask[0] = True
    flip = rng.random(m) < [0.05, 0.2, 0.5][seed % 3]
    mask = (base_mask ^ flip) if seed % 2 else (base_mask | flip)
    mask[1] = True
    x, y = _points(rng, pieces)
    order = rng.permutation(x.size)
    base = nearest_pieces(piece_index(pieces, base_mask), pieces, x, y, order)
    built = []

    def index(segments):
        built.append(segments.copy())
        return piece_index(pieces, segments)

    got = reuse_nearest(base, base_mask, pieces, mask, x, y, index=index, order=order)
    want = nearest_pieces(piece_index(pieces, mask), pieces, x, y)
    for name in ("piece", "t", "dist_m"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    reused = got.piece == base.piece
    assert reused.mean() > 0.3  # the point of it: most points are not searched again
    d_all = shapely.distance(shapely.points(x, y)[:, None], geoms[mask][None, :])
    np.testing.assert_allclose(got.dist_m, d_all.min(axis=1), rtol=0, atol=1e-7)
    # the same segments: the base itself, nothing searched
    same = reuse_nearest(base, base_mask, pieces, base_mask, x, y, index=index)
    assert same is base


def test_reuse_nearest_takes_a_tie_the_new_segments_add():
    """A point at a node two segments share: segment 0 is only in the new set; the tie goes
    to it (the lowest index), as the own search has it, not to the reused segment 1."""
    geoms = np.asarray([shapely.LineString([(0, 0), (1, 0)]), shapely.LineString([(0, 0), (0, 1)]),
                        shapely.LineString([(5, 5), (6, 5)])], dtype=object)
    pieces = pieces_from_geometry(geoms)
    x, y = np.array([0.0, 0.0, 5.5]), np.array([0.0, 0.5, 5.0])
    base_mask, mask = np.array([False, True, True]), np.array([True, True, True])
    base = nearest_pieces(piece_index(pieces, base_mask), pieces, x, y)
    assert base.piece.tolist() == [1, 1, 2]
    got = reuse_nearest(base, base_mask, pieces, mask, x, y,
                        index=lambda segments: piece_index(pieces, segments))
    assert got.piece.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(got.dist_m, [0.0, 0.0, 0.0])


def test_curved_pieces_measure_along_the_segment():
    line = shapely.LineString([(0, 0), (100, 0), (100, 50), (0, 50)])
    pieces = pieces_from_geometry(np.asarray([line], dtype=object))
    assert pieces.seg.tolist() == [0, 0, 0]
    assert pieces.start_m.tolist() == [0.0, 100.0, 150.0]
    assert pieces.seg_length_m.tolist() == [250.0]
    near = nearest_pieces(piece_index(pieces, np.array([True])), pieces,
                          np.array([50.0, 120.0, 30.0]), np.array([-3.0, 25.0, 60.0]))
    along = pieces.start_m[near.piece] + near.t * pieces.length_m[near.piece]
    np.testing.assert_allclose(along, [50.0, 125.0, 220.0])
    np.testing.assert_allclose(near.dist_m, [3.0, 20.0, 10.0])


def _strtree_snap(rg, lon, lat):
    """The implementation before issue 16 (on every segment's LineString): edge, frac,
    offroad_m, fragment_m."""
    net = rg.network
    lines = net.lines_m()
    x, y = pyproj.Transformer.from_crs(WGS84, net.crs_m, always_xy=True).transform(lon, lat)
    pts = shapely.points(x, y)
    targets, fragments = _snap_targets(rg)

    def nearest(mask):
        cand = np.flatnonzero(mask)
        (inp, hit), d = shapely.STRtree(lines[cand]).query_nearest(
            pts, return_distance=True, all_matches=False)
        edge = np.empty(len(pts), dtype=np.int64)
        dist = np.empty(len(pts))
        edge[inp], dist[inp] = cand[hit], d
        return edge, dist

    edge, dist = nearest(targets)
    frag = np.full(len(pts), np.nan)
    if fragments.any():
        _, fd = nearest(fragments)
        frag[fd < dist] = fd[fd < dist]
    frac = shapely.line_locate_point(lines[edge], pts, normalized=True)
    return edge, np.clip(np.nan_to_num(frac, nan=0.0), 0, 1), dist, frag, pts, lines


def _assert_same_as_strtree(net, n, seed):
    rng = np.random.default_rng(seed)
    lo = np.array([net.lon.min(), net.lat.min()])
    hi = np.array([net.lon.max(), net.lat.max()])
    pad = (hi - lo) * 0.1
    lon = rng.uniform(lo[0] - pad[0], hi[0] + pad[0], n)
    lat = rng.uniform(lo[1] - pad[1], hi[1] + pad[1], n)
    lon, lat = np.concatenate([lon, net.lon[:200]]), np.concatenate([lat, net.lat[:200]])
    for mode in ("walk", "ebike", "car"):
        rg = build_routing_graph(net, get_profile(mode))
        snap = snap_points(rg, lon, lat)
        edge, frac, dist, frag, pts, lines = _strtree_snap(rg, lon, lat)
        np.testing.assert_allclose(snap.offroad_m, dist, rtol=0, atol=1e-6, err_msg=mode)
        np.testing.assert_allclose(snap.fragment_m, frag, rtol=0, atol=1e-6, err_msg=mode)
        same = snap.edge == edge
        assert same.mean() > 0.8, mode  # the rest are ties at shared nodes
        np.testing.assert_allclose(snap.frac[same], frac[same], rtol=0, atol=1e-7, err_msg=mode)
        # a different segment only where it is exactly as near (a tie)
        other = ~same
        d_other = shapely.distance(pts[other], lines[snap.edge[other]])
        np.testing.assert_allclose(d_other, dist[other], rtol=0, atol=1e-6, err_msg=mode)
        on = shapely.line_interpolate_point(lines[snap.edge], snap.frac, normalized=True)
        np.testing.assert_allclose(shapely.distance(on, pts), dist, rtol=0, atol=1e-6)


def test_snap_equals_strtree_on_demo_network():
    _assert_same_as_strtree(read_network(demo_inputs()["network"]), 3000, 0)


@pytest.mark.parametrize("name", ["nanshan_overpass_20210317.osm", "futian_osmnx.graphml"])
def test_snap_equals_strtree_on_shenzhen(shared_data, name):
    net = read_network(shared_data / "osm-shenzhen" / name)
    if name.endswith(".graphml"):  # osmnx edges keep their curved geometry
        assert (shapely.get_num_coordinates(net.geometry_m) > 2).any()
    else:  # the pyosmium reader's segments are straight: no geometry kept
        assert shapely.is_missing(net.geometry_m).all()
    _assert_same_as_strtree(net, 3000, 1)


def test_pieces_of_straight_and_curved_segments():
    """Straight segments (no stored geometry) are cut from the node arrays, curved ones from
    their lines: the same pieces as cutting every segment's full LineString."""
    rng = np.random.default_rng(7)
    x, y = rng.uniform(0, 1000, 40), rng.uniform(0, 1000, 40)
    u, v = rng.integers(0, 40, 60), rng.integers(0, 40, 60)
    lines = shapely.linestrings(np.stack([np.column_stack([x[u], y[u]]),
                                          np.column_stack([x[v], y[v]])], axis=1))
    geoms = np.full(60, None, dtype=object)
    for k in range(0, 60, 4):  # every 4th is curved through a random vertex
        mid = rng.uniform(0, 1000, 2)
        geoms[k] = lines[k] = shapely.LineString([(x[u[k]], y[u[k]]), mid, (x[v[k]], y[v[k]])])
    got, want = segment_pieces(x, y, u, v, geoms), pieces_from_geometry(lines)
    for name in ("x0", "y0", "x1", "y1", "seg", "start_m", "seg_length_m"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), err_msg=name)
    np.testing.assert_allclose(got.seg_length_m, shapely.length(lines))
