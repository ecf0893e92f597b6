"""The words of a run for people: the 说明 (readme) rows, notes on the facility table and the
routing, data-source lines, the ``run.json`` headline numbers and the terminal summary.

Every text comes from the ``workflows`` section of :mod:`tcm_coverage.i18n`.

Why this module is long: it is every sentence a run writes about itself (the 说明 rows,
the report notes, the terminal summary, the headline numbers) across the topics a run now
covers (facility sets, routing, slopes, capacity, residents 65+, functional points, the
sensitivity band); the words themselves are in :mod:`tcm_coverage.i18n`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tcm_coverage._version import __version__
from tcm_coverage.access import (
    AccessResult,
    CapacityServed,
    CoverageTables,
    facility_set_masks,
    no_data_facility_sets,
    sensitivity_band,
    unknown_flags,
)
from tcm_coverage.i18n import (
    FACILITY_SET_DEFINITIONS,
    FACILITY_SET_LABELS,
    MODE_LABELS,
    source_text,
    text,
)
from tcm_coverage.inputs import FunctionalRule, flag_values, functional_status
from tcm_coverage.network import CLIMB_RULES, get_profile
from tcm_coverage.vocab import (
    HEADLINE_FACILITY_SET,
    MIN_COMPONENT_M,
    POPULATION_65PLUS,
    RESIDENTS_PER_TCM_PHYSICIAN,
    capacity_share_column,
    elderly_column,
    share_column,
)
from tcm_coverage.workflows.config import AnalysisConfig
from tcm_coverage.workflows.run import AnalysisRun

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["access_notes", "capacity_notes", "decision_numbers", "elderly_note", "facility_notes",
           "functional_note", "headline_numbers", "readme_rows", "slope_notes", "source_lines",
           "summary_text"]

def _routing_rule_rows(config: AnalysisConfig) -> list[tuple[str, str]]:
    """说明 rows stating the off-road, snapping and access rules the travel times used."""
    lang, d = config.rendering.lang, config.options.direct_offroad_m
    direct = (text("workflows.rule.direct_text", lang, metres=d) if d > 0
              else text("workflows.rule.no_direct", lang))
    return [
        (text("workflows.rule.direct", lang), direct),
        (text("workflows.rule.attach", lang),
         text("workflows.rule.attach_text", lang, km=MIN_COMPONENT_M / 1000)),
        (text("workflows.rule.access", lang), text("workflows.rule.access_text", lang)),
    ]


def _slope_rows(config: AnalysisConfig, access: AccessResult) -> list[tuple[str, str]]:
    """The 说明 row saying whether slopes were used (``--dem``) and the network's grades."""
    lang = config.rendering.lang
    if config.inputs.dem is None:
        return [(text("workflows.rule.slopes", lang), text("workflows.rule.no_slopes", lang))]
    grades = [s for s in access.networks.values() if "grade_mean_pct" in s]
    first = grades[0] if grades else {}
    def pct(key: str) -> str:
        return f"{first[key]:.1f}%" if key in first else text("workflows.none", lang)
    km_flat = f"{first['km_without_elevation']:.1f} km" if first else text("workflows.none", lang)
    return [(text("workflows.rule.slopes", lang),
             text("workflows.rule.slopes_text", lang, mean=pct("grade_mean_pct"),
                  max=pct("grade_max_pct"), km_flat=km_flat,
                  bike_k=CLIMB_RULES["bicycle"].kmh_per_pct, bike_min=CLIMB_RULES["bicycle"].min_kmh,
                  ebike_k=CLIMB_RULES["ebike"].kmh_per_pct, ebike_min=CLIMB_RULES["ebike"].min_kmh))]


def slope_notes(config: AnalysisConfig, access: AccessResult) -> list[str]:
    """The report note saying that slopes were used (``--dem``), and how; none without a DEM."""
    if config.inputs.dem is None:
        return []
    return [text("workflows.source.line", config.rendering.lang, label=label, name=value)
            for label, value in _slope_rows(config, access)]


