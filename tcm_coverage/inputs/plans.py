"""Plan-target profiles: which numbers a county is checked against, from which plan, and how.

A *profile* is one column of the planning-target table (``docs/targets.md``): the national and
Jiangsu primary-care TCM action plans, Jilin City's TCM plan, Yantai's TCM revitalisation rules,
Tunliu district's TCM health-service plan and Ziyang's TCM action plan. Profiles ship with the
package as TOML files in ``tcm_coverage/profiles/``; a user can write their own file in the same
format and pass its path wherever a profile name is accepted.

File format
-----------
.. code-block:: toml

    name = "my_county"                      # optional; default: the file name
    title = "某县中医药发展规划（2021–2025）"  # optional; shown on the scorecard
    title_en = "Some county's TCM plan"      # optional

    [indicators.zhongyige_share]            # a key of INDICATORS
    target = 0.2                            # a number, a range [0.6, 0.8], or "no number"
    source = "Some county's TCM plan"       # required: the plan the number comes from
    note = "20 %"                           # optional: the plan's wording
    computed = "..."                        # optional: how it is computed (default: INDICATORS)

    [indicators.coverage_15min]
    target = "no number"
    source = "Some county's TCM plan"
    minutes = 15                            # coverage only: the threshold (default 15)
    mode = "ebike"                          # coverage only: travel mode (default: e-bike if run)

Shares are fractions (10 % is ``0.1``); ratios are per the indicator's population unit (per
10,000 or per 1,000 residents); counts are whole facilities. A range ``[low, high]`` (e.g. the
national 0.6–0.8 TCM GPs per 10,000) is met from ``low`` upwards.

Indicators the analyzer cannot measure from a facility table and a road network (中医馆 grades,
TCM health-management rates, …) may still be listed: the scorecard shows them as "no data" with
the data they would need, never as zero.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from tcm_coverage._errors import InputError

__all__ = [
    "INDICATORS",
    "MEASURES",
    "NO_NUMBER",
    "IndicatorSpec",
    "PlanTarget",
    "Profile",
    "list_profiles",
    "load_profile",
    "parse_profile",
]

#: The literal a profile writes when a plan names an indicator but gives no number.
NO_NUMBER = "no number"

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
    _spec("village_clinics_tcm_services", "能提供中医药服务的村卫生室占比",
          "share of village clinics able to give TCM services", "share", _COUNTY, False,
          "需要各村卫生室能否提供中医药服务（几类几项技术）的数据",
          "needs, per village clinic, whether it gives TCM services (types and techniques)"),
    _spec("stations_tcm_physician", "配备中医类别医师的社区卫生服务站占比",
          "share of community health stations with a TCM-capable physician", "share", _COUNTY,
          False, "需要各社区卫生服务站能提供中医药服务的医师数（中医类别医师数不含经培训的西医）",
          "needs, per station, the number of TCM-capable physicians (the TCM-physician count "
          "leaves out trained western-medicine doctors)"),
    _spec("village_clinics_tcm_staff", "配备能提供中医药服务人员的村卫生室占比",
          "share of village clinics with TCM-capable staff", "share", _COUNTY, False,
          "需要各村卫生室能提供中医药服务的人员数",
          "needs, per village clinic, the number of TCM-capable staff"),
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

_TARGET_FIELDS = {"target", "source", "note", "computed", "minutes", "mode"}
_TOP_FIELDS = {"name", "title", "title_en", "description", "indicators"}


@dataclass(frozen=True)
class PlanTarget:
    """One indicator of a profile: the number a plan sets for it (its *target*) and where from.

    Attributes
    ----------
    key
        Indicator key (see :data:`INDICATORS`).
    target
        The number (lower end of a range), ``None`` when the plan gives no number.
    target_max
        Upper end of a range, else ``None``.
    source
        The plan the number comes from.
    note
        The plan's wording, when worth showing.
    computed
        How the analyzer computes it.
    minutes, mode
        Threshold and travel mode (coverage indicator only; ``mode`` ``None`` = the default).
    """

    key: str
    target: float | None
    target_max: float | None
    source: str
    note: str = ""
    computed: str = ""
    minutes: float | None = None
    mode: str | None = None

    @property
    def spec(self) -> IndicatorSpec:
        """The indicator's :class:`IndicatorSpec`."""
        return INDICATORS[self.key]


@dataclass(frozen=True)
class Profile:
    """A set of plan targets (one column of the planning-target table).

    Attributes
    ----------
    name
        Short identifier (``"national"``, ``"yantai"``, …).
    title, title_en
        Name of the plan(s) in Chinese and English.
    description
        Free text.
    targets
        Indicator key → :class:`PlanTarget`, in file order.
    path
        The file it was read from (``None`` when parsed from a mapping).
    """

    name: str
    title: str
    title_en: str
    description: str = ""
    targets: Mapping[str, PlanTarget] = field(default_factory=dict)
    path: Path | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        """The distinct source plans, in order of first use."""
        return tuple(dict.fromkeys(t.source for t in self.targets.values()))


