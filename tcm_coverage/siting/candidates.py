"""GeoDataFrame adapter: candidate sites from the facility and village tables, network times.

Candidates (:func:`build_candidates`) come in two kinds:

``upgrade``
    an existing village clinic or community health station (tier ``village_station``)
    **without** a 中医阁: adding one makes it a TCM service point. Cheap.
``new``
    a new village clinic with a 中医阁, at

    * a village point (village table) with no primary-care facility within
      ``clinic_radius_m`` (straight line: "is there already a clinic in this village?",
      not a travel time),
    * optionally a demand point with no clinic nearby (``new_from_demand=True``), and
    * optionally the population-weighted centre of a cluster of *uncovered* residents
      (scikit-learn ``KMeans`` or ``DBSCAN`` weighted by population).

Costs default to :data:`DEFAULT_COSTS` per kind, in relative units, and are overridden per
row by a ``cost`` (成本/费用/造价) column in the facility or village table, or afterwards by
editing the candidate table. ``exclude`` (排除) and ``force`` (必选) columns are carried
through the same way.

:func:`siting_instance` then snaps demand, candidates and existing TCM facilities on a
routing graph and builds a :class:`~tcm_coverage.siting.instance.SitingInstance` with the
network travel times of :func:`tcm_coverage.access.traveltime.od_pairs_within` (the same time
definition as the coverage tables). :func:`chosen_sites` and :func:`demand_after` turn a
:class:`~tcm_coverage.siting.models.SitingResult` back into GeoDataFrames.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from tcm_coverage._errors import InputError
from tcm_coverage._geo import frame_utm_crs
from tcm_coverage._tables import find_column, parse_yes_no
from tcm_coverage.access import DIRECT_OFFROAD_MAX_M
from tcm_coverage.inputs import flag_values
from tcm_coverage.network import RoutingGraph, Snap, snap_points
from tcm_coverage.siting.instance import KINDS, SitingInstance, instance_from_od

logger = logging.getLogger(__name__)

__all__ = [
    "CANDIDATE_ALIASES",
    "CANDIDATE_COLUMNS",
    "DEFAULT_COSTS",
    "build_candidates",
    "chosen_sites",
    "cluster_candidates",
    "demand_after",
    "siting_instance",
]

#: Default cost per candidate kind, in *relative units* (a 中医阁 upgrade = 1). These are
#: placeholders, not survey figures: put the county's own budget numbers in a ``cost`` column
#: or pass ``costs={"upgrade": ..., "new": ...}``.
DEFAULT_COSTS: dict[str, float] = {"upgrade": 1.0, "new": 5.0}

#: Columns of the candidate table.
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "candidate_id", "name", "kind", "source", "facility_id", "population", "cost", "force",
    "exclude", "geometry",
)

#: Column names of the per-row candidate settings in facility, village and overrides tables
#: (compared by :func:`tcm_coverage._tables.find_column`; yes/no cells are read by
#: :func:`tcm_coverage._tables.parse_yes_no`).
CANDIDATE_ALIASES: dict[str, tuple[str, ...]] = {
    "cost": ("cost", "成本", "费用", "造价", "投资", "预算"),
    "force": ("force", "forced", "必选", "强制", "必建"),
    "exclude": ("exclude", "excluded", "排除", "不选", "禁选"),
}


def _find(frame: pd.DataFrame, key: str) -> str | None:
    return find_column(list(frame.columns), CANDIDATE_ALIASES[key])


def _sheet_rows(frame: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
    """Spreadsheet row numbers (header = 1) of the given positions of a subset."""
    if "source_row" in frame:
        return frame["source_row"].to_numpy()[positions]
    return positions + 2


def _bool_column(frame: pd.DataFrame, key: str, *, what: str, rows: np.ndarray) -> np.ndarray:
    col = _find(frame, key)
    if col is None:
        return np.zeros(len(frame), dtype=bool)
    values = frame[col]
    if values.dtype == bool:
        return values.to_numpy()
    parsed = parse_yes_no(values)  # blank or 未知: not forced / not excluded
    if parsed.bad.any():
        raise InputError(f"the {what} column '{col}' has values that are not yes/no",
                         row=rows[parsed.bad].tolist(), column=col,
                         fix="use 是/否, yes/no or 1/0")
    return parsed.yes


def _cost_column(frame: pd.DataFrame, default: float, *, what: str,
                 rows: np.ndarray) -> np.ndarray:
    col = _find(frame, "cost")
    out = np.full(len(frame), float(default))
    if col is None:
        return out
    num = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
    given = frame[col].notna().to_numpy() & (frame[col].astype(str).str.strip() != "").to_numpy()
    bad = given & (~np.isfinite(num) | (num < 0))
    if bad.any():
        raise InputError(f"the {what} cost column '{col}' has values that are not numbers >= 0",
                         row=rows[bad].tolist(), column=col,
                         fix="write a cost >= 0 or leave the cell empty for the default")
    out[given] = num[given]
    return out


def _metric(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, Any]:
    crs = frame_utm_crs(gdf)
    pts = gdf.geometry.to_crs(crs)
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()]), crs


def _points_4326(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise InputError(f"the {what} table has no CRS", fix="set it to EPSG:4326 (WGS-84)")
    out = gdf.to_crs("EPSG:4326") if gdf.crs.to_epsg() != 4326 else gdf
    geom = out.geometry
    if len(out) and not (geom.geom_type == "Point").all():
        out = out.set_geometry(geom.representative_point())
    return out


def _far_from(points: gpd.GeoDataFrame, clinics: gpd.GeoDataFrame, radius_m: float) -> np.ndarray:
    """(len(points),) bool: no clinic within ``radius_m`` (straight line)."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    if len(clinics) == 0:
        return np.ones(len(points), dtype=bool)
    xy, crs = _metric(points)
    cxy = np.column_stack([clinics.geometry.to_crs(crs).x, clinics.geometry.to_crs(crs).y])
    dist, _ = cKDTree(cxy).query(xy, k=1, distance_upper_bound=radius_m)
    return ~np.isfinite(dist)


