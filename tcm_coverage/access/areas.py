"""Which area (county, township) each point lies in: :func:`assign_areas` (one STRtree query,
the nearest area within a distance for points just outside), and the codes a run assigns once
for every table (:func:`with_area_codes`), taken again by :func:`area_codes` only for the very
boundaries they came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tcm_coverage._geo import frame_utm_crs

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["UNASSIGNED", "area_codes", "assign_areas", "with_area_codes"]

#: The code of a point outside every area.
UNASSIGNED = ""


def assign_areas(
    points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, max_distance_m: float = 2000.0
) -> np.ndarray:
    """Code of the area containing each point (nearest area within ``max_distance_m`` otherwise).

    Parameters
    ----------
    points
        Points in EPSG:4326.
    areas
        Polygons with a ``code`` column, EPSG:4326.
    max_distance_m
        Points outside every polygon but this close to one are given the nearest (boundaries of
        different sources rarely match exactly); farther points get ``""``.

    Returns
    -------
    numpy.ndarray
        Area code per point (object array), ``""`` when outside.
    """
    codes = np.full(len(points), UNASSIGNED, dtype=object)
    if len(points) == 0 or len(areas) == 0:
        return codes
    # the geometry stack only here: a redraw that assigns no area never imports it (1.5 s)
    import geopandas as gpd  # noqa: PLC0415 - deferred on purpose
    import shapely  # noqa: PLC0415 - deferred on purpose

    pts = gpd.GeoDataFrame(geometry=points.geometry.to_numpy(), crs=points.crs).reset_index(drop=True)
    polys = areas[["code", "geometry"]].reset_index(drop=True)
    area_code = polys["code"].to_numpy(dtype=object)
    # one STRtree query; a point in several areas (overlapping outlines) takes the first area
    # (a tree of the points, each area's polygon prepared once: "contains" is "within" reversed)
    poly, pt = shapely.STRtree(pts.geometry.to_numpy()).query(polys.geometry.to_numpy(), predicate="contains")
    named = ~pd.isna(area_code[poly])
    pt, poly = pt[named], poly[named]
    order = np.lexsort((poly, pt))
    pt, poly = pt[order], poly[order]
    first = np.r_[True, pt[1:] != pt[:-1]] if pt.size else np.zeros(0, bool)
    codes[pt[first]] = area_code[poly[first]]
    inside = np.zeros(len(pts), bool)
    inside[pt[first]] = True
    if (~inside).any():
        crs_m = frame_utm_crs(pts)
        rest = pts[~inside].to_crs(crs_m)
        near = gpd.sjoin_nearest(rest, polys.to_crs(crs_m), how="left", max_distance=max_distance_m)
        near = near[~near.index.duplicated(keep="first")]
        ok = near["code"].notna()
        codes[near.index[ok].to_numpy()] = near.loc[ok, "code"].to_numpy()
    return codes


#: Where :func:`with_area_codes` records which boundaries its code columns came from.
_STAMP = "tcm_area_codes"


def _codes_key(codes: pd.Series, areas: gpd.GeoDataFrame) -> str:
    """A digest of a code column and of the areas' codes and outlines: which boundaries the
    column was assigned from (a few milliseconds for a county's 150,000 points: the column is
    factorised as it is stored, e.g. as Arrow strings; the points' coordinates are not read,
    which would cost several times that)."""
    import shapely  # noqa: PLC0415 - deferred: the geometry stack only where areas are compared

    digest = hashlib.blake2b(digest_size=16)
    index, labels = pd.factorize(codes, use_na_sentinel=True)
    digest.update(np.asarray(index, dtype=np.int64).tobytes())
    digest.update("\x1f".join(map(str, labels)).encode())
    digest.update(b"\x1e" + "\x1f".join(map(str, areas["code"])).encode())
    for wkb in shapely.to_wkb(areas.geometry.to_numpy()):
        digest.update(b"" if wkb is None else wkb)
    return digest.hexdigest()  # text: attrs go into the run store's parquet metadata (JSON)


def with_area_codes(points: gpd.GeoDataFrame, levels: Mapping[str, gpd.GeoDataFrame | None], *,
                    like: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """A copy of ``points`` with a ``{level}_code`` column per level (after the first column, in
    the order of ``levels``): :func:`assign_areas` of its areas, recorded with the areas they
    came from so that :func:`area_codes` (the coverage and 65+ tables) takes them without
    assigning again, and only for these areas.

    Parameters
    ----------
    points
        Points in EPSG:4326 (without those columns).
    levels
        Level (``county``, ``township``) -> its polygons (a level with ``None`` is left out).
    like
        Points given codes by this function for the same ``levels``: when they are the same
        points (the residents 65+ of a raster on the residents' cells), their codes are taken.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    out = points.copy()
    same = like is not None and _same_points(points, like)
    stamps: dict[str, str] = {}
    at = 1
    for level, areas in levels.items():
        if areas is None:
            continue
        column = f"{level}_code"
        codes = (like[column].to_numpy(dtype=object) if same and like is not None
                 else assign_areas(points, areas))
        out.insert(at, column, codes)
        stamps[level] = _codes_key(out[column], areas)
        at += 1
    out.attrs[_STAMP] = stamps
    return out


def _same_points(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> bool:
    """The two frames hold the same points, row for row."""
    if len(a) != len(b):
        return False
    import shapely  # noqa: PLC0415 - deferred: the geometry stack only where points are compared

    ga, gb = a.geometry.to_numpy(), b.geometry.to_numpy()
    return bool(np.array_equal(shapely.get_type_id(ga), shapely.get_type_id(gb))
                and np.array_equal(shapely.get_coordinates(ga), shapely.get_coordinates(gb)))


def area_codes(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, level: str) -> np.ndarray:
    """The ``{level}_code`` column of ``points`` when :func:`with_area_codes` made it from these
    very ``areas`` (the codes a run assigned once; checked against a digest of the codes and the
    areas' codes and outlines), else :func:`assign_areas` of ``areas``: a code column from other
    boundaries (a frame of another run, edited, subset or reordered codes) is never taken. (The
    points themselves are not hashed: after moving a frame's points, give it codes again.)

    Parameters
    ----------
    points
        Points in EPSG:4326, perhaps with a ``county_code`` / ``township_code`` column.
    areas
        The polygons of that level.
    level
        ``county`` or ``township``.

    Returns
    -------
    numpy.ndarray
        Area code per point (``""`` outside).
    """
    column = f"{level}_code"
    stamps = points.attrs.get(_STAMP)
    stamp = stamps.get(level) if isinstance(stamps, dict) else None
    if column in points.columns and stamp is not None and _codes_key(points[column], areas) == stamp:
        return points[column].to_numpy(dtype=object).copy()
    return assign_areas(points, areas)
