"""The one spreadsheet reader: encodings, title rows, merged cells, sheets, column aliases."""

from __future__ import annotations

import logging

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tcm_coverage import InputError
from tcm_coverage._tables import find_column, normalize_name, read_table, sheet_names

KNOWN = ("名称", "类型", "经度", "纬度", "人口")
ROWS = [("甲镇卫生院", "乡镇卫生院", "112.81", "36.30"), ("乙村卫生室", "村卫生室", "112.82", "36.31")]
HEADER = ["名称", "类型", "经度", "纬度"]


def _csv_text(rows=ROWS, header=HEADER) -> str:
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "t.csv"
    path.write_bytes(_csv_text().encode(encoding))
    table = read_table(path, known=KNOWN)
    assert list(table.frame.columns) == HEADER
    assert table.frame["名称"].tolist() == ["甲镇卫生院", "乙村卫生室"]
    assert table.rows.tolist() == [2, 3]
    assert table.header_row == 1
    assert table.encoding == ("utf-8-sig" if encoding.startswith("utf") else "gb18030")


def test_gb18030_only_character_and_utf16_tab(tmp_path):
    name = "𠀀村卫生室"  # CJK extension B: GB18030 has it, GBK does not
    with pytest.raises(UnicodeEncodeError):
        name.encode("gbk")
    path = tmp_path / "t.csv"
    path.write_bytes(_csv_text([(name, "村卫生室", "112.8", "36.3")]).encode("gb18030"))
    assert read_table(path, known=KNOWN).frame["名称"].iat[0] == name
    # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
    tab = tmp_path / "t.txt"
    tab.write_bytes(("\n".join(
        "\t".join(r) for r in [HEADER, *ROWS]) + "\n").encode("utf-16"))
    table = read_table(tab, known=KNOWN)
    assert list(table.frame.columns) == HEADER and table.encoding == "utf-16"
    assert table.frame["经度"].tolist() == ["112.81", "112.82"]


def test_csv_title_rows_blank_rows_and_quoted_newline(tmp_path):
    text = ("屯留区基层医疗机构名单（2024年）\n"
            "制表单位：卫健局,,,\n"
            "\n"
            + _csv_text()
            + ",,,\n"
            + '"丙村\n卫生室",村卫生室,112.83,36.32\n'
            + "丁村卫生室,村卫生室,112.84,36.33\n")
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    table = read_table(path, known=KNOWN)
    assert table.header_row == 4
    assert table.frame["名称"].tolist() == ["甲镇卫生院", "乙村卫生室", "丙村\n卫生室", "丁村卫生室"]
    # spreadsheet-style row numbers: the quoted cell starts on line 8, the next record is line 10
    assert table.rows.tolist() == [5, 6, 8, 10]


