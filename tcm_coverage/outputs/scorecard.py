"""Scorecard: a county and its townships against the targets of a plan profile.

Why this module is long: one row function per kind of indicator (coverage, presence, flag and
capability shares, ratios, staff shares) over the same area data.

One row per area and indicator: the value, the plan's target, whether it is met and the gap in
units a planner can act on ("3 more 中医阁", "1,240 residents beyond 15 minutes"). Chinese by
default, English with ``lang="en"``.

Rows
----
Always (when the inputs allow): 15-minute coverage (population share within the threshold of a
TCM service point, mode and threshold stated), county TCM institution present (county rows
only), share of township/community centres with a 中医馆, share of village clinics/stations with
a 中医阁. Staff and bed ratios (TCM GPs per 10,000, TCM physicians per 1,000, public TCM hospital
beds per 1,000) appear when the facility table has those counts or the profile sets a target for
them. Every other indicator of the profile appears on the county rows; indicators the analyzer
cannot measure (中医馆 grades, health-management rates, …) say "no data" (无数据) and which data
they need. A missing count is never taken as zero.

Status
------
``met`` (value >= target, the lower end of a range), ``unmet``, ``no_target`` (the plan gives
no number, or the profile does not list the indicator), ``no_data`` (inputs missing) or
``not_applicable`` (e.g. a township without any village clinic).

Gaps
----
* coverage: residents beyond the threshold (with a target below 100 %: residents who still have
  to be brought within it);
* facility shares: ``ceil(target × n − have)`` more 中医馆/中医阁;
* ratios: ``ceil(target × population / per − have)`` more staff or beds;
* staff shares: TCM physicians to add, counted in both numerator and denominator,
  ``ceil((r × P − T) / (1 − r))``.

Township gaps are rounded up per township, so they can add up to more than the county gap.

Unknown inputs
--------------
Unknown is never zero. A 中医馆/中医阁 share whose flags are all unknown (the facility table
has no such column, or blank cells) is ``no_data``; partly unknown, the value is the share over
the centres/clinics whose flag is known (``unreported`` = how many are not), and the status is
``met`` only if it is met even when every unknown one lacks it, ``unmet`` only if it is unmet
even when every unknown one has it, else ``no_data``; the gap is then a range ("还需 2–5 个").
Coverage of TCM service points with unknown flags has a lower bound (unknown = no, ``value``)
and an upper bound (unknown = yes, ``value_max``, from the ``tcm_any_upper`` travel times) and
the same rule for its status.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage.access import (
    UNASSIGNED,
    AccessResult,
    access_summary,
    area_codes,
    assign_areas,
    facility_indicators,
)
from tcm_coverage.i18n import check_lang
from tcm_coverage.inputs import (
    INDICATORS,
    PlanTarget,
    Profile,
    load_profile,
    services_status,
    staff_status,
)
from tcm_coverage.outputs.scorecard_text import SCORECARD_COLUMNS, STAFF_INPUTS, render_scorecard
from tcm_coverage.vocab import UPPER_SUFFIX, time_column

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Scorecard", "scorecard"]

# Always on the scorecard (when computable); ratios only with data or a target.
_CORE = ("coverage_15min", "county_tcm_institution", "zhongyiguan_share", "zhongyige_share")
_RATIOS = ("tcm_gps_per_10k", "tcm_physicians_per_1k", "tcm_hospital_beds_per_1k")

_EPS = 1e-9


@dataclass(frozen=True)
class Scorecard:
    """A scorecard: its rows and what they were scored against.

    Attributes
    ----------
    rows
        One row per area and indicator: the data columns :data:`SCORECARD_COLUMNS` and the
        text columns ``level_label``, ``indicator_label``, ``value_text``, ``target_text``,
        ``met``, ``gap_text``, ``method`` in :attr:`lang`. County rows come first.
    profile
        Name of the plan profile.
    title, title_en
        The profile's title in Chinese and English.
    sources
        The profile's sources.
    mode
        Travel mode of the coverage row.
    minutes
        Threshold of the coverage row.
    facility_set
        Facilities that count as TCM service points for coverage.
    lang
        Language of the text columns (and default of :func:`write_scorecard`).
    """

    rows: pd.DataFrame
    profile: str
    title: str
    title_en: str
    sources: tuple[str, ...]
    mode: str
    minutes: float
    facility_set: str
    lang: str

    def title_in(self, lang: str) -> str:
        """The profile's title in ``lang`` (``"zh"``: :attr:`title`, ``"en"``: :attr:`title_en`)."""
        return self.title if check_lang(lang) == "zh" else self.title_en