def _facility_set_rows(config: AnalysisConfig, access: AccessResult,
                       functional: FunctionalRule | None) -> list[tuple[str, str]]:
    """One 说明 row per facility set: what it holds and how many facilities."""
    lang = config.rendering.lang
    include_other = config.options.include_other
    masks = facility_set_masks(access.facilities, include_other=include_other, functional=functional)
    rows = []
    for facility_set in access.facility_sets:
        definition = FACILITY_SET_DEFINITIONS[facility_set][lang]
        if facility_set == HEADLINE_FACILITY_SET and include_other:
            definition += text("workflows.readme.include_other", lang)
        rows.append((text("workflows.readme.facility_set", lang,
                          label=FACILITY_SET_LABELS[facility_set][lang]),
                     text("workflows.readme.facility_set_text", lang, definition=definition,
                          count=int(masks[facility_set].sum()))))
    return rows


def _unknown_rows(config: AnalysisConfig, access: AccessResult) -> list[tuple[str, str]]:
    lang = config.rendering.lang
    unknown = int(unknown_flags(access.facilities).sum())
    return [(text("workflows.readme.unknown", lang), text("workflows.readme.unknown_text", lang)),
            (text("workflows.readme.unknown_count", lang), str(unknown))]


def capacity_notes(config: AnalysisConfig, capacity: CapacityServed | None) -> list[str]:
    """How the capacity-aware coverage was computed (nothing when it was not).

    Parameters
    ----------
    config
        The run's configuration.
    capacity
        :attr:`AnalysisRun.capacity`.

    Returns
    -------
    list of str
    """
    if capacity is None:
        return []
    lang, norm = config.rendering.lang, capacity.rule.residents_per_staff
    source = text("workflows.capacity.norm_source" if norm == RESIDENTS_PER_TCM_PHYSICIAN
                  else "workflows.capacity.norm_given", lang)
    notes = [text("workflows.capacity.rule", lang, norm=norm, source=source, known=capacity.n_known,
                  points=capacity.n_points, thr=f"{config.options.headline_threshold:g}")]
    if capacity.n_unknown:
        notes.append(text("workflows.capacity.unknown", lang, unknown=capacity.n_unknown))
    return notes


def readme_rows(config: AnalysisConfig, access: AccessResult, today: str, *,
                functional: FunctionalRule | None = None) -> list[tuple[str, str]]:
    """The rows of the 说明 (readme) sheet of ``coverage.xlsx``.

    Parameters
    ----------
    config
        The run's configuration.
    access
        Its travel times.
    today
        The run date (ISO).
    functional
        The run's functional rule (:attr:`AnalysisRun.functional_rule`): the facility counts
        of the sets follow it.

    Returns
    -------
    list of (label, value)
    """
    lang, opts = config.rendering.lang, config.options
    sep = text("workflows.sep", lang)
    offroad = sep.join(
        f"{MODE_LABELS[m][lang]} {get_profile(m, offroad_kmh=opts.offroad_kmh.get(m)).offroad_kmh:g} km/h"
        for m in opts.modes)
    rows = [
        (text("workflows.readme.date", lang), today),
        (text("workflows.readme.software", lang), f"tcm-coverage {__version__}"),
        (text("workflows.readme.modes", lang), sep.join(MODE_LABELS[m][lang] for m in opts.modes)),
        (text("workflows.readme.thresholds", lang), ", ".join(f"{t:g}" for t in opts.thresholds)),
        (text("workflows.readme.direction", lang),
         text("workflows.readme.direction_text", lang, offroad=offroad)),
        *_routing_rule_rows(config),
        *_slope_rows(config, access),
    ]
    files = config.inputs.files()
    rows += [(text(f"workflows.readme.file.{name}", lang), Path(p).name)
             for name, p in files.items() if p is not None]
    rows += _facility_set_rows(config, access, functional)
    rows += _unknown_rows(config, access)
    rows += [(text("workflows.readme.note", lang), w) for w in access_notes(config, access)]
    return rows


