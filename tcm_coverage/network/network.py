"""Road networks: loading OSM data, speed profiles, routing graphs and snapping points.

The flow is ``read_network`` (or ``from_networkx`` / ``download_network``) ->
:class:`RoadNetwork` (an undirected list of road segments) -> ``build_routing_graph`` with
a :class:`SpeedProfile` -> :class:`RoutingGraph` (a directed sparse matrix of minutes for one
mode) -> ``snap_points`` (attach residents or facilities to the nearest usable segment).

Road classes
------------
Only these OSM ``highway`` classes are kept (:data:`ROAD_CLASSES`); everything else (for
example ``proposed``, ``construction``, ``abandoned``, ``platform``, ``bus_stop``,
``elevator``, ``raceway``, ``busway``, non-standard values such as ``trail``) is dropped on
loading because no profile can use it or it is not a road yet/any more::

    motorway motorway_link trunk trunk_link primary primary_link secondary secondary_link
    tertiary tertiary_link unclassified residential living_street service track road
    footway path pedestrian steps cycleway bridleway corridor

One-way rules
-------------
``oneway=yes|true|1`` and ``junction=roundabout|circular`` (unless ``oneway=no``) make a
segment one-way; ``oneway=-1|reverse`` is one-way against the drawing direction, so ``u`` and
``v`` are swapped and ``oneway`` is True. This is the rule osmnx applies to OSM XML, so the
``.osm.pbf`` and ``.osm`` readers agree. Motorways are not implicitly one-way (in China both
carriageways are mapped as separate ``oneway=yes`` ways). For ``bicycle`` and ``ebike``,
``oneway:bicycle=no`` lifts the restriction (contra-flow cycling) and ``oneway:bicycle=yes``
adds one; cars follow ``oneway`` only.

Access rules (OSM tags)
-----------------------
A road class makes a segment usable by a mode (the profiles below); access tags can only
*close* a usable segment, never open a class the profile does not use. Each mode reads the
chain of tags from general to specific and the most specific recognised value wins
(:data:`ACCESS_CHAINS`):

* ``walk``, ``walk_elderly``: ``access`` -> ``foot``
* ``bicycle``, ``ebike``: ``access`` -> ``vehicle`` -> ``bicycle`` (in China an e-bike under
  GB 17761-2018 is a non-motor vehicle: it rides where bicycles ride, on 非机动车道 included,
  and ``motor_vehicle=no`` does not close a road to it)
* ``car``: ``access`` -> ``vehicle`` -> ``motor_vehicle`` -> ``motorcar``

Open (:data:`ACCESS_OPEN`): ``yes``, ``permissive``, ``designated``, ``destination`` (a
resident may drive to a facility inside a local-traffic zone), ``customers``, ``public``,
``official``, ``discouraged``, ``dismount``, ``use_sidepath``, ``optional_sidepath``.
Closed (:data:`ACCESS_CLOSED`): ``no``, ``private`` (gated compounds, works roads: a resident
inside reaches the public road by the off-road leg instead), ``agricultural``, ``forestry``,
``delivery``, ``military``, ``emergency``, ``permit``. Other values (``unknown``, typos,
conditional restrictions) are ignored, so the less specific tag decides. ``highway=*`` with
``area=yes`` (the outline of a square or a plaza) is dropped on loading: an outline is not a
way along which anyone travels; a point inside reaches a real way by the off-road leg.

All three readers apply the same rules. The PBF and OSM XML readers see every tag; a
GraphML file (or a networkx graph) holds only the attributes it was saved with (osmnx keeps
``access`` and ``area`` but not ``foot``, ``bicycle``, ``vehicle``, ``motor_vehicle`` or
``motorcar`` by default): what the file cannot show is listed in
:attr:`SegmentAccess.tags_missing` and logged as a warning when the network is read.

Routable pieces and snapping
----------------------------
A segment is *routable* by a mode when both its ends lie in one strongly connected piece of
the mode's graph (a piece one can both enter and leave) holding at least
:data:`MIN_COMPONENT_M` metres of usable road, or in the largest such piece. Points
(residents, facilities, isochrone cells, candidate sites) snap to the nearest routable
segment, as routers do (Valhalla's ``minimum_reachability``): a footway island of a few
nodes, steps that join nothing, a parking-lot service road or a one-way stub cut off at the
edge of the extract is skipped, and the off-road leg is measured to the nearest routable
segment instead, however much longer. How many points skipped a fragment and how far they
were from it is reported (:func:`snap_points` records ``fragment_m``), never silently.

The off-road leg reaches a road at ground level: segments in a tunnel (``tunnel=*`` other
than ``no`` and ``building_passage``) or on a bridge (``bridge=*`` other than ``no``) are
routed along but never snapped to (:attr:`RoadNetwork.grade_separated`). A house above a
service tunnel or beside a viaduct cannot step onto it; on real OSM data (Helsinki) a
facility 17 m above a delivery tunnel was otherwise attached to the tunnel and reached by
a 15-minute detour through it.

Turn restrictions (``type=restriction`` relations) and turn costs are not modelled: car
times are a little optimistic where a left turn is banned and the detour is long.

maxspeed
--------
``"60"`` and ``"60 km/h"`` -> 60; ``"30 mph"`` -> 48.28; ``"10 knots"`` -> 18.52; a list
``"50;60"`` -> the minimum, 50; implicit values such as ``"CN:urban"``, ``"CN:rural"``,
``"none"``, ``"walk"``, ``"signals"`` and anything unparsable -> NaN (untagged). Chinese
implicit limits depend on lane markings that OSM rarely records, so no number is guessed.

Speed profiles (km/h)
---------------------
The numbers are *average travel speeds* including junctions, slopes and mixed traffic, not
legal limits. A class missing from a profile is not usable by that mode.

``walk`` (ignores one-way)
    4.8 on every walkable class: everything except ``motorway``, ``motorway_link`` and
    ``trunk_link`` (grade-separated ramps without room for pedestrians). ``trunk`` *is*
    walkable: many Chinese national roads (国道) are the village high street. 4.8 km/h
    (1.33 m/s) is the usual planning walking speed for adults. Off-road 3.6 km/h (fields,
    lanes and yards not in OSM are slower than a paved road).
``walk_elderly`` (ignores one-way)
    3.6 on the same classes: older adults' comfortable gait is about 1.0 m/s. Off-road 2.7
    (the same 0.75 ratio as ``walk``).
``ebike`` (respects one-way)
    The rural default behind "15 minutes" in many counties (电动自行车/电动车). 18 on
    ``tertiary`` and above (``tertiary(_link)``, ``secondary(_link)``, ``primary(_link)``,
    ``trunk``, ``trunk_link``; not ``motorway(_link)``); 15 on ``unclassified``,
    ``residential``, ``living_street``, ``service``, ``road`` and ``cycleway``; 10 on
    ``track``; 6 on ``footway``, ``path``, ``pedestrian``, ``steps``, ``bridleway``
    (pushing). GB 17761-2018 caps e-bikes at 25 km/h and typical rural trips average
    15-20 km/h. Off-road 4.
``bicycle`` (respects one-way)
    12 on every road class except ``motorway(_link)`` and on ``cycleway``; 8 on ``track``;
    5 on ``footway``, ``path``, ``pedestrian``, ``steps``, ``bridleway``. Off-road 4.
``car`` (respects one-way)
    motorway 90, motorway_link 40, trunk 60, trunk_link 35, primary 50, primary_link 30,
    secondary 40, secondary_link 25, tertiary 35, tertiary_link 20, unclassified 25,
    residential 20, living_street 10, service 15, track 15, road 25; no footway, path,
    steps, pedestrian, cycleway, bridleway or corridor. These are Chinese-road averages
    including junctions. When ``maxspeed`` is tagged the speed is
    ``min(class speed, maxspeed)``: a tag can only slow a segment down (a 30 km/h zone on a
    primary road), never speed it above the class average, because limits are maxima, not
    averages. Off-road 4 (walking from the house to the car/road).

Override with ``get_profile(mode, overrides={"primary": 45, "track": None}, offroad_kmh=3)``
(``None`` makes a class unusable).
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import threading
import types
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from tcm_coverage._errors import InputError, NetworkError
from tcm_coverage.inputs import boundary_geometry
from tcm_coverage.vocab import MIN_COMPONENT_M

logger = logging.getLogger(__name__)

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "ACCESS_CHAINS",
    "ACCESS_CLOSED",
    "ACCESS_OPEN",
    "MIN_COMPONENT_M",
    "MODES",
    "PROFILES",
    "ROAD_CLASSES",
    "ZERO_TIME_MIN",
    "RoadNetwork",
    "RoutingGraph",
    "SegmentAccess",
    "Snap",
    "SpeedProfile",
    "buffer_lonlat",
    "build_routing_graph",
    "access_from_tags",
    "download_network",
    "from_networkx",
    "get_profile",
    "network_summary",
    "parse_maxspeed",
    "read_network",
    "snap_points",
    "spatial_node_order",
    "subset_network",
    "transform_geoms",
    "utm_crs",
]

#: OSM ``highway`` classes kept on loading, from major to minor.
ROAD_CLASSES: tuple[str, ...] = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
    "track",
    "cycleway",
    "pedestrian",
    "footway",
    "bridleway",
    "path",
    "steps",
    "corridor",
)
_CLASS_RANK = {c: i for i, c in enumerate(ROAD_CLASSES)}

#: File name endings accepted by :func:`read_network`.
ACCEPTED_EXTENSIONS: tuple[str, ...] = (".osm.pbf", ".pbf", ".osm", ".xml", ".graphml")

#: Travel time given to a zero-length usable segment so that it is not lost (minutes).
ZERO_TIME_MIN = 1e-6



#: Access tag values that open a segment to the modes they apply to.
ACCESS_OPEN = frozenset({"yes", "permissive", "designated", "destination", "customers", "public",
                         "official", "discouraged", "dismount", "use_sidepath",
                         "optional_sidepath"})
#: Access tag values that close a segment to the modes they apply to.
ACCESS_CLOSED = frozenset({"no", "private", "agricultural", "forestry", "delivery", "military",
                           "emergency", "permit"})
#: Per access group, the OSM keys read from general to specific (the last recognised wins).
ACCESS_CHAINS: Mapping[str, tuple[str, ...]] = types.MappingProxyType({
    "foot": ("access", "foot"),
    "bicycle": ("access", "vehicle", "bicycle"),
    "motorcar": ("access", "vehicle", "motor_vehicle", "motorcar"),
})
#: Every OSM key the access rules read (plus ``oneway:bicycle``).
ACCESS_KEYS: tuple[str, ...] = ("access", "vehicle", "motor_vehicle", "motorcar", "bicycle",
                                "foot", "oneway:bicycle")

#: Edge attributes that stop osmnx simplification from merging two edges (OSM XML): a
#: merged edge never mixes classes, speeds, one-way rules or access.
_SIMPLIFY_DIFFER = ("highway", "maxspeed", "oneway", "area", "tunnel", "bridge", *ACCESS_KEYS)
#: Tags pyrosm's "all" network does not keep by default but the access rules read.
_PBF_EXTRA_TAGS = ("vehicle",)

_ONEWAY_YES = frozenset({"yes", "true", "1"})
_ONEWAY_REVERSE = frozenset({"-1", "reverse"})
_ROUNDABOUT = frozenset({"roundabout", "circular"})


# --------------------------------------------------------------------------------------
# Data classes
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SegmentAccess:
    """Legal access of every segment per access group, from OSM tags (see the module doc).

    Attributes
    ----------
    foot, bicycle, motorcar : numpy.ndarray
        (m,) bool, True where the tags leave the segment open to walkers, to cyclists and
        e-bikes, and to cars.
    bicycle_oneway : numpy.ndarray
        (m,) bool, True where cyclists may only ride ``u -> v`` (``oneway`` unless
        ``oneway:bicycle=no``, or ``oneway:bicycle=yes``).
    tags_missing : tuple of str
        Access keys the source could not show (a GraphML saved without them); empty for
        the PBF and OSM XML readers, which read every tag.
    """

    foot: np.ndarray
    bicycle: np.ndarray
    motorcar: np.ndarray
    bicycle_oneway: np.ndarray
    tags_missing: tuple[str, ...] = ()

    def take(self, keep: np.ndarray) -> SegmentAccess:
        """The access of the segments selected by ``keep`` (mask or indices)."""
        return replace(self, foot=self.foot[keep], bicycle=self.bicycle[keep],
                       motorcar=self.motorcar[keep], bicycle_oneway=self.bicycle_oneway[keep])

    def open_to(self, group: str) -> np.ndarray:
        """(m,) bool: segments open to an access group (``foot``, ``bicycle``, ``motorcar``)."""
        if group not in ACCESS_CHAINS:
            raise ValueError(f"unknown access group {group!r}; use one of {list(ACCESS_CHAINS)}")
        return np.asarray(getattr(self, group), dtype=bool)


@dataclass(frozen=True)
class RoadNetwork:
    """An undirected list of road segments with attributes.

    Attributes
    ----------
    node_id : numpy.ndarray
        int64 OSM node ids (or 0..n-1), shape (n,).
    lon, lat : numpy.ndarray
        float64 WGS-84 node coordinates, shape (n,).
    u, v : numpy.ndarray
        int64 node *indices* (0..n-1), shape (m,); ``u -> v`` is the way's direction.
    length_m : numpy.ndarray
        float64 segment length in metres (of ``geometry_m``), shape (m,).
    highway : numpy.ndarray
        object array of OSM highway classes, shape (m,).
    oneway : numpy.ndarray
        bool, True when only ``u -> v`` is legal for vehicles, shape (m,).
    maxspeed_kmh : numpy.ndarray
        float64, NaN when untagged, shape (m,).
    geometry_m : numpy.ndarray
        shapely LineStrings in ``crs_m`` running from ``u`` to ``v``, shape (m,).
    crs_m : str
        Local metric CRS (UTM zone of the centroid), e.g. ``"EPSG:32649"``.
    source : str
        The file (or object) the network came from.
    access : SegmentAccess or None
        Access per mode group from the OSM tags; None when the source had no tags at all
        (every segment open).
    grade_separated : numpy.ndarray or None
        (m,) bool, the segment is in a tunnel or on a bridge: routed along, never snapped
        to; None when not known (every segment at ground level).
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    highway: np.ndarray
    oneway: np.ndarray
    maxspeed_kmh: np.ndarray
    geometry_m: np.ndarray
    crs_m: str
    source: str
    access: SegmentAccess | None = None
    grade_separated: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_id.shape[0])

    @property
    def n_segments(self) -> int:
        """Number of segments."""
        return int(self.u.shape[0])


