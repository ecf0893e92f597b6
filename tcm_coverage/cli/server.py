"""The warm server: one process that runs the ``tcm-coverage`` commands in forks of itself (a fork
server, as Android's zygote or dmypy), started by ``tcm-coverage server start``
(:mod:`tcm_coverage.cli.server_command`) as ``python -m tcm_coverage.cli.server``.

Each ``tcm-coverage`` process spends seconds importing its libraries. The server imports them
once (the package's modules with pandas, geopandas, scipy, shapely, pyproj, pyogrio, rasterio,
pyarrow, matplotlib's Agg canvas and font list, folium, python-docx, openpyxl, osmium, highspy,
scikit-learn and osmnx; not dask/distributed, which start threads) and then, for each command a
client (:mod:`tcm_coverage.cli.client`) hands it (:mod:`tcm_coverage.cli.handoff`), forks a child that

* puts the client's stdin/stdout/stderr descriptors on 0/1/2 and opens ``sys.stdin``/``stdout``/
  ``stderr`` with the client's encodings and buffering (a terminal stays a terminal: the same
  progress bars),
* takes the client's working folder, environment (and ``TZ``, ``LC_CTYPE``), umask, ``sys.argv``
  and ``sys.path``, reseeds the global random generators, forgets the server's exit handlers,
* becomes the leader of its own process group (a signal the client passes on reaches what the
  command started, as Ctrl-C reaches a terminal's foreground group),
* runs :func:`tcm_coverage.cli.main.main` on the arguments, then what a Python process does when
  it ends (waits for its threads, runs its exit handlers, flushes), and exits with the code.

The server reports each child's end to its client: the exit code, or the signal that ended it.
When a client's connection closes before its child ended (the client was killed), the child's
group gets SIGTERM, then SIGKILL after 5 s.

Only imports happen before the fork: nothing is drawn or read (no font file or database is open
when a child starts, so none is shared between children). The server serves one code key
(:func:`tcm_coverage.cli.handoff.code_key`): a change to a ``.py`` file of the package, another
interpreter, import path or ``pip install`` makes clients run in-process until ``server start``
starts a server of the new code (``start`` also stops servers of this checkout's older code).
It listens on a Unix socket in a ``0700`` folder and serves only its own user and group
(``SO_PEERCRED`` on Linux; elsewhere the folder's permissions). It exits after
``--idle-minutes`` (default 60) without a command, on ``server stop`` or SIGTERM (then after
the running commands end). Windows has no ``fork``: commands always run in-process there.

Files in the runtime folder: ``server-<digest>.sock`` (the socket), ``.json`` (pid, key, start
time: what ``status`` reads when the server does not answer), ``.lock`` (held while the server
lives: two servers of one key never run) and ``.log`` (the server's own errors).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

from tcm_coverage.cli.handoff import (
    DEFAULT_IDLE_MINUTES,
    FORWARDED_SIGNALS,
    code_key,
    end_like_exit,
    key_digest,
    read_message,
    runtime_dir,
    send_message,
    socket_files,
)
from tcm_coverage.cli.main import main as run_command

__all__ = ["WARM_MODULES", "serve"]

#: What the server imports before it serves: every module of the package the commands use
#: (all but ``batch``, which imports dask/distributed, and ``testing``) and the libraries the
#: package imports only inside functions.
WARM_MODULES = (
    "tcm_coverage.inputs", "tcm_coverage.network", "tcm_coverage.access", "tcm_coverage.siting",
    "tcm_coverage.outputs", "tcm_coverage.workflows",
    "matplotlib.backends.backend_agg", "matplotlib.figure", "matplotlib.font_manager",
    "folium", "docx", "openpyxl", "pyogrio", "rasterio", "pyarrow.parquet", "osmium", "highspy",
    "sklearn.cluster", "osmnx", "tqdm",
)
#: Seconds a killed client's child has between SIGTERM and SIGKILL.
_KILL_GRACE = 5.0
#: Seconds a client has to send its request.
_REQUEST_TIMEOUT = 10.0


@dataclass
class _Job:
    """A command being run: its child and the client's connection."""

    pid: int
    conn: socket.socket
    command: str
    started: float = field(default_factory=time.monotonic)
    kill_at: float | None = None  # the client went away: SIGKILL then


