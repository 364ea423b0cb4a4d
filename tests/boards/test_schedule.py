"""Tests for boards.schedule: policies, occurrence generation, DST handling and parsers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from boards.lines import LINE_CODES
from boards.schedule import (
    DEFAULT_ESCALATION_MINUTES,
    DEFAULT_LEAD_MINUTES,
    CareRule,
    Frequency,
    LineCarePolicy,
    MedicationPolicy,
    PolicyError,
    Route,
    ScheduleError,
    Shift,
    ShiftPolicy,
    WardPolicy,
    clock_times_required,
    default_line_care_policy,
    default_medication_policy,
    default_shift_policy,
    is_external,
    is_iv,
    line_care_occurrences,
    medication_occurrences,
    parse_clock,
    parse_frequency,
    parse_route,
    parse_when,
    slot_of,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
APIA = ZoneInfo("Pacific/Apia")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")
KWAJALEIN = ZoneInfo("Pacific/Kwajalein")
# Zones chosen for their awkward clocks: 30-minute DST (Lord Howe), DST changes at
# midnight (Sao Paulo until 2019), +05:45, and a calendar date skipped crossing the date
# line eastwards (Apia 30 Dec 2011, Kiritimati 31 Dec 1994, Kwajalein 21 Aug 1993).
ZONES = [
    SHANGHAI,
    NEW_YORK,
    LONDON,
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("America/Sao_Paulo"),
    APIA,
    ZoneInfo("Asia/Kathmandu"),
    KIRITIMATI,
    KWAJALEIN,
]
MED = default_medication_policy()
LINES = default_line_care_policy()
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def meds(
    freq: Frequency,
    start: datetime,
    window_start: datetime,
    window_end: datetime,
    *,
    stop: datetime | None = None,
    route: Route | None = None,
    tz: ZoneInfo = SHANGHAI,
    policy: MedicationPolicy = MED,
) -> list[datetime]:
    return medication_occurrences(
        freq=freq,
        route=route,
        start=start,
        stop=stop,
        window_start=window_start,
        window_end=window_end,
        tz=tz,
        policy=policy,
    )


def walls(results: list[datetime], tz: ZoneInfo) -> list[str]:
    return [f"{r.astimezone(tz):%m-%d %H:%M}" for r in results]


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("QD", Frequency.QD),
        ("q.d.", Frequency.QD),
        ("Bid", Frequency.BID),
        ("t.i.d.", Frequency.TID),
        ("QID", Frequency.QID),
        ("q8h", Frequency.Q8H),
        ("Q 6 H", Frequency.Q6H),
        ("q12h", Frequency.Q12H),
        ("q.o.d.", Frequency.QOD),
        ("HS", Frequency.HS),
        ("qn", Frequency.QN),
        ("st", Frequency.ST),
        ("stat", Frequency.ST),
        ("PRN", Frequency.PRN),
        ("bd", Frequency.BID),
        ("每日一次", Frequency.QD),
        ("一日两次", Frequency.BID),
        ("每日3次", Frequency.TID),
        ("每天四次", Frequency.QID),
        ("每8小时", Frequency.Q8H),
        ("每隔六小时一次", Frequency.Q6H),
        ("每4h", Frequency.Q4H),
        ("每12小時", Frequency.Q12H),
        ("每晚一次", Frequency.QN),
        ("睡前", Frequency.HS),
        ("隔日一次", Frequency.QOD),
        ("必要时", Frequency.PRN),
        ("必要時", Frequency.PRN),
        ("立即", Frequency.ST),
        ("ＱＤ", Frequency.QD),
        ("q2h", None),
        ("每日五次", None),
        ("", None),
        ("daily please", None),
    ],
)
def test_parse_frequency(text: str, expected: Frequency | None) -> None:
    assert parse_frequency(text) is expected


@pytest.mark.parametrize("freq", list(Frequency))
def test_parse_frequency_accepts_every_code_in_any_case(freq: Frequency) -> None:
    assert parse_frequency(freq.value.upper()) is freq
    assert parse_frequency(".".join(freq.value) + ".") is freq


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("po", Route.PO),
        ("P.O.", Route.PO),
        ("口服", Route.PO),
        ("ivgtt", Route.IVGTT),
        ("iv gtt", Route.IVGTT),
        ("静脉滴注", Route.IVGTT),
        ("静滴", Route.IVGTT),
        ("靜脈滴注", Route.IVGTT),
        ("iv", Route.IV),
        ("i.v.", Route.IV),
        ("静脉注射", Route.IV),
        ("静推", Route.IV),
        ("im", Route.IM),
        ("肌肉注射", Route.IM),
        ("肌注", Route.IM),
        ("ih", Route.SC),
        ("sc", Route.SC),
        ("皮下注射", Route.SC),
        ("topical", Route.TOPICAL),
        ("external", Route.TOPICAL),
        ("外用", Route.TOPICAL),
        ("inhaled", Route.INHALED),
        ("雾化吸入", Route.INHALED),
        ("霧化吸入", Route.INHALED),
        ("id", None),
        ("", None),
    ],
)
def test_parse_route(text: str, expected: Route | None) -> None:
    assert parse_route(text) is expected


def test_route_groups() -> None:
    assert [r for r in Route if is_external(r)] == [Route.TOPICAL]
    assert [r for r in Route if is_iv(r)] == [Route.IVGTT, Route.IV]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8:00", time(8)),
        ("08:00", time(8)),
        ("0800", time(8)),
        ("800", time(8)),
        ("8点", time(8)),
        ("8点半", time(8, 30)),
        ("8点30分", time(8, 30)),
        ("8点零5分", time(8, 5)),
        ("8点一刻", time(8, 15)),
        ("九点整", time(9)),
        ("二十点", time(20)),
        ("20:30", time(20, 30)),
        (" 20:30 ", time(20, 30)),
        ("８：００", time(8)),
        ("8：30", time(8, 30)),
        ("8.30", time(8, 30)),
        ("下午3点", time(15)),
        ("下午3:30", time(15, 30)),
        ("晚上8点半", time(20, 30)),
        ("中午12点", time(12)),
        ("中午1点", time(13)),
        ("凌晨2点", time(2)),
        ("上午10点", time(10)),
        ("8pm", time(20)),
        ("8:30 AM", time(8, 30)),
        ("12am", time(0)),
        ("12 p.m.", time(12)),
        ("00:00", time(0)),
        ("23:59", time(23, 59)),
        ("24:00", None),
        ("25:00", None),
        ("8:60", None),
        ("8", None),
        ("晚上12点", None),
        ("上午13点", None),
        ("13pm", None),
        ("abc", None),
        ("", None),
    ],
)
def test_parse_clock(text: str, expected: time | None) -> None:
    assert parse_clock(text) == expected


def test_parse_clock_every_minute_of_the_day() -> None:
    for minute in range(24 * 60):
        t = time(minute // 60, minute % 60)
        for text in (f"{t:%H:%M}", f"{t.hour}:{t:%M}", f"{t:%H%M}", f"{t.hour}点{t.minute}分"):
            assert parse_clock(text) == t, text


NOW = local(SHANGHAI, 2026, 11, 23, 10, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:30", local(SHANGHAI, 2026, 11, 23, 14, 30)),
        ("7:00", local(SHANGHAI, 2026, 11, 23, 7, 0)),  # past: returned, caller decides
        ("今天 18:00", local(SHANGHAI, 2026, 11, 23, 18, 0)),
        ("明天 9:00", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("明天9点", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("明天上午9点半", local(SHANGHAI, 2026, 11, 24, 9, 30)),
        ("后天下午3点", local(SHANGHAI, 2026, 11, 25, 15, 0)),
        ("tomorrow 09:00", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("Tomorrow 9am", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("11-24 09:00", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("11月24日 9:00", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("11月24日9点", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("11月24号 9:00", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("2026-11-24 09:00", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("2026-11-24T09:00", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("2026/11/24 09:00", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("2026年11月24日 9:00", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("２０２６－１１－２４　０９：００", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        # without a year: the nearest such date
        ("01-02 08:00", local(SHANGHAI, 2027, 1, 2, 8, 0)),
        ("11-22 08:00", local(SHANGHAI, 2026, 11, 22, 8, 0)),
        ("02-29 08:00", None),  # no 29 Feb within a year of now
        ("2027-02-29 08:00", None),
        ("02-30 08:00", None),
        ("13-01 08:00", None),
        ("24/11 09:00", local(SHANGHAI, 2026, 11, 24, 9, 0)),  # only one order is a date
        ("11/24 09:00", local(SHANGHAI, 2026, 11, 24, 9, 0)),
        ("3/4 09:00", None),  # 3 April or 4 March? refused
        ("11-24", None),
        ("明天", None),
        ("明天 25:00", None),
        ("soon", None),
    ],
)
def test_parse_when(text: str, expected: datetime | None) -> None:
    result = parse_when(text, now=NOW, tz=SHANGHAI)
    assert result == expected
    if result is not None:
        assert result.tzinfo is UTC


def test_parse_when_leap_day_without_year() -> None:
    now = local(SHANGHAI, 2027, 12, 30, 9)
    assert parse_when("02-29 08:00", now=now, tz=SHANGHAI) == local(SHANGHAI, 2028, 2, 29, 8)
    assert parse_when("2月29日 8点", now=now, tz=SHANGHAI) == local(SHANGHAI, 2028, 2, 29, 8)


def test_parse_when_uses_the_wards_date_not_utcs() -> None:
    # 07:30 in Shanghai is still yesterday in UTC.
    now = local(SHANGHAI, 2026, 11, 23, 7, 30)
    assert parse_when("明天 8:00", now=now, tz=SHANGHAI) == local(SHANGHAI, 2026, 11, 24, 8)


def test_parse_when_in_a_dst_gap_moves_forward() -> None:
    now = local(NEW_YORK, 2026, 3, 7, 12)
    assert parse_when("明天 2:30", now=now, tz=NEW_YORK) == utc(2026, 3, 8, 7, 30)
    assert parse_when("2026-11-01 01:30", now=now, tz=NEW_YORK) == utc(2026, 11, 1, 5, 30)


def test_parse_when_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("8:00", now=datetime(2026, 1, 1), tz=SHANGHAI)


@FAST
@given(
    moment=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2039, 12, 31)),
    tz=st.sampled_from(ZONES),
)
def test_parse_when_round_trips_iso_text(moment: datetime, tz: ZoneInfo) -> None:
    moment = moment.replace(second=0, microsecond=0)
    expected = moment.replace(tzinfo=tz).astimezone(UTC)
    # A wall time inside a DST gap names no instant, so it cannot round-trip; where such a
    # time goes is the gap tests' business.
    assume(expected.astimezone(tz).replace(tzinfo=None) == moment)
    now = local(tz, 2020, 6, 1)
    assert parse_when(f"{moment:%Y-%m-%d %H:%M}", now=now, tz=tz) == expected
    assert (
        parse_when(f"{moment.year}年{moment.month}月{moment.day}日{moment:%H:%M}", now=now, tz=tz)
        == expected
    )


# --------------------------------------------------------------------------- policies


def test_default_medication_times() -> None:
    hm = lambda ts: [f"{t:%H:%M}" for t in ts]  # noqa: E731
    assert hm(MED.times_for(Frequency.QD)) == ["08:00"]
    assert hm(MED.times_for(Frequency.BID)) == ["08:00", "16:00"]
    assert hm(MED.times_for(Frequency.TID)) == ["08:00", "12:00", "16:00"]
    assert hm(MED.times_for(Frequency.QID)) == ["08:00", "12:00", "16:00", "20:00"]
    assert hm(MED.times_for(Frequency.Q4H)) == [
        "00:00",
        "04:00",
        "08:00",
        "12:00",
        "16:00",
        "20:00",
    ]
    assert hm(MED.times_for(Frequency.Q6H)) == ["02:00", "08:00", "14:00", "20:00"]
    assert hm(MED.times_for(Frequency.Q8H)) == ["00:00", "08:00", "16:00"]
    assert hm(MED.times_for(Frequency.Q12H)) == ["08:00", "20:00"]
    assert hm(MED.times_for(Frequency.QN)) == ["20:00"]
    assert hm(MED.times_for(Frequency.HS)) == ["21:00"]
    assert hm(MED.times_for(Frequency.QOD)) == ["08:00"]
    assert MED.times_for(Frequency.ST) == ()
    assert MED.times_for(Frequency.PRN) == ()


def test_route_tables_override_single_frequencies() -> None:
    for route in (Route.IM, Route.SC, Route.IV, Route.IVGTT):
        assert MED.times_for(Frequency.QD, route) == (time(9),)
        assert MED.times_for(Frequency.BID, route) == (time(9), time(15))
        assert MED.times_for(Frequency.TID, route) == MED.times_for(Frequency.TID)
    assert MED.times_for(Frequency.QD, Route.PO) == (time(8),)
    assert MED.times_for(Frequency.QD, None) == (time(8),)


def test_with_times_changes_one_table_only() -> None:
    changed = MED.with_times(Frequency.QD, [time(7)])
    assert changed.times_for(Frequency.QD) == (time(7),)
    assert changed.times_for(Frequency.QD, Route.IM) == (time(9),)
    routed = MED.with_times(Frequency.TID, [time(17), time(9), time(13)], route=Route.PO)
    assert routed.times_for(Frequency.TID, Route.PO) == (time(9), time(13), time(17))
    assert routed.times_for(Frequency.TID) == (time(8), time(12), time(16))
    assert MED.times_for(Frequency.QD) == (time(8),)  # the original is untouched


def test_policies_are_immutable_and_hashable() -> None:
    assert hash(MED) == hash(default_medication_policy())
    assert default_medication_policy() == MED
    assert hash(LINES) == hash(default_line_care_policy())
    assert hash(WardPolicy()) == hash(WardPolicy())
    with pytest.raises(TypeError):
        MED.times[Frequency.QD] = (time(7),)  # type: ignore[index]


def _policy_error(build: object) -> PolicyError:
    assert callable(build)
    with pytest.raises(PolicyError) as raised:
        build()
    return raised.value


@pytest.mark.parametrize(
    ("times", "key"),
    [
        ({Frequency.QD: ()}, "schedule.policy.empty_times"),
        ({Frequency.BID: (time(8), time(8))}, "schedule.policy.duplicate_time"),
        ({Frequency.BID: (time(8),)}, "schedule.policy.wrong_count"),
        ({Frequency.QD: (time(8, 0, 30),)}, "schedule.policy.bad_time"),
        ({Frequency.ST: (time(8),)}, "schedule.policy.unscheduled_frequency"),
        ({Frequency.PRN: (time(8),)}, "schedule.policy.unscheduled_frequency"),
        ({"q3h": (time(8),)}, "schedule.policy.unknown_frequency"),
    ],
)
def test_medication_policy_validation(times: dict[object, tuple[time, ...]], key: str) -> None:
    merged = {**MED.times, **times}
    error = _policy_error(lambda: MedicationPolicy(times=merged))  # type: ignore[arg-type]
    assert error.key == key
    assert isinstance(error, ScheduleError)
    assert repr(error) == f"PolicyError({key!r})"  # parameters stay out of logs


def test_medication_policy_reports_its_parameters() -> None:
    error = _policy_error(lambda: MED.with_times(Frequency.BID, [time(8), time(8)]))
    assert error.params == {"freq": "bid", "route": "", "time": "08:00"}
    error = _policy_error(lambda: MED.with_times(Frequency.TID, [time(8)], route=Route.IM))
    assert error.params == {"freq": "tid", "route": "im", "expected": 3, "got": 1}


def test_medication_policy_needs_every_scheduled_frequency() -> None:
    times = {f: t for f, t in MED.times.items() if f is not Frequency.HS}
    error = _policy_error(lambda: MedicationPolicy(times=times))
    assert (error.key, error.params) == ("schedule.policy.missing_frequency", {"freq": "hs"})


def test_clock_times_required() -> None:
    assert clock_times_required(Frequency.Q4H) == 6
    assert clock_times_required(Frequency.ST) == 0
    for freq in Frequency:
        assert len(MED.times_for(freq)) == clock_times_required(freq)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"times": {"qd": ["25:00"]}}, "schedule.policy.bad_time"),
        ({"times": {"qd": ["8am"]}}, "schedule.policy.bad_time"),
        ({"times": {"qd": []}}, "schedule.policy.empty_times"),
        ({"times": {"bid": ["08:00", "08:00"]}}, "schedule.policy.duplicate_time"),
        ({"times": {"qd": "08:00"}}, "schedule.policy.malformed"),
        ({"times": {"q3h": ["08:00"]}}, "schedule.policy.unknown_frequency"),
        ({"route_times": {"rectal": {"qd": ["08:00"]}}}, "schedule.policy.unknown_route"),
        ({"route_times": []}, "schedule.policy.malformed"),
    ],
)
def test_ward_policy_from_dict_rejects_bad_medication(change: dict[str, object], key: str) -> None:
    data = WardPolicy().to_dict()
    data["medication"].update(change)
    assert _policy_error(lambda: WardPolicy.from_dict(data)).key == key


def test_bad_time_carries_the_value() -> None:
    data = {"medication": {"times": {"qd": ["25:00"]}}}
    error = _policy_error(lambda: WardPolicy.from_dict(data))
    assert error.params["value"] == "25:00"


def test_ward_policy_round_trips_through_json() -> None:
    policy = WardPolicy(
        medication=MED.with_times(Frequency.HS, [time(22)]),
        lead_minutes=10,
        escalation_minutes=45,
    )
    data = json.loads(json.dumps(policy.to_dict()))
    assert WardPolicy.from_dict(data) == policy
    assert data["version"] == 1
    assert data["medication"]["times"]["q6h"] == ["02:00", "08:00", "14:00", "20:00"]
    assert data["line_care"]["piv"][1] == {
        "code": "replace",
        "name_zh": "更换留置针",
        "name_en": "Replace cannula",
        "interval_minutes": 96 * 60,
        "anchor": "insertion",
        "at": None,
    }
    assert data["shifts"][0] == {
        "code": "day",
        "name_zh": "白班",
        "name_en": "Day shift",
        "start": "08:00",
    }


def test_ward_policy_from_dict_fills_missing_sections() -> None:
    assert WardPolicy.from_dict({}) == WardPolicy()
    policy = WardPolicy.from_dict({"medication": {"times": {"qd": ["07:30"]}}})
    assert policy.medication.times_for(Frequency.QD) == (time(7, 30),)
    assert policy.medication.times_for(Frequency.BID) == (time(8), time(16))
    assert policy.medication.route_times == MED.route_times
    no_overrides = WardPolicy.from_dict({"medication": {"route_times": {}}})
    assert no_overrides.medication.times_for(Frequency.QD, Route.IM) == (time(8),)
    assert WardPolicy.from_dict({"line_care": {}}).line_care.rules_for("piv") == ()


def test_ward_policy_defaults_and_minutes() -> None:
    policy = WardPolicy()
    assert (policy.lead_minutes, policy.escalation_minutes) == (0, 30)
    assert (DEFAULT_LEAD_MINUTES, DEFAULT_ESCALATION_MINUTES) == (0, 30)
    due = utc(2026, 1, 1, 0, 0)
    assert policy.remind_at(due) == due
    assert policy.overdue_at(due) == utc(2026, 1, 1, 0, 30)
    assert WardPolicy(lead_minutes=15).remind_at(due) == utc(2025, 12, 31, 23, 45)
    for kwargs in ({"lead_minutes": -1}, {"escalation_minutes": 0}, {"lead_minutes": True}):
        error = _policy_error(lambda kwargs=kwargs: WardPolicy(**kwargs))
        assert error.key == "schedule.policy.bad_minutes"
    assert _policy_error(lambda: WardPolicy.from_dict({"version": 2})).key == (
        "schedule.policy.bad_version"
    )
    assert _policy_error(lambda: WardPolicy.from_dict({"lead_minutes": "5"})).key == (
        "schedule.policy.malformed"
    )


def test_default_line_care() -> None:
    def summary(line: str) -> list[tuple[str, timedelta, str, time | None]]:
        return [(r.code, r.interval, r.anchor, r.at) for r in LINES.rules_for(line)]

    assert summary("piv") == [
        ("site_check", DAY, "clock", time(10)),
        ("replace", timedelta(hours=96), "insertion", None),
    ]
    assert summary("picc") == [
        ("dressing", timedelta(days=7), "insertion", None),
        ("flush_connector", timedelta(days=7), "insertion", None),
    ]
    assert ("dressing", timedelta(days=7), "insertion", None) in summary("cvc")
    assert summary("urinary") == [("necessity_review", DAY, "clock", time(10))]
    assert summary("port") == [("flush", timedelta(days=28), "insertion", None)]
    # Every line a nurse can record (boards.lines) has care rules by default.
    assert set(LINES.rules) == set(LINE_CODES)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"interval": timedelta(0)}, "schedule.policy.bad_interval"),
        ({"interval": timedelta(seconds=90)}, "schedule.policy.bad_interval"),
        ({"anchor": "weekly"}, "schedule.policy.bad_anchor"),
        ({"anchor": "clock"}, "schedule.policy.clock_needs_time"),
        (
            {"anchor": "clock", "at": time(10), "interval": HOUR},
            "schedule.policy.clock_needs_days",
        ),
        ({"at": time(10)}, "schedule.policy.insertion_takes_no_time"),
        ({"code": "Site Check"}, "schedule.policy.bad_rule_code"),
        ({"name_zh": " "}, "schedule.policy.missing_name"),
    ],
)
def test_care_rule_validation(kwargs: dict[str, object], key: str) -> None:
    base: dict[str, object] = {
        "code": "check",
        "name_zh": "检查",
        "name_en": "Check",
        "interval": DAY,
        "anchor": "insertion",
    }
    assert _policy_error(lambda: CareRule(**{**base, **kwargs})).key == key  # type: ignore[arg-type]


def test_line_care_policy_validation() -> None:
    rule = LINES.rules_for("piv")[0]
    duplicate = _policy_error(lambda: LineCarePolicy(rules={"piv": (rule, rule)}))
    assert duplicate.params == {"line": "piv", "rule": "site_check"}
    unknown = _policy_error(lambda: LineCarePolicy(rules={"picc_line": ()}))
    assert unknown.key == "schedule.policy.unknown_line"
    data = WardPolicy().to_dict()
    data["line_care"]["piv"][0]["at"] = "10:61"
    assert _policy_error(lambda: WardPolicy.from_dict(data)).key == "schedule.policy.bad_time"


# --------------------------------------------------------------------------- shifts

SHIFTS = default_shift_policy()


@pytest.mark.parametrize(
    ("clock", "code"),
    [
        (time(0), "night"),
        (time(7, 59), "night"),
        (time(8), "day"),
        (time(15, 59), "day"),
        (time(16), "evening"),
        (time(23, 59), "evening"),
    ],
)
def test_shift_of(clock: time, code: str) -> None:
    assert SHIFTS.shift_of(clock).code == code
    assert SHIFTS.shift_of(datetime.combine(date(2026, 1, 1), clock, tzinfo=SHANGHAI)).code == code


def test_shift_names_and_ends() -> None:
    assert [s.name_zh for s in SHIFTS.shifts] == ["白班", "小夜班", "大夜班"]
    assert [SHIFTS.end_of(s) for s in SHIFTS.shifts] == [time(16), time(0), time(8)]


def test_shift_that_wraps_midnight() -> None:
    two = ShiftPolicy(
        shifts=(
            Shift(code="day", name_zh="白班", name_en="Day", start=time(7, 30)),
            Shift(code="night", name_zh="夜班", name_en="Night", start=time(19, 30)),
        )
    )
    assert two.shift_of(time(3)).code == "night"
    assert two.shift_of(time(7, 30)).code == "day"
    shift, begin, end = two.span_of(local(SHANGHAI, 2026, 1, 2, 3, 0), SHANGHAI)
    assert shift.code == "night"
    assert (begin, end) == (
        local(SHANGHAI, 2026, 1, 1, 19, 30),
        local(SHANGHAI, 2026, 1, 2, 7, 30),
    )


def test_span_of_across_dst() -> None:
    # The night shift on the spring-forward night lasts 7 hours, on the fall-back night 9.
    shift, begin, end = SHIFTS.span_of(local(NEW_YORK, 2026, 3, 8, 5, 0), NEW_YORK)
    assert shift.code == "night" and end - begin == 7 * HOUR
    shift, begin, end = SHIFTS.span_of(local(NEW_YORK, 2026, 11, 1, 5, 0), NEW_YORK)
    assert shift.code == "night" and end - begin == 9 * HOUR


def test_shift_policy_validation() -> None:
    day = SHIFTS.shifts[0]
    assert _policy_error(lambda: ShiftPolicy(shifts=())).key == "schedule.policy.no_shifts"
    assert _policy_error(lambda: ShiftPolicy(shifts=(day, day))).key == (
        "schedule.policy.duplicate_shift"
    )
    data = WardPolicy().to_dict()
    data["shifts"][1]["start"] = "24:00"
    assert _policy_error(lambda: WardPolicy.from_dict(data)).key == "schedule.policy.bad_time"


@FAST
@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
    tz=st.sampled_from(ZONES),
)
def test_span_of_contains_its_instant(moment: datetime, tz: ZoneInfo) -> None:
    at = moment.replace(tzinfo=UTC)
    shift, begin, end = SHIFTS.span_of(at, tz)
    assert begin <= at < end
    assert shift == SHIFTS.shift_of(at.astimezone(tz))


# --------------------------------------------------------------------------- medication


def test_qd_at_eight_in_shanghai_is_midnight_utc() -> None:
    start = local(SHANGHAI, 2026, 11, 23, 7, 0)
    result = meds(Frequency.QD, start, start, start + 3 * DAY)
    assert result == [utc(2026, 11, 23), utc(2026, 11, 24), utc(2026, 11, 25)]
    assert all(r.tzinfo is UTC for r in result)


def test_bid_across_a_window() -> None:
    start = local(SHANGHAI, 2026, 11, 23, 10, 0)
    window = (local(SHANGHAI, 2026, 11, 23), local(SHANGHAI, 2026, 11, 25))
    assert walls(meds(Frequency.BID, start, *window), SHANGHAI) == [
        "11-23 16:00",
        "11-24 08:00",
        "11-24 16:00",
    ]
    assert walls(meds(Frequency.BID, start, *window, route=Route.IM), SHANGHAI) == [
        "11-23 15:00",
        "11-24 09:00",
        "11-24 15:00",
    ]


def test_start_is_included_and_stop_excluded() -> None:
    start = local(SHANGHAI, 2026, 11, 23, 8, 0)
    window = (start - DAY, start + 5 * DAY)
    stop = local(SHANGHAI, 2026, 11, 24, 16, 0)
    result = meds(Frequency.BID, start, *window, stop=stop)
    assert walls(result, SHANGHAI) == ["11-23 08:00", "11-23 16:00", "11-24 08:00"]
    later = meds(Frequency.BID, start, *window, stop=stop + timedelta(minutes=1))
    assert walls(later, SHANGHAI)[-1] == "11-24 16:00"
    # One second after the clock time misses that dose.
    assert (
        walls(meds(Frequency.BID, start + timedelta(seconds=1), *window, stop=stop), SHANGHAI)[0]
        == "11-23 16:00"
    )


def test_window_end_excluded_window_start_included() -> None:
    start = local(SHANGHAI, 2026, 1, 1)
    eight = local(SHANGHAI, 2026, 1, 3, 8)
    assert meds(Frequency.QD, start, eight - DAY, eight) == [eight - DAY]
    assert meds(Frequency.QD, start, eight, eight + HOUR) == [eight]
    assert meds(Frequency.QD, start, eight, eight) == []


def test_stop_before_start_raises() -> None:
    start = local(SHANGHAI, 2026, 1, 1, 8)
    for freq in (Frequency.QD, Frequency.ST, Frequency.PRN):
        with pytest.raises(ScheduleError) as raised:
            meds(freq, start, start, start + DAY, stop=start - timedelta(seconds=1))
        assert raised.value.key == "schedule.stop_before_start"
    assert meds(Frequency.QD, start, start, start + DAY, stop=start) == []


def test_bad_arguments_raise() -> None:
    start = local(SHANGHAI, 2026, 1, 1, 8)
    with pytest.raises(ScheduleError) as raised:
        meds(Frequency.QD, start, start + DAY, start)
    assert raised.value.key == "schedule.window_reversed"
    with pytest.raises(ScheduleError) as raised:
        meds(Frequency.QD, datetime(2026, 1, 1), start, start + DAY)
    assert (raised.value.key, raised.value.params) == (
        "schedule.naive_datetime",
        {"name": "start"},
    )


def test_st_is_one_dose_at_start() -> None:
    start = local(SHANGHAI, 2026, 1, 1, 10, 17, 42)
    assert meds(Frequency.ST, start, start - DAY, start + DAY) == [start.astimezone(UTC)]
    assert meds(Frequency.ST, start, start, start + timedelta(seconds=1)) == [start]
    assert meds(Frequency.ST, start, start + timedelta(seconds=1), start + DAY) == []
    assert meds(Frequency.ST, start, start - DAY, start) == []
    assert meds(Frequency.ST, start, start - DAY, start + DAY, stop=start) == []


def test_prn_creates_nothing() -> None:
    start = local(SHANGHAI, 2026, 1, 1)
    assert meds(Frequency.PRN, start, start, start + 30 * DAY) == []


def test_qod_counts_from_the_start_date_across_month_end() -> None:
    start = local(SHANGHAI, 2026, 1, 30, 7, 0)
    result = meds(Frequency.QOD, start, start, start + 8 * DAY)
    assert walls(result, SHANGHAI) == ["01-30 08:00", "02-01 08:00", "02-03 08:00", "02-05 08:00"]


def test_qod_across_year_end() -> None:
    start = local(SHANGHAI, 2025, 12, 30, 6, 0)
    result = meds(Frequency.QOD, start, start, start + 6 * DAY)
    assert [f"{r.astimezone(SHANGHAI):%Y-%m-%d}" for r in result] == [
        "2025-12-30",
        "2026-01-01",
        "2026-01-03",
    ]


@pytest.mark.parametrize(
    ("year", "dates"),
    [(2024, ["02-27", "02-29", "03-02"]), (2023, ["02-27", "03-01", "03-03"])],
)
def test_qod_across_february(year: int, dates: list[str]) -> None:
    start = local(SHANGHAI, year, 2, 27, 0, 0)
    result = meds(Frequency.QOD, start, start, start + 5 * DAY)
    assert [f"{r.astimezone(SHANGHAI):%m-%d}" for r in result] == dates


def test_qod_started_after_its_clock_time_waits_two_days() -> None:
    start = local(SHANGHAI, 2026, 3, 1, 10, 0)
    result = meds(Frequency.QOD, start, start, start + 5 * DAY)
    assert walls(result, SHANGHAI) == ["03-03 08:00", "03-05 08:00"]


def test_qod_parity_does_not_depend_on_the_window() -> None:
    start = local(SHANGHAI, 2026, 3, 1, 7, 0)
    later = meds(Frequency.QOD, start, local(SHANGHAI, 2026, 3, 10), local(SHANGHAI, 2026, 3, 14))
    assert walls(later, SHANGHAI) == ["03-11 08:00", "03-13 08:00"]


@pytest.mark.parametrize(
    ("first", "last", "change_day", "before_utc", "after_utc"),
    [
        (date(2026, 3, 1), date(2026, 3, 15), date(2026, 3, 8), 13, 12),  # spring forward
        (date(2026, 10, 25), date(2026, 11, 8), date(2026, 11, 1), 12, 13),  # fall back
    ],
)
def test_new_york_qd_has_one_dose_every_day(
    first: date, last: date, change_day: date, before_utc: int, after_utc: int
) -> None:
    start = datetime.combine(first, time(0), tzinfo=NEW_YORK)
    end = datetime.combine(last + DAY, time(0), tzinfo=NEW_YORK)
    result = meds(Frequency.QD, start, start, end, tz=NEW_YORK)
    days = [r.astimezone(NEW_YORK).date() for r in result]
    assert days == [first + i * DAY for i in range((last - first).days + 1)]
    assert all(r.astimezone(NEW_YORK).time() == time(8) for r in result)
    by_day = {r.astimezone(NEW_YORK).date(): r.hour for r in result}
    assert by_day[change_day - DAY] == before_utc
    assert by_day[change_day] == after_utc


def test_new_york_spring_forward_moves_a_missing_time_by_the_gap() -> None:
    day = (local(NEW_YORK, 2026, 3, 8), local(NEW_YORK, 2026, 3, 9))
    result = meds(Frequency.Q6H, day[0] - DAY, *day, tz=NEW_YORK)
    # 02:00 does not exist that night: the dose goes out at 03:00 EDT (07:00 UTC).
    assert result == [
        utc(2026, 3, 8, 7),
        utc(2026, 3, 8, 12),
        utc(2026, 3, 8, 18),
        utc(2026, 3, 9),
    ]
    assert walls(result, NEW_YORK) == ["03-08 03:00", "03-08 08:00", "03-08 14:00", "03-08 20:00"]


def test_new_york_ambiguous_time_is_given_once_at_its_first_occurrence() -> None:
    policy = MED.with_times(Frequency.QD, [time(1, 30)])
    start = local(NEW_YORK, 2026, 10, 30)
    result = meds(
        Frequency.QD, start, start, local(NEW_YORK, 2026, 11, 4), tz=NEW_YORK, policy=policy
    )
    assert result == [
        utc(2026, 10, 30, 5, 30),
        utc(2026, 10, 31, 5, 30),
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT, not again at 01:30 EST (06:30 UTC)
        utc(2026, 11, 2, 6, 30),
        utc(2026, 11, 3, 6, 30),
    ]
    spring = local(NEW_YORK, 2026, 3, 8)
    gap = meds(
        Frequency.QD,
        spring,
        spring,
        spring + DAY,
        tz=NEW_YORK,
        policy=policy.with_times(Frequency.QD, [time(2, 30)]),
    )
    assert gap == [utc(2026, 3, 8, 7, 30)]  # 02:30 does not exist: 03:30 EDT


def test_new_york_q4h_across_fall_back() -> None:
    day = (local(NEW_YORK, 2026, 11, 1), local(NEW_YORK, 2026, 11, 2))
    result = meds(Frequency.Q4H, day[0] - DAY, *day, tz=NEW_YORK)
    assert walls(result, NEW_YORK) == [
        "11-01 00:00",
        "11-01 04:00",
        "11-01 08:00",
        "11-01 12:00",
        "11-01 16:00",
        "11-01 20:00",
    ]
    assert result[1] - result[0] == 5 * HOUR  # wall-clock times, not elapsed hours


def test_london_both_transitions() -> None:
    policy = MED.with_times(Frequency.QD, [time(1, 30)])
    spring = local(LONDON, 2026, 3, 28)
    assert meds(Frequency.QD, spring, spring, spring + 3 * DAY, tz=LONDON, policy=policy) == [
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 30),  # 01:30 GMT does not exist: 02:30 BST
        utc(2026, 3, 30, 0, 30),
    ]
    autumn = local(LONDON, 2026, 10, 24)
    assert meds(Frequency.QD, autumn, autumn, autumn + 3 * DAY, tz=LONDON, policy=policy) == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),  # first 01:30 (BST) only
        utc(2026, 10, 26, 1, 30),
    ]
    q8h = meds(Frequency.Q8H, autumn, autumn, autumn + 3 * DAY, tz=LONDON)
    assert len(q8h) == 9
    assert {r.astimezone(LONDON).time() for r in q8h} == {time(0), time(8), time(16)}


def test_apia_skipped_day_gives_no_duplicate() -> None:
    start = local(APIA, 2011, 12, 28)
    result = meds(Frequency.QD, start, start, local(APIA, 2012, 1, 2), tz=APIA)
    assert len(result) == len(set(result))
    assert [r.astimezone(APIA).day for r in result] == [28, 29, 31, 1]


@pytest.mark.parametrize(
    ("tz", "first", "dates"),
    [
        # Apia has no 30 Dec 2011. Counting calendar dates would give 27, 29, 31, 2: the
        # doses of 29 and 31 December only 24 hours apart.
        (APIA, date(2011, 12, 27), ["12-27", "12-29", "01-01", "01-03"]),
        (APIA, date(2011, 12, 28), ["12-28", "12-31", "01-02", "01-04"]),
        (KIRITIMATI, date(1994, 12, 28), ["12-28", "12-30", "01-02", "01-04"]),
        (KWAJALEIN, date(1993, 8, 18), ["08-18", "08-20", "08-23", "08-25"]),
    ],
    ids=["apia-27", "apia-28", "kiritimati", "kwajalein"],
)
def test_qod_counts_the_days_the_ward_lives_through_not_calendar_dates(
    tz: ZoneInfo, first: date, dates: list[str]
) -> None:
    # Every other day is every second day the ward lives through: a date the zone skips
    # crossing the date line is not a day without a dose, so the doses stay 48 hours apart.
    start = datetime.combine(first, time(7), tzinfo=tz)
    result = meds(Frequency.QOD, start, start, start + 9 * DAY, tz=tz)
    assert walls(result, tz) == [f"{d} 08:00" for d in dates]
    assert all(b - a == 2 * DAY for a, b in pairwise(result))


def test_clock_care_rule_counts_the_days_the_ward_lives_through() -> None:
    rule = CareRule(
        code="check", name_zh="检查", name_en="Check", interval=3 * DAY, anchor="clock", at=time(9)
    )
    policy = LineCarePolicy(rules={"drain": (rule,)})
    inserted = local(APIA, 2011, 12, 27, 23, 0)
    found = care("drain", inserted, inserted, inserted + 10 * DAY, tz=APIA, policy=policy)
    # 28, 29, 31 are three ward days; 30 December 2011 never happened in Apia.
    assert labels(found, APIA) == ["check 12-31 09:00", "check 01-03 09:00", "check 01-06 09:00"]
    assert [b - a for (_, a), (_, b) in pairwise(found)] == [3 * DAY, 3 * DAY]


# --------------------------------------------------------------------------- line care


def care(
    line: str,
    inserted: datetime,
    window_start: datetime,
    window_end: datetime,
    *,
    removed: datetime | None = None,
    tz: ZoneInfo = SHANGHAI,
    policy: LineCarePolicy = LINES,
) -> list[tuple[CareRule, datetime]]:
    return line_care_occurrences(
        line_code=line,
        inserted_at=inserted,
        removed_at=removed,
        window_start=window_start,
        window_end=window_end,
        tz=tz,
        policy=policy,
    )


def labels(found: list[tuple[CareRule, datetime]], tz: ZoneInfo = SHANGHAI) -> list[str]:
    return [f"{rule.code} {due.astimezone(tz):%m-%d %H:%M}" for rule, due in found]


def test_piv_from_insertion() -> None:
    inserted = local(SHANGHAI, 2026, 11, 23, 10, 30)
    found = care("piv", inserted, inserted - DAY, inserted + 5 * DAY)
    assert labels(found) == [
        "site_check 11-24 10:00",
        "site_check 11-25 10:00",
        "site_check 11-26 10:00",
        "site_check 11-27 10:00",
        "replace 11-27 10:30",
        "site_check 11-28 10:00",
    ]
    assert all(due.tzinfo is UTC for _, due in found)


def test_removal_ends_care() -> None:
    inserted = local(SHANGHAI, 2026, 11, 23, 10, 30)
    removed = local(SHANGHAI, 2026, 11, 26, 10, 0)
    found = care("piv", inserted, inserted, inserted + 10 * DAY, removed=removed)
    assert labels(found) == ["site_check 11-24 10:00", "site_check 11-25 10:00"]
    with pytest.raises(ScheduleError) as raised:
        care("piv", inserted, inserted, inserted + DAY, removed=inserted - HOUR)
    assert raised.value.key == "schedule.removed_before_inserted"


def test_picc_weekly_tasks_keep_policy_order() -> None:
    inserted = local(SHANGHAI, 2026, 11, 1, 15, 0)
    found = care("picc", inserted, inserted, inserted + 15 * DAY)
    assert labels(found) == [
        "dressing 11-08 15:00",
        "flush_connector 11-08 15:00",
        "dressing 11-15 15:00",
        "flush_connector 11-15 15:00",
    ]


def test_insertion_rules_in_a_late_window() -> None:
    inserted = local(SHANGHAI, 2026, 11, 1, 15, 0)
    window = (local(SHANGHAI, 2026, 11, 10), local(SHANGHAI, 2026, 11, 23))
    assert labels(care("picc", inserted, *window)) == [
        "dressing 11-15 15:00",
        "flush_connector 11-15 15:00",
        "dressing 11-22 15:00",
        "flush_connector 11-22 15:00",
    ]
    late = (inserted + 100 * HOUR, inserted + 200 * HOUR)
    replace = [due for rule, due in care("piv", inserted, *late) if rule.code == "replace"]
    assert replace == [inserted + 192 * HOUR]


def test_insertion_intervals_are_elapsed_time_across_dst() -> None:
    inserted = local(NEW_YORK, 2026, 3, 6, 10, 0)
    found = care("piv", inserted, inserted, inserted + 5 * DAY, tz=NEW_YORK)
    replace = [due for rule, due in found if rule.code == "replace"]
    # Python adds to an aware datetime on its wall clock, hence the UTC conversion.
    assert replace == [inserted.astimezone(UTC) + 96 * HOUR]
    assert f"{replace[0].astimezone(NEW_YORK):%m-%d %H:%M}" == "03-10 11:00"
    checks = [due.astimezone(NEW_YORK) for rule, due in found if rule.code == "site_check"]
    assert {c.time() for c in checks} == {time(10)}


def test_line_care_unknown_and_empty_lines() -> None:
    t = local(SHANGHAI, 2026, 1, 1)
    with pytest.raises(ScheduleError) as raised:
        care("iv_line", t, t, t + DAY)
    assert (raised.value.key, raised.value.params) == (
        "schedule.unknown_line",
        {"line": "iv_line"},
    )
    # One catalogue (boards.lines): the nasogastric tube is "ngt", on the patient's line and
    # in the policy alike; the schedule's old spelling "ng" names nothing.
    assert care("ngt", t, t, t + 3 * DAY) != []
    with pytest.raises(ScheduleError) as raised:
        care("ng", t, t, t + 3 * DAY)
    assert raised.value.params == {"line": "ng"}
    assert _policy_error(lambda: LineCarePolicy(rules={"ng": ()})).key == (
        "schedule.policy.unknown_line"
    )
    quiet = LineCarePolicy(rules={"ngt": ()})
    assert care("ngt", t, t, t + 10 * DAY, policy=quiet) == []
    assert care("piv", t, t, t + 10 * DAY, policy=quiet) == []


def test_clock_rule_every_three_days() -> None:
    rule = CareRule(
        code="check",
        name_zh="检查",
        name_en="Check",
        interval=3 * DAY,
        anchor="clock",
        at=time(9),
    )
    policy = LineCarePolicy(rules={"drain": (rule,)})
    inserted = local(SHANGHAI, 2026, 1, 30, 23, 0)
    found = care("drain", inserted, inserted, inserted + 10 * DAY, policy=policy)
    assert labels(found) == ["check 02-02 09:00", "check 02-05 09:00", "check 02-08 09:00"]


# --------------------------------------------------------------------------- slots


def test_slot_of() -> None:
    assert slot_of(local(SHANGHAI, 2026, 1, 1, 8, 3, 59), SHANGHAI) == utc(2026, 1, 1, 0, 0)
    assert slot_of(local(SHANGHAI, 2026, 1, 1, 8, 5), SHANGHAI) == utc(2026, 1, 1, 0, 5)
    assert slot_of(local(SHANGHAI, 2026, 1, 1, 8, 14), SHANGHAI, 15) == utc(2026, 1, 1, 0, 0)
    kathmandu = ZoneInfo("Asia/Kathmandu")  # +05:45: slots follow local minutes
    slot = slot_of(local(kathmandu, 2026, 1, 1, 8, 7), kathmandu, 10)
    assert slot.astimezone(kathmandu).time() == time(8, 0)
    assert slot.tzinfo is UTC
    # 02:00-02:59 does not exist on this night: the 02:00 slot opens when the clock does.
    assert slot_of(utc(2026, 3, 8, 7, 10), NEW_YORK, 60) == utc(2026, 3, 8, 7, 0)
    # The repeated hour: each pass keeps its own slot.
    assert slot_of(utc(2026, 11, 1, 5, 40), NEW_YORK, 60) == utc(2026, 11, 1, 5, 0)
    assert slot_of(utc(2026, 11, 1, 6, 40), NEW_YORK, 60) == utc(2026, 11, 1, 6, 0)
    for bad in (0, 7, 90, 1440):
        with pytest.raises(ScheduleError) as raised:
            slot_of(utc(2026, 1, 1), SHANGHAI, bad)
        assert raised.value.key == "schedule.bad_slot"


@FAST
@given(
    tz=st.sampled_from(ZONES),
    minutes=st.sampled_from([1, 5, 10, 15, 20, 30, 60]),
    later=st.integers(0, 3 * 3600),
    data=st.data(),
)
def test_slot_properties(tz: ZoneInfo, minutes: int, later: int, data: st.DataObject) -> None:
    due = data.draw(anchors(tz))
    slot = slot_of(due, tz, minutes)
    assert slot.tzinfo is UTC
    assert slot <= due < slot + timedelta(minutes=minutes) + HOUR  # a wall slot may be longer
    assert slot_of(slot, tz, minutes) == slot
    assert slot_of(due + timedelta(seconds=later), tz, minutes) >= slot  # monotonic
    wall = slot.astimezone(tz)
    aligned = wall.minute % minutes == 0 and wall.second == 0 and wall.microsecond == 0
    assert aligned or not _exists(wall.date(), wall.time().replace(minute=0), tz)


# --------------------------------------------------------------------------- properties


def _transitions(tz: ZoneInfo, first_year: int = 1990, last_year: int = 2040) -> list[datetime]:
    """UTC instants (to the minute) at which ``tz`` changes its offset."""
    found = []
    day = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year, 12, 31, tzinfo=UTC)
    while day < end:
        after = day + DAY
        if day.astimezone(tz).utcoffset() != after.astimezone(tz).utcoffset():
            lo, hi = day, after
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(second=0, microsecond=0))
        day = after
    return found


TRANSITIONS = {tz.key: _transitions(tz) for tz in ZONES}
ANY_INSTANT = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2040, 12, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)
# Mostly whole minutes (where the boundary cases are), sometimes arbitrary seconds.
OFFSETS = st.one_of(
    st.integers(-3 * 1440, 3 * 1440).map(lambda m: timedelta(minutes=m)),
    st.integers(-3 * 86400, 3 * 86400).map(lambda s: timedelta(seconds=s)),
)
_MINUTES = st.sampled_from([0, 0, 30, 15, 59, 1])
# Hours 0-4 and 23 hold the DST gaps and repeats of the test zones, so they come up often.
CLOCKS = st.one_of(
    st.builds(time, hour=st.integers(0, 23), minute=_MINUTES),
    st.builds(time, hour=st.sampled_from([0, 1, 2, 3, 4, 23]), minute=_MINUTES),
)


@st.composite
def anchors(draw: st.DrawFn, tz: ZoneInfo) -> datetime:
    """An instant, often within a few days of one of the zone's offset changes."""
    near = TRANSITIONS[tz.key]
    if near and draw(st.booleans()):
        return draw(st.sampled_from(near)) + draw(OFFSETS) / 2
    return draw(ANY_INSTANT)


