"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Real test data live next to the repository, in ../shared/data (see its README.md).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """Folder of real test data (``../shared/data``); the test is skipped when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_computed(tmp_path_factory):
    """The demo county computed once (walk and e-bike, 10 and 15 min), nothing written."""
    from tcm_coverage.demo import DEMO_SOURCES, demo_inputs
    from tcm_coverage.workflows import AnalysisConfig, compute

    config = AnalysisConfig.from_options(
        **demo_inputs(), out_dir=tmp_path_factory.mktemp("demo_out"),
        modes=("walk", "ebike"), thresholds=(10.0, 15.0), sources=DEMO_SOURCES["zh"],
    )
    return compute(config, progress=False), config


@pytest.fixture(autouse=True)
def _fresh_tcm_coverage_logger():
    """Each test starts with the package logger as a library leaves it (the CLI, run in-process
    by some tests, sets a level and stops propagation, which would hide records from caplog)."""
    import logging

    log = logging.getLogger("tcm_coverage")
    saved = (log.level, log.propagate, list(log.handlers))
    log.setLevel(logging.NOTSET)
    log.propagate = True
    log.handlers[:] = []
    yield
    log.setLevel(saved[0])
    log.propagate = saved[1]
    log.handlers[:] = saved[2]
