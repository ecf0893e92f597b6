"""Write notebooks/demo_walkthrough.ipynb (outputs empty) from the cells below.

Edit the cells here and rerun ``python scripts/make_notebook.py``; the notebook is executed top
to bottom by ``tests/test_notebook.py`` in CI. The walkthrough uses only the curated API of
``import tcm_coverage as tc`` (the names in ``tcm_coverage/__init__.py``), never the modules
behind it, so it shows what a planner's own notebook can rely on.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS: list[tuple[str, str]] = [
    ("md", """# 演示县中医药服务15分钟可达性 · Demo county walkthrough

This notebook follows a planner's question — does every resident reach TCM care within
15 minutes (15分钟中医药服务圈, the 15-minute TCM service circle)? — on the bundled demo county:
the real boundary of Tunliu district (屯留区) with a **synthetic** interior (townships, villages,
roads, facilities and population are made up; see `tcm_coverage/demo_data/README.md`).

1. load the facilities (医疗机构), boundaries (行政区划), population (人口) and roads (路网);
2. compute travel times (出行时间) by walking (步行) and e-bike (电动自行车) to the nearest TCM
   service point (中医药服务点);
3. read the coverage (覆盖率) per county and township (乡镇) and look at the map;
4. change the threshold and the mode;
5. score the county against a plan's targets (规划指标评分);
6. run a site-selection scenario (选址): which village clinics (村卫生室) should get a 中医阁;
7. write the planner's outputs (tables, map, report) in one call.

Everything comes from one import, `import tcm_coverage as tc`; it runs from any folder and finds
the demo data itself (`tc.demo_inputs()`, `tc.demo_data_dir()`)."""),
    ("code", """import tcm_coverage as tc

demo = tc.demo_inputs()   # file paths of the demo county, as AnalysisConfig takes them
{name: path.name if hasattr(path, "name") else path for name, path in demo.items()}"""),
    ("md", """## The inputs · 输入数据

* **Boundaries** (行政区划): the county outline (县界) and its townships (乡镇界), WGS-84.
* **Facilities** (医疗机构): one row per county hospital, township health centre (乡镇卫生院),
  community centre (社区卫生服务中心), village clinic (村卫生室) or station, with whether it has a
  中医馆 (TCM hall of a centre) or a 中医阁 (TCM corner of a village clinic). The table was
  exported from Amap (高德), so its coordinates are **GCJ-02** (火星坐标); `datum="gcj02"` converts
  them to WGS-84, otherwise every point would sit about 400 m off the roads.
* **Population** (人口): a raster of residents per cell, turned into demand points (需求点) inside
  the county.
* **Roads** (路网): OpenStreetMap ways clipped to the county plus a 5 km buffer, so trips across
  the border count."""),
    ("code", """county = tc.read_boundaries(demo["boundary"], level="county")
towns = tc.read_boundaries(demo["townships"], level="township")
facilities = tc.read_facilities(demo["facilities"], datum=demo["facilities_datum"])
people = tc.read_population(demo["population"], boundary=county)
roads = tc.read_network(demo["network"], boundary=county)
print(f"{len(facilities)} facilities, {len(people):,} demand points, "
      f"{people['population'].sum():,.0f} residents, {roads.n_segments:,} road segments")
facilities["type"].value_counts()"""),
    ("md", """## Travel times · 出行时间

`tc.compute_access` routes over the real roads, not straight lines: one multi-source
shortest-path run per mode and facility set gives every demand point its minutes to the nearest
facility of each kind — any TCM service point (任一中医药服务点), the county TCM hospital
(县级中医医院), a 中医馆, a 中医阁, any primary-care facility (基层医疗机构) — in columns
`t_{facility set}_{mode}` (e.g. `t_tcm_any_ebike`). `tc.IsochroneOptions` also draws
5/10/15-minute bands (等时圈) from a 100 m grid of the same travel times."""),
    ("code", """access = tc.compute_access(people, facilities, roads, modes=("walk", "ebike"),
                           isochrones=tc.IsochroneOptions(minutes=(5, 10, 15), area=county),
                           progress=False)
access.demand[["population", "t_tcm_any_walk", "t_tcm_any_ebike"]].describe().round(1)"""),
    ("md", """## Coverage · 覆盖率

`tc.coverage_tables` counts, per county and per township and mode, the residents within each
threshold (`share_within_10`, `share_within_15`: 10/15分钟内可达人口比例), the population-weighted
mean minutes (`mean_min`, 平均出行时间) and the facilities by type. The tables the command line
writes (CSV/XLSX) are these, with Chinese headers."""),
    ("code", """tables = tc.coverage_tables(access.demand, access.facilities, counties=county, townships=towns,
                           modes=access.modes, facility_sets=access.facility_sets, thresholds=(10, 15))
county_table, town = tables.county, tables.township"""),
    ("code", """county_table[["name", "mode", "population", "share_within_10", "share_within_15", "mean_min"]]"""),
    ("md", """## Which townships fall short? · 哪些乡镇未达标

