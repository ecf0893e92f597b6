r"""Per-township quotas for the covering models: at least / at most so many sites per township,
and at least a share of village clinics with a 中医阁 after the plan.

A :class:`TownshipQuotas` gives every candidate its township (``""``: none) and the limits per
township ``T``; with :math:`y_j` the open candidates, :math:`U_T` / :math:`V_T` the upgrade /
new-clinic candidates of ``T``, :math:`N_T` its village clinics now and :math:`E_T` those of
them that already have a 中医阁, the rows are (block ``township_quota`` of
:mod:`tcm_coverage.siting.formulation`)::

    sum_{j in T} y_j >= kmin_T                                          (min_sites)
    sum_{j in T} y_j <= kmax_T                                          (max_sites)
    sum_{j in U_T} y_j + (1 - s) sum_{j in V_T} y_j >= s N_T - E_T      (min_share s)

The share row is the linear form of ``(E_T + upgrades + new) / (N_T + new) >= s``: an upgrade
gives an existing clinic a 中医阁, a new clinic comes with one (it adds to both counts).

:func:`quota_problems` names, township by township and before any solve, the quotas a count
check already shows to be impossible (too few candidates, a maximum below the minimum or below
the forced sites, more sites needed than ``p``, the cheapest way to meet the minima above the
budget); :func:`check_quotas` raises them as one :class:`~tcm_coverage._errors.InputError`.
Nothing here loops in Python over candidates; the loops are over townships with a problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage.siting.greedy import GreedyResult
from tcm_coverage.siting.instance import SitingInstance
from tcm_coverage.siting.reduction import ReducedInstance

__all__ = ["QUOTA_INFEASIBLE", "QuotaProblem", "TownshipQuotas", "check_quotas", "quota_greedy_ok",
           "quota_notes", "quota_problems", "quota_violations", "township_quotas"]

_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class TownshipQuotas:
    """Quotas per township over the candidates of one instance (build with :func:`township_quotas`).

    Attributes
    ----------
    codes : tuple of str
        The townships (``T`` of them).
    names : tuple of str
        Their names (for messages; the code when unknown).
    member : numpy.ndarray
        (n,) int64 township position of each candidate, ``-1`` for none.
    min_sites, max_sites : numpy.ndarray
        (T,) float at least / at most so many sites (0 / ``inf``: no limit).
    min_share : float or None
        Target share ``s`` of village clinics with a 中医阁 after the plan.
    clinics, with_zhongyige : numpy.ndarray
        (T,) float village clinics now (:math:`N_T`) and those with a 中医阁 (:math:`E_T`).
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    member: np.ndarray
    min_sites: np.ndarray
    max_sites: np.ndarray
    min_share: float | None
    clinics: np.ndarray
    with_zhongyige: np.ndarray

    @property
    def n_townships(self) -> int:
        """Number of townships ``T``."""
        return len(self.codes)

    def share_need(self) -> np.ndarray:
        """(T,) right-hand side ``s N_T - E_T`` of the share rows (0 without a share)."""
        if self.min_share is None:
            return np.zeros(self.n_townships)
        return self.min_share * self.clinics - self.with_zhongyige

    def restricted(self, candidate_map: np.ndarray) -> TownshipQuotas:
        """The same quotas over a subset of the candidates (``candidate_map``: their indices)."""
        return replace(self, member=self.member[np.asarray(candidate_map, dtype=np.int64)])

    def share_coefficients(self, kind: np.ndarray) -> np.ndarray:
        """(n,) coefficient of each candidate in its township's share row (1 upgrade, 1 - s new)."""
        s = 0.0 if self.min_share is None else self.min_share
        return np.where(kind == "new", 1.0 - s, np.where(kind == "upgrade", 1.0, 0.0))


def _per_township(value: Any, codes: list[str], default: float, what: str) -> np.ndarray:
    """A number for every township from one number or a ``{code: number}`` mapping."""
    out = np.full(len(codes), default, dtype=np.float64)
    if value is None:
        return out
    if isinstance(value, Mapping):
        unknown = sorted(set(map(str, value)) - set(codes))
        if unknown:
            raise InputError(f"{what}: unknown township code(s) {unknown[:5]}",
                             fix=f"use codes of the township table, e.g. {codes[:3]}")
        pos = {c: i for i, c in enumerate(codes)}
        for code, v in value.items():
            out[pos[str(code)]] = float(v)
    else:
        out[:] = float(value)
    if np.isnan(out).any() or (out < 0).any():
        raise InputError(f"{what} must be numbers >= 0", fix=f"write e.g. {what} = 1")
    return out


