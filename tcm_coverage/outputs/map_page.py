"""A Leaflet page: basemaps, layers ready to draw, and the page as one HTML file.

Basemaps: ``"osm"`` (OpenStreetMap, WGS-84), ``"amap"`` (高德, drawn in **GCJ-02**: every overlay
is shifted to GCJ-02 so it lines up with the streets), ``"tianditu"`` (天地图, CGCS2000 ≈ WGS-84,
needs a key) and ``"none"`` (no tiles, for offline intranets).

The page needs only Leaflet (no jQuery/Bootstrap): :func:`save_map` (``self_contained=True``,
the default) inlines Leaflet's JS, CSS and images (bundled under ``tcm_coverage/static``,
BSD-2-Clause) so the file renders with no network at all (the vector layers draw; the basemap
tiles need a connection); ``self_contained=False`` links the jsdelivr CDN instead (about 150 kB
smaller, needs a connection).
Geometry is simplified and coordinates cut to 5 decimals (about 1 m) to keep a county map small.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import tempfile
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from folium.features import GeoJsonStyleMapper
from folium.map import Layer
from folium.utilities import get_obj_in_upper_tree
from jinja2.utils import htmlsafe_json_dumps

from tcm_coverage._errors import InputError, OutputError
from tcm_coverage.i18n import text
from tcm_coverage.inputs import transform_geometries
from tcm_coverage.outputs.basemaps import BASEMAPS

__all__ = ["BASEMAPS", "GeoJsonLayer", "MapCache", "base_map", "compact_geojson", "map_html", "prepare_layer",
           "save_map", "simplify_valid"]

_TIANDITU_LABELS = ("https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                    "&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}")

_STATIC = Path(__file__).resolve().parents[1] / "static" / "leaflet-1.9.3"
_LEAFLET_CDN = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/"


def compact_geojson(gdf: gpd.GeoDataFrame, decimals: int = 5) -> dict:
    """GeoJSON (a FeatureCollection) of a frame with coordinates rounded to 5 (about 1 m) or 4
    (about 10 m) decimals, and float properties to as many.

    Serialised straight from the shapely arrays (coordinates rounded with numpy, written by
    GEOS) and the columns (pandas' JSON writer): no Python loop over coordinates. A missing
    geometry is ``null``, a missing (NaN/None) property ``null``.
    """
    geoms = gdf.geometry.to_numpy()
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    text_geoms = shapely.to_geojson(rounded)
    geometry = json.loads("[" + ",".join("null" if g is None else g for g in text_geoms) + "]")
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    props = (json.loads(frame.to_json(orient="records", force_ascii=False, double_precision=decimals))
             if len(frame.columns) else [{} for _ in range(len(frame))])
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": p, "geometry": g}
                         for p, g in zip(props, geometry, strict=True)]}


class _Script(Element):
    """A script written into the page as it is (branca compiles every rendered script as a
    template again: for a county's isochrones that is megabytes parsed by Jinja for nothing)."""

    def __init__(self, script: str) -> None:
        super().__init__()
        self._script = script

    def render(self, **kwargs: Any) -> str:
        return self._script


class GeoJsonLayer(folium.GeoJson):
    """:class:`folium.GeoJson` that writes the same page, faster: the data are serialised once
    (as folium's ``tojson`` does) and put into the layer's script after it is rendered, instead
    of being rendered into it and parsed as a Jinja template again."""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # folium's returns None too
        self.parent_map = get_obj_in_upper_tree(self, folium.Map)  # type: ignore[assignment]
        data = self.data
        if (self.style or self.highlight) and data["features"]:
            mapper = GeoJsonStyleMapper(data, self.feature_identifier, self)
            if self.style:
                self.style_map = mapper.get_style_map(self.style_function)
            if self.highlight:
                self.highlight_map = mapper.get_highlight_map(self.highlight_function)
        env = self._template.environment
        dumps = env.policies["json.dumps_function"]
        dumps_kwargs = env.policies["json.dumps_kwargs"]
        # Tooltips and popups read the first feature's properties and the geometry types.
        first = [{"type": "Feature", "properties": dict.fromkeys(f.get("properties") or {}), "geometry": None}
                 for f in data.get("features", [])[:1]]
        placeholder = {"type": "FeatureCollection", "features": first, "tcm_data": self.get_name()}
        self.data = placeholder
        try:
            Layer.render(self, **kwargs)
        finally:
            self.data = data
        script = self.get_root().script  # type: ignore[attr-defined]
        name = self.get_name()
        rendered = script._children[name].render()
        marker = str(htmlsafe_json_dumps(placeholder, dumps=dumps, **dumps_kwargs))
        if rendered.count(marker) != 1:
            raise OutputError(f"cannot place the data of map layer {self.layer_name!r} in its script")
        full = str(htmlsafe_json_dumps(data, dumps=dumps, **dumps_kwargs))
        script._children[name] = _Script(rendered.replace(marker, full))


class MapCache:
    """What the layer builders of one map prepared (simplified, shifted, serialised), kept for a
    second map of the same layers and view: ``map.html`` and the map embedded in
    ``report.html`` differ only in their title block and layer control.

    The cache forgets everything when it is bound to other layers or another view.
    """

    def __init__(self) -> None:
        self._key: tuple = ()
        self._keep: tuple = ()
        self._items: dict[Hashable, Any] = {}

    def bind(self, frames: Sequence[object], view: Hashable) -> None:
        """Use the cache for these input frames (compared by identity) and this view."""
        key = (tuple(id(f) for f in frames), view)
        if key != self._key:
            self._key, self._keep, self._items = key, tuple(frames), {}

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The item ``key``, built by ``build()`` the first time."""
        if key not in self._items:
            self._items[key] = build()
        return self._items[key]


def simplify_valid(geoms: np.ndarray, tolerance_deg: float) -> np.ndarray:
    """Douglas-Peucker simplification (fast, not topology-preserving), redone with the
    topology-preserving algorithm for any geometry it left invalid or empty."""
    out = shapely.simplify(geoms, tolerance_deg, preserve_topology=False)
    redo = ~shapely.is_valid(out) | (shapely.is_empty(out) & ~shapely.is_empty(geoms))
    if redo.any():
        out = out.copy()
        out[redo] = shapely.simplify(geoms[redo], tolerance_deg, preserve_topology=True)
    return out


def prepare_layer(gdf: gpd.GeoDataFrame, datum: str, tolerance_deg: float = 0.0, *,
                  fast: bool = False) -> gpd.GeoDataFrame:
    """A WGS-84 layer ready to draw: simplified by ``tolerance_deg`` (0: not; ``fast``: with
    :func:`simplify_valid`, else topology-preserving), shifted to the basemap ``datum``
    (``gcj02`` for Amap); a copy, the input is not changed."""
    out = gdf.copy()
    geoms = out.geometry.to_numpy()
    if tolerance_deg > 0:
        geoms = (simplify_valid(geoms, tolerance_deg) if fast
                 else shapely.simplify(geoms, tolerance_deg, preserve_topology=True))
    if datum != "wgs84":
        geoms = transform_geometries(geoms, src="wgs84", dst=datum)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=4326))
    return out


def _tiles(fmap: folium.Map, basemap: str, tianditu_key: str | None, lang: str) -> None:
    url, attr, subdomains, _datum = BASEMAPS[basemap]
    if basemap == "none":
        return
    if basemap == "tianditu":
        if not tianditu_key:
            raise InputError("the Tianditu basemap needs a key (天地图 tk)",
                             fix="pass tianditu_key=... / --tianditu-key, or choose basemap osm/amap/none")
        folium.TileLayer(url.replace("{key}", tianditu_key), attr=attr, subdomains=subdomains,
                         name=text("outputs.map_tianditu", lang), max_zoom=18).add_to(fmap)
        folium.TileLayer(_TIANDITU_LABELS.replace("{key}", tianditu_key), attr=attr,
                         subdomains=subdomains, overlay=True, control=False,
                         name="天地图注记").add_to(fmap)
        return
    name = "OpenStreetMap" if basemap == "osm" else text("outputs.map_amap", lang)
    folium.TileLayer(url, attr=attr, subdomains=subdomains, name=name, max_zoom=19).add_to(fmap)


def base_map(bounds: Sequence[float], *, basemap: str = "osm", tianditu_key: str | None = None,
             lang: str = "zh") -> folium.Map:
    """An empty map fitted to ``bounds`` (minx, miny, maxx, maxy) with the chosen basemap, a
    scale bar, canvas rendering, and only Leaflet as a dependency (no jQuery/Bootstrap), so
    :func:`save_map` can make it self-contained.

    Parameters
    ----------
    bounds
        Lon/lat bounds in the basemap's datum.
    basemap, tianditu_key
        See :class:`tcm_coverage.outputs.maps.MapOptions`.
    lang
        Language of the layer names, ``"zh"`` or ``"en"``.

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
    _tiles(fmap, basemap, tianditu_key, lang)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


@functools.cache
def _inline_leaflet() -> tuple[str, str]:
    js = (_STATIC / "leaflet.js").read_text(encoding="utf-8")
    css = (_STATIC / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        png = (_STATIC / match.group(1)).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(png).decode("ascii") + ")"

    css = re.sub(r"url\((images/[\w\-]+\.png)\)", data_uri, css)
    return js, css


def map_html(fmap: folium.Map, *, self_contained: bool = True) -> str:
    """Render a map to one HTML string.

    Parameters
    ----------
    fmap : folium.Map
        The map (from :func:`coverage_map`).
    self_contained : bool, default True
        Inline Leaflet's JavaScript, CSS and images so the page renders with no network (tiles
        still need the network; choose ``basemap="none"`` for a blank background). ``False``:
        link Leaflet on the jsdelivr CDN (a smaller page that needs a connection).

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


def save_map(fmap: folium.Map | str, path: Path, *, self_contained: bool = True) -> Path:
    """Save a map as one HTML file, atomically (a temporary file renamed into place).

    Parameters
    ----------
    fmap : folium.Map or str
        The map, or its page already rendered by :func:`map_html` (written as it is).
    path : pathlib.Path
        Destination file.
    self_contained : bool, default True
        See :func:`map_html` (for a map, not a page).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    page = fmap if isinstance(fmap, str) else map_html(fmap, self_contained=self_contained)
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
