"""``python -m tcm_coverage.batch``: see :func:`tcm_coverage.batch.command.main`."""

from tcm_coverage.batch.command import main

raise SystemExit(main())
