"""Coverage tables per county and township: population-weighted access and facility standards.

All numbers are population-weighted over demand points. Travel-time statistics (mean, 90th
percentile) are over residents who can reach a facility at all; residents who cannot are
counted in ``unreachable_population`` (their time is infinite, so a 90th percentile above the
reachable share is reported as NaN, shown as blank in spreadsheets).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage.access.areas import UNASSIGNED, area_codes, assign_areas, with_area_codes
from tcm_coverage.access.checks import check_thresholds, check_time_columns
from tcm_coverage.access.grouped import Groups, column_summary, group_codes, group_sums, value_order
from tcm_coverage.inputs import flag_values
from tcm_coverage.vocab import HEADLINE_FACILITY_SET, MODES, share_column, time_column

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

__all__ = ["STAFF_COLUMNS", "UNASSIGNED", "CoverageTables", "access_summary", "area_codes", "assign_areas", "coverage_tables",
           "facility_indicators", "level_stats", "no_data_cells", "no_data_facility_sets", "with_area_codes"]

def access_summary(
    groups: np.ndarray,
    minutes: np.ndarray,
    population: np.ndarray,
    *,
    thresholds: Sequence[float],
) -> pd.DataFrame:
    """Population-weighted coverage statistics of one travel-time column per group.

    Parameters
    ----------
    groups
        Group key per demand point (e.g. township code).
    minutes
        Travel time per demand point (``inf`` when unreachable).
    population
        Weight per demand point.
    thresholds
        Minutes; for each ``T`` the output has ``pop_within_T`` and ``share_within_T``.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``population``, ``pop_within_T``/``share_within_T`` per threshold,
        ``mean_min``, ``p90_min`` (NaN when more than 10 % are unreachable),
        ``max_min`` (over reachable), ``unreachable_population``.
    """
    grouped = group_codes(np.asarray(groups), drop=None)
    stats = column_summary(grouped, np.asarray(minutes, float), np.asarray(population, float),
                           thresholds=thresholds)
    return _summary_frame(grouped.labels, {k: v[:, 0] for k, v in stats.items()}, thresholds)


def _summary_frame(labels: np.ndarray, stats: dict[str, np.ndarray], thresholds: Sequence[float],
                   index: bool = True) -> pd.DataFrame:
    """The :func:`access_summary` columns from 1-D arrays of :func:`column_summary` (one row per
    entry of ``labels``: the index, or a ``code`` column when ``index`` is false)."""
    pop = stats["population"]
    cols: dict[str, np.ndarray] = {"population": pop}
    with np.errstate(invalid="ignore", divide="ignore"):
        for t in thresholds:
            within = stats[f"pop_within_{t:g}"]
            cols[f"pop_within_{t:g}"] = within
            cols[share_column(t)] = np.where(pop > 0, within / np.where(pop > 0, pop, 1.0), np.nan)
    for name in ("mean_min", "p90_min", "max_min", "unreachable_population"):
        if name in stats:  # p90 and max: only when ranked (column_summary)
            cols[name] = stats[name]
    if index:
        return pd.DataFrame(cols, index=pd.Index(labels))
    return pd.DataFrame({"code": labels, **cols})


def facility_indicators(facilities: gpd.GeoDataFrame, groups: np.ndarray) -> pd.DataFrame:
    """Facility counts and TCM standards per group.

    Unknown is not zero: a centre whose 中医馆 flag is unknown (no such column, or a blank
    cell) is counted in ``n_centres_zhongyiguan_unknown``, not as a centre without one, and the
    share is over the centres whose flag is known (NaN, i.e. no data, when none is). The same
    for clinics/stations and 中医阁. Staff and bed sums are over the facilities that report
    them (NaN when none does); ``{col}_unreported`` counts the facilities that left them blank.

    Parameters
    ----------
    facilities
        From :func:`tcm_coverage.inputs.facilities.read_facilities`.
    groups
        Group key per facility (``""`` = outside every area; dropped).

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``n_county_tcm``, ``n_centres``, ``n_centres_zhongyiguan`` (known
        to have one), ``n_centres_zhongyiguan_unknown``, ``share_centres_zhongyiguan`` (over
        the known), ``n_stations``, ``n_stations_zhongyige``, ``n_stations_zhongyige_unknown``,
        ``share_stations_zhongyige``, ``n_tcm_clinics``, ``n_other``, the sums of
        ``tcm_gps``, ``tcm_physicians``, ``beds`` (NaN where no facility reports them) and
        ``tcm_gps_unreported``, ``tcm_physicians_unreported``, ``beds_unreported``.
    """
    tier = facilities["tier"].to_numpy()
    guan, guan_unknown = flag_values(facilities, "zhongyiguan")
    ge, ge_unknown = flag_values(facilities, "zhongyige")
    centre, station = tier == "township_centre", tier == "village_station"
    clinic = facilities["is_tcm_clinic"].to_numpy(bool)
    flags = {
        "n_county_tcm": tier == "county_tcm",
        "n_centres": centre,
        "n_centres_zhongyiguan": centre & guan,
        "n_centres_zhongyiguan_unknown": centre & guan_unknown,
        "n_stations": station,
        "n_stations_zhongyige": station & ge,
        "n_stations_zhongyige_unknown": station & ge_unknown,
        "n_tcm_clinics": (tier == "other") & clinic,
        "n_other": (tier == "other") & ~clinic,
    }
    staff = np.column_stack([facilities[col].to_numpy(float) if col in facilities else np.full(len(facilities), np.nan)
                             for col in STAFF_COLUMNS]).reshape(len(facilities), len(STAFF_COLUMNS))
    reported = ~np.isnan(staff)
    grouped = group_codes(np.asarray(groups), drop=UNASSIGNED)
    sums = group_sums(grouped, np.column_stack([np.column_stack(list(flags.values())).reshape(len(facilities), -1),
                                                np.where(reported, staff, 0.0), reported]))  # one pass
    nf, ns = len(flags), len(STAFF_COLUMNS)
    out = pd.DataFrame({name: sums[:, k].round().astype(np.int64) for k, name in enumerate(flags)},
                       index=pd.Index(grouped.labels))
    known_centres = out["n_centres"] - out["n_centres_zhongyiguan_unknown"]
    known_stations = out["n_stations"] - out["n_stations_zhongyige_unknown"]
    out["share_centres_zhongyiguan"] = out["n_centres_zhongyiguan"] / known_centres.where(known_centres > 0)
    out["share_stations_zhongyige"] = out["n_stations_zhongyige"] / known_stations.where(known_stations > 0)
    n_reported = sums[:, nf + ns:]
    for k, col in enumerate(STAFF_COLUMNS):  # NaN where no facility of the area reports it
        out[col] = np.where(n_reported[:, k] > 0, sums[:, nf + k], np.nan)
    counts = np.bincount(grouped.index[grouped.kept], minlength=grouped.n)
    for k, col in enumerate(STAFF_COLUMNS):
        out[f"{col}_unreported"] = (counts - n_reported[:, k]).round().astype(np.int64)
    out.index.name = None
    return out


def no_data_facility_sets(facilities: gpd.GeoDataFrame) -> list[str]:
    """Facility sets whose facilities are all of unknown status: ``"zhongyiguan"`` when there are
    centres and no centre's 中医馆 flag is known, ``"zhongyige"`` likewise for clinics/stations.

    Parameters
    ----------
    facilities
        From :func:`tcm_coverage.inputs.facilities.read_facilities`.

    Returns
    -------
    list of str
    """
    tier = facilities["tier"].to_numpy()
    out = []
    for facility_set, tr in (("zhongyiguan", "township_centre"), ("zhongyige", "village_station")):
        sel = tier == tr
        if sel.any() and flag_values(facilities, facility_set)[1][sel].all():
            out.append(facility_set)
    return out


#: Staff and bed columns summed per area (NaN when no facility reports them).
STAFF_COLUMNS: tuple[str, ...] = ("tcm_gps", "tcm_physicians", "beds")


def no_data_cells(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Cells of a coverage table that are *unknown*, to be shown as 无数据 / "no data".

    Parameters
    ----------
    table
        A table of :class:`CoverageTables` (``county``, ``township`` or ``by_facility_set``).

    Returns
    -------
    dict of str to numpy.ndarray
        Column -> boolean mask: the 中医馆 count and share where some centre exists and no
        centre's flag is known (likewise 中医阁), and the staff and bed sums where no facility
        of the area reports them.
    """
    out: dict[str, np.ndarray] = {}
    for n_col, have, share in (("n_centres", "n_centres_zhongyiguan", "share_centres_zhongyiguan"),
                               ("n_stations", "n_stations_zhongyige", "share_stations_zhongyige")):
        unknown_col = f"{have}_unknown"
        if n_col in table and unknown_col in table:
            n = table[n_col].to_numpy(float)
            mask = (n > 0) & (table[unknown_col].to_numpy(float) >= n)
            out[have] = mask
            if share in table:
                out[share] = mask
    for col in STAFF_COLUMNS:
        if col in table:
            out[col] = table[col].isna().to_numpy()
    if "level" in table and "target" in table:  # the long table: facility sets of no_data_facility_sets
        shares = [c for c in table.columns if c.startswith("share_within_")]
        if shares:
            rows = (table["target"].isin(["zhongyiguan", "zhongyige"]).to_numpy()
                    & table[shares[0]].isna().to_numpy()
                    & (table["population"].to_numpy(float) > 0))
            for col in table.columns:
                if col not in ("level", "code", "mode", "target", "population", "name", "parent_code"):
                    out[col] = rows
    return out


