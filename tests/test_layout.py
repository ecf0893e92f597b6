"""The package's import graph stays a tree of one-way arrows with no private names crossing.

Walks every module of ``tcm_coverage`` with :mod:`ast` (no imports are executed) and collects
each import of a ``tcm_coverage`` module: top-level, function-level and ``TYPE_CHECKING``
ones, relative imports resolved, ``from tcm_coverage import x`` read as the submodule ``x``
when ``x`` is a module. Three rules (issue 12):

* no import circle between modules (the test names the cycle);
* no import against the data flow: a module imports only modules of its own layer or of layers
  below it in :data:`LAYERS` (``inputs → network → access → siting → outputs → workflows →
  cli/batch``, with the underscore modules, ``vocab``, ``i18n`` and ``demo`` at the bottom for
  all). The package face ``tcm_coverage/__init__.py`` sits on top: it lists the API and imports
  it lazily;
* no ``_private`` name taken from another module (``from x import _foo``, ``x._foo``).
  Underscore *modules* (``_errors``, ``_io``, ``_tables``, ``_safetext``, ``_xlsx``, ``_rerun``,
  ``siting._highs``) are package-internal modules and may be imported; dunder names such as
  ``__version__`` are public.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "tcm_coverage"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE


#: Layer of each part of the package, bottom (0) to top; a module belongs to the longest prefix.
#: ``cli.options`` (the option groups ``analyze`` and ``batch`` share) sits below both command
#: sets, so ``cli.main`` may register the ``batch`` command and ``batch`` may reuse the options.
LAYERS: dict[str, int] = {
    f"{PACKAGE}._errors": 0, f"{PACKAGE}._io": 0, f"{PACKAGE}._validate": 0, f"{PACKAGE}._tables": 0,
    f"{PACKAGE}._geo": 0, f"{PACKAGE}._safetext": 0, f"{PACKAGE}._rerun": 0, f"{PACKAGE}._version": 0,
    f"{PACKAGE}._lazy": 0, f"{PACKAGE}._xlsx": 0,
    f"{PACKAGE}.vocab": 0, f"{PACKAGE}.i18n": 0, f"{PACKAGE}.demo": 0,
    f"{PACKAGE}.inputs": 1,
    f"{PACKAGE}.network": 2,
    f"{PACKAGE}.access": 3,
    f"{PACKAGE}.siting": 4,
    f"{PACKAGE}.outputs": 5,
    f"{PACKAGE}.workflows": 6,
    f"{PACKAGE}.cli.options": 7,
    f"{PACKAGE}.batch": 8,
    f"{PACKAGE}.cli": 9,
    f"{PACKAGE}.__main__": 10,
    f"{PACKAGE}.testing": 10,
    PACKAGE: 11,
}


def layer_of(module: str, layers: dict[str, int] | None = None) -> int | None:
    """The layer of ``module``: that of the longest prefix in ``layers`` (``None``: not listed)."""
    layers = LAYERS if layers is None else layers
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in layers:
            return layers[key]
    return None


def upward_imports(edges: dict[str, set[str]], layers: dict[str, int] | None = None) -> list[str]:
    """Every ``a -> b`` where ``b`` lies in a higher layer than ``a``, and every unlisted module."""
    bad = []
    for a in sorted(edges):
        la = layer_of(a, layers)
        if la is None:
            bad.append(f"{a} is in no layer (add it to LAYERS)")
            continue
        for b in sorted(edges[a]):
            lb = layer_of(b, layers)
            if lb is not None and lb > la:
                bad.append(f"{a} (layer {la}) imports {b} (layer {lb})")
    return bad


@dataclass(frozen=True)
class PrivateUse:
    """One ``_private`` name of module ``owner`` used in module ``user`` (at ``line``)."""

    user: str
    owner: str
    name: str
    line: int


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _resolve_from(node: ast.ImportFrom, module: str, is_package: bool) -> str | None:
    if node.level == 0:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, node.module] if node.module else base)


def _owner(dotted: str, modules: dict[str, Path]) -> str | None:
    """The longest package module that ``dotted`` names or lies in."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        cand = ".".join(parts[:n])
        if cand in modules:
            return cand
    return None


