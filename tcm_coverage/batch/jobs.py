"""County jobs of a batch run: finding the inputs, keying them for resume, cutting
province-wide inputs, and running one county (on a Dask worker or in-process).

Two ways to give the counties
-----------------------------
*A folder per county* (:func:`folder_jobs`). Each folder holds the files of one county,
found by name (case-insensitive; a folder is a county folder when it holds a road file,
and a folder without one stands for its subfolders that do):

==============  ===========================================================================
input           file
==============  ===========================================================================
roads           the one ``*.osm.pbf``, ``*.pbf``, ``*.osm`` or ``*.graphml`` file
boundary        GeoJSON/GPKG/SHP whose name contains ``boundary``, ``county``, ``县界`` or
                ``边界``
townships       (optional) GeoJSON/GPKG/SHP whose name contains ``township``, ``乡镇`` or ``街道``
facilities      CSV/XLSX/GeoJSON/GPKG whose name contains ``facilit``, ``设施`` or ``机构``
population      the one ``*.tif``/``*.tiff``, or a CSV/XLSX/GeoJSON/GPKG whose name contains
                ``population``, ``village``, ``人口`` or ``村``
==============  ===========================================================================

A token ``wgs84``, ``gcj02`` or ``bd09`` in a file name sets that file's datum (e.g.
``facilities_gcj02.csv``); otherwise the ``--*-datum`` options apply. Each folder runs
exactly as ``tcm-coverage analyze`` would on those files (:func:`tcm_coverage.workflows.pipeline.
run_analysis`).

*One province-wide set of files* (:func:`province_jobs`): a boundary file with one feature
per county, and province-wide facilities, population and roads. The roads are read **once**
(``read_network(path, boundary=<all counties>)``) and each county gets the segments that
intersect the county buffered by ``buffer_m + max_facility_offroad_m`` (``subset_network`` of the
province network, found with one STRtree query), re-projected to the county's own UTM zone
when the province spans several. Facilities within ``buffer_m`` of the county are included,
so a trip to a facility just across a county line counts (the extra
``max_facility_offroad_m`` of road guarantees that every such facility with a road within
``max_facility_offroad_m`` in the province file finds it). Residents are those of the
county only: village tables and polygons are read once and assigned to counties by
point-in-polygon (:func:`tcm_coverage.access.coverage.assign_areas`); a raster is read per county
on the worker (a window of the county's bounds).

Resume
------
A county's outputs go to ``<out>/counties/<job_id>/``, written atomically, and then
``batch_done.json`` is written there with the job's *key*: a SHA-256 of the tool version,
the SHA-256 of every input file, every parameter and (province mode) the county's code and
geometry. A later run skips a county whose marker carries the same key; change an input or
a parameter and the county is recomputed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tcm_coverage._version import __version__
from tcm_coverage._errors import InputError, TCMCoverageError
from tcm_coverage._io import file_sha256
from tcm_coverage._validate import reading

logger = logging.getLogger(__name__)

__all__ = [
    "DONE_MARKER",
    "CountyInputs",
    "CountyJob",
    "ProvinceInputs",
    "compute_county",
    "cut_county",
    "discover_county_files",
    "expand_county_dirs",
    "folder_jobs",
    "job_key",
    "province_jobs",
    "read_done",
    "read_province_inputs",
    "run_county",
    "write_county",
]

#: Name of the file that marks a county as done (written after its outputs).
DONE_MARKER = "batch_done.json"

_VECTOR = (".geojson", ".json", ".gpkg", ".shp")
_TABLE = (".csv", ".xlsx", ".xls", ".xlsm")
_RASTER = (".tif", ".tiff")
_ROADS = (".osm.pbf", ".pbf", ".osm", ".graphml")
_KEYWORDS = {
    "boundary": ("boundary", "county", "县界", "边界"),
    "townships": ("township", "乡镇", "街道"),
    "facilities": ("facilit", "设施", "机构"),
    "population": ("population", "village", "人口", "村"),
}
_DATUM_TOKEN = re.compile(r"(?:^|[^a-z0-9])(wgs84|gcj02|bd09)(?:[^a-z0-9]|$)")
_FILE_FIELDS = ("facilities", "boundary", "townships", "population", "network")


# --------------------------------------------------------------------------------------
# Jobs and keys
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CountyJob:
    """One county (or one county folder) of a batch.

    Attributes
    ----------
    job_id
        Name of the county's output folder (the folder name, or the county code).
    code, name
        County code and name when known before running (province mode, or read from the
        folder's boundary), else ``""``.
    config
        The analysis configuration; ``out_dir`` is ``<out>/counties/<job_id>``. In province
        mode its input paths are the province-wide files.
    key
        Hash of the inputs and parameters (see :func:`job_key`).
    kind
        ``"folder"`` or ``"province"``.
    geometry
        The county boundary (WGS-84) for the province map, when known.
    input_hashes
        SHA-256 of each input file, by config field name.
    """

    job_id: str
    code: str
    name: str
    config: Any  # AnalysisConfig (kept loose so this module imports without the pipeline)
    key: str
    kind: str
    geometry: shapely.Geometry | None = None
    input_hashes: Mapping[str, str] = dataclasses.field(default_factory=dict)



def _params(config: Any) -> dict[str, Any]:
    """Every setting of a config except the output folder and the input paths."""
    out = {}
    for f in dataclasses.fields(config):
        if f.name in ("out_dir", *_FILE_FIELDS):
            continue
        value = getattr(config, f.name)
        if isinstance(value, Mapping):
            value = {k: dict(v) if isinstance(v, Mapping) else v for k, v in value.items()}
        out[f.name] = value
    return out


def job_key(config: Any, input_hashes: Mapping[str, str], *, kind: str,
            county: Mapping[str, str] | None = None) -> str:
    """The resume key of a county: SHA-256 of everything its results depend on.

    Parameters
    ----------
    config
        The county's :class:`tcm_coverage.workflows.pipeline.AnalysisConfig`.
    input_hashes
        SHA-256 of each input file, by field name (``facilities``, ``boundary``, ...).
    kind
        ``"folder"`` or ``"province"``.
    county
        Province mode: ``{"code": ..., "geometry": <sha256 of the WKB>}``.

    Returns
    -------
    str
        64 hex digits.
    """
    payload = {"tool": f"tcm-coverage {__version__}", "kind": kind,
               "inputs": dict(sorted(input_hashes.items())), "params": _params(config),
               "county": dict(county or {})}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_done(job: CountyJob) -> dict | None:
    """The done marker of a job when it exists and carries the job's key, else ``None``."""
    marker = Path(job.config.out_dir) / DONE_MARKER
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("key") == job.key else None


def _write_json_atomic(path: Path, data: Mapping) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1, default=str)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------
# A folder per county
# --------------------------------------------------------------------------------------
def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".osm.pbf" if name.endswith(".osm.pbf") else path.suffix.lower()