@dataclass
class _State:
    key: dict[str, Any]
    digest: str
    listener: socket.socket
    path: Path  # the socket's file
    inode: int  # ... while it is this server's (a newer server may have replaced it)
    idle_seconds: float
    started: float = field(default_factory=time.time)
    last_active: float = field(default_factory=time.monotonic)
    served: int = 0
    stopping: bool = False
    jobs: dict[int, _Job] = field(default_factory=dict)
    #: the last commands served: argv, exit, wall and CPU seconds (user + system) of the child
    done: list[dict[str, Any]] = field(default_factory=list)
    keep_fds: list[int] = field(default_factory=list)  # the server's own, closed in a child


def _warm() -> None:
    """Import what the commands use (only imports: nothing drawn, read or opened)."""
    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):
            import_module(name)
    for face in ("inputs", "network", "access", "siting", "outputs", "workflows"):
        module = sys.modules[f"tcm_coverage.{face}"]
        for name in getattr(module, "__all__", ()):
            getattr(module, name)  # each lazy name (and the module it lives in)
    if "dask" in sys.modules or "distributed" in sys.modules:  # they start threads
        raise RuntimeError("a warm module imported dask/distributed")


def serve(*, idle_minutes: float, ready_fd: int | None = None) -> int:
    """Run the server of this code in this process until it is stopped or idle.

    Parameters
    ----------
    idle_minutes
        Exit after this many minutes without a command.
    ready_fd
        A descriptor the server writes one JSON line to when it listens (or cannot), then closes.
    """
    ready = os.fdopen(ready_fd, "w") if ready_fd is not None else None

    def say(message: dict[str, Any]) -> None:
        if ready is not None and not ready.closed:
            ready.write(json.dumps(message) + "\n")
            ready.close()

    key = code_key()
    digest = key_digest(key)
    folder = runtime_dir()
    files = socket_files(folder, digest)
    lock = open(files["lock"], "a")  # noqa: SIM115 - held for the server's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        say({"busy": True})
        return 0
    try:
        _warm()
    except Exception as exc:  # a broken install: say so to ``server start``
        say({"error": f"{type(exc).__name__}: {exc}"})
        raise
    if code_key() != key:
        say({"error": "the package's files changed while the server started; start it again"})
        return 1
    listener = _listen(files["sock"])
    state = _State(key=key, digest=digest, listener=listener, path=files["sock"],
                   inode=os.stat(files["sock"]).st_ino, idle_seconds=idle_minutes * 60,
                   keep_fds=[lock.fileno()])
    files["json"].write_text(json.dumps({"pid": os.getpid(), "key": key, "started": state.started,
                                         "package": key["package"]}), encoding="utf-8")
    os.chdir("/")
    import gc

    gc.freeze()  # the imported objects stay shared with the children (copy on write)
    say({"pid": os.getpid(), "socket": str(files["sock"])})
    try:
        _loop(state)
    finally:
        _unlink_socket(state)
        listener.close()
        with contextlib.suppress(OSError):
            files["json"].unlink()
        lock.close()
    return 0