@dataclass(frozen=True)
class SpeedProfile:
    """Speeds of one travel mode.

    Attributes
    ----------
    mode : str
        ``"walk"``, ``"walk_elderly"``, ``"ebike"``, ``"bicycle"`` or ``"car"``.
    speeds_kmh : Mapping[str, float]
        Speed per highway class; classes missing here are not usable by this mode.
    default_kmh : float or None
        Speed for classes not listed (None: not usable).
    offroad_kmh : float
        Speed of the off-road leg from a point to the road.
    use_maxspeed : bool
        Use ``min(class speed, maxspeed)`` where ``maxspeed`` is tagged.
    respect_oneway : bool
        Forbid travel against one-way segments.
    access : str
        Which access tags apply (a key of :data:`ACCESS_CHAINS`): ``"foot"``, ``"bicycle"``
        (also e-bikes, which also follow ``oneway:bicycle``) or ``"motorcar"``.
    """

    mode: str
    speeds_kmh: Mapping[str, float]
    default_kmh: float | None
    offroad_kmh: float
    use_maxspeed: bool
    respect_oneway: bool
    access: str = "foot"


@dataclass(frozen=True)
class RoutingGraph:
    """What routing needs, for one mode.

    Attributes
    ----------
    csr : scipy.sparse.csr_matrix
        (n, n) minutes, directed: ``csr[i, j]`` is the time ``i -> j`` (parallel segments
        resolved to the fastest).
    edge_fwd_min, edge_bwd_min : numpy.ndarray
        (m,) minutes ``u -> v`` and ``v -> u`` along each segment, inf when not allowed.
    usable : numpy.ndarray
        (m,) bool, segment usable by this mode at all.
    profile : SpeedProfile
        The profile the times come from.
    network : RoadNetwork
        The network.
    component : numpy.ndarray
        (n,) int weakly connected component label per node (over usable segments).
    main_component : int
        Label of the largest component.
    routable : numpy.ndarray
        (m,) bool, usable and inside a strongly connected piece of at least
        :data:`MIN_COMPONENT_M` metres (or the largest piece): what points snap to.
    strong_component : numpy.ndarray
        (n,) int strongly connected piece per node.
    main_strong_component : int
        Label of the strongly connected piece with the most usable road (metres).
    """

    csr: sp.csr_matrix
    edge_fwd_min: np.ndarray
    edge_bwd_min: np.ndarray
    usable: np.ndarray
    profile: SpeedProfile
    network: RoadNetwork
    component: np.ndarray
    main_component: int
    routable: np.ndarray
    strong_component: np.ndarray
    main_strong_component: int


