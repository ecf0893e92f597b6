"""Site-selection scenarios: a TOML file names the county data, mode, threshold, candidates,
costs, budget or p and the model; running it writes the chosen sites, before/after coverage per
township and a before/after map; several scenarios are compared side by side.

Scenario file (paths relative to the file; every key but ``[scenario].name`` and ``[model]``
has a default)::

    [scenario]
    name = "upgrade_only"                 # folder name of the outputs (letters, digits, _ -)
    title = "只升级村卫生室：中医阁10%目标"   # shown in tables and on the map
    description = "..."

    [data]
    demo = true                           # the bundled demo county, or give the files:
    # facilities = "设施.xlsx"            facilities_datum = "gcj02"
    # boundary = "county.geojson"         townships = "townships.gpkg"
    # population = "worldpop.tif"         network = "county.osm.pbf"

    [access]
    mode = "ebike"                        # walk, walk_elderly, bicycle, ebike, car
    threshold = 15                        # minutes
    target = "tcm_any"                    # what counts as covered before the plan

    [candidates]
    kinds = ["upgrade", "new"]            # upgrade: village clinic gains a 中医阁; new: new clinic
    villages = "villages.csv"             # village points for new clinics (demo: its village table)
    clusters = 0                          # also k cluster centres of uncovered residents (KMeans)
    clinic_radius_m = 500                 # a village with a clinic this close gets no new one
    costs = { upgrade = 1, new = 5 }      # per kind, in the county's unit (e.g. 万元)
    overrides = "candidate_costs.csv"     # optional: candidate_id/name + cost, force, exclude

    [model]
    type = "max_cover"                    # max_cover | set_cover | p_median | upgrade_or_build
    p = 10                                # sites to open (max_cover, p_median)
    budget = 60                           # total cost (max_cover, upgrade_or_build)
    share = 1.0                           # population share to cover (set_cover)
    minimize = "cost"                     # set_cover: "cost" or "count"
    time_limit = 120                      # seconds for the exact solver
    capacity = false                      # max_cover/upgrade_or_build/set_cover with capacities:
    capacity_per_site = 1613              # residents a new site serves (default: one TCM physician)
    residents_per_physician = 1613        # existing points: capacity column, else TCM physicians × this

    [plan]                                # optional: a ranked plan (upgrade order)
    order = "coverage"                    # each step the site adding the most newly covered
                                          #   residents; "per_cost": the most per unit cost
    among = "plan"                        # rank the model's chosen sites; "all": every candidate
    steps = 20                            # at most this many steps (default: all)
    budget_per_year = [300, 300]          # yearly budgets: the year of each step (unspent budget
                                          #   carries over); the model's budget defaults to the sum
    years = [2026, 2027]                  # labels of those years (default 1, 2, ...)
    exact = true                          # HiGHS optimum for each prefix size k (gap per step)

    [quotas]                              # optional, per township (max_cover, set_cover,
                                          #   upgrade_or_build; needs township boundaries)
    min_sites_per_township = 1            # at least so many sites in every township
    max_sites_per_township = 5            # at most so many
    min_share_per_township = 0.2          # village clinics with a 中医阁 after the plan (existing
                                          #   ones count; a new clinic comes with one), or:
    quota_profile = "yantai"              # the share from a profile's 中医阁 target (yantai 20 %,
                                          #   national 10 %; a name or a profile .toml)

    [map]                                 # optional
    basemap = "osm"                       # osm, amap (overlays in GCJ-02), tianditu, none
    lang = "zh"                           # zh or en
    self_contained = true                 # Leaflet inlined: the page opens offline (default);
                                          #   false: loaded from the internet, smaller file

Impossible quotas are named township by township before solving ("township T needs 3 more
中医阁 but has only 2 candidates"). Errors name the file, the key and the fix. Results are reproducible: the scenario file and the
input hashes are copied into the output folder.

Why this module is long: it is the one definition of the scenario file format — every section's
keys, defaults and checks (with the file, key and fix of each error) side by side, so the format
and its docstring cannot drift apart.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tcm_coverage._errors import InputError
from tcm_coverage.demo import DEMO_FILES, demo_data_dir, demo_inputs
from tcm_coverage.inputs import load_profile
from tcm_coverage.network import PROFILES
from tcm_coverage.outputs import BASEMAPS
from tcm_coverage.vocab import FACILITY_SETS, OPTIONAL_FACILITY_SETS, RESIDENTS_PER_TCM_PHYSICIAN
from tcm_coverage.workflows.config import AnalysisConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["MODELS", "QuotaSettings", "RankedPlan", "Scenario", "load_scenario"]

#: Model names accepted in ``[model].type``.
MODELS: tuple[str, ...] = ("max_cover", "set_cover", "p_median", "upgrade_or_build")

_KEYS = {
    "scenario": {"name", "title", "description"},
    "data": {"demo", "facilities", "facilities_datum", "boundary", "boundary_datum", "townships",
             "townships_datum", "population", "population_datum", "population_column", "network",
             "include_other"},
    "access": {"mode", "threshold", "target"},
    "candidates": {"kinds", "villages", "villages_datum", "clusters", "clinic_radius_m", "costs",
                   "overrides", "min_population"},
    "model": {"type", "p", "budget", "share", "minimize", "time_limit", "capacity",
              "capacity_per_site", "residents_per_physician"},
    "plan": {"order", "among", "steps", "budget_per_year", "years", "exact"},
    "quotas": {"min_sites_per_township", "max_sites_per_township", "min_share_per_township",
               "quota_profile"},
    "map": {"basemap", "tianditu_key", "self_contained", "lang"},
}


@dataclass(frozen=True)
class RankedPlan:
    """``[plan]``: the ranked upgrade order (:func:`tcm_coverage.siting.upgrade_order`).

    Attributes
    ----------
    order
        ``"coverage"`` or ``"per_cost"``.
    among
        ``"plan"`` (rank the model's chosen sites) or ``"all"`` (every candidate).
    steps
        At most this many steps (None: all).
    budgets
        Yearly budgets (empty: no yearly cut).
    years
        Labels of the years (as many as budgets).
    exact
        Solve the optimum of every prefix.
    """

    order: str = "coverage"
    among: str = "plan"
    steps: int | None = None
    budgets: tuple[float, ...] = ()
    years: tuple[str, ...] = ()
    exact: bool = True


@dataclass(frozen=True)
class QuotaSettings:
    """``[quotas]``: per-township quotas (:func:`tcm_coverage.siting.township_quotas`).

    Attributes
    ----------
    min_sites, max_sites
        At least / at most so many sites per township (None: no limit).
    min_share
        Share of village clinics with a 中医阁 after the plan (None: none).
    profile
        The profile the share comes from (``quota_profile``), or ``""``.
    """

    min_sites: int | None = None
    max_sites: int | None = None
    min_share: float | None = None
    profile: str = ""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario (see the module docstring for the file format).

    Attributes
    ----------
    name, title, description
        Identity.
    path
        The scenario file.
    config
        The coverage analysis inputs (one mode, one threshold).
    mode, threshold, facility_set
        Travel mode, minutes, and the facility set that counts as covered before the plan
        (``[access].target`` in the file).
    kinds
        Candidate kinds (``"upgrade"``, ``"new"``).
    villages, villages_datum
        Village points for new clinics.
    clusters, clinic_radius_m, min_population, costs, overrides
        Candidate generation (see :func:`tcm_coverage.siting.candidates.build_candidates`).
    model, p, budget, share, minimize, time_limit
        The model and its parameters.
    capacity, capacity_per_site, residents_per_physician
        Capacitated siting (:mod:`tcm_coverage.siting.capacitated`): residents a new site
        serves; existing points serve their capacity column, else TCM physicians × the norm.
    basemap, tianditu_key, self_contained, lang
        Map options.
    plan
        The ranked plan (``[plan]``), or None.
    quotas
        The per-township quotas (``[quotas]``), or None.
    """

    name: str
    path: Path
    config: AnalysisConfig
    title: str = ""
    description: str = ""
    mode: str = "ebike"
    threshold: float = 15.0
    facility_set: str = "tcm_any"
    kinds: tuple[str, ...] = ("upgrade", "new")
    villages: Path | None = None
    villages_datum: str = "wgs84"
    clusters: int = 0
    clinic_radius_m: float = 500.0
    min_population: float = 0.0
    costs: Mapping[str, float] = field(default_factory=dict)
    overrides: Path | None = None
    model: str = "max_cover"
    p: int | None = None
    budget: float | None = None
    share: float = 1.0
    minimize: str = "cost"
    time_limit: float | None = 120.0
    capacity: bool = False
    capacity_per_site: float = RESIDENTS_PER_TCM_PHYSICIAN
    residents_per_physician: float = RESIDENTS_PER_TCM_PHYSICIAN
    basemap: str = "osm"
    tianditu_key: str | None = None
    self_contained: bool = True
    lang: str = "zh"
    plan: RankedPlan | None = None
    quotas: QuotaSettings | None = None


def _err(path: Path, key: str, message: str, fix: str) -> InputError:
    return InputError(f"[{key}] {message}", path=path, fix=fix)


def _number(path: Path, key: str, value: Any, *, integer: bool = False, low: float = 0.0,
            high: float = float("inf")) -> float | int:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if not ok or not (low <= float(value) <= high):
        kind = "a whole number" if integer else "a number"
        rng = f" between {low:g} and {high:g}" if np.isfinite(high) else f" >= {low:g}"
        raise _err(path, key, f"must be {kind}{rng}, got {value!r}", f"write e.g. {key.split('.')[-1]} = "
                   f"{int(max(low, 1)) if integer else max(low, 1.0):g}")
    return int(value) if integer else float(value)


def _read_toml(path: Path) -> dict[str, Any]:
    """The scenario file parsed, its sections and keys checked against :data:`_KEYS`."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("scenario file not found", path=path, fix="check the path") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not a text (TOML) scenario file: byte {exc.start} is not UTF-8 text",
                         path=path, fix="give a scenario .toml saved as UTF-8 text (examples in "
                                        "tcm_coverage/demo_data/scenarios/)") from None
    except OSError as exc:  # a folder, no permission
        raise InputError(f"cannot read the scenario file ({exc.strerror or exc})", path=path,
                         fix="give the path of a scenario .toml file you may read") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=path,
                         fix="check quotes, brackets and '=' (see the format in the docs)") from None
    for section, value in raw.items():
        if section not in _KEYS:
            raise _err(path, section, "is not a scenario section",
                       f"use some of {sorted(_KEYS)}")
        if not isinstance(value, dict):
            raise _err(path, section, "must be a table", f"write [{section}] on its own line")
        unknown = set(value) - _KEYS[section]
        if unknown:
            raise _err(path, f"{section}.{sorted(unknown)[0]}", "is not a known key",
                       f"keys of [{section}]: {sorted(_KEYS[section])}")
    return raw


@dataclass(frozen=True)
class _Section:
    """One table of a scenario file: where relative paths start and how errors name keys."""

    path: Path
    name: str
    values: Mapping[str, Any]

    def file(self, key: str, *, required: bool = False) -> Path | None:
        """The file of ``key``, relative to the scenario file; it must exist."""
        value = self.values.get(key)
        if value is None:
            if required:
                raise _err(self.path, f"{self.name}.{key}", "is missing", f'write {key} = "path/to/file" '
                           "(relative to the scenario file) or demo = true")
            return None
        p = Path(value)
        p = p if p.is_absolute() else self.path.resolve().parent / p
        if not p.exists():
            raise _err(self.path, f"{self.name}.{key}", f"file not found: {p}", "check the path "
                       "(relative to the scenario file)")
        return p

    def required_file(self, key: str) -> Path:
        """The file of ``key``, which must be given."""
        p = self.file(key, required=True)
        assert p is not None  # file() raises when a required key is missing
        return p


def _access(path: Path, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``[access]``: mode, threshold and the facility set covered before the plan."""
    access = raw.get("access", {})
    mode = access.get("mode", "ebike")
    if mode not in PROFILES:
        raise _err(path, "access.mode", f"unknown mode {mode!r}", f"use one of {sorted(PROFILES)}")
    threshold = _number(path, "access.threshold", access.get("threshold", 15), low=1, high=240)
    facility_set = access.get("target", "tcm_any")
    # the upper bound is not always routed
    facility_sets = [t for t in FACILITY_SETS if t not in OPTIONAL_FACILITY_SETS]
    if facility_set not in facility_sets:
        raise _err(path, "access.target", f"unknown target {facility_set!r}",
                   f"use one of {facility_sets}")
    return {"mode": mode, "threshold": float(threshold), "facility_set": facility_set}


def _map(path: Path, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``[map]``: basemap and language (the Tianditu key as given; ``self_contained``, a boolean,
    default true: Leaflet inlined so the pages open offline)."""
    mp = raw.get("map", {})
    basemap = mp.get("basemap", "osm")
    if basemap not in BASEMAPS:
        raise _err(path, "map.basemap", f"unknown basemap {basemap!r}", f"use one of {sorted(BASEMAPS)}")
    lang = mp.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise _err(path, "map.lang", f"unknown language {lang!r}", 'use "zh" or "en"')
    inline = mp.get("self_contained", True)  # pages open offline unless self_contained = false
    if not isinstance(inline, bool):
        raise _err(path, "map.self_contained", f"must be true or false, got {inline!r}",
                   "write self_contained = false to load Leaflet from the internet (smaller pages "
                   "that need a connection), or leave it out: pages open offline")
    return {"basemap": basemap, "lang": lang, "tianditu_key": mp.get("tianditu_key"),
            "self_contained": inline}


def _data(path: Path, raw: Mapping[str, Any], access: Mapping[str, Any], lang: str,
          data_dir: Path | None) -> tuple[AnalysisConfig, Path | None]:
    """``[data]``: the coverage run's configuration, and the demo's village table (if demo)."""
    data = raw.get("data", {})
    settings = {"out_dir": path.resolve().parent, "modes": (access["mode"],),
                "thresholds": (access["threshold"],), "lang": lang,
                "include_other": bool(data.get("include_other", False)), "accessibility": False,
                "capacity": False}
    if data.get("demo", False) is True:
        d = demo_data_dir() if data_dir is None else data_dir
        return AnalysisConfig.from_options(**demo_inputs(d), **settings), d / DEMO_FILES["villages"]
    section = _Section(path, "data", data)
    files = {
        "facilities": section.required_file("facilities"),
        "facilities_datum": data.get("facilities_datum", "wgs84"),
        "boundary": section.required_file("boundary"),
        "boundary_datum": data.get("boundary_datum", "wgs84"),
        "townships": section.file("townships"),
        "townships_datum": data.get("townships_datum", "wgs84"),
        "population": section.required_file("population"),
        "population_datum": data.get("population_datum", "wgs84"),
        "population_column": data.get("population_column"),
        "network": section.required_file("network"),
    }
    return AnalysisConfig.from_options(**files, **settings), None


def _candidates(path: Path, raw: Mapping[str, Any], villages_default: Path | None) -> dict[str, Any]:
    """``[candidates]``: kinds, costs, village points and clusters."""
    cand = raw.get("candidates", {})
    kinds = cand.get("kinds", ["upgrade", "new"])
    if not isinstance(kinds, list) or not kinds or any(k not in ("upgrade", "new") for k in kinds):
        raise _err(path, "candidates.kinds", f"must list 'upgrade' and/or 'new', got {kinds!r}",
                   'write kinds = ["upgrade"] or kinds = ["upgrade", "new"]')
    costs = cand.get("costs", {})
    if not isinstance(costs, dict) or any(k not in ("upgrade", "new") for k in costs):
        raise _err(path, "candidates.costs", f"must be a table of upgrade/new costs, got {costs!r}",
                   "write costs = { upgrade = 1, new = 5 }")
    costs = {k: _number(path, f"candidates.costs.{k}", v) for k, v in costs.items()}
    villages = (_Section(path, "candidates", cand).file("villages")
                or (villages_default if "new" in kinds else None))
    clusters = _number(path, "candidates.clusters", cand.get("clusters", 0), integer=True, high=1000)
    if "new" in kinds and villages is None and clusters == 0:
        raise _err(path, "candidates.villages", "new clinics need village points or clusters",
                   'give villages = "villages.csv" or clusters = 10, or use kinds = ["upgrade"]')
    return {"kinds": tuple(kinds), "costs": costs, "villages": villages, "clusters": int(clusters),
            "villages_datum": cand.get("villages_datum", "wgs84")}


def _candidate_limits(path: Path, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``[candidates]``: the clinic radius, minimum population and the overrides file."""
    cand = raw.get("candidates", {})
    return {
        "clinic_radius_m": _number(path, "candidates.clinic_radius_m", cand.get("clinic_radius_m", 500)),
        "min_population": _number(path, "candidates.min_population", cand.get("min_population", 0)),
        "overrides": _Section(path, "candidates", cand).file("overrides"),
    }


def _model_needs(path: Path, mtype: str, p: float | None, budget: float | None) -> None:
    """Each model's required parameters."""
    if mtype == "max_cover" and p is None and budget is None:
        raise _err(path, "model.p", "max_cover needs p or budget", "write p = 10 or budget = 60")
    if mtype == "p_median" and p is None:
        raise _err(path, "model.p", "p_median needs p", "write p = 10")
    if mtype == "upgrade_or_build" and budget is None:
        raise _err(path, "model.budget", "upgrade_or_build needs a budget", "write budget = 60")


def _model(path: Path, raw: Mapping[str, Any], plan: RankedPlan | None) -> dict[str, Any]:
    """``[model]``: the model and its parameters (the budget defaults to the yearly budgets' sum)."""
    model = raw.get("model")
    if model is None:
        raise _err(path, "model", "is missing", 'add [model] with type = "max_cover" and p = 10')
    mtype = model.get("type")
    if mtype not in MODELS:
        raise _err(path, "model.type", f"unknown model {mtype!r}", f"use one of {list(MODELS)}")
    p = model.get("p")
    p = None if p is None else _number(path, "model.p", p, integer=True, low=1)
    budget = model.get("budget")
    budget = None if budget is None else _number(path, "model.budget", budget)
    if budget is None and plan is not None and plan.budgets and mtype != "p_median":
        budget = float(sum(plan.budgets))
    share = _number(path, "model.share", model.get("share", 1.0), low=0.0, high=1.0)
    minimize = model.get("minimize", "cost")
    if minimize not in ("cost", "count"):
        raise _err(path, "model.minimize", f"must be 'cost' or 'count', got {minimize!r}",
                   'write minimize = "count" for the fewest sites')
    _model_needs(path, mtype, p, budget)
    time_limit = model.get("time_limit", 120)
    time_limit = None if time_limit is None else _number(path, "model.time_limit", time_limit, low=1)
    return {"model": mtype, "p": p, "budget": budget, "share": float(share), "minimize": minimize,
            "time_limit": time_limit, **_capacity(path, model, mtype)}


def _capacity(path: Path, model: Mapping[str, Any], mtype: str) -> dict[str, Any]:
    """``[model]``: capacitated siting (``capacity = true``) and its capacities."""
    capacity = model.get("capacity", False)
    if not isinstance(capacity, bool):
        raise _err(path, "model.capacity", f"must be true or false, got {capacity!r}",
                   "write capacity = true")
    if capacity and mtype == "p_median":
        raise _err(path, "model.capacity", "p_median has no capacitated form here",
                   'use type = "max_cover" or "set_cover" with capacity = true')
    per_site = _number(path, "model.capacity_per_site",
                       model.get("capacity_per_site", RESIDENTS_PER_TCM_PHYSICIAN), low=1, high=1e7)
    norm = _number(path, "model.residents_per_physician",
                   model.get("residents_per_physician", RESIDENTS_PER_TCM_PHYSICIAN), low=10, high=1e6)
    return {"capacity": capacity, "capacity_per_site": float(per_site),
            "residents_per_physician": float(norm)}


def _plan(path: Path, raw: Mapping[str, Any]) -> RankedPlan | None:
    """``[plan]``: the ranked plan, or None without the section."""
    if "plan" not in raw:
        return None
    plan = raw["plan"]
    order = plan.get("order", "coverage")
    if order not in ("coverage", "per_cost"):
        raise _err(path, "plan.order", f"unknown order {order!r}", 'use "coverage" or "per_cost"')
    among = plan.get("among", "plan")
    if among not in ("plan", "all"):
        raise _err(path, "plan.among", f"must be 'plan' or 'all', got {among!r}",
                   'write among = "plan" (rank the chosen sites) or "all" (every candidate)')
    steps = plan.get("steps")
    steps = None if steps is None else _number(path, "plan.steps", steps, integer=True, low=1)
    budgets = plan.get("budget_per_year", [])
    if not isinstance(budgets, list):
        raise _err(path, "plan.budget_per_year", f"must be a list, got {budgets!r}",
                   "write budget_per_year = [300, 300]")
    budgets = [_number(path, "plan.budget_per_year", b) for b in budgets]
    years = plan.get("years", list(range(1, len(budgets) + 1)))
    if not isinstance(years, list) or len(years) != len(budgets):
        raise _err(path, "plan.years", f"must list one label per yearly budget ({len(budgets)}), "
                   f"got {years!r}", "write e.g. years = [2026, 2027] beside budget_per_year")
    exact = plan.get("exact", True)
    if not isinstance(exact, bool):
        raise _err(path, "plan.exact", f"must be true or false, got {exact!r}", "write exact = true")
    return RankedPlan(order=order, among=among, steps=None if steps is None else int(steps),
                      budgets=tuple(float(b) for b in budgets),
                      years=tuple(str(y) for y in years), exact=exact)


def _quota_share(path: Path, quotas: Mapping[str, Any]) -> tuple[float | None, str]:
    """The share per township: given, or the ``zhongyige_share`` target of ``quota_profile``."""
    share, profile = quotas.get("min_share_per_township"), quotas.get("quota_profile")
    if share is not None and profile is not None:
        raise _err(path, "quotas.quota_profile", "give min_share_per_township or quota_profile, "
                   "not both", "keep one of the two keys")
    if share is not None:
        return float(_number(path, "quotas.min_share_per_township", share, high=1.0)), ""
    if profile is None:
        return None, ""
    name = str(profile)
    candidate = Path(name)
    if candidate.suffix == ".toml" and not candidate.is_absolute():
        name = str(path.resolve().parent / candidate)
    try:
        target = load_profile(name).targets.get("zhongyige_share")
    except InputError as exc:
        raise _err(path, "quotas.quota_profile", exc.message,
                   exc.fix or "use yantai, national, ... or a profile .toml") from None
    if target is None or target.target is None:
        raise _err(path, "quotas.quota_profile", f"the profile {profile!r} sets no 中医阁 share "
                   "(zhongyige_share)", "use a profile with one (yantai, national) or write "
                   "min_share_per_township = 0.2")
    return float(target.target), str(profile)


def _quotas(path: Path, raw: Mapping[str, Any], model: str) -> QuotaSettings | None:
    """``[quotas]``: per-township quotas, or None without the section."""
    if "quotas" not in raw:
        return None
    if model == "p_median":
        raise _err(path, "quotas", "township quotas apply to max_cover, set_cover and "
                   "upgrade_or_build, not p_median", "remove [quotas] or change [model].type")
    quotas = raw["quotas"]
    counts = {}
    for key in ("min_sites_per_township", "max_sites_per_township"):
        v = quotas.get(key)
        counts[key] = None if v is None else int(_number(path, f"quotas.{key}", v, integer=True))
    lo, hi = counts["min_sites_per_township"], counts["max_sites_per_township"]
    if lo is not None and hi is not None and hi < lo:
        raise _err(path, "quotas.max_sites_per_township", f"{hi} is below the minimum {lo}",
                   "raise max_sites_per_township or lower min_sites_per_township")
    share, profile = _quota_share(path, quotas)
    if lo is None and hi is None and share is None:
        raise _err(path, "quotas", "sets no quota", "write e.g. min_share_per_township = 0.2 "
                   'or quota_profile = "yantai" or min_sites_per_township = 1')
    return QuotaSettings(min_sites=lo, max_sites=hi, min_share=share, profile=profile)


def load_scenario(path: str | Path, *, data_dir: Path | None = None) -> Scenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path
        The ``.toml`` file.
    data_dir
        Folder of the bundled demo data (default: :func:`tcm_coverage.demo.demo_data_dir`).

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        Naming the file, the key and the fix: unknown sections or keys (with the accepted ones),
        missing or wrong-typed values, unknown mode/model/kind, missing input files.
    """
    path = Path(path)
    raw = _read_toml(path)
    sc = raw.get("scenario", {})
    name = sc.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[\w\-]+", name):
        raise _err(path, "scenario.name", f"must be a short name of letters, digits, _ or -, got {name!r}",
                   'write e.g. name = "upgrade_only"')
    access = _access(path, raw)
    rendering = _map(path, raw)
    config, villages_default = _data(path, raw, access, rendering["lang"], data_dir)
    candidates = _candidates(path, raw, villages_default)
    plan = _plan(path, raw)
    model = _model(path, raw, plan)
    return Scenario(name=name, path=path, config=config, title=str(sc.get("title", name)),
                    description=str(sc.get("description", "")), **access, **candidates,
                    **_candidate_limits(path, raw), **model, **rendering, plan=plan,
                    quotas=_quotas(path, raw, model["model"]))