def township_quotas(
    township: Any,
    *,
    min_sites: float | Mapping[str, float] | None = None,
    max_sites: float | Mapping[str, float] | None = None,
    min_share: float | None = None,
    clinics: Mapping[str, float] | None = None,
    with_zhongyige: Mapping[str, float] | None = None,
    names: Mapping[str, str] | None = None,
) -> TownshipQuotas:
    """Validated per-township quotas.

    Parameters
    ----------
    township
        (n,) township code of each candidate (``""`` or NaN: none, no quota applies).
    min_sites, max_sites
        At least / at most so many sites in every township (one number) or per township code.
    min_share
        Share in [0, 1] of village clinics with a 中医阁 after the plan, in every township.
    clinics, with_zhongyige
        Village clinics per township code now and those with a 中医阁 (needed with
        ``min_share``; townships missing count 0).
    names
        Township names by code, for messages.

    Returns
    -------
    TownshipQuotas
        Over the townships of ``township``, ``clinics`` and the mappings.
    """
    town = pd.Series(np.asarray(township, dtype=object)).fillna("").astype(str).to_numpy()
    if min_share is not None and not 0.0 <= float(min_share) <= 1.0:
        raise InputError(f"the share per township must lie in 0..1, got {min_share}",
                         fix="write e.g. min_share_per_township = 0.2 (20 %)")
    if min_share is not None and clinics is None:
        raise InputError("a share per township needs the village clinics per township",
                         fix="pass clinics= and with_zhongyige=")
    extra = [str(c) for m in (clinics, with_zhongyige, names, min_sites, max_sites)
             if isinstance(m, Mapping) for c in m]
    codes = sorted({c for c in town if c} | {c for c in extra if c})
    pos = {c: i for i, c in enumerate(codes)}
    member = np.array([pos.get(c, -1) for c in town], dtype=np.int64) if town.size \
        else np.zeros(0, dtype=np.int64)
    lo = _per_township(min_sites, codes, 0.0, "min_sites_per_township")
    hi = _per_township(max_sites, codes, np.inf, "max_sites_per_township")
    n_cl = _per_township(dict(clinics or {}), codes, 0.0, "clinics")
    n_ge = _per_township(dict(with_zhongyige or {}), codes, 0.0, "with_zhongyige")
    nm = dict(names or {})
    return TownshipQuotas(codes=tuple(codes), names=tuple(str(nm.get(c, c)) for c in codes),
                          member=member, min_sites=lo, max_sites=hi,
                          min_share=None if min_share is None else float(min_share),
                          clinics=n_cl, with_zhongyige=n_ge)


@dataclass(frozen=True)
class QuotaProblem:
    """A quota a count check shows to be impossible.

    Attributes
    ----------
    township : str
        Township code (``""``: the county as a whole).
    name : str
        Township name.
    message : str
        What is impossible, with the numbers.
    fix : str
        What to change.
    """

    township: str
    name: str
    message: str
    fix: str


def _counts(inst: SitingInstance, quotas: TownshipQuotas) -> dict[str, np.ndarray]:
    """Per township: available candidates (all, upgrades, new), forced ones, share capacity."""
    t = quotas.n_townships
    ok = (quotas.member >= 0) & ~inst.excluded
    m = quotas.member[ok]

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(quotas.member[ok & mask], minlength=t).astype(np.float64)

    coef = quotas.share_coefficients(inst.kind)
    return {"all": np.bincount(m, minlength=t).astype(np.float64),
            "upgrade": count(inst.kind == "upgrade"), "new": count(inst.kind == "new"),
            "forced": count(inst.forced),
            "capacity": np.bincount(m, weights=coef[ok], minlength=t)}


def _sites_needed(quotas: TownshipQuotas, counts: dict[str, np.ndarray]) -> np.ndarray:
    """(T,) fewest sites each township needs: its minimum, its share deficit, its forced sites."""
    deficit = np.ceil(np.maximum(quotas.share_need(), 0.0) - _TOL)
    return np.maximum.reduce([quotas.min_sites, deficit, counts["forced"]])


def _cheapest_total(inst: SitingInstance, quotas: TownshipQuotas, need: np.ndarray) -> float:
    """Least cost of ``need[T]`` available candidates in every township (a lower bound)."""
    ok = np.flatnonzero((quotas.member >= 0) & ~inst.excluded)
    order = ok[np.lexsort((inst.cost[ok], quotas.member[ok]))]
    town = quotas.member[order]
    first = np.searchsorted(town, np.arange(quotas.n_townships))
    rank = np.arange(order.size) - first[town]
    return float(inst.cost[order][rank < need[town]].sum())


