"""Each routing warning once per run, naming the modes it concerns (issue 13: one consistent CLI)."""

from __future__ import annotations

from tcm_coverage.access.compute import _once_per_run

OFF = (("population", 1200.0), ("points", 7), ("km", 1.0), ("direct_m", 150.0))


def test_the_same_warning_for_several_modes_is_one_line_naming_them():
    notes = _once_per_run([("off_main_component", OFF, "walk"), ("off_main_component", OFF, "ebike")])
    assert len(notes) == 1
    en, zh = notes[0]
    assert en.startswith("walk, ebike: 1,200 residents (7 points)")
    assert zh.startswith("步行、电动自行车：1,200 人（7 个居民点）")


def test_different_numbers_stay_apart_and_mode_free_warnings_are_not_repeated():
    other = (("population", 30.0), ("points", 1), ("km", 1.0), ("direct_m", 150.0))
    empty = (("facility_set", ("zhongyige", "中医阁")),)
    notes = _once_per_run([("off_main_component", OFF, "walk"), ("no_facility", empty, None),
                           ("off_main_component", other, "car"), ("no_facility", empty, None)])
    assert [en.split(":")[0] for en, _ in notes] == ["walk", "no facility counts as 'zhongyige'; its travel times are all unreachable", "car"]
    assert notes[1][1] == "没有设施属于「中医阁」，到它的出行时间均为不可达"


def test_run_notes_drop_the_no_facility_warning_that_unknown_flags_explain():
    """When every 中医阁 flag is unknown, "no facility counts as 中医阁" is explained by the
    facility note and left out of the run's notes, in both languages; other warnings stay."""
    from types import SimpleNamespace

    import pandas as pd

    from tcm_coverage.access.compute import _note
    from tcm_coverage.workflows.texts import access_notes

    facilities = pd.DataFrame({"tier": ["township_centre", "village_station"],
                               "zhongyiguan": pd.array([True, None], dtype="boolean"),
                               "zhongyige": pd.array([None, None], dtype="boolean")})
    notes = [_note("no_facility", facility_set=("zhongyige", "中医阁")),
             *_once_per_run([("off_main_component", OFF, "walk")])]
    access = SimpleNamespace(facilities=facilities, warnings=tuple(en for en, _ in notes),
                             warnings_zh=tuple(zh for _, zh in notes))
    for lang, kept in (("en", notes[1][0]), ("zh", notes[1][1])):
        config = SimpleNamespace(rendering=SimpleNamespace(lang=lang))
        assert access_notes(config, access) == [kept]
