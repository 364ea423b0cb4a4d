"""A month's quality figures from its stays, lines, events and tasks: pure arithmetic, no I/O.

Patient days and line days are midnight censuses (the NHSN convention): each day of the
period counts the patients, and the lines in place, at the ward-local 24:00 ending it
(days not yet ended are not counted). A task is on time when done within the ward's
escalation window after its planned time; its shift is the shift of that planned time.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from boards.model import PatientLine, Stay, TaskKind, TaskStatus
from boards.quality_model import AdverseEvent, EventType
from boards.schedule import Shift, ShiftPolicy, WardPolicy
from boards.when import resolve_local

__all__ = [
    "AlertLoad",
    "MonthFigures",
    "Period",
    "TaskLike",
    "Timeliness",
    "month_figures",
    "month_period",
    "per_thousand",
    "shifted_month",
]


@dataclass(frozen=True, slots=True)
class Period:
    """Ward-local days [first, last] as the UTC instants [start, end)."""

    first: date
    last: date
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        if self.first.day == 1 and (self.last + timedelta(days=1)).day == 1:
            if self.first.replace(day=1) == self.last.replace(day=1):
                return f"{self.first:%Y-%m}"
            return f"{self.first:%Y-%m}..{self.last:%Y-%m}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def _period(first: date, last: date, tz: ZoneInfo) -> Period:
    return Period(
        first,
        last,
        resolve_local(first, time(0), tz),
        resolve_local(last + timedelta(days=1), time(0), tz),
    )


def shifted_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def month_period(year: int, month: int, tz: ZoneInfo, *, months: int = 1) -> Period:
    """The ward-local calendar month(s) starting at year-month."""
    end_year, end_month = shifted_month(year, month, months)
    return _period(date(year, month, 1), date(end_year, end_month, 1) - timedelta(days=1), tz)


def per_thousand(count: int, days: int) -> float | None:
    return None if days == 0 else count * 1000 / days


class TaskLike(Protocol):
    """A TaskOccurrence or the lighter TaskFact the report loads."""

    @property
    def kind(self) -> TaskKind: ...
    @property
    def status(self) -> TaskStatus: ...
    @property
    def planned_at(self) -> datetime: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def done_at(self) -> datetime | None: ...
    @property
    def done_by(self) -> int | None: ...
    @property
    def skip_reason(self) -> str | None: ...
    @property
    def sent_at(self) -> datetime | None: ...
    @property
    def escalated_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Timeliness:
    """Tasks planned in the period (cancelled ones left out)."""

    total: int = 0
    on_time: int = 0
    late: int = 0
    skipped: int = 0
    open: int = 0
    escalated: int = 0

    @property
    def on_time_share(self) -> float | None:
        return None if self.total == 0 else self.on_time / self.total

    @classmethod
    def of(cls, counts: list[int]) -> Timeliness:
        return cls(*counts)


def _tally(counts: list[int], task: TaskLike, window: timedelta) -> None:
    """Count one task into [total, on time, late, skipped, open, escalated]."""
    status = task.status
    counts[0] += 1
    if status is TaskStatus.DONE:
        done_at = task.done_at
        counts[1 if done_at is not None and done_at <= task.planned_at + window else 2] += 1
    elif status is TaskStatus.SKIPPED:
        counts[3] += 1
    elif status is TaskStatus.PENDING:
        counts[4] += 1
    if task.escalated_at is not None:
        counts[5] += 1


@dataclass(frozen=True, slots=True)
class AlertLoad:
    """Reminders sent in the period and what came of them; per nurse-shift, where a
    nurse-shift is one nurse acting on at least one task in one shift."""

    sent: int = 0
    acted: int = 0
    snoozed: int = 0
    escalated: int = 0
    nurse_shifts: int = 0

    @property
    def per_nurse_shift(self) -> float | None:
        return None if self.nurse_shifts == 0 else self.sent / self.nurse_shifts


@dataclass(frozen=True, slots=True)
class MonthFigures:
    period: Period
    patient_days: int
    line_days: dict[str, int]
    events: dict[EventType, int]
    unplanned_by_line: dict[str, int]
    by_shift: dict[str, Timeliness]
    by_kind: dict[TaskKind, Timeliness]
    skip_reasons: dict[str, int]
    alerts: AlertLoad
    patients: int
    patients_with_event: int
    severities: dict[str, int] = field(default_factory=dict)

    @property
    def total_line_days(self) -> int:
        return sum(self.line_days.values())

    @property
    def utilisation(self) -> float | None:
        """Device utilisation ratio: line days / patient days."""
        return None if self.patient_days == 0 else self.total_line_days / self.patient_days

    def utilisation_of(self, code: str) -> float | None:
        days = self.line_days.get(code, 0)
        return None if self.patient_days == 0 else days / self.patient_days

    @property
    def total_events(self) -> int:
        return sum(self.events.values())

    def event_rate(self, kind: EventType) -> float | None:
        return per_thousand(self.events.get(kind, 0), self.patient_days)

    @property
    def unplanned_rate(self) -> float | None:
        """Unplanned line removals per 1,000 line days."""
        return per_thousand(self.events.get(EventType.UNPLANNED_REMOVAL, 0), self.total_line_days)

    @property
    def tasks(self) -> Timeliness:
        total = Timeliness()
        for t in self.by_kind.values():
            total = Timeliness(
                total.total + t.total,
                total.on_time + t.on_time,
                total.late + t.late,
                total.skipped + t.skipped,
                total.open + t.open,
                total.escalated + t.escalated,
            )
        return total


def _midnights(period: Period, tz: ZoneInfo, now: datetime) -> list[datetime]:
    """The 24:00 ending each day of the period, up to now."""
    found = []
    day = period.first
    while day <= period.last:
        instant = resolve_local(day + timedelta(days=1), time(0), tz)
        if instant > now:
            break
        found.append(instant)
        day += timedelta(days=1)
    return found


def _count(midnights: Sequence[datetime], start: datetime, end: datetime | None) -> int:
    """How many of the (sorted) midnights fall in [start, end)."""
    low = bisect.bisect_left(midnights, start)
    high = len(midnights) if end is None else bisect.bisect_left(midnights, end)
    return max(0, high - low)


def _earliest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


class _Shifts:
    """Which shift a local time is in, and the day it began: one sort, not one a task."""

    def __init__(self, policy: ShiftPolicy, tz: ZoneInfo) -> None:
        self._tz = tz
        self._by_start: list[Shift] = sorted(policy.shifts, key=lambda s: s.start)
        self._starts = [s.start for s in self._by_start]

    def of(self, at: datetime) -> tuple[Shift, date]:
        local = at.astimezone(self._tz)
        index = bisect.bisect_right(self._starts, local.time()) - 1
        if index < 0:  # before the first start: the last shift of the day before
            return self._by_start[-1], local.date() - timedelta(days=1)
        return self._by_start[index], local.date()


def _in(at: datetime | None, period: Period) -> bool:
    return at is not None and period.start <= at < period.end


def month_figures(
    period: Period,
    *,
    tz: ZoneInfo,
    now: datetime,
    policy: WardPolicy,
    stays: Sequence[Stay],
    lines: Iterable[PatientLine],
    events: Iterable[AdverseEvent],
    tasks: Iterable[TaskLike],
) -> MonthFigures:
    """Every figure of the period; `events` and `tasks` may hold more than the period."""
    midnights = _midnights(period, tz, now)
    by_id = {s.id: s for s in stays}
    # Present at a midnight: admitted at or before it, not ended by then.
    patient_days = sum(_count(midnights, s.admitted_at, s.ended_at) for s in stays)
    line_days: Counter[str] = Counter()
    line_code: dict[int, str] = {}
    for line in lines:
        line_code[line.id] = line.code
        stay = by_id.get(line.stay_id)
        if stay is None:
            continue
        start = max(line.inserted_at, stay.admitted_at)
        days = _count(midnights, start, _earliest(line.removed_at, stay.ended_at))
        if days:
            line_days[line.code] += days

    counted = [e for e in events if e.counts and _in(e.occurred_at, period)]
    kinds = Counter(e.type for e in counted)
    unplanned = Counter(
        line_code.get(e.line_id, "?")
        for e in counted
        if e.type is EventType.UNPLANNED_REMOVAL and e.line_id is not None
    )
    severities = Counter(e.severity.value for e in counted)
    in_period = [s for s in stays if s.admitted_at < period.end and not _ended_before(s, period)]
    with_event = {e.stay_id for e in counted}

    window = timedelta(minutes=policy.escalation_minutes)
    by_shift: dict[str, list[int]] = {s.code: [0] * 6 for s in policy.shifts.shifts}
    by_kind: dict[TaskKind, list[int]] = {}
    reasons: Counter[str] = Counter()
    sent = acted = snoozed = escalated = 0
    nurse_shifts: set[tuple[int, str, date]] = set()
    shifts = _Shifts(policy.shifts, tz)
    for task in tasks:
        if task.status is TaskStatus.CANCELLED:
            continue
        if _in(task.planned_at, period):
            shift = shifts.of(task.planned_at)[0].code
            _tally(by_shift.setdefault(shift, [0] * 6), task, window)
            _tally(by_kind.setdefault(task.kind, [0] * 6), task, window)
            if task.status is TaskStatus.SKIPPED:
                reasons[(task.skip_reason or "").strip() or "-"] += 1
        if _in(task.sent_at, period):
            sent += 1
            acted += task.status in (TaskStatus.DONE, TaskStatus.SKIPPED)
            snoozed += task.due_at != task.planned_at
            escalated += task.escalated_at is not None
        if task.done_by is not None and _in(task.done_at, period) and task.done_at is not None:
            worked, began = shifts.of(task.done_at)
            nurse_shifts.add((task.done_by, worked.code, began))
    return MonthFigures(
        period=period,
        patient_days=patient_days,
        line_days=dict(sorted(line_days.items())),
        events=dict(kinds),
        unplanned_by_line=dict(unplanned),
        by_shift={code: Timeliness.of(c) for code, c in by_shift.items()},
        by_kind={kind: Timeliness.of(c) for kind, c in by_kind.items()},
        skip_reasons=dict(reasons.most_common()),
        alerts=AlertLoad(sent, acted, snoozed, escalated, len(nurse_shifts)),
        patients=len(in_period),
        patients_with_event=len(with_event & {s.id for s in in_period}),
        severities=dict(severities),
    )


def _ended_before(stay: Stay, period: Period) -> bool:
    return stay.ended_at is not None and stay.ended_at < period.start
