"""Scorecard: a county and its townships against the targets of a plan profile.

One row per area and indicator: the value, the plan's target, whether it is met and the gap in
units a planner can act on ("3 more 中医阁", "1,240 residents beyond 15 minutes"). Chinese by
default, English with ``lang="en"``.

Rows
----
Always (when the inputs allow): 15-minute coverage (population share within the threshold of a
TCM service point, mode and threshold stated), county TCM institution present (county rows
only), share of township/community centres with a 中医馆, share of village clinics/stations with
a 中医阁. Staff and bed ratios (TCM GPs per 10,000, TCM physicians per 1,000, public TCM hospital
beds per 1,000) appear when the facility table has those counts or the profile sets a target for
them. Every other indicator of the profile appears on the county rows; indicators the analyzer
cannot measure (中医馆 grades, health-management rates, …) say "no data" (无数据) and which data
they need. A missing count is never taken as zero.

Status
------
``met`` (value >= target, the lower end of a range), ``unmet``, ``no_target`` (the plan gives
no number, or the profile does not list the indicator), ``no_data`` (inputs missing) or
``not_applicable`` (e.g. a township without any village clinic).

Gaps
----
* coverage: residents beyond the threshold (with a target below 100 %: residents who still have
  to be brought within it);
* facility shares: ``ceil(target × n − have)`` more 中医馆/中医阁;
* ratios: ``ceil(target × population / per − have)`` more staff or beds;
* staff shares: TCM physicians to add, counted in both numerator and denominator,
  ``ceil((r × P − T) / (1 − r))``.

Township gaps are rounded up per township, so they can add up to more than the county gap.

Unknown inputs
--------------
Unknown is never zero. A 中医馆/中医阁 share whose flags are all unknown (the facility table
has no such column, or blank cells) is ``no_data``; partly unknown, the value is the share over
the centres/clinics whose flag is known (``unreported`` = how many are not), and the status is
``met`` only if it is met even when every unknown one lacks it, ``unmet`` only if it is unmet
even when every unknown one has it, else ``no_data``; the gap is then a range ("还需 2–5 个").
Coverage of TCM service points with unknown flags has a lower bound (unknown = no, ``value``)
and an upper bound (unknown = yes, ``value_max``, from the ``tcm_any_upper`` travel times) and
the same rule for its status.
"""

from __future__ import annotations

import html
import math
from datetime import date
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage._io import add_files
from tcm_coverage._safetext import safe_workbook
from tcm_coverage._version import __version__
from tcm_coverage.access import (
    UNASSIGNED,
    AccessResult,
    access_summary,
    assign_areas,
    facility_indicators,
)
from tcm_coverage.i18n import FACILITY_SET_DEFINITIONS, FACILITY_SET_LABELS, MODE_LABELS
from tcm_coverage.inputs import INDICATORS, PlanTarget, Profile, load_profile

__all__ = ["STATUSES", "STATUS_COLOURS", "SCORECARD_COLUMNS", "render_scorecard", "scorecard",
           "write_scorecard"]

#: Row statuses, in Chinese and English.
STATUSES: dict[str, dict[str, str]] = {
    "met": {"zh": "达标", "en": "met"},
    "unmet": {"zh": "未达标", "en": "not met"},
    "no_target": {"zh": "无目标值", "en": "no target"},
    "no_data": {"zh": "无数据", "en": "no data"},
    "not_applicable": {"zh": "不适用", "en": "n/a"},
}

#: Columns of :func:`scorecard`'s data part (the text columns come from :func:`render_scorecard`).
SCORECARD_COLUMNS = (
    "level", "code", "name", "parent_code", "indicator", "value", "target", "target_max",
    "in_profile", "status", "gap", "numerator", "denominator", "unreported", "mode", "minutes",
    "source", "note", "value_max", "gap_max",
)

_TEXT_COLUMNS = ("level_label", "indicator_label", "value_text", "target_text", "met", "gap_text",
                 "method")

_HEADERS = {
    "level_label": {"zh": "层级", "en": "level"},
    "code": {"zh": "区划代码", "en": "code"},
    "name": {"zh": "名称", "en": "area"},
    "indicator_label": {"zh": "指标", "en": "indicator"},
    "value_text": {"zh": "现状值", "en": "value"},
    "target_text": {"zh": "目标值", "en": "target"},
    "met": {"zh": "是否达标", "en": "met"},
    "gap_text": {"zh": "差距", "en": "gap"},
    "source": {"zh": "目标来源", "en": "source"},
    "note": {"zh": "规划表述", "en": "plan wording"},
    "method": {"zh": "计算方法", "en": "how computed"},
}

_LEVELS = {"county": {"zh": "县区", "en": "county"}, "township": {"zh": "乡镇", "en": "township"}}

