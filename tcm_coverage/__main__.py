"""``python -m tcm_coverage`` runs the ``tcm-coverage`` command (through a warm server when one
runs: :mod:`tcm_coverage.cli.client`)."""

from tcm_coverage.cli.client import run

run()
