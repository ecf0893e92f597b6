"""The province summary of a batch run: one table (CSV + XLSX, Chinese headers by default),
one map (county choropleth of the share of residents within the headline threshold) and one
township layer of every county that finished (``townships.gpkg`` and ``townships.parquet``).

The table has one row per county and mode with the county table's numbers (population,
population and share within each threshold, mean and 90th-percentile minutes, unreachable
population, facility counts and TCM standards), the county's status (done, done in an
earlier run, failed) and, for failed counties, the error. A province row per mode adds up
the counties that finished (population-weighted; no percentile, which cannot be added up).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from tcm_coverage._safetext import write_csv
from tcm_coverage._xlsx import Sheet, write_workbook
from tcm_coverage.i18n import FACILITY_SET_LABELS, LANGS, MODE_LABELS, text
from tcm_coverage.outputs import (
    SHARE_BREAKS,
    SHARE_COLOURS,
    TOWNSHIP_LAYER,
    base_map,
    compact_geojson,
    localize,
    prepare_layer,
    rounded_table,
    save_layer,
    share_colour,
)
from tcm_coverage.vocab import capacity_pop_column, capacity_share_column, share_column

__all__ = ["STATUS_LABELS", "MapSettings", "province_map", "province_table", "province_townships",
           "write_province_table", "write_province_townships"]

#: Status values and their labels (:data:`tcm_coverage.i18n` ``batch.status_*``).
STATUS_LABELS: dict[str, dict[str, str]] = {
    status: {lang: text(f"batch.status_{status}", lang) for lang in LANGS}
    for status in ("done", "skipped", "failed", "province")
}
#: Headers of the batch's own columns (``batch.column_*``; the county columns are localized
#: as in the county tables).
_EXTRA_LABELS = {
    column: {lang: text(f"batch.column_{column}", lang) for lang in LANGS}
    for column in ("job_id", "status", "error", "seconds")
}
_FIRST = ["job_id", "code", "name", "mode", "status"]
_DROP = ("target", "parent_code", "level")


def province_table(records: Sequence[Mapping], *, thresholds: Sequence[float],
                   modes: Sequence[str]) -> pd.DataFrame:
    """The province summary with internal column names.

    Parameters
    ----------
    records
        One per job: ``job_id``, ``code``, ``name``, ``status`` (``done``, ``skipped``,
        ``failed``), ``rows`` (county-table rows), ``error``, ``seconds``.
    thresholds
        Minutes of the run (for the province rows).
    modes
        Modes of the run (order of the province rows).

    Returns
    -------
    pandas.DataFrame
        County rows sorted by code then mode, then the province rows.
    """
    rows = []
    for rec in records:
        base = {"job_id": rec["job_id"], "status": rec["status"],
                "seconds": rec.get("seconds"), "error": rec.get("error") or ""}
        if rec["status"] != "failed" and rec.get("rows"):
            for row in rec["rows"]:
                rows.append({**base, **{k: v for k, v in row.items() if k not in _DROP}})
        else:
            rows.append({**base, "code": rec.get("code", ""), "name": rec.get("name", "")})
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=_FIRST)
    for col in ("code", "name", "mode"):
        if col not in table:
            table[col] = ""
    table["code"] = table["code"].fillna("").astype(str)
    mode_rank = {m: i for i, m in enumerate(modes)}
    table = table.assign(_m=table["mode"].map(mode_rank).fillna(len(modes)))
    table = table.sort_values(["code", "job_id", "_m"], kind="stable").drop(columns="_m")
    ok = table[table["status"] != "failed"]
    totals = [_province_total(ok[ok["mode"] == mode], mode, thresholds) for mode in modes
              if (ok["mode"] == mode).any()]
    if totals:
        table = pd.concat([table, pd.DataFrame(totals)], ignore_index=True)
    order = _FIRST + [c for c in table.columns if c not in _FIRST + ["seconds", "error"]]
    return table[order + ["seconds", "error"]].reset_index(drop=True)


def _province_total(sub: pd.DataFrame, mode: str, thresholds: Sequence[float]) -> dict:
    """The province row of one mode: the finished counties' rows ``sub`` added up."""
    pop = float(sub["population"].sum())
    tot: dict = {"job_id": "", "code": "", "name": STATUS_LABELS["province"]["zh"], "mode": mode,
                 "status": "province", "population": pop, "error": ""}
    for t in thresholds:
        col = f"pop_within_{t:g}"
        if col in sub:
            tot[col] = float(sub[col].sum())
            tot[share_column(t)] = tot[col] / pop if pop > 0 else np.nan
        tot.update(_capacity_total(sub, t, pop))
    if "unreachable_population" in sub:
        tot["unreachable_population"] = float(sub["unreachable_population"].sum())
        reach = sub["population"] - sub["unreachable_population"]
        mean = pd.to_numeric(sub["mean_min"], errors="coerce")
        good = mean.notna() & (reach > 0)
        if good.any():
            tot["mean_min"] = float((mean[good] * reach[good]).sum() / reach[good].sum())
    for col in sub.columns:
        if (col.startswith("n_") or col.endswith("_unreported")
                or col in ("tcm_gps", "tcm_physicians", "beds")):
            tot[col] = pd.to_numeric(sub[col], errors="coerce").sum(min_count=1)
    for share, num, den in (("share_centres_zhongyiguan", "n_centres_zhongyiguan", "n_centres"),
                            ("share_stations_zhongyige", "n_stations_zhongyige", "n_stations")):
        # over the centres/stations whose 中医馆/中医阁 is known (unknown is not "no")
        known = tot.get(den, 0) - (tot.get(f"{num}_unknown", 0) or 0) if den in tot else 0
        if num in tot and known and known > 0:
            tot[share] = tot[num] / known
    return tot