@st.composite
def medication_policies(draw: st.DrawFn) -> MedicationPolicy:
    times = {}
    for freq in Frequency:
        count = clock_times_required(freq)
        if count:
            times[freq] = draw(st.lists(CLOCKS, min_size=count, max_size=count, unique=True))
    routes = draw(st.sets(st.sampled_from(list(Route)), max_size=2))
    route_times = {}
    for route in routes:
        freq = draw(st.sampled_from([f for f in Frequency if clock_times_required(f)]))
        count = clock_times_required(freq)
        route_times[route] = {
            freq: draw(st.lists(CLOCKS, min_size=count, max_size=count, unique=True))
        }
    return MedicationPolicy(times=times, route_times=route_times)


POLICIES = st.one_of(st.just(MED), medication_policies())


@st.composite
def orders(draw: st.DrawFn, max_window: timedelta = 4 * DAY) -> dict[str, object]:
    tz = draw(st.sampled_from(ZONES))
    near = TRANSITIONS[tz.key]
    if near and draw(st.booleans()):
        # An order running across an offset change, with a window that holds it.
        change = draw(st.sampled_from(near))
        start = change - timedelta(minutes=draw(st.integers(0, 3 * 1440)))
        stop = None
        window_start = change - timedelta(minutes=draw(st.integers(0, 1440)))
    else:
        start = draw(anchors(tz))
        stop_after = st.integers(0, 8 * 1440).map(lambda m: start + timedelta(minutes=m))
        stop = draw(st.none() | stop_after | st.builds(lambda o: start + abs(o), OFFSETS))
        window_start = start + draw(OFFSETS) / 4
    # Days drawn apart: Hypothesis favours small integers, which would make most windows tiny.
    days = draw(st.integers(0, max_window.days))
    rest = draw(st.integers(0, 1440).map(lambda m: m * 60) | st.integers(0, 86400))
    span = min(days * 86400 + rest, int(max_window.total_seconds()))
    return {
        "freq": draw(st.sampled_from(list(Frequency))),
        "route": draw(st.none() | st.sampled_from(list(Route))),
        "start": start,
        "stop": stop,
        "window_start": window_start,
        "window_end": window_start + timedelta(seconds=span),
        "tz": tz,
        "policy": draw(POLICIES),
    }


