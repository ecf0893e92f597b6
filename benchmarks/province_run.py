"""``bench_province.py --province DIR``: the real ``tcm-coverage batch`` CLI on a province folder.

The folder is what ``../shared/tools/make_real_scale_province.py`` writes (``counties.geojson``,
``townships.geojson``, ``facilities*.csv`` (GCJ-02 when the name says so),
``population_100m.tif``, ``province.osm.pbf``). The batch runs as a subprocess::

    python -m tcm_coverage batch --boundary DIR/counties.geojson --townships ... \\
        --facilities ... --population ... --network DIR/province.osm.pbf --out OUT \\
        [--only CODE ...] --workers 2 -v

while the process tree is sampled every 0.5 s (``/proc/<pid>/status``: ``VmRSS`` summed over
the tree, ``VmHWM`` per process). Reported: wall time, CPU seconds of the tree, the serial part
(start-up and the driver's read and clip before the first county is submitted, from
``batch.json`` ``timings``), per-county stage medians (``batch.json`` ``counties[].stages``),
counties per minute, peak RSS of the driver, of the largest worker and of the whole tree,
output MB (per county and the province files) and the load average.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def batch_command(folder: Path, out: Path, *, only: list[str] | None, workers: int,
                  extra: list[str]) -> list[str]:
    """The ``batch`` command line of a province folder."""
    fac = sorted(folder.glob("facilities*.csv"))
    if not fac:
        raise SystemExit(f"{folder}: no facilities*.csv")
    cmd = [sys.executable, "-m", "tcm_coverage", "batch",
           "--boundary", str(folder / "counties.geojson"), "--facilities", str(fac[0]),
           "--population", str(folder / "population_100m.tif"),
           "--network", str(folder / "province.osm.pbf"), "--out", str(out),
           "--workers", str(workers), "-v"]
    if "gcj02" in fac[0].name:
        cmd += ["--facilities-datum", "gcj02"]
    if (folder / "townships.geojson").exists():
        cmd += ["--townships", str(folder / "townships.geojson")]
    if only:
        cmd += ["--only", *only]
    return cmd + list(extra)


def _status(pid: int) -> dict[str, int]:
    """``VmRSS``/``VmHWM`` (kB) and ``PPid`` of a process (empty when it is gone)."""
    out: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "PPid"):
            out[key] = int(value.split()[0])
    return out


def _tree(root: int) -> dict[int, dict[str, int]]:
    """The status of ``root`` and every descendant (one pass over /proc)."""
    stats = {int(p.name): _status(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit()}
    keep, frontier = {root}, [root]
    children: dict[int, list[int]] = {}
    for pid, st in stats.items():
        children.setdefault(st.get("PPid", -1), []).append(pid)
    while frontier:
        pid = frontier.pop()
        for child in children.get(pid, []):
            if child not in keep:
                keep.add(child)
                frontier.append(child)
    return {pid: stats[pid] for pid in keep if stats.get(pid)}


def run_batch(cmd: list[str], log: Path, *, interval: float = 0.5) -> dict:
    """Run the batch, sampling its process tree; wall, CPU and memory of the run."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    hwm: dict[int, int] = {}
    tree_peak = 0
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        while proc.poll() is None:
            tree = _tree(proc.pid)
            tree_peak = max(tree_peak, sum(st.get("VmRSS", 0) for st in tree.values()))
            for pid, st in tree.items():
                hwm[pid] = max(hwm.get(pid, 0), st.get("VmHWM", 0))
            time.sleep(interval)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = [kb for pid, kb in hwm.items() if pid != proc.pid]
    return {"rc": proc.returncode, "wall": wall,
            "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "driver_mb": hwm.get(proc.pid, 0) / 1024,
            "worker_mb": max(workers, default=0) / 1024, "tree_mb": tree_peak / 1024,
            "processes": len(hwm)}


