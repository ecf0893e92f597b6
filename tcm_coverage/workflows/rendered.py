"""What a redraw may reuse of what the run already rendered: the print plate ``map.png`` (embedded
in ``report.docx``), the HTML map ``map.html`` (``map`` of the headline view) and the compact
map embedded in ``report.html`` (the folium page).

:func:`~tcm_coverage.workflows.write.write_outputs` records in ``store/store.json``
(``"rendered"``) each such file's SHA-256 and the key it was drawn with
(:func:`render_key`: language, basemap, sources, headline view, modes, thresholds and, for the
plate, which prints it, the day; the report's compact map prints no date). A redraw reuses a file only when the configuration it draws with gives
the same key and the file is unchanged since (a ``report --lang en`` in the run folder replaces
``report.html``: its hash no longer matches and the map is built again). Reused or rebuilt,
the output is the same (``tests/test_redraw.py`` checks both against a recomputation).
Both keys also hold a fingerprint of the installed font files (:func:`fonts_key`): the plate,
the charts and the Word report are drawn with the CJK font found, so a font installed or
removed since draws them again.

The documents (``report.html``, ``report.docx``, ``scorecard.html``/``.xlsx`` and their
per-county/per-profile variants) are recorded too, with :func:`document_key` (every setting of
the configuration, the day and the software version): ``report``/``score`` with the run's own
settings on the same day copy them (:func:`reusable_documents`) instead of drawing the same bytes
again with python-docx, matplotlib and openpyxl; any changed option (``--lang en``, ``score
--profile jiangsu``, another day) draws them.

Light on purpose: a redraw that reuses imports neither folium nor matplotlib for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

from tcm_coverage._io import file_sha256
from tcm_coverage._version import __version__
from tcm_coverage.workflows.config import AnalysisConfig

__all__ = ["DOCUMENT_PATTERNS", "RENDERED_FILES", "document_key", "fonts_key", "rendered_record", "render_key",
           "reusable_documents", "reusable_file", "reused_map_page"]

#: The files of a run a redraw may reuse (``report_<code>.html`` too, with several counties):
#: the plate, the HTML map of the headline view (``map`` of that view copies it) and the report
#: (its compact map).
RENDERED_FILES = ("map.png", "map.html", "report.html")
#: The documents of a run (``report``/``score`` write the same set with the same settings).
DOCUMENT_PATTERNS = ("report*.html", "report*.docx", "scorecard*.html", "scorecard*.xlsx")
_STORE_INDEX = Path("store") / "store.json"
_MAP_FRAME = re.compile(r"<iframe class='map' title='map' srcdoc=\"([^\"]*)\"></iframe>")


#: The font file endings matplotlib lists (``font_manager.get_fontext_synonyms``).
_FONT_ENDINGS = (".ttf", ".otf", ".ttc", ".afm", ".pfb")


def _font_dirs() -> list[Path]:
    """The font folders matplotlib's font list is built from (``font_manager``'s X11, macOS and
    Windows folders, the user's own among them)."""
    home = Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    dirs = [Path("/usr/X11R6/lib/X11/fonts/TTF"), Path("/usr/X11/lib/X11/fonts"), Path("/usr/share/fonts"),
            Path("/usr/local/share/fonts"), Path("/usr/lib/openoffice/share/fonts/truetype"),
            data / "fonts", home / ".fonts", Path("/Library/Fonts"), Path("/System/Library/Fonts"),
            Path("/Network/Library/Fonts"), home / "Library" / "Fonts"]
    for var in ("WINDIR", "LOCALAPPDATA"):
        if os.environ.get(var):
            dirs.append(Path(os.environ[var]) / ("Fonts" if var == "WINDIR" else "Microsoft/Windows/Fonts"))
    return dirs


