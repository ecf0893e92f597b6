"""The domain's words: facility sets, tiers, modes, the column-name contract and named constants.

Every layer (and the light CLI start-up) takes its words from here, so this module imports
nothing. Labels for people (Chinese and English) live in :mod:`tcm_coverage.i18n`; this module
holds the machine names only.

Words used with one meaning each
--------------------------------
facility set
    A set of facilities a resident may want to reach (:data:`FACILITY_SETS`), e.g. ``tcm_any``
    (any TCM service point) or ``zhongyige`` (clinics with a 中医阁). Travel times are computed
    to the nearest facility of each set.
tier
    The level of a facility in the county medical community (:data:`TIERS`).
mode
    How residents travel (:data:`MODES`): a speed profile in :mod:`tcm_coverage.network`.
plan target
    A number a plan sets for an indicator (e.g. 中医阁 in 20 % of village clinics); see
    :class:`tcm_coverage.inputs.plans.PlanTarget`.

The column-name contract
------------------------
Demand-point tables carry one travel-time column per facility set and mode,
:func:`time_column` (``t_{facility_set}_{mode}``, minutes, ``inf`` when unreachable); coverage
tables carry one share column per threshold, :func:`share_column` (``share_within_{T}``, with
``_upper`` for the bound that counts unknown flags as yes). Build these names with the
functions, never by hand, so that a threshold of ``15.0`` and ``15`` name the same column.
"""

from __future__ import annotations

__all__ = [
    "DIRECT_OFFROAD_LIMIT_M",
    "DIRECT_OFFROAD_MAX_M",
    "EXPORT_CRS",
    "FACILITY_SETS",
    "HEADLINE_FACILITY_SET",
    "HEADLINE_MINUTES",
    "ISOCHRONE_FACILITY_SETS",
    "MIN_COMPONENT_M",
    "MODES",
    "OPTIONAL_FACILITY_SETS",
    "TIERS",
    "UPPER_SUFFIX",
    "coverage_flag_column",
    "share_column",
    "time_column",
]

#: The facility sets travel times are computed to (see :mod:`tcm_coverage.access.compute`).
FACILITY_SETS: tuple[str, ...] = ("tcm_any", "county_tcm", "zhongyiguan", "zhongyige", "primary_any",
                                  "tcm_any_upper")
#: Computed only when some 中医馆/中医阁 flag is unknown (the upper bound of ``tcm_any``).
OPTIONAL_FACILITY_SETS: tuple[str, ...] = ("tcm_any_upper",)
#: Facility sets that get isochrone rings (``primary_any`` is a what-if, not a service area).
ISOCHRONE_FACILITY_SETS: tuple[str, ...] = ("tcm_any", "zhongyiguan", "zhongyige", "county_tcm")
#: The facility set of the headline (the 15分钟中医药服务圈 counts any TCM service point).
HEADLINE_FACILITY_SET = "tcm_any"
#: The headline threshold in minutes (the 15-minute service circle).
HEADLINE_MINUTES = 15.0

#: Coordinate systems of the GeoPackage/GeoJSON exports (``--crs``): WGS-84 (default) or
#: CGCS2000 (China Geodetic Coordinate System 2000, EPSG:4490, what official submissions use).
#: The two agree to within a few centimetres, far below map scale and the inputs' accuracy, so the
#: coordinates are the same numbers; only the CRS the file declares differs.
EXPORT_CRS: dict[str, str] = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490"}

#: Facility tiers of the county medical community.
TIERS: tuple[str, ...] = ("county_tcm", "township_centre", "village_station", "other")

#: Travel modes in display order (walk, elderly walk, bicycle, e-bike, car).
MODES: tuple[str, ...] = ("walk", "walk_elderly", "bicycle", "ebike", "car")

#: Suffix of the share column that counts unknown 中医馆/中医阁 flags as yes.
UPPER_SUFFIX = "_upper"

#: Longest straight off-road walk from a point to a facility, in metres (default).
DIRECT_OFFROAD_MAX_M = 150.0
#: Largest value the option accepts: beyond a kilometre a straight line is a trip, not a leg.
DIRECT_OFFROAD_LIMIT_M = 1000.0
#: Smallest strongly connected road piece (metres of usable road) that points snap to,
#: besides the largest piece; smaller pieces are fragments.
MIN_COMPONENT_M = 1000.0


def time_column(facility_set: str, mode: str) -> str:
    """Name of the travel-time column (minutes) to ``facility_set`` by ``mode``.

    >>> time_column("tcm_any", "walk")
    't_tcm_any_walk'
    """
    return f"t_{facility_set}_{mode}"


def share_column(minutes: float, *, upper: bool = False) -> str:
    """Name of the column with the population share within ``minutes``.

    >>> share_column(15.0), share_column(15, upper=True), share_column(7.5)
    ('share_within_15', 'share_within_15_upper', 'share_within_7.5')
    """
    return f"share_within_{float(minutes):g}" + (UPPER_SUFFIX if upper else "")


def coverage_flag_column(minutes: float, mode: str) -> str:
    """Name of the 0/1 column of a demand-point layer: within ``minutes`` by ``mode``.

    >>> coverage_flag_column(15.0, "walk")
    'cov15_walk'
    """
    return f"cov{float(minutes):g}_{mode}"
