"""The sensitivity band of the headline (access/sensitivity): rerouted shares on a hand graph,
the scaled graph against a graph built with the scaled speeds, and the band in the outputs."""

from __future__ import annotations

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
