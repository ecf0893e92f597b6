"""``tcm-coverage server start|stop|status``: start, stop and list the warm servers
(:mod:`tcm_coverage.cli.server`) of the runtime folder.

``start`` returns when the server listens (it imports everything first: seconds), prints its pid
and socket, and first removes the files of servers that were killed and stops the servers of
this checkout's older code. ``stop`` asks the server of this code (``--all``: every server of
the folder) to stop taking commands and exit when its running ones end. ``status`` lists the
servers: pid, uptime, code key, commands served and running, the last commands' wall and CPU
seconds (``--json`` for scripts). The server runs as ``python -m tcm_coverage.cli.server`` in a
new session, its own errors in ``server-<digest>.log``. Not on Windows (exit 2).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tcm_coverage.cli.handoff import (
    DEFAULT_IDLE_MINUTES,
    MAX_SOCKET_PATH,
    code_key,
    key_digest,
    private_folder,
    read_message,
    runtime_dir,
    send_message,
    server_supported,
    socket_files,
)

__all__ = ["add_server_parser", "run_server_command"]

#: Seconds ``server start`` waits for the server to be ready (it imports everything first).
_START_TIMEOUT = 300.0


def add_server_parser(sub: argparse._SubParsersAction) -> None:
    """The ``server`` sub-command (``start``, ``stop``, ``status``)."""
    sv = sub.add_parser("server", help="a warm server so commands start instantly",
                        description="Keep one process with every library imported; each "
                                    "tcm-coverage command of this code then runs in a fork of it "
                                    "(same output, files and exit code; seconds sooner). "
                                    "TCM_COVERAGE_SERVER=0 runs a command in-process anyway. "
                                    "Not on Windows.")
    action = sv.add_subparsers(dest="server_action", required=True)
    start = action.add_parser("start", help="start the server (returns when it is ready)")
    start.add_argument("--idle-minutes", type=float, default=DEFAULT_IDLE_MINUTES, metavar="MIN",
                       help="exit after this many minutes without a command (default: %(default)g)")
    stop = action.add_parser("stop", help="stop the server of this code (after its running commands)")
    stop.add_argument("--all", action="store_true", help="stop every server in the runtime folder")
    status = action.add_parser("status", help="the servers in the runtime folder: pid, uptime, "
                                              "code key, commands served")
    status.add_argument("--json", action="store_true",
                        help="one JSON list (with the last commands' wall and CPU seconds)")


def run_server_command(args: argparse.Namespace) -> int:
    """Run ``server start|stop|status``; the exit code (2: no server possible here)."""
    if not server_supported():
        print("error: the tcm-coverage server needs fork and Unix sockets (not on Windows); "
              "commands run in-process.", file=sys.stderr)
        return 2
    folder = runtime_dir()
    problem = _check_folder(folder)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.server_action == "start":
        return _start(folder, idle_minutes=args.idle_minutes, quiet=args.quiet)
    if args.server_action == "stop":
        return _stop(folder, every=args.all, quiet=args.quiet)
    return _status(folder, as_json=args.json)


def _check_folder(folder: Path) -> str | None:
    """Create the runtime folder (``0700``); a message when it is not a private folder."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create the server folder {folder}: {exc.strerror}; set TCM_COVERAGE_RUNTIME_DIR"
    if not private_folder(folder):
        return (f"the server folder {folder} is not a folder only you can open (owner "
                f"uid {os.getuid()}, mode 0700); remove it or set TCM_COVERAGE_RUNTIME_DIR")
    if len(os.fsencode(folder)) + len("/server-0123456789abcdef.sock") > MAX_SOCKET_PATH:
        return (f"the server folder {folder} is too long a path for a Unix socket; set "
                "TCM_COVERAGE_RUNTIME_DIR to a shorter one")
    return None


