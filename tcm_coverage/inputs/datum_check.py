"""Datum sanity check: do the points fit the roads markedly better under another datum?

GCJ-02 coordinates read as WGS-84 are the trap real users fall into: Amap (高德) and Tencent
export GCJ-02, Baidu BD-09, OpenStreetMap roads are WGS-84. The shift is a few hundred
metres, too little for any coordinate check to notice but enough to put facilities on the
wrong side of a river or in the next village.

Once the road network is loaded, :func:`check_datum` takes the coordinates *as written in the
file*, reads them as WGS-84, GCJ-02 and BD-09 in turn and measures the median distance from
the points to the nearest road segment under each reading. Points that really are on a
street (facilities, village centres) sit a few tens of metres from the nearest road under
the right datum and farther under the wrong ones.

Another datum fits **markedly** better when its median is below ``MARKED_RATIO`` (0.7) times
the declared datum's median *and* at least ``MARKED_GAP_M`` (10 m) smaller. The ratio keeps
noise between two similar readings from raising the warning; the absolute gap keeps a dense
city grid (where every reading is within 10–15 m of some road) from raising it. Real data:
GCJ-02 facilities declared as WGS-84 gave 47 m, read as GCJ-02 24 m (ratio 0.51, gap 23 m).
Fewer than ``MIN_POINTS`` (5) points are not checked (a median of two points says little).

The result is a warning, never an error: it names both medians and the option to use (e.g.
``--facilities-datum gcj02``); :mod:`tcm_coverage.workflows.pipeline` writes it to the log, the 说明
sheet of ``coverage.xlsx`` and ``run.json``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj
import shapely

from tcm_coverage.inputs.chinacrs import convert, normalize_datum

logger = logging.getLogger(__name__)

__all__ = ["DATUMS", "MARKED_GAP_M", "MARKED_RATIO", "MIN_POINTS", "DatumFit", "check_datum",
           "check_inputs", "nearest_road_distance"]

#: The datums compared.
DATUMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")
#: Another datum fits markedly better when its median is below this share of the declared one's...
MARKED_RATIO: float = 0.7
#: ...and at least this many metres smaller.
MARKED_GAP_M: float = 10.0
#: Fewer points than this are not checked.
MIN_POINTS: int = 5

_NAMES = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}
_LABELS_ZH = {"facilities": "设施", "villages": "村庄（人口表）"}

DistanceFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class DatumFit:
    """How well one set of points fits the roads under each datum.

    Attributes
    ----------
    label
        ``"facilities"`` or ``"villages"``.
    declared
        The datum the user declared (``"wgs84"``, ``"gcj02"``, ``"bd09"``).
    medians_m
        Median distance (metres) from the points to the nearest road under each datum.
    n_points
        Points measured.
    option
        The option that sets this input's datum (e.g. ``"--facilities-datum"``).
    """

    label: str
    declared: str
    medians_m: Mapping[str, float]
    n_points: int
    option: str

    @property
    def best(self) -> str:
        """The datum with the smallest median distance."""
        return min(self.medians_m, key=lambda d: self.medians_m[d])

    @property
    def suggested(self) -> str | None:
        """The datum that fits markedly better than the declared one, else ``None``."""
        best, declared = self.best, self.declared
        ours, theirs = self.medians_m[declared], self.medians_m[best]
        if best == declared or not np.isfinite(theirs):
            return None
        if theirs < MARKED_RATIO * ours and ours - theirs > MARKED_GAP_M:
            return best
        return None

    def message(self) -> str:
        """The warning in English (empty when no other datum fits markedly better)."""
        best = self.suggested
        if best is None:
            return ""
        rest = ", ".join(f"{_NAMES[d]} {self.medians_m[d]:.0f} m" for d in DATUMS
                         if d not in (self.declared, best))
        return (f"{self.label}: the coordinates lie markedly closer to the roads when read as "
                f"{_NAMES[best]} (median distance to the nearest road {self.medians_m[best]:.0f} m) "
                f"than as the declared {_NAMES[self.declared]} ({self.medians_m[self.declared]:.0f} m; "
                f"{rest}; {self.n_points} points). Amap/Tencent export GCJ-02 and Baidu BD-09: "
                f"check the source and rerun with {self.option} {best}")

    def message_zh(self) -> str:
        """The warning in Chinese (empty when no other datum fits markedly better)."""
        best = self.suggested
        if best is None:
            return ""
        rest = "，".join(f"{_NAMES[d]} {self.medians_m[d]:.0f} 米" for d in DATUMS
                        if d not in (self.declared, best))
        return (f"{_LABELS_ZH.get(self.label, self.label)}坐标按{_NAMES[best]}解读时明显更贴近道路"
                f"（到最近道路距离中位数 {self.medians_m[best]:.0f} 米），按声明的"
                f"{_NAMES[self.declared]}为 {self.medians_m[self.declared]:.0f} 米（{rest}；"
                f"{self.n_points} 个点）。高德/腾讯坐标为GCJ-02，百度为BD-09：请核实数据来源后用 "
                f"{self.option} {best} 重新运行")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record (for ``run.json``)."""
        return {"input": self.label, "declared": self.declared, "option": self.option,
                "n_points": self.n_points,
                "median_to_road_m": {d: round(float(v), 1) for d, v in self.medians_m.items()},
                "suggested": self.suggested}


