"""The county coverage report as a Word document (``report.docx``) a planner can hand in.

The sections of ``report.html`` (:mod:`~tcm_coverage.outputs.report_html`), with the same
figures (both take them from :mod:`~tcm_coverage.outputs.report_figures`): headline figures,
shares by threshold, the cumulative travel-time chart (a PNG:
:func:`~tcm_coverage.outputs.chart.cumulative_chart_png`), the township table lowest share
first, the referral chain, fairness (with the Lorenz curve as a PNG) and the sensitivity band
(:func:`~tcm_coverage.outputs.report_figures.decision_figures`), the map plate (an image passed
in; without one a line says so), the scorecard's county rows and unmet township rows, notes
and sources. Tables are written as XML row by row, styles set by id (fast, see ``_table``). Chinese by default, English with ``lang="en"``.

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
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.image.image import Image
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.text.font import CT_RPr
from docx.shared import Cm, Length, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from tcm_coverage._safetext import xml_text
from tcm_coverage.i18n import label, text
from tcm_coverage.outputs.chart import cumulative_chart_png, lorenz_chart_png
from tcm_coverage.outputs.fonts import cjk_font
from tcm_coverage.outputs.report_figures import (
    Cell,
    DecisionSections,
    FigureTable,
    ReportOptions,
    ReportTables,
    ScorecardFigure,
    capacity_table,
    county_population,
    county_rows,
    cumulative_curves,
    decision_figures,
    fca_note,
    headline_figures,
    report_title,
    scorecard_figure,
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
from tcm_coverage.outputs.table_layout import table_layout

__all__ = ["DocxFonts", "county_report_docx", "docx_fonts"]

#: Table header background (as in report.html).
_HEAD_FILL = "F0F0F0"
#: Grey of the notes under a table or chart.
_MUTED = RGBColor(0x55, 0x55, 0x55)
#: Tables up to this many rows are kept on one page (with the heading and note above them).
_KEEP_TOGETHER_ROWS = 20
#: The style id of the table cells' paragraphs (the style named "Table Text").
_CELL_STYLE = "TableText"
_CELL_PT = 9.0  # font size of the table cells (smaller in a table too wide for it, see _table)
#: Largest height of the map plate on the page.
_MAP_MAX_HEIGHT = Cm(20)
#: Largest height of the Lorenz chart (it then stays on the page of its table more often).
_CHART_MAX_HEIGHT = Cm(7)


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
    cell_style.font.size = Pt(_CELL_PT)
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
def _styled(paragraph: Paragraph, style_id: str) -> Paragraph:
    """Give ``paragraph`` the style ``style_id`` directly (python-docx's lookup by name scans
    the style part on every call)."""
    paragraph._p.style = style_id
    return paragraph


def _para(doc: DocxDocument, words: str, *, muted: bool = False, style_id: str | None = None,
          keep_with_next: bool = False) -> None:
    p = _styled(doc.add_paragraph(xml_text(words)), style_id) if style_id else doc.add_paragraph(xml_text(words))
    if keep_with_next:
        p.paragraph_format.keep_with_next = True
    if muted:
        for run in p.runs:
            run.font.color.rgb = _MUTED
            run.font.size = Pt(9.5)


def _heading(doc: DocxDocument, words: str, level: int = 1) -> Paragraph:
    """A title (``level=0``) or a heading, its style set by id."""
    return _styled(doc.add_paragraph(xml_text(words)), "Title" if level == 0 else f"Heading{level}")


_JC = {WD_ALIGN_PARAGRAPH.LEFT: "left", WD_ALIGN_PARAGRAPH.CENTER: "center", WD_ALIGN_PARAGRAPH.RIGHT: "right"}


def _cell_xml(words: str, *, width: int, align: WD_ALIGN_PARAGRAPH, fill: str | None = None,
              bold: bool = False, keep_with_next: bool = False, size: str = "") -> str:
    """One ``w:tc``: its width (twips), background, one paragraph in the Table Text style,
    one run (XML-escaped text; ``size``: a ``w:sz`` element when smaller than the style's)."""
    shd = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill.lstrip("#").upper()}"/>' if fill else ""
    keep = "<w:keepNext/>" if keep_with_next else ""
    words = xml_text(words)
    space = ' xml:space="preserve"' if words != words.strip() else ""
    rpr = ("<w:b/>" if bold else "") + size
    lines = "<w:br/>".join(f"<w:t{space}>{xml_escape(line)}</w:t>" for line in words.split("\n"))
    run = f'<w:r>{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}{lines}</w:r>' if words else ""
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shd}</w:tcPr>'
            f'<w:p><w:pPr><w:pStyle w:val="{_CELL_STYLE}"/>{keep}<w:jc w:val="{_JC[align]}"/></w:pPr>'
            f"{run}</w:p></w:tc>")


