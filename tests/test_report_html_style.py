"""The HTML report's tables: the first column (township, mode, area names) never wraps per character."""

from __future__ import annotations

import re

import pandas as pd

from tcm_coverage.outputs import ReportOptions, ReportTables, county_report_html
from tcm_coverage.vocab import share_column, time_column


def test_township_names_do_not_wrap():
    county = pd.DataFrame({"code": ["1"], "name": ["县"], "mode": ["walk"], "population": [100.0],
                           "pop_within_15": [40.0], share_column(15): [0.4], "mean_min": [20.0], "p90_min": [30.0]})
    township = pd.DataFrame({"code": ["11"], "name": ["甲街道"], "parent_code": ["1"], "mode": ["walk"],
                             "population": [100.0], "pop_within_15": [40.0], share_column(15): [0.4],
                             "mean_min": [20.0], "n_centres": [1], "n_centres_zhongyiguan": [1],
                             "n_stations": [2], "n_stations_zhongyige": [1]})
    demand = pd.DataFrame({"population": [100.0], "county_code": ["1"], time_column("tcm_any", "walk"): [5.0]})
    page = county_report_html(ReportTables(county_table=county, township_table=township, demand=demand),
                              ReportOptions(modes=("walk",), thresholds=(15.0,), headline_threshold=15.0,
                                            headline_mode="walk"),
                              county_code="1", county_name="县", map_page=None)
    style = page[page.index("<style>"):page.index("</style>")]
    rule = re.search(r"table\.grid tr > th:first-child \{([^}]*)\}", style)
    assert rule is not None and "white-space: nowrap" in rule.group(1) and "min-width" in rule.group(1)
    assert "<tr><th>甲街道</th>" in page  # the name is the row's first cell (a th the rule applies to)


def test_english_headers_do_not_break_at_hyphens():
    """A narrow column broke "15-min share" as "15-" / "min share": each hyphenated word of a
    header cell stands in a nowrap span (the browser's only break there is after the hyphen)."""
    county = pd.DataFrame({"code": ["1"], "name": ["County"], "mode": ["ebike"], "population": [100.0],
                           "pop_within_15": [40.0], share_column(15): [0.4], "mean_min": [20.0], "p90_min": [30.0]})
    township = pd.DataFrame({"code": ["11"], "name": ["North-East"], "parent_code": ["1"], "mode": ["ebike"],
                             "population": [100.0], "pop_within_15": [40.0], share_column(15): [0.4],
                             "mean_min": [20.0], "n_centres": [1], "n_centres_zhongyiguan": [1],
                             "n_stations": [2], "n_stations_zhongyige": [1]})
    demand = pd.DataFrame({"population": [100.0], "county_code": ["1"], time_column("tcm_any", "ebike"): [5.0]})
    page = county_report_html(ReportTables(county_table=county, township_table=township, demand=demand),
                              ReportOptions(modes=("ebike",), thresholds=(15.0,), headline_threshold=15.0,
                                            headline_mode="ebike", lang="en"),
                              county_code="1", county_name="County", map_page=None)
    cells = re.findall(r"<th[^>]*>(.*?)</th>", page, re.S)
    nowrap = re.compile(r"<span style='white-space:nowrap'>([^<]*)</span>")
    joined = [c for c in cells if re.search(r"\w-\w", nowrap.sub("", c))]
    assert not joined, joined  # no hyphen a line may break at
    kept = {w for c in cells for w in nowrap.findall(c)}
    assert {"15-min", "e-bike", "North-East"} <= kept  # the words, their hyphen plain (copy, search)