def import_graph(root: Path = ROOT) -> tuple[dict[str, set[str]], list[PrivateUse]]:
    """Edges ``module -> imported module`` and the private names used across modules."""
    modules = package_modules(root)
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private: list[PrivateUse] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        bound: dict[str, str] = {}  # local name -> package module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = _owner(alias.name, modules)
                    if target is None:
                        continue
                    edges[module].add(target)
                    if alias.asname:
                        bound[alias.asname] = target
                    else:
                        head = alias.name.split(".")[0]
                        if head in modules:
                            bound[head] = head
                    # ``import tcm_coverage.network.model._subset`` is not possible; a dotted
                    # import names modules only, so nothing private to check here.
            elif isinstance(node, ast.ImportFrom):
                base = _resolve_from(node, module, is_package)
                if base is None or base not in modules:
                    if base is not None and _owner(base, modules) is not None:
                        edges[module].add(_owner(base, modules))  # type: ignore[arg-type]
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in modules:
                        edges[module].add(sub)
                        bound[alias.asname or alias.name] = sub
                        continue
                    edges[module].add(base)
                    if _is_private(alias.name) and base != module:
                        private.append(PrivateUse(module, base, alias.name, node.lineno))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in bound and _is_private(node.attr)):
                owner = bound[node.value.id]
                if f"{owner}.{node.attr}" in modules or owner == module:
                    continue
                private.append(PrivateUse(module, owner, node.attr, node.lineno))
        edges[module].discard(module)
    return edges, private


def import_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``a -> b -> ... -> a``) per strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(edges):
        if v not in index:
            visit(v)

    # every arrow inside a group lies on a circle: name the shortest one through each arrow
    cycles: set[tuple[str, ...]] = set()
    for group in groups:
        for u in sorted(group):
            for v in sorted(edges[u] & group):
                cycle = _shortest_path(edges, group, v, u)  # v -> ... -> u, then u -> v
                k = cycle.index(min(cycle))  # one rotation per circle
                cycles.add(tuple(cycle[k:] + cycle[:k]))
    return sorted([*c, c[0]] for c in cycles)


def _shortest_path(edges: dict[str, set[str]], group: set[str], a: str, b: str) -> list[str]:
    """Breadth-first path ``a -> ... -> b`` inside ``group`` (it exists: both are in the group)."""
    prev: dict[str, str | None] = {a: None}
    frontier = [a]
    while b not in prev:
        nxt = []
        for v in frontier:
            for w in sorted(edges[v] & group):
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    path = [b]
    while path[0] != a:
        path.insert(0, prev[path[0]])  # type: ignore[arg-type]
    return path


def test_graph_sees_the_package():
    edges, _ = import_graph()
    assert f"{PACKAGE}.cli.main" in edges and f"{PACKAGE}.batch.driver" in edges
    # function-level imports count: the CLI imports the workflows only inside functions
    assert any(m.startswith(f"{PACKAGE}.workflows") for m in edges[f"{PACKAGE}.cli.main"])


def test_imports_follow_the_data_flow():
    bad = upward_imports(import_graph()[0])
    assert not bad, "imports against the folder order:\n" + "\n".join(bad)


def test_order_checker_catches():
    layers = {"pkg.low": 0, "pkg.high": 1, "pkg": 2}
    edges = {"pkg.low.a": {"pkg.high.b"}, "pkg.high.b": {"pkg.low.a"}, "pkg.stray": set()}
    assert upward_imports(edges, layers) == [
        "pkg.low.a (layer 0) imports pkg.high.b (layer 1)"]
    assert upward_imports({"pkg.x": set()}, {"pkg.low": 0}) == ["pkg.x is in no layer (add it to LAYERS)"]


def test_no_import_cycles():
    cycles = import_cycles(import_graph()[0])
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_private_names_across_modules():
    uses = import_graph()[1]
    assert not uses, "private names taken from another module:\n" + "\n".join(
        f"{u.user}:{u.line} uses {u.owner}.{u.name}" for u in uses)