def _listen(path: Path) -> socket.socket:
    """Listen at ``path``: bound under a temporary name, then renamed over a stale socket."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp))
    os.chmod(tmp, 0o600)
    listener.listen(64)
    os.replace(tmp, path)
    return listener


def _unlink_socket(state: _State) -> None:
    """Remove the socket's file if it is still this server's (not one a newer server put there)."""
    with contextlib.suppress(OSError):
        if os.stat(state.path).st_ino == state.inode:
            state.path.unlink()


def _loop(state: _State) -> None:
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    state.keep_fds += [wake_r, wake_w]
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: _begin_stop(state))
    signal.signal(signal.SIGINT, lambda *_: _begin_stop(state))
    sel = selectors.DefaultSelector()
    sel.register(state.listener, selectors.EVENT_READ, "accept")
    sel.register(wake_r, selectors.EVENT_READ, "wake")
    while True:
        _reap(state, sel)
        now = time.monotonic()
        if not state.jobs and (state.stopping or now - state.last_active >= state.idle_seconds):
            return
        timeout = None if state.jobs else state.idle_seconds - (now - state.last_active)
        kills = [j.kill_at for j in state.jobs.values() if j.kill_at is not None]
        if kills:
            timeout = max(0.0, min(kills) - now)
        for sel_key, _events in sel.select(timeout=None if timeout is None else max(timeout, 0.01)):
            if sel_key.data == "accept":
                _accept(state, sel)
            elif sel_key.data == "wake":
                with contextlib.suppress(OSError):
                    os.read(wake_r, 4096)
            else:
                _client_message(state, sel, sel_key.data)
        for job in state.jobs.values():
            if job.kill_at is not None and time.monotonic() >= job.kill_at:
                with contextlib.suppress(OSError):
                    os.killpg(job.pid, signal.SIGKILL)
                job.kill_at = None


def _begin_stop(state: _State) -> None:
    """Stop taking commands (new clients run in-process); exit when the running ones end."""
    if not state.stopping:
        state.stopping = True
        _unlink_socket(state)


def _peer_ok(conn: socket.socket) -> bool:
    """The client runs as this user and group (Linux ``SO_PEERCRED``)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True  # the socket's 0700 folder is the guard
    _pid, uid, gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                         struct.calcsize("3i")))
    return uid == os.getuid() and gid == os.getgid()


def _accept(state: _State, sel: selectors.BaseSelector) -> None:
    try:
        conn, _ = state.listener.accept()
    except OSError:
        return
    fds: list[int] = []
    try:
        conn.settimeout(_REQUEST_TIMEOUT)
        message, fds = read_message(conn, max_fds=3)
        if message is None or not _peer_ok(conn):
            conn.close()
            return
        state.last_active = time.monotonic()
        if message["op"] == "status":
            send_message(conn, _status_of(state))
        elif message["op"] == "stop":
            _begin_stop(state)
            send_message(conn, {"ok": True, "running": len(state.jobs)})
        elif message["op"] == "run":
            if message.get("key") != state.key or state.stopping or len(fds) != 3:
                send_message(conn, {"ok": False, "reason": "key" if message.get("key") != state.key
                                    else "stopping"})
            else:
                _fork(state, sel, conn, message, fds)
                return
        conn.close()
    except (OSError, ValueError, KeyError):
        conn.close()
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)


def _status_of(state: _State) -> dict[str, Any]:
    return {"pid": os.getpid(), "uptime": time.time() - state.started, "key": state.key,
            "digest": state.digest, "served": state.served, "running": sorted(state.jobs),
            "stopping": state.stopping, "idle_minutes": state.idle_seconds / 60,
            "done": state.done}


def _fork(state: _State, sel: selectors.BaseSelector, conn: socket.socket, request: dict[str, Any],
          fds: list[int]) -> None:
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            _close_server_fds(state.keep_fds, [state.listener, conn,
                                               *(j.conn for j in state.jobs.values())], sel)
            code = _child(request, fds)
        except BaseException:  # a fault of the server: on the client's stderr
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    state.jobs[pid] = _Job(pid=pid, conn=conn, command=" ".join(request["argv"][1:]))
    conn.settimeout(None)
    try:
        send_message(conn, {"ok": True, "pid": pid})
    except OSError:  # the client is gone already
        _client_gone(state, state.jobs[pid])
    sel.register(conn, selectors.EVENT_READ, pid)


def _close_server_fds(fds: list[int], sockets: list[socket.socket],
                      sel: selectors.BaseSelector) -> None:
    """In a child: close the server's descriptors and restore the default signal handling."""
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with contextlib.suppress(OSError):
        os.close(sel.fileno())  # type: ignore[attr-defined]
    for fd in [*fds, *(s.detach() for s in sockets)]:
        with contextlib.suppress(OSError):
            os.close(fd)


