"""Every workbook the package writes (``coverage.xlsx``, ``scorecard.xlsx``, ``sites.xlsx``,
``comparison.xlsx``, ``province_summary.xlsx``), written with xlsxwriter in one place.

A workbook is a list of :class:`Sheet`: a table plus the formatting its writer asks for (column
widths, the header row frozen or bold, percentage columns, a fill colour per row).
:func:`write_workbook` writes the cells column by column from the table's numpy arrays. The
rules of :mod:`tcm_coverage._safetext` hold for every cell and header:

* text is always a text cell, never a formula, link or number (xlsxwriter's
  ``strings_to_formulas``/``strings_to_urls``/``strings_to_numbers`` are off and text goes
  through ``write_string``); text beginning with :data:`~tcm_coverage._safetext.FORMULA_START`
  also gets Excel's "quote prefix", so editing the cell does not turn it into a formula;
* characters XML forbids (:data:`~tcm_coverage._safetext.ILLEGAL_CHARACTERS_RE`) are dropped;
* a missing value (NaN, None, ``pd.NA``, NaT) and an empty text are an empty cell; an unknown
  the table already says 无数据 stays that text; ±inf is the text ``inf``/``-inf``;
* numbers are numbers (16 significant digits, as openpyxl wrote them), booleans booleans,
  dates and times get a date format.

The values and types are those pandas' ``to_excel`` wrote through openpyxl before (the sheets
the tests read back cell for cell), in half the CPU time (``benchmarks/README.md``). xlsxwriter
is imported when a workbook is written, never by the modules that read inputs.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tcm_coverage._safetext import FORMULA_START, ILLEGAL_CHARACTERS_RE

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

__all__ = ["PERCENT_FORMAT", "Sheet", "write_workbook"]

#: Number format of the share columns (a share 0.8125 shows as 81.3%).
PERCENT_FORMAT = "0.0%"

#: Number formats of dates and times (those pandas' ``to_excel`` used).
_DATETIME_FORMAT, _DATE_FORMAT = "yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd"

#: xlsxwriter adds Excel's cell padding (5 pixels at the 7-pixel digit width of Calibri 11) to
#: a width; openpyxl stored the width as given. Subtracting it keeps the widths of before.
_WIDTH_PADDING = 5 / 7

_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "in_memory": True}


@dataclass(frozen=True, kw_only=True)
class Sheet:
    """One sheet of a workbook: a table (written without its index, header in row 1) and its
    formatting.

    Parameters
    ----------
    name
        Sheet name (cut to 31 characters, Excel's limit).
    frame
        The table.
    widths
        Width of each column in characters (as a spreadsheet shows it); ``None``: the default.
    percent
        Positions of the columns whose values (not the header) show as percentages.
    freeze_header
        Keep row 1 in view when scrolling.
    bold_header
        Row 1 in bold.
    row_fills
        A fill colour (``"#RRGGBB"``) for each data row; such rows are also top-aligned. Cells
        left empty in a filled row are filled too.
    """

    name: str
    frame: pd.DataFrame
    widths: Sequence[float] | None = None
    percent: frozenset[int] = field(default_factory=frozenset)
    freeze_header: bool = False
    bold_header: bool = False
    row_fills: Sequence[str] | None = None


class _Formats:
    """The cell formats of one workbook, made once per combination."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.cache: dict[tuple[bool, bool, str | None, str | None, bool], Format] = {}

    def get(self, *, bold: bool = False, percent: bool = False, fill: str | None = None,
            num_format: str | None = None, quote: bool = False) -> Format:
        key = (bold, percent, fill, num_format, quote)
        if key not in self.cache:
            props: dict[str, Any] = {}
            if bold:
                props["bold"] = True
            if percent:
                props["num_format"] = PERCENT_FORMAT
            if num_format:
                props["num_format"] = num_format
            if fill:
                props.update(pattern=1, bg_color=fill, valign="top")
            if quote:
                props["quote_prefix"] = True
            self.cache[key] = self.book.add_format(props)
        return self.cache[key]


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _write_value(ws: Worksheet, row: int, col: int, value: object, formats: _Formats, *,
                 bold: bool, percent: bool, fill: str | None) -> None:
    """One cell of a column that holds more than one type (text among numbers, None, ...)."""
    if isinstance(value, (np.generic, pd.Timestamp)) and not isinstance(value, np.str_):
        value = value.item() if isinstance(value, np.generic) else value.to_pydatetime()
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        if text:
            quote = text.startswith(FORMULA_START)
            ws.write_string(row, col, text, formats.get(bold=bold, percent=percent, fill=fill,
                                                        quote=quote))
            return
        value = None
    fmt = formats.get(bold=bold, percent=percent, fill=fill)
    if _is_missing(value):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, int):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, float):
        if math.isinf(value):
            _write_value(ws, row, col, "inf" if value > 0 else "-inf", formats, bold=bold,
                         percent=percent, fill=fill)
        else:
            ws.write_number(row, col, value, fmt)
    elif isinstance(value, datetime.datetime):
        ws.write_datetime(row, col, value, formats.get(bold=bold, fill=fill,
                                                       num_format=_DATETIME_FORMAT))
    elif isinstance(value, datetime.date):
        ws.write_datetime(row, col, value, formats.get(bold=bold, fill=fill,
                                                       num_format=_DATE_FORMAT))
    else:  # anything else as its text (as pandas did)
        _write_value(ws, row, col, str(value), formats, bold=bold, percent=percent, fill=fill)


