"""The workbook writer (:mod:`tcm_coverage._xlsx`), read back with openpyxl: values and types
cell for cell (against pandas' ``to_excel`` through openpyxl, the writer it replaced, and against
values written out by hand), headers, frozen header row, column widths, percentage columns, row
fills; text that looks like a formula is a plain string cell with Excel's quote prefix; and
neither spreadsheet library is imported by what reads inputs."""

from __future__ import annotations

import datetime
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from tcm_coverage._xlsx import PERCENT_FORMAT, Sheet, write_workbook
from tcm_coverage.outputs.style import column_widths, display_width

LINK = '=HYPERLINK("x","y")'


def _mixed() -> pd.DataFrame:
    """Every kind of column the package's tables hold: text, whole and decimal numbers with
    gaps, nullable integers, booleans, 无数据 among shares, text that looks like a formula."""
    rng = np.random.default_rng(7)
    n = 40
    share = rng.random(n).round(4).astype(object)
    share[[3, 9]] = "无数据"
    return pd.DataFrame({
        "名称": [f"镇{i}" for i in range(n)],
        "code": rng.integers(100_000_000, 999_999_999, n),
        "mean_min": np.where(rng.random(n) < 0.2, np.nan, rng.random(n) * 60),
        "lon": rng.random(n) * 10 + 110,  # 17 significant digits: written with 16, as before
        "population": pd.array([None if i % 7 == 0 else i * 1000 for i in range(n)], dtype="Int64"),
        "zhongyiguan": rng.random(n) < 0.5,
        "覆盖率": share,
        "note": [None, "", "ok", "+1", "@x", "-2", "\tx", "a\x01b"] * 5,
        "whole": np.arange(n, dtype=float),  # 3.0 is the number 3 (as openpyxl wrote it)
    })


