"""Atomic output: everything is written to a temporary folder and moved into place at the end."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from os import PathLike
from pathlib import Path

from tcm_coverage._errors import OutputError


@contextlib.contextmanager
def atomic_output_dir(out_dir: str | PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``out_dir``; on success move its files into ``out_dir``.

    If the body raises, the temporary folder is removed and ``out_dir`` is left exactly as it
    was (files of an earlier run stay untouched). Each file is moved with :func:`os.replace`,
    which is atomic on one file system, so a reader never sees a half-written file.

    Parameters
    ----------
    out_dir
        The final output folder (created when missing).

    Yields
    ------
    pathlib.Path
        The temporary folder to write into.
    """
    out = Path(out_dir)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {out}: {exc}") from exc
    try:
        yield tmp
        out.mkdir(parents=True, exist_ok=True)
        for item in sorted(tmp.rglob("*")):
            if item.is_file():
                dest = out / item.relative_to(tmp)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