def _frame(rows: dict[str, Any], geometry: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geometry, crs="EPSG:4326")


def cluster_candidates(
    demand: gpd.GeoDataFrame,
    mask: Any,
    *,
    method: str = "kmeans",
    n_clusters: int = 10,
    eps_m: float = 1500.0,
    min_population: float = 200.0,
    weight_column: str = "population",
    random_state: int = 0,
) -> gpd.GeoDataFrame:
    """New-site candidates at population-weighted centres of clusters of uncovered residents.

    Parameters
    ----------
    demand
        Demand points (``population`` column, Point geometry).
    mask
        (k,) bool: the residents to cluster (e.g. beyond 15 minutes of any TCM point).
    method
        ``"kmeans"`` (``n_clusters`` centres, ``sample_weight`` = population) or ``"dbscan"``
        (clusters of points within ``eps_m`` metres holding at least ``min_population``
        people; noise points are left out).
    n_clusters
        Number of KMeans clusters (capped at the number of points).
    eps_m
        DBSCAN neighbourhood radius in metres.
    min_population
        DBSCAN: people a core point's neighbourhood must hold.
    weight_column
        Population column.
    random_state
        KMeans seed (results are deterministic).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`CANDIDATE_COLUMNS` with kind ``"new"``, source ``"cluster"`` and the
        cluster's population; costs are filled by :func:`build_candidates`.
    """
    from sklearn.cluster import DBSCAN, KMeans

    pts = _points_4326(demand, "demand")
    sel = np.asarray(mask, dtype=bool)
    if sel.shape != (len(pts),):
        raise InputError(f"the cluster mask has shape {sel.shape}, expected ({len(pts)},)")
    sub = pts[sel]
    w = sub[weight_column].to_numpy(dtype=np.float64) if len(sub) else np.zeros(0)
    if len(sub) == 0 or w.sum() <= 0:
        return _frame({c: [] for c in CANDIDATE_COLUMNS if c != "geometry"}, [])
    xy, crs = _metric(sub)
    if method == "kmeans":
        k = int(min(n_clusters, len(sub)))
        labels = KMeans(n_clusters=k, n_init=4, random_state=random_state).fit_predict(
            xy, sample_weight=np.maximum(w, 1e-9))
    elif method == "dbscan":
        labels = DBSCAN(eps=eps_m, min_samples=max(min_population, 1e-9)).fit_predict(
            xy, sample_weight=w)
    else:
        raise InputError(f"unknown cluster method {method!r}", fix="use 'kmeans' or 'dbscan'")
    ok = labels >= 0
    labels, xy, w = labels[ok], xy[ok], w[ok]
    if labels.size == 0:
        return _frame({c: [] for c in CANDIDATE_COLUMNS if c != "geometry"}, [])
    uniq, inv = np.unique(labels, return_inverse=True)
    pop = np.bincount(inv, weights=w)
    wx = np.bincount(inv, weights=w * xy[:, 0]) / np.maximum(pop, 1e-12)
    wy = np.bincount(inv, weights=w * xy[:, 1]) / np.maximum(pop, 1e-12)
    geom = gpd.GeoSeries(gpd.points_from_xy(wx, wy), crs=crs).to_crs("EPSG:4326")
    n = uniq.size
    return _frame({
        "candidate_id": [f"C{i + 1}" for i in range(n)],
        "name": [f"未覆盖人口聚类中心{i + 1}" for i in range(n)],
        "kind": ["new"] * n, "source": ["cluster"] * n, "facility_id": [""] * n,
        "population": pop, "cost": np.full(n, np.nan),
        "force": np.zeros(n, dtype=bool), "exclude": np.zeros(n, dtype=bool),
    }, geom.to_numpy())