# Always on the scorecard (when computable); ratios only with data or a target.
_CORE = ("coverage_15min", "county_tcm_institution", "zhongyiguan_share", "zhongyige_share")
_RATIOS = ("tcm_gps_per_10k", "tcm_physicians_per_1k", "tcm_hospital_beds_per_1k")

# (column, tier or None for all facilities) behind each staff/bed indicator.
_STAFF_INPUTS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "tcm_gps_per_10k": (("tcm_gps", None),),
    "tcm_physicians_per_1k": (("tcm_physicians", None),),
    "tcm_hospital_beds_per_1k": (("beds", "county_tcm"),),
    "centre_tcm_physician_share": (("tcm_physicians", "township_centre"),
                                   ("physicians", "township_centre")),
    "county_hospital_tcm_physician_share": (("tcm_physicians", "county_tcm"),
                                            ("physicians", "county_tcm")),
}

_COLUMN_NAMES = {
    "tcm_gps": {"zh": "中医类别全科医生数", "en": "TCM GP counts"},
    "tcm_physicians": {"zh": "中医执业医师数", "en": "TCM physician counts"},
    "physicians": {"zh": "执业医师数", "en": "physician counts"},
    "beds": {"zh": "床位数", "en": "bed counts"},
}

_EPS = 1e-9


def _ceil(x: float) -> int:
    """Round up, ignoring floating-point dust (0.1 × 150 − 15 must give 0, not 1)."""
    return max(0, math.ceil(round(x, 9)))


def _staff_sums(facilities: gpd.GeoDataFrame, codes: np.ndarray) -> pd.DataFrame:
    """Per area: sum, facility count and unreported count of every (column, tier) input."""
    tier = facilities["tier"].to_numpy()
    frame = pd.DataFrame({"g": codes})
    pairs = {pair for inputs in _STAFF_INPUTS.values() for pair in inputs}
    for col, tr in sorted(pairs, key=str):
        sel = np.ones(len(facilities), bool) if tr is None else tier == tr
        values = (facilities[col].to_numpy(float) if col in facilities
                  else np.full(len(facilities), np.nan))
        key = f"{col}@{tr or 'all'}"
        frame[f"sum:{key}"] = np.where(sel, np.nan_to_num(values), 0.0)
        frame[f"n:{key}"] = sel.astype(int)
        frame[f"na:{key}"] = (sel & np.isnan(values)).astype(int)
    frame = frame[frame["g"] != UNASSIGNED]
    return frame.groupby("g", sort=True).sum()


def _column_present(facilities: gpd.GeoDataFrame, col: str, tr: str | None) -> bool:
    if col not in facilities:
        return False
    sel = np.ones(len(facilities), bool) if tr is None else facilities["tier"].to_numpy() == tr
    return bool(np.isfinite(facilities[col].to_numpy(float)[sel]).any())


def _status(value: float, t: PlanTarget | None) -> str:
    if t is None or t.target is None:
        return "no_target"
    return "met" if value >= t.target - _EPS else "unmet"


def _bounded_status(low: float, high: float, t: PlanTarget | None) -> str:
    """Status of a value known only to lie in [low, high]."""
    if t is None or t.target is None:
        return "no_target"
    if low >= t.target - _EPS:
        return "met"
    if high < t.target - _EPS:
        return "unmet"
    return "no_data"