def _profile_dir() -> Path:
    return Path(str(resources.files("tcm_coverage") / "profiles"))


def list_profiles() -> list[str]:
    """Names of the profiles shipped with the package.

    Returns
    -------
    list of str
        E.g. ``["jiangsu", "jilin_city", "national", "tunliu", "yantai", "ziyang"]``.
    """
    return sorted(p.stem for p in _profile_dir().glob("*.toml"))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_fields(key: str, raw: Mapping[str, Any], *, where: str | None, field_name: str) -> str:
    """Only known fields, a source plan (returned, stripped) and a target."""
    unknown = sorted(set(raw) - _TARGET_FIELDS)
    if unknown:
        hint = "; ".join(f"'{u}' → did you mean '{m[0]}'?" for u in unknown
                         if (m := difflib.get_close_matches(u, _TARGET_FIELDS, n=1)))
        raise InputError(
            f"indicator '{key}' has unknown field(s) {unknown}", path=where, column=field_name,
            fix=f"use only {sorted(_TARGET_FIELDS)}" + (f" ({hint})" if hint else ""),
        )
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise InputError(
            f"indicator '{key}' has no source plan", path=where, column=field_name,
            fix='add a line source = "…" naming the plan the number comes from '
                '(e.g. source = "national primary-care TCM action plan")',
        )
    if "target" not in raw:
        raise InputError(
            f"indicator '{key}' has no target", path=where, column=field_name,
            fix=f'add target = <number>, a range [low, high], or target = "{NO_NUMBER}" when the '
                "plan names the indicator without a number",
        )
    return source.strip()


def _check_text_fields(key: str, raw: Mapping[str, Any], *, where: str | None,
                       field_name: str) -> None:
    for text_field in ("note", "computed"):
        if text_field in raw and not isinstance(raw[text_field], str):
            raise InputError(f"indicator '{key}': {text_field} must be text", path=where,
                             column=field_name, fix=f'write {text_field} = "…"')


def _target_range(key: str, value: Any, *, where: str | None,
                  field_name: str) -> tuple[float | None, float | None]:
    """The target as (low, high): a number (high ``None``), a range, or "no number" (both ``None``)."""
    if isinstance(value, str) and value.strip().lower() == NO_NUMBER:
        low, high = None, None
    elif _is_number(value):
        low, high = float(value), None
    elif (isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value)
          and value[0] <= value[1]):
        low, high = float(value[0]), float(value[1])
    else:
        raise InputError(
            f"indicator '{key}': target {value!r} is not a number", path=where, column=field_name,
            fix="write a number (10 % is 0.1), a range [low, high] with low <= high, "
                f'or "{NO_NUMBER}"',
        )
    spec = INDICATORS[key]
    for v in (low, high):
        if v is None:
            continue
        if spec.measure in ("share", "presence") and not 0.0 <= v <= 1.0:
            raise InputError(
                f"indicator '{key}' is a share but its target is {v:g}", path=where,
                column=field_name,
                fix=f"write shares as fractions between 0 and 1 (e.g. {v / 100:g} for {v:g} %)"
                if 1.0 < v <= 100.0 else "write a share between 0 and 1 (10 % is 0.1)",
            )
        if v < 0:
            raise InputError(f"indicator '{key}' has a negative target {v:g}", path=where,
                             column=field_name, fix="write a number >= 0")
    return low, high


def _coverage_options(key: str, raw: Mapping[str, Any], *, where: str | None,
                      field_name: str) -> tuple[float | None, str | None]:
    """``minutes`` and ``mode`` of the coverage indicator (15 minutes by default)."""
    minutes = raw.get("minutes")
    mode = raw.get("mode")
    if (minutes is not None or mode is not None) and key != "coverage_15min":
        raise InputError(f"indicator '{key}': minutes/mode apply only to coverage_15min",
                         path=where, column=field_name, fix="remove the minutes/mode lines")
    if minutes is not None and (not _is_number(minutes) or not 0 < minutes <= 240):
        raise InputError(f"indicator '{key}': minutes must be a number between 0 and 240, got "
                         f"{minutes!r}", path=where, column=field_name, fix="e.g. minutes = 15")
    if mode is not None and not isinstance(mode, str):
        raise InputError(f"indicator '{key}': mode must be text, got {mode!r}", path=where,
                         column=field_name, fix='e.g. mode = "ebike"')
    if key == "coverage_15min" and minutes is None:
        minutes = 15.0
    return (None if minutes is None else float(minutes)), mode


