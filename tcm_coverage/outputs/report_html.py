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

import pandas as pd

from tcm_coverage._safetext import html_unbroken
from tcm_coverage.i18n import label, text
from tcm_coverage.outputs.chart import cumulative_chart_svg
from tcm_coverage.outputs.report_figures import (
    Cell,
    FigureTable,
    HeadlineFigure,
    ReportOptions,
    ReportTables,
    ScorecardFigure,
    capacity_table,
    county_population,
    county_rows,
    cumulative_curves,
    fca_note,
    headline_figures,
    report_title,
    scorecard_figure,
    threshold_table,
    township_table,
)
from tcm_coverage.outputs.scorecard import Scorecard
from tcm_coverage.outputs.style import (
    MISSING_TINT,
    SHARE_TINTS,
    STATUS_COLOURS,
    fmt_int,
    share_colour,
)

__all__ = ["ReportOptions", "ReportTables", "capacity_section", "county_report_html", "cumulative_section",
           "headline_section", "map_section", "notes_section", "scorecard_section_html",
           "thresholds_section", "township_section"]

esc = html.escape


def _td(cell: Cell) -> str:
    """A data cell, tinted by its share's class when it has one."""
    if cell.share is None:
        return f"<td>{esc(cell.text)}</td>"
    return f"<td style='background:{share_colour(cell.share, SHARE_TINTS, MISSING_TINT)}'>{esc(cell.text)}</td>"


def _grid(table: FigureTable) -> str:
    """A ``grid`` table: the first cell of each row is its header."""
    head = "".join(f"<th>{html_unbroken(h)}</th>" for h in table.heads)
    body = "".join(f"<tr><th>{html_unbroken(row[0].text)}</th>{''.join(_td(c) for c in row[1:])}</tr>"
                   for row in table.rows)
    return f"<table class='grid'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _headline_card(h: HeadlineFigure) -> str:
    bounds = f"<div class='card-small'>{esc(h.bounds)}</div>" if h.bounds else ""
    band = f"<div class='card-small'>{esc(h.band)}</div>" if h.band else ""
    elderly = f"<div class='card-small'><b>{esc(h.elderly)}</b></div>" if h.elderly else ""
    return ("<div class='card'>"
            f"<div class='card-mode'>{esc(h.mode_label)}</div>"
            f"<div class='card-big'>{esc(h.share)}</div>{bounds}{band}"
            f"<div>{esc(h.within)}</div>"
            f"<div class='card-small'>{esc(h.detail)}</div>{elderly}"
            "</div>")






def headline_section(ctab: pd.DataFrame, options: ReportOptions) -> str:
    """One card per mode: the share within the headline threshold, residents beyond, mean time."""
    return "".join(_headline_card(h) for h in headline_figures(ctab, options))


def thresholds_section(ctab: pd.DataFrame, options: ReportOptions) -> str:
    """The county's share within every threshold, per mode, with the mean and P90 times."""
    return _grid(threshold_table(ctab, options))


def capacity_section(ctab: pd.DataFrame, options: ReportOptions) -> str:
    """考虑服务能力 (:func:`~tcm_coverage.outputs.report_figures.capacity_table`): 无数据 when no
    capacity is known; nothing when not asked for."""
    if options.capacity_notes is None:
        return ""
    lang = options.lang
    heading = f"<h2>{text('outputs.report_capacity_heading', lang, thr=f'{options.headline_threshold:g}')}</h2>"
    table = capacity_table(ctab, options)
    if table is None:
        return heading + f"<p>{text('outputs.report_capacity_none', lang)}</p>"
    notes = "".join(f"<p class='muted'>{esc(n)}</p>" for n in options.capacity_notes)
    return heading + _grid(table) + notes


def cumulative_section(tables: ReportTables, options: ReportOptions, county_code: str) -> str:
    """The chart of the share of residents reaching a TCM service point against minutes."""
    return cumulative_chart_svg(cumulative_curves(tables, options, county_code),
                                threshold=options.headline_threshold, lang=options.lang)


