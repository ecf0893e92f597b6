"""Synthetic data generators used by the tests and benchmarks (not part of an analysis).

Modules: :mod:`~tcm_coverage.testing.province`.
"""

from tcm_coverage.testing.province import (
    SyntheticProvince,
    make_synthetic_province,
)

__all__ = [
    "SyntheticProvince",
    "make_synthetic_province",
]
