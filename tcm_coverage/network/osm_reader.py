"""Reading OSM files (XML ``.osm`` and ``.osm.pbf``) with pyosmium into arrays.

Two streaming passes of libosmium over the file, so that one county of a province file costs
about its share:

1. :func:`read_way_lines` (nodes and ways, node locations cached in C++): every way with a
   ``highway`` tag comes back as one WKB linestring, decoded in chunks with numpy; only the ways
   whose envelope meets the area's rectangle are kept.
2. :func:`read_osm_ways` (ways only, an ``IdFilter`` of the kept ways): their node ids and the
   tags the rules of :mod:`~tcm_coverage.network.tags` read; Python touches the kept ways only.

Measured on the synthetic province of issue 16 (34 MB PBF, 4.91 M nodes, 546 k ways), CPU s /
peak RSS of ``read_network`` in a process that also imported the package: one county 6.7 s /
0.41 GB (one pass before: 40.8 s / 1.40 GB; pyrosm's ``bounding_box`` read alone 9.8 s /
0.44 GB); the whole province 52.5 s / 4.30 GB (one pass: 71.4 s / 4.29 GB). The one pass spent
most of its time reading every node's location in Python; libosmium's bare pass is 3.3 s.

Everything after the passes is array code: a way of k nodes becomes k-1 straight segments (their
geometry is their two nodes, built only in :func:`~tcm_coverage.network.model.assemble_network`),
the tags are evaluated once per way and repeated onto its segments.

Why not osmnx for OSM XML: ``graph_from_xml`` builds a networkx graph node by node and
``simplify_graph`` walks it in Python (4–5 s of the demo county's 18,583 nodes, most of a run);
the same segments come out of this reader in a fraction of a second, without importing osmnx.
Ways whose nodes are missing from the file (an extract cut through a way) keep their segments
between nodes that are present.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

import numpy as np
import osmium
import shapely

from tcm_coverage._errors import InputError, NetworkError
from tcm_coverage.network.model import RawNodes, RawSegments, RoadNetwork, assemble_network
from tcm_coverage.network.profiles import ROAD_CLASSES
from tcm_coverage.network.tags import (
    ACCESS_KEYS,
    SegmentAccess,
    access_from_tags,
    is_area,
    is_grade_separated,
    oneway_from_tags,
    parse_maxspeed_array,
    pick_highway,
)

__all__ = ["OsmWays", "WayLines", "fmt_bounds", "no_roads_error", "read_osm_file", "read_osm_ways",
           "read_way_lines"]

#: Way tags the rules read.
WAY_TAGS: tuple[str, ...] = ("highway", "oneway", "junction", "maxspeed", "area", "tunnel",
                             "bridge", *ACCESS_KEYS)


@dataclass(frozen=True)
class OsmWays:
    """The highway ways of an OSM file, as flat arrays.

    Attributes
    ----------
    node_id, lon, lat
        (k,) the ways' nodes in way order, all ways one after the other (NaN coordinates for a
        node missing from the file).
    way_start
        (w+1,) offsets of each way's nodes in the flat arrays.
    tags
        Key of :data:`WAY_TAGS` -> (w,) object array of values (None when untagged).
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    way_start: np.ndarray
    tags: dict[str, np.ndarray]


def fmt_bounds(bounds: Sequence[float] | np.ndarray | None) -> str:
    """``lon x0..x1, lat y0..y1`` of lon/lat bounds, for messages (``unknown`` for ``None``)."""
    if bounds is None:
        return "unknown"
    x0, y0, x1, y1 = (float(b) for b in bounds)
    return f"lon {x0:.4f}..{x1:.4f}, lat {y0:.4f}..{y1:.4f}"


def no_roads_error(path: str | Path, area: shapely.Geometry, file_extent: str) -> NetworkError:
    """The error of a road file with no road inside the (buffered) boundary: both extents."""
    return NetworkError(
        f"{path}: no roads inside the boundary (buffered) at {fmt_bounds(shapely.bounds(area))}; "
        f"the file covers {file_extent}. Check that the OSM extract covers the county and that "
        "the boundary is in WGS-84 lon/lat.")


def _road_extent(ways: OsmWays) -> str:
    """The lon/lat extent of the file's ways of a road class (for messages)."""
    road = np.isin(np.array([pick_highway(h) or "" for h in ways.tags["highway"]], dtype=object),
                   np.array(ROAD_CLASSES, dtype=object))
    nodes = np.repeat(road, np.diff(ways.way_start)) & np.isfinite(ways.lon)
    if not nodes.any():
        return "no road of a known class"
    lon, lat = ways.lon[nodes], ways.lat[nodes]
    return fmt_bounds((lon.min(), lat.min(), lon.max(), lat.max()))


