"""Benchmark: CPU seconds of drawing a run's documents, this tree against a baseline checkout.

Run from the repository root (prints one table; not a timed test)::

    python benchmarks/bench_documents.py --baseline /path/to/other/checkout --run RUN [--repeats 3]

``RUN`` is a demo output folder (``tcm-coverage demo --out RUN``). Each measurement is a fresh
subprocess that loads the run from its store with one tree's package (``PYTHONPATH``), imports
the renderers, then times with :func:`time.process_time` (CPU seconds of that process, less
sensitive to other load than wall time):

* ``map + report.html + report.docx``: :func:`~tcm_coverage.workflows.pages.write_documents`
  without the print plates (another part's) and without the scorecards (the drawer's parent
  writes those);
* ``report.docx``: :func:`~tcm_coverage.workflows.documents.write_docx_reports` alone.

Baseline and this tree run in turn (A B A B ...); the table gives the medians and the median of
the pair-by-pair ratios baseline / this tree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import dataclasses, json, sys, tempfile, time
from pathlib import Path
from tcm_coverage.workflows import load_config, load_run, write_docx_reports
from tcm_coverage.workflows.pages import write_documents
import docx, folium, matplotlib.figure  # imported before the clock starts
run_dir = Path(sys.argv[1])
config = load_config(run_dir / "run.json")
config = dataclasses.replace(config, rendering=dataclasses.replace(config.rendering, print_formats=()))
run = load_run(run_dir, config)
out = Path(tempfile.mkdtemp())
seconds = {}
start = time.process_time()
write_documents(run, config, out, scorecards=False)
seconds["map + report.html + report.docx"] = time.process_time() - start
start = time.process_time()
write_docx_reports(run, config, out)
seconds["report.docx"] = time.process_time() - start
print(json.dumps(seconds))
"""


def _measure(tree: Path, run: Path) -> dict[str, float]:
    """One child's seconds (``-P``: the tree on ``PYTHONPATH`` is imported, not the current folder)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "TCM_COVERAGE_SERVER": "0"}
    done = subprocess.run([sys.executable, "-P", "-c", _CHILD, str(run)], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout (its root)")
    parser.add_argument("--run", type=Path, required=True, help="a demo output folder")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    pairs = [(_measure(args.baseline, args.run), _measure(ROOT, args.run)) for _ in range(args.repeats)]
    print(f"| part (CPU s, median of {args.repeats} pairs) | baseline | this tree | ratio |")
    print("|---|---:|---:|---:|")
    for part in pairs[0][0]:
        before = statistics.median(b[part] for b, _ in pairs)
        after = statistics.median(a[part] for _, a in pairs)
        ratio = statistics.median(b[part] / a[part] for b, a in pairs)
        print(f"| {part} | {before:.2f} | {after:.2f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
