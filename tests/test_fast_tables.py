"""The demo run's tables (computed in one grouped pass) against a plain per-area computation.

The reference here slices the demand points of each area with a boolean mask and computes each
statistic directly (sorted cumulative weights for the p90), as the tables were computed before
access/grouped.py; equal to 1e-12 (the sums are added in another order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tcm_coverage.access import elderly_tables, fairness_table, no_data_facility_sets
from tcm_coverage.access.fairness import weighted_gini
from tcm_coverage.vocab import (
    REFERRAL_RESIDENT_COLUMN,
    capacity_pop_column,
    elderly_column,
    share_column,
    time_column,
)

RTOL = 1e-12


def _p90(t: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(t, kind="stable")
    t, w = t[order], w[order]
    total = w.sum()
    if total <= 0:
        return float("nan")
    value = t[np.flatnonzero(np.cumsum(w) >= 0.9 * total)[0]]
    return float(value) if np.isfinite(value) else float("nan")


def _reference(t: np.ndarray, w: np.ndarray, thresholds) -> dict[str, float]:
    reach = np.isfinite(t)
    pop = float(w.sum())
    row = {"population": pop, "unreachable_population": float(w[~reach].sum()),
           "mean_min": float((t[reach] * w[reach]).sum() / w[reach].sum()) if w[reach].sum() > 0 else np.nan,
           "p90_min": _p90(t, w), "max_min": float(t[reach].max()) if reach.any() else np.nan}
    for th in thresholds:
        row[f"pop_within_{th:g}"] = float(w[t <= th].sum())
        row[share_column(th)] = row[f"pop_within_{th:g}"] / pop if pop > 0 else np.nan
    return row


def _close(got, want, what):
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=RTOL, atol=1e-9,
                               equal_nan=True, err_msg=what)


@pytest.fixture(scope="module")
def run_config(demo_computed):
    return demo_computed


def test_every_row_of_the_long_table_equals_the_per_area_computation(run_config):
    run, config = run_config
    dem, long = run.demand, run.tables.by_facility_set
    thresholds = config.options.thresholds
    blank = set(no_data_facility_sets(run.access.facilities))
    pop = dem["population"].to_numpy(float)
    n_checked = 0
    for level in ("county", "township"):
        codes = dem[f"{level}_code"].to_numpy(dtype=object)
        for mode in config.options.modes:
            for target in run.access.facility_sets:
                t = dem[time_column(target, mode)].to_numpy(float)
                rows = long[(long["level"] == level) & (long["mode"] == mode) & (long["target"] == target)]
                assert list(rows["code"]) == sorted(set(codes) - {""})
                for _, row in rows.iterrows():
                    here = codes == row["code"]
                    want = _reference(t[here], pop[here], thresholds)
                    cols = ["population"] if target in blank else list(want)
                    _close(row[cols].to_numpy(float), [want[c] for c in cols], f"{level} {row['code']} {mode} {target}")
                    n_checked += 1
    assert n_checked == len(long)
    # the headline rows of the main tables are the same numbers
    head = long[(long["level"] == "township") & (long["target"] == "tcm_any")]
    main = run.tables.township.merge(head, on=["code", "mode"], suffixes=("", "_long"))
    assert len(main) == len(head) > 0
    _close(main["p90_min"], main["p90_min_long"], "p90 of the main table")


def test_capacity_columns_equal_sums_over_each_area(run_config):
    run, config = run_config
    if run.capacity is None:
        pytest.skip("the demo has no capacity")
    dem, table = run.demand, run.tables.township
    codes = dem["township_code"].to_numpy(dtype=object)
    pop = dem["population"].to_numpy(float)
    for (mode, t), served in run.capacity.served.items():
        rows = table[table["mode"] == mode]
        want = [served[codes == c].sum() for c in rows["code"]]
        _close(rows[capacity_pop_column(t)], want, f"capacity {mode} {t}")
        share = [served[codes == c].sum() / pop[codes == c].sum() for c in rows["code"]]
        _close(rows[f"share_within_capacity_{t:g}"], share, f"capacity share {mode} {t}")


def test_65plus_columns_equal_the_per_area_computation(run_config):
    run, config = run_config
    elderly = run.demand.copy()  # a stand-in 65+ layer: every point's residents × a varying share
    elderly["population"] = elderly["population"] * np.linspace(0.05, 0.4, len(elderly))
    opts = config.options
    tables = elderly_tables(run.tables, elderly, counties=run.counties, townships=run.townships,
                            modes=opts.modes, facility_sets=run.access.facility_sets, thresholds=opts.thresholds)
    codes = elderly["township_code"].to_numpy(dtype=object)
    w = elderly["population"].to_numpy(float)
    for _, row in tables.township.iterrows():
        here = codes == row["code"]
        t = elderly[time_column("tcm_any", row["mode"])].to_numpy(float)[here]
        want = _reference(t, w[here], opts.thresholds)
        _close(row[elderly_column("population")], want["population"], "65+ population")
        for th in opts.thresholds:
            _close(row[elderly_column(share_column(th))], want[share_column(th)], f"65+ share {th}")


def test_fairness_and_referral_rows_equal_the_per_area_computation(run_config):
    run, config = run_config
    dem, opts = run.demand, config.options
    t = dem[time_column("tcm_any", opts.headline_mode)].to_numpy(float)
    w = dem["population"].to_numpy(float)
    table = fairness_table(t, w, county_codes=dem["county_code"].to_numpy(), counties=run.counties,
                           threshold=opts.headline_threshold, township_codes=dem["township_code"].to_numpy(),
                           townships=run.townships)
    pd.testing.assert_frame_equal(table, run.fairness)
    for _, row in table.iterrows():
        here = dem[f"{row['level']}_code"].to_numpy(dtype=object) == row["code"]
        _close(row["gini"], weighted_gini(t[here], w[here]), f"gini {row['code']}")
        _close(row["share_within"], w[here][t[here] <= opts.headline_threshold].sum() / w[here].sum(), "share")
    ref = run.referral_township[run.referral_township["level"] == "township"]
    res = dem[REFERRAL_RESIDENT_COLUMN].to_numpy(float)
    clinics = run.referral_clinics
    for _, row in ref.iterrows():
        sub = clinics[clinics["township_code"] == row["code"]]
        assert row["clinics"] == len(sub)
        for col in ("t_zhongyiguan_car", "t_county_tcm_ebike"):
            v = sub[col].to_numpy(float)
            fin = v[np.isfinite(v)]
            _close(row[col.replace("t_", "median_", 1)], np.median(fin) if fin.size else np.nan, col)
            _close(row[col.replace("t_", "max_", 1)], fin.max() if fin.size else np.nan, col)
            assert row[col.replace("t_", "unreachable_", 1)] == int((~np.isfinite(v)).sum())
        here = dem["township_code"].to_numpy(dtype=object) == row["code"]
        _close(row["pop_within_referral"], w[here][res[here] <= opts.referral_minutes].sum(), "referral")
        ok = np.isfinite(res[here]) & (w[here] > 0)
        order = np.argsort(res[here][ok], kind="stable")
        v, vw = res[here][ok][order], w[here][ok][order]
        median = v[np.flatnonzero(np.cumsum(vw) >= 0.5 * vw.sum())[0]] if v.size else np.nan
        _close(row["resident_median_county_tcm_car"], median, "resident median")