def township_section(tables: ReportTables, options: ReportOptions, county_code: str) -> str:
    """Coverage per township in the headline mode and threshold, lowest share first."""
    table = township_table(tables, options, county_code)
    if table is None:
        return ""
    lang, thr = options.lang, f"{options.headline_threshold:g}"
    note = fca_note(tables, options)
    mode_label = esc(label("mode", options.headline_mode, lang))
    return (f"<h2>{text('outputs.report_township_heading', lang, mode=mode_label, thr=thr)}</h2>"
            f"<p class='muted'>{text('outputs.report_lowest_first', lang)}</p>"
            + _grid(table) + (f"<p class='muted'>{esc(note)}</p>" if note else ""))


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
table.grid tr > th:first-child {{ white-space: nowrap; min-width: 4em; }} /* names never wrap per character */
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
{capacity}
<h2>{chart_heading}</h2>
<p class="muted">{chart_note}</p>
{chart}
{townships}
{decisions}
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
    after_townships: str = "",
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
    after_townships
        HTML shown right after the township table (the referral, fairness and sensitivity
        sections of :mod:`tcm_coverage.outputs.report_decisions`).

    Returns
    -------
    str
        A complete HTML page.
    """
    lang = options.lang
    ctab = county_rows(tables, county_code)
    pop_total = county_population(tables, county_code)
    title = report_title(options, county_name)
    return _PAGE.format(
        html_lang=text("outputs.html_lang", lang), title=esc(title),
        code_label=text("outputs.report_code", lang), code=esc(str(county_code)),
        population_label=text("outputs.report_population_model", lang), population=fmt_int(pop_total),
        run_date=esc(options.run_date), software=esc(options.software),
        intro=text("outputs.report_intro", lang),
        headline_heading=text("outputs.report_headline", lang), cards=headline_section(ctab, options),
        thresholds_heading=text("outputs.report_by_threshold", lang),
        thresholds=thresholds_section(ctab, options), capacity=capacity_section(ctab, options),
        chart_heading=text("outputs.report_distribution", lang), chart_note=text("outputs.report_chart_note", lang),
        chart=cumulative_section(tables, options, county_code),
        townships=township_section(tables, options, county_code), decisions=after_townships,
        map=map_section(map_page, lang),
        extra="".join(extra_sections), notes=notes_section(options))


def scorecard_section_html(card: Scorecard | ScorecardFigure, *, county_code: str, lang: str = "zh") -> str:
    """A report section from a plan-target scorecard: every county row, then the township
    rows that are not met.

    Parameters
    ----------
    card : Scorecard or ScorecardFigure
        From :func:`tcm_coverage.outputs.scorecard.scorecard`, or its figure for this county
        and language (:func:`~tcm_coverage.outputs.report_figures.scorecard_figure`).
    county_code : str
        The county of the report.
    lang : str
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        An HTML fragment (``<h2>`` and a table).
    """
    figure = scorecard_figure(card, county_code=county_code, lang=lang)
    table = figure.table
    trs = []
    for row, status in zip(table.rows, table.statuses, strict=True):
        name, indicator, value, target, met, gap = (c.text for c in row)
        trs.append(
            f"<tr style='background:{STATUS_COLOURS[status]}'><th style='white-space:nowrap'>{esc(name)}</th>"
            f"<td style='text-align:left'>{esc(indicator)}</td>"
            f"<td>{esc(value)}</td><td>{esc(target)}</td>"
            f"<td style='text-align:center;white-space:nowrap'>{esc(met)}</td>"
            f"<td style='text-align:left'>{esc(gap)}</td></tr>")
    title = figure.title
    head = "".join(f"<th>{html_unbroken(h)}</th>" for h in table.heads)
    return (f"<h2>{text('outputs.report_sc_heading', lang, title=esc(str(title)))}</h2>"
            f"<p class='muted'>{text('outputs.report_sc_note', lang)}</p>"
            f"<table class='grid'><thead><tr>{head}</tr></thead><tbody>{''.join(trs)}</tbody></table>")
