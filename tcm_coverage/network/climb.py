"""The climb rule of each travel mode (how grade changes its speed; see
:mod:`~tcm_coverage.network.terrain`), apart from the DEM reader so that what only names the rules
(the report's notes) does not import rasterio."""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CLIMB_RULES", "ClimbRule"]


@dataclass(frozen=True)
class ClimbRule:
    """How a mode's speed changes with the grade (see the module docstring).

    Attributes
    ----------
    kind : str
        ``"tobler"`` (scaled hiking function), ``"linear"`` (km/h lost per % of climb) or
        ``"none"``.
    kmh_per_pct : float
        ``"linear"``: km/h lost per percent of climb.
    min_kmh : float
        ``"linear"``: the slowest climbing speed (never above the flat speed).
    """

    kind: str
    kmh_per_pct: float = 0.0
    min_kmh: float = 0.0


#: The climb rule of each mode.
CLIMB_RULES: Mapping[str, ClimbRule] = types.MappingProxyType({
    "walk": ClimbRule("tobler"),
    "walk_elderly": ClimbRule("tobler"),
    "bicycle": ClimbRule("linear", kmh_per_pct=0.86, min_kmh=4.0),
    "ebike": ClimbRule("linear", kmh_per_pct=0.4, min_kmh=6.0),
    "car": ClimbRule("none"),
})
