"""Coverage statistics against hand-computed numbers; area assignment; atomic outputs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from tcm_coverage import InputError
from tcm_coverage._io import atomic_output_dir
from tcm_coverage.access.coverage import (
    access_summary,
    assign_areas,
    coverage_tables,
    facility_indicators,
    no_data_cells,
    no_data_facility_sets,
    with_area_codes,
)
from tcm_coverage.outputs.tables import with_no_data


def test_access_summary_by_hand():
    groups = np.array(["A", "A", "A", "B", "B"])
    minutes = np.array([5.0, 12.0, 40.0, 20.0, np.inf])
    pop = np.array([100.0, 300.0, 600.0, 50.0, 150.0])
    out = access_summary(groups, minutes, pop, thresholds=[10, 15])
    a, b = out.loc["A"], out.loc["B"]
    assert a["population"] == 1000
    assert a["pop_within_10"] == 100 and a["share_within_10"] == pytest.approx(0.1)
    assert a["pop_within_15"] == 400 and a["share_within_15"] == pytest.approx(0.4)
    # Mean over residents: (100*5 + 300*12 + 600*40) / 1000 = 28.1
    assert a["mean_min"] == pytest.approx(28.1)
    # 90th percentile: cumulative 100, 400, 1000 -> the 900th resident waits 40 min.
    assert a["p90_min"] == 40.0
    assert a["max_min"] == 40.0
    assert a["unreachable_population"] == 0
    # B: 150 of 200 cannot reach at all: mean over the reachable 50, P90 undefined (NaN).
    assert b["share_within_15"] == 0.0
    assert b["mean_min"] == pytest.approx(20.0)
    assert np.isnan(b["p90_min"])
    assert b["unreachable_population"] == 150


def test_weighted_p90_edge():
    # Exactly 90 % at 10 min: the 90th percentile is 10 (first time where cum >= 0.9 total).
    out = access_summary(np.array(["g"] * 2), np.array([10.0, 50.0]), np.array([90.0, 10.0]), thresholds=[15])
    assert out.loc["g", "p90_min"] == 10.0


def _areas():
    return gpd.GeoDataFrame({"code": ["T1", "T2"], "name": ["甲镇", "乙镇"], "parent_code": ["C", "C"]},
                            geometry=[box(112.0, 36.0, 112.1, 36.1), box(112.1, 36.0, 112.2, 36.1)], crs=4326)


def test_assign_areas_inside_near_and_far():
    pts = gpd.GeoDataFrame(geometry=[Point(112.05, 36.05), Point(112.15, 36.05),
                                     Point(112.205, 36.05),   # ~450 m east of T2: nearest
                                     Point(112.5, 36.05)], crs=4326)  # ~27 km away: outside
    codes = assign_areas(pts, _areas())
    assert list(codes) == ["T1", "T2", "T2", ""]


def test_facility_indicators_and_no_data():
    fac = gpd.GeoDataFrame({
        "tier": ["township_centre", "township_centre", "village_station", "village_station", "village_station",
                 "county_tcm"],
        "zhongyiguan": [True, False, False, False, False, False],
        "zhongyige": [False, False, True, False, False, False],
        "is_tcm_clinic": [False] * 6,
        "tcm_gps": [1.0, np.nan, np.nan, np.nan, np.nan, np.nan],
        "tcm_physicians": [np.nan] * 6,
        "beds": [10.0, 20.0, 0.0, 0.0, 0.0, 100.0],
    }, geometry=[Point(0, 0)] * 6)
    out = facility_indicators(fac, np.array(["T1", "T1", "T1", "T1", "T2", "T2"], dtype=object))
    assert out.loc["T1", "n_centres"] == 2 and out.loc["T1", "share_centres_zhongyiguan"] == 0.5
    assert out.loc["T1", "n_stations"] == 2 and out.loc["T1", "share_stations_zhongyige"] == 0.5
    assert out.loc["T2", "n_county_tcm"] == 1
    assert np.isnan(out.loc["T2", "share_centres_zhongyiguan"])  # no centre: no data, not 0 %
    assert out.loc["T1", "tcm_gps"] == 1.0
    assert np.isnan(out.loc["T2", "tcm_gps"])  # nobody reported: no data, not zero
    assert np.isnan(out.loc["T1", "tcm_physicians"])
    assert out.loc["T1", "beds"] == 30.0


def test_unknown_flags_are_not_zero():
    flag = lambda v: pd.array(v, dtype="boolean")  # noqa: E731
    fac = gpd.GeoDataFrame({
        # T1: 3 centres (1 yes, 1 no, 1 unknown); T2: 2 centres, both unknown; stations likewise
        "tier": ["township_centre"] * 3 + ["village_station"] * 2 + ["township_centre"] * 2
                + ["village_station"],
        "zhongyiguan": flag([True, False, None, None, None, None, None, None]),
        "zhongyige": flag([None, None, None, True, None, None, None, None]),
        "is_tcm_clinic": [False] * 8,
        "tcm_gps": [1.0, 2.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
        "beds": [np.nan] * 8,
    }, geometry=[Point(0, 0)] * 8)
    groups = np.array(["T1"] * 5 + ["T2"] * 3, dtype=object)
    out = facility_indicators(fac, groups)
    t1, t2 = out.loc["T1"], out.loc["T2"]
    assert (t1["n_centres"], t1["n_centres_zhongyiguan"], t1["n_centres_zhongyiguan_unknown"]) == (3, 1, 1)
    assert t1["share_centres_zhongyiguan"] == 0.5  # over the 2 known, not 1/3
    assert (t1["n_stations"], t1["n_stations_zhongyige"], t1["n_stations_zhongyige_unknown"]) == (2, 1, 1)
    assert t1["share_stations_zhongyige"] == 1.0
    assert t2["n_centres_zhongyiguan_unknown"] == 2 and np.isnan(t2["share_centres_zhongyiguan"])
    assert t1["tcm_gps"] == 3.0 and t1["tcm_gps_unreported"] == 3
    assert np.isnan(t2["tcm_gps"]) and t2["tcm_gps_unreported"] == 3
    assert "tcm_physicians" in out and np.isnan(out["tcm_physicians"]).all()  # column absent
    table = out.rename_axis("code").reset_index().assign(name=["甲", "乙"], mode="walk",
                                                         target="tcm_any")
    masks = no_data_cells(table)
    assert masks["share_centres_zhongyiguan"].tolist() == [False, True]
    assert masks["n_centres_zhongyiguan"].tolist() == [False, True]
    assert masks["tcm_gps"].tolist() == [False, True] and masks["beds"].tolist() == [True, True]
    shown = with_no_data(table, "zh").set_index("code")
    assert shown.loc["T2", "share_centres_zhongyiguan"] == "无数据"
    assert shown.loc["T2", "n_centres_zhongyiguan"] == "无数据"
    assert shown.loc["T1", "share_centres_zhongyiguan"] == 0.5
    assert shown.loc["T1", "beds"] == "无数据"
    assert with_no_data(table, "en").set_index("code").loc["T2", "tcm_gps"] == "no data"
    assert no_data_facility_sets(fac) == []  # some flags are known
    assert no_data_facility_sets(fac.assign(zhongyige=flag([None] * 8))) == ["zhongyige"]


def test_coverage_tables_upper_bound_and_no_data_targets():
    county = gpd.GeoDataFrame({"code": ["C"], "name": ["县"]}, geometry=[box(112.0, 36.0, 112.2, 36.1)], crs=4326)
    demand = gpd.GeoDataFrame({"population": [100.0, 300.0], "t_tcm_any_walk": [5.0, 40.0],
                               "t_tcm_any_upper_walk": [5.0, 10.0], "t_zhongyige_walk": [np.inf, np.inf]},
                              geometry=[Point(112.05, 36.05), Point(112.06, 36.05)], crs=4326)
    fac = gpd.GeoDataFrame({"tier": ["village_station"], "zhongyiguan": pd.array([None], dtype="boolean"),
                            "zhongyige": pd.array([None], dtype="boolean"), "is_tcm_clinic": [False]},
                           geometry=[Point(112.05, 36.05)], crs=4326)
    tables = coverage_tables(demand, fac, counties=county, townships=None, modes=["walk"],
                             facility_sets=["tcm_any", "zhongyige", "tcm_any_upper"], thresholds=[15])
    row = tables.county.iloc[0]
    assert row["share_within_15"] == pytest.approx(0.25)
    assert row["share_within_15_upper"] == pytest.approx(1.0)
    long = tables.by_facility_set.set_index("target")
    assert np.isnan(long.loc["zhongyige", "share_within_15"])  # unknown, not 0 %
    assert long.loc["zhongyige", "population"] == 400
    shown = with_no_data(long.reset_index(), "zh").set_index("target")
    assert shown.loc["zhongyige", "share_within_15"] == "无数据"
    assert shown.loc["zhongyige", "mean_min"] == "无数据"
    assert shown.loc["tcm_any", "share_within_15"] == pytest.approx(0.25)


def test_coverage_tables_lists_empty_township():
    towns = _areas()
    county = gpd.GeoDataFrame({"code": ["C"], "name": ["县"]}, geometry=[box(112.0, 36.0, 112.2, 36.1)], crs=4326)
    demand = gpd.GeoDataFrame({"population": [100.0, 300.0], "t_tcm_any_walk": [5.0, 20.0]},
                              geometry=[Point(112.05, 36.05), Point(112.06, 36.05)], crs=4326)
    fac = gpd.GeoDataFrame({"tier": ["village_station"], "zhongyiguan": [False], "zhongyige": [True],
                            "is_tcm_clinic": [False], "tcm_gps": [np.nan], "tcm_physicians": [np.nan],
                            "beds": [np.nan]}, geometry=[Point(112.05, 36.05)], crs=4326)
    tables = coverage_tables(demand, fac, counties=county, townships=towns, modes=["walk"],
                             facility_sets=["tcm_any"], thresholds=[15])
    town = tables.township.set_index("code")
    assert town.loc["T1", "share_within_15"] == pytest.approx(0.25)
    assert town.loc["T2", "population"] == 0  # no population, still listed
    assert town.loc["T1", "n_stations_zhongyige"] == 1
    assert tables.county.loc[0, "pop_within_15"] == 100
    with pytest.raises(InputError):
        coverage_tables(demand, fac, counties=county, townships=towns, modes=["walk"], facility_sets=["tcm_any"],
                        thresholds=[])


def test_coverage_tables_name_what_is_missing():
    county = gpd.GeoDataFrame({"code": ["C"], "name": ["县"]}, geometry=[box(112.0, 36.0, 112.2, 36.1)], crs=4326)
    demand = gpd.GeoDataFrame({"population": [100.0], "t_tcm_any_walk": [5.0], "t_tcm_any_upper_walk": [5.0],
                               "t_zhongyige_ebike": [3.0]}, geometry=[Point(112.05, 36.05)], crs=4326)
    fac = gpd.GeoDataFrame({"tier": ["village_station"], "zhongyiguan": [False], "zhongyige": [True],
                            "is_tcm_clinic": [False]}, geometry=[Point(112.05, 36.05)], crs=4326)
    kw = dict(counties=county, townships=None, thresholds=[15])
    with pytest.raises(InputError) as err:  # was a bare KeyError: 't_tcm_walk'
        coverage_tables(demand, fac, modes=["walk"], facility_sets=["tcm"], **kw)
    assert err.value.column == "t_tcm_walk"
    assert "walk: tcm_any, tcm_any_upper; ebike: zhongyige" in err.value.fix
    with pytest.raises(InputError, match="'t_tcm_any_car' \\(and 1 more\\)"):
        coverage_tables(demand, fac, modes=["car", "bicycle"], facility_sets=["tcm_any"], **kw)
    with pytest.raises(InputError, match="headline facility set 'tcm_any'"):
        coverage_tables(demand, fac, modes=["ebike"], facility_sets=["zhongyige"], **kw)
    with pytest.raises(InputError, match="no modes"):
        coverage_tables(demand, fac, modes=[], facility_sets=["tcm_any"], **kw)
    with pytest.raises(InputError, match="positive minutes"):
        coverage_tables(demand, fac, modes=["walk"], facility_sets=["tcm_any"], **{**kw, "thresholds": [15, -1]})
    ok = coverage_tables(demand, fac, modes=["walk"], facility_sets=["tcm_any", "tcm_any_upper"], **kw)
    assert ok.township is None and list(ok.by_facility_set["target"]) == ["tcm_any", "tcm_any_upper"]
    assert ok.county.loc[0, "share_within_15_upper"] == 1.0


def test_atomic_output_dir_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "out"
    with atomic_output_dir(out) as tmp:  # an earlier result (see also tests/test_outputs.py)
        (tmp / "old.csv").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_output_dir(out) as tmp:
        (tmp / "old.csv").write_text("new half", encoding="utf-8")
        (tmp / "map.html").write_text("<html>", encoding="utf-8")
        raise RuntimeError("boom")
    assert (out / "old.csv").read_text(encoding="utf-8") == "old"
    assert not (out / "map.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # temp folder removed
    with atomic_output_dir(out) as tmp:
        (tmp / "old.csv").write_text("new", encoding="utf-8")
    assert (out / "old.csv").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_localized_headers():
    from tcm_coverage.outputs.tables import column_label, localize

    assert column_label("share_within_15") == "15分钟覆盖率"
    assert column_label("pop_within_7.5", "en") == "population within 7.5 min"
    t = localize(pd.DataFrame({"mode": ["ebike"], "target": ["tcm_any"], "population": [1.0]}))
    assert list(t.columns) == ["出行方式", "目标设施", "人口"]
    assert t.iloc[0, 0] == "电动自行车"


def test_coverage_tables_ignore_stale_area_codes(monkeypatch):
    """Codes a frame carries from other boundaries are not the run's: the tables take a code
    column only when with_area_codes made it from the areas given, else they assign the points."""
    import tcm_coverage.access.coverage as coverage_mod

    towns = _areas()
    county = gpd.GeoDataFrame({"code": ["C"], "name": ["县"]}, geometry=[box(112.0, 36.0, 112.2, 36.1)], crs=4326)
    points = gpd.GeoDataFrame({"population": [100.0, 300.0], "t_tcm_any_walk": [5.0, 20.0]},
                              geometry=[Point(112.05, 36.05), Point(112.06, 36.05)], crs=4326)
    stale = points.copy()
    stale.insert(0, "county_code", ["OLD", "OLD"])
    stale.insert(1, "township_code", ["T2", "T2"])
    fac = gpd.GeoDataFrame({"tier": ["village_station"], "zhongyiguan": [False], "zhongyige": [True],
                            "is_tcm_clinic": [False]}, geometry=[Point(112.05, 36.05)], crs=4326)
    kw = dict(counties=county, townships=towns, modes=["walk"], facility_sets=["tcm_any"], thresholds=[15])
    tables = coverage_tables(stale, fac, **kw)
    assert tables.county["code"].tolist() == ["C"]
    assert tables.county.loc[0, "population"] == 400
    assert tables.unassigned.loc[0, "points"] == 0
    town = tables.township.set_index("code")
    assert town.loc["T1", "population"] == 400 and town.loc["T2", "population"] == 0
    # the run's codes (with_area_codes of these areas) are taken without assigning again ...
    coded = with_area_codes(points, {"county": county, "township": towns})
    assert coded.columns[:3].tolist() == ["population", "county_code", "township_code"]
    calls = []
    real = coverage_mod.assign_areas
    monkeypatch.setattr(coverage_mod, "assign_areas", lambda *a, **k: calls.append(1) or real(*a, **k))
    pd.testing.assert_frame_equal(coverage_tables(coded, fac, **kw).township, tables.township)
    assert len(calls) == 2  # the facilities of each level only
    # ... but not once edited, nor for other areas
    edited = coded.copy()
    edited["township_code"] = "T2"
    pd.testing.assert_frame_equal(coverage_tables(edited, fac, **kw).township, tables.township)
    other = with_area_codes(points, {"county": county, "township": towns.iloc[::-1].assign(code=["T1", "T2"])})
    assert (other["township_code"] == "T2").all()
    pd.testing.assert_frame_equal(coverage_tables(other, fac, **kw).township, tables.township)
