"""Slopes: elevation from a DEM along every road segment, and how grade changes each mode's speed.

The DEM and where it is sampled
-------------------------------
:func:`read_dem` reads band 1 of a GeoTIFF in any CRS (nodata becomes NaN). Elevation is
interpolated **bilinearly** between the four nearest cell centres (index arithmetic on the
array, vectorised; within half a cell of the raster's edge the edge cells are used; outside the
raster, or next to a nodata cell, it is unknown). :func:`with_elevation` samples every road
segment at both of its nodes and at equal steps of at most :data:`DEM_STEP_M` (50 m) along its
geometry, so a long segment over a ridge is several pieces, each with its own grade. A bridge or
tunnel (``grade_separated``) is one straight piece from node to node (the DEM under a bridge is
the valley). A piece whose ends have no elevation is taken as **flat** (the stated fallback for
roads past the DEM's edge, e.g. in the road buffer outside the county); its length is reported
(``km_without_elevation`` of :func:`~tcm_coverage.network.summary.network_summary`).
A DEM that gives no road any elevation is an :class:`~tcm_coverage._errors.InputError`.

Grade and speed
---------------
The grade ``S = dh/dx`` (rise over horizontal distance) is taken **in the direction of travel**,
so a segment's time ``u -> v`` differs from ``v -> u``. Road grades are capped at
±:data:`MAX_ROAD_GRADE` (steeper values on a road are DEM artefacts: cuttings, embankments).

Walking (``walk``, ``walk_elderly``; rule ``"tobler"``)
    Tobler's hiking function ``v = 6·exp(−3.5·|S + 0.05|)`` km/h (Tobler 1993), scaled so that
    the profile's flat speed is kept: ``v = v_profile · exp(−3.5·|S + 0.05|) / exp(−3.5·0.05)``.
    The fastest walk is on a gentle 5 % descent (1.19 × the flat speed); a 10 % climb is
    0.59 ×, a 10 % descent 0.84 ×.
Bicycle and e-bike (rules ``"bicycle"``, ``"ebike"``)
    **Planning assumption**, a linear slow-down per percent of climb:
    ``v = max(v_flat − k · 100·S, v_min)`` on a climb (``S > 0``), ``v = v_flat`` on the flat
    and downhill (no gain: descents on rural roads are ridden at the usual speed, braking).
    Bicycle ``k`` = 0.86 km/h per %, ``v_min`` = 4 km/h (pushing); e-bike ``k`` = 0.4 km/h per %,
    ``v_min`` = 6 km/h. The bicycle rate is of the order GPS studies report for
    utility cyclists (Parkin & Rotheram 2010, *Transport Policy* 17: 335–341); both agree with
    a power balance: a rider holding ~100 W with 90 kg on a 5 % climb rides ~7 km/h
    (12 − 0.86·5 = 7.7), a throttle e-bike at its 400 W motor limit (GB 17761-2018) with
    100 kg on a 10 % climb ~14 km/h (18 − 0.4·10 = 14).
Car (rule ``"none"``)
    Unchanged.

Off-road legs (resident → road, road → facility, the direct walk) are on foot for every mode
that has a climb rule: their speed is ``offroad_kmh`` scaled by Tobler with the grade of the leg
(elevation at both ends, capped at ±:data:`MAX_OFFROAD_GRADE`); a car's off-road leg is unchanged
like the rest of its trip.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import rasterio
import shapely

from tcm_coverage._errors import InputError
from tcm_coverage.network.climb import CLIMB_RULES, ClimbRule

logger = logging.getLogger(__name__)

__all__ = ["CLIMB_RULES", "DEM_STEP_M", "MAX_OFFROAD_GRADE", "MAX_ROAD_GRADE", "ClimbRule", "Dem",
           "Terrain", "climb_time_factors", "offroad_speed_factor", "read_dem", "tobler_factor"]

#: Longest horizontal step between two elevation samples along a segment (metres).
DEM_STEP_M = 50.0
#: Largest road grade used (|dh/dx|); steeper values on a road are DEM artefacts.
MAX_ROAD_GRADE = 0.30
#: Largest grade of an off-road leg (|dh/dx|).
MAX_OFFROAD_GRADE = 1.0


def tobler_factor(grade: Any) -> np.ndarray:
    """Tobler's walking speed at ``grade`` relative to the flat: ``exp(−3.5·|S+0.05|) / exp(−3.5·0.05)``.

    Parameters
    ----------
    grade : array-like
        ``dh/dx`` in the direction of travel.

    Returns
    -------
    numpy.ndarray
        Speed factor (1 on the flat, 1.19 at −5 %).
    """
    s = np.asarray(grade, dtype=np.float64)
    return np.exp(-3.5 * np.abs(s + 0.05)) / math.exp(-3.5 * 0.05)


def _rule(mode: str) -> ClimbRule:
    return CLIMB_RULES.get(mode, ClimbRule("none"))


def _speed_factor(rule: ClimbRule, flat_kmh: np.ndarray, grade: np.ndarray) -> np.ndarray:
    """Speed on ``grade`` over the flat speed, per piece (1 where the rule is ``"none"``)."""
    if rule.kind == "tobler":
        return tobler_factor(grade)
    if rule.kind == "linear":
        floor = np.minimum(flat_kmh, rule.min_kmh)
        climb = np.maximum(flat_kmh - rule.kmh_per_pct * 100.0 * np.maximum(grade, 0.0), floor)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(flat_kmh > 0, climb / flat_kmh, 1.0)
    return np.ones_like(grade)


def offroad_speed_factor(mode: str, dist_m: Any, rise_m: Any) -> np.ndarray:
    """Speed factor of off-road legs of ``mode``: Tobler on the leg's grade (1 for a car, or
    where the rise is unknown or the leg has no length).

    Parameters
    ----------
    mode : str
        Travel mode.
    dist_m, rise_m : array-like
        Horizontal length of each leg and its rise in the direction of travel (NaN: unknown).

    Returns
    -------
    numpy.ndarray
    """
    dist = np.asarray(dist_m, dtype=np.float64)
    rise = np.nan_to_num(np.asarray(rise_m, dtype=np.float64), nan=0.0)
    if _rule(mode).kind == "none":
        return np.ones(np.broadcast(dist, rise).shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        grade = np.where(dist > 0, rise / np.where(dist > 0, dist, 1.0), 0.0)
    return tobler_factor(np.clip(grade, -MAX_OFFROAD_GRADE, MAX_OFFROAD_GRADE))


@dataclass(frozen=True)
class Dem:
    """A digital elevation model: band 1 of a GeoTIFF.

    Attributes
    ----------
    values : numpy.ndarray
        (rows, cols) float32 metres, NaN where nodata.
    transform : tuple of float
        The affine ``(a, b, c, d, e, f)``: ``x = a·col + b·row + c``, ``y = d·col + e·row + f``.
    crs : str
        The raster's CRS (WKT).
    source : str
        The file.
    """

    values: np.ndarray
    transform: tuple[float, float, float, float, float, float]
    crs: str
    source: str

    def elevation(self, x: Any, y: Any, crs: str) -> np.ndarray:
        """Bilinear elevation at points given in ``crs`` (NaN outside the raster or next to nodata).

        Parameters
        ----------
        x, y : array-like
            Coordinates in ``crs``.
        crs : str
            Their CRS (e.g. the network's ``crs_m``).

        Returns
        -------
        numpy.ndarray
            float64 metres, same shape as ``x``.
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.size == 0:
            return np.zeros(x.shape)
        tr = pyproj.Transformer.from_crs(crs, self.crs, always_xy=True)
        px, py = (np.asarray(c, dtype=np.float64) for c in tr.transform(x, y))
        a, b, c, d, e, f = self.transform
        det = a * e - b * d
        col = (e * (px - c) - b * (py - f)) / det
        row = (-d * (px - c) + a * (py - f)) / det
        h, w = self.values.shape
        inside = (col >= 0) & (col <= w) & (row >= 0) & (row <= h)
        cx = np.clip(np.nan_to_num(col - 0.5), 0.0, w - 1.0)
        cy = np.clip(np.nan_to_num(row - 0.5), 0.0, h - 1.0)
        j0 = np.minimum(np.floor(cx).astype(np.int64), w - 2)
        i0 = np.minimum(np.floor(cy).astype(np.int64), h - 2)
        tx, ty = cx - j0, cy - i0
        z = self.values
        top = z[i0, j0] * (1 - tx) + z[i0, j0 + 1] * tx
        bottom = z[i0 + 1, j0] * (1 - tx) + z[i0 + 1, j0 + 1] * tx
        out = (top * (1 - ty) + bottom * ty).astype(np.float64)
        return np.where(inside, out, np.nan)

    def covers_lonlat(self, lon: Any, lat: Any) -> np.ndarray:
        """(k,) bool: the DEM has an elevation at these WGS-84 points."""
        return np.isfinite(self.elevation(lon, lat, "EPSG:4326"))


def read_dem(path: str | Path) -> Dem:
    """Read a DEM GeoTIFF (band 1, metres; any CRS; nodata -> NaN).

    Parameters
    ----------
    path : str or Path
        The GeoTIFF.

    Returns
    -------
    Dem

    Raises
    ------
    InputError
        Not a raster, no CRS, smaller than 2 × 2 cells, or no valid elevation.
    """
    path = Path(path)
    fix = "give a GeoTIFF of elevations in metres with a CRS (e.g. SRTM or Copernicus GLO-30)"
    try:
        with rasterio.open(path) as src:
            arr = src.read(1, masked=True)
            crs = src.crs
            a = src.transform
    except rasterio.errors.RasterioError as exc:
        raise InputError(f"cannot read the DEM ({exc})", path=path, fix=fix) from None
    if crs is None:
        raise InputError("the DEM has no coordinate reference system", path=path, fix=fix)
    values = np.ma.filled(arr.astype(np.float32), np.nan)
    if values.shape[0] < 2 or values.shape[1] < 2:
        raise InputError(f"the DEM has only {values.shape[0]} × {values.shape[1]} cells",
                         path=path, fix=fix)
    if not np.isfinite(values).any():
        raise InputError("the DEM holds no elevation (every cell is nodata)", path=path, fix=fix)
    return Dem(values=values, transform=(a.a, a.b, a.c, a.d, a.e, a.f), crs=crs.to_wkt(),
               source=str(path))


@dataclass(frozen=True)
class Terrain:
    """Elevation along the segments of a :class:`~tcm_coverage.network.model.RoadNetwork`.

    Attributes
    ----------
    dem : Dem
        The DEM sampled.
    piece_segment : numpy.ndarray
        (p,) int64 segment of each piece, non-decreasing.
    piece_m : numpy.ndarray
        (p,) horizontal length of each piece (metres).
    piece_rise_m : numpy.ndarray
        (p,) rise from the piece's ``u`` side to its ``v`` side (metres; 0 where unknown).
    piece_known : numpy.ndarray
        (p,) bool: both ends of the piece have an elevation.
    """

    dem: Dem
    piece_segment: np.ndarray
    piece_m: np.ndarray
    piece_rise_m: np.ndarray
    piece_known: np.ndarray

    def grade(self) -> np.ndarray:
        """(p,) grade of each piece ``u -> v``, capped at ±:data:`MAX_ROAD_GRADE` (0 when flat
        or unknown)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(self.piece_m > 0, self.piece_rise_m / np.where(self.piece_m > 0,
                                                                        self.piece_m, 1.0), 0.0)
        return np.clip(g, -MAX_ROAD_GRADE, MAX_ROAD_GRADE)

    def take(self, keep: np.ndarray) -> Terrain:
        """The pieces of segments ``keep`` (mask or indices), renumbered like
        :func:`~tcm_coverage.network.model.subset_network`."""
        keep = np.asarray(keep)
        m = int(self.piece_segment.max()) + 1 if self.piece_segment.size else 0
        idx = np.flatnonzero(keep) if keep.dtype == bool else keep.astype(np.int64)
        new = np.full(max(m, int(idx.max()) + 1 if idx.size else 0), -1, dtype=np.int64)
        new[idx] = np.arange(idx.size)
        seg_new = new[self.piece_segment]
        sel = seg_new >= 0
        order = np.argsort(seg_new[sel], kind="stable")
        return replace(self, piece_segment=seg_new[sel][order], piece_m=self.piece_m[sel][order],
                       piece_rise_m=self.piece_rise_m[sel][order],
                       piece_known=self.piece_known[sel][order])


def sample_segments(geometry_m: np.ndarray, crs_m: str, dem: Dem, *,
                    ends_m: tuple[np.ndarray, np.ndarray] | None = None,
                    straight: np.ndarray | None = None, step_m: float = DEM_STEP_M) -> Terrain:
    """Elevation pieces of every segment (see the module docstring).

    A straight segment needs no LineString: with ``ends_m`` its geometry may be missing
    (None) and it is sampled on the line between its two ends (numpy arithmetic, the points
    GEOS's ``line_interpolate_point`` gives on that line); a curved one is sampled along its
    stored geometry.

    Parameters
    ----------
    geometry_m : numpy.ndarray
        (m,) LineStrings in ``crs_m``, each from ``u`` to ``v``; None where the segment is the
        straight line between ``ends_m`` (then ``ends_m`` is required).
    crs_m : str
        Their CRS.
    dem : Dem
        The DEM.
    ends_m : tuple of numpy.ndarray, optional
        ``(start, end)``: (m, 2) coordinates of each segment's ``u`` and ``v`` node in
        ``crs_m``.
    straight : numpy.ndarray, optional
        (m,) bool: one piece from end to end (bridges and tunnels).
    step_m : float
        Longest piece.

    Returns
    -------
    Terrain
    """
    geoms = np.asarray(geometry_m, dtype=object)
    m = geoms.size
    has_line = ~np.asarray(shapely.is_missing(geoms), dtype=bool)
    if ends_m is None:
        if not has_line.all():
            raise ValueError("sample_segments: a segment without geometry needs ends_m")
        a = b = np.zeros((m, 2))
    else:
        a, b = (np.asarray(e, dtype=np.float64).reshape(m, 2) for e in ends_m)
    length = np.hypot(*(b - a).T)
    length[has_line] = shapely.length(geoms[has_line])
    n_pieces = np.maximum(np.ceil(length / float(step_m)), 1).astype(np.int64)
    if straight is not None:
        n_pieces = np.where(straight, 1, n_pieces)
    seg = np.repeat(np.arange(m, dtype=np.int64), n_pieces + 1)
    start = np.repeat(np.cumsum(n_pieces + 1) - (n_pieces + 1), n_pieces + 1)
    k = np.arange(seg.size, dtype=np.int64) - start
    frac = k / n_pieces[seg]
    xy = a[seg] + frac[:, None] * (b - a)[seg]
    on_line = np.flatnonzero(has_line[seg])
    if on_line.size:
        pts = shapely.line_interpolate_point(geoms[seg[on_line]], frac[on_line], normalized=True)
        xy[on_line] = shapely.get_coordinates(pts)
    z = dem.elevation(xy[:, 0], xy[:, 1], crs_m) if seg.size else np.zeros(0)
    last = k == n_pieces[seg]  # the v end of each segment: no piece starts there
    head = np.flatnonzero(~last)
    rise = z[head + 1] - z[head]
    known = np.isfinite(rise)
    piece_seg = seg[head]
    return Terrain(dem=dem, piece_segment=piece_seg,
                   piece_m=(length / n_pieces)[piece_seg],
                   piece_rise_m=np.where(known, rise, 0.0), piece_known=known)


def climb_time_factors(terrain: Terrain, mode: str, flat_kmh: np.ndarray) -> tuple[np.ndarray,
                                                                                     np.ndarray]:
    """(m,) time factors ``u -> v`` and ``v -> u`` of every segment (1: as on the flat).

    The factor is ``Σ piece_m · v_flat / v(S) / Σ piece_m`` over the segment's pieces, with
    ``S`` the piece's grade in the direction of travel.

    Parameters
    ----------
    terrain : Terrain
        The network's elevation pieces.
    mode : str
        Travel mode (its rule in :data:`CLIMB_RULES`).
    flat_kmh : numpy.ndarray
        (m,) flat speed of each segment (NaN where unusable).

    Returns
    -------
    tuple of numpy.ndarray
    """
    m = flat_kmh.shape[0]
    rule = _rule(mode)
    if rule.kind == "none" or terrain.piece_segment.size == 0:
        return np.ones(m), np.ones(m)
    seg = terrain.piece_segment
    grade = terrain.grade()
    flat = np.nan_to_num(flat_kmh[seg], nan=0.0)
    total = np.bincount(seg, weights=terrain.piece_m, minlength=m)
    factors = []
    for g in (grade, -grade):
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / _speed_factor(rule, flat, g)
        weighted = np.bincount(seg, weights=terrain.piece_m * inv, minlength=m)
        with np.errstate(divide="ignore", invalid="ignore"):
            factors.append(np.where(total > 0, weighted / np.where(total > 0, total, 1.0), 1.0))
    return factors[0], factors[1]
