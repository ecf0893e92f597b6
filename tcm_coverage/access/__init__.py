"""Travel times and coverage: nearest-facility times per facility set and mode, isochrones, coverage tables, floating catchments.

Modules: :mod:`~tcm_coverage.access.areas`, :mod:`~tcm_coverage.access.capacity`, :mod:`~tcm_coverage.access.catchment_areas`, :mod:`~tcm_coverage.access.catchments`, :mod:`~tcm_coverage.access.checks`, :mod:`~tcm_coverage.access.compute`, :mod:`~tcm_coverage.access.elderly`, :mod:`~tcm_coverage.access.fairness`, :mod:`~tcm_coverage.access.coverage`, :mod:`~tcm_coverage.access.grouped`, :mod:`~tcm_coverage.access.isochrones`, :mod:`~tcm_coverage.access.shared_pairs`, :mod:`~tcm_coverage.access.traveltime`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tcm_coverage._lazy import lazy_face

if TYPE_CHECKING:  # the names below, for type checkers and editors (imported on first use)
    from tcm_coverage.access.areas import UNASSIGNED, area_codes, assign_areas, with_area_codes
    from tcm_coverage.access.capacity import (
        DEFAULT_RESIDENTS_PER_PHYSICIAN,
        allocate_capacity,
        allocate_capacity_by_threshold,
        capacity_columns,
        capacity_served,
        facility_capacity,
    )
    from tcm_coverage.access.catchment_areas import FCAMeasure, area_fca, network_fca
    from tcm_coverage.access.catchments import (
        DEFAULT_STEPS,
        METHODS,
        Catchment,
        FCAResult,
        fca_weights,
        two_step_fca,
    )
    from tcm_coverage.access.checks import (
        check_names,
        check_thresholds,
        check_time_columns,
        computed_times,
    )
    from tcm_coverage.access.compute import (
        IsochroneRings,
        IsochroneWork,
        compute_access,
        compute_isochrones,
        route_access,
        with_isochrones,
    )
    from tcm_coverage.access.coverage import (
        STAFF_COLUMNS,
        CoverageTables,
        access_summary,
        coverage_tables,
        facility_indicators,
        no_data_cells,
        no_data_facility_sets,
    )
    from tcm_coverage.access.elderly import elderly_routing, elderly_tables, elderly_times
    from tcm_coverage.access.facility_sets import (
        facility_set_masks,
        functional_unknown,
        unknown_flags,
    )
    from tcm_coverage.access.fairness import (
        fairness_table,
        lorenz_curve,
        lorenz_points,
        township_kind,
        weighted_gini,
    )
    from tcm_coverage.access.isochrones import (
        CellGrid,
        TravelTimeSurface,
        band_classes,
        band_columns,
        bands_frame,
        cell_grid,
        isochrone_bands,
        metric_area,
        surface_points,
        travel_time_surface,
    )
    from tcm_coverage.access.referral import (
        ReferralChain,
        referral_chain,
        referral_routing,
        referral_township_table,
    )
    from tcm_coverage.access.results import (
        AccessOptions,
        AccessResult,
        CapacityRule,
        CapacityServed,
        IsochroneOptions,
        sensitivity_band,
    )
    from tcm_coverage.access.sensitivity import ASSUMPTIONS, scaled_routing, sensitivity_table
    from tcm_coverage.access.shared_pairs import SharedRouting, pairs_within, pairs_within_cutoff
    from tcm_coverage.access.traveltime import (
        DIRECT_OFFROAD_LIMIT_M,
        DIRECT_OFFROAD_MAX_M,
        NearestResult,
        ODPairs,
        nearest_facility_times,
        node_times_to_nearest,
        od_pairs_within,
    )

__all__ = [
    "CellGrid",
    "band_classes",
    "band_columns",
    "bands_frame",
    "cell_grid",
    "ASSUMPTIONS",
    "AccessOptions",
    "AccessResult",
    "CapacityRule",
    "CapacityServed",
    "Catchment",
    "CoverageTables",
    "DEFAULT_RESIDENTS_PER_PHYSICIAN",
    "DEFAULT_STEPS",
    "DIRECT_OFFROAD_LIMIT_M",
    "DIRECT_OFFROAD_MAX_M",
    "FCAMeasure",
    "FCAResult",
    "IsochroneOptions",
    "IsochroneRings",
    "IsochroneWork",
    "METHODS",
    "NearestResult",
    "ODPairs",
    "ReferralChain",
    "STAFF_COLUMNS",
    "SharedRouting",
    "TravelTimeSurface",
    "UNASSIGNED",
    "access_summary",
    "allocate_capacity",
    "allocate_capacity_by_threshold",
    "area_codes",
    "area_fca",
    "assign_areas",
    "capacity_columns",
    "capacity_served",
    "check_names",
    "check_thresholds",
    "check_time_columns",
    "compute_access",
    "compute_isochrones",
    "computed_times",
    "coverage_tables",
    "facility_capacity",
    "elderly_routing",
    "elderly_tables",
    "elderly_times",
    "facility_indicators",
    "facility_set_masks",
    "fairness_table",
    "fca_weights",
    "functional_unknown",
    "isochrone_bands",
    "lorenz_curve",
    "lorenz_points",
    "metric_area",
    "nearest_facility_times",
    "network_fca",
    "no_data_cells",
    "no_data_facility_sets",
    "node_times_to_nearest",
    "od_pairs_within",
    "pairs_within",
    "pairs_within_cutoff",
    "referral_chain",
    "referral_routing",
    "referral_township_table",
    "route_access",
    "scaled_routing",
    "sensitivity_band",
    "sensitivity_table",
    "surface_points",
    "township_kind",
    "travel_time_surface",
    "two_step_fca",
    "unknown_flags",
    "weighted_gini",
    "with_area_codes",
    "with_isochrones",
]

lazy_face(__name__)
