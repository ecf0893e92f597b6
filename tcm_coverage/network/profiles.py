"""Speed profiles: which OSM road classes each travel mode uses, and how fast.

Road classes
------------
Only these OSM ``highway`` classes are kept (:data:`ROAD_CLASSES`); everything else (for
example ``proposed``, ``construction``, ``abandoned``, ``platform``, ``bus_stop``,
``elevator``, ``raceway``, ``busway``, non-standard values such as ``trail``) is dropped on
loading because no profile can use it or it is not a road yet/any more::

    motorway motorway_link trunk trunk_link primary primary_link secondary secondary_link
    tertiary tertiary_link unclassified residential living_street service track road
    footway path pedestrian steps cycleway bridleway corridor

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

import math
import types
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from tcm_coverage._errors import InputError

__all__ = ["CLASS_RANK", "MODES", "PROFILES", "ROAD_CLASSES", "SpeedProfile", "get_profile"]

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
#: Rank of each road class, 0 the most major (a merged edge takes its most major class).
CLASS_RANK: Mapping[str, int] = types.MappingProxyType({c: i for i, c in enumerate(ROAD_CLASSES)})


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
        Which access tags apply (a key of :data:`~tcm_coverage.network.tags.ACCESS_CHAINS`): ``"foot"``, ``"bicycle"``
        (also e-bikes, which also follow ``oneway:bicycle``) or ``"motorcar"``.
    """

    mode: str
    speeds_kmh: Mapping[str, float]
    default_kmh: float | None
    offroad_kmh: float
    use_maxspeed: bool
    respect_oneway: bool
    access: str = "foot"



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
        if cls not in CLASS_RANK:
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

