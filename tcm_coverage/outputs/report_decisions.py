"""The report sections of issue 15, shown after the township table: the referral chain, fairness
(with the Lorenz curve) and how sure the headline is (the sensitivity band and tornado table).

Each section is a function of its table and the county it is about; an absent table gives no
section. Names from the input files are escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tcm_coverage.i18n import label, text
from tcm_coverage.outputs.chart import lorenz_chart_svg
from tcm_coverage.outputs.style import fmt_int, fmt_min

__all__ = ["DecisionSections", "band_text", "decision_sections_html", "fairness_section",
           "referral_section", "sensitivity_section"]

esc = html.escape


@dataclass(frozen=True)
class DecisionSections:
    """What the decision sections show.

    Attributes
    ----------
    referral_township, fairness, lorenz, sensitivity
        The :class:`~tcm_coverage.workflows.run.AnalysisRun` fields of the same names.
    headline_mode, headline_threshold, referral_minutes
        The headline and the referral threshold.
    lang
        ``"zh"`` or ``"en"``.
    """

    referral_township: pd.DataFrame | None
    fairness: pd.DataFrame | None
    lorenz: pd.DataFrame | None
    sensitivity: pd.DataFrame | None
    headline_mode: str
    headline_threshold: float
    referral_minutes: float = 30.0
    lang: str = "zh"


def _share(v: Any) -> str:
    x = float(v) if v is not None and pd.notna(v) else float("nan")
    return f"{x:.1%}" if np.isfinite(x) else "–"


def _points(v: Any) -> str:
    """A difference of shares in percentage points (``+16.4``), ``–`` when unknown."""
    x = float(v) if v is not None and pd.notna(v) else float("nan")
    return f"{100 * x:+.1f}" if np.isfinite(x) else "–"


def band_text(headline: float, low: float, high: float, lang: str) -> str:
    """``82.8%（79–86%）``: the headline share and its sensitivity band in whole percent."""
    return text("outputs.dec_band", lang, share=headline, low=100 * low, high=100 * high)


def _towns(table: pd.DataFrame, county_code: str) -> pd.DataFrame:
    towns = table[table["level"] == "township"]
    if "parent_code" in towns and towns["parent_code"].notna().any():
        towns = towns[towns["parent_code"].astype(str) == str(county_code)]
    return towns


def _grid(heads: Sequence[str], rows: Sequence[str]) -> str:
    return ("<table class='grid'><thead><tr>" + "".join(f"<th>{h}</th>" for h in heads)
            + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _county_rows(table: pd.DataFrame | None, county_code: str) -> pd.DataFrame | None:
    """The county's row of a referral or fairness table (``level == "county"``, as a one-row
    table), or ``None`` when the table or the row is missing."""
    if table is None or table.empty:
        return None
    county = table[(table["level"] == "county") & (table["code"].astype(str) == str(county_code))]
    return None if county.empty else county


def referral_section(s: DecisionSections, county_code: str) -> str:
    """The referral chain: the county share within the referral minutes, one row per township."""
    table, lang = s.referral_township, s.lang
    county = _county_rows(table, county_code)
    if table is None or county is None:
        return ""
    c = county.iloc[0]
    intro = text("outputs.dec_referral_intro", lang, minutes=s.referral_minutes,
                 share=_share(c["share_within_referral"]), within=fmt_int(c["pop_within_referral"]),
                 population=fmt_int(c["population"]))
    rows = []
    for _, r in pd.concat([_towns(table, county_code), county]).iterrows():
        rows.append(f"<tr><th style='white-space:nowrap'>{esc(str(r['name']))}</th><td>{int(r['clinics'])}</td>"
                    f"<td>{fmt_min(r['median_zhongyiguan_car'])} / {fmt_min(r['max_zhongyiguan_car'])}</td>"
                    f"<td>{fmt_min(r['median_zhongyiguan_ebike'])}</td>"
                    f"<td>{fmt_min(r['median_county_tcm_car'])} / {fmt_min(r['max_county_tcm_car'])}</td>"
                    f"<td>{fmt_min(r['resident_median_county_tcm_car'])}</td>"
                    f"<td>{_share(r['share_within_referral'])}</td></tr>")
    heads = [text("outputs.dec_referral_township", lang), text("outputs.dec_referral_clinics", lang),
             text("outputs.dec_referral_to_guan", lang), text("outputs.dec_referral_to_guan_ebike", lang),
             text("outputs.dec_referral_to_county", lang), text("outputs.dec_referral_residents", lang),
             text("outputs.dec_referral_share", lang, minutes=s.referral_minutes)]
    return (f"<h2>{text('outputs.dec_referral_heading', lang)}</h2><p>{esc(intro)}</p>" + _grid(heads, rows))


def fairness_section(s: DecisionSections, county_code: str) -> str:
    """Gini, the 街道/乡镇 gap, the worst-three share, one row per township, and the Lorenz curve."""
    table, lang = s.fairness, s.lang
    county = _county_rows(table, county_code)
    if table is None or county is None:
        return ""
    c = county.iloc[0]

    def num(col: str, fmt: str) -> str:
        v = c.get(col)
        return "–" if v is None or pd.isna(v) else format(float(v), fmt)

    intro = text("outputs.dec_fairness_intro", lang, gini=num("gini", ".3f"),
                 urban=_share(c.get("urban_share_within")), rural=_share(c.get("rural_share_within")),
                 gap=_points(c.get("gap_share_within")), minutes=s.headline_threshold,
                 uncovered=fmt_int(c.get("uncovered_population")),
                 worst_share=_share(c.get("uncovered_share_worst3")),
                 worst=str(c.get("worst_townships") or "–"), unreached=fmt_int(c.get("unreachable_population")))
    rows = []
    for _, r in pd.concat([_towns(table, county_code), county]).iterrows():
        kind = text(f"outputs.dec_kind_{r['kind'] or 'unknown'}", lang) if r["level"] == "township" else ""
        gini = "–" if pd.isna(r["gini"]) else f"{float(r['gini']):.3f}"
        rows.append(f"<tr><th>{esc(str(r['name']))}</th><td>{kind}</td><td>{fmt_int(r['population'])}</td>"
                    f"<td>{_share(r['share_within'])}</td><td>{fmt_min(r['mean_min'])}</td><td>{gini}</td>"
                    f"<td>{fmt_int(r['unreachable_population'])}</td></tr>")
    heads = [text("outputs.report_township", lang), text("outputs.dec_fairness_kind", lang),
             text("outputs.report_population", lang),
             text("outputs.report_share_within", lang, thr=f"{s.headline_threshold:g}"),
             text("outputs.report_mean", lang), text("outputs.dec_fairness_gini", lang),
             text("outputs.col_unreachable_population", lang)]
    chart = ""
    if s.lorenz is not None:
        pts = s.lorenz[s.lorenz["code"].astype(str) == str(county_code)]
        if len(pts):
            chart = lorenz_chart_svg(pts["p"].to_numpy(float), pts["lorenz"].to_numpy(float), lang=lang)
    mode = esc(label("mode", s.headline_mode, lang))
    return (f"<h2>{text('outputs.dec_fairness_heading', lang, mode=mode)}</h2><p>{esc(intro)}</p>"
            + _grid(heads, rows) + chart)


def _bar(lo: float, hi: float, headline: float, span: tuple[float, float]) -> str:
    """A tornado bar from the low to the high share, with the headline marked."""
    a, b = span
    width = max(b - a, 1e-9)

    def x(v: float) -> float:
        return 100 * (v - a) / width

    left, right = sorted((lo, hi))
    return ("<div style='position:relative;height:12px;background:#f4f4f4'>"
            f"<div style='position:absolute;left:{x(left):.1f}%;width:{max(x(right) - x(left), 0.5):.1f}%;"
            "height:12px;background:#f4a582'></div>"
            f"<div style='position:absolute;left:{x(headline):.1f}%;width:2px;height:12px;background:#b2182b'>"
            "</div></div>")


def sensitivity_section(s: DecisionSections, county_code: str) -> str:
    """The headline with its band and the tornado table (largest swing first)."""
    table, lang = s.sensitivity, s.lang
    if table is None or table.empty:
        return ""
    sub = table[table["code"].astype(str) == str(county_code)]
    if sub.empty:
        return ""
    values = np.concatenate([sub["share_low"], sub["share_high"], sub["headline"]]).astype(float)
    headline, low, high = float(sub["headline"].iloc[0]), float(np.nanmin(values)), float(np.nanmax(values))
    intro = text("outputs.dec_sensitivity_intro", lang, mode=label("mode", s.headline_mode, lang),
                 minutes=s.headline_threshold, band=band_text(headline, low, high, lang))
    rows = []
    for assumption, lo, hi, swing in zip(sub["assumption"].astype(str), sub["share_low"].astype(float),
                                         sub["share_high"].astype(float), sub["swing"].astype(float), strict=True):
        rows.append(f"<tr><th>{text(f'outputs.dec_assumption_{assumption}', lang)}</th>"
                    f"<td>{_share(lo)}</td><td>{_share(hi)}</td><td>{100 * swing:.1f}</td>"
                    f"<td style='width:35%'>{_bar(lo, hi, headline, (low, high))}</td></tr>")
    heads = [text("outputs.dec_col_assumption", lang), text("outputs.dec_col_share_low", lang),
             text("outputs.dec_col_share_high", lang), text("outputs.dec_col_swing", lang) + " (pp)", ""]
    return (f"<h2>{text('outputs.dec_sensitivity_heading', lang)}</h2><p>{esc(intro)}</p>" + _grid(heads, rows))


def decision_sections_html(s: DecisionSections, county_code: str) -> str:
    """The three sections of one county's report, in order (empty when no table exists)."""
    return referral_section(s, county_code) + fairness_section(s, county_code) + sensitivity_section(s, county_code)
