"""Reading a road network file: ``.osm.pbf`` with pyrosm, OSM XML and GraphML through osmnx.

:func:`read_network` chooses the reader by the file's ending (:data:`ACCEPTED_EXTENSIONS`),
applies the tag rules of :mod:`~tcm_coverage.network.tags` and keeps only the segments that
intersect the (buffered) boundary. The PBF reader makes one segment per pair of consecutive
way nodes; the OSM XML and GraphML readers are in :mod:`~tcm_coverage.network.osmnx_graph`.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyrosm
import shapely
from pyrosm.utils import get_bounding_box

from tcm_coverage._errors import InputError, NetworkError
from tcm_coverage._geo import WGS84, buffer_lonlat, transform_geoms
from tcm_coverage.inputs import boundary_geometry
from tcm_coverage.network.model import (
    RawNodes,
    RawSegments,
    RoadNetwork,
    assemble_network,
    subset_network,
)
from tcm_coverage.network.osmnx_graph import read_osmnx_file
from tcm_coverage.network.tags import (
    ACCESS_KEYS,
    access_from_tags,
    is_area,
    is_grade_separated,
    oneway_from_tags,
    parse_maxspeed_array,
    pick_highway,
)

logger = logging.getLogger(__name__)

__all__ = ["ACCEPTED_EXTENSIONS", "read_network"]

#: File name endings accepted by :func:`read_network`.
ACCEPTED_EXTENSIONS: tuple[str, ...] = (".osm.pbf", ".pbf", ".osm", ".xml", ".graphml")

#: Tags pyrosm's "all" network does not keep by default but the access rules read.
_PBF_EXTRA_TAGS = ("vehicle",)


def _fmt_bounds(bounds: Any) -> str:
    if bounds is None:
        return "unknown"
    x0, y0, x1, y1 = (float(b) for b in bounds)
    return f"lon {x0:.4f}..{x1:.4f}, lat {y0:.4f}..{y1:.4f}"


def _no_roads_error(path: Path, area: shapely.Geometry, file_bounds: Any) -> NetworkError:
    return NetworkError(
        f"{path}: no roads inside the boundary (buffered) at {_fmt_bounds(shapely.bounds(area))}; "
        f"the file covers {_fmt_bounds(file_bounds)}. Check that the OSM extract covers the "
        "county and that the boundary is in WGS-84 lon/lat."
    )


def _pyrosm_network(path: Path, area: shapely.Geometry | None) -> tuple[Any, pd.DataFrame]:
    """pyrosm's nodes (or None) and edges of every way of the file inside ``area``."""
    try:
        with warnings.catch_warnings():
            # an empty area is reported by us, with both extents
            warnings.filterwarnings("ignore", message="Could not find any", category=UserWarning)
            osm = pyrosm.OSM(str(path), bounding_box=area)
            result = osm.get_network(network_type="all", nodes=True,
                                     extra_attributes=list(_PBF_EXTRA_TAGS))
    except Exception as exc:  # pyrosm raises assorted errors on a bad file
        raise InputError(
            f"could not read the OSM PBF file ({type(exc).__name__}: {exc}).",
            path=path,
            fix="Download the extract again (e.g. from Geofabrik) or convert it with osmium.",
        ) from exc
    nodes, edges = result if isinstance(result, tuple) else (None, result)
    if edges is None or len(edges) == 0:
        if area is not None:
            try:
                fb = get_bounding_box(str(path))
                fb = None if fb is None else fb.bounds
            except Exception:  # noqa: BLE001 - the bounds are only for the message
                fb = None
            raise _no_roads_error(path, area, fb)
        raise NetworkError(f"{path}: the file contains no roads.")
    return nodes, edges


def _column(edges: pd.DataFrame, key: str) -> np.ndarray | None:
    """The raw values of one tag column (object array), None when pyrosm has no such column."""
    return edges[key].to_numpy(dtype=object) if key in edges else None