@dataclass(frozen=True)
class CoverageTables:
    """The coverage tables of :func:`coverage_tables`.

    Attributes
    ----------
    county
        One row per county and mode for the headline facility set: ``population``,
        ``pop_within_T`` and ``share_within_T`` per threshold (plus ``share_within_T_upper``
        when the upper bound was computed), ``mean_min``, ``p90_min``, ``max_min``,
        ``unreachable_population`` (:func:`access_summary`) and the facility indicators
        (:func:`facility_indicators`); ``parent_code`` first when the areas have one.
    township
        The same per township; ``None`` without township boundaries.
    by_facility_set
        Long: one row per level (``county``/``township``) × area × mode × facility set (column
        ``target``), with the :func:`access_summary` statistics; NaN for the facility sets of
        :func:`no_data_facility_sets`. Written as ``coverage_targets.csv``.
    unassigned
        One row: ``points`` and ``population`` outside every county.
    """

    county: pd.DataFrame
    township: pd.DataFrame | None
    by_facility_set: pd.DataFrame
    unassigned: pd.DataFrame


def coverage_tables(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    counties: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame | None,
    modes: Sequence[str],
    facility_sets: Sequence[str],
    thresholds: Sequence[float],
    headline_facility_set: str = HEADLINE_FACILITY_SET,
) -> CoverageTables:
    """Coverage tables per county and per township.

    Parameters
    ----------
    demand
        Demand points with ``population`` and the ``t_{facility_set}_{mode}`` columns of
        :func:`tcm_coverage.access.compute.compute_access`. When :func:`with_area_codes` gave
        them ``county_code`` (``township_code``) columns from these ``counties``
        (``townships``), as a run does once, those codes are used instead of assigning the
        points again (:func:`area_codes`; codes from other boundaries are not).
    facilities
        Facilities (for counts and TCM standards per area).
    counties, townships
        Area polygons with ``code`` and ``name`` (townships optional).
    modes, facility_sets, thresholds
        What to tabulate.
    headline_facility_set
        The facility set of the main tables (default: any TCM service point); one of
        ``facility_sets``. When ``{headline_facility_set}_upper`` is among ``facility_sets``
        (some 中医馆/中医阁 flags are unknown), the main tables also get
        ``share_within_T_upper``: the share with unknown flags counted as yes
        (``share_within_T`` counts them as no).

    Returns
    -------
    CoverageTables

    Raises
    ------
    InputError
        No threshold, no mode or facility set, the headline facility set not among those asked
        for, or a travel-time column missing from ``demand`` (the message names it and the
        facility sets and modes ``demand`` does carry).
    """
    thresholds = check_thresholds(thresholds)
    if "population" not in demand.columns:
        raise InputError("the demand points have no 'population' column", column="population",
                         fix="pass demand points with a population per point")
    check_time_columns(demand, facility_sets=facility_sets, modes=modes)
    if headline_facility_set not in facility_sets:
        raise InputError(f"the headline facility set '{headline_facility_set}' is not among "
                         f"the facility sets asked for {list(facility_sets)}",
                         fix=f"add it, or pass headline_facility_set= one of {list(facility_sets)}")
    pop = demand["population"].to_numpy(float)
    levels = {"county": counties}
    if townships is not None and len(townships):
        levels["township"] = townships
    codes = {lvl: area_codes(demand, areas, level=lvl) for lvl, areas in levels.items()}
    outside = codes["county"] == UNASSIGNED
    if outside.any():
        logger.warning("%d demand points (%.0f residents) lie outside every county boundary and are "
                       "left out of the tables", int(outside.sum()), pop[outside].sum())
    columns = [(m, f) for m in modes for f in facility_sets]
    minutes = np.column_stack([demand[time_column(f, m)].to_numpy(float) for m, f in columns])
    tables: dict[str, pd.DataFrame] = {}
    long_parts: list[pd.DataFrame] = []
    order = value_order(minutes)  # the times sorted once for every level
    for lvl, areas in levels.items():
        stats = level_stats(group_codes(codes[lvl]), minutes, pop, columns=columns, thresholds=thresholds,
                            order=order)
        long_parts.append(stats.assign(level=lvl))
        fac = facility_indicators(facilities, assign_areas(facilities, areas, max_distance_m=500.0))
        tables[lvl] = _area_table(stats, fac, areas, level=lvl, modes=modes, thresholds=thresholds,
                                  headline_facility_set=headline_facility_set)
    long: pd.DataFrame = pd.concat(long_parts, ignore_index=True)
    for facility_set in no_data_facility_sets(facilities):
        # every 中医馆 (中医阁) flag unknown: the travel times to "none of them" mean nothing
        stat_cols = [c for c in long.columns if c not in ("level", "code", "mode", "target", "population")]
        long.loc[long["target"] == facility_set, stat_cols] = np.nan
    by_facility_set = long[["level", "code", "mode", "target"]
                           + [c for c in long.columns if c not in ("level", "code", "mode", "target")]]
    unassigned = pd.DataFrame({"points": [int(outside.sum())], "population": [float(pop[outside].sum())]})
    return CoverageTables(county=tables["county"], township=tables.get("township"),
                          by_facility_set=by_facility_set, unassigned=unassigned)


