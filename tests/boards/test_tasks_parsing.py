"""Pure parts of boards.tasks: /med and /remind parsing, slot grouping."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boards.errors import BadInput
from boards.model import TaskKind, TaskOccurrence
from boards.schedule import Frequency, PolicyError, Route, WardPolicy
from boards.tasks import (
    MAX_DRUG,
    MedArgs,
    RemindArgs,
    group_slots,
    parse_med_args,
    parse_remind_args,
)

__all__: list[str] = []

SHANGHAI = ZoneInfo("Asia/Shanghai")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
NOW = datetime(2025, 11, 23, 6, 30, tzinfo=UTC)  # 14:30 in the ward


def _local(day: int, hour: int, minute: int = 0, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(2025, 11, day, hour, minute, tzinfo=tz).astimezone(UTC)


def med(text: str) -> MedArgs:
    return parse_med_args(text.split(), now=NOW, tz=SHANGHAI)


def refused(text: str) -> BadInput:
    with pytest.raises(BadInput) as caught:
        med(text)
    return caught.value


# --- /med ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "drug", "dose", "route", "freq"),
    [
        ("头孢呋辛 1.5g ivgtt bid", "头孢呋辛", "1.5g", Route.IVGTT, Frequency.BID),
        ("维生素 B12 0.5mg im qd", "维生素 B12", "0.5mg", Route.IM, Frequency.QD),
        ("0.9% NS 100ml ivgtt qd", "0.9% NS", "100ml", Route.IVGTT, Frequency.QD),
        ("阿司匹林 100 mg po qd", "阿司匹林", "100mg", Route.PO, Frequency.QD),
        ("胰岛素 8U ih tid", "胰岛素", "8U", Route.SC, Frequency.TID),
        ("青霉素 480万U ivgtt bid", "青霉素", "480万U", Route.IVGTT, Frequency.BID),
        ("氯化钾缓释片 1/2片 口服 每日3次", "氯化钾缓释片", "1/2片", Route.PO, Frequency.TID),
        ("头孢 1.5g i.v. gtt q 8 h", "头孢", "1.5g", Route.IVGTT, Frequency.Q8H),
        ("莫米松 1支 外用 qd", "莫米松", "1支", Route.TOPICAL, Frequency.QD),
        ("呋塞米 20mg iv st", "呋塞米", "20mg", Route.IV, Frequency.ST),
        ("ＫＣｌ　１０ｍｌ　ｐｏ　ｔｉｄ", "KCl", "10ml", Route.PO, Frequency.TID),  # full width
    ],
)
def test_med_reads_drug_dose_route_and_frequency(
    text: str, drug: str, dose: str, route: Route, freq: Frequency
) -> None:
    assert med(text) == MedArgs(drug=drug, dose=dose, route=route, freq=freq)


def test_med_start_and_stop() -> None:
    args = med("头孢 1.5g ivgtt bid 明天 8:00 11-30 8:00")
    assert args.start == _local(24, 8)
    assert args.stop == _local(30, 8)
    only_stop = med("头孢 1.5g ivgtt bid - 明天 8:00")
    assert (only_stop.start, only_stop.stop) == (None, _local(24, 8))
    clocks = med("头孢 1.5g ivgtt bid 16:00 22:00")
    assert (clocks.start, clocks.stop) == (_local(23, 16), _local(23, 22))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("头孢 1.5 ivgtt bid", "err.med_dose"),  # a dose without a unit
        ("头孢 1.5 g5 ivgtt bid", "err.med_dose"),
        ("头孢 500 ivgtt bid", "err.med_dose"),
        ("头孢 1.5克s ivgtt bid", "err.med_dose"),
        ("头孢 ivgtt bid qd", "err.med_form"),  # no dose at all
        ("头孢 1.5g ivgtt", "err.med_form"),
        ("头孢 1.5g", "err.med_form"),
        ("", "err.med_form"),
        ("头孢 1.5g 乱写 bid", "err.med_route"),
        ("头孢 1.5g ivgtt q5h", "err.med_freq"),
        ("头孢 1.5g ivgtt 每天很多次", "err.med_freq"),
        ("头孢 1.5g ivgtt bid 随便", "err.med_time"),
        ("头孢 1.5g ivgtt bid 8:00 后来", "err.med_time"),
        ("头孢 1.5g ivgtt bid 明天8:00 今天20:00", "err.med_stop_before_start"),
        ("头孢 1.5g ivgtt bid 明天8:00 明天8:00", "err.med_stop_before_start"),
        ("头孢 1.5g ivgtt bid 8:00 10:00", "err.med_stop_past"),
    ],
)
def test_med_refusals_name_what_was_wrong(text: str, key: str) -> None:
    assert refused(text).key == key


def test_med_refusal_echoes_the_word_shortly() -> None:
    error = refused("头孢 1.5g " + "x" * 40 + " bid")
    assert error.key == "err.med_route"
    assert error.params["value"] == "x" * 16


def test_med_long_drug_name_is_refused() -> None:
    error = refused("药" * (MAX_DRUG + 1) + " 1g po qd")
    assert (error.key, error.params) == ("err.too_long", {"limit": MAX_DRUG})


_WORDS = st.sampled_from(
    [
        "头孢",
        "1.5g",
        "1.5",
        "g",
        "500mg",
        "ivgtt",
        "iv",
        "gtt",
        "bid",
        "q8h",
        "q",
        "8",
        "h",
        "-",
        "明天",
        "8:00",
        "11-30",
        "0001-01-01",
        "9999-12-31",
        "23:59",
        "%",
        "1/0片",
        "万U",
        "每日2次",
        "now",
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    words=st.lists(st.one_of(_WORDS, st.text(max_size=12)), max_size=9),
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    tz=st.sampled_from([SHANGHAI, KATHMANDU, ZoneInfo("America/New_York")]),
)
def test_parse_med_args_never_crashes(words: list[str], now: datetime, tz: ZoneInfo) -> None:
    try:
        args = parse_med_args(words, now=now, tz=tz)
    except BadInput:
        return
    assert args.drug
    assert args.dose[0].isdigit() or args.dose[0] == "."
    assert args.stop is None or args.stop > now
    assert args.stop is None or args.start is None or args.stop > args.start


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.one_of(_WORDS, st.text(max_size=12)), max_size=6),
    tz=st.sampled_from([SHANGHAI, KATHMANDU]),
)
def test_parse_remind_args_never_crashes(words: list[str], tz: ZoneInfo) -> None:
    try:
        args = parse_remind_args(words, now=NOW, tz=tz)
    except BadInput:
        return
    assert args.text
    assert (args.due_at is None) != (args.daily_at is None)


# --- /remind -------------------------------------------------------------------------------


def remind(text: str) -> RemindArgs:
    return parse_remind_args(text.split(), now=NOW, tz=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15:30 复测血糖", RemindArgs("复测血糖", due_at=_local(23, 15, 30))),
        ("明天 9:00 空腹抽血", RemindArgs("空腹抽血", due_at=_local(24, 9))),
        ("11-24 09:00 外出检查前用药", RemindArgs("外出检查前用药", due_at=_local(24, 9))),
        ("30分钟后 复测血糖", RemindArgs("复测血糖", due_at=NOW + timedelta(minutes=30))),
        ("+2h 复查 血钾", RemindArgs("复查 血钾", due_at=NOW + timedelta(hours=2))),
        ("每天 8:00 测血压", RemindArgs("测血压", daily_at=time(8))),
        ("每天8点 测血压", RemindArgs("测血压", daily_at=time(8))),
        ("daily 20:30 BP", RemindArgs("BP", daily_at=time(20, 30))),
        ("every day 06:00 weigh", RemindArgs("weigh", daily_at=time(6))),
    ],
)
def test_remind_forms(text: str, expected: RemindArgs) -> None:
    assert remind(text) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("15:30", "err.remind_form"),
        ("", "err.remind_form"),
        ("每天 8:00", "err.remind_form"),
        ("随便 复测血糖", "err.remind_time"),
        ("每天 随便 复测血糖", "err.remind_time"),
    ],
)
def test_remind_refusals(text: str, key: str) -> None:
    with pytest.raises(BadInput) as caught:
        remind(text)
    assert caught.value.key == key


# --- grouping into messages ----------------------------------------------------------------


def _task(task_id: int, ward_id: int, due: datetime, *, late: bool = False) -> TaskOccurrence:
    return TaskOccurrence(
        id=task_id,
        ward_id=ward_id,
        stay_id=task_id,
        kind=TaskKind.MED,
        source_id=task_id,
        rule_code="",
        planned_at=due,
        due_at=due,
        remind_at=due,
        text="x",
        created_at=NOW,
        late=late,
    )


def test_group_slots_one_per_ward_per_slot_and_one_late_batch() -> None:
    zones = {1: SHANGHAI, 2: KATHMANDU}
    eight = _local(24, 8)
    tasks = [
        _task(1, 1, eight),
        _task(2, 1, eight + timedelta(minutes=3)),  # same 5-minute slot
        _task(3, 1, eight + timedelta(minutes=5)),  # the next one
        _task(4, 2, datetime(2025, 11, 24, 8, 0, tzinfo=KATHMANDU).astimezone(UTC)),
        _task(5, 1, eight - timedelta(hours=4), late=True),
        _task(6, 1, eight - timedelta(hours=2), late=True),
    ]
    slots = group_slots(reversed(tasks), zones)
    summary = [(s.ward_id, s.late, [t.id for t in s.tasks]) for s in slots]
    # Kathmandu's 08:00 is 02:15 UTC, two hours after Shanghai's.
    assert summary == [
        (1, True, [5, 6]),  # downtime: one message, not one per missed slot
        (1, False, [1, 2]),
        (1, False, [3]),
        (2, False, [4]),
    ]
    assert slots[0].start == _local(24, 4)
    assert all(s.start <= min(t.due_at for t in s.tasks) for s in slots)
    assert [s.start for s in slots] == sorted(s.start for s in slots)


def test_group_slots_of_nothing() -> None:
    assert group_slots([], {}) == []


def test_policy_errors_are_bad_input() -> None:
    with pytest.raises(BadInput) as caught:
        WardPolicy(lead_minutes=-1)
    assert isinstance(caught.value, PolicyError)
    assert caught.value.key == "schedule.policy.bad_minutes"
