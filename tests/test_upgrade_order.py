"""The upgrade order: greedy steps by hand and by brute force, the optimum of every prefix by
brute force over all subsets of size k, the yearly cuts by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tcm_coverage._errors import InputError
from tcm_coverage.siting import coverage_after, make_instance, upgrade_order, year_of_steps


def newly(inst, chosen):
    return float(inst.weight[coverage_after(inst, list(chosen)) & ~inst.already_covered].sum())


def hand_instance():
    """Five residents, four candidates (pairs within 15 min listed by hand).

    resident weights 100, 80, 60, 50, 10; resident 4 is already covered (existing 5 min).
    candidate 0 covers {0, 1}; 1 covers {1, 2, 3}; 2 covers {3, 4}; 3 covers {0}.
    """
    demand = [0, 1, 1, 2, 3, 3, 4, 0]
    cand = [0, 0, 1, 1, 1, 2, 2, 3]
    return make_instance([100, 80, 60, 50, 10], demand, cand, [10.0] * 8, n_candidates=4,
                         threshold=15, existing_minutes=[np.inf, np.inf, np.inf, np.inf, 5.0],
                         cost=[1.0, 4.0, 1.0, 1.0])


def test_greedy_order_by_hand():
    inst = hand_instance()
    order = upgrade_order(inst, budgets=[2, 2, 1])
    # step 1: candidate 1 adds 80 + 60 + 50 = 190 (0 adds 180); step 2: candidate 0 adds 100
    # (3 adds 100 too, 0 comes first); nothing else adds anyone (resident 4 is covered already)
    assert order.chosen.tolist() == [1, 0]
    assert order.newly_covered.tolist() == [190.0, 100.0]
    assert order.covered.tolist() == [200.0, 300.0]
    assert order.share == pytest.approx([200 / 300, 1.0])
    assert order.cum_cost.tolist() == [4.0, 5.0]
    # cumulative budgets 2, 4, 5: cost 4 fits by year 2, cost 5 by year 3
    assert order.year.tolist() == [2, 3]
    assert order.optimum.tolist() == [190.0, 290.0]  # best pair is {1, 0}: 290 newly covered
    assert order.gap == pytest.approx([0.0, 0.0])


def test_per_cost_order_by_hand():
    inst = hand_instance()
    order = upgrade_order(inst, by="per_cost")
    # per unit cost: 0 -> 180/1, 1 -> 190/4, 2 -> 50, 3 -> 100; then 2 adds 50, 1 adds 60
    assert order.chosen.tolist() == [0, 2, 1]
    assert order.newly_covered.tolist() == [180.0, 50.0, 60.0]
    assert order.cum_cost.tolist() == [1.0, 2.0, 6.0]
    assert order.yardstick == "cost"
    # the best plan within cost 1: {0} 180; within 2: {0, 2} 230; within 6: all, 290
    assert order.optimum.tolist() == [180.0, 230.0, 290.0]


def random_instance(seed, k=18, n=8):
    rng = np.random.default_rng(seed)
    dem, cand = rng.uniform(0, 10, (k, 2)), rng.uniform(0, 10, (n, 2))
    minutes = np.linalg.norm(dem[:, None] - cand[None], axis=2) * 4.0
    d, c = np.nonzero(minutes <= 30)
    ex = np.linalg.norm(dem - rng.uniform(0, 10, 2), axis=1) * 4.0
    return make_instance(rng.integers(1, 400, k).astype(float), d, c, minutes[d, c],
                         n_candidates=n, threshold=15, existing_minutes=ex,
                         cost=rng.integers(1, 5, n).astype(float))


@pytest.mark.parametrize("seed", range(6))
def test_greedy_steps_and_prefix_optimum_against_brute_force(seed):
    inst = random_instance(seed)
    order = upgrade_order(inst, steps=5)
    chosen: list[int] = []
    for step, j in enumerate(order.chosen.tolist()):
        # the greedy step: no other candidate adds more on top of the earlier steps
        gains = {c: newly(inst, chosen + [c]) - newly(inst, chosen)
                 for c in range(inst.n_candidates) if c not in chosen}
        assert gains[j] == pytest.approx(max(gains.values()))
        assert order.newly_covered[step] == pytest.approx(gains[j])
        chosen.append(j)
        k = step + 1
        best = max(newly(inst, s) for s in itertools.combinations(range(inst.n_candidates), k))
        assert order.optimum[step] == pytest.approx(best)
        assert order.optimum_proven[step]
        greedy = newly(inst, chosen)
        assert order.gap[step] == pytest.approx((best - greedy) / best if best else 0.0)
    assert order.covered[-1] == pytest.approx(
        float(inst.weight[coverage_after(inst, chosen)].sum()))


def test_some_greedy_prefix_is_not_optimal():
    """The comparison can show a gap (it is not the greedy value twice)."""
    gaps = [upgrade_order(random_instance(s), steps=4).gap.max() for s in range(12)]
    assert max(gaps) > 0


def test_among_ranks_every_site_of_a_plan():
    inst = hand_instance()
    order = upgrade_order(inst, among=[2, 3], exact=False)
    assert order.chosen.tolist() == [3, 2]  # 3 adds 100, 2 adds 50
    assert np.isnan(order.optimum).all()
    order = upgrade_order(inst, among=[2, 3, 0], exact=False)  # 3 adds nobody after 0
    assert order.chosen.tolist() == [0, 2, 3]
    assert order.newly_covered.tolist() == [180.0, 50.0, 0.0]


def test_forced_sites_come_first():
    inst = make_instance([10, 100], [0, 1], [0, 1], [5.0, 5.0], n_candidates=2, threshold=15,
                         forced=[True, False])
    assert upgrade_order(inst).chosen.tolist() == [0, 1]


def test_years_by_hand():
    # budgets 300, 300: cumulative 300, 600; carry-over of what year 1 leaves unspent
    assert year_of_steps([100, 250, 300, 301, 600, 601], [300, 300]).tolist() == [1, 1, 1, 2, 2, 0]
    assert year_of_steps([0.0, 5.0], [0, 5]).tolist() == [1, 2]
    with pytest.raises(InputError, match="budget_per_year"):
        year_of_steps([1.0], [-1])
