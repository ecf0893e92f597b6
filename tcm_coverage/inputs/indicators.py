"""The plan indicators: what each key of a profile means and how the scorecard computes it.

:data:`INDICATORS` lists every indicator a profile (:mod:`tcm_coverage.inputs.plans`) may name,
in scorecard order, with its labels, its :data:`measure <MEASURES>` (share, ratio, presence,
count), the area levels it is computed for and how (or, when the analyzer cannot measure it,
the data it would need).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["INDICATORS", "MEASURES", "IndicatorSpec"]

#: What an indicator measures: ``share`` (fraction 0–1), ``ratio`` (per population unit),
#: ``presence`` (an area has at least one such facility; target 1.0 = every county), ``count``
#: (facilities). (A facility's *kind* is its type; an indicator's is its *measure*.)
MEASURES = ("share", "ratio", "presence", "count")


@dataclass(frozen=True)
class IndicatorSpec:
    """What an indicator key means and how the scorecard computes it.

    Attributes
    ----------
    key
        Identifier used in profile files.
    label_zh, label_en
        Row label on the scorecard.
    measure
        What it measures, one of :data:`MEASURES`.
    levels
        Area levels the indicator is computed for (``"county"``, ``"township"``).
    measured
        Whether the analyzer computes it from the facility table, population and roads.
    method_zh, method_en
        How it is computed (or, when not measured, what data it would need).
    per
        Population unit of a ratio (10,000 or 1,000), else ``None``.
    unit_zh, unit_en
        What the gap is counted in (e.g. ``"个中医阁"``/``"中医阁"``), or the ratio's unit.
    """

    key: str
    label_zh: str
    label_en: str
    measure: str
    levels: tuple[str, ...]
    measured: bool
    method_zh: str
    method_en: str
    per: int | None = None
    unit_zh: str = ""
    unit_en: str = ""


def _spec(key: str, label_zh: str, label_en: str, measure: str, levels: tuple[str, ...],
          measured: bool, method_zh: str, method_en: str, **kw: Any) -> IndicatorSpec:
    return IndicatorSpec(key, label_zh, label_en, measure, levels, measured, method_zh, method_en,
                         **kw)


_BOTH = ("county", "township")
_COUNTY = ("county",)

#: Every indicator a profile may name, in scorecard order.
INDICATORS: dict[str, IndicatorSpec] = {s.key: s for s in (
    _spec("coverage_15min", "15分钟中医药服务圈覆盖率", "15-minute TCM service circle coverage",
          "share", _BOTH, True,
          "居民点人口加权：沿道路网络在阈值时间内可到达中医药服务点（县级中医医院、设中医馆的中心、"
          "设中医阁的站室）的人口占比",
          "population-weighted share of residents who reach a TCM service point (county TCM "
          "hospital, centre with 中医馆, clinic/station with 中医阁) over the road network within "
          "the threshold", unit_zh="人", unit_en="residents"),
    _spec("county_tcm_institution", "县办中医医疗机构", "county-run TCM medical institution",
          "presence", _COUNTY, True,
          "县内至少有 1 所县级中医医院（设施表中类型为县级中医医院/中医医院/中西医结合医院等）",
          "the county has at least one county TCM hospital (facility type county TCM hospital, "
          "TCM hospital, integrated Chinese and western medicine hospital, …)",
          unit_zh="所县办中医医疗机构", unit_en="county-run TCM institution"),
    _spec("zhongyiguan_share", "中医馆设置率", "share of township/community centres with 中医馆",
          "share", _BOTH, True,
          "设中医馆的乡镇卫生院/社区卫生服务中心数 ÷ 乡镇卫生院/社区卫生服务中心总数",
          "township health centres and community health service centres with a 中医馆 ÷ all such "
          "centres", unit_zh="个中医馆", unit_en="中医馆"),
    _spec("zhongyiguan_grade3_share", "三级中医馆占比", "share of 中医馆 at grade 3", "share",
          _COUNTY, False, "需要中医馆等级数据（设施表无此字段）",
          "needs the grade of each 中医馆 (not in the facility table)"),
    _spec("zhongyiguan_grade4_share", "四级中医馆占比", "share of 中医馆 at grade 4", "share",
          _COUNTY, False, "需要中医馆等级数据（设施表无此字段）",
          "needs the grade of each 中医馆 (not in the facility table)"),
    _spec("zhongyiguan_grade5_share", "五级中医馆占比", "share of 中医馆 at grade 5", "share",
          _COUNTY, False, "需要中医馆等级数据（设施表无此字段）",
          "needs the grade of each 中医馆 (not in the facility table)"),
    _spec("zhongyiguan_upgraded_share", "中医馆提档升级比例", "share of 中医馆 upgraded", "share",
          _COUNTY, False, "需要中医馆提档升级数据（设施表无此字段）",
          "needs which 中医馆 were upgraded (not in the facility table)"),
    _spec("zhongyige_share", "中医阁设置率", "share of village clinics/stations with 中医阁",
          "share", _BOTH, True,
          "设中医阁的村卫生室/社区卫生服务站数 ÷ 村卫生室/社区卫生服务站总数；差距为达到目标比例"
          "还需新设的中医阁数（向上取整）",
          "village clinics and community health stations with a 中医阁 ÷ all of them; the gap is "
          "the number of further 中医阁 needed to reach the target share (rounded up)",
          unit_zh="个中医阁", unit_en="中医阁"),
    _spec("tcm_featured_village_clinics", "中医特色村卫生室数", "TCM-featured village clinics",
          "count", _COUNTY, False, "需要中医特色村卫生室认定数据（设施表无此字段）",
          "needs which village clinics are designated TCM-featured (not in the facility table)"),
    _spec("tcm_featured_stations", "中医特色社区卫生服务站数", "TCM-featured community stations",
          "count", _COUNTY, False, "需要中医特色社区卫生服务站认定数据（设施表无此字段）",
          "needs which community stations are designated TCM-featured (not in the facility table)"),
    # capability shares (inputs/functional.py columns); 无数据 when the columns are absent
    _spec("village_clinics_tcm_services", "能提供中医药服务的村卫生室占比",
          "share of village clinics able to give TCM services", "share", _COUNTY, True,
          "中医药技术类数≥4且项数≥6（两列都填时；否则按“能提供中医药服务”是/否）的村卫生室数 ÷ "
          "能力已知的村卫生室数；无这些列时为无数据",
          "village clinics with ≥ 4 TCM technique types and ≥ 6 techniques (where both counts are "
          "given; else the yes/no column 能提供中医药服务) ÷ village clinics whose capability is "
          "known; no data without those columns", unit_zh="个村卫生室", unit_en="village clinics"),
    _spec("stations_tcm_physician", "配备中医类别医师的社区卫生服务站占比",
          "share of community health stations with a TCM-capable physician", "share", _COUNTY,
          True, "中医类别医师数≥1的社区卫生服务站数 ÷ 填报该数的社区卫生服务站数；无此列时为无数据",
          "community health stations with ≥ 1 TCM-category physician (中医类别医师数) ÷ stations "
          "that report the count; no data without the column",
          unit_zh="个社区卫生服务站", unit_en="stations"),
    _spec("village_clinics_tcm_staff", "配备能提供中医药服务人员的村卫生室占比",
          "share of village clinics with TCM-capable staff", "share", _COUNTY, True,
          "能提供中医药服务人员数≥1（未填时按中医类别医师数）的村卫生室数 ÷ 填报的村卫生室数；"
          "无此列时为无数据",
          "village clinics with ≥ 1 TCM-capable staff member (能提供中医药服务人员数, else "
          "中医类别医师数) ÷ clinics that report it; no data without the columns",
          unit_zh="个村卫生室", unit_en="village clinics"),
    _spec("tcm_gps_per_10k", "每万居民中医类别全科医生数", "TCM general practitioners per 10,000",
          "ratio", _BOTH, True,
          "区域内所有机构的中医类别全科医生数之和 ÷ 区域人口 × 10,000",
          "sum of TCM general practitioners over all facilities in the area ÷ its population × "
          "10,000", per=10_000, unit_zh="名中医类别全科医生", unit_en="TCM GPs"),
    _spec("tcm_physicians_per_1k", "每千人口中医执业（助理）医师数",
          "TCM physicians per 1,000", "ratio", _BOTH, True,
          "区域内所有机构的中医执业（助理）医师数之和 ÷ 区域人口 × 1,000",
          "sum of TCM physicians (licensed and assistant) over all facilities in the area ÷ its "
          "population × 1,000", per=1_000, unit_zh="名中医执业（助理）医师",
          unit_en="TCM physicians"),
    _spec("tcm_hospital_beds_per_1k", "每千人口公立中医医院床位数",
          "public TCM hospital beds per 1,000", "ratio", _COUNTY, True,
          "县级中医医院床位数之和 ÷ 县人口 × 1,000（设施表中县级中医医院均视为公立）",
          "beds of the county TCM hospitals ÷ county population × 1,000 (county TCM hospitals in "
          "the facility table are taken as public)", per=1_000, unit_zh="张中医医院床位",
          unit_en="TCM hospital beds"),
    _spec("centre_tcm_physician_share", "乡镇卫生院/社区卫生服务中心中医类别医师占比",
          "TCM physicians' share of physicians in township/community centres", "share", _BOTH,
          True,
          "乡镇卫生院/社区卫生服务中心的中医执业医师数之和 ÷ 执业医师数之和；差距为还需增加的中医"
          "类别医师数（新增医师同时计入分子和分母）",
          "TCM physicians ÷ physicians, summed over township/community centres; the gap is the "
          "number of TCM physicians to add (added to both counts)",
          unit_zh="名中医类别医师", unit_en="TCM physicians"),
    _spec("county_hospital_tcm_physician_share", "县级中医医院中医类别医师占比",
          "TCM physicians' share of physicians in county TCM hospitals", "share", _COUNTY, True,
          "县级中医医院中医执业医师数之和 ÷ 执业医师数之和；差距为还需增加的中医类别医师数",
          "TCM physicians ÷ physicians, summed over county TCM hospitals; the gap is the number "
          "of TCM physicians to add", unit_zh="名中医类别医师", unit_en="TCM physicians"),
    _spec("health_mgmt_65plus", "65岁以上老年人中医药健康管理率",
          "TCM health management, residents 65+", "share", _COUNTY, False,
          "需要基本公共卫生服务中医药健康管理统计数据",
          "needs the basic public health service TCM health-management statistics"),
    _spec("health_mgmt_children", "0–36个月儿童中医药健康管理率",
          "TCM health management, children 0–36 months", "share", _COUNTY, False,
          "需要基本公共卫生服务中医药健康管理统计数据",
          "needs the basic public health service TCM health-management statistics"),
    _spec("medical_community_tcm_led", "中医医院牵头的县域医共体覆盖人口占比",
          "population covered by a county medical community led by the TCM hospital", "share",
          _COUNTY, False, "需要县域医共体组成及覆盖人口数据",
          "needs the make-up of the county medical communities and the population they cover"),
)}
