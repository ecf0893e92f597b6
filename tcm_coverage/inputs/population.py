"""Demand points: where people live and how many (and, optionally, how many are 65+).

Why this module is long: the three readers share their column vocabulary and checks, and the
residents-65+ layer (a column of the village table or a file of its own) reads through them.

Three kinds of input become the same table of demand points (``demand_id``, ``population``,
``name``, ``source``, Point geometry in EPSG:4326):

* a **population raster** such as WorldPop 100 m (GeoTIFF): one point per cell centre with
  population > 0; nodata (the declared nodata value, WorldPop's float32 −3.4e38, NaN and any
  negative value) is excluded, and an optional county boundary masks cells whose centre is
  outside it. Only the window covering the boundary is read, so national rasters stay cheap
  (:mod:`tcm_coverage.inputs.population_raster`);
* a **village table** (CSV or XLSX, Chinese or English headers): one point per row;
* **polygons with counts** (GeoJSON / GeoPackage / Shapefile, e.g. township or village areas with
  a population field): one point per polygon at its ``representative_point()`` (always inside it).

Coordinates of tables are validated like facility tables (errors name the row) and converted
from GCJ-02 / BD-09 when ``datum`` says so.
"""

from __future__ import annotations

import logging
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tcm_coverage._errors import InputError
from tcm_coverage._tables import Table, alias_names, find_column, read_table
from tcm_coverage._validate import MAX_POPULATION_PER_POINT
from tcm_coverage.inputs.chinacrs import convert, normalize_datum, validate_lonlat
from tcm_coverage.inputs.demand import demand_frame, prepared_boundary
from tcm_coverage.inputs.population_raster import points_from_raster
from tcm_coverage.vocab import POPULATION_65PLUS

logger = logging.getLogger(__name__)

__all__ = [
    "COLUMN_ALIASES",
    "points_from_polygons",
    "elderly_from_demand",
    "points_from_table",
    "read_population",
    "read_population_65plus",
]

PathLikeStr = str | PathLike[str]

#: Accepted column names (compared case-, space- and bracket-insensitively; first match wins).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "名称", "村名", "村名称", "村庄", "村庄名称", "行政村", "村委会", "village",
             "乡镇", "乡镇名称", "district_name", "short_name"),
    "lon": ("lon", "经度", "x", "longitude", "lng", "long"),
    "lat": ("lat", "纬度", "y", "latitude"),
    "population": ("population", "人口", "常住人口", "户籍人口", "pop", "人口数", "总人口"),
    # residents 65+ of a village (the elderly layer, tcm_coverage.access.elderly)
    "population_65plus": ("population_65plus", "65岁以上人口", "65岁及以上人口", "65周岁以上人口",
                          "65周岁及以上人口", "老年人口", "65岁以上老年人口", "65岁以上", "65+",
                          "pop65", "pop_65plus", "elderly", "age65plus"),
}

_RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img")
_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")
_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")


# --------------------------------------------------------------------------------------------
# helpers


def _find_column(columns: list[str], key: str, given: str | None, *, path: Any) -> str | None:
    """Column for ``key``: the one given (must exist) or the first alias present."""
    if given is not None:
        if given in columns:
            return given
        raise InputError(
            f"column '{given}' not found; the file has {columns}",
            path=path, column=given, fix="pass the name of an existing column",
        )
    return find_column(columns, COLUMN_ALIASES[key])


_LABELS = {"lon": "longitude", "lat": "latitude", "population": "population", "name": "name"}


def _missing_column_error(key: str, columns: list[str], *, path: Any, option: str) -> InputError:
    return InputError(
        f"no {_LABELS[key]} column found; the file has {columns}",
        path=path,
        fix=f"name the column one of {list(COLUMN_ALIASES[key])}, or pass {option}=",
    )


