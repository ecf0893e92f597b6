"""The coverage analysis end to end: read inputs, route, tabulate, write outputs atomically."""

from __future__ import annotations

import json
import logging
import platform
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._version import __version__
from tcm_coverage._errors import InputError
from tcm_coverage._io import (
    atomic_output_dir,
    check_output_dir,
    file_sha256,
    litter_of,
    recover_output_dir,
)
from tcm_coverage._validate import (
    check_config,
    check_input_file,
    config_fields_from_json,
    reading,
)
from tcm_coverage.access import (
    DIRECT_OFFROAD_MAX_M,
    AccessResult,
    area_fca,
    assign_areas,
    compute_access,
    coverage_tables,
    facility_set_masks,
    network_fca,
    no_data_facility_sets,
    unknown_flags,
)
from tcm_coverage.i18n import FACILITY_SET_DEFINITIONS, FACILITY_SET_LABELS, MODE_LABELS
from tcm_coverage.inputs import (
    check_inputs,
    load_facilities,
    load_profile,
    read_boundaries,
    read_population,
    review_sheet,
)
from tcm_coverage.network import PROFILES, RoadNetwork, get_profile, read_network
from tcm_coverage.outputs import (
    BASEMAPS,
    MapLayers,
    MapOptions,
    ReportOptions,
    ReportTables,
    Scorecard,
    county_report_html,
    coverage_map,
    map_html,
    save_map,
    scorecard,
    scorecard_section_html,
    write_isochrones,
    write_layers,
    write_manifest,
    write_scorecard,
    write_tables,
)
from tcm_coverage.vocab import FACILITY_SETS, MIN_COMPONENT_M, OPTIONAL_FACILITY_SETS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisConfig:
    """Everything one coverage run needs; written to ``run.json`` so a run can be repeated.

    Attributes
    ----------
    facilities, boundary, population, network
        Input files (facility table, county polygons, population raster/table/polygons, roads).
    townships
        Township polygons (optional).
    out_dir
        Output folder.
    facilities_datum, boundary_datum, townships_datum, population_datum
        Datum of each input (``"wgs84"``, ``"gcj02"``, ``"bd09"``).
    population_column
        Population column of a table or polygon file (found automatically when ``None``).
    facilities_sheet, population_sheet
        Sheet of a facility / village workbook (name or 1-based number; default: the sheet
        that looks like the table, named in a warning).
    modes
        Travel modes.
    thresholds
        Minutes; the headline threshold is 15 when listed, else the first.
    include_other
        Count TCM clinics as TCM service points.
    speed_overrides
        ``{mode: {highway class: km/h}}``.
    offroad_kmh
        ``{mode: km/h}`` for the off-road leg.
    buffer_m
        Roads are clipped to the county plus this buffer (trips across the border count).
    max_facility_offroad_m
        Facilities farther than this from a road are an input error.
    direct_offroad_m
        Longest straight off-road walk from a resident to a facility in metres, instead of
        the roads (:data:`tcm_coverage.access.traveltime.DIRECT_OFFROAD_MAX_M`; 0: none).
    lang
        ``"zh"`` or ``"en"`` for headers and the map.
    write_map
        Write ``map.html``.
    write_report
        Write ``report.html`` (one per county: ``report_{code}.html`` when there are several).
    basemap
        Map basemap: ``"osm"``, ``"amap"`` (overlays shifted to GCJ-02), ``"tianditu"`` (needs
        ``tianditu_key``) or ``"none"``.
    tianditu_key
        Tianditu API key.
    self_contained
        Inline Leaflet in the map so it renders with no network (intranets).
    isochrone_cell_m
        Grid cell of the isochrones in metres (0: no isochrones).
    sources
        Extra data-source lines for the map and report (input file names are always listed).
    profiles
        Plan-target profiles to score against (names such as ``"national"``, ``"yantai"`` or
        profile files); one scorecard each (:mod:`tcm_coverage.outputs.scorecard`).
    accessibility
        Compute the floating-catchment accessibility (2SFCA, E2SFCA, Gaussian) of TCM
        physicians for the headline mode (:mod:`tcm_coverage.access.catchments`).
    """

    facilities: Path
    boundary: Path
    population: Path
    network: Path
    out_dir: Path
    townships: Path | None = None
    facilities_datum: str = "wgs84"
    boundary_datum: str = "wgs84"
    townships_datum: str = "wgs84"
    population_datum: str = "wgs84"
    population_column: str | None = None
    facilities_sheet: str | None = None
    population_sheet: str | None = None
    modes: tuple[str, ...] = ("walk", "ebike")
    thresholds: tuple[float, ...] = (15.0,)
    include_other: bool = False
    speed_overrides: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    offroad_kmh: Mapping[str, float] = field(default_factory=dict)
    buffer_m: float = 5000.0
    max_facility_offroad_m: float = 1500.0
    direct_offroad_m: float = DIRECT_OFFROAD_MAX_M
    lang: str = "zh"
    write_map: bool = True
    write_report: bool = True
    basemap: str = "osm"
    tianditu_key: str | None = None
    self_contained: bool = False
    isochrone_cell_m: float = 100.0
    sources: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    accessibility: bool = True

    @property
    def headline_threshold(self) -> float:
        """15 minutes when among the thresholds, else the first one."""
        return 15.0 if 15.0 in self.thresholds else self.thresholds[0]

    @property
    def headline_mode(self) -> str:
        """E-bike when computed (the usual rural mode), else the first mode."""
        return "ebike" if "ebike" in self.modes else self.modes[0]

    @property
    def isochrone_minutes(self) -> tuple[float, ...]:
        """Isochrone rings: the thresholds plus 5, 10 and 15 minutes."""
        if self.isochrone_cell_m <= 0:
            return ()
        return tuple(sorted({float(t) for t in self.thresholds} | {5.0, 10.0, 15.0}))


