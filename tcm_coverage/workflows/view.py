"""What a run's maps show: the view (mode, threshold, facility set) checked against the run, the
layers, and the HTML coverage map. Apart from :mod:`~tcm_coverage.workflows.write` so that
``tcm-coverage map RUN`` imports the map builders only (no matplotlib, python-docx, openpyxl or
xlsxwriter).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from tcm_coverage.i18n import text
from tcm_coverage.outputs import (
    BASEMAPS,
    REFERRAL_LINE_COLOURS,
    MapCache,
    MapOptions,
    coverage_map,
    referral_layer,
)
from tcm_coverage.vocab import HEADLINE_FACILITY_SET
from tcm_coverage.workflows.config import AnalysisConfig
from tcm_coverage.workflows.mapview import check_view, map_layers
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.texts import source_lines

if TYPE_CHECKING:
    import folium

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


def referral_legend(lang: str) -> list[tuple[str, str]]:
    """Legend rows of the referral lines (car minutes clinic -> 中医馆)."""
    lows = [0.0, *(lim for lim, _ in REFERRAL_LINE_COLOURS[:-1])]
    return [(colour, text("outputs.dec_map_legend", lang, low=low, high=lim))
            if np.isfinite(lim) else (colour, text("outputs.dec_map_legend_beyond", lang, low=low))
            for low, (lim, colour) in zip(lows, REFERRAL_LINE_COLOURS, strict=True)]
