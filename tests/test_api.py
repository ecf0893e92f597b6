"""The curated package API (``import tcm_coverage as tc``) a planner's notebook relies on.

``tcm_coverage/__init__.py`` lists the names of the data flow and imports each on first use, so
``import tcm_coverage`` stays instant and ``tcm-coverage --help`` loads no routing stack. These
tests keep that promise: the import loads no heavy library, every listed name resolves (to the
object its folder exports), ``dir()`` shows them, the version is the installed one, and a
misspelt name fails loudly.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys

import pytest

import tcm_coverage

#: Libraries ``import tcm_coverage`` must not load (routing, geometry, maps, solver, tables).
HEAVY = ("geopandas", "scipy", "folium", "osmnx", "networkx", "shapely", "pyproj", "pandas",
         "numpy", "highspy")

#: Names of ``__all__`` that are not lazily imported (present right after ``import tcm_coverage``).
EAGER = ("CRSError", "InputError", "NetworkError", "OutputError", "TCMCoverageError", "__version__")


def _loaded_after_import(statement: str) -> set[str]:
    """Top-level modules in ``sys.modules`` after ``statement`` in a fresh interpreter."""
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         timeout=120).stdout
    return {name.split(".")[0] for name in out.split()}


def test_import_loads_no_heavy_module():
    loaded = _loaded_after_import("import tcm_coverage")
    assert "tcm_coverage" in loaded
    assert not loaded & set(HEAVY), f"import tcm_coverage loaded {sorted(loaded & set(HEAVY))}"


def test_the_subprocess_check_sees_heavy_modules():
    """The check above can fail: a name that pulls in the access folder loads them."""
    loaded = _loaded_after_import("import tcm_coverage\ntcm_coverage.compute_access")
    assert {"geopandas", "numpy", "pandas"} <= loaded


def test_eager_names_need_no_import():
    for name in EAGER:
        assert name in vars(tcm_coverage), name


@pytest.mark.parametrize("name", tcm_coverage.__all__)
def test_every_public_name_resolves(name):
    value = getattr(tcm_coverage, name)
    assert value is not None
    if name not in EAGER:
        # the curated name is the very object its folder's face exports, not a copy
        face = ".".join(value.__module__.split(".")[:2])   # tcm_coverage.access.compute -> .access
        assert face.startswith("tcm_coverage.")
        assert getattr(importlib.import_module(face), name) is value


def test_all_is_sorted_without_duplicates():
    assert len(set(tcm_coverage.__all__)) == len(tcm_coverage.__all__)
    assert list(tcm_coverage.__all__) == sorted(tcm_coverage.__all__)


def test_dir_lists_the_public_names():
    listed = dir(tcm_coverage)
    assert not [name for name in tcm_coverage.__all__ if name not in listed]


def test_version_is_the_installed_distribution():
    assert tcm_coverage.__version__ == importlib.metadata.version("tcm-coverage")


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'compute_acess'"):
        tcm_coverage.compute_acess  # noqa: B018  (the attribute access is the test)
    assert not hasattr(tcm_coverage, "network_summary")  # in its folder, not on the face
    with pytest.raises(ImportError):
        exec("from tcm_coverage import compute_acess", {})
