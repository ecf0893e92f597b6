"""Isochrone bands: where in the county a facility is reachable within 5, 10, 15 … minutes.

Method
------
A grid of square cells (``cell_m``, default 100 m) is laid over the county in the road
network's metric CRS (:func:`cell_grid`, once per run: every mode uses the same cells). Every
cell centre inside the county is treated exactly like a resident: an off-road leg to the
nearest usable road segment, then the network to the nearest facility
(:func:`tcm_coverage.access.traveltime.nearest_facility_times`, including the direct off-road
leg); the centres are snapped once per snap key (:func:`surface_points`). So a band painted on
the map means what the coverage tables count: a resident living in that cell reaches a
facility within the band's minutes.

Each cell gets the number of its band (``0–5``, ``5–10``, ``10–15`` minutes …; none beyond the
last threshold, unreachable or outside the county) and this class raster is polygonised once
(:func:`rasterio.features.shapes`, GDAL's C polygoniser, 4-connected): the pieces of one
band are the band's polygons as they are, without any union, and only the pieces that cross
the county line are cut along it. A band is therefore exactly its cells, clipped to the
county: its edges run along cell edges (and the county line), inside the county its area is
the number of its cells times the cell area, and it is valid (pieces of one band touch at
most at cell corners). The bands are *rings*, so nested bands can be drawn without stacking
transparency; the full "within ``t``" area is the union of the rings up to ``t``. The
written ``isochrones.gpkg`` keeps these exact cell outlines; the web map
(:mod:`tcm_coverage.outputs.maps`, about 80 m) smooths the stair steps when it draws them; the
print plates (:func:`tcm_coverage.outputs.print_layers.draw_isochrones`) fill the exact bands and
smooth (60 m) only the one line they draw, the edge of the reach within the threshold.

This is not a convex hull (which paints coverage over land with no road) nor a union of
buffered edges per facility (slow: one ego-graph per facility); one multi-source shortest-path
run per facility set gives every cell at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from affine import Affine
from rasterio import features

from tcm_coverage._errors import InputError
from tcm_coverage.access.traveltime import DIRECT_OFFROAD_MAX_M, NodeTimes, nearest_facility_times
from tcm_coverage.inputs import boundary_geometry
from tcm_coverage.network import RoutingGraph, Snap, snap_points

__all__ = ["CellGrid", "TravelTimeSurface", "band_classes", "band_columns", "bands_frame", "cell_grid",
           "isochrone_bands", "metric_area", "surface_points", "travel_time_surface"]

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
class CellGrid:
    """The grid of an area's isochrone cells (:func:`cell_grid`), the same for every mode.

    Attributes
    ----------
    x, y : numpy.ndarray
        (rows, cols) cell centres in ``crs_m``.
    inside : numpy.ndarray
        (rows, cols) bool: the centre lies inside the area.
    lon, lat : numpy.ndarray
        (k,) the centres inside the area in EPSG:4326 (row-major, as ``x[inside]``).
    shape : tuple of int
        ``(rows, cols)``.
    transform : affine.Affine
        Pixel -> metric coordinates (row 0 at the top).
    crs_m : str
        The metric CRS.
    area_m : shapely.Geometry
        The area in ``crs_m``.
    """

    x: np.ndarray
    y: np.ndarray
    inside: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    shape: tuple[int, int]
    transform: Affine
    crs_m: str
    area_m: shapely.Geometry


def cell_grid(crs_m: str, area: object, *, cell_m: float = 100.0) -> CellGrid:
    """Lay the square cells of the isochrones over ``area``.

    Parameters
    ----------
    crs_m : str
        Metric CRS of the road network (:attr:`tcm_coverage.network.RoadNetwork.crs_m`).
    area
        County polygon(s): GeoDataFrame, GeoSeries or shapely geometry in EPSG:4326.
    cell_m : float, default 100
        Cell size in metres.

    Returns
    -------
    CellGrid

    Raises
    ------
    InputError
        A cell size that is not a positive number, or more than :data:`MAX_CELLS` cells.
    """
    if not (np.isfinite(cell_m) and cell_m > 0):
        raise InputError(f"the isochrone cell size must be a positive number of metres, got {cell_m!r}",
                         fix="use e.g. cell_m=100")
    area_m = metric_area(crs_m, area)
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
    to_ll = pyproj.Transformer.from_crs(crs_m, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(xx[inside], yy[inside])
    return CellGrid(x=xx, y=yy, inside=inside, lon=np.asarray(lon), lat=np.asarray(lat),
                    shape=(rows, cols), transform=transform, crs_m=crs_m, area_m=area_m)


def metric_area(crs_m: str, area: object) -> shapely.Geometry:
    """The area (county polygons) in the metric CRS, as :func:`cell_grid` lays its cells over it
    (``CellGrid.area_m``): to tell whether a grid was laid over this area.

    Parameters
    ----------
    crs_m : str
        Metric CRS of the road network.
    area
        County polygon(s): GeoDataFrame, GeoSeries or shapely geometry in EPSG:4326.

    Returns
    -------
    shapely.Geometry
    """
    geom = boundary_geometry(area)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs_m, always_xy=True)
    return shapely.transform(geom, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1])))


def surface_points(rg: RoutingGraph, area: object, *, cell_m: float = 100.0,
                   grid: CellGrid | None = None) -> tuple[Snap, CellGrid]:
    """Snap the centres of the grid cells inside ``area`` to the network of one mode.

    Parameters
    ----------
    rg : RoutingGraph
        Graph of one mode.
    area
        County polygon(s): GeoDataFrame, GeoSeries or shapely geometry in EPSG:4326 (ignored
        when ``grid`` is given).
    cell_m : float, default 100
        Cell size in metres (ignored when ``grid`` is given).
    grid : CellGrid, optional
        The grid from :func:`cell_grid`, to lay it once for several modes.

    Returns
    -------
    (Snap, CellGrid)
        The snapped cell centres and the grid they came from; pass both to
        :func:`travel_time_surface` to reuse them for several facility sets (and modes with
        the same :func:`~tcm_coverage.network.snap_key`, through
        :func:`~tcm_coverage.network.snap_with_profile`).
    """
    if grid is None:
        grid = cell_grid(rg.network.crs_m, area, cell_m=cell_m)
    elif grid.crs_m != rg.network.crs_m:
        raise ValueError(f"the cell grid is in {grid.crs_m}, the network in {rg.network.crs_m}")
    return snap_points(rg, grid.lon, grid.lat), grid


def travel_time_surface(
    rg: RoutingGraph,
    facilities: Snap,
    area: object,
    *,
    cell_m: float = 100.0,
    cells: tuple[Snap, CellGrid] | None = None,
    direct_offroad_m: float = DIRECT_OFFROAD_MAX_M,
    nodes: NodeTimes | None = None,
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
    nodes : NodeTimes, optional
        The Dijkstra run of ``rg`` and ``facilities``
        (:func:`~tcm_coverage.access.traveltime.facility_node_times`) when the residents were
        routed to the same facilities already.

    Returns
    -------
    TravelTimeSurface
    """
    snap, grid = cells if cells is not None else surface_points(rg, area, cell_m=cell_m)
    minutes = np.full(grid.shape, np.nan)
    res = nearest_facility_times(rg, snap, facilities, direct_offroad_m=direct_offroad_m, nodes=nodes)
    minutes[grid.inside] = res.minutes
    return TravelTimeSurface(minutes=minutes, transform=grid.transform, crs_m=rg.network.crs_m,
                             cell_m=float(grid.transform.a), area_m=grid.area_m)


