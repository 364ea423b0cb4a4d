"""Shift policy: the ward's shifts and which one holds a given time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from boards.schedule._common import (
    _ONE_DAY,
    _RULE_CODE_RE,
    _check_clock,
    _mapping,
    _require_aware,
    _resolve_local,
    _sequence,
    _str,
    _time_from_json,
    _time_to_json,
)
from boards.schedule.errors import PolicyError


@dataclass(frozen=True, slots=True, kw_only=True)
class Shift:
    """A shift runs from its ``start`` to the next shift's start."""

    code: str
    name_zh: str
    name_en: str
    start: time

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "start": _time_to_json(self.start),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ShiftPolicy:
    """The ward's shifts in display order; together they cover the day without gaps."""

    shifts: tuple[Shift, ...]

    def __post_init__(self) -> None:
        shifts = tuple(self.shifts)
        if not shifts:
            raise PolicyError("schedule.policy.no_shifts")
        codes: set[str] = set()
        starts: set[time] = set()
        for shift in shifts:
            if not isinstance(shift, Shift) or not _RULE_CODE_RE.fullmatch(shift.code):
                raise PolicyError("schedule.policy.malformed", path="shifts")
            if not shift.name_zh.strip() or not shift.name_en.strip():
                raise PolicyError("schedule.policy.missing_name", shift=shift.code)
            _check_clock(shift.start, shift=shift.code)
            if shift.code in codes or shift.start in starts:
                raise PolicyError("schedule.policy.duplicate_shift", shift=shift.code)
            codes.add(shift.code)
            starts.add(shift.start)
        object.__setattr__(self, "shifts", shifts)

    def _by_start(self) -> list[Shift]:
        return sorted(self.shifts, key=lambda s: s.start)

    def shift_of(self, local: datetime | time) -> Shift:
        """The shift holding a ward-local wall time (an aware datetime's own wall time)."""
        wall = local.time() if isinstance(local, datetime) else local.replace(tzinfo=None)
        by_start = self._by_start()
        current = by_start[-1]  # before the earliest start: the last shift of the day before
        for shift in by_start:
            if shift.start <= wall:
                current = shift
        return current

    def end_of(self, shift: Shift) -> time:
        """The wall time ``shift`` ends at: the next shift's start."""
        by_start = self._by_start()
        return by_start[(by_start.index(shift) + 1) % len(by_start)].start

    def span_of(self, at: datetime, tz: ZoneInfo) -> tuple[Shift, datetime, datetime]:
        """The shift holding instant ``at`` with its start and end as aware UTC."""
        _require_aware(at=at)
        local = at.astimezone(tz)
        shift = self.shift_of(local)
        start_day = local.date() if shift.start <= local.time() else local.date() - _ONE_DAY
        end = self.end_of(shift)
        end_day = start_day if end > shift.start else start_day + _ONE_DAY
        return shift, _resolve_local(start_day, shift.start, tz), _resolve_local(end_day, end, tz)

    def to_list(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.shifts]

    @classmethod
    def from_list(cls, data: object) -> ShiftPolicy:
        shifts = []
        for i, raw in enumerate(_sequence(data, "shifts")):
            item = _mapping(raw, f"shifts.{i}")
            code = _str(item.get("code"), f"shifts.{i}.code")
            shifts.append(
                Shift(
                    code=code,
                    name_zh=_str(item.get("name_zh"), f"shifts.{i}.name_zh"),
                    name_en=_str(item.get("name_en"), f"shifts.{i}.name_en"),
                    start=_time_from_json(item.get("start"), shift=code),
                )
            )
        return cls(shifts=tuple(shifts))


def default_shift_policy() -> ShiftPolicy:
    """白班 08-16, 小夜班 16-24, 大夜班 00-08."""
    return ShiftPolicy(
        shifts=(
            Shift(code="day", name_zh="白班", name_en="Day shift", start=time(8)),
            Shift(code="evening", name_zh="小夜班", name_en="Evening shift", start=time(16)),
            Shift(code="night", name_zh="大夜班", name_en="Night shift", start=time(0)),
        )
    )
