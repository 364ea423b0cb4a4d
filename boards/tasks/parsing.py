"""What nurses type after the bed of /med and /remind, read into orders and reminders."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from boards.errors import BadInput
from boards.schedule import (
    Frequency,
    Route,
    parse_frequency,
    parse_route,
)
from boards.text import clean_field, clean_text, excerpt
from boards.when import parse_clock, parse_when, take_when

__all__ = [
    "MAX_DOSE",
    "MAX_DRUG",
    "MAX_REMIND_TEXT",
    "MedArgs",
    "RemindArgs",
    "parse_med_args",
    "parse_remind_args",
]

MAX_DRUG = 64
MAX_DOSE = 32
MAX_REMIND_TEXT = 100


@dataclass(frozen=True, slots=True)
class MedArgs:
    """`/med <bed> <drug> <dose> <route> <freq> [start] [stop]` after the bed, parsed."""

    drug: str
    dose: str
    route: Route
    freq: Frequency
    start: datetime | None = None  # None: now
    stop: datetime | None = None


@dataclass(frozen=True, slots=True)
class RemindArgs:
    """`/remind <bed> <time> <text>` after the bed: once at `due_at`, or daily at
    `daily_at` (ward wall-clock time) from now on."""

    text: str
    due_at: datetime | None = None
    daily_at: time | None = None


# Dose units as written on Chinese-ward orders and MARs. "U" covers insulin and heparin
# units; 万U is ten thousand units (penicillin: 480万U).
_UNITS = (
    *("mg", "g", "μg", "ug", "mcg", "ng", "ml", "l", "mmol", "meq"),
    *("iu", "u", "万u", "万iu", "万单位", "单位"),
    *("克", "毫克", "微克", "毫升", "升"),
    *("片", "粒", "颗", "丸", "支", "袋", "瓶", "包"),
    *("贴", "枚", "滴", "喷", "揿", "吸", "掀", "个"),
)


_UNIT_RE = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))


_NUMBER_RE = r"(?:[0-9]+(?:\.[0-9]+)?|[0-9]+/[0-9]+|\.[0-9]+)"


_DOSE = re.compile(rf"{_NUMBER_RE}(?:{_UNIT_RE})", re.IGNORECASE)


_BARE_NUMBER = re.compile(_NUMBER_RE)


_UNIT_ONLY = re.compile(rf"(?:{_UNIT_RE})", re.IGNORECASE)


# Words with digits that belong to a drug's name, not its dose: 0.9% NS, 复方3号.
_NAME_WITH_DIGIT = re.compile(r".*[%号號]")


_NOW_WORDS = frozenset({"-", "now", "现在", "即刻", "立即"})


def _words(args: Sequence[str]) -> list[str]:
    # Cleaned (boards.text): NFKC turns full-width digits, letters and colons from Chinese
    # input methods into ASCII, and nothing invisible is left in a drug name or a text.
    return clean_text(" ".join(args)).split()


def _longest(
    words: Sequence[str], parse: Callable[[str], Any | None], most: int
) -> tuple[Any, int] | None:
    """The value of the longest run of leading words (up to `most`) that `parse` reads."""
    for n in range(min(most, len(words)), 0, -1):
        # Every word of a run must count: "bid -" is bid and a placeholder, not one code.
        if n > 1 and not all(any(c.isalnum() for c in w) for w in words[:n]):
            continue
        value = parse(" ".join(words[:n]))
        if value is not None:
            return value, n
    return None


def _find_dose(words: Sequence[str]) -> tuple[int, str, int]:
    """(index of the dose, the dose, words it takes); the drug is every word before it."""
    for i in range(1, len(words)):
        word = words[i]
        if _DOSE.fullmatch(word):
            return i, word, 1
        if _BARE_NUMBER.fullmatch(word):
            if i + 1 < len(words) and _UNIT_ONLY.fullmatch(words[i + 1]):
                return i, word + words[i + 1], 2  # "1.5 g"
            raise BadInput("err.med_dose", value=excerpt(word))
        if word[0].isdigit() and not _NAME_WITH_DIGIT.fullmatch(word):
            # Digits first but no unit we know: "1.5克s", "500": never guess a dose.
            raise BadInput("err.med_dose", value=excerpt(word))
    raise BadInput("err.med_form")


def parse_med_args(args: Sequence[str], *, now: datetime, tz: ZoneInfo) -> MedArgs:
    """Read the words after the bed of `/med <bed> <drug> <dose> <route> <freq> [start] [stop]`.

    - drug: every word before the dose, so names may have several words
      (`维生素 B12`, `0.9% NS`); the dose is the first later word that starts with a digit.
    - dose: a number and a unit, together or apart: `0.5g`, `500 mg`, `10ml`, `2片`, `40U`,
      `480万U`, `1/2片`. A number without a unit is refused, never guessed.
    - route, frequency: as boards.schedule reads them (`ivgtt`, `静滴`, `i.v. gtt`; `bid`,
      `q8h`, `每日2次`), each one to three words.
    - start, stop: times as boards.when reads them (`8:00`, `明天 8:00`,
      `11-24 09:00`); start `-` or none means now. The stop must come after the start and
      after now.
    Raises BadInput with the catalogue key of the first thing wrong.
    """
    words = _words(args)
    if len(words) < 4:
        raise BadInput("err.med_form")
    at, dose, taken = _find_dose(words)
    drug = " ".join(words[:at])
    if len(drug) > MAX_DRUG or len(dose) > MAX_DOSE:
        raise BadInput("err.too_long", limit=MAX_DRUG if len(drug) > MAX_DRUG else MAX_DOSE)
    rest = words[at + taken :]
    if not rest:
        raise BadInput("err.med_form")
    route_found = _longest(rest, parse_route, 2)
    if route_found is None:
        raise BadInput("err.med_route", value=excerpt(rest[0]))
    route, taken = route_found
    rest = rest[taken:]
    if not rest:
        raise BadInput("err.med_form")
    freq_found = _longest(rest, parse_frequency, 3)
    if freq_found is None:
        raise BadInput("err.med_freq", value=excerpt(rest[0]))
    freq, taken = freq_found
    start, stop = _start_stop(rest[taken:], now=now, tz=tz)
    if stop is not None and start is not None and stop <= start:
        raise BadInput("err.med_stop_before_start")
    if stop is not None and stop <= now:
        raise BadInput("err.med_stop_past")
    return MedArgs(drug=drug, dose=dose, route=route, freq=freq, start=start, stop=stop)


def _start_stop(
    words: Sequence[str], *, now: datetime, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    if not words:
        return None, None
    start: datetime | None
    if words[0].lower() in _NOW_WORDS:
        start, taken = None, 1
    else:
        found = take_when(words, now=now, tz=tz)
        if found is None:
            raise BadInput("err.med_time", value=excerpt(words[0]))
        start, taken = found
    rest = words[taken:]
    if not rest:
        return start, None
    stop = parse_when(" ".join(rest), now=now, tz=tz) if len(rest) <= 3 else None
    if stop is None:
        raise BadInput("err.med_time", value=excerpt(" ".join(rest)))
    return start, stop


_DAILY_WORDS = ("每天", "每日", "天天", "daily", "everyday", "every day")


def parse_remind_args(args: Sequence[str], *, now: datetime, tz: ZoneInfo) -> RemindArgs:
    """Read the words after the bed of `/remind <bed> <time> <text>`.

    - once: any time boards.when reads: `15:30`, `下午3点`, `明天 9:00`, `11-24 09:00`,
      or from now: `30分钟后`, `+2h`, `2小时后`;
    - daily: `每天 8:00`, `每天8点`, `daily 08:00` (until stopped: `tasks.stop`).
    The rest is the text. Whether a one-off time is in the past is the service's check.
    """
    words = _words(args)
    if len(words) < 2:
        raise BadInput("err.remind_form")
    first = words[0].lower()
    daily_word = next((w for w in _DAILY_WORDS if first.startswith(w.replace(" ", ""))), None)
    if first == "every" and len(words) > 1 and words[1].lower() == "day":
        daily_word, words = "daily", ["daily", *words[2:]]
        first = "daily"
    if daily_word is not None:
        tail = first[len(daily_word.replace(" ", "")) :]
        if tail:
            clock, taken = parse_clock(tail), 1
        else:
            clock, taken = (parse_clock(words[1]) if len(words) > 1 else None), 2
        if clock is None:
            raise BadInput("err.remind_time", value=excerpt(" ".join(words[:2])))
        return RemindArgs(text=_remind_text(words[taken:]), daily_at=clock)
    found = take_when(words, now=now, tz=tz)
    if found is None:
        raise BadInput("err.remind_time", value=excerpt(words[0]))
    due, taken = found
    return RemindArgs(text=_remind_text(words[taken:]), due_at=due)


def _remind_text(words: Sequence[str]) -> str:
    text = clean_field(" ".join(words), limit=MAX_REMIND_TEXT)
    if text is None:
        raise BadInput("err.remind_form")
    return text
