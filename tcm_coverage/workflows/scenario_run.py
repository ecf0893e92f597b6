"""Running a scenario: the coverage before the plan, the candidate sites, the model solved
(with its per-township quotas), the ranked upgrade order, and the before/after tables per
township and the area newly covered."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tcm_coverage._errors import InputError
from tcm_coverage._tables import YesNo, alias_names, find_columns, parse_yes_no, read_table
from tcm_coverage._validate import reading
from tcm_coverage.access import (
    UNASSIGNED,
    CapacityRule,
    CellGrid,
    assign_areas,
    facility_capacity,
    facility_set_masks,
    isochrone_bands,
    metric_area,
    od_pairs_within,
    surface_points,
    travel_time_surface,
)
from tcm_coverage.inputs import read_population
from tcm_coverage.network import (
    Snap,
    build_routing_graph,
    get_profile,
    snap_key,
    snap_points,
    snap_with_profile,
)
from tcm_coverage.siting import (
    CANDIDATE_ALIASES,
    SitingResult,
    TownshipQuotas,
    build_candidates,
    capacitated_max_cover,
    capacitated_set_cover,
    capacity_data,
    chosen_sites,
    maximal_covering,
    p_median,
    set_covering,
    siting_instance,
    upgrade_or_build,
)
from tcm_coverage.vocab import time_column
from tcm_coverage.workflows.pipeline import compute
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.scenario_file import Scenario
from tcm_coverage.workflows.scenario_plan import (
    order_table,
    plan_summary,
    scenario_order,
    scenario_quotas,
    with_zhongyige,
)

__all__ = ["ScenarioResult", "compare_scenarios", "run_scenario", "scenario_run"]

#: Cell size of a scenario's newly covered area (a scenario's run lays its isochrones so).
_CELL_M = 100.0


@dataclass(frozen=True)
class ScenarioResult:
    """One solved scenario.

    Attributes
    ----------
    scenario
        The scenario.
    run
        The coverage analysis before the plan.
    candidates
        Every candidate (``candidate_id``, ``name``, ``kind``, ``cost``, ``force``, ``exclude``).
    result
        The model's :class:`~tcm_coverage.siting.models.SitingResult`.
    sites
        The chosen sites with their reasons (township, people newly covered, cost).
    townships
        Before/after coverage per township (and the county total).
    new_area
        The area newly within the threshold after the plan (one polygon row, EPSG:4326).
    summary
        One row for the comparison table.
    seconds
        Wall time per stage.
    order
        The ranked plan (``[plan]``): one row per step (rank, candidate, township, newly
        covered, cumulative covered and share, cost, cumulative cost, year, optimum for k,
        gap), or None.
    """

    scenario: Scenario
    run: AnalysisRun
    candidates: gpd.GeoDataFrame
    result: SitingResult
    sites: gpd.GeoDataFrame
    townships: pd.DataFrame
    new_area: gpd.GeoDataFrame
    summary: dict[str, Any]
    seconds: dict[str, float]
    order: pd.DataFrame | None = None


#: Columns of the overrides table: which candidate, then the settings of
#: :data:`~tcm_coverage.siting.candidates.CANDIDATE_ALIASES` (one alias table for both).
_OVERRIDE_ALIASES: dict[str, tuple[str, ...]] = {
    "candidate_id": ("candidate_id", "候选编号", "编号"),
    "name": ("name", "名称"),
    **CANDIDATE_ALIASES,
}


def _override_cost(cell: object, *, path: Path, row: int, column: str) -> float:
    try:
        return float(str(cell).strip())
    except ValueError:
        raise InputError(f"cost {str(cell).strip()!r} is not a number", path=path, row=row,
                         column=column, fix="write a number, e.g. 1.5") from None


def _override_flags(frame: pd.DataFrame, cols: dict[str, str | None], *, path: Path,
                    rows: np.ndarray) -> dict[str, YesNo]:
    """The force/exclude columns read as yes/no (the one vocabulary of :mod:`tcm_coverage._tables`)."""
    flags = {}
    for col in ("force", "exclude"):
        src = cols[col]
        if src is None:
            continue
        parsed = parse_yes_no(frame[src])
        if parsed.bad.any():
            i = int(np.flatnonzero(parsed.bad)[0])
            raise InputError(f"{src} {str(frame[src].iat[i]).strip()!r} is not yes/no", path=path,
                             row=int(rows[i]), column=src, fix="write 是/否 or 1/0")
        flags[col] = parsed
    return flags


def _apply_overrides(cands: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    table = read_table(path, known=alias_names(_OVERRIDE_ALIASES), what="candidate overrides table")
    frame, rows = table.frame, table.rows
    cols = find_columns(list(frame.columns), _OVERRIDE_ALIASES)
    key = "candidate_id" if cols["candidate_id"] else ("name" if cols["name"] else None)
    if key is None:
        raise InputError(f"the overrides table needs a candidate_id or name (名称) column; it has "
                         f"{list(frame.columns)} ({table.where()})", path=path,
                         fix="export the candidate list (candidates.xlsx of an earlier run) and edit it")
    flags = _override_flags(frame, cols, path=path, rows=rows)
    key_col: str = cols[key] or key  # found: key was chosen from the columns present
    out = cands.copy()
    index = pd.Series(out.index, index=out[key].astype(str))
    for i in range(len(frame)):
        row, number = frame.iloc[i], int(rows[i])
        ident: str = "" if pd.isna(row[key_col]) else str(row[key_col]).strip()
        if ident not in index.index:
            raise InputError(f"no candidate {ident!r}", path=path, row=number, column=key_col,
                             fix="use a candidate_id or name from candidates.xlsx")
        j = index[ident]
        j = j.iloc[0] if isinstance(j, pd.Series) else j
        src = cols["cost"]
        if src is not None and not pd.isna(row[src]) and str(row[src]).strip():
            out.loc[j, "cost"] = _override_cost(row[src], path=path, row=number, column=src)
        for col, parsed in flags.items():
            if not parsed.unknown[i]:  # blank or 未知: the candidate keeps its setting
                out.loc[j, col] = bool(parsed.yes[i])
    return out


def _capacity_data(scn: Scenario, run: AnalysisRun, routing: tuple[Any, Any, Any], inst: Any) -> Any:
    """Capacities of a capacitated scenario: ``capacity_per_site`` for every candidate; the
    existing points of the scenario's facility set serve their capacity (unknown: no limit)."""
    rg, dsnap, fsnap = routing
    fac = run.access.facilities
    mask = facility_set_masks(fac, include_other=scn.config.options.include_other)[scn.facility_set]
    cap = facility_capacity(fac[mask], CapacityRule(residents_per_staff=scn.residents_per_physician))
    if dsnap is None:
        dem = run.access.demand
        dsnap = snap_points(rg, dem.geometry.x.to_numpy(float), dem.geometry.y.to_numpy(float))
    od = od_pairs_within(rg, dsnap, fsnap.take(mask), scn.threshold,
                         direct_offroad_m=scn.config.options.direct_offroad_m)
    return capacity_data(inst, per_site=scn.capacity_per_site, existing=cap,
                         existing_demand=od.demand, existing_facility=od.facility)


