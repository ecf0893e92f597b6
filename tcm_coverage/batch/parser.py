"""The options of ``tcm-coverage batch``: the counties (a folder per county, or province-wide
files), the parallel run, and the analysis options every county shares
(:func:`tcm_coverage.cli.options.add_common_options`).

Like :mod:`tcm_coverage.cli.options` this module imports only the standard library at import
time, so ``tcm-coverage --help`` (which registers the ``batch`` parser) stays instant; the
command itself is :mod:`tcm_coverage.batch.command`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tcm_coverage.cli.options import add_common_options

__all__ = ["BATCH_LAYERS", "EPILOG", "add_batch_arguments", "add_batch_parser"]

#: The exit codes and outputs, under ``--help``.
EPILOG = """\
Exit codes: 0 every county done (or done in an earlier run); 1 some counties failed (the
others are written, failures are listed in province_summary.* and batch.json); 2 bad input
before any county ran (nothing was written); 130 interrupted (finished counties are kept:
run the same command again to resume).

Outputs: OUT/counties/<county>/ (what a province planner needs: the tables, coverage.xlsx,
map.html, report.html, the scorecard, townships.gpkg, facilities.gpkg and the store the
redraws read, plus batch_done.json; --layers full adds demand_points and isochrones as
GeoParquet; --print adds what a county hands in: the print plates map.png and map.pdf and
report.docx. Without --print, draw them later from the store without routing: for every
county, the same command again with --print; for one, `tcm-coverage map OUT/counties/<county>
--format pdf` and `tcm-coverage report OUT/counties/<county>`),
OUT/province_summary.csv and .xlsx, OUT/province_map.html (not with --no-map),
OUT/townships.gpkg and .parquet (every county's townships with their coverage),
OUT/batch.json (with the phases' seconds). The other options apply to every county as in
`analyze`.
"""

#: ``batch --layers`` -> how each county writes its heavy layers (:data:`tcm_coverage.vocab.LAYER_FORMATS`).
BATCH_LAYERS: dict[str, str] = {"planner": "none", "full": "parquet"}


def add_batch_arguments(p: argparse.ArgumentParser) -> None:
    """Add the options of ``tcm-coverage batch`` to a parser.

    Parameters
    ----------
    p : argparse.ArgumentParser
    """
    src = p.add_argument_group("counties: a folder per county, or province-wide files")
    src.add_argument("--county-dirs", nargs="+", type=Path, default=None, metavar="DIR",
                     help="county folders, or a folder of county folders; each holds one county's "
                          "roads (.osm.pbf/.osm/.graphml), boundary, facilities and population "
                          "(found by name: *boundary*/*county*, *facilit*, *population*/*village* "
                          "or a .tif, optional *township*)")
    src.add_argument("--boundary", type=Path, default=None,
                     help="province mode: county polygons, one feature per county (code, name)")
    src.add_argument("--facilities", type=Path, default=None, help="province mode: facility table")
    src.add_argument("--population", type=Path, default=None,
                     help="province mode: population raster, village table or polygons")
    src.add_argument("--network", type=Path, default=None,
                     help="province mode: roads (.osm.pbf/.osm/.graphml), read once and cut per "
                          "county plus --buffer-m")
    src.add_argument("--townships", type=Path, default=None,
                     help="province mode: township polygons (optional)")
    src.add_argument("--only", nargs="+", default=None, metavar="CODE",
                     help="province mode: run only these county codes")
    for name in ("facilities", "boundary", "townships", "population"):
        src.add_argument(f"--{name}-datum", default="wgs84",
                         help=f"datum of the {name} file(s): wgs84 | gcj02 | bd09 (a gcj02/bd09 "
                              "token in a county folder's file name wins)")
    src.add_argument("--population-column", default=None,
                     help="population column (found automatically)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    run = p.add_argument_group("parallel run (Dask)")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="use an existing Dask cluster (e.g. tcp://10.0.0.5:8786); its workers "
                          "must see the same paths. Default: a local cluster")
    run.add_argument("--workers", type=int, default=None,
                     help="local cluster: worker processes (default: all cores)")
    run.add_argument("--memory-limit", default="auto",
                     help="local cluster: memory per worker, e.g. 4GB (default: RAM / workers)")
    run.add_argument("--force", action="store_true",
                     help="recompute counties that are already done")
    p.add_argument("--layers", choices=tuple(BATCH_LAYERS), default="planner",
                   help="per-county files: planner (default) = tables, XLSX, township layer, map, "
                        "report.html, scorecard, facilities, the redraw store (a third of the size); full = also every "
                        "demand point and the isochrone rings, as GeoParquet "
                        "(demand_points.parquet, isochrones.parquet; QGIS 3.32+, pandas)")
    p.add_argument("--print", action="store_true",
                   help="also write each county's print plates (map.png and map.pdf, A4, 200 dpi) "
                        "and Word report (report.docx), what a county hands in. A county done in "
                        "an earlier run without them gets them drawn from its store (no routing); "
                        "--no-print-map or --no-docx leave one of them out")
    add_common_options(p, default_modes=("walk", "ebike"), default_thresholds=(15,))


def add_batch_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``batch`` sub-command to the ``tcm-coverage`` sub-parsers.

    Parameters
    ----------
    subparsers
        The object returned by ``parser.add_subparsers()``.
    """
    p = subparsers.add_parser(
        "batch", help="run many counties in parallel (province scale, Dask)",
        description="Coverage for every county of a province, in parallel on a Dask cluster: "
                    "a folder per county, or province-wide files cut by county boundaries with a "
                    "buffer so trips across county lines count. Per-county outputs, one province "
                    "summary table and map; rerunning skips counties already done.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_batch_arguments(p)
