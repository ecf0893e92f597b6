"""Slopes (issue 14): a DEM, Tobler's hiking function and the climb rules of bicycles and e-bikes.

Every time here is computed by hand from the formulas of :mod:`tcm_coverage.network.terrain`
or, on a small graph, by networkx from weights computed independently of the package.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

import networkx as nx
import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from _frame import CRS_M, X0, Y0, ll
from rasterio.transform import from_origin
from test_traveltime import make_net, snap_xy

from tcm_coverage._errors import InputError
from tcm_coverage.access.traveltime import (
    nearest_facility_times,
    node_times_to_nearest,
    od_pairs_within,
)
from tcm_coverage.demo import DEMO_FILES, demo_data_dir
from tcm_coverage.inputs import read_boundaries
from tcm_coverage.network import (
    Dem,
    build_routing_graph,
    get_profile,
    network_summary,
    read_dem,
    read_network,
    snap_points,
    subset_network,
    tobler_factor,
    with_elevation,
)
from tcm_coverage.network.terrain import sample_segments

CELL = 100.0


def plane_dem(a: float = 0.0, b: float = 0.0, c: float = 0.0, *, x0: float = -3050.0,
              y0: float = 3050.0, cols: int = 100, rows: int = 70) -> Dem:
    """A DEM in the test frame's UTM CRS: ``z = c + a·x + b·y`` (local metres) at cell centres
    (centres at multiples of 100 m), exact under bilinear interpolation."""
    xc = x0 + (np.arange(cols) + 0.5) * CELL
    yc = y0 - (np.arange(rows) + 0.5) * CELL
    gx, gy = np.meshgrid(xc, yc)
    return Dem(values=(c + a * gx + b * gy).astype(np.float32),
               transform=(CELL, 0.0, X0 + x0, 0.0, -CELL, Y0 + y0), crs=CRS_M, source="plane")


def grid_dem(fn, *, x0: float = -3050.0, y0: float = 3050.0, cols: int = 100,
             rows: int = 70) -> Dem:
    xc = x0 + (np.arange(cols) + 0.5) * CELL
    yc = y0 - (np.arange(rows) + 0.5) * CELL
    gx, gy = np.meshgrid(xc, yc)
    return Dem(values=fn(gx, gy).astype(np.float32),
               transform=(CELL, 0.0, X0 + x0, 0.0, -CELL, Y0 + y0), crs=CRS_M, source="grid")


def line_net():
    # A(0,0) - B(1000,0) - C(2000,0) - D(3000,0)
    return make_net([(0, 0), (1000, 0), (2000, 0), (3000, 0)], [(0, 1), (1, 2), (2, 3)])


UP10 = math.exp(-3.5 * 0.15) / math.exp(-3.5 * 0.05)  # Tobler on +10 % relative to the flat


# --------------------------------------------------------------------------------------
# The ramp by hand: a 1 km segment rising 100 m
# --------------------------------------------------------------------------------------
def test_tobler_factor_by_hand():
    assert tobler_factor(0.0) == pytest.approx(1.0, abs=1e-15)
    assert tobler_factor(0.1) == pytest.approx(math.exp(-0.35), rel=1e-12)
    assert tobler_factor(-0.05) == pytest.approx(math.exp(0.175), rel=1e-12)
    assert tobler_factor(-0.1) == pytest.approx(1.0, rel=1e-12)  # |−0.1+0.05| = 0.05
    # the unscaled function at 6 km/h: 6·exp(−3.5·0.05) = 5.036 km/h on the flat
    assert 6 * math.exp(-3.5 * 0.05) * tobler_factor(0.1) == pytest.approx(6 * math.exp(-0.525))


@pytest.fixture()
def ramp_tif(tmp_path):
    """A GeoTIFF (UTM 49N) rising 100 m per km to the east: z = 0.1·x."""
    path = tmp_path / "ramp.tif"
    x0, y0, cols, rows = -3050.0, 3050.0, 100, 70
    xc = x0 + (np.arange(cols) + 0.5) * CELL
    z = np.tile(0.1 * xc, (rows, 1)).astype(np.float32) + 800.0
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1,
                       dtype="float32", crs=CRS_M, nodata=-9999.0,
                       transform=from_origin(X0 + x0, Y0 + y0, CELL, CELL)) as dst:
        dst.write(z, 1)
    return path


def test_ramp_walk_up_and_down_by_hand(ramp_tif):
    net = with_elevation(make_net([(0, 0), (1000, 0)], [(0, 1)]), read_dem(ramp_tif))
    rg = build_routing_graph(net, get_profile("walk"))
    # 1 km at 4.8 km/h = 12.5 min on the flat; up (S = +0.1): 12.5 / exp(−0.35) = 17.738 min;
    # down (S = −0.1): |−0.1 + 0.05| = 0.05 as on the flat, 12.5 min
    assert rg.edge_fwd_min[0] == pytest.approx(12.5 / math.exp(-0.35), rel=1e-6)
    assert rg.edge_fwd_min[0] == pytest.approx(17.738, abs=1e-3)
    assert rg.edge_bwd_min[0] == pytest.approx(12.5, rel=1e-6)
    eld = build_routing_graph(net, get_profile("walk_elderly"))  # 3.6 km/h: 16.667 min flat
    assert eld.edge_fwd_min[0] == pytest.approx(1 / 3.6 * 60 / math.exp(-0.35), rel=1e-6)
    assert eld.edge_bwd_min[0] == pytest.approx(1 / 3.6 * 60, rel=1e-6)
    assert rg.csr[0, 1] == pytest.approx(rg.edge_fwd_min[0]) and rg.csr[1, 0] == pytest.approx(12.5)


def test_ebike_and_bicycle_rule_by_hand(ramp_tif):
    net = with_elevation(make_net([(0, 0), (1000, 0)], [(0, 1)]), read_dem(ramp_tif))
    eb = build_routing_graph(net, get_profile("ebike"))  # residential 15 km/h
    # up 10 %: 15 − 0.4·10 = 11 km/h -> 60/11 min; down: the flat 15 km/h -> 4 min
    assert eb.edge_fwd_min[0] == pytest.approx(60 / 11, rel=1e-9)
    assert eb.edge_bwd_min[0] == pytest.approx(4.0, rel=1e-9)
    bi = build_routing_graph(net, get_profile("bicycle"))  # 12 km/h
    # up 10 %: 12 − 0.86·10 = 3.4 < 4 -> pushing at 4 km/h = 15 min; down 5 min
    assert bi.edge_fwd_min[0] == pytest.approx(15.0, rel=1e-9)
    assert bi.edge_bwd_min[0] == pytest.approx(5.0, rel=1e-9)
    gentle = with_elevation(make_net([(0, 0), (1000, 0)], [(0, 1)]), plane_dem(a=0.03))
    eb3 = build_routing_graph(gentle, get_profile("ebike"))
    assert eb3.edge_fwd_min[0] == pytest.approx(60 / (15 - 0.4 * 3), rel=1e-6)  # 13.8 km/h
    bi3 = build_routing_graph(gentle, get_profile("bicycle"))
    assert bi3.edge_fwd_min[0] == pytest.approx(60 / (12 - 0.86 * 3), rel=1e-6)  # 9.42 km/h


def test_car_unchanged(ramp_tif):
    flat = make_net([(0, 0), (1000, 0), (1000, 700)], [(0, 1), (1, 2)], oneway=[False, True])
    hilly = with_elevation(flat, read_dem(ramp_tif))
    a = build_routing_graph(flat, get_profile("car"))
    b = build_routing_graph(hilly, get_profile("car"))
    np.testing.assert_array_equal(a.edge_fwd_min, b.edge_fwd_min)
    np.testing.assert_array_equal(a.edge_bwd_min, b.edge_bwd_min)
    assert (a.csr != b.csr).nnz == 0
    # the car's off-road leg is unchanged too (a point 100 m up the slope east of the road)
    sa, sb = snap_xy(a, 1100, 300), snap_xy(b, 1100, 300)
    np.testing.assert_allclose(sb.offroad_min, sa.offroad_min, rtol=0, atol=0)


def test_long_segment_is_sampled_along(tmp_path):
    # a 1 km straight segment over a ridge at x = 500 (z = 100 − 0.1·|x − 500|): both ends at
    # 50 m, so the nodes alone would say flat; sampled every 50 m it is 500 m up at +10 % and
    # 500 m down at −10 %, in either direction: 6.25 / exp(−0.35) + 6.25
    dem = grid_dem(lambda x, y: 100 - 0.1 * np.abs(x - 500))
    rg = build_routing_graph(with_elevation(make_net([(0, 0), (1000, 0)], [(0, 1)]), dem),
                             get_profile("walk"))
    want = 6.25 / math.exp(-0.35) + 6.25
    assert rg.edge_fwd_min[0] == pytest.approx(want, rel=1e-6)
    assert rg.edge_bwd_min[0] == pytest.approx(want, rel=1e-6)
    # a bent way (0,0) -> (100,0) -> (100,100) on z = 0.1·x: 100 m at +10 %, then 100 m flat
    bent = make_net([(0, 0), (100, 100)], [(0, 1)], lines=[[(0, 0), (100, 0), (100, 100)]])
    rb = build_routing_graph(with_elevation(bent, plane_dem(a=0.1)), get_profile("walk"))
    assert rb.edge_fwd_min[0] == pytest.approx(1.25 / math.exp(-0.35) + 1.25, rel=1e-6)
    assert rb.edge_bwd_min[0] == pytest.approx(1.25 + 1.25, rel=1e-6)  # −10 % is as the flat
    # a bridge over a valley: its two ends only (the DEM under it is the valley floor)
    bridge = make_net([(0, 0), (1000, 0)], [(0, 1)])
    bridge = replace(bridge, grade_separated=np.array([True]))
    rbr = build_routing_graph(with_elevation(bridge, dem), get_profile("walk"))
    assert rbr.edge_fwd_min[0] == pytest.approx(12.5, rel=1e-6)


# --------------------------------------------------------------------------------------
# Routes, off-road legs, direction
# --------------------------------------------------------------------------------------
def test_route_up_vs_down_and_offroad_legs_by_hand():
    # z = 0.1·x + 0.2·y: the road A..D (y = 0) rises 10 % eastwards; north of it the ground
    # rises 20 % away from the road
    net = with_elevation(line_net(), plane_dem(a=0.1, b=0.2, c=500))
    rg = build_routing_graph(net, get_profile("walk"))
    # resident at (500, 100): 20 m above its snap (500, 0), walks 100 m down at −20 %;
    # facility at (2500, 50): 10 m above its snap, reached 50 m up at +20 %
    res_d, fac = snap_xy(rg, 500, 100), snap_points_from(rg, 2500, 50)
    down20 = math.exp(-3.5 * 0.15) / math.exp(-3.5 * 0.05)
    up20 = math.exp(-3.5 * 0.25) / math.exp(-3.5 * 0.05)
    assert res_d.offroad_min[0] == pytest.approx(100 / 60 / down20, rel=1e-6)
    assert fac.offroad_min[0] == pytest.approx(50 / 60 / up20, rel=1e-6)
    t_up = nearest_facility_times(rg, res_d, fac).minutes[0]
    assert t_up == pytest.approx(100 / 60 / down20 + 25 / UP10 + 50 / 60 / up20, rel=1e-6)
    # the same two places the other way round: resident at (2500, 50), facility at (500, 100)
    res2, fac2 = snap_xy(rg, 2500, 50), snap_points_from(rg, 500, 100)
    t_down = nearest_facility_times(rg, res2, fac2).minutes[0]
    # 50 m down at −20 %, 2 km down the road at −10 % (as fast as the flat), 100 m up at +20 %
    assert t_down == pytest.approx(50 / 60 / down20 + 25.0 + 100 / 60 / up20, rel=1e-6)
    assert t_up > t_down + 5


def snap_points_from(rg, x, y):
    """A facility: the off-road leg runs from the road to the point."""
    return snap_points(rg, *ll(x, y), leg="from_road")


def test_direct_offroad_leg_by_hand():
    # no road near: resident at (0, 500), facility at (0, 600) 100 m north, 20 m higher
    net = with_elevation(line_net(), plane_dem(b=0.2, c=300))
    rg = build_routing_graph(net, get_profile("walk"))
    d, f = snap_xy(rg, 0, 500), snap_points_from(rg, 0, 600)
    up20 = math.exp(-3.5 * 0.25) / math.exp(-3.5 * 0.05)
    res = nearest_facility_times(rg, d, f, direct_offroad_m=150)
    assert res.minutes[0] == pytest.approx(100 / 60 / up20, rel=1e-6)  # 3.33 min < via the road
    back = nearest_facility_times(rg, snap_xy(rg, 0, 600), snap_points_from(rg, 0, 500),
                                  direct_offroad_m=150)
    down20 = math.exp(-3.5 * 0.15) / math.exp(-3.5 * 0.05)
    assert back.minutes[0] == pytest.approx(100 / 60 / down20, rel=1e-6)
    od = od_pairs_within(rg, d, f, 15, direct_offroad_m=150)
    assert od.minutes.tolist() == pytest.approx([res.minutes[0]])
    assert len(od_pairs_within(rg, d, f, 3.0, direct_offroad_m=150)) == 0  # 3.33 > 3


def test_direction_end_to_end_hilltop_facility():
    # the road climbs 300 m over 3 km (10 %) from A (x = 0) to D (x = 3000)
    net = with_elevation(line_net(), plane_dem(a=0.1, c=900))
    rg = build_routing_graph(net, get_profile("walk"))
    on_top = snap_points_from(rg, 3000, 0)
    below = snap_points_from(rg, 0, 0)
    t_climb = nearest_facility_times(rg, snap_xy(rg, 0, 0), on_top).minutes[0]
    t_descend = nearest_facility_times(rg, snap_xy(rg, 3000, 0), below).minutes[0]
    assert t_climb == pytest.approx(37.5 / UP10, rel=1e-6)  # 53.2 min
    assert t_descend == pytest.approx(37.5, rel=1e-6)
    # node times to the hilltop facility: each node's climb to D
    np.testing.assert_allclose(node_times_to_nearest(rg, on_top),
                               [37.5 / UP10, 25 / UP10, 12.5 / UP10, 0.0], rtol=1e-6, atol=1e-9)
    eb = build_routing_graph(net, get_profile("ebike"))
    t_eb_up = nearest_facility_times(eb, snap_xy(eb, 0, 0), snap_points_from(eb, 3000, 0))
    t_eb_down = nearest_facility_times(eb, snap_xy(eb, 3000, 0), snap_points_from(eb, 0, 0))
    assert t_eb_up.minutes[0] == pytest.approx(3 * 60 / 11, rel=1e-6)
    assert t_eb_down.minutes[0] == pytest.approx(12.0, rel=1e-6)


# --------------------------------------------------------------------------------------
# A flat DEM changes nothing; networkx agrees on a directed hilly graph
# --------------------------------------------------------------------------------------
def grid_net(n: int = 5, step: float = 400.0):
    xy = [(i * step, j * step) for j in range(n) for i in range(n)]
    segs = [(j * n + i, j * n + i + 1) for j in range(n) for i in range(n - 1)]
    segs += [(j * n + i, (j + 1) * n + i) for j in range(n - 1) for i in range(n)]
    segs += [(j * n + i, (j + 1) * n + i + 1) for j in range(n - 1) for i in range(n - 1)]
    hw = ["residential"] * len(segs)
    hw[3] = "track"
    hw[7] = "tertiary"
    return make_net(xy, segs, highway=hw)


@pytest.mark.parametrize("mode", ["walk", "walk_elderly", "ebike", "bicycle", "car"])
def test_flat_dem_changes_nothing(mode):
    net = grid_net()
    flat = with_elevation(net, plane_dem(c=850.0))
    a = build_routing_graph(net, get_profile(mode))
    b = build_routing_graph(flat, get_profile(mode))
    np.testing.assert_allclose(b.edge_fwd_min, a.edge_fwd_min, rtol=1e-12)
    np.testing.assert_allclose(b.edge_bwd_min, a.edge_bwd_min, rtol=1e-12)
    rng = np.random.default_rng(3)
    px, py = rng.uniform(0, 1600, 40), rng.uniform(0, 1600, 40)
    fx, fy = rng.uniform(0, 1600, 4), rng.uniform(0, 1600, 4)
    ta = nearest_facility_times(a, snap_xy(a, px, py), snap_points_from(a, fx, fy)).minutes
    tb = nearest_facility_times(b, snap_xy(b, px, py), snap_points_from(b, fx, fy)).minutes
    np.testing.assert_allclose(tb, ta, rtol=0, atol=1e-9)
    oa = od_pairs_within(a, snap_xy(a, px, py), snap_points_from(a, fx, fy), 20)
    ob = od_pairs_within(b, snap_xy(b, px, py), snap_points_from(b, fx, fy), 20)
    np.testing.assert_array_equal(oa.demand, ob.demand)
    np.testing.assert_allclose(ob.minutes, oa.minutes, rtol=0, atol=1e-9)


@pytest.mark.parametrize("mode", ["walk", "ebike"])
def test_networkx_agrees_on_a_directed_hilly_graph(mode):
    # a plane tilted both ways: every segment direction has its own grade (bilinear is exact)
    a_x, b_y = 0.06, -0.045
    net = with_elevation(grid_net(), plane_dem(a=a_x, b=b_y, c=700.0))
    profile = get_profile(mode)
    rg = build_routing_graph(net, profile)
    speeds = {"residential": profile.speeds_kmh["residential"], "track": profile.speeds_kmh["track"],
              "tertiary": profile.speeds_kmh["tertiary"]}
    g = nx.DiGraph()
    for k in range(net.n_segments):
        line = net.lines_m([k])[0]
        p, q = line.coords[0], line.coords[-1]
        length = math.dist(p, q)
        rise = a_x * (q[0] - p[0]) + b_y * (q[1] - p[1])
        v = speeds[net.highway[k]]
        for (i, j), s in (((net.u[k], net.v[k]), rise / length), ((net.v[k], net.u[k]), -rise / length)):
            if mode == "walk":
                kmh = v * math.exp(-3.5 * abs(s + 0.05)) / math.exp(-3.5 * 0.05)
            else:  # e-bike: 0.4 km/h per % of climb, at least 6 km/h; downhill the flat speed
                kmh = max(v - 0.4 * 100 * s, min(v, 6.0)) if s > 0 else v
            g.add_edge(int(i), int(j), weight=length / 1000 / kmh * 60)
    target = 12  # the centre node
    fac = snap_points_from(rg, 800.0, 800.0)
    assert fac.offroad_m[0] == pytest.approx(0.0, abs=1e-6)
    want = nx.single_source_dijkstra_path_length(g.reverse(copy=True), target, weight="weight")
    got = node_times_to_nearest(rg, fac)
    np.testing.assert_allclose(got, [want[i] for i in range(net.n_nodes)], rtol=1e-9, atol=1e-9)
    assert not np.allclose(rg.edge_fwd_min, rg.edge_bwd_min)  # really directed


# --------------------------------------------------------------------------------------
# Coverage of the DEM, the summary, subsets
# --------------------------------------------------------------------------------------
def test_dem_elsewhere_is_a_clear_error():
    far = Dem(values=np.zeros((5, 5), np.float32), transform=(100.0, 0, X0 + 500_000, 0, -100.0, Y0),
              crs=CRS_M, source="elsewhere.tif")
    with pytest.raises(InputError, match="no road") as err:
        with_elevation(line_net(), far)
    assert err.value.path is not None and "elsewhere.tif" in str(err.value.path)


def test_dem_partly_covering_falls_back_to_flat(caplog, monkeypatch):
    # the CLI's logging setup (run in-process by other tests) stops propagation: undo it here
    monkeypatch.setattr(logging.getLogger("tcm_coverage"), "propagate", True)
    # the DEM stops at x = 1450 (its last cell centre at 1400; bilinear up to the raster edge)
    dem = plane_dem(a=0.1, cols=45)
    with caplog.at_level(logging.WARNING, logger="tcm_coverage"):  # whatever -q set before
        net = with_elevation(line_net(), dem)
    assert "taken as flat" in caplog.text
    rg = build_routing_graph(net, get_profile("walk"))
    assert rg.edge_fwd_min[0] == pytest.approx(12.5 / UP10, rel=1e-6)
    assert rg.edge_fwd_min[2] == pytest.approx(12.5, rel=1e-9)  # C-D: no elevation, flat
    summary = network_summary(rg)
    assert summary["km_without_elevation"] == pytest.approx(1.55, abs=0.051)
    assert summary["grade_max_pct"] == pytest.approx(10.0, rel=1e-5)


def test_summary_grades_by_hand():
    # A-B on z = 0.1·x (10 %) ... using a DEM flat east of x = 1000: z = 0.1·min(x, 1000)
    dem = grid_dem(lambda x, y: 0.1 * np.minimum(x, 1000.0))
    rg = build_routing_graph(with_elevation(line_net(), dem), get_profile("walk"))
    s = network_summary(rg)
    assert s["grade_max_pct"] == pytest.approx(10.0, rel=1e-5)
    assert s["grade_mean_pct"] == pytest.approx(10.0 / 3, rel=1e-5)  # 1 km of 3 at 10 %
    assert s["km_without_elevation"] == 0.0
    assert "grade_mean_pct" not in network_summary(build_routing_graph(line_net(), get_profile("walk")))


def test_subset_keeps_the_pieces():
    net = with_elevation(line_net(), plane_dem(a=0.1))
    sub = subset_network(net, np.array([False, True, True]))
    rg = build_routing_graph(sub, get_profile("walk"))
    np.testing.assert_allclose(rg.edge_fwd_min, [12.5 / UP10] * 2, rtol=1e-6)
    np.testing.assert_allclose(rg.edge_bwd_min, [12.5] * 2, rtol=1e-6)


def test_dem_in_lonlat_reads_like_the_utm_one(tmp_path):
    # the same ramp written in EPSG:4326 (any CRS): the times agree within the resampling error
    path = tmp_path / "ll.tif"
    lon0, lat1, d = 112.86, 36.33, 1 / 1200
    cols, rows = 120, 80
    glon = lon0 + (np.arange(cols) + 0.5) * d
    glat = lat1 - (np.arange(rows) + 0.5) * d
    mlon, mlat = np.meshgrid(glon, glat)
    x, _y = pyproj.Transformer.from_crs("EPSG:4326", CRS_M, always_xy=True).transform(mlon, mlat)
    z = (0.1 * (np.asarray(x) - X0)).astype(np.float32)
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1,
                       dtype="float32", crs="EPSG:4326", transform=from_origin(lon0, lat1, d, d)) as dst:
        dst.write(z, 1)
    rg = build_routing_graph(with_elevation(line_net(), read_dem(path)), get_profile("walk"))
    np.testing.assert_allclose(rg.edge_fwd_min, [12.5 / UP10] * 3, rtol=2e-3)
    np.testing.assert_allclose(rg.edge_bwd_min, [12.5] * 3, rtol=2e-3)


def test_read_dem_errors(tmp_path):
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff at all")
    with pytest.raises(InputError, match="DEM"):
        read_dem(bad)
    nocrs = tmp_path / "nocrs.tif"
    with rasterio.open(nocrs, "w", driver="GTiff", width=3, height=3, count=1, dtype="int16") as dst:
        dst.write(np.zeros((3, 3), np.int16), 1)
    with pytest.raises(InputError, match="coordinate reference"):
        read_dem(nocrs)


# --------------------------------------------------------------------------------------
# The run: --dem, the demo DEM, run.json, the 说明, a DEM not covering the county
# --------------------------------------------------------------------------------------
def test_cli_dem_options(tmp_path):
    from tcm_coverage.cli.main import build_parser
    from tcm_coverage.cli.options import config_from_args

    args = build_parser().parse_args(
        ["analyze", "--facilities", "f.csv", "--boundary", "b.geojson", "--population", "p.tif",
         "--network", "r.osm", "--dem", "h.tif", "--out", str(tmp_path / "o")])
    config = config_from_args(args)
    assert str(config.inputs.dem) == "h.tif" and config.record()["dem"] == "h.tif"
    assert config.inputs.files()["dem"] == config.inputs.dem
    plain = build_parser().parse_args(
        ["analyze", "--facilities", "f.csv", "--boundary", "b.geojson", "--population", "p.tif",
         "--network", "r.osm", "--out", str(tmp_path / "o")])
    assert config_from_args(plain).inputs.dem is None
    demo = build_parser().parse_args(["demo", "--no-dem"])
    assert demo.no_dem is True


def test_demo_uses_its_dem_and_reports_the_grades(demo_computed):
    from scipy.ndimage import map_coordinates

    from tcm_coverage.demo import DEMO_FILES, demo_data_dir, demo_inputs
    from tcm_coverage.workflows.texts import readme_rows, slope_notes

    run, config = demo_computed
    assert config.inputs.dem == demo_data_dir() / DEMO_FILES["dem"]
    assert "dem" not in demo_inputs(dem=False)
    rg = run.access.routing["walk"].graph
    net = rg.network
    assert net.terrain is not None
    # the summary's grades, recomputed independently: scipy's bilinear interpolation
    # (map_coordinates, order 1) of the GeoTIFF at the same sample points
    with rasterio.open(config.inputs.dem) as src:
        z = src.read(1).astype(float)
        inv = ~src.transform
        assert src.crs.to_epsg() == 32649 and net.crs_m == "EPSG:32649"
    use = np.flatnonzero(rg.usable)
    length = net.length_m[use]
    lines = net.lines_m()
    n = np.maximum(np.ceil(length / 50.0), 1).astype(int)
    if net.grade_separated is not None:
        n = np.where(net.grade_separated[use], 1, n)
    grades, weights = [], []
    for k, e in enumerate(use):
        pts = [lines[e].interpolate(i / n[k], normalized=True) for i in range(n[k] + 1)]
        cols, rows = zip(*(inv * (p.x, p.y) for p in pts), strict=True)
        h = map_coordinates(z, [np.array(rows) - 0.5, np.array(cols) - 0.5], order=1, mode="nearest")
        piece = length[k] / n[k]
        if piece > 0:
            grades.append(np.clip(np.diff(h) / piece, -0.3, 0.3))
            weights.append(np.full(n[k], piece))
    g, w = np.abs(np.concatenate(grades)) * 100, np.concatenate(weights)
    summary = run.access.networks["walk"]
    assert summary["grade_mean_pct"] == pytest.approx(np.average(g, weights=w), rel=1e-6)
    assert summary["grade_max_pct"] == pytest.approx(g.max(), rel=1e-6)
    assert summary["km_without_elevation"] == 0.0
    assert 0.5 < summary["grade_mean_pct"] < 5  # a plain with hills in the west
    rows = dict(readme_rows(config, run.access, "2026-01-01"))
    assert f"平均 {summary['grade_mean_pct']:.1f}%" in rows["坡度"]
    assert "Tobler" in rows["坡度"]
    assert rows["高程（DEM）"] == "demo_dem.tif"
    en = dict(readme_rows(config.updated(lang="en"), run.access, "2026-01-01"))
    assert f"mean {summary['grade_mean_pct']:.1f}%" in en["slopes"]
    flat = dict(readme_rows(config.updated(dem=None, lang="en"), run.access, "2026-01-01"))
    assert flat["slopes"] == "no DEM: every road is taken as flat"
    # the report says so too (its notes), in the run's language; nothing without a DEM
    assert slope_notes(config, run.access) == [f"坡度：{rows['坡度']}"]
    assert slope_notes(config.updated(dem=None), run.access) == []


@pytest.mark.slow
def test_dem_not_covering_the_county_is_a_clear_error(tmp_path):
    from tcm_coverage.demo import demo_inputs
    from tcm_coverage.workflows import AnalysisConfig, compute

    src_path = demo_inputs()["dem"]
    east = tmp_path / "east_only.tif"
    with rasterio.open(src_path) as src:
        profile = src.profile
        half = src.width // 2
        data = src.read(1)[:, half:]
        profile.update(width=data.shape[1], transform=src.transform * rasterio.Affine.translation(half, 0))
    with rasterio.open(east, "w", **profile) as dst:
        dst.write(data, 1)
    config = AnalysisConfig.from_options(**{**demo_inputs(), "dem": east}, out_dir=tmp_path / "out",
                                         modes=("walk",))
    with pytest.raises(InputError, match="does not cover the county") as err:
        compute(config, progress=False)
    assert str(err.value.path) == str(east) and "DEM covering the county" in (err.value.fix or "")


def test_direct_leg_takes_the_fastest_not_the_nearest():
    # z = 0.2·y: from (0, 500) a facility 100 m north (20 m up) and one 120 m south (24 m down)
    net = with_elevation(line_net(), plane_dem(b=0.2, c=300))
    rg = build_routing_graph(net, get_profile("walk"))
    d = snap_xy(rg, 0, 500)
    f = snap_points(rg, *ll([0, 0], [600, 380]), leg="from_road")
    up20 = math.exp(-3.5 * 0.25) / math.exp(-3.5 * 0.05)
    down20 = math.exp(-3.5 * 0.15) / math.exp(-3.5 * 0.05)
    assert 120 / 60 / down20 < 100 / 60 / up20  # the farther one, downhill, is faster
    res = nearest_facility_times(rg, d, f, direct_offroad_m=150)
    assert res.facility.tolist() == [1]
    assert res.minutes[0] == pytest.approx(120 / 60 / down20, rel=1e-6)


def test_nearest_is_the_fastest_pair_on_a_hilly_grid():
    # the documented invariant of od_pairs_within holds with slopes: its fastest pair per
    # demand point is the nearest-facility time
    dem = grid_dem(lambda x, y: 600 + 80 * np.sin(x / 300.0) * np.cos(y / 250.0))
    net = with_elevation(grid_net(), dem)
    rng = np.random.default_rng(11)
    for mode in ("walk", "ebike"):
        rg = build_routing_graph(net, get_profile(mode))
        d = snap_xy(rg, rng.uniform(0, 1600, 60), rng.uniform(0, 1600, 60))
        f = snap_points(rg, *ll(rng.uniform(0, 1600, 6), rng.uniform(0, 1600, 6)), leg="from_road")
        near = nearest_facility_times(rg, d, f, direct_offroad_m=400)
        od = od_pairs_within(rg, d, f, 1e4, direct_offroad_m=400)
        fastest = np.full(len(d), np.inf)
        np.minimum.at(fastest, od.demand, od.minutes)
        np.testing.assert_allclose(near.minutes, fastest, rtol=1e-12, atol=1e-12)


def _same_pieces(net, dem) -> None:
    new = with_elevation(net, dem).terrain
    old = sample_segments(net.lines_m(), net.crs_m, dem, straight=net.grade_separated)
    assert np.array_equal(new.piece_segment, old.piece_segment)
    assert np.array_equal(new.piece_known, old.piece_known)
    assert np.allclose(new.piece_m, old.piece_m, rtol=0, atol=1e-9)
    assert np.allclose(new.piece_rise_m, old.piece_rise_m, rtol=0, atol=1e-6)
    assert np.abs(new.piece_rise_m).max() > 1  # hilly: the comparison has teeth


def test_straight_segments_sampled_without_linestrings_as_along_their_lines():
    """with_elevation samples a straight segment on the line between its nodes (no LineString
    made): the pieces equal those sampled along ``lines_m()`` (the former path) on the demo's
    real OSM roads (all straight node-to-node segments) and DEM."""
    data = demo_data_dir()
    net = read_network(data / DEMO_FILES["network"],
                       boundary=read_boundaries(data / DEMO_FILES["boundary"]))
    assert shapely.is_missing(np.asarray(net.geometry_m, dtype=object)).all()
    _same_pieces(net, read_dem(data / DEMO_FILES["dem"]))
    with pytest.raises(ValueError, match="ends_m"):
        sample_segments(np.asarray(net.geometry_m, dtype=object), net.crs_m,
                        read_dem(data / DEMO_FILES["dem"]))


def test_curved_and_straight_segments_sampled_as_along_their_lines(shared_data):
    """The same on the Shenzhen osmnx GraphML (curved edges keep their geometry) under a wavy
    synthetic DEM laid over it in the network's metric CRS."""
    net = read_network(shared_data / "osm-shenzhen" / "futian_osmnx.graphml")
    curved = ~np.asarray(shapely.is_missing(np.asarray(net.geometry_m, dtype=object)))
    assert curved.any() and (~curved).any()
    x, y = net.node_xy_m()
    cell = 30.0
    x0, y1 = x.min() - 100, y.max() + 100
    cols, rows = int((x.max() + 100 - x0) // cell) + 1, int((y1 - y.min() + 100) // cell) + 1
    gx, gy = np.meshgrid(x0 + (np.arange(cols) + 0.5) * cell, y1 - (np.arange(rows) + 0.5) * cell)
    dem = Dem(values=(50 * np.sin(gx / 300) + 30 * np.cos(gy / 470)).astype(np.float32),
              transform=(cell, 0.0, x0, 0.0, -cell, y1), crs=net.crs_m, source="wavy")
    _same_pieces(net, dem)
