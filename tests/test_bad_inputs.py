"""Every bad input: one clear message, exit 2, nothing written (issue 11).

Each case writes a bad input (the classes listed in the issue, then seeded random corruptions
of the demo inputs: truncations, wrong encodings, NaN/inf/huge numbers, swapped columns, empty
files, binary garbage), runs the real command line (:func:`tcm_coverage.cli.main.main`, in-process
so the module stays fast; a few cases also as a subprocess) into an output folder holding an
earlier result, and asserts

* exit code 2,
* a message naming the file, the row or the option (and no traceback),
* the output folder byte-identical to the earlier result, and nothing left beside it.

Almost every case fails before the roads are routed; the slowest reads a truncated road file.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine
from shapely.geometry import Polygon

from tcm_coverage.cli.main import main
from tcm_coverage.demo import DEMO_FILES, demo_data_dir

DATA = demo_data_dir()
FACILITIES = DATA / DEMO_FILES["facilities"]
VILLAGES = DATA / DEMO_FILES["villages"]
RASTER = DATA / DEMO_FILES["population_raster"]
COUNTY = DATA / DEMO_FILES["boundary"]
TOWNSHIPS = DATA / DEMO_FILES["townships"]
ROADS = DATA / DEMO_FILES["network"]
SCENARIO = DATA / DEMO_FILES["scenarios"] / "upgrade_only.toml"

#: Light settings: the checks are under test, not the maps.
FAST = ["--mode", "ebike", "--no-map", "--no-report", "--no-accessibility",
        "--isochrone-cell-m", "0", "--lang", "en"]


def analyze(out: Path, *extra: str, **files: Path | str) -> list[str]:
    """``analyze`` argv on the demo files; keyword ``facilities=...`` replaces ``--facilities``."""
    given = {"facilities": FACILITIES, "facilities_datum": "gcj02", "boundary": COUNTY,
             "townships": TOWNSHIPS, "population": VILLAGES, "network": ROADS}
    given.update(files)
    argv = ["analyze"]
    for key, value in given.items():
        if value is not None:
            argv += [f"--{key.replace('_', '-')}", str(value)]
    return [*argv, "--out", str(out), *FAST, *extra]


# ------------------------------------------------------------------------------------------
# Writers of bad inputs
# ------------------------------------------------------------------------------------------
def _csv_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8-sig").splitlines()


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _edit_cell(src: Path, dst: Path, row: int, column: str, value: str) -> Path:
    """Copy a CSV with one cell replaced; ``row`` is the spreadsheet row (header = 1)."""
    frame = pd.read_csv(src, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    frame.loc[row - 2, column] = value
    frame.to_csv(dst, index=False, encoding="utf-8-sig")
    return dst


def _swap_columns(src: Path, dst: Path, a: str, b: str) -> Path:
    frame = pd.read_csv(src, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    frame[[a, b]] = frame[[b, a]].to_numpy()
    frame.to_csv(dst, index=False, encoding="utf-8-sig")
    return dst


def _zip_not_workbook(dst: Path) -> Path:
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr("readme.txt", "this archive holds no workbook")
    return dst


def _boundary_with(dst: Path, geometry: shapely.Geometry) -> Path:
    county = gpd.read_file(COUNTY)
    gpd.GeoDataFrame(county.drop(columns="geometry"), geometry=[geometry], crs=4326).to_file(dst)
    return dst


def _raster_edit(dst: Path, *, cell: float | None = None, metres: bool = False) -> Path:
    with rasterio.open(RASTER) as src:
        profile, values, bounds = src.profile, src.read(1), src.bounds
    if cell is not None:
        r, c = np.argwhere(values > 0)[len(np.argwhere(values > 0)) // 2]
        values[r, c] = cell
    if metres:  # UTM metres with the EPSG:4326 tag left in place
        x, y = pyproj.Transformer.from_crs(4326, 32649, always_xy=True).transform(bounds.left,
                                                                                 bounds.top)
        profile.update(transform=Affine(100.0, 0.0, x, 0.0, -100.0, y))
    with rasterio.open(dst, "w", **profile) as out:
        out.write(values, 1)
    return dst


def _run_json(run: Path, edit: Callable[[dict], object]) -> Path:
    """A run folder whose run.json is a plausible manifest with one edit."""
    run.mkdir(parents=True, exist_ok=True)
    manifest = {"tool": "tcm-coverage", "config": {
        "facilities": str(FACILITIES), "boundary": str(COUNTY), "population": str(VILLAGES),
        "network": str(ROADS), "out_dir": str(run), "facilities_datum": "gcj02",
        "modes": ["ebike"], "thresholds": [15.0], "buffer_m": 5000.0, "lang": "en",
        "speed_overrides": {}, "offroad_kmh": {}, "write_map": False}}
    edit(manifest)
    (run / "run.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run


# ------------------------------------------------------------------------------------------
# Cases: (argv, needles). A builder gets the input folder and the output folder.
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path, Path], tuple[list[str], list[str]]]


def _c(cid: str):
    def wrap(fn):
        CASES.append(Case(cid, fn))
        return fn
    return wrap


CASES: list[Case] = []


# --- tracebacks in the issue ----------------------------------------------------------------
@_c("ragged-csv-row-facilities")
def _(d, out):
    lines = _csv_lines(FACILITIES)
    lines[5] += ",extra,cells"
    return analyze(out, facilities=_write_lines(d / "ragged.csv", lines)), ["ragged.csv", "row 6",
                                                                           "header"]


@_c("ragged-csv-row-villages")
def _(d, out):
    lines = _csv_lines(VILLAGES)
    lines[3] += ",x"
    return analyze(out, population=_write_lines(d / "villages.csv", lines)), ["villages.csv",
                                                                             "row 4"]


@_c("zip-not-workbook-facilities")
def _(d, out):
    return analyze(out, facilities=_zip_not_workbook(d / "设施.xlsx")), ["设施.xlsx", "workbook"]


@_c("zip-not-workbook-villages")
def _(d, out):
    return analyze(out, population=_zip_not_workbook(d / "村庄.xlsx")), ["村庄.xlsx", "workbook"]


@_c("csv-renamed-xlsx")
def _(d, out):
    shutil.copy(FACILITIES, d / "facilities.xlsx")
    return analyze(out, facilities=d / "facilities.xlsx"), ["facilities.xlsx", "not an Excel"]


for _opt, _name in (("facilities", "dir.csv"), ("population", "dir.csv"),
                    ("boundary", "dir.geojson"), ("townships", "dir.geojson"),
                    ("network", "dir.osm")):
    def _folder(d, out, _opt=_opt, _name=_name):
        (d / _name).mkdir()
        return analyze(out, **{_opt: d / _name}), [_name, "is a folder", f"--{_opt}"]
    CASES.append(Case(f"folder-as-file-{_opt}", _folder))

for _value in ("1e30", "1e308"):
    def _pop(d, out, _value=_value):
        path = _edit_cell(VILLAGES, d / "villages.csv", 4, "人口", _value)
        return analyze(out, population=path), ["villages.csv", "row 4", "人口", "not plausible"]
    CASES.append(Case(f"population-cell-{_value}", _pop))


@_c("raster-cell-1e30")
def _(d, out):
    return analyze(out, population=_raster_edit(d / "pop.tif", cell=1e30)), ["pop.tif",
                                                                           "implausible"]


@_c("binary-scenario-file")
def _(d, out):
    (d / "plan.toml").write_bytes(bytes(range(256)) * 8)
    return ["site", str(d / "plan.toml"), "--out", str(out)], ["plan.toml", "UTF-8"]


@_c("out-is-a-file-analyze")
def _(d, out):
    (d / "result.txt").write_text("not a folder", encoding="utf-8")
    return analyze(d / "result.txt"), ["result.txt", "--out", "existing file"]


@_c("out-is-a-file-report")
def _(d, out):
    (d / "result.txt").write_text("not a folder", encoding="utf-8")
    run = _run_json(d / "run", lambda m: None)
    return ["report", str(run), "--out", str(d / "result.txt")], ["result.txt", "--out"]


@_c("out-under-a-file")
def _(d, out):
    (d / "result.txt").write_text("not a folder", encoding="utf-8")
    return analyze(d / "result.txt" / "sub"), ["result.txt", "--out", "is a file"]


@_c("map-out-is-a-file")
def _(d, out):  # --out is a folder in every command (a .html path is still taken as the file)
    run = _run_json(d / "run", lambda m: None)
    (d / "notes.txt").write_text("x", encoding="utf-8")
    return ["map", str(run), "--out", str(d / "notes.txt")], ["--out", "notes.txt", "is a file"]


for _key, _value in (("thresholds", "15"), ("modes", 5), ("buffer_m", "abc"),
                     ("speed_overrides", [1, 2]), ("write_map", "no"), ("facilities", 3)):
    def _rj(d, out, _key=_key, _value=_value):
        run = _run_json(d / "run", lambda m: m["config"].__setitem__(_key, _value))
        return ["report", str(run), "--out", str(out)], ["run.json", f"'{_key}'"]
    CASES.append(Case(f"run-json-{_key}-{type(_value).__name__}", _rj))


@_c("run-json-config-not-object")
def _(d, out):
    run = _run_json(d / "run", lambda m: m.__setitem__("config", [1, 2]))
    return ["score", str(run), "--out", str(out)], ["run.json", "JSON object"]


@_c("run-json-binary")
def _(d, out):
    (d / "run").mkdir()
    (d / "run" / "run.json").write_bytes(os.urandom(300))
    return ["map", str(d / "run"), "--out", str(out / "m.html")], ["run.json"]


for _value in ("lots", "10KB", "-1", "2"):
    def _mem(d, out, _value=_value):
        return (["batch", "--county-dirs", str(d), "--out", str(out), "--memory-limit", _value,
                 *FAST], ["--memory-limit"])
    CASES.append(Case(f"batch-memory-limit-{_value}", _mem))

for _value in ("-3", "0", "100000"):
    def _workers(d, out, _value=_value):
        return (["batch", "--county-dirs", str(d), "--out", str(out), "--workers", _value, *FAST],
                ["--workers", "1 and 1024"])
    CASES.append(Case(f"batch-workers-{_value}", _workers))


@_c("batch-county-folder-without-roads")
def _(d, out):
    county = d / "140405"
    county.mkdir()
    shutil.copy(COUNTY, county / "boundary.geojson")
    shutil.copy(FACILITIES, county / "facilities_gcj02.csv")
    shutil.copy(VILLAGES, county / "villages.csv")
    return (["batch", "--county-dirs", str(d), "--out", str(out), *FAST],
            ["140405", "no roads file"])


# --- silent exit 0 in the issue ---------------------------------------------------------------
for _spec, _needles in (
        ("ebkie:primary=5", ["--speed", "ebkie", "did you mean 'ebike'"]),
        ("ebike:primry=5", ["--speed", "primry", "did you mean 'primary'"]),
        ("ebike:residential=1e9", ["--speed ebike:residential", "2 and 50 km/h"]),
        ("ebike:residential=0", ["--speed ebike:residential", "2 and 50 km/h"]),
        ("ebike:residential=nan", ["--speed ebike:residential", "got nan"]),
        ("ebike:residential", ["--speed", "MODE:CLASS=KMH"])):
    def _speed(d, out, _spec=_spec, _needles=_needles):
        return analyze(out, "--speed", _spec), _needles
    CASES.append(Case(f"speed-{_spec}", _speed))

for _spec, _needles in (("1e6", ["--offroad-speed walk", "0.5 and 8 km/h"]),
                        ("ebike:100", ["--offroad-speed ebike", "0.5 and 25 km/h"]),
                        ("walk:0", ["--offroad-speed walk", "0.5 and 8 km/h"]),
                        ("ebkie:3", ["--offroad-speed", "ebkie"])):
    def _off(d, out, _spec=_spec, _needles=_needles):
        return analyze(out, "--offroad-speed", _spec, "--mode", "walk", "ebike"), _needles
    CASES.append(Case(f"offroad-speed-{_spec}", _off))


@_c("every-resident-outside-the-county")
def _(d, out):
    frame = pd.read_csv(VILLAGES, encoding="utf-8-sig")
    frame["经度"] = frame["经度"] + 2.0  # 180 km east
    frame.to_csv(d / "villages.csv", index=False, encoding="utf-8-sig")
    return analyze(out, population=d / "villages.csv"), ["villages.csv", "inside the county",
                                                         "outside"]


for _value in ("1e308", "inf", "-1"):
    def _phys(d, out, _value=_value):
        path = _edit_cell(FACILITIES, d / "facilities.csv", 4, "中医执业医师数", _value)
        return analyze(out, facilities=path), ["facilities.csv", "row 4", "中医执业医师数"]
    CASES.append(Case(f"tcm-physicians-{_value}", _phys))


# --- vague messages in the issue --------------------------------------------------------------
@_c("self-intersecting-boundary")
def _(d, out):
    x0, y0, x1, y1 = gpd.read_file(COUNTY).total_bounds
    bowtie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    return (analyze(out, boundary=_boundary_with(d / "county.geojson", bowtie)),
            ["county.geojson", "crosses itself", "Self-intersection["])


@_c("swapped-xy-boundary")
def _(d, out):
    geom = shapely.transform(gpd.read_file(COUNTY).geometry.iloc[0], lambda c: c[:, ::-1])
    return analyze(out, boundary=_boundary_with(d / "county.geojson", geom)), ["county.geojson",
                                                                             "swapped"]


@_c("raster-metres-tagged-4326")
def _(d, out):
    return (analyze(out, population=_raster_edit(d / "pop.tif", metres=True)),
            ["pop.tif", "EPSG:4326", "metres"])


for _extra, _needles in ((("--buffer-m", "1e9"), ["--buffer-m", "0 and 100000 m"]),
                         (("--buffer-m", "nan"), ["--buffer-m", "got nan"]),
                         (("--buffer-m", "-5"), ["--buffer-m", "0 and 100000 m"]),
                         (("--max-facility-offroad-m", "-1"), ["--max-facility-offroad-m", "1 and 20000 m"]),
                         (("--max-facility-offroad-m", "inf"), ["--max-facility-offroad-m"]),
                         (("--isochrone-cell-m", "0.001"), ["--isochrone-cell-m", "10 and 5000 m"]),
                         (("--threshold", "1e9"), ["--threshold", "240"]),
                         (("--threshold", "nan"), ["--threshold"])):
    def _opt(d, out, _extra=_extra, _needles=_needles):
        return analyze(out, *_extra), _needles
    CASES.append(Case(f"option{_extra[0]}={_extra[1]}", _opt))


# --- seeded random corruptions of the demo inputs ---------------------------------------------
_TARGETS = {  # name: (demo file, option)
    "facilities": (FACILITIES, "facilities"),
    "villages": (VILLAGES, "population"),
    "boundary": (COUNTY, "boundary"),
    "townships": (TOWNSHIPS, "townships"),
    "raster": (RASTER, "population"),
    "roads": (ROADS, "network"),
}


def _random_cases(seed: int = 20240615) -> None:
    rng = random.Random(seed)
    for name, (src, option) in _TARGETS.items():
        for kind in ("empty", "garbage", "truncated"):
            seed_k = rng.randrange(1 << 30)

            def build(d, out, src=src, option=option, kind=kind, n=seed_k):
                local = random.Random(n)
                dst = d / f"bad_{src.name}"
                data = src.read_bytes()
                if kind == "empty":
                    dst.write_bytes(b"")
                elif kind == "garbage":
                    dst.write_bytes(bytes(local.randrange(256) for _ in range(local.randrange(64, 4096))))
                elif src.suffix == ".csv":  # cut a data row after its name and type/town
                    lines = _csv_lines(src)
                    i = local.randrange(2, len(lines))
                    _write_lines(dst, lines[:i] + [",".join(lines[i].split(",")[:3])])
                else:
                    dst.write_bytes(data[: int(len(data) * local.uniform(0.2, 0.8))])
                return analyze(out, **{option: dst}), [dst.name]
            CASES.append(Case(f"random-{kind}-{name}", build))
    for name, src in (("facilities", FACILITIES), ("villages", VILLAGES)):
        for encoding in ("utf-32", "mojibake"):  # (UTF-16 and GBK are read as they are)
            def enc(d, out, src=src, name=name, encoding=encoding):
                dst = d / f"{name}_{encoding}.csv"
                text = src.read_text(encoding="utf-8-sig")
                if encoding == "mojibake":  # UTF-8 bytes taken for Latin-1 and saved again
                    dst.write_bytes(text.encode("utf-8").decode("latin-1").encode("utf-8"))
                else:
                    dst.write_bytes(text.encode(encoding))
                option = "facilities" if name == "facilities" else "population"
                return analyze(out, **{option: dst}), [dst.name]
            CASES.append(Case(f"random-encoding-{encoding}-{name}", enc))
    numbers = ("nan", "inf", "-inf", "1e400", "-1e308", "1e30")
    for value in numbers:
        fac_row, vil_row = rng.randrange(2, 170), rng.randrange(2, 221)

        def fac_lon(d, out, value=value, row=fac_row):
            path = _edit_cell(FACILITIES, d / "facilities.csv", row, "经度", value)
            return analyze(out, facilities=path), ["facilities.csv", f"row {row}"]
        CASES.append(Case(f"random-facility-lon-{value}", fac_lon))

        def vil_pop(d, out, value=value, row=vil_row):
            path = _edit_cell(VILLAGES, d / "villages.csv", row, "人口", value)
            return analyze(out, population=path), ["villages.csv", f"row {row}", "人口"]
        CASES.append(Case(f"random-village-population-{value}", vil_pop))
    for name, src, option in (("facilities", FACILITIES, "facilities"),
                              ("villages", VILLAGES, "population")):
        def swap(d, out, name=name, src=src, option=option):
            path = _swap_columns(src, d / f"{name}.csv", "经度", "纬度")
            return analyze(out, **{option: path}), [f"{name}.csv", "swapped"]
        CASES.append(Case(f"random-swapped-lonlat-{name}", swap))


_random_cases()


# ------------------------------------------------------------------------------------------
# The harness
# ------------------------------------------------------------------------------------------
def _earlier_result(out: Path) -> dict[str, bytes]:
    """Fill ``out`` with an earlier run's files; return their bytes."""
    out.mkdir(parents=True)
    (out / "coverage_county.csv").write_bytes("区划代码,名称\n140405,屯留区\n".encode())
    (out / "run.json").write_text(json.dumps({"tool": "tcm-coverage (an earlier run)", "config": {}}),
                              encoding="utf-8")
    (out / "counties" / "140405").mkdir(parents=True)
    (out / "counties" / "140405" / "batch_done.json").write_bytes(b'{"key": "earlier"}')
    return _snapshot(out)


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _run(argv: list[str]) -> int:
    try:
        return main(["-q", *argv])
    except SystemExit as exc:  # argparse errors
        return int(exc.code or 0)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, capsys) -> None:
    d = tmp_path / "in"
    d.mkdir()
    out = tmp_path / "out"
    before = _earlier_result(out)
    argv, needles = case.build(d, out)
    capsys.readouterr()
    code = _run(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, f"{needle!r} not in: {err}"
    if "usage:" not in err:  # argparse errors print usage; ours say what to do
        assert "error: " in err and "Fix:" in err, err
        assert "nothing was written" in err
    assert _snapshot(out) == before  # the earlier result is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]  # nothing beside it


def _make_unwritable(folder: Path) -> Callable[[], None] | None:
    """Make ``folder`` unwritable (chmod; as root chattr +i); return the undo, or None."""
    folder.chmod(0o555)
    undo: Callable[[], None] = lambda: folder.chmod(0o755)  # noqa: E731
    probe = folder / ".probe"
    try:
        probe.mkdir()
    except OSError:
        return undo
    probe.rmdir()
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)],
                                                 capture_output=True).returncode == 0:
        def undo_both() -> None:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
            folder.chmod(0o755)
        return undo_both
    undo()
    return None


