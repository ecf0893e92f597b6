"""When ``map``/``report``/``score`` must recompute a finished run from its inputs (a run
without stored results, or a mode it did not compute): only from the same input files, unless
asked otherwise. A redraw from the run's store reads no input and needs no check.

The run folder's tables, layers and ``run.json`` describe the inputs as they were (their
SHA-256 is in ``run.json``). When an input changed since, a recomputed map or report would
quietly disagree with the tables beside it, so the command refuses (exit 2) and names the
changed file. With ``--allow-changed-inputs`` it recomputes from the current files, but only
into a separate ``--out`` (never into the run folder), and every page and workbook it writes
says so in its notes/sources.
"""

from __future__ import annotations

import json
from pathlib import Path

from tcm_coverage._errors import InputError
from tcm_coverage._io import changed_inputs
from tcm_coverage.i18n import text

__all__ = ["ALLOW_OPTION", "changed_note", "rerun_note"]

#: The command-line flag that allows recomputing from changed inputs.
ALLOW_OPTION = "--allow-changed-inputs"


def rerun_note(run_dir: Path, *, allow: bool, out: Path | None, command: str,
               lang: str = "zh") -> str | None:
    """Check that a run's input files are unchanged; the label for a recomputation if not.

    Parameters
    ----------
    run_dir
        The run folder (holding ``run.json``).
    allow
        ``--allow-changed-inputs`` was given.
    out
        The ``--out`` given (``None``: the run folder).
    command
        ``"map"``, ``"report"`` or ``"score"`` (for messages).
    lang
        Language of the returned note.

    Returns
    -------
    str or None
        ``None`` when every input is unchanged; else the note to put in the outputs' sources.

    Raises
    ------
    InputError
        An input changed and ``allow`` is false, or ``allow`` with the output inside the run
        folder.
    """
    manifest = run_dir / "run.json"
    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
        inputs = record.get("inputs") or {}
        when = str(record.get("date", "?"))
    except (OSError, ValueError, AttributeError):
        return None  # load_config reports an unreadable run.json
    if not isinstance(inputs, dict):
        return None
    changed = changed_inputs(inputs)
    if not changed:
        return None
    listed = "; ".join(f"{label} {path} ({what})" for label, path, what in changed)
    if not allow:
        raise InputError(
            f"input files changed since this run ({when}): {listed}. `{command}` recomputes "
            "from the input files, so its outputs would no longer match the run's tables, "
            "layers and run.json", path=manifest,
            fix=f"rerun `tcm-coverage analyze` (or `demo`) into {run_dir} to update the whole "
                f"run, or add {ALLOW_OPTION} --out NEW to recompute from the current files into "
                "a separate, labelled output")
    target = None if out is None else out.resolve()
    home = run_dir.resolve()
    if target is None or target == home or home in target.parents:
        raise InputError(
            f"with {ALLOW_OPTION} the recomputed outputs cannot go into the run folder {run_dir} "
            "(its run.json, tables and layers describe the earlier inputs)", path=manifest,
            fix="add --out NEW_FOLDER outside the run folder")
    names = "、".join(Path(path).name for _label, path, _what in changed)
    if lang == "zh":
        return (f"注意：输入文件在原运行（{when}）之后已更改（{names}），本结果按当前文件重新计算，"
                "与原运行文件夹中的表格和图层不一致")
    return (f"note: input files changed after the original run ({when}): "
            f"{', '.join(Path(p).name for _l, p, _w in changed)}; recomputed from the current "
            "files, so this does not match the run folder's tables and layers")


def changed_note(run_dir: Path, *, lang: str = "zh") -> str | None:
    """A warning for a redraw from the run's stored results when its input files changed since.

    The redraw matches the run folder (it reads no input), but may not be what the user expects
    after editing an input, so it says which files changed and how to use them.

    Parameters
    ----------
    run_dir
        The run folder (holding ``run.json``).
    lang
        Language of the warning.

    Returns
    -------
    str or None
        ``None`` when every input is unchanged (or ``run.json`` lists none).
    """
    try:
        record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
        inputs = record.get("inputs") or {}
    except (OSError, ValueError, AttributeError):
        return None
    changed = changed_inputs(inputs) if isinstance(inputs, dict) else []
    if not changed:
        return None
    names = ", ".join(Path(path).name for _label, path, _what in changed)
    return text("cli.stored_changed", lang, files=names, option=ALLOW_OPTION)
