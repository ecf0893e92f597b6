"""Safe output folders: a finished run replaces the whole folder at once; a killed run leaves
the earlier result (or, after the swap, the new one) and nothing another run trips over.

Why this module is long: it is one protocol (check the folder, build beside it, mark, flush,
swap, recover after a kill) whose steps share one lock and one set of naming rules; split
across modules, its private steps would become an API others could call out of order.

The rule
--------
A *result folder* holds the files of one run and nothing else. A run builds its files in a
hidden folder beside the target, ``.<name>.tmp-<token>``, and only when every file is written
(and flushed to disk) swaps that folder with the target:

1. build ``.<name>.tmp-T`` (the builder holds an exclusive ``flock`` on it while it lives);
2. write :data:`MARKER` (``.tcm-coverage.json``) into it: the tool, the kind of run and every
   file with its SHA-256, which is what "complete" means;
3. under an exclusive ``flock`` on the parent folder (so two runs never swap at once), swap:

   * **Linux** (``renameat2(RENAME_EXCHANGE)``, ext4/xfs/btrfs/tmpfs): ``<name>`` and
     ``.<name>.tmp-T`` are exchanged in one system call, then the old result (now at the
     temporary name) is renamed to ``.<name>.del-T`` and deleted. ``<name>`` always names a
     complete result: the earlier one before the exchange, the new one after it.
   * **elsewhere** (macOS, Windows, NFS, FAT): ``<name>`` is renamed to ``.<name>.old-T``, the
     new folder to ``<name>``, the old one to ``.<name>.del-T``, which is then deleted.

Crash windows (SIGKILL, power loss after the flushes)
-----------------------------------------------------
* during the build or before the swap: ``<name>`` is the earlier result, untouched; the dead
  ``.tmp-`` folder is litter.
* Linux, after the exchange: ``<name>`` is the new result; the old one is litter under the
  ``.tmp-`` or ``.del-`` name.
* fallback, between its two renames: ``<name>`` is **missing** and the earlier result sits at
  ``.<name>.old-T``. :func:`recover_output_dir` renames it back; every later run into the same
  folder, and ``map``/``report``/``score`` on it, call it first.
* fallback, after the second rename: ``<name>`` is the new result; ``.old-``/``.del-`` litter.

Litter is removed by the next run into the same folder (:func:`recover_output_dir`): a
``.tmp-`` folder is removed only when no live process holds its lock, ``.del-`` folders
always, ``.old-`` folders restored when ``<name>`` is missing and removed otherwise. Litter is
never a result: its names start with a dot, it carries no verified marker, and
:func:`tcm_coverage.workflows.pipeline.load_config` refuses such folders.

Which folders may be replaced
-----------------------------
:func:`check_output_dir`: a missing or empty folder, or an earlier tcm-coverage result
(:data:`MARKER`, or the ``run.json``/``batch.json``/``result.json`` of a version that wrote no
marker). A folder holding other files is refused (a result folder is not a place for the
user's own files), as is a folder holding an input of the run, the current working folder (the
swap would leave the shell in a deleted folder) and a folder inside another result (the next
run there would delete it), except a kept sub-folder such as a batch run's ``counties/``.

Test hooks
----------
For the kill test only (``tests/test_outputs.py``): with ``TCM_COVERAGE_TEST_PAUSE`` set to
``before-swap``, ``mid-swap`` (fallback only) or ``after-swap``, the process writes that word
to the file named by ``TCM_COVERAGE_TEST_PAUSE_FILE`` and sleeps up to
``TCM_COVERAGE_TEST_PAUSE_SECONDS`` (default 30) at that point, so a test can SIGKILL it
there; ``TCM_COVERAGE_TEST_NO_EXCHANGE=1`` forces the two-rename fallback.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import secrets
import shutil
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Literal

from tcm_coverage._errors import InputError, OutputError
from tcm_coverage._version import __version__

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locks, litter older than a day is removed
    fcntl = None  # type: ignore[assignment]

__all__ = ["MARKER", "ResultMarker", "add_files", "atomic_output_dir", "changed_inputs", "check_output_dir",
           "file_sha256", "inside_build", "is_litter", "litter_of", "output_file", "recover_output_dir", "result_kind"]

#: Written last into every result folder: tool, kind, files with SHA-256 ("complete").
MARKER = ".tcm-coverage.json"
_TAGS = (".tmp-", ".old-", ".del-")
PAUSE_ENV = "TCM_COVERAGE_TEST_PAUSE"
PAUSE_FILE_ENV = "TCM_COVERAGE_TEST_PAUSE_FILE"
PAUSE_SECONDS_ENV = "TCM_COVERAGE_TEST_PAUSE_SECONDS"
NO_EXCHANGE_ENV = "TCM_COVERAGE_TEST_NO_EXCHANGE"
_LEGACY_MANIFESTS = ("run.json", "batch.json")
_BATCH_NAMES = {"counties", "batch.json", "province_summary.csv", "province_summary.xlsx",
                "province_map.html"}
_STALE_SECONDS = 86400.0  # without flock (Windows) a .tmp- folder older than this is dead

# Build folders of this process: a writer asked for a folder inside one writes straight into
# it (the enclosing build is swapped as a whole), e.g. the scorecard inside a run's outputs.
_ACTIVE: set[Path] = set()
_ACTIVE_LOCK = threading.Lock()

Keep = Sequence[str] | Literal["all"]


def _tool() -> str:
    return f"tcm-coverage {__version__}"


@dataclass(frozen=True)
class ResultMarker:
    """The contents of :data:`MARKER`: what makes a folder a complete tcm-coverage result.

    Attributes
    ----------
    tool
        ``"tcm-coverage <version>"``.
    kind
        What wrote it: ``"analyze"``, ``"report"``, ``"score"``, ``"map"``, ``"scenarios"``,
        ``"batch"``, ``"files"``.
    written
        Local time of the swap (ISO 8601).
    files
        Relative path (``/``-separated) -> SHA-256 of every file of the result, except the
        marker itself and kept sub-folders.
    kept
        Sub-folders carried over from the earlier result as they were (a batch run's
        ``counties/``, each county a result of its own); not listed in ``files``.
    history
        ``[kind, written]`` of earlier writers when a result was updated in place
        (``report``/``score``/``map`` into the run folder).
    """

    tool: str
    kind: str
    written: str
    files: Mapping[str, str]
    kept: tuple[str, ...] = ()
    history: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @classmethod
    def read(cls, folder: str | PathLike[str]) -> ResultMarker | None:
        """The marker of ``folder``, or ``None`` when it has none or it cannot be read."""
        try:
            raw = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
            if not (isinstance(raw, dict) and str(raw.get("tool", "")).startswith("tcm-coverage")
                    and isinstance(raw.get("files"), dict)):
                return None
            return cls(tool=str(raw["tool"]), kind=str(raw.get("kind", "")),
                       written=str(raw.get("written", "")),
                       files={str(k): str(v) for k, v in raw["files"].items()},
                       kept=tuple(str(k) for k in raw.get("kept", ())),
                       history=tuple((str(a), str(b)) for a, b in raw.get("history", ())))
        except (OSError, ValueError, TypeError, AttributeError):
            return None

    def problems(self, folder: str | PathLike[str]) -> list[str]:
        """What makes ``folder`` differ from this marker (missing, changed or extra files).

        Parameters
        ----------
        folder
            The result folder.

        Returns
        -------
        list of str
            Empty when every listed file is there with its SHA-256 and no other file is
            (outside :attr:`kept` sub-folders).
        """
        root = Path(folder)
        out = []
        for rel, sha in sorted(self.files.items()):
            path = root / rel
            if not path.is_file():
                out.append(f"missing {rel}")
            elif file_sha256(path) != sha:
                out.append(f"changed {rel}")
        listed = set(self.files)
        for name in _files(root, skip=self.kept):
            if name not in listed:
                out.append(f"extra {name}")
        return out


def _files(root: Path, *, skip: Iterable[str] = ()) -> list[str]:
    """Relative paths of the files under ``root`` (not the marker, not ``skip`` sub-folders)."""
    skip = set(skip)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir == Path("."):
            dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            rel = (rel_dir / name).as_posix()
            if rel != MARKER:
                found.append(rel)
    return sorted(found)


def litter_of(name: str) -> str | None:
    """The result folder a temporary of :func:`atomic_output_dir` belongs to
    (``.demo.tmp-…`` -> ``demo``; also ``.old-…`` and ``.del-…``), or ``None`` for any other
    name. Such folders are never results."""
    if not name.startswith("."):
        return None
    hits = [name.find(tag) for tag in _TAGS if name.find(tag) > 1]
    return name[1:min(hits)] if hits else None


def is_litter(name: str) -> bool:
    """Whether a file or folder name is a temporary of :func:`atomic_output_dir`."""
    return litter_of(name) is not None


def _legacy_kind(folder: Path) -> str | None:
    """The kind of an output folder of a version that wrote no :data:`MARKER`."""
    try:
        return _legacy_kind_of(folder)
    except OSError:  # e.g. an ancestor we may not list
        return None


def _legacy_kind_of(folder: Path) -> str | None:
    for name in _LEGACY_MANIFESTS:
        try:
            raw = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(raw, dict) and str(raw.get("tool", "")).startswith("tcm-coverage"):
            return "batch" if name == "batch.json" else "analyze"
    names = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    if "counties" in names and names <= _BATCH_NAMES:  # a batch run killed before batch.json
        return "batch"
    if (folder / "result.json").is_file() and (folder / "scenario.toml").is_file():
        return "scenario"
    if (folder / "comparison.csv").is_file():
        subdirs = [p for p in folder.iterdir() if p.is_dir()]
        if all(_legacy_kind_of(p) == "scenario" for p in subdirs):
            return "scenarios"
    return None


def result_kind(folder: str | PathLike[str]) -> str | None:
    """What kind of tcm-coverage result ``folder`` is (its marker's kind, or the kind an older
    version's manifest shows), or ``None`` when it is none (missing, empty, other files).

    Parameters
    ----------
    folder
        A folder.

    Returns
    -------
    str or None
    """
    path = Path(folder)
    if not path.is_dir():
        return None
    marker = ResultMarker.read(path)
    if marker is not None:
        return marker.kind or "result"
    return _legacy_kind(path)


def _kept_of(folder: Path) -> tuple[str, ...]:
    marker = ResultMarker.read(folder)
    if marker is not None:
        return marker.kept
    return ("counties",) if _legacy_kind(folder) == "batch" else ()


def _active_root(path: Path) -> Path | None:
    with _ACTIVE_LOCK:
        for root in _ACTIVE:
            if path == root or root in path.parents:
                return root
    return None


def probe_writable(folder: Path) -> str | None:
    """``None`` when a folder can be created (and removed) in ``folder``, else the reason."""
    try:
        probe = tempfile.mkdtemp(prefix=".tcm-write-test-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    with contextlib.suppress(OSError):
        os.rmdir(probe)
    return None


def existing_ancestor(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_output_dir(
    out_dir: str | PathLike[str],
    *,
    inputs: Mapping[str, str | PathLike[str] | None] | None = None,
    keep: Keep = (),
    option: str = "--out",
) -> Path:
    """Refuse an output folder a run must not replace; return it resolved.

    Refused (:class:`InputError`, nothing written): an existing file; a folder holding any of
    ``inputs`` (it would be deleted with the earlier result); the current working folder or
    one above it; a folder inside an earlier result (other than its kept sub-folders); a
    non-empty folder that is not an earlier tcm-coverage result (see :func:`result_kind`),
    unless all it holds is ``keep``; a folder whose parent cannot be written (the new result
    is built beside it).

    Parameters
    ----------
    out_dir
        The output folder.
    inputs
        Label -> input file of the run.
    keep
        Entries carried over from the earlier result (see :func:`atomic_output_dir`).
    option
        The option that named the folder, for messages.

    Returns
    -------
    pathlib.Path
        The resolved folder (symbolic links followed: the folder they point to is replaced).
    """
    given = Path(out_dir)
    out = given.resolve()
    if _active_root(out) is not None:
        return out
    fix_new = f"give {option} a new folder, e.g. {option} {given.parent / (given.name + '-results')}"
    if out.exists() and not out.is_dir():
        raise InputError(f"the output folder ({option}) is a file (an existing file, not a folder)",
                         path=given,
                         fix=f"{fix_new} (a run writes a folder of tables, maps and run.json)")
    base = existing_ancestor(out.parent)
    if not base.is_dir():
        raise InputError(f"the output folder ({option}) cannot be made: {base} is a file",
                         path=given, fix=f"choose another {option} folder")
    for label, inp in (inputs or {}).items():
        if inp is None:
            continue
        real = Path(inp).resolve()
        if real == out or out in real.parents:
            raise InputError(
                f"the output folder ({option}) holds the {label} input {inp}; a run "
                "replaces its whole output folder, so the input would be overwritten or deleted",
                path=given, fix=f"{fix_new}, or move the input files out of it")
    cwd = Path.cwd().resolve()
    if out == cwd or out in cwd.parents:
        raise InputError(
            f"the output folder ({option}) is the current folder or holds it; a run "
            "replaces its output folder as a whole, which would leave you in a deleted folder",
            path=given, fix=f"run it from the folder above (cd {out.parent}) and name the folder "
                            f"as {out.name}")
    for parent in out.parents:
        kind = result_kind(parent)
        if kind is not None and out.relative_to(parent).parts[0] not in _kept_of(parent):
            raise InputError(
                f"the output folder ({option}) is inside the earlier result {parent}, which a later run "
                "there replaces as a whole (deleting this folder)", path=given,
                fix=f"give {option} a folder beside it, e.g. {parent.parent / (parent.name + '-' + out.name)}")
    if out.is_dir() and result_kind(out) is None:
        entries = [p.name for p in out.iterdir()]
        allowed = set() if keep == "all" else set(keep)
        others = sorted(n for n in entries if n not in allowed)
        if others:
            shown = ", ".join(others[:5]) + (f" (and {len(others) - 5} more)" if len(others) > 5 else "")
            raise InputError(
                f"the output folder ({option}) holds files that are not a tcm-coverage "
                f"result ({shown}); a run replaces its whole output folder", path=given,
                fix=f"{fix_new}, or empty this one")
    # a real probe (os.access is wrong for root and chattr +i): the folder beside which the new
    # result is built, and an existing result folder itself (an immutable one cannot be swapped)
    for folder in dict.fromkeys([base, *([out] if out.is_dir() else [])]):
        reason = probe_writable(folder)
        if reason is not None:
            raise InputError(f"{option}: cannot write into {folder} ({reason}); the output folder "
                             "is replaced there by a new one built beside it", path=given,
                             fix=f"{fix_new} under a folder you can write to, or ask for write "
                                 f"permission on {folder}")
    return out


# --------------------------------------------------------------------------------------
# locks, flushing, the swap
# --------------------------------------------------------------------------------------
@contextlib.contextmanager
def _flock(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on a folder; yields False when ``blocking=False`` and it is
    held by someone else (always True without ``fcntl``)."""
    if fcntl is None:  # pragma: no cover
        yield True
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _tmp_is_dead(path: Path) -> bool:
    if fcntl is None:  # pragma: no cover
        try:
            return time.time() - path.stat().st_mtime > _STALE_SECONDS
        except OSError:
            return False
    try:
        with _flock(path, blocking=False) as got:
            return got
    except OSError:  # vanished or unreadable: leave it
        return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            _fsync(Path(dirpath) / name)
        _fsync(Path(dirpath))


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False when the
    platform or file system cannot (the caller falls back to two renames)."""
    if os.environ.get(NO_EXCHANGE_ENV) or not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _pause(point: str) -> None:
    """Test hook (see the module docstring): stop here so a test can kill the process."""
    if os.environ.get(PAUSE_ENV) != point:
        return
    signal_file = os.environ.get(PAUSE_FILE_ENV)
    if signal_file:
        Path(signal_file).write_text(point, encoding="utf-8")
    time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV, "30")))


def _siblings(out: Path) -> list[tuple[str, Path]]:
    prefix = f".{out.name}"
    found = []
    try:
        entries = list(out.parent.iterdir())
    except OSError:
        return []
    for p in entries:
        for tag in _TAGS:
            if p.name.startswith(prefix + tag):
                found.append((tag, p))
    return found


def _recover_locked(out: Path) -> None:
    """:func:`recover_output_dir` with the parent's lock held."""
    siblings = _siblings(out)
    olds = sorted((p for tag, p in siblings if tag == ".old-"), key=lambda p: p.stat().st_mtime)
    if olds and not out.exists():
        os.rename(olds.pop(), out)  # a fallback swap was killed between its renames
    for tag, path in siblings:
        if path in olds or tag == ".del-" or (tag == ".tmp-" and _tmp_is_dead(path)):
            _remove(path)


def recover_output_dir(out_dir: str | PathLike[str]) -> None:
    """Undo what a killed run left beside ``out_dir``: restore the earlier result when a swap
    was killed half-way (``<name>`` missing, ``.<name>.old-…`` present) and remove the
    temporary folders of runs that are no longer alive.

    Parameters
    ----------
    out_dir
        The output folder (it need not exist).
    """
    out = Path(out_dir).resolve()
    if not out.parent.is_dir() or not _siblings(out):
        return
    try:
        with _flock(out.parent):
            _recover_locked(out)
    except OSError as exc:
        raise OutputError(f"cannot clean up after an interrupted run beside {out}: {exc}") from exc


def _link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link a file (or copy it when links are not possible) or a folder tree, skipping
    the temporaries of interrupted runs."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        dst.mkdir()
        for child in src.iterdir():
            if not is_litter(child.name):
                _link_or_copy(child, dst / child.name)
        shutil.copystat(src, dst)
    else:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def _write_marker(tmp: Path, kind: str, keep: Keep, previous: ResultMarker | None) -> None:
    kept = () if keep == "all" else tuple(k for k in keep if (tmp / k).exists())
    files = {rel: file_sha256(tmp / rel) for rel in _files(tmp, skip=kept)}
    history = () if previous is None else (*previous.history, (previous.kind, previous.written))
    marker = {"tool": _tool(), "kind": kind,
              "written": datetime.now().isoformat(timespec="seconds"),
              "files": files, "kept": list(kept), "history": [list(h) for h in history]}
    (tmp / MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=1), encoding="utf-8")


