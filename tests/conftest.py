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
