"""Functional TCM points: the capability columns, the rule, which facilities count (by hand on
a straight road), unknown capability not counted but reported, and the scorecard's capability
indicators computed from a small table (无数据 without the columns)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from tcm_coverage._errors import InputError
from tcm_coverage.access import (
    AccessOptions,
    AccessResult,
    compute_access,
    facility_set_masks,
    functional_unknown,
)
from tcm_coverage.demo import DEMO_FILES, demo_data_dir
from tcm_coverage.inputs import (
    DEFAULT_FUNCTIONAL_RULE,
    FunctionalRule,
    functional_status,
    parse_functional_rule,
    parse_profile,
    read_facilities,
)
from tcm_coverage.network import RoadNetwork
from tcm_coverage.outputs import scorecard

CRS_M = "EPSG:32649"
_TO_M = pyproj.Transformer.from_crs("EPSG:4326", CRS_M, always_xy=True)
_TO_LL = pyproj.Transformer.from_crs(CRS_M, "EPSG:4326", always_xy=True)
X0, Y0 = _TO_M.transform(112.9, 36.3)

HEADER = ("编号,名称,类型,经度,纬度,中医馆,中医阁,能提供中医药服务,中医药技术类数,中医药技术项数,"
          "中医类别医师数,能提供中医药服务人员数")


def ll(x, y):
    lon, lat = _TO_LL.transform(X0 + np.asarray(x, float), Y0 + np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


def _table(tmp_path, rows: list[str], header: str = HEADER):
    path = tmp_path / "facilities.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return read_facilities(path)


def _row(fid: str, name: str, kind: str, x: float, guan: str, ge: str, cap: str) -> str:
    lon, lat = ll([x], [0.0])
    return f"{fid},{name},{kind},{lon[0]:.7f},{lat[0]:.7f},{guan},{ge},{cap}"


@pytest.fixture
def facilities(tmp_path) -> gpd.GeoDataFrame:
    return _table(tmp_path, [
        _row("F1", "甲村卫生室", "村卫生室", 600.0, "否", "是", "是,3,5,1,1"),    # 3 types: fails
        _row("F2", "乙村卫生室", "村卫生室", 2000.0, "否", "是", "是,4,6,1,2"),   # meets
        _row("F3", "丙村卫生室", "村卫生室", 2600.0, "否", "是", ",,,,"),         # unknown
        _row("F4", "丁村卫生室", "村卫生室", 3000.0, "否", "是", "是,,,0,0"),     # no staff: fails
        _row("F5", "戊村卫生室", "村卫生室", 1500.0, "否", "否", "否,0,0,0,"),    # no 中医阁
        _row("F6", "一站", "社区卫生服务站", 100.0, "否", "否", ",,,2,"),        # station, 2 physicians
        _row("F7", "二站", "社区卫生服务站", 200.0, "否", "否", ",,,0,"),        # station, none
    ])


def test_columns_are_read_blank_is_unknown(facilities) -> None:
    np.testing.assert_array_equal(facilities["tcm_technique_types"], [3, 4, np.nan, np.nan, 0, np.nan, np.nan])
    np.testing.assert_array_equal(facilities["tcm_capable_physicians"], [1, 1, np.nan, 0, 0, 2, 0])
    assert facilities["tcm_services"].isna().tolist() == [False, False, True, False, False, True, True]
    assert facilities["tcm_capable_staff"].iloc[1] == 2.0 and np.isnan(facilities["tcm_capable_staff"].iloc[5])


def test_rule_by_hand(facilities) -> None:
    yes, unknown = functional_status(facilities, DEFAULT_FUNCTIONAL_RULE)
    # F1 3 types; F2 ok; F3 all blank; F4 0 staff; F5 0 staff; F6 2 physicians but services
    # unknown; F7 0 physicians
    assert yes.tolist() == [False, True, False, False, False, False, False]
    assert unknown.tolist() == [False, False, True, False, False, True, False]
    lax = functional_status(facilities, FunctionalRule(staff=1, types=3, techniques=5))[0]
    assert lax.tolist() == [True, True, False, False, False, False, False]


def test_parse_rule() -> None:
    assert parse_functional_rule("staff>=1, types>=4, techniques>=8") == FunctionalRule(1, 4, 8)
    assert parse_functional_rule("staff >= 2") == FunctionalRule(staff=2)
    assert DEFAULT_FUNCTIONAL_RULE.describe() == "staff>=1, types>=4, techniques>=6"
    with pytest.raises(InputError, match="functional_rule"):
        parse_functional_rule("doctors>1")
    prof = parse_profile({"functional_rule": "staff>=1, types>=4, techniques>=8",
                          "indicators": {"zhongyige_share": {"target": 0.1, "source": "x"}}})
    assert prof.functional_rule == FunctionalRule(1, 4, 8)


def test_masks_count_only_functional(facilities) -> None:
    plain = facility_set_masks(facilities)
    assert plain["zhongyige"].tolist() == [True, True, True, True, False, False, False]
    rule = facility_set_masks(facilities, functional=DEFAULT_FUNCTIONAL_RULE)
    assert rule["zhongyige"].tolist() == [False, True, False, False, False, False, False]
    # unknown capability (F3) is in the upper bound only
    assert rule["tcm_any_upper"].tolist() == [False, True, True, False, False, False, False]
    assert functional_unknown(facilities, DEFAULT_FUNCTIONAL_RULE).tolist() == [
        False, False, True, False, False, False, False]
    assert not functional_unknown(facilities, None).any()


@pytest.fixture
def road() -> RoadNetwork:
    xs = np.array([0.0, 1000.0, 2000.0, 3000.0])
    lon, lat = ll(xs, np.zeros(4))
    u, v = np.array([0, 1, 2]), np.array([1, 2, 3])
    geoms = shapely.linestrings(np.stack([np.c_[xs[u], [0] * 3], np.c_[xs[v], [0] * 3]], axis=1)
                                + [X0, Y0])
    return RoadNetwork(node_id=np.arange(4), lon=lon, lat=lat, u=u, v=v,
                       length_m=shapely.length(geoms), highway=np.full(3, "residential", object),
                       oneway=np.zeros(3, bool), maxspeed_kmh=np.full(3, np.nan),
                       geometry_m=np.asarray(geoms, dtype=object), crs_m=CRS_M, source="test")


def test_functional_filter_changes_times_by_hand(road, facilities) -> None:
    # a resident on the road at 800 m (facilities mm off the road: 7-decimal coordinates):
    # nearest 中医阁 F1 (600 m, 200 m away = 2.5 min walking
    # at 80 m/min); F1 fails the rule, so with it the nearest is F2 at 2000 m (15 min)
    lon, lat = ll([800.0], [0.0])
    demand = gpd.GeoDataFrame({"population": [10.0]}, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    sets = ("tcm_any", "zhongyige", "tcm_any_upper")
    plain = compute_access(demand, facilities, road, modes=("walk",), facility_sets=sets,
                           options=AccessOptions(direct_offroad_m=0.0), progress=False)
    rule = compute_access(demand, facilities, road, modes=("walk",), facility_sets=sets,
                          options=AccessOptions(direct_offroad_m=0.0, functional=DEFAULT_FUNCTIONAL_RULE),
                          progress=False)
    assert float(plain.demand["t_zhongyige_walk"].iloc[0]) == pytest.approx(2.5, abs=1e-3)
    assert float(rule.demand["t_zhongyige_walk"].iloc[0]) == pytest.approx(15.0, abs=1e-3)
    assert rule.demand["f_zhongyige_walk"].iloc[0] == "F2"


def _access(facilities: gpd.GeoDataFrame) -> tuple[AccessResult, gpd.GeoDataFrame]:
    lon, lat = ll([-500, 3500], [-500, 500])
    county = gpd.GeoDataFrame({"code": ["C1"], "name": ["县"]},
                              geometry=[shapely.box(lon[0], lat[0], lon[1], lat[1])], crs=4326)
    plon, plat = ll([500.0], [0.0])
    demand = gpd.GeoDataFrame({"population": [100.0], "t_tcm_any_ebike": [5.0]},
                              geometry=gpd.points_from_xy(plon, plat), crs=4326)
    return AccessResult(demand=demand, facilities=facilities, modes=("ebike",),
                        facility_sets=("tcm_any",)), county


def _card_row(card, key):
    rows = card.rows
    return rows[(rows["code"] == "C1") & (rows["indicator"] == key)].iloc[0]


def test_scorecard_capability_indicators_by_hand(facilities) -> None:
    access, county = _access(facilities)
    card = scorecard(access, "national", counties=county)
    serv = _card_row(card, "village_clinics_tcm_services")
    # village clinics F1-F5: known F1 (3/5: no), F2 (4/6: yes), F4 (flag 是, no counts: yes),
    # F5 (0/0: no); F3 unknown. 2 of 4 known, target 80 %: at best (2+1)/5 = 60 % -> unmet
    assert (serv["numerator"], serv["denominator"], serv["unreported"]) == (2, 4, 1)
    assert serv["value"] == pytest.approx(0.5) and serv["status"] == "unmet"
    assert (serv["gap"], serv["gap_max"]) == (1.0, 2.0)  # ceil(0.8*5 - 2 - 1) .. ceil(4 - 2)
    phys = _card_row(card, "stations_tcm_physician")  # F6 2 physicians, F7 none: 1 of 2
    assert phys["value"] == pytest.approx(0.5) and phys["status"] == "unmet" and phys["gap"] == 1
    staff = _card_row(card, "village_clinics_tcm_staff")
    # staff (else physicians): F1 1, F2 2, F3 ?, F4 0, F5 0 (physicians; staff blank): 2 of 4
    assert (staff["numerator"], staff["denominator"], staff["unreported"]) == (2, 4, 1)
    assert staff["value_text"] == "50%（已知 2/4；另 1 个未知）"
    assert serv["gap_text"] == "还需 1–2 个村卫生室（1 个情况未知）"


def test_scorecard_no_data_without_columns(tmp_path) -> None:
    fac = _table(tmp_path, [_row("F1", "甲村卫生室", "村卫生室", 600.0, "否", "是", "")],
                 header="编号,名称,类型,经度,纬度,中医馆,中医阁,备注")
    access, county = _access(fac)
    card = scorecard(access, "national", counties=county)
    for key in ("village_clinics_tcm_services", "stations_tcm_physician", "village_clinics_tcm_staff"):
        r = _card_row(card, key)
        assert r["status"] == "no_data" and np.isnan(r["value"]) and r["value_text"] == "无数据"
    assert "中医药技术类数" in _card_row(card, "village_clinics_tcm_services")["gap_text"]
    # and without a rule the flags alone decide
    assert facility_set_masks(fac)["zhongyige"].tolist() == [True]
    assert not facility_set_masks(fac, functional=DEFAULT_FUNCTIONAL_RULE)["zhongyige"].any()
    assert pd.isna(fac["tcm_services"].iloc[0])


@pytest.mark.slow
def test_cli_demo_with_65plus_and_functional_only(tmp_path) -> None:
    """``demo`` end to end: without 65+ (no columns, 无数据 in the report) and with the synthetic
    65+ raster and ``--functional-only`` (fewer TCM points counted, the rule in 说明)."""
    import json

    from tcm_coverage.cli import main

    quick = ["--mode", "walk", "ebike", "--threshold", "15", "--no-accessibility",
             "--isochrone-cell-m", "0", "--no-map"]
    before, after = tmp_path / "before", tmp_path / "after"
    assert main(["-q", "demo", "--out", str(before), "--no-65plus", *quick]) == 0
    assert main(["-q", "demo", "--out", str(after), "--functional-only", *quick]) == 0
    plain = pd.read_csv(before / "coverage_county.csv", encoding="utf-8-sig")
    assert not [c for c in plain.columns if "65岁以上" in c]  # no 65+ input: no columns
    assert "65岁以上：无数据" in (before / "report.html").read_text(encoding="utf-8")
    head_before = json.loads((before / "run.json").read_text(encoding="utf-8"))["headline"]
    head_after = json.loads((after / "run.json").read_text(encoding="utf-8"))["headline"]
    assert "population_65plus" not in head_before["walk"]["140405"]
    walk, ebike = head_after["walk"]["140405"], head_after["ebike"]["140405"]
    # the synthetic 65+ raster holds 14.4 % of the residents; they walk slower
    assert walk["population_65plus"] == pytest.approx(33_097, abs=2)
    assert walk["share_65plus_within_15"] < walk["share_within_15"]
    # functional only: the 3 failing and 3 unknown 中医阁 no longer count, the upper bound does
    assert ebike["share_within_15"] < head_before["ebike"]["140405"]["share_within_15"]
    assert ebike["share_within_15"] <= ebike["share_within_15_upper"]
    readme = pd.read_excel(after / "coverage.xlsx", sheet_name=None)
    text = "\n".join(str(v) for frame in readme.values() for v in frame.to_numpy().ravel())
    assert "25 个机构中，19 个达标计入，3 个不达标不计，3 个能力未知不计" in text
    assert "65岁以上" in (after / "report.html").read_text(encoding="utf-8")
    card = pd.read_excel(after / "scorecard.xlsx", sheet_name=0).set_index("指标")
    # computed from the capability columns: 9 of the 147 village clinics whose capability is known
    # (the 中医阁 that meet 4 types / 6 techniques), 3 unknown; 1 of 4 stations has a physician
    assert card.loc["能提供中医药服务的村卫生室占比", "现状值"] == "6.1%（已知 9/147；另 3 个未知）"
    raw = pd.read_csv(demo_data_dir() / DEMO_FILES["facilities"], encoding="utf-8-sig")
    clinics = raw[raw["类型"] == "村卫生室"]
    known = clinics["中医药技术类数"].notna()
    able = known & (clinics["中医药技术类数"] >= 4) & (clinics["中医药技术项数"] >= 6)
    assert (int(able.sum()), int(known.sum()), int((~known).sum())) == (9, 147, 3)
    assert card.loc["配备中医类别医师的社区卫生服务站占比", "现状值"] == "25%（1/4）"
