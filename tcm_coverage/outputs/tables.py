"""Planner-ready outputs: coverage tables as CSV and XLSX (Chinese or English headers), demand
points and facilities as GeoPackage layers, a run manifest.

Writers take a destination folder and write plain files into it; the caller decides where
(the pipeline writes into a folder built beside the output folder and swapped in as a whole
only when everything succeeded, see :func:`tcm_coverage._io.atomic_output_dir`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._safetext import safe_workbook, write_csv
from tcm_coverage.access import CoverageTables, no_data_cells
from tcm_coverage.i18n import FACILITY_SET_LABELS, MODE_LABELS

__all__ = ["COLUMN_LABELS", "NO_DATA", "column_label", "localize", "rounded_table", "with_no_data", "write_isochrones", "write_layers", "write_manifest", "write_tables"]

COLUMN_LABELS: dict[str, dict[str, str]] = {
    "level": {"zh": "层级", "en": "level"},
    "parent_code": {"zh": "上级代码", "en": "parent code"},
    "code": {"zh": "区划代码", "en": "code"},
    "name": {"zh": "名称", "en": "name"},
    "mode": {"zh": "出行方式", "en": "mode"},
    "target": {"zh": "目标设施", "en": "target"},
    "population": {"zh": "人口", "en": "population"},
    "mean_min": {"zh": "平均时间(分钟)", "en": "mean time (min)"},
    "p90_min": {"zh": "90%人口时间(分钟)", "en": "90th percentile time (min)"},
    "max_min": {"zh": "最长时间(分钟)", "en": "longest time (min)"},
    "unreachable_population": {"zh": "不可达人口", "en": "unreachable population"},
    "n_county_tcm": {"zh": "县级中医医院数", "en": "county TCM hospitals"},
    "n_centres": {"zh": "乡镇卫生院/社区卫生服务中心数", "en": "township/community centres"},
    "n_centres_zhongyiguan": {"zh": "设中医馆的中心数", "en": "centres with 中医馆"},
    "n_centres_zhongyiguan_unknown": {"zh": "中医馆情况未知的中心数", "en": "centres, 中医馆 unknown"},
    "share_centres_zhongyiguan": {"zh": "中医馆设置率", "en": "share of centres with 中医馆"},
    "n_stations": {"zh": "村卫生室/社区卫生服务站数", "en": "village clinics/stations"},
    "n_stations_zhongyige": {"zh": "设中医阁的站室数", "en": "clinics/stations with 中医阁"},
    "n_stations_zhongyige_unknown": {"zh": "中医阁情况未知的站室数", "en": "clinics/stations, 中医阁 unknown"},
    "share_stations_zhongyige": {"zh": "中医阁设置率", "en": "share of clinics/stations with 中医阁"},
    "n_tcm_clinics": {"zh": "中医诊所/门诊部数", "en": "TCM clinics"},
    "n_other": {"zh": "其他医疗机构数", "en": "other facilities"},
    "tcm_gps": {"zh": "中医类别全科医生数", "en": "TCM general practitioners"},
    "tcm_physicians": {"zh": "中医执业医师数", "en": "TCM physicians"},
    "beds": {"zh": "床位数", "en": "beds"},
    "tcm_gps_unreported": {"zh": "未填报中医类别全科医生数的机构数", "en": "facilities not reporting TCM GPs"},
    "tcm_physicians_unreported": {"zh": "未填报中医执业医师数的机构数",
                                  "en": "facilities not reporting TCM physicians"},
    "beds_unreported": {"zh": "未填报床位数的机构数", "en": "facilities not reporting beds"},
    "points": {"zh": "需求点数", "en": "demand points"},
}

_SHEETS = {
    "readme": {"zh": "说明", "en": "README"},
    "county": {"zh": "县区覆盖", "en": "county coverage"},
    "township": {"zh": "乡镇覆盖", "en": "township coverage"},
    "targets": {"zh": "分目标覆盖", "en": "coverage by target"},
    "facilities": {"zh": "设施", "en": "facilities"},
    "network": {"zh": "路网", "en": "road network"},
    "review": {"zh": "设施类型识别", "en": "facility type review"},
}

#: How an unknown value is written in the tables (never 0 or 0 %).
NO_DATA: dict[str, str] = {"zh": "无数据", "en": "no data"}


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
    m = re.fullmatch(r"(pop|share)_within_([\d.]+)(_upper)?", column)
    if m:
        kind, minutes, upper = m.groups()
        if upper:
            return (f"{minutes}分钟覆盖率上限（中医馆/中医阁未知按有）" if lang == "zh"
                    else f"share within {minutes} min, upper bound (unknown 中医馆/中医阁 as yes)")
        if lang == "zh":
            return f"{minutes}分钟内人口" if kind == "pop" else f"{minutes}分钟覆盖率"
        return f"population within {minutes} min" if kind == "pop" else f"share within {minutes} min"
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
        out["mode"] = out["mode"].map(lambda m: MODE_LABELS.get(m, {}).get(lang, m))
    if "target" in out:
        out["target"] = out["target"].map(lambda t: FACILITY_SET_LABELS.get(t, {}).get(lang, t))
    if "level" in out:
        out["level"] = out["level"].map({"county": {"zh": "县区", "en": "county"}[lang],
                                         "township": {"zh": "乡镇", "en": "township"}[lang]})
    return out.rename(columns=lambda c: column_label(c, lang))


def rounded_table(table: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """A copy of a coverage table rounded for output (shares 4 decimals, minutes 1, people whole);
    with ``lang``, missing values get that language's no-data text (:func:`with_no_data`)."""
    out = table.copy()
    for col in out.columns:
        if col.startswith("share_"):
            out[col] = out[col].astype(float).round(4)
        elif col.endswith("_min"):
            out[col] = out[col].astype(float).round(1)
        elif col == "population" or col.startswith("pop_within_") or col == "unreachable_population":
            out[col] = out[col].astype(float).round(0).astype("Int64")
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
        sheets[_SHEETS["readme"][lang]] = pd.DataFrame(
            readme_rows, columns=["项目", "内容"] if lang == "zh" else ["item", "value"])
    if review is not None:
        sheets[_SHEETS["review"][lang]] = review
    for key, frame in (("county", tables.county), ("township", tables.township),
                       ("targets", tables.by_facility_set)):
        if frame is None:
            continue
        table = localize(rounded_table(frame, lang), lang)
        path = write_csv(table, out_dir / f"coverage_{key}.csv")
        written.append(path)
        sheets[_SHEETS[key][lang]] = table
    if facilities is not None:
        sheets[_SHEETS["facilities"][lang]] = facilities
    if network is not None:
        sheets[_SHEETS["network"][lang]] = network
    path = out_dir / "coverage.xlsx"
    with safe_workbook(path) as book:
        for name, frame in sheets.items():
            ws = book.add(frame, name)
            ws.freeze_panes = "A2"
            for idx, col in enumerate(frame.columns, start=1):
                values = [str(col)] + [str(v) for v in frame[col].head(200).tolist()]
                width = min(60, max(8, max(_display_width(v) for v in values) + 2))
                ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = width
                if ("覆盖率" in str(col) or str(col).endswith("设置率")
                        or str(col).startswith("share")):
                    for cell in ws.iter_cols(min_col=idx, max_col=idx, min_row=2):
                        for c in cell:
                            c.number_format = "0.0%"
    written.append(path)
    return written