def _model_result(scn: Scenario, inst: Any, quotas: TownshipQuotas | None,
                  capacities: Any = None) -> SitingResult:
    """The scenario's model (``load_scenario`` checked that each has its p or budget); with
    ``capacities`` the capacitated form of max_cover/upgrade_or_build/set_cover."""
    limit = scn.time_limit
    if capacities is not None and quotas is not None:
        raise InputError("[model] capacity = true and [quotas] cannot be combined (the "
                         "capacitated models take no township quotas yet)",
                         fix="drop one of them from the scenario file")
    if capacities is not None:
        if scn.model == "set_cover":
            return capacitated_set_cover(inst, capacities, share=scn.share, minimize=scn.minimize,
                                         time_limit=limit)
        return capacitated_max_cover(inst, capacities, p=scn.p, budget=scn.budget, time_limit=limit)
    if scn.model == "max_cover":
        return maximal_covering(inst, p=scn.p, budget=scn.budget, quotas=quotas, time_limit=limit)
    if scn.model == "upgrade_or_build":
        return upgrade_or_build(inst, budget=float(scn.budget or 0.0), p=scn.p, quotas=quotas,
                                time_limit=limit)
    if scn.model == "set_cover":
        return set_covering(inst, share=scn.share, minimize=scn.minimize, quotas=quotas,
                            time_limit=limit)
    return p_median(inst, p=int(scn.p or 0), time_limit=limit)