def _pbf_segments(edges: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, RawSegments]:
    """OSM ids of each edge's ends and its segment, ``oneway=-1`` edges swapped to ``u -> v``."""
    n_e = len(edges)
    uid = edges["u"].to_numpy(dtype=np.int64)
    vid = edges["v"].to_numpy(dtype=np.int64)
    geoms = np.asarray(edges.geometry.values, dtype=object)
    highway = np.array([pick_highway(h) or "" for h in edges["highway"].to_numpy()], dtype=object)
    oneway, reverse = oneway_from_tags(_column(edges, "oneway"), _column(edges, "junction"), n_e)
    maxspeed = (parse_maxspeed_array(edges["maxspeed"].to_numpy(dtype=object))
                if "maxspeed" in edges else np.full(n_e, np.nan))
    access = access_from_tags(
        {key: edges[key].to_numpy(dtype=object) for key in ACCESS_KEYS if key in edges},
        oneway=oneway, reversed_=reverse)
    # swap oneway=-1 segments so that u -> v is the legal direction
    uid, vid = np.where(reverse, vid, uid), np.where(reverse, uid, vid)
    if reverse.any():
        geoms = geoms.copy()
        geoms[reverse] = shapely.reverse(geoms[reverse])
    seg = RawSegments(u=uid, v=vid, highway=highway, oneway=oneway, maxspeed_kmh=maxspeed,
                      geometry_ll=geoms, area=is_area(_column(edges, "area"), n_e),
                      access=access,
                      grade_separated=is_grade_separated(_column(edges, "tunnel"),
                                                         _column(edges, "bridge"), n_e))
    return uid, vid, seg


def _pbf_nodes(nodes: Any, uid: np.ndarray, vid: np.ndarray,
               geoms: np.ndarray) -> tuple[RawNodes, np.ndarray, np.ndarray]:
    """The node table and each segment's end indices into it.

    Ids in first-seen order; coordinates from pyrosm's nodes frame when present, else from
    the segment geometry's end points (``u`` is the first point: the geometries of swapped
    ``oneway=-1`` segments were reversed too).
    """
    all_ids = np.concatenate([uid, vid])
    ids, first = np.unique(all_ids, return_index=True)
    order = np.argsort(first, kind="stable")
    ids = ids[order]
    start = shapely.get_coordinates(shapely.get_point(geoms, 0))
    end = shapely.get_coordinates(shapely.get_point(geoms, -1))
    ends = np.concatenate([start, end])
    xy = ends[first[order]]
    if nodes is not None and len(nodes):
        nid = nodes["id"].to_numpy(dtype=np.int64)
        srt = np.argsort(nid)
        pos = np.searchsorted(nid[srt], ids)
        pos = np.clip(pos, 0, len(nid) - 1)
        found = nid[srt][pos] == ids
        xy[found, 0] = nodes["lon"].to_numpy(dtype=np.float64)[srt][pos[found]]
        xy[found, 1] = nodes["lat"].to_numpy(dtype=np.float64)[srt][pos[found]]
    sorter = np.argsort(ids)
    u_idx = sorter[np.searchsorted(ids, uid, sorter=sorter)]
    v_idx = sorter[np.searchsorted(ids, vid, sorter=sorter)]
    return RawNodes(node_id=ids, lon=xy[:, 0], lat=xy[:, 1]), u_idx, v_idx


def _read_pbf(path: Path, area: shapely.Geometry | None) -> RoadNetwork:
    nodes, edges = _pyrosm_network(path, area)
    uid, vid, seg = _pbf_segments(edges)
    raw_nodes, u_idx, v_idx = _pbf_nodes(nodes, uid, vid, seg.geometry_ll)
    return assemble_network(raw_nodes, replace(seg, u=u_idx, v=v_idx), source=str(path))


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
    keep = shapely.intersects(area_m, net.geometry_m)
    if not keep.any():
        bounds = shapely.total_bounds(transform_geoms(net.geometry_m, net.crs_m, WGS84))
        raise _no_roads_error(p, area, bounds)
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
        ``.osm.pbf``/``.pbf`` (read with pyrosm, one segment per pair of consecutive way
        nodes), ``.osm``/``.xml`` (OSM XML, read with ``osmnx.graph_from_xml`` and
        simplified with ``osmnx.simplify_graph(edge_attrs_differ=("highway", "maxspeed",
        "oneway"))`` so merged edges never mix road classes) or ``.graphml`` (saved by
        ``osmnx.save_graphml``).
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
    net = _read_pbf(p, area) if ext in (".osm.pbf", ".pbf") else read_osmnx_file(p, ext)
    if net.access is not None and net.access.tags_missing:
        logger.warning(
            "%s carries no %s tags (a GraphML keeps only the attributes it was saved with): "
            "those access rules cannot be applied; read the .osm.pbf or .osm file instead to "
            "apply them", p, ", ".join(net.access.tags_missing))
    if area is not None:
        net = _clip(net, area, p)
    logger.info("%s: %d nodes, %d segments", p, net.n_nodes, net.n_segments)
    return net
