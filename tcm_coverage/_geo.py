"""The one projection rule: which metric CRS a place is measured in, and reprojecting to it.

Distances (off-road legs, buffers, clusters, nearest areas) are measured in the WGS-84 UTM
zone of the place, chosen by :func:`utm_crs` from one lon/lat point. A road network uses the
mean of its nodes (:class:`~tcm_coverage.network.RoadNetwork.crs_m`), a table of points or
polygons the centre of its lon/lat bounding box (:func:`frame_utm_crs`, the point
``GeoDataFrame.estimate_utm_crs`` uses), a single geometry its centroid
(:func:`buffer_lonlat`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import shapely

# pyproj and shapely are imported by the functions that project (a module that only imports
# one of these, e.g. the coverage tables of a redraw from stored area codes, loads neither).

__all__ = ["WGS84", "buffer_lonlat", "frame_utm_crs", "transform_geoms", "utm_crs"]

#: The lon/lat CRS every input is converted to.
WGS84 = "EPSG:4326"


def utm_crs(lon: float, lat: float) -> str:
    """EPSG code string of the WGS-84 UTM zone containing (lon, lat).

    Parameters
    ----------
    lon, lat : float
        WGS-84 degrees.

    Returns
    -------
    str
        ``"EPSG:326zz"`` north of the equator (and on it), ``"EPSG:327zz"`` south of it.
    """
    zone = int(np.clip(math.floor((lon + 180.0) / 6.0) + 1, 1, 60))
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def frame_utm_crs(frame: Any) -> str:
    """The UTM zone of a GeoDataFrame or GeoSeries: :func:`utm_crs` of its bounding-box centre.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame or geopandas.GeoSeries
        With a CRS; a projected frame's bounds are converted to lon/lat first.

    Returns
    -------
    str
        ``"EPSG:326zz"`` or ``"EPSG:327zz"``.

    Raises
    ------
    ValueError
        The frame has no CRS.
    """
    if frame.crs is None:
        raise ValueError("the frame has no CRS: cannot choose its UTM zone")
    import pyproj  # noqa: PLC0415 - deferred on purpose (see the imports)

    x0, y0, x1, y1 = (float(b) for b in frame.total_bounds)
    crs = pyproj.CRS(frame.crs)
    if not crs.is_geographic:
        tr = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
        x0, y0, x1, y1 = tr.transform_bounds(x0, y0, x1, y1)
    return utm_crs((x0 + x1) / 2.0, (y0 + y1) / 2.0)


def transform_geoms(geoms: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Reproject an array of shapely geometries with one pyproj call.

    Parameters
    ----------
    geoms : numpy.ndarray
        (k,) object array of shapely geometries in ``src``.
    src, dst : str
        CRS of the input and of the result (anything pyproj accepts).

    Returns
    -------
    numpy.ndarray
        (k,) new geometries in ``dst``; the input is not changed.
    """
    import pyproj  # noqa: PLC0415 - deferred on purpose (see the imports)
    import shapely  # noqa: PLC0415

    tr = pyproj.Transformer.from_crs(src, dst, always_xy=True)

    def _fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, _fn)


def buffer_lonlat(geom: shapely.Geometry, buffer_m: float) -> shapely.Geometry:
    """Buffer a lon/lat geometry by metres (in the UTM zone of its centroid).

    Parameters
    ----------
    geom : shapely.Geometry
        In WGS-84 lon/lat.
    buffer_m : float
        Metres; ``<= 0`` returns ``geom`` unchanged.

    Returns
    -------
    shapely.Geometry
        The buffered geometry, in lon/lat.
    """
    import shapely  # noqa: PLC0415 - deferred on purpose (see the imports)

    if buffer_m <= 0:
        return geom
    cx, cy = shapely.get_coordinates(shapely.centroid(geom))[0]
    crs = utm_crs(float(cx), float(cy))
    g_m = transform_geoms(np.array([geom], dtype=object), WGS84, crs)[0]
    return transform_geoms(np.array([g_m.buffer(buffer_m)], dtype=object), crs, WGS84)[0]
