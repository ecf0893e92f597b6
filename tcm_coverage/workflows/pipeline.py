"""The coverage analysis end to end: read the inputs, route, tabulate (:func:`compute`), then
write the outputs atomically (:func:`run_analysis`).

The configuration is in :mod:`~tcm_coverage.workflows.config`, the words of a run in
:mod:`~tcm_coverage.workflows.texts` and the writing in :mod:`~tcm_coverage.workflows.write`
(the documents, with ``jobs=2``, by a second process: :mod:`~tcm_coverage.workflows.drawer`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from tcm_coverage._errors import InputError
from tcm_coverage._io import check_output_dir
from tcm_coverage._validate import reading
from tcm_coverage.access import (
    AccessOptions,
    AccessResult,
    CapacityRule,
    CapacityServed,
    Catchment,
    CoverageTables,
    FCAMeasure,
    IsochroneOptions,
    IsochroneWork,
    SharedRouting,
    area_fca,
    capacity_columns,
    capacity_served,
    compute_isochrones,
    coverage_tables,
    elderly_tables,
    elderly_times,
    functional_unknown,
    network_fca,
    route_access,
    unknown_flags,
    with_area_codes,
    with_isochrones,
)
from tcm_coverage.i18n import text
from tcm_coverage.inputs import (
    DEFAULT_FUNCTIONAL_RULE,
    FacilityTable,
    FunctionalRule,
    check_inputs,
    county_facilities,
    elderly_from_demand,
    load_facilities,
    load_profile,
    read_boundaries,
    read_population,
    read_population_65plus,
)
from tcm_coverage.network import RoadNetwork, read_dem, read_network, with_elevation
from tcm_coverage.outputs import scorecard
from tcm_coverage.vocab import FACILITY_SETS, OPTIONAL_FACILITY_SETS, REFERRAL_RESIDENT_COLUMN
from tcm_coverage.workflows.config import AnalysisConfig, input_files, validate_config
from tcm_coverage.workflows.decisions import decision_tables
from tcm_coverage.workflows.drawer import DocumentDrawer, background_call, document_drawer
from tcm_coverage.workflows.run import AnalysisRun, RunInputs
from tcm_coverage.workflows.store import own_access
from tcm_coverage.workflows.write import write_outputs

logger = logging.getLogger(__name__)

__all__ = ["compute", "compute_from_inputs", "functional_rule", "run_analysis"]


def _read_inputs(config: AnalysisConfig) -> tuple[RunInputs, FacilityTable, dict[str, float]]:
    """Read the boundaries, facilities, population and roads of a run (with timings)."""
    files = config.inputs
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    with reading("boundary", files.boundary):
        counties = read_boundaries(files.boundary, datum=files.boundary_datum, level="county")
    townships = None
    if files.townships is not None:
        with reading("townships", files.townships):
            townships = read_boundaries(files.townships, datum=files.townships_datum,
                                        level="township")
    with reading("facilities", files.facilities):
        fac_table = load_facilities(files.facilities, datum=files.facilities_datum,
                                    sheet=files.facilities_sheet)
    with reading("population", files.population):
        demand = read_population(files.population, datum=files.population_datum,
                                 boundary=counties, population_column=files.population_column,
                                 layer=files.population_sheet)
    if float(demand["population"].sum()) <= 0:
        raise InputError("the population inside the county boundary is zero", path=files.population,
                         fix="check that the population file covers the county (and its datum/CRS)")
    elderly = _read_elderly(config, demand, counties)
    seconds["read inputs"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with reading("roads", files.network):
        network = read_network(files.network, boundary=counties, buffer_m=config.options.buffer_m)
    seconds["read roads"] = time.perf_counter() - t0
    if files.dem is not None:
        t0 = time.perf_counter()
        network = _with_dem(network, files.dem, counties)
        seconds["elevation (DEM)"] = time.perf_counter() - t0
    inputs = RunInputs(counties=counties, townships=townships, facilities=fac_table.facilities,
                       demand=demand, network=network, elderly=elderly)
    return inputs, fac_table, seconds


def _with_dem(network: RoadNetwork, path: Path, counties: gpd.GeoDataFrame) -> RoadNetwork:
    """The roads with elevation from the DEM at ``path``, after checking that it covers the
    county (every vertex of the county outline; 2 % may fall in nodata holes)."""
    with reading("DEM", path):
        dem = read_dem(path)
    outline = shapely.get_coordinates(counties.geometry.boundary.to_numpy())
    missing = 1.0 - float(np.mean(dem.covers_lonlat(outline[:, 0], outline[:, 1])))
    if missing > 0.02:
        raise InputError(text("workflows.dem_outside", "en", share=missing), path=path,
                         fix=text("workflows.dem_outside_fix", "en"))
    return with_elevation(network, dem)


def _read_elderly(config: AnalysisConfig, demand: gpd.GeoDataFrame,
                  counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The residents 65+: ``--population-65plus``, else a 65+ column of the village table."""
    files = config.inputs
    if files.population_65plus is None:
        return elderly_from_demand(demand)
    with reading("population 65+", files.population_65plus):
        elderly = read_population_65plus(files.population_65plus, datum=files.population_datum,
                                         boundary=counties, layer=files.population_sheet)
    if float(elderly["population"].sum()) <= 0:
        raise InputError("there are no residents 65+ inside the county boundary",
                         path=files.population_65plus,
                         fix="check that the 65+ file covers the county (and its datum/CRS)")
    return elderly