def _usable(doc: DocxDocument) -> Length:
    section = doc.sections[0]
    return Length(int(section.page_width or 0) - int(section.left_margin or 0) - int(section.right_margin or 0))



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


def _rows_xml(table: FigureTable, twips: Sequence[int], *, left: Sequence[int], center: Sequence[int],
              fills: Sequence[str | None], size: str, heads: Sequence[str]) -> str:
    """The ``w:tr`` rows of a table: the header (shaded, bold, repeated on every page), then the
    body rows (kept whole; share cells tinted by class, whole rows by ``fills``)."""
    short = len(table.rows) <= _KEEP_TOGETHER_ROWS  # kept whole: every row but the last keeps with the next
    parts = ["<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"]
    parts += [_cell_xml(h, width=w, align=WD_ALIGN_PARAGRAPH.CENTER, fill=_HEAD_FILL, bold=True,
                        keep_with_next=True, size=size)
              for h, w in zip(heads, twips, strict=True)]
    parts.append("</w:tr>")
    aligns = [_align(j, left, center) for j in range(len(table.heads))]
    for i, row in enumerate(table.rows, start=1):
        fill = fills[i - 1] if fills else None
        parts.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
        parts += [_cell_xml(value.text, width=twips[j], align=aligns[j], bold=j == 0,
                            keep_with_next=short and i < len(table.rows), size=size,
                            fill=fill or (share_colour(value.share, SHARE_TINTS, MISSING_TINT)
                                          if value.share is not None else None))
                  for j, value in enumerate(row)]
        parts.append("</w:tr>")
    return "".join(parts)


def _table(doc: DocxDocument, table: FigureTable, *, left: Sequence[int] = (0,), center: Sequence[int] = (),
           fills: Sequence[str | None] = ()) -> Table:
    """A grid table: the header row repeated on every page, share cells tinted by class,
    whole rows coloured by ``fills`` (scorecard statuses); the columns in ``left`` left-aligned,
    in ``center`` centred, the others (numbers) right-aligned; column widths (and, for a wide
    table, a smaller font) from the text (:func:`~tcm_coverage.outputs.table_layout.table_layout`:
    no word is broken). The rows are written as one piece of XML (python-docx's cell objects
    cost ~5 ms a cell)."""
    layout = table_layout(table.heads, [[c.text for c in row] for row in table.rows], usable=_usable(doc).pt)
    widths = [Pt(w) for w in layout.widths]
    size = f'<w:sz w:val="{round(layout.size * 2)}"/>' if layout.size < _CELL_PT else ""
    out = doc.add_table(rows=0, cols=len(table.heads))
    out._tbl.tblPr.style = "TableGrid"
    out.alignment = WD_TABLE_ALIGNMENT.CENTER
    out.autofit = False
    _cell_margins(out, Cm(0.1))
    for col, width in zip(out._tbl.tblGrid.gridCol_lst, widths, strict=True):
        col.w = width
    twips = [int(w.twips) for w in widths]
    body = _rows_xml(table, twips, left=left, center=center, fills=fills, size=size, heads=layout.heads)
    rows = parse_xml(f"<w:tbl {nsdecls('w')}>{body}</w:tbl>")
    out._tbl.extend(list(rows))
    return out


def _picture(doc: DocxDocument, image: bytes, *, max_height: Length | None = None) -> None:
    """An image centred at the text width (smaller when it would be taller than ``max_height``)."""
    width = _usable(doc)
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
    _heading(doc, text("outputs.report_headline", lang))
    table = FigureTable(
        heads=(text("outputs.report_mode", lang), text("outputs.report_share_within", lang, thr=thr),
               text("outputs.report_beyond", lang), text("outputs.report_mean", lang)),
        rows=tuple((Cell(h.mode_label), Cell(h.share), Cell(h.beyond), Cell(h.mean)) for h in heads))
    _table(doc, table)
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
    _heading(doc, text("outputs.report_capacity_heading", lang, thr=f"{options.headline_threshold:g}"))
    table = capacity_table(county_rows(tables, county_code), options)
    if table is None:
        _para(doc, text("outputs.report_capacity_none", lang))
        return
    _table(doc, table)
    for note in options.capacity_notes:
        _para(doc, note, muted=True)


