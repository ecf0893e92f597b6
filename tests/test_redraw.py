"""The run store and redraws from it (issue 13: instant redraw, one ``--out``, ``--crs``).

One demo run (walk and e-bike, 10 and 15 minutes; ``conftest.demo_computed``) is written once
with its store; every test redraws from that folder. The recompute path is the same commands on
a copy of the folder without its store.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

from tcm_coverage._io import ResultMarker
from tcm_coverage.cli.main import main
from tcm_coverage.vocab import share_column, time_column
from tcm_coverage.workflows import (
    STORE_DIR,
    AnalysisRun,
    complete_run,
    load_config,
    load_run,
    save_run,
    scorecards_of,
    write_outputs,
)
from tcm_coverage.workflows import recompute as recompute_module
from tcm_coverage.workflows import store as store_module
from tcm_coverage.workflows.drawer import JOBS_ENV, resolve_jobs


@pytest.fixture(scope="module")
def scored(demo_computed, tmp_path_factory):
    """The demo run scored against the national profile, and its configuration."""
    run, config = demo_computed
    config = config.updated(out_dir=tmp_path_factory.mktemp("redraw") / "run", profiles=("national",))
    return dataclasses.replace(run, scorecards=scorecards_of(run, ["national"], lang="zh")), config


@pytest.fixture(scope="module")
def stored(scored):
    """The demo run written (with its store) into a result folder."""
    run, config = scored
    write_outputs(run, config)
    return config.out_dir


@pytest.fixture(scope="module")
def no_store(stored, tmp_path_factory):
    """A copy of the run folder as an older version wrote it: no store."""
    out = tmp_path_factory.mktemp("old") / "run"
    shutil.copytree(stored, out, ignore=shutil.ignore_patterns(STORE_DIR, ".tcm-coverage.json"))
    return out


def _frames_equal(a, b):
    if a is None or b is None:
        assert a is None and b is None
        return
    assert type(a) is type(b)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    if isinstance(a, gpd.GeoDataFrame):
        assert a.crs == b.crs and bool(a.geometry.geom_equals_exact(b.geometry, 0).all())


# --------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------
def test_store_round_trip(scored, stored):
    run, config = scored
    loaded = load_run(stored, load_config(stored))
    assert loaded is not None
    for path in store_module.TABLES:  # every table, times and isochrone geometries exactly
        _frames_equal(_get(run, path), _get(loaded, path))
    for path in store_module.VALUES:
        a, b = _get(run, path), _get(loaded, path)
        if isinstance(a, np.ndarray) or a is None:
            assert (a is None and b is None) or np.array_equal(a, b)
        else:
            assert a == b, path
    assert loaded.access.routing == {} and loaded.network is None and loaded.files == ()
    assert loaded.fca_areas.attrs == run.fca_areas.attrs
    # the scorecard read back is the one the run computed
    assert list(loaded.scorecards) == list(run.scorecards) == ["national"]
    for name, card in run.scorecards.items():
        pd.testing.assert_frame_equal(card.rows, loaded.scorecards[name].rows)
        assert dataclasses.replace(card, rows=None) == dataclasses.replace(loaded.scorecards[name], rows=None)
    # the demand points are stored once: `demand` keeps only its own columns
    own = pd.read_parquet(stored / STORE_DIR / "demand.parquet")
    assert "geometry" not in own and "county_code" in own and time_column("tcm_any", "walk") not in own


def _get(run, path):
    obj = run
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def test_every_dataframe_field_is_stored(demo_computed):
    """A new DataFrame field of AnalysisRun (or its access/tables) must be one line in TABLES."""
    run, _ = demo_computed
    found = []
    for prefix, obj in (("", run), ("access.", run.access), ("tables.", run.tables)):
        for f in dataclasses.fields(obj):
            if isinstance(getattr(obj, f.name), pd.DataFrame):
                found.append(prefix + f.name)
    assert found and set(found) <= set(store_module.TABLES), set(found) - set(store_module.TABLES)


def test_store_is_in_the_marker_and_has_no_pickle(stored):
    files = ResultMarker.read(stored).files
    assert f"{STORE_DIR}/store.json" in files and f"{STORE_DIR}/access.demand.parquet" in files
    assert {p.suffix for p in (stored / STORE_DIR).iterdir()} == {".parquet", ".json"}


def test_old_version_or_no_store_falls_back(stored, no_store, tmp_path, caplog):
    config = load_config(no_store)
    with caplog.at_level(logging.WARNING, logger="tcm_coverage"):
        assert load_run(no_store, config) is None
    assert len([r for r in caplog.records if "recomputing" in r.getMessage()
                or "重新计算" in r.getMessage()]) == 1
    other = tmp_path / "other"
    shutil.copytree(stored, other)
    index = other / STORE_DIR / "store.json"
    index.write_text(index.read_text(encoding="utf-8").replace('"format": 1', '"format": 99', 1),
                     encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tcm_coverage"):
        assert load_run(other, load_config(other)) is None
    assert "99" in caplog.text


# --------------------------------------------------------------------------------------
# redraws from the store = redraws by recomputation
# --------------------------------------------------------------------------------------
#: Volatile parts of the HTML: folium's random element ids.
_IDS = re.compile(r"[0-9a-f]{32}")


def _html(path: Path) -> str:
    return _IDS.sub("ID", path.read_text(encoding="utf-8"))


def _cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def _docx(path: Path) -> tuple:
    """The paragraphs, table cells and images of a Word file."""
    import docx

    doc = docx.Document(str(path))
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    images = sorted(r.target_part.blob for r in doc.part.rels.values() if "image" in r.reltype)
    return [p.text for p in doc.paragraphs], cells, images


def test_redraws_from_store_match_recomputation(stored, no_store, tmp_path, capsys):
    # map: the store redraw is the map the run wrote (recomputed path = the run itself)
    assert main(["-q", "map", str(stored), "--out", str(tmp_path / "m")]) == 0
    assert _html(tmp_path / "m" / "map_ebike_15_tcm_any.html") == _html(stored / "map.html")
    # report: from the store and recomputed (no store: one recomputation) give the same files;
    # score writes the same report and scorecards as the recomputed report
    old = tmp_path / "recomputed"
    assert main(["-q", "report", str(no_store), "--out", str(old)]) == 0
    for command, *extra in (["report"], ["score", "--profile", "national"]):
        new = tmp_path / command
        assert main(["-q", command, str(stored), "--out", str(new), *extra]) == 0
        names = sorted(p.name for p in new.iterdir() if not p.name.startswith("."))
        assert "report.html" in names and "scorecard.xlsx" in names
        for name in names:
            if name.endswith(".html"):
                assert _html(new / name) == _html(old / name), name
            elif name.endswith(".xlsx"):
                assert _cells(new / name) == _cells(old / name), name
            elif name.endswith(".docx"):  # the zip's timestamps differ; its words and images not
                assert _docx(new / name) == _docx(old / name), name
            else:
                assert (new / name).read_bytes() == (old / name).read_bytes(), name


def test_new_threshold_is_tabulated_from_stored_times(stored, tmp_path, monkeypatch):
    def no_routing(*args, **kwargs):
        raise AssertionError("a new threshold must not route")

    monkeypatch.setattr(recompute_module, "compute_access", no_routing)
    config = load_config(stored)
    ready = complete_run(load_run(stored, config), config, modes=("ebike",), thresholds=(25.0,))
    assert ready.stored and 25.0 in ready.config.options.thresholds and ready.notes
    town = ready.run.tables.township
    stored_town = load_run(stored, config).tables.township  # the thresholds the run had: unchanged
    pd.testing.assert_frame_equal(town[stored_town.columns], stored_town, check_exact=False, rtol=1e-12)
    row = town[town["mode"] == "ebike"].set_index("code")[share_column(25.0)]
    # by hand: the population share of each township within 25 minutes of a TCM point by e-bike
    dem = ready.run.demand
    within = dem[time_column("tcm_any", "ebike")].to_numpy() <= 25.0
    by_hand = (dem.assign(w=dem["population"] * within).groupby("township_code")[["w", "population"]].sum())
    expected = by_hand["w"] / by_hand["population"]
    assert np.allclose(row.loc[expected.index].to_numpy(float), expected.to_numpy(float))
    assert main(["-q", "map", str(stored), "--threshold", "25", "--out", str(tmp_path / "m")]) == 0
    assert "25" in (tmp_path / "m" / "map_ebike_25_tcm_any.html").read_text(encoding="utf-8")


def test_missing_mode_routes_only_that_mode(scored, stored, tmp_path, monkeypatch, capsys):
    calls = []
    real = recompute_module.compute_access

    def spy(*args, **kwargs):
        calls.append(tuple(kwargs["modes"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(recompute_module, "compute_access", spy)
    out = tmp_path / "car"
    assert main(["map", str(stored), "--mode", "car", "--out", str(out)]) == 0
    assert calls == [("car",)]
    assert "本次运行未计算" in capsys.readouterr().out  # says what it routes
    assert (out / "map_car_15_tcm_any.html").stat().st_size > 0
    # the merged run: the stored modes unchanged, car as the pipeline computes it
    config = load_config(stored)
    ready = complete_run(load_run(stored, config), config, modes=("car",), progress=False)
    run, _ = scored
    assert ready.run.access.modes == ("walk", "ebike", "car")
    for mode in ("walk", "ebike"):
        col = time_column("tcm_any", mode)
        assert np.array_equal(ready.run.access.demand[col], run.access.demand[col])
    car = ready.run.access.demand[time_column("tcm_any", "car")].to_numpy()
    walk = run.access.demand[time_column("tcm_any", "walk")].to_numpy()
    assert np.isfinite(car).mean() > 0.9 and np.nanmedian(car[np.isfinite(car)]) < np.nanmedian(walk)
    assert set(ready.run.tables.county["mode"]) == {"walk", "ebike", "car"}
    assert set(ready.run.access.isochrones["mode"]) == {"walk", "ebike", "car"}


def test_missing_mode_checks_changed_inputs(stored, tmp_path, capsys):
    """Routing a missing mode reads the inputs again: the changed-inputs protection applies,
    while a redraw from the store only warns."""
    copy = tmp_path / "run"
    shutil.copytree(stored, copy)
    record = (copy / "run.json").read_text(encoding="utf-8")
    (copy / "run.json").write_text(re.sub(r'"sha256": "[0-9a-f]+"', '"sha256": "0"', record, count=1),
                                   encoding="utf-8")
    assert main(["-q", "map", str(copy), "--mode", "car", "--out", str(tmp_path / "m")]) == 2
    assert "changed since this run" in capsys.readouterr().err
    assert main(["map", str(copy), "--out", str(tmp_path / "m")]) == 0
    assert "输入文件在本次运行之后已更改" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# --out is a folder; --crs cgcs2000
# --------------------------------------------------------------------------------------
def test_out_is_a_folder_in_every_command(stored, tmp_path, capsys):
    from tcm_coverage.cli.main import build_parser

    parser = build_parser()
    for command in ("demo", "analyze", "map", "report", "score", "site"):
        sub = parser._subparsers._group_actions[0].choices[command]
        out = next(a for a in sub._actions if "--out" in a.option_strings)
        assert "folder" in out.help, command
    folder = tmp_path / "maps"
    assert main(["-q", "map", str(stored), "--mode", "walk", "--threshold", "10", "--out", str(folder)]) == 0
    assert [p.name for p in folder.iterdir()] == ["map_walk_10_tcm_any.html"]
    assert main(["-q", "map", str(stored), "--out", str(folder)]) == 0  # a second map joins it
    assert sorted(p.name for p in folder.iterdir()) == ["map_ebike_15_tcm_any.html", "map_walk_10_tcm_any.html"]
    # an .html path still works (older scripts), with a note saying --out is a folder
    assert main(["map", str(stored), "--out", str(tmp_path / "old.html")]) == 0
    assert (tmp_path / "old.html").stat().st_size > 0 and "folder" in capsys.readouterr().err
    # a file that is not a folder: refused, nothing written
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    assert main(["-q", "map", str(stored), "--out", str(tmp_path / "notes.txt")]) == 2


def test_crs_cgcs2000(scored, stored, tmp_path):
    loaded = load_run(stored, load_config(stored))
    assert isinstance(loaded, AnalysisRun)
    _, config = scored
    out = tmp_path / "cgcs"
    write_outputs(loaded, config.updated(out_dir=out, crs="cgcs2000"))  # a loaded run writes whole
    for name in ("demand_points.gpkg", "facilities.gpkg", "isochrones.gpkg"):
        assert pyogrio.read_info(out / name)["crs"] == "EPSG:4490", name
        assert pyogrio.read_info(stored / name)["crs"] == "EPSG:4326", name
        a, b = gpd.read_file(out / name), gpd.read_file(stored / name)
        assert np.allclose(a.geometry.get_coordinates(), b.geometry.get_coordinates(), atol=1e-9, rtol=0)
    record = (out / "run.json").read_text(encoding="utf-8")
    assert '"crs": "EPSG:4490"' in record and '"crs": "cgcs2000"' in record
    assert load_config(out).rendering.crs == "cgcs2000"
    # report --crs rewrites the layers of a run in that CRS (from the store)
    assert main(["-q", "report", str(stored), "--crs", "cgcs2000", "--out", str(tmp_path / "rep")]) == 0
    assert pyogrio.read_info(tmp_path / "rep" / "demand_points.gpkg")["crs"] == "EPSG:4490"
    with pytest.raises(SystemExit):  # an unknown CRS: argparse lists the choices
        main(["-q", "demo", "--crs", "itrf"])


def test_save_run_writes_only_parquet_and_json(demo_computed, tmp_path):
    run, _ = demo_computed
    store = save_run(run, tmp_path)
    assert store == tmp_path / STORE_DIR
    assert all(p.suffix in (".parquet", ".json") for p in store.iterdir())


#: What a redraw from the store must not import: the routing stack, the OSM reader, the solver.
_NOT_FOR_REDRAW = ("scipy.sparse.csgraph", "osmium", "highspy", "tcm_coverage.network.readers",
                   "tcm_coverage.access.traveltime", "tcm_coverage.workflows.pipeline")
#: And per command, what it does not draw with (issue 13: a redraw imports only what it draws with).
#: ``report``/``score`` with the run's settings on the same day copy the run's documents and
#: read the store without geometries: no geometry stack, no plate or chart drawing, no Word
#: writer (``report`` still writes its coverage workbook, with xlsxwriter); ``map`` of the headline
#: view copies the run's map.html (no folium, no geometry).
_GEOMETRY = ("geopandas", "shapely", "pyproj")
_NOT_DRAWN_WITH = {
    "map": ("matplotlib", "docx", "openpyxl", "xlsxwriter", "rasterio", "scipy.sparse", "folium",
            "tcm_coverage.workflows.write", *_GEOMETRY),
    "map-png": ("folium", "docx", "openpyxl", "xlsxwriter", "rasterio", "tcm_coverage.workflows.write"),
    # workbooks are written with xlsxwriter, never read: no openpyxl
    "report": ("folium", "rasterio", "matplotlib", "docx", "openpyxl", "scipy.sparse", *_GEOMETRY),
    "score": ("folium", "rasterio", "matplotlib", "docx", "openpyxl", "scipy.sparse",
              "tcm_coverage.workflows.write", *_GEOMETRY),
}


def _loaded_modules(names: tuple[str, ...], *argv: str, jobs: int | None = None) -> list[str]:
    """The modules of ``names`` loaded at the end of ``tcm-coverage argv`` in a fresh process
    (``jobs``: ``TCM_COVERAGE_JOBS``; by default the machine's, 2 here)."""
    import os
    import subprocess
    import sys

    probe = ("import sys\nfrom tcm_coverage.cli.main import main\n"
             "code = main(sys.argv[1:])\n"
             f"print('LOADED', [m for m in {names!r} if m in sys.modules])\n"
             "raise SystemExit(code)\n")
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), **({JOBS_ENV: str(jobs)} if jobs else {})}
    done = subprocess.run([sys.executable, "-c", probe, "-q", *argv], capture_output=True,
                          text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("LOADED"))
    return eval(line.removeprefix("LOADED "))  # a list literal of module names