def _solve(scn: Scenario, inst: Any, quotas: TownshipQuotas | None,
           capacities: Any = None) -> SitingResult:
    """The model solved; its input errors (impossible quotas, limits) name the scenario file."""
    try:
        return _model_result(scn, inst, quotas, capacities)
    except InputError as exc:
        if exc.path is not None:
            raise
        raise InputError(exc.message, path=scn.path, row=exc.row, column=exc.column,
                         fix=exc.fix) from None


def _township_table(demand: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, codes: np.ndarray,
                    before: np.ndarray, after: np.ndarray, uncoverable: np.ndarray) -> pd.DataFrame:
    pop = demand["population"].to_numpy(float)
    frame = pd.DataFrame({"code": codes, "population": pop, "before": pop * before,
                          "after": pop * after, "new": pop * (after & ~before),
                          "unc": pop * uncoverable})
    frame = frame[frame["code"] != UNASSIGNED]
    g = frame.groupby("code", sort=True).sum()
    total = g.sum()
    total.name = "total"
    g = pd.concat([g, total.to_frame().T])
    names = areas.set_index("code")["name"] if areas is not None else pd.Series(dtype=object)
    out = pd.DataFrame({
        "code": g.index, "name": [names.get(c, "合计") if c != "total" else "合计" for c in g.index],
        "population": g["population"].round().astype(int).to_numpy(),
        "covered_before": g["before"].round().astype(int).to_numpy(),
        "share_before": (g["before"] / g["population"].where(g["population"] > 0)).to_numpy(),
        "covered_after": g["after"].round().astype(int).to_numpy(),
        "share_after": (g["after"] / g["population"].where(g["population"] > 0)).to_numpy(),
        "newly_covered": g["new"].round().astype(int).to_numpy(),
        "uncoverable": g["unc"].round().astype(int).to_numpy(),
    })
    for col in ("share_before", "share_after"):
        out[col] = out[col].round(4)
    return out


def _site_reasons(res: SitingResult, inst: Any, cands: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None,
                  ) -> gpd.GeoDataFrame:
    chosen = np.asarray(res.chosen, dtype=np.int64)
    sites = chosen_sites(cands, res)
    thr = inst.threshold
    before = inst.existing_minutes <= thr
    within = inst.pair_minutes <= thr
    pd_, pc = inst.pair_demand[within], inst.pair_candidate[within]
    sel = np.isin(pc, chosen) & ~before[pd_]
    w = inst.weight
    newly = pd.Series(w[pd_[sel]]).groupby(pc[sel]).sum()
    n_sites = pd.Series(1, index=pd_[sel]).groupby(level=0).sum()
    only = n_sites[n_sites == 1].index.to_numpy()
    mask_only = sel & np.isin(pd_, only)
    exclusive = pd.Series(w[pd_[mask_only]]).groupby(pc[mask_only]).sum()
    sites["newly_covered"] = [int(round(newly.get(j, 0.0))) for j in chosen]
    sites["only_this_site"] = [int(round(exclusive.get(j, 0.0))) for j in chosen]
    sites["township"] = (assign_areas(sites, areas, max_distance_m=500.0) if areas is not None
                         else "")
    if areas is not None:
        names = areas.set_index("code")["name"]
        sites["township_name"] = [names.get(c, "") for c in sites["township"]]
    sites["lon"] = sites.geometry.x.round(6)
    sites["lat"] = sites.geometry.y.round(6)
    return sites.sort_values("newly_covered", ascending=False).reset_index(drop=True)


def scenario_run(scn: Scenario, *, progress: bool = True) -> AnalysisRun:
    """The coverage run a scenario starts from (its configuration with 100 m isochrones).

    Parameters
    ----------
    scn
        From :func:`~tcm_coverage.workflows.scenario_file.load_scenario`.
    progress
        Show progress bars.

    Returns
    -------
    AnalysisRun
    """
    return compute(scn.config.updated(isochrone_cell_m=_CELL_M), progress=progress)


def _candidate_sites(scn: Scenario, run: AnalysisRun, uncovered: np.ndarray) -> gpd.GeoDataFrame:
    """The candidates of the scenario's kinds, with the overrides file applied."""
    villages = None
    if scn.villages is not None and "new" in scn.kinds:
        with reading("villages", scn.villages):
            villages = read_population(scn.villages, datum=scn.villages_datum, boundary=run.counties)
    cands = build_candidates(
        run.access.facilities, villages=villages, demand=run.demand,
        uncovered=uncovered if scn.clusters else None,
        cluster_method="kmeans" if scn.clusters else None, n_clusters=max(scn.clusters, 1),
        clinic_radius_m=scn.clinic_radius_m, min_population=scn.min_population, costs=scn.costs)
    cands = cands[cands["kind"].isin(scn.kinds)].reset_index(drop=True)
    if scn.overrides is not None:
        with reading("candidate overrides", scn.overrides):
            cands = _apply_overrides(cands, scn.overrides)
    if cands.empty:
        raise InputError("no candidate sites", path=scn.path,
                         fix="allow kinds = [\"upgrade\", \"new\"], give villages, or add clusters")
    return cands


