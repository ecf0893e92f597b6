"""The demand-point table every population reader returns, and the boundary it is masked with.

``demand_id``, ``population``, ``name``, ``source`` and Point geometry in EPSG:4326 (see
:mod:`tcm_coverage.inputs.population`).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tcm_coverage.inputs.boundaries import boundary_geometry

__all__ = ["DEMAND_COLUMNS", "demand_frame", "prepared_boundary"]

#: Columns of a demand-point table, in order.
DEMAND_COLUMNS: list[str] = ["demand_id", "population", "name", "source", "geometry"]


def prepared_boundary(boundary: Any) -> shapely.Geometry | None:
    """Single prepared lon/lat geometry of ``boundary`` (see ``boundary_geometry``), or None."""
    if boundary is None:
        return None
    geom = boundary_geometry(boundary)
    shapely.prepare(geom)
    return geom


def demand_frame(lon: np.ndarray, lat: np.ndarray, population: np.ndarray, names: Any,
                 source: str) -> gpd.GeoDataFrame:
    """The demand-point table of points at ``lon``/``lat`` (ids 0..n-1).

    Parameters
    ----------
    lon, lat
        (n,) WGS-84 coordinates.
    population
        (n,) residents per point.
    names
        (n,) names (``""`` where none).
    source
        ``"raster"``, ``"table"`` or ``"polygons"``.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    n = len(lon)
    return gpd.GeoDataFrame(
        {
            "demand_id": np.arange(n, dtype=np.int64),
            "population": np.asarray(population, dtype=np.float64),
            "name": pd.Series(names, dtype=object).to_numpy() if n else np.array([], dtype=object),
            "source": np.full(n, source, dtype=object),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )[DEMAND_COLUMNS]
