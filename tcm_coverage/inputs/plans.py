"""Plan-target profiles: which numbers a county is checked against, from which plan, and how.

A *profile* is one column of the planning-target table (``docs/targets.md``): the national and
Jiangsu primary-care TCM action plans, Jilin City's TCM plan, Yantai's TCM revitalisation rules,
Tunliu district's TCM health-service plan and Ziyang's TCM action plan. Profiles ship with the
package as TOML files in ``tcm_coverage/profiles/``; a user can write their own file in the same
format and pass its path wherever a profile name is accepted.

File format
-----------
.. code-block:: toml

    name = "my_county"                      # optional; default: the file name
    title = "某县中医药发展规划（2021–2025）"  # optional; shown on the scorecard
    title_en = "Some county's TCM plan"      # optional

    [indicators.zhongyige_share]            # a key of INDICATORS
    target = 0.2                            # a number, a range [0.6, 0.8], or "no number"
    source = "Some county's TCM plan"       # required: the plan the number comes from
    note = "20 %"                           # optional: the plan's wording
    computed = "..."                        # optional: how it is computed (default: INDICATORS)

    [indicators.coverage_15min]
    target = "no number"
    source = "Some county's TCM plan"
    minutes = 15                            # coverage only: the threshold (default 15)
    mode = "ebike"                          # coverage only: travel mode (default: e-bike if run)

Shares are fractions (10 % is ``0.1``); ratios are per the indicator's population unit (per
10,000 or per 1,000 residents); counts are whole facilities. A range ``[low, high]`` (e.g. the
national 0.6–0.8 TCM GPs per 10,000) is met from ``low`` upwards.

Indicators the analyzer cannot measure from a facility table and a road network (中医馆 grades,
TCM health-management rates, …) may still be listed: the scorecard shows them as "no data" with
the data they would need, never as zero.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from tcm_coverage._errors import InputError
from tcm_coverage.inputs.functional import FunctionalRule, parse_functional_rule
from tcm_coverage.inputs.indicators import INDICATORS, IndicatorSpec

__all__ = [
    "NO_NUMBER",
    "PlanTarget",
    "Profile",
    "list_profiles",
    "load_profile",
    "parse_profile",
]

#: The literal a profile writes when a plan names an indicator but gives no number.
NO_NUMBER = "no number"

_TARGET_FIELDS = {"target", "source", "note", "computed", "minutes", "mode"}
_TOP_FIELDS = {"name", "title", "title_en", "description", "indicators", "functional_rule"}


@dataclass(frozen=True)
class PlanTarget:
    """One indicator of a profile: the number a plan sets for it (its *target*) and where from.

    Attributes
    ----------
    key
        Indicator key (see :data:`INDICATORS`).
    target
        The number (lower end of a range), ``None`` when the plan gives no number.
    target_max
        Upper end of a range, else ``None``.
    source
        The plan the number comes from.
    note
        The plan's wording, when worth showing.
    computed
        How the analyzer computes it.
    minutes, mode
        Threshold and travel mode (coverage indicator only; ``mode`` ``None`` = the default).
    """

    key: str
    target: float | None
    target_max: float | None
    source: str
    note: str = ""
    computed: str = ""
    minutes: float | None = None
    mode: str | None = None

    @property
    def spec(self) -> IndicatorSpec:
        """The indicator's :class:`IndicatorSpec`."""
        return INDICATORS[self.key]


@dataclass(frozen=True)
class Profile:
    """A set of plan targets (one column of the planning-target table).

    Attributes
    ----------
    name
        Short identifier (``"national"``, ``"yantai"``, …).
    title, title_en
        Name of the plan(s) in Chinese and English.
    description
        Free text.
    targets
        Indicator key → :class:`PlanTarget`, in file order.
    path
        The file it was read from (``None`` when parsed from a mapping).
    functional_rule
        ``functional_rule = "staff>=1, types>=4, techniques>=6"`` at the top of the file: count
        a 中医馆/中医阁 only when its capability meets it (:mod:`tcm_coverage.inputs.functional`);
        ``None``: the flags alone (unless ``--functional-only``).
    """

    name: str
    title: str
    title_en: str
    description: str = ""
    targets: Mapping[str, PlanTarget] = field(default_factory=dict)
    path: Path | None = None
    functional_rule: FunctionalRule | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        """The distinct source plans, in order of first use."""
        return tuple(dict.fromkeys(t.source for t in self.targets.values()))


def _profile_dir() -> Path:
    return Path(str(resources.files("tcm_coverage") / "profiles"))


