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
from tcm_coverage.access.traveltime import nearest_facility_times
from tcm_coverage.network import RoadNetwork, Routing, build_routing_graph, get_profile, snap_points
from tcm_coverage.vocab import REFERRAL_MINUTES, REFERRAL_MODES, REFERRAL_TARGETS

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
        route = routes["car"]
        resident = nearest_facility_times(route.graph, route.demand, route.facilities.take(masks["county_tcm"]),
                                          direct_offroad_m=opts.direct_offroad_m).minutes
    return ReferralChain(clinics=out, resident_minutes=resident, minutes=float(minutes))


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


def _finite_stats(values: pd.Series) -> tuple[float, float, int]:
    """Median and maximum over the reachable values, and how many are unreachable."""
    v = values.to_numpy(float)
    ok = np.isfinite(v)
    if not ok.any():
        return float("nan"), float("nan"), int((~ok).sum())
    return float(np.median(v[ok])), float(v[ok].max()), int((~ok).sum())


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The population-weighted median (lower) of the reachable values; NaN when none."""
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return float("nan")
    order = np.argsort(values[ok], kind="stable")
    v, w = values[ok][order], weights[ok][order]
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, 0.5 * cum[-1], side="left")])


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
    rows = []
    pop = np.asarray(population, float)
    res = np.asarray(chain.resident_minutes, float)
    for code, name in zip(areas["code"].astype(str), areas["name"], strict=True):
        sub = chain.clinics[np.asarray(clinic_codes).astype(str) == code]
        row: dict[str, object] = {"code": code, "name": name, "clinics": len(sub)}
        for mode in REFERRAL_MODES:
            for target in REFERRAL_TARGETS:
                med, mx, unreach = _finite_stats(sub[f"t_{target}_{mode}"])
                row[f"median_{target}_{mode}"] = med
                row[f"max_{target}_{mode}"] = mx
                row[f"unreachable_{target}_{mode}"] = unreach
        here = np.asarray(demand_codes).astype(str) == code
        w, t = pop[here], res[here]
        total = float(w.sum())
        row["population"] = total
        row["resident_median_county_tcm_car"] = _weighted_median(t, w)
        row["resident_max_county_tcm_car"] = float(t[np.isfinite(t) & (w > 0)].max()) if (
            np.isfinite(t) & (w > 0)).any() else float("nan")
        within = float(w[t <= chain.minutes].sum())
        row["pop_within_referral"] = within
        row["share_within_referral"] = within / total if total > 0 else float("nan")
        row["unreachable_population"] = float(w[~np.isfinite(t)].sum())
        rows.append(row)
    return pd.DataFrame(rows)
