"""The lazy folder faces (:mod:`tcm_coverage._lazy`): each lists its names twice (the
``TYPE_CHECKING`` imports, which say where each lives, and ``__all__``) and they agree; each
name resolves to the object of the module its import names; a name shared with a submodule
(``outputs.scorecard``) stays the function whatever was imported first."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

from tcm_coverage._lazy import face_table

ROOT = Path(__file__).resolve().parents[1] / "tcm_coverage"
FACES = sorted(p.parent.name for p in ROOT.glob("*/__init__.py")
               if "lazy_face(__name__" in p.read_text(encoding="utf-8"))


def _face_lists(folder: str) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """(TYPE_CHECKING imports name -> module, __all__, the lazy table name -> module) of a
    face; the table is what :func:`tcm_coverage._lazy.face_table` reads, the imports are read
    here independently."""
    tree = ast.parse((ROOT / folder / "__init__.py").read_text(encoding="utf-8"))
    typed: dict[str, str] = {}
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.module
                typed.update({a.name: imp.module for a in imp.names})
        elif isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__":
            names = list(ast.literal_eval(node.value))
    table = face_table(ROOT / folder / "__init__.py")
    return typed, names, table


def test_the_faces_are_lazy():
    assert {"access", "inputs", "network", "outputs", "siting", "workflows"} <= set(FACES)


@pytest.mark.parametrize("folder", FACES)
def test_face_lists_agree_and_resolve(folder):
    typed, names, table = _face_lists(folder)
    assert sorted(names) == sorted(set(names)), "a name twice in __all__"
    assert typed == table, "TYPE_CHECKING imports and the table disagree"
    assert set(names) == set(table), "__all__ and the table disagree"
    face = import_module(f"tcm_coverage.{folder}")
    for name, module in table.items():
        assert getattr(face, name) is getattr(import_module(module), name), name
    assert set(names) <= set(dir(face))
    with pytest.raises(AttributeError, match="no_such_name"):
        face.no_such_name  # noqa: B018


def test_a_name_shared_with_a_submodule_stays_the_function():
    """``outputs.scorecard`` (function and module): importing the module first used to rebind
    the face's name to the module; checked in a fresh process so nothing is imported before."""
    code = ("import tcm_coverage.outputs.scorecard\n"
            "from tcm_coverage.outputs import scorecard, Scorecard\n"
            "import tcm_coverage.workflows.scenario_map\n"
            "from tcm_coverage.workflows import scenario_map\n"
            "assert callable(scorecard) and not isinstance(scorecard, type(tcm_coverage)), scorecard\n"
            "assert callable(scenario_map) and not isinstance(scenario_map, type(tcm_coverage))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT.parent, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_import_of_a_face_imports_none_of_its_modules():
    code = ("import sys, tcm_coverage.access, tcm_coverage.outputs, tcm_coverage.workflows\n"
            "print(sorted(m for m in sys.modules if m.count('.') == 2 and m.startswith('tcm_coverage.')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT.parent, timeout=120, check=True)
    assert done.stdout.strip() == "[]", done.stdout