def test_ragged_row_is_an_error_naming_the_row(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(_csv_text() + "丙村卫生室,村卫生室,112,83,36.32\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_table(path, known=KNOWN)
    text = str(info.value)
    assert "ragged.csv" in text and "row 4" in text and "double quotes" in text
    # a short row is padded with blanks (Excel drops trailing empty cells)
    path.write_text(_csv_text() + "丙村卫生室,村卫生室\n", encoding="utf-8")
    table = read_table(path, known=KNOWN)
    assert table.frame["经度"].isna().tolist() == [False, False, True]


def _workbook(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows, merge in sheets:
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(list(r))
        for rng in merge:
            ws.merge_cells(rng)
    wb.save(path)


def test_xlsx_merged_title_above_header(tmp_path):
    path = tmp_path / "t.xlsx"
    rows = [("屯留区医疗机构名单", None, None, None), ("单位：个", None, None, None), HEADER,
            ("甲镇卫生院", "乡镇卫生院", 112.81, 36.30), (None, None, None, None),
            ("乙村卫生室", "村卫生室", 112.82, 36.31)]
    _workbook(path, [("名单", rows, ["A1:D1", "A2:D2"])])
    table = read_table(path, known=KNOWN)
    assert table.header_row == 3 and table.sheet == "名单"
    assert table.rows.tolist() == [4, 6]
    assert table.frame["经度"].tolist() == [112.81, 112.82]  # numbers stay numbers
    assert "header in row 3" in table.where()


def test_several_sheets_chosen_logged_and_validated(tmp_path, caplog):
    path = tmp_path / "book.xlsx"
    _workbook(path, [("说明", [("项目", "内容"), ("来源", "卫健局")], []),
                     ("设施", [HEADER, *ROWS], []),
                     ("其他", [("a", "b")], [])])
    assert sheet_names(path) == ["说明", "设施", "其他"]
    with caplog.at_level(logging.WARNING, logger="tcm_coverage"):
        table = read_table(path, known=KNOWN)
    assert table.sheet == "设施"
    assert "read sheet '设施'" in caplog.text and "--sheet" in caplog.text
    assert read_table(path, sheet="说明", known=KNOWN).frame.columns.tolist() == ["项目", "内容"]
    assert read_table(path, sheet=1, known=KNOWN).sheet == "说明"
    assert read_table(path, sheet="3").sheet == "其他"
    with pytest.raises(InputError) as info:
        read_table(path, sheet="facilities", known=KNOWN)
    text = str(info.value)
    assert "book.xlsx" in text and "'说明', '设施', '其他'" in text and "--sheet" in text


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0", "save it as .xlsx"),
        ("zip.xlsx", b"PK\x03\x04not really a workbook", "cannot read the workbook"),
        ("text.xlsx", b"this is text", "workbook"),
        ("zip.csv", b"PK\x03\x04\x14\x00", "ZIP file"),
        ("binary.csv", b"\x00\x01\x02\xff\xfe\x00", "binary"),
        ("latin.csv", "名称,类型\n".encode() + b"\xff\xff\xff\n", "cannot decode"),
        ("empty.csv", b"", "empty"),
        ("table.docx", b"x", "unsupported"),
    ],
)
def test_bad_files_are_input_errors(tmp_path, name, content, expect):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_table(path, known=KNOWN)
    assert expect in str(info.value) and name in str(info.value) and "Fix:" in str(info.value)


def test_folder_and_missing_file(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(InputError, match="folder"):
        read_table(tmp_path / "dir.csv")
    with pytest.raises(InputError, match="not found"):
        read_table(tmp_path / "none.csv")


def test_find_column_aliases_brackets_and_width():
    assert normalize_name("Facility_Type") == normalize_name("facility type") == normalize_name("ＦＡＣＩＬＩＴＹ-TYPE")
    cols = ["编号", "人口（人）", "Longitude ", "纬度", "名称"]
    assert find_column(cols, ("population", "人口")) == "人口（人）"  # unit in brackets left off
    assert find_column(cols, ("lon", "longitude", "经度")) == "Longitude "
    assert find_column(cols, ("村名", "名称")) == "名称"
    assert find_column(cols, ("类型",)) is None
    # the first alias that matches wins, whatever the column order
    assert find_column(["类别", "识别类型"], ("识别类型", "类别")) == "识别类型"
    assert find_column(["中医类别执业(助理)医师数"], ("中医类别执业(助理)医师数",)) == "中医类别执业(助理)医师数"


def test_blank_cells_are_nan_and_text_is_kept(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("名称,人口,备注\n甲村,NA,  \n乙村,0012,无\n", encoding="utf-8")
    frame = read_table(path, known=KNOWN).frame
    assert frame["人口"].tolist() == ["NA", "0012"]  # text as written, "NA" is not missing
    assert pd.isna(frame["备注"].iat[0]) and frame["备注"].iat[1] == "无"
    assert isinstance(frame["人口"].dtype, np.dtype) and frame["人口"].dtype == object


def test_parse_yes_no_one_vocabulary():
    from tcm_coverage._tables import NO_WORDS, UNKNOWN_WORDS, YES_WORDS, parse_yes_no

    assert not (YES_WORDS & NO_WORDS) and not (YES_WORDS | NO_WORDS) & UNKNOWN_WORDS
    cells = pd.Series(["是", " YES ", "✓", 1, 1.0, True, "否", "ｎｏ", 0, False, None, np.nan, "未知",
                       "  ", "也许"], dtype=object)
    parsed = parse_yes_no(cells)
    assert parsed.yes.tolist() == [True] * 6 + [False] * 9
    assert parsed.no.tolist() == [False] * 6 + [True] * 4 + [False] * 5
    assert parsed.unknown.tolist() == [False] * 10 + [True] * 4 + [False]
    assert parsed.bad.tolist() == [False] * 14 + [True]
    flags = parsed.flags()
    assert bool(flags[0]) and not bool(flags[6]) and pd.isna(flags[10]) and pd.isna(flags[14])
