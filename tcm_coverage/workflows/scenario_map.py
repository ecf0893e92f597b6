"""The map of a solved scenario: coverage after the plan, the area newly covered, the chosen
sites and (with a ranked plan) each site's rank as a number, over the coverage map of
:mod:`tcm_coverage.outputs.maps`."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage.i18n import MODE_LABELS, text
from tcm_coverage.outputs import (
    BASEMAPS,
    MapLayers,
    MapOptions,
    compact_geojson,
    coverage_map,
    prepare_layer,
)
from tcm_coverage.vocab import share_column, time_column
from tcm_coverage.workflows.scenario_file import Scenario
from tcm_coverage.workflows.scenario_run import ScenarioResult
from tcm_coverage.workflows.texts import source_lines

__all__ = ["run_sources", "scenario_map"]


def run_sources(scn: Scenario) -> list[str]:
    """Source lines of a scenario's map (the scenario file and the input files).

    Parameters
    ----------
    scn
        The scenario.

    Returns
    -------
    list of str
    """
    return [text("workflows.scenario.source", scn.lang) + scn.path.name] + source_lines(scn.config)


def _new_area_layer(sr: ScenarioResult, datum: str) -> folium.GeoJson:
    """The area within the threshold after the plan but not before."""
    scn = sr.scenario
    new_area = sr.new_area.assign(label=[text("workflows.scenario.new_area", scn.lang,
                                              minutes=scn.threshold,
                                              km2=sr.new_area["area_km2"].iloc[0])])
    return folium.GeoJson(
        compact_geojson(prepare_layer(new_area[["label", "geometry"]], datum, 0.0008), 4),
        name=text("workflows.scenario.layer.new_area", scn.lang),
        style_function=lambda f: {"fillColor": "#ff7f00", "color": "#d94801", "weight": 1,
                                  "fillOpacity": 0.45},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    )


def _sites_layer(sr: ScenarioResult, datum: str) -> folium.GeoJson:
    """The chosen sites, coloured by kind, with what each adds."""
    lang = sr.scenario.lang
    sites = prepare_layer(sr.sites, datum)
    sites["label"] = [  # names from the input files, shown as HTML by folium: escaped
        text("workflows.scenario.site", lang, name=html.escape(str(n)),
             kind=text(f"workflows.scenario.kind.{k}", lang), covered=c, cost=cost)
        for n, k, c, cost in zip(sites["name"], sites["kind"], sites["newly_covered"], sites["cost"],
                                 strict=True)]
    sites["fill"] = np.where(sites["kind"] == "new", "#ff7f00", "#fdd0a2")
    return folium.GeoJson(
        compact_geojson(sites[["label", "fill", "geometry"]]),
        name=text("workflows.scenario.layer.sites", lang, count=len(sites)),
        marker=folium.CircleMarker(radius=9, color="#d94801", weight=3, fill=True, fill_opacity=1.0),
        style_function=lambda f: {"fillColor": f["properties"]["fill"]},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        popup=folium.GeoJsonPopup(fields=["label"], labels=False),
    )


def _order_layer(sr: ScenarioResult, datum: str) -> folium.FeatureGroup:
    """The ranked plan: each site's rank as a number on the map."""
    lang, order = sr.scenario.lang, sr.order
    assert order is not None  # drawn only with a ranked plan
    pts = prepare_layer(gpd.GeoDataFrame(order, geometry=gpd.points_from_xy(order["lon"], order["lat"]),
                                         crs=4326), datum)
    group = folium.FeatureGroup(name=text("workflows.scenario.layer.order", lang, count=len(order)))
    ranks = order["rank"].to_numpy(int)
    covered = order["newly_covered"].to_numpy(int)
    shares = order["cum_share"].to_numpy(float)
    rows = zip(ranks, order["name"].astype(str), order["kind"].astype(str),
               order["year"].astype(str), covered, shares, pts.geometry, strict=True)
    for rank, name, kind, year, cov, share, geom in rows:
        label = text("workflows.scenario.order_site", lang, rank=int(rank), name=html.escape(name),
                     kind=text(f"workflows.scenario.kind.{kind}", lang), year=html.escape(year),
                     covered=int(cov), share=float(share))
        folium.Marker(
            [geom.y, geom.x], tooltip=label,
            icon=folium.DivIcon(icon_size=(22, 22), icon_anchor=(11, 11), html=(
                '<div style="width:22px;height:22px;border-radius:11px;background:#7f2704;'
                'color:#fff;font:bold 12px sans-serif;text-align:center;line-height:22px;'
                f'border:2px solid #fff">{int(rank)}</div>'))).add_to(group)
    return group


def _before_isochrones(sr: ScenarioResult) -> gpd.GeoDataFrame | None:
    """The isochrone rings before the plan, of the scenario's mode and facility set."""
    scn, before_iso = sr.scenario, sr.run.access.isochrones
    if before_iso is None:
        return None
    return before_iso[(before_iso["mode"] == scn.mode) & (before_iso["target"] == scn.facility_set)
                      & (before_iso["minutes"] <= scn.threshold)]


def scenario_map(sr: ScenarioResult) -> folium.Map:
    """The coverage map after the plan, with the new area and the chosen sites.

    Parameters
    ----------
    sr
        From :func:`~tcm_coverage.workflows.scenario_run.run_scenario`.

    Returns
    -------
    folium.Map
    """
    scn, run = sr.scenario, sr.run
    lang = scn.lang
    demand = run.access.demand.copy()
    t_col = time_column(scn.facility_set, scn.mode)
    after_min = np.asarray(sr.result.minutes, float)
    demand[t_col] = np.minimum(demand[t_col].to_numpy(float), after_min)  # map shows the plan
    title = text("workflows.scenario.map_title", lang, title=scn.title, minutes=scn.threshold,
                 mode=MODE_LABELS[scn.mode][lang])
    towns = sr.townships[sr.townships["code"] != "total"]
    town_table = pd.DataFrame({"code": towns["code"], "mode": scn.mode, "population": towns["population"],
                               share_column(scn.threshold): towns["share_after"]})
    extra = [("#ff7f00", text("workflows.scenario.legend.new_area", lang)),
             ("#fdd0a2", text("workflows.scenario.legend.upgrade", lang)),
             ("#ff7f00", text("workflows.scenario.legend.new", lang))]
    if sr.order is not None and len(sr.order):
        extra.append(("#7f2704", text("workflows.scenario.legend.order", lang)))
    datum = BASEMAPS[scn.basemap][3]
    layers: list[folium.map.Layer] = []
    if not sr.new_area.geometry.iloc[0].is_empty:
        layers.append(_new_area_layer(sr, datum))
    layers.append(_sites_layer(sr, datum))
    if sr.order is not None and len(sr.order):
        layers.append(_order_layer(sr, datum))
    return coverage_map(MapLayers(counties=run.counties, townships=run.townships,
                                  township_table=town_table, facilities=run.access.facilities,
                                  demand=demand, isochrones=_before_isochrones(sr),
                                  extra_legend=extra, extra_layers=layers),
                        mode=scn.mode, threshold=scn.threshold, facility_set=scn.facility_set,
                        options=MapOptions(lang=lang, basemap=scn.basemap,
                                           tianditu_key=scn.tianditu_key, title=title,
                                           sources=list(run_sources(scn))))
