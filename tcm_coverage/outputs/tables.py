"""Planner-ready outputs: coverage tables as CSV and XLSX (Chinese or English headers), demand
points and facilities as GeoPackage layers, a run manifest.

Writers take a destination folder and write plain files into it; the caller decides where
(the pipeline writes into a folder built beside the output folder and swapped in as a whole
only when everything succeeded, see :func:`tcm_coverage._io.atomic_output_dir`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from tcm_coverage._safetext import write_csv
from tcm_coverage._xlsx import Sheet, write_workbook
from tcm_coverage.access import CoverageTables, no_data_cells
from tcm_coverage.i18n import LANGS, label, text
from tcm_coverage.outputs.style import column_widths
from tcm_coverage.vocab import (
    HEADLINE_FACILITY_SET,
    REFERRAL_RESIDENT_COLUMN,
    coverage_flag_column,
    time_column,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["COLUMN_LABELS", "NO_DATA", "column_label", "localize", "rounded_table", "save_layer",
           "with_no_data", "write_isochrones", "write_layers", "write_manifest", "write_tables"]

#: Columns with a fixed header (labels: ``outputs.col_<column>`` in :mod:`tcm_coverage.i18n`).
_LABELLED = (
    "level", "parent_code", "code", "name", "mode", "target", "population", "mean_min",
    "p90_min", "max_min", "unreachable_population", "n_county_tcm", "n_centres",
    "n_centres_zhongyiguan", "n_centres_zhongyiguan_unknown", "share_centres_zhongyiguan",
    "n_stations", "n_stations_zhongyige", "n_stations_zhongyige_unknown",
    "share_stations_zhongyige", "n_tcm_clinics", "n_other", "tcm_gps", "tcm_physicians", "beds",
    "tcm_gps_unreported", "tcm_physicians_unreported", "beds_unreported", "points", "capacity",
    "tcm_gps_unreported", "tcm_physicians_unreported", "beds_unreported", "points",
    "population_65plus", "tcm_services", "tcm_technique_types", "tcm_techniques",
    "tcm_capable_physicians", "tcm_capable_staff",
)

#: Header of each internal column name, in Chinese and English.
COLUMN_LABELS: dict[str, dict[str, str]] = {
    c: {lang: text(f"outputs.col_{c}", lang) for lang in LANGS} for c in _LABELLED}

#: How an unknown value is written in the tables (never 0 or 0 %).
NO_DATA: dict[str, str] = {lang: text("outputs.no_data", lang) for lang in LANGS}


def _sheet(key: str, lang: str) -> str:
    return text(f"outputs.sheet_{key}", lang)


def _is_share(header: str) -> bool:
    """A column of shares, shown as percentages in the workbook (its header: 覆盖率, 设置率,
    占比, or an internal ``share_`` name)."""
    return "覆盖率" in header or header.endswith(("设置率", "占比")) or header.startswith("share")


def column_label(column: str, lang: str = "zh") -> str:
    """Header for an internal column name, in Chinese (``"zh"``) or English (``"en"``).

    Parameters
    ----------
    column
        Internal column name (e.g. ``"share_within_15"``).
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        The label; unknown names are returned unchanged.
    """
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column][lang]
    m = re.fullmatch(r"(pop|share)_within_capacity_([\d.]+)(_upper)?", column)
    if m:  # capacity-aware coverage (access/capacity.py)
        kind, minutes, upper = m.groups()
        return text(f"outputs.col_capacity_{kind}_within{upper or ''}", lang, minutes=minutes)
    m = re.fullmatch(r"(pop|share)_(65plus_)?within_([\d.]+)(_upper)?", column)
    if m:
        kind, elderly, minutes, upper = m.groups()
        tag = "65plus_" if elderly else ""
        if upper:
            return text(f"outputs.col_{tag}within_upper", lang, minutes=minutes)
        return text(f"outputs.col_{kind}_{tag}within", lang, minutes=minutes)
    return column


def localize(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Translate headers and the mode/target/level values of a table for planners.

    Parameters
    ----------
    table
        A table from :func:`tcm_coverage.access.coverage.coverage_tables`.
    lang
        ``"zh"`` (default) or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        A copy with translated headers and values.
    """
    out = table.copy()
    if "mode" in out:
        out["mode"] = out["mode"].map(lambda m: label("mode", m, lang))
    if "target" in out:  # the facility set of each row
        out["target"] = out["target"].map(lambda t: label("facility_set", t, lang))
    if "level" in out:
        out["level"] = out["level"].map({"county": text("outputs.level_county", lang),
                                         "township": text("outputs.level_township", lang)})
    return out.rename(columns=lambda c: column_label(c, lang))


