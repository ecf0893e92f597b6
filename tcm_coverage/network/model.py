"""The road network as an undirected list of segments, and how a reader's raw ways become one.

A reader (:mod:`~tcm_coverage.network.readers`) collects :class:`RawSegments` (lon/lat ways with
their tags already evaluated); :func:`assemble_network` keeps the road classes of
:data:`~tcm_coverage.network.profiles.ROAD_CLASSES`, drops ``area=yes`` outlines and unused
nodes, projects to the network's UTM zone (:func:`tcm_coverage._geo.utm_crs` of the mean
node), numbers the nodes along a Z-order curve (:func:`spatial_node_order`), orients every
geometry from ``u`` to ``v`` and measures lengths.

Geometry only where a segment is not straight (issue 16)
--------------------------------------------------------
A straight segment (every segment of the pyosmium reader, most osmnx edges) is its two nodes:
the network keeps node coordinates (``lon``/``lat`` and, projected, ``x_m``/``y_m``) and
``u``/``v`` as arrays, and a LineString in ``geometry_m`` only for a curved segment (more than
two vertices; None elsewhere). Snapping (:func:`network_pieces`) works on the arrays;
:meth:`RoadNetwork.lines_m` makes LineStrings for the callers that need shapes, for as long
as they need them: DEM sampling (:func:`with_elevation`), the clip to the county
(``readers``), the datum check and the province cut (``batch``). A province of 4.35 M
segments no longer holds 4.35 M shapely objects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pyproj
import shapely

from tcm_coverage._errors import InputError, NetworkError
from tcm_coverage._geo import WGS84, transform_geoms, utm_crs
from tcm_coverage.network.nearest import Pieces, segment_pieces
from tcm_coverage.network.profiles import ROAD_CLASSES
from tcm_coverage.network.tags import SegmentAccess
from tcm_coverage.network.terrain import DEM_STEP_M, Dem, Terrain, sample_segments

logger = logging.getLogger(__name__)

__all__ = ["RawNodes", "RawSegments", "RoadNetwork", "assemble_network", "network_pieces",
           "spatial_node_order", "subset_network", "with_elevation"]


@dataclass(frozen=True)
class RoadNetwork:
    """An undirected list of road segments with attributes.

    Attributes
    ----------
    node_id : numpy.ndarray
        int64 OSM node ids (or 0..n-1), shape (n,).
    lon, lat : numpy.ndarray
        float64 WGS-84 node coordinates, shape (n,).
    u, v : numpy.ndarray
        int64 node *indices* (0..n-1), shape (m,); ``u -> v`` is the way's direction.
    length_m : numpy.ndarray
        float64 segment length in metres (of :meth:`lines_m`), shape (m,).
    highway : numpy.ndarray
        object array of OSM highway classes, shape (m,).
    oneway : numpy.ndarray
        bool, True when only ``u -> v`` is legal for vehicles, shape (m,).
    maxspeed_kmh : numpy.ndarray
        float64, NaN when untagged, shape (m,).
    geometry_m : numpy.ndarray
        (m,) object array: a shapely LineString in ``crs_m`` running from ``u`` to ``v`` where
        the segment is curved, None where it is straight (its geometry is its two nodes; a
        straight LineString is accepted too). :meth:`lines_m` gives every segment's line.
    crs_m : str
        Local metric CRS (UTM zone of the centroid), e.g. ``"EPSG:32649"``.
    source : str
        The file (or object) the network came from.
    access : SegmentAccess or None
        Access per mode group from the OSM tags; None when the source had no tags at all
        (every segment open).
    grade_separated : numpy.ndarray or None
        (m,) bool, the segment is in a tunnel or on a bridge: routed along, never snapped
        to; None when not known (every segment at ground level).
    terrain : Terrain or None
        Elevation along every segment from a DEM (:func:`with_elevation`); None: every
        segment is flat (no slopes).
    x_m, y_m : numpy.ndarray or None
        (n,) node coordinates in ``crs_m``; None: projected from ``lon``/``lat`` when needed
        (:meth:`node_xy_m`).
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    highway: np.ndarray
    oneway: np.ndarray
    maxspeed_kmh: np.ndarray
    geometry_m: np.ndarray
    crs_m: str
    source: str
    access: SegmentAccess | None = None
    grade_separated: np.ndarray | None = None
    terrain: Terrain | None = None
    x_m: np.ndarray | None = None
    y_m: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_id.shape[0])

    @property
    def n_segments(self) -> int:
        """Number of segments."""
        return int(self.u.shape[0])

    def node_xy_m(self) -> tuple[np.ndarray, np.ndarray]:
        """(n,) node coordinates in ``crs_m`` (``x_m``/``y_m``, or projected from lon/lat)."""
        if self.x_m is not None and self.y_m is not None:
            return self.x_m, self.y_m
        tr = pyproj.Transformer.from_crs(WGS84, self.crs_m, always_xy=True)
        x, y = tr.transform(self.lon, self.lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def lines_m(self, index: np.ndarray | None = None) -> np.ndarray:
        """LineStrings in ``crs_m`` from ``u`` to ``v`` of the segments ``index`` (all when
        None): the stored geometry of a curved segment, the line between its nodes for a
        straight one. Made anew on each call; keep them only as long as needed.

        Parameters
        ----------
        index : numpy.ndarray, optional
            Segment indices or a (m,) bool mask.

        Returns
        -------
        numpy.ndarray
            Object array of LineStrings.
        """
        sel = np.arange(self.n_segments) if index is None else np.arange(self.n_segments)[index]
        geoms = np.asarray(self.geometry_m, dtype=object)[sel]
        missing = np.asarray(shapely.is_missing(geoms), dtype=bool)
        if missing.any():
            x, y = self.node_xy_m()
            a, b = self.u[sel[missing]], self.v[sel[missing]]
            geoms = geoms.copy()
            geoms[missing] = shapely.linestrings(
                np.stack([np.column_stack([x[a], y[a]]), np.column_stack([x[b], y[b]])], axis=1))
        return geoms



@dataclass(frozen=True)
class RawNodes:
    """Nodes as a reader finds them: ids and WGS-84 coordinates, shape (n,) each."""

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray


@dataclass(frozen=True)
class RawSegments:
    """Segments as a reader finds them, before :func:`assemble_network`.

    Attributes
    ----------
    u, v : numpy.ndarray
        (m,) node indices into the :class:`RawNodes`; ``u -> v`` the legal direction of a
        one-way segment.
    highway : numpy.ndarray
        (m,) object array of OSM highway classes (any value; unknown classes are dropped).
    oneway : numpy.ndarray
        (m,) bool one-way for vehicles.
    maxspeed_kmh : numpy.ndarray
        (m,) float64, NaN when untagged.
    geometry_ll : numpy.ndarray
        (m,) shapely LineStrings in lon/lat, None (or not a line) for a straight segment.
    area : numpy.ndarray or None
        (m,) bool ``area=yes`` (outlines, dropped); None: no outlines.
    access : SegmentAccess or None
        Access per mode group; None when the source had no tags at all.
    grade_separated : numpy.ndarray or None
        (m,) bool in a tunnel or on a bridge; None when not known.
    """

    u: np.ndarray
    v: np.ndarray
    highway: np.ndarray
    oneway: np.ndarray
    maxspeed_kmh: np.ndarray
    geometry_ll: np.ndarray
    area: np.ndarray | None = None
    access: SegmentAccess | None = None
    grade_separated: np.ndarray | None = None


def _keep_roads(seg: RawSegments, source: str) -> RawSegments:
    """The segments of :data:`ROAD_CLASSES` that are not ``area=yes`` outlines."""
    highway = np.asarray(seg.highway, dtype=object)
    keep = np.isin(highway, np.array(ROAD_CLASSES, dtype=object))
    if not keep.all():
        dropped = np.unique(highway[~keep].astype(str), return_counts=True)
        logger.debug("dropped segments by highway class: %s", dict(zip(*dropped, strict=True)))
    if seg.area is not None:
        is_area = np.asarray(seg.area, dtype=bool) & keep
        if is_area.any():
            logger.debug("dropped %d segments of highway areas (area=yes)", int(is_area.sum()))
        keep &= ~is_area
    u = np.asarray(seg.u, dtype=np.int64)[keep]
    if u.size == 0:
        raise NetworkError(f"{source}: no road segments (OSM highway={'|'.join(ROAD_CLASSES)}).")
    return RawSegments(
        u=u,
        v=np.asarray(seg.v, dtype=np.int64)[keep],
        highway=highway[keep],
        oneway=np.asarray(seg.oneway, dtype=bool)[keep],
        maxspeed_kmh=np.asarray(seg.maxspeed_kmh, dtype=np.float64)[keep],
        geometry_ll=np.asarray(seg.geometry_ll, dtype=object)[keep],
        access=None if seg.access is None else seg.access.take(keep),
        grade_separated=(None if seg.grade_separated is None
                         else np.asarray(seg.grade_separated, dtype=bool)[keep]),
    )


def _drop_unused_nodes(nodes: RawNodes, seg: RawSegments) -> tuple[RawNodes, RawSegments]:
    """Only the nodes some segment ends at, renumbered in their order."""
    lon = np.asarray(nodes.lon, dtype=np.float64)
    lat = np.asarray(nodes.lat, dtype=np.float64)
    used = np.zeros(lon.shape[0], dtype=bool)
    used[seg.u] = True
    used[seg.v] = True
    new_index = np.cumsum(used) - 1
    kept = RawNodes(node_id=np.asarray(nodes.node_id, dtype=np.int64)[used], lon=lon[used],
                    lat=lat[used])
    return kept, replace(seg, u=new_index[seg.u], v=new_index[seg.v])


def _curved_lines(seg: RawSegments) -> np.ndarray:
    """The lon/lat geometries of the curved segments (a line of more than two vertices),
    None for the straight ones (no geometry, or a line of two vertices: its two nodes)."""
    geom_ll = np.asarray(seg.geometry_ll, dtype=object)
    missing = ~shapely.is_valid_input(geom_ll) | shapely.is_missing(geom_ll)
    curved = np.zeros(geom_ll.shape[0], dtype=bool)
    ok = np.flatnonzero(~missing)
    curved[ok] = ((shapely.get_type_id(geom_ll[ok]) == 1)
                  & (shapely.get_num_coordinates(geom_ll[ok]) > 2))
    out = np.full(geom_ll.shape[0], None, dtype=object)
    out[curved] = geom_ll[curved]
    return out


def _spatially_ordered(nodes: RawNodes, seg: RawSegments, x_m: np.ndarray,
                       y_m: np.ndarray) -> tuple[RawNodes, RawSegments, np.ndarray, np.ndarray]:
    """Nodes renumbered along :func:`spatial_node_order` of their projected coordinates."""
    order = spatial_node_order(x_m, y_m)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size, dtype=order.dtype)
    ordered = RawNodes(node_id=nodes.node_id[order], lon=nodes.lon[order], lat=nodes.lat[order])
    return ordered, replace(seg, u=rank[seg.u], v=rank[seg.v]), x_m[order], y_m[order]


