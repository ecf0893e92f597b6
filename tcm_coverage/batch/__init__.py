"""Province scale: the coverage analysis for many counties in parallel, with Dask.

``tcm-coverage batch`` takes a folder per county, or one province-wide set of files cut by
county boundaries with a buffer (trips across county lines count), runs every county as a
Dask task (a local cluster by default, or ``--scheduler ADDRESS``), writes each county's
outputs as ``analyze`` would, and one province summary table and map. A county that fails is
reported and does not stop the others; rerunning skips counties already done (keyed by a
hash of their inputs and parameters), so an interrupted run resumes.

Modules, in the order a run goes through them: :mod:`~tcm_coverage.batch.parser` (the
options), :mod:`~tcm_coverage.batch.command` (options to jobs, the summary line),
:mod:`~tcm_coverage.batch.jobs` (the job record, resume keys, a folder per county),
:mod:`~tcm_coverage.batch.cut` (province-wide inputs read once and cut per county with the
buffer), :mod:`~tcm_coverage.batch.driver` (the Dask driver), :mod:`~tcm_coverage.batch.county`
(running one county on a worker), :mod:`~tcm_coverage.batch.summary` (province table and
map). The synthetic province for tests and benchmarks is :mod:`tcm_coverage.testing.province`.

This face imports nothing heavy until used, so ``tcm-coverage --help`` stays instant:
:func:`add_batch_parser` imports only the option module, :func:`run_batch_command` and
:func:`run_batch` the rest (``tcm_coverage.workflows``, pandas and Dask take seconds).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["BatchOptions", "add_batch_parser", "run_batch", "run_batch_command"]


def add_batch_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``batch`` sub-command (see :func:`tcm_coverage.batch.parser.add_batch_parser`).

    Parameters
    ----------
    subparsers
        The object returned by ``parser.add_subparsers()``.
    """
    from tcm_coverage.batch.parser import add_batch_parser as _add

    _add(subparsers)


def run_batch_command(args: argparse.Namespace) -> int:
    """Run ``tcm-coverage batch`` (see :func:`tcm_coverage.batch.command.run_batch_command`).

    Parameters
    ----------
    args
        Parsed arguments.

    Returns
    -------
    int
        0 all counties done, 1 some failed, 2 bad input (nothing written), 130 interrupted.
    """
    from tcm_coverage.batch.command import run_batch_command as _run

    return _run(args)


def __getattr__(name: str) -> Any:
    if name in ("BatchOptions", "run_batch"):
        from tcm_coverage.batch import driver

        return getattr(driver, name)
    raise AttributeError(f"module 'tcm_coverage.batch' has no attribute {name!r}")
