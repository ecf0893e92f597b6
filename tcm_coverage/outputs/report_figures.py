"""The figures of the county report, computed once for every format it is written in.

``report.html`` (:mod:`~tcm_coverage.outputs.report_html`) and ``report.docx``
(:mod:`~tcm_coverage.outputs.report_docx`) show the same numbers with the same rounding: both
take them from here as plain text (never markup; each format escapes it its own way), with the
share behind a cell where the cell is tinted by its class (:mod:`~tcm_coverage.outputs.style`).

* :class:`ReportTables`, :class:`ReportOptions`: what a report shows and is about;
* :func:`headline_figures`: one :class:`HeadlineFigure` per mode;
* :func:`threshold_table`, :func:`township_table`, :func:`scorecard_table`: a
  :class:`FigureTable` each (header, rows of :class:`Cell`);
* :func:`cumulative_curves`: the curves of the travel-time chart;
* :func:`report_title`, :func:`county_population`, :func:`fca_note`;
* the decision sections of issue 15 (:class:`DecisionSections` in): :func:`referral_figure`,
  :func:`fairness_figure`, :func:`sensitivity_figure` (:func:`decision_figures`: those that
  exist), a :class:`DecisionFigure` each, rendered by
  :mod:`~tcm_coverage.outputs.report_decisions` (HTML) and ``report_docx`` (Word).

An unknown share (a township without residents, a column not computed) is ``无数据`` / "no
data", never 0 %.

Why this module is long: it is the one home of every figure the two report formats show (the
brief of issue 13: compute once, render twice); splitting the decision sections off would give
them a second home of the shared helpers (``Cell``, ``FigureTable``, the share texts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from tcm_coverage.i18n import label, text
from tcm_coverage.outputs.chart import cumulative_curve
from tcm_coverage.outputs.scorecard import Scorecard
from tcm_coverage.outputs.scorecard_text import render_scorecard
from tcm_coverage.outputs.style import fmt_int, fmt_min, share_range
from tcm_coverage.vocab import (
    HEADLINE_FACILITY_SET,
    POPULATION_65PLUS,
    capacity_pop_column,
    capacity_share_column,
    elderly_column,
    share_column,
    time_column,
)

__all__ = ["Cell", "DecisionFigure", "DecisionSections", "FigureTable", "HeadlineFigure", "ReportOptions",
           "ReportTables", "ScorecardFigure", "band_text", "capacity_table", "county_population", "county_rows",
           "cumulative_curves", "decision_figures", "fairness_figure", "fca_note", "headline_figures", "mode_rows",
           "referral_figure", "report_title", "scorecard_figure", "scorecard_table", "sensitivity_figure",
           "share_text", "threshold_table", "township_table"]

#: Minutes of the cumulative chart's grid.
CHART_GRID = np.arange(0, 61, 1.0)


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
    capacity_notes
        How the capacity-aware coverage was computed (shown under its table); ``None``: it was
        not asked for (no section); empty with no capacity columns: the section says 无数据.
    bands
        County code -> (headline, low, high) share of the sensitivity band
        (:func:`tcm_coverage.access.sensitivity_band`), shown with the headline mode's share.
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
    capacity_notes: Sequence[str] | None = None
    bands: Mapping[str, tuple[float, float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, and the share that tints it (``None``: no tint)."""

    text: str
    share: float | None = None


@dataclass(frozen=True)
class FigureTable:
    """A table of the report: header texts, rows of cells, and per row a scorecard status
    (empty for the other tables). The first cell of a row names it (mode, township, area)."""

    heads: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeadlineFigure:
    """The headline of one mode: share within the headline threshold and what goes with it.

    Attributes
    ----------
    mode, mode_label
        The mode and its label.
    share
        ``78.5%`` (a range when unknown 中医馆/中医阁 leave one; 无数据 when unknown).
    bounds
        The lower/upper bound sentence when there is a range, else ``""``.
    within
        ``居民 15 分钟内可达``.
    beyond, mean
        Residents beyond the threshold (a range when uncertain) and the mean minutes.
    detail
        The sentence under the share (beyond and mean, and the unknown-as-none remark).
    band
        The sensitivity band of the headline mode (``敏感性区间 60–90%``), else ``""``.
    elderly
        The residents-65+ line (``65岁以上：22.8%``; 无数据 when the run has no 65+ layer).
    """

    mode: str
    mode_label: str
    share: str
    bounds: str
    within: str
    beyond: str
    mean: str
    detail: str
    band: str = ""
    elderly: str = ""


