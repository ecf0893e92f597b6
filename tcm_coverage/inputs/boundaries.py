"""Read county and township boundaries (GeoJSON, GeoPackage, Shapefile).

Boundaries come from many places: Amap/DataV downloads (GCJ-02 numbers tagged as plain lon/lat),
Tianditu or statistics-bureau shapefiles (WGS-84 / CGCS2000, sometimes projected), hand-made
GeoPackages with Chinese column names. :func:`read_boundaries` turns any of them into one shape:
``code`` (str), ``name`` (str), ``level``, ``parent_code`` and valid Polygon/MultiPolygon geometry
in WGS-84 (EPSG:4326), and says clearly what is wrong when it cannot.
"""

from __future__ import annotations

import logging
import warnings
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tcm_coverage._errors import CRSError, InputError
from tcm_coverage._tables import find_column
from tcm_coverage.inputs.chinacrs import CHINA_BBOX, normalize_datum, transform_geometries

logger = logging.getLogger(__name__)

__all__ = ["CODE_ALIASES", "NAME_ALIASES", "PARENT_ALIASES", "boundary_geometry", "read_boundaries"]

#: Code column names, first match wins (compared by :func:`tcm_coverage._tables.find_column`:
#: case, spaces, ``_``/``-`` and full-width forms ignored).
CODE_ALIASES: tuple[str, ...] = ("code", "adcode", "district_adcode", "代码", "区划代码",
                                 "行政区划代码", "编码")
#: Name column names, first match wins. ``district`` (cnmaps files) is an extension of the
#: list in docs/design.md.
NAME_ALIASES: tuple[str, ...] = ("name", "名称", "district_name", "short_name", "乡镇", "乡镇名称",
                                 "县区", "县区名称", "district")
#: Parent (county) code column names for township files.
PARENT_ALIASES: tuple[str, ...] = ("parent_code", "parent", "county_code", "上级代码",
                                   "上级区划代码", "县区代码")

_POLYGON = 3
_MULTIPOLYGON = 6


def _find(columns: list[str], aliases: tuple[str, ...], given: str | None, *,
          path: Path, option: str, what: str, required: bool) -> str | None:
    if given is not None:
        if given not in columns:
            raise InputError(
                f"{what} column '{given}' not found; the file has columns {columns}",
                path=path, column=given, fix=f"pass {option}= with one of the file's columns",
            )
        return given
    found = find_column(columns, aliases)
    if found is None and required:
        raise InputError(
            f"no {what} column found; the file has columns {columns} and the accepted names "
            f"are {list(aliases)}",
            path=path, fix=f"rename the column or pass {option}= (e.g. {option}='{columns[0]}')"
            if columns else f"add a {what} column",
        )
    return found


def _rows(mask: np.ndarray) -> int | list[int]:
    bad = (np.flatnonzero(mask) + 1).tolist()
    return bad[0] if len(bad) == 1 else bad


def _codes(series: pd.Series) -> np.ndarray:
    """Administrative codes as strings: 140405, 140405.0 and '140405' all give '140405'."""
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        whole = np.isfinite(values) & (values == np.round(values))
        out = np.where(whole, pd.Series(values).round().astype("Int64").astype(str), "")
        out = np.where(np.isfinite(values) & ~whole, series.astype(str).to_numpy(), out)
        return out.astype(object)
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    return text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True).to_numpy(dtype=object)


def _strings(series: pd.Series) -> np.ndarray:
    return series.astype(object).where(series.notna(), "").astype(str).str.strip().to_numpy(
        dtype=object)


