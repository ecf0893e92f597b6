"""The CLI end to end on the demo county, read back like a planner would; bad inputs."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import rasterio
from shapely.geometry import box

from tcm_coverage.cli.main import build_parser, main
from tcm_coverage.cli.options import config_from_args
from tcm_coverage.demo import demo_data_dir

DATA = demo_data_dir()
OUTPUTS = ["coverage_county.csv", "coverage_township.csv", "coverage_targets.csv", "coverage.xlsx",
           "demand_points.gpkg", "facilities.gpkg", "isochrones.gpkg", "map.html", "map.png", "map.pdf",
           "report.html", "report.docx", "scorecard.xlsx", "scorecard.html", "run.json",
           # referral chain, fairness, sensitivity (issue 15)
           "referral_township.csv", "referral_clinics.csv", "fairness.csv", "sensitivity.csv",
           "townships.gpkg"]  # the township layer (issue 16)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "maps"
    code = main(["-q", "demo", "--out", str(out), "--mode", "walk", "ebike", "car",
                 "--threshold", "5", "10", "15", "20", "30"])
    assert code == 0
    return out


def test_demo_writes_every_output(demo_run):
    for name in OUTPUTS:
        assert (demo_run / name).stat().st_size > 0, name
    assert not [p for p in demo_run.parent.iterdir() if p.name.startswith(".maps.tmp")]


def test_demo_tables_read_back(demo_run):
    county = pd.read_csv(demo_run / "coverage_county.csv", encoding="utf-8-sig")
    assert list(county.columns[:4]) == ["区划代码", "名称", "出行方式", "目标设施"]
    assert list(county["出行方式"]) == ["步行", "电动自行车", "汽车"]
    with rasterio.open(DATA / "population" / "demo_population.tif") as src:
        arr = src.read(1, masked=True).astype("float64")
    total = float(arr[arr > 0].sum())
    # Every resident of the raster is in the county table (cells are masked to the boundary).
    np.testing.assert_allclose(county["人口"], round(total), rtol=1e-3)
    share = county.set_index("出行方式")["15分钟覆盖率"]
    # The demo is built to show gaps: walking leaves many out, e-bike a few, car fewer still.
    assert 0 < share["步行"] < share["电动自行车"] <= share["汽车"] <= 1
    assert share["电动自行车"] < 1
    # Shares grow with the threshold.
    row = county.iloc[1]
    shares = [row[f"{t}分钟覆盖率"] for t in (5, 10, 15, 20, 30)]
    assert shares == sorted(shares)

    town = pd.read_csv(demo_run / "coverage_township.csv", encoding="utf-8-sig")
    towns = gpd.read_file(DATA / "boundaries" / "demo_townships_wgs84.geojson")
    assert town["区划代码"].nunique() == len(towns)
    ebike = town[town["出行方式"] == "电动自行车"]
    np.testing.assert_allclose(ebike["人口"].sum(), county["人口"].iloc[1], rtol=1e-3)
    assert ebike["中医馆设置率"].min() < 1  # one township centre lacks a 中医馆 in the demo


def test_demo_workbook_and_layers(demo_run):
    wb = openpyxl.load_workbook(demo_run / "coverage.xlsx", read_only=True)
    assert wb.sheetnames[:4] == ["说明", "县区覆盖", "乡镇覆盖", "分目标覆盖"]
    header = [c.value for c in next(wb["乡镇覆盖"].iter_rows(max_row=1))]
    assert "15分钟覆盖率" in header and "中医阁设置率" in header
    # 说明 defines every target with its facility count, and its notes are in Chinese.
    readme = {}
    for key, value in wb["说明"].iter_rows(min_row=2, values_only=True):
        readme.setdefault(key, []).append(value)
    facilities = pd.read_csv(DATA / "facilities" / "demo_facilities_gcj02.csv", encoding="utf-8-sig")
    n_ge = int((facilities["类型"].isin(["村卫生室", "社区卫生服务站"]) & (facilities["中医阁"] == "是")).sum())
    assert readme["目标设施：中医阁"] == [f"设中医阁的村卫生室/社区卫生服务站（{n_ge} 个）"]
    assert "步行 3.6 km/h" in readme["方向"][0]
    assert readme["注意"] and all("不连通" in note or "不与路网相连" in note for note in readme["注意"])
    assert any("直线离路" == key for key in readme) and "150 米" in readme["直线离路"][0]
    demand = gpd.read_file(demo_run / "demand_points.gpkg")
    assert {"population", "t_tcm_any_walk", "t_tcm_any_ebike", "cov15_ebike", "township_code"} <= set(demand.columns)
    covered = demand["cov15_ebike"] == 1
    assert (demand.loc[covered, "t_tcm_any_ebike"] <= 15).all()
    assert (demand.loc[~covered, "t_tcm_any_ebike"].fillna(np.inf) > 15).all()
    manifest = json.loads((demo_run / "run.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["facilities"]["sha256"]
    assert set(manifest["headline"]) == {"walk", "ebike", "car"}
    html = (demo_run / "map.html").read_text(encoding="utf-8")
    assert "leaflet" in html.lower()
    # Folium writes layer names JSON-escaped; the browser shows the Chinese text.
    assert json.dumps("乡镇15分钟覆盖率")[1:-1] in html or "乡镇15分钟覆盖率" in html


def test_demo_word_report_carries_the_print_plate(demo_run):
    """report.docx holds the cumulative chart, the Lorenz curve and the run's map.png plate
    (issue 13)."""
    import docx

    doc = docx.Document(str(demo_run / "report.docx"))
    blobs = [r.target_part.blob for r in doc.part.rels.values() if "image" in r.reltype]
    assert len(blobs) == 3
    assert (demo_run / "map.png").read_bytes() in blobs


def test_demo_isochrones_read_back(demo_run):
    iso = gpd.read_file(demo_run / "isochrones.gpkg", layer="isochrones")
    assert {"mode", "target", "min_from", "minutes", "area_km2", "label"} <= set(iso.columns)
    assert set(iso["mode"]) == {"walk", "ebike", "car"}
    assert set(iso["target"]) == {"tcm_any", "zhongyiguan", "zhongyige", "county_tcm"}
    assert sorted(iso["minutes"].unique()) == [5, 10, 15, 20, 30]
    # valid polygons, as QGIS/ArcGIS check them (13 of 60 rings were invalid after the move
    # to lon/lat before the rings were repaired there)
    assert iso.is_valid.all(), iso[~iso.is_valid][["mode", "target", "minutes"]]
    county = gpd.read_file(DATA / "boundaries" / "tunliu_140405_county_wgs84.geojson").to_crs(32649)
    for _key, rings in iso.groupby(["mode", "target"]):
        rings = rings.sort_values("minutes")
        # reached area grows with the minutes and with the speed, never beyond the county
        reached = rings["area_km2"].cumsum().to_numpy()
        assert (np.diff(reached) >= 0).all()
        assert reached[-1] <= county.area.sum() / 1e6 + 1
    by_mode = iso[iso["target"] == "tcm_any"].groupby("mode")["area_km2"].sum()
    assert by_mode["walk"] < by_mode["ebike"] < by_mode["car"]
    assert "电动自行车 中医药服务点 5–10分钟" in set(iso["label"])


@pytest.mark.parametrize("argv", [
    ["-q", "report", "RUN"], ["report", "RUN", "-q"], ["report", "-q", "RUN"],
    ["-q", "batch", "--county-dirs", "d", "--out", "o"], ["batch", "--county-dirs", "d", "--out", "o", "-q"],
])
def test_quiet_before_or_after_the_subcommand(argv):
    args = build_parser().parse_args(argv)
    assert args.quiet is True and args.verbose == 0


def test_verbose_and_quiet_defaults_survive_the_subcommand():
    assert (build_parser().parse_args(["-vv", "score", "RUN"]).verbose,
            build_parser().parse_args(["score", "RUN", "-v"]).verbose,
            build_parser().parse_args(["score", "RUN"]).verbose,
            build_parser().parse_args(["score", "RUN"]).quiet) == (2, 1, 0, False)


def test_map_facility_set_option_and_its_old_name():
    parser = build_parser()
    assert parser.parse_args(["map", "run", "--facility-set", "zhongyige"]).facility_set == "zhongyige"
    assert parser.parse_args(["map", "run", "--target", "county_tcm"]).facility_set == "county_tcm"
    assert parser.parse_args(["map", "run"]).facility_set == "tcm_any"
    with pytest.raises(SystemExit):
        parser.parse_args(["map", "run", "--facility-set", "tcm_any_upper"])


def test_one_mapping_from_options_to_config(tmp_path):
    from tcm_coverage.batch.parser import add_batch_arguments

    files = ["--facilities", "f.csv", "--boundary", "b.geojson", "--population", "p.tif",
             "--network", "r.osm", "--facilities-datum", "gcj02"]
    options = ["--out", str(tmp_path), "--mode", "walk", "car", "--threshold", "10", "15",
               "--speed", "car:primary=50", "--offroad-speed", "3", "--no-map", "--lang", "en",
               "--basemap", "none", "--population-column", "人口"]
    ana = config_from_args(build_parser().parse_args(["analyze", *files, *options]))
    batch = argparse.ArgumentParser()
    add_batch_arguments(batch)
    prov = config_from_args(batch.parse_args([*files, *options]))
    assert ana == prov  # analyze and province-wide batch read the same options the same way
    assert ana.inputs.facilities == Path("f.csv") and ana.inputs.facilities_datum == "gcj02"
    assert ana.options.modes == ("walk", "car") and ana.options.thresholds == (10.0, 15.0)
    assert ana.options.speed_overrides == {"car": {"primary": 50.0}}
    assert ana.options.offroad_kmh == {"walk": 3.0, "car": 3.0}
    assert (ana.rendering.write_map, ana.rendering.lang, ana.rendering.basemap,
            ana.inputs.population_column) == (False, "en", "none", "人口")
    assert ana.out_dir == tmp_path
    with pytest.raises(argparse.ArgumentTypeError, match="--speed"):
        config_from_args(build_parser().parse_args(["analyze", *files, *options, "--speed", "car"]))


def test_pages_inline_leaflet_unless_cdn(demo_run, tmp_path):
    """Every command writes pages that open offline unless --cdn: the demo's map and report
    inline Leaflet (nothing from jsdelivr), run.json says so; --self-contained (the old opt-in)
    is still accepted; --cdn links the CDN; the two together are refused."""
    from tcm_coverage.batch.parser import add_batch_arguments
    from tcm_coverage.cli.options import render_overrides

    for name in ("map.html", "report.html"):
        page = (demo_run / name).read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in page and "Leaflet 1.9.3" in page, name
    assert json.loads((demo_run / "run.json").read_text(encoding="utf-8"))["config"]["self_contained"] is True
    parser = build_parser()
    for command in (["map", "RUN"], ["report", "RUN"], ["score", "RUN"]):
        assert render_overrides(parser.parse_args(command))["self_contained"] is True
        assert render_overrides(parser.parse_args([*command, "--self-contained"]))["self_contained"] is True
        assert render_overrides(parser.parse_args([*command, "--cdn"]))["self_contained"] is False
        with pytest.raises(SystemExit):
            parser.parse_args([*command, "--cdn", "--self-contained"])
    files = ["--facilities", "f.csv", "--boundary", "b.geojson", "--population", "p.tif",
             "--network", "r.osm", "--out", str(tmp_path)]
    assert config_from_args(parser.parse_args(["analyze", *files])).rendering.self_contained
    assert not config_from_args(parser.parse_args(["analyze", *files, "--cdn"])).rendering.self_contained
    batch = argparse.ArgumentParser()
    add_batch_arguments(batch)
    assert config_from_args(batch.parse_args(files)).rendering.self_contained
    assert not config_from_args(batch.parse_args([*files, "--cdn"])).rendering.self_contained
    assert main(["-q", "map", str(demo_run), "--cdn", "--out", str(tmp_path / "cdn")]) == 0
    (cdn,) = (tmp_path / "cdn").glob("map_*.html")
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3" in cdn.read_text(encoding="utf-8")


def test_map_and_report_subcommands(demo_run, tmp_path, capsys):
    out = tmp_path / "maps"  # --out is a folder; the map is named after what it shows
    code = main(["-q", "map", str(demo_run), "--mode", "walk", "--threshold", "10", "--facility-set",
                 "zhongyige", "--basemap", "amap", "--self-contained", "--out", str(out)])
    assert code == 0
    page = (out / "map_walk_10_zhongyige.html").read_text(encoding="utf-8")
    assert "autonavi.com" in page and "<script src=" not in page
    assert "中医阁10分钟可达覆盖（步行）" in page
    code = main(["-q", "report", str(demo_run / "run.json"), "--lang", "en", "--out", str(tmp_path / "rep")])
    assert code == 0
    report = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "15-minute access to TCM services" in report and "srcdoc=" in report
    assert (tmp_path / "rep" / "report.docx").stat().st_size > 0  # the Word report beside it
    book = openpyxl.load_workbook(tmp_path / "rep" / "coverage.xlsx", read_only=True)
    assert "county coverage" in book.sheetnames
    code = main(["-q", "score", str(demo_run), "--profile", "national", "yantai", "--out",
                 str(tmp_path / "score")])
    assert code == 0
    for name in ("scorecard_national.xlsx", "scorecard_yantai.html", "report.html"):
        assert (tmp_path / "score" / name).stat().st_size > 0
    yantai = pd.read_excel(tmp_path / "score" / "scorecard_yantai.xlsx", sheet_name="目标对照")
    ge = yantai[(yantai["名称"] == "屯留区") & (yantai["指标"].str.contains("中医阁"))]
    assert len(ge) == 1 and ge["是否达标"].iloc[0] == "未达标"  # 16/154 < 20 %
    assert "还需 15 个中医阁" in ge["差距"].iloc[0]
    assert "规划目标对照" in (tmp_path / "score" / "report.html").read_text(encoding="utf-8")
    assert main(["-q", "score", str(demo_run), "--profile", "atlantis"]) == 2
    assert "atlantis" in capsys.readouterr().err
    # bad requests: exit 2, a message that says what to do, nothing written
    assert main(["-q", "map", str(tmp_path / "nowhere")]) == 2
    assert "run.json not found" in capsys.readouterr().err
    assert main(["-q", "map", str(demo_run), "--mode", "tractor", "--out", str(tmp_path / "x")]) == 2
    assert "unknown mode" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_map_format_png_writes_a_print_plate(demo_run, tmp_path, capsys):
    from matplotlib import image as mpimg

    out = tmp_path / "plate.png"
    code = main(["-q", "map", str(demo_run), "--format", "png", "--paper", "a3", "--orientation",
                 "landscape", "--dpi", "100", "--mode", "walk", "--threshold", "10", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    px = mpimg.imread(out)
    assert px.shape[:2] == (round(297 / 25.4 * 100), round(420 / 25.4 * 100))  # A3 landscape
    assert px[..., :3].std() > 0.1
    assert list(tmp_path.iterdir()) == [out]  # one file, no litter
    # refused before anything is computed: an --out of another format, missing tiles
    assert main(["-q", "map", str(demo_run), "--format", "pdf", "--out", str(tmp_path / "p.png")]) == 2
    assert "does not end in .pdf" in capsys.readouterr().err
    assert main(["-q", "map", str(demo_run), "--format", "png", "--out", str(tmp_path / "q.png"),
                 "--basemap-tiles", str(tmp_path / "none.mbtiles")]) == 2
    assert "basemap tiles do not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [out]
    head = (demo_run / "map.png").read_bytes()[:8]
    assert head == b"\x89PNG\r\n\x1a\n" and (demo_run / "map.pdf").read_bytes()[:5] == b"%PDF-"


def _analyze(tmp_path, **overrides):
    args = {
        "--facilities": DATA / "facilities" / "demo_facilities_gcj02.csv",
        "--facilities-datum": "gcj02",
        "--boundary": DATA / "boundaries" / "tunliu_140405_county_wgs84.geojson",
        "--townships": DATA / "boundaries" / "demo_townships_wgs84.geojson",
        "--population": DATA / "population" / "demo_villages.csv",
        "--network": DATA / "roads" / "demo_roads.osm",
        "--out": tmp_path / "out",
    }
    args.update(overrides)
    argv = [sys.executable, "-m", "tcm_coverage", "-q", "analyze"]
    for key, value in args.items():
        argv += [key, str(value)]
    argv += ["--mode", "ebike", "--lang", "en", "--no-map"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=600)


def test_analyze_subprocess_villages_english(tmp_path):
    proc = _analyze(tmp_path)
    assert proc.returncode == 0, proc.stderr
    county = pd.read_csv(tmp_path / "out" / "coverage_county.csv", encoding="utf-8-sig")
    assert "share within 15 min" in county.columns
    villages = pd.read_csv(DATA / "population" / "demo_villages.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(county["population"].iloc[0], villages["人口"].sum(), rtol=1e-6)
    assert not (tmp_path / "out" / "map.html").exists()


def _bad_facilities(tmp_path, edit):
    frame = pd.read_csv(DATA / "facilities" / "demo_facilities_gcj02.csv", encoding="utf-8-sig", dtype=str)
    edit(frame)
    path = tmp_path / "bad_facilities.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _assert_failed_cleanly(proc, tmp_path, *needles):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
    assert "Fix:" in proc.stderr
    assert not (tmp_path / "out").exists()  # nothing written
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp")]


def test_bad_facility_row(tmp_path):
    def edit(f):
        f.loc[4, "纬度"] = ""
    proc = _analyze(tmp_path, **{"--facilities": _bad_facilities(tmp_path, edit)})
    _assert_failed_cleanly(proc, tmp_path, "bad_facilities.csv", "row 6", "blank")


def test_unknown_facility_type(tmp_path):
    def edit(f):
        f.loc[0, "类型"] = "中医药大学"
    proc = _analyze(tmp_path, **{"--facilities": _bad_facilities(tmp_path, edit)})
    _assert_failed_cleanly(proc, tmp_path, "row 2", "中医药大学", "村卫生室")


def _east_of_county(km: float) -> tuple[str, str]:
    """GCJ-02 lon/lat ``km`` east of the county's easternmost vertex (no demo road there)."""
    from tcm_coverage.inputs import wgs84_to_gcj02

    county = gpd.read_file(DATA / "boundaries" / "tunliu_140405_county_wgs84.geojson")
    xy = county.get_coordinates().to_numpy()
    x, y = xy[np.argmax(xy[:, 0])]
    lon, lat = wgs84_to_gcj02(np.array([x + km / (111.32 * np.cos(np.radians(y)))]), np.array([y]))
    return f"{lon[0]:.6f}", f"{lat[0]:.6f}"