@pytest.mark.parametrize("command", ["map", "map-png", "report", "score"])
def test_redraw_process_imports_only_what_it_draws_with(stored, tmp_path, command):
    """A redraw from the store, in a fresh process: none of the routing modules is loaded, nor
    what the command does not draw with (``sys.modules`` at exit); a mode the run lacks does
    load the routing stack, and an English report of a Chinese run folium (the checks can fail)."""
    run = tmp_path / "run"
    shutil.copytree(stored, run)
    argv = {"map": ["map", str(run)], "map-png": ["map", str(run), "--format", "png", "--dpi", "60"],
            "report": ["report", str(run)], "score": ["score", str(run), "--profile", "national"]}[command]
    names = _NOT_FOR_REDRAW + _NOT_DRAWN_WITH[command]
    assert _loaded_modules(names, *argv, "--out", str(tmp_path / "out")) == []
    if command == "map":  # another view is drawn: folium and the geometries, still no matplotlib
        assert set(_loaded_modules(names, "map", str(run), "--threshold", "10", "--out", str(tmp_path / "t10"))) == {
            "folium", *_GEOMETRY}
        # a mode the run did not compute is routed: then they are loaded
        assert set(_loaded_modules(names, "map", str(run), "--mode", "car", "--out", str(tmp_path / "car"))) >= {
            "scipy.sparse.csgraph", "tcm_coverage.access.traveltime", "tcm_coverage.network.readers"}
    if command == "report":  # another language: the report map, plate and charts are drawn
        english = ("report", str(run), "--lang", "en", "--out")
        assert set(_loaded_modules(names, *english, str(tmp_path / "en1"), jobs=1)) == {
            "folium", "matplotlib", "docx", "scipy.sparse", *_GEOMETRY}
        # with two CPUs the map page and report.html are drawn by a second process: no folium here
        if resolve_jobs(2) == 2:  # Linux with two CPUs
            assert set(_loaded_modules(names, *english, str(tmp_path / "en2"), jobs=2)) == {
                "matplotlib", "docx", "scipy.sparse", *_GEOMETRY}
    if command == "score":  # a profile the run did not score: areas assigned by their polygons
        assert set(_loaded_modules(names, "score", str(run), "--profile", "jiangsu", "--out", str(tmp_path / "js"))) == {
            "matplotlib", "docx", "scipy.sparse", *_GEOMETRY}  # workbooks: xlsxwriter, no openpyxl