def share_text(share: float, upper: float, lang: str) -> str:
    """:func:`~tcm_coverage.outputs.style.share_range`, or 无数据 / "no data" when unknown."""
    return share_range(share, upper) if np.isfinite(share) else text("outputs.no_data", lang)


def _upper(r: pd.Series, minutes: float) -> float:
    """The upper-bound share (unknown 中医馆/中医阁 counted as yes), NaN when not computed."""
    v = r.get(share_column(minutes, upper=True), np.nan)
    return float(v) if v is not None and pd.notna(v) else float("nan")


def _share(r: pd.Series, minutes: float) -> float:
    v = r.get(share_column(minutes), np.nan)
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


def county_rows(tables: ReportTables, county_code: str) -> pd.DataFrame:
    """The rows of one county in the county table (one per mode)."""
    county = tables.county_table
    return county[county["code"].astype(str) == str(county_code)]


def county_population(tables: ReportTables, county_code: str) -> float:
    """The county's modelled population (NaN when the county has no row)."""
    ctab = county_rows(tables, county_code)
    return float(ctab["population"].iloc[0]) if len(ctab) else float("nan")


def report_title(options: ReportOptions, county_name: str) -> str:
    """``屯留区 中医药服务15分钟可达性报告``."""
    return text("outputs.report_title", options.lang, county=county_name, thr=f"{options.headline_threshold:g}")


def mode_rows(ctab: pd.DataFrame, modes: Sequence[str]) -> list[tuple[str, pd.Series]]:
    """The first county row of each computed mode."""
    out = []
    for mode in modes:
        row = ctab[ctab["mode"] == mode]
        if not row.empty:
            out.append((mode, row.iloc[0]))
    return out


def _headline(mode: str, r: pd.Series, minutes: float, lang: str) -> HeadlineFigure:
    thr = f"{minutes:g}"
    share, upper = _share(r, minutes), _upper(r, minutes)
    beyond = float(r["population"]) - float(r.get(f"pop_within_{thr}", np.nan))
    bounds = ""
    if np.isfinite(upper) and round(upper, 3) != round(share, 3):
        bounds = text("outputs.report_bounds", lang, share=share, upper=upper)
    beyond_text = _beyond_text(float(r["population"]), beyond, upper)
    mean = fmt_min(r.get("mean_min"))
    detail = (text("outputs.report_card_beyond", lang, beyond=beyond_text, mean=mean)
              + (text("outputs.report_unknown_as_none", lang) if bounds else ""))
    return HeadlineFigure(mode=mode, mode_label=label("mode", mode, lang), share=share_text(share, upper, lang),
                          bounds=bounds, within=text("outputs.report_card_within", lang, thr=thr),
                          beyond=beyond_text, mean=mean, detail=detail)


def _band_text(mode: str, r: pd.Series, options: ReportOptions) -> str:
    b = options.bands.get(str(r["code"])) if mode == options.headline_mode else None
    if b is None:
        return ""
    return text("outputs.dec_sensitivity_band", options.lang, low=100 * b[1], high=100 * b[2])


def _elderly_share(r: pd.Series, minutes: float) -> tuple[float, float]:
    """The residents-65+ share within ``minutes`` and its upper bound (NaN: none / no data)."""
    col = elderly_column(share_column(minutes))
    share = float(r[col]) if col in r and pd.notna(r[col]) else float("nan")
    up = elderly_column(share_column(minutes, upper=True))
    upper = float(r[up]) if up in r and pd.notna(r[up]) else float("nan")
    return share, upper


def _elderly_text(mode: str, r: pd.Series, minutes: float, lang: str) -> str:
    """The headline's line on residents 65+ (无数据 when the run has none)."""
    share, upper = _elderly_share(r, minutes)
    value = share_text(share, upper, lang)
    pace = text("outputs.report_65plus_pace", lang) if mode == "walk" and np.isfinite(share) else ""
    return text("outputs.report_card_65plus", lang, share=value) + pace


