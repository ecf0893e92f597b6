"""The warm server (``tcm-coverage server``, :mod:`tcm_coverage.cli.server`) and its client
(:mod:`tcm_coverage.cli.client`, the entry point): a command run through the server writes the
same files, messages and exit codes as in-process; Ctrl-C is passed on and leaves the earlier
result; a killed client ends its command; a crashed command makes the client exit 1; a stale
socket, other code or other import-time environment fall back to in-process; ``stop`` stops it;
the client imports only the standard library.

Every server here runs in a private runtime folder (``TCM_COVERAGE_RUNTIME_DIR``) with a short
idle timeout, and each test stops (and if need be kills) the servers it started.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tcm_coverage._io import PAUSE_ENV, PAUSE_FILE_ENV, PAUSE_SECONDS_ENV
from tcm_coverage.cli.handoff import RUNTIME_DIR_ENV, SERVER_ENV, server_supported

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not server_supported(), reason="no fork/Unix sockets (Windows)")]

REPO = Path(__file__).resolve().parents[1]
#: A quick demo (one mode, one threshold, no map): seconds.
QUICK = ["--mode", "walk", "--threshold", "15", "--no-accessibility", "--isochrone-cell-m", "0",
         "--no-map"]


def _env(runtime: Path, pythonpath: Path = REPO, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (SERVER_ENV, "PYTHONHASHSEED")}
    env.update({"PYTHONPATH": str(pythonpath), RUNTIME_DIR_ENV: str(runtime), **extra})
    return env


#: The working folder of the commands: ``python -m`` puts it first on the import path, so it
#: must hold no ``tcm_coverage`` (PYTHONPATH says which package runs).
CWD = "/"


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tcm_coverage", *args], env=env, cwd=CWD,
                          capture_output=True, text=True, timeout=600)


def _popen(args: list[str], env: dict[str, str], **job: object) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tcm_coverage", *args], env=env, cwd=CWD,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **job)


def _servers(env: dict[str, str]) -> list[dict]:
    status = _cli(["server", "status", "--json"], env)
    assert status.returncode == 0, status.stderr
    return json.loads(status.stdout)


def _mine(env: dict[str, str]) -> dict:
    """The live server of this code (fails when there is none)."""
    found = _servers(env)
    mine = [s for s in found if s["this_code"] and s["alive"]]
    assert len(mine) == 1, found
    (server,) = mine
    return server


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def _wait_until(predicate, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _runtime() -> Path:
    # short (a Unix socket path has at most ~100 bytes), private
    return Path(tempfile.mkdtemp(prefix="tcm-srv-", dir="/tmp"))


def _stop_all(runtime: Path, env: dict[str, str]) -> None:
    """Stop every server of ``runtime`` and make sure none survives."""
    pids = [json.loads(p.read_text())["pid"] for p in runtime.glob("server-*.json")]
    _cli(["server", "stop", "--all"], env)
    for pid in pids:
        if not _wait_until(lambda pid=pid: not _alive(pid), 20):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, str]]:
    """The environment of clients of a server started for this module."""
    runtime = _runtime()
    env = _env(runtime)
    try:
        started = _cli(["server", "start", "--idle-minutes", "10"], env)
        assert started.returncode == 0, started.stderr
        assert "ready: pid" in started.stdout
        yield env
    finally:
        _stop_all(runtime, env)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix == ".csv"}


def test_demo_through_the_server_writes_what_in_process_writes(server, tmp_path):
    served = _mine(server)["served"]
    warm = _cli(["-q", "demo", "--out", str(tmp_path / "warm"), *QUICK], server)
    assert warm.returncode == 0, warm.stderr
    assert _mine(server)["served"] == served + 1  # it did go through the server
    cold = _cli(["-q", "demo", "--out", str(tmp_path / "cold"), *QUICK],
                {**server, SERVER_ENV: "0"})
    assert cold.returncode == 0, cold.stderr
    assert _mine(server)["served"] == served + 1  # TCM_COVERAGE_SERVER=0: in-process
    assert (warm.stdout, warm.stderr) == (cold.stdout, cold.stderr)
    assert sorted(p.name for p in (tmp_path / "warm").iterdir()) == \
        sorted(p.name for p in (tmp_path / "cold").iterdir())
    warm_csv, cold_csv = _files(tmp_path / "warm"), _files(tmp_path / "cold")
    assert len(warm_csv) >= 5 and warm_csv == cold_csv  # byte-identical


def test_batch_through_the_server_writes_what_in_process_writes(server, tmp_path):
    """``batch`` (which imports dask/distributed in the child, never in the server) through the
    server: the same exit code, messages, province summary and county tables as in-process."""
    from tcm_coverage.testing.province import make_synthetic_province

    prov = make_synthetic_province(tmp_path / "syn", nx=2, ny=1, county_km=3.0, seed=5)
    args = ["-q", "batch", "--county-dirs", str(tmp_path / "syn" / "counties"), "--workers", "1",
            "--mode", "walk", "ebike", "--no-report", "--isochrone-cell-m", "0", "--no-accessibility",
            "--profile", "national", "--basemap", "none"]
    served = _mine(server)["served"]
    warm = _cli([*args, "--out", str(tmp_path / "warm")], server)
    assert warm.returncode == 0, warm.stderr
    assert _mine(server)["served"] == served + 1
    cold = _cli([*args, "--out", str(tmp_path / "cold")], {**server, SERVER_ENV: "0"})
    assert cold.returncode == 0, cold.stderr
    assert (warm.stdout, warm.stderr) == (cold.stdout, cold.stderr)
    import pandas as pd

    summary = [pd.read_csv(tmp_path / run / "province_summary.csv", encoding="utf-8-sig", dtype=str)
               .drop(columns="用时(秒)") for run in ("warm", "cold")]  # each county's seconds differ
    pd.testing.assert_frame_equal(*summary)
    for code in prov.codes:
        warm_csv = _files(tmp_path / "warm" / "counties" / code)
        assert len(warm_csv) >= 3 and warm_csv == _files(tmp_path / "cold" / "counties" / code), code
    assert _wait_until(lambda: not _mine(server)["running"])  # nothing of the batch left behind


def test_bad_input_exit_code_and_message_are_the_same(server, tmp_path):
    args = ["analyze", "--facilities", str(tmp_path / "missing.csv"), "--boundary",
            str(tmp_path / "b.geojson"), "--population", str(tmp_path / "p.tif"), "--network",
            str(tmp_path / "n.osm"), "--out", str(tmp_path / "out")]
    served = _mine(server)["served"]
    warm = _cli(args, server)
    cold = _cli(args, {**server, SERVER_ENV: "0"})
    assert _mine(server)["served"] == served + 1
    assert warm.returncode == cold.returncode == 2
    assert warm.stderr == cold.stderr and "missing.csv" in warm.stderr
    usage = _cli(["demo", "--no-such-option"], server)
    assert usage.returncode == 2 and "unrecognized arguments: --no-such-option" in usage.stderr
    assert _mine(server)["served"] == served + 2


def _paused_run(env: dict[str, str], out: Path, tmp_path: Path, *, seconds: float = 60,
                **job: object) -> tuple[subprocess.Popen, int]:
    """A demo into ``out`` (in English: the earlier result is in Chinese), stopped just before
    it swaps its result in; the client and the pid of the child running it in the server."""
    signal_file = tmp_path / "paused"
    proc = _popen(["-q", "demo", "--out", str(out), "--lang", "en", *QUICK],
                  {**env, PAUSE_ENV: "before-swap", PAUSE_FILE_ENV: str(signal_file),
                   PAUSE_SECONDS_ENV: str(seconds)}, **job)
    assert _wait_until(lambda: signal_file.exists() or proc.poll() is not None, 300), "no pause"
    assert proc.poll() is None, proc.communicate()
    (child,) = _mine(env)["running"]
    return proc, child


def _earlier(env: dict[str, str], out: Path) -> dict[str, bytes]:
    first = _cli(["-q", "demo", "--out", str(out), "--lang", "zh", *QUICK], env)
    assert first.returncode == 0, first.stderr
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


def test_ctrl_c_is_passed_on_and_leaves_the_earlier_result(server, tmp_path):
    out = tmp_path / "out"
    before = _earlier(server, out)
    proc, child = _paused_run(server, out, tmp_path)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted: nothing was replaced" in stderr  # the child's KeyboardInterrupt
    assert _wait_until(lambda: not _alive(child))
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert json.loads((out / "run.json").read_text("utf-8"))["config"]["lang"] == "zh"
    assert _mine(server)["done"][-1]["exit"] == 130


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0]
    except FileNotFoundError:
        return "gone"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
def test_ctrl_z_stops_the_command_and_fg_continues_it(server, tmp_path):
    """Ctrl-Z (SIGTSTP to the client, the terminal's foreground group) stops the command's
    child in the server too; SIGCONT (``fg``/``bg``) continues both and the run finishes."""
    out = tmp_path / "out"
    # a pause longer than finding the child takes on a loaded box (a `server status` process)
    # the client in a process group of its own, as a shell's job: the kernel discards Ctrl-Z
    # sent to an orphaned group (e.g. pytest's when whatever started it has gone)
    proc, child = _paused_run(server, out, tmp_path, seconds=8, process_group=0)
    proc.send_signal(signal.SIGTSTP)
    assert _wait_until(lambda: _state(proc.pid) == "T" and _state(child) == "T", 20), \
        (_state(proc.pid), _state(child))
    time.sleep(9)  # longer than the pause: a child that was not stopped would have finished
    assert _state(child) == "T" and proc.poll() is None and not (out / "run.json").exists()
    proc.send_signal(signal.SIGCONT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert json.loads((out / "run.json").read_text("utf-8"))["config"]["lang"] == "en"
    assert _mine(server)["done"][-1]["exit"] == 0


def test_a_killed_client_ends_its_command(server, tmp_path):
    out = tmp_path / "out"
    before = _earlier(server, out)
    proc, child = _paused_run(server, out, tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert _wait_until(lambda: not _alive(child), 30), "the command outlived its client"
    assert _wait_until(lambda: _mine(server)["running"] == [])
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_a_crashed_command_makes_the_client_exit_1(server, tmp_path):
    proc, child = _paused_run(server, tmp_path / "out", tmp_path)
    os.kill(child, signal.SIGKILL)  # as a segfault would end it: a signal the client did not send
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "ended by signal 9 (SIGKILL)" in stderr and "TCM_COVERAGE_SERVER=0" in stderr


def _address(env: dict[str, str]) -> Path:
    code = "from tcm_coverage.cli.handoff import server_address; print(server_address())"
    return Path(subprocess.run([sys.executable, "-c", code], env=env, cwd=CWD, capture_output=True,
                               text=True, check=True).stdout.strip())


def test_a_stale_socket_falls_back_to_in_process(tmp_path):
    runtime = _runtime()
    try:
        env = _env(runtime)
        path = _address(env)
        os.chmod(runtime, 0o700)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:  # bound, never listening
            dead.bind(str(path))
        assert path.exists()
        version = _cli(["--version"], env)
        assert version.returncode == 0 and version.stdout.startswith("tcm-coverage "), version.stderr
        bad = _cli(["-q", "analyze", "--facilities", str(tmp_path / "missing.csv"), "--boundary", "b",
                    "--population", "p", "--network", "n", "--out", str(tmp_path / "o")], env)
        assert bad.returncode == 2 and "missing.csv" in bad.stderr
        status = _cli(["server", "status"], env)
        assert "not running" in status.stdout or "no tcm-coverage server" in status.stdout
    finally:
        _stop_all(runtime, _env(runtime))


def test_other_code_falls_back_and_stop_stops(tmp_path):
    """A server of a copy of the package; touching one of its .py files (or another
    PYTHONHASHSEED) makes clients run in-process; ``start`` then replaces the server of the
    older code, and ``stop`` stops it."""
    copy = tmp_path / "src"
    shutil.copytree(REPO / "tcm_coverage", copy / "tcm_coverage",
                    ignore=shutil.ignore_patterns("__pycache__", "demo_data"))
    runtime = _runtime()
    env = _env(runtime, pythonpath=copy)
    try:
        assert _cli(["server", "start", "--idle-minutes", "5"], env).returncode == 0
        first = _mine(env)
        assert first["key"]["package"] == str(copy / "tcm_coverage")
        assert _cli(["--version"], env).returncode == 0
        assert _mine(env)["served"] == 1
        seeded = _cli(["--version"], {**env, "PYTHONHASHSEED": "0"})  # read at start-up
        assert seeded.returncode == 0 and seeded.stdout.startswith("tcm-coverage ")
        vocab = copy / "tcm_coverage" / "vocab.py"
        os.utime(vocab, ns=(vocab.stat().st_atime_ns, vocab.stat().st_mtime_ns + 10**10))
        version = _cli(["--version"], env)
        assert version.returncode == 0 and version.stdout.startswith("tcm-coverage ")
        (old,) = [s for s in _servers(env) if s["alive"]]
        assert not old["this_code"] and old["served"] == 1  # neither went to the server
        assert _cli(["server", "start", "--idle-minutes", "5"], env).returncode == 0
        assert _wait_until(lambda: not _alive(first["pid"])), "the older code's server stayed"
        second = _mine(env)
        assert second["pid"] != first["pid"]
        socket_file = runtime / f"server-{second['digest']}.sock"
        assert socket_file.exists()
        stop = _cli(["server", "stop"], env)
        assert stop.returncode == 0 and f"(pid {second['pid']}) stops" in stop.stdout
        assert _wait_until(lambda: not _alive(second["pid"]))
        assert not socket_file.exists() and not [s for s in _servers(env) if s["alive"]]
    finally:
        _stop_all(runtime, env)


def test_the_client_imports_only_the_standard_library():
    code = ("import json, sys; import tcm_coverage.cli.client; "
            "print(json.dumps(sorted(sys.modules)))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], env=_env(Path("/nonexistent")),
                                       cwd=CWD, capture_output=True, text=True, check=True).stdout)
    ours = {m for m in loaded if m.split(".")[0] == "tcm_coverage"}
    assert ours <= {"tcm_coverage", "tcm_coverage._errors", "tcm_coverage._version",
                    "tcm_coverage._lazy", "tcm_coverage.cli", "tcm_coverage.cli.client",
                    "tcm_coverage.cli.handoff"}, ours
    others = {m.split(".")[0] for m in loaded} - set(sys.stdlib_module_names) - {"tcm_coverage"}
    assert {m for m in others if not m.startswith(("__editable__", "_distutils_hack",
                                                    "__main__", "_virtualenv"))} == set()
    assert "numpy" not in loaded and "pandas" not in loaded
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert scripts["tcm-coverage"] == "tcm_coverage.cli.client:run"


def test_the_console_script_ends_as_a_python_process_ends_without_its_teardown():
    """``run`` (the console script) skips the interpreter's teardown (an object left for it is
    never finalised) but keeps what an exit does: the command's exit code, its buffered output, a
    running thread joined, the atexit handlers; under a profiler, which writes its results at the
    teardown, the exit is the normal one (the checks fail if any of it is lost)."""
    body = ("import atexit, sys, threading, time\n"
            "import tcm_coverage.cli.client as client\n"
            "import os\n"
            "class LeftForTeardown:  # finalised when the interpreter clears the modules\n"
            "    def __del__(self, write=os.write):\n"
            "        write(1, b' teardown')\n"
            "left = LeftForTeardown()\n"
            "def command(argv=None):\n"
            "    def late():\n"
            "        time.sleep(0.3); print('thread done', end=' ')\n"
            "    threading.Thread(target=late).start()\n"
            "    atexit.register(lambda: print('atexit ran', end=' '))\n"
            "    sys.stdout.write('buffered ')\n"
            "    return 3\n"
            "client.main = command\n")
    outcomes = []
    for profile in ("", "sys.setprofile(lambda *a: None)\n"):
        done = subprocess.run([sys.executable, "-c", body + profile + "client.run()\n"],
                              env=_env(Path("/nonexistent")), cwd=CWD, capture_output=True, text=True,
                              timeout=60)
        outcomes.append((done.returncode, done.stdout.split()))
    assert outcomes[0] == (3, ["buffered", "thread", "done", "atexit", "ran"])
    assert outcomes[1] == (3, ["buffered", "thread", "done", "atexit", "ran", "teardown"])
