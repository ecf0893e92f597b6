"""The layers of a print map (:mod:`tcm_coverage.outputs.print_map`), drawn with matplotlib on
axes in metres (the UTM zone of :func:`tcm_coverage._geo.frame_utm_crs`).

The classes and colours are those of the HTML map (:mod:`tcm_coverage.outputs.style`): the
township choropleth of the share within the threshold (:func:`~tcm_coverage.outputs.style.share_colour`,
unknown shares in the no-data grey, never as 0 %), the isochrone bands (filled in
:data:`~tcm_coverage.outputs.style.BAND_COLOURS` at the map's opacity, over the choropleth, with one
smoothed line at the edge of the reach within the threshold rather than the edge of every grid
cell),
the county outline, the residents beyond the threshold on a 1 km grid, the facilities by tier
(filled when they offer TCM, grey when unknown, hollow otherwise) and the township names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import contourpy
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, Bbox

from tcm_coverage.inputs import flag_values
from tcm_coverage.outputs.style import (
    BAND_COLOURS,
    BAND_FILL_OPACITY,
    BAND_OUTLINE,
    TIER_STYLE,
    UNCOVERED_COLOUR,
    UNKNOWN_FILL,
    share_colour,
)
from tcm_coverage.vocab import share_column, time_column

__all__ = ["PlateLayers", "draw_county", "draw_facilities", "draw_isochrones", "draw_labels",
           "draw_townships", "draw_uncovered", "geometry_path", "reach_outline", "rings_path",
           "township_shares"]

#: Opacity of the township fill (the basemap, when any, shows through).
TOWN_ALPHA = 0.6
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


@dataclass(frozen=True)
class PlateLayers:
    """The layers of a plate, projected to ``crs_m`` (metres)."""

    crs_m: str
    counties: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame | None
    isochrones: gpd.GeoDataFrame | None
    facilities: gpd.GeoDataFrame
    uncovered: gpd.GeoDataFrame


def geometry_path(geom: shapely.Geometry) -> MplPath:
    """One matplotlib path of a (multi)polygon, holes included (one patch per feature)."""
    return rings_path(shapely.get_rings(shapely.get_parts(shapely.normalize(geom))))


def rings_path(rings: np.ndarray) -> MplPath:
    """One matplotlib path of closed rings (an empty path of one point when there are none)."""
    coords, index = shapely.get_coordinates(rings, return_index=True)
    if not len(coords):
        return MplPath(np.zeros((1, 2)), [MplPath.MOVETO])
    codes = np.full(len(coords), MplPath.LINETO, dtype=np.uint8)
    first = np.r_[True, index[1:] != index[:-1]]
    last = np.r_[index[1:] != index[:-1], True]
    codes[first] = MplPath.MOVETO
    codes[last] = MplPath.CLOSEPOLY
    return MplPath(coords, codes)


def _collection(geoms: Sequence[shapely.Geometry], **style: object) -> PathCollection:
    return PathCollection([geometry_path(g) for g in geoms], **style)  # type: ignore[arg-type]


def township_shares(towns: gpd.GeoDataFrame, table: pd.DataFrame | None, *, mode: str,
                    threshold: float, facility_set: str) -> pd.Series:
    """The share within the threshold of each township polygon (NaN when unknown)."""
    nan = pd.Series(np.nan, index=towns.index)
    col = share_column(threshold)
    if table is None or col not in table:
        return nan
    rows = table[table["mode"] == mode]
    if "target" in rows:
        rows = rows[rows["target"] == facility_set]
    return towns["code"].astype(str).map(rows.set_index(rows["code"].astype(str))[col]).astype(float)


def draw_townships(ax: Axes, towns: gpd.GeoDataFrame, shares: pd.Series) -> PathCollection:
    """The township choropleth (gid ``townships``; one patch per township, in order)."""
    colours = [share_colour(s) for s in shares]
    coll = _collection(towns.geometry, facecolors=colours, edgecolors="#555555", linewidths=0.6,
                       alpha=TOWN_ALPHA, zorder=2)
    coll.set_gid("townships")
    ax.add_collection(coll)
    return coll


def draw_isochrones(ax: Axes, iso: gpd.GeoDataFrame | None, *, mode: str, facility_set: str,
                    threshold: float, tolerance_m: float = 60.0) -> tuple[list[tuple[str, str]], float | None]:
    """The isochrone bands of ``mode`` and ``facility_set`` as filled areas (gid ``isochrones``:
    one path per band, nearest band on top, no edges, in the HTML map's colours and opacity) and
    one outline, the edge of the reach within ``threshold`` (gid ``isochrone-reach``): the union
    of the bands up to it, its grid stair steps smoothed by ``tolerance_m`` and its pieces and
    holes smaller than a grid block (16 ``tolerance_m``²) left out, so that a dense road mesh
    draws a few lines, not the edge of every 100 m cell.

    Returns the ``(colour, "0–5")`` legend rows (the HTML map's band colours) and the minutes
    of the reach outlined (the widest band edge not beyond ``threshold``; ``None``: no line).
    """
    if iso is None or not len(iso):
        return [], None
    sel = iso[(iso["mode"] == mode) & (iso["target"] == facility_set)]
    minutes = sorted(sel["minutes"].unique())
    colour = {m: BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)] for i, m in enumerate(minutes)}
    rings = sel[~sel.geometry.is_empty].sort_values("minutes", ascending=False)
    if rings.empty:
        return [], None
    # the bands are disjoint: filled unsimplified they meet edge to edge, with no sliver between
    # them (each band simplified on its own would leave gaps and overlaps along shared edges)
    band_minutes = rings["minutes"].to_numpy(float)
    paths = [geometry_path(g) for g in rings.geometry]
    coll = PathCollection(paths,
                          facecolors=[colour[m] for m in band_minutes], edgecolors="none",
                          linewidths=0.0, alpha=BAND_FILL_OPACITY, antialiaseds=False, zorder=3)
    coll.set_gid("isochrones")
    ax.add_collection(coll)
    reach = reach_outline([p for p, m in zip(paths, band_minutes, strict=True) if m <= threshold], tolerance_m)
    if reach is not None:
        edge = PathCollection([reach], facecolors="none", edgecolors=BAND_OUTLINE,
                              linewidths=1.0, zorder=3.5)
        edge.set_gid("isochrone-reach")
        ax.add_collection(edge)
    rows = [(colour[m], f"{a:g}–{m:g}") for a, m in zip([0.0, *minutes[:-1]], minutes, strict=True)]
    return rows, None if reach is None else float(band_minutes[band_minutes <= threshold].max())


#: The most grid cells along a side of the grid :func:`reach_outline` traces the reach on.
_REACH_CELLS = 3000


def reach_outline(bands: Sequence[MplPath], tolerance_m: float) -> MplPath | None:
    """The smoothed edge of the union of ``bands`` (paths of :func:`geometry_path`, in metres)
    as one path of closed rings.

    The bands are filled on a grid of ``tolerance_m / 2`` cells (coarser for a county more
    than 100 km across), the print resolution of a county plate (0.085 mm at 1:300,000 is
    25 m), and the edge is the
    grid's 0.5 contour (:mod:`contourpy`, marching squares): the union at that resolution in a
    few hundredths of a second, where an exact polygon union of a dense mesh's cells takes half
    a second (the bands meet edge to edge but not vertex to vertex, so GEOS's fast coverage
    union refuses them). Rings enclosing less than 16 ``tolerance_m``² (a grid block: islands
    and holes of a cell or two) are dropped and the rest Douglas-Peucker'd at ``tolerance_m``;
    ``None`` when nothing is left.
    """
    if not len(bands):
        return None
    union = MplPath.make_compound_path(*bands)
    xy = np.asarray(union.vertices, dtype=float)
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    # at most _REACH_CELLS cells a side (a plate has about 2,000 pixels across its map)
    cell = max(tolerance_m / 2, max(x1 - x0, y1 - y0) / _REACH_CELLS)
    width, height = int((x1 - x0) / cell) + 3, int((y1 - y0) / cell) + 3  # a cell of margin
    raster = RendererAgg(width, height, 72)
    gc = raster.new_gc()
    gc.set_linewidth(0.0)
    to_cells = Affine2D().translate(-x0, -y0).scale(1 / cell).translate(1.0, 1.0)
    # one compound path (no seam where two bands meet), antialiased: each cell holds the share
    # of it inside the union, and the 0.5 contour of those shares runs within a fraction of a
    # cell of the true edge
    raster.draw_path(gc, union, to_cells, (0.0, 0.0, 0.0, 1.0))
    inside = 1.0 - np.asarray(raster.buffer_rgba())[::-1, :, 0] / 255.0  # row 0: the south
    lines = cast(list[np.ndarray], contourpy.contour_generator(z=inside, line_type="Separate").lines(0.5))
    # cell (i, j) covers [j, j + 1] x [i, i + 1] on the grid: its value stands at its centre
    lines = [line for line in lines if len(line) >= 4]  # closed lines of three points or more
    if not lines:
        return None
    sizes = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    rings = shapely.linearrings((np.concatenate(lines) + 0.5) * cell + (x0 - cell, y0 - cell),
                                indices=np.repeat(np.arange(len(lines)), sizes))
    rings = rings[shapely.area(shapely.polygons(rings)) >= 16 * tolerance_m ** 2]
    return rings_path(shapely.simplify(rings, tolerance_m)) if len(rings) else None


def draw_county(ax: Axes, counties: gpd.GeoDataFrame) -> None:
    """The county outline (thick black)."""
    coll = _collection(counties.geometry, facecolors="none", edgecolors="#000000", linewidths=1.8,
                       zorder=4)
    coll.set_gid("county")
    ax.add_collection(coll)


def uncovered_points(demand: gpd.GeoDataFrame, crs_m: str, *, mode: str, threshold: float,
                     facility_set: str, cell_m: float = 1000.0) -> gpd.GeoDataFrame:
    """Residents beyond the threshold summed on a ``cell_m`` grid, at their weighted centre."""
    times = demand[time_column(facility_set, mode)].to_numpy(float)
    # only the two columns it needs are copied and projected (not every time column)
    pts = demand.loc[~(times <= threshold), ["population", demand.geometry.name]].to_crs(crs_m)
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    w = pts["population"].to_numpy(float)
    agg = pd.DataFrame({"gx": np.floor(x / cell_m), "gy": np.floor(y / cell_m), "w": w,
                        "x": x * w, "y": y * w}).groupby(["gx", "gy"], as_index=False).sum()
    agg = agg[agg["w"] >= 1.0]
    return gpd.GeoDataFrame({"people": agg["w"].to_numpy()},
                            geometry=gpd.points_from_xy(agg["x"] / agg["w"], agg["y"] / agg["w"]),
                            crs=crs_m)


def marker_size(people: np.ndarray, scale: float) -> np.ndarray:
    """Marker area (points²) of a circle of ``people`` residents (area grows with the count)."""
    return np.clip(np.sqrt(people) * 1.6, 4.0, 160.0) * scale


def draw_uncovered(ax: Axes, points: gpd.GeoDataFrame, scale: float) -> None:
    """Residents beyond the threshold as graduated purple circles."""
    if points.empty:
        return
    ax.scatter(points.geometry.x, points.geometry.y, s=marker_size(points["people"].to_numpy(), scale),
               c=UNCOVERED_COLOUR, alpha=0.5, linewidths=0, zorder=5, gid="uncovered")


def facility_fill(fac: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per facility: offers TCM (county hospital, 中医馆 or 中医阁), and its flag unknown."""
    guan_yes, guan_unknown = flag_values(fac, "zhongyiguan")
    ge_yes, ge_unknown = flag_values(fac, "zhongyige")
    tier = fac["tier"].to_numpy()
    is_tcm = guan_yes | ge_yes | (tier == "county_tcm")
    unknown = (((tier == "township_centre") & guan_unknown)
               | ((tier == "village_station") & ge_unknown))
    return is_tcm, unknown


def draw_facilities(ax: Axes, fac: gpd.GeoDataFrame, scale: float) -> list[tuple[str, Line2D]]:
    """Facilities by tier (bigger for hospitals and centres); the legend handles of the tiers present."""
    is_tcm, unknown = facility_fill(fac)
    handles = []
    for tier, colour in TIER_STYLE.items():
        sel = (fac["tier"] == tier).to_numpy()
        if not sel.any():
            continue
        big = tier in ("county_tcm", "township_centre")
        fill = np.where(is_tcm[sel], colour, np.where(unknown[sel], UNKNOWN_FILL, "#ffffff"))
        size = (38.0 if big else 11.0) * scale
        ax.scatter(fac.geometry.x[sel], fac.geometry.y[sel], s=size, c=list(fill), edgecolors=colour,
                   linewidths=1.3 if big else 0.7, zorder=7 if big else 6, gid=f"facilities-{tier}")
        handles.append((tier, Line2D([], [], ls="", marker="o", markersize=np.sqrt(size),
                                     markerfacecolor=colour, markeredgecolor=colour)))
    return handles


def draw_labels(ax: Axes, towns: gpd.GeoDataFrame, *, fontsize: float,
                priority: np.ndarray | None = None) -> list[Text]:
    """Township names at their representative points; a name overlapping a more important one
    (larger ``priority``, e.g. population) or cut by the map's frame is left out. Returns the
    names drawn."""
    pts = towns.geometry.representative_point()
    order = np.argsort(-priority) if priority is not None else np.arange(len(towns))
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    kept: list[Text] = []
    boxes: list[Bbox] = []
    for i in order:
        t = ax.text(pts.iloc[i].x, pts.iloc[i].y, str(towns["name"].iloc[i]), fontsize=fontsize,
                    ha="center", va="center", color="#222222", zorder=8, path_effects=_HALO,
                    gid="township-label", clip_on=True, parse_math=False)  # names stay text
        box = t.get_window_extent(renderer).expanded(1.05, 1.1)
        inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
        if not inside or any(box.overlaps(b) for b in boxes):
            t.remove()
            continue
        boxes.append(box)
        kept.append(t)
    return kept
