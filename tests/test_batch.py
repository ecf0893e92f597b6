"""Tests of tcm_coverage.batch: province-scale runs on a Dask LocalCluster (issue 6)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from tcm_coverage._errors import InputError
from tcm_coverage.batch.command import main
from tcm_coverage.batch.jobs import (
    DONE_MARKER,
    discover_county_files,
    expand_county_dirs,
    folder_jobs,
    job_key,
)
from tcm_coverage.batch.summary import province_table
from tcm_coverage.testing.province import make_synthetic_province
from tcm_coverage.workflows import AnalysisConfig

REPO = Path(__file__).resolve().parents[1]
#: Light settings: the batch machinery is under test, not the maps (tested elsewhere).
FAST = ["--mode", "walk", "ebike", "--no-report", "--isochrone-cell-m", "0",
        "--no-accessibility", "--profile", "national", "--basemap", "none"]


def _markers(out: Path) -> dict[str, Path]:
    return {p.parent.name: p for p in (out / "counties").glob(f"*/{DONE_MARKER}")}


@pytest.mark.slow
def test_twenty_counties_in_parallel_one_fails(tmp_path, capsys):
    prov = make_synthetic_province(tmp_path / "syn", nx=5, ny=4)
    assert len(prov.codes) == 20
    bad = prov.county_dirs[7]
    fac = pd.read_csv(bad / "facilities.csv", encoding="utf-8-sig")
    fac.loc[2, "类型"] = "卫生所X"  # unknown facility type on spreadsheet row 4
    fac.to_csv(bad / "facilities.csv", index=False, encoding="utf-8-sig")
    out = tmp_path / "out"
    rc = main(["-q", "--county-dirs", str(tmp_path / "syn" / "counties"), "--out", str(out),
               "--workers", "2", "--self-contained", *FAST])
    err = capsys.readouterr().err
    assert rc == 1  # some counties failed; the others are written
    markers = _markers(out)
    assert sorted(markers) == sorted(c for c in prov.codes if c != bad.name)
    # the failure is on the terminal with the file, row and fix
    assert f"county {bad.name}" in err and "facilities.csv" in err and "row 4" in err
    assert "卫生所X" in err and "Fix:" in err
    assert not (out / "counties" / bad.name / "coverage_county.csv").exists()
    # province summary: CSV with Chinese headers, XLSX with a failure sheet, a map, batch.json
    table = pd.read_csv(out / "province_summary.csv", encoding="utf-8-sig", dtype={"区划代码": str})
    assert {"区划代码", "名称", "出行方式", "状态", "15分钟覆盖率", "错误信息"} <= set(table.columns)
    failed = table[table["状态"] == "失败"]
    assert len(failed) == 1 and "卫生所X" in failed["错误信息"].iloc[0]
    done = table[table["状态"] == "完成"]
    assert len(done) == 19 * 2  # 19 counties x 2 modes
    total = table[table["状态"] == "全省合计"]
    assert len(total) == 2
    assert total["人口"].iloc[0] == pytest.approx(done[done["出行方式"] == "步行"]["人口"].sum(),
                                                 rel=1e-6)
    sheets = pd.read_excel(out / "province_summary.xlsx", sheet_name=None)
    assert {"说明", "全省汇总", "失败"} <= set(sheets)
    page = (out / "province_map.html").read_text(encoding="utf-8")
    for text in ("计算失败", "15分钟覆盖率", "合成1-1县"):  # raw or JSON-escaped
        assert text in page or json.dumps(text)[1:-1] in page
    assert "<script src=" not in page and "<link rel=\"stylesheet\" href=\"http" not in page
    manifest = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    statuses = {c["job_id"]: c["status"] for c in manifest["counties"]}
    assert statuses[bad.name] == "failed" and sum(s == "done" for s in statuses.values()) == 19
    # per-county outputs are those of `analyze`
    one = out / "counties" / prov.codes[0]
    assert {"coverage_county.csv", "coverage.xlsx", "run.json", "map.html"} <= {
        p.name for p in one.iterdir()}


@pytest.mark.slow
def test_resume_after_kill(tmp_path):
    make_synthetic_province(tmp_path / "syn", nx=5, ny=4, seed=3)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "tcm_coverage.batch", "-q", "--county-dirs",
           str(tmp_path / "syn" / "counties"), "--out", str(out), "--workers", "2", *FAST]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 600  # a wait, not a speed check: a loaded machine is slow
        while len(_markers(out)) < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        # kill the driver and its local cluster (its own process group) halfway
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    for _ in range(100):  # the workers go with the group
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    before = _markers(out)
    print(f"killed with {len(before)} of 20 counties done")
    assert 3 <= len(before) < 20, f"{len(before)} counties done when killed"
    assert not (out / "province_summary.csv").exists()
    stamps = {code: ((p.parent / "coverage_county.csv").stat().st_mtime_ns, p.stat().st_mtime_ns)
              for code, p in before.items()}

    rerun = subprocess.run(cmd[:3] + cmd[4:], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(before)} of 20 counties already done" in rerun.stderr
    after = _markers(out)
    assert len(after) == 20
    for code, (csv_ns, marker_ns) in stamps.items():  # not recomputed
        assert (out / "counties" / code / "coverage_county.csv").stat().st_mtime_ns == csv_ns
        assert after[code].stat().st_mtime_ns == marker_ns
    table = pd.read_csv(out / "province_summary.csv", encoding="utf-8-sig", dtype={"区划代码": str})
    status = table.drop_duplicates("区划代码").set_index("区划代码")["状态"]
    assert (status == "已完成（沿用上次结果）").sum() == len(before)
    assert (status == "完成").sum() == 20 - len(before)
    # a changed parameter changes the key: everything is recomputed
    again = subprocess.run(cmd[:3] + cmd[4:] + ["--threshold", "10", "15"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=180)
    assert again.returncode == 0 and "already done" not in again.stderr


def _write_facilities(path: Path, rows: list[dict]) -> None:
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig")


def test_province_cut_counts_trip_across_county_line(tmp_path, capsys):
    prov = make_synthetic_province(tmp_path / "syn", nx=2, ny=1, county_km=3.0, seed=5)
    west, east = prov.codes
    x0, y0, x1, y1 = prov.county_box_m(west)
    # a village in the west county 150 m from the county line and a TCM corner (中医阁) just
    # across it, in the east county, on the same east-west road; the west county's own
    # facilities have no TCM service at all
    road_y = y0 + 4 * 400.0 + 1.0  # near the 5th grid line (jittered by ~30 m)
    vlon, vlat = prov.to_lonlat([x1 - 150.0], [road_y])
    flon, flat = prov.to_lonlat([x1 + 150.0, x0 + 1500.0], [road_y, road_y])
    fac = pd.read_csv(prov.facilities, encoding="utf-8-sig", dtype=str)
    fac = fac[fac["编号"].str.startswith(east)].copy()
    fac["中医阁"] = "否"
    fac["中医馆"] = "否"
    fac = fac[fac["类型"] != "县级中医医院"]
    rows = fac.to_dict(orient="records")
    rows.append({"编号": "EAST-ZYG", "名称": "边界村卫生室", "类型": "村卫生室", "经度": flon[0],
                 "纬度": flat[0], "中医馆": "否", "中医阁": "是", "中医执业医师数": 1})
    rows.append({"编号": "WEST-C", "名称": "西县卫生院", "类型": "乡镇卫生院", "经度": flon[1],
                 "纬度": flat[1], "中医馆": "否", "中医阁": "否", "中医执业医师数": 0})
    _write_facilities(prov.facilities, rows)
    vil = pd.read_csv(prov.population, encoding="utf-8-sig")
    vil.loc[len(vil)] = {"名称": "边界村", "经度": vlon[0], "纬度": vlat[0], "人口": 1000}
    vil.to_csv(prov.population, index=False, encoding="utf-8-sig")

    out = tmp_path / "out"
    rc = main(["-q", "--boundary", str(prov.boundary), "--facilities", str(prov.facilities),
               "--population", str(prov.population), "--network", str(prov.network),
               "--out", str(out), "--workers", "1", *FAST, "--mode", "walk", "--layers", "full"])
    assert rc == 0, capsys.readouterr().err
    dem = gpd.read_parquet(out / "counties" / west / "demand_points.parquet")  # --layers full
    assert dem.crs.to_epsg() == 4326 and not (out / "counties" / west / "demand_points.gpkg").exists()
    border = dem[dem["name"] == "边界村"].iloc[0]
    assert border["f_tcm_any_walk"] == "EAST-ZYG"
    assert border["t_tcm_any_walk"] < 15.0
    # counted in the west county's coverage; the facility itself is counted in the east only
    manifest = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["layers"] == "full"
    assert manifest["outputs"]["heavy_layers_format"] == "parquet"
    rows = {r["job_id"]: r for r in manifest["counties"]}
    assert rows[west]["status"] == rows[east]["status"] == "done"
    table = pd.read_csv(out / "province_summary.csv", encoding="utf-8-sig", dtype={"区划代码": str})
    by_code = table.set_index("区划代码")
    assert by_code.loc[west, "15分钟内人口"] >= 1000
    assert by_code.loc[west, "设中医阁的站室数"] == 0
    assert by_code.loc[east, "设中医阁的站室数"] == 1
    run = json.loads((out / "counties" / west / "run.json").read_text(encoding="utf-8"))
    assert run["batch"]["county"] == west and run["inputs"]["network"]["sha256"]
    # rerun: both skipped, the province road file is not even read
    rc = main(["--boundary", str(prov.boundary), "--facilities", str(prov.facilities),
               "--population", str(prov.population), "--network", str(prov.network),
               "--out", str(out), "--workers", "1", *FAST, "--mode", "walk", "--layers", "full"])
    assert rc == 0
    assert "2 of 2 counties already done" in capsys.readouterr().err


def test_bad_input_writes_nothing(tmp_path, capsys):
    prov = make_synthetic_province(tmp_path / "syn", nx=2, ny=1)
    out = tmp_path / "out"
    rc = main(["-q", "--boundary", str(prov.boundary), "--facilities", str(prov.facilities),
               "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "--population" in err and "nothing was written" in err
    rc = main(["-q", "--county-dirs", str(tmp_path / "syn" / "counties"), "--boundary",
               str(prov.boundary), "--out", str(out)])
    assert rc == 2 and "not both" in capsys.readouterr().err
    rc = main(["-q", "--boundary", str(prov.boundary), "--facilities", str(prov.facilities),
               "--population", str(prov.population), "--network", str(prov.network),
               "--only", "999999", "--out", str(out)])
    assert rc == 2 and "999999" in capsys.readouterr().err
    assert not out.exists()


def test_discovery_keys_and_summary(tmp_path):
    prov = make_synthetic_province(tmp_path / "syn", nx=2, ny=1)
    folders = expand_county_dirs([tmp_path / "syn" / "counties"])
    assert [f.name for f in folders] == list(prov.codes)
    assert expand_county_dirs([folders[0]]) == [folders[0]]
    files = discover_county_files(folders[0])
    assert files["network"].name == "roads.osm" and files["population"].name == "villages.csv"
    assert files["townships"] is None
    (folders[1] / "facilities_gcj02.xlsx").write_bytes(b"")
    with pytest.raises(InputError, match="several facilities files"):
        discover_county_files(folders[1])
    (folders[1] / "facilities_gcj02.xlsx").unlink()
    (folders[1] / "facilities.csv").rename(folders[1] / "设施_gcj02.csv")
    settings = AnalysisConfig.from_options(facilities=Path("."), boundary=Path("."), population=Path("."),
                              network=Path("."), out_dir=tmp_path / "out", modes=("walk",),
                              thresholds=(15.0,))
    jobs, failures = folder_jobs(folders, out_dir=tmp_path / "out", settings=settings)
    assert not failures and [j.code for j in jobs] == list(prov.codes)
    assert jobs[1].config.inputs.facilities_datum == "gcj02"  # from the file name
    assert jobs[0].config.inputs.facilities_datum == "wgs84"
    assert len({j.key for j in jobs}) == 2
    again, _ = folder_jobs(folders, out_dir=tmp_path / "elsewhere", settings=settings)
    assert [j.key for j in again] == [j.key for j in jobs]  # the output folder is not an input
    other, _ = folder_jobs(folders, out_dir=tmp_path / "out",
                           settings=settings.updated(thresholds=(10.0, 15.0)))
    assert other[0].key != jobs[0].key
    assert job_key(jobs[0].config, {"network": "a"}, kind="folder") != job_key(
        jobs[0].config, {"network": "b"}, kind="folder")
    (folders[0] / "boundary.geojson").unlink()
    jobs, failures = folder_jobs(folders, out_dir=tmp_path / "out", settings=settings)
    assert len(jobs) == 1 and failures[0]["job_id"] == prov.codes[0]
    assert "no boundary file" in failures[0]["error"]

    records = [
        {"job_id": "a", "status": "done", "seconds": 1.0, "rows": [
            {"code": "1", "name": "甲", "mode": "walk", "target": "tcm_any", "population": 100.0,
             "pop_within_15": 50.0, "share_within_15": 0.5, "mean_min": 10.0,
             "unreachable_population": 0.0, "n_stations": 2, "n_stations_zhongyige": 1}]},
        {"job_id": "b", "status": "skipped", "seconds": 1.0, "rows": [
            {"code": "2", "name": "乙", "mode": "walk", "target": "tcm_any", "population": 300.0,
             "pop_within_15": 300.0, "share_within_15": 1.0, "mean_min": 2.0,
             "unreachable_population": 100.0, "n_stations": 2, "n_stations_zhongyige": 2}]},
        {"job_id": "c", "code": "3", "name": "丙", "status": "failed", "error": "boom"},
    ]
    table = province_table(records, thresholds=(15.0,), modes=("walk",))
    total = table[table["status"] == "province"].iloc[0]
    assert total["population"] == 400 and total["pop_within_15"] == 350
    assert total["share_within_15"] == pytest.approx(350 / 400)
    assert total["mean_min"] == pytest.approx((10 * 100 + 2 * 200) / 300)
    assert total["share_stations_zhongyige"] == pytest.approx(3 / 4)
    assert table.loc[table["code"] == "3", "error"].iloc[0] == "boom"
    assert np.isnan(total.get("p90_min", np.nan))


def test_province_row_adds_up_the_capacity_figures():
    """The province's residents within capacity are the counties' sum (a hand sum); its upper
    bound takes a county's plain figure where that county has no upper bound; one county
    without the figure (capacity not computed) makes the province's unknown, never 0."""
    def rec(job, pop, cap, upper=None):
        row = {"code": job, "name": job, "mode": "walk", "target": "tcm_any", "population": pop,
               "pop_within_15": pop / 2, "share_within_15": 0.5, "pop_within_capacity_15": cap}
        if upper is not None:
            row["pop_within_capacity_15_upper"] = upper
        return {"job_id": job, "status": "done", "seconds": 1.0, "rows": [row]}

    table = province_table([rec("a", 100.0, 20.0, upper=30.0), rec("b", 300.0, 60.0)],
                           thresholds=(15.0,), modes=("walk",))
    total = table[table["status"] == "province"].iloc[0]
    assert total["pop_within_capacity_15"] == 80 and total["share_within_capacity_15"] == pytest.approx(0.2)
    assert total["pop_within_capacity_15_upper"] == 90
    assert total["share_within_capacity_15_upper"] == pytest.approx(90 / 400)
    unknown = rec("c", 50.0, 0.0)
    del unknown["rows"][0]["pop_within_capacity_15"]
    table = province_table([rec("a", 100.0, 20.0), unknown], thresholds=(15.0,), modes=("walk",))
    total = table[table["status"] == "province"].iloc[0]
    assert pd.isna(total.get("share_within_capacity_15", np.nan))
    assert pd.isna(total.get("pop_within_capacity_15", np.nan))


