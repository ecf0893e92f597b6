"""Folium coverage maps a planner can put in a report.

Layers (each switchable in the layer control), each drawn by its own builder:

* isochrone bands (0–5, 5–10, 10–15 … minutes) per facility set, computed on a grid from the
  network travel times (:mod:`tcm_coverage.access.isochrones`);
* the township choropleth of the population share within the threshold (classed breaks of
  :mod:`tcm_coverage.outputs.style`), the E2SFCA choropleth, township outlines with names;
* the county outline;
* residents beyond the threshold, summed on a ~1 km grid, as graduated circles;
* facilities by tier, hollow when the centre lacks a 中医馆 or the clinic a 中医阁, with popups
  (name, type, flags, staff, the population they serve within the threshold);
* further layers of the caller (e.g. proposed sites).

A title block states the threshold, mode, date and data sources; the legend explains bands,
classes and markers. Chinese by default, English with ``MapOptions(lang="en")``. Basemaps and
the page itself: :mod:`tcm_coverage.outputs.map_page`.

Why this module is long: each layer's builder is a few lines, and the layers share the view and
the cache (:class:`~tcm_coverage.outputs.map_page.MapCache`) that lets ``map.html`` and the map
in ``report.html`` prepare each layer once.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Figure

from tcm_coverage._errors import InputError, OutputError
from tcm_coverage._safetext import html_columns
from tcm_coverage.i18n import label, text
from tcm_coverage.inputs import flag_values
from tcm_coverage.outputs.map_layers import MapLayers
from tcm_coverage.outputs.map_legend import MAP_CSS, legend_html, title_html
from tcm_coverage.outputs.map_page import (
    BASEMAPS,
    GeoJsonLayer,
    MapCache,
    base_map,
    compact_geojson,
    prepare_layer,
)
from tcm_coverage.outputs.style import (
    BAND_COLOURS,
    BAND_FILL_OPACITY,
    BAND_OUTLINE,
    FCA_COLOURS,
    MISSING_COLOUR,
    TIER_STYLE,
    UNCOVERED_COLOUR,
    UNKNOWN_FILL,
    share_colour,
    share_range,
)
from tcm_coverage.vocab import (
    ISOCHRONE_FACILITY_SETS,
    POPULATION_65PLUS,
    capacity_share_column,
    elderly_column,
    share_column,
    time_column,
)

__all__ = ["ISOCHRONE_TOLERANCE_DEG", "MapLayers", "MapOptions", "compact_page", "coverage_map"]

#: Simplification of the isochrone bands on the web map, in degrees (~80 m; the grid cells are
#: 100 m), by :func:`~tcm_coverage.outputs.map_page.simplify_valid`: every band stays valid and
#: within 5 % of its area (tests/test_write_speed.py), as with the topology-preserving
#: simplification at the same tolerance, at a fifth of its time.
ISOCHRONE_TOLERANCE_DEG = 0.0008


@dataclass(frozen=True)
class MapOptions:
    """How a coverage map is rendered.

    Attributes
    ----------
    lang
        ``"zh"`` or ``"en"``.
    basemap
        One of :data:`~tcm_coverage.outputs.map_page.BASEMAPS`. With ``"amap"`` every overlay is
        shifted to GCJ-02.
    tianditu_key
        Tianditu API key (``basemap="tianditu"`` only).
    title
        Title text (default: built from the facility set, threshold and mode).
    sources
        Data-source lines for the title block.
    run_date
        Date shown in the title block.
    compact
        For embedding (the report): layer control collapsed, no title block (the page around
        it says what the map shows).
    """

    lang: str = "zh"
    basemap: str = "osm"
    tianditu_key: str | None = None
    title: str | None = None
    sources: Sequence[str] = field(default=())
    run_date: str | None = None
    compact: bool = False


@dataclass(frozen=True)
class _View:
    """What every layer builder needs to know about the map."""

    mode: str
    threshold: float
    facility_set: str
    lang: str
    datum: str
    cache: MapCache = field(default_factory=MapCache, compare=False, hash=False)

    @property
    def thr(self) -> str:
        return f"{self.threshold:g}"

    @property
    def mode_label(self) -> str:
        return label("mode", self.mode, self.lang)

    def text(self, key: str, **values: object) -> str:
        return text(f"outputs.{key}", self.lang, **values)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


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
    for facility_set, out, inside in (("tcm_any", served, True), ("primary_any", upgrade, False)):
        t_col, f_col = time_column(facility_set, mode), f"f_{facility_set}_{mode}"
        if t_col not in demand or f_col not in demand:
            continue
        if inside:
            sel = demand[t_col].to_numpy(float) <= threshold
        else:
            tcm = demand.get(time_column("tcm_any", mode))
            sel = ~(tcm.to_numpy(float) <= threshold) if tcm is not None else np.ones(len(pop), bool)
            sel &= demand[t_col].to_numpy(float) <= threshold
        sums = pd.Series(pop[sel]).groupby(demand[f_col].astype(str).to_numpy()[sel]).sum()
        out[:] = pd.Series(ids).map(sums).fillna(0.0).to_numpy()
    return served, upgrade


def _isochrone_layer(fmap: folium.Map, iso: gpd.GeoDataFrame, facility_set: str,
                     view: _View) -> list[tuple[str, str]]:
    """The rings of one facility set; the legend rows of its bands when it is the map's set."""
    rings = iso[(iso["target"] == facility_set) & ~iso.geometry.is_empty].sort_values("minutes")
    if rings.empty:
        return []
    all_minutes = sorted(iso.loc[iso["target"] == facility_set, "minutes"].unique())
    colour = {m: BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)] for i, m in enumerate(all_minutes)}

    def geojson() -> dict:
        out = prepare_layer(rings, view.datum, ISOCHRONE_TOLERANCE_DEG, fast=True)
        out["band"] = [view.text("map_band", low=a, high=b)
                       for a, b in zip(out["min_from"], out["minutes"], strict=True)]
        out["colour"] = out["minutes"].map(colour)
        out["area"] = [f"{a:,.1f} km²" for a in out["area_km2"]]
        return compact_geojson(out[["band", "colour", "area", "geometry"]], 4)

    name = view.text("map_isochrones", facility_set=label("facility_set", facility_set, view.lang),
                     mode=view.mode_label)
    shown = facility_set == view.facility_set
    GeoJsonLayer(
        view.cache.get(("isochrones", facility_set), geojson), name=name,
        show=shown,
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": BAND_OUTLINE,
                                  "weight": 0.4, "fillOpacity": BAND_FILL_OPACITY},
        tooltip=folium.GeoJsonTooltip(fields=["band", "area"], labels=False),
    ).add_to(fmap)
    if not shown:
        return []
    return [(colour[m], f"{a:g}–{m:g}") for a, m in zip([0.0, *all_minutes[:-1]], all_minutes, strict=True)]


