"""The ``tcm-coverage`` command: sub-commands and the option groups they share.

:func:`main` is the console entry point."""

from tcm_coverage.cli.main import main

__all__ = ["main"]
