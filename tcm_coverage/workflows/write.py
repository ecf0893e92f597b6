"""The outputs of a computed run: tables, layers, isochrones, map, reports, scorecards and
``run.json``, written into the output folder all or nothing."""

from __future__ import annotations

import dataclasses
import logging
import platform
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tcm_coverage._io import atomic_output_dir, file_sha256
from tcm_coverage._version import __version__
from tcm_coverage.access import sensitivity_band
from tcm_coverage.i18n import MODE_LABELS, text
from tcm_coverage.inputs import review_sheet
from tcm_coverage.outputs import (
    CJK_FONT_PACKAGE,
    DecisionSections,
    DecisionTables,
    MapCache,
    PrintOptions,
    ReportOptions,
    ReportTables,
    county_report_docx,
    county_report_html,
    decision_sections_html,
    find_cjk_font,
    map_html,
    print_map_figure,
    save_map,
    save_plate,
    scorecard_section_html,
    township_files,
    write_decision_tables,
    write_isochrones,
    write_layers,
    write_manifest,
    write_print_atlas,
    write_print_map,
    write_scorecard,
    write_tables,
)
from tcm_coverage.vocab import EXPORT_CRS, HEADLINE_FACILITY_SET
from tcm_coverage.workflows.config import AnalysisConfig, input_files
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.store import save_run
from tcm_coverage.workflows.texts import (
    access_notes,
    capacity_notes,
    decision_numbers,
    elderly_note,
    facility_notes,
    functional_note,
    headline_numbers,
    readme_rows,
    slope_notes,
    source_lines,
)
from tcm_coverage.workflows.view import build_map, check_view, map_layers

__all__ = ["RUN_PRINT_DPI", "build_print_map", "write_docx_reports", "write_geodata",
           "plate_images", "write_outputs", "write_print", "write_print_documents", "write_reports",
           "write_scorecards"]

logger = logging.getLogger(__name__)

#: Pixels per inch of the ``map.png`` a run writes (``map --format png`` draws at 300).
RUN_PRINT_DPI = 200.0


def build_print_map(run: AnalysisRun, config: AnalysisConfig, *, mode: str | None = None,
                    threshold: float | None = None, facility_set: str = HEADLINE_FACILITY_SET,
                    options: PrintOptions | None = None) -> Figure:
    """The print plate of a computed run (see :func:`tcm_coverage.outputs.print_map_figure`).

    Parameters
    ----------
    run, config
        A computed run and its configuration (language and sources fill ``options``' defaults).
    mode, threshold, facility_set
        What to show (default: the headline mode and threshold, any TCM service point).
    options
        Paper, orientation, dpi, basemap... (default: A4 portrait at :data:`RUN_PRINT_DPI`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    mode, thr = check_view(config, mode, threshold, facility_set)
    options = options or PrintOptions(dpi=RUN_PRINT_DPI)
    options = dataclasses.replace(options, lang=config.rendering.lang,
                                  sources=options.sources or tuple(source_lines(config)),
                                  run_date=options.run_date or date.today().isoformat())
    return print_map_figure(map_layers(run), mode=mode, threshold=thr, facility_set=facility_set,
                            options=options)


def write_print(run: AnalysisRun, config: AnalysisConfig, path: Path, *, mode: str | None = None,
                threshold: float | None = None, facility_set: str = HEADLINE_FACILITY_SET,
                options: PrintOptions | None = None, atlas: bool = False) -> list[Path]:
    """Write the print plate (or, with ``atlas``, the township atlas) of a computed run to
    ``path``, atomically, never over one of the run's inputs (``map --format png|pdf|svg``).

    Parameters
    ----------
    run, config
        A computed run and its configuration.
    path
        The file (its suffix gives the format); the atlas as PNG/SVG: ``<stem>_<code>.<fmt>``.
    mode, threshold, facility_set
        What to show (default: the headline mode and threshold, any TCM service point).
    options
        Paper, orientation, dpi, basemap, 审图号 (language, sources and date from the run).
    atlas
        One plate per township (乡镇图集) instead of the county plate.

    Returns
    -------
    list of pathlib.Path
    """
    mode, thr = check_view(config, mode, threshold, facility_set)
    options = dataclasses.replace(options or PrintOptions(), lang=config.rendering.lang,
                                  sources=tuple(source_lines(config)),
                                  run_date=date.today().isoformat())
    if atlas:
        return write_print_atlas(map_layers(run), path, mode=mode, threshold=thr,
                                 facility_set=facility_set, options=options,
                                 inputs=input_files(config))
    return [write_print_map(map_layers(run), path, mode=mode, threshold=thr,
                            facility_set=facility_set, options=options, inputs=input_files(config))]


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


def write_print_documents(run: AnalysisRun, config: AnalysisConfig, out_dir: Path) -> list[Path]:
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

    Returns
    -------
    list of pathlib.Path
    """
    files = _write_print_maps(run, config, out_dir)
    if config.rendering.write_docx:
        files += write_docx_reports(run, config, out_dir, map_images=plate_images(run, out_dir))
    return files


