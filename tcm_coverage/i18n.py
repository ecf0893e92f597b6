"""The one zh/en catalogue: every label, heading and message template a person reads.

Outputs are Chinese by default and English with ``--lang en``. Code never writes
``"…" if zh else "…"``; it asks this module:

>>> label("facility_set", "zhongyige", "zh")
'中医阁'

Each entry is a pair ``(zh, en)`` under a dotted key ``"<section>.<name>"``; templates use
:meth:`str.format` fields, filled by keyword. Sections follow the package's folders (``inputs``,
``network``, ``access``, ``siting``, ``outputs``, ``workflows``, ``cli``, ``batch``) plus the
label groups of the domain's words (``facility_set``, ``facility_set_definition``, ``mode``),
whose names are those of :mod:`tcm_coverage.vocab`. A test checks that every entry has both
languages and that both carry the same fields.

This module imports only the standard library, so every layer may use it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "CATALOGUE",
    "FACILITY_SET_DEFINITIONS",
    "FACILITY_SET_LABELS",
    "LANGS",
    "MODE_LABELS",
    "check_lang",
    "fields",
    "label",
    "labels",
    "text",
]

#: Output languages: Chinese (default) and English.
LANGS: Final = ("zh", "en")

# ---------------------------------------------------------------------------------------------
# The domain's words
# ---------------------------------------------------------------------------------------------
_FACILITY_SET: dict[str, tuple[str, str]] = {
    "tcm_any": ("中医药服务点", "any TCM service point"),
    "county_tcm": ("县级中医医院", "county TCM hospital"),
    "zhongyiguan": ("中医馆", "centre with 中医馆 (TCM hall)"),
    "zhongyige": ("中医阁", "clinic with 中医阁 (TCM corner)"),
    "primary_any": ("基层医疗机构", "any primary-care facility"),
    "tcm_any_upper": ("中医药服务点（未知按有，上限）",
                      "any TCM service point (unknown 中医馆/中医阁 as yes: upper bound)"),
}

_FACILITY_SET_DEFINITION: dict[str, tuple[str, str]] = {
    "tcm_any": ("县级中医医院、设中医馆的乡镇卫生院/社区卫生服务中心、设中医阁的村卫生室/社区卫生服务站",
                "county TCM hospitals, centres with a 中医馆, clinics/stations with a 中医阁"),
    "county_tcm": ("县级中医医院", "county TCM hospitals"),
    "zhongyiguan": ("设中医馆的乡镇卫生院/社区卫生服务中心",
                    "township health centres / community health service centres with a 中医馆"),
    "zhongyige": ("设中医阁的村卫生室/社区卫生服务站",
                  "village clinics / community health stations with a 中医阁"),
    "primary_any": ("所有乡镇卫生院、社区卫生服务中心、村卫生室、社区卫生服务站（不论是否有中医馆/中医阁）",
                    "every township/community centre and village clinic/station, TCM or not"),
    "tcm_any_upper": ("同“中医药服务点”，另把中医馆/中医阁情况未知的中心和站室都算作有（上限）",
                      "as any TCM service point, also counting every centre / clinic whose "
                      "中医馆/中医阁 is unknown as having one (upper bound)"),
}

_MODE: dict[str, tuple[str, str]] = {
    "walk": ("步行", "walking"),
    "walk_elderly": ("老人步行", "walking (elderly)"),
    "ebike": ("电动自行车", "e-bike"),
    "bicycle": ("自行车", "bicycle"),
    "car": ("汽车", "car"),
}

# ---------------------------------------------------------------------------------------------
# inputs/
# ---------------------------------------------------------------------------------------------
_INPUTS: dict[str, tuple[str, str]] = {
}

# ---------------------------------------------------------------------------------------------
# network/
# ---------------------------------------------------------------------------------------------
_NETWORK: dict[str, tuple[str, str]] = {
}

# ---------------------------------------------------------------------------------------------
# access/
# ---------------------------------------------------------------------------------------------
_ACCESS: dict[str, tuple[str, str]] = {
    # warnings of compute_access; {mode} and {facility_set} are the label in Chinese, the
    # machine name in English
    "off_main_component": (
        "{mode}：{population:,.0f} 人（{points} 个居民点）附近的道路片区（{km:g} 公里以上）"
        "与主路网不连通，只能到达同一片区上的设施（或直线 {direct_m:g} 米内的设施）",
        "{mode}: {population:,.0f} residents ({points} points) live by a road piece of "
        "at least {km:g} km that is not connected to the main network; they reach only "
        "facilities on the same piece (or within {direct_m:g} m in a straight line)"),
    "skipped_fragment": (
        "{mode}：{population:,.0f} 人（{points} 个居民点）最近的是不与路网相连的"
        "零散路段（孤立步道、台阶、封闭的内部道路），改为连接到路网，离路距离增加"
        "（中位数 {median_m:.0f} 米，最多 {max_m:.0f} 米）",
        "{mode}: {population:,.0f} residents ({points} points) are nearest to a road "
        "fragment that joins nothing (a footway island, steps, a closed service road); "
        "they were attached to the network by a longer off-road leg (median +{median_m:.0f} m, "
        "at most +{max_m:.0f} m)"),
    "no_facility": (
        "没有设施属于「{facility_set}」，到它的出行时间均为不可达",
        "no facility counts as '{facility_set}'; its travel times are all unreachable"),
}

# ---------------------------------------------------------------------------------------------
# siting/
# ---------------------------------------------------------------------------------------------
_SITING: dict[str, tuple[str, str]] = {
}

# ---------------------------------------------------------------------------------------------
# outputs/
# ---------------------------------------------------------------------------------------------
_OUTPUTS: dict[str, tuple[str, str]] = {
}

# ---------------------------------------------------------------------------------------------
# workflows/
# ---------------------------------------------------------------------------------------------
_WORKFLOWS: dict[str, tuple[str, str]] = {
}

# ---------------------------------------------------------------------------------------------
# cli/
# ---------------------------------------------------------------------------------------------
_CLI: dict[str, tuple[str, str]] = {
}

# ---------------------------------------------------------------------------------------------
# batch/
# ---------------------------------------------------------------------------------------------
_BATCH: dict[str, tuple[str, str]] = {
}

# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------
_SECTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "facility_set": _FACILITY_SET,
    "facility_set_definition": _FACILITY_SET_DEFINITION,
    "mode": _MODE,
    "inputs": _INPUTS,
    "network": _NETWORK,
    "access": _ACCESS,
    "siting": _SITING,
    "outputs": _OUTPUTS,
    "workflows": _WORKFLOWS,
    "cli": _CLI,
    "batch": _BATCH,
}

#: Every entry: ``"<section>.<name>"`` → ``(zh, en)``.
CATALOGUE: Mapping[str, tuple[str, str]] = MappingProxyType(
    {f"{section}.{name}": pair for section, entries in _SECTIONS.items() for name, pair in entries.items()})


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGS`, else :class:`ValueError` naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of: {', '.join(LANGS)}")
    return lang


def text(key: str, lang: str = "zh", /, **values: object) -> str:
    """The text of ``key`` in ``lang``, with its ``{fields}`` filled from ``values``.

    Parameters
    ----------
    key
        ``"<section>.<name>"``, a key of :data:`CATALOGUE`.
    lang
        ``"zh"`` or ``"en"``.
    **values
        The template's fields.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        ``key`` is not in the catalogue (the message names the closest keys' section).
    """
    try:
        pair = CATALOGUE[key]
    except KeyError:
        section = key.partition(".")[0]
        known = sorted(k for k in CATALOGUE if k.startswith(section + "."))
        raise KeyError(f"no text {key!r} in the catalogue (section {section!r} has {len(known)} keys)") from None
    template = pair[LANGS.index(check_lang(lang))]
    return template.format(**values) if values else template


def label(group: str, name: str, lang: str = "zh") -> str:
    """The label of one of the domain's words, or ``name`` itself when the group lacks it.

    Parameters
    ----------
    group
        ``"facility_set"``, ``"facility_set_definition"`` or ``"mode"``.
    name
        The machine name (e.g. ``"zhongyige"``, ``"ebike"``).
    lang
        ``"zh"`` or ``"en"``.
    """
    pair = _SECTIONS[group].get(name)
    return name if pair is None else pair[LANGS.index(check_lang(lang))]


def labels(group: str) -> dict[str, dict[str, str]]:
    """A label group as ``{name: {"zh": …, "en": …}}`` (for tables and legends)."""
    return {name: dict(zip(LANGS, pair, strict=True)) for name, pair in _SECTIONS[group].items()}


def fields(template: str) -> set[str]:
    """The ``{field}`` names of a template (the catalogue test compares zh and en)."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


#: ``{facility_set: {"zh": label, "en": label}}`` for every set of :data:`~tcm_coverage.vocab.FACILITY_SETS`.
FACILITY_SET_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(labels("facility_set"))
#: ``{facility_set: {"zh": definition, "en": definition}}``.
FACILITY_SET_DEFINITIONS: Mapping[str, Mapping[str, str]] = MappingProxyType(labels("facility_set_definition"))
#: ``{mode: {"zh": label, "en": label}}`` for every mode of :data:`~tcm_coverage.vocab.MODES`.
MODE_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(labels("mode"))
