"""What a siting model returns (:class:`SitingResult`) and the numbers every model reports.

The helpers here are shared by the models of :mod:`tcm_coverage.siting.models`: the gap of a
plan to the solver's bound, the count and spend per candidate kind, and the planner's note on
residents nobody can reach.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tcm_coverage.siting.instance import KINDS, SitingInstance
from tcm_coverage.siting.reduction import ReductionStats

__all__ = ["SitingResult", "clean_gap", "kind_details", "relative_gap", "uncoverable_message"]


@dataclass(frozen=True, eq=False)
class SitingResult:
    """Outcome of a siting model, in the indices of the original instance.

    Attributes
    ----------
    model : str
        ``"mclp"``, ``"lscp"``, ``"p_median"`` or ``"upgrade_or_build"``.
    status : str
        ``"optimal"``, ``"time_limit"`` (best plan found, gap open), ``"greedy_fallback"``
        (no exact solution: the greedy plan) or another solver status.
    optimal : bool
        Optimality proven within ``mip_gap``.
    objective : float
        Model objective of ``chosen`` on the original instance: newly covered weight (MCLP),
        total cost or number of sites (LSCP), population-weighted minutes (p-median).
    bound : float
        Best bound on the objective the solver proved (nan when unknown).
    gap : float
        ``|bound - objective| / max(|objective|, |bound|)`` (0 when proven optimal).
    seconds : float
        Wall time of the whole call (reduction, greedy, solve).
    chosen : numpy.ndarray
        Sorted int64 indices of the chosen candidates (forced ones included).
    greedy_objective : float
        Objective of the greedy plan.
    greedy_gap : float
        Gap of the greedy plan to ``bound``, same formula as ``gap``.
    greedy_chosen : numpy.ndarray
        The greedy plan.
    cost : float
        Total cost of ``chosen``.
    covered : numpy.ndarray
        (k,) bool: row within the threshold of an existing or chosen site.
    minutes : numpy.ndarray
        (k,) float64 minutes to the nearest open site as far as the pairs know (``inf``:
        none listed).
    uncoverable : numpy.ndarray
        (k,) bool rows that no existing facility and no candidate can cover (p-median: reach).
    uncoverable_weight : float
        Their total weight (people).
    reduction : ReductionStats or None
        What the reduction removed.
    details : Mapping
        Model-specific numbers (shares before/after, spend by kind, mean minutes ...).
    messages : tuple of str
        Plain-language notes for the planner (uncoverable people, capped targets ...).
    """

    model: str
    status: str
    optimal: bool
    objective: float
    bound: float
    gap: float
    seconds: float
    chosen: np.ndarray
    greedy_objective: float
    greedy_gap: float
    greedy_chosen: np.ndarray
    cost: float
    covered: np.ndarray
    minutes: np.ndarray
    uncoverable: np.ndarray
    uncoverable_weight: float
    reduction: ReductionStats | None
    details: Mapping[str, Any] = field(default_factory=dict)
    messages: tuple[str, ...] = ()

    @property
    def n_chosen(self) -> int:
        """Number of chosen candidates."""
        return int(self.chosen.shape[0])

    def summary(self) -> str:
        """One line for logs."""
        return (
            f"{self.model}: {self.status}, objective {self.objective:,.6g} (bound "
            f"{self.bound:,.6g}, gap {self.gap:.2%}), {self.n_chosen} sites, cost "
            f"{self.cost:,.6g}, {self.seconds:.2f}s; greedy {self.greedy_objective:,.6g} "
            f"(gap {self.greedy_gap:.2%})"
        )


def relative_gap(value: float, bound: float) -> float:
    """``|bound - value| / max(|value|, |bound|)`` (0 when both are 0, nan when one is unknown).

    Parameters
    ----------
    value
        Objective of a plan.
    bound
        The solver's bound.

    Returns
    -------
    float
    """
    if not (np.isfinite(value) and np.isfinite(bound)):
        return np.nan
    den = max(abs(value), abs(bound))
    return 0.0 if den == 0 else abs(bound - value) / den


def clean_gap(value: float, bound: float, *, maximize: bool, tol: float = 1e-9) -> float:
    """:func:`relative_gap` that is 0 when the plan reaches the bound within rounding.

    Parameters
    ----------
    value
        Objective of a plan.
    bound
        The solver's bound.
    maximize
        The model maximises (a plan at or above the bound has no gap).
    tol
        Relative rounding tolerance.

    Returns
    -------
    float
    """
    if not (np.isfinite(value) and np.isfinite(bound)):
        return np.nan
    beyond = value >= bound - tol * max(1.0, abs(bound)) if maximize else \
        value <= bound + tol * max(1.0, abs(bound))
    return 0.0 if beyond else relative_gap(value, bound)


def kind_details(inst: SitingInstance, chosen: np.ndarray) -> dict[str, Any]:
    """``n_<kind>`` and ``cost_<kind>`` of the chosen candidates, for every kind.

    Parameters
    ----------
    inst
        The original instance.
    chosen
        Chosen candidate indices.

    Returns
    -------
    dict
        Every kind of :data:`~tcm_coverage.siting.instance.KINDS` and any other kind present
        (``unspecified`` for candidates without one).
    """
    kinds = inst.kind[chosen]
    out: dict[str, Any] = {}
    for kind in sorted({str(k) for k in kinds} | set(KINDS)):
        sel = kinds == kind
        if kind == "" and not sel.any():
            continue
        out[f"n_{kind or 'unspecified'}"] = int(sel.sum())
        out[f"cost_{kind or 'unspecified'}"] = float(inst.cost[chosen][sel].sum())
    return out


def uncoverable_message(inst: SitingInstance, unc: np.ndarray, *, what: str) -> list[str]:
    """The planner's note on the rows no existing facility and no candidate can reach.

    Parameters
    ----------
    inst
        The original instance.
    unc
        (k,) bool uncoverable rows.
    what
        The verb of the note ("covered").

    Returns
    -------
    list of str
        Empty when no row is uncoverable.
    """
    if not unc.any():
        return []
    rows = np.flatnonzero(unc)
    shown = ", ".join(str(r) for r in rows[:10]) + (" …" if rows.size > 10 else "")
    return [
        f"{inst.weight[unc].sum():,.0f} people in {rows.size} demand rows cannot be {what} "
        f"by any existing facility or candidate within {inst.threshold:g} minutes "
        f"(rows {shown}); they are left out of the optimisation"
    ]