E-bike is the usual way rural residents reach a clinic. Townships sorted by the share within
15 minutes, with their township centres (`n_centres`), how many of those have a 中医馆
(`n_centres_zhongyiguan`), their village clinics/stations (`n_stations`) and how many have a
中医阁 (`n_stations_zhongyige`):"""),
    ("code", """ebike = town[town["mode"] == "ebike"].sort_values("share_within_15")
ebike[["name", "population", "share_within_15", "mean_min", "n_centres_zhongyiguan",
       "n_stations", "n_stations_zhongyige"]]"""),
    ("code", """worst = ebike.iloc[0]
print(f"{worst['name']}: {worst['share_within_15']:.1%} within 15 min by e-bike; "
      f"{worst['n_centres_zhongyiguan']} of {worst['n_centres']} centres have a 中医馆")
assert worst["share_within_15"] < ebike["share_within_15"].median()"""),
    ("md", """## The map · 覆盖地图

`tc.coverage_map` draws the isochrone bands, the township shares (choropleth), the residents
beyond 15 minutes (graduated circles) and the facilities (hollow: no 中医馆/中医阁). Layers can be
switched on and off; click a facility for its details."""),
    ("code", """layers = tc.MapLayers(counties=county, townships=towns, township_table=town,
                      facilities=access.facilities, demand=access.demand,
                      isochrones=access.isochrones)
fmap = tc.coverage_map(layers, mode="ebike", threshold=15)
fmap"""),
    ("md", """## Change the threshold and the mode · 调整阈值与出行方式

Walking, 10 minutes, and the reach of 中医阁 alone (the village level of the service circle):
the same travel times, another facility set and threshold, no recomputation."""),
    ("code", """walk10 = tc.coverage_map(layers, mode="walk", threshold=10, facility_set="zhongyige")
share = (access.demand["t_zhongyige_walk"] <= 10).mul(access.demand["population"]).sum() \\
    / access.demand["population"].sum()
print(f"{share:.1%} of residents walk to a 中医阁 within 10 minutes")
walk10"""),
    ("md", """## Against a plan's targets · 规划指标评分

`tc.load_profile` reads a plan profile (规划目标: the national plan, a province's or a city's);
`tc.scorecard` scores the county and each township against it: the value, the target, met or
not (达标/未达标), and the gap in units a planner acts on ("还需 3 个中医阁"). Indicators whose
inputs are missing say 无数据 (no data), never 0."""),
    ("code", """profile = tc.load_profile("national")
card = tc.scorecard(access, profile, counties=county, townships=towns, mode="ebike", lang="en")
card.rows"""),
    ("md", """## Where to add 中医阁? A site-selection scenario · 选址情景

The demo scenario `upgrade_only.toml` asks which 15 village clinics should get a 中医阁 so that
the most residents come within 15 minutes by e-bike (maximal covering, 最大覆盖, solved exactly
with HiGHS). Here with 5 upgrades instead of 15; the scenario runs its own coverage analysis (a
few seconds). From the command line:
`tcm-coverage site tcm_coverage/demo_data/scenarios/*.toml`."""),
    ("code", """from dataclasses import replace

scn = tc.load_scenario(tc.demo_data_dir() / "scenarios" / "upgrade_only.toml")
plan = tc.run_scenario(replace(scn, p=5), progress=False)
s = plan.summary
print(f"{s['sites']} upgrades: {s['share_before']:.1%} -> {s['share_after']:.1%} within 15 min "
      f"(+{s['newly_covered']:,} residents), {s['status']}, greedy gap {s['greedy_gap']:.2%}")
plan.sites[["name", "kind", "township_name", "newly_covered", "cost"]]"""),
    ("code", """plan.townships[["name", "share_before", "share_after", "newly_covered"]]"""),
    ("md", """## The planner's outputs · 输出成果

`tc.run_analysis` does all of the above from file paths (`tc.AnalysisConfig`) and writes the
tables (CSV, XLSX with Chinese headers), GeoPackages, the map, the A4 report and the scorecard
into one folder, atomically. The command line `tcm-coverage demo` does the same;
`tc.summary_text` is what it prints. Errors in the inputs raise `tc.InputError` naming the
file, the row and the fix."""),
    ("code", """import tempfile
from pathlib import Path

out = Path(tempfile.mkdtemp()) / "demo"
config = tc.AnalysisConfig.from_options(**demo, out_dir=out, modes=("walk", "ebike"),
                                        thresholds=(10.0, 15.0), self_contained=True)
run = tc.run_analysis(config, progress=False)
print(tc.summary_text(run, config))
sorted(p.name for p in out.iterdir())"""),
    ("code", """try:
    tc.read_facilities(out / "no_such_file.csv")
except tc.InputError as err:
    print(f"{type(err).__name__}: {err}")"""),
]


def build() -> nbformat.NotebookNode:
    """The notebook, outputs empty."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    return nb


if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / "notebooks" / "demo_walkthrough.ipynb"
    nbformat.write(build(), path)
    print(f"wrote {path}")
