"""Print map plates (outputs/print_map.py): the elements a planning map carries, sizes, colours
shared with the HTML map, the CJK font check, the township atlas and the MBTiles basemap.

The plates are drawn at a low dpi where the size does not matter (the layout is in inches).
"""

from __future__ import annotations

import io
import math
import re
import sqlite3

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from matplotlib import image as mpimg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from tcm_coverage._errors import InputError
from tcm_coverage.outputs import (
    MapLayers,
    PrintOptions,
    print_atlas_figures,
    print_map_figure,
    save_plate,
    share_colour,
    write_print_atlas,
    write_print_map,
)
from tcm_coverage.outputs import fonts as fonts_module
from tcm_coverage.outputs.print_basemap import basemap_image, open_tiles
from tcm_coverage.outputs.print_layers import TOWN_ALPHA
from tcm_coverage.outputs.style import BAND_COLOURS, BAND_FILL_OPACITY, BAND_OUTLINE, MISSING_COLOUR
from tcm_coverage.vocab import share_column, time_column

pytestmark = pytest.mark.skipif(fonts_module.find_cjk_font() is None,
                                reason="no CJK font installed (Debian: fonts-noto-cjk)")

MODE, THR = "ebike", 15.0


def layers_of(run) -> MapLayers:
    return MapLayers(counties=run.counties, townships=run.townships,
                     township_table=run.tables.township, facilities=run.access.facilities,
                     demand=run.access.demand, isochrones=run.access.isochrones)


@pytest.fixture(scope="module")
def layers(demo_computed) -> MapLayers:
    return layers_of(demo_computed[0])


@pytest.fixture(scope="module")
def zh_plate(layers) -> Figure:
    return print_map_figure(layers, mode=MODE, threshold=THR,
                            options=PrintOptions(dpi=60, sources=("演示数据",), run_date="2026-12-01"))


def artists(fig: Figure, gid: str) -> list:
    return [a for a in fig.findobj() if a.get_gid() == gid]


def png_pixels(fig: Figure, lang: str = "zh") -> np.ndarray:
    buf = io.BytesIO()
    save_plate(fig, buf, lang=lang, fmt="png")
    buf.seek(0)
    return mpimg.imread(buf, format="png")


def test_plate_has_title_legend_scale_bar_north_arrow_and_is_not_blank(zh_plate, layers):
    fig = zh_plate
    assert [t.get_text() for t in artists(fig, "plate-title")] == ["中医药服务点15分钟可达覆盖（电动自行车）"]
    legends = [a for a in fig.findobj(Legend)]
    assert {lg.get_gid() for lg in legends} == {"legend-bands", "legend-shares", "legend-facilities"}
    shares = next(lg for lg in legends if lg.get_gid() == "legend-shares")
    assert [t.get_text() for t in shares.get_texts()] == ["0%–50%", "50%–70%", "70%–85%", "85%–95%",
                                                          "95%–100%", "无数据"]
    assert "分钟" in next(lg for lg in legends if lg.get_gid() == "legend-bands").get_title().get_text()
    assert len(artists(fig, "scale-bar")) == 4
    assert len(artists(fig, "north-arrow")) == 2
    assert [t.get_text() for t in artists(fig, "north-arrow-label")] == ["北"]
    info = artists(fig, "plate-info")[0].get_text()
    assert "数据来源：演示数据" in info and "坐标系：WGS-84" in info and "UTM 49N" in info
    assert "审图号" not in info  # no basemap, no approval line
    names = {t.get_text() for t in artists(fig, "township-label")}
    assert len(names) >= 8 and names <= set(layers.townships["name"])
    px = png_pixels(fig)
    assert px.shape[:2] == (round(297 / 25.4 * 60), round(210 / 25.4 * 60))
    assert px[..., :3].std() > 0.1  # not a blank page


