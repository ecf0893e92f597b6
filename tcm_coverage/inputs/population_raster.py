"""Demand points from a population raster such as WorldPop 100 m (GeoTIFF).

One point per cell centre with population > 0; nodata (the declared nodata value, WorldPop's
float32 −3.4e38, NaN and any negative value) is excluded, and an optional county boundary
masks cells whose centre is outside it. Only the window covering the boundary is read, so
national rasters stay cheap.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import rasterio
import rasterio.errors
import rasterio.warp
import rasterio.windows
import shapely

from tcm_coverage._errors import CRSError, InputError
from tcm_coverage._validate import MAX_POPULATION_PER_POINT
from tcm_coverage.inputs.demand import demand_frame, prepared_boundary

logger = logging.getLogger(__name__)

__all__ = ["points_from_raster"]

#: Values at or below this are nodata whatever the raster declares (WorldPop: −3.4028235e38).
_NODATA_FLOOR = -1e30


@dataclass(frozen=True, eq=False)
class _Cells:
    """The cells read: values of the window, where the window is, and the raster's CRS."""

    values: np.ndarray
    window: rasterio.windows.Window
    transform: Any
    nodata: float | None
    crs: Any
    is_lonlat: bool


def _valid_cells(values: np.ndarray, nodata: float | None) -> np.ndarray:
    """Mask of valid cells: finite, not nodata, not ≤ −1e30, not negative."""
    valid = np.isfinite(values) if values.dtype.kind == "f" else np.ones(values.shape, bool)
    if nodata is not None and not math.isnan(nodata):
        # Compare in the raster's own dtype: a float32 −3.4e38 is not the float64 −3.4e38.
        if values.dtype.kind == "f":
            valid &= values != np.asarray(nodata).astype(values.dtype)
            valid &= values.astype(np.float64) != nodata
        else:
            info = np.iinfo(values.dtype)
            if info.min <= nodata <= info.max and float(nodata).is_integer():
                valid &= values != np.asarray(nodata).astype(values.dtype)
    with np.errstate(invalid="ignore"):
        valid &= values.astype(np.float64) > _NODATA_FLOOR
        valid &= values >= 0
    return valid


def _pixel_coords(transform: Any, bounds: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Fractional (col, row) of the four corners of ``bounds`` under an affine transform."""
    left, bottom, right, top = bounds
    x = np.array([left, right, right, left], dtype=np.float64)
    y = np.array([bottom, bottom, top, top], dtype=np.float64)
    inv = ~transform
    return inv.a * x + inv.b * y + inv.c, inv.d * x + inv.e * y + inv.f


def points_from_raster(
    path: str | PathLike[str],
    *,
    boundary: Any = None,
    band: int = 1,
) -> gpd.GeoDataFrame:
    """Demand points from a population raster (e.g. WorldPop 100 m GeoTIFF).

    Parameters
    ----------
    path
        Raster file readable by rasterio; cell values are people per cell.
    boundary
        Optional county/township boundary (GeoDataFrame, GeoSeries or shapely geometry, in
        EPSG:4326). Only the raster window covering its bounds is read and cells whose centre
        lies outside it are dropped.
    band
        Raster band (1-based).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``demand_id``, ``population`` (float64 > 0), ``name`` (empty), ``source``
        (``"raster"``) and Point geometry at cell centres, EPSG:4326.

    Raises
    ------
    InputError
        The file cannot be read, the band does not exist, the boundary does not overlap the
        raster, or there is no positive population inside the boundary.
    CRSError
        The raster has no CRS and does not look like lon/lat.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path, fix="check the path")
    geom = prepared_boundary(boundary)
    cells = _read_cells(path, geom, band=band)
    x, y, pop = _populated_cells(cells, path=path)
    if geom is not None:
        inside = shapely.contains_xy(geom, x, y)
        x, y, pop = x[inside], y[inside], pop[inside]
    if pop.size == 0:
        where = " inside the boundary" if geom is not None else ""
        raise InputError(
            f"the raster has no cells with positive population{where}", path=path,
            fix="check that the raster covers the study area and that the boundary is WGS-84",
        )
    logger.info("%s: %d populated cells, %.0f people", path.name, pop.size, pop.sum())
    return demand_frame(x, y, pop, np.full(pop.size, "", dtype=object), "raster")