def headline_figures(ctab: pd.DataFrame, options: ReportOptions) -> list[HeadlineFigure]:
    """One headline per computed mode of the county rows ``ctab`` (:func:`county_rows`)."""
    thr, lang = options.headline_threshold, options.lang
    return [replace(_headline(mode, r, thr, lang), band=_band_text(mode, r, options),
                    elderly=_elderly_text(mode, r, thr, lang))
            for mode, r in mode_rows(ctab, options.modes)]


def capacity_table(ctab: pd.DataFrame, options: ReportOptions) -> FigureTable | None:
    """考虑服务能力: per mode the plain share beside the share within capacity (its upper bound
    when some capacity is unknown) and the residents within capacity; ``None`` when the county
    table has no capacity columns (no capacity known: 无数据)."""
    lang, minutes = options.lang, options.headline_threshold
    thr = f"{minutes:g}"
    col = capacity_share_column(minutes)
    if col not in ctab:
        return None
    rows = []
    for mode, r in mode_rows(ctab, options.modes):
        share = float(r.get(col, np.nan))
        upper = r.get(capacity_share_column(minutes, upper=True), np.nan)
        upper = float(upper) if upper is not None and pd.notna(upper) else float("nan")
        rows.append((Cell(label("mode", mode, lang)),
                     Cell(share_text(_share(r, minutes), _upper(r, minutes), lang)),
                     Cell(share_text(share, upper, lang), share),
                     Cell(fmt_int(r.get(capacity_pop_column(minutes), np.nan)))))
    heads = (text("outputs.report_mode", lang), text("outputs.report_capacity_plain", lang, thr=thr),
             text("outputs.report_capacity_share", lang, thr=thr), text("outputs.report_capacity_pop", lang))
    return FigureTable(heads=heads, rows=tuple(rows))


def threshold_table(ctab: pd.DataFrame, options: ReportOptions) -> FigureTable:
    """The county's share within every threshold, per mode, with the mean and P90 times."""
    lang = options.lang
    heads = (text("outputs.report_mode", lang),
             *(text("outputs.report_within_minutes", lang, minutes=t) for t in options.thresholds),
             text("outputs.report_mean", lang), text("outputs.report_p90", lang))
    rows = tuple(
        (Cell(label("mode", mode, lang)),
         *(Cell(share_text(_share(r, t), _upper(r, t), lang), _share(r, t)) for t in options.thresholds),
         Cell(fmt_min(r.get("mean_min"))), Cell(fmt_min(r.get("p90_min"))))
        for mode, r in mode_rows(ctab, options.modes))
    return FigureTable(heads=heads, rows=rows)


