"""The documents of a run drawn by a second process, on the second CPU (``analyze``/``demo``).

:func:`document_drawer` forks a process at the start of a run. While the parent reads the
inputs and routes, it imports the renderers (matplotlib, folium, python-docx, openpyxl). When
the run is computed, :func:`~tcm_coverage.workflows.write.write_outputs` hands it the run
(pickled into a private temporary file whose name goes down a pipe, without the road network,
routing graphs and snapped isochrone cells, which no document draws from) and the build folder of the atomic output folder; it draws the
documents there (:func:`~tcm_coverage.workflows.pages.write_documents`: ``map.html``, ``report.html``,
``map.png``/``map.pdf``, ``report.docx``) while the parent writes the tables, layers,
scorecards and the store's tables (the child, importing nothing at this point, is still the
longer of the two); the parent waits for it before the store's index (which records the plate
and report a redraw may reuse) and the swap.

Two processes do what one would:

* an error in the child is raised again in the parent (the same exception, the child's
  traceback as its cause), inside the atomic output folder: nothing is swapped in, the earlier
  result is kept, and the command prints it once (``InputError``: exit 2; any other: exit 1);
* the child's log records and warnings go to the parent's logging and warnings (its handlers
  print them, once);
* the child ignores Ctrl-C: the parent's ``KeyboardInterrupt`` stops it; it dies with its
  parent (``PR_SET_PDEATHSIG`` on Linux, and the end of the job pipe it watches); a child that
  is killed makes the run fail (:class:`~tcm_coverage._errors.OutputError`, exit 1);
* the child shows no progress bar.

``analyze`` and ``demo`` fork it first thing, before this process imports pandas, geopandas
and the routing stack (this module imports only the standard library and the package's light
modules): the child imports the renderers and those libraries on the second CPU while this
process imports its own, instead of during the routing and tables.

The same contract holds for :func:`background_call`, a second process forked after the
routing that computes the isochrones while the parent computes the tables
(:func:`~tcm_coverage.workflows.pipeline.compute_from_inputs`; its value comes back pickled
over a pipe, before the outputs are written); a process forked later closes the pipe ends of
those forked before (:data:`_PIPE_ENDS`), so each child still sees its parent go.

Why this module is long: both second processes of a run keep one contract (below) with one
machinery (the fork, the pipes, the relay of logs, warnings and errors); split, its private
helpers would be imported across modules.

One process (everything drawn in turn, as before) with one CPU (``os.sched_getaffinity``),
where ``fork`` is not Linux's (macOS, Windows), in a batch worker (the counties fill the cores)
and with ``--jobs 1`` or ``TCM_COVERAGE_JOBS=1`` (:func:`resolve_jobs`).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pickle
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

from tcm_coverage._errors import InputError, OutputError
from tcm_coverage._io import inside_build

if TYPE_CHECKING:  # light on purpose: `analyze`/`demo` fork the drawer before pandas is imported
    from tcm_coverage.workflows.config import AnalysisConfig
    from tcm_coverage.workflows.run import AnalysisRun

logger = logging.getLogger(__name__)

__all__ = ["JOBS_ENV", "BackgroundCall", "DocumentDrawer", "background_call", "document_drawer", "resolve_jobs"]

T = TypeVar("T")

#: The environment variable giving ``--jobs`` (``1``: one process).
JOBS_ENV = "TCM_COVERAGE_JOBS"
_PR_SET_PDEATHSIG = 1
#: This process's ends of its children's pipes: a process forked later closes them (so that
#: a child still sees the end of its pipe when this process closes it or dies).
_PIPE_ENDS: list[IO[bytes]] = []


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def resolve_jobs(jobs: int | None) -> int:
    """The processes a run writes its outputs with: ``jobs`` (``--jobs``), else
    :data:`JOBS_ENV`, else 2 with two CPUs or more on Linux and 1 otherwise; always 1 where
    Linux's ``fork`` is missing (more than 2 is 2: one process draws the documents).

    Parameters
    ----------
    jobs
        ``--jobs``, or ``None``.

    Returns
    -------
    int
        1 or 2.

    Raises
    ------
    InputError
        ``jobs`` or :data:`JOBS_ENV` is not a whole number ≥ 1.
    """
    if jobs is None and os.environ.get(JOBS_ENV, "").strip():
        raw = os.environ[JOBS_ENV].strip()
        try:
            jobs = int(raw)
        except ValueError:
            jobs = 0
        if jobs < 1:
            raise InputError(f"{JOBS_ENV}={raw!r} is not a number of processes",
                             fix=f"set {JOBS_ENV}=1 (one process) or 2, or unset it")
    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs {jobs}: a run needs at least one process",
                         fix="give --jobs 1 (one process) or --jobs 2")
    if not (sys.platform.startswith("linux") and hasattr(os, "fork")):
        return 1
    if jobs is None:
        jobs = 2 if _cpus() >= 2 else 1
    return min(jobs, 2)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies (and die now if it already has)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # the pipe watch still stops it
        pass
    if os.getppid() != parent:
        os._exit(1)


def _warm() -> Callable[..., list[Path]]:
    """Import what the documents are drawn with (in the child, while the parent computes; the
    parent never imports them) and return what draws them."""
    import docx  # noqa: F401, PLC0415 - deferred on purpose: the child's, see the module docstring
    import folium  # noqa: F401, PLC0415
    import openpyxl  # noqa: F401, PLC0415

    from tcm_coverage.outputs import find_cjk_font  # noqa: PLC0415
    from tcm_coverage.workflows.pages import (  # noqa: PLC0415
        shared_parts,
        write_print_documents,
        write_web_documents,
    )

    find_cjk_font()  # matplotlib's font list, read once

    def draw(run: AnalysisRun, config: AnalysisConfig, folder: Path) -> list[Path]:
        # the web map and reports by one more process (sharing the run copy-on-write) while
        # this one draws the plates and the Word report: the two halves take about as long
        parts = shared_parts(run, config)  # prepared once for report.html and report.docx
        with background_call(partial(write_web_documents, run, config, folder, parts=parts), jobs=2,
                             what="the web map and reports") as web:
            printed = write_print_documents(run, config, folder, parts=parts)
            return web.result() + printed  # the order of one process

    return draw


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _plain_record(record: logging.LogRecord) -> logging.LogRecord:
    """A log record that pickles: its message formatted, its exception as text."""
    record = logging.makeLogRecord(record.__dict__)
    record.msg, record.args = record.getMessage(), None
    if record.exc_info:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
    return record


class _Outbox:
    """The child's messages to the parent, one at a time (a log record may come from any thread).
    None is held back for the job to arrive first: the parent hands the job over as a file's
    name, which never fills the pipe, so it never waits on a child blocked sending."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def send(self, message: tuple[Any, ...]) -> None:
        with self.lock:
            pickle.dump(message, self.stream, protocol=pickle.HIGHEST_PROTOCOL)
            self.stream.flush()


