"""Map-service POI exports load as they are: the demo facilities as an Amap (高德) export.

The fixture converts the demo county's typed facility table into what an Amap POI search
export looks like (``name, address, adname, pname, cityname, type, lat, lon``; ``type`` the
Amap categories ``大类;中类;小类``, several joined by ``|``; GCJ-02 coordinates), adds the
places such an export also holds (a pet clinic, a pharmacy, a dental clinic, a cosmetic
clinic, a hospital department, a centre's 中医馆, a row no rule can type), and puts it in a
workbook with a title row above the header and a second sheet, as planners receive them.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import docx
import numpy as np
import openpyxl
import pandas as pd
import pytest

from tcm_coverage import InputError
from tcm_coverage.access import CoverageTables
from tcm_coverage.demo import demo_data_dir
from tcm_coverage.inputs import load_facilities, read_facilities, review_sheet
from tcm_coverage.inputs.chinacrs import wgs84_to_gcj02
from tcm_coverage.outputs.tables import write_tables

DATA = demo_data_dir()
DEMO_FACILITIES = DATA / "facilities" / "demo_facilities_gcj02.csv"
ROOT = Path(__file__).resolve().parents[1]

#: Amap categories by the demo's type (what Amap files such places under).
AMAP_TYPE = {
    "县级中医医院": "医疗保健服务;专科医院;专科医院",
    "综合医院": "医疗保健服务;综合医院;三级甲等医院",
    "社区卫生服务中心": "医疗保健服务;综合医院;综合医院|医疗保健服务;诊所;诊所",
    "社区卫生服务站": "医疗保健服务;诊所;诊所",
    "乡镇卫生院": "医疗保健服务;综合医院;卫生院",
    "中医诊所": "医疗保健服务;诊所;诊所",
    "村卫生室": "医疗保健服务;诊所;诊所",
}

#: (name, Amap type, WGS-84 lon, lat): places an export holds besides the health facilities.
EXTRA = [
    ("爱宠动物医院", "医疗保健服务;动物医疗场所;宠物诊所", 112.8905, 36.3285),
    ("老百姓大药房(屯留店)", "医疗保健服务;医药保健销售店;药房", 112.8871, 36.3302),
    ("佳美口腔诊所", "医疗保健服务;专科医院;口腔医院", 112.8833, 36.3261),
    ("丽人医疗美容诊所", "医疗保健服务;专科医院;整形美容", 112.8922, 36.3318),
    ("示例县人民医院-住院部", "医疗保健服务;综合医院;综合医院", 112.8851, 36.3271),
    ("丙镇卫生院中医馆", "医疗保健服务;诊所;诊所", None, None),  # at 丙镇卫生院
    ("康健医疗服务部", "医疗保健服务;医疗保健服务场所;医疗保健服务场所", 112.8800, 36.3350),
    ('=HYPERLINK("http://example.com","点此")诊所', "医疗保健服务;诊所;诊所", 112.8810, 36.3360),
]

#: Rows each rule should type or leave out on the export above.
EXPECTED_RULES = {"N1": 150, "N2": 1, "N3": 4, "N4": 9, "N5": 1, "N6": 2, "C4": 1, "C3": 1,
                  "X1": 1, "X2": 1, "X3": 1, "X4": 1, "X5": 2, "": 1}


def amap_frame() -> pd.DataFrame:
    """The demo facilities as an Amap POI export (GCJ-02, as the demo CSV already is)."""
    demo = pd.read_csv(DEMO_FACILITIES, encoding="utf-8-sig", dtype=str)
    town = demo["名称"].str.extract(r"^(.{1,3}?[镇乡]|甲街道)")[0].fillna("")
    rows = pd.DataFrame({
        "name": demo["名称"],
        "address": town + "示例路" + (demo.index + 1).astype(str) + "号",
        "adname": "屯留区", "pname": "山西省", "cityname": "长治市",
        "type": demo["类型"].map(AMAP_TYPE),
        "lat": demo["纬度"].astype(float), "lon": demo["经度"].astype(float),
    })
    # Amap files many village clinics (they sell medicines) under 药房; the name decides.
    rows.loc[rows["name"] == "乙镇05村卫生室", "type"] = "医疗保健服务;医药保健销售店;药房"
    at_bing = rows.loc[rows["name"] == "丙镇卫生院", ["lon", "lat"]].iloc[0]
    extra = []
    for name, typ, lon, lat in EXTRA:
        if lon is None:
            glon, glat = at_bing["lon"] + 0.0001, at_bing["lat"]
        else:  # invented places: WGS-84 positions turned into GCJ-02 as Amap gives them
            g = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
            glon, glat = float(g[0][0]), float(g[1][0])
        extra.append({"name": name, "address": "示例路", "adname": "屯留区", "pname": "山西省",
                      "cityname": "长治市", "type": typ, "lat": round(glat, 6), "lon": round(glon, 6)})
    return pd.concat([rows, pd.DataFrame(extra)], ignore_index=True)


def write_amap_xlsx(path: Path) -> Path:
    """The export as a workbook: a merged title row above the header, and a notes sheet first."""
    frame = amap_frame()
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "说明"
    notes.append(["导出说明"])
    notes.append(["高德地图POI搜索：关键字“医疗保健服务”，屯留区"])
    ws = wb.create_sheet("高德POI")
    ws.append(["屯留区医疗保健服务POI（高德地图导出）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(frame.columns))
    ws.append(list(frame.columns))
    for rec in frame.itertuples(index=False):
        ws.append(list(rec))
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def amap_xlsx(tmp_path_factory) -> Path:
    return write_amap_xlsx(tmp_path_factory.mktemp("amap") / "屯留区_高德POI.xlsx")


def test_amap_export_types_every_row(amap_xlsx, caplog):
    with caplog.at_level(logging.WARNING, logger="tcm_coverage"):
        table = load_facilities(amap_xlsx, datum="gcj02")
    assert "read sheet '高德POI'" in caplog.text  # the notes sheet is skipped, and it says so
    assert table.source == "poi:amap"
    review = table.review
    assert len(review) == 168 + len(EXTRA)
    assert review["row"].tolist() == list(range(3, 3 + len(review)))  # title in row 1, header row 2
    assert review["rule_id"].value_counts().to_dict() == EXPECTED_RULES
    fac = table.facilities
    typed = read_facilities(DEMO_FACILITIES, datum="gcj02")
    demo_part = fac[fac["name"].isin(typed["name"])].set_index("name").loc[typed["name"]]
    assert demo_part["kind"].tolist() == typed["kind"].tolist()  # every demo facility typed right
    np.testing.assert_allclose(demo_part.geometry.x, typed.geometry.x, atol=1e-9)
    np.testing.assert_allclose(demo_part.geometry.y, typed.geometry.y, atol=1e-9)
    assert len(fac) == 168 + 1  # plus the unknown-named clinic (C3); the rest left out
    assert table.excluded == {"X1": 1, "X2": 1, "X3": 1, "X4": 1, "X5": 2, "": 1}
    # no 中医馆/中医阁 column: unknown, except where the export itself shows a 中医馆
    guan = fac.set_index("name")["zhongyiguan"]
    assert bool(guan["丙镇卫生院"]) is True
    assert guan.drop("丙镇卫生院").isna().all()
    assert fac["zhongyige"].isna().all()
    assert "counted" in caplog.text or "left out" in caplog.text



def _one_row_tables() -> CoverageTables:
    """The smallest coverage tables a workbook can be written from (one county row)."""
    row = pd.DataFrame({"code": ["1"], "name": ["x"], "mode": ["walk"], "target": ["tcm_any"],
                        "population": [1.0]})
    return CoverageTables(county=row, township=None, by_facility_set=row.assign(level="county"),
                          unassigned=pd.DataFrame())

def test_review_sheet_reads_back_as_a_typed_table(amap_xlsx, tmp_path):
    table = load_facilities(amap_xlsx, datum="gcj02")
    sheet = review_sheet(table.review, "zh")
    assert list(sheet.columns[:6]) == ["行号", "名称", "POI类别", "识别类型", "规则", "规则说明"]
    by_name = sheet.set_index("名称")
    assert by_name.loc["爱宠动物医院", "识别类型"] == "不计入"
    assert by_name.loc["爱宠动物医院", "规则"] == "X1"
    assert by_name.loc["康健医疗服务部", "识别类型"] == "未识别"
    assert by_name.loc["乙镇05村卫生室", "识别类型"] == "村卫生室"
    assert by_name.loc["丙镇卫生院", "中医馆"] == "是"
    assert by_name["中医馆"].drop("丙镇卫生院").isna().all() and by_name["中医阁"].isna().all()
    assert "丙镇卫生院中医馆" in by_name.loc["丙镇卫生院", "中医馆/中医阁依据"]
    en = review_sheet(table.review, "en")
    assert list(en.columns[:6]) == ["row", "name", "POI category", "inferred type", "rule", "rule note"]
    assert en.set_index("name").loc["爱宠动物医院", "inferred type"] == "exclude"
    # the planner corrects one row and reruns with the sheet: a typed table, no rules involved
    edited = sheet.copy()
    edited.loc[edited["名称"] == "康健医疗服务部", "识别类型"] = "诊所"
    edited.loc[edited["名称"] == "示例县人民医院", "识别类型"] = "不计入"
    tables = _one_row_tables()
    write_tables(tables, tmp_path, lang="zh", readme_rows=[("项目", "内容")], review=edited)
    again = load_facilities(tmp_path / "coverage.xlsx", datum="gcj02", sheet="设施类型识别")
    assert again.source == "typed" and again.review is None
    assert (again.facilities["type_rule"] == "T").all()
    names = set(again.facilities["name"])
    assert "康健医疗服务部" in names and "示例县人民医院" not in names and "爱宠动物医院" not in names
    first = table.facilities.set_index("name")
    back = again.facilities.set_index("name")
    common = sorted(set(first.index) & set(back.index))
    assert len(common) == 168
    assert (back.loc[common, "kind"] == first.loc[common, "kind"]).all()
    np.testing.assert_allclose(back.loc[common].geometry.x, first.loc[common].geometry.x, atol=1e-9)
    assert bool(back.loc["丙镇卫生院", "zhongyiguan"]) is True


def test_review_sheet_is_text_not_formulas(amap_xlsx, tmp_path):
    table = load_facilities(amap_xlsx, datum="gcj02")
    tables = _one_row_tables()
    write_tables(tables, tmp_path, lang="en", review=review_sheet(table.review, "en"))
    wb = openpyxl.load_workbook(tmp_path / "coverage.xlsx")
    assert wb.sheetnames == ["facility type review", "county coverage", "coverage by target"]
    ws = wb["facility type review"]
    headers = [c.value for c in ws[1]]
    assert headers[:6] == ["row", "name", "POI category", "inferred type", "rule", "rule note"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row
             if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_location_column_gbk_csv_and_datum_hint(tmp_path, caplog):
    frame = amap_frame().head(20)
    frame["location"] = frame["lon"].map("{:.6f}".format) + "," + frame["lat"].map("{:.6f}".format)
    frame = frame.drop(columns=["lon", "lat"])
    path = tmp_path / "amap_api.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    with caplog.at_level(logging.WARNING, logger="tcm_coverage"):
        as_wgs = read_facilities(path)  # the datum left at WGS-84: a hint, not a guess
    assert "GCJ-02" in caplog.text and "--facilities-datum gcj02" in caplog.text
    fac = read_facilities(path, datum="gcj02")
    typed = read_facilities(DEMO_FACILITIES, datum="gcj02").head(20)
    np.testing.assert_allclose(fac.geometry.x, typed.geometry.x, atol=1e-9)
    assert np.abs(as_wgs.geometry.x.to_numpy() - typed.geometry.x.to_numpy()).max() > 1e-3
    bad = frame.copy()
    bad.loc[3, "location"] = "112.9"
    bad.to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(InputError, match=r"row 5.*blank or not a number"):
        read_facilities(path, datum="gcj02")


def test_names_only_and_typed_tables(tmp_path):
    # no type column at all: names decide, generic names fall back, the rest is listed
    frame = pd.DataFrame({"名称": ["甲镇卫生院", "甲镇01村卫生室", "示例县中医院", "张三诊所", "便民点"],
                          "经度": [112.81, 112.82, 112.83, 112.84, 112.85], "纬度": [36.3] * 5})
    frame.to_csv(tmp_path / "names.csv", index=False)
    table = load_facilities(tmp_path / "names.csv")
    assert table.facilities["kind"].tolist() == ["township_health_centre", "village_clinic",
                                                 "county_tcm_hospital", "other_clinic"]
    assert table.review["action"].tolist() == ["counted"] * 4 + ["unrecognised"]
    # a typed table keeps working unchanged; a typo is still an error, not a guess
    typed = load_facilities(DEMO_FACILITIES, datum="gcj02")
    assert typed.source == "typed" and typed.review is None and len(typed.facilities) == 168
    frame["类型"] = ["乡镇卫生院", "村卫生室", "县级中医医院", "诊所", "乡真卫生院"]
    frame.to_csv(tmp_path / "typo.csv", index=False)
    with pytest.raises(InputError, match="unknown facility type.*乡真卫生院") as info:
        read_facilities(tmp_path / "typo.csv")
    assert "row 6" in str(info.value) and "不计入" in str(info.value)
    frame.loc[4, "类型"] = "不计入"
    frame.to_csv(tmp_path / "skip.csv", index=False)
    assert len(read_facilities(tmp_path / "skip.csv")) == 4
    # only pets and pharmacies: nothing to count is an error naming the file
    pd.DataFrame({"name": ["爱宠动物医院"], "type": ["医疗保健服务;动物医疗场所;宠物诊所"],
                  "lon": [112.8], "lat": [36.3]}).to_csv(tmp_path / "pets.csv", index=False)
    with pytest.raises(InputError, match="no row is a health facility"):
        read_facilities(tmp_path / "pets.csv")


@pytest.mark.slow
def test_analyze_runs_an_amap_export_with_no_editing(amap_xlsx, tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "tcm_coverage", "analyze", "--facilities", str(amap_xlsx),
           "--sheet", "高德POI", "--facilities-datum", "gcj02",
           "--boundary", str(DATA / "boundaries" / "tunliu_140405_county_wgs84.geojson"),
           "--townships", str(DATA / "boundaries" / "demo_townships_wgs84.geojson"),
           "--population", str(DATA / "population" / "demo_villages.csv"),
           "--network", str(DATA / "roads" / "demo_roads.osm"),
           "--mode", "ebike", "--threshold", "15", "--no-accessibility", "--isochrone-cell-m", "0",
           "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert res.returncode == 0, res.stderr
    assert "中医馆/中医阁未知" in res.stdout  # the terminal headline states both bounds
    _check_amap_run(out)

    # The planner fills in 中医馆/中医阁 in the review sheet and reruns with it: the result is the
    # typed demo's, to the resident (and it lies between the bounds of the first run).
    demo = pd.read_csv(DEMO_FACILITIES, encoding="utf-8-sig").set_index("名称")
    wb = openpyxl.load_workbook(out / "coverage.xlsx")
    ws = wb["设施类型识别"]
    col = {c.value: i for i, c in enumerate(ws[1])}
    for row in ws.iter_rows(min_row=2):
        name = row[col["名称"]].value
        if name in demo.index:
            row[col["中医馆"]].value = demo.loc[name, "中医馆"]
            row[col["中医阁"]].value = demo.loc[name, "中医阁"]
    corrected = tmp_path / "corrected.xlsx"
    wb.save(corrected)
    fast = ["--no-map", "--no-report"]
    results = {}
    for label, facilities in (("corrected", ["--facilities", str(corrected), "--sheet", "设施类型识别"]),
                              ("typed", ["--facilities", str(DEMO_FACILITIES)])):
        args = cmd[:4] + facilities + cmd[8:-1] + [str(tmp_path / label)] + fast
        res = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, check=False)
        assert res.returncode == 0, res.stderr
        results[label] = pd.read_csv(tmp_path / label / "coverage_township.csv", encoding="utf-8-sig")
    # the export has no staff counts (so no capacities either), and one more private clinic
    # (the =HYPERLINK one)
    same = [c for c in results["typed"].columns
            if not any(w in c for w in ("医生", "医师", "床位", "其他医疗机构", "未填报", "服务能力"))]
    assert "15分钟覆盖率" in same and "中医阁设置率" in same
    pd.testing.assert_frame_equal(results["corrected"][same], results["typed"][same])
    first = pd.read_csv(out / "coverage_county.csv", encoding="utf-8-sig").iloc[0]
    typed = pd.read_csv(tmp_path / "typed" / "coverage_county.csv", encoding="utf-8-sig").iloc[0]
    assert first["15分钟覆盖率"] <= typed["15分钟覆盖率"] <= first["15分钟覆盖率上限（中医馆/中医阁未知按有）"]


def _check_amap_run(out: Path) -> None:

    wb = openpyxl.load_workbook(out / "coverage.xlsx")
    assert wb.sheetnames[:2] == ["说明", "设施类型识别"]
    ws = wb["设施类型识别"]
    rows = list(ws.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:6] == ("行号", "名称", "POI类别", "识别类型", "规则", "规则说明")
    assert len(body) == 168 + len(EXTRA)
    got = pd.DataFrame(body, columns=header)
    assert got["规则"].fillna("").value_counts().to_dict() == EXPECTED_RULES
    pet = got[got["名称"] == "爱宠动物医院"].iloc[0]
    assert (pet["识别类型"], pet["规则"]) == ("不计入", "X1") and "宠物" in pet["规则说明"]
    assert got.loc[got["名称"] == "丙镇卫生院", "识别类型"].item() == "乡镇卫生院"
    readme = dict(r[:2] for r in wb["说明"].iter_rows(min_row=2, values_only=True) if r[0] != "注意")
    notes = [r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True) if r[0] == "注意"]
    assert "下限" in readme["未知数据"] and "上限" in readme["未知数据"]
    assert any("不计入 6 个" in n and "未识别 1 个" in n for n in notes)
    assert not any("没有设施属于「中医阁」" in n for n in notes)  # unknown, said once, plainly

    county = pd.read_csv(out / "coverage_county.csv", encoding="utf-8-sig", dtype=str).iloc[0]
    assert county["中医阁设置率"] == "无数据" and county["设中医阁的站室数"] == "无数据"
    # 中医馆: only 丙镇卫生院 is known (from its 中医馆 POI): 1 of 1 known, 9 unknown
    assert county["设中医馆的中心数"] == "1" and county["中医馆情况未知的中心数"] == "9"
    assert float(county["中医馆设置率"]) == 1.0
    low, high = float(county["15分钟覆盖率"]), float(county["15分钟覆盖率上限（中医馆/中医阁未知按有）"])
    assert 0 < low < high <= 1
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    head = run["headline"]["ebike"]["140405"]
    assert head["share_within_15"] == pytest.approx(low, abs=1e-4)
    assert head["share_within_15_upper"] == pytest.approx(high, abs=1e-4)

    page = (out / "report.html").read_text(encoding="utf-8").split("<iframe")[0]
    assert f"{low:.1%}–{high:.1%}" in page and "下限" in page
    # the Word report shows the same range (its figures come from the same place)
    doc = docx.Document(str(out / "report.docx"))
    cells = {c.text for t in doc.tables[:2] for row in t.rows for c in row.cells}
    assert f"{low:.1%}–{high:.1%}" in cells and any("下限" in p.text for p in doc.paragraphs)
    fmap = (out / "map.html").read_text(encoding="utf-8")
    assert "灰色：中医馆/中医阁无数据" in fmap  # legend
    assert json.dumps("无数据（未知）")[1:-1] in fmap  # popups (JSON-escaped in the page)
    assert "个机构是否设中医馆/中医阁未知" in fmap
    card = pd.read_excel(out / "scorecard.xlsx")
    ge = card[(card["层级"] == "县区") & (card["指标"] == "中医阁设置率")].iloc[0]
    assert ge["现状值"].startswith("无数据") and ge["是否达标"] == "无数据"
    assert "还需" not in str(ge["差距"]) and "0%" not in str(ge["现状值"])


def test_cli_sheet_is_validated_before_any_work(amap_xlsx, tmp_path, capsys):
    from tcm_coverage.cli.main import main

    out = tmp_path / "out"
    args = ["analyze", "--facilities", str(amap_xlsx), "--sheet", "设施", "--facilities-datum", "gcj02",
            "--boundary", str(DATA / "boundaries" / "tunliu_140405_county_wgs84.geojson"),
            "--population", str(DATA / "population" / "demo_villages.csv"),
            "--network", str(DATA / "roads" / "demo_roads.osm"), "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "屯留区_高德POI.xlsx" in err and "no sheet '设施'" in err
    assert "['说明', '高德POI']" in err and "--sheet" in err
    assert not out.exists()


def test_village_workbook_with_title_row_and_sheet(tmp_path):
    from tcm_coverage.inputs.population import read_population

    villages = pd.read_csv(DATA / "population" / "demo_villages.csv", encoding="utf-8-sig").head(5)
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    wb.active.append(["屯留区村庄人口"])
    ws = wb.create_sheet("村庄")
    ws.append(["屯留区村庄人口（2023年末常住人口）"])
    ws.merge_cells("A1:E1")
    ws.append(list(villages.columns))
    for rec in villages.itertuples(index=False):
        ws.append(list(rec))
    ws.append([None] * 5)
    ws.append(["合计说明：以上为示例", None, None, None, None])  # a note below: a bad row, named
    path = tmp_path / "villages.xlsx"
    wb.save(path)
    with pytest.raises(InputError, match=r"row 9.*") as info:
        read_population(path, layer="村庄")
    assert "villages.xlsx" in str(info.value)
    ws.delete_rows(9)
    wb.save(path)
    demand = read_population(path)  # the sheet is found by its header
    assert demand["population"].tolist() == villages["人口"].astype(float).tolist()
    assert demand["name"].tolist() == villages["名称"].tolist()
