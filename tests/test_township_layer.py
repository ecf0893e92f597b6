"""The township layer (townships.gpkg) against the township table it is drawn from (issue 16)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
import shapely

from tcm_coverage.outputs import township_layer, write_township_layer


def test_layer_is_the_township_table_wide_with_nulls(demo_computed, tmp_path):
    run, config = demo_computed
    table = run.tables.township
    # a township with no residents (a sliver far from the county): no table row -> NULL numbers
    extra = run.townships.iloc[[0]].copy()
    extra["code"], extra["name"] = "X999", "无人乡"
    extra["geometry"] = [shapely.box(0.0, 0.0, 0.001, 0.001)]
    towns = pd.concat([run.townships, extra.to_crs(run.townships.crs)], ignore_index=True)
    layer = township_layer(towns, table, run.tables.county, modes=config.options.modes)
    assert len(layer) == len(run.townships) + 1 and layer.crs.to_epsg() == 4326
    county = run.tables.county
    by_code = layer.set_index("code")
    # every (township, mode, threshold) cell equals the long table's, looked up one by one
    for rec in table.to_dict(orient="records"):
        got = by_code.loc[rec["code"]]
        assert got["county_code"] == rec["parent_code"]
        assert got["county_name"] == county.loc[county["code"] == rec["parent_code"], "name"].iloc[0]
        for t in config.options.thresholds:
            for col in (f"share_within_{t:g}", f"pop_within_{t:g}"):
                assert got[f"{col}_{rec['mode']}"] == pytest.approx(rec[col], nan_ok=True)
        assert got[f"mean_min_{rec['mode']}"] == pytest.approx(rec["mean_min"], nan_ok=True)
    empty = by_code.loc["X999"]
    assert np.isnan(empty["population"]) and np.isnan(empty["share_within_15_walk"])
    path = write_township_layer(layer, tmp_path)
    with sqlite3.connect(path) as db:  # NULL in the file, not 0 and not NaN
        rows = db.execute("select share_within_15_walk is null, population is null "
                          "from townships where code = 'X999'").fetchall()
    assert rows == [(1, 1)]


def test_heavy_layers_as_geoparquet_or_none(tmp_path):
    import geopandas as gpd

    from tcm_coverage.outputs import write_layers

    dem = gpd.GeoDataFrame({"population": [10.0, 20.0, 30.0], "t_tcm_any_walk": [3.04, 20.0, np.inf]},
                           geometry=gpd.points_from_xy([112.9, 112.91, 112.92], [36.3, 36.3, 36.3]),
                           crs=4326)
    fac = gpd.GeoDataFrame({"facility_id": ["a"]}, geometry=gpd.points_from_xy([112.9], [36.31]), crs=4326)
    kw = {"modes": ("walk",), "facility_sets": ("tcm_any",), "thresholds": (15,)}
    (tmp_path / "g").mkdir(), (tmp_path / "p").mkdir(), (tmp_path / "n").mkdir()
    gpkg = write_layers(dem, fac, tmp_path / "g", **kw)
    parquet = write_layers(dem, fac, tmp_path / "p", **kw, demand_format="parquet")
    none = write_layers(dem, fac, tmp_path / "n", **kw, demand_format="none")
    assert [p.name for p in gpkg] == ["demand_points.gpkg", "facilities.gpkg"]
    assert [p.name for p in parquet] == ["demand_points.parquet", "facilities.gpkg"]
    assert [p.name for p in none] == ["facilities.gpkg"]
    a, b = gpd.read_file(gpkg[0]), gpd.read_parquet(parquet[0])
    assert a["t_tcm_any_walk"].tolist()[:2] == b["t_tcm_any_walk"].tolist()[:2] == [3.1, 20.0]
    assert np.isnan(b["t_tcm_any_walk"].iloc[2])  # unreachable: NULL, not 0
    assert b["cov15_walk"].tolist() == a["cov15_walk"].tolist() == [1, 0, 0]
    assert b.crs.to_epsg() == 4326