def elderly_note(config: AnalysisConfig, elderly: gpd.GeoDataFrame | None) -> tuple[str, str]:
    """The 说明 row on residents 65+: where they come from and how they walk, or 无数据.

    Parameters
    ----------
    config
        The run's configuration.
    elderly
        :attr:`AnalysisRun.elderly` (``None``: the run has none).

    Returns
    -------
    (label, value)
    """
    lang = config.rendering.lang
    if elderly is None:
        return text("workflows.readme.elderly", lang), text("workflows.readme.elderly_none", lang)
    path = config.inputs.population_65plus or config.inputs.population
    return text("workflows.readme.elderly", lang), text(
        "workflows.readme.elderly_value", lang, source=Path(path).name,
        population=float(elderly["population"].sum()))


def functional_note(config: AnalysisConfig, facilities: gpd.GeoDataFrame,
                    rule: FunctionalRule | None, *, profile: str | None = None) -> tuple[str, str]:
    """The 说明 row saying which rule counted a 中医馆/中医阁, and how many it left out.

    Parameters
    ----------
    config
        The run's configuration.
    facilities
        The facilities of the run.
    rule
        :attr:`AnalysisRun.functional_rule` (``None``: the flags alone).
    profile
        The profile whose ``functional_rule`` it is (``None``: ``--functional-only``).

    Returns
    -------
    (label, value)
    """
    lang = config.rendering.lang
    label = text("workflows.readme.functional", lang)
    if rule is None:
        return label, text("workflows.readme.functional_flags", lang)
    tier = facilities["tier"].to_numpy()
    flagged = (((tier == "township_centre") & flag_values(facilities, "zhongyiguan")[0])
               | ((tier == "village_station") & flag_values(facilities, "zhongyige")[0]))
    yes, unknown = functional_status(facilities, rule)
    counted, maybe = int((flagged & yes).sum()), int((flagged & unknown).sum())
    source = (text("workflows.readme.functional_option", lang) if profile is None
              else text("workflows.readme.functional_profile", lang, name=profile))
    return label, text("workflows.readme.functional_rule", lang, source=source, staff=rule.staff,
                       types=rule.types, techniques=rule.techniques, flagged=int(flagged.sum()),
                       counted=counted, failed=int(flagged.sum()) - counted - maybe, unknown=maybe,
                       upper=counted + maybe)


def access_notes(config: AnalysisConfig, access: AccessResult) -> list[str]:
    """The routing warnings of a run in its language, less "no facility counts as 中医馆"
    when that is because every 中医馆 (中医阁) flag is unknown (:func:`facility_notes` says so).

    Parameters
    ----------
    config
        The run's configuration.
    access
        Its travel times.

    Returns
    -------
    list of str
    """
    lang = config.rendering.lang
    notes = list(access.warnings_zh if lang == "zh" else access.warnings)
    # the very "no facility" warning of access/compute, from the one catalogue entry (it names a
    # set by its Chinese label in zh, by its machine name in en)
    dropped = {text("access.no_facility", lang,
                    facility_set=FACILITY_SET_LABELS[s]["zh"] if lang == "zh" else s)
               for s in no_data_facility_sets(access.facilities)}
    return [n for n in notes if n not in dropped]


def _unknown_flag_note(facilities: gpd.GeoDataFrame, lang: str) -> str | None:
    tier = facilities["tier"].to_numpy()
    unknown = unknown_flags(facilities)
    if not unknown.any():
        return None
    return text("workflows.note.unknown_flags", lang,
                centres=int((unknown & (tier == "township_centre")).sum()),
                stations=int((unknown & (tier == "village_station")).sum()))


