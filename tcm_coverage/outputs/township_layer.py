"""The township layer of a run: one polygon per township with its coverage per mode and
threshold (``townships.gpkg``), the file a planner opens in QGIS beside the tables, and what a
province batch concatenates into its own ``townships.gpkg``/``townships.parquet``.

Columns (internal names, as the GeoPackage layers of :mod:`tcm_coverage.outputs.tables`):
``county_code``, ``county_name``, ``code``, ``name``, ``population``; per mode every
``pop_within_*``/``share_within_*`` column of the township table plus ``mean_min``,
``p90_min`` and ``unreachable_population``, named ``<column>_<mode>``
(:func:`tcm_coverage.vocab.mode_column`); then the facility counts, 中医馆/中医阁 shares and
staff of the township. Unknown stays unknown: a share with no residents, a 中医馆 share where
no centre's flag is known, staff no facility reports are NULL, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage.access import CoverageTables, no_data_cells
from tcm_coverage.outputs.tables import save_layer
from tcm_coverage.vocab import mode_column

__all__ = ["TOWNSHIP_LAYER", "township_files", "township_layer", "write_township_layer"]

#: File and layer name of the township layer.
TOWNSHIP_LAYER = "townships"

_KEYS = ("parent_code", "code", "name", "mode", "target", "level")
#: Per-mode columns besides the ``pop_within_*``/``share_within_*`` family.
_PER_MODE = ("mean_min", "p90_min", "unreachable_population")
#: Columns that do not depend on the mode (taken from the first mode's rows).
_SHARED = ("n_county_tcm", "n_centres", "n_centres_zhongyiguan", "share_centres_zhongyiguan",
           "n_stations", "n_stations_zhongyige", "share_stations_zhongyige", "n_tcm_clinics",
           "tcm_gps", "tcm_physicians", "beds", "population_65plus")


def _per_mode_columns(table: pd.DataFrame) -> list[str]:
    family = [c for c in table.columns
              if c.startswith(("pop_within_", "share_within_", "pop_65plus_within_",
                               "share_65plus_within_"))]
    return family + [c for c in _PER_MODE if c in table]


def township_layer(townships: gpd.GeoDataFrame, township_table: pd.DataFrame,
                   county_table: pd.DataFrame, *, modes: Sequence[str]) -> gpd.GeoDataFrame:
    """One row per township polygon with its coverage per mode (wide), in WGS-84.

    Parameters
    ----------
    townships
        Township polygons with ``code`` and ``name`` (any CRS).
    township_table
        :attr:`CoverageTables.township <tcm_coverage.access.CoverageTables>`: one row per
        township and mode (``parent_code`` is the county code).
    county_table
        :attr:`CoverageTables.county <tcm_coverage.access.CoverageTables>` (county names).
    modes
        Modes of the run, in column order.

    Returns
    -------
    geopandas.GeoDataFrame
        Townships without a table row (no residents assigned) keep their polygon with NULL
        numbers.
    """
    table = township_table.copy()
    for col, mask in no_data_cells(township_table).items():
        table[col] = pd.to_numeric(table[col], errors="coerce").astype(float).where(~mask)
    table["code"] = table["code"].astype(str)
    per_mode = _per_mode_columns(table)
    frames = []
    present = [m for m in modes if (table["mode"] == m).any()]
    for mode in present:
        rows = table[table["mode"] == mode].drop_duplicates("code").set_index("code")
        frames.append(rows[per_mode].rename(columns={c: mode_column(c, mode) for c in per_mode}))
    first = (table[table["mode"] == present[0]].drop_duplicates("code").set_index("code")
             if present else table.set_index("code"))
    shared = first[[c for c in ("parent_code", "population", *_SHARED) if c in first]]
    wide = pd.concat([shared, *frames], axis=1)
    polys = townships[["code", "name", "geometry"]].copy()
    polys["code"] = polys["code"].astype(str)
    polys = polys.drop_duplicates("code").to_crs(4326)
    out = polys.merge(wide, left_on="code", right_index=True, how="left")
    names = dict(zip(county_table["code"].astype(str), county_table["name"].astype(str), strict=False))
    county = out.pop("parent_code") if "parent_code" in out else pd.Series(np.nan, index=out.index)
    if len(names) == 1:  # a township with no residents still lies in the run's one county
        county = county.fillna(next(iter(names)))
    out.insert(0, "county_code", county.astype(object).where(county.notna(), None))
    out.insert(1, "county_name", [names.get(str(c)) if c is not None else None
                                  for c in out["county_code"]])
    geometry = out.pop("geometry")
    return gpd.GeoDataFrame(out.assign(geometry=geometry.to_numpy()), geometry="geometry",
                            crs=4326).reset_index(drop=True)


def write_township_layer(layer: gpd.GeoDataFrame, out_dir: Path, *,
                         crs: str = "EPSG:4326") -> Path:
    """Write ``townships.gpkg`` (layer ``townships``; NaN written as NULL).

    Parameters
    ----------
    layer
        From :func:`township_layer`.
    out_dir
        Destination folder.
    crs
        CRS of the file (``"EPSG:4326"`` or ``"EPSG:4490"``).

    Returns
    -------
    pathlib.Path
    """
    return save_layer(layer.to_crs(crs), out_dir, TOWNSHIP_LAYER)


def township_files(townships: gpd.GeoDataFrame | None, tables: CoverageTables, out_dir: Path, *,
                   modes: Sequence[str], crs: str = "EPSG:4326") -> list[Path]:
    """``[townships.gpkg]`` of a run, or ``[]`` when it has no townships (a county without a
    township file).

    Parameters
    ----------
    townships
        The run's township polygons (or ``None``).
    tables
        Its coverage tables.
    out_dir
        Destination folder.
    modes
        Modes of the run.
    crs
        CRS of the file.

    Returns
    -------
    list of pathlib.Path
    """
    table = tables.township
    if townships is None or not len(townships) or table is None or not len(table):
        return []
    layer = township_layer(townships, table, tables.county, modes=modes)
    return [write_township_layer(layer, out_dir, crs=crs)]
