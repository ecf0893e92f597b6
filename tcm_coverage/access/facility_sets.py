"""The facility sets of a facility table: which facilities count as what (the rule of
:mod:`~tcm_coverage.access.compute`'s docstring; unknown 中医馆/中医阁 flags count as no except in
``tcm_any_upper``). Plain numpy over the table, so the tables, texts and scorecards that use the
masks import no routing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tcm_coverage.inputs import FunctionalRule, flag_values, functional_status

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["facility_set_masks", "functional_unknown", "unknown_flags"]


def unknown_flags(facilities: gpd.GeoDataFrame) -> np.ndarray:
    """Facilities whose TCM status is unknown: centres with an unknown 中医馆 flag and village
    clinics/stations with an unknown 中医阁 flag.

    Parameters
    ----------
    facilities
        Output of :func:`tcm_coverage.inputs.facilities.read_facilities`.

    Returns
    -------
    numpy.ndarray
        Boolean, aligned with ``facilities``.
    """
    tier = facilities["tier"].to_numpy()
    _, guan_unknown = flag_values(facilities, "zhongyiguan")
    _, ge_unknown = flag_values(facilities, "zhongyige")
    return ((tier == "township_centre") & guan_unknown) | ((tier == "village_station") & ge_unknown)


def functional_unknown(facilities: gpd.GeoDataFrame, functional: FunctionalRule | None) -> np.ndarray:
    """Centres flagged 中医馆 and clinics/stations flagged 中医阁 whose capability is unknown
    under ``functional`` (all ``False`` without a rule).

    Parameters
    ----------
    facilities
        Output of :func:`tcm_coverage.inputs.facilities.read_facilities`.
    functional
        The functional rule, or ``None``.

    Returns
    -------
    numpy.ndarray
        Boolean, aligned with ``facilities``.
    """
    if functional is None:
        return np.zeros(len(facilities), bool)
    tier = facilities["tier"].to_numpy()
    flagged = (((tier == "township_centre") & flag_values(facilities, "zhongyiguan")[0])
               | ((tier == "village_station") & flag_values(facilities, "zhongyige")[0]))
    return flagged & functional_status(facilities, functional)[1]


def facility_set_masks(facilities: gpd.GeoDataFrame, *, include_other: bool = False,
                       functional: FunctionalRule | None = None) -> dict[str, np.ndarray]:
    """Boolean masks over ``facilities`` for every facility set in :data:`FACILITY_SETS`.

    Unknown 中医馆/中医阁 flags count as no, except in ``tcm_any_upper`` (see the module
    docstring).

    Parameters
    ----------
    facilities
        Output of :func:`tcm_coverage.inputs.facilities.read_facilities`.
    include_other
        Count TCM clinics and outpatient departments (tier ``other`` with ``is_tcm_clinic``) as
        TCM service points. The plans count them "when the user says so".
    functional
        Count a 中医馆/中医阁 only when it meets this capability rule (unknown: not counted,
        except in ``tcm_any_upper``); ``None``: the flags alone.

    Returns
    -------
    dict of str to numpy.ndarray
        One boolean array per facility set, aligned with ``facilities``.
    """
    tier = facilities["tier"].to_numpy()
    county = tier == "county_tcm"
    guan = (tier == "township_centre") & flag_values(facilities, "zhongyiguan")[0]
    ge = (tier == "village_station") & flag_values(facilities, "zhongyige")[0]
    maybe = unknown_flags(facilities) | functional_unknown(facilities, functional)
    if functional is not None:
        works = functional_status(facilities, functional)[0]
        guan, ge = guan & works, ge & works
    tcm = county | guan | ge
    if include_other:
        tcm = tcm | ((tier == "other") & facilities["is_tcm_clinic"].to_numpy(bool))
    primary = (tier == "township_centre") | (tier == "village_station")
    return {"tcm_any": tcm, "county_tcm": county, "zhongyiguan": guan, "zhongyige": ge,
            "primary_any": primary, "tcm_any_upper": tcm | maybe}
