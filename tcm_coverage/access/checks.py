"""Checks of what an access function is asked for against what it is given.

Each check raises :class:`~tcm_coverage._errors.InputError` saying what is wrong, what exists
and what to do, instead of a bare ``KeyError`` deep inside the computation. They are the one
place access/ checks names (facility sets, methods) and travel-time columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage.vocab import FACILITY_SETS, time_column

__all__ = ["check_names", "check_thresholds", "check_time_columns", "computed_times"]


def check_names(asked: Iterable[str], known: Sequence[str], *, what: str) -> tuple[str, ...]:
    """``asked`` as a tuple when every name is one of ``known``.

    Parameters
    ----------
    asked
        The names asked for (e.g. facility sets).
    known
        The names that exist.
    what
        What the names are, for the message (e.g. ``"facility set"``).

    Returns
    -------
    tuple of str

    Raises
    ------
    InputError
        Some name is unknown (the message lists them and the known names).
    """
    names = tuple(asked)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"unknown {what}(s) {unknown}", fix=f"use some of {list(known)}")
    return names


def computed_times(columns: Iterable[object]) -> dict[str, tuple[str, ...]]:
    """The travel times a demand table carries: ``{mode: (facility set, ...)}``.

    Parameters
    ----------
    columns
        Column names; those of the form :func:`~tcm_coverage.vocab.time_column` of a facility
        set of :data:`~tcm_coverage.vocab.FACILITY_SETS` count.

    Returns
    -------
    dict of str to tuple of str
        Modes in column order, facility sets in :data:`~tcm_coverage.vocab.FACILITY_SETS` order.
    """
    found: dict[str, set[str]] = {}
    longest_first = sorted(FACILITY_SETS, key=len, reverse=True)
    for col in map(str, columns):
        for facility_set in longest_first:
            prefix = time_column(facility_set, "")
            if col.startswith(prefix) and len(col) > len(prefix):
                found.setdefault(col[len(prefix):], set()).add(facility_set)
                break
    return {mode: tuple(s for s in FACILITY_SETS if s in sets) for mode, sets in found.items()}


def check_time_columns(
    demand: pd.DataFrame, *, facility_sets: Sequence[str], modes: Sequence[str]
) -> None:
    """Every travel-time column asked for is in ``demand``.

    Parameters
    ----------
    demand
        Demand points with the columns of :func:`tcm_coverage.access.compute.compute_access`.
    facility_sets, modes
        What is asked for: one column :func:`~tcm_coverage.vocab.time_column` per pair.

    Raises
    ------
    InputError
        No mode or no facility set asked for, or a column missing: the message names the first
        missing column and how many more, and the fix lists the facility sets and modes the
        table does carry.
    """
    if not modes or not facility_sets:
        raise InputError("no modes or no facility sets asked for",
                         fix="pass at least one mode and one facility set, e.g. modes=['walk'], "
                             "facility_sets=['tcm_any']")
    missing = [time_column(s, m) for m in modes for s in facility_sets
               if time_column(s, m) not in demand.columns]
    if not missing:
        return
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    present = computed_times(demand.columns)
    if present:
        have = "; ".join(f"{mode}: {', '.join(sets)}" for mode, sets in present.items())
        fix = (f"ask only for what was computed (mode: facility sets = {have}), or compute the rest "
               "with compute_access(modes=..., facility_sets=...)")
    else:
        fix = "compute the travel times first with compute_access(demand, facilities, network)"
    raise InputError(f"the demand points have no travel-time column '{missing[0]}'{more}",
                     column=missing[0], fix=fix)


def check_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    """The thresholds as floats, when there is at least one and each is a positive number.

    Parameters
    ----------
    thresholds
        Minutes.

    Returns
    -------
    tuple of float

    Raises
    ------
    InputError
        None given, or one is not a positive finite number of minutes.
    """
    if not thresholds:
        raise InputError("no thresholds given", fix="pass at least one threshold in minutes, e.g. 15")
    try:
        values = np.asarray(thresholds, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"thresholds must be minutes, got {list(thresholds)!r}",
                         fix="pass numbers, e.g. thresholds=[10, 15]") from exc
    if values.ndim != 1 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise InputError(f"thresholds must be positive minutes, got {list(thresholds)!r}",
                         fix="pass numbers above 0, e.g. thresholds=[10, 15]")
    return tuple(float(v) for v in values)
