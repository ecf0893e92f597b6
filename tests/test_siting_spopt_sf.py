"""External check: PySAL spopt's San Francisco instance (205 tracts x 16 candidate stores).

Data: ``../shared/data/spopt-sf/`` (PySAL spopt test data, BSD-3-Clause). The instance is built
exactly as spopt's test-suite builds it (``spopt/tests/test_locate/test_mclp.py``,
``test_p_median.py``, ``test_lscp.py``, class ``TestRealWorldLocate``):

* cost matrix = ``network_distance.pivot_table(values="distance", index="DestinationName",
  columns="name").to_numpy()`` — metres, rows sorted by tract name, columns sorted as strings
  (``Store_1, Store_11, ..., Store_19, Store_2, ..., Store_7``);
* weights ``ai`` = ``POP2000`` of the demand table sorted by ``NAME`` (same order as the
  pivot rows; it equals the ``demand`` column of the distance table);
* ``service_radius = 5000.0`` m, ``p_facilities = 4``.

Published values (spopt test-suite):

* MCLP: ``n_cli_uncov == 21`` and ``perc_cov == 89.75609756097561`` — 184 of 205 tracts
  covered by the optimal 4 stores;
* p-median: ``mean_dist == 2982.1268579890657`` where spopt defines
  ``mean_dist = objective / sum(ai)``, i.e. objective ``2982.1268579890657 * 955113``;
* LSCP at 5000 m: only "optimal" is asserted there (no value). At ``service_radius=20`` spopt
  raises "Model is not solved: Infeasible"; here the uncoverable tracts are reported instead.

The optimal MCLP objective (875,247 people, stores 11, 12, 15 and 2) and the LSCP minimum
(8 stores) are not printed in spopt's tests. They were checked by brute force over all 1,820
four-store subsets (unique MCLP and p-median optimum) and all subsets of up to 8 stores (8
alternative LSCP optima), and by running spopt 0.7.0 + CBC on the same matrices (MCLP
875247.0 with 21 uncovered tracts, p-median 2848268129.7145104 = 2982.1268579890657 * 955113,
LSCP 8.0).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from tcm_coverage.siting import instance_from_matrix, maximal_covering, p_median, set_covering

pytestmark = pytest.mark.shared_data

SPOPT_MEAN_DIST = 2982.1268579890657
SPOPT_N_CLI_UNCOV = 21
SPOPT_PERC_COV = 89.75609756097561


@pytest.fixture
def sf(shared_data):
    shared = shared_data / "spopt-sf"
    dist = pd.read_csv(shared / "SF_network_distance_candidateStore_16_censusTract_205_new.csv")
    piv = dist.pivot_table(values="distance", index="DestinationName", columns="name")
    demand = pd.read_csv(shared / "SF_demand_205_centroid_uniform_weight.csv")
    demand = demand.sort_values(by=["NAME"]).reset_index()
    assert np.array_equal(piv.index.to_numpy(), demand["NAME"].to_numpy())
    return piv.to_numpy(), demand["POP2000"].to_numpy(), list(piv.columns)


def test_sf_mclp_matches_spopt(sf):
    cost, ai, names = sf
    inst = instance_from_matrix(cost, ai, threshold=5000.0)
    res = maximal_covering(inst, p=4)
    assert res.optimal and res.n_chosen == 4
    n_cli_uncov = int((~res.covered).sum())
    assert n_cli_uncov == SPOPT_N_CLI_UNCOV
    assert (1 - n_cli_uncov / len(ai)) * 100.0 == pytest.approx(SPOPT_PERC_COV)
    assert res.objective == 875247.0
    assert [names[j] for j in res.chosen] == ["Store_11", "Store_12", "Store_15", "Store_2"]
    # the same optimum without reduction and without warm start
    assert maximal_covering(inst, p=4, reduce=False, warm_start=False).objective == 875247.0


def test_sf_p_median_matches_spopt(sf):
    cost, ai, names = sf
    inst = instance_from_matrix(cost, ai, threshold=5000.0)
    res = p_median(inst, p=4)
    assert res.optimal
    assert res.objective / ai.sum() == pytest.approx(SPOPT_MEAN_DIST, rel=1e-12)
    assert res.objective == pytest.approx(SPOPT_MEAN_DIST * ai.sum(), rel=1e-12)
    assert res.details["mean_minutes_after"] == pytest.approx(SPOPT_MEAN_DIST, rel=1e-12)
    assert [names[j] for j in res.chosen] == ["Store_11", "Store_12", "Store_15", "Store_2"]


def test_sf_lscp_optimum_is_eight_stores(sf):
    cost, ai, _ = sf
    inst = instance_from_matrix(cost, ai, threshold=5000.0)
    res = set_covering(inst, minimize="count")
    assert res.optimal and res.objective == 8 and res.covered.all()
    # brute force: no 7 stores cover all 205 tracts
    cover = cost <= 5000.0
    assert not any(cover[:, list(s)].any(axis=1).all()
                   for s in itertools.combinations(range(16), 7))


def test_sf_lscp_infeasible_radius_reports_uncoverable(sf):
    cost, ai, _ = sf
    inst = instance_from_matrix(cost, ai, threshold=20.0)  # spopt: "Infeasible"
    res = set_covering(inst)
    assert res.uncoverable.all() and res.uncoverable_weight == ai.sum()
    assert res.n_chosen == 0
    assert "955,113 people in 205 demand rows" in res.messages[0]
