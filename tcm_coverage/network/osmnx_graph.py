"""osmnx graphs as road networks: OSM XML and GraphML files, downloads, networkx objects.

osmnx stores a two-way way as two directed edges and simplifies chains of edges into one;
:func:`from_networkx` turns such a graph back into one undirected segment per way piece with
the tag rules of :mod:`~tcm_coverage.network.tags`. The OSM XML reader and the download keep
every tag the rules read and simplify without ever merging edges that differ in class, speed,
one-way or access.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyproj
import shapely

from tcm_coverage._errors import InputError, NetworkError
from tcm_coverage._geo import WGS84, buffer_lonlat, transform_geoms
from tcm_coverage.inputs import boundary_geometry
from tcm_coverage.network.model import RawNodes, RawSegments, RoadNetwork, assemble_network
from tcm_coverage.network.profiles import CLASS_RANK
from tcm_coverage.network.tags import (
    ACCESS_KEYS,
    access_from_tags,
    is_area,
    is_grade_separated,
    is_oneway_value,
    parse_maxspeed_array,
    pick_highway,
)

__all__ = ["download_network", "from_networkx", "read_osmnx_file"]

#: Way tags the rules read beyond osmnx's defaults.
_WAY_TAGS = ("area", "tunnel", "bridge", *ACCESS_KEYS)
#: Edge attributes that stop osmnx simplification from merging two edges (OSM XML): a
#: merged edge never mixes classes, speeds, one-way rules or access.
_SIMPLIFY_DIFFER = ("highway", "maxspeed", "oneway", *_WAY_TAGS)

_OSMNX_SETTINGS_LOCK = threading.Lock()


def _osmnx() -> Any:
    """The osmnx module, imported on first use: it takes ~2 s to import (it loads networkx,
    geopandas' plotting stack and requests) and only GraphML files, downloads and the osmnx
    cross-checks need it, not a run on OSM XML or PBF."""
    import osmnx  # noqa: PLC0415 - deferred on purpose, see the docstring

    return osmnx


@contextlib.contextmanager
def _osmnx_way_tags(extra: tuple[str, ...]) -> Iterator[None]:
    """Let osmnx keep ``extra`` way tags while reading, restoring its settings afterwards.

    osmnx reads the tags it keeps from the global ``osmnx.settings.useful_tags_way``; this
    widens it for the duration of one read (under a lock) and always puts it back, so the
    user's osmnx settings are never changed.
    """
    osmnx = _osmnx()
    with _OSMNX_SETTINGS_LOCK:
        before = osmnx.settings.useful_tags_way
        osmnx.settings.useful_tags_way = list(dict.fromkeys([*before, *extra]))
        try:
            yield
        finally:
            osmnx.settings.useful_tags_way = before


def read_osmnx_file(path: Path, ext: str) -> RoadNetwork:
    """Read an OSM XML (``ext`` ``.osm``/``.xml``) or GraphML (``.graphml``) file with osmnx.

    Parameters
    ----------
    path : pathlib.Path
        The file (checked to exist by :func:`~tcm_coverage.network.readers.read_network`).
    ext : str
        Its ending, one of ``.osm``, ``.xml``, ``.graphml``.

    Returns
    -------
    RoadNetwork
        ``source`` is the path.

    Raises
    ------
    InputError
        osmnx could not read the file.
    NetworkError
        No road segments.
    """
    osmnx = _osmnx()
    try:
        if ext == ".graphml":
            G = osmnx.load_graphml(path)
        else:
            with _osmnx_way_tags(_WAY_TAGS):
                G = osmnx.graph_from_xml(path, bidirectional=False, simplify=False,
                                         retain_all=True)
            # simplify ourselves so that a merged edge never mixes classes, speeds,
            # one-way or access rules
            G = osmnx.simplify_graph(G, edge_attrs_differ=_SIMPLIFY_DIFFER, remove_rings=False)
    except Exception as exc:  # osmnx/networkx/xml raise assorted errors
        raise InputError(
            f"could not read the road network ({type(exc).__name__}: {exc}).",
            path=path,
            fix="Check that the file is OSM XML or osmnx GraphML.",
        ) from exc
    try:
        net = _from_networkx(G, tags_complete=ext != ".graphml")
    except NetworkError as exc:
        raise NetworkError(f"{path}: {exc}") from exc
    return replace(net, source=str(path))


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
    # a (multi)polygon boundary stays one when buffered
    area = cast("shapely.Polygon | shapely.MultiPolygon",
                buffer_lonlat(boundary_geometry(polygon), float(buffer_m)))
    osmnx = _osmnx()
    with _osmnx_way_tags(_WAY_TAGS):
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


def _object_array(values: list[Any]) -> np.ndarray:
    """A 1-D object array of arbitrary values (lists stay elements, not a second axis)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _nx_nodes(G: Any) -> tuple[RawNodes, dict[Any, int], str, bool]:
    """The graph's nodes in lon/lat, the index of each node key, the graph's CRS and whether
    it is geographic."""
    crs = G.graph.get("crs", WGS84) if hasattr(G, "graph") else WGS84
    geographic = pyproj.CRS(crs).is_geographic
    node_keys = list(G.nodes)
    index = {k: i for i, k in enumerate(node_keys)}
    x = np.array([float(G.nodes[k]["x"]) for k in node_keys], dtype=np.float64)
    y = np.array([float(G.nodes[k]["y"]) for k in node_keys], dtype=np.float64)
    if not geographic:
        tr = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
        x, y = tr.transform(x, y)
    try:
        node_id = np.array([int(k) for k in node_keys], dtype=np.int64)
    except (TypeError, ValueError):
        node_id = np.arange(len(node_keys), dtype=np.int64)
    return RawNodes(node_id=node_id, lon=x, lat=y), index, crs, geographic


@dataclass
class _EdgeLists:
    """The road edges of a graph, collected one by one (one list per attribute)."""

    u: list[int] = field(default_factory=list)
    v: list[int] = field(default_factory=list)
    highway: list[str] = field(default_factory=list)
    oneway: list[bool] = field(default_factory=list)
    maxspeed: list[Any] = field(default_factory=list)
    geometry: list[Any] = field(default_factory=list)
    tags: dict[str, list[Any]] = field(default_factory=lambda: {k: [] for k in _WAY_TAGS})
    #: two-way edges by their undirected ends and geometry: ``(reversed, position)`` each
    twins: dict[tuple, list[tuple[bool, int]]] = field(default_factory=dict)


def _twin_key(geom: Any, i: int, j: int, x: np.ndarray, y: np.ndarray) -> tuple:
    """The same key for an edge and its copy against the drawing direction."""
    coords = (tuple(map(tuple, np.round(np.asarray(geom.coords), 7)))
              if geom is not None
              else ((round(x[i], 7), round(y[i], 7)), (round(x[j], 7), round(y[j], 7))))
    if i < j or (i == j and coords <= coords[::-1]):
        return (i, j, coords)
    return (j, i, coords[::-1])


def _nx_edges(G: Any, index: dict[Any, int], nodes: RawNodes) -> _EdgeLists:
    """Every edge with a road class; two-way edges grouped with their reversed twins."""
    edges = list(G.edges(keys=True, data=True)) if G.is_multigraph() else [
        (a, b, 0, d) for a, b, d in G.edges(data=True)]
    out = _EdgeLists()
    for a, b, _k, d in edges:
        hw = pick_highway(d.get("highway"))
        if hw not in CLASS_RANK:
            continue
        i, j = index[a], index[b]
        geom = d.get("geometry")
        if geom is not None and not isinstance(geom, shapely.LineString):
            geom = None
        ow = is_oneway_value(d.get("oneway", False))
        if not ow:
            rev = d.get("reversed", False)
            out.twins.setdefault(_twin_key(geom, i, j, nodes.lon, nodes.lat), []).append(
                (rev is True or rev == "True", len(out.u)))
        out.u.append(i)
        out.v.append(j)
        out.highway.append(str(hw))
        out.oneway.append(ow)
        out.maxspeed.append(d.get("maxspeed"))
        out.geometry.append(geom)
        for key in _WAY_TAGS:
            out.tags[key].append(d.get(key))
    return out


def _without_twins(twins: dict[tuple, list[tuple[bool, int]]], n: int) -> np.ndarray:
    """(n,) bool: keep one edge of each two-way pair (the ``reversed=False`` one first)."""
    keep = np.ones(n, dtype=bool)
    for members in twins.values():
        if len(members) > 1:
            members.sort()  # reversed=False first, then in graph order
            n_keep = (len(members) + 1) // 2
            for _rev, pos in members[n_keep:]:
                keep[pos] = False
    return keep


def _from_networkx(G: Any, *, tags_complete: bool) -> RoadNetwork:
    """:func:`from_networkx`; ``tags_complete``: the graph was read keeping every access tag
    (an OSM XML file), so a key no edge carries is untagged rather than missing."""
    nodes, index, crs, geographic = _nx_nodes(G)
    e = _nx_edges(G, index, nodes)
    keep = _without_twins(e.twins, len(e.u))
    geoms = _object_array(e.geometry)
    if not geographic:
        have = np.array([g is not None for g in e.geometry], dtype=bool)
        if have.any():
            geoms[have] = transform_geoms(geoms[have], crs, WGS84)
    if len(e.u) == 0:
        raise NetworkError("the graph has no road segments (no edge with an OSM highway class).")
    present = {key for key in _WAY_TAGS if any(val is not None for val in e.tags[key])}
    missing = () if tags_complete else tuple(k for k in ACCESS_KEYS if k not in present)
    tag_arr = {key: _object_array(e.tags[key])[keep] for key in ACCESS_KEYS if key in present}
    oneway = np.array(e.oneway, dtype=bool)[keep]
    n_kept = int(keep.sum())
    seg = RawSegments(
        u=np.array(e.u, dtype=np.int64)[keep],
        v=np.array(e.v, dtype=np.int64)[keep],
        highway=np.array(e.highway, dtype=object)[keep],
        oneway=oneway,
        maxspeed_kmh=parse_maxspeed_array(e.maxspeed)[keep],
        geometry_ll=geoms[keep],
        area=is_area(_object_array(e.tags["area"])[keep], n_kept),
        access=access_from_tags(tag_arr, oneway=oneway, tags_missing=missing),
        grade_separated=is_grade_separated(_object_array(e.tags["tunnel"])[keep],
                                           _object_array(e.tags["bridge"])[keep], n_kept),
    )
    return assemble_network(nodes, seg, source="networkx")