def _chart(doc: DocxDocument, tables: ReportTables, options: ReportOptions, county_code: str) -> None:
    lang = options.lang
    _heading(doc, text("outputs.report_distribution", lang))
    _para(doc, text("outputs.report_chart_note", lang), muted=True, keep_with_next=True)
    png = cumulative_chart_png(cumulative_curves(tables, options, county_code),
                               threshold=options.headline_threshold, lang=lang)
    _picture(doc, png)


def _townships(doc: DocxDocument, tables: ReportTables, options: ReportOptions, county_code: str) -> None:
    table = township_table(tables, options, county_code)
    if table is None:
        return
    lang, thr = options.lang, f"{options.headline_threshold:g}"
    _heading(doc, text("outputs.report_township_heading", lang,
                         mode=label("mode", options.headline_mode, lang), thr=thr), level=1)
    _para(doc, text("outputs.report_lowest_first", lang), muted=True, keep_with_next=True)
    _table(doc, table)
    note = fca_note(tables, options)
    if note:
        _para(doc, note, muted=True)


#: Left-aligned columns of the decision tables.
_DECISION_LEFT: dict[str, tuple[int, ...]] = {"referral": (0,), "fairness": (0, 1), "sensitivity": (0,)}


def _decisions(doc: DocxDocument, sections: DecisionSections | None, county_code: str) -> None:
    """The referral chain, fairness (with its Lorenz curve) and the sensitivity band, as in the
    HTML report (:func:`~tcm_coverage.outputs.report_figures.decision_figures`); the county's
    row last in the first two."""
    if sections is None:
        return
    for figure in decision_figures(sections, county_code):
        _heading(doc, figure.heading)
        _para(doc, figure.intro, keep_with_next=True)
        _table(doc, figure.table, left=_DECISION_LEFT[figure.kind])
        if figure.lorenz is not None:
            _picture(doc, lorenz_chart_png(*figure.lorenz, lang=sections.lang), max_height=_CHART_MAX_HEIGHT)


def _map(doc: DocxDocument, map_image: bytes | Path | None, lang: str) -> None:
    heading = _heading(doc, text("outputs.report_map", lang))
    if map_image is None:
        _para(doc, text("outputs.report_docx_no_map", lang), muted=True)
        return
    heading.paragraph_format.page_break_before = True
    image = map_image if isinstance(map_image, bytes) else Path(map_image).read_bytes()
    _picture(doc, image, max_height=_MAP_MAX_HEIGHT)


def _scorecard(doc: DocxDocument, figure: ScorecardFigure, lang: str) -> None:
    _heading(doc, text("outputs.report_sc_heading", lang, title=figure.title))
    _para(doc, text("outputs.report_sc_note", lang), muted=True, keep_with_next=True)
    _table(doc, figure.table, left=(0, 1, 2, 3, 5), center=(4,),
           fills=[STATUS_COLOURS[s] for s in figure.table.statuses])


def _notes(doc: DocxDocument, options: ReportOptions) -> None:
    lang = options.lang
    _heading(doc, text("outputs.report_notes", lang))
    for note in options.notes or [text("outputs.report_none", lang)]:
        _para(doc, note, style_id="ListBullet")
    _heading(doc, text("outputs.sources", lang))
    for source in options.sources:
        _para(doc, source, style_id="ListBullet")


def _front(doc: DocxDocument, tables: ReportTables, options: ReportOptions, *, county_code: str,
           county_name: str) -> None:
    """Title, the line under it and the introduction."""
    lang = options.lang
    title = report_title(options, county_name)
    doc.core_properties.title = xml_text(title)
    doc.core_properties.author = xml_text(options.software)
    doc.core_properties.language = "zh-CN" if lang == "zh" else "en"
    _heading(doc, xml_text(title), level=0)
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
    scorecards: Sequence[Scorecard | ScorecardFigure] = (),
    map_image: bytes | Path | None = None,
    decisions: DecisionSections | None = None,
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
        Plan-target scorecards (or their figures): each adds its county rows and unmet township rows.
    map_image
        The print map plate (PNG or JPEG bytes, or its file), or ``None``: the map section then
        says that no plate is attached.
    decisions
        The referral, fairness and sensitivity tables (their sections follow the township
        table, as in ``report.html``); ``None``: no such sections.

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
    _heading(doc, text("outputs.report_by_threshold", lang))
    _table(doc, threshold_table(county_rows(tables, county_code), options))
    _capacity(doc, tables, options, county_code)
    _chart(doc, tables, options, county_code)
    _townships(doc, tables, options, county_code)
    _decisions(doc, decisions, county_code)
    _map(doc, map_image, lang)
    for card in scorecards:
        _scorecard(doc, scorecard_figure(card, county_code=county_code, lang=lang), lang)
    _notes(doc, options)
    doc.save(str(path))
    return Path(path)