def _capacity_total(sub: pd.DataFrame, t: float, pop: float) -> dict:
    """The province's residents (and share) within ``t`` minutes and within capacity: the
    counties' sums, unknown (absent) unless every finished county has the figure. The upper
    bound takes a county's plain figure where it has no ``_upper`` (none of its capacity was
    unknown)."""
    col = capacity_pop_column(t)
    if col not in sub:
        return {}
    lower = pd.to_numeric(sub[col], errors="coerce")
    if pop <= 0 or lower.isna().any():
        return {}
    out = {col: float(lower.sum()), capacity_share_column(t): float(lower.sum()) / pop}
    up_col = capacity_pop_column(t, upper=True)
    if up_col in sub:
        upper = pd.to_numeric(sub[up_col], errors="coerce").fillna(lower)
        out[up_col] = float(upper.sum())
        out[capacity_share_column(t, upper=True)] = float(upper.sum()) / pop
    return out


def _localized(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = table.copy()
    out["status"] = out["status"].map(lambda s: STATUS_LABELS.get(s, {}).get(lang, s))
    if lang == "en":
        out.loc[out["name"] == STATUS_LABELS["province"]["zh"], "name"] = STATUS_LABELS["province"]["en"]
    out = localize(rounded_table(out, lang), lang)
    return out.rename(columns=lambda c: _EXTRA_LABELS[c][lang] if c in _EXTRA_LABELS else c)


def _widths(frame: pd.DataFrame) -> list[int]:
    """Column widths of a summary sheet: the header counted as two per character, the values
    (as text, the first 200 rows) as one, plus 2, between 8 and 60."""
    head = frame.head(200)
    return [min(60, max(8, max([len(str(col)) * 2] + [len(str(v)) for v in head.iloc[:, i]]) + 2))
            for i, col in enumerate(frame.columns)]


def write_province_table(table: pd.DataFrame, out_dir: Path, *, lang: str = "zh",
                         readme_rows: Sequence[tuple[str, str]] = ()) -> list[Path]:
    """Write ``province_summary.csv`` (UTF-8 with BOM, for Excel) and ``province_summary.xlsx``
    (sheets 说明, 全省汇总 and, when counties failed, 失败).

    Parameters
    ----------
    table
        From :func:`province_table`.
    out_dir
        Destination folder.
    lang
        ``"zh"`` or ``"en"``.
    readme_rows
        (item, value) pairs for the first sheet.

    Returns
    -------
    list of pathlib.Path
    """
    loc = _localized(table, lang)
    csv = write_csv(loc, out_dir / "province_summary.csv")
    xlsx = out_dir / "province_summary.xlsx"
    sheets = {}
    if readme_rows:
        sheets[text("batch.sheet_readme", lang)] = pd.DataFrame(
            readme_rows, columns=[text("batch.readme_item", lang), text("batch.readme_value", lang)])
    sheets[text("batch.sheet_summary", lang)] = loc
    failed = table[table["status"] == "failed"]
    if len(failed):
        sheets[text("batch.sheet_failed", lang)] = _localized(
            failed[["job_id", "code", "name", "status", "error"]], lang)
    write_workbook(xlsx, [
        Sheet(name=name, frame=frame, widths=_widths(frame), freeze_header=True,
              percent=frozenset(i for i, col in enumerate(frame.columns)
                                if str(col).endswith(("覆盖率", "设置率")) or str(col).startswith("share")))
        for name, frame in sheets.items()])
    return [csv, xlsx]


@dataclass(frozen=True)
class MapSettings:
    """How the province map is rendered (as for :func:`tcm_coverage.outputs.maps.coverage_map`).

    Attributes
    ----------
    lang
        ``"zh"`` or ``"en"``.
    basemap
        ``"osm"``, ``"amap"`` (overlays shifted to GCJ-02), ``"tianditu"`` or ``"none"``.
    tianditu_key
        Tianditu API key.
    sources
        Data-source lines of the legend.
    """

    lang: str = "zh"
    basemap: str = "osm"
    tianditu_key: str | None = None
    sources: Sequence[str] = ()


def province_map(table: pd.DataFrame, geometries: Mapping[str, shapely.Geometry], *,
                 modes: Sequence[str], headline_mode: str, threshold: float,
                 look: MapSettings = MapSettings()) -> folium.Map:
    """County choropleth of the share of residents within ``threshold`` of a TCM point.

    One layer per mode (the headline mode shown); failed counties are grey with the error in
    the tooltip. Colours and classes are those of the township choropleth of
    :func:`tcm_coverage.outputs.maps.coverage_map`.

    Parameters
    ----------
    table
        From :func:`province_table`.
    geometries
        County code -> boundary (WGS-84).
    modes, headline_mode, threshold
        What to draw.
    look
        Language, basemap and data-source lines.

    Returns
    -------
    folium.Map
    """
    lang = look.lang
    datum = "gcj02" if look.basemap == "amap" else "wgs84"
    codes = [c for c in geometries if geometries[c] is not None]
    gdf = gpd.GeoDataFrame({"code": codes}, geometry=[geometries[c] for c in codes], crs=4326)
    minx, miny, maxx, maxy = gdf.total_bounds if len(gdf) else (110, 30, 120, 40)
    fmap = base_map((minx, miny, maxx, maxy), basemap=look.basemap,
                    tianditu_key=look.tianditu_key, lang=lang)
    county_rows = table[table["status"] != "province"]
    failed = county_rows[county_rows["status"] == "failed"].drop_duplicates("code")
    for mode in modes:
        rows = county_rows[county_rows["mode"] == mode].drop_duplicates("code").set_index("code")
        frame = gdf.copy()
        styled = [_county_style(code, rows, failed, threshold=threshold, lang=lang)
                  for code in frame["code"]]
        frame["colour"] = [colour for colour, _ in styled]
        frame["label"] = [label for _, label in styled]
        frame = prepare_layer(frame, datum, 0.0005)
        label = MODE_LABELS.get(mode, {}).get(lang, mode)
        folium.GeoJson(
            compact_geojson(frame[["label", "colour", "geometry"]], decimals=4),
            name=text("batch.map_layer", lang, minutes=threshold, mode=label),
            show=mode == headline_mode,
            style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#444444",
                                      "weight": 1, "fillOpacity": 0.75},
            highlight_function=lambda f: {"weight": 3},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(fmap)
    if len(gdf):
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.LayerControl(collapsed=False).add_to(fmap)
    _legend(fmap, look, threshold=threshold,
            mode_label=MODE_LABELS.get(headline_mode, {}).get(lang, headline_mode),
            n_failed=len(failed))
    return fmap


def _county_style(code: str, rows: pd.DataFrame, failed: pd.DataFrame, *, threshold: float,
                  lang: str) -> tuple[str, str]:
    """Fill colour and tooltip (HTML: names escaped) of one county on one mode's layer."""
    if code in rows.index:
        r = rows.loc[code].to_dict()
        share_col = share_column(threshold)
        share = float(r[share_col]) if pd.notna(r.get(share_col)) else np.nan
        pop = float(r.get("population") or 0.0)
        beyond = pop - float(r.get(f"pop_within_{threshold:g}") or 0.0)
        return share_colour(share), text(
            "batch.map_county", lang, name=html.escape(str(r["name"])), code=html.escape(str(code)),
            minutes=threshold, share=share, population=pop, beyond=beyond)
    if code in set(failed["code"]):
        err = str(failed.set_index("code").loc[code, "error"])[:300]
        return "#bbbbbb", text("batch.map_failed", lang) + html.escape(err)
    return "#eeeeee", text("batch.map_no_result", lang, code=html.escape(str(code)))


def _legend(fmap: folium.Map, look: MapSettings, *, threshold: float, mode_label: str,
            n_failed: int) -> None:
    lang = look.lang
    facilities = FACILITY_SET_LABELS["tcm_any"][lang]
    title = text("batch.legend_title", lang, facilities=facilities, minutes=threshold,
                 mode=mode_label)
    meta = [text("batch.legend_computed", lang) + date.today().isoformat()]
    if look.basemap == "amap":
        meta.append(text("batch.legend_gcj02", lang))
    if n_failed:
        meta.append(text("batch.legend_failed", lang, n=n_failed))
    meta += list(look.sources)
    rows = [f"<div><span class='tcm-sw' style='background:{c}'></span>{lo:.0%}–{min(hi, 1):.0%}</div>"
            for c, lo, hi in zip(SHARE_COLOURS, SHARE_BREAKS[:-1], SHARE_BREAKS[1:], strict=True)]
    box = ("<div class='tcm-box' style='top:10px;left:54px;max-width:440px'>"
           f"<div style='font-size:15px;font-weight:bold'>{html.escape(title)}</div>"
           + "".join(f"<div>{html.escape(m)}</div>" for m in meta) + "</div>"
           "<div class='tcm-box' style='bottom:34px;right:10px'>" + "".join(rows) + "</div>")
    css = ("<style>.tcm-box{position:absolute;z-index:1000;background:rgba(255,255,255,.93);"
           "border:1px solid #999;border-radius:4px;padding:6px 9px;font:12px/1.45 'Noto Sans CJK SC',"
           "'Microsoft YaHei',sans-serif}.tcm-sw{display:inline-block;width:14px;height:10px;"
           "margin-right:5px;border:1px solid #888;vertical-align:middle}</style>")
    root = cast(folium.Figure, fmap.get_root())  # a map's root is its figure
    root.header.add_child(folium.Element(css))
    root.html.add_child(folium.Element(box))


def province_townships(folders: Sequence[Path]) -> gpd.GeoDataFrame | None:
    """The township layers (``townships.gpkg``) of the county folders, one after the other.

    Parameters
    ----------
    folders
        Output folders of the counties that finished (now or in an earlier run), in the
        order of the rows; a folder without a township layer (no township file) adds none.

    Returns
    -------
    geopandas.GeoDataFrame or None
        WGS-84 (whatever ``--crs`` the counties' files declare: the coordinates are the same
        numbers); columns of all counties (a mode only some counties ran is NULL in the
        others); ``None`` when no county has a township layer.
    """
    layers = []
    for folder in folders:
        path = Path(folder) / f"{TOWNSHIP_LAYER}.gpkg"
        if path.is_file():
            layer = pyogrio.read_dataframe(path, layer=TOWNSHIP_LAYER)
            layers.append(layer.set_crs(4326, allow_override=True))
    if not layers:
        return None
    out = pd.concat(layers, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def write_province_townships(layer: gpd.GeoDataFrame, out_dir: Path) -> list[Path]:
    """Write the province township layer as ``townships.gpkg`` (for QGIS/ArcGIS) and
    ``townships.parquet`` (GeoParquet, for pandas/DuckDB); unknown values are NULL.

    Parameters
    ----------
    layer
        From :func:`province_townships`.
    out_dir
        Destination folder (the batch's atomic output folder).

    Returns
    -------
    list of pathlib.Path
    """
    return [save_layer(layer, out_dir, TOWNSHIP_LAYER, fmt=fmt) for fmt in ("gpkg", "parquet")]
