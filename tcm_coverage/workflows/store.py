"""The run store: what a finished run's outputs are drawn from, kept in its folder so that
``map``, ``report`` and ``score`` redraw in a second instead of routing again.

A demo/analyze run writes ``RUN/store/`` inside its atomic output folder (so the store is
replaced together with the tables it describes):

* one GeoParquet (geometries, CRS) or Parquet file per table of :data:`TABLES`: the demand
  points with their times per mode and facility set, the facilities, the isochrones, the
  county and township polygons, the coverage tables, the accessibility per area, the facility
  review;
* ``store.json``: the format version (:data:`STORE_FORMAT`), which tables were written (and
  their ``attrs``), and the plain values of :data:`VALUES` (modes, facility sets, network
  summaries, warnings, timings, datum check). No pickle: every file is readable by any
  Parquet/JSON reader.

The layout is table-driven: a new DataFrame field of :class:`~tcm_coverage.workflows.run.AnalysisRun`
(or of its ``access``/``tables``) is one line in :data:`TABLES`, a new plain value one line in
:data:`VALUES`; ``tests/test_redraw.py`` fails when a DataFrame field of a computed run is in
neither. What a store cannot hold is not stored: the routing graphs
(:attr:`AccessResult.routing <tcm_coverage.access.AccessResult.routing>`, empty in a loaded run),
the road network (``None``) and the scorecards, which :func:`load_run` recomputes from the stored
travel times for the profiles asked for (no routing).

:func:`load_run` returns ``None`` (with one log line) for a folder without a store or with a
store of another format version: the caller recomputes from the inputs, as before the store.
``load_run(geometry=False)`` reads every table without its geometry column and imports neither
geopandas nor shapely (a report drawn from the run's map page and plate needs no geometry).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from tcm_coverage.access import AccessResult, CapacityRule, CapacityServed, CoverageTables
from tcm_coverage.i18n import text
from tcm_coverage.inputs import FunctionalRule, Profile, load_profile
from tcm_coverage.outputs import Scorecard, scorecard
from tcm_coverage.workflows.config import AnalysisConfig
from tcm_coverage.workflows.run import AnalysisRun

if TYPE_CHECKING:
    import geopandas as gpd

# geopandas, shapely and pyproj (1.5 s of imports) are imported where geometries are written or
# read: a redraw that draws no geometry (``load_run(geometry=False)``) never loads them.

logger = logging.getLogger(__name__)

__all__ = ["STORE_DIR", "STORE_FORMAT", "TABLES", "VALUES", "load_run", "own_access", "save_run",
           "scorecards_of"]

#: The store's sub-folder of a run folder.
STORE_DIR = "store"
#: Version of the store layout; a store of another version is not read (the run is recomputed).
STORE_FORMAT = 1
_INDEX = "store.json"

#: The tables of a run, as attribute paths on :class:`AnalysisRun` (``access.x``: a field of its
#: :class:`~tcm_coverage.access.AccessResult`, ``tables.x``: of its
#: :class:`~tcm_coverage.access.CoverageTables`). A new DataFrame field is one line here.
TABLES: tuple[str, ...] = (
    "access.demand",
    "access.facilities",
    "access.isochrones",
    "tables.county",
    "tables.township",
    "tables.by_facility_set",
    "tables.unassigned",
    "counties",
    "townships",
    "demand",
    "fca_areas",
    "facility_review",
    # referral chain, fairness, sensitivity (issue 15)
    "referral_township",
    "referral_clinics",
    "fairness",
    "lorenz",
    "sensitivity",
    # residents 65+ with their times (issue 14)
    "elderly",
)

#: Tables that extend another row for row (``demand`` is ``access.demand`` with area codes and
#: accessibility; ``elderly``, the residents 65+, shares the points, names and the times of every
#: mode but walking): only their own columns are stored, the shared ones are read from the base
#: (when the rows are not the base's, the whole table is stored).
_BASES: dict[str, str] = {"demand": "access.demand", "elderly": "access.demand"}

#: zstd level of the geometry columns (isochrone rings: 2.5x smaller than level 3, 0.1 s) and of
#: the others. Floating point columns are written with BYTE_STREAM_SPLIT (lossless: the same
#: float64 values, a third smaller compressed); the other columns dictionary-encoded.
_ZSTD_GEOMETRY, _ZSTD = 9, 3

#: The plain values of a run (JSON; tuples and arrays come back as such).
VALUES: tuple[str, ...] = (
    "access.modes",
    "access.facility_sets",
    "access.networks",
    "access.warnings",
    "access.warnings_zh",
    "seconds",
    "datum_check",
    "counted",
    "functional_profile",
)

#: Small result objects kept as their fields (JSON) and rebuilt on load: the functional rule, and
#: what the capacity notes say (the per-point allocations are not kept: the tables hold their
#: sums, and a redraw does not reallocate).
_OBJECTS: dict[str, tuple[Callable[[Any], dict[str, Any]], Callable[[dict[str, Any]], Any]]] = {
    "functional_rule": (lambda r: dataclasses.asdict(r),
                        lambda d: FunctionalRule(**d)),
    "capacity": (lambda c: {"n_points": c.n_points, "n_known": c.n_known, "n_unknown": c.n_unknown,
                            "capacity_total": c.capacity_total, "rule": dataclasses.asdict(c.rule)},
                 lambda d: CapacityServed(served={}, served_upper={}, n_points=d["n_points"],
                                          n_known=d["n_known"], n_unknown=d["n_unknown"],
                                          capacity_total=d["capacity_total"],
                                          rule=CapacityRule(**d["rule"]))),
}

#: The nested results and their classes.
_PARTS: dict[str, type] = {"access": AccessResult, "tables": CoverageTables}


def _get(run: AnalysisRun, path: str) -> Any:
    obj: Any = run
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def _encode(value: Any) -> Any:
    """A JSON value with its Python kind: tuples and arrays are tagged so they come back as such."""
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return {"__float__": repr(value)}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__array__" in value:
            return np.asarray(value["__array__"], dtype=value["dtype"])
        if "__tuple__" in value:
            return tuple(_decode(v) for v in value["__tuple__"])
        if "__float__" in value:
            return float(value["__float__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _same_column(a: pd.Series, b: pd.Series) -> bool:
    """``a.equals(b)``, vectorised for geometries (``Series.equals`` compares shapely objects one
    by one in Python: 1.2 s for a county's 150,000 points; :func:`shapely.equals_exact` with no
    tolerance, same types and Z, in C)."""
    if a.dtype != b.dtype:
        return False
    if not _is_geometry(a.dtype):
        return bool(a.equals(b))
    import shapely  # noqa: PLC0415 - deferred on purpose (see the imports)

    x, y = np.asarray(a.array, dtype=object), np.asarray(b.array, dtype=object)
    missing = shapely.is_missing(x)
    if not np.array_equal(missing, shapely.is_missing(y)):
        return False
    x, y = x[~missing], y[~missing]
    return bool(np.array_equal(shapely.get_type_id(x), shapely.get_type_id(y))
                and np.array_equal(shapely.has_z(x), shapely.has_z(y))
                and shapely.equals_exact(x, y, tolerance=0.0).all())


def _is_geometry(dtype: Any) -> bool:
    """A geopandas geometry column (its dtype's name; geopandas need not be imported)."""
    return isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.name == "geometry"


def _shared_columns(frame: pd.DataFrame, base: pd.DataFrame | None) -> list[str]:
    """The columns of ``frame`` equal to those of ``base`` (row for row), geometry included."""
    if base is None or len(base) != len(frame) or not frame.index.equals(base.index):
        return []
    return [c for c in frame.columns if c in base.columns and _same_column(frame[c], base[c])]


def _parquet_options(frame: pd.DataFrame) -> dict[str, Any]:
    """The writer options of a table: zstd, BYTE_STREAM_SPLIT floats, dictionary for the rest."""
    dtypes = [(str(c), t) for c, t in frame.dtypes.items()]  # not frame[c]: a Series per column
    geometry = {c for c, t in dtypes if _is_geometry(t)}
    floats = [c for c, t in dtypes if t.kind == "f"]
    return {"compression": "zstd",
            "compression_level": {c: _ZSTD_GEOMETRY if c in geometry else _ZSTD for c, _ in dtypes},
            "use_byte_stream_split": floats or False,
            "use_dictionary": [c for c, t in dtypes if t.kind != "f"] or False}


def _write_table(store: Path, path: str, frame: pd.DataFrame, base: pd.DataFrame | None) -> dict[str, Any]:
    """Write one table (GeoParquet when it has geometries) and return its ``store.json`` entry."""
    file = f"{path}.parquet"
    entry: dict[str, Any] = {"file": file, "attrs": _encode(dict(frame.attrs))}
    shared = _shared_columns(frame, base)
    if shared:  # only the table's own columns; the others come from the base table
        entry.update(base=_BASES[path], columns=[str(c) for c in frame.columns], geo=False)
        frame = pd.DataFrame(frame[[c for c in frame.columns if c not in shared]])
    import geopandas as gpd  # noqa: PLC0415 - a computed run's tables: already imported

    entry.setdefault("geo", isinstance(frame, gpd.GeoDataFrame))
    # Parquet gives text columns back as pandas' string dtype: remember the object ones
    entry["object_columns"] = [str(c) for c, t in frame.dtypes.items() if c != "geometry" and t == np.dtype(object)]
    if entry["geo"]:
        frame.to_parquet(store / file, **_parquet_options(frame))
    else:
        pd.DataFrame(frame).to_parquet(store / file, **_parquet_options(frame))
    return entry


def save_run(run: AnalysisRun, folder: Path, *,
             rendered: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None) -> Path:
    """Write the store of a computed run into ``folder/store`` (inside the atomic output folder).

    Parameters
    ----------
    run
        From :func:`~tcm_coverage.workflows.pipeline.compute`.
    folder
        The output folder being built.
    rendered
        What a redraw may reuse of the files just rendered
        (:func:`~tcm_coverage.workflows.rendered.rendered_record`), kept as ``"rendered"``; or
        what gives it, called once the tables are written (when a second process is still
        drawing those files: :mod:`~tcm_coverage.workflows.drawer`).

    Returns
    -------
    pathlib.Path
        The store folder.
    """
    store = Path(folder) / STORE_DIR
    store.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Any] = {}
    for path in TABLES:
        frame = _get(run, path)
        if frame is None:
            tables[path] = None
            continue
        tables[path] = _write_table(store, path, frame, _get(run, _BASES[path]) if path in _BASES else None)
    cards = []
    for i, card in enumerate(run.scorecards.values()):
        file = f"scorecard_{i}.parquet"
        pd.DataFrame(card.rows).to_parquet(store / file, **_parquet_options(card.rows))
        cards.append({"file": file, **{f.name: _encode(getattr(card, f.name))
                                       for f in fields(Scorecard) if f.name != "rows"}})
    index = {"format": STORE_FORMAT, "tables": tables,
             "values": {path: _encode(_get(run, path)) for path in VALUES}, "scorecards": cards,
             "objects": {name: None if getattr(run, name) is None else to_json(getattr(run, name))
                         for name, (to_json, _) in _OBJECTS.items()},
             "rendered": dict((rendered() if callable(rendered) else rendered) or {})}
    (store / _INDEX).write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")
    return store