def _review_note(review: pd.DataFrame, lang: str) -> str:
    left = review[review["action"] == "excluded"]
    by_rule = left["rule_id"].value_counts().sort_index()
    parts = text("workflows.sep", lang).join(f"{k} {v}" for k, v in by_rule.items())
    return text("workflows.note.review", lang, counted=int((review["action"] == "counted").sum()),
                left=len(left), parts=parts or text("workflows.none", lang),
                unrecognised=int((review["action"] == "unrecognised").sum()))


def facility_notes(config: AnalysisConfig, facilities: gpd.GeoDataFrame,
                   review: pd.DataFrame | None) -> list[str]:
    """Notes on what the facility table leaves unknown and how its types were found.

    Parameters
    ----------
    config
        The run's configuration (language).
    facilities
        The facilities of the run.
    review
        :attr:`AnalysisRun.facility_review` (``None`` for a typed table).

    Returns
    -------
    list of str
        In the run's language: the assumption behind the TCM service point coverage when some
        中医馆/中医阁 flags are unknown, missing staff and bed counts, and the rows of a POI
        export left out or not recognised.
    """
    lang = config.rendering.lang
    notes: list[str] = []
    unknown = _unknown_flag_note(facilities, lang)
    if unknown is not None:
        notes.append(unknown)
    missing = [text(f"workflows.note.missing.{col}", lang)
               for col in ("tcm_gps", "tcm_physicians", "beds")
               if col not in facilities or facilities[col].isna().all()]
    if missing:
        notes.append(text("workflows.note.missing", lang,
                          names=text("workflows.sep", lang).join(missing)))
    if review is not None:
        notes.append(_review_note(review, lang))
    return notes


def source_lines(config: AnalysisConfig) -> list[str]:
    """Data-source lines for the map and report: the configured ones (the demo's in the
    configuration's language, :func:`~tcm_coverage.i18n.source_text`), then the input files.

    Parameters
    ----------
    config
        The run's configuration.

    Returns
    -------
    list of str
    """
    lang = config.rendering.lang
    files = config.inputs.files()
    return [*(source_text(line, lang) for line in config.rendering.sources),
            *(text("workflows.source.line", lang, label=text(f"workflows.source.{name}", lang),
                   name=Path(p).name)
              for name, p in files.items() if p is not None)]


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a coverage table as ``{column: value}`` (the values of ``itertuples``)."""
    return [dict(zip(table.columns, row, strict=True)) for row in table.itertuples(index=False)]


def headline_numbers(tables: CoverageTables, config: AnalysisConfig) -> dict:
    """Per mode: county population, share within each threshold, mean and P90 minutes.

    Parameters
    ----------
    tables
        From :func:`tcm_coverage.access.coverage.coverage_tables`.
    config
        The run's configuration.

    Returns
    -------
    dict
        ``{mode: {county code: {...}}}``.
    """
    out: dict = {}
    for rec in _records(tables.county):
        entry = {"name": rec["name"], "population": round(float(rec["population"]), 0)}
        for t in config.options.thresholds:
            entry[share_column(t)] = round(float(rec[share_column(t)]), 4)
            upper = rec.get(share_column(t, upper=True))
            if upper is not None and pd.notna(upper):  # unknown 中医馆/中医阁 counted as yes
                entry[share_column(t, upper=True)] = round(float(upper), 4)
            for col in (capacity_share_column(t), capacity_share_column(t, upper=True)):
                value = rec.get(col)  # within capacity (access/capacity.py), when computed
                if value is not None and pd.notna(value):
                    entry[col] = round(float(value), 4)
        _elderly_entry(entry, rec, config.options.thresholds)
        entry["mean_min"] = round(float(rec["mean_min"]), 2)
        entry["p90_min"] = None if pd.isna(rec["p90_min"]) else round(float(rec["p90_min"]), 2)
        entry["unreachable_population"] = round(float(rec["unreachable_population"]), 0)
        out.setdefault(rec["mode"], {})[rec["code"]] = entry
    return out


def _elderly_entry(entry: dict, rec: Mapping, thresholds: Sequence[float]) -> None:
    """The residents-65+ numbers of a headline entry (none when the run has no 65+ layer)."""
    if POPULATION_65PLUS not in rec:
        return
    entry[POPULATION_65PLUS] = round(float(rec[POPULATION_65PLUS]), 0)
    for t in thresholds:
        for upper in (False, True):
            col = elderly_column(share_column(t, upper=upper))
            value = rec.get(col)
            if value is not None and pd.notna(value):
                entry[col] = round(float(value), 4)
            elif not upper:
                entry[col] = None  # no resident 65+ in the county: no data


def _county_elderly_line(rec: Mapping, config: AnalysisConfig) -> str:
    """The summary line under a county's: its residents 65+ ("" without them)."""
    lang, thr = config.rendering.lang, config.options.headline_threshold
    share = rec.get(elderly_column(share_column(thr)))
    if POPULATION_65PLUS not in rec or share is None or pd.isna(share):
        return ""
    upper = rec.get(elderly_column(share_column(thr, upper=True)))
    shown = (text("workflows.summary.bounded", lang, share=share, upper=upper)
             if upper is not None and pd.notna(upper) and round(upper, 3) != round(share, 3)
             else f"{share:.1%}")
    pace = text("workflows.summary.pace_65plus", lang) if rec["mode"] == "walk" else ""
    return "\n" + text("workflows.summary.county_65plus", lang, share=shown,
                       population=rec[POPULATION_65PLUS], pace=pace)