def _bounds(order: dict[str, object]) -> tuple[datetime, datetime]:
    start, stop = order["start"], order["stop"]
    ws, we = order["window_start"], order["window_end"]
    assert isinstance(start, datetime) and isinstance(ws, datetime) and isinstance(we, datetime)
    lo = max(start, ws)
    hi = we if stop is None else min(stop, we)  # type: ignore[type-var]
    return lo, hi


def _exists(day: date, clock: time, tz: ZoneInfo) -> bool:
    naive = datetime.combine(day, clock)
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


@FAST
@given(order=orders())
def test_occurrences_are_sorted_unique_utc_and_inside(order: dict[str, object]) -> None:
    result = medication_occurrences(**order)  # type: ignore[arg-type]
    lo, hi = _bounds(order)
    assert result == sorted(set(result))
    assert all(r.tzinfo is UTC and lo <= r < hi for r in result)
    if order["freq"] is Frequency.ST:
        assert result == ([order["start"]] if lo <= order["start"] < hi else [])  # type: ignore[operator]
    if order["freq"] is Frequency.PRN:
        assert result == []


@FAST
@given(order=orders())
def test_each_occurrence_is_a_policy_clock_time(order: dict[str, object]) -> None:
    freq, tz, policy = order["freq"], order["tz"], order["policy"]
    assert isinstance(tz, ZoneInfo) and isinstance(policy, MedicationPolicy)
    assert isinstance(freq, Frequency)
    if freq is Frequency.ST:
        return
    times = policy.times_for(freq, order["route"])  # type: ignore[arg-type]
    for r in medication_occurrences(**order):  # type: ignore[arg-type]
        wall = r.astimezone(tz)
        if wall.time() in times and not wall.fold:
            continue
        # Otherwise only a clock time that does not exist that day, moved forward.
        assert any(
            not _exists(d, t, tz) and datetime.combine(d, t, tzinfo=tz).astimezone(UTC) == r
            for d in (wall.date(), wall.date() - DAY)
            for t in times
        ), (wall, times)


