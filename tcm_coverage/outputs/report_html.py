"""The county coverage report: one printable (A4) HTML page a planner hands to their director.

Sections: headline numbers per mode; coverage per township (classed colours); the
travel-time distribution as a cumulative chart (share of residents vs minutes, one line per
mode, drawn as inline SVG so the file needs nothing else); the map embedded (the Folium page
inside an ``iframe``'s ``srcdoc``, so the report is one file); notes and sources. Chinese by
default, English with ``lang="en"``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tcm_coverage.i18n import FACILITY_SET_LABELS, MODE_LABELS

__all__ = ["county_report_html", "cumulative_chart_svg", "cumulative_curve", "scorecard_section_html"]

_MODE_COLOURS = {"walk": "#1b9e77", "walk_elderly": "#66a61e", "bicycle": "#e6ab02",
                 "ebike": "#d95f02", "car": "#7570b3"}
_SHARE_BREAKS = (0.5, 0.7, 0.85, 0.95)
_SHARE_COLOURS = ("#f4a6a6", "#fdd49e", "#ffffbf", "#d9f0a3", "#a6d96a")


def cumulative_curve(minutes: np.ndarray, population: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Share of the population reaching a facility within each minute of ``grid``.

    Parameters
    ----------
    minutes : numpy.ndarray
        Travel time per demand point (``inf`` unreachable).
    population : numpy.ndarray
        Weight per demand point.
    grid : numpy.ndarray
        Minutes at which to evaluate (ascending).

    Returns
    -------
    numpy.ndarray
        Same length as ``grid``, values in [0, 1].
    """
    minutes = np.asarray(minutes, float)
    w = np.asarray(population, float)
    total = w.sum()
    if total <= 0:
        return np.full(len(grid), np.nan)
    order = np.argsort(minutes, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(w[order])])
    idx = np.searchsorted(minutes[order], np.asarray(grid, float), side="right")
    return cum[idx] / total