@dataclass(frozen=True)
class AnalysisRun:
    """What :func:`run_analysis` produced.

    Attributes
    ----------
    access
        Travel times per demand point (see :class:`tcm_coverage.access.compute.AccessResult`).
    tables
        Coverage tables (see :func:`tcm_coverage.access.coverage.coverage_tables`).
    files
        Output files, in the final folder.
    seconds
        Wall time per stage.
    counties, townships
        The area polygons (WGS-84).
    demand
        ``access.demand`` with ``county_code`` (and ``township_code``) columns, and the
        ``fca_*`` accessibility columns when computed.
    fca_areas
        Population-weighted mean accessibility per township (per county without townships).
    scorecards
        Profile name -> scorecard (:func:`tcm_coverage.outputs.scorecard.scorecard`).
    network
        The road network the run used (for site selection on the same roads).
    facility_review
        How each facility row was typed when types were inferred from a map-service POI export
        (:attr:`tcm_coverage.inputs.facilities.FacilityTable.review`), else ``None``.
    datum_check
        Median distances of facilities (and villages) to the nearest road under each datum
        (:func:`tcm_coverage.inputs.datum_check.check_inputs`), as written to ``run.json``.
    """

    access: AccessResult
    tables: dict[str, pd.DataFrame]
    files: tuple[Path, ...]
    seconds: dict[str, float]
    counties: gpd.GeoDataFrame | None = None
    townships: gpd.GeoDataFrame | None = None
    demand: gpd.GeoDataFrame | None = None
    fca_areas: gpd.GeoDataFrame | None = None
    scorecards: dict[str, Scorecard] = field(default_factory=dict)
    network: RoadNetwork | None = None
    facility_review: pd.DataFrame | None = None
    datum_check: tuple[dict, ...] = ()


def validate_config(config: AnalysisConfig, *, files: bool = True, options: bool = True) -> None:
    """Check the input files (exist, are files, not empty) and the options (known names,
    plausible ranges: :mod:`tcm_coverage._validate`) before anything is read."""
    for label, option, path in (("facilities", "--facilities", config.facilities),
                                ("boundary", "--boundary", config.boundary),
                                ("population", "--population", config.population),
                                ("roads", "--network", config.network),
                                ("townships", "--townships", config.townships)):
        if files and path is not None:
            check_input_file(path, label=label, option=option)
    if not options:
        return
    bad_modes = [m for m in config.modes if m not in PROFILES]
    if bad_modes or not config.modes:
        raise InputError(f"unknown mode(s) {bad_modes or '(none)'}", fix=f"use some of {sorted(PROFILES)}")
    if not config.thresholds or any(not (0 < t <= 240) for t in config.thresholds):
        raise InputError(f"--threshold must be minutes above 0 and at most 240, got "
                         f"{[f'{t:g}' if isinstance(t, (int, float)) else t for t in config.thresholds]}",
                         fix="e.g. --threshold 15, or --threshold 5 10 15 20 30")
    if config.lang not in ("zh", "en"):
        raise InputError(f"unknown language '{config.lang}'", fix="use zh or en")
    if config.basemap not in BASEMAPS:
        raise InputError(f"unknown basemap '{config.basemap}'", fix=f"use one of {sorted(BASEMAPS)}")
    if config.basemap == "tianditu" and not config.tianditu_key:
        raise InputError("the Tianditu basemap needs a key (天地图 tk)",
                         fix="pass --tianditu-key KEY, or choose --basemap osm, amap or none")
    check_config(config)  # numeric options and speeds within their plausible ranges