def _row_for(key: str, t: PlanTarget | None, *, area: dict, stats: pd.Series | None,
             fac: pd.Series | None, staff: pd.Series | None, present: dict[str, bool],
             minutes: float, stats_upper: pd.Series | None = None) -> dict:
    spec = INDICATORS[key]
    row = {**area, "indicator": key, "value": np.nan,
           "target": np.nan if t is None or t.target is None else t.target,
           "target_max": np.nan if t is None or t.target_max is None else t.target_max,
           "in_profile": t is not None, "status": "no_data", "gap": np.nan, "numerator": np.nan,
           "denominator": np.nan, "unreported": 0, "minutes": np.nan,
           "source": "" if t is None else t.source, "note": "" if t is None else t.note,
           "value_max": np.nan, "gap_max": np.nan}
    population = float(stats["population"]) if stats is not None else 0.0
    if not spec.measured:
        return row
    if key == "coverage_15min":
        row["minutes"] = minutes
        if stats is None or population <= 0:
            row["status"] = "not_applicable"
            return row
        within = float(stats[f"pop_within_{minutes:g}"])
        row.update(value=within / population, numerator=within, denominator=population)
        row["status"] = _status(row["value"], t)
        beyond = population - within
        partial = t is not None and t.target is not None and t.target < 1.0
        if partial:
            unmet = row["status"] == "unmet"
            row["gap"] = float(_ceil(t.target * population - within)) if unmet else 0.0
        else:
            row["gap"] = float(round(beyond))
        unknown = 0 if fac is None else int(fac.get("n_centres_zhongyiguan_unknown", 0)
                                            + fac.get("n_stations_zhongyige_unknown", 0))
        if stats_upper is not None and unknown:
            # some 中医馆/中医阁 flags are unknown: the value above is the lower bound
            within_hi = float(stats_upper[f"pop_within_{minutes:g}"])
            row.update(value_max=within_hi / population, unreported=unknown)
            row["status"] = _bounded_status(row["value"], row["value_max"], t)
            if partial:
                row["gap_max"], row["gap"] = row["gap"], (
                    float(_ceil(t.target * population - within_hi)) if row["status"] != "met" else 0.0)
                if row["status"] == "met":
                    row["gap_max"] = 0.0
            else:
                row["gap_max"], row["gap"] = row["gap"], float(round(population - within_hi))
        return row
    if key == "county_tcm_institution":
        have = 0 if fac is None else int(fac.get("n_county_tcm", 0))
        row.update(value=float(have >= 1), numerator=have, denominator=1)
        row["status"] = _status(row["value"], t)
        row["gap"] = 1.0 if row["status"] == "unmet" else 0.0
        return row
    if key in ("zhongyiguan_share", "zhongyige_share"):
        n_col, have_col = (("n_centres", "n_centres_zhongyiguan") if key == "zhongyiguan_share"
                           else ("n_stations", "n_stations_zhongyige"))
        n = 0 if fac is None else int(fac.get(n_col, 0))
        have = 0 if fac is None else int(fac.get(have_col, 0))
        unknown = 0 if fac is None else int(fac.get(f"{have_col}_unknown", 0))
        row.update(numerator=have, denominator=n - unknown, unreported=unknown)
        if n == 0:
            row["status"] = "not_applicable"
            return row
        if unknown >= n:
            return row  # no flag known: no data, never 0 %
        row["value"] = have / (n - unknown)
        if unknown:
            row["status"] = _bounded_status(have / n, (have + unknown) / n, t)
        else:
            row["status"] = _status(row["value"], t)
        if row["status"] == "met":
            row["gap"] = 0.0
        elif row["status"] == "unmet" or (unknown and row["status"] == "no_data"):
            # at least (every unknown one has it) .. at most (none has)
            row["gap"] = float(_ceil(t.target * n - have - unknown))
            row["gap_max"] = float(_ceil(t.target * n - have))
        return row
    # staff and bed inputs
    inputs = _STAFF_INPUTS[key]
    if not all(present[f"{c}@{tr or 'all'}"] for c, tr in inputs):
        return row  # the column is missing from the whole table: no data, never zero
    sums, counts, missing = [], [], []
    for col, tr in inputs:
        k = f"{col}@{tr or 'all'}"
        sums.append(0.0 if staff is None else float(staff.get(f"sum:{k}", 0.0)))
        counts.append(0 if staff is None else int(staff.get(f"n:{k}", 0)))
        missing.append(0 if staff is None else int(staff.get(f"na:{k}", 0)))
    row["unreported"] = max(missing)
    if spec.measure == "ratio":
        if population <= 0:
            row["status"] = "not_applicable"
            return row
        if counts[0] > 0 and missing[0] == counts[0]:
            return row  # every facility concerned left the count blank
        row.update(value=sums[0] / population * spec.per, numerator=sums[0],
                   denominator=population)
        row["status"] = _status(row["value"], t)
        if row["status"] == "unmet":
            row["gap"] = float(_ceil(t.target * population / spec.per - sums[0]))
        elif row["status"] == "met":
            row["gap"] = 0.0
        return row
    # staff share: TCM physicians / physicians in one tier
    tcm, phys = sums
    if counts[0] == 0:
        row["status"] = "not_applicable"
        return row
    if missing[0] == counts[0] or missing[1] == counts[1]:
        return row
    if phys <= 0:
        row["status"] = "not_applicable"
        return row
    row.update(value=tcm / phys, numerator=tcm, denominator=phys)
    row["status"] = _status(row["value"], t)
    if row["status"] == "unmet":
        r = t.target
        row["gap"] = float(_ceil((r * phys - tcm) / (1.0 - r))) if r < 1.0 else float(phys - tcm)
    elif row["status"] == "met":
        row["gap"] = 0.0
    return row


