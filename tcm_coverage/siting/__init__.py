"""Site selection: where to add 中医阁 (TCM corners) or new village clinics.

A matrix-first core solved exactly with HiGHS: the instance (:mod:`~tcm_coverage.siting.instance`)
and its reduction (:mod:`~tcm_coverage.siting.reduction`), greedy plans
(:mod:`~tcm_coverage.siting.greedy`), the formulations as named constraint blocks
(:mod:`~tcm_coverage.siting.formulation`), the models on one skeleton
(:mod:`~tcm_coverage.siting.models`, :mod:`~tcm_coverage.siting.skeleton`; with capacities
:mod:`~tcm_coverage.siting.capacitated`) and their result
(:mod:`~tcm_coverage.siting.result`), per-township quotas (:mod:`~tcm_coverage.siting.quotas`)
and the ranked upgrade order (:mod:`~tcm_coverage.siting.order`); and a GeoDataFrame adapter
(:mod:`~tcm_coverage.siting.candidates`) that builds candidates and network travel times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tcm_coverage._lazy import lazy_face

if TYPE_CHECKING:  # the names below, for type checkers and editors (imported on first use)
    from tcm_coverage.siting.adapter import KnownTimes, chosen_sites, demand_after, siting_instance
    from tcm_coverage.siting.candidates import (
        CANDIDATE_ALIASES,
        CANDIDATE_COLUMNS,
        DEFAULT_COSTS,
        DemandSites,
        build_candidates,
        cluster_candidates,
    )
    from tcm_coverage.siting.capacitated import (
        CapacityData,
        capacitated_max_cover,
        capacitated_set_cover,
        capacity_data,
        served_within_capacity,
    )
    from tcm_coverage.siting.greedy import (
        GreedyResult,
        greedy_max_cover,
        greedy_median,
        greedy_set_cover,
    )
    from tcm_coverage.siting.instance import (
        CandidateColumns,
        SitingInstance,
        coverage_after,
        instance_from_matrix,
        instance_from_od,
        make_instance,
        minutes_after,
    )
    from tcm_coverage.siting.models import (
        default_unreached_minutes,
        maximal_covering,
        p_median,
        set_covering,
        upgrade_or_build,
    )
    from tcm_coverage.siting.order import ORDER_BY, UpgradeOrder, upgrade_order, year_of_steps
    from tcm_coverage.siting.quotas import (
        QuotaProblem,
        TownshipQuotas,
        check_quotas,
        quota_problems,
        quota_violations,
        township_quotas,
    )
    from tcm_coverage.siting.reduction import (
        ReducedInstance,
        ReductionStats,
        reduce_covering,
        reduce_median,
    )
    from tcm_coverage.siting.result import SitingResult

__all__ = [
    "CANDIDATE_ALIASES",
    "CANDIDATE_COLUMNS",
    "DEFAULT_COSTS",
    "CandidateColumns",
    "CapacityData",
    "DemandSites",
    "ORDER_BY",
    "GreedyResult",
    "KnownTimes",
    "QuotaProblem",
    "ReducedInstance",
    "ReductionStats",
    "SitingInstance",
    "SitingResult",
    "TownshipQuotas",
    "UpgradeOrder",
    "build_candidates",
    "capacitated_max_cover",
    "capacitated_set_cover",
    "capacity_data",
    "check_quotas",
    "chosen_sites",
    "cluster_candidates",
    "coverage_after",
    "default_unreached_minutes",
    "demand_after",
    "greedy_max_cover",
    "greedy_median",
    "greedy_set_cover",
    "instance_from_matrix",
    "instance_from_od",
    "make_instance",
    "maximal_covering",
    "minutes_after",
    "p_median",
    "quota_problems",
    "quota_violations",
    "reduce_covering",
    "reduce_median",
    "served_within_capacity",
    "set_covering",
    "siting_instance",
    "township_quotas",
    "upgrade_or_build",
    "upgrade_order",
    "year_of_steps",
]

lazy_face(__name__)
