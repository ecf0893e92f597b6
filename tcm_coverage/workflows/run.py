"""What a coverage run works on and what it produces: :class:`RunInputs` (the inputs, read)
and :class:`AnalysisRun` (travel times, tables, scorecards, files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage.access import AccessResult, CoverageTables
from tcm_coverage.network import RoadNetwork
from tcm_coverage.outputs import Scorecard

__all__ = ["AnalysisRun", "RunInputs"]


@dataclass(frozen=True)
class RunInputs:
    """The inputs of a run, as the readers return them (e.g. cut from province-wide files).

    Attributes
    ----------
    counties
        County polygons (WGS-84).
    townships
        Township polygons, or ``None``.
    facilities
        The facility table (points).
    demand
        Demand points with ``population``.
    network
        The road network.
    """

    counties: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame | None
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    network: RoadNetwork


@dataclass(frozen=True)
class AnalysisRun:
    """What :func:`~tcm_coverage.workflows.pipeline.run_analysis` produced.

    Attributes
    ----------
    access
        Travel times per demand point (see :class:`tcm_coverage.access.compute.AccessResult`).
    tables
        Coverage tables (see :func:`tcm_coverage.access.coverage.coverage_tables`).
    files
        Output files, in the final folder.
    seconds
        Wall time per stage.
    counties, townships
        The area polygons (WGS-84).
    demand
        ``access.demand`` with ``county_code`` (and ``township_code``) columns, and the
        ``fca_*`` accessibility columns when computed.
    fca_areas
        Population-weighted mean accessibility per township (per county without townships).
    scorecards
        Profile name -> scorecard (:func:`tcm_coverage.outputs.scorecard.scorecard`).
    network
        The road network the run used (for site selection on the same roads).
    facility_review
        How each facility row was typed when types were inferred from a map-service POI export
        (:attr:`tcm_coverage.inputs.facilities.FacilityTable.review`), else ``None``.
    datum_check
        Median distances of facilities (and villages) to the nearest road under each datum
        (:func:`tcm_coverage.inputs.datum_check.check_inputs`), as written to ``run.json``.
    counted
        (len(access.facilities),) bool: the facilities counted in these counties' tables and
        scorecards (a batch county's neighbours serve residents but are not counted), or
        ``None``: all.
    """

    access: AccessResult
    tables: CoverageTables
    files: tuple[Path, ...]
    seconds: dict[str, float]
    counties: gpd.GeoDataFrame | None = None
    townships: gpd.GeoDataFrame | None = None
    demand: gpd.GeoDataFrame | None = None
    fca_areas: gpd.GeoDataFrame | None = None
    scorecards: dict[str, Scorecard] = field(default_factory=dict)
    network: RoadNetwork | None = None
    facility_review: pd.DataFrame | None = None
    datum_check: tuple[dict, ...] = ()
    counted: np.ndarray | None = None