# --------------------------------------------------------------------------------------
# what a redraw reuses of what the run rendered (the plate, the report map)
# --------------------------------------------------------------------------------------
def _docx_images(path: Path) -> list[bytes]:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return [z.read(n) for n in sorted(z.namelist()) if n.startswith("word/media/")]


def test_report_plate_is_in_the_report_language(stored, tmp_path):
    """``report --lang en`` of a Chinese run carries an English plate (drawn now, the same as
    an English ``map --format png`` at the run's plate resolution), the Chinese report the run's
    own ``map.png``."""
    from tcm_coverage.outputs import PrintOptions
    from tcm_coverage.workflows import plates

    plate = (stored / "map.png").read_bytes()
    assert main(["-q", "report", str(stored), "--out", str(tmp_path / "zh")]) == 0
    assert plate in _docx_images(tmp_path / "zh" / "report.docx")
    assert main(["-q", "report", str(stored), "--lang", "en", "--out", str(tmp_path / "en")]) == 0
    images = _docx_images(tmp_path / "en" / "report.docx")
    assert plate not in images
    english = tmp_path / "plate_en.png"  # independently: the print path of `map --format png`
    plates.write_print(load_run(stored, load_config(stored, lang="en"), scorecards=False),
                       load_config(stored, lang="en"), english,
                       options=PrintOptions(dpi=plates.RUN_PRINT_DPI))
    assert english.read_bytes() in images


