"""What a coverage map draws (:class:`MapLayers`), shared by the HTML map
(:mod:`~tcm_coverage.outputs.maps`) and the print plates (:mod:`~tcm_coverage.outputs.print_map`),
apart from both so that a print plate does not import folium."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

__all__ = ["MapLayers"]


@dataclass(frozen=True)
class MapLayers:
    """What a coverage map draws.

    Attributes
    ----------
    counties, townships
        Area polygons (``code``, ``name``), EPSG:4326 (WGS-84); townships optional.
    facilities
        Facilities with ``facility_id``, ``name``, ``type``, ``tier``, ``zhongyiguan``,
        ``zhongyige`` (and staff columns when known).
    demand
        Demand points with ``population`` and the ``t_*``/``f_*`` columns of
        :func:`tcm_coverage.access.compute.compute_access`.
    township_table
        The ``"township"`` table of :func:`tcm_coverage.access.coverage.coverage_tables`.
    isochrones
        Rings from :func:`tcm_coverage.access.isochrones.isochrone_bands` with ``mode`` and
        ``target`` (facility set) columns; those of the map's mode are drawn, one layer per
        facility set (only the map's shown at first).
    fca_areas
        Township (or county) polygons with ``fca_e2sfca_{mode}`` from
        :func:`tcm_coverage.access.catchments.area_fca`: drawn as a choropleth of TCM physicians
        within reach per 10,000 residents (hidden at first).
    extra_layers
        Further layers (e.g. chosen sites), drawn on top and listed in the layer control; their
        coordinates must already be in the basemap's datum.
    extra_legend
        ``(colour, label)`` rows appended to the legend (for ``extra_layers``).
    """

    counties: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame | None = None
    township_table: pd.DataFrame | None = None
    isochrones: gpd.GeoDataFrame | None = None
    fca_areas: gpd.GeoDataFrame | None = None
    extra_layers: Sequence[folium.map.Layer] = ()
    extra_legend: Sequence[tuple[str, str]] = ()