def cumulative_chart_svg(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], *, threshold: float,
                         lang: str = "zh", width: int = 640, height: int = 300) -> str:
    """An SVG line chart of cumulative share covered against minutes, one line per mode.

    Parameters
    ----------
    curves : mapping
        ``{mode: (minutes grid, share)}``.
    threshold : float
        Minutes marked with a dashed vertical line.
    lang : str
        ``"zh"`` or ``"en"``.
    width, height : int
        Size in CSS pixels (the SVG scales to the page width).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    zh = lang == "zh"
    left, right, top, bottom = 52, 120, 12, 40
    pw, ph = width - left - right, height - top - bottom
    xmax = max((float(g[-1]) for g, _ in curves.values()), default=60.0)

    def x(v: float) -> float:
        return left + pw * v / xmax

    def y(v: float) -> float:
        return top + ph * (1 - v)

    parts = [f"<svg class='chart' viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg' "
             f"role='img' font-family='sans-serif' font-size='11'>"]
    for v in np.linspace(0, 1, 6):
        parts.append(f"<line x1='{left}' x2='{left + pw}' y1='{y(v):.1f}' y2='{y(v):.1f}' stroke='#ddd'/>"
                     f"<text x='{left - 6}' y='{y(v) + 4:.1f}' text-anchor='end'>{v:.0%}</text>")
    step = 5 if xmax <= 60 else 10
    for v in np.arange(0, xmax + 1e-9, step):
        parts.append(f"<line x1='{x(v):.1f}' x2='{x(v):.1f}' y1='{top + ph}' y2='{top + ph + 4}' stroke='#444'/>"
                     f"<text x='{x(v):.1f}' y='{top + ph + 16}' text-anchor='middle'>{v:g}</text>")
    parts.append(f"<line x1='{left}' x2='{left + pw}' y1='{top + ph}' y2='{top + ph}' stroke='#444'/>"
                 f"<line x1='{left}' x2='{left}' y1='{top}' y2='{top + ph}' stroke='#444'/>")
    parts.append(f"<text x='{left + pw / 2}' y='{height - 6}' text-anchor='middle'>"
                 f"{'出行时间（分钟）' if zh else 'travel time (minutes)'}</text>")
    parts.append(f"<text transform='translate(12 {top + ph / 2}) rotate(-90)' text-anchor='middle'>"
                 f"{'可达人口比例' if zh else 'share of residents'}</text>")
    if threshold <= xmax:
        parts.append(f"<line x1='{x(threshold):.1f}' x2='{x(threshold):.1f}' y1='{top}' y2='{top + ph}' "
                     "stroke='#b2182b' stroke-dasharray='5 3'/>"
                     f"<text x='{x(threshold) + 3:.1f}' y='{top + 10}' fill='#b2182b'>{threshold:g}"
                     f"{' 分钟' if zh else ' min'}</text>")
    for i, (mode, (grid, share)) in enumerate(curves.items()):
        colour = _MODE_COLOURS.get(mode, "#333333")
        pts = " ".join(f"{x(g):.1f},{y(s):.1f}" for g, s in zip(grid, share, strict=True) if np.isfinite(s))
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{pts}'/>")
        ly = top + 14 + 16 * i
        label = MODE_LABELS.get(mode, {}).get(lang, mode)
        parts.append(f"<line x1='{left + pw + 10}' x2='{left + pw + 30}' y1='{ly}' y2='{ly}' "
                     f"stroke='{colour}' stroke-width='2'/><text x='{left + pw + 34}' y='{ly + 4}'>"
                     f"{html.escape(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _share_colour(share: float) -> str:
    if not np.isfinite(share):
        return "#eeeeee"
    return _SHARE_COLOURS[int(np.searchsorted(_SHARE_BREAKS, share, side="right"))]


def _fmt_int(v: object) -> str:
    return "–" if v is None or pd.isna(v) else f"{float(v):,.0f}"


def _fmt_min(v: object) -> str:
    return "–" if v is None or pd.isna(v) or not np.isfinite(float(v)) else f"{float(v):.1f}"


def _upper(r: pd.Series, thr: str) -> float:
    """The upper-bound share (unknown 中医馆/中医阁 counted as yes), NaN when not computed."""
    v = r.get(f"share_within_{thr}_upper", np.nan)
    return float(v) if v is not None and pd.notna(v) else float("nan")


def _share_text(share: float, upper: float) -> str:
    if not np.isfinite(share):
        return "–"
    if np.isfinite(upper) and round(upper, 3) != round(share, 3):
        return f"{share:.1%}–{upper:.1%}"
    return f"{share:.1%}"


def _beyond_text(population: float, beyond: float, upper: float) -> str:
    """Residents beyond the threshold; a range when unknown 中医馆/中医阁 make it uncertain."""
    if np.isfinite(upper):
        fewest = population * (1.0 - upper)
        if round(fewest) != round(beyond):
            return f"{_fmt_int(fewest)}–{_fmt_int(beyond)}"
    return _fmt_int(beyond)


def _flag_cell(r: pd.Series, have: str, n: str, lang: str) -> str:
    """``3/8`` centres with a 中医馆; 无数据 when no flag is known; the unknown count beside."""
    total = int(r.get(n, 0) or 0)
    unknown = int(r.get(f"{have}_unknown", 0) or 0)
    yes = int(r.get(have, 0) or 0)
    if total and unknown >= total:
        return "无数据" if lang == "zh" else "no data"
    if unknown:
        return (f"{yes}/{total - unknown}（另 {unknown} 个未知）" if lang == "zh"
                else f"{yes}/{total - unknown} ({unknown} unknown)")
    return f"{yes}/{total}"


def county_report_html(
    *,
    county_code: str,
    county_name: str,
    county_table: pd.DataFrame,
    township_table: pd.DataFrame | None,
    demand: pd.DataFrame,
    modes: Sequence[str],
    thresholds: Sequence[float],
    headline_threshold: float,
    headline_mode: str,
    map_page: str | None,
    notes: Sequence[str] = (),
    sources: Sequence[str] = (),
    run_date: str = "",
    software: str = "",
    lang: str = "zh",
    extra_sections: Sequence[str] = (),
    fca_areas: pd.DataFrame | None = None,
) -> str:
    """Render the coverage report of one county.

    Parameters
    ----------
    county_code, county_name
        The county.
    county_table, township_table
        The ``"county"`` and ``"township"`` tables of :func:`tcm_coverage.access.coverage.coverage_tables`.
    demand
        Demand points with ``population``, ``county_code`` and ``t_tcm_any_{mode}`` columns.
    modes, thresholds
        What was computed.
    headline_threshold, headline_mode
        The threshold and mode of the township table and the map.
    map_page
        The map's HTML page (embedded with ``srcdoc``), or ``None``.
    notes, sources
        Lines for the notes and sources sections.
    run_date, software
        Shown in the header.
    lang
        ``"zh"`` or ``"en"``.
    extra_sections
        Further HTML sections (e.g. the plan-target scorecard) appended before the notes.
    fca_areas
        Per township ``code`` and ``fca_e2sfca_{mode}`` (from
        :func:`tcm_coverage.access.catchments.area_fca`): adds an E2SFCA column.

    Returns
    -------
    str
        A complete HTML page.
    """
    zh = lang == "zh"
    thr = f"{headline_threshold:g}"
    esc = html.escape
    title = (f"{county_name} 中医药服务{thr}分钟可达性报告" if zh
             else f"{county_name}: {thr}-minute access to TCM services")
    ctab = county_table[county_table["code"].astype(str) == str(county_code)]
    # headline cards
    cards = []
    for mode in modes:
        row = ctab[ctab["mode"] == mode]
        if row.empty:
            continue
        r = row.iloc[0]
        share = float(r.get(f"share_within_{thr}", np.nan))
        upper = _upper(r, thr)
        beyond = float(r["population"]) - float(r.get(f"pop_within_{thr}", np.nan))
        label = MODE_LABELS.get(mode, {}).get(lang, mode)
        bounds = ""
        if np.isfinite(upper) and round(upper, 3) != round(share, 3):
            bounds = (f"<div class='card-small'>{'下限' if zh else 'lower bound'} {share:.1%}"
                      f"（{'中医馆/中医阁未知按无' if zh else 'unknown 中医馆/中医阁 as no'}）"
                      f"{'；上限' if zh else '; upper bound'} {upper:.1%}"
                      f"（{'未知按有' if zh else 'as yes'}）</div>")
        cards.append(
            "<div class='card'>"
            f"<div class='card-mode'>{esc(label)}</div>"
            f"<div class='card-big'>{_share_text(share, upper)}</div>{bounds}"
            f"<div>{'居民' if zh else 'of residents within'} {thr} {'分钟内可达' if zh else 'min'}</div>"
            f"<div class='card-small'>{_beyond_text(float(r['population']), beyond, upper)} "
            f"{'人在阈值外' if zh else 'residents beyond'}"
            f"{'；' if zh else '; '}"
            f"{'平均' if zh else 'mean'} {_fmt_min(r.get('mean_min'))} {'分钟' if zh else 'min'}"
            f"{('（按未知为无）' if zh else ' (unknown as none)') if bounds else ''}</div>"
            "</div>")
    pop_total = float(ctab["population"].iloc[0]) if len(ctab) else float("nan")
    # county threshold table
    head = "".join(f"<th>≤{t:g} {'分钟' if zh else 'min'}</th>" for t in thresholds)
    rows = []
    for mode in modes:
        row = ctab[ctab["mode"] == mode]
        if row.empty:
            continue
        r = row.iloc[0]
        cells = "".join(
            f"<td style='background:{_share_colour(float(r[f'share_within_{t:g}']))}'>"
            f"{_share_text(float(r[f'share_within_{t:g}']), _upper(r, f'{t:g}'))}</td>"
            for t in thresholds)
        rows.append(f"<tr><th>{esc(MODE_LABELS.get(mode, {}).get(lang, mode))}</th>{cells}"
                    f"<td>{_fmt_min(r.get('mean_min'))}</td><td>{_fmt_min(r.get('p90_min'))}</td></tr>")
    county_html = (
        f"<table class='grid'><thead><tr><th>{'出行方式' if zh else 'mode'}</th>{head}"
        f"<th>{'平均(分钟)' if zh else 'mean (min)'}</th><th>{'P90(分钟)' if zh else 'P90 (min)'}</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    # township table
    town_html = ""
    if township_table is not None and len(township_table):
        tt = township_table[township_table["mode"] == headline_mode].copy()
        if "parent_code" in tt and tt["parent_code"].notna().any():
            tt = tt[tt["parent_code"].astype(str) == str(county_code)]
        share_col = f"share_within_{thr}"
        tt = tt.sort_values(share_col, na_position="first")
        fca_col = f"fca_e2sfca_{headline_mode}"
        fca = (fca_areas.set_index(fca_areas["code"].astype(str))[fca_col]
               if fca_areas is not None and fca_col in fca_areas else None)
        fca_unknown = int(fca_areas.attrs.get("unknown_flags", 0)) if fca is not None else 0
        trs = []
        for _, r in tt.iterrows():
            share = float(r.get(share_col, np.nan))
            beyond = float(r["population"]) - float(r.get(f"pop_within_{thr}", 0.0) or 0.0)
            guan = _flag_cell(r, "n_centres_zhongyiguan", "n_centres", lang)
            ge = _flag_cell(r, "n_stations_zhongyige", "n_stations", lang)
            trs.append(
                f"<tr><th>{esc(str(r['name']))}</th><td>{_fmt_int(r['population'])}</td>"
                f"<td style='background:{_share_colour(share)}'>"
                f"{_share_text(share, _upper(r, thr))}</td>"
                f"<td>{_beyond_text(float(r['population']), beyond, _upper(r, thr))}</td>"
                f"<td>{_fmt_min(r.get('mean_min'))}</td>"
                f"<td>{esc(guan)}</td><td>{esc(ge)}</td>"
                + (f"<td>{_fmt_min(fca.get(str(r['code'])))}</td>" if fca is not None else "")
                + "</tr>")
        mode_label = MODE_LABELS.get(headline_mode, {}).get(lang, headline_mode)
        heading = (f"<h2>各乡镇覆盖（{esc(mode_label)}，{thr} 分钟）</h2>" if zh
                   else f"<h2>Coverage by township ({esc(mode_label)}, {thr} min)</h2>")
        town_html = (
            heading
            + f"<p class='muted'>{'按覆盖率从低到高排列。' if zh else 'Lowest share first.'}</p>"
            "<table class='grid'><thead><tr>"
            f"<th>{'乡镇' if zh else 'township'}</th><th>{'人口' if zh else 'population'}</th>"
            f"<th>{thr}{'分钟覆盖率' if zh else '-min share'}</th>"
            f"<th>{'阈值外人口' if zh else 'residents beyond'}</th>"
            f"<th>{'平均(分钟)' if zh else 'mean (min)'}</th>"
            f"<th>{'中医馆/中心' if zh else 'centres with 中医馆'}</th>"
            f"<th>{'中医阁/站室' if zh else 'clinics with 中医阁'}</th>"
            + ((f"<th>{'每万人可及中医师(E2SFCA)' if zh else 'TCM physicians per 10,000 (E2SFCA)'}</th>")
               if fca is not None else "")
            + f"</tr></thead><tbody>{''.join(trs)}</tbody></table>"
            + ((f"<p class='muted'>{'E2SFCA：以' if zh else 'E2SFCA: TCM physicians of the service points within '}"
                f"{thr}{'分钟为服务半径、按时间衰减加权的供需比，乡镇内按人口加权平均。' if zh else ' min, weighted by travel time, per 10,000 residents; population-weighted mean per township.'}"
                + (("只计中医馆/中医阁已知的服务点，"
                    f"{fca_unknown} 个情况未知的机构未计入，故为下限。" if zh else
                    f" Only service points known to have a 中医馆/中医阁 count; the {fca_unknown} "
                    "facilities whose status is unknown do not, so this is a lower bound.")
                   if fca_unknown else "") + "</p>")
               if fca is not None else ""))
    # chart
    grid = np.arange(0, 61, 1.0)
    sub = demand[demand["county_code"].astype(str) == str(county_code)] if "county_code" in demand else demand
    curves = {m: (grid, cumulative_curve(sub[f"t_tcm_any_{m}"].to_numpy(float),
                                         sub["population"].to_numpy(float), grid))
              for m in modes if f"t_tcm_any_{m}" in sub}
    chart = cumulative_chart_svg(curves, threshold=headline_threshold, lang=lang)
    target_label = FACILITY_SET_LABELS["tcm_any"][lang]
    map_html = ""
    if map_page is not None:
        map_html = (f"<h2>{'覆盖地图' if zh else 'Map'}</h2>"
                    f"<iframe class='map' title='map' srcdoc=\"{html.escape(map_page, quote=True)}\"></iframe>"
                    f"<p class='muted'>{'地图可缩放、点击设施查看详情；打印时显示当前视图。' if zh else 'Zoom and click facilities for details; printing shows the current view.'}</p>")
    notes_html = ("".join(f"<li>{esc(n)}</li>" for n in notes))
    sources_html = ("".join(f"<li>{esc(s)}</li>" for s in sources))
    extra = "".join(extra_sections)
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if zh else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
@page {{ size: A4; margin: 14mm 12mm; }}
body {{ font: 13px/1.5 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif; color:#222;
  max-width: 186mm; margin: 0 auto; padding: 10px; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }} h2 {{ font-size: 16px; margin: 18px 0 6px;
  border-bottom: 2px solid #b2182b; padding-bottom: 2px; break-after: avoid; }}
.muted {{ color:#666; font-size: 12px; margin: 2px 0 6px; }}
.cards {{ display:flex; gap:8px; flex-wrap:wrap; }}
.card {{ flex:1 1 0; min-width: 120px; border:1px solid #ccc; border-radius:6px; padding:8px 10px;
  break-inside: avoid; }}
.card-mode {{ font-weight:bold; }} .card-big {{ font-size: 26px; font-weight: bold; color:#b2182b; }}
.card-small {{ color:#555; font-size: 12px; }}
table.grid {{ border-collapse: collapse; width: 100%; font-size: 12px; }}
table.grid th, table.grid td {{ border: 1px solid #bbb; padding: 3px 6px; text-align: right; }}
table.grid th:first-child {{ text-align: left; }} table.grid thead th {{ background:#f0f0f0; text-align:center; }}
tr {{ break-inside: avoid; }}
svg.chart {{ width: 100%; height: auto; }}
iframe.map {{ width: 100%; height: 150mm; border: 1px solid #999; break-inside: avoid; }}
ul {{ margin: 4px 0; padding-left: 20px; }}
@media print {{ body {{ padding: 0; }} .noprint {{ display: none; }} }}
</style></head><body>
<h1>{esc(title)}</h1>
<div class="muted">{'区划代码' if zh else 'code'} {esc(str(county_code))} ·
{'常住人口（模型）' if zh else 'population (model)'} {_fmt_int(pop_total)} · {esc(run_date)} · {esc(software)}</div>
<p>{(f'本报告统计居民沿道路网络到达最近{target_label}的时间（县级中医医院、设中医馆的乡镇卫生院/社区卫生服务中心、设中医阁的村卫生室/社区卫生服务站）。' if zh else 'Travel time of every resident over the road network to the nearest TCM service point (county TCM hospital, centre with a 中医馆, clinic/station with a 中医阁).')}</p>
<h2>{'主要结论' if zh else 'Headline'}</h2>
<div class="cards">{''.join(cards)}</div>
<h2>{'各阈值覆盖率' if zh else 'Share of residents by threshold'}</h2>
{county_html}
<h2>{'出行时间分布' if zh else 'Travel-time distribution'}</h2>
<p class="muted">{'曲线上一点表示在该时间内可到达中医药服务点的人口比例。' if zh else 'Each point: share of residents reaching a TCM service point within that many minutes.'}</p>
{chart}
{town_html}
{map_html}
{extra}
<h2>{'说明' if zh else 'Notes'}</h2><ul>{notes_html or ('<li>无</li>' if zh else '<li>none</li>')}</ul>
<h2>{'数据来源' if zh else 'Sources'}</h2><ul>{sources_html}</ul>
</body></html>
"""


