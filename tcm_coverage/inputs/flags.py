"""The 中医馆/中医阁 flags of a facility table (known yes, unknown), apart from the facility reader
so that what only reads the flags (maps, tables, a redraw from the store) does not import the
spreadsheet reader (openpyxl)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["flag_values"]


def flag_values(facilities: pd.DataFrame, flag: str) -> tuple[np.ndarray, np.ndarray]:
    """The known-yes and the unknown mask of a 中医馆/中医阁 flag column.

    Parameters
    ----------
    facilities
        Facilities (``zhongyiguan``/``zhongyige`` as ``boolean`` with ``<NA>`` for unknown, or
        plain ``bool``; a missing column is unknown everywhere).
    flag
        ``"zhongyiguan"`` or ``"zhongyige"``.

    Returns
    -------
    yes, unknown : numpy.ndarray
        Boolean arrays aligned with ``facilities``: known to have one; not known.
    """
    n = len(facilities)
    if flag not in facilities:
        return np.zeros(n, bool), np.ones(n, bool)
    col = facilities[flag]
    unknown = col.isna().to_numpy(bool)
    yes = col.where(~col.isna(), False).astype(bool).to_numpy(bool)
    return yes, unknown