def _county_reports(run: AnalysisRun, config: AnalysisConfig) -> list[tuple[str, str, ReportOptions]]:
    """``(code, name, options)`` of each county's report (HTML and Word alike)."""
    opts, lang = config.options, config.rendering.lang
    if run.demand is None:
        raise ValueError("the run has no demand points (use workflows.compute)")
    notes = [*facility_notes(config, run.access.facilities, run.facility_review),
             *access_notes(config, run.access), *slope_notes(config, run.access),
             *(("：" if lang == "zh" else ": ").join(row)
               for row in (elderly_note(config, run.elderly), _functional_row(run, config)))]
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
                  map_page: str | None) -> list[Path]:
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

    Returns
    -------
    list of pathlib.Path
    """
    lang = config.rendering.lang
    reports = _county_reports(run, config)
    sections = _decision_sections(run, config)
    files = []
    for code, name, options in reports:
        page = county_report_html(
            _report_tables(run), options, county_code=code, county_name=name, map_page=map_page,
            after_townships=decision_sections_html(sections, code),
            extra_sections=[scorecard_section_html(card, county_code=code, lang=lang)
                            for card in run.scorecards.values()])
        path = out_dir / ("report.html" if len(reports) == 1 else f"report_{code}.html")
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


def _decision_tables(run: AnalysisRun, config: AnalysisConfig) -> DecisionTables:
    """The referral, fairness and sensitivity tables of a run, for the files."""
    return DecisionTables(referral_township=run.referral_township, referral_clinics=run.referral_clinics,
                          fairness=run.fairness, sensitivity=run.sensitivity,
                          referral_minutes=config.options.referral_minutes,
                          headline_threshold=config.options.headline_threshold)


def plate_images(run: AnalysisRun, folder: Path) -> dict[str, Path] | None:
    """The print plate (``folder/map.png``) of a one-county run for its Word report, else ``None``
    (no plate, or several counties on one plate)."""
    plate = Path(folder) / "map.png"
    codes = list(dict.fromkeys(run.tables.county["code"].astype(str)))
    return {codes[0]: plate} if plate.exists() and len(codes) == 1 else None


def write_docx_reports(run: AnalysisRun, config: AnalysisConfig, out_dir: Path, *,
                       map_images: Mapping[str, bytes | Path] | None = None) -> list[Path]:
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

    Returns
    -------
    list of pathlib.Path
    """
    reports = _county_reports(run, config)
    sections = _decision_sections(run, config)
    files = []
    for code, name, options in reports:
        path = out_dir / ("report.docx" if len(reports) == 1 else f"report_{code}.docx")
        files.append(county_report_docx(_report_tables(run), options, county_code=code, county_name=name,
                                        path=path, scorecards=list(run.scorecards.values()),
                                        map_image=(map_images or {}).get(code), decisions=sections))
    return files


def write_scorecards(run: AnalysisRun, config: AnalysisConfig, out_dir: Path) -> list[Path]:
    """Write ``scorecard.xlsx``/``.html`` (``scorecard_<profile>.*`` with several profiles).

    Parameters
    ----------
    run
        A computed run with :attr:`AnalysisRun.scorecards`.
    config
        Its configuration.
    out_dir
        Destination folder.

    Returns
    -------
    list of pathlib.Path
    """
    files: list[Path] = []
    for name, card in run.scorecards.items():
        stem = "scorecard" if len(run.scorecards) == 1 else f"scorecard_{name}"
        files += write_scorecard(card, out_dir, config.rendering.lang, stem=stem)
    return files


def _functional_row(run: AnalysisRun, config: AnalysisConfig) -> tuple[str, str]:
    """The 说明 row on the rule that counted a 中医馆/中医阁 (naming the profile that set it)."""
    return functional_note(config, run.access.facilities, run.functional_rule,
                           profile=run.functional_profile)


