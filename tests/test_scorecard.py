"""Tests of tcm_coverage.outputs.scorecard: hand-computed synthetic county, demo county, outputs."""

from __future__ import annotations

import re
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from tcm_coverage._errors import InputError
from tcm_coverage.access.compute import AccessResult
from tcm_coverage.inputs.plans import parse_profile
from tcm_coverage.outputs import SCORECARD_COLUMNS, write_scorecard
from tcm_coverage.outputs.scorecard import _ceil, scorecard


def box(x0, x1):
    return shapely.box(x0, 36.0, x1, 36.1)


@pytest.fixture
def county():
    """A county of two townships, 1,000 residents, 2 centres and 15 village clinics."""
    counties = gpd.GeoDataFrame({"code": ["140405"], "name": ["示例县"]},
                                geometry=[box(112.0, 112.2)], crs=4326)
    townships = gpd.GeoDataFrame({"code": ["T1", "T2"], "name": ["甲镇", "乙镇"],
                                  "parent_code": ["140405", "140405"]},
                                 geometry=[box(112.0, 112.1), box(112.1, 112.2)], crs=4326)
    demand = gpd.GeoDataFrame(
        {"population": [100.0, 200.0, 300.0, 400.0],
         "t_tcm_any_ebike": [5.0, 20.0, np.inf, 10.0]},
        geometry=gpd.points_from_xy([112.05, 112.06, 112.07, 112.15], [36.05] * 4), crs=4326)
    rows = [
        # name, tier, x, 中医馆, 中医阁, tcm_physicians, physicians, beds
        ("县中医院", "county_tcm", 112.01, False, False, 10.0, 30.0, 50.0),
        ("甲镇卫生院", "township_centre", 112.02, True, False, 2.0, 8.0, 10.0),
        ("乙镇卫生院", "township_centre", 112.12, False, False, 0.0, 12.0, 10.0),
    ]
    rows += [(f"甲镇{i}村", "village_station", 112.03 + i * 0.005, False, False, 0.0, 1.0, 0.0)
             for i in range(10)]
    rows += [(f"乙镇{i}村", "village_station", 112.13 + i * 0.01, False, i == 0, 0.0, 1.0, 0.0)
             for i in range(5)]
    fac = pd.DataFrame(rows, columns=["name", "tier", "x", "zhongyiguan", "zhongyige",
                                      "tcm_physicians", "physicians", "beds"])
    fac.insert(0, "facility_id", [f"F{i}" for i in range(len(fac))])
    fac["is_tcm_clinic"] = False
    fac["tcm_gps"] = np.nan  # not in the table: must say "no data", never 0
    fac["tcm_beds"] = np.nan
    fac["source_row"] = np.arange(2, len(fac) + 2)
    facilities = gpd.GeoDataFrame(fac.drop(columns="x"), crs=4326,
                                  geometry=gpd.points_from_xy(fac["x"], [36.02] * len(fac)))
    access = AccessResult(demand=demand, facilities=facilities, modes=("ebike",),
                          facility_sets=("tcm_any",))
    return access, counties, townships


def row(card, code, key):
    rows = card.rows
    sel = rows[(rows["code"] == code) & (rows["indicator"] == key)]
    assert len(sel) == 1, (code, key)
    return sel.iloc[0]


