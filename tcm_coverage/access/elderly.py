"""Residents 65+: a second set of demand points routed on the run's graphs, and their coverage
beside all residents in the coverage tables.

The plans target the elderly (TCM health management of residents 65+), who walk slower. The
residents 65+ (``population`` = people 65+ per point) are routed with the *same* graphs and
facility snaps as everybody (:class:`~tcm_coverage.network.Routing` of each mode): for
``walk`` with the ``walk_elderly`` profile (3.6 km/h on roads, 2.7 km/h off road: the same
pieces as ``walk``, reweighted by :func:`~tcm_coverage.network.reweighted_graph`), for every
other mode with that mode's own graph. Their time columns keep the mode's name
(``t_tcm_any_walk`` of a 65+ point is the elderly walking time).

The tables gain, for each row of all residents, ``population_65plus``,
``pop_65plus_within_T`` and ``share_65plus_within_T`` (and ``share_65plus_within_T_upper``
when the upper bound was computed): :func:`~tcm_coverage.vocab.elderly_column`. Without
residents 65+ the tables have no such columns (no data, not zeros).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage.access.areas import area_codes
from tcm_coverage.access.compute import AccessOptions, AccessResult, facility_set_masks
from tcm_coverage.access.coverage import CoverageTables, level_stats
from tcm_coverage.access.grouped import group_codes
from tcm_coverage.access.traveltime import NodeTimes, facility_node_times, nearest_facility_times
from tcm_coverage.network import Routing, Snap, get_profile, reweighted_graph, snap_points
from tcm_coverage.vocab import (
    ELDERLY_MODES,
    HEADLINE_FACILITY_SET,
    POPULATION_65PLUS,
    UPPER_SUFFIX,
    elderly_column,
    share_column,
    time_column,
)

__all__ = ["elderly_routing", "elderly_tables", "elderly_times"]


def _rescaled(snap: Snap, offroad_kmh: float) -> Snap:
    """The same snap with the off-road leg at another speed."""
    return replace(snap, offroad_min=snap.offroad_m / (offroad_kmh * 1000.0 / 60.0))


def _same_points(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> bool:
    return len(a) == len(b) and bool(
        np.array_equal(a.geometry.x.to_numpy(float), b.geometry.x.to_numpy(float))
        and np.array_equal(a.geometry.y.to_numpy(float), b.geometry.y.to_numpy(float)))


def elderly_routing(elderly: gpd.GeoDataFrame, access: AccessResult, *,
                    options: AccessOptions | None = None) -> dict[str, Routing]:
    """Per mode of ``access``, the graph and snaps the residents 65+ are routed with.

    Parameters
    ----------
    elderly
        Points of residents 65+ (``population`` = people 65+), EPSG:4326.
    access
        The run's travel times (its ``routing`` is reused: no graph is built again).
    options
        The run's routing options (speed overrides of ``walk_elderly``).

    Returns
    -------
    dict of str to Routing
        ``demand`` is the 65+ points' snap; for ``walk`` the graph is ``walk_elderly``'s.
    """
    opts = AccessOptions() if options is None else options
    same = _same_points(elderly, access.demand)
    lon, lat = elderly.geometry.x.to_numpy(float), elderly.geometry.y.to_numpy(float)
    out: dict[str, Routing] = {}
    for mode in access.modes:
        base = access.routing[mode]
        slow = ELDERLY_MODES.get(mode)
        if slow is not None and slow in access.routing:
            base = access.routing[slow]
        elif slow is not None:
            profile = get_profile(slow, overrides=opts.speed_overrides.get(slow),
                                  offroad_kmh=opts.offroad_kmh.get(slow))
            graph = reweighted_graph(base.graph, profile)
            if graph.routable is base.graph.routable:  # same pieces: the same snaps, slower legs
                base = Routing(graph=graph, demand=_rescaled(base.demand, profile.offroad_kmh),
                               facilities=_rescaled(base.facilities, profile.offroad_kmh))
            else:
                fac = access.facilities
                base = Routing(graph=graph, demand=snap_points(graph, *_lonlat(access.demand)),
                               facilities=snap_points(graph, *_lonlat(fac)))
        dsnap = base.demand if same else snap_points(base.graph, lon, lat)
        out[mode] = Routing(graph=base.graph, demand=dsnap, facilities=base.facilities)
    return out


def _lonlat(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame.geometry.x.to_numpy(float), frame.geometry.y.to_numpy(float)


def elderly_times(elderly: gpd.GeoDataFrame, access: AccessResult, *,
                  options: AccessOptions | None = None) -> gpd.GeoDataFrame:
    """Travel times of the residents 65+ to every facility set of ``access``.

    A mode whose 65+ points are routed exactly like everybody (the same points, graph and snaps,
    and ``options`` those of ``access``: e-bike and car on a raster's cells) takes the times of
    ``access.demand``; the others run one Dijkstra per distinct set of facilities.

    Parameters
    ----------
    elderly
        Points of residents 65+ (``population`` = people 65+), EPSG:4326.
    access
        The run's travel times (same modes, facility sets and facilities).
    options
        The run's routing options (the same facility-set rule as ``access``).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``elderly`` with ``t_{set}_{mode}`` (minutes, ``inf`` unreachable).
    """
    opts = AccessOptions() if options is None else options
    masks = facility_set_masks(access.facilities, include_other=opts.include_other,
                               functional=opts.functional)
    as_run = access.options is not None and access.options == opts
    out = elderly.copy()
    for mode, routing in elderly_routing(elderly, access, options=opts).items():
        ran = access.routing.get(mode)
        same = (as_run and ran is not None and routing.graph is ran.graph
                and routing.demand is ran.demand and routing.facilities is ran.facilities)
        nodes: dict[bytes, NodeTimes] = {}  # one Dijkstra per distinct set of facilities
        for facility_set in access.facility_sets:
            column = time_column(facility_set, mode)
            mask = masks[facility_set]
            if not mask.any():
                out[column] = np.inf
                continue
            if same and column in access.demand:
                out[column] = access.demand[column].to_numpy(float, copy=True)
                continue
            fac = routing.facilities.take(mask)
            key = np.packbits(mask).tobytes()
            if key not in nodes:
                nodes[key] = facility_node_times(routing.graph, fac)
            res = nearest_facility_times(routing.graph, routing.demand, fac,
                                         direct_offroad_m=opts.direct_offroad_m, nodes=nodes[key])
            out[column] = res.minutes
    return out


def _level_rows(elderly: gpd.GeoDataFrame, levels: Mapping[str, gpd.GeoDataFrame], *, modes: Sequence[str],
                facility_sets: Sequence[str], thresholds: Sequence[float]) -> dict[str, pd.DataFrame]:
    """Per level, per area × mode × facility set: people 65+, within each threshold and the
    share (sums only: the times are not sorted, no quantile is kept)."""
    columns = [(m, f) for m in modes for f in facility_sets]
    if not columns:
        return {lvl: pd.DataFrame(columns=["code", "mode", "target"]) for lvl in levels}
    minutes = np.column_stack([elderly[time_column(f, m)].to_numpy(float) for m, f in columns])
    keep_cols = ["population"] + [c for t in thresholds for c in (f"pop_within_{t:g}", share_column(t))]
    out = {}
    for level, areas in levels.items():
        stats = level_stats(group_codes(area_codes(elderly, areas, level=level)), minutes,
                            elderly["population"].to_numpy(float), columns=columns, thresholds=thresholds,
                            ranked=False)
        out[level] = stats[["code", *keep_cols, "mode", "target"]].rename(
            columns={c: elderly_column(c) for c in keep_cols})
    return out


def _merge(table: pd.DataFrame, rows: pd.DataFrame, on: list[str], thresholds: Sequence[float]) -> pd.DataFrame:
    out = table.merge(rows, on=on, how="left")
    counts = [POPULATION_65PLUS] + [elderly_column(f"pop_within_{t:g}") for t in thresholds]
    out[counts] = out[counts].fillna(0.0)  # an area with no resident 65+: 0 people, share unknown
    return out


def elderly_tables(
    tables: CoverageTables, elderly: gpd.GeoDataFrame, *, counties: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame | None, modes: Sequence[str], facility_sets: Sequence[str],
    thresholds: Sequence[float], headline_facility_set: str = HEADLINE_FACILITY_SET,
) -> CoverageTables:
    """The coverage tables with the residents-65+ columns beside all residents.

    Parameters
    ----------
    tables
        From :func:`~tcm_coverage.access.coverage.coverage_tables`.
    elderly
        From :func:`elderly_times` (with the area codes of
        :func:`~tcm_coverage.access.coverage.with_area_codes` when already assigned, see
        :func:`~tcm_coverage.access.coverage.area_codes`).
    counties, townships, modes, facility_sets, thresholds, headline_facility_set
        As given to :func:`~tcm_coverage.access.coverage.coverage_tables`.

    Returns
    -------
    CoverageTables
        ``county`` and ``township`` with ``population_65plus``, ``pop_65plus_within_T``,
        ``share_65plus_within_T`` (and ``..._upper`` when the upper bound is there);
        ``by_facility_set`` with the same per row.
    """
    levels = {"county": counties}
    if tables.township is not None and townships is not None:
        levels["township"] = townships
    rows = _level_rows(elderly, levels, modes=modes, facility_sets=facility_sets, thresholds=thresholds)
    main: dict[str, pd.DataFrame] = {}
    upper_set = headline_facility_set + UPPER_SUFFIX
    for lvl, found in rows.items():
        head = found[found["target"] == headline_facility_set].drop(columns="target")
        if upper_set in facility_sets:
            upper = found[found["target"] == upper_set][
                ["code", "mode"] + [elderly_column(share_column(t)) for t in thresholds]]
            head = head.merge(upper.rename(columns={elderly_column(share_column(t)):
                                                    elderly_column(share_column(t, upper=True))
                                                    for t in thresholds}), on=["code", "mode"], how="left")
        main[lvl] = _merge(getattr(tables, lvl), head, ["code", "mode"], thresholds)
    long = pd.concat([r.assign(level=lvl) for lvl, r in rows.items()], ignore_index=True)
    by_set = _merge(tables.by_facility_set, long, ["level", "code", "mode", "target"], thresholds)
    # the facility sets whose flags are all unknown have no data for all residents: none for 65+
    blank = (by_set[share_column(thresholds[0])].isna() & (by_set["population"] > 0)).to_numpy()
    e_cols = [c for c in by_set.columns if c == POPULATION_65PLUS or "_65plus_within_" in c]
    by_set.loc[blank, [c for c in e_cols if c != POPULATION_65PLUS]] = np.nan
    return replace(tables, county=main["county"], township=main.get("township"), by_facility_set=by_set)
