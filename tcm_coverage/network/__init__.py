"""Road networks: OSM readers, speed profiles per mode, the routing graph and snapping points to it.

The flow is :func:`read_network` (or :func:`from_networkx` / :func:`download_network`) ->
:class:`RoadNetwork` (an undirected list of road segments) -> :func:`build_routing_graph` with
a :class:`SpeedProfile` -> :class:`RoutingGraph` (a directed sparse matrix of minutes for one
mode) -> :func:`snap_points` (attach residents or facilities to the nearest usable segment);
a run keeps the graph and both snaps of each mode as a :class:`Routing`.

Modules, one topic each:

* :mod:`~tcm_coverage.network.profiles`: road classes, speed profiles per mode, ``get_profile``;
* :mod:`~tcm_coverage.network.tags`: OSM one-way, access and ``maxspeed`` rules per segment;
* :mod:`~tcm_coverage.network.model`: :class:`RoadNetwork`, building one from a reader's raw
  segments, spatial node order, subsets;
* :mod:`~tcm_coverage.network.readers`: ``read_network`` (``.osm.pbf`` with pyrosm);
  :mod:`~tcm_coverage.network.osmnx_graph`: OSM XML, GraphML, downloads and networkx graphs;
* :mod:`~tcm_coverage.network.graph`: the routing graph of one mode and its routable pieces;
* :mod:`~tcm_coverage.network.snapping`: :class:`Snap`, ``snap_points`` and :class:`Routing`;
* :mod:`~tcm_coverage.network.summary`: ``network_summary`` for the run report.

The projection rule (``utm_crs``, ``transform_geoms``, ``buffer_lonlat``) lives in
:mod:`tcm_coverage._geo` and is re-exported here for the callers that read it from the network.
"""

from tcm_coverage._geo import buffer_lonlat, transform_geoms, utm_crs
from tcm_coverage.network.graph import (
    MIN_COMPONENT_M,
    ZERO_TIME_MIN,
    RoutingGraph,
    build_routing_graph,
    reweighted_graph,
)
from tcm_coverage.network.model import RoadNetwork, spatial_node_order, subset_network
from tcm_coverage.network.osmnx_graph import download_network, from_networkx
from tcm_coverage.network.profiles import MODES, PROFILES, ROAD_CLASSES, SpeedProfile, get_profile
from tcm_coverage.network.readers import ACCEPTED_EXTENSIONS, read_network
from tcm_coverage.network.snapping import Routing, Snap, snap_points
from tcm_coverage.network.summary import network_summary
from tcm_coverage.network.tags import (
    ACCESS_CHAINS,
    ACCESS_CLOSED,
    ACCESS_OPEN,
    SegmentAccess,
    access_from_tags,
    parse_maxspeed,
)

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "ACCESS_CHAINS",
    "ACCESS_CLOSED",
    "ACCESS_OPEN",
    "MIN_COMPONENT_M",
    "MODES",
    "PROFILES",
    "ROAD_CLASSES",
    "RoadNetwork",
    "Routing",
    "RoutingGraph",
    "SegmentAccess",
    "Snap",
    "SpeedProfile",
    "ZERO_TIME_MIN",
    "access_from_tags",
    "buffer_lonlat",
    "build_routing_graph",
    "download_network",
    "from_networkx",
    "get_profile",
    "network_summary",
    "parse_maxspeed",
    "read_network",
    "reweighted_graph",
    "snap_points",
    "spatial_node_order",
    "subset_network",
    "transform_geoms",
    "utm_crs",
]