def test_national_hand_computed(county):
    access, counties, townships = county
    card = scorecard(access, "national", counties=counties, townships=townships)
    assert list(card.rows.columns[:len(SCORECARD_COLUMNS)]) == list(SCORECARD_COLUMNS)
    assert card.profile == "national" and card.mode == "ebike"
    assert card.minutes == 15 and card.facility_set == "tcm_any" and card.lang == "zh"

    cov = row(card, "140405", "coverage_15min")
    assert cov["value"] == pytest.approx(0.5)
    assert cov["status"] == "no_target" and cov["gap"] == 500  # "named, no number"
    assert cov["gap_text"] == "500 人在15分钟（电动自行车）外"
    assert cov["target_text"] == "无具体数值"
    t1 = row(card, "T1", "coverage_15min")
    assert t1["value"] == pytest.approx(100 / 600) and t1["gap"] == 500
    assert row(card, "T2", "coverage_15min")["value"] == 1.0

    assert row(card, "140405", "county_tcm_institution")["status"] == "met"
    assert card.rows[(card.rows["level"] == "township")
                     & (card.rows["indicator"] == "county_tcm_institution")].empty

    guan = row(card, "140405", "zhongyiguan_share")
    assert (guan["value"], guan["status"], guan["gap"]) == (0.5, "unmet", 1)
    assert guan["gap_text"] == "还需 1 个中医馆"
    assert row(card, "T2", "zhongyiguan_share")["status"] == "unmet"
    ge = row(card, "140405", "zhongyige_share")  # 1 of 15, target 10 %: ceil(1.5 - 1) = 1
    assert ge["value"] == pytest.approx(1 / 15) and ge["gap"] == 1
    assert ge["gap_text"] == "还需 1 个中医阁"
    assert row(card, "T1", "zhongyige_share")["gap"] == 1  # 0 of 10
    assert row(card, "T2", "zhongyige_share")["status"] == "met"  # 1 of 5

    gps = row(card, "140405", "tcm_gps_per_10k")
    assert gps["status"] == "no_data" and np.isnan(gps["value"])
    assert gps["value_text"] == "无数据" and gps["met"] == "无数据"
    assert "中医类别全科医生数" in gps["gap_text"]

    share = row(card, "140405", "centre_tcm_physician_share")  # 2 of 20 -> (5 - 2) / 0.75 = 4
    assert share["value"] == pytest.approx(0.1) and share["gap"] == 4
    assert row(card, "T1", "centre_tcm_physician_share")["status"] == "met"  # 2 of 8
    assert row(card, "T2", "centre_tcm_physician_share")["gap"] == 4  # 0 of 12

    # measured without a target in this profile: shown, "not in this plan"
    phys = row(card, "140405", "tcm_physicians_per_1k")
    assert phys["value"] == pytest.approx(12.0) and phys["status"] == "no_target"
    assert phys["target_text"] == "本规划未设目标"
    assert row(card, "140405", "tcm_hospital_beds_per_1k")["value"] == pytest.approx(50.0)

    health = row(card, "140405", "health_mgmt_65plus")  # cannot be measured from the inputs
    assert health["status"] == "no_data" and health["target"] == 0.75
    assert card.rows[(card.rows["level"] == "township") & (card.rows["indicator"] == "health_mgmt_65plus")].empty
    assert (card.rows["level"].iloc[0], card.rows["level"].iloc[-1]) == ("county", "township")


def test_yantai_and_english(county):
    access, counties, townships = county
    card = scorecard(access, "yantai", counties=counties, townships=townships, lang="en")
    ge = row(card, "140405", "zhongyige_share")  # 20 % of 15 = 3, have 1
    assert (ge["gap"], ge["gap_text"], ge["target_text"]) == (2, "2 more 中医阁", "≥ 20%")
    assert row(card, "T1", "zhongyige_share")["gap_text"] == "2 more 中医阁"
    assert row(card, "T2", "zhongyige_share")["met"] == "met"
    cov = row(card, "140405", "coverage_15min")
    assert cov["gap_text"] == "500 residents beyond 15 minutes (e-bike)"
    assert cov["target_text"] == "not in this plan" and cov["met"] == "no target"
    assert "tcm_gps_per_10k" not in set(card.rows["indicator"])  # no data and no target
    assert row(card, "140405", "county_tcm_institution")["value_text"] == "yes (1)"
    nat = scorecard(access, "national", counties=counties, townships=townships, lang="en")
    assert row(nat, "140405", "centre_tcm_physician_share")["gap_text"] == "4 more TCM physicians"
    assert row(nat, "T1", "zhongyige_share")["gap_text"] == "1 more 中医阁"


