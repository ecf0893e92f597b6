"""Exact siting models against brute force (itertools.combinations) on small random instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tcm_coverage.siting import (
    coverage_after,
    greedy_max_cover,
    greedy_median,
    greedy_set_cover,
    make_instance,
    maximal_covering,
    p_median,
    set_covering,
    upgrade_or_build,
)
from tcm_coverage.siting._highs import MipOutcome
from tcm_coverage.siting.greedy import median_objective

SEEDS = [0, 1, 2, 3, 4, 5]


def random_instance(seed, *, k=24, n=8, existing=True, flags=True, threshold=15.0,
                    kinds=False):
    """Residents and candidates in a 10 km square, minutes = km * 4 (15 km/h)."""
    rng = np.random.default_rng(seed)
    dem = rng.uniform(0, 10, size=(k, 2))
    cand = rng.uniform(0, 10, size=(n, 2))
    minutes = np.linalg.norm(dem[:, None, :] - cand[None, :, :], axis=2) * 4.0
    d, c = np.nonzero(minutes <= 2.5 * threshold)
    weight = rng.integers(1, 500, size=k).astype(float)
    cost = rng.integers(1, 6, size=n).astype(float)
    ex_min = None
    if existing:
        ex_xy = rng.uniform(0, 10, size=(2, 2))
        ex_min = np.linalg.norm(dem[:, None, :] - ex_xy[None, :, :], axis=2).min(axis=1) * 4.0
        ex_min[rng.random(k) < 0.2] = np.inf  # some rows reach no existing facility
    forced = excluded = None
    if flags:
        forced = np.zeros(n, bool)
        excluded = np.zeros(n, bool)
        forced[rng.integers(n)] = True
        j = rng.integers(n)
        if not forced[j]:
            excluded[j] = True
    kind = None
    if kinds:
        kind = np.where(rng.random(n) < 0.5, "upgrade", "new")
        cost = np.where(kind == "upgrade", rng.uniform(0.5, 1.5, n), rng.uniform(3, 6, n))
    return make_instance(weight, d, c, minutes[d, c], n_candidates=n, threshold=threshold,
                         cost=cost, forced=forced, excluded=excluded, existing_minutes=ex_min,
                         kind=kind)


def subsets(inst, max_size=None):
    """Every candidate subset that includes the forced ones and avoids the excluded ones."""
    free = [j for j in range(inst.n_candidates) if not inst.forced[j] and not inst.excluded[j]]
    forced = list(np.flatnonzero(inst.forced))
    top = len(free) if max_size is None else max(0, max_size - len(forced))
    for size in range(0, min(top, len(free)) + 1):
        for extra in itertools.combinations(free, size):
            yield np.array(sorted(forced + list(extra)), dtype=np.int64)


def new_cover(inst, chosen):
    return float(inst.weight[coverage_after(inst, chosen) & ~inst.already_covered].sum())


def brute_mclp(inst, p=None, budget=None):
    best = -1.0
    for s in subsets(inst, p):
        if budget is not None and inst.cost[s].sum() > budget + 1e-9:
            continue
        best = max(best, new_cover(inst, s))
    return best


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_mclp_p_matches_brute_force(seed, p):
    inst = random_instance(seed)
    res = maximal_covering(inst, p=p)
    assert res.optimal and res.status == "optimal"
    assert res.objective == pytest.approx(brute_mclp(inst, p=p))
    assert res.n_chosen <= p
    assert inst.forced[res.chosen].sum() == inst.forced.sum()
    assert not inst.excluded[res.chosen].any()
    assert res.gap == pytest.approx(0.0, abs=1e-6)
    assert res.bound == pytest.approx(res.objective, rel=1e-6)
    assert res.greedy_objective <= res.objective + 1e-9
    assert res.greedy_gap >= -1e-12


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("extra", [0.0, 3.0, 6.0, 9.5])
def test_mclp_budget_matches_brute_force(seed, extra):
    inst = random_instance(seed)
    budget = float(inst.cost[inst.forced].sum()) + extra  # forced sites count toward it
    res = maximal_covering(inst, budget=budget)
    assert res.optimal
    assert res.objective == pytest.approx(brute_mclp(inst, budget=budget))
    assert res.cost <= budget + 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_p_and_budget_together(seed):
    inst = random_instance(seed)
    budget = float(inst.cost[inst.forced].sum()) + 5.0
    res = maximal_covering(inst, p=2, budget=budget)
    assert res.objective == pytest.approx(brute_mclp(inst, p=2, budget=budget))


@pytest.mark.parametrize("seed", SEEDS)
def test_upgrade_or_build_matches_brute_force(seed):
    inst = random_instance(seed, kinds=True, flags=False)
    budget = 7.0
    res = upgrade_or_build(inst, budget=budget)
    assert res.model == "upgrade_or_build"
    assert res.objective == pytest.approx(brute_mclp(inst, budget=budget))
    kinds = inst.kind[res.chosen]
    assert res.details["n_upgrade"] == int((kinds == "upgrade").sum())
    assert res.details["n_new"] == int((kinds == "new").sum())
    assert res.details["cost_upgrade"] + res.details["cost_new"] == pytest.approx(res.cost)


def brute_lscp(inst, share=1.0, count=False):
    cost = np.ones(inst.n_candidates) if count else inst.cost
    need_rows = ~inst.already_covered & inst.coverable()
    total = inst.total_weight
    reach = float(inst.weight[inst.already_covered | inst.coverable()].sum())
    target = min(share * total, reach)
    best = np.inf
    for s in subsets(inst):
        cov = coverage_after(inst, s)
        ok = cov[need_rows].all() if share >= 1 else inst.weight[cov].sum() >= target - 1e-9
        if ok:
            best = min(best, float(cost[s].sum()))
    return best


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("count", [False, True])
def test_lscp_full_matches_brute_force(seed, count):
    inst = random_instance(seed, threshold=10.0)
    res = set_covering(inst, minimize="count" if count else "cost")
    assert res.optimal
    assert res.objective == pytest.approx(brute_lscp(inst, count=count))
    need = ~inst.already_covered & inst.coverable()
    assert res.covered[need].all()
    assert res.greedy_objective >= res.objective - 1e-9


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("share", [0.5, 0.8, 0.95])
def test_lscp_partial_matches_brute_force(seed, share):
    inst = random_instance(seed, threshold=10.0)
    res = set_covering(inst, share=share)
    assert res.optimal
    assert res.objective == pytest.approx(brute_lscp(inst, share=share))
    reach = float(inst.weight[inst.already_covered | inst.coverable()].sum())
    got = float(inst.weight[res.covered].sum())
    assert got >= min(share * inst.total_weight, reach) - 1e-6
    assert res.details["target_reached"] == (share * inst.total_weight <= reach + 1e-9)


def brute_median(inst, p, unreached):
    return min(median_objective(inst, s, unreached) for s in subsets(inst, p))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_p_median_matches_brute_force(seed, p):
    inst = random_instance(seed)
    res = p_median(inst, p=p, unreached_minutes=200.0)
    assert res.optimal
    assert res.objective == pytest.approx(brute_median(inst, p, 200.0), rel=1e-7)
    assert res.bound == pytest.approx(res.objective, rel=1e-5)
    assert res.greedy_objective >= res.objective - 1e-6


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_p_median_without_existing_equals_classic(seed):
    inst = random_instance(seed, existing=False, flags=False)
    res = p_median(inst, p=2, unreached_minutes=1000.0)
    assert res.objective == pytest.approx(brute_median(inst, 2, 1000.0), rel=1e-7)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_warm_start_off_gives_same_optimum(seed):
    inst = random_instance(seed)
    a = maximal_covering(inst, p=3, warm_start=True)
    b = maximal_covering(inst, p=3, warm_start=False)
    assert a.objective == pytest.approx(b.objective)
    a = p_median(inst, p=2, warm_start=False, unreached_minutes=200.0)
    b = p_median(inst, p=2, unreached_minutes=200.0)
    assert a.objective == pytest.approx(b.objective, rel=1e-7)


def test_greedy_fallback_when_solver_returns_nothing(monkeypatch):
    import tcm_coverage.siting.models as models

    def no_solution(**kwargs):
        return MipOutcome(x=None, status="unavailable", objective=np.nan, bound=np.nan,
                          seconds=0.0)

    monkeypatch.setattr(models, "solve_mip", no_solution)
    inst = random_instance(1)
    res = maximal_covering(inst, p=2)
    assert res.status == "greedy_fallback" and not res.optimal
    np.testing.assert_array_equal(res.chosen, res.greedy_chosen)
    assert res.objective == pytest.approx(res.greedy_objective)
    assert any("greedy" in m for m in res.messages)
    res = p_median(inst, p=2)
    assert res.status == "greedy_fallback"
    res = set_covering(inst)
    assert res.status == "greedy_fallback"


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_greedy_results_are_feasible(seed):
    inst = random_instance(seed)
    g = greedy_max_cover(inst, p=3)
    assert g.chosen.size <= 3 and inst.forced[g.chosen].all() == inst.forced[g.chosen].all()
    assert g.objective == pytest.approx(new_cover(inst, g.chosen))
    g = greedy_max_cover(inst, budget=6.0)
    assert inst.cost[g.chosen].sum() <= 6.0 + 1e-9
    g = greedy_set_cover(inst)
    need = ~inst.already_covered & inst.coverable()
    assert coverage_after(inst, g.chosen)[need].all()
    g = greedy_median(inst, p=2, unreached_minutes=200.0)
    assert g.objective == pytest.approx(median_objective(inst, g.chosen, 200.0))


def test_forced_beyond_p_or_budget_is_an_input_error():
    inst = random_instance(0)
    forced = np.ones(inst.n_candidates, bool)
    bad = make_instance(inst.weight, inst.pair_demand, inst.pair_candidate, inst.pair_minutes,
                        n_candidates=inst.n_candidates, threshold=inst.threshold,
                        cost=inst.cost, forced=forced)
    with pytest.raises(ValueError, match="forced"):
        maximal_covering(bad, p=2)
    with pytest.raises(ValueError, match="budget"):
        maximal_covering(bad, budget=1.0)
    with pytest.raises(ValueError, match="p"):
        maximal_covering(inst)


def test_early_stop_never_reports_worse_than_greedy(monkeypatch):
    import tcm_coverage.siting.models as models

    real = models.solve_mip

    def poor(**kwargs):
        out = real(**kwargs)
        return MipOutcome(x=np.zeros_like(out.x), status="time_limit", objective=0.0,
                          bound=out.bound, seconds=out.seconds)

    monkeypatch.setattr(models, "solve_mip", poor)
    inst = random_instance(2)
    res = maximal_covering(inst, p=2)
    assert res.status == "time_limit" and not res.optimal
    np.testing.assert_array_equal(res.chosen, res.greedy_chosen)
    assert any("worse than the greedy" in m for m in res.messages)
    assert res.gap == pytest.approx(res.greedy_gap)


def test_real_time_limit_returns_a_plan():
    inst = random_instance(3, k=400, n=60)
    res = maximal_covering(inst, p=8, time_limit=1e-3)
    assert res.status in ("optimal", "time_limit")
    assert res.objective >= res.greedy_objective - 1e-9
    assert res.n_chosen <= 8
