"""GeoDataFrame adapter: candidates from facility/village tables, network instance, outputs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _frame import CRS_M, X0, Y0, ll

from tcm_coverage._errors import InputError
from tcm_coverage.access.traveltime import nearest_facility_times, od_pairs_within
from tcm_coverage.network import RoadNetwork, build_routing_graph, get_profile, snap_points
from tcm_coverage.siting import (
    CANDIDATE_COLUMNS,
    DEFAULT_COSTS,
    build_candidates,
    chosen_sites,
    cluster_candidates,
    demand_after,
    maximal_covering,
    p_median,
    set_covering,
    siting_instance,
    upgrade_or_build,
)

STEP = 500.0
N = 9  # 9 x 9 grid of 500 m blocks: 4 km square


def points(xy, **cols):
    xy = np.asarray(xy, float).reshape(-1, 2)
    lon, lat = ll(xy[:, 0], xy[:, 1])
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


@pytest.fixture(scope="module")
def grid_rg():
    ij = [(i, j) for i in range(N) for j in range(N)]
    xy = np.array(ij, float) * STEP
    index = {p: k for k, p in enumerate(ij)}
    segs = [(index[(i, j)], index[(i + 1, j)]) for i in range(N - 1) for j in range(N)]
    segs += [(index[(i, j)], index[(i, j + 1)]) for i in range(N) for j in range(N - 1)]
    u = np.array([a for a, _ in segs])
    v = np.array([b for _, b in segs])
    geoms = np.array([shapely.LineString([xy[a] + [X0, Y0], xy[b] + [X0, Y0]]) for a, b in segs],
                     dtype=object)
    lon, lat = ll(xy[:, 0], xy[:, 1])
    m = len(segs)
    net = RoadNetwork(node_id=np.arange(len(xy)), lon=lon, lat=lat, u=u, v=v,
                      length_m=shapely.length(geoms), highway=np.full(m, "residential", object),
                      oneway=np.zeros(m, bool), maxspeed_kmh=np.full(m, np.nan),
                      geometry_m=geoms, crs_m=CRS_M, source="grid")
    return build_routing_graph(net, get_profile("walk"))


@pytest.fixture
def tables():
    facilities = points(
        [[0, 0], [4000, 4000], [2000, 2000], [500, 3500], [3500, 500]],
        facility_id=["F1", "F2", "F3", "F4", "F5"],
        name=["县中医院", "卫生院", "甲村卫生室", "乙村卫生室", "丙村卫生室"],
        tier=["county_tcm", "township_centre", "village_station", "village_station",
              "village_station"],
        zhongyiguan=[False, True, False, False, False],
        zhongyige=[False, False, False, True, False],
        成本=[np.nan, np.nan, 1.5, np.nan, ""],
        必选=["否", "否", "否", "否", "是"],
    )
    villages = points(
        [[2050, 2000], [1000, 2000], [3000, 3000], [500, 1500]],
        name=["甲村", "丁村", "戊村", "己村"], population=[800.0, 600.0, 50.0, 900.0],
        exclude=[False, False, False, True],
    )
    xs, ys = np.meshgrid(np.arange(250, 4000, 500.0), np.arange(250, 4000, 500.0))
    demand = points(np.column_stack([xs.ravel(), ys.ravel()]),
                    demand_id=np.arange(xs.size), population=np.full(xs.size, 100.0),
                    name=[f"d{i}" for i in range(xs.size)])
    return facilities, villages, demand


def test_build_candidates_kinds_costs_flags(tables):
    facilities, villages, _ = tables
    cand = build_candidates(facilities, villages=villages, min_population=100)
    assert list(cand.columns) == list(CANDIDATE_COLUMNS)
    assert cand.crs.to_epsg() == 4326
    up = cand[cand["kind"] == "upgrade"]
    # village stations without a 中医阁: F3 and F5 (F4 has one)
    assert up["facility_id"].tolist() == ["F3", "F5"]
    assert up["cost"].tolist() == [1.5, DEFAULT_COSTS["upgrade"]]  # per-row 成本 overrides
    assert up["force"].tolist() == [False, True]  # 必选 = 是
    new = cand[cand["kind"] == "new"]
    # 甲村 is 50 m from 甲村卫生室 (has a clinic); 戊村 has 50 people (< 100);
    # 丁村 and 己村 (excluded) stay
    assert new["name"].tolist() == ["丁村", "己村"]
    assert new["exclude"].tolist() == [False, True]
    assert (new["cost"] == DEFAULT_COSTS["new"]).all()
    assert new["candidate_id"].is_unique and cand["candidate_id"].is_unique
    cand2 = build_candidates(facilities, villages=villages, costs={"new": 9.0, "upgrade": 2.0})
    assert (cand2.loc[cand2["kind"] == "new", "cost"] == 9.0).all()
    assert cand2.loc[cand2["facility_id"] == "F5", "cost"].item() == 2.0


def test_build_candidates_errors_name_rows(tables):
    facilities, villages, _ = tables
    bad = facilities.copy()
    bad["成本"] = ["", "", "cheap", "", ""]
    with pytest.raises(InputError, match="row 4") as err:
        build_candidates(bad)
    assert err.value.column == "成本"
    bad = facilities.copy()
    bad["必选"] = ["否", "否", "maybe", "否", "否"]
    with pytest.raises(InputError, match="row 4.*not yes/no"):
        build_candidates(bad)
    with pytest.raises(InputError, match="unknown candidate kind"):
        build_candidates(facilities, costs={"hospital": 1.0})
    with pytest.raises(InputError, match="uncovered"):
        build_candidates(facilities, demand=tables[2], cluster_method="kmeans")


def test_cluster_candidates_weighted(tables):
    _, _, demand = tables
    x = demand.to_crs(CRS_M).geometry.x.to_numpy() - X0
    mask = x > 3000  # the east strip
    cl = cluster_candidates(demand, mask, method="kmeans", n_clusters=2)
    assert len(cl) == 2 and (cl["kind"] == "new").all() and (cl["source"] == "cluster").all()
    assert cl["population"].sum() == pytest.approx(demand["population"][mask].sum())
    cx = cl.to_crs(CRS_M).geometry.x.to_numpy() - X0
    assert (cx > 3000).all()
    db = cluster_candidates(demand, mask, method="dbscan", eps_m=600, min_population=300)
    assert len(db) == 1 and db["population"].item() == pytest.approx(100.0 * mask.sum())
    assert len(cluster_candidates(demand, np.zeros(len(demand), bool))) == 0
    with pytest.raises(InputError):
        cluster_candidates(demand, mask, method="ward")
    cand = build_candidates(tables[0], demand=demand, uncovered=mask, cluster_method="kmeans",
                            n_clusters=3)
    assert (cand["source"] == "cluster").sum() == 3


def test_siting_instance_uses_network_times(tables, grid_rg):
    facilities, villages, demand = tables
    cand = build_candidates(facilities, villages=villages, min_population=100)
    existing = facilities.iloc[[0, 1, 3]]  # county hospital, 中医馆 centre, 中医阁 station
    inst = siting_instance(demand, cand, grid_rg, threshold=10.0, existing=existing)
    # pairs are exactly od_pairs_within on the same snaps
    dsnap = snap_points(grid_rg, demand.geometry.x, demand.geometry.y)
    csnap = snap_points(grid_rg, cand.geometry.x, cand.geometry.y)
    od = od_pairs_within(grid_rg, dsnap, csnap, 10.0)
    np.testing.assert_array_equal(inst.pair_demand, od.demand)
    np.testing.assert_array_equal(inst.pair_candidate, od.facility)
    np.testing.assert_allclose(inst.pair_minutes, od.minutes)
    esnap = snap_points(grid_rg, existing.geometry.x, existing.geometry.y)
    np.testing.assert_allclose(inst.existing_minutes,
                               nearest_facility_times(grid_rg, dsnap, esnap).minutes)
    np.testing.assert_array_equal(inst.excluded, cand["exclude"].to_numpy())
    np.testing.assert_array_equal(inst.forced, cand["force"].to_numpy())
    assert list(inst.kind) == cand["kind"].tolist()
    # the same with precomputed existing minutes, and a longer cutoff for p-median
    inst2 = siting_instance(demand, cand, grid_rg, threshold=10.0, cutoff=20.0,
                            existing_minutes=inst.existing_minutes)
    assert inst2.n_pairs > inst.n_pairs and inst2.pair_minutes.max() <= 20.0
    with pytest.raises(InputError, match="cutoff"):
        siting_instance(demand, cand, grid_rg, threshold=10.0, cutoff=5.0)

    res = upgrade_or_build(inst, budget=DEFAULT_COSTS["upgrade"] + 1.5 + DEFAULT_COSTS["new"])
    assert res.optimal and 0 < res.objective
    assert res.details["share_after"] > res.details["share_before"]
    assert "F5" in chosen_sites(cand, res)["facility_id"].tolist()  # forced
    out = demand_after(demand, res)
    assert out["covered_after"].sum() == int(res.covered.sum())
    assert (out.loc[out["covered_after"], "minutes_after"] <= 10.0).all()
    assert maximal_covering(inst, p=2).optimal
    assert set_covering(inst, share=0.9).optimal
    assert p_median(inst2, p=2).optimal


def test_empty_candidate_table(tables):
    facilities, _, _ = tables
    only_tcm = facilities.iloc[[0, 1, 3]]
    cand = build_candidates(only_tcm)
    assert len(cand) == 0 and list(cand.columns) == list(CANDIDATE_COLUMNS)


def test_non_point_villages_use_representative_points(tables):
    facilities, villages, _ = tables
    polys = villages.copy()
    polys["geometry"] = polys.to_crs(CRS_M).buffer(100).to_crs("EPSG:4326")
    cand = build_candidates(facilities, villages=polys, min_population=100)
    assert (cand.geometry.geom_type == "Point").all()
    assert pd.Series(cand["name"]).isin(["丁村", "己村"]).sum() == 2


def test_force_and_exclude_read_with_the_one_yes_no_vocabulary(tables):
    """The candidate reader takes every yes/no word of tcm_coverage._tables (the union of the
    lists that had drifted apart): 有/✓/已建 are yes, 没有/✗/未建 no, blank or 未知 not forced."""
    facilities, _, _ = tables
    fac = facilities.assign(必选=["有", "✓", "已建", "未知", "t"], 排除=["没有", "✗", "未建", "", "f"])
    up = build_candidates(fac).set_index("facility_id")
    assert up.loc[["F3", "F5"], "force"].tolist() == [True, True]
    assert not up["exclude"].any()
    fac = facilities.assign(必选=["否", "否", "未知", "否", "-"])
    assert not build_candidates(fac)["force"].any()  # unknown is not "must build"
    fac = facilities.assign(必选=["否", "否", "也许", "否", "否"])
    with pytest.raises(InputError, match="not yes/no") as err:
        build_candidates(fac)
    assert err.value.row == [4]
