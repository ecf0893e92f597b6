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

:mod:`tcm_coverage.siting.adapter` then turns demand and candidates into a
:class:`~tcm_coverage.siting.instance.SitingInstance` with network travel times, and a
result back into GeoDataFrames.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from tcm_coverage._errors import InputError
from tcm_coverage._geo import frame_utm_crs
from tcm_coverage._tables import find_column, parse_yes_no
from tcm_coverage.inputs import flag_values
from tcm_coverage.siting.instance import KINDS

if TYPE_CHECKING:  # typing.Unpack is Python 3.11+; the package runs on 3.10
    from typing_extensions import Unpack

logger = logging.getLogger(__name__)

__all__ = [
    "CANDIDATE_ALIASES",
    "CANDIDATE_COLUMNS",
    "DEFAULT_COSTS",
    "DemandSites",
    "build_candidates",
    "cluster_candidates",
    "points_4326",
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


def points_4326(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
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
    # scikit-learn costs ~1.7 s CPU to import; only clusters need it, not every CLI start
    from sklearn.cluster import DBSCAN, KMeans  # noqa: PLC0415

    pts = points_4326(demand, "demand")
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


class DemandSites(TypedDict, total=False):
    """New-site candidates taken from the demand table (keyword arguments of
    :func:`build_candidates`).

    Attributes
    ----------
    new_from_demand : bool
        Demand points (with at least ``min_population`` people) with no clinic within
        ``clinic_radius_m`` become ``new`` candidates. Use with village-level demand, not a
        100 m raster. Default False.
    uncovered
        (len(demand),) bool: residents to cluster (e.g. ``demand["t_tcm_any_walk"] > 15``).
    cluster_method : str or None
        ``"kmeans"`` or ``"dbscan"`` to add cluster centres of ``uncovered`` as ``new``
        candidates (see :func:`cluster_candidates`); None (default) for none.
    n_clusters : int
        KMeans clusters (default 10).
    """

    new_from_demand: bool
    uncovered: Any
    cluster_method: str | None
    n_clusters: int


def _unit_costs(costs: Mapping[str, float] | None) -> dict[str, float]:
    """:data:`DEFAULT_COSTS` overridden per kind by ``costs``."""
    unit = dict(DEFAULT_COSTS)
    for kind, value in (costs or {}).items():
        if kind not in KINDS:
            raise InputError(f"unknown candidate kind {kind!r} in costs", fix=f"use {list(KINDS)}")
        if not np.isfinite(value) or value < 0:
            raise InputError(f"the cost of {kind!r} must be a number >= 0, got {value!r}")
        unit[kind] = float(value)
    return unit


def _upgrade_candidates(fac: gpd.GeoDataFrame, up_mask: np.ndarray,
                        cost: float) -> gpd.GeoDataFrame | None:
    """Village clinics/stations without a 中医阁 as ``upgrade`` candidates (None: none)."""
    up = fac[up_mask]
    if not len(up):
        return None
    rows = _sheet_rows(fac, np.flatnonzero(up_mask))
    fid = up["facility_id"].astype(str).to_numpy() if "facility_id" in up \
        else np.arange(len(up)).astype(str)
    return _frame({
        "candidate_id": ["U" + f for f in fid],
        "name": up["name"].astype(str).to_numpy() if "name" in up else fid,
        "kind": "upgrade", "source": "facility", "facility_id": fid,
        "population": np.nan,
        "cost": _cost_column(up, cost, what="facility", rows=rows),
        "force": _bool_column(up, "force", what="facility", rows=rows),
        "exclude": _bool_column(up, "exclude", what="facility", rows=rows),
    }, up.geometry.to_numpy())


def _village_candidates(villages: gpd.GeoDataFrame, keep_far: Any, *, cost: float,
                        min_population: float, weight_column: str) -> gpd.GeoDataFrame:
    """Villages with no clinic nearby (``keep_far(points)``) as ``new`` candidates."""
    vil = points_4326(villages, "village")
    pop = vil[weight_column].to_numpy(dtype=np.float64) if weight_column in vil \
        else np.full(len(vil), np.nan)
    keep = keep_far(vil) & ~(pop < min_population)
    v = vil[keep]
    rows = _sheet_rows(vil, np.flatnonzero(keep))
    names = v["name"].astype(str).to_numpy() if "name" in v \
        else np.array([f"village {i + 1}" for i in np.flatnonzero(keep)])
    return _frame({
        "candidate_id": [f"V{i + 1}" for i in np.flatnonzero(keep)],
        "name": names, "kind": "new", "source": "village", "facility_id": "",
        "population": pop[keep],
        "cost": _cost_column(v, cost, what="village", rows=rows),
        "force": _bool_column(v, "force", what="village", rows=rows),
        "exclude": _bool_column(v, "exclude", what="village", rows=rows),
    }, v.geometry.to_numpy())


def _demand_point_candidates(dem: gpd.GeoDataFrame, keep_far: Any, *, cost: float,
                             min_population: float, weight_column: str) -> gpd.GeoDataFrame:
    """Demand points with people and no clinic nearby as ``new`` candidates."""
    pop = dem[weight_column].to_numpy(dtype=np.float64)
    keep = keep_far(dem) & (pop >= min_population) & (pop > 0)
    d = dem[keep]
    ids = d["demand_id"].astype(str).to_numpy() if "demand_id" in d \
        else np.flatnonzero(keep).astype(str)
    return _frame({
        "candidate_id": ["D" + i for i in ids],
        "name": d["name"].astype(str).to_numpy() if "name" in d else ids,
        "kind": "new", "source": "demand", "facility_id": "", "population": pop[keep],
        "cost": cost, "force": False, "exclude": False,
    }, d.geometry.to_numpy())


def _from_demand(demand: gpd.GeoDataFrame | None, keep_far: Any, sites: DemandSites, *,
                 cost: float, min_population: float,
                 weight_column: str) -> list[gpd.GeoDataFrame]:
    """The ``new`` candidates of :class:`DemandSites`: demand points and cluster centres."""
    cluster_method = sites.get("cluster_method")
    if not sites.get("new_from_demand", False) and cluster_method is None:
        return []
    if demand is None:
        raise InputError("demand points are needed for new_from_demand / clusters",
                         fix="pass demand=")
    dem = points_4326(demand, "demand")
    parts = []
    if sites.get("new_from_demand", False):
        parts.append(_demand_point_candidates(dem, keep_far, cost=cost,
                                              min_population=min_population,
                                              weight_column=weight_column))
    if cluster_method is not None:
        uncovered = sites.get("uncovered")
        if uncovered is None:
            raise InputError("clusters need the mask of uncovered residents",
                             fix="pass uncovered= (e.g. demand['t_tcm_any_walk'] > 15)")
        cl = cluster_candidates(dem, uncovered, method=cluster_method,
                                n_clusters=sites.get("n_clusters", 10),
                                weight_column=weight_column)
        cl["cost"] = cost
        parts.append(cl)
    return parts


def _candidate_table(parts: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """One table of all candidates: column types fixed, duplicated ids made unique."""
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


def build_candidates(
    facilities: gpd.GeoDataFrame,
    *,
    villages: gpd.GeoDataFrame | None = None,
    demand: gpd.GeoDataFrame | None = None,
    clinic_radius_m: float = 500.0,
    min_population: float = 0.0,
    costs: Mapping[str, float] | None = None,
    weight_column: str = "population",
    **from_demand: Unpack[DemandSites],
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
    clinic_radius_m
        Straight-line radius for "a clinic nearby".
    min_population
        Smallest population of a village or demand point to become a new site.
    costs
        Cost per kind overriding :data:`DEFAULT_COSTS`; a ``cost`` column in the facility or
        village table overrides both, row by row.
    weight_column
        Population column of ``villages`` and ``demand``.
    **from_demand
        New sites from ``demand`` (:class:`DemandSites`): ``new_from_demand``,
        ``uncovered``, ``cluster_method``, ``n_clusters``.

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
    TypeError
        An unknown keyword argument.
    """
    unknown = sorted(set(from_demand) - set(DemandSites.__annotations__))
    if unknown:
        raise TypeError(f"build_candidates() got unexpected keyword argument(s) {unknown}")
    unit = _unit_costs(costs)
    fac = points_4326(facilities, "facility")
    tier = fac["tier"].to_numpy() if "tier" in fac else np.full(len(fac), "", dtype=object)
    # a clinic whose 中医阁 is unknown is an upgrade candidate, as it counts as none in tcm_any
    has_ge = flag_values(fac, "zhongyige")[0]
    clinics = fac[(tier == "village_station") | (tier == "township_centre")]

    def keep_far(points: gpd.GeoDataFrame) -> np.ndarray:
        return _far_from(points, clinics, clinic_radius_m)

    up = _upgrade_candidates(fac, (tier == "village_station") & ~has_ge, unit["upgrade"])
    parts = [] if up is None else [up]
    if villages is not None and len(villages):
        parts.append(_village_candidates(villages, keep_far, cost=unit["new"],
                                         min_population=min_population,
                                         weight_column=weight_column))
    parts += _from_demand(demand, keep_far, from_demand, cost=unit["new"],
                          min_population=min_population, weight_column=weight_column)
    return _candidate_table(parts)
