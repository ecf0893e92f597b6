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
title rows above the header, several sheets).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage._tables import TABLE_SUFFIXES, Table, find_column, normalize_name, read_table
from tcm_coverage._validate import MAX_FACILITY_COUNT
from tcm_coverage.inputs.chinacrs import convert, normalize_datum, validate_lonlat
from tcm_coverage.inputs.facility_rules import (
    KIND_LABELS,
    RULES,
    SKIP_LABELS,
    TypeResult,
    clean_name,
    infer_type,
    looks_like_category,
    poi_source,
)

logger = logging.getLogger(__name__)

__all__ = ["COLUMN_ALIASES", "KIND_TIER", "TIERS", "TYPE_NAMES", "FacilityTable", "accepted_types",
           "classify_types", "flag_values", "load_facilities", "read_facilities", "review_sheet"]

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
    # 识别类型 / inferred type first: the review sheet (设施类型识别) reads back as a typed table
    "type": ("识别类型", "inferred type", "类型", "机构类型", "机构类别", "类别", "设施类型", "type",
             "facility_type", "kind", "POI类型", "tag", "tags", "标签", "category", "分类"),
    "lon": ("经度", "东经", "lon", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "北纬", "lat", "latitude", "y"),
    "location": ("location", "坐标", "经纬度", "lnglat", "lonlat", "lon,lat", "lng,lat"),
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

_BOOL_TRUE = {"是", "有", "y", "yes", "true", "t", "1", "1.0", "√", "✓", "已建", "建成", "已建成"}
_BOOL_FALSE = {"否", "无", "没有", "n", "no", "false", "f", "0", "0.0", "×", "✗", "未建"}
#: Values meaning "not known" (a blank cell is also unknown, never "no").
_BOOL_UNKNOWN = {"", "nan", "none", "未知", "不详", "不清楚", "unknown", "?", "？", "-", "–", "无数据",
                 "nodata", "<na>"}

_COUNT_COLUMNS = ("tcm_gps", "tcm_physicians", "physicians", "beds", "tcm_beds")

_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")

_TYPE_LOOKUP: dict[str, str] = {normalize_name(n): kind for kind, names in TYPE_NAMES.items()
                                for n in names}
_TYPE_LOOKUP.update({normalize_name(kind): kind for kind in TYPE_NAMES})
_SKIP_LOOKUP: dict[str, str] = {normalize_name(label): action for action, labels in SKIP_LABELS.items()
                                for label in labels.values()}
_SKIP_LOOKUP.update({normalize_name(a): a for a in SKIP_LABELS})

_KNOWN_COLUMNS: tuple[str, ...] = tuple(a for aliases in COLUMN_ALIASES.values() for a in aliases
                                        if len(normalize_name(a)) > 1)


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
    return types.map(lambda t: _TYPE_LOOKUP.get(normalize_name(t)) if pd.notna(t) else None)


def flag_values(facilities: pd.DataFrame, flag: str) -> tuple[np.ndarray, np.ndarray]:
    """The known-yes and the unknown mask of a 中医馆/中医阁 flag column.

    Parameters
    ----------
    facilities
        Facilities (``zhongyiguan``/``zhongyige`` as ``boolean`` with ``<NA>`` for unknown, or
        plain ``bool``; a missing column is unknown everywhere).
    flag
        ``"zhongyiguan"`` or ``"zhongyige"``.

    Returns
    -------
    yes, unknown : numpy.ndarray
        Boolean arrays aligned with ``facilities``: known to have one; not known.
    """
    n = len(facilities)
    if flag not in facilities:
        return np.zeros(n, bool), np.ones(n, bool)
    col = facilities[flag]
    unknown = col.isna().to_numpy(bool)
    yes = col.where(~col.isna(), False).astype(bool).to_numpy(bool)
    return yes, unknown


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
        Render it with :func:`review_sheet`.
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