def _swap(tmp: Path, out: Path, token: str) -> None:
    """Put ``tmp`` at ``out``; the earlier ``out`` goes to ``.<name>.del-<token>``."""
    trash = out.parent / f".{out.name}.del-{token}"
    if not out.exists():
        os.rename(tmp, out)
        return
    if _exchange(tmp, out):
        os.rename(tmp, trash)  # tmp now names the earlier result
        return
    old = out.parent / f".{out.name}.old-{token}"
    os.rename(out, old)
    _pause("mid-swap")
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old, out)
        raise
    os.rename(old, trash)


@contextlib.contextmanager
def atomic_output_dir(
    out_dir: str | PathLike[str],
    *,
    kind: str = "result",
    keep: Keep = (),
    inputs: Mapping[str, str | PathLike[str] | None] | None = None,
) -> Iterator[Path]:
    """Yield an empty folder beside ``out_dir``; when the body succeeds, it replaces
    ``out_dir`` as a whole (see the module docstring for the swap and its crash windows).

    If the body raises, the temporary folder is removed and ``out_dir`` is left exactly as it
    was. Inside the build folder of an enclosing ``atomic_output_dir`` (of this process), the
    folder is written directly: the enclosing build is swapped as a whole.

    Parameters
    ----------
    out_dir
        The result folder (created when missing; refused as in :func:`check_output_dir`).
    kind
        What writes it (recorded in :data:`MARKER`).
    keep
        Entries of the earlier result carried into the new one (hard links, or copies where
        links are impossible) unless the body wrote its own: sub-folder names (a batch run's
        ``counties/``), or ``"all"`` to update a result in place (``report`` into the run
        folder: the tables and report are new, the layers and ``run.json`` carried over).
    inputs
        Label -> input file; an output folder holding one is refused.

    Yields
    ------
    pathlib.Path
        The folder to write into.
    """
    if isinstance(keep, str) and keep != "all":
        raise TypeError(f"keep must be 'all' or a sequence of names, not {keep!r}")
    out = check_output_dir(out_dir, inputs=inputs, keep=keep)
    if _active_root(out) is not None:
        out.mkdir(parents=True, exist_ok=True)
        yield out
        return
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        recover_output_dir(out)
        token = f"{os.getpid()}-{secrets.token_hex(4)}"
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{token}-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {out_dir}: {exc}") from exc
    try:
        with _flock(tmp):
            mode = (stat.S_IMODE(out.stat().st_mode) if out.is_dir()
                    else 0o777 & ~_umask())
            os.chmod(tmp, mode)  # mkdtemp makes 0700; a result folder is for sharing
            with _ACTIVE_LOCK:
                _ACTIVE.add(tmp)
            try:
                yield tmp
            finally:
                with _ACTIVE_LOCK:
                    _ACTIVE.discard(tmp)
            try:
                with _flock(parent):
                    _recover_locked(out)
                    check_output_dir(out_dir, inputs=inputs, keep=keep)  # it may have changed
                    previous = ResultMarker.read(out) if keep == "all" else None
                    if out.is_dir() and keep:
                        for entry in out.iterdir():
                            if (entry.name != MARKER and (keep == "all" or entry.name in keep)
                                    and not os.path.lexists(tmp / entry.name)):
                                _link_or_copy(entry, tmp / entry.name)
                    _write_marker(tmp, kind, keep, previous)
                    _fsync_tree(tmp)
                    _pause("before-swap")
                    _swap(tmp, out, token)
                    _fsync(parent)
                    _pause("after-swap")
            except OSError as exc:
                raise OutputError(f"cannot replace the output folder {out_dir} with the new "
                                  f"result: {exc}. The earlier result is left as it was.") from exc
    finally:
        if tmp.exists():
            _remove(tmp)
    for tag, path in _siblings(out):
        if tag == ".del-" and token in path.name:
            _remove(path)


