"""GeoDataFrame adapter: demand and candidates on the road network as a siting instance, and back.

:func:`siting_instance` snaps demand, candidates and existing TCM facilities on a routing graph
and builds a :class:`~tcm_coverage.siting.instance.SitingInstance` with the network travel
times of :func:`tcm_coverage.access.traveltime.od_pairs_within` (the same time definition as
the coverage tables). :func:`chosen_sites` and :func:`demand_after` turn a
:class:`~tcm_coverage.siting.result.SitingResult` back into GeoDataFrames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

import geopandas as gpd
import numpy as np

from tcm_coverage._errors import InputError
from tcm_coverage.access import DIRECT_OFFROAD_MAX_M, nearest_facility_times, od_pairs_within
from tcm_coverage.network import RoutingGraph, Snap, snap_points
from tcm_coverage.siting.candidates import DEFAULT_COSTS, points_4326
from tcm_coverage.siting.instance import SitingInstance, instance_from_od

if TYPE_CHECKING:  # typing.Unpack is Python 3.11+; the package runs on 3.10
    from typing_extensions import Unpack

__all__ = ["KnownTimes", "chosen_sites", "demand_after", "siting_instance"]


def _snap_gdf(rg: RoutingGraph, gdf: gpd.GeoDataFrame, what: str, *, leg: str = "from_road") -> Any:
    """Points of ``gdf`` snapped on ``rg``; ``leg`` is the direction of the off-road leg
    (destinations ``"from_road"``, the demand ``"to_road"``)."""
    pts = points_4326(gdf, what)
    return snap_points(rg, pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy(), leg=leg)


class KnownTimes(TypedDict, total=False):
    """What is already known about the existing facilities and the demand's snap (keyword
    arguments of :func:`siting_instance`).

    Attributes
    ----------
    existing : geopandas.GeoDataFrame or None
        Existing TCM service points (e.g. ``facilities[facility_set_masks(facilities)["tcm_any"]]``
        from :mod:`tcm_coverage.access.compute`); they count as already open.
    existing_minutes
        (k,) minutes to the nearest existing TCM point when already computed (e.g. the
        ``t_tcm_any_<mode>`` column of :func:`tcm_coverage.access.compute.compute_access`);
        takes precedence over ``existing``.
    demand_snap : Snap or None
        ``demand`` already snapped on ``rg`` (e.g. ``AccessResult.routing[mode].demand``); not
        snapped again when given.
    """

    existing: gpd.GeoDataFrame | None
    existing_minutes: Any
    demand_snap: Snap | None


def _existing_minutes(rg: RoutingGraph, dsnap: Any, known: KnownTimes, *,
                      direct_offroad_m: float) -> np.ndarray | None:
    """Each resident's minutes to the nearest existing facility (None: no facility given)."""
    if known.get("existing_minutes") is not None:
        return np.asarray(known.get("existing_minutes"), dtype=np.float64)
    existing = known.get("existing")
    if existing is not None and len(existing):
        esnap = _snap_gdf(rg, existing, "existing facility")
        return nearest_facility_times(rg, dsnap, esnap, direct_offroad_m=direct_offroad_m).minutes
    return None


def _candidate_costs(candidates: gpd.GeoDataFrame) -> np.ndarray | None:
    """The ``cost`` column, missing costs filled with the default of the candidate's kind."""
    cost = candidates["cost"].to_numpy(dtype=np.float64) if "cost" in candidates else None
    if cost is not None and np.isnan(cost).any():
        kinds = candidates["kind"].astype(str).tolist() if "kind" in candidates else []
        default = np.array([DEFAULT_COSTS.get(k, 1.0) for k in kinds], dtype=np.float64)
        cost = np.where(np.isnan(cost), default, cost) if len(kinds) else np.nan_to_num(cost, nan=1.0)
    return cost


