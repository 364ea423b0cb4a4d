"""What nurses type: beds, ages, levels, times."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boards.commands import parse_admit, parse_item, parse_surgery
from boards.errors import BadInput
from boards.model import Age, ItemKind, NursingLevel, Sex, SurgeryState
from boards.parsing import (
    bed_sort_key,
    parse_age,
    parse_bed,
    parse_level,
)
from boards.transfers import TransferRequest, parse_transfer_request
from boards.when import parse_clock, parse_when

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai


@pytest.mark.parametrize(
    ("typed", "bed"),
    [
        ("12", "12"),
        ("12床", "12"),
        ("１２床", "12"),
        (" 7 ", "7"),
        ("+1", "+1"),
        ("加1", "+1"),
        ("加床2", "+2"),
        ("+1床", "+1"),
    ],
)
def test_bed_labels_normalise(typed: str, bed: str) -> None:
    assert parse_bed(typed) == bed


@pytest.mark.parametrize("typed", ["", "床", "abc", "12a床", "1234", "+0", "-3", "12.5"])
def test_bad_bed_labels_are_refused_with_the_form(typed: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_bed(typed)
    assert caught.value.key == "err.bed_form"


def test_bed_outside_the_ward_is_refused() -> None:
    with pytest.raises(BadInput) as zero:
        parse_bed("0")
    assert zero.value.key == "err.bed_range"
    with pytest.raises(BadInput) as caught:
        parse_bed("41", bed_count=40)
    assert caught.value.key == "err.bed_range"
    assert parse_bed("+3", bed_count=40) == "+3"


@given(
    st.lists(
        st.one_of(st.integers(1, 999).map(str), st.integers(1, 99).map(lambda n: f"+{n}")),
        min_size=1,
    )
)
def test_beds_sort_numbered_first_then_extra_beds(beds: list[str]) -> None:
    ordered = sorted(beds, key=bed_sort_key)
    numbered = [b for b in ordered if not b.startswith("+")]
    assert numbered == sorted(numbered, key=int)
    assert ordered[: len(numbered)] == numbered


@given(st.text(max_size=8))
def test_bed_parser_never_crashes(text: str) -> None:
    try:
        bed = parse_bed(text)
    except BadInput:
        return
    assert bed == parse_bed(bed)


def test_ages() -> None:
    assert parse_age("45") == Age(45)
    assert parse_age("45岁") == Age(45)
    assert parse_age("8个月") == Age(8, "m")
    assert parse_age("10天") == Age(10, "d")
    for bad in ("五十", "200", "-1", "0", ""):
        with pytest.raises(BadInput):
            parse_age(bad)


def test_levels() -> None:
    assert parse_level("二级") is NursingLevel.TWO
    assert parse_level("一级护理") is NursingLevel.ONE
    assert parse_level("特级") is NursingLevel.SPECIAL
    assert parse_level("肺炎") is None


@pytest.mark.parametrize(
    ("typed", "clock"),
    [
        ("8:00", time(8)),
        ("08:30", time(8, 30)),
        ("0830", time(8, 30)),
        ("8点", time(8)),
        ("8点半", time(8, 30)),
        ("20：15", time(20, 15)),
        ("23:59", time(23, 59)),
    ],
)
def test_clock_times(typed: str, clock: time) -> None:
    assert parse_clock(typed) == clock


@pytest.mark.parametrize("typed", ["25:00", "12:60", "noon", "", "8:5"])
def test_bad_clock_times(typed: str) -> None:
    assert parse_clock(typed) is None


def test_when_is_in_the_ward_timezone() -> None:
    assert parse_when("15:00", now=NOW, tz=SH) == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert parse_when("明天 9:00", now=NOW, tz=SH) == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert parse_when("明天9点", now=NOW, tz=SH) == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert parse_when("11-25 08:00", now=NOW, tz=SH) == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert parse_when("2月30日 08:00", now=NOW, tz=SH) is None


def test_admit_arguments() -> None:
    a = parse_admit(["13", "李四", "女", "40", "肺炎", "二级"], bed_count=None)
    assert (a.bed, a.name, a.sex, a.age, a.diagnosis, a.level) == (
        "13",
        "李四",
        Sex.FEMALE,
        Age(40),
        "肺炎",
        NursingLevel.TWO,
    )
    b = parse_admit(["+1", "王五", "男", "50", "急性", "阑尾炎"], bed_count=None)
    assert (b.bed, b.diagnosis, b.level) == ("+1", "急性 阑尾炎", None)
    with pytest.raises(BadInput) as caught:
        parse_admit(["13", "李四", "女"], bed_count=None)
    assert caught.value.key == "err.missing_args"
    with pytest.raises(BadInput) as caught:
        parse_admit(["13", "李四", "X", "40"], bed_count=None)
    assert caught.value.key == "err.sex_form"


def test_surgery_arguments() -> None:
    a = parse_surgery(
        ["12", "明天", "9:00", "腹腔镜", "胆囊切除术"], bed_count=None, now=NOW, tz=SH
    )
    assert not isinstance(a, type(None))
    assert a.procedure == "腹腔镜 胆囊切除术"
    assert a.at == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    state = parse_surgery(["12", "入室"], bed_count=None, now=NOW, tz=SH)
    assert state.state is SurgeryState.IN_THEATRE
    with pytest.raises(BadInput) as caught:
        parse_surgery(["12", "25:00", "x"], bed_count=None, now=NOW, tz=SH)
    assert caught.value.key == "err.time_form"


def test_exam_needs_a_time_and_a_name() -> None:
    a = parse_item(["9", "15:00", "CT"], ItemKind.EXAM, bed_count=None, now=NOW, tz=SH)
    assert a.text == "CT" and a.at == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    with pytest.raises(BadInput):
        parse_item(["9", "15:00"], ItemKind.EXAM, bed_count=None, now=NOW, tz=SH)
    with pytest.raises(BadInput) as caught:
        parse_item(["9", "x" * 201], ItemKind.NOTE, bed_count=None, now=NOW, tz=SH)
    assert caught.value.key == "err.too_long"


def test_transfer_request_takes_a_bed_wanted_or_a_withdrawal() -> None:
    assert parse_transfer_request(["12"], bed_count=40) == TransferRequest("12")
    assert parse_transfer_request(["12", "5"], bed_count=40) == TransferRequest("12", "5")
    assert parse_transfer_request(["12", "取消"], bed_count=40).cancel
    # The bed wanted is in the other ward, whose beds may number more than ours.
    assert parse_transfer_request(["12", "55"], bed_count=40).target_bed == "55"
    for bad in ([], ["12", "骨科病区", "5"], ["x"], ["12", "骨科"]):
        with pytest.raises(BadInput):
            parse_transfer_request(bad, bed_count=40)