@pytest.mark.parametrize("where", ["existing", "new-inside"])
def test_output_folder_without_write_permission(tmp_path, capsys, where):
    out = tmp_path / "out"
    if where == "existing":
        before = _earlier_result(out)
    else:  # a new folder inside a plain folder (inside an earlier result is refused anyway)
        out.mkdir()
        before = {}
    undo = _make_unwritable(out)
    if undo is None:
        pytest.skip("cannot make a folder unwritable here")
    try:
        target = out if where == "existing" else out / "new"
        code = _run(analyze(target))
        err = capsys.readouterr().err
        assert code == 2, err
        assert "--out" in err and "cannot write" in err and str(out) in err and "Fix:" in err
        assert _snapshot(out) == before
    finally:
        undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_duplicate_facility_rows_counted_once_with_a_warning(tmp_path, caplog):
    from tcm_coverage.inputs.facilities import read_facilities

    lines = _csv_lines(FACILITIES)
    _write_lines(tmp_path / "dup.csv", [*lines, lines[5], lines[9]])
    with caplog.at_level("WARNING", logger="tcm_coverage"):
        fac = read_facilities(tmp_path / "dup.csv", datum="gcj02")
    assert len(fac) == len(lines) - 1  # the repeats are counted once
    assert "dup.csv" in caplog.text and "170 = 6" in caplog.text and "171 = 10" in caplog.text
    (en, zh), = fac.attrs["input_warnings"]
    assert "counted once" in en and "只计一次" in zh and "第170行同第6行" in zh
    # a repeated id with different content is still an error naming both rows
    changed = lines[5].replace("否", "是", 1)
    _write_lines(tmp_path / "dup_id.csv", [*lines, changed])
    from tcm_coverage._errors import InputError

    with pytest.raises(InputError, match=r"rows 6, 170.*duplicate facility ids"):
        read_facilities(tmp_path / "dup_id.csv", datum="gcj02")


