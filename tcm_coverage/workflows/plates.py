"""The print plates of a run: ``map --format png|pdf|svg`` (:func:`write_print`), the run's
``map.png`` (:func:`build_print_map`) and the plate of the Word report (:func:`plate_images`),
apart from :mod:`~tcm_coverage.workflows.write` so that a plate imports neither folium nor
python-docx."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tcm_coverage import outputs
from tcm_coverage.vocab import HEADLINE_FACILITY_SET
from tcm_coverage.workflows.config import AnalysisConfig, input_files
from tcm_coverage.workflows.mapview import check_view, map_layers
from tcm_coverage.workflows.rendered import reusable_file
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.texts import source_lines

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tcm_coverage.outputs import PrintOptions

# The print stack (matplotlib, its PDF backend, the plate layers: ~2 s of imports) is looked up
# on the lazy ``outputs`` face when a plate is drawn: a report or score that reuses the run's
# map.png never imports it.

__all__ = ["RUN_PRINT_DPI", "build_print_map", "plate_images", "write_print"]


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
    options = options or outputs.PrintOptions(dpi=RUN_PRINT_DPI)
    options = dataclasses.replace(options, lang=config.rendering.lang,
                                  sources=options.sources or tuple(source_lines(config)),
                                  run_date=options.run_date or date.today().isoformat())
    return outputs.print_map_figure(map_layers(run), mode=mode, threshold=thr,
                                    facility_set=facility_set, options=options)


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
    options = dataclasses.replace(options or outputs.PrintOptions(), lang=config.rendering.lang,
                                  sources=tuple(source_lines(config)),
                                  run_date=date.today().isoformat())
    if atlas:
        return outputs.write_print_atlas(map_layers(run), path, mode=mode, threshold=thr,
                                         facility_set=facility_set, options=options,
                                         inputs=input_files(config))
    return [outputs.write_print_map(map_layers(run), path, mode=mode, threshold=thr,
                                    facility_set=facility_set, options=options,
                                    inputs=input_files(config))]


def plate_images(run: AnalysisRun, config: AnalysisConfig, folder: Path, *,
                 written: bool = False) -> dict[str, bytes | Path] | None:
    """The print plate of a one-county run for its Word report, else ``None`` (several counties
    on one plate, no plates configured, or a Chinese plate without a CJK font).

    Parameters
    ----------
    run, config
        The run and the configuration the report is written with (its language).
    folder
        The run folder (its ``map.png``).
    written
        ``folder/map.png`` was just drawn for ``config`` (:func:`~tcm_coverage.workflows.write.write_outputs`):
        it is the plate, and without it there is none (no font, or no plates asked for).
        Otherwise the run's ``map.png`` is used only when the store records it drawn for the
        same language, view, sources and day and unchanged since; else the plate is drawn in
        memory (an English report of a Chinese run gets an English plate).

    Returns
    -------
    dict or None
        County code -> PNG file or bytes.
    """
    codes = list(dict.fromkeys(run.tables.county["code"].astype(str)))
    plate = Path(folder) / "map.png"
    if len(codes) != 1 or (written and not plate.exists()):  # the run drew none: none
        return None
    if written or reusable_file(folder, config, plate.name):
        return {codes[0]: plate}
    rendering = config.rendering
    if not rendering.print_formats or (rendering.lang == "zh" and outputs.find_cjk_font() is None):
        return None
    buffer = io.BytesIO()
    outputs.save_plate(build_print_map(run, config), buffer, lang=rendering.lang, fmt="png")
    return {codes[0]: buffer.getvalue()}