def _forward_logs_and_warnings(outbox: _Outbox) -> None:
    """Send every log record and shown warning of this process to the parent instead."""
    def call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
        outbox.send(("log", _plain_record(record)))

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        outbox.send(("warn", str(message), category, filename, lineno))

    logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]
    warnings.showwarning = show


def _error_message(exc: BaseException) -> tuple[Any, ...]:
    """``("error", exception, traceback)``; the exception as a ``RuntimeError`` of its text
    when it does not pickle."""
    tb = "".join(traceback.format_exception(exc))
    try:
        pickle.loads(pickle.dumps(exc))
        return ("error", exc, tb)
    except Exception:  # noqa: BLE001 - any exception of the child must reach the parent
        return ("error", RuntimeError(f"{type(exc).__name__}: {exc}"), tb)


def _watch_parent(jobs: IO[bytes]) -> None:
    """End this process when the parent closes the job pipe (it stopped or died)."""
    def watch() -> None:
        with contextlib.suppress(OSError):
            jobs.read()
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="tcm-coverage-parent-watch").start()


def _child(jobs_fd: int, messages_fd: int, parent: int) -> int:
    """The drawing process: warm up, take one job, draw it, report; returns the exit code."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group: the parent decides
    _die_with_parent(parent)
    jobs, messages = os.fdopen(jobs_fd, "rb"), os.fdopen(messages_fd, "wb")
    _PIPE_ENDS.extend((jobs, messages))  # not held open by the process drawing the web half
    outbox = _Outbox(messages)
    _forward_logs_and_warnings(outbox)
    try:
        warm = _cpu()
        draw = _warm()
        warm = _cpu() - warm
        try:
            job_file = Path(pickle.load(jobs))
        except EOFError:  # the parent stopped before handing a job (e.g. an input error)
            return 0
        try:
            job = job_file.read_bytes()
        finally:
            with contextlib.suppress(OSError):
                job_file.unlink()
        run, config, folder = pickle.loads(job)
        del job
        _watch_parent(jobs)
        drawing = _cpu()
        with inside_build(folder):
            files = draw(run, config, folder)
        outbox.send(("done", files, warm, _cpu() - drawing))
        return 0
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the parent
        with contextlib.suppress(Exception):
            outbox.send(_error_message(exc))
        return 1
    finally:
        with contextlib.suppress(Exception):
            messages.flush()


def _fork() -> int:
    """``os.fork()``, nothing buffered written twice; the child closes the pipe ends of this
    process's other children (:data:`_PIPE_ENDS`)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        # each fd pointed at /dev/null (not closed: a number reused would be closed with the
        # stream object); the parent's buffers are not flushed here
        null = os.open(os.devnull, os.O_RDWR)
        for stream in _PIPE_ENDS:
            if not stream.closed:
                with contextlib.suppress(OSError, ValueError):
                    os.dup2(null, stream.fileno())
        os.close(null)
        _PIPE_ENDS.clear()
    return pid


