"""Folder faces that import their names on first use (PEP 562), so a command loads only what
it draws with: ``tcm-coverage map RUN`` needs the store reader and the map builders, not the
routing stack (scipy.sparse.csgraph), the OSM reader (osmium), the raster reader (rasterio) or
the solver (highspy).

A face (``tcm_coverage/<folder>/__init__.py``) lists its API twice, which
``tests/test_lazy.py`` checks agree: the ``if TYPE_CHECKING:`` imports (what type checkers,
editors and ``tests/test_layout.py`` read, and what :func:`lazy_face` reads with :mod:`ast`
to know where each name lives) and ``__all__``::

    if TYPE_CHECKING:
        from tcm_coverage.access.compute import AccessResult, compute_access

    __all__ = ["AccessResult", "compute_access"]
    lazy_face(__name__)

``from tcm_coverage.access import compute_access`` then imports ``access.compute`` (and what it
imports), nothing else of the folder. A name resolved once is a plain module attribute.
"""

from __future__ import annotations

import ast
import sys
import types
from importlib import import_module
from pathlib import Path
from typing import Any

__all__ = ["LazyFace", "face_table", "lazy_face"]


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


def face_table(path: str | Path) -> dict[str, str]:
    """``{name: module}`` from the ``if TYPE_CHECKING:`` imports of the face at ``path``: the
    one list a face keeps of where its names live (read with :mod:`ast`, a few milliseconds)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    where: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                if isinstance(imp, ast.ImportFrom) and imp.module:
                    where.update({a.asname or a.name: imp.module for a in imp.names})
    return where


def lazy_face(name: str) -> None:
    """Make the face ``name`` import each of its names on first use from the module its
    ``if TYPE_CHECKING:`` block imports it from (:func:`face_table`).

    Parameters
    ----------
    name
        The face's ``__name__`` (e.g. ``"tcm_coverage.access"``).
    """
    module = sys.modules[name]
    module.__dict__["_lazy_where"] = face_table(str(module.__file__))
    module.__class__ = LazyFace