@dataclass(frozen=True)
class _AreaData:
    """What one area's rows are computed from (``None``: the area has none)."""

    stats: pd.Series | None
    stats_upper: pd.Series | None
    fac: pd.Series | None
    staff: pd.Series | None
    capability: pd.Series | None = None

    @property
    def population(self) -> float:
        return float(self.stats["population"]) if self.stats is not None else 0.0

    def fac_count(self, column: str) -> int:
        return 0 if self.fac is None else int(self.fac.get(column, 0))


def _ceil(x: float) -> int:
    """Round up, ignoring floating-point dust (0.1 × 150 − 15 must give 0, not 1)."""
    return max(0, math.ceil(round(x, 9)))


def _input_key(col: str, tr: str | None) -> str:
    return f"{col}@{tr or 'all'}"


def _staff_sums(facilities: gpd.GeoDataFrame, codes: np.ndarray) -> pd.DataFrame:
    """Per area: sum, facility count and unreported count of every (column, tier) input."""
    tier = facilities["tier"].to_numpy()
    frame = pd.DataFrame({"g": codes})
    pairs = {pair for inputs in STAFF_INPUTS.values() for pair in inputs}
    for col, tr in sorted(pairs, key=str):
        sel = np.ones(len(facilities), bool) if tr is None else tier == tr
        values = (facilities[col].to_numpy(float) if col in facilities
                  else np.full(len(facilities), np.nan))
        key = _input_key(col, tr)
        frame[f"sum:{key}"] = np.where(sel, np.nan_to_num(values), 0.0)
        frame[f"n:{key}"] = sel.astype(int)
        frame[f"na:{key}"] = (sel & np.isnan(values)).astype(int)
    frame = frame[frame["g"] != UNASSIGNED]
    return frame.groupby("g", sort=True).sum()


def _column_present(facilities: gpd.GeoDataFrame, col: str, tr: str | None) -> bool:
    if col not in facilities:
        return False
    sel = np.ones(len(facilities), bool) if tr is None else facilities["tier"].to_numpy() == tr
    return bool(np.isfinite(facilities[col].to_numpy(float)[sel]).any())


def _status(value: float, t: PlanTarget | None) -> str:
    if t is None or t.target is None:
        return "no_target"
    return "met" if value >= t.target - _EPS else "unmet"


def _bounded_status(low: float, high: float, t: PlanTarget | None) -> str:
    """Status of a value known only to lie in [low, high]."""
    if t is None or t.target is None:
        return "no_target"
    if low >= t.target - _EPS:
        return "met"
    if high < t.target - _EPS:
        return "unmet"
    return "no_data"


def _base_row(key: str, t: PlanTarget | None, area: Mapping[str, object]) -> dict:
    """The row of an indicator before anything is measured: no data."""
    return {**area, "indicator": key, "value": np.nan,
            "target": np.nan if t is None or t.target is None else t.target,
            "target_max": np.nan if t is None or t.target_max is None else t.target_max,
            "in_profile": t is not None, "status": "no_data", "gap": np.nan, "numerator": np.nan,
            "denominator": np.nan, "unreported": 0, "minutes": np.nan,
            "source": "" if t is None else t.source, "note": "" if t is None else t.note,
            "value_max": np.nan, "gap_max": np.nan}