def test_existing_scheduler(tmp_path, capsys):
    from distributed import LocalCluster

    make_synthetic_province(tmp_path / "syn", nx=2, ny=1)
    out = tmp_path / "out"
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster:
        rc = main(["--county-dirs", str(tmp_path / "syn" / "counties"), "--out", str(out),
                   "--scheduler", cluster.scheduler_address, *FAST, "--no-map"])
    err = capsys.readouterr().err
    assert rc == 0 and f"Dask scheduler {cluster.scheduler_address}" in err
    assert len(_markers(out)) == 2 and not (out / "province_map.html").exists()


def _halves(prov, path: Path) -> None:
    """Townships: each county box split into a west and an east half."""
    feats = []
    for code in prov.codes:
        x0, y0, x1, y1 = prov.county_box_m(code)
        xm = (x0 + x1) / 2
        for k, (a, b) in enumerate(((x0, xm), (xm, x1)), start=1):
            lon, lat = prov.to_lonlat([a, b, b, a], [y0, y0, y1, y1])
            feats.append({"adcode": f"{code}{k:03d}", "name": f"{code}乡{k}", "parent_code": code,
                          "geometry": shapely.Polygon(zip(lon, lat, strict=True))})
    gpd.GeoDataFrame(feats, geometry="geometry", crs=4326).to_file(path, driver="GeoJSON")