def scorecard(
    access: AccessResult,
    profile: Profile | str | PathLike[str],
    *,
    counties: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame | None = None,
    mode: str | None = None,
    target: str = "tcm_any",
    lang: str = "zh",
) -> pd.DataFrame:
    """Score every county and township against a plan profile.

    Parameters
    ----------
    access
        The result of :func:`tcm_coverage.access.compute.compute_access` (of a pipeline run: its
        ``access``); its ``facilities`` give the facility indicators and staff counts.
    profile
        A :class:`~tcm_coverage.inputs.plans.Profile`, a shipped profile name (``"national"``,
        ``"yantai"``, …) or the path of a profile file.
    counties, townships
        Area polygons with ``code`` and ``name`` (as read by
        :func:`tcm_coverage.inputs.boundaries.read_boundaries`); townships optional.
    mode
        Travel mode of the coverage row. Default: the profile's coverage ``mode``, else
        ``"ebike"`` when computed, else the first mode of ``access``.
    target
        Facilities that count as TCM service points for coverage (default ``"tcm_any"``).
    lang
        ``"zh"`` or ``"en"`` for the text columns.

    Returns
    -------
    pandas.DataFrame
        One row per area and indicator: the data columns :data:`SCORECARD_COLUMNS` and the text
        columns ``level_label``, ``indicator_label``, ``value_text``, ``target_text``, ``met``,
        ``gap_text``, ``method`` in ``lang``. County rows come first. ``DataFrame.attrs`` holds
        ``profile`` (name), ``title``, ``title_en``, ``sources``, ``mode``, ``minutes``,
        ``target`` and ``lang`` for :func:`write_scorecard`.

    Raises
    ------
    InputError
        Unknown language, mode or target not computed, invalid profile.
    """
    if lang not in ("zh", "en"):
        raise InputError(f"unknown language '{lang}'", fix="use zh or en")
    prof = load_profile(profile)
    cov = prof.targets.get("coverage_15min")
    minutes = cov.minutes if cov is not None and cov.minutes is not None else 15.0
    mode = mode or (cov.mode if cov is not None else None) or (
        "ebike" if "ebike" in access.modes else access.modes[0])
    if mode not in access.modes:
        raise InputError(f"mode '{mode}' was not computed (the run has {list(access.modes)})",
                         fix=f"rerun with --mode {mode}, or score one of {list(access.modes)}")
    if target not in access.facility_sets:
        raise InputError(f"target '{target}' was not computed",
                         fix=f"use one of {list(access.facility_sets)}")
    demand, facilities = access.demand, access.facilities
    pop = demand["population"].to_numpy(float)
    times = demand[f"t_{target}_{mode}"].to_numpy(float)
    upper_col = f"t_{target}_upper_{mode}"  # unknown 中医馆/中医阁 counted as yes
    times_upper = demand[upper_col].to_numpy(float) if upper_col in demand else None
    present = {f"{c}@{tr or 'all'}": _column_present(facilities, c, tr)
               for inputs in _STAFF_INPUTS.values() for c, tr in inputs}

    keys = [k for k in INDICATORS
            if k in prof.targets or k in _CORE
            or (k in _RATIOS and all(present[f"{c}@{tr or 'all'}"] for c, tr in _STAFF_INPUTS[k]))]
    levels: dict[str, gpd.GeoDataFrame] = {"county": counties}
    if townships is not None and len(townships):
        levels["township"] = townships
    rows: list[dict] = []
    for lvl, areas in levels.items():
        dcodes = assign_areas(demand, areas)
        fcodes = assign_areas(facilities, areas, max_distance_m=500.0)
        keep = dcodes != UNASSIGNED
        stats = (access_summary(dcodes[keep], times[keep], pop[keep], thresholds=[minutes])
                 if keep.any() else pd.DataFrame())
        stats_upper = (access_summary(dcodes[keep], times_upper[keep], pop[keep], thresholds=[minutes])
                       if keep.any() and times_upper is not None else pd.DataFrame())
        fac = facility_indicators(facilities, fcodes)
        staff = _staff_sums(facilities, fcodes)
        has_parent = "parent_code" in areas
        for _, a in areas.sort_values("code", kind="stable").iterrows():
            code = a["code"]
            area = {"level": lvl, "code": code, "name": a.get("name", code),
                    "parent_code": a["parent_code"] if has_parent else None, "mode": mode}
            for key in keys:
                spec = INDICATORS[key]
                if lvl not in spec.levels:
                    continue
                if not spec.measured and lvl != "county":
                    continue
                rows.append(_row_for(
                    key, prof.targets.get(key), area=area,
                    stats=stats.loc[code] if code in stats.index else None,
                    fac=fac.loc[code] if code in fac.index else None,
                    staff=staff.loc[code] if code in staff.index else None,
                    present=present, minutes=minutes,
                    stats_upper=stats_upper.loc[code] if code in stats_upper.index else None))
    out = pd.DataFrame(rows, columns=list(SCORECARD_COLUMNS))
    out = pd.concat([out, render_scorecard(out, lang)], axis=1)
    out.attrs.update(profile=prof.name, title=prof.title, title_en=prof.title_en,
                     sources=list(prof.sources), mode=mode, minutes=minutes, target=target,
                     lang=lang)
    return out


def _pct(v: float) -> str:
    text = f"{v:.1%}"
    return text.replace(".0%", "%")