def _relayed(message: tuple[Any, ...]) -> bool:
    """Pass a child's log record or warning on to this process's logging or warnings (and
    say so; ``False``: another message)."""
    kind = message[0]
    if kind == "log":
        record = message[1]
        logging.getLogger(record.name).handle(record)
        return True
    if kind == "warn":
        _, text, category, filename, lineno = message
        warnings.warn_explicit(text, category, filename, lineno)
        return True
    return False


def _drawn_from(run: AnalysisRun) -> AnalysisRun:
    """What the documents are drawn from: the run without roads, routing graphs and snapped
    isochrone cells, which no document draws from; the maps' demand points are the run's own
    (the same points and times, with the area codes: pickled once, not twice) and of the
    residents 65+ only their numbers (the 说明 row's sum). In the demo 46 -> 25 MB pickled."""
    access = replace(run.access, routing={}, cells={},
                     demand=run.access.demand if run.demand is None else run.demand)
    elderly = None if run.elderly is None else run.elderly[["population"]]
    return replace(run, network=None, access=access, elderly=elderly)


class _Child:
    """What :class:`DocumentDrawer` and :class:`BackgroundCall` share: a forked child ``pid``,
    reaped once, killed when stopped early, its pipe ends closed."""

    pid: int
    _status: int | None
    _messages: IO[bytes]

    def _start(self, body: Callable[[int, int, int], int]) -> IO[bytes]:
        """Fork the child, which runs ``body(to_child_fd, messages_fd, parent_pid)`` and exits
        with its code; keep its messages' pipe and return this end of the pipe to it."""
        to_child_r, to_child_w = os.pipe()
        messages_r, messages_w = os.pipe()
        parent = os.getpid()
        pid = _fork()
        if pid == 0:  # pragma: no cover - the child (its coverage is not collected)
            code = 1
            try:
                os.close(to_child_w)
                os.close(messages_r)
                code = body(to_child_r, messages_w, parent)
            finally:
                os._exit(code)
        os.close(to_child_r)
        os.close(messages_w)
        self.pid, self._status = pid, None
        to_child = os.fdopen(to_child_w, "wb")
        self._messages = os.fdopen(messages_r, "rb")
        _PIPE_ENDS.extend((to_child, self._messages))
        return to_child

    def _replies(self) -> Iterator[tuple[Any, ...]]:
        """The child's messages but its log records and warnings (passed on here), until its
        pipe ends."""
        while True:
            try:
                message = pickle.load(self._messages)
            except (EOFError, OSError, pickle.UnpicklingError):
                return
            if not _relayed(message):
                yield message

    def _reap(self) -> int:
        if self._status is None:
            _, self._status = os.waitpid(self.pid, 0)
        return self._status

    def _kill(self) -> None:
        if self._status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()

    @staticmethod
    def _close(*streams: IO[bytes]) -> None:
        for stream in streams:
            if stream in _PIPE_ENDS:
                _PIPE_ENDS.remove(stream)
            with contextlib.suppress(OSError):
                stream.close()


