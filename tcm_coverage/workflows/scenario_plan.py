"""The decisions a scenario adds to its model: per-township quotas (``[quotas]``: the
village clinics and 中医阁 per township, the quota object the models take, the township table's
中医阁 columns) and the ranked plan (``[plan]``: the upgrade order as a table, its summary)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError
from tcm_coverage.access import UNASSIGNED, assign_areas
from tcm_coverage.i18n import text
from tcm_coverage.inputs import flag_values
from tcm_coverage.siting import (
    SitingResult,
    TownshipQuotas,
    UpgradeOrder,
    township_quotas,
    upgrade_order,
)
from tcm_coverage.workflows.run import AnalysisRun
from tcm_coverage.workflows.scenario_file import Scenario

__all__ = ["order_table", "plan_summary", "quota_text", "scenario_order", "scenario_quotas",
           "with_zhongyige"]


def scenario_quotas(scn: Scenario, run: AnalysisRun, cand_town: np.ndarray | None) -> TownshipQuotas | None:
    """The scenario's ``[quotas]`` over the candidates: townships, village clinics, 中医阁 now."""
    q = scn.quotas
    if q is None:
        return None
    if run.townships is None or cand_town is None:
        raise InputError("[quotas] township quotas need township boundaries", path=scn.path,
                         fix="give [data].townships = \"townships.gpkg\" or remove [quotas]")
    fac = run.access.facilities
    tier = fac["tier"].to_numpy() if "tier" in fac else np.full(len(fac), "", dtype=object)
    clinic = tier == "village_station"
    fac_town = assign_areas(fac[clinic], run.townships)
    has_ge = flag_values(fac, "zhongyige")[0][clinic]  # unknown counts as none (as in tcm_any)
    clinics = pd.Series(1.0, index=fac_town).groupby(level=0).sum()
    with_ge = pd.Series(has_ge.astype(float), index=fac_town).groupby(level=0).sum()
    names = run.townships.set_index("code")["name"].astype(str)
    return township_quotas(cand_town, min_sites=q.min_sites, max_sites=q.max_sites,
                           min_share=q.min_share,
                           clinics={str(k): float(v) for k, v in clinics.items() if k != UNASSIGNED},
                           with_zhongyige={str(k): float(v) for k, v in with_ge.items()
                                           if k != UNASSIGNED},
                           names=names.to_dict())


def scenario_order(scn: Scenario, inst: Any, res: SitingResult) -> UpgradeOrder | None:
    """The ranked plan of ``[plan]``: the chosen sites (or every candidate) in greedy order."""
    plan = scn.plan
    if plan is None:
        return None
    return upgrade_order(inst, by=plan.order, among=res.chosen if plan.among == "plan" else None,
                         steps=plan.steps, budgets=list(plan.budgets) or None, exact=plan.exact,
                         time_limit=scn.time_limit)


def order_table(scn: Scenario, order: UpgradeOrder | None, cands: gpd.GeoDataFrame,
                 cand_town: np.ndarray | None, names: pd.Series) -> pd.DataFrame | None:
    """The ranked plan as a table, one row per step (with lon/lat for the map)."""
    if order is None:
        return None
    plan = scn.plan
    c = cands.iloc[order.chosen]
    town = cand_town[order.chosen] if cand_town is not None else np.full(order.n_steps, "")
    labels = np.asarray(("",) + (plan.years if plan is not None else ()), dtype=object)
    later = text("workflows.scenario.year_later", scn.lang) if plan is not None and plan.budgets \
        else ""
    year = np.where(order.year > 0, labels[order.year], later)
    return pd.DataFrame({
        "rank": np.arange(1, order.n_steps + 1), "candidate_id": c["candidate_id"].to_numpy(),
        "name": c["name"].to_numpy(), "kind": c["kind"].to_numpy(),
        "township_name": [names.get(t, "") for t in town],
        "newly_covered": np.round(order.newly_covered).astype(int),
        "cum_covered": np.round(order.covered).astype(int), "cum_share": order.share.round(4),
        "cost": order.cost, "cum_cost": order.cum_cost, "year": year,
        "optimum_k": np.round(order.optimum + order.already_covered),
        "optimum_share": (np.round(order.optimum + order.already_covered) / order.total_weight
                          ).round(4),
        "gap_k": order.gap.round(4),
        "lon": c.geometry.x.round(6).to_numpy(), "lat": c.geometry.y.round(6).to_numpy()})


def with_zhongyige(towns: pd.DataFrame, quotas: TownshipQuotas, inst: Any,
                    res: SitingResult) -> pd.DataFrame:
    """The township table with village clinics and 中医阁 before/after the plan (with quotas)."""
    y = np.zeros(inst.n_candidates)
    y[np.asarray(res.chosen, dtype=np.int64)] = 1.0
    has = quotas.member >= 0
    t = quotas.n_townships

    def chosen(kind: str) -> np.ndarray:
        return np.bincount(quotas.member[has], weights=(y * (inst.kind == kind))[has], minlength=t)

    new = chosen("new")
    counts = pd.DataFrame({"code": list(quotas.codes), "village_clinics": quotas.clinics + new,
                           "zhongyige_before": quotas.with_zhongyige,
                           "zhongyige_after": quotas.with_zhongyige + chosen("upgrade") + new})
    out = towns.merge(counts, on="code", how="left")
    total = out["code"] == "total"
    for col in ("village_clinics", "zhongyige_before", "zhongyige_after"):
        out.loc[total, col] = out.loc[~total, col].sum()
        out[col] = out[col].fillna(0).round().astype(int)
    clinics = out["village_clinics"].where(out["village_clinics"] > 0)  # no clinic: no data
    out["zhongyige_share_after"] = (out["zhongyige_after"] / clinics).round(4)
    return out


def quota_text(scn: Scenario) -> str:
    """The scenario's quotas in one line ("at most 6 sites per township; 中医阁 in >= 20 % ...")."""
    q, lang = scn.quotas, scn.lang
    if q is None:
        return ""
    parts = [] if q.min_sites is None else [text("workflows.scenario.quota_min", lang, count=q.min_sites)]
    if q.max_sites is not None:
        parts.append(text("workflows.scenario.quota_max", lang, count=q.max_sites))
    if q.min_share is not None:
        parts.append(text("workflows.scenario.quota_share", lang, share=q.min_share)
                     + (text("workflows.scenario.quota_profile", lang, profile=q.profile)
                        if q.profile else ""))
    return ("；" if lang == "zh" else "; ").join(parts)


def plan_summary(scn: Scenario, order: pd.DataFrame | None) -> dict[str, Any]:
    """The ranked plan's columns of the summary: steps, the largest gap, sites and cost per year."""
    if order is None:
        return {}
    out: dict[str, Any] = {"ranked_steps": int(len(order)),
                           "order_max_gap": float(order["gap_k"].max()) if len(order) else 0.0}
    if scn.plan is not None and scn.plan.budgets:
        out["plan_years"] = "; ".join(
            text("workflows.scenario.plan_year", scn.lang, year=y, sites=int((order["year"] == y).sum()),
                 cost=float(order.loc[order["year"] == y, "cost"].sum()), budget=b)
            for y, b in zip(scn.plan.years, scn.plan.budgets, strict=True))
    if scn.quotas is not None:
        out["quotas"] = quota_text(scn)
    return out
