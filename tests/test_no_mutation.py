"""Public functions never change the frames they are given (issue 12: "inputs are not mutated").

A planner's notebook passes the same facility table, demand points and boundaries to one
function after another; a function that adds a column, reorders rows, edits ``.attrs`` or
re-projects a geometry in place would change what the next call sees. Every public function of
the ``inputs``, ``network``, ``access``, ``siting`` and ``outputs`` faces that takes a
DataFrame/GeoDataFrame (or a road network or travel-time result holding them) is called here on
a deep copy of small real inputs (the demo county read by the real readers), and every argument
is compared afterwards with a second, untouched copy: values (exactly), index, column order,
dtypes, geometries (exactly) and CRS, ``.attrs``, and the arrays of networks, routing graphs and
snaps.

The call of each function is written once, in :data:`CASES` (name → face, function, arguments):
when a parameter is renamed (``targets`` → ``facility_sets``), that table is the one place to
adapt. :data:`NOT_CASES` names the face functions taking a frame that are not called here, with
the reason; :func:`test_every_frame_function_is_listed` fails on a new one in neither table.
:func:`test_the_checker_catches_mutation` shows the checker fails on functions that mutate.
"""

from __future__ import annotations

import copy
import copyreg
import dataclasses
import importlib
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType, SimpleNamespace
from typing import Any, NamedTuple
from unittest import mock

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely

import tcm_coverage as tc
from tcm_coverage.access import (
    area_fca,
    assign_areas,
    elderly_times,
    fairness_table,
    referral_chain,
)
from tcm_coverage.demo import DEMO_DATUM, DEMO_FILES, demo_data_dir
from tcm_coverage.inputs import DEFAULT_FUNCTIONAL_RULE, points_from_table
from tcm_coverage.network import segment_boxes
from tcm_coverage.outputs import MapLayers, ReportOptions, ReportTables, township_layer
from tcm_coverage.siting import build_candidates, maximal_covering, siting_instance

#: The faces whose functions are checked.
FACES = ("inputs", "network", "access", "siting", "outputs")

Args = tuple[tuple[Any, ...], dict[str, Any]]


# --- the checker ----------------------------------------------------------------------------


def assert_unchanged(before: Any, after: Any, where: str = "argument") -> None:
    """Fail unless ``after`` equals ``before`` in value, index, dtypes, geometry, CRS and attrs."""
    if isinstance(before, pd.DataFrame | pd.Series):
        _assert_frame_unchanged(before, after, where)
    elif isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray) and after.dtype == before.dtype, f"{where}: dtype changed"
        assert after.shape == before.shape, f"{where}: shape changed"
        if before.dtype.kind in "fc":
            assert np.array_equal(after, before, equal_nan=True), f"{where}: values changed"
        else:
            assert np.array_equal(after, before), f"{where}: values changed"
    elif sp.issparse(before):
        assert sp.issparse(after) and after.shape == before.shape, f"{where}: sparse shape changed"
        assert after.dtype == before.dtype and (after != before).nnz == 0, f"{where}: values changed"
    elif isinstance(before, Mapping):
        assert isinstance(after, Mapping) and list(after) == list(before), f"{where}: keys changed"
        for key in before:
            assert_unchanged(before[key], after[key], f"{where}[{key!r}]")
    elif isinstance(before, list | tuple):
        assert type(after) is type(before) and len(after) == len(before), f"{where}: length changed"
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            assert_unchanged(b, a, f"{where}[{i}]")
    elif dataclasses.is_dataclass(before) and not isinstance(before, type):
        assert type(after) is type(before), f"{where}: type changed"
        for f in dataclasses.fields(before):
            assert_unchanged(getattr(before, f.name), getattr(after, f.name), f"{where}.{f.name}")
    elif isinstance(before, float) and np.isnan(before):
        assert isinstance(after, float) and np.isnan(after), f"{where}: NaN became {after!r}"
    else:
        assert after == before, f"{where}: {before!r} became {after!r}"