def test_legend_stays_outside_the_map(zh_plate):
    fig = zh_plate
    renderer = fig.canvas.get_renderer()
    map_box = fig.axes[0].get_window_extent(renderer)
    for lg in fig.findobj(Legend):
        assert not lg.get_window_extent(renderer).overlaps(map_box), lg.get_gid()
    labels = [t.get_window_extent(renderer) for t in artists(fig, "township-label")]
    assert not any(a.overlaps(b) for i, a in enumerate(labels) for b in labels[i + 1:])


def _filled(fig: Figure) -> None:
    """Frame, legends and footer stack down the page without overlapping and leave no band of
    white: the legends start right under the frame, the footer ends at the foot of the page."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    height = fig.bbox.height
    frame = fig.axes[0].get_window_extent(renderer)
    legends = [lg.get_window_extent(renderer) for lg in fig.findobj(Legend) if lg.get_gid()]
    (footer,) = [t.get_window_extent(renderer) for t in artists(fig, "plate-info")]
    assert legends and all(lg.y1 < frame.y0 for lg in legends)
    tables = [t.get_window_extent(renderer) for t in artists(fig, "gap-table")]  # the atlas: first the table
    assert (frame.y0 - max(b.y1 for b in legends + tables)) / height < 0.05  # right below the frame
    assert all(not footer.overlaps(lg) for lg in legends) and footer.y1 < min(lg.y0 for lg in legends)
    assert footer.y0 / height < 0.05  # the footer at the foot of the page
    assert (min(lg.y0 for lg in legends) - footer.y1) / height < 0.06  # no white band between them
    assert (frame.y1 - frame.y0) / height > 0.55  # the map frame takes the rest of the page


@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_portrait_plate_fills_the_page(layers, zh_plate, paper):
    fig = zh_plate if paper == "a4" else print_map_figure(
        layers, mode=MODE, threshold=THR, options=PrintOptions(paper="a3", dpi=40, sources=("演示数据",)))
    _filled(fig)


def test_portrait_atlas_page_fills_the_page(layers):
    _, _, fig = next(iter(print_atlas_figures(layers, mode=MODE, threshold=THR, options=PrintOptions(dpi=40))))
    _filled(fig)
    renderer = fig.canvas.get_renderer()
    (table,) = [t.get_window_extent(renderer) for t in artists(fig, "gap-table")]
    assert table.y1 < fig.axes[0].get_window_extent(renderer).y0  # the table under the frame
    legends = [lg.get_window_extent(renderer) for lg in fig.findobj(Legend) if lg.get_gid()]
    assert all(table.y0 > lg.y1 for lg in legends)  # and above the legends


def test_scale_bar_matches_geodesic_distance_and_ratio(zh_plate, layers):
    fig = zh_plate
    ax = fig.axes[0]
    bars = sorted(artists(fig, "scale-bar"), key=lambda r: r.get_x())
    x0, y0 = bars[0].get_x(), bars[0].get_y()
    length = bars[-1].get_x() + bars[-1].get_width() - x0
    labels = [t.get_text() for t in artists(fig, "scale-bar-label")]
    assert labels[-1] == f"{length / 1000:g}" and labels[0] == "0"
    crs = pyproj.CRS(gpd.GeoSeries(layers.counties.geometry).estimate_utm_crs())
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform([x0, x0 + length], [y0, y0])
    geodesic = pyproj.Geod(ellps="WGS84").inv(lon[0], lat[0], lon[1], lat[1])[2]
    assert geodesic == pytest.approx(length, rel=0.002)  # UTM scale error near the meridian
    # 1:N at the paper size: metres on the ground per metre of paper, by hand
    xlim = ax.get_xlim()
    paper_m = ax.get_position().width * fig.get_figwidth() * 0.0254
    ratio = (xlim[1] - xlim[0]) / paper_m
    shown = artists(fig, "scale-ratio")[0].get_text()
    assert int(shown.split(":")[1].replace(",", "")) == pytest.approx(ratio, rel=0.005)


def test_north_arrow_points_to_true_north(zh_plate, layers):
    fig = zh_plate
    ax = fig.axes[0]
    black = artists(fig, "north-arrow")[0].get_xy()
    tip, base = black[0], black[2]  # the tip and the notch on the arrow's axis
    angle = math.degrees(math.atan2(tip[0] - base[0], tip[1] - base[1]))
    cx, cy = np.mean(ax.get_xlim()), np.mean(ax.get_ylim())
    crs = pyproj.CRS(gpd.GeoSeries(layers.counties.geometry).estimate_utm_crs())
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(cx, cy)
    gamma = pyproj.Proj(crs).get_factors(lon, lat).meridian_convergence
    assert abs(gamma) > 0.5  # the demo county lies ~2° east of its zone's meridian
    assert angle == pytest.approx(-gamma, abs=0.05)


def test_township_colours_are_the_html_maps_and_unknown_is_no_data(layers, demo_computed):
    towns = layers.townships
    # independent share: residents of each township polygon within 15 min, from the points
    pts = gpd.sjoin(layers.demand[["population", time_column("tcm_any", MODE), "geometry"]],
                    towns[["code", "geometry"]], predicate="within")
    within = pts[time_column("tcm_any", MODE)] <= THR
    share = (pts["population"] * within).groupby(pts["code"]).sum() / pts.groupby("code")["population"].sum()
    table = layers.township_table.copy()
    blank = str(towns["code"].iloc[0])
    table.loc[table["code"].astype(str) == blank, share_column(THR)] = np.nan  # unknown, not 0
    fig = print_map_figure(MapLayers(counties=layers.counties, townships=towns, township_table=table,
                                     facilities=layers.facilities, demand=layers.demand),
                           mode=MODE, threshold=THR, options=PrintOptions(dpi=50, lang="en"))
    coll = artists(fig, "townships")[0]
    faces = coll.get_facecolors()
    assert len(faces) == len(towns)
    for face, code in zip(faces, towns["code"].astype(str), strict=True):
        want = MISSING_COLOUR if code == blank else share_colour(float(share[code]))
        assert tuple(np.round(face, 3)) == tuple(np.round(to_rgba(want, TOWN_ALPHA), 3)), code
    assert not artists(fig, "isochrones")  # none given, none drawn


def test_en_plate_svg_carries_the_title_text(layers, tmp_path):
    path = write_print_map(layers, tmp_path / "plate.svg", mode="walk", threshold=10.0,
                           options=PrintOptions(lang="en", paper="a3", orientation="landscape", dpi=50))
    svg = path.read_text(encoding="utf-8")
    assert "Residents within 10 min of any TCM service point (walking)" in svg
    assert 'id="north-arrow' in svg and 'id="legend-shares"' in svg
    size = re.search(r'<svg[^>]*width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert size is not None  # A3 landscape in points (420 × 297 mm), to a pixel at 50 dpi
    assert (float(size.group(1)), float(size.group(2))) == pytest.approx((420 / 25.4 * 72, 297 / 25.4 * 72), abs=1.5)


@pytest.mark.parametrize(("paper", "orientation", "size"), [
    ("a4", "portrait", (2480, 3508)), ("a4", "landscape", (3508, 2480)),
    ("a3", "portrait", (3508, 4961)), ("a3", "landscape", (4961, 3508))])
def test_paper_sizes_in_pixels_and_inches(layers, paper, orientation, size):
    fig = print_map_figure(layers, mode=MODE, threshold=THR,
                           options=PrintOptions(paper=paper, orientation=orientation, dpi=300, lang="en"))
    mm = {"a4": (210, 297), "a3": (297, 420)}[paper]
    inches = np.array(mm if orientation == "portrait" else mm[::-1]) / 25.4
    assert fig.get_size_inches() == pytest.approx(inches, abs=1 / 300)
    assert tuple(round(v) for v in fig.get_size_inches() * fig.dpi) == size


def test_missing_cjk_font_names_the_package(layers, monkeypatch):
    monkeypatch.setattr(fonts_module, "find_cjk_font", lambda: None)
    with pytest.raises(InputError, match="fonts-noto-cjk"):
        print_map_figure(layers, mode=MODE, threshold=THR, options=PrintOptions(dpi=40))
    fig = print_map_figure(layers, mode=MODE, threshold=THR, options=PrintOptions(dpi=40, lang="en"))
    assert artists(fig, "plate-title")


def test_bad_options_are_input_errors(layers, tmp_path):
    for opts in (PrintOptions(paper="letter"), PrintOptions(orientation="sideways"),
                 PrintOptions(crs_label="Beijing54"), PrintOptions(dpi=5)):
        with pytest.raises(InputError):
            print_map_figure(layers, mode=MODE, threshold=THR, options=opts)
    with pytest.raises(InputError, match="no travel times"):
        print_map_figure(layers, mode="car", threshold=THR)
    with pytest.raises(InputError, match="print format"):
        write_print_map(layers, tmp_path / "plate.tiff", mode=MODE, threshold=THR)
    assert not list(tmp_path.iterdir())


def test_atlas_one_page_per_township_with_its_gaps(layers, tmp_path):
    towns = layers.townships
    paths = write_print_atlas(layers, tmp_path / "atlas.pdf", mode=MODE, threshold=THR,
                              options=PrintOptions(dpi=40))
    pdf = paths[0].read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == len(towns)
    # the table of one page against the points in the township's polygon
    code, name, fig = next(iter(print_atlas_figures(layers, mode=MODE, threshold=THR,
                                                    options=PrintOptions(dpi=40))))
    assert code == str(towns["code"].iloc[0]) and name in artists(fig, "plate-title")[0].get_text()
    table = artists(fig, "gap-table")[0]
    cells = {(r, c): cell.get_text().get_text() for (r, c), cell in table.get_celld().items()}
    row = next(r for (r, c), v in cells.items() if c == 0 and v == "电动自行车")
    pts = layers.demand[layers.demand.within(towns.geometry.iloc[0])]
    beyond = float(pts.loc[~(pts[time_column("tcm_any", MODE)] <= THR), "population"].sum())
    pop = float(pts["population"].sum())
    assert float(cells[(row, 1)].replace(",", "")) == pytest.approx(pop, rel=0.01)
    assert float(cells[(row, 2)].replace(",", "")) == pytest.approx(beyond, rel=0.01, abs=2)
    assert float(cells[(row, 3)].rstrip("%")) == pytest.approx(100 * (1 - beyond / pop), abs=0.2)
    assert len(artists(fig, "atlas-focus")) == 1


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """XYZ tile (y from the north) holding lon/lat, by the Web Mercator formulas."""
    n = 2 ** z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def _tile_colour(x: int, y: int) -> tuple[int, int, int]:
    return (x * 37 % 256, y * 53 % 256, 200)


def _mbtiles(path, bounds, z: int) -> None:
    """A tiny MBTiles file over ``bounds`` at zoom ``z``: one flat colour per tile
    (:func:`_tile_colour` of its XYZ x, y), stored in TMS rows (y from the south)."""
    (x0, y1), (x1, y0) = _tile_of(bounds[0] - 0.3, bounds[1] - 0.3, z), _tile_of(bounds[2] + 0.3, bounds[3] + 0.3, z)
    rows = []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            buf = io.BytesIO()
            rgba = np.array([*(c / 255 for c in _tile_colour(x, y)), 1.0])
            mpimg.imsave(buf, np.broadcast_to(rgba, (256, 256, 4)).copy(), format="png")
            rows.append((z, x, 2 ** z - 1 - y, buf.getvalue()))
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)


def test_mbtiles_basemap_is_drawn_with_the_approval_line(layers, tmp_path):
    tiles = tmp_path / "base.mbtiles"
    _mbtiles(tiles, layers.counties.total_bounds, z=9)
    fig = print_map_figure(layers, mode=MODE, threshold=THR,
                           options=PrintOptions(dpi=40, basemap=tiles, approval_number="GS(2024)1234号"))
    images = artists(fig, "basemap")
    assert len(images) == 1
    arr = np.asarray(images[0].get_array())
    assert (arr[..., 3] == 255).all()  # tiles everywhere under the map
    # the right tile at a few places of the map (a TMS/XYZ row mix-up picks another tile)
    ax = fig.axes[0]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    crs = pyproj.CRS(gpd.GeoSeries(layers.counties.geometry).estimate_utm_crs())
    to_ll = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    h, w = arr.shape[:2]
    for fx, fy in ((0.5, 0.5), (0.1, 0.15), (0.9, 0.85), (0.3, 0.8)):
        lon, lat = to_ll.transform(x0 + fx * (x1 - x0), y1 - fy * (y1 - y0))
        got = tuple(int(v) for v in arr[int(fy * h), int(fx * w), :3])
        assert got == _tile_colour(*_tile_of(lon, lat, 9)), (fx, fy)
    assert "审图号：GS(2024)1234号" in artists(fig, "plate-info")[0].get_text()
    # the same tiles as a z/x/y.png folder give the same image
    folder = tmp_path / "xyz"
    with sqlite3.connect(tiles) as con:
        for z, x, row, data in con.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"):
            (folder / str(z) / str(x)).mkdir(parents=True, exist_ok=True)
            (folder / str(z) / str(x) / f"{2 ** z - 1 - row}.png").write_bytes(data)
    extent = (x0, x1, y0, y1)
    assert np.array_equal(basemap_image(open_tiles(folder), extent, crs.to_string(), (w, h)),
                          basemap_image(open_tiles(tiles), extent, crs.to_string(), (w, h)))
    with pytest.raises(InputError, match="do not exist"):
        print_map_figure(layers, mode=MODE, threshold=THR,
                         options=PrintOptions(basemap=tmp_path / "none.mbtiles"))


def test_run_writes_plates_or_warns_without_a_cjk_font(demo_computed, tmp_path, monkeypatch, caplog):
    from tcm_coverage.workflows import pages, write_outputs
    from tcm_coverage.workflows.plates import RUN_PRINT_DPI

    run, config = demo_computed
    config = config.updated(out_dir=tmp_path / "run", write_report=False, write_map=False,
                            print_formats=("png",))
    names = {p.name for p in write_outputs(run, config)}
    assert "map.png" in names and "map.pdf" not in names
    px = mpimg.imread(tmp_path / "run" / "map.png")
    assert px.shape[:2] == (round(297 / 25.4 * RUN_PRINT_DPI), round(210 / 25.4 * RUN_PRINT_DPI))
    monkeypatch.setattr(pages, "find_cjk_font", lambda: None)
    names = {p.name for p in write_outputs(run, config.updated(out_dir=tmp_path / "run2"))}
    assert "map.png" not in names and "coverage.xlsx" in names
    assert "fonts-noto-cjk" in caplog.text


def test_names_from_the_inputs_stay_text(layers):
    towns = layers.townships.copy()
    hostile = "=HYPERLINK(1) $x_1$ <b>乡 $"  # an unbalanced $ would break matplotlib's mathtext
    towns.loc[towns.index[0], "name"] = hostile
    fig = print_map_figure(MapLayers(counties=layers.counties, townships=towns,
                                     township_table=layers.township_table,
                                     facilities=layers.facilities, demand=layers.demand),
                           mode=MODE, threshold=THR,
                           options=PrintOptions(dpi=30, title="$ 标题 $", sources=("a$b.csv",)))
    assert png_pixels(fig)[..., :3].std() > 0.1  # drawn without a mathtext error
    assert hostile in {t.get_text() for t in artists(fig, "township-label")}
    assert artists(fig, "plate-title")[0].get_text() == "$ 标题 $"


def test_bands_are_filled_in_the_html_maps_colours_with_one_reach_outline(zh_plate, layers):
    (fills,) = artists(zh_plate, "isochrones")
    iso = layers.isochrones
    sel = iso[(iso["mode"] == MODE) & (iso["target"] == "tcm_any") & ~iso.geometry.is_empty]
    minutes = sorted(sel["minutes"].unique(), reverse=True)  # widest band first, nearest on top
    assert len(fills.get_paths()) == len(minutes)
    want = [to_rgba(BAND_COLOURS[sorted(minutes).index(m)], BAND_FILL_OPACITY) for m in minutes]
    assert np.allclose(fills.get_facecolors(), want)
    assert not fills.get_edgecolors().size or not fills.get_edgecolors()[:, 3].any()  # no edges
    (edge,) = artists(zh_plate, "isochrone-reach")
    assert not edge.get_facecolors().size or not edge.get_facecolors()[:, 3].any()  # a line
    assert np.allclose(edge.get_edgecolors()[0], to_rgba(BAND_OUTLINE))
    # its rings: the edge of the bands within the threshold, fewer than those bands' own rings
    (path,) = edge.get_paths()
    n_rings = int((path.codes == path.MOVETO).sum())
    band_rings = len(shapely.get_rings(shapely.get_parts(sel.loc[sel["minutes"] <= THR].geometry.to_numpy())))
    assert 0 < n_rings < band_rings / 2
    labels = [t.get_text() for t in next(lg for lg in zh_plate.findobj(Legend)
                                         if lg.get_gid() == "legend-bands").get_texts()]
    assert labels[-1] == "15分钟可达范围边界" and labels[0] == "0–5 分钟"


def _mesh_bands(n: int = 60, cell: float = 100.0) -> gpd.GeoDataFrame:
    """Bands of a dense road mesh: n × n 100 m cells whose minutes alternate 0–5 / 5–10 like a
    chessboard, a 10–15 band around, and a 1 km square of unreached cells in the middle."""
    ij = np.indices((n, n)).reshape(2, -1).T
    boxes = shapely.box(ij[:, 0] * cell, ij[:, 1] * cell, (ij[:, 0] + 1) * cell, (ij[:, 1] + 1) * cell)
    mid = (np.abs(ij - n / 2 + 0.5) < 5).all(axis=1)  # the 10 × 10 cells of the hole
    near = ((ij.sum(axis=1) % 2) == 0) & ~mid
    far = ~near & ~mid
    whole = shapely.box(-500, -500, n * cell + 500, n * cell + 500)
    rows = {5.0: shapely.union_all(boxes[near]), 10.0: shapely.union_all(boxes[far]),
            15.0: shapely.difference(whole, shapely.box(0, 0, n * cell, n * cell))}
    return gpd.GeoDataFrame({"mode": MODE, "target": "tcm_any", "minutes": list(rows),
                             "min_from": [0.0, 5.0, 10.0]}, geometry=list(rows.values()), crs=32649)


def test_reach_outline_of_a_dense_mesh_is_its_edge_not_every_cell():
    from tcm_coverage.outputs.print_layers import draw_isochrones

    fig = Figure()
    ax = fig.add_subplot()
    bands = _mesh_bands()
    assert draw_isochrones(ax, bands, mode=MODE, facility_set="tcm_any", threshold=12.0)[1] == 10.0
    (edge,) = [c for c in ax.collections if c.get_gid() == "isochrone-reach"]
    (path,) = edge.get_paths()
    rings = shapely.linearrings(np.split(path.vertices, np.flatnonzero(path.codes == path.MOVETO)[1:]))
    # the 6 km square and the 1 km hole of unreached cells: two rings, not 3,500 cell edges,
    # each within the smoothing tolerance (60 m) of the true edge
    assert len(rings) == 2
    outer, hole = sorted(rings, key=lambda r: -shapely.area(shapely.Polygon(r)))
    assert shapely.hausdorff_distance(outer, shapely.box(0, 0, 6000, 6000).exterior) <= 60.0
    assert shapely.hausdorff_distance(hole, shapely.box(2500, 2500, 3500, 3500).exterior) <= 60.0
    (fills,) = [c for c in ax.collections if c.get_gid() == "isochrones"]
    assert len(fills.get_paths()) == 3  # still every cell filled: one path per band
    # a threshold below every band: no line, and none in the legend
    ax2 = Figure().add_subplot()
    rows, reach = draw_isochrones(ax2, bands, mode=MODE, facility_set="tcm_any", threshold=3.0)
    assert len(rows) == 3 and reach is None
    assert not [c for c in ax2.collections if c.get_gid() == "isochrone-reach"]