def siting_instance(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    rg: RoutingGraph,
    *,
    threshold: float = 15.0,
    cutoff: float | None = None,
    weight_column: str = "population",
    direct_offroad_m: float = DIRECT_OFFROAD_MAX_M,
    **known: Unpack[KnownTimes],
) -> SitingInstance:
    """Network travel times between residents and candidates as a :class:`SitingInstance`.

    Parameters
    ----------
    demand
        Demand points with a population column.
    candidates
        Output of :func:`build_candidates` (or any table with ``kind``, ``cost``, ``force``,
        ``exclude`` and Point geometry).
    rg
        Routing graph of the travel mode.
    threshold
        Coverage threshold in minutes (15 for the 15-minute circle).
    cutoff
        Keep resident → candidate pairs up to this many minutes (default ``threshold``;
        use e.g. ``2 * threshold`` for the p-median model).
    weight_column
        Population column of ``demand``.
    direct_offroad_m
        Longest straight off-road leg to a site in metres (as in the coverage times).
    **known
        What is already known (:class:`KnownTimes`): ``existing`` facilities or their
        ``existing_minutes``, and the ``demand_snap``.

    Returns
    -------
    SitingInstance
        Candidate ``j`` is row ``j`` of ``candidates``; demand ``i`` row ``i`` of ``demand``.
    """
    unknown = sorted(set(known) - set(KnownTimes.__annotations__))
    if unknown:
        raise TypeError(f"siting_instance() got unexpected keyword argument(s) {unknown}")
    demand_snap = known.get("demand_snap")
    if weight_column not in demand:
        raise InputError(f"the demand table has no '{weight_column}' column",
                         column=weight_column, fix="pass weight_column=")
    cut = float(threshold if cutoff is None else cutoff)
    if cut < threshold:
        raise InputError(f"the cutoff {cut:g} is below the threshold {threshold:g} minutes",
                         fix="use a cutoff >= threshold")
    if demand_snap is not None and len(demand_snap) != len(demand):
        raise InputError(f"demand_snap has {len(demand_snap)} points for {len(demand)} demand rows",
                         fix="pass the snap of these demand points (AccessResult.routing[mode].demand)")
    dsnap = demand_snap if demand_snap is not None else _snap_gdf(rg, demand, "demand", leg="to_road")
    csnap = _snap_gdf(rg, candidates, "candidate")
    od = od_pairs_within(rg, dsnap, csnap, cut, direct_offroad_m=direct_offroad_m)
    ex_min = _existing_minutes(rg, dsnap, known, direct_offroad_m=direct_offroad_m)
    return instance_from_od(
        od, demand[weight_column].to_numpy(dtype=np.float64), threshold=threshold,
        cost=_candidate_costs(candidates),
        forced=candidates["force"].to_numpy(dtype=bool) if "force" in candidates else None,
        excluded=candidates["exclude"].to_numpy(dtype=bool) if "exclude" in candidates else None,
        existing_minutes=ex_min,
        kind=candidates["kind"].astype(str).to_numpy(dtype=object) if "kind" in candidates else None,
    )


def chosen_sites(candidates: gpd.GeoDataFrame, result: Any) -> gpd.GeoDataFrame:
    """The chosen candidates as a GeoDataFrame (for maps and tables).

    Parameters
    ----------
    candidates
        The candidate table the instance was built from.
    result
        A :class:`~tcm_coverage.siting.models.SitingResult`.

    Returns
    -------
    geopandas.GeoDataFrame
        The chosen rows of ``candidates`` plus ``model`` and ``status``.
    """
    out = candidates.iloc[np.asarray(result.chosen, dtype=np.int64)].copy()
    out["model"] = result.model
    out["status"] = result.status
    return out


def demand_after(demand: gpd.GeoDataFrame, result: Any) -> gpd.GeoDataFrame:
    """Demand points with the plan's effect: ``covered_after``, ``minutes_after``, ``uncoverable``.

    Parameters
    ----------
    demand
        The demand table the instance was built from.
    result
        A :class:`~tcm_coverage.siting.models.SitingResult`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``demand`` with the three columns added.
    """
    out = demand.copy()
    out["covered_after"] = np.asarray(result.covered, dtype=bool)
    out["minutes_after"] = np.asarray(result.minutes, dtype=np.float64)
    out["uncoverable"] = np.asarray(result.uncoverable, dtype=bool)
    return out
