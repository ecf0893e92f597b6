"""The ``tcm-coverage batch`` command (also ``python -m tcm_coverage.batch``): from parsed
options to the jobs, the Dask run (:func:`tcm_coverage.batch.driver.run_batch`) and the line
that sums it up. The options themselves are :mod:`tcm_coverage.batch.parser`.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dask.utils import parse_bytes

from tcm_coverage._errors import InputError, TCMCoverageError
from tcm_coverage._io import check_output_dir
from tcm_coverage._validate import check_number, fmt_value
from tcm_coverage.batch.cut import ProvinceInputs, province_jobs, read_province_inputs
from tcm_coverage.batch.driver import BatchOptions, BatchResult, run_batch
from tcm_coverage.batch.jobs import CountyJob, expand_county_dirs, folder_jobs
from tcm_coverage.batch.parser import BATCH_LAYERS, EPILOG, add_batch_arguments
from tcm_coverage.cli.options import add_global_options, config_from_args, configure_logging
from tcm_coverage.i18n import text
from tcm_coverage.vocab import share_column
from tcm_coverage.workflows import AnalysisConfig, validate_config

__all__ = ["main", "run_batch_command"]

#: The province-wide input options, and those province mode needs.
_PROVINCE_FILES = ("boundary", "facilities", "population", "network", "townships")
_PROVINCE_REQUIRED = ("boundary", "facilities", "population", "network")



def check_workers(workers: Any) -> int | None:
    """``batch --workers``: ``None`` (all cores) or a whole number from 1 to 1,024."""
    if workers is None:
        return None
    number = check_number(workers, option="--workers", low=1, high=1024,
                          what="worker processes of the local cluster",
                          example=f"--workers {os.cpu_count() or 2}")
    if not float(number).is_integer():
        raise InputError(f"--workers must be a whole number, got {fmt_value(workers)}",
                         fix="e.g. --workers 4")
    return int(number)


def check_memory_limit(value: Any) -> str | float:
    """``batch --memory-limit``: ``auto``, a size (``4GB``, ``500MiB``) or a fraction 0–1.

    Returns
    -------
    str or float
        What :class:`distributed.LocalCluster` accepts.
    """
    fix = "write auto, a size with its unit such as 4GB or 500MB, or a fraction of the memory such as 0.5"
    if value is None or str(value).strip().lower() == "auto":
        return "auto"
    text = str(value).strip().replace(" ", "")
    try:
        fraction = float(text)
    except ValueError:
        fraction = math.nan
    if not math.isnan(fraction):
        if math.isfinite(fraction) and 0 < fraction <= 1:
            return fraction
        raise InputError(f"--memory-limit {text}: a plain number must be a fraction of the "
                         "memory between 0 and 1", fix=fix)
    try:
        size = parse_bytes(text)
    except (ValueError, TypeError):
        raise InputError(f"--memory-limit: cannot read '{value}' as a memory size", fix=fix) from None
    if size < 100e6:
        raise InputError(f"--memory-limit {text} is less than 100 MB per worker", fix=fix)
    return text


def _settings(args: argparse.Namespace, *, folders: bool) -> AnalysisConfig:
    """The configuration of the parsed options; with ``folders`` the input files are
    placeholders (each county folder brings its own). ``--layers`` sets how each county writes
    its heavy layers (none by default); ``--print`` adds the print plates and Word report
    (``--no-print-map``/``--no-docx`` still leave one out)."""
    placeholders = {k: Path(".") for k in _PROVINCE_REQUIRED} if folders else None
    try:
        config = config_from_args(args, inputs=placeholders)
    except argparse.ArgumentTypeError as exc:
        raise InputError(str(exc), fix="see tcm-coverage batch --help") from None
    layers = BATCH_LAYERS[getattr(args, "layers", None) or "planner"]
    rendering = dataclasses.replace(config.rendering, layers=layers)
    if not getattr(args, "print", False):  # the documents a county hands in: on request
        rendering = dataclasses.replace(rendering, print_formats=(), write_docx=False)
    return dataclasses.replace(config, rendering=rendering)


def _folder_mode(args: argparse.Namespace,
                 settings: AnalysisConfig) -> tuple[list[CountyJob], list[dict]]:
    """Jobs and planning failures of ``--county-dirs``."""
    if args.only:
        raise InputError("--only works with province-wide files",
                         fix="list the county folders you want instead")
    validate_config(settings, files=False)  # options first: they apply to every county
    folders = expand_county_dirs(args.county_dirs)
    # each county's files are checked when it runs: a bad file fails that county only
    jobs, failures = folder_jobs(folders, out_dir=Path(args.out), settings=settings)
    if not jobs and failures:
        raise InputError("no county folder could be read: " + "; ".join(
            f"{f['job_id']}: {f['error']}" for f in failures[:5]), fix="fix the files above")
    return jobs, failures


def _province_mode(args: argparse.Namespace,
                   config: AnalysisConfig) -> tuple[list[CountyJob], ProvinceInputs]:
    """Jobs and the province-wide inputs of the province-wide files."""
    missing = [k for k in _PROVINCE_REQUIRED if getattr(args, k) is None]
    if missing:
        raise InputError(
            "no counties given: pass --county-dirs, or all of --boundary, --facilities, "
            f"--population and --network (missing: {', '.join('--' + m for m in missing)})",
            fix="see tcm-coverage batch --help")
    validate_config(config)
    province = read_province_inputs(config, only=args.only)
    jobs = province_jobs(province, out_dir=Path(args.out))
    return jobs, province


def _settings_and_jobs(args: argparse.Namespace) -> tuple[AnalysisConfig, list[CountyJob],
                                                          list[dict], ProvinceInputs | None]:
    args.workers = check_workers(args.workers)
    args.memory_limit = check_memory_limit(args.memory_limit)
    check_output_dir(args.out, option="--out")
    settings = _settings(args, folders=bool(args.county_dirs))
    given = [k for k in _PROVINCE_FILES if getattr(args, k) is not None]
    if args.county_dirs and given:
        raise InputError(f"give either --county-dirs or province-wide files, not both "
                         f"(also given: {', '.join('--' + g for g in given)})",
                         fix="drop one of them")
    if args.county_dirs:
        return (settings, *_folder_mode(args, settings), None)
    jobs, province = _province_mode(args, settings)
    return settings, jobs, [], province


def run_batch_command(args: argparse.Namespace) -> int:
    """Run ``tcm-coverage batch`` from parsed arguments.

    Parameters
    ----------
    args
        From a parser set up by :func:`~tcm_coverage.batch.parser.add_batch_parser`
        (``quiet`` read when present).

    Returns
    -------
    int
        0 every county done; 1 some counties failed, or their print plates/Word report could
        not be drawn (the others and the summary are written); 2 bad input before any county ran (nothing was written); 130 interrupted.
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
    options = BatchOptions(scheduler=args.scheduler, workers=args.workers,
                           memory_limit=args.memory_limit, force=args.force)
    try:
        result = run_batch(jobs, out_dir=args.out, settings=settings, province=province,
                           planning_failures=failures, options=options, progress=not quiet)
    except KeyboardInterrupt:
        print("interrupted: counties that finished are kept; run the same command again to "
              "resume.", file=sys.stderr)
        return 130
    except TCMCoverageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was written for the counties that had not finished; rerun to resume.",
              file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    n_failed = result.count("failed") + len(result.documents_failed)
    if not quiet:
        print(_summary_line(result, settings))
        print(f"({result.seconds:.1f} s; {time.perf_counter() - start:.1f} s in all) "
              + ", ".join(str(f) for f in result.files))
    return 1 if n_failed else 0