def _order(
    tz: ZoneInfo,
    start: datetime,
    window_start: datetime,
    span: timedelta = DAY + 2 * HOUR,
    *,
    freq: Frequency = Frequency.QOD,
    policy: MedicationPolicy = MED,
) -> dict[str, object]:
    # In UTC as orders() draws them: adding to a zoned datetime moves its wall clock.
    start, window_start = start.astimezone(UTC), window_start.astimezone(UTC)
    return {
        "freq": freq,
        "route": None,
        "start": start,
        "stop": None,
        "window_start": window_start,
        "window_end": window_start + span,
        "tz": tz,
        "policy": policy,
    }


# Qod orders started a few days before a date their zone skipped crossing the date line,
# and the first ward morning after the jump.
DATE_LINE = [
    (APIA, local(APIA, 2011, 12, 27, 7), local(APIA, 2011, 12, 31, 7)),
    (KIRITIMATI, local(KIRITIMATI, 1994, 12, 28, 7), local(KIRITIMATI, 1995, 1, 1, 7)),
    (KWAJALEIN, local(KWAJALEIN, 1993, 8, 18, 7), local(KWAJALEIN, 1993, 8, 22, 7)),
]
# The day and a bit after the jump, where calendar dates and days lived disagree on
# which day is a qod day; and six days from the start, the skipped date inside.
DATE_LINE_ORDERS = [_order(tz, start, after) for tz, start, after in DATE_LINE]
DATE_LINE_WEEKS = [_order(tz, start, start, 6 * DAY) for tz, start, _ in DATE_LINE]