def list_profiles() -> list[str]:
    """Names of the profiles shipped with the package.

    Returns
    -------
    list of str
        E.g. ``["jiangsu", "jilin_city", "national", "tunliu", "yantai", "ziyang"]``.
    """
    return sorted(p.stem for p in _profile_dir().glob("*.toml"))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_fields(key: str, raw: Mapping[str, Any], *, where: str | None, field_name: str) -> str:
    """Only known fields, a source plan (returned, stripped) and a target."""
    unknown = sorted(set(raw) - _TARGET_FIELDS)
    if unknown:
        hint = "; ".join(f"'{u}' → did you mean '{m[0]}'?" for u in unknown
                         if (m := difflib.get_close_matches(u, _TARGET_FIELDS, n=1)))
        raise InputError(
            f"indicator '{key}' has unknown field(s) {unknown}", path=where, column=field_name,
            fix=f"use only {sorted(_TARGET_FIELDS)}" + (f" ({hint})" if hint else ""),
        )
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise InputError(
            f"indicator '{key}' has no source plan", path=where, column=field_name,
            fix='add a line source = "…" naming the plan the number comes from '
                '(e.g. source = "national primary-care TCM action plan")',
        )
    if "target" not in raw:
        raise InputError(
            f"indicator '{key}' has no target", path=where, column=field_name,
            fix=f'add target = <number>, a range [low, high], or target = "{NO_NUMBER}" when the '
                "plan names the indicator without a number",
        )
    return source.strip()


def _check_text_fields(key: str, raw: Mapping[str, Any], *, where: str | None,
                       field_name: str) -> None:
    for text_field in ("note", "computed"):
        if text_field in raw and not isinstance(raw[text_field], str):
            raise InputError(f"indicator '{key}': {text_field} must be text", path=where,
                             column=field_name, fix=f'write {text_field} = "…"')


def _target_range(key: str, value: Any, *, where: str | None,
                  field_name: str) -> tuple[float | None, float | None]:
    """The target as (low, high): a number (high ``None``), a range, or "no number" (both ``None``)."""
    if isinstance(value, str) and value.strip().lower() == NO_NUMBER:
        low, high = None, None
    elif _is_number(value):
        low, high = float(value), None
    elif (isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value)
          and value[0] <= value[1]):
        low, high = float(value[0]), float(value[1])
    else:
        raise InputError(
            f"indicator '{key}': target {value!r} is not a number", path=where, column=field_name,
            fix="write a number (10 % is 0.1), a range [low, high] with low <= high, "
                f'or "{NO_NUMBER}"',
        )
    spec = INDICATORS[key]
    for v in (low, high):
        if v is None:
            continue
        if spec.measure in ("share", "presence") and not 0.0 <= v <= 1.0:
            raise InputError(
                f"indicator '{key}' is a share but its target is {v:g}", path=where,
                column=field_name,
                fix=f"write shares as fractions between 0 and 1 (e.g. {v / 100:g} for {v:g} %)"
                if 1.0 < v <= 100.0 else "write a share between 0 and 1 (10 % is 0.1)",
            )
        if v < 0:
            raise InputError(f"indicator '{key}' has a negative target {v:g}", path=where,
                             column=field_name, fix="write a number >= 0")
    return low, high


def _coverage_options(key: str, raw: Mapping[str, Any], *, where: str | None,
                      field_name: str) -> tuple[float | None, str | None]:
    """``minutes`` and ``mode`` of the coverage indicator (15 minutes by default)."""
    minutes = raw.get("minutes")
    mode = raw.get("mode")
    if (minutes is not None or mode is not None) and key != "coverage_15min":
        raise InputError(f"indicator '{key}': minutes/mode apply only to coverage_15min",
                         path=where, column=field_name, fix="remove the minutes/mode lines")
    if minutes is not None and (not _is_number(minutes) or not 0 < minutes <= 240):
        raise InputError(f"indicator '{key}': minutes must be a number between 0 and 240, got "
                         f"{minutes!r}", path=where, column=field_name, fix="e.g. minutes = 15")
    if mode is not None and not isinstance(mode, str):
        raise InputError(f"indicator '{key}': mode must be text, got {mode!r}", path=where,
                         column=field_name, fix='e.g. mode = "ebike"')
    if key == "coverage_15min" and minutes is None:
        minutes = 15.0
    return (None if minutes is None else float(minutes)), mode


