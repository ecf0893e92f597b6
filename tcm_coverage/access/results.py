"""What the access layer gives, importable without the routing stack: the result and option
classes of :mod:`~tcm_coverage.access.compute` (:class:`AccessResult`, :class:`AccessOptions`,
:class:`IsochroneOptions`) and :mod:`~tcm_coverage.access.capacity` (:class:`CapacityRule`,
:class:`CapacityServed`), and :func:`sensitivity_band`, the reading of a stored sensitivity table.

A redraw (``map``/``report``/``score`` from the run store) rebuilds these objects and reads these
tables; it imports this module, not scipy's graph routines, the raster reader or the snapping.
The modules that compute them import them from here (and re-export them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tcm_coverage.inputs import FunctionalRule
from tcm_coverage.vocab import DIRECT_OFFROAD_MAX_M, RESIDENTS_PER_TCM_PHYSICIAN

if TYPE_CHECKING:
    import geopandas as gpd

    from tcm_coverage.access.isochrones import CellGrid
    from tcm_coverage.network import Routing, Snap

__all__ = ["AccessOptions", "AccessResult", "CapacityRule", "CapacityServed", "IsochroneOptions",
           "sensitivity_band"]


@dataclass(frozen=True)
class AccessResult:
    """Travel times of every demand point to the nearest facility of each facility set, per mode.

    Attributes
    ----------
    demand
        The demand points with, for every mode ``m`` and facility set ``s``, columns ``t_{s}_{m}``
        (minutes, ``inf`` when unreachable) and ``f_{s}_{m}`` (``facility_id`` of the nearest
        facility, empty when none), plus ``offroad_m_{m}`` (metres from the point to the road).
    facilities
        The facilities with ``offroad_m_{m}`` per mode.
    modes, facility_sets
        What was computed.
    networks
        :func:`tcm_coverage.network.network_summary` per mode, plus snapping statistics.
    warnings
        Things a planner should know (disconnected pieces, facility sets with no facility), in English.
    warnings_zh
        The same, in Chinese, for the Chinese reports.
    isochrones
        Isochrone rings (:func:`tcm_coverage.access.isochrones.isochrone_bands`) per mode and facility
        set with ``mode`` and ``target`` (the facility set) columns, when asked for.
    routing
        Per mode, the :class:`~tcm_coverage.network.Routing` used here (``graph``, ``demand``
        and ``facilities`` snaps), so later steps on the same roads (accessibility, site
        selection) need not rebuild and re-snap.
    cells
        Per mode with isochrones, the snapped isochrone cells and their grid
        (:func:`~tcm_coverage.access.isochrones.surface_points` on the mode's graph), so later
        surfaces on the same graph (a scenario's newly covered area) need not lay and snap
        them again; empty in a loaded run.
    options
        The :class:`AccessOptions` the times were computed with (``None`` when not known, as in
        a loaded run): a later step asking the same of the same graphs and snaps (the
        residents 65+ of a mode routed like everybody) takes the times computed here.
    """

    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    modes: tuple[str, ...]
    facility_sets: tuple[str, ...]
    networks: Mapping[str, dict] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    warnings_zh: tuple[str, ...] = ()
    isochrones: gpd.GeoDataFrame | None = None
    routing: Mapping[str, Routing] = field(default_factory=dict, repr=False)
    cells: Mapping[str, tuple[Snap, CellGrid]] = field(default_factory=dict, repr=False)
    options: AccessOptions | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AccessOptions:
    """How travel times are computed (:func:`~tcm_coverage.access.compute.compute_access`, :func:`~tcm_coverage.access.catchment_areas.network_fca`).

    Attributes
    ----------
    include_other
        Count TCM clinics as TCM service points (see :func:`~tcm_coverage.access.facility_sets.facility_set_masks`).
    speed_overrides
        Per mode, ``{highway class: km/h}`` overriding the profile's speeds.
    offroad_kmh
        Per mode, the speed of the off-road leg.
    direct_offroad_m
        Longest straight off-road leg from a point to a facility, in metres (see
        :data:`tcm_coverage.access.traveltime.DIRECT_OFFROAD_MAX_M`; 0: none).
    max_facility_offroad_m
        A facility farther than this from every usable road is an input error (usually a datum
        or typing mistake in its coordinates); checked by :func:`~tcm_coverage.access.compute.compute_access`.
    facilities_source
        File name used in error messages.
    functional
        Count a 中医馆/中医阁 only when it meets this capability rule (see
        :func:`~tcm_coverage.access.facility_sets.facility_set_masks`); ``None``: the flags alone.
    """

    include_other: bool = False
    speed_overrides: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    offroad_kmh: Mapping[str, float] = field(default_factory=dict)
    direct_offroad_m: float = DIRECT_OFFROAD_MAX_M
    max_facility_offroad_m: float = 1500.0
    facilities_source: str | None = None
    functional: FunctionalRule | None = None


@dataclass(frozen=True)
class IsochroneOptions:
    """Isochrone rings of :func:`~tcm_coverage.access.compute.compute_access`.

    Attributes
    ----------
    minutes
        Ring limits in minutes (empty: no isochrones).
    area
        The area the isochrones cover (county polygons).
    cell_m
        Grid cell of the isochrones in metres.
    """

    minutes: Sequence[float]
    area: object
    cell_m: float = 100.0


@dataclass(frozen=True)
class CapacityRule:
    """How a TCM point's capacity is found (see the module docstring).

    Attributes
    ----------
    column
        Facility column of residents served (read from 服务能力/服务人口/容量/capacity); used
        where filled.
    staff
        Facility staff column used where ``column`` is blank (default ``tcm_physicians``).
    residents_per_staff
        Residents one staff member of ``staff`` serves (default
        :data:`~tcm_coverage.vocab.RESIDENTS_PER_TCM_PHYSICIAN`).
    """

    column: str = "capacity"
    staff: str = "tcm_physicians"
    residents_per_staff: float = RESIDENTS_PER_TCM_PHYSICIAN


@dataclass(frozen=True, eq=False)
class CapacityServed:
    """Residents served within the threshold and capacity, per demand point.

    Attributes
    ----------
    served
        ``(mode, threshold)`` -> (n_demand,) residents served, points of unknown capacity left
        out (the lower bound).
    served_upper
        The same with points of unknown capacity counted without limit; empty when every TCM
        point's capacity is known.
    n_points, n_known, n_unknown
        TCM points; those of known and of unknown capacity.
    capacity_total
        Sum of the known capacities (residents).
    rule
        The :class:`CapacityRule` used.
    """

    served: Mapping[tuple[str, float], np.ndarray]
    served_upper: Mapping[tuple[str, float], np.ndarray]
    n_points: int
    n_known: int
    n_unknown: int
    capacity_total: float
    rule: CapacityRule


def sensitivity_band(table: pd.DataFrame | None) -> dict[str, tuple[float, float, float]]:
    """County code -> (headline, lowest, highest) share over the variations of
    :func:`~tcm_coverage.access.sensitivity.sensitivity_table` (the headline always inside the band); empty without a table.

    Parameters
    ----------
    table
        From :func:`~tcm_coverage.access.sensitivity.sensitivity_table`.

    Returns
    -------
    dict
    """
    if table is None or table.empty:
        return {}
    out = {}
    for code, sub in table.groupby("code", sort=False):
        values = np.concatenate([sub["share_low"], sub["share_high"], sub["headline"]]).astype(float)
        out[str(code)] = (float(sub["headline"].iloc[0]), float(np.nanmin(values)), float(np.nanmax(values)))
    return out