def cumulative_curves(tables: ReportTables, options: ReportOptions,
                      county_code: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{mode: (minutes, share)}``: the share of the county's residents reaching a TCM service
    point within each minute (0–60) of the chart."""
    demand = tables.demand
    sub = demand[demand["county_code"].astype(str) == str(county_code)] if "county_code" in demand else demand
    columns = {m: time_column(HEADLINE_FACILITY_SET, m) for m in options.modes}
    return {m: (CHART_GRID, cumulative_curve(sub[col].to_numpy(float), sub["population"].to_numpy(float),
                                             CHART_GRID))
            for m, col in columns.items() if col in sub}


def _fca_column(tables: ReportTables, mode: str) -> pd.Series | None:
    """E2SFCA per township code (``None`` when not computed)."""
    fca_areas, col = tables.fca_areas, f"fca_e2sfca_{mode}"
    if fca_areas is None or col not in fca_areas:
        return None
    return fca_areas.set_index(fca_areas["code"].astype(str))[col]


def _township_row(r: pd.Series, minutes: float, fca: pd.Series | None, lang: str) -> tuple[Cell, ...]:
    thr = f"{minutes:g}"
    share, upper = _share(r, minutes), _upper(r, minutes)
    beyond = float(r["population"]) - float(r.get(f"pop_within_{thr}", 0.0) or 0.0)
    cells = [Cell(str(r["name"])), Cell(fmt_int(r["population"])), Cell(share_text(share, upper, lang), share),
             Cell(_beyond_text(float(r["population"]), beyond, upper)), Cell(fmt_min(r.get("mean_min"))),
             Cell(_flag_cell(r, "n_centres_zhongyiguan", "n_centres", lang)),
             Cell(_flag_cell(r, "n_stations_zhongyige", "n_stations", lang))]
    cap = capacity_share_column(minutes)
    if cap in r:
        within = float(r[cap]) if pd.notna(r[cap]) else float("nan")
        cells.append(Cell(share_text(within, float("nan"), lang), within))
    if fca is not None:
        cells.append(Cell(fmt_min(fca.get(str(r["code"])))))
    if POPULATION_65PLUS in r:  # residents 65+ (access/elderly.py)
        share65, upper65 = _elderly_share(r, minutes)
        cells += [Cell(fmt_int(r[POPULATION_65PLUS])), Cell(share_text(share65, upper65, lang), share65)]
    return tuple(cells)


def township_table(tables: ReportTables, options: ReportOptions, county_code: str) -> FigureTable | None:
    """Coverage per township of the county in the headline mode and threshold, lowest share
    first (unknown shares first of all); ``None`` without townships."""
    if tables.township_table is None or not len(tables.township_table):
        return None
    lang, minutes = options.lang, options.headline_threshold
    thr = f"{minutes:g}"
    tt = tables.township_table[tables.township_table["mode"] == options.headline_mode].copy()
    if "parent_code" in tt and tt["parent_code"].notna().any():
        tt = tt[tt["parent_code"].astype(str) == str(county_code)]
    tt = tt.sort_values(share_column(minutes), na_position="first")
    fca = _fca_column(tables, options.headline_mode)
    heads = [text("outputs.report_township", lang), text("outputs.report_population", lang),
             text("outputs.report_share_within", lang, thr=thr), text("outputs.report_beyond", lang),
             text("outputs.report_mean", lang), text("outputs.report_centres", lang),
             text("outputs.report_clinics", lang)]
    if capacity_share_column(minutes) in tt:
        heads.append(text("outputs.report_capacity_share", lang, thr=thr))
    if fca is not None:
        heads.append(text("outputs.report_fca", lang))
    if POPULATION_65PLUS in tt:
        heads += [text("outputs.report_65plus_population", lang),
                  text("outputs.report_65plus_share", lang, thr=thr)]
    return FigureTable(heads=tuple(heads),
                       rows=tuple(_township_row(r, minutes, fca, lang) for _, r in tt.iterrows()))


def fca_note(tables: ReportTables, options: ReportOptions) -> str:
    """The note under the township table on the E2SFCA column (``""`` when not computed)."""
    if _fca_column(tables, options.headline_mode) is None or tables.fca_areas is None:
        return ""
    thr, lang = f"{options.headline_threshold:g}", options.lang
    unknown = int(tables.fca_areas.attrs.get("unknown_flags", 0))
    return (text("outputs.report_fca_note", lang, thr=thr)
            + (text("outputs.report_fca_lower_bound", lang, n=unknown) if unknown else ""))


def scorecard_table(card: Scorecard, *, county_code: str, lang: str = "zh") -> FigureTable:
    """A plan-target scorecard's rows for the report: every county row, then the township rows
    that are not met; :attr:`FigureTable.statuses` colours them."""
    rows = card.rows
    shown = render_scorecard(rows, lang)
    county = (rows["level"] == "county") & (rows["code"].astype(str) == str(county_code))
    towns = (rows["level"] == "township") & (rows["status"] == "unmet")
    if "parent_code" in rows and rows["parent_code"].notna().any():
        towns &= rows["parent_code"].astype(str) == str(county_code)
    picked = rows.index[county | towns]
    heads = tuple(text(f"outputs.report_sc_{k}", lang) for k in ("area", "indicator", "value", "target", "met", "gap"))
    body = tuple((Cell(str(rows.at[i, "name"])), Cell(str(shown.at[i, "indicator_label"])),
                  Cell(str(shown.at[i, "value_text"])), Cell(str(shown.at[i, "target_text"])),
                  Cell(str(shown.at[i, "met"])), Cell(str(shown.at[i, "gap_text"] or "")))
                 for i in picked)
    return FigureTable(heads=heads, rows=body, statuses=tuple(str(rows.at[i, "status"]) for i in picked))


@dataclass(frozen=True)
class ScorecardFigure:
    """A plan-target scorecard as the reports show it for one county: its title and
    :func:`scorecard_table` (prepared once for ``report.html`` and ``report.docx``)."""

    title: str
    table: FigureTable


def scorecard_figure(card: Scorecard | ScorecardFigure, *, county_code: str, lang: str = "zh") -> ScorecardFigure:
    """The title and table of a scorecard in a county's report (a figure is returned as it is)."""
    if isinstance(card, ScorecardFigure):
        return card
    return ScorecardFigure(title=str(card.title_in(lang)),
                           table=scorecard_table(card, county_code=county_code, lang=lang))


# ---------------------------------------------------------------------------------------------
# the decision sections (issue 15): referral chain, fairness, sensitivity
# ---------------------------------------------------------------------------------------------
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


@dataclass(frozen=True)
class DecisionFigure:
    """One decision section (``kind``: ``"referral"``, ``"fairness"`` or ``"sensitivity"``):
    heading, the sentence under it and its table (the first cell of a row names it); the
    fairness section adds its Lorenz curve, the sensitivity section per row the low and high
    share (its tornado bars) and the headline share."""

    kind: str
    heading: str
    intro: str
    table: FigureTable
    lorenz: tuple[np.ndarray, np.ndarray] | None = None
    bars: tuple[tuple[float, float], ...] = ()
    headline: float = float("nan")


def _pct(v: Any) -> str:
    """A share as ``82.8%``, ``–`` when unknown."""
    x = float(v) if v is not None and pd.notna(v) else float("nan")
    return f"{x:.1%}" if np.isfinite(x) else "–"


def _points(v: Any) -> str:
    """A difference of shares in percentage points (``+16.4``), ``–`` when unknown."""
    x = float(v) if v is not None and pd.notna(v) else float("nan")
    return f"{100 * x:+.1f}" if np.isfinite(x) else "–"


def band_text(headline: float, low: float, high: float, lang: str) -> str:
    """``82.8%（79–86%）``: the headline share and its sensitivity band in whole percent."""
    return text("outputs.dec_band", lang, share=headline, low=100 * low, high=100 * high)


def _decision_rows(table: pd.DataFrame | None, county_code: str) -> pd.DataFrame | None:
    """The county's township rows then its county row (``None`` when the table or the county
    row is missing)."""
    if table is None or table.empty:
        return None
    county = table[(table["level"] == "county") & (table["code"].astype(str) == str(county_code))]
    if county.empty:
        return None
    towns = table[table["level"] == "township"]
    if "parent_code" in towns and towns["parent_code"].notna().any():
        towns = towns[towns["parent_code"].astype(str) == str(county_code)]
    return pd.concat([towns, county])


def referral_figure(s: DecisionSections, county_code: str) -> DecisionFigure | None:
    """The referral chain: the county share within the referral minutes, one row per township
    and the county last (``None`` without a referral table)."""
    rows, lang = _decision_rows(s.referral_township, county_code), s.lang
    if rows is None:
        return None
    c = rows.iloc[-1]
    intro = text("outputs.dec_referral_intro", lang, minutes=s.referral_minutes,
                 share=_pct(c["share_within_referral"]), within=fmt_int(c["pop_within_referral"]),
                 population=fmt_int(c["population"]))
    body = tuple(
        (Cell(str(r["name"])), Cell(fmt_int(r["clinics"])),
         Cell(f"{fmt_min(r.get('median_zhongyiguan_car'))} / {fmt_min(r.get('max_zhongyiguan_car'))}"),
         Cell(fmt_min(r.get("median_zhongyiguan_ebike"))),
         Cell(f"{fmt_min(r.get('median_county_tcm_car'))} / {fmt_min(r.get('max_county_tcm_car'))}"),
         Cell(fmt_min(r.get("resident_median_county_tcm_car"))), Cell(_pct(r["share_within_referral"])))
        for _, r in rows.iterrows())
    heads = tuple(text(f"outputs.dec_referral_{k}", lang, minutes=s.referral_minutes)
                  for k in ("township", "clinics", "to_guan", "to_guan_ebike", "to_county", "residents", "share"))
    return DecisionFigure(kind="referral", heading=text("outputs.dec_referral_heading", lang), intro=intro,
                          table=FigureTable(heads=heads, rows=body))


def fairness_figure(s: DecisionSections, county_code: str) -> DecisionFigure | None:
    """Gini, the 街道/乡镇 gap, the worst-three share, one row per township and the county last,
    and the county's Lorenz curve (``None`` without a fairness table)."""
    rows, lang = _decision_rows(s.fairness, county_code), s.lang
    if rows is None:
        return None
    c = rows.iloc[-1]
    gini = c.get("gini")
    intro = text("outputs.dec_fairness_intro", lang, gini="–" if gini is None or pd.isna(gini) else f"{gini:.3f}",
                 urban=_pct(c.get("urban_share_within")), rural=_pct(c.get("rural_share_within")),
                 gap=_points(c.get("gap_share_within")), minutes=s.headline_threshold,
                 uncovered=fmt_int(c.get("uncovered_population")),
                 worst_share=_pct(c.get("uncovered_share_worst3")),
                 worst=str(c.get("worst_townships") or "–"), unreached=fmt_int(c.get("unreachable_population")))
    body = tuple(
        (Cell(str(r["name"])),
         Cell(text(f"outputs.dec_kind_{r['kind'] or 'unknown'}", lang) if r["level"] == "township" else ""),
         Cell(fmt_int(r["population"])), Cell(_pct(r["share_within"])), Cell(fmt_min(r["mean_min"])),
         Cell("–" if pd.isna(r["gini"]) else f"{float(r['gini']):.3f}"), Cell(fmt_int(r["unreachable_population"])))
        for _, r in rows.iterrows())
    heads = (text("outputs.report_township", lang), text("outputs.dec_fairness_kind", lang),
             text("outputs.report_population", lang),
             text("outputs.report_share_within", lang, thr=f"{s.headline_threshold:g}"),
             text("outputs.report_mean", lang), text("outputs.dec_fairness_gini", lang),
             text("outputs.col_unreachable_population", lang))
    lorenz = None
    if s.lorenz is not None:
        pts = s.lorenz[s.lorenz["code"].astype(str) == str(county_code)]
        lorenz = (pts["p"].to_numpy(float), pts["lorenz"].to_numpy(float)) if len(pts) else None
    return DecisionFigure(kind="fairness", heading=text("outputs.dec_fairness_heading", lang, mode=label("mode", s.headline_mode, lang)),
                          intro=intro, table=FigureTable(heads=heads, rows=body), lorenz=lorenz)


def sensitivity_figure(s: DecisionSections, county_code: str) -> DecisionFigure | None:
    """The headline with its band and the tornado table, largest swing first (the table's
    order; ``None`` without a sensitivity table for the county)."""
    table, lang = s.sensitivity, s.lang
    sub = None if table is None or table.empty else table[table["code"].astype(str) == str(county_code)]
    if sub is None or sub.empty:
        return None
    low, high = sub["share_low"].to_numpy(float), sub["share_high"].to_numpy(float)
    headline = float(sub["headline"].iloc[0])
    values = np.concatenate([low, high, sub["headline"].to_numpy(float)])
    intro = text("outputs.dec_sensitivity_intro", lang, mode=label("mode", s.headline_mode, lang),
                 minutes=s.headline_threshold,
                 band=band_text(headline, float(np.nanmin(values)), float(np.nanmax(values)), lang))
    body = tuple((Cell(text(f"outputs.dec_assumption_{a}", lang)), Cell(_pct(lo)), Cell(_pct(hi)),
                  Cell(f"{100 * sw:.1f}"))
                 for a, lo, hi, sw in zip(sub["assumption"].astype(str), low, high, sub["swing"].astype(float),
                                          strict=True))
    heads = (text("outputs.dec_col_assumption", lang), text("outputs.dec_col_share_low", lang),
             text("outputs.dec_col_share_high", lang), text("outputs.dec_col_swing", lang) + " (pp)")
    return DecisionFigure(kind="sensitivity", heading=text("outputs.dec_sensitivity_heading", lang), intro=intro,
                          table=FigureTable(heads=heads, rows=body),
                          bars=tuple(zip(low.tolist(), high.tolist(), strict=True)), headline=headline)


def decision_figures(s: DecisionSections, county_code: str) -> list[DecisionFigure]:
    """The referral, fairness and sensitivity sections of one county, in order, those that exist."""
    figures = (referral_figure(s, county_code), fairness_figure(s, county_code), sensitivity_figure(s, county_code))
    return [f for f in figures if f is not None]
