"""The configuration of one coverage run, in three groups: the input files, the computation
options and the rendering of the outputs; its checks; and reading it back from ``run.json``.

A configuration is built from the flat settings the command line, the batch driver and
``run.json`` use (:meth:`AnalysisConfig.from_options`) and written back in that flat shape
(:meth:`AnalysisConfig.record`), so ``run.json`` keeps one key per setting.

Why this module is long: the three groups, the flat names and the checks of every setting are
kept together, so that a new setting is added in one place.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tcm_coverage._errors import InputError
from tcm_coverage._io import litter_of, recover_output_dir
from tcm_coverage._validate import (
    OFFROAD_RANGES_KMH,
    OPTION_RANGES,
    SPEED_RANGES_KMH,
    check_input_file,
    check_isochrone_cell,
    check_number,
    config_fields_from_json,
)
from tcm_coverage.network import MODES, PROFILES, ROAD_CLASSES
from tcm_coverage.outputs import BASEMAPS, PRINT_FORMATS
from tcm_coverage.vocab import (
    DIRECT_OFFROAD_MAX_M,
    EXPORT_CRS,
    HEADLINE_MINUTES,
    LAYER_FORMATS,
    REFERRAL_MINUTES,
    RESIDENTS_PER_TCM_PHYSICIAN,
)

logger = logging.getLogger(__name__)

__all__ = ["AnalysisConfig", "ComputeOptions", "InputFiles", "Rendering", "check_config",
           "input_files", "load_config", "validate_config"]


@dataclass(frozen=True)
class InputFiles:
    """The input files of a run and how to read them.

    Attributes
    ----------
    facilities, boundary, population, network
        Input files (facility table, county polygons, population raster/table/polygons, roads).
    townships
        Township polygons (optional).
    facilities_datum, boundary_datum, townships_datum, population_datum
        Datum of each input (``"wgs84"``, ``"gcj02"``, ``"bd09"``).
    population_column
        Population column of a table or polygon file (found automatically when ``None``).
    facilities_sheet, population_sheet
        Sheet of a facility / village workbook (name or 1-based number; default: the sheet
        that looks like the table, named in a warning).
    dem
        Elevation GeoTIFF (any CRS; optional): walking, cycling and e-bike times follow the
        slopes (:mod:`tcm_coverage.network.terrain`); None: every road is flat.
    population_65plus
        Residents 65+ (raster, village table or polygons; datum ``population_datum``), a second
        demand layer reported beside all residents (:mod:`tcm_coverage.access.elderly`). A
        village table given as ``population`` with a 65+ column (65岁以上人口, 老年人口, ...)
        gives it too.
    """

    facilities: Path
    boundary: Path
    population: Path
    network: Path
    townships: Path | None = None
    facilities_datum: str = "wgs84"
    boundary_datum: str = "wgs84"
    townships_datum: str = "wgs84"
    population_datum: str = "wgs84"
    population_column: str | None = None
    facilities_sheet: str | None = None
    population_sheet: str | None = None
    dem: Path | None = None
    population_65plus: Path | None = None

    def files(self) -> dict[str, Path | None]:
        """Label -> file, in the order of the record (``townships`` may be ``None``)."""
        return {"facilities": self.facilities, "boundary": self.boundary,
                "townships": self.townships, "population": self.population,
                "population_65plus": self.population_65plus, "network": self.network, "dem": self.dem}


@dataclass(frozen=True)
class ComputeOptions:
    """How travel times, tables and indicators are computed.

    Attributes
    ----------
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
        the roads (:data:`tcm_coverage.vocab.DIRECT_OFFROAD_MAX_M`; 0: none).
    isochrone_cell_m
        Grid cell of the isochrones in metres (0: no isochrones).
    profiles
        Plan-target profiles to score against (names such as ``"national"``, ``"yantai"`` or
        profile files); one scorecard each (:mod:`tcm_coverage.outputs.scorecard`).
    accessibility
        Compute the floating-catchment accessibility (2SFCA, E2SFCA, Gaussian) of TCM
        physicians for the headline mode (:mod:`tcm_coverage.access.catchments`).
    capacity
        Compute the capacity-aware coverage (:mod:`tcm_coverage.access.capacity`) when some TCM
        point's capacity is known.
    residents_per_physician
        Residents one TCM physician serves, for points without a capacity column
        (:data:`tcm_coverage.vocab.RESIDENTS_PER_TCM_PHYSICIAN`).
    referral_minutes
        Minutes by car to the county TCM hospital of the referral-chain check
        (:mod:`tcm_coverage.access.referral`; 30: a common county check, no plan sets it).
    functional_only
        Count a 中医馆/中医阁 as a TCM service point only when its capability columns meet the
        functional rule (:mod:`tcm_coverage.inputs.functional`); unknown capability: not
        counted. A profile's ``functional_rule`` switches it on too.
    """

    modes: tuple[str, ...] = ("walk", "ebike")
    thresholds: tuple[float, ...] = (15.0,)
    include_other: bool = False
    speed_overrides: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    offroad_kmh: Mapping[str, float] = field(default_factory=dict)
    buffer_m: float = 5000.0
    max_facility_offroad_m: float = 1500.0
    direct_offroad_m: float = DIRECT_OFFROAD_MAX_M
    isochrone_cell_m: float = 100.0
    profiles: tuple[str, ...] = ()
    accessibility: bool = True
    capacity: bool = True
    residents_per_physician: float = RESIDENTS_PER_TCM_PHYSICIAN
    referral_minutes: float = REFERRAL_MINUTES
    functional_only: bool = False

    @property
    def headline_threshold(self) -> float:
        """15 minutes when among the thresholds, else the first one."""
        return HEADLINE_MINUTES if HEADLINE_MINUTES in self.thresholds else self.thresholds[0]

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
class Rendering:
    """How the outputs are written for people.

    Attributes
    ----------
    lang
        ``"zh"`` or ``"en"`` for headers and the map.
    write_map
        Write ``map.html``.
    write_report
        Write ``report.html`` (one per county: ``report_{code}.html`` when there are several).
    write_docx
        Write ``report.docx`` beside it, the Word report (``report_{code}.docx`` per county).
    basemap
        Map basemap: ``"osm"``, ``"amap"`` (overlays shifted to GCJ-02), ``"tianditu"`` (needs
        ``tianditu_key``) or ``"none"``.
    tianditu_key
        Tianditu API key (never written to ``run.json``).
    self_contained
        Inline Leaflet in the map and report pages so they render with no network (intranets;
        the default). ``False`` (CLI ``--cdn``): load it from the jsdelivr CDN, smaller files
        that need a connection. Basemap tiles always need one.
    sources
        Extra data-source lines for the map and report (input file names are always listed).
    print_formats
        Print plates of the coverage map written beside ``map.html`` (``map.png``, ``map.pdf``;
        any of ``"png"``, ``"pdf"``, ``"svg"``; empty: none), see
        :mod:`tcm_coverage.outputs.print_map`.
    crs
        Coordinate system of the GeoPackage exports: ``"wgs84"`` (EPSG:4326, default) or
        ``"cgcs2000"`` (EPSG:4490; the same coordinates, see :data:`tcm_coverage.vocab.EXPORT_CRS`).
    layers
        Heavy layers (demand points, isochrones): :data:`~tcm_coverage.vocab.LAYER_FORMATS`.
    """

    lang: str = "zh"
    write_map: bool = True
    write_report: bool = True
    write_docx: bool = True
    basemap: str = "osm"
    tianditu_key: str | None = None
    self_contained: bool = True
    sources: tuple[str, ...] = ()
    print_formats: tuple[str, ...] = ("png", "pdf")
    crs: str = "wgs84"
    layers: str = "gpkg"


#: Group of each flat setting.
_GROUPS: dict[str, type] = {"inputs": InputFiles, "options": ComputeOptions, "rendering": Rendering}

#: The flat settings in the order ``run.json`` records them.
SETTINGS: tuple[str, ...] = (
    "facilities", "boundary", "population", "network", "dem", "out_dir", "townships",
    "facilities_datum", "boundary_datum", "townships_datum", "population_datum",
    "population_column", "facilities_sheet", "population_sheet", "modes", "thresholds",
    "include_other", "speed_overrides", "offroad_kmh", "buffer_m", "max_facility_offroad_m",
    "direct_offroad_m", "lang", "write_map", "write_report", "write_docx", "basemap", "tianditu_key",
    "self_contained", "isochrone_cell_m", "sources", "profiles", "accessibility",
    "capacity", "residents_per_physician", "referral_minutes", "print_formats", "population_65plus", "functional_only", "crs", "layers",
)


def _group_of(name: str) -> str:
    for group, cls in _GROUPS.items():
        if name in {f.name for f in dataclasses.fields(cls)}:
            return group
    raise TypeError(f"AnalysisConfig has no setting {name!r}")


@dataclass(frozen=True)
class AnalysisConfig:
    """Everything one coverage run needs; written to ``run.json`` so a run can be repeated.

    Attributes
    ----------
    inputs
        The input files (:class:`InputFiles`).
    out_dir
        Output folder.
    options
        The computation (:class:`ComputeOptions`).
    rendering
        Language, map and report (:class:`Rendering`).
    """

    inputs: InputFiles
    out_dir: Path
    options: ComputeOptions = field(default_factory=ComputeOptions)
    rendering: Rendering = field(default_factory=Rendering)

    @classmethod
    def from_options(cls, **settings: Any) -> AnalysisConfig:
        """A configuration from flat settings (the names of :data:`SETTINGS`).

        ``facilities``, ``boundary``, ``population``, ``network`` and ``out_dir`` are
        required; every other setting has its group's default.

        Raises
        ------
        TypeError
            An unknown setting, or a required one missing.
        """
        groups: dict[str, dict[str, Any]] = {g: {} for g in _GROUPS}
        out_dir = settings.pop("out_dir", None)
        for name, value in settings.items():
            groups[_group_of(name)][name] = value
        if out_dir is None:
            raise TypeError("AnalysisConfig needs out_dir")
        return cls(inputs=InputFiles(**groups["inputs"]), out_dir=out_dir,
                   options=ComputeOptions(**groups["options"]),
                   rendering=Rendering(**groups["rendering"]))

    def updated(self, **settings: Any) -> AnalysisConfig:
        """A copy with some flat settings changed (e.g. ``basemap="amap"``, ``out_dir=...``)."""
        groups: dict[str, dict[str, Any]] = {g: {} for g in _GROUPS}
        changes: dict[str, Any] = {}
        for name, value in settings.items():
            if name == "out_dir":
                changes["out_dir"] = value
            else:
                groups[_group_of(name)][name] = value
        for group, values in groups.items():
            if values:
                changes[group] = dataclasses.replace(getattr(self, group), **values)
        return dataclasses.replace(self, **changes)

    def settings(self) -> dict[str, Any]:
        """Every flat setting and its value, in the order of :data:`SETTINGS`."""
        return {name: (self.out_dir if name == "out_dir" else getattr(getattr(self, _group_of(name)), name))
                for name in SETTINGS}

    def record(self) -> dict[str, Any]:
        """The ``config`` record of ``run.json``: flat settings, paths as text, no Tianditu key."""
        flat: dict[str, Any] = {"out_dir": self.out_dir}
        for group in _GROUPS:
            flat.update(asdict(getattr(self, group)))
        return {name: (str(flat[name]) if isinstance(flat[name], Path) else flat[name])
                for name in SETTINGS if name != "tianditu_key"}


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
    return config.inputs.files()


def _check_options(config: AnalysisConfig) -> None:
    """Modes, thresholds, language and basemap are known names and plausible values."""
    opts, rendering = config.options, config.rendering
    bad_modes = [m for m in opts.modes if m not in PROFILES]
    if bad_modes or not opts.modes:
        raise InputError(f"unknown mode(s) {bad_modes or '(none)'}", fix=f"use some of {sorted(PROFILES)}")
    if not opts.thresholds or any(not (0 < t <= 240) for t in opts.thresholds):
        raise InputError(f"--threshold must be minutes above 0 and at most 240, got "
                         f"{[f'{t:g}' if isinstance(t, (int, float)) else t for t in opts.thresholds]}",
                         fix="e.g. --threshold 15, or --threshold 5 10 15 20 30")
    if rendering.lang not in ("zh", "en"):
        raise InputError(f"unknown language '{rendering.lang}'", fix="use zh or en")
    if rendering.crs not in EXPORT_CRS:
        raise InputError(f"unknown --crs '{rendering.crs}'", fix=f"use one of {', '.join(EXPORT_CRS)}")
    if rendering.layers not in LAYER_FORMATS:
        raise InputError(f"unknown layers '{rendering.layers}'", fix=f"use one of {', '.join(LAYER_FORMATS)}")
    if rendering.basemap not in BASEMAPS:
        raise InputError(f"unknown basemap '{rendering.basemap}'", fix=f"use one of {sorted(BASEMAPS)}")
    bad = [f for f in rendering.print_formats if f not in PRINT_FORMATS]
    if bad:
        raise InputError(f"unknown print map format(s) {bad}", fix=f"use {', '.join(PRINT_FORMATS)}")
    if rendering.basemap == "tianditu" and not rendering.tianditu_key:
        raise InputError("the Tianditu basemap needs a key (天地图 tk)",
                         fix="pass --tianditu-key KEY, or choose --basemap osm, amap or none")


def validate_config(config: AnalysisConfig, *, files: bool = True, options: bool = True) -> None:
    """Check the input files (exist, are files, not empty) and the options (known names,
    plausible ranges: :mod:`tcm_coverage._validate`) before anything is read."""
    inputs = config.inputs
    for label, option, path in (("facilities", "--facilities", inputs.facilities),
                                ("boundary", "--boundary", inputs.boundary),
                                ("population", "--population", inputs.population),
                                ("population 65+", "--population-65plus", inputs.population_65plus),
                                ("roads", "--network", inputs.network),
                                ("townships", "--townships", inputs.townships),
                                ("DEM", "--dem", inputs.dem)):
        if files and path is not None:
            check_input_file(path, label=label, option=option)
    if not options:
        return
    _check_options(config)
    check_config(config)  # numeric options and speeds within their plausible ranges


# --------------------------------------------------------------------------------------
# Plausible numbers and speeds (the ranges are in tcm_coverage._validate)
# --------------------------------------------------------------------------------------
_LABEL = {"walk": "walking", "walk_elderly": "older adults' walking", "bicycle": "bicycle",
          "ebike": "e-bike", "car": "car"}


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_road_speeds(mode: str, classes: Any, modes: tuple[str, ...]) -> None:
    """``--speed MODE:CLASS=KMH`` overrides of one mode."""
    if mode not in MODES:
        raise InputError(f"--speed: unknown travel mode '{mode}'{_suggest(mode, MODES)}",
                         fix=f"write MODE:CLASS=KMH with MODE one of {', '.join(MODES)}, "
                             "e.g. --speed ebike:primary=18")
    if mode not in modes:
        logger.warning("--speed %s:...: %s is not among the modes of this run (%s); the "
                       "override is not used", mode, mode, ", ".join(modes))
    if not isinstance(classes, Mapping):
        raise InputError(f"--speed: the overrides of '{mode}' must map road classes to km/h, "
                         f"got {classes!r}", fix="e.g. --speed ebike:primary=18")
    low, high = SPEED_RANGES_KMH[mode]
    for cls, kmh in classes.items():
        if cls not in ROAD_CLASSES:
            raise InputError(f"--speed {mode}:{cls}=...: unknown road class '{cls}'"
                             f"{_suggest(cls, ROAD_CLASSES)}",
                             fix=f"use an OSM highway class: {', '.join(ROAD_CLASSES)}")
        if kmh is None:  # API: None makes a class unusable
            continue
        default = PROFILES[mode].speeds_kmh.get(cls)
        check_number(kmh, option=f"--speed {mode}:{cls}", low=low, high=high, unit="km/h",
                     what=f"the average {_LABEL[mode]} speed on {cls} roads",
                     example=f"--speed {mode}:{cls}={default or (low + high) / 4:g}"
                             + (" (the built-in value)" if default else ""))


def _check_speeds(options: ComputeOptions) -> None:
    for mode, classes in dict(options.speed_overrides).items():
        _check_road_speeds(mode, classes, options.modes)
    for mode, kmh in dict(options.offroad_kmh).items():
        if mode not in MODES:
            raise InputError(f"--offroad-speed: unknown travel mode '{mode}'{_suggest(mode, MODES)}",
                             fix=f"write KMH or MODE:KMH with MODE one of {', '.join(MODES)}")
        low, high = OFFROAD_RANGES_KMH[mode]
        check_number(kmh, option=f"--offroad-speed {mode}", low=low, high=high, unit="km/h",
                     what=f"the {_LABEL[mode]} speed from a home or facility to the nearest road",
                     example=f"--offroad-speed {mode}:{PROFILES[mode].offroad_kmh:g} (the "
                             "built-in value)")


def check_config(config: AnalysisConfig) -> None:
    """Check the numeric options and speed overrides of an analysis configuration.

    Parameters
    ----------
    config
        The configuration.

    Raises
    ------
    InputError
        Naming the option, its valid range (see :mod:`tcm_coverage._validate`) and the value
        given.
    """
    for name, (option, low, high, unit, what, example) in OPTION_RANGES.items():
        check_number(getattr(config.options, name), option=option, low=low, high=high, unit=unit,
                     what=what, example=example)
    check_isochrone_cell(config.options.isochrone_cell_m)
    _check_speeds(config.options)


# --------------------------------------------------------------------------------------
# run.json
# --------------------------------------------------------------------------------------
def _run_json(run_json: Path) -> Path:
    """The ``run.json`` of a run folder (or the file itself), after refusing temporary folders."""
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
    return path


def load_config(run_json: Path, **overrides: object) -> AnalysisConfig:
    """The configuration of an earlier run, read from its ``run.json``.

    Parameters
    ----------
    run_json
        ``run.json`` of a run folder (or the folder itself).
    **overrides
        Flat settings to change (e.g. ``basemap="amap"``, ``out_dir=...``).

    Returns
    -------
    AnalysisConfig

    Raises
    ------
    InputError
        The file is missing or not a tcm-coverage manifest.
    """
    path = _run_json(run_json)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))["config"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, OSError) as exc:
        raise InputError(f"not a tcm-coverage run manifest ({type(exc).__name__}: {exc})", path=path,
                         fix="give the run.json written by `tcm-coverage demo` or `analyze`") from None
    kwargs: dict[str, Any] = config_fields_from_json(AnalysisConfig, raw, path=path)  # out_dir
    for cls in _GROUPS.values():
        kwargs.update(config_fields_from_json(cls, raw, path=path))
    kwargs.update(overrides)
    try:
        return AnalysisConfig.from_options(**kwargs)
    except TypeError as exc:
        raise InputError(f"run.json lacks settings this version needs ({exc})", path=path,
                         fix="rerun the analysis with this version of tcm-coverage") from None
