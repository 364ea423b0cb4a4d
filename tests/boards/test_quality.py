"""The quality loop's arithmetic: a fixture month computed by hand, and the statistics."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from math import comb
from zoneinfo import ZoneInfo

import pytest

from boards.model import (
    Age,
    PatientLine,
    Sex,
    Stay,
    StayStatus,
    TaskKind,
    TaskOccurrence,
    TaskStatus,
)
from boards.quality import compare_proportions, fisher_exact, month_figures, month_period
from boards.quality.events import parse_event_args
from boards.quality.stats import Method, yates_chi_square
from boards.quality_model import AdverseEvent, EventStatus, EventType, Severity
from boards.schedule import default_ward_policy

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """Ward-local "2026-11-03 09:00" as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def stay(n: int, admitted: str, ended: str | None) -> Stay:
    return Stay(
        id=n,
        ward_id=1,
        bed=str(n),
        name=f"患者{n}",
        sex=Sex.FEMALE,
        age=Age(50),
        diagnosis=None,
        level=None,
        admitted_at=at(admitted),
        token=f"t{n}",
        status=StayStatus.ACTIVE if ended is None else StayStatus.DISCHARGED,
        ended_at=None if ended is None else at(ended),
    )


def line(n: int, stay_id: int, code: str, inserted: str, removed: str | None) -> PatientLine:
    return PatientLine(
        id=n,
        stay_id=stay_id,
        code=code,
        site=None,
        inserted_at=at(inserted),
        purpose=None,
        added_by=7,
        removed_at=None if removed is None else at(removed),
    )


def event(
    n: int,
    stay_id: int,
    kind: EventType,
    when: str,
    status: EventStatus = EventStatus.ACTIVE,
    line_id: int | None = None,
) -> AdverseEvent:
    return AdverseEvent(
        id=n,
        ward_id=1,
        stay_id=stay_id,
        bed=str(stay_id),
        type=kind,
        severity=Severity.MINOR,
        details=None,
        occurred_at=at(when),
        reported_by=7,
        reported_at=at(when),
        line_id=line_id,
        status=status,
    )


def task(
    n: int,
    kind: TaskKind,
    planned: str,
    *,
    status: TaskStatus = TaskStatus.PENDING,
    done: str | None = None,
    by: int | None = None,
    sent: str | None = None,
    reason: str | None = None,
    escalated: bool = False,
    snoozed: timedelta | None = None,
) -> TaskOccurrence:
    planned_at = at(planned)
    return TaskOccurrence(
        id=n,
        ward_id=1,
        stay_id=1,
        kind=kind,
        source_id=n,
        rule_code="",
        planned_at=planned_at,
        due_at=planned_at + (snoozed or timedelta()),
        remind_at=planned_at,
        text="",
        created_at=planned_at,
        status=status,
        done_at=None if done is None else at(done),
        done_by=by,
        skip_reason=reason,
        sent_at=None if sent is None else at(sent),
        escalated_at=planned_at + timedelta(minutes=30) if escalated else None,
    )