def _routing_rule_rows(config: AnalysisConfig, zh: bool) -> list[tuple[str, str]]:
    """说明 rows stating the off-road, snapping and access rules the travel times used."""
    d, comp = config.direct_offroad_m, MIN_COMPONENT_M
    if zh:
        return [
            ("直线离路", f"居民与设施直线距离不超过 {d:g} 米时，可直接步行（离路速度）到达；更远则必须沿道路"
                      "（直线可能穿过河流、铁路、围墙等地图上没有标出的障碍）" if d > 0
             else "不允许直线离路到达设施：所有出行都沿道路"),
            ("接入路网", f"居民点和设施连接到最近的、属于至少 {comp / 1000:g} 公里相互连通道路（或最大连通片区）"
                      "的路段；不与路网相连的零散路段（孤立步道、台阶、封闭内部道路）被跳过，跳过的人数见注意事项"),
            ("通行限制", "按 OSM 标签：access、foot（步行）、vehicle/bicycle（自行车、电动自行车）、"
                      "vehicle/motor_vehicle/motorcar（汽车）；no、private 等视为禁止通行；"
                      "oneway:bicycle=no 允许自行车、电动自行车逆行；未考虑转向限制"),
        ]
    return [
        ("direct off-road leg", f"a resident within {d:g} m of a facility in a straight line may walk "
                                "there directly at the off-road speed; farther, the trip follows the roads "
                                "(a straight line may cross rivers, railways or walls the map does not show)"
         if d > 0 else "no direct off-road leg: every trip follows the roads"),
        ("attaching to the roads", f"points attach to the nearest segment of a connected piece of at "
                                   f"least {comp / 1000:g} km of road (or the largest piece); fragments "
                                   "that join nothing (footway islands, steps, closed service roads) are "
                                   "skipped, and the notes say how many residents skipped one"),
        ("access rules", "OSM tags access, foot (walking), vehicle/bicycle (bicycle, e-bike), "
                         "vehicle/motor_vehicle/motorcar (car); no, private and the like close a road; "
                         "oneway:bicycle=no lets bicycles and e-bikes ride both ways; turn restrictions "
                         "are not modelled"),
    ]


def _readme_rows(config: AnalysisConfig, access: AccessResult, today: str) -> list[tuple[str, str]]:
    lang = config.lang
    zh = lang == "zh"
    sep = "、" if zh else ", "
    modes = sep.join(MODE_LABELS[m][lang] for m in config.modes)
    offroad = sep.join(
        f"{MODE_LABELS[m][lang]} {get_profile(m, offroad_kmh=config.offroad_kmh.get(m)).offroad_kmh:g} km/h"
        for m in config.modes)
    rows = [
        ("生成日期" if zh else "date", today),
        ("软件" if zh else "software", f"tcm-coverage {__version__}"),
        ("出行方式" if zh else "modes", modes),
        ("时间阈值(分钟)" if zh else "thresholds (min)", ", ".join(f"{t:g}" for t in config.thresholds)),
        ("方向" if zh else "direction",
         f"居民→设施，沿道路网络；居民点到最近道路的离路段速度：{offroad}" if zh
         else f"resident → facility over the road network; off-road leg to the nearest road at {offroad}"),
        *_routing_rule_rows(config, zh),
    ]
    for label, path in (("设施" if zh else "facilities", config.facilities),
                        ("县界" if zh else "county boundary", config.boundary),
                        ("乡镇界" if zh else "township boundaries", config.townships),
                        ("人口" if zh else "population", config.population),
                        ("路网" if zh else "roads", config.network)):
        if path is not None:
            rows.append((label, Path(path).name))
    masks = facility_set_masks(access.facilities, include_other=config.include_other)
    for target in access.targets:
        definition = FACILITY_SET_DEFINITIONS[target][lang]
        if target == "tcm_any" and config.include_other:
            definition += "、中医诊所/门诊部" if zh else ", TCM clinics and outpatient departments"
        count = int(masks[target].sum())
        rows.append((f"目标设施：{FACILITY_SET_LABELS[target]['zh']}" if zh
                     else f"target: {FACILITY_SET_LABELS[target]['en']}",
                     f"{definition}（{count} 个）" if zh else f"{definition} ({count})"))
    rows.extend(_unknown_rows(config, access))
    rows.extend(("注意" if zh else "note", w) for w in access_notes(config, access))
    return rows


def access_notes(config: AnalysisConfig, access: AccessResult) -> list[str]:
    """The routing warnings of a run in ``config.lang``, less "no facility counts as 中医馆"
    when that is because every 中医馆 (中医阁) flag is unknown (:func:`facility_notes` says so).

    Parameters
    ----------
    config
        The run's configuration.
    access
        Its travel times.

    Returns
    -------
    list of str
    """
    zh = config.lang == "zh"
    notes = list(access.warnings_zh if zh else access.warnings)
    for target in no_data_facility_sets(access.facilities):
        key = f"「{FACILITY_SET_LABELS[target]['zh']}」" if zh else f"'{target}'"
        notes = [n for n in notes if key not in n]
    return notes