def _oriented(geom_m: np.ndarray, u: np.ndarray, v: np.ndarray, x_m: np.ndarray,
              y_m: np.ndarray) -> np.ndarray:
    """Every stored (curved) geometry running from its ``u`` node to its ``v`` node (reversed
    where not); None entries (straight segments) stay None."""
    have = np.flatnonzero(~shapely.is_missing(geom_m))
    if have.size == 0:
        return geom_m
    first = shapely.get_coordinates(shapely.get_point(geom_m[have], 0))
    d_u = np.hypot(first[:, 0] - x_m[u[have]], first[:, 1] - y_m[u[have]])
    d_v = np.hypot(first[:, 0] - x_m[v[have]], first[:, 1] - y_m[v[have]])
    flip = have[d_v < d_u]
    if flip.size:
        geom_m[flip] = shapely.reverse(geom_m[flip])
    return geom_m


def _lengths(geom_m: np.ndarray, u: np.ndarray, v: np.ndarray, x_m: np.ndarray,
             y_m: np.ndarray) -> np.ndarray:
    """Metres of every segment: of its stored geometry, or between its two nodes."""
    length = np.hypot(x_m[v] - x_m[u], y_m[v] - y_m[u])
    have = np.flatnonzero(~shapely.is_missing(geom_m))
    length[have] = shapely.length(geom_m[have])
    return length.astype(np.float64)


