"""Column widths of the Word report's tables from their text (``outputs/table_layout``)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import matplotlib
import pytest
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

from tcm_coverage.outputs.table_layout import (
    CELL_PAD_PT,
    table_layout,
    text_pieces,
    text_width,
    wrap_lines,
)

_TTF = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _mpl_width(words: str, size: float, bold: bool) -> float:
    """The same text measured by matplotlib's text-to-path (FreeType through another path), a
    CJK character one em."""
    wide = sum(unicodedata.east_asian_width(c) in ("W", "F") for c in words)
    narrow = "".join(c for c in words if unicodedata.east_asian_width(c) not in ("W", "F"))
    if not narrow:
        return wide * size
    prop = FontProperties(fname=str(_TTF / ("DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf")), size=size)
    return TextToPath().get_text_width_height_descent(narrow, prop, ismath=False)[0] + wide * size


@pytest.mark.parametrize("words", ["township", "population", "15-min share (within capacity)", "81.9%"])
@pytest.mark.parametrize("bold", [False, True])
def test_text_width_matches_matplotlib(words, bold):
    assert text_width(words, 9, bold=bold) == pytest.approx(_mpl_width(words, 9, bold), rel=1e-3)
    assert text_width("中医馆", 9) == 27  # a CJK character is one em
    assert text_width("to 中医馆", 10) == pytest.approx(30 + _mpl_width("to ", 10, False), rel=1e-3)


def test_pieces_keep_words_numbers_and_short_brackets():
    assert text_pieces("TCM physicians per 10k (E2SFCA)") == ["TCM", "physicians", "per", "10k", "(E2SFCA)"]
    assert text_pieces("平均(分钟)") == ["平均", "(分钟)"]
    assert text_pieces("中医馆/中心") == ["中医馆/", "中心"]
    assert text_pieces("阈值外人口") == ["阈", "值", "外", "人", "口"]  # a long run: any character
    assert text_pieces("覆盖率（考虑服务能力）") == ["覆盖率", "（考", "虑", "服", "务", "能", "力）"]
    assert text_pieces("81.9%（188,426/230,000人）", body=True) == ["81.9%（188,426/230,000", "人）"]


@pytest.mark.parametrize("words", ["TCM physicians per 10k (E2SFCA)", "15分钟覆盖率（考虑服务能力）",
                                   "65岁以上15分钟覆盖率", "residents beyond", "阈值外人口"])
@pytest.mark.parametrize("width", [30.0, 45.0, 80.0])
def test_wrap_lines_fit_and_join_back(words, width):
    lines = wrap_lines(words, width, 9, bold=True)
    assert "".join(lines) == words
    longest = max(text_width(p, 9, bold=True) for p in text_pieces(words))
    for line in lines:
        assert _mpl_width(line.strip(), 9, True) <= max(width, longest) + 0.01
    # as few lines as the greedy fill, and even: five CJK characters as 3 + 2
    assert wrap_lines("阈值外人口", 40, 9) == ["阈值外", "人口"]


def test_table_layout_fills_the_page_and_keeps_words():
    heads = ["township", "population", "15-min share", "TCM physicians per 10k (E2SFCA)"]
    rows = [["甲街道", "85,086", "92.5%", "7.5"], ["乙镇", "13,284", "5.7%", "0.0"]]
    layout = table_layout(heads, rows, usable=453.5)
    assert sum(layout.widths) == pytest.approx(453.5) and layout.size == 9
    for head, width in zip(heads, layout.widths, strict=True):
        for word in head.split():
            assert _mpl_width(word, 9, True) + CELL_PAD_PT <= width + 0.01, (word, width)
    # a table too wide for 9 pt is set smaller, still with every word whole
    wide = table_layout(heads * 2, [r * 2 for r in rows], usable=440)
    assert wide.size < 9 and sum(wide.widths) == pytest.approx(440)
    for head, width in zip(heads * 2, wide.widths, strict=True):
        assert max(_mpl_width(w, wide.size, True) for w in head.split()) + CELL_PAD_PT <= width + 0.01
    # too wide even at 7.5 pt: the smallest size, the columns still filling the page
    widest = table_layout(heads * 4, [r * 4 for r in rows], usable=453.5)
    assert widest.size == 7.5 and sum(widest.widths) == pytest.approx(453.5)
