"""The title block, legend and style of the coverage map (:mod:`tcm_coverage.outputs.maps`):
boxes over the map, in the classes and colours of :mod:`tcm_coverage.outputs.style`."""

from __future__ import annotations

import html
from collections.abc import Sequence

from tcm_coverage.i18n import text
from tcm_coverage.outputs.style import (
    SHARE_BREAKS,
    SHARE_COLOURS,
    TIER_STYLE,
    UNCOVERED_COLOUR,
    UNKNOWN_FILL,
)

__all__ = ["MAP_CSS", "legend_html", "title_html"]


def title_html(title: str, meta: Sequence[str], sources: Sequence[str], lang: str) -> str:
    """The title box: the title, one line per ``meta`` item, then the data sources."""
    src = "".join(f"<div>{html.escape(s)}</div>" for s in sources)
    if src:
        src = f"<div class='tcm-src'><b>{text('outputs.sources', lang)}</b>{src}</div>"
    return ("<div class='tcm-box tcm-title'>"
            f"<div class='tcm-h'>{html.escape(title)}</div>"
            + "".join(f"<div>{html.escape(m)}</div>" for m in meta) + src + "</div>")


def _swatch(colour: str, label_html: str) -> str:
    return f"<div><span class='tcm-sw' style='background:{colour}'></span>{label_html}</div>"


def _dot(style: str, label_html: str) -> str:
    return f"<div><span class='tcm-dot' style='{style}'></span>{label_html}</div>"


def legend_html(lang: str, threshold: float, bands: Sequence[tuple[str, str]], *, has_towns: bool,
                extra: Sequence[tuple[str, str]] = (), unknown: int = 0) -> str:
    """The legend box of the coverage map.

    Parameters
    ----------
    lang
        ``"zh"`` or ``"en"``.
    threshold
        Minutes of the residents-beyond circles.
    bands
        ``(colour, "0–5")`` rows of the isochrone bands shown (none: no band section).
    has_towns
        Show the township share classes.
    extra
        ``(colour, label)`` rows of the caller's layers (escaped here).
    unknown
        Facilities whose 中医馆/中医阁 is unknown (any: explain the grey markers).
    """
    rows = []
    if bands:
        rows.append(f"<div class='tcm-lh'>{text('outputs.map_legend_bands', lang)}</div>")
        rows += [_swatch(c, band) for c, band in bands]
    if has_towns:
        rows.append(f"<div class='tcm-lh'>{text('outputs.map_legend_shares', lang)}</div>")
        rows += [_swatch(c, f"{lo:.0%}–{min(hi, 1):.0%}")
                 for c, lo, hi in zip(SHARE_COLOURS, SHARE_BREAKS[:-1], SHARE_BREAKS[1:], strict=True)]
    rows.append(f"<div class='tcm-lh'>{text('outputs.map_legend_facilities', lang)}</div>")
    rows += [_dot(f"background:{colour};border-color:{colour}", text(f"outputs.tier_{tier}", lang))
             for tier, colour in TIER_STYLE.items()]
    rows.append(_dot("background:#fff;border-color:#2166ac", text("outputs.map_legend_hollow", lang)))
    if unknown:
        rows.append(_dot(f"background:{UNKNOWN_FILL};border-color:#2166ac", text("outputs.map_legend_grey", lang)))
    rows.append(_dot(f"background:{UNCOVERED_COLOUR};border-color:{UNCOVERED_COLOUR};opacity:.6",
                     text("outputs.map_legend_uncovered", lang, minutes=threshold)))
    rows += [_swatch(c, html.escape(row)) for c, row in extra]
    return "<div class='tcm-box tcm-legend'>" + "".join(rows) + "</div>"


MAP_CSS = """<style>
.tcm-box{position:absolute;z-index:1000;background:rgba(255,255,255,.93);border:1px solid #999;
 border-radius:4px;padding:6px 9px;font:12px/1.45 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",
 sans-serif;color:#222;box-shadow:0 1px 4px rgba(0,0,0,.25)}
.tcm-title{top:10px;left:54px;max-width:420px}
.tcm-h{font-size:15px;font-weight:bold;margin-bottom:2px}
.tcm-src{margin-top:4px;color:#555;font-size:11px}
.tcm-legend{bottom:34px;right:10px;max-width:260px}
.tcm-lh{font-weight:bold;margin-top:3px}
.tcm-sw{display:inline-block;width:14px;height:10px;margin-right:5px;border:1px solid #888;vertical-align:middle}
.tcm-dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:5px;border:2px solid;vertical-align:middle}
.tcm-label{background:none;border:none}
.tcm-town-label{font:12px "Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#333;text-align:center;
 white-space:nowrap;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}
@media print{.leaflet-control-layers{display:none}}
</style>"""
