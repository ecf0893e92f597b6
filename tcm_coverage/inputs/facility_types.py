"""The facility table's types: tiers and kinds, accepted type strings, column names, typing rows.

Every facility gets a *tier* (the level the plans talk about, :data:`tcm_coverage.vocab.TIERS`)
and a *kind* (the finer type, a key of :data:`KIND_TIER`); :data:`TYPE_NAMES` lists the type
strings a table may write for each kind and :data:`COLUMN_ALIASES` the accepted column names.
Reading the table is :mod:`tcm_coverage.inputs.facilities`; typing POI exports by rules is
:mod:`tcm_coverage.inputs.facility_rules`; :func:`type_rows` decides, per table, whether its
type column is read as given (a typed table) or the rules type each row (a POI export).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage._tables import alias_names, blank_cells, normalize_name
from tcm_coverage.inputs.facility_rules import (
    SKIP_LABELS,
    TypeResult,
    clean_name,
    infer_type,
    looks_like_category,
)
from tcm_coverage.vocab import TIERS

__all__ = ["COLUMN_ALIASES", "COUNT_COLUMNS", "KIND_TIER", "KNOWN_COLUMNS", "TYPE_NAMES",
           "accepted_types", "classify_types", "excluded_counts", "hall_evidence", "kind_of",
           "skip_action", "type_rows"]

#: Kind -> tier.
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

#: Accepted type strings per kind. Matching ignores case, spaces, hyphens, underscores and
#: full-width/half-width parentheses.
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

#: Accepted column names per field, most specific first.
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
    # residents a TCM point can serve (capacity-aware coverage, access/capacity.py)
    "capacity": ("服务能力", "服务能力(人)", "服务人口", "服务人口数", "服务能力人数", "容量",
                 "capacity", "service_capacity"),
    # capability (inputs/functional.py): what a 中医阁/中医馆 can do, blank = unknown
    "tcm_services": ("能提供中医药服务", "是否能提供中医药服务", "能否提供中医药服务",
                     "提供中医药服务", "tcm_services"),
    "tcm_technique_types": ("中医药技术类数", "中医药适宜技术类数", "中医适宜技术类数", "中医技术类数",
                            "tcm_technique_types"),
    "tcm_techniques": ("中医药技术项数", "中医药适宜技术项数", "中医适宜技术项数", "中医技术项数",
                       "tcm_techniques"),
    "tcm_capable_physicians": ("中医类别医师数", "中医类别医师", "tcm_capable_physicians"),
    "tcm_capable_staff": ("能提供中医药服务人员数", "能提供中医药服务的人员数", "中医药服务人员数",
                          "tcm_capable_staff"),
}

#: Staff and bed count columns (NaN where not given).
COUNT_COLUMNS: tuple[str, ...] = ("tcm_gps", "tcm_physicians", "physicians", "beds", "tcm_beds",
                                   "tcm_technique_types", "tcm_techniques", "tcm_capable_physicians",
                                   "tcm_capable_staff")

#: Column names that identify the header row of a facility table (one-letter names left out).
KNOWN_COLUMNS: tuple[str, ...] = alias_names(COLUMN_ALIASES, min_length=2)

_TYPE_LOOKUP: dict[str, str] = {normalize_name(n): kind for kind, names in TYPE_NAMES.items()
                                for n in names}
_TYPE_LOOKUP.update({normalize_name(kind): kind for kind in TYPE_NAMES})
_SKIP_LOOKUP: dict[str, str] = {normalize_name(label): action for action, labels in SKIP_LABELS.items()
                                for label in labels.values()}
_SKIP_LOOKUP.update({normalize_name(a): a for a in SKIP_LABELS})


def kind_of(value: object) -> str | None:
    """The kind an accepted type string names (``"村卫生室"`` → ``"village_clinic"``), else ``None``."""
    return _TYPE_LOOKUP.get(normalize_name(value))


def skip_action(value: object) -> str | None:
    """``"excluded"`` / ``"unrecognised"`` for the type values 不计入/exclude and 未识别/unrecognised."""
    return _SKIP_LOOKUP.get(normalize_name(value))


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
    """Map facility type strings to kinds (see :mod:`tcm_coverage.inputs.facilities`).

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


def _is_skip(types: pd.Series) -> np.ndarray:
    return types.map(lambda t: skip_action(t) is not None).to_numpy(bool)


def _type_mode(types: pd.Series | None) -> str:
    """``"typed"`` when every type cell is an accepted name (or 不计入/未识别), ``"poi"`` when the
    column is missing, has blank cells, or holds map-service categories, else ``"typos"``."""
    if types is None:
        return "poi"
    blank = blank_cells(types)
    if blank.any():
        return "poi"
    kinds = classify_types(types)
    unknown = types[kinds.isna().to_numpy() & ~_is_skip(types)]
    if unknown.empty:
        return "typed"
    if unknown.map(looks_like_category).any():
        return "poi"
    return "typos"


