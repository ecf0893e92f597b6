"""Write a synthetic province (a grid of small square counties) for trying ``tcm-coverage batch``.

    python scripts/make_synthetic_province.py OUT [--nx 5] [--ny 4] [--county-km 3] [--seed 0]

then, for example::

    tcm-coverage batch --county-dirs OUT/counties --out OUT/results
    tcm-coverage batch --boundary OUT/province/counties.geojson \\
        --facilities OUT/province/facilities.csv --population OUT/province/villages.csv \\
        --network OUT/province/roads.osm --out OUT/results_province

The generator is :func:`tcm_coverage.testing.province.make_synthetic_province` (used by the
tests and benchmarks); nothing it writes describes a real place.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tcm_coverage.testing.province import make_synthetic_province  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--nx", type=int, default=5, help="counties per row")
    ap.add_argument("--ny", type=int, default=4, help="counties per column")
    ap.add_argument("--county-km", type=float, default=3.0, help="side of a county in km")
    ap.add_argument("--road-spacing-m", type=float, default=400.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    prov = make_synthetic_province(args.out, nx=args.nx, ny=args.ny, county_km=args.county_km,
                                   road_spacing_m=args.road_spacing_m, seed=args.seed)
    print(f"{len(prov.codes)} counties in {prov.root / 'counties'}; province-wide files in "
          f"{prov.boundary.parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
