"""The Dask driver of a batch run: county tasks on a cluster, then the province files.

Tasks are per county (:func:`tcm_coverage.batch.county.run_county`). By default they run on a
``distributed.LocalCluster`` with one single-threaded worker process per core; with
``scheduler=`` on an existing cluster (its workers need ``tcm_coverage`` installed and must
see the input and output folders at the same paths).

Memory stays bounded: at most ``2 x workers`` counties are in flight; in province mode each
county's inputs are cut from the province-wide ones just before it is submitted (and
scattered to the cluster), and a worker builds the county's graphs, uses them and drops
them when the task ends.

A county that fails is reported (terminal and summary) and does not stop the others; a
county whose outputs carry a done marker with the same key is skipped, so an interrupted
run resumes where it stopped. The ``tcm-coverage batch`` command is
:mod:`tcm_coverage.batch.command`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from distributed import Client, Future, LocalCluster, as_completed
from tqdm.auto import tqdm

from tcm_coverage._errors import InputError, TCMCoverageError
from tcm_coverage._io import atomic_output_dir, check_output_dir
from tcm_coverage._version import __version__
from tcm_coverage.batch.county import run_county
from tcm_coverage.batch.cut import ProvinceInputs, cut_county
from tcm_coverage.batch.jobs import INPUT_FILE_FIELDS, CountyJob, read_done
from tcm_coverage.batch.summary import (
    MapSettings,
    province_map,
    province_table,
    province_townships,
    write_province_table,
    write_province_townships,
)
from tcm_coverage.i18n import MODE_LABELS, text
from tcm_coverage.outputs import save_map
from tcm_coverage.workflows import AnalysisConfig

logger = logging.getLogger(__name__)

__all__ = ["BatchOptions", "BatchResult", "run_batch"]


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs: where (an existing Dask scheduler or a local cluster) and whether
    counties already done are recomputed.

    Attributes
    ----------
    scheduler
        Address of an existing Dask scheduler; default: a local cluster.
    workers
        Local cluster size (default: all cores).
    memory_limit
        Per-worker memory limit of the local cluster (``"auto"``: RAM / workers).
    force
        Recompute counties even when they are done.
    """

    scheduler: str | None = None
    workers: int | None = None
    memory_limit: str | float | None = "auto"
    force: bool = False


@dataclass(frozen=True)
class BatchResult:
    """What :func:`run_batch` did.

    Attributes
    ----------
    records
        One dict per county job (and per folder that could not be planned): ``job_id``,
        ``code``, ``name``, ``status`` (``done``, ``skipped``, ``failed``), ``rows``,
        ``error``, ``seconds``.
    table
        The province summary (:func:`tcm_coverage.batch.summary.province_table`).
    files
        Province-level files written (summary CSV/XLSX, map, ``batch.json``).
    seconds
        Wall time.
    """

    records: list[dict]
    table: pd.DataFrame
    files: tuple[Path, ...]
    seconds: float

    def count(self, status: str) -> int:
        """Number of jobs with this status."""
        return sum(r["status"] == status for r in self.records)

    @property
    def failed(self) -> list[dict]:
        """The failed jobs."""
        return [r for r in self.records if r["status"] == "failed"]


def _failed_record(job: CountyJob, error: str) -> dict:
    return {"job_id": job.job_id, "code": job.code, "name": job.name, "key": job.key,
            "status": "failed", "rows": [], "error": error, "traceback": None, "seconds": None,
            "warnings": []}


