"""Travel times from residents to their nearest facility over the road network.

Direction is **resident -> facility** (it matters for one-way streets by car and e-bike).

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
* with ``direct_offroad=True``: a straight off-road leg to the nearest facility point at
  ``profile.offroad_kmh``, searched with a KD-tree within :data:`DIRECT_OFFROAD_CAP_MIN`
  minutes (the nearest facility in a straight line is the best direct leg, so one nearest
  neighbour query is exact).

Unreachable points get ``inf`` minutes and facility ``-1``. Nothing here loops in Python
over nodes, segments, demand points or facilities.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from tcm_coverage._errors import InputError
from tcm_coverage.network import RoutingGraph, Snap

logger = logging.getLogger(__name__)

__all__ = [
    "DIRECT_OFFROAD_CAP_MIN",
    "NearestResult",
    "nearest_facility_times",
    "node_times_to_nearest",
]

#: Longest straight off-road leg considered by ``direct_offroad`` (minutes at off-road speed).
DIRECT_OFFROAD_CAP_MIN = 60.0


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


def _check_snap(rg: RoutingGraph, snap: Snap, what: str) -> None:
    m = rg.network.n_segments
    e = snap.edge
    if e.size and (e.min() < 0 or e.max() >= m or not rg.usable[e].all()):
        raise InputError(
            f"the {what} snap does not belong to this routing graph "
            f"(segment indices outside 0..{m - 1} or not usable by {rg.profile.mode!r}).",
            fix="Snap the points with snap_points() on the same RoutingGraph.",
        )


def _node_times(rg: RoutingGraph, facilities: Snap) -> tuple[np.ndarray, np.ndarray]:
    """(n,) minutes from every node to its nearest facility and (n,) that facility (-1)."""
    _check_snap(rg, facilities, "facility")
    n = rg.network.n_nodes
    nf = len(facilities)
    if nf == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
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
    gt = sp.csr_matrix((data, indices.astype(idx_dtype), indptr.astype(idx_dtype)),
                       shape=(size, size))
    virt = n + np.arange(nf, dtype=np.int64)
    dist, _pred, src = dijkstra(
        gt, directed=True, indices=virt, min_only=True, return_predecessors=True
    )
    dist = dist[:n]
    fac = np.where(np.isfinite(dist) & (src[:n] >= n), src[:n] - n, -1).astype(np.int64)
    return dist, fac


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


def _same_segment(
    rg: RoutingGraph, demand: Snap, facilities: Snap
) -> tuple[np.ndarray, np.ndarray]:
    """Best time to a facility on the demand point's own segment, straight along it."""
    k = len(demand)
    best = np.full(k, np.inf)
    best_f = np.full(k, -1, dtype=np.int64)
    if k == 0 or len(facilities) == 0:
        return best, best_f
    order = np.argsort(facilities.edge, kind="stable")
    fe = facilities.edge[order]
    lo = np.searchsorted(fe, demand.edge, side="left")
    hi = np.searchsorted(fe, demand.edge, side="right")
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return best, best_f
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
    # min per demand point: sort pairs by (demand, cost), take the first of each run
    srt = np.lexsort((f_idx, cost, d_idx))
    d_s, c_s, f_s = d_idx[srt], cost[srt], f_idx[srt]
    first = np.ones(total, dtype=bool)
    first[1:] = d_s[1:] != d_s[:-1]
    best[d_s[first]] = c_s[first]
    best_f[d_s[first]] = np.where(np.isfinite(c_s[first]), f_s[first], -1)
    return best, best_f


def nearest_facility_times(
    rg: RoutingGraph,
    demand: Snap,
    facilities: Snap,
    *,
    direct_offroad: bool = True,
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
    direct_offroad : bool, default True
        Also consider walking straight off-road (at ``profile.offroad_kmh``) to a facility
        within :data:`DIRECT_OFFROAD_CAP_MIN` minutes; the faster option wins.

    Returns
    -------
    NearestResult
        Minutes (``inf`` unreachable) and facility index (``-1`` unreachable).
    """
    _check_snap(rg, demand, "demand")
    _check_snap(rg, facilities, "facility")
    k = len(demand)
    node_min, node_fac = _node_times(rg, facilities)
    net = rg.network
    e = demand.edge
    t = demand.frac
    nu, nv = net.u[e], net.v[e]
    via_u = demand.offroad_min + _along(t, rg.edge_bwd_min[e]) + node_min[nu]
    via_v = demand.offroad_min + _along(1.0 - t, rg.edge_fwd_min[e]) + node_min[nv]
    same, same_f = _same_segment(rg, demand, facilities)
    direct = np.full(k, np.inf)
    direct_f = np.full(k, -1, dtype=np.int64)
    if direct_offroad and k and len(facilities):
        speed = rg.profile.offroad_kmh * 1000.0 / 60.0  # metres per minute
        tree = cKDTree(np.column_stack([facilities.x_m, facilities.y_m]))
        dd, ii = tree.query(
            np.column_stack([demand.x_m, demand.y_m]), k=1,
            distance_upper_bound=speed * DIRECT_OFFROAD_CAP_MIN,
        )
        found = np.isfinite(dd)
        direct[found] = dd[found] / speed
        direct_f[found] = ii[found]
    cand = np.column_stack([via_u, via_v, same, direct])
    cand_f = np.column_stack([node_fac[nu], node_fac[nv], same_f, direct_f])
    pick = np.argmin(cand, axis=1) if k else np.zeros(0, dtype=np.int64)
    rows = np.arange(k)
    minutes = cand[rows, pick]
    fac = np.where(np.isfinite(minutes), cand_f[rows, pick], -1).astype(np.int64)
    return NearestResult(minutes=minutes, facility=fac)
