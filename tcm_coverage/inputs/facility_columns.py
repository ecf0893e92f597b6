"""The columns of the facility frame, built from the rows a facility table counts.

:func:`build_facilities` turns the typed rows (:class:`TypedRows`) into the frame
:func:`~tcm_coverage.inputs.facilities.read_facilities` returns: coordinates converted to
WGS-84 per row's datum, ids and names checked, the 中医馆/中医阁 flags (unknown stays
``<NA>``), staff and bed counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage._tables import blank_cells, parse_yes_no
from tcm_coverage._validate import MAX_FACILITY_COUNT
from tcm_coverage.inputs.chinacrs import convert, normalize_datum, validate_lonlat
from tcm_coverage.inputs.facility_review import FLAGS
from tcm_coverage.inputs.facility_types import COUNT_COLUMNS, KIND_TIER

__all__ = ["MAX_CAPACITY", "TypedRows", "build_facilities"]

#: Largest capacity (residents one facility serves) a facility table may give.
MAX_CAPACITY: float = 1e7


@dataclass(frozen=True, eq=False)
class TypedRows:
    """The rows counted as facilities.

    Attributes
    ----------
    frame
        Their cells (index 0..n-1).
    rows
        (n,) spreadsheet row numbers (feature numbers of a vector file).
    lonlat
        Point lon/lat of a vector file, else ``None`` (the coordinates are in columns).
    found
        Field -> the input's column (``None`` when absent).
    kinds
        (n,) the kind of each row.
    rule_ids
        The rule that typed each row (``"T"``: the type column).
    halls
        ``"zhongyiguan"``/``"zhongyige"`` where a department POI shows one, else ``""``.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    lonlat: tuple[np.ndarray, np.ndarray] | None
    found: Mapping[str, str | None]
    kinds: pd.Series
    rule_ids: list[str]
    halls: list[str]


def _parse_flag(values: pd.Series, *, path: Path, column: str, rows: np.ndarray) -> pd.Series:
    """是/否 → True/False; blank or 未知 → <NA> (unknown, not no)."""
    parsed = parse_yes_no(values)
    if parsed.bad.any():
        shown = values[parsed.bad].astype(str).unique()[:5].tolist()
        raise InputError(
            f"cannot read yes/no values {shown}",
            path=path, row=rows[parsed.bad].tolist(), column=column,
            fix="write 是/否 (or yes/no, 1/0); leave the cell blank (or write 未知) when not known",
        )
    return pd.Series(parsed.flags(), index=values.index)


def _parse_count(values: pd.Series, *, path: Path, column: str, rows: np.ndarray,
                 limit: float = MAX_FACILITY_COUNT, what: str = "staff and bed counts") -> np.ndarray:
    text = values.astype(str).str.strip()
    blank = values.isna().to_numpy() | text.isin(["", "nan", "None", "-"]).to_numpy()
    numbers = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=float)
    bad = (~blank & ~np.isfinite(numbers)) | (numbers < 0) | (numbers > limit)
    if bad.any():
        raise InputError(
            f"{what} must be non-negative numbers up to {limit:,.0f}, got "
            f"{values[bad].astype(str).unique()[:5].tolist()}",
            path=path, row=rows[bad].tolist(), column=column,
            fix="write the count (or leave the cell blank when unknown)",
        )
    return numbers