def _partial_goal(t: PlanTarget | None) -> float | None:
    """The coverage target when it is below 100 % (the gap is then residents still to bring in)."""
    return t.target if t is not None and t.target is not None and t.target < 1.0 else None


def _coverage_gap(goal: float | None, population: float, within: float, status: str) -> float:
    """Residents beyond the threshold; with a target below 100 %, residents still to bring in."""
    if goal is not None:
        return float(_ceil(goal * population - within)) if status == "unmet" else 0.0
    return float(round(population - within))


def _coverage_row(row: dict, t: PlanTarget | None, data: _AreaData, minutes: float) -> dict:
    row["minutes"] = minutes
    population = data.population
    if data.stats is None or population <= 0:
        row["status"] = "not_applicable"
        return row
    within = float(data.stats[f"pop_within_{minutes:g}"])
    row.update(value=within / population, numerator=within, denominator=population)
    row["status"] = _status(row["value"], t)
    goal = _partial_goal(t)
    row["gap"] = _coverage_gap(goal, population, within, row["status"])
    unknown = data.fac_count("n_centres_zhongyiguan_unknown") + data.fac_count("n_stations_zhongyige_unknown")
    if data.stats_upper is not None and unknown:
        # some 中医馆/中医阁 flags are unknown: the value above is the lower bound
        within_hi = float(data.stats_upper[f"pop_within_{minutes:g}"])
        row.update(value_max=within_hi / population, unreported=unknown)
        row["status"] = _bounded_status(row["value"], row["value_max"], t)
        if goal is not None and row["status"] == "met":
            row["gap_max"], row["gap"] = 0.0, 0.0
        elif goal is not None:
            row["gap_max"], row["gap"] = row["gap"], float(_ceil(goal * population - within_hi))
        else:
            row["gap_max"], row["gap"] = row["gap"], float(round(population - within_hi))
    return row


def _county_tcm_row(row: dict, t: PlanTarget | None, data: _AreaData) -> dict:
    have = data.fac_count("n_county_tcm")
    row.update(value=float(have >= 1), numerator=have, denominator=1)
    row["status"] = _status(row["value"], t)
    row["gap"] = 1.0 if row["status"] == "unmet" else 0.0
    return row


def _flag_share_row(row: dict, key: str, t: PlanTarget | None, data: _AreaData) -> dict:
    """Share of centres with a 中医馆 / clinics with a 中医阁, bounded when flags are unknown."""
    n_col, have_col = (("n_centres", "n_centres_zhongyiguan") if key == "zhongyiguan_share"
                       else ("n_stations", "n_stations_zhongyige"))
    n, have = data.fac_count(n_col), data.fac_count(have_col)
    unknown = data.fac_count(f"{have_col}_unknown")
    row.update(numerator=have, denominator=n - unknown, unreported=unknown)
    if n == 0:
        row["status"] = "not_applicable"
        return row
    if unknown >= n:
        return row  # no flag known: no data, never 0 %
    row["value"] = have / (n - unknown)
    if unknown:
        row["status"] = _bounded_status(have / n, (have + unknown) / n, t)
    else:
        row["status"] = _status(row["value"], t)
    if row["status"] == "met":
        row["gap"] = 0.0
    elif t is not None and t.target is not None and (
            row["status"] == "unmet" or (unknown and row["status"] == "no_data")):
        # at least (every unknown one has it) .. at most (none has)
        row["gap"] = float(_ceil(t.target * n - have - unknown))
        row["gap_max"] = float(_ceil(t.target * n - have))
    return row


