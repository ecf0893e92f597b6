"""The documents of a run: ``map.html``, ``report.html``, the print plates ``map.png``/``map.pdf``,
``report.docx`` and the scorecards (:func:`write_documents`), apart from
:mod:`~tcm_coverage.workflows.write` (the tables, layers and store) so that the process writing
the tables imports neither folium nor matplotlib nor python-docx: with two CPUs a second process
draws these (:mod:`~tcm_coverage.workflows.drawer`)."""

from __future__ import annotations

import logging
from pathlib import Path

from tcm_coverage.i18n import text
from tcm_coverage.outputs import (
    CJK_FONT_PACKAGE,
    compact_page,
    find_cjk_font,
    map_html,
    save_map,
    save_plate,
)
from tcm_coverage.workflows.config import AnalysisConfig
from tcm_coverage.workflows.documents import (
    ReportParts,
    report_parts,
    write_docx_reports,
    write_reports,
)
from tcm_coverage.workflows.plates import build_print_map, plate_images
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.scorecards import write_scorecards
from tcm_coverage.workflows.view import build_map

__all__ = ["shared_parts", "write_documents", "write_print_documents", "write_web_documents"]

logger = logging.getLogger(__name__)


def _write_print_maps(run: AnalysisRun, config: AnalysisConfig, out_dir: Path) -> list[Path]:
    """``map.png``/``map.pdf`` (the configured ``print_formats``); none, with a warning, when a
    Chinese plate has no CJK font to draw with (the run itself does not fail for it)."""
    rendering = config.rendering
    if not rendering.print_formats:
        return []
    if rendering.lang == "zh" and find_cjk_font() is None:
        logger.warning(text("workflows.print_no_font", rendering.lang, package=CJK_FONT_PACKAGE))
        return []
    fig = build_print_map(run, config)
    files = []
    for fmt in rendering.print_formats:
        save_plate(fig, out_dir / f"map.{fmt}", lang=rendering.lang)
        files.append(out_dir / f"map.{fmt}")
    return files


def write_print_documents(run: AnalysisRun, config: AnalysisConfig, out_dir: Path, *,
                          parts: ReportParts | None = None) -> list[Path]:
    """The documents a county hands in, as the configuration asks: the print plates
    (``rendering.print_formats``: ``map.png``, ``map.pdf``) and ``report.docx`` with the plate.

    Parameters
    ----------
    run
        A computed or stored run (:func:`~tcm_coverage.workflows.store.load_run` with its
        scorecards: a batch county draws them later from its store).
    config
        Its configuration.
    out_dir
        Destination folder (inside an output folder's build).
    parts
        The parts of ``report.docx`` already prepared for ``report.html``
        (:func:`~tcm_coverage.workflows.documents.report_parts`; ``None``: prepared here).

    Returns
    -------
    list of pathlib.Path
    """
    files = _write_print_maps(run, config, out_dir)
    if config.rendering.write_docx:
        files += write_docx_reports(run, config, out_dir, map_images=plate_images(run, config, out_dir, written=True),
                                    parts=parts)
    return files


def write_web_documents(run: AnalysisRun, config: AnalysisConfig, out_dir: Path, *,
                        parts: ReportParts | None = None) -> list[Path]:
    """``map.html`` and the HTML report(s) with their compact map, as the configuration asks.

    Parameters
    ----------
    run
        A computed or stored run.
    config
        Its configuration.
    out_dir
        Destination folder (inside an output folder's build).
    parts
        The report parts shared with ``report.docx``
        (:func:`~tcm_coverage.workflows.documents.report_parts`; ``None``: prepared here).

    Returns
    -------
    list of pathlib.Path
    """
    rendering = config.rendering
    files: list[Path] = []
    page = None
    if rendering.write_map:  # the report's map is the same page made compact: drawn once
        fmap = build_map(run, config)
        full = map_html(fmap, self_contained=rendering.self_contained)
        files.append(save_map(full, out_dir / "map.html"))
        page = compact_page(fmap, full)
    elif rendering.write_report:
        page = map_html(build_map(run, config, compact=True), self_contained=rendering.self_contained)
    if rendering.write_report:
        files += write_reports(run, config, out_dir, page, parts=parts)
    return files


def shared_parts(run: AnalysisRun, config: AnalysisConfig) -> ReportParts | None:
    """The report parts ``report.html`` and ``report.docx`` share, when either is written
    (prepared once, before the two halves of the documents are drawn).

    Parameters
    ----------
    run, config
        The run and its configuration.

    Returns
    -------
    ReportParts or None
    """
    rendering = config.rendering
    return report_parts(run, config) if rendering.write_report or rendering.write_docx else None


def write_documents(run: AnalysisRun, config: AnalysisConfig, out_dir: Path, *,
                    scorecards: bool = True) -> list[Path]:
    """``map.html``, the reports, the print documents and the scorecards, as the configuration
    asks (in that order).

    Parameters
    ----------
    run
        A computed run.
    config
        Its configuration.
    out_dir
        Destination folder (inside an output folder's build).
    scorecards
        With the scorecards (``False``: the process drawing the rest in parallel writes them,
        :mod:`~tcm_coverage.workflows.drawer`).

    Returns
    -------
    list of pathlib.Path
    """
    # report.html and report.docx: the scorecard tables and decision sections prepared once
    parts = shared_parts(run, config)
    files = (write_web_documents(run, config, out_dir, parts=parts)
             + write_print_documents(run, config, out_dir, parts=parts))
    if scorecards:
        files += write_scorecards(run, config, out_dir)
    return files
