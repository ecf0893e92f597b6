"""What a planner opens: tables (XLSX/CSV/GPKG), maps (Folium HTML), the HTML report and the scorecard.

Modules: :mod:`~tcm_coverage.outputs.style` (colours, classes, number formats),
:mod:`~tcm_coverage.outputs.maps` (coverage map layers), :mod:`~tcm_coverage.outputs.map_page`
(basemaps, the page as one file), :mod:`~tcm_coverage.outputs.report_html` (with its chart, :mod:`~tcm_coverage.outputs.chart`),
:mod:`~tcm_coverage.outputs.report_docx` (the Word report; both reports take their figures from
:mod:`~tcm_coverage.outputs.report_figures`, the Word one its fonts from :mod:`~tcm_coverage.outputs.fonts`),
:mod:`~tcm_coverage.outputs.scorecard` (computing), :mod:`~tcm_coverage.outputs.scorecard_text`
and :mod:`~tcm_coverage.outputs.scorecard_render` (its text, HTML and XLSX),
:mod:`~tcm_coverage.outputs.tables` (with the township layer, :mod:`~tcm_coverage.outputs.township_layer`), and the referral/fairness/sensitivity tables and report
sections (:mod:`~tcm_coverage.outputs.decision_tables`, :mod:`~tcm_coverage.outputs.report_decisions`),
the print plates :mod:`~tcm_coverage.outputs.print_map`
(with :mod:`~tcm_coverage.outputs.print_layers`, :mod:`~tcm_coverage.outputs.print_options`,
:mod:`~tcm_coverage.outputs.print_basemap` and the CJK fonts :mod:`~tcm_coverage.outputs.fonts`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tcm_coverage._lazy import lazy_face

if TYPE_CHECKING:  # the names below, for type checkers and editors (imported on first use)
    from tcm_coverage.outputs.basemaps import BASEMAPS
    from tcm_coverage.outputs.chart import (
        cumulative_chart_png,
        cumulative_chart_svg,
        cumulative_curve,
        lorenz_chart_svg,
    )
    from tcm_coverage.outputs.decision_tables import (
        DecisionTables,
        decision_sheets,
        localize_decision_table,
        write_decision_tables,
    )
    from tcm_coverage.outputs.fonts import CJK_FONT_PACKAGE, cjk_font, find_cjk_font
    from tcm_coverage.outputs.map_layers import MapLayers
    from tcm_coverage.outputs.map_page import (
        MapCache,
        base_map,
        compact_geojson,
        map_html,
        prepare_layer,
        save_map,
    )
    from tcm_coverage.outputs.map_referral import REFERRAL_LINE_COLOURS, referral_layer
    from tcm_coverage.outputs.maps import MapOptions, compact_page, coverage_map
    from tcm_coverage.outputs.print_basemap import open_tiles
    from tcm_coverage.outputs.print_map import (
        print_atlas_figures,
        print_map_figure,
        save_plate,
        write_print_atlas,
        write_print_map,
    )
    from tcm_coverage.outputs.print_options import PAPER_SIZES, PRINT_FORMATS, PrintOptions
    from tcm_coverage.outputs.report_decisions import (
        DecisionSections,
        band_text,
        decision_sections_html,
    )
    from tcm_coverage.outputs.report_docx import DocxFonts, county_report_docx, docx_fonts
    from tcm_coverage.outputs.report_figures import (
        ReportOptions,
        ReportTables,
        ScorecardFigure,
        scorecard_figure,
    )
    from tcm_coverage.outputs.report_html import county_report_html, scorecard_section_html
    from tcm_coverage.outputs.scorecard import Scorecard, scorecard
    from tcm_coverage.outputs.scorecard_render import scorecard_html, write_scorecard
    from tcm_coverage.outputs.scorecard_text import (
        SCORECARD_COLUMNS,
        STATUSES,
        render_scorecard,
        status_label,
    )
    from tcm_coverage.outputs.style import (
        SHARE_BREAKS,
        SHARE_COLOURS,
        SHARE_TINTS,
        STATUS_COLOURS,
        TIER_STYLE,
        share_colour,
    )
    from tcm_coverage.outputs.tables import (
        COLUMN_LABELS,
        NO_DATA,
        column_label,
        localize,
        rounded_table,
        save_layer,
        with_no_data,
        write_isochrones,
        write_layers,
        write_manifest,
        write_tables,
    )
    from tcm_coverage.outputs.township_layer import (
        TOWNSHIP_LAYER,
        township_files,
        township_layer,
        write_township_layer,
    )

__all__ = [
    "BASEMAPS",
    "CJK_FONT_PACKAGE",
    "COLUMN_LABELS",
    "DecisionSections",
    "DecisionTables",
    "DocxFonts",
    "MapCache",
    "MapLayers",
    "MapOptions",
    "NO_DATA",
    "PAPER_SIZES",
    "PRINT_FORMATS",
    "PrintOptions",
    "REFERRAL_LINE_COLOURS",
    "ReportOptions",
    "ReportTables",
    "SCORECARD_COLUMNS",
    "SHARE_BREAKS",
    "SHARE_COLOURS",
    "SHARE_TINTS",
    "STATUSES",
    "STATUS_COLOURS",
    "Scorecard",
    "ScorecardFigure",
    "TIER_STYLE",
    "TOWNSHIP_LAYER",
    "band_text",
    "base_map",
    "cjk_font",
    "column_label",
    "compact_geojson",
    "compact_page",
    "county_report_docx",
    "county_report_html",
    "coverage_map",
    "cumulative_chart_png",
    "cumulative_chart_svg",
    "cumulative_curve",
    "decision_sections_html",
    "decision_sheets",
    "docx_fonts",
    "find_cjk_font",
    "localize",
    "localize_decision_table",
    "lorenz_chart_svg",
    "map_html",
    "open_tiles",
    "prepare_layer",
    "print_atlas_figures",
    "print_map_figure",
    "referral_layer",
    "render_scorecard",
    "rounded_table",
    "save_layer",
    "save_map",
    "save_plate",
    "scorecard",
    "scorecard_figure",
    "scorecard_html",
    "scorecard_section_html",
    "share_colour",
    "status_label",
    "township_files",
    "township_layer",
    "with_no_data",
    "write_decision_tables",
    "write_isochrones",
    "write_layers",
    "write_manifest",
    "write_print_atlas",
    "write_print_map",
    "write_scorecard",
    "write_tables",
    "write_township_layer",
]

lazy_face(__name__)