def _has_roads(folder: Path) -> bool:
    return any(_suffix(p) in _ROADS for p in folder.iterdir() if p.is_file())


_OUTPUT_MARKERS = ("run.json", "batch.json", DONE_MARKER)


def _looks_like_county(folder: Path) -> bool:
    """A folder without roads that holds county inputs (boundary, facilities or population by
    name, or a raster): a county folder whose road file is missing, not an unrelated folder."""
    if folder.name.startswith("."):
        return False
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    if any(p.name in _OUTPUT_MARKERS for p in files):
        return False  # an output folder (e.g. --out inside the counties folder)
    keys = [k for label in ("boundary", "facilities", "population") for k in _KEYWORDS[label]]
    return any(_suffix(p) in _RASTER or (_suffix(p) in _VECTOR + _TABLE
                                         and any(k in p.name.lower() for k in keys))
               for p in files)


def expand_county_dirs(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """County folders from the paths given: a folder holding a road file is a county folder;
    otherwise each of its subfolders holding one is (so ``data/counties`` lists them all).

    A (sub)folder that holds county inputs (boundary, facilities, population) but no road
    file is returned too, so that planning lists it as failed ("no roads file found") rather
    than skipping it without a word; folders of outputs (``run.json``) and hidden folders
    are not counties.

    Parameters
    ----------
    paths
        Folders.

    Returns
    -------
    list of pathlib.Path
        In the order given, subfolders sorted by name, each folder once.

    Raises
    ------
    InputError
        A path is not a folder, or neither it nor its subfolders hold county files.
    """
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            raise InputError("not a folder", path=path,
                             fix="give county folders (or a folder of county folders)")
        if _has_roads(path):
            out.append(path)
            continue
        # subfolders that are counties; one whose road file is missing is kept too, so that
        # it is listed as failed ("no roads file found") instead of silently skipped
        subs = sorted(s for s in path.iterdir()
                      if s.is_dir() and (_has_roads(s) or _looks_like_county(s)))
        if not subs and _looks_like_county(path):
            subs = [path]  # the folder itself is a county without a road file
        if not subs:
            raise InputError("no county found: neither the folder nor its subfolders hold a road "
                             "file (.osm.pbf, .osm, .graphml)", path=path,
                             fix="put each county's files (roads, boundary, facilities, population) "
                                 "in a folder of its own")
        out.extend(subs)
    seen: set[Path] = set()
    unique = []
    for p in out:
        if p.resolve() not in seen:
            seen.add(p.resolve())
            unique.append(p)
    return unique


def discover_county_files(folder: Path) -> dict[str, Path | None]:
    """Find a county folder's input files by name (see the module docstring).

    Parameters
    ----------
    folder
        The county folder.

    Returns
    -------
    dict
        ``network``, ``boundary``, ``townships`` (or None), ``facilities``, ``population``.

    Raises
    ------
    InputError
        A required file is missing or two files match the same input.
    """
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.name != DONE_MARKER)

    def pick(label: str, candidates: list[Path], required: bool) -> Path | None:
        if len(candidates) > 1:
            raise InputError(f"several {label} files: {', '.join(p.name for p in candidates)}",
                             path=folder, fix=f"keep one {label} file in each county folder")
        if not candidates:
            if required:
                raise InputError(f"no {label} file found (looked for {_describe(label)})",
                                 path=folder, fix=f"add the county's {label} file to the folder")
            return None
        return candidates[0]

    def named(label: str, suffixes: tuple[str, ...]) -> list[Path]:
        keys = _KEYWORDS[label]
        return [p for p in files if _suffix(p) in suffixes and any(k in p.name.lower() for k in keys)]

    network = pick("roads", [p for p in files if _suffix(p) in _ROADS], True)
    townships = pick("townships", named("townships", _VECTOR), False)
    boundary = pick("boundary", [p for p in named("boundary", _VECTOR) if p != townships], True)
    facilities = pick("facilities", named("facilities", _TABLE + _VECTOR), True)
    rasters = [p for p in files if _suffix(p) in _RASTER]
    pop = rasters or [p for p in named("population", _TABLE + _VECTOR)
                      if p not in (boundary, townships, facilities)]
    population = pick("population", pop, True)
    return {"network": network, "boundary": boundary, "townships": townships,
            "facilities": facilities, "population": population}