def rounded_table(table: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """A copy of a coverage table rounded for output (shares 4 decimals, minutes 1, people whole);
    with ``lang``, missing values get that language's no-data text (:func:`with_no_data`)."""
    columns: dict[str, pd.Series] = {}
    for name, values in table.items():  # the columns made once, then one frame (not a copy set column by column)
        col = str(name)
        if col.startswith("share_"):
            values = values.astype(float).round(4)
        elif col.endswith("_min"):
            values = values.astype(float).round(1)
        elif (col in ("population", "population_65plus", "unreachable_population")
              or col.startswith(("pop_within_", "pop_65plus_within_"))):
            values = values.astype(float).round(0).astype("Int64")
        columns[col] = values
    out = pd.DataFrame(columns, index=table.index, columns=table.columns)
    out.attrs = copy.deepcopy(table.attrs)
    if lang is not None:
        out = with_no_data(out, lang)
    return out


def with_no_data(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A copy with unknown cells (:func:`tcm_coverage.access.coverage.no_data_cells`) written 无数据.

    Parameters
    ----------
    table
        A county or township coverage table (other tables are returned unchanged).
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
    """
    masks = {c: m for c, m in no_data_cells(table).items() if m.any()}
    if not masks:
        return table
    out = table.copy()
    for col, mask in masks.items():
        values = out[col].astype(object).to_numpy(copy=True)
        values[mask] = NO_DATA[lang]
        out[col] = values
    return out


def write_tables(
    tables: CoverageTables,
    out_dir: Path,
    *,
    lang: str = "zh",
    readme_rows: Sequence[tuple[str, str]] = (),
    facilities: pd.DataFrame | None = None,
    network: pd.DataFrame | None = None,
    review: pd.DataFrame | None = None,
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
) -> list[Path]:
    """Write ``coverage_county.csv``, ``coverage_township.csv``, ``coverage_targets.csv`` and
    the workbook ``coverage.xlsx``.

    CSV files are UTF-8 with a byte-order mark so Excel opens the Chinese headers correctly.
    Names from the input files stay text: no formulas in either (:mod:`tcm_coverage._safetext`).

    Parameters
    ----------
    tables
        From :func:`tcm_coverage.access.coverage.coverage_tables`.
    out_dir
        Destination folder.
    lang
        Header language, ``"zh"`` or ``"en"``.
    readme_rows
        (item, value) pairs for the workbook's first sheet: parameters, sources, definitions.
    facilities, network
        Extra sheets (already localized or plain).
    review
        The facility type review (:func:`tcm_coverage.inputs.facilities.review_sheet`), written as the
        sheet 设施类型识别 right after 说明; its text cells are stored as text, never formulas.
    extra_sheets
        Sheet name -> table, written after the others (the referral, fairness and sensitivity
        tables of :mod:`tcm_coverage.outputs.decision_tables`).

    Cells that are unknown (中医馆/中医阁 shares where no flag is known, staff counts nobody
    reported) say 无数据 / "no data", never 0.

    Returns
    -------
    list of pathlib.Path
        Files written.
    """
    written = []
    sheets: dict[str, pd.DataFrame] = {}
    if readme_rows:
        sheets[_sheet("readme", lang)] = pd.DataFrame(
            readme_rows, columns=[text("outputs.readme_item", lang), text("outputs.readme_value", lang)])
    if review is not None:
        sheets[_sheet("review", lang)] = review
    for key, frame in (("county", tables.county), ("township", tables.township),
                       ("targets", tables.by_facility_set)):
        if frame is None:
            continue
        table = localize(rounded_table(frame, lang), lang)
        path = write_csv(table, out_dir / f"coverage_{key}.csv")
        written.append(path)
        sheets[_sheet(key, lang)] = table
    if facilities is not None:
        sheets[_sheet("facilities", lang)] = facilities
    if network is not None:
        sheets[_sheet("network", lang)] = network
    sheets.update(extra_sheets or {})
    path = write_workbook(out_dir / "coverage.xlsx", [
        Sheet(name=name, frame=frame, widths=column_widths(frame, rows=200), freeze_header=True,
              percent=frozenset(i for i, col in enumerate(frame.columns) if _is_share(str(col))))
        for name, frame in sheets.items()])
    written.append(path)
    return written


def write_layers(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    out_dir: Path,
    *,
    modes: Sequence[str],
    facility_sets: Sequence[str],
    thresholds: Sequence[float],
    crs: str = "EPSG:4326",
    demand_format: str = "gpkg",
) -> list[Path]:
    """Write ``demand_points.gpkg`` (travel times and covered flags) and ``facilities.gpkg``.

    Travel times (and the car minutes to the county TCM hospital of the referral chain,
    ``county_tcm_car_min``, when present) are minutes rounded up to 0.1; unreachable points have
    NULL time. For the headline
    facility set every mode and threshold gets a flag ``cov{T}_{mode}`` (1 = within ``T`` minutes).

    Parameters
    ----------
    demand, facilities
        From :func:`tcm_coverage.access.compute.compute_access` (with area codes when assigned).
    out_dir
        Destination folder.
    modes, facility_sets, thresholds
        What was computed.
    crs
        CRS of the files: ``"EPSG:4326"`` (WGS-84) or ``"EPSG:4490"`` (CGCS2000; the
        coordinates are the same to within centimetres, see :data:`tcm_coverage.vocab.EXPORT_CRS`).
    demand_format
        ``"gpkg"`` (default), ``"parquet"`` (``demand_points.parquet``, GeoParquet: a fifth of
        the size) or ``"none"`` (no demand-point file; a province batch's default), see
        :data:`tcm_coverage.vocab.LAYER_FORMATS`.

    Returns
    -------
    list of pathlib.Path
        Files written.
    """
    path_f = save_layer(facilities.to_crs(crs), out_dir, "facilities")
    if demand_format == "none":
        return [path_f]
    dem = demand.copy()
    referral = [REFERRAL_RESIDENT_COLUMN] if REFERRAL_RESIDENT_COLUMN in dem else []
    for col in [time_column(s, m) for m in modes for s in facility_sets] + referral:
        t = dem[col].to_numpy(float)
        # Rounded *up* to 0.1 min so a displayed 15.0 is always within 15 minutes.
        dem[col] = np.where(np.isfinite(t), np.ceil(np.round(t * 10, 6)) / 10, np.nan)
    for mode in modes:
        head = demand[time_column(HEADLINE_FACILITY_SET, mode)].to_numpy(float)
        for thr in thresholds:
            dem[coverage_flag_column(thr, mode)] = (head <= thr).astype(np.int8)
    return [save_layer(dem.to_crs(crs), out_dir, "demand_points", fmt=demand_format), path_f]


def save_layer(layer: gpd.GeoDataFrame, out_dir: Path, name: str, *, fmt: str = "gpkg") -> Path:
    """Write ``out_dir/<name>.gpkg`` (layer ``name``) or ``<name>.parquet`` (GeoParquet).

    Parameters
    ----------
    layer
        The layer, in the CRS the file declares.
    out_dir
        Destination folder.
    name
        File stem and GeoPackage layer name.
    fmt
        ``"gpkg"`` or ``"parquet"``.

    Returns
    -------
    pathlib.Path
    """
    if fmt == "parquet":
        path = Path(out_dir) / f"{name}.parquet"
        layer.to_parquet(path, index=False, compression="zstd")
        return path
    if fmt != "gpkg":
        raise ValueError(f"unknown layer format {fmt!r}: use gpkg or parquet")
    path = Path(out_dir) / f"{name}.gpkg"
    try:  # through Arrow: 2.5 times less CPU for 150,000 demand points (benchmarks/README.md)
        layer.to_file(path, layer=name, driver="GPKG", engine="pyogrio", use_arrow=True)
    except pa.ArrowException:  # a column Arrow cannot type (mixed values from an input file)
        path.unlink(missing_ok=True)
        layer.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


def write_manifest(out_dir: Path, manifest: Mapping) -> Path:
    """Write ``run.json``: inputs (with checksums), parameters, versions and headline numbers.

    Parameters
    ----------
    out_dir
        Destination folder.
    manifest
        JSON-serialisable mapping.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = out_dir / "run.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=_json_default), encoding="utf-8")
    return path


def _json_default(obj: object) -> object:
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        value = float(obj)
        return None if not np.isfinite(value) else value
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def write_isochrones(isochrones: gpd.GeoDataFrame, out_dir: Path, *, lang: str = "zh",
                     crs: str = "EPSG:4326", fmt: str = "gpkg") -> Path:
    """Write the isochrone rings to ``isochrones.gpkg`` (layer ``isochrones``).

    Columns: ``mode``, ``target``, ``min_from``, ``minutes`` (the ring is the area reached in
    more than ``min_from`` and at most ``minutes``), ``area_km2`` and a readable ``label``
    (e.g. ``电动自行车 中医药服务点 5–10分钟``). Open it in QGIS/ArcGIS; filter on ``mode`` and
    ``target`` and style on ``minutes``.

    Parameters
    ----------
    isochrones
        From :attr:`tcm_coverage.access.compute.AccessResult.isochrones`.
    out_dir
        Destination folder.
    lang
        Language of ``label``.
    crs
        CRS of the file (``"EPSG:4326"`` WGS-84 or ``"EPSG:4490"`` CGCS2000).
    fmt
        ``"gpkg"`` or ``"parquet"`` (``isochrones.parquet``, GeoParquet).

    Returns
    -------
    pathlib.Path
    """
    out = isochrones.copy()
    out["label"] = [
        text("outputs.isochrone_label", lang, mode=label("mode", m, lang),
             facility_set=label("facility_set", t, lang), low=a, high=b)
        for m, t, a, b in zip(out["mode"], out["target"], out["min_from"], out["minutes"], strict=True)
    ]
    out["area_km2"] = out["area_km2"].round(3)
    return save_layer(out.to_crs(crs), out_dir, "isochrones", fmt=fmt)
