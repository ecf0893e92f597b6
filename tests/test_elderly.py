"""Residents 65+: a second demand layer routed on the run's graphs, its shares beside all
residents (hand-computed on a straight road), its readers and the real WorldPop 65+ raster."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely

from tcm_coverage._errors import InputError
from tcm_coverage.access import (
    AccessOptions,
    compute_access,
    coverage_tables,
    elderly_routing,
    elderly_tables,
    elderly_times,
)
from tcm_coverage.inputs import elderly_from_demand, points_from_table, read_population_65plus
from tcm_coverage.network import RoadNetwork, build_routing_graph, get_profile, reweighted_graph
from tcm_coverage.outputs import column_label
from tcm_coverage.vocab import POPULATION_65PLUS, elderly_column, share_column

CRS_M = "EPSG:32649"
_TO_M = pyproj.Transformer.from_crs("EPSG:4326", CRS_M, always_xy=True)
_TO_LL = pyproj.Transformer.from_crs(CRS_M, "EPSG:4326", always_xy=True)
X0, Y0 = _TO_M.transform(112.9, 36.3)
WUHAN = Path("/work/shared/data/worldpop-wuhan")


def ll(x, y):
    lon, lat = _TO_LL.transform(X0 + np.asarray(x, float), Y0 + np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


@pytest.fixture
def road() -> RoadNetwork:
    """A straight 3 km residential road: walking 4.8 km/h = 80 m/min, elderly 3.6 = 60 m/min."""
    xs = np.array([0.0, 1000.0, 2000.0, 3000.0])
    lon, lat = ll(xs, np.zeros(4))
    u, v = np.array([0, 1, 2]), np.array([1, 2, 3])
    geoms = shapely.linestrings(np.stack([np.c_[xs[u], [0] * 3], np.c_[xs[v], [0] * 3]], axis=1)
                                + [X0, Y0])
    return RoadNetwork(node_id=np.arange(4), lon=lon, lat=lat, u=u, v=v,
                       length_m=shapely.length(geoms), highway=np.full(3, "residential", object),
                       oneway=np.zeros(3, bool), maxspeed_kmh=np.full(3, np.nan),
                       geometry_m=np.asarray(geoms, dtype=object), crs_m=CRS_M, source="test")


def _points(xs, ys=None, **cols) -> gpd.GeoDataFrame:
    lon, lat = ll(xs, np.zeros(len(xs)) if ys is None else ys)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(lon, lat), crs=4326)


@pytest.fixture
def facilities() -> gpd.GeoDataFrame:
    return _points([0.0], facility_id=["F1"], name=["县中医院"], tier=["county_tcm"],
                   kind=["county_tcm_hospital"],
                   zhongyiguan=pd.array([pd.NA], dtype="boolean"),
                   zhongyige=pd.array([pd.NA], dtype="boolean"), is_tcm_clinic=[False],
                   source_row=[2])


@pytest.fixture
def county() -> gpd.GeoDataFrame:
    lon, lat = ll([-500, 3500], [-500, 500])
    return gpd.GeoDataFrame({"code": ["C1"], "name": ["县"]},
                            geometry=[shapely.box(lon[0], lat[0], lon[1], lat[1])], crs=4326)


OPTS = AccessOptions(direct_offroad_m=0.0)
SETS = ("tcm_any", "county_tcm")


def _access(road, facilities, demand, modes=("walk", "ebike")):
    return compute_access(demand, facilities, road, modes=modes, facility_sets=SETS, options=OPTS,
                          progress=False)


def test_elderly_walk_is_slower_by_hand(road, facilities) -> None:
    # residents on the road (no off-road leg) at 600, 1200 and 2400 m from the hospital
    demand = _points([600.0, 1200.0, 2400.0], population=[100.0, 200.0, 300.0])
    access = _access(road, facilities, demand)
    np.testing.assert_allclose(access.demand["t_tcm_any_walk"], [7.5, 15.0, 30.0], atol=1e-6)
    old = _points([600.0, 1200.0, 2400.0], population=[10.0, 40.0, 50.0])
    times = elderly_times(old, access, options=OPTS)
    # 60 m/min: 10, 20, 40 minutes = the walk times x 4.8/3.6
    np.testing.assert_allclose(times["t_tcm_any_walk"], [10.0, 20.0, 40.0], atol=1e-6)
    np.testing.assert_allclose(times["t_tcm_any_walk"], access.demand["t_tcm_any_walk"] * 4.8 / 3.6,
                               atol=1e-6)
    # e-bike: the same profile for everybody
    np.testing.assert_allclose(times["t_tcm_any_ebike"], access.demand["t_tcm_any_ebike"], atol=1e-9)


def test_offroad_leg_at_the_elderly_pace(road, facilities) -> None:
    # a point 90 m off the road at x=600: off road 90 m at 2.7 km/h (45 m/min) = 2 min, then
    # 600 m at 60 m/min = 10 min
    demand = _points([600.0], [90.0], population=[10.0])
    access = _access(road, facilities, demand, modes=("walk",))
    times = elderly_times(demand, access, options=OPTS)
    assert float(times["t_tcm_any_walk"].iloc[0]) == pytest.approx(12.0, abs=1e-3)
    assert float(access.demand["t_tcm_any_walk"].iloc[0]) == pytest.approx(90 / 60 + 7.5, abs=1e-3)


def test_other_points_snap_on_the_same_graph(road, facilities) -> None:
    demand = _points([600.0, 1200.0], population=[100.0, 200.0])
    access = _access(road, facilities, demand, modes=("walk",))
    old = _points([900.0, 2700.0], population=[5.0, 5.0])  # not the residents' points
    routing = elderly_routing(old, access, options=OPTS)
    assert routing["walk"].graph.profile.mode == "walk_elderly"
    assert routing["walk"].graph.routable is access.routing["walk"].graph.routable  # no piece search
    times = elderly_times(old, access, options=OPTS)
    np.testing.assert_allclose(times["t_tcm_any_walk"], [15.0, 45.0], atol=1e-6)


def test_reweighted_graph_equals_a_built_one(road) -> None:
    walk = build_routing_graph(road, get_profile("walk"))
    slow = get_profile("walk_elderly")
    a, b = reweighted_graph(walk, slow), build_routing_graph(road, slow)
    np.testing.assert_allclose(a.csr.toarray(), b.csr.toarray())
    np.testing.assert_array_equal(a.routable, b.routable)


def test_tables_shares_by_hand(road, facilities, county) -> None:
    demand = _points([600.0, 1200.0, 2400.0], population=[100.0, 200.0, 300.0])
    access = _access(road, facilities, demand)
    tables = coverage_tables(access.demand, access.facilities, counties=county, townships=None,
                             modes=("walk", "ebike"), facility_sets=SETS, thresholds=(15.0, 30.0))
    for col in (POPULATION_65PLUS, "share_65plus_within_15"):
        assert col not in tables.county  # no 65+ input: no columns, not zeros
    old = elderly_times(_points([600.0, 1200.0, 2400.0], population=[10.0, 40.0, 50.0]), access,
                        options=OPTS)
    out = elderly_tables(tables, old, counties=county, townships=None, modes=("walk", "ebike"),
                         facility_sets=SETS, thresholds=(15.0, 30.0))
    walk = out.county[out.county["mode"] == "walk"].iloc[0]
    assert walk["share_within_15"] == pytest.approx(300 / 600)   # 7.5 and 15 min
    assert walk[POPULATION_65PLUS] == pytest.approx(100.0)
    assert walk["pop_65plus_within_15"] == pytest.approx(10.0)   # only the 10-min point
    assert walk["share_65plus_within_15"] == pytest.approx(0.1)
    assert walk["share_65plus_within_30"] == pytest.approx(0.5)  # 10 and 20 min, not 40
    ebike = out.county[out.county["mode"] == "ebike"].iloc[0]
    assert ebike["share_65plus_within_15"] == pytest.approx(1.0)  # 2.4 km by e-bike < 15 min
    long = out.by_facility_set
    row = long[(long["mode"] == "walk") & (long["target"] == "county_tcm")].iloc[0]
    assert row["share_65plus_within_15"] == pytest.approx(0.1)


def test_column_names_and_labels() -> None:
    assert elderly_column(share_column(15)) == "share_65plus_within_15"
    assert column_label("share_65plus_within_15", "zh") == "65岁以上15分钟覆盖率"
    assert column_label(POPULATION_65PLUS, "en") == "residents 65+"


def test_village_table_65plus_column(tmp_path) -> None:
    path = tmp_path / "villages.csv"
    path.write_text("名称,经度,纬度,人口,65岁以上人口\n甲村,112.9,36.3,1000,180\n乙村,112.91,36.31,500,90\n",
                    encoding="utf-8")
    demand = points_from_table(path)
    assert demand[POPULATION_65PLUS].tolist() == [180.0, 90.0]
    old = elderly_from_demand(demand)
    assert old is not None and old["population"].tolist() == [180.0, 90.0]
    assert POPULATION_65PLUS not in old
    assert read_population_65plus(path)["population"].tolist() == [180.0, 90.0]
    plain = tmp_path / "plain.csv"
    plain.write_text("名称,经度,纬度,人口\n甲村,112.9,36.3,1000\n", encoding="utf-8")
    assert elderly_from_demand(points_from_table(plain)) is None


def test_village_table_65plus_errors(tmp_path) -> None:
    path = tmp_path / "villages.csv"
    path.write_text("名称,经度,纬度,人口,老年人口\n甲村,112.9,36.3,1000,\n乙村,112.91,36.31,50,90\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="65\\+") as err:
        points_from_table(path)
    assert err.value.row == 2
    path.write_text("名称,经度,纬度,人口,老年人口\n甲村,112.9,36.3,1000,10\n乙村,112.91,36.31,50,90\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="more residents 65\\+") as err:
        points_from_table(path)
    assert err.value.row == 3


@pytest.mark.skipif(not WUHAN.exists(), reason="shared WorldPop Wuhan data not available")
def test_worldpop_wuhan_65plus_sums_and_share() -> None:
    def total(name: str) -> float:
        with rasterio.open(WUHAN / name) as src:
            a = src.read(1).astype(np.float64)
        return float(a[np.isfinite(a) & (a >= 0)].sum())

    elderly = read_population_65plus(WUHAN / "wuhan_elderly_65plus_clip.tif")
    adults = read_population_65plus(WUHAN / "wuhan_adults_20plus_clip.tif")
    assert elderly["population"].sum() == pytest.approx(total("wuhan_elderly_65plus_clip.tif"), rel=1e-6)
    assert adults["population"].sum() == pytest.approx(total("wuhan_adults_20plus_clip.tif"), rel=1e-6)
    share = elderly["population"].sum() / adults["population"].sum()
    assert share == pytest.approx(420224.2 / 3094439.3, rel=1e-4)  # 13.6 % of adults are 65+
    # the female 65-70 band is a part of the 65+ sum, cell by cell
    f65 = read_population_65plus(WUHAN / "pop_65_f_wuhan_clip.tif")
    both = pd.merge(pd.DataFrame({"x": f65.geometry.x.round(7), "y": f65.geometry.y.round(7),
                                  "f": f65["population"]}),
                    pd.DataFrame({"x": elderly.geometry.x.round(7), "y": elderly.geometry.y.round(7),
                                  "e": elderly["population"]}), on=["x", "y"])
    assert len(both) == len(f65) and (both["f"] <= both["e"] + 1e-3).all()


def test_tables_65plus_ignore_stale_area_codes(road, facilities, county) -> None:
    demand = _points([600.0, 1200.0, 2400.0], population=[100.0, 200.0, 300.0])
    access = _access(road, facilities, demand)
    kw = dict(counties=county, townships=None, modes=("walk", "ebike"), facility_sets=SETS,
              thresholds=(15.0, 30.0))
    tables = coverage_tables(access.demand, access.facilities, **kw)
    old = elderly_times(_points([600.0, 1200.0, 2400.0], population=[10.0, 40.0, 50.0]), access,
                        options=OPTS)
    old.insert(0, "county_code", "OLD")  # codes of other boundaries
    out = elderly_tables(tables, old, **kw)
    walk = out.county[out.county["mode"] == "walk"].iloc[0]
    assert walk["code"] == "C1" and walk[POPULATION_65PLUS] == pytest.approx(100.0)
    assert walk["share_65plus_within_15"] == pytest.approx(0.1)


def test_modes_routed_like_everybody_take_the_run_times(road, facilities, monkeypatch) -> None:
    """E-bike residents 65+ on the residents' points are routed exactly as everybody: their
    times are the run's (no second search); walking, or other options, are routed again."""
    import tcm_coverage.access.elderly as elderly_mod

    demand = _points([600.0, 1200.0, 2400.0], [0.0, 50.0, 0.0], population=[100.0, 200.0, 300.0])
    access = _access(road, facilities, demand)
    calls: list[str] = []
    real = elderly_mod.nearest_facility_times

    def counted(rg, *args, **kwargs):
        calls.append(rg.profile.mode)
        return real(rg, *args, **kwargs)

    monkeypatch.setattr(elderly_mod, "nearest_facility_times", counted)
    old = _points([600.0, 1200.0, 2400.0], [0.0, 50.0, 0.0], population=[10.0, 40.0, 50.0])
    times = elderly_times(old, access, options=OPTS)
    assert calls == ["walk_elderly"] * len(SETS)
    for s in SETS:
        np.testing.assert_array_equal(times[f"t_{s}_ebike"], access.demand[f"t_{s}_ebike"])
    calls.clear()
    other = AccessOptions(direct_offroad_m=100.0)  # not the run's options: routed again
    again = elderly_times(old, access, options=other)
    assert sorted(set(calls)) == ["ebike", "walk_elderly"]
    want = elderly_times(old, replace(access, options=None), options=other)
    pd.testing.assert_frame_equal(again, want)


def test_unranked_summary_has_the_same_sums_without_sorting_the_times():
    """The 65+ columns are counts and shares: ``column_summary(..., ranked=False)`` gives the
    same sums as the full summary and leaves out the sorted statistics (p90, max)."""
    from tcm_coverage.access.grouped import column_summary, group_codes  # noqa: PLC0415

    rng = np.random.default_rng(3)
    minutes = np.where(rng.random((200, 3)) < 0.1, np.inf, rng.uniform(0, 40, (200, 3)))
    weights = rng.uniform(0, 5, 200)
    groups = group_codes(rng.choice(np.array(["a", "b", "c", ""]), 200))
    full = column_summary(groups, minutes, weights, thresholds=(10, 15))
    sums = column_summary(groups, minutes, weights, thresholds=(10, 15), ranked=False)
    assert set(full) - set(sums) == {"p90_min", "max_min"}
    for key, value in sums.items():
        np.testing.assert_array_equal(value, full[key])