def test_english_plate_of_a_chinese_run_has_the_english_sources(stored, tmp_path):
    """``map --format svg --lang en`` of a Chinese demo run: the footer's sources line is the
    demo's English text (run.json stores the Chinese one), with no CJK character in it."""
    from tcm_coverage.demo import DEMO_SOURCES

    assert load_config(stored).rendering.sources == DEMO_SOURCES["zh"]  # what run.json says
    assert main(["-q", "map", str(stored), "--format", "svg", "--lang", "en",
                 "--out", str(tmp_path / "plate.svg")]) == 0
    svg = (tmp_path / "plate.svg").read_text(encoding="utf-8")
    info = re.search(r'<g id="plate-info">(.*?)</g>', svg, re.S)
    assert info is not None
    footer = " ".join(re.findall(r">([^<]*)</text>", info.group(1)))
    sources = footer.split("coordinate system")[0]
    assert sources.startswith("Sources: Demo data: the county boundary is the real Tunliu district")
    assert " ".join(DEMO_SOURCES["en"][0].split()) in " ".join(sources.split())
    assert not re.search(r"[\u2e80-\u9fff\uff00-\uffef]", sources), sources
    assert DEMO_SOURCES["zh"][0][:10] not in svg


def test_report_map_is_reused_only_when_drawn_the_same_way(stored, tmp_path, monkeypatch):
    import datetime

    from tcm_coverage.outputs import map_html
    from tcm_coverage.workflows import build_map, reused_map_page
    from tcm_coverage.workflows import rendered as rendered_module

    config = load_config(stored)
    page = reused_map_page(stored, config)
    built = map_html(build_map(load_run(stored, config, scorecards=False), config, compact=True))
    assert page is not None and _IDS.sub("ID", page) == _IDS.sub("ID", built)
    assert reused_map_page(stored, load_config(stored, lang="en")) is None  # another language
    assert reused_map_page(stored, load_config(stored, basemap="none")) is None
    assert rendered_module.reusable_file(stored, config, "map.png") == stored / "map.png"

    class Tomorrow(datetime.date):
        @classmethod
        def today(cls):
            return datetime.date.fromordinal(datetime.date.today().toordinal() + 1)

    with monkeypatch.context() as m:  # the plate prints the day, the compact report map does not
        m.setattr(rendered_module, "date", Tomorrow)
        assert rendered_module.reusable_file(stored, config, "map.png") is None
        assert reused_map_page(stored, config) == page
    copy = tmp_path / "run"
    shutil.copytree(stored, copy)
    report = copy / "report.html"
    report.write_text(report.read_text(encoding="utf-8").replace("</body>", "<p>x</p></body>"),
                      encoding="utf-8")
    assert reused_map_page(copy, config) is None  # changed since the run: built again


