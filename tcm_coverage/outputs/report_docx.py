"""The county coverage report as a Word document (``report.docx``) a planner can hand in.

The sections of ``report.html`` (:mod:`~tcm_coverage.outputs.report_html`), with the same
figures (both take them from :mod:`~tcm_coverage.outputs.report_figures`): headline figures,
shares by threshold, the cumulative travel-time chart (a PNG:
:func:`~tcm_coverage.outputs.chart.cumulative_chart_png`), the township table lowest share
first, the map plate (an image passed in; without one a line says so), the scorecard's county
rows and unmet township rows, notes and sources. Chinese by default, English with ``lang="en"``.

Plain government-document style: A4, 2.5 cm margins, titles and headings in a 黑体 (Hei)
font, the body in a 仿宋/宋体 (Fangsong/Song) font (:mod:`~tcm_coverage.outputs.fonts` picks
what is installed: FangSong or SimSun and SimHei on Windows, Noto Serif/Sans CJK SC on Debian
with ``fonts-noto-cjk``), page numbers in the footer (a ``PAGE`` field), table header rows
repeated on every page (``w:tblHeader``) and rows kept whole (``w:cantSplit``), cells of unknown
values as 无数据 / "no data". Text from the inputs is plain text (python-docx escapes it; the
characters XML forbids are dropped by :func:`~tcm_coverage._safetext.xml_text`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.image.image import Image
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.shared import Cm, Length, Pt, RGBColor
from docx.table import Table, _Cell

from tcm_coverage._safetext import xml_text
from tcm_coverage.i18n import label, text
from tcm_coverage.outputs.chart import cumulative_chart_png
from tcm_coverage.outputs.fonts import cjk_font
from tcm_coverage.outputs.report_figures import (
    Cell,
    FigureTable,
    ReportOptions,
    ReportTables,
    capacity_table,
    county_population,
    county_rows,
    cumulative_curves,
    fca_note,
    headline_figures,
    report_title,
    scorecard_table,
    threshold_table,
    township_table,
)
from tcm_coverage.outputs.scorecard import Scorecard
from tcm_coverage.outputs.style import (
    MISSING_TINT,
    SHARE_TINTS,
    STATUS_COLOURS,
    fmt_int,
    share_colour,
)

__all__ = ["DocxFonts", "county_report_docx", "docx_fonts"]

#: Table header background (as in report.html).
_HEAD_FILL = "F0F0F0"
#: Grey of the notes under a table or chart.
_MUTED = RGBColor(0x55, 0x55, 0x55)
#: Tables up to this many rows are kept on one page (with the heading and note above them).
_KEEP_TOGETHER_ROWS = 20
#: Largest height of the map plate on the page.
_MAP_MAX_HEIGHT = Cm(20)


@dataclass(frozen=True)
class DocxFonts:
    """The fonts of the report: CJK (``w:eastAsia``) and Latin, for the body and the titles."""

    body: str
    title: str
    latin_body: str = "Times New Roman"
    latin_title: str = "Arial"


def docx_fonts() -> DocxFonts:
    """The installed 仿宋/宋体 and 黑体 families (:func:`~tcm_coverage.outputs.fonts.cjk_font`)."""
    return DocxFonts(body=cjk_font("serif")[0], title=cjk_font("sans")[0])


# ---------------------------------------------------------------------------------------------
# the document's styles
# ---------------------------------------------------------------------------------------------
def _set_fonts(rpr: CT_RPr, latin: str, east_asia: str) -> None:
    """Name the fonts of a run or style (theme fonts removed, so the names win)."""
    fonts = rpr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr, name in (("ascii", latin), ("hAnsi", latin), ("cs", latin), ("eastAsia", east_asia)):
        fonts.set(qn(f"w:{attr}"), name)
    fonts.set(qn("w:hint"), "eastAsia")


def _style(doc: DocxDocument, name: str, *, size: float, title: bool, fonts: DocxFonts,
           bold: bool = False) -> None:
    style = doc.styles[name]
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    style.font.name = fonts.latin_title if title else fonts.latin_body
    _set_fonts(style.element.get_or_add_rPr(), fonts.latin_title if title else fonts.latin_body,
               fonts.title if title else fonts.body)


def _setup(doc: DocxDocument, fonts: DocxFonts, lang: str) -> None:
    """A4 with 2.5 cm margins, the fonts of every style, the page number in the footer."""
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(2.5)
    section.header_distance = section.footer_distance = Cm(1.5)
    _style(doc, "Normal", size=11, title=False, fonts=fonts)
    normal = doc.styles["Normal"]
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.25
    _language(normal.element.get_or_add_rPr(), lang)
    _style(doc, "Title", size=18, title=True, fonts=fonts, bold=True)
    _style(doc, "Heading 1", size=14, title=True, fonts=fonts, bold=True)
    for name in ("Title", "Heading 1"):
        fmt = doc.styles[name].paragraph_format
        fmt.space_before, fmt.space_after, fmt.keep_with_next = Pt(12), Pt(6), True
    doc.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _remove_title_border(doc)
    cell_style = doc.styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    cell_style.base_style = normal
    cell_style.font.size = Pt(9)
    cell_style.paragraph_format.space_after = Pt(0)
    cell_style.paragraph_format.line_spacing = 1.0
    _page_number(section.footer.paragraphs[0])


def _language(rpr: CT_RPr, lang: str) -> None:
    """``w:lang``: Chinese text marked zh-CN (Word's line breaking and proofing)."""
    el = rpr.find(qn("w:lang"))
    if el is None:
        el = OxmlElement("w:lang")
        rpr.insert_element_before(el, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    el.set(qn("w:val"), "en-US")
    el.set(qn("w:eastAsia"), "zh-CN" if lang == "zh" else "en-US")


def _remove_title_border(doc: DocxDocument) -> None:
    """The template's Title has a blue rule under it; a government document has none."""
    ppr = doc.styles["Title"].element.pPr
    if ppr is not None:
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)


def _field_run(paragraph: object, kind: str, instruction: str = "") -> None:
    run = paragraph.add_run()  # type: ignore[attr-defined]
    if instruction:
        el = OxmlElement("w:instrText")
        el.set(qn("xml:space"), "preserve")
        el.text = instruction
    else:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
    run._r.append(el)


def _page_number(paragraph: object) -> None:
    """``— 3 —`` centred: a ``PAGE`` field between dashes."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER  # type: ignore[attr-defined]
    paragraph.add_run("— ")  # type: ignore[attr-defined]
    _field_run(paragraph, "begin")
    _field_run(paragraph, "", " PAGE ")
    _field_run(paragraph, "separate")
    paragraph.add_run("1")  # type: ignore[attr-defined]
    _field_run(paragraph, "end")
    paragraph.add_run(" —")  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# blocks
# ---------------------------------------------------------------------------------------------
def _para(doc: DocxDocument, words: str, *, muted: bool = False, style: str | None = None,
          keep_with_next: bool = False) -> None:
    p = doc.add_paragraph(xml_text(words), style=style)
    p.paragraph_format.keep_with_next = keep_with_next
    if muted:
        for run in p.runs:
            run.font.color.rgb = _MUTED
            run.font.size = Pt(9.5)


def _shade(cell: _Cell, fill: str) -> None:
    """Background of a cell (``w:shd`` in its schema place, before ``w:vAlign``)."""
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill.lstrip("#").upper())
    tcpr.insert_element_before(shd, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText",
                               "w:vAlign", "w:hideMark", "w:headers", "w:cellIns", "w:cellDel",
                               "w:cellMerge", "w:tcPrChange")


def _row_flags(row: object, *, header: bool) -> None:
    """Keep a row on one page; repeat a header row on every page."""
    trpr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    trpr.append(OxmlElement("w:cantSplit"))
    if header:
        trpr.append(OxmlElement("w:tblHeader"))


def _fill_cell(cell: _Cell, words: str, *, align: WD_ALIGN_PARAGRAPH, bold: bool = False,
               keep_with_next: bool = False) -> None:
    p = cell.paragraphs[0]
    p.style = "Table Text"
    p.alignment = align
    p.paragraph_format.keep_with_next = keep_with_next
    run = p.add_run(xml_text(words))
    run.bold = bold


def _widths(doc: DocxDocument, weights: Sequence[float]) -> list[Length]:
    section = doc.sections[0]
    usable = int(section.page_width or 0) - int(section.left_margin or 0) - int(section.right_margin or 0)
    total = float(sum(weights))
    return [Length(int(usable * w / total)) for w in weights]


def _cell_margins(table: Table, side: Length) -> None:
    """Narrow left/right cell margins (``w:tblCellMar``), so more fits in a column."""
    mar = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(int(side.twips)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    table._tbl.tblPr.insert_element_before(mar, "w:tblLook", "w:tblCaption", "w:tblDescription",
                                           "w:tblPrChange")


def _align(j: int, left: Sequence[int], center: Sequence[int]) -> WD_ALIGN_PARAGRAPH:
    if j in left:
        return WD_ALIGN_PARAGRAPH.LEFT
    return WD_ALIGN_PARAGRAPH.CENTER if j in center else WD_ALIGN_PARAGRAPH.RIGHT


def _table(doc: DocxDocument, table: FigureTable, weights: Sequence[float], *,
           left: Sequence[int] = (0,), center: Sequence[int] = (),
           fills: Sequence[str | None] = ()) -> Table:
    """A grid table: the header row repeated on every page, share cells tinted by class,
    whole rows coloured by ``fills`` (scorecard statuses); the columns in ``left`` left-aligned,
    in ``center`` centred, the others (numbers) right-aligned."""
    widths = _widths(doc, weights)
    short = len(table.rows) <= _KEEP_TOGETHER_ROWS  # kept whole: every row but the last keeps with the next
    out = doc.add_table(rows=1 + len(table.rows), cols=len(table.heads))
    out.style = "Table Grid"
    out.alignment = WD_TABLE_ALIGNMENT.CENTER
    out.autofit = False
    _cell_margins(out, Cm(0.1))
    for col, width in zip(out._tbl.tblGrid.gridCol_lst, widths, strict=True):
        col.w = width
    for j, head in enumerate(table.heads):
        cell = out.rows[0].cells[j]
        _shade(cell, _HEAD_FILL)
        _fill_cell(cell, head, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, keep_with_next=True)
    _row_flags(out.rows[0], header=True)
    for i, row in enumerate(table.rows, start=1):
        fill = fills[i - 1] if fills else None
        for j, value in enumerate(row):
            cell = out.rows[i].cells[j]
            colour = fill or (share_colour(value.share, SHARE_TINTS, MISSING_TINT) if value.share is not None
                              else None)
            if colour:
                _shade(cell, colour)
            _fill_cell(cell, value.text, bold=j == 0, align=_align(j, left, center),
                       keep_with_next=short and i < len(table.rows))
        _row_flags(out.rows[i], header=False)
    for row in out.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    return out


def _picture(doc: DocxDocument, image: bytes, *, max_height: Length | None = None) -> None:
    """An image centred at the text width (smaller when it would be taller than ``max_height``)."""
    width = _widths(doc, [1])[0]
    if max_height is not None:
        img = Image.from_blob(image)
        width = Length(min(int(width), int(max_height * img.px_width / img.px_height)))
    doc.add_picture(io.BytesIO(image), width=width)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------
def _headline(doc: DocxDocument, tables: ReportTables, options: ReportOptions, county_code: str) -> None:
    lang, thr = options.lang, f"{options.headline_threshold:g}"
    heads = headline_figures(county_rows(tables, county_code), options)
    doc.add_heading(text("outputs.report_headline", lang), level=1)
    table = FigureTable(
        heads=(text("outputs.report_mode", lang), text("outputs.report_share_within", lang, thr=thr),
               text("outputs.report_beyond", lang), text("outputs.report_mean", lang)),
        rows=tuple((Cell(h.mode_label), Cell(h.share), Cell(h.beyond), Cell(h.mean)) for h in heads))
    _table(doc, table, [3, 4, 4, 3])
    for h in heads:
        if h.bounds:
            _para(doc, text("outputs.report_docx_bounds", lang, mode=h.mode_label, bounds=h.bounds), muted=True)
        for line in (h.band, h.elderly):
            if line:
                _para(doc, f"{h.mode_label}：{line}" if lang == "zh" else f"{h.mode_label}: {line}", muted=True)


def _capacity(doc: DocxDocument, tables: ReportTables, options: ReportOptions, county_code: str) -> None:
    """考虑服务能力, as in the HTML report (nothing when not asked for; 无数据 without capacities)."""
    if options.capacity_notes is None:
        return
    lang = options.lang
    doc.add_heading(text("outputs.report_capacity_heading", lang, thr=f"{options.headline_threshold:g}"), level=1)
    table = capacity_table(county_rows(tables, county_code), options)
    if table is None:
        _para(doc, text("outputs.report_capacity_none", lang))
        return
    _table(doc, table, [2.2, 3.0, 3.0, 2.6])
    for note in options.capacity_notes:
        _para(doc, note, muted=True)


def _chart(doc: DocxDocument, tables: ReportTables, options: ReportOptions, county_code: str) -> None:
    lang = options.lang
    doc.add_heading(text("outputs.report_distribution", lang), level=1)
    _para(doc, text("outputs.report_chart_note", lang), muted=True, keep_with_next=True)
    png = cumulative_chart_png(cumulative_curves(tables, options, county_code),
                               threshold=options.headline_threshold, lang=lang)
    _picture(doc, png)


def _townships(doc: DocxDocument, tables: ReportTables, options: ReportOptions, county_code: str) -> None:
    table = township_table(tables, options, county_code)
    if table is None:
        return
    lang, thr = options.lang, f"{options.headline_threshold:g}"
    doc.add_heading(text("outputs.report_township_heading", lang,
                         mode=label("mode", options.headline_mode, lang), thr=thr), level=1)
    _para(doc, text("outputs.report_lowest_first", lang), muted=True, keep_with_next=True)
    weights = [1.8, 2.3, 1.9, 2.1, 1.5, 2.1, 2.1, 2.2, 2.2, 2.0, 2.0][:len(table.heads)]
    _table(doc, table, weights)
    note = fca_note(tables, options)
    if note:
        _para(doc, note, muted=True)


def _map(doc: DocxDocument, map_image: bytes | Path | None, lang: str) -> None:
    heading = doc.add_heading(text("outputs.report_map", lang), level=1)
    if map_image is None:
        _para(doc, text("outputs.report_docx_no_map", lang), muted=True)
        return
    heading.paragraph_format.page_break_before = True
    image = map_image if isinstance(map_image, bytes) else Path(map_image).read_bytes()
    _picture(doc, image, max_height=_MAP_MAX_HEIGHT)


def _scorecard(doc: DocxDocument, card: Scorecard, county_code: str, lang: str) -> None:
    table = scorecard_table(card, county_code=county_code, lang=lang)
    doc.add_heading(text("outputs.report_sc_heading", lang, title=str(card.title_in(lang))), level=1)
    _para(doc, text("outputs.report_sc_note", lang), muted=True, keep_with_next=True)
    _table(doc, table, [1.6, 3.4, 3.8, 2.0, 1.8, 3.4], left=(0, 1, 2, 3, 5), center=(4,),
           fills=[STATUS_COLOURS[s] for s in table.statuses])


def _notes(doc: DocxDocument, options: ReportOptions) -> None:
    lang = options.lang
    doc.add_heading(text("outputs.report_notes", lang), level=1)
    for note in options.notes or [text("outputs.report_none", lang)]:
        _para(doc, note, style="List Bullet")
    doc.add_heading(text("outputs.sources", lang), level=1)
    for source in options.sources:
        _para(doc, source, style="List Bullet")


def _front(doc: DocxDocument, tables: ReportTables, options: ReportOptions, *, county_code: str,
           county_name: str) -> None:
    """Title, the line under it and the introduction."""
    lang = options.lang
    title = report_title(options, county_name)
    doc.core_properties.title = xml_text(title)
    doc.core_properties.author = xml_text(options.software)
    doc.core_properties.language = "zh-CN" if lang == "zh" else "en"
    doc.add_heading(xml_text(title), level=0)
    line = " · ".join(x for x in (
        f"{text('outputs.report_code', lang)} {county_code}",
        f"{text('outputs.report_population_model', lang)} {fmt_int(county_population(tables, county_code))}",
        options.run_date, options.software) if x)
    _para(doc, line, muted=True)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, text("outputs.report_intro", lang))


def county_report_docx(
    tables: ReportTables,
    options: ReportOptions,
    *,
    county_code: str,
    county_name: str,
    path: Path,
    scorecards: Sequence[Scorecard] = (),
    map_image: bytes | Path | None = None,
) -> Path:
    """Write the coverage report of one county as a Word document.

    Parameters
    ----------
    tables
        The coverage tables, demand points and E2SFCA areas.
    options
        Modes, thresholds, headline, notes, sources, date, software and language.
    county_code, county_name
        The county.
    path
        The ``.docx`` file to write.
    scorecards
        Plan-target scorecards: each adds its county rows and unmet township rows.
    map_image
        The print map plate (PNG or JPEG bytes, or its file), or ``None``: the map section then
        says that no plate is attached.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    lang = options.lang
    doc = Document()
    _setup(doc, docx_fonts(), lang)
    _front(doc, tables, options, county_code=county_code, county_name=county_name)
    _headline(doc, tables, options, county_code)
    doc.add_heading(text("outputs.report_by_threshold", lang), level=1)
    _table(doc, threshold_table(county_rows(tables, county_code), options),
           [2.2] + [2.0] * len(options.thresholds) + [1.8, 1.8])
    _capacity(doc, tables, options, county_code)
    _chart(doc, tables, options, county_code)
    _townships(doc, tables, options, county_code)
    _map(doc, map_image, lang)
    for card in scorecards:
        _scorecard(doc, card, county_code, lang)
    _notes(doc, options)
    doc.save(str(path))
    return Path(path)
