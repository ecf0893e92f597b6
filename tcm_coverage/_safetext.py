"""Text from input files stays text in every output: no live formulas, no markup.

A facility or township name is whatever the planner's file holds, e.g.
``=HYPERLINK("http://x","y")`` or ``<img src=x onerror=alert(1)>``. The rules:

* **CSV** (OWASP "CSV injection"): a text cell (or header) that begins with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return is written with a leading ``'``, so Excel, WPS
  and LibreOffice show it as text instead of evaluating it. Numbers are numbers and are not
  touched. :func:`write_csv`.
* **XLSX** (:mod:`tcm_coverage._xlsx`, every workbook): a text cell is always a string cell,
  never a formula; one that begins with one of the characters above also gets Excel's "quote
  prefix" (so editing the cell does not turn it into a formula either); the text itself is
  kept exactly. Characters XML forbids (control characters other than tab, LF, CR,
  :data:`ILLEGAL_CHARACTERS_RE`) are dropped.
* **HTML**: text goes through :func:`html.escape` before it reaches a page, a folium
  tooltip or popup (folium puts property values into ``innerHTML`` unescaped) or a layer
  name. :func:`html_columns` escapes the text columns of a frame for GeoJSON properties;
  :func:`html_unbroken` escapes a table heading and keeps its hyphenated words (``15-min``,
  ``e-bike``) on one line, where a narrow column would break them after the hyphen.
* **DOCX**: python-docx escapes ``<``/``&`` itself but refuses characters XML 1.0 forbids
  (control characters other than tab, LF, CR; lone surrogates; U+FFFE/U+FFFF):
  :func:`xml_text` drops them, so a name with a stray control character does not stop the
  Word report.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import pandas as pd

__all__ = ["FORMULA_START", "ILLEGAL_CHARACTERS_RE", "csv_safe", "html_columns", "html_unbroken",
           "write_csv", "xml_text"]

#: Characters XML 1.0 does not allow in a document (python-docx/lxml refuse them).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: Characters openpyxl refuses in a cell (its ``openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE``, the
#: same pattern), dropped from every workbook cell (:mod:`tcm_coverage._xlsx`).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

#: Cell beginnings a spreadsheet may evaluate (OWASP CSV-injection list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headers cannot start a spreadsheet formula.

    Parameters
    ----------
    frame
        Any table.

    Returns
    -------
    pandas.DataFrame
        Text cells beginning with :data:`FORMULA_START` get a leading ``'``.
    """
    out = frame.copy()
    for col in out.columns:
        if _is_text(out[col]):
            out[col] = out[col].map(_csv_cell)
    return out.rename(columns=lambda c: _csv_cell(c) if isinstance(c, str) else c)


def write_csv(frame: pd.DataFrame, path: str | PathLike[str]) -> Path:
    """Write ``frame`` as UTF-8 CSV with a byte-order mark (Excel reads the Chinese headers),
    without its index, through :func:`csv_safe`.

    Parameters
    ----------
    frame
        The table.
    path
        Destination.

    Returns
    -------
    pathlib.Path
    """
    csv_safe(frame).to_csv(path, index=False, encoding="utf-8-sig")
    return Path(path)


def html_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy of ``frame`` with the text of ``columns`` HTML-escaped (for GeoJSON properties
    that folium shows in tooltips and popups as HTML).

    Parameters
    ----------
    frame
        A table or GeoDataFrame.
    columns
        Columns to escape (missing ones are skipped); non-text values are turned into text.

    Returns
    -------
    pandas.DataFrame
    """
    out = frame.copy()
    for col in columns:
        if col in out:
            out[col] = [html.escape(str(v), quote=True) for v in out[col]]
    return out


#: A word joined by hyphens (``15-min``, ``e-bike``, ``off-road``).
_HYPHENATED = re.compile(r"\w+(?:-\w+)+")


def html_unbroken(value: object) -> str:
    """``str(value)`` HTML-escaped, each hyphenated word in a ``white-space: nowrap`` span: a
    browser breaks a line after a hyphen ("15-" / "min"), and CSS ``hyphens`` does not stop
    it; the span keeps the plain hyphen (copying and searching find ``15-min``)."""
    return _HYPHENATED.sub(lambda m: f"<span style='white-space:nowrap'>{m.group(0)}</span>",
                           html.escape(str(value)))


def xml_text(value: object) -> str:
    """``str(value)`` without the characters XML 1.0 forbids (for the Word report)."""
    return _XML_ILLEGAL.sub("", str(value))