def _describe(label: str) -> str:
    if label == "roads":
        return "*.osm.pbf, *.osm, *.graphml"
    return "names containing " + " / ".join(_KEYWORDS["population" if label == "population"
                                                      else label])


def _datum_of(path: Path | None, default: str) -> str:
    if path is None:
        return default
    m = _DATUM_TOKEN.search(path.name.lower())
    return m.group(1) if m else default


def folder_jobs(folders: Sequence[Path], *, out_dir: Path, params: Mapping[str, Any],
                datums: Mapping[str, str] | None = None) -> tuple[list[CountyJob], list[dict]]:
    """Jobs for county folders.

    Parameters
    ----------
    folders
        County folders (see :func:`expand_county_dirs`).
    out_dir
        The batch output folder; county ``k`` writes to ``out_dir/counties/<folder name>``.
    params
        :class:`tcm_coverage.workflows.pipeline.AnalysisConfig` fields other than the files and
        ``out_dir`` (modes, thresholds, ...).
    datums
        Default datum per input (``facilities``, ``boundary``, ``townships``,
        ``population``); a ``gcj02``/``bd09``/``wgs84`` token in a file name wins.

    Returns
    -------
    (jobs, failures)
        ``failures`` are folders that could not even be planned (missing or ambiguous
        files, unreadable boundary): dicts with ``job_id``, ``folder`` and ``error``; the
        other counties still run.
    """
    from tcm_coverage.inputs import read_boundaries
    from tcm_coverage.workflows import AnalysisConfig

    datums = dict(datums or {})
    jobs: list[CountyJob] = []
    failures: list[dict] = []
    ids: dict[str, Path] = {}
    for folder in folders:
        job_id = folder.name
        if job_id in ids:
            job_id = f"{folder.parent.name}_{folder.name}"
        ids[job_id] = folder
        try:
            files = discover_county_files(folder)
            kw = {f"{k}_datum": _datum_of(files[k], datums.get(k, "wgs84"))
                  for k in ("facilities", "boundary", "townships", "population")}
            config = AnalysisConfig(**files, out_dir=out_dir / "counties" / job_id, **kw,
                                    **params)
            with reading("boundary", files["boundary"]):
                counties = read_boundaries(files["boundary"], datum=config.boundary_datum,
                                           level="county")
            hashes = {k: file_sha256(Path(v)) for k, v in files.items() if v is not None}
        except TCMCoverageError as exc:
            failures.append({"job_id": job_id, "folder": str(folder), "error": str(exc)})
            continue
        geom = shapely.union_all(counties.geometry.to_numpy())
        jobs.append(CountyJob(job_id=job_id, code="、".join(counties["code"].astype(str)),
                              name="、".join(counties["name"].astype(str)), config=config,
                              key=job_key(config, hashes, kind="folder"), kind="folder",
                              geometry=geom, input_hashes=hashes))
    return jobs, failures


