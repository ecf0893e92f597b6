"""County jobs of a batch run: the job record, its resume key, and the jobs of a folder per
county (finding each folder's input files by name).

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

The jobs of one province-wide set of files are made in :mod:`tcm_coverage.batch.cut`, which
also cuts each county's inputs from them; :mod:`tcm_coverage.batch.county` runs one job.

Resume
------
A county's outputs go to ``<out>/counties/<job_id>/``, written atomically, and then
``batch_done.json`` is written there with the job's *key*: a SHA-256 of the tool version,
the SHA-256 of every input file, every parameter and (province mode) the county's code and
geometry. A later run skips a county whose marker carries the same key; change an input or
a parameter and the county is recomputed.

The documents a county hands in (the print plates ``map.png``/``map.pdf`` and ``report.docx``,
:data:`DOCUMENT_SETTINGS`) are not part of the key: they are drawn from what the county
computed, so a rerun that asks for them (``batch --print``) finds the county done and draws
the documents it lacks from its store (:func:`missing_documents`; no routing).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import shapely

from tcm_coverage._errors import InputError, TCMCoverageError
from tcm_coverage._io import file_sha256
from tcm_coverage._validate import reading
from tcm_coverage._version import __version__
from tcm_coverage.inputs import read_boundaries
from tcm_coverage.workflows import AnalysisConfig

__all__ = [
    "DONE_MARKER",
    "INPUT_FILE_FIELDS",
    "RASTER_SUFFIXES",
    "DOCUMENT_SETTINGS",
    "CountyFiles",
    "CountyJob",
    "discover_county_files",
    "expand_county_dirs",
    "folder_jobs",
    "job_key",
    "missing_documents",
    "read_done",
]

#: Name of the file that marks a county as done (written after its outputs).
DONE_MARKER = "batch_done.json"
#: The :class:`~tcm_coverage.workflows.AnalysisConfig` fields that are input files.
INPUT_FILE_FIELDS = ("facilities", "boundary", "townships", "population", "network")
#: The settings that choose the documents a county hands in (print plates, Word report): drawn
#: from the county's results, left out of its key (a rerun that asks for them draws them).
DOCUMENT_SETTINGS = ("print_formats", "write_docx")
#: Suffixes of a population raster (read per county on the worker).
RASTER_SUFFIXES = (".tif", ".tiff")

_VECTOR = (".geojson", ".json", ".gpkg", ".shp")
_TABLE = (".csv", ".xlsx", ".xls", ".xlsm")
_ROADS = (".osm.pbf", ".pbf", ".osm", ".graphml")
_KEYWORDS = {
    "boundary": ("boundary", "county", "县界", "边界"),
    "townships": ("township", "乡镇", "街道"),
    "facilities": ("facilit", "设施", "机构"),
    "population": ("population", "village", "人口", "村"),
}
_DATUM_TOKEN = re.compile(r"(?:^|[^a-z0-9])(wgs84|gcj02|bd09)(?:[^a-z0-9]|$)")


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
    draw_only
        Done in an earlier run with the same key, but lacking documents the configuration asks
        for: draw them from the county's store (:func:`missing_documents`), compute nothing.
    """

    job_id: str
    code: str
    name: str
    config: AnalysisConfig
    key: str
    kind: str
    geometry: shapely.Geometry | None = None
    input_hashes: Mapping[str, str] = dataclasses.field(default_factory=dict)
    draw_only: bool = False


def _params(config: AnalysisConfig) -> dict[str, Any]:
    """Every setting of a config except the output folder, the input paths and the documents
    drawn from the results (:data:`DOCUMENT_SETTINGS`)."""
    out = {}
    for name, value in config.settings().items():
        if name in ("out_dir", *INPUT_FILE_FIELDS, *DOCUMENT_SETTINGS):
            continue
        if isinstance(value, Mapping):
            value = {k: dict(v) if isinstance(v, Mapping) else v for k, v in value.items()}
        out[name] = value
    return out