def _display_width(text: str) -> int:
    # CJK characters take two columns in a spreadsheet.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_layers(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    out_dir: Path,
    *,
    modes: Sequence[str],
    targets: Sequence[str],
    thresholds: Sequence[float],
    headline_target: str = "tcm_any",
) -> list[Path]:

    """Write ``demand_points.gpkg`` (travel times and covered flags) and ``facilities.gpkg``.

    Travel times are minutes rounded up to 0.1; unreachable points have NULL time. For the headline
    target every mode and threshold gets a flag ``cov{T}_{mode}`` (1 = within ``T`` minutes).

    Parameters
    ----------
    demand, facilities
        From :func:`tcm_coverage.access.compute.compute_access` (with area codes when assigned).
    out_dir
        Destination folder.
    modes, targets, thresholds
        What was computed.
    headline_target
        Target of the covered flags.

    Returns
    -------
    list of pathlib.Path
        Files written.
    """
    dem = demand.copy()
    for mode in modes:
        for target in targets:
            col = f"t_{target}_{mode}"
            t = dem[col].to_numpy(float)
            # Rounded *up* to 0.1 min so a displayed 15.0 is always within 15 minutes.
            dem[col] = np.where(np.isfinite(t), np.ceil(np.round(t * 10, 6)) / 10, np.nan)
        head = demand[f"t_{headline_target}_{mode}"].to_numpy(float)
        for thr in thresholds:
            dem[f"cov{thr:g}_{mode}"] = (head <= thr).astype(np.int8)
    path_d = out_dir / "demand_points.gpkg"
    dem.to_file(path_d, layer="demand_points", driver="GPKG")
    path_f = out_dir / "facilities.gpkg"
    facilities.to_file(path_f, layer="facilities", driver="GPKG")
    return [path_d, path_f]


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


def write_isochrones(isochrones: gpd.GeoDataFrame, out_dir: Path, *, lang: str = "zh") -> Path:
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

    Returns
    -------
    pathlib.Path
    """
    out = isochrones.copy()
    unit = "分钟" if lang == "zh" else " min"
    out["label"] = [
        f"{MODE_LABELS.get(m, {}).get(lang, m)} {FACILITY_SET_LABELS.get(t, {}).get(lang, t)} {a:g}–{b:g}{unit}"
        for m, t, a, b in zip(out["mode"], out["target"], out["min_from"], out["minutes"], strict=True)
    ]
    out["area_km2"] = out["area_km2"].round(3)
    path = out_dir / "isochrones.gpkg"
    out.to_file(path, layer="isochrones", driver="GPKG")
    return path