def test_province_township_layer_equals_county_tables(tmp_path, capsys):
    prov = make_synthetic_province(tmp_path / "syn", nx=2, ny=1, county_km=3.0, seed=3)
    townships = tmp_path / "syn" / "townships.geojson"
    _halves(prov, townships)
    fac = pd.read_csv(prov.facilities, encoding="utf-8-sig", dtype=str)
    fac.loc[fac["编号"].str.startswith(prov.codes[1]), "中医执业医师数"] = ""
    _write_facilities(prov.facilities, fac.to_dict(orient="records"))
    out = tmp_path / "out"
    args = ["-q", "--boundary", str(prov.boundary), "--facilities", str(prov.facilities),
            "--population", str(prov.population), "--network", str(prov.network),
            "--townships", str(townships), "--out", str(out), "--workers", "1", *FAST,
            "--no-docx", "--no-print-map", "--threshold", "10", "15"]
    rc = main(args)
    assert rc == 0, capsys.readouterr().err
    county_dirs = [out / "counties" / c for c in prov.codes]
    # planner default: no heavy layers per county, the township layer and tables are there
    for d in county_dirs:
        assert not list(d.glob("demand_points.*")) and not list(d.glob("isochrones.*"))
        assert (d / "townships.gpkg").is_file() and (d / "coverage.xlsx").is_file()
    gpkg = gpd.read_file(out / "townships.gpkg")
    parquet = gpd.read_parquet(out / "townships.parquet")
    assert gpkg.crs.to_epsg() == parquet.crs.to_epsg() == 4326
    pd.testing.assert_frame_equal(pd.DataFrame(gpkg.drop(columns="geometry")),
                                  pd.DataFrame(parquet.drop(columns="geometry")),
                                  check_dtype=False)
    assert shapely.equals_exact(gpkg.geometry.to_numpy(), parquet.geometry.to_numpy(), 1e-9).all()
    # independent: the per-county coverage_township.csv tables (Chinese headers) concatenated
    csv = pd.concat([pd.read_csv(d / "coverage_township.csv", encoding="utf-8-sig",
                                 dtype={"区划代码": str, "上级代码": str}) for d in county_dirs],
                    ignore_index=True)
    assert len(csv) == 2 * len(gpkg) == 2 * 2 * len(prov.codes)  # townships x modes
    layer = gpkg.set_index("code")
    for _, row in csv.iterrows():
        mode = {"步行": "walk", "电动自行车": "ebike"}[row["出行方式"]]
        got = layer.loc[row["区划代码"]]
        assert got["county_code"] == row["上级代码"] and got["name"] == row["名称"]
        assert got["population"] == pytest.approx(row["人口"], abs=0.5)
        for t in (10, 15):
            assert got[f"pop_within_{t}_{mode}"] == pytest.approx(row[f"{t}分钟内人口"], abs=0.5)
            assert got[f"share_within_{t}_{mode}"] == pytest.approx(row[f"{t}分钟覆盖率"], abs=6e-4)
    # the county names are those of the province summary
    summary = pd.read_csv(out / "province_summary.csv", encoding="utf-8-sig", dtype={"区划代码": str})
    names = dict(zip(summary["区划代码"], summary["名称"], strict=False))
    assert all(gpkg["county_name"] == gpkg["county_code"].map(names))
    # no data stays NULL (never 0): the second county's facilities report no TCM physicians
    staff = csv.loc[csv["上级代码"] == prov.codes[1], "中医执业医师数"]
    assert (staff == "无数据").all()
    by_county = gpkg.groupby("county_code")["tcm_physicians"]
    assert by_county.apply(lambda s: s.isna().all())[prov.codes[1]]
    assert by_county.apply(lambda s: s.notna().all())[prov.codes[0]]
    assert parquet["tcm_physicians"].isna().tolist() == gpkg["tcm_physicians"].isna().tolist()
    timings = json.loads((out / "batch.json").read_text(encoding="utf-8"))["timings"]
    assert {"read inputs", "read roads", "open cluster", "first county submitted",
            "cut counties", "counties", "write province"} <= set(timings)
    counties = json.loads((out / "batch.json").read_text(encoding="utf-8"))["counties"]
    assert all(c["stages"]["write outputs"] > 0 for c in counties)
    # a resumed run (every county skipped) rebuilds the province layer from the county folders
    assert main(args) == 0
    again = gpd.read_file(out / "townships.gpkg")
    pd.testing.assert_frame_equal(pd.DataFrame(again.drop(columns="geometry")),
                                  pd.DataFrame(gpkg.drop(columns="geometry")))