@dataclass(frozen=True)
class Snap:
    """Points attached to the network of one mode.

    Attributes
    ----------
    edge : numpy.ndarray
        (k,) int segment index.
    frac : numpy.ndarray
        (k,) position along ``u -> v`` in [0, 1].
    offroad_m : numpy.ndarray
        (k,) straight-line distance point -> snap point, metres.
    offroad_min : numpy.ndarray
        (k,) ``offroad_m`` at ``profile.offroad_kmh``, minutes.
    x_m, y_m : numpy.ndarray
        (k,) point coordinates in ``crs_m``.
    fragment_m : numpy.ndarray or None
        (k,) distance in metres to the nearest usable segment of an unroutable fragment
        where that was nearer than the snap (the point skipped it), NaN elsewhere; None when
        not recorded.
    """

    edge: np.ndarray
    frac: np.ndarray
    offroad_m: np.ndarray
    offroad_min: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    fragment_m: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.edge.shape[0])

    def take(self, index: Any) -> Snap:
        """The points selected by a boolean mask or an index array, as a new Snap.

        Parameters
        ----------
        index : array-like
            (k,) bool mask or integer indices.

        Returns
        -------
        Snap
        """
        return Snap(edge=self.edge[index], frac=self.frac[index], offroad_m=self.offroad_m[index],
                    offroad_min=self.offroad_min[index], x_m=self.x_m[index], y_m=self.y_m[index],
                    fragment_m=None if self.fragment_m is None else self.fragment_m[index])

    @property
    def skipped_fragment(self) -> np.ndarray:
        """(k,) bool: the point was nearer to an unroutable fragment than to its snap."""
        if self.fragment_m is None:
            return np.zeros(len(self), dtype=bool)
        return np.isfinite(self.fragment_m)


# --------------------------------------------------------------------------------------
# Speed profiles
# --------------------------------------------------------------------------------------
_MAJOR = ("trunk", "primary", "primary_link", "secondary", "secondary_link", "tertiary",
          "tertiary_link")
_MINOR = ("unclassified", "residential", "living_street", "service", "road")
_FOOT = ("footway", "path", "pedestrian", "steps", "bridleway")
_WALKABLE = tuple(c for c in ROAD_CLASSES if c not in ("motorway", "motorway_link", "trunk_link"))


def _make_profiles() -> dict[str, SpeedProfile]:
    walk = {c: 4.8 for c in _WALKABLE}
    elderly = {c: 3.6 for c in _WALKABLE}
    ebike: dict[str, float] = {c: 18.0 for c in (*_MAJOR, "trunk_link")}
    ebike.update({c: 15.0 for c in (*_MINOR, "cycleway")})
    ebike["track"] = 10.0
    ebike.update({c: 6.0 for c in _FOOT})
    bicycle: dict[str, float] = {c: 12.0 for c in (*_MAJOR, "trunk_link", *_MINOR, "cycleway")}
    bicycle["track"] = 8.0
    bicycle.update({c: 5.0 for c in _FOOT})
    car = {
        "motorway": 90.0, "motorway_link": 40.0, "trunk": 60.0, "trunk_link": 35.0,
        "primary": 50.0, "primary_link": 30.0, "secondary": 40.0, "secondary_link": 25.0,
        "tertiary": 35.0, "tertiary_link": 20.0, "unclassified": 25.0, "residential": 20.0,
        "living_street": 10.0, "service": 15.0, "track": 15.0, "road": 25.0,
    }
    specs = {
        "walk": (walk, 3.6, False, False, "foot"),
        "walk_elderly": (elderly, 2.7, False, False, "foot"),
        "ebike": (ebike, 4.0, False, True, "bicycle"),
        "bicycle": (bicycle, 4.0, False, True, "bicycle"),
        "car": (car, 4.0, True, True, "motorcar"),
    }
    return {
        mode: SpeedProfile(
            mode=mode,
            speeds_kmh=types.MappingProxyType(dict(speeds)),
            default_kmh=None,
            offroad_kmh=offroad,
            use_maxspeed=use_max,
            respect_oneway=oneway,
            access=group,
        )
        for mode, (speeds, offroad, use_max, oneway, group) in specs.items()
    }


#: The built-in speed profiles, by mode.
PROFILES: Mapping[str, SpeedProfile] = types.MappingProxyType(_make_profiles())
#: Accepted travel modes.
MODES: tuple[str, ...] = tuple(PROFILES)


def _positive_speed(value: Any, what: str) -> float:
    try:
        speed = float(value)
    except (TypeError, ValueError):
        speed = math.nan
    if not (math.isfinite(speed) and speed > 0):
        raise InputError(
            f"{what} must be a positive number of km/h, got {value!r}.",
            fix="Give a speed such as 4.8 or 30.",
        )
    return speed


def get_profile(
    mode: str,
    *,
    overrides: Mapping[str, float | None] | None = None,
    offroad_kmh: float | None = None,
) -> SpeedProfile:
    """Return the speed profile of a mode, optionally with changed speeds.

    Parameters
    ----------
    mode : str
        One of :data:`MODES` (``"walk"``, ``"walk_elderly"``, ``"ebike"``, ``"bicycle"``,
        ``"car"``); case and surrounding spaces are ignored.
    overrides : Mapping[str, float or None], optional
        Speed in km/h per highway class (one of :data:`ROAD_CLASSES`). A class the profile
        does not use becomes usable; ``None`` makes a class unusable.
    offroad_kmh : float, optional
        Speed of the off-road leg; the profile's default when omitted.

    Returns
    -------
    SpeedProfile
        A new profile; the built-in ones are never changed.

    Raises
    ------
    InputError
        Unknown mode or highway class, or a speed that is not a positive number.
    """
    key = str(mode).strip().lower()
    if key not in PROFILES:
        raise InputError(
            f"Unknown travel mode {mode!r}.",
            fix=f"Use one of: {', '.join(MODES)}.",
        )
    base = PROFILES[key]
    speeds = dict(base.speeds_kmh)
    for cls, value in (overrides or {}).items():
        if cls not in _CLASS_RANK:
            raise InputError(
                f"Unknown highway class {cls!r} in the speed overrides for {key!r}.",
                fix=f"Use one of: {', '.join(ROAD_CLASSES)}.",
            )
        if value is None:
            speeds.pop(cls, None)
        else:
            speeds[cls] = _positive_speed(value, f"The speed of {cls!r}")
    off = base.offroad_kmh if offroad_kmh is None else _positive_speed(offroad_kmh, "offroad_kmh")
    return replace(base, speeds_kmh=types.MappingProxyType(speeds), offroad_kmh=off)


# --------------------------------------------------------------------------------------
# Tag parsing
# --------------------------------------------------------------------------------------
_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots|kn)?\s*$", re.I)
_UNIT = {None: 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852,
         "kn": 1.852}


def parse_maxspeed(value: Any) -> float:
    """Parse an OSM ``maxspeed`` value to km/h.

    Parameters
    ----------
    value : Any
        ``"60"``, ``"60 km/h"``, ``"30 mph"``, ``"10 knots"``, a list ``"50;60"`` (or a
        Python list, as osmnx makes for merged edges) -> the minimum, a number, or None.

    Returns
    -------
    float
        km/h, NaN when untagged, implicit (``"CN:urban"``, ``"none"``, ``"walk"``) or not
        understood.
    """
    if value is None:
        return math.nan
    if isinstance(value, (list, tuple, set, np.ndarray)):
        parts = [parse_maxspeed(x) for x in value]
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        return v if math.isfinite(v) and v > 0 else math.nan
    else:
        text = str(value)
        if ";" in text or "|" in text:
            parts = [parse_maxspeed(x) for x in re.split(r"[;|]", text)]
        else:
            m = _SPEED_RE.match(text)
            if not m:
                return math.nan
            unit = m.group(2).lower() if m.group(2) else None
            v = float(m.group(1)) * _UNIT[unit]
            return v if v > 0 else math.nan
    good = [p for p in parts if math.isfinite(p)]
    return min(good) if good else math.nan


def _parse_maxspeed_array(values: Any) -> np.ndarray:
    """Vector version of :func:`parse_maxspeed` (parses each distinct value once)."""
    out = np.full(len(values), np.nan)
    cache: dict[Any, float] = {}
    for i, val in enumerate(values):
        try:
            key = val if not isinstance(val, list) else tuple(val)
            hash(key)
        except TypeError:
            out[i] = parse_maxspeed(val)
            continue
        if key not in cache:
            cache[key] = parse_maxspeed(val)
        out[i] = cache[key]
    return out


def _tag_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value).strip().lower()


