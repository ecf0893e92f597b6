"""The ``tcm-coverage`` entry point: hand the command to a warm server when one runs, else run it
here (:mod:`tcm_coverage.cli.server` is the server).

A ``tcm-coverage`` process spends seconds importing pandas, geopandas, scipy, matplotlib, folium...
before it does anything. ``tcm-coverage server start`` keeps one process with all of that imported;
this module, which imports only the standard library (and the package's stdlib-only ``__init__``),
looks for that server and, when its *code key* (:func:`tcm_coverage.cli.handoff.code_key`: the
package version, a fingerprint of the package's ``.py`` files, the interpreter, its import path
and the few environment variables read at import time) is this process's own, sends it the arguments, the
working folder, the environment, the umask and the three stdio file descriptors
(:func:`socket.send_fds`). The server forks a child that runs exactly what
:func:`tcm_coverage.cli.main.main` runs on those descriptors, so the output, the progress bars,
the files and the exit code are those of a run in this process.

While the child runs this process waits: Ctrl-C (SIGINT), SIGTERM and SIGHUP are passed on to the
child (which stops as a run in this process does, leaving the earlier result), and its end is
this process's end (the same exit code, or the same signal). Ctrl-Z (SIGTSTP) stops the child's
process group, then this process, as the shell's job control expects; ``fg``/``bg`` (SIGCONT)
continue both. If this process is killed (even
with SIGKILL) the server sees the connection close and ends the child. A child that crashes makes
this process exit 1 with a message.

No server, a stale socket, another code key, a server of another user or group, or
``TCM_COVERAGE_SERVER=0`` in the environment: the command runs in this process as it always did.
Windows (no ``fork``, no descriptor passing) always runs in-process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from tcm_coverage.cli.handoff import (
    FORWARDED_SIGNALS,
    MAX_SOCKET_PATH,
    SERVER_ENV,
    code_key,
    end_like_exit,
    private_folder,
    read_message,
    runtime_dir,
    send_message,
    server_address,
    server_supported,
    stdio_spec,
)

__all__ = ["forward", "main"]


def _command_of(args: Sequence[str]) -> str | None:
    """The sub-command of ``args`` (the first word after the global ``-q``/``-v`` options)."""
    for arg in args:
        if not arg.startswith("-"):
            return arg
    return None


def _connect(key: dict[str, Any]) -> socket.socket | None:
    """A connection to the server of ``key``, or ``None`` (no usable server)."""
    folder = runtime_dir()
    if not private_folder(folder):
        return None
    path = server_address(key, folder)
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
        if hasattr(socket, "SO_PEERCRED"):  # the server runs as this user
            _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(
                socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
            if uid != os.getuid():
                raise OSError("server of another user")
        for fd in (0, 1, 2):
            os.fstat(fd)  # a closed stdio descriptor cannot be passed: run here
    except OSError:  # no server, a stale socket (refused) or nothing to pass
        sock.close()
        return None
    return sock


def _request(args: Sequence[str]) -> dict[str, Any] | None:
    try:
        cwd = os.getcwd()
    except OSError:  # the working folder was removed: let the in-process run say so
        return None
    umask = os.umask(0o022)
    os.umask(umask)
    return {"op": "run", "key": code_key(), "argv": [sys.argv[0], *args], "cwd": cwd,
            "env": dict(os.environ), "umask": umask, "path": sys.path, "stdio": stdio_spec()}


def forward(args: Sequence[str]) -> int | None:
    """Run ``tcm-coverage ARGS`` in the server of this code; its exit code, or ``None`` when no
    server took the command (it then runs in this process). ``server ...`` never goes to a
    server."""
    if _command_of(args) == "server" or not server_supported():
        return None
    if os.environ.get(SERVER_ENV, "").strip().lower() in ("0", "off", "no", "false"):
        return None
    request = _request(args)
    if request is None:
        return None
    sock = _connect(request["key"])
    if sock is None:
        return None
    with sock:
        try:
            send_message(sock, request, fds=(0, 1, 2))
            reply, _ = read_message(sock)
        except OSError:
            return None
        except KeyboardInterrupt:  # before the command started: the server ends the child
            print("interrupted: nothing was replaced (the earlier result, if any, is kept).",
                  file=sys.stderr)
            return 130
        if not reply or not reply.get("ok"):  # another key, or the server is stopping
            return None
        return _wait(sock, int(reply["pid"]))


def _wait(sock: socket.socket, pid: int) -> int:
    """Pass signals on to the child ``pid`` until it ends; its exit code (or its signal)."""
    forwarded: set[int] = set()

    def pass_on(signum: int, _frame: object) -> None:
        forwarded.add(signum)
        with contextlib.suppress(OSError):
            send_message(sock, {"op": "signal", "signal": signum})

    def suspend(signum: int, _frame: object) -> None:
        # Ctrl-Z: the terminal stops only its foreground group (this process), not the child,
        # which runs in the server's session: stop the child's group, then this process
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGSTOP)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # stopped here until fg/bg sends SIGCONT
        signal.signal(signum, suspend)
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGCONT)

    previous = {s: signal.signal(s, pass_on) for s in FORWARDED_SIGNALS}
    if hasattr(signal, "SIGTSTP"):
        previous[signal.SIGTSTP] = signal.signal(signal.SIGTSTP, suspend)
    try:
        try:
            end, _ = read_message(sock)
        except OSError:
            end = None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if end is None:  # the server went away: end the child too
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGTERM)
        print("error: the tcm-coverage server stopped while running this command; run it again "
              "(or with TCM_COVERAGE_SERVER=0 to run it in this process).", file=sys.stderr)
        return 1
    if "signal" in end:
        signum = int(end["signal"])
        if signum in forwarded:  # ended by the signal this process got: end the same way
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return 128 + signum
        print(f"error: the command ended by signal {signum} ({signal.Signals(signum).name}) "
              "in the tcm-coverage server; run it again with TCM_COVERAGE_SERVER=0 to run it in "
              "this process.", file=sys.stderr)
        return 1
    return int(end["exit"])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tcm-coverage`` (and ``python -m tcm_coverage``): the command in a warm
    server when one of this code runs, else in this process (:func:`tcm_coverage.cli.main.main`).

    Returns
    -------
    int
        The command's exit code (see :func:`tcm_coverage.cli.main.main`).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    code = forward(args)
    if code is not None:
        return code
    from tcm_coverage.cli.main import main as run_here

    return run_here(args)


def run() -> NoReturn:
    """The console script (and ``python -m tcm_coverage``): :func:`main`, then the end of a Python
    process without the interpreter's teardown (:func:`~tcm_coverage.cli.handoff.end_like_exit`,
    then ``os._exit``). Every output file was closed, and synced, before its folder was swapped in.
    After an exception (``--help``, a usage error, an uncaught Ctrl-C), and under a profiler or
    tracer (pyinstrument, cProfile, coverage: they write their results at the interpreter's exit),
    the exit is the normal one."""
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    end_like_exit()
    os._exit(code)
