"""The fast write phase writes what the slow one did (issue 16).

* ``compact_geojson`` (from the shapely arrays) against geopandas' ``to_json``;
* ``GeoJsonLayer`` (data put into the script after rendering) against ``folium.GeoJson``: the
  same page, byte for byte once the random element ids are numbered;
* a map drawn with a shared ``MapCache`` is the map drawn without one, and the second map of a
  cache prepares no layer again;
* the isochrone bands simplified for the web map stay valid and within 5 % of their area;
* the GeoPackages written through Arrow read back as those of the plain writer.
"""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from tcm_coverage.outputs import (
    MapCache,
    compact_geojson,
    map_html,
    map_page,
    maps,
    save_layer,
    township_files,
    write_isochrones,
    write_layers,
)
from tcm_coverage.outputs.map_page import GeoJsonLayer, simplify_valid
from tcm_coverage.outputs.maps import ISOCHRONE_TOLERANCE_DEG
from tcm_coverage.workflows import build_map

_ID = re.compile(r"[0-9a-f]{32}")


def numbered_ids(page: str) -> str:
    """The page with every folium element id replaced by its order of first appearance."""
    seen: dict[str, str] = {}
    return _ID.sub(lambda m: seen.setdefault(m.group(0), f"id{len(seen)}"), page)


def _frame() -> gpd.GeoDataFrame:
    square = shapely.box(112.1234567, 36.7654321, 112.2234567, 36.8654321)
    return gpd.GeoDataFrame(
        {"name": ["甲 <b>&'", "=HYPERLINK(1)", "乙"], "value": [1.23456789, np.nan, 3.0],
         "count": [1, 2, 3], "flag": [True, False, True]},
        geometry=[square, shapely.MultiPolygon([square, square.buffer(-0.01)]),
                  shapely.Point(112.1111119, 36.2222221)], crs=4326)


@pytest.mark.parametrize("decimals", [4, 5])
def test_compact_geojson_is_geopandas_geojson_rounded(decimals):
    gdf = _frame()
    fast = compact_geojson(gdf, decimals)
    slow = json.loads(gdf.to_json(drop_id=True))
    assert [f["geometry"]["type"] for f in fast["features"]] == [f["geometry"]["type"] for f in slow["features"]]
    for a, b in zip(fast["features"], slow["features"], strict=True):
        ca = np.array(shapely.get_coordinates(shapely.geometry.shape(a["geometry"])))
        cb = np.array(shapely.get_coordinates(shapely.geometry.shape(b["geometry"])))
        np.testing.assert_allclose(ca, cb, rtol=0, atol=0.5 * 10.0 ** -decimals + 1e-12)
        assert np.array_equal(ca, np.round(ca, decimals))  # really rounded
        assert a["properties"].keys() == b["properties"].keys()
        for key, value in b["properties"].items():
            if isinstance(value, float):
                assert a["properties"][key] == pytest.approx(value, abs=10.0 ** -decimals)
            else:
                assert a["properties"][key] == value  # text, ints, booleans, None (NaN) as they were
    assert fast["features"][1]["properties"]["value"] is None  # unknown stays null, never 0


def test_compact_geojson_missing_geometry_and_empty_frame():
    gdf = _frame()
    gdf.loc[1, "geometry"] = None
    assert compact_geojson(gdf)["features"][1]["geometry"] is None
    assert compact_geojson(gdf.iloc[:0]) == {"type": "FeatureCollection", "features": []}


def _page(cls) -> str:
    gdf = _frame().assign(label=["a</script><script>alert(1)</script>", "{{ 7 * 7 }}", "c"])
    fmap = folium.Map(location=[36.5, 112.1], zoom_start=10, tiles=None)
    cls(compact_geojson(gdf[["name", "label", "count", "geometry"]]), name="layer",
        style_function=lambda f: {"fillColor": "#ff0000", "weight": f["properties"]["count"]},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        popup=folium.GeoJsonPopup(fields=["name", "count"])).add_to(fmap)
    cls(compact_geojson(gdf[["name", "geometry"]]), name="points",
        marker=folium.CircleMarker(radius=4, fill=True),
        style_function=lambda f: {"radius": 3}).add_to(fmap)
    folium.LayerControl().add_to(fmap)
    return map_html(fmap, self_contained=False)  # a bare folium.Map carries CDN assets base_map drops


def test_geojson_layer_writes_folium_page():
    fast, slow = _page(GeoJsonLayer), _page(folium.GeoJson)
    assert "</script><script>alert" not in fast  # the label is escaped as folium's tojson does
    assert "\\u003c/script\\u003e" in fast
    # folium parses the rendered script as a template again ("{{ 7 * 7 }}" became 49); the
    # fast layer keeps the text as it is, the only difference.
    assert "{{ 7 * 7 }}" in fast and "{{ 7 * 7 }}" not in slow
    assert numbered_ids(fast).replace("{{ 7 * 7 }}", "49") == numbered_ids(slow)