@contextlib.contextmanager
def inside_build(folder: str | PathLike[str]) -> Iterator[Path]:
    """Write into ``folder``, the build folder of an :func:`atomic_output_dir` of another process
    (the run's process, for the process drawing its documents), as into a build of this one:
    :func:`add_files` and nested :func:`atomic_output_dir` calls inside it write directly; the
    other process swaps the whole build in (or removes it).

    Parameters
    ----------
    folder
        The build folder.

    Yields
    ------
    pathlib.Path
        ``folder``, resolved.
    """
    build = Path(folder).resolve()
    with _ACTIVE_LOCK:
        _ACTIVE.add(build)
    try:
        yield build
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(build)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def add_files(
    out_dir: str | PathLike[str],
    *,
    kind: str = "files",
    inputs: Mapping[str, str | PathLike[str] | None] | None = None,
) -> Iterator[Path]:
    """Yield an empty folder; when the body succeeds, its files are added to ``out_dir``
    (replacing files of the same names, keeping the others).

    * ``out_dir`` inside the build of an enclosing :func:`atomic_output_dir`: written directly.
    * ``out_dir`` a tcm-coverage result: updated as a whole (:func:`atomic_output_dir` with
      ``keep="all"``), so its marker lists the new files and a kill leaves the earlier state.
    * any other folder (a library caller's own folder): the files are built in a hidden
      ``.tcm-coverage.tmp-…`` folder inside it and each renamed into place, so no file is
      ever half-written; a kill between two renames can leave some files new and some old.

    Parameters
    ----------
    out_dir
        The folder (created when missing).
    kind
        Recorded in a result folder's marker.
    inputs
        Label -> input file; none may be overwritten.

    Yields
    ------
    pathlib.Path
    """
    out = Path(out_dir).resolve()
    if _active_root(out) is not None:
        out.mkdir(parents=True, exist_ok=True)
        yield out
        return
    if result_kind(out) is not None:
        with atomic_output_dir(out_dir, kind=kind, keep="all", inputs=inputs) as tmp:
            yield tmp
        return
    if out.exists() and not out.is_dir():
        raise InputError(f"{out_dir} is a file, not a folder", path=out_dir,
                         fix="give a folder to write into")
    protected = {Path(p).resolve(): label for label, p in (inputs or {}).items() if p is not None}
    try:
        out.mkdir(parents=True, exist_ok=True)
        recover_output_dir(out / "tcm-coverage")  # dead .tcm-coverage.tmp-* of killed writers
        tmp = Path(tempfile.mkdtemp(prefix=".tcm-coverage.tmp-", dir=out))
    except OSError as exc:
        raise OutputError(f"cannot write into {out_dir}: {exc}") from exc
    try:
        with _flock(tmp):
            yield tmp
            names = _files(tmp)
            for rel in names:
                if (out / rel).resolve() in protected:
                    raise InputError(f"{out / rel} is the {protected[(out / rel).resolve()]} input "
                                     "and would be overwritten", path=out / rel,
                                     fix="write the outputs to another folder")
            _fsync_tree(tmp)
            for rel in names:
                dest = out / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(tmp / rel, 0o666 & ~_umask())  # files from mkstemp-style writers are 0600
                os.replace(tmp / rel, dest)
    finally:
        _remove(tmp)


