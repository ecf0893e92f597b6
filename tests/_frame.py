"""The local metric frame of the hand-made test networks (a test helper, not a test file).

Coordinates in the tests are metres east/north of 112.9E 36.3N in UTM zone 49N, so a
hand-computed case reads in metres while the code under test gets WGS-84 lon/lat.
"""

from __future__ import annotations

import numpy as np
import pyproj

CRS_M = "EPSG:32649"
_TO_M = pyproj.Transformer.from_crs("EPSG:4326", CRS_M, always_xy=True)
_TO_LL = pyproj.Transformer.from_crs(CRS_M, "EPSG:4326", always_xy=True)
X0, Y0 = _TO_M.transform(112.9, 36.3)


def ll(x, y):
    """lon/lat arrays of local metric coordinates (scalars become 1-element arrays)."""
    lon, lat = _TO_LL.transform(X0 + np.atleast_1d(np.asarray(x, float)),
                                Y0 + np.atleast_1d(np.asarray(y, float)))
    return np.asarray(lon), np.asarray(lat)