def _pick_highway(value: Any) -> str | None:
    """One class for a (possibly merged, list-valued) highway attribute: the most major."""
    if isinstance(value, (list, tuple, set, np.ndarray)):
        names = [s for s in (_tag_str(x) for x in value) if s]
        if not names:
            return None
        return min(names, key=lambda s: (_CLASS_RANK.get(s, len(_CLASS_RANK)), s))
    return _tag_str(value)


def _as_bool(value: Any) -> bool:
    if isinstance(value, (list, tuple, set, np.ndarray)):
        vals = list(value)
        return bool(vals) and all(_as_bool(x) for x in vals)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = _tag_str(value)
    return text in _ONEWAY_YES or text in _ONEWAY_REVERSE


def _access_value(value: Any) -> str:
    """One access value for a tag (merged edges hold lists: a closed part closes the edge;
    ``"no;yes"``-style lists: the first recognised value)."""
    if isinstance(value, (list, tuple, set, np.ndarray)):
        parts = [_access_value(x) for x in value]
        closed = [x for x in parts if x in ACCESS_CLOSED]
        known = [x for x in parts if x in ACCESS_OPEN]
        return closed[0] if closed else (known[0] if known else "")
    text = _tag_str(value) or ""
    if ";" in text:
        known = [t.strip() for t in text.split(";") if t.strip() in ACCESS_OPEN | ACCESS_CLOSED]
        return known[0] if known else ""
    return text


def _access_state(values: Any, n: int) -> np.ndarray:
    """(n,) int8: +1 open, -1 closed, 0 not tagged or not understood."""
    if values is None:
        return np.zeros(n, dtype=np.int8)
    text = np.array([_access_value(x) for x in values], dtype=object)
    state = np.zeros(n, dtype=np.int8)
    state[np.isin(text, list(ACCESS_OPEN))] = 1
    state[np.isin(text, list(ACCESS_CLOSED))] = -1
    return state


def access_from_tags(
    tags: Mapping[str, Any],
    *,
    oneway: np.ndarray,
    reversed_: np.ndarray | None = None,
    tags_missing: tuple[str, ...] = (),
) -> SegmentAccess:
    """Evaluate the OSM access rules of the module doc for every segment.

    Parameters
    ----------
    tags : Mapping[str, array-like]
        Per OSM key of :data:`ACCESS_KEYS`, the (m,) raw values (None/NaN/"" when untagged,
        lists for merged edges); keys may be missing.
    oneway : numpy.ndarray
        (m,) bool one-way for vehicles, ``u -> v`` being the legal direction.
    reversed_ : numpy.ndarray, optional
        (m,) bool, the segment was flipped for ``oneway=-1`` (``oneway:bicycle=yes`` then
        refers to the other direction and is ignored).
    tags_missing : tuple of str
        Keys the source cannot show, recorded in the result.

    Returns
    -------
    SegmentAccess
    """
    oneway = np.asarray(oneway, dtype=bool)
    m = oneway.shape[0]
    states = {key: _access_state(tags.get(key), m) for key in ACCESS_KEYS if key != "oneway:bicycle"}
    groups: dict[str, np.ndarray] = {}
    for group, chain in ACCESS_CHAINS.items():
        state = np.zeros(m, dtype=np.int8)
        for key in chain:
            state = np.where(states[key] != 0, states[key], state)
        groups[group] = state >= 0
    obk_raw = tags.get("oneway:bicycle")
    obk = (np.array([_tag_str(x) or "" for x in obk_raw], dtype=object) if obk_raw is not None
           else np.full(m, "", dtype=object))
    flipped = np.zeros(m, dtype=bool) if reversed_ is None else np.asarray(reversed_, dtype=bool)
    bike_oneway = ((oneway & (obk != "no"))
                   | (~oneway & ~flipped & np.isin(obk, list(_ONEWAY_YES))))
    return SegmentAccess(foot=groups["foot"], bicycle=groups["bicycle"],
                         motorcar=groups["motorcar"], bicycle_oneway=bike_oneway,
                         tags_missing=tuple(tags_missing))


def _tag_flags(values: Any, n: int, test: Any) -> np.ndarray:
    """(n,) bool: ``test(normalised value)`` per segment; a merged edge's list: any part;
    no column (None): all False."""
    if values is None:
        return np.zeros(n, dtype=bool)

    def one(x: Any) -> bool:
        if isinstance(x, (list, tuple, set, np.ndarray)):
            return any(one(y) for y in x)
        return bool(test(_tag_str(x) or ""))

    return np.fromiter((one(x) for x in values), dtype=bool, count=n)


def _is_grade_separated(tunnel: Any, bridge: Any, n: int) -> np.ndarray:
    """(n,) bool: in a tunnel (not ``no``/``building_passage``) or on a bridge (not ``no``)."""
    return (_tag_flags(tunnel, n, lambda t: t and t not in ("no", "building_passage"))
            | _tag_flags(bridge, n, lambda t: t and t != "no"))


def _is_area(values: Any, n: int) -> np.ndarray:
    """(n,) bool: ``area=yes`` (lists: any part)."""
    return _tag_flags(values, n, lambda t: t in _ONEWAY_YES)


# --------------------------------------------------------------------------------------
# Building a RoadNetwork
# --------------------------------------------------------------------------------------
def utm_crs(lon: float, lat: float) -> str:
    """EPSG code string of the WGS-84 UTM zone containing (lon, lat)."""
    zone = int(np.clip(math.floor((lon + 180.0) / 6.0) + 1, 1, 60))
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def transform_geoms(geoms: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Reproject an array of shapely geometries with one pyproj call."""
    tr = pyproj.Transformer.from_crs(src, dst, always_xy=True)

    def _fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, _fn)


def _build(
    *,
    node_id: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    highway: np.ndarray,
    oneway: np.ndarray,
    maxspeed: np.ndarray,
    geom_ll: np.ndarray,
    source: str,
    spatial_order: bool = True,
    area: np.ndarray | None = None,
    access: SegmentAccess | None = None,
    grade_separated: np.ndarray | None = None,
) -> RoadNetwork:
    """Make a RoadNetwork from raw segment arrays (lon/lat geometries, None -> straight).

    Keeps only :data:`ROAD_CLASSES` and drops ``area=yes`` outlines (``area``: (m,) bool),
    drops unreferenced nodes, projects to the UTM zone of the centroid, orients every
    geometry from ``u`` to ``v`` and measures lengths. With ``spatial_order`` (the default)
    the nodes are numbered along a Z-order (Morton) curve of their projected coordinates,
    see :func:`spatial_node_order`.
    """
    highway = np.asarray(highway, dtype=object)
    keep = np.isin(highway, np.array(ROAD_CLASSES, dtype=object))
    if not keep.all():
        dropped = np.unique(highway[~keep].astype(str), return_counts=True)
        logger.debug("dropped segments by highway class: %s", dict(zip(*dropped, strict=True)))
    if area is not None:
        is_area = np.asarray(area, dtype=bool) & keep
        if is_area.any():
            logger.debug("dropped %d segments of highway areas (area=yes)", int(is_area.sum()))
        keep &= ~is_area
    if access is not None:
        access = access.take(keep)
    if grade_separated is not None:
        grade_separated = np.asarray(grade_separated, dtype=bool)[keep]
    u = np.asarray(u, dtype=np.int64)[keep]
    v = np.asarray(v, dtype=np.int64)[keep]
    if u.size == 0:
        raise NetworkError(f"{source}: no road segments (OSM highway={'|'.join(ROAD_CLASSES)}).")
    highway = highway[keep]
    oneway = np.asarray(oneway, dtype=bool)[keep]
    maxspeed = np.asarray(maxspeed, dtype=np.float64)[keep]
    geom_ll = np.asarray(geom_ll, dtype=object)[keep]

    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    used = np.zeros(lon.shape[0], dtype=bool)
    used[u] = True
    used[v] = True
    new_index = np.cumsum(used) - 1
    node_id = np.asarray(node_id, dtype=np.int64)[used]
    lon, lat = lon[used], lat[used]
    u, v = new_index[u], new_index[v]

    missing = ~shapely.is_valid_input(geom_ll) | shapely.is_missing(geom_ll)
    linelike = np.zeros(geom_ll.shape[0], dtype=bool)
    linelike[~missing] = shapely.get_type_id(geom_ll[~missing]) == 1
    straight = ~linelike
    if straight.any():
        coords = np.stack(
            [np.column_stack([lon[u[straight]], lat[u[straight]]]),
             np.column_stack([lon[v[straight]], lat[v[straight]]])], axis=1)
        geom_ll = geom_ll.copy()
        geom_ll[straight] = shapely.linestrings(coords)

    crs_m = utm_crs(float(np.mean(lon)), float(np.mean(lat)))
    geom_m = transform_geoms(geom_ll, "EPSG:4326", crs_m)
    tr = pyproj.Transformer.from_crs("EPSG:4326", crs_m, always_xy=True)
    nx_m, ny_m = tr.transform(lon, lat)
    nx_m, ny_m = np.asarray(nx_m, dtype=np.float64), np.asarray(ny_m, dtype=np.float64)
    if spatial_order:
        order = spatial_node_order(nx_m, ny_m)
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size, dtype=order.dtype)
        node_id, lon, lat = node_id[order], lon[order], lat[order]
        nx_m, ny_m = nx_m[order], ny_m[order]
        u, v = rank[u], rank[v]
    first = shapely.get_coordinates(shapely.get_point(geom_m, 0))
    d_u = np.hypot(first[:, 0] - nx_m[u], first[:, 1] - ny_m[u])
    d_v = np.hypot(first[:, 0] - nx_m[v], first[:, 1] - ny_m[v])
    flip = d_v < d_u
    if flip.any():
        geom_m[flip] = shapely.reverse(geom_m[flip])
    return RoadNetwork(
        node_id=node_id,
        lon=lon,
        lat=lat,
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        length_m=shapely.length(geom_m).astype(np.float64),
        highway=highway,
        oneway=oneway,
        maxspeed_kmh=maxspeed,
        geometry_m=geom_m,
        crs_m=crs_m,
        source=source,
        access=access,
        grade_separated=grade_separated,
    )


def _part1by1(a: np.ndarray) -> np.ndarray:
    """Spread the low 32 bits of ``a`` (uint64) to the even bit positions."""
    a = a & np.uint64(0x00000000FFFFFFFF)
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF),
                        (4, 0x0F0F0F0F0F0F0F0F), (2, 0x3333333333333333),
                        (1, 0x5555555555555555)):
        a = (a | (a << np.uint64(shift))) & np.uint64(mask)
    return a


def spatial_node_order(x: np.ndarray, y: np.ndarray, *, bits: int = 20) -> np.ndarray:
    """Order of points along a Z-order (Morton) curve of their coordinates.

    Numbering the nodes of a road graph in this order puts nodes that are close on the
    ground close in memory, so a shortest-path search touches fewer cache lines: on a
    300k-node graph the same ``scipy.sparse.csgraph.dijkstra`` ran 1.5-2.2x faster than with
    random ids (``benchmarks/bench_province.py`` measures it). :func:`read_network` and
    :func:`from_networkx` number nodes this way; ``node_id`` keeps the OSM ids, so only the
    internal indices (``u``, ``v``, the CSR rows) change, never travel times.

    Parameters
    ----------
    x, y : numpy.ndarray
        Projected coordinates (metres), shape (n,).
    bits : int, default 20
        Quantisation per axis (2**bits cells across the bounding box).

    Returns
    -------
    numpy.ndarray
        (n,) int64 permutation: ``order[k]`` is the old index of the k-th node; ties keep
        the input order (stable).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)
    top = float(2**bits - 1)

    def _cells(a: np.ndarray) -> np.ndarray:
        lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
        span = hi - lo if hi > lo else 1.0
        q = np.nan_to_num((a - lo) / span * top, nan=0.0)
        return np.clip(q, 0.0, top).astype(np.uint64)

    code = _part1by1(_cells(x)) | (_part1by1(_cells(y)) << np.uint64(1))
    return np.argsort(code, kind="stable").astype(np.int64)


