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
