"""The ``tcm-coverage`` command (also ``python -m tcm_coverage``).

Sub-commands:

``demo``
    Run the coverage analysis on the bundled demo county (real Tunliu boundary, synthetic
    interior) and write tables and a map under ``maps/demo``.
``analyze``
    Run it on your own files.
``map``
    Redraw the map of a finished run (another mode, threshold, facility set, basemap or language;
    pages open offline by default; ``--cdn`` loads Leaflet from the internet).
``report``
    Rewrite the county report(s) and workbook of a finished run.
``site``
    Run site-selection scenario files (where to add 中医阁 or village clinics) and compare them.
``batch``
    Many counties in parallel (Dask): a folder per county, or province-wide files cut by county;
    per-county outputs, a province summary table and map; resumes where it stopped.
``score``
    Score a finished run against plan-target profiles (national, jiangsu, jilin_city, yantai,
    tunliu, ziyang, or your own file): ``scorecard.xlsx`` and ``scorecard.html``.
``server``
    ``start``/``stop``/``status`` of a warm server that runs the other commands without their
    seconds of imports (:mod:`tcm_coverage.cli.server_command`).

Exit codes: 0 success, 2 bad input (message names the file, row and fix), 1 other errors.

Why this module is long: it is the whole command surface a planner sees, one parser and
one runner per sub-command (demo, analyze, map with its print options, report, site, score),
and the redraw steps they share; the option groups shared with ``batch`` are in
:mod:`tcm_coverage.cli.options`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tcm_coverage._errors import TCMCoverageError
from tcm_coverage._version import __version__
from tcm_coverage.batch import add_batch_parser, run_batch_command
from tcm_coverage.cli.options import (
    add_common_options,
    add_crs_option,
    add_global_options,
    add_render_options,
    config_from_args,
    configure_logging,
    render_overrides,
)
from tcm_coverage.cli.server_command import add_server_parser, run_server_command
from tcm_coverage.demo import DEMO_SOURCES, demo_data_dir, demo_inputs
from tcm_coverage.i18n import text
from tcm_coverage.vocab import FACILITY_SETS, HEADLINE_FACILITY_SET, OPTIONAL_FACILITY_SETS

if TYPE_CHECKING:
    from tcm_coverage.workflows import AnalysisConfig, AnalysisRun

logger = logging.getLogger("tcm_coverage")

DEFAULT_DEMO_OUT = Path("maps") / "demo"
#: The facility sets ``map --facility-set`` draws (the optional upper bound is not one).
_MAP_FACILITY_SETS = tuple(s for s in FACILITY_SETS if s not in OPTIONAL_FACILITY_SETS)

def _add_rerun(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-changed-inputs", action="store_true",
                   help="when the inputs must be read again (a run without stored results, or "
                        "map --mode the run did not compute), recompute even though input files "
                        "changed since run.json (needs --out outside the run folder; the outputs "
                        "say so)")


def _add_jobs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="processes for the run: 2 uses both CPUs (the maps, print plates and "
                        "reports drawn by processes started at once, which load the drawing "
                        "libraries while the first one routes; the isochrones computed beside the "
                        "tables) while the first writes the tables, layers, scorecards and store; "
                        "1 does everything in one process. Default: $TCM_COVERAGE_JOBS, else 2 on "
                        "Linux with two CPUs or more, else 1")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tcm-coverage``.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="tcm-coverage",
        description="15-minute TCM service coverage (15分钟中医药服务圈) for Chinese counties.",
    )
    parser.add_argument("--version", action="version", version=f"tcm-coverage {__version__}")
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_demo(sub)
    _add_analyze(sub)
    _add_map(sub)
    _add_report(sub)
    _add_site(sub)
    _add_score(sub)
    add_batch_parser(sub)
    add_server_parser(sub)
    for command in sub.choices.values():  # -q/-v also after the sub-command
        add_global_options(command, in_subcommand=True)
    return parser


def _add_demo(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="run the analysis on the bundled demo county",
                          description="Coverage of the demo county: the real boundary of Tunliu "
                                      "district (140405) with a synthetic interior (see tcm_coverage/demo_data/README.md).")
    demo.add_argument("--out", type=Path, default=DEFAULT_DEMO_OUT,
                      help="output folder, replaced as a whole when the run completes (default: %(default)s)")
    demo.add_argument("--data-dir", type=Path, default=None, help="folder with the demo data (default: the repo's data/)")
    demo.add_argument("--population-source", choices=("raster", "villages"), default="raster",
                      help="demo population from the GeoTIFF or the village table")
    demo.add_argument("--no-dem", action="store_true",
                      help="ignore the demo's synthetic DEM: every road flat (to compare with slopes)")
    demo.add_argument("--no-65plus", dest="no_65plus", action="store_true",
                      help="leave out the demo's synthetic residents-65+ layer")
    add_common_options(demo, default_modes=("walk", "ebike", "car"), default_thresholds=(5, 10, 15, 20, 30))
    _add_jobs(demo)


def _add_analyze(sub: argparse._SubParsersAction) -> None:
    ana = sub.add_parser("analyze", help="run the analysis on your files",
                         description="Travel times from every resident to the nearest TCM service "
                                     "point, coverage per county and township.")
    ana.add_argument("--facilities", type=Path, required=True, help="facility table: CSV, XLSX, GeoJSON, GPKG")
    ana.add_argument("--facilities-datum", default="wgs84", help="wgs84 | gcj02 (Amap/Tencent) | bd09 (Baidu)")
    ana.add_argument("--sheet", "--facilities-sheet", dest="facilities_sheet", default=None,
                     metavar="SHEET", help="sheet of the facility workbook: name or number, 1 = first "
                                           "(default: the sheet that looks like a facility table)")
    ana.add_argument("--boundary", type=Path, required=True, help="county polygons (GeoJSON/GPKG/SHP)")
    ana.add_argument("--boundary-datum", default="wgs84")
    ana.add_argument("--townships", type=Path, default=None, help="township polygons (optional)")
    ana.add_argument("--townships-datum", default="wgs84")
    ana.add_argument("--population", type=Path, required=True,
                     help="GeoTIFF (WorldPop-style), village table (CSV/XLSX) or polygons with counts")
    ana.add_argument("--population-datum", default="wgs84")
    ana.add_argument("--population-column", default=None, help="population column (found automatically)")
    ana.add_argument("--population-sheet", default=None, metavar="SHEET",
                     help="sheet of a village population workbook (name or number)")
    ana.add_argument("--population-65plus", type=Path, default=None, metavar="FILE",
                     help="residents 65+ (GeoTIFF, village table or polygons, datum as "
                          "--population), reported beside all residents; a 65+ column of the "
                          "village table (65岁以上人口, 老年人口) is used without it")
    ana.add_argument("--network", type=Path, required=True, help="roads: .osm.pbf, .osm (XML) or .graphml")
    ana.add_argument("--dem", type=Path, default=None, metavar="FILE.tif",
                     help="elevation GeoTIFF (any CRS, metres; optional): walking, bicycle and "
                          "e-bike times follow the slopes, uphill slower than downhill (Tobler "
                          "for walking); car unchanged. It must cover the county")
    ana.add_argument("--out", type=Path, required=True,
                     help="output folder, replaced as a whole when the run completes")
    add_common_options(ana, default_modes=("walk", "ebike"), default_thresholds=(15,))
    _add_jobs(ana)


def _add_map(sub: argparse._SubParsersAction) -> None:
    mp = sub.add_parser("map", help="redraw the map of a finished run",
                        description="Redraw the map of a finished run from what the run stored "
                                    "(seconds; no routing) for another threshold, facility "
                                    "set, basemap or language. A mode the run did not compute is "
                                    "routed (only that mode).")
    mp.add_argument("run", type=Path, help="output folder (or run.json) of a demo/analyze run")
    mp.add_argument("--out", type=Path, default=None, metavar="FOLDER",
                    help="output folder the map file map_<mode>_<minutes>_<set>.<format> (or "
                         "atlas_... with --atlas) is written into; other files there are kept "
                         "(default: the run folder). A path ending in the format's suffix "
                         "(.html, .png, .pdf, .svg) is still taken as the file name")
    mp.add_argument("--mode", default=None, help="travel mode (default: e-bike when computed)")
    mp.add_argument("--threshold", type=float, default=None, help="minutes (default: 15)")
    mp.add_argument("--facility-set", "--target", dest="facility_set", default="tcm_any",
                    choices=_MAP_FACILITY_SETS, metavar="SET",
                    help=f"facilities to reach: {', '.join(_MAP_FACILITY_SETS)} (default: "
                         "%(default)s, any TCM service point; --target is the old name)")
    mp.add_argument("--lang", choices=("zh", "en"), default=None, help="language (default: the run's)")
    _add_print_options(mp)
    add_render_options(mp)
    _add_rerun(mp)


def _add_print_options(mp: argparse.ArgumentParser) -> None:
    """The print plate options of ``map`` (``--format png|pdf|svg``)."""
    pr = mp.add_argument_group("print plates (--format png, pdf or svg)")
    pr.add_argument("--format", choices=("html", "png", "pdf", "svg"), default="html",
                    help="html: the interactive map (default); png/pdf/svg: a print plate at "
                         "300 dpi with title, legend, scale bar, north arrow 指北针, sources and "
                         "coordinate system")
    pr.add_argument("--paper", choices=("a4", "a3"), default="a4", help="paper size (default: a4)")
    pr.add_argument("--orientation", choices=("portrait", "landscape"), default="portrait",
                    help="page orientation (default: portrait)")
    pr.add_argument("--dpi", type=float, default=300.0, help="PNG resolution (default: 300)")
    pr.add_argument("--atlas", action="store_true",
                    help="township atlas 乡镇图集: one plate per township with its table of gaps "
                         "(pdf: one multi-page file; png/svg: RUN/atlas_..._<code>.png per township)")
    pr.add_argument("--crs-label", choices=("WGS-84", "CGCS2000"), default="WGS-84",
                    help="coordinate system stated on the plate (default: WGS-84)")
    pr.add_argument("--basemap-tiles", type=Path, default=None, metavar="PATH",
                    help="basemap under the plate: a folder of z/x/y.png tiles or an .mbtiles "
                         "file, Web Mercator in WGS-84 (default: none, offline)")
    pr.add_argument("--approval-number", default=None, metavar="TEXT",
                    help="the basemap's map approval number 审图号, printed in the footer when "
                         "--basemap-tiles is given")


def _check_print(args: argparse.Namespace, out: Path) -> None:
    """Refuse, before any computation, a print ``--out`` of another format or missing tiles."""
    from tcm_coverage._errors import InputError

    if args.format == "html":
        return
    from tcm_coverage.outputs import open_tiles

    if out.suffix.lower() != f".{args.format}":
        raise InputError(f"--out {out} does not end in .{args.format}", path=out,
                         fix=f"name the file {out.stem}.{args.format}, or give --format {out.suffix.lstrip('.') or 'png'}")
    if args.basemap_tiles is not None:
        open_tiles(args.basemap_tiles)


def _write_print(args: argparse.Namespace, run: AnalysisRun, config: AnalysisConfig, out: Path, *,
                 mode: str, thr: float) -> list[Path]:
    """``map --format png|pdf|svg``: the print plate or township atlas of the run."""
    from tcm_coverage.outputs import PrintOptions
    from tcm_coverage.workflows import write_print

    options = PrintOptions(paper=args.paper, orientation=args.orientation, dpi=args.dpi,
                           crs_label=args.crs_label, approval_number=args.approval_number,
                           basemap=args.basemap_tiles)
    return write_print(run, config, out, mode=mode, threshold=thr,
                       facility_set=args.facility_set, options=options, atlas=args.atlas)


def _add_report(sub: argparse._SubParsersAction) -> None:
    rp = sub.add_parser("report", help="rewrite the report(s) of a finished run",
                        description="Rewrite report.html (one per county), the scorecards and "
                                    "coverage.xlsx of a finished run from what the run stored "
                                    "(seconds; no routing).")
    rp.add_argument("run", type=Path, help="output folder (or run.json) of a demo/analyze run")
    rp.add_argument("--out", type=Path, default=None, metavar="FOLDER",
                    help="output folder (default: the run folder, where the files are replaced "
                         "and the others kept; another folder is replaced as a whole)")
    rp.add_argument("--lang", choices=("zh", "en"), default=None, help="language (default: the run's)")
    add_render_options(rp)
    add_crs_option(rp)  # given: the GeoPackage layers are rewritten in that CRS too
    _add_rerun(rp)


def _add_site(sub: argparse._SubParsersAction) -> None:
    st = sub.add_parser("site", help="run site-selection scenarios and compare them",
                        description="Where to add 中医阁 (upgrading village clinics) or new village "
                                    "clinics so more residents reach TCM care within the threshold. "
                                    "Each scenario file (TOML) names the data, mode, threshold, "
                                    "candidates, costs and the model; see tcm_coverage/demo_data/scenarios/ and the "
                                    "docstring of tcm_coverage.workflows.scenario_file.")
    st.add_argument("scenarios", type=Path, nargs="+", help="scenario .toml files")
    st.add_argument("--out", type=Path, default=Path("maps") / "scenarios",
                    help="output folder; one subfolder per scenario (default: %(default)s)")


def _add_score(sub: argparse._SubParsersAction) -> None:
    sc = sub.add_parser("score", help="score a finished run against plan-target profiles",
                        description="Score a finished run against plan-target profiles from what "
                                    "the run stored (seconds; no routing) and write the "
                                    "scorecard(s) and the report that includes them.")
    sc.add_argument("run", type=Path, help="output folder (or run.json) of a demo/analyze run")
    sc.add_argument("--profile", "--profiles", dest="profiles", nargs="+", default=["national"],
                    metavar="NAME|FILE", help="profiles: national, jiangsu, jilin_city, yantai, "
                                              "tunliu, ziyang or a .toml file (default: national)")
    sc.add_argument("--out", type=Path, default=None, metavar="FOLDER",
                    help="output folder (default: the run folder, where the files are replaced "
                         "and the others kept; another folder is replaced as a whole)")
    sc.add_argument("--lang", choices=("zh", "en"), default=None, help="language (default: the run's)")
    add_render_options(sc)
    _add_rerun(sc)


def _site(args: argparse.Namespace) -> int:
    from tcm_coverage._io import check_output_dir
    from tcm_coverage.workflows import run_scenarios

    start = time.perf_counter()
    try:
        check_output_dir(args.out, option="--out")
        results = run_scenarios(args.scenarios, args.out, progress=not args.quiet)
    except TCMCoverageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    if not args.quiet:
        for r in results:
            s = r.summary
            g_gap = s["greedy_gap"]  # nan: unknown (no bound, or the greedy plan breaks quotas)
            greedy = "n/a" if g_gap != g_gap else f"{g_gap:.2%}"
            print(f"{s['scenario']} ({s['title']}): {s['sites']} sites ({s['upgrades']} 中医阁 upgrades, "
                  f"{s['new_clinics']} new clinics), cost {s['cost']:g}; within {s['threshold']:g} min "
                  f"{s['share_before']:.1%} -> {s['share_after']:.1%} (+{s['newly_covered']:,} residents); "
                  f"{s['status']}, gap {s['gap']:.2%}, greedy gap {greedy}, "
                  f"{s['solve_seconds']:.2f} s")
            if "ranked_steps" in s:
                print(f"  upgrade order: {s['ranked_steps']} steps, largest gap to the optimum "
                      f"for the same number of sites {s['order_max_gap']:.1%}"
                      + (f"; {s['plan_years']}" if s.get("plan_years") else ""))
            if s.get("quotas"):
                print(f"  township quotas: {s['quotas']}")
            for m in r.result.messages:
                print(f"  note: {m}")
        print(f"({time.perf_counter() - start:.1f} s) outputs: {args.out}")
    return 0


def _map_target(args: argparse.Namespace, run_dir: Path, mode: str, thr: float) -> Path:
    """The map file of ``map``: ``--out`` is a folder (default: the run folder); a path ending
    in the format's suffix (``.html``, ``.png``...) is still taken as the file name (older
    scripts), with a note."""
    stem = "atlas" if args.atlas and args.format != "html" else "map"
    name = f"{stem}_{mode}_{thr:g}_{args.facility_set}.{args.format}"
    if args.out is None:
        return run_dir / name
    # a map file name (of this format or, to be refused with the fix, of another one)
    if args.out.suffix.lower() in (".html", ".htm", ".png", ".pdf", ".svg") and not args.out.is_dir():
        logger.warning("--out %s: --out is a folder in every command now; writing the map to this "
                       "file as asked (next time give --out %s)", args.out, args.out.parent)
        return args.out
    return args.out / name


def _redraw_check(args: argparse.Namespace, run_dir: Path, inputs: dict, target: Path) -> None:
    """Refuse a bad output folder (or map file) before loading or computing anything."""
    from tcm_coverage._io import check_output_dir, result_kind
    from tcm_coverage._validate import check_output_file

    if args.command == "map":
        check_output_file(target, option="--out" if args.out else "the map file")
        _check_print(args, target)
        if result_kind(target.resolve().parent) is not None:
            check_output_dir(target.resolve().parent, inputs=inputs, keep="all")
        return
    in_place = target.resolve() == run_dir.resolve()
    check_output_dir(target, inputs=inputs, keep="all" if in_place else (),
                     option="--out" if args.out else "the run folder")


def _redraw_load(args: argparse.Namespace, run_dir: Path, config, *, modes: tuple[str, ...],
                 thresholds: tuple[float, ...], reuse: _Reuse):
    """Load the run's store (the tables and geometries of ``reuse``) and compute only what is
    missing (or, without a store, recompute the run: then the changed-inputs protection
    applies, as it does when a mode must be routed)."""
    from tcm_coverage._rerun import changed_note, rerun_note
    from tcm_coverage.workflows import load_run, missing_modes, redraw_run

    stored = load_run(run_dir, config, scorecards=args.command != "map", tables=reuse.tables,
                      geometry=reuse.geometry)
    note = None
    if stored is None or missing_modes(stored, modes) or args.allow_changed_inputs:
        # the inputs are read again (or the user asked to use changed ones): they must be the
        # run's, or the outputs are labelled and kept out of the run folder
        note = rerun_note(run_dir, allow=args.allow_changed_inputs, out=args.out,
                          command=args.command, lang=config.rendering.lang)
    else:  # drawn from the store: it matches the run folder; say so if the inputs changed since
        warning = changed_note(run_dir, lang=config.rendering.lang)
        if warning:
            logger.warning(warning)
    if note:  # changed inputs, allowed: recompute everything from them, labelled
        config = config.updated(sources=(*config.rendering.sources, note))
        stored = None
    on_note = None if args.quiet else print
    if stored is not None and not missing_modes(stored, (*config.options.modes, *modes)):
        # nothing to route: the road reader and the routing stack are not even imported
        return redraw_run(stored, config, thresholds=thresholds, on_note=on_note), note
    from tcm_coverage.workflows import complete_run

    ready = complete_run(stored, config, modes=modes, thresholds=thresholds, progress=not args.quiet,
                         on_note=on_note)
    return ready, note


def _write_map(args: argparse.Namespace, ready, target: Path, inputs: dict, *, mode: str,
               thr: float, reuse: _Reuse) -> list[Path]:
    """``map``: the HTML map (or with ``--format`` the print plate/atlas) into ``--out`` (the
    run's ``map.html``, copied, when it is this view drawn the same way)."""
    import shutil

    from tcm_coverage._io import output_file

    run, config = ready.run, ready.config
    if reuse.documents is not None and ready.stored and not ready.notes:  # no folium, no geometry
        with output_file(target, kind="map", inputs=inputs) as staged:
            shutil.copyfile(reuse.documents[0], staged)
        return [target]
    if args.format != "html":  # a print plate: no folium
        return _write_print(args, run, config, target, mode=mode, thr=thr)
    from tcm_coverage.outputs import save_map
    from tcm_coverage.workflows import build_map

    fmap = build_map(run, config, mode=mode, threshold=thr, facility_set=args.facility_set)
    with output_file(target, kind="map", inputs=inputs) as staged:
        save_map(fmap, staged, self_contained=config.rendering.self_contained)
    return [target]


@dataclass(frozen=True)
class _Reuse:
    """What a redraw takes from the run as it is, decided before the store is read."""

    #: The run's report map page (drawn the same way), else ``None``.
    page: str | None = None
    #: The run's documents (written with the same settings, the same day): copied, not drawn.
    documents: tuple[Path, ...] | None = None
    #: Read the geometries (a map or a plate to draw, a profile to score, ``--crs`` layers).
    geometry: bool = True
    #: The stored tables to read (``None``: all).
    tables: tuple[str, ...] | None = None


def _reusable_pieces(args: argparse.Namespace, run_dir: Path, config, *, mode: str = "",
                     thr: float = 0.0) -> _Reuse:
    """What the run rendered that the redraw can use as it is (``report``/``score``: the report
    map page, the plate, the documents themselves; ``map``: its ``map.html`` when that is the
    view asked for), and so which tables it reads, with or without geometries."""
    from tcm_coverage.workflows import (
        DOCUMENT_TABLES,
        MAP_TABLES,
        REPORT_TABLES,
        reusable_documents,
        reusable_file,
        reused_map_page,
    )

    if args.command == "map":
        opts = config.options
        same_view = (args.format == "html" and mode == opts.headline_mode and thr == opts.headline_threshold
                     and args.facility_set == HEADLINE_FACILITY_SET)
        page_file = reusable_file(run_dir, config, "map.html") if same_view else None
        if page_file is not None:
            return _Reuse(documents=(page_file,), geometry=False, tables=())
        return _Reuse(tables=MAP_TABLES)
    plate = not config.rendering.write_docx or reusable_file(run_dir, config, "map.png") is not None
    # the documents, same settings and day (their report map then is the run's: no page to cut)
    documents = reusable_documents(run_dir, config) if plate else None
    if documents is not None:  # only the tables `report` writes (and the stored scorecards)
        return _Reuse(documents=tuple(documents), geometry=bool(getattr(args, "crs", None)),
                      tables=REPORT_TABLES if args.command == "report" and not getattr(args, "crs", None)
                      else () if args.command == "score" else None)
    page = reused_map_page(run_dir, config)
    geometry = page is None or not plate or bool(getattr(args, "crs", None))
    return _Reuse(page=page, geometry=geometry, tables=None if geometry else DOCUMENT_TABLES)


def _write_documents(args: argparse.Namespace, ready, out_dir: Path, run_dir: Path, inputs: dict,
                     note: str | None, reuse: _Reuse) -> list[Path]:
    """``report``: tables, reports and scorecards (and the layers when ``--crs`` is given);
    ``score``: reports and scorecards (the run's own, copied, when drawn the same way)."""
    as_run = ready.stored and not ready.notes
    if as_run and reuse.documents is not None:  # no python-docx, matplotlib, openpyxl
        return _copy_documents(args, ready, out_dir, run_dir, inputs, note, reuse.documents)
    from tcm_coverage._io import atomic_output_dir
    from tcm_coverage.workflows import (
        plate_images,
        report_parts,
        write_docx_reports,
        write_reports,
        write_scorecards,
    )
    from tcm_coverage.workflows.drawer import background_call, resolve_jobs

    run, config = ready.run, ready.config
    in_place = Path(out_dir).resolve() == run_dir.resolve()
    # the run's report map when drawn the same way (same language, view, day): no folium
    page = reuse.page if as_run else None
    with atomic_output_dir(out_dir, kind=args.command, keep="all" if in_place else (),
                           inputs=inputs) as tmp:
        parts = report_parts(run, config)  # what report.html and report.docx share, prepared once

        def tables_and_web_report() -> list[Path]:
            tables = _report_tables(args, run, config, tmp, note) if args.command == "report" else []
            shown = page
            if shown is None:
                from tcm_coverage.outputs import map_html
                from tcm_coverage.workflows import build_map

                shown = map_html(build_map(run, config, compact=True),
                                 self_contained=config.rendering.self_contained)
            return tables + write_reports(run, config, tmp, shown, parts=parts)

        # the tables and report.html (with its map page) by a second process while this one
        # draws the plate and report.docx, as `demo` does (in turn with one CPU, or
        # TCM_COVERAGE_JOBS=1)
        with background_call(tables_and_web_report, jobs=resolve_jobs(None),
                             what="the tables and the HTML report") as web:
            printed: list[Path] = []
            if config.rendering.write_docx:
                # the plate of report.docx: the run's map.png when drawn the same way, else drawn now
                plates = plate_images(run, config, run_dir)
                printed = write_docx_reports(run, config, tmp, map_images=plates, parts=parts)
            names = web.result() + printed
        names += write_scorecards(run, config, tmp)
        return [out_dir / f.name for f in names]


def _copy_documents(args: argparse.Namespace, ready, out_dir: Path, run_dir: Path, inputs: dict,
                    note: str | None, documents: Sequence[Path]) -> list[Path]:
    """The run's documents copied (the bytes ``_write_documents`` would draw again), with the
    tables of ``report``."""
    import shutil

    from tcm_coverage._io import atomic_output_dir

    in_place = Path(out_dir).resolve() == run_dir.resolve()
    with atomic_output_dir(out_dir, kind=args.command, keep="all" if in_place else (),
                           inputs=inputs) as tmp:
        names: list[Path] = []
        if args.command == "report":
            names += _report_tables(args, ready.run, ready.config, tmp, note)
        for path in documents:
            shutil.copyfile(path, tmp / path.name)
            names.append(tmp / path.name)
        return [out_dir / f.name for f in names]


def _report_tables(args: argparse.Namespace, run: AnalysisRun, config: AnalysisConfig, tmp: Path,
                   note: str | None) -> list[Path]:
    """``report``: the coverage tables (and the layers when ``--crs`` is given)."""
    from tcm_coverage.inputs import review_sheet
    from tcm_coverage.outputs import write_tables

    lang = config.rendering.lang
    review = review_sheet(run.facility_review, lang) if run.facility_review is not None else None
    names = write_tables(run.tables, tmp, lang=lang, review=review,
                         readme_rows=[(text("cli.readme_note", lang), note)] if note else ())
    if getattr(args, "crs", None):  # the layers (write imports every renderer: only then)
        from tcm_coverage.workflows import write_geodata

        names += write_geodata(run, config, tmp)
    return names


def _redraw(args: argparse.Namespace) -> int:
    from tcm_coverage.workflows import input_files, load_config

    run_dir = args.run.parent if args.run.name == "run.json" else args.run
    overrides = render_overrides(args)
    if args.command == "score":
        overrides["profiles"] = tuple(args.profiles)
    config = load_config(args.run, **overrides)
    inputs = input_files(config)
    modes: tuple[str, ...] = ()
    thresholds: tuple[float, ...] = ()
    if args.command == "map":
        mode = args.mode or config.options.headline_mode
        thr = config.options.headline_threshold if args.threshold is None else float(args.threshold)
        target = _map_target(args, run_dir, mode, thr)
        modes, thresholds = (mode,), (thr,)
    else:
        target = args.out or run_dir
    _redraw_check(args, run_dir, inputs, target)
    start = time.perf_counter()
    reuse = (_reusable_pieces(args, run_dir, config, mode=mode, thr=thr) if args.command == "map"
             else _reusable_pieces(args, run_dir, config))
    ready, note = _redraw_load(args, run_dir, config, modes=modes, thresholds=thresholds, reuse=reuse)
    if args.command == "map":
        written = _write_map(args, ready, target, inputs, mode=mode, thr=thr, reuse=reuse)
    else:
        written = _write_documents(args, ready, target, run_dir, inputs, note, reuse)
    if args.command == "score" and not args.quiet:
        for name, card in ready.run.scorecards.items():
            unmet = card.rows[card.rows["status"] == "unmet"]
            print(f"{name}: {len(unmet)} unmet of {int(card.rows['status'].isin(['met', 'unmet']).sum())} "
                  "indicators with a target")
    if not args.quiet:
        print(f"({time.perf_counter() - start:.1f} s) " + ", ".join(str(f) for f in written))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tcm-coverage``.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 success, 1 partly done (batch) or another error, 2 bad input,
        130 interrupted (the earlier result is kept: outputs are swapped in only when complete).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.quiet)
    try:
        return _command(args, parser)
    except KeyboardInterrupt:
        print("interrupted: nothing was replaced (the earlier result, if any, is kept).",
              file=sys.stderr)
        return 130


