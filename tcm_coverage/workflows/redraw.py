"""Redraws of a finished run (``map``, ``report``, ``score``) from its store, with nothing routed.

* a stored run (:func:`~tcm_coverage.workflows.store.load_run`) is used as it is: no input is
  read, nothing is routed (:func:`redraw_run`);
* a threshold the run did not tabulate (``map --threshold 25``): the county and township tables
  are rebuilt from the stored travel times (no routing);
* a profile the run did not score (``score --profile yantai``): scored from the stored times
  (:func:`~tcm_coverage.workflows.store.load_run` scores the profiles of the configuration).

What must be routed (a mode the run did not compute, or a run without a store) is
:func:`~tcm_coverage.workflows.recompute.complete_run`'s, in its own module: a redraw imports
this one and the renderers it draws with, never the road reader or the routing stack
(``tests/test_redraw.py`` checks it in a fresh process).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from tcm_coverage.access import coverage_tables
from tcm_coverage.i18n import text
from tcm_coverage.vocab import HEADLINE_FACILITY_SET, UPPER_SUFFIX
from tcm_coverage.workflows.config import AnalysisConfig, validate_config
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.store import TABLES, own_access

logger = logging.getLogger(__name__)

__all__ = ["DOCUMENT_TABLES", "MAP_TABLES", "REPORT_TABLES", "Redraw", "added_threshold_notes", "missing_modes", "redraw_run", "retabulate",
           "widened_config"]

#: The stored tables a map (HTML or print plate) draws or retabulates from: ``map`` reads only
#: these (:func:`~tcm_coverage.workflows.store.load_run`'s ``tables``), not the residents 65+,
#: the review sheet or the referral/fairness/sensitivity tables of the reports.
MAP_TABLES = ("access.demand", "access.facilities", "access.isochrones", "tables.county",
              "tables.township", "tables.by_facility_set", "counties", "townships", "fca_areas",
              "referral_clinics")

#: The stored tables ``report``/``score`` draw their documents from when they reuse the run's
#: map page and plate (read without geometries): all but the isochrone rings, which only maps
#: draw.
DOCUMENT_TABLES = tuple(t for t in TABLES if t != "access.isochrones")

#: The stored tables of the files ``report`` writes besides the documents (the coverage tables
#: and the facility review sheet): all it reads when it copies the run's documents.
REPORT_TABLES = ("tables.county", "tables.township", "tables.by_facility_set", "tables.unassigned",
                 "facility_review")


@dataclass(frozen=True)
class Redraw:
    """A run ready to redraw.

    Attributes
    ----------
    run
        The stored run, completed with what was asked (or the recomputed run).
    config
        Its configuration, with the modes and thresholds added.
    stored
        The run came from the store (``False``: recomputed from the inputs).
    notes
        What had to be computed, in the run's language (for the terminal).
    """

    run: AnalysisRun
    config: AnalysisConfig
    stored: bool
    notes: tuple[str, ...] = ()


def widened_config(config: AnalysisConfig, modes: Sequence[str], thresholds: Sequence[float]) -> AnalysisConfig:
    """``config`` with the modes and thresholds it lacks added (the same object when none is
    missing); checked (e.g. an unknown mode) before anything is read."""
    opts = config.options
    new_modes = tuple(m for m in dict.fromkeys(modes) if m not in opts.modes)
    new_thr = tuple(float(t) for t in thresholds if float(t) not in opts.thresholds)
    if not new_modes and not new_thr:
        return config
    full = config.updated(modes=(*opts.modes, *new_modes),
                          thresholds=tuple(sorted({*opts.thresholds, *new_thr})))
    validate_config(full, files=False)
    return full


def retabulate(run: AnalysisRun, config: AnalysisConfig) -> AnalysisRun:
    """The county and township tables of ``config``'s modes and thresholds, from the run's
    travel times (what maps draw: the headline facility set and its upper bound); the long table
    per facility set (``by_facility_set``, written only by ``analyze``) stays the run's."""
    opts = config.options
    own = own_access(run.access, run.counted)
    headline = (HEADLINE_FACILITY_SET, HEADLINE_FACILITY_SET + UPPER_SUFFIX)
    tables = coverage_tables(run.access.demand, own.facilities, counties=run.counties,
                             townships=run.townships, modes=opts.modes,
                             facility_sets=[s for s in run.access.facility_sets if s in headline],
                             thresholds=opts.thresholds)
    county = _keep_stored_columns(tables.county, run.tables.county)
    township = (None if tables.township is None else
                _keep_stored_columns(tables.township, run.tables.township))
    return replace(run, tables=replace(tables, county=county, township=township,
                                       by_facility_set=run.tables.by_facility_set))


def _keep_stored_columns(new: pd.DataFrame, stored: pd.DataFrame | None) -> pd.DataFrame:
    """``new`` with the stored table's columns it lacks (capacity-aware and residents-65+ shares
    of the thresholds the run computed), matched on area code and mode: a new threshold adds its
    plain shares and loses nothing the run showed."""
    if stored is None:
        return new
    keys = [k for k in ("code", "mode") if k in new and k in stored]
    extra = [c for c in stored.columns if c not in new.columns]
    if not extra or not keys:
        return new
    return new.merge(stored[keys + extra].drop_duplicates(keys), on=keys, how="left")


def missing_modes(run: AnalysisRun, modes: Sequence[str]) -> tuple[str, ...]:
    """The modes of ``modes`` that ``run`` did not compute (routing them needs the roads)."""
    return tuple(m for m in dict.fromkeys(modes) if m not in run.access.modes)


def redraw_run(run: AnalysisRun, config: AnalysisConfig, *, thresholds: Sequence[float] = (),
               on_note: Callable[[str], None] | None = None) -> Redraw:
    """A stored run, ready to redraw for ``thresholds`` (and ``config``'s profiles): no routing.

    Parameters
    ----------
    run
        The stored run (:func:`~tcm_coverage.workflows.store.load_run`) with every mode of
        ``config``; a mode it lacks must be routed
        (:func:`~tcm_coverage.workflows.recompute.complete_run`).
    config
        Its configuration (:func:`~tcm_coverage.workflows.config.load_config`).
    thresholds
        What the redraw shows; those the run did not tabulate are, from the stored times.
    on_note
        Called with each note on what must be computed, before it is (e.g. ``print``).

    Returns
    -------
    Redraw
    """
    full = widened_config(config, (), thresholds)
    lacking = missing_modes(run, full.options.modes)
    if lacking:
        raise ValueError(f"the run has no travel times by {', '.join(lacking)}: use complete_run")
    notes = added_threshold_notes(config, full, on_note=on_note)
    return Redraw(run=retabulate(run, full) if notes else run, config=full, stored=True, notes=notes)


def added_threshold_notes(config: AnalysisConfig, full: AnalysisConfig, *,
                          on_note: Callable[[str], None] | None = None) -> tuple[str, ...]:
    """The note on the thresholds ``full`` adds to ``config`` (tabulated from the stored times),
    logged and given to ``on_note``; empty when it adds none."""
    new_thr = [t for t in full.options.thresholds if t not in config.options.thresholds]
    if not new_thr:
        return ()
    lang = config.rendering.lang
    note = text("workflows.store.add_thresholds", lang,
                minutes=text("workflows.sep", lang).join(f"{t:g}" for t in new_thr))
    logger.info(note)
    if on_note is not None:
        on_note(note)
    return (note,)
