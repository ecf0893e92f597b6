"""Benchmark: commands in a fresh process (cold) vs through the warm server (``tcm-coverage
server start``; warm).

Run from the repository root (prints one table; not a timed test)::

    python benchmarks/bench_server.py [--repeats 3] [--run FOLDER] [--skip-demo]

It starts a server of this checkout in a private runtime folder (stopped at the end), then for
each command runs it cold (``TCM_COVERAGE_SERVER=0``: imports everything, as without a server)
and warm (handed to the server), in turn (A B A B …) so the ratio holds when the shared
machine's speed drifts. The redraws (``map``, ``map --format png``, ``report``, ``score``) are of
the run the first cold ``demo`` wrote (or ``--run``), each into a new folder. Per run:

* ``wall``: the client process, start to exit (what the planner waits);
* ``cpu``: user + system seconds (``os.wait4``) of the client, plus, warm, of the server's child
  that ran the command (``server status --json``).

and the median of each, and the median of the pair-by-pair ratios cold / warm.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: label -> command after ``tcm-coverage`` (``{run}``, ``{out}`` filled in).
COMMANDS: dict[str, list[str]] = {
    "--version (start-up only)": ["--version"],
    "demo": ["-q", "demo", "--out", "{out}"],
    "map RUN --out NEW": ["-q", "map", "{run}", "--out", "{out}"],
    "map --format png": ["-q", "map", "{run}", "--out", "{out}", "--format", "png"],
    "report RUN --out NEW": ["-q", "report", "{run}", "--out", "{out}"],
    "score --profile national": ["-q", "score", "{run}", "--out", "{out}", "--profile", "national"],
}


def _env(runtime: Path, *, warm: bool) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TCM_COVERAGE_RUNTIME_DIR": str(runtime)}
    env.pop("TCM_COVERAGE_SERVER", None)
    if not warm:
        env["TCM_COVERAGE_SERVER"] = "0"
    return env


def _tcm(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tcm_coverage", *args], env=env, cwd="/",
                          capture_output=True, text=True, check=True)


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) of one ``tcm-coverage args`` (cpu of the client process)."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.chdir("/")
        os.execve(sys.executable, [sys.executable, "-m", "tcm_coverage", *args], env)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"tcm-coverage {' '.join(args)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def _served(env: dict[str, str]) -> tuple[int, float]:
    """(commands served, CPU seconds of the last one) of the server of this code."""
    (server,) = [s for s in json.loads(_tcm(["server", "status", "--json"], env).stdout)
                 if s["this_code"] and s["alive"]]
    return server["served"], server["done"][-1]["cpu"] if server["done"] else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--run", type=Path, default=None, help="the run the redraws redraw")
    parser.add_argument("--skip-demo", action="store_true", help="time the redraws only (needs --run)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tcm-bench-", dir="/tmp"))
    runtime = work / "rt"
    runtime.mkdir(mode=0o700)
    warm_env, cold_env = _env(runtime, warm=True), _env(runtime, warm=False)
    start = time.perf_counter()
    print(_tcm(["server", "start", "--idle-minutes", "30"], warm_env).stdout.strip(),
          f"({time.perf_counter() - start:.1f} s)")
    run = args.run
    rows = []
    try:
        for label, template in COMMANDS.items():
            if label == "demo" and args.skip_demo:
                continue
            if "{run}" in template and run is None:
                raise SystemExit("no run to redraw: give --run or let the demo run")
            times: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": []}
            for i in range(args.repeats):
                for kind in ("cold", "warm"):
                    out = work / f"{label.split()[0].strip('-')}-{kind}-{i}"
                    argv = [a.format(run=run, out=out) for a in template]
                    served = _served(warm_env)[0] if kind == "warm" else 0
                    wall, cpu = _run(argv, cold_env if kind == "cold" else warm_env)
                    if kind == "warm":
                        now, child_cpu = _served(warm_env)
                        assert now == served + 1, "the warm run did not go through the server"
                        cpu += child_cpu
                    times[kind].append((wall, cpu))
                    if label == "demo" and kind == "cold" and run is None:
                        run = out
            rows.append((label, times))
    finally:
        _tcm(["server", "stop", "--all"], warm_env)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}; median of {args.repeats}\n")
    print("| command | cold wall / cpu s | warm wall / cpu s | ratio wall | ratio cpu |")
    print("|---|---|---|---|---|")
    for label, t in rows:
        med = {k: [statistics.median(x[j] for x in v) for j in (0, 1)] for k, v in t.items()}
        ratio = [statistics.median(c[j] / w[j] for c, w in zip(t["cold"], t["warm"], strict=True)) for j in (0, 1)]
        print(f"| `{label}` | {med['cold'][0]:.2f} / {med['cold'][1]:.2f} | "
              f"{med['warm'][0]:.2f} / {med['warm'][1]:.2f} | {ratio[0]:.1f}x | {ratio[1]:.1f}x |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