def test_custom_targets_gaps(county):
    access, counties, townships = county
    prof = parse_profile({"indicators": {
        "coverage_15min": {"target": 0.9, "source": "s"},
        "tcm_physicians_per_1k": {"target": 20, "source": "s"},
        "county_hospital_tcm_physician_share": {"target": 0.6, "source": "s"},
        "tcm_gps_per_10k": {"target": [0.6, 0.8], "source": "s"},
    }})
    card = scorecard(access, prof, counties=counties)
    assert set(card.rows["level"]) == {"county"}
    cov = row(card, "140405", "coverage_15min")  # 90 % of 1,000 = 900, 500 within
    assert (cov["status"], cov["gap"]) == ("unmet", 400)
    assert cov["gap_text"] == "还需 400 人进入15分钟圈（电动自行车；500 人在外）"
    phys = row(card, "140405", "tcm_physicians_per_1k")  # 12 per 1,000 -> 8 more
    assert (phys["status"], phys["gap"]) == ("unmet", 8)
    hosp = row(card, "140405", "county_hospital_tcm_physician_share")  # 10/30 -> (18-10)/0.4
    assert hosp["gap"] == 20 and (10 + 20) / (30 + 20) == pytest.approx(0.6)
    one = scorecard(access, parse_profile({"indicators": {"tcm_physicians_per_1k": {
        "target": 12.5, "source": "s"}}}), counties=counties, lang="en")
    assert row(one, "140405", "tcm_physicians_per_1k")["gap_text"] == "1 more TCM physician"
    gps = row(card, "140405", "tcm_gps_per_10k")
    assert gps["status"] == "no_data" and gps["target_text"] == "0.6–0.8 /万人"


def test_partial_counts_are_flagged_not_zeroed(county):
    access, counties, townships = county
    fac = access.facilities.copy()
    fac.loc[fac["name"] == "乙镇卫生院", "tcm_physicians"] = np.nan
    fac.loc[fac["tier"] == "county_tcm", "beds"] = np.nan
    acc = AccessResult(demand=access.demand, facilities=fac, modes=("ebike",), facility_sets=("tcm_any",))
    card = scorecard(acc, "national", counties=counties, townships=townships)
    t2 = row(card, "T2", "centre_tcm_physician_share")
    assert t2["status"] == "no_data" and np.isnan(t2["value"])  # its only centre left it blank
    county_share = row(card, "140405", "centre_tcm_physician_share")
    assert county_share["unreported"] == 1 and "1 家机构未填报" in county_share["value_text"]
    assert "tcm_hospital_beds_per_1k" not in set(card.rows["indicator"])  # no beds anywhere


def test_rounding_up_ignores_float_dust():
    assert _ceil(0.1 * 150 - 15) == 0  # 15.000000000000002 - 15
    assert _ceil(0.2 * 154 - 16) == 15
    assert _ceil(-3.0) == 0


def test_bad_arguments(county):
    access, counties, _ = county
    with pytest.raises(InputError, match="mode 'walk' was not computed"):
        scorecard(access, "national", counties=counties, mode="walk")
    with pytest.raises(InputError, match="language"):
        scorecard(access, "national", counties=counties, lang="fr")
    with pytest.raises(InputError, match="unknown profile"):
        scorecard(access, "nationl", counties=counties)


def test_write_scorecard(county, tmp_path):
    access, counties, townships = county
    card = scorecard(access, "national", counties=counties, townships=townships)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier run")
    files = write_scorecard(card, out, "zh")
    assert [f.name for f in files] == ["scorecard.xlsx", "scorecard.html"]
    assert all(f.exists() for f in files) and (out / "keep.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp")]
    text = (out / "scorecard.html").read_text(encoding="utf-8")
    text = re.sub(r"<span style='white-space:nowrap'>([^<]*)</span>", r"\1", text)  # hyphenated words
    for needle in ("是否达标", "差距", "目标来源", "national primary-care TCM action plan",
                   "全国基层中医药服务能力提升行动计划", 'class="unmet"', 'class="met"',
                   "还需 1 个中医阁", "@media print"):
        assert needle in text
    sheet = pd.read_excel(out / "scorecard.xlsx", sheet_name=None)
    assert list(sheet) == ["目标对照", "说明"]
    assert list(sheet["目标对照"].columns[:4]) == ["层级", "区划代码", "名称", "指标"]
    assert len(sheet["目标对照"]) == len(card.rows)
    # rendered from the data, so English works from a Chinese scorecard too
    write_scorecard(card, tmp_path / "en", "en")
    en = (tmp_path / "en" / "scorecard.html").read_text(encoding="utf-8")
    assert "1 more 中医阁" in en and "<th>met</th>" in en
    with pytest.raises(InputError, match="not a scorecard"):
        write_scorecard(replace(card, rows=card.rows[["code"]]), tmp_path / "bad")
    assert not (tmp_path / "bad" / "scorecard.html").exists()


