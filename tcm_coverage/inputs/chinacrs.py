"""Chinese map datums: WGS-84 ⇄ GCJ-02 ⇄ BD-09, vectorised with numpy.

Chinese web maps do not publish WGS-84 coordinates:

* **GCJ-02** (国测局坐标, "Mars coordinates" / 火星坐标) is used by Amap/Gaode (高德), Tencent (腾讯)
  and Google Maps inside China. It shifts WGS-84 by a smooth, non-linear offset of a few hundred
  metres.
* **BD-09** (百度坐标) is Baidu's further shift of GCJ-02.

The forward GCJ-02 transform is the standard published algorithm (Krasovsky 1940 ellipsoid,
``a = 6378245.0``, ``ee = 0.00669342162296594323`` and the well-known ``transformlat`` /
``transformlon`` polynomials). The inverse has no closed form; :func:`gcj02_to_wgs84` solves it by
fixed-point iteration to better than 1e-9 degrees. Outside China (by the rough bounding box of
:func:`in_china`) no offset is applied, which is the standard convention.

All functions take array-likes (or scalars) and return float64 ndarrays (0-d for scalar input).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from os import PathLike
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from tcm_coverage._errors import CRSError, InputError

logger = logging.getLogger(__name__)

__all__ = [
    "DATUMS",
    "DATUM_ALIASES",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "normalize_datum",
    "to_wgs84_frame",
    "transform_geometries",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = NDArray[np.float64]

#: Semi-major axis of the Krasovsky 1940 ellipsoid used by the GCJ-02 algorithm (metres).
_A = 6378245.0
#: First eccentricity squared of the Krasovsky 1940 ellipsoid.
_EE = 0.00669342162296594323
#: BD-09 constant.
_X_PI = np.pi * 3000.0 / 180.0

#: Rough bounding box of China used by the GCJ-02 algorithm (lon_min, lon_max, lat_min, lat_max).
CHINA_BBOX: tuple[float, float, float, float] = (72.004, 137.8347, 0.8293, 55.8271)

#: Iteration limits of the inverse transforms.
_TOL_DEG = 1e-9
_MAX_ITER = 30

#: The three canonical datum names.
DATUMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

#: Accepted spellings (after lower-casing and removing spaces, hyphens and underscores).
DATUM_ALIASES: dict[str, str] = {
    # WGS-84
    "wgs84": "wgs84",
    "wgs": "wgs84",
    "epsg:4326": "wgs84",
    "epsg4326": "wgs84",
    "4326": "wgs84",
    "gps": "wgs84",
    "wgs1984": "wgs84",
    # GCJ-02
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "火星": "gcj02",
    "火星坐标": "gcj02",
    "火星坐标系": "gcj02",
    "国测局": "gcj02",
    "国测局坐标": "gcj02",
    "高德": "gcj02",
    "高德地图": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "腾讯": "gcj02",
    "腾讯地图": "gcj02",
    "tencent": "gcj02",
    "qq": "gcj02",
    "谷歌中国": "gcj02",
    "mars": "gcj02",
    # BD-09
    "bd09": "bd09",
    "bd09ll": "bd09",
    "百度": "bd09",
    "百度地图": "bd09",
    "百度坐标": "bd09",
    "baidu": "bd09",
}

_SHOWN_ALIASES = (
    "wgs84 (WGS-84, EPSG:4326, 4326, gps); "
    "gcj02 (GCJ-02, gcj, 火星, 火星坐标, 国测局, 高德, amap, gaode, 腾讯, tencent, qq, 谷歌中国); "
    "bd09 (BD-09, bd09ll, 百度, baidu)"
)


def normalize_datum(name: str) -> str:
    """Return the canonical datum name for one of its many spellings.

    Parameters
    ----------
    name
        A datum name such as ``"WGS-84"``, ``"EPSG:4326"``, ``"GCJ-02"``, ``"火星坐标"``,
        ``"高德"``, ``"amap"``, ``"腾讯"``, ``"BD-09"`` or ``"百度"``. Case, spaces, hyphens and
        underscores are ignored.

    Returns
    -------
    str
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``.

    Raises
    ------
    CRSError
        When the name is not recognised; the message lists the accepted names.
    """
    key = re.sub(r"[\s\-_]+", "", str(name)).lower()
    try:
        return DATUM_ALIASES[key]
    except KeyError:
        raise CRSError(
            f"unknown coordinate datum {name!r}",
            fix=f"use one of: {_SHOWN_ALIASES}",
        ) from None


def _as_float(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    lon_a, lat_a = np.broadcast_arrays(lon_a, lat_a)
    return lon_a.copy(), lat_a.copy()


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Return whether points fall in the rough bounding box the GCJ-02 algorithm applies to.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees.

    Returns
    -------
    ndarray of bool
        ``True`` where ``72.004 <= lon <= 137.8347`` and ``0.8293 <= lat <= 55.8271``
        (``False`` for NaN).
    """
    lon_a, lat_a = _as_float(lon, lat)
    lon0, lon1, lat0, lat1 = CHINA_BBOX
    return (lon_a >= lon0) & (lon_a <= lon1) & (lat_a >= lat0) & (lat_a <= lat1)


