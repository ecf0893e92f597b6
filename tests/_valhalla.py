"""Valhalla as an independent reference router (issue 10), for tests and benchmarks.

Not a test file: ``tests/test_valhalla.py`` and ``benchmarks/compare_valhalla.py`` import it.
Needs the ``pyvalhalla-weekly`` wheel (``pip install pyvalhalla-weekly``, module ``valhalla``)
and pyrosm; nothing here downloads anything.

Building tiles offline
----------------------
The wheel ships Valhalla's C++ executables in ``valhalla/bin`` (``valhalla.PYVALHALLA_DIR /
"bin"``; the console script ``valhalla_build_tiles`` on PATH is only a wrapper around them).
:func:`build_tiles` writes a config made by ``valhalla.get_config(tile_dir=...)`` to
``<folder>/valhalla.json`` and runs ``valhalla_build_tiles -c valhalla.json -j 1 <pbf>`` with
``<folder>`` as working directory (the builder drops ``duplicateways.txt`` into the working
directory). pyrosm's Helsinki extract builds in about 1.3 s on one core. No admin or time-zone
database is given (``use_admin_db`` false), so no country-specific access overrides are
applied; Valhalla's defaults (e.g. foot allowed on trunk roads, not on motorways) hold.
``valhalla.Actor(<folder>/valhalla.json)`` then answers requests in-process (no server).

Times
-----
:func:`valhalla_times` asks ``Actor.matrix`` (the ``sources_to_targets`` action) in chunks of
sources (after ``Actor.locate`` has said which points can be placed at all: one point that
cannot, or one source that reaches no target, makes a whole matrix request raise
``RuntimeError``) and returns minutes, resident (source) -> facility (target). Valhalla's ``time`` is
whole seconds and covers only the network part: from the source's *snapped* point on the road
to the target's snapped point. The walk from the input coordinate to the road is not in it;
``offroad_kmh`` adds it as a straight leg from each input point to the snapped point Valhalla
reports (``sources``/``targets`` of the verbose matrix answer), which is what tcm-coverage
counts as its off-road leg.

Costing defaults that matter here (``costing_options`` names as Valhalla accepts them):

* ``pedestrian``: ``walking_speed`` 5.1 km/h (tcm-coverage's ``walk`` is 4.8 km/h on roads;
  pass ``walking_speed=4.8``); the factors ``walkway_factor`` 1, ``sidewalk_factor`` 1,
  ``alley_factor`` 2, ``driveway_factor`` 5, ``step_penalty``, ``service_factor`` and
  ``use_living_streets`` 0.6 / ``use_tracks`` 0.5 / ``use_ferry`` 0.5 change the *cost* (which
  path is chosen), not the time along a chosen edge; ``max_hiking_difficulty`` 1 (sac_scale)
  closes hiking trails; OSM access tags (``foot=no``, ``access=private``...) are obeyed.
  Measured on the Helsinki sample: the time is about 2 % more than length / walking_speed
  (median effective speed 4.72 km/h at 4.8: time added at transitions), and the chosen path
  is 0.4 % (median) longer in time than with ``shortest=true``.
* ``auto``: speeds from ``maxspeed`` where tagged, else Valhalla's own per-class, per-density
  (urban/rural) table; turn costs at every intersection (by turn angle and road classes),
  extra time at traffic signals and stop signs, ``maneuver_penalty`` 5 s (cost only),
  ``service_penalty`` 15 s, ``gate_cost`` 30 s, ``use_living_streets`` 0.1, ``use_tracks`` 0,
  ``top_speed`` 140; one-ways, access tags and turn restrictions are obeyed. The matrix
  algorithm for ``auto`` is ``costmatrix`` (bidirectional, with hierarchy limits; its second
  pass is switched on, see :func:`valhalla_config`), for ``pedestrian``
  ``timedistancematrix`` (one-to-many Dijkstra, no hierarchies), asked one source at a time
  because it is only exact then (see ``sources_per_request``).

Snapping (loki ``service_defaults`` of this wheel's default config, per location overridable):
``radius`` 0 m (only the closest candidate edges, plus as many as needed to satisfy
reachability), ``minimum_reachability`` 50 nodes (an edge that reaches fewer nodes is an
island and the search moves on to farther edges: Valhalla's connectivity-aware snapping),
``search_cutoff`` 35 km (farther: "No suitable edges near location", reported here as
``inf``), ``node_snap_tolerance`` 5 m (closer to a node: snap to the node). Service limits:
``max_radius`` 200 m, ``max_reachability`` 100; ``max_matrix_location_pairs`` 2500 per request
(raised in our config).

Pitfalls seen on pyrosm's Helsinki extract
------------------------------------------
* ``timedistancematrix`` with several sources (above all more sources than targets) was up to
  2-3 min off for 7-50 % of pairs; one source per request equals ``route``.
* ``costmatrix`` without its second pass left 314 more pairs (8 of the 300 residents) without
  a route by car although ``route`` finds one.
* ``minimum_reachability`` 50 does not catch islands of 50 nodes or more: the underground
  delivery tunnels (``highway=service``, ``tunnel=yes``, ``layer=-4``,
  ``access=destination``), cut off from the street network by the edge of the extract,
  strand 15 of the 300 residents by car in both routers (no route to 37 of 40 facilities).
* The extract holds one ferry way (``route=ferry``, to Suomenlinna), usable by Valhalla
  (``use_ferry`` 0.5), not read by tcm-coverage.
* Invalid building footprints (a ring of two points) have no inside: the sampler drops them.

Metrics
-------
:func:`compare_times` gives, for one mode, the share of resident x facility pairs whose
15-minute verdict (covered when ``<= threshold``) differs, the p90 of |relative difference|
``|ours - ref| / ref`` over pairs where both are finite (and ``ref > 0``), the median signed
difference, and the same for each resident's nearest facility. :func:`tcm_times` computes our
side with today's tcm-coverage API.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "COSTING",
    "TcmTimes",
    "add_offroad_legs",
    "build_tiles",
    "compare_times",
    "direct_leg_share",
    "format_table",
    "get_actor",
    "offroad_leg_minutes",
    "p90_abs_relative_difference",
    "relative_differences",
    "route_minutes",
    "sample_building_points",
    "tcm_times",
    "valhalla_config",
    "valhalla_times",
    "verdict_differs_share",
]

#: Valhalla costing per tcm-coverage mode.
COSTING: Mapping[str, str] = {"walk": "pedestrian", "walk_elderly": "pedestrian", "car": "auto",
                              "bicycle": "bicycle", "ebike": "bicycle"}

# --------------------------------------------------------------------------------------
# Tiles and the actor
# --------------------------------------------------------------------------------------
def valhalla_config(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """A Valhalla config for tiles in ``<folder>/tiles``: the wheel's defaults, quiet logs,
    no admin/time-zone/traffic/elevation data, matrix pair limits raised, costmatrix second
    pass on."""
    import valhalla

    folder = Path(folder)
    tiles = folder / "tiles"
    tiles.mkdir(parents=True, exist_ok=True)
    cfg = valhalla.get_config(tile_dir=tiles, tile_extract="", verbose=False)
    mj = cfg["mjolnir"]
    # nothing outside the folder: these files do not exist, so the build never reads any
    for key in ("traffic_extract", "admin", "landmarks", "timezone"):
        mj[key] = str(folder / f"absent_{key}")
    mj["transit_dir"] = str(folder / "absent_transit")
    mj["transit_feeds_dir"] = str(folder / "absent_transit_feeds")
    mj["data_processing"]["use_admin_db"] = False
    cfg["additional_data"]["elevation"] = str(folder / "absent_elevation")
    for section in ("loki", "thor", "odin", "meili"):
        if isinstance(cfg.get(section), dict) and "logging" in cfg[section]:
            cfg[section]["logging"]["type"] = ""
    for costing in ("auto", "pedestrian", "bicycle"):
        cfg["service_limits"][costing]["max_matrix_location_pairs"] = 1_000_000
    # costmatrix (auto) gives up on some pairs that route joins (8 of the 300 Helsinki
    # residents by car); its second pass finds them
    cfg["thor"]["costmatrix"]["allow_second_pass"] = True
    return cfg


def build_tiles(pbf: str | os.PathLike[str], folder: str | os.PathLike[str], *,
                threads: int = 1) -> Path:
    """Build Valhalla routing tiles for an OSM PBF into ``folder``, offline.

    Parameters
    ----------
    pbf : path
        The ``.osm.pbf`` extract.
    folder : path
        Output folder (created); tiles go to ``folder/tiles``.
    threads : int, default 1
        ``valhalla_build_tiles -j``.

    Returns
    -------
    pathlib.Path
        ``folder/valhalla.json``, the config to pass to :func:`get_actor` or
        ``valhalla.Actor``.

    Raises
    ------
    RuntimeError
        The builder failed (its last output lines are in the message).
    """
    import valhalla

    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    cfg = valhalla_config(folder)
    cfg_path = folder / "valhalla.json"
    cfg_path.write_text(json.dumps(cfg, indent=1))
    exe = Path(valhalla.PYVALHALLA_DIR) / "bin" / "valhalla_build_tiles"
    cmd = [str(exe), "-c", str(cfg_path), "-j", str(int(threads)), str(Path(pbf).resolve())]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not any((folder / "tiles").rglob("*.gph")):
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        raise RuntimeError(f"valhalla_build_tiles failed (exit {proc.returncode}):\n{tail}")
    (folder / "build_seconds.txt").write_text(f"{time.perf_counter() - t0:.3f}\n")
    return cfg_path


def get_actor(tiles: Any):
    """A ``valhalla.Actor`` from an actor (returned as is), a config path or a tiles folder
    made by :func:`build_tiles`."""
    import valhalla

    if isinstance(tiles, valhalla.Actor):
        return tiles
    p = Path(tiles)
    if p.is_dir():
        p = p / "valhalla.json"
    return valhalla.Actor(str(p))


# --------------------------------------------------------------------------------------
# Valhalla times
# --------------------------------------------------------------------------------------
def _haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    r = 6_371_008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


def offroad_leg_minutes(lonlat: Any, snapped: Any, kmh: float) -> np.ndarray:
    """(k,) minutes of a straight leg from each point to its snapped point at ``kmh``
    (great-circle distance; ``inf`` where the point was not located, i.e. NaN snapped)."""
    a = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(snapped, dtype=np.float64).reshape(-1, 2)
    leg = _haversine_m(a[:, 0], a[:, 1], b[:, 0], b[:, 1]) / (float(kmh) * 1000.0 / 60.0)
    return np.nan_to_num(leg, nan=np.inf)


def add_offroad_legs(minutes: Any, src_lonlat: Any, dst_lonlat: Any, src_snapped: Any,
                     dst_snapped: Any, kmh: float) -> np.ndarray:
    """Valhalla's (k, m) network minutes plus the off-road legs of both ends at ``kmh``."""
    return (np.asarray(minutes, dtype=np.float64)
            + offroad_leg_minutes(src_lonlat, src_snapped, kmh)[:, None]
            + offroad_leg_minutes(dst_lonlat, dst_snapped, kmh)[None, :])


