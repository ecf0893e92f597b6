"""Travel times from residents to their nearest facility over the road network.

Direction is **resident -> facility** (it matters for one-way streets by car and e-bike, and
with a DEM for every climb: uphill and downhill times differ, :mod:`tcm_coverage.network.terrain`).

Method
------
One multi-source Dijkstra per call, on the *transposed* graph (arc ``j -> i`` carries the
time ``i -> j``), so that the distance found at node ``i`` is the time from ``i`` to a
facility. Each facility ``f`` snapped to segment ``e = (u, v)`` at fraction ``t`` becomes a
virtual node ``F_f`` with two arcs

* ``F_f -> u`` weighing ``t * fwd[e] + offroad_f`` (from ``u`` along the segment to the snap
  point, which needs ``u -> v`` to be legal), and
* ``F_f -> v`` weighing ``(1 - t) * bwd[e] + offroad_f``.

``scipy.sparse.csgraph.dijkstra(indices=<all F nodes>, min_only=True)`` is a single Dijkstra
from all virtual nodes at once (equivalent to one super-source joined to them) and its
``sources`` output names the facility each node's minimum came from.

A demand point ``d`` on segment ``(u, v)`` at fraction ``t`` then takes the minimum of

* ``offroad_d + t * bwd[e] + D[u]`` (walk/drive to ``u`` against the drawing direction),
* ``offroad_d + (1 - t) * fwd[e] + D[v]``,
* a facility on the *same* segment, straight along it (legal direction only), and
* a straight off-road walk from the point to a facility at most ``direct_offroad_m`` metres
  away (default :data:`DIRECT_OFFROAD_MAX_M`, 150 m) at ``profile.offroad_kmh``, searched
  with a KD-tree (the nearest facility in a straight line is the best direct leg, so one
  nearest-neighbour query is exact).

Why the direct leg is short
---------------------------
The off-road leg to the road is unavoidable (houses are not on the road line); a straight
walk *to the facility itself* is only plausible across a yard, a square, a parking lot or
one village compound, which OSM often does not map as paths. Beyond that, a straight line
increasingly crosses what is not passable and not mapped as such: a river, a railway, a
walled compound, an expressway, a hillside. With the old cap of 60 walking minutes (3.6 km)
the straight line won for 94 % of nearest-facility walks on real OSM data (Helsinki) and
made those walks a median 36 % shorter than an independent router's (Valhalla); 150 m (2.5 minutes at 3.6 km/h)
is about a city block or a village compound, and lets a resident next door reach the
facility without a detour along two different streets. ``direct_offroad_m=0`` switches it
off (every trip then uses the road network).

Unreachable points get ``inf`` minutes and facility ``-1``. Nothing here loops in Python
over nodes, segments, demand points or facilities.

Why this module is long: the nearest facility and the pairs within a cutoff are one
definition of a trip's time (the legs to either end, the same segment, the direct leg and its
grid filter, the shared Dijkstra runs); split, the two could drift apart.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from tcm_coverage._errors import InputError
from tcm_coverage.network import RoutingGraph, Snap, offroad_speed_factor, tobler_factor
from tcm_coverage.vocab import DIRECT_OFFROAD_LIMIT_M, DIRECT_OFFROAD_MAX_M

logger = logging.getLogger(__name__)

__all__ = [
    "DIRECT_OFFROAD_LIMIT_M",
    "DIRECT_OFFROAD_MAX_M",
    "NearestResult",
    "NodeTimes",
    "ODPairs",
    "facility_node_times",
    "nearest_facility_times",
    "node_times_to_nearest",
    "od_pairs_within",
]



def _check_direct_m(direct_offroad_m: float) -> float:
    value = float(direct_offroad_m)
    if not (math.isfinite(value) and value >= 0):
        raise InputError(
            f"direct_offroad_m must be a finite number of metres >= 0, got {direct_offroad_m!r}.",
            fix=f"Use e.g. {DIRECT_OFFROAD_MAX_M:g} (0 switches the direct off-road leg off).")
    return value


@dataclass(frozen=True)
class NearestResult:
    """Time from each demand point to its nearest facility.

    Attributes
    ----------
    minutes : numpy.ndarray
        (k,) float64 minutes, ``inf`` when no facility can be reached.
    facility : numpy.ndarray
        (k,) int64 index into the facility array given, ``-1`` when unreachable.
    """

    minutes: np.ndarray
    facility: np.ndarray


def _along(frac: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """``frac * minutes`` with ``0 * inf = 0`` (no distance to cover needs no permission)."""
    with np.errstate(invalid="ignore"):
        return np.where(frac <= 0.0, 0.0, frac * minutes)


def _direct_minutes(rg: RoutingGraph, demand: Snap, facilities: Snap, d_idx: np.ndarray,
                    f_idx: np.ndarray, dist_m: np.ndarray) -> np.ndarray:
    """Minutes of the straight off-road walk from demand ``d_idx`` to facility ``f_idx``
    (``dist_m`` apart), by the grade between them when the snaps have elevations."""
    speed = rg.profile.offroad_kmh * 1000.0 / 60.0  # metres per minute
    dist = np.asarray(dist_m, dtype=np.float64)
    if demand.z_m is None or facilities.z_m is None:
        return dist / speed
    rise = facilities.z_m[f_idx] - demand.z_m[d_idx]
    return dist / (speed * offroad_speed_factor(rg.profile.mode, dist, rise))


def _near_some(demand: Snap, facilities: Snap, direct_m: float) -> np.ndarray:
    """Indices of the demand points that may lie within ``direct_m`` of a facility: those
    whose square of a grid of ``direct_m`` (a little more) cells is next to a facility's. A
    point within ``direct_m`` of a facility is never left out (the two squares are at most
    one apart in each direction); most far ones are, without a tree search."""
    cell = direct_m * 1.01 + 1e-6
    x0, y0 = float(facilities.x_m.min()), float(facilities.y_m.min())
    fx = np.floor((facilities.x_m - x0) / cell).astype(np.int64)
    fy = np.floor((facilities.y_m - y0) / cell).astype(np.int64)
    dx = np.floor((demand.x_m - x0) / cell).astype(np.int64)
    dy = np.floor((demand.y_m - y0) / cell).astype(np.int64)
    span = int(fy.max()) + 3  # rows -1 .. max + 1 of the facilities' squares, as one key
    step = np.array([-1, 0, 1], dtype=np.int64)
    keys = ((fx[:, None, None] + step[None, :, None]) * span
            + (fy[:, None, None] + 1 + step[None, None, :])).ravel()
    keys = np.unique(keys)
    inside = (dy >= -1) & (dy <= span - 2)
    dkey = dx * span + (dy + 1)
    pos = np.clip(np.searchsorted(keys, dkey), 0, keys.size - 1)
    return np.flatnonzero(inside & (keys[pos] == dkey))


def _direct_best(rg: RoutingGraph, demand: Snap, facilities: Snap,
                 direct_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(k,) fastest straight off-road walk of each demand point to a facility at most
    ``direct_m`` away (inf if none) and that facility (-1).

    On the flat the nearest facility in a straight line is the fastest (one KD-tree query);
    with slopes a farther one may be faster downhill, so every facility within ``direct_m`` is
    timed (a sparse distance matrix) and the fastest kept. Only the points near some facility
    (:func:`_near_some`) are searched.
    """
    k = len(demand)
    best = np.full(k, np.inf)
    best_f = np.full(k, -1, dtype=np.int64)
    if direct_m <= 0 or k == 0 or len(facilities) == 0:
        return best, best_f
    near = _near_some(demand, facilities, direct_m)
    if near.size == 0:
        return best, best_f
    sub = demand.take(near)
    ftree = cKDTree(np.column_stack([facilities.x_m, facilities.y_m]))
    dpts = np.column_stack([sub.x_m, sub.y_m])
    if sub.z_m is None or facilities.z_m is None:
        dd, ii = ftree.query(dpts, k=1, distance_upper_bound=float(np.nextafter(direct_m, np.inf)))
        found = dd <= direct_m
        best[near[found]] = _direct_minutes(rg, sub, facilities, np.flatnonzero(found), ii[found],
                                            dd[found])
        best_f[near[found]] = ii[found]
        return best, best_f
    sdm = cKDTree(dpts).sparse_distance_matrix(ftree, direct_m, output_type="coo_matrix")
    rows, cols = sdm.row.astype(np.int64), sdm.col.astype(np.int64)
    tt = _direct_minutes(rg, sub, facilities, rows, cols, sdm.data)
    order = np.lexsort((cols, tt, rows))  # per demand point: fastest first, then lowest index
    rows, cols, tt = rows[order], cols[order], tt[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    best[near[rows[first]]] = tt[first]
    best_f[near[rows[first]]] = cols[first]
    return best, best_f


def _check_snap(rg: RoutingGraph, snap: Snap, what: str) -> None:
    m = rg.network.n_segments
    e = snap.edge
    if e.size and (e.min() < 0 or e.max() >= m or not rg.usable[e].all()):
        raise InputError(
            f"the {what} snap does not belong to this routing graph "
            f"(segment indices outside 0..{m - 1} or not usable by {rg.profile.mode!r}).",
            fix="Snap the points with snap_points() on the same RoutingGraph.",
        )


def _augmented_transpose(rg: RoutingGraph, facilities: Snap) -> sp.csr_matrix:
    """Transposed graph plus one virtual node per facility (row ``n + f``), see module doc."""
    _check_snap(rg, facilities, "facility")
    n = rg.network.n_nodes
    nf = len(facilities)
    net = rg.network
    e = facilities.edge
    t = facilities.frac
    w_u = _along(t, rg.edge_fwd_min[e]) + facilities.offroad_min
    w_v = _along(1.0 - t, rg.edge_bwd_min[e]) + facilities.offroad_min
    u_f, v_f = net.u[e], net.v[e]
    loop = u_f == v_f  # a facility on a closed loop: one arc, the better of the two
    w_u = np.where(loop, np.minimum(w_u, w_v), w_u)
    cols = np.column_stack([u_f, v_f])
    w = np.column_stack([w_u, w_v])
    valid = np.isfinite(w)
    valid[:, 1] &= ~loop
    # transposed graph (arc j -> i carries the time i -> j), then one row per facility
    gt = rg.csr.T.tocsr()
    counts = valid.sum(axis=1)
    indptr = np.concatenate([gt.indptr.astype(np.int64),
                             gt.indptr[-1] + np.cumsum(counts, dtype=np.int64)])
    indices = np.concatenate([gt.indices.astype(np.int64), cols[valid]])
    data = np.concatenate([gt.data, w[valid]])
    size = n + nf
    idx_dtype = np.int32 if max(size, indices.size) < 2**31 - 1 else np.int64
    return sp.csr_matrix((data, indices.astype(idx_dtype), indptr.astype(idx_dtype)),
                         shape=(size, size))


def _node_times(rg: RoutingGraph, facilities: Snap) -> tuple[np.ndarray, np.ndarray]:
    """(n,) minutes from every node to its nearest facility and (n,) that facility (-1)."""
    _check_snap(rg, facilities, "facility")
    n = rg.network.n_nodes
    nf = len(facilities)
    if nf == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    gt = _augmented_transpose(rg, facilities)
    virt = n + np.arange(nf, dtype=np.int64)
    dist, _pred, src = dijkstra(
        gt, directed=True, indices=virt, min_only=True, return_predecessors=True
    )
    dist = dist[:n]
    fac = np.where(np.isfinite(dist) & (src[:n] >= n), src[:n] - n, -1).astype(np.int64)
    return dist, fac


@dataclass(frozen=True)
class NodeTimes:
    """Minutes from every node of a graph to the nearest of some facilities
    (:func:`facility_node_times`): the Dijkstra run that :func:`nearest_facility_times` makes,
    to share between point sets routed to the same facilities (residents and isochrone cells).

    Attributes
    ----------
    minutes : numpy.ndarray
        (n,) float64, ``inf`` where no facility can be reached.
    facility : numpy.ndarray
        (n,) int64 index into the facility snap, ``-1`` when unreachable.
    """

    minutes: np.ndarray
    facility: np.ndarray


def facility_node_times(rg: RoutingGraph, facilities: Snap) -> NodeTimes:
    """The multi-source Dijkstra from ``facilities`` (resident -> facility) on ``rg``.

    Parameters
    ----------
    rg : RoutingGraph
        Graph of one mode.
    facilities : Snap
        Facilities snapped on ``rg``.

    Returns
    -------
    NodeTimes
    """
    minutes, facility = _node_times(rg, facilities)
    return NodeTimes(minutes=minutes, facility=facility)


def node_times_to_nearest(rg: RoutingGraph, facilities: Snap) -> np.ndarray:
    """Minutes from every network node to its nearest facility (resident -> facility).

    Parameters
    ----------
    rg : RoutingGraph
        Graph of one mode.
    facilities : Snap
        Facilities snapped with :func:`tcm_coverage.network.snap_points` on ``rg``; their
        off-road leg is included.

    Returns
    -------
    numpy.ndarray
        (n,) float64 minutes, ``inf`` where no facility can be reached.
    """
    return _node_times(rg, facilities)[0]


def _same_segment_pairs(
    rg: RoutingGraph, demand: Snap, facilities: Snap
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (demand, facility) pair on the same segment with the time straight along it."""
    k = len(demand)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if k == 0 or len(facilities) == 0:
        return empty
    order = np.argsort(facilities.edge, kind="stable")
    fe = facilities.edge[order]
    lo = np.searchsorted(fe, demand.edge, side="left")
    hi = np.searchsorted(fe, demand.edge, side="right")
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return empty
    d_idx = np.repeat(np.arange(k), counts)
    # position of each pair within its demand's run of facilities
    offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    f_idx = order[np.repeat(lo, counts) + offs]
    e = demand.edge[d_idx]
    dt = facilities.frac[f_idx] - demand.frac[d_idx]
    t_along = np.where(
        dt >= 0, _along(dt, rg.edge_fwd_min[e]), _along(-dt, rg.edge_bwd_min[e])
    )
    cost = demand.offroad_min[d_idx] + t_along + facilities.offroad_min[f_idx]
    return d_idx.astype(np.int64), f_idx.astype(np.int64), cost


def _same_segment(
    rg: RoutingGraph, demand: Snap, facilities: Snap
) -> tuple[np.ndarray, np.ndarray]:
    """Best time to a facility on the demand point's own segment, straight along it."""
    k = len(demand)
    best = np.full(k, np.inf)
    best_f = np.full(k, -1, dtype=np.int64)
    d_idx, f_idx, cost = _same_segment_pairs(rg, demand, facilities)
    if d_idx.size == 0:
        return best, best_f
    # min per demand point: sort pairs by (demand, cost), take the first of each run
    srt = np.lexsort((f_idx, cost, d_idx))
    d_s, c_s, f_s = d_idx[srt], cost[srt], f_idx[srt]
    first = np.ones(d_s.size, dtype=bool)
    first[1:] = d_s[1:] != d_s[:-1]
    best[d_s[first]] = c_s[first]
    best_f[d_s[first]] = np.where(np.isfinite(c_s[first]), f_s[first], -1)
    return best, best_f


def nearest_facility_times(
    rg: RoutingGraph,
    demand: Snap,
    facilities: Snap,
    *,
    direct_offroad_m: float = DIRECT_OFFROAD_MAX_M,
    nodes: NodeTimes | None = None,
) -> NearestResult:
    """Minutes from each demand point to its nearest facility (resident -> facility).

    Parameters
    ----------
    rg : RoutingGraph
        Graph of one mode.
    demand : Snap
        Residents (demand points) snapped on ``rg``.
    facilities : Snap
        Facilities snapped on ``rg``.
    direct_offroad_m : float, default :data:`DIRECT_OFFROAD_MAX_M`
        Also consider walking straight off-road (at ``profile.offroad_kmh``) to a facility
        at most this many metres away; the faster option wins. 0: never.
    nodes : NodeTimes, optional
        :func:`facility_node_times` of ``rg`` and these ``facilities``, when another point
        set was routed to them already (default: run it here).

    Returns
    -------
    NearestResult
        Minutes (``inf`` unreachable) and facility index (``-1`` unreachable).
    """
    _check_snap(rg, demand, "demand")
    _check_snap(rg, facilities, "facility")
    direct_m = _check_direct_m(direct_offroad_m)
    k = len(demand)
    if nodes is None:
        node_min, node_fac = _node_times(rg, facilities)
    elif nodes.minutes.shape != (rg.network.n_nodes,):
        raise ValueError("the node times are not of this routing graph")
    else:
        node_min, node_fac = nodes.minutes, nodes.facility
    net = rg.network
    e = demand.edge
    t = demand.frac
    nu, nv = net.u[e], net.v[e]
    via_u = demand.offroad_min + _along(t, rg.edge_bwd_min[e]) + node_min[nu]
    via_v = demand.offroad_min + _along(1.0 - t, rg.edge_fwd_min[e]) + node_min[nv]
    same, same_f = _same_segment(rg, demand, facilities)
    direct, direct_f = _direct_best(rg, demand, facilities, direct_m)
    cand = np.column_stack([via_u, via_v, same, direct])
    cand_f = np.column_stack([node_fac[nu], node_fac[nv], same_f, direct_f])
    pick = np.argmin(cand, axis=1) if k else np.zeros(0, dtype=np.int64)
    rows = np.arange(k)
    minutes = cand[rows, pick]
    fac = np.where(np.isfinite(minutes), cand_f[rows, pick], -1).astype(np.int64)
    return NearestResult(minutes=minutes, facility=fac)


@dataclass(frozen=True)
class ODPairs:
    """Every (demand point, facility) pair within a cutoff, with its travel time.

    Attributes
    ----------
    demand, facility : numpy.ndarray
        (m,) int64 indices into the demand and facility arrays given, sorted by demand then
        facility; each pair appears once.
    minutes : numpy.ndarray
        (m,) float64 resident -> facility minutes, all ``<= cutoff`` (zero is possible).
    n_demand, n_facility : int
        Sizes of the demand and facility arrays.
    cutoff : float
        The cutoff in minutes.
    """

    demand: np.ndarray
    facility: np.ndarray
    minutes: np.ndarray
    n_demand: int
    n_facility: int
    cutoff: float

    def __len__(self) -> int:
        return int(self.demand.size)

    def to_csr(self) -> sp.csr_matrix:
        """The pairs as a (n_demand, n_facility) CSR matrix of minutes.

        Explicit zeros are kept (a facility at the resident's door is still a pair), so test
        membership with the sparsity structure (``.indices``/``.indptr``), not ``!= 0``.

        Returns
        -------
        scipy.sparse.csr_matrix
        """
        m = sp.csr_matrix(
            (self.minutes, (self.demand, self.facility)), shape=(self.n_demand, self.n_facility)
        )
        if m.nnz != len(self):  # coo -> csr sums duplicates and may drop nothing else
            raise AssertionError("duplicate pairs in ODPairs")
        return m


def _chunk_size(n_nodes: int, k: int, budget: int = 16_000_000) -> int:
    return int(max(1, min(512, budget // max(n_nodes, k, 1))))


@dataclass(frozen=True)
class _NodeEnds:
    """The demand points that may reach a facility through one end of their segment, grouped
    by that node: ``points[first[v]:first[v] + count[v]]`` lead to node ``v`` (each with its
    lead-in minutes ``lead``)."""

    points: np.ndarray
    first: np.ndarray
    count: np.ndarray
    lead: np.ndarray

    @classmethod
    def of(cls, node: np.ndarray, lead: np.ndarray, cutoff: float, n: int) -> _NodeEnds:
        ok = np.flatnonzero(lead <= cutoff)  # only a lead-in within the cutoff can give a pair
        points = ok[np.argsort(node[ok], kind="stable")]
        count = np.bincount(node[points], minlength=n)
        return cls(points=points, first=np.cumsum(count) - count, count=count, lead=lead)

    def pairs(self, fi: np.ndarray, ni: np.ndarray, dist: np.ndarray,
              cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(demand, facility row, minutes) within ``cutoff`` of the reached (facility row ``fi``,
        node ``ni``) entries at ``dist`` minutes: every point leading to the node, in one pass."""
        rep = self.count[ni]
        total = int(rep.sum())
        offs = np.arange(total) - np.repeat(np.cumsum(rep) - rep, rep)
        d = self.points[np.repeat(self.first[ni], rep) + offs]
        t = np.repeat(dist, rep) + self.lead[d]  # the same sum as node time + lead-in
        keep = t <= cutoff
        return d[keep], np.repeat(fi, rep)[keep], t[keep]


def _network_pairs(rg: RoutingGraph, demand: Snap, facilities: Snap, cutoff: float,
                   chunk_size: int | None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The pairs via either end of the demand point's segment: one Dijkstra per chunk of
    facilities cut at ``cutoff``; only the nodes each facility reaches are expanded to the
    demand points leading to them (no dense facility x demand matrix)."""
    net, n = rg.network, rg.network.n_nodes
    e = demand.edge
    ends = (_NodeEnds.of(net.u[e], demand.offroad_min + _along(demand.frac, rg.edge_bwd_min[e]), cutoff, n),
            _NodeEnds.of(net.v[e], demand.offroad_min + _along(1.0 - demand.frac, rg.edge_fwd_min[e]),
                         cutoff, n))
    wanted = (ends[0].count > 0) | (ends[1].count > 0)  # nodes some demand point leads to
    gt = _augmented_transpose(rg, facilities)
    nf = len(facilities)
    step = chunk_size or _chunk_size(n, 0)
    parts = []
    for start in range(0, nf, step):
        virt = n + np.arange(start, min(nf, start + step), dtype=np.int64)
        dist = dijkstra(gt, directed=True, indices=virt, limit=cutoff)[:, :n]
        fi, ni = np.nonzero((dist <= cutoff) & wanted[None, :])
        at = dist[fi, ni]
        for end in ends:
            d, f, t = end.pairs(fi, ni, at, cutoff)
            parts.append((d, f + start, t))
    return parts


def _direct_pairs(rg: RoutingGraph, demand: Snap, facilities: Snap, cutoff: float,
                  direct_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The straight off-road walks within ``cutoff`` minutes and ``direct_m`` metres (a
    coincident point is a pair at 0 m)."""
    speed = rg.profile.offroad_kmh * 1000.0 / 60.0  # metres per minute
    fastest = float(tobler_factor(-0.05)) if demand.z_m is not None else 1.0
    radius = min(speed * fastest * cutoff, direct_m)
    dtree = cKDTree(np.column_stack([demand.x_m, demand.y_m]))
    ftree = cKDTree(np.column_stack([facilities.x_m, facilities.y_m]))
    sdm = dtree.sparse_distance_matrix(ftree, radius, output_type="coo_matrix")
    rows, cols = sdm.row.astype(np.int64), sdm.col.astype(np.int64)
    tt = _direct_minutes(rg, demand, facilities, rows, cols, sdm.data)
    keep = tt <= cutoff
    return rows[keep], cols[keep], tt[keep]


def _stable_order(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` of non-negative int64 keys: the key and the position
    packed into one integer when they fit 63 bits, sorted by value (much faster than an
    index sort), the position read back."""
    m = key.size
    pos_bits = max(int(m - 1).bit_length(), 1)
    if m == 0 or int(key.max()).bit_length() + pos_bits > 63:
        return np.argsort(key, kind="stable")
    packed = np.sort((key << pos_bits) | np.arange(m, dtype=np.int64))
    return packed & ((1 << pos_bits) - 1)


def _fastest_per_pair(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                      nf: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each (demand, facility) pair once with its fastest time, sorted by demand then facility."""
    if not parts or sum(p[0].size for p in parts) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    d = np.concatenate([p[0] for p in parts]).astype(np.int64)
    f = np.concatenate([p[1] for p in parts]).astype(np.int64)
    t = np.concatenate([p[2] for p in parts]).astype(float)
    width = max(nf, 1)
    key = d * width + f  # (demand, facility) in lexicographic order
    order = _stable_order(key)
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    fastest = np.minimum.reduceat(t[order], starts)  # the minimum of each pair's times
    key = key[starts]
    return key // width, key % width, fastest


def od_pairs_within(
    rg: RoutingGraph,
    demand: Snap,
    facilities: Snap,
    cutoff: float,
    *,
    direct_offroad_m: float = DIRECT_OFFROAD_MAX_M,
    chunk_size: int | None = None,
) -> ODPairs:
    """Every resident -> facility pair whose travel time is at most ``cutoff`` minutes.

    The time of a pair is defined exactly as in :func:`nearest_facility_times` (via either
    end of the demand point's segment, straight along a shared segment, or a direct off-road
    leg), so the minimum over a demand point's pairs equals its nearest-facility time when
    that is within the cutoff. This is the sparse cost structure of the site-selection and
    floating-catchment models.

    Method: Dijkstra from the virtual node of each facility on the transposed graph, cut at
    ``cutoff`` (``scipy.sparse.csgraph.dijkstra(limit=cutoff)``), in chunks of facilities
    so that memory stays at about ``chunk_size * nodes`` floats; each node a facility reaches
    is expanded to the demand points whose segment ends there (points grouped by node once).

    Parameters
    ----------
    rg : RoutingGraph
        Graph of one mode.
    demand, facilities : Snap
        Demand points and facilities (or candidate sites) snapped on ``rg``.
    cutoff : float
        Minutes; pairs farther apart are left out.
    direct_offroad_m : float, default :data:`DIRECT_OFFROAD_MAX_M`
        Longest straight off-road leg to a facility (see :func:`nearest_facility_times`).
    chunk_size : int, optional
        Facilities per Dijkstra batch (default: chosen from the graph size).

    Returns
    -------
    ODPairs
    """
    _check_snap(rg, demand, "demand")
    _check_snap(rg, facilities, "facility")
    if not np.isfinite(cutoff) or cutoff < 0:
        raise InputError(f"the cutoff must be a finite number of minutes >= 0, got {cutoff!r}",
                         fix="pass e.g. cutoff=15")
    direct_m = _check_direct_m(direct_offroad_m)
    k, nf = len(demand), len(facilities)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if k and nf:
        parts = _network_pairs(rg, demand, facilities, cutoff, chunk_size)
        d_s, f_s, t_s = _same_segment_pairs(rg, demand, facilities)
        keep = t_s <= cutoff
        parts.append((d_s[keep], f_s[keep], t_s[keep]))
        if direct_m > 0:
            parts.append(_direct_pairs(rg, demand, facilities, cutoff, direct_m))
    d, f, t = _fastest_per_pair(parts, nf)
    return ODPairs(demand=d, facility=f, minutes=t, n_demand=k, n_facility=nf, cutoff=float(cutoff))