# --------------------------------------------------------------------------------------
# the store's size (issue 16)
# --------------------------------------------------------------------------------------
def test_documents_are_copied_only_when_written_the_same_way(stored, tmp_path, monkeypatch):
    """The run's documents are reused with its settings on the same day and unchanged since;
    another language, profile or day, or a document replaced since, draws them."""
    import datetime

    from tcm_coverage.workflows import rendered as rendered_module
    from tcm_coverage.workflows import reusable_documents

    run = tmp_path / "run"
    shutil.copytree(stored, run)
    config = load_config(run, profiles=("national",))
    found = reusable_documents(run, config)
    assert found is not None and sorted(p.name for p in found) == [
        "report.docx", "report.html", "scorecard.html", "scorecard.xlsx"]
    assert reusable_documents(run, load_config(run, lang="en")) is None
    assert reusable_documents(run, config.updated(profiles=("jiangsu",))) is None

    class _Tomorrow(datetime.date):
        @classmethod
        def today(cls):
            return datetime.date(2999, 1, 1)

    with monkeypatch.context() as m:
        m.setattr(rendered_module, "date", _Tomorrow)
        assert reusable_documents(run, config) is None
    # a run that wrote no report.html (--no-report): a redraw writes one, so nothing is copied
    bare = tmp_path / "bare"
    shutil.copytree(stored, bare)
    index = json.loads((bare / STORE_DIR / "store.json").read_text(encoding="utf-8"))
    del index["rendered"]["report.html"]
    (bare / STORE_DIR / "store.json").write_text(json.dumps(index), encoding="utf-8")
    (bare / "report.html").unlink()
    assert reusable_documents(bare, load_config(bare, profiles=("national",))) is None
    # score in place with another profile replaces the documents: they are drawn again after
    assert main(["-q", "score", str(run), "--profile", "jiangsu"]) == 0
    assert reusable_documents(run, config) is None
    assert main(["-q", "score", str(run), "--profile", "national", "--out", str(tmp_path / "again")]) == 0
    for name in ("report.html", "scorecard.html"):
        assert _html(tmp_path / "again" / name) == _html(stored / name), name
    assert _docx(tmp_path / "again" / "report.docx") == _docx(stored / "report.docx")


