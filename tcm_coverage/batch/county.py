"""Running one county of a batch (on a Dask worker or in-process): compute it, write its
outputs and its done marker, and report what happened without raising for a county error; or,
for a county done in an earlier run that lacks documents now asked for (``batch --print``),
draw them from its store (:func:`draw_county`: no input read, nothing routed).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError, TCMCoverageError
from tcm_coverage._io import add_files
from tcm_coverage._validate import reading
from tcm_coverage._version import __version__
from tcm_coverage.batch.cut import CountyInputs
from tcm_coverage.batch.jobs import DONE_MARKER, CountyJob, read_done
from tcm_coverage.inputs import read_population
from tcm_coverage.workflows import (
    AnalysisConfig,
    AnalysisRun,
    RunInputs,
    compute_from_inputs,
    input_files,
    load_config,
    load_run,
    run_analysis,
    write_outputs,
    write_print_documents,
)

__all__ = ["compute_county", "draw_county", "run_county", "write_county"]


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


def compute_county(config: AnalysisConfig, inputs: CountyInputs, *,
                   progress: bool = False) -> AnalysisRun:
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
    counties = inputs.counties
    demand = inputs.demand
    if demand is None:
        with reading("population", config.inputs.population):
            demand = read_population(config.inputs.population, datum=config.inputs.population_datum,
                                     boundary=counties, population_column=config.inputs.population_column)
    if len(demand) == 0 or float(demand["population"].sum()) <= 0:
        raise InputError(f"the population inside county {counties['code'].iloc[0]} is zero",
                         path=config.inputs.population,
                         fix="check that the population file covers the county (and its datum/CRS)")
    return compute_from_inputs(config, RunInputs(counties=counties, townships=inputs.townships,
                                                 facilities=inputs.facilities, demand=demand,
                                                 network=inputs.network),
                               counted=inputs.own_facilities, progress=progress)


def write_county(run: AnalysisRun, config: AnalysisConfig, *, input_hashes: Mapping[str, str],
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
    inputs = {label: {"path": str(getattr(config.inputs, label)), "sha256": sha}
              for label, sha in input_hashes.items()}
    return write_outputs(run, config, inputs=inputs, extra=extra)


def draw_county(job: CountyJob) -> dict:
    """Draw the documents a done county lacks (its print plates and Word report, as
    ``job.config`` asks) from its store into its folder, and record them in its done marker.

    The county's own ``run.json`` gives its configuration (the same key: only the documents
    differ); its folder is updated as a whole (:func:`tcm_coverage._io.add_files`).

    Parameters
    ----------
    job
        A job whose done marker carries its key (:func:`tcm_coverage.batch.jobs.read_done`).

    Returns
    -------
    dict
        The done marker's record with ``status`` ``"skipped"`` (computed in an earlier run),
        ``drew`` (the file names drawn) and ``stages`` (``{"print outputs": seconds}``).

    Raises
    ------
    InputError
        The county has no store (it was written by an older version): rerun it with --force.
    """
    t0 = time.perf_counter()
    folder = Path(job.config.out_dir)
    marker = folder / DONE_MARKER
    done = read_done(job)
    if done is None:
        raise InputError("the county's done marker is missing or was written for other settings, "
                         "so its documents cannot be drawn from its results", path=marker,
                         fix="run the batch again (without --force it recomputes only this county)")
    rendering = job.config.rendering
    config = load_config(folder, print_formats=rendering.print_formats,
                         write_docx=rendering.write_docx)
    run = load_run(folder, config, scorecards=rendering.write_docx)
    if run is None:
        raise InputError("the county's results have no store to draw its print plates and Word "
                         "report from", path=folder, fix="run the batch again with --force")
    with add_files(folder, kind="print", inputs=input_files(config)) as tmp:
        drew = [p.name for p in write_print_documents(run, config, tmp)]
    seconds = round(time.perf_counter() - t0, 3)
    _write_json_atomic(marker, {**done, "documents": sorted({*done.get("documents", ()), *drew})})
    return {**done, "status": "skipped", "error": None, "traceback": None, "drew": drew,
            "stages": {"print outputs": seconds}, "seconds": seconds}


def _results_kept(job: CountyJob, failed: dict) -> dict:
    """A done county whose documents could not be drawn keeps its results (its done record:
    its rows stay in the province summary); ``documents_error`` says what failed. Without a
    valid done marker any more it stays failed."""
    done = read_done(job)
    if done is None:
        return failed
    return {**done, "status": "skipped", "error": None, "traceback": failed["traceback"],
            "documents_error": failed["error"], "drew": []}


def _documents(folder: Path) -> list[str]:
    """The print plates and Word reports in a county's folder (for its done marker)."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(("map.", "report")) and p.suffix in (".png", ".pdf", ".svg", ".docx"))


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


def _compute_and_write(job: CountyJob, inputs: CountyInputs | None, result: dict[str, Any],
                       t0: float) -> None:
    """Compute the county and write its outputs and done marker (into ``result``)."""
    marker = Path(job.config.out_dir) / DONE_MARKER
    marker.unlink(missing_ok=True)  # a stale marker must not survive a failed rerun
    if inputs is None:
        run = run_analysis(job.config, progress=False)
        stages = dict(run.seconds)
    else:
        run = compute_county(job.config, inputs, progress=False)
        t_write = time.perf_counter()
        write_county(run, job.config, input_hashes=job.input_hashes,
                     extra={"batch": {"county": job.code, "key": job.key,
                                      "cut": "county + buffer_m + max_facility_offroad_m"}})
        stages = {**run.seconds, "write outputs": time.perf_counter() - t_write}
    result["stages"] = {str(k): round(float(v), 3) for k, v in stages.items()}
    county = run.tables.county
    result.update(status="done", rows=_county_rows(county),
                  code=job.code or "、".join(dict.fromkeys(county["code"].astype(str))),
                  name=job.name or "、".join(dict.fromkeys(county["name"].astype(str))))
    result["seconds"] = round(time.perf_counter() - t0, 3)
    _write_json_atomic(marker, {**{k: result[k] for k in ("job_id", "code", "name", "key",
                                                           "rows", "seconds")},
                                "documents": _documents(Path(job.config.out_dir)),
                                "tool": f"tcm-coverage {__version__}",
                                "finished": datetime.now().isoformat(timespec="seconds")})


def run_county(job: CountyJob, inputs: CountyInputs | None = None) -> dict:
    """Run one county and write its outputs and done marker; never raises for a county error.

    Called on a Dask worker (or in-process). A folder job runs
    :func:`tcm_coverage.workflows.pipeline.run_analysis` on the folder's files; a province job runs
    :func:`compute_county` and :func:`write_county` on the cut inputs; a ``draw_only`` job
    draws its missing documents from its store (:func:`draw_county`).

    Parameters
    ----------
    job
        The county.
    inputs
        Province mode: the county's cut inputs.

    Returns
    -------
    dict
        ``job_id``, ``status`` (``"done"`` or ``"failed"``), ``key``, ``seconds``, ``stages``
        (seconds per stage, e.g. ``"travel times and isochrones"``, ``"write outputs"``), ``rows``
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
        if job.draw_only:
            result.update(draw_county(job))
        else:
            _compute_and_write(job, inputs, result, t0)
    except TCMCoverageError as exc:
        result["error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - one county's bug must not stop the province
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()
    finally:
        pkg.removeHandler(collect)
    if job.draw_only and result["status"] == "failed":
        result = _results_kept(job, result)
    result.setdefault("seconds", round(time.perf_counter() - t0, 3))
    result["warnings"] = collect.messages
    return result
