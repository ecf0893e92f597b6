"""A real distributed batch run (issue 16): ``dask scheduler`` and two ``dask worker`` processes
on 127.0.0.1 started with the real CLI, ``tcm-coverage batch --scheduler`` as a subprocess, and
one worker SIGKILLed while it holds a county.

The kill is deterministic, not a sleep-and-hope: worker A runs with the atomic output folder's
test hook (``TCM_COVERAGE_TEST_PAUSE=before-swap``, :mod:`tcm_coverage._io`), so the first county
it writes stops with every file written into its temporary folder and not yet swapped in; the
hook writes a signal file, the test sees it, finds the county by the temporary folder's name
(it carries the worker's pid) and kills worker A's process group (nanny and worker: the machine
"went away"). Worker B has no hook and finishes the rest.

* :func:`test_killed_worker_county_is_run_again` (province mode, the scheduler's default
  ``allowed-failures``): the county is run again on worker B and finishes; the terminal and
  ``batch.json`` say it was run again and why; the batch exits 0; a rerun skips every county.
* :func:`test_killed_worker_county_is_reported_and_rerun_resumes` (county folders, a scheduler
  with ``allowed-failures 0``): the county is reported failed with "worker lost" and the fix;
  the others finish; exit code 1; the killed county left no half-written folder; a rerun does
  that county only and exits 0.

Select them with ``pytest -m dask_cluster``; they skip only when the ``dask`` command line
(``distributed.cli``) is missing. The quick tests at the end check the loss bookkeeping and the
说明 rows on hand-made scheduler events and records.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from tcm_coverage._io import MARKER, file_sha256, is_litter
from tcm_coverage.batch.command import main
from tcm_coverage.batch.jobs import DONE_MARKER
from tcm_coverage.testing.province import make_synthetic_province

#: The marks of a test that starts a real cluster.
real_cluster = [
    pytest.mark.dask_cluster,
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("distributed.cli") is None,
                       reason="the dask command line (distributed.cli) is not installed"),
]


def _cluster_marks(fn):
    for mark in real_cluster:
        fn = mark(fn)
    return fn

REPO = Path(__file__).resolve().parents[1]
#: The lightest run: the cluster's failure handling is under test, not the outputs.
LIGHT = ["--mode", "walk", "--isochrone-cell-m", "0", "--no-accessibility", "--no-capacity",
         "--no-map", "--no-report", "--no-docx", "--no-print-map", "--profile", "national",
         "--basemap", "none"]
#: A wait, not a speed check: on a loaded 2-core machine a step can take minutes.
TIMEOUT = 300.0


def _wait(what: str, until, *, timeout: float = TIMEOUT, alive: Mapping[str, subprocess.Popen]
          | None = None):
    """Poll ``until()`` until it returns something truthy; fail naming ``what`` on timeout or
    when one of ``alive`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = until()
        if got:
            return got
        for name, proc in (alive or {}).items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited ({proc.returncode}) while waiting for {what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Cluster:
    """A scheduler and workers started with the ``dask`` command line, each in its own
    process group (so a kill takes a worker's nanny and worker process together)."""

    root: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    address: str = ""

    def _start(self, name: str, args: list[str], env: Mapping[str, str]) -> subprocess.Popen:
        log = (self.root / f"{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=self.root,
                                env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def start_scheduler(self, config: Mapping[str, str]) -> str:
        file = self.root / "scheduler.json"
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(file)], config)

        def address() -> str:
            try:
                return str(json.loads(file.read_text(encoding="utf-8"))["address"])
            except (OSError, ValueError, KeyError):
                return ""

        self.address = _wait("the scheduler file", address, alive=self.procs)
        return self.address

    def start_worker(self, name: str, env: Mapping[str, str] | None = None) -> None:
        self._start(name, ["worker", self.address, "--nworkers", "1", "--nthreads", "1",
                           "--name", name, "--host", "127.0.0.1", "--no-dashboard",
                           "--death-timeout", "60", "--local-directory",
                           str(self.root / f"{name}-scratch")], env or {})

    def workers(self, names: tuple[str, ...]) -> dict[str, tuple[str, int]]:
        """Wait until the named workers have joined; their address and worker process id by
        name."""
        from distributed import Client

        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(len(names), timeout=TIMEOUT)
            pids = client.run(os.getpid)
            info = client.scheduler_info(n_workers=-1)["workers"]
            return {str(w["name"]): (a, int(pids[a])) for a, w in info.items()
                    if str(w["name"]) in names}

    def kill(self, name: str) -> None:
        """SIGKILL a process group and wait for it."""
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=60)

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(encoding="utf-8", errors="replace")[-4000:]


@contextmanager
def dask_cluster(root: Path, *, scheduler_config: Mapping[str, str],
                 pause_file: Path) -> Iterator[tuple[Cluster, dict[str, tuple[str, int]]]]:
    """A scheduler, worker A (paused before its first county's swap) and worker B; every
    process is killed on the way out."""
    root.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    env.pop("TCM_COVERAGE_TEST_PAUSE", None)
    cluster = Cluster(root=root, env=env)
    try:
        cluster.start_scheduler(scheduler_config)
        cluster.start_worker("A", {"TCM_COVERAGE_TEST_PAUSE": "before-swap",
                                   "TCM_COVERAGE_TEST_PAUSE_FILE": str(pause_file),
                                   "TCM_COVERAGE_TEST_PAUSE_SECONDS": str(TIMEOUT)})
        cluster.start_worker("B")
        yield cluster, cluster.workers(("A", "B"))
    finally:
        for name in reversed(list(cluster.procs)):
            cluster.kill(name)


def _batch(cmd: list[str], root: Path, env: Mapping[str, str], tag: str) -> subprocess.Popen:
    out = (root / f"batch-{tag}.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=root, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    out.close()
    return proc


def _paused_county(counties: Path, pid: int) -> str:
    """The county whose temporary output folder worker ``pid`` holds (``.<job>.tmp-<pid>-…``)."""
    held = [p.name for p in counties.iterdir() if p.name.startswith(".")
            and f".tmp-{pid}-" in p.name]
    assert len(held) == 1, held
    return held[0][1:].split(".tmp-")[0]


def _complete(folder: Path) -> bool:
    """Whether a county folder is a whole result: the done marker and every file the result
    marker lists, with that content."""
    marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    return (folder / DONE_MARKER).is_file() and all(
        file_sha256(folder / name) == sha for name, sha in marker["files"].items())


def _name(prov, code: str) -> str:
    boundary = json.loads(Path(prov.boundary).read_text(encoding="utf-8"))
    return next(f["properties"]["name"] for f in boundary["features"]
                if f["properties"]["code"] == code)


def _statuses(out: Path) -> dict[str, dict]:
    return {c["job_id"]: c for c in json.loads(
        (out / "batch.json").read_text(encoding="utf-8"))["counties"]}


def _province_cmd(prov, out: Path, address: str) -> list[str]:
    return [sys.executable, "-m", "tcm_coverage", "batch", "--boundary", str(prov.boundary),
            "--facilities", str(prov.facilities), "--population", str(prov.population),
            "--network", str(prov.network), "--out", str(out), "--scheduler", address, *LIGHT]


def _run_with_a_kill(cluster: Cluster, workers: Mapping[str, tuple[str, int]], cmd: list[str],
                     out: Path, pause_file: Path) -> tuple[str, set[str], subprocess.CompletedProcess]:
    """Run the batch, kill worker A when it holds a county before its swap; the county, every
    county the scheduler had given worker A then, and the finished batch."""
    from distributed import Client

    proc = _batch(cmd, cluster.root, cluster.env, "first")
    try:
        _wait("worker A to stop before a county's swap", pause_file.is_file,
              alive={"batch": proc, **cluster.procs})
        county = _paused_county(out / "counties", workers["A"][1])
        # every file of the county is written into its temporary folder; none is in place
        assert not (out / "counties" / county).exists()
        with Client(cluster.address, timeout="60s") as client:  # keys: county-<job id>-…
            held = {str(k).split("-")[1] for k in client.processing()[workers["A"][0]]}
        assert county in held
        cluster.kill("A")
        proc.wait(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
    log = (cluster.root / "batch-first.log").read_text(encoding="utf-8", errors="replace")
    return county, held, subprocess.CompletedProcess(cmd, proc.returncode, log, "")


@_cluster_marks
def test_killed_worker_county_is_run_again(tmp_path, capsys):
    prov = make_synthetic_province(tmp_path / "syn", nx=2, ny=2, county_km=2.0, seed=11)
    out = tmp_path / "out"
    pause_file = tmp_path / "paused"
    with dask_cluster(tmp_path / "cluster", scheduler_config={},
                      pause_file=pause_file) as (cluster, workers):
        cmd = _province_cmd(prov, out, cluster.address)
        county, held, first = _run_with_a_kill(cluster, workers, cmd, out, pause_file)
        print(first.stdout)
        assert first.returncode == 0, first.stdout + cluster.log("B") + cluster.log("scheduler")
        rows = _statuses(out)
        assert {r["status"] for r in rows.values()} == {"done"} and len(rows) == 4
        assert rows[county]["attempts"] == 2
        # run again: the counties worker A held, and any whose inputs only it had
        again = sorted(c for c, r in rows.items() if r["attempts"] == 2)
        assert county in again  # (work stealing may move the others worker A was given)
        assert all(rows[c]["lost_workers"] == [workers["A"][0]] for c in again)  # the one killed
        assert all(rows[c]["attempts"] == 1 and not rows[c]["lost_workers"]
                   for c in rows if c not in again)
        readme = dict(pd.read_excel(out / "province_summary.xlsx", sheet_name="说明").values)
        assert readme["因工作进程丢失而重新运行的县区"] == "、".join(
            f"{c} {_name(prov, c)}（运行 2 次，完成）" for c in again)
        assert "最多 3 次" in readme["工作进程丢失时"]  # the scheduler's default allowed-failures
        assert f"县区 {county}" in first.stdout and "已重新运行并完成（第 2 次运行）" in first.stdout
        counties = out / "counties"
        assert not [p.name for p in counties.iterdir() if is_litter(p.name)]
        assert all(_complete(counties / c) for c in prov.codes)
        stamps = {c: (counties / c / DONE_MARKER).stat().st_mtime_ns for c in prov.codes}

        # the rerun in-process (the killed run above was the real command line)
        assert main(cmd[4:]) == 0
    assert "4 of 4 counties already done" in capsys.readouterr().err
    assert stamps == {c: (counties / c / DONE_MARKER).stat().st_mtime_ns for c in prov.codes}


@_cluster_marks
def test_killed_worker_county_is_reported_and_rerun_resumes(tmp_path, capsys):
    prov = make_synthetic_province(tmp_path / "syn", nx=3, ny=1, county_km=2.0, seed=12)
    out = tmp_path / "out"
    pause_file = tmp_path / "paused"
    # no second chance on the scheduler, and no work stealing: the counties given to worker A
    # when it is killed are those it takes down
    config = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
              "DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING": "False"}
    with dask_cluster(tmp_path / "cluster", scheduler_config=config,
                      pause_file=pause_file) as (cluster, workers):
        cmd = [sys.executable, "-m", "tcm_coverage", "batch", "--county-dirs",
               str(prov.root / "counties"), "--out", str(out), "--scheduler", cluster.address,
               *LIGHT]
        county, held, first = _run_with_a_kill(cluster, workers, cmd, out, pause_file)
        print(first.stdout)
        assert first.returncode == 1, first.stdout
        rows = _statuses(out)
        assert {c for c, r in rows.items() if r["status"] == "failed"} == held
        assert {r["status"] for c, r in rows.items() if c not in held} == {"done"}
        for c in held:
            error = rows[c]["error"]
            assert "工作进程丢失" in error and "重新运行同一命令" in error
            assert workers["A"][0] in error
            assert rows[c]["attempts"] == 1 and rows[c]["lost_workers"] == [workers["A"][0]]
            assert f"county {c} {_name(prov, c)} failed: 工作进程丢失" in first.stdout
        readme = dict(pd.read_excel(out / "province_summary.xlsx", sheet_name="说明").values)
        assert readme["因工作进程丢失而重新运行的县区"] == "、".join(
            f"{c} {_name(prov, c)}（运行 1 次，失败）" for c in sorted(held))
        assert "最多 0 次" in readme["工作进程丢失时"]
        counties = out / "counties"
        # the killed counties left no folder (the batch's own swap dropped the dead temporary)
        assert not any((counties / c).exists() for c in held)
        assert not [p.name for p in counties.iterdir() if is_litter(p.name)]
        assert all(_complete(counties / c) for c in prov.codes if c not in held)
        table = pd.read_csv(out / "province_summary.csv", encoding="utf-8-sig",
                            dtype={"区划代码": str})
        assert set(table.loc[table["状态"] == "失败", "区划代码"]) == held
        stamps = {c: (counties / c / DONE_MARKER).stat().st_mtime_ns
                  for c in prov.codes if c not in held}

        assert main(cmd[4:]) == 0  # in-process, on the same cluster (worker B)
    assert f"{3 - len(held)} of 3 counties already done" in capsys.readouterr().err
    assert all(_complete(counties / c) for c in prov.codes)
    assert not [p.name for p in counties.iterdir() if is_litter(p.name)]
    assert stamps == {c: (counties / c / DONE_MARKER).stat().st_mtime_ns
                      for c in prov.codes if c not in held}
    assert {r["status"] for r in _statuses(out).values()} == {"done", "skipped"}


# --------------------------------------------------------------------------------------
# The bookkeeping, on hand-made events (quick)
# --------------------------------------------------------------------------------------
def test_worker_losses_count_once_per_county_and_event():
    from tcm_coverage.batch.flight import WorkerLosses

    losses = WorkerLosses()
    losses.watch("a", ["county-a-1", "CountyInputs-a"])
    losses.watch("b", ["county-b-1"])
    # worker w1 ran a's task and held a's inputs: one loss for a; b untouched
    losses.on_event((1.0, {"action": "remove-worker", "worker": "tcp://w1",
                           "processing-tasks": {"county-a-1"},
                           "lost-scattered-tasks": {"CountyInputs-a"}, "expected": False}))
    # a worker that retired in order: its running tasks go elsewhere unharmed
    losses.on_event((2.0, {"action": "remove-worker", "worker": "tcp://w2",
                           "processing-tasks": {"county-b-1"}, "lost-scattered-tasks": set(),
                           "expected": True}))
    losses.on_event((3.0, {"action": "add-worker", "worker": "tcp://w3"}))
    losses.on_event((4.0, {"action": "remove-worker", "worker": "tcp://w4",
                           "processing-tasks": {"county-zzz"}, "expected": False}))
    losses.on_event("not an event")
    assert losses.lost("a") == ["tcp://w1"] and losses.lost("b") == [] and losses.lost("c") == []
    losses.watch("a", ["county-a-2"])  # the second attempt
    losses.on_event((5.0, {"action": "remove-worker", "worker": "tcp://w5",
                           "processing-tasks": ["county-a-2"], "expected": False}))
    assert losses.lost("a") == ["tcp://w1", "tcp://w5"]


def test_retry_rows_in_both_languages():
    from tcm_coverage.batch.driver import _retry_rows

    records = [
        {"job_id": "320101", "name": "甲县", "status": "done", "attempts": 2,
         "lost_workers": ["tcp://w1"], "retry_limit": 3},
        {"job_id": "320102", "name": "", "status": "failed", "attempts": 4,
         "lost_workers": ["tcp://w1", "tcp://w2", "tcp://w3", "tcp://w4"], "retry_limit": 3},
        {"job_id": "320103", "name": "丙县", "status": "done", "attempts": 1, "lost_workers": [],
         "retry_limit": 3},
        {"job_id": "320104", "name": "丁县", "status": "skipped"},  # done in an earlier run
    ]
    zh = dict(_retry_rows(records, "zh"))
    assert zh["因工作进程丢失而重新运行的县区"] == "320101 甲县（运行 2 次，完成）、320102（运行 4 次，失败）"
    assert "最多 3 次" in zh["工作进程丢失时"]
    en = dict(_retry_rows(records, "en"))
    assert en["counties run again after a lost worker"] == (
        "320101 甲县 (2 attempts, done), 320102 (4 attempts, failed)")
    assert dict(_retry_rows(records[2:], "en"))["counties run again after a lost worker"] == "none"
    assert _retry_rows(records[3:], "zh") == []  # nothing ran on a cluster: no rule to state


def test_no_worker_left_fails_the_county_with_the_fix(monkeypatch):
    from types import SimpleNamespace

    from tcm_coverage.batch import flight

    class NoWorkers:  # what Client.scatter does when the scheduler has no worker for 2 s
        def scatter(self, *args, **kwargs):
            raise TimeoutError("No valid workers found")

    monkeypatch.setattr(flight, "cut_county", lambda province, code: object())
    job = SimpleNamespace(job_id="320101", code="320101", name="甲县", key="k" * 64,
                          draw_only=False)
    fl = flight.Flight(NoWorkers(), object(), flight.WorkerLosses(), None, {}, lang="en")
    rec = fl.submit(job)
    assert rec["status"] == "failed" and rec["worker_lost"] and not fl.futures
    assert rec["error"].startswith("no worker left") and "run the same command again" in rec["error"]
