"""Folder faces that import their names on first use (PEP 562), so a command loads only what
it draws with: ``tcm-coverage map RUN`` needs the store reader and the map builders, not the
routing stack (scipy.sparse.csgraph), the OSM reader (osmium), the raster reader (rasterio) or
the solver (highspy).

A face (``tcm_coverage/<folder>/__init__.py``) lists its API three times, which
``tests/test_lazy.py`` checks agree: the ``if TYPE_CHECKING:`` imports (what type checkers,
editors and ``tests/test_layout.py`` read), ``__all__``, and the table handed to
:func:`lazy_face` (``{submodule: names}``, what is imported when a name is first used)::

    if TYPE_CHECKING:
        from tcm_coverage.access.compute import AccessResult, compute_access

    _NAMES = {"compute": ("AccessResult", "compute_access")}
    __all__ = ["AccessResult", "compute_access"]
    lazy_face(__name__, _NAMES)

``from tcm_coverage.access import compute_access`` then imports ``access.compute`` (and what it
imports), nothing else of the folder. A name resolved once is a plain module attribute.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping, Sequence
from importlib import import_module
from typing import Any

__all__ = ["LazyFace", "lazy_face"]


class LazyFace(types.ModuleType):
    """The class of a lazy folder face: a missing attribute is looked up in its table."""

    _lazy_where: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        where = self.__dict__.get("_lazy_where", {})
        if name not in where:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(import_module(where[name]), name)
        self.__dict__[name] = value  # the next lookup is a plain attribute
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # The import system binds each imported submodule on its package. Where a submodule has
        # the name of a function the face lists (``outputs.scorecard``), the face's name wins,
        # as it did when the face imported everything at once.
        if isinstance(value, types.ModuleType) and name in self.__dict__.get("_lazy_where", {}):
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(self.__dict__) | set(self.__dict__.get("_lazy_where", {})))


def lazy_face(name: str, table: Mapping[str, Sequence[str]]) -> None:
    """Make the face ``name`` import each name of ``table`` from its submodule on first use.

    Parameters
    ----------
    name
        The face's ``__name__`` (e.g. ``"tcm_coverage.access"``).
    table
        ``{submodule: names}``: a submodule of the face (``"compute"``) or, dotted, another
        module whose names the face re-exports (``"tcm_coverage._geo"``).
    """
    module = sys.modules[name]
    where = {n: sub if "." in sub else f"{name}.{sub}" for sub, names in table.items() for n in names}
    module.__dict__["_lazy_where"] = where
    module.__class__ = LazyFace
