"""The sensitivity band of the headline (access/sensitivity): rerouted shares on a hand graph,
the scaled graph against a graph built with the scaled speeds, and the band in the outputs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_traveltime import line_net, snap_xy

from tcm_coverage.access import (
    nearest_facility_times,
    scaled_routing,
    sensitivity_band,
    sensitivity_table,
)
from tcm_coverage.network import Routing, build_routing_graph, get_profile
from tcm_coverage.outputs import (
    DecisionSections,
    ReportOptions,
    ReportTables,
    county_report_html,
    decision_sections_html,
)
from tcm_coverage.workflows import AnalysisConfig, summary_text

POP = np.array([100.0, 200.0, 300.0])


def routing(profile=None):
    # A(0,0)-B-C-D(3000,0) residential; e-bike 15 km/h = 4 min/km, off-road 4 km/h
    rg = build_routing_graph(line_net(), profile or get_profile("ebike"))
    dem = snap_xy(rg, [1000.0, 2000.0, 3000.0], [60.0, 60.0, 60.0])  # 60 m off the road: 0.9 min
    fac = snap_xy(rg, [0.0], [0.0])
    return Routing(graph=rg, demand=dem, facilities=fac)


def shares(threshold=10.0):
    table = sensitivity_table(routing(), np.array([True]), POP, np.array(["K"] * 3), threshold=threshold,
                              direct_offroad_m=0.0, names={"K": "演示县"})
    return table.set_index("assumption")


def test_shares_by_hand():
    t = shares()
    # base 4.9, 8.9, 12.9 min: 300/600 within 10
    np.testing.assert_allclose(t["headline"], 0.5)
    # speeds x0.8: 5.9, 10.9, 15.9 -> 100/600; x1.2: 0.9 + 3.33, 6.67, 10.0 -> 300/600
    assert t.at["speed", "share_low"] == pytest.approx(100 / 600)
    assert t.at["speed", "share_high"] == pytest.approx(0.5)
    # off-road x0.8: 60 m at 3.2 km/h = 1.125 min; x1.2: 0.75 min: still 300/600
    assert t.at["offroad", "share_low"] == pytest.approx(0.5)
    assert t.at["offroad", "share_high"] == pytest.approx(0.5)
    # threshold 5 and 15 minutes
    assert t.at["threshold", "share_low"] == pytest.approx(100 / 600)
    assert t.at["threshold", "share_high"] == pytest.approx(1.0)
    assert t.at["threshold", "low_setting"] == 5.0 and t.at["speed", "low_setting"] == 0.8
    # the tornado order: threshold swing 5/6, speed 1/3, off-road 0
    assert list(t.index) == ["threshold", "speed", "offroad"]
    assert t.at["speed", "swing"] == pytest.approx(1 / 3)
    assert t["name"].iloc[0] == "演示县"


def test_headline_times_given_are_not_routed_again():
    """The run's headline times passed in give the same table; other times move only the
    headline and threshold rows (the reroutes do not use them)."""
    route = routing()
    known = nearest_facility_times(route.graph, route.demand, route.facilities, direct_offroad_m=0.0).minutes
    given = sensitivity_table(route, np.array([True]), POP, np.array(["K"] * 3), threshold=10.0,
                              direct_offroad_m=0.0, names={"K": "演示县"}, minutes=known)
    pd.testing.assert_frame_equal(given, shares().reset_index()[given.columns], check_exact=True)
    other = sensitivity_table(route, np.array([True]), POP, np.array(["K"] * 3), threshold=10.0,
                              direct_offroad_m=0.0, minutes=np.array([1.0, 1.0, 1.0])).set_index("assumption")
    assert other.at["speed", "headline"] == 1.0 and other.at["threshold", "share_low"] == 1.0
    assert other.at["speed", "share_low"] == pytest.approx(100 / 600)


def test_band_contains_the_headline():
    band = sensitivity_band(shares().reset_index())
    headline, low, high = band["K"]
    assert headline == pytest.approx(0.5)
    assert (low, high) == (pytest.approx(100 / 600), pytest.approx(1.0))
    assert low <= headline <= high
    assert sensitivity_band(None) == {} and sensitivity_band(pd.DataFrame()) == {}


def test_scaled_graph_equals_a_graph_built_with_the_scaled_speeds():
    base = routing()
    slow = scaled_routing(base, speed_factor=0.8, offroad_factor=0.8)
    built = routing(get_profile("ebike", overrides={"residential": 15.0 * 0.8}, offroad_kmh=4.0 * 0.8))
    for r in (slow, built):
        assert r.graph.profile.offroad_kmh == pytest.approx(3.2)
    a = nearest_facility_times(slow.graph, slow.demand, slow.facilities).minutes
    b = nearest_facility_times(built.graph, built.demand, built.facilities).minutes
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(a, [60 / (3200 / 60) + 5.0 * k for k in (1, 2, 3)], rtol=1e-9)
    # the run's routing is not changed
    assert nearest_facility_times(base.graph, base.demand, base.facilities).minutes[0] == pytest.approx(4.9)


def _county_table(share):
    return pd.DataFrame({"level": ["county"], "code": ["K"], "name": ["演示县"], "mode": ["ebike"],
                         "population": [600.0], "share_within_15": [share], "pop_within_15": [600.0 * share],
                         "mean_min": [8.9], "p90_min": [12.9], "unreachable_population": [0.0]})


def test_summary_and_report_show_the_band(tmp_path):
    table = shares().reset_index()
    band = sensitivity_band(table)
    config = AnalysisConfig.from_options(facilities=tmp_path / "f.csv", boundary=tmp_path / "b.geojson",
                                         population=tmp_path / "p.tif", network=tmp_path / "r.osm",
                                         out_dir=tmp_path / "out", modes=("walk", "ebike"))
    run = SimpleNamespace(tables=SimpleNamespace(county=_county_table(0.5), township=None), sensitivity=table,
                          referral_township=None)
    line = summary_text(run, config).splitlines()[0]  # type: ignore[arg-type]
    assert "50.0%（敏感性区间 17–100%）" in line
    en = summary_text(run, config.updated(lang="en")).splitlines()[0]  # type: ignore[arg-type]
    assert "50.0% (sensitivity band 17–100%)" in en
    demand = pd.DataFrame({"population": [600.0], "county_code": ["K"], "t_tcm_any_ebike": [8.9]})
    sections = DecisionSections(referral_township=None, fairness=None, lorenz=None, sensitivity=table,
                                headline_mode="ebike", headline_threshold=15.0)
    page = county_report_html(
        ReportTables(county_table=_county_table(0.5), township_table=None, demand=demand),
        ReportOptions(modes=("ebike",), thresholds=(15.0,), headline_threshold=15.0, headline_mode="ebike",
                      bands=band),
        county_code="K", county_name="演示县", map_page=None, after_townships=decision_sections_html(sections, "K"))
    assert "敏感性区间 17–100%" in page  # on the headline card
    assert "50.0%（17–100%）" in page    # in the section
    tornado = page[page.index("结论有多稳"):]
    assert tornado.index("时间阈值") < tornado.index("道路速度") < tornado.index("离路速度（住处到道路）")
