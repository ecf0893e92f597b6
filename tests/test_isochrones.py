"""Isochrone bands: exact at cell centres, nested, clipped to the area; hand-computed line."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from test_traveltime import CRS_M, X0, Y0, line_net, random_network, snap_xy

from tcm_coverage._errors import InputError
from tcm_coverage.access.isochrones import isochrone_bands, surface_points, travel_time_surface
from tcm_coverage.access.traveltime import nearest_facility_times
from tcm_coverage.network import build_routing_graph, get_profile

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
    # areas: cells within t times the cell area (centres inside the square area)
    assert bands["area_km2"].sum() == pytest.approx((direct <= ts[-1]).sum() * 0.0625, rel=0.02)


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
