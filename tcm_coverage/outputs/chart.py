"""The cumulative travel-time chart of the report: share of residents against minutes, one
line per mode, as inline SVG for ``report.html`` (the page needs no script or image file) and as
a PNG for ``report.docx`` (matplotlib, drawn on its own figure: no pyplot, no global state).
Both take the line colours from :data:`~tcm_coverage.outputs.style.MODE_COLOURS`."""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import PercentFormatter

from tcm_coverage.i18n import label, text
from tcm_coverage.outputs.fonts import cjk_font
from tcm_coverage.outputs.png import png_bytes
from tcm_coverage.outputs.style import MODE_COLOURS

__all__ = ["cumulative_chart_png", "cumulative_chart_svg", "cumulative_curve", "lorenz_chart_png", "lorenz_chart_svg"]

log = logging.getLogger(__name__)

esc = html.escape


def cumulative_curve(minutes: np.ndarray, population: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Share of the population reaching a facility within each minute of ``grid``.

    Parameters
    ----------
    minutes : numpy.ndarray
        Travel time per demand point (``inf`` unreachable).
    population : numpy.ndarray
        Weight per demand point.
    grid : numpy.ndarray
        Minutes at which to evaluate (ascending).

    Returns
    -------
    numpy.ndarray
        Same length as ``grid``, values in [0, 1].
    """
    minutes = np.asarray(minutes, float)
    w = np.asarray(population, float)
    total = w.sum()
    if total <= 0:
        return np.full(len(grid), np.nan)
    order = np.argsort(minutes, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(w[order])])
    idx = np.searchsorted(minutes[order], np.asarray(grid, float), side="right")
    return cum[idx] / total


@dataclass(frozen=True)
class _Frame:
    """The plot area of the chart in CSS pixels."""

    width: int
    height: int
    xmax: float
    left: int = 52
    right: int = 120
    top: int = 12
    bottom: int = 40

    @property
    def pw(self) -> int:
        return self.width - self.left - self.right

    @property
    def ph(self) -> int:
        return self.height - self.top - self.bottom

    def x(self, v: float) -> float:
        return self.left + self.pw * v / self.xmax

    def y(self, v: float) -> float:
        return self.top + self.ph * (1 - v)


def _chart_axes(f: _Frame, lang: str) -> list[str]:
    left, top, pw, ph = f.left, f.top, f.pw, f.ph
    parts = []
    for v in np.linspace(0, 1, 6):
        parts.append(f"<line x1='{left}' x2='{left + pw}' y1='{f.y(v):.1f}' y2='{f.y(v):.1f}' stroke='#ddd'/>"
                     f"<text x='{left - 6}' y='{f.y(v) + 4:.1f}' text-anchor='end'>{v:.0%}</text>")
    step = 5 if f.xmax <= 60 else 10
    for v in np.arange(0, f.xmax + 1e-9, step):
        parts.append(f"<line x1='{f.x(v):.1f}' x2='{f.x(v):.1f}' y1='{top + ph}' y2='{top + ph + 4}' stroke='#444'/>"
                     f"<text x='{f.x(v):.1f}' y='{top + ph + 16}' text-anchor='middle'>{v:g}</text>")
    parts.append(f"<line x1='{left}' x2='{left + pw}' y1='{top + ph}' y2='{top + ph}' stroke='#444'/>"
                 f"<line x1='{left}' x2='{left}' y1='{top}' y2='{top + ph}' stroke='#444'/>")
    parts.append(f"<text x='{left + pw / 2}' y='{f.height - 6}' text-anchor='middle'>"
                 f"{text('outputs.chart_x', lang)}</text>")
    parts.append(f"<text transform='translate(12 {top + ph / 2}) rotate(-90)' text-anchor='middle'>"
                 f"{text('outputs.chart_y', lang)}</text>")
    return parts


def _chart_threshold(f: _Frame, threshold: float, lang: str) -> str:
    if threshold > f.xmax:
        return ""
    return (f"<line x1='{f.x(threshold):.1f}' x2='{f.x(threshold):.1f}' y1='{f.top}' y2='{f.top + f.ph}' "
            "stroke='#b2182b' stroke-dasharray='5 3'/>"
            f"<text x='{f.x(threshold) + 3:.1f}' y='{f.top + 10}' fill='#b2182b'>"
            f"{text('outputs.chart_minutes', lang, minutes=threshold)}</text>")


def _chart_lines(f: _Frame, curves: Mapping[str, tuple[np.ndarray, np.ndarray]], lang: str) -> list[str]:
    parts = []
    for i, (mode, (grid, share)) in enumerate(curves.items()):
        colour = MODE_COLOURS.get(mode, "#333333")
        pts = " ".join(f"{f.x(g):.1f},{f.y(s):.1f}" for g, s in zip(grid, share, strict=True) if np.isfinite(s))
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{pts}'/>")
        ly = f.top + 14 + 16 * i
        lx = f.left + f.pw
        parts.append(f"<line x1='{lx + 10}' x2='{lx + 30}' y1='{ly}' y2='{ly}' "
                     f"stroke='{colour}' stroke-width='2'/><text x='{lx + 34}' y='{ly + 4}'>"
                     f"{esc(label('mode', mode, lang))}</text>")
    return parts


def cumulative_chart_svg(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], *, threshold: float,
                         lang: str = "zh", width: int = 640, height: int = 300) -> str:
    """An SVG line chart of cumulative share covered against minutes, one line per mode.

    Parameters
    ----------
    curves : mapping
        ``{mode: (minutes grid, share)}``.
    threshold : float
        Minutes marked with a dashed vertical line.
    lang : str
        ``"zh"`` or ``"en"``.
    width, height : int
        Size in CSS pixels (the SVG scales to the page width).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    frame = _Frame(width=width, height=height,
                   xmax=max((float(g[-1]) for g, _ in curves.values()), default=60.0))
    parts = [f"<svg class='chart' viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg' "
             f"role='img' font-family='sans-serif' font-size='11'>",
             *_chart_axes(frame, lang), _chart_threshold(frame, threshold, lang),
             *_chart_lines(frame, curves, lang), "</svg>"]
    return "".join(parts)


# --- the Lorenz curve of the fairness section (outputs/report_decisions, issue 15) ---
def _lorenz_axes(f: _Frame, lang: str) -> list[str]:
    left, top, pw, ph = f.left, f.top, f.pw, f.ph
    parts = []
    for v in np.linspace(0, 1, 6):
        parts.append(f"<line x1='{left}' x2='{left + pw}' y1='{f.y(v):.1f}' y2='{f.y(v):.1f}' stroke='#ddd'/>"
                     f"<text x='{left - 6}' y='{f.y(v) + 4:.1f}' text-anchor='end'>{v:.0%}</text>"
                     f"<line x1='{f.x(v):.1f}' x2='{f.x(v):.1f}' y1='{top + ph}' y2='{top + ph + 4}' stroke='#444'/>"
                     f"<text x='{f.x(v):.1f}' y='{top + ph + 16}' text-anchor='middle'>{v:.0%}</text>")
    parts.append(f"<line x1='{left}' x2='{left + pw}' y1='{top + ph}' y2='{top + ph}' stroke='#444'/>"
                 f"<line x1='{left}' x2='{left}' y1='{top}' y2='{top + ph}' stroke='#444'/>")
    parts.append(f"<text x='{left + pw / 2}' y='{f.height - 6}' text-anchor='middle'>"
                 f"{text('outputs.dec_lorenz_x', lang)}</text>")
    parts.append(f"<text transform='translate(12 {top + ph / 2}) rotate(-90)' text-anchor='middle'>"
                 f"{text('outputs.dec_lorenz_y', lang)}</text>")
    return parts


def lorenz_chart_svg(p: np.ndarray, lorenz: np.ndarray, *, lang: str = "zh", colour: str = "#b2182b",
                     width: int = 640, height: int = 300) -> str:
    """An SVG of a Lorenz curve with the line of equality, in the style of
    :func:`cumulative_chart_svg`.

    Parameters
    ----------
    p, lorenz : numpy.ndarray
        Cumulative population share and cumulative share of travel time (from
        :func:`tcm_coverage.access.lorenz_points`).
    lang : str
        ``"zh"`` or ``"en"``.
    colour : str
        Colour of the curve.
    width, height : int
        Size in CSS pixels.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    f = _Frame(width=width, height=height, xmax=1.0)
    pts = " ".join(f"{f.x(a):.1f},{f.y(b):.1f}" for a, b in zip(p, lorenz, strict=True)
                   if np.isfinite(a) and np.isfinite(b))
    lx, ly = f.left + f.pw, f.top + 14
    legend = (f"<line x1='{lx + 10}' x2='{lx + 30}' y1='{ly}' y2='{ly}' stroke='{colour}' stroke-width='2'/>"
              f"<text x='{lx + 34}' y='{ly + 4}'>{esc(text('outputs.dec_lorenz_curve', lang))}</text>"
              f"<line x1='{lx + 10}' x2='{lx + 30}' y1='{ly + 16}' y2='{ly + 16}' stroke='#888' "
              f"stroke-dasharray='4 3'/><text x='{lx + 34}' y='{ly + 20}'>"
              f"{esc(text('outputs.dec_lorenz_equal', lang))}</text>")
    return "".join([f"<svg class='chart' viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg' "
                    f"role='img' font-family='sans-serif' font-size='11'>", *_lorenz_axes(f, lang),
                    f"<line x1='{f.x(0):.1f}' y1='{f.y(0):.1f}' x2='{f.x(1):.1f}' y2='{f.y(1):.1f}' "
                    "stroke='#888' stroke-dasharray='4 3'/>",
                    f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{pts}'/>", legend,
                    "</svg>"])


def _png_figure(width_cm: float, height_cm: float, dpi: int, lang: str, *,
                margins: tuple[float, float, float, float]) -> tuple[Figure, Axes, FontProperties]:
    """A figure of the printed size with one axes at fixed ``(left, right, bottom, top)``
    margins (fractions; cheaper than ``tight_layout``), and the CJK font of its labels."""
    family, installed = cjk_font("sans")
    if not installed and lang == "zh":
        log.warning("no CJK font is installed, the chart's Chinese labels will not show "
                    "(Debian: apt install fonts-noto-cjk)")
    font = FontProperties(family=[family, "DejaVu Sans"], size=9)
    fig = Figure(figsize=(width_cm / 2.54, height_cm / 2.54), dpi=dpi)
    FigureCanvasAgg(fig)
    left, right, bottom, top = margins
    fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top)
    return fig, fig.add_subplot(), font


def cumulative_chart_png(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], *, threshold: float,
                         lang: str = "zh", width_cm: float = 16.0, height_cm: float = 7.5,
                         dpi: int = 200) -> bytes:
    """The chart of :func:`cumulative_chart_svg` as a PNG (for the Word report).

    Parameters
    ----------
    curves : mapping
        ``{mode: (minutes grid, share)}``.
    threshold : float
        Minutes marked with a dashed vertical line.
    lang : str
        ``"zh"`` or ``"en"``.
    width_cm, height_cm : float
        Printed size.
    dpi : int
        Resolution.

    Returns
    -------
    bytes
        The PNG file.
    """
    fig, ax, font = _png_figure(width_cm, height_cm, dpi, lang, margins=(0.09, 0.98, 0.16, 0.96))
    xmax = max((float(g[-1]) for g, _ in curves.values()), default=60.0)
    for mode, (grid, share) in curves.items():
        ax.plot(grid, share, color=MODE_COLOURS.get(mode, "#333333"), linewidth=1.6,
                label=label("mode", mode, lang))
    if threshold <= xmax:
        ax.axvline(threshold, color="#b2182b", linestyle=(0, (5, 3)), linewidth=1.0)
        ax.text(threshold + xmax / 200, 1.0, text("outputs.chart_minutes", lang, minutes=threshold),
                color="#b2182b", va="top", fontproperties=font)
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, 1.02)
    ax.set_xticks(np.arange(0, xmax + 1e-9, 5 if xmax <= 60 else 10))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    ax.set_xlabel(text("outputs.chart_x", lang), fontproperties=font)
    ax.set_ylabel(text("outputs.chart_y", lang), fontproperties=font)
    if curves:
        ax.legend(prop=font, loc="lower right", frameon=False)
    return png_bytes(fig, dpi=dpi)


def lorenz_chart_png(p: np.ndarray, lorenz: np.ndarray, *, lang: str = "zh", colour: str = "#b2182b",
                     width_cm: float = 12.0, height_cm: float = 7.5, dpi: int = 200) -> bytes:
    """The Lorenz curve of :func:`lorenz_chart_svg` as a PNG (for the Word report).

    Parameters
    ----------
    p, lorenz : numpy.ndarray
        Cumulative population share and cumulative share of travel time.
    lang : str
        ``"zh"`` or ``"en"``.
    colour : str
        Colour of the curve.
    width_cm, height_cm : float
        Printed size.
    dpi : int
        Resolution.

    Returns
    -------
    bytes
        The PNG file.
    """
    fig, ax, font = _png_figure(width_cm, height_cm, dpi, lang, margins=(0.13, 0.94, 0.17, 0.96))
    keep = np.isfinite(p) & np.isfinite(lorenz)
    ax.plot([0, 1], [0, 1], color="#888888", linestyle=(0, (4, 3)), linewidth=1.0,
            label=text("outputs.dec_lorenz_equal", lang))
    ax.plot(p[keep], lorenz[keep], color=colour, linewidth=1.6, label=text("outputs.dec_lorenz_curve", lang))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(color="#dddddd", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    ax.set_xlabel(text("outputs.dec_lorenz_x", lang), fontproperties=font)
    ax.set_ylabel(text("outputs.dec_lorenz_y", lang), fontproperties=font)
    ax.legend(prop=font, loc="upper left", frameon=False)
    return png_bytes(fig, dpi=dpi)
