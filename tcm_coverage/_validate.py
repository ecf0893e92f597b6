"""Checks of a run's options, input files and output folder, made before anything is read,
computed or written, plus one guard for unexpected errors while an input file is read.

Every problem becomes an :class:`~tcm_coverage._errors.InputError` that names the option or
file, its valid range and the fix (the command line prints it and exits with code 2).

Plausible ranges
----------------
Numbers outside these ranges are typing mistakes (a missing decimal point, ``1e9``), not
planning choices, so they are refused rather than silently used:

==============================  ===============================================================
option                          valid range
==============================  ===============================================================
``--threshold``                 more than 0 and at most 240 minutes
``--buffer-m``                  0 to 100,000 m (roads up to 100 km outside the county)
``--max-facility-offroad-m``    1 to 20,000 m
``--isochrone-cell-m``          0 (no isochrones) or 10 to 5,000 m
``--speed MODE:CLASS=KMH``      per mode, km/h: walk 0.5–8, walk_elderly 0.5–6, bicycle 2–40,
                                ebike 2–50, car 2–130 (average travel speeds; the built-in
                                profiles are inside these ranges, see :mod:`tcm_coverage.network.profiles`)
``--offroad-speed [MODE:]KMH``  per mode, km/h: walk 0.5–8, walk_elderly 0.5–6, bicycle, ebike
                                and car 0.5–25 (the leg across yards and fields to the road)
``batch --workers``             1 to 1,024 processes
``batch --memory-limit``        ``auto``, a size such as ``4GB`` or ``500MB`` (at least 100 MB),
                                or a fraction of the machine's memory between 0 and 1
==============================  ===============================================================

The walking ranges follow the usual planning values (adult 4.8 km/h, older adults 3.6 km/h;
a brisk walk is ~6.5 km/h); the e-bike bound is twice the legal 25 km/h cap of GB 17761-2018;
the car bound is above China's 120 km/h motorway limit.

A speed override for a mode that is not known is an error (``ebkie``); one for a known mode
that is not computed in this run is reported as a warning.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import re
import zipfile
from collections.abc import Iterator, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

from tcm_coverage._errors import InputError, TCMCoverageError
from tcm_coverage._io import existing_ancestor, probe_writable
from tcm_coverage.vocab import (
    DIRECT_OFFROAD_LIMIT_M,
    DIRECT_OFFROAD_MAX_M,
    RESIDENTS_PER_TCM_PHYSICIAN,
)

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_FACILITY_COUNT",
    "ISOCHRONE_CELL_RANGE_M",
    "MAX_POPULATION_PER_POINT",
    "OFFROAD_RANGES_KMH",
    "OPTION_RANGES",
    "SPEED_RANGES_KMH",
    "check_input_file",
    "check_isochrone_cell",
    "check_number",
    "check_output_file",
    "fmt_value",
    "config_fields_from_json",
    "ragged_row_error",
    "reading",
]

#: Plausible average road speeds per mode (km/h, inclusive) for ``--speed`` overrides.
SPEED_RANGES_KMH: Mapping[str, tuple[float, float]] = {
    "walk": (0.5, 8.0),
    "walk_elderly": (0.5, 6.0),
    "bicycle": (2.0, 40.0),
    "ebike": (2.0, 50.0),
    "car": (2.0, 130.0),
}

#: Plausible off-road speeds per mode (km/h, inclusive) for ``--offroad-speed``.
OFFROAD_RANGES_KMH: Mapping[str, tuple[float, float]] = {
    "walk": (0.5, 8.0),
    "walk_elderly": (0.5, 6.0),
    "bicycle": (0.5, 25.0),
    "ebike": (0.5, 25.0),
    "car": (0.5, 25.0),
}

#: Numeric options: config field -> (command-line option, low, high, unit, what it is, example).
OPTION_RANGES: Mapping[str, tuple[str, float, float, str, str, str]] = {
    "buffer_m": ("--buffer-m", 0.0, 100_000.0, "m",
                 "roads are kept up to this far outside the county",
                 "--buffer-m 5000 (the default)"),
    "max_facility_offroad_m": ("--max-facility-offroad-m", 1.0, 20_000.0, "m",
                               "a facility farther than this from a road is an input error",
                               "--max-facility-offroad-m 1500 (the default)"),
    "direct_offroad_m": ("--direct-offroad-m", 0.0, DIRECT_OFFROAD_LIMIT_M, "m",
                         "the longest straight walk to a facility instead of the roads; a "
                         "longer one crosses rivers, railways and walls the map does not show",
                         f"--direct-offroad-m {DIRECT_OFFROAD_MAX_M:g} (the default; 0: always "
                         "by road)"),
    "residents_per_physician": ("--residents-per-physician", 10.0, 1_000_000.0, "residents",
                                "residents one TCM physician serves (capacity-aware coverage)",
                                f"--residents-per-physician {RESIDENTS_PER_TCM_PHYSICIAN:.0f} (the "
                                "default: 0.62 TCM physicians per 1,000 residents)"),
    "referral_minutes": ("--referral-minutes", 1.0, 240.0, "min",
                         "the car time to the county TCM hospital of the referral-chain check",
                         "--referral-minutes 30 (the default, a common county check)"),
}

#: ``--isochrone-cell-m``: 0 (no isochrones) or this range in metres.
ISOCHRONE_CELL_RANGE_M: tuple[float, float] = (10.0, 5000.0)

#: No demand point (village, polygon, raster cell) holds more people than this.
MAX_POPULATION_PER_POINT: float = 1e7

#: No facility has more staff or beds than this (the largest Chinese hospitals have ~10,000 beds).
MAX_FACILITY_COUNT: float = 1e5


def fmt_value(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return repr(value)


def check_number(value: Any, *, option: str, low: float, high: float, unit: str = "",
                 what: str = "", example: str = "") -> float:
    """A finite number within ``[low, high]``, or an InputError naming the option and range.

    Parameters
    ----------
    value
        The value given.
    option
        The option's name as the user typed it (e.g. ``"--buffer-m"``).
    low, high
        Inclusive bounds.
    unit
        Unit for the message (``"m"``, ``"km/h"``).
    what
        What the option does, for the message.
    example
        A valid use for the fix (e.g. ``"--buffer-m 5000"``).

    Returns
    -------
    float
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and low <= number <= high):
        u = f" {unit}" if unit else ""
        about = f" ({what})" if what else ""
        raise InputError(f"{option} must be between {low:g} and {high:g}{u}{about}, got {fmt_value(value)}",
                         fix=f"give a value from {low:g} to {high:g}{u}"
                             + (f", e.g. {example}" if example else ""))
    return number