def _raster_crs(src: Any, *, path: Path) -> tuple[Any, bool]:
    """The raster's CRS and whether it is lon/lat (no CRS: lon/lat when the bounds say so)."""
    crs = src.crs
    if crs is None:
        left, bottom, right, top = src.bounds
        if not (-180 <= left <= right <= 180 and -90 <= bottom <= top <= 90):
            raise CRSError(
                "the raster has no coordinate reference system and its bounds "
                f"{tuple(src.bounds)} are not lon/lat", path=path,
                fix="set the raster's CRS (e.g. gdal_edit.py -a_srs EPSG:4326)",
            )
        logger.warning("%s has no CRS; assuming EPSG:4326 lon/lat", path)
    is_lonlat = crs is None or crs.to_epsg() == 4326
    if crs is not None and crs.is_geographic:
        left, bottom, right, top = src.bounds
        if max(abs(left), abs(right)) > 180 or max(abs(bottom), abs(top)) > 90:
            raise CRSError(
                f"the raster is tagged {crs.to_string()} (degrees) but "
                f"its bounds x {left:.6g}…{right:.6g}, y {bottom:.6g}…{top:.6g} look like "
                "metres", path=path,
                fix="set the raster's real projected CRS, e.g. gdal_edit.py -a_srs "
                    "EPSG:32649 (UTM 49N), or export it as EPSG:4326",
            )
    return crs, is_lonlat


def _window(src: Any, geom: shapely.Geometry | None, *, crs: Any, is_lonlat: bool,
            path: Path) -> rasterio.windows.Window:
    """The part of the raster covering the boundary (the whole raster without one)."""
    if geom is None:
        return rasterio.windows.Window(0, 0, src.width, src.height)
    bounds = tuple(float(v) for v in shapely.bounds(geom))
    if not is_lonlat:
        bounds = rasterio.warp.transform_bounds("EPSG:4326", crs, *bounds, densify_pts=21)
    cols, rows = _pixel_coords(src.transform, bounds)
    col0 = max(0, math.floor(cols.min()))
    row0 = max(0, math.floor(rows.min()))
    col1 = min(src.width, math.ceil(cols.max()))
    row1 = min(src.height, math.ceil(rows.max()))
    if col1 <= col0 or row1 <= row0:
        raise InputError(
            "the boundary does not overlap the raster", path=path,
            fix="use a population raster that covers the study area",
        )
    return rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)


def _read_cells(path: Path, geom: shapely.Geometry | None, *, band: int) -> _Cells:
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot read the raster ({exc})", path=path,
                         fix="pass a GeoTIFF population raster such as WorldPop") from exc
    with src:
        if not 1 <= band <= src.count:
            raise InputError(f"band {band} does not exist (the raster has {src.count})",
                             path=path, fix=f"pass band= between 1 and {src.count}")
        crs, is_lonlat = _raster_crs(src, path=path)
        window = _window(src, geom, crs=crs, is_lonlat=is_lonlat, path=path)
        return _Cells(values=src.read(band, window=window), window=window, transform=src.transform,
                      nodata=src.nodatavals[band - 1], crs=crs, is_lonlat=is_lonlat)


def _populated_cells(cells: _Cells, *, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lon, lat and population of the cells with people (an implausible count is an error)."""
    values, window, full = cells.values, cells.window, cells.transform
    keep = _valid_cells(values, cells.nodata)
    keep &= values > 0
    rows, cols = np.nonzero(keep)
    pop = values[rows, cols].astype(np.float64)
    huge = pop > MAX_POPULATION_PER_POINT
    if huge.any():
        r, c = int(rows[huge][0] + window.row_off), int(cols[huge][0] + window.col_off)
        raise InputError(
            f"{int(huge.sum())} cell(s) hold an implausible population (e.g. {pop[huge][0]:.6g} "
            f"people at row {r}, column {c}; more than {MAX_POPULATION_PER_POINT:,.0f} in one "
            "cell)", path=path,
            fix="if the value is a nodata marker, declare it (gdal_edit.py -a_nodata VALUE); "
                "otherwise fix the raster",
        )
    # Cell centres (pixel coordinates in the full raster, then the affine transform).
    cx = cols + window.col_off + 0.5
    cy = rows + window.row_off + 0.5
    x = full.a * cx + full.b * cy + full.c
    y = full.d * cx + full.e * cy + full.f
    if not cells.is_lonlat:
        tr = pyproj.Transformer.from_crs(cells.crs, "EPSG:4326", always_xy=True)
        x, y = tr.transform(x, y)
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
    return x, y, pop