def _unknown_types_error(types: pd.Series, *, path: Path, rows: np.ndarray,
                         column: str | None) -> InputError:
    unknown = classify_types(types).isna().to_numpy() & ~_is_skip(types)
    shown = sorted({str(t) for t in types[unknown]})[:10]
    return InputError(
        f"unknown facility type(s) {shown}",
        path=path, row=rows[unknown].tolist(), column=column,
        fix=f"use one of the accepted types: {accepted_types()}; or write 不计入 to leave a row "
            "out (a map-service POI export with categories such as 医疗保健服务;诊所;诊所 is "
            "typed by rules)",
    )


def _typed_results(types: pd.Series) -> list[TypeResult]:
    """Each row of a typed table: its kind (rule ``T``), or left out by 不计入/未识别."""
    return [TypeResult(k, "T", "counted") if isinstance(k, str) else
            TypeResult(None, "T", skip_action(t) or "excluded")
            for k, t in zip(classify_types(types), types, strict=True)]


def _infer(frame: pd.DataFrame, found: Mapping[str, str | None]) -> list[TypeResult]:
    """Each row of a POI export (or a table with blank type cells), typed by the rules."""
    names = frame[found["name"]]
    types = frame[found["type"]] if found["type"] is not None else pd.Series(np.nan, index=frame.index)
    listed = frozenset(clean_name(n) for n in names if pd.notna(n))
    out = []
    for name, value in zip(names, types, strict=True):
        kind = kind_of(value) if pd.notna(value) else None
        skip = skip_action(value) if pd.notna(value) else None
        if kind is not None:
            out.append(TypeResult(kind, "T", "counted"))
        elif skip is not None:
            out.append(TypeResult(None, "T", skip))
        else:
            out.append(infer_type(name, value, listed_names=listed))
    return out


def excluded_counts(results: list[TypeResult]) -> dict[str, int]:
    """Rule id -> rows it left out (``""``: rows no rule typed)."""
    excluded: dict[str, int] = {}
    for r in results:
        if r.kind is None:
            key = "" if r.action == "unrecognised" else r.rule_id
            excluded[key] = excluded.get(key, 0) + 1
    return excluded


def hall_evidence(frame: pd.DataFrame, rows: np.ndarray, name_column: str,
                  results: list[TypeResult]) -> tuple[dict[int, str], dict[int, str]]:
    """Evidence of a 中医馆/中医阁 from a department POI (甲镇卫生院中医馆) for its facility.

    Parameters
    ----------
    frame, rows
        The input rows and their spreadsheet row numbers.
    name_column
        The name column.
    results
        How each row was typed.

    Returns
    -------
    hall, evidence : dict
        Facility position -> ``"zhongyiguan"``/``"zhongyige"``, and -> the evidence (``"row: name"``).
    """
    names = frame[name_column]
    first_of: dict[str, int] = {}
    for i, n in enumerate(clean_name(n) for n in names):
        first_of.setdefault(n, i)
    hall: dict[int, str] = {}
    evidence: dict[int, str] = {}
    for i, r in enumerate(results):
        if not r.hall:
            continue
        owner = first_of.get(r.via) if r.rule_id == "X5" else i
        if owner is not None and results[owner].kind is not None:
            hall[owner] = r.hall
            evidence[owner] = f"{int(rows[i])}: {names.iat[i]}"
    return hall, evidence


def type_rows(frame: pd.DataFrame, rows: np.ndarray, found: Mapping[str, str | None], *,
              path: Path) -> tuple[str, list[TypeResult]]:
    """How each row of a facility table is typed.

    Parameters
    ----------
    frame, rows
        The input rows and their spreadsheet row numbers.
    found
        Field -> the input's column (``None`` when absent).
    path
        The input file, for messages.

    Returns
    -------
    mode : str
        ``"typed"`` (every type cell an accepted name or 不计入/未识别) or ``"poi"`` (types
        inferred by the rules of :mod:`tcm_coverage.inputs.facility_rules`).
    results : list of TypeResult
        One per row.

    Raises
    ------
    InputError
        A typed table with unknown type strings (the message lists the accepted ones).
    """
    types = frame[found["type"]] if found["type"] is not None else None
    mode = _type_mode(types)
    if mode == "typos":
        assert types is not None
        raise _unknown_types_error(types, path=path, rows=rows, column=found["type"])
    if mode == "poi":
        return mode, _infer(frame, found)
    assert types is not None
    return mode, _typed_results(types)
