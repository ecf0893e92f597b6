"""The Dask driver of a batch run, and the ``tcm-coverage batch`` command.

Tasks are per county (:func:`tcm_coverage.batch.jobs.run_county`). By default they run on a
``distributed.LocalCluster`` with one single-threaded worker process per core; with
``scheduler=`` on an existing cluster (its workers need ``tcm_coverage`` installed and must
see the input and output folders at the same paths).

Memory stays bounded: at most ``2 x workers`` counties are in flight; in province mode each
county's inputs are cut from the province-wide ones just before it is submitted (and
scattered to the cluster), and a worker builds the county's graphs, uses them and drops
them when the task ends.

A county that fails is reported (terminal and summary) and does not stop the others; a
county whose outputs carry a done marker with the same key is skipped, so an interrupted
run resumes where it stopped.
"""

from __future__ import annotations

import argparse
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
from tqdm.auto import tqdm

from tcm_coverage._version import __version__
from tcm_coverage._errors import InputError, TCMCoverageError
from tcm_coverage.batch.jobs import (
    CountyJob,
    ProvinceInputs,
    cut_county,
    expand_county_dirs,
    folder_jobs,
    province_jobs,
    read_done,
    read_province_inputs,
    run_county,
)

logger = logging.getLogger(__name__)

__all__ = ["BatchResult", "add_batch_arguments", "main", "run_batch", "run_batch_command"]


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


def _open_client(scheduler: str | None, workers: int | None,
                 memory_limit: str | float | None) -> tuple[Any, Any]:
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="10s"), None
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot connect to the Dask scheduler at {scheduler} ({exc})",
                             fix="check the address (e.g. tcp://10.0.0.5:8786) or leave out "
                                 "--scheduler to use a local cluster") from exc
    n = int(workers or os.cpu_count() or 1)
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           memory_limit=memory_limit if memory_limit is not None else "auto",
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_batch(
    jobs: Sequence[CountyJob],
    *,
    out_dir: str | os.PathLike[str],
    settings: Any,
    province: ProvinceInputs | None = None,
    planning_failures: Iterable[dict] = (),
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | float | None = "auto",
    force: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] | None = None,
) -> BatchResult:
    """Run every county job on a Dask cluster, then write the province summary and map.

    Parameters
    ----------
    jobs
        From :func:`~tcm_coverage.batch.jobs.folder_jobs` or
        :func:`~tcm_coverage.batch.jobs.province_jobs`.
    out_dir
        The batch output folder (counties go to ``out_dir/counties/<job_id>``).
    settings
        An :class:`~tcm_coverage.workflows.pipeline.AnalysisConfig` giving modes, thresholds, language
        and basemap of the summary.
    province
        Province mode: the province-wide inputs (each county is cut from them just before it
        is submitted).
    planning_failures
        Folders that could not be planned (reported as failed).
    scheduler
        Address of an existing Dask scheduler; default: a local cluster.
    workers
        Local cluster size (default: all cores).
    memory_limit
        Per-worker memory limit of the local cluster (``"auto"``: RAM / workers).
    force
        Recompute counties even when they are done.
    progress
        Show a progress bar.
    echo
        Where to report failures and skips as they happen (default: the progress bar's
        ``tqdm.write`` to stderr).

    Returns
    -------
    BatchResult
    """
    from tcm_coverage._io import check_output_dir
    from tcm_coverage.batch.summary import province_map, province_table, write_province_table

    start = time.perf_counter()
    out = Path(out_dir)
    check_output_dir(out, inputs=_job_inputs(jobs), keep=("counties",))  # before any county

    def say(text: str) -> None:
        (echo or (lambda s: tqdm.write(s, file=sys.stderr)))(text)

    records: dict[str, dict] = {}
    todo: list[CountyJob] = []
    for job in jobs:
        done = None if force else read_done(job)
        if done is not None:
            records[job.job_id] = {**done, "status": "skipped", "error": None}
            logger.info("skip %s (done in an earlier run, key %s)", job.job_id, job.key[:12])
        else:
            todo.append(job)
    skipped = len(jobs) - len(todo)
    if skipped:
        say(f"{skipped} of {len(jobs)} counties already done with the same inputs and "
            "parameters: skipped")
    if todo:
        if province is not None:
            province.load_network()  # a bad province road file stops here, before any county
        client, cluster = _open_client(scheduler, workers, memory_limit)
        try:
            nthreads = sum(client.nthreads().values()) or 1
            _drive(client, todo, province, window=2 * nthreads, records=records, say=say,
                   progress=progress)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    all_records = [records[j.job_id] for j in jobs if j.job_id in records]
    all_records += [{"job_id": f["job_id"], "code": "", "name": "", "status": "failed",
                     "rows": [], "error": f["error"], "seconds": None} for f in planning_failures]

    table = province_table(all_records, thresholds=settings.options.thresholds, modes=settings.options.modes)
    files: list[Path] = []
    from tcm_coverage._io import atomic_output_dir
    from tcm_coverage.outputs import save_map

    readme = _readme(settings, all_records, jobs)
    # the province files are one result; counties/ (each county a result of its own) is kept
    with atomic_output_dir(out, kind="batch", keep=("counties",), inputs=_job_inputs(jobs)) as tmp:
        names = write_province_table(table, tmp, lang=settings.rendering.lang, readme_rows=readme)
        if settings.rendering.write_map:
            geoms = {j.code: j.geometry for j in jobs if j.geometry is not None}
            fmap = province_map(table, geoms, modes=settings.options.modes,
                                headline_mode=settings.options.headline_mode,
                                threshold=settings.options.headline_threshold, lang=settings.rendering.lang,
                                basemap=settings.rendering.basemap, tianditu_key=settings.rendering.tianditu_key,
                                sources=settings.rendering.sources)
            names.append(save_map(fmap, tmp / "province_map.html",
                                  self_contained=settings.rendering.self_contained))
        manifest = {
            "tool": f"tcm-coverage {__version__}", "date": date.today().isoformat(),
            "mode": "province" if province is not None else "folders",
            "seconds": round(time.perf_counter() - start, 2),
            "counties": [{k: r.get(k) for k in ("job_id", "code", "name", "status", "key",
                                                 "seconds", "error", "traceback")}
                         for r in all_records],
        }
        path = tmp / "batch.json"
        path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str),
                        encoding="utf-8")
        names.append(path)
        files = [out / p.name for p in names]
    return BatchResult(records=all_records, table=table, files=tuple(files),
                       seconds=time.perf_counter() - start)