def _write_column(ws: Worksheet, col: int, series: pd.Series, formats: _Formats, *,
                  percent: bool, fills: Sequence[str | None]) -> None:
    """The data cells of one column, from row 2 (one typed loop for a numeric column)."""
    dtype = series.dtype
    uniform = len(set(fills)) <= 1
    if uniform and dtype.kind in "fiub" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        values = series.to_numpy()
        fill = fills[0] if len(fills) else None
        fmt = formats.get(percent=percent, fill=fill)
        if dtype.kind == "b":
            for row, value in enumerate(values.tolist(), start=1):
                ws.write_boolean(row, col, value, fmt)
            return
        if dtype.kind in "iu":
            for row, value in enumerate(values.tolist(), start=1):
                ws.write_number(row, col, value, fmt)
            return
        finite = np.isfinite(values)
        for row in (np.flatnonzero(~finite) + 1).tolist():  # NaN, ±inf
            _write_value(ws, row, col, float(values[row - 1]), formats, bold=False,
                         percent=percent, fill=fill)
        rows = (np.flatnonzero(finite) + 1).tolist()
        for row, value in zip(rows, values[finite].tolist(), strict=True):
            ws.write_number(row, col, value, fmt)
        return
    # text among numbers: the common cells (text, finite float, int) straight to xlsxwriter
    plain = {f: formats.get(percent=percent, fill=f) for f in set(fills)}
    quoted = {f: formats.get(percent=percent, fill=f, quote=True) for f in set(fills)}
    write_string, write_number = ws.write_string, ws.write_number
    illegal = ILLEGAL_CHARACTERS_RE.search
    for row, (value, fill) in enumerate(zip(series.astype(object).tolist(), fills, strict=True),
                                        start=1):
        kind = value.__class__
        if kind is str and value and not illegal(value):
            write_string(row, col, value,
                         quoted[fill] if value.startswith(FORMULA_START) else plain[fill])
        elif kind is int or (kind is float and math.isfinite(value)):
            write_number(row, col, value, plain[fill])
        else:
            _write_value(ws, row, col, value, formats, bold=False, percent=percent, fill=fill)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the cells are made: each cell is a small
    tuple (none forms a cycle), and the full passes they trigger over a loaded run's heap
    cost as much as the writing itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write_sheet(book: Workbook, sheet: Sheet, formats: _Formats) -> None:
    ws = book.add_worksheet(sheet.name[:31])
    frame = sheet.frame
    fills: Sequence[str | None] = (list(sheet.row_fills) if sheet.row_fills is not None
                                   else [None] * len(frame))
    if len(fills) != len(frame):
        raise ValueError(f"sheet {sheet.name!r}: {len(fills)} row fills for {len(frame)} rows")
    for col, (label, series) in enumerate(frame.items()):  # items: no indexing pass per column
        _write_value(ws, 0, col, label, formats, bold=sheet.bold_header, percent=False, fill=None)
        _write_column(ws, col, series, formats, percent=col in sheet.percent, fills=fills)
    for col, width in enumerate(sheet.widths or ()):
        ws.set_column(col, col, max(0.0, width - _WIDTH_PADDING))
    if sheet.freeze_header:
        ws.freeze_panes(1, 0)


def write_workbook(path: str | PathLike[str], sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets``, in order, as the workbook ``path`` (see the module docstring).

    Parameters
    ----------
    path
        Destination ``.xlsx`` (written only when every sheet was made).
    sheets
        The sheets.

    Returns
    -------
    pathlib.Path
    """
    import xlsxwriter  # noqa: PLC0415 - here: reading inputs never needs the writer

    with _collector_paused():
        book = xlsxwriter.Workbook(str(path), _OPTIONS)
        formats = _Formats(book)
        for sheet in sheets:
            _write_sheet(book, sheet, formats)
        book.close()
    return Path(path)