def assemble_network(nodes: RawNodes, segments: RawSegments, *, source: str) -> RoadNetwork:
    """Make a RoadNetwork from a reader's raw nodes and segments.

    Keeps only :data:`ROAD_CLASSES` and drops ``area=yes`` outlines, drops unreferenced
    nodes, projects to the UTM zone of the mean node, numbers the nodes along a Z-order
    (Morton) curve of their projected coordinates (:func:`spatial_node_order`), keeps a
    geometry only for the curved segments (oriented from ``u`` to ``v``) and measures lengths.

    Parameters
    ----------
    nodes : RawNodes
        Node ids and lon/lat.
    segments : RawSegments
        Segments between them.
    source : str
        The file (or object) the network came from.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    NetworkError
        No segment of a road class.
    """
    seg = _keep_roads(segments, source)
    nodes, seg = _drop_unused_nodes(nodes, seg)
    geom_ll = _curved_lines(seg)
    crs_m = utm_crs(float(np.mean(nodes.lon)), float(np.mean(nodes.lat)))
    geom_m = geom_ll.copy()
    curved = np.flatnonzero(~shapely.is_missing(geom_ll))
    if curved.size:
        geom_m[curved] = transform_geoms(geom_ll[curved], WGS84, crs_m)
    tr = pyproj.Transformer.from_crs(WGS84, crs_m, always_xy=True)
    x_m, y_m = tr.transform(nodes.lon, nodes.lat)
    x_m, y_m = np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)
    nodes, seg, x_m, y_m = _spatially_ordered(nodes, seg, x_m, y_m)
    geom_m = _oriented(geom_m, seg.u, seg.v, x_m, y_m)
    return RoadNetwork(
        node_id=nodes.node_id,
        lon=nodes.lon,
        lat=nodes.lat,
        u=seg.u.astype(np.int64),
        v=seg.v.astype(np.int64),
        length_m=_lengths(geom_m, seg.u, seg.v, x_m, y_m),
        highway=seg.highway,
        oneway=seg.oneway,
        maxspeed_kmh=seg.maxspeed_kmh,
        geometry_m=geom_m,
        crs_m=crs_m,
        source=source,
        access=seg.access,
        grade_separated=seg.grade_separated,
        x_m=x_m,
        y_m=y_m,
    )


