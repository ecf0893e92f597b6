"""Print map plates (static maps for a Word document or a printed atlas), drawn with matplotlib.

:func:`print_map_figure` draws the coverage map of :class:`~tcm_coverage.outputs.maps.MapLayers`
(the data the HTML map takes) as one plate on A4 or A3 paper, portrait or landscape, with what a
Chinese planning map carries: the title, the legend with units (isochrone bands in minutes,
township share classes, facility symbols by tier), a scale bar (measured in the UTM zone of the
county) and its ratio at the paper size, the north arrow 指北针 (turned by the grid convergence,
so it points to true north), township names, the data sources and date, the coordinate system,
and the 审图号 approval line when a basemap is drawn. Classes and colours are those of the HTML
map (:mod:`tcm_coverage.outputs.style`). :func:`print_atlas_figures` gives one plate per
township (乡镇图集) with its table of gaps; :func:`write_print_map` and
:func:`write_print_atlas` write PNG, PDF (one multi-page file for the atlas) or SVG through the
atomic output helpers of :mod:`tcm_coverage._io`. The legend and text stand in a panel beside
(landscape) or below (portrait) the map, never over the county.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox

from tcm_coverage._errors import InputError
from tcm_coverage._geo import frame_utm_crs
from tcm_coverage._io import add_files, output_file
from tcm_coverage.i18n import label, text
from tcm_coverage.outputs.fonts import plate_fonts
from tcm_coverage.outputs.map_layers import MapLayers
from tcm_coverage.outputs.png import save_png
from tcm_coverage.outputs.print_basemap import basemap_image, open_tiles
from tcm_coverage.outputs.print_frame import (
    north_arrow,
    plate_extent,
    scale_bar,
)
from tcm_coverage.outputs.print_layers import (
    TOWN_ALPHA,
    PlateLayers,
    draw_county,
    draw_facilities,
    draw_isochrones,
    draw_labels,
    draw_townships,
    draw_uncovered,
    facility_fill,
    geometry_path,
    township_shares,
    uncovered_points,
)
from tcm_coverage.outputs.print_options import (
    CRS_LABELS,
    PAPER_SIZES,
    PRINT_FORMATS,
    PlateView,
    PrintOptions,
    Rect,
    gap_rows,
    info_lines,
    wrap,
)
from tcm_coverage.outputs.style import (
    BAND_FILL_OPACITY,
    BAND_OUTLINE,
    MISSING_COLOUR,
    SHARE_BREAKS,
    SHARE_COLOURS,
    TIER_STYLE,
    UNCOVERED_COLOUR,
    UNKNOWN_FILL,
)
from tcm_coverage.vocab import time_column

__all__ = ["PAPER_SIZES", "PRINT_FORMATS", "PrintOptions", "print_atlas_figures",
           "print_map_figure", "save_plate", "write_print_atlas", "write_print_map"]

#: The default plate (A4 portrait, 300 dpi, Chinese, no basemap).
DEFAULT_PRINT = PrintOptions()


def _check(layers: MapLayers, what: PlateView, options: PrintOptions) -> None:
    checks = (("paper", options.paper, tuple(PAPER_SIZES)),
              ("orientation", options.orientation, ("portrait", "landscape")),
              ("lang", options.lang, ("zh", "en")), ("crs_label", options.crs_label, CRS_LABELS))
    for name, value, choices in checks:
        if value not in choices:
            raise InputError(f"unknown {name} {value!r} for the print map", fix=f"use one of {list(choices)}")
    if not 20 <= options.dpi <= 1200:
        raise InputError(f"dpi {options.dpi:g} is out of range", fix="use 150 to 600 (300: print quality)")
    if time_column(what.facility_set, what.mode) not in layers.demand:
        raise InputError(f"the demand points have no travel times for target {what.facility_set!r} "
                         f"by {what.mode!r}", fix="compute them with compute_access(modes=[...]) first")


@contextlib.contextmanager
def _style(lang: str) -> Iterator[None]:
    """Fonts and output settings of a plate (matplotlib's rc, restored afterwards)."""
    with matplotlib.rc_context({"font.family": plate_fonts(lang), "svg.fonttype": "none",
                                "axes.unicode_minus": False}):
        yield


def _project(layers: MapLayers, what: PlateView) -> PlateLayers:
    crs_m = frame_utm_crs(layers.counties)
    towns = None if layers.townships is None else layers.townships[["code", "name", "geometry"]].to_crs(crs_m)
    iso = layers.isochrones
    if iso is not None:  # only the bands the plate draws are projected (not every mode's and set's)
        iso = iso[(iso["mode"] == what.mode) & (iso["target"] == what.facility_set)].to_crs(crs_m)
    return PlateLayers(crs_m=crs_m, counties=layers.counties.to_crs(crs_m), townships=towns,
                       isochrones=iso, facilities=layers.facilities.to_crs(crs_m),
                       uncovered=uncovered_points(layers.demand, crs_m, mode=what.mode,
                                                  threshold=what.threshold,
                                                  facility_set=what.facility_set))


def _rects(orientation: str, panel_h: float) -> tuple[Rect, Rect, str]:
    """Map and panel rectangles (figure fractions) and the legends' flow.

    Landscape: the panel is a column beside the map. Portrait: the panel (legends, the atlas
    table, the footer) is ``panel_h`` high at the foot of the page (:func:`_portrait_panel_height`)
    and the map frame fills the page from the title down to it.
    """
    if orientation == "landscape":
        return (0.03, 0.05, 0.66, 0.83), (0.715, 0.05, 0.265, 0.83), "down"
    top, bottom, gap = 0.905, 0.025, 0.02
    panel_h = float(np.clip(panel_h, 0.08, 0.5))
    return ((0.05, bottom + panel_h + gap, 0.90, top - bottom - panel_h - gap),
            (0.05, bottom, 0.90, panel_h), "right")


def _legend_sections(lang: str, what: PlateView, iso: tuple[list[tuple[str, str]], float | None],
                     tiers: list, unknown: bool) -> list[tuple[str, str, list[Artist], list[str]]]:
    """(gid, title, handles, labels) of each legend section (``iso``: the band rows and the
    minutes of the reach outlined, from :func:`draw_isochrones`)."""
    out: list[tuple[str, str, list[Artist], list[str]]] = []
    bands, reach = iso
    if bands:
        handles: list[Artist] = [Patch(facecolor=c, edgecolor="none", alpha=BAND_FILL_OPACITY) for c, _ in bands]
        labels = [text("outputs.map_band", lang, low=float(b.split("–")[0]), high=float(b.split("–")[1]))
                  for _, b in bands]
        if reach is not None:  # the line drawn: the edge of the widest band within the threshold
            handles.append(Line2D([], [], color=BAND_OUTLINE, lw=1.0))
            labels.append(text("outputs.print_legend_reach", lang, minutes=reach))
        out.append(("legend-bands", text("outputs.map_legend_bands", lang), handles, labels))
    out.append(("legend-shares", text("outputs.print_legend_shares", lang, minutes=what.threshold),
                [Patch(facecolor=c, edgecolor="#555555", alpha=TOWN_ALPHA) for c in (*SHARE_COLOURS, MISSING_COLOUR)],
                [f"{lo:.0%}–{min(hi, 1):.0%}" for lo, hi in zip(SHARE_BREAKS[:-1], SHARE_BREAKS[1:], strict=True)]
                + [text("outputs.no_data", lang)]))
    fac_h: list[Artist] = [h for _, h in tiers]
    fac_l = [text(f"outputs.tier_{t}", lang) for t, _ in tiers]
    fac_h.append(Line2D([], [], ls="", marker="o", markersize=6, markerfacecolor="white",
                        markeredgecolor=TIER_STYLE["village_station"]))
    fac_l.append(text("outputs.map_legend_hollow", lang))
    if unknown:
        fac_h.append(Line2D([], [], ls="", marker="o", markersize=6, markerfacecolor=UNKNOWN_FILL,
                            markeredgecolor=TIER_STYLE["village_station"]))
        fac_l.append(text("outputs.map_legend_grey", lang))
    fac_h.append(Line2D([], [], ls="", marker="o", markersize=8, markerfacecolor=UNCOVERED_COLOUR,
                        markeredgecolor="none", alpha=0.5))
    fac_l.append(text("outputs.map_legend_uncovered", lang, minutes=what.threshold))
    out.append(("legend-facilities", text("outputs.map_legend_facilities", lang), fac_h, fac_l))
    return out


def _flow_legends(panel: Axes, sections: list, flow: str, fontsize: float) -> float:
    """Place the legend sections in the panel (side by side or stacked); returns the lowest y used."""
    renderer = panel.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    to_axes = panel.transAxes.inverted()
    x, y, row_low = 0.0, 1.0, 1.0
    for gid, title, handles, labels in sections:
        leg = Legend(panel, handles, labels, title=title, loc="upper left", bbox_to_anchor=(x, y),
                     frameon=False, fontsize=fontsize, title_fontsize=fontsize * 1.1,
                     alignment="left", handlelength=1.6, borderaxespad=0.0)
        leg.set_gid(gid)
        panel.add_artist(leg)
        (bx0, by0), (bx1, _) = to_axes.transform(leg.get_window_extent(renderer).get_points())
        if flow == "right" and bx1 > 1.0 and x > 0:  # next row
            leg.set_bbox_to_anchor((0.0, row_low - 0.03), transform=panel.transAxes)
            (bx0, by0), (bx1, _) = to_axes.transform(leg.get_window_extent(renderer).get_points())
            y = row_low - 0.03
        row_low = min(row_low, by0)
        if flow == "right":
            x = bx1 + 0.04
        else:
            y = by0 - 0.03
    return row_low


def _gap_table(panel: Axes, rows: list[list[str]], header: list[str], top: float, fontsize: float,
               row_h: float = 0.07) -> float:
    """The township's table of gaps at ``top`` of the panel (gid ``gap-table``), ``row_h`` (a
    share of the panel's height) a row."""
    height = row_h * (len(rows) + 1)
    table = panel.table(cellText=rows, colLabels=header, loc="upper left",
                        bbox=Bbox.from_bounds(0.0, top - height, 1.0, height), cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(fontsize)
    for (r, _), cell in table.get_celld().items():
        cell.set_edgecolor("#888888")
        if r == 0:
            cell.set_facecolor("#eeeeee")
    table.set_gid("gap-table")
    return top - height - 0.05


def _panel(fig: Figure, rect: Rect, flow: str, legend_args: tuple, info: list[str],
           fontsize: float, gaps: tuple[list[str], list[list[str]]] | None) -> None:
    panel = fig.add_axes(rect)
    panel.set_axis_off()
    row_h = 0.07 if flow == "down" else _TABLE_ROW_EM * fontsize / 72 / (rect[3] * fig.get_figheight())
    top = 1.0 if gaps is None else _gap_table(panel, gaps[1], gaps[0], 1.0, fontsize, row_h)
    sub = panel if gaps is None else fig.add_axes((rect[0], rect[1], rect[2], rect[3] * top))
    sub.set_axis_off()
    _flow_legends(sub, _legend_sections(*legend_args), flow, fontsize)
    width_pt = rect[2] * fig.get_figwidth() * 72
    lines = [line for item in info for line in wrap(item, width_pt, fontsize * 0.9)]
    # the footer at the bottom of the column (landscape) or of the page (portrait)
    sub.text(0.0, 0.0, "\n".join(lines), transform=sub.transAxes, ha="left", va="bottom",
             fontsize=fontsize * 0.9, color="#333333", linespacing=1.35, gid="plate-info", parse_math=False)


def _portrait_panel_height(fig: Figure, legend_args: tuple, info: list[str], fontsize: float,
                           gaps: tuple[list[str], list[list[str]]] | None) -> float:
    """The height (figure fraction) the portrait panel needs: the atlas table, the legends as
    laid out on a probe the page's width (measured, then removed) and the wrapped footer."""
    h_in = fig.get_figheight()
    probe = fig.add_axes((0.05, 0.0, 0.90, 1.0))
    probe.set_axis_off()
    legends = 1.0 - _flow_legends(probe, _legend_sections(*legend_args), "right", fontsize)
    probe.remove()
    width_pt = 0.90 * fig.get_figwidth() * 72
    n_lines = sum(len(wrap(item, width_pt, fontsize * 0.9)) for item in info)
    footer = n_lines * fontsize * 0.9 * 1.35 / 72 / h_in
    table = 0.0 if gaps is None else (len(gaps[1]) + 1) * _TABLE_ROW_EM * fontsize / 72 / h_in + 0.015
    return table + legends + 0.02 + footer + 0.01


#: Height of a row of the atlas table of a portrait plate, in font sizes.
_TABLE_ROW_EM = 2.2
#: The portrait panel's text is larger (the page's width is the legends' row; the map frame
#: is narrower than the county needs rather than the page left white).
_PORTRAIT_PANEL_FONT = 1.3


def _layers(ax: Axes, plate: PlateLayers, layers: MapLayers, what: PlateView,
            scale: float) -> tuple[tuple[list[tuple[str, str]], float | None], list]:
    """Townships, isochrones, the county, the uncovered and the facilities on the map axes
    (in map metres: independent of where the axes stand); the legend's bands (with the reach
    outlined) and tiers."""
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_linewidth(0.8)
    if plate.townships is not None:
        shares = township_shares(plate.townships, layers.township_table, mode=what.mode,
                                 threshold=what.threshold, facility_set=what.facility_set)
        draw_townships(ax, plate.townships, shares)
    bands = draw_isochrones(ax, plate.isochrones, mode=what.mode, facility_set=what.facility_set,
                            threshold=what.threshold)
    draw_county(ax, plate.counties)
    draw_uncovered(ax, plate.uncovered, scale)
    return bands, draw_facilities(ax, plate.facilities, scale)


def _draw(plate: PlateLayers, layers: MapLayers, what: PlateView, options: PrintOptions,
          focus: int | None = None) -> Figure:
    """One plate: the whole county, or township number ``focus`` zoomed with its table."""
    w_in, h_in = PAPER_SIZES[options.paper]
    if options.orientation == "landscape":
        w_in, h_in = h_in, w_in
    scale = math.sqrt(w_in * h_in / (PAPER_SIZES["a4"][0] * PAPER_SIZES["a4"][1]))
    fs = 7.5 * scale
    # whole pixels: A4 at 300 dpi is 2480 × 3508, not 2480 × 3507
    w_in, h_in = round(w_in * options.dpi) / options.dpi, round(h_in * options.dpi) / options.dpi
    fig = Figure(figsize=(w_in, h_in), dpi=options.dpi)
    FigureCanvasAgg(fig)
    towns = plate.townships
    bounds = (plate.counties.total_bounds if focus is None or towns is None
              else towns.geometry.iloc[focus].bounds)
    ax = fig.add_axes(_rects(options.orientation, 0.3)[0])  # placed once the panel is measured
    legend_args = (options.lang, what, *_layers(ax, plate, layers, what, scale), bool(np.any(_unknown_flags(plate))))
    gaps = None if focus is None else gap_rows(layers.township_table, towns, focus, what, options.lang)
    info = info_lines(options, crs_m=plate.crs_m, basemap=options.basemap is not None)
    panel_fs = fs if options.orientation == "landscape" else fs * _PORTRAIT_PANEL_FONT
    panel_h = 0.0 if options.orientation == "landscape" else _portrait_panel_height(fig, legend_args, info,
                                                                                      panel_fs, gaps)
    map_rect, panel_rect, flow = _rects(options.orientation, panel_h)
    ax.set_position(map_rect)
    extent = plate_extent(np.asarray(bounds), (map_rect[2] * w_in, map_rect[3] * h_in), 0.04 if focus is None else 0.12)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    drew_basemap = _basemap(ax, plate, options, extent)
    if towns is not None:
        if focus is not None:
            _mask_others(ax, towns, focus, extent)
        pop = (layers.township_table.groupby("code")["population"].max()
               if layers.township_table is not None else pd.Series(dtype=float))
        draw_labels(ax, towns, fontsize=fs * 1.05,
                    priority=towns["code"].astype(str).map(pop).fillna(0).to_numpy(float))
    ratio = (extent[1] - extent[0]) / (map_rect[2] * w_in * 0.0254)
    scale_bar(ax, extent, ratio, options.lang, fs)
    north_arrow(ax, extent, plate.crs_m, options.lang, fs)
    _title(fig, layers, what, options, focus, fs)
    if drew_basemap != (options.basemap is not None):  # no tile drawn: no 审图号 line
        info = info_lines(options, crs_m=plate.crs_m, basemap=drew_basemap)
    _panel(fig, panel_rect, flow, legend_args, info, panel_fs, gaps)
    return fig


def _unknown_flags(plate: PlateLayers) -> np.ndarray:
    return facility_fill(plate.facilities)[1]


def _basemap(ax: Axes, plate: PlateLayers, options: PrintOptions,
             extent: tuple[float, float, float, float]) -> bool:
    """Draw the tiles under the layers (at ~150 px per inch); ``True`` when any tile was drawn."""
    if options.basemap is None:
        return False
    bbox = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()  # type: ignore[union-attr]
    size = (max(64, int(bbox.width * fig_w * 150)), max(64, int(bbox.height * fig_h * 150)))
    img = basemap_image(open_tiles(options.basemap), extent, plate.crs_m, size)
    if img is None:
        return False
    ax.imshow(img, extent=extent, origin="upper", zorder=0, interpolation="bilinear", gid="basemap")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    return True


def _mask_others(ax: Axes, towns: gpd.GeoDataFrame, focus: int,
                 extent: tuple[float, float, float, float]) -> None:
    """Fade everything outside township ``focus`` and outline it."""
    x0, x1, y0, y1 = extent
    own = towns.geometry.iloc[focus]
    rest = shapely.difference(shapely.box(x0, y0, x1, y1), own)
    ax.add_collection(PathCollection([geometry_path(rest)], facecolors="white", alpha=0.55,
                                     edgecolors="none", zorder=6.5, gid="atlas-mask"))
    ax.add_collection(PathCollection([geometry_path(own)], facecolors="none", edgecolors="#b2182b",
                                     linewidths=2.0, zorder=6.6, gid="atlas-focus"))


def _title(fig: Figure, layers: MapLayers, what: PlateView, options: PrintOptions, focus: int | None,
           fs: float) -> None:
    lang = options.lang
    mode = label("mode", what.mode, lang)
    title = options.title or text("outputs.map_title", lang, minutes=what.threshold, mode=mode,
                                  facility_set=label("facility_set", what.facility_set, lang))
    if focus is not None and layers.townships is not None:
        name = str(layers.townships["name"].iloc[focus])
        title = text("outputs.print_atlas_title", lang, name=name, title=title)
    fig.text(0.5, 0.965, title, ha="center", va="center", fontsize=fs * 2.0, fontweight="bold",
             gid="plate-title", parse_math=False)
    sub = [text("outputs.map_meta", lang, mode=mode, minutes=what.threshold)]
    if options.run_date:
        sub.append(text("outputs.map_computed", lang, date=options.run_date))
    fig.text(0.5, 0.935, text("outputs.print_sep", lang).join(sub), ha="center", va="center",
             fontsize=fs * 1.1, color="#444444", gid="plate-subtitle", parse_math=False)


def print_map_figure(layers: MapLayers, *, mode: str, threshold: float, facility_set: str = "tcm_any",
                     options: PrintOptions = DEFAULT_PRINT) -> Figure:
    """The coverage map as one print plate.

    Parameters
    ----------
    layers
        What the HTML map draws (:class:`~tcm_coverage.outputs.maps.MapLayers`; ``fca_areas``
        and ``extra_layers`` are not drawn).
    mode, threshold, facility_set
        Which travel time and threshold the plate shows.
    options
        Paper, orientation, dpi, language, texts, basemap (:class:`PrintOptions`).

    Returns
    -------
    matplotlib.figure.Figure
        With an Agg canvas; write it with :func:`write_print_map` (or ``fig.savefig``).

    Raises
    ------
    InputError
        A bad option, missing travel times, or no CJK font for a Chinese plate.
    """
    what = PlateView(mode=mode, threshold=float(threshold), facility_set=facility_set)
    _check(layers, what, options)
    with _style(options.lang):
        return _draw(_project(layers, what), layers, what, options)


def print_atlas_figures(layers: MapLayers, *, mode: str, threshold: float,
                        facility_set: str = "tcm_any",
                        options: PrintOptions = DEFAULT_PRINT) -> Iterator[tuple[str, str, Figure]]:
    """One plate per township (乡镇图集): ``(code, name, figure)``, zoomed, with its gaps table.

    Parameters are those of :func:`print_map_figure`; the townships are required.
    """
    what = PlateView(mode=mode, threshold=float(threshold), facility_set=facility_set)
    _check(layers, what, options)
    if layers.townships is None or not len(layers.townships):
        raise InputError("the township atlas needs township boundaries",
                         fix="run the analysis with --townships")
    plate = _project(layers, what)
    for i in range(len(layers.townships)):
        with _style(options.lang):
            fig = _draw(plate, layers, what, options, focus=i)
        yield str(layers.townships["code"].iloc[i]), str(layers.townships["name"].iloc[i]), fig


def _format(path: Path, fmt: str | None) -> str:
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in PRINT_FORMATS:
        raise InputError(f"unknown print format {fmt!r}", path=path,
                         fix=f"use one of {list(PRINT_FORMATS)} (or a file ending .png/.pdf/.svg)")
    return fmt


def save_plate(fig: Figure, target: Path | PdfPages | BinaryIO, *, lang: str,
               fmt: str | None = None) -> None:
    """Save a plate of :func:`print_map_figure` to a file (format from ``fmt`` or the suffix)
    or as the next page of a ``PdfPages``, in the plate's fonts (no atomic swap: for writers
    already inside an output folder's build, such as :func:`tcm_coverage.workflows.write_outputs`)."""
    with _style(lang):
        if isinstance(target, PdfPages):
            target.savefig(fig)
        else:
            fmt = _format(Path(target) if isinstance(target, (str, Path)) else Path("plate"), fmt)
            if fmt == "png":
                save_png(fig, target, dpi=fig.dpi, facecolor="white")
            else:
                fig.savefig(target, format=fmt, dpi=fig.dpi, facecolor="white")


def write_print_map(layers: MapLayers, path: str | Path, *, mode: str, threshold: float,
                    facility_set: str = "tcm_any", options: PrintOptions = DEFAULT_PRINT,
                    fmt: str | None = None, inputs: Mapping[str, Path | None] | None = None) -> Path:
    """Write the print plate to ``path`` (PNG, PDF or SVG, from ``fmt`` or the suffix), atomically
    (:func:`tcm_coverage._io.output_file`; ``inputs``: label -> input file, never overwritten).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    fmt = _format(path, fmt)
    fig = print_map_figure(layers, mode=mode, threshold=threshold, facility_set=facility_set,
                           options=options)
    with output_file(path, kind="map", inputs=inputs) as staged:
        save_plate(fig, staged, lang=options.lang, fmt=fmt)
    return path


def write_print_atlas(layers: MapLayers, path: str | Path, *, mode: str, threshold: float,
                      facility_set: str = "tcm_any", options: PrintOptions = DEFAULT_PRINT,
                      fmt: str | None = None,
                      inputs: Mapping[str, Path | None] | None = None) -> list[Path]:
    """Write the township atlas: one multi-page PDF at ``path``, or (PNG/SVG) one file per
    township named ``<stem>_<code>.<fmt>`` beside it (all or none: :func:`tcm_coverage._io.add_files`).

    Returns
    -------
    list of pathlib.Path
    """
    path = Path(path)
    fmt = _format(path, fmt)
    pages = print_atlas_figures(layers, mode=mode, threshold=threshold, facility_set=facility_set,
                                options=options)
    written: list[Path] = []
    with add_files(path.resolve().parent, kind="map", inputs=inputs) as tmp:
        if fmt == "pdf":
            with PdfPages(tmp / path.name) as pdf:
                for _, _, fig in pages:
                    save_plate(fig, pdf, lang=options.lang)
            written.append(path)
        else:
            for code, _, fig in pages:
                name = f"{path.stem}_{code}.{fmt}"
                save_plate(fig, tmp / name, lang=options.lang, fmt=fmt)
                written.append(path.parent / name)
    return written
