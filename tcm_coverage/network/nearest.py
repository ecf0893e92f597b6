"""The nearest road segment of many points, from arrays (issue 16).

Every segment is cut into its straight *pieces* (a straight segment, as the pyosmium reader
makes every one, is one piece between its two nodes; a curved osmnx edge is one piece per pair
of consecutive vertices): four coordinate arrays ``x0, y0, x1, y1``, the segment each piece
belongs to and where along the segment it starts. The nearest segment of a point is then the
segment of its nearest piece, found with a KD-tree (:class:`scipy.spatial.cKDTree`) over
sample points of the pieces plus an exact, vectorised point-to-piece distance over the
candidates the tree gives.

Why the answer is exact
-----------------------
A piece of length ``L`` is cut into ``n = ceil(L / s)`` equal sub-pieces and sampled at their
midpoints (``s``: :func:`_spacing`); every point of a piece then lies within
``h = max L / (2 n)`` (the *slack*, at most ``s / 2``) of one of its samples. Let ``d*`` be
the distance from a point ``p`` to its nearest piece ``P*`` and ``q`` the point of ``P*``
nearest to ``p``. Some sample ``c`` of ``P*`` has ``|q - c| <= h``, so
``|p - c| <= d* + h``. The search takes the ``k`` samples nearest to ``p`` and measures ``p``
exactly against their pieces: the best of them, ``d``, is at least ``d*``. If the ``k``-th
sample is farther than ``d + h`` (>= ``d* + h``), every sample within ``d* + h`` is among the
``k`` - ``c`` too - so ``P*`` was measured and ``d = d*``. For the points where that test
fails, the samples within ``r = d + h`` (plus :data:`TIE_M` and a rounding margin) are
counted (one ball count each) and that many nearest samples (rounded up to a power of two)
are measured: ``c`` is among them, so again ``d = d*``.

Ties
----
Pieces whose distance is within :data:`TIE_M` of the nearest are ties; the one of the lowest
piece index wins, i.e. the lowest segment index and, within a segment, the piece nearest its
``u`` end (GEOS' ``line_locate_point`` takes the first piece of a line too). The slack test
above includes ``TIE_M``, so every tied piece is measured and the choice never depends on the
tree's order. Shapely's ``STRtree.query_nearest`` (the implementation before this module)
returns one of the tied segments in tree order instead.

Ruling pieces out
-----------------
:func:`may_lie_within` answers the cheaper question "could an indexed piece lie within ``b``
of this point?" with one ball count per point: a piece at distance ``d <= b`` has a sample
within ``d + h <= b + h``, so no sample within ``b + h`` proves that no piece is within
``b``. Snapping uses it to skip the fragment search of points whose snap is nearer than any
fragment, and to reuse one mode's snap for another whose snap targets differ by a few
segments (:mod:`~tcm_coverage.network.snapping`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

__all__ = ["TIE_M", "Nearest", "PieceIndex", "Pieces", "may_lie_within", "nearest_pieces", "piece_index",
           "pieces_from_geometry", "pieces_from_nodes", "reuse_nearest", "segment_pieces"]

#: Two pieces nearer than this (metres) to being equally far from a point are a tie.
TIE_M = 1e-6
#: Samples first searched per point: 8 / 12 / 16 took 1.59 / 1.30 / 1.41 CPU s for the realistic
#: county's residents and isochrone cells, 0.74 / 0.69 / 0.79 s for the demo's.
_FIRST_K = 12
_CHUNK = 131_072
_MAX_SAMPLES_PER_PIECE = 4.0


@dataclass(frozen=True)
class Pieces:
    """The straight pieces of a network's segments, in segment order.

    Attributes
    ----------
    x0, y0, x1, y1 : numpy.ndarray
        (p,) float64 piece ends in the network's ``crs_m``, running from ``u`` towards ``v``.
    seg : numpy.ndarray
        (p,) int64 segment of each piece (non-decreasing).
    start_m : numpy.ndarray
        (p,) metres along its segment where the piece starts.
    seg_length_m : numpy.ndarray
        (m,) length of every segment (sum of its pieces).
    """

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    seg: np.ndarray
    start_m: np.ndarray
    seg_length_m: np.ndarray

    @property
    def length_m(self) -> np.ndarray:
        """(p,) length of every piece."""
        return np.hypot(self.x1 - self.x0, self.y1 - self.y0)


def _pieces(xy: np.ndarray, owner: np.ndarray, n_segments: int) -> Pieces:
    """Pieces from vertices ``xy`` (v, 2) of segments ``owner`` (v,) (sorted, consecutive)."""
    same = owner[1:] == owner[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    seg = owner[:-1][same].astype(np.int64)
    length = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    seg_length = np.bincount(seg, weights=length, minlength=n_segments).astype(np.float64)
    csum = np.cumsum(length) - length  # metres before each piece, over all pieces
    first = np.searchsorted(seg, seg, side="left")
    start = csum - csum[first]
    return Pieces(x0=a[:, 0].copy(), y0=a[:, 1].copy(), x1=b[:, 0].copy(), y1=b[:, 1].copy(),
                  seg=seg, start_m=start, seg_length_m=seg_length)


def pieces_from_geometry(geometry_m: np.ndarray) -> Pieces:
    """The pieces of LineStrings ``geometry_m`` (m,) (one per pair of consecutive vertices).

    Parameters
    ----------
    geometry_m : numpy.ndarray
        (m,) shapely LineStrings.

    Returns
    -------
    Pieces
    """
    geoms = np.asarray(geometry_m, dtype=object)
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    return _pieces(xy, owner, geoms.shape[0])


def pieces_from_nodes(x_m: np.ndarray, y_m: np.ndarray, u: np.ndarray, v: np.ndarray) -> Pieces:
    """The pieces of straight segments ``u -> v`` (one each) between nodes at ``x_m, y_m``.

    Parameters
    ----------
    x_m, y_m : numpy.ndarray
        (n,) node coordinates.
    u, v : numpy.ndarray
        (m,) node indices.

    Returns
    -------
    Pieces
    """
    x0, y0, x1, y1 = x_m[u], y_m[u], x_m[v], y_m[v]
    length = np.hypot(x1 - x0, y1 - y0)
    m = u.shape[0]
    return Pieces(x0=x0, y0=y0, x1=x1, y1=y1, seg=np.arange(m, dtype=np.int64),
                  start_m=np.zeros(m), seg_length_m=length)


def segment_pieces(x_m: np.ndarray, y_m: np.ndarray, u: np.ndarray, v: np.ndarray,
                   geometry_m: np.ndarray) -> Pieces:
    """The pieces of segments ``u -> v``: one between the two nodes where ``geometry_m`` is
    None (straight), one per pair of consecutive vertices of the stored line elsewhere.

    Parameters
    ----------
    x_m, y_m : numpy.ndarray
        (n,) node coordinates.
    u, v : numpy.ndarray
        (m,) node indices.
    geometry_m : numpy.ndarray
        (m,) LineStrings or None.

    Returns
    -------
    Pieces
    """
    geoms = np.asarray(geometry_m, dtype=object)
    have = np.flatnonzero(~np.asarray(shapely.is_missing(geoms), dtype=bool))
    if have.size == 0:
        return pieces_from_nodes(x_m, y_m, u, v)
    m = u.shape[0]
    xy_c, own_c = shapely.get_coordinates(geoms[have], return_index=True)
    plain = np.ones(m, dtype=bool)
    plain[have] = False
    s = np.flatnonzero(plain)
    xy_s = np.empty((2 * s.size, 2))
    xy_s[0::2, 0], xy_s[0::2, 1] = x_m[u[s]], y_m[u[s]]
    xy_s[1::2, 0], xy_s[1::2, 1] = x_m[v[s]], y_m[v[s]]
    owner = np.concatenate([have[own_c], np.repeat(s, 2)])
    order = np.argsort(owner, kind="stable")
    return _pieces(np.concatenate([xy_c, xy_s])[order], owner[order], m)


@dataclass(frozen=True)
class PieceIndex:
    """A KD-tree over sample points of some pieces (:func:`piece_index`).

    Attributes
    ----------
    piece : numpy.ndarray
        (q,) the pieces indexed (indices into the :class:`Pieces`).
    tree : scipy.spatial.cKDTree or None
        Over the samples; None when no piece is indexed.
    sample_piece : numpy.ndarray
        (s,) position in ``piece`` of each sample's piece.
    slack_m : float
        Every point of an indexed piece lies within this of one of its samples.
    """

    piece: np.ndarray
    tree: cKDTree | None
    sample_piece: np.ndarray
    slack_m: float


def _spacing(length: np.ndarray) -> float:
    """Sample spacing: the median piece length, widened so that there are at most
    :data:`_MAX_SAMPLES_PER_PIECE` samples per piece on average. A smaller slack means fewer
    second searches, more samples a deeper tree: 0.5x / 1x / 2x the median took 1.04 / 1.06 /
    2.6 CPU s for 300k points on bench_snap's grid of 100 m pieces, 1.18 / 0.95 / 0.95 s for
    200k points over the demo county's roads (median piece 67 m)."""
    s = max(float(np.median(length)), 1.0)
    budget = _MAX_SAMPLES_PER_PIECE * length.shape[0]
    for _ in range(16):
        if float(np.ceil(length / s).sum()) <= budget:
            break
        s *= 1.5
    return s