def network_pieces(net: RoadNetwork) -> Pieces:
    """The straight pieces of every segment of ``net`` in ``crs_m``
    (:mod:`~tcm_coverage.network.nearest`: what snapping searches).

    Parameters
    ----------
    net : RoadNetwork

    Returns
    -------
    Pieces
    """
    x, y = net.node_xy_m()
    return segment_pieces(x, y, net.u, net.v, net.geometry_m)


def _part1by1(a: np.ndarray) -> np.ndarray:
    """Spread the low 32 bits of ``a`` (uint64) to the even bit positions."""
    a = a & np.uint64(0x00000000FFFFFFFF)
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF),
                        (4, 0x0F0F0F0F0F0F0F0F), (2, 0x3333333333333333),
                        (1, 0x5555555555555555)):
        a = (a | (a << np.uint64(shift))) & np.uint64(mask)
    return a


def spatial_node_order(x: np.ndarray, y: np.ndarray, *, bits: int = 20) -> np.ndarray:
    """Order of points along a Z-order (Morton) curve of their coordinates.

    Numbering the nodes of a road graph in this order puts nodes that are close on the
    ground close in memory, so a shortest-path search touches fewer cache lines: on a
    300k-node graph the same ``scipy.sparse.csgraph.dijkstra`` ran 1.5-2.2x faster than with
    random ids (``benchmarks/bench_province.py`` measures it). :func:`read_network` and
    :func:`from_networkx` number nodes this way; ``node_id`` keeps the OSM ids, so only the
    internal indices (``u``, ``v``, the CSR rows) change, never travel times.

    Parameters
    ----------
    x, y : numpy.ndarray
        Projected coordinates (metres), shape (n,).
    bits : int, default 20
        Quantisation per axis (2**bits cells across the bounding box).

    Returns
    -------
    numpy.ndarray
        (n,) int64 permutation: ``order[k]`` is the old index of the k-th node; ties keep
        the input order (stable).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)
    top = float(2**bits - 1)

    def _cells(a: np.ndarray) -> np.ndarray:
        lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
        span = hi - lo if hi > lo else 1.0
        q = np.nan_to_num((a - lo) / span * top, nan=0.0)
        return np.clip(q, 0.0, top).astype(np.uint64)

    code = _part1by1(_cells(x)) | (_part1by1(_cells(y)) << np.uint64(1))
    return np.argsort(code, kind="stable").astype(np.int64)


def subset_network(net: RoadNetwork, keep: np.ndarray) -> RoadNetwork:
    """The network restricted to segments ``keep`` (unreferenced nodes dropped; the kept
    nodes keep their relative order, so a spatially ordered network stays so)."""
    used = np.zeros(net.n_nodes, dtype=bool)
    used[net.u[keep]] = True
    used[net.v[keep]] = True
    new_index = np.cumsum(used) - 1
    return replace(
        net,
        node_id=net.node_id[used],
        lon=net.lon[used],
        lat=net.lat[used],
        u=new_index[net.u[keep]],
        v=new_index[net.v[keep]],
        length_m=net.length_m[keep],
        highway=net.highway[keep],
        oneway=net.oneway[keep],
        maxspeed_kmh=net.maxspeed_kmh[keep],
        geometry_m=net.geometry_m[keep],
        access=None if net.access is None else net.access.take(keep),
        grade_separated=None if net.grade_separated is None else net.grade_separated[keep],
        terrain=None if net.terrain is None else net.terrain.take(keep),
        x_m=None if net.x_m is None else net.x_m[used],
        y_m=None if net.y_m is None else net.y_m[used],
    )


def with_elevation(net: RoadNetwork, dem: Dem, *, step_m: float = DEM_STEP_M) -> RoadNetwork:
    """The network with elevation along its segments, so routing follows the slopes.

    Samples ``dem`` at both nodes of every segment and at most every ``step_m`` metres along it
    (bilinear; bridges and tunnels: the two nodes only); see
    :mod:`~tcm_coverage.network.terrain` for how grades change each mode's speed.

    Parameters
    ----------
    net : RoadNetwork
        The network (not changed).
    dem : Dem
        From :func:`~tcm_coverage.network.terrain.read_dem`.
    step_m : float, default :data:`~tcm_coverage.network.terrain.DEM_STEP_M`
        Longest horizontal step between samples.

    Returns
    -------
    RoadNetwork
        A copy with ``terrain`` set.

    Raises
    ------
    InputError
        The DEM gives no road any elevation (it covers another place, or its CRS is wrong).
    """
    x, y = net.node_xy_m()
    terrain = sample_segments(net.geometry_m, net.crs_m, dem,
                              ends_m=(np.column_stack([x[net.u], y[net.u]]),
                                      np.column_stack([x[net.v], y[net.v]])),
                              straight=net.grade_separated, step_m=step_m)
    known_m = float(terrain.piece_m[terrain.piece_known].sum())
    total_m = float(terrain.piece_m.sum())
    if total_m > 0 and known_m <= 0:
        raise InputError(
            "the DEM gives no road of the network an elevation (it covers another area, or its "
            "CRS is wrong)", path=dem.source,
            fix="give a DEM covering the county and the roads around it (its CRS must be set)")
    if known_m < total_m:
        logger.warning("the DEM has no elevation for %.1f km of %.1f km of road (%.1f %%; past its "
                       "edge or nodata): those pieces are taken as flat",
                       (total_m - known_m) / 1000, total_m / 1000, 100 * (1 - known_m / total_m))
    return replace(net, terrain=terrain)

