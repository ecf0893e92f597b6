"""The county medical community's referral chain: 村卫生室 → 乡镇卫生院/中医馆 → 县中医院.

For every village clinic/station (tier ``village_station``) the car and e-bike minutes to the
nearest township/community centre with a 中医馆 (facility set ``zhongyiguan``) and to the
nearest county TCM hospital (``county_tcm``); for every resident the car minutes to the county
TCM hospital; per township the median and maximum of those times and the share of residents
within :data:`~tcm_coverage.vocab.REFERRAL_MINUTES` (30) minutes of the county TCM hospital by
car.

Where the 30 minutes come from: no plan in ``docs/targets.md`` (national, Jiangsu, Jilin City,
Yantai, Ziyang, Tunliu) sets a drive time to the county TCM hospital; "30-min drive coverage is
a common local check" (targets.md, facility tiers). It is a parameter (``--referral-minutes``).

Method: the run's routing per mode (:attr:`AccessResult.routing`; a mode the run did not
compute is built once and snapped once). The clinics are the *origins*: each (mode, target
set) is one multi-source Dijkstra from all targets at once
(:func:`~tcm_coverage.access.traveltime.nearest_facility_times` with the clinics' snaps as the
demand points), never one search per clinic. Direction is clinic → centre (a patient referred
upward). Unreachable is ``inf`` and counted, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage.access.compute import AccessOptions, AccessResult, facility_set_masks
from tcm_coverage.access.grouped import (
    Groups,
    group_codes,
    group_max,
    group_median,
    group_sums,
    weighted_quantile,
)
from tcm_coverage.access.traveltime import nearest_facility_times
from tcm_coverage.network import RoadNetwork, Routing, build_routing_graph, get_profile, snap_points
from tcm_coverage.vocab import REFERRAL_MINUTES, REFERRAL_MODES, REFERRAL_TARGETS, time_column

__all__ = ["ReferralChain", "referral_chain", "referral_routing", "referral_township_table"]


@dataclass(frozen=True)
class ReferralChain:
    """The referral chain of a run.

    Attributes
    ----------
    clinics
        One row per village clinic/station: ``facility_id``, ``name``, ``t_{target}_{mode}``
        (minutes, ``inf`` unreachable) and ``f_{target}_{mode}`` (the ``facility_id`` reached,
        empty when none) for ``target`` in ``zhongyiguan``, ``county_tcm`` and each mode of
        :data:`~tcm_coverage.vocab.REFERRAL_MODES`; geometry (Point, WGS-84).
    resident_minutes
        (k,) car minutes from each demand point (in the run's order) to the nearest county TCM
        hospital (``inf`` unreachable).
    minutes
        The threshold of the county TCM hospital check.
    """

    clinics: gpd.GeoDataFrame
    resident_minutes: np.ndarray
    minutes: float


def referral_routing(access: AccessResult, network: RoadNetwork | None, *, modes: Sequence[str],
                     options: AccessOptions | None = None) -> dict[str, Routing]:
    """The routing of each mode: the run's own, or (a mode the run did not compute) built and
    snapped once here with the run's speed options.

    Parameters
    ----------
    access
        The run's travel times.
    network
        The run's roads (needed only for a mode the run did not compute).
    modes
        The modes wanted.
    options
        The run's routing options (speed overrides, off-road speeds).

    Returns
    -------
    dict of str to Routing
    """
    opts = AccessOptions() if options is None else options
    out: dict[str, Routing] = {}
    for mode in modes:
        if mode in access.routing:
            out[mode] = access.routing[mode]
            continue
        if network is None:
            raise ValueError(f"mode {mode!r} was not routed in this run and no network was given")
        rg = build_routing_graph(network, get_profile(mode, overrides=opts.speed_overrides.get(mode),
                                                      offroad_kmh=opts.offroad_kmh.get(mode)))
        dem, fac = access.demand, access.facilities
        out[mode] = Routing(graph=rg,
                            demand=snap_points(rg, dem.geometry.x.to_numpy(float), dem.geometry.y.to_numpy(float)),
                            facilities=snap_points(rg, fac.geometry.x.to_numpy(float),
                                                   fac.geometry.y.to_numpy(float)))
    return out


def referral_chain(access: AccessResult, network: RoadNetwork | None = None, *,
                   minutes: float = REFERRAL_MINUTES, options: AccessOptions | None = None,
                   routing: Mapping[str, Routing] | None = None) -> ReferralChain:
    """Clinic → 中医馆 centre and clinic → county TCM hospital minutes, and residents' car
    minutes to the county TCM hospital (see the module docstring).

    Parameters
    ----------
    access
        The run's travel times (:func:`~tcm_coverage.access.compute.compute_access`).
    network
        The run's roads (used only when a mode of :data:`REFERRAL_MODES` was not routed).
    minutes
        The county TCM hospital threshold by car (default 30, a common county check).
    options
        The run's routing options (default :class:`AccessOptions()`).
    routing
        The routing per mode (default: :func:`referral_routing`).

    Returns
    -------
    ReferralChain
    """
    opts = AccessOptions() if options is None else options
    routes = dict(routing) if routing is not None else referral_routing(
        access, network, modes=REFERRAL_MODES, options=opts)
    fac = access.facilities
    masks = facility_set_masks(fac, include_other=opts.include_other)
    clinic = (fac["tier"] == "village_station").to_numpy(bool)
    fid = fac["facility_id"].to_numpy(dtype=object)
    out = gpd.GeoDataFrame({"facility_id": fid[clinic], "name": fac["name"].to_numpy(dtype=object)[clinic]},
                           geometry=fac.geometry.to_numpy()[clinic], crs=fac.crs)
    resident = np.full(len(access.demand), np.inf)
    for mode in REFERRAL_MODES:
        route = routes[mode]
        for target in REFERRAL_TARGETS:
            t, f = _nearest(route, route.facilities.take(clinic), masks[target], fid, opts.direct_offroad_m)
            out[f"t_{target}_{mode}"] = t
            out[f"f_{target}_{mode}"] = f
    if masks["county_tcm"].any():
        resident = _resident_minutes(access, routes["car"], masks["county_tcm"], opts)
    return ReferralChain(clinics=out, resident_minutes=resident, minutes=float(minutes))


def _resident_minutes(access: AccessResult, route: Routing, mask: np.ndarray, opts: AccessOptions) -> np.ndarray:
    """Car minutes of every demand point to the nearest facility of ``mask`` (the county TCM
    hospitals): the run's ``t_county_tcm_car`` when the run routed these very facilities on this
    very car routing with these options, else one search here."""
    column = time_column("county_tcm", "car")
    if (access.options is not None and access.options == opts and route is access.routing.get("car")
            and column in access.demand
            and np.array_equal(mask, facility_set_masks(access.facilities, include_other=opts.include_other,
                                                        functional=opts.functional)["county_tcm"])):
        return access.demand[column].to_numpy(float, copy=True)
    return nearest_facility_times(route.graph, route.demand, route.facilities.take(mask),
                                  direct_offroad_m=opts.direct_offroad_m).minutes


def _nearest(route: Routing, origins: object, mask: np.ndarray, fid: np.ndarray,
             direct_offroad_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Minutes and ``facility_id`` from each origin snap to the nearest facility of ``mask``."""
    k = len(origins)  # type: ignore[arg-type]
    if not mask.any() or k == 0:
        return np.full(k, np.inf), np.full(k, "", dtype=object)
    res = nearest_facility_times(route.graph, origins, route.facilities.take(mask),  # type: ignore[arg-type]
                                 direct_offroad_m=direct_offroad_m)
    ids = fid[mask]
    return res.minutes, np.where(res.facility >= 0, ids[np.clip(res.facility, 0, None)], "").astype(object)


def referral_township_table(chain: ReferralChain, *, clinic_codes: np.ndarray, demand_codes: np.ndarray,
                            population: np.ndarray, areas: pd.DataFrame) -> pd.DataFrame:
    """Per area (township or county): the clinics' times up the chain and the residents' car
    time to the county TCM hospital.

    Parameters
    ----------
    chain
        From :func:`referral_chain`.
    clinic_codes, demand_codes
        The area code of each clinic (row of ``chain.clinics``) and of each demand point.
    population
        (k,) population of each demand point.
    areas
        ``code``, ``name`` (and ``level``) of the areas, in display order.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``clinics``; per mode and target ``median_{target}_{mode}``,
        ``max_{target}_{mode}`` (over the reachable clinics; NaN = no clinic, i.e. no data) and
        ``unreachable_{target}_{mode}``; ``population``, ``resident_median_county_tcm_car``,
        ``resident_max_county_tcm_car``, ``pop_within_referral``, ``share_within_referral``
        (NaN when the area has no residents) and ``unreachable_population``.
    """
    codes = areas["code"].astype(str).to_numpy(dtype=object)
    out = pd.DataFrame({"code": codes, "name": areas["name"].to_numpy()})
    cgroups = group_codes(np.asarray(clinic_codes).astype(str), drop=None)
    at = pd.Index(cgroups.labels, dtype=object).get_indexer(codes)
    has = at >= 0
    count = np.bincount(cgroups.index[cgroups.kept], minlength=cgroups.n)
    out["clinics"] = np.where(has, count[np.maximum(at, 0)] if cgroups.n else 0, 0).astype(np.int64)
    names = [(target, mode) for mode in REFERRAL_MODES for target in REFERRAL_TARGETS]
    if names:
        t = np.column_stack([chain.clinics[f"t_{target}_{mode}"].to_numpy(float) for target, mode in names])
        med, mx = group_median(cgroups, t), group_max(cgroups, t)
        unreach = group_sums(cgroups, (~np.isfinite(t)).astype(float))
        for k, (target, mode) in enumerate(names):
            out[f"median_{target}_{mode}"] = _at(med[:, k], at, np.nan)
            out[f"max_{target}_{mode}"] = _at(mx[:, k], at, np.nan)
            out[f"unreachable_{target}_{mode}"] = _at(unreach[:, k], at, 0.0).astype(np.int64)
    pop = np.asarray(population, float)
    res = np.asarray(chain.resident_minutes, float)
    dgroups = group_codes(np.asarray(demand_codes).astype(str), drop=None)
    dat = pd.Index(dgroups.labels, dtype=object).get_indexer(codes)
    sums = group_sums(dgroups, np.column_stack([pop, pop * (res <= chain.minutes), pop * ~np.isfinite(res)]))
    # the weighted median and maximum over the residents reached (time finite, population > 0)
    ok = np.isfinite(res) & (pop > 0)
    reached = Groups(index=np.where(ok, dgroups.index, -1), labels=dgroups.labels)
    total = _at(sums[:, 0], dat, 0.0)
    out["population"] = total
    out["resident_median_county_tcm_car"] = _at(weighted_quantile(reached, res, pop, 0.5), dat, np.nan)
    out["resident_max_county_tcm_car"] = _at(group_max(reached, res), dat, np.nan)
    within = _at(sums[:, 1], dat, 0.0)
    out["pop_within_referral"] = within
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_within_referral"] = np.where(total > 0, within / np.where(total > 0, total, 1.0), np.nan)
    out["unreachable_population"] = _at(sums[:, 2], dat, 0.0)
    return out


def _at(values: np.ndarray, at: np.ndarray, missing: float) -> np.ndarray:
    """``values`` of each area's group (``at``: its group, -1 when it has no point)."""
    if len(values) == 0:
        return np.full(len(at), missing)
    return np.where(at >= 0, values[np.maximum(at, 0)], missing)
