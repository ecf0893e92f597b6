"""Isochrone bands: where in the county a facility is reachable within 5, 10, 15 … minutes.

Method
------
A grid of square cells (``cell_m``, default 100 m) is laid over the county in the road
network's metric CRS. Every cell centre inside the county is treated exactly like a resident:
an off-road leg to the nearest usable road segment, then the network to the nearest facility
(:func:`tcm_coverage.access.traveltime.nearest_facility_times`, including the direct off-road leg).
So a band painted on the map means what the coverage tables count: a resident living in that
cell reaches a facility within the band's minutes. The cells are classed by threshold,
polygonised (:func:`rasterio.features.shapes`), simplified to half a cell, clipped to the
county and returned as *rings*: ``0–5``, ``5–10``, ``10–15`` minutes, so nested bands can be
drawn without stacking transparency, and the full "within ``t``" area is the union of the
rings up to ``t``.

This is not a convex hull (which paints coverage over land with no road) nor a union of
buffered edges per facility (slow: one ego-graph per facility); one multi-source shortest-path
run per facility set gives every cell at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from affine import Affine
from rasterio import features

from tcm_coverage._errors import InputError
from tcm_coverage.access.traveltime import DIRECT_OFFROAD_MAX_M, nearest_facility_times
from tcm_coverage.inputs import boundary_geometry
from tcm_coverage.network import RoutingGraph, Snap, snap_points

__all__ = ["TravelTimeSurface", "isochrone_bands", "surface_points", "travel_time_surface"]

#: Largest number of grid cells computed for one surface (about 30 MB of working arrays).
MAX_CELLS = 4_000_000


@dataclass(frozen=True)
class TravelTimeSurface:
    """Minutes to the nearest facility on a regular grid in the network's metric CRS.

    Attributes
    ----------
    minutes : numpy.ndarray
        (rows, cols) float64; ``inf`` unreachable, ``nan`` outside the area.
    transform : affine.Affine
        Pixel -> metric coordinates (row 0 at the top).
    crs_m : str
        The metric CRS.
    cell_m : float
        Cell size in metres.
    area_m : shapely.Geometry
        The area (county) in the metric CRS.
    """

    minutes: np.ndarray
    transform: Affine
    crs_m: str
    cell_m: float
    area_m: shapely.Geometry


@dataclass(frozen=True)
class _Grid:
    x: np.ndarray
    y: np.ndarray
    inside: np.ndarray
    shape: tuple[int, int]
    transform: Affine
    area_m: shapely.Geometry


def _grid(rg: RoutingGraph, area: object, cell_m: float) -> _Grid:
    if not (np.isfinite(cell_m) and cell_m > 0):
        raise InputError(f"the isochrone cell size must be a positive number of metres, got {cell_m!r}",
                         fix="use e.g. cell_m=100")
    geom = boundary_geometry(area)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", rg.network.crs_m, always_xy=True)
    area_m = shapely.transform(geom, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1])))
    minx, miny, maxx, maxy = (float(v) for v in shapely.bounds(area_m))
    cols = int(np.ceil((maxx - minx) / cell_m))
    rows = int(np.ceil((maxy - miny) / cell_m))
    if rows * cols > MAX_CELLS:
        raise InputError(
            f"a {cell_m:g} m grid over this area has {rows * cols:,} cells (limit {MAX_CELLS:,})",
            fix=f"use a coarser cell, e.g. {cell_m * np.ceil(np.sqrt(rows * cols / MAX_CELLS)):g} m",
        )
    transform = Affine(cell_m, 0.0, minx, 0.0, -cell_m, maxy)
    cx = minx + (np.arange(cols) + 0.5) * cell_m
    cy = maxy - (np.arange(rows) + 0.5) * cell_m
    xx, yy = np.meshgrid(cx, cy)
    shapely.prepare(area_m)
    inside = np.asarray(shapely.contains_xy(area_m, xx, yy), dtype=bool)
    return _Grid(x=xx, y=yy, inside=inside, shape=(rows, cols), transform=transform, area_m=area_m)


def surface_points(rg: RoutingGraph, area: object, *, cell_m: float = 100.0) -> tuple[Snap, _Grid]:
    """Snap the centres of the grid cells inside ``area`` to the network (done once per mode).

    Parameters
    ----------
    rg : RoutingGraph
        Graph of one mode.
    area
        County polygon(s): GeoDataFrame, GeoSeries or shapely geometry in EPSG:4326.
    cell_m : float, default 100
        Cell size in metres.

    Returns
    -------
    (Snap, grid)
        The snapped cell centres and the grid they came from; pass both to
        :func:`travel_time_surface` to reuse them for several facility sets.
    """
    grid = _grid(rg, area, cell_m)
    to_ll = pyproj.Transformer.from_crs(rg.network.crs_m, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(grid.x[grid.inside], grid.y[grid.inside])
    return snap_points(rg, np.asarray(lon), np.asarray(lat)), grid


def travel_time_surface(
    rg: RoutingGraph,
    facilities: Snap,
    area: object,
    *,
    cell_m: float = 100.0,
    cells: tuple[Snap, _Grid] | None = None,
    direct_offroad_m: float = DIRECT_OFFROAD_MAX_M,
) -> TravelTimeSurface:
    """Minutes from every grid cell of ``area`` to the nearest facility.

    Parameters
    ----------
    rg : RoutingGraph
        Graph of one mode.
    facilities : Snap
        The facilities, snapped on ``rg``.
    area
        County polygon(s) in EPSG:4326 (ignored when ``cells`` is given).
    cell_m : float, default 100
        Cell size in metres (ignored when ``cells`` is given).
    cells : tuple, optional
        The result of :func:`surface_points`, to reuse the snapping across facility sets.
    direct_offroad_m : float, default :data:`tcm_coverage.access.traveltime.DIRECT_OFFROAD_MAX_M`
        Longest straight off-road leg to a facility, as in
        :func:`tcm_coverage.access.traveltime.nearest_facility_times`.

    Returns
    -------
    TravelTimeSurface
    """
    snap, grid = cells if cells is not None else surface_points(rg, area, cell_m=cell_m)
    minutes = np.full(grid.shape, np.nan)
    res = nearest_facility_times(rg, snap, facilities, direct_offroad_m=direct_offroad_m)
    minutes[grid.inside] = res.minutes
    return TravelTimeSurface(minutes=minutes, transform=grid.transform, crs_m=rg.network.crs_m,
                             cell_m=float(grid.transform.a), area_m=grid.area_m)


def isochrone_bands(
    surface: TravelTimeSurface,
    thresholds: Sequence[float],
    *,
    attributes: Mapping[str, object] | None = None,
    simplify_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Polygonise a travel-time surface into rings between consecutive thresholds.

    Parameters
    ----------
    surface : TravelTimeSurface
        From :func:`travel_time_surface`.
    thresholds : sequence of float
        Minutes, e.g. ``(5, 10, 15)``; sorted and de-duplicated.
    attributes : mapping, optional
        Extra constant columns (e.g. ``{"mode": "walk", "target": "tcm_any"}``).
    simplify_m : float, optional
        Simplification tolerance in metres (default: half a cell).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per ring, EPSG:4326, columns ``min_from``, ``minutes`` (the ring's upper bound),
        ``area_km2``, the attributes and ``geometry`` (empty rings are kept with an empty
        geometry and area 0, so a table always lists every band).
    """
    ts = sorted({float(t) for t in thresholds})
    if not ts or ts[0] <= 0:
        raise InputError(f"isochrone thresholds must be positive minutes, got {list(thresholds)}",
                         fix="use e.g. 5 10 15")
    tol = surface.cell_m / 2 if simplify_m is None else simplify_m
    within: list[shapely.Geometry] = []
    for t in ts:
        mask = np.nan_to_num(surface.minutes, nan=np.inf) <= t
        geom: shapely.Geometry
        if mask.any():
            polys = [shapely.geometry.shape(g) for g, _ in
                     features.shapes(mask.astype(np.uint8), mask=mask, transform=surface.transform,
                                     connectivity=4)]
            geom = shapely.union_all(polys)
            geom = shapely.simplify(geom, tol, preserve_topology=True)
            geom = shapely.intersection(shapely.make_valid(geom), surface.area_m)
        else:
            geom = shapely.Polygon()
        within.append(geom)
    rings, lows = [], []
    prev: shapely.Geometry = shapely.Polygon()
    for t, geom in zip(ts, within, strict=True):
        ring = shapely.difference(geom, prev) if not shapely.is_empty(prev) else geom
        ring = _polygonal(shapely.make_valid(ring))
        rings.append(ring)
        lows.append(ts[ts.index(t) - 1] if ts.index(t) else 0.0)
        prev = shapely.union(prev, geom) if not shapely.is_empty(prev) else geom
    area_km2 = np.array([shapely.area(g) / 1e6 for g in rings])
    to_ll = pyproj.Transformer.from_crs(surface.crs_m, "EPSG:4326", always_xy=True)
    rings_ll = [shapely.transform(g, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1])))
                for g in rings]
    # the raster outlines have vertices exactly on other rings' edges; the (non-linear) move to
    # lon/lat can push one across by 1e-9 degrees, which GIS software rejects as invalid
    rings_ll = [g if shapely.is_valid(g) else _polygonal(shapely.make_valid(g)) for g in rings_ll]
    data = {"min_from": lows, "minutes": ts, "area_km2": area_km2}
    for key, value in (attributes or {}).items():
        data[key] = [value] * len(ts)
    return gpd.GeoDataFrame(data, geometry=rings_ll, crs="EPSG:4326")


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygon parts of a geometry (set operations may leave slivers of lines)."""
    if shapely.is_empty(geom):
        return shapely.MultiPolygon()
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if isinstance(p, (shapely.Polygon, shapely.MultiPolygon)) and p.area > 0]
    if not polys:
        return shapely.MultiPolygon()
    # dissolved, so the parts of the MultiPolygon touch at most at points (a valid geometry
    # GIS software accepts; parts sharing an edge made 13 of the demo's 60 rings invalid)
    merged = shapely.union_all(polys)
    return shapely.MultiPolygon([q for q in shapely.get_parts(merged)
                                 if isinstance(q, shapely.Polygon) and q.area > 0])
