"""The steps every siting model shares around the solve (see :mod:`tcm_coverage.siting.models`).

A model describes itself as a :class:`ModelSpec`: its reduced instance, its greedy plan, its
formulation (named constraint blocks, :mod:`tcm_coverage.siting.formulation`), how to evaluate
a plan on the original instance and what to report. :func:`warm_start` turns the greedy plan
into the solver's start; after the solve (in :func:`tcm_coverage.siting.models._run_model`)
:func:`finish` picks the plan, maps it back to the original candidates, keeps the greedy plan
when an early stop left a worse one, and fills the :class:`SitingResult`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np

from tcm_coverage.siting._highs import MipOutcome, SolveOptions
from tcm_coverage.siting.formulation import Formulation
from tcm_coverage.siting.greedy import GreedyResult
from tcm_coverage.siting.instance import SitingInstance, coverage_after, minutes_after
from tcm_coverage.siting.reduction import ReducedInstance
from tcm_coverage.siting.result import SitingResult, clean_gap, kind_details

__all__ = ["NOTHING_TO_SOLVE", "ModelSpec", "Plan", "SolverKeywords", "finish", "solve_options",
           "warm_start"]

#: The outcome of a model with nothing to optimise (no candidate or no row left).
NOTHING_TO_SOLVE = MipOutcome(x=None, status="optimal", objective=np.nan, bound=np.nan,
                              seconds=0.0)


@dataclass(frozen=True, eq=False)
class Plan:
    """A plan on the original instance, as the models' reports read it.

    Attributes
    ----------
    chosen : numpy.ndarray
        Sorted original candidate indices.
    objective : float
        The model's objective of ``chosen``.
    covered : numpy.ndarray
        (k,) bool rows within the threshold of an existing or chosen site.
    minutes : numpy.ndarray
        (k,) minutes to the nearest open site (``inf``: none listed).
    """

    chosen: np.ndarray
    objective: float
    covered: np.ndarray
    minutes: np.ndarray


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """The model-specific parts of the skeleton.

    Attributes
    ----------
    name : str
        :attr:`SitingResult.model`.
    maximize : bool
        The objective is maximised.
    reduced : ReducedInstance
        The reduced instance and its maps back.
    greedy : GreedyResult
        The greedy plan on the reduced instance (warm start, fallback, comparison).
    formulation : Formulation or None
        The MILP; None when there is nothing to optimise (the forced candidates are the plan).
    evaluate : callable
        ``evaluate(chosen)``: the objective of original candidates ``chosen``.
    report : callable
        ``report(plan)``: the model's details and its messages for the planner.
    greedy_ok : bool
        The greedy plan is feasible (may replace a worse plan of an early stop; it is the
        solver's start only then; otherwise its gap is unknown, nan).
    infeasible : str
        The planner's message when the solver proves the model infeasible (e.g. per-township
        quotas no count check caught); empty: the solver's status is reported as it is.
    """

    name: str
    maximize: bool
    reduced: ReducedInstance
    greedy: GreedyResult
    formulation: Formulation | None
    evaluate: Callable[[np.ndarray], float]
    report: Callable[[Plan], tuple[dict[str, Any], list[str]]]
    greedy_ok: bool = True
    infeasible: str = ""


class SolverKeywords(TypedDict, total=False):
    """The solver's keyword arguments of :func:`maximal_covering` and :func:`set_covering`.

    Attributes
    ----------
    warm_start
        Pass the greedy plan to HiGHS as a starting solution (default True).
    time_limit
        Seconds for HiGHS (default none).
    mip_gap
        Relative gap at which the solver stops (default 1e-6).
    options
        More HiGHS options.
    """

    warm_start: bool
    time_limit: float | None
    mip_gap: float
    options: Mapping[str, Any] | None


def solve_options(solver: SolverKeywords) -> SolveOptions:
    """:class:`SolveOptions` from the keywords (unknown ones refused as Python does)."""
    unknown = sorted(set(solver) - set(SolverKeywords.__annotations__))
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {unknown}")
    return SolveOptions(warm_start=solver.get("warm_start", True),
                        time_limit=solver.get("time_limit"), mip_gap=solver.get("mip_gap", 1e-6),
                        options=solver.get("options"))


def warm_start(spec: ModelSpec, solver: SolveOptions) -> np.ndarray | None:
    """The greedy plan as a full start vector of the formulation (None: no start).

    Parameters
    ----------
    spec
        The model (with a formulation).
    solver
        The solver options (``warm_start``).

    Returns
    -------
    numpy.ndarray or None
    """
    form = spec.formulation
    if form is None or not (solver.warm_start and form.n_sites and spec.greedy_ok):
        return None
    y0 = np.zeros(form.n_sites)
    y0[spec.greedy.chosen] = 1.0
    return form.start(y0)


def _pick(spec: ModelSpec, outcome: MipOutcome) -> tuple[np.ndarray, str, list[str]]:
    """Chosen reduced candidates: the forced ones (nothing to optimise), the solver's or greedy's."""
    forced = spec.reduced.instance.forced
    if spec.formulation is None:
        return np.flatnonzero(forced).astype(np.int64), "optimal", []
    if outcome.x is None:
        notes = [f"the exact solver returned no plan ({outcome.status}); "
                 "the greedy plan is reported instead"]
        return spec.greedy.chosen, "greedy_fallback", notes
    y = outcome.x[:spec.formulation.n_sites] > 0.5
    return np.flatnonzero(y | forced).astype(np.int64), outcome.status, []


def _keep_better(
    spec: ModelSpec, chosen: np.ndarray, greedy_chosen: np.ndarray, status: str,
    notes: list[str],
) -> tuple[np.ndarray, float, float]:
    """Evaluate both plans; after an early stop never report one worse than the greedy plan.

    Returns the plan kept, its objective and the greedy objective.
    """
    objective, g_obj = spec.evaluate(chosen), spec.evaluate(greedy_chosen)
    if status in ("optimal", "greedy_fallback") or not spec.greedy_ok:
        return chosen, objective, g_obj
    if (g_obj > objective) if spec.maximize else (g_obj < objective):
        notes.append(f"the solver stopped early ({status}) with a plan worse than the greedy "
                     "one; the greedy plan is reported")
        return greedy_chosen, g_obj, g_obj
    return chosen, objective, g_obj


def finish(inst: SitingInstance, spec: ModelSpec, outcome: MipOutcome, t0: float) -> SitingResult:
    """Pick, map back, keep the better of solver and greedy, report: the model's result.

    Parameters
    ----------
    inst
        The original instance.
    spec
        The model.
    outcome
        The solver's outcome (:data:`NOTHING_TO_SOLVE` without a formulation).
    t0
        ``time.perf_counter()`` when the model was called.

    Returns
    -------
    SitingResult
    """
    red = spec.reduced
    chosen_red, status, notes = _pick(spec, outcome)
    greedy_chosen = red.to_original(spec.greedy.chosen)
    chosen, objective, g_obj = _keep_better(spec, red.to_original(chosen_red), greedy_chosen,
                                            status, notes)
    bound = objective if spec.formulation is None else outcome.bound + red.constant
    plan = Plan(chosen=chosen, objective=objective, covered=coverage_after(inst, chosen),
                minutes=minutes_after(inst, chosen))
    details, messages = spec.report(plan)
    details = {**details, "solver_seconds": outcome.seconds,
               "greedy_seconds": spec.greedy.seconds, **kind_details(inst, chosen)}
    return SitingResult(
        model=spec.name, status=status, optimal=status == "optimal", objective=objective,
        bound=bound, gap=clean_gap(objective, bound, maximize=spec.maximize),
        seconds=time.perf_counter() - t0, chosen=chosen, greedy_objective=g_obj,
        greedy_gap=clean_gap(g_obj, bound, maximize=spec.maximize) if spec.greedy_ok else np.nan,
        greedy_chosen=greedy_chosen, cost=float(inst.cost[chosen].sum()), covered=plan.covered,
        minutes=plan.minutes, uncoverable=red.uncoverable,
        uncoverable_weight=float(inst.weight[red.uncoverable].sum()), reduction=red.stats,
        details=details, messages=tuple(notes + messages),
    )
