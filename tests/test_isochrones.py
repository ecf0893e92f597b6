"""Isochrone bands: exact at cell centres, nested, clipped to the area; hand-computed line; the
same cells as a union of cell squares (and as the bands before issue 16); the grid laid once
per run and snapped once per snap key."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from rasterio import features
from test_traveltime import CRS_M, X0, Y0, line_net, random_network, snap_xy

import tcm_coverage.access.compute as compute_module
import tcm_coverage.access.isochrones as isochrones_module
from tcm_coverage._errors import InputError
from tcm_coverage.access import IsochroneOptions, compute_access, facility_set_masks
from tcm_coverage.access.isochrones import (
    cell_grid,
    isochrone_bands,
    surface_points,
    travel_time_surface,
)
from tcm_coverage.access.traveltime import nearest_facility_times
from tcm_coverage.network import build_routing_graph, get_profile, snap_key

_TO_LL = pyproj.Transformer.from_crs(CRS_M, "EPSG:4326", always_xy=True)
_TO_M = pyproj.Transformer.from_crs("EPSG:4326", CRS_M, always_xy=True)


def area_ll(minx, miny, maxx, maxy):
    """A lon/lat rectangle from local metric bounds."""
    box = shapely.box(X0 + minx, Y0 + miny, X0 + maxx, Y0 + maxy).segmentize(50)
    return shapely.transform(box, lambda c: np.column_stack(_TO_LL.transform(c[:, 0], c[:, 1])))


def to_local(geom):
    return shapely.transform(geom, lambda c: np.column_stack(_TO_M.transform(c[:, 0], c[:, 1]))
                             - [X0, Y0])


def test_line_by_hand():
    """Facility at x=0 on a 3 km road along y=0, walking: 80 m/min on the road, 60 m/min off it."""
    rg = build_routing_graph(line_net(), get_profile("walk"))
    fac = snap_xy(rg, [0.0], [0.0])
    area = area_ll(0, -500, 3000, 500)
    surf = travel_time_surface(rg, fac, area, cell_m=100, direct_offroad_m=0)
    bands = isochrone_bands(surf, [5, 10, 15], simplify_m=0)
    assert list(bands["minutes"]) == [5, 10, 15] and list(bands["min_from"]) == [0, 5, 10]
    within5 = to_local(bands.geometry.iloc[0])
    # a cell centre at (250, 50): 250 m along (3.125 min) + 50 m off-road (0.833 min) = 3.96 min
    assert within5.contains(shapely.Point(250, 50))
    # (350, 50): 4.375 + 0.833 = 5.21 min -> not within 5
    assert not within5.contains(shapely.Point(350, 50))
    # (50, 450): 0.625 + 7.5 = 8.1 min -> in the 5–10 ring
    ring10 = to_local(bands.geometry.iloc[1])
    assert ring10.contains(shapely.Point(50, 450)) and not within5.contains(shapely.Point(50, 450))
    # rings do not overlap and stay inside the area
    a = bands.geometry.to_numpy()
    assert shapely.intersection(a[0], a[1]).area < 1e-12
    area_local = to_local(area)
    for g in bands.geometry:
        assert to_local(g).difference(area_local.buffer(1)).area < 1.0


@pytest.mark.parametrize("seed", [0, 3])
def test_bands_exact_at_cell_centres(seed):
    """Unsimplified, each cell centre lies in 'within t' iff its routed time is <= t."""
    net = random_network(seed)
    rg = build_routing_graph(net, get_profile("walk"))
    rng = np.random.default_rng(seed)
    fac = snap_xy(rg, rng.uniform(1000, 9000, 6), rng.uniform(1000, 9000, 6))
    area = area_ll(0, 0, 10000, 10000)
    snap, grid = surface_points(rg, area, cell_m=250)
    surf = travel_time_surface(rg, fac, None, cells=(snap, grid))
    ts = [5, 10, 20]
    bands = isochrone_bands(surf, ts, simplify_m=0)
    # independent: the same cell centres as demand points through nearest_facility_times
    direct = nearest_facility_times(rg, snap, fac).minutes
    np.testing.assert_array_equal(surf.minutes[grid.inside], direct)
    xs, ys = grid.x[grid.inside], grid.y[grid.inside]
    lon, lat = _TO_LL.transform(xs, ys)
    pts = shapely.points(lon, lat)
    cum = shapely.Polygon()
    for t, ring in zip(ts, bands.geometry, strict=True):
        cum = shapely.union(cum, ring)
        inside = shapely.contains(cum, pts)
        np.testing.assert_array_equal(inside, direct <= t)
    # areas by hand: the square area lies on the grid, so each ring is its cells, whole
    lows = [0.0, *ts[:-1]]
    for lo, hi, km2 in zip(lows, ts, bands["area_km2"], strict=True):
        assert km2 == pytest.approx(((direct > lo) & (direct <= hi)).sum() * 0.0625, rel=1e-9)


def test_bad_cell_and_thresholds():
    rg = build_routing_graph(line_net(), get_profile("walk"))
    fac = snap_xy(rg, [0.0], [0.0])
    area = area_ll(0, -500, 3000, 500)
    with pytest.raises(InputError, match="cell size"):
        travel_time_surface(rg, fac, area, cell_m=0)
    with pytest.raises(InputError, match="coarser"):
        travel_time_surface(rg, fac, area_ll(0, 0, 400_000, 400_000), cell_m=10)
    surf = travel_time_surface(rg, fac, area, cell_m=200)
    with pytest.raises(InputError, match="positive"):
        isochrone_bands(surf, [0, 5])
    # a band nobody reaches is kept, empty, with area 0
    far = isochrone_bands(surf, [0.01, 5])
    assert far["area_km2"].iloc[0] == 0 and far.geometry.iloc[0].is_empty


# --- the bands are their cells (issue 16: one polygonisation, no unions) ------------------------

def _disc_ll(cx, cy, r):
    """A lon/lat polygon of a 64-gon around local metric (cx, cy): crosses the grid's cells."""
    return area_ll_poly(shapely.Point(X0 + cx, Y0 + cy).buffer(r, 16))


