"""Attaching points (residents, facilities, isochrone cells, candidate sites) to a mode's roads.

Routable pieces and snapping
----------------------------
A segment is *routable* by a mode when both its ends lie in one strongly connected piece of
the mode's graph (a piece one can both enter and leave) holding at least
:data:`~tcm_coverage.vocab.MIN_COMPONENT_M` metres of usable road, or in the largest such piece. Points
(residents, facilities, isochrone cells, candidate sites) snap to the nearest routable
segment, as routers do (Valhalla's ``minimum_reachability``): a footway island of a few
nodes, steps that join nothing, a parking-lot service road or a one-way stub cut off at the
edge of the extract is skipped, and the off-road leg is measured to the nearest routable
segment instead, however much longer. How many points skipped a fragment and how far they
were from it is reported (:func:`snap_points` records ``fragment_m``), never silently.

The off-road leg reaches a road at ground level: segments in a tunnel (``tunnel=*`` other
than ``no`` and ``building_passage``) or on a bridge (``bridge=*`` other than ``no``) are
routed along but never snapped to (:attr:`~tcm_coverage.network.model.RoadNetwork.grade_separated`). A house above a
service tunnel or beside a viaduct cannot step onto it; on real OSM data (Helsinki) a
facility 17 m above a delivery tunnel was otherwise attached to the tunnel and reached by
a 15-minute detour through it.

How the nearest segment is found (issue 16)
-------------------------------------------
On arrays, not shapely objects: the network's straight pieces
(:func:`~tcm_coverage.network.model.network_pieces`; a curved segment gives one piece per pair
of vertices) and a KD-tree over sample points of the pieces of each set of segments snapped
to, refined exactly (:mod:`~tcm_coverage.network.nearest`, whose docstring proves that the
nearest segment is never missed). A tie (a point at a node shared by several segments, or
equally far from two roads) goes to the lowest segment index. The pieces and trees are cached
per network object, so the 15 snaps of a demo run build a handful of trees.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyproj

from tcm_coverage._errors import InputError
from tcm_coverage._geo import WGS84
from tcm_coverage.network.graph import RoutingGraph
from tcm_coverage.network.model import RoadNetwork, network_pieces, spatial_node_order
from tcm_coverage.network.nearest import (
    Nearest,
    PieceIndex,
    Pieces,
    may_lie_within,
    nearest_pieces,
    piece_index,
    reuse_nearest,
)
from tcm_coverage.network.terrain import offroad_speed_factor

__all__ = ["Routing", "Snap", "snap_key", "snap_points", "snap_with_profile"]


@dataclass(frozen=True)
class Snap:
    """Points attached to the network of one mode.

    Attributes
    ----------
    edge : numpy.ndarray
        (k,) int segment index.
    frac : numpy.ndarray
        (k,) position along ``u -> v`` in [0, 1].
    offroad_m : numpy.ndarray
        (k,) straight-line distance point -> snap point, metres.
    offroad_min : numpy.ndarray
        (k,) ``offroad_m`` at ``profile.offroad_kmh``, minutes.
    x_m, y_m : numpy.ndarray
        (k,) point coordinates in ``crs_m``.
    fragment_m : numpy.ndarray or None
        (k,) distance in metres to the nearest usable segment of an unroutable fragment
        where that was nearer than the snap (the point skipped it), NaN elsewhere; None when
        not recorded.
    z_m : numpy.ndarray or None
        (k,) ground elevation of each point from the network's DEM (NaN: outside it); None
        without a DEM.
    rise_m : numpy.ndarray or None
        (k,) metres the off-road leg climbs in its direction (``leg`` of :func:`snap_points`);
        None without a DEM.
    """

    edge: np.ndarray
    frac: np.ndarray
    offroad_m: np.ndarray
    offroad_min: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    fragment_m: np.ndarray | None = None
    z_m: np.ndarray | None = None
    rise_m: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.edge.shape[0])

    def take(self, index: Any) -> Snap:
        """The points selected by a boolean mask or an index array, as a new Snap.

        Parameters
        ----------
        index : array-like
            (k,) bool mask or integer indices.

        Returns
        -------
        Snap
        """
        return Snap(edge=self.edge[index], frac=self.frac[index], offroad_m=self.offroad_m[index],
                    offroad_min=self.offroad_min[index], x_m=self.x_m[index], y_m=self.y_m[index],
                    fragment_m=None if self.fragment_m is None else self.fragment_m[index],
                    z_m=None if self.z_m is None else self.z_m[index],
                    rise_m=None if self.rise_m is None else self.rise_m[index])

    @property
    def skipped_fragment(self) -> np.ndarray:
        """(k,) bool: the point was nearer to an unroutable fragment than to its snap."""
        if self.fragment_m is None:
            return np.zeros(len(self), dtype=bool)
        return np.isfinite(self.fragment_m)



@dataclass(frozen=True)
class Routing:
    """The routing of one mode for one run: its graph and the points snapped to it.

    Built by :func:`tcm_coverage.access.compute_access` (``AccessResult.routing[mode]``) and
    reused by the floating catchments and the site selection instead of building the graph
    and snapping again.

    Attributes
    ----------
    graph : RoutingGraph
        The mode's routing graph.
    demand : Snap
        The demand points (residents), in the run's row order.
    facilities : Snap
        Every facility of the run, in its row order.
    """

    graph: RoutingGraph
    demand: Snap
    facilities: Snap


def _snap_targets(rg: RoutingGraph) -> tuple[np.ndarray, np.ndarray]:
    """The segments points snap to, and the usable fragments they skip (see :func:`snap_points`)."""
    net = rg.network
    targets = rg.routable if net.grade_separated is None else rg.routable & ~net.grade_separated
    if not targets.any():  # only tunnels and bridges (tiny test networks): snap to them
        targets = rg.routable
    return targets, rg.usable & ~rg.routable


def snap_key(rg: RoutingGraph) -> bytes:
    """What a snap on ``rg`` depends on besides the points: the network, the segments points
    snap to and the fragments they skip. Two modes with the same key snap every point to the
    same place (walk and e-bike usually do), so one :func:`snap_points` serves both through
    :func:`snap_with_profile`.

    Parameters
    ----------
    rg : RoutingGraph

    Returns
    -------
    bytes
    """
    targets, fragments = _snap_targets(rg)
    return (id(rg.network).to_bytes(8, "little") + np.packbits(targets).tobytes()
            + np.packbits(fragments).tobytes())


def snap_with_profile(snap: Snap, rg: RoutingGraph) -> Snap:
    """``snap`` (made on a graph with the same :func:`snap_key`) with the off-road minutes of
    ``rg``'s mode.

    Parameters
    ----------
    snap : Snap
    rg : RoutingGraph

    Returns
    -------
    Snap
    """
    return replace(snap, offroad_min=_offroad_minutes(rg, snap.offroad_m, snap.rise_m))


def _offroad_minutes(rg: RoutingGraph, dist: np.ndarray, rise: np.ndarray | None) -> np.ndarray:
    """Minutes of the off-road legs of ``dist`` metres at the mode's off-road speed, slowed or
    sped by the grade of a leg that climbs ``rise`` metres (None: flat)."""
    minutes = dist / (rg.profile.offroad_kmh * 1000.0 / 60.0)
    if rise is None:
        return minutes
    return minutes / offroad_speed_factor(rg.profile.mode, dist, rise)


def snap_points(rg: RoutingGraph, lon: Any, lat: Any, *, leg: str = "to_road") -> Snap:
    """Attach points to the nearest routable segment of the routing graph's mode.

    Points are not moved to nodes: the off-road leg is the straight-line (perpendicular)
    distance to the nearest point of the segment, walked at ``profile.offroad_kmh``; routing
    then continues along the segment to either end. Only routable segments at ground level
    count (``rg.routable``: inside a strongly connected piece of at least
    :data:`~tcm_coverage.vocab.MIN_COMPONENT_M` metres, or the largest piece; not in a tunnel or on a bridge):
    a point nearer to a usable fragment skips it, and ``Snap.fragment_m`` records how far
    that fragment was.

    With a DEM on the network (:func:`~tcm_coverage.network.model.with_elevation`) the off-road
    leg's speed follows its grade (:func:`~tcm_coverage.network.terrain.offroad_speed_factor`)
    in the direction ``leg`` says: residents walk *to* the road, facilities are reached *from*
    it.

    Parameters
    ----------
    rg : RoutingGraph
        Graph of the mode.
    lon, lat : array-like
        WGS-84 coordinates, same length.
    leg : {"to_road", "from_road"}, default "to_road"
        Direction of the off-road leg: ``"to_road"`` for origins (residents, grid cells),
        ``"from_road"`` for destinations (facilities, candidate sites). Only matters with a DEM.

    Returns
    -------
    Snap
        One entry per point, in input order.

    Raises
    ------
    InputError
        Lengths differ or coordinates are not finite.
    """
    lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    if leg not in ("to_road", "from_road"):
        raise InputError(f"leg must be 'to_road' or 'from_road', got {leg!r}.")
    if lon.shape != lat.shape or lon.ndim != 1:
        raise InputError(f"lon and lat differ in shape: {lon.shape} vs {lat.shape}.")
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} point(s) have missing or non-finite coordinates "
            f"(first at position {int(np.flatnonzero(bad)[0])}).",
            fix="Remove or geocode those points.",
        )
    net = rg.network
    k = lon.shape[0]
    x, y, zorder = _projected(net, lon, lat)
    if k == 0:
        empty = np.zeros(0)
        return Snap(edge=np.zeros(0, dtype=np.int64), frac=empty, offroad_m=empty,
                    offroad_min=empty, x_m=x, y_m=y, fragment_m=empty,
                    z_m=None if net.terrain is None else empty,
                    rise_m=None if net.terrain is None else empty)
    targets, fragments = _snap_targets(rg)
    pieces = _network_pieces(net)
    near = _nearest_targets(net, pieces, targets, (x, y, zorder))
    dist = near.dist_m.copy()  # the cached search stays as it is
    fragment_m = _fragment_m(net, pieces, fragments, (x, y, zorder), dist)
    edge = pieces.seg[near.piece]
    frac = _fraction(pieces, near)
    z_m = rise = None
    if net.terrain is not None:
        z_m = net.terrain.dem.elevation(x, y, net.crs_m)
        p = near.piece
        on_x = pieces.x0[p] + near.t * (pieces.x1[p] - pieces.x0[p])
        on_y = pieces.y0[p] + near.t * (pieces.y1[p] - pieces.y0[p])
        z_road = net.terrain.dem.elevation(on_x, on_y, net.crs_m)
        rise = z_road - z_m if leg == "to_road" else z_m - z_road
    return Snap(edge=edge, frac=frac, offroad_m=dist, offroad_min=_offroad_minutes(rg, dist, rise),
                x_m=x, y_m=y, fragment_m=fragment_m, z_m=z_m, rise_m=rise)


def _fragment_m(net: RoadNetwork, pieces: Pieces, fragments: np.ndarray,
                points: tuple[np.ndarray, np.ndarray, np.ndarray], dist: np.ndarray) -> np.ndarray:
    """(k,) distance to the nearest fragment piece where that is nearer than the snap
    (``dist``), NaN elsewhere. Only the points with a fragment sample within ``dist`` plus
    the slack are searched (:func:`~tcm_coverage.network.nearest.may_lie_within`): the others
    have no fragment within ``dist``."""
    x, y, zorder = points
    out = np.full(x.shape[0], np.nan)
    if not fragments.any():
        return out
    index = _cached_index(net, pieces, fragments)
    maybe = may_lie_within(index, x, y, dist)
    which = zorder[maybe[zorder]]
    if which.size:
        frag = nearest_pieces(index, pieces, x[which], y[which])
        nearer = frag.dist_m < dist[which]
        out[which[nearer]] = frag.dist_m[nearer]
    return out


def _digest(*arrays: np.ndarray) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for a in arrays:
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.digest()


def _projected(net: RoadNetwork, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, ...]:
    """The points in ``net.crs_m`` and their Z order (points near each other one after the
    other walk the same tree branches), kept for the last few point sets (every mode snaps
    the residents)."""
    _watch(net)
    key = (id(net), _digest(lon, lat))
    if key in _PROJECTED:
        return _PROJECTED[key]
    tr = pyproj.Transformer.from_crs(WGS84, net.crs_m, always_xy=True)
    x, y = tr.transform(lon, lat)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    _PROJECTED[key] = (x, y, spatial_node_order(x, y))
    while len(_PROJECTED) > _MAX_POINT_SETS:
        _PROJECTED.popitem(last=False)
    return _PROJECTED[key]


def _nearest_targets(net: RoadNetwork, pieces: Pieces, targets: np.ndarray,
                     points: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Nearest:
    """The nearest piece of ``targets`` of every point: searched for the first mode that snaps
    this point set, then taken from that search where it provably holds
    (:func:`~tcm_coverage.network.nearest.reuse_nearest`)."""
    x, y, zorder = points
    key = (id(net), _digest(x, y))
    tkey = np.packbits(targets).tobytes()
    known = _NEAR.get(key)
    if known is None:
        known = _NEAR[key] = {}
        while len(_NEAR) > _MAX_POINT_SETS:
            _NEAR.popitem(last=False)
    else:
        _NEAR.move_to_end(key)
    if tkey not in known:
        if known:
            base_targets, base = next(iter(known.values()))
            known[tkey] = (targets, reuse_nearest(
                base, base_targets, pieces, targets, x, y,
                index=lambda segments: _cached_index(net, pieces, segments), order=zorder))
        else:
            known[tkey] = (targets, nearest_pieces(_cached_index(net, pieces, targets), pieces,
                                                   x, y, zorder))
    return known[tkey][1]


def _fraction(pieces: Pieces, near: Nearest) -> np.ndarray:
    """Position along ``u -> v`` (0..1) of the nearest point of every point's segment."""
    p = near.piece
    seg_len = pieces.seg_length_m[pieces.seg[p]]
    along = pieces.start_m[p] + near.t * np.hypot(pieces.x1[p] - pieces.x0[p],
                                                  pieces.y1[p] - pieces.y0[p])
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(seg_len > 0, along / seg_len, 0.0)
    return np.clip(frac, 0.0, 1.0)