def _write_tables(run: AnalysisRun, config: AnalysisConfig, out_dir: Path, today: str) -> list[Path]:
    """``coverage_*.csv`` and ``coverage.xlsx`` (with the 说明, facility, network and review sheets)."""
    access, lang = run.access, config.rendering.lang
    fac_sheet = access.facilities.drop(columns="geometry").assign(
        lon=access.facilities.geometry.x.round(6), lat=access.facilities.geometry.y.round(6))
    net_sheet = pd.DataFrame([{"mode": MODE_LABELS[m][lang], **{k: v for k, v in s.items()
                                                                 if np.isscalar(v)}}
                              for m, s in access.networks.items()])
    review = (review_sheet(run.facility_review, lang) if run.facility_review is not None else None)
    notes = [*((text("workflows.readme.note", lang), n)
               for n in facility_notes(config, access.facilities, run.facility_review)),
             *((text("workflows.readme.capacity", lang), n) for n in capacity_notes(config, run.capacity)),
             elderly_note(config, run.elderly), _functional_row(run, config)]
    decision_files, decision_sheets = write_decision_tables(_decision_tables(run, config), out_dir, lang=lang)
    return decision_files + write_tables(run.tables, out_dir, lang=lang,
                                         readme_rows=readme_rows(config, access, today,
                                                                 functional=run.functional_rule) + notes,
                                         facilities=fac_sheet, network=net_sheet, review=review,
                                         extra_sheets=decision_sheets)


def _write_pages(run: AnalysisRun, config: AnalysisConfig, out_dir: Path) -> list[Path]:
    """``map.html``, the reports and the scorecards, as the configuration asks."""
    rendering = config.rendering
    files: list[Path] = []
    cache = MapCache()  # map.html and the report's map prepare each layer once
    if rendering.write_map:
        files.append(save_map(build_map(run, config, cache=cache), out_dir / "map.html",
                              self_contained=rendering.self_contained))
    if rendering.write_report:
        page = map_html(build_map(run, config, compact=True, cache=cache),
                        self_contained=rendering.self_contained)
        files += write_reports(run, config, out_dir, page)
    files += write_print_documents(run, config, out_dir)
    files += write_scorecards(run, config, out_dir)
    return files


def write_geodata(run: AnalysisRun, config: AnalysisConfig, out_dir: Path) -> list[Path]:
    """Write ``demand_points``, ``isochrones`` (as ``config.rendering.layers``), ``facilities.gpkg``
    and ``townships.gpkg`` in the CRS of ``config.rendering.crs`` (WGS-84 or CGCS2000).

    Parameters
    ----------
    run
        A computed (or loaded) run.
    config
        Its configuration.
    out_dir
        Destination folder.

    Returns
    -------
    list of pathlib.Path
    """
    access, crs, heavy = run.access, EXPORT_CRS[config.rendering.crs], config.rendering.layers
    files = write_layers(run.demand, access.facilities, out_dir, modes=config.options.modes,
                         facility_sets=access.facility_sets, thresholds=config.options.thresholds,
                         crs=crs, demand_format=heavy)
    if access.isochrones is not None and heavy != "none":
        files.append(write_isochrones(access.isochrones, out_dir, lang=config.rendering.lang, crs=crs, fmt=heavy))
    return files + township_files(run.townships, run.tables, out_dir, modes=config.options.modes, crs=crs)


def write_outputs(run: AnalysisRun, config: AnalysisConfig, *,
                  inputs: Mapping[str, Mapping[str, str]] | None = None,
                  extra: Mapping[str, Any] | None = None) -> tuple[Path, ...]:
    """Write a computed run's outputs into ``config.out_dir``, all or nothing.

    Parameters
    ----------
    run
        From :func:`~tcm_coverage.workflows.pipeline.compute` or
        :func:`~tcm_coverage.workflows.pipeline.compute_from_inputs`.
    config
        Its configuration.
    inputs
        ``{label: {"path": ..., "sha256": ...}}`` for ``run.json`` (default: the SHA-256 of
        each configured input file).
    extra
        More entries for ``run.json`` (e.g. the batch key of a county).

    Returns
    -------
    tuple of pathlib.Path
        The files, in ``config.out_dir``.
    """
    access, seconds = run.access, dict(run.seconds)
    t0 = time.perf_counter()
    today = date.today().isoformat()
    if inputs is None:
        inputs = {label: {"path": str(p), "sha256": file_sha256(Path(p))}
                  for label, p in input_files(config).items() if p is not None}
    with atomic_output_dir(config.out_dir, kind="analyze", inputs=input_files(config)) as tmp:
        files = _write_tables(run, config, tmp, today)
        files += write_geodata(run, config, tmp)
        files += _write_pages(run, config, tmp)
        files.append(save_run(run, tmp))  # what the outputs are drawn from: redraws read it
        seconds["write outputs"] = time.perf_counter() - t0
        manifest = {
            "tool": f"tcm-coverage {__version__}",
            "date": today,
            "python": platform.python_version(),
            "config": config.record(),
            "inputs": dict(inputs),
            "network": access.networks,
            "headline": headline_numbers(run.tables, config),
            **decision_numbers(run, config),
            "warnings": list(access.warnings),
            "datum_check": list(run.datum_check),
            "crs": EXPORT_CRS[config.rendering.crs],
            "seconds": seconds,
            **dict(extra or {}),
        }
        files.append(write_manifest(tmp, manifest))
        return tuple(Path(config.out_dir) / f.name for f in files)
