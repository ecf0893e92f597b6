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
run resumes where it stopped; one that lacks documents now asked for (``batch --print``: the
print plates and Word report, not part of the key) has them drawn from its store on the
cluster, with nothing computed and the province roads not read. The ``tcm-coverage batch`` command is
:mod:`tcm_coverage.batch.command`.

A lost worker
-------------
A worker process that dies (killed, out of memory, its machine gone) takes the county it was
running with it, and in province mode the cut inputs scattered to it. The scheduler logs a
``remove-worker`` event naming both (:mod:`tcm_coverage.batch.flight` subscribes; the event
reaches the client before the county's result, on the same stream). It runs again, at most
``distributed.scheduler.allowed-failures`` more times (the scheduler's setting, default 3):
the scheduler reruns a task whose worker died; the driver resubmits, with its inputs cut
again, a county whose scattered inputs were lost (the scheduler can only cancel that one).
The terminal, ``batch.json`` (``attempts``, ``lost_workers``) and the 说明 sheet say it was run
again; one out of attempts is failed with the reason "worker lost" and the fix (run the same
command again: only the missing counties run). A county's outputs are swapped in whole (the
atomic output folder), so a killed worker leaves no half-written county.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from distributed import Client, LocalCluster, as_completed
from tqdm.auto import tqdm

from tcm_coverage._errors import InputError
from tcm_coverage._io import atomic_output_dir, check_output_dir
from tcm_coverage._version import __version__
from tcm_coverage.batch.cut import ProvinceInputs
from tcm_coverage.batch.flight import (
    Flight,
    WorkerLosses,
    allowed_failures,
    county_label,
)
from tcm_coverage.batch.jobs import INPUT_FILE_FIELDS, CountyJob, missing_documents, read_done
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
        ``error``, ``seconds``; a county run in this batch also ``attempts`` (its runs),
        ``lost_workers`` (addresses of the workers lost while they held it) and
        ``retry_limit`` (the scheduler's ``allowed-failures``).
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

    @property
    def documents_failed(self) -> list[dict]:
        """Done counties whose print plates or Word report could not be drawn (their results
        are kept)."""
        return [r for r in self.records if r.get("documents_error")]


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
    drawing = sum(j.draw_only for j in todo)
    skipped = len(jobs) - len(todo) + drawing
    lang = settings.rendering.lang
    if skipped:
        say(f"{skipped} of {len(jobs)} counties already done with the same inputs and "
            "parameters: skipped")
    if drawing:
        say(text("batch.drawing_documents", lang, n=drawing))
    if todo:
        _run_on_cluster(todo, province, options=options, records=records, say=say,
                        progress=progress, lang=settings.rendering.lang, timings=timings)
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
    """The records of the jobs done in an earlier run (as skipped) and the jobs still to run:
    those not done, and (``draw_only``) those done that lack documents now asked for."""
    records: dict[str, dict] = {}
    todo: list[CountyJob] = []
    for job in jobs:
        done = None if force else read_done(job)
        if done is not None and missing_documents(job):
            logger.info("%s: done in an earlier run; drawing %s from its store", job.job_id,
                        ", ".join(missing_documents(job)))
            todo.append(dataclasses.replace(job, draw_only=True))
        elif done is not None:
            records[job.job_id] = {**done, "status": "skipped", "error": None}
            logger.info("skip %s (done in an earlier run, key %s)", job.job_id, job.key[:12])
        else:
            todo.append(job)
    return records, todo


def _run_on_cluster(todo: list[CountyJob], province: ProvinceInputs | None, *,
                    options: BatchOptions, records: dict[str, dict],
                    say: Callable[[str], None], progress: bool, lang: str,
                    timings: dict[str, float]) -> None:
    """Open the cluster, run the counties to do on it (into ``records``) and close it;
    the phases' seconds go to ``timings``."""
    if province is not None and not all(j.draw_only for j in todo):
        province.load_network()  # a bad province road file stops here, before any county
    t0 = time.perf_counter()
    client, cluster = _open_client(options)
    timings["open cluster"] = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        _drive(client, todo, province, records=records, say=say,
               progress=progress, lang=lang, timings=timings)
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
            "outputs": _outputs_record(settings),
            "counties": [{k: r.get(k) for k in ("job_id", "code", "name", "status", "key",
                                                 "seconds", "stages", "error", "traceback",
                                                 "attempts", "lost_workers", "drew")}
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


def _drive(client: Client, todo: list[CountyJob], province: ProvinceInputs | None, *,
           records: dict[str, dict], say: Callable[[str], None], progress: bool,
           lang: str = "zh", timings: dict[str, float] | None = None) -> None:
    """Submit at most two counties per worker thread at a time; collect results as they finish; run a
    county again when its worker was lost (see the module docstring). ``timings`` gets the
    driver's seconds cutting counties, and when the first was submitted."""
    queue = iter(todo)
    losses = WorkerLosses()
    client.subscribe_topic("all", losses.on_event)  # before any county is submitted
    limit = allowed_failures(client)
    flight = Flight(client, province, losses, as_completed(), {}, lang=lang,
                    timings=timings if timings is not None else {})
    bar = tqdm(total=len(todo), desc="counties", unit="county", disable=not progress,
               file=sys.stderr)

    def finish(job: CountyJob, rec: dict) -> None:
        lost = losses.lost(job.job_id)  # every attempt but the last lost its worker
        rec.update(attempts=len(lost) + (0 if rec.get("worker_lost") else 1), lost_workers=lost,
                   retry_limit=limit)
        records[job.job_id] = rec
        for msg in rec.get("warnings") or []:
            logger.info("%s: %s", job.job_id, msg)
        if rec["status"] == "failed":
            say(f"county {county_label(job)} failed: {rec['error']}")
        elif lost:
            say(text("batch.worker_lost_done", lang, county=county_label(job), n=len(lost),
                     attempt=len(lost) + 1, workers=text("batch.list_sep", lang).join(lost)))
        bar.update()

    def submit_next() -> bool:
        for job in queue:
            failed = flight.submit(job)
            if failed is None:
                return True
            finish(job, failed)
        return False

    try:
        for _ in range(2 * (sum(client.nthreads().values()) or 1)):
            if not submit_next():
                break
        for fut in flight.ac:
            rec = flight.outcome(fut, limit=limit, lang=lang)
            job, inputs, attempt, _ = flight.futures.pop(fut)
            fut.release()
            if inputs is not None:
                inputs.release()
            if rec is None:
                lost = losses.lost(job.job_id)
                say(text("batch.worker_lost_rerun", lang, county=county_label(job),
                         worker=lost[-1], attempt=attempt + 1, limit=limit + 1))
                rec = flight.submit(job, attempt + 1)
                if rec is None:
                    continue
            finish(job, rec)
            submit_next()
    finally:
        bar.close()
        with suppress(Exception):
            client.unsubscribe_topic("all")


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
    rows += _output_rows(settings)
    rows += _retry_rows(records, lang)
    rows += [(text("batch.readme_source", lang), s) for s in settings.rendering.sources]
    return rows


def county_documents(settings: AnalysisConfig) -> list[str]:
    """The documents each county writes in this batch: ``map.<format>`` of each print format,
    ``report.docx`` (none by default: ``batch --print`` asks for them)."""
    rendering = settings.rendering
    return [f"map.{fmt}" for fmt in rendering.print_formats] + (["report.docx"] if rendering.write_docx else [])


def _output_rows(settings: AnalysisConfig) -> list[tuple[str, str]]:
    """The 说明 rows saying what each county wrote and how to get the print plates and Word
    report when they were not written."""
    lang = settings.rendering.lang
    planner = text("batch.readme_outputs_planner", lang)
    if settings.rendering.layers != "none":
        planner += text("batch.readme_outputs_layers", lang)
    documents = county_documents(settings)
    how = (text("batch.readme_documents_written", lang, files=text("batch.list_sep", lang).join(documents))
           if documents else text("batch.readme_documents_how", lang))
    return [(text("batch.readme_outputs", lang), planner), (text("batch.readme_documents", lang), how)]


def _outputs_record(settings: AnalysisConfig) -> dict[str, Any]:
    """``batch.json["outputs"]``: what each county wrote, and how to add the documents."""
    documents = county_documents(settings)
    heavy = settings.rendering.layers  # the format of the heavy layers ("none": not written)
    return {"layers": "planner" if heavy == "none" else "full",
            "heavy_layers_format": None if heavy == "none" else heavy, "documents": documents,
            "to_add_documents": None if documents else text("batch.readme_documents_how", "en")}


def _retry_rows(records: list[dict], lang: str) -> list[tuple[str, str]]:
    """The 说明 rows of lost workers: the rule and the counties run again (no rows when no
    county ran on a cluster in this run)."""
    limits = [int(r["retry_limit"]) for r in records if r.get("retry_limit") is not None]
    if not limits:
        return []
    again = [text("batch.readme_rerun_county", lang,
                  county=r["job_id"] + (f" {r['name']}" if r.get("name") else ""),
                  attempts=r["attempts"], status=text(f"batch.status_{r['status']}", lang))
             for r in records if r.get("lost_workers")]
    return [(text("batch.readme_worker_lost", lang),
             text("batch.readme_worker_lost_rule", lang, limit=max(limits))),
            (text("batch.readme_rerun", lang),
             text("batch.list_sep", lang).join(again) or text("batch.readme_rerun_none", lang))]
