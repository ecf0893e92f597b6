"""Whole runs: the coverage analysis (config → compute → outputs) and site-selection scenarios.

Modules: :mod:`~tcm_coverage.workflows.config` (the configuration in groups: input files,
computation options, rendering; its checks; ``run.json``), :mod:`~tcm_coverage.workflows.run`
(what a run reads and produces), :mod:`~tcm_coverage.workflows.pipeline` (compute and run),
:mod:`~tcm_coverage.workflows.texts` (readme rows, notes, source lines, summary),
:mod:`~tcm_coverage.workflows.view` (what a map shows, the HTML map),
:mod:`~tcm_coverage.workflows.mapview` (the view and layers every map draws),
:mod:`~tcm_coverage.workflows.plates` (print plates), :mod:`~tcm_coverage.workflows.documents`
(reports), :mod:`~tcm_coverage.workflows.scorecards`, :mod:`~tcm_coverage.workflows.pages` (the
documents of a run), :mod:`~tcm_coverage.workflows.drawer` (a second process drawing them),
:mod:`~tcm_coverage.workflows.write` (all outputs),
:mod:`~tcm_coverage.workflows.rendered` (what a redraw reuses of what the run drew: plate, maps,
documents),
:mod:`~tcm_coverage.workflows.store` (what a run's outputs are drawn from, kept in ``RUN/store/``),
:mod:`~tcm_coverage.workflows.redraw` (``map``/``report``/``score`` from the store, nothing routed),
:mod:`~tcm_coverage.workflows.recompute` (what a redraw must compute: a mode the run lacks, or the
whole run),
:mod:`~tcm_coverage.workflows.scenario_file` (the scenario format and its loader),
:mod:`~tcm_coverage.workflows.scenario_run` (solving a scenario),
:mod:`~tcm_coverage.workflows.scenario_plan` (its township quotas and ranked plan),
:mod:`~tcm_coverage.workflows.scenario_map` and :mod:`~tcm_coverage.workflows.scenario_write`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tcm_coverage._lazy import lazy_face

if TYPE_CHECKING:  # the names below, for type checkers and editors (imported on first use)
    from tcm_coverage.workflows.config import (
        AnalysisConfig,
        ComputeOptions,
        InputFiles,
        Rendering,
        check_config,
        input_files,
        load_config,
        validate_config,
    )
    from tcm_coverage.workflows.documents import (
        ReportParts,
        report_parts,
        write_docx_reports,
        write_reports,
    )
    from tcm_coverage.workflows.pages import write_documents, write_print_documents
    from tcm_coverage.workflows.pipeline import compute, compute_from_inputs, run_analysis
    from tcm_coverage.workflows.plates import build_print_map, plate_images, write_print
    from tcm_coverage.workflows.recompute import complete_run
    from tcm_coverage.workflows.redraw import (
        DOCUMENT_TABLES,
        MAP_TABLES,
        REPORT_TABLES,
        Redraw,
        missing_modes,
        redraw_run,
    )
    from tcm_coverage.workflows.rendered import reusable_documents, reusable_file, reused_map_page
    from tcm_coverage.workflows.run import AnalysisRun, RunInputs
    from tcm_coverage.workflows.scenario_file import MODELS, Scenario, load_scenario
    from tcm_coverage.workflows.scenario_map import scenario_map
    from tcm_coverage.workflows.scenario_run import ScenarioResult, compare_scenarios, run_scenario
    from tcm_coverage.workflows.scenario_write import run_scenarios, write_scenario
    from tcm_coverage.workflows.scorecards import write_scorecards
    from tcm_coverage.workflows.store import (
        STORE_DIR,
        STORE_FORMAT,
        load_run,
        save_run,
        scorecards_of,
    )
    from tcm_coverage.workflows.texts import (
        access_notes,
        facility_notes,
        headline_numbers,
        readme_rows,
        source_lines,
        summary_text,
    )
    from tcm_coverage.workflows.view import build_map
    from tcm_coverage.workflows.write import write_geodata, write_outputs

__all__ = [
    "DOCUMENT_TABLES",
    "MAP_TABLES",
    "REPORT_TABLES",
    "MODELS",
    "STORE_DIR",
    "STORE_FORMAT",
    "AnalysisConfig",
    "AnalysisRun",
    "ComputeOptions",
    "InputFiles",
    "Redraw",
    "Rendering",
    "ReportParts",
    "RunInputs",
    "Scenario",
    "ScenarioResult",
    "access_notes",
    "build_map",
    "build_print_map",
    "check_config",
    "compare_scenarios",
    "complete_run",
    "compute",
    "compute_from_inputs",
    "facility_notes",
    "headline_numbers",
    "input_files",
    "load_config",
    "load_run",
    "load_scenario",
    "missing_modes",
    "readme_rows",
    "redraw_run",
    "report_parts",
    "reusable_documents",
    "reusable_file",
    "reused_map_page",
    "run_analysis",
    "run_scenario",
    "run_scenarios",
    "save_run",
    "scenario_map",
    "scorecards_of",
    "source_lines",
    "summary_text",
    "validate_config",
    "write_geodata",
    "write_documents",
    "write_outputs",
    "plate_images",
    "write_docx_reports",
    "write_print",
    "write_print_documents",
    "write_reports",
    "write_scenario",
    "write_scorecards",
]

lazy_face(__name__)
