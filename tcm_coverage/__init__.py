"""tcm-coverage: 15-minute traditional Chinese medicine service coverage for Chinese counties.

The API a notebook uses, in the order of the data flow (each name is imported on first use, so
``import tcm_coverage`` is instant and ``tcm-coverage --help`` loads no routing stack):

=====================  =========================================================================
read the inputs        :func:`read_facilities`, :func:`read_boundaries`, :func:`read_population`,
                       :func:`read_network`, :func:`load_profile`, :func:`demo_inputs`,
                       :func:`demo_data_dir`; slopes: :func:`read_dem`, :func:`with_elevation`
travel times           :func:`compute_access` (:class:`AccessOptions`, :class:`IsochroneOptions`)
                       → :class:`AccessResult`
coverage               :func:`coverage_tables` → :class:`CoverageTables`, :func:`network_fca`
                       (floating catchments)
outputs                :func:`coverage_map` (of :class:`MapLayers`, :class:`MapOptions`),
                       :func:`scorecard` → :class:`Scorecard`
whole runs             :class:`AnalysisConfig`, :func:`run_analysis`, :func:`load_scenario`,
                       :func:`run_scenario`, :func:`summary_text`
errors                 :class:`TCMCoverageError` and its :class:`InputError`, :class:`CRSError`,
                       :class:`NetworkError`, :class:`OutputError`
=====================  =========================================================================

The folders below are the layers of the flow (``inputs → network → access → siting → outputs →
workflows → cli/batch``); ``docs/design.md`` says what each owns.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from tcm_coverage._errors import CRSError, InputError, NetworkError, OutputError, TCMCoverageError
from tcm_coverage._version import __version__

if TYPE_CHECKING:  # the lazily imported names, for type checkers and editors
    from tcm_coverage.access import (
        AccessOptions,
        AccessResult,
        CoverageTables,
        IsochroneOptions,
        compute_access,
        coverage_tables,
        network_fca,
    )
    from tcm_coverage.demo import demo_data_dir, demo_inputs
    from tcm_coverage.inputs import (
        load_profile,
        read_boundaries,
        read_facilities,
        read_population,
    )
    from tcm_coverage.network import read_dem, read_network, with_elevation
    from tcm_coverage.outputs import MapLayers, MapOptions, Scorecard, coverage_map, scorecard
    from tcm_coverage.workflows import (
        AnalysisConfig,
        load_scenario,
        run_analysis,
        run_scenario,
        summary_text,
    )

#: Where each lazily imported name lives.
_LAZY: dict[str, str] = {
    "read_facilities": "tcm_coverage.inputs",
    "read_boundaries": "tcm_coverage.inputs",
    "read_population": "tcm_coverage.inputs",
    "load_profile": "tcm_coverage.inputs",
    "read_network": "tcm_coverage.network",
    "read_dem": "tcm_coverage.network",
    "with_elevation": "tcm_coverage.network",
    "demo_inputs": "tcm_coverage.demo",
    "demo_data_dir": "tcm_coverage.demo",
    "AccessOptions": "tcm_coverage.access",
    "AccessResult": "tcm_coverage.access",
    "IsochroneOptions": "tcm_coverage.access",
    "compute_access": "tcm_coverage.access",
    "coverage_tables": "tcm_coverage.access",
    "CoverageTables": "tcm_coverage.access",
    "network_fca": "tcm_coverage.access",
    "MapLayers": "tcm_coverage.outputs",
    "MapOptions": "tcm_coverage.outputs",
    "coverage_map": "tcm_coverage.outputs",
    "Scorecard": "tcm_coverage.outputs",
    "scorecard": "tcm_coverage.outputs",
    "AnalysisConfig": "tcm_coverage.workflows",
    "run_analysis": "tcm_coverage.workflows",
    "load_scenario": "tcm_coverage.workflows",
    "run_scenario": "tcm_coverage.workflows",
    "summary_text": "tcm_coverage.workflows",
}

__all__ = [
    "AccessOptions",
    "AccessResult",
    "AnalysisConfig",
    "CRSError",
    "CoverageTables",
    "InputError",
    "IsochroneOptions",
    "MapLayers",
    "MapOptions",
    "NetworkError",
    "OutputError",
    "Scorecard",
    "TCMCoverageError",
    "__version__",
    "compute_access",
    "coverage_map",
    "coverage_tables",
    "demo_data_dir",
    "demo_inputs",
    "load_profile",
    "load_scenario",
    "network_fca",
    "read_boundaries",
    "read_dem",
    "read_facilities",
    "read_network",
    "read_population",
    "run_analysis",
    "run_scenario",
    "scorecard",
    "summary_text",
    "with_elevation",
]


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'tcm_coverage' has no attribute {name!r}") from None
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