class DocumentDrawer(_Child):
    """A forked process that draws a run's documents (see the module docstring).

    Made by :func:`document_drawer`; :meth:`draw` hands it the run, :meth:`result` waits for
    its files.
    """

    def __init__(self) -> None:
        self._jobs: IO[bytes] = self._start(_child)
        self._job_file: Path | None = None
        self._send_error: BaseException | None = None
        self._status: int | None = None

    def draw(self, run: AnalysisRun, config: AnalysisConfig, folder: Path) -> None:
        """Hand the child the run to draw into ``folder``: pickled into a private temporary file
        (mode 0600, removed by the child once read, or by :meth:`stop`) whose name goes down the
        job pipe. Through the pipe itself a thread sent the demo's ~45 MB in 64 KB writes, waiting
        for the interpreter lock after each while this process wrote the tables: the child got
        it about a second late.

        Parameters
        ----------
        run, config
            The computed run and its configuration.
        folder
            The build folder of the run's atomic output folder.

        Raises
        ------
        OutputError
            The temporary file cannot be written (e.g. the temporary folder is full).
        """
        job = pickle.dumps((_drawn_from(run), config, Path(folder)), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            fd, name = tempfile.mkstemp(prefix="tcm-coverage-job-", suffix=".pickle")
            self._job_file = Path(name)
            with os.fdopen(fd, "wb") as stream:
                stream.write(job)
        except OSError as exc:
            raise OutputError(f"could not hand the documents to the drawing process: writing "
                              f"{self._job_file or tempfile.gettempdir()} failed ({exc}). Free space "
                              "there, set TMPDIR to another folder, or run with --jobs 1.") from exc
        try:
            pickle.dump(str(self._job_file), self._jobs, protocol=pickle.HIGHEST_PROTOCOL)
            self._jobs.flush()
        except OSError as exc:  # the child is gone (EPIPE): raised again by result()
            self._send_error = exc
            with contextlib.suppress(OSError):
                self._jobs.close()

    def result(self) -> list[Path]:
        """Wait for the child's files, passing its log records and warnings on.

        Returns
        -------
        list of pathlib.Path
            The files it wrote, in the order one process writes them.

        Raises
        ------
        BaseException
            The child's error, as it was raised there.
        OutputError
            The child ended without a result (killed).
        """
        waiting = time.perf_counter()
        for message in self._replies():
            kind = message[0]
            if kind == "done":
                self._reap()
                logger.debug("documents drawn by process %d: renderers imported in %.2f s CPU (beside this "
                             "process's imports and routing), drawn in %.2f s CPU; the tables were written meanwhile, then "
                             "%.2f s waited", self.pid, message[2], message[3],
                             time.perf_counter() - waiting)
                return list(message[1])
            elif kind == "error":
                self._reap()
                if self._send_error is not None:  # it could not read a job that was not sent
                    raise self._send_error
                raise message[1] from _ChildTraceback(message[2], "the process drawing the documents")
        if self._send_error is not None:
            self.stop()
            raise self._send_error
        status = self._reap()
        raise OutputError(f"the process drawing the maps, plates and reports (pid {self.pid}) "
                          f"ended before it finished ({_how_it_ended(status)}); nothing was "
                          "replaced. Run again, or with --jobs 1 to draw them in one process.")

    def stop(self) -> None:
        """Stop the child if it still runs and close the pipes (always: also after an error)."""
        self._kill()
        if self._job_file is not None:  # a child stopped before it read the job
            with contextlib.suppress(OSError):
                self._job_file.unlink()
        self._close(self._jobs, self._messages)


def _call_child(fn: Callable[[], Any], stop_fd: int, messages_fd: int, parent: int) -> int:
    """The process of a :class:`BackgroundCall`: compute ``fn()``, report; the exit code."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group: the parent decides
    _die_with_parent(parent)
    stop, messages = os.fdopen(stop_fd, "rb"), os.fdopen(messages_fd, "wb")
    outbox = _Outbox(messages)
    _forward_logs_and_warnings(outbox)
    _watch_parent(stop)
    try:
        cpu = _cpu()
        value = fn()
        outbox.send(("done", value, _cpu() - cpu))
        return 0
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the parent
        with contextlib.suppress(Exception):
            outbox.send(_error_message(exc))
        return 1
    finally:
        with contextlib.suppress(Exception):
            messages.flush()


class BackgroundCall(_Child, Generic[T]):
    """``fn()`` computed by a forked copy of this process, which shares its memory (e.g. the
    routing graphs) copy-on-write; :meth:`result` waits for the value (pickled over a pipe).

    The drawer's contract (module docstring): the child's error is raised again by
    :meth:`result` (the same exception, the child's traceback as its cause), its log records
    and warnings go to this process's logging and warnings, it ignores Ctrl-C, dies with this
    process and is stopped by :meth:`stop`; it shows no progress bar. Made by
    :func:`background_call`.

    Parameters
    ----------
    fn
        What to compute; its value must pickle.
    what
        What the process computes, for messages ("the isochrones").
    """

    def __init__(self, fn: Callable[[], T], *, what: str) -> None:
        self.what = what
        self._stop: IO[bytes] = self._start(partial(_call_child, fn))

    def result(self) -> T:
        """Wait for the value, passing the child's log records and warnings on.

        Returns
        -------
        object
            ``fn()``.

        Raises
        ------
        BaseException
            The child's error, as it was raised there.
        OutputError
            The child ended without a value (killed).
        """
        waiting = time.perf_counter()
        for message in self._replies():
            self._reap()
            if message[0] == "done":
                logger.debug("%s computed by process %d in %.2f s CPU; %.2f s waited", self.what, self.pid,
                             message[2], time.perf_counter() - waiting)
                return message[1]  # type: ignore[no-any-return]
            raise message[1] from _ChildTraceback(message[2], f"the process computing {self.what}")
        status = self._reap()
        raise OutputError(f"the process computing {self.what} (pid {self.pid}) ended before it finished "
                          f"({_how_it_ended(status)}); nothing was replaced. Run again, or with --jobs 1 "
                          "to compute everything in one process.")

    def stop(self) -> None:
        """Stop the child if it still runs and close the pipes (always: also after an error)."""
        self._kill()
        self._close(self._stop, self._messages)


class _InProcess(Generic[T]):
    """:class:`BackgroundCall`'s face for one process: ``fn()`` computed at once, here."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self.value = fn()

    def result(self) -> T:
        return self.value


@contextlib.contextmanager
def background_call(fn: Callable[[], T], *, jobs: int = 1,
                    what: str = "the isochrones") -> Iterator[BackgroundCall[T] | _InProcess[T]]:
    """``fn()`` computed by a second process while the ``with`` block goes on (``jobs`` 2),
    or at once in this one (``jobs`` 1, :func:`resolve_jobs`); ``.result()`` gives its value.
    The process is stopped when the block ends, however it ends.

    Parameters
    ----------
    fn
        What to compute (its value must pickle).
    jobs
        From :func:`resolve_jobs`.
    what
        What it computes, for messages.

    Yields
    ------
    BackgroundCall or an object with the same ``result()``
    """
    if jobs < 2:
        yield _InProcess(fn)
        return
    call = BackgroundCall(fn, what=what)
    try:
        yield call
    finally:
        call.stop()


class _ChildTraceback(Exception):
    """The traceback of an error raised in a child process (shown as the cause); ``args``:
    the traceback and which process it was."""

    def __str__(self) -> str:
        where = self.args[1] if len(self.args) > 1 else "the child process"
        return f"in {where}:\n" + str(self.args[0] if self.args else "")


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(sig).name}"
        return f"killed by signal {sig}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


@contextlib.contextmanager
def document_drawer(*, jobs: int = 1) -> Iterator[DocumentDrawer | None]:
    """A process drawing the documents of the run in the ``with`` block, or ``None`` (one
    process) when ``jobs`` is 1; stopped when the block ends, however it ends.

    Parameters
    ----------
    jobs
        From :func:`resolve_jobs`.

    Yields
    ------
    DocumentDrawer or None
    """
    if jobs < 2:
        yield None
        return
    drawer = DocumentDrawer()
    try:
        yield drawer
    finally:
        drawer.stop()
