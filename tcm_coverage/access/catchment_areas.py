"""Floating catchments on the road network and per area: the GeoDataFrame side of
:mod:`tcm_coverage.access.catchments`.

:func:`network_fca` gets the resident → facility times within the catchment from
:func:`tcm_coverage.access.traveltime.od_pairs_within` (reusing the routing of
:func:`tcm_coverage.access.compute.compute_access` when given) and runs
:func:`~tcm_coverage.access.catchments.two_step_fca` per method; :func:`area_fca` aggregates the
result per township (population-weighted mean) for a choropleth.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage.access.catchments import (
    METHODS,
    Catchment,
    check_steps,
    default_max_minutes,
    two_step_fca,
)
from tcm_coverage.access.checks import check_names
from tcm_coverage.access.compute import AccessOptions, facility_set_masks
from tcm_coverage.access.coverage import UNASSIGNED, assign_areas
from tcm_coverage.access.shared_pairs import pairs_within
from tcm_coverage.access.traveltime import ODPairs, od_pairs_within
from tcm_coverage.network import (
    RoadNetwork,
    Routing,
    build_routing_graph,
    get_profile,
    snap_points,
)
from tcm_coverage.vocab import HEADLINE_FACILITY_SET, HEADLINE_MINUTES

logger = logging.getLogger(__name__)

__all__ = ["FCAMeasure", "area_fca", "network_fca"]


@dataclass(frozen=True)
class FCAMeasure:
    """Which accessibility :func:`network_fca` computes.

    Attributes
    ----------
    methods
        Any of :data:`METHODS` (one column each).
    supply
        Facility column giving the supply (default ``tcm_physicians``; ``None``: 1 per facility).
    catchment
        One catchment for all methods (default: 15 minutes).
    """

    methods: Sequence[str] = METHODS
    supply: str | None = "tcm_physicians"
    catchment: Catchment = field(default_factory=lambda: Catchment(max_minutes=HEADLINE_MINUTES))



def _supply_values(facilities: gpd.GeoDataFrame, supply: str | None,
                   source: str | None) -> tuple[np.ndarray, str]:
    n = len(facilities)
    if supply is None:
        return np.ones(n), "facilities (1 each)"
    values = (facilities[supply].to_numpy(float) if supply in facilities
              else np.full(n, np.nan))
    missing = np.isnan(values)
    if missing.all():
        logger.warning("the facility table has no '%s' counts; accessibility counts 1 per "
                       "facility instead", supply)
        return np.ones(n), f"facilities (1 each; no '{supply}' counts in the facility table)"
    if missing.any():
        rows = (facilities["source_row"].to_numpy()[missing].tolist()
                if "source_row" in facilities else None)
        raise InputError(
            f"{int(missing.sum())} of {n} facilities have no '{supply}' count", path=source,
            row=rows, column=supply,
            fix="fill the counts (0 when there is none), or count facilities with FCAMeasure(supply=None)",
        )
    return values, supply


def network_fca(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    network: RoadNetwork | None,
    *,
    mode: str = "ebike",
    facility_set: str = HEADLINE_FACILITY_SET,
    measure: FCAMeasure | None = None,
    options: AccessOptions | None = None,
    routing: Routing | Mapping[str, Routing] | None = None,
) -> gpd.GeoDataFrame:
    """Accessibility of every demand point over the road network (GeoDataFrame adapter).

    Travel times are resident → facility over the network of ``mode``, from
    :func:`tcm_coverage.access.traveltime.od_pairs_within` (same definition as the coverage times:
    off-road leg, along the segment, direct off-road leg), cut at the catchment.

    Parameters
    ----------
    demand
        Demand points with ``population`` (EPSG:4326 points).
    facilities
        From :func:`tcm_coverage.inputs.facilities.read_facilities`.
    network
        :class:`tcm_coverage.network.RoadNetwork` (not used with ``routing``).
    mode
        Travel mode.
    facility_set
        Which facilities supply TCM (see :func:`tcm_coverage.access.compute.facility_set_masks`; default
        every TCM service point).
    measure
        Methods, supply column and catchment (default :class:`FCAMeasure()`: every method,
        ``tcm_physicians``, 15 minutes; a catchment without ``max_minutes`` is 15 minutes). When the whole supply column is missing, every facility
        counts 1 (logged and stated in ``attrs["supply"]``); when only some facilities lack it,
        an :class:`InputError` names their rows.
    options
        As for :func:`tcm_coverage.access.compute.compute_access`: ``include_other``, the speeds
        and off-road speed of ``mode``, ``direct_offroad_m`` and ``facilities_source``.
    routing
        The :class:`~tcm_coverage.network.Routing` (graph, demand snap, facility snap) of ``mode`` already built for these
        very ``demand`` and ``facilities`` rows (e.g. ``AccessResult.routing[mode]`` of
        :func:`tcm_coverage.access.compute.compute_access`), or the routing of every mode
        (``AccessResult.routing``; a :class:`~tcm_coverage.access.shared_pairs.SharedRouting`
        shares the pairs within the catchment with the capacity stage): reused instead of
        rebuilding the graph and snapping again; ``network`` and the speeds are then not used.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``demand`` with one column ``fca_{method}_{mode}`` per method (supply per
        ``per`` residents). ``attrs`` records ``supply``, ``mode``, ``target`` (the facility
        set), ``max_minutes``, ``steps``, ``sigma``, ``per`` and the number of facilities.
    """
    meas = FCAMeasure() if measure is None else measure
    opts = AccessOptions() if options is None else options
    if not meas.methods:
        raise InputError("unknown accessibility method(s) (none)", fix=f"use some of {list(METHODS)}")
    methods = check_names(meas.methods, METHODS, what="accessibility method")
    masks = facility_set_masks(facilities, include_other=opts.include_other, functional=opts.functional)
    check_names([facility_set], list(masks), what="facility set")
    fac = facilities[masks[facility_set]]
    values, supply_label = _supply_values(fac, meas.supply, opts.facilities_source)
    c = meas.catchment
    d0 = HEADLINE_MINUTES if c.max_minutes is None else default_max_minutes("2sfca", c.max_minutes, c.steps)
    out = demand.copy()
    if len(fac) == 0:
        logger.warning("no facility counts as '%s'; accessibility is 0 everywhere", facility_set)
        for m in methods:
            out[f"fca_{m}_{mode}"] = 0.0
    else:
        od = _catchment_pairs(demand, facilities, network, masks[facility_set], d0, mode=mode, options=opts,
                              routing=routing)
        pop = demand["population"].to_numpy(float)
        for m in methods:
            res = two_step_fca(od.demand, od.facility, od.minutes, pop, values, method=m,
                               catchment=Catchment(max_minutes=d0, steps=c.steps, sigma=c.sigma, per=c.per))
            out[f"fca_{m}_{mode}"] = res.access
    out.attrs.update(supply=supply_label, mode=mode, target=facility_set, max_minutes=d0,
                     steps=[list(s) for s in check_steps(c.steps)],
                     sigma=d0 / 2.0 if c.sigma is None else float(c.sigma),
                     per=float(c.per), facilities=int(len(fac)))
    return out


def _catchment_pairs(demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, network: RoadNetwork | None,
                     mask: np.ndarray, d0: float, *, mode: str, options: AccessOptions,
                     routing: Routing | Mapping[str, Routing] | None) -> ODPairs:
    """The resident -> facility pairs within ``d0`` minutes: on the run's routing when given (a
    :class:`~tcm_coverage.access.shared_pairs.SharedRouting` gives the pairs another stage
    found), else on a graph built and snapped here."""
    routes = {mode: routing} if isinstance(routing, Routing) else routing
    if routes is not None and mode in routes:
        route = routes[mode]
        if len(route.demand) != len(demand) or len(route.facilities) != len(facilities):
            raise InputError("the routing given does not match the demand points and facilities",
                             fix="pass AccessResult.routing[mode] of the same demand and facilities")
        return pairs_within(routes, mode, mask, d0, direct_offroad_m=options.direct_offroad_m)
    if network is None:
        raise InputError("accessibility needs the road network or the routing of compute_access",
                         fix="pass the RoadNetwork, or routing=AccessResult.routing[mode]")
    profile = get_profile(mode, overrides=options.speed_overrides.get(mode),
                          offroad_kmh=options.offroad_kmh.get(mode))
    rg = build_routing_graph(network, profile)
    fac = facilities[mask]
    dsnap = snap_points(rg, demand.geometry.x.to_numpy(float), demand.geometry.y.to_numpy(float))
    fsnap = snap_points(rg, fac.geometry.x.to_numpy(float), fac.geometry.y.to_numpy(float), leg="from_road")
    return od_pairs_within(rg, dsnap, fsnap, d0, direct_offroad_m=options.direct_offroad_m)


def area_fca(
    demand: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    columns: Sequence[str] | None = None,
    *,
    codes: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Population-weighted mean accessibility per area (e.g. township), for a choropleth.

    Parameters
    ----------
    demand
        Output of :func:`network_fca` (``population`` and ``fca_*`` columns).
    areas
        Polygons with ``code`` and ``name``.
    columns
        Accessibility columns to aggregate (default: every ``fca_*`` column).
    codes
        Area code per demand point (default: :func:`tcm_coverage.access.coverage.assign_areas`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``areas`` (code, name, geometry) with ``population`` and, per column,
        :math:`\\sum_i P_i A_i / \\sum_i P_i` over the area's demand points (NaN for an area
        with no population).
    """
    cols = (list(columns) if columns is not None
            else [c for c in demand.columns if c.startswith("fca_")])
    if not cols:
        raise InputError("no accessibility columns to aggregate",
                         fix="run network_fca() first, or name the columns")
    if codes is None:
        codes = assign_areas(demand, areas)
    pop = demand["population"].to_numpy(float)
    frame = pd.DataFrame({"code": codes, "population": pop})
    for c in cols:
        frame[c] = pop * demand[c].to_numpy(float)
    frame = frame[frame["code"] != UNASSIGNED]
    sums = frame.groupby("code", sort=True).sum()
    for c in cols:
        sums[c] = sums[c] / sums["population"].where(sums["population"] > 0)
    keep = [c for c in ("code", "name", "parent_code") if c in areas] + ["geometry"]
    out = areas[keep].merge(sums, left_on="code", right_index=True, how="left")
    out["population"] = out["population"].fillna(0.0)
    out.attrs.update(demand.attrs)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=areas.crs)