@pytest.mark.parametrize(("files", "cycles", "private"), [
    ({"a.py": "from pkg import b\n", "b.py": "def f():\n    from pkg.a import x\n"},
     [["pkg.a", "pkg.b", "pkg.a"]], []),
    ({"a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n",
      "b.py": "import pkg.a as aa\n"}, [["pkg.a", "pkg.b", "pkg.a"]], []),
    ({"a.py": "from pkg.b import _hidden, __version__\n", "b.py": ""}, [], ["_hidden"]),
    ({"a.py": "from pkg import b\nb._hidden()\n", "b.py": ""}, [], ["_hidden"]),
    ({"a.py": "from pkg import _io\nfrom pkg._io import write\n", "_io.py": ""}, [], []),
    ({"a.py": "def _mine():\n    pass\n_mine()\n"}, [], []),
])
def test_checker_catches(tmp_path, files, cycles, private):
    """The checker itself: circles (also function-level and TYPE_CHECKING) and private names."""
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("", encoding="utf-8")
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    edges, uses = import_graph(root)
    assert import_cycles(edges) == cycles
    assert [u.name for u in uses] == private


#: Longest function body, in lines of code (no blank lines, comments or docstrings).
MAX_FUNCTION_LINES = 80
#: Longest module, in lines; a longer module says why in a line of its docstring starting
#: with ``Why this module is long:``.
MAX_MODULE_LINES = 500
LONG_MODULE_REASON = "Why this module is long:"


def _code_lines(node: ast.AST, source_lines: list[str]) -> int:
    """Lines of code of a function: not blank, not a comment, not its docstring."""
    skip: set[int] = set()
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        skip.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    start = node.lineno  # type: ignore[attr-defined]
    end = node.end_lineno or start  # type: ignore[attr-defined]
    count = 0
    for n in range(start, end + 1):
        line = source_lines[n - 1].strip()
        if n in skip or not line or line.startswith("#"):
            continue
        count += 1
    return count


def long_functions(root: Path = ROOT, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """``module:function (N lines)`` for every function longer than ``limit`` lines of code."""
    out = []
    for module, path in package_modules(root).items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _code_lines(node, lines)
                if n > limit:
                    out.append(f"{module}:{node.name} ({n} lines)")
    return sorted(out)


def long_modules(root: Path = ROOT, limit: int = MAX_MODULE_LINES) -> list[str]:
    """``module (N lines)`` for every module over ``limit`` lines whose docstring gives no reason."""
    out = []
    for module, path in package_modules(root).items():
        source = path.read_text(encoding="utf-8")
        n = len(source.splitlines())
        doc = ast.get_docstring(ast.parse(source)) or ""
        if n > limit and LONG_MODULE_REASON not in doc:
            out.append(f"{module} ({n} lines)")
    return sorted(out)


def test_no_long_functions():
    found = long_functions()
    assert not found, f"functions over {MAX_FUNCTION_LINES} lines of code:\n" + "\n".join(found)


def test_no_long_modules_without_a_reason():
    found = long_modules()
    assert not found, (f"modules over {MAX_MODULE_LINES} lines without '{LONG_MODULE_REASON}' in "
                       "their docstring:\n" + "\n".join(found))


def test_length_checkers_count_code_only(tmp_path):
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("", encoding="utf-8")
    body = "".join(f"    x{i} = {i}\n    # comment\n\n" for i in range(3))
    (root / "a.py").write_text(f'def f():\n    """Doc\n\n    more."""\n{body}', encoding="utf-8")
    assert long_functions(root, limit=4) == []  # def line + 3 assignments
    assert long_functions(root, limit=3) == ["pkg.a:f (4 lines)"]
    (root / "b.py").write_text("x = 1\n" * 20, encoding="utf-8")
    (root / "c.py").write_text(f'"""{LONG_MODULE_REASON} a table."""\n' + "x = 1\n" * 20, encoding="utf-8")
    assert long_modules(root, limit=15) == ["pkg.b (20 lines)"]
