"""The CJK fonts of the outputs drawn outside a browser (the Word report and its chart).

A font is chosen from what is installed (as matplotlib's font list sees it: the system's
font folders, the same on Linux, Windows and macOS), first of a list in the order a Chinese
government document prefers: the body in 仿宋 (FangSong) or 宋体 (SimSun), titles in 黑体
(SimHei); on a machine without them (Linux servers) Noto Serif CJK SC / Noto Sans CJK SC
(Debian ``fonts-noto-cjk``), Source Han or WenQuanYi. When none is installed the Windows name is
returned, so Word on the planner's Windows machine finds it.
"""

from __future__ import annotations

import functools
import logging

from matplotlib import font_manager

__all__ = ["CJK_SANS", "CJK_SERIF", "cjk_font", "installed_fonts"]

log = logging.getLogger(__name__)

#: Song/Fangsong-style families, preferred first (the body of a report).
CJK_SERIF: tuple[str, ...] = ("FangSong", "SimSun", "Noto Serif CJK SC", "Source Han Serif SC",
                              "Source Han Serif CN", "Noto Serif CJK JP", "AR PL UMing CN")
#: Hei-style families, preferred first (titles, headings and the chart).
CJK_SANS: tuple[str, ...] = ("SimHei", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
                             "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                             "Noto Sans CJK JP")


@functools.lru_cache(maxsize=1)
def installed_fonts() -> frozenset[str]:
    """The font family names installed on this machine."""
    return frozenset(f.name for f in font_manager.fontManager.ttflist)


def cjk_font(style: str = "serif") -> tuple[str, bool]:
    """The CJK family for ``style`` (``"serif"`` or ``"sans"``) and whether it is installed.

    Returns
    -------
    (str, bool)
        The first installed family of :data:`CJK_SERIF` / :data:`CJK_SANS`; when none is
        installed, the first of the list (the Windows font) and ``False``.
    """
    families = CJK_SERIF if style == "serif" else CJK_SANS
    have = installed_fonts()
    for family in families:
        if family in have:
            return family, True
    log.debug("no CJK %s font installed (Debian: apt install fonts-noto-cjk)", style)
    return families[0], False