def nearest_road_distance(geometry_m: np.ndarray, crs_m: str) -> DistanceFunction:
    """A function giving each WGS-84 point's distance (metres) to the nearest road geometry.

    Parameters
    ----------
    geometry_m
        Road geometries (e.g. :meth:`tcm_coverage.network.RoadNetwork.lines_m`) in ``crs_m``.
    crs_m
        Their metric CRS.

    Returns
    -------
    callable
        ``distance(lon, lat) -> (k,) float`` metres, computed with an STRtree
        (``query_nearest``); inf when there are no roads.
    """
    geoms = np.asarray(geometry_m, dtype=object)
    tree = shapely.STRtree(geoms)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs_m, always_xy=True)

    def distance(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        x, y = to_m.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        points = np.asarray(shapely.points(np.asarray(x, dtype=np.float64),
                                           np.asarray(y, dtype=np.float64)), dtype=object)
        out = np.full(len(points), np.inf)
        if len(geoms) and len(points):
            (which, _), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
            out[which] = dist
        return out

    return distance


def check_datum(lon: Any, lat: Any, *, declared: str, distance: DistanceFunction,
                label: str = "facilities", option: str = "--facilities-datum") -> DatumFit | None:
    """Median distance of the points to the nearest road under each datum.

    Parameters
    ----------
    lon, lat
        Coordinates **as written in the input file** (i.e. in the declared datum).
    declared
        The declared datum (any spelling :func:`tcm_coverage.inputs.chinacrs.normalize_datum` accepts).
    distance
        ``distance(lon, lat)`` in metres from WGS-84 points to the nearest road (e.g.
        :func:`nearest_road_distance`).
    label
        What the points are, for the message (``"facilities"``, ``"villages"``).
    option
        The option that sets their datum.

    Returns
    -------
    DatumFit or None
        ``None`` with fewer than :data:`MIN_POINTS` finite points; otherwise the medians
        (:attr:`DatumFit.suggested` says whether another datum fits markedly better).
    """
    lon_a = np.asarray(lon, dtype=np.float64).ravel()
    lat_a = np.asarray(lat, dtype=np.float64).ravel()
    ok = np.isfinite(lon_a) & np.isfinite(lat_a)
    if int(ok.sum()) < MIN_POINTS:
        return None
    lon_a, lat_a = lon_a[ok], lat_a[ok]
    medians = {}
    for datum in DATUMS:
        wlon, wlat = convert(lon_a, lat_a, src=datum, dst="wgs84")
        d = distance(np.asarray(wlon), np.asarray(wlat))
        medians[datum] = float(np.median(d))
    return DatumFit(label=label, declared=normalize_datum(declared), medians_m=medians,
                    n_points=int(ok.sum()), option=option)


def check_inputs(*, facilities: Any, facilities_datum: str, demand: Any, population_datum: str,
                 network: Any) -> list[DatumFit]:
    """The datum check of a run's facilities and (for a village table) villages.

    The readers return WGS-84 points; they are converted back to the declared datum (the
    numbers in the file) before being read under each datum.

    Parameters
    ----------
    facilities
        Facilities as :func:`tcm_coverage.inputs.facilities.read_facilities` returns them.
    facilities_datum
        Their declared datum.
    demand
        Demand points as :func:`tcm_coverage.inputs.population.read_population` returns them; only
        rows whose ``source`` is ``"table"`` (a village table) are checked.
    population_datum
        The population table's declared datum.
    network
        The :class:`tcm_coverage.network.RoadNetwork` (``lines_m()`` in ``crs_m``).

    Returns
    -------
    list of DatumFit
        One per input checked; each markedly better fit is also logged as a warning.
    """
    distance = nearest_road_distance(network.lines_m(), network.crs_m)
    fits = []
    inputs = [("facilities", facilities, facilities_datum, "--facilities-datum")]
    if demand is not None and "source" in demand:
        villages = demand[demand["source"].to_numpy() == "table"]
        inputs.append(("villages", villages, population_datum, "--population-datum"))
    for label, frame, datum, option in inputs:
        if frame is None or len(frame) < MIN_POINTS:
            continue
        declared = normalize_datum(datum)
        lon, lat = convert(frame.geometry.x.to_numpy(float), frame.geometry.y.to_numpy(float),
                           src="wgs84", dst=declared)
        fit = check_datum(lon, lat, declared=declared, distance=distance, label=label,
                          option=option)
        if fit is None:
            continue
        logger.info("datum check, %s: median distance to the nearest road %s", label,
                    ", ".join(f"{_NAMES[d]} {v:.0f} m" for d, v in fit.medians_m.items()))
        if fit.suggested is not None:
            logger.warning("%s", fit.message())
        fits.append(fit)
    return fits
