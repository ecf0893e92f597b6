"""How sure is the headline? The headline share rerouted under documented variations.

The headline is the share of residents within the headline threshold (15 min) of a TCM service
point (``tcm_any``) by the headline mode. Each assumption is varied on its own, both ways, and
the routing is **rerun** (not approximated by a formula):

=============  ======================================  ==============================================
assumption     variation                               how it is rerun
=============  ======================================  ==============================================
``speed``      every road speed ×0.8 and ×1.2 (±20 %)  edge minutes ÷ factor on the run's graph
``offroad``    off-road speed ×0.8 and ×1.2 (±20 %)    the snaps' off-road minutes and the direct leg
``threshold``  the threshold −5 and +5 minutes         the same times counted against T ± 5
=============  ======================================  ==============================================

The snapping is reused (road speeds do not move a snap; the off-road speed only changes the
off-road minutes of each snap), so a variation costs one multi-source Dijkstra. The band is the
lowest and highest share over all variations (the headline itself inside it); the tornado table
ranks the assumptions by their swing (high − low share).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from tcm_coverage.access.grouped import Groups, group_codes, group_sums
from tcm_coverage.access.results import sensitivity_band
from tcm_coverage.access.traveltime import nearest_facility_times
from tcm_coverage.network import Routing, RoutingGraph, Snap
from tcm_coverage.vocab import (
    SENSITIVITY_OFFROAD_FACTORS,
    SENSITIVITY_SPEED_FACTORS,
    SENSITIVITY_THRESHOLD_MINUTES,
)

__all__ = ["ASSUMPTIONS", "scaled_routing", "sensitivity_band", "sensitivity_table"]

#: The assumptions varied, in the order of the table before ranking.
ASSUMPTIONS: tuple[str, ...] = ("speed", "offroad", "threshold")


def scaled_routing(route: Routing, *, speed_factor: float = 1.0, offroad_factor: float = 1.0) -> Routing:
    """The routing with every road speed × ``speed_factor`` and the off-road speed ×
    ``offroad_factor`` (new edge weights and off-road minutes; the snaps are kept).

    Parameters
    ----------
    route
        A mode's routing (:attr:`tcm_coverage.access.AccessResult.routing`).
    speed_factor, offroad_factor
        Factors (> 0) on the speeds.

    Returns
    -------
    Routing
    """
    rg = route.graph
    csr = rg.csr.copy()
    csr.data = csr.data / speed_factor
    profile = replace(rg.profile, offroad_kmh=rg.profile.offroad_kmh * offroad_factor)
    graph: RoutingGraph = replace(rg, csr=csr, edge_fwd_min=rg.edge_fwd_min / speed_factor,
                                  edge_bwd_min=rg.edge_bwd_min / speed_factor, profile=profile)

    def snap(s: Snap) -> Snap:
        return replace(s, offroad_min=s.offroad_min / offroad_factor)

    return Routing(graph=graph, demand=snap(route.demand), facilities=snap(route.facilities))


def _shares(minutes: np.ndarray, population: np.ndarray, groups: Groups, threshold: float) -> pd.Series:
    sums = group_sums(groups, np.column_stack([population, population * (minutes <= threshold)]))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(sums[:, 0] > 0, sums[:, 1] / np.where(sums[:, 0] > 0, sums[:, 0], 1.0), np.nan)
    return pd.Series(share, index=pd.Index(groups.labels, dtype=object))


def sensitivity_table(route: Routing, facilities: np.ndarray, population: np.ndarray, county_codes: np.ndarray,
                      *, threshold: float, direct_offroad_m: float,
                      names: Mapping[str, str] | None = None, minutes: np.ndarray | None = None) -> pd.DataFrame:
    """The headline share per county under each variation (the module docstring's table).

    Parameters
    ----------
    route
        The headline mode's routing of the run.
    facilities
        (n_facilities,) bool: the headline facility set (``tcm_any``).
    population, county_codes
        (k,) per demand point.
    threshold
        The headline threshold (minutes).
    direct_offroad_m
        The run's direct off-road leg (metres).
    names
        County code -> name.
    minutes
        (k,) the headline times already found on ``route`` to these facilities (the run's
        ``t_tcm_any_{mode}``), so the headline is not routed again; default: routed here.

    Returns
    -------
    pandas.DataFrame
        One row per county and assumption, largest swing first: ``code``, ``name``,
        ``assumption``, ``low_setting``, ``high_setting`` (the factor or the minutes),
        ``headline``, ``share_low``, ``share_high`` (the share under each setting), ``swing``
        (|share_high − share_low|).
    """
    codes = group_codes(np.asarray(county_codes).astype(str), drop=None)  # grouped once for every variation
    w = np.asarray(population, float)
    mask = np.asarray(facilities, bool)

    def routed(r: Routing) -> np.ndarray:
        if not mask.any():
            return np.full(len(w), np.inf)
        return nearest_facility_times(r.graph, r.demand, r.facilities.take(mask),
                                      direct_offroad_m=direct_offroad_m).minutes

    base = routed(route) if minutes is None else np.asarray(minutes, float)
    headline = _shares(base, w, codes, threshold)
    runs = {
        "speed": [_shares(routed(scaled_routing(route, speed_factor=f)), w, codes, threshold)
                  for f in SENSITIVITY_SPEED_FACTORS],
        "offroad": [_shares(routed(scaled_routing(route, offroad_factor=f)), w, codes, threshold)
                    for f in SENSITIVITY_OFFROAD_FACTORS],
        "threshold": [_shares(base, w, codes, threshold + d) for d in SENSITIVITY_THRESHOLD_MINUTES],
    }
    settings = {"speed": SENSITIVITY_SPEED_FACTORS, "offroad": SENSITIVITY_OFFROAD_FACTORS,
                "threshold": tuple(threshold + d for d in SENSITIVITY_THRESHOLD_MINUTES)}
    rows = []
    for code in headline.index:
        for name in ASSUMPTIONS:
            lo, hi = (float(s[code]) for s in runs[name])
            rows.append({"code": code, "name": (names or {}).get(code, code), "assumption": name,
                         "low_setting": settings[name][0], "high_setting": settings[name][1],
                         "headline": float(headline[code]), "share_low": lo, "share_high": hi,
                         "swing": abs(hi - lo)})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values(["code", "swing"], ascending=[True, False], kind="stable").reset_index(drop=True)
