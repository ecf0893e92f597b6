"""Benchmark: CPU seconds of each analysis stage of one county (``workflows.compute``), this
tree against a baseline source tree measured in the same run.

Run from the repository root (prints one table; not a timed test)::

    python benchmarks/bench_compute.py --baseline /path/to/other/checkout [--repeats 3]
    python benchmarks/bench_compute.py --baseline ../main -- analyze --facilities ... --out X

Without arguments after ``--`` it computes the demo county (walk, e-bike and car; 5 to 30
minutes; residents 65+), as ``tcm-coverage demo`` does; after ``--`` it takes an ``analyze``
command line. Nothing is written. Each run is a fresh subprocess with ``PYTHONPATH`` set to the
tree, baseline and this tree in turn (A B A B …), so the ratio holds when the shared machine's
speed drifts. A stage is a function of :mod:`tcm_coverage.workflows.pipeline`, timed with
:func:`time.process_time` (user + system CPU of the process: other load on the machine barely
moves it). The table gives the median of each stage and the ratio baseline / this tree;
``compute (all)`` is the parent's CPU, ``second process`` the CPU of the process computing the
isochrones (``--jobs 2``), ``compute wall`` the wall seconds (noisy on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The stages timed: functions of workflows/pipeline.py (as the pipeline calls them).
STAGES: tuple[str, ...] = ("_read_inputs", "check_inputs", "_travel_times", "compute_isochrones", "_coverage",
                           "_capacity", "_accessibility", "decision_tables", "scorecard")

_CHILD = r"""
import inspect, json, os, sys, time
from tcm_coverage.cli.main import build_parser
from tcm_coverage.cli.options import config_from_args
from tcm_coverage.demo import DEMO_SOURCES, demo_data_dir, demo_inputs
import tcm_coverage.workflows.pipeline as P

args = build_parser().parse_args(json.loads(sys.argv[1]))
if args.command == "demo":
    config = config_from_args(args, inputs=demo_inputs(demo_data_dir(), elderly=True),
                              sources=DEMO_SOURCES[args.lang])
else:
    config = config_from_args(args)
cpu = {}
def timed(name):
    f = getattr(P, name, None)
    if f is None:  # not a stage of this tree (e.g. the isochrones inside _travel_times)
        return
    def g(*a, **k):
        t = time.process_time()
        try:
            return f(*a, **k)
        finally:
            cpu[name] = cpu.get(name, 0.0) + time.process_time() - t
    setattr(P, name, g)
for name in json.loads(sys.argv[2]):
    timed(name)
jobs = int(sys.argv[3])
kwargs = {"jobs": jobs} if "jobs" in inspect.signature(P.compute).parameters else {}
t, wall, before = time.process_time(), time.perf_counter(), os.times()
P.compute(config, progress=False, **kwargs)
cpu["compute (all)"] = time.process_time() - t
after = os.times()  # the second process's CPU (reaped before compute returns)
cpu["second process"] = (after.children_user + after.children_system
                         - before.children_user - before.children_system)
cpu["compute wall"] = time.perf_counter() - wall
print(json.dumps(cpu))
"""


def _one(tree: Path, argv: list[str], jobs: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(argv), json.dumps(STAGES), str(jobs)], env=env,
                         cwd=tree, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the source tree to compare with")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1,
                        help="2: the isochrones by a second process (trees whose compute takes jobs)")
    parser.add_argument("command", nargs="*", help="an analyze command line (default: the demo)")
    args = parser.parse_args()
    argv = args.command or ["demo", "--out", str(Path.home() / "tcm-bench-unused")]
    base: list[dict[str, float]] = []
    ours: list[dict[str, float]] = []
    for _ in range(args.repeats):
        base.append(_one(args.baseline.resolve(), argv, args.jobs))
        ours.append(_one(ROOT, argv, args.jobs))
    print(f"CPU seconds (wall: compute wall), median of {args.repeats}, jobs {args.jobs} "
          f"(baseline {args.baseline}, this tree {ROOT})")
    print(f"{'stage':<28}{'baseline':>10}{'this':>10}{'ratio':>8}")
    for stage in (*STAGES, "compute (all)", "second process", "compute wall"):
        a = statistics.median(r.get(stage, 0.0) for r in base)
        b = statistics.median(r.get(stage, 0.0) for r in ours)
        ratio = f"{a / b:.2f}" if b > 0.005 else "-"
        print(f"{stage:<28}{a:>10.2f}{b:>10.2f}{ratio:>8}")


if __name__ == "__main__":
    main()
