"""What a run's maps show: the view (mode, threshold, facility set) checked against the run, the
layers, and the HTML coverage map. Apart from :mod:`~tcm_coverage.workflows.write` so that
``tcm-coverage map RUN`` imports the map builders only (no matplotlib, python-docx or openpyxl).
"""

from __future__ import annotations

import dataclasses
from datetime import date

import folium
import numpy as np

from tcm_coverage._errors import InputError
from tcm_coverage.i18n import text
from tcm_coverage.outputs import (
    BASEMAPS,
    REFERRAL_LINE_COLOURS,
    MapCache,
    MapLayers,
    MapOptions,
    coverage_map,
    referral_layer,
)
from tcm_coverage.vocab import FACILITY_SETS, HEADLINE_FACILITY_SET
from tcm_coverage.workflows.config import AnalysisConfig
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.texts import source_lines

__all__ = ["build_map", "check_view", "map_layers", "referral_legend"]


def build_map(run: AnalysisRun, config: AnalysisConfig, *, mode: str | None = None,
              threshold: float | None = None, facility_set: str = HEADLINE_FACILITY_SET,
              compact: bool = False, cache: MapCache | None = None) -> folium.Map:
    """The coverage map of a computed run (see :func:`tcm_coverage.outputs.maps.coverage_map`).

    Parameters
    ----------
    run
        From :func:`~tcm_coverage.workflows.pipeline.compute` or
        :func:`~tcm_coverage.workflows.pipeline.run_analysis`.
    config
        Its configuration (language, basemap, sources).
    mode, threshold, facility_set
        What to show (default: the headline mode and threshold, any TCM service point).
    compact
        The embedded variant for the report (collapsed layer control, no title block).
    cache
        Shared by the maps of one run and view (``map.html`` and the report's map), so each
        layer is prepared once (see :class:`~tcm_coverage.outputs.MapCache`).

    Returns
    -------
    folium.Map
    """
    mode, thr = check_view(config, mode, threshold, facility_set)
    rendering = config.rendering
    layers = map_layers(run)
    referral = (None if run.referral_clinics is None else  # clinic -> 中医馆 lines of the chain
                referral_layer(run.referral_clinics, run.access.facilities,
                               datum=BASEMAPS[rendering.basemap][3], lang=rendering.lang))
    if referral is not None:
        layers = dataclasses.replace(layers, extra_layers=[referral],
                                     extra_legend=referral_legend(rendering.lang))
    return coverage_map(layers,
                        mode=mode, threshold=thr, facility_set=facility_set,
                        options=MapOptions(lang=rendering.lang, basemap=rendering.basemap,
                                           tianditu_key=rendering.tianditu_key,
                                           sources=source_lines(config),
                                           run_date=date.today().isoformat(), compact=compact),
                        cache=cache)


def map_layers(run: AnalysisRun) -> MapLayers:
    """The layers of a run's maps (the HTML map and the print plates draw the same)."""
    return MapLayers(counties=run.counties, townships=run.townships,
                     township_table=run.tables.township, facilities=run.access.facilities,
                     demand=run.access.demand, isochrones=run.access.isochrones,
                     fca_areas=run.fca_areas)


def check_view(config: AnalysisConfig, mode: str | None, threshold: float | None,
               facility_set: str) -> tuple[str, float]:
    """The map's mode and threshold (default: the headline ones), refused when not computed."""
    opts = config.options
    mode = mode or opts.headline_mode
    if mode not in opts.modes:
        raise InputError(f"mode {mode!r} was not computed in this run",
                         fix=f"use one of {list(opts.modes)} or rerun with --mode {mode}")
    if facility_set not in FACILITY_SETS:
        raise InputError(f"unknown target {facility_set!r}", fix=f"use one of {list(FACILITY_SETS)}")
    thr = opts.headline_threshold if threshold is None else float(threshold)
    if thr not in opts.thresholds:
        raise InputError(f"threshold {thr:g} was not computed in this run",
                         fix=f"use one of {[f'{t:g}' for t in opts.thresholds]} or rerun with it")
    return mode, thr


def referral_legend(lang: str) -> list[tuple[str, str]]:
    """Legend rows of the referral lines (car minutes clinic -> 中医馆)."""
    lows = [0.0, *(lim for lim, _ in REFERRAL_LINE_COLOURS[:-1])]
    return [(colour, text("outputs.dec_map_legend", lang, low=low, high=lim))
            if np.isfinite(lim) else (colour, text("outputs.dec_map_legend_beyond", lang, low=low))
            for low, (lim, colour) in zip(lows, REFERRAL_LINE_COLOURS, strict=True)]
