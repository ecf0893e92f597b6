"""The reports of a run (``report.html``, ``report.docx``; the scorecards are
:mod:`~tcm_coverage.workflows.scorecards`'), apart
from :mod:`~tcm_coverage.workflows.write` (every output of a run) so that ``report``/``score``
from the store import neither folium (the map they embed is reused or built by the caller) nor
the print plates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tcm_coverage._version import __version__
from tcm_coverage.access import sensitivity_band
from tcm_coverage.outputs import (
    DecisionSections,
    ReportOptions,
    ReportTables,
    ScorecardFigure,
    county_report_docx,
    county_report_html,
    decision_sections_html,
    scorecard_figure,
    scorecard_section_html,
)
from tcm_coverage.workflows.config import AnalysisConfig
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.texts import (
    access_notes,
    capacity_notes,
    elderly_note,
    facility_notes,
    functional_note,
    slope_notes,
    source_lines,
)

__all__ = ["ReportParts", "functional_row", "report_parts", "write_docx_reports", "write_reports"]


@dataclass(frozen=True)
class ReportParts:
    """What ``report.html`` and ``report.docx`` of a run show alike, prepared once for both
    (:func:`report_parts`).

    Attributes
    ----------
    reports
        ``(code, name, options)`` of each county's report.
    sections
        The referral, fairness and sensitivity sections.
    scorecards
        Per county code, the scorecards' figures (title and table).
    """

    reports: tuple[tuple[str, str, ReportOptions], ...]
    sections: DecisionSections
    scorecards: Mapping[str, tuple[ScorecardFigure, ...]]


def report_parts(run: AnalysisRun, config: AnalysisConfig) -> ReportParts:
    """The parts of a run's reports that the HTML and the Word report share.

    Parameters
    ----------
    run
        A computed or stored run (with its scorecards).
    config
        Its configuration.

    Returns
    -------
    ReportParts
    """
    lang = config.rendering.lang
    reports = tuple(_county_reports(run, config))
    cards = tuple(run.scorecards.values())
    return ReportParts(reports=reports, sections=_decision_sections(run, config),
                       scorecards={code: tuple(scorecard_figure(card, county_code=code, lang=lang)
                                               for card in cards)
                                   for code, _name, _options in reports})


def _county_reports(run: AnalysisRun, config: AnalysisConfig) -> list[tuple[str, str, ReportOptions]]:
    """``(code, name, options)`` of each county's report (HTML and Word alike)."""
    opts, lang = config.options, config.rendering.lang
    if run.demand is None:
        raise ValueError("the run has no demand points (use workflows.compute)")
    notes = [*facility_notes(config, run.access.facilities, run.facility_review),
             *access_notes(config, run.access), *slope_notes(config, run.access),
             *(("：" if lang == "zh" else ": ").join(row)
               for row in (elderly_note(config, run.elderly), functional_row(run, config)))]
    options = ReportOptions(modes=opts.modes, thresholds=opts.thresholds,
                            headline_threshold=opts.headline_threshold,
                            headline_mode=opts.headline_mode, notes=notes,
                            sources=source_lines(config), run_date=date.today().isoformat(),
                            software=f"tcm-coverage {__version__}", lang=lang,
                            capacity_notes=(tuple(capacity_notes(config, run.capacity))
                                            if opts.capacity else None),
                            bands=sensitivity_band(run.sensitivity))
    county = run.tables.county
    codes = list(dict.fromkeys(county["code"].astype(str)))
    return [(code, str(county.loc[county["code"].astype(str) == code, "name"].iloc[0]), options)
            for code in codes]


def _report_tables(run: AnalysisRun) -> ReportTables:
    assert run.demand is not None  # checked by _county_reports
    return ReportTables(county_table=run.tables.county, township_table=run.tables.township,
                        demand=run.demand, fca_areas=run.fca_areas)


def write_reports(run: AnalysisRun, config: AnalysisConfig, out_dir: Path,
                  map_page: str | None, *, parts: ReportParts | None = None) -> list[Path]:
    """Write ``report.html`` (``report_{code}.html`` per county when there are several).

    Parameters
    ----------
    run
        A computed run.
    config
        Its configuration.
    out_dir
        Destination folder.
    map_page
        The map page to embed (or ``None``).
    parts
        The parts shared with ``report.docx`` (:func:`report_parts`; ``None``: prepared here).

    Returns
    -------
    list of pathlib.Path
    """
    lang = config.rendering.lang
    parts = parts or report_parts(run, config)
    files = []
    for code, name, options in parts.reports:
        page = county_report_html(
            _report_tables(run), options, county_code=code, county_name=name, map_page=map_page,
            after_townships=decision_sections_html(parts.sections, code),
            extra_sections=[scorecard_section_html(card, county_code=code, lang=lang)
                            for card in parts.scorecards[code]])
        path = out_dir / ("report.html" if len(parts.reports) == 1 else f"report_{code}.html")
        path.write_text(page, encoding="utf-8")
        files.append(path)
    return files


def _decision_sections(run: AnalysisRun, config: AnalysisConfig) -> DecisionSections:
    """The referral, fairness and sensitivity sections of the reports."""
    opts = config.options
    return DecisionSections(referral_township=run.referral_township, fairness=run.fairness, lorenz=run.lorenz,
                            sensitivity=run.sensitivity, headline_mode=opts.headline_mode,
                            headline_threshold=opts.headline_threshold,
                            referral_minutes=opts.referral_minutes, lang=config.rendering.lang)


def write_docx_reports(run: AnalysisRun, config: AnalysisConfig, out_dir: Path, *,
                       map_images: Mapping[str, bytes | Path] | None = None,
                       parts: ReportParts | None = None) -> list[Path]:
    """Write ``report.docx`` (``report_{code}.docx`` per county when there are several), the
    Word report with the sections and figures of ``report.html``.

    Parameters
    ----------
    run
        A computed run.
    config
        Its configuration.
    out_dir
        Destination folder.
    map_images
        The print map plate per county code (PNG bytes or file); a county without one gets a
        report whose map section says no plate is attached.
    parts
        The parts shared with ``report.html`` (:func:`report_parts`; ``None``: prepared here).

    Returns
    -------
    list of pathlib.Path
    """
    parts = parts or report_parts(run, config)
    files = []
    for code, name, options in parts.reports:
        path = out_dir / ("report.docx" if len(parts.reports) == 1 else f"report_{code}.docx")
        files.append(county_report_docx(_report_tables(run), options, county_code=code, county_name=name,
                                        path=path, scorecards=parts.scorecards[code],
                                        map_image=(map_images or {}).get(code), decisions=parts.sections))
    return files


def functional_row(run: AnalysisRun, config: AnalysisConfig) -> tuple[str, str]:
    """The 说明 row on the rule that counted a 中医馆/中医阁 (naming the profile that set it)."""
    return functional_note(config, run.access.facilities, run.functional_rule,
                           profile=run.functional_profile)