def facility_notes(config: AnalysisConfig, facilities: gpd.GeoDataFrame,
                   review: pd.DataFrame | None) -> list[str]:
    """Notes on what the facility table leaves unknown and how its types were found.

    Parameters
    ----------
    config
        The run's configuration (language).
    facilities
        The facilities of the run.
    review
        :attr:`AnalysisRun.facility_review` (``None`` for a typed table).

    Returns
    -------
    list of str
        In ``config.lang``: the assumption behind the TCM service point coverage when some
        中医馆/中医阁 flags are unknown, missing staff and bed counts, and the rows of a POI
        export left out or not recognised.
    """
    zh = config.lang == "zh"
    notes: list[str] = []
    tier = facilities["tier"].to_numpy()
    unknown = unknown_flags(facilities)
    if unknown.any():
        n_c = int((unknown & (tier == "township_centre")).sum())
        n_s = int((unknown & (tier == "village_station")).sum())
        notes.append(
            f"{n_c} 个乡镇卫生院/社区卫生服务中心是否设中医馆、{n_s} 个村卫生室/社区卫生服务站是否设中医阁未知"
            "（设施表无该列或为空）：“中医药服务点”覆盖率按未知为“无”计算（保守的下限），"
            "并另列未知按“有”计算的上限；中医馆/中医阁设置率只按已知的机构计算，全部未知时为“无数据”。"
            if zh else
            f"whether {n_c} township/community centres have a 中医馆 and {n_s} village clinics/stations "
            "a 中医阁 is unknown (no such column, or blank cells): coverage of TCM service points "
            "counts them as having none (the conservative lower bound), and the upper bound "
            "(counted as having one) is given beside it; 中医馆/中医阁 shares are over the "
            "facilities whose flag is known, and “no data” when none is.")
    missing = [label for col, label in (("tcm_gps", ("中医类别全科医生数", "TCM GP counts")),
                                        ("tcm_physicians", ("中医执业医师数", "TCM physician counts")),
                                        ("beds", ("床位数", "bed counts")))
               if col not in facilities or facilities[col].isna().all()]
    if missing:
        names = ("、" if zh else ", ").join(m[0 if zh else 1] for m in missing)
        notes.append(f"设施表没有{names}：相关指标为“无数据”，不作为 0。" if zh
                     else f"the facility table has no {names}: those figures say “no data”, never 0.")
    if review is not None:
        counted = int((review["action"] == "counted").sum())
        left = review[review["action"] == "excluded"]
        unrec = review[review["action"] == "unrecognised"]
        by_rule = left["rule_id"].value_counts().sort_index()
        parts = ("、" if zh else ", ").join(f"{k} {v}" for k, v in by_rule.items())
        notes.append(
            f"设施类型按名称和地图POI类别由规则识别（见“设施类型识别”表）：计入 {counted} 个，"
            f"不计入 {len(left)} 个（{parts or '无'}），未识别 {len(unrec)} 个（未计入）。" if zh else
            f"facility types were inferred from names and map POI categories by rules (see the "
            f"“facility type review” sheet): {counted} counted, {len(left)} left out "
            f"({parts or 'none'}), {len(unrec)} not recognised (left out).")
    return notes


def _unknown_rows(config: AnalysisConfig, access: AccessResult) -> list[tuple[str, str]]:
    zh = config.lang == "zh"
    unknown = int(unknown_flags(access.facilities).sum())
    rows = [("未知数据" if zh else "unknown data",
             "中医馆/中医阁情况未知（设施表无该列或为空）的机构不作为“无”悄悄计入：设置率只按已知机构计算；"
             "“中医药服务点”覆盖率按未知为“无”计算（下限），另列按“有”计算的上限（“覆盖率上限”列）；"
             "人员、床位未填报为“无数据”，不作为 0。" if zh else
             "unknown 中医馆/中医阁 (no such column, or blank cells) are never silently taken as none: "
             "shares are over the facilities whose flag is known; coverage of TCM service points "
             "counts unknown as none (lower bound) and gives the upper bound (unknown as yes, the "
             "“upper bound” columns) beside it; staff and bed counts nobody reported say “no data”, "
             "not 0.")]
    rows.append(("中医馆/中医阁未知的机构数" if zh else "facilities with 中医馆/中医阁 unknown", str(unknown)))
    return rows


