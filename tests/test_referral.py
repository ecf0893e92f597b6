"""The referral chain (access/referral): clinic -> 中医馆 centre -> county TCM hospital minutes on
a hand-made graph, checked by hand and against networkx; the township table by hand."""

from __future__ import annotations

import argparse
from dataclasses import replace

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from _frame import ll
from test_traveltime import make_net

from tcm_coverage._errors import InputError
from tcm_coverage.access import (
    AccessOptions,
    compute_access,
    referral_chain,
    referral_routing,
    referral_township_table,
)
from tcm_coverage.cli.options import add_common_options, config_from_args
from tcm_coverage.network import get_profile
from tcm_coverage.outputs import referral_layer, write_layers
from tcm_coverage.workflows import check_config

# A(0,0) - B(1000,0) - C(2000,0) - D(3000,0), and B - E(1000,1000); residential roads
XY = [(0, 0), (1000, 0), (2000, 0), (3000, 0), (1000, 1000)]
SEGS = [(0, 1), (1, 2), (2, 3), (1, 4)]


def _points(xy, **cols):
    xy = np.asarray(xy, float)
    lon, lat = ll(xy[:, 0], xy[:, 1])
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def facilities():
    # county TCM hospital at D; a centre with a 中医馆 at E; one without at C (not a target);
    # village clinics at A and C (C shares the spot of the centre without 中医馆)
    return _points([(3000, 0), (1000, 1000), (2000, 0), (0, 0), (2000, 0)],
                   facility_id=["H", "G", "N", "V1", "V2"], name=["县中医院", "甲镇卫生院", "乙镇卫生院", "甲村", "乙村"],
                   tier=["county_tcm", "township_centre", "township_centre", "village_station", "village_station"],
                   zhongyiguan=pd.array([pd.NA, True, False, pd.NA, pd.NA], dtype="boolean"),
                   zhongyige=pd.array([pd.NA, pd.NA, pd.NA, False, False], dtype="boolean"),
                   is_tcm_clinic=[False] * 5, source_row=[2, 3, 4, 5, 6])


def demand():
    return _points([(500, 0), (2500, 0), (1000, 500)], population=[100.0, 200.0, 300.0])


@pytest.fixture(scope="module")
def run():
    net = make_net(XY, SEGS)
    # the run computed walk only: car and e-bike are built (once) for the chain
    access = compute_access(demand(), facilities(), net, modes=("walk",), progress=False,
                            facility_sets=("tcm_any", "county_tcm", "zhongyiguan"),
                            options=AccessOptions(direct_offroad_m=0))
    return net, access, referral_chain(access, net, options=AccessOptions(direct_offroad_m=0))


def _networkx_minutes(mode, origin, target):
    speed = get_profile(mode).speeds_kmh["residential"]
    g = nx.Graph()
    for u, v in SEGS:
        metres = float(np.hypot(*np.subtract(XY[u], XY[v])))
        g.add_edge(u, v, weight=metres / 1000 / speed * 60)
    return nx.shortest_path_length(g, origin, target, weight="weight")


def test_clinic_times_by_hand_and_networkx(run):
    _, _, chain = run
    c = chain.clinics.set_index("facility_id")
    # car 20 km/h on residential roads: 3 min/km; e-bike 15 km/h: 4 min/km
    assert c.at["V1", "t_zhongyiguan_car"] == pytest.approx(6.0, abs=1e-6)     # A-B-E 2 km
    assert c.at["V2", "t_zhongyiguan_car"] == pytest.approx(6.0, abs=1e-6)     # C-B-E, not N at C
    assert c.at["V1", "t_county_tcm_car"] == pytest.approx(9.0, abs=1e-6)      # A-D 3 km
    assert c.at["V2", "t_county_tcm_ebike"] == pytest.approx(4.0, abs=1e-6)    # C-D 1 km
    assert c.at["V2", "f_zhongyiguan_car"] == "G" and c.at["V1", "f_county_tcm_ebike"] == "H"
    node = {"V1": 0, "V2": 2, "G": 4, "H": 3}
    for mode in ("car", "ebike"):
        for clinic in ("V1", "V2"):
            for target, fid in (("zhongyiguan", "G"), ("county_tcm", "H")):
                want = _networkx_minutes(mode, node[clinic], node[fid])
                assert c.at[clinic, f"t_{target}_{mode}"] == pytest.approx(want, abs=1e-6)


def test_resident_car_time_to_county_hospital(run):
    _, access, chain = run
    # off-road 0 for the two on the road; the third is 500 m up B-E: 0 off-road, 0.5+2 km by car
    want = [2.5 * 3, 0.5 * 3, (0.5 + 2.0) * 3]
    np.testing.assert_allclose(chain.resident_minutes, want, atol=1e-6)
    assert chain.minutes == 30.0


def test_reuses_the_run_routing():
    net = make_net(XY, SEGS)
    access = compute_access(demand(), facilities(), net, modes=("car", "ebike"), progress=False,
                            facility_sets=("tcm_any",))
    routes = referral_routing(access, None, modes=("car", "ebike"))
    assert routes["car"] is access.routing["car"]
    with pytest.raises(ValueError, match="walk"):
        referral_routing(access, None, modes=("walk",))


def test_no_county_hospital_is_unreachable_not_zero():
    net = make_net(XY, SEGS)
    fac = facilities().iloc[1:].reset_index(drop=True)
    access = compute_access(demand(), fac, net, modes=("car",), progress=False, facility_sets=("tcm_any",))
    chain = referral_chain(access, net)
    assert np.isinf(chain.resident_minutes).all()
    assert np.isinf(chain.clinics["t_county_tcm_car"]).all()
    assert (chain.clinics["f_county_tcm_car"] == "").all()