def compute(config: AnalysisConfig, *, progress: bool = True, jobs: int = 1) -> AnalysisRun:
    """Read the inputs, compute travel times, isochrones and tables; write nothing.

    Parameters
    ----------
    config
        Inputs and parameters.
    progress
        Show progress bars.
    jobs
        1: everything in this process; 2: the isochrones computed by a second process while
        this one computes the tables (:func:`compute_from_inputs`).

    Returns
    -------
    AnalysisRun
        With ``files=()``.
    """
    validate_config(config)
    profiles = [load_profile(p) for p in config.options.profiles]  # a bad profile fails before routing
    inputs, fac_table, seconds = _read_inputs(config)
    # a province-wide facility file: keep those that can serve the county's residents
    near = county_facilities(inputs.facilities, inputs.counties, buffer_m=config.options.buffer_m,
                             source=config.inputs.facilities)
    inputs = replace(inputs, facilities=near.facilities)
    run = compute_from_inputs(config, inputs, counted=near.own, profiles=profiles, progress=progress, jobs=jobs)
    return replace(run, seconds={**seconds, **run.seconds}, facility_review=fac_table.review)


def functional_rule(config: AnalysisConfig,
                    profiles: Sequence[Any]) -> tuple[FunctionalRule | None, str | None]:
    """The functional rule of a run and the profile that sets it: the first profile's
    ``functional_rule``, else the default rule with ``--functional-only`` (profile ``None``),
    else ``(None, None)`` (the 中医馆/中医阁 flags alone)."""
    for prof in profiles:
        if getattr(prof, "functional_rule", None) is not None:
            return prof.functional_rule, prof.name
    return (DEFAULT_FUNCTIONAL_RULE if config.options.functional_only else None), None


def access_options(config: AnalysisConfig, *, functional: FunctionalRule | None = None) -> AccessOptions:
    """The routing options of a run (the same for travel times and floating catchments)."""
    opts = config.options
    return AccessOptions(
        include_other=opts.include_other, speed_overrides=opts.speed_overrides,
        offroad_kmh=opts.offroad_kmh, max_facility_offroad_m=opts.max_facility_offroad_m,
        direct_offroad_m=opts.direct_offroad_m, facilities_source=str(config.inputs.facilities),
        functional=functional)