def _mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def summarise(out: Path, run: dict) -> dict:
    """The run's numbers, from its ``batch.json`` and output folder."""
    manifest = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    timings = manifest.get("timings", {})
    done = [c for c in manifest["counties"] if c["status"] == "done"]
    stages: dict[str, list[float]] = {}
    for c in done:
        for k, v in (c.get("stages") or {}).items():
            stages.setdefault(k, []).append(float(v))
    start_up = run["wall"] - float(manifest["seconds"])  # imports and reading the inputs
    serial = start_up + float(timings.get("first county submitted", 0.0))
    county_mb = [_mb(out / "counties" / c["job_id"]) for c in done]
    province_mb = sum(f.stat().st_size for f in out.iterdir() if f.is_file()) / 1e6
    return {**run, "counties": len(manifest["counties"]), "done": len(done),
            "failed": sum(c["status"] == "failed" for c in manifest["counties"]),
            "timings": timings, "start_up": start_up, "serial": serial,
            "serial_share": serial / run["wall"] if run["wall"] else float("nan"),
            "per_minute": len(done) / (run["wall"] / 60) if run["wall"] else float("nan"),
            "county_s": statistics.median(float(c["seconds"]) for c in done) if done else float("nan"),
            "stages": {k: statistics.median(v) for k, v in stages.items()},
            "county_mb": statistics.median(county_mb) if county_mb else float("nan"),
            "out_mb": _mb(out), "province_mb": province_mb}


def report(res: dict, *, only: list[str] | None, load: tuple[float, float]) -> str:
    """The Markdown table of one run."""
    t = res["timings"]
    rows = [
        ("counties (done / failed)", f"{res['counties']} ({res['done']} / {res['failed']})"
         + (f", --only {' '.join(only)}" if only else "")),
        ("wall time", f"{res['wall']:.0f} s"),
        ("CPU time of the process tree (user + sys)", f"{res['cpu']:.0f} s"),
        ("serial part (start-up + read + clip until the first county is submitted)",
         f"{res['serial']:.0f} s = {res['serial_share']:.0%} of the wall time"),
        ("  of which imports + reading boundary/townships/facilities/population",
         f"{res['start_up']:.0f} s (batch.json: read inputs {t.get('read inputs', float('nan')):.0f} s)"),
        ("  of which reading + clipping the province roads", f"{t.get('read roads', float('nan')):.0f} s"),
        ("  of which starting the Dask cluster", f"{t.get('open cluster', float('nan')):.0f} s"),
        ("driver cutting counties (all, interleaved)", f"{t.get('cut counties', float('nan')):.1f} s"),
        ("county phase (first submit to last result)", f"{t.get('counties', float('nan')):.0f} s"),
        ("province files (summary, map, township layer)", f"{t.get('write province', float('nan')):.1f} s"),
        ("one county, median", f"{res['county_s']:.1f} s"),
        *((f"  stage: {k}", f"{v:.1f} s") for k, v in res["stages"].items()),
        ("counties per minute (whole run)", f"{res['per_minute']:.2f}"),
        ("peak RSS: driver / largest worker (VmHWM)", f"{res['driver_mb']:.0f} MB / {res['worker_mb']:.0f} MB"),
        ("peak RSS: whole process tree (sum of VmRSS, 0.5 s samples)", f"{res['tree_mb']:.0f} MB"),
        ("outputs: per county (median) / all", f"{res['county_mb']:.1f} MB / {res['out_mb']:.0f} MB"),
        ("  of which the province files", f"{res['province_mb']:.1f} MB"),
        ("load average at start / end (2 cores)", f"{load[0]:.1f} / {load[1]:.1f}"),
    ]
    return "\n".join(["| measure | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)])


def province_part(folder: Path, out: Path, *, only: list[str] | None, workers: int,
                  extra: list[str], json_path: Path | None = None) -> int:
    """Run the batch on ``folder`` into ``out`` and print the table (``--province``)."""
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} is not empty: give a new --province-out (a rerun would skip "
                         "the counties already done)")
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = batch_command(folder, out, only=only, workers=workers, extra=extra)
    print(" ".join(cmd), flush=True)
    load0 = os.getloadavg()[0]
    run = run_batch(cmd, out.parent / f"{out.name}.log")
    if run["rc"] not in (0, 1):
        print(f"batch exited {run['rc']}; see {out.parent / (out.name + '.log')}")
        return 1
    (out.parent / f"{out.name}.run.json").write_text(json.dumps(run), encoding="utf-8")
    res = summarise(out, run)
    print(report(res, only=only, load=(load0, os.getloadavg()[0])))
    if json_path is not None:
        json_path.write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0