def compute(config: AnalysisConfig, *, progress: bool = True) -> AnalysisRun:
    """Read the inputs, compute travel times, isochrones and tables; write nothing.

    Parameters
    ----------
    config
        Inputs and parameters.
    progress
        Show progress bars.

    Returns
    -------
    AnalysisRun
        With ``files=()``.
    """
    validate_config(config)
    profiles = [load_profile(p) for p in config.profiles]  # a bad profile fails before routing
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    with reading("boundary", config.boundary):
        counties = read_boundaries(config.boundary, datum=config.boundary_datum, level="county")
    townships = None
    if config.townships is not None:
        with reading("townships", config.townships):
            townships = read_boundaries(config.townships, datum=config.townships_datum,
                                        level="township")
    with reading("facilities", config.facilities):
        fac_table = load_facilities(config.facilities, datum=config.facilities_datum,
                                    sheet=config.facilities_sheet)
    facilities = fac_table.facilities
    with reading("population", config.population):
        demand = read_population(config.population, datum=config.population_datum,
                                 boundary=counties, population_column=config.population_column,
                                 layer=config.population_sheet)
    if float(demand["population"].sum()) <= 0:
        raise InputError("the population inside the county boundary is zero", path=config.population,
                         fix="check that the population file covers the county (and its datum/CRS)")
    seconds["read inputs"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with reading("roads", config.network):
        network = read_network(config.network, boundary=counties, buffer_m=config.buffer_m)
    seconds["read roads"] = time.perf_counter() - t0
    run = compute_from_inputs(config, counties=counties, townships=townships, facilities=facilities,
                              demand=demand, network=network, profiles=profiles, progress=progress)
    return replace(run, seconds={**seconds, **run.seconds}, facility_review=fac_table.review)


def compute_from_inputs(
    config: AnalysisConfig,
    *,
    counties: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    network: RoadNetwork,
    counted: np.ndarray | None = None,
    profiles: Sequence[Any] | None = None,
    progress: bool = True,
) -> AnalysisRun:
    """:func:`compute` on inputs already read (e.g. cut from province-wide files).

    Parameters
    ----------
    config
        Parameters (its input paths are only used in messages and the record).
    counties, townships, facilities, demand, network
        The inputs, as the readers return them.
    counted
        (len(facilities),) bool: the facilities that belong to these counties. All facilities
        serve residents (trips across a county line count), but only these are counted in the
        facility indicators and scorecards. Default: all.
    profiles
        Loaded plan-target profiles (default: ``config.profiles``).
    progress
        Show progress bars.

    Returns
    -------
    AnalysisRun
    """
    if profiles is None:
        profiles = [load_profile(p) for p in config.profiles]
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    datum_fits = check_inputs(facilities=facilities, facilities_datum=config.facilities_datum,
                              demand=demand, population_datum=config.population_datum,
                              network=network)
    seconds["datum check"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # the upper bound (unknown 中医馆/中医阁 counted as yes) only when some flag is unknown
    targets = tuple(t for t in FACILITY_SETS if t not in OPTIONAL_FACILITY_SETS or unknown_flags(facilities).any())
    access = compute_access(
        demand, facilities, network, modes=config.modes, targets=targets,
        include_other=config.include_other, speed_overrides=config.speed_overrides,
        offroad_kmh=config.offroad_kmh, max_facility_offroad_m=config.max_facility_offroad_m,
        direct_offroad_m=config.direct_offroad_m, facilities_source=str(config.facilities), isochrone_minutes=config.isochrone_minutes,
        isochrone_area=counties, isochrone_cell_m=config.isochrone_cell_m or 100.0, progress=progress,
    )
    seconds["travel times and isochrones"] = time.perf_counter() - t0
    # input warnings (duplicate facility rows, datum check) go wherever the routing ones go
    notes = [*facilities.attrs.get("input_warnings", ()),
             *((f.message(), f.message_zh()) for f in datum_fits if f.suggested)]
    if notes:
        access = replace(access, warnings=(*(en for en, _ in notes), *access.warnings),
                         warnings_zh=(*(zh for _, zh in notes), *access.warnings_zh))

    t0 = time.perf_counter()
    # neighbours' facilities serve residents above but are counted only in their own county
    access_own = access if counted is None else replace(
        access, facilities=access.facilities[np.asarray(counted, bool)].reset_index(drop=True))
    tables = coverage_tables(access.demand, access_own.facilities, counties=counties,
                             townships=townships, modes=config.modes, targets=access.targets,
                             thresholds=config.thresholds)
    dem = access.demand.copy()
    dem.insert(1, "county_code", assign_areas(dem, counties))
    if townships is not None:
        dem.insert(2, "township_code", assign_areas(dem, townships))
    seconds["tables"] = time.perf_counter() - t0

    fca_areas = None
    if config.accessibility:
        t0 = time.perf_counter()
        mode = config.headline_mode
        try:
            fca = network_fca(dem[["population", "geometry"]], facilities, network, mode=mode,
                              include_other=config.include_other,
                              speed_overrides=config.speed_overrides.get(mode),
                              offroad_kmh=config.offroad_kmh.get(mode), max_minutes=config.headline_threshold,
                              facilities_source=str(config.facilities),
                              direct_offroad_m=config.direct_offroad_m,
                              routing=access.routing.get(mode))
        except InputError as exc:  # e.g. staff counts filled for some facilities only
            logger.warning("accessibility (E2SFCA) not computed: %s", exc)
        else:
            for col in [c for c in fca.columns if c.startswith("fca_")]:
                dem[col] = fca[col].to_numpy()
            fca_areas = area_fca(dem, townships if townships is not None else counties,
                                 codes=dem["township_code" if townships is not None else "county_code"].to_numpy())
            fca_areas.attrs.update(fca.attrs)
            # supply counted only at known TCM points: a lower bound when flags are unknown
            fca_areas.attrs["unknown_flags"] = int(unknown_flags(facilities).sum())
        seconds["accessibility"] = time.perf_counter() - t0
    cards = {prof.name: scorecard(access_own, prof, counties=counties, townships=townships,
                                  lang=config.lang) for prof in profiles}
    return AnalysisRun(access=access, tables=tables, files=(), seconds=seconds, counties=counties,
                       townships=townships, demand=dem, fca_areas=fca_areas, scorecards=cards,
                       network=network, datum_check=tuple(f.as_dict() for f in datum_fits))


def source_lines(config: AnalysisConfig) -> list[str]:
    """Data-source lines for the map and report: the configured ones, then the input files.

    Parameters
    ----------
    config
        The run's configuration.

    Returns
    -------
    list of str
    """
    zh = config.lang == "zh"
    lines = list(config.sources)
    for label_zh, label_en, path in (("设施", "facilities", config.facilities),
                                     ("县界", "county boundary", config.boundary),
                                     ("乡镇界", "townships", config.townships),
                                     ("人口", "population", config.population),
                                     ("路网", "roads", config.network)):
        if path is not None:
            lines.append(f"{label_zh if zh else label_en}：{Path(path).name}" if zh
                         else f"{label_en}: {Path(path).name}")
    return lines


def build_map(run: AnalysisRun, config: AnalysisConfig, *, mode: str | None = None,
              threshold: float | None = None, target: str = "tcm_any",
              compact: bool = False) -> folium.Map:
    """The coverage map of a computed run (see :func:`tcm_coverage.outputs.maps.coverage_map`).

    Parameters
    ----------
    run
        From :func:`compute` or :func:`run_analysis`.
    config
        Its configuration (language, basemap, sources).
    mode, threshold, target
        What to show (default: the headline mode and threshold, any TCM service point).
    compact
        The embedded variant for the report (collapsed layer control, no title block).

    Returns
    -------
    folium.Map
    """
    mode = mode or config.headline_mode
    if mode not in config.modes:
        raise InputError(f"mode {mode!r} was not computed in this run",
                         fix=f"use one of {list(config.modes)} or rerun with --mode {mode}")
    if target not in FACILITY_SETS:
        raise InputError(f"unknown target {target!r}", fix=f"use one of {list(FACILITY_SETS)}")
    thr = config.headline_threshold if threshold is None else float(threshold)
    if thr not in config.thresholds:
        raise InputError(f"threshold {thr:g} was not computed in this run",
                         fix=f"use one of {[f'{t:g}' for t in config.thresholds]} or rerun with it")
    return coverage_map(MapLayers(counties=run.counties, townships=run.townships,
                                  township_table=run.tables.get("township"), facilities=run.access.facilities,
                                  demand=run.access.demand, isochrones=run.access.isochrones,
                                  fca_areas=run.fca_areas),
                        mode=mode, threshold=thr, facility_set=target,
                        options=MapOptions(lang=config.lang, basemap=config.basemap,
                                           tianditu_key=config.tianditu_key, sources=source_lines(config),
                                           run_date=date.today().isoformat(), compact=compact))


def write_reports(run: AnalysisRun, config: AnalysisConfig, out_dir: Path,
                  map_page: str | None) -> list[Path]:
    """Write ``report.html`` (``report_{code}.html`` per county when there are several).

    Parameters
    ----------
    run
        A computed run.
    config
        Its configuration.
    out_dir
        Destination folder.
    map_page
        The map page to embed (or ``None``).

    Returns
    -------
    list of pathlib.Path
    """
    notes = [*facility_notes(config, run.access.facilities, run.facility_review),
             *access_notes(config, run.access)]
    files = []
    county = run.tables["county"]
    codes = list(dict.fromkeys(county["code"].astype(str)))
    tables = ReportTables(county_table=county, township_table=run.tables.get("township"),
                          demand=run.demand, fca_areas=run.fca_areas)
    options = ReportOptions(modes=config.modes, thresholds=config.thresholds,
                            headline_threshold=config.headline_threshold, headline_mode=config.headline_mode,
                            notes=notes, sources=source_lines(config), run_date=date.today().isoformat(),
                            software=f"tcm-coverage {__version__}", lang=config.lang)
    for code in codes:
        name = str(county.loc[county["code"].astype(str) == code, "name"].iloc[0])
        page = county_report_html(
            tables, options, county_code=code, county_name=name, map_page=map_page,
            extra_sections=[scorecard_section_html(card, county_code=code, lang=config.lang)
                            for card in run.scorecards.values()])
        path = out_dir / ("report.html" if len(codes) == 1 else f"report_{code}.html")
        path.write_text(page, encoding="utf-8")
        files.append(path)
    return files


def run_analysis(config: AnalysisConfig, *, progress: bool = True) -> AnalysisRun:
    """Run the coverage analysis and write its outputs into ``config.out_dir``.

    Outputs (all or nothing: built beside ``config.out_dir`` and swapped in as a whole, see
    :func:`tcm_coverage._io.atomic_output_dir`):
    ``coverage_county.csv``, ``coverage_township.csv`` (when townships are given),
    ``coverage_targets.csv``, ``coverage.xlsx``, ``demand_points.gpkg``, ``facilities.gpkg``,
    ``isochrones.gpkg``, ``map.html``, ``report.html`` and ``run.json``.

    Parameters
    ----------
    config
        Inputs and parameters.
    progress
        Show progress bars.

    Returns
    -------
    AnalysisRun
    """
    # refuse before hours of routing, not after
    check_output_dir(config.out_dir, inputs=input_files(config), option="--out")
    run = compute(config, progress=progress)
    return replace(run, files=write_outputs(run, config))


def input_files(config: AnalysisConfig) -> dict[str, Path | None]:
    """Label -> input file of a run (none may lie inside its output folder).

    Parameters
    ----------
    config
        The run's configuration.

    Returns
    -------
    dict
    """
    return {"facilities": config.facilities, "boundary": config.boundary,
            "townships": config.townships, "population": config.population,
            "network": config.network}


def write_outputs(run: AnalysisRun, config: AnalysisConfig, *,
                  inputs: Mapping[str, Mapping[str, str]] | None = None,
                  extra: Mapping[str, Any] | None = None) -> tuple[Path, ...]:
    """Write a computed run's outputs into ``config.out_dir``, all or nothing.

    Parameters
    ----------
    run
        From :func:`compute` or :func:`compute_from_inputs`.
    config
        Its configuration.
    inputs
        ``{label: {"path": ..., "sha256": ...}}`` for ``run.json`` (default: the SHA-256 of
        each configured input file).
    extra
        More entries for ``run.json`` (e.g. the batch key of a county).

    Returns
    -------
    tuple of pathlib.Path
        The files, in ``config.out_dir``.
    """
    access, tables, seconds = run.access, run.tables, dict(run.seconds)
    t0 = time.perf_counter()
    today = date.today().isoformat()
    fac_sheet = access.facilities.drop(columns="geometry").assign(
        lon=access.facilities.geometry.x.round(6), lat=access.facilities.geometry.y.round(6))
    net_sheet = pd.DataFrame([{"mode": MODE_LABELS[m][config.lang], **{k: v for k, v in s.items()
                                                                          if np.isscalar(v)}}
                              for m, s in access.networks.items()])
    if inputs is None:
        inputs = {label: {"path": str(p), "sha256": file_sha256(Path(p))}
                  for label, p in (("facilities", config.facilities), ("boundary", config.boundary),
                                   ("townships", config.townships), ("population", config.population),
                                   ("network", config.network)) if p is not None}
    with atomic_output_dir(config.out_dir, kind="analyze", inputs=input_files(config)) as tmp:
        review = (review_sheet(run.facility_review, config.lang)
                  if run.facility_review is not None else None)
        files = write_tables(tables, tmp, lang=config.lang,
                             readme_rows=_readme_rows(config, access, today)
                             + [("注意" if config.lang == "zh" else "note", n)
                                for n in facility_notes(config, access.facilities, run.facility_review)],
                             facilities=fac_sheet, network=net_sheet, review=review)
        files += write_layers(run.demand, access.facilities, tmp, modes=config.modes,
                              facility_sets=access.targets, thresholds=config.thresholds)
        if access.isochrones is not None:
            files.append(write_isochrones(access.isochrones, tmp, lang=config.lang))
        if config.write_map:
            files.append(save_map(build_map(run, config), tmp / "map.html",
                                  self_contained=config.self_contained))
        if config.write_report:
            page = map_html(build_map(run, config, compact=True), self_contained=config.self_contained)
            files += write_reports(run, config, tmp, page)
        files += write_scorecards(run, config, tmp)
        seconds["write outputs"] = time.perf_counter() - t0
        manifest = {
            "tool": f"tcm-coverage {__version__}",
            "date": today,
            "python": platform.python_version(),
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()
                       if k != "tianditu_key"},
            "inputs": dict(inputs),
            "network": access.networks,
            "headline": headline_numbers(tables, config),
            "warnings": list(access.warnings),
            "datum_check": list(run.datum_check),
            "seconds": seconds,
            **dict(extra or {}),
        }
        files.append(write_manifest(tmp, manifest))
        return tuple(Path(config.out_dir) / f.name for f in files)


def write_scorecards(run: AnalysisRun, config: AnalysisConfig, out_dir: Path) -> list[Path]:
    """Write ``scorecard.xlsx``/``.html`` (``scorecard_<profile>.*`` with several profiles).

    Parameters
    ----------
    run
        A computed run with :attr:`AnalysisRun.scorecards`.
    config
        Its configuration.
    out_dir
        Destination folder.

    Returns
    -------
    list of pathlib.Path
    """
    files: list[Path] = []
    for name, card in run.scorecards.items():
        stem = "scorecard" if len(run.scorecards) == 1 else f"scorecard_{name}"
        files += write_scorecard(card, out_dir, config.lang, stem=stem)
    return files


def load_config(run_json: Path, **overrides: object) -> AnalysisConfig:
    """The configuration of an earlier run, read from its ``run.json``.

    Parameters
    ----------
    run_json
        ``run.json`` of a run folder (or the folder itself).
    **overrides
        Fields to change (e.g. ``basemap="amap"``, ``out_dir=...``).

    Returns
    -------
    AnalysisConfig

    Raises
    ------
    InputError
        The file is missing or not a tcm-coverage manifest.
    """
    path = Path(run_json)
    folder = path.parent if path.name == "run.json" else path
    owner = litter_of(folder.resolve().name)
    if owner is not None:
        raise InputError("this is a temporary folder of an interrupted or replaced run, not a result",
                         path=folder, fix=f"give the result folder itself, {folder.parent / owner}")
    recover_output_dir(folder)  # a run killed during its final swap: put the earlier result back
    if path.is_dir():
        path = path / "run.json"
    if not path.exists():
        raise InputError("run.json not found", path=path,
                         fix="give the output folder of a `tcm-coverage demo` or `analyze` run")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))["config"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, OSError) as exc:
        raise InputError(f"not a tcm-coverage run manifest ({type(exc).__name__}: {exc})", path=path,
                         fix="give the run.json written by `tcm-coverage demo` or `analyze`") from None
    kwargs: dict = config_fields_from_json(AnalysisConfig, raw, path=path)
    kwargs.update(overrides)
    try:
        return AnalysisConfig(**kwargs)
    except TypeError as exc:
        raise InputError(f"run.json lacks settings this version needs ({exc})", path=path,
                         fix="rerun the analysis with this version of tcm-coverage") from None