def _open_client(options: BatchOptions) -> tuple[Client, LocalCluster | None]:
    if options.scheduler:
        try:
            return Client(options.scheduler, timeout="10s"), None
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot connect to the Dask scheduler at {options.scheduler} ({exc})",
                             fix="check the address (e.g. tcp://10.0.0.5:8786) or leave out "
                                 "--scheduler to use a local cluster") from exc
    n = int(options.workers or os.cpu_count() or 1)
    memory_limit = options.memory_limit
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           memory_limit=memory_limit if memory_limit is not None else "auto",
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_batch(
    jobs: Sequence[CountyJob],
    *,
    out_dir: str | os.PathLike[str],
    settings: AnalysisConfig,
    province: ProvinceInputs | None = None,
    planning_failures: Iterable[dict] = (),
    options: BatchOptions = BatchOptions(),
    progress: bool = True,
    echo: Callable[[str], None] | None = None,
) -> BatchResult:
    """Run every county job on a Dask cluster, then write the province summary and map.

    Parameters
    ----------
    jobs
        From :func:`~tcm_coverage.batch.jobs.folder_jobs` or
        :func:`~tcm_coverage.batch.cut.province_jobs`.
    out_dir
        The batch output folder (counties go to ``out_dir/counties/<job_id>``).
    settings
        An :class:`~tcm_coverage.workflows.AnalysisConfig` giving modes, thresholds, language
        and basemap of the summary.
    province
        Province mode: the province-wide inputs (each county is cut from them just before it
        is submitted).
    planning_failures
        Folders that could not be planned (reported as failed).
    options
        Where the counties run and whether done ones are recomputed.
    progress
        Show a progress bar.
    echo
        Where to report failures and skips as they happen (default: the progress bar's
        ``tqdm.write`` to stderr).

    Returns
    -------
    BatchResult
    """
    start = time.perf_counter()
    out = Path(out_dir)
    check_output_dir(out, inputs=_job_inputs(jobs), keep=("counties",))  # before any county

    def say(message: str) -> None:
        (echo or (lambda s: tqdm.write(s, file=sys.stderr)))(message)

    timings: dict[str, float] = {}  # the driver's phases, for batch.json
    records, todo = _done_earlier(jobs, force=options.force)
    skipped = len(jobs) - len(todo)
    if skipped:
        say(f"{skipped} of {len(jobs)} counties already done with the same inputs and "
            "parameters: skipped")
    if todo:
        _run_on_cluster(todo, province, options=options, records=records, say=say,
                        progress=progress, timings=timings)
    all_records = [records[j.job_id] for j in jobs if j.job_id in records]
    all_records += [{"job_id": f["job_id"], "code": "", "name": "", "status": "failed",
                     "rows": [], "error": f["error"], "seconds": None} for f in planning_failures]
    table = province_table(all_records, thresholds=settings.options.thresholds, modes=settings.options.modes)
    if "first county submitted" in timings:  # seconds after run_batch started
        timings["first county submitted"] -= start
    timings = {**(province.seconds if province is not None else {}), **timings}
    logger.info("batch phases: %s", ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    files = _write_province(out, table, settings, all_records, jobs,
                            mode="province" if province is not None else "folders", start=start,
                            timings=timings)
    return BatchResult(records=all_records, table=table, files=files,
                       seconds=time.perf_counter() - start)


def _done_earlier(jobs: Sequence[CountyJob], *,
                  force: bool) -> tuple[dict[str, dict], list[CountyJob]]:
    """The records of the jobs done in an earlier run (as skipped) and the jobs still to run."""
    records: dict[str, dict] = {}
    todo: list[CountyJob] = []
    for job in jobs:
        done = None if force else read_done(job)
        if done is not None:
            records[job.job_id] = {**done, "status": "skipped", "error": None}
            logger.info("skip %s (done in an earlier run, key %s)", job.job_id, job.key[:12])
        else:
            todo.append(job)
    return records, todo


def _run_on_cluster(todo: list[CountyJob], province: ProvinceInputs | None, *,
                    options: BatchOptions, records: dict[str, dict],
                    say: Callable[[str], None], progress: bool, timings: dict[str, float]) -> None:
    """Open the cluster, run the counties to do on it (into ``records``) and close it;
    the phases' seconds go to ``timings``."""
    if province is not None:
        province.load_network()  # a bad province road file stops here, before any county
    t0 = time.perf_counter()
    client, cluster = _open_client(options)
    timings["open cluster"] = time.perf_counter() - t0
    try:
        nthreads = sum(client.nthreads().values()) or 1
        t0 = time.perf_counter()
        _drive(client, todo, province, window=2 * nthreads, records=records, say=say,
               progress=progress, timings=timings)
        timings["counties"] = time.perf_counter() - t0
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _write_province(out: Path, table: pd.DataFrame, settings: AnalysisConfig,
                    records: list[dict], jobs: Sequence[CountyJob], *, mode: str,
                    start: float, timings: dict[str, float]) -> tuple[Path, ...]:
    """Write the province summary, map, township layer and ``batch.json`` as one result
    (``counties/``, each county a result of its own, is kept)."""
    t_write = time.perf_counter()
    readme = _readme(settings, records, jobs)
    with atomic_output_dir(out, kind="batch", keep=("counties",), inputs=_job_inputs(jobs)) as tmp:
        names = write_province_table(table, tmp, lang=settings.rendering.lang, readme_rows=readme)
        if settings.rendering.write_map:
            geoms = {j.code: j.geometry for j in jobs if j.geometry is not None}
            fmap = province_map(table, geoms, modes=settings.options.modes,
                                headline_mode=settings.options.headline_mode,
                                threshold=settings.options.headline_threshold,
                                look=MapSettings(lang=settings.rendering.lang, basemap=settings.rendering.basemap,
                                                 tianditu_key=settings.rendering.tianditu_key,
                                                 sources=settings.rendering.sources))
            names.append(save_map(fmap, tmp / "province_map.html",
                                  self_contained=settings.rendering.self_contained))
        status = {r["job_id"]: r["status"] for r in records}
        layer = province_townships([Path(j.config.out_dir) for j in jobs
                                    if status.get(j.job_id) in ("done", "skipped")])
        if layer is not None:
            names += write_province_townships(layer, tmp)
        timings["write province"] = time.perf_counter() - t_write
        manifest = {
            "tool": f"tcm-coverage {__version__}", "date": date.today().isoformat(),
            "mode": mode,
            "seconds": round(time.perf_counter() - start, 2),
            "timings": {k: round(v, 3) for k, v in timings.items()},
            "counties": [{k: r.get(k) for k in ("job_id", "code", "name", "status", "key",
                                                 "seconds", "stages", "error", "traceback")}
                         for r in records],
        }
        path = tmp / "batch.json"
        path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str),
                        encoding="utf-8")
        names.append(path)
        return tuple(out / p.name for p in names)


