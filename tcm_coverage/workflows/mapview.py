"""What a run's maps show: the view (mode, threshold, facility set) checked against the run, and
the layers both the HTML map (:mod:`~tcm_coverage.workflows.view`) and the print plates
(:mod:`~tcm_coverage.workflows.plates`) draw; free of folium and matplotlib."""

from __future__ import annotations

from tcm_coverage._errors import InputError
from tcm_coverage.outputs import MapLayers
from tcm_coverage.vocab import FACILITY_SETS
from tcm_coverage.workflows.config import AnalysisConfig
from tcm_coverage.workflows.run import AnalysisRun

__all__ = ["check_view", "map_layers"]


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