def _crs_text(crs: Any) -> str:
    if crs is None:
        return "none (no CRS tag)"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def _check_lonlat_bounds(gdf: gpd.GeoDataFrame, *, path: Path, file_crs: Any) -> None:
    """Raise CRSError unless the bounds look like lon/lat inside China."""
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    lon0, lon1, lat0, lat1 = CHINA_BBOX
    if lon0 <= minx and maxx <= lon1 and lat0 <= miny and maxy <= lat1:
        return
    shown = f"x {minx:.6g}…{maxx:.6g}, y {miny:.6g}…{maxy:.6g}"
    expected = "lon/lat degrees inside China (EPSG:4326, x 72–138, y 0.8–56)"
    crs_text = _crs_text(file_crs)
    # swapped first: a latitude column read as x gives y = 72–138, which is also "not degrees"
    if lon0 <= miny and maxy <= lon1 and lat0 <= minx and maxx <= lat1:
        raise CRSError(
            f"latitude and longitude look swapped ({shown}: x holds latitudes, y longitudes); "
            f"the file's CRS is {crs_text}, expected {expected}",
            path=path,
            fix="swap the axes (x must be longitude, y latitude) and export again; in QGIS: "
                "Processing > Swap X and Y coordinates",
        )
    if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
        raise CRSError(
            f"coordinates look like metres ({shown}) but the file's CRS is {crs_text}; "
            f"expected {expected}",
            path=path,
            fix="the CRS tag is wrong: set the file's real projected CRS (QGIS: Layer > Set CRS; "
                "geopandas: gdf.set_crs('EPSG:…', allow_override=True)) or export it as "
                "EPSG:4326",
        )
    raise CRSError(
        f"coordinates are not inside China ({shown}); the file's CRS is {crs_text}, "
        f"expected {expected}",
        path=path,
        fix="check that the file's CRS tag matches its coordinates and that it is the right area",
    )


#: A self-intersecting boundary is repaired (with a warning) when that changes its area by at
#: most this share; beyond it (a bow-tie, a ring drawn twice) the file is refused.
MAX_REPAIR_AREA_CHANGE = 0.01


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (None where there are none)."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    # A GeometryCollection may hold MultiPolygons: explode once more.
    parts2, index2 = shapely.get_parts(parts, return_index=True)
    index = index[index2]
    keep = shapely.get_type_id(parts2) == _POLYGON
    keep &= ~shapely.is_empty(parts2)
    out = np.empty(len(geoms), dtype=object)
    if keep.any():
        shapely.multipolygons(parts2[keep], indices=index[keep], out=out)
    single = ~shapely.is_missing(out) & (shapely.get_num_geometries(out) == 1)
    out[single] = shapely.get_geometry(out[single], 0)
    return out


def boundary_geometry(boundary: Any) -> shapely.Geometry:
    """One lon/lat (EPSG:4326) geometry from a boundary given in any of the usual forms.

    Parameters
    ----------
    boundary
        A GeoDataFrame or GeoSeries (any CRS; its features are unioned, e.g. the townships of a
        county) or a shapely geometry in EPSG:4326.

    Returns
    -------
    shapely.Geometry
        A new geometry (never the caller's object, so preparing it is harmless).

    Raises
    ------
    InputError
        When ``boundary`` is of another type or empty.
    """
    geom: shapely.Geometry
    if isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geo = boundary.geometry if isinstance(boundary, gpd.GeoDataFrame) else boundary
        if geo.crs is not None and geo.crs.to_epsg() != 4326:
            geo = geo.to_crs(4326)
        geom = shapely.union_all(np.asarray(geo.values, dtype=object))
    elif isinstance(boundary, shapely.Geometry):
        geom = shapely.transform(boundary, lambda c: c)
    else:
        raise InputError(
            f"boundary must be a GeoDataFrame, GeoSeries or shapely geometry, not "
            f"{type(boundary).__name__}",
            fix="pass the result of read_boundaries() or a shapely (Multi)Polygon in EPSG:4326",
        )
    if geom is None or shapely.is_empty(geom):
        raise InputError("the boundary is empty", fix="pass a non-empty county or township polygon")
    return geom