def check_isochrone_cell(cell: Any) -> float:
    """``--isochrone-cell-m``: 0 (no isochrones) or a cell size in :data:`ISOCHRONE_CELL_RANGE_M`.

    Parameters
    ----------
    cell
        The value given.

    Returns
    -------
    float

    Raises
    ------
    InputError
        Naming the option, its valid range and the value given.
    """
    lo, hi = ISOCHRONE_CELL_RANGE_M
    try:
        cell_f = float(cell)
    except (TypeError, ValueError):
        cell_f = math.nan
    if cell_f != 0.0:
        try:
            check_number(cell, option="--isochrone-cell-m", low=lo, high=hi, unit="m")
        except InputError:
            raise InputError(f"--isochrone-cell-m must be 0 (no isochrones) or between {lo:g} "
                             f"and {hi:g} m, got {fmt_value(cell)}",
                             fix="the default 100 m suits a county") from None
    return cell_f


def _folder_hint(path: Path) -> str:
    try:
        names = sorted(p.name for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError:
        names = []
    if not names:
        return "give the path of the file itself"
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return f"give the path of the file itself; the folder holds {shown}"


def check_input_file(path: str | PathLike[str], *, label: str, option: str | None = None) -> None:
    """An input must be an existing, readable, non-empty file (not a folder).

    Parameters
    ----------
    path
        The file.
    label
        What it is (``"facilities"``), for the message.
    option
        The command-line option that gave it (e.g. ``"--facilities"``).

    Raises
    ------
    InputError
    """
    p = Path(path)
    given = f" ({option})" if option else ""
    if not p.exists():
        raise InputError(f"{label} file{given} not found", path=p, fix="check the path")
    if p.is_dir():
        raise InputError(f"{label}{given} is a folder, not a file", path=p, fix=_folder_hint(p))
    if not p.is_file():
        raise InputError(f"{label}{given} is not a regular file", path=p,
                         fix="give the path of a file on disk")
    try:
        with open(p, "rb") as fh:
            first = fh.read(16)
    except OSError as exc:
        raise InputError(f"cannot open the {label} file{given} ({exc.strerror or exc})", path=p,
                         fix="check that you may read it (permissions) and that it is not "
                             "locked by another program") from None
    if not first:
        raise InputError(f"the {label} file{given} is empty (0 bytes)", path=p,
                         fix="export the data again; the copy may have been interrupted")
    problem = _content_problem(p, first)
    if problem is not None:
        message, fix = problem
        raise InputError(f"the {label} file{given} {message}", path=p, fix=fix)


_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _content_problem(path: Path, first: bytes) -> tuple[str, str] | None:
    """(message, fix) when the file's first bytes do not match its suffix, else ``None``.

    Only formats with an unambiguous signature are checked: ``.xlsx``/``.xlsm`` (a ZIP holding
    ``xl/workbook.xml``), ``.gpkg`` (SQLite) and ``.tif``/``.tiff`` (TIFF).
    """
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        if first.startswith(_OLE2_MAGIC):
            return ("is an old Excel 97-2003 workbook named .xlsx",
                    "open it in Excel/WPS and save it as .xlsx (or as CSV UTF-8)")
        if not zipfile.is_zipfile(path):
            return ("is not an Excel workbook (an .xlsx file is a ZIP archive; this one is not: "
                    "perhaps a CSV or another file renamed)",
                    "open it in Excel/WPS and save it as .xlsx, or give it its real suffix (.csv)")
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError) as exc:
            return (f"is a damaged ZIP archive ({exc})", "export the workbook again")
        if "xl/workbook.xml" not in names:
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            return (f"is a ZIP archive but not an Excel workbook (no xl/workbook.xml inside; it "
                    f"holds {shown or 'nothing'})",
                    "give the workbook itself (unzip the archive first if it holds one)")
    elif suffix == ".gpkg" and not first.startswith(b"SQLite format 3\x00"):
        return ("is not a GeoPackage (no SQLite header)",
                "export it again from QGIS as GeoPackage, or give it its real suffix")
    elif suffix in (".tif", ".tiff") and first[:4] not in _TIFF_MAGIC:
        return ("is not a GeoTIFF (no TIFF header)",
                "export the population raster again as GeoTIFF, or give it its real suffix")
    return None


