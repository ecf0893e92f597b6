"""OSM tags per segment: one-way rules, access per mode, ``maxspeed``, areas, tunnels, bridges.

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
A road class makes a segment usable by a mode (:mod:`~tcm_coverage.network.profiles`); access tags can only
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

maxspeed
--------
``"60"`` and ``"60 km/h"`` -> 60; ``"30 mph"`` -> 48.28; ``"10 knots"`` -> 18.52; a list
``"50;60"`` -> the minimum, 50; implicit values such as ``"CN:urban"``, ``"CN:rural"``,
``"none"``, ``"walk"``, ``"signals"`` and anything unparsable -> NaN (untagged). Chinese
implicit limits depend on lane markings that OSM rarely records, so no number is guessed.
"""

from __future__ import annotations

import math
import re
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tcm_coverage.network.profiles import CLASS_RANK

__all__ = [
    "ACCESS_CHAINS",
    "ACCESS_CLOSED",
    "ACCESS_KEYS",
    "ACCESS_OPEN",
    "SegmentAccess",
    "access_from_tags",
    "is_area",
    "is_grade_separated",
    "is_oneway_value",
    "oneway_from_tags",
    "parse_maxspeed",
    "parse_maxspeed_array",
    "pick_highway",
]

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


_ONEWAY_YES = frozenset({"yes", "true", "1"})
_ONEWAY_REVERSE = frozenset({"-1", "reverse"})
_ROUNDABOUT = frozenset({"roundabout", "circular"})


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


def parse_maxspeed_array(values: Any) -> np.ndarray:
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


def _tag_texts(values: Any, n: int) -> np.ndarray:
    """(n,) object array of normalised tag texts, ``""`` where untagged (no column: all)."""
    if values is None:
        return np.full(n, "", dtype=object)
    return np.array([_tag_str(x) or "" for x in values], dtype=object)


def oneway_from_tags(oneway: Any, junction: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The one-way rules of the module doc for raw ``oneway`` and ``junction`` values.

    Parameters
    ----------
    oneway, junction : array-like or None
        (n,) raw tag values per way (None/NaN when untagged); None when the column is absent.
    n : int
        Number of ways.

    Returns
    -------
    oneway : numpy.ndarray
        (n,) bool, the way is one-way (``oneway=yes|true|1|-1|reverse``, or a roundabout
        unless ``oneway=no``).
    reverse : numpy.ndarray
        (n,) bool, one-way against the drawing direction (``oneway=-1|reverse``): the reader
        swaps its ends.
    """
    ow = _tag_texts(oneway, n)
    junction_t = _tag_texts(junction, n)
    reverse = np.isin(ow, list(_ONEWAY_REVERSE))
    one = (np.isin(ow, list(_ONEWAY_YES)) | reverse
           | (np.isin(junction_t, list(_ROUNDABOUT)) & (ow != "no")))
    return one, reverse


def pick_highway(value: Any) -> str | None:
    """One class for a (possibly merged, list-valued) highway attribute: the most major."""
    if isinstance(value, (list, tuple, set, np.ndarray)):
        names = [s for s in (_tag_str(x) for x in value) if s]
        if not names:
            return None
        return min(names, key=lambda s: (CLASS_RANK.get(s, len(CLASS_RANK)), s))
    return _tag_str(value)


def is_oneway_value(value: Any) -> bool:
    """An osmnx edge's ``oneway`` attribute as a bool (a merged edge's list: all parts)."""
    if isinstance(value, (list, tuple, set, np.ndarray)):
        vals = list(value)
        return bool(vals) and all(is_oneway_value(x) for x in vals)
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
    obk = _tag_texts(tags.get("oneway:bicycle"), m)
    flipped = np.zeros(m, dtype=bool) if reversed_ is None else np.asarray(reversed_, dtype=bool)
    bike_oneway = ((oneway & (obk != "no"))
                   | (~oneway & ~flipped & np.isin(obk, list(_ONEWAY_YES))))
    return SegmentAccess(foot=groups["foot"], bicycle=groups["bicycle"],
                         motorcar=groups["motorcar"], bicycle_oneway=bike_oneway,
                         tags_missing=tuple(tags_missing))


def _tag_flags(values: Any, n: int, test: Callable[[str], Any]) -> np.ndarray:
    """(n,) bool: ``test(normalised value)`` per segment; a merged edge's list: any part;
    no column (None): all False."""
    if values is None:
        return np.zeros(n, dtype=bool)

    def one(x: Any) -> bool:
        if isinstance(x, (list, tuple, set, np.ndarray)):
            return any(one(y) for y in x)
        return bool(test(_tag_str(x) or ""))

    return np.fromiter((one(x) for x in values), dtype=bool, count=n)


def is_grade_separated(tunnel: Any, bridge: Any, n: int) -> np.ndarray:
    """(n,) bool: in a tunnel (not ``no``/``building_passage``) or on a bridge (not ``no``)."""
    return (_tag_flags(tunnel, n, lambda t: t and t not in ("no", "building_passage"))
            | _tag_flags(bridge, n, lambda t: t and t != "no"))


def is_area(values: Any, n: int) -> np.ndarray:
    """(n,) bool: ``area=yes`` (lists: any part)."""
    return _tag_flags(values, n, lambda t: t in _ONEWAY_YES)