def _cells(path: Path, sheet: str) -> list[list[object]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [[(c.value, type(c.value).__name__) for c in row] for row in ws.iter_rows()]


def test_values_and_types_are_those_of_pandas_through_openpyxl(tmp_path):
    frame = _mixed()
    ours, old = tmp_path / "ours.xlsx", tmp_path / "old.xlsx"
    write_workbook(ours, [Sheet(name="表", frame=frame)])
    clean = frame.assign(note=frame["note"].str.replace("\x01", "", regex=False))
    clean.to_excel(old, sheet_name="表", index=False, engine="openpyxl")
    got, want = _cells(ours, "表"), _cells(old, "表")
    assert len(got) == len(frame) + 1 and len(got) == len(want)
    for r, (a, b) in enumerate(zip(got, want, strict=True)):
        # pandas wrote a missing value as an empty text cell, xlsxwriter as a blank: both None
        assert a == [(v, t) if v not in ("", None) else (None, "NoneType") for v, t in b], r


def test_cells_read_back_as_written(tmp_path):
    frame = pd.DataFrame({
        "name": [LINK, "+1", "@x", "ok", None],
        "n": [1, -2, 3, 12345678901234, 5],
        "x": [0.5, float("nan"), float("inf"), -float("inf"), 3.0],
        "flag": [True, False, True, False, True],
        LINK: ["a\x00b", "中医馆", "", "=1+1", "-"],
        "when": [datetime.date(2026, 1, 2), datetime.datetime(2026, 1, 2, 3, 4, 5), None, None, None],
    })
    path = write_workbook(tmp_path / "t.xlsx", [Sheet(name="data", frame=frame)])
    ws = openpyxl.load_workbook(path)["data"]
    assert [c.value for c in ws[1]] == ["name", "n", "x", "flag", LINK, "when"]
    assert ws["E1"].quotePrefix and not ws["A1"].quotePrefix
    cells = {c.coordinate: c for row in ws.iter_rows() for c in row}
    assert not [c for c in cells.values() if c.data_type == "f"]
    for ref in ("A2", "A3", "A4", "E5", "E6"):  # formula-looking text: a string, quote prefix
        assert cells[ref].data_type == "s" and cells[ref].quotePrefix, ref
    assert (ws["A2"].value, ws["A3"].value, ws["A4"].value, ws["E5"].value) == (LINK, "+1", "@x", "=1+1")
    assert not ws["A5"].quotePrefix and ws["A5"].value == "ok" and ws["A6"].value is None
    assert [ws[f"B{r}"].value for r in range(2, 7)] == [1, -2, 3, 12345678901234, 5]
    assert ws["C2"].value == 0.5 and ws["C3"].value is None
    assert (ws["C4"].value, ws["C5"].value, ws["C5"].quotePrefix) == ("inf", "-inf", True)
    assert ws["C6"].value == 3 and ws["C6"].data_type == "n"
    assert [ws[f"D{r}"].value for r in range(2, 7)] == [True, False, True, False, True]
    assert ws["D2"].data_type == "b"
    assert ws["E2"].value == "ab" and ws["E3"].value == "中医馆" and ws["E4"].value is None
    assert ws["F2"].value == datetime.datetime(2026, 1, 2) and ws["F2"].number_format == "yyyy-mm-dd"
    assert ws["F3"].value == datetime.datetime(2026, 1, 2, 3, 4, 5) and ws["F4"].value is None
    assert ws.max_row == 6 and ws.max_column == 6


def test_layout_widths_freeze_percent_and_fills(tmp_path):
    frame = pd.DataFrame({"区划代码": ["1", "2", "3"], "覆盖率": [0.5, "无数据", None],
                          "说明": ["中医药服务点" * 3, "x", "-y"]})
    widths = column_widths(frame)
    assert widths == [max(8, display_width("区划代码") + 2), 8, display_width("中医药服务点" * 3) + 2]
    path = write_workbook(tmp_path / "t.xlsx", [
        Sheet(name="a" * 40, frame=frame, widths=widths, percent=frozenset({1}), freeze_header=True,
              bold_header=True, row_fills=["#d9f2e3", "#f9d9d6", "#eeeeee"]),
        Sheet(name="plain", frame=frame.iloc[:0])])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["a" * 31, "plain"]
    ws = book["a" * 31]
    assert ws.freeze_panes == "A2" and book["plain"].freeze_panes is None
    for i, width in enumerate(widths, start=1):  # the width stored is the width asked for
        assert ws.column_dimensions[get_column_letter(i)].width == pytest.approx(width, abs=0.01)
    assert all(c.font.b for c in ws[1]) and not ws["A2"].font.b
    assert ws["B1"].number_format == "General"
    assert [ws[f"B{r}"].number_format for r in (2, 3, 4)] == [PERCENT_FORMAT] * 3
    assert ws["A2"].number_format == "General" and ws["B3"].value == "无数据"
    fills = [[c.fill.fgColor.rgb[-6:] for c in row] for row in ws.iter_rows(min_row=2)]
    assert fills == [["D9F2E3"] * 3, ["F9D9D6"] * 3, ["EEEEEE"] * 3]  # the empty B4 too
    assert ws["B4"].value is None and ws["C4"].quotePrefix and ws["C4"].fill.fgColor.rgb[-6:] == "EEEEEE"
    assert all(c.alignment.vertical == "top" for row in ws.iter_rows(min_row=2) for c in row)
    assert ws["A1"].fill.fill_type is None
    assert [c.value for c in book["plain"][1]] == list(frame.columns)
    with pytest.raises(ValueError, match="2 row fills for 3 rows"):
        write_workbook(tmp_path / "u.xlsx", [Sheet(name="x", frame=frame, row_fills=["#ffffff"] * 2)])


def test_numbers_keep_sixteen_digits_like_before(tmp_path):
    values = [0.1 + 0.2, 1 / 3, 112.12345678901234, 1e-7, 2.5e20, math.pi * 1e6]
    path = write_workbook(tmp_path / "t.xlsx", [Sheet(name="s", frame=pd.DataFrame({"v": values}))])
    got = [c.value for c in openpyxl.load_workbook(path)["s"]["A"][1:]]
    assert got == [float(f"{v:.16g}") for v in values]
    assert all(abs(g - v) <= 1e-15 * abs(v) for g, v in zip(got, values, strict=True))


def test_reading_inputs_imports_no_spreadsheet_library():
    probe = ("import sys\n"
             "import tcm_coverage._tables, tcm_coverage.inputs.facilities, tcm_coverage._xlsx\n"
             "import tcm_coverage.outputs.tables, tcm_coverage.outputs.scorecard_render\n"
             "print([m for m in ('openpyxl', 'xlsxwriter') if m in sys.modules])\n")
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, cwd=root)
    assert done.stdout.strip() == "[]"