def _routing(scn: Scenario, run: AnalysisRun) -> tuple[Any, Any, Any]:
    """(routing graph, demand snaps or ``None``, facility snaps) of the scenario's mode."""
    if scn.mode in run.access.routing:  # the coverage run's graph and snaps, not rebuilt
        routing = run.access.routing[scn.mode]
        return routing.graph, routing.demand, routing.facilities
    fac = run.access.facilities
    profile = get_profile(scn.mode, overrides=scn.config.options.speed_overrides.get(scn.mode),
                          offroad_kmh=scn.config.options.offroad_kmh.get(scn.mode))
    if run.network is None:
        raise ValueError("the coverage run keeps no road network to route the candidates on")
    rg = build_routing_graph(run.network, profile)
    fsnap = snap_points(rg, fac.geometry.x.to_numpy(float), fac.geometry.y.to_numpy(float),
                        leg="from_road")
    return rg, None, fsnap


def _scenario_cells(run: AnalysisRun, rg: Any) -> tuple[Snap, CellGrid]:
    """The 100 m grid cells of the run's counties snapped on ``rg``: the run's own
    (:attr:`AccessResult.cells <tcm_coverage.access.AccessResult.cells>`) when it laid them
    over the same counties with that cell size and snapped them on a graph of the same roads
    and :func:`~tcm_coverage.network.snap_key` (the scenario's mode, or one snapping alike),
    else laid and snapped here."""
    key = area_m = None
    for mode, (snap, grid) in run.access.cells.items():
        ran = run.access.routing.get(mode)
        if (ran is None or ran.graph.network is not rg.network or grid.transform.a != _CELL_M
                or grid.crs_m != rg.network.crs_m):
            continue
        key = snap_key(rg) if key is None else key
        area_m = metric_area(grid.crs_m, run.counties) if area_m is None else area_m
        if snap_key(ran.graph) == key and shapely.equals_exact(grid.area_m, area_m, tolerance=0.0):
            return (snap if ran.graph is rg else snap_with_profile(snap, rg)), grid
    return surface_points(rg, run.counties, cell_m=_CELL_M)