def test_township_table_by_hand(run):
    _, _, chain = run
    areas = pd.DataFrame({"code": ["T1", "T2", "T3"], "name": ["甲镇", "乙乡", "丙乡"]})
    table = referral_township_table(chain, clinic_codes=np.array(["T1", "T2"]),
                                    demand_codes=np.array(["T1", "T2", "T2"]),
                                    population=np.array([100.0, 200.0, 300.0]), areas=areas)
    row = table.set_index("code")
    assert row.at["T1", "clinics"] == 1 and row.at["T3", "clinics"] == 0
    assert row.at["T1", "median_county_tcm_car"] == pytest.approx(9.0)
    assert np.isnan(row.at["T3", "median_county_tcm_car"])  # no clinic: no data, not 0
    # T2 residents: 1.5 min (200) and 7.5 min (300): weighted median 7.5, max 7.5, all within 30
    assert row.at["T2", "resident_median_county_tcm_car"] == pytest.approx(7.5)
    assert row.at["T2", "share_within_referral"] == pytest.approx(1.0)
    assert np.isnan(row.at["T3", "share_within_referral"])
    short = referral_township_table(
        chain.__class__(clinics=chain.clinics, resident_minutes=chain.resident_minutes, minutes=5.0),
        clinic_codes=np.array(["T1", "T2"]), demand_codes=np.array(["T1", "T2", "T2"]),
        population=np.array([100.0, 200.0, 300.0]), areas=areas).set_index("code")
    assert short.at["T2", "share_within_referral"] == pytest.approx(200 / 500)
    assert short.at["T1", "share_within_referral"] == pytest.approx(0.0)


def test_map_layer_lines_clinic_to_centre(run):
    _, access, chain = run
    layer = referral_layer(chain.clinics, access.facilities, lang="en")
    assert isinstance(layer, folium.GeoJson)
    features = layer.data["features"]
    assert len(features) == 2  # V1 -> G and V2 -> G
    labels = sorted(f["properties"]["label"] for f in features)
    assert labels == sorted(["甲村 → 甲镇卫生院: 6.0 min by car", "乙村 → 甲镇卫生院: 6.0 min by car"])
    assert {f["properties"]["colour"] for f in features} == {"#1a9850"}  # within 15 min
    none = chain.clinics.assign(f_zhongyiguan_car="")
    assert referral_layer(none, access.facilities) is None


def test_referral_minutes_option_reaches_the_config_and_is_checked(tmp_path):
    parser = argparse.ArgumentParser()
    add_common_options(parser, default_modes=("walk", "ebike"), default_thresholds=(15,))
    args = parser.parse_args(["--referral-minutes", "45"])
    args.out = tmp_path / "out"
    inputs = {"facilities": tmp_path / "f.csv", "boundary": tmp_path / "b.geojson",
              "population": tmp_path / "p.tif", "network": tmp_path / "r.osm"}
    config = config_from_args(args, inputs=inputs)
    assert config.options.referral_minutes == 45.0
    assert config.record()["referral_minutes"] == 45.0
    default = parser.parse_args([])
    default.out = tmp_path / "out"
    assert config_from_args(default, inputs=inputs).options.referral_minutes == 30.0
    with pytest.raises(InputError, match="--referral-minutes"):
        check_config(config.updated(referral_minutes=0.0))


def test_resident_minutes_equal_the_runs_own_county_tcm_car_times(monkeypatch):
    import tcm_coverage.access.referral as referral_mod

    net = make_net(XY, SEGS)
    access = compute_access(demand(), facilities(), net, modes=("car", "ebike"), progress=False,
                            facility_sets=("tcm_any", "county_tcm", "zhongyiguan"))
    # two independent paths: compute_access's t_county_tcm_car and the chain's own search (a run
    # whose options are not known is searched again)
    own = referral_chain(replace(access, options=None), net)
    np.testing.assert_allclose(own.resident_minutes, access.demand["t_county_tcm_car"], rtol=1e-12)
    # with the run's options its times are taken: no second search of the residents
    searched = []
    real = referral_mod.nearest_facility_times
    monkeypatch.setattr(referral_mod, "nearest_facility_times",
                        lambda rg, points, *a, **k: searched.append(len(points)) or real(rg, points, *a, **k))
    chain = referral_chain(access, net)
    assert searched and len(demand()) not in searched  # the clinics only
    np.testing.assert_array_equal(chain.resident_minutes, own.resident_minutes)
    searched.clear()
    referral_chain(access, net, options=AccessOptions(direct_offroad_m=50.0))  # other options
    assert len(demand()) in searched


def test_demand_layer_carries_the_car_minutes_to_the_county_hospital(tmp_path):
    dem = demand().assign(t_tcm_any_walk=[3.0, 20.0, np.inf], county_tcm_car_min=[7.51, np.inf, 30.0])
    write_layers(dem, facilities().drop(columns=["zhongyiguan", "zhongyige"]), tmp_path, modes=("walk",),
                 facility_sets=("tcm_any",), thresholds=(15,))
    back = gpd.read_file(tmp_path / "demand_points.gpkg")
    # rounded up to 0.1 (a shown 30.0 is within 30), unreachable is NULL, never 0
    assert back["county_tcm_car_min"].iloc[0] == pytest.approx(7.6)
    assert np.isnan(back["county_tcm_car_min"].iloc[1])
    assert back["county_tcm_car_min"].iloc[2] == pytest.approx(30.0)