def test_print_documents_on_request_and_drawn_on_rerun(tmp_path, capsys):
    """By default a batch county writes no print plates nor Word report (the 说明 sheet and
    batch.json say how to get them); a rerun with --print draws them from each county's store
    without computing (nor reading the roads) again; a third run has nothing to do."""
    from distributed import LocalCluster

    prov = make_synthetic_province(tmp_path / "syn", nx=2, ny=1, county_km=3.0, seed=5)
    out = tmp_path / "out"
    args = ["-q", "--boundary", str(prov.boundary), "--facilities", str(prov.facilities),
            "--population", str(prov.population), "--network", str(prov.network),
            "--out", str(out), *FAST]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        _print_runs(prov, out, args + ["--scheduler", cluster.scheduler_address], capsys)


def _print_runs(prov, out: Path, args: list[str], capsys) -> None:
    from docx import Document

    assert main(args) == 0, capsys.readouterr().err
    documents = ("map.png", "map.pdf", "report.docx")
    dirs = [out / "counties" / c for c in prov.codes]
    for d in dirs:
        assert not any((d / name).exists() for name in documents)
        assert (d / "store").is_dir() and (d / "facilities.gpkg").is_file()
    manifest = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["documents"] == []
    assert "--print" in manifest["outputs"]["to_add_documents"]
    # the --layers choice as the planner typed it (it said "none", the internal format, before)
    assert manifest["outputs"]["layers"] == "planner"
    assert manifest["outputs"]["heavy_layers_format"] is None
    readme = pd.read_excel(out / "province_summary.xlsx", sheet_name="说明", dtype=str)
    how = readme[readme.iloc[:, 0] == "打印图版和 Word 报告"].iloc[0, 1]
    assert "--print" in how and "tcm-coverage map" in how
    stamps = {d: (d / "coverage_county.csv").stat().st_mtime_ns for d in dirs}
    capsys.readouterr()

    assert main([a for a in args if a != "-q"] + ["--print"]) == 0
    err = capsys.readouterr().err
    assert "2 of 2 counties already done" in err and "从各县保存的计算结果绘制" in err
    manifest = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert "read roads" not in manifest["timings"]  # nothing routed, the roads not even read
    assert manifest["outputs"]["documents"] == list(documents)
    for d in dirs:
        assert (d / "coverage_county.csv").stat().st_mtime_ns == stamps[d]  # not recomputed
        assert all((d / name).stat().st_size > 1000 for name in documents)
        assert len(Document(str(d / "report.docx")).inline_shapes) >= 2  # chart and the plate
        marker = json.loads((d / DONE_MARKER).read_text(encoding="utf-8"))
        assert set(documents) <= set(marker["documents"])
    drew = {c["job_id"]: c["drew"] for c in manifest["counties"]}
    assert all(sorted(v) == sorted(documents) for v in drew.values())
    assert {c["status"] for c in manifest["counties"]} == {"skipped"}

    assert main(args + ["--print"]) == 0  # all there: nothing computed, nothing drawn
    manifest = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert not any(c.get("drew") for c in manifest["counties"])

    # a county whose documents cannot be drawn (its store is gone) keeps its results in the
    # province summary, and the run says so and exits 1
    shutil.rmtree(dirs[0] / "store")
    (dirs[0] / "report.docx").unlink()
    capsys.readouterr()
    assert main([a for a in args if a != "-q"] + ["--print"]) == 1
    said = capsys.readouterr().out
    assert f"{prov.codes[0]} 的结果保留" in said and "--force" in said
    summary = pd.read_csv(out / "province_summary.csv", dtype=str, encoding="utf-8-sig")
    kept = summary[summary["区划代码"] == prov.codes[0]]
    assert len(kept) and kept["人口"].notna().all()  # its figures, not a blank failed row
    manifest = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert {c["status"] for c in manifest["counties"]} == {"skipped"}