#: Location options matching tcm-coverage's snapping rule: the off-road leg reaches a road at
#: ground level, never a tunnel or a bridge (Valhalla's ``search_filter``; its default snaps
#: to them too).
AT_GRADE = {"search_filter": {"exclude_tunnel": True, "exclude_bridge": True}}


def _loc(x: float, y: float, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"lon": float(x), "lat": float(y), **(extra or {})}


def _locatable(actor, lonlat: np.ndarray, costing: str, opts: dict,
               location_options: Mapping[str, Any] | None = None,
               snapped: np.ndarray | None = None) -> np.ndarray:
    """(k,) bool: Valhalla finds a usable edge for the point (else a matrix request fails);
    ``snapped`` (k, 2), when given, receives the point on the first edge found."""
    ok = np.zeros(len(lonlat), dtype=bool)
    for start in range(0, len(lonlat), 100):
        chunk = lonlat[start:start + 100]
        req = {"locations": [_loc(x, y, location_options) for x, y in chunk],
               "costing": costing, "costing_options": {costing: opts}, "verbose": False}
        for i, loc in enumerate(actor.locate(req)):
            ok[start + i] = bool(loc.get("edges"))
            if snapped is not None and ok[start + i]:
                edge = loc["edges"][0]
                snapped[start + i] = (edge["correlated_lon"], edge["correlated_lat"])
    return ok


