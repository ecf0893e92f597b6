"""The Word report (``report.docx``): read back with python-docx and rendered by LibreOffice.

The numbers in its tables are checked against the run's tables and, for the headline share,
against a hand computation from the demand points. The LibreOffice test converts the file to
PDF (Debian ``libreoffice-writer``) and the pages to PNG (``pdftoppm``); it is skipped when
they are missing, except in CI (``CI`` set), where that fails (as the browser tests do).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.image import imread
from matplotlib.textpath import TextToPath

from tcm_coverage.outputs import (
    DecisionTables,
    ReportOptions,
    ReportTables,
    county_report_docx,
    docx_fonts,
    scorecard,
    scorecard_figure,
    scorecard_section_html,
    write_decision_tables,
)
from tcm_coverage.outputs.style import share_range
from tcm_coverage.vocab import share_column, time_column
from tcm_coverage.workflows import report_parts, write_docx_reports, write_reports

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")
PDFTOTEXT = shutil.which("pdftotext")


def _plate_png() -> bytes:
    """A stand-in for the print map plate (A4 landscape)."""
    fig = Figure(figsize=(11.69, 8.27), dpi=60)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.fill([0, 1, 1, 0], [0, 0, 1, 1], color="#a6d96a")
    ax.set_title("plate")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _headings(doc) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]


def _cells(table) -> list[list[str]]:
    """Cell texts; a header broken into lines joins back to its text (a line ends in its space)."""
    return [[c.text.replace("\n", "") for c in row.cells] for row in table.rows]


@pytest.fixture(scope="module")
def demo_docx(demo_computed, tmp_path_factory):
    run, config = demo_computed
    card = scorecard(run.access, "national", counties=run.counties, townships=run.townships)
    run = replace(run, scorecards={"national": card})
    out = tmp_path_factory.mktemp("docx")
    code = str(run.tables.county["code"].iloc[0])
    (zh,) = write_docx_reports(run, config, out, map_images={code: _plate_png()})
    en_dir = out / "en"
    en_dir.mkdir()
    (en,) = write_docx_reports(run, config.updated(lang="en"), en_dir)
    return run, config, zh, en


def test_docx_sections_and_numbers(demo_docx):
    run, config, path, _ = demo_docx
    assert path.name == "report.docx"
    doc = Document(str(path))
    heads = _headings(doc)
    assert heads[0] == "屯留区 中医药服务15分钟可达性报告"
    for h in ("主要结论", "各阈值覆盖率", "出行时间分布", "各乡镇覆盖（电动自行车，15 分钟）", "覆盖地图", "说明",
              "数据来源"):
        assert h in heads, (h, heads)
    assert any(h.startswith("规划目标对照") for h in heads)
    by_head: dict = {}
    for t in doc.tables:  # each table by its first header cell (the first such: referral and fairness follow)
        by_head.setdefault(_cells(t)[0][0], t)
    headline, thresholds = doc.tables[:2]
    townships, scorecard = by_head["乡镇"], by_head["地区"]
    # capacity-aware coverage (the demo has TCM physician counts): its own table, beside the plain share
    capacity = doc.tables[2]
    assert _cells(capacity)[0][2] == "15分钟覆盖率（考虑服务能力）"
    within = run.tables.county.set_index("mode").loc["ebike", "share_within_capacity_15"]
    assert {r[0]: r for r in _cells(capacity)[1:]}["电动自行车"][2].split("–")[0] == f"{within:.1%}"
    # the headline share of e-bike, recomputed by hand from the demand points
    demand = run.demand
    t = demand[time_column("tcm_any", "ebike")].to_numpy(float)
    pop = demand["population"].to_numpy(float)
    by_hand = pop[t <= 15].sum() / pop.sum()
    rows = {r[0]: r for r in _cells(headline)[1:]}
    assert rows["电动自行车"][1].split("–")[0] == f"{by_hand:.1%}"
    assert rows["电动自行车"][2] == f"{pop[t > 15].sum():,.0f}" or "–" in rows["电动自行车"][2]
    # shares by threshold: every cell as the county table says
    county = run.tables.county.set_index("mode")
    trows = {r[0]: r for r in _cells(thresholds)[1:]}
    for i, minutes in enumerate(config.options.thresholds, start=1):
        for mode, label in (("walk", "步行"), ("ebike", "电动自行车")):
            r = county.loc[mode]
            upper = r.get(share_column(minutes, upper=True), np.nan)
            assert trows[label][i] == share_range(float(r[share_column(minutes)]), float(upper))
    # townships: every one, lowest share first
    town = run.tables.township
    town = town[town["mode"] == "ebike"]
    body = _cells(townships)[1:]
    assert [r[0] for r in body] == list(town.sort_values(share_column(15))["name"])
    first = town.sort_values(share_column(15)).iloc[0]
    assert body[0][1] == f"{first['population']:,.0f}"
    assert body[0][2].split("–")[0] == f"{first[share_column(15)]:.1%}"
    # the scorecard's county rows come first
    assert _cells(scorecard)[1][0] == "屯留区"


def test_docx_layout(demo_docx):
    _, _, path, _ = demo_docx
    doc = Document(str(path))
    section = doc.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.01) and abs(section.page_height - Cm(29.7)) < Cm(0.01)
    assert abs(section.left_margin - Cm(2.5)) < Cm(0.01)
    # chart, Lorenz curve and map plate
    assert len(doc.inline_shapes) == 3
    # the header row of every table repeats on each page; data rows do not
    for table in doc.tables:
        first = table.rows[0]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr.find(qn("w:tblHeader")) is None for r in table.rows[1:])
    # the page number: a PAGE field in the footer
    footer = section.footer._element
    instr = [el.text for el in footer.iter(qn("w:instrText"))]
    assert any(i.strip() == "PAGE" for i in instr)
    # fonts: the installed Song/Fangsong for the body, Hei for the headings
    fonts = docx_fonts()
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == fonts.body
    assert doc.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == fonts.title


_BOLD_SERIF = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSerif-Bold.ttf")


def _line_width(line: str, size: float) -> float:
    """Width in points of a bold header line, measured by matplotlib's text-to-path (DejaVu
    Serif Bold, the widest font LibreOffice may set in), a CJK character one em."""
    wide = sum(unicodedata.east_asian_width(c) in ("W", "F") for c in line)
    narrow = "".join(c for c in line if unicodedata.east_asian_width(c) not in ("W", "F"))
    width = TextToPath().get_text_width_height_descent(
        narrow, FontProperties(fname=_BOLD_SERIF, size=size), ismath=False)[0] if narrow.strip() else 0.0
    return width + wide * size


def _header_lines(table) -> list[tuple[list[str], float, float]]:
    """Per header cell: its lines, its width (pt, from w:tcW) and its font size (w:sz, else 9)."""
    out = []
    for cell in table.rows[0].cells:
        tc = cell._tc
        width = int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) / 20
        sz = tc.find(".//" + qn("w:sz"))
        size = int(sz.get(qn("w:val"))) / 2 if sz is not None else 9.0
        out.append((cell.text.split("\n"), width, size))
    return out


@pytest.mark.parametrize("which", [2, 3])
def test_docx_table_headers_keep_words_whole(demo_docx, which):
    """Every header line of every table fits its cell (width less the 0.1 cm cell margins) at
    its font size, measured independently, and no line breaks inside a Latin word or a number;
    the widths fill the text width (16 cm). Fails with fixed column weights: the English
    township table had 'township' and 'population' wider than their columns."""
    doc = Document(str(demo_docx[which]))
    usable = (Cm(21) - 2 * Cm(2.5)) / 12700
    margins = 2 * 72 * 0.1 / 2.54
    for t in doc.tables:
        cells = _header_lines(t)
        assert sum(w for _, w, _ in cells) == pytest.approx(usable, abs=0.5)
        for lines, width, size in cells:
            assert 7.5 <= size <= 9
            for line in lines:
                assert _line_width(line.strip(), size) <= width - margins, (line, width, size)
            for before, after in zip(lines, lines[1:], strict=False):  # at a space or beside CJK
                assert (before.endswith(" ") or not re.search(r"[A-Za-z0-9]$", before)
                        or not re.match(r"[A-Za-z0-9]", after)), (before, after)
    heads = " ".join(c.text.replace("\n", "") for t in doc.tables for c in t.rows[0].cells)
    assert ("township" in heads and "population" in heads) if which == 3 else "乡镇" in heads


def test_docx_english(demo_docx):
    _, _, _, path = demo_docx
    doc = Document(str(path))
    heads = _headings(doc)
    assert heads[0] == "屯留区: 15-minute access to TCM services"
    for h in ("Headline", "Share of residents by threshold", "Travel-time distribution", "Map", "Notes"):
        assert h in heads
    assert "电动自行车" not in _cells(doc.tables[0])[1][0] + _cells(doc.tables[0])[2][0]
    # no plate given: the map section says so, only the charts are images
    assert len(doc.inline_shapes) == 2
    assert any("No printed map plate" in p.text for p in doc.paragraphs)


def _decision_csvs(run, config, out, lang="zh") -> dict[str, pd.DataFrame]:
    """The run's referral_township.csv, fairness.csv and sensitivity.csv as written for the
    planner (read back as text), with the raw column names."""
    tables = DecisionTables(referral_township=run.referral_township, fairness=run.fairness,
                            sensitivity=run.sensitivity, referral_minutes=config.options.referral_minutes,
                            headline_threshold=config.options.headline_threshold)
    write_decision_tables(tables, out, lang=lang)
    raw = {"referral_township": run.referral_township, "fairness": run.fairness, "sensitivity": run.sensitivity}
    csvs = {}
    for stem, table in raw.items():
        csv = pd.read_csv(out / f"{stem}.csv", dtype=str, keep_default_na=False)
        assert len(csv.columns) == len(table.columns)
        csvs[stem] = csv.set_axis(list(table.columns), axis=1)  # same order: headers localized
    return csvs


def _near(shown: str, written: str, *, scale: float, tol: float, lang: str = "zh") -> bool:
    """A report cell (``83.2%``, ``12.5``, ``1,234``, ``–``) against its CSV value (``0.8321``,
    ``12.5``, ``1234``; 不可达 / 无数据 where the report shows ``–``)."""
    if shown == "–":
        return written in ("不可达", "无数据", "unreachable", "no data")
    value = float(shown.rstrip("%").replace(",", "")) / scale
    return abs(value - float(written)) <= tol


def _towns_then_county(table: pd.DataFrame) -> list[str]:
    """Every township in the table's order, the county last (the report's order)."""
    return [*table.loc[table["level"] == "township", "name"], *table.loc[table["level"] == "county", "name"]]


def test_docx_decision_tables_equal_the_run_csv_files(demo_docx, tmp_path):
    run, config, path, _ = demo_docx
    assert run.referral_township is not None and run.fairness is not None and run.sensitivity is not None
    csv = _decision_csvs(run, config, tmp_path)
    doc = Document(str(path))
    heads = _headings(doc)
    i = heads.index("各乡镇覆盖（电动自行车，15 分钟）")
    assert heads[i + 1:i + 4] == ["县域医共体转诊链（村卫生室 → 中医馆 → 县级中医医院）",
                                  "公平性（电动自行车，到最近中医药服务点）", "结论有多稳（敏感性）"]
    referral = [t for t in doc.tables if _cells(t)[0][1] == "村卫生室"]
    assert len(referral) == 1
    body = _cells(referral[0])[1:]
    ref = csv["referral_township"].set_index("name")
    assert [r[0] for r in body] == _towns_then_county(run.referral_township)
    for name, clinics, guan, guan_ebike, county, residents, share in body:
        r = ref.loc[name]
        assert clinics == r["clinics"]
        for shown, cols in ((guan, ("median_zhongyiguan_car", "max_zhongyiguan_car")),
                            (guan_ebike, ("median_zhongyiguan_ebike",)),
                            (county, ("median_county_tcm_car", "max_county_tcm_car")),
                            (residents, ("resident_median_county_tcm_car",))):
            for part, col in zip(shown.split(" / "), cols, strict=True):
                assert _near(part, r[col], scale=1, tol=0.05 + 1e-9), (name, col, part, r[col])
        assert _near(share, r["share_within_referral"], scale=100, tol=5e-4 + 1e-9), (name, share)
    fair = [t for t in doc.tables if _cells(t)[0][1] == "类型"]
    assert len(fair) == 1
    body = _cells(fair[0])[1:]
    frame = csv["fairness"].set_index("name")
    assert [r[0] for r in body] == _towns_then_county(run.fairness)
    for name, kind, pop, share, mean, gini, unreached in body:
        r = frame.loc[name]
        assert kind == r["kind"]  # 街道 / 镇 / 乡; blank on the county row
        assert pop.replace(",", "") == r["population"] and unreached.replace(",", "") == r["unreachable_population"]
        assert _near(share, r["share_within"], scale=100, tol=5e-4 + 1e-9)
        assert _near(mean, r["mean_min"], scale=1, tol=0.05 + 1e-9)
        assert _near(gini, r["gini"], scale=1, tol=5e-4 + 1e-9)
    sens = [t for t in doc.tables if _cells(t)[0][0] == "假设"]
    assert len(sens) == 1
    body = _cells(sens[0])[1:]
    rows = csv["sensitivity"]
    assert [r[0] for r in body] == list(rows["assumption"])  # largest swing first, as the file
    for (_, low, high, swing), (_, r) in zip(body, rows.iterrows(), strict=True):
        assert _near(low, r["share_low"], scale=100, tol=5e-4 + 1e-9)
        assert _near(high, r["share_high"], scale=100, tol=5e-4 + 1e-9)
        assert _near(swing, r["swing"], scale=100, tol=5e-4 + 1e-9)
    # the Lorenz curve is a picture of its own (chart, Lorenz, plate)
    assert len(doc.inline_shapes) == 3


def test_docx_decision_sections_in_english(demo_docx, tmp_path):
    run, config, _, path = demo_docx
    doc = Document(str(path))
    heads = _headings(doc)
    for h in ("Referral chain (village clinic → 中医馆 centre → county TCM hospital)",
              "Fairness (e-bike, nearest TCM service point)", "How sure the headline is (sensitivity)"):
        assert h in heads, (h, heads)
    csv = _decision_csvs(run, config.updated(lang="en"), tmp_path, lang="en")
    sens = [t for t in doc.tables if _cells(t)[0][0] == "assumption"]
    assert [r[0] for r in _cells(sens[0])[1:]] == list(csv["sensitivity"]["assumption"])
    fair = [t for t in doc.tables if _cells(t)[0][1] == "kind"]
    kinds = [r[1] for r in _cells(fair[0])[1:]]
    assert kinds[-1] == "" and set(kinds[:-1]) <= {"subdistrict", "town", "township", "unknown"}


def _no_data_tables() -> ReportTables:
    county = pd.DataFrame({"code": ["1"], "name": ["县"], "mode": ["walk"], "population": [100.0],
                           "pop_within_15": [40.0], share_column(15): [0.4], "mean_min": [20.0],
                           "p90_min": [np.inf]})
    township = pd.DataFrame({
        "code": ["11", "12"], "name": ["甲镇\x01<b>&amp;", "乙镇"], "parent_code": ["1", "1"],
        "mode": ["walk", "walk"], "population": [0.0, 100.0], "pop_within_15": [0.0, 40.0],
        share_column(15): [np.nan, 0.4], "mean_min": [np.nan, 20.0],
        "n_centres": [1, 1], "n_centres_zhongyiguan": [0, 1], "n_centres_zhongyiguan_unknown": [1, 0],
        "n_stations": [0, 2], "n_stations_zhongyige": [0, 1], "n_stations_zhongyige_unknown": [0, 0]})
    demand = pd.DataFrame({"population": [40.0, 60.0], "county_code": ["1", "1"],
                           time_column("tcm_any", "walk"): [5.0, np.inf]})
    return ReportTables(county_table=county, township_table=township, demand=demand)


def test_docx_no_data_and_hostile_text(tmp_path):
    options = ReportOptions(modes=("walk",), thresholds=(15.0,), headline_threshold=15.0,
                            headline_mode="walk", notes=("note\x0bwith a vertical tab",),
                            sources=("<script>alert(1)</script>",))
    path = county_report_docx(_no_data_tables(), options, county_code="1", county_name="县\x00",
                              path=tmp_path / "r.docx")
    doc = Document(str(path))
    body = _cells(doc.tables[2])[1:]
    unknown = body[0]  # the township without residents sorts first
    assert unknown[0] == "甲镇<b>&amp;"  # plain text, the control character dropped
    assert unknown[2] == "无数据" and "0%" not in unknown[2]  # unknown share: no data, not 0 %
    assert unknown[5] == "无数据"  # no 中医馆 flag known
    assert body[1][2] == "40.0%"
    assert _cells(doc.tables[1])[1][-1] == "–"  # P90 unreachable
    texts = [p.text for p in doc.paragraphs]
    assert "<script>alert(1)</script>" in texts and "notewith a vertical tab" in texts
    assert any("未附打印地图图版" in t for t in texts)


def _missing(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI must install it: see .ci/run)")
    pytest.skip(why)


def test_docx_renders_in_libreoffice(demo_docx, tmp_path):
    if SOFFICE is None or PDFTOPPM is None:
        _missing("LibreOffice (soffice) or poppler-utils (pdftoppm) is not installed")
    _, _, path, en = demo_docx
    profile = tmp_path / "lo-profile"  # per test: parallel runs do not share a profile
    shutil.copy(en, tmp_path / "report_en.docx")
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path), str(tmp_path / "report_en.docx")],
                   check=True, capture_output=True, timeout=300)
    pdf = tmp_path / "report.pdf"
    assert pdf.stat().st_size > 10_000
    if PDFTOTEXT is not None:  # as LibreOffice set them, no English header word is broken
        # (the fixed column weights gave "townsh / ip", "populat / ion", "reside / nts")
        words = {w for t in Document(str(en)).tables for c in t.rows[0].cells
                 for w in re.findall(r"[A-Za-z]{5,}", c.text)}
        assert {"township", "population", "residents"} <= words
        printed = subprocess.run([PDFTOTEXT, "-raw", str(tmp_path / "report_en.pdf"), "-"], check=True,
                                 capture_output=True, text=True, timeout=120).stdout
        broken = [w for w in words for k in range(2, len(w) - 1)
                  if re.search(rf"(?<![A-Za-z]){w[:k]}-?\n{w[k:]}(?![A-Za-z])", printed)]
        assert broken == [], broken
    subprocess.run([PDFTOPPM, "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) > 1
    for page in pages:
        pixels = imread(page)[..., :3]
        ink = (pixels.mean(axis=2) < 0.9).mean()
        assert ink > 0.002, f"{page.name} looks blank"
        assert pixels.shape[0] > pixels.shape[1]  # A4 portrait


def _docx_body(path: Path) -> bytes:
    import zipfile
    with zipfile.ZipFile(path) as z:
        return b"".join(z.read(n) for n in sorted(z.namelist()) if n != "docProps/core.xml")


def test_reports_share_their_parts(demo_docx, tmp_path):
    """The parts prepared once for report.html and report.docx (scorecard tables, decision
    sections) give the documents each writes on its own."""
    run, config, zh, _en = demo_docx
    code = str(run.tables.county["code"].iloc[0])
    parts = report_parts(run, config)
    assert [c for c, _name, _options in parts.reports] == [code]
    (figure,) = parts.scorecards[code]
    card = run.scorecards["national"]
    assert figure == scorecard_figure(card, county_code=code, lang="zh")
    assert figure.title == str(card.title_in("zh")) and figure.table.rows
    assert scorecard_figure(figure, county_code=code) is figure
    (shared,) = write_docx_reports(run, config, tmp_path, map_images={code: _plate_png()}, parts=parts)
    assert _docx_body(shared) == _docx_body(zh)
    alone, together = tmp_path / "alone", tmp_path / "together"
    alone.mkdir()
    together.mkdir()
    (a,) = write_reports(run, config, alone, None)
    (b,) = write_reports(run, config, together, None, parts=parts)
    assert a.read_bytes() == b.read_bytes()
    assert scorecard_section_html(figure, county_code=code) == scorecard_section_html(card, county_code=code)
