"""``python -m tcm_coverage.batch``: see :func:`tcm_coverage.batch.driver.main`."""

from tcm_coverage.batch.driver import main

raise SystemExit(main())
