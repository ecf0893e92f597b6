"""Writing scenarios: one folder per scenario (sites, before/after tables, map, a copy of the
file, ``result.json``) and, for several, the comparison table; all or nothing."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage._io import atomic_output_dir, check_output_dir, file_sha256
from tcm_coverage._safetext import write_csv
from tcm_coverage._xlsx import Sheet, write_workbook
from tcm_coverage.i18n import CATALOGUE, MODE_LABELS, text
from tcm_coverage.outputs import save_map
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.scenario_file import Scenario, load_scenario
from tcm_coverage.workflows.scenario_map import scenario_map
from tcm_coverage.workflows.scenario_run import (
    ScenarioResult,
    compare_scenarios,
    run_scenario,
    scenario_run,
)

logger = logging.getLogger(__name__)

__all__ = ["run_scenarios", "scenario_inputs", "write_scenario"]

#: Columns of the 选址 (sites) sheet, in order.
_SITE_COLUMNS = ("candidate_id", "name", "kind", "township_name", "newly_covered", "only_this_site",
                 "cost", "population", "lon", "lat", "source", "facility_id")


def _localize(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Candidate kinds, modes and column names in ``lang`` (unknown ones as they are)."""
    out = frame.copy()
    if "kind" in out:
        out["kind"] = out["kind"].map(
            lambda k: text(f"workflows.scenario.kind.{k}", lang)
            if f"workflows.scenario.kind.{k}" in CATALOGUE else k)
    if "mode" in out:
        out["mode"] = out["mode"].map(lambda m: MODE_LABELS.get(m, {}).get(lang, m))
    return out.rename(columns={c: text(f"workflows.scenario.column.{c}", lang) for c in out.columns
                               if f"workflows.scenario.column.{c}" in CATALOGUE})


def scenario_inputs(scn: Scenario) -> dict[str, Path | None]:
    """The files a scenario reads (none may lie in its output folder).

    Parameters
    ----------
    scn
        The scenario.

    Returns
    -------
    dict
        Label -> file (``None`` when not given).
    """
    inputs = scn.config.inputs
    return {"scenario": scn.path, "facilities": inputs.facilities,
            "boundary": inputs.boundary, "townships": inputs.townships,
            "population": inputs.population, "network": inputs.network,
            "villages": scn.villages, "overrides": scn.overrides}


def _write_workbook(sr: ScenarioResult, out_dir: Path) -> None:
    """``sites.xlsx``: the chosen sites, before/after per township, every candidate, the summary
    and, with ``[plan]``, the upgrade order."""
    lang = sr.scenario.lang
    sites = sr.sites[[c for c in _SITE_COLUMNS if c in sr.sites]]
    cands = sr.candidates.drop(columns="geometry").assign(
        lon=sr.candidates.geometry.x.round(6), lat=sr.candidates.geometry.y.round(6))
    sheets = [(sites, "workflows.scenario.sheet.sites"),
              (sr.townships, "workflows.scenario.sheet.townships"),
              (cands, "workflows.scenario.sheet.candidates"),
              (pd.DataFrame([sr.summary]), "workflows.scenario.sheet.summary")]
    if sr.order is not None:
        sheets.append((sr.order, "workflows.scenario.sheet.order"))
    write_workbook(out_dir / "sites.xlsx", [Sheet(name=text(key, lang), frame=_localize(frame, lang))
                                            for frame, key in sheets])


def _result_record(sr: ScenarioResult) -> dict:
    """``result.json``: summary, solver messages and bounds, timings and input hashes."""
    scn, res = sr.scenario, sr.result
    inputs = scn.config.inputs
    return {
        "summary": sr.summary, "messages": list(res.messages), "seconds": sr.seconds,
        "reduction": res.reduction.summary() if res.reduction is not None else None,
        "bound": res.bound, "greedy_objective": res.greedy_objective, "objective": res.objective,
        "upgrade_order": None if sr.order is None else sr.order.to_dict(orient="records"),
        "inputs": {k: {"path": str(v), "sha256": file_sha256(v)} for k, v in
                   (("scenario", scn.path), ("facilities", inputs.facilities),
                    ("population", inputs.population), ("network", inputs.network),
                    ("villages", scn.villages), ("overrides", scn.overrides)) if v is not None},
    }


