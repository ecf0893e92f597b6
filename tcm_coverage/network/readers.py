"""Reading a road network file: OSM ``.osm.pbf`` and XML with pyosmium, GraphML through osmnx.

:func:`read_network` chooses the reader by the file's ending (:data:`ACCEPTED_EXTENSIONS`),
applies the tag rules of :mod:`~tcm_coverage.network.tags` and keeps only the segments that
intersect the (buffered) boundary. The OSM reader (:mod:`~tcm_coverage.network.osm_reader`)
makes one straight segment per pair of consecutive way nodes; the GraphML reader is in
:mod:`~tcm_coverage.network.osmnx_graph`.
"""

from __future__ import annotations

import logging
import math
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from tcm_coverage._errors import InputError
from tcm_coverage._geo import WGS84, buffer_lonlat, transform_geoms
from tcm_coverage.inputs import boundary_geometry
from tcm_coverage.network.model import RoadNetwork, subset_network
from tcm_coverage.network.osm_reader import fmt_bounds, no_roads_error, read_osm_file
from tcm_coverage.network.osmnx_graph import read_osmnx_file

logger = logging.getLogger(__name__)

__all__ = ["ACCEPTED_EXTENSIONS", "read_network"]

#: File name endings accepted by :func:`read_network`.
ACCEPTED_EXTENSIONS: tuple[str, ...] = (".osm.pbf", ".pbf", ".osm", ".xml", ".graphml")
#: Segments whose lines :func:`_clip` makes at a time (straight segments keep none).
_CLIP_CHUNK = 262_144


def _ends_match(path: Path) -> str | None:
    name = path.name.lower()
    for ext in ACCEPTED_EXTENSIONS:
        if name.endswith(ext):
            return ext
    return None


def _checked_extension(p: Path, buffer_m: float) -> str:
    """The accepted ending of ``p``, after checking the file exists and ``buffer_m`` >= 0."""
    ext = _ends_match(p)
    if ext is None:
        raise InputError(
            "unknown road network file type.",
            path=p,
            fix=f"Use one of: {', '.join(ACCEPTED_EXTENSIONS)}.",
        )
    if not p.is_file():
        raise InputError("file not found.", path=p, fix="Check the path to the OSM file.")
    if not (math.isfinite(float(buffer_m)) and buffer_m >= 0):
        raise InputError(f"buffer_m must be >= 0, got {buffer_m!r}.", fix="Use e.g. 5000.")
    return ext


def _clip(net: RoadNetwork, area: shapely.Geometry, p: Path) -> RoadNetwork:
    """The segments of ``net`` that intersect the lon/lat ``area``."""
    area_m = transform_geoms(np.array([area], dtype=object), WGS84, net.crs_m)[0]
    shapely.prepare(area_m)
    # the prepared polygon first: shapely then tests every segment against it
    keep = np.zeros(net.n_segments, dtype=bool)
    for lo in range(0, net.n_segments, _CLIP_CHUNK):  # lines made a chunk at a time
        keep[lo:lo + _CLIP_CHUNK] = shapely.intersects(
            area_m, net.lines_m(np.arange(lo, min(lo + _CLIP_CHUNK, net.n_segments))))
    if not keep.any():
        bounds = shapely.total_bounds(transform_geoms(net.lines_m(), net.crs_m, WGS84))
        raise no_roads_error(p, area, fmt_bounds(bounds))
    return net if keep.all() else subset_network(net, keep)


def read_network(
    path: str | PathLike[str],
    *,
    boundary: Any = None,
    buffer_m: float = 5000.0,
) -> RoadNetwork:
    """Read an OSM road network from a file.

    Parameters
    ----------
    path : str or PathLike
        ``.osm.pbf``/``.pbf`` or ``.osm``/``.xml`` (OSM XML), read with pyosmium in two
        passes that keep only the ways near the boundary, one straight segment per pair of
        consecutive way nodes
        (:func:`~tcm_coverage.network.osm_reader.read_osm_file`), or ``.graphml`` (saved by
        ``osmnx.save_graphml``, read with osmnx).
    boundary : GeoDataFrame, GeoSeries or shapely geometry, optional
        Area of interest in EPSG:4326 (a GeoDataFrame in another CRS is reprojected). Only
        segments intersecting it, buffered by ``buffer_m``, are kept.
    buffer_m : float, default 5000.0
        Buffer around the boundary in metres (in the boundary's UTM zone), so that roads
        just outside the county that residents use are kept.

    Returns
    -------
    RoadNetwork
        Segments of the classes in :data:`~tcm_coverage.network.profiles.ROAD_CLASSES`.

    Raises
    ------
    InputError
        Missing file, unknown extension, unreadable file, bad boundary.
    NetworkError
        No roads in the file or inside the boundary (the message gives both extents).
    """
    p = Path(path)
    ext = _checked_extension(p, buffer_m)
    area = None
    if boundary is not None:
        area = buffer_lonlat(boundary_geometry(boundary), float(buffer_m))
    net = read_osmnx_file(p, ext) if ext == ".graphml" else read_osm_file(p, area=area)
    if net.access is not None and net.access.tags_missing:
        logger.warning(
            "%s carries no %s tags (a GraphML keeps only the attributes it was saved with): "
            "those access rules cannot be applied; read the .osm.pbf or .osm file instead to "
            "apply them", p, ", ".join(net.access.tags_missing))
    if area is not None:
        net = _clip(net, area, p)
    logger.info("%s: %d nodes, %d segments", p, net.n_nodes, net.n_segments)
    return net
