"""A scorecard as a planner reads it: ``scorecard.html`` (one printable page) and
``scorecard.xlsx``, rendered from its data columns in Chinese or English.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import date
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage._io import add_files
from tcm_coverage._safetext import html_unbroken
from tcm_coverage._version import __version__
from tcm_coverage._xlsx import Sheet, write_workbook
from tcm_coverage.i18n import label, text
from tcm_coverage.outputs.scorecard import Scorecard
from tcm_coverage.outputs.scorecard_text import (
    SCORECARD_COLUMNS,
    STATUSES,
    render_scorecard,
    status_label,
)
from tcm_coverage.outputs.style import STATUS_COLOURS, column_widths

__all__ = ["scorecard_html", "write_scorecard"]

_SHOWN = ("level_label", "code", "name", "indicator_label", "value_text", "target_text", "met",
          "gap_text", "source", "note", "method")


def _header(column: str, lang: str) -> str:
    return text(f"outputs.sc_head_{column}", lang)


def _display(card: pd.DataFrame, lang: str) -> pd.DataFrame:
    data = card[[c for c in SCORECARD_COLUMNS if c in card]]
    frame = pd.concat([data, render_scorecard(data, lang)], axis=1)
    cols = list(_SHOWN)
    return frame[cols].rename(columns={c: _header(c, lang) for c in cols})


def _about_rows(card: Scorecard, lang: str) -> list[tuple[str, str]]:
    mode = label("mode", card.mode, lang)
    fs = card.facility_set
    sources = list(card.sources) or sorted({s for s in card.rows["source"] if s})
    return [
        (text("outputs.sc_about_profile", lang),
         text("outputs.sc_about_profile_value", lang, title=card.title_in(lang),
              profile=card.profile)),
        (text("outputs.sc_about_sources", lang), text("outputs.sc_sources_sep", lang).join(sources)),
        (text("outputs.sc_about_coverage", lang),
         text("outputs.sc_about_coverage_value", lang, mode=mode, minutes=card.minutes,
              facility_set=label("facility_set", fs, lang),
              definition=label("facility_set_definition", fs, lang))),
        (text("outputs.sc_about_missing", lang), text("outputs.sc_about_missing_value", lang)),
        (text("outputs.sc_about_made", lang), f"{date.today().isoformat()}, tcm-coverage {__version__}"),
    ]


_CSS = ("body{font-family:'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;"
        "margin:24px;color:#222;font-size:13px}"
        "h1{font-size:20px;margin:0 0 12px}h2{font-size:15px;margin:16px 0 8px}"
        "table{border-collapse:collapse;margin-bottom:16px}"
        "th,td{border:1px solid #bbb;padding:4px 6px;vertical-align:top;text-align:left}"
        "td.nw{white-space:nowrap}"
        "thead th{background:#34495e;color:#fff;position:sticky;top:0;white-space:nowrap}"
        "table.about th{background:#f2f2f2;white-space:nowrap}"
        ".chip{display:inline-block;padding:2px 8px;margin-right:6px;border:1px solid #bbb}"
        + "".join(f"tr.{s} td{{background:{c}}}" for s, c in STATUS_COLOURS.items())
        + "@media print{body{margin:8mm;font-size:10px}thead{display:table-header-group}"
          "thead th{position:static}tr{page-break-inside:avoid}"
          "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}")


def _pairs_table(rows: Iterable[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{html_unbroken(k)}</th><td>{html_unbroken(v)}</td></tr>" for k, v in rows)


def _table_body(shown: pd.DataFrame, status: list[str], lang: str) -> str:
    """The rows of the scorecard table, each with its status class (hyphenated words kept
    whole: a narrow column broke "TCM-" / "capable")."""
    narrow = {_header(c, lang) for c in ("level_label", "code", "name", "met")}
    body = []
    for i, rec in enumerate(shown.itertuples(index=False)):
        cells = "".join(
            f'<td{" class=nw" if col in narrow else ""}>{html_unbroken("" if pd.isna(v) else v)}</td>'
            for col, v in zip(shown.columns, rec, strict=True))
        body.append(f'<tr class="{status[i]}">{cells}</tr>')
    return "".join(body)


def scorecard_html(card: Scorecard, lang: str) -> str:
    """The scorecard as one printable HTML page: the profile, its sources and the coverage
    definition on top, a status legend, the table with rows coloured by status, then how each
    indicator is computed."""
    esc = html.escape
    rows = card.rows
    shown = _display(rows, lang)
    method_col, source_col = _header("method", lang), _header("source", lang)
    # Each indicator's method once, below the table; the source column only when several plans.
    methods = dict(zip(shown[_header("indicator_label", lang)], shown[method_col], strict=True))
    one_plan = rows["source"].replace("", np.nan).nunique() <= 1
    shown = shown.drop(columns=[method_col] + ([source_col] if one_plan else []))
    title = text("outputs.sc_title", lang, title=card.title_in(lang))
    legend = "".join(f'<span class="chip" style="background:{STATUS_COLOURS[s]}">'
                     f"{esc(status_label(s, lang))}</span>" for s in STATUSES)
    head = "".join(f"<th>{html_unbroken(c)}</th>" for c in shown.columns)
    return (f'<!DOCTYPE html>\n<html lang="{text("outputs.html_lang", lang)}"><head><meta charset="utf-8">'
            f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{esc(title)}</h1><table class=\"about\">{_pairs_table(_about_rows(card, lang))}</table>"
            f"<p>{legend}</p><table class=\"card\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{_table_body(shown, rows['status'].to_list(), lang)}</tbody></table>"
            f"<h2>{esc(text('outputs.sc_methods', lang))}</h2>"
            f"<table class=\"about\">{_pairs_table(methods.items())}</table></body></html>\n")


def _xlsx(card: Scorecard, path: Path, lang: str) -> None:
    shown = _display(card.rows, lang)
    about = pd.DataFrame(_about_rows(card, lang),
                         columns=[text("outputs.readme_item", lang), text("outputs.readme_value", lang)])
    sheet, about_sheet = text("outputs.sc_sheet", lang), text("outputs.sc_sheet_about", lang)
    fills = [STATUS_COLOURS[s] for s in card.rows["status"].to_list()]
    write_workbook(path, [
        Sheet(name=sheet, frame=shown, widths=column_widths(shown), freeze_header=True,
              bold_header=True, row_fills=fills),
        Sheet(name=about_sheet, frame=about, widths=column_widths(about), freeze_header=True,
              bold_header=True)])


def write_scorecard(
    card: Scorecard, out_dir: str | PathLike[str], lang: str | None = None, *,
    stem: str = "scorecard",
) -> list[Path]:
    """Write ``scorecard.xlsx`` and ``scorecard.html`` into ``out_dir``.

    Both are rendered from the data columns, so ``lang`` may differ from the language the
    scorecard was made in. The HTML is one printable page: the profile, its sources and the
    coverage definition on top, then the table with met/unmet rows coloured.

    Parameters
    ----------
    card
        From :func:`tcm_coverage.outputs.scorecard.scorecard`.
    out_dir
        Destination folder (created when missing). Both files are written first and then
        put in place (:func:`tcm_coverage._io.add_files`: a tcm-coverage result folder is
        updated as a whole; other files in a plain folder stay).
    lang
        ``"zh"`` or ``"en"`` (default: the language of ``card``).
    stem
        File name without extension (``scorecard_yantai`` when writing several profiles).

    Returns
    -------
    list of pathlib.Path
        The two files, in ``out_dir``.
    """
    lang = lang or card.lang
    if lang not in ("zh", "en"):
        raise InputError(f"unknown language '{lang}'", fix="use zh or en")
    missing = [c for c in SCORECARD_COLUMNS if c not in card.rows]
    if missing:
        raise InputError(f"not a scorecard: columns {missing} are missing",
                         fix="pass the Scorecard returned by scorecard()")
    with add_files(out_dir, kind="score") as tmp:
        _xlsx(card, tmp / f"{stem}.xlsx", lang)
        (tmp / f"{stem}.html").write_text(scorecard_html(card, lang), encoding="utf-8")
    return [Path(out_dir) / f"{stem}.xlsx", Path(out_dir) / f"{stem}.html"]
