"""The decision tables as files: ``referral_township.csv``, ``referral_clinics.csv``,
``fairness.csv`` and ``sensitivity.csv`` (and the same as sheets of ``coverage.xlsx``).

Headers and values in the run's language; shares rounded to 4 decimals, minutes to 1; an
unreachable time is written 不可达 / "unreachable", a missing value (no clinic in a township,
no subdistrict in a county) 无数据 / "no data", never 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._safetext import write_csv
from tcm_coverage.i18n import label, text
from tcm_coverage.outputs.tables import column_label

__all__ = ["DecisionTables", "decision_sheets", "localize_decision_table", "write_decision_tables"]


@dataclass(frozen=True)
class DecisionTables:
    """The decision tables of a run (any may be ``None``).

    Attributes
    ----------
    referral_township, referral_clinics, fairness, sensitivity
        The :class:`~tcm_coverage.workflows.run.AnalysisRun` fields of the same names.
    referral_minutes, headline_threshold
        The thresholds named in the headers.
    """

    referral_township: pd.DataFrame | None = None
    referral_clinics: gpd.GeoDataFrame | None = None
    fairness: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    referral_minutes: float = 30.0
    headline_threshold: float = 15.0


_CHAIN = re.compile(r"(median|max|unreachable|t|f)_(zhongyiguan|county_tcm)_(car|ebike)")
_PLAIN = ("clinics", "resident_median", "resident_max", "facility_id", "county_code", "township_code",
          "lon", "lat", "kind", "gini", "urban_population", "rural_population", "gap_share_within",
          "urban_mean_min", "rural_mean_min", "gap_mean_min", "worst_townships", "uncovered_share_worst3",
          "assumption", "low_setting", "high_setting", "headline", "share_low", "share_high", "swing")
#: Fairness columns of the county rows only (blank on township rows).
_COUNTY_ONLY = ("urban_population", "rural_population", "urban_share_within", "rural_share_within",
                "gap_share_within", "urban_mean_min", "rural_mean_min", "gap_mean_min", "worst_townships",
                "uncovered_share_worst3")
_WITH_MINUTES = {"pop_within_referral": "referral", "share_within_referral": "referral",
                 "share_within": "headline", "urban_share_within": "headline",
                 "rural_share_within": "headline", "uncovered_population": "headline"}


def _header(column: str, lang: str, minutes: dict[str, float]) -> str:
    m = _CHAIN.fullmatch(column)
    if m:
        what, target, mode = m.groups()
        key = {"t": "time", "f": "reached"}.get(what, what)
        return text(f"outputs.dec_col_{key}", lang, target=label("facility_set", target, lang),
                    mode=label("mode", mode, lang))
    if column in ("resident_median_county_tcm_car", "resident_max_county_tcm_car"):
        return text(f"outputs.dec_col_{column.rsplit('_county', 1)[0]}", lang)
    if column in _WITH_MINUTES:
        return text(f"outputs.dec_col_{column}", lang, minutes=minutes[_WITH_MINUTES[column]])
    if column in _PLAIN:
        return text(f"outputs.dec_col_{column}", lang)
    return column_label(column, lang)


def _cells(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Rounded values; ``inf`` as 不可达, NaN as 无数据; levels, kinds, assumptions in words."""
    out = table.copy()
    no_data, unreachable = text("outputs.no_data", lang), text("outputs.dec_unreachable", lang)
    for col in out.columns:
        values = out[col]
        if (not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
                or pd.api.types.is_integer_dtype(values) or col in ("lon", "lat")):
            continue
        v = values.to_numpy(float)
        digits = 4 if ("share" in col or col in ("gini", "headline", "swing")) else (
            0 if ("population" in col or col.startswith("pop_")) else 1)
        shown = np.round(v, digits).astype(object)
        if digits == 0:
            finite = np.isfinite(v)
            shown[finite] = np.round(v[finite]).astype(np.int64)
        shown[np.isnan(v)] = no_data
        shown[np.isinf(v)] = unreachable
        out[col] = shown
    if "level" in out:  # what does not apply to a level is blank (not 无数据: nothing is unknown)
        county = (table["level"] == "county").to_numpy(bool)
        for col in [c for c in _COUNTY_ONLY if c in out]:
            out.loc[~county, col] = ""
        for col in [c for c in ("parent_code", "kind") if c in out]:
            out.loc[county, col] = ""
        out["level"] = out["level"].map({"county": text("outputs.level_county", lang),
                                         "township": text("outputs.level_township", lang)})
    if "kind" in out:
        township = (table["level"] == "township").to_numpy(bool) if "level" in table else np.ones(len(out), bool)
        out.loc[township, "kind"] = [text(f"outputs.dec_kind_{k or 'unknown'}", lang)
                                     for k in table["kind"].to_numpy(dtype=object)[township]]
    if "assumption" in out:
        out["assumption"] = out["assumption"].map(lambda a: text(f"outputs.dec_assumption_{a}", lang))
    for col in ("worst_townships", "parent_code"):
        if col in out:
            out[col] = out[col].map(lambda v: no_data if v is None or (isinstance(v, float) and np.isnan(v)) else v)
    return out


def localize_decision_table(table: pd.DataFrame, lang: str, *, referral_minutes: float = 30.0,
                            headline_threshold: float = 15.0) -> pd.DataFrame:
    """A decision table with headers and values for people (see the module docstring).

    Parameters
    ----------
    table
        A referral, fairness or sensitivity table (a clinic GeoDataFrame gets ``lon``/``lat``).
    lang
        ``"zh"`` or ``"en"``.
    referral_minutes, headline_threshold
        The thresholds named in the headers.

    Returns
    -------
    pandas.DataFrame
    """
    frame = pd.DataFrame(table)
    if isinstance(table, gpd.GeoDataFrame) and "geometry" in table:
        frame = pd.DataFrame(table.drop(columns="geometry")).assign(
            lon=table.geometry.x.round(6), lat=table.geometry.y.round(6))
    minutes = {"referral": referral_minutes, "headline": headline_threshold}
    out = _cells(frame, lang)
    return out.rename(columns=lambda c: _header(str(c), lang, minutes))


_FILES: dict[str, Callable[[DecisionTables], pd.DataFrame | None]] = {
    "referral_township": lambda t: t.referral_township,
    "referral_clinics": lambda t: t.referral_clinics,
    "fairness": lambda t: t.fairness,
    "sensitivity": lambda t: t.sensitivity,
}


def decision_sheets(tables: DecisionTables, lang: str) -> dict[str, pd.DataFrame]:
    """File stem -> localized table, for the tables that exist."""
    out = {}
    for stem, get in _FILES.items():
        table = get(tables)
        if table is not None:
            out[stem] = localize_decision_table(table, lang, referral_minutes=tables.referral_minutes,
                                                headline_threshold=tables.headline_threshold)
    return out


def write_decision_tables(tables: DecisionTables, out_dir: Path, *, lang: str = "zh"
                          ) -> tuple[list[Path], dict[str, pd.DataFrame]]:
    """Write ``referral_township.csv``, ``referral_clinics.csv``, ``fairness.csv`` and
    ``sensitivity.csv`` (UTF-8 with BOM, names never formulas).

    Parameters
    ----------
    tables
        The run's decision tables.
    out_dir
        Destination folder.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    files, sheets
        The files written, and sheet name -> table for ``coverage.xlsx``.
    """
    files, sheets = [], {}
    for stem, table in decision_sheets(tables, lang).items():
        files.append(write_csv(table, out_dir / f"{stem}.csv"))
        sheets[text(f"outputs.dec_sheet_{stem}", lang)] = table
    return files, sheets