def _fmt_num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _ratio_unit(per: int, lang: str) -> str:
    if lang == "zh":
        return "/万人" if per == 10_000 else "/千人"
    return "per 10,000" if per == 10_000 else "per 1,000"


def _value_text(r: pd.Series, lang: str) -> str:
    spec = INDICATORS[r["indicator"]]
    zh = lang == "zh"
    if r["status"] == "not_applicable":
        if r["indicator"] in ("zhongyiguan_share", "zhongyige_share"):
            return "不适用（区域内无此类机构）" if zh else "n/a (no such facilities in the area)"
        return "不适用" if zh else "n/a"
    flags = r["indicator"] in ("zhongyiguan_share", "zhongyige_share")
    if pd.isna(r["value"]):
        if flags and r["unreported"]:
            what = "中医馆" if r["indicator"] == "zhongyiguan_share" else "中医阁"
            return (f"无数据（{int(r['unreported'])} 个机构是否设{what}未知）" if zh
                    else f"no data ({what} unknown at {int(r['unreported'])})")
        return STATUSES["no_data"][lang]
    v, num, den = float(r["value"]), r["numerator"], r["denominator"]
    if r["indicator"] == "coverage_15min" and pd.notna(r.get("value_max", np.nan)):
        return (f"{_pct(v)}–{_pct(float(r['value_max']))}（{int(r['unreported'])} 个机构中医馆/中医阁"
                f"情况未知：按无为下限，按有为上限；共 {den:,.0f} 人）" if zh
                else f"{_pct(v)}–{_pct(float(r['value_max']))} (中医馆/中医阁 unknown at "
                     f"{int(r['unreported'])} facilities: lower bound as no, upper as yes; of "
                     f"{den:,.0f} residents)")
    if flags and r["unreported"]:
        return (f"{_pct(v)}（已知 {int(num)}/{int(den)}；另 {int(r['unreported'])} 个未知）" if zh
                else f"{_pct(v)} ({int(num)} of {int(den)} known; {int(r['unreported'])} unknown)")
    if spec.measure == "presence":
        if v >= 1:
            return f"有（{int(num)} 所）" if zh else f"yes ({int(num)})"
        return "无" if zh else "none"
    if spec.measure == "ratio":
        text = f"{v:.2f} {_ratio_unit(spec.per, lang)}"
    elif spec.measure == "count":
        text = f"{v:.0f}"
    elif r["indicator"] == "coverage_15min":
        text = (f"{_pct(v)}（{num:,.0f}/{den:,.0f} 人）" if zh
                else f"{_pct(v)} ({num:,.0f} of {den:,.0f} residents)")
    elif r["indicator"] in ("zhongyiguan_share", "zhongyige_share"):
        text = (f"{_pct(v)}（{int(num)}/{int(den)}）" if zh
                else f"{_pct(v)} ({int(num)} of {int(den)})")
    else:
        text = (f"{_pct(v)}（{_fmt_num(num)}/{_fmt_num(den)} 人）" if zh
                else f"{_pct(v)} ({_fmt_num(num)} of {_fmt_num(den)})")
    if r["unreported"] and not flags:
        text += (f"；{int(r['unreported'])} 家机构未填报，数值可能偏低" if zh
                 else f"; {int(r['unreported'])} facilities left it blank, may be low")
    return text


def _target_text(r: pd.Series, lang: str) -> str:
    zh = lang == "zh"
    if not r["in_profile"]:
        return "本规划未设目标" if zh else "not in this plan"
    if pd.isna(r["target"]):
        return "无具体数值" if zh else "no number"
    spec = INDICATORS[r["indicator"]]
    low, high = float(r["target"]), r["target_max"]
    if spec.measure in ("share", "presence"):
        if pd.notna(high):
            return f"{_pct(low)}–{_pct(float(high))}"
        if spec.measure == "presence" and low >= 1:
            return "每县至少 1 所" if zh else "at least 1 per county"
        return f"≥ {_pct(low)}"
    if spec.measure == "ratio":
        unit = _ratio_unit(spec.per, lang)
        if pd.notna(high):
            return f"{low:g}–{float(high):g} {unit}"
        return f"≥ {low:g} {unit}"
    return f"≥ {low:g}"