def _job_inputs(jobs: Sequence[CountyJob]) -> dict[str, Any]:
    """Every input file of the jobs, labelled for messages (none may be in the output)."""
    labels = ("facilities", "boundary", "townships", "population", "network")
    return {f"{job.job_id} {label}": getattr(job.config, label, None)
            for job in jobs for label in labels}


def _drive(client: Any, todo: list[CountyJob], province: ProvinceInputs | None, *, window: int,
           records: dict[str, dict], say: Callable[[str], None], progress: bool) -> None:
    """Submit at most ``window`` counties at a time; collect results as they finish."""
    from distributed import as_completed

    queue = iter(todo)
    futures: dict[Any, tuple[CountyJob, Any]] = {}
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
                try:
                    inputs = client.scatter(cut_county(province, job.code), hash=False)
                except TCMCoverageError as exc:
                    finish(job, _failed_record(job, str(exc)))
                    continue
            fut = client.submit(run_county, job, inputs, key=f"county-{job.job_id}-{job.key[:16]}",
                                pure=False)
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


def _readme(settings: Any, records: list[dict], jobs: Sequence[CountyJob]) -> list[tuple[str, str]]:
    from tcm_coverage.i18n import MODE_LABELS

    zh = settings.rendering.lang == "zh"
    n = {s: sum(r["status"] == s for r in records) for s in ("done", "skipped", "failed")}
    sep = "、" if zh else ", "
    rows = [
        ("生成日期" if zh else "date", date.today().isoformat()),
        ("软件" if zh else "software", f"tcm-coverage {__version__}"),
        ("县区数" if zh else "counties", str(len(records))),
        ("完成" if zh else "done", str(n["done"])),
        ("沿用上次结果" if zh else "done in an earlier run", str(n["skipped"])),
        ("失败" if zh else "failed", str(n["failed"])),
        ("出行方式" if zh else "modes", sep.join(MODE_LABELS[m][settings.rendering.lang] for m in settings.options.modes)),
        ("时间阈值(分钟)" if zh else "thresholds (min)", ", ".join(f"{t:g}" for t in settings.options.thresholds)),
        ("跨界缓冲(米)" if zh else "cross-border buffer (m)", f"{settings.options.buffer_m:g}"),
        ("全省合计" if zh else "province total",
         "完成的县区之和；平均时间按可达人口加权；不含失败的县区" if zh
         else "sum over finished counties; mean time weighted by reachable residents; failed "
              "counties left out"),
    ]
    if jobs and jobs[0].kind == "province":
        cfg = jobs[0].config
        rows += [("设施" if zh else "facilities", Path(cfg.inputs.facilities).name),
                 ("县界" if zh else "counties", Path(cfg.inputs.boundary).name),
                 ("人口" if zh else "population", Path(cfg.inputs.population).name),
                 ("路网" if zh else "roads", Path(cfg.inputs.network).name)]
    rows += [("数据来源" if zh else "source", s) for s in settings.rendering.sources]
    return rows


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------
_EPILOG = """\
Exit codes: 0 every county done (or done in an earlier run); 1 some counties failed (the
others are written, failures are listed in province_summary.* and batch.json); 2 bad input
before any county ran (nothing was written); 130 interrupted (finished counties are kept:
run the same command again to resume).

Outputs: OUT/counties/<county>/ (what `analyze` writes, plus batch_done.json),
OUT/province_summary.csv and .xlsx, OUT/province_map.html (not with --no-map),
OUT/batch.json. The other options apply to every county as in `analyze`.
"""


