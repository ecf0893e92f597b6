"""One run end to end with one process and with two (``--jobs 1`` / ``--jobs 2``: the documents
drawn by a second process, ``tcm_coverage/workflows/drawer.py``), in wall and CPU seconds (issue 16).

Runs ``tcm-coverage -q demo`` (or the ``analyze`` arguments after ``--``) in a fresh process,
alternating the two settings ``--repeats`` times, and prints the median wall seconds, the median
CPU seconds (user + system of the run and the process it forks, ``getrusage(RUSAGE_CHILDREN)``)
and the ratio of the wall medians (two processes / one), measured in the same run. Wall seconds
mean something only on an otherwise idle machine: the load average is printed with each pair.

    python benchmarks/bench_jobs.py [--repeats 3] [--baseline PATH] [-- analyze --facilities ...]

``--baseline`` adds a third run per repeat, back to back with the other two: the source tree at
PATH (e.g. main's, without ``--jobs``), run as it is.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(argv: list[str], src: Path, out: Path, jobs: int | None) -> tuple[float, float]:
    """Wall and CPU seconds of one run (its forked drawing process included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    extra = [] if jobs is None else ["--jobs", str(jobs)]
    subprocess.run([sys.executable, "-m", "tcm_coverage", "-q", *argv, "--out", str(out), *extra],
                   check=True, env={**os.environ, "PYTHONPATH": str(src)}, cwd=out.parent)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another source tree (e.g. main's) run as it is, in each repeat")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="after --: the command and its arguments without --out (default: demo)")
    args = parser.parse_args()
    command = [a for a in args.command if a != "--"] or ["demo"]
    here = Path(__file__).resolve().parents[1]
    settings: dict[str, tuple[Path, int | None]] = {"jobs=1": (here, 1), "jobs=2": (here, 2)}
    if args.baseline is not None:
        settings["baseline"] = (args.baseline, None)
    results: dict[str, list[tuple[float, float]]] = {s: [] for s in settings}
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(args.repeats):
            for name, (src, jobs) in settings.items():
                out = Path(scratch) / f"run-{name}-{i}"
                results[name].append(_run(command, src, out, jobs))
                print(f"repeat {i + 1} {name}: wall {results[name][-1][0]:.2f} s, "
                      f"CPU {results[name][-1][1]:.2f} s (load {os.getloadavg()[0]:.2f})", flush=True)
    wall = {s: statistics.median(w for w, _ in r) for s, r in results.items()}
    for s, r in results.items():
        print(f"{s}: median wall {wall[s]:.2f} s, median CPU {statistics.median(c for _, c in r):.2f} s")
    print(f"wall ratio, two processes / one: {wall['jobs=2'] / wall['jobs=1']:.2f}")
    if args.baseline is not None:
        print(f"wall ratio, two processes / baseline: {wall['jobs=2'] / wall['baseline']:.2f}")


if __name__ == "__main__":
    main()