def _isochrone_layers(fmap: folium.Map, isochrones: gpd.GeoDataFrame | None,
                      view: _View) -> list[tuple[str, str]]:
    """One ring layer per facility set of the map's mode; the legend rows of the map's set."""
    bands: list[tuple[str, str]] = []
    if isochrones is None or not len(isochrones):
        return bands
    iso = isochrones[isochrones["mode"] == view.mode]
    for facility_set in [s for s in ISOCHRONE_FACILITY_SETS if s in set(iso["target"])]:
        bands = _isochrone_layer(fmap, iso, facility_set, view) or bands
    return bands


def _township_shares(towns: gpd.GeoDataFrame, table: pd.DataFrame,
                     view: _View) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per township polygon: the share within the threshold, its upper bound, the population."""
    share_col = share_column(view.threshold)
    upper_col = share_column(view.threshold, upper=True)
    nan = pd.Series(np.nan, index=towns.index)
    share = towns["code"].map(table[share_col]).astype(float) if share_col in table else nan
    upper = (towns["code"].map(table[upper_col]).astype(float)
             if view.facility_set == "tcm_any" and upper_col in table else nan)
    pop = towns["code"].map(table["population"]).astype(float) if "population" in table else share * np.nan
    return share, upper, pop


def _township_choropleth(fmap: folium.Map, towns: gpd.GeoDataFrame, table: pd.DataFrame, view: _View, *,
                         shown: bool) -> None:
    """Townships coloured by their share within the threshold, with a tooltip of it."""

    def geojson() -> dict:
        share, upper, pop = _township_shares(towns, table, view)
        out = towns.assign(colour=[share_colour(s) for s in share])
        out["label"] = [  # tooltips are HTML: names from the input escaped
            view.text("map_town_label", name=n, share=share_range(s, u), population=p)
            if np.isfinite(s) else f"{n}：–"
            for n, s, u, p in zip(out["name"].map(_esc), share, upper, pop, strict=True)
        ]
        out["label"] = out["label"] + _elderly_labels(out, table, view) + _capacity_labels(out, table, view)
        return compact_geojson(out[["name", "label", "colour", "geometry"]])

    GeoJsonLayer(
        view.cache.get("township_shares", geojson),
        name=view.text("map_town_layer", thr=view.thr),
        show=shown,
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#555555",
                                  "weight": 1, "fillOpacity": 0.55},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(fmap)


def _share_lines(towns: gpd.GeoDataFrame, table: pd.DataFrame, view: _View, column: str,
                 line: Callable[[str, str], str]) -> list[str]:
    """Tooltip lines ``line(code, share)`` of a township share column ("" where unknown, or
    without the column, or for a facility set the township table does not cover)."""
    if column not in table or view.facility_set != "tcm_any":
        return [""] * len(towns)
    share = towns["code"].map(table[column]).astype(float)
    return ["<br>" + line(c, share_range(s, np.nan)) if np.isfinite(s) else ""
            for c, s in zip(towns["code"], share, strict=True)]


def _elderly_labels(towns: gpd.GeoDataFrame, table: pd.DataFrame, view: _View) -> list[str]:
    """The tooltip line on residents 65+ per township ("" when the run has none)."""
    if POPULATION_65PLUS not in table:
        return [""] * len(towns)
    people = table[POPULATION_65PLUS]
    return _share_lines(towns, table, view, elderly_column(share_column(view.threshold)),
                        lambda code, share: view.text("map_65plus", thr=view.thr, share=share,
                                                      people=f"{float(people[code]):,.0f}"))


def _capacity_labels(towns: gpd.GeoDataFrame, table: pd.DataFrame, view: _View) -> list[str]:
    """The tooltip line on coverage within capacity per township ("" when not computed)."""
    return _share_lines(towns, table, view, capacity_share_column(view.threshold),
                        lambda code, share: view.text("map_capacity", thr=view.thr, share=share))


def _township_outlines(fmap: folium.Map, towns: gpd.GeoDataFrame, view: _View) -> None:
    """Township outlines and names, always useful on top of the isochrones."""
    outline = folium.FeatureGroup(name=view.text("map_town_outlines"))
    GeoJsonLayer(view.cache.get("township_outlines", lambda: compact_geojson(towns[["name", "geometry"]])),
                   style_function=lambda f: {"fill": False, "color": "#666666", "weight": 1,
                                             "dashArray": "4 3"}).add_to(outline)
    for name, pt in zip(towns["name"], towns.geometry.representative_point(), strict=True):
        folium.Marker(
            [round(pt.y, 5), round(pt.x, 5)],
            icon=folium.DivIcon(html=f"<div class='tcm-town-label'>{html.escape(str(name))}</div>",
                                icon_size=(80, 16), icon_anchor=(40, 8), class_name="tcm-label"),
        ).add_to(outline)
    outline.add_to(fmap)


def _fca_layer(fmap: folium.Map, areas: gpd.GeoDataFrame | None, view: _View) -> None:
    """TCM physicians within reach per 10,000 residents (E2SFCA), in quintile classes."""
    col = f"fca_e2sfca_{view.mode}"
    if areas is None or col not in areas or not np.isfinite(areas[col].to_numpy(float)).any():
        return

    def geojson() -> dict:
        values = areas[col].to_numpy(float)
        finite = values[np.isfinite(values)]
        breaks = np.unique(np.quantile(finite, [0.2, 0.4, 0.6, 0.8]))
        out = prepare_layer(areas[["name", col, "geometry"]], view.datum, 0.0003)
        out["colour"] = [FCA_COLOURS[int(np.searchsorted(breaks, v, side="right"))] if np.isfinite(v)
                         else MISSING_COLOUR for v in values]
        unit = view.text("map_fca_unit")
        out["label"] = [f"{n}：{v:.2f} {unit}" if np.isfinite(v) else f"{n}：–"
                        for n, v in zip(out["name"].map(_esc), values, strict=True)]
        return compact_geojson(out[["label", "colour", "geometry"]])

    GeoJsonLayer(
        view.cache.get("fca", geojson),
        name=view.text("map_fca_layer", mode=view.mode_label),
        show=False,
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#555555",
                                  "weight": 1, "fillOpacity": 0.7},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(fmap)


def _township_layers(fmap: folium.Map, layers: MapLayers, view: _View) -> None:
    """Choropleth, E2SFCA and outlines of the townships (when there are townships)."""
    if layers.townships is None or not len(layers.townships) or layers.township_table is None:
        return
    table = layers.township_table[layers.township_table["mode"] == view.mode].set_index("code")
    polygons = layers.townships[["code", "name", "geometry"]]
    towns = view.cache.get("townships", lambda: prepare_layer(polygons, view.datum, 0.0003))
    _township_choropleth(fmap, towns, table, view,
                         shown=layers.isochrones is None or len(layers.isochrones) == 0)
    _fca_layer(fmap, layers.fca_areas, view)
    _township_outlines(fmap, towns, view)


def _county_outline(fmap: folium.Map, county: gpd.GeoDataFrame, view: _View) -> None:
    GeoJsonLayer(view.cache.get("county", lambda: compact_geojson(county)), name=view.text("map_county"),
                   style_function=lambda f: {"fill": False, "color": "#000000", "weight": 2.5}).add_to(fmap)


def _uncovered_layer(fmap: folium.Map, demand: gpd.GeoDataFrame, view: _View) -> None:
    """Residents beyond the threshold as graduated circles."""
    times = demand[time_column(view.facility_set, view.mode)].to_numpy(float)
    uncovered = ~(times <= view.threshold)
    if not uncovered.any():
        return

    def geojson() -> dict:
        pts = prepare_layer(_uncovered_points(demand.loc[uncovered]), view.datum)
        pts["radius"] = np.clip(1.5 * np.sqrt(pts["people"].to_numpy(float)) ** 0.8, 2, 18).round(1)
        pts["label"] = [view.text("map_uncovered_label", people=p, thr=view.thr) for p in pts["people"]]
        return compact_geojson(pts[["people", "radius", "label", "geometry"]])

    GeoJsonLayer(
        view.cache.get("uncovered", geojson),
        name=view.text("map_uncovered_layer", thr=view.thr),
        marker=folium.CircleMarker(radius=4, weight=0, fill=True, fill_color=UNCOVERED_COLOUR,
                                   fill_opacity=0.55),
        style_function=lambda f: {"radius": f["properties"]["radius"]},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(fmap)


_POPUP_FIELDS = ("name", "type", "flag_guan", "flag_ge", "tcm_gps", "tcm_physicians", "physicians",
                 "beds", "served", "upgrade")
_STAFF_COLUMNS = ("tcm_gps", "tcm_physicians", "physicians", "beds")


def _facility_frame(layers: MapLayers, view: _View) -> gpd.GeoDataFrame:
    """Facilities in the basemap's datum with the popup texts, ``is_tcm`` and ``unknown``."""
    served, upgrade = _served_population(layers.facilities, layers.demand, mode=view.mode,
                                         threshold=view.threshold)
    fac = html_columns(prepare_layer(layers.facilities, view.datum), ["name", "type"])  # popups are HTML
    yes, no, unknown_text = view.text("map_yes"), view.text("map_no"), view.text("map_flag_unknown")
    guan_yes, guan_unknown = flag_values(fac, "zhongyiguan")
    ge_yes, ge_unknown = flag_values(fac, "zhongyige")
    fac["flag_guan"] = np.where(fac["tier"] == "township_centre",
                                np.where(guan_unknown, unknown_text, np.where(guan_yes, yes, no)), "–")
    fac["flag_ge"] = np.where(fac["tier"] == "village_station",
                              np.where(ge_unknown, unknown_text, np.where(ge_yes, yes, no)), "–")
    no_data = view.text("no_data")
    for c in [c for c in _STAFF_COLUMNS if c in fac]:
        fac[c] = [no_data if pd.isna(v) else f"{v:g}" for v in fac[c]]
    fac["served"] = [f"{s:,.0f}" for s in served]
    fac["upgrade"] = [f"{s:,.0f}" if s > 0 else "–" for s in upgrade]
    fac["is_tcm"] = guan_yes | ge_yes | (fac["tier"] == "county_tcm").to_numpy()
    fac["unknown"] = (((fac["tier"] == "township_centre").to_numpy() & guan_unknown)
                      | ((fac["tier"] == "village_station").to_numpy() & ge_unknown))
    return fac


