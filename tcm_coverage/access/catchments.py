"""Floating-catchment accessibility of TCM supply: 2SFCA, enhanced 2SFCA and Gaussian 2SFCA.

Coverage (share within 15 minutes) says *whether* residents reach a TCM service point; the
two-step floating catchment area (2SFCA) family says *how much* supply (e.g. TCM physicians)
each resident can reach once the people competing for it are counted.

Formulation
-----------
Demand point :math:`i` has population :math:`P_i`; facility :math:`j` has supply
:math:`S_j` (default: its TCM physicians, ``tcm_physicians``; 1 per facility when the facility
table has no such counts); :math:`d_{ij}` is the resident → facility travel time over the road
network and :math:`d_0` the catchment (``max_minutes``, inclusive: a pair at exactly
:math:`d_0` counts). With a distance-decay weight :math:`W`:

.. math::

    R_j = \\frac{S_j}{\\sum_{i:\\, d_{ij} \\le d_0} P_i \\, W(d_{ij})}
    \\qquad
    A_i = \\text{per} \\sum_{j:\\, d_{ij} \\le d_0} R_j \\, W(d_{ij})

:math:`A_i` is supply per ``per`` residents (default per 10,000: "TCM physicians per 10,000
residents within reach"). The weights:

* ``"2sfca"`` (Luo & Wang 2003): :math:`W = 1`.
* ``"e2sfca"`` (Luo & Qi 2009): stepped weights per travel-time zone, default
  ``((5, 1.0), (10, 0.68), (15, 0.22))``: :math:`W = 1` for :math:`0 \\le d \\le 5`,
  0.68 for :math:`5 < d \\le 10`, 0.22 for :math:`10 < d \\le 15`, 0 beyond the last break
  (upper bounds inclusive).
* ``"gaussian"`` (Gaussian 2SFCA): :math:`W = \\exp(-d^2 / (2\\sigma^2))`, cut at
  :math:`d_0`; default :math:`\\sigma = d_0 / 2` (weight 0.135 at :math:`d_0`).

The same weight is used in both steps, as in Luo & Qi (2009).

Conventions, checked against PySAL ``access`` 1.1 (``tests/test_accessibility.py`` compares
the numbers to floating-point tolerance): ``access.Access.two_stage_fca(max_cost=d0)``,
``enhanced_two_stage_fca(weight_fn=weights.step_fn({5: 1, 10: .68, 15: .22}))`` and
``two_stage_fca(max_cost=d0, weight_fn=weights.gaussian(sigma))`` give :math:`A_i / \\text{per}`.
Differences: when ``max_cost`` is given (2SFCA, Gaussian) ``access`` leaves a demand point with
no facility in reach out (NaN) where this module gives 0, as ``access``'s own E2SFCA does (its
step function weighs far pairs 0); a facility whose catchment holds no population has
:math:`R_j = 0` here (``access`` would divide by zero); ``access`` does not scale per
population. The Gaussian of Dai (2010), which reaches 0 at :math:`d_0`, is not the one
``access`` (and this module) uses.

The core (:func:`two_step_fca`) takes flat ``(demand index, facility index, minutes)`` arrays
and works with one sparse demand × facility weight matrix (``scipy.sparse``): two sparse
matrix–vector products, no Python loop over demand points or facilities. The network adapter
(:func:`tcm_coverage.access.catchment_areas.network_fca`) gets those arrays from
:func:`tcm_coverage.access.traveltime.od_pairs_within`;
:func:`tcm_coverage.access.catchment_areas.area_fca` aggregates per township
(population-weighted mean) for a choropleth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tcm_coverage._errors import InputError

__all__ = [
    "DEFAULT_STEPS",
    "METHODS",
    "Catchment",
    "FCAResult",
    "check_steps",
    "default_max_minutes",
    "fca_weights",
    "two_step_fca",
]

#: Methods of :func:`two_step_fca`.
METHODS: tuple[str, ...] = ("2sfca", "e2sfca", "gaussian")

#: Default E2SFCA zones: (upper bound in minutes, weight), bounds inclusive.
DEFAULT_STEPS: tuple[tuple[float, float], ...] = ((5.0, 1.0), (10.0, 0.68), (15.0, 0.22))


@dataclass(frozen=True)
class Catchment:
    """The catchment of :func:`two_step_fca` and its distance decay.

    Attributes
    ----------
    max_minutes
        Catchment :math:`d_0`, inclusive (default: last E2SFCA break, else 15).
    steps
        E2SFCA zones ``((upper minutes, weight), ...)``, default :data:`DEFAULT_STEPS`.
    sigma
        Gaussian width in minutes (default ``max_minutes / 2``).
    per
        Population unit of the result (default 10,000 residents).
    """

    max_minutes: float | None = None
    steps: Sequence[Sequence[float]] = DEFAULT_STEPS
    sigma: float | None = None
    per: float = 10_000.0


@dataclass(frozen=True)
class FCAResult:
    """Result of :func:`two_step_fca`.

    Attributes
    ----------
    access
        (n_demand,) supply reachable per ``per`` residents, :math:`A_i` (0 when nothing is in
        reach).
    ratio
        (n_facility,) :math:`R_j \\times` ``per``: supply per ``per`` residents of its
        weighted catchment (0 when the catchment holds no one).
    catchment_population
        (n_facility,) :math:`\\sum_i P_i W(d_{ij})`.
    method, max_minutes, per
        The parameters used.
    sigma
        Gaussian width (``None`` for the other methods).
    steps
        E2SFCA zones (``None`` for the other methods).
    """

    access: np.ndarray
    ratio: np.ndarray
    catchment_population: np.ndarray
    method: str
    max_minutes: float
    per: float
    sigma: float | None = None
    steps: tuple[tuple[float, float], ...] | None = None


def check_steps(steps: Sequence[Sequence[float]]) -> tuple[tuple[float, float], ...]:
    """E2SFCA zones as float pairs, when the bounds are positive and increasing and the weights
    >= 0 (else :class:`InputError`)."""
    try:
        out = tuple((float(b), float(w)) for b, w in steps)
    except (TypeError, ValueError) as exc:
        raise InputError(f"E2SFCA steps must be (minutes, weight) pairs, got {steps!r}",
                         fix="e.g. steps=((5, 1.0), (10, 0.68), (15, 0.22))") from exc
    breaks = np.array([b for b, _ in out])
    weights = np.array([w for _, w in out])
    if (not out or not np.all(np.isfinite(breaks)) or not np.all(np.isfinite(weights))
            or np.any(breaks <= 0) or np.any(np.diff(breaks) <= 0) or np.any(weights < 0)):
        raise InputError(
            f"E2SFCA steps {out!r}: upper bounds must be positive and increasing, weights >= 0",
            fix="e.g. steps=((5, 1.0), (10, 0.68), (15, 0.22))",
        )
    return out


def fca_weights(
    minutes: np.ndarray,
    method: str = "e2sfca",
    *,
    max_minutes: float | None = None,
    steps: Sequence[Sequence[float]] = DEFAULT_STEPS,
    sigma: float | None = None,
) -> np.ndarray:
    """Distance-decay weight of each travel time (0 beyond the catchment).

    Parameters
    ----------
    minutes
        Travel times, minutes.
    method
        ``"2sfca"``, ``"e2sfca"`` or ``"gaussian"`` (see the module docstring).
    max_minutes
        Catchment :math:`d_0` (inclusive). Default: the last E2SFCA break for ``"e2sfca"``,
        else 15.
    steps
        E2SFCA zones ``((upper minutes, weight), ...)``.
    sigma
        Gaussian width in minutes (default ``max_minutes / 2``).

    Returns
    -------
    numpy.ndarray
        Weights, same shape as ``minutes``.
    """
    t = np.asarray(minutes, dtype=float)
    if method not in METHODS:
        raise InputError(f"unknown accessibility method '{method}'",
                         fix=f"use one of {list(METHODS)}")
    d0 = default_max_minutes(method, max_minutes, steps)
    if method == "2sfca":
        w = np.ones_like(t)
    elif method == "e2sfca":
        st = check_steps(steps)
        breaks = np.array([b for b, _ in st])
        table = np.append([w for _, w in st], 0.0)
        w = table[np.searchsorted(breaks, t, side="left")]  # t == break -> that zone
    else:
        s = d0 / 2.0 if sigma is None else float(sigma)
        if not np.isfinite(s) or s <= 0:
            raise InputError(f"the Gaussian width sigma must be > 0 minutes, got {sigma!r}",
                             fix="e.g. sigma=7.5")
        w = np.exp(-t * t / (2.0 * s * s))
    return np.where(t <= d0, w, 0.0)


def default_max_minutes(method: str, max_minutes: float | None, steps: Sequence[Sequence[float]]) -> float:
    """The catchment :math:`d_0`: ``max_minutes``, else the last E2SFCA break for ``"e2sfca"``
    and 15 for the others (:class:`InputError` unless positive)."""
    if max_minutes is None:
        d0 = check_steps(steps)[-1][0] if method == "e2sfca" else 15.0
    else:
        d0 = float(max_minutes)
    if not np.isfinite(d0) or d0 <= 0:
        raise InputError(f"the catchment must be a positive number of minutes, got {max_minutes!r}",
                         fix="e.g. max_minutes=15")
    return d0


def two_step_fca(
    demand: np.ndarray,
    facility: np.ndarray,
    minutes: np.ndarray,
    population: np.ndarray,
    supply: np.ndarray,
    *,
    method: str = "e2sfca",
    catchment: Catchment | None = None,
) -> FCAResult:
    """Two-step floating catchment accessibility over a sparse demand × facility cost list.

    See the module docstring for the formulas. Pairs farther than ``max_minutes`` are ignored;
    a (demand, facility) pair listed twice keeps its shortest time.

    Parameters
    ----------
    demand, facility
        (m,) int indices of each pair into ``population`` and ``supply``.
    minutes
        (m,) resident → facility travel time of each pair (finite, >= 0).
    population
        (n_demand,) residents per demand point (>= 0).
    supply
        (n_facility,) supply per facility (>= 0), e.g. TCM physicians.
    method
        ``"2sfca"``, ``"e2sfca"`` (default) or ``"gaussian"``.
    catchment
        Catchment, E2SFCA zones, Gaussian width and population unit (default
        :class:`Catchment()`).

    Returns
    -------
    FCAResult

    Raises
    ------
    InputError
        Mismatched lengths, indices out of range, negative or missing numbers.
    """
    c = Catchment() if catchment is None else catchment
    max_minutes, steps, sigma, per = c.max_minutes, c.steps, c.sigma, c.per
    d = np.asarray(demand)
    f = np.asarray(facility)
    t = np.asarray(minutes, dtype=float)
    p = np.asarray(population, dtype=float)
    s = np.asarray(supply, dtype=float)
    if not (d.shape == f.shape == t.shape) or d.ndim != 1:
        raise InputError(f"demand, facility and minutes must be 1-D arrays of one length, got "
                         f"{d.shape}, {f.shape}, {t.shape}", fix="pass one entry per pair")
    nd, nf = p.size, s.size
    if d.size and (d.min() < 0 or d.max() >= nd or f.min() < 0 or f.max() >= nf):
        raise InputError(f"pair indices out of range (demand 0..{nd - 1}, facility 0..{nf - 1})",
                         fix="index pairs into the population and supply arrays given")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise InputError("travel times must be finite and >= 0",
                         fix="leave unreachable pairs out instead of giving them inf")
    for name, arr in (("population", p), ("supply", s)):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))[:10].tolist()
            raise InputError(f"{name} must be finite and >= 0 (bad at positions {bad})",
                             fix=f"fill the missing {name} counts, or drop those points")
    d0 = default_max_minutes(method, max_minutes, steps)
    d = d.astype(np.int64)
    f = f.astype(np.int64)
    key = d * max(nf, 1) + f
    if d.size and not (key[1:] > key[:-1]).all():  # pairs of od_pairs_within are sorted and unique already
        order = np.lexsort((t, f, d))
        d, f, t = d[order], f[order], t[order]
        first = np.ones(d.size, dtype=bool)
        first[1:] = (d[1:] != d[:-1]) | (f[1:] != f[:-1])
        keep = first & (t <= d0)
        d, f, t = d[keep], f[keep], t[keep]
    elif d.size:
        keep = t <= d0
        d, f, t = d[keep], f[keep], t[keep]
    w = fca_weights(t, method, max_minutes=d0, steps=steps, sigma=sigma)
    weight = sp.csr_matrix((w, (d, f)), shape=(nd, nf))
    catchment_pop = np.asarray(weight.T @ p, dtype=float).ravel()
    ratio = np.divide(s, catchment_pop, out=np.zeros(nf), where=catchment_pop > 0)
    access = per * np.asarray(weight @ ratio, dtype=float).ravel()
    return FCAResult(
        access=access, ratio=per * ratio, catchment_population=catchment_pop, method=method,
        max_minutes=d0, per=float(per),
        sigma=(d0 / 2.0 if sigma is None else float(sigma)) if method == "gaussian" else None,
        steps=check_steps(steps) if method == "e2sfca" else None,
    )