def test_a_font_installed_since_draws_again(stored, tmp_path, monkeypatch):
    """The plate, charts and Word report are drawn with the CJK font found: a font installed
    (here in the user's font folder) after the run makes a redraw draw them, not copy them."""
    from tcm_coverage.workflows import rendered as rendered_module
    from tcm_coverage.workflows import reusable_documents

    config = load_config(stored, profiles=("national",))
    before = rendered_module.fonts_key()
    assert rendered_module.fonts_key() == before  # the same fonts, the same key
    assert reusable_documents(stored, config) is not None
    assert rendered_module.reusable_file(stored, config, "map.png") is not None
    fonts = tmp_path / "share" / "fonts"
    fonts.mkdir(parents=True)
    (fonts / "NewCJK-Regular.otf").write_bytes(b"OTTO" + bytes(60))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert rendered_module.fonts_key() != before
    assert reusable_documents(stored, config) is None
    assert rendered_module.reusable_file(stored, config, "map.png") is None


def test_store_without_geometries(scored, stored):
    """``load_run(geometry=False)``: every table without its geometry column, the other columns
    as with geometries; a profile to score from the times reads them all the same."""
    from tcm_coverage.workflows.store import TABLES

    _, config = scored
    full = load_run(stored, config, scorecards=False)
    plain = load_run(stored, config, scorecards=False, geometry=False)
    for path in TABLES:
        a, b = _get(full, path), _get(plain, path)
        if a is None:
            assert b is None, path
            continue
        assert not isinstance(b, gpd.GeoDataFrame) and "geometry" not in b.columns, path
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry", errors="ignore")), b,
                                      check_exact=True, obj=path)
    js = load_run(stored, config.updated(profiles=("jiangsu",)), geometry=False)
    assert isinstance(js.counties, gpd.GeoDataFrame) and "jiangsu" in js.scorecards