def piece_index(pieces: Pieces, segments: np.ndarray) -> PieceIndex:
    """Index the pieces of ``segments`` for :func:`nearest_pieces`.

    Parameters
    ----------
    pieces : Pieces
    segments : numpy.ndarray
        (m,) bool mask of the segments to index.

    Returns
    -------
    PieceIndex
    """
    piece = np.flatnonzero(np.asarray(segments, dtype=bool)[pieces.seg])
    if piece.size == 0:
        return PieceIndex(piece=piece, tree=None, sample_piece=np.zeros(0, dtype=np.int64),
                          slack_m=0.0)
    x0, y0 = pieces.x0[piece], pieces.y0[piece]
    dx, dy = pieces.x1[piece] - x0, pieces.y1[piece] - y0
    length = np.hypot(dx, dy)
    n = np.maximum(np.ceil(length / _spacing(length)), 1.0).astype(np.int64)
    sample_piece = np.repeat(np.arange(piece.size, dtype=np.int64), n)
    first = np.cumsum(n) - n
    rank = np.arange(sample_piece.size, dtype=np.int64) - first[sample_piece]
    t = (rank + 0.5) / n[sample_piece]
    xy = np.column_stack([x0[sample_piece] + t * dx[sample_piece],
                          y0[sample_piece] + t * dy[sample_piece]])
    slack = float(np.max(length / (2.0 * n)))
    return PieceIndex(piece=piece, tree=cKDTree(xy, balanced_tree=False, compact_nodes=False),
                      sample_piece=sample_piece, slack_m=slack)


