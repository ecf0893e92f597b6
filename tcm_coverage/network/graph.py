"""The routing graph of one mode: minutes along every segment, and the pieces points may snap to.

Routable pieces
---------------
A segment is *routable* by a mode when both its ends lie in one strongly connected piece of
the mode's graph (a piece one can both enter and leave) holding at least
:data:`~tcm_coverage.vocab.MIN_COMPONENT_M` metres of usable road, or in the largest such
piece. Points snap only to routable segments (:mod:`~tcm_coverage.network.snapping`).

Turn restrictions (``type=restriction`` relations) and turn costs are not modelled: car
times are a little optimistic where a left turn is banned and the detour is long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from tcm_coverage._errors import InputError, NetworkError
from tcm_coverage.network.model import RoadNetwork
from tcm_coverage.network.profiles import SpeedProfile
from tcm_coverage.network.terrain import climb_time_factors
from tcm_coverage.vocab import MIN_COMPONENT_M

__all__ = ["MIN_COMPONENT_M", "ZERO_TIME_MIN", "RoutingGraph", "build_routing_graph",
           "reweighted_graph", "segment_speeds"]

#: Travel time given to a zero-length usable segment so that it is not lost (minutes).
ZERO_TIME_MIN = 1e-6


@dataclass(frozen=True)
class RoutingGraph:
    """What routing needs, for one mode.

    Attributes
    ----------
    csr : scipy.sparse.csr_matrix
        (n, n) minutes, directed: ``csr[i, j]`` is the time ``i -> j`` (parallel segments
        resolved to the fastest).
    edge_fwd_min, edge_bwd_min : numpy.ndarray
        (m,) minutes ``u -> v`` and ``v -> u`` along each segment, inf when not allowed.
    usable : numpy.ndarray
        (m,) bool, segment usable by this mode at all.
    profile : SpeedProfile
        The profile the times come from.
    network : RoadNetwork
        The network.
    component : numpy.ndarray
        (n,) int weakly connected component label per node (over usable segments).
    main_component : int
        Label of the largest component.
    routable : numpy.ndarray
        (m,) bool, usable and inside a strongly connected piece of at least
        :data:`MIN_COMPONENT_M` metres (or the largest piece): what points snap to.
    strong_component : numpy.ndarray
        (n,) int strongly connected piece per node.
    main_strong_component : int
        Label of the strongly connected piece with the most usable road (metres).
    """

    csr: sp.csr_matrix
    edge_fwd_min: np.ndarray
    edge_bwd_min: np.ndarray
    usable: np.ndarray
    profile: SpeedProfile
    network: RoadNetwork
    component: np.ndarray
    main_component: int
    routable: np.ndarray
    strong_component: np.ndarray
    main_strong_component: int



def _csr_min(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """CSR matrix where duplicate (row, col) entries keep the MINIMUM weight (not the sum)."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    key = rows * np.int64(n) + cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    w = w[order]
    start = np.ones(key.shape[0], dtype=bool)
    start[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(start)
    if starts.size != key.size:  # duplicates: the minimum of each run
        w = np.minimum.reduceat(w, starts) if starts.size else w
        key = key[starts]
    r = key // n
    c = key - r * n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    idx_dtype = np.int32 if max(n, key.shape[0]) < 2**31 - 1 else np.int64
    return sp.csr_matrix(
        (w, c.astype(idx_dtype), indptr.astype(idx_dtype)), shape=(n, n)
    )


def segment_speeds(net: RoadNetwork, profile: SpeedProfile) -> np.ndarray:
    """(m,) km/h of each segment for a profile (NaN: the class is not usable by the mode)."""
    classes, inverse = np.unique(net.highway.astype(str), return_inverse=True)
    default = np.nan if profile.default_kmh is None else float(profile.default_kmh)
    per_class = np.array([float(profile.speeds_kmh.get(c, default)) for c in classes])
    speed = per_class[inverse.reshape(-1)] if classes.size else np.zeros(0)
    if profile.use_maxspeed:
        ms = net.maxspeed_kmh
        tagged = np.isfinite(speed) & np.isfinite(ms) & (ms > 0)
        speed[tagged] = np.minimum(speed[tagged], ms[tagged])
    return speed




def _segment_minutes(net: RoadNetwork, profile: SpeedProfile) -> tuple[np.ndarray, np.ndarray,
                                                                      np.ndarray]:
    """Usable segments and their minutes ``u -> v`` and ``v -> u`` (inf: not allowed; with a
    DEM the two differ by the grade in each direction, :mod:`~tcm_coverage.network.terrain`)."""
    speed = segment_speeds(net, profile)
    usable = np.isfinite(speed) & (speed > 0)
    if net.access is not None:
        usable &= net.access.open_to(profile.access)
    if not usable.any():
        raise NetworkError(
            f"no road in {net.source} is usable by mode {profile.mode!r} "
            f"(classes present: {', '.join(sorted(set(net.highway.astype(str))))})."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        minutes = net.length_m / 1000.0 / speed * 60.0
    back = minutes
    if net.terrain is not None:  # slopes: the time depends on the direction of travel
        up, down = climb_time_factors(net.terrain, profile.mode, speed)
        minutes, back = minutes * up, minutes * down
    fwd = np.where(usable, np.maximum(minutes, ZERO_TIME_MIN), np.inf)
    back = np.where(usable, np.maximum(back, ZERO_TIME_MIN), np.inf)
    oneway = (net.access.bicycle_oneway if profile.access == "bicycle" and net.access is not None
              else net.oneway)
    bwd = np.where(oneway, np.inf, back) if profile.respect_oneway else back
    return usable, fwd, bwd


@dataclass(frozen=True)
class _Pieces:
    """Connected pieces of a mode's graph (see :class:`RoutingGraph`)."""

    component: np.ndarray
    main_component: int
    routable: np.ndarray
    strong_component: np.ndarray
    main_strong_component: int


def _pieces(csr: sp.csr_matrix, net: RoadNetwork, usable: np.ndarray,
            min_component_m: float) -> _Pieces:
    """Weak and strong pieces, and the segments inside a big enough strong piece."""
    _, labels = connected_components(csr, directed=True, connection="weak")
    sizes = np.bincount(labels)
    n_strong, strong = connected_components(csr, directed=True, connection="strong")
    inside = usable & (strong[net.u] == strong[net.v])
    piece_m = np.bincount(strong[net.u[inside]], weights=net.length_m[inside], minlength=n_strong)
    main_strong = int(np.argmax(piece_m))
    big = piece_m >= float(min_component_m)
    big[main_strong] = True
    routable = inside & big[strong[net.u]]
    if not routable.any():  # no cycle at all (a lone one-way road): every usable segment
        routable = usable.copy()
    return _Pieces(component=labels.astype(np.int64), main_component=int(np.argmax(sizes)),
                   routable=routable, strong_component=strong.astype(np.int64),
                   main_strong_component=main_strong)


def build_routing_graph(
    net: RoadNetwork, profile: SpeedProfile, *, min_component_m: float = MIN_COMPONENT_M
) -> RoutingGraph:
    """Build the directed travel-time graph of one mode.

    A segment is usable when the profile gives its class a speed and its access tags leave it
    open to the profile's access group; bicycles and e-bikes follow ``oneway:bicycle`` (see
    :mod:`~tcm_coverage.network.tags`). Routable segments (what points snap to) lie in a strongly connected
    piece with at least ``min_component_m`` metres of usable road, or in the largest piece.

    Parameters
    ----------
    net : RoadNetwork
        The road network.
    profile : SpeedProfile
        Speeds (see :func:`~tcm_coverage.network.profiles.get_profile`).
    min_component_m : float, default :data:`MIN_COMPONENT_M`
        Smallest piece, in metres of usable road, that points may snap to (0: every piece).

    Returns
    -------
    RoutingGraph
        ``csr[i, j]`` minutes from node i to node j (parallel segments: the fastest);
        zero-length usable segments take :data:`ZERO_TIME_MIN`.

    Raises
    ------
    NetworkError
        No segment is usable by the mode.
    InputError
        ``min_component_m`` is negative or not finite.
    """
    if not (math.isfinite(float(min_component_m)) and min_component_m >= 0):
        raise InputError(f"min_component_m must be a finite number of metres >= 0, got "
                         f"{min_component_m!r}.", fix="Use e.g. 1000 (0 snaps to any piece).")
    usable, fwd, bwd = _segment_minutes(net, profile)
    ok_f = np.isfinite(fwd) & (net.u != net.v)
    ok_b = np.isfinite(bwd) & (net.u != net.v)
    rows = np.concatenate([net.u[ok_f], net.v[ok_b]])
    cols = np.concatenate([net.v[ok_f], net.u[ok_b]])
    w = np.concatenate([fwd[ok_f], bwd[ok_b]])
    csr = _csr_min(rows, cols, w, net.n_nodes)
    pieces = _pieces(csr, net, usable, min_component_m)
    return RoutingGraph(
        csr=csr,
        edge_fwd_min=fwd,
        edge_bwd_min=bwd,
        usable=usable,
        profile=profile,
        network=net,
        component=pieces.component,
        main_component=pieces.main_component,
        routable=pieces.routable,
        strong_component=pieces.strong_component,
        main_strong_component=pieces.main_strong_component,
    )


def reweighted_graph(rg: RoutingGraph, profile: SpeedProfile) -> RoutingGraph:
    """The graph of ``rg`` with the minutes of another profile on the same roads.

    Used for the residents 65+ (:mod:`tcm_coverage.access.elderly`): ``walk_elderly`` uses
    the same road classes, access tags and one-way rule as ``walk``, so the pieces (and hence
    what points snap to) are those of ``rg`` and only the minutes change; no second search
    for pieces. When the profile's usable segments or one-way rule differ from ``rg``'s, the
    graph is built in full (:func:`build_routing_graph`).

    Parameters
    ----------
    rg
        A built graph (e.g. of ``walk``).
    profile
        The other profile (e.g. ``walk_elderly``).

    Returns
    -------
    RoutingGraph
    """
    net = rg.network
    usable, fwd, bwd = _segment_minutes(net, profile)
    same_roads = (np.array_equal(usable, rg.usable)
                  and np.array_equal(np.isfinite(fwd), np.isfinite(rg.edge_fwd_min))
                  and np.array_equal(np.isfinite(bwd), np.isfinite(rg.edge_bwd_min)))
    if not same_roads:
        return build_routing_graph(net, profile)
    ok_f = np.isfinite(fwd) & (net.u != net.v)
    ok_b = np.isfinite(bwd) & (net.u != net.v)
    csr = _csr_min(np.concatenate([net.u[ok_f], net.v[ok_b]]),
                   np.concatenate([net.v[ok_f], net.u[ok_b]]),
                   np.concatenate([fwd[ok_f], bwd[ok_b]]), net.n_nodes)
    return RoutingGraph(csr=csr, edge_fwd_min=fwd, edge_bwd_min=bwd, usable=usable, profile=profile,
                        network=net, component=rg.component, main_component=rg.main_component,
                        routable=rg.routable, strong_component=rg.strong_component,
                        main_strong_component=rg.main_strong_component)