def _parse_target(key: str, raw: Mapping[str, Any], *, where: str | None) -> PlanTarget:
    field_name = f"[indicators.{key}]"
    source = _check_fields(key, raw, where=where, field_name=field_name)
    low, high = _target_range(key, raw["target"], where=where, field_name=field_name)
    minutes, mode = _coverage_options(key, raw, where=where, field_name=field_name)
    _check_text_fields(key, raw, where=where, field_name=field_name)
    return PlanTarget(key=key, target=low, target_max=high, source=source,
                      note=str(raw.get("note", "")).strip(),
                      computed=str(raw.get("computed", "")).strip() or INDICATORS[key].method_en,
                      minutes=minutes, mode=mode)


def parse_profile(data: Mapping[str, Any], *, name: str = "custom",
                  path: str | PathLike[str] | None = None) -> Profile:
    """Validate a profile given as a mapping (the parsed TOML).

    Parameters
    ----------
    data
        Top-level keys ``name``, ``title``, ``title_en``, ``description`` and the table
        ``indicators`` (see the module docstring).
    name
        Name used when ``data`` has none.
    path
        File the mapping came from, for error messages.

    Returns
    -------
    Profile

    Raises
    ------
    InputError
        Unknown indicator or field, non-numeric target, share outside 0–1, missing source; the
        message names the file, the indicator and the fix.
    """
    where = None if path is None else str(path)
    unknown_top = sorted(set(data) - _TOP_FIELDS)
    if unknown_top:
        raise InputError(
            f"unknown top-level field(s) {unknown_top}", path=where,
            fix="put each indicator under [indicators.<key>]; top-level fields are "
                f"{sorted(_TOP_FIELDS - {'indicators'})}",
        )
    indicators = data.get("indicators")
    if not isinstance(indicators, Mapping) or not indicators:
        raise InputError("the profile lists no indicators", path=where,
                         fix="add at least one table [indicators.<key>] with target and source")
    targets: dict[str, PlanTarget] = {}
    for key, raw in indicators.items():
        if key not in INDICATORS:
            close = difflib.get_close_matches(key, INDICATORS, n=1)
            raise InputError(
                f"unknown indicator '{key}'", path=where, column=f"[indicators.{key}]",
                fix=(f"did you mean '{close[0]}'? " if close else "")
                + f"indicators are: {', '.join(INDICATORS)}",
            )
        if not isinstance(raw, Mapping):
            raise InputError(f"indicator '{key}' must be a table", path=where,
                             fix=f"write it as [indicators.{key}] with target = … and source = …")
        targets[key] = _parse_target(key, raw, where=where)
    ordered = {k: targets[k] for k in INDICATORS if k in targets}
    for text_field in ("name", "title", "title_en", "description"):
        if text_field in data and not isinstance(data[text_field], str):
            raise InputError(f"'{text_field}' must be text", path=where,
                             fix=f'write {text_field} = "…"')
    pname = str(data.get("name", name)).strip() or name
    return Profile(name=pname, title=str(data.get("title", pname)),
                   title_en=str(data.get("title_en", data.get("title", pname))),
                   description=str(data.get("description", "")), targets=ordered,
                   path=None if path is None else Path(path),
                   functional_rule=(None if data.get("functional_rule") is None
                                    else parse_functional_rule(data["functional_rule"], path=where)))


def load_profile(name_or_path: str | PathLike[str] | Profile) -> Profile:
    """Load a shipped profile by name, or a user's profile file by path.

    Parameters
    ----------
    name_or_path
        A name from :func:`list_profiles` (``"national"``, ``"yantai"``, …), a path to a
        ``.toml`` file, or a :class:`Profile` (returned as is).

    Returns
    -------
    Profile

    Raises
    ------
    InputError
        Unknown name, missing file, TOML syntax error or an invalid profile (see
        :func:`parse_profile`).
    """
    if isinstance(name_or_path, Profile):
        return name_or_path
    text = str(name_or_path)
    looks_like_path = (isinstance(name_or_path, PathLike) or text.endswith(".toml")
                       or "/" in text or "\\" in text)
    if looks_like_path:
        path = Path(name_or_path)
        if not path.is_file():
            raise InputError("profile file not found", path=path,
                             fix="check the path, or use a shipped profile: "
                                 f"{', '.join(list_profiles())}")
    else:
        path = _profile_dir() / f"{text}.toml"
        if not path.is_file():
            close = difflib.get_close_matches(text, list_profiles(), n=1)
            raise InputError(
                f"unknown profile '{text}'",
                fix=(f"did you mean '{close[0]}'? " if close else "")
                + f"use one of {', '.join(list_profiles())} or the path of a .toml file",
            )
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=path,
                         fix="check quotes, brackets and '=' on the line named") from exc
    except UnicodeDecodeError as exc:
        raise InputError("the profile is not UTF-8 text", path=path,
                         fix="save the file as UTF-8") from exc
    return parse_profile(data, name=path.stem, path=path)
