"""Site-selection scenarios end to end on the demo county: files, CLI, outputs read back, and
the plan's coverage checked by recomputing travel times with the chosen clinics upgraded."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from test_maps import layer_names

from tcm_coverage._errors import InputError
from tcm_coverage.access.compute import compute_access
from tcm_coverage.cli.main import main
from tcm_coverage.demo import demo_data_dir
from tcm_coverage.workflows import load_scenario, run_scenario

SCENARIOS = demo_data_dir() / "scenarios"


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BASE = """
[scenario]
name = "t"
[data]
demo = true
[candidates]
kinds = ["upgrade"]
[model]
type = "max_cover"
p = 3
"""


@pytest.mark.parametrize(("edit", "needle"), [
    (lambda s: s.replace("p = 3", "p = 3\npp = 1"), "[model.pp] is not a known key"),
    (lambda s: s.replace('type = "max_cover"', 'type = "best"'), "[model.type] unknown model 'best'"),
    (lambda s: s.replace("p = 3", ""), "[model.p] max_cover needs p or budget"),
    (lambda s: s.replace("p = 3", "p = 2.5"), "[model.p] must be a whole number"),
    (lambda s: s + '[access]\nmode = "rocket"\n', "[access.mode] unknown mode 'rocket'"),
    (lambda s: s.replace('kinds = ["upgrade"]', 'kinds = ["tent"]'), "[candidates.kinds]"),
    (lambda s: s.replace("demo = true", 'facilities = "nowhere.csv"'), "[data.facilities] file not found"),
    (lambda s: s.replace('name = "t"', 'name = "a b"'), "[scenario.name]"),
    (lambda s: s + "[extra]\n", "[extra] is not a scenario section"),
    (lambda s: s.replace("p = 3", "p = "), "not valid TOML"),
    (lambda s: s + '[map]\nself_contained = "no"\n', "[map.self_contained] must be true or false"),
])
def test_bad_scenarios_name_the_key_and_fix(tmp_path, edit, needle):
    path = write(tmp_path, edit(BASE))
    with pytest.raises(InputError) as info:
        load_scenario(path)
    text = str(info.value)
    assert needle in text and "s.toml" in text and "Fix:" in text


def test_demo_scenarios_load(tmp_path):
    for path in sorted(SCENARIOS.glob("*.toml")):
        scn = load_scenario(path)
        assert scn.mode == "ebike" and scn.threshold == 15
        assert scn.self_contained is True  # the map opens offline unless [map] self_contained = false
    assert load_scenario(write(tmp_path, BASE + "[map]\nself_contained = false\n")).self_contained is False
    assert {p.stem for p in SCENARIOS.glob("*.toml")} == {"upgrade_only", "budget_mix", "cover_all",
                                                         "ranked_quota"}


@pytest.fixture(scope="module")
def site_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "scenarios"
    names = ("budget_mix", "cover_all", "upgrade_only")  # ranked_quota: tests/test_upgrade_order.py
    code = main(["-q", "site", *(str(SCENARIOS / f"{n}.toml") for n in names), "--out", str(out)])
    assert code == 0
    return out


def test_site_cli_outputs(site_run):
    comp = pd.read_csv(site_run / "comparison.csv", encoding="utf-8-sig")
    assert list(comp["方案"]) == ["budget_mix", "cover_all", "upgrade_only"]
    comp = comp.set_index("方案")
    assert (comp["规划后覆盖率"] > comp["规划前覆盖率"]).all()
    assert comp["已证明最优"].all()
    up = comp.loc["upgrade_only"]
    assert up["选中点数"] == 15 and up["升级中医阁"] == 15 and up["新建村卫生室"] == 0 and up["成本"] == 15
    mix = comp.loc["budget_mix"]
    assert mix["成本"] <= 60 and mix["新建村卫生室"] >= 1
    # more money buys at least as much coverage; the full plan covers everyone reachable
    assert up["规划后覆盖率"] <= mix["规划后覆盖率"] <= comp.loc["cover_all", "规划后覆盖率"]
    full = comp.loc["cover_all"]
    assert full["仍在阈值外人口"] == full["任何候选点都无法覆盖的人口"] > 0
    for name in ("upgrade_only", "budget_mix", "cover_all"):
        folder = site_run / name
        sites = gpd.read_file(folder / "sites.gpkg")
        assert len(sites) == comp.loc[name, "选中点数"]
        book = pd.read_excel(folder / "sites.xlsx", sheet_name=None)
        assert set(book) == {"选址", "乡镇前后对比", "全部候选点", "方案摘要"}
        towns = book["乡镇前后对比"]
        body = towns[towns["区划代码"] != "total"]
        total = towns[towns["区划代码"] == "total"].iloc[0]
        assert body["新覆盖人口"].sum() == pytest.approx(total["新覆盖人口"], abs=len(body))
        assert total["新覆盖人口"] == comp.loc[name, "新覆盖人口"]
        assert (book["选址"]["新覆盖人口"] >= book["选址"]["仅由该点新覆盖人口"]).all()
        page = (folder / "map.html").read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in page and "Leaflet 1.9.3" in page  # opens offline
        names = layer_names(page)
        assert f"规划选址（{len(sites)}）" in names and "规划新增覆盖范围" in names
        record = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        assert record["summary"]["status"] == "optimal" and record["inputs"]["scenario"]["sha256"]
        assert (folder / "scenario.toml").read_text(encoding="utf-8") == \
            (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8")


def test_upgrade_plan_recomputed_independently(demo_computed, tmp_path):
    """Give the chosen clinics a 中医阁 and recompute the travel times from scratch: the share
    within 15 minutes is the one the model promised."""
    run, config = demo_computed
    scn = load_scenario(SCENARIOS / "upgrade_only.toml")
    scn = replace(scn, p=6, config=scn.config.updated(modes=("ebike",), thresholds=(15.0,)))
    sr = run_scenario(scn, run=run, progress=False)
    assert len(sr.sites) == 6 and (sr.sites["kind"] == "upgrade").all()
    fac = run.access.facilities.copy()
    chosen = fac["facility_id"].astype(str).isin(sr.sites["facility_id"].astype(str))
    assert chosen.sum() == 6 and not fac.loc[chosen, "zhongyige"].any()
    fac.loc[chosen, "zhongyige"] = True
    again = compute_access(run.access.demand[["population", "geometry"]], fac, run.network,
                           modes=("ebike",), facility_sets=("tcm_any",), progress=False)
    pop = again.demand["population"].to_numpy(float)
    share = pop[again.demand["t_tcm_any_ebike"].to_numpy(float) <= 15].sum() / pop.sum()
    assert share == pytest.approx(sr.summary["share_after"], abs=1e-9)
    np.testing.assert_allclose(np.minimum(sr.result.minutes, 15.0001),
                               np.minimum(again.demand["t_tcm_any_ebike"].to_numpy(float), 15.0001),
                               atol=1e-9)


def test_overrides_force_and_exclude(demo_computed, tmp_path):
    run, _config = demo_computed
    base = load_scenario(SCENARIOS / "upgrade_only.toml")
    first = run_scenario(replace(base, p=3), run=run, progress=False)
    best = first.sites["candidate_id"].iloc[0]
    table = pd.DataFrame({"candidate_id": [best, "UF0100"], "排除": ["是", ""], "必选": ["", "是"],
                          "成本": ["", "2.5"]})
    table.to_csv(tmp_path / "over.csv", index=False, encoding="utf-8-sig")
    scn = replace(base, p=3, overrides=tmp_path / "over.csv")
    sr = run_scenario(scn, run=run, progress=False)
    ids = set(sr.sites["candidate_id"])
    assert best not in ids and "UF0100" in ids
    assert sr.sites.set_index("candidate_id").loc["UF0100", "cost"] == 2.5
    # the same table saved by Excel on Chinese Windows (GBK), read by the one table reader
    table.to_csv(tmp_path / "over_gbk.csv", index=False, encoding="gbk")
    gbk = run_scenario(replace(base, p=3, overrides=tmp_path / "over_gbk.csv"), run=run, progress=False)
    assert list(gbk.sites["candidate_id"]) == list(sr.sites["candidate_id"])
    bad = pd.DataFrame({"candidate_id": ["nope"], "必选": ["是"]})
    bad.to_csv(tmp_path / "bad.csv", index=False, encoding="utf-8-sig")
    with pytest.raises(InputError, match="no candidate 'nope'"):
        run_scenario(replace(base, p=3, overrides=tmp_path / "bad.csv"), run=run, progress=False)


def _candidates():
    return gpd.GeoDataFrame(
        {"candidate_id": ["U1", "U2", "U3"], "name": ["甲村卫生室", "乙村卫生室", "丙村卫生室"],
         "cost": [1.0, 1.0, 1.0], "force": [False, False, True], "exclude": [False, False, True]},
        geometry=gpd.points_from_xy([112.8, 112.9, 113.0], [36.3, 36.3, 36.3]), crs=4326)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_overrides_table_encodings_and_yes_no_words(tmp_path, encoding):
    """The overrides table is read by the one table reader (GBK as Excel on Chinese Windows
    saves it, UTF-8 with or without BOM) and its yes/no cells with the one vocabulary: 有, ✓
    and t are yes (they were errors here while the facility reader took them), 未知 keeps the
    candidate's setting, and the alias table of the candidate columns (费用 = cost) is shared."""
    from tcm_coverage.workflows.scenario_run import _apply_overrides

    path = tmp_path / "over.csv"
    tick, cross = ("√", "×") if encoding == "gbk" else ("✓", "✗")  # GBK has no ✓/✗
    pd.DataFrame({"名称": ["甲村卫生室", "乙村卫生室", "丙村卫生室"], "必选": ["有", tick, "未知"],
                  "排除": ["t", "没有", cross], "费用": ["2.5", "", "3"]}).to_csv(
        path, index=False, encoding=encoding)
    out = _apply_overrides(_candidates(), path)
    assert out["force"].tolist() == [True, True, True]
    assert out["exclude"].tolist() == [True, False, False]
    assert out["cost"].tolist() == [2.5, 1.0, 3.0]