def test_facility_off_the_network(tmp_path):
    def edit(f):  # 3 km outside the county: within the 5 km buffer, but no road near it
        f.loc[2, "经度"], f.loc[2, "纬度"] = _east_of_county(3.0)
    proc = _analyze(tmp_path, **{"--facilities": _bad_facilities(tmp_path, edit)})
    _assert_failed_cleanly(proc, tmp_path, "row 4", "from the nearest road")


def test_province_wide_facility_file_keeps_those_near_the_county(tmp_path):
    """Facilities far outside the county are left out with a note naming them (issue 16)."""
    base = pd.read_csv(DATA / "facilities" / "demo_facilities_gcj02.csv", encoding="utf-8-sig",
                       dtype=str)
    far = base.iloc[:3].copy()  # three of another county, 60 km east
    far["编号"] = ["X1", "X2", "X3"]
    far["名称"] = ["邻县甲卫生院", "邻县乙卫生室", "邻县丙卫生室"]
    far["经度"] = "113.6"
    path = tmp_path / "province.csv"
    pd.concat([base, far]).to_csv(path, index=False, encoding="utf-8-sig")
    proc = _analyze(tmp_path, **{"--facilities": path})
    assert proc.returncode == 0, proc.stderr
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    note = [w for w in run["warnings"] if "left out" in w]
    assert len(note) == 1 and "3 facilities more than 5 km outside" in note[0]
    assert "邻县甲卫生院 (row" in note[0]
    own = _analyze(tmp_path / "own", **{"--out": tmp_path / "own" / "out"})
    assert own.returncode == 0, own.stderr
    a = pd.read_csv(tmp_path / "out" / "coverage_county.csv")
    b = pd.read_csv(tmp_path / "own" / "out" / "coverage_county.csv")
    pd.testing.assert_frame_equal(a, b)  # the far ones change nothing


