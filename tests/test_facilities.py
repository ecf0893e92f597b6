"""Facility tables: Chinese/English columns, types to tiers, flags, datums, bad rows."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from tcm_coverage import InputError
from tcm_coverage.inputs.chinacrs import gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from tcm_coverage.inputs.facilities import read_facilities

ROWS = [
    # 名称, 类型, 经度, 纬度, 中医馆, 中医阁, 中医执业医师数, 床位数
    ("示例县中医医院", "县级中医医院", 112.8901, 36.3201, "", "", 60, 200),
    ("甲镇卫生院", "乡镇卫生院", 112.8102, 36.3003, "是", "", 3, 20),
    ("乙镇卫生院", "乡镇卫生院", 112.7504, 36.2805, "否", "", 1, 10),
    ("城区社区卫生服务中心", "社区卫生服务中心", 112.8905, 36.3306, "有", "", 2, 0),
    ("甲镇01村卫生室", "村卫生室", 112.8207, 36.2907, "", "是", 1, 0),
    ("甲镇02村卫生室", "村卫生室", 112.8308, 36.2808, "", "否", "", ""),
    ("城区第一社区卫生服务站", "社区卫生服务站", 112.8909, 36.3409, "", "1", 0, 0),
    ("示例中医诊所", "中医诊所", 112.8810, 36.3210, "", "", 2, 0),
    ("县人民医院", "综合医院", 112.8811, 36.3311, "", "", 5, 300),
]


def _write_csv(path, rows=ROWS, encoding="utf-8-sig"):
    frame = pd.DataFrame(rows, columns=["名称", "类型", "经度", "纬度", "中医馆", "中医阁", "中医执业医师数", "床位数"])
    frame.to_csv(path, index=False, encoding=encoding)
    return frame


def test_chinese_csv_tiers_flags_counts(tmp_path):
    path = tmp_path / "设施.csv"
    _write_csv(path)
    fac = read_facilities(path)
    assert list(fac["tier"]) == ["county_tcm", "township_centre", "township_centre", "township_centre",
                                 "village_station", "village_station", "village_station", "other", "other"]
    assert list(fac["kind"][:4]) == ["county_tcm_hospital", "township_health_centre",
                                     "township_health_centre", "community_health_centre"]
    # blank cells are unknown (<NA>), never "no"
    assert fac["zhongyiguan"].dtype == "boolean"
    assert fac["zhongyiguan"].fillna(False).tolist()[:4] == [False, True, False, True]
    assert fac["zhongyiguan"].isna().tolist() == [True, False, False, False] + [True] * 5
    assert fac["zhongyige"].fillna(False).tolist()[4:7] == [True, False, True]
    assert fac["zhongyige"].isna().tolist() == [True] * 4 + [False] * 3 + [True] * 2
    assert (fac["type_rule"] == "T").all()
    assert list(fac["is_tcm_clinic"]) == [False] * 7 + [True, False]
    assert fac["tcm_physicians"].iloc[0] == 60
    assert np.isnan(fac["tcm_physicians"].iloc[5])
    assert np.isnan(fac["tcm_gps"]).all()  # column absent: no data, not zero
    assert list(fac["source_row"]) == list(range(2, 11))
    assert fac.crs.to_epsg() == 4326
    assert fac.geometry.x.iloc[0] == pytest.approx(112.8901)


def test_gcj02_and_bd09_are_converted(tmp_path):
    lon_w, lat_w = np.array([112.8901, 112.8102]), np.array([36.3201, 36.3003])
    lon_g, lat_g = wgs84_to_gcj02(lon_w, lat_w)
    rows = [("a", "乡镇卫生院", lon_g[0], lat_g[0], "是", "", 1, 1),
            ("b", "村卫生室", lon_g[1], lat_g[1], "", "是", 1, 1)]
    path = tmp_path / "gcj.csv"
    _write_csv(path, rows)
    fac = read_facilities(path, datum="GCJ-02")
    np.testing.assert_allclose(fac.geometry.x, lon_w, atol=1e-7)
    np.testing.assert_allclose(fac.geometry.y, lat_w, atol=1e-7)
    # Per-row datum column: the first row is Baidu, the second WGS-84.
    lon_b, lat_b = wgs84_to_bd09(lon_w[:1], lat_w[:1])
    frame = pd.DataFrame({"name": ["a", "b"], "type": ["township health centre", "village clinic"],
                          "lon": [lon_b[0], lon_w[1]], "lat": [lat_b[0], lat_w[1]], "坐标系": ["百度", ""]})
    path2 = tmp_path / "mixed.csv"
    frame.to_csv(path2, index=False)
    fac2 = read_facilities(path2, datum="wgs84")
    np.testing.assert_allclose(fac2.geometry.x, lon_w, atol=1e-7)
    np.testing.assert_allclose(fac2.geometry.y, lat_w, atol=1e-7)
    assert list(fac2["tier"]) == ["township_centre", "village_station"]


def test_xlsx_gbk_and_geopackage(tmp_path):
    frame = _write_csv(tmp_path / "a.csv")
    frame.to_excel(tmp_path / "a.xlsx", index=False)
    _write_csv(tmp_path / "gbk.csv", encoding="gbk")
    a = read_facilities(tmp_path / "a.csv")
    for other in (read_facilities(tmp_path / "a.xlsx"), read_facilities(tmp_path / "gbk.csv")):
        assert list(other["name"]) == list(a["name"])
        assert list(other["tier"]) == list(a["tier"])
    gdf = gpd.GeoDataFrame(frame.drop(columns=["经度", "纬度"]),
                           geometry=[Point(x, y) for x, y in zip(frame["经度"], frame["纬度"], strict=True)], crs=4326)
    gdf.to_file(tmp_path / "a.gpkg", driver="GPKG")
    g = read_facilities(tmp_path / "a.gpkg")
    assert list(g["tier"]) == list(a["tier"])
    assert list(g["source_row"]) == list(range(1, 10))
    # GCJ-02 geometry in a GeoPackage tagged 4326 is converted when declared.
    lon_g, lat_g = wgs84_to_gcj02(frame["经度"].to_numpy(float), frame["纬度"].to_numpy(float))
    gdf.geometry = gpd.points_from_xy(lon_g, lat_g)
    gdf.to_file(tmp_path / "g.gpkg", driver="GPKG")
    g2 = read_facilities(tmp_path / "g.gpkg", datum="gcj02")
    np.testing.assert_allclose(g2.geometry.x, a.geometry.x, atol=1e-7)


@pytest.mark.parametrize(
    ("bad_row", "expect"),
    [
        (("x", "县医院大楼", 112.8, 36.3, "", "", "", ""), "unknown facility type"),
        (("x", "村卫生室", "", 36.3, "", "", "", ""), "row 3"),
        (("x", "村卫生室", 0, 0, "", "", "", ""), "row 3"),
        (("x", "村卫生室", 36.3, 112.8, "", "", "", ""), "swapped"),
        (("x", "村卫生室", 2.35, 48.85, "", "", "", ""), "outside China"),
        (("x", "村卫生室", 112.8, 36.3, "", "也许", "", ""), "yes/no"),
        (("x", "村卫生室", 112.8, 36.3, "", "", -1, ""), "non-negative"),
        (("", "村卫生室", 112.8, 36.3, "", "", "", ""), "name is blank"),
    ],
)
def test_bad_rows_name_file_row_and_fix(tmp_path, bad_row, expect):
    path = tmp_path / "bad.csv"
    _write_csv(path, [ROWS[0], bad_row])
    with pytest.raises(InputError) as info:
        read_facilities(path)
    text = str(info.value)
    assert expect in text
    assert "bad.csv" in text
    assert "row 3" in text
    assert "Fix:" in text


def test_unknown_type_lists_accepted(tmp_path):
    path = tmp_path / "bad.csv"
    _write_csv(path, [("x", "卫生所所", 112.8, 36.3, "", "", "", "")])
    with pytest.raises(InputError, match="村卫生室") as info:
        read_facilities(path)
    assert "卫生所所" in str(info.value)


def test_missing_columns_empty_and_unsupported(tmp_path):
    (tmp_path / "cols.csv").write_text("名称,地址\n甲,乙\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column") as info:
        read_facilities(tmp_path / "cols.csv")
    assert "地址" in str(info.value) and "类型" in str(info.value)
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_facilities(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("名称,类型,经度,纬度\n", encoding="utf-8")
    with pytest.raises(InputError, match="no facilities"):
        read_facilities(tmp_path / "header.csv")
    (tmp_path / "a.docx").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="unsupported file type"):
        read_facilities(tmp_path / "a.docx")
    with pytest.raises(InputError, match="not found"):
        read_facilities(tmp_path / "missing.csv")


def test_duplicate_ids_and_bad_datum(tmp_path):
    frame = pd.DataFrame({"编号": ["A", "A"], "名称": ["a", "b"], "类型": ["村卫生室"] * 2,
                          "经度": [112.8, 112.81], "纬度": [36.3, 36.31]})
    frame.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(InputError, match="duplicate facility ids"):
        read_facilities(tmp_path / "dup.csv")
    frame["编号"] = ["A", "B"]
    frame["坐标系"] = ["wgs84", "火星2"]
    frame.to_csv(tmp_path / "datum.csv", index=False)
    with pytest.raises(InputError) as info:
        read_facilities(tmp_path / "datum.csv")
    assert "row 3" in str(info.value) and "坐标系" in str(info.value)


def test_gcj_inverse_is_used_not_forward(tmp_path):
    # Reading a GCJ-02 file as GCJ-02 must move points by the inverse, i.e. towards WGS-84.
    lon_g, lat_g = 112.9, 36.3
    path = tmp_path / "one.csv"
    _write_csv(path, [("a", "村卫生室", lon_g, lat_g, "", "", "", "")])
    fac = read_facilities(path, datum="gcj02")
    exp_lon, exp_lat = gcj02_to_wgs84(np.array([lon_g]), np.array([lat_g]))
    assert fac.geometry.x.iloc[0] == pytest.approx(exp_lon[0], abs=1e-9)
    assert fac.geometry.y.iloc[0] == pytest.approx(exp_lat[0], abs=1e-9)
    assert abs(fac.geometry.x.iloc[0] - lon_g) > 1e-4  # it really moved (hundreds of metres)
