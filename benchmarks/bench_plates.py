"""The print plates and the Word report of a finished run, in CPU seconds.

Loads the run stored in a run folder (``RUN/store``, nothing routed) and, in a fresh process per
repeat (imports not counted, matplotlib and python-docx imported before the clock starts),
draws what :func:`tcm_coverage.workflows.write.write_print_documents` draws: the plate figure,
``map.png``, ``map.pdf`` and ``report.docx`` with the plate. Prints the median CPU seconds
(user + system, ``time.process_time``) of each part and of the whole.

    python benchmarks/bench_plates.py RUN [--repeats 3]

For an A/B pair run it with ``PYTHONPATH`` at the old and at the new source, back to back (the
child processes run in a scratch folder, so the source tree of the current folder is not
imported); the ratio of the two medians is the speed-up.

With ``--layers`` it prints instead what each layer of the map frame adds to the PNG and the
PDF save of the plate (the least CPU seconds of five saves with only that layer shown, less
the same with no layer shown): where a plate's drawing time goes before anything is changed.

    python benchmarks/bench_plates.py RUN --layers
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
import json, sys, time
from pathlib import Path
import docx, matplotlib  # imports not counted
from tcm_coverage.outputs import save_plate
from tcm_coverage.workflows import load_config
from tcm_coverage.workflows.documents import write_docx_reports
from tcm_coverage.workflows.plates import build_print_map, plate_images
from tcm_coverage.workflows.store import load_run
run_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
config = load_config(run_dir / "run.json")
run = load_run(run_dir, config)
lang, clock, cpu = config.rendering.lang, time.process_time, {}
t = clock(); fig = build_print_map(run, config); cpu["figure"] = clock() - t
t = clock(); save_plate(fig, out / "map.png", lang=lang); cpu["png"] = clock() - t
t = clock(); save_plate(fig, out / "map.pdf", lang=lang); cpu["pdf"] = clock() - t
t = clock()
write_docx_reports(run, config, out, map_images=plate_images(run, config, out, written=True))
cpu["docx"] = clock() - t
print(json.dumps(cpu))
"""

PARTS = ("figure", "png", "pdf", "docx")

_LAYERS_CHILD = r"""
import io, json, sys, time
from pathlib import Path
from tcm_coverage.outputs import save_plate
from tcm_coverage.workflows import load_config
from tcm_coverage.workflows.plates import build_print_map
from tcm_coverage.workflows.store import load_run
run_dir = Path(sys.argv[1])
config = load_config(run_dir / "run.json")
run = load_run(run_dir, config)
fig = build_print_map(run, config)
def least(fmt):
    times = []
    for _ in range(5):
        t = time.process_time()
        save_plate(fig, io.BytesIO(), lang=config.rendering.lang, fmt=fmt)
        times.append(time.process_time() - t)
    return min(times)
out = {"whole plate": [least("png"), least("pdf")]}
layers = [*fig.axes[0].collections, *fig.axes[0].images]
for a in layers:
    a.set_visible(False)
bare = [least("png"), least("pdf")]
out["no map layer"] = bare
for a in layers:
    a.set_visible(True)
    out[str(a.get_gid())] = [least("png") - bare[0], least("pdf") - bare[1]]
    a.set_visible(False)
print(json.dumps(out))
"""


def measure(run: Path) -> dict[str, float]:
    """CPU seconds of each part in one fresh process."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(run), out], check=True,
                              capture_output=True, text=True, env=os.environ.copy(), cwd=out)
    return json.loads(done.stdout.strip().splitlines()[-1])


def layer_costs(run: Path) -> dict[str, list[float]]:
    """CPU seconds (PNG, PDF) of the whole plate, of the plate with no map layer, and what each
    map layer adds, in one fresh process."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([sys.executable, "-c", _LAYERS_CHILD, str(run)], check=True,
                              capture_output=True, text=True, env=os.environ.copy(), cwd=out)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a run folder with store/ and run.json")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layers", action="store_true",
                        help="what each map layer adds to the PNG and PDF saves instead")
    args = parser.parse_args()
    if args.layers:
        print(f"{'layer':28s}   png s    pdf s")
        for name, (png, pdf) in layer_costs(args.run.resolve()).items():
            print(f"{name:28s} {png:7.3f}  {pdf:7.3f}")
        return
    runs = [measure(args.run.resolve()) for _ in range(args.repeats)]
    for part in (*PARTS, "total"):
        times = [sum(r.values()) if part == "total" else r[part] for r in runs]
        print(f"{part:7s} median {statistics.median(times):5.2f} s CPU  ({', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
