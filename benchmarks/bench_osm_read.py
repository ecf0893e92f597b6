"""Benchmark: one county, and the whole province, out of a province ``.osm.pbf`` (issue 16).

Run from the repository root (prints one table; not a timed test)::

    python benchmarks/bench_osm_read.py [--province /tmp/realprov] [--county 40]

``--province`` is a folder with ``province.osm.pbf`` and ``counties.geojson`` (the realistic
province of ``../shared/tools/make_real_scale_province.py``). Each row is a fresh subprocess
(CPU seconds of the read, user + system, and the child's peak RSS, imports included):

* ``read_network`` of one county (its outline buffered by 5 km), as ``analyze --network`` does;
* ``pyrosm.OSM(path, bounding_box=<the same buffered bbox>).get_network(nodes=True)`` (the
  reader before issue 16; a GeoDataFrame, not yet a RoadNetwork), when pyrosm is installed,
  in a fresh ``TMPDIR`` so that pyrosm's result cache does not answer instead of the file;
* ``read_network`` of all counties, as ``batch`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import json, os, resource, sys
import geopandas as gpd
import shapely
from tcm_coverage._geo import buffer_lonlat
from tcm_coverage.inputs import boundary_geometry
from tcm_coverage.network import read_network
folder, which, how = sys.argv[1], sys.argv[2], sys.argv[3]
counties = gpd.read_file(f"{folder}/counties.geojson")
boundary = counties if which == "all" else counties.iloc[[int(which)]]
t0 = os.times()
if how == "pyrosm":
    import pyrosm
    area = buffer_lonlat(boundary_geometry(boundary), 5000.0)
    osm = pyrosm.OSM(f"{folder}/province.osm.pbf", bounding_box=list(shapely.bounds(area)))
    nodes, edges = osm.get_network(network_type="all", nodes=True)
    n_nodes, n_segments = len(nodes), len(edges)
else:
    net = read_network(f"{folder}/province.osm.pbf", boundary=boundary, buffer_m=5000.0)
    n_nodes, n_segments = net.n_nodes, net.n_segments
t1 = os.times()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
try:
    with open("/proc/self/status") as f:
        peak = next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) / 1e6
except OSError:
    pass
print(json.dumps({"cpu_s": t1.user + t1.system - t0.user - t0.system, "peak_gb": peak,
                  "nodes": n_nodes, "segments": n_segments}))
"""


def _run(folder: Path, which: str, how: str) -> dict[str, float]:
    # a fresh TMPDIR: pyrosm >= 0.25 caches each read's result under <tempdir>/pyrosm/cache,
    # and a cached read (0.8 s for the county) is not a read
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(folder), which, how],
                             check=True, capture_output=True, text=True,
                             env={**os.environ, "TMPDIR": tmp})
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--province", type=Path, default=Path("/tmp/realprov"))
    parser.add_argument("--county", default="40", help="row of counties.geojson")
    args = parser.parse_args()
    rows = [("one county: read_network", args.county, "ours")]
    try:
        import pyrosm  # noqa: F401
        rows.append(("one county: pyrosm bbox read", args.county, "pyrosm"))
    except ImportError:
        pass
    rows.append(("province: read_network", "all", "ours"))
    print(f"{'read':34s} {'CPU s':>7s} {'peak GB':>8s} {'nodes':>9s} {'segments':>9s}")
    for name, which, how in rows:
        r = _run(args.province, which, how)
        print(f"{name:34s} {r['cpu_s']:7.1f} {r['peak_gb']:8.2f} {r['nodes']:9,d} "
              f"{r['segments']:9,d}", flush=True)


if __name__ == "__main__":
    main()