def _client_message(state: _State, sel: selectors.BaseSelector, pid: int) -> None:
    job = state.jobs.get(pid)
    if job is None:
        return
    try:
        message, _ = read_message(job.conn)
    except (OSError, ValueError):
        message = None
    if message is None:  # the client was killed: end its command
        sel.unregister(job.conn)
        _client_gone(state, job)
        return
    signum = int(message.get("signal", 0))
    if message.get("op") == "signal" and signum in FORWARDED_SIGNALS:
        with contextlib.suppress(OSError):
            os.killpg(pid, signum)


def _client_gone(state: _State, job: _Job) -> None:
    with contextlib.suppress(OSError):
        os.killpg(job.pid, signal.SIGTERM)
    job.kill_at = time.monotonic() + _KILL_GRACE


def _reap(state: _State, sel: selectors.BaseSelector) -> None:
    """Collect the children that ended and tell their clients how."""
    while state.jobs:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        job = state.jobs.pop(pid, None)
        if job is None:
            continue
        state.served += 1
        state.last_active = time.monotonic()
        end = ({"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status)
               else {"exit": os.waitstatus_to_exitcode(status)})
        state.done = [*state.done[-19:], {
            "command": job.command, **end, "wall": round(time.monotonic() - job.started, 3),
            "cpu": round(usage.ru_utime + usage.ru_stime, 3)}]
        with contextlib.suppress(KeyError, ValueError):
            sel.unregister(job.conn)
        with contextlib.suppress(OSError):
            send_message(job.conn, end)
        job.conn.close()


# --- the child ---------------------------------------------------------------------------------

def _child(request: dict[str, Any], fds: list[int]) -> int:
    """Become the client's process and run its command; the exit code."""
    os.setpgid(0, 0)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    _open_stdio(request["stdio"])
    try:
        os.chdir(request["cwd"])
    except OSError as exc:
        print(f"error: cannot enter the working folder {request['cwd']}: {exc.strerror}",
              file=sys.stderr)
        return 1
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    with contextlib.suppress(Exception):
        import locale

        locale.setlocale(locale.LC_CTYPE, "")
    os.umask(int(request["umask"]))
    sys.argv = list(request["argv"])
    sys.path[:] = list(request["path"])
    _fresh_process_state()
    return _run(sys.argv[1:])


def _open_stdio(spec: list[dict[str, Any]]) -> None:
    """``sys.stdin``/``stdout``/``stderr`` on 0/1/2, encoded and buffered as the client's."""
    import io

    streams = []
    for fd, s in enumerate(spec):
        mode = "rb" if fd == 0 else "wb"
        raw = open(fd, mode, buffering=0 if s["write_through"] and fd else -1, closefd=False)
        streams.append(io.TextIOWrapper(raw, encoding=s["encoding"], errors=s["errors"],  # type: ignore[arg-type]
                                        line_buffering=s["line_buffering"],
                                        write_through=s["write_through"]))
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams  # type: ignore[misc]


def _fresh_process_state() -> None:
    """What a new process would have: fresh random seeds, no exit handlers of the server."""
    import atexit
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    atexit._clear()  # the server's (a matplotlib temporary folder, say, is the server's)


def _run(args: list[str]) -> int:
    """:func:`tcm_coverage.cli.main.main` on ``args``, then what a Python process does at exit."""
    import traceback

    interrupted = False
    try:
        code = run_command(args)
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        interrupted, code = True, 130
    except BaseException:
        traceback.print_exc()
        code = 1
    end_like_exit()
    if interrupted:  # an uncaught Ctrl-C ends a Python process by SIGINT
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return code


def _exit_code(code: object) -> int:
    """The exit status of ``SystemExit(code)``, as the interpreter makes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _serve_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tcm_coverage.cli.server")
    parser.add_argument("--idle-minutes", type=float, default=DEFAULT_IDLE_MINUTES)
    parser.add_argument("--ready-fd", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        return serve(idle_minutes=args.idle_minutes, ready_fd=args.ready_fd)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return 1
        raise


if __name__ == "__main__":
    raise SystemExit(_serve_main(sys.argv[1:]))