@contextlib.contextmanager
def output_file(
    path: str | PathLike[str],
    *,
    kind: str = "file",
    inputs: Mapping[str, str | PathLike[str] | None] | None = None,
) -> Iterator[Path]:
    """Yield a path to write one output file to; put it at ``path`` when the body succeeds
    (:func:`add_files` into its folder: into a result folder, e.g. ``map`` writing
    ``RUN/map_walk_10_tcm_any.html``, the folder is updated as a whole).

    Refused: ``path`` an input of the run, or an existing folder.

    Parameters
    ----------
    path
        The file to write.
    kind
        Recorded in the folder's marker.
    inputs
        Label -> input file; ``path`` may not be one.

    Yields
    ------
    pathlib.Path
    """
    target = Path(path)
    real = target.resolve()
    for label, inp in (inputs or {}).items():
        if inp is not None and Path(inp).resolve() == real:
            raise InputError(f"the output file {target} is the {label} input of the run",
                             path=target, fix="give --out another file name")
    if real.is_dir():
        raise InputError(f"the output {target} is a folder", path=target,
                         fix=f"give a file name, e.g. {target / 'map.html'}")
    with add_files(real.parent, kind=kind, inputs=inputs) as tmp:
        yield tmp / real.name


def changed_inputs(record: Mapping[str, object]) -> list[tuple[str, str, str]]:
    """The input files of a run that differ from its ``run.json`` (SHA-256 or missing).

    Parameters
    ----------
    record
        The ``inputs`` entry of ``run.json``: ``{label: {"path": ..., "sha256": ...}}``.

    Returns
    -------
    list of (label, path, what)
        ``what`` says how it changed ("not found", "SHA-256 was 1a2b…, now 3c4d…").
    """
    out = []
    for label, entry in record.items():
        if not isinstance(entry, Mapping) or not entry.get("path") or not entry.get("sha256"):
            continue
        path = Path(str(entry["path"]))
        if not path.is_file():
            out.append((str(label), str(path), "not found"))
            continue
        now = file_sha256(path)
        if now != entry["sha256"]:
            out.append((str(label), str(path), f"SHA-256 was {str(entry['sha256'])[:12]}…, now {now[:12]}…"))
    return out


def file_sha256(path: str | PathLike[str]) -> str:
    """SHA-256 of a file, read in 1 MiB chunks (input fingerprints in run records and keys).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    str
        Hex digest.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
