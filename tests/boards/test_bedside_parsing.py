"""What nurses type after /tag and /line: tag word and detail; line type, site, time, purpose."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boards.bedside import parse_line_args, parse_tag_args
from boards.errors import BadInput

__all__: list[str] = []

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 14:30 on 23 November in the ward.
NOW = datetime(2025, 11, 23, 6, 30, tzinfo=UTC)


def _local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


# --- /tag ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["防跌倒"], ("防跌倒", None)),
        (["过敏", "青霉素,头孢"], ("过敏", "青霉素,头孢")),
        (["过敏", "青霉素", "头孢"], ("过敏", "青霉素 头孢")),
        (["过敏:青霉素"], ("过敏", "青霉素")),
        (["过敏：青霉素", "头孢"], ("过敏", "青霉素 头孢")),
        (["过敏：", "青霉素"], ("过敏", "青霉素")),
        (["禁食", "自22:00起"], ("禁食", "自22:00起")),
        (["禁食", "22:00"], ("禁食", "22:00")),
        (["drug", "allergy", "penicillin"], ("drug allergy", "penicillin")),
        (["drug", "allergy:", "penicillin"], ("drug allergy", "penicillin")),
        (["nil", "by", "mouth", "from", "22:00"], ("nil by mouth", "from 22:00")),
        (["bed-fall"], ("bed-fall", None)),
        # Not a kind's name: the first word is the word, for the service to refuse.
        (["foo", "bar"], ("foo", "bar")),
        (["  过敏 ", "\t青霉素  头孢 "], ("过敏", "青霉素 头孢")),
    ],
)
def test_tag_args(args: list[str], expected: tuple[str, str | None]) -> None:
    assert parse_tag_args(args) == expected


@pytest.mark.parametrize("args", [[], [""], ["  ", "\t"]])
def test_tag_args_missing(args: list[str]) -> None:
    with pytest.raises(BadInput) as caught:
        parse_tag_args(args)
    assert caught.value.key == "err.missing_args"


@given(st.lists(st.one_of(st.text(), st.sampled_from(["过敏", ":", "：", "drug", "allergy"]))))
def test_tag_args_never_crash(args: list[str]) -> None:
    try:
        word, detail = parse_tag_args(args)
    except BadInput as error:
        assert error.key == "err.missing_args"
        return
    assert word.strip() and word == word.strip()
    assert detail is None or (detail.strip() and detail == detail.strip())


# --- /line ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["PICC"], ("PICC", None, NOW, None)),
        (["留置针", "左前臂"], ("留置针", "左前臂", NOW, None)),
        (["引流管", "右腹", "术后引流"], ("引流管", "右腹", NOW, "术后引流")),
        (["引流管", "右腹", "术后", "引流"], ("引流管", "右腹", NOW, "术后 引流")),
        (["PICC", "-", "化疗"], ("PICC", None, NOW, "化疗")),
        (
            ["留置针", "左前臂", "11-20", "输液"],
            ("留置针", "左前臂", _local(2025, 11, 20), "输液"),
        ),
        (["PICC", "11-20", "化疗"], ("PICC", None, _local(2025, 11, 20), "化疗")),
        (["PICC", "11/20"], ("PICC", None, _local(2025, 11, 20), None)),
        (["尿管", "2025-11-20"], ("尿管", None, _local(2025, 11, 20), None)),
        (["尿管", "2025年11月20日"], ("尿管", None, _local(2025, 11, 20), None)),
        (["尿管", "11月20日", "8:30"], ("尿管", None, _local(2025, 11, 20, 8, 30), None)),
        (["尿管", "11月20日8点半"], ("尿管", None, _local(2025, 11, 20, 8, 30), None)),
        (["尿管", "11-20", "0830", "导尿"], ("尿管", None, _local(2025, 11, 20, 8, 30), "导尿")),
        (["尿管", "昨天", "22:00"], ("尿管", None, _local(2025, 11, 22, 22), None)),
        (["尿管", "昨天22:00"], ("尿管", None, _local(2025, 11, 22, 22), None)),
        (["尿管", "前天"], ("尿管", None, _local(2025, 11, 21), None)),
        (["尿管", "今天", "9:15"], ("尿管", None, _local(2025, 11, 23, 9, 15), None)),
        (["尿管", "yesterday", "22:00"], ("尿管", None, _local(2025, 11, 22, 22), None)),
        (["尿管", "8:00"], ("尿管", None, _local(2025, 11, 23, 8), None)),
        # Just ahead of now stays ahead: the service refuses it, nothing is moved back.
        (["尿管", "15:00"], ("尿管", None, _local(2025, 11, 23, 15), None)),
        (["尿管", "明天"], ("尿管", None, _local(2025, 11, 24), None)),
        (
            ["留置针", "左", "前臂", "今天", "8:00", "输液", "抗感染"],
            ("留置针", "左 前臂", _local(2025, 11, 23, 8), "输液 抗感染"),
        ),
        # A bare number is a drain's number, not two o'clock.
        (["drain", "2"], ("drain", "2", NOW, None)),
        (["iv", "cannula", "left", "arm"], ("iv cannula", "left", NOW, "arm")),
        (["chest", "tube", "R", "11-21"], ("chest tube", "R", _local(2025, 11, 21), None)),
        # Full-width digits and punctuation, as Chinese input methods type them.
        (["留置针", "１１－２０", "１４：００"], ("留置针", None, _local(2025, 11, 20, 14), None)),
    ],
)
def test_line_args(
    args: list[str], expected: tuple[str, str | None, datetime, str | None]
) -> None:
    assert parse_line_args(args, now=NOW, tz=SHANGHAI) == expected


def test_a_clock_alone_is_today_even_after_midnight_and_yesterday_is_said() -> None:
    # One grammar (boards.when): a clock alone means today in every command, so 22:00 typed
    # at 01:00 is tonight (which the service refuses as in the future, naming 昨天 22:00).
    after_midnight = _local(2025, 11, 24, 1, 0)
    word, _, inserted, _ = parse_line_args(["PICC", "22:00"], now=after_midnight, tz=SHANGHAI)
    assert (word, inserted) == ("PICC", _local(2025, 11, 24, 22))
    last_night = parse_line_args(["PICC", "昨天", "22:00"], now=after_midnight, tz=SHANGHAI)
    assert last_night[2] == _local(2025, 11, 23, 22)


def test_line_date_far_ahead_is_last_year() -> None:
    january = _local(2026, 1, 5, 10)
    assert parse_line_args(["PICC", "12-30"], now=january, tz=SHANGHAI)[2] == _local(2025, 12, 30)
    # Days ahead stay ahead (and are refused by the service), not moved a year back.
    assert parse_line_args(["PICC", "1-8"], now=january, tz=SHANGHAI)[2] == _local(2026, 1, 8)


def test_line_dates_are_read_in_the_ward_timezone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    inserted = parse_line_args(["PICC", "11-20", "08:00"], now=NOW, tz=berlin)[2]
    assert inserted == datetime(2025, 11, 20, 7, 0, tzinfo=UTC)
    assert inserted.tzinfo is UTC


@pytest.mark.parametrize("bad", ["11-31", "2-30", "13-01", "0-5", "1800-01-01", "11月32日"])
def test_line_date_shaped_but_no_date(bad: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_line_args(["PICC", bad], now=NOW, tz=SHANGHAI)
    assert caught.value.key == "err.time_form"


@pytest.mark.parametrize("args", [[], [""], [" \u3000 "]])
def test_line_args_missing(args: list[str]) -> None:
    with pytest.raises(BadInput) as caught:
        parse_line_args(args, now=NOW, tz=SHANGHAI)
    assert caught.value.key == "err.missing_args"


_PIECES = st.sampled_from(
    [
        "PICC",
        "留置针",
        "iv",
        "cannula",
        "-",
        "昨天",
        "今天",
        "前天",
        "明天",
        "yesterday",
        "11-20",
        "2-29",
        "11月20日",
        "11月20日8点半",
        "2025-11-20",
        "0000-01-01",
        "9999-12-31",
        "22:00",
        "0830",
        "8点",
        "24:00",
        "2",
        "：",
        "１１－２０",
        "٢٠٢٥-١١-٢٠",
        "12-31",
    ]
)


@given(
    args=st.lists(st.one_of(st.text(), _PIECES), max_size=8),
    now=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    tz=st.sampled_from(
        [SHANGHAI, ZoneInfo("Europe/London"), ZoneInfo("America/New_York"), ZoneInfo("UTC")]
    ),
)
def test_line_args_never_crash(args: list[str], now: datetime, tz: ZoneInfo) -> None:
    try:
        word, site, inserted, purpose = parse_line_args(args, now=now, tz=tz)
    except BadInput as error:
        assert error.key in {"err.missing_args", "err.time_form"}
        return
    assert word and word == word.strip()
    assert site is None or site.strip()
    assert purpose is None or purpose.strip()
    assert inserted.tzinfo is UTC
    assert 1899 <= inserted.year <= 2101