def may_lie_within(index: PieceIndex, x: np.ndarray, y: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """Whether an indexed piece may lie within ``bound`` of each point (see the module
    docstring): False proves that none does (no piece at distance ``<= bound``); True only
    that a sample lies within ``bound`` plus the slack.

    Parameters
    ----------
    index : PieceIndex
    x, y : numpy.ndarray
        (k,) point coordinates in the pieces' CRS.
    bound : numpy.ndarray
        (k,) metres, finite and >= 0.

    Returns
    -------
    numpy.ndarray
        (k,) bool.
    """
    k = x.shape[0]
    if index.tree is None or k == 0:
        return np.zeros(k, dtype=bool)
    # the slack, and a margin for the rounding of the tree's distances
    radius = np.asarray(bound, dtype=np.float64) + index.slack_m
    radius = radius + (TIE_M + 1e-9 * radius)
    # a sample within the radius <=> the nearest sample is; the largest radius prunes the walk
    near, _ = index.tree.query(np.column_stack([x, y]), k=1,
                               distance_upper_bound=float(np.nextafter(radius.max(), np.inf)))
    return near <= radius


@dataclass(frozen=True)
class Nearest:
    """The nearest piece of every point (:func:`nearest_pieces`).

    Attributes
    ----------
    piece : numpy.ndarray
        (k,) int64 index into the :class:`Pieces`.
    t : numpy.ndarray
        (k,) position of the nearest point along the piece, in [0, 1].
    dist_m : numpy.ndarray
        (k,) distance point -> piece.
    """

    piece: np.ndarray
    t: np.ndarray
    dist_m: np.ndarray


def _measure(pieces: Pieces, cand: np.ndarray, px: np.ndarray,
             py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact distance from every point (k,) to each of its candidate pieces (k, c), and the
    position along the piece of the nearest point."""
    x0, y0 = pieces.x0[cand], pieces.y0[cand]
    dx, dy = pieces.x1[cand] - x0, pieces.y1[cand] - y0
    ex, ey = px[:, None] - x0, py[:, None] - y0
    den = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(den > 0, (ex * dx + ey * dy) / den, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(ex - t * dx, ey - t * dy), t


def _pick(dist: np.ndarray, t: np.ndarray, cand: np.ndarray) -> tuple[np.ndarray, ...]:
    """The nearest candidate of every row, ties (within :data:`TIE_M`) to the lowest piece."""
    best = dist.min(axis=1)
    tied = dist <= (best + TIE_M)[:, None]
    key = np.where(tied, cand, np.iinfo(np.int64).max)
    col = np.argmin(key, axis=1)
    rows = np.arange(dist.shape[0])
    return cand[rows, col], t[rows, col], dist[rows, col], best


def _best_of(index: PieceIndex, pieces: Pieces, px: np.ndarray, py: np.ndarray,
             k: int) -> tuple[np.ndarray, ...]:
    """Measure the pieces of the ``k`` nearest samples of every point: piece, t, distance of
    the pick, the best distance and the distance of the ``k``-th sample."""
    assert index.tree is not None
    sd, si = index.tree.query(np.column_stack([px, py]), k=k)
    sd, si = sd.reshape(px.shape[0], k), si.reshape(px.shape[0], k)
    cand = index.piece[index.sample_piece[si]]
    dist, t = _measure(pieces, cand, px, py)
    p, tt, d, best = _pick(dist, t, cand)
    return p, tt, d, best, sd[:, -1]


def _search(index: PieceIndex, pieces: Pieces, px: np.ndarray,
            py: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest piece of a chunk of points: :data:`_FIRST_K` samples, then for the points where
    the slack test fails as many as lie within the slack of the best (module docstring)."""
    assert index.tree is not None
    n_samples = index.sample_piece.shape[0]
    k = min(_FIRST_K, n_samples)
    out_p, out_t, out_d, best, last = _best_of(index, pieces, px, py, k)
    radius = best + index.slack_m + TIE_M
    todo = np.flatnonzero((last <= radius) & (k < n_samples))
    if todo.size == 0:
        return out_p, out_t, out_d
    r = radius[todo]
    count = index.tree.query_ball_point(np.column_stack([px[todo], py[todo]]), r + 1e-9 * r + TIE_M,
                                        return_length=True)
    need = np.minimum(np.asarray(count, dtype=np.int64) + 1, n_samples)
    k_of = np.minimum(np.left_shift(1, np.ceil(np.log2(np.maximum(need, k))).astype(np.int64)), n_samples)
    for kk in np.unique(k_of):
        sel = todo[k_of == kk]
        out_p[sel], out_t[sel], out_d[sel], _, _ = _best_of(index, pieces, px[sel], py[sel], int(kk))
    return out_p, out_t, out_d


def nearest_pieces(index: PieceIndex, pieces: Pieces, x: np.ndarray, y: np.ndarray,
                   order: np.ndarray | None = None) -> Nearest:
    """The nearest indexed piece of every point (exact; see the module docstring).

    Parameters
    ----------
    index : PieceIndex
        From :func:`piece_index` (at least one piece).
    pieces : Pieces
        The pieces ``index`` was made from.
    x, y : numpy.ndarray
        (k,) point coordinates in the pieces' CRS.
    order : numpy.ndarray, optional
        Order to search the points in (a Z-order keeps the tree walks close in memory); the
        answer is in input order either way.

    Returns
    -------
    Nearest

    Raises
    ------
    ValueError
        ``index`` holds no piece.
    """
    if index.tree is None:
        raise ValueError("no piece to snap to")
    k = x.shape[0]
    order = np.arange(k) if order is None else order
    piece = np.empty(k, dtype=np.int64)
    t = np.empty(k)
    dist = np.empty(k)
    for lo in range(0, k, _CHUNK):
        idx = order[lo:lo + _CHUNK]
        piece[idx], t[idx], dist[idx] = _search(index, pieces, x[idx], y[idx])
    return Nearest(piece=piece, t=t, dist_m=dist)



def reuse_nearest(base: Nearest, base_segments: np.ndarray, pieces: Pieces, segments: np.ndarray,
                  x: np.ndarray, y: np.ndarray, *, index: Callable[[np.ndarray], PieceIndex],
                  order: np.ndarray | None = None) -> Nearest:
    """The nearest piece of ``segments`` of every point, from ``base``, the nearest piece of
    other segments ``A`` (``base_segments``), searching only where ``base`` does not settle it.

    Where a point's ``A``-nearest piece belongs to ``segments`` and no piece of ``segments``
    outside ``A`` lies within its distance plus :data:`TIE_M` (:func:`may_lie_within`), the
    answer is that piece: the minimum over ``segments`` is then the minimum over ``A``, and
    the pieces tied with it are among ``A``'s, whose lowest was chosen. So the answer is the
    one :func:`nearest_pieces` gives, bit for bit (the same piece, ``t`` and distance).

    Parameters
    ----------
    base : Nearest
        :func:`nearest_pieces` of the same points on ``A``'s index.
    base_segments, segments : numpy.ndarray
        (m,) bool masks: ``A`` and the segments wanted.
    pieces : Pieces
    x, y : numpy.ndarray
        (k,) the points.
    index : callable
        ``index(mask)`` is the :class:`PieceIndex` of a mask of segments (a cache).
    order : numpy.ndarray, optional
        Order to search the points in (see :func:`nearest_pieces`).

    Returns
    -------
    Nearest
    """
    ok = np.asarray(segments, dtype=bool)[pieces.seg[base.piece]]
    extra = np.asarray(segments, dtype=bool) & ~np.asarray(base_segments, dtype=bool)
    if extra.any():
        cand = np.flatnonzero(ok)
        ok[cand] = ~may_lie_within(index(extra), x[cand], y[cand], base.dist_m[cand] + TIE_M)
    order = np.arange(x.shape[0]) if order is None else order
    rest = order[~ok[order]]
    if rest.size == 0:
        return base
    piece, t, dist = base.piece.copy(), base.t.copy(), base.dist_m.copy()
    own = nearest_pieces(index(np.asarray(segments, dtype=bool)), pieces, x[rest], y[rest])
    piece[rest], t[rest], dist[rest] = own.piece, own.t, own.dist_m
    return Nearest(piece=piece, t=t, dist_m=dist)