def test_road_less_county_folder_is_listed_as_failed(tmp_path):
    from tcm_coverage.batch.jobs import expand_county_dirs, folder_jobs
    from tcm_coverage.workflows import AnalysisConfig

    good, bad, other = tmp_path / "140405", tmp_path / "140406", tmp_path / "notes"
    for folder in (good, bad, other):
        folder.mkdir()
    shutil.copy(ROADS, good / "roads.osm")
    for folder in (good, bad):
        shutil.copy(COUNTY, folder / "boundary.geojson")
        shutil.copy(FACILITIES, folder / "facilities_gcj02.csv")
        shutil.copy(VILLAGES, folder / "villages.csv")
    (other / "readme.txt").write_text("not a county", encoding="utf-8")
    folders = expand_county_dirs([tmp_path])
    assert [f.name for f in folders] == ["140405", "140406"]  # the unrelated folder is not one
    settings = AnalysisConfig.from_options(facilities=Path("."), boundary=Path("."), population=Path("."),
                              network=Path("."), out_dir=tmp_path / "out", modes=("ebike",),
                              thresholds=(15.0,))
    jobs, failures = folder_jobs(folders, out_dir=tmp_path / "out", settings=settings)
    assert [j.job_id for j in jobs] == ["140405"]
    assert [f["job_id"] for f in failures] == ["140406"]
    assert "no roads file" in failures[0]["error"]


@pytest.mark.parametrize("case_id", ["ragged-csv-row-facilities", "batch-workers--3",
                                     "binary-scenario-file", "run-json-modes-int"])
def test_as_a_new_user_would_run_it(case_id, tmp_path):
    """A few cases through a real process: exit 2 and no traceback on the terminal."""
    (case,) = [c for c in CASES if c.id == case_id]
    d = tmp_path / "in"
    d.mkdir()
    out = tmp_path / "out"
    before = _earlier_result(out)
    argv, needles = case.build(d, out)
    proc = subprocess.run([sys.executable, "-m", "tcm_coverage", *argv], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert all(n in proc.stderr for n in needles), proc.stderr
    assert _snapshot(out) == before