def area_ll_poly(geom_m):
    return shapely.transform(geom_m, lambda c: np.column_stack(_TO_LL.transform(c[:, 0], c[:, 1])))


def _to_m(geom):
    return shapely.transform(geom, lambda c: np.column_stack(_TO_M.transform(c[:, 0], c[:, 1])))


def _bands_before_issue_16(surface, ts, *, smooth):
    """The rings as isochrone_bands made them until issue 16: per threshold the polygonised mask,
    unioned, smoothed by half a cell (``smooth``, the default then), repaired, clipped; rings as
    differences (metric CRS)."""
    within = []
    for t in ts:
        mask = np.nan_to_num(surface.minutes, nan=np.inf) <= t
        polys = [shapely.geometry.shape(g) for g, _ in features.shapes(
            mask.astype(np.uint8), mask=mask, transform=surface.transform, connectivity=4)]
        geom = shapely.simplify(shapely.union_all(polys), surface.cell_m / 2 if smooth else 0,
                                preserve_topology=True)
        within.append(shapely.intersection(shapely.make_valid(geom), surface.area_m))
    return [shapely.make_valid(shapely.difference(g, p)) for g, p in
            zip(within, [shapely.Polygon(), *within[:-1]], strict=True)]


@pytest.mark.parametrize("seed", [1, 4])
def test_bands_are_their_cells_clipped(seed):
    """Each ring is exactly the union of its cell squares cut to the area (a brute-force union of
    one box per cell), valid in lon/lat and in metres, disjoint from the other rings; the rings
    before issue 16 had the same cells, smoothed by half a cell."""
    net = random_network(seed)
    rg = build_routing_graph(net, get_profile("ebike"))
    rng = np.random.default_rng(seed)
    fac = snap_xy(rg, rng.uniform(1000, 9000, 6), rng.uniform(1000, 9000, 6))
    area = _disc_ll(5000, 5000, 4700)
    surf = travel_time_surface(rg, fac, area, cell_m=200)
    ts = [10.0, 20.0, 30.0]  # the 20-30 ring reaches the edge of the disc
    bands = isochrone_bands(surf, ts)
    assert bands.is_valid.all()
    rings_m = [_to_m(g) for g in bands.geometry]
    assert all(shapely.is_valid(g) for g in rings_m)
    # brute force: one square per cell whose time falls in the ring, unioned, cut to the area
    xs, ys = np.meshgrid(surf.transform.c + (np.arange(surf.minutes.shape[1]) + 0.5) * 200,
                         surf.transform.f - (np.arange(surf.minutes.shape[0]) + 0.5) * 200)
    exact, smoothed = (_bands_before_issue_16(surf, ts, smooth=s) for s in (False, True))
    for lo, hi, ring, km2, old, old_smooth in zip([0.0, *ts[:-1]], ts, rings_m, bands["area_km2"], exact,
                                                  smoothed, strict=True):
        cells = (surf.minutes > lo) & (surf.minutes <= hi)
        assert cells.sum() > 10
        boxes = shapely.box(xs[cells] - 100, ys[cells] - 100, xs[cells] + 100, ys[cells] + 100)
        ref = shapely.intersection(shapely.union_all(boxes), surf.area_m)
        assert ring.area == pytest.approx(ref.area, rel=1e-9)
        assert km2 == pytest.approx(ref.area / 1e6, rel=1e-9)
        assert shapely.symmetric_difference(ring, ref, grid_size=0.01).area < 1e-6 * ref.area
        # cut to the area: cells whose square lies inside count whole, the others less
        whole = shapely.contains_properly(surf.area_m, boxes)
        assert whole.sum() * 0.04 - 1e-9 <= km2 <= cells.sum() * 0.04 + 1e-9
        assert ring.area == pytest.approx(old.area, rel=1e-6)
        assert shapely.symmetric_difference(ring, old, grid_size=0.01).area < 1e-6 * ref.area
        # the smoothing cut corner triangles in and out: measured at most 0.32 % of the area
        # net and 3 % gross here (0.2 % and 9 % of a 29-cell ring on the demo)
        assert ring.area == pytest.approx(old_smooth.area, rel=0.005)
        assert shapely.symmetric_difference(ring, old_smooth, grid_size=0.01).area < 0.05 * ref.area
        edge = ~whole
        if hi == ts[-1]:
            assert edge.sum() > 10  # cells cut by the edge of the area
    for i in range(len(rings_m)):
        for j in range(i + 1, len(rings_m)):
            assert shapely.intersection(rings_m[i], rings_m[j], grid_size=0.01).area < 1.0


