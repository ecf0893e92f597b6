"""How the PNG files drawn with matplotlib are written: the print plates' ``map.png`` (and
``map --format png``) and the Word report's charts.

matplotlib hands the Agg image to Pillow at zlib level 6, which on an A4 plate at 200 dpi takes
longer than drawing it; level 1 writes the same pixels (lossless either way) in about half the
time, in a file a few percent larger (benchmarks/README.md, "print plates and the Word report").
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

from matplotlib.figure import Figure

__all__ = ["PNG_COMPRESS_LEVEL", "png_bytes", "save_png"]

#: zlib level of the PNG files (1 fastest, 9 smallest; Pillow's and matplotlib's default is 6).
PNG_COMPRESS_LEVEL = 1


def save_png(fig: Figure, target: str | Path | BinaryIO, *, dpi: float, facecolor: str | None = None) -> None:
    """Write ``fig`` as a PNG at ``dpi`` (no software tag: the file depends on the picture only).

    Parameters
    ----------
    fig
        A figure with an Agg canvas.
    target
        A file name or a binary file object.
    dpi
        Pixels per inch.
    facecolor
        The page's colour (default: the figure's own).
    """
    fig.savefig(target, format="png", dpi=dpi, metadata={"Software": None},
                pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL}, facecolor=facecolor or "auto")


def png_bytes(fig: Figure, *, dpi: float) -> bytes:
    """``fig`` as PNG file bytes (:func:`save_png`)."""
    buf = io.BytesIO()
    save_png(fig, buf, dpi=dpi)
    return buf.getvalue()
