"""Whole runs: the analysis pipeline (config → run → outputs) and scenario files for site selection.

Modules: :mod:`~tcm_coverage.workflows.pipeline`, :mod:`~tcm_coverage.workflows.scenario`.
"""

from tcm_coverage.workflows.pipeline import (
    AnalysisConfig,
    AnalysisRun,
    access_notes,
    build_map,
    compute,
    compute_from_inputs,
    facility_notes,
    headline_numbers,
    input_files,
    load_config,
    run_analysis,
    source_lines,
    summary_text,
    validate_config,
    write_outputs,
    write_reports,
    write_scorecards,
)
from tcm_coverage.workflows.scenario import (
    MODELS,
    Scenario,
    ScenarioResult,
    compare_scenarios,
    load_scenario,
    run_scenario,
    run_scenarios,
    write_scenario,
)

__all__ = [
    "AnalysisConfig",
    "AnalysisRun",
    "MODELS",
    "Scenario",
    "ScenarioResult",
    "access_notes",
    "build_map",
    "compare_scenarios",
    "compute",
    "compute_from_inputs",
    "facility_notes",
    "headline_numbers",
    "input_files",
    "load_config",
    "load_scenario",
    "run_analysis",
    "run_scenario",
    "run_scenarios",
    "source_lines",
    "summary_text",
    "validate_config",
    "write_outputs",
    "write_reports",
    "write_scenario",
    "write_scorecards",
]
