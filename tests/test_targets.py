"""Tests of tcm_coverage.inputs.plans: shipped plan profiles and clear errors for bad ones."""

from __future__ import annotations

import pytest

from tcm_coverage._errors import InputError
from tcm_coverage.inputs.plans import (
    INDICATORS,
    NO_NUMBER,
    Profile,
    list_profiles,
    load_profile,
    parse_profile,
)

SHIPPED = ["jiangsu", "jilin_city", "national", "tunliu", "yantai", "ziyang"]


def write(tmp_path, text, name="my_county.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_list_profiles_has_one_file_per_column():
    assert list_profiles() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_profiles_load_with_source_and_method(name):
    prof = load_profile(name)
    assert prof.name == name
    assert prof.path is not None and prof.path.name == f"{name}.toml"
    assert prof.targets
    for key, t in prof.targets.items():
        assert key in INDICATORS
        assert t.source.strip()
        assert t.computed.strip()
    assert len(prof.sources) == 1  # each profile is one plan (one column of targets.md)


def test_national_numbers_match_targets_md():
    t = load_profile("national").targets
    assert t["coverage_15min"].target is None  # "named, no number"
    assert t["coverage_15min"].minutes == 15
    assert t["zhongyiguan_share"].target == 1.0
    assert t["zhongyige_share"].target == 0.1
    assert (t["tcm_gps_per_10k"].target, t["tcm_gps_per_10k"].target_max) == (0.6, 0.8)
    assert t["centre_tcm_physician_share"].target == 0.25
    assert t["village_clinics_tcm_services"].target == 0.8
    assert t["health_mgmt_65plus"].target == 0.75
    assert "county_hospital_tcm_physician_share" not in t  # "–" in the national column


def test_other_columns_spot_checks():
    assert load_profile("yantai").targets["zhongyige_share"].target == 0.2
    assert load_profile("yantai").targets["tcm_featured_village_clinics"].target == 100
    jilin = load_profile("jilin_city").targets
    assert jilin["tcm_physicians_per_1k"].target == 0.62
    assert jilin["tcm_hospital_beds_per_1k"].target == 0.85
    assert load_profile("jiangsu").targets["zhongyige_share"].target is None
    tunliu = set(load_profile("tunliu").targets)
    assert tunliu == {"zhongyiguan_share", "village_clinics_tcm_services"}
    assert load_profile("ziyang").targets["county_tcm_institution"].target is None


def test_user_profile_file(tmp_path):
    path = write(tmp_path, """
title = "某县规划"
[indicators.zhongyige_share]
target = 0.3
source = "某县中医药发展规划"
[indicators.coverage_15min]
target = 0.9
source = "某县中医药发展规划"
minutes = 10
mode = "walk"
""")
    prof = load_profile(path)
    assert isinstance(prof, Profile)
    assert prof.name == "my_county"  # from the file name
    assert prof.title == "某县规划"
    assert list(prof.targets) == ["coverage_15min", "zhongyige_share"]  # scorecard order
    cov = prof.targets["coverage_15min"]
    assert (cov.target, cov.minutes, cov.mode) == (0.9, 10.0, "walk")
    assert prof.targets["zhongyige_share"].computed == INDICATORS["zhongyige_share"].method_en
    assert load_profile(str(path)).targets == prof.targets
    assert load_profile(prof) is prof


def _error(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_profile(path)
    msg = str(info.value)
    assert "my_county.toml" in msg and "Fix:" in msg
    return msg


def test_unknown_indicator_names_it_and_suggests(tmp_path):
    msg = _error(tmp_path, '[indicators.zhongyige_shar]\ntarget = 0.1\nsource = "x"\n')
    assert "unknown indicator 'zhongyige_shar'" in msg
    assert "did you mean 'zhongyige_share'" in msg


def test_non_numeric_target(tmp_path):
    msg = _error(tmp_path, '[indicators.zhongyige_share]\ntarget = "ten percent"\nsource = "x"\n')
    assert "zhongyige_share" in msg and "not a number" in msg and NO_NUMBER in msg


def test_share_outside_0_1_suggests_fraction(tmp_path):
    msg = _error(tmp_path, '[indicators.zhongyige_share]\ntarget = 10\nsource = "x"\n')
    assert "zhongyige_share" in msg and "share" in msg and "0.1 for 10 %" in msg


def test_missing_source(tmp_path):
    msg = _error(tmp_path, "[indicators.zhongyiguan_share]\ntarget = 1.0\n")
    assert "zhongyiguan_share" in msg and "no source" in msg and "source =" in msg


def test_missing_target_and_bad_range_and_typo(tmp_path):
    assert "no target" in _error(tmp_path, '[indicators.zhongyige_share]\nsource = "x"\n')
    assert "not a number" in _error(
        tmp_path, '[indicators.tcm_gps_per_10k]\ntarget = [0.8, 0.6]\nsource = "x"\n')
    msg = _error(tmp_path, '[indicators.zhongyige_share]\ntagret = 0.1\nsource = "x"\n')
    assert "tagret" in msg and "did you mean 'target'" in msg
    assert "minutes" in _error(
        tmp_path, '[indicators.zhongyige_share]\ntarget = 0.1\nsource = "x"\nminutes = 15\n')
    assert "negative" in _error(
        tmp_path, '[indicators.tcm_gps_per_10k]\ntarget = -1\nsource = "x"\n')


def test_toml_syntax_and_empty_and_top_level(tmp_path):
    assert "not valid TOML" in _error(tmp_path, "[indicators.zhongyige_share\ntarget = 0.1\n")
    assert "no indicators" in _error(tmp_path, 'name = "x"\n')
    assert "top-level" in _error(tmp_path, 'zhongyige_share = 0.1\n[indicators.zhongyige_share]\n'
                                           'target = 0.1\nsource = "x"\n')


def test_unknown_profile_name_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="did you mean 'yantai'"):
        load_profile("yantia")
    with pytest.raises(InputError, match="profile file not found"):
        load_profile(tmp_path / "nope.toml")
    with pytest.raises(ValueError):  # InputError is a ValueError too
        load_profile("nowhere")


def test_parse_profile_mapping():
    prof = parse_profile({"indicators": {"coverage_15min": {"target": "no number", "source": "s"}}})
    assert prof.name == "custom" and prof.targets["coverage_15min"].target is None
    assert prof.targets["coverage_15min"].minutes == 15.0
    with pytest.raises(InputError, match="boolean|not a number"):
        parse_profile({"indicators": {"coverage_15min": {"target": True, "source": "s"}}})


def test_plan_target_and_indicator_measure_names():
    """One name per concept: a profile's entries are PlanTargets (their number is ``target``),
    an indicator's kind of number is its ``measure`` (a facility's kind is its type)."""
    from tcm_coverage.inputs import MEASURES, PlanTarget

    assert {spec.measure for spec in INDICATORS.values()} == set(MEASURES)
    for name in list_profiles():
        for t in load_profile(name).targets.values():
            assert isinstance(t, PlanTarget) and t.spec.measure in MEASURES
