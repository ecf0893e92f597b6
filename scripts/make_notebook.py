"""Write notebooks/demo_walkthrough.ipynb (outputs empty) from the cells below.

Edit the cells here and rerun ``python scripts/make_notebook.py``; the notebook is executed top
to bottom by ``tests/test_notebook.py`` in CI.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS: list[tuple[str, str]] = [
    ("md", """# 演示县中医药服务15分钟可达性 · Demo county walkthrough

This notebook follows a planner's question on the bundled demo county (the real boundary of
Tunliu district, 屯留区, with a **synthetic** interior: see `tcm_coverage/demo_data/README.md`):

1. load the facilities, boundaries, population and roads;
2. compute travel times by walking and e-bike to the nearest TCM service point;
3. read the coverage per township and look at the map;
4. change the threshold and the mode;
5. run a site-selection scenario: which village clinics should get a 中医阁;
6. write the planner's outputs (tables, map, report).

Run it from the repository root or from `notebooks/`; it finds the demo data itself."""),
    ("code", """from tcm_coverage.access.compute import IsochroneOptions, compute_access
from tcm_coverage.inputs.boundaries import read_boundaries
from tcm_coverage.demo import demo_data_dir
from tcm_coverage.inputs.facilities import read_facilities
from tcm_coverage.outputs import MapLayers, coverage_map
from tcm_coverage.access.coverage import coverage_tables
from tcm_coverage.network import read_network
from tcm_coverage.inputs.population import read_population

data = demo_data_dir()
county = read_boundaries(data / "boundaries" / "tunliu_140405_county_wgs84.geojson", level="county")
towns = read_boundaries(data / "boundaries" / "demo_townships_wgs84.geojson", level="township")
# The facility table was exported from Amap (高德), so its coordinates are GCJ-02:
facilities = read_facilities(data / "facilities" / "demo_facilities_gcj02.csv", datum="gcj02")
people = read_population(data / "population" / "demo_population.tif", boundary=county)
roads = read_network(data / "roads" / "demo_roads.osm", boundary=county)
print(f"{len(facilities)} facilities, {len(people):,} demand points, "
      f"{people['population'].sum():,.0f} residents, {roads.n_segments:,} road segments")
facilities["type"].value_counts()"""),
    ("md", """## Travel times

One multi-source shortest-path run per mode and target gives every resident's time to the
nearest facility of each kind. `IsochroneOptions` also draws 5/10/15-minute bands from a 100 m
grid of the same travel times."""),
    ("code", """access = compute_access(people, facilities, roads, modes=("walk", "ebike"),
                        isochrones=IsochroneOptions(minutes=(5, 10, 15), area=county), progress=False)
tables = coverage_tables(access.demand, access.facilities, counties=county, townships=towns,
                         modes=access.modes, facility_sets=access.facility_sets, thresholds=(10, 15))
tables.county[["name", "mode", "population", "share_within_10", "share_within_15", "mean_min"]]"""),
    ("md", """## Which townships fall short?

E-bike is the usual way rural residents reach a clinic. Sorted by the share within 15 minutes:"""),
    ("code", """town = tables.township
ebike = town[town["mode"] == "ebike"].sort_values("share_within_15")
ebike[["name", "population", "share_within_15", "mean_min", "n_centres_zhongyiguan",
       "n_stations", "n_stations_zhongyige"]]"""),
    ("code", """worst = ebike.iloc[0]
print(f"{worst['name']}: {worst['share_within_15']:.1%} within 15 min by e-bike; "
      f"{worst['n_centres_zhongyiguan']} of {worst['n_centres']} centres have a 中医馆")
assert worst["share_within_15"] < ebike["share_within_15"].median()"""),
    ("md", """## The map

Isochrone bands, township shares, residents beyond 15 minutes (graduated circles) and the
facilities (hollow: no 中医馆/中医阁). Click a facility for its details."""),
    ("code", """layers = MapLayers(counties=county, townships=towns, township_table=town,
                   facilities=access.facilities, demand=access.demand, isochrones=access.isochrones)
fmap = coverage_map(layers, mode="ebike", threshold=15)
fmap"""),
    ("md", """## Change the threshold and the mode

Walking, 10 minutes, and the reach of 中医阁 alone (the village level of the service circle):"""),
    ("code", """walk10 = coverage_map(layers, mode="walk", threshold=10, facility_set="zhongyige")
share = (access.demand["t_zhongyige_walk"] <= 10).mul(access.demand["population"]).sum() \\
    / access.demand["population"].sum()
print(f"{share:.1%} of residents walk to a 中医阁 within 10 minutes")
walk10"""),
    ("md", """## Where to add 中医阁? A site-selection scenario

`tcm_coverage/demo_data/scenarios/upgrade_only.toml` asks which 15 village clinics should get a 中医阁 so that the
most residents come within 15 minutes by e-bike (maximal covering, solved exactly with HiGHS).
Here with 5 upgrades instead of 15; the scenario runs its own coverage analysis (a few
seconds). From the command line: `tcm-coverage site tcm_coverage/demo_data/scenarios/*.toml`."""),
    ("code", """from dataclasses import replace

from tcm_coverage.workflows import load_scenario, run_scenario

scn = load_scenario(data / "scenarios" / "upgrade_only.toml")
plan = run_scenario(replace(scn, p=5), progress=False)
s = plan.summary
print(f"{s['sites']} upgrades: {s['share_before']:.1%} -> {s['share_after']:.1%} within 15 min "
      f"(+{s['newly_covered']:,} residents), {s['status']}, greedy gap {s['greedy_gap']:.2%}")
plan.sites[["name", "kind", "township_name", "newly_covered", "cost"]]"""),
    ("code", """plan.townships[["name", "share_before", "share_after", "newly_covered"]]"""),
    ("md", """## The planner's outputs

`run_analysis` does all of the above and writes the tables (CSV, XLSX with Chinese headers),
GeoPackages, the map and the A4 report into one folder, atomically. The command line
`tcm-coverage demo` does the same."""),
    ("code", """import tempfile
from pathlib import Path

from tcm_coverage.workflows import AnalysisConfig, run_analysis, summary_text

out = Path(tempfile.mkdtemp()) / "demo"
config = AnalysisConfig.from_options(
    facilities=data / "facilities" / "demo_facilities_gcj02.csv", facilities_datum="gcj02",
    boundary=data / "boundaries" / "tunliu_140405_county_wgs84.geojson",
    townships=data / "boundaries" / "demo_townships_wgs84.geojson",
    population=data / "population" / "demo_population.tif",
    network=data / "roads" / "demo_roads.osm", out_dir=out,
    modes=("walk", "ebike"), thresholds=(10.0, 15.0), self_contained=True,
)
run = run_analysis(config, progress=False)
print(summary_text(run, config))
sorted(p.name for p in out.iterdir())"""),
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