def _ask(path: Path, op: str) -> dict[str, Any] | None:
    """Send ``op`` to the server listening at ``path``; its answer or ``None``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        try:
            sock.connect(str(path))
            send_message(sock, {"op": op})
            return read_message(sock)[0]
        except OSError:
            return None


def _servers(folder: Path) -> Iterator[tuple[str, dict[str, Any] | None, dict[str, Any]]]:
    """(digest, live status or None, stored info) of each server file in ``folder``."""
    for info_file in sorted(folder.glob("server-*.json")):
        digest = info_file.stem.removeprefix("server-")
        try:
            info = json.loads(info_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
        yield digest, _ask(socket_files(folder, digest)["sock"], "status"), info


def _start(folder: Path, *, idle_minutes: float, quiet: bool) -> int:
    key = code_key()
    digest = key_digest(key)
    files = socket_files(folder, digest)
    live = _ask(files["sock"], "status")
    if live is not None:
        print(f"tcm-coverage server already running: pid {live['pid']}, listening on {files['sock']}")
        return 0
    _remove_stale(folder)
    for other, status, info in _servers(folder):
        if other != digest and status is not None and info.get("package") == key["package"]:
            _ask(socket_files(folder, other)["sock"], "stop")  # older code of this checkout
            if not quiet:
                print(f"stopping the server of this checkout's older code (pid {status['pid']})")
    read_end, write_end = os.pipe()
    argv = [sys.executable, *(["-O"] * sys.flags.optimize), "-m", "tcm_coverage.cli.server",
            "--idle-minutes", str(idle_minutes), "--ready-fd", str(write_end)]
    with open(files["log"], "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                pass_fds=(write_end,), start_new_session=True)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as ready:
        answer = _read_ready(ready, proc)
    if answer.get("error"):
        print(f"error: the tcm-coverage server did not start: {answer['error']} (log: {files['log']})",
              file=sys.stderr)
        return 1
    if answer.get("busy"):  # another start won the race
        print(f"tcm-coverage server already running, listening on {files['sock']}")
        return 0
    print(f"tcm-coverage server ready: pid {answer['pid']}, listening on {answer['socket']} "
          f"(code key {digest}; exits after {idle_minutes:g} min without a command)")
    return 0


def _remove_stale(folder: Path) -> None:
    """Remove the socket and info files of servers that ended without removing them (killed)
    and their empty logs (lock files stay: removing one could let two servers lock)."""
    for lock in folder.glob("server-*.lock"):
        if _locked(lock):
            continue
        files = socket_files(folder, lock.stem.removeprefix("server-"))
        for kind in ("sock", "json"):
            with contextlib.suppress(OSError):
                files[kind].unlink()
        with contextlib.suppress(OSError):
            if files["log"].stat().st_size == 0:
                files["log"].unlink()


def _locked(path: Path) -> bool:
    """Whether a live server holds the lock file ``path``."""
    import fcntl  # not on Windows, where ``server`` stops before

    try:
        with open(path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return path.exists()
    return False


def _read_ready(ready: Any, proc: subprocess.Popen) -> dict[str, Any]:
    """The server's first line on the ready pipe (``{"pid", "socket"}``, ``{"busy"}`` or
    ``{"error"}``), waiting up to :data:`_START_TIMEOUT`."""
    sel = selectors.DefaultSelector()
    sel.register(ready, selectors.EVENT_READ)
    if not sel.select(timeout=_START_TIMEOUT):
        proc.kill()
        return {"error": f"not ready after {_START_TIMEOUT:g} s"}
    line = ready.readline()
    if not line:
        return {"error": f"it exited with code {proc.wait()}"}
    return json.loads(line)


def _stop(folder: Path, *, every: bool, quiet: bool) -> int:
    digest = key_digest(code_key())
    stopped = 0
    for other, status, _info in _servers(folder):
        if status is None or (other != digest and not every):
            continue
        answer = _ask(socket_files(folder, other)["sock"], "stop")
        if answer is not None:
            stopped += 1
            if not quiet:
                running = f" after its {answer['running']} running command(s)" if answer["running"] else ""
                print(f"tcm-coverage server {other} (pid {status['pid']}) stops{running}")
    if not stopped and not quiet:
        print("no tcm-coverage server of this code is running" + ("" if not every else " (none at all)"))
    return 0


def _status(folder: Path, *, as_json: bool) -> int:
    digest = key_digest(code_key())
    if as_json:
        print(json.dumps([{**(status or info), "digest": other, "this_code": other == digest,
                           "alive": status is not None} for other, status, info in _servers(folder)]))
        return 0
    mine = False
    for other, status, info in _servers(folder):
        tag = "this code" if other == digest else "other code"
        if status is None:
            print(f"{other} ({tag}): not running (stale files; pid {info.get('pid', '?')} "
                  "recorded) - 'server start' replaces them")
            continue
        mine = mine or other == digest
        up = status["uptime"]
        print(f"{other} ({tag}): pid {status['pid']}, up {int(up // 3600)}h{int(up % 3600 // 60):02d}m"
              f"{int(up % 60):02d}s, {status['served']} command(s) served, {len(status['running'])} "
              f"running{' (stopping)' if status['stopping'] else ''}, idle exit after "
              f"{status['idle_minutes']:g} min; package {status['key']['package']} "
              f"{status['key']['version']}")
        if status["running"]:
            print(f"  running: pid {', '.join(map(str, status['running']))}")
        for done in status.get("done", [])[-3:]:
            end = f"exit {done['exit']}" if "exit" in done else f"signal {done['signal']}"
            print(f"  served: {done['command']} ({end}; {done['wall']:.1f} s, "
                  f"{done['cpu']:.1f} s CPU)")
    if not mine:
        print(f"no tcm-coverage server of this code (key {digest}) is running; commands run "
              "in-process ('tcm-coverage server start')")
    return 0
