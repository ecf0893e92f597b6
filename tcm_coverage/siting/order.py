r"""The upgrade order: a ranked list of sites, cut into years by yearly budgets, beside the exact
optimum for every prefix size.

:func:`upgrade_order` ranks candidates greedily: at each step the site adding the most newly
covered people (``by="coverage"``) or the most per unit cost (``by="per_cost"``), forced sites
first. After each step it records the people newly covered by that step, the people covered
in all (existing facilities included) and their share, the step's cost and the cumulative
cost. With yearly budgets :math:`B_1, B_2, ...` step ``k`` falls in the first year ``y`` with
:math:`\sum_{s \le k} c_s \le \sum_{t \le y} B_t`: the list is spent in its order and a year's
unspent budget carries over; steps beyond the last year's cumulative budget get year 0 (after
the plan years).

Beside the greedy order it reports the exact optimum for each prefix, by HiGHS
(:func:`~tcm_coverage.siting.models.maximal_covering`): with ``yardstick="sites"`` the most
people any ``k`` candidates cover, with ``yardstick="cost"`` the most any plan costing at most
the prefix's cumulative cost covers (forced flags are cleared for the yardstick: it is the best
the county could do). The gap per step is ``(optimum - greedy) / optimum``; it is >= 0 because
the greedy prefix is itself one of the plans the optimum is taken over.

Each step is one sparse matrix-vector product over all candidates (no loop over residents).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage.siting.instance import SitingInstance
from tcm_coverage.siting.models import maximal_covering

__all__ = ["ORDER_BY", "UpgradeOrder", "upgrade_order", "year_of_steps"]

#: Ranking rules of :func:`upgrade_order`.
ORDER_BY: tuple[str, ...] = ("coverage", "per_cost")

_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class UpgradeOrder:
    """A ranked list of sites (see the module docstring). Arrays have one entry per step.

    Attributes
    ----------
    chosen : numpy.ndarray
        int64 candidate index of each step, in rank order.
    newly_covered : numpy.ndarray
        People newly covered by the step (not covered by existing sites or earlier steps).
    covered, share : numpy.ndarray
        People covered after the step (existing facilities included) and their share of all.
    cost, cum_cost : numpy.ndarray
        The step's cost and the cumulative cost.
    year : numpy.ndarray
        int64 1-based plan year of the step (0: beyond the yearly budgets; all 0 without them).
    optimum : numpy.ndarray
        People newly covered by the best plan of the yardstick for this prefix (nan: not solved).
    optimum_proven : numpy.ndarray
        bool: HiGHS proved that optimum.
    gap : numpy.ndarray
        ``(optimum - greedy cumulative newly covered) / optimum`` (0 when the optimum is 0).
    by, yardstick : str
        The ranking rule and the optimum it is compared with.
    already_covered, total_weight : float
        People covered before the plan, and all people.
    """

    chosen: np.ndarray
    newly_covered: np.ndarray
    covered: np.ndarray
    share: np.ndarray
    cost: np.ndarray
    cum_cost: np.ndarray
    year: np.ndarray
    optimum: np.ndarray
    optimum_proven: np.ndarray
    gap: np.ndarray
    by: str
    yardstick: str
    already_covered: float
    total_weight: float

    @property
    def n_steps(self) -> int:
        """Number of ranked sites."""
        return int(self.chosen.shape[0])

    def table(self) -> pd.DataFrame:
        """One row per step: rank, candidate, newly covered, covered, share, costs, year, optimum, gap."""
        return pd.DataFrame({
            "rank": np.arange(1, self.n_steps + 1), "candidate": self.chosen,
            "newly_covered": self.newly_covered, "cum_covered": self.covered,
            "cum_share": self.share, "cost": self.cost, "cum_cost": self.cum_cost,
            "year": self.year, "optimum_k": self.optimum, "optimum_proven": self.optimum_proven,
            "gap": self.gap})


def year_of_steps(cum_cost: Any, budgets: Any) -> np.ndarray:
    """1-based plan year of each step from the cumulative costs and the yearly budgets.

    Parameters
    ----------
    cum_cost
        (K,) cumulative cost after each step (non-decreasing).
    budgets
        (Y,) budget per year, >= 0; unspent budget carries over to the next year.

    Returns
    -------
    numpy.ndarray
        (K,) int64 in 1..Y, or 0 for steps beyond the cumulative budget of the last year.
    """
    b = np.asarray(budgets, dtype=np.float64)
    if b.ndim != 1 or not b.size or not np.isfinite(b).all() or (b < 0).any():
        raise InputError(f"yearly budgets must be a list of numbers >= 0, got {budgets!r}",
                         fix="write e.g. budget_per_year = [300, 300]")
    c = np.asarray(cum_cost, dtype=np.float64)
    limit = np.cumsum(b)
    year = np.searchsorted(limit + _EPS * np.maximum(1.0, limit), c, side="left") + 1
    return np.where(year > b.size, 0, year).astype(np.int64)


def _ranking(inst: SitingInstance, pool: np.ndarray, *, per_cost: bool, steps: int,
             rank_all: bool) -> tuple[list[int], np.ndarray]:
    """Greedy picks from ``pool`` (forced first) and the people newly covered by each."""
    at = inst.coverage().T.tocsr().astype(np.float64)
    residual = inst.weight * ~inst.already_covered
    available = pool.copy()
    forced_left = available & inst.forced
    picks: list[int] = []
    gains: list[float] = []
    while len(picks) < steps and available.any():
        gain = at @ residual
        ok = forced_left if forced_left.any() else available & (rank_all | (gain > _EPS))
        if not ok.any():
            break
        if per_cost:
            with np.errstate(divide="ignore", invalid="ignore"):
                score = np.where(inst.cost > 0, gain / np.maximum(inst.cost, _EPS), np.inf)
            score = np.where(gain > _EPS, score, 0.0)  # a free site adding nobody is no bargain
        else:
            score = gain.copy()
        score[~ok] = -np.inf
        j = int(np.argmax(score))
        picks.append(j)
        gains.append(float(gain[j]))
        residual[at.indices[at.indptr[j]:at.indptr[j + 1]]] = 0.0
        available[j] = forced_left[j] = False
    return picks, np.asarray(gains, dtype=np.float64)


def _optimum(inst: SitingInstance, cum_cost: np.ndarray, *, yardstick: str,
             time_limit: float | None) -> tuple[np.ndarray, np.ndarray]:
    """People newly covered by the best plan of each prefix size (or cost), and proven flags."""
    free = replace(inst, forced=np.zeros(inst.n_candidates, dtype=bool))
    best = np.full(cum_cost.shape[0], np.nan)
    proven = np.zeros(cum_cost.shape[0], dtype=bool)
    for k in range(cum_cost.shape[0]):
        if yardstick == "sites":
            res = maximal_covering(free, p=k + 1, time_limit=time_limit)
        else:
            res = maximal_covering(free, budget=float(cum_cost[k]), time_limit=time_limit)
        best[k], proven[k] = res.objective, res.optimal
    return best, proven


def upgrade_order(
    inst: SitingInstance,
    *,
    by: str = "coverage",
    among: Any = None,
    steps: int | None = None,
    budgets: Any = None,
    exact: bool = True,
    time_limit: float | None = 60.0,
) -> UpgradeOrder:
    """Rank sites greedily, cut the list into years and compare each prefix with the optimum.

    Parameters
    ----------
    inst
        The instance (existing facilities as ``existing_minutes``).
    by
        ``"coverage"`` (most people newly covered) or ``"per_cost"`` (most per unit cost).
    among
        Candidate indices to rank (e.g. a model's chosen plan: then every one of them is
        ranked, even one adding nobody); default every candidate not excluded, ranked while
        a site still adds people.
    steps
        At most this many steps (default: no limit).
    budgets
        Yearly budgets (same unit as the costs), for the year of each step.
    exact
        Solve the optimum of every prefix with HiGHS (one maximal covering model per step).
    time_limit
        Seconds per optimum.

    Returns
    -------
    UpgradeOrder
        The yardstick is ``"sites"`` (best ``k`` sites) for ``by="coverage"`` and ``"cost"``
        (best plan within the prefix's cumulative cost) for ``by="per_cost"``.
    """
    if by not in ORDER_BY:
        raise InputError(f"unknown ranking {by!r}", fix=f"use one of {list(ORDER_BY)}")
    if steps is not None and steps < 1:
        raise InputError(f"the number of steps must be >= 1, got {steps}", fix="write steps = 10")
    pool = ~inst.excluded
    if among is not None:
        mask = np.zeros(inst.n_candidates, dtype=bool)
        mask[np.asarray(among, dtype=np.int64)] = True
        pool &= mask
    picks, gains = _ranking(inst, pool, per_cost=by == "per_cost",
                            steps=inst.n_candidates if steps is None else int(steps),
                            rank_all=among is not None)
    chosen = np.asarray(picks, dtype=np.int64)
    cost = inst.cost[chosen]
    cum_cost = np.cumsum(cost)
    already = float(inst.weight[inst.already_covered].sum())
    total = inst.total_weight
    covered = already + np.cumsum(gains)
    yardstick = "sites" if by == "coverage" else "cost"
    if exact and chosen.size:
        optimum, proven = _optimum(inst, cum_cost, yardstick=yardstick, time_limit=time_limit)
        optimum = np.maximum(optimum, covered - already)  # an unproven optimum is a lower bound
    else:
        optimum, proven = np.full(chosen.size, np.nan), np.zeros(chosen.size, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(optimum > _EPS, (optimum - (covered - already)) / optimum, 0.0)
    gap = np.where(np.isnan(optimum), np.nan, np.clip(gap, 0.0, None))
    year = (year_of_steps(cum_cost, budgets) if budgets is not None
            else np.zeros(chosen.size, dtype=np.int64))
    return UpgradeOrder(chosen=chosen, newly_covered=gains, covered=covered,
                        share=covered / total if total else np.full(chosen.size, np.nan),
                        cost=cost, cum_cost=cum_cost, year=year, optimum=optimum,
                        optimum_proven=proven, gap=gap, by=by, yardstick=yardstick,
                        already_covered=already, total_weight=total)