def _gap_text(r: pd.Series, lang: str) -> str:
    key, status = r["indicator"], r["status"]
    spec = INDICATORS[key]
    zh = lang == "zh"
    if not spec.measured:
        return spec.method_zh if zh else spec.method_en
    if key in ("zhongyiguan_share", "zhongyige_share") and r["unreported"] and status != "met":
        what = "中医馆" if key == "zhongyiguan_share" else "中医阁"
        unknown = int(r["unreported"])
        if pd.isna(r["value"]):
            return (f"设施表未说明是否设{what}（无该列或为空），无法计算；请在设施表填写{what}（是/否）" if zh
                    else f"the facility table does not say which have a {what} (no column, or "
                         f"blank): fill in {what} (yes/no)")
        if pd.isna(r["gap"]):
            return ""
        lo, hi = int(r["gap"]), int(r["gap_max"])
        if status == "no_data":
            return (f"取决于 {unknown} 个情况未知的机构：还需 0–{hi} 个{what}" if zh
                    else f"depends on the {unknown} unknown: 0–{hi} more {what} needed")
        return (f"还需 {lo}–{hi} 个{what}（{unknown} 个情况未知）" if zh and lo != hi
                else f"还需 {lo} 个{what}" if zh
                else f"{lo}–{hi} more {what} ({unknown} unknown)" if lo != hi
                else f"{lo} more {what}")
    if status == "no_data" and key == "coverage_15min" and pd.notna(r.get("value_max", np.nan)):
        mode = MODE_LABELS.get(r["mode"], {}).get(lang, r["mode"])
        return (f"是否达标取决于 {int(r['unreported'])} 个机构是否设中医馆/中医阁（{mode}）；请在设施表填写中医馆、中医阁列" if zh
                else f"met or not depends on whether {int(r['unreported'])} facilities have a "
                     f"中医馆/中医阁 ({mode}); fill in the 中医馆/中医阁 columns")
    if status == "no_data":
        inputs = _STAFF_INPUTS.get(key, ())
        names = ("、" if zh else ", ").join(
            dict.fromkeys(_COLUMN_NAMES[c][lang] for c, _ in inputs))
        return f"设施表缺少{names}" if zh else f"the facility table has no {names}"
    if status == "not_applicable" or pd.isna(r["gap"]):
        return ""
    gap = int(r["gap"])
    if key == "coverage_15min":
        minutes = f"{float(r['minutes']):g}"
        mode = MODE_LABELS.get(r["mode"], {}).get(lang, r["mode"])
        beyond = float(r["denominator"]) - float(r["numerator"])
        bounded = pd.notna(r.get("gap_max", np.nan)) and int(r["gap_max"]) != gap
        if gap <= 0 and not bounded:
            return ""
        if bounded:  # some 中医馆/中医阁 unknown: a range, lower (unknown = yes) to upper (= no)
            hi = int(r["gap_max"])
            if pd.notna(r["target"]) and float(r["target"]) < 1.0:
                return (f"还需 {gap:,}–{hi:,} 人进入{minutes}分钟圈（{mode}；范围取决于中医馆/中医阁情况未知的机构）"
                        if zh else f"{gap:,}–{hi:,} more residents within {minutes} minutes needed "
                                   f"({mode}; the range depends on the unknown 中医馆/中医阁)")
            return (f"{gap:,}–{hi:,} 人在{minutes}分钟（{mode}）外（范围取决于中医馆/中医阁情况未知的机构）" if zh
                    else f"{gap:,}–{hi:,} residents beyond {minutes} minutes ({mode}; the range "
                         "depends on the unknown 中医馆/中医阁)")
        if pd.notna(r["target"]) and float(r["target"]) < 1.0:
            return (f"还需 {gap:,} 人进入{minutes}分钟圈（{mode}；{beyond:,.0f} 人在外）" if zh
                    else f"{gap:,} more residents within {minutes} minutes needed ({mode}; "
                         f"{beyond:,.0f} beyond)")
        return (f"{gap:,} 人在{minutes}分钟（{mode}）外" if zh
                else f"{gap:,} residents beyond {minutes} minutes ({mode})")
    if gap <= 0:
        return ""
    if key == "county_tcm_institution":
        return "需设立 1 所县办中医医疗机构" if zh else "1 county-run TCM institution needed"
    unit = spec.unit_en[:-1] if gap == 1 and spec.unit_en.endswith("s") else spec.unit_en
    return f"还需 {gap:,} {spec.unit_zh}" if zh else f"{gap:,} more {unit}"


def _method_text(r: pd.Series, lang: str) -> str:
    spec = INDICATORS[r["indicator"]]
    text = spec.method_zh if lang == "zh" else spec.method_en
    if r["indicator"] == "coverage_15min":
        mode = MODE_LABELS.get(r["mode"], {}).get(lang, r["mode"])
        minutes = f"{float(r['minutes']):g}" if pd.notna(r["minutes"]) else "15"
        text += (f"；出行方式：{mode}，阈值 {minutes} 分钟" if lang == "zh"
                 else f"; mode: {mode}, threshold {minutes} minutes")
    return text


