"""Site selection: where to add 中医阁 (TCM corners) or new village clinics.

A matrix-first core (:mod:`~tcm_coverage.siting.instance`, :mod:`~tcm_coverage.siting.greedy`,
:mod:`~tcm_coverage.siting.models`) solved exactly with HiGHS, and a GeoDataFrame adapter
(:mod:`~tcm_coverage.siting.candidates`) that builds candidates and network travel times.
"""

from tcm_coverage.siting.greedy import (
    GreedyResult,
    greedy_max_cover,
    greedy_median,
    greedy_set_cover,
)
from tcm_coverage.siting.instance import (
    ReducedInstance,
    ReductionStats,
    SitingInstance,
    coverage_after,
    instance_from_matrix,
    instance_from_od,
    make_instance,
    minutes_after,
    reduce_covering,
    reduce_median,
)
from tcm_coverage.siting.models import (
    SitingResult,
    maximal_covering,
    p_median,
    set_covering,
    upgrade_or_build,
)

__all__ = [
    "GreedyResult",
    "ReducedInstance",
    "ReductionStats",
    "SitingInstance",
    "SitingResult",
    "coverage_after",
    "greedy_max_cover",
    "greedy_median",
    "greedy_set_cover",
    "instance_from_matrix",
    "instance_from_od",
    "make_instance",
    "maximal_covering",
    "minutes_after",
    "p_median",
    "reduce_covering",
    "reduce_median",
    "set_covering",
    "upgrade_or_build",
]
