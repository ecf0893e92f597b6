"""Named constants of the domain that several layers (and the light CLI start-up) share.

This module imports nothing, so ``tcm-coverage --help`` can show the defaults without loading
the routing stack. The reasons for each number are in the docstrings of the modules that use
them (:mod:`tcm_coverage.traveltime`, :mod:`tcm_coverage.network`).
"""

from __future__ import annotations

__all__ = ["DIRECT_OFFROAD_LIMIT_M", "DIRECT_OFFROAD_MAX_M", "MIN_COMPONENT_M"]

#: Longest straight off-road walk from a point to a facility, in metres (default).
DIRECT_OFFROAD_MAX_M = 150.0
#: Largest value the option accepts: beyond a kilometre a straight line is a trip, not a leg.
DIRECT_OFFROAD_LIMIT_M = 1000.0
#: Smallest strongly connected road piece (metres of usable road) that points snap to,
#: besides the largest piece; smaller pieces are fragments.
MIN_COMPONENT_M = 1000.0