def write_scenario(sr: ScenarioResult, out_dir: Path) -> list[Path]:
    """Write one scenario's outputs into ``out_dir`` (atomically).

    ``sites.gpkg`` and ``sites.xlsx`` (the chosen sites with reasons; the xlsx also lists every
    candidate and the before/after coverage per township), ``townships.csv``, ``map.html``
    (after the plan, new area and chosen sites highlighted), ``scenario.toml`` (a copy) and
    ``result.json`` (solver status, gap, timings, input hashes).

    Parameters
    ----------
    sr
        From :func:`~tcm_coverage.workflows.scenario_run.run_scenario`.
    out_dir
        Destination folder.

    Returns
    -------
    list of pathlib.Path
    """
    scn = sr.scenario
    with atomic_output_dir(out_dir, kind="scenario", inputs=scenario_inputs(scn)) as tmp:
        gpkg = sr.sites.drop(columns=[c for c in ("force", "exclude") if c in sr.sites]).copy()
        gpkg.to_file(tmp / "sites.gpkg", layer="sites", driver="GPKG")
        _write_workbook(sr, tmp)
        write_csv(_localize(sr.townships, scn.lang), tmp / "townships.csv")
        save_map(scenario_map(sr), tmp / "map.html", self_contained=scn.self_contained)
        shutil.copyfile(scn.path, tmp / "scenario.toml")
        (tmp / "result.json").write_text(json.dumps(_result_record(sr), ensure_ascii=False, indent=2,
                                                    default=str), encoding="utf-8")
        names = sorted(p.name for p in tmp.iterdir())
    return [Path(out_dir) / n for n in names]


def _load_all(paths: Sequence[str | Path], data_dir: Path | None) -> list[Scenario]:
    """Every scenario file validated, their names distinct."""
    scenarios = [load_scenario(p, data_dir=data_dir) for p in paths]
    names = [s.name for s in scenarios]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"several scenarios are named {dupes[0]!r}", path=scenarios[0].path,
                         fix="give each scenario its own [scenario].name")
    return scenarios


def run_scenarios(paths: Sequence[str | Path], out_dir: str | Path, *, progress: bool = True,
                  data_dir: Path | None = None) -> list[ScenarioResult]:
    """Load, run and write several scenarios, then ``comparison.csv``/``comparison.xlsx``.

    Scenarios on the same inputs, mode and threshold share one coverage run. Every scenario
    file is validated before anything is computed.

    Parameters
    ----------
    paths
        Scenario files.
    out_dir
        Output folder; each scenario writes into ``out_dir/<name>/``. The folder is one
        result, replaced as a whole when every scenario is solved and written (see
        :func:`tcm_coverage._io.atomic_output_dir`): scenarios of an earlier run that are
        not in this one are not kept.
    progress
        Show progress bars.
    data_dir
        Demo data folder (see :func:`~tcm_coverage.workflows.scenario_file.load_scenario`).

    Returns
    -------
    list of ScenarioResult
    """
    scenarios = _load_all(paths, data_dir)
    out = Path(out_dir)
    inputs = {f"{scn.name} {label}": path for scn in scenarios
              for label, path in scenario_inputs(scn).items()}
    check_output_dir(out, inputs=inputs)  # before any solving
    runs: dict[str, AnalysisRun] = {}
    results = []
    for scn in scenarios:
        key = json.dumps({k: str(v) for k, v in scn.config.settings().items()
                          if k not in ("out_dir", "lang")}, sort_keys=True)
        if key not in runs:
            runs[key] = scenario_run(scn, progress=progress)
        logger.info("scenario %s: solving %s", scn.name, scn.model)
        results.append(run_scenario(scn, run=runs[key], progress=progress))
    lang = scenarios[0].lang if scenarios else "zh"
    table = _localize(compare_scenarios(results), lang)
    # one result folder for the whole run: every scenario and the comparison, swapped at once
    with atomic_output_dir(out, kind="scenarios", inputs=inputs) as tmp:
        for sr in results:
            write_scenario(sr, tmp / sr.scenario.name)
        write_csv(table, tmp / "comparison.csv")
        write_workbook(tmp / "comparison.xlsx",
                       [Sheet(name=text("workflows.scenario.sheet.comparison", lang), frame=table)])
    return results
