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
    "LAYER_FORMATS",
    "MIN_COMPONENT_M",
    "OWN_FACILITY_TOLERANCE_M",
    "MODES",
    "OPTIONAL_FACILITY_SETS",
    "RESIDENTS_PER_TCM_PHYSICIAN",
    "REFERRAL_MINUTES",
    "REFERRAL_MODES",
    "REFERRAL_RESIDENT_COLUMN",
    "REFERRAL_TARGETS",
    "SENSITIVITY_OFFROAD_FACTORS",
    "SENSITIVITY_SPEED_FACTORS",
    "SENSITIVITY_THRESHOLD_MINUTES",
    "TOWNSHIP_KINDS",
    "URBAN_KINDS",
    "TIERS",
    "UPPER_SUFFIX",
    "capacity_pop_column",
    "capacity_share_column",
    "coverage_flag_column",
    "mode_column",
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

#: How a run writes its heavy layers (``demand_points``, ``isochrones``): GeoPackage (``analyze``,
#: ``demo``), GeoParquet (``batch --layers full``) or not at all (``batch``'s default).
LAYER_FORMATS: tuple[str, ...] = ("gpkg", "parquet", "none")

#: Facility tiers of the county medical community.
TIERS: tuple[str, ...] = ("county_tcm", "township_centre", "village_station", "other")

#: Travel modes in display order (walk, elderly walk, bicycle, e-bike, car).
MODES: tuple[str, ...] = ("walk", "walk_elderly", "bicycle", "ebike", "car")

# --- referral chain, fairness, sensitivity (access/referral, access/fairness, access/sensitivity) ---
#: Minutes by car to the county TCM hospital of the referral check. No plan sets it
#: (docs/targets.md: "30-min drive coverage is a common local check"); ``--referral-minutes``.
REFERRAL_MINUTES = 30.0
#: Modes of the referral chain (village clinic -> 中医馆 centre -> county TCM hospital).
REFERRAL_MODES: tuple[str, ...] = ("car", "ebike")
#: Demand-point column (``demand_points.gpkg``): car minutes to the county TCM hospital (referral chain).
REFERRAL_RESIDENT_COLUMN = "county_tcm_car_min"
#: Facility sets a village clinic refers to, in the order of the chain.
REFERRAL_TARGETS: tuple[str, ...] = ("zhongyiguan", "county_tcm")
#: Township kinds by the suffix of the township's name (街道 urban, 镇 town, 乡 rural township),
#: checked in this order; a name with none of them is of unknown kind.
TOWNSHIP_KINDS: tuple[tuple[str, str], ...] = (("subdistrict", "街道"), ("town", "镇"), ("township", "乡"))
#: The kinds counted as urban in the 街道/乡镇 gap (the rest of the known kinds are rural).
URBAN_KINDS: tuple[str, ...] = ("subdistrict",)
#: Factors on every road speed of the headline mode (the documented ±20 %).
SENSITIVITY_SPEED_FACTORS: tuple[float, float] = (0.8, 1.2)
#: Factors on the off-road (home to road) speed of the headline mode (±20 %).
SENSITIVITY_OFFROAD_FACTORS: tuple[float, float] = (0.8, 1.2)
#: Minutes added to the headline threshold (±5 min).
SENSITIVITY_THRESHOLD_MINUTES: tuple[float, float] = (-5.0, 5.0)

#: Suffix of the share column that counts unknown 中医馆/中医阁 flags as yes.
UPPER_SUFFIX = "_upper"

#: Longest straight off-road walk from a point to a facility, in metres (default).
DIRECT_OFFROAD_MAX_M = 150.0
#: Largest value the option accepts: beyond a kilometre a straight line is a trip, not a leg.
DIRECT_OFFROAD_LIMIT_M = 1000.0
#: Smallest strongly connected road piece (metres of usable road) that points snap to,
#: besides the largest piece; smaller pieces are fragments.
MIN_COMPONENT_M = 1000.0
#: A facility this close to the county (outside its boundary line by at most this many metres)
#: is the county's own: boundary files and facility coordinates disagree by tens to hundreds of
#: metres. Farther ones serve residents across the line but are counted in their own county.
OWN_FACILITY_TOLERANCE_M = 500.0


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


def mode_column(column: str, mode: str) -> str:
    """Name of a coverage-table column of one mode in a wide layer (the township layer).

    >>> mode_column("share_within_15", "walk")
    'share_within_15_walk'
    """
    return f"{column}_{mode}"


# --- capacity-aware coverage (access/capacity.py) ---------------------------------------
#: Residents one TCM physician serves by default: 1,000 / 0.62 (Jilin City's 14th five-year
#: TCM plan: 0.62 TCM physicians per 1,000 residents by 2025; ``docs/targets.md``).
RESIDENTS_PER_TCM_PHYSICIAN: float = 1000.0 / 0.62


def capacity_share_column(minutes: float, *, upper: bool = False) -> str:
    """Name of the column with the population share within ``minutes`` *and* within the
    capacity of a TCM point (``_upper``: points of unknown capacity counted without limit).

    >>> capacity_share_column(15.0), capacity_share_column(15, upper=True)
    ('share_within_capacity_15', 'share_within_capacity_15_upper')
    """
    return f"share_within_capacity_{float(minutes):g}" + (UPPER_SUFFIX if upper else "")


def capacity_pop_column(minutes: float, *, upper: bool = False) -> str:
    """Name of the column with the residents within ``minutes`` and within capacity.

    >>> capacity_pop_column(15.0)
    'pop_within_capacity_15'
    """
    return f"pop_within_capacity_{float(minutes):g}" + (UPPER_SUFFIX if upper else "")


# -- residents 65+ (access/elderly.py) ------------------------------------------------------

#: Column of the number of residents 65+ on demand points and in the coverage tables.
POPULATION_65PLUS = "population_65plus"
#: The mode whose profile the residents 65+ walk with when ``walk`` is computed.
ELDERLY_MODES: dict[str, str] = {"walk": "walk_elderly"}


def elderly_column(column: str) -> str:
    """Name of the residents-65+ twin of a coverage column.

    >>> elderly_column("population"), elderly_column("pop_within_15")
    ('population_65plus', 'pop_65plus_within_15')
    >>> elderly_column(share_column(15, upper=True))
    'share_65plus_within_15_upper'
    """
    if column == "population":
        return POPULATION_65PLUS
    for head in ("pop_", "share_"):
        if column.startswith(head + "within_"):
            return head + "65plus_" + column[len(head):]
    raise ValueError(f"no 65+ column for {column!r}")
