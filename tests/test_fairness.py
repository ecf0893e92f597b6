"""Fairness (access/fairness): the weighted Gini against the direct O(n²) formula and PySAL's
``inequality``, Lorenz points by hand, the 街道/乡镇 gap and the worst-three share by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tcm_coverage.access import (
    fairness_table,
    lorenz_curve,
    lorenz_points,
    township_kind,
    weighted_gini,
)
from tcm_coverage.outputs import DecisionSections, decision_sections_html, localize_decision_table


def direct_gini(x, w):
    """Σ_i Σ_j w_i w_j |x_i − x_j| / (2 W² μ), literally."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    total = w.sum()
    mean = (w * x).sum() / total
    return float((w[:, None] * w[None, :] * np.abs(x[:, None] - x[None, :])).sum() / (2 * total**2 * mean))


@pytest.mark.parametrize("seed", range(5))
def test_gini_equals_the_direct_formula(seed):
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 6.0, 200)
    w = rng.integers(1, 50, 200).astype(float)
    assert weighted_gini(x, w) == pytest.approx(direct_gini(x, w), rel=1e-10)


def test_gini_equals_pysal_inequality():
    inequality = pytest.importorskip("inequality.gini")
    rng = np.random.default_rng(7)
    x = rng.gamma(2.0, 6.0, 60)
    w = rng.integers(1, 20, 60)
    # integer populations: the library's unweighted Gini of each resident repeated
    assert weighted_gini(x, w.astype(float)) == pytest.approx(inequality.Gini(np.repeat(x, w)).g, rel=1e-10)


def test_gini_by_hand_and_edge_cases():
    assert weighted_gini([1, 2, 3, 4], [1, 1, 1, 1]) == pytest.approx(0.25)
    assert weighted_gini([5, 5, 5], [1, 2, 3]) == pytest.approx(0.0)
    # unreached residents are left out (not counted as 0 minutes, not capped)
    assert weighted_gini([1, 2, 3, 4, np.inf], [1, 1, 1, 1, 9]) == pytest.approx(0.25)
    assert np.isnan(weighted_gini([np.inf, np.inf], [1, 1]))
    assert np.isnan(weighted_gini([0.0, 0.0], [1, 1]))