def _job_inputs(jobs: Sequence[CountyJob]) -> dict[str, Any]:
    """Every input file of the jobs, labelled for messages (none may be in the output)."""
    return {f"{job.job_id} {label}": getattr(job.config.inputs, label, None)
            for job in jobs for label in INPUT_FILE_FIELDS}


def _drive(client: Client, todo: list[CountyJob], province: ProvinceInputs | None, *, window: int,
           records: dict[str, dict], say: Callable[[str], None], progress: bool,
           timings: dict[str, float]) -> None:
    """Submit at most ``window`` counties at a time; collect results as they finish
    (``timings``: the driver's seconds cutting counties, and when the first was submitted)."""
    timings["cut counties"] = 0.0
    queue = iter(todo)
    futures: dict[Future, tuple[CountyJob, Future | None]] = {}
    ac = as_completed()
    bar = tqdm(total=len(todo), desc="counties", unit="county", disable=not progress,
               file=sys.stderr)

    def finish(job: CountyJob, rec: dict) -> None:
        records[job.job_id] = rec
        for msg in rec.get("warnings") or []:
            logger.info("%s: %s", job.job_id, msg)
        if rec["status"] == "failed":
            label = f"{job.job_id}" + (f" {job.name}" if job.name and job.name != job.job_id else "")
            say(f"county {label} failed: {rec['error']}")
        bar.update()

    def submit_next() -> bool:
        for job in queue:
            inputs = None
            if province is not None:
                t_cut = time.perf_counter()
                try:
                    inputs = client.scatter(cut_county(province, job.code), hash=False)
                except TCMCoverageError as exc:
                    finish(job, _failed_record(job, str(exc)))
                    continue
                finally:
                    timings["cut counties"] += time.perf_counter() - t_cut
            fut = client.submit(run_county, job, inputs, key=f"county-{job.job_id}-{job.key[:16]}",
                                pure=False)
            timings.setdefault("first county submitted", time.perf_counter())  # made relative by run_batch
            futures[fut] = (job, inputs)
            ac.add(fut)
            return True
        return False

    try:
        for _ in range(window):
            if not submit_next():
                break
        for fut in ac:
            job, inputs = futures.pop(fut)
            try:
                rec = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker (out of memory)
                rec = _failed_record(job, f"{type(exc).__name__}: {exc}")
            fut.release()
            if inputs is not None:
                inputs.release()
            finish(job, rec)
            submit_next()
    finally:
        bar.close()


def _readme(settings: AnalysisConfig, records: list[dict],
            jobs: Sequence[CountyJob]) -> list[tuple[str, str]]:
    """The 说明 rows of the province workbook."""
    lang = settings.rendering.lang
    n = {s: sum(r["status"] == s for r in records) for s in ("done", "skipped", "failed")}
    sep = text("batch.list_sep", lang)
    rows = [
        (text("batch.readme_date", lang), date.today().isoformat()),
        (text("batch.readme_software", lang), f"tcm-coverage {__version__}"),
        (text("batch.readme_counties", lang), str(len(records))),
        (text("batch.readme_done", lang), str(n["done"])),
        (text("batch.readme_skipped", lang), str(n["skipped"])),
        (text("batch.readme_failed", lang), str(n["failed"])),
        (text("batch.readme_modes", lang), sep.join(MODE_LABELS[m][lang] for m in settings.options.modes)),
        (text("batch.readme_thresholds", lang), ", ".join(f"{t:g}" for t in settings.options.thresholds)),
        (text("batch.readme_buffer", lang), f"{settings.options.buffer_m:g}"),
        (text("batch.readme_total", lang), text("batch.readme_total_rule", lang)),
    ]
    if jobs and jobs[0].kind == "province":
        cfg = jobs[0].config
        rows += [(text("batch.readme_facilities", lang), Path(cfg.inputs.facilities).name),
                 (text("batch.readme_boundary", lang), Path(cfg.inputs.boundary).name),
                 (text("batch.readme_population", lang), Path(cfg.inputs.population).name),
                 (text("batch.readme_roads", lang), Path(cfg.inputs.network).name)]
    rows += [(text("batch.readme_source", lang), s) for s in settings.rendering.sources]
    return rows