# --------------------------------------------------------------------------------------
# Province-wide inputs
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CountyInputs:
    """What one county needs, already read and cut (province mode).

    Attributes
    ----------
    counties
        The county's row of the boundary file.
    townships
        Its townships, or None.
    facilities
        Facilities within ``buffer_m`` of the county.
    demand
        Its demand points, or None to read ``config.population`` (a raster) on the worker.
    network
        Road segments of the county plus buffer (:func:`cut_county`).
    own_facilities
        Mask over ``facilities``: those that belong to this county (routing uses them all;
        facility counts, staff and the scorecard only these, so that a province total does
        not count a facility twice).
    """

    counties: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame | None
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame | None
    network: Any  # RoadNetwork
    own_facilities: np.ndarray | None = None


@dataclass
class ProvinceInputs:
    """Province-wide inputs read once by the driver (province mode).

    The road network is read lazily (:meth:`load_network`) so that a fully resumed run never
    parses it.
    """

    config: Any
    counties: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame | None
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame | None
    demand_codes: np.ndarray | None
    township_codes: np.ndarray | None
    facility_codes: np.ndarray | None = None
    network: Any = None
    tree: shapely.STRtree | None = None
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def cut_m(self) -> float:
        """Roads are cut to the county plus this many metres."""
        return float(self.config.buffer_m) + float(self.config.max_facility_offroad_m)

    def load_network(self) -> None:
        """Read the province road file once (clipped to all counties plus the cut buffer)."""
        if self.network is not None:
            return
        from tcm_coverage.network import read_network

        t0 = time.perf_counter()
        with reading("roads", self.config.network):
            self.network = read_network(self.config.network, boundary=self.counties,
                                        buffer_m=self.cut_m)
        self.tree = shapely.STRtree(self.network.geometry_m)
        self.seconds["read roads"] = time.perf_counter() - t0
        logger.info("province roads: %d nodes, %d segments (%.1f s)", self.network.n_nodes,
                    self.network.n_segments, self.seconds["read roads"])


