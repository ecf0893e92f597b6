"""The capacitated covering models as MILP blocks (:func:`capacitated_formulation`).

Columns ``y | x (pairs) | u``: ``x_ij`` / ``u_ie`` the *shares* of row i served by candidate j /
existing point e (fractional assignment); the blocks ``assign_once``, ``open_link``,
``site_capacity``, ``existing_capacity`` (and ``open_limit``, ``budget`` or ``served_weight``) are
the lines of the formulations in :mod:`tcm_coverage.siting.capacitated`. Kept apart from
:mod:`~tcm_coverage.siting.formulation` (the uncapacitated blocks it reuses) so each stays one
topic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tcm_coverage.siting.formulation import (
    Formulation,
    Rows,
    assemble,
    budget,
    open_limit,
    single_row,
)
from tcm_coverage.siting.instance import SitingInstance

__all__ = ["CapacityData", "capacitated_formulation", "served_by_unlimited"]


@dataclass(frozen=True, eq=False)
class CapacityData:
    """Capacities of a capacitated siting model.

    Attributes
    ----------
    site : numpy.ndarray
        (n,) residents each candidate serves once opened (``inf``: no limit).
    existing : numpy.ndarray
        (E,) residents each existing TCM point serves (``inf``: no limit, e.g. unknown).
    existing_demand, existing_facility : numpy.ndarray
        (q,) int64 demand row and existing point of each pair *within the threshold*.
    """

    site: np.ndarray
    existing: np.ndarray
    existing_demand: np.ndarray
    existing_facility: np.ndarray


def served_by_unlimited(data: CapacityData, n_demand: int) -> np.ndarray:
    """(n_demand,) bool: rows within the threshold of an existing point of unlimited capacity.

    Parameters
    ----------
    data
        The capacities.
    n_demand
        Number of demand rows.

    Returns
    -------
    numpy.ndarray
    """
    out = np.zeros(n_demand, dtype=bool)
    out[data.existing_demand[~np.isfinite(data.existing)[data.existing_facility]]] = True
    return out


def _sum_rows(group: np.ndarray, column: np.ndarray, coef: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    return sp.csr_matrix((coef, (group, column)), shape=shape)


def capacitated_formulation(
    inst: SitingInstance, data: CapacityData, *, p: int | None, limit: float | None,
    need: float | None,
) -> Formulation:
    r"""Capacitated covering over the columns ``y | x | u`` (see :mod:`tcm_coverage.siting.capacitated`).

    ``x`` are the covering pairs (``t_ij <= T``) of ``inst`` with weight > 0, ``u`` the pairs
    of ``data`` to existing points of finite capacity; rows an unlimited existing point covers
    are served whatever is built and left out (the caller adds them as a constant).

    Parameters
    ----------
    inst
        The instance without excluded candidates (``unreduced_median``).
    data
        Capacities (``data.site`` over the candidates of ``inst``).
    p, limit
        Site count and budget (either may be None).
    need
        None: maximise the weight served. Otherwise minimise the cost subject to serving at
        least ``need`` (already net of the constant; a relative tolerance of 1e-9 is granted).

    Returns
    -------
    Formulation
        ``start(y)`` gives ``y`` with ``x = u = 0`` (feasible for the maximisation).
    """
    n, k = inst.n_candidates, inst.n_demand
    w = inst.weight
    unlimited = ~np.isfinite(data.existing)
    fixed = served_by_unlimited(data, k)
    xs = np.flatnonzero((inst.pair_minutes <= inst.threshold) & ~fixed[inst.pair_demand]
                        & (w[inst.pair_demand] > 0))
    us = np.flatnonzero(~unlimited[data.existing_facility] & ~fixed[data.existing_demand]
                        & (w[data.existing_demand] > 0))
    xd, xc = inst.pair_demand[xs], inst.pair_candidate[xs]
    ud, ue = data.existing_demand[us], data.existing_facility[us]
    m, q = xs.size, us.size
    ncol = n + m + q
    x_cols, u_cols = n + np.arange(m), n + m + np.arange(q)
    once = _sum_rows(np.r_[xd, ud], np.r_[x_cols, u_cols], np.ones(m + q), (k, ncol))
    blocks = [Rows("assign_once", once, np.full(k, -np.inf), np.ones(k))]
    link = _sum_rows(np.r_[np.arange(m), np.arange(m)], np.r_[x_cols, xc],
                     np.r_[np.ones(m), -np.ones(m)], (m, ncol))
    blocks.append(Rows("open_link", link, np.full(m, -np.inf), np.zeros(m)))
    finite = np.flatnonzero(np.isfinite(data.site))
    row_of = np.full(n, -1)
    row_of[finite] = np.arange(finite.size)
    cap_x = np.isfinite(data.site[xc])
    site = _sum_rows(np.r_[row_of[xc[cap_x]], np.arange(finite.size)],
                     np.r_[x_cols[cap_x], finite], np.r_[w[xd[cap_x]], -data.site[finite]],
                     (finite.size, ncol))
    blocks.append(Rows("site_capacity", site, np.full(finite.size, -np.inf), np.zeros(finite.size)))
    n_e = data.existing.shape[0]
    ex = _sum_rows(ue, u_cols, w[ud], (n_e, ncol))
    keep_e = ~unlimited
    blocks.append(Rows("existing_capacity", ex[np.flatnonzero(keep_e)], np.full(int(keep_e.sum()), -np.inf),
                       data.existing[keep_e]))
    if p is not None:
        blocks.append(open_limit(n, ncol, p))
    if limit is not None:
        blocks.append(budget(inst.cost, ncol, limit))
    served = np.r_[np.zeros(n), w[xd], w[ud]]
    if need is None:
        problem, names = assemble(served, blocks, forced=inst.forced, maximize=True)
    else:
        blocks.append(Rows("served_weight", single_row(served), np.array([need - 1e-9 * max(1.0, need)]),
                           np.array([np.inf])))
        problem, names = assemble(np.r_[inst.cost, np.zeros(m + q)], blocks, forced=inst.forced,
                                   maximize=False)
    return Formulation(problem=problem, blocks=names, n_sites=n,
                       start=lambda y: np.r_[y, np.zeros(m + q)])