def _county_line(rec: Mapping, config: AnalysisConfig,
                 bands: Mapping[str, tuple[float, float, float]] | None = None) -> str:
    """One summary line: a county's headline coverage by one mode (with the sensitivity band
    for the headline mode)."""
    lang, thr = config.rendering.lang, config.options.headline_threshold
    share = rec[share_column(thr)]
    upper = rec.get(share_column(thr, upper=True))
    bounded = upper is not None and pd.notna(upper) and round(upper, 3) != round(share, 3)
    shown = (text("workflows.summary.bounded", lang, share=share, upper=upper) if bounded
             else f"{share:.1%}")
    within_capacity = rec.get(capacity_share_column(thr))
    band = (bands or {}).get(str(rec["code"])) if rec["mode"] == config.options.headline_mode else None
    if band is not None:
        shown += text("workflows.summary.band", lang, low=100 * band[1], high=100 * band[2])
    return text("workflows.summary.county", lang, name=rec["name"],
                mode=MODE_LABELS[rec["mode"]][lang], minutes=thr, share=shown,
                population=rec["population"],
                beyond=rec["population"] - rec[f"pop_within_{thr:g}"],
                beyond_note=text("workflows.summary.beyond_as_none", lang) if bounded else "",
                mean=rec["mean_min"],
                mean_note=text("workflows.summary.mean_as_none", lang) if bounded else "") + (
        text("workflows.capacity.summary", lang, share=within_capacity)
        if within_capacity is not None and pd.notna(within_capacity) else "")


def _lowest_townships(town: pd.DataFrame, config: AnalysisConfig) -> str:
    """The summary line naming the three townships of lowest headline coverage."""
    lang, opts = config.rendering.lang, config.options
    thr = opts.headline_threshold
    mode = opts.headline_mode
    sub = town[(town["mode"] == mode) & (town["population"] > 0)].sort_values(share_column(thr))

    def share_text(r: pd.Series) -> str:
        low, high = r[share_column(thr)], r.get(share_column(thr, upper=True))
        if high is not None and pd.notna(high) and round(high, 2) != round(low, 2):
            return f"{low:.0%}–{high:.0%}"
        return f"{low:.0%}"

    parts = [f"{r['name']} {share_text(r)}" for _, r in sub.head(3).iterrows()]
    return text("workflows.summary.lowest", lang, mode=MODE_LABELS[mode][lang]) + ", ".join(parts)


