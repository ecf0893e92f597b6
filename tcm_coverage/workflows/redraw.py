"""Redraws of a finished run (``map``, ``report``, ``score``): load its store and compute only
what the run did not.

* a stored run (:func:`~tcm_coverage.workflows.store.load_run`) is used as it is: no input is
  read, nothing is routed;
* a mode the run did not compute (``map --mode car``): only the roads are read and only that
  mode is routed (:func:`~tcm_coverage.access.compute_access` with ``modes=("car",)``, on the
  stored demand points and facilities), then the tables are rebuilt from the times;
* a threshold the run did not tabulate (``map --threshold 25``): the county and township tables
  are rebuilt from the stored travel times (no routing);
* a profile the run did not score (``score --profile yantai``): scored from the stored times
  (:func:`~tcm_coverage.workflows.store.load_run` scores the profiles of the configuration);
* no store (a run of an older version), or inputs changed and ``--allow-changed-inputs`` when
  something must be routed: the whole run is recomputed from the inputs, as before the store
  (``complete_run(None, ...)``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from tcm_coverage._validate import reading
from tcm_coverage.access import AccessResult, IsochroneOptions, compute_access, coverage_tables
from tcm_coverage.i18n import label, text
from tcm_coverage.network import read_network
from tcm_coverage.vocab import HEADLINE_FACILITY_SET, UPPER_SUFFIX
from tcm_coverage.workflows.config import AnalysisConfig, validate_config
from tcm_coverage.workflows.pipeline import access_options, compute
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.store import own_access

logger = logging.getLogger(__name__)

__all__ = ["Redraw", "complete_run", "missing_modes"]


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


def _with_added(config: AnalysisConfig, modes: Sequence[str], thresholds: Sequence[float]) -> AnalysisConfig:
    opts = config.options
    new_modes = tuple(m for m in dict.fromkeys(modes) if m not in opts.modes)
    new_thr = tuple(float(t) for t in thresholds if float(t) not in opts.thresholds)
    if not new_modes and not new_thr:
        return config
    return config.updated(modes=(*opts.modes, *new_modes),
                          thresholds=tuple(sorted({*opts.thresholds, *new_thr})))


def _merge_access(old: AccessResult, new: AccessResult) -> AccessResult:
    """``old`` with the modes of ``new`` (computed on ``old``'s demand points and facilities)."""
    pairs = list(zip(old.warnings, old.warnings_zh, strict=True))
    pairs += [p for p in zip(new.warnings, new.warnings_zh, strict=True) if p not in pairs]
    rings = [r for r in (old.isochrones, new.isochrones) if r is not None]
    isochrones = (rings[0] if len(rings) == 1 else
                  type(rings[0])(pd.concat(rings, ignore_index=True), crs=rings[0].crs) if rings else None)
    return replace(old, demand=new.demand, facilities=new.facilities, modes=(*old.modes, *new.modes),
                   networks={**old.networks, **new.networks}, warnings=tuple(en for en, _ in pairs),
                   warnings_zh=tuple(zh for _, zh in pairs), isochrones=isochrones,
                   routing=dict(new.routing))


def _route_modes(run: AnalysisRun, config: AnalysisConfig, modes: Sequence[str], *,
                 progress: bool) -> AnalysisRun:
    """Route only ``modes`` (read the roads; the demand points and facilities are the stored ones)."""
    opts, files = config.options, config.inputs
    with reading("roads", files.network):
        network = read_network(files.network, boundary=run.counties, buffer_m=opts.buffer_m)
    access = run.access
    new = compute_access(
        access.demand, access.facilities, network, modes=tuple(modes), facility_sets=access.facility_sets,
        options=access_options(config),
        isochrones=IsochroneOptions(minutes=opts.isochrone_minutes, area=run.counties,
                                    cell_m=opts.isochrone_cell_m or 100.0),
        progress=progress)
    merged = _merge_access(access, new)
    demand = run.demand
    if demand is not None:
        added = [c for c in new.demand.columns if c not in demand.columns]
        demand = demand.assign(**{c: new.demand[c].to_numpy() for c in added})
    return replace(run, access=merged, demand=demand, network=network)


def _retabulate(run: AnalysisRun, config: AnalysisConfig) -> AnalysisRun:
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


def complete_run(run: AnalysisRun | None, config: AnalysisConfig, *, modes: Sequence[str] = (),
                 thresholds: Sequence[float] = (), progress: bool = True,
                 on_note: Callable[[str], None] | None = None) -> Redraw:
    """A finished run, ready to redraw for ``modes`` and ``thresholds`` (and ``config``'s profiles).

    Parameters
    ----------
    run
        The stored run (:func:`~tcm_coverage.workflows.store.load_run`), or ``None``: recompute
        the whole run from the inputs (no store, or the inputs changed and the user allowed it).
    config
        Its configuration (:func:`~tcm_coverage.workflows.config.load_config`).
    modes, thresholds
        What the redraw shows; those the run did not compute are computed (only those: a mode is
        routed, a threshold tabulated from the stored times).
    progress
        Show progress bars.
    on_note
        Called with each note on what must be computed, before it is (e.g. ``print``).

    Returns
    -------
    Redraw
    """
    lang = config.rendering.lang
    full = _with_added(config, modes, thresholds)
    if full is not config:
        validate_config(full, files=False)  # e.g. an unknown mode, before any reading
    if run is None:
        return Redraw(run=compute(full, progress=progress), config=full, stored=False)
    notes: list[str] = []

    def note(line: str) -> None:
        notes.append(line)
        logger.info(line)
        if on_note is not None:
            on_note(line)

    new_modes = missing_modes(run, full.options.modes)
    if new_modes:
        note(text("workflows.store.route_modes", lang,
                  modes=text("workflows.sep", lang).join(label("mode", m, lang) for m in new_modes)))
        run = _route_modes(run, config, new_modes, progress=progress)
    new_thr = [t for t in full.options.thresholds if t not in config.options.thresholds]
    if new_thr:
        note(text("workflows.store.add_thresholds", lang,
                  minutes=text("workflows.sep", lang).join(f"{t:g}" for t in new_thr)))
    if new_modes or new_thr:
        run = _retabulate(run, full)
    return Redraw(run=run, config=full, stored=True, notes=tuple(notes))
