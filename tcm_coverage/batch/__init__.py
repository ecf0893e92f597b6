"""Province scale: the coverage analysis for many counties in parallel, with Dask.

``tcm-coverage batch`` takes a folder per county, or one province-wide set of files cut by
county boundaries with a buffer (trips across county lines count), runs every county as a
Dask task (a local cluster by default, or ``--scheduler ADDRESS``), writes each county's
outputs as ``analyze`` would, and one province summary table and map. A county that fails is
reported and does not stop the others; rerunning skips counties already done (keyed by a
hash of their inputs and parameters), so an interrupted run resumes.

Modules: :mod:`~tcm_coverage.batch.jobs` (county jobs, input discovery, keys, cutting
province-wide inputs, running one county), :mod:`~tcm_coverage.batch.driver` (the Dask
driver and the command line), :mod:`~tcm_coverage.batch.summary` (province table and map),
(the synthetic province for tests and benchmarks is :mod:`tcm_coverage.testing.province`).

This package imports nothing heavy until used, so ``tcm-coverage --help`` stays instant;
:func:`add_batch_parser` and :func:`run_batch_command` are the two entry points the CLI
calls.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_batch_parser", "run_batch", "run_batch_command"]


def add_batch_parser(subparsers: Any) -> None:
    """Add the ``batch`` sub-command (see :func:`tcm_coverage.batch.driver.add_batch_parser`).

    Parameters
    ----------
    subparsers
        The object returned by ``parser.add_subparsers()``.
    """
    from tcm_coverage.batch.driver import add_batch_parser as _add

    _add(subparsers)


def run_batch_command(args: argparse.Namespace) -> int:
    """Run ``tcm-coverage batch`` (see :func:`tcm_coverage.batch.driver.run_batch_command`).

    Parameters
    ----------
    args
        Parsed arguments.

    Returns
    -------
    int
        0 all counties done, 1 some failed, 2 bad input (nothing written), 130 interrupted.
    """
    from tcm_coverage.batch.driver import run_batch_command as _run

    return _run(args)


def __getattr__(name: str) -> Any:
    if name == "run_batch":
        from tcm_coverage.batch.driver import run_batch

        return run_batch
    raise AttributeError(f"module 'tcm_coverage.batch' has no attribute {name!r}")
