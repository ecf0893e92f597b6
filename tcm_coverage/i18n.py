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
    "readme.file.network": ("路网", "roads"),
    "readme.facility_set": ("目标设施：{label}", "target: {label}"),
    "readme.facility_set_text": ("{definition}（{count} 个）", "{definition} ({count})"),
    "readme.include_other": ("、中医诊所/门诊部", ", TCM clinics and outpatient departments"),
    "readme.note": ("注意", "note"),
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
    "source.network": ("路网", "roads"),
    "source.line": ("{label}：{name}", "{label}: {name}"),
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
}

# ---------------------------------------------------------------------------------------------
# cli/
# ---------------------------------------------------------------------------------------------
_CLI: dict[str, tuple[str, str]] = {
    # 说明 row of a rewritten workbook whose run was recomputed from changed inputs
    "readme_note": ("注意", "note"),
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


def fields(template: str) -> set[str]:
    """The ``{field}`` names of a template (the catalogue test compares zh and en)."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


#: ``{facility_set: {"zh": label, "en": label}}`` for every set of :data:`~tcm_coverage.vocab.FACILITY_SETS`.
FACILITY_SET_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(labels("facility_set"))
#: ``{facility_set: {"zh": definition, "en": definition}}``.
FACILITY_SET_DEFINITIONS: Mapping[str, Mapping[str, str]] = MappingProxyType(labels("facility_set_definition"))
#: ``{mode: {"zh": label, "en": label}}`` for every mode of :data:`~tcm_coverage.vocab.MODES`.
MODE_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(labels("mode"))