@settings(max_examples=40, deadline=None)
@given(order=orders(max_window=DAY + 2 * HOUR))
# Found by Hypothesis: the first minute after Apia's jump (31 Dec 00:00) is a qod day, the
# second day lived after 28 Dec; counting calendar dates the oracle took it for a gap dose.
@example(
    order=_order(
        APIA,
        utc(2011, 12, 29, 9, 59),
        utc(2011, 12, 30, 10, 0),
        timedelta(minutes=1),
        policy=MED.with_times(Frequency.QOD, [time(0)]),
    )
)
@example(order=DATE_LINE_ORDERS[0])
@example(order=DATE_LINE_ORDERS[1])
@example(order=DATE_LINE_ORDERS[2])
def test_no_dose_missing_against_a_minute_by_minute_scan(order: dict[str, object]) -> None:
    freq, tz, policy, start = order["freq"], order["tz"], order["policy"], order["start"]
    assert isinstance(tz, ZoneInfo) and isinstance(policy, MedicationPolicy)
    assert isinstance(freq, Frequency) and isinstance(start, datetime)
    if freq in (Frequency.ST, Frequency.PRN):
        return
    times = set(policy.times_for(freq, order["route"]))  # type: ignore[arg-type]
    lo, hi = _bounds(order)
    # Qod counts the days the ward lives through: local dates numbered in the order the
    # wall clock first shows them from the start on, so a skipped date gets no number.
    lived = {start.astimezone(tz).date(): 0}
    expected = set()
    minute = start.astimezone(UTC).replace(second=0, microsecond=0)
    minute += timedelta(minutes=1) if minute < start else timedelta(0)
    while minute < hi:
        wall = minute.astimezone(tz)
        day = lived.setdefault(wall.date(), len(lived))
        if (
            minute >= lo
            and wall.time() in times
            and not wall.fold  # the second pass of a repeated hour is not a new dose
            and not (freq is Frequency.QOD and day % 2)
        ):
            expected.add(minute.astimezone(UTC))
        minute += timedelta(minutes=1)
    result = set(medication_occurrences(**order))  # type: ignore[arg-type]
    assert expected <= result
    for extra in result - expected:  # only clock times moved out of a DST gap
        wall = extra.astimezone(tz)
        assert wall.time() not in times or wall.fold


