"""The pairs within a cutoff found once per run and shared by the stages that ask for them.

The capacity-aware coverage (:mod:`~tcm_coverage.access.capacity`) and the floating catchments
(:mod:`~tcm_coverage.access.catchment_areas`) both need every resident -> TCM point pair
within a time limit (:func:`~tcm_coverage.access.traveltime.od_pairs_within`), usually of the
same mode, the same facilities and the same limit (the headline 15 minutes by e-bike).
:class:`SharedRouting` is a run's routing per mode (it reads as ``AccessResult.routing``) that
remembers the pairs it has found: :func:`pairs_within` asks it first.

Why a narrower limit reuses a wider one exactly: a pair's time does not depend on the cutoff
(a Dijkstra cut at ``limit`` settles every node within it at the same distance as an uncut
one, and a pair is the minimum of its legs), so the pairs within ``a`` are the pairs within
``b >= a`` whose time is ``<= a``, with the same minutes and in the same order (demand, then
facility). ``tests/test_traveltime.py`` checks it against fresh searches.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from tcm_coverage.access.traveltime import ODPairs, od_pairs_within
from tcm_coverage.network import Routing

__all__ = ["SharedRouting", "pairs_within", "pairs_within_cutoff"]


@dataclass(frozen=True, eq=False)
class SharedRouting(Mapping[str, Routing]):
    """A run's routing per mode that keeps the pairs found on it (see the module docstring).

    Attributes
    ----------
    routing
        Mode -> :class:`~tcm_coverage.network.Routing` (``AccessResult.routing``).
    """

    routing: Mapping[str, Routing]
    _found: dict[tuple[str, bytes, float], ODPairs] = field(default_factory=dict, repr=False)

    def __getitem__(self, mode: str) -> Routing:
        return self.routing[mode]

    def __iter__(self) -> Iterator[str]:
        return iter(self.routing)

    def __len__(self) -> int:
        return len(self.routing)

    def pairs(self, mode: str, mask: np.ndarray, cutoff: float, *, direct_offroad_m: float) -> ODPairs:
        """The pairs of ``mode`` to the facilities of ``mask`` within ``cutoff``: those found
        before at a cutoff at least as long, narrowed, else a new search (kept for later).

        Parameters
        ----------
        mode
            A mode of the routing.
        mask
            (n_facilities,) bool over the routing's facility snap.
        cutoff
            Minutes.
        direct_offroad_m
            Longest straight off-road leg (metres).

        Returns
        -------
        ODPairs
            As :func:`~tcm_coverage.access.traveltime.od_pairs_within` of the masked facilities.
        """
        key = (mode, np.asarray(mask, bool).tobytes(), float(direct_offroad_m))
        found = self._found.get(key)
        if found is not None and found.cutoff >= cutoff:
            return pairs_within_cutoff(found, cutoff)
        route = self.routing[mode]
        od = od_pairs_within(route.graph, route.demand, route.facilities.take(np.asarray(mask, bool)),
                             cutoff, direct_offroad_m=direct_offroad_m)
        self._found[key] = od
        return od


def pairs_within_cutoff(od: ODPairs, cutoff: float) -> ODPairs:
    """The pairs of ``od`` within ``cutoff`` minutes (``cutoff <= od.cutoff``), order kept.

    Parameters
    ----------
    od
        Pairs within a longer (or the same) cutoff.
    cutoff
        Minutes.

    Returns
    -------
    ODPairs

    Raises
    ------
    ValueError
        ``cutoff`` longer than ``od.cutoff`` (the pairs beyond it were never found).
    """
    if cutoff > od.cutoff:
        raise ValueError(f"pairs within {od.cutoff:g} minutes cannot give those within {cutoff:g}")
    if cutoff == od.cutoff:
        return od
    keep = od.minutes <= cutoff
    return ODPairs(demand=od.demand[keep], facility=od.facility[keep], minutes=od.minutes[keep],
                   n_demand=od.n_demand, n_facility=od.n_facility, cutoff=float(cutoff))


def pairs_within(routing: Mapping[str, Routing], mode: str, mask: np.ndarray, cutoff: float, *,
                 direct_offroad_m: float) -> ODPairs:
    """The pairs of ``mode`` to the facilities of ``mask`` within ``cutoff`` minutes: from a
    :class:`SharedRouting` when given one (found once per run), else a new search.

    Parameters
    ----------
    routing
        Mode -> Routing (a :class:`SharedRouting` shares the pairs between stages).
    mode, mask, cutoff, direct_offroad_m
        As for :meth:`SharedRouting.pairs`.

    Returns
    -------
    ODPairs
    """
    if isinstance(routing, SharedRouting):
        return routing.pairs(mode, mask, cutoff, direct_offroad_m=direct_offroad_m)
    route = routing[mode]
    return od_pairs_within(route.graph, route.demand, route.facilities.take(np.asarray(mask, bool)),
                           cutoff, direct_offroad_m=direct_offroad_m)
