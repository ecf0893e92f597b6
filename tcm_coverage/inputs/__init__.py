"""Inputs: what the planner's files say, read and checked (coordinates, boundaries, facilities, population, plan profiles).

Modules: :mod:`~tcm_coverage.inputs.boundaries`, :mod:`~tcm_coverage.inputs.chinacrs`, :mod:`~tcm_coverage.inputs.datum_check`, :mod:`~tcm_coverage.inputs.facilities`, :mod:`~tcm_coverage.inputs.facility_area`, :mod:`~tcm_coverage.inputs.facility_review`, :mod:`~tcm_coverage.inputs.facility_rules`, :mod:`~tcm_coverage.inputs.facility_types`, :mod:`~tcm_coverage.inputs.indicators`, :mod:`~tcm_coverage.inputs.plans`, :mod:`~tcm_coverage.inputs.population`, :mod:`~tcm_coverage.inputs.population_raster`, :mod:`~tcm_coverage.inputs.demand`, :mod:`~tcm_coverage.inputs.functional`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tcm_coverage._lazy import lazy_face

if TYPE_CHECKING:  # the names below, for type checkers and editors (imported on first use)
    from tcm_coverage.inputs.boundaries import (
        CODE_ALIASES,
        NAME_ALIASES,
        PARENT_ALIASES,
        boundary_geometry,
        read_boundaries,
    )
    from tcm_coverage.inputs.chinacrs import (
        DATUM_ALIASES,
        DATUMS,
        bd09_to_gcj02,
        bd09_to_wgs84,
        convert,
        gcj02_to_bd09,
        gcj02_to_wgs84,
        in_china,
        normalize_datum,
        to_wgs84_frame,
        transform_geometries,
        wgs84_to_bd09,
        wgs84_to_gcj02,
    )
    from tcm_coverage.inputs.datum_check import (
        MARKED_GAP_M,
        MARKED_RATIO,
        MIN_POINTS,
        DatumFit,
        check_datum,
        check_inputs,
        nearest_road_distance,
    )
    from tcm_coverage.inputs.facilities import FacilityTable, load_facilities, read_facilities
    from tcm_coverage.inputs.facility_area import CountyFacilities, county_facilities
    from tcm_coverage.inputs.facility_review import review_sheet
    from tcm_coverage.inputs.facility_rules import (
        KIND_LABELS,
        RULES,
        TypeResult,
        TypeRule,
        clean_name,
        infer_type,
        poi_source,
        rules_markdown,
        split_categories,
    )
    from tcm_coverage.inputs.facility_types import (
        COLUMN_ALIASES,
        KIND_TIER,
        TYPE_NAMES,
        accepted_types,
        classify_types,
    )
    from tcm_coverage.inputs.flags import flag_values
    from tcm_coverage.inputs.functional import (
        CAPABILITY_COLUMNS,
        DEFAULT_FUNCTIONAL_RULE,
        FunctionalRule,
        functional_status,
        parse_functional_rule,
        services_status,
        staff_status,
    )
    from tcm_coverage.inputs.indicators import INDICATORS, MEASURES, IndicatorSpec
    from tcm_coverage.inputs.plans import (
        NO_NUMBER,
        PlanTarget,
        Profile,
        list_profiles,
        load_profile,
        parse_profile,
    )
    from tcm_coverage.inputs.population import (
        elderly_from_demand,
        points_from_polygons,
        points_from_table,
        read_population,
        read_population_65plus,
    )
    from tcm_coverage.inputs.population_raster import points_from_raster

__all__ = [
    "CAPABILITY_COLUMNS",
    "DEFAULT_FUNCTIONAL_RULE",
    "FunctionalRule",
    "functional_status",
    "parse_functional_rule",
    "services_status",
    "staff_status",
    "CODE_ALIASES",
    "COLUMN_ALIASES",
    "CountyFacilities",
    "DATUMS",
    "DATUM_ALIASES",
    "DatumFit",
    "FacilityTable",
    "INDICATORS",
    "IndicatorSpec",
    "KIND_LABELS",
    "KIND_TIER",
    "MARKED_GAP_M",
    "MARKED_RATIO",
    "MEASURES",
    "MIN_POINTS",
    "NAME_ALIASES",
    "NO_NUMBER",
    "PARENT_ALIASES",
    "PlanTarget",
    "Profile",
    "RULES",
    "TYPE_NAMES",
    "TypeResult",
    "TypeRule",
    "accepted_types",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "boundary_geometry",
    "check_datum",
    "check_inputs",
    "classify_types",
    "clean_name",
    "convert",
    "county_facilities",
    "flag_values",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "infer_type",
    "list_profiles",
    "load_facilities",
    "load_profile",
    "nearest_road_distance",
    "normalize_datum",
    "parse_profile",
    "poi_source",
    "points_from_polygons",
    "points_from_raster",
    "points_from_table",
    "read_boundaries",
    "read_facilities",
    "elderly_from_demand",
    "read_population",
    "read_population_65plus",
    "review_sheet",
    "rules_markdown",
    "split_categories",
    "to_wgs84_frame",
    "transform_geometries",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

lazy_face(__name__)