def headline_numbers(tables: Mapping[str, pd.DataFrame], config: AnalysisConfig) -> dict:
    """Per mode: county population, share within each threshold, mean and P90 minutes.

    Parameters
    ----------
    tables
        From :func:`tcm_coverage.access.coverage.coverage_tables`.
    config
        The run's configuration.

    Returns
    -------
    dict
        ``{mode: {county code: {...}}}``.
    """
    out: dict = {}
    county = tables["county"]
    for row in county.itertuples(index=False):
        rec = row._asdict()
        entry = {"name": rec["name"], "population": round(float(rec["population"]), 0)}
        for t in config.thresholds:
            entry[f"share_within_{t:g}"] = round(float(rec[f"share_within_{t:g}"]), 4)
            upper = rec.get(f"share_within_{t:g}_upper")
            if upper is not None and pd.notna(upper):  # unknown 中医馆/中医阁 counted as yes
                entry[f"share_within_{t:g}_upper"] = round(float(upper), 4)
        entry["mean_min"] = round(float(rec["mean_min"]), 2)
        entry["p90_min"] = None if pd.isna(rec["p90_min"]) else round(float(rec["p90_min"]), 2)
        entry["unreachable_population"] = round(float(rec["unreachable_population"]), 0)
        out.setdefault(rec["mode"], {})[rec["code"]] = entry
    return out