def job_key(config: AnalysisConfig, input_hashes: Mapping[str, str], *, kind: str,
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


def missing_documents(job: CountyJob) -> tuple[str, ...]:
    """The documents the job's configuration asks for that its county folder lacks:
    ``map.<format>`` of each print format, and ``report.docx`` (``report_<code>.docx`` of a
    folder of several counties: any ``report*.docx``) when the Word report is asked for."""
    folder = Path(job.config.out_dir)
    rendering = job.config.rendering
    missing = [f"map.{fmt}" for fmt in rendering.print_formats if not (folder / f"map.{fmt}").is_file()]
    if rendering.write_docx and not any(folder.glob("report*.docx")):
        missing.append("report.docx")
    return tuple(missing)


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
    return any(_suffix(p) in RASTER_SUFFIXES or (_suffix(p) in _VECTOR + _TABLE
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


class CountyFiles(TypedDict):
    """The input files of a county folder (:func:`discover_county_files`)."""

    network: Path
    boundary: Path
    townships: Path | None
    facilities: Path
    population: Path


def _pick(folder: Path, label: str, candidates: list[Path]) -> Path | None:
    """The one file of ``candidates`` (``None`` when there is none)."""
    if len(candidates) > 1:
        raise InputError(f"several {label} files: {', '.join(p.name for p in candidates)}",
                         path=folder, fix=f"keep one {label} file in each county folder")
    return candidates[0] if candidates else None


def _pick_required(folder: Path, label: str, candidates: list[Path]) -> Path:
    """The one file of ``candidates``; an input error when there is none."""
    found = _pick(folder, label, candidates)
    if found is None:
        raise InputError(f"no {label} file found (looked for {_describe(label)})",
                         path=folder, fix=f"add the county's {label} file to the folder")
    return found


def discover_county_files(folder: Path) -> CountyFiles:
    """Find a county folder's input files by name (see the module docstring).

    Parameters
    ----------
    folder
        The county folder.

    Returns
    -------
    CountyFiles
        ``network``, ``boundary``, ``townships`` (or None), ``facilities``, ``population``.

    Raises
    ------
    InputError
        A required file is missing or two files match the same input.
    """
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.name != DONE_MARKER)

    def named(label: str, suffixes: tuple[str, ...]) -> list[Path]:
        keys = _KEYWORDS[label]
        return [p for p in files if _suffix(p) in suffixes and any(k in p.name.lower() for k in keys)]

    network = _pick_required(folder, "roads", [p for p in files if _suffix(p) in _ROADS])
    townships = _pick(folder, "townships", named("townships", _VECTOR))
    boundary = _pick_required(folder, "boundary",
                              [p for p in named("boundary", _VECTOR) if p != townships])
    facilities = _pick_required(folder, "facilities", named("facilities", _TABLE + _VECTOR))
    rasters = [p for p in files if _suffix(p) in RASTER_SUFFIXES]
    pop = rasters or [p for p in named("population", _TABLE + _VECTOR)
                      if p not in (boundary, townships, facilities)]
    population = _pick_required(folder, "population", pop)
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


def _folder_config(settings: AnalysisConfig, files: CountyFiles, out_dir: Path) -> AnalysisConfig:
    """The configuration of one county folder: ``settings`` with the folder's files, its output
    folder, and the datum a file's name states (else the datum of ``settings``)."""
    return settings.updated(
        out_dir=out_dir, network=files["network"], boundary=files["boundary"],
        townships=files["townships"], facilities=files["facilities"],
        population=files["population"],
        facilities_datum=_datum_of(files["facilities"], settings.inputs.facilities_datum),
        boundary_datum=_datum_of(files["boundary"], settings.inputs.boundary_datum),
        townships_datum=_datum_of(files["townships"], settings.inputs.townships_datum),
        population_datum=_datum_of(files["population"], settings.inputs.population_datum))


def folder_jobs(folders: Sequence[Path], *, out_dir: Path,
                settings: AnalysisConfig) -> tuple[list[CountyJob], list[dict]]:
    """Jobs for county folders.

    Parameters
    ----------
    folders
        County folders (see :func:`expand_county_dirs`).
    out_dir
        The batch output folder; county ``k`` writes to ``out_dir/counties/<folder name>``.
    settings
        The options every county runs with (modes, thresholds, ...): each county's
        configuration is ``settings`` with the folder's files and output folder. Its
        ``*_datum`` fields are the default datum per input; a ``gcj02``/``bd09``/``wgs84``
        token in a file name wins.

    Returns
    -------
    (jobs, failures)
        ``failures`` are folders that could not even be planned (missing or ambiguous
        files, unreadable boundary): dicts with ``job_id``, ``folder`` and ``error``; the
        other counties still run.
    """
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
            config = _folder_config(settings, files, out_dir / "counties" / job_id)
            with reading("boundary", files["boundary"]):
                counties = read_boundaries(files["boundary"], datum=config.inputs.boundary_datum,
                                           level="county")
            hashes = {k: file_sha256(v) for k, v in files.items() if isinstance(v, Path)}
        except TCMCoverageError as exc:
            failures.append({"job_id": job_id, "folder": str(folder), "error": str(exc)})
            continue
        geom = shapely.union_all(counties.geometry.to_numpy())
        jobs.append(CountyJob(job_id=job_id, code="、".join(counties["code"].astype(str)),
                              name="、".join(counties["name"].astype(str)), config=config,
                              key=job_key(config, hashes, kind="folder"), kind="folder",
                              geometry=geom, input_hashes=hashes))
    return jobs, failures
