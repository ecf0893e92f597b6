"""The basemaps a map can draw on (tile URL, attribution, subdomains, datum), apart from the map
page so that checking a configuration's basemap does not import folium."""

from __future__ import annotations

__all__ = ["BASEMAPS"]

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
