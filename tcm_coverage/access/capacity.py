r"""Capacity-aware coverage: residents within the threshold *and* within a TCM point's capacity.

The plain coverage figure counts a resident as covered when some TCM service point is within
``T`` minutes, however many others it already serves. Here each TCM point :math:`j` has a
capacity :math:`C_j` (residents it can serve) and residents are allocated to the points
nearest-first; a resident counts only when allocated.

Capacity of a TCM point (:func:`facility_capacity`)
---------------------------------------------------
* the facility table's capacity column (``capacity``: 服务能力 / 服务人口 / 容量 / capacity,
  residents served) where filled; else
* its TCM staff × a residents-per-staff norm: by default the TCM physicians
  (``tcm_physicians``, 中医执业医师数, the supply of the E2SFCA accessibility) × 1,613
  residents per TCM physician (:data:`DEFAULT_RESIDENTS_PER_PHYSICIAN` = 1,000 / 0.62: Jilin
  City's 14th five-year TCM plan targets 0.62 TCM physicians per 1,000 residents by 2025, the
  one per-physician density among the plans in ``docs/targets.md``). The national and Jiangsu
  0.6–0.8 qualified TCM general practitioners per 10,000 residents is the other norm
  (``CapacityRule(staff="tcm_gps", residents_per_staff=12_500)``, 12,500–16,700 residents per
  TCM GP); it counts a different, much smaller staff group.
* Unknown capacity (no capacity cell and no staff count) is unknown, not 0 and not
  unlimited. The capacity-aware figure ``share_within_capacity_T`` leaves such points out: it
  is a **lower bound**; when some are unknown, ``share_within_capacity_T_upper`` counts them
  without limit (the plain figure's rule), so the truth lies between the two. A point with a
  staff count of 0 has capacity 0 (it has no TCM physician to serve anyone).

The allocation rule (:func:`allocate_capacity`; AccessMod's "catchment with capacity")
--------------------------------------------------------------------------------------
TCM points are processed one after another in **increasing capacity** (ties in table order);
each fills its catchment — the demand points within ``T`` minutes of it — in **increasing
travel time** to it (ties by demand point), taking each point's residents not yet served,
until its capacity is used (the last point it reaches may be served in part). Residents served
by an earlier point are not served twice. Points of unlimited capacity come last and serve
everyone left in their catchments. Small points (a 中医阁 with one physician) thus serve
their own villages first and the large ones (township centres, the county hospital) take what
is left within reach, so a large point's capacity is not spent on residents a small one
nearby would serve. The rule is a heuristic: the largest number that *could* be served within
the threshold and the capacities is a transportation LP (``tests`` check that the allocation
never exceeds it and equals a plain per-pair implementation).

Complexity: one sort of the ``m`` (demand, facility) pairs within the largest ``T``, then one
numpy pass over each facility's own pairs for every threshold at once (a facility's catchment
within ``T`` is the prefix of its pairs by time; :func:`allocate_capacity_by_threshold`) —
:math:`O(m \log m + F)` with :math:`F` the number of TCM points of finite capacity (a Python
loop over facilities, never over demand points; the sequential rule admits no other order).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage.access.checks import check_thresholds
from tcm_coverage.access.compute import facility_set_masks
from tcm_coverage.access.coverage import UNASSIGNED
from tcm_coverage.access.grouped import group_codes, group_sums
from tcm_coverage.access.results import CapacityRule, CapacityServed
from tcm_coverage.access.shared_pairs import pairs_within
from tcm_coverage.access.traveltime import DIRECT_OFFROAD_MAX_M
from tcm_coverage.network import Routing
from tcm_coverage.vocab import (
    HEADLINE_FACILITY_SET,
    RESIDENTS_PER_TCM_PHYSICIAN,
    capacity_pop_column,
    capacity_share_column,
)

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_RESIDENTS_PER_PHYSICIAN", "CapacityRule", "CapacityServed", "allocate_capacity",
           "allocate_capacity_by_threshold",
           "capacity_columns", "capacity_served", "facility_capacity"]

#: Residents per TCM physician: 1,000 / 0.62 (Jilin City's 2025 target of 0.62 TCM
#: physicians per 1,000 residents, ``docs/targets.md``).
DEFAULT_RESIDENTS_PER_PHYSICIAN: float = RESIDENTS_PER_TCM_PHYSICIAN


def _column(facilities: pd.DataFrame, name: str) -> np.ndarray:
    if name in facilities:
        return pd.to_numeric(facilities[name], errors="coerce").to_numpy(float)
    return np.full(len(facilities), np.nan)


def facility_capacity(facilities: pd.DataFrame, rule: CapacityRule | None = None) -> np.ndarray:
    """Residents each facility can serve: the capacity column, else staff × norm; NaN unknown.

    Parameters
    ----------
    facilities
        Facility table (e.g. from :func:`tcm_coverage.inputs.facilities.read_facilities`).
    rule
        Where the capacity comes from (default :class:`CapacityRule()`).

    Returns
    -------
    numpy.ndarray
        (n,) float64 residents, NaN where neither the capacity nor the staff is known.

    Raises
    ------
    InputError
        A residents-per-staff norm that is not a positive number.
    """
    r = CapacityRule() if rule is None else rule
    if not np.isfinite(r.residents_per_staff) or r.residents_per_staff <= 0:
        raise InputError(f"the residents per staff member must be > 0, got {r.residents_per_staff!r}",
                         fix=f"e.g. {DEFAULT_RESIDENTS_PER_PHYSICIAN:,.0f} residents per TCM physician")
    given = _column(facilities, r.column)
    staff = _column(facilities, r.staff) * float(r.residents_per_staff)
    return np.where(np.isfinite(given), given, staff)


def allocate_capacity(
    demand: np.ndarray,
    facility: np.ndarray,
    minutes: np.ndarray,
    population: np.ndarray,
    capacity: np.ndarray,
    *,
    threshold: float,
) -> np.ndarray:
    """Residents of each demand point served within ``threshold`` and the capacities.

    The rule of the module docstring: facilities in increasing capacity, each filling its
    catchment nearest-first until its capacity is used; unlimited (``inf``) ones last.

    Parameters
    ----------
    demand, facility
        (m,) int indices of each (demand point, facility) pair.
    minutes
        (m,) travel time of each pair (pairs beyond ``threshold`` are ignored; a pair listed
        twice keeps its shortest time).
    population
        (n_demand,) residents per demand point (>= 0).
    capacity
        (n_facility,) residents each facility serves, >= 0 or ``inf`` (no NaN: decide first
        what an unknown capacity means).
    threshold
        Minutes (inclusive).

    Returns
    -------
    numpy.ndarray
        (n_demand,) float64 residents served, ``0 <= served <= population``.

    Raises
    ------
    InputError
        Mismatched lengths, indices out of range, negative or NaN numbers.
    """
    return allocate_capacity_by_threshold(demand, facility, minutes, population, capacity,
                                          thresholds=(threshold,))[:, 0]


def allocate_capacity_by_threshold(
    demand: np.ndarray,
    facility: np.ndarray,
    minutes: np.ndarray,
    population: np.ndarray,
    capacity: np.ndarray,
    *,
    thresholds: Sequence[float],
) -> np.ndarray:
    """:func:`allocate_capacity` for several thresholds in one pass over the facilities.

    A facility's catchment within ``T`` is the prefix of its pairs sorted by time, so every
    threshold is a column of one allocation: the same numbers as one call per threshold.

    Parameters
    ----------
    demand, facility, minutes, population, capacity
        As for :func:`allocate_capacity`.
    thresholds
        Minutes (inclusive), one column each.

    Returns
    -------
    numpy.ndarray
        (n_demand, len(thresholds)) float64 residents served.

    Raises
    ------
    InputError
        Mismatched lengths, indices out of range, negative or NaN numbers.
    """
    d = np.asarray(demand, dtype=np.int64)
    f = np.asarray(facility, dtype=np.int64)
    t = np.asarray(minutes, dtype=float)
    pop = np.asarray(population, dtype=float)
    cap = np.asarray(capacity, dtype=float)
    ts = np.asarray(thresholds, dtype=float)
    _check_pairs(d, f, t, pop, cap)
    remaining = np.repeat(pop[:, None], ts.size, axis=1)
    keep = (t <= (ts.max() if ts.size else -np.inf)) & (cap[f] > 0)
    d, f, t = d[keep], f[keep], t[keep]
    key = d * max(cap.size, 1) + f
    if d.size and not (key[1:] > key[:-1]).all():  # a pair listed twice keeps its shortest time
        first = np.lexsort((t, f, d))
        d, f, t = d[first], f[first], t[first]
        once = np.r_[True, (d[1:] != d[:-1]) | (f[1:] != f[:-1])]
        d, f, t = d[once], f[once], t[once]
    # facilities by capacity, then index; within one, pairs by time, then demand point: the
    # pairs are in (demand, facility) order here, so a stable sort by time, then a stable
    # (radix) sort by the facility's rank, is that lexicographic order (2 sorts, not 4)
    by_time = np.argsort(t, kind="stable")
    rank = np.empty(cap.size, dtype=np.int64)
    rank[np.lexsort((np.arange(cap.size), cap))] = np.arange(cap.size)
    rank_t = rank[f[by_time]]
    order = by_time[np.argsort(rank_t.astype(np.int16) if cap.size < 2**15 else rank_t, kind="stable")]
    d, f, t = d[order], f[order], t[order]
    inside = t[:, None] <= ts[None, :]  # (pairs, thresholds): the catchment within each T
    unlimited = ~np.isfinite(cap[f])
    starts = np.flatnonzero(np.r_[True, f[1:] != f[:-1]] & ~unlimited)
    ends = np.r_[starts[1:], np.flatnonzero(~unlimited).size] if starts.size else starts
    for a, b in zip(starts, ends, strict=True):  # one numpy pass per facility of finite capacity
        idx = d[a:b]
        want = remaining[idx] * inside[a:b]
        before = np.cumsum(want, axis=0) - want
        remaining[idx] -= np.clip(cap[f[a]] - before, 0.0, want)  # each demand point once per facility
    rows, cols = np.nonzero(inside & unlimited[:, None])
    remaining[d[rows], cols] = 0.0
    return pop[:, None] - np.maximum(remaining, 0.0)


def _check_pairs(d: np.ndarray, f: np.ndarray, t: np.ndarray, pop: np.ndarray, cap: np.ndarray) -> None:
    if not (d.shape == f.shape == t.shape) or d.ndim != 1:
        raise InputError("demand, facility and minutes must be 1-D arrays of one length",
                         fix="pass one entry per pair")
    if d.size and (d.min() < 0 or d.max() >= pop.size or f.min() < 0 or f.max() >= cap.size):
        raise InputError("pair indices out of range", fix="index pairs into population and capacity")
    if np.isnan(cap).any() or (cap < 0).any() or not np.isfinite(pop).all() or (pop < 0).any():
        raise InputError("capacities must be >= 0 or inf and populations finite and >= 0",
                         fix="replace unknown capacities by 0 (left out) or inf (no limit) first")


def capacity_served(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    routing: Mapping[str, Routing],
    *,
    thresholds: Sequence[float],
    rule: CapacityRule | None = None,
    include_other: bool = False,
    direct_offroad_m: float = DIRECT_OFFROAD_MAX_M,
) -> CapacityServed | None:
    """:func:`allocate_capacity` over the road network, per mode and threshold.

    Parameters
    ----------
    demand
        Demand points with ``population`` (the rows of the routing's demand snap).
    facilities
        All facilities of the run (the rows of the routing's facility snap); the TCM service
        points (``tcm_any``) serve.
    routing
        Mode -> :class:`~tcm_coverage.network.Routing` (``AccessResult.routing``; a
        :class:`~tcm_coverage.access.shared_pairs.SharedRouting` shares the pairs within the
        largest threshold with the floating catchments).
    thresholds
        Minutes.
    rule
        Where capacities come from (default :class:`CapacityRule()`).
    include_other
        TCM clinics count as TCM service points (as in the travel times).
    direct_offroad_m
        Longest straight off-road leg (as in the travel times).

    Returns
    -------
    CapacityServed or None
        ``None`` when no TCM point's capacity is known (then there is no capacity-aware figure).
    """
    ts = check_thresholds(thresholds)
    r = CapacityRule() if rule is None else rule
    mask = facility_set_masks(facilities, include_other=include_other)[HEADLINE_FACILITY_SET]
    cap = facility_capacity(facilities[mask], r)
    known = np.isfinite(cap)
    if not known.any():
        return None
    pop = demand["population"].to_numpy(float)
    served: dict[tuple[str, float], np.ndarray] = {}
    upper: dict[tuple[str, float], np.ndarray] = {}
    for mode, rt in routing.items():
        if len(rt.demand) != len(demand) or len(rt.facilities) != len(facilities):
            raise InputError("the routing given does not match the demand points and facilities",
                             fix="pass AccessResult.routing of the same demand and facilities")
        od = pairs_within(routing, mode, mask, max(ts), direct_offroad_m=direct_offroad_m)
        lower = allocate_capacity_by_threshold(od.demand, od.facility, od.minutes, pop,
                                               np.where(known, cap, 0.0), thresholds=ts)
        high = None if known.all() else allocate_capacity_by_threshold(
            od.demand, od.facility, od.minutes, pop, np.where(known, cap, np.inf), thresholds=ts)
        for k, t in enumerate(ts):
            served[mode, t] = lower[:, k]
            if high is not None:
                upper[mode, t] = high[:, k]
    return CapacityServed(served=served, served_upper=upper, n_points=int(mask.sum()),
                          n_known=int(known.sum()), n_unknown=int((~known).sum()),
                          capacity_total=float(cap[known].sum()), rule=r)


def capacity_columns(table: pd.DataFrame, served: CapacityServed, codes: np.ndarray,
                     population: np.ndarray) -> pd.DataFrame:
    """``table`` (one row per area ``code`` and ``mode``) with the capacity-aware columns.

    Parameters
    ----------
    table
        A county or township table of :class:`~tcm_coverage.access.coverage.CoverageTables`.
    served
        From :func:`capacity_served`.
    codes
        (n_demand,) area code of each demand point (``""``: outside every area, left out).
    population
        (n_demand,) residents per demand point.

    Returns
    -------
    pandas.DataFrame
        A copy with ``pop_within_capacity_T`` and ``share_within_capacity_T`` per threshold
        (``..._upper`` too when some capacity is unknown), after the plain share columns; the
        share is over the area's population (NaN for an area with nobody).
    """
    groups = group_codes(np.asarray(codes), drop=UNASSIGNED)
    keys = [(upper, mode, t) for upper, values in ((False, served.served), (True, served.served_upper))
            for mode, t in values]
    if not keys:
        return table.copy()
    results = [(served.served_upper if upper else served.served)[mode, t] for upper, mode, t in keys]
    sums = group_sums(groups, np.column_stack([np.asarray(population, float), *results]))  # one pass
    pop, at_key = sums[:, 0], {key: sums[:, 1 + k] for k, key in enumerate(keys)}
    modes = list(dict.fromkeys(mode for _, mode, _ in keys))
    wide = pd.DataFrame({"code": np.tile(groups.labels, len(modes)), "mode": np.repeat(modes, groups.n)})
    columns: list[str] = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for upper, t in dict.fromkeys((u, t) for u, _, t in keys):  # the columns, in order
            blocks = [at_key.get((upper, mode, t), np.full(groups.n, np.nan)) for mode in modes]
            wide[capacity_pop_column(t, upper=upper)] = np.concatenate(blocks)
            wide[capacity_share_column(t, upper=upper)] = np.concatenate(
                [np.where(pop > 0, b / np.where(pop > 0, pop, 1.0), np.nan) for b in blocks])
            columns += [capacity_pop_column(t, upper=upper), capacity_share_column(t, upper=upper)]
    out = table.merge(wide, on=["code", "mode"], how="left")
    shares = [c for c in table.columns if c.startswith("share_within_")]
    at = list(table.columns).index(shares[-1]) + 1 if shares else len(table.columns)
    return out[list(table.columns[:at]) + list(columns) + list(table.columns[at:])]