@FAST
@given(order=orders(max_window=6 * DAY))
@example(order=DATE_LINE_WEEKS[0])
@example(order=DATE_LINE_WEEKS[1])
@example(order=DATE_LINE_WEEKS[2])
def test_daily_and_every_other_day_doses_keep_their_spacing(order: dict[str, object]) -> None:
    # One clock time a day: qd doses a day apart, qod two, give or take the hour a DST
    # change moves the wall clock by; a date skipped at the date line shortens neither.
    for freq, step in ((Frequency.QD, DAY), (Frequency.QOD, 2 * DAY)):
        result = medication_occurrences(**{**order, "freq": freq})  # type: ignore[arg-type]
        for a, b in pairwise(result):
            assert abs(b - a - step) <= HOUR, (freq, a, b)


DST_ZONES = [tz for tz in ZONES if TRANSITIONS[tz.key]]


@FAST
@given(data=st.data())
def test_one_dose_on_every_day_around_an_offset_change(data: st.DataObject) -> None:
    tz = data.draw(st.sampled_from(DST_ZONES))
    change = data.draw(st.sampled_from(TRANSITIONS[tz.key]))
    # A clock time within two hours of the change, so that it often falls in the gap
    # (spring forward) or in the repeated hour (fall back).
    wall = change.astimezone(tz) + timedelta(minutes=data.draw(st.integers(-120, 120)))
    policy = MED.with_times(Frequency.QD, [wall.time().replace(second=0, microsecond=0)])
    first, last = wall.date() - 2 * DAY, wall.date() + 2 * DAY
    begin = datetime.combine(first, time(12), tzinfo=tz)
    end = datetime.combine(last, time(12), tzinfo=tz)
    result = meds(Frequency.QD, begin - DAY, begin, end, tz=tz, policy=policy)
    dates = [r.astimezone(tz).date() for r in result]
    assert dates == sorted(set(dates))  # never two doses on one day
    days = [first + i * DAY for i in range(5)]
    # Every day that exists on the wall clock gets its dose (Apia skipped 30 Dec 2011).
    existing = [d for d in days if _exists(d, time(12), tz)]
    inside = [r for r in result if begin <= r < end]
    assert inside == result
    assert len(result) in (len(existing) - 1, len(existing))  # the window cuts one at noon
    first_dose = datetime.combine(first, policy.times[Frequency.QD][0], tzinfo=tz)
    last_dose = datetime.combine(last, policy.times[Frequency.QD][0], tzinfo=tz)
    assert len(result) == len(existing) - (first_dose < begin) - (last_dose >= end)