def _to_number(series: pd.Series, *, thousands: bool = False) -> np.ndarray:
    """Numbers from a column of mixed text/numbers; blank or non-numeric → NaN."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    if thousands:
        text = text.str.replace(r"[,，\s]", "", regex=True)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _check_population(pop: np.ndarray, rows: np.ndarray, *, path: Any, column: str) -> None:
    blank = ~np.isfinite(pop)
    if blank.any():
        bad = rows[blank].tolist()
        raise InputError(
            "population is blank or not a number", path=path,
            row=bad[0] if len(bad) == 1 else bad, column=column,
            fix="fill in a number of people (0 if nobody lives there)",
        )
    negative = pop < 0
    if negative.any():
        bad = rows[negative].tolist()
        raise InputError(
            "population is negative", path=path, row=bad[0] if len(bad) == 1 else bad,
            column=column, fix="population must be a count of people, 0 or more",
        )
    huge = pop > MAX_POPULATION_PER_POINT
    if huge.any():
        bad = rows[huge].tolist()
        raise InputError(
            f"population {pop[huge][0]:.6g} is not plausible (more than "
            f"{MAX_POPULATION_PER_POINT:,.0f} people in one place)", path=path,
            row=bad[0] if len(bad) == 1 else bad, column=column,
            fix="check the number (a typo, a code or an area pasted into the population column)",
        )


def _names(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(frame), "", dtype=object)
    col = frame[column]
    return col.astype(object).where(col.notna(), "").astype(str).str.strip().to_numpy(dtype=object)


def _read_table(path: Path, *, sheet: str | int | None) -> Table:
    """The village table (one reader for every table: :func:`tcm_coverage._tables.read_table`)."""
    known = [a for a in alias_names(COLUMN_ALIASES) if len(a) > 1]
    return read_table(path, sheet=sheet, known=known, what="village table")


# --------------------------------------------------------------------------------------------
# tables


def points_from_table(
    path_or_frame: PathLikeStr | pd.DataFrame,
    *,
    datum: str = "wgs84",
    population_column: str | None = None,
    name_column: str | None = None,
    lon_column: str | None = None,
    lat_column: str | None = None,
    sheet: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Demand points from a village table (CSV or XLSX) with coordinates and population.

    Parameters
    ----------
    path_or_frame
        CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX file, or a DataFrame. Columns are found by
        name (case-insensitive, units in brackets ignored): name / 名称 / 村名, lon / 经度 / x /
        longitude, lat / 纬度 / y / latitude, population / 人口 / 常住人口 / 户籍人口 / pop.
    datum
        Datum of the coordinates: ``"wgs84"``, ``"gcj02"`` (Amap, Tencent) or ``"bd09"``
        (Baidu); any spelling accepted by :func:`tcm_coverage.inputs.chinacrs.normalize_datum`.
    population_column, name_column, lon_column, lat_column
        Column names to use instead of the automatic match.
    sheet
        Sheet of an XLSX workbook (default: the first).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``demand_id``, ``population`` (float64 ≥ 0), ``name``, ``source``
        (``"table"``), Point geometry in WGS-84 (EPSG:4326), one row per table row.

    Raises
    ------
    InputError
        Missing file or columns, an empty table, blank / non-numeric / zero / swapped / outside
        China coordinates, blank or negative population. Row numbers are spreadsheet rows
        (header = row 1).
    CRSError
        Unknown ``datum``.
    """
    src_datum = normalize_datum(datum)
    if isinstance(path_or_frame, pd.DataFrame):
        path: Path | None = None
        frame = path_or_frame.copy()
    else:
        path = Path(path_or_frame)
        table = _read_table(path, sheet=sheet)
        frame = table.frame
    frame.columns = [str(c).strip() for c in frame.columns]
    columns = list(frame.columns)
    if frame.empty:
        raise InputError("the table has no rows", path=path,
                         fix="add one row per village under the header")
    lon_col = _find_column(columns, "lon", lon_column, path=path)
    lat_col = _find_column(columns, "lat", lat_column, path=path)
    pop_col = _find_column(columns, "population", population_column, path=path)
    name_col = _find_column(columns, "name", name_column, path=path)
    for key, col, option in (("lon", lon_col, "lon_column"), ("lat", lat_col, "lat_column"),
                             ("population", pop_col, "population_column")):
        if col is None:
            raise _missing_column_error(key, columns, path=path, option=option)
    assert lon_col is not None and lat_col is not None and pop_col is not None

    rows = np.arange(2, len(frame) + 2) if path is None else table.rows
    lon = _to_number(frame[lon_col])
    lat = _to_number(frame[lat_col])
    validate_lonlat(lon, lat, path=path, rows=rows)
    pop = _to_number(frame[pop_col], thousands=True)
    _check_population(pop, rows, path=path, column=pop_col)
    lon, lat = convert(lon, lat, src=src_datum, dst="wgs84")
    logger.info("%s: %d villages, %.0f people", path or "table", len(pop), pop.sum())
    out = demand_frame(lon, lat, pop, _names(frame, name_col), "table")
    return _with_65plus(out, frame, rows, path=path, population_column=pop_col)