def _assert_frame_unchanged(before: pd.DataFrame | pd.Series, after: Any, where: str) -> None:
    assert type(after) is type(before), f"{where}: became a {type(after).__name__}"
    assert_unchanged(dict(before.attrs), dict(after.attrs), f"{where}.attrs")
    if isinstance(before, gpd.GeoDataFrame):
        assert after.crs == before.crs, f"{where}: CRS changed"
        assert after.geometry.name == before.geometry.name, f"{where}: active geometry changed"
    frame_b = before.to_frame() if isinstance(before, pd.Series) else before
    frame_a = after.to_frame() if isinstance(after, pd.Series) else after
    geoms = [c for c in frame_b.columns if isinstance(frame_b[c].dtype, gpd.array.GeometryDtype)]
    pd.testing.assert_frame_equal(pd.DataFrame(frame_a.drop(columns=geoms)),
                                  pd.DataFrame(frame_b.drop(columns=geoms)), check_exact=True,
                                  obj=where)
    for col in geoms:
        assert isinstance(frame_a[col].dtype, gpd.array.GeometryDtype), f"{where}[{col!r}]: not geometry"
        b, a = frame_b[col].to_numpy(), frame_a[col].to_numpy()
        same = shapely.equals_exact(a, b, tolerance=0.0) | (shapely.is_missing(a) & shapely.is_missing(b))
        assert same.all(), f"{where}[{col!r}]: {int((~same).sum())} geometries changed"
        assert frame_a[col].crs == frame_b[col].crs, f"{where}[{col!r}]: CRS changed"


def _reduce_proxy(proxy: MappingProxyType) -> tuple[type, tuple[dict[Any, Any]]]:
    return MappingProxyType, (dict(proxy),)


def deep_copy(obj: Any) -> Any:
    """:func:`copy.deepcopy` that also copies read-only mappings (the speeds of a speed profile)."""
    with mock.patch.dict(copyreg.dispatch_table, {MappingProxyType: _reduce_proxy}):
        return copy.deepcopy(obj)


