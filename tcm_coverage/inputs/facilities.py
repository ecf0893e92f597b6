"""Read and validate facility tables: CSV, XLSX, GeoJSON or GeoPackage, Chinese or English columns.

Every facility gets a *tier* (the level the plans talk about) and a *kind* (the finer type):

============================  =================================================  ===================
tier                          kinds (Chinese type strings accepted)               role
============================  =================================================  ===================
``county_tcm``                ``county_tcm_hospital`` (县级中医医院, 中医医院,    county TCM presence
                              中西医结合医院, 民族医医院 …)
``township_centre``           ``township_health_centre`` (乡镇卫生院),            hosts a 中医馆
                              ``community_health_centre`` (社区卫生服务中心)
``village_station``           ``village_clinic`` (村卫生室),                       may host a 中医阁
                              ``community_health_station`` (社区卫生服务站)
``other``                     ``tcm_clinic`` (中医诊所, 中医门诊部 …),             TCM points only when
                              ``general_hospital`` (综合医院, 县人民医院 …),       the user says so
                              ``other_clinic`` (诊所, 门诊部)
============================  =================================================  ===================

**Map-service POI exports** (高德 Amap, 百度 Baidu, 腾讯 Tencent) load as they are: when the
type column holds POI categories (``医疗保健服务;综合医院;卫生院``, several joined by ``|``) or
there is no type column, each row's type is inferred from its name and categories by the rule
table of :mod:`tcm_coverage.inputs.facility_rules`; pet clinics, cosmetic surgery, dental-only places
and pharmacies are left out with a count, rows no rule types are listed and left out, and
:attr:`FacilityTable.review` says how each row was typed (the ``设施类型识别`` sheet of
``coverage.xlsx``, itself a typed table to correct and rerun with). A location column
(``location``, ``"lon,lat"`` as in Amap's API) replaces lon/lat columns. In a typed table the
type values ``不计入``/``exclude`` and ``未识别``/``unrecognised`` leave a row out; any other
unknown type string is an error listing the accepted ones.

**Unknown is not no.** The 中医馆/中医阁 flags are ``True``/``False`` where the table says so and
``<NA>`` (pandas ``boolean``) where the column is missing or the cell blank; staff and bed counts
are ``NaN`` where not given. Use :func:`flag_values` to get both the known-yes and the unknown
masks; never treat ``<NA>`` as ``False`` silently.

Tables are read by :func:`tcm_coverage._tables.read_table` (UTF-8/GBK/GB18030 CSV, XLSX with
title rows above the header, several sheets); yes/no cells by
:func:`tcm_coverage._tables.parse_yes_no`. The accepted type strings and column names are in
:mod:`tcm_coverage.inputs.facility_types`, the review sheet in
:mod:`tcm_coverage.inputs.facility_review`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage._tables import TABLE_SUFFIXES, find_columns, read_table
from tcm_coverage.i18n import text
from tcm_coverage.inputs.chinacrs import normalize_datum
from tcm_coverage.inputs.facility_columns import TypedRows, build_facilities
from tcm_coverage.inputs.facility_review import mark_halls, review_frame
from tcm_coverage.inputs.facility_rules import TypeResult, poi_source
from tcm_coverage.inputs.facility_types import (
    COLUMN_ALIASES,
    KNOWN_COLUMNS,
    TYPE_NAMES,
    excluded_counts,
    hall_evidence,
    type_rows,
)
from tcm_coverage.inputs.flags import flag_values

logger = logging.getLogger(__name__)

__all__ = ["FacilityTable", "flag_values", "load_facilities", "read_facilities"]

_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")

#: Map services whose exports are GCJ-02 / BD-09, as a warning names them.
_GCJ_SERVICES = {"amap": "Amap (高德)", "tencent": "Tencent (腾讯)"}


@dataclass(frozen=True)
class FacilityTable:
    """A facility table as read, with how its types were found.

    Attributes
    ----------
    facilities
        The facilities (see :func:`read_facilities`).
    review
        One row per input row when types were inferred from a POI export (or blank type cells),
        else ``None``: ``row``, ``name``, ``category``, ``kind`` (``None`` when left out),
        ``action`` (``counted`` / ``excluded`` / ``unrecognised``), ``rule_id``, ``note``
        (English), ``note_zh``, and the input cells needed to read the sheet back (``lon``,
        ``lat`` as given, ``zhongyiguan``, ``zhongyige``, ``facility_id``, ``datum``, counts).
        Render it with :func:`~tcm_coverage.inputs.facility_review.review_sheet`.
    excluded
        Rule id -> number of rows left out by it (``""``: rows no rule could type).
    source
        ``"typed"`` (the type column holds accepted type names) or ``"poi"`` (types inferred),
        with the map service when recognisable (``"poi:amap"``).
    """

    facilities: gpd.GeoDataFrame
    review: pd.DataFrame | None = None
    excluded: dict[str, int] = field(default_factory=dict)
    source: str = "typed"


@dataclass(frozen=True, eq=False)
class _Rows:
    """The input's rows: cells, spreadsheet row numbers, and point lon/lat of a vector file."""

    frame: pd.DataFrame
    rows: np.ndarray
    lonlat: tuple[np.ndarray, np.ndarray] | None

    def take(self, index: np.ndarray) -> _Rows:
        """The rows at ``index`` (a boolean mask or positions), with a new index 0..n-1."""
        positions = np.flatnonzero(index) if index.dtype == bool else index
        lonlat = (None if self.lonlat is None
                  else (self.lonlat[0][positions], self.lonlat[1][positions]))
        return _Rows(self.frame.iloc[positions].reset_index(drop=True), self.rows[positions], lonlat)