def _transform_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS-84 points; zero outside China."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 lon/lat to GCJ-02 (Amap, Tencent) with the standard published algorithm.

    Parameters
    ----------
    lon, lat
        WGS-84 longitudes and latitudes in degrees (array-like or scalars).

    Returns
    -------
    lon, lat : ndarray of float64
        GCJ-02 coordinates. Points outside China (:func:`in_china`) are returned unchanged; NaN
        stays NaN.
    """
    lon_a, lat_a = _as_float(lon, lat)
    dlon, dlat = _gcj_offset(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    lon: FloatArray,
    lat: FloatArray,
    start: tuple[FloatArray, FloatArray] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(x) = (lon, lat)`` by fixed-point iteration, vectorised over all points."""
    shape = lon.shape
    lon = lon.ravel()
    lat = lat.ravel()
    if start is None:
        x, y = lon.copy(), lat.copy()
    else:
        x, y = start[0].ravel().copy(), start[1].ravel().copy()
    active = np.isfinite(lon) & np.isfinite(lat)
    for _ in range(_MAX_ITER):
        if not active.any():
            break
        fx, fy = forward(x[active], y[active])
        ex = fx - lon[active]
        ey = fy - lat[active]
        x[active] -= ex
        y[active] -= ey
        done = np.maximum(np.abs(ex), np.abs(ey)) < _TOL_DEG
        idx = np.flatnonzero(active)
        active[idx[done]] = False
    if active.any():
        logger.warning("datum inverse did not converge for %d point(s)", int(active.sum()))
    return x.reshape(shape), y.reshape(shape)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat back to WGS-84 by iterating the forward transform.

    Starting from ``wgs = gcj`` the estimate is repeatedly corrected by
    ``wgs -= wgs84_to_gcj02(wgs) - gcj`` until the residual is below 1e-9 degrees (at most 30
    iterations; in practice 3–4), so the result is exact to well under a centimetre.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitudes and latitudes in degrees.

    Returns
    -------
    lon, lat : ndarray of float64
        WGS-84 coordinates.
    """
    lon_a, lat_a = _as_float(lon, lat)
    return _invert(wgs84_to_gcj02, lon_a, lat_a)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat to Baidu BD-09 (standard ``x_pi = π·3000/180`` formulas).

    Parameters
    ----------
    lon, lat
        GCJ-02 longitudes and latitudes in degrees.

    Returns
    -------
    lon, lat : ndarray of float64
        BD-09 coordinates.
    """
    x, y = _as_float(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert Baidu BD-09 lon/lat to GCJ-02.

    The usual closed-form inverse is only accurate to about 1e-6 degrees; it is used as the
    starting value of the same fixed-point iteration as :func:`gcj02_to_wgs84`, which makes the
    result exact to 1e-9 degrees.

    Parameters
    ----------
    lon, lat
        BD-09 longitudes and latitudes in degrees.

    Returns
    -------
    lon, lat : ndarray of float64
        GCJ-02 coordinates.
    """
    lon_a, lat_a = _as_float(lon, lat)
    return _invert(gcj02_to_bd09, lon_a, lat_a, start=_bd09_to_gcj02_approx(lon_a, lat_a))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 lon/lat to Baidu BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat
        WGS-84 longitudes and latitudes in degrees.

    Returns
    -------
    lon, lat : ndarray of float64
        BD-09 coordinates.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert Baidu BD-09 lon/lat to WGS-84 (iteratively, via GCJ-02).

    Parameters
    ----------
    lon, lat
        BD-09 longitudes and latitudes in degrees.

    Returns
    -------
    lon, lat : ndarray of float64
        WGS-84 coordinates.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_STEPS: dict[tuple[str, str], Callable[[ArrayLike, ArrayLike], tuple[FloatArray, FloatArray]]] = {
    ("wgs84", "gcj02"): wgs84_to_gcj02,
    ("gcj02", "wgs84"): gcj02_to_wgs84,
    ("wgs84", "bd09"): wgs84_to_bd09,
    ("bd09", "wgs84"): bd09_to_wgs84,
    ("gcj02", "bd09"): gcj02_to_bd09,
    ("bd09", "gcj02"): bd09_to_gcj02,
}


def convert(
    lon: ArrayLike, lat: ArrayLike, *, src: str, dst: str = "wgs84"
) -> tuple[FloatArray, FloatArray]:
    """Convert lon/lat between any two of WGS-84, GCJ-02 and BD-09.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees in the ``src`` datum.
    src, dst
        Datum names (any spelling accepted by :func:`normalize_datum`).

    Returns
    -------
    lon, lat : ndarray of float64
        Coordinates in ``dst`` (a float64 copy when ``src == dst``).
    """
    s = normalize_datum(src)
    d = normalize_datum(dst)
    if s == d:
        return _as_float(lon, lat)
    return _STEPS[(s, d)](lon, lat)


def transform_geometries(geoms: Any, *, src: str, dst: str = "wgs84") -> NDArray[np.object_]:
    """Convert the vertices of shapely geometries between datums.

    Parameters
    ----------
    geoms
        A shapely geometry, a sequence / ndarray of them or a GeoSeries (lon/lat coordinates).
        Any geometry type works (Point, LineString, Polygon, Multi*, collections).
    src, dst
        Datum names (any spelling accepted by :func:`normalize_datum`).

    Returns
    -------
    ndarray of shapely geometries
        New geometries (inputs are not modified); all vertices converted in one vectorised call.
    """
    s = normalize_datum(src)
    d = normalize_datum(dst)
    arr = np.asarray(geoms, dtype=object)
    if s == d:
        return arr.copy()

    def _func(coords: FloatArray) -> FloatArray:
        x, y = convert(coords[:, 0], coords[:, 1], src=s, dst=d)
        return np.column_stack([x, y])

    return shapely.transform(arr, _func)


def to_wgs84_frame(gdf: Any, *, datum: str) -> Any:
    """Return a copy of a GeoDataFrame with its geometry converted to WGS-84, tagged EPSG:4326.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Frame whose geometry is lon/lat in ``datum``. Its CRS tag, if it is geographic, is
        ignored (GCJ-02 data are routinely tagged EPSG:4326). A projected frame is reprojected to
        EPSG:4326 and assumed WGS-84-based (GCJ-02 and BD-09 only exist as lon/lat); a warning is
        logged if ``datum`` says otherwise.
    datum
        Datum of the coordinates (any spelling accepted by :func:`normalize_datum`).

    Returns
    -------
    geopandas.GeoDataFrame
        Converted copy with ``crs`` EPSG:4326.
    """
    src = normalize_datum(datum)
    out = gdf.copy()
    if out.crs is not None and out.crs.is_projected:
        if src != "wgs84":
            logger.warning(
                "data in projected CRS %s are assumed WGS-84-based; datum %r ignored",
                out.crs.to_string(), datum,
            )
        return out.to_crs(4326)
    geoms = transform_geometries(out.geometry.values, src=src, dst="wgs84")
    name = out.geometry.name
    out[name] = gpd.GeoSeries(geoms, index=out.index, crs=None)
    return out.set_crs(4326, allow_override=True)


def validate_lonlat(
    lon: ArrayLike,
    lat: ArrayLike,
    *,
    path: str | PathLike[str] | None = None,
    rows: ArrayLike | None = None,
) -> None:
    """Check that lon/lat values look like coordinates inside China (shared by the loaders).

    Checks, in this order, and raises for the first problem found: blank or non-numeric values
    (NaN), zeros, swapped latitude/longitude (latitude in 72–138 and longitude in 0–56), and
    points outside China's bounding box.

    Parameters
    ----------
    lon, lat
        Float arrays, NaN where the cell was blank or not a number.
    path
        The file, for the error message.
    rows
        Spreadsheet-style row numbers aligned with ``lon``/``lat`` (default: 2, 3, ...).

    Raises
    ------
    InputError
        Naming the file, up to 10 offending rows and the fix.
    """
    lon_a, lat_a = _as_float(lon, lat)
    lon_a = lon_a.ravel()
    lat_a = lat_a.ravel()
    rows_a = (
        np.arange(2, lon_a.size + 2) if rows is None else np.asarray(rows).ravel()
    )
    blank = ~np.isfinite(lon_a) | ~np.isfinite(lat_a)
    zero = ~blank & ((lon_a == 0) | (lat_a == 0))
    rest = ~blank & ~zero
    swapped = rest & (lat_a >= 72) & (lat_a <= 138) & (lon_a >= 0) & (lon_a <= 56)
    outside = rest & ~swapped & ~in_china(lon_a, lat_a)
    checks = [
        (blank, "longitude/latitude is blank or not a number",
         "fill in decimal-degree longitude (经度) and latitude (纬度) for these rows"),
        (zero, "longitude/latitude is 0",
         "fill in the real coordinates; 0 usually means the location was never geocoded"),
        (swapped, "latitude and longitude look swapped (a latitude of 72–138 is a longitude)",
         "swap the longitude (经度, ~73–135 in China) and latitude (纬度, ~18–54) values"),
        (outside, "coordinates are outside China",
         "check the values are decimal degrees (e.g. 112.9, 36.3), not degrees-minutes, "
         "metres or projected coordinates"),
    ]
    for mask, message, fix in checks:
        if mask.any():
            bad = [int(r) for r in rows_a[mask]]
            raise InputError(message, path=path, row=bad[0] if len(bad) == 1 else bad, fix=fix)
