"""The decision tables of a run (issue 15): the referral chain, fairness and the sensitivity band
of the headline, computed from the run's travel times and routing.

:func:`decision_tables` returns the :class:`~tcm_coverage.workflows.run.AnalysisRun` fields
``referral_township``, ``referral_clinics``, ``fairness``, ``lorenz`` and ``sensitivity``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from tcm_coverage.access import (
    AccessOptions,
    AccessResult,
    assign_areas,
    facility_set_masks,
    fairness_table,
    lorenz_points,
    referral_chain,
    referral_township_table,
    sensitivity_table,
)
from tcm_coverage.vocab import HEADLINE_FACILITY_SET, time_column
from tcm_coverage.workflows.config import AnalysisConfig
from tcm_coverage.workflows.run import RunInputs

logger = logging.getLogger(__name__)

__all__ = ["decision_tables"]


def _referral(config: AnalysisConfig, inputs: RunInputs, access: AccessResult, dem: pd.DataFrame,
              options: AccessOptions, counted: np.ndarray | None) -> dict[str, Any]:
    chain = referral_chain(access, inputs.network, minutes=config.options.referral_minutes, options=options)
    clinics = chain.clinics
    if counted is not None:  # the clinics of the neighbours serve no one here
        village = (access.facilities["tier"] == "village_station").to_numpy(bool)
        clinics = clinics[np.asarray(counted, bool)[village]].reset_index(drop=True)
        chain = chain.__class__(clinics=clinics, resident_minutes=chain.resident_minutes, minutes=chain.minutes)
    clinics = clinics.copy()
    clinics.insert(2, "county_code", assign_areas(clinics, inputs.counties))
    pop = dem["population"].to_numpy(float)
    parts = [referral_township_table(chain, clinic_codes=clinics["county_code"].to_numpy(),
                                     demand_codes=dem["county_code"].to_numpy(), population=pop,
                                     areas=inputs.counties).assign(level="county")]
    if inputs.townships is not None:
        clinics.insert(3, "township_code", assign_areas(clinics, inputs.townships))
        parts.append(referral_township_table(chain, clinic_codes=clinics["township_code"].to_numpy(),
                                             demand_codes=dem["township_code"].to_numpy(), population=pop,
                                             areas=inputs.townships).assign(level="township"))
    table = pd.concat(parts, ignore_index=True)
    table.insert(0, "level", table.pop("level"))
    return {"referral_township": table, "referral_clinics": clinics, "resident_minutes": chain.resident_minutes}


def _fairness(config: AnalysisConfig, inputs: RunInputs, dem: pd.DataFrame) -> dict[str, Any]:
    opts = config.options
    minutes = dem[time_column(HEADLINE_FACILITY_SET, opts.headline_mode)].to_numpy(float)
    pop = dem["population"].to_numpy(float)
    towns = inputs.townships
    table = fairness_table(minutes, pop, county_codes=dem["county_code"].to_numpy(), counties=inputs.counties,
                           threshold=opts.headline_threshold,
                           township_codes=None if towns is None else dem["township_code"].to_numpy(),
                           townships=towns)
    codes = dem["county_code"].astype(str).to_numpy()
    lorenz = pd.concat([lorenz_points(minutes[codes == c], pop[codes == c]).assign(code=c)
                        for c in inputs.counties["code"].astype(str)], ignore_index=True)
    return {"fairness": table, "lorenz": lorenz[["code", "p", "lorenz"]]}


def _sensitivity(config: AnalysisConfig, inputs: RunInputs, access: AccessResult, dem: pd.DataFrame,
                 options: AccessOptions) -> dict[str, Any]:
    opts = config.options
    route = access.routing.get(opts.headline_mode)
    if route is None:
        return {"sensitivity": None}
    mask = facility_set_masks(access.facilities, include_other=options.include_other)[HEADLINE_FACILITY_SET]
    names = dict(zip(inputs.counties["code"].astype(str), inputs.counties["name"].astype(str), strict=True))
    # the run's headline times are these very times when its facility set is this one (no functional rule)
    routed = facility_set_masks(access.facilities, include_other=options.include_other,
                                functional=options.functional)[HEADLINE_FACILITY_SET]
    column = time_column(HEADLINE_FACILITY_SET, opts.headline_mode)
    known = dem[column].to_numpy(float) if np.array_equal(mask, routed) and column in dem else None
    table = sensitivity_table(route, mask, dem["population"].to_numpy(float), dem["county_code"].to_numpy(),
                              threshold=opts.headline_threshold, direct_offroad_m=options.direct_offroad_m,
                              names=names, minutes=known)
    table = table[table["code"].isin(list(names))].reset_index(drop=True)  # not residents outside
    return {"sensitivity": table}


def decision_tables(config: AnalysisConfig, inputs: RunInputs, access: AccessResult, dem: pd.DataFrame, *,
                    options: AccessOptions, counted: np.ndarray | None = None) -> dict[str, Any]:
    """The referral chain, fairness and sensitivity fields of an :class:`AnalysisRun`.

    Parameters
    ----------
    config
        The run's configuration (headline mode and threshold, ``referral_minutes``).
    inputs
        The run's areas, facilities and roads.
    access
        The run's travel times and routing.
    dem
        ``access.demand`` with ``county_code`` (and ``township_code``).
    options
        The run's routing options.
    counted
        The facilities that belong to these counties (default: all).

    Returns
    -------
    dict
        ``referral_township``, ``referral_clinics``, ``fairness``, ``lorenz``, ``sensitivity``, and
        ``resident_minutes`` ((k,) car minutes of each demand point to the county TCM hospital,
        not a run field: the pipeline puts it on the demand points).
    """
    out: dict[str, Any] = {}
    out.update(_referral(config, inputs, access, dem, options, counted))
    out.update(_fairness(config, inputs, dem))
    out.update(_sensitivity(config, inputs, access, dem, options))
    return out
