"""The province summary of a batch run: one table (CSV + XLSX, Chinese headers by default)
and one map (county choropleth of the share of residents within the headline threshold).

The table has one row per county and mode with the county table's numbers (population,
population and share within each threshold, mean and 90th-percentile minutes, unreachable
population, facility counts and TCM standards), the county's status (done, done in an
earlier run, failed) and, for failed counties, the error. A province row per mode adds up
the counties that finished (population-weighted; no percentile, which cannot be added up).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tcm_coverage._safetext import safe_workbook, write_csv
from tcm_coverage.i18n import FACILITY_SET_LABELS, MODE_LABELS
from tcm_coverage.outputs import (
    SHARE_BREAKS,
    SHARE_COLOURS,
    base_map,
    compact_geojson,
    localize,
    prepare_layer,
    rounded_table,
    share_colour,
)

__all__ = ["STATUS_LABELS", "province_map", "province_table", "write_province_table"]

#: Status values and their labels.
STATUS_LABELS: dict[str, dict[str, str]] = {
    "done": {"zh": "完成", "en": "done"},
    "skipped": {"zh": "已完成（沿用上次结果）", "en": "done in an earlier run"},
    "failed": {"zh": "失败", "en": "failed"},
    "province": {"zh": "全省合计", "en": "province total"},
}
_EXTRA_LABELS = {
    "job_id": {"zh": "任务", "en": "job"},
    "status": {"zh": "状态", "en": "status"},
    "error": {"zh": "错误信息", "en": "error"},
    "seconds": {"zh": "用时(秒)", "en": "seconds"},
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
    totals = []
    for mode in modes:
        sub = ok[ok["mode"] == mode]
        if sub.empty:
            continue
        pop = float(sub["population"].sum())
        tot = {"job_id": "", "code": "", "name": STATUS_LABELS["province"]["zh"], "mode": mode,
               "status": "province", "population": pop, "error": ""}
        for t in thresholds:
            col = f"pop_within_{t:g}"
            if col in sub:
                tot[col] = float(sub[col].sum())
                tot[f"share_within_{t:g}"] = tot[col] / pop if pop > 0 else np.nan
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
        totals.append(tot)
    if totals:
        table = pd.concat([table, pd.DataFrame(totals)], ignore_index=True)
    order = _FIRST + [c for c in table.columns if c not in _FIRST + ["seconds", "error"]]
    return table[order + ["seconds", "error"]].reset_index(drop=True)


def _localized(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = table.copy()
    out["status"] = out["status"].map(lambda s: STATUS_LABELS.get(s, {}).get(lang, s))
    if lang == "en":
        out.loc[out["name"] == STATUS_LABELS["province"]["zh"], "name"] = "province total"
    out = localize(rounded_table(out, lang), lang)
    return out.rename(columns=lambda c: _EXTRA_LABELS[c][lang] if c in _EXTRA_LABELS else c)


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
    zh = lang == "zh"
    loc = _localized(table, lang)
    csv = write_csv(loc, out_dir / "province_summary.csv")
    xlsx = out_dir / "province_summary.xlsx"
    sheets = {}
    if readme_rows:
        sheets["说明" if zh else "README"] = pd.DataFrame(
            readme_rows, columns=["项目", "内容"] if zh else ["item", "value"])
    sheets["全省汇总" if zh else "province summary"] = loc
    failed = table[table["status"] == "failed"]
    if len(failed):
        sheets["失败" if zh else "failed"] = _localized(
            failed[["job_id", "code", "name", "status", "error"]], lang)
    with safe_workbook(xlsx) as book:
        for name, frame in sheets.items():
            ws = book.add(frame, name)
            ws.freeze_panes = "A2"
            for idx, col in enumerate(frame.columns, start=1):
                letter = ws.cell(row=1, column=idx).column_letter
                width = max([len(str(col)) * 2] + [len(str(v)) for v in frame[col].head(200)])
                ws.column_dimensions[letter].width = min(60, max(8, width + 2))
                if str(col).endswith(("覆盖率", "设置率")) or str(col).startswith("share"):
                    for cells in ws.iter_cols(min_col=idx, max_col=idx, min_row=2):
                        for c in cells:
                            c.number_format = "0.0%"
    return [csv, xlsx]


def province_map(table: pd.DataFrame, geometries: Mapping[str, shapely.Geometry], *,
                 modes: Sequence[str], headline_mode: str, threshold: float,
                 lang: str = "zh", basemap: str = "osm", tianditu_key: str | None = None,
                 sources: Sequence[str] = ()) -> folium.Map:
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
    lang, basemap, tianditu_key, sources
        As for :func:`tcm_coverage.outputs.maps.coverage_map`.

    Returns
    -------
    folium.Map
    """
    zh = lang == "zh"
    datum = "gcj02" if basemap == "amap" else "wgs84"
    codes = [c for c in geometries if geometries[c] is not None]
    gdf = gpd.GeoDataFrame({"code": codes}, geometry=[geometries[c] for c in codes], crs=4326)
    minx, miny, maxx, maxy = gdf.total_bounds if len(gdf) else (110, 30, 120, 40)
    fmap = base_map((minx, miny, maxx, maxy), basemap=basemap, tianditu_key=tianditu_key, lang=lang)
    share_col = f"share_within_{threshold:g}"
    pop_col = f"pop_within_{threshold:g}"
    county_rows = table[table["status"] != "province"]
    failed = county_rows[county_rows["status"] == "failed"].drop_duplicates("code")
    for mode in modes:
        rows = county_rows[county_rows["mode"] == mode].drop_duplicates("code").set_index("code")
        frame = gdf.copy()
        colours, labels = [], []
        for code in frame["code"]:
            if code in rows.index:
                r = rows.loc[code]
                share = float(r[share_col]) if pd.notna(r.get(share_col)) else np.nan
                pop = float(r.get("population") or 0.0)
                beyond = pop - float(r.get(pop_col) or 0.0)
                colours.append(share_colour(share))
                labels.append(  # shown as HTML by folium: names escaped
                    f"{html.escape(str(r['name']))}（{html.escape(str(code))}）：{threshold:g}分钟覆盖率 {share:.1%}，"
                    f"{pop:,.0f} 人中 {beyond:,.0f} 人在{threshold:g}分钟外" if zh else
                    f"{html.escape(str(r['name']))} ({html.escape(str(code))}): {share:.1%} within {threshold:g} min, "
                    f"{beyond:,.0f} of {pop:,.0f} beyond")
            elif code in set(failed["code"]):
                err = str(failed.set_index("code").loc[code, "error"])[:300]
                colours.append("#bbbbbb")
                labels.append(("计算失败：" if zh else "failed: ") + html.escape(err))
            else:
                colours.append("#eeeeee")
                labels.append(f"{html.escape(str(code))}：无结果" if zh
                              else f"{html.escape(str(code))}: no result")
        frame["colour"] = colours
        frame["label"] = labels
        frame = prepare_layer(frame, datum, 0.0005)
        label = MODE_LABELS.get(mode, {}).get(lang, mode)
        folium.GeoJson(
            compact_geojson(frame[["label", "colour", "geometry"]], decimals=4),
            name=(f"{threshold:g}分钟覆盖率（{label}）" if zh else f"share within {threshold:g} min ({label})"),
            show=mode == headline_mode,
            style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#444444",
                                      "weight": 1, "fillOpacity": 0.75},
            highlight_function=lambda f: {"weight": 3},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(fmap)
    if len(gdf):
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.LayerControl(collapsed=False).add_to(fmap)
    _legend(fmap, zh=zh, threshold=threshold, mode_label=MODE_LABELS.get(headline_mode, {}).get(
        lang, headline_mode), sources=sources, n_failed=len(failed), basemap=basemap)
    return fmap


def _legend(fmap: folium.Map, *, zh: bool, threshold: float, mode_label: str,
            sources: Sequence[str], n_failed: int, basemap: str) -> None:
    target = FACILITY_SET_LABELS["tcm_any"]["zh" if zh else "en"]
    title = (f"各县区{target}{threshold:g}分钟可达覆盖率（{mode_label}）" if zh
             else f"Share of residents within {threshold:g} min of {target}, by county ({mode_label})")
    meta = [("计算日期：" if zh else "computed: ") + date.today().isoformat()]
    if basemap == "amap":
        meta.append("图层已转换为GCJ-02以配合高德底图" if zh else "overlays shifted to GCJ-02")
    if n_failed:
        meta.append(f"灰色：{n_failed} 个县区计算失败（见汇总表）" if zh
                    else f"grey: {n_failed} counties failed (see the summary table)")
    meta += list(sources)
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
    root = fmap.get_root()
    root.header.add_child(folium.Element(css))
    root.html.add_child(folium.Element(box))