def _read_geoparquet(file: Path, crs_cache: dict[str, Any]) -> gpd.GeoDataFrame:
    """A GeoParquet file, its CRS parsed once per load (``gpd.read_parquet`` parses it per file,
    a tenth of a second each)."""
    import geopandas as gpd  # noqa: PLC0415 - deferred on purpose (see the imports)
    import shapely  # noqa: PLC0415
    from pyproj import CRS  # noqa: PLC0415

    table = pq.read_table(file)
    meta = json.loads(table.schema.metadata[b"geo"])
    column = meta["primary_column"]
    crs = json.dumps(meta["columns"][column].get("crs", "OGC:CRS84"))
    if crs not in crs_cache:
        crs_cache[crs] = CRS.from_user_input(json.loads(crs))
    frame = table.to_pandas()
    geometry = gpd.GeoSeries(shapely.from_wkb(frame[column].to_numpy()), index=frame.index,
                             crs=crs_cache[crs])
    return gpd.GeoDataFrame(frame.assign(**{column: geometry}), geometry=column, crs=crs_cache[crs])


def _read_plain(file: Path) -> pd.DataFrame:
    """A GeoParquet file without its geometry column: a plain DataFrame, the other columns as
    :func:`_read_geoparquet` gives them (pyarrow reads only those columns)."""
    schema = pq.read_schema(file)
    column = json.loads(schema.metadata[b"geo"])["primary_column"]
    names = [n for n in schema.names if n != column]
    return pq.read_table(file, columns=names, use_pandas_metadata=True).to_pandas()