def read_boundaries(
    path: str | PathLike[str],
    *,
    datum: str = "wgs84",
    level: str | None = None,
    code_column: str | None = None,
    name_column: str | None = None,
    parent_column: str | None = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read administrative boundaries into valid WGS-84 polygons with code and name.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage or Shapefile of Polygon/MultiPolygon features.
    datum
        Datum of lon/lat coordinates: ``"wgs84"``, ``"gcj02"`` (Amap/DataV downloads, cnmaps)
        or ``"bd09"`` (Baidu); any alias accepted by
        :func:`tcm_coverage.inputs.chinacrs.normalize_datum`. GCJ-02 data are usually tagged EPSG:4326
        all the same, so the tag is not trusted for the datum. A file in a projected CRS is
        reprojected to EPSG:4326 and taken as WGS-84-based (``datum`` is then ignored).
    level
        ``"county"``, ``"township"`` or any label; by default inferred from the code length
        (6 digits: county, 9 or 12 digits: township).
    code_column, name_column, parent_column
        Columns to use instead of the automatic match (code: code / adcode / district_adcode /
        代码 / 区划代码 / 行政区划代码 / 编码; name: name / 名称 / district_name / short_name /
        乡镇 / 乡镇名称 / 县区 / 县区名称 / district; parent: parent_code / county_code /
        上级代码).
    layer
        Layer of a multi-layer file (GeoPackage).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code`` (str), ``name`` (str), ``level`` (str), ``parent_code`` (str or None:
        the county code of a township when known) and valid Polygon/MultiPolygon ``geometry``
        in EPSG:4326, one row per feature in file order.

    Raises
    ------
    InputError
        Missing or unreadable file, no features, missing geometry, non-polygon features
        (``row`` is the 1-based feature number), missing code or name column (the message lists
        the file's columns and the accepted names), blank codes.
    CRSError
        Coordinates that are not lon/lat inside China (metres under a lon/lat tag, swapped axes,
        elsewhere); the message names the file's CRS and what was expected. Unknown ``datum``.
    """
    src_datum = normalize_datum(datum)
    path = Path(path)
    gdf = _read_features(path, layer=layer)
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    _check_geometry(gdf.geometry.to_numpy(), gdf.geom_type, path=path)
    gdf, src_datum = _to_epsg4326(gdf, path=path, src_datum=src_datum, datum=datum)
    geoms = gdf.geometry.to_numpy()
    if src_datum != "wgs84":
        geoms = transform_geometries(geoms, src=src_datum, dst="wgs84")
    geoms = _repaired(geoms, path=path)
    attributes = _attributes(gdf, columns, path=path, level=level, given={
        "code": code_column, "name": name_column, "parent": parent_column})
    out = gpd.GeoDataFrame(attributes, geometry=geoms, crs=4326)
    if out["code"].duplicated().any():
        logger.warning("%s: duplicated codes %s", path.name,
                       sorted(set(out.loc[out["code"].duplicated(), "code"]))[:10])
    return out


def _read_features(path: Path, *, layer: str | int | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise InputError("file not found", path=path, fix="check the path")
    try:
        with warnings.catch_warnings():  # NaN vertices: reported below, naming the feature
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several types
        raise InputError(f"cannot read the file ({exc})", path=path,
                         fix="check that it is a valid GeoJSON / GeoPackage / Shapefile") from exc
    if len(gdf) == 0:
        raise InputError("the file has no features", path=path,
                         fix="export the county / township polygons into it")
    return gdf


def _check_geometry(geoms: np.ndarray, geom_type: pd.Series, *, path: Path) -> None:
    """Every feature a polygon with finite coordinates (errors name the feature numbers)."""
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise InputError("feature has no geometry", path=path, row=_rows(missing),
                         fix="draw the boundary or remove the feature")
    types = shapely.get_type_id(geoms)
    not_poly = ~np.isin(types, [_POLYGON, _MULTIPOLYGON])
    if not_poly.any():
        names = sorted(set(geom_type[not_poly]))
        raise InputError(
            f"feature is not a polygon ({', '.join(names)})", path=path, row=_rows(not_poly),
            fix="boundaries must be Polygon or MultiPolygon features (areas, not lines or points)",
        )
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    not_finite = np.zeros(len(geoms), dtype=bool)
    not_finite[owner[~np.isfinite(coords).all(axis=1)]] = True
    if not_finite.any():
        raise InputError("feature has coordinates that are not numbers (NaN or infinite)",
                         path=path, row=_rows(not_finite),
                         fix="fix or redraw those vertices and export the boundary again")


def _to_epsg4326(gdf: gpd.GeoDataFrame, *, path: Path, src_datum: str,
                 datum: str) -> tuple[gpd.GeoDataFrame, str]:
    """The features in EPSG:4326 and the datum of their numbers (a projected file: WGS-84)."""
    file_crs = gdf.crs
    if file_crs is not None and file_crs.is_projected:
        if src_datum != "wgs84":
            logger.warning(
                "%s is in projected CRS %s; taken as WGS-84-based, datum %r ignored",
                path, file_crs.to_string(), datum,
            )
        gdf = gdf.to_crs(4326)
        src_datum = "wgs84"
    elif file_crs is not None and file_crs.to_epsg() != 4326:
        try:
            gdf = gdf.to_crs(4326)
        except Exception as exc:  # pyproj errors
            raise CRSError(f"cannot convert from the file's CRS {_crs_text(file_crs)} to "
                           f"EPSG:4326 ({exc})", path=path,
                           fix="re-export the file as EPSG:4326") from exc
    _check_lonlat_bounds(gdf, path=path, file_crs=file_crs)
    return gdf, src_datum


def _repaired(geoms: np.ndarray, *, path: Path) -> np.ndarray:
    """Invalid polygons repaired (a new array), refused when that changes their area much."""
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    reasons = [shapely.is_valid_reason(g) for g in geoms[invalid]]
    geoms = geoms.copy()
    # area as drawn (shoelace): the lobes of a bow-tie cancel, a small spike does not matter
    before = shapely.area(geoms[invalid])
    geoms[invalid] = _polygonal(shapely.make_valid(geoms[invalid]))
    lost = shapely.is_missing(geoms)
    if lost.any():
        raise InputError("feature's polygon is degenerate (no area once repaired)",
                         path=path, row=_rows(lost),
                         fix="redraw the boundary (QGIS: Vector > Geometry Tools > Check "
                             "Validity shows where)")
    after = shapely.area(geoms[invalid])
    change = np.abs(after - before) / np.maximum(np.maximum(after, before), 1e-300)
    rows = np.flatnonzero(invalid) + 1
    drastic = change > MAX_REPAIR_AREA_CHANGE
    if drastic.any():
        i = int(np.flatnonzero(drastic)[0])
        raise InputError(
            f"the boundary polygon crosses itself ({reasons[i]}); repairing it would "
            f"change its area by {change[i]:.0%}, so the shape cannot be trusted",
            path=path, row=rows[drastic].tolist(),
            fix="fix the boundary in QGIS (Vector > Geometry Tools > Check Validity, then "
                "Fix Geometries) or export it again from the source",
        )
    logger.warning("%s: repaired %d invalid polygon(s) (feature %s: %s; area change at most "
                   "%.2f%%)", path, int(invalid.sum()), ", ".join(map(str, rows[:10])),
                   reasons[0], 100 * float(change.max()))
    return geoms


def _attributes(gdf: gpd.GeoDataFrame, columns: list[str], *, path: Path, level: str | None,
                given: dict[str, str | None]) -> dict[str, np.ndarray]:
    """``code``, ``name``, ``level`` and ``parent_code`` of every feature."""
    code_col = _find(columns, CODE_ALIASES, given["code"], path=path, option="code_column",
                     what="code", required=True)
    name_col = _find(columns, NAME_ALIASES, given["name"], path=path, option="name_column",
                     what="name", required=True)
    parent_col = _find(columns, PARENT_ALIASES, given["parent"], path=path,
                       option="parent_column", what="parent code", required=False)
    codes = _codes(gdf[code_col])
    blank = codes == ""
    if blank.any():
        raise InputError("administrative code is blank", path=path, row=_rows(blank),
                         column=code_col, fix="fill in the 6-digit county or 9/12-digit code")
    names = _strings(gdf[name_col])
    lengths = np.char.str_len(codes.astype(str))
    if level is None:
        is_county = lengths <= 6
        levels = np.where(is_county, "county", "township").astype(object)
    else:
        is_county = np.full(len(codes), level == "county")
        levels = np.full(len(codes), level, dtype=object)
    if parent_col is not None:
        parents = _codes(gdf[parent_col]).astype(object)
        parents[parents == ""] = None
    else:
        prefix = pd.Series(codes, dtype=object).str[:6].to_numpy(dtype=object)
        parents = np.full(len(codes), None, dtype=object)
        township = ~is_county & (lengths >= 9)
        parents[township] = prefix[township]
    return {"code": codes, "name": names, "level": levels, "parent_code": parents}
