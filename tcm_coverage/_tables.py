"""One reader for the spreadsheets planners have: CSV/TXT and XLSX, as they come.

Every table a user gives (facility lists, village population tables, site-selection candidate
overrides) is read by :func:`read_table`, and its columns are found by :func:`find_column`:

* **Text files**: UTF-8 (with or without a byte-order mark), GBK / GB18030 (Excel on Chinese
  Windows saves "CSV" in GBK) or UTF-16 ("Unicode text" from Excel, tab-separated); comma or
  tab separated. The encoding that worked is logged.
* **Workbooks** (``.xlsx``, ``.xlsm``): a title row, a merged title cell or notes above the
  header are skipped: the header is the row among the first :data:`HEADER_SEARCH_ROWS` that
  holds the most known column names (``known``). With several sheets and no ``sheet`` given,
  the sheet whose header holds the most known names is read and the choice is logged; ``sheet``
  (a name or a 1-based number) chooses another, and an unknown one is an error listing the
  sheets. Old ``.xls`` files are an error asking for ``.xlsx``.
* Blank rows are skipped; blank cells (also whitespace only) are ``NaN``; everything else is
  kept as read (text stays text, "NA" is not a missing value). Row numbers are the ones a
  planner sees in Excel (:attr:`Table.rows`), so error messages can name them.

Column names are compared by :func:`normalize_name`: case, spaces, ``_``/``-`` and
full-width/half-width forms are ignored, and a unit in brackets may be left off
(``人口(人)`` matches ``人口``). :func:`find_columns` finds every column of an alias table at
once and :func:`alias_names` lists the names that identify a header row.

Yes/no cells (中医馆/中医阁 flags, ``force``/``exclude`` of site candidates, the scenario's
overrides table) are read by :func:`parse_yes_no` with the one vocabulary :data:`YES_WORDS`,
:data:`NO_WORDS` and :data:`UNKNOWN_WORDS`.

Why this module is long: it is the one contract for every table a user gives (decoding, the
header and sheet search, column aliases, yes/no cells), in the bottom layer so that inputs,
siting and the scenario overrides share it; the yes/no vocabulary and the alias helpers could
move to a second bottom module once the layer table (tests/test_layout.py) lists one.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError

if TYPE_CHECKING:
    import openpyxl

logger = logging.getLogger(__name__)

__all__ = ["HEADER_SEARCH_ROWS", "NO_WORDS", "TABLE_SUFFIXES", "UNKNOWN_WORDS", "YES_WORDS", "Table",
           "YesNo", "alias_names", "blank_cells", "find_column", "find_columns", "normalize_name", "parse_yes_no",
           "read_table", "sheet_names"]

#: The header row is looked for among this many first non-blank rows.
HEADER_SEARCH_ROWS = 20

#: File suffixes :func:`read_table` reads.
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")

_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
_BRACKETED = re.compile(r"[(\[【].*?[)\]】]")
_SEPARATORS = re.compile(r"[\s_\-·]+")

#: Cell values read as yes (compared by :func:`normalize_name`: case and full-width forms ignored).
YES_WORDS: frozenset[str] = frozenset({
    "是", "有", "y", "yes", "true", "t", "1", "1.0", "√", "✓", "已建", "建成", "已建成"})
#: Cell values read as no.
NO_WORDS: frozenset[str] = frozenset({
    "否", "无", "没有", "n", "no", "false", "f", "0", "0.0", "×", "✗", "未建"})
#: Cell values meaning "not known" (a blank cell is also unknown, never "no").
UNKNOWN_WORDS: frozenset[str] = frozenset({
    "", "nan", "none", "未知", "不详", "不清楚", "unknown", "?", "？", "-", "–", "无数据", "nodata",
    "<na>"})


def normalize_name(text: object) -> str:
    """Comparison key of a column name or type string.

    Full-width forms become half-width (NFKC), letters lower case, and spaces, ``_``, ``-`` and
    ``·`` are dropped: ``"Facility_Type"``, ``"facility type"`` and ``"ＦＡＣＩＬＩＴＹ-TYPE"``
    give the same key, as do ``"人口（人）"`` and ``"人口(人)"``.

    Parameters
    ----------
    text
        Any value (converted with ``str``).

    Returns
    -------
    str
    """
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return _SEPARATORS.sub("", s)


def _unbracketed(key: str) -> str:
    return _BRACKETED.sub("", key)


def find_column(columns: Sequence[object], aliases: Iterable[str]) -> str | None:
    """The column matching the first alias that matches any column.

    Aliases are tried in order (the first is the preferred name); each is compared with
    :func:`normalize_name`, first exactly, then with bracketed parts (units such as ``(人)``)
    removed from both sides.

    Parameters
    ----------
    columns
        Column names as in the file.
    aliases
        Accepted names, most specific first.

    Returns
    -------
    str or None
        The column as spelled in the file, or ``None``.
    """
    cols = [str(c) for c in columns]
    exact: dict[str, str] = {}
    loose: dict[str, str] = {}
    for c in cols:
        key = normalize_name(c)
        exact.setdefault(key, c)
        loose.setdefault(_unbracketed(key), c)
    aliases = [normalize_name(a) for a in aliases]
    for alias in aliases:
        if alias in exact:
            return exact[alias]
    for alias in aliases:
        if _unbracketed(alias) in loose:
            return loose[_unbracketed(alias)]
    return None


def blank_cells(values: pd.Series) -> np.ndarray:
    """(n,) bool: the cell is missing, empty or whitespace, or the text ``nan``/``None``.

    Parameters
    ----------
    values
        Cells as read (a vector file's attributes may hold ``None`` or ``NaN``).

    Returns
    -------
    numpy.ndarray
    """
    text = values.astype(str).str.strip()
    return values.isna().to_numpy() | text.isin(["", "nan", "None"]).to_numpy()


def find_columns(columns: Sequence[object],
                 aliases: Mapping[str, Iterable[str]]) -> dict[str, str | None]:
    """The column of every key of an alias table (:func:`find_column` per key).

    Parameters
    ----------
    columns
        Column names as in the file.
    aliases
        Key -> accepted names, most specific first.

    Returns
    -------
    dict
        Key -> the column as spelled in the file, or ``None``.
    """
    return {key: find_column(columns, names) for key, names in aliases.items()}


def alias_names(aliases: Mapping[str, Iterable[str]], *, min_length: int = 1) -> tuple[str, ...]:
    """Every name of an alias table, for finding the header row (``known`` of :func:`read_table`).

    Parameters
    ----------
    aliases
        Key -> accepted names.
    min_length
        Leave out names whose :func:`normalize_name` key is shorter (one-letter names such as
        ``x`` would make a data row look like a header).

    Returns
    -------
    tuple of str
    """
    return tuple(a for names in aliases.values() for a in names
                 if len(normalize_name(a)) >= min_length)


@dataclass(frozen=True, eq=False)
class YesNo:
    """A column of yes/no cells as read by :func:`parse_yes_no`.

    Attributes
    ----------
    yes, no, unknown, bad
        (n,) bool masks: the cell says yes; says no; is blank or says "not known"
        (:data:`UNKNOWN_WORDS`); is none of these (an error for the caller to report).
    """

    yes: np.ndarray
    no: np.ndarray
    unknown: np.ndarray
    bad: np.ndarray

    def flags(self) -> pd.arrays.BooleanArray:
        """``boolean`` array: ``True``/``False`` where known, ``<NA>`` where unknown or bad."""
        out = pd.array(self.yes.copy(), dtype="boolean")
        out[self.unknown | self.bad] = pd.NA
        return out


def parse_yes_no(values: pd.Series) -> YesNo:
    """Read yes/no cells with the one vocabulary (:data:`YES_WORDS`, :data:`NO_WORDS`).

    Parameters
    ----------
    values
        The cells as read (text, numbers, booleans; missing cells ``NaN``/``None``).

    Returns
    -------
    YesNo
        The yes, no, unknown and unreadable masks, aligned with ``values``.
    """
    keys = values.map(lambda v: normalize_name(v) if pd.notna(v) else "").to_numpy(dtype=object)
    yes = np.isin(keys, list(YES_WORDS))
    no = np.isin(keys, list(NO_WORDS))
    unknown = np.isin(keys, list(UNKNOWN_WORDS))
    return YesNo(yes=yes, no=no, unknown=unknown, bad=~(yes | no | unknown))


@dataclass(frozen=True, eq=False)
class Table:
    """A table as read from a user's file.

    Attributes
    ----------
    frame
        The data (object columns, one per header cell; blank cells ``NaN``), blank rows removed.
    path
        The file.
    rows
        (len(frame),) int: the spreadsheet row number of each data row (the header of a plain
        file is row 1, so its first data row is row 2).
    header_row
        Spreadsheet row number of the header.
    sheet
        The sheet read (workbooks), else ``None``.
    encoding
        The text encoding that worked (text files), else ``None``.
    """

    frame: pd.DataFrame
    path: Path
    rows: np.ndarray = field(repr=False)
    header_row: int = 1
    sheet: str | None = None
    encoding: str | None = None

    def where(self) -> str:
        """Where the header was found, for messages: ``"sheet '设施', header in row 3"``."""
        parts = []
        if self.sheet is not None:
            parts.append(f"sheet '{self.sheet}'")
        parts.append(f"header in row {self.header_row}")
        return ", ".join(parts)


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _header_score(row: Sequence[object], known: set[str]) -> int:
    """How many cells of ``row`` are known column names (units in brackets ignored)."""
    loose = {_unbracketed(k) for k in known}
    keys = {normalize_name(v) for v in row if not _is_blank(v) and not isinstance(v, (int, float))}
    return sum(1 for k in keys if k in known or _unbracketed(k) in loose)


def _pick_header(rows: list[tuple[int, list[object]]], known: set[str]) -> tuple[int, int]:
    """Index (into ``rows``) of the header and its score: the most known names wins, the
    earliest on ties; without any known name the first row."""
    best, best_score = 0, 0
    for i, (_, row) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = _header_score(row, known) if known else 0
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _build(rows: list[tuple[int, list[object]]], *, path: Path, known: set[str],
           sheet: str | None, encoding: str | None, what: str) -> Table:
    if not rows:
        raise InputError(f"the {what} is empty" + (f" (sheet '{sheet}')" if sheet else ""),
                         path=path, fix="save the table with a header row and one row per record")
    h, score = _pick_header(rows, known)
    header_row, header = rows[h]
    if known and score == 0:
        logger.info("%s: no known column names in the first %d rows; using row %d as the header",
                    path, HEADER_SEARCH_ROWS, header_row)
    width = max(len(header), 1)
    while width > 1 and _is_blank(header[width - 1]):
        width -= 1
    names: list[str] = []
    seen: dict[str, int] = {}
    for j in range(width):
        value = header[j] if j < len(header) else None
        name = (f"column {_column_letter(j)}" if _is_blank(value)
                else unicodedata.normalize("NFC", str(value)).strip())
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    data: list[list[object]] = []
    numbers: list[int] = []
    for number, row in rows[h + 1:]:
        extra = [v for v in row[width:] if not _is_blank(v)]
        if extra:
            raise InputError(
                f"the row has {width + len(extra)} or more values but the header ({what}, "
                f"row {header_row}) names only {width} columns",
                path=path, row=number,
                fix="put text containing commas in double quotes (\"...\"), remove the extra "
                    "values, or give the extra column a header",
            )
        cells = [None if _is_blank(v) else v for v in row[:width]]
        cells += [None] * (width - len(cells))
        data.append(cells)
        numbers.append(number)
    frame = pd.DataFrame(data, columns=names, dtype=object)
    if len(frame.columns):
        frame = frame.where(frame.notna(), np.nan)
    if h:
        logger.info("%s: header in row %d (%d row(s) above it skipped)", path, header_row, h)
    return Table(frame=frame, path=path, rows=np.asarray(numbers, dtype=np.int64),
                 header_row=header_row, sheet=sheet, encoding=encoding)


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"PK\x03\x04"):
        raise InputError("this is a ZIP file (an Excel workbook?), not a text table", path=path,
                         fix="give the workbook its .xlsx name, or save the sheet as CSV")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    if b"\x00" in raw[:4096]:
        raise InputError("this is a binary file, not a text table", path=path,
                         fix="save the table as CSV (UTF-8 or GBK) or XLSX")
    errors = []
    for encoding in _TEXT_ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            errors.append(f"{encoding}: {exc.reason} at byte {exc.start}")
    raise InputError(f"cannot decode the text as UTF-8 or GBK/GB18030 ({'; '.join(errors)})",
                     path=path, fix="save the CSV as UTF-8 (Excel: “CSV UTF-8”) or GBK text")


def _text_rows(path: Path) -> tuple[list[tuple[int, list[object]]], str]:
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise InputError("this is a folder, not a file", path=path,
                         fix="give the table file inside it") from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", path=path,
                         fix="check the path and its permissions") from None
    text, encoding = _decode(path, raw)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if path.suffix.lower() == ".tsv" or first.count("\t") > first.count(",") else ","
    rows: list[tuple[int, list[object]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                rows.append((reader.line_num - _embedded_newlines(record), list(record)))
    except csv.Error as exc:
        raise InputError(f"cannot read the text as a table ({exc})", path=path, row=reader.line_num,
                         fix="save it as a comma-separated CSV with one header row") from None
    return rows, encoding


def _embedded_newlines(record: list[str]) -> int:
    """Lines a quoted cell spans beyond the first (the row number is where the record starts)."""
    return sum(cell.count("\n") for cell in record)


def _open_workbook(path: Path) -> openpyxl.Workbook:
    import openpyxl  # noqa: PLC0415 - here: a run whose inputs are CSV never loads it

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(f"cannot read the workbook ({type(exc).__name__}: {exc})", path=path,
                         fix="open it in Excel/WPS and save it again as .xlsx, or save the sheet "
                             "as CSV") from None
    except Exception as exc:  # openpyxl's InvalidFileException and friends
        raise InputError(f"not an Excel workbook ({exc})", path=path,
                         fix="save it as .xlsx (or CSV)") from None


def _sheet_rows(ws, limit: int | None = None) -> list[tuple[int, list[object]]]:
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # some writers store a wrong sheet size; read what is there
    rows: list[tuple[int, list[object]]] = []
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if limit is not None and len(rows) >= limit:
            break
        cells = list(values)
        if any(not _is_blank(v) for v in cells):
            rows.append((number, cells))
    return rows


def sheet_names(path: str | PathLike[str]) -> list[str]:
    """The sheets of a workbook, in order.

    Parameters
    ----------
    path
        An ``.xlsx``/``.xlsm`` file.

    Returns
    -------
    list of str
    """
    wb = _open_workbook(Path(path))
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _choose_sheet(path: Path, names: list[str], sheet: str | int | None) -> str | None:
    if sheet is None:
        return None
    text = str(sheet).strip()
    if text in names:
        return text
    by_key = {normalize_name(n): n for n in names}
    if normalize_name(text) in by_key:
        return by_key[normalize_name(text)]
    if text.isdigit() and 1 <= int(text) <= len(names):
        return names[int(text) - 1]
    raise InputError(f"the workbook has no sheet {text!r}; its sheets are {names}", path=path,
                     fix=f"pass one of {names} (or its number, 1 = first) with --sheet")


def _workbook_rows(path: Path, sheet: str | int | None,
                   known: set[str]) -> tuple[list[tuple[int, list[object]]], str]:
    wb = _open_workbook(path)
    try:
        names = list(wb.sheetnames)
        chosen = _choose_sheet(path, names, sheet)
        if chosen is None and len(names) > 1 and known:
            scores = [_pick_header(_sheet_rows(wb[n], HEADER_SEARCH_ROWS), known)[1] for n in names]
            chosen = names[int(np.argmax(scores))]  # first of the best
            others = [n for n, s in zip(names, scores, strict=True) if n != chosen and s > 0]
            logger.warning("%s: read sheet '%s' of %s%s; choose another with --sheet", path, chosen,
                           names, f" ({others} also look like tables)" if others else "")
        elif chosen is None:
            chosen = names[0]
            if len(names) > 1:
                logger.warning("%s: read the first sheet '%s' of %s; choose another with --sheet",
                               path, chosen, names)
        else:
            logger.info("%s: reading sheet '%s'", path, chosen)
        return _sheet_rows(wb[chosen]), chosen
    finally:
        wb.close()


def read_table(
    path: str | PathLike[str],
    *,
    sheet: str | int | None = None,
    known: Iterable[str] = (),
    what: str = "table",
) -> Table:
    """Read a CSV/TXT/XLSX table, finding its header row (and sheet).

    Parameters
    ----------
    path
        The file (``.csv``, ``.txt``, ``.tsv``, ``.xlsx``, ``.xlsm``).
    sheet
        Sheet of a workbook: a name or a 1-based number (default: the sheet whose header holds
        the most ``known`` names, else the first).
    known
        Column names (aliases) expected in the header; used to find the header row and sheet.
    what
        What the table is, for messages (``"facility table"``).

    Returns
    -------
    Table

    Raises
    ------
    InputError
        Missing or unreadable file, unknown encoding, unknown sheet (the message lists the
        sheets), a row with more values than the header has columns, an empty table.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path, fix="check the path")
    if path.is_dir():
        raise InputError("this is a folder, not a file", path=path, fix="give the table file inside it")
    suffix = path.suffix.lower()
    known_keys = {normalize_name(k) for k in known}
    if suffix == ".xls":
        raise InputError("old Excel 97-2003 (.xls) workbooks cannot be read", path=path,
                         fix="open it in Excel/WPS and save it as .xlsx (or CSV)")
    if suffix in _WORKBOOK_SUFFIXES:
        rows, chosen = _workbook_rows(path, sheet, known_keys)
        return _build(rows, path=path, known=known_keys, sheet=chosen, encoding=None, what=what)
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"unsupported table type '{suffix}'", path=path,
                         fix="save the table as CSV or XLSX")
    if sheet is not None:
        logger.warning("%s is a text file; the sheet %r is ignored", path, sheet)
    rows, encoding = _text_rows(path)
    table = _build(rows, path=path, known=known_keys, sheet=None, encoding=encoding, what=what)
    logger.info("%s: read %d rows (%s)", path, len(table.frame), encoding)
    return table