def _location(node: osmium.osm.NodeRef) -> tuple[float, float]:
    loc = node.location
    return (loc.lon, loc.lat) if loc.valid() else (np.nan, np.nan)


def _hex_line(nodes: osmium.osm.WayNodeList) -> str:
    """The WKB (hex) of a way the factory refuses (a missing node, < 2 nodes): NaN for missing."""
    xy = np.array([_location(n) for n in nodes], dtype="<f8").reshape(-1, 2)
    return f"0102000000{np.uint32(xy.shape[0]).astype('<u4').tobytes().hex()}{xy.tobytes().hex()}"


def _unreadable(path: str | Path, exc: Exception) -> InputError:
    return InputError(
        f"could not read the OSM file ({exc}).",
        path=path,
        fix="Download the extract again (e.g. from Geofabrik) or convert it with osmium.",
    )


@dataclass(frozen=True)
class WayLines:
    """Pass 1 over an OSM file: where the highway ways lie (no node ids, no tags).

    Attributes
    ----------
    way_id
        (w,) OSM way ids in file order.
    way_start
        (w+1,) offsets of each way's nodes in ``lon``/``lat``.
    lon, lat
        (k,) node coordinates in way order (NaN for a node missing from the file).
    complete
        Every highway way of the file is here (no bounds dropped one).
    """

    way_id: np.ndarray
    way_start: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    complete: bool


def _touching(lon: np.ndarray, lat: np.ndarray, n: np.ndarray,
              bounds: Sequence[float] | np.ndarray) -> np.ndarray:
    """(w,) bool: the envelope of each way (``n`` points each) meets the rectangle ``bounds``."""
    x0, y0, x1, y1 = (float(b) for b in bounds)
    some = np.flatnonzero(n > 0)
    out = np.zeros(n.shape[0], dtype=bool)
    if some.size:
        at = np.concatenate([[0], np.cumsum(n)])[some]
        with np.errstate(invalid="ignore"):  # a way of missing nodes only: NaN, not kept
            lo_x, hi_x = np.fmin.reduceat(lon, at), np.fmax.reduceat(lon, at)
            lo_y, hi_y = np.fmin.reduceat(lat, at), np.fmax.reduceat(lat, at)
        out[some] = (hi_x >= x0) & (lo_x <= x1) & (hi_y >= y0) & (lo_y <= y1)
    return out


#: Ways whose WKB hex strings are decoded together (bounds the text held at once).
_CHUNK = 8_192


@dataclass(frozen=True)
class _Chunk:
    way_id: np.ndarray
    n: np.ndarray
    lon: np.ndarray
    lat: np.ndarray


def _decoded(path: str | Path, ids: list[int], hexes: list[str],
             bounds: Sequence[float] | np.ndarray | None) -> _Chunk:
    """The little-endian WKB (hex) linestrings ``hexes`` as arrays, only those meeting bounds."""
    n = (np.fromiter(map(len, hexes), dtype=np.int64, count=len(hexes)) // 2 - 9) // 16
    raw = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8)
    start = np.concatenate([[0], np.cumsum(9 + 16 * n)])[:-1]  # 9 header bytes, 16 per point
    if raw.shape[0] != int((9 + 16 * n).sum()) or not (raw[start] == 1).all():
        raise NetworkError(f"{path}: unexpected WKB from libosmium (not little-endian points).")
    body = np.ones(raw.shape[0], dtype=bool)
    body[(start[:, None] + np.arange(9)).ravel()] = False
    xy = raw[body].view("<f8").reshape(-1, 2)
    way_id = np.asarray(ids, dtype=np.int64)
    if bounds is None:
        return _Chunk(way_id, n, xy[:, 0].copy(), xy[:, 1].copy())
    keep = _touching(xy[:, 0], xy[:, 1], n, bounds)
    node = np.repeat(keep, n)
    return _Chunk(way_id[keep], n[keep], xy[node, 0], xy[node, 1])


def _joined(chunks: list[_Chunk], complete: bool) -> WayLines:
    """One :class:`WayLines` of the chunks, freeing each chunk once copied (no double peak)."""
    n = np.concatenate([c.n for c in chunks])
    way_id = np.concatenate([c.way_id for c in chunks])
    lon, lat = np.empty(int(n.sum())), np.empty(int(n.sum()))
    at = 0
    while chunks:
        c = chunks.pop(0)
        lon[at:at + c.lon.shape[0]], lat[at:at + c.lon.shape[0]] = c.lon, c.lat
        at += c.lon.shape[0]
    return WayLines(way_id=way_id, way_start=np.concatenate([[0], np.cumsum(n)]), lon=lon,
                    lat=lat, complete=complete)


