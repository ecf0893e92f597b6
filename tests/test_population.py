"""Tests of tcm_coverage.inputs.population (rasters, village tables, polygons with counts)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine
from shapely.geometry import Point, Polygon, box

from tcm_coverage._errors import InputError
from tcm_coverage.inputs import (
    points_from_polygons,
    points_from_raster,
    points_from_table,
    read_population,
)
from tcm_coverage.inputs.chinacrs import wgs84_to_bd09, wgs84_to_gcj02

COLUMNS = ["demand_id", "population", "name", "source", "geometry"]
F32_MIN = np.float32(-3.4028235e38)  # WorldPop's nodata value


def _check_frame(gdf: gpd.GeoDataFrame, source: str) -> None:
    assert list(gdf.columns) == COLUMNS
    assert gdf.crs.to_epsg() == 4326
    assert gdf["demand_id"].tolist() == list(range(len(gdf)))
    assert gdf["population"].dtype == np.float64
    assert (gdf["population"] >= 0).all()
    assert (gdf["source"] == source).all()
    assert (gdf.geom_type == "Point").all()


# --------------------------------------------------------------------------------------------
# synthetic rasters


def _origin(west: float, north: float, size: float) -> Affine:
    return Affine(size, 0.0, west, 0.0, -size, north)


def _write_tif(path: Path, data: np.ndarray, *, nodata: float | None, crs: str = "EPSG:4326",
               transform=None) -> Path:
    transform = transform or _origin(112.90, 36.40, 0.01)
    with rasterio.open(path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1],
                       count=1, dtype=data.dtype, crs=crs, transform=transform,
                       nodata=nodata) as dst:
        dst.write(data, 1)
    return path


def _synthetic() -> np.ndarray:
    return np.array(
        [
            [1.5, 0.0, F32_MIN, 2.0],
            [np.nan, -9999.0, -1.0, 4.25],
            [10.0, 0.0, 0.5, F32_MIN],
        ],
        dtype=np.float32,
    )


def test_synthetic_raster_sum_by_hand(tmp_path: Path) -> None:
    tif = _write_tif(tmp_path / "pop.tif", _synthetic(), nodata=-9999.0)
    gdf = points_from_raster(tif)
    _check_frame(gdf, "raster")
    # Valid positive cells: 1.5, 2.0, 4.25, 10.0, 0.5 -> 18.25 people on 5 points.
    assert len(gdf) == 5
    assert gdf["population"].sum() == pytest.approx(18.25, abs=1e-9)
    assert (gdf["name"] == "").all()
    # Cell centres: first cell (row 0, col 0) centre is (112.905, 36.395).
    first = gdf.geometry.iloc[0]
    assert (first.x, first.y) == pytest.approx((112.905, 36.395), abs=1e-9)
    assert gdf["population"].iloc[0] == 1.5
    cell_10 = gdf.loc[gdf["population"] == 10.0].geometry.iloc[0]
    assert (cell_10.x, cell_10.y) == pytest.approx((112.905, 36.375), abs=1e-9)


def test_synthetic_raster_worldpop_style_nodata(tmp_path: Path) -> None:
    # WorldPop declares the float32 minimum; its float64 repr differs from the float32 value.
    tif = _write_tif(tmp_path / "wp.tif", _synthetic(), nodata=float(F32_MIN))
    gdf = points_from_raster(tif)
    assert len(gdf) == 5
    assert gdf["population"].sum() == pytest.approx(18.25, abs=1e-9)
    assert gdf["population"].min() > 0


def test_synthetic_raster_no_declared_nodata(tmp_path: Path) -> None:
    tif = _write_tif(tmp_path / "nond.tif", _synthetic(), nodata=None)
    gdf = points_from_raster(tif)
    assert gdf["population"].sum() == pytest.approx(18.25, abs=1e-9)


def test_integer_raster_declared_nodata(tmp_path: Path) -> None:
    data = np.array([[3, 65535], [0, 7]], dtype=np.uint16)
    gdf = points_from_raster(_write_tif(tmp_path / "int.tif", data, nodata=65535))
    assert sorted(gdf["population"].tolist()) == [3.0, 7.0]


def test_projected_raster_centres_in_lonlat(tmp_path: Path) -> None:
    data = np.array([[5.0, 0.0], [0.0, 2.0]], dtype=np.float32)
    transform = _origin(700_000.0, 4_030_000.0, 100.0)
    tif = _write_tif(tmp_path / "utm.tif", data, nodata=-1.0, crs="EPSG:32649",
                     transform=transform)
    gdf = points_from_raster(tif)
    tr = pyproj.Transformer.from_crs(32649, 4326, always_xy=True)
    lon, lat = tr.transform([700_050.0, 700_150.0], [4_029_950.0, 4_029_850.0])
    np.testing.assert_allclose(gdf.geometry.x, lon, atol=1e-9)
    np.testing.assert_allclose(gdf.geometry.y, lat, atol=1e-9)
    assert gdf["population"].tolist() == [5.0, 2.0]
    # And a lon/lat boundary around the first cell only keeps it.
    one = points_from_raster(tif, boundary=Point(lon[0], lat[0]).buffer(0.0003))
    assert one["population"].tolist() == [5.0]


def test_synthetic_raster_boundary_mask(tmp_path: Path) -> None:
    tif = _write_tif(tmp_path / "pop.tif", _synthetic(), nodata=-9999.0)
    # Centres at x = 112.905 ... 112.935, y = 36.395 ... 36.375; keep columns 2-3, rows 0-1.
    gdf = points_from_raster(tif, boundary=box(112.92, 36.38, 112.95, 36.41))
    assert sorted(gdf["population"].tolist()) == [2.0, 4.25]
    # A GeoDataFrame boundary in another CRS is reprojected.
    bnd = gpd.GeoDataFrame(geometry=[box(112.92, 36.38, 112.95, 36.41)], crs=4326).to_crs(32649)
    gdf2 = points_from_raster(tif, boundary=bnd)
    assert sorted(gdf2["population"].tolist()) == [2.0, 4.25]


def test_raster_errors_name_file(tmp_path: Path) -> None:
    tif = _write_tif(tmp_path / "pop.tif", _synthetic(), nodata=-9999.0)
    # Boundary covering only nodata / zero cells (rows 0-1, columns 1-2).
    with pytest.raises(InputError, match=r"pop\.tif.*no cells with positive population"):
        points_from_raster(tif, boundary=box(112.911, 36.381, 112.929, 36.399))
    with pytest.raises(InputError, match=r"pop\.tif.*does not overlap"):
        points_from_raster(tif, boundary=box(100.0, 30.0, 100.1, 30.1))
    with pytest.raises(InputError, match="band 2"):
        points_from_raster(tif, band=2)
    empty = _write_tif(tmp_path / "empty.tif", np.full((2, 2), F32_MIN), nodata=float(F32_MIN))
    with pytest.raises(InputError, match=r"empty\.tif"):
        points_from_raster(empty)
    with pytest.raises(InputError, match="file not found"):
        points_from_raster(tmp_path / "missing.tif")


# --------------------------------------------------------------------------------------------
# real WorldPop rasters (WorldPop, CC BY 4.0; see ../shared/data/README.md)


def _independent_raster_stats(tif: Path) -> tuple[float, int]:
    with rasterio.open(tif) as src:
        a = src.read(1)
        nodata = src.nodata
    valid = np.isfinite(a) & (a >= 0)
    if nodata is not None:
        valid &= a != np.float32(nodata)
    a64 = a.astype(np.float64)
    return float(a64[valid].sum()), int((valid & (a64 > 0)).sum())


def test_worldpop_wuhan_totals(shared_data: Path) -> None:
    tifs = sorted((shared_data / "worldpop-wuhan").glob("*.tif"))
    assert len(tifs) == 3
    totals = {}
    for tif in tifs:
        gdf = points_from_raster(tif)
        _check_frame(gdf, "raster")
        expected_total, expected_n = _independent_raster_stats(tif)
        total = float(gdf["population"].sum())
        assert total == pytest.approx(expected_total, rel=1e-6), tif.name
        assert len(gdf) == expected_n
        assert (gdf["population"] > 0).all() and (gdf["population"] > -1e30).all()
        xy = shapely.get_coordinates(gdf.geometry.values)
        assert (xy[:, 0] > 114.18).all() and (xy[:, 0] < 114.36).all()
        assert (xy[:, 1] > 30.50).all() and (xy[:, 1] < 30.66).all()
        totals[tif.name] = total
    adults = totals["wuhan_adults_20plus_clip.tif"]
    elderly = totals["wuhan_elderly_65plus_clip.tif"]
    female_65_70 = totals["pop_65_f_wuhan_clip.tif"]
    assert female_65_70 < elderly < adults, totals
    assert adults > 1e6, totals  # central Wuhan: millions of adults


def test_worldpop_wuhan_boundary_mask(shared_data: Path) -> None:
    tif = shared_data / "worldpop-wuhan" / "wuhan_elderly_65plus_clip.tif"
    poly = Polygon([(114.25, 30.55), (114.29, 30.55), (114.27, 30.59)])  # a triangle
    gdf = points_from_raster(tif, boundary=gpd.GeoDataFrame(geometry=[poly], crs=4326))
    with rasterio.open(tif) as src:
        a = src.read(1).astype(np.float64)
        rows, cols = np.indices(a.shape)
        xs, ys = rasterio.transform.xy(src.transform, rows.ravel(), cols.ravel(), offset="center")
    xs = np.asarray(xs)
    ys = np.asarray(ys)
    inside = shapely.contains_xy(poly, xs, ys) & (a.ravel() > 0)
    assert len(gdf) == int(inside.sum()) > 100
    assert gdf["population"].sum() == pytest.approx(a.ravel()[inside].sum(), rel=1e-9)
    assert shapely.contains_xy(poly, gdf.geometry.x, gdf.geometry.y).all()


# --------------------------------------------------------------------------------------------
# village tables

VILLAGES = pd.DataFrame(
    {
        "村名": ["西村", "东村", "南村"],
        "经度": [112.8921, 112.9155, 112.9023],
        "纬度": [36.3212, 36.3455, 36.3001],
        "常住人口": [1200, 850, 430],
    }
)


def test_table_csv_utf8_bom_and_gbk(tmp_path: Path) -> None:
    for encoding in ("utf-8-sig", "gbk"):
        csv = tmp_path / f"villages_{encoding}.csv"
        VILLAGES.to_csv(csv, index=False, encoding=encoding)
        gdf = points_from_table(csv)
        _check_frame(gdf, "table")
        assert gdf["name"].tolist() == ["西村", "东村", "南村"]
        assert gdf["population"].tolist() == [1200.0, 850.0, 430.0]
        np.testing.assert_allclose(gdf.geometry.x, VILLAGES["经度"])
        np.testing.assert_allclose(gdf.geometry.y, VILLAGES["纬度"])


def test_table_xlsx_and_dispatch(tmp_path: Path) -> None:
    xlsx = tmp_path / "villages.xlsx"
    VILLAGES.to_excel(xlsx, index=False)
    gdf = read_population(xlsx)
    _check_frame(gdf, "table")
    assert gdf["population"].sum() == 2480.0


def test_table_english_columns_units_and_frame() -> None:
    frame = pd.DataFrame({"Name": ["a", "b"], "Longitude": ["112.9", " 112.91 "],
                          "Latitude": [36.3, 36.31], "人口(人)": ["1,200", "15"]})
    gdf = points_from_table(frame)
    assert gdf["population"].tolist() == [1200.0, 15.0]
    assert gdf["name"].tolist() == ["a", "b"]
    assert frame["Longitude"].tolist() == ["112.9", " 112.91 "]  # input untouched


@pytest.mark.parametrize(("datum", "forward"), [("gcj02", wgs84_to_gcj02), ("高德", wgs84_to_gcj02),
                                                ("百度", wgs84_to_bd09)])
def test_table_datum_converted(tmp_path: Path, datum: str, forward) -> None:
    glon, glat = forward(VILLAGES["经度"].to_numpy(), VILLAGES["纬度"].to_numpy())
    frame = VILLAGES.assign(经度=glon, 纬度=glat)
    csv = tmp_path / "amap.csv"
    frame.to_csv(csv, index=False, encoding="utf-8-sig")
    gdf = points_from_table(csv, datum=datum)
    np.testing.assert_allclose(gdf.geometry.x, VILLAGES["经度"], atol=1e-8)
    np.testing.assert_allclose(gdf.geometry.y, VILLAGES["纬度"], atol=1e-8)
    # Without conversion the points are hundreds of metres off.
    raw = points_from_table(csv)
    assert np.abs(raw.geometry.x.to_numpy() - VILLAGES["经度"].to_numpy()).max() > 1e-3


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("纬度", None, "blank"),
        ("纬度", "abc", "not a number"),
        ("经度", 0, "is 0"),
        ("swap", None, "latitude and longitude look swapped"),
        ("经度", -74.0, "outside China"),
        ("常住人口", -5, "negative"),
        ("常住人口", None, "population is blank"),
    ],
)
def test_table_bad_rows(tmp_path: Path, column: str, value, text: str) -> None:
    frame = VILLAGES.astype(object).copy()
    if column == "swap":
        frame.loc[1, ["经度", "纬度"]] = [VILLAGES.loc[1, "纬度"], VILLAGES.loc[1, "经度"]]
    else:
        frame.loc[1, column] = value
    csv = tmp_path / "bad_villages.csv"
    frame.to_csv(csv, index=False, encoding="utf-8-sig")
    with pytest.raises(InputError) as exc:
        points_from_table(csv)
    msg = str(exc.value)
    assert "bad_villages.csv" in msg, msg
    assert "row 3" in msg, msg  # second data row = spreadsheet row 3
    assert text in msg, msg
    assert "Fix:" in msg


def test_table_missing_column_lists_columns(tmp_path: Path) -> None:
    csv = tmp_path / "nopop.csv"
    VILLAGES.drop(columns="常住人口").to_csv(csv, index=False)
    with pytest.raises(InputError) as exc:
        points_from_table(csv)
    msg = str(exc.value)
    assert "population" in msg and "村名" in msg and "population_column" in msg
    gdf = points_from_table(VILLAGES.rename(columns={"常住人口": "居民"}), population_column="居民")
    assert gdf["population"].sum() == 2480.0
    with pytest.raises(InputError, match="empty|no rows"):
        points_from_table(VILLAGES.iloc[:0])


# --------------------------------------------------------------------------------------------
# polygons with counts


def _u_shape(x0: float, y0: float, s: float = 0.02) -> Polygon:
    """A U-shaped polygon whose centroid lies outside it."""
    return Polygon([(x0, y0), (x0 + 3 * s, y0), (x0 + 3 * s, y0 + 3 * s), (x0 + 2 * s, y0 + 3 * s),
                    (x0 + 2 * s, y0 + s), (x0 + s, y0 + s), (x0 + s, y0 + 3 * s), (x0, y0 + 3 * s)])


def _polygons() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"名称": ["甲乡", "乙镇"], "人口": [12000, 8000]},
        geometry=[_u_shape(112.80, 36.30), box(112.95, 36.30, 113.00, 36.35)],
        crs=4326,
    )


def test_polygons_geojson_points_inside(tmp_path: Path) -> None:
    polys = _polygons()
    path = tmp_path / "towns.geojson"
    polys.to_file(path, driver="GeoJSON")
    gdf = points_from_polygons(path)
    _check_frame(gdf, "polygons")
    assert gdf["name"].tolist() == ["甲乡", "乙镇"]
    assert gdf["population"].tolist() == [12000.0, 8000.0]
    assert not polys.geometry.iloc[0].contains(polys.geometry.iloc[0].centroid)
    assert polys.geometry.contains(gdf.geometry, align=False).all()
    assert read_population(path)["population"].sum() == 20000.0


def test_polygons_gcj02_and_projected(tmp_path: Path) -> None:
    polys = _polygons()
    wgs_pts = points_from_polygons(_write(polys, tmp_path / "w.gpkg"))
    gcj = polys.copy()
    gcj["geometry"] = gpd.GeoSeries(
        shapely.transform(polys.geometry.values,
                          lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1]))), crs=4326)
    got = points_from_polygons(_write(gcj, tmp_path / "g.gpkg"), datum="GCJ-02")
    # Points land inside the WGS-84 polygons; for the box, next to the unshifted point.
    assert polys.geometry.contains(got.geometry, align=False).all()
    d = np.hypot(got.geometry.x - wgs_pts.geometry.x, got.geometry.y - wgs_pts.geometry.y)
    assert d.iloc[1] < 1e-4, d
    raw = points_from_polygons(_write(gcj, tmp_path / "g2.gpkg"))
    assert abs(raw.geometry.x.iloc[1] - wgs_pts.geometry.x.iloc[1]) > 1e-3
    utm = points_from_polygons(_write(polys.to_crs(32649), tmp_path / "u.gpkg"))
    assert utm.crs.to_epsg() == 4326
    assert polys.geometry.contains(utm.geometry, align=False).all()


def _write(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    gdf.to_file(path, driver="GPKG")
    return path


def test_polygons_errors(tmp_path: Path) -> None:
    bad = _polygons()
    bad.loc[1, "人口"] = -3
    with pytest.raises(InputError, match=r"bad\.geojson.*row 2.*negative"):
        points_from_polygons(_write_geojson(bad, tmp_path / "bad.geojson"))
    pts = gpd.GeoDataFrame({"人口": [1, 2]}, geometry=[box(112.9, 36.3, 113, 36.4),
                                                     Point(112.9, 36.3)], crs=4326)
    with pytest.raises(InputError, match=r"row 2.*not a polygon"):
        points_from_polygons(_write_geojson(pts, tmp_path / "pts.geojson"))
    nopop = _polygons().drop(columns="人口")
    with pytest.raises(InputError, match=r"no population column.*名称"):
        points_from_polygons(_write_geojson(nopop, tmp_path / "nopop.geojson"))
    far = _polygons().set_geometry([box(2.0, 48.0, 2.1, 48.1), box(112.9, 36.3, 113, 36.4)])
    with pytest.raises(InputError, match=r"row 1.*outside China"):
        points_from_polygons(_write_geojson(far, tmp_path / "far.geojson"))
    with pytest.raises(InputError, match="unsupported"):
        read_population(tmp_path / "x.parquet")


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    gdf.to_file(path, driver="GeoJSON")
    return path