def subset_network(net: RoadNetwork, keep: np.ndarray) -> RoadNetwork:
    """The network restricted to segments ``keep`` (unreferenced nodes dropped; the kept
    nodes keep their relative order, so a spatially ordered network stays so)."""
    used = np.zeros(net.n_nodes, dtype=bool)
    used[net.u[keep]] = True
    used[net.v[keep]] = True
    new_index = np.cumsum(used) - 1
    return replace(
        net,
        node_id=net.node_id[used],
        lon=net.lon[used],
        lat=net.lat[used],
        u=new_index[net.u[keep]],
        v=new_index[net.v[keep]],
        length_m=net.length_m[keep],
        highway=net.highway[keep],
        oneway=net.oneway[keep],
        maxspeed_kmh=net.maxspeed_kmh[keep],
        geometry_m=net.geometry_m[keep],
        access=None if net.access is None else net.access.take(keep),
        grade_separated=None if net.grade_separated is None else net.grade_separated[keep],
    )


def buffer_lonlat(geom: shapely.Geometry, buffer_m: float) -> shapely.Geometry:
    """Buffer a lon/lat geometry by metres (in the UTM zone of its centroid)."""
    if buffer_m <= 0:
        return geom
    c = geom.centroid
    crs = utm_crs(c.x, c.y)
    g_m = transform_geoms(np.array([geom], dtype=object), "EPSG:4326", crs)[0]
    return transform_geoms(np.array([g_m.buffer(buffer_m)], dtype=object), crs, "EPSG:4326")[0]


def _fmt_bounds(bounds: Any) -> str:
    if bounds is None:
        return "unknown"
    x0, y0, x1, y1 = (float(b) for b in bounds)
    return f"lon {x0:.4f}..{x1:.4f}, lat {y0:.4f}..{y1:.4f}"


def _no_roads_error(path: Path, area: shapely.Geometry, file_bounds: Any) -> NetworkError:
    return NetworkError(
        f"{path}: no roads inside the boundary (buffered) at {_fmt_bounds(area.bounds)}; "
        f"the file covers {_fmt_bounds(file_bounds)}. Check that the OSM extract covers the "
        "county and that the boundary is in WGS-84 lon/lat."
    )


def _read_pbf(path: Path, area: shapely.Geometry | None) -> RoadNetwork:
    import pyrosm
    from pyrosm.utils import get_bounding_box

    try:
        with warnings.catch_warnings():
            # an empty area is reported by us, with both extents
            warnings.filterwarnings("ignore", message="Could not find any", category=UserWarning)
            osm = pyrosm.OSM(str(path), bounding_box=area)
            result = osm.get_network(network_type="all", nodes=True,
                                     extra_attributes=list(_PBF_EXTRA_TAGS))
    except Exception as exc:  # pyrosm raises assorted errors on a bad file
        raise InputError(
            f"could not read the OSM PBF file ({type(exc).__name__}: {exc}).",
            path=path,
            fix="Download the extract again (e.g. from Geofabrik) or convert it with osmium.",
        ) from exc
    nodes, edges = result if isinstance(result, tuple) else (None, result)
    if edges is None or len(edges) == 0:
        if area is not None:
            try:
                fb = get_bounding_box(str(path))
                fb = None if fb is None else fb.bounds
            except Exception:  # noqa: BLE001 - the bounds are only for the message
                fb = None
            raise _no_roads_error(path, area, fb)
        raise NetworkError(f"{path}: the file contains no roads.")

    uid = edges["u"].to_numpy(dtype=np.int64)
    vid = edges["v"].to_numpy(dtype=np.int64)
    geoms = np.asarray(edges.geometry.values, dtype=object)
    highway = np.array([_pick_highway(h) or "" for h in edges["highway"].to_numpy()], dtype=object)
    ow_raw = (edges["oneway"].to_numpy(dtype=object) if "oneway" in edges
              else np.full(len(edges), None, dtype=object))
    ow = np.array([_tag_str(x) or "" for x in ow_raw], dtype=object)
    if "junction" in edges:
        junction = np.array([_tag_str(x) or "" for x in edges["junction"].to_numpy(dtype=object)])
    else:
        junction = np.full(len(edges), "", dtype=object)
    reverse = np.isin(ow, list(_ONEWAY_REVERSE))
    oneway = (np.isin(ow, list(_ONEWAY_YES)) | reverse
              | (np.isin(junction, list(_ROUNDABOUT)) & (ow != "no")))
    maxspeed = (_parse_maxspeed_array(edges["maxspeed"].to_numpy(dtype=object))
                if "maxspeed" in edges else np.full(len(edges), np.nan))
    n_e = len(edges)
    access = access_from_tags(
        {key: edges[key].to_numpy(dtype=object) for key in ACCESS_KEYS if key in edges},
        oneway=oneway, reversed_=reverse)
    area = _is_area(edges["area"].to_numpy(dtype=object) if "area" in edges else None, n_e)
    grade = _is_grade_separated(*(edges[k].to_numpy(dtype=object) if k in edges else None
                                  for k in ("tunnel", "bridge")), n_e)
    # swap oneway=-1 segments so that u -> v is the legal direction
    uid, vid = np.where(reverse, vid, uid), np.where(reverse, uid, vid)
    if reverse.any():
        geoms = geoms.copy()
        geoms[reverse] = shapely.reverse(geoms[reverse])

    # node table: ids in first-seen order, coordinates from the nodes frame when present,
    # else from the segment geometry's end points
    all_ids = np.concatenate([uid, vid])
    ids, first = np.unique(all_ids, return_index=True)
    order = np.argsort(first, kind="stable")
    ids = ids[order]
    start = shapely.get_coordinates(shapely.get_point(geoms, 0))
    end = shapely.get_coordinates(shapely.get_point(geoms, -1))
    # u's are first point after the swap above (reversing the geometry too)
    ends = np.concatenate([start, end])
    xy = ends[first[order]]
    if nodes is not None and len(nodes):
        nid = nodes["id"].to_numpy(dtype=np.int64)
        srt = np.argsort(nid)
        pos = np.searchsorted(nid[srt], ids)
        pos = np.clip(pos, 0, len(nid) - 1)
        found = nid[srt][pos] == ids
        xy[found, 0] = nodes["lon"].to_numpy(dtype=np.float64)[srt][pos[found]]
        xy[found, 1] = nodes["lat"].to_numpy(dtype=np.float64)[srt][pos[found]]
    sorter = np.argsort(ids)
    u_idx = sorter[np.searchsorted(ids, uid, sorter=sorter)]
    v_idx = sorter[np.searchsorted(ids, vid, sorter=sorter)]
    return _build(node_id=ids, lon=xy[:, 0], lat=xy[:, 1], u=u_idx, v=v_idx, highway=highway,
                  oneway=oneway, maxspeed=maxspeed, geom_ll=geoms, source=str(path), area=area,
                  access=access, grade_separated=grade)