@FAST
@given(order=orders(max_window=6 * DAY), data=st.data())
def test_window_split_invariance(order: dict[str, object], data: st.DataObject) -> None:
    ws, we = order["window_start"], order["window_end"]
    assert isinstance(ws, datetime) and isinstance(we, datetime)
    cut = ws + timedelta(seconds=data.draw(st.integers(0, int((we - ws).total_seconds()))))
    whole = medication_occurrences(**order)  # type: ignore[arg-type]
    left = medication_occurrences(**{**order, "window_end": cut})  # type: ignore[arg-type]
    right = medication_occurrences(**{**order, "window_start": cut})  # type: ignore[arg-type]
    assert whole == left + right


@FAST
@given(
    order=orders(),
    back=st.integers(1, 10 * 86400 * 1000).map(lambda ms: timedelta(milliseconds=ms)),
)
def test_stop_before_start_always_raises(order: dict[str, object], back: timedelta) -> None:
    start = order["start"]
    assert isinstance(start, datetime)
    with pytest.raises(ScheduleError) as raised:
        medication_occurrences(**{**order, "stop": start - back})  # type: ignore[arg-type]
    assert raised.value.key == "schedule.stop_before_start"


MONTH_ENDS = [
    date(year, month, day)
    for year in (2000, 2023, 2024, 2025, 2100 - 72)
    for month, day in ((1, 31), (2, 28), (2, 29), (4, 30), (12, 31))
    if not (month == 2 and day == 29 and year % 4)
]


