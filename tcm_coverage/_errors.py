"""Exception family of tcm-coverage.

Every error the package raises on purpose derives from :class:`TCMCoverageError`.
Input errors also derive from the builtin :class:`ValueError` so callers can catch either,
and they always say *which file*, *which row or column* and *how to fix it*.

Row numbers follow what a planner sees in a spreadsheet: the header is row 1, so the first
data row is row 2. For GeoJSON/GeoPackage inputs the row is the 1-based feature number.
"""

from __future__ import annotations

from os import PathLike


class TCMCoverageError(Exception):
    """Base class of all errors raised by tcm-coverage."""


class InputError(TCMCoverageError, ValueError):
    """A problem with a user's input file or argument.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    path
        The file concerned, when there is one.
    row
        Spreadsheet-style row number (header = 1) or 1-based feature number, or several.
    column
        The column (field) concerned.
    fix
        What the user should do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        row: int | list[int] | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.row = row
        self.column = column
        self.fix = fix
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.path:
            where.append(self.path)
        if self.row is not None:
            if isinstance(self.row, (list, tuple)) and len(self.row) != 1:
                rows = list(self.row)
                shown = ", ".join(str(r) for r in rows[:10])
                more = f" (and {len(rows) - 10} more)" if len(rows) > 10 else ""
                where.append(f"rows {shown}{more}")
            else:
                row = self.row[0] if isinstance(self.row, (list, tuple)) else self.row
                where.append(f"row {row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = (": ".join([", ".join(where), self.message]) if where else self.message)
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class CRSError(InputError):
    """A coordinate reference system or datum problem (wrong CRS, unknown datum, outside China)."""


class NetworkError(TCMCoverageError, ValueError):
    """A road-network problem: empty graph, nothing usable for a mode, points far off the network."""


class OutputError(TCMCoverageError, OSError):
    """Outputs could not be written (nothing partial is left behind)."""
