"""tcm-coverage: 15-minute traditional Chinese medicine service coverage for Chinese counties."""

from tcm_coverage._errors import CRSError, InputError, NetworkError, OutputError, TCMCoverageError

__version__ = "0.1.0"

__all__ = [
    "CRSError",
    "InputError",
    "NetworkError",
    "OutputError",
    "TCMCoverageError",
    "__version__",
]