def _facility_layers(fmap: folium.Map, fac: gpd.GeoDataFrame, view: _View) -> None:
    """One marker layer per tier: filled when TCM, grey when unknown, hollow otherwise."""
    fields = [f for f in _POPUP_FIELDS if f not in _STAFF_COLUMNS or f in fac]
    aliases = [view.text(f"map_popup_{f}", thr=view.thr) if f in ("served", "upgrade")
               else view.text(f"map_popup_{f}") for f in fields]
    for tier, colour in TIER_STYLE.items():
        sub = fac[fac["tier"] == tier]
        if sub.empty:
            continue
        big = tier in ("county_tcm", "township_centre")
        sub = sub.assign(fill=np.where(sub["is_tcm"], colour, np.where(sub["unknown"], UNKNOWN_FILL, "#ffffff")),
                         radius=8 if big else 4, line=2 if big else 1)
        frame = sub[[*fields, "fill", "radius", "line", "geometry"]]
        GeoJsonLayer(
            view.cache.get(("facilities", tier), partial(compact_geojson, frame)),
            name=view.text("map_tier_layer", tier=view.text(f"tier_{tier}"), n=len(sub)),
            marker=folium.CircleMarker(radius=4, color=colour, fill=True, fill_opacity=0.9),
            style_function=lambda f: {"fillColor": f["properties"]["fill"],
                                      "radius": f["properties"]["radius"],
                                      "weight": f["properties"]["line"]},
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
            popup=folium.GeoJsonPopup(fields=fields, aliases=aliases, max_width=320),
        ).add_to(fmap)