def _travel_times(config: AnalysisConfig, inputs: RunInputs, datum_fits: Sequence[Any], *,
                  progress: bool, functional: FunctionalRule | None) -> tuple[AccessResult, IsochroneWork | None]:
    """Travel times, with the input warnings ahead of the routing ones, and the isochrones'
    work (:func:`~tcm_coverage.access.compute.route_access`)."""
    opts, facilities = config.options, inputs.facilities
    # the upper bound (unknown 中医馆/中医阁 counted as yes) only when some flag is unknown
    unknown = unknown_flags(facilities) | functional_unknown(facilities, functional)
    facility_sets = tuple(t for t in FACILITY_SETS
                          if t not in OPTIONAL_FACILITY_SETS or unknown.any())
    access, work = route_access(
        inputs.demand, facilities, inputs.network, modes=opts.modes, facility_sets=facility_sets,
        options=access_options(config, functional=functional),
        isochrones=IsochroneOptions(minutes=opts.isochrone_minutes, area=inputs.counties,
                                    cell_m=opts.isochrone_cell_m or 100.0),
        progress=progress,
    )
    # input warnings (duplicate facility rows, datum check) go wherever the routing ones go
    notes = [*facilities.attrs.get("input_warnings", ()),
             *((f.message(), f.message_zh()) for f in datum_fits if f.suggested)]
    if notes:
        access = replace(access, warnings=(*(en for en, _ in notes), *access.warnings),
                         warnings_zh=(*(zh for _, zh in notes), *access.warnings_zh))
    return access, work


def _accessibility(config: AnalysisConfig, inputs: RunInputs, routing: SharedRouting,
                   dem: gpd.GeoDataFrame, functional: FunctionalRule | None) -> gpd.GeoDataFrame | None:
    """Add the ``fca_*`` columns to ``dem`` (in place: the run's own copy) and return the
    population-weighted accessibility per area, or ``None`` when it cannot be computed
    (``routing``: the run's, sharing the pairs the capacity stage found)."""
    opts, facilities, townships = config.options, inputs.facilities, inputs.townships
    mode = opts.headline_mode
    try:
        fca = network_fca(dem[["population", "geometry"]], facilities, inputs.network, mode=mode,
                          measure=FCAMeasure(catchment=Catchment(max_minutes=opts.headline_threshold)),
                          options=access_options(config, functional=functional),
                          routing=routing)
    except InputError as exc:  # e.g. staff counts filled for some facilities only
        logger.warning("accessibility (E2SFCA) not computed: %s", exc)
        return None
    for col in [c for c in fca.columns if c.startswith("fca_")]:
        dem[col] = fca[col].to_numpy()
    fca_areas = area_fca(dem, townships if townships is not None else inputs.counties,
                         codes=dem["township_code" if townships is not None else "county_code"].to_numpy())
    fca_areas.attrs.update(fca.attrs)
    # supply counted only at known TCM points: a lower bound when flags are unknown
    fca_areas.attrs["unknown_flags"] = int(unknown_flags(facilities).sum())
    return fca_areas


def _capacity(config: AnalysisConfig, access: AccessResult, routing: SharedRouting, tables: CoverageTables,
              dem: gpd.GeoDataFrame) -> tuple[CapacityServed | None, CoverageTables]:
    """The capacity-aware coverage of a run and the tables with its columns (unchanged, and
    ``None``, when no TCM point's capacity is known; ``routing``: the run's, keeping the pairs
    it finds for the floating catchments)."""
    opts = config.options
    served = capacity_served(access.demand, access.facilities, routing,
                             thresholds=opts.thresholds,
                             rule=CapacityRule(residents_per_staff=opts.residents_per_physician),
                             include_other=opts.include_other, direct_offroad_m=opts.direct_offroad_m)
    if served is None:
        logger.info("no TCM point has a known capacity; no capacity-aware coverage")
        return None, tables
    pop = dem["population"].to_numpy(float)
    county = capacity_columns(tables.county, served, dem["county_code"].to_numpy(), pop)
    township = (None if tables.township is None or "township_code" not in dem
                else capacity_columns(tables.township, served, dem["township_code"].to_numpy(), pop))
    return served, replace(tables, county=county, township=township)


def _coverage(config: AnalysisConfig, inputs: RunInputs, access: AccessResult, access_own: AccessResult,
              rule: FunctionalRule | None) -> tuple[CoverageTables, gpd.GeoDataFrame | None, gpd.GeoDataFrame]:
    """The coverage tables (with the residents-65+ columns when given), the residents 65+ with
    their times and area codes (or ``None``), and the demand points with area codes."""
    opts, counties, townships = config.options, inputs.counties, inputs.townships
    dem = _with_codes(access.demand, counties, townships)  # the areas assigned once, used by all tables
    tables = coverage_tables(dem, access_own.facilities, counties=counties,
                             townships=townships, modes=opts.modes, facility_sets=access.facility_sets,
                             thresholds=opts.thresholds)
    elderly = None
    if inputs.elderly is not None:
        elderly = _with_codes(elderly_times(inputs.elderly, access, options=access_options(config, functional=rule)),
                              counties, townships, like=dem)
        tables = elderly_tables(tables, elderly, counties=counties, townships=townships,
                                modes=opts.modes, facility_sets=access.facility_sets,
                                thresholds=opts.thresholds)
    return tables, elderly, dem


