r"""The siting models as MILPs, written as named constraint blocks.

Each block is one line of a model's formulation (see the docstrings of
:mod:`tcm_coverage.siting.models`) and builds the rows ``lower <= A x <= upper`` of that line
over the model's columns. The columns always start with the site variables ``y`` (one per
candidate of the reduced instance), then the model's own ones:

=================  ===========================  =========================================
model              columns                      blocks (row order)
=================  ===========================  =========================================
maximal covering   ``y | z``                    cover_rows, open_limit?, budget?, township_quota?
full set cover     ``y``                        cover_every_row, township_quota?
partial set cover  ``y | z``                    cover_rows, covered_weight, township_quota?
p-median           ``y | x (pairs) | s``        assignment, open_link, open_limit
capacitated cover  ``y | x (pairs) | u``        in :mod:`~tcm_coverage.siting.capacity_formulation`
=================  ===========================  =========================================

with ``z_i`` "row i newly covered", ``x_ij`` "row i goes to site j" over the listed pairs and
``s_i`` "row i stays with its existing facility (or stays unreached)"; in the capacitated
models ``x_ij`` / ``u_ie`` are the *shares* of row i served by site j / existing point e
(fractional assignment, :class:`~tcm_coverage.siting.capacity_formulation.CapacityData`). Site variables are
binary, forced ones fixed to 1; the others are continuous in [0, 1] (integral at an optimum
for integer ``y``).

A :class:`Formulation` also knows how to turn a set of open sites (the greedy plan) into a full
starting vector for the solver.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tcm_coverage.siting._highs import MipProblem
from tcm_coverage.siting.instance import SitingInstance
from tcm_coverage.siting.quotas import TownshipQuotas

__all__ = [
    "Formulation",
    "Rows",
    "assignment",
    "assemble",
    "budget",
    "cover_every_row",
    "cover_rows",
    "covered_weight",
    "max_cover_formulation",
    "median_formulation",
    "open_limit",
    "open_link",
    "set_cover_formulation",
    "single_row",
    "township_quota",
]


@dataclass(frozen=True, eq=False)
class Rows:
    """One named block of constraints ``lower <= a x <= upper``.

    Attributes
    ----------
    name : str
        The block's name (the line of the formulation it writes).
    a : scipy.sparse.csr_matrix
        (rows, columns) coefficients over all columns of the model.
    lower, upper : numpy.ndarray
        (rows,) bounds, infinite as ``±inf``.
    """

    name: str
    a: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True, eq=False)
class Formulation:
    """A siting MILP: the assembled problem, its blocks' names and a start builder.

    Attributes
    ----------
    problem : MipProblem
        The model handed to the solver.
    blocks : tuple of str
        Names of the row blocks, in row order.
    n_sites : int
        Number of site columns ``y`` (the first columns).
    start : callable
        ``start(y)`` with ``y`` the (n_sites,) 0/1 open sites: the full column vector.
    """

    problem: MipProblem
    blocks: tuple[str, ...]
    n_sites: int
    start: Callable[[np.ndarray], np.ndarray]


def single_row(values: np.ndarray) -> sp.csr_matrix:
    """A dense coefficient vector as a one-row sparse matrix (zeros left out)."""
    return sp.csr_matrix(np.asarray(values, dtype=np.float64)[None, :])


# --------------------------------------------------------------------------------------
# Blocks: one line of a formulation each
# --------------------------------------------------------------------------------------
def cover_rows(cover: sp.csr_matrix) -> Rows:
    r"""``z_i <= sum_{j in N_i} y_j`` for every row ``i``, over the columns ``y | z``.

    Parameters
    ----------
    cover
        (k, n) float covering matrix :math:`A_{ij} = [j \in N_i]`.

    Returns
    -------
    Rows
    """
    k = cover.shape[0]
    a = sp.hstack([-cover, sp.identity(k, format="csr")], format="csr")
    return Rows("cover_rows", a, np.full(k, -np.inf), np.zeros(k))


def cover_every_row(cover: sp.csr_matrix) -> Rows:
    r"""``sum_{j in N_i} y_j >= 1`` for every row ``i``, over the columns ``y``.

    Parameters
    ----------
    cover
        (k, n) float covering matrix.

    Returns
    -------
    Rows
    """
    k = cover.shape[0]
    return Rows("cover_every_row", cover, np.ones(k), np.full(k, np.inf))


def open_limit(n_sites: int, n_columns: int, p: int) -> Rows:
    """``sum_j y_j <= p``.

    Parameters
    ----------
    n_sites
        Number of site columns ``y`` (the first ones).
    n_columns
        Number of columns of the model.
    p
        Maximum number of open sites.

    Returns
    -------
    Rows
    """
    coef = np.concatenate([np.ones(n_sites), np.zeros(n_columns - n_sites)])
    return Rows("open_limit", single_row(coef), np.array([-np.inf]), np.array([float(p)]))


def budget(cost: np.ndarray, n_columns: int, limit: float) -> Rows:
    """``sum_j c_j y_j <= B``.

    Parameters
    ----------
    cost
        (n,) site costs :math:`c_j` (the first columns).
    n_columns
        Number of columns of the model.
    limit
        The budget :math:`B`.

    Returns
    -------
    Rows
    """
    coef = np.concatenate([cost, np.zeros(n_columns - cost.shape[0])])
    return Rows("budget", single_row(coef), np.array([-np.inf]), np.array([float(limit)]))


def covered_weight(weight: np.ndarray, n_sites: int, need: float) -> Rows:
    """``sum_i w_i z_i >= need`` over the columns ``y | z``.

    Parameters
    ----------
    weight
        (k,) row weights :math:`w_i`.
    n_sites
        Number of site columns ``y``.
    need
        Weight the new sites must cover (already lowered by the caller's tolerance).

    Returns
    -------
    Rows
    """
    coef = np.concatenate([np.zeros(n_sites), weight])
    return Rows("covered_weight", single_row(coef), np.array([need]), np.array([np.inf]))


def township_quota(quotas: TownshipQuotas, kind: np.ndarray, n_columns: int) -> Rows:
    r"""Per township ``T``: ``kmin_T <= sum_{j in T} y_j <= kmax_T`` and
    ``sum_{j in U_T} y_j + (1 - s) sum_{j in V_T} y_j >= s N_T - E_T`` (the share of village
    clinics with a 中医阁, :mod:`tcm_coverage.siting.quotas`), over the site columns ``y``.

    Only rows that bind something are written (a minimum > 0 or a finite maximum; a share row
    whose right-hand side is > 0).

    Parameters
    ----------
    quotas
        The quotas over the model's candidates (``quotas.member`` has one entry per site column).
    kind
        (n_sites,) candidate kinds.
    n_columns
        Number of columns of the model.

    Returns
    -------
    Rows
    """
    has = np.flatnonzero(quotas.member >= 0)
    town = quotas.member[has]
    count_rows = np.flatnonzero((quotas.min_sites > 0) | np.isfinite(quotas.max_sites))
    need = quotas.share_need()
    share_rows = np.flatnonzero(need > 0) if quotas.min_share is not None \
        else np.zeros(0, dtype=np.int64)
    # row r of the block: count rows first, then share rows
    count_pos = np.full(quotas.n_townships, -1)
    count_pos[count_rows] = np.arange(count_rows.size)
    share_pos = np.full(quotas.n_townships, -1)
    share_pos[share_rows] = count_rows.size + np.arange(share_rows.size)
    coef = quotas.share_coefficients(kind)[has]
    in_count, in_share = count_pos[town] >= 0, share_pos[town] >= 0
    rows = np.concatenate([count_pos[town][in_count], share_pos[town][in_share]])
    cols = np.concatenate([has[in_count], has[in_share]])
    vals = np.concatenate([np.ones(int(in_count.sum())), coef[in_share]])
    keep = vals != 0
    shape = (count_rows.size + share_rows.size, n_columns)
    a = sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=shape)
    lower = np.concatenate([quotas.min_sites[count_rows], need[share_rows]])
    upper = np.concatenate([quotas.max_sites[count_rows], np.full(share_rows.size, np.inf)])
    return Rows("township_quota", a, lower, upper)


def assignment(inst: SitingInstance) -> Rows:
    """``sum_j x_ij + s_i = 1`` for every row ``i``, over the columns ``y | x | s``.

    Parameters
    ----------
    inst
        The (reduced) instance: its pairs are the ``x`` columns.

    Returns
    -------
    Rows
    """
    n, k, m = inst.n_candidates, inst.n_demand, inst.n_pairs
    rows = np.concatenate([inst.pair_demand, np.arange(k)])
    cols = np.concatenate([n + np.arange(m), n + m + np.arange(k)])
    a = sp.csr_matrix((np.ones(m + k), (rows, cols)), shape=(k, n + m + k))
    return Rows("assignment", a, np.ones(k), np.ones(k))


def open_link(inst: SitingInstance) -> Rows:
    """``x_ij <= y_j`` for every listed pair ``(i, j)``, over the columns ``y | x | s``.

    Parameters
    ----------
    inst
        The (reduced) instance.

    Returns
    -------
    Rows
    """
    n, k, m = inst.n_candidates, inst.n_demand, inst.n_pairs
    ar_m = np.arange(m)
    a = sp.csr_matrix(
        (np.concatenate([np.ones(m), -np.ones(m)]),
         (np.concatenate([ar_m, ar_m]), np.concatenate([n + ar_m, inst.pair_candidate]))),
        shape=(m, n + m + k))
    return Rows("open_link", a, np.full(m, -np.inf), np.zeros(m))


def assemble(
    c: np.ndarray, blocks: list[Rows], *, forced: np.ndarray, maximize: bool
) -> tuple[MipProblem, tuple[str, ...]]:
    """Stack the blocks; the first ``len(forced)`` columns are the binary sites ``y``."""
    n, ncol = forced.shape[0], c.shape[0]
    a = blocks[0].a if len(blocks) == 1 else sp.vstack([b.a for b in blocks], format="csr")
    problem = MipProblem(
        c=c, a=a,
        row_lower=np.concatenate([b.lower for b in blocks]),
        row_upper=np.concatenate([b.upper for b in blocks]),
        col_lower=np.concatenate([forced.astype(np.float64), np.zeros(ncol - n)]),
        col_upper=np.ones(ncol),
        integer=np.concatenate([np.ones(n, dtype=bool), np.zeros(ncol - n, dtype=bool)]),
        maximize=maximize,
    )
    return problem, tuple(b.name for b in blocks)


def _cover_start(cover: sp.csr_matrix) -> Callable[[np.ndarray], np.ndarray]:
    """``y | z`` with ``z`` the rows the open sites cover."""
    return lambda y: np.concatenate([y, np.minimum(cover @ y, 1.0)])


# --------------------------------------------------------------------------------------
# The models
# --------------------------------------------------------------------------------------
def max_cover_formulation(
    inst: SitingInstance, *, p: int | None, limit: float | None,
    quotas: TownshipQuotas | None = None,
) -> Formulation:
    """Maximal covering: maximise ``sum_i w_i z_i`` (columns ``y | z``).

    Parameters
    ----------
    inst
        The reduced instance (no row already covered).
    p
        Maximum number of sites, or None.
    limit
        Budget, or None.
    quotas
        Per-township quotas over the candidates of ``inst``, or None.

    Returns
    -------
    Formulation
    """
    n, k = inst.n_candidates, inst.n_demand
    cover = inst.coverage().astype(np.float64)
    blocks = [cover_rows(cover)]
    if p is not None:
        blocks.append(open_limit(n, n + k, p))
    if limit is not None:
        blocks.append(budget(inst.cost, n + k, limit))
    if quotas is not None:
        blocks.append(township_quota(quotas, inst.kind, n + k))
    c = np.concatenate([np.zeros(n), inst.weight])
    problem, names = assemble(c, blocks, forced=inst.forced, maximize=True)
    return Formulation(problem=problem, blocks=names, n_sites=n, start=_cover_start(cover))


def set_cover_formulation(inst: SitingInstance, *, need: float | None,
                          quotas: TownshipQuotas | None = None) -> Formulation:
    """Set covering: minimise ``sum_j c_j y_j``, every row (``need`` None) or weight ``need``.

    Parameters
    ----------
    inst
        The reduced instance (costs already 1 when minimising the number of sites).
    need
        None: cover every row (columns ``y``). Otherwise the weight the new sites must cover
        (columns ``y | z``); a relative tolerance of 1e-9 is granted.
    quotas
        Per-township quotas over the candidates of ``inst``, or None.

    Returns
    -------
    Formulation
    """
    n, k = inst.n_candidates, inst.n_demand
    cover = inst.coverage().astype(np.float64)
    if need is None:
        full = [cover_every_row(cover)]
        if quotas is not None:
            full.append(township_quota(quotas, inst.kind, n))
        problem, names = assemble(inst.cost.copy(), full, forced=inst.forced, maximize=False)
        return Formulation(problem=problem, blocks=names, n_sites=n, start=lambda y: y)
    tol = 1e-9 * max(1.0, need)
    blocks = [cover_rows(cover), covered_weight(inst.weight, n, need - tol)]
    if quotas is not None:
        blocks.append(township_quota(quotas, inst.kind, n + k))
    c = np.concatenate([inst.cost, np.zeros(k)])
    problem, names = assemble(c, blocks, forced=inst.forced, maximize=False)
    return Formulation(problem=problem, blocks=names, n_sites=n, start=_cover_start(cover))


def median_formulation(inst: SitingInstance, *, p: int, base: np.ndarray) -> Formulation:
    """p-median: minimise ``sum_i w_i (sum_j t_ij x_ij + b_i s_i)`` (columns ``y | x | s``).

    Parameters
    ----------
    inst
        The reduced instance.
    p
        Maximum number of sites.
    base
        (k,) minutes :math:`b_i` of a row that stays (existing facility or the penalty).

    Returns
    -------
    Formulation
    """
    n, k, m = inst.n_candidates, inst.n_demand, inst.n_pairs
    blocks = [assignment(inst), open_link(inst), open_limit(n, n + m + k, p)]
    c = np.concatenate([np.zeros(n), inst.weight[inst.pair_demand] * inst.pair_minutes,
                        inst.weight * base])
    problem, names = assemble(c, blocks, forced=inst.forced, maximize=False)
    return Formulation(problem=problem, blocks=names, n_sites=n,
                       start=lambda y: _median_start(inst, y, base))


def _median_start(inst: SitingInstance, y: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Full start vector (y | x | s) for open sites ``y``: each row to its nearest open site."""
    k, m = inst.n_demand, inst.n_pairs
    x = np.zeros(m)
    s = np.ones(k)
    open_pair = np.flatnonzero(y[inst.pair_candidate] > 0)
    if open_pair.size:
        t = inst.pair_minutes[open_pair]
        d = inst.pair_demand[open_pair]
        order = np.lexsort((t, d))
        first = np.ones(order.size, dtype=bool)
        first[1:] = d[order][1:] != d[order][:-1]
        best_pair = open_pair[order[first]]
        better = inst.pair_minutes[best_pair] < base[inst.pair_demand[best_pair]]
        best_pair = best_pair[better]
        x[best_pair] = 1.0
        s[inst.pair_demand[best_pair]] = 0.0
    return np.concatenate([y, x, s])


# --------------------------------------------------------------------------------------
# Capacitated covering (siting/capacitated.py): blocks and the formulation
# --------------------------------------------------------------------------------------
