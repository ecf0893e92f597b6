"""A Leaflet page: basemaps, layers ready to draw, and the page as one HTML file.

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
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import folium
import geopandas as gpd
import shapely

from tcm_coverage._errors import InputError, OutputError
from tcm_coverage.i18n import text
from tcm_coverage.inputs import transform_geometries
from tcm_coverage.outputs.basemaps import BASEMAPS

__all__ = ["BASEMAPS", "base_map", "compact_geojson", "map_html", "prepare_layer", "save_map"]

_TIANDITU_LABELS = ("https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                    "&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}")

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