def read_province_inputs(config: Any, *, only: Sequence[str] | None = None) -> ProvinceInputs:
    """Read the province-wide boundary, townships, facilities and population once.

    Parameters
    ----------
    config
        An :class:`~tcm_coverage.workflows.pipeline.AnalysisConfig` whose input paths are the
        province-wide files (``boundary``: one feature per county).
    only
        County codes to keep (default: all).

    Returns
    -------
    ProvinceInputs

    Raises
    ------
    InputError
        Any problem with a province-wide file (nothing is run then), duplicate county codes,
        codes in ``only`` that the boundary file lacks.
    """
    from tcm_coverage.access import assign_areas
    from tcm_coverage.inputs import read_boundaries, read_facilities, read_population

    t0 = time.perf_counter()
    with reading("boundary", config.boundary):
        counties = read_boundaries(config.boundary, datum=config.boundary_datum, level="county")
    dup = counties["code"].duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError(f"county codes are not unique: {sorted(set(counties['code'][dup]))[:10]}",
                         path=config.boundary, row=(np.flatnonzero(dup) + 1).tolist(),
                         fix="give every county feature its own code (adcode)")
    if only:
        wanted = [str(c) for c in only]
        missing = sorted(set(wanted) - set(counties["code"]))
        if missing:
            raise InputError(f"county codes {missing} are not in the boundary file",
                             path=config.boundary,
                             fix=f"use codes from the file, e.g. {list(counties['code'][:5])}")
    all_counties = counties
    if only:
        counties = counties[counties["code"].isin(wanted)].reset_index(drop=True)
    townships = None
    township_codes = None
    if config.townships is not None:
        with reading("townships", config.townships):
            townships = read_boundaries(config.townships, datum=config.townships_datum,
                                        level="township")
        township_codes = _townships_county(townships, all_counties)
    with reading("facilities", config.facilities):
        facilities = read_facilities(config.facilities, datum=config.facilities_datum)
    # each facility belongs to one county (nearest within 500 m when just outside all, as in
    # the county tables), against every county of the file even with ``only``
    facility_codes = assign_areas(facilities, all_counties, max_distance_m=500.0)
    demand = None
    demand_codes = None
    if Path(config.population).suffix.lower() not in _RASTER:
        with reading("population", config.population):
            demand = read_population(config.population, datum=config.population_datum,
                                     population_column=config.population_column)
        demand_codes = assign_areas(demand, all_counties)
        outside = demand_codes == ""
        if outside.any():
            logger.warning("%d demand points (%.0f residents) lie outside every county and are "
                           "left out", int(outside.sum()),
                           float(demand["population"].to_numpy(float)[outside].sum()))
    seconds = {"read inputs": time.perf_counter() - t0}
    return ProvinceInputs(config=config, counties=counties, townships=townships,
                          facilities=facilities, demand=demand, demand_codes=demand_codes,
                          township_codes=township_codes, facility_codes=facility_codes,
                          seconds=seconds)


