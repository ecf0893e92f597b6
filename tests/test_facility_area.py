"""Facilities of a province-wide file around one county (inputs/facility_area.py, issue 16)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from tcm_coverage.inputs import county_facilities

# a 0.1° x 0.1° county at 36° N: 1 km is about 0.0111° of longitude there
KM = 1 / (111.32 * np.cos(np.radians(36.05)))


def _frame(offsets_km: list[float]) -> gpd.GeoDataFrame:
    pts = [Point(113.1 + d * KM, 36.05) for d in offsets_km]  # east of the east edge (113.1)
    frame = gpd.GeoDataFrame({"name": [f"f{i}" for i in range(len(pts))],
                              "source_row": np.arange(2, 2 + len(pts))}, geometry=pts, crs=4326)
    frame.attrs["input_warnings"] = [("earlier", "此前")]
    return frame


COUNTY = gpd.GeoDataFrame({"code": ["1"], "name": ["c"]},
                          geometry=[box(113.0, 36.0, 113.1, 36.1)], crs=4326)


def test_near_kept_far_left_out_own_marked():
    fac = _frame([-5.0, 0.3, 2.0, 4.9, 5.2, 60.0])  # inside, on the line, neighbours, far, far
    before = fac.copy()
    out = county_facilities(fac, COUNTY, buffer_m=5000, source="p.csv")
    assert list(out.facilities["name"]) == ["f0", "f1", "f2", "f3"]
    assert out.own is not None and list(out.own) == [True, True, False, False]
    assert (out.far, out.neighbours) == (2, 2)
    en = [w[0] for w in out.facilities.attrs["input_warnings"]]
    assert en[0] == "earlier"  # the table's own warnings kept, first
    assert "p.csv: 2 facilities more than 5 km outside" in en[1]
    assert "f4 (row 6), f5 (row 7)" in en[1]
    assert en[2].startswith("2 facilities outside the county (within 5 km)")
    zh = out.facilities.attrs["input_warnings"][1][1]
    assert "2 个设施距县界超过 5 公里" in zh and "f4（第6行）" in zh
    pd.testing.assert_frame_equal(pd.DataFrame(fac), pd.DataFrame(before))  # input untouched


def test_county_file_is_unchanged():
    fac = _frame([-9.0, -3.0, 0.2])
    out = county_facilities(fac, COUNTY, buffer_m=5000)
    assert out.own is None and out.far == 0 and len(out.facilities) == 3
    assert out.facilities.attrs["input_warnings"] == [("earlier", "此前")]


def test_more_than_five_far_ones_are_elided():
    out = county_facilities(_frame([0.0] + [50.0 + i for i in range(7)]), COUNTY, buffer_m=5000)
    en = out.facilities.attrs["input_warnings"][1][0]
    assert "7 facilities" in en and en.endswith("...") and "f6 (row 8)" not in en