def test_english_scorecard_keeps_hyphenated_words_whole(county):
    """A narrow column broke "TCM-capable" as "TCM-" / "capable": each hyphenated word of the
    scorecard's headers and cells stands in a nowrap span, as in report.html."""
    from tcm_coverage.outputs import scorecard_html

    access, counties, townships = county
    page = scorecard_html(scorecard(access, "national", counties=counties, townships=townships), "en")
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", page, re.S)
    nowrap = re.compile(r"<span style='white-space:nowrap'>([^<]*)</span>")
    broken = [c for c in cells if re.search(r"\w-\w", nowrap.sub("", c))]
    assert not broken, broken
    kept = {w for c in cells for w in nowrap.findall(c)}
    assert {"15-minute", "TCM-capable", "e-bike"} <= kept  # the hyphen stays plain (copy, search)


# --------------------------------------------------------------------------------------
# Demo county (real Tunliu boundary, synthetic interior): e-bike, 15 minutes
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo():
    from tcm_coverage.access.compute import compute_access
    from tcm_coverage.demo import demo_data_dir
    from tcm_coverage.inputs.boundaries import read_boundaries
    from tcm_coverage.inputs.facilities import read_facilities
    from tcm_coverage.inputs.population import read_population
    from tcm_coverage.network import read_network

    data = demo_data_dir()
    counties = read_boundaries(data / "boundaries" / "tunliu_140405_county_wgs84.geojson",
                               level="county")
    townships = read_boundaries(data / "boundaries" / "demo_townships_wgs84.geojson",
                                level="township")
    facilities = read_facilities(data / "facilities" / "demo_facilities_gcj02.csv", datum="gcj02")
    demand = read_population(data / "population" / "demo_population.tif", boundary=counties)
    network = read_network(data / "roads" / "demo_roads.osm", boundary=counties)
    access = compute_access(demand, facilities, network, modes=("ebike",), progress=False)
    return access, counties, townships


def test_demo_county_national_and_yantai(demo, tmp_path):
    access, counties, townships = demo
    nat = scorecard(access, "national", counties=counties, townships=townships)
    yan = scorecard(access, "yantai", counties=counties, townships=townships)
    assert set(nat.rows["code"]) == {"140405"} | set(townships["code"])
    # 乙镇 (D02) has no 中医馆 and no 中医阁: the demo is built to show that gap
    assert row(nat, "140405D02", "zhongyiguan_share")["gap"] == 1
    assert row(nat, "140405D02", "coverage_15min")["value"] < 0.2
    assert row(nat, "140405", "zhongyiguan_share")["gap"] == 1
    # 16 中医阁 among 154 clinics/stations: national 10 % met, Yantai 20 % needs 15 more
    assert row(nat, "140405", "zhongyige_share")["status"] == "met"
    assert row(yan, "140405", "zhongyige_share")["gap"] == 15
    assert row(yan, "140405", "county_tcm_institution")["status"] == "met"
    cov = row(nat, "140405", "coverage_15min")
    assert cov["denominator"] == pytest.approx(230_000, rel=1e-6)
    assert 0.5 < cov["value"] < 1.0
    assert nat.rows["status"].isin(["met", "unmet", "no_target", "no_data", "not_applicable"]).all()
    files = write_scorecard(yan, tmp_path)
    assert "烟台" in files[1].read_text(encoding="utf-8")


def _with_unknown(access):
    """乙镇卫生院's 中医馆 and five 甲镇 clinics' 中医阁 unknown; upper-bound travel times."""
    fac = access.facilities.copy()
    guan = pd.array(fac["zhongyiguan"].tolist(), dtype="boolean")
    ge = pd.array(fac["zhongyige"].tolist(), dtype="boolean")
    guan[(fac["name"] == "乙镇卫生院").to_numpy()] = pd.NA
    ge[fac["name"].isin([f"甲镇{i}村" for i in range(5)]).to_numpy()] = pd.NA
    fac["zhongyiguan"], fac["zhongyige"] = guan, ge
    demand = access.demand.assign(t_tcm_any_upper_ebike=[5.0, 10.0, 12.0, 10.0])
    return AccessResult(demand=demand, facilities=fac, modes=("ebike",),
                        facility_sets=("tcm_any", "tcm_any_upper"))