def _read_table(store: Path, entry: dict[str, Any] | None, read: dict[str, pd.DataFrame | None],
                crs_cache: dict[str, Any], *, geometry: bool = True) -> pd.DataFrame | None:
    """One stored table (``read``: the tables read so far, for a table stored on a base);
    without ``geometry``, a GeoParquet table is read as a plain DataFrame without its
    geometry column."""
    if entry is None:
        return None
    file = store / entry["file"]
    if entry["geo"]:
        frame = _read_geoparquet(file, crs_cache) if geometry else _read_plain(file)
    else:
        frame = pd.read_parquet(file)
    for col in entry.get("object_columns", ()):
        if col in frame.columns and frame[col].dtype != object:
            frame[col] = frame[col].astype(object)
    if "base" in entry:
        base = read[entry["base"]]
        if base is None:
            raise ValueError(f"{entry['file']} needs {entry['base']}, which is not stored")
        own = {c: frame[c].to_numpy() for c in frame.columns}
        columns = [c for c in entry["columns"] if geometry or c in base.columns or c in own]
        frame = base.assign(**own)[columns] if own else base[columns]
    frame.attrs.update(_decode(entry.get("attrs") or {}))
    return frame


def _read_index(folder: Path, lang: str) -> dict[str, Any] | None:
    """``store.json`` of a run folder, or ``None`` (logged) when missing or of another version."""
    path = Path(folder) / STORE_DIR / _INDEX
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        logger.warning(text("workflows.store.missing", lang, folder=folder))
        return None
    except (OSError, ValueError) as exc:
        logger.warning(text("workflows.store.unreadable", lang, path=path, error=exc))
        return None
    if not isinstance(index, dict) or index.get("format") != STORE_FORMAT:
        found = index.get("format") if isinstance(index, dict) else None
        logger.warning(text("workflows.store.version", lang, path=path, found=found,
                            expected=STORE_FORMAT))
        return None
    return index