def test_documents_are_out_of_the_key_and_missing_ones_are_listed(tmp_path):
    """The print plates and Word report do not change a county's key (a rerun with --print
    finds it done); missing_documents lists what the folder lacks of what is asked."""
    from tcm_coverage.batch.jobs import CountyJob, missing_documents

    config = AnalysisConfig.from_options(facilities=Path("."), boundary=Path("."),
                                         population=Path("."), network=Path("."),
                                         out_dir=tmp_path / "c", modes=("walk",), thresholds=(15.0,))
    plain = config.updated(print_formats=(), write_docx=False)
    hashes = {"network": "a"}
    assert job_key(config, hashes, kind="folder") == job_key(plain, hashes, kind="folder")
    assert job_key(config, hashes, kind="folder") != job_key(
        config.updated(lang="en"), hashes, kind="folder")

    def job(cfg):
        return CountyJob(job_id="c", code="c", name="c", config=cfg, key="k", kind="folder")

    (tmp_path / "c").mkdir()
    assert missing_documents(job(plain)) == ()
    assert missing_documents(job(config)) == ("map.png", "map.pdf", "report.docx")
    (tmp_path / "c" / "map.png").write_bytes(b"png")
    (tmp_path / "c" / "report_320101.docx").write_bytes(b"docx")  # several counties in a folder
    assert missing_documents(job(config)) == ("map.pdf",)
    assert missing_documents(job(config.updated(write_docx=False, print_formats=("png",)))) == ()
