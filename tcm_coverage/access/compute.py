"""Travel times from every demand point to the nearest facility of each facility set, per mode.

A *facility set* is a set of facilities a resident may want to reach:

=================  =========================================  =====================================
facility set       Chinese                                    facilities
=================  =========================================  =====================================
``tcm_any``        中医药服务点 (15分钟中医药服务圈)            county TCM hospital, township/community
                                                              centre with a 中医馆, village clinic /
                                                              station with a 中医阁, and (only with
                                                              ``include_other=True``) TCM clinics
``county_tcm``     县级中医医院                               county TCM hospitals
``zhongyiguan``    中医馆 (乡镇卫生院/社区卫生服务中心)          centres with a 中医馆
``zhongyige``      中医阁 (村卫生室/社区卫生服务站)              clinics/stations with a 中医阁
``primary_any``    基层医疗机构 (任意)                         every township centre and village
                                                              station, with or without TCM (where an
                                                              upgrade would close a gap)
``tcm_any_upper``  中医药服务点（未知按有）                    ``tcm_any`` counting every centre /
                                                              clinic whose 中医馆/中医阁 is unknown as
                                                              having one: the upper bound
=================  =========================================  =====================================

**Unknown 中医馆/中医阁 flags** (no such column in the facility table, or a blank cell) count as
*no* in ``tcm_any``, ``zhongyiguan`` and ``zhongyige``: those are lower bounds. ``tcm_any_upper``
counts them as *yes*; the pipeline computes it only when some flag is unknown, and the tables,
report and scorecard give both bounds so no headline silently depends on the assumption.

**Functional TCM points** (``AccessOptions.functional``, ``--functional-only``): a 中医馆/中医阁
counts only when its capability columns meet the rule (:mod:`tcm_coverage.inputs.functional`);
unknown capability counts as no, except in ``tcm_any_upper``.

Why this module is long: the facility-set rule, the per-mode routing loop and its warnings are
one contract (every later step reuses the masks and the routing made here).

Direction is resident → facility (it matters for one-way streets by car). Each (mode, facility set)
pair is one multi-source shortest-path run (:func:`tcm_coverage.access.traveltime.nearest_facility_times`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
from tqdm.auto import tqdm

from tcm_coverage._errors import InputError
from tcm_coverage.access.checks import check_names
from tcm_coverage.access.facility_sets import facility_set_masks, functional_unknown, unknown_flags
from tcm_coverage.access.isochrones import (
    CellGrid,
    band_columns,
    bands_frame,
    cell_grid,
    surface_points,
    travel_time_surface,
)
from tcm_coverage.access.results import AccessOptions, AccessResult, IsochroneOptions
from tcm_coverage.access.traveltime import NodeTimes, facility_node_times, nearest_facility_times
from tcm_coverage.i18n import FACILITY_SET_LABELS, MODE_LABELS, text
from tcm_coverage.network import (
    MIN_COMPONENT_M,
    RoadNetwork,
    Routing,
    RoutingGraph,
    Snap,
    build_routing_graph,
    get_profile,
    network_summary,
    snap_key,
    snap_points,
    snap_summary,
    snap_with_profile,
)
from tcm_coverage.vocab import FACILITY_SETS, ISOCHRONE_FACILITY_SETS, time_column

logger = logging.getLogger(__name__)

__all__ = ["AccessOptions", "AccessResult", "IsochroneOptions", "IsochroneRings", "IsochroneWork", "compute_access",
           "compute_isochrones", "facility_set_masks", "functional_unknown", "route_access", "unknown_flags",
           "with_isochrones"]

def _check_facilities_on_network(
    rg: RoutingGraph, snap: Snap, facilities: gpd.GeoDataFrame, *, mode: str, max_offroad_m: float,
    source: str | None,
) -> None:
    far = snap.offroad_m > max_offroad_m
    if far.any():
        idx = np.flatnonzero(far)
        worst = idx[np.argsort(-snap.offroad_m[idx])][:5]
        shown = ", ".join(
            f"{facilities['name'].iat[i]} ({snap.offroad_m[i] / 1000:.1f} km)" for i in worst
        )
        raise InputError(
            f"{len(idx)} facilities are more than {max_offroad_m:.0f} m from the nearest road usable "
            f"by {mode}: {shown}",
            path=source,
            row=facilities["source_row"].to_numpy()[idx].tolist(),
            fix="check their coordinates and datum (GCJ-02/BD-09 coordinates read as WGS-84 are "
                "off by hundreds of metres; swapped or mistyped digits by kilometres), make sure the "
                "road file covers them, or raise the limit with --max-facility-offroad-m",
        )
    component = rg.strong_component[rg.network.u[snap.edge]]
    off_main = component != rg.main_strong_component
    if off_main.any():
        names = ", ".join(facilities["name"].to_numpy()[off_main][:5])
        logger.warning("%s: %d facilities sit on road pieces not connected to the main network (%s)",
                       mode, int(off_main.sum()), names)
    skipped = snap.skipped_fragment
    if skipped.any():
        extra = snap.offroad_m - np.nan_to_num(np.asarray(snap.fragment_m, dtype=float))
        names = ", ".join(
            f"{n} (+{e:.0f} m)" for n, e in zip(
                facilities["name"].to_numpy()[skipped][:5], extra[skipped][:5], strict=True))
        logger.warning("%s: %d facilities are nearest to a road fragment that joins nothing and "
                       "were attached to the network instead, with a longer off-road leg: %s",
                       mode, int(skipped.sum()), names)


def compute_access(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    network: RoadNetwork,
    *,
    modes: Sequence[str] = ("walk", "ebike"),
    facility_sets: Iterable[str] = FACILITY_SETS,
    options: AccessOptions | None = None,
    isochrones: IsochroneOptions | None = None,
    progress: bool = True,
) -> AccessResult:
    """Compute nearest-facility travel times for every demand point, facility set and mode.

    :func:`route_access`, then :func:`compute_isochrones` and :func:`with_isochrones` in turn
    (a run with two CPUs computes the isochrones in a second process meanwhile instead,
    :func:`tcm_coverage.workflows.pipeline.compute`).

    Parameters
    ----------
    demand
        Demand points (``population`` column, Point geometry in EPSG:4326).
    facilities
        Facilities from :func:`tcm_coverage.inputs.facilities.read_facilities`.
    network
        The road network.
    modes
        Travel modes (see :data:`tcm_coverage.network.PROFILES`).
    facility_sets
        Facility sets from :data:`FACILITY_SETS`.
    options
        Speeds, off-road legs, the facility-set rule and the facility check
        (default :class:`AccessOptions()`).
    isochrones
        Also compute isochrone rings for the facility sets of :data:`ISOCHRONE_FACILITY_SETS`
        (default: none).
    progress
        Show a progress bar.

    Returns
    -------
    AccessResult
    """
    access, work = route_access(demand, facilities, network, modes=modes, facility_sets=facility_sets,
                                options=options, isochrones=isochrones, progress=progress)
    if work is None:
        return access
    return with_isochrones(access, work, compute_isochrones(work, progress=progress))


@dataclass(frozen=True)
class IsochroneWork:
    """The isochrones of a routed run, still to be computed (:func:`route_access`): everything
    :func:`compute_isochrones` needs, the routing's Dijkstra runs included (a forked process
    shares them with the one that routed).

    Attributes
    ----------
    runs : tuple of (str, _NodeRuns)
        Per mode, its graph, facilities and Dijkstra runs per facility set.
    masks : mapping
        Facility set -> (len(facilities),) bool.
    facility_sets : tuple of str
        The facility sets drawn as isochrones.
    options : IsochroneOptions
        Thresholds and cell size.
    direct_offroad_m : float
        As in :class:`AccessOptions`.
    grid : CellGrid
        The run's cells, the same for every mode.
    snaps : mapping
        The run's snaps per (point set, snap key), so the cells of a mode sharing the snap key
        of the routing's points are snapped alike.
    """

    runs: tuple[tuple[str, _NodeRuns], ...]
    masks: Mapping[str, np.ndarray]
    facility_sets: tuple[str, ...]
    options: IsochroneOptions
    direct_offroad_m: float
    grid: CellGrid
    snaps: Mapping[tuple[str, bytes], Any]


@dataclass(frozen=True)
class IsochroneRings:
    """The result of :func:`compute_isochrones` (small to send from a second process: the grid
    stays with :class:`IsochroneWork`).

    Attributes
    ----------
    rings : geopandas.GeoDataFrame or None
        As :attr:`AccessResult.isochrones`.
    snaps : mapping
        Per mode with isochrones, its cell centres snapped on its graph.
    """

    rings: gpd.GeoDataFrame | None
    snaps: Mapping[str, Snap]


def route_access(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    network: RoadNetwork,
    *,
    modes: Sequence[str] = ("walk", "ebike"),
    facility_sets: Iterable[str] = FACILITY_SETS,
    options: AccessOptions | None = None,
    isochrones: IsochroneOptions | None = None,
    progress: bool = True,
) -> tuple[AccessResult, IsochroneWork | None]:
    """The travel times of :func:`compute_access` without the isochrones, and the isochrones'
    work (``None`` when none are asked for or no facility set draws any).

    Parameters
    ----------
    demand, facilities, network, modes, facility_sets, options, isochrones, progress
        As in :func:`compute_access`.

    Returns
    -------
    (AccessResult, IsochroneWork or None)
        The result has no ``isochrones`` and no ``cells`` yet: :func:`compute_isochrones`
        then :func:`with_isochrones` add them.
    """
    facility_sets = check_names(facility_sets, FACILITY_SETS, what="facility set")
    opts = AccessOptions() if options is None else options
    _check_not_empty(demand, facilities, source=opts.facilities_source)
    iso_sets = ([t for t in ISOCHRONE_FACILITY_SETS if t in facility_sets]
                if isochrones is not None and len(isochrones.minutes) else [])
    if iso_sets and isochrones is not None and isochrones.area is None:
        raise InputError("isochrones need the area they cover", fix="pass IsochroneOptions(area=<county polygons>)")
    masks = facility_set_masks(facilities, include_other=opts.include_other, functional=opts.functional)
    # the isochrone cells, laid once for every mode (a bad cell size fails before any routing)
    grid = (cell_grid(network.crs_m, isochrones.area, cell_m=isochrones.cell_m)
            if iso_sets and isochrones is not None else None)
    dem = demand.copy()
    fac = facilities.copy()
    dlon, dlat = dem.geometry.x.to_numpy(float), dem.geometry.y.to_numpy(float)
    flon, flat = fac.geometry.x.to_numpy(float), fac.geometry.y.to_numpy(float)
    pop = dem["population"].to_numpy(float)
    fid = fac["facility_id"].to_numpy(dtype=object)
    summaries: dict[str, dict] = {}
    routing: dict[str, Routing] = {}
    raw_notes: list[_RawNote] = []
    runs: list[tuple[str, _NodeRuns]] = []
    snaps: dict[tuple[str, bytes], Any] = {}  # each point set snapped once per snap_key
    steps = len(modes) * (2 + len(facility_sets))
    with tqdm(total=steps, desc="travel times", unit="step", disable=not progress, leave=False) as bar:
        for mode in modes:
            profile = get_profile(
                mode,
                overrides=opts.speed_overrides.get(mode),
                offroad_kmh=opts.offroad_kmh.get(mode),
            )
            bar.set_postfix_str(f"{mode}: graph")
            rg = build_routing_graph(network, profile)
            bar.update()
            bar.set_postfix_str(f"{mode}: snapping")
            fsnap = snap_with_profile(_once(snaps, "facilities", rg,
                                            lambda g: snap_points(g, flon, flat, leg="from_road")), rg)
            _check_facilities_on_network(rg, fsnap, fac, mode=mode, max_offroad_m=opts.max_facility_offroad_m,
                                         source=opts.facilities_source)
            dsnap = snap_with_profile(_once(snaps, "demand", rg, lambda g: snap_points(g, dlon, dlat)), rg)
            routing[mode] = Routing(graph=rg, demand=dsnap, facilities=fsnap)
            bar.update()
            fac[f"offroad_m_{mode}"] = fsnap.offroad_m
            dem[f"offroad_m_{mode}"] = dsnap.offroad_m
            summaries[mode] = _mode_summary(rg, dsnap, pop, direct_offroad_m=opts.direct_offroad_m)
            raw_notes.extend((key, values, mode) for key, values in _snap_notes(summaries[mode]))
            nodes = _NodeRuns(rg, fsnap)  # one Dijkstra per facility set, for residents and cells
            columns, empty = _nearest_columns(dsnap, fid, {s: masks[s] for s in facility_sets}, nodes,
                                              mode=mode, direct_offroad_m=opts.direct_offroad_m, bar=bar)
            for col, values in columns.items():
                dem[col] = values
            raw_notes.extend(("no_facility", (("facility_set", (s, FACILITY_SET_LABELS[s]["zh"])),), None)
                             for s in empty)
            runs.append((mode, nodes))
    notes = _once_per_run(raw_notes)
    for en, _ in notes:
        logger.warning(en)
    access = AccessResult(demand=dem, facilities=fac, modes=tuple(modes), facility_sets=facility_sets,
                          networks=summaries, warnings=tuple(en for en, _ in notes),
                          warnings_zh=tuple(zh for _, zh in notes), routing=routing, options=opts)
    if grid is None or isochrones is None:
        return access, None
    work = IsochroneWork(runs=tuple(runs), masks=masks, facility_sets=tuple(iso_sets), options=isochrones,
                         direct_offroad_m=opts.direct_offroad_m, grid=grid, snaps=snaps)
    return access, work


def compute_isochrones(work: IsochroneWork, *, progress: bool = False) -> IsochroneRings:
    """The isochrone rings of a routed run (:func:`route_access`), per mode and facility set.

    Parameters
    ----------
    work : IsochroneWork
        From :func:`route_access`.
    progress : bool, default False
        Show a progress bar.

    Returns
    -------
    IsochroneRings
    """
    snaps = dict(work.snaps)  # the cells' snaps join the routing's, in a copy
    parts: list[dict[str, list]] = []
    cells: dict[str, Snap] = {}
    steps = len(work.runs) * len(work.facility_sets)
    with tqdm(total=steps, desc="isochrones", unit="step", disable=not progress, leave=False) as bar:
        for mode, nodes in work.runs:
            mode_parts, snapped = _mode_isochrones(nodes, work.masks, mode=mode, facility_sets=work.facility_sets,
                                                   isochrones=work.options, direct_offroad_m=work.direct_offroad_m,
                                                   bar=bar, cells=(work.grid, snaps))
            parts.extend(mode_parts)
            if snapped is not None:
                cells[mode] = snapped[0]
    rings = bands_frame(parts) if parts else None  # one frame (not one per surface, then concatenated)
    return IsochroneRings(rings=rings, snaps=cells)


def with_isochrones(access: AccessResult, work: IsochroneWork, rings: IsochroneRings) -> AccessResult:
    """``access`` (from :func:`route_access`) with its isochrone rings and cells.

    Parameters
    ----------
    access : AccessResult
        From :func:`route_access`.
    work : IsochroneWork
        Its isochrones' work.
    rings : IsochroneRings
        From :func:`compute_isochrones` of ``work`` (in this process or another).

    Returns
    -------
    AccessResult
    """
    return replace(access, isochrones=rings.rings,
                   cells={mode: (snap, work.grid) for mode, snap in rings.snaps.items()})


def _check_not_empty(demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *, source: str | None) -> None:
    if len(demand) == 0:
        raise InputError("there are no demand points (population is empty)",
                         fix="check the population file covers the study area")
    if len(facilities) == 0:
        raise InputError("there are no facilities", path=source, fix="check the facility file")


def _mode_summary(rg: RoutingGraph, dsnap: Snap, pop: np.ndarray, *, direct_offroad_m: float) -> dict:
    """:func:`network_summary` of one mode with the :func:`snap_summary` of its demand points."""
    summary = dict(network_summary(rg))
    summary.update(snap_summary(rg, dsnap, pop))
    summary["direct_offroad_m"] = float(direct_offroad_m)
    return summary


def _note(key: str, **values: object) -> tuple[str, str]:
    """The ``access.{key}`` warning as ``(en, zh)``; a value given as a pair is ``(en, zh)``."""
    def pick(i: int) -> dict[str, object]:
        return {k: v[i] if isinstance(v, tuple) else v for k, v in values.items()}
    return text(f"access.{key}", "en", **pick(0)), text(f"access.{key}", "zh", **pick(1))


#: A warning before it is written: its catalogue key, its values (``(name, value)`` pairs; a value
#: given as a pair is ``(en, zh)``) and the mode it concerns (``None``: every mode alike).
_RawNote = tuple[str, tuple[tuple[str, object], ...], str | None]


def _snap_notes(summary: Mapping[str, float]) -> list[tuple[str, tuple[tuple[str, object], ...]]]:
    """Warnings about residents off the main network or attached past a fragment, as catalogue
    keys and values (the mode is added by :func:`_once_per_run`)."""
    notes: list[tuple[str, tuple[tuple[str, object], ...]]] = []
    if summary["points_off_main_component"]:
        notes.append(("off_main_component", (
            ("population", summary["population_off_main_component"]),
            ("points", summary["points_off_main_component"]), ("km", MIN_COMPONENT_M / 1000),
            ("direct_m", summary["direct_offroad_m"]))))
    if summary["points_skipped_fragment"]:
        notes.append(("skipped_fragment", (
            ("population", summary["population_skipped_fragment"]),
            ("points", summary["points_skipped_fragment"]),
            ("median_m", summary["skipped_fragment_extra_m_median"]),
            ("max_m", summary["skipped_fragment_extra_m_max"]))))
    return notes


def _once_per_run(raw: Sequence[_RawNote]) -> list[tuple[str, str]]:
    """Each warning once, ``(en, zh)``, in the order first met: the same warning with the same
    numbers for several modes is one line naming them all ("walk, ebike: ..." /
    "步行、电动自行车：..."), a warning about no mode in particular is not repeated per mode."""
    modes: dict[tuple[str, tuple[tuple[str, object], ...]], list[str]] = {}
    for key, values, mode in raw:
        seen = modes.setdefault((key, values), [])
        if mode is not None and mode not in seen:
            seen.append(mode)
    notes: list[tuple[str, str]] = []
    for (key, values), concerned in modes.items():
        fields = dict(values)
        if concerned:
            fields["mode"] = (", ".join(concerned), "、".join(MODE_LABELS[m]["zh"] for m in concerned))
        notes.append(_note(key, **fields))
    return notes


@dataclass(frozen=True)
class _NodeRuns:
    """The Dijkstra run of each set of facilities of one mode (:func:`facility_node_times`),
    made once for the residents and the isochrone cells (and once for sets with the same
    facilities); ``_runs`` is the cache, by packed mask (a dataclass, so that a copy compares
    equal field by field)."""

    rg: RoutingGraph
    fsnap: Snap
    _runs: dict[bytes, tuple[Snap, NodeTimes]] = field(default_factory=dict)

    def get(self, mask: np.ndarray) -> tuple[Snap, NodeTimes]:
        """The facilities of ``mask`` and their node times."""
        key = np.packbits(mask).tobytes()
        if key not in self._runs:
            fac = self.fsnap.take(mask)
            self._runs[key] = (fac, facility_node_times(self.rg, fac))
        return self._runs[key]


def _nearest_columns(
    dsnap: Snap, fid: np.ndarray, masks: Mapping[str, np.ndarray], nodes: _NodeRuns, *,
    mode: str, direct_offroad_m: float, bar: tqdm,
) -> tuple[dict[str, object], list[str]]:
    """The ``t_{set}_{mode}`` and ``f_{set}_{mode}`` columns of one mode for each facility set of
    ``masks`` (``fid``: ``facility_id`` per facility), and the sets with no facility (their times
    are all ``inf``)."""
    columns: dict[str, object] = {}
    empty = []
    for facility_set, mask in masks.items():
        bar.set_postfix_str(f"{mode}: {facility_set}")
        col_t, col_f = time_column(facility_set, mode), f"f_{facility_set}_{mode}"
        if not mask.any():
            columns[col_t] = np.inf
            columns[col_f] = ""
            empty.append(facility_set)
        else:
            fac, runs = nodes.get(mask)
            res = nearest_facility_times(nodes.rg, dsnap, fac, direct_offroad_m=direct_offroad_m, nodes=runs)
            columns[col_t] = res.minutes
            ids = fid[mask]
            columns[col_f] = np.where(res.facility >= 0, ids[np.clip(res.facility, 0, None)], "")
        bar.update()
    return columns, empty


def _once(snaps: dict[tuple[str, bytes], Any], name: str, rg: RoutingGraph, make: Any) -> Any:
    """``make(rg)`` (a snap of point set ``name``), once for all modes with the same
    :func:`~tcm_coverage.network.snap_key`; ``snaps`` keeps the first."""
    key = (name, snap_key(rg))
    if key not in snaps:
        snaps[key] = make(rg)
    return snaps[key]


def _mode_isochrones(
    nodes: _NodeRuns, masks: Mapping[str, np.ndarray], *, mode: str, facility_sets: Sequence[str],
    isochrones: IsochroneOptions, direct_offroad_m: float, bar: tqdm,
    cells: tuple[CellGrid, dict[tuple[str, bytes], Any]],
) -> tuple[list[dict[str, list]], tuple[Snap, CellGrid] | None]:
    """Isochrone rings of one mode per facility set (:func:`band_columns`; none for a set with no facility), and the
    grid's cells snapped on the mode's graph (``None`` when no set has a facility); ``cells``
    is the run's grid (the same for every mode) and the run's snaps, so the grid is snapped
    once for the modes that share a snap key; ``nodes`` the mode's Dijkstra runs, shared with
    the residents."""
    rg = nodes.rg
    grid, snaps = cells
    snapped: tuple[Snap, CellGrid] | None = None
    parts = []
    for facility_set in facility_sets:
        bar.set_postfix_str(f"{mode}: isochrones {facility_set}")
        mask = masks[facility_set]
        if mask.any():
            if snapped is None:
                snap, _ = _once(snaps, "isochrone cells", rg, lambda g: surface_points(g, None, grid=grid))
                snapped = (snap_with_profile(snap, rg), grid)
            fac, runs = nodes.get(mask)
            surface = travel_time_surface(rg, fac, None, cells=snapped, direct_offroad_m=direct_offroad_m,
                                          nodes=runs)
            parts.append(band_columns(surface, isochrones.minutes,
                                      attributes={"mode": mode, "target": facility_set}))
        bar.update()
    return parts, snapped