def scorecard_section_html(card: pd.DataFrame, *, county_code: str, lang: str = "zh") -> str:
    """A report section from a plan-target scorecard: every county row, then the township
    rows that are not met.

    Parameters
    ----------
    card : pandas.DataFrame
        From :func:`tcm_coverage.outputs.scorecard.scorecard`.
    county_code : str
        The county of the report.
    lang : str
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        An HTML fragment (``<h2>`` and a table).
    """
    from tcm_coverage.outputs.scorecard import STATUS_COLOURS, render_scorecard

    zh = lang == "zh"
    esc = html.escape
    text = render_scorecard(card, lang)
    county = (card["level"] == "county") & (card["code"].astype(str) == str(county_code))
    towns = (card["level"] == "township") & (card["status"] == "unmet")
    if "parent_code" in card and card["parent_code"].notna().any():
        towns &= card["parent_code"].astype(str) == str(county_code)
    rows = []
    for i in card.index[county | towns]:
        bg = STATUS_COLOURS[card.at[i, "status"]]
        rows.append(
            f"<tr style='background:{bg}'><th style='white-space:nowrap'>{esc(str(card.at[i, 'name']))}</th>"
            f"<td style='text-align:left'>{esc(str(text.at[i, 'indicator_label']))}</td>"
            f"<td>{esc(str(text.at[i, 'value_text']))}</td><td>{esc(str(text.at[i, 'target_text']))}</td>"
            f"<td style='text-align:center;white-space:nowrap'>{esc(str(text.at[i, 'met']))}</td>"
            f"<td style='text-align:left'>{esc(str(text.at[i, 'gap_text'] or ''))}</td></tr>")
    title = card.attrs.get("title" if zh else "title_en", card.attrs.get("profile", ""))
    head = ("<tr><th>地区</th><th>指标</th><th>现状</th><th>目标</th><th>是否达标</th><th>差距</th></tr>" if zh
            else "<tr><th>area</th><th>indicator</th><th>value</th><th>target</th><th>met</th><th>gap</th></tr>")
    return (f"<h2>{'规划目标对照' if zh else 'Plan targets'}：{esc(str(title))}</h2>"
            f"<p class='muted'>{'县级全部指标；乡镇仅列未达标项。完整表见 scorecard.xlsx。' if zh else 'All county indicators; townships only where a target is not met. Full table: scorecard.xlsx.'}</p>"
            f"<table class='grid'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>")