def _ends_match(path: Path) -> str | None:
    name = path.name.lower()
    for ext in ACCEPTED_EXTENSIONS:
        if name.endswith(ext):
            return ext
    return None


def read_network(
    path: str | PathLike[str],
    *,
    boundary: Any = None,
    buffer_m: float = 5000.0,
) -> RoadNetwork:
    """Read an OSM road network from a file.

    Parameters
    ----------
    path : str or PathLike
        ``.osm.pbf``/``.pbf`` (read with pyrosm, one segment per pair of consecutive way
        nodes), ``.osm``/``.xml`` (OSM XML, read with ``osmnx.graph_from_xml`` and
        simplified with ``osmnx.simplify_graph(edge_attrs_differ=("highway", "maxspeed",
        "oneway"))`` so merged edges never mix road classes) or ``.graphml`` (saved by
        ``osmnx.save_graphml``).
    boundary : GeoDataFrame, GeoSeries or shapely geometry, optional
        Area of interest in EPSG:4326 (a GeoDataFrame in another CRS is reprojected). Only
        segments intersecting it, buffered by ``buffer_m``, are kept.
    buffer_m : float, default 5000.0
        Buffer around the boundary in metres (in the boundary's UTM zone), so that roads
        just outside the county that residents use are kept.

    Returns
    -------
    RoadNetwork
        Segments of the classes in :data:`ROAD_CLASSES`.

    Raises
    ------
    InputError
        Missing file, unknown extension, unreadable file, bad boundary.
    NetworkError
        No roads in the file or inside the boundary (the message gives both extents).
    """
    p = Path(path)
    ext = _ends_match(p)
    if ext is None:
        raise InputError(
            "unknown road network file type.",
            path=p,
            fix=f"Use one of: {', '.join(ACCEPTED_EXTENSIONS)}.",
        )
    if not p.is_file():
        raise InputError("file not found.", path=p, fix="Check the path to the OSM file.")
    if not (math.isfinite(float(buffer_m)) and buffer_m >= 0):
        raise InputError(f"buffer_m must be >= 0, got {buffer_m!r}.", fix="Use e.g. 5000.")
    area = None
    if boundary is not None:
        area = buffer_lonlat(boundary_geometry(boundary), float(buffer_m))

    if ext in (".osm.pbf", ".pbf"):
        net = _read_pbf(p, area)
    else:
        import osmnx

        try:
            if ext == ".graphml":
                G = osmnx.load_graphml(p)
            else:
                with _osmnx_way_tags(("area", "tunnel", "bridge", *ACCESS_KEYS)):
                    G = osmnx.graph_from_xml(p, bidirectional=False, simplify=False,
                                             retain_all=True)
                # simplify ourselves so that a merged edge never mixes classes, speeds,
                # one-way or access rules
                G = osmnx.simplify_graph(G, edge_attrs_differ=_SIMPLIFY_DIFFER,
                                         remove_rings=False)
        except Exception as exc:  # osmnx/networkx/xml raise assorted errors
            raise InputError(
                f"could not read the road network ({type(exc).__name__}: {exc}).",
                path=p,
                fix="Check that the file is OSM XML or osmnx GraphML.",
            ) from exc
        try:
            net = _from_networkx(G, tags_complete=ext != ".graphml")
        except NetworkError as exc:
            raise NetworkError(f"{p}: {exc}") from exc
        net = replace(net, source=str(p))
    if net.access is not None and net.access.tags_missing:
        logger.warning(
            "%s carries no %s tags (a GraphML keeps only the attributes it was saved with): "
            "those access rules cannot be applied; read the .osm.pbf or .osm file instead to "
            "apply them", p, ", ".join(net.access.tags_missing))
    if area is not None:
        area_m = transform_geoms(np.array([area], dtype=object), "EPSG:4326", net.crs_m)[0]
        shapely.prepare(area_m)
        # the prepared polygon first: shapely then tests every segment against it
        keep = shapely.intersects(area_m, net.geometry_m)
        if not keep.any():
            bounds = shapely.total_bounds(
                transform_geoms(net.geometry_m, net.crs_m, "EPSG:4326"))
            raise _no_roads_error(p, area, bounds)
        if not keep.all():
            net = subset_network(net, keep)
    logger.info("%s: %d nodes, %d segments", p, net.n_nodes, net.n_segments)
    return net


_OSMNX_SETTINGS_LOCK = threading.Lock()


@contextlib.contextmanager
def _osmnx_way_tags(extra: tuple[str, ...]) -> Iterator[None]:
    """Let osmnx keep ``extra`` way tags while reading, restoring its settings afterwards.

    osmnx reads the tags it keeps from the global ``osmnx.settings.useful_tags_way``; this
    widens it for the duration of one read (under a lock) and always puts it back, so the
    user's osmnx settings are never changed.
    """
    import osmnx

    with _OSMNX_SETTINGS_LOCK:
        before = osmnx.settings.useful_tags_way
        osmnx.settings.useful_tags_way = list(dict.fromkeys([*before, *extra]))
        try:
            yield
        finally:
            osmnx.settings.useful_tags_way = before


def download_network(polygon: Any, *, buffer_m: float = 5000.0) -> RoadNetwork:
    """Download the road network around a polygon from OpenStreetMap (needs internet).

    Uses ``osmnx.graph_from_polygon(network_type="all", simplify=True, retain_all=True)``
    with osmnx's default settings (nothing global is changed). Not used in tests.

    Parameters
    ----------
    polygon : GeoDataFrame, GeoSeries or shapely geometry
        Area of interest in EPSG:4326.
    buffer_m : float, default 5000.0
        Buffer in metres.

    Returns
    -------
    RoadNetwork
        The network, ``source`` is ``"osm-download"``.
    """
    import osmnx

    area = buffer_lonlat(boundary_geometry(polygon), float(buffer_m))
    with _osmnx_way_tags(("area", "tunnel", "bridge", *ACCESS_KEYS)):
        G = osmnx.graph_from_polygon(area, network_type="all", simplify=False, retain_all=True)
    G = osmnx.simplify_graph(G, edge_attrs_differ=_SIMPLIFY_DIFFER, remove_rings=False)
    return replace(_from_networkx(G, tags_complete=True), source="osm-download")


def from_networkx(G: Any) -> RoadNetwork:
    """Convert an osmnx-style MultiDiGraph into a :class:`RoadNetwork`.

    osmnx stores a two-way way as two directed edges (the copy against the drawing
    direction flagged ``reversed=True``) and a one-way way as one edge in its legal
    direction (``oneway=-1`` already reversed). Each two-way pair becomes ONE segment (the
    pair is matched by its end nodes and geometry, so it works whatever ``reversed``
    holds); one-way edges become one-way segments.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Nodes with ``x``/``y`` (lon/lat, or in ``G.graph["crs"]``), edges with ``highway``,
        optional ``oneway``, ``maxspeed``, ``geometry`` (straight line when absent).
        Edges without a ``highway`` of :data:`ROAD_CLASSES` (buildings, rivers, ...) are
        dropped. List-valued attributes of merged edges: the most major class, the lowest
        maxspeed, one-way only when all parts are.

        Access tags (``access``, ``foot``, ``bicycle``, ``vehicle``, ``motor_vehicle``,
        ``motorcar``, ``oneway:bicycle``) and ``area`` are read when the edges carry them;
        a key no edge carries is listed in ``access.tags_missing`` (the graph may have been
        saved without it).

    Returns
    -------
    RoadNetwork
        ``source`` is ``"networkx"``.

    Raises
    ------
    NetworkError
        No road segments.
    """
    return _from_networkx(G, tags_complete=False)


