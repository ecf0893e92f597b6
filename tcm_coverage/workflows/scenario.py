"""Site-selection scenarios: a TOML file names the county data, mode, threshold, candidates,
costs, budget or p and the model; running it writes the chosen sites, before/after coverage per
township and a before/after map; several scenarios are compared side by side.

Scenario file (paths relative to the file; every key but ``[scenario].name`` and ``[model]``
has a default)::

    [scenario]
    name = "upgrade_only"                 # folder name of the outputs (letters, digits, _ -)
    title = "只升级村卫生室：中医阁10%目标"   # shown in tables and on the map
    description = "..."

    [data]
    demo = true                           # the bundled demo county, or give the files:
    # facilities = "设施.xlsx"            facilities_datum = "gcj02"
    # boundary = "county.geojson"         townships = "townships.gpkg"
    # population = "worldpop.tif"         network = "county.osm.pbf"

    [access]
    mode = "ebike"                        # walk, walk_elderly, bicycle, ebike, car
    threshold = 15                        # minutes
    target = "tcm_any"                    # what counts as covered before the plan

    [candidates]
    kinds = ["upgrade", "new"]            # upgrade: village clinic gains a 中医阁; new: new clinic
    villages = "villages.csv"             # village points for new clinics (demo: its village table)
    clusters = 0                          # also k cluster centres of uncovered residents (KMeans)
    clinic_radius_m = 500                 # a village with a clinic this close gets no new one
    costs = { upgrade = 1, new = 5 }      # per kind, in the county's unit (e.g. 万元)
    overrides = "candidate_costs.csv"     # optional: candidate_id/name + cost, force, exclude

    [model]
    type = "max_cover"                    # max_cover | set_cover | p_median | upgrade_or_build
    p = 10                                # sites to open (max_cover, p_median)
    budget = 60                           # total cost (max_cover, upgrade_or_build)
    share = 1.0                           # population share to cover (set_cover)
    minimize = "cost"                     # set_cover: "cost" or "count"
    time_limit = 120                      # seconds for the exact solver

Errors name the file, the key and the fix. Results are reproducible: the scenario file and the
input hashes are copied into the output folder.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import re
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage._io import atomic_output_dir, check_output_dir, file_sha256
from tcm_coverage._safetext import safe_workbook, write_csv
from tcm_coverage._tables import find_column, read_table
from tcm_coverage._validate import reading
from tcm_coverage.access import (
    UNASSIGNED,
    assign_areas,
    facility_set_masks,
    isochrone_bands,
    surface_points,
    travel_time_surface,
)
from tcm_coverage.demo import DEMO_FILES, demo_data_dir, demo_inputs
from tcm_coverage.i18n import MODE_LABELS
from tcm_coverage.inputs import read_population
from tcm_coverage.network import PROFILES, build_routing_graph, get_profile, snap_points
from tcm_coverage.outputs import BASEMAPS, MapLayers, MapOptions, coverage_map, save_map
from tcm_coverage.siting import maximal_covering, p_median, set_covering, upgrade_or_build
from tcm_coverage.siting.candidates import build_candidates, chosen_sites, siting_instance
from tcm_coverage.siting.models import SitingResult
from tcm_coverage.vocab import FACILITY_SETS, OPTIONAL_FACILITY_SETS
from tcm_coverage.workflows.pipeline import AnalysisConfig, AnalysisRun, compute

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

logger = logging.getLogger(__name__)

__all__ = ["MODELS", "Scenario", "ScenarioResult", "compare_scenarios", "load_scenario",
           "run_scenario", "run_scenarios", "write_scenario"]

#: Model names accepted in ``[model].type``.
MODELS: tuple[str, ...] = ("max_cover", "set_cover", "p_median", "upgrade_or_build")

_KEYS = {
    "scenario": {"name", "title", "description"},
    "data": {"demo", "facilities", "facilities_datum", "boundary", "boundary_datum", "townships",
             "townships_datum", "population", "population_datum", "population_column", "network",
             "include_other"},
    "access": {"mode", "threshold", "target"},
    "candidates": {"kinds", "villages", "villages_datum", "clusters", "clinic_radius_m", "costs",
                   "overrides", "min_population"},
    "model": {"type", "p", "budget", "share", "minimize", "time_limit"},
    "map": {"basemap", "tianditu_key", "self_contained", "lang"},
}


@dataclass(frozen=True)
class Scenario:
    """A validated scenario (see the module docstring for the file format).

    Attributes
    ----------
    name, title, description
        Identity.
    path
        The scenario file.
    config
        The coverage analysis inputs (one mode, one threshold).
    mode, threshold, target
        Travel mode, minutes, and what counts as covered before the plan.
    kinds
        Candidate kinds (``"upgrade"``, ``"new"``).
    villages, villages_datum
        Village points for new clinics.
    clusters, clinic_radius_m, min_population, costs, overrides
        Candidate generation (see :func:`tcm_coverage.siting.candidates.build_candidates`).
    model, p, budget, share, minimize, time_limit
        The model and its parameters.
    basemap, tianditu_key, self_contained, lang
        Map options.
    """

    name: str
    path: Path
    config: AnalysisConfig
    title: str = ""
    description: str = ""
    mode: str = "ebike"
    threshold: float = 15.0
    target: str = "tcm_any"
    kinds: tuple[str, ...] = ("upgrade", "new")
    villages: Path | None = None
    villages_datum: str = "wgs84"
    clusters: int = 0
    clinic_radius_m: float = 500.0
    min_population: float = 0.0
    costs: Mapping[str, float] = field(default_factory=dict)
    overrides: Path | None = None
    model: str = "max_cover"
    p: int | None = None
    budget: float | None = None
    share: float = 1.0
    minimize: str = "cost"
    time_limit: float | None = 120.0
    basemap: str = "osm"
    tianditu_key: str | None = None
    self_contained: bool = False
    lang: str = "zh"


def _err(path: Path, key: str, message: str, fix: str) -> InputError:
    return InputError(f"[{key}] {message}", path=path, fix=fix)


def _number(path: Path, key: str, value: Any, *, integer: bool = False, low: float = 0.0,
            high: float = float("inf")) -> float | int:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if not ok or not (low <= float(value) <= high):
        kind = "a whole number" if integer else "a number"
        rng = f" between {low:g} and {high:g}" if np.isfinite(high) else f" >= {low:g}"
        raise _err(path, key, f"must be {kind}{rng}, got {value!r}", f"write e.g. {key.split('.')[-1]} = "
                   f"{int(max(low, 1)) if integer else max(low, 1.0):g}")
    return int(value) if integer else float(value)


def load_scenario(path: str | Path, *, data_dir: Path | None = None) -> Scenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path
        The ``.toml`` file.
    data_dir
        Folder of the bundled demo data (default: :func:`tcm_coverage.demo.demo_data_dir`).

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        Naming the file, the key and the fix: unknown sections or keys (with the accepted ones),
        missing or wrong-typed values, unknown mode/model/kind, missing input files.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("scenario file not found", path=path, fix="check the path") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not a text (TOML) scenario file: byte {exc.start} is not UTF-8 text",
                         path=path, fix="give a scenario .toml saved as UTF-8 text (examples in "
                                        "tcm_coverage/demo_data/scenarios/)") from None
    except OSError as exc:  # a folder, no permission
        raise InputError(f"cannot read the scenario file ({exc.strerror or exc})", path=path,
                         fix="give the path of a scenario .toml file you may read") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=path,
                         fix="check quotes, brackets and '=' (see the format in the docs)") from None
    base = path.resolve().parent
    for section, value in raw.items():
        if section not in _KEYS:
            raise _err(path, section, "is not a scenario section",
                       f"use some of {sorted(_KEYS)}")
        if not isinstance(value, dict):
            raise _err(path, section, "must be a table", f"write [{section}] on its own line")
        unknown = set(value) - _KEYS[section]
        if unknown:
            raise _err(path, f"{section}.{sorted(unknown)[0]}", "is not a known key",
                       f"keys of [{section}]: {sorted(_KEYS[section])}")
    sc = raw.get("scenario", {})
    name = sc.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[\w\-]+", name):
        raise _err(path, "scenario.name", f"must be a short name of letters, digits, _ or -, got {name!r}",
                   'write e.g. name = "upgrade_only"')
    data = raw.get("data", {})

    def file(key: str, required: bool, where: Mapping[str, Any] = data, section: str = "data") -> Path | None:
        value = where.get(key)
        if value is None:
            if required:
                raise _err(path, f"{section}.{key}", "is missing", f'write {key} = "path/to/file" '
                           "(relative to the scenario file) or demo = true")
            return None
        p = Path(value)
        p = p if p.is_absolute() else base / p
        if not p.exists():
            raise _err(path, f"{section}.{key}", f"file not found: {p}", "check the path (relative to "
                       "the scenario file)")
        return p

    access = raw.get("access", {})
    mode = access.get("mode", "ebike")
    if mode not in PROFILES:
        raise _err(path, "access.mode", f"unknown mode {mode!r}", f"use one of {sorted(PROFILES)}")
    threshold = _number(path, "access.threshold", access.get("threshold", 15), low=1, high=240)
    target = access.get("target", "tcm_any")
    targets = [t for t in FACILITY_SETS if t not in OPTIONAL_FACILITY_SETS]  # the upper bound is not always routed
    if target not in targets:
        raise _err(path, "access.target", f"unknown target {target!r}", f"use one of {targets}")
    mp = raw.get("map", {})
    basemap = mp.get("basemap", "osm")
    if basemap not in BASEMAPS:
        raise _err(path, "map.basemap", f"unknown basemap {basemap!r}", f"use one of {sorted(BASEMAPS)}")
    lang = mp.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise _err(path, "map.lang", f"unknown language {lang!r}", 'use "zh" or "en"')

    cand = raw.get("candidates", {})
    villages_default = None
    if data.get("demo", False) is True:
        d = demo_data_dir() if data_dir is None else data_dir
        config = AnalysisConfig(
            **demo_inputs(d),
            out_dir=base, modes=(mode,), thresholds=(float(threshold),), lang=lang,
            include_other=bool(data.get("include_other", False)), accessibility=False,
        )
        villages_default = d / DEMO_FILES["villages"]
    else:
        config = AnalysisConfig(
            facilities=file("facilities", True), facilities_datum=data.get("facilities_datum", "wgs84"),
            boundary=file("boundary", True), boundary_datum=data.get("boundary_datum", "wgs84"),
            townships=file("townships", False), townships_datum=data.get("townships_datum", "wgs84"),
            population=file("population", True), population_datum=data.get("population_datum", "wgs84"),
            population_column=data.get("population_column"), network=file("network", True),
            out_dir=base, modes=(mode,), thresholds=(float(threshold),), lang=lang,
            include_other=bool(data.get("include_other", False)), accessibility=False,
        )
    kinds = cand.get("kinds", ["upgrade", "new"])
    if not isinstance(kinds, list) or not kinds or any(k not in ("upgrade", "new") for k in kinds):
        raise _err(path, "candidates.kinds", f"must list 'upgrade' and/or 'new', got {kinds!r}",
                   'write kinds = ["upgrade"] or kinds = ["upgrade", "new"]')
    costs = cand.get("costs", {})
    if not isinstance(costs, dict) or any(k not in ("upgrade", "new") for k in costs):
        raise _err(path, "candidates.costs", f"must be a table of upgrade/new costs, got {costs!r}",
                   "write costs = { upgrade = 1, new = 5 }")
    costs = {k: _number(path, f"candidates.costs.{k}", v) for k, v in costs.items()}
    villages = file("villages", False, cand, "candidates") or (villages_default if "new" in kinds else None)
    clusters = _number(path, "candidates.clusters", cand.get("clusters", 0), integer=True, high=1000)
    if "new" in kinds and villages is None and clusters == 0:
        raise _err(path, "candidates.villages", "new clinics need village points or clusters",
                   'give villages = "villages.csv" or clusters = 10, or use kinds = ["upgrade"]')

    model = raw.get("model")
    if model is None:
        raise _err(path, "model", "is missing", 'add [model] with type = "max_cover" and p = 10')
    mtype = model.get("type")
    if mtype not in MODELS:
        raise _err(path, "model.type", f"unknown model {mtype!r}", f"use one of {list(MODELS)}")
    p = model.get("p")
    p = None if p is None else _number(path, "model.p", p, integer=True, low=1)
    budget = model.get("budget")
    budget = None if budget is None else _number(path, "model.budget", budget)
    share = _number(path, "model.share", model.get("share", 1.0), low=0.0, high=1.0)
    minimize = model.get("minimize", "cost")
    if minimize not in ("cost", "count"):
        raise _err(path, "model.minimize", f"must be 'cost' or 'count', got {minimize!r}",
                   'write minimize = "count" for the fewest sites')
    if mtype == "max_cover" and p is None and budget is None:
        raise _err(path, "model.p", "max_cover needs p or budget", "write p = 10 or budget = 60")
    if mtype == "p_median" and p is None:
        raise _err(path, "model.p", "p_median needs p", "write p = 10")
    if mtype == "upgrade_or_build" and budget is None:
        raise _err(path, "model.budget", "upgrade_or_build needs a budget", "write budget = 60")
    time_limit = model.get("time_limit", 120)
    time_limit = None if time_limit is None else _number(path, "model.time_limit", time_limit, low=1)
    return Scenario(
        name=name, path=path, config=config, title=str(sc.get("title", name)),
        description=str(sc.get("description", "")), mode=mode, threshold=float(threshold),
        target=target, kinds=tuple(kinds), villages=villages,
        villages_datum=cand.get("villages_datum", "wgs84"),
        clusters=int(clusters),
        clinic_radius_m=_number(path, "candidates.clinic_radius_m", cand.get("clinic_radius_m", 500)),
        min_population=_number(path, "candidates.min_population", cand.get("min_population", 0)),
        costs=costs, overrides=file("overrides", False, cand, "candidates"), model=mtype, p=p,
        budget=budget, share=float(share), minimize=minimize, time_limit=time_limit, basemap=basemap,
        tianditu_key=mp.get("tianditu_key"), self_contained=bool(mp.get("self_contained", False)),
        lang=lang,
    )


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


_OVERRIDE_ALIASES: dict[str, tuple[str, ...]] = {
    "candidate_id": ("candidate_id", "候选编号", "编号"),
    "name": ("name", "名称"),
    "cost": ("cost", "成本"),
    "force": ("force", "必选"),
    "exclude": ("exclude", "排除"),
}


def _apply_overrides(cands: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    table = read_table(path, known=[a for v in _OVERRIDE_ALIASES.values() for a in v],
                       what="candidate overrides table")
    frame, rows = table.frame, table.rows
    cols = {k: find_column(list(frame.columns), v) for k, v in _OVERRIDE_ALIASES.items()}
    key = "candidate_id" if cols["candidate_id"] else ("name" if cols["name"] else None)
    if key is None:
        raise InputError(f"the overrides table needs a candidate_id or name (名称) column; it has "
                         f"{list(frame.columns)} ({table.where()})", path=path,
                         fix="export the candidate list (candidates.xlsx of an earlier run) and edit it")
    out = cands.copy()
    index = pd.Series(out.index, index=out[key].astype(str))
    for i in range(len(frame)):
        row, number = frame.iloc[i], int(rows[i])
        ident = "" if pd.isna(row[cols[key]]) else str(row[cols[key]]).strip()
        if ident not in index.index:
            raise InputError(f"no candidate {ident!r}", path=path, row=number, column=cols[key],
                             fix="use a candidate_id or name from candidates.xlsx")
        j = index[ident]
        j = j.iloc[0] if isinstance(j, pd.Series) else j
        for col in ("cost", "force", "exclude"):
            src = cols[col]
            if src is None or pd.isna(row[src]) or not str(row[src]).strip():
                continue
            text = str(row[src]).strip()
            if col == "cost":
                try:
                    value = float(text)
                except ValueError:
                    raise InputError(f"cost {text!r} is not a number", path=path, row=number,
                                     column=src, fix="write a number, e.g. 1.5") from None
                out.loc[j, "cost"] = value
            else:
                truth = text.lower() in ("1", "1.0", "true", "yes", "y", "是", "√")
                if not truth and text.lower() not in ("0", "0.0", "false", "no", "n", "否", ""):
                    raise InputError(f"{src} {text!r} is not yes/no", path=path, row=number,
                                     column=src, fix="write 是/否 or 1/0")
                out.loc[j, col] = truth
    return out


def _solve(scn: Scenario, inst: Any) -> SitingResult:
    kw = {"time_limit": scn.time_limit}
    if scn.model == "max_cover":
        return maximal_covering(inst, p=scn.p, budget=scn.budget, **kw)
    if scn.model == "upgrade_or_build":
        return upgrade_or_build(inst, budget=float(scn.budget), p=scn.p, **kw)
    if scn.model == "set_cover":
        return set_covering(inst, share=scn.share, minimize=scn.minimize, **kw)
    return p_median(inst, p=int(scn.p), **kw)


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


def run_scenario(scn: Scenario, *, run: AnalysisRun | None = None, progress: bool = True) -> ScenarioResult:
    """Compute coverage, build candidates, solve the model and tabulate before/after.

    Parameters
    ----------
    scn
        From :func:`load_scenario`.
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
        run = compute(dataclasses.replace(scn.config, isochrone_cell_m=100.0), progress=progress)
    seconds["coverage"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    demand = run.demand
    fac = run.access.facilities
    t_col = f"t_{scn.target}_{scn.mode}"
    t_before = demand[t_col].to_numpy(float)
    villages = None
    if scn.villages is not None and "new" in scn.kinds:
        with reading("villages", scn.villages):
            villages = read_population(scn.villages, datum=scn.villages_datum, boundary=run.counties)
    uncovered = ~(t_before <= scn.threshold)
    cands = build_candidates(
        fac, villages=villages, demand=demand, uncovered=uncovered if scn.clusters else None,
        cluster_method="kmeans" if scn.clusters else None, n_clusters=max(scn.clusters, 1),
        clinic_radius_m=scn.clinic_radius_m, min_population=scn.min_population, costs=scn.costs)
    cands = cands[cands["kind"].isin(scn.kinds)].reset_index(drop=True)
    if scn.overrides is not None:
        with reading("candidate overrides", scn.overrides):
            cands = _apply_overrides(cands, scn.overrides)
    if cands.empty:
        raise InputError("no candidate sites", path=scn.path,
                         fix="allow kinds = [\"upgrade\", \"new\"], give villages, or add clusters")
    if scn.mode in run.access.routing:  # the coverage run's graph and snaps, not rebuilt
        rg, dsnap, fsnap = run.access.routing[scn.mode]
    else:
        profile = get_profile(scn.mode, overrides=scn.config.speed_overrides.get(scn.mode),
                              offroad_kmh=scn.config.offroad_kmh.get(scn.mode))
        rg = build_routing_graph(run.network, profile)
        dsnap = None
        fsnap = snap_points(rg, fac.geometry.x.to_numpy(float), fac.geometry.y.to_numpy(float))
    cutoff = 2 * scn.threshold if scn.model == "p_median" else scn.threshold
    inst = siting_instance(demand, cands, rg, threshold=scn.threshold, cutoff=cutoff,
                           existing_minutes=t_before, demand_snap=dsnap,
                           direct_offroad_m=scn.config.direct_offroad_m)
    seconds["candidates and travel times"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = _solve(scn, inst)
    seconds["solve"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    after = np.asarray(res.minutes, float) <= scn.threshold
    before = t_before <= scn.threshold
    codes = (demand["township_code"].to_numpy() if "township_code" in demand
             else demand["county_code"].to_numpy())
    towns = _township_table(demand, run.townships if "township_code" in demand else run.counties,
                            codes, before, after, np.asarray(res.uncoverable, bool) & ~before)
    sites = _site_reasons(res, inst, cands, run.townships)
    # the area newly within the threshold: grid cells the chosen sites reach within it that
    # no existing target facility reached (nearest of a union = the smaller of the two)
    mask = facility_set_masks(fac, include_other=scn.config.include_other)[scn.target]
    cells = surface_points(rg, run.counties, cell_m=100.0)
    direct_m = scn.config.direct_offroad_m
    surf_before = travel_time_surface(rg, fsnap.take(mask), None, cells=cells,
                                      direct_offroad_m=direct_m)
    surf_sites = travel_time_surface(rg, snap_points(rg, sites.geometry.x.to_numpy(float),
                                                     sites.geometry.y.to_numpy(float)),
                                     None, cells=cells, direct_offroad_m=direct_m)
    new_cells = (surf_sites.minutes <= scn.threshold) & ~(surf_before.minutes <= scn.threshold)
    new_area = isochrone_bands(
        dataclasses.replace(surf_sites, minutes=np.where(new_cells, 0.0, np.inf)), [scn.threshold],
        attributes={"mode": scn.mode, "target": scn.target})
    seconds["tables and isochrones"] = time.perf_counter() - t0
    pop = demand["population"].to_numpy(float)
    kinds = sites["kind"].value_counts()
    summary = {
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
    }
    return ScenarioResult(scenario=scn, run=run, candidates=cands, result=res, sites=sites,
                          townships=towns, new_area=new_area, summary=summary,
                          seconds=seconds)


_LABELS = {
    "candidate_id": ("候选编号", "candidate"), "name": ("名称", "name"), "kind": ("类型", "kind"),
    "source": ("来源", "source"), "facility_id": ("设施编号", "facility id"),
    "population": ("人口", "population"), "cost": ("成本", "cost"), "force": ("必选", "forced"),
    "exclude": ("排除", "excluded"), "township": ("乡镇代码", "township code"),
    "township_name": ("乡镇", "township"), "newly_covered": ("新覆盖人口", "residents newly covered"),
    "only_this_site": ("仅由该点新覆盖人口", "newly covered by this site only"),
    "lon": ("经度", "lon"), "lat": ("纬度", "lat"), "model": ("模型", "model"),
    "status": ("求解状态", "solver status"),
    "code": ("区划代码", "code"), "covered_before": ("规划前覆盖人口", "covered before"),
    "share_before": ("规划前覆盖率", "share before"), "covered_after": ("规划后覆盖人口", "covered after"),
    "share_after": ("规划后覆盖率", "share after"),
    "scenario": ("方案", "scenario"), "title": ("方案名称", "title"), "mode": ("出行方式", "mode"),
    "threshold": ("阈值(分钟)", "threshold (min)"), "p": ("新增点数p", "p"), "budget": ("预算", "budget"),
    "share_target": ("覆盖率目标", "share target"), "candidates": ("候选点数", "candidates"),
    "sites": ("选中点数", "sites chosen"), "upgrades": ("升级中医阁", "中医阁 upgrades"),
    "new_clinics": ("新建村卫生室", "new clinics"), "still_beyond": ("仍在阈值外人口", "still beyond"),
    "uncoverable": ("任何候选点都无法覆盖的人口", "no candidate can cover"),
    "new_area_km2": ("新增覆盖面积(km²)", "area newly covered (km²)"),
    "optimal": ("已证明最优", "proven optimal"), "gap": ("最优性差距", "optimality gap"),
    "greedy_gap": ("贪心解差距", "greedy gap"), "solve_seconds": ("求解秒数", "solve seconds"),
}
_KIND_LABELS = {"upgrade": ("升级（增设中医阁）", "upgrade (add 中医阁)"),
                "new": ("新建村卫生室（含中医阁）", "new clinic with 中医阁")}


def _localize(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    i = 0 if lang == "zh" else 1
    out = frame.copy()
    if "kind" in out:
        out["kind"] = out["kind"].map(lambda k: _KIND_LABELS.get(k, (k, k))[i])
    if "mode" in out:
        out["mode"] = out["mode"].map(lambda m: MODE_LABELS.get(m, {}).get(lang, m))
    return out.rename(columns={c: _LABELS[c][i] for c in out.columns if c in _LABELS})


def _scenario_map(sr: ScenarioResult) -> folium.Map:
    scn, run = sr.scenario, sr.run
    zh = scn.lang == "zh"
    demand = run.access.demand.copy()
    t_col = f"t_{scn.target}_{scn.mode}"
    after_min = np.asarray(sr.result.minutes, float)
    demand[t_col] = np.minimum(demand[t_col].to_numpy(float), after_min)  # map shows the plan
    title = (f"{scn.title}：规划后{scn.threshold:g}分钟覆盖（{MODE_LABELS[scn.mode]['zh']}）" if zh
             else f"{scn.title}: coverage within {scn.threshold:g} min after the plan "
                  f"({MODE_LABELS[scn.mode]['en']})")
    before_iso = run.access.isochrones
    iso = None
    if before_iso is not None:
        iso = before_iso[(before_iso["mode"] == scn.mode) & (before_iso["target"] == scn.target)
                         & (before_iso["minutes"] <= scn.threshold)]
    thr = f"{scn.threshold:g}"
    towns = sr.townships[sr.townships["code"] != "total"]
    town_table = pd.DataFrame({"code": towns["code"], "mode": scn.mode, "population": towns["population"],
                               f"share_within_{thr}": towns["share_after"]})
    extra = [("#ff7f00", "规划新增覆盖范围" if zh else "area newly covered"),
             ("#fdd0a2", "规划选址：升级（增设中医阁）" if zh else "chosen: 中医阁 upgrade"),
             ("#ff7f00", "规划选址：新建村卫生室" if zh else "chosen: new clinic")]
    datum = BASEMAPS[scn.basemap][3]
    from tcm_coverage.outputs import compact_geojson, prepare_layer

    layers = []
    # newly covered area: within the threshold after the plan but not before
    if not sr.new_area.geometry.iloc[0].is_empty:
        new_area = sr.new_area.assign(label=[
            f"规划后新增{scn.threshold:g}分钟覆盖范围（{sr.new_area['area_km2'].iloc[0]:.1f} km²）" if zh
            else f"newly within {scn.threshold:g} min ({sr.new_area['area_km2'].iloc[0]:.1f} km²)"])
        layers.append(folium.GeoJson(
            compact_geojson(prepare_layer(new_area[["label", "geometry"]], datum, 0.0008), 4),
            name=("规划新增覆盖范围" if zh else "newly covered area"),
            style_function=lambda f: {"fillColor": "#ff7f00", "color": "#d94801", "weight": 1,
                                      "fillOpacity": 0.45},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ))
    sites = prepare_layer(sr.sites, datum)
    sites["label"] = [  # names from the input files, shown as HTML by folium: escaped
        (f"{html.escape(str(n))}（{_KIND_LABELS[k][0]}）：新覆盖 {c:,} 人，成本 {cost:g}" if zh
         else f"{html.escape(str(n))} ({_KIND_LABELS[k][1]}): {c:,} newly covered, cost {cost:g}")
        for n, k, c, cost in zip(sites["name"], sites["kind"], sites["newly_covered"], sites["cost"],
                                 strict=True)]
    sites["fill"] = np.where(sites["kind"] == "new", "#ff7f00", "#fdd0a2")
    layers.append(folium.GeoJson(
        compact_geojson(sites[["label", "fill", "geometry"]]),
        name=(f"规划选址（{len(sites)}）" if zh else f"chosen sites ({len(sites)})"),
        marker=folium.CircleMarker(radius=9, color="#d94801", weight=3, fill=True, fill_opacity=1.0),
        style_function=lambda f: {"fillColor": f["properties"]["fill"]},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        popup=folium.GeoJsonPopup(fields=["label"], labels=False),
    ))
    fmap = coverage_map(MapLayers(counties=run.counties, townships=run.townships, township_table=town_table,
                                  facilities=run.access.facilities, demand=demand, isochrones=iso,
                                  extra_legend=extra, extra_layers=layers),
                        mode=scn.mode, threshold=scn.threshold, facility_set=scn.target,
                        options=MapOptions(lang=scn.lang, basemap=scn.basemap, tianditu_key=scn.tianditu_key,
                                           title=title, sources=list(run_sources(scn))))
    return fmap


def run_sources(scn: Scenario) -> list[str]:
    """Source lines of a scenario's map (the scenario file and the input files).

    Parameters
    ----------
    scn
        The scenario.

    Returns
    -------
    list of str
    """
    from tcm_coverage.workflows.pipeline import source_lines

    zh = scn.lang == "zh"
    return [("方案文件：" if zh else "scenario: ") + scn.path.name] + source_lines(scn.config)



def write_scenario(sr: ScenarioResult, out_dir: Path) -> list[Path]:
    """Write one scenario's outputs into ``out_dir`` (atomically).

    ``sites.gpkg`` and ``sites.xlsx`` (the chosen sites with reasons; the xlsx also lists every
    candidate and the before/after coverage per township), ``townships.csv``, ``map.html``
    (after the plan, new area and chosen sites highlighted), ``scenario.toml`` (a copy) and
    ``result.json`` (solver status, gap, timings, input hashes).

    Parameters
    ----------
    sr
        From :func:`run_scenario`.
    out_dir
        Destination folder.

    Returns
    -------
    list of pathlib.Path
    """
    scn = sr.scenario
    lang = scn.lang
    with atomic_output_dir(out_dir, kind="scenario", inputs=_scenario_inputs(scn)) as tmp:
        cols = ["candidate_id", "name", "kind", "township_name", "newly_covered", "only_this_site",
                "cost", "population", "lon", "lat", "source", "facility_id"]
        sites = sr.sites[[c for c in cols if c in sr.sites]]
        gpkg = sr.sites.drop(columns=[c for c in ("force", "exclude") if c in sr.sites]).copy()
        gpkg.to_file(tmp / "sites.gpkg", layer="sites", driver="GPKG")
        towns = sr.townships
        cands = sr.candidates.drop(columns="geometry").assign(
            lon=sr.candidates.geometry.x.round(6), lat=sr.candidates.geometry.y.round(6))
        summary = pd.DataFrame([sr.summary])
        with safe_workbook(tmp / "sites.xlsx") as book:
            book.add(_localize(sites, lang), "选址" if lang == "zh" else "sites")
            book.add(_localize(towns, lang), "乡镇前后对比" if lang == "zh" else "before-after")
            book.add(_localize(cands, lang), "全部候选点" if lang == "zh" else "candidates")
            book.add(_localize(summary, lang), "方案摘要" if lang == "zh" else "summary")
        write_csv(_localize(towns, lang), tmp / "townships.csv")
        save_map(_scenario_map(sr), tmp / "map.html", self_contained=scn.self_contained)
        shutil.copyfile(scn.path, tmp / "scenario.toml")
        res = sr.result
        record = {
            "summary": sr.summary, "messages": list(res.messages), "seconds": sr.seconds,
            "reduction": res.reduction.summary() if res.reduction is not None else None,
            "bound": res.bound, "greedy_objective": res.greedy_objective, "objective": res.objective,
            "inputs": {k: {"path": str(v), "sha256": file_sha256(v)} for k, v in
                       (("scenario", scn.path), ("facilities", scn.config.facilities),
                        ("population", scn.config.population), ("network", scn.config.network),
                        ("villages", scn.villages), ("overrides", scn.overrides)) if v is not None},
        }
        (tmp / "result.json").write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str),
                                         encoding="utf-8")
        names = sorted(p.name for p in tmp.iterdir())
    return [Path(out_dir) / n for n in names]


def _scenario_inputs(scn: Scenario) -> dict[str, Path | None]:
    """The files a scenario reads (none may lie in its output folder)."""
    return {"scenario": scn.path, "facilities": scn.config.facilities,
            "boundary": scn.config.boundary, "townships": scn.config.townships,
            "population": scn.config.population, "network": scn.config.network,
            "villages": scn.villages, "overrides": scn.overrides}


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


def run_scenarios(paths: Sequence[str | Path], out_dir: str | Path, *, progress: bool = True,
                  data_dir: Path | None = None) -> list[ScenarioResult]:
    """Load, run and write several scenarios, then ``comparison.csv``/``comparison.xlsx``.

    Scenarios on the same inputs, mode and threshold share one coverage run. Every scenario
    file is validated before anything is computed.

    Parameters
    ----------
    paths
        Scenario files.
    out_dir
        Output folder; each scenario writes into ``out_dir/<name>/``. The folder is one
        result, replaced as a whole when every scenario is solved and written (see
        :func:`tcm_coverage._io.atomic_output_dir`): scenarios of an earlier run that are
        not in this one are not kept.
    progress
        Show progress bars.
    data_dir
        Demo data folder (see :func:`load_scenario`).

    Returns
    -------
    list of ScenarioResult
    """
    scenarios = [load_scenario(p, data_dir=data_dir) for p in paths]
    names = [s.name for s in scenarios]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"several scenarios are named {dupes[0]!r}", path=scenarios[0].path,
                         fix="give each scenario its own [scenario].name")
    out = Path(out_dir)
    inputs = {f"{scn.name} {label}": path for scn in scenarios
              for label, path in _scenario_inputs(scn).items()}
    check_output_dir(out, inputs=inputs)  # before any solving
    runs: dict[str, AnalysisRun] = {}
    results = []
    for scn in scenarios:
        key = json.dumps({k: str(v) for k, v in dataclasses.asdict(scn.config).items()
                          if k not in ("out_dir", "lang")}, sort_keys=True)
        if key not in runs:
            runs[key] = compute(dataclasses.replace(scn.config, isochrone_cell_m=100.0), progress=progress)
        logger.info("scenario %s: solving %s", scn.name, scn.model)
        results.append(run_scenario(scn, run=runs[key], progress=progress))
    lang = scenarios[0].lang if scenarios else "zh"
    table = _localize(compare_scenarios(results), lang)
    # one result folder for the whole run: every scenario and the comparison, swapped at once
    with atomic_output_dir(out, kind="scenarios", inputs=inputs) as tmp:
        for sr in results:
            write_scenario(sr, tmp / sr.scenario.name)
        write_csv(table, tmp / "comparison.csv")
        with safe_workbook(tmp / "comparison.xlsx") as book:
            book.add(table, "方案对比" if lang == "zh" else "comparison")
    return results
