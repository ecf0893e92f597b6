"""The county coverage report: one printable (A4) HTML page a planner hands to their director.

Sections: headline numbers per mode; coverage per township (classed colours); the
travel-time distribution as a cumulative chart (share of residents vs minutes, one line per
mode, drawn as inline SVG so the file needs nothing else: :mod:`tcm_coverage.outputs.chart`); the map embedded (the Folium page
inside an ``iframe``'s ``srcdoc``, so the report is one file); notes and sources. Chinese by
default, English with ``lang="en"``.

Each section is a function of the data it shows; :data:`_PAGE` is the page template.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tcm_coverage.i18n import label, text
from tcm_coverage.outputs.chart import cumulative_chart_svg, cumulative_curve
from tcm_coverage.outputs.scorecard import Scorecard
from tcm_coverage.outputs.scorecard_text import render_scorecard
from tcm_coverage.outputs.style import (
    MISSING_TINT,
    SHARE_TINTS,
    STATUS_COLOURS,
    fmt_int,
    fmt_min,
    share_colour,
    share_range,
)
from tcm_coverage.vocab import (
    HEADLINE_FACILITY_SET,
    POPULATION_65PLUS,
    elderly_column,
    share_column,
    time_column,
)

__all__ = ["ReportOptions", "ReportTables", "county_report_html", "cumulative_section",
           "headline_section", "map_section", "notes_section", "scorecard_section_html",
           "thresholds_section", "township_section"]

esc = html.escape


@dataclass(frozen=True)
class ReportTables:
    """What a report shows.

    Attributes
    ----------
    county_table, township_table
        The ``"county"`` and ``"township"`` tables of :func:`tcm_coverage.access.coverage.coverage_tables`.
    demand
        Demand points with ``population``, ``county_code`` and ``t_tcm_any_{mode}`` columns.
    fca_areas
        Per township ``code`` and ``fca_e2sfca_{mode}`` (from
        :func:`tcm_coverage.access.catchments.area_fca`): adds an E2SFCA column.
    """

    county_table: pd.DataFrame
    township_table: pd.DataFrame | None
    demand: pd.DataFrame
    fca_areas: pd.DataFrame | None = None


@dataclass(frozen=True)
class ReportOptions:
    """What a report is about and the lines around its numbers.

    Attributes
    ----------
    modes, thresholds
        What was computed.
    headline_threshold, headline_mode
        The threshold and mode of the township table and the map.
    notes, sources
        Lines for the notes and sources sections.
    run_date, software
        Shown in the header.
    lang
        ``"zh"`` or ``"en"``.
    """

    modes: Sequence[str]
    thresholds: Sequence[float]
    headline_threshold: float
    headline_mode: str
    notes: Sequence[str] = ()
    sources: Sequence[str] = ()
    run_date: str = ""
    software: str = ""
    lang: str = "zh"


def _cell_colour(share: float) -> str:
    return share_colour(share, SHARE_TINTS, MISSING_TINT)


def _upper(r: pd.Series, minutes: float) -> float:
    """The upper-bound share (unknown 中医馆/中医阁 counted as yes), NaN when not computed."""
    v = r.get(share_column(minutes, upper=True), np.nan)
    return float(v) if v is not None and pd.notna(v) else float("nan")


def _beyond_text(population: float, beyond: float, upper: float) -> str:
    """Residents beyond the threshold; a range when unknown 中医馆/中医阁 make it uncertain."""
    if np.isfinite(upper):
        fewest = population * (1.0 - upper)
        if round(fewest) != round(beyond):
            return f"{fmt_int(fewest)}–{fmt_int(beyond)}"
    return fmt_int(beyond)


def _flag_cell(r: pd.Series, have: str, n: str, lang: str) -> str:
    """``3/8`` centres with a 中医馆; 无数据 when no flag is known; the unknown count beside."""
    total = int(r.get(n, 0) or 0)
    unknown = int(r.get(f"{have}_unknown", 0) or 0)
    yes = int(r.get(have, 0) or 0)
    if total and unknown >= total:
        return text("outputs.no_data", lang)
    if unknown:
        return text("outputs.report_flag_unknown", lang, yes=yes, known=total - unknown, unknown=unknown)
    return f"{yes}/{total}"


def _county_rows(tables: ReportTables, county_code: str) -> pd.DataFrame:
    county = tables.county_table
    return county[county["code"].astype(str) == str(county_code)]


def _mode_rows(ctab: pd.DataFrame, modes: Sequence[str]) -> list[tuple[str, pd.Series]]:
    """The first county row of each computed mode."""
    out = []
    for mode in modes:
        row = ctab[ctab["mode"] == mode]
        if not row.empty:
            out.append((mode, row.iloc[0]))
    return out


def _headline_card(mode: str, r: pd.Series, minutes: float, lang: str) -> str:
    thr = f"{minutes:g}"
    share = float(r.get(share_column(minutes), np.nan))
    upper = _upper(r, minutes)
    beyond = float(r["population"]) - float(r.get(f"pop_within_{thr}", np.nan))
    bounds = ""
    if np.isfinite(upper) and round(upper, 3) != round(share, 3):
        bounds = f"<div class='card-small'>{text('outputs.report_bounds', lang, share=share, upper=upper)}</div>"
    small = text("outputs.report_card_beyond", lang, beyond=_beyond_text(float(r["population"]), beyond, upper),
                 mean=fmt_min(r.get("mean_min")))
    return ("<div class='card'>"
            f"<div class='card-mode'>{esc(label('mode', mode, lang))}</div>"
            f"<div class='card-big'>{share_range(share, upper)}</div>{bounds}"
            f"<div>{text('outputs.report_card_within', lang, thr=thr)}</div>"
            f"<div class='card-small'>{small}"
            f"{text('outputs.report_unknown_as_none', lang) if bounds else ''}</div>"
            f"{_elderly_line(mode, r, minutes, lang)}"
            "</div>")


def _elderly_share(r: pd.Series, minutes: float) -> tuple[float, float]:
    """The residents-65+ share within ``minutes`` and its upper bound (NaN: none / no data)."""
    col = elderly_column(share_column(minutes))
    share = float(r[col]) if col in r and pd.notna(r[col]) else float("nan")
    up = elderly_column(share_column(minutes, upper=True))
    upper = float(r[up]) if up in r and pd.notna(r[up]) else float("nan")
    return share, upper


def _elderly_line(mode: str, r: pd.Series, minutes: float, lang: str) -> str:
    """The card's line on residents 65+ (无数据 when the run has none)."""
    share, upper = _elderly_share(r, minutes)
    value = share_range(share, upper) if np.isfinite(share) else text("outputs.no_data", lang)
    pace = text("outputs.report_65plus_pace", lang) if mode == "walk" and np.isfinite(share) else ""
    return f"<div class='card-small'><b>{text('outputs.report_card_65plus', lang, share=value)}</b>{pace}</div>"