@FAST
@given(
    day=st.sampled_from(MONTH_ENDS),
    hour=st.integers(0, 23),
    days=st.integers(1, 70),
    freq=st.sampled_from([f for f in Frequency if clock_times_required(f)]),
)
def test_month_end_and_leap_day_robustness(
    day: date, hour: int, days: int, freq: Frequency
) -> None:
    # Shanghai has no DST: every local day holds each clock time exactly once.
    start = datetime.combine(day, time(hour), tzinfo=SHANGHAI)
    begin = datetime.combine(day, time(0), tzinfo=SHANGHAI)
    end = begin + days * DAY
    result = meds(freq, begin, begin, end)
    dates = [r.astimezone(SHANGHAI).date() for r in result]
    if freq is Frequency.QOD:
        assert dates == [day + 2 * i * DAY for i in range((days + 1) // 2)]
        qod = meds(freq, start, start, start + days * DAY)
        assert all(b - a == 2 * DAY for a, b in pairwise(qod))
    else:
        per_day = clock_times_required(freq)
        assert len(result) == days * per_day
        assert sorted(set(dates)) == [day + i * DAY for i in range(days)]


@FAST
@given(policy=medication_policies(), lead=st.integers(0, 240), escalation=st.integers(1, 1440))
def test_policy_json_round_trip(policy: MedicationPolicy, lead: int, escalation: int) -> None:
    ward = WardPolicy(medication=policy, lead_minutes=lead, escalation_minutes=escalation)
    assert WardPolicy.from_dict(json.loads(json.dumps(ward.to_dict()))) == ward


@st.composite
def line_cases(draw: st.DrawFn) -> dict[str, object]:
    tz = draw(st.sampled_from(ZONES))
    inserted = draw(anchors(tz))
    # Whole days drawn apart from the rest, so windows start well past the first interval.
    later = timedelta(days=draw(st.integers(0, 60)), seconds=draw(st.integers(0, 86400)))
    window_start = inserted + later - draw(st.sampled_from([timedelta(0), 2 * DAY]))
    span = timedelta(days=draw(st.integers(0, 12)), seconds=draw(st.integers(0, 86400)))
    removed_after = timedelta(days=draw(st.integers(0, 70)), seconds=draw(st.integers(0, 86400)))
    return {
        "line_code": draw(st.sampled_from(LINE_CODES)),
        "inserted_at": inserted,
        "removed_at": draw(st.none() | st.just(inserted + removed_after)),
        "window_start": window_start,
        "window_end": window_start + span,
        "tz": tz,
        "policy": LINES,
    }


@FAST
@given(case=line_cases(), data=st.data())
def test_line_care_properties(case: dict[str, object], data: st.DataObject) -> None:
    found = line_care_occurrences(**case)  # type: ignore[arg-type]
    inserted, removed = case["inserted_at"], case["removed_at"]
    ws, we, tz = case["window_start"], case["window_end"], case["tz"]
    assert isinstance(inserted, datetime) and isinstance(ws, datetime)
    assert isinstance(we, datetime) and isinstance(tz, ZoneInfo)
    dues = [due for _, due in found]
    assert dues == sorted(dues)
    assert len(found) == len(set(found))
    for rule, due in found:
        assert due.tzinfo is UTC
        assert max(inserted, ws) <= due < (we if removed is None else min(removed, we))  # type: ignore[type-var]
        if rule.anchor == "insertion":
            assert (due - inserted) % rule.interval == timedelta(0) and due > inserted
        else:
            wall = due.astimezone(tz)
            assert wall.date() > inserted.astimezone(tz).date()
            assert rule.at is not None
            assert wall.time() == rule.at or any(
                not _exists(d, rule.at, tz) for d in (wall.date(), wall.date() - DAY)
            )
    cut = ws + timedelta(seconds=data.draw(st.integers(0, int((we - ws).total_seconds()))))
    left = line_care_occurrences(**{**case, "window_end": cut})  # type: ignore[arg-type]
    right = line_care_occurrences(**{**case, "window_start": cut})  # type: ignore[arg-type]
    assert found == left + right