def _from_networkx(G: Any, *, tags_complete: bool) -> RoadNetwork:
    """:func:`from_networkx`; ``tags_complete``: the graph was read keeping every access tag
    (an OSM XML file), so a key no edge carries is untagged rather than missing."""
    crs = G.graph.get("crs", "EPSG:4326") if hasattr(G, "graph") else "EPSG:4326"
    geographic = pyproj.CRS(crs).is_geographic
    node_keys = list(G.nodes)
    index = {k: i for i, k in enumerate(node_keys)}
    x = np.array([float(G.nodes[k]["x"]) for k in node_keys], dtype=np.float64)
    y = np.array([float(G.nodes[k]["y"]) for k in node_keys], dtype=np.float64)
    if not geographic:
        tr = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        x, y = tr.transform(x, y)
    try:
        node_id = np.array([int(k) for k in node_keys], dtype=np.int64)
    except (TypeError, ValueError):
        node_id = np.arange(len(node_keys), dtype=np.int64)

    edges = list(G.edges(keys=True, data=True)) if G.is_multigraph() else [
        (a, b, 0, d) for a, b, d in G.edges(data=True)]
    u_l: list[int] = []
    v_l: list[int] = []
    hw_l: list[str] = []
    ow_l: list[bool] = []
    ms_l: list[Any] = []
    geo_l: list[Any] = []
    tag_keys = ("area", "tunnel", "bridge", *ACCESS_KEYS)
    tag_l: dict[str, list[Any]] = {key: [] for key in tag_keys}
    groups: dict[tuple, list[tuple[bool, int]]] = {}
    for a, b, _k, d in edges:
        hw = _pick_highway(d.get("highway"))
        if hw not in _CLASS_RANK:
            continue
        i, j = index[a], index[b]
        geom = d.get("geometry")
        if geom is not None and not isinstance(geom, shapely.LineString):
            geom = None
        ow = _as_bool(d.get("oneway", False))
        if not ow:
            coords = (tuple(map(tuple, np.round(np.asarray(geom.coords), 7)))
                      if geom is not None
                      else ((round(x[i], 7), round(y[i], 7)), (round(x[j], 7), round(y[j], 7))))
            if i < j or (i == j and coords <= coords[::-1]):
                key = (i, j, coords)
            else:
                key = (j, i, coords[::-1])
            rev = d.get("reversed", False)
            groups.setdefault(key, []).append((rev is True or rev == "True", len(u_l)))
        u_l.append(i)
        v_l.append(j)
        hw_l.append(hw)
        ow_l.append(ow)
        ms_l.append(d.get("maxspeed"))
        geo_l.append(geom)
        for key in tag_keys:
            tag_l[key].append(d.get(key))
    keep = np.ones(len(u_l), dtype=bool)
    for members in groups.values():
        if len(members) > 1:
            members.sort()  # reversed=False first, then in graph order
            n_keep = (len(members) + 1) // 2
            for _rev, pos in members[n_keep:]:
                keep[pos] = False
    geoms = np.empty(len(geo_l), dtype=object)
    geoms[:] = geo_l
    if not geographic:
        have = np.array([g is not None for g in geo_l], dtype=bool)
        if have.any():
            geoms[have] = transform_geoms(geoms[have], crs, "EPSG:4326")
    if len(u_l) == 0:
        raise NetworkError("the graph has no road segments (no edge with an OSM highway class).")
    present = {key for key in tag_keys if any(val is not None for val in tag_l[key])}
    missing = () if tags_complete else tuple(k for k in ACCESS_KEYS if k not in present)
    tag_arr = {key: _object_array(tag_l[key])[keep] for key in ACCESS_KEYS if key in present}
    oneway = np.array(ow_l, dtype=bool)[keep]
    return _build(
        node_id=node_id,
        lon=x,
        lat=y,
        u=np.array(u_l, dtype=np.int64)[keep],
        v=np.array(v_l, dtype=np.int64)[keep],
        highway=np.array(hw_l, dtype=object)[keep],
        oneway=oneway,
        maxspeed=_parse_maxspeed_array(ms_l)[keep],
        geom_ll=geoms[keep],
        source="networkx",
        area=_is_area(_object_array(tag_l["area"])[keep], int(keep.sum())),
        access=access_from_tags(tag_arr, oneway=oneway, tags_missing=missing),
        grade_separated=_is_grade_separated(_object_array(tag_l["tunnel"])[keep],
                                            _object_array(tag_l["bridge"])[keep],
                                            int(keep.sum())),
    )


