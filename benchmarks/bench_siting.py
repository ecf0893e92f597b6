"""Benchmark: exact site selection (HiGHS) vs greedy, with/without reduction and warm start.

Run from the repository root::

    python benchmarks/bench_siting.py [--demand 5000] [--candidates 500] [--seed 0]
                                      [--time-limit 120] [--spopt]

Synthetic but spatially plausible county: a 40 km square with ~300 villages; 70 % of the
demand points sit around village centres (300 m spread), 30 % are scattered; populations are
log-normal. 60 % of the candidates are at village centres (``upgrade``, cost ~1), 40 %
anywhere (``new``, cost ~5). Travel minutes are straight-line km at 16 km/h times a per-pair
detour factor in [1.0, 1.4]; a pair covers within 15 minutes, pairs up to 30 minutes are
kept. 30 existing TCM facilities are already open.

For MCLP p=10 and p=50, LSCP 100 % (fewest sites), upgrade-or-build (budget 60) and, with
``--median``, p-median p=10 (minutes beyond the 30-minute cutoff count as 60) it runs
greedy alone and the exact model in four configurations (reduction on/off x warm start on/off)
and prints seconds, objective, dual bound, gap, the greedy objective and its gap, and the time
ratio to the default configuration (reduce + warm start). ``--spopt`` also solves MCLP with
spopt + CBC (``pip install spopt`` first; it is not a dependency of tcm-coverage).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tcm_coverage.siting import (  # noqa: E402
    greedy_max_cover,
    greedy_median,
    greedy_set_cover,
    make_instance,
    maximal_covering,
    p_median,
    reduce_covering,
    set_covering,
    upgrade_or_build,
)

SIDE_KM = 40.0
SPEED_KMH = 16.0  # default; --speed-kmh changes how many candidates each resident reaches
THRESHOLD = 15.0
CUTOFF = 30.0


def synthetic(n_demand: int, n_cand: int, seed: int, speed_kmh: float = SPEED_KMH):
    """(instance, demand xy, candidate xy) of the synthetic county."""
    rng = np.random.default_rng(seed)
    villages = rng.uniform(0, SIDE_KM, size=(300, 2))
    n_cl = int(0.7 * n_demand)
    dem = np.vstack([villages[rng.integers(0, 300, n_cl)] + rng.normal(0, 0.3, (n_cl, 2)),
                     rng.uniform(0, SIDE_KM, (n_demand - n_cl, 2))])
    dem = np.clip(dem, 0, SIDE_KM)
    weight = np.round(rng.lognormal(4.0, 1.0, n_demand))
    n_up = int(0.6 * n_cand)
    cand = np.vstack([villages[rng.choice(300, n_up, replace=n_up > 300)]
                      + rng.normal(0, 0.05, (n_up, 2)),
                      rng.uniform(0, SIDE_KM, (n_cand - n_up, 2))])
    kind = np.array(["upgrade"] * n_up + ["new"] * (n_cand - n_up), dtype=object)
    cost = np.where(kind == "upgrade", rng.uniform(0.8, 1.2, n_cand), rng.uniform(4.0, 6.0, n_cand))
    radius_km = CUTOFF / 60.0 * speed_kmh
    sdm = cKDTree(dem).sparse_distance_matrix(cKDTree(cand), radius_km, output_type="coo_matrix")
    detour = rng.uniform(1.0, 1.4, sdm.nnz)
    minutes = sdm.data * detour / speed_kmh * 60.0
    existing = rng.uniform(0, SIDE_KM, (30, 2))
    dd, _ = cKDTree(existing).query(dem)
    ex_min = dd * 1.2 / speed_kmh * 60.0
    inst = make_instance(weight, sdm.row, sdm.col, minutes, n_candidates=n_cand,
                         threshold=THRESHOLD, cost=cost, existing_minutes=ex_min, kind=kind)
    return inst


def fmt(x: float, width: int = 12) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return f"{'-':>{width}}"
    return f"{x:>{width},.1f}" if abs(x) >= 100 else f"{x:>{width}.4g}"


def run_spopt(inst, p: int) -> tuple[float, float] | None:
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError:
        print("spopt/pulp not installed: skipping the spopt + CBC comparison")
        return None
    # spopt has no notion of existing facilities: give it the rows not yet covered
    keep = ~inst.already_covered
    rows = np.flatnonzero(keep)
    pos = np.full(inst.n_demand, -1)
    pos[rows] = np.arange(rows.size)
    cov = (inst.pair_minutes <= inst.threshold) & keep[inst.pair_demand]
    dense = np.full((rows.size, inst.n_candidates), 1e9)
    dense[pos[inst.pair_demand[cov]], inst.pair_candidate[cov]] = inst.pair_minutes[cov]
    t0 = time.perf_counter()
    model = MCLP.from_cost_matrix(dense, inst.weight[rows], service_radius=inst.threshold,
                                  p_facilities=p)
    t_build = time.perf_counter() - t0
    model = model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)
    secs = time.perf_counter() - t0
    print(f"  spopt build {t_build:.1f}s")
    return secs, float(pulp.value(model.problem.objective))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demand", type=int, default=5000)
    ap.add_argument("--candidates", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--speed-kmh", type=float, default=SPEED_KMH)
    ap.add_argument("--short-limit", type=float, default=0.5,
                    help="seconds for the time-limited warm-start comparison")
    ap.add_argument("--median", action="store_true",
                    help="also p-median p=10 (reduce+warm and reduce only; ~20 s each)")
    ap.add_argument("--spopt", action="store_true")
    args = ap.parse_args()

    t0 = time.perf_counter()
    inst = synthetic(args.demand, args.candidates, args.seed, args.speed_kmh)
    cov = (inst.pair_minutes <= inst.threshold)
    per_row = np.bincount(inst.pair_demand[cov], minlength=inst.n_demand)
    print(f"instance: {inst.n_demand} demand x {inst.n_candidates} candidates, "
          f"{inst.n_pairs:,} pairs <= {CUTOFF:g} min, {int(cov.sum()):,} covering pairs; "
          f"candidates covering a row: median {np.median(per_row):.0f}, "
          f"5-95 % {np.percentile(per_row, 5):.0f}-{np.percentile(per_row, 95):.0f}; "
          f"already covered {inst.already_covered.mean():.1%} of rows "
          f"(built in {time.perf_counter() - t0:.2f}s)")
    t0 = time.perf_counter()
    red = reduce_covering(inst, use_cost=False)
    print(f"reduction ({time.perf_counter() - t0:.2f}s, p-only dominance): "
          f"{red.stats.summary()}")
    red_c = reduce_covering(inst, use_cost=True)
    print(f"reduction (cost dominance): {red_c.stats.summary()}\n")

    scenarios = [
        ("MCLP p=10", lambda **kw: maximal_covering(inst, p=10, **kw),
         lambda: greedy_max_cover(inst, p=10)),
        ("MCLP p=50", lambda **kw: maximal_covering(inst, p=50, **kw),
         lambda: greedy_max_cover(inst, p=50)),
        ("LSCP 100% count", lambda **kw: set_covering(inst, minimize="count", **kw),
         lambda: greedy_set_cover(inst, minimize="count")),
        ("upgrade/build B=60", lambda **kw: upgrade_or_build(inst, budget=60.0, **kw),
         lambda: greedy_max_cover(inst, budget=60.0)),
    ]
    if args.median:
        unreached = 2 * CUTOFF
        scenarios.append(
            ("p-median p=10", lambda **kw: p_median(inst, p=10, unreached_minutes=unreached, **kw),
             lambda: greedy_median(inst, p=10, unreached_minutes=unreached)))
    configs = [("reduce+warm", True, True), ("reduce", True, False),
               ("warm", False, True), ("plain", False, False)]
    head = (f"{'model':<20}{'config':<13}{'seconds':>9}{'ratio':>7}{'objective':>13}"
            f"{'bound':>13}{'gap':>9}  {'status':<11}{'greedy':>13}{'g.gap':>8}{'g.sec':>7}"
            f"{'sites':>6}")
    print(head)
    print("-" * len(head))
    rows = []
    for name, exact, greedy in scenarios:
        g = greedy()
        print(f"{name:<20}{'greedy only':<13}{g.seconds:>9.3f}{'':>7}{fmt(g.objective, 13)}"
              f"{'':>13}{'':>9}  {'':<11}{'':>13}{'':>8}{'':>7}{g.chosen.size:>6}")
        ref = None
        for label, reduce, warm in configs[:2] if name.startswith("p-median") else configs:
            r = exact(reduce=reduce, warm_start=warm, time_limit=args.time_limit)
            ref = ref or r.seconds
            rows.append((name, label, r))
            print(f"{name:<20}{label:<13}{r.seconds:>9.2f}{r.seconds / ref:>7.2f}"
                  f"{fmt(r.objective, 13)}{fmt(r.bound, 13)}{r.gap:>9.2e}  {r.status:<11}"
                  f"{fmt(r.greedy_objective, 13)}{r.greedy_gap:>8.2%}"
                  f"{r.details['greedy_seconds']:>7.3f}{r.n_chosen:>6}")
        print()
    print(f"time-limited MCLP p=50 ({args.short_limit:g}s): what a planner gets if HiGHS "
          "is stopped early")
    for warm in (True, False):
        r = maximal_covering(inst, p=50, warm_start=warm, time_limit=args.short_limit)
        print(f"  warm_start={warm!s:<5} status {r.status:<15} objective {r.objective:>12,.1f} "
              f"bound {r.bound:>12,.1f} gap {r.gap:.3%} (greedy {r.greedy_objective:,.1f})")
    if args.spopt:
        for p in (10, 50):
            out = run_spopt(inst, p)
            if out is not None:
                ours = next(r for n, lab, r in rows if n == f"MCLP p={p}" and lab == "reduce+warm")
                print(f"spopt+CBC MCLP p={p}: {out[0]:.1f}s objective {out[1]:,.1f} "
                      f"(ours {ours.seconds:.2f}s, {ours.objective:,.1f}; "
                      f"ratio {out[0] / ours.seconds:.1f}x)")


if __name__ == "__main__":
    main()
