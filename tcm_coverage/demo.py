"""Where the demo county lives and what its files are called (one home for both).

The demo county is the real Tunliu district boundary with a synthetic interior
(``scripts/make_demo_data.py`` writes it; ``tcm_coverage/demo_data/README.md`` describes it). It sits in the
``data/`` folder of the source checkout. Everything that runs on it — the ``demo`` command,
``[data] demo = true`` scenario files, the tests, the notebook and the benchmarks — finds it
here: :func:`demo_data_dir` for the folder, :data:`DEMO_FILES` for the file names and
:func:`demo_inputs` for the input arguments of an analysis.

This module imports only the standard library and the text catalogue, so the CLI stays instant.
"""

from __future__ import annotations

from pathlib import Path

from tcm_coverage.i18n import LANGS, text

__all__ = [
    "DEMO_DATUM",
    "DEMO_FILES",
    "DEMO_SOURCES",
    "demo_data_dir",
    "demo_inputs",
]

#: The demo files, relative to :func:`demo_data_dir`.
DEMO_FILES: dict[str, Path] = {
    "boundary": Path("boundaries") / "tunliu_140405_county_wgs84.geojson",
    "townships": Path("boundaries") / "demo_townships_wgs84.geojson",
    "facilities": Path("facilities") / "demo_facilities_gcj02.csv",
    "population_raster": Path("population") / "demo_population.tif",
    "population_65plus": Path("population") / "demo_population_65plus.tif",
    "villages": Path("population") / "demo_villages.csv",
    "network": Path("roads") / "demo_roads.osm",
    "dem": Path("dem") / "demo_dem.tif",
    "scenarios": Path("scenarios"),
}

#: Datum of the demo facility table (typed from Amap, GCJ-02); every other demo file is WGS-84.
DEMO_DATUM = "gcj02"

#: The source line under every demo map and report, by language (the catalogue's
#: ``workflows.source.demo``: a redraw in the other language shows it translated).
DEMO_SOURCES = {lang: (text("workflows.source.demo", lang),) for lang in LANGS}


def demo_data_dir() -> Path:
    """The ``data/`` folder of the source checkout holding the demo county.

    Returns
    -------
    pathlib.Path
    """
    return Path(__file__).resolve().parent / "demo_data"


def demo_inputs(data_dir: Path | None = None, *, population: str = "raster",
                dem: bool = True, elderly: bool = False) -> dict[str, Path | str]:
    """The input arguments of :class:`~tcm_coverage.workflows.pipeline.AnalysisConfig` for the demo county.

    Parameters
    ----------
    data_dir
        Folder of the demo data (default: :func:`demo_data_dir`).
    population
        ``"raster"`` (the population raster) or ``"villages"`` (the village table).
    dem
        Include the synthetic demo DEM (``dem``: slopes; hills rising to the west).
    elderly
        Add ``population_65plus``: the synthetic residents-65+ raster (the ``demo`` command
        does so unless ``--no-65plus``).

    Returns
    -------
    dict
        ``facilities``, ``facilities_datum``, ``boundary``, ``townships``, ``population``,
        ``network``, (``dem=True``) ``dem`` (and ``population_65plus``).
    """
    d = demo_data_dir() if data_dir is None else data_dir
    out: dict[str, Path | str] = {
        "facilities": d / DEMO_FILES["facilities"], "facilities_datum": DEMO_DATUM,
        "boundary": d / DEMO_FILES["boundary"], "townships": d / DEMO_FILES["townships"],
        "population": d / DEMO_FILES["population_raster" if population == "raster" else "villages"],
        "network": d / DEMO_FILES["network"],
        **({"dem": d / DEMO_FILES["dem"]} if dem else {}),
    }
    if elderly:
        out["population_65plus"] = d / DEMO_FILES["population_65plus"]
    return out