def _command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the parsed sub-command and return its exit code."""
    if args.command == "batch":
        return run_batch_command(args)
    if args.command == "server":
        return run_server_command(args)
    if args.command == "site":
        return _site(args)
    if args.command in ("map", "report", "score"):
        try:
            return _redraw(args)
        except TCMCoverageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            print("nothing was written.", file=sys.stderr)
            return 2 if isinstance(exc, ValueError) else 1
    # light (the standard library): the drawing process is forked before anything heavy is imported
    from tcm_coverage.workflows.drawer import document_drawer, resolve_jobs

    try:
        jobs = resolve_jobs(args.jobs)
    except TCMCoverageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 2
    # with two CPUs the process drawing the documents starts now: it imports the renderers
    # (and pandas, geopandas...) on the second CPU while this one imports the routing stack
    with document_drawer(jobs=jobs) as drawer:
        return _analyze(args, parser, jobs=jobs, drawer=drawer)


def _analyze(args: argparse.Namespace, parser: argparse.ArgumentParser, *, jobs: int, drawer) -> int:
    """``analyze``/``demo``: configure, run and summarise (``drawer``: forked by the caller, or ``None``)."""
    # Imported here so `--help` stays instant (and a redraw loads no routing stack).
    from tcm_coverage.workflows import run_analysis, summary_text

    try:
        if args.command == "demo":
            data = args.data_dir or demo_data_dir()
            config = config_from_args(args, inputs=demo_inputs(data, population=args.population_source,
                                                               dem=not args.no_dem,
                                                               elderly=not args.no_65plus),
                                      sources=DEMO_SOURCES[args.lang])
        else:
            config = config_from_args(args)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    start = time.perf_counter()
    try:
        run = run_analysis(config, progress=not args.quiet, jobs=jobs, drawer=drawer)
    except TCMCoverageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    if not args.quiet:
        print(summary_text(run, config))
        print(f"({time.perf_counter() - start:.1f} s; files: {', '.join(f.name for f in run.files)})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