# Snapping caches, per network object (dropped with it): its pieces, the KD-tree over the
# pieces of each set of segments snapped to (the targets and fragments of a mode, the targets
# one mode has and another not), and the nearest target piece of the last few point sets for
# each set of targets (by the points' coordinates: the demand points snapped by walk, e-bike
# and, for the referral, car). The demo snaps 15 point sets to a handful of segment sets; each
# tree is built once, each point set searched in full once.
_PIECES: dict[int, Pieces] = {}
_INDEX: OrderedDict[tuple[int, bytes], PieceIndex] = OrderedDict()
_MAX_INDEXES = 12
_NEAR: OrderedDict[tuple[int, bytes], dict[bytes, tuple[np.ndarray, Nearest]]] = OrderedDict()
_MAX_POINT_SETS = 4
_PROJECTED: OrderedDict[tuple[int, bytes], tuple[np.ndarray, ...]] = OrderedDict()
_WATCHED: set[int] = set()


def _watch(net: RoadNetwork) -> None:
    """Drop the caches of ``net`` when it goes."""
    if id(net) not in _WATCHED:
        _WATCHED.add(id(net))
        weakref.finalize(net, _forget, id(net))


def _forget(key: int) -> None:
    _WATCHED.discard(key)
    _PIECES.pop(key, None)
    for k in [k for k in _INDEX if k[0] == key]:
        del _INDEX[k]
    for k in [k for k in _NEAR if k[0] == key]:
        del _NEAR[k]
    for k in [k for k in _PROJECTED if k[0] == key]:
        del _PROJECTED[k]


def _network_pieces(net: RoadNetwork) -> Pieces:
    """The straight pieces of ``net``'s segments (cached while ``net`` lives)."""
    key = id(net)
    if key not in _PIECES:
        _watch(net)
        _PIECES[key] = network_pieces(net)
    return _PIECES[key]


def _cached_index(net: RoadNetwork, pieces: Pieces, segments: np.ndarray) -> PieceIndex:
    """The :class:`PieceIndex` of ``segments`` of ``net`` (the last few are kept)."""
    key = (id(net), np.packbits(segments).tobytes())
    if key in _INDEX:
        _INDEX.move_to_end(key)
        return _INDEX[key]
    index = piece_index(pieces, segments)
    _INDEX[key] = index
    while len(_INDEX) > _MAX_INDEXES:
        _INDEX.popitem(last=False)
    return index
