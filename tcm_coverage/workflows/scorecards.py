"""The scorecards of a run (``scorecard.xlsx``/``.html``), apart from the reports
(:mod:`~tcm_coverage.workflows.documents`, which import python-docx) so that the process writing
the tables writes them too, importing no report renderer (:mod:`~tcm_coverage.workflows.drawer`)."""

from __future__ import annotations

from pathlib import Path

from tcm_coverage.outputs import write_scorecard
from tcm_coverage.workflows.config import AnalysisConfig
from tcm_coverage.workflows.run import AnalysisRun

__all__ = ["write_scorecards"]


def write_scorecards(run: AnalysisRun, config: AnalysisConfig, out_dir: Path) -> list[Path]:
    """Write ``scorecard.xlsx``/``.html`` (``scorecard_<profile>.*`` with several profiles).

    Parameters
    ----------
    run
        A computed run with :attr:`AnalysisRun.scorecards`.
    config
        Its configuration.
    out_dir
        Destination folder.

    Returns
    -------
    list of pathlib.Path
    """
    files: list[Path] = []
    for name, card in run.scorecards.items():
        stem = "scorecard" if len(run.scorecards) == 1 else f"scorecard_{name}"
        files += write_scorecard(card, out_dir, config.rendering.lang, stem=stem)
    return files
