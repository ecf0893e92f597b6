"""The documents drawn by a second process (``workflows/drawer.py``, ``--jobs 2``): the same
files as one process, its errors, logs and warnings reach the user once, nothing is swapped in
when it fails, it never outlives its parent, and the one-process path stays."""

from __future__ import annotations

import dataclasses
import filecmp
import json
import logging
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import openpyxl
import pytest
import shapely

from tcm_coverage._errors import InputError, OutputError
from tcm_coverage.cli.main import main
from tcm_coverage.workflows import drawer as drawer_module
from tcm_coverage.workflows import pages, pipeline, write
from tcm_coverage.workflows.drawer import JOBS_ENV, background_call, document_drawer, resolve_jobs

ROOT = Path(__file__).resolve().parents[1]
_MARKER = ".tcm-coverage.json"


def _write(run, config, out: Path, *, jobs: int) -> list[str]:
    with document_drawer(jobs=jobs) as drawer:
        assert (drawer is None) == (jobs == 1)
        files = write.write_outputs(run, config.updated(out_dir=out), drawer=drawer)
    return [f.name for f in files]


def _xlsx_values(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def _without_ids(path: Path) -> str:
    return re.sub(r"_[0-9a-f]{32}", "_ID", path.read_text(encoding="utf-8"))  # folium's random ids


def _alive(pid: int) -> bool:
    """The process runs (a zombie waiting for its parent to reap it does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is Linux's")


@linux_only
def test_two_processes_write_what_one_writes(demo_computed, tmp_path):
    run, config = demo_computed
    one = _write(run, config, tmp_path / "one", jobs=1)
    two = _write(run, config, tmp_path / "two", jobs=2)
    assert one == two  # the same files, in the same order
    a, b = tmp_path / "one", tmp_path / "two"
    assert {"map.html", "report.html", "map.png", "map.pdf", "report.docx", "coverage.xlsx"} <= set(two)
    for name in one:
        if name.endswith(".csv"):
            assert filecmp.cmp(a / name, b / name, shallow=False), name
        elif name.endswith(".xlsx"):
            assert _xlsx_values(a / name) == _xlsx_values(b / name), name
        elif name.endswith(".html"):
            assert _without_ids(a / name) == _without_ids(b / name), name
    assert np.array_equal(mpimg.imread(a / "map.png"), mpimg.imread(b / "map.png"))
    # the store records the plate and report the child drew (a redraw reuses them)
    rendered = json.loads((b / "store" / "store.json").read_text(encoding="utf-8"))["rendered"]
    assert {"map.png", "report.html"} <= set(rendered)
    marker = json.loads((b / _MARKER).read_text(encoding="utf-8"))
    assert {"map.png", "report.docx", "map.html"} <= set(marker["files"])


def _earlier_result(run, config, out: Path) -> str:
    _write(run, config.updated(write_docx=False, print_formats=()), out, jobs=1)
    return (out / _MARKER).read_text(encoding="utf-8")


def _litter(out: Path) -> list[str]:
    return [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


@linux_only
def test_an_error_of_the_child_is_raised_in_the_parent_and_nothing_is_replaced(demo_computed, tmp_path,
                                                                              monkeypatch):
    run, config = demo_computed
    out = tmp_path / "run"
    before = _earlier_result(run, config, out)

    def broken(*args, **kwargs):
        raise InputError("the plate cannot be drawn", path="map.png", fix="install a CJK font")

    monkeypatch.setattr(pages, "write_reports", broken)  # the child is forked with it
    with pytest.raises(InputError) as caught:
        _write(run, config, out, jobs=2)
    assert str(caught.value) == str(InputError("the plate cannot be drawn", path="map.png",
                                               fix="install a CJK font"))
    assert caught.value.path == "map.png" and caught.value.fix == "install a CJK font"
    assert "in the process drawing the documents" in str(caught.value.__cause__)
    assert (out / _MARKER).read_text(encoding="utf-8") == before and not _litter(out)

    monkeypatch.setattr(pages, "write_reports", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        _write(run, config, out, jobs=2)
    assert (out / _MARKER).read_text(encoding="utf-8") == before and not _litter(out)


@linux_only
def test_a_killed_child_fails_the_run_and_keeps_the_earlier_result(demo_computed, tmp_path, monkeypatch):
    run, config = demo_computed
    out = tmp_path / "run"
    before = _earlier_result(run, config, out)
    monkeypatch.setattr(pages, "write_print_documents", lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(OutputError, match="killed by SIGKILL.*nothing was replaced.*--jobs 1"):
        _write(run, config, out, jobs=2)
    assert (out / _MARKER).read_text(encoding="utf-8") == before and not _litter(out)


@linux_only
@pytest.mark.parametrize("ending", ["drawn", "killed"])
def test_the_job_file_is_private_and_gone_after_the_run(demo_computed, tmp_path, monkeypatch, ending):
    """The run goes to the child in a temporary file (mode 0600), removed by the child once read,
    or by the parent when the child died before (the checks fail if it is left behind)."""
    run, config = demo_computed
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    modes: list[int] = []
    real_load = pickle.load

    def watch(stream, *a, **k):  # the parent reads the child's messages: look at the job file then
        modes.extend(p.stat().st_mode & 0o777 for p in temp.glob("tcm-coverage-job-*"))
        return real_load(stream, *a, **k)

    monkeypatch.setattr(drawer_module.pickle, "load", watch)
    if ending == "killed":  # stopped before it reads the job: the parent removes the file
        real_read = Path.read_bytes  # only the job file's reader dies, not this process's others
        monkeypatch.setattr(drawer_module.Path, "read_bytes",
                            lambda self: os.kill(os.getpid(), signal.SIGKILL)
                            if self.name.startswith("tcm-coverage-job-") else real_read(self))
        with pytest.raises(OutputError, match="killed by SIGKILL"):
            _write(run, config, tmp_path / "run", jobs=2)
    else:
        assert "map.pdf" in _write(run, config, tmp_path / "run", jobs=2)
    if ending == "killed":  # the file was there while the parent waited, private
        assert modes and set(modes) == {0o600}
    assert list(temp.iterdir()) == []


@linux_only
def test_interrupting_the_parent_stops_the_child(demo_computed, tmp_path, monkeypatch):
    run, config = demo_computed
    out = tmp_path / "run"
    before = _earlier_result(run, config, out)
    monkeypatch.setattr(pages, "write_documents", lambda *a, **k: time.sleep(120))
    monkeypatch.setattr(write, "write_geodata", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt), document_drawer(jobs=2) as drawer:
        pid = drawer.pid
        write.write_outputs(run, config.updated(out_dir=out), drawer=drawer)
    assert not _alive(pid)
    with pytest.raises(ChildProcessError):  # reaped: no zombie left either
        os.waitpid(pid, os.WNOHANG)
    assert (out / _MARKER).read_text(encoding="utf-8") == before and not _litter(out)


_PARENT = r"""
import pickle, sys, time
from pathlib import Path
from tcm_coverage.workflows import pages
from tcm_coverage.workflows.drawer import document_drawer
def drawing(run, config, folder, **kwargs):  # the child draws for two minutes
    (folder / "drawing").touch()
    time.sleep(120)
def web(run, config, folder, **kwargs):  # and so does its own second process
    (folder / "web").touch()
    time.sleep(120)
pages.write_print_documents = drawing
pages.write_web_documents = web
run, config = pickle.loads(Path(sys.argv[1]).read_bytes())
with document_drawer(jobs=2) as drawer:
    drawer.draw(run, config, Path(sys.argv[2]))
    print(drawer.pid, flush=True)
    time.sleep(120)
"""


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_the_child_dies_with_its_parent(demo_computed, tmp_path, sig):
    run, config = demo_computed
    job = tmp_path / "run.pickle"
    light = replace(run, network=None, access=replace(run.access, routing={}))  # the graphs do not pickle
    job.write_bytes(pickle.dumps((light, config)))
    (tmp_path / "build").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(job), str(tmp_path / "build")],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        child = int(parent.stdout.readline())
        deadline = time.monotonic() + 120
        while not all((tmp_path / "build" / n).exists() for n in ("drawing", "web")) \
                and time.monotonic() < deadline:
            time.sleep(0.1)  # until the child has the job and draws, and its own child too
        assert _alive(child) and (tmp_path / "build" / "drawing").exists()
        (grandchild,) = (int(p) for p in Path(f"/proc/{child}/task/{child}/children").read_text().split())
        parent.send_signal(sig)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while (_alive(child) or _alive(grandchild)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the drawing process outlived its parent"
        assert not _alive(grandchild), "the web-map process outlived the drawing process"
    finally:
        parent.kill()
        parent.wait()


@linux_only
def test_logs_and_warnings_of_the_child_are_shown_once(demo_computed, tmp_path, monkeypatch, caplog):
    run, config = demo_computed

    def noisy(run, config, folder, **kwargs):
        logging.getLogger("tcm_coverage.workflows.pages").warning("drawn with %s", "care")
        warnings.warn("a drawing warning", UserWarning, stacklevel=1)
        return []

    monkeypatch.setattr(pages, "write_print_documents", noisy)
    monkeypatch.setattr(pages, "write_web_documents", noisy)  # by the drawer's own second process
    with pytest.warns(UserWarning, match="a drawing warning") as shown:
        _write(run, config, tmp_path / "run", jobs=2)
    assert len([w for w in shown if "a drawing warning" in str(w.message)]) == 2  # once from each
    assert [r.getMessage() for r in caplog.records if "drawn with" in r.getMessage()] == ["drawn with care"] * 2


def _cli_demo(out: Path, *extra: str) -> list[str]:
    return ["-q", "demo", "--out", str(out), "--modes", "walk", "ebike", "--thresholds", "10", "15",
            "--no-65plus", *extra]


@pytest.fixture
def computed_once(demo_computed, monkeypatch):
    """``demo`` in-process with the demo already computed (the fixture's modes and thresholds)."""
    run, _ = demo_computed
    monkeypatch.setattr(pipeline, "compute", lambda config, progress=True, jobs=1: run)
    return run


@linux_only
def test_cli_no_cjk_font_warns_once_with_two_processes(computed_once, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pages, "find_cjk_font", lambda: None)
    out = tmp_path / "run"
    assert main(_cli_demo(out, "--jobs", "2")[1:]) == 0  # without -q: warnings are shown
    err = capsys.readouterr().err
    assert err.count("WARNING") == 1 and "fonts-noto-cjk" in err, err
    assert not (out / "map.png").exists() and (out / "report.docx").exists()


@linux_only
def test_cli_error_of_the_child_is_printed_once_exit_2(computed_once, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert main(_cli_demo(out, "--jobs", "1")) == 0
    before = (out / _MARKER).read_text(encoding="utf-8")

    def broken(*args, **kwargs):
        raise InputError("no CJK font for the plate", fix="install fonts-noto-cjk")

    monkeypatch.setattr(pages, "write_print_documents", broken)
    assert main(_cli_demo(out, "--jobs", "2")) == 2
    err = capsys.readouterr().err
    assert err.count("no CJK font for the plate") == 1 and "nothing was written." in err, err
    assert (out / _MARKER).read_text(encoding="utf-8") == before


def test_one_process_where_there_is_no_second(monkeypatch):
    monkeypatch.delenv(JOBS_ENV, raising=False)
    monkeypatch.setattr(drawer_module, "_cpus", lambda: 1)
    assert resolve_jobs(None) == 1
    monkeypatch.setattr(drawer_module, "_cpus", lambda: 4)
    assert resolve_jobs(None) == (2 if sys.platform.startswith("linux") else 1)
    assert resolve_jobs(1) == 1 and resolve_jobs(8) in (1, 2)
    monkeypatch.setenv(JOBS_ENV, "1")
    assert resolve_jobs(None) == 1
    assert resolve_jobs(2) == (2 if sys.platform.startswith("linux") else 1)  # --jobs wins
    monkeypatch.setattr(drawer_module.sys, "platform", "darwin")  # spawn, not fork: one process
    assert resolve_jobs(2) == 1
    monkeypatch.setenv(JOBS_ENV, "two")
    with pytest.raises(InputError, match=JOBS_ENV):
        resolve_jobs(None)
    with pytest.raises(InputError, match="--jobs 0"):
        resolve_jobs(0)


def test_one_process_forks_nothing(computed_once, tmp_path, monkeypatch):
    def no_fork():
        raise AssertionError("forked with --jobs 1")

    monkeypatch.setattr(os, "fork", no_fork)
    assert main(_cli_demo(tmp_path / "run", "--jobs", "1")) == 0
    assert (tmp_path / "run" / "map.png").exists()
    monkeypatch.setenv(JOBS_ENV, "1")
    assert main(_cli_demo(tmp_path / "run2")) == 0


def test_writing_the_tables_loads_no_renderer():
    probe = ("import sys\nimport tcm_coverage.workflows.pipeline, tcm_coverage.workflows.write\n"
             "print([m for m in ('folium', 'matplotlib', 'docx', 'tcm_coverage.workflows.pages') "
             "if m in sys.modules])\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                          check=True, timeout=120)
    assert done.stdout.strip() == "[]"



@linux_only
def test_a_run_that_cannot_be_handed_over_fails_without_hanging(demo_computed, tmp_path):
    run, config = demo_computed
    out = tmp_path / "run"
    before = _earlier_result(run, config, out)
    lorenz = run.lorenz.copy()
    lorenz.attrs["how"] = lambda: None  # a lambda does not pickle
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        _write(replace(run, lorenz=lorenz), config, out, jobs=2)
    assert (out / _MARKER).read_text(encoding="utf-8") == before and not _litter(out)


def test_the_drawer_is_forked_before_the_heavy_imports():
    """``analyze``/``demo`` fork the drawing process first thing: importing what forks it loads
    no pandas, numpy or geopandas (the child imports them beside the parent, not during the
    routing)."""
    probe = ("import sys\nimport tcm_coverage.cli.main, tcm_coverage.workflows.drawer\n"
             "print([m for m in ('pandas', 'numpy', 'geopandas', 'matplotlib', 'folium') if m in sys.modules])\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                          check=True, timeout=120)
    assert done.stdout.strip() == "[]"
# -- the isochrones computed by a second process (drawer.background_call, pipeline.compute) --

def _snaps_equal(a, b) -> bool:
    return all((x is None and y is None) or np.array_equal(x, y, equal_nan=True)
               for x, y in ((getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)))


@linux_only
def test_isochrones_by_a_second_process_are_those_of_one(demo_computed):
    one, config = demo_computed
    two = pipeline.compute(config, progress=False, jobs=2)
    assert "isochrones (waited for)" in two.seconds and "isochrones (waited for)" not in one.seconds
    a, b = one.access.isochrones, two.access.isochrones
    assert len(a) > 0 and a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    assert all(shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), 0))
    assert one.access.cells.keys() == two.access.cells.keys() == {"walk", "ebike"}
    for mode, (snap, grid) in one.access.cells.items():
        snap2, grid2 = two.access.cells[mode]
        assert _snaps_equal(snap, snap2) and np.array_equal(grid.inside, grid2.inside)
    assert one.tables.county.equals(two.tables.county)
    assert one.access.demand.equals(two.access.demand)
    assert one.access.warnings == two.access.warnings


def _pid_and_fail():
    raise InputError(f"isochrones failed in {os.getpid()}", fix="none")


@linux_only
def test_an_error_of_the_background_process_is_raised_once_and_it_is_gone(caplog):
    with pytest.raises(InputError, match="isochrones failed in") as info:
        with background_call(_pid_and_fail, jobs=2) as call:
            pid = call.pid
            call.result()
    assert str(pid) in str(info.value)  # raised there, not here
    assert "in the process computing the isochrones" in str(info.value.__cause__)
    assert not _alive(pid)
    assert not [r for r in caplog.records if "isochrones failed" in r.getMessage()]  # raised, not logged


def _noisy_value():
    logging.getLogger("tcm_coverage.access.isochrones").warning("cells with %s", "care")
    warnings.warn("an isochrone warning", UserWarning, stacklevel=1)
    return {"pid": os.getpid(), "values": np.arange(5)}


@linux_only
def test_the_background_value_logs_and_warnings_come_back_once(caplog):
    with pytest.warns(UserWarning, match="an isochrone warning") as shown:
        with background_call(_noisy_value, jobs=2) as call:
            value = call.result()
    assert value["pid"] == call.pid != os.getpid() and np.array_equal(value["values"], np.arange(5))
    assert len([w for w in shown if "an isochrone warning" in str(w.message)]) == 1
    assert [r.getMessage() for r in caplog.records if "cells with" in r.getMessage()] == ["cells with care"]
    assert not _alive(call.pid)


def test_one_process_computes_the_background_value_here():
    with pytest.warns(UserWarning, match="an isochrone warning"), background_call(_noisy_value, jobs=1) as call:
        assert not hasattr(call, "pid")
        assert call.result()["pid"] == os.getpid()


def _sleep():
    time.sleep(120)


@linux_only
def test_interrupting_the_parent_stops_the_background_process():
    with pytest.raises(KeyboardInterrupt):
        with background_call(_sleep, jobs=2) as call:
            pid = call.pid
            raise KeyboardInterrupt
    assert not _alive(pid)


def _pipes_held():
    held = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except FileNotFoundError:  # the listing's own
            continue
        if target.startswith("pipe:"):
            held.append(target)
    return held


@linux_only
def test_the_background_process_holds_no_pipe_of_the_drawer():
    """Else the drawer would not see its parent close its job pipe while the other runs."""
    with document_drawer(jobs=2) as drawer:
        assert drawer is not None
        drawer_pipes = {os.readlink(f"/proc/self/fd/{s.fileno()}") for s in (drawer._jobs, drawer._messages)}
        with background_call(_pipes_held, jobs=2) as call:
            held = call.result()
    assert held and not drawer_pipes & set(held)
