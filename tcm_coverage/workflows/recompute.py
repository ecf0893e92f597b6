"""What a redraw cannot draw from the store: a mode the run did not compute (``map --mode car``:
only the roads are read and only that mode is routed, with
:func:`~tcm_coverage.access.compute_access` on the stored demand points and facilities; then the
tables are rebuilt from the times), or a run without a store (a run of an older version), or one
whose inputs changed when the user allowed them (``--allow-changed-inputs``): the whole run is
recomputed from the inputs, as before the store (``complete_run(None, ...)``).

Kept apart from :mod:`~tcm_coverage.workflows.redraw` so that a plain redraw imports neither the
road reader nor the routing stack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

import pandas as pd

from tcm_coverage._validate import reading
from tcm_coverage.access import AccessResult, IsochroneOptions, compute_access
from tcm_coverage.i18n import label, text
from tcm_coverage.network import read_network
from tcm_coverage.workflows.config import AnalysisConfig
from tcm_coverage.workflows.pipeline import access_options, compute
from tcm_coverage.workflows.redraw import (
    Redraw,
    added_threshold_notes,
    missing_modes,
    redraw_run,
    retabulate,
    widened_config,
)
from tcm_coverage.workflows.run import AnalysisRun

logger = logging.getLogger(__name__)

__all__ = ["complete_run"]


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
                   routing=dict(new.routing), cells=dict(new.cells),
                   options=new.options if new.options == old.options else None)


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
    full = widened_config(config, modes, thresholds)  # e.g. an unknown mode, before any reading
    if run is None:
        return Redraw(run=compute(full, progress=progress), config=full, stored=False)
    new_modes = missing_modes(run, full.options.modes)
    if not new_modes:
        return redraw_run(run, config, thresholds=thresholds, on_note=on_note)
    note = text("workflows.store.route_modes", lang,
                modes=text("workflows.sep", lang).join(label("mode", m, lang) for m in new_modes))
    logger.info(note)
    if on_note is not None:
        on_note(note)
    run = _route_modes(run, config, new_modes, progress=progress)
    notes = (note, *added_threshold_notes(config, full, on_note=on_note))
    return Redraw(run=retabulate(run, full), config=full, stored=True, notes=notes)
