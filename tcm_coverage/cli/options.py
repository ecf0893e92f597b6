"""Option groups and option parsers shared by the ``tcm-coverage`` commands and ``batch``.

:mod:`tcm_coverage.cli.main` and :mod:`tcm_coverage.batch.driver` both build their parsers from
these groups and read the options with these parsers, so the two take the same options the
same way without importing each other, and :func:`config_from_args` is the one mapping from
parsed options to an :class:`~tcm_coverage.workflows.AnalysisConfig` that both use. Like the
CLI itself this module imports only the standard library and :mod:`tcm_coverage.vocab` at
import time, so ``--help`` stays instant (the configuration class is imported when a command
runs: ``tcm_coverage.workflows`` takes seconds to import).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

from tcm_coverage.vocab import (
    DIRECT_OFFROAD_MAX_M,
    EXPORT_CRS,
    REFERRAL_MINUTES,
    RESIDENTS_PER_TCM_PHYSICIAN,
)

if TYPE_CHECKING:
    from tcm_coverage.workflows import AnalysisConfig

__all__ = [
    "add_common_options",
    "add_crs_option",
    "add_global_options",
    "add_render_options",
    "config_from_args",
    "configure_logging",
    "parse_offroad",
    "parse_speed",
    "render_overrides",
]

logger = logging.getLogger("tcm_coverage")


def parse_speed(items: Sequence[str]) -> dict[str, dict[str, float]]:
    """Read the ``--speed MODE:CLASS=KMH`` items into ``{mode: {road class: km/h}}``."""
    out: dict[str, dict[str, float]] = {}
    for item in items:
        try:
            mode, rest = item.split(":", 1)
            cls, value = rest.split("=", 1)
            out.setdefault(mode.strip(), {})[cls.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"cannot read --speed '{item}'; write MODE:CLASS=KMH, e.g. car:primary=50") from None
    return out


def parse_offroad(items: Sequence[str], modes: Sequence[str]) -> dict[str, float]:
    """Read the ``--offroad-speed [MODE:]KMH`` items into ``{mode: km/h}`` (bare KMH: all ``modes``)."""
    out: dict[str, float] = {}
    for item in items:
        try:
            if ":" in item:
                mode, value = item.split(":", 1)
                out[mode.strip()] = float(value)
            else:
                out.update({m: float(item) for m in modes})
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"cannot read --offroad-speed '{item}'; write KMH or MODE:KMH, e.g. walk:3") from None
    return out


def add_common_options(p: argparse.ArgumentParser, *, default_modes: Sequence[str],
                       default_thresholds: Sequence[float]) -> None:
    """Add the analysis options shared by ``demo``, ``analyze`` and ``batch`` (and the render ones)."""
    p.add_argument("--mode", "--modes", dest="modes", nargs="+", default=list(default_modes),
                   help="travel modes: walk, walk_elderly, ebike, bicycle, car (default: %(default)s)")
    p.add_argument("--threshold", "--thresholds", dest="thresholds", nargs="+", type=float,
                   default=list(default_thresholds),
                   help="minute thresholds, e.g. 5 10 15 20 30 (default: %(default)s)")
    p.add_argument("--include-other-tcm", action="store_true",
                   help="count TCM clinics/outpatient departments (中医诊所/门诊部) as TCM service points")
    p.add_argument("--speed", action="append", default=[], metavar="MODE:CLASS=KMH",
                   help="override a road-class speed, e.g. car:primary=50 (repeatable)")
    p.add_argument("--offroad-speed", action="append", default=[], metavar="[MODE:]KMH",
                   help="speed of the off-road leg to the road (all modes, or one mode)")
    p.add_argument("--buffer-m", type=float, default=5000.0,
                   help="roads are clipped to the county plus this buffer in metres (default: %(default)s)")
    p.add_argument("--max-facility-offroad-m", type=float, default=1500.0,
                   help="facilities farther than this from a road are an input error (default: %(default)s)")
    p.add_argument("--direct-offroad-m", type=float, default=DIRECT_OFFROAD_MAX_M,
                   help="a resident this close to a facility in a straight line may walk there "
                        "directly; farther trips follow the roads (0: always by road; default: "
                        "%(default)s)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of tables and map")
    p.add_argument("--no-map", action="store_true", help="do not write map.html")
    p.add_argument("--no-report", action="store_true", help="do not write report.html")
    p.add_argument("--no-docx", action="store_true", help="do not write report.docx (the Word report)")
    p.add_argument("--no-print-map", action="store_true",
                   help="do not write the print plates map.png and map.pdf (A4, 200 dpi; "
                        "`tcm-coverage map RUN --format png|pdf|svg` draws others)")
    p.add_argument("--profile", "--profiles", dest="profiles", nargs="+", default=["national"],
                   metavar="NAME|FILE",
                   help="plan-target profiles for the scorecard: national, jiangsu, jilin_city, "
                        "yantai, tunliu, ziyang or a profile .toml (default: national)")
    p.add_argument("--functional-only", action="store_true",
                   help="count a 中医馆/中医阁 only when its capability columns (能提供中医药服务, "
                        "中医药技术类数/项数, 中医类别医师数) meet the plan's rule; unknown: not counted")
    p.add_argument("--no-accessibility", action="store_true",
                   help="skip the E2SFCA accessibility of TCM physicians")
    p.add_argument("--no-capacity", action="store_true",
                   help="skip the capacity-aware coverage (residents within the threshold and "
                        "within a TCM point's capacity)")
    p.add_argument("--residents-per-physician", type=float, default=RESIDENTS_PER_TCM_PHYSICIAN,
                   metavar="N",
                   help="residents one TCM physician serves, for TCM points without a capacity "
                        "column (default: %(default).0f = 0.62 TCM physicians per 1,000 residents, "
                        "Jilin City's TCM plan)")
    p.add_argument("--referral-minutes", type=float, default=REFERRAL_MINUTES,
                   help="referral chain: share of residents within this many minutes of the county "
                        "TCM hospital by car (no plan sets it; 30 is a common county check; "
                        "default: %(default)s)")
    p.add_argument("--isochrone-cell-m", type=float, default=100.0,
                   help="grid cell of the isochrones in metres; 0 for none (default: %(default)s)")
    add_render_options(p)
    add_crs_option(p)


def add_crs_option(p: argparse.ArgumentParser) -> None:
    """Add ``--crs`` (coordinate system of the GeoPackage exports; ``demo``, ``analyze``,
    ``batch`` and ``report``)."""
    p.add_argument("--crs", choices=tuple(EXPORT_CRS), default=None,
                   help="coordinate system of demand_points/facilities/isochrones.gpkg: wgs84 "
                        "(EPSG:4326, default) or cgcs2000 (EPSG:4490, 国家2000坐标系, for official "
                        "submissions; at map scale the coordinates are the same numbers, the files "
                        "declare 4490)")


def add_render_options(p: argparse.ArgumentParser) -> None:
    """Add the map-background options (``--basemap``, ``--tianditu-key``, ``--cdn`` or
    ``--self-contained``, the default)."""
    p.add_argument("--basemap", choices=("osm", "amap", "tianditu", "none"), default=None,
                   help="map background: OpenStreetMap (default), Amap 高德 (overlays shifted to "
                        "GCJ-02), Tianditu 天地图 (needs --tianditu-key) or none (offline)")
    p.add_argument("--tianditu-key", default=None, help="Tianditu API key (tk)")
    page = p.add_mutually_exclusive_group()
    page.add_argument("--cdn", action="store_true",
                      help="load Leaflet from the internet (jsdelivr CDN): smaller map/report "
                           "files (about 165 kB less each), but the pages need a connection. "
                           "Default: Leaflet is inlined, so the pages open offline (intranets); "
                           "the basemap tiles always need a connection")
    page.add_argument("--self-contained", action="store_true",
                      help="inline Leaflet so the pages open with no network: now the default, "
                           "accepted for older scripts")


def render_overrides(args: argparse.Namespace) -> dict:
    """The rendering settings the user gave on the command line (basemap, key, inlining, language,
    export CRS)."""
    out: dict = {}
    if args.basemap is not None:
        out["basemap"] = args.basemap
    if args.tianditu_key:
        out["tianditu_key"] = args.tianditu_key
    if hasattr(args, "cdn"):  # every command writing pages: inlined unless --cdn, run.json or not
        out["self_contained"] = not args.cdn
    if getattr(args, "lang", None):
        out["lang"] = args.lang
    if getattr(args, "crs", None):
        out["crs"] = args.crs
    return out


def add_global_options(p: argparse.ArgumentParser, *, in_subcommand: bool = False) -> None:
    """``-v``/``--verbose`` and ``-q``/``--quiet``, the same before or after the sub-command.

    Parameters
    ----------
    p
        The top-level parser, or (``in_subcommand=True``) a sub-command's parser. There the
        options default to "not given", so ``tcm-coverage -q report RUN`` and ``tcm-coverage
        report RUN -q`` mean the same and an option given only before the sub-command stays set.
    in_subcommand
        Add them to a sub-command's parser.
    """
    verbose, quiet = (argparse.SUPPRESS, argparse.SUPPRESS) if in_subcommand else (0, False)
    p.add_argument("-v", "--verbose", action="count", default=verbose, help="more logging (-vv: debug)")
    p.add_argument("-q", "--quiet", action="store_true", default=quiet,
                   help="only errors; no progress bars")


def configure_logging(verbose: int, quiet: bool) -> None:
    """Send the ``tcm_coverage`` log to stderr at the level of ``-v``/``-vv``/``--quiet``."""
    level = logging.ERROR if quiet else (logging.DEBUG if verbose >= 2 else
                                         logging.INFO if verbose == 1 else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


class InputOptions(TypedDict, total=False):
    """The :class:`~tcm_coverage.workflows.AnalysisConfig` fields that name a run's input files
    and how to read them; each comes from the option of the same name when a command has it."""

    facilities: Path
    facilities_datum: str
    facilities_sheet: str | None
    boundary: Path
    boundary_datum: str
    townships: Path | None
    townships_datum: str
    population: Path
    population_datum: str
    population_column: str | None
    population_sheet: str | None
    population_65plus: Path | None
    network: Path
    dem: Path | None


def config_from_args(args: argparse.Namespace, *, inputs: Mapping[str, object] | None = None,
                     sources: tuple[str, ...] = ()) -> AnalysisConfig:
    """The analysis configuration of parsed ``demo``, ``analyze`` or ``batch`` options.

    The one mapping from the options of :func:`add_common_options` (and the input options a
    command has, such as ``--facilities`` or ``--population-datum``) to the configuration's
    fields; ``out_dir`` is ``--out``.

    Parameters
    ----------
    args
        Parsed arguments of a parser set up with :func:`add_common_options`.
    inputs
        Input fields that do not come from options, or replace them (the demo county's files,
        placeholders for the options every county folder shares); see :class:`InputOptions`.
    sources
        Data-source lines for the map and report.

    Returns
    -------
    tcm_coverage.workflows.AnalysisConfig

    Raises
    ------
    argparse.ArgumentTypeError
        A ``--speed`` or ``--offroad-speed`` item cannot be read.
    """
    from tcm_coverage.workflows import AnalysisConfig

    given = {name: getattr(args, name) for name in InputOptions.__annotations__ if hasattr(args, name)}
    # argparse values are untyped; the parser's types make them those of InputOptions
    files = cast(InputOptions, {**given, **(inputs or {})})
    return AnalysisConfig.from_options(
        **files, out_dir=args.out,
        modes=tuple(args.modes), thresholds=tuple(float(t) for t in args.thresholds),
        include_other=args.include_other_tcm, speed_overrides=parse_speed(args.speed),
        offroad_kmh=parse_offroad(args.offroad_speed, args.modes), buffer_m=args.buffer_m,
        max_facility_offroad_m=args.max_facility_offroad_m,
        direct_offroad_m=args.direct_offroad_m, write_map=not args.no_map,
        write_report=not args.no_report, write_docx=not args.no_docx, isochrone_cell_m=args.isochrone_cell_m,
        profiles=tuple(args.profiles), accessibility=not args.no_accessibility, sources=sources,
        capacity=not args.no_capacity, residents_per_physician=args.residents_per_physician,
        referral_minutes=args.referral_minutes,
        **({"print_formats": ()} if getattr(args, "no_print_map", False) else {}),
        functional_only=args.functional_only,
        **render_overrides(args))  # basemap, Tianditu key, inlining and --lang
