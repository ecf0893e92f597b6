"""The coverage analysis end to end: read inputs, route, tabulate, write outputs atomically."""

from __future__ import annotations

import hashlib
import logging
import platform
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from tcm_coverage import __version__
from tcm_coverage._errors import InputError
from tcm_coverage._io import atomic_output_dir
from tcm_coverage.analysis import (
    MODE_LABELS,
    TARGET_DEFINITIONS,
    TARGET_LABELS,
    TARGETS,
    AccessResult,
    compute_access,
    target_masks,
)
from tcm_coverage.boundaries import read_boundaries
from tcm_coverage.facilities import read_facilities
from tcm_coverage.maps import coverage_map, save_map
from tcm_coverage.metrics import assign_areas, coverage_tables
from tcm_coverage.network import PROFILES, get_profile, read_network
from tcm_coverage.population import read_population
from tcm_coverage.report import write_layers, write_manifest, write_tables

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
    lang
        ``"zh"`` or ``"en"`` for headers and the map.
    write_map
        Write ``map.html``.
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
    modes: tuple[str, ...] = ("walk", "ebike")
    thresholds: tuple[float, ...] = (15.0,)
    include_other: bool = False
    speed_overrides: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    offroad_kmh: Mapping[str, float] = field(default_factory=dict)
    buffer_m: float = 5000.0
    max_facility_offroad_m: float = 1500.0
    lang: str = "zh"
    write_map: bool = True

    @property
    def headline_threshold(self) -> float:
        """15 minutes when among the thresholds, else the first one."""
        return 15.0 if 15.0 in self.thresholds else self.thresholds[0]


@dataclass(frozen=True)
class AnalysisRun:
    """What :func:`run_analysis` produced.

    Attributes
    ----------
    access
        Travel times per demand point (see :class:`tcm_coverage.analysis.AccessResult`).
    tables
        Coverage tables (see :func:`tcm_coverage.metrics.coverage_tables`).
    files
        Output files, in the final folder.
    seconds
        Wall time per stage.
    """

    access: AccessResult
    tables: dict[str, pd.DataFrame]
    files: tuple[Path, ...]
    seconds: dict[str, float]


def _validate(config: AnalysisConfig) -> None:
    for label, path in (("facilities", config.facilities), ("boundary", config.boundary),
                        ("population", config.population), ("network", config.network),
                        ("townships", config.townships)):
        if path is not None and not Path(path).exists():
            raise InputError(f"{label} file not found", path=path, fix="check the path")
    bad_modes = [m for m in config.modes if m not in PROFILES]
    if bad_modes or not config.modes:
        raise InputError(f"unknown mode(s) {bad_modes or '(none)'}", fix=f"use some of {sorted(PROFILES)}")
    if not config.thresholds or any(not (0 < t <= 240) for t in config.thresholds):
        raise InputError(f"thresholds must be minutes between 0 and 240, got {list(config.thresholds)}",
                         fix="e.g. --threshold 15, or --threshold 5 10 15 20 30")
    if config.lang not in ("zh", "en"):
        raise InputError(f"unknown language '{config.lang}'", fix="use zh or en")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
    ]
    for label, path in (("设施" if zh else "facilities", config.facilities),
                        ("县界" if zh else "county boundary", config.boundary),
                        ("乡镇界" if zh else "township boundaries", config.townships),
                        ("人口" if zh else "population", config.population),
                        ("路网" if zh else "roads", config.network)):
        if path is not None:
            rows.append((label, Path(path).name))
    masks = target_masks(access.facilities, include_other=config.include_other)
    for target in access.targets:
        definition = TARGET_DEFINITIONS[target][lang]
        if target == "tcm_any" and config.include_other:
            definition += "、中医诊所/门诊部" if zh else ", TCM clinics and outpatient departments"
        count = int(masks[target].sum())
        rows.append((f"目标设施：{TARGET_LABELS[target]['zh']}" if zh
                     else f"target: {TARGET_LABELS[target]['en']}",
                     f"{definition}（{count} 个）" if zh else f"{definition} ({count})"))
    notes = access.warnings_zh if zh else access.warnings
    rows.extend(("注意" if zh else "note", w) for w in notes)
    return rows


