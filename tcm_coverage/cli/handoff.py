"""What the ``tcm-coverage`` client (:mod:`tcm_coverage.cli.client`) and the warm server
(:mod:`tcm_coverage.cli.server`, managed by :mod:`tcm_coverage.cli.server_command`) share: the
code key, where the sockets are, and the messages (standard library only).

The *code key* (:func:`code_key`) is what a server must share with a client to run its commands
as the client would in-process: the package version, a fingerprint of the package's ``.py``
files (size and modification time of each), the interpreter, the import path, the
``site-packages`` folders' modification times and the environment variables read at import
time. The socket of the server of a key is ``server-<digest>.sock`` (one per key, so two
checkouts each keep their own) in a ``0700`` folder: ``$TCM_COVERAGE_RUNTIME_DIR``, else
``$XDG_RUNTIME_DIR/tcm-coverage``, else ``/tmp/tcm-coverage-<uid>``. A message is a 4-byte length
and JSON; the client's first one carries its three stdio descriptors (:func:`socket.send_fds`).
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

from tcm_coverage._version import __version__

__all__ = [
    "DEFAULT_IDLE_MINUTES",
    "FORWARDED_SIGNALS",
    "MAX_SOCKET_PATH",
    "RUNTIME_DIR_ENV",
    "SERVER_ENV",
    "code_key",
    "end_like_exit",
    "key_digest",
    "private_folder",
    "read_message",
    "runtime_dir",
    "send_message",
    "server_address",
    "server_supported",
    "socket_files",
    "stdio_spec",
]

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
MAX_SOCKET_PATH = 100
_HEADER = struct.Struct("!I")
#: Minutes without a command after which a server exits (``server start --idle-minutes``).
DEFAULT_IDLE_MINUTES = 60.0


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
    return socket_files(folder or runtime_dir(), key_digest(key or code_key()))["sock"]


def private_folder(folder: Path) -> bool:
    """Whether ``folder`` is a folder of this user that nobody else may enter (``0700``)."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def socket_files(folder: Path, digest: str) -> dict[str, Path]:
    """The files of the server of ``digest`` in ``folder``: ``sock`` (its socket), ``json``
    (pid, key, start time), ``lock`` (held while it lives) and ``log`` (its own errors)."""
    stem = folder / f"server-{digest}"
    return {k: stem.with_suffix(f".{k}") for k in ("sock", "json", "lock", "log")}


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


def end_like_exit() -> None:
    """What a Python process does at its exit before the interpreter's teardown: stdout and
    stderr flushed, the threads that are not daemons joined, the atexit handlers run (logging
    flushed, temporary folders removed), stdout and stderr flushed again. A caller then ends with
    ``os._exit``: a served command's child (whose interpreter is the server's), and a command run
    in the client's own process (:func:`tcm_coverage.cli.client.run`), where the teardown, freeing
    the objects of pandas, shapely and matplotlib one by one, took ~0.35 s of a demo."""
    import atexit  # noqa: PLC0415 - deferred: only at the end
    import threading  # noqa: PLC0415

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    threading._shutdown()  # type: ignore[attr-defined]  # as at interpreter exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
