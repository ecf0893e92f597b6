"""Per-township quotas in the covering models: HiGHS against brute force over every subset that
respects the quotas, impossible quotas named township by township before solving."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tcm_coverage._errors import InputError
from tcm_coverage.siting import (
    coverage_after,
    make_instance,
    maximal_covering,
    quota_problems,
    set_covering,
    township_quotas,
    upgrade_or_build,
)

SEEDS = [0, 1, 2, 3, 4, 5, 6, 7]


def instance(seed, *, k=22, n=9):
    """Residents and candidates in a 10 km square (minutes = km * 4), mixed kinds, 3 townships."""
    rng = np.random.default_rng(seed)
    dem = rng.uniform(0, 10, size=(k, 2))
    cand = rng.uniform(0, 10, size=(n, 2))
    minutes = np.linalg.norm(dem[:, None, :] - cand[None, :, :], axis=2) * 4.0
    d, c = np.nonzero(minutes <= 20.0)
    weight = rng.integers(1, 500, size=k).astype(float)
    kind = np.where(rng.random(n) < 0.6, "upgrade", "new")
    cost = np.where(kind == "upgrade", 1.0, 3.0)
    ex = np.linalg.norm(dem - np.array([5.0, 5.0]), axis=1) * 4.0
    excluded = np.zeros(n, bool)
    excluded[int(rng.integers(n))] = True
    inst = make_instance(weight, d, c, minutes[d, c], n_candidates=n, threshold=15.0, cost=cost,
                         kind=kind, existing_minutes=ex, excluded=excluded)
    town = np.array(["T1", "T2", "T3"], dtype=object)[np.minimum((cand[:, 0] // 3.4), 2).astype(int)]
    return inst, town


def newly(inst, chosen):
    return float(inst.weight[coverage_after(inst, list(chosen)) & ~inst.already_covered].sum())


def respects(inst, town, chosen, *, lo=0, hi=np.inf, share=None, clinics=None, with_ge=None):
    """The quotas checked directly from their definition (counts and the share as a fraction)."""
    chosen = list(chosen)
    for t in ("T1", "T2", "T3"):
        in_t = [j for j in chosen if town[j] == t]
        if not lo <= len(in_t) <= hi:
            return False
        if share is not None:
            up = sum(inst.kind[j] == "upgrade" for j in in_t)
            new = sum(inst.kind[j] == "new" for j in in_t)
            have, total = with_ge.get(t, 0) + up + new, clinics.get(t, 0) + new
            if total and have / total < share - 1e-12:
                return False
    return True


def feasible_subsets(inst, town, *, p=None, budget=None, **quota):
    free = [j for j in range(inst.n_candidates) if not inst.excluded[j]]
    for size in range(len(free) + 1):
        if p is not None and size > p:
            break
        for sub in itertools.combinations(free, size):
            if budget is not None and inst.cost[list(sub)].sum() > budget + 1e-9:
                continue
            if respects(inst, town, sub, **quota):
                yield sub


@pytest.mark.parametrize("seed", SEEDS)
def test_max_cover_min_max_sites_equals_brute_force(seed):
    inst, town = instance(seed)
    q = township_quotas(town, min_sites=1, max_sites=2)
    if quota_problems(inst, q, p=4):
        pytest.skip("this draw has a township without candidates")
    res = maximal_covering(inst, p=4, quotas=q)
    best = max(newly(inst, s) for s in feasible_subsets(inst, town, p=4, lo=1, hi=2))
    assert res.optimal
    assert res.objective == pytest.approx(best)
    assert respects(inst, town, res.chosen, lo=1, hi=2)
    free = maximal_covering(inst, p=4)  # without quotas: at least as good (the test can fail)
    assert free.objective >= res.objective - 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_upgrade_or_build_share_quota_equals_brute_force(seed):
    inst, town = instance(seed)
    clinics = {"T1": 4, "T2": 3, "T3": 5}
    with_ge = {"T1": 0, "T2": 0, "T3": 1}
    q = township_quotas(town, min_share=0.25, clinics=clinics, with_zhongyige=with_ge)
    if quota_problems(inst, q, budget=9.0):
        pytest.skip("count check: this draw cannot meet the share")
    feas = list(feasible_subsets(inst, town, budget=9.0, share=0.25, clinics=clinics,
                                 with_ge=with_ge))
    if not feas:
        with pytest.raises(InputError, match="township quotas"):
            upgrade_or_build(inst, budget=9.0, quotas=q)
        return
    res = upgrade_or_build(inst, budget=9.0, quotas=q)
    assert res.objective == pytest.approx(max(newly(inst, s) for s in feas))
    assert respects(inst, town, res.chosen, share=0.25, clinics=clinics, with_ge=with_ge)
    assert res.details["quota_broken"] == 0
    free = upgrade_or_build(inst, budget=9.0)
    BINDING.append(not respects(inst, town, free.chosen, share=0.25, clinics=clinics,
                                with_ge=with_ge))


BINDING: list[bool] = []


def test_the_share_quota_changed_some_plans():
    """Run after the brute-force test: on some draws the plan without quotas breaks the share."""
    assert any(BINDING)


@pytest.mark.parametrize("seed", SEEDS[:5])
def test_set_cover_with_quotas_equals_brute_force(seed):
    inst, town = instance(seed)
    q = township_quotas(town, min_sites=1, max_sites=3)
    if quota_problems(inst, q):
        pytest.skip("this draw has a township without candidates")
    need = inst.coverable() & ~inst.already_covered
    feas = [s for s in feasible_subsets(inst, town, lo=1, hi=3)
            if (coverage_after(inst, list(s)) | ~need).all()]
    res = set_covering(inst, share=1.0, quotas=q)
    assert res.objective == pytest.approx(min(inst.cost[list(s)].sum() for s in feas))
    assert respects(inst, town, res.chosen, lo=1, hi=3)


def test_share_quota_alone_when_everyone_is_already_covered():
    """Quotas still bind when no resident needs a site (the reduced instance has no rows)."""
    inst = make_instance([10.0, 20.0], [0, 1], [0, 1], [5.0, 5.0], n_candidates=3, threshold=15,
                         existing_minutes=[1.0, 1.0], kind=["upgrade", "upgrade", "upgrade"],
                         cost=[1.0, 2.0, 3.0])
    q = township_quotas(["A", "A", "B"], min_share=0.5, clinics={"A": 4, "B": 2},
                        with_zhongyige={"A": 1, "B": 0})
    res = set_covering(inst, share=1.0, quotas=q)  # A needs 1 more, B needs 1: cheapest 0 and 2
    assert sorted(res.chosen.tolist()) == [0, 2]
    assert res.objective == pytest.approx(4.0)


def test_infeasible_quotas_are_named_before_solving():
    inst = make_instance([10.0] * 3, [0, 1, 2], [0, 1, 2], [5.0] * 3, n_candidates=3,
                         threshold=15, kind=["upgrade", "upgrade", "new"])
    q = township_quotas(["东城镇", "东城镇", "西山乡"], min_share=0.2,
                        clinics={"东城镇": 20, "西山乡": 5}, with_zhongyige={"东城镇": 1},
                        names={"东城镇": "东城镇", "西山乡": "西山乡"})
    problems = quota_problems(inst, q)
    # 东城镇: 20 % of 20 = 4, has 1, needs 3 more, only 2 upgrade candidates; 西山乡: 1 needed,
    # its one new clinic counts 0.8 (a new clinic adds to both counts)
    assert [p.township for p in problems] == ["东城镇", "西山乡"]
    assert "needs 3 more but has only 2 upgrade and 0 new-clinic candidates" in problems[0].message
    with pytest.raises(InputError, match="东城镇.*needs 3 more") as err:
        maximal_covering(inst, p=3, quotas=q)
    assert "Fix:" in str(err.value)


def test_too_many_sites_for_p_and_max_below_min_are_named():
    inst = make_instance([1.0] * 4, [0, 1, 2, 3], [0, 1, 2, 3], [5.0] * 4, n_candidates=4,
                         threshold=15, forced=[True, True, False, False])
    q = township_quotas(["A", "A", "B", "B"], min_sites=1, max_sites={"A": 1, "B": 2})
    msgs = [p.message for p in quota_problems(inst, q, p=2)]
    assert any("at most 1 sites but needs at least 2" in m for m in msgs)  # A: two forced sites
    assert any("at least 3 sites together, more than p = 2" in m for m in msgs)
    q2 = township_quotas(["A", "A", "B", "B"], min_sites=2)
    inst2 = make_instance([1.0] * 4, [0, 1, 2, 3], [0, 1, 2, 3], [5.0] * 4, n_candidates=4,
                          threshold=15, cost=[1, 5, 2, 3])
    msgs = [p.message for p in quota_problems(inst2, q2, budget=10)]
    assert any("costs at least 11, more than the budget 10" in m for m in msgs)
    assert not quota_problems(inst2, q2, budget=11)


def test_greedy_plan_breaking_the_quotas_is_not_the_start_and_has_no_gap():
    # candidates 0 and 1 (township A) cover 100 and 90 people, 2 (township B) covers 5
    inst = make_instance([100.0, 90.0, 5.0], [0, 1, 2], [0, 1, 2], [5.0] * 3, n_candidates=3,
                         threshold=15)
    q = township_quotas(["A", "A", "B"], min_sites=1)
    res = maximal_covering(inst, p=2, quotas=q)
    assert res.greedy_chosen.tolist() == [0, 1]  # greedy ignores the quotas
    assert res.chosen.tolist() == [0, 2] and res.objective == 105.0 and res.optimal
    assert np.isnan(res.greedy_gap)
    assert res.details["quota_broken"] == 0 and not res.messages