def route_minutes(actor, a: Any, b: Any, costing: str, opts: Mapping[str, Any] | None = None,
                  location_options: Mapping[str, Any] | None = None) -> float:
    """Minutes of Valhalla's ``route`` from lon/lat ``a`` to ``b`` (``inf``: no path)."""
    costing = COSTING.get(costing, costing)
    opts = dict(opts or {})
    req = {"locations": [_loc(a[0], a[1], location_options), _loc(b[0], b[1], location_options)],
           "costing": costing, "costing_options": {costing: opts}}
    try:
        return float(actor.route(req)["trip"]["summary"]["time"]) / 60.0
    except RuntimeError:  # "No path could be found for input"
        return float("inf")


def valhalla_times(
    tiles_or_actor: Any,
    src_lonlat: Any,
    dst_lonlat: Any,
    costing: str,
    *,
    walking_speed: float | None = None,
    costing_options: Mapping[str, Any] | None = None,
    offroad_kmh: float | None = None,
    sources_per_request: int | None = None,
    route_fallback: bool = False,
    return_snapped: bool = False,
    location_options: Mapping[str, Any] | None = None,
):
    """Valhalla's travel time from every source to every target, in minutes.

    Parameters
    ----------
    tiles_or_actor : valhalla.Actor, or path
        An actor, or a folder/config made by :func:`build_tiles`.
    src_lonlat, dst_lonlat : array-like
        (k, 2) and (m, 2) WGS-84 lon/lat: residents (sources) and facilities (targets).
    costing : str
        ``"pedestrian"``, ``"auto"`` (or another Valhalla costing), or a tcm-coverage mode
        name from :data:`COSTING` (``"walk"``, ``"car"``...).
    walking_speed : float, optional
        km/h for ``pedestrian`` (Valhalla's default 5.1; tcm-coverage walk is 4.8).
    costing_options : Mapping, optional
        More options for the costing (Valhalla's names, e.g. ``{"use_ferry": 0}``).
    offroad_kmh : float, optional
        Add a straight leg from each input point to its snapped point at this speed (both
        ends); None (default): Valhalla's network time only.
    sources_per_request : int, optional
        Sources per matrix request. Default 1 for ``pedestrian``/``bicycle`` and 50 for the
        others. Valhalla's ``timedistancematrix`` (its pick for pedestrian and bicycle) gives
        exact times (equal to ``route`` within its whole-second rounding) only for a single
        source: with several sources, and above all when there are more sources than targets
        (it then expands backwards from the targets), 7-50 % of the pairs of the Helsinki
        sample came out up to 2-3 minutes off. ``costmatrix`` (auto) does not depend on it.
    route_fallback : bool, default False
        Ask ``route`` for each pair the matrix left without a time (both ends located; pairs
        ``route`` cannot join either stay ``inf``). Not needed with :func:`valhalla_config`
        (``costmatrix.allow_second_pass``: on the Helsinki sample the matrix then has exactly
        the pairs ``route`` has); slow where many pairs have no route (a failed search
        exhausts the graph).
    return_snapped : bool, default False
        Also return the snapped lon/lat of sources and targets (NaN where not located).
    location_options : Mapping, optional
        Extra keys for every location (e.g. :data:`AT_GRADE`, Valhalla's ``search_filter``).

    Returns
    -------
    numpy.ndarray
        (k, m) float64 minutes, ``inf`` where Valhalla finds no route or cannot locate an end.
        With ``return_snapped``: ``(minutes, src_snapped (k, 2), dst_snapped (m, 2))``.
    """
    actor = get_actor(tiles_or_actor)
    costing = COSTING.get(costing, costing)
    src = np.asarray(src_lonlat, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(dst_lonlat, dtype=np.float64).reshape(-1, 2)
    opts = dict(costing_options or {})
    if walking_speed is not None:
        opts["walking_speed"] = float(walking_speed)
    step = sources_per_request or (1 if costing in ("pedestrian", "bicycle") else 50)
    k, m = len(src), len(dst)
    out = np.full((k, m), np.inf)
    src_snap = np.full((k, 2), np.nan)
    dst_snap = np.full((m, 2), np.nan)
    s_ok = d_ok = np.zeros(0, dtype=np.int64)
    if k and m:
        # the located points stand in where a failed matrix request returns none
        s_ok = np.flatnonzero(_locatable(actor, src, costing, opts, location_options, src_snap))
        d_ok = np.flatnonzero(_locatable(actor, dst, costing, opts, location_options, dst_snap))
    targets = [_loc(x, y, location_options) for x, y in dst[d_ok]]

    def ask(rows: np.ndarray) -> None:
        req = {"sources": [_loc(x, y, location_options) for x, y in src[rows]],
               "targets": targets, "costing": costing,
               "costing_options": {costing: opts}, "verbose": True}
        try:
            ans = actor.matrix(req)
        except RuntimeError:  # "No path could be found for input": a source reaches no target
            if rows.size > 1:
                for r in rows:
                    ask(np.array([r]))
            return
        for line in ans["sources_to_targets"]:
            for cell in line:
                t = cell.get("time")
                if t is not None:
                    out[rows[cell["from_index"]], d_ok[cell["to_index"]]] = t / 60.0
        src_snap[rows] = [[p["lon"], p["lat"]] for p in ans["sources"]]
        dst_snap[d_ok] = [[p["lon"], p["lat"]] for p in ans["targets"]]

    for start in range(0, s_ok.size if d_ok.size else 0, step):
        ask(s_ok[start:start + step])
    if route_fallback and s_ok.size and d_ok.size:
        sub = out[np.ix_(s_ok, d_ok)]
        for i, j in zip(*np.nonzero(np.isinf(sub)), strict=True):
            out[s_ok[i], d_ok[j]] = route_minutes(actor, src[s_ok[i]], dst[d_ok[j]], costing,
                                                   opts, location_options)
    if offroad_kmh is not None:
        out = add_offroad_legs(out, src, dst, src_snap, dst_snap, offroad_kmh)
    if return_snapped:
        return out, src_snap, dst_snap
    return out


# --------------------------------------------------------------------------------------
# Residents and facilities inside real buildings
# --------------------------------------------------------------------------------------
def sample_building_points(pbf: str | os.PathLike[str], n_residents: int = 300,
                           n_facilities: int = 40, seed: int = 0
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Residents and facilities inside real OSM buildings, deterministic for a seed.

    The valid buildings of the PBF (``pyrosm.OSM(pbf).get_buildings()``, sorted by OSM id;
    invalid or zero-area footprints dropped) are shuffled with ``numpy.random.default_rng(seed)``; the first ``n_facilities`` get a
    facility, the next ``n_residents`` a resident (distinct buildings), each at the building's
    ``shapely.point_on_surface`` (always inside the footprint, unlike the centroid).

    Returns
    -------
    (residents, facilities) : tuple of numpy.ndarray
        (n_residents, 2) and (n_facilities, 2) lon/lat.

    Raises
    ------
    ValueError
        Fewer buildings than ``n_residents + n_facilities``.
    """
    import pyrosm
    import shapely

    b = pyrosm.OSM(str(pbf)).get_buildings()
    b = b.sort_values("id", kind="stable")
    geoms = np.asarray(b.geometry.values, dtype=object)
    # broken footprints (e.g. a ring of two points) have no inside to put a point in
    geoms = geoms[shapely.is_valid(geoms) & (shapely.area(geoms) > 0)]
    need = int(n_residents) + int(n_facilities)
    if need > geoms.size:
        raise ValueError(f"{pbf} has {geoms.size} buildings, fewer than the "
                         f"{n_residents} residents + {n_facilities} facilities asked for.")
    order = np.random.default_rng(seed).permutation(geoms.size)[:need]
    pts = shapely.get_coordinates(shapely.point_on_surface(geoms[order]))
    return pts[n_facilities:].copy(), pts[:n_facilities].copy()


# --------------------------------------------------------------------------------------
# Our side (today's tcm-coverage API)
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TcmTimes:
    """tcm-coverage's times for residents x facilities.

    Attributes
    ----------
    pairs : numpy.ndarray
        (k, m) minutes of every pair (``od_pairs_within`` with a huge cutoff; inf: none).
    nearest : numpy.ndarray
        (k,) minutes to the nearest facility (``nearest_facility_times``).
    nearest_facility : numpy.ndarray
        (k,) int index of that facility, -1 when unreachable.
    offroad_m : numpy.ndarray
        (k,) residents' off-road leg to their snap point, metres.
    res_off_main, fac_off_main : numpy.ndarray
        (k,) and (m,) bool: snapped to a segment outside the graph's main (largest weakly
        connected) component.
    """

    pairs: np.ndarray
    nearest: np.ndarray
    nearest_facility: np.ndarray
    offroad_m: np.ndarray
    res_off_main: np.ndarray
    fac_off_main: np.ndarray


#: Cutoff that makes ``od_pairs_within`` return every reachable pair (minutes, ~2 years).
_NO_CUTOFF = 1e6


def tcm_times(net: Any, mode: str, res_lonlat: Any, fac_lonlat: Any, *,
              direct_offroad_m: float | None = None, rg: Any = None) -> TcmTimes:
    """All-pairs and nearest-facility minutes from tcm-coverage for one mode.

    Uses ``get_profile``, ``build_routing_graph``, ``snap_points``,
    ``nearest_facility_times`` and ``od_pairs_within(cutoff=1e6)``, whose pair times are
    defined exactly like the nearest times (the row minimum equals the nearest time).

    Parameters
    ----------
    net : RoadNetwork
        From ``read_network``.
    mode : str
        tcm-coverage mode (``"walk"``, ``"car"``...).
    res_lonlat, fac_lonlat : array-like
        (k, 2) and (m, 2) lon/lat.
    direct_offroad_m : float, optional
        Longest straight off-road leg to a facility, passed to both functions when given
        (None: their default, 150 m; 0: none).
    rg : RoutingGraph, optional
        A graph already built for ``mode`` on ``net``.
    """
    from tcm_coverage.access.traveltime import nearest_facility_times, od_pairs_within
    from tcm_coverage.network import build_routing_graph, get_profile, snap_points

    if rg is None:
        rg = build_routing_graph(net, get_profile(mode))
    res = np.asarray(res_lonlat, dtype=np.float64).reshape(-1, 2)
    fac = np.asarray(fac_lonlat, dtype=np.float64).reshape(-1, 2)
    dem = snap_points(rg, res[:, 0], res[:, 1])
    fs = snap_points(rg, fac[:, 0], fac[:, 1])
    kw = {} if direct_offroad_m is None else {"direct_offroad_m": float(direct_offroad_m)}
    near = nearest_facility_times(rg, dem, fs, **kw)
    od = od_pairs_within(rg, dem, fs, _NO_CUTOFF, **kw)
    pairs = np.full((len(res), len(fac)), np.inf)
    pairs[od.demand, od.facility] = od.minutes
    u = rg.network.u
    return TcmTimes(pairs=pairs, nearest=np.asarray(near.minutes, dtype=np.float64),
                    nearest_facility=np.asarray(near.facility), offroad_m=np.asarray(dem.offroad_m),
                    res_off_main=rg.strong_component[u[dem.edge]] != rg.main_strong_component,
                    fac_off_main=rg.strong_component[u[fs.edge]] != rg.main_strong_component)


# --------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------
def verdict_differs_share(ours: Any, ref: Any, threshold: float = 15.0) -> float:
    """Share of entries whose covered verdict (``minutes <= threshold``; inf: not covered)
    differs between the two routers."""
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(ref, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    if a.size == 0:
        return float("nan")
    return float(np.mean((a <= threshold) != (b <= threshold)))


def relative_differences(ours: Any, ref: Any) -> np.ndarray:
    """``(ours - ref) / ref`` (signed) over entries where both are finite and ``ref > 0``."""
    a = np.asarray(ours, dtype=np.float64).ravel()
    b = np.asarray(ref, dtype=np.float64).ravel()
    ok = np.isfinite(a) & np.isfinite(b) & (b > 0)
    return (a[ok] - b[ok]) / b[ok]


def p90_abs_relative_difference(ours: Any, ref: Any) -> float:
    """90th percentile of ``|ours - ref| / ref`` over entries where both are finite (ref > 0)."""
    r = relative_differences(ours, ref)
    return float(np.quantile(np.abs(r), 0.9)) if r.size else float("nan")


def _stats(ours: np.ndarray, ref: np.ndarray, threshold: float) -> dict[str, float]:
    fin = np.isfinite(ours) & np.isfinite(ref)
    rel = relative_differences(ours, ref)
    return {
        "n": int(ours.size),
        "verdict_differs": verdict_differs_share(ours, ref, threshold),
        "verdict_differs_finite": (verdict_differs_share(ours[fin], ref[fin], threshold)
                                   if fin.any() else float("nan")),
        "covered_ours": float(np.mean(ours <= threshold)) if ours.size else float("nan"),
        "covered_ref": float(np.mean(ref <= threshold)) if ref.size else float("nan"),
        "p90_abs_rel": p90_abs_relative_difference(ours, ref),
        "median_rel": float(np.median(rel)) if rel.size else float("nan"),
        "median_diff_min": float(np.median(ours[fin] - ref[fin])) if fin.any() else float("nan"),
        "only_ours_finite": int(np.count_nonzero(np.isfinite(ours) & ~np.isfinite(ref))),
        "only_ref_finite": int(np.count_nonzero(~np.isfinite(ours) & np.isfinite(ref))),
    }


def compare_times(ours_pairs: Any, ref_pairs: Any, ours_nearest: Any = None, *,
                  threshold: float = 15.0) -> dict[str, dict[str, float]]:
    """Agreement of two routers on resident x facility minutes.

    Parameters
    ----------
    ours_pairs, ref_pairs : array-like
        (k, m) minutes, inf where there is no route.
    ours_nearest : array-like, optional
        (k,) our nearest-facility minutes (default: the row minimum of ``ours_pairs``); the
        reference's nearest is always the row minimum of ``ref_pairs``.
    threshold : float, default 15.0
        Minutes; covered when ``<= threshold``.

    Returns
    -------
    dict
        ``{"pairs": {...}, "nearest": {...}}``, each with ``n``, ``verdict_differs`` (share),
        ``verdict_differs_finite`` (share among entries finite for both routers),
        ``covered_ours``, ``covered_ref`` (shares), ``p90_abs_rel`` (p90 of
        ``|ours - ref| / ref``), ``median_rel`` (signed), ``median_diff_min`` (signed
        ``ours - ref`` minutes), ``only_ours_finite``, ``only_ref_finite`` (counts).
    """
    a = np.asarray(ours_pairs, dtype=np.float64)
    b = np.asarray(ref_pairs, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"need two (k, m) arrays of the same shape, got {a.shape}, {b.shape}")
    near_a = (np.asarray(ours_nearest, dtype=np.float64) if ours_nearest is not None
              else (a.min(axis=1) if a.shape[1] else np.full(a.shape[0], np.inf)))
    near_b = b.min(axis=1) if b.shape[1] else np.full(b.shape[0], np.inf)
    return {"pairs": _stats(a.ravel(), b.ravel(), threshold),
            "nearest": _stats(near_a, near_b, threshold)}


def direct_leg_share(with_direct: Any, without_direct: Any) -> float:
    """Share of entries where the direct straight off-road leg wins (strictly faster than
    the network, or the only way)."""
    a = np.asarray(with_direct, dtype=np.float64)
    b = np.asarray(without_direct, dtype=np.float64)
    return float(np.mean(a < b - 1e-9)) if a.size else float("nan")


def format_table(rows: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
    """A plain-text table of :func:`compare_times` results, one row per (label, scope)."""
    head = (f"{'case':<34} {'scope':<8} {'n':>6} {'differs':>8} {'(finite)':>8} {'cov ours':>9} "
            f"{'cov ref':>8} {'p90|rel|':>9} {'med rel':>8} {'med diff':>9}")
    lines = [head, "-" * len(head)]
    for label, res in rows.items():
        for scope in ("pairs", "nearest"):
            s = res[scope]
            lines.append(
                f"{label:<34} {scope:<8} {s['n']:>6d} {s['verdict_differs']:>8.1%} "
                f"{s['verdict_differs_finite']:>8.1%} "
                f"{s['covered_ours']:>9.1%} {s['covered_ref']:>8.1%} {s['p90_abs_rel']:>9.1%} "
                f"{s['median_rel']:>+8.1%} {s['median_diff_min']:>+8.2f}m")
    return "\n".join(lines)