def test_unknown_flags_give_bounds_not_zero(county):
    access, counties, townships = county
    unknown = _with_unknown(access)
    card = scorecard(unknown, "national", counties=counties, townships=townships)
    guan = row(card, "140405", "zhongyiguan_share")  # 1 yes, 1 unknown: 50 %..100 %, target 100 %
    assert (guan["value"], guan["status"], guan["unreported"]) == (1.0, "no_data", 1)
    assert guan["value_text"] == "100%（已知 1/1；另 1 个未知）"
    assert guan["gap_text"] == "取决于 1 个情况未知的机构：还需 0–1 个中医馆"
    t2 = row(card, "T2", "zhongyiguan_share")  # its only centre unknown: no data, never 0 %
    assert t2["status"] == "no_data" and np.isnan(t2["value"])
    assert t2["value_text"] == "无数据（1 个机构是否设中医馆未知）"
    assert "还需" not in t2["gap_text"] and "0%" not in t2["value_text"]
    cov = row(card, "140405", "coverage_15min")  # 500 of 1,000 as none, all 1,000 as yes
    assert (cov["value"], cov["value_max"], cov["unreported"]) == (0.5, 1.0, 6)
    assert cov["value_text"].startswith("50%–100%（6 个机构中医馆/中医阁情况未知")
    assert cov["gap_text"] == "0–500 人在15分钟（电动自行车）外（范围取决于中医馆/中医阁情况未知的机构）"

    prof = parse_profile({"indicators": {
        "coverage_15min": {"target": 0.9, "source": "s"},
        "zhongyige_share": {"target": 0.5, "source": "s"}}})
    card = scorecard(unknown, prof, counties=counties, townships=townships)
    ge = row(card, "140405", "zhongyige_share")  # 1 yes of 10 known, 5 unknown: at most 6/15 < 50 %
    assert (ge["value"], ge["status"], ge["gap"], ge["gap_max"]) == (0.1, "unmet", 2, 7)
    assert ge["gap_text"] == "还需 2–7 个中医阁（5 个情况未知）"
    cov = row(card, "140405", "coverage_15min")  # 50 %..100 % against 90 %: undetermined
    assert cov["status"] == "no_data" and "取决于 6 个机构" in cov["gap_text"]
    low = parse_profile({"indicators": {"zhongyige_share": {"target": 0.05, "source": "s"}}})
    card = scorecard(unknown, low, counties=counties, townships=townships, lang="en")
    ge = row(card, "140405", "zhongyige_share")  # at least 1/15 = 6.7 % >= 5 %: met whatever
    assert (ge["status"], ge["gap"]) == ("met", 0)
    assert ge["value_text"] == "10% (1 of 10 known; 5 unknown)"


def test_run_area_codes_taken_stale_ones_not(county, monkeypatch):
    """The run's demand points carry their area codes (with_area_codes): the scorecard takes
    them without assigning the points again; codes of other boundaries are not taken."""
    import tcm_coverage.access.areas as areas_mod
    from tcm_coverage.access import with_area_codes

    access, counties, townships = county
    plain = scorecard(access, "national", counties=counties, townships=townships)
    coded = replace(access, demand=with_area_codes(access.demand, {"county": counties, "township": townships}))
    sizes = []
    real = areas_mod.assign_areas
    monkeypatch.setattr(areas_mod, "assign_areas", lambda pts, *a, **k: sizes.append(len(pts)) or real(pts, *a, **k))
    card = scorecard(coded, "national", counties=counties, townships=townships)
    pd.testing.assert_frame_equal(card.rows, plain.rows)
    assert len(access.demand) not in sizes  # the facilities only
    stale = coded.demand.copy()
    stale["township_code"] = "T2"  # edited: no longer the stamped codes
    card = scorecard(replace(access, demand=stale), "national", counties=counties, townships=townships)
    pd.testing.assert_frame_equal(card.rows, plain.rows)
    assert len(access.demand) in sizes