def level_stats(groups: Groups, minutes: np.ndarray, population: np.ndarray, *,
                columns: Sequence[tuple[str, str]], thresholds: Sequence[float],
                order: np.ndarray | None = None, ranked: bool = True) -> pd.DataFrame:
    """:func:`access_summary` of every (mode, facility set) column over the areas of one level,
    in one pass.

    Parameters
    ----------
    groups
        The area of each demand point (:func:`~tcm_coverage.access.grouped.group_codes`).
    minutes
        (n, c) travel minutes, column ``j`` the times to ``columns[j]``.
    population
        (n,) weights.
    columns
        (mode, facility set) of each column of ``minutes``.
    thresholds
        Minutes.
    order
        :func:`~tcm_coverage.access.grouped.value_order` of ``minutes``, when already computed.
    ranked
        Also ``p90_min`` and ``max_min`` (false: no sort, the sums only; see
        :func:`~tcm_coverage.access.grouped.column_summary`).

    Returns
    -------
    pandas.DataFrame
        ``code``, ``mode``, ``target`` and the :func:`access_summary` statistics; blocks of
        rows per column in the order of ``columns``, areas in code order within each.
    """
    stats = column_summary(groups, minutes, population, thresholds=thresholds, order=order, ranked=ranked)
    g, c = groups.n, len(columns)
    flat = {k: v.T.reshape(g * c) for k, v in stats.items()}  # column-major: block per column
    frame = _summary_frame(np.tile(groups.labels, c), flat, thresholds, index=False)
    frame.insert(1, "mode", np.repeat([m for m, _ in columns], g))
    frame.insert(2, "target", np.repeat([f for _, f in columns], g))
    return frame