def own_access(access: AccessResult, counted: np.ndarray | None) -> AccessResult:
    """``access`` with only the facilities counted in these counties (all when ``counted`` is
    ``None``): the neighbours' facilities serve residents but are counted in their own county."""
    if counted is None:
        return access
    return replace(access, facilities=access.facilities[np.asarray(counted, bool)].reset_index(drop=True))


def scorecards_of(run: AnalysisRun, profiles: Sequence[Profile | str], *, lang: str) -> dict[str, Scorecard]:
    """The scorecards of a run for plan-target profiles, from its travel times (no routing).

    Parameters
    ----------
    run
        A computed or loaded run (with ``counties``).
    profiles
        Loaded profiles or their names/files.
    lang
        Language of the text columns.

    Returns
    -------
    dict
        Profile name -> scorecard.
    """
    access = own_access(run.access, run.counted)
    loaded = [p if isinstance(p, Profile) else load_profile(p) for p in profiles]
    return {prof.name: scorecard(access, prof, counties=run.counties, townships=run.townships, lang=lang)
            for prof in loaded}


def load_run(folder: Path, config: AnalysisConfig, *, scorecards: bool = True,
             tables: Collection[str] | None = None, geometry: bool = True) -> AnalysisRun | None:
    """The run stored in a run folder, with the scorecards of ``config``'s profiles.

    Parameters
    ----------
    folder
        The run folder (holding ``store/``).
    config
        The run's configuration (its profiles and language; from
        :func:`~tcm_coverage.workflows.config.load_config`).
    scorecards
        Score the profiles of ``config`` (``False``: no scorecards, e.g. for a map).
    tables
        Read only these tables of :data:`TABLES` (and the base a table is stored on); the
        others are ``None`` in the run: for a redraw that does not draw them
        (:data:`~tcm_coverage.workflows.redraw.MAP_TABLES`). ``None``: every table.
    geometry
        Read the geometries (``False``: every table is a plain DataFrame without its geometry
        column and neither geopandas nor shapely is imported, for a redraw that draws no map:
        :data:`~tcm_coverage.workflows.redraw.DOCUMENT_TABLES`). A profile that must be scored
        from the times (not stored, or a profile file) assigns areas by their polygons: then
        the geometries are read all the same.

    Returns
    -------
    AnalysisRun or None
        ``None`` (one log line says why) when the folder has no store, or one of another
        format version, or one that cannot be read: recompute from the inputs instead.
        A loaded run has no routing graphs (``access.routing`` is empty) and no road network.
    """
    lang = config.rendering.lang
    index = _read_index(folder, lang)
    if index is None:
        return None
    store = Path(folder) / STORE_DIR
    if scorecards and _unscored(config, index.get("scorecards") or []):
        geometry = True
    found: dict[str, dict[str, Any]] = {"": {}, **{part: {} for part in _PARTS}}
    try:
        read: dict[str, pd.DataFrame | None] = {}
        crs_cache: dict[str, Any] = {}
        wanted = set(TABLES if tables is None else tables)
        wanted |= {_BASES[p] for p in wanted if p in _BASES}
        for path in TABLES:
            if path in index["tables"]:
                part, _, name = path.rpartition(".")
                read[path] = found[part][name] = (
                    _read_table(store, index["tables"][path], read, crs_cache, geometry=geometry)
                    if path in wanted else None)
        for path, value in index["values"].items():
            part, _, name = path.rpartition(".")
            if part in found:
                found[part][name] = _decode(value)
        for name, (_, from_json) in _OBJECTS.items():
            value = (index.get("objects") or {}).get(name)
            found[""][name] = None if value is None else from_json(value)
        parts = {part: cls(**found[part]) for part, cls in _PARTS.items()}
        run = AnalysisRun(**parts, files=(), **found[""])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning(text("workflows.store.unreadable", lang, path=store, error=exc))
        return None
    if not scorecards:
        return run
    return replace(run, scorecards=_scorecards(run, config, store, index.get("scorecards") or []))


