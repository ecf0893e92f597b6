"""The planner-readable rule table that types map-service POI rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import tcm_coverage.inputs.facility_rules as fr
from tcm_coverage.inputs import KIND_TIER, classify_types
from tcm_coverage.inputs.facility_rules import (
    KIND_LABELS,
    RULES,
    clean_name,
    infer_type,
    poi_source,
    rules_markdown,
    split_categories,
)

AMAP_TOWNSHIP = "医疗保健服务;综合医院;卫生院"
AMAP_CLINIC = "医疗保健服务;诊所;诊所"
AMAP_PHARMACY = "医疗保健服务;医药保健销售店;药房"


@pytest.mark.parametrize(
    ("name", "category", "kind", "rule"),
    [
        # the rules the issue names
        ("甲镇02村卫生室", AMAP_CLINIC, "village_clinic", "N1"),
        ("东关卫生室", None, "village_clinic", "N1"),
        ("城东社区卫生服务中心", "医疗保健服务;综合医院;综合医院", "community_health_centre", "N2"),
        ("城东第一社区卫生服务站", AMAP_CLINIC, "community_health_station", "N3"),
        ("甲镇中心卫生院", AMAP_TOWNSHIP, "township_health_centre", "N4"),
        ("示例县中医医院", "医疗保健服务;专科医院;专科医院", "county_tcm_hospital", "N5"),
        ("示例县中医院", None, "county_tcm_hospital", "N5"),
        ("示例县中西医结合医院", None, "county_tcm_hospital", "N5"),
        ("长治市中医医院", "医疗保健服务;综合医院;三级甲等医院", "county_tcm_hospital", "N5a"),
        ("长治市屯留区中医医院", None, "county_tcm_hospital", "N5"),  # 区中医, not 市中医
        ("仁和中医诊所", AMAP_CLINIC, "tcm_clinic", "N6"),
        ("济世中医门诊部", None, "tcm_clinic", "N6"),
        ("杏林国医堂", None, "tcm_clinic", "N6"),
        # left out, with the rule
        ("爱宠动物医院", "医疗保健服务;动物医疗场所;宠物诊所", None, "X1"),
        ("丽人医疗美容诊所", "医疗保健服务;专科医院;整形美容", None, "X2"),
        ("佳美口腔诊所", "医疗保健服务;专科医院;口腔医院", None, "X3"),
        ("老百姓大药房(屯留店)", AMAP_PHARMACY, None, "X4"),
        ("国大药房屯留中心店", AMAP_PHARMACY, None, "X4"),
        ("示例县疾病预防控制中心", "医疗保健服务;疾病预防机构;疾病预防", None, "X6"),
        ("康乐足疗养生馆", "生活服务;洗浴推拿场所;足疗", None, "X7"),
        # name rules win over generic categories
        ("甲镇卫生院", AMAP_TOWNSHIP, "township_health_centre", "N4"),
        ("乙镇05村卫生室", AMAP_PHARMACY, "village_clinic", "N1"),
        # categories when the name says nothing specific
        ("甲镇中心医院", AMAP_TOWNSHIP, "township_health_centre", "C1"),
        ("康宁诊所", AMAP_CLINIC, "other_clinic", "C3"),
        ("康宁诊所", "医疗;诊所", "other_clinic", "C3"),           # Baidu
        ("康宁诊所", "医疗保健:诊所", "other_clinic", "C3"),        # Tencent
        ("便民医疗点", "医疗保健服务;诊所;诊所|医疗保健服务;医药保健销售店;药房", "other_clinic", "C3"),
        ("便民医疗点", AMAP_PHARMACY, None, "CX4"),
        ("宠物之家", "医疗保健服务;动物医疗场所;宠物诊所", None, "X1"),
        ("和美医疗", "医疗保健服务;专科医院;整形美容", None, "CX2"),
        ("示例县人民医院", "医疗保健服务;综合医院;三级甲等医院", "general_hospital", "C4"),
        # generic name endings without categories (no type column)
        ("示例县人民医院", None, "general_hospital", "G1"),
        ("张三诊所", None, "other_clinic", "G2"),
        ("某单位医务室", None, "other_clinic", "G2"),
        # not guessed
        ("康健医疗服务部", "医疗保健服务;医疗保健服务场所;医疗保健服务场所", None, ""),
        ("示例县卫生健康服务", None, None, ""),
    ],
)
def test_examples(name, category, kind, rule):
    res = infer_type(name, category)
    assert (res.kind, res.rule_id) == (kind, rule)
    assert res.action == ("counted" if kind else ("unrecognised" if rule == "" else "excluded"))


def test_departments_are_not_counted_twice():
    listed = frozenset({"示例县人民医院", "甲镇卫生院"})
    res = infer_type("示例县人民医院-住院部", "医疗保健服务;综合医院;综合医院", listed_names=listed)
    assert (res.kind, res.rule_id, res.via) == (None, "X5", "示例县人民医院")
    # the facility itself is not in the export: typed by its name
    res = infer_type("示例县中医医院急诊科", None, listed_names=listed)
    assert (res.kind, res.rule_id, res.via) == ("county_tcm_hospital", "N5", "示例县中医医院")
    # a centre's 中医馆 is evidence for the centre
    res = infer_type("甲镇卫生院中医馆", None, listed_names=listed)
    assert (res.kind, res.rule_id, res.hall) == (None, "X5", "zhongyiguan")
    res = infer_type("乙镇卫生院国医堂", None, listed_names=listed)
    assert (res.kind, res.rule_id, res.hall) == ("township_health_centre", "N4", "zhongyiguan")


def test_name_cleaning_and_category_splitting():
    assert clean_name(" 屯留区中医医院（东院） ") == "屯留区中医医院"
    assert clean_name("甲镇卫生院(北门)(旧址)") == "甲镇卫生院"
    assert split_categories("医疗保健服务;综合医院;卫生院|医疗保健服务;诊所;诊所") == [
        ["医疗保健服务", "综合医院", "卫生院"], ["医疗保健服务", "诊所", "诊所"]]
    assert split_categories("医疗保健:诊所") == [["医疗保健", "诊所"]]
    assert split_categories(None) == [] and split_categories(float("nan")) == []
    assert poi_source([AMAP_CLINIC, AMAP_TOWNSHIP, "医疗;诊所"]) == "amap"
    assert poi_source(["医疗;综合医院"]) == "baidu"
    assert poi_source(["医疗保健:诊所"]) == "tencent"
    assert poi_source(["乡镇卫生院"]) is None


def test_rule_table_is_consistent():
    ids = [r.rule_id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.field in ("name", "category")
        assert r.kind is None or r.kind in KIND_TIER
        assert r.note_zh and r.note_en
        assert r.regex.pattern == r.pattern  # compiles
    # the labels written into the review sheet are accepted type names that read back
    labels = pd.Series([v[lang] for v in KIND_LABELS.values() for lang in ("zh", "en")])
    kinds = [k for k in KIND_LABELS for _ in ("zh", "en")]
    assert classify_types(labels).tolist() == kinds


def test_table_in_docstring_and_readme():
    doc = fr.__doc__
    for r in RULES:
        assert f"\n{r.rule_id} " in doc
        assert (r.kind or "left out") in doc
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert rules_markdown("en") in readme, "README's rule table is out of date: paste rules_markdown()"