def _townships_county(townships: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> np.ndarray:
    """County code of each township: its parent code when that is a county, else the county
    containing a point on its surface."""
    parent = townships["parent_code"].astype(object).to_numpy()
    known = set(counties["code"])
    out = np.array([p if p in known else "" for p in parent], dtype=object)
    todo = out == ""
    if todo.any():
        from tcm_coverage.access import assign_areas

        pts = gpd.GeoDataFrame(geometry=townships.geometry[todo].representative_point().to_numpy(),
                               crs=4326)
        out[todo] = assign_areas(pts, counties)
    return out


def province_jobs(province: ProvinceInputs, *, out_dir: Path) -> list[CountyJob]:
    """One job per county of the province boundary file.

    Parameters
    ----------
    province
        From :func:`read_province_inputs`.
    out_dir
        The batch output folder; county ``code`` writes to ``out_dir/counties/<code>``.

    Returns
    -------
    list of CountyJob
    """
    config = province.config
    hashes = {k: file_sha256(Path(getattr(config, k))) for k in _FILE_FIELDS
              if getattr(config, k) is not None}
    jobs = []
    for row in province.counties.itertuples(index=False):
        code = str(row.code)
        geom_sha = hashlib.sha256(shapely.to_wkb(row.geometry, hex=False)).hexdigest()
        cfg = dataclasses.replace(config, out_dir=Path(out_dir) / "counties" / code)
        key = job_key(cfg, hashes, kind="province", county={"code": code, "geometry": geom_sha})
        jobs.append(CountyJob(job_id=code, code=code, name=str(row.name), config=cfg, key=key,
                              kind="province", geometry=row.geometry, input_hashes=hashes))
    return jobs


def _reproject_network(net: Any, crs_m: str) -> Any:
    from tcm_coverage.network import transform_geoms

    geoms = transform_geoms(net.geometry_m, net.crs_m, crs_m)
    return dataclasses.replace(net, geometry_m=geoms, crs_m=crs_m,
                               length_m=shapely.length(geoms).astype(np.float64))


def cut_county(province: ProvinceInputs, code: str) -> CountyInputs:
    """The inputs of one county, cut from the province-wide ones.

    Parameters
    ----------
    province
        From :func:`read_province_inputs` (the road network is read on first use).
    code
        County code.

    Returns
    -------
    CountyInputs
        Road segments intersecting the county buffered by ``buffer_m +
        max_facility_offroad_m`` (in the county's UTM zone), facilities within ``buffer_m``,
        the county's demand points and townships.

    Raises
    ------
    tcm_coverage._errors.NetworkError
        No road near the county.
    """
    from tcm_coverage._errors import NetworkError
    from tcm_coverage.network import buffer_lonlat, subset_network, transform_geoms, utm_crs

    province.load_network()
    net = province.network
    config = province.config
    counties = province.counties[province.counties["code"] == code].reset_index(drop=True)
    geom = shapely.union_all(counties.geometry.to_numpy())
    area_ll = buffer_lonlat(geom, province.cut_m)
    area_m = transform_geoms(np.array([area_ll], dtype=object), "EPSG:4326", net.crs_m)[0]
    hit = province.tree.query(area_m, predicate="intersects")
    if hit.size == 0:
        raise NetworkError(f"{config.network}: no roads within {province.cut_m:.0f} m of county "
                           f"{code}; check that the road file covers it")
    keep = np.zeros(net.n_segments, dtype=bool)
    keep[hit] = True
    sub = subset_network(net, keep)
    sub = dataclasses.replace(sub, source=f"{config.network} (county {code})")
    crs = utm_crs(float(np.mean(sub.lon)), float(np.mean(sub.lat)))
    if crs != sub.crs_m:
        sub = _reproject_network(sub, crs)
    fac_area = buffer_lonlat(geom, float(config.buffer_m))
    fac = province.facilities
    near = shapely.contains_xy(fac_area, fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy())
    facilities = fac[near].reset_index(drop=True)
    demand = None
    if province.demand is not None:
        demand = province.demand[province.demand_codes == code].reset_index(drop=True)
    townships = None
    if province.townships is not None:
        townships = province.townships[province.township_codes == code].reset_index(drop=True)
        townships = townships if len(townships) else None
    own = None
    if province.facility_codes is not None:
        own = province.facility_codes[near] == code
    return CountyInputs(counties=counties, townships=townships, facilities=facilities,
                        demand=demand, network=sub, own_facilities=own)


# --------------------------------------------------------------------------------------
# Running one county
# --------------------------------------------------------------------------------------
def compute_county(config: Any, inputs: CountyInputs, *, progress: bool = False) -> Any:
    """:func:`tcm_coverage.workflows.pipeline.compute` on inputs already cut (province mode).

    Facilities of neighbouring counties within the buffer serve residents (trips across a
    county line count) but are counted only in their own county's tables and scorecard.

    Parameters
    ----------
    config
        The county's configuration (input paths are the province files, for the record).
    inputs
        From :func:`cut_county`.
    progress
        Show progress bars.

    Returns
    -------
    tcm_coverage.workflows.pipeline.AnalysisRun
    """
    from tcm_coverage.inputs import read_population
    from tcm_coverage.workflows import compute_from_inputs

    counties = inputs.counties
    demand = inputs.demand
    if demand is None:
        with reading("population", config.population):
            demand = read_population(config.population, datum=config.population_datum,
                                     boundary=counties, population_column=config.population_column)
    if len(demand) == 0 or float(demand["population"].sum()) <= 0:
        raise InputError(f"the population inside county {counties['code'].iloc[0]} is zero",
                         path=config.population,
                         fix="check that the population file covers the county (and its datum/CRS)")
    return compute_from_inputs(config, counties=counties, townships=inputs.townships,
                               facilities=inputs.facilities, demand=demand, network=inputs.network,
                               counted=inputs.own_facilities, progress=progress)


def write_county(run: Any, config: Any, *, input_hashes: Mapping[str, str],
                 extra: Mapping[str, Any] | None = None) -> tuple[Path, ...]:
    """Write a computed county's outputs atomically (:func:`tcm_coverage.workflows.pipeline.write_outputs`;
    ``run.json`` records the province files' hashes and the county cut).

    Parameters
    ----------
    run
        From :func:`compute_county`.
    config
        Its configuration.
    input_hashes
        SHA-256 of the province-wide input files.
    extra
        More entries for ``run.json`` (e.g. ``{"batch": {...}}``).

    Returns
    -------
    tuple of pathlib.Path
        The files, in ``config.out_dir``.
    """
    from tcm_coverage.workflows import write_outputs

    inputs = {label: {"path": str(getattr(config, label)), "sha256": sha}
              for label, sha in input_hashes.items()}
    return write_outputs(run, config, inputs=inputs, extra=extra)


class _Collect(logging.Handler):
    """Collect this thread's warnings (a worker may run several tasks in threads)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


def _county_rows(table: pd.DataFrame) -> list[dict]:
    rows = []
    for rec in table.to_dict(orient="records"):
        clean = {}
        for k, v in rec.items():
            if isinstance(v, (np.integer,)):
                v = int(v)
            elif isinstance(v, (np.floating, float)):
                v = None if not np.isfinite(v) else float(v)
            elif v is pd.NA or v is None:
                v = None
            clean[str(k)] = v if isinstance(v, (int, float, str, bool, type(None))) else str(v)
        rows.append(clean)
    return rows


def run_county(job: CountyJob, inputs: CountyInputs | None = None) -> dict:
    """Run one county and write its outputs and done marker; never raises for a county error.

    Called on a Dask worker (or in-process). A folder job runs
    :func:`tcm_coverage.workflows.pipeline.run_analysis` on the folder's files; a province job runs
    :func:`compute_county` and :func:`write_county` on the cut inputs.

    Parameters
    ----------
    job
        The county.
    inputs
        Province mode: the county's cut inputs.

    Returns
    -------
    dict
        ``job_id``, ``status`` (``"done"`` or ``"failed"``), ``key``, ``seconds``, ``rows``
        (the county table's rows, internal column names), ``error`` (the message, naming
        file/row/fix for input errors), ``traceback`` (for unexpected errors), ``warnings``.
    """
    collect = _Collect()
    pkg = logging.getLogger("tcm_coverage")
    pkg.addHandler(collect)
    t0 = time.perf_counter()
    result: dict[str, Any] = {"job_id": job.job_id, "code": job.code, "name": job.name,
                              "key": job.key, "status": "failed", "rows": [], "error": None,
                              "traceback": None}
    try:
        marker = Path(job.config.out_dir) / DONE_MARKER
        marker.unlink(missing_ok=True)  # a stale marker must not survive a failed rerun
        if inputs is None:
            from tcm_coverage.workflows import run_analysis

            run = run_analysis(job.config, progress=False)
        else:
            run = compute_county(job.config, inputs, progress=False)
            write_county(run, job.config, input_hashes=job.input_hashes,
                         extra={"batch": {"county": job.code, "key": job.key,
                                          "cut": "county + buffer_m + max_facility_offroad_m"}})
        county = run.tables.county
        result.update(status="done", rows=_county_rows(county),
                      code=job.code or "、".join(dict.fromkeys(county["code"].astype(str))),
                      name=job.name or "、".join(dict.fromkeys(county["name"].astype(str))))
        result["seconds"] = round(time.perf_counter() - t0, 3)
        _write_json_atomic(marker, {**{k: result[k] for k in ("job_id", "code", "name", "key",
                                                               "rows", "seconds")},
                                    "tool": f"tcm-coverage {__version__}",
                                    "finished": datetime.now().isoformat(timespec="seconds")})
    except TCMCoverageError as exc:
        result["error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - one county's bug must not stop the province
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()
    finally:
        pkg.removeHandler(collect)
    result.setdefault("seconds", round(time.perf_counter() - t0, 3))
    result["warnings"] = collect.messages
    return result