def check_output_file(path: str | PathLike[str], *, option: str = "--out") -> None:
    """An output file must not be a folder, and its folder must be writable (or creatable).

    Parameters
    ----------
    path
        The file to write.
    option
        The option that gave it.

    Raises
    ------
    InputError
    """
    out = Path(path)
    if out.is_dir():
        raise InputError(f"{option} is an existing folder, not a file", path=out,
                         fix=f"give a file name, e.g. {option} {out / 'map.html'}")
    base = existing_ancestor(out.absolute().parent)
    if not base.is_dir():
        raise InputError(f"{option}: {base} is a file, so {out.name} cannot be written under it",
                         path=out, fix=f"choose another {option} path")
    reason = probe_writable(base)
    if reason is not None:
        raise InputError(f"{option}: cannot write in {base} ({reason})", path=out,
                         fix="choose a folder you may write to, or ask for write permission")


# --------------------------------------------------------------------------------------
# The read guard
# --------------------------------------------------------------------------------------
_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")

_FIXES = {
    "facilities": "check that it is a facility table (CSV, XLSX, GeoJSON or GeoPackage) that "
                  "opens in Excel/QGIS, and export it again",
    "population": "check that it is a population raster (GeoTIFF), village table (CSV/XLSX) or "
                  "polygon file that opens in QGIS/Excel, and export it again",
    "roads": "check that it is an OSM extract (.osm.pbf, .osm XML) or osmnx GraphML file",
}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else ""
    return (line[:200] + "...") if len(line) > 200 else line


def ragged_row_error(exc: BaseException, path: str | PathLike[str] | None) -> InputError | None:
    """The InputError for pandas' "Expected N fields in line L, saw M" (a ragged CSV row), or
    ``None`` when ``exc`` is another error."""
    ragged = _RAGGED.search(str(exc))
    if ragged is None:
        return None
    expected, line, saw = ragged.groups()
    return InputError(f"row {line} has {saw} fields but the header has {expected}", path=path,
                      row=int(line), fix="remove the extra commas in that row, or put text that "
                                         "contains commas in double quotes")


