"""The write phase of a finished run, part by part, in CPU seconds (issue 16).

Loads the run stored in a run folder (``RUN/store``, nothing routed) and writes, into a scratch
folder, each part ``write_outputs`` writes: the tables (CSV + ``coverage.xlsx``), the scorecards
(``scorecard.xlsx`` + ``.html``), the
GeoPackages, the two web maps (``map.html`` and the map embedded in ``report.html``), or
everything (``all``: :func:`tcm_coverage.workflows.write_outputs`). Each part runs in a fresh
process (imports included, as in a run), ``--repeats`` times, and the median CPU seconds
(user + system of the process, ``os.times``) is printed.

    python benchmarks/bench_write.py RUN [--parts tables scorecard geodata maps all] [--repeats 3]

For an A/B pair, run it with ``PYTHONPATH`` at the old and at the new source, back to back (the
child processes run in a scratch folder, so the source tree of the current folder is not imported).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import dataclasses, json, os, sys
from datetime import date
from pathlib import Path
t0 = os.times()
from tcm_coverage.outputs import map_html, save_map
from tcm_coverage.workflows import load_config, write_outputs
from tcm_coverage.workflows import write as W
from tcm_coverage.workflows.store import load_run
from tcm_coverage.workflows.view import build_map
run_dir, out, part = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
config = dataclasses.replace(load_config(run_dir / "run.json"), out_dir=out / "all")
run = load_run(run_dir, config)
t1 = os.times()
if part == "tables":
    W._write_tables(run, config, out, date.today().isoformat())
elif part == "scorecard":
    from tcm_coverage.workflows.documents import write_scorecards
    write_scorecards(run, config, out)
elif part == "geodata":
    W.write_geodata(run, config, out)
elif part == "maps":
    try:
        from tcm_coverage.outputs import MapCache
        kw = {"cache": MapCache()}
    except ImportError:  # before the cache
        kw = {}
    save_map(build_map(run, config, **kw), out / "map.html")
    map_html(build_map(run, config, compact=True, **kw))
else:
    write_outputs(run, config)
t2 = os.times()
print(json.dumps({"cpu": (t2.user + t2.system) - (t1.user + t1.system)}))
"""


def measure(run: Path, part: str) -> float:
    """CPU seconds of one part in a fresh process (loading the run not counted)."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(run), out, part], check=True,
                              capture_output=True, text=True, env=os.environ.copy(), cwd=out)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["cpu"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a run folder with store/ and run.json")
    parser.add_argument("--parts", nargs="+", default=["tables", "geodata", "maps", "all"],
                        choices=["tables", "scorecard", "geodata", "maps", "all"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for part in args.parts:
        times = [measure(args.run, part) for _ in range(args.repeats)]
        print(f"{part:8s} median {statistics.median(times):6.2f} s CPU  ({', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