def _ratio_row(row: dict, t: PlanTarget | None, data: _AreaData, inputs: tuple[list, list, list],
               per: int) -> dict:
    """Staff or beds per ``per`` residents."""
    sums, counts, missing = inputs
    population = data.population
    if population <= 0:
        row["status"] = "not_applicable"
        return row
    if counts[0] > 0 and missing[0] == counts[0]:
        return row  # every facility concerned left the count blank
    row.update(value=sums[0] / population * per, numerator=sums[0], denominator=population)
    row["status"] = _status(row["value"], t)
    if row["status"] == "unmet" and t is not None and t.target is not None:
        row["gap"] = float(_ceil(t.target * population / per - sums[0]))
    elif row["status"] == "met":
        row["gap"] = 0.0
    return row


def _staff_share_row(row: dict, t: PlanTarget | None, inputs: tuple[list, list, list]) -> dict:
    """TCM physicians / physicians in one tier."""
    (tcm, phys), counts, missing = inputs
    if counts[0] == 0:
        row["status"] = "not_applicable"
        return row
    if missing[0] == counts[0] or missing[1] == counts[1]:
        return row
    if phys <= 0:
        row["status"] = "not_applicable"
        return row
    row.update(value=tcm / phys, numerator=tcm, denominator=phys)
    row["status"] = _status(row["value"], t)
    if row["status"] == "unmet" and t is not None and t.target is not None:
        r = t.target
        row["gap"] = float(_ceil((r * phys - tcm) / (1.0 - r))) if r < 1.0 else float(phys - tcm)
    elif row["status"] == "met":
        row["gap"] = 0.0
    return row


def _staff_row(row: dict, key: str, t: PlanTarget | None, data: _AreaData,
               present: Mapping[str, bool]) -> dict:
    inputs = STAFF_INPUTS[key]
    if not all(present[_input_key(c, tr)] for c, tr in inputs):
        return row  # the column is missing from the whole table: no data, never zero
    staff = data.staff
    sums, counts, missing = [], [], []
    for col, tr in inputs:
        k = _input_key(col, tr)
        sums.append(0.0 if staff is None else float(staff.get(f"sum:{k}", 0.0)))
        counts.append(0 if staff is None else int(staff.get(f"n:{k}", 0)))
        missing.append(0 if staff is None else int(staff.get(f"na:{k}", 0)))
    row["unreported"] = max(missing)
    spec = INDICATORS[key]
    if spec.measure == "ratio":
        assert spec.per is not None, f"ratio indicator {key} without a population unit"
        return _ratio_row(row, t, data, (sums, counts, missing), spec.per)
    return _staff_share_row(row, t, (sums, counts, missing))


#: Capability shares: indicator -> the facility kind it counts (inputs/functional.py columns).
_CAPABILITY = {"village_clinics_tcm_services": "village_clinic",
               "stations_tcm_physician": "community_health_station",
               "village_clinics_tcm_staff": "village_clinic"}


def _capability_sums(facilities: gpd.GeoDataFrame, codes: np.ndarray) -> pd.DataFrame:
    """Per area and capability indicator: facilities of the kind, known yes, known."""
    # without kinds (a hand-made frame) both kinds are the tier's clinics/stations
    kind = (facilities["kind"].to_numpy() if "kind" in facilities else
            np.where(facilities["tier"].to_numpy() == "village_station", "village_station", ""))
    status = {"village_clinics_tcm_services": services_status(facilities),
              "stations_tcm_physician": staff_status(facilities, physicians_only=True),
              "village_clinics_tcm_staff": staff_status(facilities)}
    frame = pd.DataFrame({"g": codes})
    for key, (yes, known) in status.items():
        sel = (kind == _CAPABILITY[key]) | (kind == "village_station")
        frame[f"n:{key}"] = sel.astype(int)
        frame[f"yes:{key}"] = (sel & yes & known).astype(int)
        frame[f"known:{key}"] = (sel & known).astype(int)
    return frame[frame["g"] != UNASSIGNED].groupby("g", sort=True).sum()