def test_store_is_compact(scored, tmp_path):
    """zstd everywhere, floats BYTE_STREAM_SPLIT (lossless: the round trip is exact), and the
    residents 65+ share the demand points' columns instead of repeating them."""
    import pyarrow.parquet as pq

    run, config = scored
    walk = time_column("tcm_any", "walk")
    demand = run.access.demand
    elderly = demand.assign(population=demand["population"] * 0.2, **{walk: demand[walk] * 1.25})
    run = dataclasses.replace(run, elderly=elderly)
    store = save_run(run, tmp_path)
    meta = pq.ParquetFile(store / "access.demand.parquet").metadata
    kinds = {meta.row_group(0).column(i).path_in_schema: meta.row_group(0).column(i)
             for i in range(meta.num_columns)}
    assert kinds[walk].compression == "ZSTD" and "BYTE_STREAM_SPLIT" in kinds[walk].encodings
    assert kinds["geometry"].compression == "ZSTD"
    entry = __import__("json").loads((store / "store.json").read_text(encoding="utf-8"))["tables"]["elderly"]
    assert entry["base"] == "access.demand"
    assert sorted(pq.read_schema(store / entry["file"]).names) == sorted(["population", walk])
    loaded = load_run(tmp_path, config, scorecards=False)
    _frames_equal(loaded.elderly, elderly)
    _frames_equal(loaded.access.demand, demand)
    # another row order: stored whole, read back the same
    shuffled = dataclasses.replace(run, elderly=elderly.iloc[::-1])
    store = save_run(shuffled, tmp_path / "b")
    assert "base" not in __import__("json").loads((store / "store.json").read_text(encoding="utf-8"))["tables"]["elderly"]
    _frames_equal(load_run(tmp_path / "b", config, scorecards=False).elderly, elderly.iloc[::-1])


def test_same_column_agrees_with_series_equals():
    """The vectorised geometry comparison of the store gives ``Series.equals``' answer."""
    import shapely

    pts = gpd.GeoSeries(shapely.points(np.arange(5.0), np.arange(5.0)), crs=4326)
    cases = [pts.copy(), gpd.GeoSeries([*pts[:4], shapely.Point(4.0, 4.0 + 1e-12)], crs=4326),
             gpd.GeoSeries([*pts[:4], None], crs=4326),
             gpd.GeoSeries([*pts[:4], shapely.MultiPoint([(4.0, 4.0)])], crs=4326),
             gpd.GeoSeries([*pts[:4], shapely.Point(4.0, 4.0, 1.0)], crs=4326)]
    for case in cases:
        assert store_module._same_column(pts, case) == pts.equals(case)
    assert store_module._same_column(cases[2], cases[2].copy()) and cases[2].equals(cases[2].copy())
    assert not store_module._same_column(pd.Series([1.0, 2.0]), pd.Series([1.0, 2.5]))


def test_illegal_characters_pattern_is_openpyxls():
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from tcm_coverage._safetext import ILLEGAL_CHARACTERS_RE as ours

    assert (ours.pattern, ours.flags) == (ILLEGAL_CHARACTERS_RE.pattern, ILLEGAL_CHARACTERS_RE.flags)
