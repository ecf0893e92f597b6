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

Unknown type strings are an error listing the accepted ones.
"""

from __future__ import annotations

import logging
import re
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage.chinacrs import convert, normalize_datum, validate_lonlat
from tcm_coverage.validation import MAX_FACILITY_COUNT

logger = logging.getLogger(__name__)

TIERS: tuple[str, ...] = ("county_tcm", "township_centre", "village_station", "other")

KIND_TIER: dict[str, str] = {
    "county_tcm_hospital": "county_tcm",
    "township_health_centre": "township_centre",
    "community_health_centre": "township_centre",
    "village_clinic": "village_station",
    "community_health_station": "village_station",
    "tcm_clinic": "other",
    "general_hospital": "other",
    "other_clinic": "other",
}

# Accepted type strings per kind. Matching ignores case, spaces, hyphens, underscores and
# full-width/half-width parentheses.
TYPE_NAMES: dict[str, tuple[str, ...]] = {
    "county_tcm_hospital": (
        "县级中医医院", "县中医医院", "县中医院", "区中医医院", "区中医院", "市中医医院",
        "中医医院", "中医院", "县级中医院", "中西医结合医院", "民族医医院", "蒙医医院", "藏医医院",
        "维医医院", "county TCM hospital", "TCM hospital", "integrated Chinese and western medicine hospital",
    ),
    "township_health_centre": (
        "乡镇卫生院", "卫生院", "中心卫生院", "乡卫生院", "镇卫生院", "township health centre",
        "township health center", "township hospital",
    ),
    "community_health_centre": (
        "社区卫生服务中心", "社区中心", "community health service centre",
        "community health service center", "community health centre", "community health center",
    ),
    "village_clinic": ("村卫生室", "卫生室", "村诊所", "village clinic", "village health clinic"),
    "community_health_station": (
        "社区卫生服务站", "社区服务站", "卫生服务站", "community health station",
        "community health service station",
    ),
    "tcm_clinic": (
        "中医诊所", "中医门诊部", "中医综合诊所", "中西医结合诊所", "中西医结合门诊部", "中医坐堂诊所",
        "国医堂", "TCM clinic", "TCM outpatient department", "TCM outpatient clinic",
    ),
    "general_hospital": (
        "综合医院", "县人民医院", "人民医院", "县医院", "医院", "专科医院", "妇幼保健院",
        "general hospital", "hospital", "county hospital",
    ),
    "other_clinic": ("诊所", "门诊部", "医务室", "clinic", "outpatient department"),
}

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "facility_id": ("编号", "序号", "机构编码", "机构代码", "统一社会信用代码", "facility_id", "id", "code"),
    "name": ("名称", "机构名称", "医疗机构名称", "单位名称", "设施名称", "name", "facility_name"),
    "type": ("类型", "机构类型", "机构类别", "类别", "设施类型", "type", "facility_type", "kind"),
    "lon": ("经度", "东经", "lon", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "北纬", "lat", "latitude", "y"),
    "zhongyiguan": ("中医馆", "有中医馆", "是否有中医馆", "是否建有中医馆", "zhongyiguan",
                    "has_zhongyiguan", "tcm_hall"),
    "zhongyige": ("中医阁", "有中医阁", "是否有中医阁", "是否建有中医阁", "zhongyige",
                  "has_zhongyige", "tcm_corner"),
    "tcm_gps": ("中医类别全科医生数", "中医全科医生数", "中医全科医生", "tcm_gps", "tcm_general_practitioners"),
    "tcm_physicians": ("中医执业医师数", "中医类别执业(助理)医师数", "中医执业(助理)医师数", "中医医师数",
                       "中医医生数", "tcm_physicians"),
    "physicians": ("执业医师数", "执业(助理)医师数", "医师数", "医生数", "physicians"),
    "beds": ("床位数", "床位", "实有床位数", "编制床位数", "beds"),
    "tcm_beds": ("中医床位数", "中医床位", "tcm_beds"),
    "datum": ("坐标系", "坐标系统", "datum", "coordinate_system", "crs"),
}

_BOOL_TRUE = {"是", "有", "y", "yes", "true", "t", "1", "√", "✓", "已建", "建成", "已建成"}
_BOOL_FALSE = {"否", "无", "没有", "n", "no", "false", "f", "0", "×", "✗", "未建", "", "nan", "none"}

_COUNT_COLUMNS = ("tcm_gps", "tcm_physicians", "physicians", "beds", "tcm_beds")

_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")
_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")


def _norm(text: object) -> str:
    s = str(text).strip().lower()
    s = s.replace("（", "(").replace("）", ")")
    return re.sub(r"[\s_\-]+", "", s)


_TYPE_LOOKUP: dict[str, str] = {_norm(n): kind for kind, names in TYPE_NAMES.items() for n in names}
_TYPE_LOOKUP.update({_norm(kind): kind for kind in TYPE_NAMES})


def accepted_types() -> str:
    """Return a human-readable list of the accepted facility type strings, grouped by tier.

    Returns
    -------
    str
        One line per tier with its accepted type strings.
    """
    lines = []
    for tier in TIERS:
        names = [n for kind, t in KIND_TIER.items() if t == tier for n in TYPE_NAMES[kind]]
        lines.append(f"{tier}: " + ", ".join(names))
    return "; ".join(lines)


def classify_types(types: pd.Series) -> pd.Series:
    """Map facility type strings to kinds (see the module docstring).

    Parameters
    ----------
    types
        Type strings as given in the input.

    Returns
    -------
    pandas.Series
        The kind of each row, or NaN where the string is not recognised.
    """
    return types.map(lambda t: _TYPE_LOOKUP.get(_norm(t)) if pd.notna(t) else None)


def _find_column(columns: list[str], key: str) -> str | None:
    normed = {_norm(c): c for c in columns}
    for alias in COLUMN_ALIASES[key]:
        if _norm(alias) in normed:
            return normed[_norm(alias)]
    return None


def _read_table(path: Path, *, sheet: str | int | None) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            return pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=object)
        except ValueError as exc:  # unknown sheet
            raise InputError(str(exc), path=path, fix="pass the sheet name with --sheet") from exc
    last: Exception | None = None
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return pd.read_csv(path, dtype=object, encoding=encoding, keep_default_na=False)
        except UnicodeDecodeError as exc:
            last = exc
        except pd.errors.EmptyDataError as exc:
            raise InputError("the file is empty", path=path,
                             fix="export the facility table with a header row and one row per facility") from exc
    raise InputError(f"cannot decode the text ({last})", path=path,
                     fix="save the CSV as UTF-8 (or GBK) text")


def _parse_bool(values: pd.Series, *, path: Path, column: str, rows: np.ndarray) -> np.ndarray:
    normed = values.map(lambda v: _norm(v) if pd.notna(v) else "")
    true = normed.isin(_BOOL_TRUE).to_numpy()
    false = normed.isin(_BOOL_FALSE).to_numpy()
    bad = ~(true | false)
    if bad.any():
        shown = values[bad].astype(str).unique()[:5].tolist()
        raise InputError(
            f"cannot read yes/no values {shown}",
            path=path, row=rows[bad].tolist(), column=column,
            fix="write 是/否 (or yes/no, 1/0); blank means no",
        )
    return true


def _parse_count(values: pd.Series, *, path: Path, column: str, rows: np.ndarray) -> np.ndarray:
    text = values.astype(str).str.strip()
    blank = values.isna().to_numpy() | text.isin(["", "nan", "None", "-"]).to_numpy()
    numbers = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=float)
    bad = (~blank & ~np.isfinite(numbers)) | (numbers < 0) | (numbers > MAX_FACILITY_COUNT)
    if bad.any():
        raise InputError(
            f"staff and bed counts must be non-negative numbers up to {MAX_FACILITY_COUNT:,.0f}, got "
            f"{values[bad].astype(str).unique()[:5].tolist()}",
            path=path, row=rows[bad].tolist(), column=column,
            fix="write the count (or leave the cell blank when unknown)",
        )
    return numbers


def _drop_exact_duplicates(
    frame: pd.DataFrame, rows: np.ndarray,
    geometry_lonlat: tuple[np.ndarray, np.ndarray] | None, *, path: Path,
) -> tuple[pd.DataFrame, np.ndarray, tuple[np.ndarray, np.ndarray] | None, list[tuple[str, str]]]:
    """Keep the first of rows that repeat another row in every cell (an export pasted twice).

    Such a row describes the same facility, so it is counted once, with a warning naming the
    rows; rows that differ in any cell are kept (and a repeated id among them is an error).
    """
    cells = frame.astype(str)
    if geometry_lonlat is not None:
        cells = cells.assign(_lon=geometry_lonlat[0].astype(str), _lat=geometry_lonlat[1].astype(str))
    dup = cells.duplicated(keep="first").to_numpy()
    if not dup.any():
        return frame, rows, geometry_lonlat, []
    first = cells.groupby(list(cells.columns), sort=False, dropna=False).ngroup().to_numpy()
    first_row = {g: rows[i] for i, g in reversed(list(enumerate(first)))}
    pairs = [(int(rows[i]), int(first_row[first[i]])) for i in np.flatnonzero(dup)]
    shown = ", ".join(f"{r} = {f}" for r, f in pairs[:5]) + (" ..." if len(pairs) > 5 else "")
    shown_zh = "、".join(f"第{r}行同第{f}行" for r, f in pairs[:5]) + ("…" if len(pairs) > 5 else "")
    en = (f"{path.name}: {len(pairs)} row(s) repeat an earlier row exactly (rows {shown}); "
          "each facility is counted once")
    zh = f"{path.name}：{len(pairs)} 行与前面某行完全相同（{shown_zh}），每个设施只计一次"
    logger.warning("%s", en)
    keep = ~dup
    if geometry_lonlat is not None:
        geometry_lonlat = (geometry_lonlat[0][keep], geometry_lonlat[1][keep])
    return frame[keep].reset_index(drop=True), rows[keep], geometry_lonlat, [(en, zh)]


def read_facilities(
    path: str | PathLike[str],
    *,
    datum: str = "wgs84",
    datum_column: str | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a facility table and return validated facilities in WGS-84.

    Parameters
    ----------
    path
        CSV (UTF-8, UTF-8 with BOM or GBK), XLSX, GeoJSON or GeoPackage file.
    datum
        Datum of the coordinates: ``"wgs84"``, ``"gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu).
        Any spelling accepted by :func:`tcm_coverage.chinacrs.normalize_datum`.
    datum_column
        Column giving the datum per row (overrides ``datum`` where filled). A column named
        坐标系 / datum is used automatically.
    sheet
        Sheet of an XLSX workbook (default: the first).
    layer
        Layer of a GeoPackage.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``facility_id``, ``name``, ``type`` (as given), ``kind``, ``tier``,
        ``zhongyiguan``, ``zhongyige``, ``is_tcm_clinic``, ``tcm_gps``, ``tcm_physicians``,
        ``physicians``, ``beds``, ``tcm_beds`` (NaN when absent), ``source_row`` (spreadsheet
        row, header = 1; feature number for vector files) and Point geometry in EPSG:4326.
        A row that repeats an earlier row in every cell is counted once, with a warning
        (also in ``attrs["input_warnings"]`` as (English, Chinese) pairs).

    Raises
    ------
    InputError
        Missing file or columns, unknown facility types, bad coordinates or flags; the message
        names the file, the rows and the fix.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path, fix="check the path")
    suffix = path.suffix.lower()
    geometry_lonlat: tuple[np.ndarray, np.ndarray] | None = None
    if suffix in _TABLE_SUFFIXES:
        frame = _read_table(path, sheet=sheet)
        first_row = 2
    elif suffix in _VECTOR_SUFFIXES:
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
        frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        geometry_lonlat = (gdf.geometry.x.to_numpy(float), gdf.geometry.y.to_numpy(float))
        first_row = 1
    else:
        raise InputError(
            f"unsupported file type '{suffix}'", path=path,
            fix="use CSV, XLSX, GeoJSON or GeoPackage (.csv, .xlsx, .geojson, .gpkg, .shp)",
        )
    if frame.empty:
        raise InputError("the file has no facilities", path=path,
                         fix="add one row per facility under the header")
    frame.columns = [str(c).strip() for c in frame.columns]
    columns = list(frame.columns)
    rows = np.arange(first_row, first_row + len(frame))
    frame, rows, geometry_lonlat, notes = _drop_exact_duplicates(frame, rows, geometry_lonlat,
                                                                 path=path)

    found = {key: _find_column(columns, key) for key in COLUMN_ALIASES}
    required = ["name", "type"] + (["lon", "lat"] if geometry_lonlat is None else [])
    missing = [k for k in required if found[k] is None]
    if missing:
        wanted = "; ".join(f"{k}: {' / '.join(COLUMN_ALIASES[k][:4])}" for k in missing)
        raise InputError(
            f"missing column(s) {missing}; the file has {columns}",
            path=path, fix=f"name the columns as one of: {wanted}",
        )

    # Types and tiers.
    types = frame[found["type"]]
    kinds = classify_types(types)
    unknown = kinds.isna().to_numpy()
    if unknown.any():
        shown = sorted({str(t) for t in types[unknown]})[:10]
        raise InputError(
            f"unknown facility type(s) {shown}",
            path=path, row=rows[unknown].tolist(), column=found["type"],
            fix=f"use one of the accepted types: {accepted_types()}",
        )
    kinds = kinds.astype(str)

    # Coordinates.
    if geometry_lonlat is None:
        lon = pd.to_numeric(frame[found["lon"]].astype(str).str.strip(), errors="coerce").to_numpy(float)
        lat = pd.to_numeric(frame[found["lat"]].astype(str).str.strip(), errors="coerce").to_numpy(float)
    else:
        lon, lat = geometry_lonlat
    validate_lonlat(lon, lat, path=path, rows=rows)

    datum_col = datum_column or found["datum"]
    default = normalize_datum(datum)
    if datum_col is not None:
        if datum_col not in frame.columns:
            raise InputError(f"datum column '{datum_col}' not found; the file has {columns}",
                             path=path, fix="pass the right column name")
        raw = frame[datum_col].astype(str).str.strip().where(frame[datum_col].notna(), "")
        datums = np.empty(len(frame), dtype=object)
        for value in raw.unique():  # one pass per distinct datum string, not per row
            sel = (raw == value).to_numpy()
            if value in ("", "nan", "None"):
                datums[sel] = default
                continue
            try:
                datums[sel] = normalize_datum(value)
            except InputError as exc:
                raise InputError(exc.message, path=path, row=rows[sel].tolist(), column=datum_col,
                                 fix=exc.fix) from exc
    else:
        datums = np.full(len(frame), default, dtype=object)
    out_lon = lon.copy()
    out_lat = lat.copy()
    for name in np.unique(datums):
        sel = datums == name
        out_lon[sel], out_lat[sel] = convert(lon[sel], lat[sel], src=name, dst="wgs84")

    # Identity.
    names = frame[found["name"]].astype(str).str.strip()
    blank_name = names.isin(["", "nan", "None"]).to_numpy()
    if blank_name.any():
        raise InputError("facility name is blank", path=path, row=rows[blank_name].tolist(),
                         column=found["name"], fix="give every facility a name")
    if found["facility_id"] is not None:
        ids = frame[found["facility_id"]].astype(str).str.strip()
        ids = ids.where(~ids.isin(["", "nan", "None"]), pd.Series([f"F{r}" for r in rows], index=ids.index))
    else:
        ids = pd.Series([f"F{r}" for r in rows], index=frame.index)
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError(f"duplicate facility ids {sorted(set(ids[dup]))[:5]}", path=path,
                         row=rows[dup].tolist(), column=found["facility_id"],
                         fix="make the id column unique (or remove it to number rows automatically)")

    out = pd.DataFrame(
        {
            "facility_id": ids.to_numpy(),
            "name": names.to_numpy(),
            "type": types.astype(str).str.strip().to_numpy(),
            "kind": kinds.to_numpy(),
            "tier": kinds.map(KIND_TIER).to_numpy(),
        }
    )
    for flag in ("zhongyiguan", "zhongyige"):
        col = found[flag]
        out[flag] = (np.zeros(len(frame), bool) if col is None
                     else _parse_bool(frame[col], path=path, column=col, rows=rows))
    # A 中医馆 belongs in a township/community centre, a 中医阁 in a village clinic/station; flags
    # elsewhere are kept but do not change the tier.
    out["is_tcm_clinic"] = (out["kind"] == "tcm_clinic").to_numpy() | (
        (out["tier"] == "other") & out["type"].str.contains("中医|中西医|TCM", case=False, regex=True)
    ).to_numpy()
    for key in _COUNT_COLUMNS:
        col = found[key]
        out[key] = (np.full(len(frame), np.nan) if col is None
                    else _parse_count(frame[col], path=path, column=col, rows=rows))
    out["source_row"] = rows
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out_lon, out_lat), crs="EPSG:4326")
    gdf.attrs["input_warnings"] = notes  # (English, Chinese) pairs for 说明 and run.json
    logger.info("read %d facilities from %s (%s)", len(gdf), path,
                ", ".join(f"{k}: {v}" for k, v in gdf["kind"].value_counts().items()))
    return gdf
