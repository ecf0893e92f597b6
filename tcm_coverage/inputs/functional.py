"""Functional TCM points: when a 中医阁/中医馆 counts as a TCM service point by what it can do.

A flag 中医阁 = 是 says a clinic has the signboard; the plans measure capability: "village
clinics able to give TCM services 80 % (4 types, 6 techniques)", "community health stations /
village clinics with ≥ 1 TCM-capable physician / staff member" (national primary-care TCM
action plan, 2021–2025). With ``--functional-only`` (or a profile's ``functional_rule``) a
facility flagged 中医阁 (village clinic / community station) or 中医馆 (township / community
centre) counts as a TCM service point only when its capability columns meet the rule:

* **staff**: TCM-capable staff (能提供中医药服务人员数; where blank, 中医类别医师数) ≥ ``staff``;
* **services**: 中医药技术类数 ≥ ``types`` and 中医药技术项数 ≥ ``techniques`` where both
  are given; where they are not, the yes/no column 能提供中医药服务.

Both must hold. The default rule is the national plan's for village clinics:
``staff>=1, types>=4, techniques>=6``. Unknown is not yes: a facility whose capability is
blank (or whose table has no such column) is *unknown*, not counted under the rule, and the
run's notes give how many (the ``tcm_any_upper`` bound counts them).

Columns of the facility frame (:func:`~tcm_coverage.inputs.facilities.read_facilities`):
``tcm_services`` (pandas ``boolean``, ``<NA>`` unknown), ``tcm_technique_types``,
``tcm_techniques``, ``tcm_capable_physicians``, ``tcm_capable_staff`` (NaN unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tcm_coverage._errors import InputError

__all__ = ["CAPABILITY_COLUMNS", "DEFAULT_FUNCTIONAL_RULE", "FunctionalRule", "functional_status",
           "parse_functional_rule", "services_status", "staff_status"]

#: The capability columns of the facility frame (numbers; ``tcm_services`` is yes/no).
CAPABILITY_COLUMNS: tuple[str, ...] = ("tcm_services", "tcm_technique_types", "tcm_techniques",
                                       "tcm_capable_physicians", "tcm_capable_staff")


@dataclass(frozen=True)
class FunctionalRule:
    """The capability a 中医阁/中医馆 needs to count (see the module docstring).

    Attributes
    ----------
    staff
        Fewest TCM-capable staff.
    types, techniques
        Fewest TCM technique types and techniques.
    """

    staff: float = 1.0
    types: float = 4.0
    techniques: float = 6.0

    def describe(self) -> str:
        """The rule as written in a profile (``staff>=1, types>=4, techniques>=6``)."""
        return f"staff>={self.staff:g}, types>={self.types:g}, techniques>={self.techniques:g}"


DEFAULT_FUNCTIONAL_RULE = FunctionalRule()

_TERM = re.compile(r"^\s*(staff|types|techniques)\s*>=\s*(\d+(?:\.\d+)?)\s*$")


def parse_functional_rule(text: str, *, path: str | None = None) -> FunctionalRule:
    """Read ``"staff>=1, types>=4, techniques>=6"`` (terms left out keep the default).

    Raises
    ------
    InputError
        A term that is not ``staff``/``types``/``techniques`` ``>=`` a number.
    """
    values: dict[str, float] = {}
    for term in str(text).split(","):
        if not term.strip():
            continue
        m = _TERM.match(term)
        if m is None:
            raise InputError(f"cannot read functional_rule term '{term.strip()}'", path=path,
                             column="functional_rule",
                             fix='write e.g. functional_rule = "staff>=1, types>=4, techniques>=6"')
        values[m.group(1)] = float(m.group(2))
    return FunctionalRule(**values)


def _numbers(facilities: pd.DataFrame, column: str) -> np.ndarray:
    if column not in facilities:
        return np.full(len(facilities), np.nan)
    return facilities[column].to_numpy(float)


def staff_status(facilities: pd.DataFrame, minimum: float = 1.0, *,
                 physicians_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """TCM-capable staff ≥ ``minimum``: ``(yes, known)`` per facility.

    Staff is 能提供中医药服务人员数, where blank 中医类别医师数 (``physicians_only``: the
    physicians alone). NaN counts are unknown.
    """
    staff = _numbers(facilities, "tcm_capable_physicians")
    if not physicians_only:
        staff = np.where(np.isnan(_numbers(facilities, "tcm_capable_staff")), staff,
                         _numbers(facilities, "tcm_capable_staff"))
    known = np.isfinite(staff)
    return known & (np.nan_to_num(staff) >= minimum), known


def services_status(facilities: pd.DataFrame, types: float = 4.0, techniques: float = 6.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Able to give TCM services: ``(yes, known)`` per facility.

    ≥ ``types`` technique types and ≥ ``techniques`` techniques where both counts are given;
    elsewhere the yes/no column 能提供中医药服务 (blank: unknown).
    """
    n_types, n_tech = _numbers(facilities, "tcm_technique_types"), _numbers(facilities, "tcm_techniques")
    counted = np.isfinite(n_types) & np.isfinite(n_tech)
    meets = counted & (np.nan_to_num(n_types) >= types) & (np.nan_to_num(n_tech) >= techniques)
    if "tcm_services" in facilities:
        flag = facilities["tcm_services"].astype("boolean")
        flag_known = flag.notna().to_numpy(bool)
        flag_yes = flag.fillna(False).to_numpy(bool)
    else:
        flag_known = flag_yes = np.zeros(len(facilities), bool)
    return np.where(counted, meets, flag_yes), counted | flag_known


def functional_status(facilities: pd.DataFrame, rule: FunctionalRule = DEFAULT_FUNCTIONAL_RULE
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Whether each facility meets the functional rule: ``(yes, unknown)`` boolean arrays.

    Parameters
    ----------
    facilities
        From :func:`~tcm_coverage.inputs.facilities.read_facilities`.
    rule
        The rule.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``yes``: known to meet it; ``unknown``: neither known to meet it nor known to fail.
    """
    staff_yes, staff_known = staff_status(facilities, rule.staff)
    serv_yes, serv_known = services_status(facilities, rule.types, rule.techniques)
    yes = staff_yes & serv_yes
    no = (staff_known & ~staff_yes) | (serv_known & ~serv_yes)
    return yes, ~yes & ~no