STAYS = [
    stay(1, "2026-10-30 10:00", None),  # every midnight of November: 30
    stay(2, "2026-11-10 14:00", "2026-11-12 09:00"),  # 24:00 of the 10th and 11th: 2
    stay(3, "2026-11-29 20:00", "2026-12-02 08:00"),  # 24:00 of the 29th and 30th: 2
    stay(4, "2026-11-15 08:00", "2026-11-15 17:00"),  # no midnight: 0, still a patient
    stay(5, "2026-10-01 08:00", "2026-10-31 12:00"),  # gone before November
]
LINES = [
    line(1, 1, "urinary", "2026-10-30 11:00", "2026-11-05 10:00"),  # 24:00 of 1st-4th: 4
    line(2, 1, "picc", "2026-11-20 09:00", None),  # 20th-30th: 11
    line(3, 2, "piv", "2026-11-10 15:00", None),  # while stay 2 is there: 2
]
EVENTS = [
    event(1, 1, EventType.FALL, "2026-11-03 21:00"),
    event(2, 2, EventType.BED_FALL, "2026-11-11 03:00", EventStatus.CORRECTED),
    event(3, 1, EventType.UNPLANNED_REMOVAL, "2026-11-05 10:00", line_id=1),
    event(4, 3, EventType.FALL, "2026-11-30 22:00", EventStatus.RETRACTED),
    event(5, 1, EventType.FALL, "2026-10-20 10:00"),
]
DONE, SKIP, GONE = TaskStatus.DONE, TaskStatus.SKIPPED, TaskStatus.CANCELLED
TASKS = [
    # Day shift, done 10 minutes after: on time (window 30 minutes).
    task(1, TaskKind.MED, "2026-11-03 09:00", status=DONE, done="2026-11-03 09:10", by=7,
         sent="2026-11-03 09:00"),
    # Evening shift, done 31 minutes after: late, and it was escalated.
    task(2, TaskKind.MED, "2026-11-03 17:00", status=DONE, done="2026-11-03 17:31", by=7,
         sent="2026-11-03 17:00", escalated=True),
    # Night shift, skipped with a reason.
    task(3, TaskKind.LINE_CARE, "2026-11-04 02:00", status=SKIP, done="2026-11-04 02:05",
         by=8, sent="2026-11-04 02:00", reason="患者拒绝"),
    # Evening, snoozed 30 minutes, still open.
    task(4, TaskKind.REMINDER, "2026-11-30 23:00", sent="2026-11-30 23:00",
         snoozed=timedelta(minutes=30)),
    task(5, TaskKind.MED, "2026-11-10 09:00", status=GONE),  # cancelled: not counted
    task(6, TaskKind.MED, "2026-10-31 09:00", status=DONE, done="2026-10-31 09:05", by=7,
         sent="2026-10-31 09:00"),  # October
]  # fmt: skip


def _november():  # type: ignore[no-untyped-def]
    return month_figures(
        month_period(2026, 11, TZ),
        tz=TZ,
        now=at("2026-12-05 10:00"),
        policy=default_ward_policy(),
        stays=STAYS,
        lines=LINES,
        events=EVENTS,
        tasks=TASKS,
    )


def test_a_fixture_month_figured_by_hand() -> None:
    m = _november()
    assert m.period.label == "2026-11"
    assert m.patient_days == 30 + 2 + 2 + 0
    assert m.patients == 4
    assert m.line_days == {"picc": 11, "piv": 2, "urinary": 4}
    assert m.total_line_days == 17
    assert m.utilisation == pytest.approx(17 / 34)
    assert m.utilisation_of("picc") == pytest.approx(11 / 34)
    # The retracted fall and the October fall are not counted; the corrected one is.
    assert m.events == {
        EventType.FALL: 1,
        EventType.BED_FALL: 1,
        EventType.UNPLANNED_REMOVAL: 1,
    }
    assert m.event_rate(EventType.FALL) == pytest.approx(1000 / 34)  # 29.41
    assert m.event_rate(EventType.MEDICATION_ERROR) == 0
    assert m.unplanned_rate == pytest.approx(1000 / 17)  # 58.82
    assert m.unplanned_by_line == {"urinary": 1}
    assert m.patients_with_event == 2

    day, evening, night = m.by_shift["day"], m.by_shift["evening"], m.by_shift["night"]
    assert (day.total, day.on_time, day.late, day.skipped, day.open) == (1, 1, 0, 0, 0)
    assert (evening.total, evening.on_time, evening.late, evening.open) == (2, 0, 1, 1)
    assert evening.escalated == 1
    assert (night.total, night.skipped) == (1, 1)
    assert m.by_kind[TaskKind.MED].total == 2 and m.by_kind[TaskKind.MED].on_time == 1
    assert m.by_kind[TaskKind.LINE_CARE].skipped == 1
    assert m.by_kind[TaskKind.REMINDER].open == 1
    assert m.tasks.total == 4 and m.tasks.on_time_share == pytest.approx(1 / 4)
    assert m.skip_reasons == {"患者拒绝": 1}

    # Sent in November: tasks 1-4; acted on 1-3; 4 snoozed; 2 escalated. Nurse-shifts:
    # nurse 7 in the day and the evening shift of the 3rd, nurse 8 in the night of the 4th.
    a = m.alerts
    assert (a.sent, a.acted, a.snoozed, a.escalated, a.nurse_shifts) == (4, 3, 1, 1, 3)
    assert a.per_nurse_shift == pytest.approx(4 / 3)


