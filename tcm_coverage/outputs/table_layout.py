"""Column widths of the Word report's tables, measured from their header and cell text.

A Word table with fixed widths breaks a header word in two when its column is narrower than the
word ("township" as "townsh / ip"). :func:`table_layout` works out widths the way a browser
lays out an automatic table: each column gets at least its longest unbreakable piece of text
(a Latin word, a number, a short bracket like ``(分钟)``, one CJK character; a first-column
name whole); the width left over goes first to the tallest headers, a line less at a time (the
header row as low as it can be), and the rest is shared in proportion to how much more each
column would take to set its text on one line. Only when the pieces do not fit at the body size
is the table set smaller (down to 7.5 pt). Header lines are broken here, between pieces
(:func:`wrap_lines`), so the word processor never breaks a word.

Text is measured with DejaVu Serif (bundled with matplotlib, so every machine measures the same):
LibreOffice sets Times New Roman in it where that font is missing, and it is wider than Times
New Roman and Liberation Serif, so a width measured here is enough in Word too. A CJK
character is one em wide.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from PIL import ImageFont

__all__ = ["CELL_PAD_PT", "TableLayout", "table_layout", "text_pieces", "text_width", "wrap_lines"]

#: Units per em the fonts are loaded at (widths are exact to 1/1000 em).
_UNITS = 1000
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
#: Cell padding in points: 0.1 cm left and right cell margins, the borders, 2 pt to spare.
CELL_PAD_PT = 2 * 72 * 0.1 / 2.54 + 1.0 + 2.0
#: Font sizes tried, largest first, until the longest pieces of every column fit.
_SIZES = (9.0, 8.5, 8.0, 7.5)
#: A header longer than this many ems may take two lines rather than asking for one.
_ONE_LINE_EMS = 9.0
#: CJK ideographs (the punctuation, full-width brackets included, is not among them).
_CJK = "\u3400-\u9fff\uf900-\ufaff"
#: Closing punctuation: it stays with the piece before it (it cannot start a line).
_CLOSE = "[,，。、；;：:%/）)]*"
#: The unbreakable pieces of a word: a bracket of Latin text, or of up to 4 characters; a CJK
#: word of 2 or 3 characters standing alone, else one CJK character (an opening bracket before
#: it, closing punctuation after it); a run of other characters.
_PIECE = re.compile(rf"[(（](?:[^()（）{_CJK}]+|[^()（）]{{1,4}})[)）]{_CLOSE}"
                    rf"|[(（]?(?<![{_CJK}])[{_CJK}]{{2,3}}(?![{_CJK}]){_CLOSE}"
                    rf"|[(（]?[{_CJK}]{_CLOSE}"
                    rf"|[(（]?[^{_CJK}(（]+[)）]?"
                    r"|.")


@functools.cache
def _font(bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_FONT_DIR / ("DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf")), _UNITS)


@functools.cache
def _advance(ch: str, bold: bool) -> float:
    """Advance width of one character in ems: a CJK (wide) character one em."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    return _font(bold).getlength(ch) / _UNITS


@functools.lru_cache(maxsize=1 << 16)
def text_width(words: str, size: float, *, bold: bool = False) -> float:
    """Width in points of ``words`` on one line at ``size`` pt: CJK (wide) characters one em,
    the others by DejaVu Serif's advance widths (no kerning: a pair like "AV" measures a
    little wide, never narrow)."""
    return size * sum(_advance(c, bold) for c in words)


#: The pieces of a body cell, which the word processor breaks (it may break only at a space
#: or between CJK ideographs: ``81.9%（188,426/230,000`` is one piece).
_BODY_PIECE = re.compile(rf"[{_CJK}]{_CLOSE}|[^{_CJK}]+")


def text_pieces(words: str, *, body: bool = False) -> list[str]:
    """The pieces a line may not be broken inside: of a header (broken by :func:`wrap_lines`,
    see the module docstring) or, ``body=True``, of a body cell."""
    piece = _BODY_PIECE if body else _PIECE
    return [p for word in words.split() for p in piece.findall(word)]


def _greedy(pieces: Sequence[tuple[str, bool]], width: float, size: float, bold: bool) -> list[str]:
    lines: list[str] = []
    line = ""
    for piece, spaced in pieces:
        joined = f"{line} {piece}" if line and spaced else line + piece
        if line and text_width(joined, size, bold=bold) > width:
            lines.append(line + " " * spaced)  # the space kept: the lines join to the text
            joined = piece
        line = joined
    return [*lines, line] if line else lines


def _word_pieces(words: str) -> list[tuple[str, bool]]:
    """The header pieces, each with whether a space comes before it."""
    return [(p, k == 0 and i > 0) for i, word in enumerate(words.split())
            for k, p in enumerate(_PIECE.findall(word))]


def _narrowest(pieces: Sequence[tuple[str, bool]], lines: int, lo: float, hi: float, size: float,
               bold: bool) -> float:
    """The narrowest width in ``[lo, hi]`` at which the pieces take at most ``lines`` lines."""
    for _ in range(16):
        mid = (lo + hi) / 2
        if len(_greedy(pieces, mid, size, bold)) <= lines:
            hi = mid
        else:
            lo = mid
    return hi