def _capability_row(row: dict, key: str, t: PlanTarget | None, data: _AreaData) -> dict:
    """Share of clinics/stations with a capability over those whose capability is known;
    bounded like the 中医阁 share when some are unknown, no data when none is known."""
    cap = data.capability
    n = 0 if cap is None else int(cap[f"n:{key}"])
    yes = 0 if cap is None else int(cap[f"yes:{key}"])
    known = 0 if cap is None else int(cap[f"known:{key}"])
    unknown = n - known
    row.update(numerator=yes, denominator=known, unreported=unknown)
    if known == 0:
        return row  # no capability data (or no such column): 无数据, never 0 %
    row["value"] = yes / known
    row["status"] = (_bounded_status(yes / n, (yes + unknown) / n, t) if unknown
                     else _status(row["value"], t))
    if row["status"] == "met":
        row["gap"] = 0.0
    elif t is not None and t.target is not None:
        row["gap"] = float(_ceil(t.target * n - yes - unknown))
        row["gap_max"] = float(_ceil(t.target * n - yes))
    return row


def _row_for(key: str, t: PlanTarget | None, *, area: Mapping[str, object], data: _AreaData,
             present: Mapping[str, bool], minutes: float) -> dict:
    row = _base_row(key, t, area)
    if not INDICATORS[key].measured:
        return row
    if key == "coverage_15min":
        return _coverage_row(row, t, data, minutes)
    if key == "county_tcm_institution":
        return _county_tcm_row(row, t, data)
    if key in ("zhongyiguan_share", "zhongyige_share"):
        return _flag_share_row(row, key, t, data)
    if key in _CAPABILITY:
        return _capability_row(row, key, t, data)
    return _staff_row(row, key, t, data, present)


def _indicator_keys(prof: Profile, present: Mapping[str, bool]) -> list[str]:
    """The indicators of the scorecard: the profile's, the core ones, ratios with data."""
    return [k for k in INDICATORS
            if k in prof.targets or k in _CORE
            or (k in _RATIOS and all(present[_input_key(c, tr)] for c, tr in STAFF_INPUTS[k]))]


@dataclass(frozen=True)
class _Times:
    """Travel times of the demand points to the scored facility set (``upper``: unknown as yes)."""

    population: np.ndarray
    times: np.ndarray
    upper: np.ndarray | None
    minutes: float


def _area_data(access: AccessResult, areas: gpd.GeoDataFrame, times: _Times, *,
               level: str) -> dict[Any, _AreaData]:
    """Per area code: the coverage statistics, facility indicators and staff sums (the demand
    points' codes of a run taken, :func:`~tcm_coverage.access.areas.area_codes`)."""
    demand, facilities = access.demand, access.facilities
    dcodes = area_codes(demand, areas, level=level)
    fcodes = assign_areas(facilities, areas, max_distance_m=500.0)
    keep = dcodes != UNASSIGNED
    thresholds = [times.minutes]
    stats = (access_summary(dcodes[keep], times.times[keep], times.population[keep], thresholds=thresholds)
             if keep.any() else pd.DataFrame())
    stats_upper = (access_summary(dcodes[keep], times.upper[keep], times.population[keep],
                                  thresholds=thresholds)
                   if keep.any() and times.upper is not None else pd.DataFrame())
    fac = facility_indicators(facilities, fcodes)
    staff = _staff_sums(facilities, fcodes)
    capability = _capability_sums(facilities, fcodes)

    def at(frame: pd.DataFrame, code: Any) -> pd.Series | None:
        return frame.loc[code] if code in frame.index else None

    return {code: _AreaData(stats=at(stats, code), stats_upper=at(stats_upper, code),
                            fac=at(fac, code), staff=at(staff, code), capability=at(capability, code))
            for code in areas["code"]}


def _check_run(access: AccessResult, mode: str, facility_set: str) -> None:
    if mode not in access.modes:
        raise InputError(f"mode '{mode}' was not computed (the run has {list(access.modes)})",
                         fix=f"rerun with --mode {mode}, or score one of {list(access.modes)}")
    if facility_set not in access.facility_sets:
        raise InputError(f"target '{facility_set}' was not computed",
                         fix=f"use one of {list(access.facility_sets)}")