def _with_65plus(out: gpd.GeoDataFrame, frame: pd.DataFrame, rows: np.ndarray, *, path: Any,
                 population_column: str) -> gpd.GeoDataFrame:
    """``out`` with a ``population_65plus`` column when the table has a 65+ column."""
    col = _find_column([str(c) for c in frame.columns], "population_65plus", None, path=path)
    if col is None or col == population_column:
        return out
    elderly = _to_number(frame[col], thousands=True)
    blank = ~np.isfinite(elderly)
    if blank.any():
        bad = rows[blank].tolist()
        raise InputError("the number of residents 65+ is blank or not a number", path=path,
                         row=bad[0] if len(bad) == 1 else bad, column=col,
                         fix="fill in the number of residents 65+ of every row (0 if none), or "
                             "rename the column so it is not read as the 65+ population")
    _check_population(elderly, rows, path=path, column=col)
    over = elderly > out["population"].to_numpy(float) + 0.5
    if over.any():
        bad = rows[over].tolist()
        raise InputError("more residents 65+ than residents", path=path,
                         row=bad[0] if len(bad) == 1 else bad, column=col,
                         fix="check the two columns (65+ is a part of the population)")
    out = out.copy()
    out[POPULATION_65PLUS] = elderly
    logger.info("%s: %.0f residents 65+ (column %s)", path or "table", elderly.sum(), col)
    return out