def test_lorenz_points_by_hand():
    # times 10 (pop 1) and 30 (pop 3): p 0, .25, 1; L 0, 10/100, 1
    p, lor = lorenz_curve(np.array([30.0, 10.0]), np.array([3.0, 1.0]))
    np.testing.assert_allclose(p, [0, 0.25, 1])
    np.testing.assert_allclose(lor, [0, 0.1, 1])
    pts = lorenz_points(np.array([30.0, 10.0]), np.array([3.0, 1.0]), n=5)
    np.testing.assert_allclose(pts["p"], [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(pts["lorenz"], [0, 0.1, 0.4, 0.7, 1])
    # Gini = 1 − Σ Δp (L_k + L_{k−1}) = 1 − (.25·.1 + .75·1.1) = 0.15; directly: 2·1·3·20/(2·16·25)
    assert weighted_gini([30.0, 10.0], [3.0, 1.0]) == pytest.approx(0.15)
    assert direct_gini([30.0, 10.0], [3.0, 1.0]) == pytest.approx(0.15)


def test_township_kind_from_the_name():
    kinds = township_kind(["麟绛街道", "路村乡", "余吾镇", "开发区", None, "乡镇街道"])
    assert kinds.tolist() == ["subdistrict", "township", "town", "", "", "subdistrict"]


def test_fairness_table_gap_and_worst_three_by_hand():
    towns = pd.DataFrame({"code": ["S", "A", "B", "C", "D"],
                          "name": ["城关街道", "甲镇", "乙乡", "丙镇", "丁乡"]})
    counties = pd.DataFrame({"code": ["K"], "name": ["演示县"]})
    minutes = np.array([5.0, 10.0, 20.0, 30.0, np.inf, 12.0, 25.0])
    pop = np.array([400.0, 100.0, 100.0, 100.0, 50.0, 100.0, 150.0])
    tcode = np.array(["S", "S", "A", "B", "B", "C", "D"])
    table = fairness_table(minutes, pop, county_codes=np.array(["K"] * 7), counties=counties,
                           threshold=15.0, township_codes=tcode, townships=towns)
    county = table[table["level"] == "county"].iloc[0]
    town = table[table["level"] == "township"].set_index("code")
    assert town.at["S", "kind"] == "subdistrict" and town.at["B", "kind"] == "township"
    # urban S: 500 people all within 15; rural A..D: 500 people, 100 (C) within
    assert county["urban_share_within"] == pytest.approx(1.0)
    assert county["rural_share_within"] == pytest.approx(100 / 500)
    assert county["gap_share_within"] == pytest.approx(0.8)
    # mean over the reached: urban (2000+1000)/500 = 6; rural (2000+3000+1200+3750)/450
    assert county["gap_mean_min"] == pytest.approx((2000 + 3000 + 1200 + 3750) / 450 - 6.0)
    # uncovered: A 100, B 150 (50 unreached), D 150 = 400; worst three by share: A 0, B 0, D 0
    assert county["uncovered_population"] == pytest.approx(400.0)
    assert county["worst_townships"] == "甲镇、乙乡、丁乡"
    assert county["uncovered_share_worst3"] == pytest.approx(1.0)
    assert county["unreachable_population"] == pytest.approx(50.0)
    assert town.at["B", "gini"] == pytest.approx(0.0)  # one reached point: 30 min
    assert county["gini"] == pytest.approx(direct_gini(minutes[:4].tolist() + minutes[5:].tolist(),
                                                       pop[:4].tolist() + pop[5:].tolist()))
    assert town.at["S", "parent_code"] == "K"


def test_no_urban_township_is_no_data():
    towns = pd.DataFrame({"code": ["A", "B"], "name": ["甲镇", "乙乡"]})
    table = fairness_table(np.array([5.0, 20.0]), np.array([1.0, 1.0]), county_codes=np.array(["K", "K"]),
                           counties=pd.DataFrame({"code": ["K"], "name": ["县"]}), threshold=15.0,
                           township_codes=np.array(["A", "B"]), townships=towns)
    county = table.iloc[0]
    assert np.isnan(county["urban_share_within"]) and np.isnan(county["gap_share_within"])
    assert county["rural_share_within"] == pytest.approx(0.5)


def test_report_section_shows_gini_gap_and_lorenz():
    towns = pd.DataFrame({"code": ["S", "A"], "name": ["城关街道", "<b>甲</b>镇"]})
    minutes, pop = np.array([5.0, 10.0, 20.0, np.inf]), np.array([400.0, 100.0, 100.0, 50.0])
    table = fairness_table(minutes, pop, county_codes=np.array(["K"] * 4),
                           counties=pd.DataFrame({"code": ["K"], "name": ["县"]}), threshold=15.0,
                           township_codes=np.array(["S", "S", "A", "A"]), townships=towns)
    lorenz = lorenz_points(minutes, pop).assign(code="K")
    page = decision_sections_html(DecisionSections(referral_township=None, fairness=table, lorenz=lorenz,
                                                   sensitivity=None, headline_mode="ebike",
                                                   headline_threshold=15.0), "K")
    gini = weighted_gini(minutes, pop)
    assert f"基尼系数 {gini:.3f}" in page
    # urban 100 % (500 of 500), rural 0 % (0 of 150): gap +100.0 points; 50 unreached counted
    assert "街道 100.0% / 乡镇 0.0%" in page and "差距 +100.0 个百分点" in page
    assert "（50 人）" in page
    assert "<polyline" in page and "洛伦兹曲线" in page
    assert "&lt;b&gt;甲&lt;/b&gt;镇" in page and "<b>甲" not in page  # names escaped


def test_without_townships_county_rows_only_and_no_gap_invented():
    table = fairness_table(np.array([5.0, 20.0, np.inf]), np.array([1.0, 1.0, 2.0]),
                           county_codes=np.array(["K"] * 3), counties=pd.DataFrame({"code": ["K"], "name": ["县"]}),
                           threshold=15.0)
    assert table["level"].tolist() == ["county"]
    assert table.at[0, "uncovered_population"] == pytest.approx(3.0)
    assert "gap_share_within" not in table
    page = decision_sections_html(DecisionSections(referral_township=None, fairness=table, lorenz=None,
                                                   sensitivity=None, headline_mode="walk",
                                                   headline_threshold=15.0, lang="en"), "K")
    assert "subdistricts – / towns and townships – within 15 min (gap – percentage points)" in page
    shown = localize_decision_table(table, "en")
    assert shown["share within 15 min"].tolist() == [0.25]