def fonts_key() -> str:
    """A fingerprint of the installed font files: the SHA-256 of each file's path, size and
    modification time under :func:`_font_dirs` (a few milliseconds; matplotlib not imported).

    Returns
    -------
    str
        Hex digest; it changes when a font is installed, removed or replaced.
    """
    digest = hashlib.sha256()
    for folder in _font_dirs():
        found = []
        for root, _, names in os.walk(folder):
            for name in names:
                if name.lower().endswith(_FONT_ENDINGS):
                    path = os.path.join(root, name)
                    with contextlib.suppress(OSError):
                        st = os.stat(path)
                        found.append(f"{path}\0{st.st_size}\0{st.st_mtime_ns}")
        digest.update("\n".join(sorted(found)).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def render_key(config: AnalysisConfig, *, dated: bool = True) -> dict[str, Any]:
    """What the run's plate and report map are drawn from besides the stored tables.

    Parameters
    ----------
    config
        The configuration a page is drawn with.
    dated
        With the day (the plate prints it; the report's compact map does not).

    Returns
    -------
    dict
        JSON values (the Tianditu key only as a hash).
    """
    rendering, opts = config.rendering, config.options
    key = rendering.tianditu_key or ""
    return {"lang": rendering.lang, "basemap": rendering.basemap,
            "tianditu_key": hashlib.sha256(key.encode()).hexdigest() if key else "",
            "self_contained": bool(rendering.self_contained), "sources": list(rendering.sources),
            "headline_mode": opts.headline_mode, "headline_threshold": float(opts.headline_threshold),
            "modes": list(opts.modes), "thresholds": [float(t) for t in opts.thresholds],
            "date": date.today().isoformat() if dated else None, "fonts": fonts_key()}


def _dated(name: str) -> bool:
    return not name.startswith("report")  # the compact map of a report prints no date


def document_key(config: AnalysisConfig) -> dict[str, Any]:
    """What a run's documents are drawn from besides the stored tables: every setting (the
    ``run.json`` record, the Tianditu key as a hash), the day they print and the version.

    Parameters
    ----------
    config
        The configuration the documents are written with.

    Returns
    -------
    dict
        JSON values.
    """
    record = json.dumps(config.record(), sort_keys=True, ensure_ascii=False, default=str)
    key = config.rendering.tianditu_key or ""
    return {"config": hashlib.sha256(record.encode()).hexdigest(),
            "tianditu_key": hashlib.sha256(key.encode()).hexdigest() if key else "",
            "date": date.today().isoformat(), "software": __version__, "fonts": fonts_key()}


def _documents(folder: Path) -> list[str]:
    return sorted({p.name for pattern in DOCUMENT_PATTERNS for p in Path(folder).glob(pattern)})


def rendered_record(config: AnalysisConfig, folder: Path) -> dict[str, dict[str, Any]]:
    """``{file: {"sha256", "key"}}`` of the reusable files just written into ``folder`` (and
    ``"document"``, the :func:`document_key`, of its documents)."""
    names = [n for n in RENDERED_FILES if (Path(folder) / n).exists()]
    names += sorted(p.name for p in Path(folder).glob("report_*.html"))
    record = {name: {"sha256": file_sha256(Path(folder) / name), "key": render_key(config, dated=_dated(name))}
              for name in names}
    documents = document_key(config)
    for name in _documents(folder):
        entry = record.setdefault(name, {"sha256": file_sha256(Path(folder) / name)})
        entry["document"] = documents
    return record


def _recorded(run_dir: Path) -> dict[str, Any]:
    try:
        index = json.loads((Path(run_dir) / _STORE_INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found = index.get("rendered") if isinstance(index, dict) else None
    return found if isinstance(found, dict) else {}


def reusable_file(run_dir: Path, config: AnalysisConfig, name: str) -> Path | None:
    """``run_dir/name`` when the store records it drawn with ``config``'s key and it is unchanged
    since, else ``None``."""
    entry = _recorded(run_dir).get(name)
    path = Path(run_dir) / name
    if (not isinstance(entry, dict) or entry.get("key") != render_key(config, dated=_dated(name))
            or not path.is_file()):
        return None
    return path if file_sha256(path) == entry.get("sha256") else None


def reusable_documents(run_dir: Path, config: AnalysisConfig) -> list[Path] | None:
    """The run's documents when the store records them all written with ``config``'s
    :func:`document_key` and each is unchanged since, else ``None``.

    Parameters
    ----------
    run_dir
        The run folder.
    config
        The configuration of the redraw.

    Returns
    -------
    list of pathlib.Path or None
        The run's document files (a redraw copies them instead of drawing the same bytes).
    """
    key = document_key(config)
    documents = {name: entry for name, entry in _recorded(run_dir).items()
                 if isinstance(entry, dict) and "document" in entry}
    if not documents or any(entry["document"] != key for entry in documents.values()):
        return None
    # every kind a redraw writes (a run with --no-report wrote no report.html: the redraw does)
    kinds = {("report", ".html"): True, ("report", ".docx"): config.rendering.write_docx,
             ("scorecard", ".xlsx"): bool(config.options.profiles)}
    for (stem, suffix), wanted in kinds.items():
        if wanted and not any(n.startswith(stem) and n.endswith(suffix) for n in documents):
            return None
    paths = [Path(run_dir) / name for name in sorted(documents)]
    if any(not p.is_file() or file_sha256(p) != documents[p.name].get("sha256") for p in paths):
        return None
    return paths


def reused_map_page(run_dir: Path, config: AnalysisConfig) -> str | None:
    """The compact map page embedded in the run's report (unchanged, same key), or ``None``."""
    recorded = _recorded(run_dir)
    for name in [n for n in recorded if n.startswith("report")]:
        path = reusable_file(run_dir, config, name)
        if path is None:
            continue
        found = _MAP_FRAME.search(path.read_text(encoding="utf-8"))
        if found is not None:
            page = _unescape(found.group(1))
            if html.escape(page, quote=True) == found.group(1):  # the exact page, round trip
                return page
    return None


def _unescape(text: str) -> str:
    """The inverse of ``html.escape(page, quote=True)`` (its five entities; ``&amp;`` last), a
    tenth of :func:`html.unescape`'s time on a 1 MB page; the caller's round trip proves the
    result is the escaped page (``html.escape`` is one-to-one)."""
    for entity, char in (("&#x27;", "'"), ("&quot;", '"'), ("&gt;", ">"), ("&lt;", "<"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text
