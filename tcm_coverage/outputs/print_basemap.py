"""The optional basemap of a print map: local Web-Mercator tiles drawn under the layers.

Two offline sources (nothing is downloaded): a folder of XYZ tiles (``{z}/{x}/{y}.png`` or
``.jpg``, y from the north as in OSM/XYZ) or an MBTiles file (SQLite ``tiles`` table, rows in
TMS order, i.e. y from the south: ``tile_row = 2**z - 1 - y``). Tiles must be WGS-84 Web
Mercator (OSM, Tianditu ``_w`` layers); GCJ-02 tiles (Amap, Tencent) would be offset by
hundreds of metres. The tiles are mosaicked at the zoom closest to the plate's resolution and
resampled onto the plate's metric grid (:func:`basemap_image`, nearest pixel, vectorised).
"""

from __future__ import annotations

import io
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
from PIL import Image

from tcm_coverage._errors import InputError

__all__ = ["TileSource", "basemap_image", "open_tiles"]

_TILE = 256
_EARTH = 2 * math.pi * 6378137.0


@dataclass(frozen=True)
class TileSource:
    """A local tile set: ``kind`` is ``"folder"`` or ``"mbtiles"``; ``zooms`` those present."""

    path: Path
    kind: str
    zooms: tuple[int, ...]

    def tile(self, z: int, x: int, y: int) -> np.ndarray | None:
        """The RGBA tile (256×256×4, uint8) at XYZ ``z/x/y``, or ``None`` when absent."""
        data: bytes | None = None
        if self.kind == "mbtiles":
            with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as con:
                row = con.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? "
                                  "AND tile_row=?", (z, x, (1 << z) - 1 - y)).fetchone()
            data = None if row is None else bytes(row[0])
        else:
            for ext in (".png", ".jpg", ".jpeg"):
                f = self.path / str(z) / str(x) / f"{y}{ext}"
                if f.is_file():
                    data = f.read_bytes()
                    break
        if data is None:
            return None
        img = Image.open(io.BytesIO(data)).convert("RGBA").resize((_TILE, _TILE))
        return np.asarray(img, dtype=np.uint8)


def open_tiles(path: str | Path) -> TileSource:
    """Open a tile folder or an MBTiles file.

    Raises
    ------
    InputError
        Missing path, an MBTiles file without a ``tiles`` table, or a folder without ``z/x/y``
        tiles.
    """
    p = Path(path)
    fix = "give a folder of z/x/y.png tiles or an .mbtiles file (Web Mercator, WGS-84)"
    if p.is_file():
        try:
            with sqlite3.connect(f"file:{p}?mode=ro", uri=True) as con:
                zooms = [int(r[0]) for r in con.execute("SELECT DISTINCT zoom_level FROM tiles")]
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not an MBTiles file ({exc})", path=p, fix=fix) from exc
        kind = "mbtiles"
    elif p.is_dir():
        zooms = [int(d.name) for d in p.iterdir() if d.is_dir() and d.name.isdigit()]
        kind = "folder"
    else:
        raise InputError("the basemap tiles do not exist", path=p, fix=fix)
    if not zooms:
        raise InputError("the basemap holds no tiles", path=p, fix=fix)
    return TileSource(path=p, kind=kind, zooms=tuple(sorted(zooms)))


def _mercator_px(lon: np.ndarray, lat: np.ndarray, z: int) -> tuple[np.ndarray, np.ndarray]:
    """Global pixel coordinates of lon/lat at zoom ``z`` (256-pixel tiles)."""
    n = _TILE * (1 << z)
    lat = np.clip(lat, -85.05112878, 85.05112878)
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - np.log(np.tan(np.radians(lat)) + 1.0 / np.cos(np.radians(lat))) / math.pi) / 2.0 * n
    return x, y


def basemap_image(source: TileSource, extent: tuple[float, float, float, float], crs_m: str,
                  size: tuple[int, int]) -> np.ndarray | None:
    """The basemap resampled onto a metric grid.

    Parameters
    ----------
    source
        From :func:`open_tiles`.
    extent
        ``(x0, x1, y0, y1)`` in ``crs_m`` (the plate's axes limits).
    crs_m
        The plate's metric CRS (a UTM zone).
    size
        ``(width, height)`` of the image in pixels.

    Returns
    -------
    numpy.ndarray or None
        ``(height, width, 4)`` uint8, first row north (for ``imshow(origin="upper")``); ``None``
        when no tile covers the extent.
    """
    x0, x1, y0, y1 = extent
    w, h = size
    gx, gy = np.meshgrid(x0 + (np.arange(w) + 0.5) * (x1 - x0) / w,
                         y1 - (np.arange(h) + 0.5) * (y1 - y0) / h)
    lon, lat = pyproj.Transformer.from_crs(crs_m, "EPSG:4326", always_xy=True).transform(gx, gy)
    res_m = (x1 - x0) / w * 1.0
    want = math.log2(_EARTH * math.cos(math.radians(float(np.mean(lat)))) / (_TILE * max(res_m, 1e-6)))
    z = min(source.zooms, key=lambda zz: abs(zz - want))
    px, py = _mercator_px(lon, lat, z)
    tx0, ty0 = int(px.min() // _TILE), int(py.min() // _TILE)
    tx1, ty1 = int(px.max() // _TILE), int(py.max() // _TILE)
    if (tx1 - tx0 + 1) * (ty1 - ty0 + 1) > 400:  # a zoom far too fine for the plate
        return None
    mosaic = np.zeros(((ty1 - ty0 + 1) * _TILE, (tx1 - tx0 + 1) * _TILE, 4), np.uint8)
    found = False
    for ty in range(ty0, ty1 + 1):
        for tx in range(tx0, tx1 + 1):
            tile = source.tile(z, tx % (1 << z), ty)
            if tile is not None:
                found = True
                mosaic[(ty - ty0) * _TILE:(ty - ty0 + 1) * _TILE,
                       (tx - tx0) * _TILE:(tx - tx0 + 1) * _TILE] = tile
    if not found:
        return None
    col = np.clip((px - tx0 * _TILE).astype(np.int64), 0, mosaic.shape[1] - 1)
    row = np.clip((py - ty0 * _TILE).astype(np.int64), 0, mosaic.shape[0] - 1)
    return mosaic[row, col]