def test_bands_of_the_demo_county(demo_computed):
    """The demo's rings: valid, and a ring clear of the county line is a whole number of
    100 m cells (0.01 km² each)."""
    run, _ = demo_computed
    iso = run.access.isochrones
    assert iso.is_valid.all() and len(iso) > 0
    county = shapely.union_all(run.counties.geometry.to_numpy()).buffer(-1e-4)  # ~10 m inside
    shapely.prepare(county)
    clear = shapely.contains_properly(county, iso.geometry.to_numpy()) & ~iso.geometry.is_empty
    assert clear.sum() >= 4
    cells = iso.loc[clear, "area_km2"].to_numpy() * 100
    np.testing.assert_allclose(cells, np.round(cells), atol=1e-6)


def _points(xy, **cols):
    lon, lat = _TO_LL.transform(X0 + np.asarray(xy, float)[:, 0], Y0 + np.asarray(xy, float)[:, 1])
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def test_grid_laid_once_and_snapped_once_per_snap_key(monkeypatch):
    """compute_access lays the isochrone grid once for three modes and snaps it once per snap key;
    its rings equal those of a grid laid and snapped for each mode on its own."""
    net = random_network(2)
    net = replace(net, highway=np.full(len(net.highway), "residential", dtype=object))
    fac = _points([(2000, 2000), (7000, 6000), (4000, 8000)], facility_id=["H", "G", "V"],
                  name=["县中医院", "甲镇卫生院", "甲村"],
                  tier=["county_tcm", "township_centre", "village_station"],
                  zhongyiguan=pd.array([pd.NA, True, pd.NA], dtype="boolean"),
                  zhongyige=pd.array([pd.NA, pd.NA, True], dtype="boolean"),
                  is_tcm_clinic=[False] * 3, source_row=[2, 3, 4])
    demand = _points([(5000, 5000), (1000, 9000)], population=[10.0, 20.0])
    area = area_ll(500, 500, 9500, 9500)
    grids, snapped = [], []
    monkeypatch.setattr(compute_module, "cell_grid",
                        lambda *a, **k: grids.append(1) or cell_grid(*a, **k))
    real_snap = isochrones_module.snap_points
    monkeypatch.setattr(isochrones_module, "snap_points",
                        lambda rg, *a, **k: snapped.append(snap_key(rg)) or real_snap(rg, *a, **k))
    modes = ("walk", "ebike", "car")
    res = compute_access(demand, fac, net, modes=modes, facility_sets=("tcm_any", "zhongyiguan"),
                         isochrones=IsochroneOptions(minutes=(5, 10), area=area, cell_m=250),
                         progress=False)
    keys = {snap_key(res.routing[m].graph) for m in modes}
    assert len(grids) == 1
    # walk alone (it ignores one-way streets), e-bike and car share one
    assert len(snapped) == len(keys) == 2 and set(snapped) == keys
    for mode in modes:
        routed = res.routing[mode]
        mask = facility_set_masks(fac)["tcm_any"]
        own = isochrone_bands(travel_time_surface(routed.graph, routed.facilities.take(mask), area,
                                                  cell_m=250), (5, 10))
        got = res.isochrones[(res.isochrones["mode"] == mode) & (res.isochrones["target"] == "tcm_any")]
        assert len(got) == 2
        for a, b in zip(got.geometry, own.geometry, strict=True):
            assert shapely.equals_exact(a, b, tolerance=1e-9)
