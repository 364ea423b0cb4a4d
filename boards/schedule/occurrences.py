"""Due times of medication orders, line care and reminder slots, DST and date lines included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from boards.schedule._common import _ONE_DAY, _require_aware, _resolve_local
from boards.schedule.codes import Frequency, Route
from boards.schedule.errors import ScheduleError
from boards.schedule.line_care import CareRule, LineCarePolicy, _line_type
from boards.schedule.medication import MedicationPolicy

DEFAULT_SLOT_MINUTES: Final = 5


def _local_days(lo: datetime, hi: datetime, tz: ZoneInfo) -> Iterator[date]:
    # One spare day each side: a gap-shifted time lands on a later local date, and zones
    # that fall back at midnight (Brazil until 2019) make local dates step backwards.
    day = lo.astimezone(tz).date() - _ONE_DAY
    last = hi.astimezone(tz).date() + _ONE_DAY
    while day <= last:
        yield day
        day += _ONE_DAY


_NOON: Final = time(12)
_HALF_DAY: Final = timedelta(hours=12)


def _days_lived(origin: datetime, day: date, tz: ZoneInfo) -> int:
    """Ward days from the local date whose noon is ``origin`` (aware UTC) to local ``day``.

    "Every other day" (qod, 隔日) and "every n days" count the days the ward lives
    through, not calendar dates: a date the ward's zone skips (Apia 30 Dec 2011,
    Kiritimati 31 Dec 1994, Kwajalein 21 Aug 1993, all crossing the date line eastwards)
    is not a day on which the patient went without. Counting calendar dates there would
    give an every-other-day drug on two consecutive days, 24 hours apart; counting days
    lived keeps it 48 hours apart, as q48h (parsed as qod) says. Doses stay on the ward's
    wall clock, so across a DST change the spacing is 47 or 49 hours as for every order.

    Noon to noon, rounded to whole days: DST moves the clock by an hour or so and leaves
    the count at the calendar difference; a date-line jump moves it by a whole day and
    takes the skipped date out. A skipped date itself resolves (fold=0, as any gap) onto
    the next date and gets that date's count, and its clock times land on that date's
    instants, so its doses are the next date's, given once.
    """
    elapsed = _resolve_local(day, _NOON, tz) - origin
    return (elapsed + _HALF_DAY) // _ONE_DAY


def _bounds(
    begin: datetime, end: datetime | None, window_start: datetime, window_end: datetime
) -> tuple[datetime, datetime]:
    if window_end < window_start:
        raise ScheduleError("schedule.window_reversed")
    lo = max(begin, window_start)
    hi = window_end if end is None else min(end, window_end)
    return lo, hi


def medication_occurrences(
    *,
    freq: Frequency,
    route: Route | None,
    start: datetime,
    stop: datetime | None,
    window_start: datetime,
    window_end: datetime,
    tz: ZoneInfo,
    policy: MedicationPolicy,
) -> list[datetime]:
    """Due times of an order inside [max(start, window_start), min(stop, window_end)).

    Aware UTC, sorted, unique. The start is included and the stop excluded, so cutting a
    window anywhere yields the same doses as the whole window. Clock times are ward wall
    times in ``tz``; qod runs on every other day the ward lives through, counted from the
    start's local date (``_days_lived``: a skipped date does not count); st is one dose at
    ``start``; prn creates none.
    """
    _require_aware(start=start, stop=stop, window_start=window_start, window_end=window_end)
    if stop is not None and stop < start:
        raise ScheduleError("schedule.stop_before_start")
    lo, hi = _bounds(start, stop, window_start, window_end)
    if lo >= hi or freq is Frequency.PRN:
        return []
    if freq is Frequency.ST:
        return [start.astimezone(UTC)] if lo <= start < hi else []
    times = policy.times_for(freq, route)
    origin = _resolve_local(start.astimezone(tz).date(), _NOON, tz)
    due: set[datetime] = set()
    for day in _local_days(lo, hi, tz):
        if freq is Frequency.QOD and _days_lived(origin, day, tz) % 2:
            continue
        for clock in times:
            instant = _resolve_local(day, clock, tz)
            if lo <= instant < hi:
                due.add(instant)
    return sorted(due)


def _rule_dues(
    rule: CareRule, inserted_at: datetime, lo: datetime, hi: datetime, tz: ZoneInfo
) -> Iterator[datetime]:
    if rule.anchor == "insertion":
        base = inserted_at.astimezone(UTC)
        # First k >= 1 with base + k * interval >= lo: ceil((lo - base) / interval).
        k = max(1, -((base - lo) // rule.interval))
        while (instant := base + k * rule.interval) < hi:
            yield instant
            k += 1
        return
    assert rule.at is not None  # CareRule guarantees a clock time for clock anchors
    every_days = rule.interval.days
    # Days lived, as qod: "every 3 days" stays 72 hours apart across a skipped date.
    origin = _resolve_local(inserted_at.astimezone(tz).date(), _NOON, tz)
    seen: set[datetime] = set()
    for day in _local_days(lo, hi, tz):
        elapsed = _days_lived(origin, day, tz)
        if elapsed <= 0 or elapsed % every_days:
            continue
        instant = _resolve_local(day, rule.at, tz)
        if lo <= instant < hi and instant not in seen:
            seen.add(instant)
            yield instant


def line_care_occurrences(
    *,
    line_code: str,
    inserted_at: datetime,
    removed_at: datetime | None,
    window_start: datetime,
    window_end: datetime,
    tz: ZoneInfo,
    policy: LineCarePolicy,
) -> list[tuple[CareRule, datetime]]:
    """Care tasks of one line inside [max(inserted, window_start), min(removed, window_end)).

    Sorted by due time, then by the rule's place in the policy; due times are aware UTC.
    """
    _require_aware(
        inserted_at=inserted_at,
        removed_at=removed_at,
        window_start=window_start,
        window_end=window_end,
    )
    line = _line_type(line_code)
    if removed_at is not None and removed_at < inserted_at:
        raise ScheduleError("schedule.removed_before_inserted")
    lo, hi = _bounds(inserted_at, removed_at, window_start, window_end)
    if lo >= hi:
        return []
    found = [
        (instant, index, rule)
        for index, rule in enumerate(policy.rules_for(line))
        for instant in _rule_dues(rule, inserted_at, lo, hi, tz)
    ]
    found.sort(key=lambda item: (item[0], item[1]))
    return [(rule, instant) for instant, _, rule in found]


_MINUTE = timedelta(minutes=1)


def slot_of(due: datetime, tz: ZoneInfo, slot_minutes: int = DEFAULT_SLOT_MINUTES) -> datetime:
    """The grouping key for "one message per ward per time slot": the slot's start, aware UTC.

    A slot is a ``slot_minutes`` span of ward wall-clock time starting on a multiple of
    ``slot_minutes`` past the hour (08:00-08:05, 08:05-08:10, …; ``slot_minutes`` divides
    60), so zones with quarter-hour offsets (+05:45) still slot on round local minutes.
    Policy times fall on slot starts; st orders at odd minutes join their slot. The key only
    groups: nothing is sent before its own due time.
    """
    _require_aware(due=due)
    if not isinstance(slot_minutes, int) or not 1 <= slot_minutes <= 60 or 60 % slot_minutes:
        raise ScheduleError("schedule.bad_slot", minutes=str(slot_minutes))
    local = due.astimezone(tz)
    # Floor on the wall clock, keeping the due's fold: in a repeated hour each pass has its
    # own slots. A floor that falls in a DST gap moves forward like any other wall time.
    floor = local.replace(
        minute=local.minute - local.minute % slot_minutes, second=0, microsecond=0
    )
    start = floor.astimezone(UTC)
    if start > due:
        # The floor fell into a DST gap (Lord Howe moves by half an hour): the slot opens
        # at the instant the clock jumped, the earliest minute whose wall time is past it.
        start = due.astimezone(UTC).replace(second=0, microsecond=0)
        wall_floor = floor.replace(tzinfo=None)
        while (start - _MINUTE).astimezone(tz).replace(tzinfo=None) >= wall_floor:
            start -= _MINUTE
    return start