# --------------------------------------------------------------------------------------------
# reading the rows


def _read_vector(path: Path, *, layer: str | None) -> tuple[_Rows, str]:
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several types
        raise InputError(f"cannot read the file ({exc})", path=path,
                         fix="check that it is a valid GeoJSON/GeoPackage/Shapefile") from exc
    if gdf.crs is not None and not gdf.crs.is_geographic:
        gdf = gdf.to_crs(4326)
    if len(gdf) and not gdf.geom_type.isin(["Point"]).all():
        bad = np.flatnonzero(~gdf.geom_type.isin(["Point"]).to_numpy()) + 1
        raise InputError("facilities must be points", path=path, row=bad.tolist(),
                         fix="store each facility as a Point feature")
    if gdf.empty:
        raise InputError("the file has no facilities", path=path,
                         fix="add one row per facility under the header")
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame.columns = [str(c).strip() for c in frame.columns]
    lonlat = (gdf.geometry.x.to_numpy(float), gdf.geometry.y.to_numpy(float))
    return _Rows(frame, np.arange(1, len(frame) + 1), lonlat), "features"


def _read_any(path: Path, *, sheet: str | int | None, layer: str | None) -> tuple[_Rows, str]:
    """The input's rows and where its header was found (for messages)."""
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        table = read_table(path, sheet=sheet, known=KNOWN_COLUMNS, what="facility table")
        if table.frame.empty:
            raise InputError("the file has no facilities", path=path,
                             fix="add one row per facility under the header")
        return _Rows(table.frame, table.rows, None), table.where()
    if suffix in _VECTOR_SUFFIXES:
        return _read_vector(path, layer=layer)
    raise InputError(
        f"unsupported file type '{suffix}'", path=path,
        fix="use CSV, XLSX, GeoJSON or GeoPackage (.csv, .xlsx, .geojson, .gpkg, .shp)",
    )


def _duplicate_note(pairs: list[tuple[int, int]], file: str, lang: str) -> str:
    shown = text("inputs.duplicate_sep", lang).join(
        text("inputs.duplicate_pair", lang, row=r, first=f) for r, f in pairs[:5])
    if len(pairs) > 5:
        shown += text("inputs.duplicate_more", lang)
    return text("inputs.duplicate_rows", lang, file=file, n=len(pairs), shown=shown)