def test_overrides_table_bad_yes_no_names_the_row(tmp_path):
    from tcm_coverage.workflows.scenario_run import _apply_overrides

    path = tmp_path / "over.csv"
    pd.DataFrame({"candidate_id": ["U1", "U2"], "必选": ["是", "也许"]}).to_csv(
        path, index=False, encoding="gbk")
    with pytest.raises(InputError, match="必选 '也许' is not yes/no") as err:
        _apply_overrides(_candidates(), path)
    assert err.value.row == 3


def test_new_area_reuses_the_run_cells(demo_computed, monkeypatch):
    """The scenario's newly covered area takes the run's 100 m cells snapped on the same graph
    (no grid laid, no cell snapped again) and finds the same area as cells laid afresh."""
    import tcm_coverage.workflows.scenario_run as scenario_mod

    run, _config = demo_computed
    assert set(run.access.cells) == {"walk", "ebike"}
    scn = load_scenario(SCENARIOS / "upgrade_only.toml")
    scn = replace(scn, p=3, config=scn.config.updated(modes=("ebike",), thresholds=(15.0,)))
    laid = []
    real = scenario_mod.surface_points
    monkeypatch.setattr(scenario_mod, "surface_points", lambda *a, **k: laid.append(1) or real(*a, **k))
    reused = run_scenario(scn, run=run, progress=False)
    assert laid == []
    fresh = run_scenario(scn, run=replace(run, access=replace(run.access, cells={})), progress=False)
    assert laid == [1]
    assert list(fresh.sites["candidate_id"]) == list(reused.sites["candidate_id"])
    assert fresh.new_area["area_km2"].iloc[0] > 0
    assert fresh.new_area.drop(columns="geometry").equals(reused.new_area.drop(columns="geometry"))
    assert fresh.new_area.geometry.geom_equals_exact(reused.new_area.geometry, tolerance=0).all()