@contextlib.contextmanager
def reading(label: str, path: str | PathLike[str] | None) -> Iterator[None]:
    """Turn an unexpected error while reading an input file into an InputError naming it.

    The readers raise :class:`~tcm_coverage._errors.InputError` for the problems they know
    (these pass unchanged); anything else a damaged or mislabelled file makes a library raise
    (a ZIP that is not a workbook, a ragged CSV row, undecodable bytes ...) becomes
    ``InputError("cannot read the <label> file (<error>)", path=...)``. The original
    traceback is logged at debug level (``-vv``) for bug reports.

    Parameters
    ----------
    label
        What the file is (``"facilities"``, ``"boundary"``, ``"population"``, ``"roads"``).
    path
        The file.

    Raises
    ------
    InputError
    """
    try:
        yield
    except TCMCoverageError:
        raise
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        logger.debug("reading the %s file %s failed", label, path, exc_info=True)
        ragged = ragged_row_error(exc, path)
        if ragged is not None:
            raise ragged from exc
        if isinstance(exc, UnicodeDecodeError):
            raise InputError(f"the {label} file is not text in a known encoding ({exc.reason} "
                             f"at byte {exc.start})", path=path,
                             fix="save it as UTF-8 (or GBK) text, or give the right file") from exc
        raise InputError(f"cannot read the {label} file ({type(exc).__name__}: "
                         f"{_first_line(exc)})", path=path,
                         fix=_FIXES.get(label, "check that it is the right file and that it "
                                               "opens in QGIS/Excel, and export it again")) from exc


# --------------------------------------------------------------------------------------
# run.json
# --------------------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _config_value(kind: str, value: Any) -> tuple[bool, Any]:
    """(ok, value converted to the field's type) for a run.json value of a config field."""
    optional = kind.endswith("| None")
    base = kind.removesuffix("| None").strip()
    if value is None:
        return optional, None
    if base == "Path":
        return (isinstance(value, str) and value.strip() != ""), (Path(value) if isinstance(value, str) else value)
    if base == "str":
        return isinstance(value, str), value
    if base == "bool":
        return isinstance(value, bool), value
    if base == "float":
        return _is_number(value) and math.isfinite(float(value)), value
    if base in ("tuple[str, ...]", "tuple[float, ...]"):
        item = str if "str" in base else float
        ok = isinstance(value, list) and all(
            isinstance(v, str) if item is str else _is_number(v) for v in value)
        return ok, tuple(value) if isinstance(value, list) else value
    if base == "Mapping[str, float]":
        ok = isinstance(value, dict) and all(_is_number(v) for v in value.values())
        return ok, value
    if base == "Mapping[str, Mapping[str, float]]":
        ok = isinstance(value, dict) and all(
            isinstance(m, dict) and all(v is None or _is_number(v) for v in m.values())
            for m in value.values())
        return ok, value
    return True, value


_KIND_TEXT = {"Path": "a file path (text)", "str": "text", "bool": "true or false",
              "float": "a number", "tuple[str, ...]": "a list of texts",
              "tuple[float, ...]": "a list of numbers", "Mapping[str, float]":
              "a table of numbers, e.g. {\"walk\": 3.6}", "Mapping[str, Mapping[str, float]]":
              "a table of tables of numbers, e.g. {\"car\": {\"primary\": 50}}"}


def config_fields_from_json(cls: Any, raw: Any, *, path: str | PathLike[str]) -> dict[str, Any]:
    """The keyword arguments of a config dataclass from the ``config`` record of ``run.json``.

    Unknown keys are ignored (written by another version); each known key must hold a value of
    its field's type (JSON has no tuples or paths, so lists and strings are converted).

    Parameters
    ----------
    cls
        The dataclass (a settings group of :class:`tcm_coverage.workflows.config.AnalysisConfig`).
    raw
        ``json.load(...)["config"]``.
    path
        The run.json, for messages.

    Raises
    ------
    InputError
        ``config`` is not a JSON object, or a key holds a value of the wrong type (naming
        the key, the expected type and the value).
    """
    if not isinstance(raw, dict):
        raise InputError(f"'config' must be a JSON object, got {type(raw).__name__}", path=path,
                         fix="give the run.json written by `tcm-coverage demo` or `analyze` "
                             "(or rerun the analysis)")
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            continue
        kind = str(f.type)
        ok, value = _config_value(kind, raw[f.name])
        if not ok:
            want = _KIND_TEXT.get(kind.removesuffix("| None").strip(), kind)
            if kind.endswith("| None"):
                want += " or null"
            shown = repr(raw[f.name])
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise InputError(f"config key '{f.name}' must be {want}, got {shown}", path=path,
                             fix="restore the run.json written by the run, or rerun the analysis")
        out[f.name] = value
    return out