def _parse_bool(values: pd.Series, *, path: Path, column: str, rows: np.ndarray) -> pd.Series:
    """是/否 → True/False; blank or 未知 → <NA> (unknown, not no)."""
    normed = values.map(lambda v: normalize_name(v) if pd.notna(v) else "")
    true = normed.isin(_BOOL_TRUE).to_numpy()
    false = normed.isin(_BOOL_FALSE).to_numpy()
    unknown = normed.isin(_BOOL_UNKNOWN).to_numpy()
    bad = ~(true | false | unknown)
    if bad.any():
        shown = values[bad].astype(str).unique()[:5].tolist()
        raise InputError(
            f"cannot read yes/no values {shown}",
            path=path, row=rows[bad].tolist(), column=column,
            fix="write 是/否 (or yes/no, 1/0); leave the cell blank (or write 未知) when not known",
        )
    out = pd.array(np.where(true, True, False), dtype="boolean")
    out[unknown] = pd.NA
    return pd.Series(out, index=values.index)


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


def _blank(values: pd.Series) -> np.ndarray:
    text = values.astype(str).str.strip()
    return values.isna().to_numpy() | text.isin(["", "nan", "None"]).to_numpy()


def _split_location(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``"lon,lat"`` strings (Amap API ``location``) → lon, lat (NaN where unreadable)."""
    parts = values.astype(str).str.strip().str.split(r"\s*[,，;\s]\s*", n=1, regex=True, expand=True)
    if parts.shape[1] < 2:
        return np.full(len(values), np.nan), np.full(len(values), np.nan)
    lon = pd.to_numeric(parts[0], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(parts[1], errors="coerce").to_numpy(float)
    return lon, lat


def _type_mode(types: pd.Series | None) -> str:
    """``"typed"`` when every type cell is an accepted name (or 不计入/未识别), ``"poi"`` when the
    column is missing, has blank cells, or holds map-service categories, else ``"typos"``."""
    if types is None:
        return "poi"
    blank = _blank(types)
    if blank.any():
        return "poi"
    kinds = classify_types(types)
    skip = types.map(lambda t: normalize_name(t) in _SKIP_LOOKUP)
    unknown = types[kinds.isna().to_numpy() & ~skip.to_numpy()]
    if unknown.empty:
        return "typed"
    if unknown.map(looks_like_category).any():
        return "poi"
    return "typos"


def _infer(frame: pd.DataFrame, found: dict[str, str | None]) -> list[TypeResult]:
    names = frame[found["name"]]
    types = frame[found["type"]] if found["type"] is not None else pd.Series(np.nan, index=frame.index)
    listed = frozenset(clean_name(n) for n in names if pd.notna(n))
    out = []
    for name, value in zip(names, types, strict=True):
        if pd.notna(value) and normalize_name(value) in _TYPE_LOOKUP:
            out.append(TypeResult(_TYPE_LOOKUP[normalize_name(value)], "T", "counted"))
        elif pd.notna(value) and normalize_name(value) in _SKIP_LOOKUP:
            out.append(TypeResult(None, "T", _SKIP_LOOKUP[normalize_name(value)]))
        else:
            out.append(infer_type(name, value, listed_names=listed))
    return out


_RULE_T_NOTE = {"zh": "类型列已给出（可接受的类型名）", "en": "the type column gives an accepted type"}


def _review_frame(frame: pd.DataFrame, found: dict[str, str | None], rows: np.ndarray,
                  results: list[TypeResult], evidence: dict[int, str]) -> pd.DataFrame:
    rule_of = {r.rule_id: r for r in RULES}

    def note(res: TypeResult, lang: str) -> str:
        if res.rule_id == "T":
            text = _RULE_T_NOTE[lang]
        elif res.rule_id in rule_of:
            r = rule_of[res.rule_id]
            text = r.note_zh if lang == "zh" else r.note_en
        else:
            text = ("没有规则能识别：未计入，请在“识别类型”列填写类型后重新运行" if lang == "zh"
                    else "no rule types it: left out; write its type in “inferred type” and rerun")
        if res.via and res.rule_id != "X5":
            text += (f"（按所属机构名“{res.via}”识别）" if lang == "zh" else f" (typed by its facility's name {res.via})")
        if res.rule_id == "X5" and res.via:
            text += f"：{res.via}" if lang == "zh" else f": {res.via}"
        return text

    review = pd.DataFrame({
        "row": rows,
        "name": frame[found["name"]].to_numpy(object),
        "category": (frame[found["type"]].to_numpy(object) if found["type"] is not None
                     else np.full(len(frame), None, dtype=object)),
        "kind": [r.kind for r in results],
        "action": [r.action for r in results],
        "rule_id": [r.rule_id for r in results],
        "note": [note(r, "en") for r in results],
        "note_zh": [note(r, "zh") for r in results],
        "evidence": [evidence.get(i, "") for i in range(len(results))],
    })
    for key in ("lon", "lat", "location", "datum", "facility_id", "zhongyiguan", "zhongyige",
                *_COUNT_COLUMNS):
        col = found.get(key)
        if col is not None:
            review[key] = frame[col].to_numpy(object)
    return review


def review_sheet(review: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The review sheet ``设施类型识别`` of :attr:`FacilityTable.review`, ready for a workbook.

    Columns (Chinese, or English with ``lang="en"``): 行号/row, 名称/name, POI类别/POI
    category, 识别类型/inferred type (an accepted type name, ``不计入``/``exclude`` for rows
    left out, ``未识别``/``unrecognised`` for rows no rule typed), 规则/rule, 规则说明/rule note,
    then the input's coordinates, 中医馆/中医阁 and other facility columns as given. Read back
    with :func:`read_facilities` (``--sheet 设施类型识别``) it is a typed facility table: correct
    the 识别类型 column and rerun.

    Parameters
    ----------
    review
        :attr:`FacilityTable.review`.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        Every cell is plain text or a number (names are never formulas).
    """
    zh = lang == "zh"
    key = "zh" if zh else "en"
    kinds = [KIND_LABELS[k][key] if isinstance(k, str) else SKIP_LABELS[a][key]
             for k, a in zip(review["kind"], review["action"], strict=True)]
    headers = {
        "row": ("行号", "row"), "name": ("名称", "name"), "category": ("POI类别", "POI category"),
        "type": ("识别类型", "inferred type"), "rule_id": ("规则", "rule"),
        "note": ("规则说明", "rule note"), "evidence": ("中医馆/中医阁依据", "中医馆/中医阁 evidence"),
        "lon": ("经度", "lon"), "lat": ("纬度", "lat"), "location": ("location", "location"),
        "datum": ("坐标系", "datum"), "facility_id": ("编号", "facility_id"),
        "zhongyiguan": ("中医馆", "zhongyiguan"), "zhongyige": ("中医阁", "zhongyige"),
        "tcm_gps": ("中医类别全科医生数", "tcm_gps"), "tcm_physicians": ("中医执业医师数", "tcm_physicians"),
        "physicians": ("执业医师数", "physicians"), "beds": ("床位数", "beds"), "tcm_beds": ("中医床位数", "tcm_beds"),
    }
    out = pd.DataFrame({
        "row": review["row"].to_numpy(),
        "name": review["name"].to_numpy(object),
        "category": review["category"].to_numpy(object),
        "type": kinds,
        "rule_id": review["rule_id"].to_numpy(object),
        "note": review["note_zh" if zh else "note"].to_numpy(object),
    })
    if (review["evidence"] != "").any():
        out["evidence"] = review["evidence"].to_numpy(object)
    yes_no = {True: "是" if zh else "yes", False: "否" if zh else "no"}
    for col in ("lon", "lat", "location", "datum", "facility_id", "zhongyiguan", "zhongyige",
                *_COUNT_COLUMNS):
        if col in ("zhongyiguan", "zhongyige"):
            # always there, blank when unknown: the planner fills them in and reruns
            values = review[col] if col in review else pd.Series(None, index=review.index, dtype=object)
            out[col] = [yes_no[v] if isinstance(v, (bool, np.bool_)) else v for v in values]
        elif col in review:
            out[col] = review[col].to_numpy(object)
    return out.rename(columns={c: headers[c][0 if zh else 1] for c in out.columns})


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


def _read_any(path: Path, *, sheet: str | int | None,
              layer: str | None) -> tuple[pd.DataFrame, np.ndarray, tuple[np.ndarray, np.ndarray] | None, str]:
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        table: Table = read_table(path, sheet=sheet, known=_KNOWN_COLUMNS, what="facility table")
        if table.frame.empty:
            raise InputError("the file has no facilities", path=path,
                             fix="add one row per facility under the header")
        return table.frame, table.rows, None, table.where()
    if suffix in _VECTOR_SUFFIXES:
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
        return frame, np.arange(1, len(frame) + 1), lonlat, "features"
    raise InputError(
        f"unsupported file type '{suffix}'", path=path,
        fix="use CSV, XLSX, GeoJSON or GeoPackage (.csv, .xlsx, .geojson, .gpkg, .shp)",
    )


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
    frame, rows, geometry_lonlat, where = _read_any(path, sheet=sheet, layer=layer)
    frame, rows, geometry_lonlat, notes = _drop_exact_duplicates(frame, rows, geometry_lonlat,
                                                                 path=path)
    columns = list(frame.columns)
    found = {key: find_column(columns, aliases) for key, aliases in COLUMN_ALIASES.items()}
    has_coords = geometry_lonlat is not None or (found["lon"] is not None and found["lat"] is not None) \
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

    # Types and tiers: a typed table, or a POI export whose types are inferred by rules.
    types = frame[found["type"]] if found["type"] is not None else None
    mode = _type_mode(types)
    if mode == "typos":
        assert types is not None
        kinds = classify_types(types)
        skip = types.map(lambda t: normalize_name(t) in _SKIP_LOOKUP).to_numpy()
        unknown = kinds.isna().to_numpy() & ~skip
        shown = sorted({str(t) for t in types[unknown]})[:10]
        raise InputError(
            f"unknown facility type(s) {shown}",
            path=path, row=rows[unknown].tolist(), column=found["type"],
            fix=f"use one of the accepted types: {accepted_types()}; or write 不计入 to leave a row "
                "out (a map-service POI export with categories such as 医疗保健服务;诊所;诊所 is "
                "typed by rules)",
        )
    results = _infer(frame, found) if mode == "poi" else [
        TypeResult(k, "T", "counted") if isinstance(k, str) else
        TypeResult(None, "T", _SKIP_LOOKUP.get(normalize_name(t), "excluded"))
        for k, t in zip(classify_types(types), types, strict=True)]  # type: ignore[arg-type]
    keep = np.array([r.kind is not None for r in results], bool)
    excluded: dict[str, int] = {}
    for r in results:
        if r.kind is None:
            key = "" if r.action == "unrecognised" else r.rule_id
            excluded[key] = excluded.get(key, 0) + 1

    # Evidence of a 中医馆/中医阁 from a department POI (甲镇卫生院中医馆) for its facility.
    names_clean = [clean_name(n) for n in frame[found["name"]]]
    first_of = {}
    for i, n in enumerate(names_clean):
        first_of.setdefault(n, i)
    hall: dict[int, str] = {}
    evidence: dict[int, str] = {}
    for i, r in enumerate(results):
        if not r.hall:
            continue
        target = first_of.get(r.via) if r.rule_id == "X5" else i
        if target is not None and results[target].kind is not None:
            hall[target] = r.hall
            evidence[target] = f"{int(rows[i])}: {frame[found['name']].iat[i]}"

    review = None
    source = "typed"
    if mode == "poi":
        review = _review_frame(frame, found, rows, results, evidence)
        for flag in ("zhongyiguan", "zhongyige"):
            marked = [i for i, f in hall.items() if f == flag]
            if marked:  # the evidence reads back as 是 (True) in the review sheet
                values = review[flag] if flag in review else pd.Series(None, index=review.index, dtype=object)
                values = values.astype(object)
                blank = _blank(values.iloc[marked])
                values.iloc[[m for m, b in zip(marked, blank, strict=True) if b]] = True
                review[flag] = values
        service = poi_source(types.dropna()) if types is not None else None
        source = "poi" + (f":{service}" if service else "")
        n_unrec = excluded.get("", 0)
        left_out = {k: v for k, v in excluded.items() if k}
        logger.warning(
            "%s: facility types inferred from names and POI categories (rules of "
            "tcm_coverage.inputs.facility_rules): %d counted, %d left out (%s), %d not recognised%s; "
            "check the 设施类型识别 sheet of coverage.xlsx",
            path, int(keep.sum()), sum(left_out.values()),
            ", ".join(f"{k}: {v}" for k, v in sorted(left_out.items())) or "none", n_unrec,
            (" (rows " + ", ".join(str(int(rows[i])) for i, r in enumerate(results)
                                   if r.action == "unrecognised")[:200] + ")") if n_unrec else "")
        if service in ("amap", "tencent") and normalize_datum(datum) == "wgs84" and datum_column is None \
                and found["datum"] is None:
            logger.warning("%s looks like an %s export, whose coordinates are GCJ-02; they are read as "
                           "WGS-84: pass --facilities-datum gcj02 unless they were converted",
                           path, {"amap": "Amap (高德)", "tencent": "Tencent (腾讯)"}[service])
        if service == "baidu" and normalize_datum(datum) == "wgs84" and datum_column is None \
                and found["datum"] is None:
            logger.warning("%s looks like a Baidu (百度) export, whose coordinates are BD-09; they are "
                           "read as WGS-84: pass --facilities-datum bd09 unless they were converted", path)
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
    sub = frame.iloc[index].reset_index(drop=True)
    rows = rows[index]
    kinds = pd.Series([results[i].kind for i in index], dtype=object)
    rule_ids = [results[i].rule_id for i in index]
    halls = [hall.get(i, "") for i in index]
    if geometry_lonlat is not None:
        geometry_lonlat = (geometry_lonlat[0][index], geometry_lonlat[1][index])
    gdf = _build(sub, found, rows, kinds, rule_ids, halls, geometry_lonlat, path=path, datum=datum,
                 datum_column=datum_column)
    gdf.attrs["input_warnings"] = notes  # (English, Chinese) pairs for 说明 and run.json
    logger.info("read %d facilities from %s (%s)", len(gdf), path,
                ", ".join(f"{k}: {v}" for k, v in gdf["kind"].value_counts().items()))
    return FacilityTable(facilities=gdf, review=review, excluded=excluded, source=source)


def _build(frame: pd.DataFrame, found: dict[str, str | None], rows: np.ndarray, kinds: pd.Series,
           rule_ids: list[str], halls: list[str], geometry_lonlat: tuple[np.ndarray, np.ndarray] | None,
           *, path: Path, datum: str, datum_column: str | None) -> gpd.GeoDataFrame:
    columns = list(frame.columns)
    # Coordinates.
    if geometry_lonlat is not None:
        lon, lat = geometry_lonlat
    elif found["lon"] is not None and found["lat"] is not None:
        lon = pd.to_numeric(frame[found["lon"]].astype(str).str.strip(), errors="coerce").to_numpy(float)
        lat = pd.to_numeric(frame[found["lat"]].astype(str).str.strip(), errors="coerce").to_numpy(float)
    else:
        lon, lat = _split_location(frame[found["location"]])
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
    blank_name = _blank(frame[found["name"]])
    names = frame[found["name"]].where(~blank_name, "").astype(str).str.strip()
    if blank_name.any():
        raise InputError("facility name is blank", path=path, row=rows[blank_name].tolist(),
                         column=found["name"], fix="give every facility a name")
    if found["facility_id"] is not None:
        blank_id = _blank(frame[found["facility_id"]])
        ids = frame[found["facility_id"]].where(~blank_id, "").astype(str).str.strip()
        ids = ids.where(~blank_id, pd.Series([f"F{r}" for r in rows], index=ids.index))
    else:
        ids = pd.Series([f"F{r}" for r in rows], index=frame.index)
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError(f"duplicate facility ids {sorted(set(ids[dup]))[:5]}", path=path,
                         row=rows[dup].tolist(), column=found["facility_id"],
                         fix="make the id column unique (or remove it to number rows automatically)")

    types = (frame[found["type"]].where(frame[found["type"]].notna(), "").astype(str).str.strip()
             if found["type"] is not None else pd.Series("", index=frame.index))
    out = pd.DataFrame(
        {
            "facility_id": ids.to_numpy(),
            "name": names.to_numpy(),
            "type": types.to_numpy(),
            "kind": kinds.to_numpy(),
            "tier": kinds.map(KIND_TIER).to_numpy(),
            "type_rule": np.asarray(rule_ids, dtype=object),
        }
    )
    hall = np.asarray(halls, dtype=object)
    for flag in ("zhongyiguan", "zhongyige"):
        col = found[flag]
        values = (pd.Series(pd.array([pd.NA] * len(frame), dtype="boolean"))
                  if col is None else _parse_bool(frame[col], path=path, column=col, rows=rows))
        values = values.reset_index(drop=True)
        evidence = (hall == flag) & values.isna().to_numpy()
        if evidence.any():
            values[evidence] = True
        out[flag] = values.array
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
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out_lon, out_lat), crs="EPSG:4326")