def run_analysis(config: AnalysisConfig, *, progress: bool = True) -> AnalysisRun:
    """Run the coverage analysis and write its outputs into ``config.out_dir``.

    Outputs (all or nothing: written to a temporary folder, moved into place at the end):
    ``coverage_county.csv``, ``coverage_township.csv`` (when townships are given),
    ``coverage_targets.csv``, ``coverage.xlsx``, ``demand_points.gpkg``, ``facilities.gpkg``,
    ``map.html`` and ``run.json``.

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
    _validate(config)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    counties = read_boundaries(config.boundary, datum=config.boundary_datum, level="county")
    townships = (read_boundaries(config.townships, datum=config.townships_datum, level="township")
                 if config.townships is not None else None)
    facilities = read_facilities(config.facilities, datum=config.facilities_datum)
    demand = read_population(config.population, datum=config.population_datum,
                             boundary=counties, population_column=config.population_column)
    if float(demand["population"].sum()) <= 0:
        raise InputError("the population inside the county boundary is zero", path=config.population,
                         fix="check that the population file covers the county (and its datum/CRS)")
    seconds["read inputs"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    network = read_network(config.network, boundary=counties, buffer_m=config.buffer_m)
    seconds["read roads"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    access = compute_access(
        demand, facilities, network, modes=config.modes, targets=TARGETS,
        include_other=config.include_other, speed_overrides=config.speed_overrides,
        offroad_kmh=config.offroad_kmh, max_facility_offroad_m=config.max_facility_offroad_m,
        facilities_source=str(config.facilities), progress=progress,
    )
    seconds["travel times"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    tables = coverage_tables(access.demand, access.facilities, counties=counties, townships=townships,
                             modes=config.modes, targets=access.targets, thresholds=config.thresholds)
    dem = access.demand.copy()
    dem.insert(1, "county_code", assign_areas(dem, counties))
    if townships is not None:
        dem.insert(2, "township_code", assign_areas(dem, townships))
    seconds["tables"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    today = date.today().isoformat()
    fac_sheet = access.facilities.drop(columns="geometry").assign(
        lon=access.facilities.geometry.x.round(6), lat=access.facilities.geometry.y.round(6))
    net_sheet = pd.DataFrame([{"mode": MODE_LABELS[m][config.lang], **{k: v for k, v in s.items()
                                                                          if np.isscalar(v)}}
                              for m, s in access.networks.items()])
    with atomic_output_dir(config.out_dir) as tmp:
        files = write_tables(tables, tmp, lang=config.lang,
                             readme_rows=_readme_rows(config, access, today),
                             facilities=fac_sheet, network=net_sheet)
        files += write_layers(dem, access.facilities, tmp, modes=config.modes, targets=access.targets,
                              thresholds=config.thresholds)
        if config.write_map:
            headline_mode = "ebike" if "ebike" in config.modes else config.modes[0]
            fmap = coverage_map(counties=counties, townships=townships,
                                township_table=tables.get("township"), facilities=access.facilities,
                                demand=access.demand, mode=headline_mode,
                                threshold=config.headline_threshold, lang=config.lang)
            files.append(save_map(fmap, tmp / "map.html"))
        seconds["write outputs"] = time.perf_counter() - t0
        manifest = {
            "tool": f"tcm-coverage {__version__}",
            "date": today,
            "python": platform.python_version(),
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
            "inputs": {label: {"path": str(p), "sha256": _sha256(Path(p))}
                       for label, p in (("facilities", config.facilities), ("boundary", config.boundary),
                                        ("townships", config.townships), ("population", config.population),
                                        ("network", config.network)) if p is not None},
            "network": access.networks,
            "headline": headline_numbers(tables, config),
            "warnings": list(access.warnings),
            "seconds": seconds,
        }
        files.append(write_manifest(tmp, manifest))
        final = tuple(Path(config.out_dir) / f.name for f in files)
    return AnalysisRun(access=access, tables=tables, files=final, seconds=seconds)


def headline_numbers(tables: Mapping[str, pd.DataFrame], config: AnalysisConfig) -> dict:
    """Per mode: county population, share within each threshold, mean and P90 minutes.

    Parameters
    ----------
    tables
        From :func:`tcm_coverage.metrics.coverage_tables`.
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
        if zh:
            lines.append(f"{rec['name']} {mode}: {thr:g}分钟内可达中医药服务点人口 {share:.1%}"
                         f"（{rec['population']:,.0f} 人中 {beyond:,.0f} 人在{thr:g}分钟外），"
                         f"平均 {rec['mean_min']:.1f} 分钟")
        else:
            lines.append(f"{rec['name']} by {mode}: {share:.1%} of {rec['population']:,.0f} residents "
                         f"within {thr:g} min of a TCM service point ({beyond:,.0f} beyond), "
                         f"mean {rec['mean_min']:.1f} min")
    if "township" in run.tables:
        town = run.tables["township"]
        mode = "ebike" if "ebike" in config.modes else config.modes[0]
        sub = town[(town["mode"] == mode) & (town["population"] > 0)].sort_values(f"share_within_{thr:g}")
        worst = sub.head(3)
        label = MODE_LABELS[mode][config.lang]
        parts = [f"{r['name']} {r[f'share_within_{thr:g}']:.0%}" for _, r in worst.iterrows()]
        lines.append(("覆盖最低的乡镇（" + label + "）：" if zh else f"lowest townships ({label}): ")
                     + ", ".join(parts))
    lines.append(("输出：" if zh else "outputs: ") + str(Path(config.out_dir)))
    return "\n".join(lines)


__all__: Sequence[str] = ("AnalysisConfig", "AnalysisRun", "run_analysis", "summary_text", "headline_numbers")
