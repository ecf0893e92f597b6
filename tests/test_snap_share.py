"""One snap per point set for the modes that snap alike (issue 16): the shared snap equals the
mode's own ``snap_points`` field for field, and ``compute_access`` snaps each point set once."""

from __future__ import annotations

import dataclasses
import gc

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point
from test_traveltime import ll, random_network

from tcm_coverage.access import compute as compute_module
from tcm_coverage.access import compute_access
from tcm_coverage.network import (
    build_routing_graph,
    get_profile,
    snap_key,
    snap_points,
    snap_with_profile,
    snapping,
)


def _points(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return ll(rng.uniform(0, 10000, n), rng.uniform(0, 10000, n))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shared_snap_is_the_modes_own(seed):
    net = random_network(seed)
    lon, lat = _points(seed, 400)
    graphs = {m: build_routing_graph(net, get_profile(m)) for m in ("walk", "ebike", "car")}
    first = snap_points(graphs["walk"], lon, lat)
    for _mode, rg in graphs.items():
        own = snap_points(rg, lon, lat)
        if snap_key(rg) != snap_key(graphs["walk"]):
            continue
        shared = snap_with_profile(first, rg)
        for f in dataclasses.fields(own):
            np.testing.assert_array_equal(getattr(shared, f.name), getattr(own, f.name), err_msg=f.name)
    # car routes one-way streets one way: other strong pieces, another key (random one-ways)
    assert snap_key(graphs["car"]) != snap_key(graphs["walk"])


@pytest.mark.parametrize("plain", [True, False])
def test_compute_access_snaps_each_point_set_once_per_key(monkeypatch, plain):
    net = random_network(4)
    if plain:  # residential two-way streets only: every mode snaps alike
        net = dataclasses.replace(net, highway=np.full(net.n_segments, "residential", dtype=object),
                                  oneway=np.zeros(net.n_segments, dtype=bool))
    lon, lat = _points(4, 300)
    demand = gpd.GeoDataFrame({"population": np.ones(300)},
                              geometry=[Point(x, y) for x, y in zip(lon, lat, strict=True)], crs=4326)
    flon, flat = _points(5, 6)
    facilities = gpd.GeoDataFrame(
        {"facility_id": [f"F{i}" for i in range(6)], "name": [f"f{i}" for i in range(6)],
         "tier": ["village_station"] * 6, "type": ["村卫生室"] * 6, "zhongyiguan": [False] * 6,
         "zhongyige": [True] * 6, "source_row": np.arange(2, 8)},
        geometry=[Point(x, y) for x, y in zip(flon, flat, strict=True)], crs=4326)
    calls: list[int] = []
    real = compute_module.snap_points

    def spy(rg, lo, la, **kw):
        calls.append(len(np.atleast_1d(lo)))
        return real(rg, lo, la, **kw)

    monkeypatch.setattr(compute_module, "snap_points", spy)
    res = compute_access(demand, facilities, net, modes=("walk", "ebike", "car"), progress=False)
    keys = {snap_key(r.graph) for r in res.routing.values()}
    assert len(keys) == (1 if plain else 3)  # random classes: footways, one-ways differ by mode
    assert sorted(calls) == [6] * len(keys) + [300] * len(keys)  # once per point set and key
    for mode, r in res.routing.items():  # the run's snaps are each mode's own
        own = real(r.graph, lon, lat)
        np.testing.assert_array_equal(r.demand.offroad_min, own.offroad_min, err_msg=mode)
        np.testing.assert_array_equal(r.demand.edge, own.edge, err_msg=mode)


def test_snap_caches_go_with_the_network():
    """The projected points, searches and trees kept for a network are dropped with it, and a
    second snap of the same points (another mode) is the first one's, field for field."""
    net = random_network(7)
    lon, lat = _points(7, 50)
    walk = build_routing_graph(net, get_profile("walk"))
    first = snap_points(walk, lon, lat)
    again = snap_points(walk, lon, lat)
    for f in dataclasses.fields(first):
        np.testing.assert_array_equal(getattr(again, f.name), getattr(first, f.name), err_msg=f.name)
    key = id(net)
    assert any(k[0] == key for k in snapping._NEAR) and any(k[0] == key for k in snapping._PROJECTED)
    del walk, net, first, again
    gc.collect()
    assert not any(k[0] == key for k in (*snapping._NEAR, *snapping._PROJECTED, *snapping._INDEX))
    assert key not in snapping._PIECES and key not in snapping._WATCHED