def summary_text(run: AnalysisRun, config: AnalysisConfig) -> str:
    """A short plain-text coverage summary for the terminal.

    Parameters
    ----------
    run
        From :func:`run_analysis`.
    config
        The run's configuration.

    Returns
    -------
    str
    """
    zh = config.lang == "zh"
    thr = config.headline_threshold
    lines = []
    county = run.tables["county"]
    for row in county.itertuples(index=False):
        rec = row._asdict()
        mode = MODE_LABELS[rec["mode"]][config.lang]
        share = rec[f"share_within_{thr:g}"]
        beyond = rec["population"] - rec[f"pop_within_{thr:g}"]
        upper = rec.get(f"share_within_{thr:g}_upper")
        bounded = upper is not None and pd.notna(upper) and round(upper, 3) != round(share, 3)
        if zh:
            text = f"{share:.1%}–{upper:.1%}（中医馆/中医阁未知：按无为下限，按有为上限）" if bounded else f"{share:.1%}"
            lines.append(f"{rec['name']} {mode}: {thr:g}分钟内可达中医药服务点人口 {text}"
                         f"（{rec['population']:,.0f} 人中 {beyond:,.0f} 人在{thr:g}分钟外"
                         f"{'，按未知为无' if bounded else ''}），平均 {rec['mean_min']:.1f} 分钟"
                         f"{'（按未知为无）' if bounded else ''}")
        else:
            text = (f"{share:.1%}–{upper:.1%} (unknown 中医馆/中医阁: as none, lower bound; as yes, "
                    "upper bound)") if bounded else f"{share:.1%}"
            lines.append(f"{rec['name']} by {mode}: {text} of {rec['population']:,.0f} residents "
                         f"within {thr:g} min of a TCM service point ({beyond:,.0f} beyond"
                         f"{' with unknown as none' if bounded else ''}), mean {rec['mean_min']:.1f} min"
                         f"{' (unknown as none)' if bounded else ''}")
    if "township" in run.tables:
        town = run.tables["township"]
        mode = "ebike" if "ebike" in config.modes else config.modes[0]
        sub = town[(town["mode"] == mode) & (town["population"] > 0)].sort_values(f"share_within_{thr:g}")
        worst = sub.head(3)
        label = MODE_LABELS[mode][config.lang]
        upper_col = f"share_within_{thr:g}_upper"

        def share_text(r: pd.Series) -> str:
            low, high = r[f"share_within_{thr:g}"], r.get(upper_col)
            if high is not None and pd.notna(high) and round(high, 2) != round(low, 2):
                return f"{low:.0%}–{high:.0%}"
            return f"{low:.0%}"

        parts = [f"{r['name']} {share_text(r)}" for _, r in worst.iterrows()]
        lines.append(("覆盖最低的乡镇（" + label + "）：" if zh else f"lowest townships ({label}): ")
                     + ", ".join(parts))
    lines.append(("输出：" if zh else "outputs: ") + str(Path(config.out_dir)))
    return "\n".join(lines)


__all__: Sequence[str] = ("AnalysisConfig", "AnalysisRun", "access_notes", "build_map", "compute",
                          "facility_notes", "headline_numbers", "compute_from_inputs",
                          "input_files", "load_config", "run_analysis", "source_lines",
                          "summary_text", "validate_config", "write_outputs", "write_reports",
                          "write_scorecards")