def _area_table(
    stats: pd.DataFrame, fac: pd.DataFrame, areas: gpd.GeoDataFrame, *,
    level: str, modes: Sequence[str], thresholds: Sequence[float], headline_facility_set: str,
) -> pd.DataFrame:
    """The main table of one level: the headline rows (with the upper bound beside them when
    computed), the facility indicators, and a row per mode for areas with no population."""
    target = stats["target"].to_numpy()
    table = stats[target == headline_facility_set].reset_index(drop=True)
    upper_set = f"{headline_facility_set}_upper"
    if (target == upper_set).any():
        # the headline with unknown 中医馆/中医阁 counted as yes, beside the lower bound
        bounds = stats.loc[target == upper_set, ["code", "mode"] + [share_column(t) for t in thresholds]].rename(
            columns={share_column(t): share_column(t, upper=True) for t in thresholds})
        table = table.merge(bounds, on=["code", "mode"], how="left")
    table = table.merge(fac, left_on="code", right_index=True, how="left")
    # Areas with no population still appear (a boundary with nobody in it is worth seeing).
    empty = sorted(set(areas["code"]) - set(table["code"]))
    if empty:
        logger.warning("%s areas have no population: %s", level, ", ".join(map(str, empty)))
        filler = pd.DataFrame([{"code": c, "mode": m, "target": headline_facility_set, "population": 0.0}
                               for c in empty for m in modes])
        filler = filler.merge(fac, left_on="code", right_index=True, how="left")
        table = pd.concat([table, filler], ignore_index=True)
    count_cols = [c for c in fac.columns if c.startswith("n_") or c.endswith("_unreported")]
    table[count_cols] = table[count_cols].fillna(0).astype(int)
    by_code = areas.set_index("code")
    table.insert(1, "name", table["code"].map(by_code["name"]))
    if "parent_code" in areas and areas["parent_code"].notna().any():
        table.insert(0, "parent_code", table["code"].map(by_code["parent_code"]))
    return table.sort_values(["mode", "code"], key=lambda s: s.map(_mode_order) if s.name == "mode" else s,
                             kind="stable").reset_index(drop=True)


_MODE_ORDER = {mode: i for i, mode in enumerate(MODES)}  # the display order of vocab


def _mode_order(mode: str) -> int:
    return _MODE_ORDER.get(mode, 99)
