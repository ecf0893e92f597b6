"""The report sections of issue 15 in HTML, shown after the township table: the referral chain,
fairness (with the Lorenz curve) and how sure the headline is (the sensitivity band and tornado
table).

The figures come from :mod:`~tcm_coverage.outputs.report_figures` (:func:`referral_figure`,
:func:`fairness_figure`, :func:`sensitivity_figure`), which the Word report renders too; here
they become HTML. An absent table gives no section. All text is escaped.
"""

from __future__ import annotations

import html

import numpy as np

from tcm_coverage._safetext import html_unbroken
from tcm_coverage.outputs.chart import lorenz_chart_svg
from tcm_coverage.outputs.report_figures import (
    DecisionFigure,
    DecisionSections,
    band_text,
    fairness_figure,
    referral_figure,
    sensitivity_figure,
)

__all__ = ["DecisionSections", "band_text", "decision_sections_html", "fairness_section",
           "referral_section", "sensitivity_section"]

esc = html.escape


def _grid(figure: DecisionFigure, extra: list[str] | None = None, *, nowrap: bool = False) -> str:
    """The figure's table: the first cell of a row a row header; ``extra`` cells (raw HTML) at
    the end of the rows."""
    th = "<th style='white-space:nowrap'>" if nowrap else "<th>"
    heads = list(figure.table.heads) + ([""] if extra else [])
    rows = []
    for i, row in enumerate(figure.table.rows):
        first, *rest = row
        tail = f"<td style='width:35%'>{extra[i]}</td>" if extra else ""
        rows.append(f"<tr>{th}{html_unbroken(first.text)}</th>" + "".join(f"<td>{esc(c.text)}</td>" for c in rest)
                    + tail + "</tr>")
    return ("<table class='grid'><thead><tr>" + "".join(f"<th>{html_unbroken(h)}</th>" for h in heads)
            + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _section(figure: DecisionFigure) -> str:
    return f"<h2>{esc(figure.heading)}</h2><p>{esc(figure.intro)}</p>"


def referral_section(s: DecisionSections, county_code: str) -> str:
    """The referral chain: the county share within the referral minutes, one row per township."""
    figure = referral_figure(s, county_code)
    return "" if figure is None else _section(figure) + _grid(figure, nowrap=True)


def fairness_section(s: DecisionSections, county_code: str) -> str:
    """Gini, the 街道/乡镇 gap, the worst-three share, one row per township, and the Lorenz curve."""
    figure = fairness_figure(s, county_code)
    if figure is None:
        return ""
    chart = "" if figure.lorenz is None else lorenz_chart_svg(*figure.lorenz, lang=s.lang)
    return _section(figure) + _grid(figure) + chart


def _bar(lo: float, hi: float, headline: float, span: tuple[float, float]) -> str:
    """A tornado bar from the low to the high share, with the headline marked."""
    a, b = span
    width = max(b - a, 1e-9)

    def x(v: float) -> float:
        return 100 * (v - a) / width

    left, right = sorted((lo, hi))
    return ("<div style='position:relative;height:12px;background:#f4f4f4'>"
            f"<div style='position:absolute;left:{x(left):.1f}%;width:{max(x(right) - x(left), 0.5):.1f}%;"
            "height:12px;background:#f4a582'></div>"
            f"<div style='position:absolute;left:{x(headline):.1f}%;width:2px;height:12px;background:#b2182b'>"
            "</div></div>")


def sensitivity_section(s: DecisionSections, county_code: str) -> str:
    """The headline with its band and the tornado table (largest swing first)."""
    figure = sensitivity_figure(s, county_code)
    if figure is None:
        return ""
    values = [v for pair in figure.bars for v in pair] + [figure.headline]
    span = (float(np.nanmin(values)), float(np.nanmax(values)))
    bars = [_bar(lo, hi, figure.headline, span) for lo, hi in figure.bars]
    return _section(figure) + _grid(figure, bars)


def decision_sections_html(s: DecisionSections, county_code: str) -> str:
    """The three sections of one county's report, in order (empty when no table exists)."""
    return referral_section(s, county_code) + fairness_section(s, county_code) + sensitivity_section(s, county_code)
