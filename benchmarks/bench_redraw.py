"""Benchmark: ``map``/``report``/``score`` redrawn from the run store vs recomputed from the inputs.

Run from the repository root (prints one table; not a timed test)::

    python benchmarks/bench_redraw.py [--repeats 3] [--run FOLDER]

Without ``--run`` it first runs ``tcm-coverage demo`` (walk, e-bike and car; 5 to 30 minutes)
into a temporary folder. The *recompute* baseline is a copy of that run folder without its
``store/`` (as an older version wrote it): ``map``/``report``/``score`` then read the inputs and
route every mode again, as before the store. The *store* redraw is the same command on the run
folder itself. Each command runs in a fresh subprocess, store and recompute in turn (A B A B …),
so the ratio holds when the shared machine's speed drifts. Per run it records

* ``wall``: the whole process, start to exit (includes importing the package, ~1-4 s here);
* ``cpu``: user + system seconds of the child (``os.wait4``), less sensitive to other load;
* ``redraw``: the time the command reports itself (``(x.x s)``: after the imports, loading or
  recomputing the run and writing its files).

and prints the median of each, and the median of the pair-by-pair ratios recompute / store.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: The redraws timed: label -> command after ``tcm-coverage`` (``{run}``, ``{out}`` filled in).
COMMANDS: dict[str, list[str]] = {
    "map (HTML)": ["map", "{run}", "--out", "{out}"],
    "map --format png": ["map", "{run}", "--out", "{out}", "--format", "png"],
    "report": ["report", "{run}", "--out", "{out}"],
    "report --lang en": ["report", "{run}", "--out", "{out}", "--lang", "en"],
    "score --profile national": ["score", "{run}", "--out", "{out}", "--profile", "national"],
    # a changed option that draws for real (another view; a profile the run did not score)
    "map --mode car --threshold 10": ["map", "{run}", "--out", "{out}", "--mode", "car", "--threshold", "10"],
    "score --profile jiangsu": ["score", "{run}", "--out", "{out}", "--profile", "jiangsu"],
}
_SELF = re.compile(r"^\((\d+(?:\.\d+)?) s\)", re.MULTILINE)


def _cli(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "tcm_coverage", *args]


def _run_child(args: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall, cpu, self-reported) seconds of one run of ``tcm-coverage args`` in a child
    process (its CPU time from ``os.wait4``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: run the command with its output into the pipe
        os.close(read)
        os.dup2(write, 1)
        os.dup2(write, 2)
        os.chdir(cwd)
        os.execve(sys.executable, _cli(args), env)
    os.close(write)
    chunks = []
    with os.fdopen(read, "r", encoding="utf-8", errors="replace") as pipe:
        chunks.append(pipe.read())
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    out = "".join(chunks)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"tcm-coverage {' '.join(args)} failed:\n{out}")
    found = _SELF.findall(out)
    return wall, usage.ru_utime + usage.ru_stime, float(found[-1]) if found else float("nan")


def _fill(template: list[str], run: Path, out: Path) -> list[str]:
    return [a.format(run=run, out=out) for a in template]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each command and path")
    parser.add_argument("--run", type=Path, default=None, help="a finished demo/analyze run folder")
    parser.add_argument("--store-only", action="store_true",
                        help="time the store redraws only (no recompute baseline; its columns say n/a)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_redraw_"))
    try:
        run = args.run
        if run is None:
            run = work / "demo"
            print("running the demo (once) ...", flush=True)
            _run_child(["-q", "demo", "--out", str(run), "--mode", "walk", "ebike", "car",
                        "--threshold", "5", "10", "15", "20", "30"], work)
        old = work / "no_store"
        shutil.copytree(run, old, ignore=shutil.ignore_patterns("store", ".tcm-coverage.json"))
        rows = []
        for label, template in COMMANDS.items():
            store_t, old_t = [], []
            for i in range(args.repeats):
                store_t.append(_run_child(_fill(template, run, work / f"s{i}"), work))
                if not args.store_only:
                    old_t.append(_run_child(_fill(template, old, work / f"o{i}"), work))
                for d in (work / f"s{i}", work / f"o{i}"):
                    shutil.rmtree(d, ignore_errors=True)
            rows.append((label, store_t, old_t))
            print(f"  {label}: done", flush=True)
        med = statistics.median
        print()
        print(f"{'command':26} {'recompute wall/cpu/self s':>26} {'store wall/cpu/self s':>22} "
              f"{'ratio wall':>10} {'ratio self':>10}")
        print("-" * 100)
        for label, store_t, old_t in rows:
            sto = "/".join(f"{med(t[k] for t in store_t):.1f}" for k in range(3))
            if not old_t:
                print(f"{label:26} {'n/a':>26} {sto:>22} {'n/a':>10} {'n/a':>10}")
                continue
            ratio_wall = med(o[0] / s[0] for o, s in zip(old_t, store_t, strict=True))
            ratio_self = med(o[2] / s[2] for o, s in zip(old_t, store_t, strict=True))
            rec = "/".join(f"{med(t[k] for t in old_t):.1f}" for k in range(3))
            print(f"{label:26} {rec:>26} {sto:>22} {ratio_wall:>9.1f}x {ratio_self:>9.1f}x")
        print(f"\n({args.repeats} runs each, medians; ratio = recompute / store, pair by pair)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
