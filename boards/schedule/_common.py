"""Helpers shared by the schedule modules: policy field checks and ward wall-clock time."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Final

from boards.lines import LINE_CODES
from boards.schedule.codes import Frequency, Route
from boards.schedule.errors import PolicyError, ScheduleError
from boards.when import resolve_local

_MINUTES_PER_DAY: Final = 24 * 60
_ONE_DAY: Final = timedelta(days=1)


def _check_clock(value: object, **where: str | int) -> time:
    # Policy times are whole minutes of ward wall-clock time; seconds or a tzinfo would
    # silently break the "local wall time is in the table" promise.
    if (
        not isinstance(value, time)
        or value.tzinfo is not None
        or value.second
        or value.microsecond
    ):
        raise PolicyError("schedule.policy.bad_time", value=str(value), **where)
    return value


_HHMM_RE: Final = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def _time_from_json(value: object, **where: str | int) -> time:
    if not isinstance(value, str) or not (match := _HHMM_RE.fullmatch(value)):
        raise PolicyError("schedule.policy.bad_time", value=str(value), **where)
    return time(int(match.group(1)), int(match.group(2)))


def _time_to_json(value: time) -> str:
    return f"{value:%H:%M}"


def _frequency_key(value: object) -> Frequency:
    try:
        return Frequency(str(value))
    except ValueError:
        raise PolicyError("schedule.policy.unknown_frequency", value=str(value)) from None


def _route_key(value: object) -> Route:
    try:
        return Route(str(value))
    except ValueError:
        raise PolicyError("schedule.policy.unknown_route", value=str(value)) from None


def _line_key(value: object) -> str:
    if str(value) not in LINE_CODES:
        raise PolicyError("schedule.policy.unknown_line", line=str(value))
    return str(value)


def _mapping(raw: object, path: str) -> Mapping[str, object]:
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) for k in raw):
        raise PolicyError("schedule.policy.malformed", path=path)
    return raw


def _sequence(raw: object, path: str) -> list[object]:
    if not isinstance(raw, list | tuple):
        raise PolicyError("schedule.policy.malformed", path=path)
    return list(raw)


def _int(raw: object, path: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise PolicyError("schedule.policy.malformed", path=path)
    return raw


def _str(raw: object, path: str) -> str:
    if not isinstance(raw, str):
        raise PolicyError("schedule.policy.malformed", path=path)
    return raw


_RULE_CODE_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _require_aware(**values: datetime | None) -> None:
    for name, value in values.items():
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ScheduleError("schedule.naive_datetime", name=name)


_resolve_local = resolve_local