def scorecard(
    access: AccessResult,
    profile: Profile | str | PathLike[str],
    *,
    counties: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame | None = None,
    mode: str | None = None,
    facility_set: str = "tcm_any",
    lang: str = "zh",
) -> Scorecard:
    """Score every county and township against a plan profile.

    Parameters
    ----------
    access
        The result of :func:`tcm_coverage.access.compute.compute_access` (of a pipeline run: its
        ``access``, or with the run's ``demand``, whose area codes are then taken); its
        ``facilities`` give the facility indicators and staff counts.
    profile
        A :class:`~tcm_coverage.inputs.plans.Profile`, a shipped profile name (``"national"``,
        ``"yantai"``, …) or the path of a profile file.
    counties, townships
        Area polygons with ``code`` and ``name`` (as read by
        :func:`tcm_coverage.inputs.boundaries.read_boundaries`); townships optional.
    mode
        Travel mode of the coverage row. Default: the profile's coverage ``mode``, else
        ``"ebike"`` when computed, else the first mode of ``access``.
    facility_set
        Facilities that count as TCM service points for coverage (default ``"tcm_any"``).
    lang
        ``"zh"`` or ``"en"`` for the text columns.

    Returns
    -------
    Scorecard
        The rows (data columns :data:`SCORECARD_COLUMNS` and the text columns in ``lang``) with
        the profile, its titles and sources, mode, minutes, facility set and language.

    Raises
    ------
    InputError
        Unknown language, mode or facility set not computed, invalid profile.
    """
    if lang not in ("zh", "en"):
        raise InputError(f"unknown language '{lang}'", fix="use zh or en")
    prof = load_profile(profile)
    cov = prof.targets.get("coverage_15min")
    minutes = cov.minutes if cov is not None and cov.minutes is not None else 15.0
    mode = mode or (cov.mode if cov is not None else None) or (
        "ebike" if "ebike" in access.modes else access.modes[0])
    _check_run(access, mode, facility_set)
    demand = access.demand
    upper_col = time_column(facility_set + UPPER_SUFFIX, mode)  # unknown 中医馆/中医阁 counted as yes
    times = _Times(population=demand["population"].to_numpy(float),
                   times=demand[time_column(facility_set, mode)].to_numpy(float),
                   upper=demand[upper_col].to_numpy(float) if upper_col in demand else None,
                   minutes=minutes)
    present = {_input_key(c, tr): _column_present(access.facilities, c, tr)
               for inputs in STAFF_INPUTS.values() for c, tr in inputs}
    keys = _indicator_keys(prof, present)
    levels: dict[str, gpd.GeoDataFrame] = {"county": counties}
    if townships is not None and len(townships):
        levels["township"] = townships
    rows: list[dict] = []
    for lvl, areas in levels.items():
        data = _area_data(access, areas, times, level=lvl)
        has_parent = "parent_code" in areas
        level_keys = [k for k in keys if lvl in INDICATORS[k].levels
                      and (INDICATORS[k].measured or lvl == "county")]
        for _, a in areas.sort_values("code", kind="stable").iterrows():
            code = a["code"]
            area = {"level": lvl, "code": code, "name": a.get("name", code),
                    "parent_code": a["parent_code"] if has_parent else None, "mode": mode}
            rows += [_row_for(key, prof.targets.get(key), area=area, data=data[code],
                              present=present, minutes=minutes) for key in level_keys]
    out = pd.DataFrame(rows, columns=list(SCORECARD_COLUMNS))
    out = pd.concat([out, render_scorecard(out, lang)], axis=1)
    return Scorecard(rows=out, profile=prof.name, title=prof.title, title_en=prof.title_en,
                     sources=tuple(prof.sources), mode=mode, minutes=minutes,
                     facility_set=facility_set, lang=lang)
