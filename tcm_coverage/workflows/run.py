"""What a coverage run works on and what it produces: :class:`RunInputs` (the inputs, read)
and :class:`AnalysisRun` (travel times, tables, scorecards, files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tcm_coverage.access import AccessResult, CapacityServed, CoverageTables
from tcm_coverage.inputs import FunctionalRule
from tcm_coverage.outputs import Scorecard

if TYPE_CHECKING:  # a redraw's run has no roads: the reader is not imported for it
    import geopandas as gpd

    from tcm_coverage.network import RoadNetwork

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
    elderly
        Demand points of residents 65+ (``population`` = people 65+), or ``None``.
    """

    counties: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame | None
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    network: RoadNetwork
    elderly: gpd.GeoDataFrame | None = None
    functional_rule: FunctionalRule | None = None
    functional_profile: str | None = None


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
    capacity
        The capacity-aware coverage (:func:`tcm_coverage.access.capacity_served`), ``None``
        when not computed or no TCM point's capacity is known.
    referral_township
        The referral chain per county and township (:func:`tcm_coverage.access.referral_township_table`
        with a ``level`` column), or ``None``.
    referral_clinics
        The referral chain per village clinic (:attr:`tcm_coverage.access.ReferralChain.clinics`
        with ``township_code``, ``county_code``), or ``None``.
    fairness
        Gini, 街道/乡镇 gap and worst-three share per county and township
        (:func:`tcm_coverage.access.fairness_table`), or ``None``.
    lorenz
        The Lorenz curve of the headline travel time per county: ``code``, ``p``, ``lorenz``.
    sensitivity
        The headline share under each variation (:func:`tcm_coverage.access.sensitivity_table`),
        or ``None``.
    elderly
        Residents 65+ with their travel times (``t_{set}_{mode}``; walk at the elderly pace)
        and area codes (:func:`tcm_coverage.access.elderly_times`), or ``None`` without them.
    functional_rule
        The capability rule that decided which 中医馆/中医阁 counted
        (:mod:`tcm_coverage.inputs.functional`), or ``None`` (the flags alone).
    functional_profile
        The profile whose ``functional_rule`` it is (``None``: ``--functional-only``).
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
    capacity: CapacityServed | None = None
    # --- referral chain, fairness, sensitivity (issue 15) ---
    referral_township: pd.DataFrame | None = None
    referral_clinics: gpd.GeoDataFrame | None = None
    fairness: pd.DataFrame | None = None
    lorenz: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    elderly: gpd.GeoDataFrame | None = None
    functional_rule: FunctionalRule | None = None
    functional_profile: str | None = None
    counted: np.ndarray | None = None