def build_candidates(
    facilities: gpd.GeoDataFrame,
    *,
    villages: gpd.GeoDataFrame | None = None,
    demand: gpd.GeoDataFrame | None = None,
    new_from_demand: bool = False,
    uncovered: Any = None,
    cluster_method: str | None = None,
    n_clusters: int = 10,
    clinic_radius_m: float = 500.0,
    min_population: float = 0.0,
    costs: Mapping[str, float] | None = None,
    weight_column: str = "population",
) -> gpd.GeoDataFrame:
    """Candidate sites: 中医阁 upgrades of village clinics and new village clinics.

    Parameters
    ----------
    facilities
        Output of :func:`tcm_coverage.inputs.facilities.read_facilities`. Village clinics/stations
        without a 中医阁 become ``upgrade`` candidates; township centres and village
        stations are the "clinics" new sites must be away from.
    villages
        Village points (e.g. :func:`tcm_coverage.inputs.population.points_from_table`); those with
        no clinic within ``clinic_radius_m`` become ``new`` candidates.
    demand
        Demand points, used with ``new_from_demand`` and for clusters.
    new_from_demand
        Demand points (with at least ``min_population`` people) with no clinic within
        ``clinic_radius_m`` become ``new`` candidates. Use with village-level demand, not a
        100 m raster.
    uncovered
        (len(demand),) bool: residents to cluster (e.g. ``demand["t_tcm_any_walk"] > 15``).
    cluster_method
        ``"kmeans"`` or ``"dbscan"`` to add cluster centres of ``uncovered`` as ``new``
        candidates (see :func:`cluster_candidates`); None for none.
    n_clusters
        KMeans clusters.
    clinic_radius_m
        Straight-line radius for "a clinic nearby".
    min_population
        Smallest population of a village or demand point to become a new site.
    costs
        Cost per kind overriding :data:`DEFAULT_COSTS`; a ``cost`` column in the facility or
        village table overrides both, row by row.
    weight_column
        Population column of ``villages`` and ``demand``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`CANDIDATE_COLUMNS` in EPSG:4326, index 0..n-1; ``candidate_id`` is
        ``U<facility_id>`` (upgrade), ``V<n>`` (village), ``D<demand_id>`` (demand) or
        ``C<n>`` (cluster).

    Raises
    ------
    InputError
        Bad ``cost``/``force``/``exclude`` values (naming the rows), unknown kinds in
        ``costs``, or a demand table missing when needed.
    """
    unit = dict(DEFAULT_COSTS)
    for kind, value in (costs or {}).items():
        if kind not in KINDS:
            raise InputError(f"unknown candidate kind {kind!r} in costs", fix=f"use {list(KINDS)}")
        if not np.isfinite(value) or value < 0:
            raise InputError(f"the cost of {kind!r} must be a number >= 0, got {value!r}")
        unit[kind] = float(value)
    parts: list[gpd.GeoDataFrame] = []
    fac = _points_4326(facilities, "facility")
    tier = fac["tier"].to_numpy() if "tier" in fac else np.full(len(fac), "", dtype=object)
    # a clinic whose 中医阁 is unknown is an upgrade candidate, as it counts as none in tcm_any
    has_ge = flag_values(fac, "zhongyige")[0]
    clinics = fac[(tier == "village_station") | (tier == "township_centre")]
    up_mask = (tier == "village_station") & ~has_ge
    up = fac[up_mask]
    if len(up):
        rows = _sheet_rows(fac, np.flatnonzero(up_mask))
        fid = up["facility_id"].astype(str).to_numpy() if "facility_id" in up \
            else np.arange(len(up)).astype(str)
        parts.append(_frame({
            "candidate_id": ["U" + f for f in fid],
            "name": up["name"].astype(str).to_numpy() if "name" in up else fid,
            "kind": "upgrade", "source": "facility", "facility_id": fid,
            "population": np.nan,
            "cost": _cost_column(up, unit["upgrade"], what="facility", rows=rows),
            "force": _bool_column(up, "force", what="facility", rows=rows),
            "exclude": _bool_column(up, "exclude", what="facility", rows=rows),
        }, up.geometry.to_numpy()))
    if villages is not None and len(villages):
        vil = _points_4326(villages, "village")
        pop = vil[weight_column].to_numpy(dtype=np.float64) if weight_column in vil \
            else np.full(len(vil), np.nan)
        keep = _far_from(vil, clinics, clinic_radius_m) & ~(pop < min_population)
        v = vil[keep]
        rows = _sheet_rows(vil, np.flatnonzero(keep))
        names = v["name"].astype(str).to_numpy() if "name" in v \
            else np.array([f"village {i + 1}" for i in np.flatnonzero(keep)])
        parts.append(_frame({
            "candidate_id": [f"V{i + 1}" for i in np.flatnonzero(keep)],
            "name": names, "kind": "new", "source": "village", "facility_id": "",
            "population": pop[keep],
            "cost": _cost_column(v, unit["new"], what="village", rows=rows),
            "force": _bool_column(v, "force", what="village", rows=rows),
            "exclude": _bool_column(v, "exclude", what="village", rows=rows),
        }, v.geometry.to_numpy()))
    if new_from_demand or cluster_method is not None:
        if demand is None:
            raise InputError("demand points are needed for new_from_demand / clusters",
                             fix="pass demand=")
        dem = _points_4326(demand, "demand")
        if new_from_demand:
            pop = dem[weight_column].to_numpy(dtype=np.float64)
            keep = _far_from(dem, clinics, clinic_radius_m) & (pop >= min_population) & (pop > 0)
            d = dem[keep]
            ids = d["demand_id"].astype(str).to_numpy() if "demand_id" in d \
                else np.flatnonzero(keep).astype(str)
            parts.append(_frame({
                "candidate_id": ["D" + i for i in ids],
                "name": d["name"].astype(str).to_numpy() if "name" in d else ids,
                "kind": "new", "source": "demand", "facility_id": "", "population": pop[keep],
                "cost": unit["new"], "force": False, "exclude": False,
            }, d.geometry.to_numpy()))
        if cluster_method is not None:
            if uncovered is None:
                raise InputError("clusters need the mask of uncovered residents",
                                 fix="pass uncovered= (e.g. demand['t_tcm_any_walk'] > 15)")
            cl = cluster_candidates(dem, uncovered, method=cluster_method,
                                    n_clusters=n_clusters, weight_column=weight_column)
            cl["cost"] = unit["new"]
            parts.append(cl)
    if not parts:
        return _frame({c: [] for c in CANDIDATE_COLUMNS if c != "geometry"}, [])
    out = pd.concat(parts, ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")
    out["force"] = out["force"].astype(bool)
    out["exclude"] = out["exclude"].astype(bool)
    out["cost"] = out["cost"].astype(np.float64)
    out["population"] = out["population"].astype(np.float64)
    dup = out["candidate_id"].duplicated(keep="first")
    if dup.any():
        out.loc[dup, "candidate_id"] = out.loc[dup, "candidate_id"] + "_" + \
            out.index[dup].astype(str)
    logger.info("candidates: %d upgrades, %d new sites", int((out["kind"] == "upgrade").sum()),
                int((out["kind"] == "new").sum()))
    return out[list(CANDIDATE_COLUMNS)]


def _snap_gdf(rg: RoutingGraph, gdf: gpd.GeoDataFrame, what: str) -> Any:
    pts = _points_4326(gdf, what)
    return snap_points(rg, pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy())


def siting_instance(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    rg: RoutingGraph,
    *,
    threshold: float = 15.0,
    cutoff: float | None = None,
    existing: gpd.GeoDataFrame | None = None,
    existing_minutes: Any = None,
    weight_column: str = "population",
    direct_offroad_m: float = DIRECT_OFFROAD_MAX_M,
    demand_snap: Snap | None = None,
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
    existing
        Existing TCM service points (e.g. ``facilities[facility_set_masks(facilities)["tcm_any"]]``
        from :mod:`tcm_coverage.access.compute`); they count as already open.
    existing_minutes
        (k,) minutes to the nearest existing TCM point when already computed (e.g. the
        ``t_tcm_any_<mode>`` column of :func:`tcm_coverage.access.compute.compute_access`);
        takes precedence over ``existing``.
    weight_column
        Population column of ``demand``.
    direct_offroad_m
        Longest straight off-road leg to a site in metres (as in the coverage times).
    demand_snap
        ``demand`` already snapped on ``rg`` (e.g. ``AccessResult.routing[mode].demand``); not
        snapped again when given.

    Returns
    -------
    SitingInstance
        Candidate ``j`` is row ``j`` of ``candidates``; demand ``i`` row ``i`` of ``demand``.
    """
    from tcm_coverage.access import nearest_facility_times, od_pairs_within

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
    dsnap = demand_snap if demand_snap is not None else _snap_gdf(rg, demand, "demand")
    csnap = _snap_gdf(rg, candidates, "candidate")
    od = od_pairs_within(rg, dsnap, csnap, cut, direct_offroad_m=direct_offroad_m)
    if existing_minutes is not None:
        ex_min = np.asarray(existing_minutes, dtype=np.float64)
    elif existing is not None and len(existing):
        esnap = _snap_gdf(rg, existing, "existing facility")
        ex_min = nearest_facility_times(rg, dsnap, esnap, direct_offroad_m=direct_offroad_m).minutes
    else:
        ex_min = None
    cost = candidates["cost"].to_numpy(dtype=np.float64) if "cost" in candidates else None
    if cost is not None and np.isnan(cost).any():
        kinds = candidates["kind"].astype(str).tolist() if "kind" in candidates else []
        default = np.array([DEFAULT_COSTS.get(k, 1.0) for k in kinds], dtype=np.float64)
        cost = np.where(np.isnan(cost), default, cost) if len(kinds) else np.nan_to_num(cost, nan=1.0)
    return instance_from_od(
        od, demand[weight_column].to_numpy(dtype=np.float64), threshold=threshold,
        cost=cost,
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
