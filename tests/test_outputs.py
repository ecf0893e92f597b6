"""Outputs that are safe: a result folder is replaced as a whole, never holds an input or a
stale file of another run, keeps text from the inputs as text (no formulas, no markup), and
``map``/``report``/``score`` refuse to recompute from changed inputs.

The kill test (SIGKILL at many points of a real run into a folder holding an earlier result)
is :func:`test_kill_at_many_points`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from tcm_coverage._errors import InputError
from tcm_coverage._io import (
    MARKER,
    NO_EXCHANGE_ENV,
    PAUSE_ENV,
    PAUSE_FILE_ENV,
    ResultMarker,
    add_files,
    atomic_output_dir,
    check_output_dir,
    is_litter,
    litter_of,
    recover_output_dir,
)
from tcm_coverage._safetext import csv_safe
from tcm_coverage._xlsx import Sheet, write_workbook
from tcm_coverage.demo import DEMO_FILES, demo_data_dir
from tcm_coverage.testing.province import make_synthetic_province

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
IMG = "<img src=x onerror=alert(1)>"
LINK = '=HYPERLINK("http://x","y")'
# IMG escaped for HTML, as it appears in a page or (JSON-escaped by folium) in its GeoJSON
ESCAPED = ("&lt;img src=x onerror=alert(1)&gt;", "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;")


def _tree(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder`` (the marker too)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _complete(folder: Path) -> bool:
    marker = ResultMarker.read(folder)
    return marker is not None and marker.problems(folder) == []


def _result(out: Path, files: dict[str, str], kind: str = "analyze") -> None:
    with atomic_output_dir(out, kind=kind) as tmp:
        for name, text in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------
# the folder swap
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_replaces_the_whole_folder(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setenv(NO_EXCHANGE_ENV, "1")
    out = tmp_path / "out"
    _result(out, {"a.csv": "old a", "map.html": "old map", "sub/x.txt": "old x"})
    assert _complete(out)
    inode = out.stat().st_ino
    _result(out, {"a.csv": "new a"})
    assert _tree(out).keys() == {"a.csv", MARKER}  # the old map and sub/ are gone
    assert (out / "a.csv").read_text(encoding="utf-8") == "new a"
    assert out.stat().st_ino != inode  # a new folder, not files moved into the old one
    assert _complete(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no litter
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert marker["kind"] == "analyze" and marker["tool"].startswith("tcm-coverage")
    assert marker["files"] == {"a.csv": hashlib.sha256(b"new a").hexdigest()}


def test_a_failed_body_leaves_the_earlier_result(tmp_path):
    out = tmp_path / "out"
    _result(out, {"a.csv": "old"})
    before = _tree(out)
    with pytest.raises(RuntimeError), atomic_output_dir(out) as tmp:
        (tmp / "a.csv").write_text("half", encoding="utf-8")
        raise RuntimeError("boom")
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_result_folder_mode_follows_the_umask(tmp_path):
    out = tmp_path / "out"
    _result(out, {"a.csv": "x"})
    assert out.stat().st_mode & 0o777 == 0o777 & ~_umask()  # not mkdtemp's 0700


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_refuses_folders_it_must_not_replace(tmp_path, monkeypatch):
    user = tmp_path / "project"
    user.mkdir()
    (user / "notes.docx").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match=r"not a tcm-coverage result \(notes.docx\)") as info:
        with atomic_output_dir(user):
            pass
    assert "--out" in str(info.value) and "Fix:" in str(info.value)
    assert sorted(p.name for p in user.iterdir()) == ["notes.docx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]  # nothing built beside it
    # a file
    with pytest.raises(InputError, match="is a file"):
        check_output_dir(user / "notes.docx")
    # a folder holding an input: named with its label and the option
    data = tmp_path / "data"
    data.mkdir()
    (data / "facilities.gpkg").write_text("input", encoding="utf-8")
    with pytest.raises(InputError, match=r"\(--out\) holds the facilities input .*facilities.gpkg"):
        check_output_dir(data, inputs={"facilities": data / "facilities.gpkg"})
    # ... even when that folder is an earlier result
    _result(tmp_path / "res", {"a.csv": "x"})
    with pytest.raises(InputError, match="holds the population input"):
        check_output_dir(tmp_path / "res", inputs={"population": tmp_path / "res" / "a.csv"})
    # the current folder, or one above it
    monkeypatch.chdir(tmp_path / "res")
    with pytest.raises(InputError, match="current folder") as info:
        check_output_dir(".")
    assert "cd " in str(info.value)
    with pytest.raises(InputError, match="current folder"):
        check_output_dir(tmp_path)
    monkeypatch.chdir(tmp_path)
    # inside an earlier result (a later run there would delete it)
    with pytest.raises(InputError, match="inside the earlier result"):
        check_output_dir(tmp_path / "res" / "en")
    # allowed: missing, empty, an earlier result, an older version's run folder
    (tmp_path / "empty").mkdir()
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "run.json").write_text(json.dumps({"tool": "tcm-coverage 0.0.9"}), encoding="utf-8")
    (legacy / "map.html").write_text("old", encoding="utf-8")
    for ok in ("missing", "empty", "res", "legacy"):
        check_output_dir(tmp_path / ok)
    _result(legacy, {"run.json": "{}"})
    assert _tree(legacy).keys() == {"run.json", MARKER}


def test_kept_subfolder_is_carried_over_as_hard_links(tmp_path):
    out = tmp_path / "batch"
    county = out / "counties" / "320101"
    _result(county, {"run.json": "{}", "coverage_county.csv": "c"})  # a county's own result
    csv = county / "coverage_county.csv"
    stamp = (csv.stat().st_ino, csv.stat().st_mtime_ns)
    # first province summary: the folder holds only counties/, which is kept
    with atomic_output_dir(out, kind="batch", keep=("counties",)) as tmp:
        (tmp / "province_summary.csv").write_text("p1", encoding="utf-8")
    with atomic_output_dir(out, kind="batch", keep=("counties",)) as tmp:
        (tmp / "province_summary.csv").write_text("p2", encoding="utf-8")
    csv = out / "counties" / "320101" / "coverage_county.csv"
    assert (csv.stat().st_ino, csv.stat().st_mtime_ns) == stamp  # linked, not rewritten
    marker = ResultMarker.read(out)
    assert marker.kept == ("counties",) and set(marker.files) == {"province_summary.csv"}
    assert _complete(out) and _complete(out / "counties" / "320101")
    # a county inside the batch folder may be replaced on its own; other sub-folders may not
    check_output_dir(out / "counties" / "320102")
    with pytest.raises(InputError, match="inside the earlier result"):
        check_output_dir(out / "summary")
    # a folder with more than counties/ and no marker is not a batch folder
    other = tmp_path / "other"
    (other / "counties").mkdir(parents=True)
    (other / "mine.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="mine.txt"):
        check_output_dir(other, keep=("counties",))


def test_update_in_place_keeps_the_other_files(tmp_path):
    out = tmp_path / "run"
    _result(out, {"run.json": "{}", "demand_points.gpkg": "layers", "report.html": "old"})
    with atomic_output_dir(out, kind="report", keep="all") as tmp:
        (tmp / "report.html").write_text("new", encoding="utf-8")
    assert (out / "report.html").read_text(encoding="utf-8") == "new"
    assert (out / "demand_points.gpkg").read_text(encoding="utf-8") == "layers"
    marker = ResultMarker.read(out)
    assert marker.kind == "report" and marker.history[0][0] == "analyze"
    assert _complete(out)
    with pytest.raises(TypeError):
        with atomic_output_dir(out, keep="counties"):  # a name, not a list of names
            pass


def test_nested_writers_write_into_the_enclosing_build(tmp_path):
    out = tmp_path / "out"
    with atomic_output_dir(out) as tmp:
        with atomic_output_dir(tmp / "scenario_a") as inner:
            assert inner == (tmp / "scenario_a").resolve()
            (inner / "sites.csv").write_text("a", encoding="utf-8")
        with add_files(tmp) as same:  # e.g. write_scorecard into a run's build folder
            assert same == tmp.resolve()
            (same / "scorecard.html").write_text("s", encoding="utf-8")
    assert _tree(out).keys() == {"scenario_a/sites.csv", "scorecard.html", MARKER}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_add_files_to_a_plain_folder_keeps_its_files(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine", encoding="utf-8")
    (folder / ".tcm-coverage.tmp-dead").mkdir()  # left by a killed writer: removed
    with add_files(folder) as tmp:
        (tmp / "scorecard.xlsx").write_text("x", encoding="utf-8")
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt", "scorecard.xlsx"]
    with pytest.raises(InputError, match="would be overwritten"), \
            add_files(folder, inputs={"facilities": folder / "keep.txt"}) as tmp:
        (tmp / "keep.txt").write_text("clobbered", encoding="utf-8")
    assert (folder / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_recovery_from_a_killed_swap(tmp_path):
    """The states a SIGKILL can leave (see the _io docstring), made by hand: the next run,
    or ``map``/``report`` on the folder, puts the earlier result back and removes litter."""
    from tcm_coverage.workflows import load_config

    out = tmp_path / "out"
    _result(out, {"run.json": json.dumps({"config": {}}), "a.csv": "old"})
    before = _tree(out)
    # killed between the two renames of the fallback swap, with a dead build beside it
    out.rename(tmp_path / ".out.old-1-aa")
    (tmp_path / ".out.tmp-2-bb-x").mkdir()
    (tmp_path / ".out.tmp-2-bb-x" / "a.csv").write_text("new", encoding="utf-8")
    (tmp_path / ".out.del-3-cc").mkdir()
    assert litter_of(".out.tmp-2-bb-x") == "out" and litter_of("out") is None
    with pytest.raises(InputError, match="temporary folder of an interrupted"):
        load_config(tmp_path / ".out.tmp-2-bb-x")
    with pytest.raises(InputError, match="lacks settings"):  # recovered, then read
        load_config(out)
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    # a live build (its owner holds the lock) is left alone, a dead one removed
    with atomic_output_dir(out) as tmp:
        (tmp_path / ".out.tmp-9-dead").mkdir()
        recover_output_dir(out)
        assert tmp.exists() and not (tmp_path / ".out.tmp-9-dead").exists()
        (tmp / "a.csv").write_text("new", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if is_litter(p.name)] == []


# --------------------------------------------------------------------------------------
# text stays text
# --------------------------------------------------------------------------------------
def test_csv_and_xlsx_cells_are_text(tmp_path):
    frame = pd.DataFrame({"name": [LINK, "+1", "-2", "@SUM(A1)", "\tx", "ok", "a\x01b"],
                          "n": [1, -2, 3, 4, 5, 6, 7], LINK: ["h"] * 7})
    safe = csv_safe(frame)
    assert list(safe["name"][:5]) == ["'" + LINK, "'+1", "'-2", "'@SUM(A1)", "'\tx"]
    assert safe["name"][5] == "ok" and list(safe["n"]) == list(frame["n"])  # numbers untouched
    assert "'" + LINK in safe.columns
    path = tmp_path / "t.xlsx"
    write_workbook(path, [Sheet(name="data", frame=frame)])
    ws = openpyxl.load_workbook(path)["data"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert [c for c in cells if c.data_type == "f"] == []
    assert ws["A2"].value == LINK and ws["A2"].quotePrefix  # kept exactly, shown as text
    assert ws["C1"].value == LINK and ws["A8"].value == "ab"  # header; control char dropped
    assert ws["B3"].value == -2 and ws["B3"].data_type == "n"
    # pandas alone (whichever writer it picks) would have written a live formula
    pd.DataFrame({"name": [LINK]}).to_excel(tmp_path / "raw.xlsx", index=False)
    assert openpyxl.load_workbook(tmp_path / "raw.xlsx").active["A2"].data_type == "f"


def _county(tmp_path: Path, *, hostile: bool) -> dict[str, Path]:
    """A small synthetic county (one township centre, a county TCM hospital, three clinics,
    10-20 villages) with two townships; with ``hostile`` a facility and a township are named
    like an XSS probe and like a spreadsheet formula."""
    prov = make_synthetic_province(tmp_path / "syn", nx=1, ny=1)
    folder = prov.county_dirs[0]
    county = gpd.read_file(folder / "boundary.geojson")
    minx, miny, maxx, maxy = county.total_bounds
    mid = (minx + maxx) / 2
    names = [IMG, LINK] if hostile else ["东镇", "西镇"]
    towns = gpd.GeoDataFrame({"code": ["320101001", "320101002"], "name": names},
                             geometry=[box(minx - 0.01, miny - 0.01, mid, maxy + 0.01),
                                       box(mid, miny - 0.01, maxx + 0.01, maxy + 0.01)], crs=4326)
    towns["geometry"] = towns.intersection(county.geometry.iloc[0])
    towns.to_file(folder / "townships.geojson")
    fac = pd.read_csv(folder / "facilities.csv", encoding="utf-8-sig", dtype=str)
    if hostile:
        fac.loc[0, "名称"] = IMG
        fac.loc[2, "名称"] = LINK
    fac.to_csv(folder / "facilities.csv", index=False, encoding="utf-8-sig")
    return {"--facilities": folder / "facilities.csv", "--boundary": folder / "boundary.geojson",
            "--townships": folder / "townships.geojson", "--population": folder / "villages.csv",
            "--network": folder / "roads.osm"}


FAST = ["--mode", "walk", "--no-accessibility", "--isochrone-cell-m", "0"]


def _analyze_args(inputs: dict[str, Path], out: Path, *extra: str) -> list[str]:
    argv = ["analyze"]
    for key, value in inputs.items():
        argv += [key, str(value)]
    return argv + ["--out", str(out), *FAST, *extra]


def _analyze_argv(inputs: dict[str, Path], out: Path, *extra: str) -> list[str]:
    """``python -m tcm_coverage analyze ...`` for a subprocess (the kill test)."""
    return [sys.executable, "-m", "tcm_coverage", "-q", *_analyze_args(inputs, out, *extra)]


def _cli(capsys, *argv: str) -> tuple[int, str]:
    """Run the CLI in this process (no interpreter start-up); exit code and stderr."""
    from tcm_coverage.cli.main import main

    capsys.readouterr()
    code = main(["-q", *argv])
    return code, capsys.readouterr().err


def _no_formulas(path: Path) -> int:
    """Number of cells checked; fails on any formula cell."""
    book = openpyxl.load_workbook(path)
    n = 0
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path.name, ws.title, cell.coordinate, cell.value)
                n += 1
    return n


def _no_markup(path: Path) -> None:
    page = path.read_text(encoding="utf-8")
    assert IMG not in page, path.name
    assert "<img" not in page.lower(), path.name  # no page of ours has an image tag


def test_hostile_names_stay_text_in_every_output(tmp_path, capsys):
    inputs = _county(tmp_path, hostile=True)
    out = tmp_path / "run"
    code, err = _cli(capsys, *_analyze_args(inputs, out))
    assert code == 0, err
    # XLSX: the names are there, as text
    book = openpyxl.load_workbook(out / "coverage.xlsx")
    values = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert {IMG, LINK} <= values
    for name in ("coverage.xlsx", "scorecard.xlsx"):
        assert _no_formulas(out / name) > 20
    # CSV: a leading apostrophe keeps the formula a text
    town = pd.read_csv(out / "coverage_township.csv", encoding="utf-8-sig", dtype=str)
    assert "'" + LINK in set(town["名称"]) and IMG in set(town["名称"])
    # HTML: escaped everywhere (the report embeds the map escaped once more)
    for name in ("map.html", "report.html", "scorecard.html"):
        _no_markup(out / name)
    page = (out / "map.html").read_text(encoding="utf-8")
    assert page.count(ESCAPED[1]) >= 3  # facility popup, township tooltip and label
    report = (out / "report.html").read_text(encoding="utf-8")
    assert ESCAPED[0] in report  # the township table
    # the same for report/map/score rewritten from the run
    assert _cli(capsys, "map", str(out), "--out", str(tmp_path / "m.html"))[0] == 0
    _no_markup(tmp_path / "m.html")
    assert _cli(capsys, "report", str(out), "--out", str(tmp_path / "rep"))[0] == 0
    _no_markup(tmp_path / "rep" / "report.html")
    assert _no_formulas(tmp_path / "rep" / "coverage.xlsx") > 20


def test_province_summary_and_map_escape_names(tmp_path):
    from tcm_coverage.batch.summary import province_map, province_table, write_province_table
    from tcm_coverage.outputs import map_html

    rows = [{"code": "320101", "name": IMG, "mode": "walk", "population": 100.0,
             "pop_within_15": 50.0, "share_within_15": 0.5, "mean_min": 9.0,
             "unreachable_population": 0.0}]
    records = [{"job_id": "a", "code": "320101", "name": IMG, "status": "done", "rows": rows},
               {"job_id": "b", "code": "320102", "name": LINK, "status": "failed", "rows": [],
                "error": f"bad row {LINK}"}]
    table = province_table(records, thresholds=[15.0], modes=["walk"])
    csv, xlsx = write_province_table(table, tmp_path)
    assert _no_formulas(xlsx) > 10
    back = pd.read_csv(csv, encoding="utf-8-sig", dtype=str)
    assert "'" + LINK in set(back["名称"]) and IMG in set(back["名称"])
    geoms = {"320101": box(119, 32, 119.1, 32.1), "320102": box(119.1, 32, 119.2, 32.1)}
    page = map_html(province_map(table, geoms, modes=["walk"], headline_mode="walk", threshold=15))
    assert IMG not in page and ESCAPED[1] in page  # the county's tooltip


def test_scenario_outputs_escape_names(demo_computed, tmp_path):
    from dataclasses import replace

    from tcm_coverage.workflows import load_scenario, run_scenario, write_scenario

    run, _config = demo_computed
    fac = run.access.facilities.copy()
    clinics = fac.index[fac["tier"] == "village_station"]
    fac.loc[clinics, "name"] = [IMG if i % 2 else LINK for i in range(len(clinics))]
    hostile = replace(run, access=replace(run.access, facilities=fac))
    scn = load_scenario(demo_data_dir() / DEMO_FILES["scenarios"] / "upgrade_only.toml")
    sr = run_scenario(replace(scn, p=4), run=hostile, progress=False)
    assert set(sr.sites["name"]) & {IMG, LINK}
    write_scenario(sr, tmp_path / "s")
    assert _no_formulas(tmp_path / "s" / "sites.xlsx") > 20
    _no_markup(tmp_path / "s" / "map.html")
    with zipfile.ZipFile(tmp_path / "s" / "sites.xlsx") as z:  # stored as text, no formula
        sheets = "".join(z.read(n).decode("utf-8") for n in z.namelist()
                         if n.startswith("xl/worksheets/"))
        assert "HYPERLINK" in z.read("xl/sharedStrings.xml").decode("utf-8")
        assert "HYPERLINK" not in sheets and "<f>" not in sheets


# --------------------------------------------------------------------------------------
# the CLI: stale files, inputs in the output, changed inputs
# --------------------------------------------------------------------------------------
def test_cli_no_stale_files_no_clobbered_inputs_no_changed_inputs(tmp_path, capsys):
    inputs = _county(tmp_path, hostile=False)
    out = tmp_path / "run"
    assert _cli(capsys, *_analyze_args(inputs, out))[0] == 0
    assert (out / "map.html").exists() and (out / "report.html").exists() and (out / "report.docx").exists()
    code, err = _cli(capsys, *_analyze_args(inputs, out, "--no-map", "--no-report", "--no-docx"))
    assert code == 0, err
    assert not (out / "map.html").exists() and not (out / "report.html").exists()  # not stale
    assert not (out / "report.docx").exists()
    assert _complete(out)
    # --out the folder holding the inputs: refused before anything is computed or written
    folder = inputs["--facilities"].parent
    before = _tree(folder)
    code, err = _cli(capsys, *_analyze_args(inputs, folder))
    assert code == 2
    assert "--out" in err and "facilities input" in err and "facilities.csv" in err and "Fix:" in err
    assert _tree(folder) == before
    assert [p.name for p in folder.parent.iterdir() if is_litter(p.name)] == []
    # report --out inside the run folder; a folder of the user's own files
    code, err = _cli(capsys, "report", str(out), "--out", str(out / "en"))
    assert code == 2 and "inside the earlier result" in err
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "plan.docx").write_text("x", encoding="utf-8")
    code, err = _cli(capsys, "score", str(out), "--out", str(mine))
    assert code == 2 and "plan.docx" in err
    assert sorted(p.name for p in mine.iterdir()) == ["plan.docx"]
    # map into the run folder updates it as a whole: the marker lists the new map
    assert _cli(capsys, "map", str(out))[0] == 0
    assert "map_walk_15_tcm_any.html" in ResultMarker.read(out).files and _complete(out)

    # an input changed since run.json: map, report and score redraw from the run's store (it
    # matches the run folder) and say so; what needs the inputs again (a mode the run did not
    # compute) refuses and says what to do (the warning itself: tests/test_redraw.py)
    fac = pd.read_csv(inputs["--facilities"], encoding="utf-8-sig", dtype=str)
    fac.loc[0, "中医馆"] = "否"
    fac.to_csv(inputs["--facilities"], index=False, encoding="utf-8-sig")
    for command in ("map", "report", "score"):
        code, err = _cli(capsys, command, str(out))
        assert code == 0, (command, err)
    before = _tree(out)
    code, err = _cli(capsys, "map", str(out), "--mode", "car")
    assert code == 2, err
    assert "changed since this run" in err and "facilities.csv" in err
    assert "rerun `tcm-coverage analyze`" in err and "--allow-changed-inputs" in err
    code, err = _cli(capsys, "report", str(out), "--allow-changed-inputs")
    assert code == 2 and "cannot go into the run folder" in err
    assert _tree(out) == before  # nothing rewritten beside the old run.json
    code, err = _cli(capsys, "report", str(out), "--allow-changed-inputs", "--out", str(tmp_path / "new"))
    assert code == 0, err
    label = "输入文件在原运行"
    assert label in (tmp_path / "new" / "report.html").read_text(encoding="utf-8")
    readme = pd.read_excel(tmp_path / "new" / "coverage.xlsx", sheet_name="说明")
    assert readme["内容"].str.contains(label).any()
    code, err = _cli(capsys, "map", str(out), "--allow-changed-inputs", "--out", str(tmp_path / "new.html"))
    assert code == 0 and label in (tmp_path / "new.html").read_text(encoding="utf-8")
    assert _tree(out) == before


# --------------------------------------------------------------------------------------
# the kill test
# --------------------------------------------------------------------------------------
def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


def _building(out: Path, pid: int | None = None) -> bool:
    """Whether a build folder of ``out`` (of process ``pid``) is there."""
    prefix = f".{out.name}.tmp-" + ("" if pid is None else f"{pid}-")
    return any(n.startswith(prefix) for n in _siblings(out))


def test_kill_at_many_points(tmp_path):
    """SIGKILL a real ``analyze`` into a folder holding an earlier result: at random moments
    before it writes anything and while it builds its files (stratified over the build time
    measured on a first run), and at the moments just before, during and after the swap
    (test hooks; both the one-call exchange and the two-rename fallback). After each kill the
    folder is byte-identical to the earlier result or is the new complete one (its marker
    lists every file with its SHA-256 and nothing else is there); anything beside it is a
    temporary. Each next run starts from what the kill left (and removes it), and a last run
    succeeds and leaves no litter."""
    inputs = _county(tmp_path, hostile=False)
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"
    langs = ["en", "zh"]
    t0 = time.monotonic()
    proc = subprocess.Popen(_analyze_argv(inputs, out, "--lang", "en"), env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t_build = t_swap = None
    while proc.poll() is None:  # when its build folder appears, and when it is swapped in
        building = _building(out, proc.pid)
        if t_build is None and building:
            t_build = time.monotonic() - t0
        elif t_build is not None and t_swap is None and not building:
            t_swap = time.monotonic() - t0
        time.sleep(0.002)
    assert proc.returncode == 0 and t_build is not None
    full = time.monotonic() - t0
    build = (t_swap or full) - t_build
    rng = random.Random(11)
    points: list[tuple[str, float | str, bool]] = [  # (kind, delay or hook, exchange)
        *[("start", t_build * (i + rng.random()) / 2, True) for i in range(2)],
        *[("build", build * (i + rng.random()) / 5, True) for i in range(5)],
        ("hook", "before-swap", True), ("hook", "after-swap", True), ("hook", "mid-swap", False)]
    outcomes: dict[str, int] = {}
    signal_file = tmp_path / "paused"
    for kind, at, exchange in points:
        before = _tree(out)
        lang = langs[1 - langs.index(json.loads((out / "run.json").read_text("utf-8"))["config"]["lang"])]
        env = dict(ENV)
        if kind == "hook":
            env.update({PAUSE_ENV: str(at), PAUSE_FILE_ENV: str(signal_file)})
            signal_file.unlink(missing_ok=True)
        if not exchange:
            env[NO_EXCHANGE_ENV] = "1"
        proc = subprocess.Popen(_analyze_argv(inputs, out, "--lang", lang), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        if kind == "hook":
            while not signal_file.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert signal_file.exists(), proc.stderr.read() if proc.poll() is not None else "timeout"
        elif kind == "build":  # from the moment its build folder appears
            while not _building(out, proc.pid) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(float(at))
        else:
            time.sleep(float(at))
        during_build = _building(out, proc.pid)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stderr.close()
        litter = _siblings(out)
        assert all(is_litter(n) for n in litter), litter
        restored = False
        if not out.exists():  # only between the two renames of the fallback swap
            assert (kind, at, exchange) == ("hook", "mid-swap", False)
            recover_output_dir(out)  # what the next run (or map/report) does first
            restored = True
        if _tree(out) == before:
            outcome = "earlier result" + (" (restored by the next run)" if restored else "")
        else:
            assert _complete(out), f"mixed or partial folder after a kill at {kind} {at}"
            assert json.loads((out / "run.json").read_text("utf-8"))["config"]["lang"] == lang
            outcome = "new complete result"
        if finished:
            outcome += " (run had finished)"
        label = f"{kind} {at if kind == 'hook' else f'+{at:.2f}s'}{'' if exchange else ' fallback'}"
        print(f"kill at {label}{' (build folder present)' if during_build else ''}: {outcome}; "
              f"litter left {litter}")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    final = subprocess.run(_analyze_argv(inputs, out), env=ENV, timeout=300, capture_output=True,
                           text=True)
    assert final.returncode == 0, final.stderr
    assert _siblings(out) == [] and _complete(out)
    print(f"{len(points)} kill points; first run {full:.1f} s, of which building the files "
          f"{build:.2f} s: {outcomes}")
    assert len(points) >= 8 and sum(outcomes.values()) == len(points)
    assert any(k.startswith("new") for k in outcomes) and any(k.startswith("earlier") for k in outcomes)