def test_a_month_still_running_counts_only_the_midnights_passed() -> None:
    m = month_figures(
        month_period(2026, 11, TZ),
        tz=TZ,
        now=at("2026-11-03 10:00"),  # the 1st and 2nd have ended
        policy=default_ward_policy(),
        stays=STAYS,
        lines=LINES,
        events=[],
        tasks=[],
    )
    assert m.patient_days == 2 and m.line_days == {"urinary": 2}
    assert m.unplanned_rate == 0 and m.alerts.per_nurse_shift is None


def test_midnights_across_a_dst_change_are_one_a_day() -> None:
    london = ZoneInfo("Europe/London")  # clocks go back on 2026-10-25
    period = month_period(2026, 10, london)
    there = Stay(
        id=1,
        ward_id=1,
        bed="1",
        name="x",
        sex=Sex.MALE,
        age=Age(70),
        diagnosis=None,
        level=None,
        admitted_at=datetime(2026, 9, 30, 12, 0, tzinfo=london),
        token="t",
    )
    m = month_figures(
        period,
        tz=london,
        now=datetime(2026, 11, 2, tzinfo=london),
        policy=default_ward_policy(),
        stays=[there],
        lines=[],
        events=[],
        tasks=[],
    )
    assert m.patient_days == 31 and period.end - period.start == timedelta(days=31, hours=1)


def test_the_source_studys_9_of_110_against_2_of_110() -> None:
    result = compare_proportions(9, 110, 2, 110)
    assert f"{result.share_a:.2%}" == "8.18%" and f"{result.share_b:.2%}" == "1.82%"
    # Every expected count is 5.5 (≥ 5): chi-square with Yates' correction is the test.
    assert result.test is Method.YATES
    assert result.statistic == pytest.approx(3.445, abs=1e-3)
    assert result.p == pytest.approx(0.0634, abs=1e-4)
    # Fisher's exact test, two-sided, from the hypergeometric terms summed exactly here.
    p = [Fraction(comb(110, x) * comb(110, 11 - x), comb(220, 11)) for x in range(12)]
    exact = float(sum(q for q in p if q <= p[9]))
    assert exact == pytest.approx(0.058872, abs=1e-6)
    assert fisher_exact(9, 101, 2, 108) == pytest.approx(exact, rel=1e-9)


def test_fisher_for_small_counts_and_known_tables() -> None:
    # Fisher's tea-tasting table and R's fisher.test documentation example.
    assert fisher_exact(3, 1, 1, 3) == pytest.approx(0.4857, abs=1e-4)
    assert fisher_exact(1, 9, 11, 3) == pytest.approx(0.002759, abs=1e-6)
    small = compare_proportions(3, 20, 0, 20)
    assert small.test is Method.FISHER and small.p == pytest.approx(0.2308, abs=1e-4)
    assert yates_chi_square(0, 0, 0, 0) == (0.0, 1.0)
    assert fisher_exact(0, 0, 0, 0) == 1.0


def test_event_words() -> None:
    now = at("2026-11-23 08:00")
    got = parse_event_args(["跌倒", "轻度", "昨天", "22:00", "如厕", "滑倒"], now=now, tz=TZ)
    assert (got.type, got.severity) == (EventType.FALL, Severity.MINOR)
    assert got.occurred_at == at("2026-11-22 22:00") and got.details == "如厕 滑倒"
    tw = parse_event_args(["墜床"], now=now, tz=TZ)
    assert tw.type is EventType.BED_FALL and tw.severity is Severity.NONE
    removal = parse_event_args(["非计划拔管", "胃管", "重度"], now=now, tz=TZ)
    assert removal.line_word == "胃管" and removal.severity is Severity.SEVERE