def _drop_exact_duplicates(data: _Rows, *, path: Path) -> tuple[_Rows, list[tuple[str, str]]]:
    """Keep the first of rows that repeat another row in every cell (an export pasted twice).

    Such a row describes the same facility, so it is counted once, with a warning naming the
    rows; rows that differ in any cell are kept (and a repeated id among them is an error).
    """
    cells = data.frame.astype(str)
    if data.lonlat is not None:
        cells = cells.assign(_lon=data.lonlat[0].astype(str), _lat=data.lonlat[1].astype(str))
    dup = cells.duplicated(keep="first").to_numpy()
    if not dup.any():
        return data, []
    first = cells.groupby(list(cells.columns), sort=False, dropna=False).ngroup().to_numpy()
    first_row = {g: data.rows[i] for i, g in reversed(list(enumerate(first)))}
    pairs = [(int(data.rows[i]), int(first_row[first[i]])) for i in np.flatnonzero(dup)]
    en = _duplicate_note(pairs, path.name, "en")
    zh = _duplicate_note(pairs, path.name, "zh")
    logger.warning("%s", en)
    return data.take(~dup), [(en, zh)]


def _find_fields(frame: pd.DataFrame, *, has_geometry: bool, path: Path,
                 where: str) -> dict[str, str | None]:
    """The input's column for every field of :data:`COLUMN_ALIASES`; an error naming what is missing."""
    columns = list(frame.columns)
    found = find_columns(columns, COLUMN_ALIASES)
    has_coords = has_geometry or (found["lon"] is not None and found["lat"] is not None) \
        or found["location"] is not None
    missing = [k for k in ("name",) if found[k] is None] + ([] if has_coords else ["lon", "lat"])
    if missing:
        wanted = "; ".join(f"{k}: {' / '.join(COLUMN_ALIASES[k][:4])}" for k in missing)
        raise InputError(
            f"missing column(s) {missing}; the file has {columns} ({where})",
            path=path, fix=f"name the columns as one of: {wanted} (a POI export needs no type "
                           "column; a typed table has 类型: one of " + ", ".join(TYPE_NAMES["village_clinic"][:1]
                           + TYPE_NAMES["township_health_centre"][:1] + TYPE_NAMES["county_tcm_hospital"][:1]) + " …)",
        )
    return found


def _log_inferred(path: Path, rows: np.ndarray, results: list[TypeResult],
                  excluded: Mapping[str, int]) -> None:
    n_counted = sum(1 for r in results if r.kind is not None)
    n_unrec = excluded.get("", 0)
    left_out = {k: v for k, v in excluded.items() if k}
    logger.warning(
        "%s: facility types inferred from names and POI categories (rules of "
        "tcm_coverage.inputs.facility_rules): %d counted, %d left out (%s), %d not recognised%s; "
        "check the 设施类型识别 sheet of coverage.xlsx",
        path, n_counted, sum(left_out.values()),
        ", ".join(f"{k}: {v}" for k, v in sorted(left_out.items())) or "none", n_unrec,
        (" (rows " + ", ".join(str(int(rows[i])) for i, r in enumerate(results)
                               if r.action == "unrecognised")[:200] + ")") if n_unrec else "")


def _warn_map_datum(path: Path, service: str | None, *, datum: str,
                    datum_given: bool) -> None:
    """Warn when a map-service export (GCJ-02 / BD-09 numbers) is read as WGS-84."""
    if datum_given or normalize_datum(datum) != "wgs84":
        return
    if service in _GCJ_SERVICES:
        logger.warning("%s looks like an %s export, whose coordinates are GCJ-02; they are read as "
                       "WGS-84: pass --facilities-datum gcj02 unless they were converted",
                       path, _GCJ_SERVICES[service])
    if service == "baidu":
        logger.warning("%s looks like a Baidu (百度) export, whose coordinates are BD-09; they are "
                       "read as WGS-84: pass --facilities-datum bd09 unless they were converted", path)


# --------------------------------------------------------------------------------------------
# the reader