def _scorecards(run: AnalysisRun, config: AnalysisConfig, store: Path,
                stored: list[dict[str, Any]]) -> dict[str, Scorecard]:
    """The scorecards of ``config``'s profiles: those the run scored (a shipped profile, same
    language) read back, the others scored from the stored times."""
    lang = config.rendering.lang
    cards: dict[str, Scorecard] = {}
    for name in config.options.profiles:
        entry = _saved_scorecard(config, stored, name)
        if entry is None:
            cards.update(scorecards_of(run, [name], lang=lang))
            continue
        meta = {k: _decode(v) for k, v in entry.items() if k != "file"}
        cards[entry["profile"]] = Scorecard(rows=pd.read_parquet(store / entry["file"]), **meta)
    return cards


def _saved_scorecard(config: AnalysisConfig, stored: list[dict[str, Any]], name: Any) -> dict[str, Any] | None:
    """The store's entry of profile ``name``'s scorecard in ``config``'s language, or ``None``
    when it must be scored from the times (not stored, or a profile file: it may have changed
    since)."""
    if str(name).lower().endswith(".toml"):
        return None
    return {(e["profile"], e["lang"]): e for e in stored}.get((str(name), config.rendering.lang))


def _unscored(config: AnalysisConfig, stored: list[dict[str, Any]]) -> list[Any]:
    """The profiles of ``config`` that must be scored from the times (by the areas' polygons)."""
    return [name for name in config.options.profiles if _saved_scorecard(config, stored, name) is None]
