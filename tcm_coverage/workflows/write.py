"""The outputs of a computed run: tables, layers, isochrones, map, reports, scorecards and
``run.json``, written into the output folder all or nothing (the documents, i.e. the map,
reports, plates and scorecards, are :mod:`~tcm_coverage.workflows.pages`', drawn in this process
or, with two CPUs, by a second one: :mod:`~tcm_coverage.workflows.drawer`). This module imports
none of their renderers (folium, matplotlib, python-docx)."""

from __future__ import annotations

import contextlib
import logging
import platform
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tcm_coverage._io import atomic_output_dir, file_sha256
from tcm_coverage._version import __version__
from tcm_coverage.i18n import MODE_LABELS, text
from tcm_coverage.inputs import review_sheet
from tcm_coverage.outputs import (
    DecisionTables,
    township_files,
    write_decision_tables,
    write_isochrones,
    write_layers,
    write_manifest,
    write_tables,
)
from tcm_coverage.vocab import EXPORT_CRS
from tcm_coverage.workflows.config import AnalysisConfig, input_files
from tcm_coverage.workflows.rendered import rendered_record
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.scorecards import write_scorecards
from tcm_coverage.workflows.store import save_run
from tcm_coverage.workflows.texts import (
    capacity_notes,
    decision_numbers,
    elderly_note,
    facility_notes,
    functional_note,
    headline_numbers,
    readme_rows,
)

if TYPE_CHECKING:
    from tcm_coverage.workflows.drawer import DocumentDrawer

__all__ = ["write_geodata", "write_outputs"]

logger = logging.getLogger(__name__)

def _decision_tables(run: AnalysisRun, config: AnalysisConfig) -> DecisionTables:
    """The referral, fairness and sensitivity tables of a run, for the files."""
    return DecisionTables(referral_township=run.referral_township, referral_clinics=run.referral_clinics,
                          fairness=run.fairness, sensitivity=run.sensitivity,
                          referral_minutes=config.options.referral_minutes,
                          headline_threshold=config.options.headline_threshold)


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
             elderly_note(config, run.elderly),
             functional_note(config, access.facilities, run.functional_rule, profile=run.functional_profile)]
    decision_files, decision_sheets = write_decision_tables(_decision_tables(run, config), out_dir, lang=lang)
    return decision_files + write_tables(run.tables, out_dir, lang=lang,
                                         readme_rows=readme_rows(config, access, today,
                                                                 functional=run.functional_rule) + notes,
                                         facilities=fac_sheet, network=net_sheet, review=review,
                                         extra_sheets=decision_sheets)


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


def _stored_while_drawn(run: AnalysisRun, config: AnalysisConfig, tmp: Path, drawer: DocumentDrawer) -> list[Path]:
    """The scorecards and the store written while ``drawer`` draws the other documents; the
    store records what it drew once it is done. The files in the order one process writes them."""
    cards = write_scorecards(run, config, tmp)  # light: here, while the child draws
    drawn: list[Path] = []

    def rendered() -> dict[str, dict[str, Any]]:
        drawn.extend(drawer.result())  # the child's error, if any, is raised here
        return rendered_record(config, tmp)

    store = save_run(run, tmp, rendered=rendered)
    return [*drawn, *cards, store]


def write_outputs(run: AnalysisRun, config: AnalysisConfig, *,
                  inputs: Mapping[str, Mapping[str, str]] | None = None,
                  extra: Mapping[str, Any] | None = None,
                  drawer: DocumentDrawer | None = None) -> tuple[Path, ...]:
    """Write a computed run's outputs into ``config.out_dir``, all or nothing.

    The tables, layers and store are written here; the documents (web map, reports, print
    plates, Word report, scorecards: :func:`~tcm_coverage.workflows.pages.write_documents`)
    here too, or by ``drawer``'s process at the same time.

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
    drawer
        A second process to draw the documents
        (:func:`~tcm_coverage.workflows.drawer.document_drawer`), or ``None``: drawn in turn.

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
    with atomic_output_dir(config.out_dir, kind="analyze", inputs=input_files(config)) as tmp, \
            contextlib.ExitStack() as stopping:
        if drawer is not None:
            stopping.callback(drawer.stop)  # stopped before its build folder is removed or swapped in
            drawer.draw(run, config, tmp)  # it draws while the tables are written
        files = _write_tables(run, config, tmp, today)
        files += write_geodata(run, config, tmp)
        if drawer is None:
            # deferred on purpose: a run whose documents another process draws never loads
            # folium, matplotlib and python-docx (workflows/drawer.py)
            from tcm_coverage.workflows.pages import write_documents  # noqa: PLC0415

            files += write_documents(run, config, tmp)
            files.append(save_run(run, tmp, rendered=rendered_record(config, tmp)))  # what the outputs are drawn from: redraws read it
        else:
            files += _stored_while_drawn(run, config, tmp, drawer)
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
