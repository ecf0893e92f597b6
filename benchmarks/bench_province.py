"""Benchmark: province-scale routing, tcm_coverage vs networkx / osmnx-notebook approaches.

Run from the repository root (prints one table; not a timed test)::

    python benchmarks/bench_province.py [--repeats 3] [--side 220] [--big-side 750]
                                        [--ego-sample 50] [--skip-big]
    python benchmarks/bench_province.py --province /tmp/realprov [--only CODE ...] [--workers 2]

``--province DIR`` runs part 5 alone: the real ``tcm-coverage batch`` on a realistic province
(:mod:`province_run`: phases, serial share, counties per minute, peak memory, output MB).

Four parts, on perturbed grid road networks (100 m spacing, 15 m jitter, 8 % of segments
removed, residential/unclassified/tertiary/track, 10 % one-way) generated in UTM 50N with
real lon/lat, so snapping works as on OSM data:

1. **nearest facility for all nodes** (``--side``\\ :sup:`2` nodes, 1,000 facilities):
   ``tcm_coverage.access.traveltime.node_times_to_nearest`` (one multi-source scipy Dijkstra on the
   transposed graph with a virtual node per facility) vs
   ``networkx.multi_source_dijkstra_path_length`` on the reversed DiGraph (built beforehand,
   not timed; the approach of ``bench_routing.py``).
2. **per-facility 15-minute isochrones** (e-bike) for K = 100 and 1,000 facilities: ours =
   ``scipy.sparse.csgraph.dijkstra(limit=15)`` over the facilities in batches of 256, then one
   vectorised ``shapely.convex_hull`` per facility; the osmnx example-notebook approach =
   ``nx.ego_graph(G, node, radius=15, distance="time")`` per facility + convex hull of its
   nodes. For K = 1,000 the ego-graph baseline is timed on ``--ego-sample`` facilities and
   extrapolated (marked ``~``). Both give the same node sets (checked on the sample).
3. **spatial node numbering**: the same multi-source Dijkstra with random node ids, the
   generation (row-major) order, and the Z-order (Morton) numbering that
   ``tcm_coverage.network`` now applies when it builds a RoadNetwork.
4. **whole pipeline**, each in a fresh subprocess (wall time, peak RSS): the demo county exactly as ``tcm-coverage demo`` runs it, and a
   synthetic province-sized network (``--big-side``\\ :sup:`2` nodes, >= 1M segments;
   peak memory is ``VmHWM`` of the child, ``resource.getrusage`` where /proc is absent):
   build the RoadNetwork (with the spatial renumbering) and the e-bike routing graph, snap
   1,000 facilities and ~1M demand points, route every node and every demand point to the
   nearest facility. The "scipy limit" is the bare ``dijkstra(min_only=True)`` call alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pyproj
import shapely
from scipy.sparse.csgraph import dijkstra

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_routing import grid_network as _grid  # noqa: E402
from bench_routing import node_snap, reversed_digraph  # noqa: E402
from province_run import province_part  # noqa: E402

from tcm_coverage.access.traveltime import (  # noqa: E402
    _augmented_transpose,
    nearest_facility_times,
    node_times_to_nearest,
)
from tcm_coverage.network import (  # noqa: E402
    RoadNetwork,
    RoutingGraph,
    build_routing_graph,
    get_profile,
    snap_points,
    spatial_node_order,
)

CRS_M = "EPSG:32650"
X0, Y0 = 500_000.0, 3_540_000.0  # about 119.0 E, 32.0 N


def grid_network(side: int, seed: int) -> RoadNetwork:
    """bench_routing's perturbed grid, drawn in UTM 50N (about 119.0 E, 32.0 N)."""
    return _grid(side, seed, crs_m=CRS_M, origin=(X0, Y0))