def call_and_check(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call ``func`` on deep copies of its arguments; fail if it changed any of them."""
    call_args, call_kwargs = deep_copy((args, kwargs))
    pristine_args, pristine_kwargs = deep_copy((args, kwargs))
    result = func(*call_args, **call_kwargs)
    for i, (b, a) in enumerate(zip(pristine_args, call_args, strict=True)):
        assert_unchanged(b, a, f"{func.__name__} argument {i}")
    for key in pristine_kwargs:
        assert_unchanged(pristine_kwargs[key], call_kwargs[key], f"{func.__name__}({key}=...)")
    return result


# --- the inputs: the demo county, read once by the real readers ----------------------------


@pytest.fixture(scope="module")
def demo() -> SimpleNamespace:
    """Small real inputs and the results later steps take, all from the demo county."""
    data = demo_data_dir()
    county = tc.read_boundaries(data / DEMO_FILES["boundary"], level="county")
    towns = tc.read_boundaries(data / DEMO_FILES["townships"], level="township")
    facilities = tc.read_facilities(data / DEMO_FILES["facilities"], datum=DEMO_DATUM)
    people = tc.read_population(data / DEMO_FILES["population_raster"], boundary=county)
    people = people.iloc[::4]  # a quarter of the points (index labels kept: 0, 4, 8, ...)
    roads = tc.read_network(data / DEMO_FILES["network"], boundary=county)
    village_table = pd.read_csv(data / DEMO_FILES["villages"])
    villages = points_from_table(village_table)
    access = tc.compute_access(people, facilities, roads, modes=("walk", "ebike"),
                               isochrones=tc.IsochroneOptions(minutes=(10, 15), area=county),
                               progress=False)
    tables = tc.coverage_tables(access.demand, access.facilities, counties=county, townships=towns,
                                modes=access.modes, facility_sets=access.facility_sets,
                                thresholds=(10, 15))
    dem = access.demand.copy()
    dem.insert(1, "county_code", assign_areas(dem, county))
    dem.insert(2, "township_code", assign_areas(dem, towns))
    fca = tc.network_fca(dem[["population", "geometry"]], facilities, roads, mode="ebike",
                         routing=access.routing["ebike"])
    for col in [c for c in fca.columns if c.startswith("fca_")]:
        dem[col] = fca[col].to_numpy()
    fca_areas = area_fca(dem, towns, codes=dem["township_code"].to_numpy())
    card = tc.scorecard(access, "national", counties=county, townships=towns, mode="ebike")
    candidates = build_candidates(facilities, villages=villages)
    rg = access.routing["ebike"].graph
    instance = siting_instance(dem, candidates, rg, threshold=15.0, existing=access.facilities)
    return SimpleNamespace(
        county=county, towns=towns, facilities=facilities, people=people, roads=roads,
        village_table=village_table, villages=villages, access=access, tables=tables, dem=dem,
        fca_areas=fca_areas, card=card, candidates=candidates, rg=rg, instance=instance,
        plan=maximal_covering(instance, p=3),
    )


class Case(NamedTuple):
    """One call: the face, the function's name, and its arguments from the demo inputs."""

    face: str
    name: str
    args: Callable[[SimpleNamespace, Path], Args]


def _county_report(d: SimpleNamespace, tmp: Path) -> Args:
    tables = ReportTables(county_table=d.tables.county, township_table=d.tables.township,
                          demand=d.dem, fca_areas=d.fca_areas)
    options = ReportOptions(modes=("walk", "ebike"), thresholds=(10.0, 15.0),
                            headline_threshold=15.0, headline_mode="ebike")
    return (tables, options), dict(county_code=str(d.county["code"].iloc[0]), county_name="演示县",
                                   map_page=None)


def _chain(d: SimpleNamespace) -> Any:
    """The referral chain of the demo (computed once; car is built for it)."""
    if not hasattr(d, "chain"):
        d.chain = referral_chain(d.access, d.roads)
    return d.chain


def _served(d: SimpleNamespace) -> Any:
    """The demo's capacity-aware coverage (computed once)."""
    if not hasattr(d, "served"):
        d.served = tc.access.capacity_served(d.access.demand, d.access.facilities, d.access.routing,
                                             thresholds=(15.0,))
    return d.served


def _fairness(d: SimpleNamespace) -> pd.DataFrame:
    return fairness_table(d.dem["t_tcm_any_ebike"].to_numpy(), d.dem["population"].to_numpy(),
                          county_codes=d.dem["county_code"].to_numpy(), counties=d.county, threshold=15.0,
                          township_codes=d.dem["township_code"].to_numpy(), townships=d.towns)


def _county_report_docx(d: SimpleNamespace, tmp: Path) -> Args:
    (tables, options), kw = _county_report(d, tmp)
    del kw["map_page"]
    return (tables, options), dict(kw, path=tmp / "report.docx")


#: The call of every checked function, in one place (adapt here when a parameter is renamed).
CASES: dict[str, Case] = {c.name: c for c in (
    # inputs
    Case("inputs", "to_wgs84_frame", lambda d, tmp: ((d.facilities,), dict(datum="gcj02"))),
    Case("inputs", "flag_values", lambda d, tmp: ((d.facilities, "zhongyige"), {})),
    Case("inputs", "points_from_table", lambda d, tmp: ((d.village_table,), {})),
    Case("inputs", "county_facilities", lambda d, tmp: ((d.facilities, d.county), dict(buffer_m=5000.0))),
    Case("inputs", "functional_status", lambda d, tmp: ((d.facilities,), {})),
    Case("inputs", "services_status", lambda d, tmp: ((d.facilities,), {})),
    Case("inputs", "staff_status", lambda d, tmp: ((d.facilities,), {})),
    Case("inputs", "elderly_from_demand", lambda d, tmp: ((d.villages.assign(
        population_65plus=d.villages["population"] * 0.2),), {})),
    Case("inputs", "check_inputs", lambda d, tmp: ((), dict(
        facilities=d.facilities, facilities_datum="wgs84", demand=d.villages,
        population_datum="wgs84", network=d.roads))),
    # network
    Case("network", "build_routing_graph", lambda d, tmp: ((d.roads, d.rg.profile), {})),
    Case("network", "with_elevation", lambda d, tmp: ((d.roads, tc.read_dem(
        tc.demo_data_dir() / "dem" / "demo_dem.tif")), {})),
    Case("network", "subset_network", lambda d, tmp: ((d.roads, np.arange(d.roads.n_segments) % 2 == 0), {})),
    Case("network", "network_pieces", lambda d, tmp: ((d.roads,), {})),
    Case("network", "segment_boxes", lambda d, tmp: ((d.roads,), {})),
    Case("network", "segments_meeting", lambda d, tmp: ((d.roads, segment_boxes(d.roads),
                                                         shapely.box(*d.roads.lines_m()[0].buffer(3000).bounds)), {})),
    # access
    Case("access", "compute_access", lambda d, tmp: ((d.people, d.facilities, d.roads), dict(
        modes=("walk",), isochrones=tc.IsochroneOptions(minutes=(15,), area=d.county),
        progress=False))),
    Case("access", "route_access", lambda d, tmp: ((d.people, d.facilities, d.roads), dict(
        modes=("walk",), isochrones=tc.IsochroneOptions(minutes=(15,), area=d.county),
        progress=False))),
    Case("access", "with_isochrones", lambda d, tmp: (_routed_with_work(d), {})),
    Case("access", "coverage_tables", lambda d, tmp: ((d.access.demand, d.access.facilities), dict(
        counties=d.county, townships=d.towns, modes=d.access.modes,
        facility_sets=d.access.facility_sets, thresholds=(10, 15)))),
    Case("access", "assign_areas", lambda d, tmp: ((d.access.demand, d.towns), {})),
    Case("access", "area_codes", lambda d, tmp: ((d.dem, d.towns), dict(level="township"))),
    Case("access", "with_area_codes", lambda d, tmp: ((d.access.demand, {"county": d.county, "township": d.towns}),
                                                      dict(like=d.dem))),
    Case("access", "access_summary", lambda d, tmp: ((
        d.dem["township_code"].to_numpy(), d.dem["t_tcm_any_ebike"].to_numpy(),
        d.dem["population"].to_numpy()), dict(thresholds=(10.0, 15.0)))),
    Case("access", "facility_indicators", lambda d, tmp: ((
        d.access.facilities, assign_areas_of(d.access.facilities, d.towns)), {})),
    Case("access", "facility_set_masks", lambda d, tmp: ((d.facilities,), {})),
    Case("access", "unknown_flags", lambda d, tmp: ((d.facilities,), {})),
    Case("access", "functional_unknown", lambda d, tmp: ((d.facilities, DEFAULT_FUNCTIONAL_RULE), {})),
    Case("access", "elderly_routing", lambda d, tmp: ((d.people, d.access), {})),
    Case("access", "elderly_times", lambda d, tmp: ((d.people, d.access), {})),
    Case("access", "elderly_tables", lambda d, tmp: ((d.tables, elderly_times(d.people, d.access)), dict(
        counties=d.county, townships=d.towns, modes=d.access.modes,
        facility_sets=d.access.facility_sets, thresholds=(10, 15)))),
    Case("access", "no_data_facility_sets", lambda d, tmp: ((d.facilities,), {})),
    Case("access", "check_time_columns", lambda d, tmp: ((d.access.demand,), dict(
        facility_sets=d.access.facility_sets, modes=d.access.modes))),
    Case("access", "no_data_cells", lambda d, tmp: ((d.tables.township,), {})),
    Case("access", "network_fca", lambda d, tmp: ((d.dem[["population", "geometry"]], d.facilities,
                                                   d.roads), dict(mode="ebike"))),
    Case("access", "area_fca", lambda d, tmp: ((d.dem, d.towns), dict(codes=d.dem["township_code"].to_numpy()))),
    # access: capacity-aware coverage (issue 14)
    Case("access", "facility_capacity", lambda d, tmp: ((d.facilities,), {})),
    Case("access", "capacity_served", lambda d, tmp: ((d.access.demand, d.access.facilities,
                                                       d.access.routing), dict(thresholds=(15.0,)))),
    Case("access", "capacity_columns", lambda d, tmp: ((d.tables.township, _served(d),
                                                        d.dem["township_code"].to_numpy(),
                                                        d.dem["population"].to_numpy()), {})),
    # access: referral chain, fairness, sensitivity (issue 15)
    Case("access", "referral_chain", lambda d, tmp: ((d.access, d.roads), {})),
    Case("access", "referral_routing", lambda d, tmp: ((d.access, d.roads), dict(modes=("ebike", "car")))),
    Case("access", "referral_township_table", lambda d, tmp: ((_chain(d),), dict(
        clinic_codes=assign_areas(_chain(d).clinics, d.towns), demand_codes=d.dem["township_code"].to_numpy(),
        population=d.dem["population"].to_numpy(), areas=d.towns))),
    Case("access", "fairness_table", lambda d, tmp: ((d.dem["t_tcm_any_ebike"].to_numpy(),
                                                      d.dem["population"].to_numpy()), dict(
        county_codes=d.dem["county_code"].to_numpy(), counties=d.county, threshold=15.0,
        township_codes=d.dem["township_code"].to_numpy(), townships=d.towns))),
    Case("access", "sensitivity_band", lambda d, tmp: ((pd.DataFrame({
        "code": ["K", "K"], "headline": [0.5, 0.5], "share_low": [0.4, 0.45], "share_high": [0.6, 0.5]}),), {})),
    # siting: the GeoDataFrame adapter
    Case("siting", "build_candidates", lambda d, tmp: ((d.facilities,), dict(
        villages=d.villages, demand=d.dem,
        uncovered=d.dem["t_tcm_any_ebike"].to_numpy() > 15, cluster_method="kmeans"))),
    Case("siting", "cluster_candidates", lambda d, tmp: ((
        d.dem, d.dem["t_tcm_any_ebike"].to_numpy() > 10), dict(n_clusters=3))),
    Case("siting", "siting_instance", lambda d, tmp: ((d.dem, d.candidates, d.rg), dict(
        threshold=15.0, existing=d.access.facilities))),
    Case("siting", "chosen_sites", lambda d, tmp: ((d.candidates, d.plan), {})),
    Case("siting", "demand_after", lambda d, tmp: ((d.dem, d.plan), {})),
    # outputs
    Case("outputs", "coverage_map", lambda d, tmp: ((MapLayers(
        counties=d.county, townships=d.towns, township_table=d.tables.township,
        facilities=d.access.facilities, demand=d.dem, isochrones=d.access.isochrones,
        fca_areas=d.fca_areas),), dict(mode="ebike", threshold=15))),
    Case("outputs", "scorecard", lambda d, tmp: ((d.access, "national"), dict(
        counties=d.county, townships=d.towns, mode="ebike"))),
    Case("outputs", "render_scorecard", lambda d, tmp: ((d.card.rows,), dict(lang="en"))),
    Case("outputs", "scorecard_section_html", lambda d, tmp: ((d.card,), dict(
        county_code=str(d.county["code"].iloc[0])))),
    Case("outputs", "county_report_html", _county_report),
    Case("outputs", "county_report_docx", _county_report_docx),
    Case("outputs", "localize", lambda d, tmp: ((d.tables.township,), dict(lang="en"))),
    Case("outputs", "rounded_table", lambda d, tmp: ((d.tables.township,), dict(lang="zh"))),
    Case("outputs", "with_no_data", lambda d, tmp: ((d.tables.county,), {})),
    Case("outputs", "prepare_layer", lambda d, tmp: ((d.towns, "gcj02"), dict(tolerance_deg=1e-4))),
    Case("outputs", "compact_geojson", lambda d, tmp: ((d.towns,), {})),
    Case("outputs", "write_layers", lambda d, tmp: ((d.access.demand, d.access.facilities, tmp), dict(
        modes=d.access.modes, facility_sets=d.access.facility_sets, thresholds=(10, 15)))),
    Case("outputs", "write_tables", lambda d, tmp: ((d.tables, tmp), dict(facilities=d.facilities))),
    Case("outputs", "write_isochrones", lambda d, tmp: ((d.access.isochrones, tmp), {})),
    Case("outputs", "save_layer", lambda d, tmp: ((d.access.facilities, tmp, "facilities"), dict(fmt="parquet"))),
    Case("outputs", "township_layer", lambda d, tmp: ((d.towns, d.tables.township, d.tables.county),
                                                      dict(modes=d.access.modes))),
    Case("outputs", "township_files", lambda d, tmp: ((d.towns, d.tables, tmp), dict(modes=d.access.modes))),
    Case("outputs", "write_township_layer", lambda d, tmp: ((township_layer(
        d.towns, d.tables.township, d.tables.county, modes=d.access.modes), tmp), {})),
    Case("outputs", "write_scorecard", lambda d, tmp: ((d.card, tmp), {})),
    Case("outputs", "localize_decision_table", lambda d, tmp: ((_fairness(d), "en"), {})),
    Case("outputs", "referral_layer", lambda d, tmp: ((_chain(d).clinics, d.access.facilities), dict(
        datum="gcj02"))),
)}

#: Face functions taking a frame that are not called here, and why.
NOT_CASES: dict[str, str] = {
    "review_sheet": "needs a map-service POI export; tests/test_poi.py covers it",
    "read_population": "reads a file (the frame-typed ``boundary`` is only clipped against)",
    "points_from_raster": "reads a file (the frame-typed ``boundary`` is only clipped against)",
    "write_manifest": "takes file paths, not frames",
}


def _routed_with_work(d: Any) -> tuple[Any, ...]:
    """The arguments of ``with_isochrones``: a routed run, its isochrones' work and rings."""
    access, work = tc.access.route_access(d.people, d.facilities, d.roads, modes=("walk",), progress=False,
                                          isochrones=tc.IsochroneOptions(minutes=(15,), area=d.county))
    return access, work, tc.access.compute_isochrones(work)


def assign_areas_of(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> np.ndarray:
    """Area codes of ``points`` (the ``groups`` argument of ``facility_indicators``)."""
    return assign_areas(points, areas)


def resolve(face: str, name: str) -> Callable[..., Any]:
    """The function ``name`` from ``tcm_coverage.<face>``, looked up at test time."""
    return getattr(importlib.import_module(f"tcm_coverage.{face}"), name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_inputs_are_not_mutated(name, demo, tmp_path):
    case = CASES[name]
    args, kwargs = case.args(demo, tmp_path)
    call_and_check(resolve(case.face, case.name), args, kwargs)


# --- the table covers the faces, and the checker can fail ----------------------------------

#: Words in a parameter annotation that mean the function takes a frame (or holds frames).
FRAME_TYPES = ("DataFrame", "RoadNetwork", "AccessResult")


def _takes_frames(func: Callable[..., Any]) -> bool:
    params = inspect.signature(func).parameters.values()
    return any(any(word in str(p.annotation) for word in FRAME_TYPES) for p in params)


def test_every_frame_function_is_listed():
    missing = []
    for face in FACES:
        module = importlib.import_module(f"tcm_coverage.{face}")
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) and _takes_frames(obj) and name not in CASES | NOT_CASES:
                missing.append(f"{face}.{name}")
    assert not missing, f"add a call to CASES (or a reason to NOT_CASES) for {missing}"


def _adds_column(frame: pd.DataFrame) -> None:
    frame["added"] = 1


def _edits_a_value(frame: pd.DataFrame) -> None:
    frame.iloc[0, frame.columns.get_loc("population")] += 1e-9


def _changes_a_dtype(frame: pd.DataFrame) -> None:
    frame["population"] = frame["population"].astype("float32")


def _drops_a_column(frame: pd.DataFrame) -> None:
    del frame["source"]


def _edits_a_name(frame: pd.DataFrame) -> None:
    frame.loc[frame.index[0], "name"] = "改"


def _renames_index(frame: pd.DataFrame) -> None:
    frame.index = frame.index + 1


def _edits_attrs(frame: pd.DataFrame) -> None:
    frame.attrs["note"] = "touched"


def _moves_a_point(frame: gpd.GeoDataFrame) -> None:
    frame.loc[frame.index[0], "geometry"] = shapely.Point(0.0, 0.0)


def _retags_crs(frame: gpd.GeoDataFrame) -> None:
    frame.set_crs("EPSG:3857", allow_override=True, inplace=True)


def _edits_a_network_array(frame: gpd.GeoDataFrame, network: Any) -> None:
    network.length_m[0] += 1.0


@pytest.mark.parametrize("mutant", [
    _adds_column, _drops_a_column, _edits_a_value, _edits_a_name, _changes_a_dtype, _renames_index,
    _edits_attrs,
    _moves_a_point, _retags_crs,
])
def test_the_checker_catches_mutation(mutant, demo):
    with pytest.raises(AssertionError):
        call_and_check(mutant, (demo.people,), {})


def test_the_checker_catches_mutation_inside_a_network(demo):
    with pytest.raises(AssertionError, match="length_m"):
        call_and_check(_edits_a_network_array, (demo.people,), {"network": demo.roads})


def test_the_checker_passes_a_function_that_copies(demo):
    def adds_to_a_copy(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out["added"] = 1
        return out

    assert "added" in call_and_check(adds_to_a_copy, (demo.people,), {}).columns
