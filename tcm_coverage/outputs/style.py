"""One style for every output a planner sees: colours, classes and number formats.

The HTML map, the report, the scorecard (and the print maps of issue 13) read their classes and
colours here, so a township drawn orange on the map is orange in the report's table too.

* coverage shares: :data:`SHARE_BREAKS` (class lower bounds), :data:`SHARE_COLOURS` (map fill),
  :data:`SHARE_TINTS` (lighter, for table cells behind text), :func:`share_class`,
  :func:`share_colour`;
* facility tiers: :data:`TIER_STYLE` (marker colour per tier);
* isochrone bands, the E2SFCA classes, travel modes (chart lines) and scorecard statuses;
* numbers: :func:`pct`, :func:`share_range`, :func:`fmt_int`, :func:`fmt_min`, :func:`fmt_num`;
  spreadsheet column widths: :func:`display_width`, :func:`column_widths`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "BAND_COLOURS",
    "BAND_FILL_OPACITY",
    "BAND_OUTLINE",
    "FCA_COLOURS",
    "MISSING_COLOUR",
    "MISSING_TINT",
    "MODE_COLOURS",
    "SHARE_BREAKS",
    "SHARE_COLOURS",
    "SHARE_TINTS",
    "STATUS_COLOURS",
    "TIER_STYLE",
    "UNCOVERED_COLOUR",
    "UNKNOWN_FILL",
    "column_widths",
    "display_width",
    "fmt_int",
    "fmt_min",
    "fmt_num",
    "pct",
    "share_class",
    "share_colour",
    "share_range",
]

#: Class breaks of a coverage share (lower bounds; the last one closes 100 %).
SHARE_BREAKS = (0.0, 0.5, 0.7, 0.85, 0.95, 1.0001)
#: Fill of each share class on the map, red (low) to green (high).
SHARE_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
#: The same classes as lighter tints, behind the numbers of the report's tables.
SHARE_TINTS = ("#f4a6a6", "#fdd49e", "#ffffbf", "#d9f0a3", "#a6d96a")
#: Fill of an area whose share is unknown (map).
MISSING_COLOUR = "#cccccc"
#: Background of a table cell whose share is unknown (report).
MISSING_TINT = "#eeeeee"

#: Marker colour of each facility tier (labels: ``outputs.tier_<tier>`` in :mod:`tcm_coverage.i18n`).
TIER_STYLE: dict[str, str] = {
    "county_tcm": "#b2182b",
    "township_centre": "#ef8a62",
    "village_station": "#2166ac",
    "other": "#777777",
}
#: Fill of a centre/clinic whose 中医馆/中医阁 is unknown (neither "has one" nor "has none").
UNKNOWN_FILL = "#bdbdbd"
#: Graduated circles of the residents beyond the threshold.
UNCOVERED_COLOUR = "#7b3294"

#: Isochrone ring colours, nearest band first (a sequential green-blue scale).
BAND_COLOURS = ("#005a32", "#238443", "#41ab5d", "#78c679", "#addd8e", "#d9f0a3", "#ffffcc")
#: Opacity of the isochrone bands' fill (the HTML map's ``fillOpacity``; the print plates' too).
BAND_FILL_OPACITY = 0.45
#: Line colour of the isochrone bands' edges on the HTML map and of the reach's edge on a plate.
BAND_OUTLINE = "#2b8c3e"
#: E2SFCA classes (quintiles), low to high.
FCA_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
#: Line colour of each travel mode in the cumulative chart.
MODE_COLOURS = {"walk": "#1b9e77", "walk_elderly": "#66a61e", "bicycle": "#e6ab02",
                "ebike": "#d95f02", "car": "#7570b3"}

#: Row background per scorecard status (scorecard HTML/XLSX and the report's scorecard section).
STATUS_COLOURS = {"met": "#d9f2e3", "unmet": "#f9d9d6", "no_target": "#eeeeee",
                  "no_data": "#fff4cc", "not_applicable": "#f7f7f7"}


def share_class(share: float) -> int:
    """Index of the class of a (finite) share in :data:`SHARE_BREAKS`, clipped to the classes."""
    idx = int(np.searchsorted(SHARE_BREAKS, share, side="right") - 1)
    return min(max(idx, 0), len(SHARE_COLOURS) - 1)


def share_colour(share: float | None, colours: Sequence[str] = SHARE_COLOURS,
                 missing: str = MISSING_COLOUR) -> str:
    """Colour of a coverage share's class (:data:`SHARE_BREAKS`); ``missing`` if unknown.

    Parameters
    ----------
    share
        Population share in [0, 1], ``None``/NaN when unknown.
    colours
        One colour per class: :data:`SHARE_COLOURS` (map) or :data:`SHARE_TINTS` (tables).
    missing
        Colour of an unknown share.
    """
    if share is None or not np.isfinite(share):
        return missing
    return colours[share_class(share)]


def pct(v: float) -> str:
    """A share as a percentage with one decimal, ``.0`` dropped (``45%``, ``45.5%``)."""
    return f"{v:.1%}".replace(".0%", "%")


def share_range(share: float, upper: float) -> str:
    """``45.0%``, or ``45.0%–90.0%`` when unknown 中医馆/中医阁 leave a range; ``–`` if unknown."""
    if not np.isfinite(share):
        return "–"
    if np.isfinite(upper) and round(upper, 3) != round(share, 3):
        return f"{share:.1%}–{upper:.1%}"
    return f"{share:.1%}"


def fmt_int(v: float | None) -> str:
    """A count with thousands separators (``12,345``), ``–`` when missing."""
    return "–" if v is None or pd.isna(v) else f"{float(v):,.0f}"


def fmt_min(v: float | None) -> str:
    """Minutes with one decimal, ``–`` when missing or unreachable."""
    if v is None or pd.isna(v) or not np.isfinite(float(v)):
        return "–"
    return f"{float(v):.1f}"


def fmt_num(v: float) -> str:
    """A whole number as ``1,234``, else one decimal (``1,234.5``)."""
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def display_width(value: str) -> int:
    """Width of a text in spreadsheet columns: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in value)


def column_widths(frame: pd.DataFrame, *, rows: int | None = None) -> list[int]:
    """Width of each column of a workbook sheet: the widest of the header and the values (as
    text, of the first ``rows`` rows; all with ``None``) in :func:`display_width`, plus 2,
    between 8 and 60."""
    head = frame if rows is None else frame.head(rows)
    widths = []
    for i, col in enumerate(frame.columns):
        texts = np.array([str(col), *map(str, head.iloc[:, i].tolist())], dtype=str)
        # display_width of every text at once: its characters, the CJK ones counted twice
        codes = texts.reshape(-1, 1).view(np.uint32)
        wide = np.count_nonzero(codes > 0x2E80, axis=1)
        widths.append(min(60, max(8, int((np.char.str_len(texts) + wide).max()) + 2)))
    return widths
