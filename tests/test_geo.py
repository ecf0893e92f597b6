"""Tests of tcm_coverage._geo: the one rule that chooses a metric CRS, and reprojection helpers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tcm_coverage._geo import buffer_lonlat, frame_utm_crs, transform_geoms, utm_crs


@pytest.mark.parametrize(("lon", "lat", "crs"), [
    (112.9, 36.3, "EPSG:32649"),   # Tunliu (the demo county), zone 49 = 108..114 E
    (114.0, 30.6, "EPSG:32650"),   # a zone's west edge belongs to that zone
    (87.6, 43.8, "EPSG:32645"),    # Urumqi
    (126.6, 45.8, "EPSG:32652"),   # Harbin
    (-180.0, 0.0, "EPSG:32601"),
    (180.0, -10.0, "EPSG:32760"),  # the last zone, south
    (24.9, 60.2, "EPSG:32635"),    # Helsinki (the Valhalla test data)
])
def test_utm_crs_is_the_zone_of_the_point(lon, lat, crs):
    assert utm_crs(lon, lat) == crs


@pytest.mark.parametrize("bounds", [
    (112.443, 36.189, 113.042, 36.508),   # the demo county
    (110.5, 21.0, 117.2, 25.5),           # Guangdong: the centre decides, not a corner
    (73.5, 35.0, 80.0, 40.0),
    (120.9, 30.7, 122.0, 31.9),
])
def test_frame_utm_crs_matches_geopandas_estimate(bounds):
    """The network rule applied to a frame picks the zone geopandas' estimate_utm_crs picks."""
    x0, y0, x1, y1 = bounds
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([x0, x1, (x0 + x1) / 2], [y0, y1, y0]),
                           crs="EPSG:4326")
    assert frame_utm_crs(pts) == pts.estimate_utm_crs().to_string()
    projected = pts.to_crs("EPSG:3857")  # bounds converted back to lon/lat first
    assert frame_utm_crs(projected) == pts.estimate_utm_crs().to_string()


def test_frame_utm_crs_needs_a_crs():
    with pytest.raises(ValueError, match="no CRS"):
        frame_utm_crs(gpd.GeoDataFrame(geometry=gpd.points_from_xy([113.0], [36.3])))


def test_transform_geoms_round_trip_keeps_the_input():
    line = shapely.LineString([(112.9, 36.3), (112.91, 36.31)])
    geoms = np.array([line, shapely.Point(113.0, 36.4)], dtype=object)
    metric = transform_geoms(geoms, "EPSG:4326", "EPSG:32649")
    assert metric[0].length == pytest.approx(1430, rel=0.01)  # about 1.43 km
    back = transform_geoms(metric, "EPSG:32649", "EPSG:4326")
    assert back[0].equals_exact(line, 1e-9)
    assert geoms[0] is line and geoms[0].coords[0] == (112.9, 36.3)  # input untouched


def test_buffer_lonlat_buffers_in_metres():
    point = shapely.Point(112.9, 36.3)
    assert buffer_lonlat(point, 0) is point
    ring = buffer_lonlat(point, 1000.0)
    area_m = transform_geoms(np.array([ring], dtype=object), "EPSG:4326", "EPSG:32649")[0].area
    assert area_m == pytest.approx(np.pi * 1000.0**2, rel=0.01)