def _parse_target(key: str, raw: Mapping[str, Any], *, where: str | None) -> PlanTarget:
    field_name = f"[indicators.{key}]"
    source = _check_fields(key, raw, where=where, field_name=field_name)
    low, high = _target_range(key, raw["target"], where=where, field_name=field_name)
    minutes, mode = _coverage_options(key, raw, where=where, field_name=field_name)
    _check_text_fields(key, raw, where=where, field_name=field_name)
    return PlanTarget(key=key, target=low, target_max=high, source=source,
                      note=str(raw.get("note", "")).strip(),
                      computed=str(raw.get("computed", "")).strip() or INDICATORS[key].method_en,
                      minutes=minutes, mode=mode)


def parse_profile(data: Mapping[str, Any], *, name: str = "custom",
                  path: str | PathLike[str] | None = None) -> Profile:
    """Validate a profile given as a mapping (the parsed TOML).

    Parameters
    ----------
    data
        Top-level keys ``name``, ``title``, ``title_en``, ``description`` and the table
        ``indicators`` (see the module docstring).
    name
        Name used when ``data`` has none.
    path
        File the mapping came from, for error messages.

    Returns
    -------
    Profile

    Raises
    ------
    InputError
        Unknown indicator or field, non-numeric target, share outside 0–1, missing source; the
        message names the file, the indicator and the fix.
    """
    where = None if path is None else str(path)
    unknown_top = sorted(set(data) - _TOP_FIELDS)
    if unknown_top:
        raise InputError(
            f"unknown top-level field(s) {unknown_top}", path=where,
            fix="put each indicator under [indicators.<key>]; top-level fields are "
                f"{sorted(_TOP_FIELDS - {'indicators'})}",
        )
    indicators = data.get("indicators")
    if not isinstance(indicators, Mapping) or not indicators:
        raise InputError("the profile lists no indicators", path=where,
                         fix="add at least one table [indicators.<key>] with target and source")
    targets: dict[str, PlanTarget] = {}
    for key, raw in indicators.items():
        if key not in INDICATORS:
            close = difflib.get_close_matches(key, INDICATORS, n=1)
            raise InputError(
                f"unknown indicator '{key}'", path=where, column=f"[indicators.{key}]",
                fix=(f"did you mean '{close[0]}'? " if close else "")
                + f"indicators are: {', '.join(INDICATORS)}",
            )
        if not isinstance(raw, Mapping):
            raise InputError(f"indicator '{key}' must be a table", path=where,
                             fix=f"write it as [indicators.{key}] with target = … and source = …")
        targets[key] = _parse_target(key, raw, where=where)
    ordered = {k: targets[k] for k in INDICATORS if k in targets}
    for text_field in ("name", "title", "title_en", "description"):
        if text_field in data and not isinstance(data[text_field], str):
            raise InputError(f"'{text_field}' must be text", path=where,
                             fix=f'write {text_field} = "…"')
    pname = str(data.get("name", name)).strip() or name
    return Profile(name=pname, title=str(data.get("title", pname)),
                   title_en=str(data.get("title_en", data.get("title", pname))),
                   description=str(data.get("description", "")), targets=ordered,
                   path=None if path is None else Path(path))


def load_profile(name_or_path: str | PathLike[str] | Profile) -> Profile:
    """Load a shipped profile by name, or a user's profile file by path.

    Parameters
    ----------
    name_or_path
        A name from :func:`list_profiles` (``"national"``, ``"yantai"``, …), a path to a
        ``.toml`` file, or a :class:`Profile` (returned as is).

    Returns
    -------
    Profile

    Raises
    ------
    InputError
        Unknown name, missing file, TOML syntax error or an invalid profile (see
        :func:`parse_profile`).
    """
    if isinstance(name_or_path, Profile):
        return name_or_path
    text = str(name_or_path)
    looks_like_path = (isinstance(name_or_path, PathLike) or text.endswith(".toml")
                       or "/" in text or "\\" in text)
    if looks_like_path:
        path = Path(name_or_path)
        if not path.is_file():
            raise InputError("profile file not found", path=path,
                             fix="check the path, or use a shipped profile: "
                                 f"{', '.join(list_profiles())}")
    else:
        path = _profile_dir() / f"{text}.toml"
        if not path.is_file():
            close = difflib.get_close_matches(text, list_profiles(), n=1)
            raise InputError(
                f"unknown profile '{text}'",
                fix=(f"did you mean '{close[0]}'? " if close else "")
                + f"use one of {', '.join(list_profiles())} or the path of a .toml file",
            )
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=path,
                         fix="check quotes, brackets and '=' on the line named") from exc
    except UnicodeDecodeError as exc:
        raise InputError("the profile is not UTF-8 text", path=path,
                         fix="save the file as UTF-8") from exc
    return parse_profile(data, name=path.stem, path=path)