def wrap_lines(words: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """``words`` broken into lines no wider than ``width`` points (where the pieces allow),
    only between pieces, as few lines as that takes and those as even as they can be (a header
    of five CJK characters as 3 + 2, not 4 + 1). A line broken at a space ends in it, so
    ``"".join(lines)`` is ``words`` (its spaces collapsed)."""
    pieces = _word_pieces(words)
    count = len(_greedy(pieces, width, size, bold))
    return _greedy(pieces, _narrowest(pieces, count, 0.0, width, size, bold), size, bold)


@dataclass(frozen=True)
class TableLayout:
    """Column widths (points, summing to the usable width), the font size of the cells and the
    header texts broken into lines (``"\\n"``) that fit them, words whole (:func:`wrap_lines`)."""

    widths: tuple[float, ...]
    size: float
    heads: tuple[str, ...]


def _bounds(columns: Sequence[Sequence[str]], size: float, *, whole: Sequence[int]) -> tuple[list[float], list[float]]:
    """Per column, the narrowest width (its longest piece) and the width it asks for (its text
    on one line; a long header on two)."""
    low, high = [], []
    for j, (head, *cells) in enumerate(columns):
        pieces = [text_width(p, size, bold=True) for p in text_pieces(head)]
        bold_cells = j == 0
        for cell in cells:
            if j in whole:
                pieces.append(text_width(cell, size, bold=bold_cells))
            else:
                pieces += [text_width(p, size, bold=bold_cells) for p in text_pieces(cell, body=True)]
        head_line = text_width(head, size, bold=True)
        if head_line > _ONE_LINE_EMS * size:
            head_line = head_line / 2
        lo = max(pieces, default=0.0) + CELL_PAD_PT
        line = max([head_line] + [text_width(c, size, bold=bold_cells) for c in cells]) + CELL_PAD_PT
        low.append(lo)
        high.append(max(lo, line))
    return low, high


def _even_headers(heads: Sequence[str], low: Sequence[float], high: Sequence[float], usable: float,
                  size: float) -> list[float]:
    """From the narrowest widths, the spare width goes first to the tallest headers (one line
    less at a time, while it lasts), then is shared by what each column still asks for."""
    pieces = [_word_pieces(h) for h in heads]
    widths, spare = list(low), usable - sum(low)
    while True:
        counts = [len(_greedy(p, w - CELL_PAD_PT, size, True)) for p, w in zip(pieces, widths, strict=True)]
        tallest = max(counts)
        if tallest <= 1:
            break
        needs = {j: _narrowest(pieces[j], tallest - 1, widths[j] - CELL_PAD_PT,
                               text_width(heads[j], size, bold=True) + 0.01, size, True) + CELL_PAD_PT - widths[j]
                 for j, c in enumerate(counts) if c == tallest}
        if sum(needs.values()) > spare:
            break
        for j, extra in needs.items():
            widths[j] += extra
        spare -= sum(needs.values())
    asks = [max(h - w, 0.0) for h, w in zip(high, widths, strict=True)]
    weights = asks if sum(asks) > 0 else widths
    return [w + spare * a / sum(weights) for w, a in zip(widths, weights, strict=True)]


def table_layout(heads: Sequence[str], rows: Sequence[Sequence[str]], *, usable: float,
                 whole: Sequence[int] = (0,)) -> TableLayout:
    """Column widths of a table whose header and cells are these texts.

    Parameters
    ----------
    heads
        The header row.
    rows
        The body rows (texts), as many cells as ``heads``.
    usable
        The width of the table (the text width of the page), in points.
    whole
        Columns whose body cells are names, kept on one line where they fit (the first).

    Returns
    -------
    TableLayout
        Widths filling ``usable``: each column at least its longest piece, the rest given
        first to the tallest headers (the header row as low as it can be), then shared in
        proportion to what each column asks for beyond that; the largest font size of 9, 8.5, 8 and
        7.5 pt at which the longest pieces fit (7.5 pt, the pieces scaled down, when none does).
    """
    columns = [[h, *(row[j] for row in rows)] for j, h in enumerate(heads)]
    for size in _SIZES:
        low, high = _bounds(columns, size, whole=whole)
        if sum(low) <= usable:
            break
    lo_sum, hi_sum = sum(low), sum(high)
    if hi_sum <= usable:  # everything on one line: the rest shared like the text
        widths = [h * usable / hi_sum for h in high]
    elif lo_sum <= usable:
        widths = _even_headers(heads, low, high, usable, size)
    else:  # nothing fits even at the smallest size: the pieces scaled down to the page
        widths = [lo * usable / lo_sum for lo in low]
    heads_lines = tuple("\n".join(wrap_lines(h, w - CELL_PAD_PT, size, bold=True))
                        for h, w in zip(heads, widths, strict=True))
    return TableLayout(widths=tuple(widths), size=size, heads=heads_lines)
