"""``python -m tcm_coverage`` runs the ``tcm-coverage`` command."""

from tcm_coverage.cli.main import main

raise SystemExit(main())