def headline_section(ctab: pd.DataFrame, options: ReportOptions) -> str:
    """One card per mode: the share within the headline threshold, residents beyond, mean time."""
    return "".join(_headline_card(mode, r, options.headline_threshold, options.lang)
                   for mode, r in _mode_rows(ctab, options.modes))


def thresholds_section(ctab: pd.DataFrame, options: ReportOptions) -> str:
    """The county's share within every threshold, per mode, with the mean and P90 times."""
    lang = options.lang
    head = "".join(f"<th>{text('outputs.report_within_minutes', lang, minutes=t)}</th>"
                   for t in options.thresholds)
    rows = []
    for mode, r in _mode_rows(ctab, options.modes):
        cells = "".join(
            f"<td style='background:{_cell_colour(float(r[share_column(t)]))}'>"
            f"{share_range(float(r[share_column(t)]), _upper(r, t))}</td>"
            for t in options.thresholds)
        rows.append(f"<tr><th>{esc(label('mode', mode, lang))}</th>{cells}"
                    f"<td>{fmt_min(r.get('mean_min'))}</td><td>{fmt_min(r.get('p90_min'))}</td></tr>")
    return (f"<table class='grid'><thead><tr><th>{text('outputs.report_mode', lang)}</th>{head}"
            f"<th>{text('outputs.report_mean', lang)}</th><th>{text('outputs.report_p90', lang)}</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def cumulative_section(tables: ReportTables, options: ReportOptions, county_code: str) -> str:
    """The chart of the share of residents reaching a TCM service point against minutes."""
    grid = np.arange(0, 61, 1.0)
    demand = tables.demand
    sub = demand[demand["county_code"].astype(str) == str(county_code)] if "county_code" in demand else demand
    columns = {m: time_column(HEADLINE_FACILITY_SET, m) for m in options.modes}
    curves = {m: (grid, cumulative_curve(sub[col].to_numpy(float), sub["population"].to_numpy(float), grid))
              for m, col in columns.items() if col in sub}
    return cumulative_chart_svg(curves, threshold=options.headline_threshold, lang=options.lang)


def _fca_column(tables: ReportTables, mode: str) -> pd.Series | None:
    """E2SFCA per township code (``None`` when not computed)."""
    fca_areas, col = tables.fca_areas, f"fca_e2sfca_{mode}"
    if fca_areas is None or col not in fca_areas:
        return None
    return fca_areas.set_index(fca_areas["code"].astype(str))[col]


def _township_row(r: pd.Series, minutes: float, fca: pd.Series | None, lang: str) -> str:
    thr = f"{minutes:g}"
    share = float(r.get(share_column(minutes), np.nan))
    beyond = float(r["population"]) - float(r.get(f"pop_within_{thr}", 0.0) or 0.0)
    guan = _flag_cell(r, "n_centres_zhongyiguan", "n_centres", lang)
    ge = _flag_cell(r, "n_stations_zhongyige", "n_stations", lang)
    return (f"<tr><th>{esc(str(r['name']))}</th><td>{fmt_int(r['population'])}</td>"
            f"<td style='background:{_cell_colour(share)}'>"
            f"{share_range(share, _upper(r, minutes))}</td>"
            f"<td>{_beyond_text(float(r['population']), beyond, _upper(r, minutes))}</td>"
            f"<td>{fmt_min(r.get('mean_min'))}</td>"
            f"<td>{esc(guan)}</td><td>{esc(ge)}</td>"
            + (f"<td>{fmt_min(fca.get(str(r['code'])))}</td>" if fca is not None else "")
            + (_elderly_cells(r, minutes) if POPULATION_65PLUS in r else "")
            + "</tr>")


def _elderly_cells(r: pd.Series, minutes: float) -> str:
    share, upper = _elderly_share(r, minutes)
    return (f"<td>{fmt_int(r[POPULATION_65PLUS])}</td>"
            f"<td style='background:{_cell_colour(share)}'>{share_range(share, upper)}</td>")


def _fca_note(tables: ReportTables, thr: str, lang: str) -> str:
    unknown = int(tables.fca_areas.attrs.get("unknown_flags", 0)) if tables.fca_areas is not None else 0
    return (f"<p class='muted'>{text('outputs.report_fca_note', lang, thr=thr)}"
            + (text("outputs.report_fca_lower_bound", lang, n=unknown) if unknown else "") + "</p>")


def township_section(tables: ReportTables, options: ReportOptions, county_code: str) -> str:
    """Coverage per township in the headline mode and threshold, lowest share first."""
    if tables.township_table is None or not len(tables.township_table):
        return ""
    lang, minutes = options.lang, options.headline_threshold
    thr = f"{minutes:g}"
    tt = tables.township_table[tables.township_table["mode"] == options.headline_mode].copy()
    if "parent_code" in tt and tt["parent_code"].notna().any():
        tt = tt[tt["parent_code"].astype(str) == str(county_code)]
    tt = tt.sort_values(share_column(minutes), na_position="first")
    fca = _fca_column(tables, options.headline_mode)
    trs = [_township_row(r, minutes, fca, lang) for _, r in tt.iterrows()]
    heads = [text("outputs.report_township", lang), text("outputs.report_population", lang),
             text("outputs.report_share_within", lang, thr=thr), text("outputs.report_beyond", lang),
             text("outputs.report_mean", lang), text("outputs.report_centres", lang),
             text("outputs.report_clinics", lang)]
    if fca is not None:
        heads.append(text("outputs.report_fca", lang))
    if POPULATION_65PLUS in tt:
        heads += [text("outputs.report_65plus_population", lang),
                  text("outputs.report_65plus_share", lang, thr=thr)]
    mode_label = esc(label("mode", options.headline_mode, lang))
    return (f"<h2>{text('outputs.report_township_heading', lang, mode=mode_label, thr=thr)}</h2>"
            f"<p class='muted'>{text('outputs.report_lowest_first', lang)}</p>"
            "<table class='grid'><thead><tr>" + "".join(f"<th>{h}</th>" for h in heads)
            + f"</tr></thead><tbody>{''.join(trs)}</tbody></table>"
            + (_fca_note(tables, thr, lang) if fca is not None else ""))


def map_section(map_page: str | None, lang: str) -> str:
    """The map page embedded in an ``iframe`` (``srcdoc``), or nothing."""
    if map_page is None:
        return ""
    return (f"<h2>{text('outputs.report_map', lang)}</h2>"
            f"<iframe class='map' title='map' srcdoc=\"{html.escape(map_page, quote=True)}\"></iframe>"
            f"<p class='muted'>{text('outputs.report_map_hint', lang)}</p>")


def notes_section(options: ReportOptions) -> str:
    """The notes list (``none`` when empty) and the sources list."""
    lang = options.lang
    notes = "".join(f"<li>{esc(n)}</li>" for n in options.notes)
    sources = "".join(f"<li>{esc(s)}</li>" for s in options.sources)
    return (f"<h2>{text('outputs.report_notes', lang)}</h2>"
            f"<ul>{notes or '<li>' + text('outputs.report_none', lang) + '</li>'}</ul>\n"
            f"<h2>{text('outputs.sources', lang)}</h2><ul>{sources}</ul>")


_PAGE = """<!DOCTYPE html>
<html lang="{html_lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
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
<h1>{title}</h1>
<div class="muted">{code_label} {code} ·
{population_label} {population} · {run_date} · {software}</div>
<p>{intro}</p>
<h2>{headline_heading}</h2>
<div class="cards">{cards}</div>
<h2>{thresholds_heading}</h2>
{thresholds}
<h2>{chart_heading}</h2>
<p class="muted">{chart_note}</p>
{chart}
{townships}
{map}
{extra}
{notes}
</body></html>
"""


def county_report_html(
    tables: ReportTables,
    options: ReportOptions,
    *,
    county_code: str,
    county_name: str,
    map_page: str | None,
    extra_sections: Sequence[str] = (),
) -> str:
    """Render the coverage report of one county.

    Parameters
    ----------
    tables
        The coverage tables, demand points and E2SFCA areas.
    options
        Modes, thresholds, headline, notes, sources, date, software and language.
    county_code, county_name
        The county.
    map_page
        The map's HTML page (embedded with ``srcdoc``), or ``None``.
    extra_sections
        Further HTML sections (e.g. the plan-target scorecard) appended before the notes.

    Returns
    -------
    str
        A complete HTML page.
    """
    lang = options.lang
    ctab = _county_rows(tables, county_code)
    pop_total = float(ctab["population"].iloc[0]) if len(ctab) else float("nan")
    title = text("outputs.report_title", lang, county=county_name, thr=f"{options.headline_threshold:g}")
    return _PAGE.format(
        html_lang=text("outputs.html_lang", lang), title=esc(title),
        code_label=text("outputs.report_code", lang), code=esc(str(county_code)),
        population_label=text("outputs.report_population_model", lang), population=fmt_int(pop_total),
        run_date=esc(options.run_date), software=esc(options.software),
        intro=text("outputs.report_intro", lang),
        headline_heading=text("outputs.report_headline", lang), cards=headline_section(ctab, options),
        thresholds_heading=text("outputs.report_by_threshold", lang),
        thresholds=thresholds_section(ctab, options),
        chart_heading=text("outputs.report_distribution", lang), chart_note=text("outputs.report_chart_note", lang),
        chart=cumulative_section(tables, options, county_code),
        townships=township_section(tables, options, county_code), map=map_section(map_page, lang),
        extra="".join(extra_sections), notes=notes_section(options))


def scorecard_section_html(card: Scorecard, *, county_code: str, lang: str = "zh") -> str:
    """A report section from a plan-target scorecard: every county row, then the township
    rows that are not met.

    Parameters
    ----------
    card : Scorecard
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
    rows = card.rows
    shown = render_scorecard(rows, lang)
    county = (rows["level"] == "county") & (rows["code"].astype(str) == str(county_code))
    towns = (rows["level"] == "township") & (rows["status"] == "unmet")
    if "parent_code" in rows and rows["parent_code"].notna().any():
        towns &= rows["parent_code"].astype(str) == str(county_code)
    trs = []
    for i in rows.index[county | towns]:
        bg = STATUS_COLOURS[str(rows.at[i, "status"])]
        trs.append(
            f"<tr style='background:{bg}'><th style='white-space:nowrap'>{esc(str(rows.at[i, 'name']))}</th>"
            f"<td style='text-align:left'>{esc(str(shown.at[i, 'indicator_label']))}</td>"
            f"<td>{esc(str(shown.at[i, 'value_text']))}</td><td>{esc(str(shown.at[i, 'target_text']))}</td>"
            f"<td style='text-align:center;white-space:nowrap'>{esc(str(shown.at[i, 'met']))}</td>"
            f"<td style='text-align:left'>{esc(str(shown.at[i, 'gap_text'] or ''))}</td></tr>")
    title = card.title_in(lang)
    head = "".join(f"<th>{text(f'outputs.report_sc_{k}', lang)}</th>"
                   for k in ("area", "indicator", "value", "target", "met", "gap"))
    return (f"<h2>{text('outputs.report_sc_heading', lang, title=esc(str(title)))}</h2>"
            f"<p class='muted'>{text('outputs.report_sc_note', lang)}</p>"
            f"<table class='grid'><thead><tr>{head}</tr></thead><tbody>{''.join(trs)}</tbody></table>")
