"""SitingInstance: validation, evaluation, reductions (and that they keep the optimum)."""

from __future__ import annotations

import numpy as np
import pytest

from tcm_coverage._errors import InputError
from tcm_coverage.siting import (
    coverage_after,
    instance_from_matrix,
    instance_from_od,
    make_instance,
    maximal_covering,
    minutes_after,
    p_median,
    reduce_covering,
    reduce_median,
    set_covering,
)
from tcm_coverage.siting.reduction import _row_groups


def clustered_instance(seed, *, k=300, n=40, threshold=12.0, existing=True):
    """Residents in a few villages (many share the same covering set), grid-ish candidates."""
    rng = np.random.default_rng(seed)
    villages = rng.uniform(0, 20, size=(25, 2))
    dem = villages[rng.integers(0, 25, size=k)] + rng.normal(0, 0.05, size=(k, 2))
    cand = np.vstack([villages[rng.integers(0, 25, size=n // 2)],
                      rng.uniform(0, 20, size=(n - n // 2, 2))])
    minutes = np.linalg.norm(dem[:, None] - cand[None], axis=2) * 4.0
    ex_min = None
    if existing:
        ex = rng.uniform(0, 20, size=(3, 2))
        ex_min = np.linalg.norm(dem[:, None] - ex[None], axis=2).min(axis=1) * 4.0
    cost = rng.integers(1, 4, size=n).astype(float)
    return instance_from_matrix(minutes, rng.integers(1, 300, size=k), threshold=threshold,
                                cutoff=3 * threshold, cost=cost, existing_minutes=ex_min)


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------
def test_validation_errors_name_the_problem():
    with pytest.raises(InputError, match="negative or missing"):
        make_instance([1, -2], [0], [0], [1.0], n_candidates=1, threshold=15)
    with pytest.raises(InputError, match="candidate indices"):
        make_instance([1, 2], [0], [3], [1.0], n_candidates=1, threshold=15)
    with pytest.raises(InputError, match="negative travel"):
        make_instance([1, 2], [0], [0], [-1.0], n_candidates=1, threshold=15)
    with pytest.raises(InputError, match="both forced and excluded"):
        make_instance([1], [0], [0], [1.0], n_candidates=2, threshold=15,
                      forced=[True, False], excluded=[True, False])
    with pytest.raises(InputError, match="cost"):
        make_instance([1], [0], [0], [1.0], n_candidates=1, threshold=15, cost=[np.nan])
    with pytest.raises(InputError, match="threshold"):
        make_instance([1], [0], [0], [1.0], n_candidates=1, threshold=0)
    with pytest.raises(ValueError):  # InputError is also a ValueError
        make_instance([1], [0], [0], [1.0], n_candidates=1, threshold=15, forced=["x"])


def test_duplicate_pairs_keep_the_fastest_and_non_finite_are_dropped():
    inst = make_instance([1, 1], [1, 0, 0, 1], [0, 0, 0, 1], [5.0, 9.0, 3.0, np.inf],
                         n_candidates=2, threshold=15)
    np.testing.assert_array_equal(inst.pair_demand, [0, 1])
    np.testing.assert_array_equal(inst.pair_candidate, [0, 0])
    np.testing.assert_array_equal(inst.pair_minutes, [3.0, 5.0])


def test_instance_from_od_duck_type():
    class OD:
        demand = np.array([0, 2])
        facility = np.array([1, 0])
        minutes = np.array([0.0, 14.0])
        n_demand = 3
        n_facility = 2

    inst = instance_from_od(OD(), [10, 20, 30], threshold=15)
    assert inst.n_demand == 3 and inst.n_candidates == 2
    np.testing.assert_array_equal(coverage_after(inst, [1]), [True, False, False])
    np.testing.assert_array_equal(minutes_after(inst, [0, 1]), [0.0, np.inf, 14.0])
    with pytest.raises(InputError, match="weights"):
        instance_from_od(OD(), [1, 2], threshold=15)


# ---------------------------------------------------------------------------------------
# reduction mechanics
# ---------------------------------------------------------------------------------------
def test_row_groups_merge_exactly_identical_rows():
    import scipy.sparse as sp

    rows = [[0, 2], [1], [0, 2], [2, 0], [0, 1, 2], [1], []]
    r = np.concatenate([[i] * len(c) for i, c in enumerate(rows)]).astype(int)
    c = np.concatenate([c for c in rows if c]).astype(int)
    mat = sp.csr_matrix((np.ones(r.size, bool), (r, c)), shape=(len(rows), 3))
    mat.sort_indices()
    gid = _row_groups(mat)
    assert gid[0] == gid[2] == gid[3]
    assert gid[1] == gid[5]
    assert len({gid[0], gid[1], gid[4], gid[6]}) == 4


def test_reduce_covering_merges_drops_and_reports():
    # rows 0,1 identical sets; row 2 already covered; row 3 uncoverable; row 4 another set
    inst = make_instance(
        [10, 20, 30, 40, 50],
        [0, 0, 1, 1, 2, 4, 4, 3],
        [0, 1, 0, 1, 0, 1, 2, 3],
        [1, 2, 3, 4, 5, 6, 7, 99],
        n_candidates=5, threshold=15, existing_minutes=[np.inf, 20, 5, np.inf, np.inf],
        cost=[1, 1, 1, 1, 1],
    )
    red = reduce_covering(inst)
    s = red.stats
    assert s.n_already_covered == 1 and s.already_covered_weight == 30
    assert s.n_uncoverable == 1 and s.uncoverable_weight == 40
    np.testing.assert_array_equal(red.uncoverable, [False, False, False, True, False])
    assert s.n_merged == 1
    assert red.demand_map[0] == red.demand_map[1] >= 0
    assert red.demand_map[2] == red.demand_map[3] == -1
    # candidate 0 covers {0,1}; candidate 1 covers {0,1,4} -> 0 dominated (equal cost);
    # candidate 2 covers {4} -> dominated by 1; 3 only reaches row 3 beyond the threshold,
    # 4 has no pair: useless
    np.testing.assert_array_equal(red.candidate_map, [1])
    assert s.n_dominated == 2 and s.n_useless == 2
    np.testing.assert_allclose(red.instance.weight.sum(), 10 + 20 + 50)
    assert "merged" in s.summary()


def test_dominance_ties_keep_exactly_one_and_respect_cost_and_force():
    # three candidates with the same covered set {0, 1}
    d = [0, 1, 0, 1, 0, 1]
    c = [0, 0, 1, 1, 2, 2]
    base = dict(n_candidates=3, threshold=15)
    red = reduce_covering(make_instance([1, 1], d, c, [1] * 6, cost=[2, 2, 2], **base))
    np.testing.assert_array_equal(red.candidate_map, [0])  # equal cost: first kept
    red = reduce_covering(make_instance([1, 1], d, c, [1] * 6, cost=[3, 1, 2], **base))
    np.testing.assert_array_equal(red.candidate_map, [1])  # cheapest kept
    red = reduce_covering(make_instance([1, 1], d, c, [1] * 6, cost=[3, 1, 2],
                                        forced=[False, False, True], **base))
    np.testing.assert_array_equal(red.candidate_map, [1, 2])  # forced never dropped
    # without costs (p-only MCLP) a superset dominates regardless of cost
    red = reduce_covering(make_instance([1, 1, 1], [0, 1, 0, 1, 2], [0, 0, 1, 1, 1], [1] * 5,
                                        n_candidates=2, threshold=15, cost=[1, 9]),
                          use_cost=False)
    np.testing.assert_array_equal(red.candidate_map, [1])
    red = reduce_covering(make_instance([1, 1, 1], [0, 1, 0, 1, 2], [0, 0, 1, 1, 1], [1] * 5,
                                        n_candidates=2, threshold=15, cost=[1, 9]))
    np.testing.assert_array_equal(red.candidate_map, [0, 1])  # cheaper subset survives


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_reduction_keeps_the_optimum(seed):
    inst = clustered_instance(seed)
    red = reduce_covering(inst)
    assert red.stats.n_merged > 0  # the instance is built to have duplicates
    for kwargs in ({"p": 3}, {"p": 6}, {"budget": 7.0}):
        a = maximal_covering(inst, reduce=True, **kwargs)
        b = maximal_covering(inst, reduce=False, **kwargs)
        assert a.optimal and b.optimal
        assert a.objective == pytest.approx(b.objective, rel=1e-9)
    for share, minimize in ((1.0, "count"), (1.0, "cost"), (0.9, "cost")):
        a = set_covering(inst, share=share, minimize=minimize, reduce=True)
        b = set_covering(inst, share=share, minimize=minimize, reduce=False)
        assert a.objective == pytest.approx(b.objective)
    a = p_median(inst, p=4, reduce=True)
    b = p_median(inst, p=4, reduce=False)
    assert a.objective == pytest.approx(b.objective, rel=1e-6)
    assert a.reduction.n_pairs_reduced <= b.reduction.n_pairs_reduced


def test_reduce_median_drops_rows_no_candidate_improves():
    inst = make_instance([5, 7, 9], [0, 1, 1], [0, 0, 1], [4.0, 30.0, 2.0], n_candidates=3,
                         threshold=15, existing_minutes=[10.0, 3.0, np.inf])
    red = reduce_median(inst, unreached_minutes=100.0)
    # row 0 improves via candidate 0, row 1 via candidate 1 (2 < 3), row 2 has nothing
    np.testing.assert_array_equal(red.demand_map, [0, 1, -1])
    np.testing.assert_array_equal(red.candidate_map, [0, 1])
    np.testing.assert_array_equal(red.uncoverable, [False, False, True])
    assert red.constant == pytest.approx(9 * 100.0)
    res = p_median(inst, p=1, unreached_minutes=100.0)
    # open 0: 5*4 + 7*3 + 900 = 941; open 1: 5*10 + 7*2 + 900 = 964
    assert res.objective == pytest.approx(941.0)
    np.testing.assert_array_equal(res.chosen, [0])
    assert res.uncoverable_weight == 9
    assert any("reach no open facility" in m for m in res.messages)


# ---------------------------------------------------------------------------------------
# uncoverable demand is reported, not "infeasible"
# ---------------------------------------------------------------------------------------
def test_lscp_with_uncoverable_demand_reports_who_and_how_many():
    inst = make_instance(
        [100, 250, 40, 60, 500],
        [0, 1, 1, 3],
        [0, 0, 1, 1],
        [5, 8, 14, 20],  # row 3 only at 20 min: not covered; rows 2 and 4 have nothing
        n_candidates=2, threshold=15,
    )
    res = set_covering(inst)
    np.testing.assert_array_equal(np.flatnonzero(res.uncoverable), [2, 3, 4])
    assert res.uncoverable_weight == 600
    np.testing.assert_array_equal(res.chosen, [0])  # everything coverable, at least cost
    assert res.optimal and res.details["target_reached"] is False
    msg = " ".join(res.messages)
    assert "600 people in 3 demand rows" in msg and "rows 2, 3, 4" in msg
    # partial target above what can be reached is capped, with a message
    res = set_covering(inst, share=0.9)
    assert res.details["target_reached"] is False
    assert res.details["share_reachable"] == pytest.approx(350 / 950)
    assert any("cannot be reached" in m for m in res.messages)
    # a reachable partial target is met
    res = set_covering(inst, share=0.2)
    assert res.details["target_reached"] is True and res.n_chosen == 1


def test_nothing_coverable_is_not_an_error():
    inst = make_instance([10, 20], [0], [0], [30.0], n_candidates=1, threshold=15)
    res = set_covering(inst)
    assert res.n_chosen == 0 and res.uncoverable_weight == 30 and res.optimal
    res = maximal_covering(inst, p=1)
    assert res.objective == 0 and res.n_chosen == 0
