"""Which segments of a network meet an area, from arrays (issue 16: the province cut).

A province network holds millions of segments, most of them straight 2-node pieces stored
without a LineString (:class:`~tcm_coverage.network.model.RoadNetwork`). Cutting a county out
of it used to build one LineString per segment and an STRtree over all of them (gigabytes, and
seconds per county). :func:`segment_boxes` keeps four float arrays instead (each segment's
bounding box), and :func:`segments_meeting` answers ``shapely.intersects(area, segment)``
for every segment exactly, in three steps:

1. the boxes that overlap the area's bounds (array comparisons);
2. of those, segments with an end inside the area meet it (``shapely.contains_xy`` on the
   prepared area, vectorised over the ends);
3. the rest (both ends outside the area but the box overlapping it: segments crossing the
   area's edge, or passing by) are tested exactly with their LineStrings, made for them only.

A segment meets the area if and only if step 2 or step 3 says so: an end strictly inside
implies intersection, and step 3 is the exact predicate itself; ends on the boundary are not
"inside" for ``contains_xy`` and so go to step 3, which counts them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from tcm_coverage.network.model import RoadNetwork

__all__ = ["SegmentBoxes", "segment_boxes", "segments_meeting"]


@dataclass(frozen=True)
class SegmentBoxes:
    """Bounding boxes and ends of every segment of a network, in its ``crs_m``.

    Attributes
    ----------
    xmin, ymin, xmax, ymax : numpy.ndarray
        (m,) float64 box of each segment (of its geometry where it is curved).
    xu, yu, xv, yv : numpy.ndarray
        (m,) float64 coordinates of its two end nodes.
    """

    xmin: np.ndarray
    ymin: np.ndarray
    xmax: np.ndarray
    ymax: np.ndarray
    xu: np.ndarray
    yu: np.ndarray
    xv: np.ndarray
    yv: np.ndarray


def segment_boxes(net: RoadNetwork) -> SegmentBoxes:
    """The boxes and ends of ``net``'s segments (one pass over arrays; LineStrings only
    where a segment is curved, whose stored geometry gives its box)."""
    x, y = net.node_xy_m()
    xu, yu, xv, yv = x[net.u], y[net.u], x[net.v], y[net.v]
    xmin, xmax = np.minimum(xu, xv), np.maximum(xu, xv)
    ymin, ymax = np.minimum(yu, yv), np.maximum(yu, yv)
    geoms = np.asarray(net.geometry_m, dtype=object)
    curved = np.flatnonzero(~np.asarray(shapely.is_missing(geoms), dtype=bool))
    if curved.size:
        b = shapely.bounds(geoms[curved])
        xmin[curved], ymin[curved], xmax[curved], ymax[curved] = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    return SegmentBoxes(xmin=xmin, ymin=ymin, xmax=xmax, ymax=ymax, xu=xu, yu=yu, xv=xv, yv=yv)


def segments_meeting(net: RoadNetwork, boxes: SegmentBoxes, area_m: shapely.Geometry) -> np.ndarray:
    """Indices (ascending) of the segments of ``net`` that intersect ``area_m``.

    Parameters
    ----------
    net : RoadNetwork
        The network (its LineStrings are made only for segments crossing the area's edge).
    boxes : SegmentBoxes
        :func:`segment_boxes` of ``net``.
    area_m : shapely.Geometry
        A polygon in ``net.crs_m`` (not changed; a prepared copy is used).

    Returns
    -------
    numpy.ndarray
        int64 segment indices, the same as ``STRtree(lines).query(area_m, "intersects")``
        sorted.
    """
    ax0, ay0, ax1, ay1 = shapely.bounds(area_m)
    cand = np.flatnonzero((boxes.xmax >= ax0) & (boxes.xmin <= ax1)
                          & (boxes.ymax >= ay0) & (boxes.ymin <= ay1))
    if cand.size == 0:
        return cand.astype(np.int64)
    area = shapely.from_wkb(shapely.to_wkb(area_m))  # a copy to prepare: the caller's stays as is
    shapely.prepare(area)
    inside = (shapely.contains_xy(area, boxes.xu[cand], boxes.yu[cand])
              | shapely.contains_xy(area, boxes.xv[cand], boxes.yv[cand]))
    rest = cand[~inside]
    crossing = rest[shapely.intersects(area, net.lines_m(rest))] if rest.size else rest
    return np.sort(np.concatenate([cand[inside], crossing])).astype(np.int64)
