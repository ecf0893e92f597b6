"""The ``tcm-coverage`` command: sub-commands and the option groups they share.

:func:`main` runs a command in this process; the console entry point is
:func:`tcm_coverage.cli.client.main`, which first offers the command to a warm server
(``tcm-coverage server start``, :mod:`tcm_coverage.cli.server`). The face is lazy
(:mod:`tcm_coverage._lazy`) so the client imports only the standard library."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tcm_coverage._lazy import lazy_face

if TYPE_CHECKING:
    from tcm_coverage.cli.main import main

__all__ = ["main"]
lazy_face(__name__)
