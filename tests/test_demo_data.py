"""The committed demo data under data/ is what scripts/make_demo_data.py writes, and is usable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely

from tcm_coverage.inputs.chinacrs import gcj02_to_wgs84

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tcm_coverage" / "demo_data"
SCRIPT = ROOT / "scripts" / "make_demo_data.py"
BOUNDARY = DATA / "boundaries" / "tunliu_140405_county_wgs84.geojson"
TOWNSHIPS = DATA / "boundaries" / "demo_townships_wgs84.geojson"
ROADS = DATA / "roads" / "demo_roads.osm"
VILLAGES = DATA / "population" / "demo_villages.csv"
RASTER = DATA / "population" / "demo_population.tif"
FACILITIES = DATA / "facilities" / "demo_facilities_gcj02.csv"


@pytest.fixture(scope="module")
def county() -> shapely.Geometry:
    return gpd.read_file(BOUNDARY).geometry.union_all()


@pytest.fixture(scope="module")
def villages() -> pd.DataFrame:
    return pd.read_csv(VILLAGES, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def facilities() -> pd.DataFrame:
    frame = pd.read_csv(FACILITIES, encoding="utf-8-sig", dtype={"编号": str})
    lon, lat = gcj02_to_wgs84(frame["经度"].to_numpy(), frame["纬度"].to_numpy())
    return frame.assign(lon=lon, lat=lat)


def _metric(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    return geoms.set_crs(4326, allow_override=True).to_crs(32649)


@pytest.mark.slow
def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True,
                   cwd=ROOT, capture_output=True, timeout=300)
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len(generated) >= 6
    for rel in generated:
        committed = DATA / rel
        assert committed.exists(), f"{rel} is generated but not committed under data/"
        if rel.suffix == ".tif":
            # GeoTIFF bytes depend on the GDAL build; compare what the file holds instead.
            with rasterio.open(tmp_path / rel) as a, rasterio.open(committed) as b:
                assert (a.crs, a.transform, a.nodata, a.shape) == (b.crs, b.transform, b.nodata, b.shape)
                np.testing.assert_array_equal(a.read(1), b.read(1), err_msg=f"{rel} differs")
        elif rel.name == "README.md":
            # Same text, except the GeoTIFF's byte size (GDAL-build dependent).
            def strip(text: str) -> list[str]:
                return [line for line in text.splitlines() if ".tif` |" not in line]
            assert strip((tmp_path / rel).read_text(encoding="utf-8")) == strip(
                committed.read_text(encoding="utf-8")), f"{rel} differs"
        else:
            assert (tmp_path / rel).read_bytes() == committed.read_bytes(), f"{rel} differs"


def test_facilities_lie_in_the_county(county, facilities) -> None:
    zone = _metric(gpd.GeoSeries([county])).buffer(3_000).iloc[0]
    pts = _metric(gpd.GeoSeries(gpd.points_from_xy(facilities.lon, facilities.lat)))
    assert pts.within(zone).all()
    assert facilities["编号"].is_unique
    counts = facilities["类型"].value_counts()
    assert counts["县级中医医院"] == 1
    assert counts["乡镇卫生院"] >= 8
    assert 120 <= counts["村卫生室"] <= 160
    assert set(facilities["中医馆"]) | set(facilities["中医阁"]) <= {"是", "否"}


def test_roads_load_with_osmnx_and_have_isolated_pieces() -> None:
    ox = pytest.importorskip("osmnx")
    graph = ox.graph_from_xml(ROADS, bidirectional=False, simplify=True, retain_all=True)
    components = sorted((len(c) for c in nx.weakly_connected_components(graph)), reverse=True)
    assert len(components) >= 2
    assert components[0] > 0.95 * graph.number_of_nodes()
    highways = {h for _, _, h in graph.edges(data="highway") if isinstance(h, str)}
    assert {"trunk", "primary", "secondary", "tertiary", "residential", "track"} <= highways


def test_facilities_and_villages_are_near_roads(facilities, villages) -> None:
    ox = pytest.importorskip("osmnx")
    graph = ox.graph_from_xml(ROADS, bidirectional=False, simplify=False, retain_all=True)
    edges = ox.graph_to_gdfs(graph, nodes=False).to_crs(32649)
    tree = shapely.STRtree(edges.geometry.to_numpy())
    for lon, lat in ((facilities.lon, facilities.lat), (villages["经度"], villages["纬度"])):
        pts = _metric(gpd.GeoSeries(gpd.points_from_xy(lon, lat))).to_numpy()
        _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        assert dist.max() < 30.0


def test_raster_matches_the_village_table(county, villages) -> None:
    with rasterio.open(RASTER) as src:
        arr = src.read(1)
        nodata = src.nodata
        assert src.crs.to_epsg() == 4326
        assert src.dtypes[0] == "float32"
        assert abs(src.res[0] - 1 / 1200) < 1e-12
        rows, cols = np.indices(arr.shape)
        xs, ys = rasterio.transform.xy(src.transform, rows.ravel(), cols.ravel())
    assert nodata < -3e38
    valid = arr != np.float32(nodata)
    inside = shapely.contains_xy(county, np.asarray(xs), np.asarray(ys)).reshape(arr.shape)
    assert (~valid).any()
    assert not valid[~inside].any(), "cells outside the boundary must be nodata"
    assert (arr[valid] >= 0).all()
    total = arr[valid].astype(np.float64).sum()
    assert total == pytest.approx(villages["人口"].sum(), rel=0.01)
    assert villages["人口"].sum() == pytest.approx(230_000, rel=0.05)


def test_townships_cover_the_county(county) -> None:
    townships = gpd.read_file(TOWNSHIPS)
    assert 10 <= len(townships) <= 12
    assert townships.is_valid.all()
    assert (townships["parent_code"] == "140405").all()
    assert (townships["level"] == "township").all()
    union = _metric(gpd.GeoSeries([townships.union_all()])).area.iloc[0]
    whole = _metric(gpd.GeoSeries([county])).area.iloc[0]
    assert union >= 0.999 * whole
    assert _metric(townships.geometry).area.sum() <= 1.001 * whole     # no overlaps


def test_demo_shows_gaps(villages, facilities) -> None:
    """Rough check: straight line x 1.3 detour; walking 4.8 km/h, e-bike 15 km/h, 15 minutes."""
    tcm = facilities[(facilities["类型"] == "县级中医医院") | (facilities["中医馆"] == "是")
                     | (facilities["中医阁"] == "是")]
    vil = villages[villages["名称"].str.endswith("村")]
    v = _metric(gpd.GeoSeries(gpd.points_from_xy(vil["经度"], vil["纬度"])))
    f = _metric(gpd.GeoSeries(gpd.points_from_xy(tcm.lon, tcm.lat)))
    vxy = np.column_stack([v.x, v.y])
    fxy = np.column_stack([f.x, f.y])
    road_km = np.linalg.norm(vxy[:, None] - fxy[None], axis=2).min(axis=1) * 1.3 / 1000
    walk = road_km / 4.8 * 60 <= 15
    ebike = road_km / 15 * 60 <= 15
    assert walk.mean() < 0.4
    assert 0.6 < ebike.mean() < 0.97
    no_guan = facilities.loc[(facilities["类型"] == "乡镇卫生院") & (facilities["中医馆"] == "否"),
                             "名称"].str.replace("卫生院", "")
    assert len(no_guan) >= 1
    gap_township = vil["乡镇"].isin(no_guan).to_numpy()
    assert ebike[gap_township].mean() < 0.5
    west = vil["经度"].to_numpy() < 112.66
    assert not ebike[west].all()
