"""The options and the texts of a print plate (:mod:`tcm_coverage.outputs.print_map`):
:class:`PrintOptions`, the footer lines (sources, date, coordinate system, 审图号), a township's
table of gaps and the wrapping of long lines to the panel's width."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tcm_coverage.i18n import label, text
from tcm_coverage.outputs.style import display_width, fmt_int, pct
from tcm_coverage.vocab import share_column

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["CRS_LABELS", "PAPER_SIZES", "PRINT_FORMATS", "PlateView", "PrintOptions", "Rect", "gap_rows", "info_lines", "wrap"]

#: Paper sizes in inches, portrait (ISO 216: A4 210×297 mm, A3 297×420 mm).
PAPER_SIZES = {"a4": (210 / 25.4, 297 / 25.4), "a3": (297 / 25.4, 420 / 25.4)}
#: The file formats of a plate.
PRINT_FORMATS = ("png", "pdf", "svg")
#: The coordinate systems a plate may state.
CRS_LABELS = ("WGS-84", "CGCS2000")


@dataclass(frozen=True)
class PrintOptions:
    """How a print plate is laid out.

    Attributes
    ----------
    paper, orientation
        ``"a4"`` | ``"a3"``; ``"portrait"`` | ``"landscape"``.
    dpi
        Pixels per inch of PNG output (300: print quality).
    lang
        ``"zh"`` (needs a CJK font, :mod:`tcm_coverage.outputs.fonts`) or ``"en"``.
    crs_label
        The coordinate system stated on the plate: ``"WGS-84"`` or ``"CGCS2000"`` (the two
        differ by centimetres, far below a plate's resolution).
    title
        Title (default: the facility set, threshold and mode, as the HTML map).
    sources, run_date
        Data-source lines and the date of the run.
    approval_number
        The basemap's 审图号, printed in the footer when a basemap is drawn.
    basemap
        A folder of ``z/x/y.png`` tiles or an ``.mbtiles`` file (default: none, offline).
    """

    paper: str = "a4"
    orientation: str = "portrait"
    dpi: float = 300.0
    lang: str = "zh"
    crs_label: str = "WGS-84"
    title: str | None = None
    sources: tuple[str, ...] = field(default=())
    run_date: str | None = None
    approval_number: str | None = None
    basemap: Path | None = None


@dataclass(frozen=True)
class PlateView:
    """What a plate shows: the travel time of ``mode`` to ``facility_set`` within ``threshold``."""

    mode: str
    threshold: float
    facility_set: str


#: A rectangle in figure fractions: left, bottom, width, height.
Rect = tuple[float, float, float, float]


def _zone(crs_m: str) -> str:
    """``"EPSG:32649"`` -> ``"49N"``."""
    code = int(crs_m.rsplit(":", 1)[1])
    return f"{code % 100}{'N' if code < 32700 else 'S'}"


def info_lines(options: PrintOptions, *, crs_m: str, basemap: bool) -> list[str]:
    """The footer: sources, date, coordinate system and projection, 审图号 (with a basemap)."""
    lang = options.lang
    lines = []
    if options.sources:
        lines.append(text("outputs.sources", lang) + text("outputs.print_colon", lang)
                     + text("outputs.print_sep", lang).join(options.sources))
    lines.append(text("outputs.print_crs", lang, crs=options.crs_label, zone=_zone(crs_m)))
    if basemap and options.approval_number:
        lines.append(text("outputs.print_approval", lang, number=options.approval_number))
    return lines


def wrap(line: str, width_pt: float, fontsize: float) -> list[str]:
    """``line`` cut into pieces that fit ``width_pt`` at ``fontsize`` (CJK characters are one
    em wide, others about half), breaking after spaces or CJK punctuation when possible."""
    limit = max(int(width_pt / (fontsize * 0.5)), 8)
    out, cur, width = [], "", 0  # width: display_width(cur), kept as characters are added
    for ch in line:
        if width + display_width(ch) > limit:
            cut = max(cur.rfind(" "), cur.rfind("；"), cur.rfind("，"), cur.rfind("、"))
            if cut > len(cur) // 2:
                out.append(cur[:cut + 1].rstrip())
                cur = cur[cut + 1:].lstrip()
            else:
                out.append(cur)
                cur = ""
            width = display_width(cur)
        cur += ch
        width += display_width(ch)
    return [*out, cur] if cur else out


def gap_rows(table: pd.DataFrame | None, towns: gpd.GeoDataFrame, focus: int, what: PlateView,
             lang: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of township ``focus``'s table of gaps, one row per mode: population,
    residents beyond the threshold, share within it (无数据 when unknown, never 0)."""
    header = [text("outputs.col_mode", lang), text("outputs.col_population", lang),
              text("outputs.print_beyond", lang, minutes=what.threshold),
              text("outputs.col_share_within", lang, minutes=f"{what.threshold:g}")]
    code = str(towns["code"].iloc[focus])
    col = share_column(what.threshold)
    rows: list[list[str]] = []
    if table is not None and col in table:
        sel = table[table["code"].astype(str) == code]
        if "target" in sel:
            sel = sel[sel["target"] == what.facility_set]
        for mode, pop, share in zip(sel["mode"], sel["population"].astype(float),
                                    sel[col].astype(float), strict=True):
            known = bool(np.isfinite(share) and np.isfinite(pop))
            no_data = text("outputs.no_data", lang)
            rows.append([label("mode", str(mode), lang), fmt_int(pop),
                         fmt_int(pop * (1 - share)) if known else no_data,
                         pct(share) if known else no_data])
    return header, rows or [[text("outputs.no_data", lang)] * len(header)]