def elderly_from_demand(demand: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The residents 65+ of demand points that carry a ``population_65plus`` column (a village
    table with a 65+ column): the same points with ``population`` = people 65+; ``None``
    without the column.

    Parameters
    ----------
    demand
        From :func:`read_population`.

    Returns
    -------
    geopandas.GeoDataFrame or None
    """
    if POPULATION_65PLUS not in demand.columns:
        return None
    out = demand.drop(columns=[POPULATION_65PLUS])
    out["population"] = demand[POPULATION_65PLUS].to_numpy(float)
    return out


def read_population_65plus(
    path: PathLikeStr,
    *,
    datum: str = "wgs84",
    boundary: Any = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read the residents 65+ from a raster (e.g. WorldPop's 65+ age band summed), a village
    table or polygons (the 65+ column when there is one, else the population column).

    Parameters
    ----------
    path
        Raster of people 65+ per cell, or a table/polygons of people 65+.
    datum, boundary, layer
        As :func:`read_population`.

    Returns
    -------
    geopandas.GeoDataFrame
        Demand points of residents 65+: ``population`` = people 65+.
    """
    suffix = Path(path).suffix.lower()
    if suffix in _TABLE_SUFFIXES or suffix in _VECTOR_SUFFIXES:
        column = None
        if suffix in _TABLE_SUFFIXES:
            header = list(_read_table(Path(path), sheet=layer).frame.columns)
        else:
            header = [str(c) for c in gpd.read_file(path, layer=layer, rows=1).columns]
        column = find_column(header, COLUMN_ALIASES["population_65plus"])
        out = read_population(path, datum=datum, boundary=boundary, population_column=column,
                              layer=layer)
        return out.drop(columns=[POPULATION_65PLUS], errors="ignore")
    return read_population(path, datum=datum, boundary=boundary, layer=layer)


# --------------------------------------------------------------------------------------------
# polygons with counts


def points_from_polygons(
    path: PathLikeStr,
    *,
    datum: str = "wgs84",
    population_column: str | None = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Demand points from polygons carrying a population count (one point per polygon).

    Each polygon's population is placed on its ``representative_point()``, which is always
    inside the polygon (a centroid need not be).

    Parameters
    ----------
    path
        GeoJSON, GeoPackage or Shapefile of Polygon/MultiPolygon features.
    datum
        Datum of lon/lat coordinates (``"wgs84"``, ``"gcj02"``, ``"bd09"`` or an alias). Files
        in a projected CRS are reprojected to EPSG:4326 and taken as WGS-84-based.
    population_column
        Population field (default: the first of population / 人口 / 常住人口 / 户籍人口 / pop).
    layer
        Layer of a multi-layer file (GeoPackage).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``demand_id``, ``population``, ``name``, ``source`` (``"polygons"``), Point
        geometry in EPSG:4326.

    Raises
    ------
    InputError
        Unreadable or empty file, missing population column, missing or non-polygon geometry,
        blank or negative population, points outside China (``row`` is the feature number).
    """
    src_datum = normalize_datum(datum)
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path, fix="check the path")
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several types
        raise InputError(f"cannot read the file ({exc})", path=path,
                         fix="check that it is a valid GeoJSON / GeoPackage / Shapefile") from exc
    if len(gdf) == 0:
        raise InputError("the file has no features", path=path,
                         fix="export the polygons with their population field")
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    pop_col = _find_column(columns, "population", population_column, path=path)
    if pop_col is None:
        raise _missing_column_error("population", columns, path=path, option="population_column")
    name_col = _find_column(columns, "name", None, path=path)

    features = np.arange(1, len(gdf) + 1)
    geoms = gdf.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        bad = features[missing].tolist()
        raise InputError("feature has no geometry", path=path,
                         row=bad[0] if len(bad) == 1 else bad,
                         fix="draw the polygon or remove the feature")
    kinds = shapely.get_type_id(geoms)
    polygonal = np.isin(kinds, [3, 6])  # Polygon, MultiPolygon
    if not polygonal.all():
        bad = features[~polygonal].tolist()
        raise InputError(
            "feature is not a polygon", path=path, row=bad[0] if len(bad) == 1 else bad,
            fix="use polygons with a population field, or a CSV/XLSX table for village points",
        )
    pop = _to_number(gdf[pop_col], thousands=True)
    _check_population(pop, features, path=path, column=pop_col)

    if gdf.crs is not None and gdf.crs.is_projected:
        if src_datum != "wgs84":
            logger.warning("%s is in projected CRS %s; taken as WGS-84-based, datum %r ignored",
                           path, gdf.crs.to_string(), datum)
        gdf = gdf.to_crs(4326)
        src_datum = "wgs84"
    points = shapely.point_on_surface(gdf.geometry.to_numpy())  # = representative_point()
    xy = shapely.get_coordinates(points)
    validate_lonlat(xy[:, 0], xy[:, 1], path=path, rows=features)
    lon, lat = convert(xy[:, 0], xy[:, 1], src=src_datum, dst="wgs84")
    out = demand_frame(lon, lat, pop, _names(pd.DataFrame(gdf), name_col), "polygons")
    return _with_65plus(out, pd.DataFrame(gdf), features, path=path, population_column=pop_col)


# --------------------------------------------------------------------------------------------
# dispatcher


def read_population(
    path: PathLikeStr,
    *,
    datum: str = "wgs84",
    boundary: Any = None,
    population_column: str | None = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read demand points from a raster, a village table or polygons with counts.

    The reader is chosen by file suffix: ``.tif``/``.tiff`` → :func:`points_from_raster`,
    ``.csv``/``.xlsx`` → :func:`points_from_table`, ``.geojson``/``.gpkg``/``.shp`` →
    :func:`points_from_polygons`.

    Parameters
    ----------
    path
        Population file.
    datum
        Datum of lon/lat coordinates of tables and polygons (rasters are taken as given by
        their CRS, i.e. WGS-84 for WorldPop).
    boundary
        Study-area boundary (GeoDataFrame or shapely geometry, EPSG:4326). Masks raster cells;
        for tables and polygons points outside it are kept but counted in a log warning.
    population_column
        Population column of tables and polygons.
    layer
        Layer of a GeoPackage (polygons) or sheet of a workbook (tables).

    Returns
    -------
    geopandas.GeoDataFrame
        Demand points: ``demand_id``, ``population``, ``name``, ``source``, Point geometry,
        EPSG:4326.

    Raises
    ------
    InputError
        Unsupported file type or any problem reported by the specific reader.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _RASTER_SUFFIXES:
        if normalize_datum(datum) != "wgs84":
            logger.warning("datum %r ignored for raster %s (its CRS is used)", datum, path)
        return points_from_raster(path, boundary=boundary)
    if suffix in _TABLE_SUFFIXES:
        out = points_from_table(path, datum=datum, population_column=population_column,
                                sheet=layer)
    elif suffix in _VECTOR_SUFFIXES:
        out = points_from_polygons(path, datum=datum, population_column=population_column,
                                   layer=layer)
    else:
        raise InputError(
            f"unsupported population file type '{suffix}'", path=path,
            fix="use a GeoTIFF raster, a CSV/XLSX village table or GeoJSON/GPKG/SHP polygons",
        )
    geom = prepared_boundary(boundary)
    if geom is not None:
        xy = shapely.get_coordinates(out.geometry.to_numpy())
        outside_mask = ~shapely.contains_xy(geom, xy[:, 0], xy[:, 1])
        outside = int(outside_mask.sum())
        pop = out["population"].to_numpy(np.float64)
        if float(pop[~outside_mask].sum()) <= 0:
            raise InputError(
                f"the population inside the county boundary is zero: all {len(out)} points "
                f"({pop.sum():,.0f} residents) lie outside it" if outside == len(out) else
                "the population inside the county boundary is zero", path=path,
                fix="check that the population file covers the county, that the boundary is the "
                    "right county, and the datum/CRS and lon/lat order of both files",
            )
        if outside:
            logger.warning("%s: %d of %d demand points are outside the boundary",
                           path, outside, len(out))
    return out