def read_way_lines(path: str | Path, *,
                   bounds: Sequence[float] | np.ndarray | None = None) -> WayLines:
    """Pass 1: the coordinates of the highway ways, built in libosmium (one WKB per way).

    The node locations are cached and joined to the ways in C++ and each way comes back as one
    WKB string, so Python makes two calls per way instead of several per node (the province
    of issue 16: 4.5 CPU s, against 3.3 s for the bare pass); the WKBs are decoded with numpy.

    Parameters
    ----------
    path
        ``.osm``/``.xml`` or ``.osm.pbf``/``.pbf``.
    bounds
        Keep only the ways whose envelope meets this lon/lat rectangle (x0, y0, x1, y1), so
        that one county of a province holds its share of the coordinates.

    Raises
    ------
    InputError
        libosmium could not read the file.
    """
    factory = osmium.geom.WKBFactory()
    every_node = osmium.geom.use_nodes.ALL
    ids: list[int] = []
    hexes: list[str] = []
    chunks: list[_Chunk] = []
    seen = 0
    try:
        processor = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
                     .with_locations()
                     .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                     .with_filter(osmium.filter.KeyFilter("highway")))
        for obj in processor:  # ways only (the entity filter)
            way = cast("osmium.osm.Way", obj)
            ids.append(way.id)
            try:
                hexes.append(factory.create_linestring(way, every_node))
            except (osmium.InvalidLocationError, RuntimeError):  # missing node, < 2 nodes
                hexes.append(_hex_line(way.nodes))
            if len(hexes) == _CHUNK:
                chunks.append(_decoded(path, ids, hexes, bounds))
                seen, ids, hexes = seen + len(ids), [], []
    except RuntimeError as exc:  # libosmium: bad XML, bad PBF blob, ...
        raise _unreadable(path, exc) from exc
    del processor  # the node location cache
    chunks.append(_decoded(path, ids, hexes, bounds))
    seen += len(ids)
    lines = _joined(chunks, complete=True)
    return lines if lines.way_id.shape[0] == seen else replace(lines, complete=False)


def read_osm_ways(path: str | Path, *, lines: WayLines | None = None) -> OsmWays:
    """The highway ways of an OSM XML or PBF file with their node ids and tags.

    Parameters
    ----------
    path
        ``.osm``/``.xml`` or ``.osm.pbf``/``.pbf``.
    lines
        Pass 1 (:func:`read_way_lines`) of the file, read here (all ways) when not given. Pass 2
        reads only the ways of the file (no nodes: their coordinates come from ``lines``) and
        hands Python the node ids and tags of the ways of ``lines`` only, so one county of a
        province costs its share.

    Returns
    -------
    OsmWays

    Raises
    ------
    InputError
        libosmium could not read the file.
    """
    lines = read_way_lines(path) if lines is None else lines
    ids: list[int] = []
    refs: list[int] = []
    counts: list[int] = []
    values: dict[str, list[str | None]] = {key: [] for key in WAY_TAGS}
    try:
        processor = osmium.FileProcessor(str(path), osmium.osm.WAY)
        if not lines.complete:
            processor = processor.with_filter(osmium.filter.IdFilter(lines.way_id.tolist()))
        for obj in processor.with_filter(osmium.filter.KeyFilter("highway")):
            way = cast("osmium.osm.Way", obj)
            nodes = way.nodes
            ids.append(way.id)
            refs.extend(n.ref for n in nodes)
            counts.append(len(nodes))
            tags = way.tags
            for key, column in values.items():
                column.append(tags.get(key))
    except RuntimeError as exc:
        raise _unreadable(path, exc) from exc
    way_start = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    if not (np.array_equal(np.asarray(ids, dtype=np.int64), lines.way_id)
            and np.array_equal(way_start, lines.way_start)):
        raise InputError("the file changed while it was read (the two passes differ).",
                         path=path, fix="Run again once the file is complete.")
    return OsmWays(node_id=np.asarray(refs, dtype=np.int64), lon=lines.lon, lat=lines.lat,
                   way_start=way_start,
                   tags={k: np.asarray(v, dtype=object) for k, v in values.items()})


