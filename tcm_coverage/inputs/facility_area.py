"""The facilities of one county's run, out of a facility file that may cover more.

A planner often has only the province's (or city's) facility list. Residents near the county line
go to a clinic across it, so facilities within the road buffer of the county (``buffer_m``, the
same distance the roads are clipped to) are kept for routing; those farther out can serve no
resident of the county and are left out, with a note that says how many. Of the kept ones only the
county's own (inside the boundary, with :data:`~tcm_coverage.vocab.OWN_FACILITY_TOLERANCE_M` for
boundary files and coordinates that disagree) are counted in its facility indicators and
scorecards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from tcm_coverage._geo import buffer_lonlat
from tcm_coverage.i18n import text
from tcm_coverage.vocab import OWN_FACILITY_TOLERANCE_M

__all__ = ["CountyFacilities", "county_facilities"]


@dataclass(frozen=True)
class CountyFacilities:
    """The facilities a county's run uses.

    Attributes
    ----------
    facilities
        Facilities within ``buffer_m`` of the counties (index reset), with the input warnings of
        the table in ``attrs["input_warnings"]`` plus the notes below.
    own
        (len(facilities),) bool: inside a county (within the tolerance): counted in its
        indicators. ``None`` when every kept facility is the county's own.
    far
        Facilities left out (farther than ``buffer_m``).
    neighbours
        Kept facilities that are not the county's own.
    """

    facilities: gpd.GeoDataFrame
    own: np.ndarray | None
    far: int
    neighbours: int


def _inside(geom: shapely.Geometry, buffer_m: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    area = buffer_lonlat(geom, buffer_m)
    return np.asarray(shapely.contains_xy(area, x, y) | shapely.intersects_xy(area, x, y), dtype=bool)


def _far_note(far: gpd.GeoDataFrame, *, file: str, km: float) -> tuple[str, str]:
    """(English, Chinese) note on the facilities left out, naming the first five."""
    rows = far["source_row"] if "source_row" in far.columns else far.index.to_series() + 2
    pairs = list(zip(far["name"].astype(str), rows.astype(str), strict=True))
    out = []
    for lang in ("en", "zh"):
        shown = (", " if lang == "en" else "、").join(
            text("inputs.far_facility", lang, name=n, row=r) for n, r in pairs[:5])
        more = text("inputs.duplicate_more", lang) if len(pairs) > 5 else ""
        out.append(text("inputs.far_facilities", lang, file=file, n=len(far), km=km,
                        shown=shown + more))
    return out[0], out[1]


def county_facilities(facilities: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, *,
                      buffer_m: float, source: str | Path | None = None,
                      own_tolerance_m: float = OWN_FACILITY_TOLERANCE_M) -> CountyFacilities:
    """Keep the facilities near the counties; mark the counties' own.

    Parameters
    ----------
    facilities
        Facility points (WGS-84), as :func:`~tcm_coverage.inputs.facilities.read_facilities`
        returns them. Not modified.
    counties
        County polygons (WGS-84).
    buffer_m
        Facilities farther than this outside every county are left out (the roads are clipped to
        the same distance, so they could not be reached anyway).
    source
        The facility file, for the notes.
    own_tolerance_m
        Facilities at most this far outside a county are its own.

    Returns
    -------
    CountyFacilities
    """
    geom = shapely.union_all(counties.geometry.to_numpy())
    x, y = facilities.geometry.x.to_numpy(), facilities.geometry.y.to_numpy()
    near = _inside(geom, max(buffer_m, own_tolerance_m), x, y)
    own = _inside(geom, own_tolerance_m, x, y)[near]
    kept = facilities[near].reset_index(drop=True)
    notes = list(facilities.attrs.get("input_warnings", ()))
    far = int((~near).sum())
    file = Path(source).name if source is not None else "facilities"
    if far:
        notes.append(_far_note(facilities[~near], file=file, km=round(buffer_m / 1000, 1)))
    neighbours = int((~own).sum())
    if neighbours:
        km = round(buffer_m / 1000, 1)
        notes.append(tuple(text("inputs.neighbour_facilities", lang, n=neighbours, km=km)
                           for lang in ("en", "zh")))
    kept.attrs = {**facilities.attrs, "input_warnings": notes}
    return CountyFacilities(facilities=kept, own=own if neighbours else None, far=far,
                            neighbours=neighbours)