def quota_problems(inst: SitingInstance, quotas: TownshipQuotas, *, p: int | None = None,
                   budget: float | None = None) -> list[QuotaProblem]:
    """The quotas a count check shows to be impossible, township by township.

    Parameters
    ----------
    inst
        The instance the quotas belong to (``quotas.member`` has one entry per candidate).
    quotas
        The quotas.
    p, budget
        The model's site count and budget, when given.

    Returns
    -------
    list of QuotaProblem
        Empty when no count check fails (the model may still be infeasible; the solver says).
    """
    if quotas.member.shape != (inst.n_candidates,):
        raise InputError(f"the quotas name townships for {quotas.member.shape[0]} candidates, "
                         f"the instance has {inst.n_candidates}")
    c = _counts(inst, quotas)
    need_share = quotas.share_need()
    out: list[QuotaProblem] = []
    for i in np.flatnonzero(quotas.min_sites > c["all"] + _TOL):
        out.append(QuotaProblem(quotas.codes[i], quotas.names[i],
                                f"needs at least {quotas.min_sites[i]:g} sites but has only "
                                f"{c['all'][i]:g} candidates",
                                "lower min_sites_per_township or add candidates there"))
    for i in np.flatnonzero(need_share > c["capacity"] + _TOL):
        s = float(quotas.min_share or 0.0)
        out.append(QuotaProblem(
            quotas.codes[i], quotas.names[i],
            f"{s:.0%} of its {quotas.clinics[i]:g} village clinics is {s * quotas.clinics[i]:g}; "
            f"{quotas.with_zhongyige[i]:g} have a 中医阁, so it needs {np.ceil(need_share[i] - _TOL):g} "
            f"more but has only {c['upgrade'][i]:g} upgrade and {c['new'][i]:g} new-clinic "
            "candidates", "lower the share, allow new clinics there or clear 'exclude' flags"))
    for i in np.flatnonzero(quotas.max_sites + _TOL < np.maximum(quotas.min_sites, c["forced"])):
        out.append(QuotaProblem(
            quotas.codes[i], quotas.names[i],
            f"may have at most {quotas.max_sites[i]:g} sites but needs at least "
            f"{max(quotas.min_sites[i], c['forced'][i]):g} (minimum or forced sites)",
            "raise max_sites_per_township or clear 'force' flags"))
    need = _sites_needed(quotas, c)
    if p is not None and need.sum() > p + _TOL:
        out.append(QuotaProblem("", "", f"the townships need at least {need.sum():g} sites "
                                f"together, more than p = {p}", "raise p or lower the quotas"))
    if budget is not None:
        least = _cheapest_total(inst, quotas, need)
        if least > budget + _TOL * max(1.0, budget):
            out.append(QuotaProblem("", "", f"meeting the township quotas costs at least "
                                    f"{least:g}, more than the budget {budget:g}",
                                    "raise the budget or lower the quotas"))
    return out


def check_quotas(inst: SitingInstance, quotas: TownshipQuotas, *, p: int | None = None,
                 budget: float | None = None) -> None:
    """Raise one :class:`InputError` naming every township whose quota cannot be met.

    Parameters
    ----------
    inst, quotas, p, budget
        As in :func:`quota_problems`.

    Raises
    ------
    InputError
    """
    problems = quota_problems(inst, quotas, p=p, budget=budget)
    if not problems:
        return
    lines = [(f"township {q.name} ({q.township}) " if q.township else "") + q.message
             for q in problems]
    raise InputError("the township quotas cannot be met: " + "; ".join(lines),
                     fix="; ".join(dict.fromkeys(q.fix for q in problems)))


def quota_violations(inst: SitingInstance, quotas: TownshipQuotas,
                     chosen: np.ndarray) -> np.ndarray:
    """(T,) bool townships whose quotas the plan ``chosen`` breaks.

    Parameters
    ----------
    inst
        The instance.
    quotas
        The quotas.
    chosen
        Chosen candidate indices.

    Returns
    -------
    numpy.ndarray
    """
    y = np.zeros(inst.n_candidates)
    y[np.asarray(chosen, dtype=np.int64)] = 1.0
    has = quotas.member >= 0
    t = quotas.n_townships
    sites = np.bincount(quotas.member[has], weights=y[has], minlength=t)
    share = np.bincount(quotas.member[has], weights=(y * quotas.share_coefficients(inst.kind))[has],
                        minlength=t)
    return ((sites < quotas.min_sites - _TOL) | (sites > quotas.max_sites + _TOL)
            | (share < quotas.share_need() - _TOL))


#: The models' message when HiGHS proves quotas infeasible that no count check caught.
QUOTA_INFEASIBLE = ("the township quotas cannot be met together with the other limits "
                    "(the exact solver proved it; no single township's count check fails)")


def quota_notes(inst: SitingInstance, quotas: TownshipQuotas | None,
                chosen: np.ndarray) -> tuple[dict[str, Any], list[str]]:
    """The quota details of a plan and a note naming the townships whose quotas it breaks."""
    if quotas is None:
        return {}, []
    broken = quota_violations(inst, quotas, chosen)
    details = {"quota_townships": quotas.n_townships, "quota_broken": int(broken.sum())}
    if not broken.any():
        return details, []
    names = ", ".join(quotas.names[i] for i in np.flatnonzero(broken)[:10])
    return details, [f"the plan breaks the township quotas of {names}"]


def quota_greedy_ok(red: ReducedInstance, quotas: TownshipQuotas | None,
                    greedy: GreedyResult) -> bool:
    """The greedy plan (which ignores quotas) meets them (it may then start the solver)."""
    if quotas is None:
        return greedy.feasible
    rq = quotas.restricted(red.candidate_map)
    return greedy.feasible and not quota_violations(red.instance, rq, greedy.chosen).any()