def _segments(ways: OsmWays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat positions of each segment's two nodes and the way of each segment."""
    k = ways.node_id.shape[0]
    way_of_node = np.repeat(np.arange(ways.way_start.size - 1), np.diff(ways.way_start))
    a = np.arange(k - 1) if k else np.zeros(0, dtype=np.int64)
    same_way = way_of_node[a] == way_of_node[a + 1] if k else np.zeros(0, dtype=bool)
    present = np.isfinite(ways.lon)
    keep = same_way & present[a] & present[a + 1] & (ways.node_id[a] != ways.node_id[a + 1])
    a = a[keep]
    return a, a + 1, way_of_node[a]


def _in_area(ways: OsmWays, a: np.ndarray, b: np.ndarray, area: shapely.Geometry) -> np.ndarray:
    """(len(a),) bool: the straight segment a-b (flat node positions) intersects ``area``."""
    shapely.prepare(area)
    lon, lat = ways.lon, ways.lat
    inside = np.zeros(lon.shape[0], dtype=bool)
    x0, y0, x1, y1 = shapely.bounds(area)
    box = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    inside[box] = shapely.contains_xy(area, lon[box], lat[box])
    keep = inside[a] | inside[b]
    # both ends outside: the segment may still cross the area (only where the boxes overlap)
    cross = ~keep & ~((np.maximum(lon[a], lon[b]) < x0) | (np.minimum(lon[a], lon[b]) > x1)
                      | (np.maximum(lat[a], lat[b]) < y0) | (np.minimum(lat[a], lat[b]) > y1))
    if cross.any():
        i = np.flatnonzero(cross)
        lines = shapely.linestrings(np.stack([np.column_stack([lon[a[i]], lat[a[i]]]),
                                              np.column_stack([lon[b[i]], lat[b[i]]])], axis=1))
        keep[i] = shapely.intersects(area, lines)
    return keep


def _raw_network(ways: OsmWays, area: shapely.Geometry | None) -> tuple[RawNodes, RawSegments]:
    """Nodes (ids in first-seen order) and segments of the ways, tags evaluated per way."""
    a, b, way = _segments(ways)
    if area is not None:
        keep = _in_area(ways, a, b, area)
        a, b, way = a[keep], b[keep], way[keep]
    n_w = ways.way_start.size - 1
    highway = np.array([pick_highway(h) or "" for h in ways.tags["highway"]], dtype=object)
    oneway, reverse = oneway_from_tags(ways.tags["oneway"], ways.tags["junction"], n_w)
    access = access_from_tags({key: ways.tags[key] for key in ACCESS_KEYS}, oneway=oneway,
                              reversed_=reverse)
    used = np.concatenate([a, b])
    uniq, first = np.unique(ways.node_id[used], return_index=True)
    order = np.argsort(first, kind="stable")
    node_ids = uniq[order]
    pos = used[first[order]]
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    u = rank[np.searchsorted(uniq, ways.node_id[a])]
    v = rank[np.searchsorted(uniq, ways.node_id[b])]
    rev = reverse[way]
    u, v = np.where(rev, v, u), np.where(rev, u, v)  # oneway=-1: u -> v the legal direction
    seg = RawSegments(
        u=u, v=v, highway=highway[way], oneway=oneway[way],
        maxspeed_kmh=parse_maxspeed_array(ways.tags["maxspeed"])[way],
        geometry_ll=np.full(u.shape[0], None, dtype=object),
        area=is_area(ways.tags["area"], n_w)[way],
        access=SegmentAccess(foot=access.foot[way], bicycle=access.bicycle[way],
                             motorcar=access.motorcar[way],
                             bicycle_oneway=access.bicycle_oneway[way]),
        grade_separated=is_grade_separated(ways.tags["tunnel"], ways.tags["bridge"], n_w)[way])
    nodes = RawNodes(node_id=node_ids, lon=ways.lon[pos], lat=ways.lat[pos])
    return nodes, seg


def read_osm_file(path: str | Path, *, area: shapely.Geometry | None = None) -> RoadNetwork:
    """Read the road network of an OSM XML or PBF file (one segment per pair of way nodes).

    Parameters
    ----------
    path
        ``.osm``/``.xml`` or ``.osm.pbf``/``.pbf``.
    area
        Keep only the segments that intersect this lon/lat polygon (before any geometry is
        built, so a province file read for one county costs the county's memory).

    Returns
    -------
    RoadNetwork
        ``source`` is the path.

    Raises
    ------
    InputError
        Unreadable file.
    NetworkError
        No road segments in the file (or in ``area``: the message gives both extents).
    """
    lines = read_way_lines(path, bounds=None if area is None else shapely.bounds(area))
    ways = read_osm_ways(path, lines=lines)
    nodes, seg = _raw_network(ways, area)
    if seg.u.shape[0] == 0 and area is not None:  # the file's extent: read it all (error only)
        raise no_roads_error(path, area, _road_extent(read_osm_ways(path)))
    return assemble_network(nodes, seg, source=str(path))
