"""Folium coverage maps a planner can put in a report.

Layers (each switchable in the layer control):

* isochrone bands (0–5, 5–10, 10–15 … minutes) per facility tier, computed on a grid from the
  network travel times (:mod:`tcm_coverage.access.isochrones`);
* the township choropleth of the population share within the threshold (classed breaks);
* county and township outlines with names;
* residents beyond the threshold, summed on a ~1 km grid, as graduated circles;
* facilities by tier, hollow when the centre lacks a 中医馆 or the clinic a 中医阁, with popups
  (name, type, flags, staff, the population they serve within the threshold).

A title block states the threshold, mode, date and data sources; the legend explains bands,
classes and markers. Chinese by default, English with ``lang="en"``.

Basemaps: ``"osm"`` (OpenStreetMap, WGS-84), ``"amap"`` (高德, drawn in **GCJ-02**: every overlay
is shifted to GCJ-02 so it lines up with the streets), ``"tianditu"`` (天地图, CGCS2000 ≈ WGS-84,
needs a key) and ``"none"`` (no tiles, for offline intranets).

The page needs only Leaflet (no jQuery/Bootstrap): :func:`save_map` with
``self_contained=True`` inlines Leaflet's JS, CSS and images (bundled under
``tcm_coverage/static``, BSD-2-Clause) so the file renders with no network at all.
Geometry is simplified and coordinates cut to 5 decimals (about 1 m) to keep a county map small.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tcm_coverage._errors import InputError, OutputError
from tcm_coverage._safetext import html_columns
from tcm_coverage.i18n import FACILITY_SET_LABELS, MODE_LABELS
from tcm_coverage.inputs import flag_values, transform_geometries

__all__ = ["BASEMAPS", "SHARE_BREAKS", "SHARE_COLOURS", "TIER_STYLE", "base_map", "compact_geojson",
           "coverage_map", "map_html", "prepare_layer", "save_map", "share_colour"]

TIER_STYLE: dict[str, tuple[str, str, str]] = {
    # tier: (colour, zh, en)
    "county_tcm": ("#b2182b", "县级中医医院", "county TCM hospital"),
    "township_centre": ("#ef8a62", "乡镇卫生院/社区卫生服务中心", "township/community centre"),
    "village_station": ("#2166ac", "村卫生室/社区卫生服务站", "village clinic/station"),
    "other": ("#777777", "其他医疗机构", "other facility"),
}

#: Basemap name -> (tile URL, attribution, subdomains, datum of the tiles).
BASEMAPS: dict[str, tuple[str, str, str, str]] = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "&copy; OpenStreetMap contributors", "abc", "wgs84"),
    "amap": ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
             "&x={x}&y={y}&z={z}", "&copy; 高德地图 AutoNavi", "1234", "gcj02"),
    "tianditu": ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                 "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                 "&TILECOL={x}&tk={key}", "&copy; 天地图 Tianditu", "01234567", "wgs84"),
    "none": ("", "", "", "wgs84"),
}
_TIANDITU_LABELS = ("https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                    "&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}")

#: Class breaks of a coverage share (lower bounds; the last one closes 100 %).
SHARE_BREAKS = (0.0, 0.5, 0.7, 0.85, 0.95, 1.0001)
#: Fill of each share class, red (low) to green (high).
SHARE_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
#: Ring colours, nearest band first (a sequential green-blue scale).
_BAND_COLOURS = ("#005a32", "#238443", "#41ab5d", "#78c679", "#addd8e", "#d9f0a3", "#ffffcc")
_ISO_TARGETS = ("tcm_any", "zhongyiguan", "zhongyige", "county_tcm")
#: Fill of a centre/clinic whose 中医馆/中医阁 is unknown (neither "has one" nor "has none").
_UNKNOWN_FILL = "#bdbdbd"
_STATIC = Path(__file__).resolve().parents[1] / "static" / "leaflet-1.9.3"
_LEAFLET_CDN = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/"
_NUM = {d: re.compile(rf"(-?\d+\.\d{{{d}}})\d+") for d in (4, 5)}


def compact_geojson(gdf: gpd.GeoDataFrame, decimals: int = 5) -> dict:
    """GeoJSON of a frame with numbers cut to 5 (about 1 m) or 4 (about 10 m) decimals."""
    return json.loads(_NUM[decimals].sub(r"\1", gdf.to_json(drop_id=True)))


def prepare_layer(gdf: gpd.GeoDataFrame, datum: str, tolerance_deg: float = 0.0) -> gpd.GeoDataFrame:
    """A WGS-84 layer ready to draw: simplified by ``tolerance_deg`` (0: not), shifted to the
    basemap ``datum`` (``gcj02`` for Amap); a copy, the input is not changed."""
    out = gdf.copy()
    geoms = out.geometry.to_numpy()
    if tolerance_deg > 0:
        geoms = shapely.simplify(geoms, tolerance_deg, preserve_topology=True)
    if datum != "wgs84":
        geoms = transform_geometries(geoms, src="wgs84", dst=datum)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=4326))
    return out


def _range(share: float, upper: float) -> str:
    """``45.0%``, or ``45.0%–90.0%`` when unknown 中医馆/中医阁 leave a range."""
    if np.isfinite(upper) and round(upper, 3) != round(share, 3):
        return f"{share:.1%}–{upper:.1%}"
    return f"{share:.1%}"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def share_colour(share: float | None) -> str:
    """Fill colour of a coverage share (:data:`SHARE_BREAKS`, :data:`SHARE_COLOURS`); grey if unknown."""
    if share is None or not np.isfinite(share):
        return "#cccccc"
    idx = int(np.searchsorted(SHARE_BREAKS, share, side="right") - 1)
    return SHARE_COLOURS[min(max(idx, 0), len(SHARE_COLOURS) - 1)]


def _uncovered_points(points: gpd.GeoDataFrame, cell_deg: float = 0.01) -> gpd.GeoDataFrame:
    """Residents summed on a ~1 km grid, placed at their population-weighted centre."""
    x = points.geometry.x.to_numpy()
    y = points.geometry.y.to_numpy()
    w = points["population"].to_numpy(float)
    agg = pd.DataFrame({"gx": np.floor(x / cell_deg).astype(np.int64),
                        "gy": np.floor(y / cell_deg).astype(np.int64),
                        "w": w, "x": x * w, "y": y * w}).groupby(["gx", "gy"], as_index=False).sum()
    agg = agg[agg["w"] >= 1.0]
    return gpd.GeoDataFrame({"people": np.round(agg["w"].to_numpy()).astype(int)},
                            geometry=gpd.points_from_xy(agg["x"] / agg["w"], agg["y"] / agg["w"]),
                            crs=4326)


def _served_population(facilities: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, *, mode: str,
                       threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Per facility: residents within the threshold whose nearest TCM point it is; and, for
    clinics without TCM, residents beyond the threshold whose nearest clinic it is."""
    pop = demand["population"].to_numpy(float)
    ids = facilities["facility_id"].astype(str).to_numpy()
    served = np.zeros(len(facilities))
    upgrade = np.zeros(len(facilities))
    for target, out, inside in (("tcm_any", served, True), ("primary_any", upgrade, False)):
        t_col, f_col = f"t_{target}_{mode}", f"f_{target}_{mode}"
        if t_col not in demand or f_col not in demand:
            continue
        if inside:
            sel = demand[t_col].to_numpy(float) <= threshold
        else:
            tcm = demand.get(f"t_tcm_any_{mode}")
            sel = ~(tcm.to_numpy(float) <= threshold) if tcm is not None else np.ones(len(pop), bool)
            sel &= demand[t_col].to_numpy(float) <= threshold
        sums = pd.Series(pop[sel]).groupby(demand[f_col].astype(str).to_numpy()[sel]).sum()
        out[:] = pd.Series(ids).map(sums).fillna(0.0).to_numpy()
    return served, upgrade