def test_map_cache_draws_the_same_maps_once(demo_computed, monkeypatch):
    run, config = demo_computed
    plain = [numbered_ids(map_html(build_map(run, config, compact=c))) for c in (False, True)]
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return compact_geojson(*args, **kwargs)

    monkeypatch.setattr(maps, "compact_geojson", counted)
    cache = MapCache()
    first = numbered_ids(map_html(build_map(run, config, cache=cache)))
    n_first = len(calls)
    second = numbered_ids(map_html(build_map(run, config, compact=True, cache=cache)))
    assert [first, second] == plain
    assert n_first > 5 and len(calls) == n_first  # the second map prepared no layer again
    build_map(run, config, mode="walk", cache=cache)  # another view: the cache starts again
    assert len(calls) > n_first + 5


def test_isochrone_bands_simplified_valid_within_5_percent(demo_computed):
    iso = demo_computed[0].access.isochrones
    iso = iso[~iso.geometry.is_empty]
    simple = simplify_valid(iso.geometry.to_numpy(), ISOCHRONE_TOLERANCE_DEG)
    assert shapely.is_valid(simple).all() and not shapely.is_empty(simple).any()
    utm = iso.estimate_utm_crs()
    before = iso.to_crs(utm).area.to_numpy()
    after = gpd.GeoSeries(simple, crs=4326).to_crs(utm).area.to_numpy()
    assert np.all(np.abs(after - before) <= 0.05 * before)
    assert shapely.get_num_coordinates(simple).sum() < 0.6 * shapely.get_num_coordinates(iso.geometry).sum()


def test_simplify_valid_redoes_what_douglas_peucker_drops():
    # A band smaller than the tolerance: plain Douglas-Peucker drops it (empty), the
    # topology-preserving pass keeps it; a band it keeps is left as plain Douglas-Peucker made it.
    tiny, big = shapely.box(0, 0, 0.001, 0.001), shapely.box(0, 0, 1, 1).union(shapely.box(1, 0, 1.0005, 0.5))
    assert shapely.simplify(tiny, 0.002, preserve_topology=False).is_empty
    out = simplify_valid(np.array([tiny, big]), 0.002)
    assert shapely.is_valid(out).all() and not shapely.is_empty(out).any()
    assert shapely.equals(out[0], shapely.simplify(tiny, 0.002, preserve_topology=True))
    assert shapely.equals(out[1], shapely.simplify(big, 0.002, preserve_topology=False))
    assert map_page.simplify_valid is simplify_valid


def _geodata(run, config, out):
    """The GeoPackages of a run as write_geodata writes them (3,000 demand points: quick)."""
    out.mkdir()
    opts, access = config.options, run.access
    files = write_layers(access.demand.iloc[:3000], access.facilities, out, modes=opts.modes,
                         facility_sets=access.facility_sets, thresholds=opts.thresholds)
    return files + [write_isochrones(access.isochrones, out)] + township_files(
        run.townships, run.tables, out, modes=opts.modes)


def test_geopackages_through_arrow_read_back_as_before(demo_computed, tmp_path, monkeypatch):
    run, config = demo_computed
    files = _geodata(run, config, tmp_path / "arrow")
    to_file = gpd.GeoDataFrame.to_file

    def plain(self, *args, use_arrow=False, **kwargs):  # the writer before: no Arrow
        return to_file(self, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", plain)
    before = _geodata(run, config, tmp_path / "plain")
    assert [f.name for f in files] == [f.name for f in before] == [
        "demand_points.gpkg", "facilities.gpkg", "isochrones.gpkg", "townships.gpkg"]
    for path, old in zip(files, before, strict=True):
        info, old_info = pyogrio.read_info(path), pyogrio.read_info(old)
        assert pyogrio.list_layers(path)[0][0] == path.stem
        assert list(info["fields"]) == list(old_info["fields"])
        assert list(info["dtypes"]) == list(old_info["dtypes"])
        assert info["features"] == old_info["features"] and info["crs"] == old_info["crs"] == "EPSG:4326"
        pd.testing.assert_frame_equal(gpd.read_file(path), gpd.read_file(old), check_exact=True)
    demand = gpd.read_file(files[0])
    assert len(demand) == 3000
    # unknown stays unknown: an unreachable point's time is NULL, never 0
    times = run.access.demand["t_tcm_any_walk"].to_numpy(float)[:3000]
    assert demand["t_tcm_any_walk"].isna().sum() == (~np.isfinite(times)).sum()


def test_save_layer_writes_columns_arrow_cannot_type(tmp_path):
    layer = _frame().assign(mixed=[1, "二", None])  # e.g. a free-text column of an input file
    path = save_layer(layer, tmp_path, "facilities")
    back = gpd.read_file(path)
    assert len(back) == 3 and list(back["mixed"].iloc[:2]) == ["1", "二"] and pd.isna(back["mixed"].iloc[2])
