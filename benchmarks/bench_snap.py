"""Benchmark: building a province-sized RoadNetwork and snapping 1M points to it (issue 16).

Run from the repository root (each part in a fresh process, so peak memory is its own)::

    python benchmarks/bench_snap.py [--side 750] [--points 1000000]

The network is bench_province's perturbed grid (``side``\\ :sup:`2` nodes, 100 m spacing,
15 m jitter, 8 % of segments removed; ``side=750``: 562k nodes, 1.03M segments), handed to
``assemble_network`` as the pyosmium reader does: node arrays and straight segments without
geometry. Part ``build`` reports the CPU seconds of ``assemble_network`` and the peak memory
(``VmHWM``) above the raw arrays; part ``snap`` the CPU seconds of ``snap_points`` for 1,000
facilities and ``--points`` demand points (e-bike), first call (building the search
structures) and again (the trees built, the searches kept per point set dropped), then the same
points for walk and car: reusing the e-bike search against each mode's own search. CPU
seconds (user + system, ``os.times``) rather than wall time: the numbers hold on a loaded
machine. Run it on two checkouts for a before/after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_routing import grid_arrays  # noqa: E402

from tcm_coverage.network import build_routing_graph, get_profile, snap_points, snapping  # noqa: E402
from tcm_coverage.network.model import RawNodes, RawSegments, assemble_network  # noqa: E402


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def raw_grid(side: int, seed: int) -> tuple[RawNodes, RawSegments]:
    """bench_province's grid (UTM 50N at about 119.0 E, 32.0 N) as a reader's raw arrays."""
    g = grid_arrays(side, seed, crs_m="EPSG:32650", origin=(500_000.0, 3_540_000.0))
    m = g["u"].size
    return (RawNodes(node_id=np.arange(g["lon"].size, dtype=np.int64), lon=g["lon"], lat=g["lat"]),
            RawSegments(u=g["u"], v=g["v"], highway=g["highway"], oneway=g["oneway"],
                        maxspeed_kmh=np.full(m, np.nan), geometry_ll=np.full(m, None, dtype=object)))


def child(part: str, side: int, n_points: int, seed: int) -> dict:
    nodes, segs = raw_grid(side, seed)
    out: dict = {"rss_before_mb": vm_rss_mb()}
    t0 = cpu()
    net = assemble_network(nodes, segs, source="synthetic")
    out["build_cpu_s"] = cpu() - t0
    out.update(nodes=net.n_nodes, segments=net.n_segments)
    if part == "build":
        out["rss_after_mb"] = vm_rss_mb()
        out["peak_mb"] = vm_hwm_mb()
        return out
    rg = build_routing_graph(net, get_profile("ebike"))
    rng = np.random.default_rng(seed)
    lon0, lon1, lat0, lat1 = net.lon.min(), net.lon.max(), net.lat.min(), net.lat.max()
    plon, plat = rng.uniform(lon0, lon1, n_points), rng.uniform(lat0, lat1, n_points)
    flon, flat = rng.uniform(lon0, lon1, 1000), rng.uniform(lat0, lat1, 1000)
    for run in ("first", "again"):
        _forget_searches()  # "again": the trees are built, the points searched anew
        t0 = cpu()
        snap_points(rg, flon, flat, leg="from_road")
        ds = snap_points(rg, plon, plat)
        out[f"snap_{run}_cpu_s"] = cpu() - t0
    out["mean_offroad_m"] = float(ds.offroad_m.mean())
    # the same points for the other modes: reusing the e-bike search where it provably holds,
    # against each mode's own search in the same run (its trees built beforehand)
    for mode in ("walk", "car"):
        other = build_routing_graph(net, get_profile(mode))
        targets, fragments = snapping._snap_targets(other)
        for mask in (targets, fragments):
            if mask.any():
                snapping._cached_index(net, snapping._network_pieces(net), mask)
        snap_points(rg, plon, plat)  # the e-bike search is the one kept
        t0 = cpu()
        reused = snap_points(other, plon, plat)
        out[f"snap_{mode}_reused_cpu_s"] = cpu() - t0
        _forget_searches()
        t0 = cpu()
        own = snap_points(other, plon, plat)
        out[f"snap_{mode}_own_cpu_s"] = cpu() - t0
        if not (np.array_equal(own.edge, reused.edge) and np.array_equal(own.offroad_m, reused.offroad_m)):
            raise AssertionError(f"{mode}: the reused snap differs from the own search")
    out["peak_mb"] = vm_hwm_mb()
    return out


def _forget_searches() -> None:
    """Drop the searches and projections kept per point set (the trees stay)."""
    snapping._NEAR.clear()
    snapping._PROJECTED.clear()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", type=int, default=750)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--part", choices=("build", "snap"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.part:
        print(json.dumps(child(args.part, args.side, args.points, args.seed)))
        return 0
    for part in ("build", "snap"):
        proc = subprocess.run([sys.executable, __file__, "--part", part, "--side", str(args.side),
                               "--points", str(args.points), "--seed", str(args.seed)],
                              capture_output=True, text=True, check=True)
        print(part, proc.stdout.strip().splitlines()[-1], flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
