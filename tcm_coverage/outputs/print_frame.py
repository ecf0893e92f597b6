"""The frame of a print plate (:mod:`tcm_coverage.outputs.print_map`): the map's extent at
the axes' aspect, the scale bar (lengths in metres of the plate's UTM zone) with the ratio at
the paper size, and the north arrow 指北针 turned by the grid convergence to true north."""

from __future__ import annotations

import math

import numpy as np
import pyproj
from matplotlib.axes import Axes
from matplotlib.patches import Polygon, Rectangle

from tcm_coverage.i18n import text

__all__ = ["ARROW_BAND", "SCALE_BAND", "grid_convergence", "nice_length", "north_arrow",
           "plate_extent", "scale_bar"]

#: Room below the area for the scale bar and above it for the north arrow (share of its height).
SCALE_BAND, ARROW_BAND = 0.10, 0.06


def plate_extent(bounds: np.ndarray, ax_in: tuple[float, float], pad: float) -> tuple[float, float, float, float]:
    """Limits around ``bounds`` (x0, y0, x1, y1) with the axes' aspect (equal scale in x and y)."""
    x0, y0, x1, y1 = (float(b) for b in bounds)
    y0, y1 = y0 - SCALE_BAND * (y1 - y0), y1 + ARROW_BAND * (y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = max(x1 - x0, 1.0) * (1 + 2 * pad), max(y1 - y0, 1.0) * (1 + 2 * pad)
    ratio = ax_in[0] / ax_in[1]
    w, h = (h * ratio, h) if w / h < ratio else (w, w / ratio)
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def nice_length(width_m: float) -> float:
    """The scale bar's length: 1, 2 or 5 × 10^k metres, at most a quarter of the map."""
    target = width_m / 4
    k = 10 ** math.floor(math.log10(target))
    return max(m * k for m in (1, 2, 5) if m * k <= target)


def scale_bar(ax: Axes, extent: tuple[float, float, float, float], ratio: float, lang: str,
               fontsize: float) -> float:
    """Four black/white segments at the lower left (gid ``scale-bar``); returns the length in m."""
    x0, x1, y0, y1 = extent
    length = nice_length(x1 - x0)
    bx, by, bh = x0 + 0.03 * (x1 - x0), y0 + 0.035 * (y1 - y0), 0.008 * (y1 - y0)
    ax.add_patch(Rectangle((bx - 0.012 * (x1 - x0), by - 0.02 * (y1 - y0)), length + 0.05 * (x1 - x0),
                           0.075 * (y1 - y0), facecolor="white", alpha=0.85, edgecolor="none",
                           zorder=9, gid="scale-bar-box"))
    for i in range(4):
        ax.add_patch(Rectangle((bx + i * length / 4, by), length / 4, bh, facecolor="black" if i % 2 == 0
                               else "white", edgecolor="black", linewidth=0.6, zorder=10, gid="scale-bar"))
    unit_km = length >= 1000
    for frac in (0.0, 0.5, 1.0):
        value = length * frac / (1000 if unit_km else 1)
        ax.text(bx + frac * length, by + bh * 1.6, f"{value:g}", ha="center", va="bottom",
                fontsize=fontsize, zorder=10, gid="scale-bar-label")
    ax.text(bx + length + 0.008 * (x1 - x0), by + bh / 2, "km" if unit_km else "m", va="center",
            fontsize=fontsize, zorder=10)
    ax.text(bx, by - 0.006 * (y1 - y0), text("outputs.print_scale", lang, ratio=f"{float(f'{ratio:.3g}'):,.0f}"),
            ha="left", va="top", fontsize=fontsize, zorder=10, gid="scale-ratio")
    return length


def grid_convergence(crs_m: str, extent: tuple[float, float, float, float]) -> float:
    """Angle (degrees, clockwise) from grid north to true north at the map's centre."""
    x0, x1, y0, y1 = extent
    to_ll = pyproj.Transformer.from_crs(crs_m, "EPSG:4326", always_xy=True)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs_m, always_xy=True)
    lon, lat = to_ll.transform((x0 + x1) / 2, (y0 + y1) / 2)
    xa, ya = to_m.transform(lon, lat)
    xb, yb = to_m.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(xb - xa, yb - ya))


def north_arrow(ax: Axes, extent: tuple[float, float, float, float], crs_m: str, lang: str,
                 fontsize: float) -> None:
    """The north arrow 指北针 at the upper right (gid ``north-arrow``), turned to true north."""
    x0, x1, y0, y1 = extent
    size = 0.06 * (y1 - y0)
    cx, cy = x1 - 0.06 * (x1 - x0), y1 - 0.11 * (y1 - y0)
    a = math.radians(grid_convergence(crs_m, extent))
    rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    half = np.array([[0, 0.5], [-0.22, -0.5], [0, -0.25]]) * size
    for sign, colour in ((1, "black"), (-1, "white")):
        pts = (half * [sign, 1]) @ rot.T + [cx, cy]
        ax.add_patch(Polygon(pts, closed=True, facecolor=colour, edgecolor="black", linewidth=0.8,
                             zorder=10, gid="north-arrow"))
    tip = np.array([0, 0.5 * size + 0.02 * (y1 - y0)]) @ rot.T + [cx, cy]
    ax.text(tip[0], tip[1], text("outputs.print_north", lang), ha="center", va="bottom",
            fontsize=fontsize * 1.3, fontweight="bold", zorder=10, gid="north-arrow-label")
