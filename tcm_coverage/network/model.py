"""The road network as an undirected list of segments, and how a reader's raw ways become one.

A reader (:mod:`~tcm_coverage.network.readers`) collects :class:`RawSegments` (lon/lat ways with
their tags already evaluated); :func:`assemble_network` keeps the road classes of
:data:`~tcm_coverage.network.profiles.ROAD_CLASSES`, drops ``area=yes`` outlines and unused
nodes, projects to the network's UTM zone (:func:`tcm_coverage._geo.utm_crs` of the mean
node), numbers the nodes along a Z-order curve (:func:`spatial_node_order`), orients every
geometry from ``u`` to ``v`` and measures lengths.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pyproj
import shapely

from tcm_coverage._errors import InputError, NetworkError
from tcm_coverage._geo import WGS84, transform_geoms, utm_crs
from tcm_coverage.network.nearest import Pieces, pieces_from_geometry
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
        float64 segment length in metres (of ``geometry_m``), shape (m,).
    highway : numpy.ndarray
        object array of OSM highway classes, shape (m,).
    oneway : numpy.ndarray
        bool, True when only ``u -> v`` is legal for vehicles, shape (m,).
    maxspeed_kmh : numpy.ndarray
        float64, NaN when untagged, shape (m,).
    geometry_m : numpy.ndarray
        shapely LineStrings in ``crs_m`` running from ``u`` to ``v``, shape (m,).
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

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_id.shape[0])

    @property
    def n_segments(self) -> int:
        """Number of segments."""
        return int(self.u.shape[0])



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


def _with_straight_lines(nodes: RawNodes, seg: RawSegments) -> np.ndarray:
    """The lon/lat geometries, a straight line ``u -> v`` where a segment has none."""
    geom_ll = seg.geometry_ll
    missing = ~shapely.is_valid_input(geom_ll) | shapely.is_missing(geom_ll)
    linelike = np.zeros(geom_ll.shape[0], dtype=bool)
    linelike[~missing] = shapely.get_type_id(geom_ll[~missing]) == 1
    straight = ~linelike
    if straight.any():
        lon, lat, u, v = nodes.lon, nodes.lat, seg.u, seg.v
        coords = np.stack(
            [np.column_stack([lon[u[straight]], lat[u[straight]]]),
             np.column_stack([lon[v[straight]], lat[v[straight]]])], axis=1)
        geom_ll = geom_ll.copy()
        geom_ll[straight] = shapely.linestrings(coords)
    return geom_ll


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
    """Every geometry running from its ``u`` node to its ``v`` node (reversed where not)."""
    first = shapely.get_coordinates(shapely.get_point(geom_m, 0))
    d_u = np.hypot(first[:, 0] - x_m[u], first[:, 1] - y_m[u])
    d_v = np.hypot(first[:, 0] - x_m[v], first[:, 1] - y_m[v])
    flip = d_v < d_u
    if flip.any():
        geom_m[flip] = shapely.reverse(geom_m[flip])
    return geom_m


def assemble_network(nodes: RawNodes, segments: RawSegments, *, source: str) -> RoadNetwork:
    """Make a RoadNetwork from a reader's raw nodes and segments.

    Keeps only :data:`ROAD_CLASSES` and drops ``area=yes`` outlines, drops unreferenced
    nodes, projects to the UTM zone of the mean node, numbers the nodes along a Z-order
    (Morton) curve of their projected coordinates (:func:`spatial_node_order`), orients every
    geometry from ``u`` to ``v`` and measures lengths.

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
    geom_ll = _with_straight_lines(nodes, seg)
    crs_m = utm_crs(float(np.mean(nodes.lon)), float(np.mean(nodes.lat)))
    geom_m = transform_geoms(geom_ll, WGS84, crs_m)
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
        length_m=shapely.length(geom_m).astype(np.float64),
        highway=seg.highway,
        oneway=seg.oneway,
        maxspeed_kmh=seg.maxspeed_kmh,
        geometry_m=geom_m,
        crs_m=crs_m,
        source=source,
        access=seg.access,
        grade_separated=seg.grade_separated,
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
    return pieces_from_geometry(net.geometry_m)


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
    terrain = sample_segments(net.geometry_m, net.crs_m, dem, straight=net.grade_separated,
                              step_m=step_m)
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