def _tiles(fmap: folium.Map, basemap: str, tianditu_key: str | None, zh: bool) -> None:
    url, attr, subdomains, _datum = BASEMAPS[basemap]
    if basemap == "none":
        return
    if basemap == "tianditu":
        if not tianditu_key:
            raise InputError("the Tianditu basemap needs a key (天地图 tk)",
                             fix="pass tianditu_key=... / --tianditu-key, or choose basemap osm/amap/none")
        folium.TileLayer(url.replace("{key}", tianditu_key), attr=attr, subdomains=subdomains,
                         name="天地图" if zh else "Tianditu", max_zoom=18).add_to(fmap)
        folium.TileLayer(_TIANDITU_LABELS.replace("{key}", tianditu_key), attr=attr,
                         subdomains=subdomains, overlay=True, control=False,
                         name="天地图注记").add_to(fmap)
        return
    name = {"osm": "OpenStreetMap", "amap": "高德地图" if zh else "Amap"}[basemap]
    folium.TileLayer(url, attr=attr, subdomains=subdomains, name=name, max_zoom=19).add_to(fmap)


def base_map(bounds: Sequence[float], *, basemap: str = "osm", tianditu_key: str | None = None,
             zh: bool = True) -> folium.Map:
    """An empty map fitted to ``bounds`` (minx, miny, maxx, maxy) with the chosen basemap, a
    scale bar, canvas rendering, and only Leaflet as a dependency (no jQuery/Bootstrap), so
    :func:`save_map` can make it self-contained.

    Parameters
    ----------
    bounds
        Lon/lat bounds in the basemap's datum.
    basemap, tianditu_key
        See :func:`coverage_map`.
    zh
        Chinese layer names.

    Returns
    -------
    folium.Map
    """
    minx, miny, maxx, maxy = bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10, tiles=None,
                      control_scale=True, prefer_canvas=True)
    # Only Leaflet is needed: drop folium's jQuery/Bootstrap/awesome-markers (see save_map).
    fmap.default_js = [("leaflet", _LEAFLET_CDN + "leaflet.js")]
    fmap.default_css = [("leaflet_css", _LEAFLET_CDN + "leaflet.css")]
    _tiles(fmap, basemap, tianditu_key, zh)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def coverage_map(
    *,
    counties: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame | None,
    township_table: pd.DataFrame | None,
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    mode: str,
    threshold: float,
    target: str = "tcm_any",
    isochrones: gpd.GeoDataFrame | None = None,
    fca_areas: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    basemap: str = "osm",
    tianditu_key: str | None = None,
    title: str | None = None,
    sources: Sequence[str] = (),
    run_date: str | None = None,
    compact: bool = False,
    extra_legend: Sequence[tuple[str, str]] = (),
    extra_layers: Sequence[folium.map.Layer] = (),
) -> folium.Map:
    """Build the coverage map.

    Parameters
    ----------
    counties, townships
        Area polygons (``code``, ``name``), EPSG:4326 (WGS-84).
    township_table
        The ``"township"`` table of :func:`tcm_coverage.access.coverage.coverage_tables`.
    facilities
        Facilities with ``facility_id``, ``name``, ``type``, ``tier``, ``zhongyiguan``,
        ``zhongyige`` (and staff columns when known).
    demand
        Demand points with ``population`` and the ``t_*``/``f_*`` columns of
        :func:`tcm_coverage.access.compute.compute_access`.
    mode, threshold, target
        Which travel time and threshold the map shows.
    isochrones
        Rings from :func:`tcm_coverage.access.isochrones.isochrone_bands` with ``mode`` and ``target``
        columns; those of ``mode`` are drawn, one layer per target (only ``target``'s shown at
        first).
    fca_areas
        Township (or county) polygons with ``fca_e2sfca_{mode}`` from
        :func:`tcm_coverage.access.catchments.area_fca`: drawn as a choropleth of TCM physicians
        within reach per 10,000 residents (hidden at first).
    lang
        ``"zh"`` or ``"en"``.
    basemap
        One of :data:`BASEMAPS`. With ``"amap"`` every overlay is shifted to GCJ-02.
    tianditu_key
        Tianditu API key (``basemap="tianditu"`` only).
    title
        Title text (default: built from the other parameters).
    sources
        Data-source lines for the title block.
    run_date
        Date shown in the title block.
    compact
        For embedding (the report): layer control collapsed, no title block (the page around
        it says what the map shows).
    extra_legend
        ``(colour, label)`` rows appended to the legend (for ``extra_layers``).
    extra_layers
        Further layers (e.g. chosen sites), drawn on top and listed in the layer control; their
        coordinates must already be in the basemap's datum.

    Returns
    -------
    folium.Map
    """
    if lang not in ("zh", "en"):
        raise InputError(f"unknown map language {lang!r}", fix="use 'zh' or 'en'")
    if basemap not in BASEMAPS:
        raise InputError(f"unknown basemap {basemap!r}", fix=f"use one of {sorted(BASEMAPS)}")
    zh = lang == "zh"
    datum = BASEMAPS[basemap][3]
    t_col = f"t_{target}_{mode}"
    if t_col not in demand:
        raise InputError(f"the demand points have no travel times for target {target!r} by {mode!r}",
                         fix="compute them with compute_access(modes=[...]) first")
    county_d = prepare_layer(counties[["code", "name", "geometry"]], datum, 0.0003)
    minx, miny, maxx, maxy = county_d.total_bounds
    fmap = base_map((minx, miny, maxx, maxy), basemap=basemap, tianditu_key=tianditu_key, zh=zh)
    thr = f"{threshold:g}"
    mode_label = MODE_LABELS.get(mode, {}).get(lang, mode)

    # 1. isochrone rings, one layer per target
    bands_legend: list[tuple[str, str]] = []
    if isochrones is not None and len(isochrones):
        iso = isochrones[isochrones["mode"] == mode]
        for tgt in [t for t in _ISO_TARGETS if t in set(iso["target"])]:
            rings = iso[(iso["target"] == tgt) & ~iso.geometry.is_empty].sort_values("minutes")
            if rings.empty:
                continue
            all_minutes = sorted(iso.loc[iso["target"] == tgt, "minutes"].unique())
            colour = {m: _BAND_COLOURS[min(i, len(_BAND_COLOURS) - 1)] for i, m in enumerate(all_minutes)}
            rings = prepare_layer(rings, datum, 0.0008)  # ~80 m: the grid cells are 100 m
            rings["band"] = [f"{a:g}–{b:g} 分钟" if zh else f"{a:g}–{b:g} min"
                             for a, b in zip(rings["min_from"], rings["minutes"], strict=True)]
            rings["colour"] = rings["minutes"].map(colour)
            rings["area"] = [f"{a:,.1f} km²" for a in rings["area_km2"]]
            label = FACILITY_SET_LABELS[tgt][lang]
            name = (f"等时圈：{label}（{mode_label}）" if zh else f"isochrones: {label} ({mode_label})")
            folium.GeoJson(
                compact_geojson(rings[["band", "colour", "area", "geometry"]], 4), name=name,
                show=(tgt == target),
                style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#2b8c3e",
                                          "weight": 0.4, "fillOpacity": 0.45},
                tooltip=folium.GeoJsonTooltip(fields=["band", "area"], labels=False),
            ).add_to(fmap)
            if tgt == target:
                bands_legend = [(colour[m], f"{a:g}–{m:g}") for a, m in
                                zip([0.0, *all_minutes[:-1]], all_minutes, strict=True)]

    # 2. township choropleth
    share_col = f"share_within_{thr}"
    if townships is not None and len(townships) and township_table is not None:
        table = township_table[township_table["mode"] == mode].set_index("code")
        towns = prepare_layer(townships[["code", "name", "geometry"]], datum, 0.0003)
        share = (towns["code"].map(table[share_col]).astype(float) if share_col in table
                 else pd.Series(np.nan, index=towns.index))
        upper_col = f"{share_col}_upper"
        upper = (towns["code"].map(table[upper_col]).astype(float) if target == "tcm_any" and upper_col in table
                 else pd.Series(np.nan, index=towns.index))
        pop = towns["code"].map(table["population"]).astype(float) if "population" in table else share * np.nan
        towns["colour"] = [share_colour(s) for s in share]
        towns["label"] = [  # tooltips are HTML: names from the input escaped
            (f"{n}：{_range(s, u)}（{p:,.0f} 人）" if zh else f"{n}: {_range(s, u)} of {p:,.0f}")
            if np.isfinite(s) else f"{n}：–"
            for n, s, u, p in zip(towns["name"].map(_esc), share, upper, pop, strict=True)
        ]
        folium.GeoJson(
            compact_geojson(towns[["name", "label", "colour", "geometry"]]),
            name=(f"乡镇{thr}分钟覆盖率" if zh else f"township share within {thr} min"),
            show=isochrones is None or len(isochrones) == 0,
            style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#555555",
                                      "weight": 1, "fillOpacity": 0.55},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(fmap)
        # outlines and names, always useful on top of the isochrones
        _fca_layer(fmap, fca_areas, mode=mode, datum=datum, zh=zh, mode_label=mode_label)
        outline = folium.FeatureGroup(name="乡镇界与名称" if zh else "township outlines and names")
        folium.GeoJson(compact_geojson(towns[["name", "geometry"]]),
                       style_function=lambda f: {"fill": False, "color": "#666666", "weight": 1,
                                                 "dashArray": "4 3"}).add_to(outline)
        for name, pt in zip(towns["name"], towns.geometry.representative_point(), strict=True):
            folium.Marker(
                [round(pt.y, 5), round(pt.x, 5)],
                icon=folium.DivIcon(html=f"<div class='tcm-town-label'>{html.escape(str(name))}</div>",
                                    icon_size=(80, 16), icon_anchor=(40, 8), class_name="tcm-label"),
            ).add_to(outline)
        outline.add_to(fmap)

    folium.GeoJson(compact_geojson(county_d), name="县界" if zh else "county boundary",
                   style_function=lambda f: {"fill": False, "color": "#000000", "weight": 2.5}).add_to(fmap)

    # 3. residents beyond the threshold
    times = demand[t_col].to_numpy(float)
    uncovered = ~(times <= threshold)
    if uncovered.any():
        pts = prepare_layer(_uncovered_points(demand.loc[uncovered]), datum)
        pts["radius"] = np.clip(1.5 * np.sqrt(pts["people"].to_numpy(float)) ** 0.8, 2, 18).round(1)
        pts["label"] = [(f"约 {p:,} 人在{thr}分钟外" if zh else f"about {p:,} residents beyond {thr} min")
                        for p in pts["people"]]
        folium.GeoJson(
            compact_geojson(pts[["people", "radius", "label", "geometry"]]),
            name=(f"{thr}分钟外人口" if zh else f"residents beyond {thr} min"),
            marker=folium.CircleMarker(radius=4, weight=0, fill=True, fill_color="#7b3294",
                                       fill_opacity=0.55),
            style_function=lambda f: {"radius": f["properties"]["radius"]},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(fmap)

    # 4. facilities by tier
    served, upgrade = _served_population(facilities, demand, mode=mode, threshold=threshold)
    fac = html_columns(prepare_layer(facilities, datum), ["name", "type"])  # popups are HTML
    yes, no, unknown_text = ("是", "否", "无数据（未知）") if zh else ("yes", "no", "no data (unknown)")
    guan_yes, guan_unknown = flag_values(fac, "zhongyiguan")
    ge_yes, ge_unknown = flag_values(fac, "zhongyige")
    fac["flag_guan"] = np.where(fac["tier"] == "township_centre",
                                np.where(guan_unknown, unknown_text, np.where(guan_yes, yes, no)), "–")
    fac["flag_ge"] = np.where(fac["tier"] == "village_station",
                              np.where(ge_unknown, unknown_text, np.where(ge_yes, yes, no)), "–")
    fac_unknown = (((fac["tier"] == "township_centre").to_numpy() & guan_unknown)
                   | ((fac["tier"] == "village_station").to_numpy() & ge_unknown))
    staff_cols = [c for c in ("tcm_gps", "tcm_physicians", "physicians", "beds") if c in fac]
    for c in staff_cols:
        fac[c] = [("无数据" if zh else "no data") if pd.isna(v) else f"{v:g}" for v in fac[c]]
    fac["served"] = [f"{s:,.0f}" for s in served]
    fac["upgrade"] = [f"{s:,.0f}" if s > 0 else "–" for s in upgrade]
    fac["is_tcm"] = guan_yes | ge_yes | (fac["tier"] == "county_tcm").to_numpy()
    fac["unknown"] = fac_unknown
    labels_zh = {"name": "名称", "type": "类型", "flag_guan": "中医馆", "flag_ge": "中医阁",
                 "tcm_gps": "中医类别全科医生", "tcm_physicians": "中医执业医师", "physicians": "执业医师",
                 "beds": "床位", "served": f"{thr}分钟内以其为最近中医药服务点的人口",
                 "upgrade": f"{thr}分钟外、以其为最近基层机构的人口（设中医阁可覆盖）"}
    labels_en = {"name": "name", "type": "type", "flag_guan": "中医馆 (TCM hall)",
                 "flag_ge": "中医阁 (TCM corner)", "tcm_gps": "TCM GPs", "tcm_physicians": "TCM physicians",
                 "physicians": "physicians", "beds": "beds",
                 "served": f"residents within {thr} min for whom it is the nearest TCM point",
                 "upgrade": f"residents beyond {thr} min for whom it is the nearest clinic (covered if it "
                            "gained a 中医阁)"}
    labels = labels_zh if zh else labels_en
    fields = ["name", "type", "flag_guan", "flag_ge", *staff_cols, "served", "upgrade"]
    for tier, (colour, label_zh, label_en) in TIER_STYLE.items():
        sub = fac[fac["tier"] == tier]
        if sub.empty:
            continue
        big = tier in ("county_tcm", "township_centre")
        sub = sub.assign(fill=np.where(sub["is_tcm"], colour, np.where(sub["unknown"], _UNKNOWN_FILL, "#ffffff")),
                         radius=8 if big else 4, line=2 if big else 1)
        folium.GeoJson(
            compact_geojson(sub[[*fields, "fill", "radius", "line", "geometry"]]),
            name=f"{label_zh if zh else label_en}（{len(sub)}）" if zh else f"{label_en} ({len(sub)})",
            marker=folium.CircleMarker(radius=4, color=colour, fill=True, fill_opacity=0.9),
            style_function=lambda f: {"fillColor": f["properties"]["fill"],
                                      "radius": f["properties"]["radius"],
                                      "weight": f["properties"]["line"]},
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
            popup=folium.GeoJsonPopup(fields=fields, aliases=[labels[f] for f in fields],
                                      max_width=320),
        ).add_to(fmap)

    for layer in extra_layers:
        layer.add_to(fmap)
    folium.LayerControl(collapsed=compact).add_to(fmap)
    _title_and_legend(fmap, zh=zh, title=title, target=target, threshold=threshold,
                      mode_label=mode_label, sources=sources, run_date=run_date,
                      bands=bands_legend, basemap=basemap,
                      has_towns=townships is not None and township_table is not None,
                      show_title=not compact, extra=extra_legend, unknown=int(fac_unknown.sum()))
    return fmap


_FCA_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")


def _fca_layer(fmap: folium.Map, areas: gpd.GeoDataFrame | None, *, mode: str, datum: str, zh: bool,
               mode_label: str) -> None:
    col = f"fca_e2sfca_{mode}"
    if areas is None or col not in areas or not np.isfinite(areas[col].to_numpy(float)).any():
        return
    values = areas[col].to_numpy(float)
    finite = values[np.isfinite(values)]
    breaks = np.unique(np.quantile(finite, [0.2, 0.4, 0.6, 0.8]))
    out = prepare_layer(areas[["name", col, "geometry"]], datum, 0.0003)
    out["colour"] = [_FCA_COLOURS[int(np.searchsorted(breaks, v, side="right"))] if np.isfinite(v)
                     else "#cccccc" for v in values]
    unit = "每万人可及中医执业医师" if zh else "TCM physicians within reach per 10,000"
    out["label"] = [f"{n}：{v:.2f} {unit}" if np.isfinite(v) else f"{n}：–"
                    for n, v in zip(out["name"].map(_esc), values, strict=True)]
    folium.GeoJson(
        compact_geojson(out[["label", "colour", "geometry"]]),
        name=(f"中医师可及性E2SFCA（{mode_label}）" if zh else f"TCM physician access, E2SFCA ({mode_label})"),
        show=False,
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#555555",
                                  "weight": 1, "fillOpacity": 0.7},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(fmap)


def _title_and_legend(fmap: folium.Map, *, zh: bool, title: str | None, target: str, threshold: float,
                      mode_label: str, sources: Sequence[str], run_date: str | None,
                      bands: list[tuple[str, str]], basemap: str, has_towns: bool,
                      show_title: bool = True, extra: Sequence[tuple[str, str]] = (),
                      unknown: int = 0) -> None:
    lang = "zh" if zh else "en"
    target_label = FACILITY_SET_LABELS.get(target, {}).get(lang, target)
    if title is None:
        title = (f"{target_label}{threshold:g}分钟可达覆盖（{mode_label}）" if zh
                 else f"Residents within {threshold:g} min of {target_label} ({mode_label})")
    meta = []
    meta.append(f"出行方式：{mode_label}；阈值：{threshold:g} 分钟" if zh
                 else f"mode: {mode_label}; threshold: {threshold:g} min")
    if run_date:
        meta.append(("计算日期：" if zh else "computed: ") + run_date)
    if basemap == "amap":
        meta.append("图层已转换为GCJ-02以配合高德底图" if zh else "overlays shifted to GCJ-02 for the Amap basemap")
    if unknown and target in ("tcm_any", "zhongyiguan", "zhongyige"):
        meta.append(f"{unknown} 个机构是否设中医馆/中医阁未知，按“无”计算（覆盖为下限）" if zh
                    else f"中医馆/中医阁 unknown at {unknown} facilities, counted as none "
                         "(coverage is a lower bound)")
    src = "".join(f"<div>{html.escape(s)}</div>" for s in sources)
    if src:
        src = (f"<div class='tcm-src'><b>{'数据来源' if zh else 'Sources'}</b>{src}</div>")
    title_box = (
        "<div class='tcm-box tcm-title'>"
        f"<div class='tcm-h'>{html.escape(title)}</div>"
        + "".join(f"<div>{html.escape(m)}</div>" for m in meta) + src + "</div>"
    )
    rows = []
    if bands:
        rows.append(f"<div class='tcm-lh'>{'等时圈（分钟）' if zh else 'isochrones (minutes)'}</div>")
        rows += [f"<div><span class='tcm-sw' style='background:{c}'></span>{label}</div>"
                 for c, label in bands]
    if has_towns:
        rows.append(f"<div class='tcm-lh'>{'乡镇覆盖率' if zh else 'township share covered'}</div>")
        rows += [f"<div><span class='tcm-sw' style='background:{c}'></span>{lo:.0%}–{min(hi, 1):.0%}</div>"
                 for c, lo, hi in zip(SHARE_COLOURS, SHARE_BREAKS[:-1], SHARE_BREAKS[1:], strict=True)]
    rows.append(f"<div class='tcm-lh'>{'设施' if zh else 'facilities'}</div>")
    for colour, label_zh, label_en in TIER_STYLE.values():
        rows.append(f"<div><span class='tcm-dot' style='background:{colour};border-color:{colour}'></span>"
                    f"{label_zh if zh else label_en}</div>")
    rows.append(f"<div><span class='tcm-dot' style='background:#fff;border-color:#2166ac'></span>"
                f"{'空心：无中医馆/中医阁' if zh else 'hollow: no 中医馆/中医阁'}</div>")
    if unknown:
        rows.append(f"<div><span class='tcm-dot' style='background:{_UNKNOWN_FILL};border-color:#2166ac'>"
                    f"</span>{'灰色：中医馆/中医阁无数据（按无计）' if zh else 'grey: 中医馆/中医阁 no data (counted as none)'}"
                    "</div>")
    rows.append(f"<div><span class='tcm-dot' style='background:#7b3294;border-color:#7b3294;opacity:.6'>"
                f"</span>{f'{threshold:g}分钟外人口（圆越大人越多）' if zh else f'residents beyond {threshold:g} min (size = people)'}</div>")
    rows += [f"<div><span class='tcm-sw' style='background:{c}'></span>{html.escape(label)}</div>"
             for c, label in extra]
    legend = "<div class='tcm-box tcm-legend'>" + "".join(rows) + "</div>"
    css = """<style>
.tcm-box{position:absolute;z-index:1000;background:rgba(255,255,255,.93);border:1px solid #999;
 border-radius:4px;padding:6px 9px;font:12px/1.45 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",
 sans-serif;color:#222;box-shadow:0 1px 4px rgba(0,0,0,.25)}
.tcm-title{top:10px;left:54px;max-width:420px}
.tcm-h{font-size:15px;font-weight:bold;margin-bottom:2px}
.tcm-src{margin-top:4px;color:#555;font-size:11px}
.tcm-legend{bottom:34px;right:10px;max-width:260px}
.tcm-lh{font-weight:bold;margin-top:3px}
.tcm-sw{display:inline-block;width:14px;height:10px;margin-right:5px;border:1px solid #888;vertical-align:middle}
.tcm-dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:5px;border:2px solid;vertical-align:middle}
.tcm-label{background:none;border:none}
.tcm-town-label{font:12px "Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#333;text-align:center;
 white-space:nowrap;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}
@media print{.leaflet-control-layers{display:none}}
</style>"""
    root = fmap.get_root()
    root.header.add_child(folium.Element(css))
    root.html.add_child(folium.Element((title_box if show_title else "") + legend))


def _inline_leaflet() -> tuple[str, str]:
    js = (_STATIC / "leaflet.js").read_text(encoding="utf-8")
    css = (_STATIC / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        png = (_STATIC / match.group(1)).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(png).decode("ascii") + ")"

    css = re.sub(r"url\((images/[\w\-]+\.png)\)", data_uri, css)
    return js, css


def map_html(fmap: folium.Map, *, self_contained: bool = False) -> str:
    """Render a map to one HTML string.

    Parameters
    ----------
    fmap : folium.Map
        The map (from :func:`coverage_map`).
    self_contained : bool, default False
        Inline Leaflet's JavaScript, CSS and images so the page renders with no network (tiles
        still need the network; choose ``basemap="none"`` for a blank background).

    Returns
    -------
    str
    """
    page = fmap.get_root().render()
    if self_contained:
        js, css = _inline_leaflet()
        js_tag = re.compile(r'<script src="[^"]*leaflet(?:@[\d.]+)?/dist/leaflet\.js"></script>')
        css_tag = re.compile(r'<link rel="stylesheet" href="[^"]*leaflet(?:@[\d.]+)?/dist/leaflet\.css"/>')
        if not js_tag.search(page) or not css_tag.search(page):
            raise OutputError("cannot find the Leaflet script and style tags to inline in the map page")
        page = js_tag.sub(lambda _m: "<script>" + js.replace("</script", "<\\/script") + "</script>",
                          page, count=1)
        page = css_tag.sub(lambda _m: "<style>" + css + "</style>", page, count=1)
        remaining = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', page)
        if remaining:
            raise OutputError(f"the self-contained map still references {remaining}")
    return page


def save_map(fmap: folium.Map, path: Path, *, self_contained: bool = False) -> Path:
    """Save a map as one HTML file, atomically (a temporary file renamed into place).

    Parameters
    ----------
    fmap : folium.Map
        The map.
    path : pathlib.Path
        Destination file.
    self_contained : bool, default False
        See :func:`map_html`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    page = map_html(fmap, self_contained=self_contained)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a map is for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
