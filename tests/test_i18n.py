"""The zh/en catalogue (tcm_coverage.i18n) and the column-name contract (tcm_coverage.vocab)."""

from __future__ import annotations

import pytest

from tcm_coverage import i18n, vocab


def test_every_entry_has_both_languages_with_the_same_fields():
    for key, (zh, en) in i18n.CATALOGUE.items():
        assert zh.strip() and en.strip(), key
        assert i18n.fields(zh) == i18n.fields(en), f"{key}: zh fields {i18n.fields(zh)} ≠ en {i18n.fields(en)}"


def test_the_words_of_vocab_all_have_labels():
    assert set(vocab.FACILITY_SETS) <= set(i18n.FACILITY_SET_LABELS)
    assert set(vocab.FACILITY_SETS) <= set(i18n.FACILITY_SET_DEFINITIONS)
    assert set(vocab.MODES) <= set(i18n.MODE_LABELS)


def test_text_and_label():
    assert i18n.label("facility_set", "zhongyige", "zh") == "中医阁"
    assert i18n.label("mode", "ebike", "en") == "e-bike"
    assert i18n.label("mode", "hovercraft", "en") == "hovercraft"  # unknown names pass through
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.label("mode", "walk", "fr")
    with pytest.raises(KeyError, match="no text 'access.nothing_here'"):
        i18n.text("access.nothing_here", "zh")


def test_template_fields_are_filled():
    key = next((k for k, (zh, _) in i18n.CATALOGUE.items() if i18n.fields(zh)), None)
    if key is None:
        pytest.skip("no template with fields yet")
    values = {f: 7 for f in i18n.fields(i18n.CATALOGUE[key][0])}
    for lang in i18n.LANGS:
        assert "{" not in i18n.text(key, lang, **values)


def test_column_names_are_one_contract():
    assert vocab.time_column("tcm_any", "walk") == "t_tcm_any_walk"
    # a threshold given as 15, 15.0 or numpy's 15.0 names one column
    import numpy as np

    assert vocab.share_column(15) == vocab.share_column(15.0) == vocab.share_column(np.float64(15)) \
        == "share_within_15"
    assert vocab.share_column(7.5, upper=True) == "share_within_7.5_upper"
    assert vocab.coverage_flag_column(15.0, "car") == "cov15_car"


def test_source_text_translates_the_demo_line_and_keeps_the_users_words():
    from tcm_coverage.demo import DEMO_SOURCES
    from tcm_coverage.i18n import source_text

    zh, en = DEMO_SOURCES["zh"][0], DEMO_SOURCES["en"][0]
    assert source_text(zh, "en") == en and source_text(en, "zh") == zh and source_text(zh, "zh") == zh
    own = "人口：第七次人口普查（2020）"
    assert source_text(own, "en") == own  # the user's own line is shown as typed