def test_empty_facilities(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("名称,类型,经度,纬度\n", encoding="utf-8")
    proc = _analyze(tmp_path, **{"--facilities": path})
    _assert_failed_cleanly(proc, tmp_path, "empty.csv", "no facilities")


def test_boundary_in_wrong_crs(tmp_path):
    county = gpd.read_file(DATA / "boundaries" / "tunliu_140405_county_wgs84.geojson")
    metres = county.to_crs(32649).set_crs(4326, allow_override=True)  # metres mislabelled as degrees
    path = tmp_path / "county_metres.geojson"
    metres.to_file(path)
    proc = _analyze(tmp_path, **{"--boundary": path})
    _assert_failed_cleanly(proc, tmp_path, "county_metres.geojson")


def test_boundary_with_no_population(tmp_path):
    # A county-shaped box 100 km away from the villages: nobody lives inside it.
    path = tmp_path / "elsewhere.geojson"
    gpd.GeoDataFrame({"code": ["999999"], "name": ["无人区"]}, geometry=[box(114.0, 38.0, 114.2, 38.2)],
                     crs=4326).to_file(path)
    proc = _analyze(tmp_path, **{"--boundary": path, "--population": DATA / "population" / "demo_population.tif"})
    _assert_failed_cleanly(proc, tmp_path, "population")


def test_failed_run_keeps_previous_outputs(tmp_path):
    proc = _analyze(tmp_path)
    assert proc.returncode == 0, proc.stderr
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir() if p.is_file()}

    def edit(f):
        f.loc[1, "经度"] = "0"
    proc = _analyze(tmp_path, **{"--facilities": _bad_facilities(tmp_path, edit)})
    assert proc.returncode == 2
    after = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir() if p.is_file()}
    assert after == before


def test_help_and_bad_mode(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "analyze" in capsys.readouterr().out
    code = main(["-q", "demo", "--out", str(tmp_path / "x"), "--mode", "rocket"])
    assert code == 2
    assert "rocket" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_interrupt_is_exit_130_with_one_line(monkeypatch, capsys):
    import importlib

    cli_main = importlib.import_module("tcm_coverage.cli.main")  # the module (cli.main is the function)

    def interrupted(args, parser):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "_command", interrupted)
    assert main(["report", "RUN"]) == 130
    err = capsys.readouterr().err
    assert err.startswith("interrupted") and "Traceback" not in err


def test_readme_quick_start_names_the_commands():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "tcm-coverage demo" in readme
    assert "python -m pytest" in readme