def _new_area(scn: Scenario, run: AnalysisRun, routing: tuple[Any, Any, Any],
              sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The area newly within the threshold: grid cells the chosen sites reach within it that
    no existing facility of the set reached (nearest of a union = the smaller of the two)."""
    rg, _, fsnap = routing
    mask = facility_set_masks(run.access.facilities,
                              include_other=scn.config.options.include_other)[scn.facility_set]
    cells = _scenario_cells(run, rg)
    direct_m = scn.config.options.direct_offroad_m
    surf_before = travel_time_surface(rg, fsnap.take(mask), None, cells=cells,
                                      direct_offroad_m=direct_m)
    surf_sites = travel_time_surface(rg, snap_points(rg, sites.geometry.x.to_numpy(float),
                                                     sites.geometry.y.to_numpy(float),
                                                     leg="from_road"),
                                     None, cells=cells, direct_offroad_m=direct_m)
    new_cells = (surf_sites.minutes <= scn.threshold) & ~(surf_before.minutes <= scn.threshold)
    return isochrone_bands(
        replace(surf_sites, minutes=np.where(new_cells, 0.0, np.inf)), [scn.threshold],
        attributes={"mode": scn.mode, "target": scn.facility_set})


def _summary(scn: Scenario, cands: gpd.GeoDataFrame, res: SitingResult, sites: gpd.GeoDataFrame,
             coverage: tuple[np.ndarray, np.ndarray, np.ndarray],
             new_area: gpd.GeoDataFrame) -> dict[str, Any]:
    """The scenario's row of the comparison table; ``coverage`` is (population, before, after)."""
    pop, before, after = coverage
    kinds = sites["kind"].value_counts()
    return {
        "scenario": scn.name, "title": scn.title, "model": scn.model, "mode": scn.mode,
        "threshold": scn.threshold, "p": scn.p, "budget": scn.budget,
        "share_target": scn.share if scn.model == "set_cover" else None,
        "candidates": int(len(cands)), "sites": int(len(sites)),
        "upgrades": int(kinds.get("upgrade", 0)), "new_clinics": int(kinds.get("new", 0)),
        "cost": float(res.cost), "share_before": float(pop[before].sum() / pop.sum()),
        "share_after": float(pop[after].sum() / pop.sum()),
        "newly_covered": int(round(pop[after & ~before].sum())),
        "still_beyond": int(round(pop[~after].sum())),
        "uncoverable": int(round(float(res.uncoverable_weight))),
        "new_area_km2": round(float(new_area["area_km2"].iloc[0]), 1),
        "status": res.status, "optimal": bool(res.optimal), "gap": float(res.gap),
        "greedy_gap": float(res.greedy_gap), "solve_seconds": round(float(res.seconds), 3),
        # capacitated siting: residents served within the threshold and the capacities
        "capacity": scn.capacity,
        "capacity_per_site": scn.capacity_per_site if scn.capacity else None,
        "share_within_capacity_before": res.details.get("share_before") if scn.capacity else None,
        "share_within_capacity_after": res.details.get("share_after") if scn.capacity else None,
    }


def run_scenario(scn: Scenario, *, run: AnalysisRun | None = None, progress: bool = True) -> ScenarioResult:
    """Compute coverage, build candidates, solve the model and tabulate before/after.

    Parameters
    ----------
    scn
        From :func:`~tcm_coverage.workflows.scenario_file.load_scenario`.
    run
        The coverage run of the same inputs, mode and threshold (computed when ``None``).
    progress
        Show progress bars.

    Returns
    -------
    ScenarioResult
    """
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    if run is None:
        run = scenario_run(scn, progress=progress)
    seconds["coverage"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    demand = run.demand
    if demand is None:
        raise ValueError("the coverage run has no demand points (use workflows.compute)")
    t_before = demand[time_column(scn.facility_set, scn.mode)].to_numpy(float)
    cands = _candidate_sites(scn, run, ~(t_before <= scn.threshold))
    routing = _routing(scn, run)
    cutoff = 2 * scn.threshold if scn.model == "p_median" else scn.threshold
    inst = siting_instance(demand, cands, routing[0], threshold=scn.threshold, cutoff=cutoff,
                           existing_minutes=t_before, demand_snap=routing[1],
                           direct_offroad_m=scn.config.options.direct_offroad_m)
    seconds["candidates and travel times"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    capacities = _capacity_data(scn, run, routing, inst) if scn.capacity else None
    cand_town = (assign_areas(cands, run.townships) if run.townships is not None else None)
    quotas = scenario_quotas(scn, run, cand_town)
    res = _solve(scn, inst, quotas, capacities)
    seconds["solve"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    names = (run.townships.set_index("code")["name"].astype(str) if run.townships is not None
             else pd.Series(dtype=object))
    order = order_table(scn, scenario_order(scn, inst, res), cands, cand_town, names)
    seconds["upgrade order"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    after = np.asarray(res.minutes, float) <= scn.threshold
    before = t_before <= scn.threshold
    by_town = "township_code" in demand
    towns = _township_table(demand, run.townships if by_town else run.counties,
                            demand["township_code" if by_town else "county_code"].to_numpy(),
                            before, after, np.asarray(res.uncoverable, bool) & ~before)
    if quotas is not None:
        towns = with_zhongyige(towns, quotas, inst, res)
    sites = _site_reasons(res, inst, cands, run.townships)
    new_area = _new_area(scn, run, routing, sites)
    seconds["tables and isochrones"] = time.perf_counter() - t0
    summary = _summary(scn, cands, res, sites, (demand["population"].to_numpy(float), before, after),
                       new_area) | plan_summary(scn, order)
    return ScenarioResult(scenario=scn, run=run, candidates=cands, result=res, sites=sites,
                          townships=towns, new_area=new_area, summary=summary,
                          seconds=seconds, order=order)


def compare_scenarios(results: Sequence[ScenarioResult]) -> pd.DataFrame:
    """The scenarios side by side: one row each (sites, cost, shares before/after, solver).

    Parameters
    ----------
    results
        From :func:`run_scenario`.

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame([r.summary for r in results])