def renumber(net: RoadNetwork, order: np.ndarray) -> tuple[RoadNetwork, np.ndarray]:
    """The network with node ``order[k]`` renumbered ``k``; also old index -> new index."""
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size, dtype=order.dtype)
    return replace(net, node_id=net.node_id[order], lon=net.lon[order], lat=net.lat[order],
                   u=rank[net.u], v=rank[net.v]), rank


def med(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main_nodes(rg: RoutingGraph) -> np.ndarray:
    return np.flatnonzero(rg.component == rg.main_component)


# --------------------------------------------------------------------------------------
# Part 1 and 3: nearest facility for all nodes; node numbering
# --------------------------------------------------------------------------------------
def part_nearest(net: RoadNetwork, repeats: int, seed: int) -> list[dict]:
    rows = []
    rg = build_routing_graph(net, get_profile("ebike"))
    rng = np.random.default_rng(seed)
    fac_nodes = rng.choice(main_nodes(rg), size=1000, replace=False)
    t_ours, ours = med(lambda: node_times_to_nearest(rg, node_snap(rg, fac_nodes)), repeats)
    t0 = time.perf_counter()
    R = reversed_digraph(rg)
    t_build = time.perf_counter() - t0
    t_nx, ref = med(lambda: nx.multi_source_dijkstra_path_length(R, set(fac_nodes.tolist())),
                    repeats)
    ref_arr = np.full(net.n_nodes, np.inf)
    ref_arr[np.fromiter(ref.keys(), dtype=np.int64)] = np.fromiter(ref.values(), float)
    fin = np.isfinite(ref_arr)
    diff = float(np.max(np.abs(ours[fin] - ref_arr[fin])))
    same = bool(np.array_equal(fin, np.isfinite(ours)))
    label = f"{net.n_nodes / 1000:.0f}k nodes / {rg.csr.nnz / 1000:.0f}k arcs, K=1000"
    rows.append({"part": "1 nearest, all nodes", "case": label,
                 "ours": t_ours, "base": t_nx, "base_label": "networkx multi_source",
                 "note": f"max|diff| {diff:.1e}, reach equal: {same}; nx DiGraph build "
                         f"{t_build:.1f} s not timed"})
    return rows


def part_numbering(net: RoadNetwork, repeats: int, seed: int, label: str) -> list[dict]:
    """Same Dijkstra (prebuilt augmented transposed graph) under three node numberings."""
    rng = np.random.default_rng(seed)
    rg0 = build_routing_graph(net, get_profile("ebike"))
    fac_old = rng.choice(main_nodes(rg0), size=1000, replace=False)
    x, y = shapely.get_coordinates(shapely.points(
        *pyproj.Transformer.from_crs("EPSG:4326", CRS_M, always_xy=True).transform(
            net.lon, net.lat))).T
    orders = {"random ids": rng.permutation(net.n_nodes),
              "row-major (generation)": np.arange(net.n_nodes),
              "Morton (ours)": spatial_node_order(x, y)}
    times = {}
    results = {}
    for name, order in orders.items():
        net2, rank = renumber(net, order)
        rg = build_routing_graph(net2, get_profile("ebike"))
        snap = node_snap(rg, rank[fac_old])
        gt = _augmented_transpose(rg, snap)
        virt = net2.n_nodes + np.arange(fac_old.size)
        times[name], dist = med(lambda g=gt, s=virt: dijkstra(g, directed=True, indices=s,
                                                               min_only=True), repeats)
        results[name] = dist[:net2.n_nodes][rank]  # back to generation order
    same = all(np.array_equal(results["random ids"], r) for r in results.values())
    base = times["random ids"]
    return [{"part": "3 node numbering", "case": f"{label}: {name}", "ours": t,
             "base": base, "base_label": "same Dijkstra, random ids",
             "note": "identical minutes" if same else "MINUTES DIFFER"}
            for name, t in times.items() if name != "random ids"]


# --------------------------------------------------------------------------------------
# Part 2: per-facility isochrones
# --------------------------------------------------------------------------------------
def ours_isochrones(rg: RoutingGraph, fac_nodes: np.ndarray, limit: float,
                    xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reached-node counts and convex hulls of every facility's ``limit``-minute catchment."""
    n = rg.network.n_nodes
    snap = node_snap(rg, fac_nodes)
    gt = _augmented_transpose(rg, snap)
    counts = np.zeros(fac_nodes.size, dtype=np.int64)
    hulls = np.empty(fac_nodes.size, dtype=object)
    for start in range(0, fac_nodes.size, 256):
        stop = min(fac_nodes.size, start + 256)
        virt = n + np.arange(start, stop)
        dist = dijkstra(gt, directed=True, indices=virt, limit=limit)[:, :n]
        f, node = np.nonzero(np.isfinite(dist))
        counts[start:stop] = np.bincount(f, minlength=stop - start)
        pts = shapely.multipoints(xy[node], indices=f)
        hulls[start:stop] = shapely.convex_hull(pts)
    return counts, hulls


def ego_isochrones(R: nx.DiGraph, fac_nodes: np.ndarray, limit: float,
                   xy: np.ndarray) -> tuple[np.ndarray, list]:
    counts, hulls = [], []
    for node in fac_nodes.tolist():
        sub = nx.ego_graph(R, node, radius=limit, distance="time")
        nodes = np.fromiter(sub.nodes, dtype=np.int64)
        counts.append(nodes.size)
        hulls.append(shapely.MultiPoint(xy[nodes]).convex_hull)
    return np.array(counts), hulls


def part_isochrones(net: RoadNetwork, repeats: int, seed: int, sample: int) -> list[dict]:
    rg = build_routing_graph(net, get_profile("ebike"))
    rng = np.random.default_rng(seed + 1)
    xy = np.column_stack(pyproj.Transformer.from_crs("EPSG:4326", CRS_M, always_xy=True)
                         .transform(net.lon, net.lat))
    R = reversed_digraph(rg)  # facility <- resident: the ball of residents who reach it
    nx.set_edge_attributes(R, {e: w for e, w in nx.get_edge_attributes(R, "weight").items()},
                           "time")
    rows = []
    for k in (100, 1000):
        fac = rng.choice(main_nodes(rg), size=k, replace=False)
        t_ours, (cnt, _hulls) = med(lambda f=fac: ours_isochrones(rg, f, 15.0, xy), repeats)
        m = min(k, sample)
        t_ego, (cnt_ego, _h) = med(lambda f=fac[:m]: ego_isochrones(R, f, 15.0, xy),
                                   max(1, repeats - 2))
        t_base = t_ego * k / m
        same = bool(np.array_equal(cnt[:m], cnt_ego))
        rows.append({"part": "2 isochrones 15 min", "case":
                     f"K={k}, {np.mean(cnt):.0f} nodes/isochrone (e-bike)",
                     "ours": t_ours, "base": t_base, "extrapolated": m < k,
                     "base_label": "nx.ego_graph + hull per facility",
                     "note": (f"ego-graph timed on {m} facilities x {k / m:g}; " if m < k else "")
                     + f"node sets equal: {same}"})
    return rows


# --------------------------------------------------------------------------------------
# Part 4: whole pipeline in subprocesses
# --------------------------------------------------------------------------------------
def child_demo() -> dict:
    import tempfile

    from tcm_coverage.cli.main import DEMO_SOURCES, demo_data_dir
    from tcm_coverage.workflows import AnalysisConfig, run_analysis

    data = demo_data_dir()
    with tempfile.TemporaryDirectory() as tmp:
        config = AnalysisConfig.from_options(
            facilities=data / "facilities" / "demo_facilities_gcj02.csv", facilities_datum="gcj02",
            boundary=data / "boundaries" / "tunliu_140405_county_wgs84.geojson",
            townships=data / "boundaries" / "demo_townships_wgs84.geojson",
            population=data / "population" / "demo_population.tif",
            network=data / "roads" / "demo_roads.osm", out_dir=Path(tmp) / "demo",
            modes=("walk", "ebike", "car"), thresholds=(5.0, 10.0, 15.0, 20.0, 30.0),
            profiles=("national",), sources=DEMO_SOURCES["zh"])
        t0 = time.perf_counter()
        run = run_analysis(config, progress=False)
        wall = time.perf_counter() - t0
    net = run.access.networks
    return {"wall": wall, "stages": run.seconds, "points": len(run.access.demand),
            "nodes": next(iter(net.values()))["nodes"],
            "segments": next(iter(net.values()))["segments"]}


def child_big(side: int, n_points: int, seed: int) -> dict:
    from tcm_coverage.network.model import RawNodes, RawSegments, assemble_network

    out: dict = {}
    t0 = time.perf_counter()
    raw = grid_network(side, seed)
    out["make grid"] = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    # the RoadNetwork as read_network would build it: through assemble_network (projection, lengths,
    # spatial renumbering) from lon/lat geometries
    t0 = time.perf_counter()
    geom_ll = shapely.linestrings(np.stack(
        [np.column_stack([raw.lon[raw.u], raw.lat[raw.u]]),
         np.column_stack([raw.lon[raw.v], raw.lat[raw.v]])], axis=1))
    net = assemble_network(RawNodes(node_id=raw.node_id, lon=raw.lon, lat=raw.lat),
                           RawSegments(u=raw.u, v=raw.v, highway=raw.highway, oneway=raw.oneway,
                                       maxspeed_kmh=raw.maxspeed_kmh, geometry_ll=geom_ll),
                           source="synthetic")
    del raw, geom_ll
    out["build RoadNetwork (+renumber)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rg = build_routing_graph(net, get_profile("ebike"))
    out["routing graph"] = time.perf_counter() - t0
    lon0, lon1, lat0, lat1 = net.lon.min(), net.lon.max(), net.lat.min(), net.lat.max()
    plon, plat = rng.uniform(lon0, lon1, n_points), rng.uniform(lat0, lat1, n_points)
    flon, flat = rng.uniform(lon0, lon1, 1000), rng.uniform(lat0, lat1, 1000)
    t0 = time.perf_counter()
    fs = snap_points(rg, flon, flat)
    ds = snap_points(rg, plon, plat)
    out["snap 1k facilities + points"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = nearest_facility_times(rg, ds, fs)
    out["route all nodes + points"] = time.perf_counter() - t0
    gt = _augmented_transpose(rg, fs)
    virt = net.n_nodes + np.arange(len(fs))
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        dijkstra(gt, directed=True, indices=virt, min_only=True)
        times.append(time.perf_counter() - t0)
    out["scipy limit (bare dijkstra)"] = statistics.median(times)
    out.update(nodes=net.n_nodes, segments=net.n_segments, arcs=int(rg.csr.nnz),
               points=n_points, reachable=float(np.isfinite(res.minutes).mean()))
    return out


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB.

    ``VmHWM`` from ``/proc/self/status`` (Linux): unlike ``getrusage().ru_maxrss``, which
    Linux carries over from the parent across fork + exec, it starts afresh in a new program.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=True, cwd=HERE.parent)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fmt_s(t: float) -> str:
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--side", type=int, default=220, help="parts 1-3: side**2 nodes (48k)")
    ap.add_argument("--mid-side", type=int, default=550, help="part 3 also: side**2 (300k)")
    ap.add_argument("--big-side", type=int, default=750, help="part 4: side**2 nodes")
    ap.add_argument("--points", type=int, default=1_000_000, help="part 4: demand points")
    ap.add_argument("--ego-sample", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--child", choices=("demo", "big"), help=argparse.SUPPRESS)
    real = ap.add_argument_group("part 5, the realistic province: the real batch CLI (alone)")
    real.add_argument("--province", type=Path, default=None, metavar="DIR",
                      help="run `tcm-coverage batch` on this province folder (what "
                           "make_real_scale_province.py writes) instead of parts 1-4")
    real.add_argument("--only", nargs="+", default=None, metavar="CODE",
                      help="--province: only these county codes (default: all)")
    real.add_argument("--workers", type=int, default=2, help="--province: local Dask workers")
    real.add_argument("--province-out", type=Path, default=None, metavar="DIR",
                      help="--province: a new, empty output folder (default: a temporary one)")
    real.add_argument("--batch-args", default="", metavar="'ARGS'",
                      help="--province: more batch options, e.g. '--layers full'")
    real.add_argument("--json", type=Path, default=None, help="--province: also write the numbers")
    args = ap.parse_args(argv)
    if args.province is not None:
        out = args.province_out or Path(tempfile.mkdtemp(prefix="bench-province-")) / "out"
        return province_part(args.province, out, only=args.only, workers=args.workers,
                             extra=shlex.split(args.batch_args), json_path=args.json)
    if args.child:
        res = child_demo() if args.child == "demo" else child_big(args.big_side, args.points,
                                                                  args.seed)
        res["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(res))
        return 0

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; median of "
          f"{args.repeats} runs", flush=True)
    rows: list[dict] = []
    t0 = time.perf_counter()
    net = grid_network(args.side, args.seed)
    print(f"grid {args.side}x{args.side}: {net.n_nodes} nodes, {net.n_segments} segments "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)
    rows += part_nearest(net, args.repeats, args.seed)
    print("part 1 done", flush=True)
    rows += part_isochrones(net, args.repeats, args.seed, args.ego_sample)
    print("part 2 done", flush=True)
    rows += part_numbering(net, args.repeats, args.seed, f"{net.n_nodes / 1000:.0f}k nodes")
    mid = grid_network(args.mid_side, args.seed)
    rows += part_numbering(mid, args.repeats, args.seed, f"{mid.n_nodes / 1000:.0f}k nodes")
    del mid
    print("part 3 done", flush=True)

    demo = run_child(["--child", "demo"])
    big = None if args.skip_big else run_child(["--child", "big", "--big-side",
                                                 str(args.big_side), "--points",
                                                 str(args.points), "--seed", str(args.seed)])
    print("part 4 done", flush=True)
    print()
    head = f"{'part':<22}{'case':<44}{'ours':>11}{'baseline':>12}{'ratio':>8}  baseline / note"
    print(head)
    print("-" * (len(head) + 30))
    for r in rows:
        base = ("~" if r.get("extrapolated") else "") + fmt_s(r["base"])
        print(f"{r['part']:<22}{r['case']:<44}{fmt_s(r['ours']):>11}{base:>12}"
              f"{r['base'] / r['ours']:>7.1f}x  {r['base_label']}; {r['note']}")
    print()
    print(f"4 whole pipeline, demo county ({demo['points']} demand points, {demo['nodes']} nodes,"
          f" {demo['segments']} segments; walk+ebike+car, 5 thresholds, all outputs): wall "
          f"{demo['wall']:.2f} s, peak RSS {demo['peak_rss_mb']:.0f} MB")
    print("   stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in demo["stages"].items()))
    if big is not None:
        route = (big["routing graph"] + big["snap 1k facilities + points"]
                 + big["route all nodes + points"])
        print(f"4 synthetic province network: {big['nodes']} nodes, {big['segments']} segments, "
              f"{big['arcs']} arcs, {big['points']} demand points (e-bike), peak RSS "
              f"{big['peak_rss_mb']:.0f} MB")
        for k in ("make grid", "build RoadNetwork (+renumber)", "routing graph",
                  "snap 1k facilities + points", "route all nodes + points",
                  "scipy limit (bare dijkstra)"):
            print(f"   {k:<34}{big[k]:>8.2f} s")
        limit = big["scipy limit (bare dijkstra)"]
        print(f"   graph + snapping + routing = {route:.2f} s = {route / limit:.1f}x the bare "
              f"Dijkstra; routing alone (augmented graph + Dijkstra + per-point minimum) = "
              f"{big['route all nodes + points'] / limit:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
