"""The CJK fonts of the outputs drawn outside a browser: the Word report, its chart and the print
maps.

Matplotlib's default font has no Chinese glyphs, and a Word report names the fonts Word should
use. Fonts are chosen from what is installed (as matplotlib's font list sees it: the system's
font folders, the same on Linux, Windows and macOS):

* the Word report (:func:`cjk_font`): first of a list in the order a Chinese government document
  prefers, the body in 仿宋 (FangSong) or 宋体 (SimSun), titles in 黑体 (SimHei); on a machine without
  them (Linux servers) Noto Serif CJK SC / Noto Sans CJK SC (Debian ``fonts-noto-cjk``), Source
  Han or WenQuanYi. When none is installed the Windows name is returned, so Word on the planner's
  Windows machine finds it;
* the print maps (:func:`find_cjk_font`, :func:`plate_fonts`): a sans CJK face for the plate, and
  a clear :class:`~tcm_coverage._errors.InputError` naming the Debian package when a Chinese plate
  has none.
"""

from __future__ import annotations

import functools
import logging

from matplotlib import font_manager

from tcm_coverage._errors import InputError

__all__ = ["CJK_FONTS", "CJK_FONT_PACKAGE", "CJK_SANS", "CJK_SERIF", "cjk_font", "find_cjk_font",
           "installed_fonts", "plate_fonts"]

log = logging.getLogger(__name__)

#: Song/Fangsong-style families, preferred first (the body of a report).
CJK_SERIF: tuple[str, ...] = ("FangSong", "SimSun", "Noto Serif CJK SC", "Source Han Serif SC",
                              "Source Han Serif CN", "Noto Serif CJK JP", "AR PL UMing CN")
#: Hei-style families, preferred first (titles, headings and the chart).
CJK_SANS: tuple[str, ...] = ("SimHei", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
                             "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                             "Noto Sans CJK JP")
#: CJK font families of the print maps, preferred first (simplified Chinese faces first).
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "Noto Serif CJK SC", "Noto Serif SC", "Source Han Serif SC", "Source Han Serif CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
    "Noto Sans CJK TC", "Noto Sans CJK JP",
)
#: The Debian/Ubuntu package that installs a CJK font.
CJK_FONT_PACKAGE = "fonts-noto-cjk"
#: Family words of a CJK font not listed in :data:`CJK_FONTS`.
_CJK_WORDS = ("CJK", "Source Han", "WenQuanYi")


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
    log.debug("no CJK %s font installed (Debian: apt install %s)", style, CJK_FONT_PACKAGE)
    return families[0], False


def find_cjk_font() -> str | None:
    """The family name of an installed CJK font (:data:`CJK_FONTS` order), or ``None``.

    Returns
    -------
    str or None
    """
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in names:
            return name
    others = sorted(n for n in names if any(w in n for w in _CJK_WORDS) and "Mono" not in n)
    return others[0] if others else None


def plate_fonts(lang: str) -> list[str]:
    """The font families of a plate in ``lang``, the CJK font included when installed.

    Parameters
    ----------
    lang
        ``"zh"`` (a CJK font is required) or ``"en"`` (DejaVu Sans first; a CJK font, when
        installed, serves the Chinese names of townships and facilities).

    Returns
    -------
    list of str
        For matplotlib's ``font.family`` (glyphs missing from the first come from the next).

    Raises
    ------
    InputError
        ``lang="zh"`` and no CJK font is installed (names the package to install).
    """
    cjk = find_cjk_font()
    if lang == "en":
        return ["DejaVu Sans", cjk] if cjk else ["DejaVu Sans"]
    if cjk is None:
        raise InputError(
            "no Chinese (CJK) font is installed, so the print map cannot show Chinese text",
            fix=f"install one, e.g. `sudo apt-get install {CJK_FONT_PACKAGE}` (Debian/Ubuntu; "
                "or Source Han Sans / WenQuanYi), then remove ~/.cache/matplotlib; or draw the "
                "map with --lang en")
    return [cjk, "DejaVu Sans"]