def compute_from_inputs(
    config: AnalysisConfig,
    inputs: RunInputs,
    *,
    counted: np.ndarray | None = None,
    profiles: Sequence[Any] | None = None,
    progress: bool = True,
    jobs: int = 1,
) -> AnalysisRun:
    """:func:`compute` on inputs already read (e.g. cut from province-wide files).

    The isochrones are needed by the outputs only: with ``jobs=2`` a copy of this process,
    forked after the routing (sharing its graphs and Dijkstra runs), computes them while this
    one computes the tables, capacity, accessibility, referral, fairness and sensitivity, and
    sends them back before the run is put together
    (:func:`~tcm_coverage.workflows.drawer.background_call`; the same result as one process).

    Parameters
    ----------
    config
        Parameters (its input paths are only used in messages and the record).
    inputs
        The counties, townships, facilities, demand points and roads, as the readers return them.
    counted
        (len(facilities),) bool: the facilities that belong to these counties. All facilities
        serve residents (trips across a county line count), but only these are counted in the
        facility indicators and scorecards. Default: all.
    profiles
        Loaded plan-target profiles (default: ``config.options.profiles``).
    progress
        Show progress bars.
    jobs
        1: everything in this process (e.g. a batch worker); 2: the isochrones by a second
        process (:func:`~tcm_coverage.workflows.drawer.resolve_jobs`).

    Returns
    -------
    AnalysisRun
    """
    opts = config.options
    if profiles is None:
        profiles = [load_profile(p) for p in opts.profiles]
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    datum_fits = check_inputs(facilities=inputs.facilities,
                              facilities_datum=config.inputs.facilities_datum,
                              demand=inputs.demand, population_datum=config.inputs.population_datum,
                              network=inputs.network)
    seconds["datum check"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rule, rule_profile = functional_rule(config, profiles)
    access, work = _travel_times(config, inputs, datum_fits, progress=progress, functional=rule)
    if work is None:
        seconds["travel times and isochrones"] = time.perf_counter() - t0
        return _tabulated(config, inputs, access, datum_fits, seconds=seconds, functional=(rule, rule_profile),
                          profiles=profiles, counted=counted)
    with background_call(partial(compute_isochrones, work, progress=progress and jobs < 2),
                         jobs=jobs, what="the isochrones") as isochrones:
        seconds["travel times and isochrones"] = time.perf_counter() - t0  # with one process, both
        run = _tabulated(config, inputs, access, datum_fits, seconds=seconds, functional=(rule, rule_profile),
                         profiles=profiles, counted=counted)
        t0 = time.perf_counter()
        rings = isochrones.result()
    if jobs >= 2:  # what the isochrones' process still took once the tables were done
        seconds["isochrones (waited for)"] = time.perf_counter() - t0
    return replace(run, access=with_isochrones(run.access, work, rings), seconds=seconds)


def _tabulated(config: AnalysisConfig, inputs: RunInputs, access: AccessResult, datum_fits: Sequence[Any], *,
               seconds: dict[str, float], functional: tuple[FunctionalRule | None, str | None],
               profiles: Sequence[Any], counted: np.ndarray | None) -> AnalysisRun:
    """The run of :func:`compute_from_inputs` from its travel times (``functional``: the functional
    rule and the profile that sets it; ``seconds``: the stages so far, to which this adds its own)."""
    opts, counties, townships = config.options, inputs.counties, inputs.townships
    rule, rule_profile = functional

    t0 = time.perf_counter()
    # neighbours' facilities serve residents above but are counted only in their own county
    access_own = own_access(access, None if counted is None else np.asarray(counted, bool))
    tables, elderly, dem = _coverage(config, inputs, access, access_own, rule)
    seconds["tables"] = time.perf_counter() - t0

    capacity = None
    routing = SharedRouting(access.routing)  # the pairs within a cutoff found once for both stages
    if opts.capacity:
        t0 = time.perf_counter()
        capacity, tables = _capacity(config, access, routing, tables, dem)
        seconds["capacity"] = time.perf_counter() - t0

    fca_areas = None
    if opts.accessibility:
        t0 = time.perf_counter()
        fca_areas = _accessibility(config, inputs, routing, dem, rule)
        seconds["accessibility"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    decisions = decision_tables(config, inputs, access, dem, options=access_options(config, functional=rule),
                                counted=counted)
    dem[REFERRAL_RESIDENT_COLUMN] = decisions.pop("resident_minutes")  # the run's own copy
    seconds["referral, fairness, sensitivity"] = time.perf_counter() - t0
    scored = replace(access_own, demand=dem)  # the same points and times, with the run's area codes
    cards = {prof.name: scorecard(scored, prof, counties=counties, townships=townships,
                                  lang=config.rendering.lang) for prof in profiles}
    return AnalysisRun(access=access, tables=tables, files=(), seconds=seconds, counties=counties,
                       townships=townships, demand=dem, fca_areas=fca_areas, scorecards=cards,
                       network=inputs.network, datum_check=tuple(f.as_dict() for f in datum_fits),
                       capacity=capacity, elderly=elderly, functional_rule=rule,
                       functional_profile=rule_profile,
                       counted=None if counted is None else np.asarray(counted, bool), **decisions)


def _with_codes(points: gpd.GeoDataFrame, counties: gpd.GeoDataFrame,
                townships: gpd.GeoDataFrame | None, *, like: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """A copy of demand points with ``county_code`` (and ``township_code``) after the id, from
    the run's own boundaries (:func:`~tcm_coverage.access.coverage.with_area_codes`; ``like``:
    the residents' points, whose codes the same points 65+ take)."""
    return with_area_codes(points, {"county": counties, "township": townships}, like=like)


def run_analysis(config: AnalysisConfig, *, progress: bool = True, jobs: int = 1,
                 drawer: DocumentDrawer | None = None) -> AnalysisRun:
    """Run the coverage analysis and write its outputs into ``config.out_dir``.

    With ``jobs=2`` a second process, forked before the inputs are read, imports the renderers
    while this one computes, then draws the documents while this one writes the tables, layers
    and store (:mod:`~tcm_coverage.workflows.drawer`; the same files as with one process).

    Outputs (all or nothing: built beside ``config.out_dir`` and swapped in as a whole, see
    :func:`tcm_coverage._io.atomic_output_dir`):
    ``coverage_county.csv``, ``coverage_township.csv`` (when townships are given),
    ``coverage_targets.csv``, ``coverage.xlsx``, ``demand_points.gpkg``, ``facilities.gpkg``,
    ``isochrones.gpkg``, ``map.html``, ``report.html`` and ``run.json``.

    Parameters
    ----------
    config
        Inputs and parameters.
    progress
        Show progress bars.
    jobs
        1: everything in this process (the default: e.g. a batch worker, whose counties fill
        the cores); 2: the documents drawn by a second process (``analyze``/``demo`` with two
        CPUs, :func:`~tcm_coverage.workflows.drawer.resolve_jobs`; Linux only, else 1).
    drawer
        A drawing process the caller forked already (the CLI forks it before it imports this
        module, so that its imports run beside this process's own); the caller stops it.
        Default: forked here with ``jobs=2``.

    Returns
    -------
    AnalysisRun
    """
    # refuse before hours of routing, not after
    check_output_dir(config.out_dir, inputs=input_files(config), option="--out")
    if drawer is not None:  # forked by the caller (and stopped by it)
        run = compute(config, progress=progress, jobs=jobs)
        return replace(run, files=write_outputs(run, config, drawer=drawer if _draws_documents(config) else None))
    with document_drawer(jobs=jobs if _draws_documents(config) else 1) as forked:
        run = compute(config, progress=progress, jobs=jobs)
        return replace(run, files=write_outputs(run, config, drawer=forked))


def _draws_documents(config: AnalysisConfig) -> bool:
    """The run writes a web map, report, plate or scorecard (else no second process)."""
    rendering = config.rendering
    return bool(rendering.write_map or rendering.write_report or rendering.print_formats
                or rendering.write_docx or config.options.profiles)
