"""A basic Folium coverage map: township shares covered, facilities by tier, uncovered residents.

Geometry is simplified (about 30 m) and coordinates rounded to 5 decimals (about 1 m) so a
county map stays small. Labels are Chinese by default, English with ``lang="en"``.
"""

from __future__ import annotations

import html
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tcm_coverage.analysis import MODE_LABELS, TARGET_LABELS

TIER_STYLE: dict[str, tuple[str, str, str]] = {
    # tier: (colour, zh, en)
    "county_tcm": ("#b2182b", "县级中医医院", "county TCM hospital"),
    "township_centre": ("#ef8a62", "乡镇卫生院/社区卫生服务中心", "township/community centre"),
    "village_station": ("#2166ac", "村卫生室/社区卫生服务站", "village clinic/station"),
    "other": ("#777777", "其他医疗机构", "other facility"),
}

_BREAKS = (0.0, 0.5, 0.7, 0.85, 0.95, 1.0001)
_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")


def _light(gdf: gpd.GeoDataFrame, tolerance_deg: float = 0.0003) -> gpd.GeoDataFrame:
    out = gdf.copy()
    geoms = shapely.simplify(out.geometry.to_numpy(), tolerance_deg, preserve_topology=True)
    out.geometry = shapely.set_precision(geoms, 1e-5)
    return out


def _class_colour(share: float) -> str:
    if share is None or not np.isfinite(share):
        return "#cccccc"
    idx = int(np.searchsorted(_BREAKS, share, side="right") - 1)
    return _COLOURS[min(max(idx, 0), len(_COLOURS) - 1)]


