"""The fonts of the print maps (:mod:`tcm_coverage.outputs.print_map`): an installed CJK font.

Matplotlib's default font has no Chinese glyphs, so a Chinese plate needs one of the CJK fonts
a Linux, Windows or macOS machine may carry (Noto Sans/Serif CJK, Source Han, WenQuanYi,
Microsoft YaHei, SimHei, PingFang). :func:`find_cjk_font` looks them up in matplotlib's font
list; :func:`plate_fonts` gives the family list of a plate and raises a clear
:class:`~tcm_coverage._errors.InputError` naming the Debian package when a Chinese plate has none.
"""

from __future__ import annotations

from matplotlib import font_manager

from tcm_coverage._errors import InputError

__all__ = ["CJK_FONT_PACKAGE", "CJK_FONTS", "find_cjk_font", "plate_fonts"]

#: CJK font families, preferred first (simplified Chinese faces before the other regions').
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
