"""The facility type review: how each row of a POI export was typed, as the sheet 设施类型识别.

:func:`review_frame` records, per input row, the kind a rule gave (or why the row was left
out), the rule and its note in both languages, and the input cells needed to read the sheet
back; :func:`review_sheet` renders it for ``coverage.xlsx``. Read back with
:func:`tcm_coverage.inputs.facilities.read_facilities` (``--sheet 设施类型识别``) the sheet is a
typed facility table: correct the 识别类型 column and rerun.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tcm_coverage._tables import blank_cells
from tcm_coverage.i18n import text
from tcm_coverage.inputs.facility_rules import KIND_LABELS, RULES, SKIP_LABELS, TypeResult
from tcm_coverage.inputs.facility_types import COUNT_COLUMNS

__all__ = ["FLAGS", "mark_halls", "review_frame", "review_sheet"]

#: The 中医馆/中医阁 flag columns.
FLAGS: tuple[str, str] = ("zhongyiguan", "zhongyige")

#: Input columns carried into the review sheet (so that it reads back as a typed table).
_CARRIED = ("lon", "lat", "location", "datum", "facility_id", *FLAGS, *COUNT_COLUMNS, "capacity")

_RULE_OF = {r.rule_id: r for r in RULES}
_NOTE_COLUMN = {"zh": "note_zh", "en": "note"}


def _note(res: TypeResult, lang: str) -> str:
    """The rule note of one row: which rule typed it (or that none did), and through what name."""
    if res.rule_id == "T":
        note = text("inputs.rule_t_note", lang)
    elif res.rule_id in _RULE_OF:
        note = _RULE_OF[res.rule_id].note(lang)
    else:
        note = text("inputs.rule_none_note", lang)
    if res.via and res.rule_id != "X5":
        note += text("inputs.rule_via_note", lang, via=res.via)
    if res.rule_id == "X5" and res.via:
        note += text("inputs.rule_part_of_note", lang, via=res.via)
    return note


def review_frame(frame: pd.DataFrame, found: Mapping[str, str | None], rows: np.ndarray,
                 results: list[TypeResult], evidence: Mapping[int, str]) -> pd.DataFrame:
    """The review of every input row (:attr:`~tcm_coverage.inputs.facilities.FacilityTable.review`).

    Parameters
    ----------
    frame
        The input rows.
    found
        Field -> the input's column (``None`` when absent).
    rows
        (len(frame),) spreadsheet row numbers.
    results
        How each row was typed.
    evidence
        Row position -> the department POI that shows its 中医馆/中医阁 (``"12: 甲镇卫生院中医馆"``).

    Returns
    -------
    pandas.DataFrame
    """
    review = pd.DataFrame({
        "row": rows,
        "name": frame[found["name"]].to_numpy(object),
        "category": (frame[found["type"]].to_numpy(object) if found["type"] is not None
                     else np.full(len(frame), None, dtype=object)),
        "kind": [r.kind for r in results],
        "action": [r.action for r in results],
        "rule_id": [r.rule_id for r in results],
        "note": [_note(r, "en") for r in results],
        "note_zh": [_note(r, "zh") for r in results],
        "evidence": [evidence.get(i, "") for i in range(len(results))],
    })
    for key in _CARRIED:
        col = found.get(key)
        if col is not None:
            review[key] = frame[col].to_numpy(object)
    return review


def mark_halls(review: pd.DataFrame, hall: Mapping[int, str]) -> pd.DataFrame:
    """The review with 是 (``True``) in the blank 中医馆/中医阁 cells a department POI shows.

    Parameters
    ----------
    review
        :func:`review_frame` (not changed).
    hall
        Row position -> ``"zhongyiguan"`` / ``"zhongyige"``.

    Returns
    -------
    pandas.DataFrame
    """
    out = review.copy()
    for flag in FLAGS:
        marked = [i for i, f in hall.items() if f == flag]
        if not marked:
            continue
        values = out[flag] if flag in out else pd.Series(None, index=out.index, dtype=object)
        values = values.astype(object)
        blank = blank_cells(values.iloc[marked])
        values.iloc[[m for m, b in zip(marked, blank, strict=True) if b]] = True
        out[flag] = values
    return out


def _yes_no_cell(value: object, lang: str) -> object:
    if isinstance(value, (bool, np.bool_)):
        return text("inputs.yes" if value else "inputs.no", lang)
    return value


def review_sheet(review: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The review sheet ``设施类型识别`` of :attr:`FacilityTable.review`, ready for a workbook.

    Columns (Chinese, or English with ``lang="en"``): 行号/row, 名称/name, POI类别/POI
    category, 识别类型/inferred type (an accepted type name, ``不计入``/``exclude`` for rows
    left out, ``未识别``/``unrecognised`` for rows no rule typed), 规则/rule, 规则说明/rule note,
    then the input's coordinates, 中医馆/中医阁 and other facility columns as given. Read back
    with :func:`read_facilities` (``--sheet 设施类型识别``) it is a typed facility table: correct
    the 识别类型 column and rerun.

    Parameters
    ----------
    review
        :attr:`FacilityTable.review`.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        Every cell is plain text or a number (names are never formulas).
    """
    kinds = [KIND_LABELS[k][lang] if isinstance(k, str) else SKIP_LABELS[a][lang]
             for k, a in zip(review["kind"], review["action"], strict=True)]
    out = pd.DataFrame({
        "row": review["row"].to_numpy(),
        "name": review["name"].to_numpy(object),
        "category": review["category"].to_numpy(object),
        "type": kinds,
        "rule_id": review["rule_id"].to_numpy(object),
        "note": review[_NOTE_COLUMN[lang]].to_numpy(object),
    })
    if (review["evidence"] != "").any():
        out["evidence"] = review["evidence"].to_numpy(object)
    for col in _CARRIED:
        if col in FLAGS:
            # always there, blank when unknown: the planner fills them in and reruns
            values = review[col] if col in review else pd.Series(None, index=review.index, dtype=object)
            out[col] = pd.Series([_yes_no_cell(v, lang) for v in values], index=out.index)
        elif col in review:
            out[col] = review[col].to_numpy(object)
    return out.rename(columns={c: text(f"inputs.review.{c}", lang) for c in out.columns})
