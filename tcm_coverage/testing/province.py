"""A synthetic province for tests and benchmarks: a grid of small square counties.

:func:`make_synthetic_province` writes, for ``nx * ny`` square counties side by side,

* a **province-wide** set of files: ``province/counties.geojson`` (one feature per county,
  codes ``32xxyy``), ``province/facilities.csv``, ``province/villages.csv`` and
  ``province/roads.osm`` (OSM XML of a jittered road grid over the whole province);
* a **folder per county**: ``counties/<code>/boundary.geojson``, ``facilities.csv``,
  ``villages.csv`` and ``roads.osm`` (the roads of the county plus a margin).

Every county has one township health centre with a 中医馆 near its middle and a few village
clinics (some with a 中医阁) on roads, and 10-20 villages. The interior is random but
deterministic (``seed``); nothing describes a real place. Coordinates are WGS-84 around
119.0 E, 32.0 N (inside China, so the readers accept them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj

__all__ = ["SyntheticProvince", "make_synthetic_province"]

_CRS_M = "EPSG:32650"  # UTM 50N, around 117-123 E
_ORIGIN_LONLAT = (119.0, 32.0)


@dataclass(frozen=True)
class SyntheticProvince:
    """Paths and layout of a synthetic province.

    Attributes
    ----------
    root
        The folder everything was written to.
    codes
        County codes, row by row from the south-west corner.
    county_dirs
        One folder per county (same order as ``codes``).
    boundary, facilities, population, network
        The province-wide files.
    county_m
        Side of a county in metres.
    origin_m
        (x, y) of the south-west corner in ``crs_m``.
    crs_m
        The metric CRS the layout was drawn in.
    nx, ny
        Counties per row and per column.
    """

    root: Path
    codes: tuple[str, ...]
    county_dirs: tuple[Path, ...]
    boundary: Path
    facilities: Path
    population: Path
    network: Path
    county_m: float
    origin_m: tuple[float, float]
    crs_m: str
    nx: int
    ny: int

    def to_lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metric layout coordinates -> WGS-84 lon/lat."""
        tr = pyproj.Transformer.from_crs(self.crs_m, "EPSG:4326", always_xy=True)
        lon, lat = tr.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon), np.asarray(lat)

    def county_box_m(self, code: str) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of a county in ``crs_m``."""
        k = self.codes.index(code)
        i, j = k % self.nx, k // self.nx
        x0 = self.origin_m[0] + i * self.county_m
        y0 = self.origin_m[1] + j * self.county_m
        return x0, y0, x0 + self.county_m, y0 + self.county_m


def _osm_xml(node_ids: np.ndarray, lon: np.ndarray, lat: np.ndarray,
             ways: list[tuple[int, list[int], str]]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<osm version="0.6" generator="tcm_coverage synthetic province">']
    lines += [f'  <node id="{int(i)}" lat="{la:.7f}" lon="{lo:.7f}" version="1"/>'
              for i, lo, la in zip(node_ids, lon, lat, strict=True)]
    for wid, refs, highway in ways:
        nds = "".join(f'<nd ref="{int(r)}"/>' for r in refs)
        lines.append(f'  <way id="{wid}" version="1">{nds}<tag k="highway" v="{highway}"/></way>')
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def _grid_ways(ids: np.ndarray, inside: np.ndarray, major_every: int) -> list[tuple[int, list[int], str]]:
    """Ways along the grid rows and columns, split where nodes are outside ``inside``."""
    ways: list[tuple[int, list[int], str]] = []
    rows, cols = ids.shape
    wid = 1
    for axis, count in ((0, rows), (1, cols)):
        for k in range(count):
            line = ids[k, :] if axis == 0 else ids[:, k]
            keep = inside[k, :] if axis == 0 else inside[:, k]
            highway = "tertiary" if k % major_every == 0 else "residential"
            run: list[int] = []
            for node, ok in zip(line.tolist(), keep.tolist(), strict=True):
                if ok:
                    run.append(node)
                    continue
                if len(run) >= 2:
                    ways.append((axis * 1_000_000 + wid, run, highway))
                    wid += 1
                run = []
            if len(run) >= 2:
                ways.append((axis * 1_000_000 + wid, run, highway))
                wid += 1
    return ways


@dataclass(frozen=True)
class _Grid:
    """The jittered road grid of the province, in metres from the origin and in lon/lat."""

    xx: np.ndarray
    yy: np.ndarray
    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    to_ll: pyproj.Transformer
    ox: float
    oy: float
    side: float

    @property
    def node_xy(self) -> np.ndarray:
        return np.column_stack([self.xx.ravel(), self.yy.ravel()])


def _road_grid(rng: np.random.Generator, *, nx: int, ny: int, side: float,
               road_spacing_m: float) -> _Grid:
    to_m = pyproj.Transformer.from_crs("EPSG:4326", _CRS_M, always_xy=True)
    ox, oy = to_m.transform(*_ORIGIN_LONLAT)
    ox, oy = float(np.round(ox, -3)), float(np.round(oy, -3))
    to_ll = pyproj.Transformer.from_crs(_CRS_M, "EPSG:4326", always_xy=True)
    width, height = nx * side, ny * side
    # Road grid over the province plus one spacing all round.
    gx = np.arange(-road_spacing_m, width + road_spacing_m * 1.5, road_spacing_m)
    gy = np.arange(-road_spacing_m, height + road_spacing_m * 1.5, road_spacing_m)
    xx, yy = np.meshgrid(gx, gy)  # rows = y, cols = x
    jitter = road_spacing_m * 0.08
    xx = xx + rng.normal(0, jitter, xx.shape)
    yy = yy + rng.normal(0, jitter, yy.shape)
    ids = np.arange(1, xx.size + 1, dtype=np.int64).reshape(xx.shape)
    lon, lat = to_ll.transform(xx.ravel() + ox, yy.ravel() + oy)
    return _Grid(xx=xx, yy=yy, ids=ids, lon=np.asarray(lon), lat=np.asarray(lat), to_ll=to_ll,
                 ox=ox, oy=oy, side=side)


def _county_feature(g: _Grid, code: str, name: str, x0: float, y0: float) -> dict:
    side = g.side
    ring = [(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side), (x0, y0)]
    rlon, rlat = g.to_ll.transform([q[0] + g.ox for q in ring], [q[1] + g.oy for q in ring])
    geom = {"type": "Polygon",
            "coordinates": [[[round(a, 7), round(b, 7)] for a, b in zip(rlon, rlat, strict=True)]]}
    return {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geom}


def _county_facilities(g: _Grid, rng: np.random.Generator, code: str, name: str,
                       x0: float, y0: float) -> pd.DataFrame:
    """A township centre, a county TCM hospital and village clinics at road nodes of the county
    (away from its edge by 10 %)."""
    side, node_xy = g.side, g.node_xy
    inner = ((node_xy[:, 0] > x0 + 0.1 * side) & (node_xy[:, 0] < x0 + 0.9 * side)
             & (node_xy[:, 1] > y0 + 0.1 * side) & (node_xy[:, 1] < y0 + 0.9 * side))
    cand = np.flatnonzero(inner)
    centre = cand[np.argmin(np.hypot(node_xy[cand, 0] - (x0 + side / 2),
                                     node_xy[cand, 1] - (y0 + side / 2)))]
    others = rng.choice(cand[cand != centre], size=min(4, cand.size - 1), replace=False)
    pos = np.concatenate([[centre], others])
    n_f = pos.size
    flon, flat = g.to_ll.transform(node_xy[pos, 0] + g.ox + 5.0, node_xy[pos, 1] + g.oy + 5.0)
    n_v = n_f - 2  # village clinics
    return pd.DataFrame({
        "编号": [f"{code}-F{k + 1:02d}" for k in range(n_f)],
        "名称": ([f"{name}中心卫生院", f"{name}中医医院"]
                 + [f"{name}第{k}村卫生室" for k in range(1, n_v + 1)]),
        "类型": ["乡镇卫生院", "县级中医医院"] + ["村卫生室"] * n_v,
        "经度": np.round(flon, 7), "纬度": np.round(flat, 7),
        "中医馆": ["是", "否"] + ["否"] * n_v,
        "中医阁": ["否", "否"] + ["是" if k % 2 else "否" for k in range(1, n_v + 1)],
        "中医执业医师数": [3, 20] + [1] * n_v,
    })


def _county_villages(g: _Grid, rng: np.random.Generator, name: str, x0: float,
                     y0: float) -> pd.DataFrame:
    n_v = int(rng.integers(10, 21))
    vx = x0 + rng.uniform(0.05, 0.95, n_v) * g.side
    vy = y0 + rng.uniform(0.05, 0.95, n_v) * g.side
    vlon, vlat = g.to_ll.transform(vx + g.ox, vy + g.oy)
    return pd.DataFrame({"名称": [f"{name}{k + 1:02d}村" for k in range(n_v)],
                         "经度": np.round(vlon, 7), "纬度": np.round(vlat, 7),
                         "人口": rng.integers(200, 2000, n_v)})


def _write_county(cdir: Path, g: _Grid, feature: dict, tables: tuple[pd.DataFrame, pd.DataFrame],
                  *, corner: tuple[float, float], margin_m: float) -> None:
    """One county folder: boundary, facilities, villages and the roads within ``margin_m``."""
    (x0, y0), side = corner, g.side
    cdir.mkdir(parents=True, exist_ok=True)
    (cdir / "boundary.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False),
        encoding="utf-8")
    tables[0].to_csv(cdir / "facilities.csv", index=False, encoding="utf-8-sig")
    tables[1].to_csv(cdir / "villages.csv", index=False, encoding="utf-8-sig")
    near = ((g.xx > x0 - margin_m) & (g.xx < x0 + side + margin_m)
            & (g.yy > y0 - margin_m) & (g.yy < y0 + side + margin_m))
    sel = near.ravel()
    (cdir / "roads.osm").write_text(
        _osm_xml(g.ids.ravel()[sel], g.lon[sel], g.lat[sel], _grid_ways(g.ids, near, 4)),
        encoding="utf-8")


def make_synthetic_province(
    root: str | Path,
    *,
    nx: int = 5,
    ny: int = 4,
    county_km: float = 3.0,
    road_spacing_m: float = 400.0,
    margin_m: float = 1500.0,
    seed: int = 0,
) -> SyntheticProvince:
    """Write a synthetic province of ``nx * ny`` square counties (see the module docstring).

    Parameters
    ----------
    root
        Output folder (created).
    nx, ny
        Counties per row and per column (``nx * ny`` counties, at most 99 per row/column).
    county_km
        Side of each county in kilometres.
    road_spacing_m
        Spacing of the road grid (every fourth line is a tertiary road, the rest residential).
    margin_m
        The per-county road files cover the county plus this margin.
    seed
        Random seed (jitter, facility and village positions, populations).

    Returns
    -------
    SyntheticProvince
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    side = county_km * 1000.0
    g = _road_grid(rng, nx=nx, ny=ny, side=side, road_spacing_m=road_spacing_m)
    prov_dir = root / "province"
    county_root = root / "counties"
    prov_dir.mkdir(parents=True, exist_ok=True)
    county_root.mkdir(parents=True, exist_ok=True)
    network = prov_dir / "roads.osm"
    network.write_text(_osm_xml(g.ids.ravel(), g.lon, g.lat,
                                _grid_ways(g.ids, np.ones(g.xx.shape, dtype=bool), 4)),
                       encoding="utf-8")

    codes: list[str] = []
    dirs: list[Path] = []
    features = []
    fac_all: list[pd.DataFrame] = []
    vil_all: list[pd.DataFrame] = []
    for j in range(ny):
        for i in range(nx):
            code = f"32{j + 1:02d}{i + 1:02d}"
            name = f"合成{j + 1}-{i + 1}县"
            x0, y0 = i * side, j * side
            feature = _county_feature(g, code, name, x0, y0)
            features.append(feature)
            fac = _county_facilities(g, rng, code, name, x0, y0)
            vil = _county_villages(g, rng, name, x0, y0)
            cdir = county_root / code
            _write_county(cdir, g, feature, (fac, vil), corner=(x0, y0), margin_m=margin_m)
            codes.append(code)
            dirs.append(cdir)
            fac_all.append(fac)
            vil_all.append(vil)

    boundary = prov_dir / "counties.geojson"
    boundary.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                                   ensure_ascii=False), encoding="utf-8")
    facilities = prov_dir / "facilities.csv"
    pd.concat(fac_all, ignore_index=True).to_csv(facilities, index=False, encoding="utf-8-sig")
    population = prov_dir / "villages.csv"
    pd.concat(vil_all, ignore_index=True).to_csv(population, index=False, encoding="utf-8-sig")
    return SyntheticProvince(root=root, codes=tuple(codes), county_dirs=tuple(dirs),
                             boundary=boundary, facilities=facilities, population=population,
                             network=network, county_m=side, origin_m=(g.ox, g.oy), crs_m=_CRS_M,
                             nx=nx, ny=ny)
