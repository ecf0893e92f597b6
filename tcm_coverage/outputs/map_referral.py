"""The referral map layer: a line from each village clinic to the 中医馆 centre it refers to,
coloured by the car minutes (hidden at first; switch it on in the layer control)."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np
import shapely

from tcm_coverage.i18n import text
from tcm_coverage.outputs.map_page import GeoJsonLayer, compact_geojson, prepare_layer

__all__ = ["REFERRAL_LINE_COLOURS", "referral_layer"]

#: (upper minutes, colour) of the clinic -> 中医馆 lines by car: within 15, within 30, beyond.
REFERRAL_LINE_COLOURS: tuple[tuple[float, str], ...] = ((15.0, "#1a9850"), (30.0, "#fdae61"),
                                                        (float("inf"), "#d73027"))


def referral_layer(clinics: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *, datum: str = "wgs84",
                   lang: str = "zh") -> GeoJsonLayer | None:
    """Lines clinic -> nearest 中医馆 centre by car (``f_zhongyiguan_car``), with the minutes.

    Parameters
    ----------
    clinics
        :attr:`tcm_coverage.workflows.AnalysisRun.referral_clinics`.
    facilities
        The run's facilities (``facility_id``, ``name``, geometry).
    datum
        The basemap's datum (``gcj02`` for Amap).
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    GeoJsonLayer or None
        ``None`` when no clinic reaches a centre.
    """
    ids = facilities["facility_id"].astype(str).to_numpy()
    target = clinics["f_zhongyiguan_car"].astype(str).to_numpy()
    pos = {fid: i for i, fid in enumerate(ids)}
    ok = np.array([t in pos for t in target], dtype=bool)
    if not ok.any():
        return None
    idx = np.array([pos[t] for t in target[ok]], dtype=np.int64)
    a = clinics.geometry.to_numpy()[ok]
    b = facilities.geometry.to_numpy()[idx]
    coords = np.stack([shapely.get_coordinates(a), shapely.get_coordinates(b)], axis=1)
    minutes = clinics["t_zhongyiguan_car"].to_numpy(float)[ok]
    colour = np.select([minutes <= lim for lim, _ in REFERRAL_LINE_COLOURS],
                       [c for _, c in REFERRAL_LINE_COLOURS], REFERRAL_LINE_COLOURS[-1][1])
    names = facilities["name"].astype(str).to_numpy()[idx]
    lines = gpd.GeoDataFrame({
        "label": [text("outputs.dec_map_line", lang, clinic=html.escape(str(c)), centre=html.escape(str(n)),
                       minutes=m) for c, n, m in zip(clinics["name"].to_numpy()[ok], names, minutes, strict=True)],
        "colour": colour}, geometry=shapely.linestrings(coords), crs=4326)
    lines = prepare_layer(lines, datum)
    return GeoJsonLayer(
        compact_geojson(lines[["label", "colour", "geometry"]]), name=text("outputs.dec_map_layer", lang),
        show=False, style_function=lambda f: {"color": f["properties"]["colour"], "weight": 2, "opacity": 0.8},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False))