def _summary_line(result: BatchResult, settings: AnalysisConfig) -> str:
    """The terminal line of a batch: counties done, skipped and failed, the headline share."""
    lang = settings.rendering.lang
    done, skipped, failed = (result.count(s) for s in ("done", "skipped", "failed"))
    thr = settings.options.headline_threshold
    mode = settings.options.headline_mode
    total = result.table[(result.table["status"] == "province") & (result.table["mode"] == mode)]
    share = ""
    column = share_column(thr)
    if len(total) and column in total:
        share = text("batch.summary_share", lang, minutes=thr, share=float(total[column].iloc[0]))
    line = text("batch.summary_counts", lang, total=done + skipped + failed, done=done,
                skipped=skipped, failed=failed, share=share)
    for rec in result.failed:
        line += text("batch.summary_failed", lang, job_id=rec["job_id"], error=rec["error"])
    for rec in result.documents_failed:
        line += text("batch.summary_documents_failed", lang, job_id=rec["job_id"],
                     error=rec["documents_error"])
    return line


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
    parser = argparse.ArgumentParser(prog="python -m tcm_coverage.batch", epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="tcm-coverage batch: many counties in parallel.")
    add_global_options(parser)
    add_batch_arguments(parser)
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.quiet)
    return run_batch_command(args)