def _object_array(values: list[Any]) -> np.ndarray:
    """A 1-D object array of arbitrary values (lists stay elements, not a second axis)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


# --------------------------------------------------------------------------------------
# Routing graph
# --------------------------------------------------------------------------------------
def _csr_min(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """CSR matrix where duplicate (row, col) entries keep the MINIMUM weight (not the sum)."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    key = rows * np.int64(n) + cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    w = w[order]
    start = np.ones(key.shape[0], dtype=bool)
    start[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(start)
    if starts.size != key.size:  # duplicates: the minimum of each run
        w = np.minimum.reduceat(w, starts) if starts.size else w
        key = key[starts]
    r = key // n
    c = key - r * n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    idx_dtype = np.int32 if max(n, key.shape[0]) < 2**31 - 1 else np.int64
    return sp.csr_matrix(
        (w, c.astype(idx_dtype), indptr.astype(idx_dtype)), shape=(n, n)
    )


def _segment_speeds(net: RoadNetwork, profile: SpeedProfile) -> np.ndarray:
    classes, inverse = np.unique(net.highway.astype(str), return_inverse=True)
    default = np.nan if profile.default_kmh is None else float(profile.default_kmh)
    per_class = np.array([float(profile.speeds_kmh.get(c, default)) for c in classes])
    speed = per_class[inverse.reshape(-1)] if classes.size else np.zeros(0)
    if profile.use_maxspeed:
        ms = net.maxspeed_kmh
        tagged = np.isfinite(speed) & np.isfinite(ms) & (ms > 0)
        speed[tagged] = np.minimum(speed[tagged], ms[tagged])
    return speed


def build_routing_graph(
    net: RoadNetwork, profile: SpeedProfile, *, min_component_m: float = MIN_COMPONENT_M
) -> RoutingGraph:
    """Build the directed travel-time graph of one mode.

    A segment is usable when the profile gives its class a speed and its access tags leave it
    open to the profile's access group; bicycles and e-bikes follow ``oneway:bicycle`` (see
    the module doc). Routable segments (what points snap to) lie in a strongly connected
    piece with at least ``min_component_m`` metres of usable road, or in the largest piece.

    Parameters
    ----------
    net : RoadNetwork
        The road network.
    profile : SpeedProfile
        Speeds (see :func:`get_profile`).
    min_component_m : float, default :data:`MIN_COMPONENT_M`
        Smallest piece, in metres of usable road, that points may snap to (0: every piece).

    Returns
    -------
    RoutingGraph
        ``csr[i, j]`` minutes from node i to node j (parallel segments: the fastest);
        zero-length usable segments take :data:`ZERO_TIME_MIN`.

    Raises
    ------
    NetworkError
        No segment is usable by the mode.
    InputError
        ``min_component_m`` is negative or not finite.
    """
    if not (math.isfinite(float(min_component_m)) and min_component_m >= 0):
        raise InputError(f"min_component_m must be a finite number of metres >= 0, got "
                         f"{min_component_m!r}.", fix="Use e.g. 1000 (0 snaps to any piece).")
    n = net.n_nodes
    speed = _segment_speeds(net, profile)
    usable = np.isfinite(speed) & (speed > 0)
    if net.access is not None:
        usable &= net.access.open_to(profile.access)
    if not usable.any():
        raise NetworkError(
            f"no road in {net.source} is usable by mode {profile.mode!r} "
            f"(classes present: {', '.join(sorted(set(net.highway.astype(str))))})."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        minutes = net.length_m / 1000.0 / speed * 60.0
    minutes = np.where(usable, np.maximum(minutes, ZERO_TIME_MIN), np.inf)
    fwd = minutes
    oneway = (net.access.bicycle_oneway if profile.access == "bicycle" and net.access is not None
              else net.oneway)
    bwd = np.where(oneway, np.inf, minutes) if profile.respect_oneway else minutes.copy()

    ok_f = np.isfinite(fwd) & (net.u != net.v)
    ok_b = np.isfinite(bwd) & (net.u != net.v)
    rows = np.concatenate([net.u[ok_f], net.v[ok_b]])
    cols = np.concatenate([net.v[ok_f], net.u[ok_b]])
    w = np.concatenate([fwd[ok_f], bwd[ok_b]])
    csr = _csr_min(rows, cols, w, n)
    _, labels = connected_components(csr, directed=True, connection="weak")
    sizes = np.bincount(labels)
    n_strong, strong = connected_components(csr, directed=True, connection="strong")
    inside = usable & (strong[net.u] == strong[net.v])
    piece_m = np.bincount(strong[net.u[inside]], weights=net.length_m[inside], minlength=n_strong)
    main_strong = int(np.argmax(piece_m))
    big = piece_m >= float(min_component_m)
    big[main_strong] = True
    routable = inside & big[strong[net.u]]
    if not routable.any():  # no cycle at all (a lone one-way road): every usable segment
        routable = usable.copy()
    return RoutingGraph(
        csr=csr,
        edge_fwd_min=fwd,
        edge_bwd_min=bwd,
        usable=usable,
        profile=profile,
        network=net,
        component=labels.astype(np.int64),
        main_component=int(np.argmax(sizes)),
        routable=routable,
        strong_component=strong.astype(np.int64),
        main_strong_component=main_strong,
    )


# --------------------------------------------------------------------------------------
# Snapping
# --------------------------------------------------------------------------------------
def snap_points(rg: RoutingGraph, lon: Any, lat: Any) -> Snap:
    """Attach points to the nearest routable segment of the routing graph's mode.

    Points are not moved to nodes: the off-road leg is the straight-line (perpendicular)
    distance to the nearest point of the segment, walked at ``profile.offroad_kmh``; routing
    then continues along the segment to either end. Only routable segments at ground level
    count (``rg.routable``: inside a strongly connected piece of at least
    :data:`MIN_COMPONENT_M` metres, or the largest piece; not in a tunnel or on a bridge):
    a point nearer to a usable fragment skips it, and ``Snap.fragment_m`` records how far
    that fragment was.

    Parameters
    ----------
    rg : RoutingGraph
        Graph of the mode.
    lon, lat : array-like
        WGS-84 coordinates, same length.

    Returns
    -------
    Snap
        One entry per point, in input order.

    Raises
    ------
    InputError
        Lengths differ or coordinates are not finite.
    """
    lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    if lon.shape != lat.shape or lon.ndim != 1:
        raise InputError(f"lon and lat differ in shape: {lon.shape} vs {lat.shape}.")
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} point(s) have missing or non-finite coordinates "
            f"(first at position {int(np.flatnonzero(bad)[0])}).",
            fix="Remove or geocode those points.",
        )
    net = rg.network
    tr = pyproj.Transformer.from_crs("EPSG:4326", net.crs_m, always_xy=True)
    x, y = tr.transform(lon, lat)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    k = lon.shape[0]
    if k == 0:
        empty = np.zeros(0)
        return Snap(edge=np.zeros(0, dtype=np.int64), frac=empty, offroad_m=empty,
                    offroad_min=empty, x_m=x, y_m=y, fragment_m=empty)
    pts = shapely.points(x, y)
    # query in Z order (points near each other one after the other walk the same tree
    # branches: ~3x faster for 1M points); each point gets exactly one answer
    zorder = spatial_node_order(x, y)
    targets = rg.routable if net.grade_separated is None else rg.routable & ~net.grade_separated
    if not targets.any():  # only tunnels and bridges (tiny test networks): snap to them
        targets = rg.routable
    edge, dist = _nearest_segment(net.geometry_m, np.flatnonzero(targets), pts, zorder)
    fragment_m = np.full(k, np.nan)
    frag_idx = np.flatnonzero(rg.usable & ~rg.routable)
    if frag_idx.size:
        _, frag_dist = _nearest_segment(net.geometry_m, frag_idx, pts, zorder)
        nearer = frag_dist < dist
        fragment_m[nearer] = frag_dist[nearer]
    frac = shapely.line_locate_point(net.geometry_m[edge], pts, normalized=True)
    frac = np.clip(np.nan_to_num(frac, nan=0.0), 0.0, 1.0)
    off_min = dist / (rg.profile.offroad_kmh * 1000.0 / 60.0)
    return Snap(edge=edge, frac=frac, offroad_m=dist, offroad_min=off_min, x_m=x, y_m=y,
                fragment_m=fragment_m)


def _nearest_segment(
    geoms: np.ndarray, candidates: np.ndarray, pts: np.ndarray, zorder: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Index (into ``geoms``) of the nearest of ``candidates`` for every point, and its
    distance; points are queried in ``zorder``."""
    tree = shapely.STRtree(geoms[candidates])
    (inp, hit), dist_z = tree.query_nearest(pts[zorder], return_distance=True, all_matches=False)
    k = pts.shape[0]
    edge = np.empty(k, dtype=np.int64)
    dist = np.empty(k, dtype=np.float64)
    edge[zorder[inp]] = candidates[hit]
    dist[zorder[inp]] = dist_z
    return edge, dist


# --------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------
def network_summary(rg: RoutingGraph) -> dict[str, Any]:
    """Numbers about a routing graph for a report.

    Parameters
    ----------
    rg : RoutingGraph
        Graph of one mode.

    Returns
    -------
    dict
        ``mode``, ``source``, ``crs_m``, ``nodes`` (all), ``segments`` (all),
        ``usable_nodes`` (touching a usable segment), ``usable_segments``, ``km_total``,
        ``km_usable``, ``km_by_class`` (all segments), ``usable_km_by_class``,
        ``oneway_segments``, ``components`` (weakly connected, among usable nodes),
        ``main_component_nodes``, ``main_component_share`` (of usable nodes),
        ``nodes_outside_main`` (usable nodes), ``km_outside_main`` (usable km);
        ``closed_by_access_segments`` (a usable class closed by access tags to this mode),
        ``access_tags_missing`` (keys the source could not show), ``routable_segments``,
        ``fragment_segments`` and ``km_fragments`` (usable but not routable: points skip
        them), ``min_component_m``-style pieces are counted as ``routable_pieces``.
    """
    net = rg.network
    km = net.length_m / 1000.0
    classes, inverse = np.unique(net.highway.astype(str), return_inverse=True)
    inverse = inverse.reshape(-1)
    km_all = np.bincount(inverse, weights=km, minlength=classes.size)
    km_use = np.bincount(inverse, weights=np.where(rg.usable, km, 0.0), minlength=classes.size)
    node_used = np.zeros(net.n_nodes, dtype=bool)
    node_used[net.u[rg.usable]] = True
    node_used[net.v[rg.usable]] = True
    labels = rg.component[node_used]
    n_comp = int(np.unique(labels).size)
    main_nodes = int(np.count_nonzero(labels == rg.main_component))
    n_used = int(node_used.sum())
    outside_seg = rg.usable & (rg.component[net.u] != rg.main_component)
    class_ok = np.isfinite(_segment_speeds(net, rg.profile))
    fragment = rg.usable & ~rg.routable
    return {
        "mode": rg.profile.mode,
        "source": net.source,
        "crs_m": net.crs_m,
        "nodes": net.n_nodes,
        "segments": net.n_segments,
        "usable_nodes": n_used,
        "usable_segments": int(rg.usable.sum()),
        "km_total": float(km.sum()),
        "km_usable": float(km[rg.usable].sum()),
        "km_by_class": {str(c): float(k) for c, k in zip(classes, km_all, strict=True)},
        "usable_km_by_class": {
            str(c): float(k) for c, k in zip(classes, km_use, strict=True) if k > 0
        },
        "oneway_segments": int(np.count_nonzero(net.oneway)),
        "components": n_comp,
        "main_component_nodes": main_nodes,
        "main_component_share": main_nodes / n_used if n_used else 0.0,
        "nodes_outside_main": n_used - main_nodes,
        "km_outside_main": float(km[outside_seg].sum()),
        "closed_by_access_segments": int(np.count_nonzero(class_ok & ~rg.usable)),
        "access_tags_missing": list(net.access.tags_missing) if net.access is not None
        else list(ACCESS_KEYS),
        "routable_segments": int(np.count_nonzero(rg.routable)),
        "routable_pieces": int(np.unique(rg.strong_component[net.u[rg.routable]]).size),
        "fragment_segments": int(np.count_nonzero(fragment)),
        "km_fragments": float(km[fragment].sum()),
    }