def _title_box(view: _View, options: MapOptions, unknown: int) -> str:
    """Title, mode and threshold, date, datum note, unknown flags and sources."""
    title = options.title
    if title is None:
        title = view.text("map_title", facility_set=label("facility_set", view.facility_set, view.lang),
                          minutes=view.threshold, mode=view.mode_label)
    meta = [view.text("map_meta", mode=view.mode_label, minutes=view.threshold)]
    if options.run_date:
        meta.append(view.text("map_computed", date=options.run_date))
    if options.basemap == "amap":
        meta.append(view.text("map_gcj02"))
    if unknown and view.facility_set in ("tcm_any", "zhongyiguan", "zhongyige"):
        meta.append(view.text("map_unknown_note", n=unknown))
    return title_html(title, meta, options.sources, view.lang)


def _check_map(layers: MapLayers, options: MapOptions, *, mode: str, facility_set: str) -> None:
    if options.lang not in ("zh", "en"):
        raise InputError(f"unknown map language {options.lang!r}", fix="use 'zh' or 'en'")
    if options.basemap not in BASEMAPS:
        raise InputError(f"unknown basemap {options.basemap!r}", fix=f"use one of {sorted(BASEMAPS)}")
    if time_column(facility_set, mode) not in layers.demand:
        raise InputError(f"the demand points have no travel times for target {facility_set!r} by {mode!r}",
                         fix="compute them with compute_access(modes=[...]) first")