def _split_location(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``"lon,lat"`` strings (Amap API ``location``) → lon, lat (NaN where unreadable)."""
    parts = values.astype(str).str.strip().str.split(r"\s*[,，;\s]\s*", n=1, regex=True, expand=True)
    if parts.shape[1] < 2:
        return np.full(len(values), np.nan), np.full(len(values), np.nan)
    lon = pd.to_numeric(parts[0], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(parts[1], errors="coerce").to_numpy(float)
    return lon, lat


def _lonlat(data: TypedRows, found: Mapping[str, str | None], *, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates as given (geometry, lon/lat columns or a location column), validated."""
    frame = data.frame
    if data.lonlat is not None:
        lon, lat = data.lonlat
    elif found["lon"] is not None and found["lat"] is not None:
        lon = pd.to_numeric(frame[found["lon"]].astype(str).str.strip(), errors="coerce").to_numpy(float)
        lat = pd.to_numeric(frame[found["lat"]].astype(str).str.strip(), errors="coerce").to_numpy(float)
    else:
        lon, lat = _split_location(frame[found["location"]])
    validate_lonlat(lon, lat, path=path, rows=data.rows)
    return lon, lat


def _datums(data: TypedRows, datum_col: str | None, *, path: Path, default: str) -> np.ndarray:
    """The datum of every row: the datum column's value where filled, else ``default``."""
    frame = data.frame
    if datum_col is None:
        return np.full(len(frame), default, dtype=object)
    if datum_col not in frame.columns:
        raise InputError(f"datum column '{datum_col}' not found; the file has {list(frame.columns)}",
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
            raise InputError(exc.message, path=path, row=data.rows[sel].tolist(), column=datum_col,
                             fix=exc.fix) from exc
    return datums


def _to_wgs84(lon: np.ndarray, lat: np.ndarray, datums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out_lon = lon.copy()
    out_lat = lat.copy()
    for name in np.unique(datums):
        sel = datums == name
        out_lon[sel], out_lat[sel] = convert(lon[sel], lat[sel], src=name, dst="wgs84")
    return out_lon, out_lat


def _identity(data: TypedRows, found: Mapping[str, str | None], *, path: Path) -> tuple[pd.Series, pd.Series]:
    """Facility ids (``F<row>`` where none is given) and names; blank names and repeated ids are errors."""
    frame, rows = data.frame, data.rows
    name_col = found["name"]
    blank_name = blank_cells(frame[name_col])
    names = frame[name_col].where(~blank_name, "").astype(str).str.strip()
    if blank_name.any():
        raise InputError("facility name is blank", path=path, row=rows[blank_name].tolist(),
                         column=name_col, fix="give every facility a name")
    id_col = found["facility_id"]
    if id_col is not None:
        blank_id = blank_cells(frame[id_col])
        ids = frame[id_col].where(~blank_id, "").astype(str).str.strip()
        ids = ids.where(~blank_id, pd.Series([f"F{r}" for r in rows], index=ids.index))
    else:
        ids = pd.Series([f"F{r}" for r in rows], index=frame.index)
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError(f"duplicate facility ids {sorted(set(ids[dup]))[:5]}", path=path,
                         row=rows[dup].tolist(), column=id_col,
                         fix="make the id column unique (or remove it to number rows automatically)")
    return ids, names


def _flag(typed: TypedRows, flag: str, *, path: Path) -> pd.arrays.BooleanArray:
    """A 中医馆/中医阁 column: as the table says, <NA> where unknown, True where a department POI shows one."""
    frame, col = typed.frame, typed.found[flag]
    values = (pd.Series(pd.array([pd.NA] * len(frame), dtype="boolean"))
              if col is None else _parse_flag(frame[col], path=path, column=col, rows=typed.rows))
    values = values.reset_index(drop=True)
    evidence = (np.asarray(typed.halls, dtype=object) == flag) & values.isna().to_numpy()
    if evidence.any():
        values[evidence] = True
    return values.array


def build_facilities(typed: TypedRows, *, path: Path, datum: str,
                     datum_column: str | None) -> gpd.GeoDataFrame:
    """The facility frame of :func:`~tcm_coverage.inputs.facilities.read_facilities` from the typed rows.

    Parameters
    ----------
    typed
        The rows counted as facilities.
    path
        The input file, for messages.
    datum, datum_column
        See :func:`~tcm_coverage.inputs.facilities.read_facilities`.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    InputError
        Bad coordinates, datums, names, ids, flags or counts (naming the rows).
    """
    data, found = typed, typed.found
    frame = data.frame
    lon, lat = _lonlat(data, found, path=path)
    datums = _datums(data, datum_column or found["datum"], path=path, default=normalize_datum(datum))
    out_lon, out_lat = _to_wgs84(lon, lat, datums)
    ids, names = _identity(data, found, path=path)
    types = (frame[found["type"]].where(frame[found["type"]].notna(), "").astype(str).str.strip()
             if found["type"] is not None else pd.Series("", index=frame.index))
    out = pd.DataFrame(
        {
            "facility_id": ids.to_numpy(),
            "name": names.to_numpy(),
            "type": types.to_numpy(),
            "kind": typed.kinds.to_numpy(),
            "tier": typed.kinds.map(KIND_TIER).to_numpy(),
            "type_rule": np.asarray(typed.rule_ids, dtype=object),
        }
    )
    for flag in FLAGS:
        out[flag] = _flag(typed, flag, path=path)
    # A 中医馆 belongs in a township/community centre, a 中医阁 in a village clinic/station; flags
    # elsewhere are kept but do not change the tier.
    out["is_tcm_clinic"] = (out["kind"] == "tcm_clinic").to_numpy() | (
        (out["tier"] == "other") & out["type"].str.contains("中医|中西医|TCM", case=False, regex=True)
    ).to_numpy()
    for key in COUNT_COLUMNS:
        col = found[key]
        out[key] = (np.full(len(frame), np.nan) if col is None
                    else _parse_count(frame[col], path=path, column=col, rows=data.rows))
    # residents each facility can serve (blank = unknown); the capacity-aware coverage
    cap_col = found.get("capacity")
    out["capacity"] = (np.full(len(frame), np.nan) if cap_col is None
                       else _parse_count(frame[cap_col], path=path, column=cap_col, rows=data.rows,
                                         limit=MAX_CAPACITY, what="capacities (residents served)"))
    services = found.get("tcm_services")
    out["tcm_services"] = (pd.array([pd.NA] * len(frame), dtype="boolean") if services is None else
                           _parse_flag(frame[services], path=path, column=services,
                                       rows=data.rows).reset_index(drop=True).array)
    out["source_row"] = data.rows
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out_lon, out_lat), crs="EPSG:4326")