def _uncovered_layer(points: gpd.GeoDataFrame, *, threshold: float, zh: bool,
                     cell_deg: float = 0.01) -> folium.FeatureGroup:
    """Residents beyond the threshold, summed on a ~1 km grid, as graduated circles."""
    gx = np.floor(points.geometry.x.to_numpy() / cell_deg).astype(np.int64)
    gy = np.floor(points.geometry.y.to_numpy() / cell_deg).astype(np.int64)
    agg = pd.DataFrame({"gx": gx, "gy": gy, "w": points["population"].to_numpy(float),
                        "x": points.geometry.x.to_numpy() * points["population"].to_numpy(float),
                        "y": points.geometry.y.to_numpy() * points["population"].to_numpy(float)})
    agg = agg.groupby(["gx", "gy"], as_index=False).sum()
    agg = agg[agg["w"] >= 1.0]
    group = folium.FeatureGroup(name=(f"{threshold:g}分钟外人口" if zh else f"residents beyond {threshold:g} min"))
    for row in agg.itertuples(index=False):  # one marker per populated ~1 km cell, not per resident
        people = int(round(row.w))
        text = f"约 {people:,} 人在{threshold:g}分钟外" if zh else f"about {people:,} residents beyond {threshold:g} min"
        folium.CircleMarker(
            location=[round(row.y / row.w, 5), round(row.x / row.w, 5)],
            radius=float(np.clip(1.5 * np.sqrt(row.w) ** 0.8, 2, 18)),
            color="#7b3294", weight=0, fill=True, fill_color="#7b3294", fill_opacity=0.55,
            tooltip=text,
        ).add_to(group)
    return group


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
    lang: str = "zh",
    title: str | None = None,
) -> folium.Map:
    """Build the basic coverage map.

    Parameters
    ----------
    counties, townships
        Area polygons (``code``, ``name``), EPSG:4326.
    township_table
        The ``"township"`` table of :func:`tcm_coverage.metrics.coverage_tables`.
    facilities
        Facilities with ``tier``, ``zhongyiguan``, ``zhongyige``.
    demand
        Demand points with ``population`` and ``t_{target}_{mode}``.
    mode, threshold, target
        Which travel time and threshold the map shows.
    lang
        ``"zh"`` or ``"en"``.
    title
        Title block text (default: built from the other parameters).

    Returns
    -------
    folium.Map
    """
    zh = lang == "zh"
    minx, miny, maxx, maxy = counties.total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10, tiles=None,
                      control_scale=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr="© OpenStreetMap contributors").add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    share_col = f"share_within_{threshold:g}"

    if townships is not None and len(townships) and township_table is not None:
        table = township_table[township_table["mode"] == mode].set_index("code")
        towns = _light(townships[["code", "name", "geometry"]])
        towns["share"] = towns["code"].map(table[share_col]).astype(float) if share_col in table else np.nan
        towns["population"] = towns["code"].map(table["population"]).astype(float)
        towns["label"] = [
            f"{n}: {s:.1%}" if np.isfinite(s) else f"{n}: –" for n, s in zip(towns["name"], towns["share"], strict=False)
        ]
        layer_name = (f"乡镇{threshold:g}分钟覆盖率" if zh else f"township share within {threshold:g} min")
        folium.GeoJson(
            towns.to_json(),
            name=layer_name,
            style_function=lambda f: {"fillColor": _class_colour(f["properties"]["share"]),
                                      "color": "#444444", "weight": 1, "fillOpacity": 0.55},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(fmap)

    outline = _light(counties[["code", "name", "geometry"]])
    folium.GeoJson(outline.to_json(), name="县界" if zh else "county boundary",
                   style_function=lambda f: {"fill": False, "color": "#000000", "weight": 2.5}).add_to(fmap)

    times = demand[f"t_{target}_{mode}"].to_numpy(float)
    uncovered = ~(times <= threshold)
    if uncovered.any():
        _uncovered_layer(demand.loc[uncovered], threshold=threshold, zh=zh).add_to(fmap)

    for tier, (colour, label_zh, label_en) in TIER_STYLE.items():
        sub = facilities[facilities["tier"] == tier]
        if sub.empty:
            continue
        group = folium.FeatureGroup(name=label_zh if zh else label_en)
        for row in sub.itertuples():
            flags = []
            if row.zhongyiguan:
                flags.append("中医馆" if zh else "has 中医馆")
            if row.zhongyige:
                flags.append("中医阁" if zh else "has 中医阁")
            tcm = bool(row.zhongyiguan or row.zhongyige or tier == "county_tcm")
            popup = f"<b>{html.escape(row.name)}</b><br>{html.escape(row.type)}"
            if flags:
                popup += "<br>" + "、".join(flags)
            folium.CircleMarker(
                location=[round(row.geometry.y, 5), round(row.geometry.x, 5)],
                radius=8 if tier in ("county_tcm", "township_centre") else 4,
                color=colour, weight=2 if tcm else 1, fill=True, fill_color=colour if tcm else "#ffffff",
                fill_opacity=0.9, popup=folium.Popup(popup, max_width=250), tooltip=row.name,
            ).add_to(group)
        group.add_to(fmap)

    folium.LayerControl(collapsed=False).add_to(fmap)
    mode_label = MODE_LABELS.get(mode, {}).get(lang, mode)
    target_label = TARGET_LABELS.get(target, {}).get(lang, target)
    if title is None:
        title = (f"{target_label}{threshold:g}分钟可达覆盖（{mode_label}）" if zh
                 else f"Residents within {threshold:g} min of {target_label} ({mode_label})")
    legend_rows = "".join(
        f"<div><span style='background:{c};width:14px;height:10px;display:inline-block;"
        f"margin-right:4px;border:1px solid #888'></span>{lo:.0%}–{min(hi, 1):.0%}</div>"
        for c, lo, hi in zip(_COLOURS, _BREAKS[:-1], _BREAKS[1:], strict=False)
    )
    box = (
        "<div style='position:fixed;bottom:20px;left:10px;z-index:9999;background:white;"
        "padding:8px 10px;border:1px solid #999;font:12px sans-serif;max-width:300px'>"
        f"<b>{html.escape(title)}</b><br>"
        f"{'乡镇覆盖率' if zh else 'township share covered'}{legend_rows}"
        f"<div style='margin-top:4px;color:#555'>{'空心标记：无中医馆/中医阁' if zh else 'hollow marker: no TCM hall/corner'}</div>"
        "</div>"
    )
    fmap.get_root().html.add_child(folium.Element(box))
    return fmap


def save_map(fmap: folium.Map, path: Path) -> Path:
    """Save a map as HTML.

    Parameters
    ----------
    fmap
        The map.
    path
        Destination file.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    fmap.save(str(path))
    return path