def coverage_map(
    layers: MapLayers,
    *,
    mode: str,
    threshold: float,
    facility_set: str = "tcm_any",
    options: MapOptions = MapOptions(),
    cache: MapCache | None = None,
) -> folium.Map:
    """Build the coverage map.

    Parameters
    ----------
    layers
        Areas, facilities, demand points, and the optional township table, isochrones, E2SFCA
        areas and extra layers.
    mode, threshold, facility_set
        Which travel time and threshold the map shows.
    options
        Language, basemap, title, sources, date, compact (see :class:`MapOptions`).
    cache
        Shared by the maps of the same layers and view (``map.html`` and the report's map):
        each layer is prepared once. ``None``: a cache of this map alone.

    Returns
    -------
    folium.Map
    """
    _check_map(layers, options, mode=mode, facility_set=facility_set)
    view = _View(mode=mode, threshold=threshold, facility_set=facility_set, lang=options.lang,
                 datum=BASEMAPS[options.basemap][3], cache=cache or MapCache())
    view.cache.bind([layers.counties, layers.facilities, layers.demand, layers.townships,
                     layers.township_table, layers.isochrones, layers.fca_areas],
                    (mode, threshold, facility_set, view.lang, view.datum))
    county = view.cache.get("county_frame", lambda: prepare_layer(layers.counties[["code", "name", "geometry"]],
                                                                  view.datum, 0.0003))
    fmap = base_map(tuple(county.total_bounds), basemap=options.basemap,
                    tianditu_key=options.tianditu_key, lang=options.lang)
    bands = _isochrone_layers(fmap, layers.isochrones, view)
    _township_layers(fmap, layers, view)
    _county_outline(fmap, county, view)
    _uncovered_layer(fmap, layers.demand, view)
    fac = view.cache.get("facility_frame", lambda: _facility_frame(layers, view))
    _facility_layers(fmap, fac, view)
    for layer in layers.extra_layers:
        layer.add_to(fmap)
    folium.LayerControl(collapsed=options.compact).add_to(fmap)
    unknown = int(fac["unknown"].sum())
    legend = legend_html(view.lang, view.threshold, bands,
                         has_towns=layers.townships is not None and layers.township_table is not None,
                         extra=layers.extra_legend, unknown=unknown)
    root = cast(Figure, fmap.get_root())
    root.header.add_child(folium.Element(MAP_CSS))
    root.html.add_child(_MapText("" if options.compact else _title_box(view, options, unknown), legend))
    return fmap