def band_classes(minutes: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """The band of every cell: ``k`` (1-based) when ``thresholds[k-2] < minutes <= thresholds[k-1]``
    (``thresholds`` sorted ascending), 0 beyond the last one, unreachable (``inf``) or
    outside the area (``nan``).

    Parameters
    ----------
    minutes : numpy.ndarray
        Minutes per cell.
    thresholds : sequence of float
        Ascending band limits in minutes.

    Returns
    -------
    numpy.ndarray
        int32, the shape of ``minutes``.
    """
    ts = np.asarray(thresholds, dtype=float)
    m = np.nan_to_num(np.asarray(minutes, dtype=float), nan=np.inf)
    cls = np.searchsorted(ts, m, side="left").astype(np.int32) + 1
    cls[cls > len(ts)] = 0
    return cls


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
        Simplification tolerance in metres (default ``None`` or 0: the exact cell outlines;
        the maps smooth them when they draw). ``area_km2`` stays the area of the cells.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per ring, EPSG:4326, columns ``min_from``, ``minutes`` (the ring's upper bound),
        ``area_km2`` (the ring's cells clipped to the area, in the metric CRS), the attributes
        and ``geometry`` (empty rings are kept with an empty geometry and area 0, so a table
        always lists every band).
    """
    return bands_frame([band_columns(surface, thresholds, attributes=attributes, simplify_m=simplify_m)])


def band_columns(
    surface: TravelTimeSurface,
    thresholds: Sequence[float],
    *,
    attributes: Mapping[str, object] | None = None,
    simplify_m: float | None = None,
) -> dict[str, list]:
    """The columns of :func:`isochrone_bands` as lists, ``geometry`` last: to put the rings of
    several surfaces in one frame (:func:`bands_frame`) without a frame per surface.

    Parameters
    ----------
    surface, thresholds, attributes, simplify_m
        As in :func:`isochrone_bands`.

    Returns
    -------
    dict
        Column name -> one value per ring.
    """
    ts = sorted({float(t) for t in thresholds})
    if not ts or ts[0] <= 0:
        raise InputError(f"isochrone thresholds must be positive minutes, got {list(thresholds)}",
                         fix="use e.g. 5 10 15")
    rings = _class_polygons(band_classes(surface.minutes, ts), len(ts), surface.transform,
                            clip=surface.area_m)
    area_km2 = shapely.area(rings) / 1e6
    if simplify_m:
        rings = shapely.simplify(rings, simplify_m, preserve_topology=True)
    to_ll = pyproj.Transformer.from_crs(surface.crs_m, "EPSG:4326", always_xy=True)
    rings_ll = shapely.transform(rings, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1])))
    # the pieces of a band touch at most at cell corners, which the move to lon/lat keeps (one
    # corner, one point); repaired all the same should a piece ever come out invalid
    bad = ~shapely.is_valid(rings_ll)
    rings_ll[bad] = [_polygonal(shapely.make_valid(g)) for g in rings_ll[bad]]
    data: dict[str, list] = {"min_from": [0.0, *ts[:-1]], "minutes": ts, "area_km2": list(area_km2)}
    for key, value in (attributes or {}).items():
        data[key] = [value] * len(ts)
    data["geometry"] = list(rings_ll)
    return data


def bands_frame(columns: Sequence[Mapping[str, Sequence[object]]]) -> gpd.GeoDataFrame:
    """The rings of :func:`band_columns` of one or more surfaces (the same columns) in one frame.

    Parameters
    ----------
    columns : sequence of mapping
        From :func:`band_columns`, at least one.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, the rings in the order given.
    """
    data = {key: list(chain.from_iterable(c[key] for c in columns)) for key in columns[0]}
    geometry = data.pop("geometry")
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")


def _class_polygons(classes: np.ndarray, n: int, transform: Affine, *, clip: shapely.Geometry) -> np.ndarray:
    """One MultiPolygon per class ``1..n`` of a class raster (empty for a class with no cell):
    its 4-connected pieces as GDAL polygonises them, which touch at most at corners, cut along
    the edge of ``clip`` where they cross it."""
    pieces = list(features.shapes(classes, mask=classes > 0, transform=transform, connectivity=4))
    out = np.array([shapely.MultiPolygon() for _ in range(n)], dtype=object)
    if not pieces:
        return out
    # GeoJSON rings to shapely in one call (shapely.geometry.shape per piece is 4x slower)
    rings = [ring for geom, _ in pieces for ring in geom["coordinates"]]
    ring_ends = np.cumsum([len(ring) for ring in rings])
    piece_ends = np.cumsum([len(geom["coordinates"]) for geom, _ in pieces])
    # the (x, y) pairs flattened straight into floats (3x faster than an array of tuples)
    coords = np.fromiter(chain.from_iterable(chain.from_iterable(rings)), dtype=float,
                         count=2 * int(ring_ends[-1])).reshape(-1, 2)
    polys = shapely.from_ragged_array(shapely.GeometryType.POLYGON, coords,
                                      (np.r_[0, ring_ends], np.r_[0, piece_ends]))
    values = np.array([int(v) for _, v in pieces], dtype=np.int64)
    polys, values = _clipped(polys, values, clip)
    for k in np.unique(values):
        out[k - 1] = shapely.multipolygons(polys[values == k])
    return out


def _clipped(polys: np.ndarray, values: np.ndarray, clip: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """``polys`` (with their ``values``) cut along the edge of ``clip``: the pieces inside are
    kept as they are, the others intersected and split into their polygons."""
    shapely.prepare(clip)
    inside = shapely.contains_properly(clip, polys)
    cut, index = shapely.get_parts(shapely.intersection(polys[~inside], clip), return_index=True)
    cut, sub = shapely.get_parts(cut, return_index=True)  # a collection may hold a MultiPolygon
    keep = (shapely.get_type_id(cut) == shapely.GeometryType.POLYGON) & (shapely.area(cut) > 0)
    return (np.concatenate([polys[inside], cut[keep]]),
            np.concatenate([values[inside], values[~inside][index[sub[keep]]]]))


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygon parts of a geometry (a repair may leave slivers of lines)."""
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
