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
* :mod:`~tcm_coverage.network.readers`: ``read_network`` (by file ending);
  :mod:`~tcm_coverage.network.osm_reader`: OSM XML and PBF in one pyosmium pass, as arrays;
  :mod:`~tcm_coverage.network.osmnx_graph`: GraphML, downloads and networkx graphs (osmnx,
  imported on first use);
* :mod:`~tcm_coverage.network.graph`: the routing graph of one mode and its routable pieces;
* :mod:`~tcm_coverage.network.snapping`: :class:`Snap`, ``snap_points`` and :class:`Routing`;
* :mod:`~tcm_coverage.network.terrain`: a DEM (``read_dem``), elevation along segments
  (``with_elevation`` in ``model``) and how grade changes each mode's speed (Tobler for walking);
* :mod:`~tcm_coverage.network.summary`: ``network_summary`` and ``snap_summary`` for the run report.

The projection rule (``utm_crs``, ``transform_geoms``, ``buffer_lonlat``) lives in
:mod:`tcm_coverage._geo` and is re-exported here for the callers that read it from the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tcm_coverage._lazy import lazy_face

if TYPE_CHECKING:  # the names below, for type checkers and editors (imported on first use)
    from tcm_coverage._geo import buffer_lonlat, transform_geoms, utm_crs
    from tcm_coverage.network.climb import CLIMB_RULES, ClimbRule
    from tcm_coverage.network.extent import SegmentBoxes, segment_boxes, segments_meeting
    from tcm_coverage.network.graph import (
        MIN_COMPONENT_M,
        ZERO_TIME_MIN,
        RoutingGraph,
        build_routing_graph,
        reweighted_graph,
    )
    from tcm_coverage.network.model import (
        RoadNetwork,
        network_pieces,
        spatial_node_order,
        subset_network,
        with_elevation,
    )
    from tcm_coverage.network.nearest import (
        Nearest,
        PieceIndex,
        Pieces,
        nearest_pieces,
        piece_index,
    )
    from tcm_coverage.network.osmnx_graph import download_network, from_networkx
    from tcm_coverage.network.profiles import (
        MODES,
        PROFILES,
        ROAD_CLASSES,
        SpeedProfile,
        get_profile,
    )
    from tcm_coverage.network.readers import ACCEPTED_EXTENSIONS, read_network
    from tcm_coverage.network.snapping import (
        Routing,
        Snap,
        snap_key,
        snap_points,
        snap_with_profile,
    )
    from tcm_coverage.network.summary import network_summary, snap_summary
    from tcm_coverage.network.tags import (
        ACCESS_CHAINS,
        ACCESS_CLOSED,
        ACCESS_OPEN,
        SegmentAccess,
        access_from_tags,
        parse_maxspeed,
    )
    from tcm_coverage.network.terrain import (
        Dem,
        Terrain,
        offroad_speed_factor,
        read_dem,
        tobler_factor,
    )

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "ACCESS_CHAINS",
    "ACCESS_CLOSED",
    "ACCESS_OPEN",
    "CLIMB_RULES",
    "ClimbRule",
    "Dem",
    "MIN_COMPONENT_M",
    "MODES",
    "PROFILES",
    "ROAD_CLASSES",
    "RoadNetwork",
    "Routing",
    "RoutingGraph",
    "SegmentAccess",
    "SegmentBoxes",
    "Snap",
    "SpeedProfile",
    "Terrain",
    "ZERO_TIME_MIN",
    "Nearest",
    "PieceIndex",
    "Pieces",
    "nearest_pieces",
    "network_pieces",
    "piece_index",
    "access_from_tags",
    "buffer_lonlat",
    "build_routing_graph",
    "download_network",
    "from_networkx",
    "get_profile",
    "network_summary",
    "snap_summary",
    "offroad_speed_factor",
    "parse_maxspeed",
    "read_dem",
    "read_network",
    "snap_key",
    "reweighted_graph",
    "segment_boxes",
    "segments_meeting",
    "snap_points",
    "snap_with_profile",
    "spatial_node_order",
    "subset_network",
    "tobler_factor",
    "transform_geoms",
    "utm_crs",
    "with_elevation",
]

lazy_face(__name__)
