"""The outputs of a computed run: tables, layers, isochrones, map, reports, scorecards and
``run.json``, written into the output folder all or nothing."""

from __future__ import annotations

import platform
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage._io import atomic_output_dir, file_sha256
from tcm_coverage._version import __version__
from tcm_coverage.i18n import MODE_LABELS, text
from tcm_coverage.inputs import review_sheet
from tcm_coverage.outputs import (
    MapLayers,
    MapOptions,
    ReportOptions,
    ReportTables,
    county_report_html,
    coverage_map,
    map_html,
    save_map,
    scorecard_section_html,
    write_isochrones,
    write_layers,
    write_manifest,
    write_scorecard,
    write_tables,
)
from tcm_coverage.vocab import EXPORT_CRS, FACILITY_SETS, HEADLINE_FACILITY_SET
from tcm_coverage.workflows.config import AnalysisConfig, input_files
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.store import save_run
from tcm_coverage.workflows.texts import (
    access_notes,
    facility_notes,
    headline_numbers,
    readme_rows,
    source_lines,
)

__all__ = ["build_map", "write_geodata", "write_outputs", "write_reports", "write_scorecards"]


def build_map(run: AnalysisRun, config: AnalysisConfig, *, mode: str | None = None,
              threshold: float | None = None, facility_set: str = HEADLINE_FACILITY_SET,
              compact: bool = False) -> folium.Map:
    """The coverage map of a computed run (see :func:`tcm_coverage.outputs.maps.coverage_map`).

    Parameters
    ----------
    run
        From :func:`~tcm_coverage.workflows.pipeline.compute` or
        :func:`~tcm_coverage.workflows.pipeline.run_analysis`.
    config
        Its configuration (language, basemap, sources).
    mode, threshold, facility_set
        What to show (default: the headline mode and threshold, any TCM service point).
    compact
        The embedded variant for the report (collapsed layer control, no title block).

    Returns
    -------
    folium.Map
    """
    opts, rendering = config.options, config.rendering
    mode = mode or opts.headline_mode
    if mode not in opts.modes:
        raise InputError(f"mode {mode!r} was not computed in this run",
                         fix=f"use one of {list(opts.modes)} or rerun with --mode {mode}")
    if facility_set not in FACILITY_SETS:
        raise InputError(f"unknown target {facility_set!r}", fix=f"use one of {list(FACILITY_SETS)}")
    thr = opts.headline_threshold if threshold is None else float(threshold)
    if thr not in opts.thresholds:
        raise InputError(f"threshold {thr:g} was not computed in this run",
                         fix=f"use one of {[f'{t:g}' for t in opts.thresholds]} or rerun with it")
    return coverage_map(MapLayers(counties=run.counties, townships=run.townships,
                                  township_table=run.tables.township, facilities=run.access.facilities,
                                  demand=run.access.demand, isochrones=run.access.isochrones,
                                  fca_areas=run.fca_areas),
                        mode=mode, threshold=thr, facility_set=facility_set,
                        options=MapOptions(lang=rendering.lang, basemap=rendering.basemap,
                                           tianditu_key=rendering.tianditu_key,
                                           sources=source_lines(config),
                                           run_date=date.today().isoformat(), compact=compact))


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
    opts, lang = config.options, config.rendering.lang
    if run.demand is None:
        raise ValueError("the run has no demand points (use workflows.compute)")
    notes = [*facility_notes(config, run.access.facilities, run.facility_review),
             *access_notes(config, run.access)]
    files = []
    county = run.tables.county
    codes = list(dict.fromkeys(county["code"].astype(str)))
    for code in codes:
        name = str(county.loc[county["code"].astype(str) == code, "name"].iloc[0])
        page = county_report_html(
            ReportTables(county_table=county, township_table=run.tables.township,
                         demand=run.demand, fca_areas=run.fca_areas),
            ReportOptions(modes=opts.modes, thresholds=opts.thresholds,
                          headline_threshold=opts.headline_threshold,
                          headline_mode=opts.headline_mode, notes=notes,
                          sources=source_lines(config), run_date=date.today().isoformat(),
                          software=f"tcm-coverage {__version__}", lang=lang),
            county_code=code, county_name=name, map_page=map_page,
            extra_sections=[scorecard_section_html(card, county_code=code, lang=lang)
                            for card in run.scorecards.values()])
        path = out_dir / ("report.html" if len(codes) == 1 else f"report_{code}.html")
        path.write_text(page, encoding="utf-8")
        files.append(path)
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


def _write_tables(run: AnalysisRun, config: AnalysisConfig, out_dir: Path, today: str) -> list[Path]:
    """``coverage_*.csv`` and ``coverage.xlsx`` (with the 说明, facility, network and review sheets)."""
    access, lang = run.access, config.rendering.lang
    fac_sheet = access.facilities.drop(columns="geometry").assign(
        lon=access.facilities.geometry.x.round(6), lat=access.facilities.geometry.y.round(6))
    net_sheet = pd.DataFrame([{"mode": MODE_LABELS[m][lang], **{k: v for k, v in s.items()
                                                                 if np.isscalar(v)}}
                              for m, s in access.networks.items()])
    review = (review_sheet(run.facility_review, lang) if run.facility_review is not None else None)
    notes = [(text("workflows.readme.note", lang), n)
             for n in facility_notes(config, access.facilities, run.facility_review)]
    return write_tables(run.tables, out_dir, lang=lang,
                        readme_rows=readme_rows(config, access, today) + notes,
                        facilities=fac_sheet, network=net_sheet, review=review)


def _write_pages(run: AnalysisRun, config: AnalysisConfig, out_dir: Path) -> list[Path]:
    """``map.html``, the reports and the scorecards, as the configuration asks."""
    rendering = config.rendering
    files: list[Path] = []
    if rendering.write_map:
        files.append(save_map(build_map(run, config), out_dir / "map.html",
                              self_contained=rendering.self_contained))
    if rendering.write_report:
        page = map_html(build_map(run, config, compact=True), self_contained=rendering.self_contained)
        files += write_reports(run, config, out_dir, page)
    files += write_scorecards(run, config, out_dir)
    return files


def write_geodata(run: AnalysisRun, config: AnalysisConfig, out_dir: Path) -> list[Path]:
    """Write ``demand_points.gpkg``, ``facilities.gpkg`` and ``isochrones.gpkg`` in the CRS of
    ``config.rendering.crs`` (WGS-84 or CGCS2000).

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
    access, crs = run.access, EXPORT_CRS[config.rendering.crs]
    files = write_layers(run.demand, access.facilities, out_dir, modes=config.options.modes,
                         facility_sets=access.facility_sets, thresholds=config.options.thresholds,
                         crs=crs)
    if access.isochrones is not None:
        files.append(write_isochrones(access.isochrones, out_dir, lang=config.rendering.lang, crs=crs))
    return files


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
            "warnings": list(access.warnings),
            "datum_check": list(run.datum_check),
            "crs": EXPORT_CRS[config.rendering.crs],
            "seconds": seconds,
            **dict(extra or {}),
        }
        files.append(write_manifest(tmp, manifest))
        return tuple(Path(config.out_dir) / f.name for f in files)