def add_batch_arguments(p: argparse.ArgumentParser) -> None:
    """Add the options of ``tcm-coverage batch`` to a parser.

    Parameters
    ----------
    p : argparse.ArgumentParser
    """
    from tcm_coverage.cli.options import add_common_options

    src = p.add_argument_group("counties: a folder per county, or province-wide files")
    src.add_argument("--county-dirs", nargs="+", type=Path, default=None, metavar="DIR",
                     help="county folders, or a folder of county folders; each holds one county's "
                          "roads (.osm.pbf/.osm/.graphml), boundary, facilities and population "
                          "(found by name: *boundary*/*county*, *facilit*, *population*/*village* "
                          "or a .tif, optional *township*)")
    src.add_argument("--boundary", type=Path, default=None,
                     help="province mode: county polygons, one feature per county (code, name)")
    src.add_argument("--facilities", type=Path, default=None, help="province mode: facility table")
    src.add_argument("--population", type=Path, default=None,
                     help="province mode: population raster, village table or polygons")
    src.add_argument("--network", type=Path, default=None,
                     help="province mode: roads (.osm.pbf/.osm/.graphml), read once and cut per "
                          "county plus --buffer-m")
    src.add_argument("--townships", type=Path, default=None,
                     help="province mode: township polygons (optional)")
    src.add_argument("--only", nargs="+", default=None, metavar="CODE",
                     help="province mode: run only these county codes")
    for name in ("facilities", "boundary", "townships", "population"):
        src.add_argument(f"--{name}-datum", default="wgs84",
                         help=f"datum of the {name} file(s): wgs84 | gcj02 | bd09 (a gcj02/bd09 "
                              "token in a county folder's file name wins)")
    src.add_argument("--population-column", default=None,
                     help="population column (found automatically)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    run = p.add_argument_group("parallel run (Dask)")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="use an existing Dask cluster (e.g. tcp://10.0.0.5:8786); its workers "
                          "must see the same paths. Default: a local cluster")
    run.add_argument("--workers", type=int, default=None,
                     help="local cluster: worker processes (default: all cores)")
    run.add_argument("--memory-limit", default="auto",
                     help="local cluster: memory per worker, e.g. 4GB (default: RAM / workers)")
    run.add_argument("--force", action="store_true",
                     help="recompute counties that are already done")
    add_common_options(p, default_modes=("walk", "ebike"), default_thresholds=(15,))


def add_batch_parser(subparsers: Any) -> None:
    """Add the ``batch`` sub-command to the ``tcm-coverage`` sub-parsers.

    Parameters
    ----------
    subparsers
        The object returned by ``parser.add_subparsers()``.
    """
    p = subparsers.add_parser(
        "batch", help="run many counties in parallel (province scale, Dask)",
        description="Coverage for every county of a province, in parallel on a Dask cluster: "
                    "a folder per county, or province-wide files cut by county boundaries with a "
                    "buffer so trips across county lines count. Per-county outputs, one province "
                    "summary table and map; rerunning skips counties already done.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_batch_arguments(p)


def _settings_and_jobs(args: argparse.Namespace) -> tuple[Any, list[CountyJob], list[dict],
                                                          ProvinceInputs | None]:
    from tcm_coverage._io import check_output_dir
    from tcm_coverage._validate import check_memory_limit, check_workers
    from tcm_coverage.cli.options import parse_offroad, parse_speed, render_overrides
    from tcm_coverage.workflows import AnalysisConfig, validate_config

    args.workers = check_workers(args.workers)
    args.memory_limit = check_memory_limit(args.memory_limit)
    check_output_dir(args.out, option="--out")
    try:
        speeds = parse_speed(args.speed)
        offroad = parse_offroad(args.offroad_speed, args.modes)
    except argparse.ArgumentTypeError as exc:
        raise InputError(str(exc), fix="see tcm-coverage batch --help") from None
    params = {
        "modes": tuple(args.modes), "thresholds": tuple(float(t) for t in args.thresholds),
        "include_other": args.include_other_tcm, "speed_overrides": speeds,
        "offroad_kmh": offroad, "buffer_m": args.buffer_m,
        "max_facility_offroad_m": args.max_facility_offroad_m,
        "direct_offroad_m": args.direct_offroad_m, "lang": args.lang,
        "write_map": not args.no_map, "write_report": not args.no_report,
        "isochrone_cell_m": args.isochrone_cell_m, "profiles": tuple(args.profiles),
        "accessibility": not args.no_accessibility, "population_column": args.population_column,
        **render_overrides(args),
    }
    province_files = {k: getattr(args, k) for k in ("boundary", "facilities", "population",
                                                     "network", "townships")}
    given = [k for k, v in province_files.items() if v is not None]
    if args.county_dirs and given:
        raise InputError(f"give either --county-dirs or province-wide files, not both "
                         f"(also given: {', '.join('--' + g for g in given)})",
                         fix="drop one of them")
    datums = {k: getattr(args, f"{k}_datum") for k in ("facilities", "boundary", "townships",
                                                       "population")}
    out = Path(args.out)
    if args.county_dirs:
        if args.only:
            raise InputError("--only works with province-wide files",
                             fix="list the county folders you want instead")
        settings = AnalysisConfig.from_options(facilities=Path("."), boundary=Path("."), population=Path("."),
                                  network=Path("."), out_dir=out, **params)
        validate_config(settings, files=False)  # options first: they apply to every county
        folders = expand_county_dirs(args.county_dirs)
        # each county's files are checked when it runs: a bad file fails that county only
        jobs, failures = folder_jobs(folders, out_dir=out, params=params, datums=datums)
        if not jobs and failures:
            raise InputError("no county folder could be read: " + "; ".join(
                f"{f['job_id']}: {f['error']}" for f in failures[:5]), fix="fix the files above")
        return settings, jobs, failures, None
    missing = [k for k in ("boundary", "facilities", "population", "network")
               if province_files[k] is None]
    if missing:
        raise InputError(
            "no counties given: pass --county-dirs, or all of --boundary, --facilities, "
            f"--population and --network (missing: {', '.join('--' + m for m in missing)})",
            fix="see tcm-coverage batch --help")
    config = AnalysisConfig.from_options(**province_files, out_dir=out, **{f"{k}_datum": v
                                                              for k, v in datums.items()},
                            **params)
    validate_config(config)
    province = read_province_inputs(config, only=args.only)
    jobs = province_jobs(province, out_dir=out)
    return config, jobs, [], province


def run_batch_command(args: argparse.Namespace) -> int:
    """Run ``tcm-coverage batch`` from parsed arguments.

    Parameters
    ----------
    args
        From a parser set up by :func:`add_batch_parser` (``quiet`` read when present).

    Returns
    -------
    int
        0 every county done; 1 some counties failed (the others and the summary are
        written); 2 bad input before any county ran (nothing was written); 130 interrupted.
    """
    quiet = bool(getattr(args, "quiet", False))
    start = time.perf_counter()
    try:
        settings, jobs, failures, province = _settings_and_jobs(args)
    except TCMCoverageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 2
    for f in failures:
        print(f"county folder {f['job_id']} failed: {f['error']}", file=sys.stderr)
    if not quiet:
        where = (f"Dask scheduler {args.scheduler}" if args.scheduler else
                 f"local Dask cluster ({args.workers or os.cpu_count()} workers)")
        print(f"{len(jobs) + len(failures)} counties; running on {where}", file=sys.stderr)
    try:
        result = run_batch(jobs, out_dir=args.out, settings=settings, province=province,
                           planning_failures=failures, scheduler=args.scheduler,
                           workers=args.workers, memory_limit=args.memory_limit,
                           force=args.force, progress=not quiet)
    except KeyboardInterrupt:
        print("interrupted: counties that finished are kept; run the same command again to "
              "resume.", file=sys.stderr)
        return 130
    except TCMCoverageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was written for the counties that had not finished; rerun to resume.",
              file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    n_failed = result.count("failed")
    if not quiet:
        print(_summary_line(result, settings))
        print(f"({result.seconds:.1f} s; {time.perf_counter() - start:.1f} s in all) "
              + ", ".join(str(f) for f in result.files))
    return 1 if n_failed else 0


def _summary_line(result: BatchResult, settings: Any) -> str:
    zh = settings.rendering.lang == "zh"
    done, skipped, failed = (result.count(s) for s in ("done", "skipped", "failed"))
    thr = settings.options.headline_threshold
    mode = settings.options.headline_mode
    total = result.table[(result.table["status"] == "province") & (result.table["mode"] == mode)]
    share = ""
    if len(total) and f"share_within_{thr:g}" in total:
        value = float(total[f"share_within_{thr:g}"].iloc[0])
        share = (f"；完成县区{thr:g}分钟覆盖率 {value:.1%}" if zh
                 else f"; {value:.1%} of residents of finished counties within {thr:g} min")
    if zh:
        text = f"{done + skipped + failed} 个县区：完成 {done}，沿用上次结果 {skipped}，失败 {failed}{share}"
    else:
        text = (f"{done + skipped + failed} counties: {done} done, {skipped} done in an earlier run, "
                f"{failed} failed{share}")
    for rec in result.failed:
        text += f"\n  {'失败' if zh else 'failed'} {rec['job_id']}: {rec['error']}"
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tcm_coverage.batch``: the batch command without the ``tcm-coverage`` wrapper.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        See :func:`run_batch_command`.
    """
    from tcm_coverage.cli.options import configure_logging

    parser = argparse.ArgumentParser(prog="python -m tcm_coverage.batch", epilog=_EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="tcm-coverage batch: many counties in parallel.")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    parser.add_argument("-q", "--quiet", action="store_true")
    add_batch_arguments(parser)
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.quiet)
    return run_batch_command(args)

