"""The words of a scorecard: statuses, columns, the inputs behind each staff indicator, and the
text columns of its rows (value, target, gap, method) in Chinese or English.

:mod:`~tcm_coverage.outputs.scorecard` computes the rows and calls :func:`render_scorecard`;
:mod:`~tcm_coverage.outputs.scorecard_render` writes them as HTML and XLSX.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage.i18n import check_lang, label, text
from tcm_coverage.inputs import INDICATORS, IndicatorSpec
from tcm_coverage.outputs.style import fmt_num, pct

__all__ = ["SCORECARD_COLUMNS", "STAFF_INPUTS", "STATUSES", "TEXT_COLUMNS", "render_scorecard",
           "status_label"]

#: Row statuses (labels: ``outputs.status_<status>`` in :mod:`tcm_coverage.i18n`).
STATUSES: tuple[str, ...] = ("met", "unmet", "no_target", "no_data", "not_applicable")

#: Columns of a scorecard's data part (the text columns come from :func:`render_scorecard`).
SCORECARD_COLUMNS = (
    "level", "code", "name", "parent_code", "indicator", "value", "target", "target_max",
    "in_profile", "status", "gap", "numerator", "denominator", "unreported", "mode", "minutes",
    "source", "note", "value_max", "gap_max",
)

#: Text columns of :func:`render_scorecard`.
TEXT_COLUMNS = ("level_label", "indicator_label", "value_text", "target_text", "met", "gap_text",
                "method")

#: (column, tier or None for all facilities) behind each staff/bed indicator.
STAFF_INPUTS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "tcm_gps_per_10k": (("tcm_gps", None),),
    "tcm_physicians_per_1k": (("tcm_physicians", None),),
    "tcm_hospital_beds_per_1k": (("beds", "county_tcm"),),
    "centre_tcm_physician_share": (("tcm_physicians", "township_centre"),
                                   ("physicians", "township_centre")),
    "county_hospital_tcm_physician_share": (("tcm_physicians", "county_tcm"),
                                            ("physicians", "county_tcm")),
}

_FLAG_SHARES = ("zhongyiguan_share", "zhongyige_share")
#: The capability columns each capability share needs (inputs/functional.py).
_CAPABILITY_INPUTS = {
    "village_clinics_tcm_services": ("tcm_technique_types", "tcm_techniques", "tcm_services"),
    "stations_tcm_physician": ("tcm_capable_physicians",),
    "village_clinics_tcm_staff": ("tcm_capable_staff", "tcm_capable_physicians"),
}


def status_label(status: str, lang: str) -> str:
    """``达标`` / ``met`` … of a status of :data:`STATUSES`."""
    return text(f"outputs.status_{status}", lang)


def _spec_text(spec: IndicatorSpec, name: str, lang: str) -> str:
    """A text field of an indicator in ``lang``: ``label``, ``method`` (``label_zh``/``label_en`` …)."""
    return str(getattr(spec, f"{name}_{check_lang(lang)}"))


def _ratio_unit(per: int | None, lang: str) -> str:
    return text("outputs.sc_per_10k" if per == 10_000 else "outputs.sc_per_1k", lang)


def _what(indicator: str) -> str:
    return "中医馆" if indicator == "zhongyiguan_share" else "中医阁"


def _plain_value(r: pd.Series, lang: str) -> str:
    """The value of a measured row with no unknown flags."""
    spec = INDICATORS[r["indicator"]]
    v, num, den = float(r["value"]), r["numerator"], r["denominator"]
    if spec.measure == "presence":
        if v >= 1:
            return text("outputs.sc_present", lang, n=int(num))
        return text("outputs.sc_absent", lang)
    if spec.measure == "ratio":
        return f"{v:.2f} {_ratio_unit(spec.per, lang)}"
    if spec.measure == "count":
        return f"{v:.0f}"
    if r["indicator"] == "coverage_15min":
        return text("outputs.sc_value_coverage", lang, pct=pct(v), num=num, den=den)
    if r["indicator"] in _FLAG_SHARES:
        return text("outputs.sc_value_flags", lang, pct=pct(v), num=int(num), den=int(den))
    return text("outputs.sc_value_share", lang, pct=pct(v), num=fmt_num(num), den=fmt_num(den))


def _value_text(r: pd.Series, lang: str) -> str:
    flags = r["indicator"] in _FLAG_SHARES
    if r["status"] == "not_applicable":
        return text("outputs.sc_na_no_facilities" if flags else "outputs.sc_na", lang)
    unreported = int(r["unreported"])
    if pd.isna(r["value"]):
        if flags and unreported:
            return text("outputs.sc_no_data_flags", lang, n=unreported, what=_what(r["indicator"]))
        return status_label("no_data", lang)
    v = float(r["value"])
    if r["indicator"] == "coverage_15min" and pd.notna(r.get("value_max", np.nan)):
        return text("outputs.sc_value_coverage_range", lang, low=pct(v), high=pct(float(r["value_max"])),
                    n=unreported, den=r["denominator"])
    if (flags or r["indicator"] in _CAPABILITY_INPUTS) and unreported:
        # a share over the facilities whose flag / capability is known
        return text("outputs.sc_value_flags_unknown", lang, pct=pct(v), num=int(r["numerator"]),
                    den=int(r["denominator"]), n=unreported)
    if r["indicator"] in _CAPABILITY_INPUTS:
        return text("outputs.sc_value_flags", lang, pct=pct(v), num=int(r["numerator"]),
                    den=int(r["denominator"]))
    out = _plain_value(r, lang)
    if unreported and not flags:
        out += text("outputs.sc_unreported", lang, n=unreported)
    return out


def _target_text(r: pd.Series, lang: str) -> str:
    if not r["in_profile"]:
        return text("outputs.sc_not_in_plan", lang)
    if pd.isna(r["target"]):
        return text("outputs.sc_no_number", lang)
    spec = INDICATORS[r["indicator"]]
    low, high = float(r["target"]), r["target_max"]
    if spec.measure in ("share", "presence"):
        if pd.notna(high):
            return f"{pct(low)}–{pct(float(high))}"
        if spec.measure == "presence" and low >= 1:
            return text("outputs.sc_one_per_county", lang)
        return f"≥ {pct(low)}"
    if spec.measure == "ratio":
        unit = _ratio_unit(spec.per, lang)
        if pd.notna(high):
            return f"{low:g}–{float(high):g} {unit}"
        return f"≥ {low:g} {unit}"
    return f"≥ {low:g}"


def _flag_gap_text(r: pd.Series, lang: str) -> str:
    """Gap of a 中医馆/中医阁 share with unknown flags: a range, or what to fill in."""
    what, unknown = _what(r["indicator"]), int(r["unreported"])
    if pd.isna(r["value"]):
        return text("outputs.sc_gap_flags_missing", lang, what=what)
    if pd.isna(r["gap"]):
        return ""
    lo, hi = int(r["gap"]), int(r["gap_max"])
    if r["status"] == "no_data":
        return text("outputs.sc_gap_flags_depends", lang, n=unknown, hi=hi, what=what)
    if lo != hi:
        return text("outputs.sc_gap_flags_range", lang, lo=lo, hi=hi, what=what, n=unknown)
    return text("outputs.sc_gap_flags", lang, lo=lo, what=what)


def _coverage_gap_text(r: pd.Series, lang: str) -> str:
    gap = int(r["gap"])
    fields = {"gap": gap, "minutes": f"{float(r['minutes']):g}", "mode": label("mode", r["mode"], lang)}
    bounded = pd.notna(r.get("gap_max", np.nan)) and int(r["gap_max"]) != gap
    if gap <= 0 and not bounded:
        return ""
    partial = pd.notna(r["target"]) and float(r["target"]) < 1.0
    if bounded:  # some 中医馆/中医阁 unknown: a range, lower (unknown = yes) to upper (= no)
        key = "outputs.sc_gap_coverage_partial_range" if partial else "outputs.sc_gap_coverage_range"
        return text(key, lang, hi=int(r["gap_max"]), **fields)
    if partial:
        beyond = float(r["denominator"]) - float(r["numerator"])
        return text("outputs.sc_gap_coverage_partial", lang, beyond=beyond, **fields)
    return text("outputs.sc_gap_coverage", lang, **fields)


def _no_data_gap_text(r: pd.Series, lang: str) -> str:
    """What a row without data needs."""
    key = r["indicator"]
    if key == "coverage_15min" and pd.notna(r.get("value_max", np.nan)):
        return text("outputs.sc_gap_coverage_depends", lang, n=int(r["unreported"]),
                    mode=label("mode", r["mode"], lang))
    columns = _CAPABILITY_INPUTS.get(key, tuple(c for c, _ in STAFF_INPUTS.get(key, ())))
    names = text("outputs.sc_list_sep", lang).join(
        dict.fromkeys(text(f"outputs.sc_column_{c}", lang) for c in columns))
    return text("outputs.sc_gap_missing_columns", lang, names=names)


def _capability_gap_text(r: pd.Series, spec: IndicatorSpec, lang: str) -> str:
    """Gap of a capability share with unknown capability: a range (unknown = yes .. = no)."""
    what = _spec_text(spec, "unit", lang).removeprefix("个")
    lo, hi, n = int(r["gap"]), int(r["gap_max"]), int(r["unreported"])
    if r["status"] == "no_data":
        return text("outputs.sc_gap_flags_depends", lang, n=n, hi=hi, what=what)
    if lo != hi:
        return text("outputs.sc_gap_flags_range", lang, lo=lo, hi=hi, what=what, n=n)
    return text("outputs.sc_gap_flags", lang, lo=lo, what=what)


def _gap_text(r: pd.Series, lang: str) -> str:
    key, status = r["indicator"], r["status"]
    spec = INDICATORS[key]
    if not spec.measured:
        return _spec_text(spec, "method", lang)
    if key in _FLAG_SHARES and r["unreported"] and status != "met":
        return _flag_gap_text(r, lang)
    if key in _CAPABILITY_INPUTS and r["unreported"] and status != "met" and pd.notna(r["gap"]):
        return _capability_gap_text(r, spec, lang)
    if status == "no_data":
        return _no_data_gap_text(r, lang)
    if status == "not_applicable" or pd.isna(r["gap"]):
        return ""
    if key == "coverage_15min":
        return _coverage_gap_text(r, lang)
    gap = int(r["gap"])
    if gap <= 0:
        return ""
    if key == "county_tcm_institution":
        return text("outputs.sc_gap_county_tcm", lang)
    unit = _spec_text(spec, "unit", lang)
    if gap == 1 and unit.endswith("s"):  # "1 more TCM GP" (no Chinese unit ends in s)
        unit = unit[:-1]
    return text("outputs.sc_gap_more", lang, gap=gap, unit=unit)


def _method_text(r: pd.Series, lang: str) -> str:
    spec = INDICATORS[r["indicator"]]
    out = _spec_text(spec, "method", lang)
    if r["indicator"] == "coverage_15min":
        minutes = f"{float(r['minutes']):g}" if pd.notna(r["minutes"]) else "15"
        out += text("outputs.sc_method_coverage", lang, mode=label("mode", r["mode"], lang),
                    minutes=minutes)
    return out


def render_scorecard(card: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Text columns of a scorecard in one language.

    Parameters
    ----------
    card
        The data columns of a scorecard's rows (:data:`SCORECARD_COLUMNS`).
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
    out = pd.DataFrame(index=card.index, columns=list(TEXT_COLUMNS), dtype=object)
    if card.empty:
        return out
    levels = {"county": text("outputs.level_county", lang), "township": text("outputs.level_township", lang)}
    out["level_label"] = card["level"].map(lambda v: levels.get(v, v))
    out["indicator_label"] = card["indicator"].map(lambda k: _spec_text(INDICATORS[k], "label", lang))
    out["value_text"] = card.apply(_value_text, axis=1, lang=lang)
    out["target_text"] = card.apply(_target_text, axis=1, lang=lang)
    out["met"] = card["status"].map(lambda s: status_label(s, lang))
    out["gap_text"] = card.apply(_gap_text, axis=1, lang=lang)
    out["method"] = card.apply(_method_text, axis=1, lang=lang)
    return out