def read_facilities(
    path: str | PathLike[str],
    *,
    datum: str = "wgs84",
    datum_column: str | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a facility table and return validated facilities in WGS-84.

    The same as ``load_facilities(...).facilities`` (see :func:`load_facilities`, which also
    gives the type review of a POI export).

    Parameters
    ----------
    path
        CSV (UTF-8, UTF-8 with BOM, GBK or GB18030), XLSX, GeoJSON or GeoPackage file; a typed
        table or a map-service POI export.
    datum
        Datum of the coordinates: ``"wgs84"``, ``"gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu).
        Any spelling accepted by :func:`tcm_coverage.inputs.chinacrs.normalize_datum`.
    datum_column
        Column giving the datum per row (overrides ``datum`` where filled). A column named
        坐标系 / datum is used automatically.
    sheet
        Sheet of an XLSX workbook: name or 1-based number (default: the sheet whose header
        holds the most facility column names).
    layer
        Layer of a GeoPackage.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``facility_id``, ``name``, ``type`` (as given: the type string, or the POI
        category), ``kind``, ``tier``, ``type_rule`` (the rule of
        :mod:`tcm_coverage.inputs.facility_rules` that typed the row, ``"T"`` when the type column
        gave it), ``zhongyiguan``, ``zhongyige`` (``boolean``: ``<NA>`` when unknown),
        ``is_tcm_clinic``, ``tcm_gps``, ``tcm_physicians``, ``physicians``, ``beds``,
        ``tcm_beds`` (NaN when absent or blank), ``source_row`` (spreadsheet row; feature
        number for vector files) and Point geometry in EPSG:4326. A row that repeats an
        earlier row in every cell is counted once, with a warning (also in
        ``attrs["input_warnings"]`` as (English, Chinese) pairs).

    Raises
    ------
    InputError
        Missing file or columns, unknown facility types, bad coordinates or flags; the message
        names the file, the rows and the fix.
    """
    return load_facilities(path, datum=datum, datum_column=datum_column, sheet=sheet,
                           layer=layer).facilities


def load_facilities(
    path: str | PathLike[str],
    *,
    datum: str = "wgs84",
    datum_column: str | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
) -> FacilityTable:
    """Read a facility table (typed, or a map-service POI export) with its type review.

    Parameters
    ----------
    path, datum, datum_column, sheet, layer
        See :func:`read_facilities`.

    Returns
    -------
    FacilityTable
        The facilities, and for a POI export the review of every row's type and the counts
        of rows left out per rule.

    Raises
    ------
    InputError
        See :func:`read_facilities`.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path, fix="check the path")
    data, where = _read_any(path, sheet=sheet, layer=layer)
    data, notes = _drop_exact_duplicates(data, path=path)
    found = _find_fields(data.frame, has_geometry=data.lonlat is not None, path=path, where=where)
    mode, results = type_rows(data.frame, data.rows, found, path=path)
    keep = np.array([r.kind is not None for r in results], bool)
    excluded = excluded_counts(results)
    name_column = found["name"]
    assert name_column is not None
    hall, evidence = hall_evidence(data.frame, data.rows, name_column, results)

    review = None
    source = "typed"
    if mode == "poi":
        review = mark_halls(review_frame(data.frame, found, data.rows, results, evidence), hall)
        types = data.frame[found["type"]] if found["type"] is not None else None
        service = poi_source(types.dropna()) if types is not None else None
        source = "poi" + (f":{service}" if service else "")
        _log_inferred(path, data.rows, results, excluded)
        _warn_map_datum(path, service, datum=datum,
                        datum_given=datum_column is not None or found["datum"] is not None)
    elif excluded:
        logger.warning("%s: %d rows left out (type 不计入/未识别)", path, sum(excluded.values()))
    if not keep.any():
        raise InputError(
            "no row is a health facility this tool counts"
            + (" (every row was left out or not recognised by the type rules)" if mode == "poi" else ""),
            path=path, fix="check the type column (类型) or the names; see the rules in "
                           "tcm_coverage.inputs.facility_rules",
        )
    index = np.flatnonzero(keep)
    kept = data.take(index)
    typed = TypedRows(frame=kept.frame, rows=kept.rows, lonlat=kept.lonlat, found=found,
                      kinds=pd.Series([results[i].kind for i in index], dtype=object),
                      rule_ids=[results[i].rule_id for i in index],
                      halls=[hall.get(int(i), "") for i in index])
    gdf = build_facilities(typed, path=path, datum=datum, datum_column=datum_column)
    gdf.attrs["input_warnings"] = notes  # (English, Chinese) pairs for 说明 and run.json
    logger.info("read %d facilities from %s (%s)", len(gdf), path,
                ", ".join(f"{k}: {v}" for k, v in gdf["kind"].value_counts().items()))
    return FacilityTable(facilities=gdf, review=review, excluded=excluded, source=source)