def render_scorecard(card: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Text columns of a scorecard in one language.

    Parameters
    ----------
    card
        The data columns of :func:`scorecard` (:data:`SCORECARD_COLUMNS`).
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        ``level_label``, ``indicator_label``, ``value_text``, ``target_text``, ``met``,
        ``gap_text``, ``method``, aligned with ``card``.
    """
    if lang not in ("zh", "en"):
        raise InputError(f"unknown language '{lang}'", fix="use zh or en")
    out = pd.DataFrame(index=card.index, columns=list(_TEXT_COLUMNS), dtype=object)
    if card.empty:
        return out
    label = "label_zh" if lang == "zh" else "label_en"
    out["level_label"] = card["level"].map(lambda v: _LEVELS.get(v, {}).get(lang, v))
    out["indicator_label"] = card["indicator"].map(lambda k: getattr(INDICATORS[k], label))
    out["value_text"] = card.apply(_value_text, axis=1, lang=lang)
    out["target_text"] = card.apply(_target_text, axis=1, lang=lang)
    out["met"] = card["status"].map(lambda s: STATUSES[s][lang])
    out["gap_text"] = card.apply(_gap_text, axis=1, lang=lang)
    out["method"] = card.apply(_method_text, axis=1, lang=lang)
    return out


def _display(card: pd.DataFrame, lang: str) -> pd.DataFrame:
    data = card[[c for c in SCORECARD_COLUMNS if c in card]]
    text = render_scorecard(data, lang)
    frame = pd.concat([data, text], axis=1)
    cols = ["level_label", "code", "name", "indicator_label", "value_text", "target_text", "met",
            "gap_text", "source", "note", "method"]
    return frame[cols].rename(columns={c: _HEADERS[c][lang] for c in cols})


#: Row background per status (scorecard HTML/XLSX and the report's scorecard section).
STATUS_COLOURS = {"met": "#d9f2e3", "unmet": "#f9d9d6", "no_target": "#eeeeee",
                  "no_data": "#fff4cc", "not_applicable": "#f7f7f7"}


def _about_rows(card: pd.DataFrame, lang: str) -> list[tuple[str, str]]:
    zh = lang == "zh"
    a = card.attrs
    mode = MODE_LABELS.get(a.get("mode", ""), {}).get(lang, a.get("mode", ""))
    target = a.get("target", "tcm_any")
    sources = a.get("sources") or sorted({s for s in card["source"] if s})
    rows = [
        ("规划目标" if zh else "plan profile",
         f"{a.get('title' if zh else 'title_en', '')}（{a.get('profile', '')}）" if zh
         else f"{a.get('title_en', '')} ({a.get('profile', '')})"),
        ("目标来源" if zh else "sources", ("；" if zh else "; ").join(sources)),
        ("覆盖率口径" if zh else "coverage definition",
         (f"{mode}，{a.get('minutes', 15):g} 分钟内沿道路网络可达{FACILITY_SET_LABELS[target]['zh']}"
          f"（{FACILITY_SET_DEFINITIONS[target]['zh']}）的人口占比") if zh
         else (f"share of residents reaching a {FACILITY_SET_LABELS[target]['en']} "
               f"({FACILITY_SET_DEFINITIONS[target]['en']}) within {a.get('minutes', 15):g} minutes by "
               f"{mode} over the road network")),
        ("缺失数据" if zh else "missing data",
         "“无数据”表示输入中没有该项（例如设施表无人员数或无中医馆/中医阁列），不作为 0 计算；"
         "中医馆/中医阁情况未知时，覆盖率给出下限（未知按无）与上限（未知按有）" if zh
         else "“no data” means the input lacks it (e.g. no staff counts, no 中医馆/中医阁 column); it "
              "is never taken as 0; with unknown 中医馆/中医阁 the coverage is given as a lower "
              "(unknown = no) and an upper bound (unknown = yes)"),
        ("生成" if zh else "made", f"{date.today().isoformat()}, tcm-coverage {__version__}"),
    ]
    return rows


def _html(card: pd.DataFrame, lang: str) -> str:
    zh = lang == "zh"
    shown = _display(card, lang)
    method_col, source_col = _HEADERS["method"][lang], _HEADERS["source"][lang]
    # Each indicator's method once, below the table; the source column only when several plans.
    methods = dict(zip(shown[_HEADERS["indicator_label"][lang]], shown[method_col], strict=True))
    one_plan = card["source"].replace("", np.nan).nunique() <= 1
    drop = [method_col] + ([source_col] if one_plan else [])
    shown = shown.drop(columns=drop)
    status = card["status"].to_list()
    esc = html.escape
    title = (f"中医药服务规划目标对照表：{card.attrs.get('title', '')}" if zh
             else f"TCM plan targets scorecard: {card.attrs.get('title_en', '')}")
    about = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>"
                    for k, v in _about_rows(card, lang))
    legend = "".join(
        f'<span class="chip" style="background:{STATUS_COLOURS[s]}">'
        f"{esc(STATUSES[s][lang])}</span>"
        for s in STATUSES)
    narrow = {_HEADERS[c][lang] for c in ("level_label", "code", "name", "met")}
    head = "".join(f"<th>{esc(str(c))}</th>" for c in shown.columns)
    body = []
    for i, rec in enumerate(shown.itertuples(index=False)):
        cells = "".join(
            f'<td{" class=nw" if col in narrow else ""}>{esc("" if pd.isna(v) else str(v))}</td>'
            for col, v in zip(shown.columns, rec, strict=True))
        body.append(f'<tr class="{status[i]}">{cells}</tr>')
    defs = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in methods.items())
    defs_title = "指标计算方法" if zh else "How each indicator is computed"
    css = ("body{font-family:'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;"
           "margin:24px;color:#222;font-size:13px}"
           "h1{font-size:20px;margin:0 0 12px}h2{font-size:15px;margin:16px 0 8px}"
           "table{border-collapse:collapse;margin-bottom:16px}"
           "th,td{border:1px solid #bbb;padding:4px 6px;vertical-align:top;text-align:left}"
           "td.nw{white-space:nowrap}"
           "thead th{background:#34495e;color:#fff;position:sticky;top:0;white-space:nowrap}"
           "table.about th{background:#f2f2f2;white-space:nowrap}"
           ".chip{display:inline-block;padding:2px 8px;margin-right:6px;border:1px solid #bbb}"
           + "".join(f"tr.{s} td{{background:{c}}}" for s, c in STATUS_COLOURS.items())
           + "@media print{body{margin:8mm;font-size:10px}thead{display:table-header-group}"
             "thead th{position:static}tr{page-break-inside:avoid}"
             "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}")
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
            f"<title>{esc(title)}</title><style>{css}</style></head><body>"
            f"<h1>{esc(title)}</h1><table class=\"about\">{about}</table>"
            f"<p>{legend}</p><table class=\"card\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
            f"<h2>{esc(defs_title)}</h2><table class=\"about\">{defs}</table></body></html>\n")


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _xlsx(card: pd.DataFrame, path: Path, lang: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    zh = lang == "zh"
    shown = _display(card, lang)
    about = pd.DataFrame(_about_rows(card, lang),
                         columns=["项目", "内容"] if zh else ["item", "value"])
    sheet = "目标对照" if zh else "scorecard"
    with safe_workbook(path) as book:
        sheets = {sheet: book.add(shown, sheet)}
        sheets["说明" if zh else "about"] = book.add(about, "说明" if zh else "about")
        for name, frame in ((sheet, shown), ("说明" if zh else "about", about)):
            ws = sheets[name]
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for idx, col in enumerate(frame.columns, start=1):
                values = [str(col)] + [str(v) for v in frame[col].tolist()]
                width = min(60, max(8, max(_display_width(v) for v in values) + 2))
                ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = width
        ws = sheets[sheet]
        for i, s in enumerate(card["status"].to_list(), start=2):
            fill = PatternFill("solid", fgColor=STATUS_COLOURS[s].lstrip("#").upper())
            for cell in ws[i]:
                cell.fill = fill
                cell.alignment = Alignment(vertical="top", wrap_text=False)


def write_scorecard(
    scorecard_df: pd.DataFrame, out_dir: str | PathLike[str], lang: str | None = None, *,
    stem: str = "scorecard",
) -> list[Path]:
    """Write ``scorecard.xlsx`` and ``scorecard.html`` into ``out_dir``.

    Both are rendered from the data columns, so ``lang`` may differ from the language the
    scorecard was made in. The HTML is one printable page: the profile, its sources and the
    coverage definition on top, then the table with met/unmet rows coloured.

    Parameters
    ----------
    scorecard_df
        From :func:`scorecard`.
    out_dir
        Destination folder (created when missing). Both files are written first and then
        put in place (:func:`tcm_coverage._io.add_files`: a tcm-coverage result folder is
        updated as a whole; other files in a plain folder stay).
    lang
        ``"zh"`` or ``"en"`` (default: the language of ``scorecard_df``).
    stem
        File name without extension (``scorecard_yantai`` when writing several profiles).

    Returns
    -------
    list of pathlib.Path
        The two files, in ``out_dir``.
    """
    lang = lang or scorecard_df.attrs.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise InputError(f"unknown language '{lang}'", fix="use zh or en")
    missing = [c for c in SCORECARD_COLUMNS if c not in scorecard_df]
    if missing:
        raise InputError(f"not a scorecard: columns {missing} are missing",
                         fix="pass the DataFrame returned by scorecard()")
    with add_files(out_dir, kind="score") as tmp:
        _xlsx(scorecard_df, tmp / f"{stem}.xlsx", lang)
        (tmp / f"{stem}.html").write_text(_html(scorecard_df, lang), encoding="utf-8")
    return [Path(out_dir) / f"{stem}.xlsx", Path(out_dir) / f"{stem}.html"]
