"""Numbers about a mode's routing graph (:func:`network_summary`) and about how points were
attached to it (:func:`snap_summary`), for the run report and ``run.json``."""

from __future__ import annotations

from typing import Any

import numpy as np

from tcm_coverage.network.graph import RoutingGraph, segment_speeds
from tcm_coverage.network.snapping import Snap
from tcm_coverage.network.tags import ACCESS_KEYS

__all__ = ["network_summary", "snap_summary"]


def network_summary(rg: RoutingGraph) -> dict[str, Any]:
    """Numbers about a routing graph for a report.

    Parameters
    ----------
    rg : RoutingGraph
        Graph of one mode.

    Returns
    -------
    dict
        ``mode``, ``source``, ``crs_m``, ``nodes`` (all), ``segments`` (all),
        ``usable_nodes`` (touching a usable segment), ``usable_segments``, ``km_total``,
        ``km_usable``, ``km_by_class`` (all segments), ``usable_km_by_class``,
        ``oneway_segments``, ``components`` (weakly connected, among usable nodes),
        ``main_component_nodes``, ``main_component_share`` (of usable nodes),
        ``nodes_outside_main`` (usable nodes), ``km_outside_main`` (usable km);
        ``closed_by_access_segments`` (a usable class closed by access tags to this mode),
        ``access_tags_missing`` (keys the source could not show), ``routable_segments``,
        ``fragment_segments`` and ``km_fragments`` (usable but not routable: points skip
        them), ``min_component_m``-style pieces are counted as ``routable_pieces``.
        With a DEM (``network.terrain``) also ``grade_mean_pct`` (length-weighted mean of the
        absolute grade of the usable road, capped as routing caps it), ``grade_max_pct`` and
        ``km_without_elevation`` (usable road taken as flat: no DEM value).
    """
    net = rg.network
    km = net.length_m / 1000.0
    classes, inverse = np.unique(net.highway.astype(str), return_inverse=True)
    inverse = inverse.reshape(-1)
    km_all = np.bincount(inverse, weights=km, minlength=classes.size)
    km_use = np.bincount(inverse, weights=np.where(rg.usable, km, 0.0), minlength=classes.size)
    node_used = np.zeros(net.n_nodes, dtype=bool)
    node_used[net.u[rg.usable]] = True
    node_used[net.v[rg.usable]] = True
    labels = rg.component[node_used]
    n_comp = int(np.unique(labels).size)
    main_nodes = int(np.count_nonzero(labels == rg.main_component))
    n_used = int(node_used.sum())
    outside_seg = rg.usable & (rg.component[net.u] != rg.main_component)
    class_ok = np.isfinite(segment_speeds(net, rg.profile))
    fragment = rg.usable & ~rg.routable
    summary: dict[str, Any] = {
        "mode": rg.profile.mode,
        "source": net.source,
        "crs_m": net.crs_m,
        "nodes": net.n_nodes,
        "segments": net.n_segments,
        "usable_nodes": n_used,
        "usable_segments": int(rg.usable.sum()),
        "km_total": float(km.sum()),
        "km_usable": float(km[rg.usable].sum()),
        "km_by_class": {str(c): float(k) for c, k in zip(classes, km_all, strict=True)},
        "usable_km_by_class": {
            str(c): float(k) for c, k in zip(classes, km_use, strict=True) if k > 0
        },
        "oneway_segments": int(np.count_nonzero(net.oneway)),
        "components": n_comp,
        "main_component_nodes": main_nodes,
        "main_component_share": main_nodes / n_used if n_used else 0.0,
        "nodes_outside_main": n_used - main_nodes,
        "km_outside_main": float(km[outside_seg].sum()),
        "closed_by_access_segments": int(np.count_nonzero(class_ok & ~rg.usable)),
        "access_tags_missing": list(net.access.tags_missing) if net.access is not None
        else list(ACCESS_KEYS),
        "routable_segments": int(np.count_nonzero(rg.routable)),
        "routable_pieces": int(np.unique(rg.strong_component[net.u[rg.routable]]).size),
        "fragment_segments": int(np.count_nonzero(fragment)),
        "km_fragments": float(km[fragment].sum()),
    }
    summary.update(_grades(rg))
    return summary


def _grades(rg: RoutingGraph) -> dict[str, float]:
    """Mean and max absolute grade (%) of the usable road, and its km with no elevation."""
    terrain = rg.network.terrain
    if terrain is None:
        return {}
    use = rg.usable[terrain.piece_segment] & (terrain.piece_m > 0)
    grade = np.abs(terrain.grade()[use]) * 100.0
    length = terrain.piece_m[use]
    known = terrain.piece_known[use]
    return {
        "grade_mean_pct": float(np.average(grade, weights=length)) if length.sum() > 0 else 0.0,
        "grade_max_pct": float(grade.max()) if grade.size else 0.0,
        "km_without_elevation": float(length[~known].sum() / 1000.0),
    }


def snap_summary(rg: RoutingGraph, snap: Snap, weight: np.ndarray) -> dict[str, float]:
    """How demand points were attached to the network of one mode (for run.json and 说明).

    Parameters
    ----------
    rg
        Graph of the mode.
    snap
        The demand points snapped on ``rg``.
    weight
        (k,) population of each point.

    Returns
    -------
    dict
        ``demand_points``; ``median_offroad_m``; ``population_offroad_over_1km``;
        ``population_off_main_component`` and ``points_off_main_component`` (on a routable
        piece not joined to the main network); ``population_skipped_fragment`` and
        ``points_skipped_fragment`` (nearer to an unroutable fragment than to their snap),
        with the extra off-road metres this cost them (``skipped_fragment_extra_m_median``,
        ``..._max``; 0 when none).
    """
    off_main = rg.strong_component[rg.network.u[snap.edge]] != rg.main_strong_component
    skipped = snap.skipped_fragment
    extra = (snap.offroad_m - snap.fragment_m)[skipped] if snap.fragment_m is not None else []
    return {
        "demand_points": int(len(snap)),
        "median_offroad_m": float(np.median(snap.offroad_m)) if len(snap) else 0.0,
        "population_offroad_over_1km": float(weight[snap.offroad_m > 1000].sum()),
        "population_off_main_component": float(weight[off_main].sum()),
        "points_off_main_component": int(off_main.sum()),
        "population_skipped_fragment": float(weight[skipped].sum()),
        "points_skipped_fragment": int(skipped.sum()),
        "skipped_fragment_extra_m_median": float(np.median(extra)) if len(extra) else 0.0,
        "skipped_fragment_extra_m_max": float(np.max(extra)) if len(extra) else 0.0,
    }