def summary_text(run: AnalysisRun, config: AnalysisConfig) -> str:
    """A short plain-text coverage summary for the terminal.

    Parameters
    ----------
    run
        From :func:`~tcm_coverage.workflows.pipeline.run_analysis`.
    config
        The run's configuration.

    Returns
    -------
    str
    """
    bands = sensitivity_band(run.sensitivity)
    lines = [_county_line(rec, config, bands) + _county_elderly_line(rec, config)
             for rec in _records(run.tables.county)]
    if run.tables.township is not None:
        lines.append(_lowest_townships(run.tables.township, config))
    referral = run.referral_township
    if referral is not None:
        lines += [text("workflows.summary.referral", config.rendering.lang, name=r["name"],
                       minutes=config.options.referral_minutes, share=r["share_within_referral"])
                  for r in _records(referral[referral["level"] == "county"])
                  if pd.notna(r["share_within_referral"])]
    lines.append(text("workflows.summary.outputs", config.rendering.lang) + str(Path(config.out_dir)))
    return "\n".join(lines)


# --- run.json: the referral chain, fairness and sensitivity numbers (issue 15) ---
def _json_number(v: object, digits: int) -> float | None:
    """A rounded number for run.json; ``None`` for no data (NaN) and unreachable (inf)."""
    if v is None or pd.isna(v):  # type: ignore[call-overload]
        return None
    x = float(v)  # type: ignore[arg-type]
    return round(x, digits) if math.isfinite(x) else None


def decision_numbers(run: AnalysisRun, config: AnalysisConfig) -> dict[str, Any]:
    """The ``referral``, ``fairness`` and ``sensitivity`` entries of ``run.json``, per county.

    Parameters
    ----------
    run
        A computed run.
    config
        Its configuration.

    Returns
    -------
    dict
        ``referral``: ``{code: {minutes, share_within, pop_within, population}}``; ``fairness``:
        ``{code: {gini, urban_share_within, rural_share_within, gap_share_within,
        uncovered_share_worst3, worst_townships, unreachable_population, gini_unreached}}``;
        ``sensitivity``: ``{code: {headline, low, high, mode, threshold, variations: [...]}}``.
        ``null`` is no data.
    """
    out: dict[str, Any] = {}
    opts = config.options
    if run.referral_township is not None:
        county = run.referral_township[run.referral_township["level"] == "county"]
        out["referral"] = {str(r["code"]): {"minutes": opts.referral_minutes, "mode": "car",
                                            "share_within": _json_number(r["share_within_referral"], 4),
                                            "pop_within": _json_number(r["pop_within_referral"], 0),
                                            "population": _json_number(r["population"], 0)}
                           for r in _records(county)}
    if run.fairness is not None:
        county = run.fairness[run.fairness["level"] == "county"]
        keys = ("gini", "urban_share_within", "rural_share_within", "gap_share_within", "uncovered_share_worst3")
        out["fairness"] = {str(r["code"]): {**{k: _json_number(r.get(k), 4) for k in keys},
                                            "worst_townships": r.get("worst_townships") or None,
                                            "unreachable_population": _json_number(r["unreachable_population"], 0),
                                            "gini_unreached": "left out, counted in unreachable_population"}
                           for r in _records(county)}
    if run.sensitivity is not None:
        bands = sensitivity_band(run.sensitivity)
        out["sensitivity"] = {
            code: {"mode": opts.headline_mode, "threshold": opts.headline_threshold,
                   "headline": round(b[0], 4), "low": round(b[1], 4), "high": round(b[2], 4),
                   "variations": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in rec.items()
                                   if k not in ("code", "name", "headline")}
                                  for rec in _records(run.sensitivity[run.sensitivity["code"] == code])]}
            for code, b in bands.items()}
    return out
