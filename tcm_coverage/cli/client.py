"""The ``tcm-coverage`` entry point: hand the command to a warm server when one runs, else run it
here (:mod:`tcm_coverage.cli.server` is the server).

A ``tcm-coverage`` process spends seconds importing pandas, geopandas, scipy, matplotlib, folium...
before it does anything. ``tcm-coverage server start`` keeps one process with all of that imported;
this module, which imports only the standard library (and the package's stdlib-only ``__init__``),
looks for that server and, when its *code key* (:func:`code_key`: the package version, a
fingerprint of the package's ``.py`` files, the interpreter, its import path and the few
environment variables read at import time) is this process's own, sends it the arguments, the
working folder, the environment, the umask and the three stdio file descriptors
(:func:`socket.send_fds`). The server forks a child that runs exactly what
:func:`tcm_coverage.cli.main.main` runs on those descriptors, so the output, the progress bars,
the files and the exit code are those of a run in this process.

While the child runs this process waits: Ctrl-C (SIGINT), SIGTERM and SIGHUP are passed on to the
child (which stops as a run in this process does, leaving the earlier result), and its end is
this process's end (the same exit code, or the same signal). If this process is killed (even
with SIGKILL) the server sees the connection close and ends the child. A child that crashes makes
this process exit 1 with a message.

No server, a stale socket, another code key, a server of another user or group, or
``TCM_COVERAGE_SERVER=0`` in the environment: the command runs in this process as it always did.
Windows (no ``fork``, no descriptor passing) always runs in-process.

The socket is ``server-<digest>.sock`` (one per code key, so two checkouts each keep their own) in
a ``0700`` folder: ``$TCM_COVERAGE_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/tcm-coverage``, else
``/tmp/tcm-coverage-<uid>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import stat
import struct
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tcm_coverage import __version__

__all__ = [
    "FORWARDED_SIGNALS",
    "RUNTIME_DIR_ENV",
    "SERVER_ENV",
    "code_key",
    "key_digest",
    "main",
    "private_folder",
    "read_message",
    "runtime_dir",
    "send_message",
    "server_address",
    "server_supported",
    "stdio_spec",
]

#: ``TCM_COVERAGE_SERVER=0`` (or ``off``, ``no``, ``false``): never use a server.
SERVER_ENV = "TCM_COVERAGE_SERVER"
#: The folder of the server sockets (default: ``$XDG_RUNTIME_DIR/tcm-coverage`` or
#: ``/tmp/tcm-coverage-<uid>``).
RUNTIME_DIR_ENV = "TCM_COVERAGE_RUNTIME_DIR"
#: The signals passed on to the child running the command (a run in-process gets them from the
#: terminal or the sender; Ctrl-Z is not passed on: the child keeps running while this waits).
FORWARDED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                          if hasattr(signal, name))
#: Environment variables read when the libraries are imported (a server imported them with its
#: own values): part of the code key.
_IMPORT_TIME_ENV = ("PYTHONHASHSEED", "MPLBACKEND", "MPLCONFIGDIR", "PROJ_DATA", "PROJ_LIB",
                    "GDAL_DATA", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "PYTHONWARNINGS")
_PACKAGE = Path(__file__).resolve().parents[1]
#: Longest path a Unix socket can have (``sun_path`` is 108 bytes on Linux, 104 on macOS).
_MAX_SOCKET_PATH = 100
_HEADER = struct.Struct("!I")


def server_supported() -> bool:
    """Whether this platform can run commands through a server (``fork`` and descriptor
    passing over Unix sockets: Linux and macOS, not Windows)."""
    return hasattr(os, "fork") and hasattr(socket, "send_fds") and hasattr(socket, "AF_UNIX")


def code_key() -> dict[str, Any]:
    """What a server must share with this process to run its commands as this process would:
    the package version and folder, the size and modification time of every ``.py`` file of
    the package, the interpreter (path, version, ``-O``), the import path (without its first
    entry, the script's or working folder), the modification times of its ``site-packages``
    folders (a ``pip install`` changes them) and the environment variables read at import time.
    A few milliseconds: one ``stat`` per file."""
    files = []
    for folder, dirs, names in os.walk(_PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                files.append(f"{os.path.relpath(os.path.join(folder, name), _PACKAGE)}:"
                             f"{st.st_size}:{st.st_mtime_ns}")
    site = []
    for entry in sys.path[1:]:
        if entry.rstrip("/").endswith(("site-packages", "dist-packages")):
            with contextlib.suppress(OSError):
                site.append(f"{entry}:{os.stat(entry).st_mtime_ns}")
    return {
        "version": __version__,
        "package": str(_PACKAGE),
        "files": hashlib.sha256("\n".join(files).encode()).hexdigest(),
        "python": [sys.executable, sys.version, sys.flags.optimize],
        "path": sys.path[1:],
        "site": site,
        "env": {k: os.environ[k] for k in _IMPORT_TIME_ENV if k in os.environ},
    }


def key_digest(key: dict[str, Any]) -> str:
    """A short name of a code key (16 hex digits: the socket's file name)."""
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def runtime_dir() -> Path:
    """The folder of the server sockets (see the module docstring)."""
    if os.environ.get(RUNTIME_DIR_ENV):
        return Path(os.environ[RUNTIME_DIR_ENV])
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isdir(xdg):
        return Path(xdg) / "tcm-coverage"
    return Path("/tmp") / f"tcm-coverage-{os.getuid()}"


def server_address(key: dict[str, Any] | None = None, folder: Path | None = None) -> Path:
    """The socket of the server of ``key`` (default: this process's code) in ``folder``."""
    return (folder or runtime_dir()) / f"server-{key_digest(key or code_key())}.sock"


def private_folder(folder: Path) -> bool:
    """Whether ``folder`` is a folder of this user that nobody else may enter (``0700``)."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def stdio_spec() -> list[dict[str, Any]]:
    """How this process's ``sys.stdin``/``stdout``/``stderr`` encode and buffer, for the child
    to open its streams the same way (they depend on the locale, ``PYTHONIOENCODING``,
    ``PYTHONUNBUFFERED`` and whether each is a terminal)."""
    spec = []
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        spec.append({
            "encoding": getattr(stream, "encoding", None) or "utf-8",
            "errors": getattr(stream, "errors", None) or "strict",
            "line_buffering": bool(getattr(stream, "line_buffering", False)),
            "write_through": bool(getattr(stream, "write_through", False)),
        })
    return spec


def send_message(sock: socket.socket, message: dict[str, Any], fds: Sequence[int] = ()) -> None:
    """Send ``message`` (JSON, length first) with the file descriptors ``fds``."""
    body = json.dumps(message).encode()
    data = _HEADER.pack(len(body)) + body
    if fds:
        sent = socket.send_fds(sock, [data[:_HEADER.size]], list(fds))
        sock.sendall(data[sent:])
    else:
        sock.sendall(data)


def read_message(sock: socket.socket, *, max_fds: int = 0) -> tuple[dict[str, Any] | None, list[int]]:
    """Read one message of :func:`send_message` (and up to ``max_fds`` descriptors); ``None``
    when the other end closed the connection first."""
    fds: list[int] = []
    if max_fds:
        head, fds, _flags, _addr = socket.recv_fds(sock, _HEADER.size, max_fds)
    else:
        head = sock.recv(_HEADER.size)
    head = _read_rest(sock, head, _HEADER.size)
    if len(head) < _HEADER.size:
        return None, fds
    size = _HEADER.unpack(head)[0]
    body = _read_rest(sock, b"", size)
    if len(body) < size:
        return None, fds
    return json.loads(body), fds


def _read_rest(sock: socket.socket, data: bytes, size: int) -> bytes:
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


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
    if len(os.fsencode(path)) > _MAX_SOCKET_PATH:
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

    previous = {s: signal.signal(s, pass_on) for s in FORWARDED_SIGNALS}
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
