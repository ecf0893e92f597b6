"""The upgrade order: greedy steps by hand and by brute force, the optimum of every prefix by
brute force over all subsets of size k, the yearly cuts by hand."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from test_maps import layer_names

from tcm_coverage._errors import InputError
from tcm_coverage.cli.main import main
from tcm_coverage.demo import DEMO_DATUM, DEMO_FILES, demo_data_dir
from tcm_coverage.inputs import read_facilities
from tcm_coverage.siting import coverage_after, make_instance, upgrade_order, year_of_steps
from tcm_coverage.workflows import load_scenario, run_scenario


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


# --------------------------------------------------------------------------------------------
# End to end: tcm-coverage site ranked_quota.toml on the demo county, the workbook read back
# --------------------------------------------------------------------------------------------
SCENARIOS = demo_data_dir() / "scenarios"


@pytest.fixture(scope="module")
def ranked_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ranked") / "scenarios"
    assert main(["-q", "site", str(SCENARIOS / "ranked_quota.toml"), "--out", str(out)]) == 0
    return out / "ranked_quota"


def test_ranked_quota_workbook(ranked_run):
    book = pd.read_excel(ranked_run / "sites.xlsx", sheet_name=None)
    order, sites, towns = book["建设顺序"], book["选址"], book["乡镇前后对比"]
    summary = book["方案摘要"].iloc[0]
    assert order["顺序"].tolist() == list(range(1, len(order) + 1))
    assert set(order["候选编号"]) == set(sites["候选编号"])  # among = "plan": the chosen sites ranked
    assert order["累计成本"].tolist() == pytest.approx(np.cumsum(order["成本"]).tolist())
    before = round(summary["规划前覆盖率"] * towns.loc[towns["区划代码"] == "total", "人口"].iloc[0])
    assert (order["累计覆盖人口"] - before - np.cumsum(order["新覆盖人口"])).abs().max() <= len(order)
    assert order["累计覆盖人口"].iloc[-1] == pytest.approx(
        towns.loc[towns["区划代码"] == "total", "规划后覆盖人口"].iloc[0], abs=len(order))
    # years by hand: budgets 15 and 15, unspent money carries over
    cum = order["累计成本"].to_numpy()
    expect = np.where(cum <= 15, "2026", np.where(cum <= 30, "2027", "预算外"))
    assert order["年度"].astype(str).tolist() == expect.tolist()
    # the optimum for k is at least the greedy prefix; the gap is (optimum - greedy) / optimum
    opt, got = order["同点数最优覆盖人口"].to_numpy(float), order["累计覆盖人口"].to_numpy(float)
    assert (opt >= got - 1).all() and (np.diff(opt) >= -1).all()
    gap = (opt - got) / (opt - before)
    assert order["与最优差距"].to_numpy() == pytest.approx(gap, abs=2e-4)
    assert summary["成本"] <= 30 and summary["排序步数"] == len(order)


def test_ranked_quota_meets_the_township_quotas(ranked_run):
    """Recount from the demo facility table: every township has >= 20 % of its village clinics
    with a 中医阁 after the plan, and no township has more than 6 sites."""
    book = pd.read_excel(ranked_run / "sites.xlsx", sheet_name=None)
    sites, towns = book["选址"], book["乡镇前后对比"]
    fac = read_facilities(demo_data_dir() / DEMO_FILES["facilities"], datum=DEMO_DATUM)
    areas = gpd.read_file(demo_data_dir() / DEMO_FILES["townships"])
    clinics = fac[fac["tier"] == "village_station"].reset_index(drop=True)
    joined = gpd.sjoin(clinics[["zhongyige", "geometry"]], areas[["name", "geometry"]],
                       predicate="within")
    n = joined.groupby("name").size()
    ge = joined.groupby("name")["zhongyige"].apply(lambda v: int((v == True).sum()))  # noqa: E712
    per_town = sites.groupby("乡镇").size()
    assert per_town.max() <= 6
    new = sites[sites["类型"].str.startswith("新建")].groupby("乡镇").size()
    up = sites[sites["类型"].str.startswith("升级")].groupby("乡镇").size()
    for town in n.index:
        have = ge.get(town, 0) + up.get(town, 0) + new.get(town, 0)
        total = n[town] + new.get(town, 0)
        assert have / total >= 0.2 - 1e-12, town
        row = towns[towns["名称"] == town].iloc[0]
        assert row["规划后中医阁数"] == have and row["规划后村卫生室数"] == total
        assert row["规划前中医阁数"] == ge.get(town, 0)
    # the quotas bind: before the plan some township is below 20 %
    assert ((ge.reindex(n.index, fill_value=0) / n) < 0.2).any()


def test_ranked_quota_map_and_record(ranked_run):
    page = (ranked_run / "map.html").read_text(encoding="utf-8")
    order = pd.read_excel(ranked_run / "sites.xlsx", sheet_name="建设顺序")
    assert f"建设顺序（{len(order)}）" in layer_names(page)
    # the rank on each site (folium writes the marker's HTML JSON-escaped)
    numbers = [f'solid #fff\\"\\u003e{k}\\u003c/div\\u003e' for k in range(1, len(order) + 1)]
    assert "第1位：" in page and all(n in page for n in numbers)
    record = json.loads((ranked_run / "result.json").read_text(encoding="utf-8"))
    assert len(record["upgrade_order"]) == len(order)
    assert record["summary"]["plan_years"].startswith("2026年：")


@pytest.mark.parametrize(("extra", "needle"), [
    ("[plan]\nbudget_per_year = [1, 2]\nyears = [2026]\n", "[plan.years] must list one label"),
    ("[plan]\norder = \"fast\"\n", "[plan.order] unknown order"),
    ("[quotas]\nquota_profile = \"yantai\"\nmin_share_per_township = 0.1\n", "not both"),
    ("[quotas]\nquota_profile = \"nowhere\"\n", "[quotas.quota_profile]"),
    ("[quotas]\n", "[quotas] sets no quota"),
    ("[quotas]\nmin_sites_per_township = 3\nmax_sites_per_township = 2\n", "below the minimum"),
])
def test_bad_plan_and_quota_keys(tmp_path, extra, needle):
    path = tmp_path / "s.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert needle in str(info.value) and "s.toml" in str(info.value) and "Fix:" in str(info.value)


def test_plan_budget_and_profile_share(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(BASE.replace("p = 3\nbudget = 10\n", "") + "[plan]\nbudget_per_year = [4, 5]\n"
                    "[quotas]\nquota_profile = \"national\"\n", encoding="utf-8")
    scn = load_scenario(path)
    assert scn.budget == 9 and scn.plan.years == ("1", "2") and scn.quotas.min_share == 0.1


def test_impossible_quota_names_the_file_and_township(demo_computed, tmp_path):
    run, _ = demo_computed
    path = tmp_path / "q.toml"
    path.write_text(BASE + "[quotas]\nmin_sites_per_township = 3\n", encoding="utf-8")
    scn = load_scenario(path)
    scn = replace(scn, config=scn.config.updated(modes=("ebike",), thresholds=(15.0,)))
    with pytest.raises(InputError) as info:
        run_scenario(scn, run=run, progress=False)
    text = str(info.value)
    # p = 3 cannot give 10 townships 3 sites each: named before any solve
    assert "q.toml" in text and "more than p = 3" in text and "Fix:" in text
    path.write_text(BASE.replace("p = 3\n", "") + "[quotas]\nmin_sites_per_township = 40\n",
                    encoding="utf-8")
    scn = replace(load_scenario(path), config=scn.config)
    with pytest.raises(InputError) as info:
        run_scenario(scn, run=run, progress=False)
    text = str(info.value)
    # township by township: no demo township has 40 clinics without a 中医阁
    assert "township 乙镇 (140405D02) needs at least 40 sites but has only" in text
    assert "township 甲街道 (140405D01) needs at least 40 sites" in text
    assert "q.toml" in text and "Fix: lower min_sites_per_township" in text


BASE = """
[scenario]
name = "t"
[data]
demo = true
[candidates]
kinds = ["upgrade"]
[model]
type = "upgrade_or_build"
p = 3
budget = 10
"""