class _MapText(folium.Element):
    """The title block and the legend of a coverage map, one element (the page is the same as
    with a plain :class:`folium.Element` of both), kept apart for :func:`compact_page`."""

    def __init__(self, title: str, legend: str) -> None:
        super().__init__(title + legend)
        self.title = title
        self.legend = legend


def _replace_once(page: str, old: str, new: str, what: str) -> str:
    if page.count(old) != 1:
        raise OutputError(f"cannot find the {what} of the map page to make it compact")
    return page.replace(old, new, 1)


def compact_page(fmap: folium.Map, page: str) -> str:
    """The page of a coverage map as ``compact=True`` draws it (the report's map: no title block,
    layer control collapsed), from the map and its page already rendered by
    :func:`~tcm_coverage.outputs.map_page.map_html`: the layers are not rendered a second time.

    Parameters
    ----------
    fmap : folium.Map
        A map of :func:`coverage_map` (``compact=False``), already rendered to ``page``.
    page : str
        Its page (``map_html(fmap)``).

    Returns
    -------
    str
        The page ``map_html`` renders for the same map built with ``compact=True``, with the
        element ids of ``page``.
    """
    root = cast(Figure, fmap.get_root())
    texts = [el for el in root.html._children.values() if isinstance(el, _MapText)]
    controls = [el for el in fmap._children.values() if isinstance(el, folium.LayerControl)]
    if len(texts) != 1 or len(controls) != 1:
        raise OutputError("the map to make compact is not a coverage map")
    (title,), (control,) = texts, controls
    page = _replace_once(page, title.render(), folium.Element(title.legend).render(), "title block")
    tojs = control._template.environment.filters["tojavascript"]
    opened, collapsed = (tojs({**control.options, "collapsed": flag}) for flag in (False, True))
    head = f"let {control.get_name()} = L.control.layers("
    start = page.find(head)
    if start < 0 or control.options.get("collapsed") is not False:
        raise OutputError("cannot find the layer control of the map page to make it compact")
    return page[:start] + _replace_once(page[start:], opened, collapsed, "layer control")
